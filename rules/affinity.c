/*
 * rules/affinity.c - Kubernetes node-selector and required node-affinity
 * matching, with a reason that names the failing expression.
 *
 * Each requirement is checked on its own (requirement_matches); a term is the
 * AND of its requirements (term_matches); the terms are ORed.  The reason text
 * is made only from the first term, as docs/rules.md#details asks.
 */
#include "rules/affinity.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTNAME_LABEL "kubernetes.io/hostname"

/* ---------------------------------------------------------------- values */

/* Number of values when `values` is absent/null or an array of strings, else -1 (invalid). */
static int count_string_values(const cJSON *values)
{
    if (!values || cJSON_IsNull(values))
        return 0;
    if (!cJSON_IsArray(values))
        return -1;
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach (v, values) {
        if (!cJSON_IsString(v))
            return -1;
        n++;
    }
    return n;
}

static bool values_contain(const cJSON *values, const char *s)
{
    const cJSON *v;
    cJSON_ArrayForEach (v, values)
        if (strcmp(v->valuestring, s) == 0)
            return true;
    return false;
}

/* Parses a base-10 int64 the way strconv.ParseInt does (optional sign, digits only). */
static bool parse_int64(const char *s, long long *out)
{
    if (!s || !*s)
        return false;
    const char *p = s + (*s == '+' || *s == '-');
    if (!*p)
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = n;
    return true;
}

/* ---------------------------------------------------------- requirements */

/* The value a requirement tests: a label, or (matchFields) metadata.name. */
static const char *requirement_subject(const cJSON *node, const struct label_index *ix,
                                       const char *key, bool field)
{
    if (!field)
        return ix ? label_index_get(ix, key) : meta_label(node, key);
    return strcmp(key, "metadata.name") == 0 ? meta_name(node) : NULL;
}

static bool requirement_matches(const cJSON *req, const cJSON *node, const struct label_index *ix,
                                bool field)
{
    const cJSON *jkey = cJSON_GetObjectItemCaseSensitive(req, "key");
    const cJSON *jop = cJSON_GetObjectItemCaseSensitive(req, "operator");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(req, "values");
    if (!cJSON_IsString(jkey) || !*jkey->valuestring || !cJSON_IsString(jop))
        return false;
    int nvalues = count_string_values(values);
    if (nvalues < 0)
        return false;
    const char *op = jop->valuestring;
    const char *have = requirement_subject(node, ix, jkey->valuestring, field);
    if (field && strcmp(jkey->valuestring, "metadata.name") != 0)
        return false; /* Kubernetes rejects any other field */
    if (strcmp(op, "In") == 0)
        return nvalues > 0 && have && values_contain(values, have);
    if (strcmp(op, "NotIn") == 0)
        return nvalues > 0 && (!have || !values_contain(values, have));
    if (field)
        return false; /* matchFields allows only In and NotIn */
    if (strcmp(op, "Exists") == 0)
        return nvalues == 0 && have;
    if (strcmp(op, "DoesNotExist") == 0)
        return nvalues == 0 && !have;
    if (strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) {
        long long want, got;
        if (nvalues != 1 || !parse_int64(cJSON_GetArrayItem(values, 0)->valuestring, &want))
            return false;
        if (!have || !parse_int64(have, &got))
            return false;
        return op[0] == 'G' ? got > want : got < want;
    }
    return false;
}

/* "(<key> <op>[ <v1>,<v2>])": the reason text for a failing requirement. */
static char *describe_requirement(const cJSON *req)
{
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "key"));
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "operator"));
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(req, "values");
    size_t len = strlen(key ? key : "?") + strlen(op ? op : "?") + 8;
    const cJSON *v;
    if (cJSON_IsArray(values))
        cJSON_ArrayForEach (v, values)
            len += (cJSON_IsString(v) ? strlen(v->valuestring) : 1) + 1;
    char *out = malloc(len);
    if (!out)
        return NULL;
    char *p = out;
    p += sprintf(p, "(%s %s", key ? key : "?", op ? op : "?");
    if (cJSON_IsArray(values) && cJSON_GetArraySize(values) > 0) {
        char sep = ' ';
        cJSON_ArrayForEach (v, values) {
            *p++ = sep;
            sep = ',';
            p = stpcpy(p, cJSON_IsString(v) ? v->valuestring : "?");
        }
    }
    strcpy(p, ")");
    return out;
}

/* --------------------------------------------------------------- terms */

/*
 * 1 when every requirement of `list` (an array, or absent) holds; 0 when one
 * fails, with *first_fail pointing at it (NULL when the list itself is bad).
 */
static int requirements_hold(const cJSON *list, const cJSON *node, const struct label_index *ix,
                             bool field, const cJSON **first_fail)
{
    if (!list || cJSON_IsNull(list))
        return 1;
    if (!cJSON_IsArray(list)) {
        *first_fail = NULL;
        return 0;
    }
    const cJSON *req;
    cJSON_ArrayForEach (req, list)
        if (!requirement_matches(req, node, ix, field)) {
            *first_fail = req;
            return 0;
        }
    return 1;
}

static int term_size(const cJSON *term, const char *field)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(term, field);
    return cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
}

/* 1 when `term` matches `node`; else 0 and a reason (caller frees; NULL when out of memory). */
static int term_matches(const cJSON *term, const cJSON *node, const struct label_index *ix,
                        char **why)
{
    *why = NULL;
    if (!cJSON_IsObject(term) ||
        term_size(term, "matchExpressions") + term_size(term, "matchFields") == 0) {
        *why = strdup("(empty node selector term)");
        return 0;
    }
    const cJSON *failed = NULL;
    if (requirements_hold(cJSON_GetObjectItemCaseSensitive(term, "matchExpressions"), node, ix,
                          false, &failed) &&
        requirements_hold(cJSON_GetObjectItemCaseSensitive(term, "matchFields"), node, ix, true,
                          &failed))
        return 1;
    *why = failed ? describe_requirement(failed) : strdup("(invalid node selector term)");
    return 0;
}

enum match_result node_selector_match(const cJSON *node_selector, const cJSON *node, char **why)
{
    return node_selector_match_indexed(node_selector, node, NULL, why);
}

enum match_result node_selector_match_indexed(const cJSON *node_selector, const cJSON *node,
                                              const struct label_index *ix, char **why)
{
    *why = NULL;
    if (!node_selector || cJSON_IsNull(node_selector))
        return MATCH_YES;
    const cJSON *terms = cJSON_GetObjectItemCaseSensitive(node_selector, "nodeSelectorTerms");
    if (!cJSON_IsArray(terms) || cJSON_GetArraySize(terms) == 0) {
        *why = strdup("(no node selector terms)");
        return *why ? MATCH_NO : MATCH_NOMEM;
    }
    char *first_reason = NULL;
    const cJSON *term;
    cJSON_ArrayForEach (term, terms) {
        char *reason = NULL;
        if (term_matches(term, node, ix, &reason)) {
            free(first_reason);
            return MATCH_YES;
        }
        if (!reason) {
            free(first_reason);
            return MATCH_NOMEM;
        }
        if (!first_reason)
            first_reason = reason;
        else
            free(reason);
    }
    *why = first_reason;
    return MATCH_NO;
}

/* ---------------------------------------------------------- nodeSelector */

enum match_result node_selector_map_match(const cJSON *selector, const cJSON *node,
                                          const char *skip_key, char **why)
{
    *why = NULL;
    if (!cJSON_IsObject(selector))
        return MATCH_YES;
    const cJSON *item;
    cJSON_ArrayForEach (item, selector) {
        if (!item->string || (skip_key && strcmp(item->string, skip_key) == 0))
            continue;
        const char *have = meta_label(node, item->string);
        if (cJSON_IsString(item) && have && strcmp(have, item->valuestring) == 0)
            continue;
        char *value =
            cJSON_IsString(item) ? strdup(item->valuestring) : cJSON_PrintUnformatted(item);
        if (!value || asprintf(why, "(%s In %s)", item->string, value) < 0) {
            free(value);
            *why = NULL;
            return MATCH_NOMEM;
        }
        free(value);
        return MATCH_NO;
    }
    return MATCH_YES;
}

enum match_result vmi_scheduling_rules_match(const cJSON *vmi, const cJSON *node, char **why)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(vmi, "spec");
    enum match_result r = node_selector_map_match(
        cJSON_GetObjectItemCaseSensitive(spec, "nodeSelector"), node, HOSTNAME_LABEL, why);
    if (r != MATCH_YES)
        return r;
    const cJSON *affinity = cJSON_GetObjectItemCaseSensitive(spec, "affinity");
    const cJSON *node_affinity = cJSON_GetObjectItemCaseSensitive(affinity, "nodeAffinity");
    return node_selector_match(cJSON_GetObjectItemCaseSensitive(
                                   node_affinity, "requiredDuringSchedulingIgnoredDuringExecution"),
                               node, why);
}

/* ------------------------------------------------------------- taints */

static bool toleration_matches(const cJSON *toleration, const cJSON *taint)
{
    const char *effect = obj_string_or(toleration, "effect", "");
    if (*effect && strcmp(effect, obj_string_or(taint, "effect", "")) != 0)
        return false;
    const char *key = obj_string_or(toleration, "key", "");
    const char *op = obj_string_or(toleration, "operator", "");
    if (*key && strcmp(key, obj_string_or(taint, "key", "")) != 0)
        return false;
    if (strcmp(op, "Exists") == 0)
        return true;
    if (*op && strcmp(op, "Equal") != 0)
        return false;
    /* Equal: an empty key is valid only with Exists */
    return *key &&
           strcmp(obj_string_or(toleration, "value", ""), obj_string_or(taint, "value", "")) == 0;
}

bool taint_tolerated(const cJSON *taint, const cJSON *tolerations)
{
    if (!cJSON_IsArray(tolerations))
        return false;
    const cJSON *t;
    cJSON_ArrayForEach (t, tolerations)
        if (cJSON_IsObject(t) && toleration_matches(t, taint))
            return true;
    return false;
}
