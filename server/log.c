/*
 * server/log.c - JSON log lines on stderr.  Each line is built as a cJSON
 * object, printed compact, and written under a mutex so that lines from the
 * server threads never interleave.
 */
#include "server/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level log_min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    log_min_level = level;
}

static void format_timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}

static void write_line(cJSON *line)
{
    char *text = cJSON_PrintUnformatted(line);
    if (!text)
        return;
    pthread_mutex_lock(&log_lock);
    fputs(text, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(text);
}

void log_json(enum log_level level, const char *msg, cJSON *fields)
{
    if (level < log_min_level || (unsigned)level > LOG_ERROR) {
        cJSON_Delete(fields);
        return;
    }
    cJSON *line = cJSON_CreateObject();
    if (!line) {
        cJSON_Delete(fields);
        return;
    }
    char ts[48];
    format_timestamp(ts, sizeof(ts));
    cJSON_AddStringToObject(line, "ts", ts);
    cJSON_AddStringToObject(line, "level", level_names[level]);
    cJSON_AddStringToObject(line, "msg", msg ? msg : "");
    if (cJSON_IsObject(fields)) {
        while (fields->child) {
            cJSON *item = cJSON_DetachItemViaPointer(fields, fields->child);
            cJSON_AddItemToObject(line, item->string, item);
            /* AddItemToObject copied the key: nothing else to do. */
        }
    }
    cJSON_Delete(fields);
    write_line(line);
    cJSON_Delete(line);
}

void log_message(enum log_level level, const char *msg, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    cJSON *fields = cJSON_CreateObject();
    if (fields)
        cJSON_AddStringToObject(fields, level >= LOG_WARN ? "error" : "detail", text);
    log_json(level, msg, fields);
}

void log_review(const struct review_log *r)
{
    cJSON *f = cJSON_CreateObject();
    if (!f)
        return;
    cJSON_AddStringToObject(f, "uid", r->uid ? r->uid : "");
    cJSON_AddStringToObject(f, "path", r->path ? r->path : "");
    cJSON_AddStringToObject(f, "resource", r->resource ? r->resource : "");
    cJSON_AddStringToObject(f, "operation", r->operation ? r->operation : "");
    cJSON_AddStringToObject(f, "namespace", r->ns ? r->ns : "");
    cJSON_AddStringToObject(f, "name", r->name ? r->name : "");
    cJSON_AddStringToObject(f, "verdict", r->verdict ? r->verdict : "error");
    cJSON *rules = cJSON_AddArrayToObject(f, "rules");
    for (size_t i = 0; rules && i < r->nrules; i++)
        cJSON_AddItemToArray(rules, cJSON_CreateString(rule_id_name(r->rules[i])));
    cJSON_AddNumberToObject(f, "status", r->status);
    if (r->error)
        cJSON_AddStringToObject(f, "error", r->error);
    cJSON_AddNumberToObject(f, "duration_us", (double)r->duration_us);
    log_json(LOG_INFO, "review", f);
}
