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

/* Widest line of the --node and --all tables, in terminal columns. */
#define CHECK_TABLE_WIDTH 100

/*
 * `check --node`: one row per VM on the node (eviction strategy, what the
 * drain does with it, candidate nodes, first reason), then the summary line.
 */
void check_print_node(const cJSON *report, FILE *out, bool color);

/* `check --all`: one row per VM, then the counts per verdict and per rule. */
void check_print_all(const cJSON *report, FILE *out, bool color);

/*
 * Terminal columns of UTF-8 `s` (one per character), and the number of bytes
 * of its longest prefix that fits `width` columns with a trailing "…" when it
 * had to be cut (*cut set).
 */
size_t check_text_columns(const char *s);
size_t check_fit_prefix(const char *s, size_t width, bool *cut);

#endif
