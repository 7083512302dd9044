/*
 * kube/yaml.c - YAML (and JSON) text to cJSON trees, through libyaml.
 *
 * libyaml's event parser (yaml_parser_parse) hands out a flat stream of
 * events: stream/document start and end, scalars, sequence and mapping
 * start/end, aliases.  read_node() turns the events of one node into one
 * cJSON value, recursing into sequences and mappings, so the C stack depth
 * follows the YAML nesting, which is capped at MW_MAX_YAML_DEPTH.
 *
 * Scalars are typed by the YAML 1.2 core schema (see resolve_plain_scalar):
 * only plain scalars can become null, booleans or numbers; quoted and block
 * scalars are always strings.  Numbers that a double cannot hold (1e999) and
 * .inf/.nan stay strings, because JSON has no way to write them.
 *
 * Anchors are remembered per document with the number of nodes below them;
 * an alias is a deep copy.  Every node built, including the copies, counts
 * against MW_MAX_YAML_NODES, the copies also against MW_MAX_YAML_ALIAS_NODES,
 * and the counts are checked before a copy is made, so an alias bomb is
 * refused after a few copies, long before it could fill the memory.
 *
 * Every error is one line: "<name>:<line>:<column>: <problem>", 1-based.
 */
#include "kube/yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

struct anchor {
    char *name;
    const cJSON *node; /* borrowed from the document being built */
    size_t nodes;      /* nodes in the anchored subtree */
};

struct reader {
    yaml_parser_t parser;
    const char *text;
    size_t len;
    const char *name;
    char *err;
    size_t errlen;
    int failed;
    size_t nodes;       /* nodes built in this parse, aliases expanded */
    size_t alias_nodes; /* of which copied through aliases */
    struct anchor *anchors;
    size_t nanchors, capanchors;
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

static void fail_at_line(struct reader *r, size_t line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error of the parse; line and column are 1-based. */
static void fail_at_line(struct reader *r, size_t line, size_t column, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = 1;
    if (!r->err || r->errlen == 0)
        return;
    int n = snprintf(r->err, r->errlen, "%s:%zu:%zu: ", r->name, line, column);
    if (n < 0 || (size_t)n >= r->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

#define fail_at(r, mark, ...) fail_at_line((r), (mark).line + 1, (mark).column + 1, __VA_ARGS__)

/* Line and column of a byte offset into the input (reader errors carry only an offset). */
static void position_of_offset(const struct reader *r, size_t offset, size_t *line, size_t *column)
{
    size_t l = 1, line_start = 0;
    if (offset > r->len)
        offset = r->len;
    for (size_t i = 0; i < offset; i++) {
        if (r->text[i] == '\n') {
            l++;
            line_start = i + 1;
        }
    }
    *line = l;
    *column = offset - line_start + 1;
}

/* Turns libyaml's error state into our one-line error. */
static void fail_from_parser(struct reader *r)
{
    yaml_parser_t *p = &r->parser;
    const char *problem = p->problem ? p->problem : "cannot parse";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        fail_at(r, p->mark, "out of memory");
        break;
    case YAML_READER_ERROR: {
        size_t line, column;
        position_of_offset(r, p->problem_offset, &line, &column);
        if (p->problem_value != -1)
            fail_at_line(r, line, column, "%s (byte 0x%02x)", problem,
                         (unsigned)p->problem_value & 0xffu);
        else
            fail_at_line(r, line, column, "%s", problem);
        break;
    }
    default:
        if (p->context)
            fail_at(r, p->problem_mark, "%s %s", problem, p->context);
        else
            fail_at(r, p->problem_mark, "%s", problem);
        break;
    }
}

/* Next event, or 0 with the error recorded. */
static int next_event(struct reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev)) {
        fail_from_parser(r);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Scalars: the YAML 1.2 core schema                                        */
/* ------------------------------------------------------------------------ */

static int text_is(const char *v, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(v, word, len) == 0;
}

static int is_null_word(const char *v, size_t len)
{
    return len == 0 || text_is(v, len, "~") || text_is(v, len, "null") || text_is(v, len, "Null") ||
           text_is(v, len, "NULL");
}

/* 1 = true, 0 = false, -1 = not a boolean. */
static int bool_word_value(const char *v, size_t len)
{
    if (text_is(v, len, "true") || text_is(v, len, "True") || text_is(v, len, "TRUE"))
        return 1;
    if (text_is(v, len, "false") || text_is(v, len, "False") || text_is(v, len, "FALSE"))
        return 0;
    return -1;
}

static int digit_value(char c, int base)
{
    int d;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return d < base ? d : -1;
}

/*
 * Integer forms [-+]?[0-9]+, [-+]?0o[0-7]+, [-+]?0x[0-9a-fA-F]+.  Returns 1 and
 * the value (as a double: beyond 2^53 it is the nearest double) when `v` is
 * one of them.  `v` is NUL-terminated at len.
 */
static int parse_integer(const char *v, size_t len, double *out)
{
    size_t i = 0;
    int negative = 0;
    if (i < len && (v[i] == '-' || v[i] == '+'))
        negative = v[i++] == '-';
    int base = 10;
    if (len - i > 2 && v[i] == '0' && (v[i + 1] == 'x' || v[i + 1] == 'o')) {
        base = v[i + 1] == 'x' ? 16 : 8;
        i += 2;
    }
    if (i == len)
        return 0;
    double value = 0;
    for (size_t j = i; j < len; j++) {
        int d = digit_value(v[j], base);
        if (d < 0)
            return 0;
        value = value * base + d;
    }
    if (base == 10)
        value = strtod(v, NULL); /* correctly rounded, unlike the loop above */
    else if (negative)
        value = -value;
    *out = value;
    return 1;
}

static size_t count_digits(const char *v, size_t len, size_t i)
{
    size_t n = 0;
    while (i + n < len && v[i + n] >= '0' && v[i + n] <= '9')
        n++;
    return n;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float_text(const char *v, size_t len)
{
    size_t i = 0;
    if (i < len && (v[i] == '-' || v[i] == '+'))
        i++;
    size_t whole = count_digits(v, len, i);
    i += whole;
    size_t fraction = 0;
    if (i < len && v[i] == '.') {
        i++;
        fraction = count_digits(v, len, i);
        i += fraction;
    }
    if (whole == 0 && fraction == 0)
        return 0;
    if (i < len && (v[i] == 'e' || v[i] == 'E')) {
        i++;
        if (i < len && (v[i] == '-' || v[i] == '+'))
            i++;
        size_t exponent = count_digits(v, len, i);
        if (exponent == 0)
            return 0;
        i += exponent;
    }
    return i == len;
}

/* [-+]?\.(inf|Inf|INF) and \.(nan|NaN|NAN): floats JSON cannot write. */
static int is_special_float_text(const char *v, size_t len)
{
    if (text_is(v, len, ".nan") || text_is(v, len, ".NaN") || text_is(v, len, ".NAN"))
        return 1;
    if (len > 0 && (v[0] == '-' || v[0] == '+')) {
        v++;
        len--;
    }
    return text_is(v, len, ".inf") || text_is(v, len, ".Inf") || text_is(v, len, ".INF");
}

/* A number when it fits a double, else the text itself. */
static cJSON *number_or_text(double d, const char *v)
{
    return isfinite(d) ? cJSON_CreateNumber(d) : cJSON_CreateString(v);
}

/* The value of a plain (unquoted) scalar under the core schema. */
static cJSON *resolve_plain_scalar(const char *v, size_t len)
{
    double d;
    if (is_null_word(v, len))
        return cJSON_CreateNull();
    int b = bool_word_value(v, len);
    if (b >= 0)
        return cJSON_CreateBool(b);
    if (parse_integer(v, len, &d))
        return number_or_text(d, v);
    if (is_float_text(v, len))
        return number_or_text(strtod(v, NULL), v);
    return cJSON_CreateString(v);
}

/* A scalar with an explicit standard tag (!!str, !!int, ...); NULL + error when it does not fit. */
static cJSON *resolve_tagged_scalar(struct reader *r, const yaml_event_t *ev, const char *tag)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    double d;
    if (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!") == 0)
        return cJSON_CreateString(v);
    if (strcmp(tag, YAML_NULL_TAG) == 0 && is_null_word(v, len))
        return cJSON_CreateNull();
    if (strcmp(tag, YAML_BOOL_TAG) == 0 && bool_word_value(v, len) >= 0)
        return cJSON_CreateBool(bool_word_value(v, len));
    if (strcmp(tag, YAML_INT_TAG) == 0 && parse_integer(v, len, &d))
        return number_or_text(d, v);
    if (strcmp(tag, YAML_FLOAT_TAG) == 0 && (parse_integer(v, len, &d) || is_float_text(v, len)))
        return number_or_text(strtod(v, NULL), v);
    if (strcmp(tag, YAML_FLOAT_TAG) == 0 && is_special_float_text(v, len))
        return cJSON_CreateString(v);
    fail_at(r, ev->start_mark, "\"%.64s\" is not a valid %s", v, tag);
    return NULL;
}

static int is_standard_tag(const char *tag)
{
    return strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, YAML_NULL_TAG) == 0 ||
           strcmp(tag, YAML_BOOL_TAG) == 0 || strcmp(tag, YAML_INT_TAG) == 0 ||
           strcmp(tag, YAML_FLOAT_TAG) == 0 || strcmp(tag, "!") == 0;
}

static cJSON *scalar_to_json(struct reader *r, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (memchr(v, '\0', len)) {
        fail_at(r, ev->start_mark, "a string contains a NUL character");
        return NULL;
    }
    if (tag && is_standard_tag(tag))
        return resolve_tagged_scalar(r, ev, tag);
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(v);
    return resolve_plain_scalar(v, len);
}

/* ------------------------------------------------------------------------ */
/* Anchors and aliases                                                      */
/* ------------------------------------------------------------------------ */

static void forget_anchors(struct reader *r)
{
    for (size_t i = 0; i < r->nanchors; i++)
        free(r->anchors[i].name);
    r->nanchors = 0;
}

/* Remembers `node` under `name` (a later anchor of the same name wins). */
static int remember_anchor(struct reader *r, const yaml_mark_t *mark, const char *name,
                           const cJSON *node, size_t nodes)
{
    if (r->nanchors == r->capanchors) {
        size_t cap = r->capanchors ? r->capanchors * 2 : 16;
        struct anchor *a = realloc(r->anchors, cap * sizeof(*a));
        if (!a)
            goto oom;
        r->anchors = a;
        r->capanchors = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        goto oom;
    r->anchors[r->nanchors++] = (struct anchor){copy, node, nodes};
    return 0;
oom:
    fail_at(r, *mark, "out of memory");
    return -1;
}

static const struct anchor *find_anchor(const struct reader *r, const char *name)
{
    for (size_t i = r->nanchors; i-- > 0;)
        if (strcmp(r->anchors[i].name, name) == 0)
            return &r->anchors[i];
    return NULL;
}

/* Adds `n` nodes to the parse's budget; 0 when that passes the limit (error recorded). */
static int spend_nodes(struct reader *r, const yaml_mark_t *mark, size_t n)
{
    if (n > MW_MAX_YAML_NODES - r->nodes) {
        fail_at(r, *mark, "more than %u nodes (with aliases expanded)", MW_MAX_YAML_NODES);
        return 0;
    }
    r->nodes += n;
    return 1;
}

static cJSON *copy_of_alias(struct reader *r, const yaml_event_t *ev, size_t *count)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const struct anchor *a = find_anchor(r, name);
    if (!a) {
        fail_at(r, ev->start_mark, "unknown alias *%s", name);
        return NULL;
    }
    if (a->nodes > MW_MAX_YAML_ALIAS_NODES - r->alias_nodes) {
        fail_at(r, ev->start_mark, "aliases expand to more than %u nodes", MW_MAX_YAML_ALIAS_NODES);
        return NULL;
    }
    if (!spend_nodes(r, &ev->start_mark, a->nodes))
        return NULL;
    r->alias_nodes += a->nodes;
    cJSON *copy = cJSON_Duplicate(a->node, 1);
    if (!copy) {
        fail_at(r, ev->start_mark, "out of memory");
        return NULL;
    }
    if (copy->string) { /* the key the anchored node had in its mapping */
        cJSON_free(copy->string);
        copy->string = NULL;
    }
    *count = a->nodes;
    return copy;
}

/* ------------------------------------------------------------------------ */
/* Nodes                                                                    */
/* ------------------------------------------------------------------------ */

static cJSON *read_node(struct reader *r, yaml_event_t *ev, int depth, size_t *count);

/* Reads one key of a mapping: a scalar, new in `obj`.  Returns a copy (caller frees). */
static char *read_key(struct reader *r, yaml_event_t *ev, const cJSON *obj)
{
    char *key = NULL;
    if (ev->type == YAML_ALIAS_EVENT) {
        fail_at(r, ev->start_mark, "an alias as a mapping key is not supported");
    } else if (ev->type != YAML_SCALAR_EVENT) {
        fail_at(r, ev->start_mark, "a mapping key must be a scalar");
    } else {
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if (memchr(v, '\0', len))
            fail_at(r, ev->start_mark, "a key contains a NUL character");
        else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && text_is(v, len, "<<"))
            fail_at(r, ev->start_mark, "merge keys (<<) are not supported");
        else if (cJSON_GetObjectItemCaseSensitive(obj, v))
            fail_at(r, ev->start_mark, "duplicate key \"%.128s\"", v);
        else if (!(key = strdup(v)))
            fail_at(r, ev->start_mark, "out of memory");
    }
    yaml_event_delete(ev);
    return key;
}

/*
 * Reads a sequence (into an array) or a mapping (into an object, keys by
 * read_key) that starts with `start`, up to its end event.  Returns NULL with
 * the error recorded.
 */
static cJSON *read_collection(struct reader *r, const yaml_event_t *start, int depth, size_t *count)
{
    int mapping = start->type == YAML_MAPPING_START_EVENT;
    yaml_event_type_t end = mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    cJSON *c = mapping ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!c) {
        fail_at(r, start->start_mark, "out of memory");
        return NULL;
    }
    for (;;) {
        yaml_event_t ev;
        if (!next_event(r, &ev))
            break;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return c;
        }
        char *key = NULL;
        if (mapping && (!(key = read_key(r, &ev, c)) || !next_event(r, &ev))) {
            free(key);
            break;
        }
        size_t n = 0;
        cJSON *item = read_node(r, &ev, depth + 1, &n);
        if (!item) {
            free(key);
            break;
        }
        if (mapping)
            cJSON_AddItemToObject(c, key, item); /* copies the key */
        else
            cJSON_AddItemToArray(c, item);
        free(key);
        *count += n;
    }
    cJSON_Delete(c);
    return NULL;
}

/*
 * Builds the node that starts with `ev` (consuming its events up to the
 * matching end) and deletes `ev`.  *count receives the number of nodes built.
 * Returns NULL with the error recorded.
 */
static cJSON *read_node(struct reader *r, yaml_event_t *ev, int depth, size_t *count)
{
    cJSON *node = NULL;
    const char *anchor = NULL;
    *count = 1;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        node = copy_of_alias(r, ev, count);
        yaml_event_delete(ev);
        return node;
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        if (spend_nodes(r, &ev->start_mark, 1))
            node = scalar_to_json(r, ev);
        if (!node && !r->failed)
            fail_at(r, ev->start_mark, "out of memory");
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        anchor =
            (const char *)(ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
                                                                 : ev->data.mapping_start.anchor);
        if (depth >= MW_MAX_YAML_DEPTH)
            fail_at(r, ev->start_mark, "nested deeper than %d levels", MW_MAX_YAML_DEPTH);
        else if (spend_nodes(r, &ev->start_mark, 1))
            node = read_collection(r, ev, depth, count);
        break;
    default:
        fail_at(r, ev->start_mark, "unexpected YAML event");
        break;
    }
    if (node && anchor && remember_anchor(r, &ev->start_mark, anchor, node, *count) != 0) {
        cJSON_Delete(node);
        node = NULL;
    }
    yaml_event_delete(ev);
    return node;
}

/* ------------------------------------------------------------------------ */
/* Documents                                                                */
/* ------------------------------------------------------------------------ */

/* A document holding nothing at all (or only comments): plain, untagged, empty. */
static int is_empty_document_root(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == 0 &&
           ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
           !ev->data.scalar.anchor;
}

/* Reads the document after its DOCUMENT-START event and appends it to `docs` unless empty. */
static int read_document(struct reader *r, cJSON *docs)
{
    yaml_event_t ev;
    cJSON *root = NULL;
    if (!next_event(r, &ev))
        return -1;
    if (is_empty_document_root(&ev)) {
        yaml_event_delete(&ev);
    } else {
        size_t n = 0;
        root = read_node(r, &ev, 0, &n);
        if (!root)
            return -1;
    }
    forget_anchors(r); /* anchors do not cross documents */
    if (!next_event(r, &ev)) {
        cJSON_Delete(root);
        return -1;
    }
    int ok = ev.type == YAML_DOCUMENT_END_EVENT;
    if (!ok)
        fail_at(r, ev.start_mark, "expected the end of the document");
    yaml_event_delete(&ev);
    if (!ok) {
        cJSON_Delete(root);
        return -1;
    }
    if (root)
        cJSON_AddItemToArray(docs, root);
    return 0;
}

static int read_stream(struct reader *r, cJSON *docs)
{
    yaml_event_t ev;
    if (!next_event(r, &ev))
        return -1;
    yaml_event_delete(&ev); /* STREAM-START */
    for (;;) {
        if (!next_event(r, &ev))
            return -1;
        yaml_event_type_t type = ev.type;
        yaml_mark_t mark = ev.start_mark;
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            return 0;
        if (type != YAML_DOCUMENT_START_EVENT) {
            fail_at(r, mark, "expected a document");
            return -1;
        }
        if (read_document(r, docs) != 0)
            return -1;
    }
}

cJSON *yaml_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct reader r = {
        .text = text, .len = len, .name = name ? name : "<input>", .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    if (!text && len) {
        fail_at_line(&r, 1, 1, "no input");
        return NULL;
    }
    if (!yaml_parser_initialize(&r.parser)) {
        fail_at_line(&r, 1, 1, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)(text ? text : ""), len);
    cJSON *docs = cJSON_CreateArray();
    if (!docs)
        fail_at_line(&r, 1, 1, "out of memory");
    if (docs && read_stream(&r, docs) != 0) {
        cJSON_Delete(docs);
        docs = NULL;
    }
    forget_anchors(&r);
    free(r.anchors);
    yaml_parser_delete(&r.parser);
    return docs;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/* Reads a whole regular file of at most MW_MAX_FILE_BYTES.  Caller frees *out. */
static int read_whole_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", path,
                 S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
        close(fd);
        return -1;
    }
    if ((unsigned long long)st.st_size > MW_MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, MW_MAX_FILE_BYTES);
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return -1;
    }
    for (;;) {
        if (len == cap) { /* the file grew since fstat */
            snprintf(err, errlen, "%s: changed while being read", path);
            goto fail;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    *out = buf;
    *outlen = len;
    return 0;
fail:
    free(buf);
    close(fd);
    return -1;
}

cJSON *yaml_parse_file(const char *path, char *err, size_t errlen)
{
    char scratch[1];
    if (!err || errlen == 0) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    char *text = NULL;
    size_t len = 0;
    if (read_whole_file(path, &text, &len, err, errlen) != 0)
        return NULL;
    cJSON *docs = yaml_parse(text, len, path, err, errlen);
    free(text);
    return docs;
}
