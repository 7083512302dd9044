/*
 * server/log.c - JSON log lines on stderr.  Each line is a cJSON object whose
 * values are references to the caller's strings, printed compact into a stack
 * buffer (the heap only for an unusually long line) and written with one
 * writev(2) of the line and its newline, whole (see write_line), so lines
 * from the server threads never interleave.  The review line is on the path
 * of every request, so it costs one syscall and no allocation beyond its few
 * items.
 */
#include "server/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "server/limits.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level log_min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    log_min_level = level;
}

/* RFC 3339 UTC with milliseconds; the seconds part is formatted once per second per thread. */
static void format_timestamp(char *buf, size_t len)
{
    static __thread time_t cached_sec = -1;
    static __thread char cached[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    snprintf(buf, len, "%s.%03ldZ", cached, ts.tv_nsec / 1000000L);
}

/* Writes all of iov (retrying short writes and EINTR); gives up on other errors. */
static void write_all(struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(STDERR_FILENO, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
}

/*
 * A line of at most PIPE_BUF bytes goes out in one writev with no lock: the
 * kernel never interleaves it with another (a pipe, what a container runtime
 * gives, writes it atomically; writes to a regular file are serialised), so
 * the server threads do not queue behind each other's syscalls.  A longer line
 * (rare: request values are clamped) is written under the lock.
 */
static void write_line(cJSON *line)
{
    char stack[MW_LOG_LINE_BYTES];
    char *text = stack;
    /* cJSON may need a few bytes more than the text while printing: 5 spare bytes. */
    if (!cJSON_PrintPreallocated(line, stack, (int)sizeof(stack) - 5, 0)) {
        text = cJSON_PrintUnformatted(line);
        if (!text)
            return;
    }
    struct iovec iov[2] = {{text, strlen(text)}, {(char *)"\n", 1}};
    if (iov[0].iov_len + 1 <= PIPE_BUF) {
        write_all(iov, 2);
    } else {
        pthread_mutex_lock(&log_lock);
        write_all(iov, 2);
        pthread_mutex_unlock(&log_lock);
    }
    if (text != stack)
        free(text);
}

/* {"ts","level","msg"}: the start of every line; `ts` is the caller's buffer (a reference). */
static cJSON *line_start(enum log_level level, const char *msg, const char *ts)
{
    cJSON *line = cJSON_CreateObject();
    if (!line)
        return NULL;
    cJSON_AddItemToObjectCS(line, "ts", cJSON_CreateStringReference(ts));
    cJSON_AddItemToObjectCS(line, "level", cJSON_CreateStringReference(level_names[level]));
    cJSON_AddItemToObjectCS(line, "msg", cJSON_CreateStringReference(msg ? msg : ""));
    return line;
}

void log_json(enum log_level level, const char *msg, cJSON *fields)
{
    if (level < log_min_level || (unsigned)level > LOG_ERROR) {
        cJSON_Delete(fields);
        return;
    }
    char ts[48];
    format_timestamp(ts, sizeof(ts));
    cJSON *line = line_start(level, msg, ts);
    if (line && cJSON_IsObject(fields)) {
        while (fields->child) {
            cJSON *item = cJSON_DetachItemViaPointer(fields, fields->child);
            cJSON_AddItemToObject(line, item->string, item);
            /* AddItemToObject copied the key: nothing else to do. */
        }
    }
    cJSON_Delete(fields);
    if (line)
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

/* Adds key (a constant) with a reference to value ("" for NULL). */
static void add_reference(cJSON *obj, const char *key, const char *value)
{
    cJSON_AddItemToObjectCS(obj, key, cJSON_CreateStringReference(value ? value : ""));
}

/*
 * Adds key (a constant) with an integer value.  The stock cJSON prints every
 * number with "%1.15g" and reads it back with sscanf to check it (about 0.6 µs
 * a number, on every review line); an integer's decimal digits are the same
 * JSON number, so it goes in as a raw value.
 */
static void add_integer(cJSON *obj, const char *key, long long value)
{
    char digits[24];
    snprintf(digits, sizeof(digits), "%lld", value);
    cJSON_AddItemToObjectCS(obj, key, cJSON_CreateRaw(digits));
}

void log_review(const struct review_log *r)
{
    if (LOG_INFO < log_min_level)
        return;
    char ts[48];
    format_timestamp(ts, sizeof(ts));
    cJSON *line = line_start(LOG_INFO, "review", ts);
    if (!line)
        return;
    add_reference(line, "uid", r->uid);
    add_reference(line, "path", r->path);
    add_reference(line, "resource", r->resource);
    add_reference(line, "operation", r->operation);
    add_reference(line, "namespace", r->ns);
    add_reference(line, "name", r->name);
    add_reference(line, "verdict", r->verdict ? r->verdict : "error");
    cJSON *rules = cJSON_CreateArray();
    cJSON_AddItemToObjectCS(line, "rules", rules);
    for (size_t i = 0; rules && i < r->nrules; i++)
        cJSON_AddItemToArray(rules, cJSON_CreateStringReference(rule_id_name(r->rules[i])));
    add_integer(line, "status", r->status);
    if (r->error)
        add_reference(line, "error", r->error);
    add_integer(line, "duration_us", r->duration_us);
    write_line(line);
    cJSON_Delete(line);
}
