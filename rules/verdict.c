/*
 * rules/verdict.c - collecting findings, warnings and patch operations, and
 * turning them into an admission decision according to each rule's mode.
 */
#include "rules/verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/text.h"
#include "kube/utf8.h"

static const char *const rule_names[RULE_COUNT] = {
    [RULE_NOT_RUNNING] = "not-running",
    [RULE_IN_FLIGHT] = "in-flight",
    [RULE_NOT_MIGRATABLE] = "not-migratable",
    [RULE_MANAGEMENT_BRIDGE] = "management-bridge",
    [RULE_CDROM] = "cdrom",
    [RULE_CONTAINER_DISK] = "container-disk",
    [RULE_HOST_DEVICE] = "host-device",
    [RULE_GPU] = "gpu",
    [RULE_VOLUME_ACCESS_MODE] = "volume-access-mode",
    [RULE_NODE_PINNED] = "node-pinned",
    [RULE_TARGET_NODE] = "target-node",
    [RULE_NO_TARGET] = "no-target",
    [RULE_CPU_MODEL_UNSUPPORTED] = "cpu-model-unsupported",
    [RULE_HOST_MODEL_HETEROGENEOUS] = "host-model-heterogeneous",
    [RULE_CLUSTER_CPU_MODEL] = "cluster-cpu-model",
    [RULE_MIGRATION_TIMEOUTS] = "migration-timeouts",
    [RULE_VMIM_NO_VMI] = "vmim-no-vmi",
};

static const char *const mode_names[] = {"deny", "warn", "off"};

const char *rule_id_name(enum rule_id id)
{
    return (unsigned)id < RULE_COUNT ? rule_names[id] : "?";
}

int rule_id_from_name(const char *name)
{
    return text_name_index(rule_names, RULE_COUNT, name);
}

const char *rule_mode_name(enum rule_mode mode)
{
    return (unsigned)mode <= MODE_OFF ? mode_names[mode] : "?";
}

int rule_mode_from_name(const char *name)
{
    return text_name_index(mode_names, MODE_OFF + 1, name);
}

void rule_settings_default(struct rule_settings *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < RULE_COUNT; i++) {
        s->migration[i] = MODE_DENY;
        s->early[i] = MODE_WARN;
    }
    s->migration[RULE_CPU_MODEL_UNSUPPORTED] = MODE_WARN;
    s->migration[RULE_HOST_MODEL_HETEROGENEOUS] = MODE_WARN;
    s->early[RULE_CLUSTER_CPU_MODEL] = MODE_DENY;
    s->early[RULE_MIGRATION_TIMEOUTS] = MODE_DENY;
    s->default_timeouts = false;
}

void verdict_init(struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->allowed = true;
}

void verdict_free(struct verdict *v)
{
    for (size_t i = 0; i < v->nfindings; i++)
        free(v->findings[i].text);
    free(v->findings);
    for (size_t i = 0; i < v->nwarnings; i++)
        free(v->warnings[i]);
    free(v->warnings);
    cJSON_Delete(v->patch);
    free(v->view_error);
    free(v->message);
    memset(v, 0, sizeof(*v));
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

static int add_finding(struct verdict *v, enum rule_id rule, bool standalone, const char *fmt,
                       va_list ap)
{
    if (v->nfindings == v->capfindings) {
        size_t cap = v->capfindings ? v->capfindings * 2 : 8;
        struct finding *f = realloc(v->findings, cap * sizeof(*f));
        if (!f)
            return -1;
        v->findings = f;
        v->capfindings = cap;
    }
    char *text = vformat(fmt, ap);
    if (!text)
        return -1;
    v->findings[v->nfindings].rule = rule;
    v->findings[v->nfindings].standalone = standalone;
    v->findings[v->nfindings].text = text;
    v->nfindings++;
    return 0;
}

int verdict_add_finding(struct verdict *v, enum rule_id rule, bool standalone, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_finding(v, rule, standalone, fmt, ap);
    va_end(ap);
    return rc;
}

bool verdict_has(const struct verdict *v, enum rule_id rule)
{
    for (size_t i = 0; i < v->nfindings; i++)
        if (v->findings[i].rule == rule)
            return true;
    return false;
}

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

/* Cuts `text` in place to WARNING_MAX_BYTES, ending with an ellipsis when cut. */
static void cap_warning(char *text)
{
    size_t len = strlen(text);
    if (len <= WARNING_MAX_BYTES)
        return;
    size_t keep = utf8_prefix_len(text, WARNING_MAX_BYTES - (sizeof(ELLIPSIS) - 1));
    memcpy(text + keep, ELLIPSIS, sizeof(ELLIPSIS));
}

char *text_fit(const char *head, const char *const *items, size_t n, const char *sep, size_t limit)
{
    size_t hlen = strlen(head), slen = strlen(sep), total = hlen;
    for (size_t i = 0; i < n; i++)
        total += (i ? slen : 0) + strlen(items[i]);
    size_t kept = n, len = total;
    char marker[32] = "";
    if (total > limit) {
        /* Keep the longest run of whole items that leaves room for the marker. */
        len = hlen;
        for (kept = 0; kept < n; kept++) {
            size_t next = len + (kept ? slen : 0) + strlen(items[kept]);
            snprintf(marker, sizeof(marker), " (+%zu more)", n - kept - 1);
            if (next + (kept + 1 < n ? strlen(marker) : 0) > limit)
                break;
            len = next;
        }
        snprintf(marker, sizeof(marker), " (+%zu more)", n - kept);
        len += strlen(marker);
    }
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    char *p = out;
    size_t room = limit > strlen(marker) ? limit - strlen(marker) : 0;
    size_t h = utf8_prefix_len(head, room);
    memcpy(p, head, h);
    p += h;
    for (size_t i = 0; i < kept; i++) {
        if (i)
            p = stpcpy(p, sep);
        p = stpcpy(p, items[i]);
    }
    strcpy(p, marker);
    return out;
}

static int push_warning(struct verdict *v, char *text)
{
    if (!text)
        return -1;
    cap_warning(text);
    if (v->nwarnings == v->capwarnings) {
        size_t cap = v->capwarnings ? v->capwarnings * 2 : 4;
        char **w = realloc(v->warnings, cap * sizeof(*w));
        if (!w) {
            free(text);
            return -1;
        }
        v->warnings = w;
        v->capwarnings = cap;
    }
    v->warnings[v->nwarnings++] = text;
    return 0;
}

int verdict_warn(struct verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(fmt, ap);
    va_end(ap);
    return push_warning(v, text);
}

int verdict_view_error(struct verdict *v, const char *fmt, ...)
{
    if (v->view_error)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    v->view_error = vformat(fmt, ap);
    va_end(ap);
    return v->view_error ? 0 : -1;
}

int verdict_patch(struct verdict *v, const char *op, const char *path, cJSON *value)
{
    if (!v->patch && !(v->patch = cJSON_CreateArray())) {
        cJSON_Delete(value);
        return -1;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "op", op) || !cJSON_AddStringToObject(o, "path", path)) {
        cJSON_Delete(o);
        cJSON_Delete(value);
        return -1;
    }
    if (value)
        cJSON_AddItemToObject(o, "value", value);
    cJSON_AddItemToArray(v->patch, o);
    return 0;
}

/* Whether finding `f` is joined into the message of `mode`: standalone findings only into the
 * denial. */
static int joins(const struct finding *f, const enum rule_mode *modes, enum rule_mode mode)
{
    return modes[f->rule] == mode && (!f->standalone || mode == MODE_DENY);
}

/* The warn-mode findings joined after `prefix`, whole findings only, within the warning cap. */
static char *join_warnings(const struct verdict *v, const enum rule_mode *modes, const char *prefix)
{
    const char **texts = malloc((v->nfindings ? v->nfindings : 1) * sizeof(*texts));
    if (!texts)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < v->nfindings; i++)
        if (joins(&v->findings[i], modes, MODE_WARN))
            texts[n++] = v->findings[i].text;
    char *out = n ? text_fit(prefix, texts, n, "; ", WARNING_MAX_BYTES) : NULL;
    free(texts);
    return out;
}

/*
 * The deny-mode findings' texts: the prefixed ones after `prefix`, then the
 * standalone ones; NULL when there are none.
 */
static char *join_denials(const struct verdict *v, const enum rule_mode *modes, const char *prefix)
{
    size_t len = strlen(prefix) + 1, n = 0, nprefixed = 0;
    for (size_t i = 0; i < v->nfindings; i++)
        if (joins(&v->findings[i], modes, MODE_DENY)) {
            nprefixed += !v->findings[i].standalone;
            len += strlen(v->findings[i].text) + 2;
            n++;
        }
    if (n == 0)
        return NULL;
    char *out = malloc(len);
    if (!out)
        return NULL;
    char *p = nprefixed ? stpcpy(out, prefix) : out;
    *p = '\0';
    n = 0;
    for (int pass = 0; pass < 2; pass++) /* prefixed texts first, then standalone ones */
        for (size_t i = 0; i < v->nfindings; i++)
            if (joins(&v->findings[i], modes, MODE_DENY) &&
                v->findings[i].standalone == (pass == 1)) {
                if (n++)
                    p = stpcpy(p, "; ");
                p = stpcpy(p, v->findings[i].text);
            }
    return out;
}

int verdict_finish(struct verdict *v, const char *prefix, const enum rule_mode *modes,
                   bool validating, const char *subject)
{
    memcpy(v->modes, modes, sizeof(v->modes));
    v->nfired = 0;
    for (size_t i = 0; i < v->nfindings; i++) {
        enum rule_id r = v->findings[i].rule;
        if (modes[r] == MODE_OFF)
            continue;
        bool seen = false;
        for (size_t j = 0; j < v->nfired; j++)
            seen = seen || v->fired[j] == r;
        if (!seen && v->nfired < RULE_COUNT) {
            v->fired[v->nfired] = r;
            v->fired_mode[v->nfired++] = modes[r];
        }
    }
    if (v->view_error) {
        if (validating) {
            v->allowed = false;
            if (asprintf(&v->message, "cannot verify migration of VM %s: %s", subject,
                         v->view_error) < 0) {
                v->message = NULL;
                return -1;
            }
            return 0;
        }
        cJSON_Delete(v->patch);
        v->patch = NULL;
        v->allowed = true;
        return verdict_warn(v, "cannot verify migration of VM %s: %s", subject, v->view_error);
    }
    char *deny = join_denials(v, modes, prefix);
    char *warn = join_warnings(v, modes, prefix);
    if (warn && push_warning(v, warn) != 0)
        warn = NULL;
    for (size_t i = 0; i < v->nfindings; i++)
        if (v->findings[i].standalone && modes[v->findings[i].rule] == MODE_WARN)
            verdict_warn(v, "%s", v->findings[i].text);
    if (deny) {
        v->allowed = false;
        v->message = deny;
    } else {
        v->allowed = true;
    }
    return 0;
}
