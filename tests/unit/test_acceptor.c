/*
 * Unit tests for server/acceptor.c with two plain-HTTP libmicrohttpd
 * daemons: connections opened at once are split evenly between the daemons;
 * at the connection limit a new client waits in the backlog and is served
 * once a connection closes; closing the acceptor refuses new clients; a port
 * in use is one line.  The clients run in a child process.  The ClientHello
 * reading behind the protocol_version alert, on hellos captured from
 * `openssl s_client` (tests/fuzz/corpus/fuzz_client_hello).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"
#include "case_table.h"
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/acceptor.h"

#define MAX_SEEN 64

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t seen[MAX_SEEN];
static int nseen;

/* libmicrohttpd's request shape: the first call only starts the request (an answer queued
 * then would close the connection); the next one answers, so connections stay open. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
    static int started;
    if (!*con_cls) {
        *con_cls = &started;
        return MHD_YES;
    }
    pthread_mutex_lock(&seen_lock);
    if (nseen < MAX_SEEN)
        seen[nseen++] = pthread_self();
    pthread_mutex_unlock(&seen_lock);
    static char ok[] = "ok";
    struct MHD_Response *r = MHD_create_response_from_buffer(2, ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

struct server {
    struct acceptor *acceptor;
    struct MHD_Daemon *daemons[2];
    unsigned port;
};

static void loopback(struct sockaddr_storage *addr, unsigned port)
{
    memset(addr, 0, sizeof(*addr));
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void server_start(struct server *s, unsigned max_connections)
{
    char err[256];
    struct sockaddr_storage addr;
    loopback(&addr, 0);
    s->acceptor = acceptor_open(&addr, "https", err, sizeof(err));
    assert_non_null(s->acceptor);
    s->port = acceptor_port(s->acceptor);
    assert_true(s->port > 0);
    for (size_t i = 0; i < 2; i++) {
        s->daemons[i] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                             MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
                                         0, NULL, NULL, answer, NULL, MHD_OPTION_CONNECTION_LIMIT,
                                         64u, MHD_OPTION_NOTIFY_CONNECTION, acceptor_on_connection,
                                         acceptor_counter(s->acceptor, i), MHD_OPTION_END);
        assert_non_null(s->daemons[i]);
    }
    assert_int_equal(acceptor_start(s->acceptor, s->daemons, 2, max_connections, err, sizeof(err)),
                     0);
    nseen = 0;
}

static void server_stop(struct server *s)
{
    acceptor_close(s->acceptor);
    for (size_t i = 0; i < 2; i++)
        MHD_stop_daemon(s->daemons[i]);
    acceptor_free(s->acceptor); /* after the daemons: they count connections out in it */
}

/* The cases get a started server as their state, stopped after them: at most 64 connections, or
 * at most one. */
static struct server the_server;

static int start_server(void **state)
{
    server_start(&the_server, 64);
    *state = &the_server;
    return 0;
}

static int start_server_of_one(void **state)
{
    server_start(&the_server, 1);
    *state = &the_server;
    return 0;
}

static int stop_server(void **state)
{
    server_stop(*state);
    return 0;
}

/* ---- the client side (in the child) */

static int client_connect(unsigned port)
{
    struct sockaddr_storage addr;
    loopback(&addr, port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)) != 0)
        return -1;
    return fd;
}

/* Sends a keep-alive GET (unless send_request is 0); 1 when "200" arrives within wait_ms. */
static int client_ask(int fd, int wait_ms, int send_request)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    if (send_request && write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
        return 0;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, wait_ms) != 1)
        return 0;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

/* Runs fn(port) in a child process; returns its exit status (0 = as expected). */
static int in_child(int (*fn)(unsigned), unsigned port)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(port));
    int status = -1;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int eight_at_once(unsigned port)
{
    int fd[8];
    for (int i = 0; i < 8; i++)
        if ((fd[i] = client_connect(port)) < 0)
            return 1;
    for (int round = 0; round < 2; round++) /* twice: the connections stay open */
        for (int i = 0; i < 8; i++)
            if (!client_ask(fd[i], 5000, 1))
                return 2;
    return 0;
}

static int waits_for_a_free_slot(unsigned port)
{
    int first = client_connect(port);
    if (first < 0 || !client_ask(first, 5000, 1))
        return 1;
    int second = client_connect(port); /* the kernel completes it: it waits in the backlog */
    if (second < 0)
        return 2;
    if (client_ask(second, 300, 1))
        return 3; /* served beyond the limit */
    if (!client_ask(first, 5000, 1))
        return 4; /* the first connection is still served */
    close(first);
    return client_ask(second, 5000, 0) ? 0 : 5; /* the request sent above is answered now */
}

static int refused(unsigned port)
{
    return client_connect(port) < 0 ? 0 : 1;
}

/* ---- tests */

static void connections_opened_at_once_are_split_evenly(void **state)
{
    struct server *s = *state;
    assert_int_equal(in_child(eight_at_once, s->port), 0);
    pthread_mutex_lock(&seen_lock);
    assert_int_equal(nseen, 16);
    int same_as_first = 0;
    for (int i = 0; i < nseen; i++)
        same_as_first += pthread_equal(seen[i], seen[0]) != 0;
    pthread_mutex_unlock(&seen_lock);
    assert_int_equal(same_as_first, 8); /* 4 connections on each daemon, 2 requests each */
}

static void at_the_limit_a_client_waits_until_a_connection_closes(void **state)
{
    struct server *s = *state;
    assert_int_equal(in_child(waits_for_a_free_slot, s->port), 0);
}

static void a_closed_acceptor_refuses_new_clients(void **state)
{
    struct server *s = *state;
    unsigned port = s->port;
    acceptor_close(s->acceptor);
    acceptor_close(s->acceptor); /* idempotent */
    assert_int_equal(in_child(refused, port), 0);
}

static void a_port_in_use_is_one_line(void **state)
{
    struct server *s = *state;
    char err[256] = "";
    struct sockaddr_storage addr;
    loopback(&addr, s->port);
    assert_null(acceptor_open(&addr, "https", err, sizeof(err)));
    assert_string_equal(err, "Address already in use");
}

/* Reads tests/fuzz/corpus/fuzz_client_hello/<name> into buf; its size. */
static size_t read_hello(const char *name, unsigned char *buf, size_t cap)
{
    char path[4096];
    const char *src = getenv("MW_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_client_hello/%s", src ? src : ".",
             name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void client_hello_versions(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int version;
    } hellos[] = {
        {"openssl-tls1_1.bin", 0x0302},
        {"openssl-tls1_2.bin", 0x0303},
        {"openssl-tls1_3.bin", 0x0304},
        {"openssl-default.bin", 0x0304},
        {"tls1_3-body-only.bin", 0x0304},
        {"grease-then-tls1_1.bin", 0x0302}, /* GREASE is skipped */
        {"truncated.bin", 0x0303},          /* the legacy version */
    };
    unsigned char buf[4096];
    for (size_t i = 0; i < ROWS(hellos); i++) {
        size_t n = read_hello(hellos[i].file, buf, sizeof(buf));
        assert_row_int_equal(hellos[i].file, acceptor_offered_tls_version(buf, n),
                             hellos[i].version);
    }
    assert_int_equal(acceptor_offered_tls_version(buf, 10), 0); /* too short to tell */
}

TEST_MAIN(cmocka_unit_test_setup_teardown(connections_opened_at_once_are_split_evenly, start_server,
                                          stop_server),
          cmocka_unit_test_setup_teardown(at_the_limit_a_client_waits_until_a_connection_closes,
                                          start_server_of_one, stop_server),
          cmocka_unit_test_setup_teardown(a_closed_acceptor_refuses_new_clients, start_server,
                                          stop_server),
          cmocka_unit_test_setup_teardown(a_port_in_use_is_one_line, start_server, stop_server),
          cmocka_unit_test(client_hello_versions))
