/*
 * kube/quantity.c - Kubernetes quantities, read exactly.
 *
 * The text is split into a sign, a decimal mantissa with its digits as one
 * integer (the decimal point turns into a power of ten), and a multiplier
 * (2^10k, 10^3k or 10^e).  The value is then
 *     mantissa * 2^b * 10^p / 10^q
 * computed in unsigned 128-bit integers and rounded up, so "1.5Gi" is exactly
 * 1610612736 and no floating point rounding can creep in.
 */
#include "kube/quantity.h"

#include <stdbool.h>
#include <string.h>

typedef unsigned __int128 u128;

#define MAX_SIGNIFICANT_DIGITS 19 /* fits in uint64 */
#define MAX_EXPONENT 1000         /* |e| beyond this is garbage, not arithmetic */

struct parsed {
    bool negative;
    uint64_t mantissa; /* significant digits, point removed */
    int pow10;         /* decimal exponent applied to mantissa */
    int pow2;          /* binary exponent from Ki..Ei */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads [digits][.digits] into p; returns the position after it or NULL. */
static const char *read_mantissa(const char *s, struct parsed *p, enum quantity_result *err)
{
    int ndigits = 0, significant = 0, frac = 0;
    bool point = false, any_nonzero = false;
    int pending_zeros = 0; /* zeros after the last non-zero fractional digit */
    for (;; s++) {
        if (*s == '.' && !point) {
            point = true;
            continue;
        }
        if (!is_digit(*s))
            break;
        ndigits++;
        int d = *s - '0';
        if (point)
            frac++;
        if (!any_nonzero && d == 0)
            continue; /* leading zeros carry no value */
        any_nonzero = true;
        if (point && d == 0) {
            pending_zeros++; /* trailing fractional zeros may not matter */
            continue;
        }
        /* flush zeros that turned out to be in the middle */
        for (; pending_zeros > 0; pending_zeros--) {
            if (++significant > MAX_SIGNIFICANT_DIGITS) {
                *err = QUANTITY_OVERFLOW;
                return NULL;
            }
            p->mantissa *= 10;
        }
        if (++significant > MAX_SIGNIFICANT_DIGITS) {
            *err = QUANTITY_OVERFLOW;
            return NULL;
        }
        p->mantissa = p->mantissa * 10 + (uint64_t)d;
    }
    if (ndigits == 0) {
        *err = QUANTITY_GARBAGE;
        return NULL;
    }
    /* Fractional digits that were kept shift the value right. */
    p->pow10 -= frac - pending_zeros;
    return s;
}

/* Reads the suffix at s (which must end the text) into p. */
static enum quantity_result read_suffix(const char *s, struct parsed *p)
{
    static const struct {
        const char *text;
        int pow2, pow10;
    } suffixes[] = {
        {"", 0, 0},    {"Ki", 10, 0}, {"Mi", 20, 0}, {"Gi", 30, 0}, {"Ti", 40, 0},
        {"Pi", 50, 0}, {"Ei", 60, 0}, {"m", 0, -3},  {"k", 0, 3},   {"K", 0, 3},
        {"M", 0, 6},   {"G", 0, 9},   {"T", 0, 12},  {"P", 0, 15},  {"E", 0, 18},
    };
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcmp(s, suffixes[i].text) == 0) {
            p->pow2 += suffixes[i].pow2;
            p->pow10 += suffixes[i].pow10;
            return QUANTITY_OK;
        }
    /* Decimal exponent: e|E followed by a signed integer. */
    if (*s != 'e' && *s != 'E')
        return QUANTITY_GARBAGE;
    s++;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!is_digit(*s))
        return QUANTITY_GARBAGE;
    int e = 0;
    for (; is_digit(*s); s++) {
        e = e * 10 + (*s - '0');
        if (e > MAX_EXPONENT)
            return QUANTITY_GARBAGE;
    }
    if (*s)
        return QUANTITY_GARBAGE;
    p->pow10 += neg ? -e : e;
    return QUANTITY_OK;
}

/* 10^n as u128, or false when it does not fit (n > 38). */
static bool pow10_u128(int n, u128 *out)
{
    u128 r = 1;
    for (int i = 0; i < n; i++) {
        if (r > ((u128)-1) / 10)
            return false;
        r *= 10;
    }
    *out = r;
    return true;
}

/* mantissa * 2^pow2 * 10^pow10 rounded up (magnitude), or overflow. */
static enum quantity_result magnitude(const struct parsed *p, bool round_up, uint64_t limit,
                                      uint64_t *out)
{
    if (p->mantissa == 0) {
        *out = 0;
        return QUANTITY_OK;
    }
    u128 num = p->mantissa; /* < 10^19 < 2^64 */
    if (p->pow2 >= 64)
        return QUANTITY_OVERFLOW;
    num <<= p->pow2; /* < 2^128 since pow2 <= 60 */
    if (p->pow10 >= 0) {
        for (int i = 0; i < p->pow10; i++) {
            if (num > limit)
                return QUANTITY_OVERFLOW;
            num *= 10; /* num <= limit < 2^64, so no u128 overflow */
        }
        if (num > limit)
            return QUANTITY_OVERFLOW;
        *out = (uint64_t)num;
        return QUANTITY_OK;
    }
    u128 den;
    if (!pow10_u128(-p->pow10, &den)) {
        *out = round_up ? 1 : 0; /* a positive value far below 1 */
        return QUANTITY_OK;
    }
    u128 q = num / den;
    if (round_up && num % den != 0)
        q++;
    if (q > limit)
        return QUANTITY_OVERFLOW;
    *out = (uint64_t)q;
    return QUANTITY_OK;
}

enum quantity_result quantity_parse(const char *text, int64_t *value)
{
    if (!text || strnlen(text, QUANTITY_MAX_TEXT + 1) > QUANTITY_MAX_TEXT)
        return QUANTITY_GARBAGE;
    struct parsed p = {0};
    const char *s = text;
    if (*s == '+' || *s == '-')
        p.negative = *s++ == '-';
    enum quantity_result r = QUANTITY_OK;
    s = read_mantissa(s, &p, &r);
    if (!s)
        return r;
    if ((r = read_suffix(s, &p)) != QUANTITY_OK)
        return r;
    uint64_t mag;
    /* Round towards +infinity: up for positive values, down (in magnitude) for negative. */
    uint64_t limit = p.negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if ((r = magnitude(&p, !p.negative, limit, &mag)) != QUANTITY_OK)
        return r;
    if (p.negative)
        *value = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *value = (int64_t)mag;
    return QUANTITY_OK;
}

const char *quantity_result_text(enum quantity_result r)
{
    switch (r) {
    case QUANTITY_OK:
        return "ok";
    case QUANTITY_OVERFLOW:
        return "quantity too large";
    default:
        return "not a Kubernetes quantity";
    }
}
