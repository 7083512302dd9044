/*
 * tests/unit/test_certs.c - certificate generation: the serving certificate
 * carries the hosts as DNS and IP SANs, its key is EC P-256, it verifies
 * against the CA, and the files are written with the key private.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certs/certs.h"

static X509 *parse_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *parse_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(k);
    return k;
}

static struct certs_bundle make(void)
{
    static const char *const hosts[] = {"migration-webhook.kube-system.svc", "localhost",
                                        "127.0.0.1", "::1"};
    struct certs_bundle b;
    char err[256] = "";
    assert_int_equal(certs_generate(hosts, 4, 30, &b, err, sizeof(err)), 0);
    return b;
}

static void sans_hold_every_host(void **state)
{
    (void)state;
    struct certs_bundle b = make();
    X509 *cert = parse_cert(b.cert_pem);
    assert_int_equal(X509_check_host(cert, "migration-webhook.kube-system.svc", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(cert, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(cert, "other.example", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(cert, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(cert, "10.0.0.1", 0), 0);
    /* An IP address is not written as a DNS name. */
    assert_int_equal(X509_check_host(cert, "127.0.0.1", 0, 0, NULL), 0);
    X509_free(cert);
    certs_bundle_free(&b);
}

static void key_is_ec_p256_and_matches_the_certificate(void **state)
{
    (void)state;
    struct certs_bundle b = make();
    EVP_PKEY *key = parse_key(b.key_pem);
    assert_true(EVP_PKEY_is_a(key, "EC"));
    char group[64];
    size_t len = 0;
    assert_int_equal(
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len),
        1);
    assert_string_equal(group, "prime256v1");
    X509 *cert = parse_cert(b.cert_pem);
    assert_int_equal(X509_check_private_key(cert, key), 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    certs_bundle_free(&b);
}

static void certificate_verifies_against_the_ca(void **state)
{
    (void)state;
    struct certs_bundle b = make();
    X509 *ca = parse_cert(b.ca_cert_pem);
    X509 *cert = parse_cert(b.cert_pem);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    assert_int_equal(X509_verify_cert(ctx), 1);
    assert_int_equal(X509_check_ca(ca), 1);
    assert_int_equal(X509_check_ca(cert), 0);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(cert);
    X509_free(ca);
    certs_bundle_free(&b);
}

static void each_generation_has_its_own_ca(void **state)
{
    (void)state;
    struct certs_bundle a = make(), b = make();
    assert_string_not_equal(a.ca_cert_pem, b.ca_cert_pem);
    certs_bundle_free(&a);
    certs_bundle_free(&b);
}

static void bad_hosts_and_days_are_refused(void **state)
{
    (void)state;
    struct certs_bundle b;
    char err[256];
    static const char *const empty[] = {""};
    static const char *const spaced[] = {"a b"};
    static const char *const ok[] = {"localhost"};
    assert_int_equal(certs_generate(empty, 1, 30, &b, err, sizeof(err)), -1);
    assert_string_equal(err, "certificate: \"\" is not a host name or IP address");
    assert_int_equal(certs_generate(spaced, 1, 30, &b, err, sizeof(err)), -1);
    assert_int_equal(certs_generate(ok, 0, 30, &b, err, sizeof(err)), -1);
    assert_string_equal(err, "certificate: at least one host is needed");
    assert_int_equal(certs_generate(ok, 1, 0, &b, err, sizeof(err)), -1);
    assert_string_equal(err, "certificate: days must be positive");
}

static void files_are_written_with_a_private_key(void **state)
{
    (void)state;
    char dir[] = "/tmp/mw-certs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct certs_bundle b = make();
    char err[256] = "";
    assert_int_equal(certs_write_dir(&b, dir, err, sizeof(err)), 0);
    const char *names[] = {"ca.crt", "tls.crt", "tls.key"};
    const unsigned modes[] = {0644, 0644, 0600};
    for (int i = 0; i < 3; i++) {
        char path[512];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, modes[i]);
        unlink(path);
    }
    rmdir(dir);
    assert_int_equal(certs_write_dir(&b, "/nonexistent-dir", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/ca.crt"));
    certs_bundle_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sans_hold_every_host),
        cmocka_unit_test(key_is_ec_p256_and_matches_the_certificate),
        cmocka_unit_test(certificate_verifies_against_the_ca),
        cmocka_unit_test(each_generation_has_its_own_ca),
        cmocka_unit_test(bad_hosts_and_days_are_refused),
        cmocka_unit_test(files_are_written_with_a_private_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
