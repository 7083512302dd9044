/*
 * server/check_explain.h - `check` explains the requirements R of the
 * migration target pod: what it derived and where each item came from
 * (source pod, VMI, VMIM, source node), in the JSON report and as text.
 */
#ifndef MW_SERVER_CHECK_EXPLAIN_H
#define MW_SERVER_CHECK_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "rules/target_node.h"

/*
 * Adds "requirements" to `report`: {renderedFrom, sourcePod, sourceNode,
 * nodeSelector[{key, value, from, step}], nodeAffinity, nodeAffinityFrom,
 * tolerations[], tolerationsFrom, hostModel, hostModelUnknown}.  Nothing on
 * out of memory (the report is then incomplete, never wrong).
 */
void check_explain_add(cJSON *report, const struct migration_ctx *ctx);

/* Prints the report's "requirements" as text (nothing when absent). */
void check_explain_print(const cJSON *report, FILE *out, bool color);

#endif
