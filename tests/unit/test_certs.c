/*
 * tests/unit/test_certs.c - certificate generation, checked with OpenSSL (an
 * implementation independent of the GnuTLS that makes them): the serving
 * certificate carries the hosts as DNS and IP SANs, its key is EC P-256 as
 * unencrypted PKCS#8, it verifies against the CA; the CA and the serving
 * certificate have the flags, key usages, key identifiers, subjects, serials
 * and validity `certs create` promises; the files are written with the key
 * private.
 *
 * Built without OpenSSL (its headers are optional), the program says so and
 * exits 77, which ctest reports as skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MW_HAVE_OPENSSL
int main(void)
{
    printf("SKIP: built without OpenSSL: certificates are not cross-checked with a second "
           "implementation\n");
    return 77;
}
#else

#include <cmocka.h>
#include "test_main.h"
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certs/certs.h"
#include "certs/limits.h"

#define DAYS 30

static X509 *parse_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    return x;
}

static struct certs_bundle make(void)
{
    static const char *const hosts[] = {"migration-webhook.kube-system.svc", "localhost",
                                        "127.0.0.1", "::1"};
    struct certs_bundle b;
    char err[256] = "";
    assert_int_equal(certs_generate(hosts, 4, DAYS, &b, err, sizeof(err)), 0);
    return b;
}

/* A generated bundle and its two certificates, parsed: the state of the cases that read them. */
struct generated {
    struct certs_bundle b;
    X509 *ca, *cert;
};

static int generate(void **state)
{
    static struct generated g;
    g.b = make();
    g.ca = parse_cert(g.b.ca_cert_pem);
    g.cert = parse_cert(g.b.cert_pem);
    *state = &g;
    return 0;
}

static int free_generated(void **state)
{
    struct generated *g = *state;
    X509_free(g->cert);
    X509_free(g->ca);
    certs_bundle_free(&g->b);
    return 0;
}

/* The key is an EC key on the P-256 curve. */
static void assert_ec_p256(const EVP_PKEY *key)
{
    assert_true(EVP_PKEY_is_a(key, "EC"));
    char group[64];
    size_t len = 0;
    assert_int_equal(
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len),
        1);
    assert_string_equal(group, "prime256v1");
}

/* Whether the extension `nid` of `x` is marked critical (-1: absent). */
static int ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void sans_hold_every_host(void **state)
{
    const struct generated *g = *state;
    assert_int_equal(X509_check_host(g->cert, "migration-webhook.kube-system.svc", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(g->cert, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(g->cert, "other.example", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(g->cert, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(g->cert, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(g->cert, "10.0.0.1", 0), 0);
    /* An IP address is not written as a DNS name. */
    assert_int_equal(X509_check_host(g->cert, "127.0.0.1", 0, 0, NULL), 0);
}

static void key_is_ec_p256_and_matches_the_certificate(void **state)
{
    const struct generated *g = *state;
    BIO *pem = BIO_new_mem_buf(g->b.key_pem, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(pem, NULL, NULL, NULL);
    BIO_free(pem);
    assert_non_null(key);
    assert_ec_p256(key);
    assert_int_equal(X509_check_private_key(g->cert, key), 1);
    EVP_PKEY_free(key);
}

static void certificate_verifies_against_the_ca(void **state)
{
    const struct generated *g = *state;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, g->ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, g->cert, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    assert_int_equal(X509_verify_cert(ctx), 1);
    assert_int_equal(X509_check_ca(g->ca), 1);
    assert_int_equal(X509_check_ca(g->cert), 0);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
}

static void ca_signs_certificates_and_the_serving_certificate_serves(void **state)
{
    const struct generated *g = *state;

    assert_true(X509_get_extension_flags(g->ca) & EXFLAG_CA);
    assert_int_equal(X509_get_pathlen(g->ca), -1); /* no path length limit */
    assert_int_equal(ext_critical(g->ca, NID_basic_constraints), 1);
    assert_int_equal(X509_get_key_usage(g->ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    assert_int_equal(ext_critical(g->ca, NID_key_usage), 1);
    assert_int_equal(ext_critical(g->ca, NID_ext_key_usage), -1);
    assert_int_equal(ext_critical(g->ca, NID_subject_alt_name), -1);

    assert_false(X509_get_extension_flags(g->cert) & EXFLAG_CA);
    assert_int_equal(ext_critical(g->cert, NID_basic_constraints), 1);
    assert_int_equal(X509_get_key_usage(g->cert), KU_DIGITAL_SIGNATURE);
    assert_int_equal(ext_critical(g->cert, NID_key_usage), 1);
    assert_int_equal(X509_get_extended_key_usage(g->cert), XKU_SSL_SERVER);
    assert_int_equal(ext_critical(g->cert, NID_ext_key_usage), 0);
    assert_int_equal(ext_critical(g->cert, NID_subject_alt_name), 0);
}

/* The subject key identifier is the SHA-1 of the public key bits (RFC 5280 method 1). */
static void assert_key_id_is_sha1_of_the_key(X509 *x)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
    assert_non_null(ski);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
    assert_int_equal(ASN1_STRING_length(ski), mdlen);
    assert_memory_equal(ASN1_STRING_get0_data(ski), md, mdlen);
}

static void key_identifiers_link_the_certificate_to_its_ca(void **state)
{
    const struct generated *g = *state;
    assert_key_id_is_sha1_of_the_key(g->ca);
    assert_key_id_is_sha1_of_the_key(g->cert);
    assert_int_equal(ext_critical(g->ca, NID_subject_key_identifier), 0);
    assert_int_equal(ext_critical(g->cert, NID_subject_key_identifier), 0);

    assert_null(X509_get0_authority_key_id(g->ca));
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(g->cert);
    assert_non_null(aki);
    assert_int_equal(ASN1_STRING_cmp(aki, X509_get0_subject_key_id(g->ca)), 0);
    assert_null(X509_get0_authority_issuer(g->cert)); /* the key id alone */
    assert_null(X509_get0_authority_serial(g->cert));
    assert_int_equal(ext_critical(g->cert, NID_authority_key_identifier), 0);
}

/* The CN of `name` as a UTF8String, copied into buf. */
static void common_name(const X509_NAME *name, char *buf, size_t len)
{
    assert_int_equal(X509_NAME_entry_count(name), 1);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    assert_true(i >= 0);
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    assert_int_equal(ASN1_STRING_type(s), V_ASN1_UTF8STRING);
    assert_true((size_t)ASN1_STRING_length(s) < len);
    memcpy(buf, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
    buf[ASN1_STRING_length(s)] = '\0';
}

/* A positive serial of at most 16 bytes; its decimal text into buf. */
static void assert_random_serial(X509 *x, char *buf, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    assert_non_null(bn);
    assert_false(BN_is_negative(bn));
    assert_false(BN_is_zero(bn));
    assert_true(BN_num_bytes(bn) <= 16);
    char *dec = BN_bn2dec(bn);
    snprintf(buf, len, "%s", dec);
    OPENSSL_free(dec);
    BN_free(bn);
}

/* Valid from an hour back (clock skew) to `days` days on. */
static void assert_validity(X509 *x, int days)
{
    int pday = 0, psec = 0;
    assert_int_equal(ASN1_TIME_diff(&pday, &psec, X509_get0_notBefore(x), X509_get0_notAfter(x)),
                     1);
    assert_int_equal(pday * 86400 + psec, days * 86400 + 3600);
    assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
    assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
}

static void subjects_serials_and_validity(void **state)
{
    const struct generated *g = *state;
    char cn[128], ca_serial[64], serial[64];

    common_name(X509_get_subject_name(g->ca), cn, sizeof(cn));
    assert_string_equal(cn, "migration-webhook CA");
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(g->ca), X509_get_subject_name(g->ca)), 0);
    common_name(X509_get_subject_name(g->cert), cn, sizeof(cn));
    assert_string_equal(cn, "migration-webhook.kube-system.svc");
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(g->cert), X509_get_subject_name(g->ca)), 0);

    assert_int_equal(X509_get_version(g->ca), X509_VERSION_3);
    assert_int_equal(X509_get_version(g->cert), X509_VERSION_3);
    assert_int_equal(X509_get_signature_nid(g->ca), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_get_signature_nid(g->cert), NID_ecdsa_with_SHA256);
    assert_random_serial(g->ca, ca_serial, sizeof(ca_serial));
    assert_random_serial(g->cert, serial, sizeof(serial));
    assert_string_not_equal(ca_serial, serial);
    assert_validity(g->ca, DAYS);
    assert_validity(g->cert, DAYS);

    assert_ec_p256(X509_get0_pubkey(g->ca));
}

static void key_is_unencrypted_pkcs8_pem(void **state)
{
    const struct generated *g = *state;
    const char head[] = "-----BEGIN PRIVATE KEY-----\n";
    const char tail[] = "-----END PRIVATE KEY-----\n";
    assert_memory_equal(g->b.key_pem, head, strlen(head));
    size_t n = strlen(g->b.key_pem);
    assert_true(n > strlen(tail));
    assert_string_equal(g->b.key_pem + n - strlen(tail), tail);
    assert_memory_equal(g->b.ca_cert_pem, "-----BEGIN CERTIFICATE-----\n", 28);
    assert_memory_equal(g->b.cert_pem, "-----BEGIN CERTIFICATE-----\n", 28);
}

static void the_first_host_must_fit_the_common_name(void **state)
{
    (void)state;
    struct certs_bundle b;
    char err[512], longest[MW_CERT_MAX_CN_BYTES + 2];
    memset(longest, 'a', MW_CERT_MAX_CN_BYTES);
    longest[MW_CERT_MAX_CN_BYTES] = '\0';
    const char *fits[] = {longest};
    assert_int_equal(certs_generate(fits, 1, DAYS, &b, err, sizeof(err)), 0);
    certs_bundle_free(&b);

    strcat(longest, "a");
    const char *too_long[] = {longest, "localhost"};
    assert_int_equal(certs_generate(too_long, 2, DAYS, &b, err, sizeof(err)), -1);
    char want[512];
    snprintf(want, sizeof(want),
             "certificate: the first host \"%s\" is the subject CN, which holds at most 64 "
             "characters (list a shorter name first)",
             longest);
    assert_string_equal(err, want);

    /* The same name further down the list is only a SAN. */
    const char *second[] = {"localhost", longest};
    assert_int_equal(certs_generate(second, 2, DAYS, &b, err, sizeof(err)), 0);
    X509 *cert = parse_cert(b.cert_pem);
    assert_int_equal(X509_check_host(cert, longest, 0, 0, NULL), 1);
    X509_free(cert);
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
    const struct generated *g = *state;
    char dir[] = "/tmp/mw-certs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[256] = "";
    assert_int_equal(certs_write_dir(&g->b, dir, err, sizeof(err)), 0);
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
    assert_int_equal(certs_write_dir(&g->b, "/nonexistent-dir", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/ca.crt"));
}

TEST_MAIN(cmocka_unit_test_setup_teardown(sans_hold_every_host, generate, free_generated),
          cmocka_unit_test_setup_teardown(key_is_ec_p256_and_matches_the_certificate, generate,
                                          free_generated),
          cmocka_unit_test_setup_teardown(certificate_verifies_against_the_ca, generate,
                                          free_generated),
          cmocka_unit_test_setup_teardown(ca_signs_certificates_and_the_serving_certificate_serves,
                                          generate, free_generated),
          cmocka_unit_test_setup_teardown(key_identifiers_link_the_certificate_to_its_ca, generate,
                                          free_generated),
          cmocka_unit_test_setup_teardown(subjects_serials_and_validity, generate, free_generated),
          cmocka_unit_test_setup_teardown(key_is_unencrypted_pkcs8_pem, generate, free_generated),
          cmocka_unit_test(the_first_host_must_fit_the_common_name),
          cmocka_unit_test(each_generation_has_its_own_ca),
          cmocka_unit_test(bad_hosts_and_days_are_refused),
          cmocka_unit_test_setup_teardown(files_are_written_with_a_private_key, generate,
                                          free_generated))

#endif /* MW_HAVE_OPENSSL */
