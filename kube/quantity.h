/*
 * kube/quantity.h - Kubernetes resource quantities ("8Gi", "1.5Gi", "1024M",
 * "1e3", "500m") read exactly, with integer arithmetic only.
 *
 * Grammar (k8s.io/apimachinery resource.Quantity): an optional sign, a decimal
 * number (`12`, `1.5`, `.5`, `5.`), then at most one of: a binary suffix
 * (Ki Mi Gi Ti Pi Ei), a decimal SI suffix (m k M G T P E; `K` is accepted as
 * 1000 too), or a decimal exponent (`e3`, `E-2`).  No spaces.
 */
#ifndef MW_KUBE_QUANTITY_H
#define MW_KUBE_QUANTITY_H

#include <stdint.h>
#include "kube/limits.h"

enum quantity_result {
    QUANTITY_OK = 0,
    QUANTITY_GARBAGE = -1,  /* not a quantity */
    QUANTITY_OVERFLOW = -2, /* a quantity, but its value does not fit in int64 */
};

/*
 * The value of `text` as a whole number, rounded up (towards +infinity) as
 * Kubernetes' Quantity.Value() does: "1.5Gi" -> 1610612736, "100m" -> 1.
 * Returns QUANTITY_OK and sets *value, or an error (and *value untouched).
 * More than 19 significant digits count as QUANTITY_OVERFLOW.
 */
enum quantity_result quantity_parse(const char *text, int64_t *value);

/* "not a Kubernetes quantity" / "quantity too large" / "ok". */
const char *quantity_result_text(enum quantity_result r);

#endif
