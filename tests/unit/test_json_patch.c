/* Unit tests for rules/json_patch.c: JSON Pointer escaping (RFC 6901) and "add" operations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdlib.h>
#include <string.h>

#include "rules/json_patch.h"

static void escapes_tilde_then_slash(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"cpu-model.node.kubevirt.io/XYZ", "cpu-model.node.kubevirt.io~1XYZ"},
        {"a~b", "a~0b"},
        {"~/", "~0~1"},
        {"~1", "~01"},
        {"/~0/", "~1~00~1"},
        {"", ""},
        {"plain", "plain"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = json_pointer_escape(cases[i][0]);
        assert_string_equal(got, cases[i][1]);
        free(got);
    }
}

static void appends_token_to_parent(void **state)
{
    (void)state;
    char *p = json_pointer_append("/spec/nodeSelector", "kubernetes.io/hostname");
    assert_string_equal(p, "/spec/nodeSelector/kubernetes.io~1hostname");
    free(p);
    p = json_pointer_append("", "spec");
    assert_string_equal(p, "/spec");
    free(p);
}

static void add_member_builds_op(void **state)
{
    (void)state;
    struct verdict v;
    verdict_init(&v);
    assert_int_equal(json_patch_add_member(&v, "/spec/nodeSelector",
                                           "cpu-model.node.kubevirt.io/123",
                                           cJSON_CreateString("true")),
                     0);
    assert_int_equal(
        json_patch_add_member(&v, "/metadata/annotations", "a~b", cJSON_CreateNumber(5)), 0);
    char *text = cJSON_PrintUnformatted(v.patch);
    assert_string_equal(
        text, "[{\"op\":\"add\",\"path\":\"/spec/nodeSelector/cpu-model.node.kubevirt.io~1123\","
              "\"value\":\"true\"},{\"op\":\"add\",\"path\":\"/metadata/annotations/"
              "a~0b\",\"value\":5}]");
    free(text);
    verdict_free(&v);
}

TEST_MAIN(cmocka_unit_test(escapes_tilde_then_slash), cmocka_unit_test(appends_token_to_parent),
          cmocka_unit_test(add_member_builds_op))
