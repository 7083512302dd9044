/*
 * rules/network.c - management-bridge (docs/rules.md#migration-rules, docs/rules.md#details): pairs
 * each pod network with its interface by name and reports a bridge binding there; with KubeVirt's
 * opt-in annotation the finding is a warning of its own.
 */
#include "rules/network.h"

#include <string.h>

#include "kube/object.h"
#include "rules/update.h"

/* Interfaces with a bridge binding, by name. */
static const char *bridge_interface_name(const cJSON *iface)
{
    const cJSON *bridge = obj_get(iface, "bridge");
    return bridge && !cJSON_IsNull(bridge) ? obj_string(iface, "name") : NULL;
}

bool pod_bridge_migration_allowed(const cJSON *annotations)
{
    return obj_get(annotations, ANNOTATION_ALLOW_POD_BRIDGE) != NULL;
}

enum rule_mode rule_bridge_opt_in_mode(enum rule_mode configured)
{
    return configured == MODE_OFF ? MODE_OFF : MODE_WARN;
}

void rule_management_bridge(const cJSON *spec, bool allowed, const char *subject,
                            struct verdict *out)
{
    const cJSON *interfaces =
        obj_array(obj_object(obj_object(spec, "domain"), "devices"), "interfaces");
    struct name_index bridges;
    if (name_index_build(&bridges, interfaces, bridge_interface_name) != 0)
        return;
    const cJSON *net;
    cJSON_ArrayForEach (net, obj_array(spec, "networks")) {
        const cJSON *pod = obj_get(net, "pod");
        const char *name = obj_string(net, "name");
        if (!pod || cJSON_IsNull(pod) || !name || !name_index_find(&bridges, name))
            continue;
        if (allowed)
            verdict_add_standalone(
                out, RULE_MANAGEMENT_BRIDGE,
                "VM %s: interface \"%s\" uses bridge binding on the management network; "
                "migrating anyway (" ANNOTATION_ALLOW_POD_BRIDGE
                "): the guest keeps its old IP address",
                subject, name);
        else
            verdict_add(out, RULE_MANAGEMENT_BRIDGE,
                        "interface \"%s\" uses bridge binding on the management network; use "
                        "masquerade instead",
                        name);
    }
    name_index_free(&bridges);
}
