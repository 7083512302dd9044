/*
 * rules/state.h - rules about the VMI's state (SPEC §3): not-running,
 * in-flight (another migration of the same VMI), node-pinned.
 */
#ifndef MW_RULES_STATE_H
#define MW_RULES_STATE_H

#include "cluster/view.h"
#include "rules/verdict.h"

/* not-running: `vmi` NULL means there is no VirtualMachineInstance. */
void rule_not_running(const cJSON *vmi, struct verdict *out);

/*
 * in-flight: other VMIMs in `ns` for VMI `vmi_name` (label kubevirt.io/vmi-name
 * or spec.vmiName) that have not Succeeded/Failed, one finding each, sorted by
 * name.  `self_name`/`self_uid` (may be NULL) identify the VMIM under review,
 * which is skipped.  Returns CV_OK, or CV_ERROR with the view error already
 * recorded in `out`.
 */
enum cv_result rule_in_flight(const char *ns, const char *vmi_name, const char *self_name,
                              const char *self_uid, const struct cluster_view *view,
                              struct cv_scope *scope, struct verdict *out);

/* node-pinned: `spec` is the VMI spec (or a VM's spec.template.spec). */
void rule_node_pinned(const cJSON *spec, struct verdict *out);

#endif
