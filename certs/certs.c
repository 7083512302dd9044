/*
 * certs/certs.c - a private CA and a serving certificate, made with GnuTLS
 * (the TLS library the server already carries: one crypto stack in the
 * process).
 *
 * Both keys are ECDSA P-256, both certificates X.509 v3 with a random
 * positive 128-bit serial, valid from an hour ago (clock skew) for `days`
 * days, signed with ECDSA-SHA256.  The CA ("migration-webhook CA") is
 * self-signed with basicConstraints CA:TRUE and keyCertSign + cRLSign (both
 * critical) and a subject key identifier; the serving certificate (CN = the
 * first host) carries CA:FALSE and digitalSignature (critical), serverAuth,
 * its own subject key identifier, the CA's as authority key identifier, and
 * the hosts as subjectAltName (DNS, or IP for an address).  Key identifiers
 * are the SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1), as
 * `openssl x509` makes them.  Everything stays in memory as PEM (the key as
 * unencrypted PKCS#8) until certs_write_dir puts it on disk.
 */
#include "certs/certs.h"
#include "certs/datum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certs/limits.h"

#define CA_COMMON_NAME "migration-webhook CA"
#define SERIAL_BYTES 16
#define KEY_ID_BYTES 20       /* SHA-1 */
#define P256_COORD_BYTES 32   /* one coordinate of a P-256 point */
#define BACKDATE_SECONDS 3600 /* notBefore: an hour back, for clocks that lag */
#define SECONDS_PER_DAY 86400

/* One key pair with the certificate being made for it. */
struct keyed_cert {
    gnutls_x509_privkey_t key;
    gnutls_privkey_t signer; /* the same key, for signing */
    gnutls_x509_crt_t crt;
    unsigned char key_id[KEY_ID_BYTES];
};

static void gnutls_error(char *err, size_t errlen, const char *what, int ret)
{
    snprintf(err, errlen, "%s: %s", what, gnutls_strerror(ret));
}

/* Writes the big-endian integer `v` right-aligned into `width` bytes, zeros in front. */
static int put_right_aligned(unsigned char *dst, size_t width, const gnutls_datum_t *v)
{
    if (v->size > width)
        return -1;
    memset(dst, 0, width - v->size);
    memcpy(dst + width - v->size, v->data, v->size);
    return 0;
}

/* SHA-1 of the public key bits, the uncompressed point 04 || X || Y. */
static int compute_key_id(gnutls_privkey_t signer, unsigned char id[KEY_ID_BYTES])
{
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
    gnutls_ecc_curve_t curve;
    unsigned char point[1 + 2 * P256_COORD_BYTES];
    int ret = gnutls_pubkey_init(&pub);
    if (ret >= 0)
        ret = gnutls_pubkey_import_privkey(pub, signer, 0, 0);
    if (ret >= 0)
        ret = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, GNUTLS_EXPORT_FLAG_NO_LZ);
    if (ret >= 0) {
        point[0] = 0x04;
        if (curve != GNUTLS_ECC_CURVE_SECP256R1 ||
            put_right_aligned(point + 1, P256_COORD_BYTES, &x) != 0 ||
            put_right_aligned(point + 1 + P256_COORD_BYTES, P256_COORD_BYTES, &y) != 0)
            ret = GNUTLS_E_ILLEGAL_PARAMETER;
    }
    if (ret >= 0)
        ret = gnutls_hash_fast(GNUTLS_DIG_SHA1, point, sizeof(point), id);
    gnutls_free(x.data);
    gnutls_free(y.data);
    gnutls_pubkey_deinit(pub);
    return ret;
}

/* A new P-256 key pair in `kc`, with its key identifier. */
static int generate_p256_key(struct keyed_cert *kc)
{
    int ret = gnutls_x509_privkey_init(&kc->key);
    if (ret >= 0)
        ret = gnutls_x509_privkey_generate(kc->key, GNUTLS_PK_ECDSA,
                                           GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (ret >= 0)
        ret = gnutls_privkey_init(&kc->signer);
    if (ret >= 0)
        ret = gnutls_privkey_import_x509(kc->signer, kc->key, 0);
    if (ret >= 0)
        ret = compute_key_id(kc->signer, kc->key_id);
    return ret;
}

static void keyed_cert_free(struct keyed_cert *kc)
{
    if (kc->crt)
        gnutls_x509_crt_deinit(kc->crt);
    if (kc->signer)
        gnutls_privkey_deinit(kc->signer);
    if (kc->key)
        gnutls_x509_privkey_deinit(kc->key);
    memset(kc, 0, sizeof(*kc));
}

/* 16 random bytes, top bit clear (positive), leading zero bytes dropped (DER minimal). */
static int set_random_serial(gnutls_x509_crt_t crt)
{
    unsigned char bytes[SERIAL_BYTES];
    size_t start;
    do {
        int ret = gnutls_rnd(GNUTLS_RND_RANDOM, bytes, sizeof(bytes));
        if (ret < 0)
            return ret;
        bytes[0] &= 0x7F;
        start = 0;
        while (start + 1 < sizeof(bytes) && bytes[start] == 0 && !(bytes[start + 1] & 0x80))
            start++;
    } while (start + 1 == sizeof(bytes) && bytes[start] == 0); /* zero is not a serial */
    return gnutls_x509_crt_set_serial(crt, bytes + start, sizeof(bytes) - start);
}

/* Sets the subject CN as a UTF8String (GnuTLS alone would pick PrintableString when it can). */
static int set_common_name(gnutls_x509_crt_t crt, const char *cn)
{
    unsigned char der[2 + MW_CERT_MAX_CN_BYTES];
    size_t len = strlen(cn);
    if (len > MW_CERT_MAX_CN_BYTES)
        return GNUTLS_E_ILLEGAL_PARAMETER;
    der[0] = 0x0C; /* UTF8String, short-form length (< 128) */
    der[1] = (unsigned char)len;
    memcpy(der + 2, cn, len);
    return gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 1, der,
                                         (unsigned)(2 + len));
}

/* A certificate skeleton for `kc`: version 3, serial, validity, subject CN, public key. */
static int start_cert(struct keyed_cert *kc, const char *cn, int days)
{
    time_t now = time(NULL);
    int ret = gnutls_x509_crt_init(&kc->crt);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_version(kc->crt, 3);
    if (ret >= 0)
        ret = set_random_serial(kc->crt);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_activation_time(kc->crt, now - BACKDATE_SECONDS);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_expiration_time(kc->crt, now + (time_t)days * SECONDS_PER_DAY);
    if (ret >= 0)
        ret = set_common_name(kc->crt, cn);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_key(kc->crt, kc->key);
    return ret;
}

static int is_ip_address(const char *host, unsigned char *addr, size_t *len)
{
    if (inet_pton(AF_INET, host, addr) == 1) {
        *len = 4;
        return 1;
    }
    if (inet_pton(AF_INET6, host, addr) == 1) {
        *len = 16;
        return 1;
    }
    return 0;
}

/* subjectAltName: each host as an IP address when it parses as one, else as a DNS name. */
static int add_host_sans(gnutls_x509_crt_t crt, const char *const *hosts, size_t nhosts)
{
    int ret = 0;
    for (size_t i = 0; i < nhosts && ret >= 0; i++) {
        unsigned char addr[sizeof(struct in6_addr)];
        size_t len;
        if (is_ip_address(hosts[i], addr, &len))
            ret = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr,
                                                       (unsigned)len, GNUTLS_FSAN_APPEND);
        else
            ret = gnutls_x509_crt_set_subject_alt_name(
                crt, GNUTLS_SAN_DNSNAME, hosts[i], (unsigned)strlen(hosts[i]), GNUTLS_FSAN_APPEND);
    }
    return ret;
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

/* The self-signed CA.  GnuTLS marks basicConstraints and keyUsage critical. */
static int make_ca(struct keyed_cert *ca, int days)
{
    int ret = start_cert(ca, CA_COMMON_NAME, days);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1);
    if (ret >= 0)
        ret =
            gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_subject_key_id(ca->crt, ca->key_id, KEY_ID_BYTES);
    if (ret >= 0)
        ret = gnutls_x509_crt_privkey_sign(ca->crt, ca->crt, ca->signer, GNUTLS_DIG_SHA256, 0);
    return ret;
}

/* The serving certificate for the hosts, signed by `ca` (which also gives its issuer name). */
static int make_serving_cert(struct keyed_cert *leaf, const struct keyed_cert *ca,
                             const char *const *hosts, size_t nhosts, int days)
{
    int ret = start_cert(leaf, hosts[0], days);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_basic_constraints(leaf->crt, 0, -1);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_key_usage(leaf->crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_key_purpose_oid(leaf->crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_subject_key_id(leaf->crt, leaf->key_id, KEY_ID_BYTES);
    if (ret >= 0)
        ret = gnutls_x509_crt_set_authority_key_id(leaf->crt, ca->key_id, KEY_ID_BYTES);
    if (ret >= 0)
        ret = add_host_sans(leaf->crt, hosts, nhosts);
    if (ret >= 0)
        ret = gnutls_x509_crt_privkey_sign(leaf->crt, ca->crt, ca->signer, GNUTLS_DIG_SHA256, 0);
    return ret;
}

static int cert_pem(gnutls_x509_crt_t crt, char **out)
{
    gnutls_datum_t d = {NULL, 0};
    int ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);
    if (ret >= 0 && !(*out = string_of_datum(&d)))
        ret = GNUTLS_E_MEMORY_ERROR;
    gnutls_free(d.data);
    return ret;
}

/* The private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
static int key_pem(gnutls_x509_privkey_t key, char **out)
{
    gnutls_datum_t d = {NULL, 0};
    int ret =
        gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &d);
    if (ret >= 0 && !(*out = string_of_datum(&d)))
        ret = GNUTLS_E_MEMORY_ERROR;
    if (d.data) {
        gnutls_memset(d.data, 0, d.size);
        gnutls_free(d.data);
    }
    return ret;
}

static int check_request(const char *const *hosts, size_t nhosts, int days, char *err,
                         size_t errlen)
{
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
    if (strlen(hosts[0]) > MW_CERT_MAX_CN_BYTES) {
        snprintf(err, errlen,
                 "certificate: the first host \"%s\" is the subject CN, which holds at most %d "
                 "characters (list a shorter name first)",
                 hosts[0], MW_CERT_MAX_CN_BYTES);
        return -1;
    }
    if (days <= 0) {
        snprintf(err, errlen, "certificate: days must be positive");
        return -1;
    }
    return 0;
}

int certs_generate(const char *const *hosts, size_t nhosts, int days, struct certs_bundle *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (check_request(hosts, nhosts, days, err, errlen) != 0)
        return -1;
    int rc = -1, ret;
    struct keyed_cert ca = {0}, leaf = {0};
    if ((ret = generate_p256_key(&ca)) < 0 || (ret = generate_p256_key(&leaf)) < 0) {
        gnutls_error(err, errlen, "generating keys", ret);
        goto done;
    }
    if ((ret = make_ca(&ca, days)) < 0) {
        gnutls_error(err, errlen, "making the CA certificate", ret);
        goto done;
    }
    if ((ret = make_serving_cert(&leaf, &ca, hosts, nhosts, days)) < 0) {
        gnutls_error(err, errlen, "making the serving certificate", ret);
        goto done;
    }
    if ((ret = cert_pem(ca.crt, &out->ca_cert_pem)) < 0 ||
        (ret = cert_pem(leaf.crt, &out->cert_pem)) < 0 ||
        (ret = key_pem(leaf.key, &out->key_pem)) < 0) {
        certs_bundle_free(out);
        gnutls_error(err, errlen, "writing PEM", ret);
        goto done;
    }
    rc = 0;
done:
    keyed_cert_free(&ca);
    keyed_cert_free(&leaf);
    return rc;
}

void certs_bundle_free(struct certs_bundle *b)
{
    free(b->ca_cert_pem);
    free(b->cert_pem);
    if (b->key_pem) {
        gnutls_memset(b->key_pem, 0, strlen(b->key_pem));
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
