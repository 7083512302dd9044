/*
 * certs/certs.h - certificate generation with GnuTLS: a private CA and a
 * serving certificate signed by it, both ECDSA P-256, PEM in memory.
 */
#ifndef MW_CERTS_CERTS_H
#define MW_CERTS_CERTS_H

#include <stddef.h>

struct certs_bundle {
    char *ca_cert_pem; /* the CA certificate (the caBundle of the webhook) */
    char *cert_pem;    /* the serving certificate */
    char *key_pem;     /* its private key, PKCS#8 PEM */
};

/*
 * Generates a CA and a serving certificate for `hosts` (DNS names; a name
 * that parses as an IPv4 or IPv6 address becomes an IP SAN), valid `days`
 * days.  The first host is the subject CN (at most MW_CERT_MAX_CN_BYTES
 * characters, certs/limits.h).  Fills `out` (free with
 * certs_bundle_free) and returns 0, or -1 with one line in err.
 */
int certs_generate(const char *const *hosts, size_t nhosts, int days, struct certs_bundle *out,
                   char *err, size_t errlen);

/* Frees the PEM strings; the bundle may be reused. */
void certs_bundle_free(struct certs_bundle *b);

/*
 * Writes ca.crt, tls.crt and tls.key (mode 0600) into `dir`, which must
 * exist.  Returns 0 or -1 with err naming the file.
 */
int certs_write_dir(const struct certs_bundle *b, const char *dir, char *err, size_t errlen);

/*
 * `migration-webhook certs create|patch ...`; argv[0] = "certs".  Returns the
 * exit code (certs/certs_cmd.c).
 */
int cmd_certs(int argc, char **argv);

#endif
