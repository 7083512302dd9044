/*
 * server/main.c - the migration-webhook command line: picks the subcommand
 * and hands it the remaining arguments.  Each command lives in its own file
 * and returns the process exit code (0 ok, 1 "no" for check, 2 usage/input).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "server/commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_version(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 0; /* a fresh scan */
    int opt;
    while (argv && (opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: migration-webhook version\n\nPrints the version.\n");
            return 0;
        }
        fprintf(stderr, "migration-webhook version: unknown option \"%s\" (try --help)\n",
                argv[optind - 1]);
        return 2;
    }
    if (argv && optind < argc) {
        fprintf(stderr, "migration-webhook version: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    printf("migration-webhook %s\n", MW_VERSION);
    return 0;
}

static const struct command commands[] = {
    {"serve", cmd_serve, "run the admission webhook server"},
    {"check", cmd_check, "explain whether a VM can be live-migrated, and where to"},
    {"certs", cmd_certs, "make a CA and a serving certificate"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: migration-webhook <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'migration-webhook <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "migration-webhook: unknown command \"%s\" (try --help)\n", argv[1]);
    return 2;
}
