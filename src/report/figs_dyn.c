/* report figures of the dynamics of a train study with a fit, at its
 * p_err = 0 point: fig2 (LE fit), fig4 and fig5 (drawn by figs_le.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

static const char *const model_name[2] = {"I", "L"};

/* The point the dynamics figures show: the first with p_err = p_err (0
 * unless --p-err asks another) that has done seeds (and summaries, for
 * figures of means); by default else the first such. */
static long dyn_point(const report_study *rs, int need_sum, const report_opts *o)
{
    double want = o->at_set ? o->at_p_err : 0.0;
    for (int pass = 0; pass < (o->at_set ? 1 : 2); pass++)
        for (long p = 0; p < rs->P; p++)
            if ((pass || rs->pt[p].p_err == want) &&
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
        long p = dyn_point(rs, need_sum, c->o);
        if (p < 0) {
            char at[64] = "";
            if (c->o->at_set)
                snprintf(at, sizeof at, " at p_err = %.6g (--p-err)", c->o->at_p_err);
            if (report_skip(c, "skipped %s for study %s: no done task%s%s", kind, rs->st->name,
                            rs->n_done && need_sum ? " with summaries across seeds" : "", at))
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
    long nt = 0;
    const double *tv = report_point_t(rs, &t, p, &nt);
    report_gp g = {0};
    char dat[300];
    FILE *d = NULL;
    if (!rc &&
        !(d = report_fig_open(&g, c, "fig2", rs->st->name, NULL, 1300, 950, dat, sizeof dat)))
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
    }
    rc = report_gp_end(&g, rc);
    store_array_free(&t);
    for (int q = 0; q < 4; q++)
        report_free_stats(s[q]);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "fig2", "Figure 2: estimated A, B, alpha, beta", rs->st->name, "",
        "Study %s at %s: Ahat, Bhat (left) and their Savitzky-Golay derivatives "
        "alphahat, betahat (right) under the I-model (top) and L-model (bottom); "
        "mean over %d done seeds with 95%% t-intervals (slides Figure 2).",
        rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point", rs->pt[p].n_done);
}

int report_fig2(report_ctx *c)
{
    return each_fit_study(c, "fig2", 1, draw_fig2);
}

/* ---- fig4, fig5 (figs_le.c draws them) ---- */

int report_fig4(report_ctx *c)
{
    return each_fit_study(c, "fig4", 0, report_draw_fig4);
}

int report_fig5(report_ctx *c)
{
    return each_fit_study(c, "fig5", 0, report_draw_fig5);
}
