/*
 * cluster/static.h - a cluster view over a fixed set of objects: the files of
 * --cluster-dir, or objects a test builds in memory.
 */
#ifndef MW_CLUSTER_STATIC_H
#define MW_CLUSTER_STATIC_H

#include <stddef.h>
#include "cluster/view.h"

/*
 * A view over `objects`, a cJSON array of Kubernetes objects (any order, any
 * of the kinds in view.h; other kinds are ignored).  Takes ownership of
 * `objects` in every case.  Returns NULL when out of memory.  Free with
 * cv_destroy().
 */
struct cluster_view *static_view_new(cJSON *objects);

/*
 * Loads every *.yaml, *.yml and *.json file under `dir` (recursively, in name
 * order): single objects, `List`s and multi-document YAML.  Returns a cJSON
 * array of the objects (caller frees), or NULL with one line in err naming the
 * file and the position of the problem.
 */
cJSON *static_load_dir(const char *dir, char *err, size_t errlen);

/* static_load_dir + static_view_new.  NULL with err on failure. */
struct cluster_view *static_view_load(const char *dir, char *err, size_t errlen);

/* Number of objects of a kind held by a static view (for logs and tests). */
size_t static_view_count(const struct cluster_view *v, enum cv_kind kind);

#endif
