/*
 * rules/requirements.h - what the migration target pod will require of a node
 * (docs/rules.md#target-pod-requirements).
 *
 * KubeVirt renders the target pod from the same VMI as the source launcher
 * pod and then adds to it (virt-controller: RenderMigrationManifest,
 * createTargetPod).  So R is:
 *
 *   a. the source launcher pod's nodeSelector (only the keys KubeVirt renders
 *      from the VMI), required node affinity and tolerations; without a source
 *      pod, the same rendered from the VMI.  VMI status.machine.type replaces
 *      the machine-type key;
 *   b. every key of the VMIM's spec.addedNodeSelector (requirements_add_migration);
 *   c. host-model: the cpu-model-migration and cpu-feature keys of the source
 *      node's host model (or the source pod's, when it migrated before);
 *   d. the source node's cpu-vendor key, unless R already has one.
 *
 * Every item records where it came from, so `check` can explain it.  Pure: a
 * function of the objects it is given, no cluster view.
 */
#ifndef MW_RULES_REQUIREMENTS_H
#define MW_RULES_REQUIREMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "rules/limits.h"

#define LABEL_CPU_VENDOR "cpu-vendor.node.kubevirt.io/"
#define LABEL_MACHINE_TYPE "machine-type.node.kubevirt.io/"
#define LABEL_CPUMANAGER "cpumanager"
#define LABEL_TSC_FREQUENCY "scheduling.node.kubevirt.io/tsc-frequency-"
#define LABEL_OBSOLETE_HOST_MODEL "node-labeller.kubevirt.io/obsolete-host-model"
#define LABEL_ARCH "kubernetes.io/arch"

/* Where an item of R came from. */
enum req_origin { REQ_FROM_SOURCE_POD, REQ_FROM_VMI, REQ_FROM_VMIM, REQ_FROM_SOURCE_NODE };

/*
 * What a nodeSelector key of R is about.  REQ_SCHEDULING keys are checked by
 * the target-node step 3 (scheduling rules); the others by step 5 (hardware),
 * in this order.
 */
enum req_kind {
    REQ_SCHEDULING,
    REQ_VENDOR,             /* cpu-vendor.node.kubevirt.io/<V> */
    REQ_CPU_MODEL,          /* cpu-model.node.kubevirt.io/<M> */
    REQ_HOST_MODEL,         /* cpu-model-migration.node.kubevirt.io/<H> */
    REQ_HOST_MODEL_FEATURE, /* cpu-feature.node.kubevirt.io/<f> of a host-model VM */
    REQ_FEATURE,            /* cpu-feature.node.kubevirt.io/<f> of an explicit model */
    REQ_MACHINE_TYPE,       /* machine-type.node.kubevirt.io/<t> */
    REQ_CPUMANAGER,         /* cpumanager */
    REQ_TSC,                /* scheduling.node.kubevirt.io/tsc-frequency-<n> */
};

struct req_label {
    char *key, *value; /* owned */
    enum req_kind kind;
    enum req_origin origin;
};

struct requirements {
    struct req_label *labels; /* R's nodeSelector, sorted by key, keys unique (owned) */
    size_t nlabels;
    cJSON *affinity; /* required node affinity {nodeSelectorTerms: [...]}, NULL when none (owned) */
    enum req_origin affinity_origin;
    cJSON *tolerations; /* array, NULL when none (owned) */
    enum req_origin tolerations_origin;
    char *source_pod;  /* name of the source launcher pod; NULL: R rendered from the VMI (owned) */
    char *source_node; /* the VMI's status.nodeName, may be NULL (owned) */
    bool host_model;   /* the VM uses host-model */
    /* host-model whose source node has no host model (and no copied keys): it can go nowhere */
    bool host_model_unknown;
    char *host_model_cpu;     /* H, NULL when unknown (owned) */
    bool host_model_from_pod; /* c's keys copied from the source pod (it migrated before) */
};

struct requirements_input {
    const cJSON *vmi;
    const cJSON *source_pod;  /* NULL: render from the VMI */
    const cJSON *source_node; /* the Node of VMI status.nodeName, NULL when not found */
    const char *cpu_mode;     /* the model in force: "host-model", "host-passthrough" or M */
};

/*
 * Derives a, c and d of R into `r` (zeroed first).  Returns 0, or -1 when out
 * of memory (r is then freed).  Free with requirements_free.
 */
int requirements_derive(struct requirements *r, const struct requirements_input *in);

/*
 * Adds b: every key of `vmim`'s spec.addedNodeSelector that R does not have
 * yet (the rendered value wins a clash).  NULL vmim adds nothing.  0, or -1
 * when out of memory.
 */
int requirements_add_migration(struct requirements *r, const cJSON *vmim);

void requirements_free(struct requirements *r);

/* The label of R named `key`, or NULL. */
const struct req_label *requirements_label(const struct requirements *r, const char *key);

/* "source pod", "VMI", "VMIM", "source node". */
const char *req_origin_name(enum req_origin origin);

/*
 * The source launcher pod among `pods` (an array): label kubevirt.io/created-by
 * = `vmi_uid`, phase Running, spec.nodeName = `node`; the newest by
 * creationTimestamp.  NULL when none.  Borrowed from `pods`.
 */
const cJSON *requirements_pick_source_pod(const cJSON *pods, const char *vmi_uid, const char *node);

/*
 * The host-model keys of a migration target pod (docs/cpu-models.md): when
 * `source_pod`'s nodeSelector has cpu-model-migration or cpu-feature keys (it
 * migrated before), those, in the pod's order; else from `source_node`'s
 * labels, cpu-model-migration.node.kubevirt.io/<H> then
 * cpu-feature.node.kubevirt.io/<f> for each host-model required feature,
 * sorted.  *keys (caller frees each and the array) is empty when H is
 * unknown.  *host_model: H (caller frees) or NULL.  0, or -1 when out of
 * memory.
 */
int host_model_selector(const cJSON *source_pod, const cJSON *source_node, char ***keys,
                        size_t *nkeys, char **host_model, bool *from_pod);

/* The V of `node`'s first cpu-vendor.node.kubevirt.io/<V>="true" label, or NULL.  Borrowed. */
const char *node_cpu_vendor(const cJSON *node);

#endif
