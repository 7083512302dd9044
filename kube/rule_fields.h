/*
 * kube/rule_fields.h - the fields of the watched kinds that the rules read.
 *
 * The live view caches Nodes, KubeVirt CRs and MigrationPolicies trimmed to
 * these fields (cluster/intern.c, cluster/live.c); the static view keeps
 * Nodes trimmed the same way (cluster/static.c), so both views answer alike.
 * A rule that reads a field of these kinds not listed here gets NULL from a
 * cached object: add the field here in the same change.
 *
 * Every list is NULL-terminated.  Besides these, a trimmed object keeps
 * apiVersion and kind, and a Node all its metadata.labels.
 */
#ifndef MW_KUBE_RULE_FIELDS_H
#define MW_KUBE_RULE_FIELDS_H

/* Node: metadata.name and .uid, the annotations below, spec.unschedulable and .taints. */
extern const char *const rule_node_metadata[];
extern const char *const rule_node_annotations[];
extern const char *const rule_node_spec[];

/* KubeVirt CR (docs/rules.md#timeouts): spec.configuration, status.observedKubeVirtVersion. */
extern const char *const rule_kubevirt_spec[];
extern const char *const rule_kubevirt_status[];

/* MigrationPolicy (docs/rules.md#timeouts): spec.selectors and .completionTimeoutPerGiB. */
extern const char *const rule_policy_spec[];

/* KubeVirt CRs and MigrationPolicies keep metadata.name and .namespace. */
extern const char *const rule_object_metadata[];

#endif
