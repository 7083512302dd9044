/*
 * server/json_arena.c - the request-body arena behind json_arena_parse().
 *
 * Blocks form a list per thread; allocation bumps a pointer in the newest
 * block (16-byte aligned), opening a block twice the size of the last when it
 * is full.  The free hook ignores pointers inside this thread's blocks (they
 * go when the arena is released) and passes every other pointer to free().
 */
#include "server/json_arena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct block {
    struct block *next; /* older block */
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct block *head; /* newest */
    int open;           /* allocations go to the arena */
};

static __thread struct arena arena;

/* Frees a thread's blocks when the thread ends (its arena pointer is the key's value). */
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_blocks(void *unused)
{
    (void)unused;
    for (struct block *b = arena.head, *older; b; b = older) {
        older = b->next;
        free(b);
    }
    arena.head = NULL;
}

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, free_blocks);
}

static int in_arena(const void *p)
{
    for (const struct block *b = arena.head; b; b = b->next)
        if ((const unsigned char *)p >= b->data && (const unsigned char *)p < b->data + b->size)
            return 1;
    return 0;
}

static void *arena_malloc(size_t n)
{
    if (!arena.open)
        return malloc(n);
    n = (n + 15) & ~(size_t)15;
    struct block *b = arena.head;
    if (!b || b->size - b->used < n) {
        size_t size = b ? b->size * 2 : MW_JSON_ARENA_BLOCK_BYTES;
        while (size < n)
            size *= 2;
        struct block *nb = malloc(sizeof(*nb) + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        nb->next = b;
        if (!b) { /* this thread's first block: free the blocks when it ends */
            pthread_once(&key_once, make_exit_key);
            pthread_setspecific(exit_key, &arena);
        }
        arena.head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(void *p)
{
    if (p && !in_arena(p))
        free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void install_hooks(void)
{
    cJSON_Hooks hooks = {.malloc_fn = arena_malloc, .free_fn = arena_free};
    cJSON_InitHooks(&hooks);
}

void json_arena_install(void)
{
    pthread_once(&hooks_once, install_hooks);
}

cJSON *json_arena_parse(const char *text, size_t len, const char **end)
{
    json_arena_install();
    arena.open = 1;
    cJSON *tree = cJSON_ParseWithLengthOpts(text, len, end, 0);
    arena.open = 0;
    return tree;
}

void json_arena_release(void)
{
    struct block *b = arena.head;
    if (!b)
        return;
    /* Keep the oldest (smallest) block; free the rest. */
    while (b->next) {
        struct block *older = b->next;
        free(b);
        b = older;
    }
    b->used = 0;
    arena.head = b;
}

size_t json_arena_capacity(void)
{
    size_t n = 0;
    for (const struct block *b = arena.head; b; b = b->next)
        n += b->size;
    return n;
}
