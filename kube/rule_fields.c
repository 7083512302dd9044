/*
 * kube/rule_fields.c - the fields of the watched kinds that the rules read (see rule_fields.h).
 */
#include "kube/rule_fields.h"

#include <stddef.h>

const char *const rule_node_metadata[] = {"name", "uid", NULL};
const char *const rule_node_annotations[] = {"harvesterhci.io/maintain-status",
                                             "harvesterhci.io/drain-requested", NULL};
const char *const rule_node_spec[] = {"unschedulable", "taints", NULL};

const char *const rule_kubevirt_spec[] = {"configuration", NULL};
const char *const rule_kubevirt_status[] = {"observedKubeVirtVersion", NULL};

const char *const rule_policy_spec[] = {"selectors", "completionTimeoutPerGiB", NULL};

const char *const rule_object_metadata[] = {"name", "namespace", NULL};
