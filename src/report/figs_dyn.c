/* report figures of the dynamics of a train study with a fit: fig2 (LE
 * fit), fig4 (simulated vs genuine), fig5 (RD_k). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

static const char *const model_name[2] = {"I", "L"};

/* The point the dynamics figures show: the first with p_err = 0 that has
 * done seeds (and summaries, for figures of means), else the first such. */
static long dyn_point(const report_study *rs, int need_sum)
{
    for (int pass = 0; pass < 2; pass++)
        for (long p = 0; p < rs->P; p++)
            if ((pass || rs->pt[p].p_err == 0) &&
                (need_sum ? report_summarized(rs, p) : rs->pt[p].n_done > 0))
                return p;
    return -1;
}

/* Train studies with a fit and a done task; the callback draws one. */
static int each_fit_study(report_ctx *c, const char *kind, int need_sum,
                          int (*draw)(report_ctx *, const report_study *, long))
{
    int any = 0;
    for (int i = 0; i < c->s.n_studies; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st || rs->st->kind != SPEC_TRAIN || !rs->fit)
            continue;
        any = 1;
        long p = dyn_point(rs, need_sum);
        if (p < 0) {
            if (report_skip(c, "skipped %s for study %s: no done task%s", kind, rs->st->name,
                            rs->n_done && need_sum ? " with summaries across seeds" : ""))
                return c->e->code;
            continue;
        }
        int rc = draw(c, rs, p);
        if (rc)
            return rc;
    }
    if (!any)
        return report_skip(c, "skipped %s: no train study with a fit", kind);
    return LESDE_OK;
}

/* ---- fig2 ---- */

static int draw_fig2(report_ctx *c, const report_study *rs, long p)
{
    static const char *const q_name[4] = {"fit/A", "fit/B", "fit/alpha", "fit/beta"};
    store_array t, s[4][3];
    memset(s, 0, sizeof s);
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = LESDE_OK;
    for (int q = 0; q < 4 && !rc; q++)
        rc = report_read_stats(c, rs, q_name[q], s[q]);
    report_gp g = {0};
    char base[256], dat[300];
    report_file_base(base, sizeof base, "fig2", rs->st->name, NULL);
    long nt = 0;
    const double *tv = report_point_t(rs, &t, p, &nt);
    FILE *d = NULL;
    if (!rc && (rc = report_gp_open(&g, c, base, 1300, 950)) == LESDE_OK &&
        !(d = report_gp_data(&g, "", dat, sizeof dat)))
        rc = c->e->code;
    /* Each panel's y range: its means and 0. The bands (t-intervals, wide
     * with few seeds) are clamped to it; gnuplot leaves gaps in a band
     * whose both edges leave the plot. */
    double ylo[2][2] = {{0, 0}, {0, 0}}, yhi[2][2] = {{0, 0}, {0, 0}};
    if (!rc) {
        long C = s[0][0].dims[s[0][0].ndim - 1];
        for (long k = 0; k < nt && k < C; k++)
            for (int m = 0; m < 2; m++)
                for (int q = 0; q < 4; q++) {
                    double v = s[q][0].data[(p * 2 + m) * C + k];
                    if (isfinite(v)) {
                        ylo[m][q / 2] = fmin(ylo[m][q / 2], v);
                        yhi[m][q / 2] = fmax(yhi[m][q / 2], v);
                    }
                }
        fprintf(d,
                "# %s, point %s: t, then for model I, L and for A, B, alpha, beta: "
                "mean, ci_lo, ci_hi across seeds\n",
                rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)");
        for (long k = 0; k < nt && k < C; k++) {
            report_gp_num(d, tv[k]);
            for (int m = 0; m < 2; m++)
                for (int q = 0; q < 4; q++)
                    for (int j = 0; j < 3; j++) {
                        fputc(' ', d);
                        report_gp_num(d, s[q][j].data[(p * 2 + m) * C + k]);
                    }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        char title[512];
        snprintf(title, sizeof title,
                 "%s%s%s: estimated LE dynamics (mean of %d seeds, 95%% bands)", rs->st->name,
                 rs->label[p][0] ? ", " : "", rs->label[p], rs->pt[p].n_done);
        fputs("set multiplot layout 2,2 title ", f);
        report_gp_str(f, title);
        fputs(" font ',13'\nset xlabel 't (iterations)'\nset key top left\n", f);
        fputs("band = 'filledcurves fs transparent solid 0.18 noborder noautoscale notitle'\n"
              "clip(v) = v < ylo ? ylo : v > yhi ? yhi : v\n",
              f);
        static const char *const sym[2][2] = {{"Â(t)", "B̂(t)"}, {"α̂(t)", "β̂(t)"}};
        for (int m = 0; m < 2; m++)
            for (int h = 0; h < 2; h++) {
                fprintf(f, "set title '%s-model: %s and %s'\n", model_name[m], sym[h][0],
                        sym[h][1]);
                fprintf(f, "set ylabel '%s, %s%s'\n", sym[h][0], sym[h][1],
                        h ? "  (1/iteration)" : "  (dimensionless)");
                double pad = 0.08 * (yhi[m][h] - ylo[m][h]);
                if (!(pad > 0))
                    pad = 1;
                fprintf(f, "ylo = %.9g; yhi = %.9g\nset yrange [ylo:yhi]\nplot ", ylo[m][h] - pad,
                        yhi[m][h] + pad);
                for (int k = 0; k < 2; k++) {
                    int col = 2 + (m * 4 + h * 2 + k) * 3;
                    const char *clr = report_color(k ? 3 : 0);
                    fprintf(f,
                            "%s'%s' using 1:(clip($%d)):(clip($%d)) with @band fc rgb '%s', "
                            "\\\n"
                            "  '' using 1:%d with lines lw 2 lc rgb '%s' title '%s'",
                            k ? ", \\\n  " : "", dat, col + 1, col + 2, clr, col, clr, sym[h][k]);
                }
                fputs(", \\\n  0 with lines lc rgb '#888888' dt 3 notitle\n", f);
            }
        rc = report_gp_run(&g);
    } else {
        report_gp_abort(&g);
    }
    store_array_free(&t);
    for (int q = 0; q < 4; q++)
        report_free_stats(s[q]);
    if (rc)
        return rc;
    return report_add_fig(
        c, base, "fig2", "Figure 2: estimated A, B, alpha, beta", rs->st->name, "",
        "Study %s at %s: Ahat, Bhat (left) and their Savitzky-Golay derivatives "
        "alphahat, betahat (right) under the I-model (top) and L-model (bottom); "
        "mean over %d done seeds with 95%% t-intervals (slides Figure 2).",
        rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point", rs->pt[p].n_done);
}

int report_fig2(report_ctx *c)
{
    return each_fit_study(c, "fig2", 1, draw_fig2);
}

/* ---- fig4 ---- */

/* Panels of fig4: one per class (its K logits), at most this many. */
#define FIG4_MAX_CLASSES 5

static int draw_fig4(report_ctx *c, const report_study *rs, long p)
{
    store_array t, x, sim;
    memset(&x, 0, sizeof x);
    memset(&sim, 0, sizeof sim);
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = report_read(c, rs, "xbar_probe", &x);
    if (!rc)
        rc = report_read(c, rs, "fit/sim", &sim);
    int q = report_first_done(rs, p);
    long nt = 0;
    const double *tv = report_point_t(rs, &t, p, &nt);
    int K = rs->pt[p].K;
    int nk = K < FIG4_MAX_CLASSES ? K : FIG4_MAX_CLASSES;
    report_gp g = {0};
    char base[256], dat[300];
    report_file_base(base, sizeof base, "fig4", rs->st->name, NULL);
    FILE *d = NULL;
    if (!rc && (rc = report_gp_open(&g, c, base, 180 + 440 * nk, 900)) == LESDE_OK &&
        !(d = report_gp_data(&g, "", dat, sizeof dat)))
        rc = c->e->code;
    if (!rc) {
        long Km = x.dims[x.ndim - 1], C = x.dims[x.ndim - 3];
        fprintf(d,
                "# %s, point %s, seed index %d: t, genuine xbar[k][j] (k class, j logit; "
                "column 2 + k K + j), then the LE-ODE simulated with the I-model (column "
                "2 + K^2 + k K + j), then with the L-model (2 + 2 K^2 + k K + j)\n",
                rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)", q);
        const double *xv = x.data + (p * rs->S + q) * C * Km * Km;
        const double *sv = sim.data + (p * rs->S + q) * 2 * C * Km * Km;
        for (long k = 0; k < nt && k < C; k++) {
            report_gp_num(d, tv[k]);
            for (int src = 0; src < 3; src++) {
                const double *v = src == 0 ? xv : sv + (src - 1) * C * Km * Km;
                for (int a = 0; a < K; a++)
                    for (int b = 0; b < K; b++) {
                        fputc(' ', d);
                        report_gp_num(d, v[(k * Km + a) * Km + b]);
                    }
            }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        char title[512];
        snprintf(title, sizeof title,
                 "%s%s%s, seed %llu: genuine mean logits (solid) against the simulated "
                 "LE-ODE (dashed)",
                 rs->st->name, rs->label[p][0] ? ", " : "", rs->label[p],
                 (unsigned long long)rs->st->seeds[q]);
        fputs("set multiplot layout 2,", f);
        fprintf(f, "%d title ", nk);
        report_gp_str(f, title);
        fputs(" font ',13' margins 0.06,0.98,0.12,0.9 spacing 0.05,0.12\n"
              "set xlabel 't (iterations)'\n",
              f);
        for (int m = 0; m < 2; m++)
            for (int a = 0; a < nk; a++) {
                fprintf(f, "set title 'class %d, simulated with the %s-model'\n", a, model_name[m]);
                fprintf(f, "set ylabel %s\n", a == 0 ? "'mean probe logit X̄^k_j(t)'" : "''");
                /* One legend for the whole figure, under the panels, drawn by
                 * hand: a key at screen coordinates wraps to one panel's width. */
                fputs("unset key\n", f);
                if (m == 1 && a == nk - 1) {
                    int ne = K + 2;
                    for (int i = 0; i < ne; i++) {
                        double x0 = 0.5 - 0.5 * ne * 0.13 + i * 0.13;
                        fprintf(f,
                                "set arrow from screen %.4f, screen 0.03 to screen %.4f, "
                                "screen 0.03 nohead lw 2 lc rgb '%s' dt %s\n",
                                x0, x0 + 0.035, i < K ? report_color(i) : "black",
                                i == K + 1 ? "(8,5)" : "1");
                        if (i < K)
                            fprintf(f, "set label 'logit %d' at screen %.4f, screen 0.03 left\n", i,
                                    x0 + 0.042);
                        else
                            fprintf(f, "set label '%s' at screen %.4f, screen 0.03 left\n",
                                    i == K ? "genuine" : "simulated", x0 + 0.042);
                    }
                }
                fputs("plot ", f);
                for (int b = 0; b < K; b++) {
                    int gc = 2 + a * K + b, sc = 2 + (1 + m) * K * K + a * K + b;
                    const char *clr = report_color(b);
                    fprintf(f,
                            "%s'%s' using 1:%d with lines lw 2 lc rgb '%s' notitle, \\\n"
                            "  '' using 1:%d with lines lw 2 dt (8,5) lc rgb '%s' notitle",
                            b ? ", \\\n  " : "", dat, gc, clr, sc, clr);
                }
                fputc('\n', f);
            }
        rc = report_gp_run(&g);
    } else {
        report_gp_abort(&g);
    }
    store_array_free(&t);
    store_array_free(&x);
    store_array_free(&sim);
    if (rc)
        return rc;
    return report_add_fig(
        c, base, "fig4", "Figure 4: simulated vs genuine dynamics", rs->st->name, "",
        "Study %s at %s, seed %llu: per class k (columns), the K coordinates of the "
        "genuine mean probe logits of the samples trained as class k (solid) against "
        "the LE-ODE simulated from the same Xbar(0) with the I-model's (top) and "
        "L-model's (bottom) alphahat, betahat and H, not rescaled (slides Figure 4).%s",
        rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point",
        (unsigned long long)rs->st->seeds[q], K > nk ? " Only the first 5 classes are drawn." : "");
}

int report_fig4(report_ctx *c)
{
    return each_fit_study(c, "fig4", 0, draw_fig4);
}

/* ---- fig5 ---- */

static int draw_fig5(report_ctx *c, const report_study *rs, long p)
{
    store_array t, rd;
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = report_read(c, rs, "summary/mean/fit/rd", &rd);
    long nt = 0;
    const double *tv = report_point_t(rs, &t, p, &nt);
    int K = rs->pt[p].K;
    report_gp g = {0};
    char base[256], dat[300];
    report_file_base(base, sizeof base, "fig5", rs->st->name, NULL);
    FILE *d = NULL;
    if (!rc && (rc = report_gp_open(&g, c, base, 1000, 650)) == LESDE_OK &&
        !(d = report_gp_data(&g, "", dat, sizeof dat)))
        rc = c->e->code;
    if (!rc) {
        long Km = rd.dims[rd.ndim - 1], C = rd.dims[rd.ndim - 2];
        fprintf(d,
                "# %s, point %s: t, RD_k (k = 0..K-1) of the I-model, then of the "
                "L-model; mean across seeds\n",
                rs->st->name, rs->label[p][0] ? rs->label[p] : "(single)");
        for (long k = 0; k < nt && k < C; k++) {
            report_gp_num(d, tv[k]);
            for (int m = 0; m < 2; m++)
                for (int a = 0; a < K; a++) {
                    fputc(' ', d);
                    report_gp_num(d, rd.data[((p * 2 + m) * C + k) * Km + a]);
                }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        char title[512];
        snprintf(title, sizeof title,
                 "%s%s%s: relative difference genuine vs simulated (mean of %d seeds)",
                 rs->st->name, rs->label[p][0] ? ", " : "", rs->label[p], rs->pt[p].n_done);
        fputs("set title ", f);
        report_gp_str(f, title);
        fputs("\nset xlabel 't (iterations)'\n"
              "set ylabel 'RD_k(t) = |x̄^k - ȳ^k| / ((|x̄^k| + |ȳ^k|)/2)'\n"
              "set key outside right top\nset yrange [0:*]\n",
              f);
        fputs("plot ", f);
        for (int a = 0; a < K; a++)
            for (int m = 1; m >= 0; m--)
                fprintf(f,
                        "%s'%s' using 1:%d with lines lw 2 %s lc rgb '%s' "
                        "title 'RD_%d, %s-model'",
                        a || m == 0 ? ", \\\n  " : "", dat, 2 + m * K + a, m ? "dt 1" : "dt (8,5)",
                        report_color(a), a, model_name[m]);
        fputc('\n', f);
        rc = report_gp_run(&g);
    } else {
        report_gp_abort(&g);
    }
    store_array_free(&t);
    store_array_free(&rd);
    if (rc)
        return rc;
    return report_add_fig(
        c, base, "fig5", "Figure 5: RD_k, I- against L-model", rs->st->name, "",
        "Study %s at %s: RD_k(t) between the genuine mean logits of class k and the "
        "LE-ODE simulated with the L-model (solid) and the I-model (dashed), mean over "
        "%d seeds; lower is better (slides Figure 5).",
        rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point", rs->pt[p].n_done);
}

int report_fig5(report_ctx *c)
{
    return each_fit_study(c, "fig5", 1, draw_fig5);
}
