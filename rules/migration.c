/*
 * rules/migration.c - the validating VMIM CREATE review (SPEC §3, §12).
 *
 * Reads the VMI the migration names and runs the rules in the order the
 * specification's table lists them:
 *   not-running, in-flight                      (always, even without a VMI)
 *   management-bridge, cdrom, container-disk,
 *   host-device, gpu, volume-access-mode,
 *   node-pinned                                 (when the VMI exists)
 *   target-node, no-target                      (when the VMI is Running)
 * Every failing rule is reported; verdict_finish() then joins the texts after
 * "VM <ns>/<vmiName> cannot be live-migrated: " according to each rule's mode.
 * When the cluster view cannot answer, the review is denied with
 * "cannot verify migration of VM ...".
 */
#include <stdio.h>
#include <string.h>

#include "rules/devices.h"
#include "rules/fields.h"
#include "rules/network.h"
#include "rules/rules.h"
#include "rules/state.h"
#include "rules/target_node.h"
#include "rules/volumes.h"

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

static int vmi_is_running(const cJSON *vmi)
{
    const char *phase = obj_string(obj_object(vmi, "status"), "phase");
    return phase && strcmp(phase, "Running") == 0;
}

/* The rules that need only the VMI (and its PVCs).  Returns CV_OK or CV_ERROR. */
static enum cv_result check_vmi_spec(const struct rule_input *in, const char *ns, const cJSON *vmi,
                                     struct verdict *out)
{
    const cJSON *spec = obj_object(vmi, "spec");
    rule_management_bridge(spec, out);
    rule_cdrom(spec, out);
    rule_container_disk(spec, out);
    rule_host_device(spec, out);
    rule_gpu(spec, out);
    struct access_mode_sources src = {
        .volume_status = obj_array(obj_object(vmi, "status"), "volumeStatus"),
        .dv_templates = NULL,
        .missing_pvc_is_finding = true,
    };
    if (rule_volume_access_mode(spec, &src, ns, in->view, in->scope, out) == CV_ERROR)
        return CV_ERROR;
    rule_node_pinned(spec, out);
    return CV_OK;
}

/* target-node, then no-target (SPEC §4). */
static void check_target_nodes(const struct rule_input *in, const char *ns, const cJSON *vmi,
                               struct verdict *out)
{
    struct migration_ctx ctx;
    if (migration_ctx_init(&ctx, vmi, ns, in->view, in->scope) == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else {
        rules_target_node(&ctx, in->object, out);
        rules_no_target(&ctx, out);
    }
    migration_ctx_free(&ctx);
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

    const cJSON *vmi = NULL;
    enum cv_result r = cv_get(in->view, in->scope, CV_VMI, ns, vmi_name, &vmi);
    if (r == CV_ERROR) {
        verdict_view_error(out, "%s", in->scope->err);
    } else {
        rule_not_running(r == CV_OK ? vmi : NULL, out);
        if (rule_in_flight(ns, vmi_name, review_name(in), meta_uid(in->object), in->view, in->scope,
                           out) == CV_OK &&
            r == CV_OK && check_vmi_spec(in, ns, vmi, out) == CV_OK && vmi_is_running(vmi))
            check_target_nodes(in, ns, vmi, out);
    }
    verdict_finish(out, prefix, in->settings->migration, true, subject);
}
