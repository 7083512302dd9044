/*
 * kube/text.h - small text helpers every floor shares: a name's place in a
 * table of names, percent-encoding for a URL, a buffer that grows, and lists
 * of owned strings.
 */
#ifndef MW_KUBE_TEXT_H
#define MW_KUBE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The index of `name` in names[0..n-1], or -1 when it is not there (or NULL). */
int text_name_index(const char *const *names, int n, const char *name);

/*
 * `s` percent-encoded for a URL path segment or query value into `out`
 * (letters, digits and -_.~ kept, every other byte as %XX), cut before a
 * character that would not fit; `out` is always terminated.
 */
void text_url_escape(const char *s, char *out, size_t outlen);

/*
 * Makes *buf (of *cap bytes, NULL and 0 at first) hold at least `need` bytes:
 * the capacity doubles from *cap, or from `first` when there is none yet,
 * until it does, and is then held to `max` (0: no bound; the caller keeps
 * `need` within it).  0, or -1 when out of memory (*buf and *cap unchanged).
 */
int text_reserve(char **buf, size_t *cap, size_t need, size_t first, size_t max);

/* Whether `s` begins with `prefix`. */
bool text_starts_with(const char *s, const char *prefix);

/* qsort's comparison of two `char *` (or `const char *`) items, by strcmp. */
int text_compare_ptrs(const void *a, const void *b);

/* `a` followed by `b` (caller frees); NULL when out of memory. */
char *text_join(const char *a, const char *b);

/*
 * Appends the string `owned` (NULL: it could not be made) to the *n strings
 * of *list.  0, or -1 when out of memory (`owned` is freed then).
 */
int text_list_push(char ***list, size_t *n, char *owned);

/* Frees the `n` strings of `list` and the list itself (NULL: nothing). */
void text_list_free(char **list, size_t n);

#endif
