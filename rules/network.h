/*
 * rules/network.h - the management-bridge rule (SPEC §3): bridge binding on
 * the pod ("management") network cannot live-migrate.
 */
#ifndef MW_RULES_NETWORK_H
#define MW_RULES_NETWORK_H

#include "rules/verdict.h"

/*
 * For each `networks[]` entry with `pod: {}`, the interface of the same name
 * that uses `bridge: {}` is a finding.  The annotation
 * kubevirt.io/allow-pod-bridge-network-live-migration is deliberately ignored;
 * bridges on multus networks and SR-IOV interfaces are fine.  `spec` is the
 * VMI spec (or a VM's spec.template.spec).
 */
void rule_management_bridge(const cJSON *spec, struct verdict *out);

#endif
