/* report figures of the dynamics of a train study with a fit, at its
 * p_err = 0 point or the one --at asks: fig2 (LE fit), fig4 and fig5
 * (drawn by figs_le.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

static const char *const model_name[2] = {"I", "L"};

int report_opts_at(report_opts *o, const char *kv, char *msg, size_t len)
{
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : 0;
    int word = kl > 0 && kl < SPEC_NAME_MAX;
    for (size_t i = 0; word && i < kl; i++)
        word = kv[i] == '_' || (kv[i] >= 'a' && kv[i] <= 'z') || (kv[i] >= '0' && kv[i] <= '9');
    if (!word || !eq[1] || strlen(eq + 1) >= sizeof o->at[0].text) {
        snprintf(msg, len, "needs KEY=VALUE (p_err=0.3, iters=1e5), not '%s'", kv);
        return LESDE_USAGE;
    }
    if (o->n_at == REPORT_MAX_AT) {
        snprintf(msg, len, "at most %d keys", REPORT_MAX_AT);
        return LESDE_USAGE;
    }
    report_at *a = &o->at[o->n_at];
    memcpy(a->key, kv, kl);
    a->key[kl] = '\0';
    snprintf(a->text, sizeof a->text, "%s", eq + 1);
    for (int i = 0; i < o->n_at; i++)
        if (!strcmp(o->at[i].key, a->key)) {
            snprintf(msg, len, "%s is asked twice", a->key);
            return LESDE_USAGE;
        }
    if (spec_number(a->text, strlen(a->text), &a->value))
        a->value = NAN;
    if (!strcmp(a->key, "p_err") && !(a->value >= 0 && a->value <= 1)) {
        snprintf(msg, len, "p_err needs a number in [0, 1] (0.3, 2/3), not '%s'", a->text);
        return LESDE_USAGE;
    }
    o->n_at++;
    return LESDE_OK;
}

/* Whether grid point p of rs has every coordinate --at asks; a key that
 * is neither a grid axis nor a number or word the study fixes (p_err
 * aside, which every point has) sets *missing. A number matches by value
 * (0.3 and 3/10 alike), a word as a spec reads it (fit=yes and fit=1
 * alike). */
static int at_point(const report_study *rs, long p, const report_opts *o, const char **missing)
{
    for (int i = 0; i < o->n_at; i++) {
        const report_at *at = &o->at[i];
        if (!strcmp(at->key, "p_err")) {
            /* on a rho axis p_err is rho (K-1)/K, rounded: 0.3 * 2/3 is
             * 0.19999999999999998, which --at p_err=0.2 must find */
            if (!(fabs(rs->pt[p].p_err - at->value) <= 1e-12))
                return 0;
            continue;
        }
        int a = spec_axis_find(rs->st, at->key);
        if (a < 0) { /* a parameter the study fixes: every point or none */
            double v;
            const char *w;
            if (spec_scalar(rs->st, at->key, &v, &w)) {
                *missing = at->key;
                return 0;
            }
            if (w ? spec_word_of(rs->st, at->key, at->text) != (int)v : v != at->value)
                return 0;
            continue;
        }
        int v = spec_point_coord(rs->st, p, a);
        const spec_axis *ax = &rs->st->axes[a];
        int differs = ax->type == SPEC_VALUE_WORD
                          ? spec_word_of(rs->st, at->key, at->text) != (int)ax->values[v]
                      : isnan(at->value) ? strcmp(ax->labels[v], at->text) != 0
                                         : ax->values[v] != at->value;
        if (differs)
            return 0;
    }
    return 1;
}

/* The point the dynamics figures show: the first with the coordinates
 * --at asks (p_err = 0 without it) that has done seeds (and summaries, for
 * figures of means); without --at, else the first such. */
static long dyn_point(const report_study *rs, int need_sum, const report_opts *o,
                      const char **missing)
{
    report_opts zero = {.n_at = 1, .at = {{.key = "p_err", .text = "0", .value = 0.0}}};
    const report_opts *want = o->n_at ? o : &zero;
    for (int pass = 0; pass < (o->n_at ? 1 : 2); pass++)
        for (long p = 0; p < rs->P; p++)
            if ((pass || at_point(rs, p, want, missing)) &&
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
        const char *missing = NULL;
        long p = dyn_point(rs, need_sum, c->o, &missing);
        if (p < 0) {
            /* " at key = value, ... (--at)", what was asked */
            char at[1024] = "";
            for (int k = 0; k < c->o->n_at; k++)
                snprintf(at + strlen(at), sizeof at - strlen(at), "%s %s = %s", k ? "," : " at",
                         c->o->at[k].key, c->o->at[k].text);
            if (c->o->n_at)
                snprintf(at + strlen(at), sizeof at - strlen(at), " (%s)",
                         c->o->by_p_err ? "--p-err" : "--at");
            const char *sums = rs->n_done && need_sum ? " with summaries across seeds" : "";
            int rc =
                missing
                    ? report_skip(c, "skipped %s for study %s: no grid axis or parameter %s (--at)",
                                  kind, rs->st->name, missing)
                    : report_skip(c, "skipped %s for study %s: no done task%s%s", kind,
                                  rs->st->name, sums, at);
            if (rc)
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
    /* the means are the summaries', which can lag the status (a resume
     * killed before summarizing): count their seeds, and say so */
    int n_sum = (int)rs->n_sum[p];
    char stale[160] = "";
    if (n_sum != rs->pt[p].n_done)
        snprintf(stale, sizeof stale, " The summaries cover %d of the %d done seeds: %s.", n_sum,
                 rs->pt[p].n_done,
                 rs->sweep_live ? "the running sweep brings them up to date when it ends"
                                : "'lesde summarize' brings them up to date");
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
                 "%s%s%s: estimated LE dynamics (mean of %d seed%s, 95%% bands)", rs->st->name,
                 rs->label[p][0] ? ", " : "", rs->label[p], n_sum, n_sum == 1 ? "" : "s");
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
    return report_add_fig(c, g.base, "fig2", "Figure 2: estimated A, B, alpha, beta", rs->st->name,
                          "",
                          "Study %s at %s: Ahat, Bhat (left) and their Savitzky-Golay derivatives "
                          "alphahat, betahat (right) under the I-model (top) and L-model (bottom); "
                          "mean over %d done seed%s with 95%% t-intervals (slides Figure 2).%s",
                          rs->st->name, rs->label[p][0] ? rs->label[p] : "its only grid point",
                          n_sum, n_sum == 1 ? "" : "s", stale);
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
