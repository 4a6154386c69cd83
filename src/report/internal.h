/* report internals: the loaded store, the figure list, gnuplot helpers. */
#ifndef LESDE_REPORT_INTERNAL_H
#define LESDE_REPORT_INTERNAL_H

#include <stdio.h>

#include "report/report.h"
#include "spec/spec.h"
#include "store/store.h"

/* One study of the store, with what every figure and table needs per point. */
typedef struct {
    const spec_study *st;
    long P;           /* grid points */
    int S;            /* seeds */
    double *status;   /* [P][S] */
    report_point *pt; /* [P] (train) */
    char **label;     /* [P] "key=label, ..." of every axis ("" without axes) */
    double *n_sum;    /* [P] seeds in the summaries across seeds (0: none yet) */
    int sweep_live;   /* a running sweep holds the store (read only when they lag) */
    int fit;          /* has fit/A (train) */
    long n_done;
} report_study;

typedef struct {
    char png[256]; /* file name inside the output directory */
    char kind[16]; /* fig2, fig3, ... */
    char title[256];
    char caption[2048];
} report_fig;

/* A figure's script, written and queued for report_gp_draw. */
typedef struct {
    char base[256]; /* NAME of NAME.gp / NAME.png */
    int n_figs;     /* figures and skipped lines recorded before it */
    int n_skipped;
} report_gp_job;

/* A table for summary.md and the index page. */
typedef struct {
    char title[256];
    char note[2048];
    report_table t;
} report_ntable;

typedef struct {
    const report_opts *o;
    const char *gnuplot;
    spec s;
    char hash[17];
    store_attr *attrs;
    int n_attrs;
    report_study *rs; /* [s.n_studies]; st NULL when filtered out by --study */
    report_fig *figs;
    int n_figs, cap_figs;
    char **skipped; /* "skipped ..." lines, for the index page */
    int n_skipped;
    report_pstar *pstar;
    int n_pstar;
    report_ntable *tabs; /* the Markdown / HTML tables */
    int n_tabs;
    char **files; /* the table files written (names in DIR) */
    int n_files;
    int older; /* a store of an older layout or lesde: it may lack datasets added since */
    report_gp_job *jobs; /* scripts not yet drawn */
    int n_jobs, cap_jobs;
    lesde_err *e;
} report_ctx;

/* Reads a dataset of a study; on failure sets c->e and returns non-zero. */
int report_read(report_ctx *c, const report_study *rs, const char *name, store_array *a);
/* The validation checkpoints' iterations: val_t, or t in a store of layout
 * 1, which recorded validation at every checkpoint. */
int report_read_val_t(report_ctx *c, const report_study *rs, store_array *t);
/* Reads summary/{mean,ci_lo,ci_hi}/<name> into a[3] (nothing left
 * allocated on failure); report_free_stats frees the three. */
int report_read_stats(report_ctx *c, const report_study *rs, const char *name, store_array *a);
void report_free_stats(store_array *a);
/* The checkpoint iterations of point p: t of its first done seed (nt of
 * them, -1 padding dropped), or NULL when no seed is done. t is the study's
 * `t` array. */
const double *report_point_t(const report_study *rs, const store_array *t, long p, long *nt);
/* Elements per task of a per-task array a ([P][S][...]): 0 when empty. */
long report_task_size(const report_study *rs, const store_array *a);
/* RD of task (p, s) at checkpoint c: of class cls, or the mean over the
 * point's K classes (cls < 0). rd: fit/rd_<start> ([P][S][sim][C][Kmax]),
 * of simulation sim, or a baseline (fit/rd_etf, fit/rd_cmean:
 * [P][S][C][Kmax], sim < 0). The figures and the LE tables take every RD
 * from here. */
double report_task_rd(const report_study *rs, const store_array *rd, long p, int s, int sim, long c,
                      int cls);
/* Room for one double per seed of rs (at least one), from the heap, not
 * the stack: a study may have millions of seeds. NULL (a warning said)
 * when out of memory; the caller's quantiles are then NaN. free() it. */
double *report_seed_buf(const report_study *rs);
/* report_task_rd at checkpoint c_last across the done seeds of point p:
 * median, q25, q75 into q[3] (when not NULL), each seed's value into v[S]
 * (when not NULL; NaN for seeds not done). */
void report_final_rd_q(const report_study *rs, const store_array *rd, long p, int sim, long c_last,
                       int cls, double *q, double *v);
/* Median, q25, q75 (report_quantiles) across the done seeds of point p of
 * element i of the per-task array a, into q[3]. */
void report_seed_quantiles(const report_study *rs, const store_array *a, long p, long i,
                           double *q);
/* Point p has done seeds and their summaries across seeds. */
int report_summarized(const report_study *rs, long p);
/* Seed s of point p is done. */
int report_task_done(const report_study *rs, long p, int s);
/* The first done seed of point p, or -1. */
int report_first_done(const report_study *rs, long p);
/* Value of axis `key` at point p as text (NULL when key is not an axis). */
const char *report_axis_label(const report_study *rs, long p, const char *key);

/* Groups the points of a study by their coordinates on every axis whose key
 * is not in free[] (NULL-terminated): slice[p] in 0..n-1, slices numbered in
 * the order of their first point; name[k] "key=label, ..." of the fixed axes
 * ("" when there are none). Returns n, or -1 (out of memory). */
int report_slices(const report_study *rs, const char *const *free_keys, int *slice,
                  char (*name)[256]);

/* The indices 0..ax->n-1 of an axis's values in ascending order of value
 * (a spec may list them in any order; a curve is drawn along the values),
 * malloc'ed; NULL when out of memory. */
int *report_axis_order(const spec_axis *ax);

/* "KIND-STUDY[-SLICE]" made safe for a file name. */
void report_file_base(char *out, size_t size, const char *kind, const char *study,
                      const char *slice);

/* a with room for element n of it (*cap allotted, each size bytes; the
 * room doubled by realloc when full): a or where it moved, NULL when out
 * of memory (c->e set, a kept). */
void *report_grow(report_ctx *c, void *a, int n, int *cap, size_t size);
/* How a study's reference method fitted its scalar (spec key ref_every):
 * "averaged over ..." for a caption. */
const char *report_ref_window(const report_study *rs);
/* Records a written figure, BASE.png, with its caption (printf-style) / a
 * skipped one (also printed on o->log). */
int report_add_fig(report_ctx *c, const char *base, const char *kind, const char *title,
                   const char *study, const char *slice, const char *caption, ...)
    __attribute__((format(printf, 7, 8)));
int report_skip(report_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* --only asks for k (every k without it): the figures and tables skip the
 * work of what it does not name. */
int report_wants(const report_ctx *c, report_only k);
/* rc of the part `what` of the report: for a store of an older lesde, a
 * failure (a dataset added since) becomes a skipped line and the rest is
 * still drawn; for a store of this layout, rc as it is. */
int report_tolerate(report_ctx *c, const char *what, int rc);

/* ---- gnuplot ---- */

typedef struct {
    report_ctx *c;
    char base[256];  /* NAME of NAME.gp / NAME.png */
    char where[512]; /* "STUDY" or "STUDY, SLICE" (report_fig_open), for
                      * data headers, titles and captions */
    FILE *f;         /* the script being written */
} report_gp;

/* Opens DIR/NAME.gp and writes the terminal (pngcairo w x h) and output. */
int report_gp_open(report_gp *g, report_ctx *c, const char *base, int w, int h);
/* Opens figure KIND of a study, or of one slice of it (slice NULL or ""
 * for none): the script KIND-STUDY[-SLICE].gp (report_file_base, report_gp_open)
 * and its data file, returned open with its file name in dat; NULL when
 * either cannot be written (c->e set; report_gp_end then abandons the
 * script). Sets g->where. */
FILE *report_fig_open(report_gp *g, report_ctx *c, const char *kind, const char *study,
                      const char *slice, int w, int h, char *dat, size_t size);
/* Opens DIR/NAME<suffix>.dat for writing; its file name in *name. */
FILE *report_gp_data(report_gp *g, const char *suffix, char *name, size_t size);
/* Closes a data file (checking every write). */
int report_gp_data_close(report_gp *g, FILE *f, const char *name);
/* Closes the script and queues it: report_gp_draw draws it. */
int report_gp_run(report_gp *g);
/* Draws the queued scripts (gnuplot in DIR) and checks their PNGs, as
 * `gnuplot NAME.gp` each would: the messages and errors name the script.
 * On an error, the figures recorded from the failing one on are dropped. */
int report_gp_draw(report_ctx *c);
/* Abandons a script (after an error). */
void report_gp_abort(report_gp *g);
/* The end of a figure's script: report_gp_run when rc is 0 (the script and
 * its data were written), else report_gp_abort; returns the run's result
 * or rc. */
int report_gp_end(report_gp *g, int rc);
/* Writes text as a single-quoted gnuplot string for enhanced text, with
 * enhanced-mode characters of user text (_ ^ { } @ & ~) taken literally. */
void report_gp_str(FILE *f, const char *text);
/* A number for a data file or script ("NaN" when not finite). */
void report_gp_num(FILE *f, double v);
/* " v0 v1 ..." of n numbers, each as report_gp_num. */
void report_gp_nums(FILE *f, const double *v, int n);
/* The i-th colour of the palette ("#rrggbb"), cycling. */
const char *report_color(int i);
/* Checks that gnuplot runs and has the pngcairo terminal. */
int report_gp_check(const char *gnuplot, lesde_err *e);
/* Quotes s for a POSIX shell into out ('...'). */
int report_shell_quote(const char *s, char *out, size_t size);

/* ---- figures (figs_*.c) and tables (tables.c), each over every study ---- */

int report_fig2(report_ctx *c);
int report_fig4(report_ctx *c);
int report_fig5(report_ctx *c);
int report_collapse(report_ctx *c);
int report_lengths(report_ctx *c);
int report_fig3(report_ctx *c);
int report_kabl(report_ctx *c);
/* The transition against T of every train study with iters and p_err (or
 * rho) axes. */
int report_finite(report_ctx *c);
int report_gamma(report_ctx *c);
/* The LE figures of figs_le.c, over the points pts[0..n) of one slice of
 * a fitted train study (by p_err), or at its dynamics point p. */
int report_draw_tails(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n);
int report_draw_imit(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                     int n);
int report_draw_tailt(report_ctx *c, const report_study *rs, const char *slice, const long *pts,
                      int n);
int report_draw_fig4(report_ctx *c, const report_study *rs, long p);
int report_draw_fig5(report_ctx *c, const report_study *rs, long p);
/* The end of the initial plateau against rho of every fitted train study
 * over p_err or rho: the figure (plateau.c), and plateau.csv with its
 * Markdown table. */
int report_plateau(report_ctx *c);
int report_plateau_table(report_ctx *c);
/* The figure plateausize: the plateau's end against train_per_class. */
int report_plateau_size(report_ctx *c);
/* plateausize.csv and plateausize_pairs.csv with their Markdown tables:
 * the slowing toward p* (median x |1 - rho| over the clean median) of
 * every study with a train_per_class axis and a clean point, with 95%
 * bootstrap intervals, per point and between every two sizes of a line. */
int report_plateau_size_tables(report_ctx *c);
/* P(separable) over the observation time of every sde study (the boundary
 * schedule, which has no s, included). */
int report_sept(report_ctx *c);
/* p_hat* per K (and per value of the other axes) of every train study
 * whose p_err varies; fills c->pstar. */
int report_pstar_all(report_ctx *c);
/* Writes summary.csv, summary.md, pstar.csv, summary_sde.csv; fills c->tabs
 * and c->files. */
int report_tables(report_ctx *c);
int report_index(report_ctx *c, const char *path);
/* imitation.csv, seeds.csv, seedavg.csv and their Markdown tables
 * (tables_le.c). */
int report_le_tables(report_ctx *c);
/* collapse.csv and its Markdown tables (nc.c). */
int report_nc_table(report_ctx *c);
/* Helpers of the tables: a new Markdown table (NULL: out of memory, error
 * set), the same headed heads[ncol] with a printf-made title, a CSV table
 * headed names[n], and writing one into DIR (recorded for the index page). */
report_ntable *report_new_table(report_ctx *c, int ncol, const char *title);
report_ntable *report_new_headed(report_ctx *c, const char *const *heads, int ncol, const char *fmt,
                                 ...) __attribute__((format(printf, 4, 5)));
/* Cell "median [q25, q75]" of q (3 significant digits), "-" when not finite. */
int report_table_q(report_table *t, int row, int col, const double *q);
int report_csv_table(report_ctx *c, report_table *t, const char *const *names, int n);
int report_write_csv(report_ctx *c, const char *name, const report_table *t);
/* DIR/name, a CSV headed heads[n] with the rows(c, csv, rs) of every study
 * pick accepts; nothing when it accepts none. */
int report_study_csv(report_ctx *c, const char *name, const char *const *heads, int n,
                     int (*pick)(report_ctx *, const report_study *),
                     int (*rows)(report_ctx *, report_table *, const report_study *));

#endif
