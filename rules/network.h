/*
 * rules/network.h - the management-bridge rule (docs/rules.md#migration-rules): bridge binding on
 * the pod ("management") network cannot live-migrate, unless the VM opts in
 * to migrating anyway with KubeVirt's annotation.
 */
#ifndef MW_RULES_NETWORK_H
#define MW_RULES_NETWORK_H

#include <stdbool.h>
#include "rules/verdict.h"

/*
 * true when `annotations` (a metadata.annotations object: the VMI's, or a
 * VM's spec.template.metadata.annotations) holds the opt-in annotation
 * kubevirt.io/allow-pod-bridge-network-live-migration (rules/update.h), with
 * any value (KubeVirt's VerifyVMIMigratable only asks whether it is there).
 */
bool pod_bridge_migration_allowed(const cJSON *annotations);

/*
 * For each `networks[]` entry with `pod: {}`, the interface of the same name
 * that uses `bridge: {}` is a finding.  Bridges on multus networks and SR-IOV
 * interfaces are fine.  `spec` is the VMI spec (or a VM's
 * spec.template.spec).  With the opt-in annotation (`allowed`), the finding
 * stands alone, reads "VM <subject>: interface ... migrating anyway ..." and
 * the caller must give management-bridge the mode of rule_bridge_opt_in_mode().
 */
void rule_management_bridge(const cJSON *spec, bool allowed, const char *subject,
                            struct verdict *out);

/* The mode of an opted-in management-bridge finding: a warning, or nothing when off. */
enum rule_mode rule_bridge_opt_in_mode(enum rule_mode configured);

#endif
