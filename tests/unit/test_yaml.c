/* Unit tests for kube/yaml.c: YAML and JSON text to cJSON, typing, limits and error positions.
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
#include <unistd.h>

#include "kube/yaml.h"

static char err[512];

/* Parses `text` as "t.yaml"; the document array, or NULL with `err` set. */
static cJSON *parse(const char *text)
{
    err[0] = '\0';
    return yaml_parse(text, strlen(text), "t.yaml", err, sizeof(err));
}

/* The first document of `text`, which must parse; the array is returned in *docs for freeing. */
static const cJSON *first_doc(const char *text, cJSON **docs)
{
    *docs = parse(text);
    if (!*docs)
        fail_msg("unexpected error: %s", err);
    assert_true(cJSON_GetArraySize(*docs) >= 1);
    return cJSON_GetArrayItem(*docs, 0);
}

static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        fail_msg("no field %s", key);
    return v;
}

static void assert_string_field(const cJSON *obj, const char *key, const char *want)
{
    const cJSON *v = field(obj, key);
    assert_true(cJSON_IsString(v));
    assert_string_equal(v->valuestring, want);
}

static void assert_number_field(const cJSON *obj, const char *key, double want)
{
    const cJSON *v = field(obj, key);
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble == want);
}

/* Parsing must fail with exactly `want` as the error line. */
static void assert_parse_error(const char *text, const char *want)
{
    cJSON *docs = parse(text);
    if (docs) {
        char *s = cJSON_PrintUnformatted(docs);
        cJSON_Delete(docs);
        fail_msg("parsed to %s, wanted error %s", s, want);
    }
    assert_string_equal(err, want);
}

static void quoted_true_is_a_string_plain_true_a_boolean(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("plain: true\n"
                               "double: \"true\"\n"
                               "single: 'true'\n"
                               "upper: TRUE\n"
                               "title: False\n"
                               "label: \"false\"\n",
                               &docs);
    assert_true(cJSON_IsTrue(field(d, "plain")));
    assert_string_field(d, "double", "true");
    assert_string_field(d, "single", "true");
    assert_true(cJSON_IsTrue(field(d, "upper")));
    assert_true(cJSON_IsFalse(field(d, "title")));
    assert_string_field(d, "label", "false");
    cJSON_Delete(docs);
}

static void yes_no_on_off_stay_strings(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("a: yes\nb: no\nc: on\nd: off\ne: Yes\nf: NO\ng: y\nh: n\n", &docs);
    assert_string_field(d, "a", "yes");
    assert_string_field(d, "b", "no");
    assert_string_field(d, "c", "on");
    assert_string_field(d, "d", "off");
    assert_string_field(d, "e", "Yes");
    assert_string_field(d, "f", "NO");
    assert_string_field(d, "g", "y");
    assert_string_field(d, "h", "n");
    cJSON_Delete(docs);
}

static void numbers(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("int: 42\n"
                               "negative: -7\n"
                               "plus: +5\n"
                               "zero: 0\n"
                               "float: 3.5\n"
                               "half: .5\n"
                               "exp: 1e3\n"
                               "negexp: -2.5E-1\n"
                               "hex: 0x1F\n"
                               "octal: 0o17\n"
                               "negoctal: -0o7\n"
                               "big: 12345678901234567890\n"
                               "quoted: \"42\"\n"
                               "version: 1.2.3\n"
                               "underscore: 1_000\n"
                               "quantity: 8Gi\n"
                               "badhex: 0x\n"
                               "inf: .inf\n"
                               "neginf: -.Inf\n"
                               "nan: .NaN\n"
                               "huge: 1e999\n",
                               &docs);
    assert_number_field(d, "int", 42);
    assert_number_field(d, "negative", -7);
    assert_number_field(d, "plus", 5);
    assert_number_field(d, "zero", 0);
    assert_number_field(d, "float", 3.5);
    assert_number_field(d, "half", 0.5);
    assert_number_field(d, "exp", 1000);
    assert_number_field(d, "negexp", -0.25);
    assert_number_field(d, "hex", 31);
    assert_number_field(d, "octal", 15);
    assert_number_field(d, "negoctal", -7);
    assert_number_field(d, "big", 12345678901234567890.0);
    assert_string_field(d, "quoted", "42");
    assert_string_field(d, "version", "1.2.3");
    assert_string_field(d, "underscore", "1_000");
    assert_string_field(d, "quantity", "8Gi");
    assert_string_field(d, "badhex", "0x");
    /* JSON cannot write infinities or NaN: they stay as their text. */
    assert_string_field(d, "inf", ".inf");
    assert_string_field(d, "neginf", "-.Inf");
    assert_string_field(d, "nan", ".NaN");
    assert_string_field(d, "huge", "1e999");
    char *printed = cJSON_PrintUnformatted(d);
    assert_non_null(printed);
    cJSON_free(printed);
    cJSON_Delete(docs);
}

static void null_forms(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d =
        first_doc("a: null\nb: Null\nc: NULL\nd: ~\ne:\nf: \"null\"\ng: '~'\nh: nil\n", &docs);
    assert_true(cJSON_IsNull(field(d, "a")));
    assert_true(cJSON_IsNull(field(d, "b")));
    assert_true(cJSON_IsNull(field(d, "c")));
    assert_true(cJSON_IsNull(field(d, "d")));
    assert_true(cJSON_IsNull(field(d, "e")));
    assert_string_field(d, "f", "null");
    assert_string_field(d, "g", "~");
    assert_string_field(d, "h", "nil");
    cJSON_Delete(docs);
}

static void block_scalars_are_strings(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("literal: |\n"
                               "  line 1\n"
                               "  line 2\n"
                               "folded: >\n"
                               "  folded\n"
                               "  text\n"
                               "stripped: |-\n"
                               "  true\n"
                               "number: |\n"
                               "  42\n",
                               &docs);
    assert_string_field(d, "literal", "line 1\nline 2\n");
    assert_string_field(d, "folded", "folded text\n");
    assert_string_field(d, "stripped", "true");
    assert_string_field(d, "number", "42\n");
    cJSON_Delete(docs);
}

static void tags(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc(
        "s: !!str 123\nb: !!str true\ni: !!int \"42\"\nt: !!bool \"true\"\nn: !!null ''\n", &docs);
    assert_string_field(d, "s", "123");
    assert_string_field(d, "b", "true");
    assert_number_field(d, "i", 42);
    assert_true(cJSON_IsTrue(field(d, "t")));
    assert_true(cJSON_IsNull(field(d, "n")));
    cJSON_Delete(docs);
    assert_parse_error("i: !!int abc\n",
                       "t.yaml:1:4: \"abc\" is not a valid tag:yaml.org,2002:int");
}

static void anchors_and_aliases(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("base: &labels\n"
                               "  app: web\n"
                               "  tier: [front, back]\n"
                               "copy: *labels\n"
                               "name: &n vm1\n"
                               "again: *n\n"
                               "list: [*n, *n]\n",
                               &docs);
    const cJSON *copy = field(d, "copy");
    assert_true(cJSON_IsObject(copy));
    assert_string_field(copy, "app", "web");
    assert_int_equal(cJSON_GetArraySize(field(copy, "tier")), 2);
    assert_ptr_not_equal(copy, field(d, "base")); /* a copy, freed on its own */
    assert_string_field(d, "again", "vm1");
    assert_string_equal(cJSON_GetArrayItem(field(d, "list"), 1)->valuestring, "vm1");
    cJSON_Delete(docs);
    assert_parse_error("a: *nope\n", "t.yaml:1:4: unknown alias *nope");
    /* Anchors belong to their document. */
    assert_parse_error("a: &x 1\n---\nb: *x\n", "t.yaml:3:4: unknown alias *x");
}

static void alias_bomb_is_refused(void **state)
{
    (void)state;
    /* "Billion laughs": 10^9 strings once expanded. */
    const char *bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    cJSON *docs = parse(bomb);
    assert_null(docs);
    assert_string_equal(err, "t.yaml:5:36: aliases expand to more than 100000 nodes");

    /* A few ordinary aliases are fine. */
    cJSON *ok = parse("a: &a [x, y]\nb: [*a, *a, *a]\n");
    assert_non_null(ok);
    cJSON_Delete(ok);
}

static void depth_limit(void **state)
{
    (void)state;
    char deep[2 * MW_MAX_YAML_DEPTH + 8], ok[2 * MW_MAX_YAML_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < MW_MAX_YAML_DEPTH + 1; i++)
        deep[n++] = '[';
    for (int i = 0; i < MW_MAX_YAML_DEPTH + 1; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    assert_parse_error(deep, "t.yaml:1:65: nested deeper than 64 levels");

    n = 0;
    for (int i = 0; i < MW_MAX_YAML_DEPTH; i++)
        ok[n++] = '[';
    for (int i = 0; i < MW_MAX_YAML_DEPTH; i++)
        ok[n++] = ']';
    ok[n] = '\0';
    cJSON *docs = parse(ok);
    assert_non_null(docs);
    cJSON_Delete(docs);
}

static void multi_document_skips_empty_documents(void **state)
{
    (void)state;
    cJSON *docs = parse("---\n"
                        "---\n"
                        "kind: Node\n"
                        "---\n"
                        "# only a comment\n"
                        "---\n"
                        "kind: Pod\n"
                        "...\n");
    assert_non_null(docs);
    assert_int_equal(cJSON_GetArraySize(docs), 2);
    assert_string_field(cJSON_GetArrayItem(docs, 0), "kind", "Node");
    assert_string_field(cJSON_GetArrayItem(docs, 1), "kind", "Pod");
    cJSON_Delete(docs);
}

static void flow_style(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("labels: {a: \"true\", b: true, c: [1, x, {d: null}]}\n", &docs);
    const cJSON *labels = field(d, "labels");
    assert_string_field(labels, "a", "true");
    assert_true(cJSON_IsTrue(field(labels, "b")));
    const cJSON *c = field(labels, "c");
    assert_int_equal(cJSON_GetArraySize(c), 3);
    assert_true(cJSON_IsNumber(cJSON_GetArrayItem(c, 0)));
    assert_string_equal(cJSON_GetArrayItem(c, 1)->valuestring, "x");
    assert_true(cJSON_IsNull(field(cJSON_GetArrayItem(c, 2), "d")));
    cJSON_Delete(docs);
}

static void json_input(void **state)
{
    (void)state;
    cJSON *docs;
    const cJSON *d = first_doc("{\n"
                               "\t\"kind\": \"Pod\",\n"
                               "\t\"n\": -1.5e2,\n"
                               "\t\"t\": true,\n"
                               "\t\"s\": \"true\",\n"
                               "\t\"z\": null,\n"
                               "\t\"esc\": \"a\\\"b\\\\c\\/d\\u00e9\\n\",\n"
                               "\t\"arr\": [],\n"
                               "\t\"obj\": {}\n"
                               "}\n",
                               &docs);
    assert_string_field(d, "kind", "Pod");
    assert_number_field(d, "n", -150);
    assert_true(cJSON_IsTrue(field(d, "t")));
    assert_string_field(d, "s", "true");
    assert_true(cJSON_IsNull(field(d, "z")));
    assert_string_field(d, "esc", "a\"b\\c/d\xc3\xa9\n");
    assert_true(cJSON_IsArray(field(d, "arr")));
    assert_true(cJSON_IsObject(field(d, "obj")));
    cJSON_Delete(docs);
}

static void errors_name_the_position(void **state)
{
    (void)state;
    assert_parse_error("metadata:\n"
                       "  name: vm1\n"
                       " labels: {}\n",
                       "t.yaml:3:2: did not find expected key while parsing a block mapping");
    assert_parse_error(
        "a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence");
    assert_parse_error("a:\n\tb: 1\n", "t.yaml:2:1: found character that cannot start any token "
                                       "while scanning for the next token");
    assert_parse_error("key: value: x\n",
                       "t.yaml:1:11: mapping values are not allowed in this context");
    assert_parse_error("a: 1\n<<: {b: 2}\n", "t.yaml:2:1: merge keys (<<) are not supported");
    assert_parse_error("a: \"x\\0y\"\n", "t.yaml:1:4: a string contains a NUL character");
    assert_parse_error("a: \xff\n", "t.yaml:1:4: invalid leading UTF-8 octet (byte 0xff)");
    assert_parse_error("? [a]\n: 1\n", "t.yaml:1:3: a mapping key must be a scalar");
}

static void duplicate_keys_are_errors(void **state)
{
    (void)state;
    assert_parse_error("metadata:\n"
                       "  name: a\n"
                       "  labels: {}\n"
                       "  name: b\n",
                       "t.yaml:4:3: duplicate key \"name\"");
    assert_parse_error("{\"a\": 1, \"a\": 2}", "t.yaml:1:10: duplicate key \"a\"");
}

static void empty_input(void **state)
{
    (void)state;
    const char *empties[] = {"", "\n", "# just a comment\n", "---\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        cJSON *docs = parse(empties[i]);
        assert_non_null(docs);
        assert_true(cJSON_IsArray(docs));
        assert_int_equal(cJSON_GetArraySize(docs), 0);
        cJSON_Delete(docs);
    }
    cJSON *docs = yaml_parse(NULL, 0, "t.yaml", err, sizeof(err));
    assert_non_null(docs);
    assert_int_equal(cJSON_GetArraySize(docs), 0);
    cJSON_Delete(docs);
}

static void ten_thousand_item_list(void **state)
{
    (void)state;
    size_t cap = 10000 * 32 + 16, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, "items:\n");
    for (int i = 0; i < 10000; i++)
        n += (size_t)snprintf(text + n, cap - n, "- {name: item-%d, n: %d}\n", i, i);
    cJSON *docs = yaml_parse(text, n, "big.yaml", err, sizeof(err));
    free(text);
    assert_non_null(docs);
    const cJSON *items = field(cJSON_GetArrayItem(docs, 0), "items");
    assert_int_equal(cJSON_GetArraySize(items), 10000);
    const cJSON *last = cJSON_GetArrayItem(items, 9999);
    assert_string_field(last, "name", "item-9999");
    assert_number_field(last, "n", 9999);
    cJSON_Delete(docs);
}

static void files_are_named_in_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/mw-yaml-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "a: 1\nb: [\n";
    assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    cJSON *docs = yaml_parse_file(path, err, sizeof(err));
    unlink(path);
    assert_null(docs);
    char want[128];
    snprintf(want, sizeof(want),
             "%s:3:1: did not find expected node content while parsing a flow node", path);
    assert_string_equal(err, want);

    assert_null(yaml_parse_file("/nonexistent/x.yaml", err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/x.yaml: No such file or directory");
    assert_null(yaml_parse_file("/tmp", err, sizeof(err)));
    assert_string_equal(err, "/tmp: is a directory");
}

TEST_MAIN(cmocka_unit_test(quoted_true_is_a_string_plain_true_a_boolean),
          cmocka_unit_test(yes_no_on_off_stay_strings), cmocka_unit_test(numbers),
          cmocka_unit_test(null_forms), cmocka_unit_test(block_scalars_are_strings),
          cmocka_unit_test(tags), cmocka_unit_test(anchors_and_aliases),
          cmocka_unit_test(alias_bomb_is_refused), cmocka_unit_test(depth_limit),
          cmocka_unit_test(multi_document_skips_empty_documents), cmocka_unit_test(flow_style),
          cmocka_unit_test(json_input), cmocka_unit_test(errors_name_the_position),
          cmocka_unit_test(duplicate_keys_are_errors), cmocka_unit_test(empty_input),
          cmocka_unit_test(ten_thousand_item_list), cmocka_unit_test(files_are_named_in_errors))
