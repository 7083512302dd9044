/*
 * certs/limits.h - the size, count and time limits of the certificate
 * commands (certs create, certs patch, the --dev certificate of serve).
 */
#ifndef MW_CERTS_LIMITS_H
#define MW_CERTS_LIMITS_H

#define MW_CERT_DEFAULT_DAYS 365 /* validity of `certs create` output */
#define MW_CERT_MAX_DAYS 36500   /* refuse absurd --days values */
#define MW_CERT_MAX_HOSTS 64     /* SAN entries per certificate */
#define MW_CERT_MAX_CN_BYTES 64  /* subject CN (X.520 ub-common-name): the first host */
#define MW_CERT_DEV_DAYS 7       /* the throwaway --dev certificate */
#define MW_CERT_PATCH_RETRIES 3  /* `certs patch`: GET+PUT rounds after a 409 Conflict */

#endif
