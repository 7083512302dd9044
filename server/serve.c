/*
 * server/serve.c - `migration-webhook serve`: parse the options, load the
 * configuration and the cluster view, start the HTTPS server, wait for a signal.
 */
#include <stdio.h>
#include <string.h>

#include "server/commands.h"

int cmd_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: migration-webhook serve [--config FILE] [--listen ADDR:PORT] "
                   "[--tls-cert FILE --tls-key FILE] [--client-ca FILE] "
                   "[--cluster-dir DIR | --kubeconfig FILE] [--dev]\n");
            return 0;
        }
    fprintf(stderr, "migration-webhook serve: the server is not built yet\n");
    return 2;
}
