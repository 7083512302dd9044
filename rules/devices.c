/*
 * rules/devices.c - host-device and gpu (docs/rules.md#migration-rules): each passed-through device
 * is named with its deviceName.  A missing or non-string name reads "".
 */
#include "rules/devices.h"

#include "kube/object.h"

static const cJSON *devices_list(const cJSON *spec, const char *key)
{
    return obj_array(obj_object(obj_object(spec, "domain"), "devices"), key);
}

void rule_host_device(const cJSON *spec, struct verdict *out)
{
    const cJSON *dev;
    cJSON_ArrayForEach (dev, devices_list(spec, "hostDevices"))
        verdict_add(out, RULE_HOST_DEVICE,
                    "host device \"%s\" (%s) is passed through; remove it first",
                    obj_string_or(dev, "name", ""), obj_string_or(dev, "deviceName", ""));
}

void rule_gpu(const cJSON *spec, struct verdict *out)
{
    const cJSON *dev;
    cJSON_ArrayForEach (dev, devices_list(spec, "gpus"))
        verdict_add(out, RULE_GPU, "GPU \"%s\" (%s) is passed through; remove it first",
                    obj_string_or(dev, "name", ""), obj_string_or(dev, "deviceName", ""));
}
