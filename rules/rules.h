/*
 * rules/rules.h - the policy entry points.  Pure: each takes the object under
 * review, the namespace it is in, the settings and a cluster view, and fills a
 * finished verdict (verdict_finish() already applied): the caller reads
 * allowed, message, warnings and patch.  No I/O, no server headers.
 *
 * Text of every finding is exactly as docs/rules.md writes it.
 */
#ifndef MW_RULES_RULES_H
#define MW_RULES_RULES_H

#include "cluster/view.h"
#include "rules/verdict.h"

struct rule_input {
    const cJSON *object;     /* the object under review (request.object) */
    const cJSON *old_object; /* request.oldObject of an UPDATE, else NULL */
    const char *ns;          /* request.namespace ("" for cluster-scoped) */
    const char *name;        /* request.name or metadata.name/generateName */
    const struct rule_settings *settings;
    const struct cluster_view *view;
    struct cv_scope *scope;
};

/* ---- rules/migration.c: VMIM CREATE on /validate (docs/rules.md#migration-rules,
 * docs/rules.md#node-eligibility, docs/rules.md#details) ---- */
void rules_vmim_validate(const struct rule_input *in, struct verdict *out);
/*
 * The modes of a migration KubeVirt starts itself (node drain, workload
 * update): cdrom and container-disk warn where they would deny, then every
 * rule set under systemMigrations takes that mode.  Fills modes[RULE_COUNT].
 */
void rules_system_migration_modes(const struct rule_settings *s, enum rule_mode *modes);

/* ---- rules/early.c: VM / VMI CREATE/UPDATE on /validate (docs/rules.md#early-warnings) ---- */
void rules_vm_validate(const struct rule_input *in, struct verdict *out);

/* ---- rules/kubevirt_cr.c: KubeVirt CR (docs/rules.md#kubevirt-cr) ---- */
void rules_kubevirt_validate(const struct rule_input *in, struct verdict *out);
void rules_kubevirt_mutate(const struct rule_input *in, struct verdict *out);

/* ---- rules/cpu_model.c: migration target pod CREATE on /mutate
 * (docs/cpu-models.md#target-pod-selectors) ---- */
void rules_pod_mutate(const struct rule_input *in, struct verdict *out);

/* ---- rules/timeouts.c: VMIM CREATE on /mutate (docs/rules.md#timeouts) ---- */
void rules_vmim_mutate(const struct rule_input *in, struct verdict *out);

#endif
