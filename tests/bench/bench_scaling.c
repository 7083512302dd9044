/*
 * tests/bench/bench_scaling.c - how the time of one review grows with the
 * size of the body and the size of the cluster, and what a node costs in
 * memory, measured in-process (no TLS, no HTTP) on the same code the server
 * runs.  Prints tables; asserts nothing.
 *
 *   bench_scaling [body|nodes|memory|all]
 *   bench_scaling nodes N RUNS
 *
 * body    the 12 KiB VirtualMachine CREATE review next to this file, grown to
 *         10 KiB ... 3 MiB with disks, volumes and dataVolumeTemplates
 *         (RWX, so every one is looked at and none is reported), on
 *         /validate against the example cluster.
 * nodes   the example cluster with its nodes replaced by copies of node-a
 *         (about 60 KubeVirt labels each) and node-c kept: vm-icelake runs on
 *         node-c and no copy has its host CPU model, so a VMIM CREATE for it
 *         walks every node (the no-target rule, its text lists 10 nodes and
 *         "and <k> more"); also the candidate list of `check` alone, a VM
 *         CREATE (host-model warning over every node) and a node lookup.
 * memory  heap bytes held by a static view of 5,000 such nodes, per node.
 * update  10,000 VMI UPDATE reviews that change only status (KubeVirt's
 *         status writes: answered without running a rule), next to the same
 *         VMI as CREATE and a VMIM CREATE for it, on the example cluster.
 *
 * Each time is the median of repeated runs (at least 5, about 0.3 s each).
 * `nodes N RUNS` measures N nodes only, each review exactly RUNS times: for
 * instruction counts under callgrind, where run_no_target, run_candidates and
 * run_vm_create are the functions to read inclusive costs of.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/static.h"
#include "rules/rules.h"
#include "rules/target_node.h"
#include "server/admission.h"

#ifndef MW_SOURCE_DIR
#define MW_SOURCE_DIR "."
#endif

#define EXAMPLE_CLUSTER MW_SOURCE_DIR "/examples/cluster"
#define VM_REVIEW MW_SOURCE_DIR "/tests/bench/vm-create-review.json"
#define MIN_RUNS 5
#define MAX_RUNS 2000
#define TARGET_SECONDS 0.3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds of fn(arg), repeated until TARGET_SECONDS have passed. */
static int fixed_runs; /* > 0: exactly this many runs (`nodes N RUNS`) */

static double median_time(void (*fn)(void *), void *arg)
{
    static double times[MAX_RUNS];
    size_t n = 0;
    double start = now_s();
    while (n < MAX_RUNS && (fixed_runs ? n < (size_t)fixed_runs
                                       : n < MIN_RUNS || now_s() - start < TARGET_SECONDS)) {
        double t0 = now_s();
        fn(arg);
        times[n++] = now_s() - t0;
    }
    qsort(times, n, sizeof(times[0]), compare_doubles);
    return times[n / 2];
}

static void die(const char *what)
{
    fprintf(stderr, "bench_scaling: %s\n", what);
    exit(1);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die(path);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* ------------------------------------------------------------- reviews */

struct review_run {
    const struct admission_context *ctx;
    enum admission_path path;
    const char *body;
    size_t len;
    const char *expect; /* verdict the review must get */
};

static void run_review(void *arg)
{
    struct review_run *r = arg;
    struct admission_outcome out;
    admission_review(r->ctx, r->path, r->body, r->len, "10s", &out);
    if (out.status != 200 || strcmp(out.verdict, r->expect) != 0) {
        fprintf(stderr, "unexpected answer (%s, want %s): %.300s\n", out.verdict, r->expect,
                out.body ? out.body : "");
        exit(1);
    }
    admission_outcome_free(&out);
}

static cJSON *item(cJSON *obj, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *tok = strtok(buf, "."); tok && obj; tok = strtok(NULL, "."))
        obj = cJSON_GetObjectItemCaseSensitive(obj, tok);
    if (!obj)
        die(path);
    return obj;
}

/* Adds one RWX disk + volume + dataVolumeTemplate to the VM review. */
static void grow_vm_once(cJSON *review, int i)
{
    cJSON *vm = item(review, "request.object");
    cJSON *templates = item(vm, "spec.dataVolumeTemplates");
    cJSON *spec = item(vm, "spec.template.spec");
    char name[64], dv_name[80];
    snprintf(name, sizeof(name), "grow-%d", i);
    snprintf(dv_name, sizeof(dv_name), "vm-bench-grow-%d", i);
    cJSON *dv = cJSON_Duplicate(cJSON_GetArrayItem(templates, 0), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(item(dv, "metadata"), "name",
                                           cJSON_CreateString(dv_name));
    cJSON_AddItemToArray(templates, dv);
    cJSON *disk = cJSON_CreateObject();
    cJSON_AddStringToObject(disk, "name", name);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(disk, "disk"), "bus", "virtio");
    cJSON_AddItemToArray(item(spec, "domain.devices.disks"), disk);
    cJSON *vol = cJSON_CreateObject();
    cJSON_AddStringToObject(vol, "name", name);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(vol, "dataVolume"), "name", dv_name);
    cJSON_AddItemToArray(item(spec, "volumes"), vol);
}

static void bench_body(void)
{
    char err[512];
    struct cluster_view *view = static_view_load(EXAMPLE_CLUSTER, err, sizeof(err));
    if (!view)
        die(err);
    struct rule_settings settings;
    rule_settings_default(&settings);
    struct admission_context ctx = {
        .handlers = &admission_rule_handlers, .settings = &settings, .view = view};
    size_t len;
    char *text = read_file(VM_REVIEW, &len);
    cJSON *review = cJSON_Parse(text);
    free(text);
    if (!review)
        die("vm review");
    static const size_t sizes_kib[] = {10, 100, 300, 1024, 3072};
    printf("## time per review as the body grows (VM CREATE on /validate, example cluster)\n");
    printf("%10s %10s %12s %12s %8s\n", "body KiB", "disks", "review ms", "us per KiB", "growth");
    double prev_per_kib = 0;
    int disks = 0;
    for (size_t s = 0; s < sizeof(sizes_kib) / sizeof(sizes_kib[0]); s++) {
        char *body = cJSON_Print(review);
        while (strlen(body) < sizes_kib[s] * 1024 * 95 / 100) {
            free(body);
            for (int k = 0; k < 16; k++)
                grow_vm_once(review, disks++);
            body = cJSON_Print(review);
        }
        struct review_run run = {&ctx, ADMISSION_VALIDATE, body, strlen(body), "warned"};
        double t = median_time(run_review, &run);
        double per_kib = t * 1e6 / ((double)run.len / 1024.0);
        printf("%10zu %10d %12.3f %12.3f %8s\n", run.len / 1024, disks + 6, t * 1e3, per_kib,
               prev_per_kib > 0 ? (per_kib / prev_per_kib < 1.5 ? "linear" : "SUPER") : "-");
        if (!prev_per_kib)
            prev_per_kib = per_kib;
        free(body);
    }
    cJSON_Delete(review);
    cv_destroy(view);
}

/* --------------------------------------------------------------- nodes */

static cJSON *find_object(cJSON *objects, const char *kind, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach (o, objects) {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
        const char *n = cJSON_GetStringValue(item(o, "metadata.name"));
        if (k && n && strcmp(k, kind) == 0 && strcmp(n, name) == 0)
            return o;
    }
    die(name);
    return NULL;
}

/* A copy of `node_a` named node-<i>. */
static cJSON *node_copy(const cJSON *node_a, int i)
{
    char name[32];
    snprintf(name, sizeof(name), "node-%05d", i);
    cJSON *n = cJSON_Duplicate(node_a, 1);
    cJSON_ReplaceItemInObjectCaseSensitive(item(n, "metadata"), "name", cJSON_CreateString(name));
    cJSON_ReplaceItemInObjectCaseSensitive(item(n, "metadata.labels"), "kubernetes.io/hostname",
                                           cJSON_CreateString(name));
    return n;
}

/* The example cluster's objects with its nodes replaced by node-c and n-1 copies of node-a. */
static cJSON *cluster_with_nodes(int n)
{
    char err[512];
    cJSON *objects = static_load_dir(EXAMPLE_CLUSTER, err, sizeof(err));
    if (!objects)
        die(err);
    cJSON *node_a = cJSON_Duplicate(find_object(objects, "Node", "node-a"), 1);
    for (cJSON *o = objects->child, *next; o; o = next) {
        next = o->next;
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
        const char *name = cJSON_GetStringValue(item(o, "metadata.name"));
        if (k && strcmp(k, "Node") == 0 && strcmp(name, "node-c") != 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(objects, o));
    }
    for (int i = 1; i < n; i++)
        cJSON_AddItemToArray(objects, node_copy(node_a, i));
    cJSON_Delete(node_a);
    return objects;
}

/* An AdmissionReview for `obj` (and `old`, may be NULL) as the API server would send it. */
static char *review_text(const char *resource, const char *kind, const char *op, cJSON *obj,
                         cJSON *old)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "apiVersion", "admission.k8s.io/v1");
    cJSON_AddStringToObject(r, "kind", "AdmissionReview");
    cJSON *req = cJSON_AddObjectToObject(r, "request");
    cJSON_AddStringToObject(req, "uid", "bench-0001");
    cJSON *res = cJSON_AddObjectToObject(req, "resource");
    cJSON_AddStringToObject(res, "group", "kubevirt.io");
    cJSON_AddStringToObject(res, "version", "v1");
    cJSON_AddStringToObject(res, "resource", resource);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "kind"), "kind", kind);
    cJSON_AddStringToObject(req, "namespace", "default");
    cJSON_AddStringToObject(req, "operation", op);
    cJSON_AddItemToObject(req, "object", cJSON_Duplicate(obj, 1));
    if (old)
        cJSON_AddItemToObject(req, "oldObject", cJSON_Duplicate(old, 1));
    char *text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return text;
}

/* A VirtualMachineInstanceMigration of the VMI `vmi`. */
static cJSON *vmim_object(const char *name, const char *vmi)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "apiVersion", "kubevirt.io/v1");
    cJSON_AddStringToObject(obj, "kind", "VirtualMachineInstanceMigration");
    cJSON *meta = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", "default");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(obj, "spec"), "vmiName", vmi);
    return obj;
}

static char *vmim_review(const char *vmi)
{
    cJSON *obj = vmim_object("bench-migration", vmi);
    char *s = review_text("virtualmachineinstancemigrations", "VirtualMachineInstanceMigration",
                          "CREATE", obj, NULL);
    cJSON_Delete(obj);
    return s;
}

/* The VMIM and the VM review of bench_nodes under names of their own (for callgrind). */
static __attribute__((noinline)) void run_no_target(void *arg)
{
    run_review(arg);
}

static __attribute__((noinline)) void run_vm_create(void *arg)
{
    run_review(arg);
}

struct candidates_run {
    const struct cluster_view *view;
    const cJSON *vmi;
    size_t expect;
};

static __attribute__((noinline)) void run_candidates(void *arg)
{
    struct candidates_run *r = arg;
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    struct migration_ctx mctx;
    struct node_check *checks = NULL;
    size_t n = 0;
    if (migration_ctx_init(&mctx, r->vmi, "default", r->view, &scope) != CV_OK ||
        target_node_candidates(&mctx, &checks, &n) != 0 || n != r->expect)
        die("candidate list");
    node_checks_free(checks, n);
    migration_ctx_free(&mctx);
    cv_scope_release(&scope);
}

struct lookup_run {
    const struct cluster_view *view;
    char name[32];
};

static void run_lookup(void *arg)
{
    struct lookup_run *r = arg;
    struct cv_scope scope;
    cv_scope_init(&scope, 0);
    const cJSON *node = NULL;
    if (cv_get(r->view, &scope, CV_NODE, NULL, r->name, &node) != CV_OK)
        die("node lookup");
    cv_scope_release(&scope);
}

/* Every count of `counts`, or only `only` when > 0. */
static void bench_nodes(int only)
{
    static const int counts[] = {100, 500, 1000, 2000, 5000};
    struct rule_settings settings;
    rule_settings_default(&settings);
    size_t vm_len;
    char *vm_body = read_file(VM_REVIEW, &vm_len);
    char *vmim_body = vmim_review("vm-icelake");
    printf("## time per review as the cluster grows (node-c + copies of node-a)\n");
    printf("%7s %14s %14s %14s %12s %12s %13s %8s\n", "nodes", "no-target ms", "candidates ms",
           "VM 1st ms", "VM CREATE ms", "lookup us", "no-target/node", "growth");
    double first_per_node = 0;
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        int n = only > 0 ? only : counts[c];
        if (only > 0 && c > 0)
            break;
        struct cluster_view *view = static_view_new(cluster_with_nodes(n));
        if (!view)
            die("view");
        struct admission_context ctx = {
            .handlers = &admission_rule_handlers, .settings = &settings, .view = view};
        struct review_run vmim = {&ctx, ADMISSION_VALIDATE, vmim_body, strlen(vmim_body), "denied"};
        struct review_run vm = {&ctx, ADMISSION_VALIDATE, vm_body, vm_len, "warned"};
        struct cv_scope scope;
        cv_scope_init(&scope, 0);
        const cJSON *vmi = NULL;
        if (cv_get(view, &scope, CV_VMI, "default", "vm-icelake", &vmi) != CV_OK)
            die("vm-icelake");
        struct candidates_run cand = {view, vmi, (size_t)n - 1};
        struct lookup_run lookup = {view, ""};
        snprintf(lookup.name, sizeof(lookup.name), "node-%05d", n - 1);
        /* The first VM review on a new node list derives the host-model facts; later ones reuse
         * them. */
        double t_first = now_s();
        run_vm_create(&vm);
        t_first = now_s() - t_first;
        run_review(&vmim); /* derives the no-target advice's common models, as a server has */
        double t_vmim = median_time(run_no_target, &vmim);
        double t_cand = median_time(run_candidates, &cand);
        double t_vm = median_time(run_vm_create, &vm);
        double t_lookup = median_time(run_lookup, &lookup);
        double per_node = t_vmim / n;
        if (!first_per_node)
            first_per_node = per_node;
        printf("%7d %14.3f %14.3f %14.3f %12.3f %12.3f %11.3fus %8s\n", n, t_vmim * 1e3,
               t_cand * 1e3, t_first * 1e3, t_vm * 1e3, t_lookup * 1e6, per_node * 1e6,
               c == 0                            ? "-"
               : per_node / first_per_node < 1.5 ? "linear"
                                                 : "SUPER");
        cv_scope_release(&scope);
        cv_destroy(view);
    }
    free(vm_body);
    free(vmim_body);
}

/* -------------------------------------------------------------- memory */

/* Heap bytes in use: the arena's and the blocks malloc mapped on their own (large ones). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void bench_memory(void)
{
    const int n = 5000;
    cJSON *objects = cluster_with_nodes(1);
    struct cluster_view *small = static_view_new(objects);
    size_t before = heap_in_use();
    cv_destroy(small);
    size_t base = heap_in_use();
    struct cluster_view *view = static_view_new(cluster_with_nodes(n));
    malloc_trim(0);
    size_t after = heap_in_use();
    double per_node = ((double)after - (double)before) / (double)(n - 1);
    printf("## memory of the static view (heap in use, mallinfo2)\n");
    printf("example cluster with 1 node: %zu KiB; with %d nodes: %zu KiB; %.0f bytes per node\n",
           (before - base) / 1024, n, (after - base) / 1024, per_node);
    {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof(line), f))
            if (strncmp(line, "VmRSS:", 6) == 0)
                printf("process RSS with the %d-node view: %s", n, line + 6);
        if (f)
            fclose(f);
    }
    /* What a review leaves in the view's memo: the facts derived from the node list. */
    struct rule_settings settings;
    rule_settings_default(&settings);
    struct admission_context ctx = {
        .handlers = &admission_rule_handlers, .settings = &settings, .view = view};
    char *vmim_body = vmim_review("vm-icelake");
    struct review_run vmim = {&ctx, ADMISSION_VALIDATE, vmim_body, strlen(vmim_body), "denied"};
    run_review(&vmim);
    free(vmim_body);
    malloc_trim(0);
    size_t memo = heap_in_use();
    printf("after a no-target review (the derived node facts in the view's memo): %.0f bytes per "
           "node\n",
           ((double)memo - (double)before) / (double)(n - 1));
    cv_destroy(view);
}

/* Mean seconds per run of `n` runs of r. */
static double mean_time(struct review_run *r, int n)
{
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        run_review(r);
    return (now_s() - t0) / n;
}

static void bench_update(void)
{
    enum { N = 10000 };
    char err[512];
    cJSON *objects = static_load_dir(EXAMPLE_CLUSTER, err, sizeof(err));
    if (!objects)
        die(err);
    cJSON *vmi =
        cJSON_Duplicate(find_object(objects, "VirtualMachineInstance", "vm-migratable"), 1);
    struct cluster_view *view = static_view_new(objects);
    struct rule_settings settings;
    rule_settings_default(&settings);
    struct admission_context ctx = {
        .handlers = &admission_rule_handlers, .settings = &settings, .view = view};

    cJSON *written = cJSON_Duplicate(vmi, 1);
    cJSON *status = item(written, "status");
    cJSON_DeleteItemFromObjectCaseSensitive(status, "phase");
    cJSON_AddStringToObject(status, "phase", "Running");
    cJSON_AddItemToObject(status, "migrationState", cJSON_CreateObject());
    cJSON *changed = cJSON_Duplicate(written, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(item(changed, "spec"), "hostname");
    cJSON_AddStringToObject(item(changed, "spec"), "hostname", "vm-migratable-renamed");
    cJSON *vmim = vmim_object("bench-mig", "vm-migratable");
    struct {
        const char *what, *expect;
        enum admission_path path;
        char *body;
    } runs[] = {
        {"VMI UPDATE, status only", "allowed", ADMISSION_VALIDATE,
         review_text("virtualmachineinstances", "VirtualMachineInstance", "UPDATE", written, vmi)},
        {"VMI UPDATE, spec changed", "warned", ADMISSION_VALIDATE,
         review_text("virtualmachineinstances", "VirtualMachineInstance", "UPDATE", changed, vmi)},
        {"VMI CREATE, same object", "warned", ADMISSION_VALIDATE,
         review_text("virtualmachineinstances", "VirtualMachineInstance", "CREATE", written, NULL)},
        {"VMIM CREATE for it", "allowed", ADMISSION_VALIDATE,
         review_text("virtualmachineinstancemigrations", "VirtualMachineInstanceMigration",
                     "CREATE", vmim, NULL)},
    };
    printf("## %d reviews each, in-process (no TLS, no HTTP), example cluster\n", N);
    printf("%-28s %10s %14s\n", "review", "body KiB", "us per review");
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        struct review_run r = {&ctx, runs[i].path, runs[i].body, strlen(runs[i].body),
                               runs[i].expect};
        run_review(&r); /* warm the derived-fact memo, as a running server has */
        printf("%-28s %10.1f %14.2f\n", runs[i].what, (double)r.len / 1024, mean_time(&r, N) * 1e6);
        free(runs[i].body);
    }
    cJSON_Delete(vmim);
    cJSON_Delete(changed);
    cJSON_Delete(written);
    cJSON_Delete(vmi);
    cv_destroy(view);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    int all = strcmp(what, "all") == 0;
    fixed_runs = argc > 3 ? atoi(argv[3]) : 0;
    if (all || strcmp(what, "body") == 0)
        bench_body();
    if (all || strcmp(what, "nodes") == 0)
        bench_nodes(argc > 2 ? atoi(argv[2]) : 0);
    if (all || strcmp(what, "memory") == 0)
        bench_memory();
    if (all || strcmp(what, "update") == 0)
        bench_update();
    return 0;
}
