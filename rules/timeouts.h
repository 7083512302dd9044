/*
 * rules/timeouts.h - how long a migration may take before KubeVirt aborts it
 * (SPEC §8): completion = completionTimeoutPerGiB x memory in GiB (2^30
 * bytes), rounded up to a whole second; progress = progressTimeout.
 * rules_vmim_mutate (rules/rules.h) writes both as VMIM annotations; `check`
 * prints them with migration_timeouts_compute.
 */
#ifndef MW_RULES_TIMEOUTS_H
#define MW_RULES_TIMEOUTS_H

#include <cjson/cJSON.h>

#define TIMEOUT_ANNOTATION_COMPLETION "migration-webhook.io/completion-timeout-seconds"
#define TIMEOUT_ANNOTATION_PROGRESS "migration-webhook.io/progress-timeout-seconds"

struct migration_timeouts {
    long long per_gib;           /* completionTimeoutPerGiB in force */
    const char *per_gib_source;  /* "KubeVirt CR" or "default" (static text) */
    long long progress;          /* progressTimeout in force, seconds */
    const char *progress_source; /* "KubeVirt CR" or "default" (static text) */
    long long memory_bytes;      /* the VM's memory, 0 when unknown */
    const char
        *memory_source; /* "spec.domain.memory.guest", "spec.domain.resources.requests.memory"
                           or NULL when unknown (static text) */
    long long completion_seconds; /* ceil(per_gib * memory_bytes / 2^30), 0 when memory unknown */
};

/*
 * Computes the timeouts of `vmi` under KubeVirt CR `kubevirt` (may be NULL:
 * defaults 800 and 150; a CR value that is not a positive integer is ignored
 * the same way).  Returns 0, or -1 when the memory is missing, not a quantity,
 * not positive, or the product does not fit: then the per-GiB and progress
 * fields are still set, completion_seconds is 0 and err says why.
 */
int migration_timeouts_compute(const cJSON *vmi, const cJSON *kubevirt,
                               struct migration_timeouts *out, char *err, size_t errlen);

/* ceil(per_gib * bytes / 2^30) exactly; -1 when negative input or overflow. */
long long completion_timeout_seconds(long long per_gib, long long bytes);

#endif
