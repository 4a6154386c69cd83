/* report: figures, tables and an index page of a lesde store.
 *
 * report_run reads a store through the store API only (no HDF5, no MPI
 * here), decides from each study's kind and axis keys which figures fit it,
 * writes for every figure a gnuplot script NAME.gp and its data NAME*.dat
 * into the output directory, runs gnuplot (pngcairo) on it, and writes the
 * tables (summary.csv / .md, pstar.csv, summary_sde.csv) and index.html.
 * The .gp and .dat files stay: `cd DIR && gnuplot NAME.gp` redraws a figure.
 *
 * Figures (le-sde.md sections 3-7; the slides' Figures 2-5):
 *   fig2      Ahat, Bhat, alphahat, betahat over t, I- and L-model
 *   fig3a, b  validation loss / accuracy over t per p_err
 *   fig3cd    tail indices of alpha, beta, gamma against p_err (median, IQR)
 *   fig3ref0  the same by the slides' (reference-dependent) estimator
 *   fig3final final accuracy / separable fraction against p_err
 *   imit      final RD of the imitations and the ETF baseline against p_err;
 *             imitk the same class by class
 *   fig4      imitations against genuine mean logits (plateau, reference),
 *             the median-RD seed; fig4seeds every seed
 *   fig5      RD(t) = mean_k RD_k(t), median and IQR across seeds, every start
 *             and baseline; fig5k RD_k(t) class by class (plateau, reference)
 *   tailt     the local tail-index curve r(t) per p_err
 *   finite    accuracy against p_err per T, the transition's width and
 *             r_gamma near p* against T
 *   gamma     P(separable) against s, one curve per observation time
 *   kabl      final validation accuracy against rho, one curve per K
 *   collapse  etf_dev over t per grid point
 *
 * The pure pieces (p_hat*, rho, table rows) are exposed for the unit tests. */
#ifndef LESDE_REPORT_REPORT_H
#define LESDE_REPORT_REPORT_H

#include <stdio.h>

#include "core/err.h"
#include "spec/spec.h"

/* One coordinate --at (or --p-err) asks of the dynamics figures' point. */
#define REPORT_MAX_AT 8
typedef struct {
    char key[SPEC_NAME_MAX]; /* p_err, or a grid axis of the study */
    char text[64];           /* the value as given, for messages */
    double value;            /* spec_number of text; NaN: a word, matched by label */
} report_at;

typedef struct {
    const char *store;   /* the store to report on */
    const char *out_dir; /* created if missing */
    const char *study;   /* only this study (NULL: every study) */
    const char *gnuplot; /* the gnuplot program (NULL: "gnuplot") */
    FILE *log;           /* "wrote ..." / "skipped ..." lines (NULL: none) */
    /* The point of the dynamics figures (fig2, fig4, fig5, fig5k): with
     * n_at, each fit study's first grid point with every coordinate at[]
     * asks (p_err: the point's, also where rho is the axis; another key:
     * that grid axis; a study without the axis, or without such a point,
     * has them skipped); else its first with p_err = 0, or its first. */
    int n_at;
    report_at at[REPORT_MAX_AT];
    int by_p_err; /* at[] is --p-err's alone (for messages) */
    /* --only: a bit 1 << REPORT_ONLY_x per figure or table to make, the
     * rest neither computed nor written; 0: everything. */
    unsigned long only;
} report_opts;

/* What --only names: a figure of --help's list (fig3: fig3a, b, cd, ref0,
 * final and tailt; fig4: fig4seeds too; fig4, fig5k: both starts), a table
 * by its file's base name (summary: .csv and .md; plateausize: its _pairs
 * too), or both at once (collapse, plateau, plateausize). */
typedef enum {
    REPORT_ONLY_FIG2,
    REPORT_ONLY_FIG3,
    REPORT_ONLY_TAILORDER,
    REPORT_ONLY_FIG4,
    REPORT_ONLY_FIG5,
    REPORT_ONLY_FIG5K,
    REPORT_ONLY_IMIT,
    REPORT_ONLY_IMITK,
    REPORT_ONLY_GAMMA,
    REPORT_ONLY_SEPT,
    REPORT_ONLY_KABL,
    REPORT_ONLY_FINITE,
    REPORT_ONLY_COLLAPSE,
    REPORT_ONLY_LENGTHS,
    REPORT_ONLY_PLATEAU,
    REPORT_ONLY_PLATEAUSIZE,
    REPORT_ONLY_SUMMARY,
    REPORT_ONLY_PSTAR,
    REPORT_ONLY_IMITATION,
    REPORT_ONLY_IMITATION_K,
    REPORT_ONLY_MODELS,
    REPORT_ONLY_TAILS,
    REPORT_ONLY_SEEDS,
    REPORT_ONLY_SEEDAVG,
    REPORT_ONLY_SUMMARY_SDE,
    REPORT_ONLY_N
} report_only;

/* The name --only gives k. */
const char *report_only_name(report_only k);
/* Adds the comma-separated names of list to o->only: LESDE_USAGE (msg
 * says why and lists the names, for after the option's name) for an
 * unknown or empty name. */
int report_opts_only(report_opts *o, const char *list, char *msg, size_t len);
/* o asks for k (every k without --only). */
int report_opts_wants(const report_opts *o, report_only k);

/* Adds "KEY=VALUE" to o's at[]: LESDE_USAGE (msg says why, for after the
 * option's name) for no '=', a key that is not a word, a key given twice,
 * a p_err that is not a number in [0, 1], or more than REPORT_MAX_AT. */
int report_opts_at(report_opts *o, const char *kv, char *msg, size_t len);

/* How far p_hat* (or p_stall) is determined by the seeds behind it. */
#define REPORT_BOOT 10000 /* bootstrap resamples */
typedef struct {
    double ci[2]; /* 95% expanded percentile-bootstrap interval of the
                     crossing of the mean curve, resampling seeds (a seed
                     keeps its tasks at every point together); NaN: beyond
                     the grid, or a single seed */
    double q[3];  /* median, q25, q75 of the crossings of single seeds'
                     curves, among the seeds whose curve reaches the level */
    int reached;  /* seeds whose own curve reaches it, */
    int seeds;    /* of the seeds with a finite point */
} report_pstar_spread;
#define REPORT_PSTAR_SPREAD_METHOD                                                                 \
    "the bracketed interval is a 95% expanded percentile interval: the a and 1-a quantiles of "    \
    "the estimate over 10000 bootstrap resamples of the m seeds, a = Phi(-sqrt(m/(m-1)) "          \
    "t(0.975; m-1)), which widens the plain 2.5% and 97.5% that run short with few seeds (a "      \
    "seed's tasks at every p_err resampled together; a fixed stream, so the same interval every "  \
    "run); per seed, the same crossing of each seed's own accuracy curve, median and quartiles "   \
    "over the seeds whose curve reaches the level"
/* The transition estimate of one K (and one value of every other axis). */
typedef struct {
    char study[SPEC_NAME_MAX];
    char slice[256]; /* the other fixed axes, "key=value, ..." or "" */
    int K;
    double p_star;  /* (K-1)/K */
    double p_hat;   /* where the accuracy falls to chance; NaN: not reached */
    double p_stall; /* where it falls to 1/K + REPORT_STALL_MARGIN; NaN: not
                       reached */
    /* each estimate's level (1/K, 1/K + REPORT_STALL_MARGIN) reached
     * already at the first grid point: no crossing resolved (did the
     * network learn?); each its own, p_hat's level lies below p_stall's */
    int hat_at_first, stall_at_first;
    report_pstar_spread hat, stall; /* how the seeds determine each */
} report_pstar;

typedef struct {
    char index[4200]; /* path of index.html */
    int n_figures, n_skipped, n_tables;
    report_pstar *pstar;
    int n_pstar;
} report_result;

/* Writes everything. Errors: LESDE_USAGE for a missing / foreign store or an
 * unknown study, LESDE_FAIL for an unwritable DIR, a missing gnuplot or a
 * gnuplot failure (with gnuplot's message). */
int report_run(const report_opts *o, report_result *r, lesde_err *e);
void report_result_free(report_result *r);

/* ---- pure computations ---- */

/* p_hat*: where the accuracy crosses chance. Below p* the most frequent
 * training label of a class is its own, so whatever the network learns
 * puts it above chance; past p* it learns the polluted mapping and falls
 * below. How far from chance, and how soon, shrinks as p_err nears p*;
 * the sign does not, so the crossing estimates p* even when T is short. */
#define REPORT_PSTAR_METHOD                                                                        \
    "the smallest p_err at which the mean final validation accuracy, linearly "                    \
    "interpolated between grid points, falls to chance 1/K (below p* the network is "              \
    "right more often than chance, past p* it learns the polluted mapping and is right "           \
    "less often)"
/* p_stall: where the network stops learning within the run's iterations;
 * at finite T it sits below p*, since near p* the signal, 1 - rho of the
 * labels, is too weak to learn from in T steps. */
#define REPORT_STALL_MARGIN 0.05
#define REPORT_STALL_METHOD                                                                        \
    "the smallest p_err at which the interpolated accuracy falls to 1/K + 0.05: where "            \
    "learning stalls within the run's iterations"

/* The smallest x at which y, linearly interpolated between consecutive
 * points (x ascending; non-finite points skipped), falls to level or below;
 * x[first] when the first finite point is already there; NaN when y never
 * reaches level (or there are no finite points). */
double report_pstar_interp(const double *x, const double *y, int n, double level);
/* The spread of report_pstar_interp(x, mean over seeds of y, n, level):
 * y is [n][S], the final accuracy of seed s at point j in y[j * S + s]
 * (NaN where that task is not done). Deterministic. 0, or -1 when out
 * of memory. */
int report_pstar_seeds(const double *x, const double *y, int n, int S, double level,
                       report_pstar_spread *out);
/* The lower tail probability of that interval for m seeds: 0.025 as m
 * grows, 0.00095 at m = 5; NaN for m < 2. */
double report_boot_tail(int m);
/* The 95% expanded percentile interval (as REPORT_PSTAR_SPREAD_METHOD) of
 * an estimate over m seeds from its n bootstrap values b: NaN values
 * dropped, infinite ones kept (an interval bound may be +-inf); NaN for
 * m < 2 or no value. Reorders b; returns how many values it kept. */
int report_boot_interval(double *b, int n, int m, double ci[2]);
/* A finite estimate v as the report and lesde report's last lines write
 * it: "v [lo, hi]", "v [lo, beyond the grid]", or "v" without an interval. */
void report_pstar_with_ci(char *out, size_t size, double v, const report_pstar_spread *sp);
/* p* = (K-1)/K, where the labels carry no information. */
double report_p_star(int K);
/* rho = p_err / p* = p_err K / (K-1): every K's transition sits at rho = 1. */
double report_rho(double p_err, int K);
/* Index of the last finite value of v[0..n-1], or -1. */
long report_last_finite(const double *v, long n);

/* Median, 25% and 75% quantiles of the finite values of v[0..n-1] into
 * q[0..2] (linear interpolation between order statistics, numpy's default);
 * NaN when none is finite. Reorders v. */
void report_quantiles(double *v, int n, double *q);
/* The same for times to an event, NaN where it never happened (later than
 * any): those count as +inf, and a quantile among them is +inf. */
void report_quantiles_censored(double *v, int n, double *q);

/* A table of text cells, written as CSV, Markdown or HTML. */
typedef struct {
    int ncol, nrow, cap;
    char **head; /* [ncol] */
    char **cell; /* [nrow * ncol], NULL: empty */
} report_table;

int report_table_init(report_table *t, int ncol);
void report_table_free(report_table *t);
int report_table_head(report_table *t, int col, const char *name);
/* Appends an empty row; returns its index, or -1 when out of memory. */
int report_table_row(report_table *t);
int report_table_set(report_table *t, int row, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A number: %.6g, or "NaN" when not finite. */
int report_table_num(report_table *t, int row, int col, double v);
/* Writers: 0, or -1 when a write failed. CSV quotes cells with , " or newline. */
int report_table_csv(const report_table *t, FILE *f);
int report_table_md(const report_table *t, FILE *f);
int report_table_html(const report_table *t, FILE *f);
/* Writes s with &, <, >, " escaped. */
int report_html_escape(FILE *f, const char *s);

/* The statistics of one grid point of a train study. */
typedef struct {
    int K;
    double p_err, rho;
    int n_done, n_seeds;
    double acc[3], loss[3]; /* final validation accuracy / loss: mean, ci_lo, ci_hi */
    /* tail indices by differences, [I, L][alpha, beta, gamma][median, q25, q75]
     * across the done seeds */
    double tail[2][3][3];
    double sep[3];          /* separable fraction at the last snapshot: mean, lo, hi */
    double sepall[4];       /* the seeds with every pair separable there: proportion,
                               Wilson's lo, hi, and n (the seeds counted) */
} report_point;

/* The columns of the train summary: study, K, p_err, rho, the n_axes extra
 * axis keys, then the statistics. md: intervals in one cell "m [lo, hi]",
 * no study column (one Markdown table per study). Returns the column count. */
int report_train_columns(const char *const *axis_keys, int n_axes, int md, const char **names,
                         int max);
/* Appends one grid point's row to t (whose columns came from
 * report_train_columns with the same n_axes and md). */
int report_train_row(report_table *t, const char *study, const char *const *axis_labels, int n_axes,
                     const report_point *pt, int md);

#endif
