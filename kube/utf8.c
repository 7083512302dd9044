/*
 * kube/utf8.c - cutting text without splitting a character (kube/utf8.h).
 */
#include "kube/utf8.h"

#include <string.h>

size_t utf8_prefix_len(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return n;
    n = max;
    /* Back off continuation bytes (10xxxxxx): their character starts before the cut. */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}
