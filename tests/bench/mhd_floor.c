/*
 * tests/bench/mhd_floor.c - the floor of our HTTP stack: libmicrohttpd over
 * GnuTLS with the options server/http.c uses (one daemon with its own epoll
 * thread per core, fed by server/acceptor.c, the same TLS priorities and
 * per-connection memory), reading
 * each POST body and answering a canned body, with no JSON and no decision.
 * tests/bench/bench_http.sh puts it between nginx and the webhook, to tell the
 * cost of the HTTP/TLS library from the cost of the review itself.
 *
 *   mhd_floor CERT KEY ANSWER_FILE PORT
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/acceptor.h"
#include "server/limits.h"

static char *answer;
static size_t answer_len;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* Consumes the body (counting it, as the server copies it), then answers. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    if (*state == NULL) {
        *state = conn; /* first call: headers only */
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(answer_len, answer, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: mhd_floor CERT KEY ANSWER_FILE PORT\n");
        return 2;
    }
    size_t n;
    char *cert = read_file(argv[1], &n), *key = read_file(argv[2], &n);
    answer = read_file(argv[3], &answer_len);
    if (!cert || !key || !answer) {
        fprintf(stderr, "mhd_floor: cannot read the certificate, key or answer\n");
        return 2;
    }
    /* The server's own front: its acceptor (server/acceptor.c) feeding the worker pool. */
    char err[256];
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[4])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_storage listen_addr;
    memset(&listen_addr, 0, sizeof(listen_addr));
    memcpy(&listen_addr, &addr, sizeof(addr));
    struct acceptor *a = acceptor_open(&listen_addr, "https", err, sizeof(err));
    if (!a) {
        fprintf(stderr, "mhd_floor: cannot listen on port %s: %s\n", argv[4], err);
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nd = cores < 1 ? 1 : cores > MW_HTTP_MAX_THREADS ? MW_HTTP_MAX_THREADS : (size_t)cores;
    struct MHD_Daemon *d[MW_HTTP_MAX_THREADS];
    for (size_t i = 0; i < nd; i++) {
        d[i] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS |
                                    MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
                                0, NULL, NULL, on_request, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert,
                                MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_PRIORITIES,
                                MW_HTTP_TLS_PRIORITIES, MHD_OPTION_CONNECTION_TIMEOUT,
                                (unsigned)MW_HTTP_CONNECTION_TIMEOUT_S,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                (size_t)MW_HTTP_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_CONNECTION,
                                acceptor_on_connection, acceptor_counter(a, i), MHD_OPTION_END);
        if (!d[i]) {
            fprintf(stderr, "mhd_floor: cannot start on port %s\n", argv[4]);
            return 2;
        }
    }
    if (acceptor_start(a, d, nd, MW_HTTP_MAX_CONNECTIONS, err, sizeof(err)) != 0) {
        fprintf(stderr, "mhd_floor: %s\n", err);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    acceptor_close(a);
    for (size_t i = 0; i < nd; i++)
        MHD_stop_daemon(d[i]);
    acceptor_free(a);
    free(cert);
    free(key);
    free(answer);
    return 0;
}
