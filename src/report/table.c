/* report tables: the pure computations (p_hat*, rho) and text tables
 * written as CSV, Markdown and HTML. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#include <gsl/gsl_cdf.h>

#include "core/rng.h"

double report_pstar_interp(const double *x, const double *y, int n, double level)
{
    int prev = -1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        if (y[i] <= level) {
            if (prev < 0)
                return x[i];
            /* y[prev] > level >= y[i]: the crossing lies between them. */
            double f = (y[prev] - level) / (y[prev] - y[i]);
            return x[prev] + f * (x[i] - x[prev]);
        }
        prev = i;
    }
    return NAN;
}

double report_p_star(int K)
{
    return K >= 2 ? (double)(K - 1) / K : NAN;
}

double report_rho(double p_err, int K)
{
    return K >= 2 ? p_err * K / (K - 1) : NAN;
}

long report_last_finite(const double *v, long n)
{
    for (long i = n - 1; i >= 0; i--)
        if (isfinite(v[i]))
            return i;
    return -1;
}

/* ---- tables ---- */

int report_table_init(report_table *t, int ncol)
{
    memset(t, 0, sizeof *t);
    t->ncol = ncol;
    t->head = calloc((size_t)ncol, sizeof *t->head);
    return t->head ? 0 : -1;
}

void report_table_free(report_table *t)
{
    for (int c = 0; t->head && c < t->ncol; c++)
        free(t->head[c]);
    for (long i = 0; t->cell && i < (long)t->nrow * t->ncol; i++)
        free(t->cell[i]);
    free(t->head);
    free(t->cell);
    memset(t, 0, sizeof *t);
}

int report_table_head(report_table *t, int col, const char *name)
{
    if (col < 0 || col >= t->ncol)
        return -1;
    free(t->head[col]);
    t->head[col] = strdup(name);
    return t->head[col] ? 0 : -1;
}

int report_table_row(report_table *t)
{
    if (t->nrow == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char **nc = realloc(t->cell, sizeof *nc * (size_t)cap * (size_t)t->ncol);
        if (!nc)
            return -1;
        t->cell = nc;
        t->cap = cap;
    }
    for (int c = 0; c < t->ncol; c++)
        t->cell[(long)t->nrow * t->ncol + c] = NULL;
    return t->nrow++;
}

int report_table_set(report_table *t, int row, int col, const char *fmt, ...)
{
    if (row < 0 || row >= t->nrow || col < 0 || col >= t->ncol)
        return -1;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!s)
        return -1;
    char **slot = &t->cell[(long)row * t->ncol + col];
    free(*slot);
    *slot = s;
    return 0;
}

int report_table_num(report_table *t, int row, int col, double v)
{
    if (!isfinite(v))
        return report_table_set(t, row, col, "NaN");
    return report_table_set(t, row, col, "%.6g", v);
}

static const char *cell(const report_table *t, int row, int col)
{
    const char *s = row < 0 ? t->head[col] : t->cell[(long)row * t->ncol + col];
    return s ? s : "";
}

static void csv_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int report_table_csv(const report_table *t, FILE *f)
{
    for (int r = -1; r < t->nrow; r++)
        for (int c = 0; c < t->ncol; c++) {
            csv_cell(f, cell(t, r, c));
            fputc(c + 1 < t->ncol ? ',' : '\n', f);
        }
    return ferror(f) ? -1 : 0;
}

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
}

int report_table_md(const report_table *t, FILE *f)
{
    for (int r = -1; r < t->nrow; r++) {
        for (int c = 0; c < t->ncol; c++) {
            fputs("| ", f);
            md_cell(f, cell(t, r, c));
            fputc(' ', f);
        }
        fputs("|\n", f);
        if (r < 0) {
            for (int c = 0; c < t->ncol; c++)
                fputs(c ? "|---:" : "|:---", f);
            fputs("|\n", f);
        }
    }
    return ferror(f) ? -1 : 0;
}

int report_html_escape(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    return ferror(f) ? -1 : 0;
}

int report_table_html(const report_table *t, FILE *f)
{
    fputs("<table>\n", f);
    for (int r = -1; r < t->nrow; r++) {
        fputs("<tr>", f);
        for (int c = 0; c < t->ncol; c++) {
            fputs(r < 0 ? "<th>" : "<td>", f);
            report_html_escape(f, cell(t, r, c));
            fputs(r < 0 ? "</th>" : "</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    return ferror(f) ? -1 : 0;
}

/* ---- the train summary ---- */

int report_train_columns(const char *const *axis_keys, int n_axes, int md, const char **names,
                         int max)
{
    static const char *const csv_stats[] = {
        "n_done",           "n_seeds",        "final_val_acc",     "final_val_acc_lo",
        "final_val_acc_hi", "final_val_loss", "final_val_loss_lo", "final_val_loss_hi"};
    static const char *const md_stats[] = {"done", "final val acc [95% CI]",
                                           "final val loss [95% CI]"};
    static const char *const r_csv[2][3][3] = {
        {{"r_alpha_I", "r_alpha_I_q25", "r_alpha_I_q75"},
         {"r_beta_I", "r_beta_I_q25", "r_beta_I_q75"},
         {"r_gamma_I", "r_gamma_I_q25", "r_gamma_I_q75"}},
        {{"r_alpha_L", "r_alpha_L_q25", "r_alpha_L_q75"},
         {"r_beta_L", "r_beta_L_q25", "r_beta_L_q75"},
         {"r_gamma_L", "r_gamma_L_q25", "r_gamma_L_q75"}}};
    static const char *const r_md[2][3] = {
        {"r_alpha I [IQR]", "r_beta I [IQR]", "r_gamma I [IQR]"},
        {"r_alpha L [IQR]", "r_beta L [IQR]", "r_gamma L [IQR]"}};
    int n = 0;
#define ADD(s)                                                                                     \
    do {                                                                                           \
        if (n >= max)                                                                              \
            return -1;                                                                             \
        names[n++] = (s);                                                                          \
    } while (0)
    if (!md)
        ADD("study");
    ADD("K");
    ADD("p_err");
    ADD("rho");
    for (int a = 0; a < n_axes; a++)
        ADD(axis_keys[a]);
    if (md)
        for (int i = 0; i < 3; i++)
            ADD(md_stats[i]);
    else
        for (int i = 0; i < 8; i++)
            ADD(csv_stats[i]);
    for (int m = 0; m < 2; m++)
        for (int q = 0; q < 3; q++)
            if (md)
                ADD(r_md[m][q]);
            else
                for (int i = 0; i < 3; i++)
                    ADD(r_csv[m][q][i]);
    if (md) {
        ADD("separable frac [95% CI]");
        ADD("all pairs separable [Wilson 95%]");
    } else {
        ADD("sep_frac");
        ADD("sep_frac_lo");
        ADD("sep_frac_hi");
        ADD("sep_all");
        ADD("sep_all_lo");
        ADD("sep_all_hi");
        ADD("sep_all_n");
    }
#undef ADD
    return n;
}

/* "m [lo, hi]" with whatever parts are finite. */
static int set_interval(report_table *t, int row, int col, const double *v)
{
    if (!isfinite(v[0]))
        return report_table_set(t, row, col, "NaN");
    if (!isfinite(v[1]) || !isfinite(v[2]))
        return report_table_set(t, row, col, "%.4g", v[0]);
    return report_table_set(t, row, col, "%.4g [%.4g, %.4g]", v[0], v[1], v[2]);
}

/* "k/n [lo, hi]": how many of the n seeds, and Wilson's interval of the
 * proportion; v: proportion, lo, hi, n. */
static int set_proportion(report_table *t, int row, int col, const double *v)
{
    /* a damaged store may hold any value */
    if (!(v[0] >= 0 && v[0] <= 1) || !(v[3] >= 1 && v[3] < 1e15))
        return report_table_set(t, row, col, "NaN");
    long n = lround(v[3]), k = lround(v[0] * v[3]);
    if (!isfinite(v[1]) || !isfinite(v[2]))
        return report_table_set(t, row, col, "%ld/%ld", k, n);
    return report_table_set(t, row, col, "%ld/%ld [%.4g, %.4g]", k, n, v[1], v[2]);
}

int report_train_row(report_table *t, const char *study, const char *const *axis_labels, int n_axes,
                     const report_point *pt, int md)
{
    int row = report_table_row(t);
    if (row < 0)
        return -1;
    int c = 0, rc = 0;
    if (!md)
        rc |= report_table_set(t, row, c++, "%s", study);
    rc |= report_table_set(t, row, c++, "%d", pt->K);
    rc |= report_table_num(t, row, c++, pt->p_err);
    rc |= report_table_num(t, row, c++, pt->rho);
    for (int a = 0; a < n_axes; a++)
        rc |= report_table_set(t, row, c++, "%s", axis_labels[a] ? axis_labels[a] : "");
    if (md) {
        rc |= report_table_set(t, row, c++, "%d/%d", pt->n_done, pt->n_seeds);
        rc |= set_interval(t, row, c++, pt->acc);
        rc |= set_interval(t, row, c++, pt->loss);
    } else {
        rc |= report_table_set(t, row, c++, "%d", pt->n_done);
        rc |= report_table_set(t, row, c++, "%d", pt->n_seeds);
        for (int i = 0; i < 3; i++)
            rc |= report_table_num(t, row, c++, pt->acc[i]);
        for (int i = 0; i < 3; i++)
            rc |= report_table_num(t, row, c++, pt->loss[i]);
    }
    for (int m = 0; m < 2; m++)
        for (int q = 0; q < 3; q++)
            if (md)
                rc |= set_interval(t, row, c++, pt->tail[m][q]);
            else
                for (int i = 0; i < 3; i++)
                    rc |= report_table_num(t, row, c++, pt->tail[m][q][i]);
    if (md) {
        rc |= set_interval(t, row, c++, pt->sep);
        rc |= set_proportion(t, row, c++, pt->sepall);
    } else {
        for (int i = 0; i < 3; i++)
            rc |= report_table_num(t, row, c++, pt->sep[i]);
        for (int i = 0; i < 4; i++)
            rc |= report_table_num(t, row, c++, pt->sepall[i]);
    }
    if (rc || c != t->ncol) {
        /* Leave the table as it was. */
        for (int k = 0; k < t->ncol; k++)
            free(t->cell[(long)row * t->ncol + k]);
        t->nrow--;
        return -1;
    }
    return 0;
}

/* ---- quantiles ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p quantile of v[0..n-1], sorted (linear interpolation; an infinite
 * value stays infinite when it is in the interpolation). */
static double quantile_sorted(const double *v, int n, double p)
{
    double h = p * (n - 1);
    int lo = (int)floor(h);
    if (lo + 1 >= n || h == lo || isinf(v[lo]))
        return v[lo];
    return isinf(v[lo + 1]) ? v[lo + 1] : v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

/* Median, q25, q75 of v[0..n-1], sorted, into q (NaN when n = 0). */
static void quantiles_sorted(const double *v, int n, double *q)
{
    static const double at[3] = {0.5, 0.25, 0.75};
    for (int k = 0; k < 3; k++)
        q[k] = n > 0 ? quantile_sorted(v, n, at[k]) : NAN;
}

void report_quantiles(double *v, int n, double *q)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            v[m++] = v[i];
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    quantiles_sorted(v, m, q);
}

void report_quantiles_censored(double *v, int n, double *q)
{
    for (int i = 0; i < n; i++)
        if (!(v[i] < INFINITY)) /* NaN: beyond the end */
            v[i] = INFINITY;
    qsort(v, (size_t)(n > 0 ? n : 0), sizeof *v, cmp_double);
    quantiles_sorted(v, n, q);
}

double report_boot_tail(int m)
{
    if (m < 2)
        return NAN;
    /* Hesterberg's expanded percentile interval: the plain 2.5% and 97.5%
     * quantiles run short with few seeds (the resamples' spread is
     * (m-1)/m of the sample's, and z stands where t belongs); measured on
     * fig3's seeds, 5-seed intervals held the 100-seed estimate 82% of
     * the time (le-sde.md section 7). */
    double t = gsl_cdf_tdist_Pinv(0.975, (double)(m - 1));
    return gsl_cdf_ugaussian_P(-sqrt((double)m / (m - 1)) * t);
}

int report_boot_interval(double *b, int n, int m, double ci[2])
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(b[i]))
            b[k++] = b[i];
    qsort(b, (size_t)k, sizeof *b, cmp_double);
    double tail = report_boot_tail(m); /* NaN for one seed: no interval */
    for (int j = 0; j < 2; j++)
        ci[j] = k > 0 && m > 1 ? quantile_sorted(b, k, j ? 1 - tail : tail) : NAN;
    return k;
}

int report_pstar_seeds(const double *x, const double *y, int n, int S, double level,
                       report_pstar_spread *out)
{
    int rc = -1;
    out->ci[0] = out->ci[1] = NAN;
    out->q[0] = out->q[1] = out->q[2] = NAN;
    out->reached = out->seeds = 0;
    int *use = malloc(sizeof(int) * (size_t)(S > 0 ? S : 1));
    double *ys = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *cross = malloc(sizeof(double) * (size_t)(S > REPORT_BOOT ? S : REPORT_BOOT));
    int *draw = malloc(sizeof(int) * (size_t)(S > 0 ? S : 1));
    if (!use || !ys || !cross || !draw)
        goto out;
    rc = 0;
    if (n < 1)
        goto out;
    /* single seeds: each seed's own curve */
    int m = 0;
    for (int s = 0; s < S; s++) {
        int finite = 0;
        for (int j = 0; j < n; j++)
            finite |= isfinite(ys[j] = y[(size_t)j * S + s]);
        if (!finite)
            continue;
        use[m++] = s;
        double c = report_pstar_interp(x, ys, n, level);
        if (isfinite(c))
            cross[out->reached++] = c;
    }
    out->seeds = m;
    report_quantiles(cross, out->reached, out->q);
    if (!m)
        goto out;
    /* the bootstrap: m seeds drawn with replacement, by a fixed counter-based
     * stream, the mean curve's crossing each time (+inf: not reached) */
    uint64_t ctr = 0;
    for (int b = 0; b < REPORT_BOOT; b++) {
        for (int i = 0; i < m; i++)
            draw[i] = use[rng_mix64(0x9e3779b97f4a7c15ULL * ++ctr) % (uint64_t)m];
        for (int j = 0; j < n; j++) {
            double sum = 0;
            int k = 0;
            for (int i = 0; i < m; i++) {
                double v = y[(size_t)j * S + draw[i]];
                if (isfinite(v))
                    sum += v, k++;
            }
            ys[j] = k ? sum / k : NAN;
        }
        double c = report_pstar_interp(x, ys, n, level);
        cross[b] = isfinite(c) ? c : INFINITY;
    }
    report_boot_interval(cross, REPORT_BOOT, m, out->ci);
    for (int k = 0; k < 2; k++)
        out->ci[k] = isfinite(out->ci[k]) ? out->ci[k] : NAN;
out:
    free(use);
    free(ys);
    free(cross);
    free(draw);
    return rc;
}

void report_pstar_with_ci(char *out, size_t size, double v, const report_pstar_spread *sp)
{
    if (!isfinite(sp->ci[0]))
        snprintf(out, size, "%.4g", v);
    else if (!isfinite(sp->ci[1]))
        snprintf(out, size, "%.4g [%.4g, beyond the grid]", v, sp->ci[0]);
    else
        snprintf(out, size, "%.4g [%.4g, %.4g]", v, sp->ci[0], sp->ci[1]);
}
