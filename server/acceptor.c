/*
 * server/acceptor.c - the listening socket and the thread that accepts
 * connections and spreads them over the server's daemons (see the header for
 * why).
 *
 * The thread polls the listening socket and an eventfd that asks it to stop;
 * it accepts everything waiting, non-blocking, and hands each connection with
 * MHD_add_connection (which closes it when the daemon cannot take it) to the
 * daemon holding the fewest connections.  Each daemon's count is kept here:
 * in when a connection is handed over, out when libmicrohttpd notifies that
 * it closed.  At the connection limit it stops accepting and looks again
 * every MW_ACCEPT_FULL_PAUSE_MS, so waiting clients stay in the backlog.
 */
#include "server/acceptor.h"

#include <errno.h>
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

struct acceptor {
    int fd;      /* listening socket; -1 once closed */
    int stop_fd; /* eventfd: readable when the thread must stop */
    pthread_t thread;
    int started;
    struct MHD_Daemon *daemons[MW_HTTP_MAX_THREADS]; /* borrowed */
    atomic_uint open[MW_HTTP_MAX_THREADS];           /* connections each daemon holds */
    size_t ndaemons;
    size_t next; /* where the search for the least busy daemon starts */
    unsigned max_connections;
};

struct acceptor *acceptor_open(const struct sockaddr_storage *addr, char *err, size_t errlen)
{
    struct acceptor *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
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
    return i < MW_HTTP_MAX_THREADS ? &a->open[i] : NULL;
}

void acceptor_on_connection(void *counter, struct MHD_Connection *connection, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe)
{
    (void)connection;
    (void)socket_context;
    if (!counter)
        return;
    /* Counted in when handed over (see accept_waiting): a burst is spread before it starts. */
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub((atomic_uint *)counter, 1);
}

/*
 * The daemon holding the fewest connections; the search starts after the one
 * picked last, so daemons that tie (a burst of connections not started yet)
 * take turns.
 */
static size_t least_busy(struct acceptor *a)
{
    size_t best = a->next % a->ndaemons;
    unsigned fewest = atomic_load(&a->open[best]);
    for (size_t k = 1; k < a->ndaemons && fewest > 0; k++) {
        size_t i = (a->next + k) % a->ndaemons;
        unsigned n = atomic_load(&a->open[i]);
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
        open += atomic_load(&a->open[i]);
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

/* Accepts every connection waiting (until the socket would block or the server is full). */
static void accept_waiting(struct acceptor *a)
{
    while (!server_full(a)) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int c = accept4(a->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            size_t i = least_busy(a);
            atomic_fetch_add(&a->open[i], 1); /* out again when libmicrohttpd closes it */
            if (MHD_add_connection(a->daemons[i], c, (struct sockaddr *)&peer, len) != MHD_YES)
                atomic_fetch_sub(&a->open[i], 1); /* refused: libmicrohttpd closed c */
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
    for (;;) {
        int full = server_full(a);
        struct pollfd pfd[2] = {{a->stop_fd, POLLIN, 0}, {a->fd, POLLIN, 0}};
        /* Full: wait only for the stop signal, a short while, and leave clients in the backlog. */
        int n = poll(pfd, full ? 1 : 2, full ? MW_ACCEPT_FULL_PAUSE_MS : -1);
        if (pfd[0].revents & POLLIN)
            break;
        if (n > 0 && !full && (pfd[1].revents & POLLIN))
            accept_waiting(a);
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
    int rc = pthread_create(&a->thread, NULL, accept_loop, a);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the accepting thread: %s", strerror(rc));
        return -1;
    }
    pthread_setname_np(a->thread, "acceptor");
    a->started = 1;
    return 0;
}

void acceptor_close(struct acceptor *a)
{
    if (!a)
        return;
    if (a->started) {
        uint64_t one = 1;
        ssize_t w = write(a->stop_fd, &one, sizeof(one));
        (void)w; /* an eventfd write fails only when the counter is full: already signalled */
        pthread_join(a->thread, NULL);
        a->started = 0;
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
    if (a->stop_fd >= 0)
        close(a->stop_fd);
    free(a);
}
