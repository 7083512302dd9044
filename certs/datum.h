/*
 * certs/datum.h - GnuTLS hands results back as a datum (pointer + size, not
 * NUL-terminated, freed with gnutls_free); the certificate tooling hands
 * strings on.  One copy for both.
 */
#ifndef MW_CERTS_DATUM_H
#define MW_CERTS_DATUM_H

#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

/* The datum copied into a NUL-terminated string; caller frees.  NULL when out of memory. */
static inline char *string_of_datum(const gnutls_datum_t *d)
{
    char *s = malloc((size_t)d->size + 1);
    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
    }
    return s;
}

#endif
