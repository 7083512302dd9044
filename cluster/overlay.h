/*
 * cluster/overlay.h - a cluster view that puts a few objects in front of
 * another view: lookups find the overlay's objects first, then the base's.
 *
 * `check -f vm.yaml` uses it to evaluate a manifest "as if it were running"
 * in a cluster without writing anything to that cluster.
 */
#ifndef MW_CLUSTER_OVERLAY_H
#define MW_CLUSTER_OVERLAY_H

#include "cluster/view.h"

/*
 * A view over `base` (borrowed: it must outlive the overlay) with `objects`
 * (a cJSON array; ownership taken in every case) in front.  NULL when out of
 * memory.  Free with cv_destroy(), which does not free `base`.
 */
struct cluster_view *overlay_view_new(const struct cluster_view *base, cJSON *objects);

#endif
