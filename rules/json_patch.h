/*
 * rules/json_patch.h - building RFC 6902 JSON-Patch operations: JSON Pointer
 * escaping (RFC 6901: "~" -> "~0", "/" -> "~1") and "add" operations appended
 * to a verdict through verdict_patch().
 *
 * Label keys such as "cpu-model.node.kubevirt.io/XYZ" contain "/", so a
 * pointer to them must be escaped: "/spec/nodeSelector/cpu-model.node.kubevirt.io~1XYZ".
 */
#ifndef MW_RULES_JSON_PATCH_H
#define MW_RULES_JSON_PATCH_H

#include <cjson/cJSON.h>
#include "rules/verdict.h"

/*
 * One JSON Pointer reference token for `token` ("a/b~c" -> "a~1b~0c").
 * Returns a new string (caller frees), or NULL when out of memory.
 */
char *json_pointer_escape(const char *token);

/*
 * The pointer `parent` + "/" + escaped `token` (parent "" is the document
 * root).  Returns a new string (caller frees), or NULL when out of memory.
 */
char *json_pointer_append(const char *parent, const char *token);

/*
 * Appends {"op":"add","path":<parent>/<escaped key>,"value":value} to v.
 * Takes ownership of `value` in every case.  Returns 0, or -1 when out of memory.
 */
int json_patch_add_member(struct verdict *v, const char *parent, const char *key, cJSON *value);

#endif
