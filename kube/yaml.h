/*
 * kube/yaml.h - YAML (and JSON, which is YAML) to cJSON, through libyaml.
 *
 * Scalars follow the YAML 1.2 core schema: plain `true`/`false` are booleans,
 * `null`/`~`/empty are null, plain integers and floats are numbers, and
 * everything else -- including every quoted scalar, and `yes`/`no` -- is a
 * string.  Anchors and aliases are resolved; merge keys are not supported.
 */
#ifndef MW_KUBE_YAML_H
#define MW_KUBE_YAML_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "kube/limits.h" /* MW_MAX_FILE_BYTES, MW_MAX_YAML_* */

/*
 * Parses `len` bytes of `text` (one or more YAML documents) into a cJSON
 * array with one item per non-empty document.  `name` is used in errors.
 * Returns the array (caller frees with cJSON_Delete), or NULL with one line in
 * err: "<name>:<line>:<column>: <problem>".
 */
cJSON *yaml_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);

/* yaml_parse on the contents of a file (at most MW_MAX_FILE_BYTES). */
cJSON *yaml_parse_file(const char *path, char *err, size_t errlen);

#endif
