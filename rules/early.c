/*
 * rules/early.c - early warnings for VirtualMachine and
 * VirtualMachineInstance CREATE/UPDATE (docs/rules.md#early-warnings, docs/rules.md#details).
 *
 * The rules that need only the object (and the PVCs in the view) run on the
 * VM's spec.template.spec or the VMI's spec, with the modes of
 * settings->early (warn by default), after the prefix
 * "VM <ns>/<name> will not be live-migratable: ".  Two CPU findings stand
 * alone: an explicit CPU model no node supports, and host-model on a
 * cluster whose schedulable nodes have different host CPU models.  So does
 * a bridge on the pod network that the VM opts in to migrating anyway
 * (annotation kubevirt.io/allow-pod-bridge-network-live-migration): a
 * warning of its own, never a denial.  An ejected CD-ROM says nothing.
 *
 * A cluster view that cannot answer never blocks a VM: it becomes a warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/devices.h"
#include "kube/object.h"
#include "kube/text.h"
#include "rules/kubevirt_cr.h"
#include "rules/network.h"
#include "rules/rules.h"
#include "rules/state.h"
#include "rules/target_node.h"
#include "rules/update.h"
#include "rules/volumes.h"

/* --------------------------------------------------------- CPU findings */

static int some_node_supports(const cJSON *nodes, const char *model)
{
    char *key = text_join(LABEL_CPU_MODEL, model);
    if (!key)
        return 1; /* out of memory: claim nothing */
    int found = 0;
    const cJSON *node;
    cJSON_ArrayForEach (node, nodes)
        if (meta_label_is_true(node, key)) {
            found = 1;
            break;
        }
    free(key);
    return found;
}

/* 1 when schedulable nodes carry more than one distinct host-model-cpu label. */
static int host_models_differ(const cJSON *nodes)
{
    const char *seen = NULL;
    size_t plen = strlen(LABEL_HOST_MODEL_CPU);
    const cJSON *node;
    cJSON_ArrayForEach (node, nodes) {
        if (!cJSON_IsObject(node) || !node_is_schedulable(node))
            continue;
        const cJSON *label;
        cJSON_ArrayForEach (label, obj_object(obj_object(node, "metadata"), "labels")) {
            if (!label->string || strncmp(label->string, LABEL_HOST_MODEL_CPU, plen) != 0 ||
                !cJSON_IsString(label) || strcmp(label->valuestring, "true") != 0)
                continue;
            const char *h = label->string + plen;
            if (!seen)
                seen = h;
            else if (strcmp(seen, h) != 0)
                return 1;
        }
    }
    return 0;
}

/* What the host-model warning needs from the nodes; derived once per version of the node list. */
struct host_model_summary {
    int differ;   /* schedulable nodes carry more than one host-model-cpu label */
    char *common; /* when they differ: the CPU models every schedulable node supports */
};

static void *summarise_host_models(const cJSON *nodes)
{
    struct host_model_summary *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->differ = host_models_differ(nodes);
    if (h->differ && !(h->common = common_cpu_models(nodes))) {
        free(h);
        return NULL;
    }
    return h;
}

static void free_host_model_summary(void *p)
{
    struct host_model_summary *h = p;
    free(h->common);
    free(h);
}

static const struct cv_derivation host_model_summary = {
    .compute = summarise_host_models,
    .release = free_host_model_summary,
};

/*
 * The host-model warning.  Its list of models may be long: it is cut between
 * two models to keep the warning within WARNING_MAX_BYTES.
 */
static void add_host_model_warning(struct verdict *out, const char *subject, const char *common)
{
    char *head = NULL, *list = strdup(common);
    if (!list || asprintf(&head,
                          "VM %s uses host-model: it can only live-migrate to nodes with the same "
                          "host CPU model; CPU models supported by all nodes: ",
                          subject) < 0) {
        free(list);
        return;
    }
    size_t n = 1;
    for (const char *p = list; (p = strstr(p, ", ")); p += 2)
        n++;
    const char **models = malloc(n * sizeof(*models));
    char *text = NULL;
    if (models) {
        size_t i = 0;
        models[i++] = list;
        for (char *p = list; (p = strstr(p, ", ")); p += 2) {
            *p = '\0';
            models[i++] = p + 2;
        }
        text = text_fit(head, models, n, ", ", WARNING_MAX_BYTES);
    }
    if (text)
        verdict_add_standalone(out, RULE_HOST_MODEL_HETEROGENEOUS, "%s", text);
    free(text);
    free(models);
    free(list);
    free(head);
}

/* The model the VM runs with: its own, else the KubeVirt CR's default, else host-model.
 * NULL on a view error (recorded in out). */
static const char *cpu_model_in_force(const struct rule_input *in, const cJSON *spec,
                                      struct verdict *out)
{
    const char *model = obj_nonempty(obj_object(obj_object(spec, "domain"), "cpu"), "model");
    const cJSON *kubevirt = NULL;
    if (!model && kubevirt_cr_lookup(in->view, in->scope, &kubevirt) == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
        return NULL;
    }
    if (!model)
        model = kubevirt_cpu_model(kubevirt);
    return model ? model : CPU_MODE_HOST_MODEL;
}

/* Returns CV_OK or CV_ERROR (recorded in out). */
static enum cv_result check_cpu_model(const struct rule_input *in, const char *subject,
                                      const cJSON *spec, struct verdict *out)
{
    const char *model = cpu_model_in_force(in, spec, out);
    if (!model)
        return CV_ERROR;
    if (strcmp(model, CPU_MODE_HOST_PASSTHROUGH) == 0)
        return CV_OK;
    if (strcmp(model, CPU_MODE_HOST_MODEL) != 0) {
        const cJSON *nodes = NULL;
        if (cv_list(in->view, in->scope, CV_NODE, NULL, NULL, NULL, &nodes) == CV_ERROR) {
            verdict_view_error(out, "%s", in->scope->err);
            return CV_ERROR;
        }
        if (!some_node_supports(nodes, model))
            verdict_add_standalone(out, RULE_CPU_MODEL_UNSUPPORTED,
                                   "CPU model %s is not supported by any node (label "
                                   "cpu-model.node.kubevirt.io/%s)",
                                   model, model);
        return CV_OK;
    }
    const void *derived = NULL;
    if (cv_derive(in->view, in->scope, CV_NODE, &host_model_summary, &derived) == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
        return CV_ERROR;
    }
    const struct host_model_summary *h = derived;
    if (h->differ)
        add_host_model_warning(out, subject, h->common);
    return CV_OK;
}

/* ------------------------------------------------------------ entry point */

void rules_vm_validate(const struct rule_input *in, struct verdict *out)
{
    if (vm_update_unchanged(in->object, in->old_object)) {
        /* A status or metadata write: nothing to say, nothing to look up. */
        verdict_finish(out, "", in->settings->early, false, "");
        return;
    }
    const char *ns = in->ns ? in->ns : "";
    const char *name = meta_name(in->object);
    if (!name || !*name)
        name = in->name ? in->name : "";
    char subject[512], prefix[600];
    snprintf(subject, sizeof(subject), "%s/%s", ns, name);
    snprintf(prefix, sizeof(prefix), "VM %s will not be live-migratable: ", subject);

    const cJSON *top = obj_object(in->object, "spec");
    int vm = object_is_virtual_machine(in->object);
    const cJSON *spec = vm ? obj_object(obj_object(top, "template"), "spec") : top;
    struct access_mode_sources src = {
        .volume_status = vm ? NULL : obj_array(obj_object(in->object, "status"), "volumeStatus"),
        .dv_templates = vm ? obj_array(top, "dataVolumeTemplates") : NULL,
        .missing_pvc_is_finding = false,
    };

    /* The pod-bridge opt-in: the VMI's annotations, a VM's template annotations. */
    const cJSON *meta = vm ? obj_object(obj_object(top, "template"), "metadata")
                           : obj_object(in->object, "metadata");
    bool bridge_allowed = pod_bridge_migration_allowed(obj_object(meta, "annotations"));
    rule_management_bridge(spec, bridge_allowed, subject, out);
    rule_cdrom(spec, out);
    rule_container_disk(spec, out);
    rule_host_device(spec, out);
    rule_gpu(spec, out);
    if (rule_volume_access_mode(spec, &src, ns, in->view, in->scope, out) == CV_OK) {
        rule_node_pinned(spec, out);
        check_cpu_model(in, subject, spec, out);
    }
    enum rule_mode modes[RULE_COUNT];
    memcpy(modes, in->settings->early, sizeof(modes));
    if (bridge_allowed)
        modes[RULE_MANAGEMENT_BRIDGE] = rule_bridge_opt_in_mode(modes[RULE_MANAGEMENT_BRIDGE]);
    verdict_finish(out, prefix, modes, false, subject);
}
