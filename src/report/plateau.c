/* report plateau: how long a network stays on its initial plateau
 * (fit/plateau_t) against rho = p_err K/(K-1), whose transition is at 1:
 * the figure plateau-STUDY[-SLICE] and plateau.csv with its Markdown
 * table; and against the training set's size, the figure
 * plateausize-STUDY[-SLICE]. The class-centred part of the label signal
 * is (1 - rho) times the clean one, so a plateau left at a rate
 * proportional to it lasts about t(0)/|1 - rho|; the figure draws that
 * line from each K's clean point, the table the product median x
 * |1 - rho|. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "report/internal.h"

static const char *const plateau_free[] = {"classes", "p_err", "rho", NULL};

/* A fitted train study, done tasks or not. */
static int plateau_fit(const report_study *rs)
{
    return rs->st && rs->st->kind == SPEC_TRAIN && rs->fit;
}

/* A fitted train study with done tasks: a row of plateau.csv per point,
 * whatever its axes (one p_err with others varied says how the plateau
 * moves with them). */
static int plateau_fitted(report_ctx *c, const report_study *rs)
{
    (void)c; /* report_study_csv's signature */
    return plateau_fit(rs) && rs->n_done > 0;
}

/* One over p_err or rho: the figure's x axis. Done tasks or not, so that
 * one with none is skipped for that, not as missing. */
static int plateau_study(report_ctx *c, const report_study *rs)
{
    (void)c;
    return plateau_fit(rs) &&
           (spec_axis_find(rs->st, "p_err") >= 0 || spec_axis_find(rs->st, "rho") >= 0);
}

/* The plateau's end at point p (pt [P][S]) of the m seeds draw[] that are
 * done (every seed when draw is NULL; a seed drawn twice counts twice)
 * into v, a seed that never left it as +inf; their median, q25, q75 into
 * q (+inf: a quantile among those); *ended of *done seeds left it. */
static void plateau_ends(const report_study *rs, const store_array *pt, long p, const int *draw,
                         int m, double *v, double *q, int *ended, int *done)
{
    int k = 0, e = 0;
    for (int i = 0; i < m; i++) {
        int s = draw ? draw[i] : i;
        if (report_task_done(rs, p, s)) {
            double x = pt->data[p * rs->S + s];
            e += isfinite(x);
            v[k++] = isfinite(x) ? x : INFINITY;
        }
    }
    *ended = e;
    *done = k;
    report_quantiles_censored(v, k, q);
}

/* T of point p: its last checkpoint (t, the study's checkpoints); NaN
 * with no done seed. A quantile beyond it is drawn at it. */
static double point_T(const report_study *rs, const store_array *ta, long p)
{
    long nt = 0;
    const double *t = report_point_t(rs, ta, p, &nt);
    return t && nt ? t[nt - 1] : NAN;
}

/* plateau_ends over every seed of point p. */
static void point_plateau(const report_study *rs, const store_array *pt, long p, double *v,
                          double *q, int *ended, int *done)
{
    plateau_ends(rs, pt, p, NULL, rs->S, v, q, ended, done);
}

/* The points of slice k with done seeds, by K, then by rho. */
static int plateau_points(const report_study *rs, const int *slice, int k, long *pts)
{
    int n = 0;
    for (long p = 0; p < rs->P; p++) {
        if (slice[p] != k || rs->pt[p].n_done == 0)
            continue;
        int i = n++;
        while (i > 0 &&
               (rs->pt[pts[i - 1]].K > rs->pt[p].K ||
                (rs->pt[pts[i - 1]].K == rs->pt[p].K && rs->pt[pts[i - 1]].rho > rs->pt[p].rho))) {
            pts[i] = pts[i - 1];
            i--;
        }
        pts[i] = p;
    }
    return n;
}

/* A CSV number; +-inf as inf or -inf (a censored quantile, or an interval
 * bound beyond T), not NaN. */
static int put_num(report_table *t, int row, int col, double v)
{
    return isinf(v) ? report_table_set(t, row, col, v > 0 ? "inf" : "-inf")
                    : report_table_num(t, row, col, v);
}

static int draw_plateau(report_ctx *c, const report_study *rs, const char *slice,
                        const store_array *pt, const store_array *ta, const long *pts, int n,
                        double *v)
{
    /* The quantiles first: a slice with nothing to draw is skipped before
     * its script and data are opened. */
    double(*q)[3] = malloc(sizeof *q * (size_t)n);
    int *ended = malloc(sizeof(int) * (size_t)n), *done = malloc(sizeof(int) * (size_t)n);
    int drawn = 0;
    for (int i = 0; q && ended && done && i < n; i++) {
        point_plateau(rs, pt, pts[i], v, q[i], &ended[i], &done[i]);
        drawn += fabs(1 - rs->pt[pts[i]].rho) >= 1e-9 && isfinite(q[i][0]);
    }
    int rc = q && ended && done ? LESDE_OK : err_set(c->e, LESDE_FAIL, "out of memory");
    if (!rc && !drawn)
        rc = report_skip(c,
                         "skipped plateau for study %s%s%s: no point off rho = 1 where "
                         "half the seeds left the plateau",
                         rs->st->name, slice[0] ? ", " : "", slice);
    if (rc || !drawn) {
        free(q);
        free(ended);
        free(done);
        return rc;
    }
    char dat[300];
    report_gp g = {0};
    FILE *d = report_fig_open(&g, c, "plateau", rs->st->name, slice, 1000, 650, dat, sizeof dat);
    rc = d ? LESDE_OK : c->e->code;
    int Ks[64], nK = 0;
    double t0[64], xlo = INFINITY, xhi = 0;
    char atone[512] = ""; /* medians at rho = 1, off the log axis */
    if (!rc) {
        fprintf(d,
                "# %s: one block per K (gnuplot index): |1 - rho|, the end of the initial "
                "plateau (median, q25, q75 over the done seeds; a seed that never left it counts "
                "as later than all), rho, p_err\n",
                g.where);
        for (int i = 0; i < n; i++) {
            long p = pts[i];
            int K = rs->pt[p].K;
            double x = fabs(1 - rs->pt[p].rho);
            if (!nK || Ks[nK - 1] != K) {
                if (nK == 64)
                    break;
                fprintf(d, "%s# K = %d\n", nK ? "\n\n" : "", K);
                Ks[nK] = K;
                t0[nK++] = NAN;
            }
            if (rs->pt[p].rho == 0)
                t0[nK - 1] = q[i][0];
            if (x < 1e-9) {
                size_t l = strlen(atone);
                snprintf(atone + l, sizeof atone - l, "%sK = %d: %.3g (%d of %d seeds left it)",
                         l ? "; " : "", K, q[i][0], ended[i], done[i]);
                continue;
            }
            if (!isfinite(q[i][0]))
                continue;
            /* a quartile beyond T is drawn at T, not dropped with its bar */
            double T = point_T(rs, ta, p);
            for (int w = 1; w < 3; w++)
                q[i][w] = isfinite(q[i][w]) ? q[i][w] : T;
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
            report_gp_num(d, x);
            report_gp_nums(d, q[i], 3);
            fprintf(d, " %.9g %.9g\n", rs->pt[p].rho, rs->pt[p].p_err);
        }
        rc = report_gp_data_close(&g, d, dat);
    }
    free(q);
    free(ended);
    free(done);
    if (!rc) {
        FILE *f = g.f;
        fputs("set title ", f);
        char title[1024];
        snprintf(title, sizeof title,
                 "%s: the end of the initial plateau (median and IQR over "
                 "seeds)",
                 g.where);
        report_gp_str(f, title);
        fprintf(f,
                "\nset xlabel '|1 - ρ|,   ρ = p_{err} K/(K-1)'\nset logscale xy\n"
                "set xrange [%.9g:%.9g]\n"
                "set ylabel 'end of the plateau (iterations)'\n"
                "set key outside right top Left reverse width 1\nplot ",
                xlo / 1.5, xhi * 1.5);
        for (int j = 0; j < nK; j++) {
            const char *clr = report_color(j);
            /* below the transition filled, above it open */
            fprintf(f,
                    "'%s' index %d using 1:($5 < 1 ? $2 : NaN):3:4 with yerrorbars lc rgb '%s' "
                    "pt 7 ps 0.9 title 'K = %d', \\\n"
                    "  '' index %d using 1:($5 > 1 ? $2 : NaN):3:4 with yerrorbars lc rgb '%s' "
                    "pt 6 ps 0.9 notitle, \\\n  ",
                    dat, j, clr, Ks[j], j, clr);
            if (isfinite(t0[j]))
                fprintf(f, "%.9g / x with lines dt 3 lw 1.5 lc rgb '%s' notitle, \\\n  ", t0[j],
                        clr);
        }
        fputs("NaN with points pt 7 lc rgb 'black' title 'ρ < 1', \\\n"
              "  NaN with points pt 6 lc rgb 'black' title 'ρ > 1', \\\n"
              "  NaN with lines dt 3 lw 1.5 lc rgb 'black' title 't(0) / |1 - ρ|'\n",
              f);
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "plateau", "The initial plateau against rho", rs->st->name, slice,
        "Study %s: when each network leaves its initial plateau (fit/plateau_t: the first "
        "checkpoint where the class-centred probe means reach plateau_factor times their "
        "initial norm) against |1 - rho|, rho = p_err K/(K-1), on log axes; median over the "
        "done seeds with the interquartile range, a seed that never left it within T counting "
        "as later than all (a median among those is off the plot, a quartile among them is "
        "drawn at T; plateau.csv has every point), filled below the transition, open above it. "
        "Dotted: t(0)/|1 - rho| from the "
        "clean point of each K, what a plateau left at a rate proportional to the centred "
        "label signal (1 - rho times the clean one) would give; not fitted. %s%s",
        g.where, atone[0] ? "At rho = 1: " : "", atone);
}

/* Draws the ns slices of one study: slice[p] of each point, name[k] of
 * each slice, the study's fit/plateau_t in pt, v scratch for its seeds. */
typedef int (*plateau_draw)(report_ctx *c, const report_study *rs, const store_array *pt,
                            const int *slice, char (*name)[256], int ns, double *v);

/* draw for every study pick takes, its slices over free_keys; a line
 * "skipped FIG: NONE" when it takes none, one per study with no done task
 * (a store reported before its sweep ran that study). */
static int each_plateau_study(report_ctx *c, int (*pick)(report_ctx *, const report_study *),
                              const char *const *free_keys, plateau_draw draw, const char *fig,
                              const char *none)
{
    int any = 0, rc = LESDE_OK;
    for (int i = 0; i < c->s.n_studies && !rc; i++) {
        const report_study *rs = &c->rs[i];
        if (!pick(c, rs))
            continue;
        any = 1;
        if (!rs->n_done) {
            rc = report_skip(c, "skipped %s for study %s: no done task", fig, rs->st->name);
            continue;
        }
        store_array pt = {0};
        if (report_read(c, rs, "fit/plateau_t", &pt))
            return c->e->code;
        size_t P = (size_t)(rs->P ? rs->P : 1);
        int *slice = malloc(sizeof(int) * P);
        char(*name)[256] = malloc(sizeof *name * P);
        double *v = malloc(sizeof(double) * (rs->S > 0 ? rs->S : 1));
        int ns = slice && name && v ? report_slices(rs, free_keys, slice, name) : -1;
        rc = ns < 0 ? err_set(c->e, LESDE_FAIL, "out of memory")
                    : draw(c, rs, &pt, slice, name, ns, v);
        free(slice);
        free(name);
        free(v);
        store_array_free(&pt);
    }
    return rc || any ? rc : report_skip(c, "skipped %s: %s", fig, none);
}

static int plateau_slices(report_ctx *c, const report_study *rs, const store_array *pt,
                          const int *slice, char (*name)[256], int ns, double *v)
{
    long *pts = malloc(sizeof(long) * (size_t)(rs->P ? rs->P : 1));
    store_array ta = {0}; /* each point's checkpoints: its T */
    int rc = !pts                           ? err_set(c->e, LESDE_FAIL, "out of memory")
             : report_read(c, rs, "t", &ta) ? c->e->code
                                            : LESDE_OK;
    for (int k = 0; k < ns && !rc; k++) {
        int n = plateau_points(rs, slice, k, pts);
        if (n)
            rc = draw_plateau(c, rs, name[k], pt, &ta, pts, n, v);
    }
    free(pts);
    store_array_free(&ta);
    return rc;
}

int report_plateau(report_ctx *c)
{
    return each_plateau_study(c, plateau_study, plateau_free, plateau_slices, "plateau",
                              "no fitted train study with a rho or p_err axis");
}

/* ---- the plateau against the training set's size ----
 * At p* the expected label carries no class signal, yet the plateau ends:
 * how its end moves with train_per_class tells a population signal (no
 * change) from fitting the training set's own labels (later with more
 * samples). One figure per slice of the other axes, a line per (K, p_err). */

static const char *const size_free[] = {"train_per_class", "classes", "p_err", "rho", NULL};
static const char *const size_series[] = {"train_per_class", NULL};

/* The legend of point p: its K (when an axis) and p_err or rho. */
static void series_name(const report_study *rs, long p, char *out, size_t size)
{
    int l =
        spec_axis_find(rs->st, "classes") >= 0 ? snprintf(out, size, "K = %d, ", rs->pt[p].K) : 0;
    if (spec_axis_find(rs->st, "rho") >= 0)
        snprintf(out + l, size - (size_t)l, "ρ = %.4g", rs->pt[p].rho);
    else
        snprintf(out + l, size - (size_t)l, "p_{err} = %.4g", rs->pt[p].p_err);
}

static int draw_size(report_ctx *c, const report_study *rs, const char *slice,
                     const store_array *pt, const store_array *ta, const int *in_slice, int k,
                     const int *series, int n_series, double *v)
{
    int a_n = spec_axis_find(rs->st, "train_per_class");
    const spec_axis *ax = &rs->st->axes[a_n];
    char dat[300], beyond[1024] = "";
    report_gp g = {0};
    /* train_per_class ascending, as the spec may list it in any order: a
     * line along it, and an x range from its least to its largest */
    int *order = report_axis_order(ax);
    if (!order)
        return err_set(c->e, LESDE_FAIL, "out of memory");
    double x_lo = ax->values[order[0]], x_hi = ax->values[order[ax->n - 1]];
    FILE *d =
        report_fig_open(&g, c, "plateausize", rs->st->name, slice, 1000, 650, dat, sizeof dat);
    if (!d) {
        free(order);
        return report_gp_end(&g, c->e->code);
    }
    fprintf(d,
            "# %s: one block per line (gnuplot index): train_per_class, the end of the initial "
            "plateau (median, q25, q75 over the done seeds; a seed that never left it counts as "
            "later than all, and a quantile among those is drawn at T), 1 where the median is "
            "beyond T\n",
            g.where);
    char names[64][128];
    int blocks = 0;
    for (int j = 0; j < n_series && blocks < 64; j++) {
        int rows = 0;
        for (int ii = 0; ii < ax->n; ii++) /* by train_per_class, ascending */
            for (long p = 0, i = order[ii]; p < rs->P; p++) {
                if (in_slice[p] != k || series[p] != j || rs->pt[p].n_done == 0 ||
                    spec_point_coord(rs->st, p, a_n) != i)
                    continue;
                double q[3];
                int ended, done;
                double T = point_T(rs, ta, p);
                point_plateau(rs, pt, p, v, q, &ended, &done);
                if (!rows++) {
                    series_name(rs, p, names[blocks], sizeof names[blocks]);
                    fprintf(d, "%s# %s\n", blocks ? "\n\n" : "", names[blocks]);
                }
                int out = !isfinite(q[0]);
                if (out) {
                    size_t l = strlen(beyond);
                    snprintf(beyond + l, sizeof beyond - l,
                             "%s%s at %s per class: %d of %d seeds left it within T = %.0f",
                             l ? "; " : "", names[blocks], ax->labels[i], ended, done, T);
                }
                for (int w = 0; w < 3; w++)
                    q[w] = isfinite(q[w]) ? q[w] : T;
                report_gp_num(d, ax->values[i]);
                report_gp_nums(d, q, 3);
                fprintf(d, " %d\n", out);
            }
        blocks += rows > 0;
    }
    free(order);
    int rc = report_gp_data_close(&g, d, dat);
    if (!rc) {
        FILE *f = g.f;
        char title[1024];
        snprintf(title, sizeof title,
                 "%s: the end of the initial plateau against the training set's size", g.where);
        fputs("set title ", f);
        report_gp_str(f, title);
        fprintf(f,
                "\nset xlabel 'training samples per class'\nset logscale xy\n"
                "set xrange [%.9g:%.9g]\n"
                "set ylabel 'end of the plateau (iterations)'\n"
                "set key outside right top Left reverse width 1\nplot ",
                x_lo / 1.5, x_hi * 1.5);
        for (int j = 0; j < blocks; j++) {
            const char *clr = report_color(j);
            fprintf(f,
                    "'%s' index %d using 1:($5 > 0 ? NaN : $2):3:4 with yerrorlines lc rgb '%s' "
                    "pt 7 ps 0.9 title '%s'", /* names: enhanced text, no quotes */
                    dat, j, clr, names[j]);
            fprintf(f,
                    ", \\\n  '' index %d using 1:($5 > 0 ? $2 : NaN) with points lc rgb '%s' pt 8 "
                    "ps 1.6 notitle, \\\n  ",
                    j, clr);
        }
        fputs("NaN with points pt 8 ps 1.6 lc rgb 'black' title 'median beyond T (at T)'\n", f);
    }
    rc = report_gp_end(&g, rc);
    if (rc)
        return rc;
    return report_add_fig(
        c, g.base, "plateausize", "The initial plateau against the training set's size",
        rs->st->name, slice,
        "Study %s: when each network leaves its initial plateau (fit/plateau_t, as in the "
        "plateau figure) against the training samples per class, on log axes; median over the "
        "done seeds with the interquartile range, a line per p_err (rho). A plateau left by the "
        "population's label signal does not move with the training set's size; one left by "
        "fitting the training set's own labels comes later with more samples. A median "
        "beyond T is an open triangle at T, a quartile beyond T is drawn at T. %s%s",
        g.where, beyond[0] ? "Beyond T: " : "", beyond);
}

/* The study's lines, its points grouped by every axis but
 * train_per_class, read once for all its slices with T of each point from
 * its t; a slice with no done task is skipped before any file is opened. */
static int size_slices(report_ctx *c, const report_study *rs, const store_array *pt,
                       const int *slice, char (*name)[256], int ns, double *v)
{
    size_t P = (size_t)(rs->P ? rs->P : 1);
    int *series = malloc(sizeof(int) * P);
    char(*sname)[256] = malloc(sizeof *sname * P);
    int nser = series && sname ? report_slices(rs, size_series, series, sname) : -1;
    store_array ta = {0};
    int rc = nser < 0                       ? err_set(c->e, LESDE_FAIL, "out of memory")
             : report_read(c, rs, "t", &ta) ? c->e->code
                                            : LESDE_OK;
    for (int k = 0; k < ns && !rc; k++) {
        int any = 0;
        for (long p = 0; p < rs->P && !any; p++)
            any = slice[p] == k && rs->pt[p].n_done > 0;
        rc = any ? draw_size(c, rs, name[k], pt, &ta, slice, k, series, nser, v)
                 : report_skip(c, "skipped plateausize for study %s%s%s: no done task",
                               rs->st->name, name[k][0] ? ", " : "", name[k]);
    }
    free(series);
    free(sname);
    store_array_free(&ta);
    return rc;
}

/* One with a train_per_class axis, done tasks or not (as plateau_study). */
static int size_study(report_ctx *c, const report_study *rs)
{
    (void)c;
    return plateau_fit(rs) && spec_axis_find(rs->st, "train_per_class") >= 0;
}

int report_plateau_size(report_ctx *c)
{
    return each_plateau_study(c, size_study, size_free, size_slices, "plateausize",
                              "no fitted train study with a train_per_class axis");
}

/* The rows of one study: plateau.csv's and its Markdown table's. */
static int plateau_rows(report_ctx *c, report_table *csv, const report_study *rs)
{
    static const char *const mh[] = {
        "point", "K", "left the plateau", "plateau ends [IQR]", "|1 - rho|", "median x |1 - rho|"};
    store_array pt = {0};
    if (report_read(c, rs, "fit/plateau_t", &pt))
        return c->e->code;
    double *v = malloc(sizeof(double) * (rs->S > 0 ? rs->S : 1));
    report_ntable *mt =
        v ? report_new_headed(c, mh, 6, "Study %s: the end of the initial plateau", rs->st->name)
          : NULL;
    int rc = mt ? LESDE_OK : v ? c->e->code : err_set(c->e, LESDE_FAIL, "out of memory");
    if (mt)
        snprintf(mt->note, sizeof mt->note,
                 "The first checkpoint where the class-centred probe means reach "
                 "plateau_factor times their initial norm (fit/plateau_t), median [IQR] over "
                 "the done seeds; a seed that never left the plateau within T counts as later "
                 "than all (inf where a quantile falls among those). rho = p_err K/(K-1): the "
                 "centred label signal is 1 - rho times the clean one, so a plateau left at a "
                 "rate proportional to it would keep median x |1 - rho| constant. Every "
                 "point is in plateau.csv.");
    for (long p = 0; p < rs->P && !rc; p++) {
        if (rs->pt[p].n_done == 0)
            continue;
        double q[3], x = fabs(1 - rs->pt[p].rho);
        x = x < 1e-9 ? 0 : x; /* rho = 1 up to rounding */
        int ended, done;
        point_plateau(rs, &pt, p, v, q, &ended, &done);
        int r = report_table_row(csv), mr = report_table_row(&mt->t), k = 0;
        if (r < 0 || mr < 0) {
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
            break;
        }
        double prod = x > 0 ? q[0] * x : NAN; /* at the transition: no rate */
        int bad = report_table_set(csv, r, k++, "%s", rs->st->name);
        bad |= report_table_set(csv, r, k++, "%s", rs->label[p]);
        bad |= report_table_set(csv, r, k++, "%d", rs->pt[p].K);
        bad |= report_table_num(csv, r, k++, rs->pt[p].p_err);
        bad |= report_table_num(csv, r, k++, rs->pt[p].rho);
        bad |= report_table_set(csv, r, k++, "%d", done);
        bad |= report_table_set(csv, r, k++, "%d", ended);
        for (int w = 0; w < 3; w++)
            bad |= put_num(csv, r, k++, q[w]);
        bad |= report_table_num(csv, r, k++, x);
        bad |= put_num(csv, r, k++, prod);
        bad |= report_table_set(&mt->t, mr, 0, "%s", rs->label[p]);
        bad |= report_table_set(&mt->t, mr, 1, "%d", rs->pt[p].K);
        bad |= report_table_set(&mt->t, mr, 2, "%d/%d", ended, done);
        bad |= report_table_set(&mt->t, mr, 3, "%.0f [%.0f, %.0f]", q[0], q[1], q[2]);
        bad |= report_table_set(&mt->t, mr, 4, "%.3g", x);
        bad |= isfinite(prod) ? report_table_set(&mt->t, mr, 5, "%.0f", prod)
                              : report_table_set(&mt->t, mr, 5, "-");
        if (bad)
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
    }
    free(v);
    store_array_free(&pt);
    return rc;
}

int report_plateau_table(report_ctx *c)
{
    static const char *const h[] = {"study", "point",  "K",         "p_err",
                                    "rho",   "n_done", "n_ended",   "t_median",
                                    "t_q25", "t_q75",  "abs_1_rho", "t_median_x_abs_1_rho"};
    return report_study_csv(c, "plateau.csv", h, (int)(sizeof h / sizeof h[0]), plateau_fitted,
                            plateau_rows);
}

/* ---- the slowing toward p* against the training set's size, with its
 * spread ----
 * R = median x |1 - rho| over the clean median (the point of the same
 * coordinates but p_err and rho, at rho = 0) is 1 where the plateau lasts
 * t(0)/|1 - rho|. plateausize.csv gives R of every point of a size study
 * with a 95% bootstrap interval, plateausize_pairs.csv the difference of R
 * between two sizes of one line: does the slowing grow with the training
 * set? The bootstrap draws seeds, a seed's tasks at every point involved
 * together (they share the seed's data and initialisation). */

#define REPORT_PLATEAU_RATIO_METHOD                                                                \
    "The interval: the 95% expanded percentile interval over 10000 bootstrap resamples of the "    \
    "seeds (as p_hat*'s), a seed's tasks at every point of the ratio or difference resampled "     \
    "together; resamples whose value is undefined (a clean median beyond T, or for a difference "  \
    "both medians beyond T) are left out, their share in boot_undefined; a fixed stream, so the "  \
    "same interval every run."

/* A contrast: R(pb) - R(pa), or R(pb) alone when pa < 0; c* the clean
 * points. */
typedef struct {
    long pb, cb, pa, ca;
} size_contrast;

/* plateau_ends' median over the drawn seeds (every seed when draw is NULL);
 * NaN when none is done. */
static double drawn_median(const report_study *rs, const store_array *pt, long p, const int *draw,
                           int m, double *v)
{
    double q[3];
    int ended, done;
    plateau_ends(rs, pt, p, draw, m, v, q, &ended, &done);
    return q[0];
}

/* R of point p against its clean point c over the drawn seeds: +inf when
 * p's median is beyond T, NaN when the clean one is (or either has none). */
static double drawn_ratio(const report_study *rs, const store_array *pt, long p, long c,
                          const int *draw, int m, double *v)
{
    double t0 = drawn_median(rs, pt, c, draw, m, v);
    if (!isfinite(t0) || t0 <= 0)
        return NAN;
    return drawn_median(rs, pt, p, draw, m, v) * fabs(1 - rs->pt[p].rho) / t0;
}

static double contrast_value(const report_study *rs, const store_array *pt, const size_contrast *k,
                             const int *draw, int m, double *v)
{
    double b = drawn_ratio(rs, pt, k->pb, k->cb, draw, m, v);
    return k->pa < 0 ? b : b - drawn_ratio(rs, pt, k->pa, k->ca, draw, m, v);
}

/* The contrast on every done seed into *est, its interval into ci (NaN
 * with fewer than two seeds) and the share of resamples left out of it as
 * undefined into *undef (NaN without an interval). boot: REPORT_BOOT
 * values, draw and use rs->S indices, v rs->S values of scratch. */
static void contrast_spread(const report_study *rs, const store_array *pt, const size_contrast *k,
                            double *est, double ci[2], double *undef, double *boot, int *draw,
                            int *use, double *v)
{
    int m = 0;
    for (int s = 0; s < rs->S; s++) {
        long pts[4] = {k->pb, k->cb, k->pa, k->ca};
        int done = 0;
        for (int j = 0; j < 4; j++)
            done |= pts[j] >= 0 && report_task_done(rs, pts[j], s);
        if (done)
            use[m++] = s;
    }
    *est = contrast_value(rs, pt, k, NULL, rs->S, v);
    ci[0] = ci[1] = *undef = NAN;
    if (m < 2 || isnan(*est)) /* no estimate (a clean median beyond T): no interval */
        return;
    uint64_t ctr = 0; /* a fixed stream: the same interval every run */
    for (int b = 0; b < REPORT_BOOT; b++) {
        for (int i = 0; i < m; i++)
            draw[i] = use[rng_mix64(0x9e3779b97f4a7c15ULL * ++ctr) % (uint64_t)m];
        boot[b] = contrast_value(rs, pt, k, draw, m, v);
    }
    int kept = report_boot_interval(boot, REPORT_BOOT, m, ci);
    *undef = (double)(REPORT_BOOT - kept) / REPORT_BOOT;
}

/* A study's points grouped for the ratio: line[p] by every axis but
 * train_per_class (its name in lname), clean[p] the point with rho = 0
 * and the same coordinates but p_err and rho (-1: none, or p is at rho 0
 * or 1, where R says nothing). Returns the number of points with a clean
 * one, or -1 (out of memory). */
typedef struct {
    int *line;
    char (*lname)[256];
    long *clean;
} size_groups;

static void groups_free(size_groups *g)
{
    free(g->line);
    free(g->lname);
    free(g->clean);
}

static int size_groups_make(const report_study *rs, size_groups *g)
{
    static const char *const by_rho[] = {"p_err", "rho", NULL};
    size_t P = (size_t)(rs->P ? rs->P : 1);
    g->line = malloc(sizeof(int) * P);
    g->lname = malloc(sizeof *g->lname * P);
    g->clean = malloc(sizeof(long) * P);
    int *grp = malloc(sizeof(int) * P);
    char(*gname)[256] = malloc(sizeof *gname * P);
    int n = -1;
    if (g->line && g->lname && g->clean && grp && gname &&
        report_slices(rs, size_series, g->line, g->lname) >= 0 &&
        report_slices(rs, by_rho, grp, gname) >= 0) {
        n = 0;
        for (long p = 0; p < rs->P; p++) {
            g->clean[p] = -1;
            double rho = rs->pt[p].rho;
            if (rs->pt[p].n_done == 0 || fabs(rho) < 1e-12 || fabs(1 - rho) < 1e-9)
                continue;
            for (long q = 0; q < rs->P && g->clean[p] < 0; q++)
                if (grp[q] == grp[p] && fabs(rs->pt[q].rho) < 1e-12 && rs->pt[q].n_done > 0)
                    g->clean[p] = q;
            n += g->clean[p] >= 0;
        }
    }
    free(grp);
    free(gname);
    return n;
}

/* A size study with a point to take the ratio of. */
static int ratio_study(report_ctx *c, const report_study *rs)
{
    if (!plateau_fitted(c, rs) || !size_study(c, rs))
        return 0;
    size_groups g = {0};
    int n = size_groups_make(rs, &g);
    groups_free(&g);
    return n != 0; /* out of memory: taken, to fail in the rows */
}

/* "v [lo, hi]" at 3 significant digits, inf as such, and the share of
 * resamples the interval left out, if any; "-" for NaN. */
static int put_ci(report_table *t, int row, int col, double v, const double *ci, double undef)
{
    if (isnan(v))
        return report_table_set(t, row, col, "-");
    if (isnan(ci[0]))
        return report_table_set(t, row, col, "%.3g", v);
    if (undef > 0)
        return report_table_set(t, row, col, "%.3g [%.3g, %.3g] (%.2g%% of resamples undefined)", v,
                                ci[0], ci[1], 100 * undef);
    return report_table_set(t, row, col, "%.3g [%.3g, %.3g]", v, ci[0], ci[1]);
}

/* The points of line j with a clean point, in the ascending order of
 * their train_per_class values, into pts; their count. */
static int line_points(const report_study *rs, const size_groups *g, int j, long *pts)
{
    int a_n = spec_axis_find(rs->st, "train_per_class"), n = 0;
    const double *val = rs->st->axes[a_n].values;
    for (long p = 0; p < rs->P; p++) {
        if (g->line[p] != j || g->clean[p] < 0)
            continue;
        int i = n++;
        while (i > 0 && val[spec_point_coord(rs->st, pts[i - 1], a_n)] >
                            val[spec_point_coord(rs->st, p, a_n)]) {
            pts[i] = pts[i - 1];
            i--;
        }
        pts[i] = p;
    }
    return n;
}

/* The rows of plateausize.csv (pairs = 0) or plateausize_pairs.csv
 * (pairs = 1) of one study, with their Markdown table. */
static int ratio_rows(report_ctx *c, report_table *csv, const report_study *rs, int pairs)
{
    static const char *const mh[2][4] = {
        {"line", "per class", "plateau ends, clean", "median x |1 - rho| / clean [95%]"},
        {"line", "per class", "ratio at each", "difference [95%]"}};
    store_array pt = {0};
    if (report_read(c, rs, "fit/plateau_t", &pt))
        return c->e->code;
    size_groups g = {0};
    size_t S = (size_t)(rs->S > 0 ? rs->S : 1), P = (size_t)(rs->P ? rs->P : 1);
    double *boot = malloc(sizeof(double) * REPORT_BOOT), *v = malloc(sizeof(double) * S);
    int *draw = malloc(sizeof(int) * S), *use = malloc(sizeof(int) * S);
    long *pts = malloc(sizeof(long) * P);
    int nl = size_groups_make(rs, &g) < 0 ? -1 : 0;
    for (long p = 0; p < rs->P && nl >= 0; p++)
        nl = g.line[p] + 1 > nl ? g.line[p] + 1 : nl;
    report_ntable *mt = NULL;
    int rc = boot && v && draw && use && pts && nl >= 0
                 ? LESDE_OK
                 : err_set(c->e, LESDE_FAIL, "out of memory");
    if (!rc)
        mt = pairs ? report_new_headed(c, mh[1], 4,
                                       "Study %s: the slowing toward p*, one training set's "
                                       "size against another",
                                       rs->st->name)
                   : report_new_headed(c, mh[0], 4,
                                       "Study %s: the slowing toward p* against the training "
                                       "set's size",
                                       rs->st->name);
    rc = rc ? rc : mt ? LESDE_OK : c->e->code;
    if (mt)
        snprintf(mt->note, sizeof mt->note, "%s",
                 pairs ? "The ratio of the table above at the larger size minus that at the "
                         "smaller, for every two sizes of a line, with its 95% interval: "
                         "above 0 when the slowing toward p* grows with the training "
                         "set. " REPORT_PLATEAU_RATIO_METHOD
                       : "The end of the initial plateau (fit/plateau_t; median over the done "
                         "seeds, a seed that never left it counting as later than all) times "
                         "|1 - rho|, over the median of the clean point (rho = 0) of the same "
                         "size and other axes: 1 where the plateau lasts t(0)/|1 - rho|, above "
                         "1 where it slows down toward p* faster. Points at rho = 1 have no "
                         "ratio (plateau.csv has them). " REPORT_PLATEAU_RATIO_METHOD);
    int a_n = spec_axis_find(rs->st, "train_per_class");
    for (int j = 0; j < nl && !rc; j++) {
        int n = line_points(rs, &g, j, pts);
        for (int b = 0; b < n && !rc; b++)
            for (int a = pairs ? 0 : -1; a < (pairs ? b : 0) && !rc; a++) {
                size_contrast k = {pts[b], g.clean[pts[b]], a < 0 ? -1 : pts[a],
                                   a < 0 ? -1 : g.clean[pts[a]]};
                double est, ci[2], undef;
                contrast_spread(rs, &pt, &k, &est, ci, &undef, boot, draw, use, v);
                long p = pts[b];
                const char *nb = rs->st->axes[a_n].labels[spec_point_coord(rs->st, p, a_n)];
                int r = report_table_row(csv), mr = report_table_row(&mt->t), col = 0, bad = 0;
                if (r < 0 || mr < 0) {
                    rc = err_set(c->e, LESDE_FAIL, "out of memory");
                    break;
                }
                bad |= report_table_set(csv, r, col++, "%s", rs->st->name);
                bad |= report_table_set(csv, r, col++, "%s", pairs ? g.lname[j] : rs->label[p]);
                bad |= report_table_set(csv, r, col++, "%d", rs->pt[p].K);
                bad |= report_table_num(csv, r, col++, rs->pt[p].p_err);
                bad |= report_table_num(csv, r, col++, rs->pt[p].rho);
                bad |= report_table_set(&mt->t, mr, 0, "%s", g.lname[j]);
                if (pairs) {
                    size_contrast ka = {pts[a], g.clean[pts[a]], -1, -1}, kb = {k.pb, k.cb, -1, -1};
                    double ra = contrast_value(rs, &pt, &ka, NULL, rs->S, v),
                           rb = contrast_value(rs, &pt, &kb, NULL, rs->S, v);
                    const char *na =
                        rs->st->axes[a_n].labels[spec_point_coord(rs->st, pts[a], a_n)];
                    bad |= report_table_set(csv, r, col++, "%s", na);
                    bad |= report_table_set(csv, r, col++, "%s", nb);
                    bad |= put_num(csv, r, col++, ra);
                    bad |= put_num(csv, r, col++, rb);
                    bad |= report_table_set(&mt->t, mr, 1, "%s -> %s", na, nb);
                    bad |= report_table_set(&mt->t, mr, 2, "%.3g -> %.3g", ra, rb);
                } else {
                    double q[3], q0[3];
                    int ended, done, e0, d0;
                    point_plateau(rs, &pt, p, v, q, &ended, &done);
                    point_plateau(rs, &pt, k.cb, v, q0, &e0, &d0);
                    bad |= report_table_set(csv, r, col++, "%s", nb);
                    bad |= report_table_set(csv, r, col++, "%d", done);
                    bad |= put_num(csv, r, col++, q[0]);
                    bad |= put_num(csv, r, col++, q0[0]);
                    bad |= report_table_set(&mt->t, mr, 1, "%s", nb);
                    bad |= report_table_set(&mt->t, mr, 2, "%.0f, %.0f", q[0], q0[0]);
                }
                bad |= put_num(csv, r, col++, est);
                bad |= put_num(csv, r, col++, ci[0]);
                bad |= put_num(csv, r, col++, ci[1]);
                bad |= put_num(csv, r, col++, undef);
                bad |= put_ci(&mt->t, mr, 3, est, ci, undef);
                if (bad)
                    rc = err_set(c->e, LESDE_FAIL, "out of memory");
            }
    }
    if (!rc && mt && mt->t.nrow == 0) { /* pairs mid-sweep (a ratio study has a point) */
        size_t l = strlen(mt->note);
        snprintf(mt->note + l, sizeof mt->note - l, " No line has two sizes with a ratio yet.");
    }
    groups_free(&g);
    free(boot);
    free(v);
    free(draw);
    free(use);
    free(pts);
    store_array_free(&pt);
    return rc;
}

static int ratio_points(report_ctx *c, report_table *csv, const report_study *rs)
{
    return ratio_rows(c, csv, rs, 0);
}

static int ratio_pairs(report_ctx *c, report_table *csv, const report_study *rs)
{
    return ratio_rows(c, csv, rs, 1);
}

int report_plateau_size_tables(report_ctx *c)
{
    static const char *const h[] = {
        "study",    "point",          "K",     "p_err",    "rho",      "train_per_class", "n_done",
        "t_median", "t_median_clean", "ratio", "ratio_lo", "ratio_hi", "boot_undefined"};
    static const char *const hp[] = {"study",
                                     "line",
                                     "K",
                                     "p_err",
                                     "rho",
                                     "train_per_class_a",
                                     "train_per_class_b",
                                     "ratio_a",
                                     "ratio_b",
                                     "b_minus_a",
                                     "b_minus_a_lo",
                                     "b_minus_a_hi",
                                     "boot_undefined"};
    int rc = report_study_csv(c, "plateausize.csv", h, (int)(sizeof h / sizeof h[0]), ratio_study,
                              ratio_points);
    return rc ? rc
              : report_study_csv(c, "plateausize_pairs.csv", hp, (int)(sizeof hp / sizeof hp[0]),
                                 ratio_study, ratio_pairs);
}
