/*
 * cluster/yaml.h - YAML (and JSON, which is YAML) to cJSON, through libyaml.
 *
 * Scalars follow the YAML 1.2 core schema: plain `true`/`false` are booleans,
 * `null`/`~`/empty are null, plain integers and floats are numbers, and
 * everything else -- including every quoted scalar, and `yes`/`no` -- is a
 * string.  Anchors and aliases are resolved; merge keys are not supported.
 */
#ifndef MW_CLUSTER_YAML_H
#define MW_CLUSTER_YAML_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Limits of the YAML reader (the cluster side keeps its limits here). */
#define MW_MAX_FILE_BYTES (64u * 1024u * 1024u) /* largest file yaml_parse_file reads */
#define MW_MAX_YAML_DEPTH 64                    /* deepest nesting of sequences and mappings */
#define MW_MAX_YAML_NODES 4000000u              /* nodes per parse, aliases expanded */
#define MW_MAX_YAML_ALIAS_NODES                                                                    \
    100000u                         /* nodes copied through aliases per parse ("billion laughs") */
#define MW_MAX_CLUSTER_DIR_DEPTH 16 /* sub-directory levels static_load_dir descends */

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
