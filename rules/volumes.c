/*
 * rules/volumes.c - cdrom, container-disk and volume-access-mode (docs/rules.md#migration-rules).
 *
 * volume-access-mode walks spec.volumes[]; for each claim-backed volume it
 * finds the access modes in the first source that knows them (VMI
 * volumeStatus, a VM's dataVolumeTemplates, the PVC itself) and reports the
 * volume when ReadWriteMany is not among them.
 */
#include "rules/volumes.h"

#include <stdlib.h>
#include <string.h>

#include "kube/object.h"

static const cJSON *not_null(const cJSON *v)
{
    return v && !cJSON_IsNull(v) ? v : NULL;
}

static const char *volume_name(const cJSON *vol)
{
    return obj_string(vol, "name");
}

void rule_cdrom(const cJSON *spec, struct verdict *out)
{
    struct name_index volumes;
    if (name_index_build(&volumes, obj_array(spec, "volumes"), volume_name) != 0) {
        verdict_view_error(out, "out of memory");
        return;
    }
    const cJSON *disk;
    cJSON_ArrayForEach (disk,
                        obj_array(obj_object(obj_object(spec, "domain"), "devices"), "disks")) {
        const char *name = obj_string(disk, "name");
        if (not_null(obj_get(disk, "cdrom")) && name && name_index_find(&volumes, name))
            verdict_add(out, RULE_CDROM, "disk \"%s\" is a CD-ROM; eject it first", name);
    }
    name_index_free(&volumes);
}

void rule_container_disk(const cJSON *spec, struct verdict *out)
{
    const cJSON *vol;
    cJSON_ArrayForEach (vol, obj_array(spec, "volumes"))
        if (not_null(obj_get(vol, "containerDisk")))
            verdict_add(out, RULE_CONTAINER_DISK,
                        "volume \"%s\" is a container disk; remove it first",
                        obj_string_or(vol, "name", ""));
}

/* ------------------------------------------------------ volume-access-mode */

/* The claim a volume uses: persistentVolumeClaim.claimName or dataVolume.name. */
static const char *claim_of(const cJSON *vol, int *is_claim)
{
    const cJSON *pvc = obj_get(vol, "persistentVolumeClaim");
    const cJSON *dv = obj_get(vol, "dataVolume");
    *is_claim = 1;
    if (not_null(pvc))
        return obj_string_or(pvc, "claimName", "");
    if (not_null(dv))
        return obj_string_or(dv, "name", "");
    *is_claim = 0;
    return NULL;
}

/* volumeStatus entries that know access modes, by volume name. */
static const cJSON *status_modes(const cJSON *st)
{
    return obj_array(obj_object(st, "persistentVolumeClaimInfo"), "accessModes");
}

static const char *status_name(const cJSON *st)
{
    return status_modes(st) ? obj_string(st, "name") : NULL;
}

/* dataVolumeTemplates that know access modes (spec.pvc, then spec.storage), by name. */
static const cJSON *template_modes(const cJSON *t)
{
    const cJSON *spec = obj_object(t, "spec");
    const cJSON *modes = obj_array(obj_object(spec, "pvc"), "accessModes");
    return modes ? modes : obj_array(obj_object(spec, "storage"), "accessModes");
}

static const char *template_name(const cJSON *t)
{
    return template_modes(t) ? meta_name(t) : NULL;
}

/* status.migratedVolumes entries, by volumeName. */
static const char *migrated_name(const cJSON *m)
{
    return obj_string(m, "volumeName");
}

static int has_read_write_many(const cJSON *modes)
{
    const cJSON *m;
    cJSON_ArrayForEach (m, modes)
        if (cJSON_IsString(m) && strcmp(m->valuestring, "ReadWriteMany") == 0)
            return 1;
    return 0;
}

/* The string modes joined by ","; "" when none.  Caller frees; NULL when out of memory. */
static char *joined_modes(const cJSON *modes)
{
    size_t len = 1;
    const cJSON *m;
    cJSON_ArrayForEach (m, modes)
        if (cJSON_IsString(m))
            len += strlen(m->valuestring) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    cJSON_ArrayForEach (m, modes)
        if (cJSON_IsString(m)) {
            if (p != s)
                *p++ = ',';
            p = stpcpy(p, m->valuestring);
        }
    return s;
}

static void report_modes(const char *volume, const char *claim, const cJSON *modes,
                         struct verdict *out)
{
    if (has_read_write_many(modes))
        return;
    char *text = joined_modes(modes);
    if (text && *text)
        verdict_add(out, RULE_VOLUME_ACCESS_MODE,
                    "volume \"%s\" uses PVC \"%s\" with access mode %s; live migration needs "
                    "ReadWriteMany",
                    volume, claim, text);
    else
        verdict_add(out, RULE_VOLUME_ACCESS_MODE,
                    "volume \"%s\" uses PVC \"%s\" with no access mode; live migration needs "
                    "ReadWriteMany",
                    volume, claim);
    free(text);
}

/* Access modes of one claim-backed volume: reported, or looked up in the PVC. */
static enum cv_result
check_volume(const cJSON *vol, const char *claim, const struct name_index *statuses,
             const struct name_index *templates, const struct name_index *migrated,
             const struct access_mode_sources *src, const char *ns, const struct cluster_view *view,
             struct cv_scope *scope, struct verdict *out)
{
    const char *volume = obj_string_or(vol, "name", "");
    if (name_index_find(migrated, volume))
        return CV_OK;
    const cJSON *st = name_index_find(statuses, volume);
    const cJSON *modes = st ? status_modes(st) : NULL;
    if (!modes && *claim) {
        const cJSON *t = name_index_find(templates, claim);
        modes = t ? template_modes(t) : NULL;
    }
    if (modes) {
        report_modes(volume, claim, modes, out);
        return CV_OK;
    }
    const cJSON *pvc = NULL;
    enum cv_result r = cv_get(view, scope, CV_PVC, ns ? ns : "", claim, &pvc);
    if (r == CV_ERROR) {
        verdict_view_error(out, "%s", scope->err);
        return CV_ERROR;
    }
    if (r == CV_OK)
        report_modes(volume, claim, obj_array(obj_object(pvc, "spec"), "accessModes"), out);
    else if (src->missing_pvc_is_finding)
        verdict_add(out, RULE_VOLUME_ACCESS_MODE,
                    "volume \"%s\" uses PVC \"%s\", which does not exist; live migration needs "
                    "ReadWriteMany",
                    volume, claim);
    return CV_OK;
}

enum cv_result rule_volume_access_mode(const cJSON *spec, const struct access_mode_sources *src,
                                       const char *ns, const struct cluster_view *view,
                                       struct cv_scope *scope, struct verdict *out)
{
    struct name_index statuses = {0}, templates = {0}, migrated = {0};
    if (name_index_build(&statuses, src->volume_status, status_name) != 0 ||
        name_index_build(&templates, src->dv_templates, template_name) != 0 ||
        name_index_build(&migrated, src->migrated, migrated_name) != 0) {
        name_index_free(&statuses);
        name_index_free(&templates);
        verdict_view_error(out, "out of memory");
        return CV_ERROR;
    }
    enum cv_result r = CV_OK;
    const cJSON *vol;
    cJSON_ArrayForEach (vol, obj_array(spec, "volumes")) {
        int is_claim;
        const char *claim = claim_of(vol, &is_claim);
        if (is_claim && (r = check_volume(vol, claim, &statuses, &templates, &migrated, src, ns,
                                          view, scope, out)) != CV_OK)
            break;
    }
    name_index_free(&statuses);
    name_index_free(&templates);
    name_index_free(&migrated);
    return r;
}
