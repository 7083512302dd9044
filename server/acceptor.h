/*
 * server/acceptor.h - the listening socket, and one thread that accepts
 * connections and hands each to libmicrohttpd's thread pool.
 *
 * Why not let libmicrohttpd accept: each of its worker threads accepts from a
 * shared listening socket for itself and keeps every connection it took, so a
 * client that opens its connections at once (the API server after a restart,
 * a load test) can land all of them on one thread and leave the other cores
 * idle.  Measured on 2 cores with 16 keep-alive connections: 2 runs in 4 put
 * every connection on one thread and served 30 % fewer reviews.  A connection
 * given with MHD_add_connection goes to worker (socket number mod pool size),
 * so consecutive connections are spread over the threads evenly.
 *
 * While the server holds its connection limit, the acceptor leaves new
 * connections waiting in the listen backlog, as libmicrohttpd would.
 */
#ifndef MW_SERVER_ACCEPTOR_H
#define MW_SERVER_ACCEPTOR_H

#include <stddef.h>
#include <sys/socket.h>

struct MHD_Daemon;
struct acceptor;

/* Binds `addr` and listens (IPv6 sockets are IPv6-only).  NULL with one line in err. */
struct acceptor *acceptor_open(const struct sockaddr_storage *addr, char *err, size_t errlen);

/* The bound port (the one picked when port 0 was asked). */
unsigned acceptor_port(const struct acceptor *a);

/*
 * Starts the thread that accepts and hands each connection to `daemon`
 * (started with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC), holding back while
 * `max_connections` are open.  0, or -1 with one line in err.
 */
int acceptor_start(struct acceptor *a, struct MHD_Daemon *daemon, unsigned max_connections,
                   char *err, size_t errlen);

/* Stops accepting and closes the listening socket: new connections are refused. Idempotent. */
void acceptor_close(struct acceptor *a);

/* acceptor_close, then frees it (NULL is fine). */
void acceptor_free(struct acceptor *a);

#endif
