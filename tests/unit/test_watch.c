/* Unit tests for cluster/watch.c: watch events from a stream cut anywhere. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include "case_table.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/watch.h"

struct seen {
    int n;
    enum watch_type types[16];
    char names[16][64];
    char rvs[16][32];
    int codes[16];
    int stop_after;
};

static int record(void *ctx, enum watch_type type, cJSON *event, cJSON *object)
{
    struct seen *s = ctx;
    (void)event;
    if (s->n < 16) {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(object, "metadata");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
        const char *rv = watch_resource_version(object);
        s->types[s->n] = type;
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name ? name : "");
        snprintf(s->rvs[s->n], sizeof(s->rvs[0]), "%s", rv ? rv : "");
        s->codes[s->n] = type == WATCH_ERROR ? watch_error_code(object) : 0;
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static const char STREAM[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\","
    "\"resourceVersion\":\"11\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-b\","
    "\"resourceVersion\":\"12\"}}}\n"
    "\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Node\",\"metadata\":{\"resourceVersion\":\"15\"}"
    "}}\r\n"
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\","
    "\"resourceVersion\":\"16\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
    "\"Failure\","
    "\"message\":\"too old resource version: 1 (16)\",\"reason\":\"Expired\",\"code\":410}}\n";

/* Lines that are not watch events: each is an error on a fresh parser. */
static const char *const GARBAGE[] = {
    "not json at all\n",
    "[1,2,3]\n",
    "{\"type\":\"ADDED\"}\n",
    "{\"type\":\"EXPLODED\",\"object\":{}}\n",
    "{\"type\":7,\"object\":{}}\n",
    "{\"type\":\"ADDED\",\"object\":\"a string\"}\n",
    "{\"type\":\"ADDED\",\"object\":{}\n",
};

static void check_stream_events(const struct seen *s)
{
    assert_int_equal(s->n, 5);
    assert_int_equal(s->types[0], WATCH_ADDED);
    assert_string_equal(s->names[0], "node-a");
    assert_string_equal(s->rvs[0], "11");
    assert_int_equal(s->types[1], WATCH_MODIFIED);
    assert_string_equal(s->names[1], "node-b");
    assert_int_equal(s->types[2], WATCH_BOOKMARK);
    assert_string_equal(s->rvs[2], "15");
    assert_int_equal(s->types[3], WATCH_DELETED);
    assert_string_equal(s->rvs[3], "16");
    assert_int_equal(s->types[4], WATCH_ERROR);
    assert_int_equal(s->codes[4], 410);
}

/* A parser that records its events, and the error text of its last feed. */
struct watcher {
    struct seen seen;
    char err[128];
    struct watch_parser *p;
};

static struct watcher *watcher_new(size_t max_line, int stop_after)
{
    struct watcher *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->seen.stop_after = stop_after;
    w->p = watch_parser_new(max_line, record, &w->seen);
    return w;
}

static void watcher_free(struct watcher *w)
{
    watch_parser_free(w->p);
    free(w);
}

static enum watch_feed_result feed(struct watcher *w, const char *text, size_t len)
{
    return watch_feed(w->p, text, len, w->err, sizeof(w->err));
}

static void whole_stream_at_once(void **state)
{
    (void)state;
    struct watcher *w = watcher_new(4096, 0);
    assert_int_equal(feed(w, STREAM, strlen(STREAM)), WATCH_FEED_OK);
    check_stream_events(&w->seen);
    assert_int_equal(watch_parser_events(w->p), 5);
    watcher_free(w);
}

/* Every chunk size from 1 byte up gives the same events. */
static void any_chunk_boundaries(void **state)
{
    (void)state;
    for (size_t chunk = 1; chunk <= 64; chunk++) {
        struct watcher *w = watcher_new(4096, 0);
        size_t len = strlen(STREAM);
        for (size_t off = 0; off < len; off += chunk) {
            size_t n = len - off < chunk ? len - off : chunk;
            assert_int_equal(feed(w, STREAM + off, n), WATCH_FEED_OK);
        }
        check_stream_events(&w->seen);
        watcher_free(w);
    }
}

static void unfinished_line_waits(void **state)
{
    (void)state;
    struct watcher *w = watcher_new(4096, 0);
    const char *part = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\"}}}";
    assert_int_equal(feed(w, part, strlen(part)), WATCH_FEED_OK);
    assert_int_equal(w->seen.n, 0);
    assert_int_equal(feed(w, "\n", 1), WATCH_FEED_OK);
    assert_int_equal(w->seen.n, 1);
    /* reset drops a half line */
    assert_int_equal(feed(w, "{\"type\":", 8), WATCH_FEED_OK);
    watch_parser_reset(w->p);
    assert_int_equal(feed(w, part, strlen(part)), WATCH_FEED_OK);
    assert_int_equal(feed(w, "\n", 1), WATCH_FEED_OK);
    assert_int_equal(w->seen.n, 2);
    watcher_free(w);
}

static void oversized_line_refused(void **state)
{
    (void)state;
    struct watcher *w = watcher_new(100, 0);
    char big[150];
    memset(big, 'x', sizeof(big));
    assert_int_equal(feed(w, big, 60), WATCH_FEED_OK);
    assert_int_equal(feed(w, big, 60), WATCH_FEED_ERROR);
    assert_string_equal(w->err, "watch stream: event line longer than 100 bytes");
    assert_int_equal(w->seen.n, 0);
    /* in one chunk too, with the newline after the bound */
    watch_parser_reset(w->p);
    big[sizeof(big) - 1] = '\n';
    assert_int_equal(feed(w, big, sizeof(big)), WATCH_FEED_ERROR);
    watcher_free(w);
}

static void garbage_lines_are_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROWS(GARBAGE); i++) {
        struct watcher *w = watcher_new(4096, 0);
        assert_row_int_equal(GARBAGE[i], feed(w, GARBAGE[i], strlen(GARBAGE[i])), WATCH_FEED_ERROR);
        assert_row_true(GARBAGE[i], strstr(w->err, "watch stream: malformed event") != NULL);
        assert_row_int_equal(GARBAGE[i], w->seen.n, 0);
        watcher_free(w);
    }
}

static void callback_can_stop(void **state)
{
    (void)state;
    struct watcher *w = watcher_new(4096, 2);
    assert_int_equal(feed(w, STREAM, strlen(STREAM)), WATCH_FEED_STOPPED);
    assert_int_equal(w->seen.n, 2);
    watcher_free(w);
}

static void error_code_of_status(void **state)
{
    (void)state;
    cJSON *st = cJSON_Parse("{\"kind\":\"Status\",\"code\":410}");
    assert_int_equal(watch_error_code(st), 410);
    cJSON_Delete(st);
    st = cJSON_Parse("{\"kind\":\"Status\",\"code\":\"410\"}");
    assert_int_equal(watch_error_code(st), 0);
    cJSON_Delete(st);
    assert_int_equal(watch_error_code(NULL), 0);
    assert_int_equal(watch_type_from_name("BOOKMARK"), WATCH_BOOKMARK);
    assert_int_equal(watch_type_from_name("bookmark"), -1);
}

TEST_MAIN(cmocka_unit_test(whole_stream_at_once), cmocka_unit_test(any_chunk_boundaries),
          cmocka_unit_test(unfinished_line_waits), cmocka_unit_test(oversized_line_refused),
          cmocka_unit_test(garbage_lines_are_errors), cmocka_unit_test(callback_can_stop),
          cmocka_unit_test(error_code_of_status))
