/*
 * server/acceptor.c - the listening socket and the thread that accepts
 * connections and spreads them over the server's daemons (see the header for
 * why), with the per-connection deadlines and the per-source cap.
 *
 * The thread polls the listening socket and an eventfd that asks it to stop;
 * it accepts everything waiting, non-blocking, and hands each connection with
 * MHD_add_connection (which closes it when the daemon cannot take it) to the
 * daemon holding the fewest connections.  Each daemon's count is kept here:
 * in when a connection is handed over, out when libmicrohttpd notifies that
 * it closed.  At the connection limit it stops accepting and looks again
 * every MW_ACCEPT_FULL_PAUSE_MS, so waiting clients stay in the backlog.
 *
 * Every connection handed over has a slot (file descriptor, source address,
 * deadline) under one mutex; libmicrohttpd's socket context points at it.
 * The slot is freed in the close notification, which libmicrohttpd sends
 * before it closes the descriptor, so the thread never shuts down a
 * descriptor that was reused.  While connections are open the thread wakes
 * every MW_ACCEPT_TICK_MS and shuts down those past their deadline.
 */
#include "server/acceptor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/limits.h"
#include "server/log.h"

#define MW_ACCEPT_TICK_MS 250 /* deadline checks while connections are open */
#define SOURCE_BUCKETS 1024   /* hash buckets of source addresses */

struct acceptor;

/* One connection handed over to a daemon. */
struct slot {
    struct acceptor *owner;
    int fd;          /* -1: free */
    int next;        /* next free slot, or next slot of the same source bucket */
    unsigned bucket; /* of the source address */
    unsigned char addr[16];
    unsigned char addr_len;
    long long deadline_ms; /* monotonic; 0 = none */
    int dropped;           /* shut down by a deadline */
    /* Seen only by the connection's daemon thread: */
    int tls, hello_seen, handshake_done, version_refused, request_seen;
};

struct daemon_counter {
    struct acceptor *a;
    atomic_uint open;
};

struct acceptor {
    int fd;      /* listening socket; -1 once closed */
    int stop_fd; /* eventfd: readable when the thread must stop */
    char name[16];
    pthread_t thread;
    int started;
    /* acceptor_close asks the thread to stop polling the listening socket (stop_listening) and
     * waits until it says so (listening = 0); acceptor_free asks it to end (quit). */
    pthread_cond_t cond;
    int stop_listening, listening, quit;
    struct MHD_Daemon *daemons[MW_HTTP_MAX_THREADS]; /* borrowed */
    struct daemon_counter counters[MW_HTTP_MAX_THREADS];
    size_t ndaemons;
    size_t next; /* where the search for the least busy daemon starts */
    unsigned max_connections;
    atomic_uint headers_s, body_s, per_source;

    pthread_mutex_t lock; /* slots, buckets, free list */
    struct slot *slots;
    unsigned nslots;
    int free_head;
    int buckets[SOURCE_BUCKETS]; /* first slot of each source bucket, -1 when empty */

    /* Drops not logged yet (accepting thread only). */
    atomic_ullong dropped_total;
    unsigned pending_slow, pending_capped;
    char last_source[INET6_ADDRSTRLEN];
    long long last_log_ms;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

struct acceptor *acceptor_open(const struct sockaddr_storage *addr, const char *name, char *err,
                               size_t errlen)
{
    struct acceptor *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    snprintf(a->name, sizeof(a->name), "%s", name ? name : "https");
    for (size_t i = 0; i < SOURCE_BUCKETS; i++)
        a->buckets[i] = -1;
    a->free_head = -1;
    struct acceptor_limits defaults = {0, 0, 0};
    acceptor_set_limits(a, &defaults);
    a->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    a->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int on = 1;
    socklen_t len =
        addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (a->fd < 0 || a->stop_fd < 0 ||
        setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        (addr->ss_family == AF_INET6 &&
         setsockopt(a->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
        bind(a->fd, (const struct sockaddr *)addr, len) != 0 ||
        listen(a->fd, MW_HTTP_LISTEN_BACKLOG) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        acceptor_free(a);
        return NULL;
    }
    return a;
}

void acceptor_set_limits(struct acceptor *a, const struct acceptor_limits *l)
{
    atomic_store(&a->headers_s,
                 l->headers_seconds ? l->headers_seconds : (unsigned)MW_HTTP_HEADERS_DEADLINE_S);
    atomic_store(&a->body_s, l->body_seconds ? l->body_seconds : (unsigned)MW_HTTP_BODY_DEADLINE_S);
    atomic_store(&a->per_source, l->per_source ? l->per_source : (unsigned)MW_HTTP_MAX_PER_SOURCE);
}

unsigned acceptor_port(const struct acceptor *a)
{
    struct sockaddr_storage bound;
    socklen_t len = sizeof(bound);
    if (a->fd < 0 || getsockname(a->fd, (struct sockaddr *)&bound, &len) != 0)
        return 0;
    if (bound.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

void *acceptor_counter(struct acceptor *a, size_t i)
{
    if (i >= MW_HTTP_MAX_THREADS)
        return NULL;
    a->counters[i].a = a;
    return &a->counters[i];
}

unsigned long long acceptor_dropped(const struct acceptor *a)
{
    return atomic_load(&((struct acceptor *)a)->dropped_total);
}

/* ------------------------------------------------------------------------ */
/* Slots                                                                     */
/* ------------------------------------------------------------------------ */

static void source_of(const struct sockaddr_storage *peer, unsigned char *addr, unsigned char *len)
{
    if (peer->ss_family == AF_INET6) {
        memcpy(addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
        *len = 16;
    } else {
        memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
        *len = 4;
    }
}

static unsigned bucket_of(const unsigned char *addr, unsigned char len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (unsigned i = 0; i < len; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h % SOURCE_BUCKETS;
}

static void format_source(const struct slot *sl, char *buf, size_t cap)
{
    if (!inet_ntop(sl->addr_len == 16 ? AF_INET6 : AF_INET, sl->addr, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
}

/* Open connections from the source of `sl` (lock held). */
static unsigned same_source(const struct acceptor *a, const unsigned char *addr, unsigned char len,
                            unsigned bucket)
{
    unsigned n = 0;
    for (int i = a->buckets[bucket]; i >= 0; i = a->slots[i].next)
        if (a->slots[i].addr_len == len && memcmp(a->slots[i].addr, addr, len) == 0)
            n++;
    return n;
}

static void unlink_slot(struct acceptor *a, int idx)
{
    struct slot *sl = &a->slots[idx];
    int *link = &a->buckets[sl->bucket];
    while (*link >= 0 && *link != idx)
        link = &a->slots[*link].next;
    if (*link == idx)
        *link = sl->next;
    sl->fd = -1;
    sl->next = a->free_head;
    a->free_head = idx;
}

/* A slot for `fd` from `peer`, or NULL when the source holds its share (lock held). */
static struct slot *take_slot(struct acceptor *a, int fd, const struct sockaddr_storage *peer,
                              int *capped)
{
    *capped = 0;
    /* A descriptor number still in a slot is stale (libmicrohttpd closed it without telling). */
    for (unsigned i = 0; i < a->nslots; i++)
        if (a->slots[i].fd == fd)
            unlink_slot(a, (int)i);
    unsigned char addr[16], len;
    source_of(peer, addr, &len);
    unsigned bucket = bucket_of(addr, len);
    if (same_source(a, addr, len, bucket) >= atomic_load(&a->per_source)) {
        *capped = 1;
        return NULL;
    }
    if (a->free_head < 0)
        return NULL;
    int idx = a->free_head;
    struct slot *sl = &a->slots[idx];
    a->free_head = sl->next;
    memset(sl, 0, sizeof(*sl));
    sl->owner = a;
    sl->fd = fd;
    memcpy(sl->addr, addr, len);
    sl->addr_len = len;
    sl->bucket = bucket;
    sl->deadline_ms = now_ms() + 1000LL * atomic_load(&a->headers_s);
    sl->next = a->buckets[bucket];
    a->buckets[bucket] = idx;
    return sl;
}

static struct slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
    return info ? (struct slot *)info->socket_context : NULL;
}

/* Where a connection's current request stands, as told by the request handler. */
enum request_phase { REQUEST_LINE_RECEIVED, HEADERS_RECEIVED, BODY_RECEIVED, REQUEST_DONE };

static void set_deadline(struct MHD_Connection *c, enum request_phase phase)
{
    struct slot *sl = slot_of(c);
    if (!sl)
        return;
    struct acceptor *a = sl->owner;
    long long now = now_ms();
    pthread_mutex_lock(&a->lock);
    switch (phase) {
    case REQUEST_LINE_RECEIVED: {
        long long headers_by = now + 1000LL * atomic_load(&a->headers_s);
        if (sl->deadline_ms == 0 || headers_by < sl->deadline_ms)
            sl->deadline_ms = headers_by;
        break;
    }
    case HEADERS_RECEIVED:
        sl->request_seen = 1;
        sl->deadline_ms = now + 1000LL * atomic_load(&a->body_s);
        break;
    case BODY_RECEIVED:
        sl->deadline_ms = 0;
        break;
    case REQUEST_DONE:
        sl->deadline_ms =
            now + 1000LL * (MW_HTTP_CONNECTION_TIMEOUT_S + (long long)atomic_load(&a->headers_s));
        break;
    }
    pthread_mutex_unlock(&a->lock);
}

void acceptor_request_line_received(struct MHD_Connection *c)
{
    set_deadline(c, REQUEST_LINE_RECEIVED);
}

void acceptor_headers_received(struct MHD_Connection *c)
{
    set_deadline(c, HEADERS_RECEIVED);
}

void acceptor_body_received(struct MHD_Connection *c)
{
    set_deadline(c, BODY_RECEIVED);
}

void acceptor_request_done(struct MHD_Connection *c)
{
    set_deadline(c, REQUEST_DONE);
}

/* ------------------------------------------------------------------------ */
/* TLS: the versions a ClientHello offers                                   */
/* ------------------------------------------------------------------------ */

unsigned acceptor_offered_tls_version(const unsigned char *p, size_t n)
{
    if (n > 4 && p[0] == 1 && p[4] == 3) { /* with its handshake header */
        p += 4;
        n -= 4;
    }
    if (n < 35)
        return 0;
    unsigned legacy = (unsigned)p[0] << 8 | p[1];
    size_t off = 34;
    if (off + 1 > n)
        return legacy;
    off += 1 + p[off]; /* session id */
    if (off + 2 > n)
        return legacy;
    off += 2 + ((size_t)p[off] << 8 | p[off + 1]); /* cipher suites */
    if (off + 1 > n)
        return legacy;
    off += 1 + p[off]; /* compression methods */
    if (off + 2 > n)
        return legacy;
    size_t end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
    if (end > n)
        end = n;
    off += 2;
    while (off + 4 <= end) {
        unsigned type = (unsigned)p[off] << 8 | p[off + 1];
        size_t len = (size_t)p[off + 2] << 8 | p[off + 3];
        off += 4;
        if (off + len > end)
            break;
        if (type == 43 && len >= 1) { /* supported_versions */
            unsigned best = 0;
            for (size_t i = 1; i + 1 < len && i + 1 <= p[off]; i += 2) {
                unsigned v = (unsigned)p[off + i] << 8 | p[off + i + 1];
                if ((v & 0x0f0f) == 0x0a0a)
                    continue; /* GREASE */
                if (v > best && v <= 0x03ff)
                    best = v;
            }
            return best;
        }
        off += len;
    }
    return legacy;
}

static int handshake_hook(gnutls_session_t session, unsigned htype, unsigned when,
                          unsigned incoming, const gnutls_datum_t *msg)
{
    struct slot *sl = gnutls_db_get_ptr(session);
    if (!sl)
        return 0;
    if (htype == GNUTLS_HANDSHAKE_FINISHED && when == GNUTLS_HOOK_POST) {
        sl->handshake_done = 1;
        return 0;
    }
    if (htype != GNUTLS_HANDSHAKE_CLIENT_HELLO || when != GNUTLS_HOOK_PRE || !incoming || !msg)
        return 0;
    sl->hello_seen = 1;
    unsigned v = acceptor_offered_tls_version(msg->data, msg->size);
    if (v == 0 || v >= 0x0303)
        return 0;
    /* Nothing newer than TLS 1.1: say so with a protocol_version alert, in the clear. */
    unsigned char alert[7] = {21, 3, (unsigned char)(v & 0xff), 0, 2, 2, 70};
    ssize_t w = send(sl->fd, alert, sizeof(alert), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    sl->version_refused = 1;
    return GNUTLS_E_UNSUPPORTED_VERSION_PACKET;
}

/* ------------------------------------------------------------------------ */
/* Connection notifications                                                  */
/* ------------------------------------------------------------------------ */

static void on_started(struct acceptor *a, struct MHD_Connection *connection, void **socket_context)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return;
    int fd = info->connect_fd;
    struct slot *found = NULL;
    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < a->nslots && !found; i++)
        if (a->slots[i].fd == fd)
            found = &a->slots[i];
    pthread_mutex_unlock(&a->lock);
    *socket_context = found;
    const union MHD_ConnectionInfo *tls =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (found && tls && tls->tls_session) {
        gnutls_session_t session = (gnutls_session_t)tls->tls_session;
        found->tls = 1;
        gnutls_db_set_ptr(session, found);
        gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH,
                                           handshake_hook);
    }
}

/* libmicrohttpd has freed the connection's TLS session and memory by now, not yet closed the
 * descriptor: only the slot is looked at. */
static void on_closed(struct acceptor *a, struct slot *sl)
{
    if (sl->tls && !sl->request_seen && !sl->dropped) {
        char source[INET6_ADDRSTRLEN];
        format_source(sl, source, sizeof(source));
        cJSON *f = cJSON_CreateObject();
        if (f) {
            cJSON_AddStringToObject(f, "listener", a->name);
            cJSON_AddStringToObject(f, "source", source);
        }
        if (!sl->hello_seen)
            log_json(LOG_DEBUG, "connection closed before the TLS handshake", f);
        else if (sl->version_refused)
            log_json(LOG_INFO, "TLS refused: the client offers nothing newer than TLS 1.1", f);
        else if (!sl->handshake_done)
            log_json(LOG_WARN, "TLS handshake failed", f);
        else
            cJSON_Delete(f);
    }
    pthread_mutex_lock(&a->lock);
    if (sl->fd >= 0)
        unlink_slot(a, (int)(sl - a->slots));
    pthread_mutex_unlock(&a->lock);
}

void acceptor_on_connection(void *counter, struct MHD_Connection *connection, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe)
{
    struct daemon_counter *dc = counter;
    if (!dc || !dc->a)
        return;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        on_started(dc->a, connection, socket_context);
        return;
    }
    /* Counted in when handed over (see accept_waiting): a burst is spread before it starts. */
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (*socket_context)
            on_closed(dc->a, *socket_context);
        *socket_context = NULL;
        atomic_fetch_sub(&dc->open, 1);
    }
}

/*
 * The daemon holding the fewest connections; the search starts after the one
 * picked last, so daemons that tie (a burst of connections not started yet)
 * take turns.
 */
static size_t least_busy(struct acceptor *a)
{
    size_t best = a->next % a->ndaemons;
    unsigned fewest = atomic_load(&a->counters[best].open);
    for (size_t k = 1; k < a->ndaemons && fewest > 0; k++) {
        size_t i = (a->next + k) % a->ndaemons;
        unsigned n = atomic_load(&a->counters[i].open);
        if (n < fewest) {
            fewest = n;
            best = i;
        }
    }
    a->next = best + 1;
    return best;
}

unsigned acceptor_open_connections(const struct acceptor *a)
{
    unsigned open = 0;
    for (size_t i = 0; i < a->ndaemons; i++)
        open += atomic_load(&((struct acceptor *)a)->counters[i].open);
    return open;
}

static int server_full(const struct acceptor *a)
{
    return acceptor_open_connections(a) >= a->max_connections;
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* ------------------------------------------------------------------------ */
/* Drops                                                                     */
/* ------------------------------------------------------------------------ */

/* One line for the drops since the last one, at most every MW_HTTP_DROP_LOG_INTERVAL_S. */
static void log_drops(struct acceptor *a, int force)
{
    if (a->pending_slow == 0 && a->pending_capped == 0)
        return;
    long long now = now_ms();
    if (!force && a->last_log_ms && now - a->last_log_ms < MW_HTTP_DROP_LOG_INTERVAL_S * 1000LL)
        return;
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddStringToObject(f, "listener", a->name);
        cJSON_AddNumberToObject(f, "pastDeadline", a->pending_slow);
        cJSON_AddNumberToObject(f, "overSourceLimit", a->pending_capped);
        cJSON_AddNumberToObject(f, "headersSeconds", atomic_load(&a->headers_s));
        cJSON_AddNumberToObject(f, "bodySeconds", atomic_load(&a->body_s));
        cJSON_AddNumberToObject(f, "maxConnectionsPerSource", atomic_load(&a->per_source));
        cJSON_AddStringToObject(f, "lastSource", a->last_source);
    }
    log_json(LOG_WARN, "closed slow or excess connections", f);
    a->pending_slow = a->pending_capped = 0;
    a->last_log_ms = now;
}

/* Shuts down the connections past their deadline; libmicrohttpd then closes them. */
static void enforce_deadlines(struct acceptor *a)
{
    long long now = now_ms();
    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < a->nslots; i++) {
        struct slot *sl = &a->slots[i];
        if (sl->fd < 0 || sl->deadline_ms == 0 || sl->deadline_ms > now)
            continue;
        shutdown(sl->fd, SHUT_RDWR);
        sl->deadline_ms = 0;
        sl->dropped = 1;
        a->pending_slow++;
        atomic_fetch_add(&a->dropped_total, 1);
        format_source(sl, a->last_source, sizeof(a->last_source));
    }
    pthread_mutex_unlock(&a->lock);
    log_drops(a, 0);
}

/* Accepts every connection waiting (until the socket would block or the server is full). */
static void accept_waiting(struct acceptor *a)
{
    while (!server_full(a)) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int c = accept4(a->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            int capped;
            pthread_mutex_lock(&a->lock);
            struct slot *sl = take_slot(a, c, &peer, &capped);
            pthread_mutex_unlock(&a->lock);
            if (!sl) {
                if (capped) {
                    unsigned char addr[16];
                    struct slot tmp = {0};
                    source_of(&peer, addr, &tmp.addr_len);
                    memcpy(tmp.addr, addr, sizeof(addr));
                    format_source(&tmp, a->last_source, sizeof(a->last_source));
                    a->pending_capped++;
                    atomic_fetch_add(&a->dropped_total, 1);
                    log_drops(a, 0);
                }
                close(c);
                continue;
            }
            size_t i = least_busy(a);
            atomic_fetch_add(&a->counters[i].open, 1); /* out again when libmicrohttpd closes it */
            if (MHD_add_connection(a->daemons[i], c, (struct sockaddr *)&peer, len) != MHD_YES) {
                atomic_fetch_sub(&a->counters[i].open, 1); /* refused: libmicrohttpd closed c */
                pthread_mutex_lock(&a->lock);
                if (sl->fd == c)
                    unlink_slot(a, (int)(sl - a->slots));
                pthread_mutex_unlock(&a->lock);
            }
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            pause_ms(MW_ACCEPT_FULL_PAUSE_MS); /* out of descriptors: let connections close */
        return;                                /* EAGAIN: nothing more is waiting */
    }
}

static void *accept_loop(void *arg)
{
    struct acceptor *a = arg;
    long long next_check = 0;
    int listening = 1;
    for (;;) {
        int full = !listening || server_full(a);
        int busy = acceptor_open_connections(a) > 0 || a->pending_slow || a->pending_capped;
        int timeout = busy ? MW_ACCEPT_TICK_MS : -1;
        if (listening && full)
            timeout = MW_ACCEPT_FULL_PAUSE_MS;
        struct pollfd pfd[2] = {{a->stop_fd, POLLIN, 0}, {a->fd, POLLIN, 0}};
        /* Full: wait only for the stop signal, a short while, and leave clients in the backlog. */
        int n = poll(pfd, full ? 1 : 2, timeout);
        if (pfd[0].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(a->stop_fd, &v, sizeof(v));
            (void)r;
            pthread_mutex_lock(&a->lock);
            int quit = a->quit;
            if (a->stop_listening && listening) {
                listening = 0;
                a->listening = 0;
                pthread_cond_broadcast(&a->cond);
            }
            pthread_mutex_unlock(&a->lock);
            if (quit)
                break;
            continue;
        }
        if (n > 0 && !full && (pfd[1].revents & POLLIN))
            accept_waiting(a);
        long long now = now_ms();
        if (now >= next_check) {
            enforce_deadlines(a);
            next_check = now + MW_ACCEPT_TICK_MS;
        }
    }
    return NULL;
}

int acceptor_start(struct acceptor *a, struct MHD_Daemon *const *daemons, size_t n,
                   unsigned max_connections, char *err, size_t errlen)
{
    if (n == 0 || n > MW_HTTP_MAX_THREADS) {
        snprintf(err, errlen, "cannot accept for %zu daemons", n);
        return -1;
    }
    memcpy(a->daemons, daemons, n * sizeof(daemons[0]));
    a->ndaemons = n;
    a->max_connections = max_connections;
    a->slots = calloc(max_connections, sizeof(*a->slots));
    if (!a->slots) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->nslots = max_connections;
    for (unsigned i = 0; i < a->nslots; i++) {
        a->slots[i].fd = -1;
        a->slots[i].next = (int)i + 1 < (int)a->nslots ? (int)i + 1 : -1;
    }
    a->free_head = 0;
    int rc = pthread_create(&a->thread, NULL, accept_loop, a);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the accepting thread: %s", strerror(rc));
        return -1;
    }
    pthread_setname_np(a->thread, "acceptor");
    a->started = 1;
    a->listening = 1;
    return 0;
}

static void wake(struct acceptor *a)
{
    uint64_t one = 1;
    ssize_t w = write(a->stop_fd, &one, sizeof(one));
    (void)w; /* an eventfd write fails only when the counter is full: already signalled */
}

void acceptor_close(struct acceptor *a)
{
    if (!a)
        return;
    if (a->started) {
        /* The thread stops polling the socket before it closes: its number is never reused
         * under the thread.  Deadlines stay enforced until acceptor_free. */
        pthread_mutex_lock(&a->lock);
        a->stop_listening = 1;
        wake(a);
        while (a->listening)
            pthread_cond_wait(&a->cond, &a->lock);
        pthread_mutex_unlock(&a->lock);
    }
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

void acceptor_free(struct acceptor *a)
{
    if (!a)
        return;
    acceptor_close(a);
    if (a->started) {
        pthread_mutex_lock(&a->lock);
        a->quit = 1;
        wake(a);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
        a->started = 0;
        log_drops(a, 1);
    }
    if (a->stop_fd >= 0)
        close(a->stop_fd);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    free(a->slots);
    free(a);
}
