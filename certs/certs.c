/*
 * certs/certs.c - a private CA and a serving certificate, made with OpenSSL 3.
 *
 * Both keys are ECDSA P-256.  The CA is self-signed with basicConstraints
 * CA:TRUE and keyCertSign; the serving certificate carries the hosts as
 * subjectAltName (DNS or IP), serverAuth, and the CA's key identifier.
 * Everything stays in memory as PEM until certs_write_dir puts it on disk.
 */
#include "certs/certs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_COMMON_NAME "migration-webhook CA"

static void openssl_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char detail[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    snprintf(err, errlen, "%s: %s", what, detail);
}

static EVP_PKEY *new_p256_key(void)
{
    return EVP_EC_gen("P-256");
}

static int set_random_serial(X509 *x)
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        return -1;
    bytes[0] &= 0x7F; /* positive */
    BIGNUM *bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A certificate skeleton: version 3, serial, validity, subject CN, public key. */
static X509 *new_cert(const char *cn, EVP_PKEY *key, int days)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || set_random_serial(x) != 0 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400L) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_pubkey(x, key) != 1) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int is_ip_address(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* "DNS:a,IP:1.2.3.4,..." for X509V3_EXT_conf_nid; caller frees. */
static char *san_value(const char *const *hosts, size_t nhosts)
{
    size_t len = 1;
    for (size_t i = 0; i < nhosts; i++)
        len += strlen(hosts[i]) + 5;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < nhosts; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, is_ip_address(hosts[i]) ? "IP:" : "DNS:");
        strcat(s, hosts[i]);
    }
    return s;
}

static int valid_host(const char *h)
{
    if (!h || !*h || strlen(h) > 253)
        return 0;
    for (const char *p = h; *p; p++)
        if (*p == ',' || *p == ' ' || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return 0;
    return 1;
}

static char *pem_of(int (*write)(BIO *, const void *), const void *obj)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (bio && write(bio, obj) == 1) {
        char *data;
        long n = BIO_get_mem_data(bio, &data);
        out = malloc((size_t)n + 1);
        if (out) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(bio);
    return out;
}

static int write_cert(BIO *b, const void *x)
{
    return PEM_write_bio_X509(b, (X509 *)x);
}

static int write_key(BIO *b, const void *k)
{
    return PEM_write_bio_PrivateKey(b, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

int certs_generate(const char *const *hosts, size_t nhosts, int days, struct certs_bundle *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (nhosts == 0) {
        snprintf(err, errlen, "certificate: at least one host is needed");
        return -1;
    }
    for (size_t i = 0; i < nhosts; i++)
        if (!valid_host(hosts[i])) {
            snprintf(err, errlen, "certificate: \"%s\" is not a host name or IP address",
                     hosts[i] ? hosts[i] : "");
            return -1;
        }
    if (days <= 0) {
        snprintf(err, errlen, "certificate: days must be positive");
        return -1;
    }
    int rc = -1;
    EVP_PKEY *ca_key = new_p256_key(), *key = new_p256_key();
    X509 *ca = NULL, *cert = NULL;
    char *san = san_value(hosts, nhosts);
    if (!ca_key || !key || !san) {
        openssl_error(err, errlen, "generating keys");
        goto done;
    }
    ca = new_cert(CA_COMMON_NAME, ca_key, days);
    if (!ca || X509_set_issuer_name(ca, X509_get_subject_name(ca)) != 1 ||
        add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
        add_ext(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
        add_ext(ca, ca, NID_subject_key_identifier, "hash") != 0 ||
        X509_sign(ca, ca_key, EVP_sha256()) == 0) {
        openssl_error(err, errlen, "making the CA certificate");
        goto done;
    }
    cert = new_cert(hosts[0], key, days);
    if (!cert || X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
        add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") != 0 ||
        add_ext(cert, ca, NID_ext_key_usage, "serverAuth") != 0 ||
        add_ext(cert, ca, NID_subject_key_identifier, "hash") != 0 ||
        add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") != 0 ||
        add_ext(cert, ca, NID_subject_alt_name, san) != 0 ||
        X509_sign(cert, ca_key, EVP_sha256()) == 0) {
        openssl_error(err, errlen, "making the serving certificate");
        goto done;
    }
    out->ca_cert_pem = pem_of(write_cert, ca);
    out->cert_pem = pem_of(write_cert, cert);
    out->key_pem = pem_of(write_key, key);
    if (!out->ca_cert_pem || !out->cert_pem || !out->key_pem) {
        certs_bundle_free(out);
        openssl_error(err, errlen, "writing PEM");
        goto done;
    }
    rc = 0;
done:
    free(san);
    X509_free(ca);
    X509_free(cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    return rc;
}

void certs_bundle_free(struct certs_bundle *b)
{
    free(b->ca_cert_pem);
    free(b->cert_pem);
    if (b->key_pem) {
        OPENSSL_cleanse(b->key_pem, strlen(b->key_pem));
        free(b->key_pem);
    }
    memset(b, 0, sizeof(*b));
}

/* Writes `text` to dir/name with `mode`, replacing what was there. */
static int write_file(const char *dir, const char *name, const char *text, mode_t mode, char *err,
                      size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path); /* a new file gets `mode`, whatever the old one had */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || close(fd) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int certs_write_dir(const struct certs_bundle *b, const char *dir, char *err, size_t errlen)
{
    if (write_file(dir, "ca.crt", b->ca_cert_pem, 0644, err, errlen) != 0 ||
        write_file(dir, "tls.crt", b->cert_pem, 0644, err, errlen) != 0 ||
        write_file(dir, "tls.key", b->key_pem, 0600, err, errlen) != 0)
        return -1;
    return 0;
}
