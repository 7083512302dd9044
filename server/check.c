/*
 * server/check.c - `migration-webhook check`: can this VM live-migrate, and
 * where to?
 *
 * It asks exactly the rules the webhook uses: it builds the VMIM that a
 * migration of the VM would create (with --target-node as its
 * addedNodeSelector) and runs rules_vmim_validate on it against the cluster
 * view; then it lists the candidate nodes (target_node_candidates), the CPU
 * model in force and the migration timeouts (docs/rules.md#timeouts) with their arithmetic.
 * A manifest given with -f is placed in front of the cluster view (an overlay)
 * "as if it were running", so nothing is written anywhere.
 *
 * Exit codes: 0 the VM can migrate, 1 it cannot, 2 usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/live.h"
#include "cluster/open.h"
#include "cluster/overlay.h"
#include "cluster/yaml.h"
#include "rules/rules.h"
#include "rules/target_node.h"
#include "rules/timeouts.h"
#include "server/check_explain.h"
#include "server/check_output.h"
#include "server/commands.h"
#include "server/config.h"

/* How long `check --kubeconfig` waits for the first node list. */
#define CHECK_READY_TIMEOUT_MS 15000

static const char CHECK_USAGE[] =
    "usage: migration-webhook check [--cluster-dir DIR | --kubeconfig FILE] [--config FILE]\n"
    "                               [-n NAMESPACE] (VM | -f FILE) [--target-node NODE] [-o "
    "text|json]\n"
    "\n"
    "Reports whether the VM can be live-migrated, why not, to which nodes, with which CPU model\n"
    "requirement and timeouts.  Exit 0: it can migrate; 1: it cannot; 2: usage or input error.\n";

struct check_args {
    const char *cluster_dir;
    const char *kubeconfig;
    const char *config;
    const char *ns;
    const char *vm;
    const char *file;
    const char *target;
    const char *output;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "migration-webhook check: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try --help)\n");
    return 2;
}

/* Returns 0, 1 when --help was printed, or 2 after printing a usage error. */
static int parse_check_args(int argc, char **argv, struct check_args *a)
{
    memset(a, 0, sizeof(*a));
    a->output = "text";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(CHECK_USAGE, stdout);
            return 1;
        }
        if (strcmp(arg, "--cluster-dir") == 0)
            slot = &a->cluster_dir;
        else if (strcmp(arg, "--kubeconfig") == 0)
            slot = &a->kubeconfig;
        else if (strcmp(arg, "--config") == 0)
            slot = &a->config;
        else if (strcmp(arg, "-n") == 0 || strcmp(arg, "--namespace") == 0)
            slot = &a->ns;
        else if (strcmp(arg, "-f") == 0 || strcmp(arg, "--filename") == 0)
            slot = &a->file;
        else if (strcmp(arg, "--target-node") == 0)
            slot = &a->target;
        else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0)
            slot = &a->output;
        else if (arg[0] == '-' && arg[1] != '\0')
            return usage_error("unknown option \"%s\"", arg);
        else if (a->vm)
            return usage_error("only one VM can be checked at a time (extra \"%s\")", arg);
        else {
            a->vm = arg;
            continue;
        }
        if (i + 1 >= argc)
            return usage_error("option %s needs a value", arg);
        *slot = argv[++i];
    }
    if (!a->vm == !a->file)
        return usage_error("%s", a->vm ? "give a VM name or -f FILE, not both"
                                       : "name a VM, or give a manifest with -f FILE");
    if (a->cluster_dir && a->kubeconfig)
        return usage_error("%s", "give --cluster-dir or --kubeconfig, not both");
    if (strcmp(a->output, "text") != 0 && strcmp(a->output, "json") != 0)
        return usage_error("-o must be text or json, not \"%s\"", a->output);
    return 0;
}

/* The VMI a VirtualMachine would run: its template, named after the VM, in phase Running. */
static cJSON *vmi_from_vm(const cJSON *vm, const char *ns)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(vm, "metadata");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(vm, "spec");
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(spec, "template");
    const cJSON *tmeta = cJSON_GetObjectItemCaseSensitive(tmpl, "metadata");
    const cJSON *tspec = cJSON_GetObjectItemCaseSensitive(tmpl, "spec");
    cJSON *vmi = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(vmi, "metadata");
    cJSON_AddStringToObject(vmi, "apiVersion", "kubevirt.io/v1");
    cJSON_AddStringToObject(vmi, "kind", "VirtualMachineInstance");
    cJSON_AddStringToObject(m, "name",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name")));
    cJSON_AddStringToObject(m, "namespace", ns);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(tmeta, "labels");
    const cJSON *annotations = cJSON_GetObjectItemCaseSensitive(tmeta, "annotations");
    if (cJSON_IsObject(labels))
        cJSON_AddItemToObject(m, "labels", cJSON_Duplicate(labels, 1));
    if (cJSON_IsObject(annotations))
        cJSON_AddItemToObject(m, "annotations", cJSON_Duplicate(annotations, 1));
    cJSON_AddItemToObject(vmi, "spec",
                          cJSON_IsObject(tspec) ? cJSON_Duplicate(tspec, 1) : cJSON_CreateObject());
    return vmi;
}

/* Makes `vmi` look running ("as if it were running") when its manifest has no phase. */
static void assume_running(cJSON *vmi)
{
    cJSON *status = cJSON_GetObjectItemCaseSensitive(vmi, "status");
    if (!cJSON_IsObject(status)) {
        cJSON_DeleteItemFromObjectCaseSensitive(vmi, "status");
        status = cJSON_AddObjectToObject(vmi, "status");
    }
    const char *phase = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(status, "phase"));
    if (!phase || !*phase) {
        cJSON_DeleteItemFromObjectCaseSensitive(status, "phase");
        cJSON_AddStringToObject(status, "phase", "Running");
    }
}

/*
 * Reads the manifest of -f: one VirtualMachine or VirtualMachineInstance.
 * Returns the VMI to evaluate (caller frees) and sets *ns and *name (pointing
 * into it), or NULL after printing one error line.
 */
static cJSON *vmi_from_manifest(const char *path, const char *default_ns)
{
    char err[512];
    cJSON *docs = yaml_parse_file(path, err, sizeof(err));
    if (!docs) {
        fprintf(stderr, "migration-webhook check: %s\n", err);
        return NULL;
    }
    cJSON *obj = cJSON_GetArrayItem(docs, 0);
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind"));
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
    const char *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
    cJSON *vmi = NULL;
    if (cJSON_GetArraySize(docs) != 1 || !cJSON_IsObject(obj))
        fprintf(
            stderr,
            "migration-webhook check: %s: expected one VirtualMachine or VirtualMachineInstance\n",
            path);
    else if (!kind ||
             (strcmp(kind, "VirtualMachine") != 0 && strcmp(kind, "VirtualMachineInstance") != 0))
        fprintf(stderr,
                "migration-webhook check: %s: kind %s%s%s is not VirtualMachine or "
                "VirtualMachineInstance\n",
                path, kind ? "\"" : "", kind ? kind : "(missing)", kind ? "\"" : "");
    else if (!name || !*name)
        fprintf(stderr, "migration-webhook check: %s: metadata.name is missing\n", path);
    else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(obj, "spec")))
        fprintf(stderr, "migration-webhook check: %s: spec is missing or not an object\n", path);
    else if (strcmp(kind, "VirtualMachine") == 0)
        vmi = vmi_from_vm(obj, ns && *ns ? ns : default_ns);
    else {
        vmi = cJSON_DetachItemFromArray(docs, 0);
        cJSON *m = cJSON_GetObjectItemCaseSensitive(vmi, "metadata");
        if (!ns || !*ns) {
            cJSON_DeleteItemFromObjectCaseSensitive(m, "namespace");
            cJSON_AddStringToObject(m, "namespace", default_ns);
        }
    }
    cJSON_Delete(docs);
    if (vmi)
        assume_running(vmi);
    return vmi;
}

/* The VMIM that migrating `vmi` would create, with the picked node if any. */
static cJSON *migration_for(const char *ns, const char *vmi_name, const char *target)
{
    cJSON *vmim = cJSON_CreateObject();
    cJSON_AddStringToObject(vmim, "apiVersion", "kubevirt.io/v1");
    cJSON_AddStringToObject(vmim, "kind", "VirtualMachineInstanceMigration");
    cJSON *meta = cJSON_AddObjectToObject(vmim, "metadata");
    cJSON_AddStringToObject(meta, "name", "migration-webhook-check");
    cJSON_AddStringToObject(meta, "namespace", ns);
    cJSON *spec = cJSON_AddObjectToObject(vmim, "spec");
    cJSON_AddStringToObject(spec, "vmiName", vmi_name);
    if (target)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "addedNodeSelector"),
                                "kubernetes.io/hostname", target);
    return vmim;
}

/* Rule modes from --config (defaults when none); 0, or 2 after one error line. */
static int load_check_settings(const char *path, struct rule_settings *out)
{
    struct mw_config cfg;
    char err[512];
    int rc = 0;
    if (config_init(&cfg) != 0) {
        fprintf(stderr, "migration-webhook check: out of memory\n");
        return 2;
    }
    if (path && config_load_file(&cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "migration-webhook check: %s\n", err);
        rc = 2;
    }
    *out = cfg.settings;
    config_free(&cfg);
    return rc;
}

/*
 * The timeouts KubeVirt will apply, with the line the VMIM's timeouts-from
 * annotation carries (the per-GiB source and the formula).
 */
static void add_timeouts(cJSON *report, const cJSON *vmi, const char *ns,
                         const struct cluster_view *view, struct cv_scope *scope)
{
    struct migration_timeouts t;
    char err[256] = "", source[320], from[512];
    bool memory_ok = false;
    cJSON *o = cJSON_AddObjectToObject(report, "timeouts");
    if (migration_timeouts_lookup(view, scope, vmi, ns, &t, &memory_ok, err, sizeof(err)) ==
        CV_ERROR) {
        cJSON_AddStringToObject(o, "error", scope->err);
        return;
    }
    migration_timeouts_per_gib_source(&t, source, sizeof(source));
    migration_timeouts_from(&t, memory_ok, from, sizeof(from));
    cJSON_AddNumberToObject(o, "completionTimeoutPerGiB", (double)t.per_gib);
    cJSON_AddStringToObject(o, "perGiBSource", source);
    cJSON_AddNumberToObject(o, "progressTimeoutSeconds", (double)t.progress);
    cJSON_AddStringToObject(o, "progressSource", migration_timeouts_progress_source(&t));
    cJSON_AddStringToObject(o, "from", from);
    if (!memory_ok) {
        cJSON_AddStringToObject(o, "memorySource", err);
        return;
    }
    cJSON_AddStringToObject(o, "memory", t.memory);
    cJSON_AddStringToObject(o, "memorySource", t.memory_source);
    cJSON_AddNumberToObject(o, "memoryBytes", (double)t.memory_bytes);
    cJSON_AddNumberToObject(o, "dataSize", (double)t.data_size);
    cJSON_AddNumberToObject(o, "completionTimeoutSeconds", (double)t.completion_seconds);
}

static const char *cpu_source_text(enum cpu_model_source s)
{
    switch (s) {
    case CPU_FROM_VM:
        return "the VM's spec.domain.cpu.model";
    case CPU_FROM_CLUSTER:
        return "the cluster default: KubeVirt spec.configuration.cpuModel";
    default:
        return "the KubeVirt default: no model set on the VM or the cluster";
    }
}

static void add_cpu(cJSON *report, const struct migration_ctx *ctx)
{
    cJSON *cpu = cJSON_AddObjectToObject(report, "cpu");
    cJSON_AddStringToObject(cpu, "model", ctx->cpu.mode ? ctx->cpu.mode : "host-model");
    cJSON_AddStringToObject(cpu, "source", cpu_source_text(ctx->cpu.source));
    if (ctx->cpu.host_model)
        cJSON_AddStringToObject(cpu, "hostModel", ctx->cpu.host_model);
    if (ctx->cpu.source_node)
        cJSON_AddStringToObject(cpu, "sourceNode", ctx->cpu.source_node);
    cJSON_AddBoolToObject(cpu, "fromSourcePod", ctx->cpu.from_source_pod);
    cJSON *labels = cJSON_AddArrayToObject(cpu, "requiredNodeLabels");
    for (size_t i = 0; i < ctx->cpu.nkeys; i++)
        cJSON_AddItemToArray(labels, cJSON_CreateString(ctx->cpu.keys[i]));
}

static void add_nodes(cJSON *report, const struct migration_ctx *ctx, const char *target)
{
    if (target) {
        char *reason = NULL;
        int step = target_node_check(ctx, target, &reason);
        cJSON *t = cJSON_AddObjectToObject(report, "targetNode");
        cJSON_AddStringToObject(t, "node", target);
        cJSON_AddBoolToObject(t, "eligible", step == 0);
        if (step)
            cJSON_AddNumberToObject(t, "failedStep", step);
        if (reason)
            cJSON_AddStringToObject(t, "reason", reason);
        free(reason);
        return;
    }
    struct node_check *checks = NULL;
    size_t n = 0;
    cJSON *arr = cJSON_AddArrayToObject(report, "candidates");
    if (target_node_candidates(ctx, &checks, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "node", checks[i].name);
        cJSON_AddBoolToObject(c, "eligible", checks[i].step == 0);
        if (checks[i].step) {
            cJSON_AddNumberToObject(c, "failedStep", checks[i].step);
            cJSON_AddStringToObject(c, "reason", checks[i].reason ? checks[i].reason : "");
        }
        cJSON_AddItemToArray(arr, c);
    }
    node_checks_free(checks, n);
}

static void add_verdict(cJSON *report, const struct verdict *v)
{
    cJSON_AddBoolToObject(report, "migratable", v->allowed);
    if (v->message)
        cJSON_AddStringToObject(report, "message", v->message);
    cJSON *violations = cJSON_AddArrayToObject(report, "violations");
    for (size_t i = 0; i < v->nfindings; i++) {
        enum rule_mode mode = v->modes[v->findings[i].rule];
        if (mode == MODE_OFF)
            continue;
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "rule", rule_id_name(v->findings[i].rule));
        cJSON_AddStringToObject(f, "mode", rule_mode_name(mode));
        cJSON_AddStringToObject(f, "message", v->findings[i].text);
        cJSON_AddItemToArray(violations, f);
    }
    cJSON *warnings = cJSON_AddArrayToObject(report, "warnings");
    for (size_t i = 0; i < v->nwarnings; i++)
        cJSON_AddItemToArray(warnings, cJSON_CreateString(v->warnings[i]));
}

/*
 * Evaluates the VMI `ns`/`name` in `view` and returns the report (caller
 * frees), or NULL after printing one error line (exit 2).
 */
static cJSON *build_report(const struct cluster_view *view, const struct rule_settings *settings,
                           const char *ns, const char *name, const char *target)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    cJSON *vmim = migration_for(ns, name, target);
    struct rule_input in = {
        .object = vmim,
        .ns = ns,
        .name = "migration-webhook-check",
        .settings = settings,
        .view = view,
        .scope = &scope,
    };
    struct verdict v;
    verdict_init(&v);
    rules_vmim_validate(&in, &v);

    cJSON *report = cJSON_CreateObject();
    char subject[512];
    snprintf(subject, sizeof(subject), "%s/%s", ns, name);
    cJSON_AddStringToObject(report, "vm", subject);
    add_verdict(report, &v);

    const cJSON *vmi = NULL;
    if (!v.view_error && cv_get(view, &scope, CV_VMI, ns, name, &vmi) == CV_OK) {
        struct migration_ctx ctx;
        if (migration_ctx_init(&ctx, vmi, ns, view, &scope) == CV_OK &&
            migration_ctx_use_migration(&ctx, vmim) == 0) {
            add_cpu(report, &ctx);
            check_explain_add(report, &ctx);
            add_nodes(report, &ctx, target);
        }
        migration_ctx_free(&ctx);
        add_timeouts(report, vmi, ns, view, &scope);
    }
    verdict_free(&v);
    cJSON_Delete(vmim);
    cv_scope_release(&scope);
    return report;
}

/*
 * 1 when the cluster view holds a VMI or a VM named `name`; else prints one
 * error line and returns 0 (a name that matches nothing is an input error).
 */
static int vm_exists(const struct cluster_view *view, const char *ns, const char *name)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *obj = NULL;
    enum cv_result r = cv_get(view, &scope, CV_VMI, ns, name, &obj);
    if (r == CV_NOT_FOUND)
        r = cv_get(view, &scope, CV_VM, ns, name, &obj);
    if (r == CV_NOT_FOUND)
        fprintf(stderr,
                "migration-webhook check: no VirtualMachine or VirtualMachineInstance %s/%s in the "
                "cluster view\n",
                ns, name);
    else if (r == CV_ERROR)
        fprintf(stderr, "migration-webhook check: cannot read VM %s/%s: %s\n", ns, name, scope.err);
    cv_scope_release(&scope);
    return r == CV_OK;
}

/* Opens the cluster view named by the options; NULL after printing one error line. */
static struct cluster_view *open_view(const struct check_args *a)
{
    char err[512], warning[256], describe[512];
    struct cluster_view *view =
        cluster_view_open(a->cluster_dir, a->kubeconfig, warning, sizeof(warning), describe,
                          sizeof(describe), err, sizeof(err));
    if (!view) {
        fprintf(stderr, "migration-webhook check: %s\n", err);
        return NULL;
    }
    if (warning[0])
        fprintf(stderr, "migration-webhook check: warning: %s\n", warning);
    if (live_view_is(view) && !live_view_wait_ready(view, CHECK_READY_TIMEOUT_MS)) {
        struct live_stats st;
        live_view_stats(view, &st);
        fprintf(stderr, "migration-webhook check: %s: nodes not listed within %d s%s%s\n", describe,
                CHECK_READY_TIMEOUT_MS / 1000, st.last_error[0] ? ": " : "", st.last_error);
        cv_destroy(view);
        return NULL;
    }
    return view;
}

int cmd_check(int argc, char **argv)
{
    struct check_args a;
    int rc = parse_check_args(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : 2;

    struct rule_settings settings;
    if (load_check_settings(a.config, &settings) != 0)
        return 2;
    struct cluster_view *base = open_view(&a);
    if (!base)
        return 2;

    const char *ns = a.ns ? a.ns : "default";
    struct cluster_view *view = base, *overlay = NULL;
    cJSON *vmi = NULL;
    char *name = NULL;
    if (a.file) {
        vmi = vmi_from_manifest(a.file, ns);
        if (!vmi) {
            cv_destroy(base);
            return 2;
        }
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(vmi, "metadata");
        name = strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name")));
        ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
        cJSON *objects = cJSON_CreateArray();
        cJSON_AddItemToArray(objects, vmi);
        overlay = overlay_view_new(base, objects);
        view = overlay;
    } else {
        name = strdup(a.vm);
        if (!vm_exists(view, ns, name)) {
            free(name);
            cv_destroy(base);
            return 2;
        }
    }
    char nsbuf[256];
    snprintf(nsbuf, sizeof(nsbuf), "%s", ns);

    cJSON *report = view ? build_report(view, &settings, nsbuf, name, a.target) : NULL;
    if (!report) {
        fprintf(stderr, "migration-webhook check: out of memory\n");
        rc = 2;
    } else {
        if (strcmp(a.output, "json") == 0) {
            char *text = cJSON_Print(report);
            puts(text ? text : "{}");
            free(text);
        } else {
            const char *no_color = getenv("NO_COLOR");
            bool color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
            check_print_text(report, stdout, color);
        }
        rc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "migratable")) ? 0 : 1;
    }
    cJSON_Delete(report);
    free(name);
    cv_destroy(overlay);
    cv_destroy(base);
    return rc;
}
