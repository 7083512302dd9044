/*
 * certs/args.h - the command-line pieces the certs subcommands share.
 */
#ifndef MW_CERTS_ARGS_H
#define MW_CERTS_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Usage text of the certs command. */
extern const char certs_usage[];

/* An option of a certs subcommand: --name VALUE (or -letter VALUE where `shorts` has it). */
struct certs_option {
    const char *name;
    char letter;
    const char **value; /* where the value goes */
};

/* The most options a certs subcommand has, --help aside. */
#define CERTS_MAX_OPTIONS 8

/*
 * One getopt_long pass over the arguments of `certs <command>` (argv[0] the
 * command): each option's value to its place, --help or -h prints the usage.
 * `shorts` is getopt's short-option string; with `nonempty` an empty value
 * "needs a value".  0, 1 after the usage was printed, or 2 after printing one
 * error line "certs <command>: ...".
 */
int certs_parse_options(int argc, char **argv, const char *command, const char *shorts,
                        const struct certs_option *opts, size_t n, bool nonempty);

/*
 * Splits "a,b,c" in place into `hosts` (pointers into `list`).  Returns the
 * count, or -1 when there are more than `max` or an empty name.
 */
int certs_split_hosts(char *list, const char **hosts, int max);

/* Parses --days: 1 to MW_CERT_MAX_DAYS.  Returns 0, or -1 when out of range or not a number. */
int certs_parse_days(const char *s, int *days);

#endif
