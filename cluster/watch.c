/*
 * cluster/watch.c - incremental parser for Kubernetes watch streams.
 *
 * Bytes are appended to a line buffer that grows up to the parser's bound;
 * every '\n' ends a line, which is parsed with cJSON and checked for the event
 * shape before the callback sees it.  Blank lines are skipped.
 */
#include "cluster/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/text.h"

struct watch_parser {
    size_t max_line;
    watch_event_fn fn;
    void *ctx;
    char *line;
    size_t len, cap;
    unsigned long events;
};

static const char *const type_names[] = {
    [WATCH_ADDED] = "ADDED",       [WATCH_MODIFIED] = "MODIFIED", [WATCH_DELETED] = "DELETED",
    [WATCH_BOOKMARK] = "BOOKMARK", [WATCH_ERROR] = "ERROR",
};

int watch_type_from_name(const char *name)
{
    return text_name_index(type_names, (int)(sizeof(type_names) / sizeof(type_names[0])), name);
}

int watch_error_code(const cJSON *status)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");
    if (!cJSON_IsNumber(code) || code->valuedouble < 0 || code->valuedouble > 999)
        return 0;
    return (int)code->valuedouble;
}

const char *watch_resource_version(const cJSON *object)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(object, "metadata");
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
    return cJSON_IsString(rv) ? rv->valuestring : NULL;
}

struct watch_parser *watch_parser_new(size_t max_line, watch_event_fn fn, void *ctx)
{
    struct watch_parser *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->max_line = max_line;
    p->fn = fn;
    p->ctx = ctx;
    return p;
}

void watch_parser_free(struct watch_parser *p)
{
    if (!p)
        return;
    free(p->line);
    free(p);
}

void watch_parser_reset(struct watch_parser *p)
{
    p->len = 0;
}

unsigned long watch_parser_events(const struct watch_parser *p)
{
    return p->events;
}

static int line_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* Parses one complete line and hands the event on. */
static enum watch_feed_result dispatch_line(struct watch_parser *p, const char *s, size_t n,
                                            char *err, size_t errlen)
{
    if (line_is_blank(s, n))
        return WATCH_FEED_OK;
    cJSON *event = cJSON_ParseWithLength(s, n);
    if (!event) {
        snprintf(err, errlen, "watch stream: malformed event (not JSON)");
        return WATCH_FEED_ERROR;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(event, "type");
    cJSON *object = cJSON_GetObjectItemCaseSensitive(event, "object");
    int t = watch_type_from_name(cJSON_GetStringValue(type));
    if (!cJSON_IsObject(event) || t < 0 || !cJSON_IsObject(object)) {
        cJSON_Delete(event);
        snprintf(err, errlen, "watch stream: malformed event (no known type or no object)");
        return WATCH_FEED_ERROR;
    }
    p->events++;
    int stop = p->fn(p->ctx, (enum watch_type)t, event, object);
    cJSON_Delete(event);
    return stop ? WATCH_FEED_STOPPED : WATCH_FEED_OK;
}

static int append_to_line(struct watch_parser *p, const char *data, size_t n)
{
    if (text_reserve(&p->line, &p->cap, p->len + n, 4096, p->max_line) != 0)
        return -1;
    memcpy(p->line + p->len, data, n);
    p->len += n;
    return 0;
}

enum watch_feed_result watch_feed(struct watch_parser *p, const char *data, size_t len, char *err,
                                  size_t errlen)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (p->len + n > p->max_line) {
            snprintf(err, errlen, "watch stream: event line longer than %zu bytes", p->max_line);
            return WATCH_FEED_ERROR;
        }
        enum watch_feed_result r = WATCH_FEED_OK;
        if (nl && p->len == 0) {
            r = dispatch_line(p, data, n, err, errlen); /* whole line in this chunk: no copy */
        } else {
            if (append_to_line(p, data, n) != 0) {
                snprintf(err, errlen, "watch stream: out of memory");
                return WATCH_FEED_ERROR;
            }
            if (nl) {
                r = dispatch_line(p, p->line, p->len, err, errlen);
                p->len = 0;
            }
        }
        if (r != WATCH_FEED_OK)
            return r;
        if (!nl)
            break;
        data += n + 1;
        len -= n + 1;
    }
    return WATCH_FEED_OK;
}
