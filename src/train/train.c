/* train_run: one training run, recorded at its checkpoints.
 *
 * Data, pollution, initialisation and the SGD order come from separate
 * streams of the run's seed (core/rng.h), so runs that differ only in p_err
 * share their images, initial weights and sample order: comparisons across
 * a grid use common random numbers. */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/rng.h"
#include "nn/cnn.h"

#define POLL_EVERY 32 /* steps between calls of cfg->poll (~1 ms) */
/* A one-sample cross-entropy above this means the run has blown up (a logit
 * gap of a thousand): healthy GeoMNIST runs stay below 10 at any p_err, while
 * lr = 10 passes 1e7 within five steps and then sits in dead ReLUs with a
 * finite loss, which a non-finite test alone would never catch. */
#define DIVERGED_LOSS 1e3

/* Mean logits per group, cross-entropy and accuracy of logits [n][K]
 * against labels [n]. xbar [K][K] (NaN for an empty group). */
static void summarise(const double *logits, const int *labels, int n, int K,
                      double *xbar, double *loss, double *acc)
{
    int count[DATA_MAX_K] = {0};
    memset(xbar, 0, sizeof(double) * K * K);
    double l = 0;
    int right = 0;
    for (int i = 0; i < n; i++) {
        const double *z = logits + (size_t)i * K;
        int y = labels[i];
        double m = z[0];
        int arg = 0;
        for (int j = 1; j < K; j++)
            if (z[j] > m) {
                m = z[j];
                arg = j;
            }
        double s = 0;
        for (int j = 0; j < K; j++)
            s += exp(z[j] - m);
        l += log(s) + m - z[y];
        right += arg == y;
        count[y]++;
        for (int j = 0; j < K; j++)
            xbar[y * K + j] += z[j];
    }
    for (int k = 0; k < K; k++)
        for (int j = 0; j < K; j++)
            xbar[k * K + j] = count[k] ? xbar[k * K + j] / count[k] : NAN;
    *loss = n ? l / n : NAN;
    *acc = n ? (double)right / n : NAN;
}

/* The probe set: up to per_class training samples of each training label,
 * drawn without replacement from stream (seed, RNG_PROBE). Returns its size. */
static int choose_probe(const data_set *tr, int per_class, uint64_t seed, int *index)
{
    gsl_rng *r = rng_stream(seed, RNG_PROBE, 0);
    int *perm = malloc(sizeof(int) * tr->n);
    int taken[DATA_MAX_K] = {0}, n = 0;
    if (!r || !perm) {
        free(perm);
        if (r)
            gsl_rng_free(r);
        return -1;
    }
    for (int i = 0; i < tr->n; i++)
        perm[i] = i;
    /* Fisher-Yates with gsl_rng_uniform_int: same draws on every platform. */
    for (int i = tr->n - 1; i > 0; i--) {
        int j = (int)gsl_rng_uniform_int(r, (unsigned long)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    /* Keep the probe grouped by class, in draw order within a class. */
    for (int k = 0; k < tr->k; k++)
        for (int i = 0; i < tr->n && taken[k] < per_class; i++)
            if (tr->train_label[perm[i]] == k) {
                index[n++] = perm[i];
                taken[k]++;
            }
    free(perm);
    gsl_rng_free(r);
    return n;
}

static void *xcalloc(size_t n, size_t size, int *fail)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        *fail = 1;
    return p;
}

static int alloc_result(train_result *o, const train_config *cfg, int n_train, int *fail)
{
    int K = cfg->k, C = o->C, S = o->S, V = o->V;
    o->t = xcalloc(C, sizeof(long), fail);
    o->val_t = xcalloc(V, sizeof(long), fail);
    o->ref_t = xcalloc(o->R, sizeof(long), fail);
    o->xbar_ref = xcalloc((size_t)o->R * K * K, sizeof(double), fail);
    o->xbar_probe = xcalloc((size_t)C * K * K, sizeof(double), fail);
    o->xbar_val = xcalloc((size_t)V * K * K, sizeof(double), fail);
    o->probe_loss = xcalloc(C, sizeof(double), fail);
    o->probe_acc = xcalloc(C, sizeof(double), fail);
    o->val_loss = xcalloc(V, sizeof(double), fail);
    o->val_acc = xcalloc(V, sizeof(double), fail);
    o->snap_c = xcalloc(S, sizeof(int), fail);
    o->probe_index = xcalloc((size_t)cfg->probe_per_class * K, sizeof(int), fail);
    o->probe_label = xcalloc((size_t)cfg->probe_per_class * K, sizeof(int), fail);
    o->probe_clean = xcalloc((size_t)cfg->probe_per_class * K, sizeof(int), fail);
    o->snap_logits = xcalloc((size_t)S * cfg->probe_per_class * K * K, sizeof(double), fail);
    o->sample_index = xcalloc((size_t)cfg->iters, sizeof(int), fail);
    (void)n_train;
    return *fail ? -1 : 0;
}

/* Gathers the images of the given indices into a contiguous batch. */
static void gather(const data_set *ds, const int *index, int n, double *out)
{
    size_t sz = (size_t)ds->c * ds->h * ds->w;
    for (int i = 0; i < n; i++)
        memcpy(out + i * sz, ds->x + (size_t)index[i] * sz, sz * sizeof(double));
}

int train_run(const train_config *cfg, train_result *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = train_config_check(cfg, e);
    if (rc)
        return rc;

    data_request req = {
        .kind = cfg->dataset, .k = cfg->k,
        .class_ids = cfg->n_class_ids ? cfg->class_ids : NULL,
        .train_per_class = cfg->train_per_class, .val_per_class = cfg->val_per_class,
        .seed = cfg->seed, .data_dir = cfg->data_dir};
    data_set tr = {0}, va = {0};
    double td = log_now();
    if ((rc = data_load(&req, &tr, &va, e)))
        return rc;
    if ((rc = data_pollute(&tr, cfg->p_err, cfg->seed, e))) {
        data_free(&tr);
        data_free(&va);
        return rc;
    }
    out->data_seconds = log_now() - td;

    const int K = cfg->k;
    long *ckpt = malloc(sizeof(long) * (cfg->checkpoints + train_val_checkpoints(cfg)));
    if (!ckpt) {
        data_free(&tr);
        data_free(&va);
        return err_set(e, LESDE_FAIL, "out of memory setting up the run");
    }
    long *vckpt = ckpt + cfg->checkpoints;
    out->K = K;
    out->channels = tr.c;
    out->C = train_checkpoints(cfg->iters, cfg->checkpoints, cfg->log_spacing, ckpt);
    out->V = train_checkpoints(cfg->iters, train_val_checkpoints(cfg), 0, vckpt);
    out->S = cfg->snapshots < out->C ? cfg->snapshots : out->C;
    out->R = train_ref_records(cfg, NULL);
    int fail = 0;
    cnn *net = cnn_create(tr.c, K);
    size_t img = (size_t)tr.c * tr.h * tr.w;
    double *probe_x = NULL, *logits = NULL;
    int *probe_lab = NULL;
    gsl_rng *sgd = rng_stream(cfg->seed, RNG_SGD, 0);
    if (!net || !sgd || alloc_result(out, cfg, tr.n, &fail)) {
        rc = err_set(e, LESDE_FAIL, "out of memory setting up the run");
        goto done;
    }
    memcpy(out->t, ckpt, sizeof(long) * out->C);
    memcpy(out->val_t, vckpt, sizeof(long) * out->V);
    train_ref_records(cfg, out->ref_t);
    for (int s = 0; s < out->S; s++) /* snapshots spread evenly, first and last included */
        out->snap_c[s] = out->S == 1 ? out->C - 1
                                     : (int)lround((double)s * (out->C - 1) / (out->S - 1));

    out->n_probe = choose_probe(&tr, cfg->probe_per_class, cfg->seed, out->probe_index);
    int np = out->n_probe, nv = va.n;
    probe_x = mem_alloc_large(sizeof(double) * img * (np > 0 ? np : 1));
    probe_lab = out->probe_label;
    logits = malloc(sizeof(double) * (size_t)K * (np > nv ? np : nv));
    if (np < 0 || !probe_x || !logits) {
        rc = err_set(e, LESDE_FAIL, "out of memory setting up the probe set");
        goto done;
    }
    gather(&tr, out->probe_index, np, probe_x);
    for (int i = 0; i < np; i++) {
        probe_lab[i] = tr.train_label[out->probe_index[i]];
        out->probe_clean[i] = tr.label[out->probe_index[i]];
    }

    cnn_init(net, cfg->seed);
    out->n_params = (long)cnn_num_params(net);
    out->init_params = malloc(sizeof(double) * out->n_params);
    if (!out->init_params) {
        rc = err_set(e, LESDE_FAIL, "out of memory");
        goto done;
    }
    for (int i = 0, off = 0; i < CNN_NUM_TENSORS; i++) {
        cnn_tensor ts = cnn_get_tensor(net, i);
        memcpy(out->init_params + off, ts.data, sizeof(double) * ts.size);
        off += (int)ts.size;
    }

    double t0 = log_now();
    int c = 0, s = 0, v = 0, r = 0;
    for (long it = 0;; it++) {
        /* checkpoints: the state after `it` steps; both schedules end at T */
        if (c < out->C && it == out->t[c]) {
            cnn_infer(net, probe_x, np, logits);
            summarise(logits, probe_lab, np, K, out->xbar_probe + (size_t)c * K * K,
                      &out->probe_loss[c], &out->probe_acc[c]);
            if (s < out->S && out->snap_c[s] == c)
                memcpy(out->snap_logits + (size_t)s++ * np * K, logits,
                       sizeof(double) * np * K);
            c++;
        }
        if (v < out->V && it == out->val_t[v]) {
            cnn_infer(net, va.x, nv, logits);
            summarise(logits, va.label, nv, K, out->xbar_val + (size_t)v * K * K,
                      &out->val_loss[v], &out->val_acc[v]);
            v++;
        }
        if (r < out->R && it == out->ref_t[r]) {
            double loss, acc; /* the window wants the means alone */
            cnn_infer(net, probe_x, np, logits);
            summarise(logits, probe_lab, np, K, out->xbar_ref + (size_t)r++ * K * K, &loss, &acc);
        }
        if (c == out->C && v == out->V && r == out->R)
            break;
        int i = (int)gsl_rng_uniform_int(sgd, (unsigned long)tr.n);
        out->sample_index[it] = i;
        double loss =
            cnn_train_step_nograd(net, tr.x + (size_t)i * img, tr.train_label[i], cfg->lr);
        if (!(loss <= DIVERGED_LOSS)) { /* also true for NaN */
            rc = err_set(e, LESDE_FAIL, "diverged at iteration %ld (loss %g, lr %g)",
                         it + 1, loss, cfg->lr);
            goto done;
        }
        if (cfg->poll && (it % POLL_EVERY) == 0 && cfg->poll(cfg->poll_ctx, it)) {
            rc = err_set(e, LESDE_INTERRUPTED, "abandoned at iteration %ld", it);
            goto done;
        }
    }
    out->train_seconds = log_now() - t0;
    out->final_val_acc = train_final_mean(out->val_t, out->val_acc, out->V);
    out->final_val_loss = train_final_mean(out->val_t, out->val_loss, out->V);

    if (cfg->fit) {
        t0 = log_now();
        double *tt = malloc(sizeof *tt * (size_t)(out->C + out->R));
        if (!tt) {
            rc = err_set(e, LESDE_FAIL, "out of memory");
            goto done;
        }
        for (int k = 0; k < out->C; k++)
            tt[k] = (double)out->t[k];
        le_fit_opts fo = cfg->fit_opts;
        fo.seed = cfg->seed; /* the reference method's noise: the task's own stream */
        for (int k = 0; k < out->R; k++)
            tt[out->C + k] = (double)out->ref_t[k];
        le_ref_records ref = {out->R, tt + out->C, out->xbar_ref};
        rc = le_fit(tt, out->C, out->xbar_probe, K, K, &ref, &fo, &out->fit, e);
        free(tt);
        if (rc) /* its message says "LE fit: " */
            goto done;
        out->snap_measures = calloc(out->S ? out->S : 1, sizeof(le_sample_measures));
        out->snap_clean = calloc(out->S ? out->S : 1, sizeof(le_sample_measures));
        if (!out->snap_measures || !out->snap_clean) {
            rc = err_set(e, LESDE_FAIL, "out of memory");
            goto done;
        }
        for (int k = 0; k < out->S; k++) {
            /* By training label (what SGD separates) and by clean label (what
             * generalises): with pollution only the second can be separable
             * unless the network memorises the flipped labels. */
            const double *x = out->snap_logits + (size_t)k * np * K;
            rc = le_measure_samples(x, probe_lab, np, K, K, &out->snap_measures[k], e);
            if (!rc)
                rc = le_measure_samples(x, out->probe_clean, np, K, K, &out->snap_clean[k], e);
            if (rc) {
                err_prefix(e, "separability at snapshot %d", k);
                goto done;
            }
        }
        out->fitted = 1;
        out->fit_seconds = log_now() - t0;
    }
    if (cfg->save_data) {
        out->train = tr;
        out->val = va;
        memset(&tr, 0, sizeof tr);
        memset(&va, 0, sizeof va);
    }

done:
    free(ckpt);
    free(probe_x);
    free(logits);
    if (sgd)
        gsl_rng_free(sgd);
    cnn_free(net);
    data_free(&tr);
    data_free(&va);
    if (rc)
        train_result_free(out);
    return rc;
}

void train_result_free(train_result *r)
{
    free(r->t);
    free(r->val_t);
    free(r->ref_t);
    free(r->xbar_ref);
    free(r->xbar_probe);
    free(r->xbar_val);
    free(r->probe_loss);
    free(r->probe_acc);
    free(r->val_loss);
    free(r->val_acc);
    free(r->snap_c);
    free(r->snap_logits);
    free(r->probe_index);
    free(r->probe_label);
    free(r->probe_clean);
    free(r->sample_index);
    free(r->init_params);
    free(r->snap_measures);
    free(r->snap_clean);
    if (r->fitted)
        le_fit_free(&r->fit);
    data_free(&r->train);
    data_free(&r->val);
    memset(r, 0, sizeof *r);
}
