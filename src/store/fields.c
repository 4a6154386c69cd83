/* fields: what each kind of task records, and how it is packed. */
#include "store/fields.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/cnn.h"
#include "store/store.h"

enum {
    /* task bookkeeping */
    F_STATUS, F_RANK, F_WALL, F_FINISHED, F_MESSAGE,
    /* train */
    F_T, F_VAL_T, F_XBAR_PROBE, F_XBAR_VAL, F_PROBE_LOSS, F_PROBE_ACC, F_VAL_LOSS, F_VAL_ACC,
    F_FINAL_ACC, F_FINAL_LOSS, F_SNAP_C, F_SNAP_LOGITS, F_PROBE_INDEX, F_PROBE_LABEL,
    F_PROBE_CLEAN, F_SAMPLE_INDEX, F_TRAIN_SEC, F_FIT_SEC, F_INIT0,
    F_FIT_A = F_INIT0 + CNN_NUM_TENSORS, F_FIT_B, F_FIT_ALPHA, F_FIT_BETA, F_FIT_ALPHA_SIM,
    F_FIT_BETA_SIM, F_TAIL, F_TAIL_REF0, F_TAIL_LOCAL, F_TAIL_LOCAL_T, F_PLATEAU_T,
    F_SIM0, /* F_SIM0 + variant: fit/sim_<variant> */
    F_RD0 = F_SIM0 + LE_NUM_VARIANTS, /* fit/rd_<variant> */
    F_REF_SCALE = F_RD0 + LE_NUM_VARIANTS, F_REF_STD, F_S, F_RD_ETF, F_RD_CMEAN, F_ETF, F_SPREAD, F_SNAP_SEP_FRAC,
    F_SNAP_SEP_ALL, F_SNAP_NC1, F_SNAP_SEP_FRAC_CLEAN, F_SNAP_SEP_ALL_CLEAN, F_SNAP_NC1_CLEAN,
    F_TRAIN_X, F_TRAIN_LABEL, F_TRAIN_CLEAN, F_VAL_X, F_VAL_LABEL, F_REF_T, F_XBAR_REF,
    /* sde */
    F_OBS_T, F_SEP_ALL, F_SEP_FRAC, F_SDE_ETF, F_MARGIN
};

size_t field_elsize(field_type t)
{
    switch (t) {
    case FT_F64: case FT_I64: return 8;
    case FT_I32: return 4;
    case FT_I8: case FT_CHAR: return 1;
    }
    return 0;
}

long field_size(const field *f)
{
    long n = 1;
    for (int i = 0; i < f->ndim; i++)
        n *= f->dims[i];
    return n;
}

/* Keeps the first task's schedule in *keep; clears *shared when a later
 * task's (t [n], with n_max the count so far) differs. */
static int shared_schedule(long **keep, int *shared, long n_max, const long *t, long n)
{
    if (!*keep) {
        *keep = malloc(sizeof(long) * n);
        if (!*keep)
            return -1;
        memcpy(*keep, t, sizeof(long) * n);
    } else if (n != n_max || memcmp(t, *keep, sizeof(long) * n)) {
        *shared = 0;
    }
    return 0;
}

int field_has_axis(const field *f, const char *key)
{
    for (const char *const *k = f->same_over; k && *k; k++)
        if (!strcmp(*k, key))
            return 0;
    return 1;
}

/* The keys that change neither a task's initial weights nor the training
 * samples its SGD steps draw: each comes from its own stream of the seed
 * (design.md, "Randomness"); the weights' shapes follow the dataset's
 * channels and K, the draws the training set's size and iters (a shorter
 * run pads its slot). Anything not listed (dataset, classes, a key added
 * later) keeps its axis: a wrong entry here would let one task's bytes
 * overwrite another's, so unit.test_store trains both values of every
 * entry and compares. */
#define SAME_OVER_ANY                                                                              \
    "val_per_class", "p_err", "rho", "lr", "checkpoints", "spacing", "val_checkpoints",            \
        "probe_per_class", "snapshots", "fit", "sg_order", "sg_window", "sim_window", "tail_frac", \
        "plateau_factor", "ref_paths", "ref_every"
const char *const fields_same_init[] = {SAME_OVER_ANY, "train_per_class", "iters", NULL};
const char *const fields_same_order[] = {SAME_OVER_ANY, NULL};
#undef SAME_OVER_ANY

int fields_maxima(const spec *s, int study, int save_data, field_maxima *m)
{
    const spec_study *st = &s->studies[study];
    memset(m, 0, sizeof *m);
    m->save_data = save_data;
    m->ckpt_shared = m->val_shared = 1;
    for (long p = 0; p < st->n_points; p++) {
        spec_task t;
        if (spec_task_get(s, st->first_task + p * st->n_seeds, &t))
            return -1;
        if (st->kind == SPEC_SDE) {
            le_sde_config c;
            if (spec_task_sde(s, &t, &c))
                return -1;
            if (c.n_obs > m->O)
                m->O = c.n_obs;
            continue;
        }
        train_config c;
        if (spec_task_train(s, &t, &c))
            return -1;
        /* from the heap: a spec may ask for millions of checkpoints */
        long *ck = malloc(sizeof *ck * (size_t)c.checkpoints),
             *vk = malloc(sizeof *vk * (size_t)(train_val_checkpoints(&c) + 1));
        long C = 0, V = 0;
        if (ck && vk) {
            C = train_checkpoints(c.iters, c.checkpoints, c.log_spacing, ck);
            V = train_checkpoints(c.iters, train_val_checkpoints(&c), 0, vk);
        }
        int bad = !ck || !vk || shared_schedule(&m->ckpt_t, &m->ckpt_shared, m->C, ck, C) ||
                  shared_schedule(&m->val_t, &m->val_shared, m->V, vk, V);
        free(ck);
        free(vk);
        if (bad)
            return -1;
#define MAX(a, b) ((a) > (b) ? (a) : (b))
        m->K = MAX(m->K, c.k);
        m->C = MAX(m->C, C);
        m->V = MAX(m->V, V);
        m->S = MAX(m->S, MAX(0, c.snapshots < C ? c.snapshots : C));
        m->NP = MAX(m->NP, (long)c.probe_per_class * c.k);
        m->T = MAX(m->T, c.iters);
        m->CH = MAX(m->CH, data_kind_channels(c.dataset));
        m->NT = MAX(m->NT, (long)c.train_per_class * c.k);
        m->NV = MAX(m->NV, (long)c.val_per_class * c.k);
        m->R = MAX(m->R, (long)train_ref_records(&c, NULL));
        m->fit |= c.fit;
#undef MAX
    }
    return 0;
}

void fields_maxima_free(field_maxima *m)
{
    free(m->ckpt_t);
    free(m->val_t);
    m->ckpt_t = m->val_t = NULL;
}

static field *add(field *out, int *n, const char *name, field_type type, int id,
                  int summarize, const char *units, const char *desc, int ndim, ...)
{
    field *f = &out[(*n)++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->type = type;
    f->id = id;
    f->summarize = summarize;
    f->units = units;
    f->desc = desc;
    f->ndim = ndim;
    va_list ap;
    va_start(ap, ndim);
    for (int i = 0; i < ndim; i++) {
        f->dims[i] = va_arg(ap, long);
        f->dimname[i] = va_arg(ap, const char *);
    }
    va_end(ap);
    return f;
}

int fields_list(spec_kind kind, const field_maxima *m, field *out)
{
    int n = 0;
    add(out, &n, "status", FT_I8, F_STATUS, 0, "", "0 pending, 1 done, 2 failed", 0);
    add(out, &n, "rank", FT_I32, F_RANK, 0, "", "MPI rank that ran the task", 0)->timing = 1;
    add(out, &n, "wall_seconds", FT_F64, F_WALL, 0, "s", "wall time of the task", 0)->timing = 1;
    add(out, &n, "finished_at", FT_F64, F_FINISHED, 0, "seconds since 1970-01-01 00:00:00",
        "when the task's status was written", 0)->timing = 1;
    add(out, &n, "message", FT_CHAR, F_MESSAGE, 0, "", "why the task failed", 1,
        (long)STORE_MSG_LEN, "message_char");
    if (kind == SPEC_SDE) {
        add(out, &n, "obs_t", FT_F64, F_OBS_T, 0, "iterations", "observation times", 1, m->O, "obs");
        add(out, &n, "sep_all", FT_F64, F_SEP_ALL, 1, "", "1 if every pair of classes is linearly separable", 1, m->O, "obs")->indicator = 1;
        add(out, &n, "sep_frac", FT_F64, F_SEP_FRAC, 1, "", "fraction of linearly separable class pairs", 1, m->O, "obs")->unit_range = 1;
        add(out, &n, "etf_dev", FT_F64, F_SDE_ETF, 1, "", "max |cos(mean_k, mean_l) + 1/(K-1)|", 1, m->O, "obs");
        add(out, &n, "margin", FT_F64, F_MARGIN, 1, "",
            "margin along the class-mean direction, over the class means' distance (1: collapsed, "
            "0: touching, < 0: overlapping)",
            1, m->O, "obs");
        return n;
    }
    long K = m->K, C = m->C, S = m->S, NP = m->NP, V = m->V;
    add(out, &n, "t", FT_I64, F_T, 0, "iterations", "checkpoint iterations", 1, C, "checkpoint");
    add(out, &n, "val_t", FT_I64, F_VAL_T, 0, "iterations", "validation checkpoint iterations", 1, V, "val_checkpoint");
    add(out, &n, "xbar_probe", FT_F64, F_XBAR_PROBE, 1, "logit", "mean probe logits by training label", 3, C, "checkpoint", K, "class", K, "feature");
    add(out, &n, "xbar_val", FT_F64, F_XBAR_VAL, 1, "logit", "mean validation logits by clean label", 3, V, "val_checkpoint", K, "class", K, "feature");
    if (m->R > 0) { /* ref_every: the reference method's window, recorded densely */
        add(out, &n, "ref_t", FT_I64, F_REF_T, 0, "iterations",
            "iterations of the records in the reference method's rescaling window", 1, m->R,
            "ref_record");
        add(out, &n, "xbar_ref", FT_F64, F_XBAR_REF, 0, "logit",
            "mean probe logits by training label in the reference method's rescaling window", 3,
            m->R, "ref_record", K, "class", K, "feature");
    }
    add(out, &n, "probe_loss", FT_F64, F_PROBE_LOSS, 1, "nats", "probe cross-entropy (training labels)", 1, C, "checkpoint");
    add(out, &n, "probe_acc", FT_F64, F_PROBE_ACC, 1, "", "probe accuracy (training labels)", 1, C, "checkpoint")->unit_range = 1;
    add(out, &n, "val_loss", FT_F64, F_VAL_LOSS, 1, "nats", "validation cross-entropy (clean labels)", 1, V, "val_checkpoint");
    add(out, &n, "val_acc", FT_F64, F_VAL_ACC, 1, "", "validation accuracy (clean labels)", 1, V, "val_checkpoint")->unit_range = 1;
    add(out, &n, "final_val_acc", FT_F64, F_FINAL_ACC, 1, "", "mean validation accuracy over the last 5% of iterations", 0)->unit_range = 1;
    add(out, &n, "final_val_loss", FT_F64, F_FINAL_LOSS, 1, "nats", "mean validation loss over the last 5% of iterations", 0);
    add(out, &n, "snap_checkpoint", FT_I32, F_SNAP_C, 0, "", "checkpoint index of each snapshot", 1, S, "snapshot");
    add(out, &n, "snap_logits", FT_F64, F_SNAP_LOGITS, 0, "logit", "per-sample probe logits at snapshots", 3, S, "snapshot", NP, "probe_sample", K, "feature");
    add(out, &n, "probe_index", FT_I32, F_PROBE_INDEX, 0, "", "probe sample's index in the training set", 1, NP, "probe_sample");
    add(out, &n, "probe_label", FT_I32, F_PROBE_LABEL, 0, "", "probe sample's training label", 1, NP, "probe_sample");
    add(out, &n, "probe_clean_label", FT_I32, F_PROBE_CLEAN, 0, "", "probe sample's clean label", 1, NP, "probe_sample");
    add(out, &n, "sample_index", FT_I32, F_SAMPLE_INDEX, 0, "",
        "training sample drawn at each SGD step", 1, m->T, "iteration")
        ->same_over = fields_same_order;
    add(out, &n, "train_seconds", FT_F64, F_TRAIN_SEC, 0, "s", "training wall time", 0)->timing = 1;
    add(out, &n, "fit_seconds", FT_F64, F_FIT_SEC, 0, "s", "LE fit wall time", 0)->timing = 1;
    /* Initial parameters, PyTorch names and layouts. */
    static const char *init_names[CNN_NUM_TENSORS] = {
        "init/conv1.weight", "init/conv1.bias", "init/conv2.weight", "init/conv2.bias",
        "init/fc1.weight", "init/fc1.bias", "init/fc2.weight", "init/fc2.bias",
        "init/fc3.weight", "init/fc3.bias"};
    long shapes[CNN_NUM_TENSORS][4] = {{6, m->CH, 5, 5}, {6}, {16, 6, 5, 5}, {16},
                                       {120, 400}, {120}, {84, 120}, {84}, {K, 84}, {K}};
    int nd[CNN_NUM_TENSORS] = {4, 1, 4, 1, 2, 1, 2, 1, 2, 1};
    /* A layer's outputs are the next one's inputs; fc1 takes the flattened
     * 16 x 5 x 5 maps of conv2. */
    static const char *init_dims[CNN_NUM_TENSORS][4] = {
        {"conv1_out", "channel", "kernel_height", "kernel_width"},
        {"conv1_out"},
        {"conv2_out", "conv1_out", "kernel_height", "kernel_width"},
        {"conv2_out"},
        {"fc1_out", "fc1_in"},
        {"fc1_out"},
        {"fc2_out", "fc1_out"},
        {"fc2_out"},
        {"feature", "fc2_out"},
        {"feature"}};
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        field *f = add(out, &n, init_names[i], FT_F64, F_INIT0 + i, 0, "",
                       "initial parameters (PyTorch layout)", 0);
        f->ndim = nd[i];
        f->same_over = fields_same_init;
        memcpy(f->dims, shapes[i], sizeof(long) * 4);
        memcpy(f->dimname, init_dims[i], sizeof init_dims[i]);
    }
    if (m->fit) {
        const long M = LE_NUM_MODELS, Q = LE_NUM_Q, NS = LE_NUM_SIMS, W = LE_TAIL_LOCAL_N;
        add(out, &n, "fit/A", FT_F64, F_FIT_A, 1, "", "Ahat(t), integral of alpha, reference t_0", 2, M, "model", C, "checkpoint");
        add(out, &n, "fit/B", FT_F64, F_FIT_B, 1, "", "Bhat(t), integral of beta, reference t_0", 2, M, "model", C, "checkpoint");
        add(out, &n, "fit/alpha", FT_F64, F_FIT_ALPHA, 1, "1/iteration", "alphahat(t), Savitzky-Golay derivative of Ahat (window sg_window)", 2, M, "model", C, "checkpoint");
        add(out, &n, "fit/beta", FT_F64, F_FIT_BETA, 1, "1/iteration", "betahat(t) (window sg_window)", 2, M, "model", C, "checkpoint");
        add(out, &n, "fit/alpha_sim", FT_F64, F_FIT_ALPHA_SIM, 1, "1/iteration", "alphahat(t) that drives the simulations (window sim_window)", 2, M, "model", C, "checkpoint");
        add(out, &n, "fit/beta_sim", FT_F64, F_FIT_BETA_SIM, 1, "1/iteration", "betahat(t) that drives the simulations (window sim_window)", 2, M, "model", C, "checkpoint");
        add(out, &n, "fit/tail", FT_F64, F_TAIL, 1, "", "tail index: 1 - slope of log|A(t) - A(t/2)| against log t over [T/10, T], for alpha, beta, gamma = alpha - beta", 2, M, "model", Q, "quantity");
        add(out, &n, "fit/tail_ref0", FT_F64, F_TAIL_REF0, 1, "", "the slides' estimator 1 - avg log|A(t)|/log(1+t) over the last tail_frac of T: depends on the reference t_0", 2, M, "model", Q, "quantity");
        add(out, &n, "fit/tail_local", FT_F64, F_TAIL_LOCAL, 1, "", "local tail index over the half decade [t/sqrt(10), t] ending at tail_local_t", 3, M, "model", Q, "quantity", W, "tail_window");
        add(out, &n, "fit/tail_local_t", FT_F64, F_TAIL_LOCAL_T, 0, "iterations", "end of each local tail-index window", 1, W, "tail_window");
        add(out, &n, "fit/plateau_t", FT_F64, F_PLATEAU_T, 1, "iterations", "end of the plateau: first checkpoint where the class-centred means reach plateau_factor times their initial norm (NaN: never)", 0);
        static const char *const sim_desc[LE_NUM_VARIANTS] = {
            "LE-ODE from the genuine Xbar(plateau_t), NaN before",
            "rescaled, reference method: mean of ref_paths noisy starts, forward Euler, one fitted scalar",
            "LE-ODE from the genuine Xbar(0), unrescaled"};
        for (int v = 0; v < LE_NUM_VARIANTS; v++) {
            char name[64], rname[64];
            snprintf(name, sizeof name, "fit/sim_%s", le_variant_name((le_variant)v));
            snprintf(rname, sizeof rname, "fit/rd_%s", le_variant_name((le_variant)v));
            add(out, &n, name, FT_F64, F_SIM0 + v, 1, "logit", sim_desc[v], 4, NS, "sim", C, "checkpoint", K, "class", K, "feature");
            add(out, &n, rname, FT_F64, F_RD0 + v, 1, "", "relative difference RD_k(t) of the genuine means and fit/sim of this start", 3, NS, "sim", C, "checkpoint", K, "class");
        }
        add(out, &n, "fit/ref_scale", FT_F64, F_REF_SCALE, 1, "", "the reference method's fitted scalar", 1, NS, "sim");
        add(out, &n, "fit/ref_std", FT_F64, F_REF_STD, 0, "logit", "std across the reference method's paths, times |ref_scale|", 4, NS, "sim", C, "checkpoint", K, "class", K, "feature");
        add(out, &n, "fit/S", FT_F64, F_S, 1, "logit", "S(t) = mean_k <Xbar^k, dhat_k> of the genuine means", 1, C, "checkpoint");
        add(out, &n, "fit/rd_etf", FT_F64, F_RD_ETF, 1, "", "RD_k(t) of the ETF baseline S(t) dhat_k", 2, C, "checkpoint", K, "class");
        add(out, &n, "fit/rd_cmean", FT_F64, F_RD_CMEAN, 1, "", "RD_k(t) of the class-average baseline: every class at the genuine mean over classes", 2, C, "checkpoint", K, "class");
        add(out, &n, "fit/etf_dev", FT_F64, F_ETF, 1, "", "max |cos(Xbar^k, Xbar^l) + 1/(K-1)| of the probe means", 1, C, "checkpoint");
        add(out, &n, "fit/norm_spread", FT_F64, F_SPREAD, 1, "", "std_k |Xbar^k| / mean_k |Xbar^k|", 1, C, "checkpoint");
        add(out, &n, "fit/snap_sep_frac", FT_F64, F_SNAP_SEP_FRAC, 1, "", "fraction of linearly separable class pairs of probe logits", 1, S, "snapshot")->unit_range = 1;
        add(out, &n, "fit/snap_sep_all", FT_F64, F_SNAP_SEP_ALL, 1, "", "1 if all pairs of probe logits are separable", 1, S, "snapshot")->indicator = 1;
        add(out, &n, "fit/snap_nc1", FT_F64, F_SNAP_NC1, 1, "", "NC1 of probe logits", 1, S, "snapshot");
        add(out, &n, "fit/snap_sep_frac_clean", FT_F64, F_SNAP_SEP_FRAC_CLEAN, 1, "",
            "fraction of linearly separable class pairs of probe logits by clean label (NaN if "
            "under two classes have probe samples)",
            1, S, "snapshot")
            ->unit_range = 1;
        add(out, &n, "fit/snap_sep_all_clean", FT_F64, F_SNAP_SEP_ALL_CLEAN, 1, "",
            "1 if all pairs of probe logits are separable by clean label (NaN if under two classes "
            "have probe samples)",
            1, S, "snapshot")
            ->indicator = 1;
        add(out, &n, "fit/snap_nc1_clean", FT_F64, F_SNAP_NC1_CLEAN, 1, "", "NC1 of probe logits by clean label", 1, S, "snapshot");
    }
    if (m->save_data) {
        add(out, &n, "data/train_x", FT_F64, F_TRAIN_X, 0, "pixel", "training images", 4, m->NT, "train_sample", m->CH, "channel", 32L, "height", 32L, "width");
        add(out, &n, "data/train_label", FT_I32, F_TRAIN_LABEL, 0, "", "training label (after pollution)", 1, m->NT, "train_sample");
        add(out, &n, "data/train_clean_label", FT_I32, F_TRAIN_CLEAN, 0, "", "clean label", 1, m->NT, "train_sample");
        add(out, &n, "data/val_x", FT_F64, F_VAL_X, 0, "pixel", "validation images", 4, m->NV, "val_sample", m->CH, "channel", 32L, "height", 32L, "width");
        add(out, &n, "data/val_label", FT_I32, F_VAL_LABEL, 0, "", "clean validation label", 1, m->NV, "val_sample");
    }
    return n;
}

static const field_dim dims[] = {
    {"checkpoint", "probe checkpoint", "iterations", NULL, 0},
    {"val_checkpoint", "validation checkpoint", "iterations", NULL, 0},
    {"class",
     "class (training label of the probe means, clean label of the validation means; the "
     "dataset's class is the study's class_ids[class])",
     "1", NULL, 0},
    {"feature", "logit (network output) index", "1", NULL, 0},
    {"model", "LE model: I (isotropic) or L (locally elastic)", "1", "I,L", 0},
    {"sim", "LE-ODE imitation: whose estimates drive which model's ODE", "1",
     "I-est/L-ODE,L-est/L-ODE,I-est/I-ODE", 0},
    {"quantity", "tail-index quantity: alpha, beta, gamma = alpha - beta", "1", "alpha,beta,gamma",
     0},
    {"tail_window", "local tail-index window (its end is fit/tail_local_t)", "1", NULL, 0},
    {"snapshot", "snapshot (checkpoint with per-sample probe logits)", "1", NULL, 0},
    {"probe_sample", "probe sample", "1", NULL, 0},
    {"iteration", "SGD step (0: the first)", "1", NULL, 0},
    {"obs", "observation of the LE-SDE", "1", NULL, 0},
    {"message_char", "character of the message", "1", NULL, 1},
};

int fields_is_indicator(const char *name)
{
    /* the names do not depend on the sizes; every optional field listed */
    field_maxima m = {.K = 2, .C = 2, .S = 1, .NP = 1, .T = 1, .CH = 1, .NT = 1, .NV = 1,
                      .O = 1, .V = 1, .fit = 1, .save_data = 1};
    field f[FIELDS_MAX];
    for (int kind = 0; kind < 2; kind++) {
        int n = fields_list(kind ? SPEC_SDE : SPEC_TRAIN, &m, f);
        for (int i = 0; i < n; i++)
            if (f[i].indicator && !strcmp(f[i].name, name))
                return 1;
    }
    return 0;
}

const field_dim *fields_dim(const char *name)
{
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (!strcmp(dims[i].name, name))
            return &dims[i];
    return NULL;
}

/* Quantiles: linear interpolation between the order statistics (Hyndman
 * and Fan's type 7: numpy's and R's default). */
const field_stat field_stats[FIELD_N_STATS] = {
    {"mean", "mean across seeds", "mean over the done seeds, NaN values left out", 1},
    {"std", "standard deviation across seeds",
     "sample standard deviation (n - 1) over the done seeds, NaN values left out", 1},
    {"ci_lo", "lower end of the 95% interval of the mean",
     "mean - t(0.975, n-1) std / sqrt(n) over the done seeds, clipped to [valid_min, "
     "valid_max] of the field when it has them; for a 0/1 field (flag_values 0, 1), "
     "the lower end of Wilson's score interval of the proportion",
     1},
    {"ci_hi", "upper end of the 95% interval of the mean",
     "mean + t(0.975, n-1) std / sqrt(n) over the done seeds, clipped to [valid_min, "
     "valid_max] of the field when it has them; for a 0/1 field (flag_values 0, 1), "
     "the upper end of Wilson's score interval of the proportion",
     1},
    {"n", "number of seeds summarised", "count of done seeds whose value is not NaN", 0},
    {"median", "median across seeds",
     "median over the done seeds, NaN values left out (the mean of the middle two when n "
     "is even)",
     1},
    {"q25", "25% quantile across seeds",
     "25% quantile over the done seeds, NaN values left out: linear interpolation between "
     "order statistics, x[(n-1) 0.25] (Hyndman-Fan type 7, numpy's default)",
     1},
    {"q75", "75% quantile across seeds",
     "75% quantile over the done seeds, NaN values left out: linear interpolation between "
     "order statistics, x[(n-1) 0.75] (Hyndman-Fan type 7, numpy's default)",
     1},
};

static const char *leaf(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int fields_check(const field *f, int n, char *why, size_t size)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            if (!strcmp(f[i].name, f[j].name)) {
                snprintf(why, size, "field %s is in the table twice", f[i].name);
                return -1;
            }
        if (f[i].same_over && f[i].summarize) {
            snprintf(why, size, "field %s is summarised but lacks axes", f[i].name);
            return -1;
        }
        for (int d = 0; d < f[i].ndim; d++) {
            const char *dn = f[i].dimname[d];
            if (!dn || !dn[0]) {
                snprintf(why, size, "field %s: dimension %d has no name", f[i].name, d);
                return -1;
            }
            for (int j = 0; j < n; j++) {
                if (!strcmp(leaf(f[j].name), dn)) {
                    snprintf(why, size, "dimension %s of field %s has the name of field %s", dn,
                             f[i].name, f[j].name);
                    return -1;
                }
                for (int k = 0; k < f[j].ndim; k++)
                    if (f[j].dimname[k] && !strcmp(f[j].dimname[k], dn) &&
                        f[j].dims[k] != f[i].dims[d]) {
                        snprintf(why, size, "dimension %s is %ld long in %s but %ld in %s", dn,
                                 f[i].dims[d], f[i].name, f[j].dims[k], f[j].name);
                        return -1;
                    }
            }
        }
    }
    return 0;
}

/* Copies src [sd0][sd1]...[sd_{n-1}] into dst [dd0]...[dd_{n-1}] (dd >= sd),
 * leaving the padding as it was (the caller pre-fills it). */
static void pad_copy(const void *src, const long *sd, void *dst, const long *dd, int n,
                     size_t el)
{
    if (n == 0) {
        memcpy(dst, src, el);
        return;
    }
    long sinner = 1, dinner = 1;
    for (int i = 1; i < n; i++) {
        sinner *= sd[i];
        dinner *= dd[i];
    }
    for (long i = 0; i < sd[0]; i++)
        pad_copy((const char *)src + i * sinner * el, sd + 1, (char *)dst + i * dinner * el,
                 dd + 1, n - 1, el);
}

static void fill_pad(const field *f, void *buf)
{
    long n = field_size(f);
    switch (f->type) {
    case FT_F64: for (long i = 0; i < n; i++) ((double *)buf)[i] = NAN; break;
    case FT_I64: for (long i = 0; i < n; i++) ((int64_t *)buf)[i] = -1; break;
    case FT_I32: for (long i = 0; i < n; i++) ((int32_t *)buf)[i] = -1; break;
    case FT_I8: case FT_CHAR: memset(buf, 0, n); break;
    }
}

/* Copies n doubles/ints with source dims sd into f's padded buffer. */
static void put(const field *f, void *buf, const void *src, int n, ...)
{
    long sd[4];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        sd[i] = va_arg(ap, long);
    va_end(ap);
    pad_copy(src, sd, buf, f->dims, n, field_elsize(f->type));
}

static void put_ints(void *buf, const int *src, long n)
{
    for (long i = 0; i < n; i++)
        ((int32_t *)buf)[i] = src[i];
}

void fields_pack_train(const field *f, const train_result *r, void *buf)
{
    fill_pad(f, buf);
    long K = r->K, C = r->C, S = r->S, NP = r->n_probe, V = r->V;
    const le_fit_result *ft = &r->fit;
    switch (f->id) {
    case F_T:
        for (long c = 0; c < C; c++)
            ((int64_t *)buf)[c] = r->t[c];
        break;
    case F_VAL_T:
        for (long c = 0; c < V; c++)
            ((int64_t *)buf)[c] = r->val_t[c];
        break;
    case F_XBAR_PROBE: put(f, buf, r->xbar_probe, 3, C, K, K); break;
    case F_XBAR_VAL: put(f, buf, r->xbar_val, 3, V, K, K); break;
    case F_REF_T:
        for (long j = 0; j < r->R; j++)
            ((int64_t *)buf)[j] = r->ref_t[j];
        break;
    case F_XBAR_REF: put(f, buf, r->xbar_ref, 3, (long)r->R, K, K); break;
    case F_PROBE_LOSS: put(f, buf, r->probe_loss, 1, C); break;
    case F_PROBE_ACC: put(f, buf, r->probe_acc, 1, C); break;
    case F_VAL_LOSS: put(f, buf, r->val_loss, 1, V); break;
    case F_VAL_ACC: put(f, buf, r->val_acc, 1, V); break;
    case F_FINAL_ACC: *(double *)buf = r->final_val_acc; break;
    case F_FINAL_LOSS: *(double *)buf = r->final_val_loss; break;
    case F_SNAP_C: put_ints(buf, r->snap_c, S); break;
    case F_SNAP_LOGITS: put(f, buf, r->snap_logits, 3, S, NP, K); break;
    case F_PROBE_INDEX: put_ints(buf, r->probe_index, NP); break;
    case F_PROBE_LABEL: put_ints(buf, r->probe_label, NP); break;
    case F_PROBE_CLEAN: put_ints(buf, r->probe_clean, NP); break;
    case F_SAMPLE_INDEX: put_ints(buf, r->sample_index, r->t[C - 1]); break;
    case F_TRAIN_SEC: *(double *)buf = r->train_seconds; break;
    case F_FIT_SEC: *(double *)buf = r->fit_seconds; break;
    case F_FIT_A: case F_FIT_B: case F_FIT_ALPHA: case F_FIT_BETA: case F_FIT_ALPHA_SIM:
    case F_FIT_BETA_SIM:
        if (r->fitted)
            for (int m = 0; m < LE_NUM_MODELS; m++) {
                double *const *src = f->id == F_FIT_A ? ft->A : f->id == F_FIT_B ? ft->B
                                   : f->id == F_FIT_ALPHA ? ft->alpha : f->id == F_FIT_BETA ? ft->beta
                                   : f->id == F_FIT_ALPHA_SIM ? ft->alpha_sim : ft->beta_sim;
                memcpy((double *)buf + m * f->dims[1], src[m], sizeof(double) * C);
            }
        break;
    case F_TAIL: if (r->fitted) memcpy(buf, ft->tail, sizeof ft->tail); break;
    case F_TAIL_REF0: if (r->fitted) memcpy(buf, ft->tail_ref0, sizeof ft->tail_ref0); break;
    case F_TAIL_LOCAL: if (r->fitted) memcpy(buf, ft->tail_local, sizeof ft->tail_local); break;
    case F_TAIL_LOCAL_T: if (r->fitted) memcpy(buf, ft->tail_local_t, sizeof ft->tail_local_t); break;
    case F_PLATEAU_T: if (r->fitted) *(double *)buf = ft->plateau_t; break;
    case F_REF_SCALE: if (r->fitted) memcpy(buf, ft->ref_scale, sizeof ft->ref_scale); break;
    case F_REF_STD:
        if (r->fitted)
            for (int s = 0; s < LE_NUM_SIMS; s++)
                pad_copy(ft->ref_std[s], (long[]){C, K, K},
                         (double *)buf + s * f->dims[1] * f->dims[2] * f->dims[3], f->dims + 1, 3,
                         sizeof(double));
        break;
    case F_S: if (r->fitted) put(f, buf, ft->S, 1, C); break;
    case F_RD_ETF: if (r->fitted) put(f, buf, ft->rd_etf, 2, C, K); break;
    case F_RD_CMEAN: if (r->fitted) put(f, buf, ft->rd_cmean, 2, C, K); break;
    case F_ETF: if (r->fitted) put(f, buf, ft->etf_dev, 1, C); break;
    case F_SPREAD: if (r->fitted) put(f, buf, ft->norm_spread, 1, C); break;
    case F_SNAP_SEP_FRAC: case F_SNAP_SEP_ALL: case F_SNAP_NC1:
    case F_SNAP_SEP_FRAC_CLEAN: case F_SNAP_SEP_ALL_CLEAN: case F_SNAP_NC1_CLEAN:
        if (r->fitted)
            for (long s = 0; s < S; s++) {
                int clean = f->id >= F_SNAP_SEP_FRAC_CLEAN;
                const le_sample_measures *sm = clean ? &r->snap_clean[s] : &r->snap_measures[s];
                int what = clean ? f->id - F_SNAP_SEP_FRAC_CLEAN : f->id - F_SNAP_SEP_FRAC;
                ((double *)buf)[s] = what == 0 ? sm->sep_frac : what == 1 ? sm->sep_all : sm->nc1;
            }
        break;
    case F_TRAIN_X: case F_VAL_X: {
        const data_set *ds = f->id == F_TRAIN_X ? &r->train : &r->val;
        if (ds->x)
            put(f, buf, ds->x, 4, (long)ds->n, (long)ds->c, (long)ds->h, (long)ds->w);
        break;
    }
    case F_TRAIN_LABEL: if (r->train.x) put_ints(buf, r->train.train_label, r->train.n); break;
    case F_TRAIN_CLEAN: if (r->train.x) put_ints(buf, r->train.label, r->train.n); break;
    case F_VAL_LABEL: if (r->val.x) put_ints(buf, r->val.label, r->val.n); break;
    default:
        if (f->id >= F_SIM0 && f->id < F_SIM0 + LE_NUM_VARIANTS && r->fitted) {
            for (int s = 0; s < LE_NUM_SIMS; s++)
                pad_copy(ft->sim[f->id - F_SIM0][s], (long[]){C, K, K},
                         (double *)buf + s * f->dims[1] * f->dims[2] * f->dims[3], f->dims + 1, 3,
                         sizeof(double));
        } else if (f->id >= F_RD0 && f->id < F_RD0 + LE_NUM_VARIANTS && r->fitted) {
            for (int s = 0; s < LE_NUM_SIMS; s++)
                pad_copy(ft->rd[f->id - F_RD0][s], (long[]){C, K},
                         (double *)buf + s * f->dims[1] * f->dims[2], f->dims + 1, 2, sizeof(double));
        } else if (f->id >= F_INIT0 && f->id < F_INIT0 + CNN_NUM_TENSORS) {
            /* Walk the flat initial parameters to this tensor: sizes depend
             * on the task's own channels and K, not on the study maxima. */
            int ti = f->id - F_INIT0;
            long ch = r->channels;
            long shp[CNN_NUM_TENSORS][4] = {{6, ch, 5, 5}, {6}, {16, 6, 5, 5}, {16},
                                            {120, 400}, {120}, {84, 120}, {84}, {K, 84}, {K}};
            int nd[CNN_NUM_TENSORS] = {4, 1, 4, 1, 2, 1, 2, 1, 2, 1};
            long off = 0;
            for (int i = 0; i < ti; i++) {
                long sz = 1;
                for (int d = 0; d < nd[i]; d++)
                    sz *= shp[i][d];
                off += sz;
            }
            pad_copy(r->init_params + off, shp[ti], buf, f->dims, nd[ti], sizeof(double));
        }
        break;
    }
}

void fields_pack_sde(const field *f, const le_sde_result *r, void *buf)
{
    fill_pad(f, buf);
    long O = r->n_obs;
    switch (f->id) {
    case F_OBS_T: put(f, buf, r->t, 1, O); break;
    case F_SEP_ALL: put(f, buf, r->sep_all, 1, O); break;
    case F_SEP_FRAC: put(f, buf, r->sep_frac, 1, O); break;
    case F_SDE_ETF: put(f, buf, r->etf_dev, 1, O); break;
    case F_MARGIN: put(f, buf, r->margin, 1, O); break;
    default: break;
    }
}
