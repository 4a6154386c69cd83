/* report figures across a grid: fig3 (label pollution), kabl (K
 * ablation), gamma (gamma schedules); and the p_hat* estimates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le/ode.h"
#include "report/internal.h"

static const char *const pollution_keys[] = {"p_err", "rho", NULL};
static const char *const kabl_keys[] = {"classes", "p_err", "rho", NULL};
static const char *const gamma_keys[] = {"s", NULL};

static int varies_p_err(const spec_study *st)
{
    return st->kind == SPEC_TRAIN &&
           (spec_axis_find(st, "p_err") >= 0 || spec_axis_find(st, "rho") >= 0);
}

/* The points of slice k with a done seed, ordered by p_err (then by index). */
static int slice_points(const report_study *rs, const int *slice, int k, long *pts)
{
    int n = 0;
    for (long p = 0; p < rs->P; p++) {
        if (slice[p] != k || !report_summarized(rs, p))
            continue;
        int i = n++;
        while (i > 0 && rs->pt[pts[i - 1]].p_err > rs->pt[p].p_err) {
            pts[i] = pts[i - 1];
            i--;
        }
        pts[i] = p;
    }
    return n;
}

/* Slice buffers of a study: slice[P], name[P][256]. */
typedef struct {
    int *slice;
    char (*name)[256];
    long *pts;
    int n;
} slices;

static int slices_make(report_ctx *c, const report_study *rs, const char *const *keys, slices *sl)
{
    size_t P = (size_t)(rs->P ? rs->P : 1);
    sl->slice = malloc(sizeof(int) * P);
    sl->name = malloc(sizeof *sl->name * P);
    sl->pts = malloc(sizeof(long) * P);
    if (!sl->slice || !sl->name || !sl->pts ||
        (sl->n = report_slices(rs, keys, sl->slice, sl->name)) < 0)
        return err_set(c->e, LESDE_FAIL, "out of memory");
    return LESDE_OK;
}

static void slices_free(slices *sl)
{
    free(sl->slice);
    free(sl->name);
    free(sl->pts);
}

/* Draws one figure (or set) from the points pts[0..n-1] of one slice. */
typedef int (*slice_draw)(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                          int n);

/* Calls draw for every slice of rs over keys; a slice with fewer than
 * min_n points (done and summarized) is skipped with a line naming fig and
 * what the points are. */
static int each_slice(report_ctx *c, const report_study *rs, const char *const *keys, int min_n,
                      const char *fig, const char *points, slice_draw draw)
{
    slices sl = {0};
    int rc = slices_make(c, rs, keys, &sl);
    for (int k = 0; k < sl.n && !rc; k++) {
        int n = slice_points(rs, sl.slice, k, sl.pts);
        if (n == 0)
            rc = report_skip(c, "skipped %s for study %s%s%s: no done task with summaries", fig,
                             rs->st->name, sl.name[k][0] ? ", " : "", sl.name[k]);
        else if (n < min_n)
            rc = report_skip(c,
                             "skipped %s for study %s%s%s: fewer than %d %s with done tasks "
                             "and summaries",
                             fig, rs->st->name, sl.name[k][0] ? ", " : "", sl.name[k], min_n,
                             points);
        else
            rc = draw(c, rs, sl.name[k], sl.pts, n);
    }
    slices_free(&sl);
    return rc;
}

/* Writes " mean lo hi" of element i of the three arrays. */
static void put3(FILE *d, const store_array *a, long i)
{
    for (int k = 0; k < 3; k++) {
        fputc(' ', d);
        report_gp_num(d, a[k].data && i < a[k].size ? a[k].data[i] : NAN);
    }
}

/* Legend of a point of a pollution curve (enhanced text). */
static void point_title(const report_study *rs, long p, char *out, size_t size)
{
    const char *rho = report_axis_label(rs, p, "rho");
    if (rho)
        snprintf(out, size, "ρ = %s (p_{err} = %.3g)", rho, rs->pt[p].p_err);
    else
        snprintf(out, size, "p_{err} = %.4g", rs->pt[p].p_err);
}

/* "set title '<study>, <slice>: <what>'" (no newline). */
static void set_title(const report_gp *g, const char *what)
{
    char title[1024];
    snprintf(title, sizeof title, "%s: %s", g->where, what);
    fputs("set title ", g->f);
    report_gp_str(g->f, title);
}

/* A vertical marker at x with a label at its top. */
static void vline(FILE *f, double x, const char *label, const char *color, const char *dt)
{
    fprintf(f,
            "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt %s lw 1.5 lc rgb '%s' "
            "front\n",
            x, x, dt, color);
    fprintf(f, "set label '%s' at %.9g, graph 0.97 offset 0.6,0 left tc rgb '%s' front\n", label, x,
            color);
}

/* ---- p_hat* ---- */

int report_pstar_all(report_ctx *c)
{
    for (int i = 0; i < c->s.n_studies; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st || !varies_p_err(rs->st))
            continue;
        slices sl = {0};
        store_array acc = {0}; /* every task's final accuracy, [P][S] */
        if (slices_make(c, rs, pollution_keys, &sl) || report_read(c, rs, "final_val_acc", &acc)) {
            slices_free(&sl);
            return c->e->code;
        }
        if (acc.size != rs->P * rs->S) {
            slices_free(&sl);
            store_array_free(&acc);
            return err_set(c->e, LESDE_FAIL,
                           "%s: study %s: final_val_acc has %ld entries, not %ld "
                           "(damaged store?)",
                           c->o->store, rs->st->name, acc.size, rs->P * rs->S);
        }
        int rc = LESDE_OK;
        for (int k = 0; k < sl.n && !rc; k++) {
            int n = slice_points(rs, sl.slice, k, sl.pts);
            double *x = malloc(sizeof(double) * (size_t)(n + 1));
            double *y = malloc(sizeof(double) * (size_t)(n + 1));
            double *ys = malloc(sizeof(double) * (size_t)(n + 1) * (size_t)rs->S);
            report_pstar *np = realloc(c->pstar, sizeof *np * (size_t)(c->n_pstar + 1));
            if (!x || !y || !ys || !np) {
                free(x);
                free(y);
                free(ys);
                if (np)
                    c->pstar = np;
                rc = err_set(c->e, LESDE_FAIL, "out of memory");
                break;
            }
            c->pstar = np;
            int distinct = 0;
            for (int j = 0; j < n; j++) {
                long p = sl.pts[j];
                x[j] = rs->pt[p].p_err;
                y[j] = rs->pt[p].acc[0];
                distinct += j == 0 || x[j] != x[j - 1];
                for (int s = 0; s < rs->S; s++)
                    ys[(size_t)j * rs->S + s] =
                        report_task_done(rs, p, s) ? acc.data[p * rs->S + s] : NAN;
            }
            if (distinct >= 2) {
                int K = rs->pt[sl.pts[0]].K;
                report_pstar *ps = &c->pstar[c->n_pstar++];
                memset(ps, 0, sizeof *ps);
                snprintf(ps->study, sizeof ps->study, "%s", rs->st->name);
                snprintf(ps->slice, sizeof ps->slice, "%s", sl.name[k]);
                ps->K = K;
                ps->p_star = report_p_star(K);
                const double chance = 1.0 / K, stall = chance + REPORT_STALL_MARGIN;
                ps->p_hat = report_pstar_interp(x, y, n, chance);
                ps->p_stall = report_pstar_interp(x, y, n, stall);
                if (report_pstar_seeds(x, ys, n, rs->S, chance, &ps->hat) ||
                    report_pstar_seeds(x, ys, n, rs->S, stall, &ps->stall))
                    rc = err_set(c->e, LESDE_FAIL, "out of memory");
                for (int j = 0; j < n; j++)
                    if (isfinite(y[j])) {
                        ps->hat_at_first = y[j] <= chance;
                        ps->stall_at_first = y[j] <= stall;
                        break;
                    }
            } else { /* a sweep still running, say: no line would leave it unsaid */
                rc = report_skip(c,
                                 "skipped p_hat* for study %s%s%s: fewer than 2 p_err values "
                                 "with done tasks and summaries",
                                 rs->st->name, sl.name[k][0] ? ", " : "", sl.name[k]);
            }
            free(x);
            free(y);
            free(ys);
        }
        slices_free(&sl);
        store_array_free(&acc);
        if (rc)
            return rc;
    }
    return LESDE_OK;
}

static const report_pstar *find_pstar(const report_ctx *c, const char *study, const char *slice)
{
    for (int i = 0; i < c->n_pstar; i++)
        if (!strcmp(c->pstar[i].study, study) && !strcmp(c->pstar[i].slice, slice))
            return &c->pstar[i];
    return NULL;
}

/* ---- fig3 ---- */

/* fig3a / fig3b: a validation curve over t, one per p_err, with bands. */
static int draw_tcurves(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                        int n, int acc)
{
    const char *kind = acc ? "fig3b" : "fig3a";
    store_array t, s[3];
    /* validation has its own schedule */
    if (report_read_val_t(c, rs, &t))
        return c->e->code;
    int rc = report_read_stats(c, rs, acc ? "val_acc" : "val_loss", s);
    if (rc) {
        store_array_free(&t);
        return rc;
    }
    int K = rs->pt[pts[0]].K;
    char dat[300];
    report_gp g = {0};
    FILE *d = NULL;
    if (!(d = report_fig_open(&g, c, kind, rs->st->name, slice, 1000, 650, dat, sizeof dat)))
        rc = c->e->code;
    long C = s[0].dims[s[0].ndim - 1];
    double ymax = acc ? 1 : log((double)K);
    if (!rc) {
        fprintf(d,
                "# %s: one block per p_err (gnuplot index): t, mean, ci_lo, ci_hi of "
                "the validation %s across seeds\n",
                g.where, acc ? "accuracy" : "loss (nats)");
        for (int i = 0; i < n; i++) {
            long p = pts[i], nt = 0;
            const double *tv = report_point_t(rs, &t, p, &nt);
            fprintf(d, "%s# %s\n", i ? "\n\n" : "", rs->label[p]);
            for (long k = 0; k < nt && k < C; k++) {
                double m = s[0].data[p * C + k];
                if (!isfinite(m))
                    continue;
                ymax = m > ymax ? m : ymax;
                report_gp_num(d, tv[k]);
                put3(d, s, p * C + k);
                fputc('\n', d);
            }
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        set_title(&g, acc ? "validation accuracy (mean over seeds, 95% bands)"
                          : "validation loss (mean over seeds, 95% bands)");
        fprintf(f, "\nset xlabel 't (iterations)'\nset ylabel '%s'\n",
                acc ? "validation accuracy (clean labels)" : "validation cross-entropy (nats)");
        /* Bands are clamped to the y range: a polygon wholly outside it
         * would leave a gap in the band. */
        fprintf(f, "ylo = 0; yhi = %.6g\nset yrange [ylo:yhi]\n", acc ? 1.02 : ymax * 1.08);
        fputs("set key outside right top Left reverse width 1\n"
              "band = 'filledcurves fs transparent solid 0.13 noborder noautoscale notitle'\n"
              "plot ",
              f);
        for (int i = 0; i < n; i++) {
            char lt[160];
            point_title(rs, pts[i], lt, sizeof lt);
            const char *clr = report_color(i);
            fprintf(f,
                    "'%s' index %d using 1:($3<ylo?ylo:$3):($4>yhi?yhi:$4) with @band "
                    "fc rgb '%s', \\\n"
                    "  '' index %d using 1:2 with lines lw 2 lc rgb '%s' %s title '%s', \\\n  ",
                    dat, i, clr, i, clr, i >= 10 ? "dt (8,5)" : "", lt);
        }
        if (acc)
            fprintf(f, "%.9g with lines dt 2 lw 1.5 lc rgb 'black' title 'chance 1/K = %.3g'\n",
                    1.0 / K, 1.0 / K);
        else
            fprintf(f,
                    "%.9g with lines dt 2 lw 1.5 lc rgb 'black' "
                    "title 'ln K = %.3g (initial loss)'\n",
                    log((double)K), log((double)K));
    }
    rc = report_gp_end(&g, rc);
    store_array_free(&t);
    report_free_stats(s);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, kind, acc ? "Figure 3b: validation accuracy" : "Figure 3a: validation loss",
        rs->st->name, slice,
        "Study %s: validation %s over training, one curve per p_err, mean over done "
        "seeds with 95%% t-interval bands; the dashed line is %s (slides Figure 3%s).",
        g.where, acc ? "accuracy" : "loss",
        acc ? "chance, 1/K" : "the loss at initialisation, ln K", acc ? "b" : "a");
}

/* The x range of a p_err plot: the grid, and p* in it. */
static void p_err_range(FILE *f, const report_study *rs, const long *pts, int n, double extra)
{
    double lo = rs->pt[pts[0]].p_err, hi = rs->pt[pts[n - 1]].p_err;
    if (isfinite(extra)) {
        lo = extra < lo ? extra : lo;
        hi = extra > hi ? extra : hi;
    }
    double pad = (hi - lo) * 0.04 + 1e-3;
    fprintf(f, "set xrange [%.9g:%.9g]\n", lo - pad, hi + pad);
}

/* fig3final: final validation accuracy and separable fraction against p_err. */
static int draw_final(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n)
{
    int K = rs->pt[pts[0]].K;
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "fig3final", rs->st->name, slice, 1000, 650, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    int any_sep = 0;
    if (!rc) {
        fprintf(d,
                "# %s: p_err, rho, final validation accuracy (mean, ci_lo, ci_hi), "
                "separable fraction of the probe logits at the last snapshot (mean, "
                "ci_lo, ci_hi)\n",
                g.where);
        for (int i = 0; i < n; i++) {
            const report_point *pt = &rs->pt[pts[i]];
            any_sep |= isfinite(pt->sep[0]);
            fprintf(d, "%.9g %.9g", pt->p_err, pt->rho);
            for (int k = 0; k < 3; k++) {
                fputc(' ', d);
                report_gp_num(d, pt->acc[k]);
            }
            for (int k = 0; k < 3; k++) {
                fputc(' ', d);
                report_gp_num(d, pt->sep[k]);
            }
            fputc('\n', d);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    const report_pstar *ps = find_pstar(c, rs->st->name, slice);
    if (!rc) {
        FILE *f = g.f;
        set_title(&g, "separation against label pollution (mean over seeds, 95% intervals)");
        fputs("\nset xlabel 'label pollution p_{err}'\n"
              "set ylabel 'final validation accuracy / separable fraction'\n"
              "set yrange [-0.02:1.1]\nset key below Left reverse width 1\n",
              f);
        p_err_range(f, rs, pts, n, report_p_star(K));
        char pl[64];
        snprintf(pl, sizeof pl, "p* = %.3g", report_p_star(K));
        vline(f, report_p_star(K), pl, "#555555", "2");
        /* Each estimate right-aligned left of its line, at its own height:
         * p* and p_hat* may nearly coincide. */
        const double est[2] = {ps ? ps->p_hat : NAN, ps ? ps->p_stall : NAN};
        const char *const est_name[2] = {"p̂*", "p_{stall}"}, *const est_y[2] = {"0.9", "0.8"};
        for (int q = 0; q < 2; q++) {
            if (!isfinite(est[q]))
                continue;
            const char *col = q ? "#888888" : report_color(0);
            snprintf(pl, sizeof pl, "%s = %.3g", est_name[q], est[q]);
            fprintf(f,
                    "set arrow from %.9g, graph 0 to %.9g, graph %s nohead dt 3 lw 2 "
                    "lc rgb '%s' front\n",
                    est[q], est[q], est_y[q], col);
            fprintf(f,
                    "set label '%s' at %.9g, graph %s offset -0.6,0 right tc rgb '%s' "
                    "front\n",
                    pl, est[q], est_y[q], col);
        }
        const char *ca = report_color(0), *cs = report_color(2);
        fprintf(f,
                "plot '%s' using 1:3:4:5 with yerrorbars lc rgb '%s' pt 7 ps 0.8 "
                "noautoscale notitle, \\\n"
                "  '' using 1:3 with lines lw 2 lc rgb '%s' title 'final validation accuracy'",
                dat, ca, ca);
        if (any_sep)
            fprintf(f,
                    ", \\\n  '' using 1:6:7:8 with yerrorbars lc rgb '%s' pt 5 ps 0.8 "
                    "noautoscale notitle, \\\n"
                    "  '' using 1:6 with lines lw 2 dt (8,5) lc rgb '%s' "
                    "title 'separable fraction of class pairs (probe logits by clean "
                    "label, last snapshot)'",
                    cs, cs);
        fprintf(f, ", \\\n  %.9g with lines dt 2 lw 1.5 lc rgb 'black' title 'chance 1/K = %.3g'",
                1.0 / K, 1.0 / K);
        fprintf(f,
                ", \\\n  %.9g with lines dt 3 lw 1 lc rgb '#888888' title 'level of p_{stall}: "
                "1/K + %.2g'\n",
                1.0 / K + REPORT_STALL_MARGIN, REPORT_STALL_MARGIN);
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "fig3final", "Figure 3: final accuracy and separability", rs->st->name, slice,
        "Study %s: final validation accuracy (mean over the last 5%% of iterations) "
        "and the fraction of linearly separable class pairs of the probe logits (grouped by "
        "clean label) at the "
        "last snapshot, against p_err, mean over seeds with 95%% t-intervals; p* = "
        "(K-1)/K, the estimate p_hat* (%s) and p_stall (%s) marked.%s",
        g.where, REPORT_PSTAR_METHOD, REPORT_STALL_METHOD,
        any_sep ? "" : " No separability data in this study (fit = false).");
}

/* Figure 3 of one slice: loss and accuracy curves, tail indices (with a
 * fit), final accuracy and separability. */
static int draw_fig3(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                     int n)
{
    int fig3 = report_wants(c, REPORT_ONLY_FIG3), rc = LESDE_OK;
    if (fig3)
        rc = draw_tcurves(c, rs, slice, pts, n, 0);
    if (!rc && fig3)
        rc = draw_tcurves(c, rs, slice, pts, n, 1);
    if (!rc && rs->fit && (fig3 || report_wants(c, REPORT_ONLY_TAILORDER)))
        rc = report_draw_tails(c, rs, slice, pts, n);
    if (!rc && fig3)
        rc = draw_final(c, rs, slice, pts, n);
    if (!rc && rs->fit && (report_wants(c, REPORT_ONLY_IMIT) || report_wants(c, REPORT_ONLY_IMITK)))
        rc = report_draw_imit(c, rs, slice, pts, n);
    if (!rc && rs->fit && fig3)
        rc = report_draw_tailt(c, rs, slice, pts, n);
    return rc;
}

/* Whether a figure draws study rs, and then the axes it draws within one
 * figure into keys (SPEC_MAX_AXES + 1), from the figure's own list fixed
 * or from the study. */
typedef int (*study_pick)(const report_study *rs, const char *const *fixed, const char **keys);

/* each_slice over every study pick takes; a line "skipped FIG: NONE" when
 * it takes none. */
static int each_study(report_ctx *c, study_pick pick, const char *const *fixed, int min_n,
                      const char *fig, const char *points, slice_draw draw, const char *none)
{
    int any = 0;
    for (int i = 0; i < c->s.n_studies; i++) {
        const report_study *rs = &c->rs[i];
        const char *keys[SPEC_MAX_AXES + 1];
        if (!rs->st || !pick(rs, fixed, keys))
            continue;
        any = 1;
        int rc = each_slice(c, rs, keys, min_n, fig, points, draw);
        if (rc)
            return rc;
    }
    return any ? LESDE_OK : report_skip(c, "skipped %s: %s", fig, none);
}

/* Every axis of the study: one figure holds the whole grid. */
static void keys_all(const report_study *rs, const char **keys)
{
    int n = 0;
    for (; n < rs->st->n_axes && n < SPEC_MAX_AXES; n++)
        keys[n] = rs->st->axes[n].key;
    keys[n] = NULL;
}

/* Train studies with a p_err or rho axis and every other axis of fixed
 * (kabl's classes, finite's iters); the keys are fixed. */
static int pick_pollution(const report_study *rs, const char *const *fixed, const char **keys)
{
    if (!varies_p_err(rs->st))
        return 0;
    int n = 0;
    for (; fixed[n] && n < SPEC_MAX_AXES; n++) {
        if (strcmp(fixed[n], "p_err") && strcmp(fixed[n], "rho") &&
            spec_axis_find(rs->st, fixed[n]) < 0)
            return 0;
        keys[n] = fixed[n];
    }
    keys[n] = NULL;
    return 1;
}

int report_fig3(report_ctx *c)
{
    return each_study(c, pick_pollution, pollution_keys, 2, "fig3", "p_err values", draw_fig3,
                      "no train study with a p_err or rho axis");
}

/* ---- K ablation ---- */

static int draw_kabl(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                     int n)
{
    int ka = spec_axis_find(rs->st, "classes");
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "kabl", rs->st->name, slice, 1000, 650, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    int Ks[64], nK = 0;
    /* Error bars of the K at one rho would overlap: shift each K a little. */
    double xlo = INFINITY, xhi = -INFINITY;
    for (int i = 0; i < n; i++) {
        xlo = fmin(xlo, rs->pt[pts[i]].rho);
        xhi = fmax(xhi, rs->pt[pts[i]].rho);
    }
    double span = xhi > xlo ? xhi - xlo : 1, nA = rs->st->axes[ka].n;
    if (!rc) {
        fprintf(d,
                "# %s: one block per K (gnuplot index): rho, final validation accuracy "
                "(mean, ci_lo, ci_hi), p_err, rho shifted by K for the error bars\n",
                g.where);
        for (int v = 0; v < rs->st->axes[ka].n && nK < 64; v++) {
            int first = 1;
            /* Points of this K by rho (pts are by p_err, the same order within a K). */
            for (int i = 0; i < n; i++) {
                long p = pts[i];
                if (spec_point_coord(rs->st, p, ka) != v)
                    continue;
                const report_point *pt = &rs->pt[p];
                if (first) {
                    fprintf(d, "%s# K = %d\n", nK ? "\n\n" : "", pt->K);
                    Ks[nK++] = pt->K;
                    first = 0;
                }
                fprintf(d, "%.9g", pt->rho);
                for (int k = 0; k < 3; k++) {
                    fputc(' ', d);
                    report_gp_num(d, pt->acc[k]);
                }
                fprintf(d, " %.9g %.9g\n", pt->p_err,
                        pt->rho + (v - (nA - 1) / 2.0) * 0.012 * span);
            }
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        set_title(&g, "K ablation (mean over seeds, 95% intervals)");
        fputs("\nset xlabel 'ρ = p_{err} / p*,   p* = (K-1)/K'\n"
              "set ylabel 'final validation accuracy'\n"
              "set yrange [0:1.05]\nset key outside right top Left reverse width 1\n",
              f);
        fprintf(f, "set xrange [%.9g:%.9g]\n", fmin(xlo, 1.0) - 0.04 * span,
                fmax(xhi, 1.0) + 0.04 * span);
        vline(f, 1.0, "ρ = 1", "#555555", "2");
        fputs("plot ", f);
        for (int j = 0; j < nK; j++) {
            const char *clr = report_color(j);
            fprintf(f,
                    "%s'%s' index %d using 6:2:3:4 with yerrorbars lc rgb '%s' pt 7 ps 0.8 "
                    "noautoscale notitle, \\\n"
                    "  '' index %d using 6:2 with lines lw 2 lc rgb '%s' title 'K = %d', \\\n"
                    "  %.9g with lines dt 3 lw 1.5 lc rgb '%s' title 'chance 1/%d'",
                    j ? ", \\\n  " : "", dat, j, clr, j, clr, Ks[j], 1.0 / Ks[j], clr, Ks[j]);
        }
        fputc('\n', f);
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "kabl", "K ablation: accuracy against rho", rs->st->name, slice,
        "Study %s: final validation accuracy against rho = p_err K/(K-1), one curve "
        "per number of classes K (dotted: its chance level 1/K), mean over seeds with "
        "95%% t-intervals; every K's transition p* = (K-1)/K sits at rho = 1.",
        g.where);
}

int report_kabl(report_ctx *c)
{
    return each_study(c, pick_pollution, kabl_keys, 2, "kabl", "grid points", draw_kabl,
                      "no train study with a classes axis and a rho or p_err axis");
}

/* ---- the finite-time study: the transition against T ---- */

static const char *const finite_keys[] = {"iters", "p_err", "rho", NULL};

/* The width of a transition at one T: p_half, where the interpolated mean
 * accuracy falls halfway from its value at the smallest p_err to chance,
 * and p_hat, where it reaches chance (report_pstar_interp); both NaN where
 * not reached. */
static void transition(const double *x, const double *y, int n, int K, double *p_half,
                       double *p_hat)
{
    double a0 = NAN;
    for (int j = 0; j < n && !isfinite(a0); j++)
        a0 = y[j];
    *p_hat = report_pstar_interp(x, y, n, 1.0 / K);
    *p_half = isfinite(a0) && a0 > 1.0 / K ? report_pstar_interp(x, y, n, (a0 + 1.0 / K) / 2)
                                            : NAN;
}

static int draw_finite(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                       int n)
{
    int ia = spec_axis_find(rs->st, "iters");
    int K = rs->pt[pts[0]].K, nT = 0;
    double Ts[64];
    store_array tail;
    memset(&tail, 0, sizeof tail);
    int rc = rs->fit ? report_read(c, rs, "fit/tail", &tail) : LESDE_OK;
    double *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    int *order = report_axis_order(&rs->st->axes[ia]); /* T ascending: a line over T */
    if (!rc && (!x || !y || !order))
        rc = err_set(c->e, LESDE_FAIL, "out of memory");
    char dat[300], dat2[300];
    report_gp g = {0};
    FILE *d = NULL, *d2 = NULL;
    if (!rc &&
        (!(d = report_fig_open(&g, c, "finite", rs->st->name, slice, 1500, 560, dat, sizeof dat)) ||
         !(d2 = report_gp_data(&g, "-T", dat2, sizeof dat2)))) {
        rc = c->e->code;
        if (d)
            fclose(d);
        d = NULL;
    }
    if (!rc) {
        fprintf(d,
                "# %s: one block per T (gnuplot index): p_err, final validation "
                "accuracy (mean, ci_lo, ci_hi)\n",
                g.where);
        fprintf(d2,
                "# %s: T, p_half (accuracy halfway to chance), p_hat (accuracy at "
                "chance), width = p_hat - p_half, the p_err nearest p*, then r_gamma of the "
                "I- and L-model there: median, q25, q75 across seeds\n",
                g.where);
        double ps = report_p_star(K);
        for (int vi = 0; vi < rs->st->axes[ia].n && nT < 64; vi++) {
            int v = order[vi];
            long near = -1;
            int m = 0;
            for (int i = 0; i < n; i++) {
                long p = pts[i];
                if (spec_point_coord(rs->st, p, ia) != v)
                    continue;
                x[m] = rs->pt[p].p_err;
                y[m++] = rs->pt[p].acc[0];
                if (near < 0 || fabs(rs->pt[p].p_err - ps) < fabs(rs->pt[near].p_err - ps))
                    near = p;
            }
            if (m < 2)
                continue;
            Ts[nT] = rs->st->axes[ia].values[v];
            fprintf(d, "%s# T = %.9g\n", nT ? "\n\n" : "", Ts[nT]);
            for (int i = 0; i < n; i++) {
                const report_point *pt = &rs->pt[pts[i]];
                if (spec_point_coord(rs->st, pts[i], ia) != v)
                    continue;
                fprintf(d, "%.9g", pt->p_err);
                for (int k = 0; k < 3; k++) {
                    fputc(' ', d);
                    report_gp_num(d, pt->acc[k]);
                }
                fputc('\n', d);
            }
            double ph, pa;
            transition(x, y, m, K, &ph, &pa);
            fprintf(d2, "%.9g ", Ts[nT]);
            report_gp_num(d2, ph);
            fputc(' ', d2);
            report_gp_num(d2, pa);
            fputc(' ', d2);
            report_gp_num(d2, pa - ph);
            fprintf(d2, " %.9g", rs->pt[near].p_err);
            for (int mo = 0; mo < 2; mo++) {
                double q[3] = {NAN, NAN, NAN};
                if (tail.data)
                    report_seed_quantiles(rs, &tail, near, mo * 3 + 2, q);
                for (int k = 0; k < 3; k++) {
                    fputc(' ', d2);
                    report_gp_num(d2, q[k]);
                }
            }
            fputc('\n', d2);
            nT++;
        }
        rc = report_gp_data_close(&g, d, dat);
        if (!rc)
            rc = report_gp_data_close(&g, d2, dat2);
        else
            fclose(d2);
    }
    free(x);
    free(y);
    free(order);
    store_array_free(&tail);
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title, "%s: %s", g.where,
                 "the transition at finite T (mean accuracy with 95% intervals; r_γ median, IQR)");
        fputs("set multiplot layout 1,3 title ", f);
        report_gp_str(f, title);
        fputs(" font ',13' margins 0.05,0.99,0.16,0.86 spacing 0.06,0.1\n", f);
        double ps = report_p_star(K);
        fputs("set title 'final validation accuracy'\nset xlabel 'label pollution p_{err}'\n"
              "set ylabel 'accuracy'\nset yrange [0:1.05]\nset key bottom left\n",
              f);
        fprintf(f, "set arrow 1 from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lc rgb '#555555'\n",
                ps, ps);
        fputs("plot ", f);
        for (int j = 0; j < nT; j++)
            fprintf(f,
                    "%s'%s' index %d using 1:2:3:4 with yerrorbars lc rgb '%s' pt 7 ps 0.5 "
                    "notitle, \\\n  '' index %d using 1:2 with lines lw 2 lc rgb '%s' "
                    "title 'T = %.3g'",
                    j ? ", \\\n  " : "", dat, j, report_color(j), j, report_color(j), Ts[j]);
        fprintf(f, ", \\\n  %.9g with lines dt 3 lc rgb 'black' title 'chance'\n", 1.0 / K);
        fputs("unset arrow 1\nset logscale x\nset xlabel 'T (iterations)'\nset autoscale y\n"
              "set title 'where the accuracy falls: halfway to chance, and to chance'\n"
              "set ylabel 'p_{err}'\nset key top left\n",
              f);
        fprintf(f,
                "plot '%s' using 1:2 with linespoints lw 2 pt 7 lc rgb '%s' title 'p_{half}', "
                "\\\n  '' using 1:3 with linespoints lw 2 pt 5 lc rgb '%s' title 'p̂* (chance)', "
                "\\\n  %.9g with lines dt 2 lc rgb '#555555' title 'p* = %.3g'\n",
                dat2, report_color(0), report_color(3), ps, ps);
        fputs("set title 'r̂_γ at the p_{err} nearest p*'\nset ylabel 'tail index of γ'\n", f);
        fprintf(f,
                "plot '%s' using 1:6:7:8 with yerrorbars lc rgb '%s' pt 7 notitle, "
                "\\\n  '' using 1:6 with lines lw 2 lc rgb '%s' title 'I-model', "
                "\\\n  '' using 1:9:10:11 with yerrorbars lc rgb '%s' pt 7 notitle, "
                "\\\n  '' using 1:9 with lines lw 2 lc rgb '%s' title 'L-model', "
                "\\\n  1 with lines dt 3 lc rgb '#888888' title 'r = 1'\n",
                dat2, report_color(0), report_color(0), report_color(3), report_color(3));
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "finite", "The transition at finite T", rs->st->name, slice,
        "Study %s: left, the final validation accuracy against p_err, one curve per number "
        "of iterations T (mean over seeds, 95%% t-intervals); middle, where the interpolated "
        "accuracy falls halfway from its value at the smallest p_err to chance (p_half) and "
        "where it reaches chance (p_hat*), against T: their distance is the width of the "
        "transition; right, the tail index of gamma (by differences over [T/10, T]) at the "
        "grid point nearest p* = (K-1)/K, median and interquartile range across seeds, "
        "against T.",
        g.where);
}

int report_finite(report_ctx *c)
{
    return each_study(c, pick_pollution, finite_keys, 4, "finite", "grid points", draw_finite,
                      "no train study with an iters axis and a rho or p_err axis");
}

/* ---- gamma schedules ---- */

/* One figure: P(all pairs separable) against s for the points
 * pts[0..n-1] of a slice (n >= 1), one curve per observation time. */
static int draw_gamma(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n)
{
    int sa = spec_axis_find(rs->st, "s");
    store_array s[3], ot;
    if (report_read_stats(c, rs, "sep_all", s))
        return c->e->code;
    if (report_read(c, rs, "obs_t", &ot)) {
        report_free_stats(s);
        return c->e->code;
    }
    long O = s[0].dims[s[0].ndim - 1];
    /* The observation times of the slice: those of its first done task
     * (pts keeps the grid's order where p_err does not vary). */
    const double *tv = ot.data + (pts[0] * rs->S + report_first_done(rs, pts[0])) * O;
    int n_done = 0;
    for (int i = 0; i < n; i++)
        n_done = n_done > rs->pt[pts[i]].n_done ? n_done : rs->pt[pts[i]].n_done;
    char dat[300];
    report_gp g = {0};
    int *order = report_axis_order(&rs->st->axes[sa]);
    FILE *d = order
                  ? report_fig_open(&g, c, "gamma", rs->st->name, slice, 1000, 650, dat, sizeof dat)
                  : NULL;
    int rc = d ? LESDE_OK : order ? c->e->code : err_set(c->e, LESDE_FAIL, "out of memory");
    int nb = 0, blocks[64];
    if (!rc) {
        fprintf(d,
                "# %s: one block per observation time (gnuplot index): s, P(all pairs "
                "separable) = mean of sep_all across seeds, ci_lo, ci_hi (Wilson's interval)\n",
                g.where);
        for (long o = 0; o < O && nb < 64; o++) {
            if (!isfinite(tv[o]))
                continue;
            fprintf(d, "%s# t = %.6g\n", nb ? "\n\n" : "", tv[o]);
            /* Points by s: the axis order is the spec's, sorted here. */
            for (int vi = 0; vi < rs->st->axes[sa].n; vi++)
                for (int i = 0, v = order[vi]; i < n; i++) {
                    long p = pts[i];
                    if (spec_point_coord(rs->st, p, sa) != v)
                        continue;
                    fprintf(d, "%.9g", rs->st->axes[sa].values[v]);
                    put3(d, s, p * O + o);
                    fputc('\n', d);
                }
            blocks[nb++] = (int)o;
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        set_title(&g, "separation of the LE-SDE against the tail index s of γ");
        fputs("\nset xlabel 's,   γ(t) = c (1+t)^{-s}'\n"
              "set ylabel 'P(all class pairs linearly separable)'\n"
              "set yrange [-0.03:1.1]\n"
              "set key outside right top Left reverse width 1 title 'observed at'\n",
              f);
        const spec_axis *ax = &rs->st->axes[sa];
        double lo = 1, hi = 1;
        for (int v = 0; v < ax->n; v++) {
            lo = fmin(lo, ax->values[v]);
            hi = fmax(hi, ax->values[v]);
        }
        fprintf(f, "set xrange [%.9g:%.9g]\n", lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo));
        vline(f, 1.0, "s = 1", "#555555", "2");
        fputs("plot ", f);
        /* Curves of late times often coincide: earlier ones are drawn wider,
         * every other one dashed, each with its point type, so that all stay
         * visible. */
        for (int j = 0; j < nb; j++) {
            const char *clr = report_color(j);
            double lw = 1.5 + 3.5 * (nb - 1 - j) / (nb > 1 ? nb - 1 : 1);
            fprintf(f,
                    "%s'%s' index %d using 1:2:3:4 with yerrorbars lc rgb '%s' pt 7 ps 0.7 "
                    "noautoscale notitle, \\\n"
                    "  '' index %d using 1:2 with linespoints lw %.2g dt %s pt %d ps 1.2 "
                    "lc rgb '%s' title 't = %.3g'",
                    j ? ", \\\n  " : "", dat, j, clr, j, lw, j % 2 ? "(6,4)" : "1", 4 + 2 * (j % 4),
                    clr, tv[blocks[j]]);
        }
        fputc('\n', f);
        rc = report_gp_run(&g);
    } else {
        report_gp_abort(&g);
    }
    free(order);
    report_free_stats(s);
    store_array_free(&ot);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "gamma", "Gamma schedules: P(separable) against s", rs->st->name, slice,
        "Study %s: probability (over up to %d seeds) that every pair of classes of "
        "the simulated LE-SDE samples is linearly separable, against the tail index s of "
        "gamma(t) = c (1+t)^-s, one curve per observation time, with Wilson's 95%% "
        "intervals of a proportion. "
        "The separation theorem puts the boundary at s = 1 as t grows.",
        g.where, n_done);
}

/* Sde studies with an s axis; the keys are gamma_keys. */
static int pick_gamma(const report_study *rs, const char *const *fixed, const char **keys)
{
    if (rs->st->kind != SPEC_SDE || spec_axis_find(rs->st, "s") < 0)
        return 0;
    keys[0] = fixed[0];
    keys[1] = NULL;
    return 1;
}

int report_gamma(report_ctx *c)
{
    return each_study(c, pick_gamma, gamma_keys, 1, "gamma", "grid points", draw_gamma,
                      "no sde study with an s axis");
}

/* ---- separation over time (sde studies) ---- */

#define SEPT_MAX_CURVES 16

/* The axes a separation-over-time figure draws as curves: s when the study
 * has it (one figure per value of the other axes), else every axis (one
 * figure, e.g. the boundary schedule per n). keys holds SPEC_MAX_AXES + 1. */
static void sept_keys(const report_study *rs, const char **keys)
{
    if (spec_axis_find(rs->st, "s") >= 0) {
        keys[0] = "s";
        keys[1] = NULL;
    } else {
        keys_all(rs, keys);
    }
}

/* One figure: P(all pairs separable) against the observation time, one
 * curve per point pts[0..n-1] of a slice, named by the curve axes. */
static int draw_sept(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                     int n)
{
    store_array s[3], ot;
    if (report_read_stats(c, rs, "sep_all", s))
        return c->e->code;
    if (report_read(c, rs, "obs_t", &ot)) {
        report_free_stats(s);
        return c->e->code;
    }
    long O = s[0].dims[s[0].ndim - 1];
    const char *keys[SPEC_MAX_AXES + 1];
    sept_keys(rs, keys);
    int nd = n < SEPT_MAX_CURVES ? n : SEPT_MAX_CURVES, n_done = 0;
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "sept", rs->st->name, slice, 1000, 650, dat, sizeof dat);
    int rc = d ? LESDE_OK : c->e->code;
    if (!rc) {
        fprintf(d,
                "# %s: one block per grid point (gnuplot index): t, P(all pairs "
                "separable) = mean of sep_all across seeds, ci_lo, ci_hi (Wilson's interval)\n",
                g.where);
        for (int i = 0; i < nd; i++) {
            long p = pts[i];
            const double *tv = ot.data + (p * rs->S + report_first_done(rs, p)) * O;
            n_done = n_done > rs->pt[p].n_done ? n_done : rs->pt[p].n_done;
            fprintf(d, "%s# %s\n", i ? "\n\n" : "", rs->label[p]);
            for (long o = 0; o < O; o++) {
                if (!isfinite(tv[o]) || tv[o] <= 0) /* log axis */
                    continue;
                fprintf(d, "%.9g", tv[o]);
                put3(d, s, p * O + o);
                fputc('\n', d);
            }
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        set_title(&g, "separation of the LE-SDE over time (mean over seeds, 95% intervals)");
        fputs("\nset xlabel 'observation time t (iterations)'\nset logscale x\n"
              "set format x '10^{%L}'\n"
              "set ylabel 'P(all class pairs linearly separable)'\n"
              "set yrange [-0.03:1.1]\n"
              "set key outside right top Left reverse width 1\nplot ",
              f);
        for (int i = 0; i < nd; i++) {
            long p = pts[i];
            char lt[256];
            int len = 0;
            lt[0] = '\0';
            for (int k = 0; keys[k] && len < (int)sizeof lt - 1; k++) {
                const char *v = report_axis_label(rs, p, keys[k]);
                len += snprintf(lt + len, sizeof lt - (size_t)len, "%s%s = %s", k ? ", " : "",
                                keys[k], v ? v : "?");
            }
            const char *clr = report_color(i);
            fprintf(f,
                    "%s'%s' index %d using 1:2:3:4 with yerrorbars lc rgb '%s' pt 7 ps 0.6 "
                    "noautoscale notitle, \\\n"
                    "  '' index %d using 1:2 with linespoints lw 2 %s pt 7 ps 0.6 "
                    "lc rgb '%s' title ",
                    i ? ", \\\n  " : "", dat, i, clr, i, i >= 10 ? "dt (8,5)" : "", clr);
            report_gp_str(f, lt[0] ? lt : rs->st->name);
        }
        fputc('\n', f);
    }
    rc = report_gp_end(&g, rc);
    report_free_stats(s);
    store_array_free(&ot);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "sept", "LE-SDE: P(separable) over time", rs->st->name, slice,
        "Study %s: probability (over up to %d seeds) that every pair of classes of "
        "the simulated LE-SDE samples is linearly separable, against the observation "
        "time (log scale), one curve per grid point, with Wilson's 95%% intervals of a "
        "proportion.%s",
        g.where, n_done, n > nd ? " Only the first 16 grid points are drawn." : "");
}

/* Sde studies; the keys are sept_keys'. */
static int pick_sept(const report_study *rs, const char *const *fixed, const char **keys)
{
    (void)fixed;
    if (rs->st->kind != SPEC_SDE)
        return 0;
    sept_keys(rs, keys);
    return 1;
}

int report_sept(report_ctx *c)
{
    return each_study(c, pick_sept, NULL, 1, "sept", "grid points", draw_sept, "no sde study");
}

/* ---- neural collapse ---- */

#define COLLAPSE_MAX_CURVES 16

/* The plot items of grid point p, block i of dat (t, median, q25, q75):
 * its IQR band and its median line, titled by p_err or by its label. */
static void band_curve(FILE *f, const report_study *rs, const char *dat, int i, long p,
                       int by_p_err)
{
    fprintf(f,
            "'%s' index %d using 1:3:4 with @band fc rgb '%s', \\\n"
            "  '' index %d using 1:2 with lines lw 2 lc rgb '%s' %s title ",
            dat, i, report_color(i), i, report_color(i), i >= 10 ? "dt (8,5)" : "");
    if (by_p_err) {
        char lt[160];
        point_title(rs, p, lt, sizeof lt);
        fprintf(f, "'%s', \\\n  ", lt);
    } else {
        report_gp_str(f, rs->label[p][0] ? rs->label[p] : rs->st->name);
        fputs(", \\\n  ", f);
    }
}

/* One figure: etf_dev over t for the points pts[0..n-1] of a slice, the
 * median across seeds (line) and its IQR (band): single seeds spread widely
 * (at the quickstart's p_err = 0.1, 0.03 to 1.00 at T), so a mean alone
 * would hide it. The quantiles come from the tasks' own values, as the
 * other figures' do (stores of layout 1 have no median summaries). */
static int draw_collapse(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                         int n)
{
    int by_p_err = varies_p_err(rs->st);
    store_array t, etf = {0};
    if (report_read(c, rs, "t", &t))
        return c->e->code;
    int rc = report_read(c, rs, "fit/etf_dev", &etf);
    char dat[300];
    report_gp g = {0};
    FILE *d = NULL;
    if (!rc &&
        !(d = report_fig_open(&g, c, "collapse", rs->st->name, slice, 1000, 650, dat, sizeof dat)))
        rc = c->e->code;
    int nd = n < COLLAPSE_MAX_CURVES ? n : COLLAPSE_MAX_CURVES;
    if (!rc) {
        long C = report_task_size(rs, &etf);
        fprintf(d,
                "# %s: one block per grid point (gnuplot index): t, etf_dev median, q25, q75 "
                "across seeds\n",
                g.where);
        for (int i = 0; i < nd; i++) {
            long p = pts[i], nt = 0;
            const double *tv = report_point_t(rs, &t, p, &nt);
            fprintf(d, "%s# %s\n", i ? "\n\n" : "", rs->label[p]);
            for (long k = 0; k < nt && k < C; k++) {
                double q[3];
                report_seed_quantiles(rs, &etf, p, k, q);
                report_gp_num(d, tv[k]);
                report_gp_nums(d, q, 3);
                fputc('\n', d);
            }
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    int K = rs->pt[pts[0]].K, sameK = 1;
    for (int i = 0; i < nd; i++)
        sameK &= rs->pt[pts[i]].K == K;
    if (!rc) {
        FILE *f = g.f;
        set_title(&g, "neural collapse of the probe class means (median and IQR over seeds)");
        fputs("\nset xlabel 't (iterations)'\n"
              "set ylabel 'etf\\_dev = max_{k≠l} |cos(X̄^k, X̄^l) + 1/(K-1)|'\n"
              "set key outside right top Left reverse width 1\nset yrange [0:*]\n"
              "band = 'filledcurves fs transparent solid 0.12 noborder notitle'\nplot ",
              f);
        for (int i = 0; i < nd; i++) {
            long p = pts[i];
            band_curve(f, rs, dat, i, p, by_p_err);
        }
        /* All class means aligned (cos = 1), as at initialisation. */
        if (sameK)
            fprintf(f,
                    "%.9g with lines dt 2 lw 1.5 lc rgb 'black' title 'aligned means: "
                    "K/(K-1) = %.3g'\n",
                    (double)K / (K - 1), (double)K / (K - 1));
        else
            fputs("NaN notitle\n", f);
    }
    rc = report_gp_end(&g, rc);
    store_array_free(&t);
    store_array_free(&etf);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "collapse", "Neural collapse: etf_dev over t", rs->st->name, slice,
        "Study %s: deviation of the probe class means from a simplex equiangular "
        "tight frame over training, one curve per grid point (median over done seeds, its "
        "interquartile range shaded); 0 is a perfect ETF, K/(K-1) means all class means point "
        "the same way.%s",
        g.where, n > nd ? " Only the first 16 grid points are drawn." : "");
}

/* Train studies: one figure per K (and other axes) when p_err varies,
 * else one figure with every grid point. */
static int pick_train(const report_study *rs, const char *const *fixed, const char **keys)
{
    if (rs->st->kind != SPEC_TRAIN)
        return 0;
    if (varies_p_err(rs->st))
        return pick_pollution(rs, fixed, keys);
    keys_all(rs, keys);
    return 1;
}

/* pick_train's studies that have a fit (etf_dev is the fit's). */
static int pick_collapse(const report_study *rs, const char *const *fixed, const char **keys)
{
    return rs->fit && pick_train(rs, fixed, keys);
}

int report_collapse(report_ctx *c)
{
    return each_study(c, pick_collapse, pollution_keys, 1, "collapse", "grid points", draw_collapse,
                      "no train study with a fit");
}

/* ---- lengths ---- */

/* The validation class means' centred length over t, per grid point
 * (median and IQR over seeds, each seed's own values), against the length
 * of the logits that minimise the cross-entropy under the pollution
 * (dashed, same colour): where the loss has such a finite minimiser the
 * means can settle at it; clean labels have none. Log y: the levels span
 * 0.1 to 15. */
static int draw_lengths(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                        int n)
{
    int by_p_err = varies_p_err(rs->st);
    store_array t, xv = {0};
    if (report_read_val_t(c, rs, &t))
        return c->e->code;
    int rc = report_read(c, rs, "xbar_val", &xv);
    char dat[300];
    report_gp g = {0};
    FILE *d = NULL;
    if (!rc &&
        !(d = report_fig_open(&g, c, "lengths", rs->st->name, slice, 1000, 650, dat, sizeof dat)))
        rc = c->e->code;
    int nd = n < COLLAPSE_MAX_CURVES ? n : COLLAPSE_MAX_CURVES;
    long Km = rc ? 1 : xv.dims[xv.ndim - 1]; /* the classes' padded count */
    double *v = rc ? NULL : malloc(sizeof(double) * (rs->S > 0 ? rs->S : 1));
    double *x = rc ? NULL : malloc(sizeof(double) * Km * Km);
    if (!rc && (!v || !x))
        rc = err_set(c->e, LESDE_FAIL, "out of memory");
    if (!rc) {
        long C = xv.dims[xv.ndim - 3], nt = report_task_size(rs, &t);
        fprintf(d,
                "# %s: one block per grid point (gnuplot index): t, then the centred length "
                "mean_k |Xbar^k - m_k 1| of the validation class means, median, q25, q75 "
                "across seeds\n",
                g.where);
        for (int i = 0; i < nd; i++) {
            long p = pts[i], nv = 0;
            int K = rs->pt[p].K;
            const double *tv = report_point_t(rs, &t, p, &nv);
            fprintf(d, "%s# %s\n", i ? "\n\n" : "", rs->label[p]);
            for (long k = 0; k < nv && k < C && k < nt && K <= Km; k++) {
                int m = 0;
                for (int s = 0; s < rs->S; s++)
                    if (report_task_done(rs, p, s) && t.data[(p * rs->S + s) * nt + k] >= 0) {
                        const double *xb = xv.data + ((p * rs->S + s) * C + k) * Km * Km;
                        for (int a = 0; a < K; a++)
                            memcpy(x + a * K, xb + a * Km, sizeof(double) * K);
                        v[m++] = le_centred_length(x, K, K);
                    }
                double q[3];
                report_quantiles(v, m, q);
                if (!(tv[k] > 0) || !(q[0] > 0))
                    continue; /* log axes */
                report_gp_num(d, tv[k]);
                report_gp_nums(d, q, 3);
                fputc('\n', d);
            }
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    if (!rc) {
        FILE *f = g.f;
        int any = 0; /* a calibrated line drawn */
        set_title(&g, "length of the validation class means (median and IQR over seeds)");
        fputs("\nset xlabel 't (iterations)'\nset logscale xy\nset autoscale xfix\n"
              "set ylabel 'mean_k |X̄^k - m_k 1| (validation, clean labels)'\n"
              "set key outside right top Left reverse width 1\n"
              "band = 'filledcurves fs transparent solid 0.12 noborder notitle'\nplot ",
              f);
        for (int i = 0; i < nd; i++) {
            long p = pts[i];
            band_curve(f, rs, dat, i, p, by_p_err);
            double cal = le_calibrated_length(rs->pt[p].p_err, rs->pt[p].K);
            if (cal > 0) { /* 0 at p*: off a log axis */
                fprintf(f, "%.9g with lines dt 2 lw 1.2 lc rgb '%s' notitle, \\\n  ", cal,
                        report_color(i));
                any = 1;
            }
        }
        fputs(any ? "NaN with lines dt 2 lw 1.2 lc rgb 'black' title 'calibrated logits'\n"
                  : "NaN notitle\n",
              f);
    }
    rc = report_gp_end(&g, rc);
    free(v);
    free(x);
    store_array_free(&t);
    store_array_free(&xv);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "lengths", "The class means' length against the calibrated logits'",
        rs->st->name, slice,
        "Study %s: the centred length mean_k |Xbar^k - m_k 1| of the validation set's class means "
        "(clean labels; m_k the mean of Xbar^k's entries, which softmax ignores) over training, "
        "one curve per grid point (median over done seeds, its interquartile range shaded), "
        "and dashed in the same colour the length of the logits that minimise the "
        "cross-entropy when a fraction p of each class's labels moves evenly to the others, "
        "|ln((1-p)(K-1)/p)| sqrt((K-1)/K): the same for every class, so a simplex ETF "
        "(collapse.csv). What the minimiser fixes is the mean probability: where the samples' "
        "logits spread, their mean ends above it at small p (collapse.csv's probe columns). "
        "Clean labels (p = 0) have no such minimiser; at p* = (K-1)/K it is 0, off the log "
        "axis.%s",
        g.where, n > nd ? " Only the first 16 grid points are drawn." : "");
}

int report_lengths(report_ctx *c)
{
    return each_study(c, pick_train, pollution_keys, 1, "lengths", "grid points", draw_lengths,
                      "no train study");
}
