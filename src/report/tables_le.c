/* report tables of the LE fit (docs/le-sde.md sections 4, 5):
 *   imitation.csv  per grid point, start and simulation: the final RD's
 *                  median and IQR across seeds, and how many seeds beat
 *                  the ETF baseline (one Markdown table per study, the
 *                  L-model's estimates under the L-model ODE);
 *   imitation_k.csv the same class by class (RD_k, the slides' measure);
 *   seeds.csv      one row per done task: plateau end, tail indices (both
 *                  estimators), final RD of every imitation and the baseline,
 *                  how far the reference method's imitation leaves the
 *                  genuine trajectory's range (ref_range), the probe's
 *                  separability at the last snapshot (sep_frac, sep_all
 *                  by clean label; sep_frac_train by training label) and
 *                  S(0), whose sign decides where the imitation from
 *                  Xbar(0) goes;
 *   models.csv     per grid point and start, the L-model's imitation against
 *                  the I-model's seed by seed (each under its own ODE, and
 *                  both under the L-model's): the paired difference of the
 *                  final RD and how many seeds the L-model wins;
 *   tails.csv      per grid point and model, the tail index of betahat
 *                  against alphahat's seed by seed (the slides' claim 3);
 *   seedavg.csv    per grid point, the fit of the mean over seeds of the
 *                  probe means (what the reference code fits) beside the
 *                  per-seed medians. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "le/le.h"
#include "report/internal.h"
#include "train/train.h"

/* A reference-method imitation whose rescaled logits reach this many times
 * the largest genuine probe mean has blown up: one fitted scalar times a
 * simulation whose aligned logit passed near 0. On the paper-scale Figure 3
 * store the ratio's median is 0.24-0.97 and its 90th percentile at most 1.0
 * at every p_err; the outliers are 4.5-432. */
#define REF_RANGE_FLAG 3.0

/* Per-task arrays a table needs (sref, xb: empty in a store without them). */
typedef struct {
    store_array t, rd[LE_NUM_VARIANTS], etf, cmean, tail, ref0, pt, acc, sref, xb;
    store_array sfrac, sall; /* separability per snapshot (empty if none) */
    store_array strain, S;   /* by training label; S(t) (empty if none) */
} le_data;

static void le_data_free(le_data *d)
{
    store_array_free(&d->t);
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        store_array_free(&d->rd[v]);
    store_array_free(&d->etf);
    store_array_free(&d->cmean);
    store_array_free(&d->tail);
    store_array_free(&d->ref0);
    store_array_free(&d->pt);
    store_array_free(&d->acc);
    store_array_free(&d->sref);
    store_array_free(&d->xb);
    store_array_free(&d->sfrac);
    store_array_free(&d->sall);
    store_array_free(&d->strain);
    store_array_free(&d->S);
}

static int le_data_read(report_ctx *c, const report_study *rs, le_data *d)
{
    memset(d, 0, sizeof *d);
    int rc = report_read(c, rs, "t", &d->t);
    for (int v = 0; v < LE_NUM_VARIANTS && !rc; v++) {
        char name[64];
        snprintf(name, sizeof name, "fit/rd_%s", le_variant_name(v));
        rc = report_read(c, rs, name, &d->rd[v]);
    }
    const char *names[6] = {"fit/rd_etf", "fit/rd_cmean", "fit/tail", "fit/tail_ref0",
                            "fit/plateau_t", "final_val_acc"};
    store_array *dst[6] = {&d->etf, &d->cmean, &d->tail, &d->ref0, &d->pt, &d->acc};
    for (int i = 0; i < 6 && !rc; i++)
        rc = report_read(c, rs, names[i], dst[i]);
    if (!rc && store_has(c->o->store, rs->st->name, "fit/sim_reference")) {
        rc = report_read(c, rs, "fit/sim_reference", &d->sref);
        if (!rc)
            rc = report_read(c, rs, "xbar_probe", &d->xb);
    }
    if (!rc && store_has(c->o->store, rs->st->name, "fit/snap_sep_all_clean")) {
        rc = report_read(c, rs, "fit/snap_sep_frac_clean", &d->sfrac);
        if (!rc)
            rc = report_read(c, rs, "fit/snap_sep_all_clean", &d->sall);
    }
    if (!rc && store_has(c->o->store, rs->st->name, "fit/snap_sep_frac"))
        rc = report_read(c, rs, "fit/snap_sep_frac", &d->strain);
    if (!rc && store_has(c->o->store, rs->st->name, "fit/S"))
        rc = report_read(c, rs, "fit/S", &d->S);
    return rc;
}

/* The largest |value| of the first K x K of each [Km][Km] block of b over
 * nc checkpoints (NaN if one is NaN). */
static double max_abs_kk(const double *b, long nc, int K, long Km)
{
    double m = 0.0;
    for (long k = 0; k < nc; k++)
        for (int a = 0; a < K; a++)
            for (int j = 0; j < K; j++) {
                double v = fabs(b[(k * Km + a) * Km + j]);
                if (!(v <= m))
                    m = v; /* NaN stays */
            }
    return m;
}

/* How far the reference method's imitation (simulation sim) of task (p, s)
 * leaves the genuine trajectory: the largest |rescaled logit| over the run
 * over the largest |genuine probe mean|; NaN without the arrays. */
static double ref_range(const report_study *rs, const le_data *d, long p, int s, int sim)
{
    long ns = report_task_size(rs, &d->sref), nx = report_task_size(rs, &d->xb);
    if (!ns || !nx || d->sref.ndim < 4 || d->xb.ndim < 3)
        return NAN;
    long Km = d->xb.dims[d->xb.ndim - 1], C = d->xb.dims[d->xb.ndim - 3], nc = 0;
    long Cs = d->sref.dims[d->sref.ndim - 3];
    report_point_t(rs, &d->t, p, &nc);
    if (nc > C || nc > Cs || d->sref.dims[d->sref.ndim - 1] != Km)
        return NAN;
    long task = p * rs->S + s;
    int K = rs->pt[p].K;
    double g = max_abs_kk(d->xb.data + task * nx, nc, K, Km);
    double r = max_abs_kk(d->sref.data + task * ns + (long)sim * Cs * Km * Km, nc, K, Km);
    return r / g;
}

#define BASE_ETF (-1)   /* task_rd's v of the ETF baseline */
#define BASE_CMEAN (-2) /* of the class-average baseline */

/* fit/rd_<start v>, or a baseline's RD (v < 0) */
static const store_array *rd_of(const le_data *d, int v)
{
    return v == BASE_ETF ? &d->etf : v == BASE_CMEAN ? &d->cmean : &d->rd[v];
}

/* Final RD of task (p, s) at checkpoint c_last, the mean over the K
 * classes: simulation sim of start v, or a baseline (v < 0). */
static double task_rd(const report_study *rs, const le_data *d, long p, int s, int v, int sim,
                      long c_last)
{
    return report_task_rd(rs, rd_of(d, v), p, s, v < 0 ? -1 : sim, c_last, -1);
}

static long last_ckpt(const report_study *rs, const le_data *d, long p)
{
    long nt = 0;
    report_point_t(rs, &d->t, p, &nt);
    return nt - 1;
}

/* Median, q25, q75 of the final RD of (v, sim) of class cls (cls < 0:
 * the mean over classes) across the done seeds of p; *beats: seeds where
 * it is below both baselines' (of the same class), of *both where all
 * three are finite. */
static void rd_stats_k(const report_study *rs, const le_data *d, long p, int v, int sim, int cls,
                       double *q, int *beats, int *both)
{
    double *x = report_seed_buf(rs), *e = report_seed_buf(rs), *m = report_seed_buf(rs);
    long cl = last_ckpt(rs, d, p);
    report_final_rd_q(rs, rd_of(d, v), p, v < 0 ? -1 : sim, cl, cls, q, x);
    *beats = *both = 0;
    if (v >= 0 && x && e && m) {
        report_final_rd_q(rs, &d->etf, p, -1, cl, cls, NULL, e);
        report_final_rd_q(rs, &d->cmean, p, -1, cl, cls, NULL, m);
        for (int s = 0; s < rs->S; s++) {
            double base = isnan(e[s]) || isnan(m[s]) ? NAN : fmin(e[s], m[s]); /* fmin drops NaN */
            if (report_task_done(rs, p, s) && isfinite(x[s]) && isfinite(base)) {
                (*both)++;
                *beats += x[s] < base;
            }
        }
    }
    free(x);
    free(e);
    free(m);
}

static void rd_stats(const report_study *rs, const le_data *d, long p, int v, int sim, double *q,
                     int *beats, int *both)
{
    rd_stats_k(rs, d, p, v, sim, -1, q, beats, both);
}

/* "n/m (seeds a, b, ...)": the done seeds of p whose reference imitation
 * (L-model under the L-model ODE) has blown up, of those where it is
 * defined; "-" when none is. */
static int blowup_cell(report_table *t, int row, int col, const report_study *rs,
                       const le_data *d, long p)
{
    char seeds[96] = "";
    int n = 0, m = 0;
    size_t len = 0;
    for (int s = 0; s < rs->S; s++) {
        double r = report_task_done(rs, p, s) ? ref_range(rs, d, p, s, LE_SIM_L_UNDER_L) : NAN;
        if (!isfinite(r))
            continue;
        m++;
        if (r < REF_RANGE_FLAG)
            continue;
        if (n < 4 && len < sizeof seeds)
            len += (size_t)snprintf(seeds + len, sizeof seeds - len, "%s%llu", n ? ", " : "",
                                    (unsigned long long)rs->st->seeds[s]);
        else if (n == 4 && len < sizeof seeds)
            len += (size_t)snprintf(seeds + len, sizeof seeds - len, ", ...");
        n++;
    }
    if (!m)
        return report_table_set(t, row, col, "-");
    if (!n)
        return report_table_set(t, row, col, "0/%d", m);
    return report_table_set(t, row, col, "%d/%d (seed%s %s)", n, m, n > 1 ? "s" : "", seeds);
}

/* Row r of imitation.csv (cls < 0) or imitation_k.csv (class cls): the
 * final RD's quantiles q of (v, s) at point p, its seed counts, the ETF
 * (qe) and class-average (qm) baselines' quantiles. Nonzero when out of
 * memory. */
static int imit_row(report_table *csv, int r, const report_study *rs, long p, int v, int s, int cls,
                    const double *q, int beats, int both, const double *qe, const double *qm)
{
    int rc = 0, k = 0;
    rc |= report_table_set(csv, r, k++, "%s", rs->st->name);
    rc |= report_table_set(csv, r, k++, "%s", rs->label[p]);
    rc |= report_table_set(csv, r, k++, "%s", le_variant_name(v));
    rc |= report_table_set(csv, r, k++, "%s", le_sim_name(s));
    if (cls >= 0)
        rc |= report_table_set(csv, r, k++, "%d", cls);
    rc |= report_table_set(csv, r, k++, "%d", rs->pt[p].n_done);
    for (int i = 0; i < 3; i++)
        rc |= report_table_num(csv, r, k++, q[i]);
    rc |= report_table_set(csv, r, k++, "%d", beats);
    rc |= report_table_set(csv, r, k++, "%d", both);
    for (int i = 0; i < 3; i++)
        rc |= report_table_num(csv, r, k++, qe[i]);
    for (int i = 0; i < 3; i++)
        rc |= report_table_num(csv, r, k++, qm[i]);
    double lo = NAN, hi = NAN;
    if (both > 0)
        stats_wilson((double)beats / both, both, &lo, &hi);
    rc |= report_table_num(csv, r, k++, lo);
    rc |= report_table_num(csv, r, k++, hi);
    return rc;
}

/* The Markdown cell of the seeds beating both baselines: "k/n [lo, hi]",
 * with Wilson's 95% interval of the proportion. */
static int beats_cell(report_table *t, int row, int col, int beats, int both)
{
    if (both <= 0)
        return report_table_set(t, row, col, "%d/%d", beats, both);
    double lo, hi;
    stats_wilson((double)beats / both, both, &lo, &hi);
    return report_table_set(t, row, col, "%d/%d [%.2f, %.2f]", beats, both, lo, hi);
}

/* imitation.csv and the per-study Markdown tables. */
static int imitation_table(report_ctx *c, report_table *csv, const report_study *rs,
                           const le_data *d)
{
    static const char *const mh[] = {"point",
                                     "done",
                                     "plateau ends (seeds)",
                                     "plateau: RD [IQR]",
                                     "beats both",
                                     "reference (rescaled): RD [IQR]",
                                     "beats both",
                                     "t0: RD [IQR]",
                                     "beats both",
                                     "ETF baseline: RD [IQR]",
                                     "class-average baseline: RD [IQR]",
                                     "reference blown up"};
    enum { NCOL = sizeof mh / sizeof mh[0] };
    report_ntable *mt = report_new_headed(
        c, mh, NCOL, "Imitation of study %s against the trivial baselines", rs->st->name);
    if (!mt)
        return c->e->code;
    int rc = 0;
    snprintf(mt->note, sizeof mt->note,
             "Final RD (mean over the classes at T; 0 exact, 2 opposite) of the L-model's "
             "estimates under the L-model ODE from each start, median [interquartile range] "
             "across seeds, and the number of seeds where it is below both trivial baselines, "
             "out of the seeds where all are defined, with Wilson's 95%% interval of that "
             "proportion: the ETF baseline S(t) dhat_k (the genuine "
             "scale in the L-model's simplex shape, no dynamics) and the class-average baseline "
             "(every class at the genuine mean over classes: no class structure). The plateau "
             "start is defined for the seeds "
             "whose class-centred means reach plateau_factor times their initial norm. "
             "Reference blown up: the seeds whose rescaled imitation reaches %g times the "
             "largest genuine probe mean (seeds.csv: ref_range), listed up to 4. Every "
             "simulation (also the I-model's estimates) is in imitation.csv.",
             REF_RANGE_FLAG);
    for (long p = 0; p < rs->P && !rc; p++) {
        if (!rs->pt[p].n_done)
            continue;
        int row = report_table_row(&mt->t), np = 0;
        if (row < 0)
            return err_set(c->e, LESDE_FAIL, "out of memory");
        for (int s = 0; s < rs->S; s++) {
            long n = report_task_size(rs, &d->pt);
            np += report_task_done(rs, p, s) && isfinite(d->pt.data[(p * rs->S + s) * n]);
        }
        rc |= report_table_set(&mt->t, row, 0, "%s", rs->label[p][0] ? rs->label[p] : "-");
        rc |= report_table_set(&mt->t, row, 1, "%d/%d", rs->pt[p].n_done, rs->S);
        rc |= report_table_set(&mt->t, row, 2, "%d", np);
        double q[3];
        int beats, both, col = 3;
        static const int var[3] = {LE_VAR_PLATEAU, LE_VAR_REFERENCE, LE_VAR_T0};
        for (int j = 0; j < 3; j++) {
            rd_stats(rs, d, p, var[j], LE_SIM_L_UNDER_L, q, &beats, &both);
            rc |= report_table_q(&mt->t, row, col++, q);
            rc |= beats_cell(&mt->t, row, col++, beats, both);
        }
        double qe[3], qm[3];
        rd_stats(rs, d, p, BASE_ETF, 0, qe, &beats, &both);
        rd_stats(rs, d, p, BASE_CMEAN, 0, qm, &beats, &both);
        rc |= report_table_q(&mt->t, row, col++, qe);
        rc |= report_table_q(&mt->t, row, col++, qm);
        rc |= blowup_cell(&mt->t, row, col, rs, d, p);
        /* the CSV: every start and simulation */
        for (int v = 0; v < LE_NUM_VARIANTS && !rc; v++)
            for (int s = 0; s < LE_NUM_SIMS && !rc; s++) {
                int r = report_table_row(csv);
                if (r < 0)
                    return err_set(c->e, LESDE_FAIL, "out of memory");
                rd_stats(rs, d, p, v, s, q, &beats, &both);
                rc |= imit_row(csv, r, rs, p, v, s, -1, q, beats, both, qe, qm);
            }
    }
    return rc ? err_set(c->e, LESDE_FAIL, "out of memory") : LESDE_OK;
}

/* imitation_k.csv: imitation.csv class by class (the slides define RD per
 * class, RD_k; a mean over classes can hide one class imitated badly),
 * each class judged against the baselines' RD of the same class. */
static int imitation_k_table(report_ctx *c, report_table *csv, const report_study *rs,
                             const le_data *d)
{
    int rc = 0;
    for (long p = 0; p < rs->P && !rc; p++) {
        if (!rs->pt[p].n_done)
            continue;
        for (int cls = 0; cls < rs->pt[p].K && !rc; cls++) {
            double qe[3], qm[3], q[3];
            int beats, both;
            rd_stats_k(rs, d, p, BASE_ETF, 0, cls, qe, &beats, &both);
            rd_stats_k(rs, d, p, BASE_CMEAN, 0, cls, qm, &beats, &both);
            for (int v = 0; v < LE_NUM_VARIANTS && !rc; v++)
                for (int s = 0; s < LE_NUM_SIMS && !rc; s++) {
                    int r = report_table_row(csv);
                    if (r < 0)
                        return err_set(c->e, LESDE_FAIL, "out of memory");
                    rd_stats_k(rs, d, p, v, s, cls, q, &beats, &both);
                    rc |= imit_row(csv, r, rs, p, v, s, cls, q, beats, both, qe, qm);
                }
        }
    }
    return rc ? err_set(c->e, LESDE_FAIL, "out of memory") : LESDE_OK;
}

/* Two per-seed quantities a[s], b[s] of point p, compared seed by seed
 * over the done seeds where both are finite (*n): median, q25, q75 of a
 * (qa), of b (qb) and of b - a (qd), and *below, the seeds where a < b. */
static void paired(const report_study *rs, long p, const double *a, const double *b, double *qa,
                   double *qb, double *qd, int *n, int *below)
{
    double *x = report_seed_buf(rs), *y = report_seed_buf(rs), *z = report_seed_buf(rs);
    int m = 0, w = 0;
    for (int s = 0; x && y && z && s < rs->S; s++)
        if (report_task_done(rs, p, s) && isfinite(a[s]) && isfinite(b[s])) {
            x[m] = a[s];
            y[m] = b[s];
            z[m] = b[s] - a[s];
            w += a[s] < b[s];
            m++;
        }
    double none = 0; /* out of memory: m = 0, NaN */
    report_quantiles(x ? x : &none, m, qa);
    report_quantiles(y ? y : &none, m, qb);
    report_quantiles(z ? z : &none, m, qd);
    *n = m;
    *below = w;
    free(x);
    free(y);
    free(z);
}

/* The L-model against the I-model at point p from start v: the final RD
 * of L-est/L-ODE (ql) and of the I-model's simulation sim_i (qi), I - L
 * (qd; > 0: the L-model is closer), *lwins seeds where L's is smaller. */
static void model_pair(const report_study *rs, const le_data *d, long p, int v, int sim_i,
                       double *ql, double *qi, double *qd, int *n, int *lwins)
{
    double *l = report_seed_buf(rs), *i = report_seed_buf(rs);
    long cl = last_ckpt(rs, d, p);
    if (l && i) {
        report_final_rd_q(rs, rd_of(d, v), p, LE_SIM_L_UNDER_L, cl, -1, NULL, l);
        report_final_rd_q(rs, rd_of(d, v), p, sim_i, cl, -1, NULL, i);
        paired(rs, p, l, i, ql, qi, qd, n, lwins);
    } else { /* out of memory: no seed, NaN */
        *n = *lwins = 0;
        for (int k = 0; k < 3; k++)
            ql[k] = qi[k] = qd[k] = NAN;
    }
    free(l);
    free(i);
}

/* One row of a paired CSV (models.csv, tails.csv) after its key cells:
 * n, the quantiles of a, b and b - a, the count and Wilson's interval. */
static int paired_cells(report_table *csv, int r, int k, int n, const double *qa, const double *qb,
                        const double *qd, int below)
{
    double lo = NAN, hi = NAN;
    if (n > 0)
        stats_wilson((double)below / n, n, &lo, &hi);
    int rc = report_table_set(csv, r, k++, "%d", n);
    const double *q[3] = {qa, qb, qd};
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 3; i++)
            rc |= report_table_num(csv, r, k++, q[j][i]);
    rc |= report_table_set(csv, r, k++, "%d", below);
    rc |= report_table_num(csv, r, k++, lo);
    rc |= report_table_num(csv, r, k++, hi);
    return rc;
}

/* models.csv and the per-study Markdown table (from the plateau). The
 * slides' claim 2 is that the L-model imitates better than the I-model:
 * a per-seed question, so the difference is taken seed by seed. */
static int models_table(report_ctx *c, report_table *csv, const report_study *rs, const le_data *d)
{
    static const char *const mh[] = {"point",
                                     "done",
                                     "L-model (own ODE): RD [IQR]",
                                     "I-model (own ODE): RD [IQR]",
                                     "I - L [IQR]",
                                     "L closer",
                                     "under the L-model ODE: I - L [IQR]",
                                     "L closer"};
    enum { NCOL = sizeof mh / sizeof mh[0] };
    report_ntable *mt = report_new_headed(
        c, mh, NCOL, "Study %s: the L-model against the I-model, seed by seed", rs->st->name);
    if (!mt)
        return c->e->code;
    int rc = 0;
    snprintf(mt->note, sizeof mt->note,
             "Final RD (mean over the classes at T) of each model's imitation from the end of "
             "the plateau: the L-model's estimates under the L-model ODE against the I-model's "
             "under its own ODE, and under the L-model's; median [interquartile range] across "
             "the seeds where both are defined (the plateau ends; the count's denominator), of "
             "each and of their difference I - L, taken "
             "seed by seed (above 0: the L-model is closer to the genuine means), and the "
             "seeds where the L-model is closer, with Wilson's 95%% interval of the proportion. "
             "Every start is in models.csv.");
    for (long p = 0; p < rs->P && !rc; p++) {
        if (!rs->pt[p].n_done)
            continue;
        for (int v = 0; v < LE_NUM_VARIANTS && !rc; v++) {
            double ql[2][3], qi[2][3], qd[2][3];
            int n[2], w[2];
            static const int sims[2] = {LE_SIM_I_UNDER_I, LE_SIM_I_UNDER_L};
            for (int j = 0; j < 2; j++) {
                model_pair(rs, d, p, v, sims[j], ql[j], qi[j], qd[j], &n[j], &w[j]);
                int r = report_table_row(csv);
                if (r < 0)
                    return err_set(c->e, LESDE_FAIL, "out of memory");
                rc |= report_table_set(csv, r, 0, "%s", rs->st->name);
                rc |= report_table_set(csv, r, 1, "%s", rs->label[p]);
                rc |= report_table_set(csv, r, 2, "%s", le_variant_name(v));
                rc |= report_table_set(csv, r, 3, "%s", le_sim_name(sims[j]));
                rc |= paired_cells(csv, r, 4, n[j], ql[j], qi[j], qd[j], w[j]);
            }
            if (v != LE_VAR_PLATEAU)
                continue;
            int row = report_table_row(&mt->t);
            if (row < 0)
                return err_set(c->e, LESDE_FAIL, "out of memory");
            rc |= report_table_set(&mt->t, row, 0, "%s", rs->label[p][0] ? rs->label[p] : "-");
            rc |= report_table_set(&mt->t, row, 1, "%d/%d", rs->pt[p].n_done, rs->S);
            rc |= report_table_q(&mt->t, row, 2, ql[0]);
            rc |= report_table_q(&mt->t, row, 3, qi[0]);
            rc |= report_table_q(&mt->t, row, 4, qd[0]);
            rc |= beats_cell(&mt->t, row, 5, w[0], n[0]);
            rc |= report_table_q(&mt->t, row, 6, qd[1]);
            rc |= beats_cell(&mt->t, row, 7, w[1], n[1]);
        }
    }
    return rc ? err_set(c->e, LESDE_FAIL, "out of memory") : LESDE_OK;
}

/* tails.csv and the per-study Markdown table: the tail indices of betahat
 * and alphahat, seed by seed. The slides' claim 3 is that near p* the tail
 * index of beta begins to dominate alpha's (beta decays more slowly: a
 * smaller index), a per-seed question too. */
static int tails_table(report_ctx *c, report_table *csv, const report_study *rs, const le_data *d)
{
    static const char *const mh[] = {"point",
                                     "done",
                                     "I-model: r_alpha - r_beta [IQR]",
                                     "r_beta < r_alpha",
                                     "L-model: r_alpha - r_beta [IQR]",
                                     "r_beta < r_alpha"};
    enum { NCOL = sizeof mh / sizeof mh[0] };
    report_ntable *mt = report_new_headed(
        c, mh, NCOL, "Study %s: the tail index of beta against alpha's, seed by seed",
        rs->st->name);
    if (!mt)
        return c->e->code;
    snprintf(mt->note, sizeof mt->note,
             "Tail indices of alphahat and betahat (1 - slope of log|A(t) - A(t/2)| over "
             "[T/10, T]) under each model, compared seed by seed: the difference r_alpha - "
             "r_beta, median [interquartile range] over the seeds where both are defined (above "
             "0: betahat decays more slowly, it dominates), and the seeds where r_beta < r_alpha, "
             "with Wilson's 95%% interval of the proportion. The indices themselves: tails.csv, "
             "seeds.csv.");
    long nt = report_task_size(rs, &d->tail);
    int rc = 0;
    for (long p = 0; p < rs->P && !rc && nt >= LE_NUM_MODELS * LE_NUM_Q; p++) {
        if (!rs->pt[p].n_done)
            continue;
        int row = report_table_row(&mt->t);
        if (row < 0)
            return err_set(c->e, LESDE_FAIL, "out of memory");
        rc |= report_table_set(&mt->t, row, 0, "%s", rs->label[p][0] ? rs->label[p] : "-");
        rc |= report_table_set(&mt->t, row, 1, "%d/%d", rs->pt[p].n_done, rs->S);
        for (int m = 0; m < LE_NUM_MODELS && !rc; m++) {
            double *ra = report_seed_buf(rs), *rb = report_seed_buf(rs), qb[3], qa[3], qd[3];
            if (!ra || !rb) {
                free(ra);
                free(rb);
                return err_set(c->e, LESDE_FAIL, "out of memory");
            }
            for (int s = 0; s < rs->S; s++) {
                const double *t = d->tail.data + (p * rs->S + s) * nt + m * LE_NUM_Q;
                ra[s] = t[0];
                rb[s] = t[1];
            }
            int n, below;
            paired(rs, p, rb, ra, qb, qa, qd, &n, &below);
            free(ra);
            free(rb);
            int r = report_table_row(csv);
            if (r < 0)
                return err_set(c->e, LESDE_FAIL, "out of memory");
            rc |= report_table_set(csv, r, 0, "%s", rs->st->name);
            rc |= report_table_set(csv, r, 1, "%s", rs->label[p]);
            rc |= report_table_set(csv, r, 2, "%s", m ? "L" : "I");
            rc |= paired_cells(csv, r, 3, n, qb, qa, qd, below);
            rc |= report_table_q(&mt->t, row, 2 + 2 * m, qd);
            rc |= beats_cell(&mt->t, row, 3 + 2 * m, below, n);
        }
    }
    return rc ? err_set(c->e, LESDE_FAIL, "out of memory") : LESDE_OK;
}

/* seeds.csv: one row per done task. */
static int seeds_table(report_ctx *c, report_table *csv, const report_study *rs, const le_data *d)
{
    int rc = 0;
    long nt = report_task_size(rs, &d->tail), nr = report_task_size(rs, &d->ref0);
    long ns = d->sall.size == d->sfrac.size ? report_task_size(rs, &d->sfrac) : 0;
    long nst = report_task_size(rs, &d->strain), nS = report_task_size(rs, &d->S);
    long nc = report_task_size(rs, &d->t);
    for (long p = 0; p < rs->P && !rc; p++) {
        long cl = last_ckpt(rs, d, p);
        for (int s = 0; s < rs->S && !rc; s++) {
            if (!report_task_done(rs, p, s))
                continue;
            int r = report_table_row(csv), k = 0;
            if (r < 0)
                return err_set(c->e, LESDE_FAIL, "out of memory");
            long task = p * rs->S + s;
            rc |= report_table_set(csv, r, k++, "%s", rs->st->name);
            rc |= report_table_set(csv, r, k++, "%s", rs->label[p]);
            rc |= report_table_set(csv, r, k++, "%llu", (unsigned long long)rs->st->seeds[s]);
            rc |= report_table_num(csv, r, k++, d->acc.data[task]);
            rc |= report_table_num(csv, r, k++, d->pt.data[task]);
            for (int i = 0; i < 6; i++)
                rc |= report_table_num(csv, r, k++, d->tail.data[task * nt + i]);
            for (int i = 0; i < 6; i++)
                rc |= report_table_num(csv, r, k++, d->ref0.data[task * nr + i]);
            for (int v = 0; v < LE_NUM_VARIANTS; v++)
                for (int m = 0; m < LE_NUM_SIMS; m++)
                    rc |= report_table_num(csv, r, k++, task_rd(rs, d, p, s, v, m, cl));
            rc |= report_table_num(csv, r, k++, task_rd(rs, d, p, s, BASE_ETF, 0, cl));
            rc |= report_table_num(csv, r, k++, task_rd(rs, d, p, s, BASE_CMEAN, 0, cl));
            for (int m = 0; m < LE_NUM_SIMS; m++)
                rc |= report_table_num(csv, r, k++, ref_range(rs, d, p, s, m));
            /* separability at the task's last snapshot (padding is NaN) */
            long last = ns > 0 ? report_last_finite(d->sfrac.data + task * ns, ns) : -1;
            rc |= report_table_num(csv, r, k++, last >= 0 ? d->sfrac.data[task * ns + last] : NAN);
            rc |= report_table_num(csv, r, k++, last >= 0 ? d->sall.data[task * ns + last] : NAN);
            last = nst > 0 ? report_last_finite(d->strain.data + task * nst, nst) : -1;
            rc |=
                report_table_num(csv, r, k++, last >= 0 ? d->strain.data[task * nst + last] : NAN);
            /* S(0): the first checkpoint's, which every run records at t = 0 */
            int at0 = nS > 0 && nS == nc && d->t.data[task * nc] == 0.0;
            rc |= report_table_num(csv, r, k++, at0 ? d->S.data[task * nS] : NAN);
        }
    }
    return rc ? err_set(c->e, LESDE_FAIL, "out of memory") : LESDE_OK;
}

/* "a | b", "-" for a value that is not finite */
static int pair_cell(report_table *t, int row, int col, double a, double b)
{
    char x[32] = "-", y[32] = "-";
    if (isfinite(a))
        snprintf(x, sizeof x, "%.3g", a);
    if (isfinite(b))
        snprintf(y, sizeof y, "%.3g", b);
    return report_table_set(t, row, col, "%s | %s", x, y);
}

/* The records of point p's reference window (ref_every), averaged over
 * its seeds that have them (t [R] the same for every seed), into t [R] and
 * x [R][K][K] for the seed-averaged fit; 0 records when there are none.
 * at and ax are the study's ref_t and xbar_ref, [P S][R] and [P S][R][Km][Km]. */
static int seedavg_ref(const store_array *at, const store_array *ax, long p, long S, int K,
                       double *t, double *x)
{
    long R = at->dims[at->ndim - 1], Km = ax->dims[ax->ndim - 1];
    int n = 0, got = 0;
    memset(x, 0, sizeof(double) * R * K * K);
    for (long s = 0; s < S; s++) {
        const double *ts = at->data + (p * S + s) * R, *xs = ax->data + (p * S + s) * R * Km * Km;
        int r = 0;
        while (r < R && ts[r] >= 0) /* padded with -1; not done: -1 */
            r++;
        if (r == 0 || (got && (r != n || memcmp(ts, t, sizeof(double) * r))))
            continue;
        n = r;
        memcpy(t, ts, sizeof(double) * r);
        for (long j = 0; j < r; j++)
            for (int a = 0; a < K; a++)
                for (int b = 0; b < K; b++)
                    x[(j * K + a) * K + b] += xs[(j * Km + a) * Km + b];
        got++;
    }
    for (long i = 0; got && i < (long)n * K * K; i++)
        x[i] /= got;
    return got ? n : 0;
}

/* seedavg.csv and its Markdown table: le_fit of the mean over seeds. */
static int seedavg_table(report_ctx *c, report_table *csv, const report_study *rs,
                         const le_data *d)
{
    store_array mx;
    if (!store_has(c->o->store, rs->st->name, "summary/mean/xbar_probe"))
        return LESDE_OK;
    if (report_read(c, rs, "summary/mean/xbar_probe", &mx))
        return c->e->code;
    store_array at = {0}, ax = {0}; /* the reference window's records, if any */
    if (store_has(c->o->store, rs->st->name, "ref_t") &&
        (report_read(c, rs, "ref_t", &at) || report_read(c, rs, "xbar_ref", &ax))) {
        store_array_free(&at);
        store_array_free(&mx);
        return c->e->code;
    }
    static const char *const mh[] = {"point", "seeds", "r_gamma I: of the mean | median",
                                     "r_gamma L: of the mean | median",
                                     "plateau RD (L): of the mean | median",
                                     "reference RD (L): of the mean | median",
                                     "ETF RD: of the mean | median"};
    report_ntable *mt = report_new_headed(
        c, mh, 7, "Study %s: the fit of the seed-averaged trajectory", rs->st->name);
    int rc = mt ? 0 : c->e->code;
    if (mt)
        snprintf(mt->note, sizeof mt->note,
                 "The reference code fits the mean over many runs of the mean logits; lesde "
                 "fits each run. Here the LE fit (the same options) of the mean over the done "
                 "seeds of the probe means, beside the median across the seeds' own fits: tail "
                 "index of gamma by differences, and the final RD of the L-model's imitation "
                 "from the plateau and by the reference method (its scalar from the mean over "
                 "seeds of the window's records when the study has them, ref_every), and of "
                 "the ETF baseline. Every quantity is in seedavg.csv.");
    long Km = mx.dims[mx.ndim - 1], Cm = mx.dims[mx.ndim - 3];
    for (long p = 0; p < rs->P && !rc; p++) {
        if (!report_summarized(rs, p))
            continue;
        long nt = 0;
        const double *tv = report_point_t(rs, &d->t, p, &nt);
        int K = rs->pt[p].K;
        spec_task task;
        train_config tc;
        if (!tv || nt < 2 || spec_task_get(&c->s, rs->st->first_task + p * rs->S, &task) ||
            spec_task_train(&c->s, &task, &tc))
            continue;
        long R = at.data ? at.dims[at.ndim - 1] : 0;
        double *x = malloc(sizeof(double) * ((nt + R) * K * K + R)); /* + the records */
        if (!x) {
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
            break;
        }
        for (long k = 0; k < nt; k++)
            for (int a = 0; a < K; a++)
                for (int b = 0; b < K; b++)
                    x[(k * K + a) * K + b] = mx.data[((p * Cm + k) * Km + a) * Km + b];
        le_fit_opts fo = tc.fit_opts;
        fo.seed = task.seed;
        le_ref_records ref = {0};
        if (R > 0) {
            double *rt = x + nt * K * K, *rx = rt + R;
            ref = (le_ref_records){seedavg_ref(&at, &ax, p, rs->S, K, rt, rx), rt, rx};
        }
        le_fit_result fr;
        lesde_err fe;
        if (le_fit(tv, (int)nt, x, K, K, &ref, &fo, &fr, &fe)) {
            free(x);
            rc = report_skip(c, "seed-averaged fit of %s at %s failed: %s", rs->st->name,
                             rs->label[p], fe.msg);
            continue;
        }
        double fin[4];
        int var[3] = {LE_VAR_PLATEAU, LE_VAR_REFERENCE, LE_VAR_T0};
        for (int j = 0; j < 4; j++) {
            const double *b = j < 3 ? fr.rd[var[j]][LE_SIM_L_UNDER_L] : fr.rd_etf;
            fin[j] = 0;
            for (int a = 0; a < K; a++)
                fin[j] += b[(nt - 1) * K + a] / K;
        }
        double med[4][3];
        int beats, both;
        for (int j = 0; j < 4; j++)
            rd_stats(rs, d, p, j < 3 ? var[j] : BASE_ETF, LE_SIM_L_UNDER_L, med[j], &beats, &both);
        int r = report_table_row(csv), k = 0;
        if (r < 0) {
            le_fit_free(&fr);
            free(x);
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
            break;
        }
        rc |= report_table_set(csv, r, k++, "%s", rs->st->name);
        rc |= report_table_set(csv, r, k++, "%s", rs->label[p]);
        rc |= report_table_set(csv, r, k++, "%d", rs->pt[p].n_done);
        rc |= report_table_num(csv, r, k++, fr.plateau_t);
        for (int m = 0; m < 2; m++)
            for (int q = 0; q < 3; q++) {
                rc |= report_table_num(csv, r, k++, fr.tail[m][q]);
                rc |= report_table_num(csv, r, k++, rs->pt[p].tail[m][q][0]);
            }
        for (int j = 0; j < 4; j++) {
            rc |= report_table_num(csv, r, k++, fin[j]);
            rc |= report_table_num(csv, r, k++, med[j][0]);
        }
        int mr = report_table_row(&mt->t);
        if (mr < 0) {
            rc = -1;
        } else {
            rc |= report_table_set(&mt->t, mr, 0, "%s", rs->label[p][0] ? rs->label[p] : "-");
            rc |= report_table_set(&mt->t, mr, 1, "%d", rs->pt[p].n_done);
            for (int m = 0; m < 2; m++)
                rc |= pair_cell(&mt->t, mr, 2 + m, fr.tail[m][LE_Q_GAMMA],
                                rs->pt[p].tail[m][LE_Q_GAMMA][0]);
            for (int j = 0; j < 3; j++) {
                int jj = j == 2 ? 3 : j;
                rc |= pair_cell(&mt->t, mr, 4 + j, fin[jj], med[jj][0]);
            }
        }
        le_fit_free(&fr);
        free(x);
    }
    store_array_free(&at);
    store_array_free(&ax);
    store_array_free(&mx);
    return rc && rc != c->e->code ? err_set(c->e, LESDE_FAIL, "out of memory") : rc;
}

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

int report_le_tables(report_ctx *c)
{
    static const char *const ih[] = {"study",      "point",         "start",
                                     "sim",        "n_done",        "rd_median",
                                     "rd_q25",     "rd_q75",        "beats_both_baselines",
                                     "all_finite", "etf_median",    "etf_q25",
                                     "etf_q75",    "cmean_median",  "cmean_q25",
                                     "cmean_q75",  "beats_both_lo", "beats_both_hi"};
    static const char *const kh[] = {
        "study",      "point",      "start",         "sim",          "class",
        "n_done",     "rd_median",  "rd_q25",        "rd_q75",       "beats_both_baselines",
        "all_finite", "etf_median", "etf_q25",       "etf_q75",      "cmean_median",
        "cmean_q25",  "cmean_q75",  "beats_both_lo", "beats_both_hi"};
    static const char *const sh[] = {"study",
                                     "point",
                                     "seed",
                                     "final_val_acc",
                                     "plateau_t",
                                     "r_alpha_I",
                                     "r_beta_I",
                                     "r_gamma_I",
                                     "r_alpha_L",
                                     "r_beta_L",
                                     "r_gamma_L",
                                     "ref0_alpha_I",
                                     "ref0_beta_I",
                                     "ref0_gamma_I",
                                     "ref0_alpha_L",
                                     "ref0_beta_L",
                                     "ref0_gamma_L",
                                     "rd_plateau_IL",
                                     "rd_plateau_LL",
                                     "rd_plateau_II",
                                     "rd_reference_IL",
                                     "rd_reference_LL",
                                     "rd_reference_II",
                                     "rd_t0_IL",
                                     "rd_t0_LL",
                                     "rd_t0_II",
                                     "rd_etf",
                                     "rd_cmean",
                                     "ref_range_IL",
                                     "ref_range_LL",
                                     "ref_range_II",
                                     "sep_frac",
                                     "sep_all",
                                     "sep_frac_train",
                                     "S0"};
    static const char *const mo[] = {
        "study",    "point",    "start",    "sim_i",       "n",          "l_median",
        "l_q25",    "l_q75",    "i_median", "i_q25",       "i_q75",      "diff_median",
        "diff_q25", "diff_q75", "l_closer", "l_closer_lo", "l_closer_hi"};
    static const char *const th[] = {"study",       "point",      "model",         "n",
                                     "beta_median", "beta_q25",   "beta_q75",      "alpha_median",
                                     "alpha_q25",   "alpha_q75",  "diff_median",   "diff_q25",
                                     "diff_q75",    "beta_below", "beta_below_lo", "beta_below_hi"};
    static const char *const ah[] = {
        "study",          "point",          "n_done",        "plateau_t",    "r_alpha_I_mean",
        "r_alpha_I_median", "r_beta_I_mean", "r_beta_I_median", "r_gamma_I_mean",
        "r_gamma_I_median", "r_alpha_L_mean", "r_alpha_L_median", "r_beta_L_mean",
        "r_beta_L_median", "r_gamma_L_mean", "r_gamma_L_median", "rd_plateau_LL_mean",
        "rd_plateau_LL_median", "rd_reference_LL_mean", "rd_reference_LL_median",
        "rd_t0_LL_mean", "rd_t0_LL_median", "rd_etf_mean", "rd_etf_median"};
    /* --only: the tables it names, in the order they are written */
    int want[6] = {report_wants(c, REPORT_ONLY_IMITATION), report_wants(c, REPORT_ONLY_IMITATION_K),
                   report_wants(c, REPORT_ONLY_SEEDS),     report_wants(c, REPORT_ONLY_SEEDAVG),
                   report_wants(c, REPORT_ONLY_MODELS),    report_wants(c, REPORT_ONLY_TAILS)};
    int any = 0, fitted = 0;
    for (int i = 0; i < 6; i++)
        any |= want[i];
    for (int i = 0; i < c->s.n_studies && any && !fitted; i++)
        fitted = c->rs[i].st && c->rs[i].st->kind == SPEC_TRAIN && c->rs[i].fit &&
                 store_has(c->o->store, c->rs[i].st->name, "fit/rd_plateau");
    if (!fitted)
        return LESDE_OK;
    report_table it, kt, st, at, mt, tt;
    memset(&kt, 0, sizeof kt);
    memset(&mt, 0, sizeof mt);
    memset(&tt, 0, sizeof tt);
    memset(&st, 0, sizeof st);
    memset(&at, 0, sizeof at);
    int rc = report_csv_table(c, &it, ih, NCOLS(ih));
    if (!rc)
        rc = report_csv_table(c, &kt, kh, NCOLS(kh));
    if (!rc)
        rc = report_csv_table(c, &st, sh, NCOLS(sh));
    if (!rc)
        rc = report_csv_table(c, &at, ah, NCOLS(ah));
    if (!rc)
        rc = report_csv_table(c, &mt, mo, NCOLS(mo));
    if (!rc)
        rc = report_csv_table(c, &tt, th, NCOLS(th));
    for (int i = 0; i < c->s.n_studies && !rc; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st || rs->st->kind != SPEC_TRAIN || !rs->fit ||
            !store_has(c->o->store, rs->st->name, "fit/rd_plateau"))
            continue;
        le_data d;
        rc = le_data_read(c, rs, &d);
        if (!rc && want[0])
            rc = imitation_table(c, &it, rs, &d);
        if (!rc && want[4])
            rc = models_table(c, &mt, rs, &d);
        if (!rc && want[5])
            rc = tails_table(c, &tt, rs, &d);
        if (!rc && want[1])
            rc = imitation_k_table(c, &kt, rs, &d);
        if (!rc && want[2])
            rc = seeds_table(c, &st, rs, &d);
        if (!rc && want[3])
            rc = seedavg_table(c, &at, rs, &d);
        le_data_free(&d);
    }
    static const char *const file[6] = {"imitation.csv", "imitation_k.csv", "seeds.csv",
                                        "seedavg.csv",   "models.csv",      "tails.csv"};
    const report_table *tab[6] = {&it, &kt, &st, &at, &mt, &tt};
    for (int i = 0; i < 6 && !rc; i++)
        if (want[i])
            rc = report_write_csv(c, file[i], tab[i]);
    report_table_free(&it);
    report_table_free(&kt);
    report_table_free(&st);
    report_table_free(&at);
    report_table_free(&mt);
    report_table_free(&tt);
    return rc;
}
