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
    int sg_order;          /* Savitzky-Golay polynomial order (default 2) */
    double sg_window;      /* SG window in iterations for the alphahat, betahat
                              curves (default 151, the reference code's) */
    double sim_window;     /* SG window in iterations for the alphahat, betahat
                              that drive the simulations (default 21) */
    double tail_frac;      /* tail window of the slides' estimator, fraction of T (0.1) */
    double plateau_factor; /* the plateau ends at the first checkpoint where the
                              class-centred means reach this multiple of their
                              norm at t_0 (default 10) */
    int ref_paths;         /* reference method: noisy starts averaged (default 200) */
    double ref_tail;       /* reference method: iterations of the rescaling window
                              at the end (default 1000) */
    uint64_t seed;         /* of the reference method's noise (the task's seed) */
} le_fit_opts;

void le_fit_opts_default(le_fit_opts *o);

/* A run's genuine means recorded at extra iterations of the reference
 * method's window (the reference code records every one), whose mean its
 * scalar matches instead of the checkpoints': n of them, t [n] increasing
 * integers in [t_0, T], x [n][K][p]. NULL or n = 0: the checkpoints. */
typedef struct {
    int n;
    const double *t, *x;
} le_ref_records;

/* The simulations of a fit: whose estimates drive which LE-ODE. The slides'
 * Figure 4 runs both models' estimates under the L-model. */
typedef enum { LE_SIM_I_UNDER_L = 0, LE_SIM_L_UNDER_L = 1, LE_SIM_I_UNDER_I = 2 } le_sim;
#define LE_NUM_SIMS 3
/* ...and where they start (docs/le-sde.md, section 5):
 *   plateau    from the genuine Xbar(t0), t0 the end of the plateau;
 *   reference  the slides' method: from noise, mean of ref_paths paths,
 *              forward Euler of step 1, rescaled by one fitted scalar;
 *   t0         from the genuine Xbar(0), unrescaled. */
typedef enum { LE_VAR_PLATEAU = 0, LE_VAR_REFERENCE = 1, LE_VAR_T0 = 2 } le_variant;
#define LE_NUM_VARIANTS 3
/* Tail-index quantities: alpha, beta and gamma = alpha - beta. */
enum { LE_Q_ALPHA = 0, LE_Q_BETA = 1, LE_Q_GAMMA = 2 };
#define LE_NUM_Q 3
#define LE_TAIL_LOCAL_N 25 /* windows of the local tail-index curve */

/* The estimating model and the ODE of simulation s. */
le_model le_sim_estimate(le_sim s);
le_model le_sim_ode(le_sim s);
/* "I-est/L-ODE", ... and "plateau", "reference", "t0". */
const char *le_sim_name(le_sim s);
const char *le_variant_name(le_variant v);

typedef struct {
    int C, K, p;            /* checkpoints, classes, feature dimension */
    /* per model m (LE_MODEL_I, LE_MODEL_L): */
    double *A[LE_NUM_MODELS];         /* [C] Ahat(t_c), reference t_0 */
    double *B[LE_NUM_MODELS];         /* [C] Bhat(t_c) */
    double *alpha[LE_NUM_MODELS];     /* [C] alphahat, per iteration (sg_window) */
    double *beta[LE_NUM_MODELS];      /* [C] betahat (sg_window) */
    double *alpha_sim[LE_NUM_MODELS]; /* [C] alphahat (sim_window): drives the simulations */
    double *beta_sim[LE_NUM_MODELS];  /* [C] */
    double tail[LE_NUM_MODELS][LE_NUM_Q]; /* tail index by differences over [T/10, T] */
    double tail_ref0[LE_NUM_MODELS][LE_NUM_Q]; /* the slides' estimator: depends
                                                  on the reference t_0 */
    double tail_local_t[LE_TAIL_LOCAL_N]; /* window ends of the local curve */
    double tail_local[LE_NUM_MODELS][LE_NUM_Q][LE_TAIL_LOCAL_N];
    int plateau_c;          /* checkpoint where the plateau ends, -1: it never does */
    double plateau_t;       /* its iteration, NaN: never */
    double *sim[LE_NUM_VARIANTS][LE_NUM_SIMS]; /* [C][K][p] (NaN before plateau_c for plateau) */
    double *rd[LE_NUM_VARIANTS][LE_NUM_SIMS];  /* [C][K] RD_k(t) against the genuine means */
    double ref_scale[LE_NUM_SIMS];             /* the reference method's fitted scalar */
    int ref_n;                                 /* records it was fitted on (0: checkpoints) */
    double *ref_std[LE_NUM_SIMS];              /* [C][K][p] std across its paths, rescaled */
    /* of the genuine trajectory: */
    double *S;              /* [C] S(t) = mean_k <Xbar^k, dhat_k> (NaN unless p == K) */
    double *rd_etf;         /* [C][K] RD_k of the ETF baseline S(t) dhat_k */
    double *rd_cmean;       /* [C][K] RD_k of the class-average baseline: every
                               class at the genuine mean_l Xbar^l(t), no class
                               structure (what a run that learns nothing shows) */
    double *etf_dev;        /* [C] max_{k!=l} |cos(Xbar^k, Xbar^l) + 1/(K-1)| */
    double *norm_spread;    /* [C] std_k |Xbar^k| / mean_k |Xbar^k| */
} le_fit_result;

/* Fits trajectory xbar [C][K][p] recorded at iterations t[C] (t[0] = 0,
 * increasing; uneven spacing is interpolated onto an even grid for the
 * derivative), with the reference window's records ref (may be NULL).
 * Non-finite values never crash: they give NaN where they make a quantity
 * undefined. opts NULL: the defaults. */
int le_fit(const double *t, int C, const double *xbar, int K, int p, const le_ref_records *ref,
           const le_fit_opts *opts, le_fit_result *out, lesde_err *e);
void le_fit_free(le_fit_result *r);

/* ---- measures on per-sample features ---- */

typedef struct {
    double sep_frac; /* fraction of class pairs that are linearly separable */
    double sep_all;  /* 1 if every pair is, else 0; both NaN with no pair */
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
    /* Called after each observation (may be NULL): polling for a
     * scheduler, as train_config's; non-zero abandons the run
     * (LESDE_INTERRUPTED). The results never depend on it. */
    int (*poll)(void *ctx, long obs);
    void *poll_ctx;
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
