/*
 * server/tls.c - the serving certificate store behind the TLS handshakes.
 *
 * Generations form a list (newest first) under a mutex; the GnuTLS callback
 * takes the head.  GnuTLS is told not to free what the callback returns, so a
 * generation lives until tls_store_free.  GnuTLS's callback has no user
 * pointer: the active store is a file-level pointer set once at start.
 *
 * A new pair is validated (PEM parses, key matches certificate) before it is
 * linked in, so a handshake only ever sees a complete, valid pair.  Changes
 * are noticed through an inotify watch on the files' directories and a stamp
 * (size, mtime, inode after following symlinks) compared on each check.
 */
#include "server/tls.h"
#include "server/limits.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

struct generation {
    gnutls_pcert_st chain[MW_TLS_MAX_CHAIN];
    unsigned nchain;
    gnutls_privkey_t key;
    long long expiry;
    struct generation *older;
};

struct file_stamp {
    long long size, mtime_ns;
    unsigned long long inode;
    int present;
};

struct tls_store {
    pthread_mutex_t lock;
    struct generation *current;
    char *cert_path, *key_path;
    struct file_stamp cert_stamp, key_stamp;
    struct file_stamp refused_cert, refused_key; /* last pair refused, reported once */
    int watch_fd;                                /* inotify, -1 until created */
};

static struct tls_store *active_store;

static void generation_free(struct generation *g)
{
    for (unsigned i = 0; i < g->nchain; i++)
        gnutls_pcert_deinit(&g->chain[i]);
    if (g->key)
        gnutls_privkey_deinit(g->key);
    free(g);
}

/* Checks that the key belongs to the certificate, as GnuTLS would at setup. */
static int key_matches_certificate(const gnutls_datum_t *cert, const gnutls_datum_t *key)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return 0;
    int rc = gnutls_certificate_set_x509_key_mem2(cred, cert, key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    return rc >= 0;
}

static long long certificate_expiry(const gnutls_datum_t *cert)
{
    gnutls_x509_crt_t crt;
    long long t = 0;
    if (gnutls_x509_crt_init(&crt) < 0)
        return 0;
    if (gnutls_x509_crt_import(crt, cert, GNUTLS_X509_FMT_PEM) >= 0)
        t = (long long)gnutls_x509_crt_get_expiration_time(crt);
    gnutls_x509_crt_deinit(crt);
    return t;
}

static struct generation *generation_new(const char *cert_pem, const char *key_pem, char *err,
                                         size_t errlen)
{
    gnutls_datum_t cert = {(unsigned char *)cert_pem, (unsigned)strlen(cert_pem)};
    gnutls_datum_t key = {(unsigned char *)key_pem, (unsigned)strlen(key_pem)};
    if (!key_matches_certificate(&cert, &key)) {
        snprintf(err, errlen,
                 "the TLS certificate and key cannot be read, or do not belong together");
        return NULL;
    }
    struct generation *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->nchain = MW_TLS_MAX_CHAIN;
    int rc = gnutls_pcert_list_import_x509_raw(g->chain, &g->nchain, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        g->nchain = 0;
        snprintf(err, errlen, "TLS certificate: %s", gnutls_strerror(rc));
        generation_free(g);
        return NULL;
    }
    if ((rc = gnutls_privkey_init(&g->key)) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(g->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(err, errlen, "TLS key: %s", gnutls_strerror(rc));
        generation_free(g);
        return NULL;
    }
    g->expiry = certificate_expiry(&cert);
    return g;
}

static struct file_stamp stamp_of(const char *path)
{
    struct file_stamp st = {0};
    struct stat sb;
    if (path && stat(path, &sb) == 0) {
        st.present = 1;
        st.size = (long long)sb.st_size;
        st.mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
        st.inode = (unsigned long long)sb.st_ino;
    }
    return st;
}

static int same_stamp(const struct file_stamp *a, const struct file_stamp *b)
{
    return a->present == b->present && a->size == b->size && a->mtime_ns == b->mtime_ns &&
           a->inode == b->inode;
}

struct tls_store *tls_store_new(const char *cert_pem, const char *key_pem, const char *cert_path,
                                const char *key_path, char *err, size_t errlen)
{
    struct generation *g = generation_new(cert_pem, key_pem, err, errlen);
    if (!g)
        return NULL;
    struct tls_store *s = calloc(1, sizeof(*s));
    if (!s || (cert_path && !(s->cert_path = strdup(cert_path))) ||
        (key_path && !(s->key_path = strdup(key_path)))) {
        generation_free(g);
        if (s) {
            free(s->cert_path);
            free(s);
        }
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->watch_fd = -1;
    s->current = g;
    s->cert_stamp = stamp_of(cert_path);
    s->key_stamp = stamp_of(key_path);
    return s;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(MW_TLS_MAX_PEM_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MW_TLS_MAX_PEM_BYTES, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

int tls_store_reload_if_changed(struct tls_store *s, char *err, size_t errlen)
{
    if (!s->cert_path || !s->key_path)
        return 0;
    struct file_stamp cs = stamp_of(s->cert_path), ks = stamp_of(s->key_path);
    if (same_stamp(&cs, &s->cert_stamp) && same_stamp(&ks, &s->key_stamp))
        return 0;
    if (same_stamp(&cs, &s->refused_cert) && same_stamp(&ks, &s->refused_key))
        return 0; /* already refused and reported */
    char *cert = read_file(s->cert_path), *key = read_file(s->key_path);
    struct generation *g = NULL;
    if (!cert || !key)
        snprintf(err, errlen, "%s: cannot read", !cert ? s->cert_path : s->key_path);
    else
        g = generation_new(cert, key, err, errlen);
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    free(cert);
    if (!g) {
        /* Retried when either file changes again. */
        s->refused_cert = cs;
        s->refused_key = ks;
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    g->older = s->current;
    s->current = g;
    pthread_mutex_unlock(&s->lock);
    s->cert_stamp = cs;
    s->key_stamp = ks;
    return 1;
}

/* Adds an inotify watch on the directory holding `path` ("." when none). */
static void watch_directory_of(int fd, const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    /* No IN_MODIFY: a pair is read once its writer closes it (IN_CLOSE_WRITE) or swaps it in
     * (moves, creates), and every append to another file in the directory (a log file beside
     * the certificate) would otherwise wake the watcher. */
    inotify_add_watch(fd, dir,
                      IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                          IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
}

int tls_store_watch_fd(struct tls_store *s)
{
    if (s->watch_fd >= 0 || !s->cert_path || !s->key_path)
        return s->watch_fd;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return -1;
    watch_directory_of(fd, s->cert_path);
    watch_directory_of(fd, s->key_path); /* the same directory is one watch */
    s->watch_fd = fd;
    return fd;
}

/* 1 when an inotify event named `name` (in a watched directory) may change the pair. */
static int event_concerns_pair(const struct tls_store *s, const char *name)
{
    if (!*name)
        return 1; /* the directory itself */
    const char *paths[] = {s->cert_path, s->key_path};
    for (size_t i = 0; i < 2; i++) {
        const char *slash = strrchr(paths[i], '/');
        const char *base = slash ? slash + 1 : paths[i];
        if (strcmp(name, base) == 0)
            return 1;
    }
    /* A mounted Secret changes by swapping its "..data" symlink to a new "..<timestamp>" directory.
     */
    return strncmp(name, "..", 2) == 0;
}

int tls_store_watch_consume(struct tls_store *s)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int relevant = 0;
    if (s->watch_fd < 0)
        return 0;
    ssize_t n;
    while ((n = read(s->watch_fd, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
            relevant |=
                (ev->mask & IN_Q_OVERFLOW) || event_concerns_pair(s, ev->len ? ev->name : "");
            off += (ssize_t)sizeof(struct inotify_event) + ev->len;
        }
    }
    return relevant;
}

long long tls_store_expiry(const struct tls_store *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->lock);
    long long t = s->current->expiry;
    pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
    return t;
}

static int retrieve_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                                int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                                int pk_algos_length, gnutls_pcert_st **pcert,
                                unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct tls_store *s = active_store;
    if (!s)
        return -1;
    pthread_mutex_lock(&s->lock);
    struct generation *g = s->current;
    pthread_mutex_unlock(&s->lock);
    *pcert = g->chain;
    *pcert_length = g->nchain;
    *pkey = g->key;
    return 0;
}

void *tls_store_activate(struct tls_store *s)
{
    active_store = s;
    return (void *)&retrieve_certificate;
}

void tls_store_free(struct tls_store *s)
{
    if (!s)
        return;
    if (active_store == s)
        active_store = NULL;
    struct generation *g = s->current;
    while (g) {
        struct generation *older = g->older;
        generation_free(g);
        g = older;
    }
    pthread_mutex_destroy(&s->lock);
    if (s->watch_fd >= 0)
        close(s->watch_fd);
    free(s->cert_path);
    free(s->key_path);
    free(s);
}
