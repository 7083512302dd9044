/*
 * server/check_output.c - rendering `check`'s JSON report as text for a
 * terminal: one verdict line, the violations with their rule ids, warnings,
 * the CPU model in force, the candidate nodes with the reason each excluded
 * one is excluded, and the timeouts with their arithmetic.
 */
#include "server/check_output.h"

#include "server/check_explain.h"

#include <string.h>

struct palette {
    const char *ok, *bad, *dim, *bold, *reset;
};

static const struct palette plain = {"", "", "", "", ""};
static const struct palette ansi = {"\033[32m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"};
/* The --node table: a VM the drain shuts down or leaves to another controller in yellow. */
static const struct palette ansi_drain = {"\033[32m", "\033[31m", "\033[33m", "\033[1m", "\033[0m"};

static const char *str(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return s ? s : "";
}

static double num(const cJSON *obj, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

static void print_findings(FILE *out, const cJSON *report, const struct palette *p)
{
    const cJSON *violations = cJSON_GetObjectItemCaseSensitive(report, "violations");
    const cJSON *v;
    if (cJSON_GetArraySize(violations) > 0) {
        fprintf(out, "\n%sViolations%s\n", p->bold, p->reset);
        cJSON_ArrayForEach (v, violations) {
            const char *mode = str(v, "mode");
            fprintf(out, "  %s%-20s%s %s%s\n", strcmp(mode, "deny") == 0 ? p->bad : p->dim,
                    str(v, "rule"), p->reset, str(v, "message"),
                    strcmp(mode, "deny") == 0 ? "" : "  (warn only)");
        }
    }
    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(report, "warnings");
    if (cJSON_GetArraySize(warnings) > 0) {
        fprintf(out, "\n%sWarnings%s\n", p->bold, p->reset);
        cJSON_ArrayForEach (v, warnings)
            fprintf(out, "  %s\n", cJSON_GetStringValue(v));
    }
}

static void print_cpu(FILE *out, const cJSON *report, const struct palette *p)
{
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(report, "cpu");
    if (!cJSON_IsObject(cpu))
        return;
    fprintf(out, "\n%sCPU model%s\n", p->bold, p->reset);
    fprintf(out, "  %s (from %s)\n", str(cpu, "model"), str(cpu, "source"));
    if (*str(cpu, "hostModel"))
        fprintf(out, "  host CPU model %s of node %s\n", str(cpu, "hostModel"),
                str(cpu, "sourceNode"));
    else if (strcmp(str(cpu, "model"), "host-model") == 0)
        fprintf(out,
                "  host CPU model unknown (%s): it will only move between nodes with the host CPU "
                "model of "
                "the node it runs on\n",
                *str(cpu, "sourceNode") ? "its node has no host-model-cpu.node.kubevirt.io label"
                                        : "not running on a node");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cpu, "requiredNodeLabels");
    const cJSON *l;
    if (cJSON_GetArraySize(labels) > 0) {
        fprintf(out, "  the target node needs the labels%s:\n",
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cpu, "fromSourcePod"))
                    ? " (as on the source pod: it migrated before)"
                    : "");
        cJSON_ArrayForEach (l, labels)
            fprintf(out, "    %s=true\n", cJSON_GetStringValue(l));
    } else {
        fprintf(out, "  no CPU constraint on the target node\n");
    }
}

static void print_nodes(FILE *out, const cJSON *report, const struct palette *p)
{
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(report, "targetNode");
    if (cJSON_IsObject(target)) {
        fprintf(out, "\n%sTarget node%s\n", p->bold, p->reset);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(target, "eligible")))
            fprintf(out, "  %s%s%s can take it\n", p->ok, str(target, "node"), p->reset);
        else
            fprintf(out, "  %s%s%s %s\n", p->bad, str(target, "node"), p->reset,
                    str(target, "reason"));
        return;
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(report, "candidates");
    if (!cJSON_IsArray(nodes))
        return;
    fprintf(out, "\n%sCandidate target nodes%s\n", p->bold, p->reset);
    if (cJSON_GetArraySize(nodes) == 0)
        fprintf(out, "  there is no other node\n");
    const cJSON *n;
    cJSON_ArrayForEach (n, nodes) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "eligible")))
            fprintf(out, "  %s%-20s%s eligible\n", p->ok, str(n, "node"), p->reset);
        else
            fprintf(out, "  %s%-20s%s %s%s%s\n", p->dim, str(n, "node"), p->reset, p->dim,
                    str(n, "reason"), p->reset);
    }
}

static void print_timeouts(FILE *out, const cJSON *report, const struct palette *p)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(report, "timeouts");
    if (!cJSON_IsObject(t))
        return;
    fprintf(out, "\n%sTimeouts%s\n", p->bold, p->reset);
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "error"))) {
        fprintf(out, "  unknown: %s\n", str(t, "error"));
        return;
    }
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(t, "memoryBytes"))) {
        fprintf(out, "  completion: unknown (%s)\n", str(t, "memorySource"));
    } else {
        fprintf(out, "  memory: %s = %.0f bytes (%s)\n", str(t, "memory"), num(t, "memoryBytes"),
                str(t, "memorySource"));
        fprintf(out, "  completion: %.0f s/GiB x %.0f = %.0f s (%s)\n",
                num(t, "completionTimeoutPerGiB"), num(t, "dataSize"),
                num(t, "completionTimeoutSeconds"), str(t, "perGiBSource"));
    }
    fprintf(out, "  progress: %.0f s (%s)\n", num(t, "progressTimeoutSeconds"),
            str(t, "progressSource"));
    fprintf(out, "  from: %s\n", str(t, "from"));
}

void check_print_text(const cJSON *report, FILE *out, bool color)
{
    const struct palette *p = color ? &ansi : &plain;
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "migratable"));
    fprintf(out, "%sVM %s %s%s\n", ok ? p->ok : p->bad, str(report, "vm"),
            ok ? "can be live-migrated" : "cannot be live-migrated", p->reset);
    print_findings(out, report, p);
    print_cpu(out, report, p);
    check_explain_print(report, out, color);
    print_nodes(out, report, p);
    print_timeouts(out, report, p);
}

/* ---- the tables of --node and --all ---- */

size_t check_text_columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

size_t check_fit_prefix(const char *s, size_t width, bool *cut)
{
    *cut = false;
    if (check_text_columns(s) <= width)
        return strlen(s);
    *cut = true;
    if (width == 0)
        return 0;
    size_t cols = 0, i = 0;
    /* width - 1 characters, then the ellipsis */
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (cols == width - 1)
                break;
            cols++;
        }
    }
    return i;
}

#define MAX_COLS 6

/* The text of a row's cell in column `col` (into buf when it is built). */
typedef const char *cell_fn(const cJSON *row, size_t col, char *buf, size_t len);

struct column {
    const char *title;
    size_t cap; /* widest the column may be (0 = the rest of the line) */
};

/* The status cell of a row: coloured ok when the row's `key` is `ok`, bad when `bad`, else dim. */
struct status {
    size_t col;
    const char *key, *ok, *bad;
};

/* A table of VMs.  Both end with TARGETS and REASON; `cell` gives the columns before them. */
struct table {
    size_t ncols;
    struct column columns[MAX_COLS];
    cell_fn *cell;
    struct status status;
    size_t width[MAX_COLS]; /* computed */
};

static const char *count_text(const cJSON *row, char *buf, size_t len);
static const char *reason_text(const cJSON *row, char *buf, size_t len);

static const char *table_cell(const struct table *t, const cJSON *row, size_t col, char *buf,
                              size_t len)
{
    if (col + 2 == t->ncols)
        return count_text(row, buf, len);
    if (col + 1 == t->ncols)
        return reason_text(row, buf, len);
    return t->cell(row, col, buf, len);
}

static const char *status_color(const struct table *t, const cJSON *row, const struct palette *p)
{
    const char *status = str(row, t->status.key);
    return strcmp(status, t->status.ok) == 0    ? p->ok
           : strcmp(status, t->status.bad) == 0 ? p->bad
                                                : p->dim;
}

/* One cell: `text` cut to the column's width with "…", padded unless last; colour around it. */
static void print_cell(FILE *out, const char *text, size_t width, bool last, const char *color,
                       const char *reset)
{
    bool cut;
    size_t n = check_fit_prefix(text, width, &cut);
    size_t cols = cut ? width : check_text_columns(text);
    fprintf(out, "%s%.*s%s%s", color, (int)n, text, cut ? "…" : "", reset);
    if (!last)
        fprintf(out, "%*s", (int)(width - cols + 2), "");
}

/* Column widths from the titles and the cells of every row. */
static void size_columns(struct table *t, const cJSON *rows)
{
    size_t fixed = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        t->width[c] = check_text_columns(t->columns[c].title);
        const cJSON *row;
        char buf[512];
        cJSON_ArrayForEach (row, rows) {
            size_t w = check_text_columns(table_cell(t, row, c, buf, sizeof(buf)));
            if (w > t->width[c])
                t->width[c] = w;
        }
        if (t->columns[c].cap && t->width[c] > t->columns[c].cap)
            t->width[c] = t->columns[c].cap;
        if (c + 1 < t->ncols)
            fixed += t->width[c] + 2;
    }
    size_t last = t->ncols - 1;
    size_t room = fixed < CHECK_TABLE_WIDTH ? CHECK_TABLE_WIDTH - fixed : 1;
    if (t->width[last] > room)
        t->width[last] = room;
}

static void print_titles(FILE *out, const struct table *t, const struct palette *p)
{
    for (size_t c = 0; c < t->ncols; c++)
        print_cell(out, t->columns[c].title, t->width[c], c + 1 == t->ncols, p->bold, p->reset);
    fputc('\n', out);
}

/* The whole table: widths, titles, then one line per row, its status cell in colour. */
static void print_table(FILE *out, struct table *t, const cJSON *rows, const struct palette *p)
{
    size_columns(t, rows);
    print_titles(out, t, p);
    const cJSON *row;
    cJSON_ArrayForEach (row, rows) {
        const char *c = status_color(t, row, p);
        char buf[512];
        for (size_t col = 0; col < t->ncols; col++)
            print_cell(out, table_cell(t, row, col, buf, sizeof(buf)), t->width[col],
                       col + 1 == t->ncols, col == t->status.col ? c : "",
                       col == t->status.col ? p->reset : "");
        fputc('\n', out);
    }
}

static const char *count_text(const cJSON *row, char *buf, size_t len)
{
    const cJSON *cand = cJSON_GetObjectItemCaseSensitive(row, "candidates");
    if (!cJSON_IsArray(cand))
        return "-";
    snprintf(buf, len, "%d", cJSON_GetArraySize(cand));
    return buf;
}

static const char *outcome_text(const char *outcome)
{
    if (strcmp(outcome, "live-migrate") == 0)
        return "migrates";
    if (strcmp(outcome, "blocks-drain") == 0)
        return "BLOCKS";
    if (strcmp(outcome, "shut-down") == 0)
        return "shut down";
    return "external";
}

/* The reason column: the first reason; for a VM that moves, where to. */
static const char *reason_text(const cJSON *row, char *buf, size_t len)
{
    const char *reason = str(row, "reason");
    const char *outcome = str(row, "outcome");
    if (*outcome && strcmp(outcome, "shut-down") == 0 &&
        strcmp(str(row, "evictionStrategy"), "LiveMigrateIfPossible") != 0) {
        snprintf(buf, len, "evictionStrategy %s: the drain shuts it down",
                 str(row, "evictionStrategy"));
        return buf;
    }
    if (*outcome && strcmp(outcome, "external") == 0)
        return "evictionStrategy External: left to an external controller";
    if (*reason || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "migratable")))
        return reason;
    const cJSON *cand = cJSON_GetObjectItemCaseSensitive(row, "candidates");
    const cJSON *c;
    size_t used = (size_t)snprintf(buf, len, "to");
    cJSON_ArrayForEach (c, cand) {
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s %s", c == cand->child ? "" : ",",
                                     cJSON_GetStringValue(c));
    }
    return buf;
}

static const char *node_cell(const cJSON *row, size_t col, char *buf, size_t len)
{
    switch (col) {
    case 0:
        snprintf(buf, len, "%s/%s", str(row, "namespace"), str(row, "name"));
        return buf;
    case 1:
        return str(row, "evictionStrategy");
    default:
        return outcome_text(str(row, "outcome"));
    }
}

void check_print_node(const cJSON *report, FILE *out, bool color)
{
    const struct palette *p = color ? &ansi_drain : &plain;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(report, "vms");
    if (cJSON_GetArraySize(rows) > 0) {
        struct table t = {
            .ncols = 5,
            .columns =
                {{"VM", 32}, {"EVICTION", 21}, {"ON DRAIN", 9}, {"TARGETS", 7}, {"REASON", 0}},
            .cell = node_cell,
            .status = {2, "outcome", "live-migrate", "blocks-drain"},
        };
        print_table(out, &t, rows, p);
        fputc('\n', out);
    }
    bool blocked = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(report, "blocking")) > 0;
    if (blocked) {
        /* what blocks the drain, in full: the table cuts it */
        fprintf(out, "%sBlocking the drain%s\n", p->bold, p->reset);
        const cJSON *row;
        cJSON_ArrayForEach (row, rows)
            if (strcmp(str(row, "outcome"), "blocks-drain") == 0)
                fprintf(out, "  %s/%s: %s\n", str(row, "namespace"), str(row, "name"),
                        str(row, "reason"));
        fputc('\n', out);
    }
    fprintf(out, "%s%s%s\n", blocked ? p->bad : p->ok, str(report, "summary"), p->reset);
}

static const char *all_cell(const cJSON *row, size_t col, char *buf, size_t len)
{
    switch (col) {
    case 0:
        return str(row, "namespace");
    case 1:
        return str(row, "name");
    case 2:
        return *str(row, "node") ? str(row, "node") : "-";
    default:
        return str(row, "verdict");
    }
}

void check_print_all(const cJSON *report, FILE *out, bool color)
{
    const struct palette *p = color ? &ansi : &plain;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(report, "vms");
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(report, "counts");
    if (cJSON_GetArraySize(rows) == 0) {
        if (*str(report, "namespace"))
            fprintf(out, "no VMs in namespace %s\n", str(report, "namespace"));
        else
            fprintf(out, "no VMs in the cluster\n");
        return;
    }
    struct table t = {
        .ncols = 6,
        .columns = {{"NAMESPACE", 16},
                    {"NAME", 24},
                    {"NODE", 12},
                    {"VERDICT", 11},
                    {"TARGETS", 7},
                    {"REASON", 0}},
        .cell = all_cell,
        .status = {3, "verdict", "migratable", "blocked"},
    };
    print_table(out, &t, rows, p);
    fprintf(out, "\n%.0f VMs: %.0f migratable, %.0f blocked, %.0f not running\n",
            num(counts, "vms"), num(counts, "migratable"), num(counts, "blocked"),
            num(counts, "notRunning"));
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(report, "rules");
    if (cJSON_GetArraySize(rules) > 0) {
        /* "by rule: cdrom 1, gpu 1, ..." wrapped at the table's width */
        size_t col = (size_t)fprintf(out, "by rule:");
        const cJSON *r;
        bool first = true;
        cJSON_ArrayForEach (r, rules) {
            char item[96];
            snprintf(item, sizeof(item), "%s %d", r->string, r->valueint);
            size_t need = strlen(item) + (first ? 1 : 2);
            if (!first && col + need > CHECK_TABLE_WIDTH) {
                fprintf(out, ",\n        ");
                col = 8;
                need = strlen(item) + 1;
            } else if (!first) {
                fputc(',', out);
                col++;
                need--;
            }
            col += (size_t)fprintf(out, " %s", item);
            (void)need;
            first = false;
        }
        fputc('\n', out);
    }
}
