/* cnn: the model of cnn.h, wired from the layers of layers.h.
 *
 * One 64-byte-aligned arena holds everything the model needs: parameters
 * and gradients (each contiguous, tensor after tensor, so SGD is one axpy),
 * packed conv weights, activations and their gradients, conv scratch and
 * the inference buffers. cnn_create sizes it once; nothing else allocates. */
#include "nn/cnn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "nn/layers.h"

/* Fixed geometry (le-sde.md section 8). */
enum {
    IMG = 32, /* input side */
    KS = 5,   /* conv kernel side */
    C1 = 6,
    C1P = 8,           /* conv1 maps, padded to the vector width */
    A1 = IMG - KS + 1, /* 28: conv1 output side */
    P1 = A1 / 2,       /* 14 */
    C2 = 16,
    A2 = P1 - KS + 1,    /* 10 */
    P2 = A2 / 2,         /* 5 */
    FLAT = C2 * P2 * P2, /* 400 */
    F1 = 120,
    F2 = 84,
    INFER_CHUNK = 64 /* samples per batch of the dense layers in cnn_infer
                      * (a multiple of every path's lane count) */
};

/* Activation buffers of one sample's conv stack (training and inference
 * each have their own). Channels-last, see layers.h. */
typedef struct {
    double *x;    /* [32][32][c] */
    double *a1;   /* [28][28][8] conv1 (padded channels) */
    double *p1;   /* [14][14][6] pooled, ReLU */
    double *a2;   /* [10][10][16] conv2 */
    double *p2;   /* [5][5][16] pooled, ReLU */
    int *i1, *i2; /* pool argmax (training only; NULL for inference) */
} conv_acts;

/* Packed conv weights (layers.h: conv_pack). */
typedef struct {
    double *w1t, *b1p, *w2t, *b2p, *w2r;
} conv_packed;

struct cnn {
    const nn_kernels *kern; /* the kernel path (layers.h) */
    int c, k;
    size_t nparams;
    cnn_tensor t[CNN_NUM_TENSORS];
    double *params, *grads;
    conv_packed pk; /* training */
    /* Training steps take the conv layers' SGD step on pk itself
     * (conv_sgd_packed), so it need not be repacked every step:
     * pk_fresh: pk holds the current conv parameters;
     * conv_lag: the conv weights in params lag behind pk (sync_params copies
     * them back before anything reads or hands out params). */
    int pk_fresh, conv_lag;
    conv_acts act;
    double *flat, *h1, *h2, *logits, *probs;         /* forward */
    double *dlogits, *dh2, *dh1, *dflat, *dp2, *dp1; /* backward */
    double *work;
    /* dense_backward's memo of the rows of dw known to be zero
     * (fc1 [120], fc2 [84], fc3 [k]); all 0 = nothing known */
    unsigned char *zr1, *zr2, *zr3;
    /* inference, lane layout (layers.h), G = INFER_CHUNK / NL groups:
     * lx [32][32][c][NL], lp1 [14][14][6][NL], lflat [G][400][NL],
     * lh1 [G][120][NL], lh2 [G][84][NL], lz [G][k][NL];
     * conv1's weights as conv_pack gives them (lw1t, lb1p), conv2's as
     * wino_pack does (lu2), wino_pool_lanes' scratch lwork */
    double *lx, *lp1, *lflat, *lh1, *lh2, *lz, *lw1t, *lb1p, *lu2, *lwork;
    void *arena;
};

enum { T_C1W, T_C1B, T_C2W, T_C2B, T_F1W, T_F1B, T_F2W, T_F2B, T_F3W, T_F3B };

/* Bump allocator over the arena: every block 64-byte aligned. A first pass
 * with base NULL only measures. */
typedef struct {
    char *base;
    size_t off;
} bump;

static void *take(bump *b, size_t bytes)
{
    void *p = b->base ? b->base + b->off : NULL;
    b->off += (bytes + 63) / 64 * 64;
    return p;
}
#define TAKE_D(b, n) ((double *)take((b), sizeof(double) * (size_t)(n)))
#define TAKE_I(b, n) ((int *)take((b), sizeof(int) * (size_t)(n)))

static void carve_acts(bump *b, conv_acts *a, int c, int with_idx)
{
    a->x = TAKE_D(b, IMG * IMG * c);
    a->a1 = TAKE_D(b, A1 * A1 * C1P);
    a->p1 = TAKE_D(b, P1 * P1 * C1);
    a->a2 = TAKE_D(b, A2 * A2 * C2);
    a->p2 = TAKE_D(b, P2 * P2 * C2);
    a->i1 = with_idx ? TAKE_I(b, P1 * P1 * C1) : NULL;
    a->i2 = with_idx ? TAKE_I(b, P2 * P2 * C2) : NULL;
}

static void carve_packed(bump *b, conv_packed *p, int c, int with_wr)
{
    p->w1t = TAKE_D(b, KS * KS * c * C1P);
    p->b1p = TAKE_D(b, C1P);
    p->w2t = TAKE_D(b, KS * KS * C1 * C2);
    p->b2p = TAKE_D(b, C2);
    p->w2r = with_wr ? TAKE_D(b, C2 * KS * nn_pad(KS * C1)) : NULL;
}

static void carve(bump *b, cnn *n)
{
    /* Shifted so that fc1's rows (400 doubles: 50 cache lines) start on a
     * line: its kernels stream them 8 doubles a load, and loads and stores
     * across two lines cost twice (-8% a training step with 1 channel,
     * where fc1 would sit 32 bytes off). */
    size_t f1_off = 0;
    for (int i = 0; i < T_F1W; i++)
        f1_off += n->t[i].size;
    size_t shift = (8 - f1_off % 8) % 8;
    n->params = TAKE_D(b, n->nparams + shift);
    n->grads = TAKE_D(b, n->nparams + shift);
    if (b->base)
        n->params += shift, n->grads += shift;
    carve_packed(b, &n->pk, n->c, 1);
    carve_acts(b, &n->act, n->c, 1);
    n->flat = TAKE_D(b, FLAT);
    n->h1 = TAKE_D(b, F1);
    n->h2 = TAKE_D(b, F2);
    n->logits = TAKE_D(b, n->k);
    n->probs = TAKE_D(b, n->k);
    n->dlogits = TAKE_D(b, n->k);
    n->dh2 = TAKE_D(b, F2);
    n->dh1 = TAKE_D(b, F1);
    n->dflat = TAKE_D(b, FLAT);
    n->dp2 = TAKE_D(b, FLAT);
    n->dp1 = TAKE_D(b, P1 * P1 * C1);
    size_t w1 = conv_work_size(IMG, IMG, n->c, C1, KS);
    size_t w2 = conv_work_size(P1, P1, C1, C2, KS);
    n->work = TAKE_D(b, w1 > w2 ? w1 : w2);
    n->zr1 = take(b, F1);
    n->zr2 = take(b, F2);
    n->zr3 = take(b, (size_t)n->k);
    n->lx = TAKE_D(b, IMG * IMG * n->c * NN_MAX_NL);
    n->lp1 = TAKE_D(b, P1 * P1 * C1 * NN_MAX_NL);
    n->lflat = TAKE_D(b, INFER_CHUNK * FLAT);
    n->lh1 = TAKE_D(b, INFER_CHUNK * F1);
    n->lh2 = TAKE_D(b, INFER_CHUNK * F2);
    n->lz = TAKE_D(b, INFER_CHUNK * n->k);
    n->lw1t = TAKE_D(b, KS * KS * n->c * C1P);
    n->lb1p = TAKE_D(b, C1P);
    n->lu2 = TAKE_D(b, WINO_PACKED(C1, C2));
    n->lwork = TAKE_D(b, WINO_WORK(C1, P2, C2));
}

cnn *cnn_create(int in_channels, int k)
{
    return cnn_create_on(in_channels, k, NULL);
}

cnn *cnn_create_on(int in_channels, int k, const char *kernels)
{
    const nn_kernels *kern = kernels ? nn_kernels_get(kernels) : nn_kernels_default();
    if (in_channels < 1 || in_channels > 64 || k < 2 || k > 4096 || !kern)
        return NULL;
    cnn *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kern = kern;
    n->c = in_channels;
    n->k = k;

    static const char *names[CNN_NUM_TENSORS] = {
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
        "fc1.bias",     "fc2.weight", "fc2.bias",     "fc3.weight", "fc3.bias"};
    const int shapes[CNN_NUM_TENSORS][4] = {{C1, in_channels, KS, KS},
                                            {C1},
                                            {C2, C1, KS, KS},
                                            {C2},
                                            {F1, FLAT},
                                            {F1},
                                            {F2, F1},
                                            {F2},
                                            {k, F2},
                                            {k}};
    const int ndims[CNN_NUM_TENSORS] = {4, 1, 4, 1, 2, 1, 2, 1, 2, 1};
    size_t total = 0;
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        cnn_tensor *t = &n->t[i];
        t->name = names[i];
        t->ndim = ndims[i];
        t->size = 1;
        for (int d = 0; d < t->ndim; d++) {
            t->shape[d] = shapes[i][d];
            t->size *= (size_t)shapes[i][d];
        }
        total += t->size;
    }
    n->nparams = total;

    bump b = {NULL, 0};
    carve(&b, n);
    size_t bytes = b.off;
    n->arena = mem_alloc_large(bytes);
    if (!n->arena) {
        free(n);
        return NULL;
    }
    /* Zeroed: the padded lanes and any never-written scratch read as 0. */
    memset(n->arena, 0, bytes);
    b = (bump){n->arena, 0};
    carve(&b, n);

    size_t off = 0;
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        n->t[i].data = n->params + off;
        n->t[i].grad = n->grads + off;
        off += n->t[i].size;
    }
    return n;
}

void cnn_free(cnn *net)
{
    if (!net)
        return;
    free(net->arena);
    free(net);
}

const char *cnn_kernels(const cnn *net)
{
    return net->kern->name;
}

const char *cnn_kernel_name(void)
{
    const nn_kernels *k = nn_kernels_default();
    return k ? k->name : "none";
}

int cnn_classes(const cnn *net)
{
    return net->k;
}
int cnn_channels(const cnn *net)
{
    return net->c;
}
size_t cnn_num_params(const cnn *net)
{
    return net->nparams;
}

/* params' conv weights from pk, where training steps left them behind. */
static void sync_params(cnn *n)
{
    if (!n->conv_lag)
        return;
    n->kern->conv_unpack(n->t[T_C1W].data, n->pk.w1t, n->c, C1, KS);
    n->kern->conv_unpack(n->t[T_C2W].data, n->pk.w2t, C1, C2, KS);
    n->conv_lag = 0;
}

/* The caller may write the parameters from here on. */
static void hand_out(cnn *n)
{
    sync_params(n);
    n->pk_fresh = 0;
}

cnn_tensor cnn_get_tensor(cnn *net, int i)
{
    if (i < 0 || i >= CNN_NUM_TENSORS) {
        cnn_tensor none = {0};
        return none;
    }
    hand_out(net);
    return net->t[i];
}

double *cnn_params(cnn *net)
{
    hand_out(net);
    return net->params;
}
double *cnn_grads(cnn *net)
{
    return net->grads;
}

void cnn_init(cnn *net, uint64_t seed)
{
    gsl_rng *r = rng_stream(seed, RNG_INIT, 0);
    if (!r)
        return;
    net->conv_lag = net->pk_fresh = 0;
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        /* fan_in of a weight: everything but its first dimension; a bias
         * uses its weight's (the tensor just before it). */
        const cnn_tensor *w = &net->t[i & ~1];
        double fan_in = (double)(w->size / (size_t)w->shape[0]);
        double bound = 1.0 / sqrt(fan_in);
        const cnn_tensor *t = &net->t[i];
        for (size_t j = 0; j < t->size; j++)
            t->data[j] = bound * (2.0 * gsl_rng_uniform(r) - 1.0);
    }
    gsl_rng_free(r);
}

/* Conv stack of one sample: x [c][32][32] -> a->p2 [5][5][16] (ReLU'd). */
static void conv_stack(cnn *n, const conv_packed *pk, conv_acts *a, const double *x)
{
    const nn_kernels *L = n->kern;
    L->hwc_from_chw(a->x, x, n->c, IMG * IMG);
    if (L->conv_pool_forward) { /* the same values, no conv output in memory */
        L->conv_pool_forward(a->p1, a->i1, a->x, pk->w1t, pk->b1p, IMG, IMG, n->c, C1, KS);
        L->conv_pool_forward(a->p2, a->i2, a->p1, pk->w2t, pk->b2p, P1, P1, C1, C2, KS);
        return;
    }
    L->conv_forward(a->a1, a->x, pk->w1t, pk->b1p, IMG, IMG, n->c, C1, KS);
    /* Pool before ReLU: the two commute (max is monotone), and ReLU then
     * touches a quarter of the values. Where a window is all <= 0 the
     * gradient is 0 either way. */
    L->maxpool_forward(a->p1, a->i1, a->a1, A1, A1, C1, C1P);
    L->relu_forward(a->p1, a->p1, P1 * P1 * C1);
    L->conv_forward(a->a2, a->p1, pk->w2t, pk->b2p, P1, P1, C1, C2, KS);
    L->maxpool_forward(a->p2, a->i2, a->a2, A2, A2, C2, C2);
    L->relu_forward(a->p2, a->p2, FLAT);
}

static void pack(cnn *n, conv_packed *pk)
{
    const nn_kernels *L = n->kern;
    L->conv_pack(pk->w1t, pk->b1p, NULL, n->t[T_C1W].data, n->t[T_C1B].data, n->c, C1, KS);
    L->conv_pack(pk->w2t, pk->b2p, pk->w2r, n->t[T_C2W].data, n->t[T_C2B].data, C1, C2, KS);
}

/* The forward pass on pk (packed first unless fresh). */
static double forward(cnn *n, const double *x, int label)
{
    const nn_kernels *L = n->kern;
    if (!n->pk_fresh) {
        sync_params(n);
        pack(n, &n->pk);
        n->pk_fresh = 1;
    }
    conv_stack(n, &n->pk, &n->act, x);
    /* PyTorch's x.view(-1, 400) flattens [16][5][5]. */
    L->chw_from_hwc(n->flat, n->act.p2, C2, P2 * P2);
    L->dense_forward(n->h1, n->flat, n->t[T_F1W].data, n->t[T_F1B].data, FLAT, F1);
    L->relu_forward(n->h1, n->h1, F1);
    L->dense_forward(n->h2, n->h1, n->t[T_F2W].data, n->t[T_F2B].data, F1, F2);
    L->relu_forward(n->h2, n->h2, F2);
    L->dense_forward(n->logits, n->h2, n->t[T_F3W].data, n->t[T_F3B].data, F2, n->k);
    return L->softmax_ce_forward(n->probs, n->logits, n->k, label);
}

double cnn_forward(cnn *net, const double *x, int label)
{
    /* Repacked every call: the parameters may have been written through
     * cnn_params or cnn_get_tensor since the last. */
    net->pk_fresh = 0;
    return forward(net, x, label);
}

const double *cnn_logits(const cnn *net)
{
    return net->logits;
}
const double *cnn_probs(const cnn *net)
{
    return net->probs;
}

/* Backward pass; with lr > 0 also the SGD step (cnn_train_step): the
 * dense layers update their parameters in the same pass that computes their
 * gradient (each weight is read for din before it is changed), the conv
 * layers at the end. keep = 0 (cnn_train_step_nograd): the dense layers'
 * gradients are applied, not stored. */
static void backward(cnn *n, int label, double lr, int keep)
{
    const nn_kernels *L = n->kern;
    conv_acts *a = &n->act;
    cnn_tensor *t = n->t;
    if (label < 0 || label >= n->k) {
        memset(n->grads, 0, sizeof(double) * n->nparams);
        memset(n->zr1, 0, F1);
        memset(n->zr2, 0, F2);
        memset(n->zr3, 0, (size_t)n->k);
        return;
    }
    L->softmax_ce_backward(n->dlogits, n->probs, n->k, label);
    if (lr > 0.0) {
#define GRAD(i) (keep ? t[i].grad : NULL)
        L->dense_backward_sgd(GRAD(T_F3W), GRAD(T_F3B), n->dh2, t[T_F3W].data, t[T_F3B].data,
                              n->dlogits, n->h2, F2, n->k, lr, n->zr3);
        L->relu_backward(n->dh2, n->dh2, n->h2, F2);
        L->dense_backward_sgd(GRAD(T_F2W), GRAD(T_F2B), n->dh1, t[T_F2W].data, t[T_F2B].data,
                              n->dh2, n->h1, F1, F2, lr, n->zr2);
        L->relu_backward(n->dh1, n->dh1, n->h1, F1);
        L->dense_backward_sgd(GRAD(T_F1W), GRAD(T_F1B), n->dflat, t[T_F1W].data, t[T_F1B].data,
                              n->dh1, n->flat, FLAT, F1, lr, n->zr1);
#undef GRAD
    } else {
        L->dense_backward(t[T_F3W].grad, t[T_F3B].grad, n->dh2, n->dlogits, n->h2, t[T_F3W].data,
                          F2, n->k, n->zr3);
        L->relu_backward(n->dh2, n->dh2, n->h2, F2);
        L->dense_backward(t[T_F2W].grad, t[T_F2B].grad, n->dh1, n->dh2, n->h1, t[T_F2W].data, F1,
                          F2, n->zr2);
        L->relu_backward(n->dh1, n->dh1, n->h1, F1);
        L->dense_backward(t[T_F1W].grad, t[T_F1B].grad, n->dflat, n->dh1, n->flat, t[T_F1W].data,
                          FLAT, F1, n->zr1);
    }
    L->hwc_from_chw(n->dp2, n->dflat, C2, P2 * P2);
    L->relu_backward(n->dp2, n->dp2, a->p2, FLAT);
    /* maxpool_backward + conv_backward in one: a pool passes at most one
     * gradient per window on, and conv_backward_pooled reads just those.
     * conv2's din uses the packed weights of the forward pass. */
    /* With lr > 0 each conv layer's SGD step is taken on the packed
     * weights from the sums its backward leaves in work (conv2's before
     * conv1's backward reuses work; its din has used the old weights). */
    int step = lr > 0.0;
    L->conv_backward_pooled(keep ? t[T_C2W].grad : NULL, keep ? t[T_C2B].grad : NULL, n->dp1,
                            n->dp2, a->i2, a->p1, n->pk.w2r, P1, P1, C1, C2, KS, n->work);
    if (step)
        L->conv_sgd_packed(n->pk.w2t, n->pk.b2p, n->pk.w2r, t[T_C2B].data, n->work, C1, C2, KS,
                           -lr);
    L->relu_backward(n->dp1, n->dp1, a->p1, P1 * P1 * C1);
    /* The input needs no gradient. */
    L->conv_backward_pooled(keep ? t[T_C1W].grad : NULL, keep ? t[T_C1B].grad : NULL, NULL, n->dp1,
                            a->i1, a->x, NULL, IMG, IMG, n->c, C1, KS, n->work);
    if (step) {
        L->conv_sgd_packed(n->pk.w1t, n->pk.b1p, NULL, t[T_C1B].data, n->work, n->c, C1, KS, -lr);
        n->conv_lag = 1;
    }
}

void cnn_backward(cnn *net, int label)
{
    backward(net, label, 0.0, 1);
}

void cnn_sgd(cnn *net, double lr)
{
    hand_out(net);
    net->kern->axpy(net->params, -lr, net->grads, net->nparams);
}

static double train_step(cnn *net, const double *x, int label, double lr, int keep)
{
    double loss = forward(net, x, label);
    if (lr > 0.0 && label >= 0 && label < net->k) {
        backward(net, label, lr, keep);
    } else { /* the plain path: lr <= 0 (or an unlabelled sample) */
        backward(net, label, 0.0, 1);
        cnn_sgd(net, lr);
    }
    return loss;
}

double cnn_train_step(cnn *net, const double *x, int label, double lr)
{
    return train_step(net, x, label, lr, 1);
}

double cnn_train_step_nograd(cnn *net, const double *x, int label, double lr)
{
    return train_step(net, x, label, lr, 0);
}

void cnn_infer(cnn *net, const double *x, int n, double *logits)
{
    cnn *m = net;
    const nn_kernels *L = m->kern;
    const int NL = L->lanes;
    size_t in_size = (size_t)m->c * IMG * IMG;
    sync_params(m);
    /* conv2 by Winograd's transforms (layers.h); conv1, with one input
     * channel, would spend more on them than they save */
    L->conv_pack(m->lw1t, m->lb1p, NULL, m->t[T_C1W].data, m->t[T_C1B].data, m->c, C1, KS);
    L->wino_pack(m->lu2, m->t[T_C2W].data, C1, C2);
    for (int s0 = 0; s0 < n; s0 += INFER_CHUNK) {
        int nb = n - s0 < INFER_CHUNK ? n - s0 : INFER_CHUNK;
        int ng = (nb + NL - 1) / NL;
        /* the conv stack, NL samples at a time, into lflat in PyTorch's
         * flatten order */
        for (int g = 0; g < ng; g++) {
            int in_group = nb - g * NL < NL ? nb - g * NL : NL;
            L->lanes_in(m->lx, x + (size_t)(s0 + g * NL) * in_size, in_group, m->c, IMG * IMG);
            L->conv_pool_lanes(m->lp1, m->lx, m->lw1t, m->lb1p, IMG, IMG, m->c, C1, KS, 0);
            L->wino_pool_lanes(m->lflat + (size_t)g * FLAT * NL, m->lp1, m->lu2, m->t[T_C2B].data,
                               m->lwork, P1, P1, C1, C2, 1);
        }
        /* The dense layers over the whole chunk: each weight is read once
         * per chunk, not once per sample. */
        L->dense_lanes(m->lh1, m->lflat, m->t[T_F1W].data, m->t[T_F1B].data, ng, FLAT, F1, 1);
        L->dense_lanes(m->lh2, m->lh1, m->t[T_F2W].data, m->t[T_F2B].data, ng, F1, F2, 1);
        L->dense_lanes(m->lz, m->lh2, m->t[T_F3W].data, m->t[T_F3B].data, ng, F2, m->k, 0);
        L->lanes_out(logits + (size_t)s0 * m->k, m->lz, nb, m->k);
    }
}

double cnn_forward_flops(const cnn *net)
{
    double macs = (double)C1 * A1 * A1 * KS * KS * net->c /* conv1 */
                  + (double)C2 * A2 * A2 * KS * KS * C1   /* conv2 */
                  + (double)FLAT * F1 + (double)F1 * F2 + (double)F2 * net->k;
    return 2.0 * macs;
}
