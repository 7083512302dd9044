/*
 * rules/network.c - management-bridge (SPEC §3): pairs each pod network with
 * its interface by name and reports a bridge binding there.
 */
#include "rules/network.h"

#include <string.h>

#include "rules/fields.h"

/* Interfaces with a bridge binding, by name. */
static const char *bridge_interface_name(const cJSON *iface)
{
    const cJSON *bridge = obj_get(iface, "bridge");
    return bridge && !cJSON_IsNull(bridge) ? obj_string(iface, "name") : NULL;
}

void rule_management_bridge(const cJSON *spec, struct verdict *out)
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
        if (pod && !cJSON_IsNull(pod) && name && name_index_find(&bridges, name))
            verdict_add(out, RULE_MANAGEMENT_BRIDGE,
                        "interface \"%s\" uses bridge binding on the management network; use "
                        "masquerade instead",
                        name);
    }
    name_index_free(&bridges);
}
