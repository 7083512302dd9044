/* Unit tests for kube/base64.c: the RFC 4648 test vectors both ways, binary bytes kept, and
 * what is not base64 refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdlib.h>
#include <string.h>

#include "kube/base64.h"

static const char *const vectors[][2] = {
    {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char *enc = base64_encode(vectors[i][0], strlen(vectors[i][0]));
        assert_non_null(enc);
        assert_string_equal(enc, vectors[i][1]);
        free(enc);
        size_t n = 0;
        char *dec = base64_decode(vectors[i][1], &n);
        assert_non_null(dec);
        assert_int_equal(n, strlen(vectors[i][0]));
        assert_string_equal(dec, vectors[i][0]);
        free(dec);
    }
    char *empty = base64_encode("", 0);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);
}

static void test_binary_round_trip(void **state)
{
    (void)state;
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    char *enc = base64_encode(bytes, sizeof bytes);
    assert_non_null(enc);
    assert_int_equal(strlen(enc), 4 * ((sizeof bytes + 2) / 3));
    assert_null(strchr(enc, '\n')); /* one line, as the AdmissionReview patch wants */
    size_t n = 0;
    char *dec = base64_decode(enc, &n);
    assert_non_null(dec);
    assert_int_equal(n, sizeof bytes);
    assert_memory_equal(dec, bytes, sizeof bytes);
    assert_int_equal(dec[n], '\0');
    free(dec);
    free(enc);
}

static void test_invalid_refused(void **state)
{
    (void)state;
    const char *bad[] = {"", "Zg=", "Zg", "Zm9v\nYmFy", "Zm9*", "Z===", "@@@@"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 12345;
        char *dec = base64_decode(bad[i], &n);
        if (dec)
            fail_msg("\"%s\" decoded", bad[i]);
        assert_int_equal(n, 12345); /* untouched */
    }
}

TEST_MAIN(cmocka_unit_test(test_rfc4648_vectors), cmocka_unit_test(test_binary_round_trip),
          cmocka_unit_test(test_invalid_refused))
