/*
 * cluster/watch.h - parsing a Kubernetes watch stream.
 *
 * A watch response is newline-delimited JSON, one event per line:
 *   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}
 * The bytes arrive in arbitrary chunks (libcurl write callbacks); the parser
 * keeps the unfinished line between calls and hands every complete event to a
 * callback.  A line longer than the parser's bound, a line that is not JSON,
 * or an event without a known type and an object object is a stream error:
 * the caller drops the stream and resumes from its last resourceVersion.
 */
#ifndef MW_CLUSTER_WATCH_H
#define MW_CLUSTER_WATCH_H

#include <stddef.h>
#include <cjson/cJSON.h>

enum watch_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED, WATCH_BOOKMARK, WATCH_ERROR };

/*
 * Called once per event.  `object` belongs to the parser and is freed when
 * the callback returns; the callback may take it with cJSON_DetachItemViaPointer
 * from `event`.  Return 0 to go on, non-zero to stop (watch_feed then returns
 * WATCH_STOPPED).
 */
typedef int (*watch_event_fn)(void *ctx, enum watch_type type, cJSON *event, cJSON *object);

enum watch_feed_result { WATCH_FEED_OK = 0, WATCH_FEED_STOPPED = 1, WATCH_FEED_ERROR = -1 };

struct watch_parser;

/* A parser refusing lines longer than max_line bytes.  NULL when out of memory.  Free with
 * watch_parser_free. */
struct watch_parser *watch_parser_new(size_t max_line, watch_event_fn fn, void *ctx);
void watch_parser_free(struct watch_parser *p);

/* Forgets any unfinished line (a new stream begins). */
void watch_parser_reset(struct watch_parser *p);

/*
 * Feeds `len` bytes.  Returns WATCH_FEED_OK, WATCH_FEED_STOPPED (the callback
 * asked to stop), or WATCH_FEED_ERROR with one line in err; after an error the
 * parser must be reset before it is fed again.
 */
enum watch_feed_result watch_feed(struct watch_parser *p, const char *data, size_t len, char *err,
                                  size_t errlen);

/* Events handed to the callback since the parser was made. */
unsigned long watch_parser_events(const struct watch_parser *p);

/* "ADDED" -> WATCH_ADDED ...; -1 when unknown. */
int watch_type_from_name(const char *name);

/* The HTTP code of an ERROR event's Status object (0 when it has none). */
int watch_error_code(const cJSON *status);

/* metadata.resourceVersion of an object, or NULL. */
const char *watch_resource_version(const cJSON *object);

#endif
