/*
 * cluster/open.c - choosing and opening the cluster view from the command
 * line's options (shared by `serve` and `check`).
 */
#include "cluster/open.h"

#include <stdio.h>

#include "cluster/kubeconfig.h"
#include "cluster/live.h"
#include "cluster/static.h"

struct cluster_view *cluster_view_open(const char *cluster_dir, const char *kubeconfig,
                                       char *warning, size_t warnlen, char *describe,
                                       size_t describelen, char *err, size_t errlen)
{
    warning[0] = '\0';
    if (cluster_dir) {
        snprintf(describe, describelen, "files under %s", cluster_dir);
        return static_view_load(cluster_dir, err, errlen);
    }
    struct kube_config cfg;
    char why[512];
    int rc = kubeconfig ? kubeconfig_load(kubeconfig, &cfg, why, sizeof(why))
                        : kubeconfig_in_cluster(&cfg, why, sizeof(why));
    if (rc != 0) {
        if (kubeconfig)
            snprintf(err, errlen, "%s", why);
        else
            snprintf(err, errlen,
                     "not in a cluster (%s): give --cluster-dir DIR or --kubeconfig FILE", why);
        return NULL;
    }
    snprintf(warning, warnlen, "%s", cfg.warning);
    snprintf(describe, describelen, "%s", cfg.server);
    struct cluster_view *v = live_view_new(&cfg, err, errlen);
    kube_config_free(&cfg);
    return v;
}
