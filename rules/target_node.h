/*
 * rules/target_node.h - which nodes can take a VM's migration (docs/rules.md#node-eligibility), and
 * the CPU requirement a migration puts on the target (docs/rules.md#node-eligibility step 5,
 * docs/cpu-models.md#target-pod-selectors).
 *
 * One eligibility function serves three callers: the `target-node` rule (a
 * picked node), the `no-target` rule (every other VM node), and `check`'s
 * candidate list; each judges a node by the requirements R of the target pod
 * KubeVirt will create (rules/requirements.h).  Pure: reads only the objects
 * it is given and the cluster view.
 */
#ifndef MW_RULES_TARGET_NODE_H
#define MW_RULES_TARGET_NODE_H

#include <stdbool.h>
#include "cluster/view.h"
#include "rules/requirements.h"
#include "rules/verdict.h"

/* Label, annotation and taint names (KubeVirt, Harvester, Kubernetes). */
#define LABEL_HOSTNAME "kubernetes.io/hostname"
#define LABEL_SCHEDULABLE "kubevirt.io/schedulable"
#define LABEL_CREATED_BY "kubevirt.io/created-by"
#define LABEL_CPU_MODEL "cpu-model.node.kubevirt.io/"
#define LABEL_CPU_MODEL_MIGRATION "cpu-model-migration.node.kubevirt.io/"
#define LABEL_CPU_FEATURE "cpu-feature.node.kubevirt.io/"
#define LABEL_HOST_MODEL_CPU "host-model-cpu.node.kubevirt.io/"
#define LABEL_HOST_MODEL_REQUIRED_FEATURES "host-model-required-features.node.kubevirt.io/"
#define LABEL_CLUSTER_NETWORK "network.harvesterhci.io/clusternetwork" /* on a NAD */
#define LABEL_NETWORK_PREFIX "network.harvesterhci.io/"                /* + <cn> on a node */
#define ANNOTATION_TARGET_NODE "harvesterhci.io/migrationTargetNodeName"
#define ANNOTATION_MAINTAIN_STATUS "harvesterhci.io/maintain-status"
#define ANNOTATION_DRAIN_REQUESTED "harvesterhci.io/drain-requested"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define CPU_MODE_HOST_MODEL "host-model"
#define CPU_MODE_HOST_PASSTHROUGH "host-passthrough"

enum cpu_req_kind {
    CPU_REQ_NONE,       /* host-passthrough, or host-model with an unknown host model */
    CPU_REQ_MODEL,      /* explicit model M: label cpu-model.node.kubevirt.io/<M> */
    CPU_REQ_HOST_MODEL, /* host-model H of the source node */
};

/* Where the CPU model in force came from (for `check`). */
enum cpu_model_source { CPU_FROM_VM, CPU_FROM_CLUSTER, CPU_FROM_DEFAULT };

struct cpu_requirement {
    enum cpu_req_kind kind;
    char *mode; /* the model in force: "host-model", "host-passthrough" or M (owned) */
    enum cpu_model_source source;
    char *host_model;        /* CPU_REQ_HOST_MODEL: H (owned), else NULL */
    const char *source_node; /* the VMI's status.nodeName (borrowed), may be NULL */
    bool from_source_pod;    /* keys copied from the source launcher pod (migrated before) */
    char **keys; /* node-selector keys the target needs (value "true"), in patch order (owned) */
    size_t nkeys;
    const char *vendor; /* V of the source node's cpu-vendor.node.kubevirt.io/<V> label (borrowed
                           from the node), or NULL */
};

/* Everything the eligibility test needs about one VMI, gathered once. */
struct migration_ctx {
    const cJSON *vmi;
    const char *ns;
    const char *vmi_name;
    const char *current_node; /* VMI status.nodeName, may be NULL */
    const cJSON *nodes;       /* array of every Node in the view */
    char **network_labels;    /* docs/rules.md#node-eligibility step 4: network.harvesterhci.io/<cn>
                                 of each cluster network the VMI's multus networks need (owned) */
    size_t nnetwork_labels;
    struct cpu_requirement cpu;      /* what the target pod mutation adds (CPU model keys) */
    const cJSON *source_pod;         /* the source launcher pod, NULL when none */
    const cJSON *source_node;        /* the Node the VMI runs on, NULL when none */
    struct requirements req;         /* R: what the target pod will require of a node */
    const struct cluster_view *view; /* where the context was gathered from (borrowed) */
    struct cv_scope *scope;
};

/*
 * Gathers the context for `vmi` (in namespace `ns`): nodes, the KubeVirt CR's
 * cpuModel, the source node and launcher pod, NADs, and R without the VMIM's
 * part (see migration_ctx_use_migration).  Returns CV_OK, or
 * CV_ERROR when the view could not answer (scope->err says why).  Free with
 * migration_ctx_free in every case.
 */
enum cv_result migration_ctx_init(struct migration_ctx *ctx, const cJSON *vmi, const char *ns,
                                  const struct cluster_view *view, struct cv_scope *scope);
void migration_ctx_free(struct migration_ctx *ctx);

/* Adds `vmim`'s spec.addedNodeSelector to R (NULL adds nothing).  0, or -1 when out of memory. */
int migration_ctx_use_migration(struct migration_ctx *ctx, const cJSON *vmim);

/* The docs/rules.md#node-eligibility step that checks R's hardware keys (the CPU among them). */
#define ELIGIBILITY_STEP_HARDWARE 5

/*
 * docs/rules.md#node-eligibility for one node named `node_name`: returns 0 when eligible, else the
 * failing step (1..5) and *reason (caller frees, e.g. "is cordoned",
 * "does not support host CPU model XYZ of node node-a"); -1 when out of memory.
 */
int target_node_check(const struct migration_ctx *ctx, const char *node_name, char **reason);

struct node_check {
    char *name;   /* owned */
    int step;     /* 0 = eligible, else failing step */
    char *reason; /* owned, NULL when eligible */
};

/*
 * docs/rules.md#node-eligibility applied to every VM node (label kubevirt.io/schedulable) other
 * than the current one, sorted by name, against R without the addedNodeSelector's
 * kubernetes.io/hostname key.
 * Returns 0, or -1 when out of memory.  Caller frees with node_checks_free.
 */
int target_node_candidates(const struct migration_ctx *ctx, struct node_check **out, size_t *n);
/*
 * The same pass for the no-target rule: 1 when some candidate is eligible (the pass stops at the
 * first one; nothing in *out); else 0 and the candidates as target_node_candidates gives them, but
 * only the first `listed` with their names and reasons (the others' NULL).  -1 when out of memory.
 */
int target_node_any_candidate(const struct migration_ctx *ctx, size_t listed,
                              struct node_check **out, size_t *n);
void node_checks_free(struct node_check *checks, size_t n);

/* The `n` strings of `items` sorted (in place) and joined by ", ".  Caller frees; NULL when out of
 * memory. */
char *join_sorted(const char **items, size_t n);

/*
 * The CPU models (`cpu-model.node.kubevirt.io/<m>`) every schedulable VM node
 * carries, sorted, joined by ", "; "none" when there are none.  Caller
 * frees; NULL when out of memory.
 */
char *common_cpu_models(const cJSON *nodes);
/* common_cpu_models as a derived fact of the node list (cv_derive): computed once per version of
 * the nodes; the value is a const char *, owned by the view. */
extern const struct cv_derivation common_cpu_models_derivation;

/* A VM node: it carries the label kubevirt.io/schedulable (any value; virt-handler runs there). */
bool node_runs_vms(const cJSON *node);

/* 1 when `node` is a VM node that passes docs/rules.md#node-eligibility step 2 without its taint
 * part (schedulable). */
int node_is_schedulable(const cJSON *node);

/*
 * The `target-node` and `no-target` rules (docs/rules.md#migration-rules), appended to `out`.
 * rules_target_node adds the VMIM's addedNodeSelector to R first
 * (migration_ctx_use_migration), so its zone keys bind no-target too.
 * Call rules_no_target after rules_target_node on the same verdict: when a
 * picked node is not eligible, the target-node finding speaks for the
 * migration and no-target stays silent.  Out of memory is recorded as a view
 * error (the review is then denied as unverifiable, never wrongly allowed).
 */
void rules_target_node(struct migration_ctx *ctx, const cJSON *vmim, struct verdict *out);
void rules_no_target(const struct migration_ctx *ctx, struct verdict *out);

/* The node picked for a migration: VMIM spec.addedNodeSelector hostname, else the VMI annotation;
 * NULL if none. */
const char *picked_target_node(const cJSON *vmim, const cJSON *vmi);

#endif
