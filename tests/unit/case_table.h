/*
 * tests/unit/case_table.h - assertions for tables of cases walked by a loop:
 * cmocka's own message says what differed, these say first which row it was.
 *
 *   for (size_t i = 0; i < ROWS(cases); i++)
 *       assert_row_int_equal(cases[i].name, f(cases[i].in), cases[i].want);
 */
#ifndef MW_TESTS_CASE_TABLE_H
#define MW_TESTS_CASE_TABLE_H

#include <string.h>

#include "test_main.h"

/* The number of rows of a table (an array, not a pointer). */
#define ROWS(table) (sizeof(table) / sizeof((table)[0]))

/* Prints "row <name>" when `failing`, so that the assertion which follows names its row. */
static inline void name_failing_row(const char *row, int failing)
{
    if (failing)
        print_message("row %s\n", row);
}

/* Whether two strings, either of which may be NULL, differ. */
static inline int strings_differ(const char *a, const char *b)
{
    return !a || !b ? a != b : strcmp(a, b) != 0;
}

/* cmocka's assertions, preceded by the row's name when they fail (the values are read twice). */
#define assert_row_true(row, cond)                                                                 \
    do {                                                                                           \
        name_failing_row((row), !(cond));                                                          \
        assert_true(cond);                                                                         \
    } while (0)

#define assert_row_int_equal(row, a, b)                                                            \
    do {                                                                                           \
        name_failing_row((row), (a) != (b));                                                       \
        assert_int_equal(a, b);                                                                    \
    } while (0)

#define assert_row_string_equal(row, a, b)                                                         \
    do {                                                                                           \
        name_failing_row((row), strings_differ((a), (b)));                                         \
        assert_string_equal(a, b);                                                                 \
    } while (0)

#endif
