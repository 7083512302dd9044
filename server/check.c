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
 * `check --node NODE` (drain preflight) evaluates every VMI on NODE as the
 * evacuation migration KubeVirt creates when the node is drained, and its
 * eviction strategy says what the drain does with a VM that cannot migrate;
 * `check --all` gives one row per VM.  Both read a live cluster once as a
 * snapshot (cluster/snapshot.h): one paged list per kind, no GET per VM.
 *
 * The cluster is found as kubectl finds it (cluster/kubeconfig.h,
 * kubeconfig_resolve), or read from files with --cluster-dir.
 *
 * Exit codes: 0 the VM can migrate (every VM can leave the node; no VM is
 * blocked), 1 it cannot, 2 usage or input error.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/kubeclient.h"
#include "cluster/kubeconfig.h"
#include "cluster/live.h"
#include "cluster/overlay.h"
#include "cluster/snapshot.h"
#include "cluster/static.h"
#include "kube/yaml.h"
#include "kube/object.h"
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
    "usage: migration-webhook check [SOURCE] [-n NAMESPACE] (VM | -f FILE) [--target-node NODE]\n"
    "                               [-o text|json]\n"
    "       migration-webhook check [SOURCE] --node NODE [-o text|json]\n"
    "       migration-webhook check [SOURCE] --all [-n NAMESPACE | -A] [-o text|json]\n"
    "\n"
    "Reports whether a VM can be live-migrated, why not, to which nodes, with which CPU model\n"
    "requirement and timeouts.  --node: can every VM leave NODE when it is drained?  --all: one\n"
    "line per VM.\n"
    "\n"
    "  VM                      the VirtualMachine (or VirtualMachineInstance) to check\n"
    "  -f, --filename FILE     check the VM or VMI of this manifest as if it were running\n"
    "      --target-node NODE  check a migration to this node (as spec.addedNodeSelector)\n"
    "      --node NODE         drain preflight: each VM on NODE evaluated as the evacuation\n"
    "                          migration KubeVirt starts, and what its eviction strategy does\n"
    "      --all               every VirtualMachine (and VMI without one): verdict, first\n"
    "                          reason, number of candidate nodes, counts per rule\n"
    "  -n, --namespace NS      the namespace (default: the context's, else \"default\")\n"
    "  -A, --all-namespaces    with --all: every namespace\n"
    "  -o, --output FORMAT     text (default) or json\n"
    "      --config FILE       rule modes (rules:, as for serve)\n"
    "  -h, --help              this text\n"
    "\n"
    "SOURCE (the first that applies, as kubectl):\n"
    "      --cluster-dir DIR   the cluster as the YAML/JSON files under DIR\n"
    "      --kubeconfig FILE   the API server of this kubeconfig\n"
    "                          else every file of $KUBECONFIG (merged, the first wins), else\n"
    "                          ~/.kube/config, else in-cluster (service account)\n"
    "      --context NAME      the kubeconfig context to use (default: current-context)\n"
    "\n"
    "Exit status: 0 the VM can migrate / every VM can leave the node / no VM is blocked;\n"
    "1 it cannot / a VM blocks the drain / a VM is blocked; 2 usage, input or cluster error.\n";

enum check_mode { CHECK_ONE_VM, CHECK_NODE, CHECK_ALL };

struct check_args {
    const char *cluster_dir;
    const char *kubeconfig;
    const char *context;
    const char *config;
    const char *ns;
    bool all_namespaces;
    const char *vm;
    const char *file;
    const char *target;
    const char *output;
    const char *node;
    bool all;
    enum check_mode mode;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "migration-webhook check: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try --help)\n");
    return 2;
}

/*
 * The options of `check`, one row each: the option table of getopt_long is
 * built from these rows (each option's val its index + 256, or its short
 * letter); a value goes to the const char * at `at` in struct check_args, a
 * switch sets the bool there.
 */
static const struct check_flag {
    const char *name;
    int has_arg;
    char letter; /* the short option, or 0 */
    size_t at;
} check_flags[] = {
    {"cluster-dir", required_argument, 0, offsetof(struct check_args, cluster_dir)},
    {"kubeconfig", required_argument, 0, offsetof(struct check_args, kubeconfig)},
    {"context", required_argument, 0, offsetof(struct check_args, context)},
    {"config", required_argument, 0, offsetof(struct check_args, config)},
    {"namespace", required_argument, 'n', offsetof(struct check_args, ns)},
    {"all-namespaces", no_argument, 'A', offsetof(struct check_args, all_namespaces)},
    {"filename", required_argument, 'f', offsetof(struct check_args, file)},
    {"target-node", required_argument, 0, offsetof(struct check_args, target)},
    {"output", required_argument, 'o', offsetof(struct check_args, output)},
    {"node", required_argument, 0, offsetof(struct check_args, node)},
    {"all", no_argument, 0, offsetof(struct check_args, all)},
};

#define NCHECK_FLAGS (sizeof(check_flags) / sizeof(check_flags[0]))

/* What getopt_long returns for the option of row i. */
static int check_flag_val(size_t i)
{
    return check_flags[i].letter ? check_flags[i].letter : (int)i + 256;
}

/* The row of the option getopt_long returned as `c`, or NULL. */
static const struct check_flag *check_flag_of(int c)
{
    for (size_t i = 0; i < NCHECK_FLAGS; i++)
        if (c == check_flag_val(i))
            return &check_flags[i];
    return NULL;
}

/* Returns 0, 1 when --help was printed, or 2 after printing a usage error. */
static int parse_check_args(int argc, char **argv, struct check_args *a)
{
    memset(a, 0, sizeof(*a));
    a->output = "text";
    struct option options[NCHECK_FLAGS + 2];
    for (size_t i = 0; i < NCHECK_FLAGS; i++)
        options[i] =
            (struct option){check_flags[i].name, check_flags[i].has_arg, NULL, check_flag_val(i)};
    options[NCHECK_FLAGS] = (struct option){"help", no_argument, NULL, 'h'};
    options[NCHECK_FLAGS + 1] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* a fresh scan, with GNU's "+" off: options and operands in any order */
    int c;
    while ((c = getopt_long(argc, argv, ":n:Af:o:h", options, NULL)) != -1) {
        const struct check_flag *f = check_flag_of(c);
        if (c == 'h') {
            fputs(CHECK_USAGE, stdout);
            return 1;
        }
        if (c == ':')
            return usage_error("option %s needs a value", argv[optind - 1]);
        if (!f)
            return usage_error("unknown option \"%s\"", argv[optind - 1]);
        if (f->has_arg)
            *(const char **)(void *)((char *)a + f->at) = optarg;
        else
            *(bool *)((char *)a + f->at) = true;
    }
    for (int i = optind; i < argc; i++) {
        if (a->vm)
            return usage_error("only one VM can be checked at a time (extra \"%s\")", argv[i]);
        a->vm = argv[i];
    }
    if (a->node && a->all)
        return usage_error("%s", "give --node or --all, not both");
    if ((a->node || a->all) && (a->vm || a->file || a->target))
        return usage_error("%s", a->node ? "--node checks every VM on the node: no VM, -f or "
                                           "--target-node with it"
                                         : "--all checks every VM: no VM, -f or --target-node "
                                           "with it");
    a->mode = a->node ? CHECK_NODE : a->all ? CHECK_ALL : CHECK_ONE_VM;
    if (a->mode == CHECK_ONE_VM && !a->vm == !a->file)
        return usage_error("%s", a->vm ? "give a VM name or -f FILE, not both"
                                       : "name a VM, give a manifest with -f FILE, or use --node "
                                         "NODE or --all");
    if (a->node && !*a->node)
        return usage_error("%s", "--node needs a node name");
    if (a->ns && a->mode == CHECK_NODE)
        return usage_error("%s",
                           "-n does not go with --node: the node's VMs in every namespace are "
                           "checked");
    if (a->all_namespaces && a->mode != CHECK_ALL)
        return usage_error("%s", "-A (--all-namespaces) goes with --all");
    if (a->all_namespaces && a->ns)
        return usage_error("%s", "give -n NAMESPACE or -A, not both");
    if (a->ns && !*a->ns)
        return usage_error("%s", "-n needs a namespace name");
    if (a->cluster_dir && a->kubeconfig)
        return usage_error("%s", "give --cluster-dir or --kubeconfig, not both");
    if (a->cluster_dir && a->context)
        return usage_error("%s", "--context picks a kubeconfig context: not with --cluster-dir");
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

/* The annotation KubeVirt's evacuation controller puts on the migrations of a drain. */
#define ANNOTATION_EVACUATION "kubevirt.io/evacuationMigration"

/*
 * The VMIM that migrating `vmi` would create, with the picked node if any;
 * with `evacuate_from` set, the one KubeVirt creates when that node is
 * drained (annotated kubevirt.io/evacuationMigration: <node>, no target).
 */
static cJSON *migration_for(const char *ns, const char *vmi_name, const char *target,
                            const char *evacuate_from)
{
    cJSON *vmim = cJSON_CreateObject();
    cJSON_AddStringToObject(vmim, "apiVersion", "kubevirt.io/v1");
    cJSON_AddStringToObject(vmim, "kind", "VirtualMachineInstanceMigration");
    cJSON *meta = cJSON_AddObjectToObject(vmim, "metadata");
    cJSON_AddStringToObject(
        meta, "name", evacuate_from ? "kubevirt-evacuation-check" : "migration-webhook-check");
    cJSON_AddStringToObject(meta, "namespace", ns);
    if (evacuate_from)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"), ANNOTATION_EVACUATION,
                                evacuate_from);
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

/* The migration of one VMI reviewed by the webhook's own entry point (rules_vmim_validate). */
struct review {
    struct cv_scope scope;
    cJSON *vmim; /* migration_for(ns, name, target, evacuate_from) */
    struct verdict v;
};

static void review_run(struct review *r, const struct cluster_view *view,
                       const struct rule_settings *settings, const char *ns, const char *name,
                       const char *target, const char *evacuate_from)
{
    cv_scope_init(&r->scope, 0);
    r->vmim = migration_for(ns, name, target, evacuate_from);
    struct rule_input in = {
        .object = r->vmim,
        .ns = ns,
        .name = meta_string(r->vmim, "name"),
        .settings = settings,
        .view = view,
        .scope = &r->scope,
    };
    verdict_init(&r->v);
    rules_vmim_validate(&in, &r->v);
}

static void review_free(struct review *r)
{
    verdict_free(&r->v);
    cJSON_Delete(r->vmim);
    cv_scope_release(&r->scope);
}

/*
 * Evaluates the VMI `ns`/`name` in `view` and returns the report (caller
 * frees), or NULL after printing one error line (exit 2).
 */
static cJSON *build_report(const struct cluster_view *view, const struct rule_settings *settings,
                           const char *ns, const char *name, const char *target)
{
    struct review r;
    review_run(&r, view, settings, ns, name, target, NULL);

    cJSON *report = cJSON_CreateObject();
    char subject[512];
    snprintf(subject, sizeof(subject), "%s/%s", ns, name);
    cJSON_AddStringToObject(report, "vm", subject);
    add_verdict(report, &r.v);

    const cJSON *vmi = NULL;
    if (!r.v.view_error && cv_get(view, &r.scope, CV_VMI, ns, name, &vmi) == CV_OK) {
        struct migration_ctx ctx;
        if (migration_ctx_init(&ctx, vmi, ns, view, &r.scope) == CV_OK &&
            migration_ctx_use_migration(&ctx, r.vmim) == 0) {
            add_cpu(report, &ctx);
            check_explain_add(report, &ctx);
            add_nodes(report, &ctx, target);
        }
        migration_ctx_free(&ctx);
        add_timeouts(report, vmi, ns, view, &r.scope);
    }
    review_free(&r);
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

/* ---- many VMs: --node and --all ---- */

static const char *object_namespace(const cJSON *obj)
{
    return ns_or_default(meta_namespace(obj));
}

/*
 * One VM evaluated through the webhook's own entry point (rules_vmim_validate):
 * a row of the --node or --all report with its verdict, findings, first
 * reason and eligible candidate nodes.  `evacuate_from` makes it the
 * evacuation migration of a drain.
 */
static cJSON *evaluate_row(const struct cluster_view *view, const struct rule_settings *settings,
                           const char *ns, const char *name, const char *evacuate_from)
{
    struct review r;
    review_run(&r, view, settings, ns, name, NULL, evacuate_from);
    const struct verdict *v = &r.v;

    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "namespace", ns);
    cJSON_AddStringToObject(row, "name", name);
    const cJSON *vmi = NULL;
    bool has_vmi = cv_get(view, &r.scope, CV_VMI, ns, name, &vmi) == CV_OK;
    const char *node = has_vmi ? obj_string(obj_object(vmi, "status"), "nodeName") : NULL;
    if (node && *node)
        cJSON_AddStringToObject(row, "node", node);
    else
        cJSON_AddNullToObject(row, "node");
    add_verdict(row, v);

    /*
     * The first reason: the first denying finding; else (allowed) the first
     * finding in warn mode, as "warning: <text>" (a system migration through
     * a CD-ROM, say), else the first plain warning.
     */
    const char *reason = NULL, *rule = NULL, *warned = NULL, *warned_rule = NULL;
    bool not_running = false;
    for (size_t i = 0; i < v->nfindings; i++) {
        enum rule_mode mode = v->modes[v->findings[i].rule]; /* as the review gave it */
        if (v->findings[i].rule == RULE_NOT_RUNNING && mode == MODE_DENY)
            not_running = true;
        if (mode == MODE_DENY && !reason) {
            reason = v->findings[i].text;
            rule = rule_id_name(v->findings[i].rule);
        } else if (mode == MODE_WARN && !warned) {
            warned = v->findings[i].text;
            warned_rule = rule_id_name(v->findings[i].rule);
        }
    }
    char warning_text[1024];
    if (!reason && v->view_error)
        reason = v->message;
    if (!reason && warned) {
        snprintf(warning_text, sizeof(warning_text), "warning: %s", warned);
        reason = warning_text;
        rule = warned_rule;
    }
    if (!reason && v->nwarnings > 0)
        reason = v->warnings[0];
    cJSON_AddStringToObject(row, "verdict",
                            v->allowed    ? "migratable"
                            : not_running ? "not running"
                                          : "blocked");
    cJSON_AddStringToObject(row, "reason", reason ? reason : "");
    if (rule)
        cJSON_AddStringToObject(row, "rule", rule);
    else
        cJSON_AddNullToObject(row, "rule");

    cJSON *eligible = NULL;
    if (has_vmi && !not_running && !v->view_error) {
        struct migration_ctx ctx;
        struct node_check *checks = NULL;
        size_t n = 0;
        if (migration_ctx_init(&ctx, vmi, ns, view, &r.scope) == CV_OK &&
            target_node_candidates(&ctx, &checks, &n) == 0) {
            eligible = cJSON_CreateArray();
            for (size_t i = 0; i < n; i++)
                if (checks[i].step == 0)
                    cJSON_AddItemToArray(eligible, cJSON_CreateString(checks[i].name));
            node_checks_free(checks, n);
        }
        migration_ctx_free(&ctx);
    }
    if (eligible)
        cJSON_AddItemToObject(row, "candidates", eligible);
    else
        cJSON_AddNullToObject(row, "candidates");
    review_free(&r);
    return row;
}

static int compare_rows(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int c = strcmp(obj_string(x, "namespace"), obj_string(y, "namespace"));
    return c ? c : strcmp(obj_string(x, "name"), obj_string(y, "name"));
}

/* `rows` sorted by namespace, then name. */
static void sort_rows(cJSON *rows)
{
    size_t n = (size_t)cJSON_GetArraySize(rows);
    if (n < 2)
        return;
    cJSON **v = malloc(n * sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = cJSON_DetachItemViaPointer(rows, rows->child);
    qsort(v, n, sizeof(*v), compare_rows);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(rows, v[i]);
    free(v);
}

/*
 * What a drain does with the VM (KubeVirt's VMIMigratableOnEviction): the
 * VMI's spec.evictionStrategy, else the KubeVirt CR's
 * spec.configuration.evictionStrategy, else None.
 */
static const char *eviction_strategy(const cJSON *vmi, const cJSON *kubevirt, const char **source)
{
    const char *s = obj_nonempty(obj_object(vmi, "spec"), "evictionStrategy");
    if (s) {
        *source = "VMI spec.evictionStrategy";
        return s;
    }
    s = obj_nonempty(obj_object(obj_object(kubevirt, "spec"), "configuration"), "evictionStrategy");
    if (s) {
        *source = "KubeVirt spec.configuration.evictionStrategy";
        return s;
    }
    *source = "default: no eviction strategy set";
    return "None";
}

/*
 * The drain's outcome for a VM: "live-migrate", "blocks-drain" (LiveMigrate
 * and it cannot migrate: the drain waits for it forever), "shut-down"
 * (LiveMigrateIfPossible and it cannot migrate; None), or "external"
 * (External: left to another controller).
 */
static const char *drain_outcome(const char *strategy, bool migratable)
{
    if (strcmp(strategy, "LiveMigrate") == 0)
        return migratable ? "live-migrate" : "blocks-drain";
    if (strcmp(strategy, "LiveMigrateIfPossible") == 0)
        return migratable ? "live-migrate" : "shut-down";
    if (strcmp(strategy, "External") == 0)
        return "external";
    return "shut-down";
}

/* Appends "ns/name" items of `names` to buf as "a, b, c". */
static void join_names(char *buf, size_t len, const cJSON *names)
{
    const cJSON *n;
    size_t used = strlen(buf);
    bool first = true;
    cJSON_ArrayForEach (n, names) {
        snprintf(buf + used, len - used, "%s%s", first ? "" : ", ", cJSON_GetStringValue(n));
        used = strlen(buf);
        first = false;
    }
}

/* The --node report; NULL after one error line. */
static cJSON *node_report(const struct cluster_view *view, const struct rule_settings *settings,
                          const char *node)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *obj = NULL, *vmis = NULL, *kubevirts = NULL;
    enum cv_result r = cv_get(view, &scope, CV_NODE, NULL, node, &obj);
    if (r != CV_OK) {
        if (r == CV_NOT_FOUND)
            fprintf(stderr, "migration-webhook check: no node \"%s\" in the cluster\n", node);
        else
            fprintf(stderr, "migration-webhook check: cannot read node %s: %s\n", node, scope.err);
        cv_scope_release(&scope);
        return NULL;
    }
    if (cv_list(view, &scope, CV_VMI, NULL, NULL, NULL, &vmis) != CV_OK ||
        cv_list(view, &scope, CV_KUBEVIRT, NULL, NULL, NULL, &kubevirts) != CV_OK) {
        fprintf(stderr, "migration-webhook check: cannot list VMIs: %s\n", scope.err);
        cv_scope_release(&scope);
        return NULL;
    }
    const cJSON *kubevirt = cJSON_GetArrayItem(kubevirts, 0);
    /* a VM node carries kubevirt.io/schedulable (virt-handler runs there), with any value */
    bool vm_node =
        cJSON_HasObjectItem(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels"),
                            LABEL_SCHEDULABLE);
    cJSON *report = cJSON_CreateObject();
    cJSON_AddStringToObject(report, "node", node);
    cJSON_AddBoolToObject(report, "vmNode", vm_node);
    cJSON *rows = cJSON_AddArrayToObject(report, "vms");
    const cJSON *vmi;
    cJSON_ArrayForEach (vmi, vmis) {
        const char *on = obj_string(obj_object(vmi, "status"), "nodeName");
        const char *name = meta_string(vmi, "name");
        if (!on || strcmp(on, node) != 0 || !name)
            continue;
        const char *ns = object_namespace(vmi);
        cJSON *row = evaluate_row(view, settings, ns, name, node);
        const char *source;
        const char *strategy = eviction_strategy(vmi, kubevirt, &source);
        bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "migratable"));
        cJSON_AddStringToObject(row, "evictionStrategy", strategy);
        cJSON_AddStringToObject(row, "evictionStrategySource", source);
        cJSON_AddStringToObject(row, "outcome", drain_outcome(strategy, ok));
        cJSON_AddItemToArray(rows, row);
    }
    sort_rows(rows);

    int total = 0, migrate = 0, shut = 0, external = 0;
    cJSON *blocking = cJSON_CreateArray();
    const cJSON *row;
    cJSON_ArrayForEach (row, rows) {
        const char *outcome = obj_string(row, "outcome");
        total++;
        if (strcmp(outcome, "live-migrate") == 0)
            migrate++;
        else if (strcmp(outcome, "shut-down") == 0)
            shut++;
        else if (strcmp(outcome, "external") == 0)
            external++;
        else {
            char id[512];
            snprintf(id, sizeof(id), "%s/%s", obj_string(row, "namespace"),
                     obj_string(row, "name"));
            cJSON_AddItemToArray(blocking, cJSON_CreateString(id));
        }
    }
    int nblock = cJSON_GetArraySize(blocking);
    cJSON_AddNumberToObject(report, "total", total);
    cJSON_AddNumberToObject(report, "canLeave", total - nblock);
    cJSON_AddNumberToObject(report, "liveMigrate", migrate);
    cJSON_AddNumberToObject(report, "shutDown", shut);
    cJSON_AddNumberToObject(report, "external", external);
    cJSON_AddItemToObject(report, "blocking", blocking);

    char summary[4096];
    if (total == 0) {
        snprintf(summary, sizeof(summary), "no VM runs on %s%s: nothing blocks the drain", node,
                 vm_node ? ""
                         : " (no " LABEL_SCHEDULABLE
                           " label: a node that never runs VMs, such as a "
                           "witness node)");
    } else {
        snprintf(summary, sizeof(summary), "%d of %d VM%s can leave %s (%d by live migration",
                 total - nblock, total, total == 1 ? "" : "s", node, migrate);
        size_t used = strlen(summary);
        if (shut)
            snprintf(summary + used, sizeof(summary) - used, ", %d shut down", shut);
        used = strlen(summary);
        if (external)
            snprintf(summary + used, sizeof(summary) - used, ", %d left to an external controller",
                     external);
        used = strlen(summary);
        snprintf(summary + used, sizeof(summary) - used, ")");
        if (nblock) {
            used = strlen(summary);
            snprintf(summary + used, sizeof(summary) - used, "; %d block%s the drain: ", nblock,
                     nblock == 1 ? "s" : "");
            join_names(summary, sizeof(summary), blocking);
        }
    }
    cJSON_AddStringToObject(report, "summary", summary);
    cv_scope_release(&scope);
    return report;
}

/* The --all report (`ns` NULL = every namespace); NULL after one error line. */
static cJSON *all_report(const struct cluster_view *view, const struct rule_settings *settings,
                         const char *ns)
{
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *vms = NULL, *vmis = NULL;
    if (cv_list(view, &scope, CV_VM, ns, NULL, NULL, &vms) != CV_OK ||
        cv_list(view, &scope, CV_VMI, ns, NULL, NULL, &vmis) != CV_OK) {
        fprintf(stderr, "migration-webhook check: cannot list VMs: %s\n", scope.err);
        cv_scope_release(&scope);
        return NULL;
    }
    cJSON *report = cJSON_CreateObject();
    if (ns)
        cJSON_AddStringToObject(report, "namespace", ns);
    else
        cJSON_AddNullToObject(report, "namespace");
    cJSON *rows = cJSON_AddArrayToObject(report, "vms");
    const cJSON *obj;
    cJSON_ArrayForEach (obj, vms) {
        const char *name = meta_string(obj, "name");
        if (name)
            cJSON_AddItemToArray(rows,
                                 evaluate_row(view, settings, object_namespace(obj), name, NULL));
    }
    cJSON_ArrayForEach (obj, vmis) {
        const char *name = meta_string(obj, "name");
        const cJSON *vm = NULL;
        if (name && cv_get(view, &scope, CV_VM, object_namespace(obj), name, &vm) != CV_OK)
            cJSON_AddItemToArray(rows,
                                 evaluate_row(view, settings, object_namespace(obj), name, NULL));
    }
    sort_rows(rows);

    int counts[RULE_COUNT] = {0};
    int migratable = 0, blocked = 0, stopped = 0;
    const cJSON *row;
    cJSON_ArrayForEach (row, rows) {
        const char *verdict = obj_string(row, "verdict");
        if (strcmp(verdict, "migratable") == 0)
            migratable++;
        else if (strcmp(verdict, "blocked") == 0)
            blocked++;
        else
            stopped++;
        const cJSON *f;
        cJSON_ArrayForEach (f, obj_array(row, "violations")) {
            int id = rule_id_from_name(obj_string(f, "rule"));
            if (id >= 0)
                counts[id]++;
        }
    }
    cJSON *totals = cJSON_AddObjectToObject(report, "counts");
    cJSON_AddNumberToObject(totals, "vms", cJSON_GetArraySize(rows));
    cJSON_AddNumberToObject(totals, "migratable", migratable);
    cJSON_AddNumberToObject(totals, "blocked", blocked);
    cJSON_AddNumberToObject(totals, "notRunning", stopped);
    cJSON *per_rule = cJSON_AddObjectToObject(report, "rules");
    for (int i = 0; i < RULE_COUNT; i++)
        if (counts[i])
            cJSON_AddNumberToObject(per_rule, rule_id_name((enum rule_id)i), counts[i]);
    cv_scope_release(&scope);
    return report;
}

/* ---- the cluster ---- */

/* Progress on a terminal while a snapshot is read: one line, rewritten in place. */
static void show_progress(void *ctx, enum cv_kind kind, size_t n)
{
    (void)ctx;
    fprintf(stderr, "\r\033[Kreading the cluster: %s %zu", cv_kind_name(kind), n);
    fflush(stderr);
}

/*
 * Opens the cluster the options name: the files of --cluster-dir, or the API
 * server found as kubectl finds it.  `bulk` (--node, --all) reads a live
 * cluster once as a snapshot; one VM uses the on-demand live view.
 * *ctx_ns gets the context's namespace (caller frees; NULL for files).
 * NULL after printing one error line.
 */
static struct cluster_view *open_view(const struct check_args *a, bool bulk, char **ctx_ns)
{
    char err[1024];
    *ctx_ns = NULL;
    if (a->cluster_dir) {
        struct cluster_view *v = static_view_load(a->cluster_dir, err, sizeof(err));
        if (!v)
            fprintf(stderr, "migration-webhook check: %s\n", err);
        else if (bulk && !(v = snapshot_view_indexed(v)))
            fprintf(stderr, "migration-webhook check: out of memory\n");
        return v;
    }
    struct kube_config cfg;
    char source[512];
    if (kubeconfig_resolve(a->kubeconfig, a->context, &cfg, source, sizeof(source), err,
                           sizeof(err)) != 0) {
        fprintf(stderr, "migration-webhook check: %s\n", err);
        return NULL;
    }
    if (cfg.warning[0])
        fprintf(stderr, "migration-webhook check: warning: %s\n", cfg.warning);
    if (cfg.namespace)
        *ctx_ns = strdup(cfg.namespace);
    struct cluster_view *view = NULL;
    if (bulk) {
        struct kube_client *client = kube_client_new(&cfg, err, sizeof(err));
        if (client) {
            bool tty = isatty(STDERR_FILENO);
            /* --all in one namespace reads that namespace's VMs only */
            const char *snap_ns = a->all && !a->all_namespaces ? (a->ns ? a->ns : *ctx_ns) : NULL;
            view = snapshot_view_load(client, snap_ns, tty ? show_progress : NULL, NULL, NULL, err,
                                      sizeof(err));
            if (view && !(view = snapshot_view_indexed(view)))
                snprintf(err, sizeof(err), "out of memory");
            if (tty) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
            }
            kube_client_free(client);
        }
        if (!view)
            fprintf(stderr, "migration-webhook check: %s: %s\n", cfg.server, err);
    } else {
        view = live_view_new(&cfg, err, sizeof(err));
        if (!view) {
            fprintf(stderr, "migration-webhook check: %s\n", err);
        } else if (!live_view_wait_ready(view, CHECK_READY_TIMEOUT_MS)) {
            struct live_stats st;
            live_view_stats(view, &st);
            fprintf(stderr, "migration-webhook check: %s: nodes not listed within %d s%s%s\n",
                    cfg.server, CHECK_READY_TIMEOUT_MS / 1000, st.last_error[0] ? ": " : "",
                    st.last_error);
            cv_destroy(view);
            view = NULL;
        }
    }
    kube_config_free(&cfg);
    if (!view) {
        free(*ctx_ns);
        *ctx_ns = NULL;
    }
    return view;
}

static bool use_color(void)
{
    const char *no_color = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

static void print_json(const cJSON *report)
{
    char *text = cJSON_Print(report);
    puts(text ? text : "{}");
    free(text);
}

/* --node and --all. */
static int check_many(const struct check_args *a, const struct rule_settings *settings)
{
    char *ctx_ns = NULL;
    struct cluster_view *view = open_view(a, true, &ctx_ns);
    if (!view)
        return 2;
    const char *ns = a->ns ? a->ns : ctx_ns ? ctx_ns : "default";
    cJSON *report = a->mode == CHECK_NODE
                        ? node_report(view, settings, a->node)
                        : all_report(view, settings, a->all_namespaces ? NULL : ns);
    int rc = 2;
    if (report) {
        if (strcmp(a->output, "json") == 0)
            print_json(report);
        else if (a->mode == CHECK_NODE)
            check_print_node(report, stdout, use_color());
        else
            check_print_all(report, stdout, use_color());
        if (a->mode == CHECK_NODE)
            rc = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(report, "blocking")) ? 1 : 0;
        else
            rc = cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(report, "counts"), "blocked")
                         ->valueint
                     ? 1
                     : 0;
    }
    cJSON_Delete(report);
    free(ctx_ns);
    cv_destroy(view);
    return rc;
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
    if (a.mode != CHECK_ONE_VM)
        return check_many(&a, &settings);
    char *ctx_ns = NULL;
    struct cluster_view *base = open_view(&a, false, &ctx_ns);
    if (!base)
        return 2;

    const char *ns = a.ns ? a.ns : ctx_ns ? ctx_ns : "default";
    struct cluster_view *view = base, *overlay = NULL;
    cJSON *vmi = NULL;
    char *name = NULL;
    if (a.file) {
        vmi = vmi_from_manifest(a.file, ns);
        if (!vmi) {
            free(ctx_ns);
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
            free(ctx_ns);
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
        if (strcmp(a.output, "json") == 0)
            print_json(report);
        else
            check_print_text(report, stdout, use_color());
        rc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "migratable")) ? 0 : 1;
    }
    cJSON_Delete(report);
    free(name);
    free(ctx_ns);
    cv_destroy(overlay);
    cv_destroy(base);
    return rc;
}
