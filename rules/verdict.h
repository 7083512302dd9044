/*
 * rules/verdict.h - what a rule evaluation yields: findings (rule id + text),
 * plain warnings, JSON-Patch operations, and the rule ids and modes that
 * decide whether a finding denies, warns or is dropped.
 *
 * Rules append findings in the order the specification lists them; each rule
 * entry point (rules/rules.h) ends by calling verdict_finish() once, which turns
 * them into a denial message and/or a warning according to each rule's mode.
 */
#ifndef MW_RULES_VERDICT_H
#define MW_RULES_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "rules/limits.h"

enum rule_id {
    RULE_NOT_RUNNING,
    RULE_IN_FLIGHT,
    RULE_NOT_MIGRATABLE, /* KubeVirt's LiveMigratable condition is False */
    RULE_MANAGEMENT_BRIDGE,
    RULE_CDROM,
    RULE_CONTAINER_DISK,
    RULE_HOST_DEVICE,
    RULE_GPU,
    RULE_VOLUME_ACCESS_MODE,
    RULE_NODE_PINNED,
    RULE_TARGET_NODE,
    RULE_NO_TARGET,
    RULE_CPU_MODEL_UNSUPPORTED,
    RULE_HOST_MODEL_HETEROGENEOUS,
    RULE_CLUSTER_CPU_MODEL,
    RULE_MIGRATION_TIMEOUTS,
    RULE_VMIM_NO_VMI, /* VMIM without spec.vmiName: always denies */
    RULE_COUNT
};

enum rule_mode { MODE_DENY = 0, MODE_WARN, MODE_OFF };

/* "not-running", "cdrom", ... */
const char *rule_id_name(enum rule_id id);
/* Rule id from its name, or -1. */
int rule_id_from_name(const char *name);
const char *rule_mode_name(enum rule_mode mode);
/* Mode from "deny"/"warn"/"off", or -1. */
int rule_mode_from_name(const char *name);

/*
 * Settings the rules read.  `migration` holds the modes of the VMIM rules
 * (docs/rules.md#migration-rules, docs/rules.md#node-eligibility, docs/rules.md#kubevirt-cr);
 * `early` the modes of the early VM/VMI warnings (docs/rules.md#early-warnings), which default to
 * warn.  `system_migration` holds the modes set for the migrations KubeVirt starts itself (node
 * drain, workload update), for the rules whose `system_migration_set` is true (docs/rules.md,
 * system migrations).
 */
struct rule_settings {
    enum rule_mode migration[RULE_COUNT];
    enum rule_mode early[RULE_COUNT];
    enum rule_mode system_migration[RULE_COUNT];
    bool system_migration_set[RULE_COUNT];
    bool default_timeouts; /* docs/rules.md#kubevirt-cr opt-in: set 800/150 on KubeVirt CRs */
};
void rule_settings_default(struct rule_settings *s);

struct finding {
    enum rule_id rule;
    bool standalone; /* not joined after the prefix: a message of its own */
    char *text;      /* owned */
};

struct verdict {
    struct finding *findings;
    size_t nfindings, capfindings;
    char **warnings; /* owned strings, in order */
    size_t nwarnings, capwarnings;
    cJSON *patch;     /* owned array of RFC 6902 ops, NULL when none */
    char *view_error; /* owned: the cluster view could not answer */

    /* Set by verdict_finish(): */
    bool allowed;
    char *message;                  /* owned denial message, NULL when allowed */
    enum rule_id fired[RULE_COUNT]; /* ids of findings kept (deny or warn), in order */
    enum rule_mode fired_mode[RULE_COUNT];
    size_t nfired;
    enum rule_mode modes[RULE_COUNT]; /* the mode of every rule in this review (it may differ
                                         from the settings: system migrations, the pod-bridge
                                         opt-in) */
};

/*
 * `head` followed by the `n` items joined by `sep`, at most `limit` bytes:
 * when they do not all fit, as many whole items as fit and then
 * " (+<k> more)", k = items left out.  When not even `head` and the marker
 * fit, `head` is cut on a character boundary.  Caller frees; NULL when out of
 * memory.
 */
char *text_fit(const char *head, const char *const *items, size_t n, const char *sep, size_t limit);

void verdict_init(struct verdict *v);
void verdict_free(struct verdict *v);
/*
 * Append a finding for `rule` (printf-style).  Returns 0 or -1 when out of
 * memory.  A `standalone` finding's text stands alone (not joined after the
 * prefix): in warn mode it is a warning of its own, in deny mode it is
 * appended to the denial message after "; ".
 */
int verdict_add_finding(struct verdict *v, enum rule_id rule, bool standalone, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define verdict_add(v, rule, ...) verdict_add_finding((v), (rule), false, __VA_ARGS__)
#define verdict_add_standalone(v, rule, ...) verdict_add_finding((v), (rule), true, __VA_ARGS__)
/* Whether `v` holds a finding for `rule`. */
bool verdict_has(const struct verdict *v, enum rule_id rule);
/* Append a plain warning (printf-style). */
int verdict_warn(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record that the cluster view failed (printf-style); the first error wins. */
int verdict_view_error(struct verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append one JSON-Patch op (takes ownership of `value`, may be NULL for remove). */
int verdict_patch(struct verdict *v, const char *op, const char *path, cJSON *value);

/*
 * Decide: findings whose mode (from `modes`) is deny are joined by "; " after
 * `prefix` into v->message and make v->allowed false; findings in warn mode are
 * joined the same way after `prefix` into one warning; off drops them.
 * A view error (when `validating`) denies with
 * "cannot verify migration of VM <subject>: <error>"; when mutating it becomes
 * a warning and any patch is dropped.  `subject` is "<ns>/<name>".
 */
int verdict_finish(struct verdict *v, const char *prefix, const enum rule_mode *modes,
                   bool validating, const char *subject);

#endif
