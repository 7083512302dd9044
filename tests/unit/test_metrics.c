/* Unit tests for server/metrics.c: the exposition a Prometheus scrape reads; labels from a closed
 * set; build info and the process series. */
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
    assert_non_null(strstr(text,
                           "migration_webhook_requests_total{path=\"/"
                           "validate\",resource=\"virtualmachineinstancemigrations\","
                           "operation=\"CREATE\",verdict=\"denied\",webhook=\"/validate\"} 2\n"));
    assert_non_null(strstr(text,
                           "migration_webhook_requests_total{path=\"/"
                           "mutate\",resource=\"pods\",operation=\"CREATE\",verdict=\"patched\","
                           "webhook=\"/mutate\"} 1\n"));
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

/* Occurrences of `needle` in `text`. */
static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Every byte sequence of `text` is well-formed UTF-8 (no overlong forms, no surrogates). */
static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        if (*s < 0x80) {
            s++;
            continue;
        }
        int len = *s >= 0xF0 && *s <= 0xF4 ? 4 : *s >= 0xE0 ? 3 : *s >= 0xC2 && *s < 0xE0 ? 2 : 0;
        if (!len)
            return 0;
        for (int i = 1; i < len; i++)
            if ((s[i] & 0xC0) != 0x80)
                return 0;
        s += len;
    }
    return 1;
}

static void labels_come_from_a_closed_set(void **state)
{
    (void)state;
    metrics_init();
    /* A UTF-8 operation cut at 15 bytes would split the third character. */
    metrics_record_request("/validate", "virtualmachineinstancemigrations", "CRÉATÉÉÉÉÉÉÉÉÉ",
                           "allowed", 0.001);
    metrics_record_request("/validate", "we\"ird\\\n", "CREATE", "allowed", 0.001);
    metrics_record_request("/validate", "virtualmachineinstancemigrations", "\xff\xfe", "denied",
                           0.001);
    char op[32];
    for (int i = 0; i < 300; i++) {
        snprintf(op, sizeof(op), "OP%d", i);
        metrics_record_request("/validate", "virtualmachineinstancemigrations", op, "allowed",
                               0.001);
    }
    for (int i = 0; i < 7; i++)
        metrics_record_request("/validate", "virtualmachineinstancemigrations", "CREATE", "denied",
                               0.001);
    metrics_record_request("/mutate", "pods", "CREATE", "patched", 0.001);
    metrics_record_request("/elsewhere", "pods", "CREATE", "made-up", 0.001);
    metrics_record_request("/validate", NULL, NULL, "error", 0.001);

    char *text = metrics_render(NULL);
    assert_non_null(text);
    assert_true(valid_utf8((const unsigned char *)text));
    /* The real traffic is counted under its own labels, whatever came before it. */
    assert_non_null(strstr(text, "migration_webhook_requests_total{path=\"/validate\",resource="
                                 "\"virtualmachineinstancemigrations\",operation=\"CREATE\","
                                 "verdict=\"denied\",webhook=\"/validate\"} 7\n"));
    assert_non_null(strstr(text, "migration_webhook_requests_total{path=\"/mutate\",resource="
                                 "\"pods\",operation=\"CREATE\",verdict=\"patched\","
                                 "webhook=\"/mutate\"} 1\n"));
    /* The UTF-8 one and the 300 made-up operations are one "other" series. */
    assert_non_null(strstr(text, "migration_webhook_requests_total{path=\"/validate\",resource="
                                 "\"virtualmachineinstancemigrations\",operation=\"other\","
                                 "verdict=\"allowed\",webhook=\"/validate\"} 301\n"));
    assert_non_null(
        strstr(text, "operation=\"other\",verdict=\"denied\",webhook=\"/validate\"} 1\n"));
    assert_non_null(strstr(text, "{path=\"/validate\",resource=\"other\",operation=\"CREATE\","
                                 "verdict=\"allowed\",webhook=\"/validate\"} 1\n"));
    assert_non_null(strstr(text, "{path=\"other\",resource=\"pods\",operation=\"CREATE\","
                                 "verdict=\"other\",webhook=\"other\"} 1\n"));
    assert_non_null(strstr(text, "{path=\"/validate\",resource=\"\",operation=\"\","
                                 "verdict=\"error\",webhook=\"/validate\"} 1\n"));
    assert_null(strstr(text, "OP1"));
    assert_null(strstr(text, "ird"));
    assert_int_equal(count_of(text, "migration_webhook_requests_total{"), 7);
    free(text);

    const char *name = NULL;
    assert_int_equal(metrics_label_of(METRICS_LABEL_OPERATION, "UPDATE", &name), 2);
    assert_string_equal(name, "UPDATE");
    metrics_label_of(METRICS_LABEL_OPERATION, "update", &name);
    assert_string_equal(name, "other");
    metrics_label_of(METRICS_LABEL_RESOURCE, "", &name);
    assert_string_equal(name, "");
}

static void build_info_and_process_series(void **state)
{
    (void)state;
    metrics_init();
    char *text = metrics_render(NULL);
    assert_non_null(text);
    char want[128];
    snprintf(want, sizeof(want), "\nmigration_webhook_build_info{version=\"%s\",revision=\"",
             MW_VERSION);
    const char *bi = strstr(text, want);
    assert_non_null(bi);
    const char *rev = bi + strlen(want);
    assert_true(strchr(rev, '"') > rev); /* a revision, never empty */
    assert_non_null(strstr(rev, "\"} 1\n"));
    static const char *const names[] = {
        "process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds",
        "process_open_fds", "process_max_fds"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char line[96];
        snprintf(line, sizeof(line), "\n# TYPE %s ", names[i]);
        assert_non_null(strstr(text, line));
        snprintf(line, sizeof(line), "\n%s ", names[i]);
        assert_non_null(strstr(text, line));
    }
    struct metrics_process pm;
    assert_int_equal(metrics_read_process("/proc/self", &pm), 0);
    /* A test process: started within the last hour, some MiB resident, a few descriptors. */
    assert_true(pm.start_time_seconds > (double)time(NULL) - 3600);
    assert_true(pm.start_time_seconds <= (double)time(NULL) + 1);
    assert_true(pm.resident_bytes > 1 << 20);
    assert_true(pm.open_fds >= 3);
    long before = pm.open_fds;
    FILE *f = fopen("/proc/self/stat", "r");
    assert_non_null(f);
    assert_int_equal(metrics_read_process("/proc/self", &pm), 0);
    assert_int_equal(pm.open_fds, before + 1);
    fclose(f);
    assert_true(pm.max_fds >= 64 || pm.max_fds == -1);
    assert_int_equal(metrics_read_process("/proc/no-such-process", &pm), -1);
    free(text);
}

TEST_MAIN(cmocka_unit_test(exposition_has_every_series),
          cmocka_unit_test(labels_come_from_a_closed_set),
          cmocka_unit_test(build_info_and_process_series))
