/*
 * kube/base64.h - standard padded base64 (RFC 4648 section 4), as Kubernetes
 * writes it in Secret data, kubeconfig *-data fields and an AdmissionReview's
 * JSON Patch.  GnuTLS does the work.
 */
#ifndef MW_KUBE_BASE64_H
#define MW_KUBE_BASE64_H

#include <stddef.h>

/* The base64 of `len` bytes, one line, NUL-terminated; caller frees.  NULL when out of memory. */
char *base64_encode(const void *in, size_t len);

/*
 * Decodes `in` (no whitespace; its length a non-zero multiple of 4) into
 * bytes followed by a NUL, so text comes back as a string; caller frees.
 * Sets *outlen (when not NULL) to the number of bytes.  NULL when `in` is not
 * valid base64 or out of memory.
 */
char *base64_decode(const char *in, size_t *outlen);

#endif
