/*
 * rules/kubevirt_cr.h - the KubeVirt CR (docs/rules.md#kubevirt-cr): finding it in the view,
 * and reading its migration settings the way the cluster-cpu-model and
 * migration-timeouts rules judge them.  The rule entry points
 * (rules_kubevirt_validate / rules_kubevirt_mutate) are in rules/rules.h.
 */
#ifndef MW_RULES_KUBEVIRT_CR_H
#define MW_RULES_KUBEVIRT_CR_H

#include <stdbool.h>
#include "cluster/view.h"

/* Values the opt-in mutation sets when unset (docs/rules.md#kubevirt-cr). */
#define KUBEVIRT_DEFAULT_COMPLETION_PER_GIB 800
#define KUBEVIRT_DEFAULT_PROGRESS_TIMEOUT 150

/*
 * The KubeVirt CR of the cluster: the first KubeVirt object the view lists.
 * Returns CV_OK (*cr set), CV_NOT_FOUND (*cr NULL) or CV_ERROR (scope->err).
 * *cr is borrowed until the scope is released.
 */
enum cv_result kubevirt_cr_lookup(const struct cluster_view *view, struct cv_scope *scope,
                                  const cJSON **cr);

/*
 * true when `value` is a JSON integer greater than 0 that fits in int64; sets
 * *out.  Strings, booleans and fractions fail.  cJSON keeps numbers as
 * doubles, so `800.0` (or `8e2`) in the request text reads as 800 and passes:
 * the parsed tree no longer tells them apart.
 */
bool kubevirt_setting_is_positive_integer(const cJSON *value, long long *out);

/* spec.configuration.migrations of a KubeVirt CR, or NULL. */
const cJSON *kubevirt_migrations(const cJSON *cr);
/* spec.configuration.cpuModel when a non-empty string, else NULL. */
const char *kubevirt_cpu_model(const cJSON *cr);

#endif
