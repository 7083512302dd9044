/*
 * server/check_explain.c - the requirements of the migration target pod in
 * `check`'s report.
 *
 * The JSON half copies R (rules/requirements.h) into the report with each
 * item's origin; the text half renders that JSON, so `-o json` and the text
 * say the same.  The per-node reasons stay in the candidate list.
 */
#include "server/check_explain.h"

#include <string.h>

#include "kube/object.h"

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

/* ---------------------------------------------------------------- JSON */

/* "source pod", "VMI", "VMIM" or "source node" (the report names the pod and the node once). */
static void add_origin(cJSON *obj, const char *name, enum req_origin origin)
{
    cJSON_AddStringToObject(obj, name, req_origin_name(origin));
}

/* Which target-node step checks a label of this kind: 3 (scheduling rules) or 5 (hardware). */
static int step_of(enum req_kind kind)
{
    return kind == REQ_SCHEDULING ? 3 : 5;
}

void check_explain_add(cJSON *report, const struct migration_ctx *ctx)
{
    const struct requirements *r = &ctx->req;
    cJSON *o = cJSON_AddObjectToObject(report, "requirements");
    if (!o)
        return;
    cJSON_AddStringToObject(o, "renderedFrom", r->source_pod ? "source pod" : "VMI");
    if (r->source_pod)
        cJSON_AddStringToObject(o, "sourcePod", r->source_pod);
    if (r->source_node)
        cJSON_AddStringToObject(o, "sourceNode", r->source_node);
    cJSON *labels = cJSON_AddArrayToObject(o, "nodeSelector");
    for (size_t i = 0; labels && i < r->nlabels; i++) {
        cJSON *l = cJSON_CreateObject();
        if (!l || !cJSON_AddItemToArray(labels, l)) {
            cJSON_Delete(l);
            break;
        }
        cJSON_AddStringToObject(l, "key", r->labels[i].key);
        cJSON_AddStringToObject(l, "value", r->labels[i].value);
        add_origin(l, "from", r->labels[i].origin);
        cJSON_AddNumberToObject(l, "step", step_of(r->labels[i].kind));
    }
    if (r->affinity) {
        cJSON_AddItemToObject(o, "nodeAffinity", cJSON_Duplicate(r->affinity, true));
        add_origin(o, "nodeAffinityFrom", r->affinity_origin);
    }
    if (r->tolerations) {
        cJSON_AddItemToObject(o, "tolerations", cJSON_Duplicate(r->tolerations, true));
        add_origin(o, "tolerationsFrom", r->tolerations_origin);
    }
    if (r->host_model) {
        if (r->host_model_cpu)
            cJSON_AddStringToObject(o, "hostModel", r->host_model_cpu);
        cJSON_AddBoolToObject(o, "hostModelUnknown", r->host_model_unknown);
    }
}

/* ---------------------------------------------------------------- text */

static const char *str(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return s ? s : "";
}

/* "<key> <op>[ <v1>,<v2>]" */
static void print_expression(FILE *out, const cJSON *expr, const char *prefix)
{
    fprintf(out, "%s%s %s", prefix, str(expr, "key"), str(expr, "operator"));
    const cJSON *v;
    char sep = ' ';
    cJSON_ArrayForEach (v, obj_array(expr, "values")) {
        fprintf(out, "%c%s", sep, cJSON_IsString(v) ? v->valuestring : "?");
        sep = ',';
    }
}

static void print_affinity(FILE *out, const cJSON *affinity)
{
    const cJSON *term;
    int n = 0;
    cJSON_ArrayForEach (term, obj_array(affinity, "nodeSelectorTerms")) {
        fprintf(out, "    %s", n++ ? "or " : "");
        const char *sep = "";
        static const char *const lists[] = {"matchExpressions", "matchFields"};
        for (int k = 0; k < 2; k++) {
            const cJSON *e;
            cJSON_ArrayForEach (e, obj_array(term, lists[k])) {
                fprintf(out, "%s", sep);
                print_expression(out, e, k ? "field " : "");
                sep = " and ";
            }
        }
        fprintf(out, "%s\n", *sep ? "" : "(empty term: matches no node)");
    }
    if (n == 0)
        fprintf(out, "    (no terms: matches no node)\n");
}

/* The tolerations of the requirements `r`. */
static void print_tolerations(FILE *out, const cJSON *r)
{
    const cJSON *t;
    cJSON_ArrayForEach (t, obj_array(r, "tolerations")) {
        const char *key = str(t, "key"), *op = str(t, "operator"), *effect = str(t, "effect");
        if (!*op)
            op = "Equal";
        fprintf(out, "    %s %s", *key ? key : "(every key)", op);
        if (strcmp(op, "Exists") != 0)
            fprintf(out, " %s", str(t, "value"));
        fprintf(out, " %s", *effect ? effect : "(every effect)");
        const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(t, "tolerationSeconds");
        if (cJSON_IsNumber(seconds))
            fprintf(out, " for %.0f s", seconds->valuedouble);
        fprintf(out, "\n");
    }
}

void check_explain_print(const cJSON *report, FILE *out, bool color)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(report, "requirements");
    if (!cJSON_IsObject(r))
        return;
    const char *bold = color ? BOLD : "", *dim = color ? DIM : "", *reset = color ? RESET : "";
    fprintf(out, "\n%sRequirements of the target pod%s\n", bold, reset);
    if (*str(r, "sourcePod"))
        fprintf(out, "  source pod %s, source node %s\n", str(r, "sourcePod"),
                str(r, "sourceNode"));
    else
        fprintf(out, "  no running source pod: rendered from the VMI; source node %s\n",
                *str(r, "sourceNode") ? str(r, "sourceNode") : "unknown");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(r, "nodeSelector"), *l;
    size_t width = 0;
    cJSON_ArrayForEach (l, labels) {
        size_t w = strlen(str(l, "key")) + 1 + strlen(str(l, "value"));
        width = w > width ? w : width;
    }
    if (cJSON_GetArraySize(labels) > 0)
        fprintf(out, "  node selector:\n");
    cJSON_ArrayForEach (l, labels) {
        int w = (int)(strlen(str(l, "key")) + 1 + strlen(str(l, "value")));
        fprintf(out, "    %s=%s%*s  %s%s%s\n", str(l, "key"), str(l, "value"), (int)width - w, "",
                dim, str(l, "from"), reset);
    }
    if (cJSON_GetObjectItemCaseSensitive(r, "nodeAffinity")) {
        fprintf(out, "  required node affinity %s(%s)%s:\n", dim, str(r, "nodeAffinityFrom"),
                reset);
        print_affinity(out, cJSON_GetObjectItemCaseSensitive(r, "nodeAffinity"));
    }
    const cJSON *tolerations = cJSON_GetObjectItemCaseSensitive(r, "tolerations");
    if (cJSON_GetArraySize(tolerations) > 0) {
        fprintf(out, "  tolerations %s(%s)%s:\n", dim, str(r, "tolerationsFrom"), reset);
        print_tolerations(out, r);
    } else {
        fprintf(out,
                "  no tolerations: a node with a NoSchedule or NoExecute taint cannot take it\n");
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "hostModelUnknown")))
        fprintf(out,
                "  host-model, but node %s has no host-model-cpu.node.kubevirt.io label: no node "
                "can take it\n",
                str(r, "sourceNode"));
}
