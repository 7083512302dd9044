/* Unit tests for server/view_metrics.c: the cluster view's series as a Prometheus scrape reads
 * them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/kubeconfig.h"
#include "cluster/live.h"
#include "cluster/static.h"
#include "server/view_metrics.h"

struct text {
    char data[8192];
};

static void append_text(void *buf, const char *line)
{
    struct text *t = buf;
    strncat(t->data, line, sizeof(t->data) - strlen(t->data) - 1);
}

static cJSON *object(const char *kind, const char *ns, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    if (ns)
        cJSON_AddStringToObject(meta, "namespace", ns);
    return o;
}

static void static_view_counts_every_kind(void **state)
{
    (void)state;
    cJSON *objs = cJSON_CreateArray();
    cJSON_AddItemToArray(objs, object("Node", NULL, "node-a"));
    cJSON_AddItemToArray(objs, object("Node", NULL, "node-b"));
    cJSON_AddItemToArray(objs, object("VirtualMachineInstance", "default", "vm1"));
    cJSON_AddItemToArray(objs, object("KubeVirt", "harvester-system", "kubevirt"));
    struct cluster_view *v = static_view_new(objs);
    assert_non_null(v);
    struct text t = {""};
    view_metrics_provide(v, append_text, &t);
    assert_non_null(strstr(t.data, "# TYPE migration_webhook_apiserver_requests_total counter\n"));
    assert_null(strstr(
        t.data, "migration_webhook_apiserver_requests_total{")); /* no API server: no samples */
    assert_non_null(strstr(t.data, "# TYPE migration_webhook_cache_objects gauge\n"));
    assert_non_null(strstr(t.data, "migration_webhook_cache_objects{kind=\"Node\"} 2\n"));
    assert_non_null(
        strstr(t.data, "migration_webhook_cache_objects{kind=\"VirtualMachineInstance\"} 1\n"));
    assert_non_null(strstr(t.data, "migration_webhook_cache_objects{kind=\"KubeVirt\"} 1\n"));
    assert_non_null(strstr(t.data, "migration_webhook_cache_objects{kind=\"Pod\"} 0\n"));
    cv_destroy(v);
}

static void no_view_appends_nothing(void **state)
{
    (void)state;
    struct text t = {""};
    view_metrics_provide(NULL, append_text, &t);
    assert_string_equal(t.data, "");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A live view whose API server does not answer: failed calls count under code 0, the caches hold
 * nothing. */
static void live_view_counts_calls_and_cache(void **state)
{
    (void)state;
    struct kube_config cfg = {0};
    cfg.server = strdup("https://127.0.0.1:1");
    cfg.token = strdup("t");
    char err[256] = "";
    struct cluster_view *v = live_view_new(&cfg, err, sizeof(err));
    kube_config_free(&cfg);
    assert_non_null(v);
    struct text t = {""};
    for (int i = 0; i < 100; i++) {
        t.data[0] = '\0';
        view_metrics_provide(v, append_text, &t);
        if (strstr(t.data, "migration_webhook_apiserver_requests_total{code=\"0\"} "))
            break;
        sleep_ms(50);
    }
    assert_non_null(strstr(t.data, "migration_webhook_apiserver_requests_total{code=\"0\"} "));
    assert_non_null(strstr(t.data, "migration_webhook_cache_objects{kind=\"Node\"} 0\n"));
    assert_non_null(strstr(t.data, "migration_webhook_cache_objects{kind=\"KubeVirt\"} 0\n"));
    assert_null(strstr(t.data, "kind=\"Pod\"")); /* on-demand kinds are not cached */
    cv_destroy(v);
}

static void registered_provider_shows_in_the_exposition(void **state)
{
    (void)state;
    cJSON *objs = cJSON_CreateArray();
    cJSON_AddItemToArray(objs, object("Node", NULL, "node-a"));
    struct cluster_view *v = static_view_new(objs);
    assert_non_null(v);
    metrics_init();
    view_metrics_register(v);
    char *text = metrics_render(NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "migration_webhook_cache_objects{kind=\"Node\"} 1\n"));
    free(text);
    metrics_set_provider(NULL, NULL);
    cv_destroy(v);
}

TEST_MAIN(cmocka_unit_test(static_view_counts_every_kind),
          cmocka_unit_test(no_view_appends_nothing),
          cmocka_unit_test(live_view_counts_calls_and_cache),
          cmocka_unit_test(registered_provider_shows_in_the_exposition))
