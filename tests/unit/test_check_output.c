/* Unit tests for server/check_output.c: the --node and --all tables (100 columns, "…" cuts, UTF-8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/check_output.h"

static void columns_count_characters_not_bytes(void **state)
{
    (void)state;
    assert_int_equal(check_text_columns(""), 0);
    assert_int_equal(check_text_columns("node-a"), 6);
    assert_int_equal(check_text_columns("2 GiB × 800 s — ok…"), 19);
}

static void fit_cuts_on_a_character_and_leaves_room_for_the_ellipsis(void **state)
{
    (void)state;
    bool cut;
    assert_int_equal(check_fit_prefix("abcdef", 6, &cut), 6);
    assert_false(cut);
    assert_int_equal(check_fit_prefix("abcdef", 4, &cut), 3); /* "abc" + "…" */
    assert_true(cut);
    /* "a×b": × is two bytes; 3 columns fit whole, 2 columns keep "a" and the ellipsis */
    assert_int_equal(check_fit_prefix("a×bc", 4, &cut), strlen("a×bc"));
    assert_false(cut);
    assert_int_equal(check_fit_prefix("a×bc", 3, &cut), strlen("a×"));
    assert_true(cut);
    assert_int_equal(check_fit_prefix("×××", 2, &cut), strlen("×"));
    assert_true(cut);
    assert_int_equal(check_fit_prefix("abc", 0, &cut), 0);
    assert_true(cut);
}

/* A report with a long reason and long names: every line within 100 columns, no colour. */
static void all_table_fits_the_width(void **state)
{
    (void)state;
    char long_reason[600], long_name[100];
    memset(long_reason, 'r', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    cJSON *report = cJSON_CreateObject();
    cJSON_AddStringToObject(report, "namespace", "default");
    cJSON *vms = cJSON_AddArrayToObject(report, "vms");
    for (int i = 0; i < 2; i++) {
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "namespace",
                                i ? "a-very-long-namespace-name-indeed" : "default");
        cJSON_AddStringToObject(row, "name", i ? long_name : "vm");
        cJSON_AddStringToObject(row, "node", "node-a");
        cJSON_AddStringToObject(row, "verdict", "blocked");
        cJSON_AddBoolToObject(row, "migratable", false);
        cJSON_AddStringToObject(row, "reason", long_reason);
        cJSON_AddItemToObject(row, "candidates", cJSON_CreateArray());
        cJSON_AddItemToArray(vms, row);
    }
    cJSON *counts = cJSON_AddObjectToObject(report, "counts");
    cJSON_AddNumberToObject(counts, "vms", 2);
    cJSON_AddNumberToObject(counts, "blocked", 2);
    cJSON_AddObjectToObject(report, "rules");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    check_print_all(report, out, false);
    fclose(out);
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        assert_true(check_text_columns(line) <= CHECK_TABLE_WIDTH);
        assert_null(strchr(line, '\033'));
        lines++;
    }
    assert_int_equal(lines, 4); /* titles, two rows, the counts */
    free(buf);
    cJSON_Delete(report);
}

TEST_MAIN(cmocka_unit_test(columns_count_characters_not_bytes),
          cmocka_unit_test(fit_cuts_on_a_character_and_leaves_room_for_the_ellipsis),
          cmocka_unit_test(all_table_fits_the_width))
