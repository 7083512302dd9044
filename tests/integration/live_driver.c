/*
 * tests/integration/live_driver.c - drives a live cluster view from stdin,
 * for tests/integration/test_live_view.py.
 *
 * Usage: live_driver KUBECONFIG [READY_MS].  Waits up to READY_MS (default
 * 10000) for readiness (prints READY or NOTREADY <error>), then answers one
 * line per command:
 *   get <KIND> <ns|-> <name> [deadline_ms]   JSON | NOTFOUND | ERROR <msg>
 *   list <KIND> <ns|-> [key=value]           <count> <JSON array>
 *   labels <node>                            the node's labels as JSON (from the cache)
 *   stats                                    the view's counters as JSON
 *   memory                                   heap in use (mallinfo2) and RSS as JSON
 *   parallel <threads> <rounds>              many threads reading at once: OK <lookups> | FAILED
 * <n> <error> quit KIND is VM, VMI, VMIM, PVC, POD, NODE, KUBEVIRT, NAD, MP (MigrationPolicy)
 * or NS (Namespace).  The view's own log lines go to stderr.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/live.h"

static int kind_from_short(const char *s)
{
    static const struct {
        const char *name;
        enum cv_kind kind;
    } names[] = {
        {"VM", CV_VM},
        {"VMI", CV_VMI},
        {"VMIM", CV_VMIM},
        {"PVC", CV_PVC},
        {"POD", CV_POD},
        {"NODE", CV_NODE},
        {"KUBEVIRT", CV_KUBEVIRT},
        {"NAD", CV_NAD},
        {"MP", CV_MIGRATION_POLICY},
        {"NS", CV_NAMESPACE},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].kind;
    return -1;
}

static void print_json(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s ? s : "null");
    free(s);
}

static void answer_get(const struct cluster_view *v, char *kind, char *ns, char *name,
                       char *deadline)
{
    int k = kind ? kind_from_short(kind) : -1;
    if (k < 0 || !ns || !name) {
        printf("USAGE\n");
        return;
    }
    struct cv_scope s;
    cv_scope_init(&s, deadline ? cv_now_ms() + atol(deadline) : 0);
    const cJSON *obj = NULL;
    enum cv_result r = cv_get(v, &s, (enum cv_kind)k, strcmp(ns, "-") ? ns : NULL, name, &obj);
    if (r == CV_OK)
        print_json(obj);
    else if (r == CV_NOT_FOUND)
        printf("NOTFOUND\n");
    else
        printf("ERROR %s\n", s.err);
    cv_scope_release(&s);
}

static void answer_list(const struct cluster_view *v, char *kind, char *ns, char *selector)
{
    int k = kind ? kind_from_short(kind) : -1;
    if (k < 0 || !ns) {
        printf("USAGE\n");
        return;
    }
    char *value = selector ? strchr(selector, '=') : NULL;
    if (value)
        *value++ = '\0';
    struct cv_scope s;
    cv_scope_init(&s, cv_now_ms() + 5000);
    const cJSON *arr = NULL;
    enum cv_result r =
        cv_list(v, &s, (enum cv_kind)k, strcmp(ns, "-") ? ns : NULL, selector, value, &arr);
    if (r == CV_OK) {
        printf("%d ", cJSON_GetArraySize(arr));
        print_json(arr);
    } else {
        printf("ERROR %s\n", s.err);
    }
    cv_scope_release(&s);
}

static void answer_labels(const struct cluster_view *v, const char *node)
{
    struct cv_scope s;
    cv_scope_init(&s, 0);
    const cJSON *obj = NULL;
    enum cv_result r = node ? cv_get(v, &s, CV_NODE, NULL, node, &obj) : CV_NOT_FOUND;
    if (r == CV_OK)
        print_json(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels"));
    else if (r == CV_NOT_FOUND)
        printf("NOTFOUND\n");
    else
        printf("ERROR %s\n", s.err);
    cv_scope_release(&s);
}

static void answer_stats(const struct cluster_view *v)
{
    struct live_stats st;
    live_view_stats(v, &st);
    cJSON *j = cJSON_CreateObject();
    cJSON *calls = cJSON_AddObjectToObject(j, "api_calls");
    for (int i = 0; i < KUBE_CODE_SLOTS; i++) {
        if (st.api_calls[i]) {
            char code[8];
            snprintf(code, sizeof(code), "%d", i);
            cJSON_AddNumberToObject(calls, code, (double)st.api_calls[i]);
        }
    }
    cJSON_AddNumberToObject(j, "nodes", (double)st.nodes);
    cJSON_AddNumberToObject(j, "kubevirts", (double)st.kubevirts);
    cJSON_AddNumberToObject(j, "migration_policies", (double)st.migration_policies);
    cJSON_AddNumberToObject(j, "node_cache_bytes", (double)st.node_cache_bytes);
    cJSON_AddNumberToObject(j, "bytes_per_node",
                            st.nodes ? (double)(st.node_cache_bytes / st.nodes) : 0);
    cJSON_AddNumberToObject(j, "relists", (double)st.relists);
    cJSON_AddNumberToObject(j, "watch_restarts", (double)st.watch_restarts);
    cJSON_AddNumberToObject(j, "watch_events", (double)st.watch_events);
    cJSON_AddStringToObject(j, "last_error", st.last_error);
    print_json(j);
    cJSON_Delete(j);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

static void answer_memory(void)
{
    struct mallinfo2 mi = mallinfo2();
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "heap_in_use", (double)(mi.uordblks + mi.hblkhd));
    cJSON_AddNumberToObject(j, "rss_kib", (double)rss_kib());
    print_json(j);
    cJSON_Delete(j);
}

struct reader {
    const struct cluster_view *v;
    int rounds, lookups, failed;
    char err[256];
};

/* One reader thread: on-demand reads and cache reads, checking every answer. */
static void *read_concurrently(void *arg)
{
    struct reader *r = arg;
    for (int i = 0; i < r->rounds; i++) {
        struct cv_scope s;
        cv_scope_init(&s, cv_now_ms() + 5000);
        const cJSON *vmi = NULL, *nodes = NULL, *node = NULL, *pods = NULL;
        enum cv_result a = cv_get(r->v, &s, CV_VMI, "default", "vm1", &vmi);
        enum cv_result b = cv_list(r->v, &s, CV_NODE, NULL, NULL, NULL, &nodes);
        enum cv_result c = cv_get(r->v, &s, CV_NODE, NULL, "node-1", &node);
        enum cv_result d =
            cv_list(r->v, &s, CV_POD, "default", "vm.kubevirt.io/name", "vm1", &pods);
        r->lookups += 4;
        if (a != CV_OK || b != CV_OK || c != CV_OK || d != CV_OK || cJSON_GetArraySize(nodes) < 3 ||
            cJSON_GetArraySize(pods) != 1) {
            if (!r->failed++)
                snprintf(r->err, sizeof(r->err), "%s", s.err[0] ? s.err : "wrong answer");
        }
        cv_scope_release(&s);
    }
    return NULL;
}

static void answer_parallel(const struct cluster_view *v, const char *threads, const char *rounds)
{
    int n = threads ? atoi(threads) : 0;
    if (n <= 0 || n > 64 || !rounds) {
        printf("USAGE\n");
        return;
    }
    struct reader readers[64];
    pthread_t tids[64];
    int lookups = 0, failed = 0;
    const char *first = "";
    for (int i = 0; i < n; i++) {
        readers[i] = (struct reader){.v = v, .rounds = atoi(rounds)};
        pthread_create(&tids[i], NULL, read_concurrently, &readers[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(tids[i], NULL);
        lookups += readers[i].lookups;
        if (readers[i].failed && !failed)
            first = readers[i].err;
        failed += readers[i].failed;
    }
    if (failed)
        printf("FAILED %d %s\n", failed, first);
    else
        printf("OK %d\n", lookups);
}

int main(int argc, char **argv)
{
    char err[512];
    struct kube_config cfg;
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: live_driver KUBECONFIG [READY_MS]\n");
        return 2;
    }
    if (kubeconfig_load(argv[1], &cfg, err, sizeof(err)) != 0) {
        printf("NOTREADY %s\n", err);
        return 1;
    }
    struct cluster_view *v = live_view_new(&cfg, err, sizeof(err));
    kube_config_free(&cfg);
    if (!v) {
        printf("NOTREADY %s\n", err);
        return 1;
    }
    if (live_view_wait_ready(v, argc == 3 ? atol(argv[2]) : 10000)) {
        printf("READY\n");
    } else {
        struct live_stats st;
        live_view_stats(v, &st);
        printf("NOTREADY %s\n", st.last_error);
    }
    fflush(stdout);
    char line[4096];
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *save = NULL;
        char *cmd = strtok_r(line, " ", &save);
        if (!cmd)
            continue;
        char *a = strtok_r(NULL, " ", &save), *b = strtok_r(NULL, " ", &save);
        char *c = strtok_r(NULL, " ", &save), *d = strtok_r(NULL, " ", &save);
        if (strcmp(cmd, "quit") == 0)
            break;
        else if (strcmp(cmd, "get") == 0)
            answer_get(v, a, b, c, d);
        else if (strcmp(cmd, "list") == 0)
            answer_list(v, a, b, c);
        else if (strcmp(cmd, "labels") == 0)
            answer_labels(v, a);
        else if (strcmp(cmd, "parallel") == 0)
            answer_parallel(v, a, b);
        else if (strcmp(cmd, "stats") == 0)
            answer_stats(v);
        else if (strcmp(cmd, "memory") == 0)
            answer_memory();
        else
            printf("USAGE\n");
        fflush(stdout);
    }
    cv_destroy(v);
    return 0;
}
