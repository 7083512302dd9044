/*
 * rules/update.h - what an UPDATE review changed, judged against oldObject.
 *
 * KubeVirt writes VMI status through the main resource (the VMI CRD has no
 * status subresource), virt-operator and Harvester rewrite the KubeVirt CR on
 * every reconcile.  Those writes must cost nothing and never be refused for a
 * field they did not touch, so the VM/VMI and KubeVirt CR rules first ask
 * here whether the part they judge changed (docs/rules.md#updates).
 *
 * Pure: compares two cJSON trees, allocates nothing.
 */
#ifndef MW_RULES_UPDATE_H
#define MW_RULES_UPDATE_H

#include <stdbool.h>
#include <cjson/cJSON.h>

/* The annotation by which KubeVirt migrates a VMI with a bridge on the pod network. */
#define ANNOTATION_ALLOW_POD_BRIDGE "kubevirt.io/allow-pod-bridge-network-live-migration"

/*
 * true when `a` and `b` are the same JSON value (deep, object members in any
 * order, numbers by value).  Two absent (NULL) values are the same; an absent
 * value and an explicit null are not.
 */
bool json_same(const cJSON *a, const cJSON *b);

/* true when `obj` is a VirtualMachine: its kind says so, or (no kind) it has spec.template. */
bool object_is_virtual_machine(const cJSON *obj);

/*
 * true when a VirtualMachine or VirtualMachineInstance UPDATE left alone
 * everything the migration rules read: the VMI's `spec` (a VM's
 * `spec.template.spec` and `spec.dataVolumeTemplates`) and the pod-bridge
 * opt-in annotation (the VMI's metadata.annotations, a VM's
 * spec.template.metadata.annotations).  `old` NULL (CREATE, or an UPDATE
 * without oldObject) is never unchanged.
 */
bool vm_update_unchanged(const cJSON *object, const cJSON *old);

/*
 * true when the member at `path` (NULL-terminated list of keys) differs
 * between `object` and `old`.  `old` NULL counts as changed.
 */
bool field_changed(const cJSON *object, const cJSON *old, const char *const *path);

#endif
