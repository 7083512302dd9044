/*
 * tests/fuzz/fuzz_yaml.c - libFuzzer target: the bytes are a file under
 * --cluster-dir, read by yaml_parse() (kube/yaml.c).  Either a cJSON value
 * or an error line comes back, never both, never neither.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kube/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    cJSON *doc = yaml_parse((const char *)data, size, "fuzz.yaml", err, sizeof(err));
    if (!doc && err[0] == '\0')
        abort(); /* a failure always says why */
    cJSON_Delete(doc);
    return 0;
}
