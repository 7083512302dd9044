/*
 * server/tls.h - the serving certificate and key that the TLS handshakes use,
 * re-read from their files when they change (a rotated Kubernetes Secret)
 * without a restart and without a failed handshake.
 *
 * Each load makes a new generation (GnuTLS certificate chain + private key).
 * Handshakes pick the current generation through a GnuTLS retrieve callback;
 * older generations stay allocated until the store is freed, so a handshake
 * that started with one never sees it disappear.  A new pair is only taken
 * when the key matches the certificate; until then the old one serves.
 *
 * Change detection: an inotify watch on the directories holding the two
 * files (a mounted Secret changes by swapping its ..data symlink, which is an
 * event in the directory, not on the file), plus a slow poll of size, mtime
 * and inode as a fallback.  The caller owns the loop: it polls the watch
 * descriptor and calls tls_store_reload_if_changed.
 */
#ifndef MW_SERVER_TLS_H
#define MW_SERVER_TLS_H

#include <stddef.h>

struct tls_store;

/*
 * A store serving `cert_pem` (the certificate, then any chain) and `key_pem`.
 * `cert_path`/`key_path` (may be NULL) are the files to watch for changes.
 * Returns the store (free with tls_store_free), or NULL with one line in err.
 */
struct tls_store *tls_store_new(const char *cert_pem, const char *key_pem, const char *cert_path,
                                const char *key_path, char *err, size_t errlen);

/*
 * Re-reads the files when their size, mtime or inode changed since the last
 * load.  Returns 1 when a new pair is in use, 0 when nothing changed, -1 with
 * err when the files changed but cannot be used (the old pair stays).  A
 * refused pair is reported once: the same files give 0 until they change again.
 */
int tls_store_reload_if_changed(struct tls_store *s, char *err, size_t errlen);

/*
 * A descriptor that becomes readable when something changes in the
 * directories of the watched files (inotify, non-blocking), created on the
 * first call.  -1 when the store watches no files or inotify is unavailable
 * (then only the slow poll notices changes).  Owned by the store.
 */
int tls_store_watch_fd(struct tls_store *s);

/*
 * Reads the pending events of the watch descriptor.  Returns 1 when one of
 * them may change the pair (the certificate or key file, a Secret's "..data"
 * swap, the directory itself, or lost events), 0 when they only concern other
 * files in the directory.
 */
int tls_store_watch_consume(struct tls_store *s);

/* Expiry (notAfter, seconds since the epoch) of the certificate in use. */
long long tls_store_expiry(const struct tls_store *s);

/*
 * Makes `s` the store whose certificate handshakes use, and returns the GnuTLS
 * retrieve callback (a gnutls_certificate_retrieve_function2 *) to hand to
 * libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK.  One store per process.
 */
void *tls_store_activate(struct tls_store *s);

/* Frees every generation.  Only after the server using it has stopped. */
void tls_store_free(struct tls_store *s);

#endif
