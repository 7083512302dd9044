/*
 * tests/fuzz/fuzz_watch.c - libFuzzer target: the bytes are a watch stream
 * from the API server (cluster/watch.c), cut into chunks the way libcurl may
 * deliver them.  The first input byte picks the chunk size, so the same events
 * are tried across every boundary.  A failure always says why; after one the
 * parser is reset and fed the rest, as the live view does when it resumes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cluster/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small bound so that oversized lines are reached quickly. */
#define FUZZ_WATCH_MAX_LINE 4096

struct seen {
    unsigned long events;
    int take; /* alternate: detach the object (as the cache does) or leave it */
};

static int on_event(void *ctx, enum watch_type type, cJSON *event, cJSON *object)
{
    struct seen *s = ctx;
    s->events++;
    if (type == WATCH_ERROR)
        (void)watch_error_code(object);
    (void)watch_resource_version(object);
    if ((s->take ^= 1) != 0)
        cJSON_Delete(cJSON_DetachItemViaPointer(event, object));
    return type == WATCH_BOOKMARK && s->events > 1000; /* exercise the stop path too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 64 + 1;
    data++;
    size--;
    struct seen s = {0};
    struct watch_parser *p = watch_parser_new(FUZZ_WATCH_MAX_LINE, on_event, &s);
    if (!p)
        return 0;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        char err[256] = "";
        enum watch_feed_result r = watch_feed(p, (const char *)data + off, n, err, sizeof(err));
        if (r == WATCH_FEED_ERROR) {
            if (err[0] == '\0')
                abort(); /* a stream error always says why */
            watch_parser_reset(p);
        } else if (r == WATCH_FEED_STOPPED) {
            watch_parser_reset(p);
        }
    }
    if (watch_parser_events(p) != s.events)
        abort(); /* the parser's count and the callbacks agree */
    watch_parser_free(p);
    return 0;
}
