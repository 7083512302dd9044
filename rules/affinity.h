/*
 * rules/affinity.h - does a node satisfy a pod's (or VMI's) node rules?
 *
 * Kubernetes semantics (k8s.io/component-helpers/scheduling/corev1/nodeaffinity):
 * a nodeSelector map needs every key to equal its value; nodeSelectorTerms are
 * ORed, the expressions of a term are ANDed; operators In, NotIn, Exists,
 * DoesNotExist, Gt, Lt; an invalid expression fails its term; an empty term
 * (no expressions and no fields) matches nothing.  matchFields knows the one
 * field Kubernetes supports, metadata.name.
 *
 * Label values count only when they are strings ("true", not the boolean true).
 *
 * When a node does not match, the reason names the first failing expression of
 * the first term, e.g. "(zone In a,b)", "(gpu Exists)", "(cores Gt 8)".
 */
#ifndef MW_RULES_AFFINITY_H
#define MW_RULES_AFFINITY_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "kube/label_index.h"

#include "kube/object.h" /* meta_label, meta_name */

/*
 * Results of the match functions: MATCH_YES, MATCH_NO (with *why set, caller
 * frees), MATCH_NOMEM (out of memory, *why NULL).
 */
enum match_result { MATCH_YES = 1, MATCH_NO = 0, MATCH_NOMEM = -1 };

/*
 * `node` against a nodeSelector map (key -> value), ignoring `skip_key` (may
 * be NULL).  A missing or null selector matches.  Reason "(<key> In <value>)".
 */
enum match_result node_selector_map_match(const cJSON *selector, const cJSON *node,
                                          const char *skip_key, char **why);

/* `node` against a NodeSelector object {nodeSelectorTerms: [...]}.  NULL or JSON null matches. */
enum match_result node_selector_match(const cJSON *node_selector, const cJSON *node, char **why);
/* The same, reading the node's labels through `ix` (its label index; NULL: read them directly). */
enum match_result node_selector_match_indexed(const cJSON *node_selector, const cJSON *node,
                                              const struct label_index *ix, char **why);

/*
 * `node` against a VMI's scheduling rules (docs/rules.md#node-eligibility step 3):
 * spec.nodeSelector except kubernetes.io/hostname, then
 * spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.
 */
enum match_result vmi_scheduling_rules_match(const cJSON *vmi, const cJSON *node, char **why);

/*
 * 1 when one of `tolerations` (an array, or NULL) tolerates `taint`, with
 * Kubernetes' semantics (ToleratesTaint): the effect matches (an empty effect
 * matches all), the key matches (an empty key with operator Exists matches
 * every key), and operator Exists, or Equal (the default) with the same value.
 */
bool taint_tolerated(const cJSON *taint, const cJSON *tolerations);

#endif
