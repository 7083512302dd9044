/*
 * rules/network.c - management-bridge (SPEC §3): pairs each pod network with
 * its interface by name and reports a bridge binding there.
 */
#include "rules/network.h"

#include <string.h>

#include "rules/fields.h"

static int interface_uses_bridge(const cJSON *interfaces, const char *name)
{
    const cJSON *iface;
    cJSON_ArrayForEach (iface, interfaces) {
        const char *iname = obj_string(iface, "name");
        if (iname && strcmp(iname, name) == 0 && obj_get(iface, "bridge") &&
            !cJSON_IsNull(obj_get(iface, "bridge")))
            return 1;
    }
    return 0;
}

void rule_management_bridge(const cJSON *spec, struct verdict *out)
{
    const cJSON *interfaces =
        obj_array(obj_object(obj_object(spec, "domain"), "devices"), "interfaces");
    const cJSON *net;
    cJSON_ArrayForEach (net, obj_array(spec, "networks")) {
        const cJSON *pod = obj_get(net, "pod");
        const char *name = obj_string(net, "name");
        if (!pod || cJSON_IsNull(pod) || !name)
            continue;
        if (interface_uses_bridge(interfaces, name))
            verdict_add(out, RULE_MANAGEMENT_BRIDGE,
                        "interface \"%s\" uses bridge binding on the management network; use "
                        "masquerade instead",
                        name);
    }
}
