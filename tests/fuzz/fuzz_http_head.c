/*
 * tests/fuzz/fuzz_http_head.c - libFuzzer target: the bytes are a request
 * head (request line, header lines), split the way libmicrohttpd splits it,
 * and given to the server's size and framing checks (http_head_verdict), the
 * first thing every request meets.  The verdict is 0, 400, 414 or 431, has a
 * reason exactly when it refuses, and never lets through what it must refuse:
 * Transfer-Encoding with Content-Length, two different Content-Lengths, a
 * transfer coding other than chunked, an over-long target or header block.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/http.h"
#include "server/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 512

static int chunked_only(const char *te)
{
    while (*te == ' ' || *te == '\t')
        te++;
    size_t n = strlen(te);
    while (n && (te[n - 1] == ' ' || te[n - 1] == '\t'))
        n--;
    return n == 7 && strncasecmp(te, "chunked", 7) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* Lines end at \n (a \r before it is dropped). */
    char *lines[MAX_LINES];
    size_t nlines = 0;
    for (char *p = text; p && *p && nlines < MAX_LINES;) {
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            if (nl > p && nl[-1] == '\r')
                nl[-1] = '\0';
        }
        lines[nlines++] = p;
        p = nl ? nl + 1 : NULL;
    }
    struct http_head h = {0};
    const char *te_seen = NULL, *cl_seen = NULL;
    int cl_differ = 0;
    unsigned te_count = 0;
    if (nlines > 0) {
        char *target = strchr(lines[0], ' ');
        if (target) {
            target++;
            char *end = strchr(target, ' ');
            if (end)
                *end = '\0';
            h.target_len = strlen(target);
            h.query_args = http_query_args(target);
        }
    }
    for (size_t i = 1; i < nlines; i++) {
        char *colon = strchr(lines[i], ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        http_head_add(&h, lines[i], value);
        if (strcasecmp(lines[i], "Transfer-Encoding") == 0) {
            te_seen = value;
            te_count++;
        }
        if (strcasecmp(lines[i], "Content-Length") == 0) {
            if (cl_seen && strcmp(cl_seen, value) != 0)
                cl_differ = 1;
            if (!cl_seen)
                cl_seen = value;
        }
    }
    const char *why = NULL;
    int verdict = http_head_verdict(&h, &why);
    if (verdict != 0 && verdict != 400 && verdict != 414 && verdict != 431)
        abort();
    if ((verdict != 0) != (why != NULL))
        abort();
    if (verdict == 0) {
        if (te_seen && cl_seen)
            abort();
        if (cl_differ)
            abort();
        if (te_count > 1 || (te_seen && !chunked_only(te_seen)))
            abort();
        if (h.target_len > MW_HTTP_MAX_URL_BYTES || h.query_args > MW_HTTP_MAX_QUERY_ARGS)
            abort();
    }
    free(text);
    return 0;
}
