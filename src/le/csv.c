/* Reader of mean-logit CSV files for `lesde fit`:
 *
 *     t,class,x0,...,x{p-1}
 *     0,0,0.12,-0.03,...
 *
 * one row per checkpoint and class. Rows are sorted by t; the rows of one
 * checkpoint (equal t) may come in any class order, and every checkpoint
 * must have exactly one row for each class 0..K-1 (K = largest class + 1).
 * Every error names the file and the line, as "<path>:<line>: <what>". */
#include "le/sample.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_CLASSES 4096 /* a guard against a typo allocating gigabytes */

typedef struct {
    double t;
    int cls, line;
} csv_row;

/* Trims spaces and tabs in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

/* Splits line at commas into at most max fields (trimmed); returns the
 * number of fields, which may exceed max (the extra ones are not stored). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    for (char *s = line;;) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = '\0';
        if (n < max)
            f[n] = trim(s);
        n++;
        if (!comma)
            return n;
        s = comma + 1;
    }
}

/* The whole field must be a number (strtod's syntax: nan and inf too;
 * out-of-range values become +-inf or 0 as strtod makes them). */
static int parse_double(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *s && *end == '\0';
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return 0;
    return 1;
}

/* Grows *buf to hold at least n elements of size sz (doubling). */
static int grow(void **buf, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return 1;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c *= 2;
    void *b = realloc(*buf, c * sz);
    if (!b)
        return 0;
    *buf = b;
    *cap = c;
    return 1;
}

int le_csv_read(const char *path, int need_even, double **t_out, int *C_out,
                double **xbar_out, int *K_out, int *p_out, lesde_err *e)
{
    *t_out = NULL, *xbar_out = NULL;
    *C_out = *K_out = *p_out = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, LESDE_USAGE, "%s: cannot open: %s", path, strerror(errno));

    char *line = NULL, **fld = NULL;
    size_t linecap = 0, rowcap = 0, xcap = 0, gcap = 0, seencap = 0;
    csv_row *rows = NULL;
    double *xs = NULL, *t = NULL, *xbar = NULL;
    int *gstart = NULL, *seen = NULL; /* seen[k]: line of class k in the current group */
    int rc = LESDE_OK, lineno = 0, p = 0, nrows = 0, ngroups = 0, maxcls = -1, blank = 0;
    ssize_t len;

    /* header */
    for (;;) {
        len = getline(&line, &linecap, f);
        lineno++;
        if (len < 0) {
            /* fopen opens a directory; only reading it fails (EISDIR). */
            if (ferror(f))
                rc = err_set(e, LESDE_USAGE, "%s: cannot read: %s", path, strerror(errno));
            else
                rc = err_set(e, LESDE_USAGE, "%s:%d: empty file (expected the header "
                             "t,class,x0,...,x{p-1})", path, lineno);
            goto out;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            memmove(s, s + 3, strlen(s + 3) + 1);
        if (!is_blank(s))
            break;
        rc = err_set(e, LESDE_USAGE, "%s:%d: blank line where the header "
                     "t,class,x0,...,x{p-1} should be", path, lineno);
        goto out;
    }
    {
        int nf = 1;
        for (const char *c = line; *c; c++)
            nf += *c == ',';
        fld = malloc((size_t)nf * sizeof *fld);
        if (!fld) {
            rc = err_set(e, LESDE_FAIL, "%s: out of memory", path);
            goto out;
        }
        split(line, fld, nf);
        if (nf < 3 || strcmp(fld[0], "t") != 0 || strcmp(fld[1], "class") != 0) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: bad header: expected t,class,x0,...,x{p-1}, "
                         "got '%.60s%s'", path, lineno, fld[0], nf > 1 ? ",..." : "");
            goto out;
        }
        p = nf - 2;
        for (int j = 0; j < p; j++) {
            char want[32];
            snprintf(want, sizeof want, "x%d", j);
            if (strcmp(fld[2 + j], want) != 0) {
                rc = err_set(e, LESDE_USAGE, "%s:%d: bad header: column %d is '%.60s', "
                             "expected '%s'", path, lineno, 3 + j, fld[2 + j], want);
                goto out;
            }
        }
        free(fld);
        fld = malloc((size_t)(p + 2) * sizeof *fld);
        if (!fld) {
            rc = err_set(e, LESDE_FAIL, "%s: out of memory", path);
            goto out;
        }
    }

    /* data rows */
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (is_blank(line)) {
            if (!blank)
                blank = lineno;
            continue;
        }
        if (blank) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: blank line inside the data (only "
                         "trailing blank lines are allowed)", path, blank);
            goto out;
        }
        int nf = split(line, fld, p + 2);
        if (nf != p + 2) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: ragged row: %d fields, the header has %d",
                         path, lineno, nf, p + 2);
            goto out;
        }
        double tv;
        if (!parse_double(fld[0], &tv) || !isfinite(tv)) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: t = '%.40s' is not a finite number",
                         path, lineno, fld[0]);
            goto out;
        }
        if (tv < 0) { /* the fit would refuse it, without the line */
            rc = err_set(e, LESDE_USAGE, "%s:%d: t = %.17g is negative: t counts iterations", path,
                         lineno, tv);
            goto out;
        }
        char *end;
        errno = 0;
        long cls = strtol(fld[1], &end, 10);
        if (!*fld[1] || *end || errno || cls < 0 || cls >= CSV_MAX_CLASSES) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: class = '%.40s' is not an integer in 0..%d",
                         path, lineno, fld[1], CSV_MAX_CLASSES - 1);
            goto out;
        }
        if (!grow((void **)&rows, &rowcap, (size_t)nrows + 1, sizeof *rows) ||
            !grow((void **)&xs, &xcap, ((size_t)nrows + 1) * p, sizeof *xs) ||
            !grow((void **)&gstart, &gcap, (size_t)ngroups + 2, sizeof *gstart) ||
            !grow((void **)&seen, &seencap, (size_t)cls + 1, sizeof *seen)) {
            rc = err_set(e, LESDE_FAIL, "%s: out of memory", path);
            goto out;
        }
        for (int j = 0; j < p; j++) {
            double *x = &xs[(size_t)nrows * p + j];
            if (!parse_double(fld[2 + j], x)) {
                rc = err_set(e, LESDE_USAGE, "%s:%d: x%d = '%.40s' is not a number",
                             path, lineno, j, fld[2 + j]);
                goto out;
            }
            /* nan, inf or beyond a double's range: a fit would spread NaN everywhere */
            if (!isfinite(*x)) {
                rc = err_set(e, LESDE_USAGE, "%s:%d: x%d = '%.40s' is not a finite number", path,
                             lineno, j, fld[2 + j]);
                goto out;
            }
        }
        /* a new checkpoint starts when t grows; t may never decrease */
        if (nrows == 0 || tv > rows[nrows - 1].t) {
            gstart[ngroups++] = nrows;
            for (int k = 0; k <= maxcls; k++)
                seen[k] = 0;
        } else if (tv < rows[nrows - 1].t) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: t = %.17g is smaller than t = %.17g on "
                         "line %d (rows must be sorted by t)", path, lineno, tv,
                         rows[nrows - 1].t, rows[nrows - 1].line);
            goto out;
        }
        for (int k = maxcls + 1; k <= cls; k++)
            seen[k] = 0;
        if (cls > maxcls)
            maxcls = (int)cls;
        if (seen[cls]) {
            rc = err_set(e, LESDE_USAGE, "%s:%d: duplicate row for class %ld at t = %.17g "
                         "(first on line %d)", path, lineno, cls, tv, seen[cls]);
            goto out;
        }
        seen[cls] = lineno;
        rows[nrows++] = (csv_row){tv, (int)cls, lineno};
    }
    if (ferror(f)) {
        rc = err_set(e, LESDE_USAGE, "%s:%d: read error", path, lineno);
        goto out;
    }
    if (nrows == 0) {
        rc = err_set(e, LESDE_USAGE, "%s:%d: no data rows after the header", path, lineno + 1);
        goto out;
    }
    gstart[ngroups] = nrows;

    int K = maxcls + 1, C = ngroups;
    /* le_fit would refuse these too, but without the file's name. */
    if (C < 2 || K < 2) {
        rc = err_set(e, LESDE_USAGE,
                     C < 2 ? "%s:%d: only one checkpoint (t = %.17g); a fit needs at least 2"
                           : "%s:%d: only class 0 (from t = %.17g); a fit needs at least 2 "
                             "classes",
                     path, rows[0].line, rows[0].t);
        goto out;
    }
    for (int g = 0; g < C; g++) {
        int a = gstart[g], b = gstart[g + 1];
        if (b - a == K)
            continue; /* no duplicates and every class < K: all present */
        for (int k = 0; k < K; k++)
            seen[k] = 0;
        for (int r = a; r < b; r++)
            seen[rows[r].cls] = 1;
        int miss = 0;
        while (seen[miss])
            miss++;
        rc = err_set(e, LESDE_USAGE, "%s:%d: the checkpoint t = %.17g (lines %d-%d) has no "
                     "row for class %d (every checkpoint needs classes 0..%d)", path,
                     rows[a].line, rows[a].t, rows[a].line, rows[b - 1].line, miss, K - 1);
        goto out;
    }
    if (need_even && C >= 3) {
        double t0 = rows[gstart[0]].t, dt0 = rows[gstart[1]].t - t0;
        for (int g = 2; g < C; g++) {
            double ta = rows[gstart[g - 1]].t, tb = rows[gstart[g]].t, dt = tb - ta;
            if (fabs(dt - dt0) > 1e-9 * fmax(fabs(tb), dt0)) {
                rc = err_set(e, LESDE_USAGE, "%s:%d: uneven checkpoint spacing: t = %.17g "
                             "follows t = %.17g (step %.17g, the first step is %.17g)",
                             path, rows[gstart[g]].line, tb, ta, dt, dt0);
                goto out;
            }
        }
    }

    t = malloc((size_t)C * sizeof *t);
    xbar = malloc((size_t)C * K * p * sizeof *xbar);
    if (!t || !xbar) {
        rc = err_set(e, LESDE_FAIL, "%s: out of memory", path);
        goto out;
    }
    for (int g = 0; g < C; g++) {
        t[g] = rows[gstart[g]].t;
        for (int r = gstart[g]; r < gstart[g + 1]; r++)
            memcpy(xbar + ((size_t)g * K + rows[r].cls) * p, xs + (size_t)r * p,
                   (size_t)p * sizeof *xbar);
    }
    *t_out = t, *xbar_out = xbar;
    t = xbar = NULL;
    *C_out = C, *K_out = K, *p_out = p;
out:
    fclose(f);
    free(line), free(fld), free(rows), free(xs), free(gstart), free(seen), free(t), free(xbar);
    return rc;
}
