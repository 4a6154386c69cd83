/* train: one training run and its recorder (le-sde.md sections 1, 7, 8).
 *
 * train_run builds the data, pollutes labels, initialises the CNN and runs
 * batch-1 SGD for `iters` steps, recording at each checkpoint the per-class
 * mean logits of the probe set (by training label) and of the validation set
 * (by clean label), losses and accuracies, and at a few snapshot checkpoints
 * the per-sample probe logits. Then, unless fit is off, the LE fit. */
#ifndef LESDE_TRAIN_TRAIN_H
#define LESDE_TRAIN_TRAIN_H

#include <stdint.h>

#include "core/err.h"
#include "data/data.h"
#include "le/le.h"

typedef struct {
    data_kind dataset;
    const char *data_dir;     /* NULL: the dataset's default */
    int k;                    /* classes */
    int class_ids[DATA_MAX_K];/* source classes; n_class_ids == 0: the first k */
    int n_class_ids;
    int train_per_class, val_per_class;
    double p_err;             /* label pollution ratio in [0, 1] */
    long iters;               /* SGD steps T */
    double lr;
    int checkpoints;          /* probe checkpoint count C (including 0 and T) */
    int log_spacing;          /* 0: linear, 1: log-spaced checkpoints */
    int val_checkpoints;      /* validation checkpoints V, always linear
                                 (0: min(C, TRAIN_VAL_CHECKPOINTS)) */
    int probe_per_class;      /* probe set size per class (training samples) */
    int snapshots;            /* checkpoints with per-sample probe logits */
    int ref_every;            /* 0 (default), or also record the probe's means
                                 every ref_every iterations of the reference
                                 method's rescaling window (the last
                                 fit_opts.ref_tail), as the reference code
                                 does at every iteration */
    uint64_t seed;
    int fit;                  /* run the LE fit after training */
    le_fit_opts fit_opts;
    int save_data;            /* keep the images in the result for the file */
    /* Called between steps (may be NULL): polling for a scheduler, a
     * progress line, cancellation. Non-zero return abandons the run. */
    int (*poll)(void *ctx, long iter);
    void *poll_ctx;
} train_config;

void train_config_default(train_config *c);
/* Checks ranges; a message naming the bad option. */
int train_config_check(const train_config *c, lesde_err *e);

/* The validation set is evaluated at its own, linear schedule: a curve
 * wants ~100 points and the final accuracy (last 5% of T) several of them,
 * while the probe, ~6x cheaper, may be recorded as densely as the LE fit
 * wants. */
#define TRAIN_VAL_CHECKPOINTS 101
/* V of a config: val_checkpoints, or its default. */
int train_val_checkpoints(const train_config *c);

/* The reference window's records of a config: how many (0 when ref_every
 * is 0), and their iterations into out [that many] unless NULL: T, T - e,
 * T - 2e, ... (e = ref_every) after T - ref_tail and from 0, in increasing
 * order. */
int train_ref_records(const train_config *c, long *out);

/* Checkpoint iterations [count]: 0 = t_0 < ... < t_{count-1} = T, linear or
 * log-spaced (distinct integers; returns how many, which is fewer than asked
 * only when T is too small for that many distinct log-spaced points). */
int train_checkpoints(long T, int count, int log_spacing, long *out);

typedef struct {
    int K, C, S, V;       /* classes, probe checkpoints, snapshots, validation checkpoints */
    int channels;         /* input channels */
    int n_probe;          /* probe samples (probe_per_class * K) */
    long *t;              /* [C] checkpoint iterations (probe) */
    long *val_t;          /* [V] validation checkpoint iterations (linear) */
    int R;                /* records in the reference window (train_ref_records) */
    long *ref_t;          /* [R] their iterations */
    double *xbar_ref;     /* [R][K][K] mean probe logits there, by training label */
    double *xbar_probe;   /* [C][K][K] mean logits by training label */
    double *xbar_val;     /* [V][K][K] mean logits by clean label */
    double *probe_loss, *probe_acc; /* [C] against training labels */
    double *val_loss, *val_acc;     /* [V] against clean labels */
    int *snap_c;          /* [S] which checkpoints are snapshots */
    double *snap_logits;  /* [S][n_probe][K] */
    int *probe_index;     /* [n_probe] index into the training set */
    int *probe_label;     /* [n_probe] its training label (grouping of xbar_probe) */
    int *probe_clean;     /* [n_probe] its clean label */
    int *sample_index;    /* [iters] training sample drawn at each step */
    double *init_params;  /* [n_params] initial parameters, tensor after tensor */
    long n_params;
    double final_val_acc, final_val_loss; /* mean over the validation checkpoints
                                             of the last 5% of iterations */
    double train_seconds, fit_seconds;
    double data_seconds;  /* loading (or generating) and polluting the sets */
    int fitted;
    le_fit_result fit;    /* when fitted */
    le_sample_measures *snap_measures; /* [S] of probe logits by training label */
    le_sample_measures *snap_clean;    /* [S] the same by clean label */
    data_set train, val;  /* the data, kept when save_data */
} train_result;

int train_run(const train_config *cfg, train_result *out, lesde_err *e);
void train_result_free(train_result *r);

/* "final" metric: mean of v[c] over checkpoints with t[c] >= 0.95 T. */
double train_final_mean(const long *t, const double *v, int C);

#endif
