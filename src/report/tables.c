/* report tables of a store: summary.csv / summary.md (train grid points),
 * pstar.csv (the transition estimate per K), summary_sde.csv (sde). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

#define MAX_COLS 96

/* Axis keys of a study that are not implied by the fixed columns. */
static int extra_key(const char *key, int train)
{
    if (!train)
        return 1;
    return strcmp(key, "classes") && strcmp(key, "p_err") && strcmp(key, "rho");
}

/* The union of the extra axis keys of every study of a kind, in order. */
static int union_keys(const report_ctx *c, spec_kind kind, const char **keys, int max)
{
    int n = 0;
    for (int i = 0; i < c->s.n_studies; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st || rs->st->kind != kind)
            continue;
        for (int a = 0; a < rs->st->n_axes; a++) {
            const char *k = rs->st->axes[a].key;
            if (!extra_key(k, kind == SPEC_TRAIN))
                continue;
            int seen = 0;
            for (int j = 0; j < n; j++)
                seen |= !strcmp(keys[j], k);
            if (!seen && n < max)
                keys[n++] = k;
        }
    }
    return n;
}

report_ntable *report_new_table(report_ctx *c, int ncol, const char *title)
{
    report_ntable *nt = realloc(c->tabs, sizeof *nt * (size_t)(c->n_tabs + 1));
    if (!nt) {
        err_set(c->e, LESDE_FAIL, "out of memory");
        return NULL;
    }
    c->tabs = nt;
    report_ntable *t = &c->tabs[c->n_tabs];
    memset(t, 0, sizeof *t);
    if (report_table_init(&t->t, ncol)) {
        err_set(c->e, LESDE_FAIL, "out of memory");
        return NULL;
    }
    c->n_tabs++;
    snprintf(t->title, sizeof t->title, "%s", title);
    return t;
}

report_ntable *report_new_headed(report_ctx *c, const char *const *heads, int ncol, const char *fmt,
                                 ...)
{
    char title[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    report_ntable *t = report_new_table(c, ncol, title);
    for (int i = 0; t && i < ncol; i++)
        if (report_table_head(&t->t, i, heads[i])) {
            err_set(c->e, LESDE_FAIL, "out of memory");
            return NULL;
        }
    return t;
}

static int add_file(report_ctx *c, const char *name)
{
    char **nf = realloc(c->files, sizeof *nf * (size_t)(c->n_files + 1));
    if (!nf || !(nf[c->n_files] = strdup(name))) {
        if (nf)
            c->files = nf;
        return err_set(c->e, LESDE_FAIL, "out of memory");
    }
    c->files = nf;
    c->n_files++;
    return LESDE_OK;
}

int report_write_csv(report_ctx *c, const char *name, const report_table *t)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", c->o->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(c->e, LESDE_FAIL, "%s: cannot write", path);
    int bad = report_table_csv(t, f);
    if (fclose(f) || bad)
        return err_set(c->e, LESDE_FAIL, "%s: cannot write (disk full?)", path);
    return add_file(c, name);
}

static int set_heads(report_table *t, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (report_table_head(t, i, names[i]))
            return -1;
    return 0;
}

int report_table_q(report_table *t, int row, int col, const double *q)
{
    if (!isfinite(q[0]))
        return report_table_set(t, row, col, "-");
    return report_table_set(t, row, col, "%.3g [%.3g, %.3g]", q[0], q[1], q[2]);
}

/* A table of n columns headed names[]; on failure nothing is left
 * allocated and the error is set. */
int report_csv_table(report_ctx *c, report_table *t, const char *const *names, int n)
{
    if (report_table_init(t, n) || set_heads(t, names, n)) {
        report_table_free(t);
        return err_set(c->e, LESDE_FAIL, "out of memory");
    }
    return LESDE_OK;
}

/* ---- train ---- */

static int train_tables(report_ctx *c)
{
    const char *keys[SPEC_MAX_AXES * 4], *names[MAX_COLS];
    int nk = union_keys(c, SPEC_TRAIN, keys, SPEC_MAX_AXES * 4);
    int nc = report_train_columns(keys, nk, 0, names, MAX_COLS);
    if (nc < 0)
        return err_set(c->e, LESDE_FAIL, "too many grid axes for summary.csv (%d)", nk);
    report_table csv;
    if (report_csv_table(c, &csv, names, nc))
        return c->e->code;
    int rc = LESDE_OK;
    for (int i = 0; i < c->s.n_studies && !rc; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st || rs->st->kind != SPEC_TRAIN)
            continue;
        /* This study's own extra axes, for its Markdown table. */
        const char *own[SPEC_MAX_AXES];
        int no = 0;
        for (int a = 0; a < rs->st->n_axes; a++)
            if (extra_key(rs->st->axes[a].key, 1))
                own[no++] = rs->st->axes[a].key;
        const char *mnames[MAX_COLS];
        int mc = report_train_columns(own, no, 1, mnames, MAX_COLS);
        char title[256];
        snprintf(title, sizeof title, "Train study %s", rs->st->name);
        report_ntable *mt = report_new_table(c, mc, title);
        if (!mt || set_heads(&mt->t, mnames, mc)) {
            rc = mt ? err_set(c->e, LESDE_FAIL, "out of memory") : c->e->code;
            break;
        }
        snprintf(mt->note, sizeof mt->note,
                 "One row per grid point: done seeds out of all; final validation accuracy "
                 "and loss (mean over the last 5%% of iterations) with 95%% t-intervals "
                 "across seeds; tail indices of alphahat, betahat and gammahat = alphahat - "
                 "betahat under the I- and L-model (1 - slope of log|A(t) - A(t/2)| over "
                 "[T/10, T]), median [interquartile range] across seeds; fraction of linearly "
                 "separable class pairs of the probe logits at the last snapshot, mean [95%% "
                 "interval], and the seeds where every pair is, k/n [Wilson's 95%% interval "
                 "of the proportion]. rho = p_err K/(K-1).");
        for (long p = 0; p < rs->P && !rc; p++) {
            const char *lab[SPEC_MAX_AXES * 4];
            for (int j = 0; j < nk; j++)
                lab[j] = report_axis_label(rs, p, keys[j]);
            const char *olab[SPEC_MAX_AXES];
            for (int j = 0; j < no; j++)
                olab[j] = report_axis_label(rs, p, own[j]);
            if (report_train_row(&csv, rs->st->name, lab, nk, &rs->pt[p], 0) ||
                report_train_row(&mt->t, rs->st->name, olab, no, &rs->pt[p], 1))
                rc = err_set(c->e, LESDE_FAIL, "out of memory");
        }
    }
    if (!rc)
        rc = report_write_csv(c, "summary.csv", &csv);
    report_table_free(&csv);
    return rc;
}

/* One estimate in the Markdown table: the value, or why there is none. */
static int pstar_cell(report_table *t, int row, int col, double v, int at_first)
{
    if (isfinite(v) && at_first)
        return report_table_set(t, row, col, "%.4g (at the first grid point)", v);
    if (isfinite(v))
        return report_table_set(t, row, col, "%.4g", v);
    return report_table_set(t, row, col, "not reached");
}

/* An estimate with its bootstrap interval: "0.6678 [0.6612, 0.6731]". */
static int pstar_ci_cell(report_table *t, int row, int col, double v, int at_first,
                         const report_pstar_spread *sp)
{
    if (!isfinite(v) || at_first)
        return pstar_cell(t, row, col, v, at_first);
    char text[96];
    report_pstar_with_ci(text, sizeof text, v, sp);
    return report_table_set(t, row, col, "%s", text);
}

/* The single seeds' crossings: "0.667 [0.66, 0.672] (8 of 8)". */
static int pstar_seeds_cell(report_table *t, int row, int col, const report_pstar_spread *sp)
{
    if (!sp->reached)
        return report_table_set(t, row, col, "none of %d reach it", sp->seeds);
    return report_table_set(t, row, col, "%.4g [%.4g, %.4g] (%d of %d)", sp->q[0], sp->q[1],
                            sp->q[2], sp->reached, sp->seeds);
}

/* pstar.csv's columns of one estimate's spread, from col on */
static int pstar_spread_csv(report_table *t, int row, int col, const report_pstar_spread *sp)
{
    int rc = report_table_num(t, row, col, sp->ci[0]);
    rc |= report_table_num(t, row, col + 1, sp->ci[1]);
    for (int k = 0; k < 3; k++)
        rc |= report_table_num(t, row, col + 2 + k, sp->q[k]);
    return rc | report_table_set(t, row, col + 5, "%d", sp->reached);
}

static int pstar_tables(report_ctx *c)
{
    if (!c->n_pstar)
        return LESDE_OK;
    static const char *const cn[] = {"study",
                                     "other_axes",
                                     "K",
                                     "p_star",
                                     "p_hat_star",
                                     "p_stall",
                                     "p_hat_star_at_first_point",
                                     "p_stall_at_first_point",
                                     "method",
                                     "stall_method",
                                     "p_hat_star_ci_lo",
                                     "p_hat_star_ci_hi",
                                     "p_hat_star_seed_median",
                                     "p_hat_star_seed_q25",
                                     "p_hat_star_seed_q75",
                                     "p_hat_star_seeds_reached",
                                     "p_stall_ci_lo",
                                     "p_stall_ci_hi",
                                     "p_stall_seed_median",
                                     "p_stall_seed_q25",
                                     "p_stall_seed_q75",
                                     "p_stall_seeds_reached",
                                     "seeds",
                                     "spread_method"};
    enum { NC = sizeof cn / sizeof cn[0] };
    static const char *const mn[] = {"study",
                                     "other axes",
                                     "K",
                                     "p* = (K-1)/K",
                                     "p̂* (crosses 1/K) [95% bootstrap]",
                                     "p̂* of single seeds: median [IQR] (seeds)",
                                     "p_stall (crosses 1/K + 0.05) [95% bootstrap]"};
    report_table csv;
    report_ntable *mt = report_new_table(c, 7, "Transition estimate p̂* per K");
    if (!mt || report_csv_table(c, &csv, cn, NC))
        return c->e->code;
    int rc = set_heads(&mt->t, mn, 7);
    snprintf(mt->note, sizeof mt->note,
             "Method: p̂* is %s. p_stall is %s; at finite T it lies below p*. \"not reached\" "
             "when the accuracy never falls that far; \"at the first grid point\" when it is "
             "at the estimate's own level (1/K for p̂*, 1/K + 0.05 for p_stall) already at the "
             "smallest p_err (no transition resolved: did the network learn?). p* = (K-1)/K is "
             "where the labels carry no information. Over seeds, %s; \"beyond the grid\" when "
             "more than a share a of the resamples never reach the level.",
             REPORT_PSTAR_METHOD, REPORT_STALL_METHOD, REPORT_PSTAR_SPREAD_METHOD);
    for (int i = 0; i < c->n_pstar && !rc; i++) {
        const report_pstar *ps = &c->pstar[i];
        int r1 = report_table_row(&csv), r2 = report_table_row(&mt->t);
        if (r1 < 0 || r2 < 0) {
            rc = -1;
            break;
        }
        rc |= report_table_set(&csv, r1, 0, "%s", ps->study);
        rc |= report_table_set(&csv, r1, 1, "%s", ps->slice);
        rc |= report_table_set(&csv, r1, 2, "%d", ps->K);
        rc |= report_table_num(&csv, r1, 3, ps->p_star);
        rc |= report_table_num(&csv, r1, 4, ps->p_hat);
        rc |= report_table_num(&csv, r1, 5, ps->p_stall);
        rc |= report_table_set(&csv, r1, 6, "%d", ps->hat_at_first);
        rc |= report_table_set(&csv, r1, 7, "%d", ps->stall_at_first);
        rc |= report_table_set(&csv, r1, 8, "%s", REPORT_PSTAR_METHOD);
        rc |= report_table_set(&csv, r1, 9, "%s", REPORT_STALL_METHOD);
        rc |= pstar_spread_csv(&csv, r1, 10, &ps->hat);
        rc |= pstar_spread_csv(&csv, r1, 16, &ps->stall);
        rc |= report_table_set(&csv, r1, 22, "%d", ps->hat.seeds);
        rc |= report_table_set(&csv, r1, 23, "%s", REPORT_PSTAR_SPREAD_METHOD);
        rc |= report_table_set(&mt->t, r2, 0, "%s", ps->study);
        rc |= report_table_set(&mt->t, r2, 1, "%s", ps->slice[0] ? ps->slice : "-");
        rc |= report_table_set(&mt->t, r2, 2, "%d", ps->K);
        rc |= report_table_set(&mt->t, r2, 3, "%.4g", ps->p_star);
        rc |= pstar_ci_cell(&mt->t, r2, 4, ps->p_hat, ps->hat_at_first, &ps->hat);
        rc |= pstar_seeds_cell(&mt->t, r2, 5, &ps->hat);
        rc |= pstar_ci_cell(&mt->t, r2, 6, ps->p_stall, ps->stall_at_first, &ps->stall);
    }
    if (rc)
        rc = err_set(c->e, LESDE_FAIL, "out of memory");
    else
        rc = report_write_csv(c, "pstar.csv", &csv);
    report_table_free(&csv);
    return rc;
}

/* ---- sde ---- */

typedef struct {
    store_array s[3], frac, ot;
} sde_data;

static void sde_free(sde_data *d)
{
    for (int k = 0; k < 3; k++)
        store_array_free(&d->s[k]);
    store_array_free(&d->frac);
    store_array_free(&d->ot);
}

static int sde_read(report_ctx *c, const report_study *rs, sde_data *d)
{
    static const char *const stat[3] = {"mean", "ci_lo", "ci_hi"};
    memset(d, 0, sizeof *d);
    char name[128];
    for (int k = 0; k < 3; k++) {
        snprintf(name, sizeof name, "summary/%s/sep_all", stat[k]);
        if (report_read(c, rs, name, &d->s[k]))
            return c->e->code;
    }
    if (report_read(c, rs, "summary/mean/sep_frac", &d->frac) ||
        report_read(c, rs, "obs_t", &d->ot))
        return c->e->code;
    return LESDE_OK;
}

static int sde_tables(report_ctx *c)
{
    const char *keys[SPEC_MAX_AXES * 4];
    int nk = union_keys(c, SPEC_SDE, keys, SPEC_MAX_AXES * 4);
    int any = 0;
    for (int i = 0; i < c->s.n_studies; i++)
        any |= c->rs[i].st && c->rs[i].st->kind == SPEC_SDE;
    if (!any)
        return LESDE_OK;
    const char *names[MAX_COLS];
    int nc = 0;
    names[nc++] = "study";
    for (int j = 0; j < nk && nc < MAX_COLS - 9; j++)
        names[nc++] = keys[j];
    static const char *const tail[] = {
        "n_done",         "n_seeds",        "obs",     "t", "p_separable",
        "p_separable_lo", "p_separable_hi", "sep_frac"};
    for (int j = 0; j < 8; j++)
        names[nc++] = tail[j];
    report_table csv;
    if (report_csv_table(c, &csv, names, nc))
        return c->e->code;
    int rc = LESDE_OK;
    for (int i = 0; i < c->s.n_studies && !rc; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st || rs->st->kind != SPEC_SDE)
            continue;
        sde_data d;
        if ((rc = sde_read(c, rs, &d))) {
            sde_free(&d);
            break;
        }
        long O = d.s[0].dims[d.s[0].ndim - 1];
        /* Markdown: one column per observation time of the first done point. */
        long p0 = -1;
        for (long p = 0; p < rs->P && p0 < 0; p++)
            if (rs->pt[p].n_done)
                p0 = p;
        const double *t0 =
            p0 >= 0 ? d.ot.data + (p0 * rs->S + report_first_done(rs, p0)) * O : NULL;
        long no = 0;
        while (t0 && no < O && isfinite(t0[no]))
            no++;
        int ma = rs->st->n_axes;
        char title[256];
        snprintf(title, sizeof title, "SDE study %s: P(all pairs separable)", rs->st->name);
        report_ntable *mt = report_new_table(c, ma + 1 + (int)no, title);
        if (!mt) {
            sde_free(&d);
            rc = c->e->code;
            break;
        }
        snprintf(mt->note, sizeof mt->note,
                 "Fraction of seeds whose simulated samples are pairwise linearly separable, "
                 "per grid point and observation time t (iterations), with Wilson's 95%% "
                 "interval of a proportion.");
        for (int a = 0; a < ma; a++)
            rc |= report_table_head(&mt->t, a, rs->st->axes[a].key);
        rc |= report_table_head(&mt->t, ma, "done");
        for (long o = 0; o < no; o++) {
            char h[64];
            snprintf(h, sizeof h, "t = %.3g", t0[o]);
            rc |= report_table_head(&mt->t, ma + 1 + (int)o, h);
        }
        for (long p = 0; p < rs->P && !rc; p++) {
            int q = report_first_done(rs, p);
            const double *tp = q >= 0 ? d.ot.data + (p * rs->S + q) * O : NULL;
            int r2 = report_table_row(&mt->t);
            if (r2 < 0) {
                rc = -1;
                break;
            }
            for (int a = 0; a < ma; a++)
                rc |= report_table_set(&mt->t, r2, a, "%s",
                                       rs->st->axes[a].labels[spec_point_coord(rs->st, p, a)]);
            rc |= report_table_set(&mt->t, r2, ma, "%d/%d", rs->pt[p].n_done, rs->S);
            for (long o = 0; o < no; o++) {
                double m = d.s[0].data[p * O + o], lo = d.s[1].data[p * O + o],
                       hi = d.s[2].data[p * O + o];
                char at[48] = "";
                if (tp && tp[o] != t0[o])
                    snprintf(at, sizeof at, " @t=%.3g", tp[o]);
                if (isfinite(lo) && isfinite(hi))
                    rc |= report_table_set(&mt->t, r2, ma + 1 + (int)o, "%.3g [%.3g, %.3g]%s", m,
                                           lo, hi, at);
                else
                    rc |= report_table_set(&mt->t, r2, ma + 1 + (int)o, "%.3g%s", m, at);
            }
            for (long o = 0; o < O && !rc; o++) {
                if (tp && !isfinite(tp[o]))
                    continue;
                int r1 = report_table_row(&csv);
                if (r1 < 0) {
                    rc = -1;
                    break;
                }
                int col = 0;
                rc |= report_table_set(&csv, r1, col++, "%s", rs->st->name);
                for (int j = 0; j < nk; j++) {
                    const char *l = report_axis_label(rs, p, keys[j]);
                    rc |= report_table_set(&csv, r1, col++, "%s", l ? l : "");
                }
                rc |= report_table_set(&csv, r1, col++, "%d", rs->pt[p].n_done);
                rc |= report_table_set(&csv, r1, col++, "%d", rs->S);
                rc |= report_table_set(&csv, r1, col++, "%ld", o);
                rc |= report_table_num(&csv, r1, col++, tp ? tp[o] : NAN);
                for (int k = 0; k < 3; k++)
                    rc |= report_table_num(&csv, r1, col++, d.s[k].data[p * O + o]);
                rc |= report_table_num(&csv, r1, col++, d.frac.data[p * O + o]);
            }
        }
        sde_free(&d);
        if (rc && rc != c->e->code)
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
    }
    if (!rc)
        rc = report_write_csv(c, "summary_sde.csv", &csv);
    report_table_free(&csv);
    return rc;
}

/* summary.md: every Markdown table with its title and note. */
static int write_md(report_ctx *c)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.md", c->o->out_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(c->e, LESDE_FAIL, "%s: cannot write", path);
    fprintf(f, "# lesde report: sweep %s\n\nStore `%s`, spec hash `%s`.\n", c->s.name, c->o->store,
            c->hash);
    if (c->s.overrides && *c->s.overrides) { /* values the spec's text does not show */
        fputs("Run with", f);
        int n;
        for (const char *at = c->s.overrides, *o; (o = spec_next_override(&at, &n));)
            fprintf(f, " `--set %.*s`", n, o);
        fputs(".\n", f);
    }
    for (int i = 0; i < c->n_tabs; i++) {
        fprintf(f, "\n## %s\n\n%s\n\n", c->tabs[i].title, c->tabs[i].note);
        report_table_md(&c->tabs[i].t, f);
    }
    int bad = ferror(f);
    if (fclose(f) || bad)
        return err_set(c->e, LESDE_FAIL, "%s: cannot write (disk full?)", path);
    return add_file(c, "summary.md");
}

int report_study_csv(report_ctx *c, const char *name, const char *const *heads, int n,
                     int (*pick)(report_ctx *, const report_study *),
                     int (*rows)(report_ctx *, report_table *, const report_study *))
{
    int any = 0;
    for (int i = 0; i < c->s.n_studies; i++)
        any |= pick(c, &c->rs[i]);
    if (!any)
        return LESDE_OK;
    report_table csv;
    if (report_csv_table(c, &csv, heads, n))
        return c->e->code;
    int rc = LESDE_OK;
    for (int i = 0; i < c->s.n_studies && !rc; i++)
        if (pick(c, &c->rs[i]))
            rc = rows(c, &csv, &c->rs[i]);
    if (!rc)
        rc = report_write_csv(c, name, &csv);
    report_table_free(&csv);
    return rc;
}

int report_tables(report_ctx *c)
{
    int rc = LESDE_OK;
    if (report_wants(c, REPORT_ONLY_SUMMARY))
        rc = report_tolerate(c, "summary.csv", train_tables(c));
    if (!rc && report_wants(c, REPORT_ONLY_PSTAR))
        rc = report_tolerate(c, "pstar.csv", pstar_tables(c));
    if (!rc) /* it asks report_wants table by table */
        rc = report_tolerate(c, "the LE tables", report_le_tables(c));
    if (!rc && report_wants(c, REPORT_ONLY_COLLAPSE))
        rc = report_tolerate(c, "collapse.csv", report_nc_table(c));
    if (!rc && report_wants(c, REPORT_ONLY_PLATEAU))
        rc = report_tolerate(c, "plateau.csv", report_plateau_table(c));
    if (!rc && report_wants(c, REPORT_ONLY_PLATEAUSIZE))
        rc = report_tolerate(c, "plateausize.csv", report_plateau_size_tables(c));
    if (!rc && report_wants(c, REPORT_ONLY_SUMMARY_SDE))
        rc = report_tolerate(c, "summary_sde.csv", sde_tables(c));
    if (!rc && report_wants(c, REPORT_ONLY_SUMMARY)) /* summary.md: every Markdown table made */
        rc = write_md(c);
    return rc;
}
