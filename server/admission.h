/*
 * server/admission.h - the AdmissionReview codec and the dispatch to rules.
 *
 * admission_review() takes the raw body of a POST to /validate or /mutate,
 * checks it (UTF-8, JSON, an object with a request object and a uid), finds
 * the rule for (path, group, resource, operation), runs it, and encodes the
 * answer in the request's apiVersion (admission.k8s.io/v1 or v1beta1).  It
 * never prints; what the log line needs comes back in the outcome.
 *
 * The rules are reached through a table of function pointers so the codec can
 * be tested with handlers of the test's own; serve.c fills the table from
 * rules/rules.h.
 */
#ifndef MW_SERVER_ADMISSION_H
#define MW_SERVER_ADMISSION_H

#include <stddef.h>

#include "rules/rules.h"

typedef void (*admission_rule_fn)(const struct rule_input *in, struct verdict *out);

/* The rule entry points; a NULL entry allows its reviews unchanged. */
struct admission_handlers {
    admission_rule_fn vmim_validate;     /* /validate VMIM CREATE */
    admission_rule_fn vm_validate;       /* /validate VM, VMI CREATE/UPDATE */
    admission_rule_fn kubevirt_validate; /* /validate KubeVirt CREATE/UPDATE */
    admission_rule_fn pod_mutate;        /* /mutate Pod CREATE */
    admission_rule_fn vmim_mutate;       /* /mutate VMIM CREATE */
    admission_rule_fn kubevirt_mutate;   /* /mutate KubeVirt CREATE/UPDATE */
};

/* The policy of rules/rules.h, one entry point per concern: what `serve` runs. */
extern const struct admission_handlers admission_rule_handlers;

enum admission_path { ADMISSION_VALIDATE, ADMISSION_MUTATE };

/* Everything a review needs besides its body; shared by all threads, read-only. */
struct admission_context {
    const struct admission_handlers *handlers;
    const struct rule_settings *settings;
    const struct cluster_view *view;
    long long timeout_margin_ms; /* kept back from the review's ?timeout= */
};

/* What became of one review. */
struct admission_outcome {
    int status; /* HTTP status: 200, or 400 with an error body */
    char *body; /* owned: the JSON answer (AdmissionReview or {"error","code"}) */
    size_t body_len;
    const char *verdict; /* static: allowed|denied|patched|warned|error */
    char *error;         /* owned: the 400 text, NULL on 200 */
    /* For the log line; owned copies, NULL when the review did not say. */
    char *uid, *resource, *operation, *ns, *name;
    enum rule_id fired[RULE_COUNT];
    enum rule_mode fired_mode[RULE_COUNT]; /* deny or warn, for fired[i] */
    size_t nfired;
};

/*
 * Decodes, dispatches and encodes one review.  `timeout_param` is the value of
 * the ?timeout= query parameter ("10s"), or NULL.  Always fills `out` (even on
 * out-of-memory, which gives status 500); returns out->status.  Free the
 * outcome with admission_outcome_free.
 */
int admission_review(const struct admission_context *ctx, enum admission_path path,
                     const char *body, size_t len, const char *timeout_param,
                     struct admission_outcome *out);

void admission_outcome_free(struct admission_outcome *out);

/*
 * The one-line JSON error body {"error":"<text>","code":<status>}.
 * Returns a malloc'd string (caller frees), NULL when out of memory.
 */
char *admission_error_body(int status, const char *text);

/*
 * Milliseconds the rules may take for a review with ?timeout=`param`: a Go
 * duration ("10s", "1500ms", "1m"); missing or unreadable means the default.
 * The margin is subtracted, and the result is never below the minimum budget.
 */
long long admission_budget_ms(const char *param, long long margin_ms);

/* 1 when `len` bytes of `s` are well-formed UTF-8 without NUL bytes. */
int admission_utf8_valid(const char *s, size_t len);

#endif
