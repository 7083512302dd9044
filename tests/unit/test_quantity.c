/* Unit tests for kube/quantity.c: Kubernetes quantities read exactly, garbage and overflow
 * refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <string.h>

#include "kube/quantity.h"

struct quantity_case {
    const char *text;
    enum quantity_result result;
    int64_t value;
};

static const struct quantity_case cases[] = {
    /* plain bytes */
    {"0", QUANTITY_OK, 0},
    {"1", QUANTITY_OK, 1},
    {"134217728", QUANTITY_OK, 134217728},
    {"+5", QUANTITY_OK, 5},
    {"-5", QUANTITY_OK, -5},
    {"007", QUANTITY_OK, 7},
    /* binary suffixes */
    {"1Ki", QUANTITY_OK, 1024},
    {"128Mi", QUANTITY_OK, 134217728},
    {"8Gi", QUANTITY_OK, 8589934592LL},
    {"1Ti", QUANTITY_OK, 1099511627776LL},
    {"1Pi", QUANTITY_OK, 1125899906842624LL},
    {"1Ei", QUANTITY_OK, 1152921504606846976LL},
    {"7Ei", QUANTITY_OK, 8070450532247928832LL},
    /* decimal SI suffixes */
    {"1k", QUANTITY_OK, 1000},
    {"1K", QUANTITY_OK, 1000},
    {"1024M", QUANTITY_OK, 1024000000LL},
    {"2G", QUANTITY_OK, 2000000000LL},
    {"1T", QUANTITY_OK, 1000000000000LL},
    {"1P", QUANTITY_OK, 1000000000000000LL},
    {"1E", QUANTITY_OK, 1000000000000000000LL},
    {"9E", QUANTITY_OK, 9000000000000000000LL},
    /* milli and fractions round up (Quantity.Value()) */
    {"100m", QUANTITY_OK, 1},
    {"1000m", QUANTITY_OK, 1},
    {"1500m", QUANTITY_OK, 2},
    {"-1500m", QUANTITY_OK, -1},
    {"1.5Gi", QUANTITY_OK, 1610612736LL},
    {"0.5Ki", QUANTITY_OK, 512},
    {".5Ki", QUANTITY_OK, 512},
    {"5.", QUANTITY_OK, 5},
    {"1.05k", QUANTITY_OK, 1050},
    {"1.50000000000000000000000Gi", QUANTITY_OK, 1610612736LL},
    {"0.000000000000000000000000001", QUANTITY_OK, 1},
    {"2.5", QUANTITY_OK, 3},
    /* exponents */
    {"1e3", QUANTITY_OK, 1000},
    {"1E3", QUANTITY_OK, 1000},
    {"1.5e3", QUANTITY_OK, 1500},
    {"12e-1", QUANTITY_OK, 2},
    {"1e+6", QUANTITY_OK, 1000000},
    {"1e18", QUANTITY_OK, 1000000000000000000LL},
    /* the edges of int64 */
    {"9223372036854775807", QUANTITY_OK, INT64_MAX},
    {"-9223372036854775808", QUANTITY_OK, INT64_MIN},
    {"-8Ei", QUANTITY_OK, INT64_MIN},
    /* overflow */
    {"9223372036854775808", QUANTITY_OVERFLOW, 0},
    {"8Ei", QUANTITY_OVERFLOW, 0},
    {"10E", QUANTITY_OVERFLOW, 0},
    {"1e19", QUANTITY_OVERFLOW, 0},
    {"1e999", QUANTITY_OVERFLOW, 0},
    {"99999999999999999999999", QUANTITY_OVERFLOW, 0},
    {"1.00000000000000000001", QUANTITY_OVERFLOW, 0},
    /* garbage */
    {"", QUANTITY_GARBAGE, 0},
    {"Gi", QUANTITY_GARBAGE, 0},
    {".", QUANTITY_GARBAGE, 0},
    {"-", QUANTITY_GARBAGE, 0},
    {"1.2.3", QUANTITY_GARBAGE, 0},
    {"8 Gi", QUANTITY_GARBAGE, 0},
    {" 8Gi", QUANTITY_GARBAGE, 0},
    {"8Gi ", QUANTITY_GARBAGE, 0},
    {"8gi", QUANTITY_GARBAGE, 0},
    {"8GB", QUANTITY_GARBAGE, 0},
    {"8Gib", QUANTITY_GARBAGE, 0},
    {"1e", QUANTITY_GARBAGE, 0},
    {"1e3Gi", QUANTITY_GARBAGE, 0},
    {"1e1001", QUANTITY_GARBAGE, 0},
    {"0x10", QUANTITY_GARBAGE, 0},
    {"lots", QUANTITY_GARBAGE, 0},
    {"--1", QUANTITY_GARBAGE, 0},
    {"1\xc3\xa9", QUANTITY_GARBAGE, 0},
};

static void quantity_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t value = 0;
        enum quantity_result r = quantity_parse(cases[i].text, &value);
        if (r != cases[i].result)
            fail_msg("\"%s\": result %d, expected %d", cases[i].text, r, cases[i].result);
        if (r == QUANTITY_OK && value != cases[i].value)
            fail_msg("\"%s\": %lld, expected %lld", cases[i].text, (long long)value,
                     (long long)cases[i].value);
    }
}

static void refuses_null_and_long_text(void **state)
{
    (void)state;
    int64_t value = 42;
    assert_int_equal(quantity_parse(NULL, &value), QUANTITY_GARBAGE);
    char text[QUANTITY_MAX_TEXT + 2];
    memset(text, '0', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(quantity_parse(text, &value), QUANTITY_GARBAGE);
    text[QUANTITY_MAX_TEXT] = '\0'; /* exactly the limit: zeros are fine */
    assert_int_equal(quantity_parse(text, &value), QUANTITY_OK);
    assert_int_equal(value, 0);
    assert_string_equal(quantity_result_text(QUANTITY_GARBAGE), "not a Kubernetes quantity");
}

TEST_MAIN(cmocka_unit_test(quantity_table), cmocka_unit_test(refuses_null_and_long_text))
