/*
 * tests/unit/test_main.h - the main() of every unit test: the cases listed
 * run as one cmocka group, and the exit status is the number that failed.
 *
 *   TEST_MAIN(cmocka_unit_test(first_case), cmocka_unit_test(second_case))
 */
#ifndef MW_TESTS_TEST_MAIN_H
#define MW_TESTS_TEST_MAIN_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define TEST_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                           \
        return cmocka_run_group_tests(tests, NULL, NULL);                                          \
    }

#endif
