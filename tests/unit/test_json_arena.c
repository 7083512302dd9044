/*
 * Unit tests for server/json_arena.c: a request tree parsed into the arena
 * reads like any cJSON tree, is dropped at once, and objects made outside the
 * arena (before, during or after a review, on any thread) are freed normally.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/json_arena.h"

static void parsed_tree_reads_and_is_released(void **state)
{
    (void)state;
    json_arena_install();
    cJSON *outside = cJSON_CreateString("made before the review");
    const char text[] =
        "{\"request\":{\"uid\":\"u-1\",\"object\":{\"spec\":{\"volumes\":[1,2,3]}}}}  ";
    const char *end = NULL;
    cJSON *tree = json_arena_parse(text, strlen(text), &end);
    assert_non_null(tree);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(tree, "request"), "uid")->valuestring, "u-1");
    assert_true(json_arena_capacity() >= MW_JSON_ARENA_BLOCK_BYTES);
    /* Made while the tree is alive, outside the arena: ordinary memory. */
    cJSON *answer = cJSON_CreateObject();
    cJSON_AddStringToObject(answer, "uid", "u-1");
    char *printed = cJSON_PrintUnformatted(answer);
    assert_string_equal(printed, "{\"uid\":\"u-1\"}");
    free(printed); /* the answer body is handed to libmicrohttpd, which frees it with free() */
    cJSON_Delete(answer);
    /* Deleting part of the arena tree is harmless (a no-op). */
    cJSON_Delete(cJSON_DetachItemFromObject(tree, "request"));
    json_arena_release();
    cJSON_Delete(outside);
}

static void bad_json_and_big_bodies(void **state)
{
    (void)state;
    const char *end = NULL;
    assert_null(json_arena_parse("{\"a\":[1,2,", 10, &end));
    json_arena_release();
    /* A body far larger than the first block: the arena grows, then shrinks back. */
    size_t n = 200000;
    char *big = malloc(n * 8 + 16);
    char *p = big;
    *p++ = '[';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\"v%zu\"", i ? "," : "", i % 1000);
    *p++ = ']';
    cJSON *tree = json_arena_parse(big, (size_t)(p - big), &end);
    assert_non_null(tree);
    assert_int_equal(cJSON_GetArraySize(tree), (int)n);
    assert_true(json_arena_capacity() > 4 * MW_JSON_ARENA_BLOCK_BYTES);
    json_arena_release();
    assert_int_equal(json_arena_capacity(), MW_JSON_ARENA_BLOCK_BYTES);
    free(big);
}

static void *review_on_a_thread(void *arg)
{
    cJSON *shared = arg; /* made on the main thread, freed here */
    const char *end = NULL;
    for (int i = 0; i < 100; i++) {
        cJSON *tree = json_arena_parse("{\"k\":\"v\"}", 9, &end);
        if (!tree || strcmp(cJSON_GetObjectItem(tree, "k")->valuestring, "v") != 0)
            return (void *)1;
        json_arena_release();
    }
    cJSON_Delete(shared);
    return NULL;
}

static void threads_have_their_own_arenas(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, review_on_a_thread, cJSON_CreateString("x")),
                         0);
    for (int i = 0; i < 4; i++) {
        void *rc = (void *)1;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
}

TEST_MAIN(cmocka_unit_test(parsed_tree_reads_and_is_released),
          cmocka_unit_test(bad_json_and_big_bodies),
          cmocka_unit_test(threads_have_their_own_arenas))
