/*
 * certs/certs_cmd.c - `migration-webhook certs create --host NAMES --out-dir
 * DIR [--days N]`: writes ca.crt, tls.crt and tls.key (0600) for the webhook
 * Service names given in --host (comma-separated).  `certs patch` (the same
 * inside the cluster) is in certs/patch.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certs/certs.h"
#include "certs/patch.h"
#include "server/commands.h"
#include "server/limits.h"

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

static int certs_create(int argc, char **argv)
{
    const char *host_arg = NULL, *out_dir = NULL, *days_arg = NULL;
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},
        {"out-dir", required_argument, NULL, 'o'},
        {"days", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 0; /* a fresh scan */
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(certs_usage, stdout);
            return 0;
        case 'H':
            host_arg = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'd':
            days_arg = optarg;
            break;
        case ':':
            fprintf(stderr, "certs create: %s needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "certs create: unknown option \"%s\" (try --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "certs create: unexpected argument \"%s\" (try --help)\n", argv[optind]);
        return 2;
    }
    if (!host_arg || !out_dir) {
        fprintf(stderr, "certs create: --host and --out-dir are required (try --help)\n");
        return 2;
    }
    int days = MW_CERT_DEFAULT_DAYS;
    if (days_arg && certs_parse_days(days_arg, &days) != 0) {
        fprintf(stderr, "certs create: --days must be a whole number from 1 to %d\n",
                MW_CERT_MAX_DAYS);
        return 2;
    }
    char *list = strdup(host_arg);
    const char *hosts[MW_CERT_MAX_HOSTS];
    int n = list ? certs_split_hosts(list, hosts, MW_CERT_MAX_HOSTS) : -1;
    if (n <= 0) {
        fprintf(stderr, "certs create: --host must be 1 to %d comma-separated names\n",
                MW_CERT_MAX_HOSTS);
        free(list);
        return 2;
    }
    struct stat st;
    if (stat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "certs create: %s is not a directory\n", out_dir);
        free(list);
        return 2;
    }
    char err[512];
    struct certs_bundle b;
    int rc = 0;
    if (certs_generate(hosts, (size_t)n, days, &b, err, sizeof(err)) != 0 ||
        certs_write_dir(&b, out_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "certs create: %s\n", err);
        rc = 2;
    } else {
        printf("wrote %s/ca.crt, %s/tls.crt, %s/tls.key (valid %d days)\n", out_dir, out_dir,
               out_dir, days);
    }
    certs_bundle_free(&b);
    free(list);
    return rc;
}

int cmd_certs(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(certs_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "create") == 0)
        return certs_create(argc - 1, argv + 1);
    if (strcmp(argv[1], "patch") == 0)
        return certs_patch(argc - 1, argv + 1);
    fprintf(stderr, "certs: unknown subcommand \"%s\" (try --help)\n", argv[1]);
    return 2;
}
