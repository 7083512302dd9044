/*
 * kube/utf8.h - cutting text without splitting a character.
 *
 * Messages, warnings and log values are cut to a byte budget; a cut inside a
 * UTF-8 sequence would make the whole text invalid (the API server, JSON
 * parsers and Prometheus refuse it).  One function says where to cut.
 */
#ifndef MW_KUBE_UTF8_H
#define MW_KUBE_UTF8_H

#include <stddef.h>

/*
 * The length of the longest prefix of the NUL-terminated `s` that is at most
 * `max` bytes long and does not end inside a UTF-8 sequence (strlen(s) when
 * it fits).  Reads at most max + 1 bytes of `s`.
 */
size_t utf8_prefix_len(const char *s, size_t max);

#endif
