/*
 * server/commands.h - the subcommands of the migration-webhook binary.
 * Each takes argv with argv[0] = the command name and returns the exit code;
 * `certs` is cmd_certs of certs/certs.h.
 */
#ifndef MW_SERVER_COMMANDS_H
#define MW_SERVER_COMMANDS_H

int cmd_serve(int argc, char **argv); /* server/serve.c */
int cmd_check(int argc, char **argv); /* server/check.c */

#endif
