/*
 * rules/kubevirt_cr.c - the KubeVirt CR rules (docs/rules.md#kubevirt-cr, docs/rules.md#details):
 *
 *   cluster-cpu-model   spec.configuration.cpuModel must be carried by every
 *                       schedulable node (label cpu-model.node.kubevirt.io/<M>);
 *   migration-timeouts  completionTimeoutPerGiB / progressTimeout, when set,
 *                       must be JSON integers > 0;
 *   opt-in mutation     sets those two to 800 / 150 when unset.
 *
 * Texts stand without a prefix and are joined by "; ".
 */
#include "rules/kubevirt_cr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/text.h"
#include "rules/rules.h"
#include "rules/target_node.h"
#include "rules/update.h"

enum cv_result kubevirt_cr_lookup(const struct cluster_view *view, struct cv_scope *scope,
                                  const cJSON **cr)
{
    const cJSON *all = NULL;
    *cr = NULL;
    if (cv_list(view, scope, CV_KUBEVIRT, NULL, NULL, NULL, &all) == CV_ERROR)
        return CV_ERROR;
    const cJSON *first = cJSON_IsArray(all) ? all->child : NULL;
    if (!cJSON_IsObject(first))
        return CV_NOT_FOUND;
    *cr = first;
    return CV_OK;
}

bool kubevirt_setting_is_positive_integer(const cJSON *value, long long *out)
{
    if (!cJSON_IsNumber(value))
        return false;
    double d = value->valuedouble;
    /* 2^63 is the first double above int64's range. */
    if (!(d >= 1.0) || d >= 9223372036854775808.0 || floor(d) != d)
        return false;
    *out = (long long)d;
    return true;
}

const cJSON *kubevirt_migrations(const cJSON *cr)
{
    return obj_object(obj_object(obj_object(cr, "spec"), "configuration"), "migrations");
}

const char *kubevirt_cpu_model(const cJSON *cr)
{
    return obj_nonempty(obj_object(obj_object(cr, "spec"), "configuration"), "cpuModel");
}

static const char *cr_subject(const struct rule_input *in, char *buf, size_t len)
{
    const char *name = in->name && *in->name ? in->name : meta_name(in->object);
    snprintf(buf, len, "%s/%s", in->ns ? in->ns : "", name ? name : "");
    return buf;
}

/* ------------------------------------------------------- cluster-cpu-model */

/* Appends "n1, n2" of the schedulable nodes lacking the model; 0, or -1 on view error. */
static int check_cluster_cpu_model(const struct rule_input *in, const char *model,
                                   struct verdict *out)
{
    if (strcmp(model, CPU_MODE_HOST_MODEL) == 0 || strcmp(model, CPU_MODE_HOST_PASSTHROUGH) == 0)
        return 0; /* not a named model: no node label to carry */
    const cJSON *nodes = NULL;
    if (cv_list(in->view, in->scope, CV_NODE, NULL, NULL, NULL, &nodes) == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
        return -1;
    }
    char *key = text_join(LABEL_CPU_MODEL, model);
    if (!key)
        return -1;
    size_t cap = (size_t)cJSON_GetArraySize(nodes), n = 0;
    const char **missing = calloc(cap ? cap : 1, sizeof(*missing));
    const cJSON *node;
    cJSON_ArrayForEach (node, nodes) {
        const char *name = meta_name(node);
        if (missing && n < cap && name && node_is_schedulable(node) &&
            !meta_label_is_true(node, key))
            missing[n++] = name;
    }
    free(key);
    if (!missing)
        return -1;
    char *list = n > 0 ? join_sorted(missing, n) : NULL;
    if (list)
        verdict_add(out, RULE_CLUSTER_CPU_MODEL,
                    "cluster CPU model %s is not supported by nodes: %s", model, list);
    free(list);
    free(missing);
    return 0;
}

/* ------------------------------------------------------ migration-timeouts */

static void check_timeout_setting(const struct rule_input *in, const char *field,
                                  struct verdict *out)
{
    const char *const path[] = {"spec", "configuration", "migrations", field, NULL};
    if (in->old_object && !field_changed(in->object, in->old_object, path))
        return; /* an UPDATE that left it as it was */
    const cJSON *value = obj_get(kubevirt_migrations(in->object), field);
    long long ignored;
    if (!value || cJSON_IsNull(value) || kubevirt_setting_is_positive_integer(value, &ignored))
        return;
    /* cJSON prints a number that overflowed to infinity as null. */
    char *text = cJSON_IsNumber(value) && isinf(value->valuedouble)
                     ? strdup(value->valuedouble > 0 ? "a number too large (infinity)"
                                                     : "a number too small (-infinity)")
                     : cJSON_PrintUnformatted(value);
    verdict_add(out, RULE_MIGRATION_TIMEOUTS,
                "migration setting %s must be a positive integer, got %s", field,
                text ? text : "?");
    free(text);
}

void rules_kubevirt_validate(const struct rule_input *in, struct verdict *out)
{
    char subject[512];
    static const char *const cpu_model_path[] = {"spec", "configuration", "cpuModel", NULL};
    const char *model = kubevirt_cpu_model(in->object);
    /* An UPDATE that leaves cpuModel as it was is never refused for it: a node that joined
     * later must not block virt-operator's or Harvester's writes of this object. */
    if (model && (!in->old_object || field_changed(in->object, in->old_object, cpu_model_path)))
        check_cluster_cpu_model(in, model, out);
    check_timeout_setting(in, "completionTimeoutPerGiB", out);
    check_timeout_setting(in, "progressTimeout", out);
    verdict_finish(out, "", in->settings->migration, true,
                   cr_subject(in, subject, sizeof(subject)));
}

/* ------------------------------------------------- opt-in default timeouts */

/*
 * Makes sure the object at `path` (member `key` of `parent`) exists, adding
 * it when absent or null.  Returns the existing object, or NULL with *created
 * set when it had to be added, or NULL with *blocked set when something that
 * is not an object sits there (then nothing below can be patched).
 */
static const cJSON *ensure_object(const cJSON *parent, const char *key, const char *path,
                                  struct verdict *out, bool *blocked)
{
    const cJSON *v = obj_get(parent, key);
    if (cJSON_IsObject(v))
        return v;
    if (v && !cJSON_IsNull(v)) {
        *blocked = true;
        return NULL;
    }
    verdict_patch(out, "add", path, cJSON_CreateObject());
    return NULL;
}

void rules_kubevirt_mutate(const struct rule_input *in, struct verdict *out)
{
    char subject[512];
    cr_subject(in, subject, sizeof(subject));
    if (!in->settings->default_timeouts || !cJSON_IsObject(in->object)) {
        verdict_finish(out, "", in->settings->migration, false, subject);
        return;
    }
    bool blocked = false;
    const cJSON *spec = ensure_object(in->object, "spec", "/spec", out, &blocked);
    const cJSON *conf =
        blocked ? NULL : ensure_object(spec, "configuration", "/spec/configuration", out, &blocked);
    const cJSON *migr = blocked ? NULL
                                : ensure_object(conf, "migrations",
                                                "/spec/configuration/migrations", out, &blocked);
    if (!blocked) {
        const cJSON *per_gib = obj_get(migr, "completionTimeoutPerGiB");
        const cJSON *progress = obj_get(migr, "progressTimeout");
        if (!per_gib || cJSON_IsNull(per_gib))
            verdict_patch(out, "add", "/spec/configuration/migrations/completionTimeoutPerGiB",
                          cJSON_CreateNumber(KUBEVIRT_DEFAULT_COMPLETION_PER_GIB));
        if (!progress || cJSON_IsNull(progress))
            verdict_patch(out, "add", "/spec/configuration/migrations/progressTimeout",
                          cJSON_CreateNumber(KUBEVIRT_DEFAULT_PROGRESS_TIMEOUT));
    }
    verdict_finish(out, "", in->settings->migration, false, subject);
}
