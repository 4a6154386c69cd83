/* report plateau: how long a network stays on its initial plateau
 * (fit/plateau_t) against rho = p_err K/(K-1), whose transition is at 1:
 * the figure plateau-STUDY[-SLICE] and plateau.csv with its Markdown
 * table. The class-centred part of the label signal is (1 - rho) times the
 * clean one, so a plateau left at a rate proportional to it lasts about
 * t(0)/|1 - rho|; the figure draws that line from each K's clean point,
 * the table the product median x |1 - rho|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

static const char *const plateau_free[] = {"classes", "p_err", "rho", NULL};

/* A fitted train study over p_err or rho. */
static int plateau_study(report_ctx *c, const report_study *rs)
{
    (void)c; /* report_study_csv's signature */
    return rs->st && rs->st->kind == SPEC_TRAIN && rs->fit && rs->n_done > 0 &&
           (spec_axis_find(rs->st, "p_err") >= 0 || spec_axis_find(rs->st, "rho") >= 0);
}

/* The plateau's end across the done seeds of point p (pt [P][S]): median,
 * q25, q75 into q, a seed that never left it counting as later than any
 * (+inf: a quantile among those is +inf); *ended of *done seeds left it. */
static void point_plateau(const report_study *rs, const store_array *pt, long p, double *v,
                          double *q, int *ended, int *done)
{
    int m = 0, e = 0;
    for (int s = 0; s < rs->S; s++)
        if (report_task_done(rs, p, s)) {
            double x = pt->data[p * rs->S + s];
            e += isfinite(x);
            v[m++] = isfinite(x) ? x : INFINITY;
        }
    *ended = e;
    *done = m;
    report_quantiles_censored(v, m, q);
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

/* A CSV number; +inf as inf (a censored quantile), not NaN. */
static int put_num(report_table *t, int row, int col, double v)
{
    return isinf(v) && v > 0 ? report_table_set(t, row, col, "inf")
                             : report_table_num(t, row, col, v);
}

static int draw_plateau(report_ctx *c, const report_study *rs, const char *slice,
                        const store_array *pt, const long *pts, int n, double *v)
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
        "as later than all (a median among those is off the plot; plateau.csv has every "
        "point), filled below the transition, open above it. Dotted: t(0)/|1 - rho| from the "
        "clean point of each K, what a plateau left at a rate proportional to the centred "
        "label signal (1 - rho times the clean one) would give; not fitted. %s%s",
        g.where, atone[0] ? "At rho = 1: " : "", atone);
}

int report_plateau(report_ctx *c)
{
    int any = 0, rc = LESDE_OK;
    for (int i = 0; i < c->s.n_studies && !rc; i++) {
        const report_study *rs = &c->rs[i];
        if (!plateau_study(c, rs))
            continue;
        any = 1;
        store_array pt = {0};
        if (report_read(c, rs, "fit/plateau_t", &pt))
            return c->e->code;
        size_t P = (size_t)(rs->P ? rs->P : 1);
        int *slice = malloc(sizeof(int) * P);
        char(*name)[256] = malloc(sizeof *name * P);
        long *pts = malloc(sizeof(long) * P);
        double *v = malloc(sizeof(double) * (rs->S > 0 ? rs->S : 1));
        int ns = slice && name && pts && v ? report_slices(rs, plateau_free, slice, name) : -1;
        if (ns < 0)
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
        for (int k = 0; k < ns && !rc; k++) {
            int n = plateau_points(rs, slice, k, pts);
            if (n)
                rc = draw_plateau(c, rs, name[k], &pt, pts, n, v);
        }
        free(slice);
        free(name);
        free(pts);
        free(v);
        store_array_free(&pt);
    }
    return rc || any ? rc
                     : report_skip(c, "skipped plateau: no fitted train study with a rho "
                                      "or p_err axis");
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
    return report_study_csv(c, "plateau.csv", h, (int)(sizeof h / sizeof h[0]), plateau_study,
                            plateau_rows);
}
