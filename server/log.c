/*
 * server/log.c - JSON log lines on stderr.  Each line is a cJSON object whose
 * values are references to the caller's strings, printed compact into a stack
 * buffer (the heap only for an unusually long line) and written with one
 * writev(2) of the line and its newline, whole (see write_line), so lines
 * from the server threads never interleave.  The review line is on the path
 * of every request, so it costs one syscall and no allocation beyond its few
 * items.
 *
 * Keys are written in lower camel case (a caller's snake_case key is
 * converted), and every value is checked for UTF-8 on its way out: the rare
 * invalid one (raw bytes of a request path, say) is written with U+FFFD in
 * place of each bad byte, cut between characters.  Error lines carry the
 * caller's file:line.
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

/* ---------------------------------------------------------------- UTF-8 */

/* Length (1-4) of the well-formed UTF-8 sequence at s, 0 when s does not start one. */
static int utf8_sequence_length(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80,
                 hi = c == 0xED ? 0x9F : 0xBF; /* no overlong, no surrogate */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF; /* U+10000..U+10FFFF */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

int log_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n = utf8_sequence_length(p);
        if (!n)
            return 0;
        p += n;
    }
    return 1;
}

size_t log_utf8_sanitize(char *out, size_t cap, const char *in)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    if (cap == 0)
        return 0;
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(in ? in : "");
    while (*p) {
        int len = utf8_sequence_length(p);
        const void *src = len ? (const void *)p : (const void *)replacement;
        size_t out_len = len ? (size_t)len : sizeof(replacement) - 1;
        if (n + out_len > cap - 1)
            break; /* cut between characters */
        memcpy(out + n, src, out_len);
        n += out_len;
        p += len ? len : 1;
    }
    out[n] = '\0';
    return n;
}

/* Every string value in `item`'s children (and theirs) made valid UTF-8, in place. */
static void sanitize_values(cJSON *item)
{
    for (cJSON *c = item ? item->child : NULL; c; c = c->next) {
        if (c->child)
            sanitize_values(c);
        if (!cJSON_IsString(c) || !c->valuestring || log_utf8_valid(c->valuestring))
            continue;
        size_t cap = strlen(c->valuestring) * 3 + 1;
        char *clean = cJSON_malloc(cap);
        if (clean)
            log_utf8_sanitize(clean, cap, c->valuestring);
        if (!(c->type & cJSON_IsReference))
            cJSON_free(c->valuestring);
        if (clean) {
            c->valuestring = clean;
            c->type &= ~cJSON_IsReference;
        } else {
            c->valuestring = (char *)"\xEF\xBF\xBD";
            c->type |= cJSON_IsReference;
        }
    }
}

/* `key` in lower camel case ("duration_us" -> "durationUs") in buf; a key without '_' as is. */
static const char *camel_key(const char *key, char *buf, size_t cap)
{
    if (!key || !strchr(key, '_'))
        return key;
    size_t n = 0;
    int upper = 0;
    for (const char *k = key; *k && n + 1 < cap; k++) {
        if (*k == '_') {
            upper = n > 0;
            continue;
        }
        buf[n++] = upper && *k >= 'a' && *k <= 'z' ? (char)(*k - 'a' + 'A') : *k;
        upper = 0;
    }
    buf[n] = '\0';
    return buf;
}

/* file relative to the source tree ("server/serve.c"), as the caller field shows it. */
static const char *source_relative(const char *file)
{
    size_t n = strlen(MW_SOURCE_DIR);
    if (file && strncmp(file, MW_SOURCE_DIR, n) == 0 && file[n] == '/')
        return file + n + 1;
    return file ? file : "";
}

/* ---------------------------------------------------------------- lines */

/*
 * {"ts","level"[,"caller"],"msg"}: the start of every line; `ts`, `caller`
 * (NULL: none) and `msg` are the caller's buffers (references).
 */
static cJSON *line_start(enum log_level level, const char *msg, const char *ts, const char *caller)
{
    cJSON *line = cJSON_CreateObject();
    if (!line)
        return NULL;
    cJSON_AddItemToObjectCS(line, "ts", cJSON_CreateStringReference(ts));
    cJSON_AddItemToObjectCS(line, "level", cJSON_CreateStringReference(level_names[level]));
    if (caller)
        cJSON_AddItemToObjectCS(line, "caller", cJSON_CreateStringReference(caller));
    cJSON_AddItemToObjectCS(line, "msg", cJSON_CreateStringReference(msg ? msg : ""));
    return line;
}

/* "file:line" of an error line into buf; NULL (no caller field) for the other levels. */
static const char *caller_of(enum log_level level, const char *file, int line, char *buf,
                             size_t cap)
{
    if (level != LOG_ERROR)
        return NULL;
    snprintf(buf, cap, "%s:%d", source_relative(file), line);
    return buf;
}

void log_json_at(const char *file, int line_no, enum log_level level, const char *msg,
                 cJSON *fields)
{
    if (level < log_min_level || (unsigned)level > LOG_ERROR) {
        cJSON_Delete(fields);
        return;
    }
    char ts[48], caller[128], clean_msg[MW_LOG_MAX_FIELD_BYTES];
    format_timestamp(ts, sizeof(ts));
    if (msg && !log_utf8_valid(msg)) {
        log_utf8_sanitize(clean_msg, sizeof(clean_msg), msg);
        msg = clean_msg;
    }
    cJSON *line =
        line_start(level, msg, ts, caller_of(level, file, line_no, caller, sizeof(caller)));
    if (line && cJSON_IsObject(fields)) {
        sanitize_values(fields);
        while (fields->child) {
            cJSON *item = cJSON_DetachItemViaPointer(fields, fields->child);
            char key[64];
            cJSON_AddItemToObject(line, camel_key(item->string, key, sizeof(key)), item);
            /* AddItemToObject copied the key: nothing else to do. */
        }
    }
    cJSON_Delete(fields);
    if (line)
        write_line(line);
    cJSON_Delete(line);
}

void log_message_at(const char *file, int line_no, enum log_level level, const char *msg,
                    const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(text)) {
        /* Cut: drop a character the cut split (its lead byte and continuation bytes). */
        size_t end = sizeof(text) - 1;
        size_t k = end;
        while (k > 0 && ((unsigned char)text[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)text[k - 1] >= 0xC0 &&
            utf8_sequence_length((const unsigned char *)text + k - 1) == 0)
            text[k - 1] = '\0';
    }
    cJSON *fields = cJSON_CreateObject();
    if (fields)
        cJSON_AddStringToObject(fields, level >= LOG_WARN ? "error" : "detail", text);
    log_json_at(file, line_no, level, msg, fields);
}

/* Request values made valid UTF-8 for one review line (most need no copy). */
struct scratch {
    char buf[8 * MW_LOG_MAX_FIELD_BYTES];
    size_t used;
};

/* Adds key (a constant) with a reference to value ("" for NULL), or to a valid UTF-8 copy of it. */
static void add_reference(cJSON *obj, const char *key, const char *value, struct scratch *sc)
{
    if (!value)
        value = "";
    if (!log_utf8_valid(value)) {
        size_t room = sizeof(sc->buf) - sc->used;
        if (room > MW_LOG_MAX_FIELD_BYTES)
            room = MW_LOG_MAX_FIELD_BYTES;
        if (room < 4) {
            value = "\xEF\xBF\xBD";
        } else {
            char *clean = sc->buf + sc->used;
            sc->used += log_utf8_sanitize(clean, room, value) + 1;
            value = clean;
        }
    }
    cJSON_AddItemToObjectCS(obj, key, cJSON_CreateStringReference(value));
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

void log_review_at(const char *file, int line_no, const struct review_log *r)
{
    enum log_level level = r->status >= 500 ? LOG_ERROR : r->status >= 400 ? LOG_WARN : LOG_INFO;
    if (level < log_min_level)
        return;
    char ts[48], caller[128];
    struct scratch sc;
    sc.used = 0;
    format_timestamp(ts, sizeof(ts));
    cJSON *line =
        line_start(level, "review", ts, caller_of(level, file, line_no, caller, sizeof(caller)));
    if (!line)
        return;
    add_reference(line, "uid", r->uid, &sc);
    add_reference(line, "path", r->path, &sc);
    add_reference(line, "resource", r->resource, &sc);
    add_reference(line, "operation", r->operation, &sc);
    add_reference(line, "namespace", r->ns, &sc);
    add_reference(line, "name", r->name, &sc);
    add_reference(line, "verdict", r->verdict ? r->verdict : "error", &sc);
    cJSON *rules = cJSON_CreateArray();
    cJSON_AddItemToObjectCS(line, "rules", rules);
    for (size_t i = 0; rules && i < r->nrules; i++)
        cJSON_AddItemToArray(rules, cJSON_CreateStringReference(rule_id_name(r->rules[i])));
    add_integer(line, "status", r->status);
    if (r->error)
        add_reference(line, "error", r->error, &sc);
    add_integer(line, "durationUs", r->duration_us);
    write_line(line);
    cJSON_Delete(line);
}
