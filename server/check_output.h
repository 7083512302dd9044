/*
 * server/check_output.h - the report of `migration-webhook check`: built once
 * as a JSON document (the `-o json` output, shape documented in README.md),
 * and rendered as text from that same document.
 */
#ifndef MW_SERVER_CHECK_OUTPUT_H
#define MW_SERVER_CHECK_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

/* Prints the report as text; `color` adds ANSI colours (a terminal without NO_COLOR). */
void check_print_text(const cJSON *report, FILE *out, bool color);

#endif
