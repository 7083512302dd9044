/*
 * rules/state.h - rules about the VMI's state (docs/rules.md#migration-rules): not-running,
 * in-flight (another migration of the same VMI), not-migratable (KubeVirt's
 * LiveMigratable condition), node-pinned.
 */
#ifndef MW_RULES_STATE_H
#define MW_RULES_STATE_H

#include <stdbool.h>
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

/* true when the VMI's LiveMigratable condition is False for its CPU mode (only then does
 * rule_not_migratable need to know whether a target-node finding failed on the CPU step). */
bool vmi_not_migratable_for_cpu(const cJSON *vmi);

/*
 * not-migratable: the first VMI status.conditions[] entry of type
 * LiveMigratable with status "False" whose reason no finding already in `out`
 * explains: InterfaceNotLiveMigratable by management-bridge,
 * HostDeviceNotLiveMigratable by host-device or gpu, DisksNotLiveMigratable
 * by volume-access-mode (or `disks_exempt`: a decentralized migration), and
 * CPUModeLiveMigratable / CPUModeNotLiveMigratable when `cpu_explained` (a
 * target-node or no-target finding failed on the CPU step).  Call it after
 * every other VMI rule: findings of every mode explain, and the finding is
 * placed right after the not-running and in-flight ones, the order of the
 * denial message.
 */
void rule_not_migratable(const cJSON *vmi, bool cpu_explained, bool disks_exempt,
                         struct verdict *out);

/* node-pinned: `spec` is the VMI spec (or a VM's spec.template.spec). */
void rule_node_pinned(const cJSON *spec, struct verdict *out);

#endif
