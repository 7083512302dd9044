/*
 * server/acceptor.h - the listening socket, and one thread that accepts
 * connections and hands each to one of the server's libmicrohttpd daemons.
 *
 * Why not let libmicrohttpd accept: the workers of its thread pool each
 * accept from a shared listening socket for themselves and keep every
 * connection they took, so a client that opens its connections at once (the
 * API server after a restart, a load test) can land all of them on one thread
 * and leave the other cores idle.  Measured on 2 cores with 16 keep-alive
 * connections: 2 runs in 4 put every connection on one thread and served 30 %
 * fewer reviews.  Handing connections to a pool with MHD_add_connection is not
 * exact either (the pool places them by socket number, which descriptors
 * opened meanwhile skew), so the server runs one single-threaded daemon per
 * core and the acceptor gives each new connection to the daemon holding the
 * fewest (counted in at hand-over, out through MHD_OPTION_NOTIFY_CONNECTION).
 *
 * While the server holds its connection limit, the acceptor leaves new
 * connections waiting in the listen backlog, as libmicrohttpd would.
 *
 * Slow clients: libmicrohttpd only has an inactivity timeout, which every byte
 * resets, so the acceptor keeps an absolute deadline per connection and shuts
 * the socket down when it passes (libmicrohttpd then sees the end of the
 * stream and closes it): the TLS handshake plus the request headers within
 * headers_seconds of accept, the whole body within body_seconds of the
 * headers, the next request on a kept-alive connection within the idle
 * timeout plus headers_seconds and its headers within headers_seconds of its
 * request line.  It also refuses (accepts and closes at once)
 * a connection from a source address that already holds per_source
 * connections on this listener.  Dropped clients are logged, at most one line
 * every MW_HTTP_DROP_LOG_INTERVAL_S.
 *
 * TLS: before libmicrohttpd reads the ClientHello, the acceptor looks at the
 * versions it offers; a client offering nothing newer than TLS 1.1 gets a
 * protocol_version alert (GnuTLS would just close).  A connection closed
 * before sending a ClientHello (a TCP probe) is logged at debug.
 */
#ifndef MW_SERVER_ACCEPTOR_H
#define MW_SERVER_ACCEPTOR_H

#include <stddef.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct acceptor;

/* Binds `addr` and listens (IPv6 sockets are IPv6-only).  `name` ("https", "metrics") names the
 * listener in log lines.  NULL with one line in err. */
struct acceptor *acceptor_open(const struct sockaddr_storage *addr, const char *name, char *err,
                               size_t errlen);

/* Deadlines and the per-source cap; changeable at any time (SIGHUP). */
struct acceptor_limits {
    unsigned headers_seconds; /* 0 = MW_HTTP_HEADERS_DEADLINE_S */
    unsigned body_seconds;    /* 0 = MW_HTTP_BODY_DEADLINE_S */
    unsigned per_source;      /* 0 = MW_HTTP_MAX_PER_SOURCE */
};
void acceptor_set_limits(struct acceptor *a, const struct acceptor_limits *l);

/* The request phases of a connection, told by the request handler (they move its deadline). */
void acceptor_request_line_received(struct MHD_Connection *c); /* headers due in headers_seconds */
void acceptor_headers_received(struct MHD_Connection *c); /* first call: the body deadline runs */
void acceptor_body_received(struct MHD_Connection *c); /* last call: no deadline while answering */
void acceptor_request_done(struct MHD_Connection *c);  /* answered: the next request's deadline */

/* The bound port (the one picked when port 0 was asked). */
unsigned acceptor_port(const struct acceptor *a);

/*
 * Starts the thread that accepts and hands each connection to the one of the
 * `n` daemons with the fewest open connections (the next in turn on a tie),
 * holding back while `max_connections` are open in all.  Daemon i must have
 * been started with MHD_USE_NO_LISTEN_SOCKET, MHD_USE_ITC, its own internal
 * thread, and MHD_OPTION_NOTIFY_CONNECTION, acceptor_on_connection,
 * acceptor_counter(a, i).  The daemons are borrowed and must outlive the
 * accepting thread (acceptor_close).  0, or -1 with one line in err.
 */
int acceptor_start(struct acceptor *a, struct MHD_Daemon *const *daemons, size_t n,
                   unsigned max_connections, char *err, size_t errlen);

/* The closure for daemon i's MHD_OPTION_NOTIFY_CONNECTION (i < MW_HTTP_MAX_THREADS). */
void *acceptor_counter(struct acceptor *a, size_t i);

/* The newest TLS version a ClientHello offers (0x0303 = TLS 1.2, 0x0304 = 1.3), from its
 * supported_versions extension or else its legacy version; `msg` is the handshake message, with
 * or without its 4-byte header.  0 when it is too short to tell. */
unsigned acceptor_offered_tls_version(const unsigned char *msg, size_t n);

/* Connections closed by a deadline or refused by the per-source cap, since the start. */
unsigned long long acceptor_dropped(const struct acceptor *a);

/* MHD_NotifyConnectionCallback: ties a connection to its slot when it starts (and watches its
 * ClientHello), counts it out and frees the slot when it closes. */
void acceptor_on_connection(void *counter, struct MHD_Connection *connection, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);

/* Connections handed over and not closed yet, all daemons together. */
unsigned acceptor_open_connections(const struct acceptor *a);

/* Stops accepting and closes the listening socket: new connections are refused. Idempotent. */
void acceptor_close(struct acceptor *a);

/* acceptor_close, then frees it (NULL is fine): only after the daemons are stopped, since they
 * count closing connections out in it. */
void acceptor_free(struct acceptor *a);

#endif
