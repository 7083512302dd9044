/*
 * rules/timeouts.h - how long KubeVirt lets a migration run before it aborts
 * it (docs/rules.md#timeouts), computed the way KubeVirt does:
 *
 *   completion = per-GiB x D, D = the VM's memory in whole 10^9 bytes,
 *                rounded up (8Gi -> 9, 8G -> 8);
 *   per-GiB    = the matching MigrationPolicy's completionTimeoutPerGiB, else
 *                the KubeVirt CR's, else KubeVirt's default: 150 from v1.4.0
 *                on, 800 before or when the version is unknown;
 *   progress   = the KubeVirt CR's progressTimeout, else 150.
 *
 * rules_vmim_mutate (rules/rules.h) writes them as VMIM annotations with a
 * `timeouts-from` line saying where they come from; `check` prints the same.
 */
#ifndef MW_RULES_TIMEOUTS_H
#define MW_RULES_TIMEOUTS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "cluster/view.h"

#define TIMEOUT_ANNOTATION_COMPLETION "migration-webhook.io/completion-timeout-seconds"
#define TIMEOUT_ANNOTATION_PROGRESS "migration-webhook.io/progress-timeout-seconds"
#define TIMEOUT_ANNOTATION_FROM "migration-webhook.io/timeouts-from"

/* KubeVirt's default completionTimeoutPerGiB from v1.4.0 on, and before it (or version unknown). */
#define TIMEOUT_DEFAULT_PER_GIB 150
#define TIMEOUT_DEFAULT_PER_GIB_BEFORE_1_4 800
#define TIMEOUT_DEFAULT_PROGRESS 150

/* A KubeVirt version, major.minor.patch. */
struct kubevirt_version {
    bool known;
    long long major, minor, patch;
};

/*
 * Reads a version as KubeVirt's status.observedKubeVirtVersion gives it: an
 * optional leading `v`, anything from the first `-` or `+` on ignored, then
 * numeric major[.minor[.patch]] with missing parts 0 (`v1.4` = 1.4.0,
 * `1.4.1-150600.5.15.1` = 1.4.1).  Anything else (NULL, "", `latest`, `1.x`,
 * four parts) is unknown: out->known = false.  Returns out->known.
 */
bool kubevirt_version_parse(const char *text, struct kubevirt_version *out);

/* KubeVirt's default completionTimeoutPerGiB for version `v`: 150 from 1.4.0 on, else 800. */
long long kubevirt_default_per_gib(const struct kubevirt_version *v);

enum timeout_source { TIMEOUT_FROM_DEFAULT, TIMEOUT_FROM_CR, TIMEOUT_FROM_POLICY };

struct migration_timeouts {
    long long per_gib; /* completionTimeoutPerGiB in force */
    enum timeout_source per_gib_from;
    const char *policy;                /* the MigrationPolicy matched (borrowed), NULL when none */
    struct kubevirt_version version;   /* the CR's status.observedKubeVirtVersion */
    long long progress;                /* progressTimeout in force, seconds */
    enum timeout_source progress_from; /* TIMEOUT_FROM_CR or TIMEOUT_FROM_DEFAULT */
    const char *memory;           /* the memory quantity as written (borrowed), NULL when unknown */
    const char *memory_source;    /* "spec.domain.memory.guest" or
                                     "spec.domain.resources.requests.memory" (static text) */
    long long memory_bytes;       /* 0 when unknown */
    long long data_size;          /* D: memory in whole 10^9 bytes rounded up, 0 when unknown */
    long long completion_seconds; /* per_gib x data_size, 0 when memory unknown */
};

/*
 * The MigrationPolicy of `policies` (an array) that applies to a VMI with
 * labels `vmi_labels` (an object or NULL) in Namespace `ns_name` whose labels
 * are `ns_labels` (object or NULL; kubernetes.io/metadata.name=<ns_name> is
 * implied).  A policy matches when every label of its
 * spec.selectors.virtualMachineInstanceSelector is on the VMI and every label
 * of its spec.selectors.namespaceSelector is on the Namespace; a policy
 * without spec.selectors matches nothing.  The most labels matched in all
 * wins, then the most VMI labels, then the lexicographically first name.
 * NULL when none matches.
 */
const cJSON *migration_policy_match(const cJSON *policies, const cJSON *vmi_labels,
                                    const char *ns_name, const cJSON *ns_labels);

/*
 * 1 when matching `policies` against a VMI with labels `vmi_labels` needs its
 * Namespace's labels: some policy whose VMI selector matches has a
 * namespaceSelector key other than kubernetes.io/metadata.name.
 */
bool migration_policies_read_namespace(const cJSON *policies, const cJSON *vmi_labels);

/*
 * Computes the timeouts of `vmi` under KubeVirt CR `kubevirt` (may be NULL)
 * and the matched MigrationPolicy `policy` (may be NULL).  A setting that is
 * not a positive integer counts as unset.  Returns 0, or -1 when the memory
 * is missing, not a quantity, not positive, or the product does not fit:
 * then every field but the memory and completion ones is set, and err says
 * why.
 */
int migration_timeouts_compute(const cJSON *vmi, const cJSON *kubevirt, const cJSON *policy,
                               struct migration_timeouts *out, char *err, size_t errlen);

/*
 * The same, looking up in `view` the KubeVirt CR, the MigrationPolicies and
 * (when a policy needs it) the VMI's Namespace `ns`.  CV_ERROR (scope->err)
 * when the view cannot answer; else CV_OK and *memory_ok says whether the
 * completion timeout is known (err says why not).
 */
enum cv_result migration_timeouts_lookup(const struct cluster_view *view, struct cv_scope *scope,
                                         const cJSON *vmi, const char *ns,
                                         struct migration_timeouts *out, bool *memory_ok, char *err,
                                         size_t errlen);

/* "MigrationPolicy <name>", "KubeVirt CR", "KubeVirt default (v1.4.1)", ... into buf. */
void migration_timeouts_per_gib_source(const struct migration_timeouts *t, char *buf, size_t len);

/* "KubeVirt CR" or "KubeVirt default". */
const char *migration_timeouts_progress_source(const struct migration_timeouts *t);

/*
 * The `timeouts-from` line into buf:
 *   "<per-GiB source>: <P> s/GiB x <D> (<memory> rounded up to whole 10^9 bytes);
 *    progress: <progress source>"
 * or, with the memory unknown, "completion: memory size unknown; progress: <source>".
 */
void migration_timeouts_from(const struct migration_timeouts *t, bool memory_ok, char *buf,
                             size_t len);

/* per_gib x ceil(bytes / 10^9); -1 when negative input or overflow. */
long long completion_timeout_seconds(long long per_gib, long long bytes);

#endif
