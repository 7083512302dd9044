/*
 * rules/volumes.h - the disk and volume rules (docs/rules.md#migration-rules,
 * docs/rules.md#early-warnings, docs/rules.md#details): cdrom, container-disk and
 * volume-access-mode.
 */
#ifndef MW_RULES_VOLUMES_H
#define MW_RULES_VOLUMES_H

#include <stdbool.h>
#include "cluster/view.h"
#include "rules/verdict.h"

/*
 * cdrom: every spec.domain.devices.disks[] with `cdrom` that has a volume
 * (a spec.volumes[] entry of the same name).  An ejected CD-ROM, the disk
 * left without a volume, is no finding.
 */
void rule_cdrom(const cJSON *spec, struct verdict *out);
/* container-disk: every spec.volumes[] with `containerDisk`. */
void rule_container_disk(const cJSON *spec, struct verdict *out);

/* Where volume-access-mode looks for a claim's access modes, in this order. */
struct access_mode_sources {
    const cJSON *volume_status;  /* VMI status.volumeStatus (array), may be NULL */
    const cJSON *dv_templates;   /* VM spec.dataVolumeTemplates (array), may be NULL */
    const cJSON *migrated;       /* VMI status.migratedVolumes (array), may be NULL: these
                                    volumes are exempt (a storage migration copies them) */
    bool missing_pvc_is_finding; /* docs/rules.md#migration-rules: a missing PVC is reported;
                                    docs/rules.md#early-warnings: it is not (yet) */
};

/*
 * volume-access-mode: every persistentVolumeClaim / dataVolume volume of `spec`
 * whose access modes lack ReadWriteMany.  Modes come from the sources above,
 * then from the PVC (spec.accessModes) read from the view in namespace `ns`.
 * Returns CV_OK, or CV_ERROR with the view error recorded in `out`.
 */
enum cv_result rule_volume_access_mode(const cJSON *spec, const struct access_mode_sources *src,
                                       const char *ns, const struct cluster_view *view,
                                       struct cv_scope *scope, struct verdict *out);

#endif
