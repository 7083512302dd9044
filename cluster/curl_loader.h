/*
 * cluster/curl_loader.h - libcurl, loaded on first use.
 *
 * Only the live cluster view (and `certs patch`) talk to a Kubernetes API
 * server; serving from a static cluster view never does.  libcurl and the
 * libraries it links (Kerberos, LDAP, SSH, RTMP, nghttp2, SASL, ...) cost
 * resident memory the moment they are mapped, so the binary does not link
 * libcurl: the first API client dlopen()s "libcurl-gnutls.so.4" and resolves
 * the few functions it calls into a table of pointers typed by curl's own
 * prototypes (compiled against curl's headers: the same API and ABI 4 as the
 * OpenSSL flavour).  The GnuTLS flavour is chosen because the server and the
 * certificate tooling already map GnuTLS: the OpenSSL flavour would add
 * libssl and libcrypto (several MiB resident).  A missing or broken libcurl
 * is one error line, given to the caller that needed it.
 */
#ifndef MW_CLUSTER_CURL_LOADER_H
#define MW_CLUSTER_CURL_LOADER_H

#include <stddef.h>

#include <curl/curl.h>

/* The shared object opened on first use (libcurl's ABI 4, GnuTLS flavour). */
#define CURL_LOADER_SONAME "libcurl-gnutls.so.4"

/*
 * The libcurl functions the API client calls.  Each pointer has the type of
 * the function curl.h declares; curl_easy_setopt and curl_easy_getinfo are
 * variadic there, so their arguments must have the types curl documents for
 * the option (long, curl_off_t, a pointer, a callback).
 */
struct curl_api {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_reset) *easy_reset;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
};

/*
 * The table, loaded (and curl_global_init run) on the first call in the
 * process; later calls return the same table or the same failure.  Safe from
 * many threads.  The table is static: never freed, libcurl stays mapped.
 * NULL on failure with one line in err: "cannot load libcurl-gnutls.so.4: <why>".
 */
const struct curl_api *curl_api_load(char *err, size_t errlen);

#endif
