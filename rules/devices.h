/*
 * rules/devices.h - passthrough devices that cannot live-migrate (docs/rules.md#migration-rules):
 * host devices (PCI or USB) and GPUs.
 */
#ifndef MW_RULES_DEVICES_H
#define MW_RULES_DEVICES_H

#include "rules/verdict.h"

/* host-device: every spec.domain.devices.hostDevices[] entry. */
void rule_host_device(const cJSON *spec, struct verdict *out);
/* gpu: every spec.domain.devices.gpus[] entry. */
void rule_gpu(const cJSON *spec, struct verdict *out);

#endif
