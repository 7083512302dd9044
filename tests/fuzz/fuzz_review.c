/*
 * tests/fuzz/fuzz_review.c - libFuzzer target: the bytes are the body of a
 * POST, handed to admission_review() (the function the HTTPS front calls) on
 * both /validate and /mutate, with the rule table `serve` uses and the example
 * cluster (examples/cluster) as the cluster view.  So one input exercises the
 * codec, every rule it dispatches to, and the JSON-Patch building.
 *
 * Beyond "no crash": an answer is either a 200 whose body parses as JSON, or
 * a 4xx/5xx with the one-line error body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cluster/static.h"
#include "rules/rules.h"
#include "server/admission.h"
#include "server/limits.h"

#ifndef MW_SOURCE_DIR
#define MW_SOURCE_DIR "."
#endif

static struct rule_settings settings;
static struct admission_context context;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("MW_FUZZ_CLUSTER_DIR");
    if (!dir)
        dir = MW_SOURCE_DIR "/examples/cluster";
    char err[512] = "";
    struct cluster_view *view = static_view_load(dir, err, sizeof(err));
    if (!view) {
        fprintf(stderr, "fuzz_review: %s\n", err);
        exit(1);
    }
    rule_settings_default(&settings);
    context.handlers = &admission_rule_handlers;
    context.settings = &settings;
    context.view = view; /* lives as long as the process */
    context.timeout_margin_ms = MW_REVIEW_TIMEOUT_MARGIN_MS;
    return 0;
}

static void check_answer(const struct admission_outcome *out)
{
    if (!out->body)
        abort(); /* every outcome carries a body */
    cJSON *parsed = cJSON_ParseWithLength(out->body, out->body_len);
    if (!parsed)
        abort(); /* never a partial answer */
    if (out->status == 200 && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(parsed, "response")))
        abort();
    cJSON_Delete(parsed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MW_HTTP_MAX_BODY_BYTES)
        return 0;
    static const enum admission_path paths[] = {ADMISSION_VALIDATE, ADMISSION_MUTATE};
    for (size_t i = 0; i < 2; i++) {
        struct admission_outcome out;
        admission_review(&context, paths[i], (const char *)data, size, "10s", &out);
        check_answer(&out);
        admission_outcome_free(&out);
    }
    return 0;
}
