/*
 * cluster/open.h - the cluster view the command line asks for: the files of
 * --cluster-dir, the API server of --kubeconfig, or (neither given) the API
 * server of the pod's service account (in-cluster).
 */
#ifndef MW_CLUSTER_OPEN_H
#define MW_CLUSTER_OPEN_H

#include <stddef.h>
#include "cluster/view.h"

/*
 * Opens the view.  At most one of cluster_dir / kubeconfig is set; neither
 * means in-cluster.  A line worth logging (insecure TLS, say) is left in
 * `warning` (may be ""); `describe` receives a short description for logs
 * ("files under DIR", "https://host:6443").  Returns the view (free with
 * cv_destroy), or NULL with one line in err.
 */
struct cluster_view *cluster_view_open(const char *cluster_dir, const char *kubeconfig,
                                       char *warning, size_t warnlen, char *describe,
                                       size_t describelen, char *err, size_t errlen);

#endif
