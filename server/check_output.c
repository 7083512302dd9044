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
    static const struct palette plain = {"", "", "", "", ""};
    static const struct palette ansi = {"\033[32m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"};
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
