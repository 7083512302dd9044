/*
 * Unit tests for server/tls.c: a rotated Secret (the ..data symlink swapped)
 * wakes the watch descriptor and is taken into use; a pair whose key does not
 * fit is refused once and the old pair keeps serving.  Also the log clamp of
 * server/http.c, which keeps request-supplied values short.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/certs.h"
#include "server/http.h"
#include "server/tls.h"

struct secret_dir {
    char root[256];
    int version;
};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A new ..vN directory with the pair, then ..data swapped to it atomically. */
static void publish(struct secret_dir *d, const char *cert, const char *key)
{
    char dir[512], path[600], link_tmp[600], link[600], target[64];
    d->version++;
    snprintf(target, sizeof(target), "..v%d", d->version);
    snprintf(dir, sizeof(dir), "%s/%s", d->root, target);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/tls.crt", dir);
    write_text(path, cert);
    snprintf(path, sizeof(path), "%s/tls.key", dir);
    write_text(path, key);
    snprintf(link_tmp, sizeof(link_tmp), "%s/..data_tmp", d->root);
    snprintf(link, sizeof(link), "%s/..data", d->root);
    assert_int_equal(symlink(target, link_tmp), 0);
    assert_int_equal(rename(link_tmp, link), 0);
}

static void make_pair(int days, struct certs_bundle *b)
{
    static const char *const hosts[] = {"localhost"};
    char err[256];
    assert_int_equal(certs_generate(hosts, 1, days, b, err, sizeof(err)), 0);
}

static int readable_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

static void symlink_swap_is_seen_and_taken(void **state)
{
    (void)state;
    struct secret_dir d = {.version = 0};
    snprintf(d.root, sizeof(d.root), "/tmp/mw-tls-XXXXXX");
    assert_non_null(mkdtemp(d.root));
    struct certs_bundle a, b, c;
    make_pair(10, &a);
    make_pair(20, &b);
    make_pair(30, &c);
    publish(&d, a.cert_pem, a.key_pem);
    char crt[600], key[600], err[512] = "";
    snprintf(crt, sizeof(crt), "%s/tls.crt", d.root);
    snprintf(key, sizeof(key), "%s/tls.key", d.root);
    assert_int_equal(symlink("..data/tls.crt", crt), 0);
    assert_int_equal(symlink("..data/tls.key", key), 0);

    struct tls_store *s = tls_store_new(a.cert_pem, a.key_pem, crt, key, err, sizeof(err));
    assert_non_null(s);
    long long first = tls_store_expiry(s);
    int fd = tls_store_watch_fd(s);
    assert_true(fd >= 0);
    assert_false(readable_within(fd, 0));
    assert_int_equal(tls_store_reload_if_changed(s, err, sizeof(err)), 0);

    /* Another file in the directory (a log, say) wakes the watch but does not count. */
    char other[640];
    snprintf(other, sizeof(other), "%s/server.log", d.root);
    FILE *log = fopen(other, "w");
    assert_non_null(log);
    fputs("a log line\n", log);
    fclose(log);
    assert_true(readable_within(fd, 2000));
    assert_int_equal(tls_store_watch_consume(s), 0);

    publish(&d, b.cert_pem, b.key_pem);
    assert_true(readable_within(fd, 2000));
    assert_int_equal(tls_store_watch_consume(s), 1);
    assert_false(readable_within(fd, 0));
    assert_int_equal(tls_store_reload_if_changed(s, err, sizeof(err)), 1);
    long long second = tls_store_expiry(s);
    assert_true(second > first + 5 * 86400);

    /* A key that belongs to another certificate: refused once, old pair kept. */
    publish(&d, c.cert_pem, a.key_pem);
    assert_true(readable_within(fd, 2000));
    assert_int_equal(tls_store_watch_consume(s), 1);
    err[0] = '\0';
    assert_int_equal(tls_store_reload_if_changed(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "do not belong together"));
    assert_int_equal(tls_store_reload_if_changed(s, err, sizeof(err)), 0);
    assert_true(tls_store_expiry(s) == second);

    publish(&d, c.cert_pem, c.key_pem);
    assert_int_equal(tls_store_reload_if_changed(s, err, sizeof(err)), 1);
    assert_true(tls_store_expiry(s) > second + 5 * 86400);

    tls_store_free(s);
    certs_bundle_free(&a);
    certs_bundle_free(&b);
    certs_bundle_free(&c);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d.root);
    assert_int_equal(system(cmd), 0);
}

static void garbage_is_refused_at_start(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(tls_store_new("not a certificate", "not a key", NULL, NULL, err, sizeof(err)));
    assert_true(err[0] != '\0');
}

static void log_values_are_clamped_on_a_character_boundary(void **state)
{
    (void)state;
    char buf[8];
    assert_null(http_clamp_for_log(buf, sizeof(buf), NULL));
    assert_string_equal(http_clamp_for_log(buf, sizeof(buf), "short"), "short");
    assert_string_equal(http_clamp_for_log(buf, sizeof(buf), "1234567"), "1234567");
    assert_string_equal(http_clamp_for_log(buf, sizeof(buf), "12345678"), "1234...");
    /* "é" is two bytes: never cut in the middle. */
    assert_string_equal(http_clamp_for_log(buf, sizeof(buf), "123\xc3\xa9xyz"), "123...");
    char big[300];
    memset(big, 'n', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char out[256];
    assert_int_equal(strlen(http_clamp_for_log(out, sizeof(out), big)), sizeof(out) - 1);
}

TEST_MAIN(cmocka_unit_test(symlink_swap_is_seen_and_taken),
          cmocka_unit_test(garbage_is_refused_at_start),
          cmocka_unit_test(log_values_are_clamped_on_a_character_boundary))
