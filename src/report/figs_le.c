/* report figures of the LE fit, as docs/le-sde.md (sections 4 and 5) and
 * the slides define them, with the spread across seeds (median and
 * interquartile range, never a lone mean: the imitations' RD across seeds
 * can be two-valued):
 *   fig3cd    tail indices of alpha, beta, gamma against p_err (by differences)
 *   fig3ref0  the slides' estimator, reference-dependent, apart
 *   tailorder the seeds whose beta index is below alpha's, against p_err
 *   imit      final RD of the imitations and of the ETF baseline against p_err,
 *   imitk     and class by class
 *   tailt     the local tail-index curves r(t), one per p_err
 *   fig4      the imitations of the median-RD seed (plateau, reference), and
 *   fig4seeds every seed's
 *   fig5      RD(t), median and IQR across seeds, every start and the baseline,
 *   fig5k     and RD_k(t) class by class (plateau, reference) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "le/le.h"
#include "report/internal.h"

static const char *const model_name[2] = {"I", "L"};
static const char *const q_name[3] = {"α", "β", "γ"};

/* Per-task arrays: the element block of task (p, s) */
static const double *task_of(const report_study *rs, const store_array *a, long p, int s)
{
    long n = report_task_size(rs, a);
    return a->data + (p * rs->S + s) * n;
}

/* Checkpoints of point p (its first done seed's t) and their count. */
static const double *point_t(const report_study *rs, const store_array *t, long p, long *nt)
{
    return report_point_t(rs, t, p, nt);
}

static void final_rd_q(const report_study *rs, const store_array *rd, long p, int sim, long c_last,
                       double *q, double *v)
{
    report_final_rd_q(rs, rd, p, sim, c_last, -1, q, v);
}

/* ---- tail indices against p_err ---- */

/* The p_err axis of pts[0..n-1] widened to hold p* of K, and p* marked;
 * the range's ends into *xl, *xh (for shifting bars apart). */
static void pstar_axis(FILE *f, const report_study *rs, const long *pts, int n, int K, double *xl,
                       double *xh)
{
    double ps = report_p_star(K);
    *xl = fmin(rs->pt[pts[0]].p_err, ps);
    *xh = fmax(rs->pt[pts[n - 1]].p_err, ps);
    fprintf(f, "set xrange [%.6g:%.6g]\n", *xl - 0.04 * (*xh - *xl) - 1e-3,
            *xh + 0.04 * (*xh - *xl) + 1e-3);
    fprintf(f,
            "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lw 1.5 lc rgb "
            "'#555555' front\n"
            "set label 'p* = %.3g' at %.9g, graph 0.97 offset 0.6,0 left front\n",
            ps, ps, ps, ps);
}

static int draw_tails(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n, int ref0)
{
    store_array a;
    if (report_read(c, rs, ref0 ? "fit/tail_ref0" : "fit/tail", &a))
        return c->e->code;
    int K = rs->pt[pts[0]].K;
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, ref0 ? "fig3ref0" : "fig3cd", rs->st->name, slice, 1400, 620,
                              dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    double lo = INFINITY, hi = -INFINITY;
    if (!rc) {
        fprintf(d,
                "# %s: p_err, rho, then for model I, L and for alpha, beta, gamma: "
                "median, q25, q75 across the done seeds of the tail index %s\n",
                g.where,
                ref0 ? "by the slides' estimator 1 - avg log|A|/log(1+t) (reference-dependent)"
                     : "1 - slope of log|A(t) - A(t/2)| against log t over [T/10, T]");
        for (int i = 0; i < n; i++) {
            long p = pts[i];
            fprintf(d, "%.9g %.9g", rs->pt[p].p_err, rs->pt[p].rho);
            for (int m = 0; m < 2; m++)
                for (int q = 0; q < 3; q++) {
                    double v[3];
                    report_seed_quantiles(rs, &a, p, m * 3 + q, v);
                    for (int j = 0; j < 3; j++) {
                        fputc(' ', d);
                        report_gp_num(d, v[j]);
                        if (isfinite(v[j])) {
                            lo = fmin(lo, v[j]);
                            hi = fmax(hi, v[j]);
                        }
                    }
                }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    store_array_free(&a);
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title, "%s: %s (median and IQR across seeds)", g.where,
                 ref0 ? "the slides' tail estimator 1 - avg log|Â| / log(1+t): depends on the "
                        "reference Â(0) = 0"
                      : "tail indices by differences, 1 - slope of log|A(t) - A(t/2)|");
        fputs("set multiplot layout 1,2 title ", f);
        report_gp_str(f, title);
        fputs(" font ',13' margins 0.06,0.98,0.2,0.88 spacing 0.07,0.1\n"
              "set xlabel 'label pollution p_{err}'\nset ylabel 'tail index r̂'\n",
              f);
        double pad = isfinite(lo) ? 0.06 * (hi - lo) + 0.02 : 1;
        if (isfinite(lo))
            fprintf(f, "set yrange [%.6g:%.6g]\n", fmin(lo, 1) - pad, fmax(hi, 1) + pad);
        double xl, xh;
        pstar_axis(f, rs, pts, n, K, &xl, &xh);
        for (int m = 0; m < 2; m++) {
            fprintf(f, "set title '%s-model'\n", model_name[m]);
            if (m == 0)
                fputs("set key at screen 0.5, screen 0.02 center bottom horizontal maxrows 1 "
                      "width 2\n",
                      f);
            else
                fputs("unset key\n", f);
            fputs("plot ", f);
            for (int q = 0; q < 3; q++) {
                int col = 3 + (m * 3 + q) * 3;
                const char *clr = report_color(q == 2 ? 2 : q ? 3 : 0);
                /* a small shift per quantity keeps the bars apart */
                double dx = (q - 1) * 0.006 * (xh - xl);
                fprintf(f,
                        "'%s' using ($1+%.6g):%d:%d:%d with yerrorbars lc rgb '%s' pt 7 ps 0.6 "
                        "notitle, \\\n  '' using ($1+%.6g):%d with linespoints lw 2 pt 7 ps 0.9 "
                        "lc rgb '%s' title 'r̂_%s (%s)', \\\n  ",
                        dat, dx, col, col + 1, col + 2, clr, dx, col, clr, q_name[q],
                        q == 2 ? "γ = α - β, the separation theorem" : q ? "β" : "α");
            }
            fputs("1 with lines lc rgb '#888888' dt 3 lw 1.5 title 'r = 1'\n", f);
        }
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    if (ref0)
        return report_add_fig(
            c, g.base, "fig3ref0", "Figure 3c-d with the slides' estimator (reference-dependent)",
            rs->st->name, slice,
            "Study %s: the slides' tail estimator 1 - avg log|Ahat(t)| / log(1+t) over the "
            "last tail_frac of the iterations, per model, median and interquartile range across "
            "seeds. Ahat is measured from the reference Xbar(0), and log(1+t) barely moves over "
            "the window (9.11-9.21 over the last tenth at T = 1e4), so this mostly measures the "
            "size of Ahat(T): moving the reference changes it (docs/le-sde.md, section 4). Kept "
            "for comparison with the slides; Figure 3c-d above is the estimator to read.",
            g.where);
    return report_add_fig(
        c, g.base, "fig3cd", "Figure 3c-d: tail indices of alpha, beta, gamma", rs->st->name, slice,
        "Study %s: tail indices r of alphahat, betahat and gammahat = alphahat - betahat "
        "(alpha ~ t^-r) under the I-model (left) and L-model (right), estimated as 1 minus the "
        "least-squares slope of log|A(t) - A(t/2)| against log t over [T/10, T], which no "
        "reference constant biases; median (points, lines) and interquartile range (bars) "
        "across seeds. The separation theorem: classes separate when gamma's index is below 1. "
        "A network that has converged within T saturates A, and the index then rises above 1 "
        "though its classes are separated: the local curves (tailt) show whether it settled.",
        g.where);
}

/* tailorder: the share of seeds with r_beta < r_alpha (betahat decaying
 * more slowly) per model against p_err, with Wilson's intervals: the
 * slides' claim 3 as a per-seed count (tails.csv has the numbers). */
static int draw_order(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n)
{
    store_array a;
    if (report_read(c, rs, "fit/tail", &a))
        return c->e->code;
    int K = rs->pt[pts[0]].K;
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "tailorder", rs->st->name, slice, 1000, 620, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    if (!rc) {
        fprintf(d,
                "# %s: p_err, rho, then for model I, L: the share of the seeds (both indices "
                "defined) with r_beta < r_alpha, Wilson's 95%% interval lo, hi, and the number "
                "of seeds with both defined\n",
                g.where);
        for (int i = 0; i < n; i++) {
            long p = pts[i];
            fprintf(d, "%.9g %.9g", rs->pt[p].p_err, rs->pt[p].rho);
            for (int m = 0; m < 2; m++) {
                int k = 0, m_n = 0;
                for (int s = 0; s < rs->S; s++) {
                    const double *t = task_of(rs, &a, p, s) + m * 3;
                    if (!report_task_done(rs, p, s) || !isfinite(t[0]) || !isfinite(t[1]))
                        continue;
                    m_n++;
                    k += t[1] < t[0];
                }
                double v[3] = {NAN, NAN, NAN};
                if (m_n > 0) {
                    v[0] = (double)k / m_n;
                    stats_wilson(v[0], m_n, &v[1], &v[2]);
                }
                report_gp_nums(d, v, 3);
                fprintf(d, " %d", m_n);
            }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    store_array_free(&a);
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title,
                 "%s: the seeds whose tail index of β is below α's (Wilson's 95%% intervals)",
                 g.where);
        fputs("set title ", f);
        report_gp_str(f, title);
        fputc('\n', f);
        double xl, xh;
        pstar_axis(f, rs, pts, n, K, &xl, &xh);
        fputs("set xlabel 'label pollution p_{err}'\nset ylabel 'share of seeds with r̂_β < "
              "r̂_α'\nset yrange [-0.03:1.03]\nset key bottom right\nplot ",
              f);
        for (int m = 0; m < 2; m++) {
            int col = 3 + m * 4;
            const char *clr = report_color(m);
            double dx = (m - 0.5) * 0.008 * (xh - xl);
            fprintf(f,
                    "'%s' using ($1+%.6g):%d:%d:%d with yerrorbars lc rgb '%s' pt 7 ps 0.6 "
                    "notitle, \\\n  '' using ($1+%.6g):%d with linespoints lw 2 pt 7 ps 0.9 "
                    "lc rgb '%s' title '%s-model', \\\n  ",
                    dat, dx, col, col + 1, col + 2, clr, dx, col, clr, model_name[m]);
        }
        fputs("0.5 with lines lc rgb '#888888' dt 3 lw 1.5 title 'half the seeds'\n", f);
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "tailorder", "Figure 3c-d seed by seed: is beta's index below alpha's?",
        rs->st->name, slice,
        "Study %s: the share of seeds whose tail index of betahat is below that of alphahat "
        "(betahat decays more slowly: it dominates), by differences over [T/10, T], per model, "
        "with Wilson's 95%% intervals of the proportion, against p_err. The slides say that "
        "under the L-model beta's index begins to dominate alpha's near p* = (K-1)/K; half the "
        "seeds is what a coin would give. Counts and differences: tails.csv.",
        g.where);
}

int report_draw_tails(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n)
{
    int fig3 = report_wants(c, REPORT_ONLY_FIG3), rc = LESDE_OK;
    if (fig3)
        rc = draw_tails(c, rs, slice, pts, n, 0);
    if (!rc && report_wants(c, REPORT_ONLY_TAILORDER))
        rc = draw_order(c, rs, slice, pts, n);
    return rc || !fig3 ? rc : draw_tails(c, rs, slice, pts, n, 1);
}

/* ---- the imitations' final RD against p_err ---- */

/* Reads fit/rd_<start> of every start and the baselines' fit/rd_etf,
 * fit/rd_cmean; on failure frees what it read. */
static int read_rd(report_ctx *c, const report_study *rs, store_array *rd, store_array *base)
{
    int rc = LESDE_OK;
    for (int v = 0; v < LE_NUM_VARIANTS && !rc; v++) {
        char name[64];
        snprintf(name, sizeof name, "fit/rd_%s", le_variant_name(v));
        rc = report_read(c, rs, name, &rd[v]);
    }
    if (!rc)
        rc = report_read(c, rs, "fit/rd_etf", &base[0]);
    if (!rc)
        rc = report_read(c, rs, "fit/rd_cmean", &base[1]);
    if (rc) {
        for (int v = 0; v < LE_NUM_VARIANTS; v++)
            store_array_free(&rd[v]);
        store_array_free(&base[0]);
        store_array_free(&base[1]);
    }
    return rc;
}

static const int imit_var[3] = {LE_VAR_PLATEAU, LE_VAR_REFERENCE, LE_VAR_T0};

/* ---- per-class figures (imitk, fig5k): one panel per class ---- */

/* Panels a row and rows for K classes, and the figure's size in pixels. */
static void class_grid(int K, int *cols, int *rows, int *w, int *h)
{
    *cols = K < 5 ? K : 5;
    *rows = (K + *cols - 1) / *cols;
    *w = 150 + 450 * *cols;
    *h = 170 + 390 * *rows;
}

/* The multiplot of a per-class figure: its title, margins leaving room for
 * the shared key below (h: the figure's height). */
static void class_multiplot(FILE *f, const char *title, int rows, int cols, int h)
{
    fprintf(f, "set multiplot layout %d,%d title ", rows, cols);
    report_gp_str(f, title);
    fprintf(f, " font ',13' margins 0.06,0.98,%.3f,%.3f spacing 0.05,%.3f\n", 165.0 / h,
            1 - 65.0 / h, 90.0 / h);
}

/* Class k's panel header: its title, the y label on a row's first panel,
 * the key (key: its layout words) drawn once, by the first panel. */
static void class_panel(FILE *f, int k, int cols, const char *note, const char *ylabel,
                        const char *key)
{
    fprintf(f, "set title 'class %d%s'\nset ylabel %s\n", k, note, k % cols ? "''" : ylabel);
    if (k == 0)
        fprintf(f, "set key at screen 0.5, screen 0.01 center bottom %s maxrows 2 width 2\n", key);
    else if (k == 1)
        fputs("unset key\n", f);
}

/* imit's curves: n series from data column col0 on (median, q25, q75 each:
 * error bars and a line), colours clr, dashed from series dashed on. */
static void imit_curves(FILE *f, const char *dat, int col0, int n, const char *const *lab,
                        const char *const *clr, int dashed)
{
    fputs("plot ", f);
    for (int j = 0; j < n; j++) {
        int col = col0 + 3 * j;
        fprintf(f,
                "%s'%s' using 1:%d:%d:%d with yerrorbars lc rgb '%s' pt 7 ps 0.6 notitle, "
                "\\\n  '' using 1:%d with linespoints lw 2 %s pt 7 ps 0.9 lc rgb '%s' "
                "title '%s'",
                j ? ", \\\n  " : "", dat, col, col + 1, col + 2, clr[j], col,
                j >= dashed ? "dt (8,5)" : "dt 1", clr[j], lab[j]);
    }
    fputc('\n', f);
}

/* imit class by class: the final RD_k of the L-model's imitation from the
 * plateau and by the reference method, and of the baselines of the same
 * class, against p_err, one panel per class. The reference method's scalar
 * is fitted on class 0, which only a per-class view shows. */
static int draw_imit_k(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                       int n, const store_array *t, const store_array *rd,
                       const store_array *base_rd)
{
    int K = 0, cols, rows, w, h;
    for (int i = 0; i < n; i++)
        K = rs->pt[pts[i]].K > K ? rs->pt[pts[i]].K : K;
    if (K < 2) /* no point with classes to draw (a spec asks K >= 2) */
        return LESDE_OK;
    class_grid(K, &cols, &rows, &w, &h);
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "imitk", rs->st->name, slice, w, h, dat, sizeof dat);
    if (!d)
        return c->e->code;
    fprintf(d,
            "# %s: p_err, then for each class k (12 columns from 2 + 12 k) the final RD_k "
            "of the L-model's estimates under the L-model ODE from the plateau, by the "
            "reference method (rescaled), and of the ETF and class-average baselines: "
            "median, q25, q75 across the done seeds (NaN for classes a point lacks)\n",
            g.where);
    for (int i = 0; i < n; i++) {
        long p = pts[i], nt = 0;
        point_t(rs, t, p, &nt);
        report_gp_num(d, rs->pt[p].p_err);
        for (int k = 0; k < K; k++)
            for (int j = 0; j < 4; j++) {
                double q[3] = {NAN, NAN, NAN};
                if (k < rs->pt[p].K)
                    report_final_rd_q(rs, j < 2 ? &rd[imit_var[j]] : &base_rd[j - 2], p,
                                      j < 2 ? LE_SIM_L_UNDER_L : -1, nt - 1, k, q, NULL);
                report_gp_nums(d, q, 3);
            }
        fputc('\n', d);
    }
    int rc = report_gp_data_close(&g, d, dat);
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title,
                 "%s: final RD_k of the L-model's imitation class by class, against the "
                 "baselines of the same class (median, IQR across seeds)",
                 g.where);
        class_multiplot(f, title, rows, cols, h);
        fputs("set xlabel 'label pollution p_{err}'\nset yrange [0:2.05]\n", f);
        static const char *const lab[4] = {"from the plateau end Xbar(t0)",
                                           "reference method (rescaled, from noise)",
                                           "ETF baseline S(t) dhat_k", "class-average baseline"};
        const char *clr[4] = {report_color(0), report_color(1), "black", "#888888"};
        for (int k = 0; k < K; k++) {
            class_panel(f, k, cols, k ? "" : " (the reference method fits its scale here)",
                        "'RD_k at T'", "vertical");
            imit_curves(f, dat, 2 + 12 * k, 4, lab, clr, 2);
        }
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "imitk", "Imitation against the baseline, class by class", rs->st->name, slice,
        "Study %s: the relative difference RD_k at T of each class k (one panel each) between "
        "the genuine mean logits and the L-model's LE-ODE driven by its own alphahat, betahat, "
        "from the end of the plateau (blue) and by the slides' reference method (orange: from "
        "noise, rescaled by one scalar fitted on class 0's own logit over the last 1,000 "
        "iterations: %s), against the ETF baseline (black dashed) and the class-average baseline "
        "(grey dashed) of the same class; median and interquartile range across seeds. Where "
        "the reference method beats the baseline in class 0 only, that is its fitted scale, "
        "not the dynamics. Per class and seed counts: imitation_k.csv.",
        g.where, report_ref_window(rs));
}

/* imit: the final RD (mean over classes) of the imitations and baselines
 * against p_err. */
static int draw_imit_mean(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                          int n, const store_array *t, const store_array *rd,
                          const store_array *base_rd)
{
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "imit", rs->st->name, slice, 1100, 650, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    if (!rc) {
        fprintf(d,
                "# %s: p_err, rho, then the final RD (mean over classes at T) of the "
                "L-model's estimates under the L-model ODE from the plateau, by the reference "
                "method (rescaled), from t0, and of the ETF and class-average baselines: "
                "median, q25, q75 across the done seeds\n",
                g.where);
        for (int i = 0; i < n; i++) {
            long p = pts[i], nt = 0;
            point_t(rs, t, p, &nt);
            fprintf(d, "%.9g %.9g", rs->pt[p].p_err, rs->pt[p].rho);
            for (int j = 0; j < 5; j++) {
                double q[3];
                final_rd_q(rs, j < 3 ? &rd[imit_var[j]] : &base_rd[j - 3], p,
                           j < 3 ? LE_SIM_L_UNDER_L : -1, nt - 1, q, NULL);
                report_gp_nums(d, q, 3);
            }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title,
                 "%s: final RD of the L-model's imitation against two trivial baselines "
                 "(median, IQR across seeds)",
                 g.where);
        fputs("set title ", f);
        report_gp_str(f, title);
        fputs("\nset xlabel 'label pollution p_{err}'\n"
              "set ylabel 'RD at T, mean over classes (0 = exact, 2 = opposite)'\n"
              "set yrange [0:2.05]\nset key below horizontal maxrows 2 width 1\n",
              f);
        static const char *const lab[5] = {
            "from the plateau end Xbar(t0)", "reference method (rescaled, from noise)",
            "from Xbar(0)", "ETF baseline S(t) dhat_k", "class-average baseline"};
        const char *clr[5] = {report_color(0), report_color(1), report_color(2), "black",
                              "#888888"};
        imit_curves(f, dat, 3, 5, lab, clr, 3);
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "imit", "Imitation against the baseline, across p_err", rs->st->name, slice,
        "Study %s: the relative difference at T (mean over classes) between the genuine "
        "mean logits and the L-model's LE-ODE driven by its own alphahat, betahat: from the "
        "end of the plateau (blue), by the reference method of the slides (from noise, "
        "rescaled by one fitted scalar; orange), from Xbar(0) (green), and the ETF baseline "
        "S(t) dhat_k, which takes the genuine scale S(t) and no dynamics at all (black "
        "dashed), and the class-average baseline, every class at the genuine mean over the "
        "classes (grey dashed: what a run that learns no class structure looks like); median "
        "and interquartile range across seeds. An imitation says something about the "
        "dynamics only where it beats the better baseline. The plateau start is undefined "
        "where the class means never leave their initial noise (no point there).",
        g.where);
}

int report_draw_imit(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                     int n)
{
    store_array t, rd[LE_NUM_VARIANTS], base_rd[2];
    memset(rd, 0, sizeof rd);
    memset(base_rd, 0, sizeof base_rd);
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = read_rd(c, rs, rd, base_rd);
    if (!rc && report_wants(c, REPORT_ONLY_IMIT))
        rc = draw_imit_mean(c, rs, slice, pts, n, &t, rd, base_rd);
    if (!rc && report_wants(c, REPORT_ONLY_IMITK))
        rc = draw_imit_k(c, rs, slice, pts, n, &t, rd, base_rd);
    store_array_free(&t);
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        store_array_free(&rd[v]);
    store_array_free(&base_rd[0]);
    store_array_free(&base_rd[1]);
    return rc;
}

/* ---- local tail-index curves ---- */

int report_draw_tailt(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n)
{
    store_array a, te;
    if (report_read(c, rs, "fit/tail_local", &a))
        return c->e->code;
    if (report_read(c, rs, "fit/tail_local_t", &te)) {
        store_array_free(&a);
        return c->e->code;
    }
    long W = a.dims[a.ndim - 1];
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "tailt", rs->st->name, slice, 1400, 1150, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    if (!rc) {
        fprintf(d,
                "# %s: one block per p_err (gnuplot index): t (end of the half-decade "
                "window), then for model I, L and for alpha, beta, gamma the median across the "
                "done seeds of the local tail index\n",
                g.where);
        for (int i = 0; i < n; i++) {
            long p = pts[i];
            int s0 = report_first_done(rs, p);
            fprintf(d, "%s# %s\n", i ? "\n\n" : "", rs->label[p]);
            for (long w = 0; s0 >= 0 && w < W; w++) {
                report_gp_num(d, task_of(rs, &te, p, s0)[w]);
                for (int m = 0; m < 2; m++)
                    for (int q = 0; q < 3; q++) {
                        double v[3];
                        report_seed_quantiles(rs, &a, p, (m * 3 + q) * W + w, v);
                        fputc(' ', d);
                        report_gp_num(d, v[0]);
                    }
                fputc('\n', d);
            }
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    store_array_free(&a);
    store_array_free(&te);
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title,
                 "%s: local tail index over half decades [t/√10, t] (median across seeds)",
                 g.where);
        fputs("set multiplot layout 3,2 title ", f);
        report_gp_str(f, title);
        fputs(" font ',13' margins 0.07,0.8,0.06,0.93 spacing 0.07,0.07\n"
              "set logscale x\nset xlabel 't (iterations)'\nset yrange [-1:3]\n",
              f);
        for (int q = 0; q < 3; q++)
            for (int m = 0; m < 2; m++) {
                fprintf(f, "set title '%s-model: r_%s(t)'\nset ylabel 'r̂_%s(t)'\n",
                        model_name[m], q_name[q], q_name[q]);
                if (q == 0 && m == 1)
                    fputs("set key at screen 0.99, screen 0.9 right top Left reverse\n", f);
                else
                    fputs("unset key\n", f);
                fputs("plot ", f);
                for (int i = 0; i < n; i++) {
                    char lt[160];
                    snprintf(lt, sizeof lt, "p_{err} = %.4g", rs->pt[pts[i]].p_err);
                    fprintf(f, "%s'%s' index %d using 1:%d with linespoints lw 2 pt 7 ps 0.5 "
                               "lc rgb '%s' title ",
                            i ? ", \\\n  " : "", dat, i, 2 + m * 3 + q, report_color(i));
                    report_gp_str(f, lt);
                }
                fputs(", \\\n  1 with lines lc rgb '#888888' dt 3 lw 1.5 notitle\n", f);
            }
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "tailt", "Local tail indices over time", rs->st->name, slice,
        "Study %s: the tail index by differences over sliding half decades [t/sqrt(10), t] "
        "of t, per p_err (median across seeds), for alpha (top), beta and gamma = alpha - beta "
        "(bottom), I-model (left), L-model (right). A settled index is a flat curve. A network "
        "that has converged saturates A: its local index then shoots above 1 although its "
        "classes are separated, so an index above 1 at T after convergence is not the "
        "theorem's o(1/t) regime. Windows with fewer than three checkpoints are left out.",
        g.where);
}

/* ---- Figure 4 ---- */

#define FIG4_MAX_CLASSES 5
#define FIG4_MAX_SEEDS 24

/* The done seed of point p whose final RD (L-est/L-ODE, rd) is the median
 * (the lower middle one for an even count); -1 if none is finite. */
static int median_seed(const report_study *rs, const store_array *rd, long p, long c_last)
{
    double *v = report_seed_buf(rs);
    int *idx = malloc(sizeof *idx * (size_t)(rs->S > 0 ? rs->S : 1)), m = 0;
    for (int s = 0; v && idx && s < rs->S; s++) {
        if (!report_task_done(rs, p, s))
            continue;
        double x = report_task_rd(rs, rd, p, s, LE_SIM_L_UNDER_L, c_last, -1);
        if (!isfinite(x))
            continue;
        int i = m++;
        while (i > 0 && v[i - 1] > x) {
            v[i] = v[i - 1];
            idx[i] = idx[i - 1];
            i--;
        }
        v[i] = x;
        idx[i] = s;
    }
    int sm = m ? idx[(m - 1) / 2] : -1;
    free(v);
    free(idx);
    return sm;
}

/* Writes one task's t, genuine x[k][j], sims I-est/L-ODE and L-est/L-ODE
 * [k][j] and the ETF baseline S(t) dhat_k [k][j] (columns 2.., 2 + K^2..,
 * 2 + 3 K^2.., 2 + 4 K^2..). */
static void put_task(FILE *d, const double *tv, long nt, const double *x, const double *sim,
                     const double *S, long C, long Km, int K)
{
    double nd = sqrt((K - 1.0) / K);
    for (long c = 0; c < nt && c < C; c++) {
        report_gp_num(d, tv[c]);
        for (int src = 0; src < 4; src++)
            for (int a = 0; a < K; a++)
                for (int b = 0; b < K; b++) {
                    double v = src == 0   ? x[(c * Km + a) * Km + b]
                               : src == 3 ? S[c] * ((a == b) - 1.0 / K) / nd
                                          : sim[(((long)(src - 1) * C + c) * Km + a) * Km + b];
                    fputc(' ', d);
                    report_gp_num(d, v);
                }
        fputc('\n', d);
    }
}

static void fig4_panel(FILE *f, const char *dat, int idx, int K, int a, int row)
{
    fputs("plot ", f);
    for (int b = 0; b < K; b++) {
        int gc = 2 + a * K + b, sc = 2 + (1 + row) * K * K + a * K + b, ec = 2 + 3 * K * K + a * K + b;
        const char *clr = report_color(b);
        fprintf(f,
                "%s'%s' index %d using 1:%d with points pt 7 ps 0.45 lc rgb '%s' notitle, \\\n"
                "  '' index %d using 1:%d with lines lw 2.5 lc rgb '%s' notitle, \\\n"
                "  '' index %d using 1:%d with lines lw 1.5 dt (6,4) lc rgb '%s' notitle",
                b ? ", \\\n  " : "", dat, idx, gc, clr, idx, sc, clr, idx, ec, clr);
    }
    fputc('\n', f);
}

/* A legend under the panels, drawn by hand (a key wraps to one panel). */
static void fig4_legend(FILE *f, int K, double y)
{
    int ne = K + 3;
    for (int i = 0; i < ne; i++) {
        double x0 = 0.5 - 0.5 * ne * 0.14 + i * 0.14;
        const char *clr = i < K ? report_color(i) : "black";
        const char *what = i == K ? "genuine" : i == K + 1 ? "imitation" : "ETF baseline";
        if (i == K)
            fprintf(f, "set object circle at screen %.4f, screen %.3f radius screen 0.004 "
                       "fc rgb 'black' fs solid\n",
                    x0 + 0.017, y);
        else
            fprintf(f,
                    "set arrow from screen %.4f, screen %.3f to screen %.4f, screen %.3f "
                    "nohead lw 2 lc rgb '%s' dt %s\n",
                    x0, y, x0 + 0.035, y, clr, i == K + 2 ? "(6,4)" : "1");
        if (i < K)
            fprintf(f, "set label 'logit %d' at screen %.4f, screen %.3f left\n", i, x0 + 0.042, y);
        else
            fprintf(f, "set label '%s' at screen %.4f, screen %.3f left\n", what, x0 + 0.042, y);
    }
}

static int draw_fig4(report_ctx *c, const report_study *rs, long p, int variant)
{
    store_array t, x, sim, rd, S, pt;
    memset(&x, 0, sizeof x);
    memset(&sim, 0, sizeof sim);
    memset(&rd, 0, sizeof rd);
    memset(&S, 0, sizeof S);
    memset(&pt, 0, sizeof pt);
    const char *vn = le_variant_name(variant);
    char nsim[64], nrd[64];
    snprintf(nsim, sizeof nsim, "fit/sim_%s", vn);
    snprintf(nrd, sizeof nrd, "fit/rd_%s", vn);
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = report_read(c, rs, "xbar_probe", &x);
    if (!rc)
        rc = report_read(c, rs, nsim, &sim);
    if (!rc)
        rc = report_read(c, rs, nrd, &rd);
    if (!rc)
        rc = report_read(c, rs, "fit/S", &S);
    if (!rc)
        rc = report_read(c, rs, "fit/plateau_t", &pt);
    long nt = 0;
    const double *tv = point_t(rs, &t, p, &nt);
    int K = rs->pt[p].K, nk = K < FIG4_MAX_CLASSES ? K : FIG4_MAX_CLASSES;
    int sm = rc ? -1 : median_seed(rs, &rd, p, nt - 1);
    if (!rc && sm < 0) {
        rc = report_skip(c, "skipped fig4 (%s) for study %s: no seed with a finite RD", vn,
                         rs->st->name);
        goto out;
    }
    double rd_q[3], etf_q[3], rd_sm = NAN, etf_sm = NAN;
    if (!rc) {
        double *v = report_seed_buf(rs);
        if (!v)
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
        else {
            final_rd_q(rs, &rd, p, LE_SIM_L_UNDER_L, nt - 1, rd_q, v);
            rd_sm = v[sm];
            store_array etf;
            if ((rc = report_read(c, rs, "fit/rd_etf", &etf)) == LESDE_OK) {
                final_rd_q(rs, &etf, p, -1, nt - 1, etf_q, v);
                etf_sm = v[sm];
                store_array_free(&etf);
            }
        }
        free(v);
    }
    long Km = x.dims[x.ndim - 1], C = x.dims[x.ndim - 3];
    report_gp g = {0};
    char dat[300], kind[32];
    snprintf(kind, sizeof kind, "fig4%s", vn);
    FILE *d = NULL;
    if (!rc && !(d = report_fig_open(&g, c, kind, rs->st->name, NULL, 180 + 420 * nk, 940, dat,
                                     sizeof dat)))
        rc = c->e->code;
    if (!rc) {
        fprintf(d,
                "# %s, point %s, seed %llu (the median-RD seed): t, genuine xbar[k][j] (column "
                "2 + k K + j), the imitation (%s start) with the I-model's estimates under the "
                "L-model ODE (2 + K^2 + k K + j), with the L-model's (2 + 2 K^2 + ...), the ETF "
                "baseline (2 + 3 K^2 + ...)\n",
                rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)",
                (unsigned long long)rs->st->seeds[sm], vn);
        put_task(d, tv, nt, task_of(rs, &x, p, sm), task_of(rs, &sim, p, sm),
                 task_of(rs, &S, p, sm), C, Km, K);
        rc = report_gp_data_close(&g, d, dat);
    }
    double t0 = !rc ? task_of(rs, &pt, p, sm)[0] : NAN;
    if (!rc) {
        FILE *f = g.f;
        char title[600];
        snprintf(title, sizeof title,
                 "%s%s%s, seed %llu (median RD of %d seeds): %s, under the L-model ODE",
                 rs->st->name, rs->label[p][0] ? ", " : "", rs->label[p],
                 (unsigned long long)rs->st->seeds[sm], rs->pt[p].n_done,
                 variant == LE_VAR_REFERENCE ? "rescaled, reference method"
                                             : "from the end of the plateau");
        fputs("set multiplot layout 2,", f);
        fprintf(f, "%d title ", nk);
        report_gp_str(f, title);
        fputs(" font ',13' margins 0.06,0.98,0.13,0.9 spacing 0.05,0.12\n"
              "set xlabel 't (iterations)'\nunset key\n",
              f);
        if (isfinite(t0) && variant == LE_VAR_PLATEAU)
            fprintf(f, "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 3 lc rgb "
                       "'#555555'\n",
                    t0, t0);
        fig4_legend(f, K, 0.03);
        for (int row = 0; row < 2; row++)
            for (int a = 0; a < nk; a++) {
                fprintf(f, "set title 'class %d: %s-model α̂, β̂'\n", a, model_name[row]);
                fprintf(f, "set ylabel %s\n", a == 0 ? "'mean probe logit X̄^k_j(t)'" : "''");
                fig4_panel(f, dat, 0, K, a, row);
            }
    }
    rc = report_gp_end(&g, rc);
    if (!rc) {
        char tnote[128] = "";
        if (variant == LE_VAR_PLATEAU)
            snprintf(tnote, sizeof tnote, " The plateau of this seed ends at t0 = %g (dotted).",
                     t0);
        rc = report_add_fig(
            c, g.base, kind,
            variant == LE_VAR_REFERENCE ? "Figure 4 (rescaled, reference method)"
                                        : "Figure 4 (from the end of the plateau)",
            rs->st->name, "",
            "Study %s at %s, seed %llu, the seed of median final RD among %d: per class k "
            "(columns), the K coordinates of the genuine mean probe logits of the samples "
            "trained as class k (points) against the LE-ODE under the L-model driven by the "
            "I-model's (top) and L-model's (bottom) alphahat, betahat (lines)%s%s%s, and the ETF "
            "baseline S(t) dhat_k (dashed; genuine scale, no dynamics). Final RD of this seed "
            "(L-model's estimates) %.3g, of the baseline %.3g; across seeds median %.3g [IQR "
            "%.3g, %.3g] against the baseline's %.3g [%.3g, %.3g].%s%s",
            rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point",
            (unsigned long long)rs->st->seeds[sm], rs->pt[p].n_done,
            variant == LE_VAR_REFERENCE
                ? ", started from the mean of noisy starts and rescaled by one scalar fitted "
                  "on the last 1,000 iterations (the slides' method; its scalar "
                : ", started from the genuine Xbar(t0) at the end of the plateau",
            variant == LE_VAR_REFERENCE ? report_ref_window(rs) : "",
            variant == LE_VAR_REFERENCE ? ")" : "", rd_sm, etf_sm, rd_q[0], rd_q[1], rd_q[2],
            etf_q[0], etf_q[1], etf_q[2], tnote,
            K > nk ? " Only the first 5 classes are drawn." : "");
    }
out:
    store_array_free(&t);
    store_array_free(&x);
    store_array_free(&sim);
    store_array_free(&rd);
    store_array_free(&S);
    store_array_free(&pt);
    return rc;
}

/* Small multiples: every done seed (up to FIG4_MAX_SEEDS), class 0, the
 * L-model's estimates under the L-model ODE from the given start. */
static int draw_fig4_seeds(report_ctx *c, const report_study *rs, long p, int variant)
{
    store_array t, x, sim, rd, S, etf;
    store_array *all[6] = {&t, &x, &sim, &rd, &S, &etf};
    for (int i = 0; i < 6; i++)
        memset(all[i], 0, sizeof *all[i]);
    const char *vn = le_variant_name(variant);
    char nsim[64], nrd[64];
    snprintf(nsim, sizeof nsim, "fit/sim_%s", vn);
    snprintf(nrd, sizeof nrd, "fit/rd_%s", vn);
    const char *names[6] = {"t", "xbar_probe", nsim, nrd, "fit/S", "fit/rd_etf"};
    int rc = LESDE_OK;
    for (int i = 0; i < 6 && !rc; i++)
        rc = report_read(c, rs, names[i], all[i]);
    long nt = 0;
    const double *tv = rc ? NULL : point_t(rs, &t, p, &nt);
    int K = rs->pt[p].K;
    /* Every done seed's final RD and the baseline's; the seeds shown: all,
     * or FIG4_MAX_SEEDS spread evenly over their ranking by final RD (the
     * lowest, the highest and evenly between), drawn in that order. */
    long Km = rc || x.ndim < 3 ? 0 : x.dims[x.ndim - 1],
         C = rc || x.ndim < 3 ? 0 : x.dims[x.ndim - 3];
    int *done = malloc(sizeof *done * (size_t)(rs->S > 0 ? rs->S : 1)), nd = 0, beat_all = 0,
        fin_all = 0;
    double *rd_all = report_seed_buf(rs), *etf_all = report_seed_buf(rs);
    if (!rc && (!done || !rd_all || !etf_all))
        rc = err_set(c->e, LESDE_FAIL, "out of memory");
    for (int s = 0; !rc && s < rs->S; s++)
        if (report_task_done(rs, p, s)) {
            rd_all[s] = report_task_rd(rs, &rd, p, s, LE_SIM_L_UNDER_L, nt - 1, -1);
            etf_all[s] = report_task_rd(rs, &etf, p, s, -1, nt - 1, -1);
            if (isfinite(rd_all[s])) {
                fin_all++;
                beat_all += rd_all[s] < etf_all[s];
            }
            done[nd++] = s;
        }
    int seeds[FIG4_MAX_SEEDS], ns = 0, spread = nd > FIG4_MAX_SEEDS;
    if (spread) {
        /* insertion sort of the done seeds by final RD, NaN last */
        for (int i = 1; i < nd; i++)
            for (int j = i; j > 0; j--) {
                double a = rd_all[done[j - 1]], b = rd_all[done[j]];
                if (!(isnan(a) ? !isnan(b) : b < a))
                    break;
                int tmp = done[j];
                done[j] = done[j - 1];
                done[j - 1] = tmp;
            }
        for (int i = 0; i < FIG4_MAX_SEEDS; i++)
            seeds[ns++] = done[(long)i * (nd - 1) / (FIG4_MAX_SEEDS - 1)];
    } else
        for (int i = 0; i < nd; i++)
            seeds[ns++] = done[i];
    int cols = ns <= 4 ? ns : ns <= 9 ? 3 : ns <= 16 ? 4 : 6, rows = (ns + cols - 1) / cols;
    report_gp g = {0};
    char dat[300], kind[32];
    snprintf(kind, sizeof kind, "fig4seeds%s", vn);
    FILE *d = NULL;
    if (!rc && ns > 0 &&
        !(d = report_fig_open(&g, c, kind, rs->st->name, NULL, 120 + 330 * cols, 90 + 250 * rows,
                              dat, sizeof dat)))
        rc = c->e->code;
    double rds[FIG4_MAX_SEEDS], etfs[FIG4_MAX_SEEDS];
    if (!rc && ns > 0) {
        fprintf(d, "# %s, point %s: one block per seed (gnuplot index), columns as fig4%s\n",
                rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)", vn);
        for (int i = 0; i < ns; i++) {
            int s = seeds[i];
            fprintf(d, "%s# seed %llu\n", i ? "\n\n" : "", (unsigned long long)rs->st->seeds[s]);
            put_task(d, tv, nt, task_of(rs, &x, p, s), task_of(rs, &sim, p, s),
                     task_of(rs, &S, p, s), C, Km, K);
            rds[i] = rd_all[s];
            etfs[i] = etf_all[s];
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc && ns > 0) {
        FILE *f = g.f;
        char title[512];
        snprintf(title, sizeof title, "%s%s%s: class 0 of every seed, L-model (%s)", rs->st->name,
                 rs->label[p][0] ? ", " : "", rs->label[p],
                 variant == LE_VAR_REFERENCE ? "rescaled, reference method"
                                             : "from the end of the plateau");
        fprintf(f, "set multiplot layout %d,%d title ", rows, cols);
        report_gp_str(f, title);
        fputs(" font ',12' margins 0.05,0.99,0.1,0.92 spacing 0.04,0.09\nunset key\n"
              "set format x '%.0s%c'\n",
              f);
        fig4_legend(f, K, 0.025);
        for (int i = 0; i < ns; i++) {
            fprintf(f, "set title 'seed %llu: RD %.2f (ETF %.2f)' font ',10'\n",
                    (unsigned long long)rs->st->seeds[seeds[i]], rds[i], etfs[i]);
            fig4_panel(f, dat, i, K, 0, 1);
        }
        rc = report_gp_run(&g);
    } else {
        report_gp_abort(&g);
    }
    if (!rc && ns > 0) {
        rc = report_add_fig(
            c, g.base, kind, "Figure 4, every seed", rs->st->name, "",
            "Study %s at %s: class 0's K mean probe logits (points) against the L-model's "
            "imitation (%s; lines) and the ETF baseline (dashed) for %d seeds%s; the panel "
            "titles give each seed's final RD and the baseline's. The imitation beats the "
            "baseline for %d of the %d seeds with a finite RD (all done seeds, shown or not).",
            rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point",
            variant == LE_VAR_REFERENCE ? "rescaled, reference method"
                                        : "from the end of the plateau",
            ns,
            spread ? ", spread evenly over the ranking of all done seeds by final RD, lowest "
                     "first"
                   : " (every done seed)",
            beat_all, fin_all);
    }
    free(done);
    free(rd_all);
    free(etf_all);
    for (int i = 0; i < 6; i++)
        store_array_free(all[i]);
    return rc;
}

int report_draw_fig4(report_ctx *c, const report_study *rs, long p)
{
    int rc = LESDE_OK;
    for (int v = 0; v < 2 && !rc; v++) {
        int variant = v ? LE_VAR_REFERENCE : LE_VAR_PLATEAU;
        rc = draw_fig4(c, rs, p, variant);
        if (!rc)
            rc = draw_fig4_seeds(c, rs, p, variant);
    }
    return rc;
}

/* ---- Figure 5 ---- */

/* One panel of fig5 / fig5k: the three simulations' median (line) and IQR
 * (band) from data columns sim_col.. (median, q25, q75 each), the ETF
 * baseline's from base_col.., the class-average baseline's median after. */
static void rd_plot(FILE *f, const char *dat, int sim_col, int base_col)
{
    fputs("plot ", f);
    for (int s = 0; s < LE_NUM_SIMS; s++) {
        int col = sim_col + 3 * s;
        const char *clr = report_color(s);
        fprintf(f,
                "'%s' using 1:%d:%d with @band fc rgb '%s', \\\n"
                "  '' using 1:%d with lines lw 2 lc rgb '%s' title '%s', \\\n  ",
                dat, col + 1, col + 2, clr, col, clr, le_sim_name(s));
    }
    fprintf(f,
            "'%s' using 1:%d:%d with @band fc rgb 'black', \\\n"
            "  '' using 1:%d with lines lw 2 dt (6,4) lc rgb 'black' "
            "title 'ETF baseline S(t) dhat_k', \\\n"
            "  '' using 1:%d with lines lw 2 dt (2,3) lc rgb '#777777' "
            "title 'class-average baseline'\n",
            dat, base_col + 1, base_col + 2, base_col, base_col + 3);
}

/* Figure 5 class by class, as the slides draw it: RD_k(t) of each class
 * in its own panel (a mean over classes can hide one class imitated badly),
 * the three simulations from one start against both baselines of the same
 * class, median and IQR across seeds. */
static int draw_fig5k(report_ctx *c, const report_study *rs, long p, const double *tv, long nt,
                      int variant, const store_array *rd, const store_array *bl)
{
    int K = rs->pt[p].K < DATA_MAX_K ? rs->pt[p].K : DATA_MAX_K, cols, rows, w, h;
    class_grid(K, &cols, &rows, &w, &h);
    const char *vn = le_variant_name(variant);
    char dat[300], kind[32];
    snprintf(kind, sizeof kind, "fig5k%s", vn);
    double *v = report_seed_buf(rs), q[3];
    if (!v)
        return err_set(c->e, LESDE_FAIL, "out of memory");
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, kind, rs->st->name, NULL, w, h, dat, sizeof dat);
    if (!d) {
        free(v);
        return c->e->code;
    }
    long C = bl[0].dims[bl[0].ndim - 2];
    fprintf(d,
            "# %s, point %s, start %s: t, then for each class k (15 columns from 2 + 15 k): "
            "the simulations I-est/L-ODE, L-est/L-ODE, I-est/I-ODE, the ETF and the "
            "class-average baselines: median, q25, q75 across seeds of RD_k(t)\n",
            rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)", vn);
    /* final medians for the caption: L-est/L-ODE and the ETF baseline */
    double fin[2][DATA_MAX_K];
    for (int k = 0; k < K; k++)
        fin[0][k] = fin[1][k] = NAN;
    for (long i = 0; i < nt && i < C; i++) {
        if (!(tv[i] > 0))
            continue; /* a log axis */
        report_gp_num(d, tv[i]);
        for (int k = 0; k < K; k++)
            for (int j = 0; j < LE_NUM_SIMS + 2; j++) {
                int m = 0;
                for (int s = 0; s < rs->S; s++)
                    if (report_task_done(rs, p, s))
                        v[m++] = j < LE_NUM_SIMS
                                     ? report_task_rd(rs, &rd[variant], p, s, j, i, k)
                                     : report_task_rd(rs, &bl[j - LE_NUM_SIMS], p, s, -1, i, k);
                report_quantiles(v, m, q);
                report_gp_nums(d, q, 3);
                if (j == LE_SIM_L_UNDER_L || j == LE_NUM_SIMS)
                    fin[j == LE_NUM_SIMS][k] = q[0];
            }
        fputc('\n', d);
    }
    free(v);
    int rc = report_gp_data_close(&g, d, dat);
    if (!rc) {
        FILE *f = g.f;
        char title[512];
        snprintf(title, sizeof title,
                 "%s%s%s: RD_k(t) class by class, %s (median and IQR of %d seeds)", rs->st->name,
                 rs->label[p][0] ? ", " : "", rs->label[p],
                 variant == LE_VAR_REFERENCE ? "reference method (rescaled, from noise)"
                                             : "from the plateau end Xbar(t0)",
                 rs->pt[p].n_done);
        class_multiplot(f, title, rows, cols, h);
        fputs("set logscale x\nset xlabel 't (iterations)'\nset yrange [0:2.05]\n"
              "band = 'filledcurves fs transparent solid 0.15 noborder notitle'\n",
              f);
        for (int k = 0; k < K; k++) {
            class_panel(f, k, cols, "", "'RD_k(t)'", "horizontal");
            rd_plot(f, dat, 2 + 15 * k, 2 + 15 * k + 3 * LE_NUM_SIMS);
        }
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    char finals[512] = "";
    size_t len = 0;
    for (int k = 0; k < K && len < sizeof finals; k++)
        len += (size_t)snprintf(finals + len, sizeof finals - len, "%sclass %d %.2f (ETF %.2f)",
                                k ? ", " : "", k, fin[0][k], fin[1][k]);
    return report_add_fig(
        c, g.base, kind,
        variant == LE_VAR_REFERENCE ? "Figure 5 per class (rescaled, reference method)"
                                    : "Figure 5 per class (from the end of the plateau)",
        rs->st->name, "",
        "Study %s at %s: RD_k(t) = |x^k - y^k| / ((|x^k| + |y^k|)/2) of each class k (one panel "
        "each, as the slides' Figure 5), between the genuine mean logits and the imitations "
        "%s, median (lines) and interquartile range (bands) across %d seeds; colours as in "
        "Figure 5; black dashed: the ETF baseline of the same class, grey dotted: the "
        "class-average baseline (median only). Final median RD_k of the L-model's estimates "
        "under the L-model ODE: %s. Per class and seed counts: imitation_k.csv.",
        rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point",
        variant == LE_VAR_REFERENCE ? "by the slides' reference method (rescaled by one fitted "
                                      "scalar, from noise)"
                                    : "from the end of the plateau (undefined before it)",
        rs->pt[p].n_done, finals);
}

/* fig5: RD(t), the mean over classes, of every start, simulation and
 * baseline at point p (checkpoints tv[0..nt)). */
static int draw_fig5_mean(report_ctx *c, const report_study *rs, long p, const double *tv, long nt,
                          const store_array *rd, const store_array *bl)
{
    report_gp g = {0};
    char dat[300];
    FILE *d = report_fig_open(&g, c, "fig5", rs->st->name, NULL, 1500, 560, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    if (!rc) {
        long C = bl[0].dims[bl[0].ndim - 2];
        fprintf(d,
                "# %s, point %s: t, then for the starts plateau, reference, t0 and for the "
                "simulations I-est/L-ODE, L-est/L-ODE, I-est/I-ODE, then for the ETF and the "
                "class-average baselines: median, q25, q75 across seeds of mean_k RD_k(t)\n",
                rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)");
        double *v = report_seed_buf(rs), q[3];
        for (long k = 0; v && k < nt && k < C; k++) {
            if (!(tv[k] > 0))
                continue; /* a log axis */
            report_gp_num(d, tv[k]);
            for (int j = 0; j < LE_NUM_VARIANTS * LE_NUM_SIMS + 2; j++) {
                int m = 0, nsim = LE_NUM_VARIANTS * LE_NUM_SIMS;
                for (int s = 0; s < rs->S; s++)
                    if (report_task_done(rs, p, s))
                        v[m++] = j < nsim ? report_task_rd(rs, &rd[j / LE_NUM_SIMS], p, s,
                                                           j % LE_NUM_SIMS, k, -1)
                                          : report_task_rd(rs, &bl[j - nsim], p, s, -1, k, -1);
                report_quantiles(v, m, q);
                report_gp_nums(d, q, 3);
            }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
        if (!rc && !v)
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
        free(v);
    }
    if (!rc) {
        FILE *f = g.f;
        char title[512];
        snprintf(title, sizeof title,
                 "%s%s%s: RD(t) = mean_k RD_k(t) of the imitations (median and IQR of %d seeds)",
                 rs->st->name, rs->label[p][0] ? ", " : "", rs->label[p], rs->pt[p].n_done);
        fputs("set multiplot layout 1,3 title ", f);
        report_gp_str(f, title);
        fputs(" font ',13' margins 0.05,0.99,0.3,0.88 spacing 0.05,0.1\n"
              "set logscale x\nset xlabel 't (iterations)'\nset yrange [0:2.05]\n"
              "band = 'filledcurves fs transparent solid 0.15 noborder notitle'\n",
              f);
        static const char *const vt[3] = {"from the plateau end Xbar(t0)",
                                          "reference method (rescaled, from noise)",
                                          "from Xbar(0)"};
        int ecol = 2 + LE_NUM_VARIANTS * LE_NUM_SIMS * 3;
        for (int v = 0; v < LE_NUM_VARIANTS; v++) {
            fprintf(f, "set title '%s'\nset ylabel %s\n", vt[v], v ? "''" : "'RD(t)'");
            if (v == 0)
                fputs("set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 2 "
                      "width 2\n",
                      f);
            else
                fputs("unset key\n", f);
            rd_plot(f, dat, 2 + v * LE_NUM_SIMS * 3, ecol);
        }
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "fig5", "Figure 5: RD of every imitation and of the baseline", rs->st->name, "",
        "Study %s at %s: RD(t), the mean over classes of RD_k(t) = |x^k - y^k| / "
        "((|x^k| + |y^k|)/2) between the genuine mean logits and each imitation, median "
        "(lines) and interquartile range (bands) across %d seeds: from the end of the plateau "
        "(left; undefined before it), by the slides' reference method (middle; rescaled by one "
        "fitted scalar, from noise), from Xbar(0) (right). Colours: I-model's estimates under "
        "the L-model ODE, L-model's under the L-model ODE (the slides' Figure 4 and 5), "
        "I-model's under the I-model ODE; black dashed: the ETF baseline S(t) dhat_k; grey "
        "dotted: the class-average baseline (median only). A seed counts from the end of its "
        "own plateau on, so the left panel's early part rests on the seeds whose plateau ended "
        "first. Lower is better; RD = 2 means opposite directions.",
        rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point", rs->pt[p].n_done);
}

int report_draw_fig5(report_ctx *c, const report_study *rs, long p)
{
    store_array t, rd[LE_NUM_VARIANTS], bl[2];
    memset(rd, 0, sizeof rd);
    memset(bl, 0, sizeof bl);
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = read_rd(c, rs, rd, bl);
    long nt = 0;
    const double *tv = rc ? NULL : point_t(rs, &t, p, &nt);
    if (!rc && report_wants(c, REPORT_ONLY_FIG5))
        rc = draw_fig5_mean(c, rs, p, tv, nt, rd, bl);
    /* the per-class figures of the two starts fig4 draws */
    for (int v = 0; v < 2 && !rc && report_wants(c, REPORT_ONLY_FIG5K); v++)
        rc = draw_fig5k(c, rs, p, tv, nt, v ? LE_VAR_REFERENCE : LE_VAR_PLATEAU, rd, bl);
    store_array_free(&t);
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        store_array_free(&rd[v]);
    store_array_free(&bl[0]);
    store_array_free(&bl[1]);
    return rc;
}
