/*
 * kube/base64.c - standard padded base64 (see base64.h).
 */
#include "kube/base64.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

/* The datum copied into a NUL-terminated buffer; NULL when out of memory. */
static char *copy_datum(const gnutls_datum_t *d, size_t *len)
{
    char *s = malloc((size_t)d->size + 1);
    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
        if (len)
            *len = d->size;
    }
    return s;
}

char *base64_encode(const void *in, size_t len)
{
    if (len == 0)
        return strdup("");
    const gnutls_datum_t raw = {(unsigned char *)in, (unsigned)len};
    gnutls_datum_t b64 = {NULL, 0};
    char *out = gnutls_base64_encode2(&raw, &b64) == 0 ? copy_datum(&b64, NULL) : NULL;
    gnutls_free(b64.data);
    return out;
}

char *base64_decode(const char *in, size_t *outlen)
{
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0)
        return NULL;
    const gnutls_datum_t b64 = {(unsigned char *)in, (unsigned)n};
    gnutls_datum_t raw = {NULL, 0};
    char *out = gnutls_base64_decode2(&b64, &raw) == 0 ? copy_datum(&raw, outlen) : NULL;
    gnutls_free(raw.data);
    return out;
}
