/*
 * server/log.h - JSON log lines on stderr, one object per line.
 *
 * The only place in the server that prints.  Every line carries "ts" (RFC 3339
 * UTC with milliseconds), "level" and "msg"; the review line adds what an
 * operator needs to find a request again.  Lines never echo whole objects.
 * Thread-safe: each line is written whole, with one writev.
 */
#ifndef MW_SERVER_LOG_H
#define MW_SERVER_LOG_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "rules/verdict.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below `level` are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

/* One line {"ts","level","msg", ...fields}.  Takes ownership of `fields` (may be NULL). */
void log_json(enum log_level level, const char *msg, cJSON *fields);

/* One line with msg and an "error" field (printf-style). */
void log_message(enum log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What the review line reports; strings may be NULL (written as ""). */
struct review_log {
    const char *uid, *path, *resource, *operation, *ns, *name;
    const char *verdict; /* allowed|denied|patched|warned|error */
    const enum rule_id *rules;
    size_t nrules;
    int status;        /* HTTP status of the answer */
    const char *error; /* the 4xx/5xx text, NULL otherwise */
    long long duration_us;
};

/* The one line per review. */
void log_review(const struct review_log *r);

#endif
