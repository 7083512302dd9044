/*
 * rules/migration.c - the validating VMIM CREATE review (docs/rules.md#migration-rules,
 * docs/rules.md#details).
 *
 * Reads the VMI the migration names and runs the rules in the order the
 * specification's table lists them:
 *   not-running, in-flight                      (always, even without a VMI)
 *   not-migratable                              (when the VMI exists)
 *   management-bridge, cdrom, container-disk,
 *   host-device, gpu, volume-access-mode,
 *   node-pinned                                 (when the VMI exists)
 *   target-node, no-target                      (when the VMI is Running)
 * not-migratable runs last, once the findings that explain KubeVirt's
 * reasons are known, and takes its place after in-flight.
 *
 * The kind of migration changes what applies (docs/rules.md#system-migrations,
 * docs/rules.md#storage-and-decentralized-migrations): a migration KubeVirt starts itself
 * (node drain, workload update) takes the system-migration modes; one that
 * sends the VM to another cluster (spec.sendTo) skips the rules about the
 * storage and nodes of this one; the receiving side (spec.receive) skips
 * the rules that read the source node or pod, and not-running while the VMI
 * waits for the sync.
 *
 * Every failing rule is reported; verdict_finish() then joins the texts after
 * "VM <ns>/<vmiName> cannot be live-migrated: " according to each rule's mode.
 * When the cluster view cannot answer, the review is denied with
 * "cannot verify migration of VM ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/devices.h"
#include "kube/object.h"
#include "rules/network.h"
#include "rules/rules.h"
#include "rules/state.h"
#include "rules/target_node.h"
#include "rules/volumes.h"

#define ANNOTATION_EVACUATION "kubevirt.io/evacuationMigration"
#define ANNOTATION_WORKLOAD_UPDATE "kubevirt.io/workloadUpdateMigration"

/* What kind of migration the VMIM asks for. */
struct migration_kind {
    bool system;  /* started by KubeVirt: node drain or workload update */
    bool send_to; /* spec.sendTo: the VM leaves for another cluster */
    bool receive; /* spec.receive: the receiving side of such a migration */
};

static bool has_member(const cJSON *obj, const char *key)
{
    const cJSON *v = obj_get(obj, key);
    return v && !cJSON_IsNull(v);
}

static struct migration_kind migration_kind_of(const cJSON *vmim)
{
    const cJSON *annotations = obj_object(obj_object(vmim, "metadata"), "annotations");
    const cJSON *spec = obj_object(vmim, "spec");
    return (struct migration_kind){
        .system = obj_get(annotations, ANNOTATION_EVACUATION) != NULL ||
                  obj_get(annotations, ANNOTATION_WORKLOAD_UPDATE) != NULL,
        .send_to = has_member(spec, "sendTo"),
        .receive = has_member(spec, "receive"),
    };
}

void rules_system_migration_modes(const struct rule_settings *s, enum rule_mode *modes)
{
    memcpy(modes, s->migration, sizeof(s->migration));
    /* KubeVirt itself migrates through CD-ROMs and container disks: warn instead of deny. */
    if (modes[RULE_CDROM] == MODE_DENY)
        modes[RULE_CDROM] = MODE_WARN;
    if (modes[RULE_CONTAINER_DISK] == MODE_DENY)
        modes[RULE_CONTAINER_DISK] = MODE_WARN;
    for (int i = 0; i < RULE_COUNT; i++)
        if (s->system_migration_set[i])
            modes[i] = s->system_migration[i];
}

static const char *review_name(const struct rule_input *in)
{
    if (in->name && *in->name)
        return in->name;
    const char *name = meta_name(in->object);
    return name ? name : "";
}

/* A VMIM that names no VMI: one standalone finding that always denies. */
static void deny_nameless_migration(const struct rule_input *in, const char *ns,
                                    struct verdict *out)
{
    enum rule_mode modes[RULE_COUNT];
    memcpy(modes, in->settings->migration, sizeof(modes));
    modes[RULE_VMIM_NO_VMI] = MODE_DENY;
    verdict_add_standalone(
        out, RULE_VMIM_NO_VMI,
        "migration %s/%s names no VirtualMachineInstance (spec.vmiName is empty)", ns,
        review_name(in));
    char subject[512];
    snprintf(subject, sizeof(subject), "%s/%s", ns, review_name(in));
    verdict_finish(out, "", modes, true, subject);
}

static bool vmi_in_phase(const cJSON *vmi, const char *want)
{
    const char *phase = obj_string(obj_object(vmi, "status"), "phase");
    return phase && strcmp(phase, want) == 0;
}

static const cJSON *vmi_annotations(const cJSON *vmi)
{
    return obj_object(obj_object(vmi, "metadata"), "annotations");
}

/* The rules that need only the VMI (and its PVCs).  Returns CV_OK or CV_ERROR. */
static enum cv_result check_vmi_spec(const struct rule_input *in, const char *ns,
                                     const char *subject, const cJSON *vmi,
                                     const struct migration_kind *kind, struct verdict *out)
{
    const cJSON *spec = obj_object(vmi, "spec");
    const cJSON *status = obj_object(vmi, "status");
    rule_management_bridge(spec, pod_bridge_migration_allowed(vmi_annotations(vmi)), subject, out);
    rule_cdrom(spec, out);
    rule_container_disk(spec, out);
    rule_host_device(spec, out);
    rule_gpu(spec, out);
    if (kind->send_to) /* the VM leaves this cluster: its storage and nodes do not matter */
        return CV_OK;
    struct access_mode_sources src = {
        .volume_status = obj_array(status, "volumeStatus"),
        .dv_templates = NULL,
        .migrated = obj_array(status, "migratedVolumes"),
        .missing_pvc_is_finding = true,
    };
    if (rule_volume_access_mode(spec, &src, ns, in->view, in->scope, out) == CV_ERROR)
        return CV_ERROR;
    rule_node_pinned(spec, out);
    return CV_OK;
}

/*
 * Whether the target-node or no-target finding in `out` failed on the CPU
 * step: the picked node's first failing step, or any other node's for
 * no-target.  Out of memory answers false (the reason is then repeated).
 */
static bool failed_on_cpu(const struct migration_ctx *ctx, const cJSON *vmim,
                          const struct verdict *out)
{
    if (verdict_has(out, RULE_TARGET_NODE)) {
        const char *node = picked_target_node(vmim, ctx->vmi);
        char *reason = NULL;
        int step = node ? target_node_check(ctx, node, &reason) : 0;
        free(reason);
        return step == ELIGIBILITY_STEP_HARDWARE;
    }
    if (!verdict_has(out, RULE_NO_TARGET))
        return false;
    struct node_check *checks = NULL;
    size_t n = 0;
    bool cpu = false;
    if (target_node_candidates(ctx, &checks, &n) != 0)
        return false;
    for (size_t i = 0; i < n && !cpu; i++)
        cpu = checks[i].step == ELIGIBILITY_STEP_HARDWARE;
    node_checks_free(checks, n);
    return cpu;
}

/* target-node, then no-target (docs/rules.md#node-eligibility).  *cpu_failed: one of them failed on
 * the CPU step. */
static void check_target_nodes(const struct rule_input *in, const char *ns, const cJSON *vmi,
                               struct verdict *out, bool *cpu_failed)
{
    struct migration_ctx ctx;
    if (migration_ctx_init(&ctx, vmi, ns, in->view, in->scope) == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else {
        rules_target_node(&ctx, in->object, out);
        rules_no_target(&ctx, out);
        /* Costs a second pass over the nodes: only when KubeVirt gave the CPU as its reason. */
        if (vmi_not_migratable_for_cpu(vmi))
            *cpu_failed = failed_on_cpu(&ctx, in->object, out);
    }
    migration_ctx_free(&ctx);
}

/* Every rule that reads the VMI, not-migratable last. */
static void check_vmi(const struct rule_input *in, const char *ns, const char *subject,
                      const cJSON *vmi, const struct migration_kind *kind, struct verdict *out)
{
    if (check_vmi_spec(in, ns, subject, vmi, kind, out) != CV_OK)
        return;
    bool cpu_failed = false;
    /* sendTo and receive skip the rules that read this cluster's nodes and the source pod. */
    if (vmi_in_phase(vmi, "Running") && !kind->send_to && !kind->receive)
        check_target_nodes(in, ns, vmi, out, &cpu_failed);
    if (!out->view_error)
        rule_not_migratable(vmi, cpu_failed, kind->send_to || kind->receive, out);
}

void rules_vmim_validate(const struct rule_input *in, struct verdict *out)
{
    const char *ns = in->ns ? in->ns : "";
    const char *vmi_name = obj_nonempty(obj_object(in->object, "spec"), "vmiName");
    if (!vmi_name) {
        deny_nameless_migration(in, ns, out);
        return;
    }
    char subject[512], prefix[600];
    snprintf(subject, sizeof(subject), "%s/%s", ns, vmi_name);
    snprintf(prefix, sizeof(prefix), "VM %s cannot be live-migrated: ", subject);

    struct migration_kind kind = migration_kind_of(in->object);
    enum rule_mode modes[RULE_COUNT];
    if (kind.system)
        rules_system_migration_modes(in->settings, modes);
    else
        memcpy(modes, in->settings->migration, sizeof(modes));

    const cJSON *vmi = NULL;
    enum cv_result r = cv_get(in->view, in->scope, CV_VMI, ns, vmi_name, &vmi);
    if (r == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else {
        bool found = r == CV_OK;
        /* The receiving side of a decentralized migration waits for the sync: not running yet. */
        if (!(found && kind.receive && vmi_in_phase(vmi, "WaitingForSync")))
            rule_not_running(found ? vmi : NULL, out);
        if (rule_in_flight(ns, vmi_name, review_name(in), meta_uid(in->object), in->view, in->scope,
                           out) == CV_OK &&
            found)
            check_vmi(in, ns, subject, vmi, &kind, out);
        if (found && pod_bridge_migration_allowed(vmi_annotations(vmi)))
            modes[RULE_MANAGEMENT_BRIDGE] = rule_bridge_opt_in_mode(modes[RULE_MANAGEMENT_BRIDGE]);
    }
    verdict_finish(out, prefix, modes, true, subject);
}
