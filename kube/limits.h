/*
 * kube/limits.h - the size and count limits of the ground floor: the YAML
 * reader (kube/yaml.c) and the quantity reader (kube/quantity.c).
 */
#ifndef MW_KUBE_LIMITS_H
#define MW_KUBE_LIMITS_H

#define MW_MAX_FILE_BYTES (64u * 1024u * 1024u) /* largest file yaml_parse_file reads */
#define MW_MAX_YAML_DEPTH 64                    /* deepest nesting of sequences and mappings */
#define MW_MAX_YAML_NODES 4000000u              /* nodes per parse, aliases expanded */
#define MW_MAX_YAML_ALIAS_NODES                                                                    \
    100000u /* nodes copied through aliases per parse ("billion laughs") */

/* Longest quantity text read (kube/quantity.c); longer text is QUANTITY_GARBAGE. */
#define QUANTITY_MAX_TEXT 64

#endif
