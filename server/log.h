/*
 * server/log.h - JSON log lines on stderr, one object per line.
 *
 * The only place in the server that prints.  Every line carries "ts" (RFC 3339
 * UTC with milliseconds), "level" and "msg"; error lines add "caller"
 * ("server/serve.c:120"); the review line adds what an operator needs to find
 * a request again.  Lines never echo whole objects.
 *
 * One key style, lower camel case as in Kubernetes' structured logs: a
 * snake_case key given by a caller is written as lowerCamelCase.  Every value
 * is valid UTF-8: an invalid byte is written as U+FFFD, and a value cut to its
 * limit is cut between characters.  See docs/operations.md#logs.
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
#define log_json(level, msg, fields) log_json_at(__FILE__, __LINE__, level, msg, fields)
void log_json_at(const char *file, int line, enum log_level level, const char *msg, cJSON *fields);

/* One line with msg and an "error" field (warn, error) or "detail" (printf-style). */
#define log_message(level, msg, ...) log_message_at(__FILE__, __LINE__, level, msg, __VA_ARGS__)
void log_message_at(const char *file, int line, enum log_level level, const char *msg,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * `in` as valid UTF-8 in out[cap]: each byte that does not start a
 * well-formed sequence (overlong forms, surrogates and code points above
 * U+10FFFF included) becomes U+FFFD; the text is cut at a character boundary
 * to fit.  Returns the length written.
 */
size_t log_utf8_sanitize(char *out, size_t cap, const char *in);
/* 1 when `s` is valid UTF-8. */
int log_utf8_valid(const char *s);

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

/*
 * The one line per review: at info for an answered review (allowed, denied,
 * patched, warned: an admission denial is an answer), at warn for an HTTP 4xx
 * (a request the server refused), at error for a 5xx.
 */
#define log_review(r) log_review_at(__FILE__, __LINE__, r)
void log_review_at(const char *file, int line, const struct review_log *r);

#endif
