/* Values: numbers, fractions, lists and a..b ranges, words, class ids. */
#include "spec/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A list may not have more values than a sweep may have tasks. */
#define MAX_VALUES 10000000L

/* [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)? and nothing
 * else: strtod alone would take hex, inf, nan and trailing junk. */
static int is_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, ed++;
        if (!ed)
            return 0;
    }
    return i == n;
}

static int decimal(const char *s, size_t n, double *out)
{
    char buf[128];
    if (n == 0 || n >= sizeof buf || !is_decimal(s, n))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL) + 0.0; /* -0 reads as 0: one canonical zero */
    return isfinite(*out) ? 0 : -1;
}

int spec_number(const char *s, size_t len, double *out)
{
    const char *slash = memchr(s, '/', len);
    if (!slash)
        return decimal(s, len, out);
    /* a/b: each side a decimal; IEEE division rounds the exact ratio, so
     * "2/3" is the double nearest 2/3, like the literal 0.6666666666666666. */
    const char *a = s, *ae = slash, *b = slash + 1, *be = s + len;
    while (ae > a && isspace((unsigned char)ae[-1]))
        ae--;
    while (b < be && isspace((unsigned char)*b))
        b++;
    double x, y;
    if (decimal(a, (size_t)(ae - a), &x) || decimal(b, (size_t)(be - b), &y) || y == 0)
        return -1;
    *out = x / y + 0.0;
    return isfinite(*out) ? 0 : -1;
}

int spec_format_int(char *buf, double v)
{
    /* digits by hand: printf's %.0f is slow, and axes may have millions */
    char t[24];
    int len = 0, neg = v < 0;
    uint64_t x = (uint64_t)(neg ? -v : v);
    do {
        t[len++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    int n = 0;
    if (neg)
        buf[n++] = '-';
    while (len)
        buf[n++] = t[--len];
    buf[n] = '\0';
    return n;
}

void spec_format_short(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) { /* 10, not 1e+01; never -0 */
        if (n >= 24)
            spec_format_int(buf, v);
        else
            snprintf(buf, n, "%.0f", v == 0 ? 0.0 : v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void spec_values_free(spec_values *v)
{
    free(v->v);
    free(v->text);
    memset(v, 0, sizeof *v);
}

typedef struct {
    double *v;
    long n, cap;
} dvec;

static int push(dvec *d, double x)
{
    if (d->n == d->cap) {
        long cap = d->cap ? 2 * d->cap : 8;
        double *p = realloc(d->v, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        d->v = p;
        d->cap = cap;
    }
    d->v[d->n++] = x;
    return 0;
}

/* Whole numbers below 2^53 only: above it a double skips integers, so a
 * literal like 9007199254740993 would silently read as its neighbour. */
#define INT_LIMIT 9007199254740992.0

static int is_integer(double x)
{
    return x == floor(x) && fabs(x) < INT_LIMIT;
}

/* "must be in [lo, hi]" and the like, for a message. */
static void describe_range(const spec_key_def *d, char *buf, size_t n)
{
    char lo[32], hi[32];
    spec_format_short(lo, sizeof lo, d->lo);
    spec_format_short(hi, sizeof hi, d->hi);
    if (d->type == SPEC_T_INT || d->type == SPEC_T_SEEDS || d->type == SPEC_T_IDS) {
        if (d->hi >= INT_LIMIT)
            snprintf(buf, n, "an integer >= %s", lo);
        else
            snprintf(buf, n, "an integer in %s..%s", lo, hi);
    } else if (isinf(d->lo) && isinf(d->hi)) {
        snprintf(buf, n, "a finite number");
    } else if (isinf(d->hi)) {
        snprintf(buf, n, "%s %s", d->lo_open ? ">" : ">=", lo);
    } else {
        snprintf(buf, n, "in %c%s, %s%c", d->lo_open ? '(' : '[', lo, hi, d->hi_open ? ')' : ']');
    }
}

static int in_range(const spec_key_def *d, double x)
{
    if (d->lo_open ? !(x > d->lo) : !(x >= d->lo))
        return 0;
    if (d->hi_open ? !(x < d->hi) : !(x <= d->hi))
        return 0;
    return 1;
}

/* Checks one value of a number key. */
static int check_value(const spec_key_def *d, double x, const char *item, int item_len,
                       const char *file, int line, lesde_err *e)
{
    int integer = d->type != SPEC_T_REAL;
    if (integer && x != floor(x))
        return spec_error(e, file, line, "%s must be an integer, not %.*s", d->key, item_len, item);
    if (integer && fabs(x) >= INT_LIMIT && (in_range(d, x) || (x > 0 && d->hi >= INT_LIMIT)))
        return spec_error(e, file, line,
                          "%s must be below 2^53 = 9007199254740992 (larger integers are not "
                          "exact in a double), not %.*s",
                          d->key, item_len, item);
    if (!in_range(d, x)) {
        char r[96];
        describe_range(d, r, sizeof r);
        if (d->type == SPEC_T_SEEDS)
            return spec_error(e, file, line, "seeds must be integers >= 0, not %.*s", item_len,
                              item);
        return spec_error(e, file, line, "%s must be %s, not %.*s", d->key, r, item_len, item);
    }
    return LESDE_OK;
}

/* One list item of a number key: a number, or an integer range a..b. */
static int number_item(const spec_key_def *d, const char *a, const char *b, const char *file,
                       int line, dvec *out, lesde_err *e)
{
    int len = (int)(b - a);
    const char *dots = NULL;
    for (const char *p = a; p + 1 < b; p++)
        if (p[0] == '.' && p[1] == '.') {
            dots = p;
            break;
        }
    if (!dots) {
        double x;
        if (spec_number(a, (size_t)len, &x) != 0)
            return spec_error(e, file, line, "bad number '%.*s' for %s", len, a, d->key);
        int rc = check_value(d, x, a, len, file, line, e);
        if (rc)
            return rc;
        return push(out, x) ? spec_nomem(e) : LESDE_OK;
    }
    double lo, hi;
    const char *la = a, *le = dots, *ha = dots + 2, *he = b;
    while (le > la && isspace((unsigned char)le[-1]))
        le--;
    while (ha < he && isspace((unsigned char)*ha))
        ha++;
    if (decimal(la, (size_t)(le - la), &lo) || decimal(ha, (size_t)(he - ha), &hi))
        return spec_error(e, file, line, "bad range '%.*s' for %s (expected a..b, integers)", len,
                          a, d->key);
    if (lo != floor(lo) || hi != floor(hi))
        return spec_error(e, file, line, "range ends must be integers in '%.*s'", len, a);
    if (lo > hi)
        return spec_error(e, file, line, "reversed range %.*s (write %.0f..%.0f)", len, a, hi, lo);
    if (hi - lo + 1 > MAX_VALUES)
        return spec_error(e, file, line, "range %.*s has more than %ld values", len, a, MAX_VALUES);
    /* Allowed values are intervals: checking both ends checks them all. */
    for (int end = 0; end < 2; end++) {
        char t[32];
        snprintf(t, sizeof t, "%.0f", end ? hi : lo);
        int rc = check_value(d, end ? hi : lo, t, (int)strlen(t), file, line, e);
        if (rc)
            return rc;
    }
    for (double x = lo; x <= hi; x++)
        if (push(out, x))
            return spec_nomem(e);
    return LESDE_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A repeated value would repeat tasks (or seeds): refuse it. */
static int check_distinct(const spec_key_def *d, const dvec *v, const char *file, int line,
                          lesde_err *e)
{
    long inc = 1;
    while (inc < v->n && v->v[inc] > v->v[inc - 1])
        inc++;
    if (inc == v->n) /* increasing, as ranges are: distinct */
        return LESDE_OK;
    double *s = malloc((size_t)v->n * sizeof *s);
    if (!s)
        return spec_nomem(e);
    memcpy(s, v->v, (size_t)v->n * sizeof *s);
    qsort(s, (size_t)v->n, sizeof *s, cmp_double);
    for (long i = 1; i < v->n; i++)
        if (s[i] == s[i - 1]) {
            char t[40];
            if (d->type == SPEC_T_WORD)
                snprintf(t, sizeof t, "%s", d->words[(int)s[i]]);
            else
                spec_format_short(t, sizeof t, s[i]);
            free(s);
            return spec_error(e, file, line, "%s lists %s twice", d->key, t);
        }
    free(s);
    return LESDE_OK;
}

static int parse_ids(const spec_key_def *d, const char *text, const char *file, int line, dvec *out,
                     lesde_err *e)
{
    if (strchr(text, ','))
        return spec_error(e, file, line,
                          "class_ids is one set of ids separated by spaces (e.g. '0 2 5'), "
                          "not a comma list");
    const char *p = text;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && !isspace((unsigned char)*q))
            q++;
        double x;
        if (spec_number(p, (size_t)(q - p), &x) != 0)
            return spec_error(e, file, line, "bad class id '%.*s'", (int)(q - p), p);
        if (!is_integer(x) || x < d->lo || x > d->hi)
            return spec_error(e, file, line, "class ids must be integers in 0..%d, not %.*s",
                              (int)d->hi, (int)(q - p), p);
        if (out->n >= DATA_MAX_K)
            return spec_error(e, file, line, "more than %d class ids", DATA_MAX_K);
        if (push(out, x))
            return spec_nomem(e);
        p = q;
    }
    return check_distinct(d, out, file, line, e);
}

int spec_values_parse(const spec_key_def *d, const char *text, const char *file, int line,
                      spec_values *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    if (d->type == SPEC_T_TEXT) {
        if (d->field == SPEC_F_DATA_DIR && strlen(text) >= 4096)
            return spec_error(e, file, line, "data_dir is too long");
        out->text = strdup(text);
        return out->text ? LESDE_OK : spec_nomem(e);
    }
    /* p = classes: the feature dimension follows K (the default). */
    if (d->field == SPEC_F_SDE_P && strcasecmp(text, "classes") == 0) {
        out->is_classes = 1;
        return LESDE_OK;
    }
    dvec v = {0};
    int rc = LESDE_OK;
    if (d->type == SPEC_T_IDS) {
        rc = parse_ids(d, text, file, line, &v, e);
    } else {
        const char *p = text;
        for (;;) {
            const char *comma = strchr(p, ',');
            const char *a = p, *b = comma ? comma : p + strlen(p);
            while (a < b && isspace((unsigned char)*a))
                a++;
            while (b > a && isspace((unsigned char)b[-1]))
                b--;
            if (a == b) {
                rc = spec_error(e, file, line, "empty item in the list of %s", d->key);
                break;
            }
            if (d->type == SPEC_T_WORD) {
                char w[64];
                int n = (int)(b - a);
                int idx = -1;
                if (n < (int)sizeof w) {
                    memcpy(w, a, (size_t)n);
                    w[n] = '\0';
                    idx = spec_word_index(d, w);
                }
                if (idx < 0) {
                    char expect[160] = "";
                    for (int i = 0; i < d->n_words; i++) {
                        strcat(expect, i == 0 ? "" : i + 1 == d->n_words ? " or " : ", ");
                        strcat(expect, d->words[i]);
                    }
                    rc = spec_error(e, file, line, "%s must be %s, not '%.*s'", d->key, expect, n,
                                    a);
                    break;
                }
                if (push(&v, idx)) {
                    rc = spec_nomem(e);
                    break;
                }
            } else {
                rc = number_item(d, a, b, file, line, &v, e);
                if (rc)
                    break;
            }
            if (v.n > MAX_VALUES) {
                rc = spec_error(e, file, line, "%s has more than %ld values", d->key, MAX_VALUES);
                break;
            }
            if (!comma)
                break;
            p = comma + 1;
        }
        if (rc == LESDE_OK)
            rc = check_distinct(d, &v, file, line, e);
    }
    if (rc == LESDE_OK && v.n == 0)
        rc = spec_error(e, file, line, "empty list for %s", d->key);
    if (rc) {
        free(v.v);
        return rc;
    }
    out->v = v.v;
    out->n = (int)v.n;
    return LESDE_OK;
}
