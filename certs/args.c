/*
 * certs/args.c - what the certs subcommands (certs/certs_cmd.c, certs/patch.c)
 * share on their command lines: the usage text, the option scan, --host and
 * --days.
 */
#include "certs/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/limits.h"

const char certs_usage[] =
    "usage: migration-webhook certs create --host NAME[,NAME...] --out-dir DIR [--days N]\n"
    "       migration-webhook certs patch --namespace NS --secret-name S --host NAME[,NAME...]\n"
    "                                     [--webhook-name W] [--days N] [--kubeconfig FILE]\n"
    "\n"
    "  create   make a private CA (ca.crt) and a serving certificate for the hosts\n"
    "           (tls.crt, tls.key), ECDSA P-256; IP addresses become IP SANs\n"
    "  patch    in the cluster (in-cluster service account, or --kubeconfig): create the\n"
    "           kubernetes.io/tls Secret NS/S (ca.crt, tls.crt, tls.key) unless it exists\n"
    "           (an existing one is kept), and with --webhook-name set its CA as the\n"
    "           caBundle of every webhook of the Validating- and MutatingWebhookConfiguration W\n"
    "           (exit 1 when they do not exist yet)\n";

int certs_split_hosts(char *list, const char **hosts, int max)
{
    int n = 0;
    char *save = NULL;
    if (strstr(list, ",,") || list[0] == ',' || (*list && list[strlen(list) - 1] == ','))
        return -1;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return -1;
        hosts[n++] = tok;
    }
    return n;
}

int certs_parse_days(const char *s, int *days)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > MW_CERT_MAX_DAYS)
        return -1;
    *days = (int)v;
    return 0;
}

int certs_parse_options(int argc, char **argv, const char *command, const char *shorts,
                        const struct certs_option *opts, size_t n, bool nonempty)
{
    struct option options[CERTS_MAX_OPTIONS + 2];
    for (size_t i = 0; i < n; i++)
        options[i] = (struct option){opts[i].name, required_argument, NULL, opts[i].letter};
    options[n] = (struct option){"help", no_argument, NULL, 'h'};
    options[n + 1] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* a fresh scan */
    int opt;
    while ((opt = getopt_long(argc, argv, shorts, options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(certs_usage, stdout);
            return 1;
        }
        const struct certs_option *o = NULL;
        for (size_t i = 0; !o && i < n; i++)
            if (opts[i].letter == opt)
                o = &opts[i];
        if (opt == ':' || (o && nonempty && !*optarg)) {
            fprintf(stderr, "certs %s: %s needs a value\n", command, argv[optind - 1]);
            return 2;
        }
        if (!o) {
            fprintf(stderr, "certs %s: unknown option \"%s\" (try --help)\n", command,
                    argv[optind - 1]);
            return 2;
        }
        *o->value = optarg;
    }
    if (optind < argc) {
        fprintf(stderr, "certs %s: unexpected argument \"%s\" (try --help)\n", command,
                argv[optind]);
        return 2;
    }
    return 0;
}
