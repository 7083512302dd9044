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

/* cmocka's assertions, preceded by the row's name when they fail; each value is read once. */
#define assert_row_true(row, cond)                                                                 \
    do {                                                                                           \
        const int holds_ = (cond) ? 1 : 0;                                                         \
        name_failing_row((row), !holds_);                                                          \
        _assert_true(holds_, #cond, __FILE__, __LINE__);                                           \
    } while (0)

#define assert_row_int_equal(row, a, b)                                                            \
    do {                                                                                           \
        const long long a_ = (long long)(a), b_ = (long long)(b);                                  \
        name_failing_row((row), a_ != b_);                                                         \
        assert_int_equal(a_, b_);                                                                  \
    } while (0)

#define assert_row_string_equal(row, a, b)                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        name_failing_row((row), strings_differ(a_, b_));                                           \
        assert_string_equal(a_, b_);                                                               \
    } while (0)

#endif
