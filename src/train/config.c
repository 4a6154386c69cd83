/* train_config: defaults, checks and the checkpoint schedule. */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void train_config_default(train_config *c)
{
    memset(c, 0, sizeof *c);
    c->dataset = DATA_GEOMNIST;
    c->k = 3;
    c->train_per_class = 500;
    c->val_per_class = 500;
    c->p_err = 0.0;
    c->iters = 10000;
    c->lr = 0.005;
    c->checkpoints = 101;
    c->log_spacing = 0;
    c->val_checkpoints = 0;
    c->probe_per_class = 100;
    c->snapshots = 5;
    c->seed = 0;
    c->fit = 1;
    le_fit_opts_default(&c->fit_opts);
}

int train_config_check(const train_config *c, lesde_err *e)
{
    int maxk = data_kind_max_k(c->dataset);
    if (c->k < 2 || c->k > maxk)
        return err_set(e, LESDE_USAGE, "classes must be in 2..%d for %s, not %d",
                       maxk, data_kind_name(c->dataset), c->k);
    if (c->n_class_ids && c->n_class_ids != c->k)
        return err_set(e, LESDE_USAGE, "%d class ids given for %d classes",
                       c->n_class_ids, c->k);
    if (!(c->p_err >= 0.0 && c->p_err <= 1.0))
        return err_set(e, LESDE_USAGE, "p_err must be in [0, 1], not %g", c->p_err);
    if (c->iters <= 0)
        return err_set(e, LESDE_USAGE, "iterations must be positive, not %ld", c->iters);
    if (!(c->lr > 0.0) || !isfinite(c->lr))
        return err_set(e, LESDE_USAGE, "lr must be positive, not %g", c->lr);
    if (c->train_per_class < 1 || c->val_per_class < 1)
        return err_set(e, LESDE_USAGE, "train and validation sizes per class must be positive");
    if (c->checkpoints < 2)
        return err_set(e, LESDE_USAGE, "checkpoints must be at least 2 (0 and T), not %d",
                       c->checkpoints);
    if ((long)c->checkpoints > c->iters + 1)
        return err_set(e, LESDE_USAGE, "%d checkpoints do not fit in %ld iterations",
                       c->checkpoints, c->iters);
    if (c->val_checkpoints < 0 || c->val_checkpoints == 1 ||
        (long)c->val_checkpoints > c->iters + 1)
        return err_set(e, LESDE_USAGE, "validation checkpoints must be 0 (default) or in 2..%ld, "
                       "not %d", c->iters + 1, c->val_checkpoints);
    if (c->probe_per_class < 1 || c->probe_per_class > c->train_per_class)
        return err_set(e, LESDE_USAGE, "probe size per class must be in 1..%d, not %d",
                       c->train_per_class, c->probe_per_class);
    if (c->snapshots < 0 || c->snapshots > c->checkpoints)
        return err_set(e, LESDE_USAGE, "snapshots must be in 0..%d, not %d",
                       c->checkpoints, c->snapshots);
    if (c->ref_every < 0)
        return err_set(e, LESDE_USAGE, "ref_every must be 0 (off) or positive, not %d",
                       c->ref_every);
    if (c->fit_opts.sg_order < 1 || c->fit_opts.sg_order > 6)
        return err_set(e, LESDE_USAGE, "Savitzky-Golay order must be in 1..6");
    if (!(c->fit_opts.tail_frac > 0 && c->fit_opts.tail_frac <= 1))
        return err_set(e, LESDE_USAGE, "tail fraction must be in (0, 1]");
    return LESDE_OK;
}

int train_val_checkpoints(const train_config *c)
{
    if (c->val_checkpoints > 0)
        return c->val_checkpoints;
    return c->checkpoints < TRAIN_VAL_CHECKPOINTS ? c->checkpoints : TRAIN_VAL_CHECKPOINTS;
}

int train_ref_records(const train_config *c, long *out)
{
    if (c->ref_every <= 0 || c->iters < 1)
        return 0;
    long every = c->ref_every, n = (long)(c->fit_opts.ref_tail / every), fit = c->iters / every + 1;
    n = n < fit ? n : fit;
    if (n < 1)
        n = 1; /* a window shorter than the stride still records T */
    for (long j = 0; out && j < n; j++)
        out[j] = c->iters - every * (n - 1 - j);
    return (int)n;
}

int train_checkpoints(long T, int count, int log_spacing, long *out)
{
    if (count < 2 || T < 1)
        return 0;
    if (!log_spacing) {
        /* t_c = round(c T / (count-1)): distinct since count-1 <= T. */
        for (int c = 0; c < count; c++)
            out[c] = (long)llround((double)c * T / (count - 1));
        return count;
    }
    /* Log-spaced over [1, T] after 0, rounded; duplicates (early, where
     * spacing is below one iteration) are dropped. */
    int n = 0;
    out[n++] = 0;
    for (int c = 1; c < count; c++) {
        double f = (double)(c - 1) / (count - 2 > 0 ? count - 2 : 1);
        long v = (long)llround(exp(f * log((double)T)));
        if (c == count - 1)
            v = T;
        if (v > out[n - 1])
            out[n++] = v;
    }
    return n;
}

double train_final_mean(const long *t, const double *v, int C)
{
    long T = t[C - 1];
    double thr = 0.95 * T, sum = 0;
    int n = 0;
    for (int c = 0; c < C; c++)
        if (t[c] >= thr) {
            sum += v[c];
            n++;
        }
    return n ? sum / n : NAN;
}
