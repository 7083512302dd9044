/*
 * certs/certs_cmd.c - `migration-webhook certs create --host NAMES --out-dir
 * DIR [--days N]`: writes ca.crt, tls.crt and tls.key (0600) for the webhook
 * Service names given in --host (comma-separated).  `certs patch` (the same
 * inside the cluster) is in certs/patch.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certs/args.h"
#include "certs/certs.h"
#include "certs/limits.h"
#include "certs/patch.h"

static int certs_create(int argc, char **argv)
{
    const char *host_arg = NULL, *out_dir = NULL, *days_arg = NULL;
    const struct certs_option options[] = {
        {"host", 'H', &host_arg},
        {"out-dir", 'o', &out_dir},
        {"days", 'd', &days_arg},
    };
    int parsed = certs_parse_options(argc, argv, "create", ":h", options,
                                     sizeof(options) / sizeof(options[0]), false);
    if (parsed)
        return parsed == 1 ? 0 : 2;
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
