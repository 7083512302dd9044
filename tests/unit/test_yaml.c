/* Unit tests for kube/yaml.c: YAML and JSON text to cJSON, typing, limits and error positions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include "case_table.h"
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
    assert_row_true(key, cJSON_IsString(v));
    assert_row_string_equal(key, v->valuestring, want);
}

static void assert_number_field(const cJSON *obj, const char *key, double want)
{
    const cJSON *v = field(obj, key);
    assert_row_true(key, cJSON_IsNumber(v));
    assert_row_true(key, v->valuedouble == want);
}

/* A key of a mapping, as "key: value" (a line of YAML) or as the key alone, and what its value
 * reads as: its cJSON type and, for a string or a number, its value. */
struct field_case {
    const char *text;
    int type;
    const char *string;
    double number;
};
#define READS_STRING(text, s)                                                                      \
    {                                                                                              \
        text, cJSON_String, s, 0                                                                   \
    }
#define READS_NUMBER(text, n)                                                                      \
    {                                                                                              \
        text, cJSON_Number, NULL, n                                                                \
    }
#define READS_AS(text, type)                                                                       \
    {                                                                                              \
        text, type, NULL, 0                                                                        \
    }

static void assert_fields(const cJSON *obj, const struct field_case *cases, size_t n)
{
    for (const struct field_case *c = cases; c < cases + n; c++) {
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)strcspn(c->text, ":"), c->text);
        if (c->type == cJSON_String)
            assert_string_field(obj, key, c->string);
        else if (c->type == cJSON_Number)
            assert_number_field(obj, key, c->number);
        else /* cJSON_IsTrue(), cJSON_IsNull(), ... */
            assert_row_true(key, (field(obj, key)->type & 0xFF) == c->type);
    }
}

/* The "key: value" lines of `cases`, each ended by a newline, parse as one document that reads as
 * the cases say; returns the document array (the caller frees). */
static cJSON *assert_lines(const struct field_case *cases, size_t n)
{
    char text[1024];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", cases[i].text);
    assert_true(len < sizeof(text));
    cJSON *docs;
    assert_fields(first_doc(text, &docs), cases, n);
    return docs;
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

/* Parsing must succeed. */
static void assert_parses(const char *text)
{
    cJSON *docs = parse(text);
    assert_non_null(docs);
    cJSON_Delete(docs);
}

/* `depth` lists each in the one before, "[[...]]", written to `buf`. */
static const char *nested_lists(char *buf, int depth)
{
    memset(buf, '[', (size_t)depth);
    memset(buf + depth, ']', (size_t)depth);
    buf[2 * depth] = '\0';
    return buf;
}

static void quoted_true_is_a_string_plain_true_a_boolean(void **state)
{
    (void)state;
    static const struct field_case cases[] = {
        READS_AS("plain: true", cJSON_True),    READS_STRING("double: \"true\"", "true"),
        READS_STRING("single: 'true'", "true"), READS_AS("upper: TRUE", cJSON_True),
        READS_AS("title: False", cJSON_False),  READS_STRING("label: \"false\"", "false")};
    cJSON_Delete(assert_lines(cases, ROWS(cases)));
}

static void yes_no_on_off_stay_strings(void **state)
{
    (void)state;
    static const struct field_case cases[] = {
        READS_STRING("a: yes", "yes"), READS_STRING("b: no", "no"),   READS_STRING("c: on", "on"),
        READS_STRING("d: off", "off"), READS_STRING("e: Yes", "Yes"), READS_STRING("f: NO", "NO"),
        READS_STRING("g: y", "y"),     READS_STRING("h: n", "n")};
    cJSON_Delete(assert_lines(cases, ROWS(cases)));
}

static void numbers(void **state)
{
    (void)state;
    static const struct field_case cases[] = {
        READS_NUMBER("int: 42", 42),
        READS_NUMBER("negative: -7", -7),
        READS_NUMBER("plus: +5", 5),
        READS_NUMBER("zero: 0", 0),
        READS_NUMBER("float: 3.5", 3.5),
        READS_NUMBER("half: .5", 0.5),
        READS_NUMBER("exp: 1e3", 1000),
        READS_NUMBER("negexp: -2.5E-1", -0.25),
        READS_NUMBER("hex: 0x1F", 31),
        READS_NUMBER("octal: 0o17", 15),
        READS_NUMBER("negoctal: -0o7", -7),
        READS_NUMBER("big: 12345678901234567890", 12345678901234567890.0),
        READS_STRING("quoted: \"42\"", "42"),
        READS_STRING("version: 1.2.3", "1.2.3"),
        READS_STRING("underscore: 1_000", "1_000"),
        READS_STRING("quantity: 8Gi", "8Gi"),
        READS_STRING("badhex: 0x", "0x"),
        /* JSON cannot write infinities or NaN: they stay as their text. */
        READS_STRING("inf: .inf", ".inf"),
        READS_STRING("neginf: -.Inf", "-.Inf"),
        READS_STRING("nan: .NaN", ".NaN"),
        READS_STRING("huge: 1e999", "1e999"),
    };
    cJSON *docs = assert_lines(cases, ROWS(cases));
    char *printed = cJSON_PrintUnformatted(cJSON_GetArrayItem(docs, 0));
    assert_non_null(printed);
    cJSON_free(printed);
    cJSON_Delete(docs);
}

static void null_forms(void **state)
{
    (void)state;
    static const struct field_case cases[] = {
        READS_AS("a: null", cJSON_NULL), READS_AS("b: Null", cJSON_NULL),
        READS_AS("c: NULL", cJSON_NULL), READS_AS("d: ~", cJSON_NULL),
        READS_AS("e:", cJSON_NULL),      READS_STRING("f: \"null\"", "null"),
        READS_STRING("g: '~'", "~"),     READS_STRING("h: nil", "nil")};
    cJSON_Delete(assert_lines(cases, ROWS(cases)));
}

static void block_scalars_are_strings(void **state)
{
    (void)state;
    static const struct field_case cases[] = {
        READS_STRING("literal: |\n  line 1\n  line 2", "line 1\nline 2\n"),
        READS_STRING("folded: >\n  folded\n  text", "folded text\n"),
        READS_STRING("stripped: |-\n  true", "true"), READS_STRING("number: |\n  42", "42\n")};
    cJSON_Delete(assert_lines(cases, ROWS(cases)));
}

static void tags(void **state)
{
    (void)state;
    static const struct field_case cases[] = {
        READS_STRING("s: !!str 123", "123"), READS_STRING("b: !!str true", "true"),
        READS_NUMBER("i: !!int \"42\"", 42), READS_AS("t: !!bool \"true\"", cJSON_True),
        READS_AS("n: !!null ''", cJSON_NULL)};
    cJSON_Delete(assert_lines(cases, ROWS(cases)));
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
    assert_parses("a: &a [x, y]\nb: [*a, *a, *a]\n");
}

static void depth_limit(void **state)
{
    (void)state;
    char text[2 * MW_MAX_YAML_DEPTH + 8];
    assert_parse_error(nested_lists(text, MW_MAX_YAML_DEPTH + 1),
                       "t.yaml:1:65: nested deeper than 64 levels");
    assert_parses(nested_lists(text, MW_MAX_YAML_DEPTH));
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
    static const struct field_case cases[] = {
        READS_STRING("kind", "Pod"),  READS_NUMBER("n", -150),
        READS_AS("t", cJSON_True),    READS_STRING("s", "true"),
        READS_AS("z", cJSON_NULL),    READS_STRING("esc", "a\"b\\c/d\xc3\xa9\n"),
        READS_AS("arr", cJSON_Array), READS_AS("obj", cJSON_Object),
    };
    cJSON *docs;
    assert_fields(first_doc("{\n"
                            "\t\"kind\": \"Pod\",\n"
                            "\t\"n\": -1.5e2,\n"
                            "\t\"t\": true,\n"
                            "\t\"s\": \"true\",\n"
                            "\t\"z\": null,\n"
                            "\t\"esc\": \"a\\\"b\\\\c\\/d\\u00e9\\n\",\n"
                            "\t\"arr\": [],\n"
                            "\t\"obj\": {}\n"
                            "}\n",
                            &docs),
                  cases, ROWS(cases));
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
