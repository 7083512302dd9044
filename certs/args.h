/*
 * certs/args.h - the command-line pieces the certs subcommands share.
 */
#ifndef MW_CERTS_ARGS_H
#define MW_CERTS_ARGS_H

/* Usage text of the certs command. */
extern const char certs_usage[];

/*
 * Splits "a,b,c" in place into `hosts` (pointers into `list`).  Returns the
 * count, or -1 when there are more than `max` or an empty name.
 */
int certs_split_hosts(char *list, const char **hosts, int max);

/* Parses --days: 1 to MW_CERT_MAX_DAYS.  Returns 0, or -1 when out of range or not a number. */
int certs_parse_days(const char *s, int *days);

#endif
