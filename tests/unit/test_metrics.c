/* Unit tests for server/metrics.c: the exposition a Prometheus scrape reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"

static void provider(void *ctx, metrics_append_fn append, void *buf)
{
    append(buf, (const char *)ctx);
}

static void exposition_has_every_series(void **state)
{
    (void)state;
    metrics_init();
    metrics_record_request("/validate", "virtualmachineinstancemigrations", "CREATE", "denied",
                           0.0003);
    metrics_record_request("/validate", "virtualmachineinstancemigrations", "CREATE", "denied",
                           0.002);
    metrics_record_request("/mutate", "pods", "CREATE", "patched", 12.0);
    metrics_record_rule_hit(RULE_CDROM, MODE_DENY);
    metrics_record_rule_hit(RULE_CDROM, MODE_DENY);
    metrics_in_flight(+1);
    metrics_set_certificate_expiry(1900000000);
    metrics_set_provider(provider, "migration_webhook_cache_objects{kind=\"Node\"} 4\n");
    size_t len = 0;
    char *text = metrics_render(&len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "migration_webhook_requests_total{path=\"/"
                                 "validate\",resource=\"virtualmachineinstancemigrations\","
                                 "operation=\"CREATE\",verdict=\"denied\"} 2\n"));
    assert_non_null(
        strstr(text, "migration_webhook_requests_total{path=\"/"
                     "mutate\",resource=\"pods\",operation=\"CREATE\",verdict=\"patched\"} 1\n"));
    /* 0.3 ms falls in the 0.0005 bucket, 2 ms in 0.0025, 12 s only in +Inf. */
    assert_non_null(
        strstr(text, "migration_webhook_request_duration_seconds_bucket{le=\"0.00025\"} 0\n"));
    assert_non_null(
        strstr(text, "migration_webhook_request_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
    assert_non_null(
        strstr(text, "migration_webhook_request_duration_seconds_bucket{le=\"0.0025\"} 2\n"));
    assert_non_null(
        strstr(text, "migration_webhook_request_duration_seconds_bucket{le=\"5\"} 2\n"));
    assert_non_null(
        strstr(text, "migration_webhook_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "migration_webhook_request_duration_seconds_count 3\n"));
    assert_non_null(
        strstr(text, "migration_webhook_rule_hits_total{rule=\"cdrom\",mode=\"deny\"} 2\n"));
    assert_non_null(strstr(text, "migration_webhook_requests_in_flight 1\n"));
    assert_non_null(
        strstr(text, "migration_webhook_certificate_expiry_timestamp_seconds 1900000000\n"));
    assert_non_null(strstr(text, "migration_webhook_cache_objects{kind=\"Node\"} 4\n"));
    free(text);
    metrics_set_provider(NULL, NULL);
}

static void label_values_are_escaped_and_series_bounded(void **state)
{
    (void)state;
    metrics_init();
    metrics_record_request("/validate", "we\"ird\\", "CREATE", "allowed", 0.001);
    char name[32];
    for (int i = 0; i < MW_METRICS_MAX_SERIES + 50; i++) {
        snprintf(name, sizeof(name), "r%d", i);
        metrics_record_request("/validate", name, "CREATE", "allowed", 0.001);
    }
    char *text = metrics_render(NULL);
    assert_non_null(strstr(text, "resource=\"we\\\"ird\\\\\""));
    assert_non_null(strstr(text, "resource=\"other\""));
    size_t lines = 0;
    for (const char *p = text; (p = strstr(p, "migration_webhook_requests_total{")); p++)
        lines++;
    assert_true(lines <= MW_METRICS_MAX_SERIES);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exposition_has_every_series),
        cmocka_unit_test(label_values_are_escaped_and_series_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
