/* le: the LE-ODE / LE-SDE science of le-sde.md sections 2 to 6.
 *
 * This header is the part the rest of lesde calls: the fit of one run's
 * genuine dynamics (le_fit) and one gamma-schedule LE-SDE task (le_sde_run).
 * The pieces they are built from (estimators, Savitzky-Golay, closed forms,
 * odeiv2 integration, separability LP, collapse measures) are declared in
 * the other headers of src/le/. Plain C over plain arrays; row-major. */
#ifndef LESDE_LE_LE_H
#define LESDE_LE_LE_H

#include <stdint.h>

#include "core/err.h"

typedef enum { LE_MODEL_I = 0, LE_MODEL_L = 1 } le_model;
#define LE_NUM_MODELS 2

/* ---- fitting a run's genuine mean logits ---- */

typedef struct {
    int sg_order;      /* Savitzky-Golay polynomial order (default 2) */
    double sg_window;  /* Savitzky-Golay window in iterations (default: T/20) */
    double tail_frac;  /* tail window for tail indices, fraction of T (0.1) */
} le_fit_opts;

void le_fit_opts_default(le_fit_opts *o);

typedef struct {
    int C, K, p;            /* checkpoints, classes, feature dimension */
    /* per model m (LE_MODEL_I, LE_MODEL_L): */
    double *A[LE_NUM_MODELS];      /* [C] Ahat(t_c) */
    double *B[LE_NUM_MODELS];      /* [C] Bhat(t_c) */
    double *alpha[LE_NUM_MODELS];  /* [C] alphahat, per iteration */
    double *beta[LE_NUM_MODELS];   /* [C] betahat, per iteration */
    double r_alpha[LE_NUM_MODELS]; /* tail index of alpha, estimator 1 (from Ahat) */
    double r_beta[LE_NUM_MODELS];
    double r_alpha_slope[LE_NUM_MODELS]; /* estimator 2 (slope of log|alphahat|) */
    double r_beta_slope[LE_NUM_MODELS];
    double *sim[LE_NUM_MODELS];    /* [C][K][p] LE-ODE from Xbar(0) with that
                                      model's alphahat, betahat and H */
    double *rd[LE_NUM_MODELS];     /* [C][K] RD_k(t), never rescaled */
    /* of the genuine trajectory: */
    double *etf_dev;        /* [C] max_{k!=l} |cos(Xbar^k, Xbar^l) + 1/(K-1)| */
    double *norm_spread;    /* [C] std_k |Xbar^k| / mean_k |Xbar^k| */
} le_fit_result;

/* Fits trajectory xbar [C][K][p] recorded at iterations t[C] (t[0] = 0,
 * increasing; uneven spacing is interpolated onto an even grid for the
 * derivative). Non-finite values never crash: they give NaN where they
 * make a quantity undefined. */
int le_fit(const double *t, int C, const double *xbar, int K, int p,
           const le_fit_opts *opts, le_fit_result *out, lesde_err *e);
void le_fit_free(le_fit_result *r);

/* ---- measures on per-sample features ---- */

typedef struct {
    double sep_frac; /* fraction of class pairs that are linearly separable */
    int sep_all;     /* 1 if every pair is */
    double nc1;      /* trace(Sigma_W Sigma_B^+) / K */
} le_sample_measures;

/* x [n][p] features with labels [n] in 0..K-1 (classes with no sample are
 * skipped). Separability is exact (LP, GLPK). */
int le_measure_samples(const double *x, const int *labels, int n, int K, int p,
                       le_sample_measures *out, lesde_err *e);

/* ---- a gamma-schedule LE-SDE task (the separation theorem) ---- */

typedef enum { LE_SCHED_POWER = 0, LE_SCHED_BOUNDARY = 1 } le_schedule;

typedef struct {
    int K, p, n;          /* classes, feature dimension, samples per class */
    le_model model;       /* H: I or L (L needs p == K) */
    le_schedule schedule; /* power: gamma = c (1+t)^-s; boundary: 1/((e+t) log(e+t)) */
    double c, s;          /* gamma's scale and tail index (power) */
    double b, s_b;        /* beta(t) = b (1+t)^-s_b */
    double noise;         /* noise scale (Sigma_k = noise^2 I, initial spread) */
    double T;             /* last observation time */
    int n_obs;            /* observation times, log-spaced in [1, T] */
    uint64_t seed;
} le_sde_config;

void le_sde_config_default(le_sde_config *c);

typedef struct {
    int n_obs;
    double *t;         /* [n_obs] observation times */
    double *sep_all;   /* [n_obs] 1 if all pairs separable, else 0 */
    double *sep_frac;  /* [n_obs] fraction of separable pairs */
    double *etf_dev;   /* [n_obs] of the class means */
    double *margin;    /* [n_obs] margin along the class-mean direction */
} le_sde_result;

int le_sde_run(const le_sde_config *cfg, le_sde_result *out, lesde_err *e);
void le_sde_free(le_sde_result *r);

#endif
