/*
 * server/json_arena.h - a per-thread bump allocator for the cJSON tree of a
 * request body.
 *
 * Parsing a review makes one cJSON item and usually one string per JSON
 * value: thousands of small mallocs, and as many frees afterwards.  While an
 * arena is open on a thread, cJSON's allocations on that thread come from a
 * few large blocks instead; closing the arena drops the whole tree at once.
 * Only the parse runs inside the arena: everything the rules and the encoder
 * allocate afterwards is ordinary heap memory, so nothing that outlives the
 * review (the answer body, log lines) can come from it.
 *
 * cJSON's free hook frees what is not arena memory, so objects made outside an
 * arena, on any thread, are unaffected.
 */
#ifndef MW_SERVER_JSON_ARENA_H
#define MW_SERVER_JSON_ARENA_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* First block of a thread's arena; later blocks double, up to what a request needs. */
#define MW_JSON_ARENA_BLOCK_BYTES (64u * 1024u)

/* Installs the cJSON hooks (once per process; call before starting threads). */
void json_arena_install(void);

/*
 * Parses `len` bytes of `text` into the calling thread's arena (opened and
 * closed around the parse).  *end is set as cJSON_ParseWithLengthOpts sets it.
 * The tree must be given back with json_arena_release on the same thread,
 * never with cJSON_Delete of another thread.  NULL on a parse error.
 */
cJSON *json_arena_parse(const char *text, size_t len, const char **end);

/* Drops every tree parsed into this thread's arena (keeps the first block for reuse). */
void json_arena_release(void);

/* Bytes in this thread's arena blocks (for tests). */
size_t json_arena_capacity(void);

#endif
