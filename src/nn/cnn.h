/* cnn: the small convolutional network of le-sde.md section 8, float64.
 *
 *   x [c][32][32]
 *   -> conv1 5x5, 6 maps  [6][28][28] -> ReLU -> maxpool 2x2 [6][14][14]
 *   -> conv2 5x5, 16 maps [16][10][10] -> ReLU -> maxpool 2x2 [16][5][5]
 *   -> fc1 400 -> 120 -> ReLU -> fc2 120 -> 84 -> ReLU -> fc3 84 -> K logits
 *   -> softmax cross-entropy
 *
 * Parameters, gradients and activations live in buffers the model owns,
 * allocated once by cnn_create: a training step allocates nothing.
 * Parameter tensors are named and laid out as PyTorch's (conv weight
 * [out][in][5][5], linear weight [out][in]) so a run can be replayed there. */
#ifndef LESDE_NN_CNN_H
#define LESDE_NN_CNN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cnn cnn;

#define CNN_NUM_TENSORS 10 /* conv1.weight, conv1.bias, ..., fc3.bias */

typedef struct {
    const char *name; /* "conv1.weight", ... as in PyTorch */
    int ndim;
    int shape[4];
    size_t size;  /* product of the shape */
    double *data; /* the parameters */
    double *grad; /* their gradient after cnn_backward */
} cnn_tensor;

/* A network for in_channels x 32 x 32 inputs and k classes; NULL on bad
 * args (in_channels outside 1..64, k outside 2..4096) or out of memory.
 * The parameters are 0 until cnn_init. */
cnn *cnn_create(int in_channels, int k);
/* cnn_create on a given kernel path ("avx512", "avx2", "c"; NULL: the
 * default, see cnn_kernel_name); NULL also when this CPU cannot run it. */
cnn *cnn_create_on(int in_channels, int k, const char *kernels);
void cnn_free(cnn *net);

/* The kernel path new networks use: LESDE_KERNELS (avx512, avx2, c) when
 * set and usable here, otherwise the fastest this CPU runs. The paths give
 * the same results up to the last bits (avx512 and avx2: the same bytes;
 * c: no fused multiply-add); which one ran is part of a run's provenance. */
const char *cnn_kernel_name(void);
/* The path net runs on. */
const char *cnn_kernels(const cnn *net);

int cnn_classes(const cnn *net);
int cnn_channels(const cnn *net);
size_t cnn_num_params(const cnn *net);
/* Tensor i (0 <= i < CNN_NUM_TENSORS).
 * Training steps keep the conv weights in the layout their kernels read and
 * copy them back only when the parameters are asked for (here and in
 * cnn_params): take the pointers again after training steps, before
 * reading or writing the parameters through them. */
cnn_tensor cnn_get_tensor(cnn *net, int i);
/* All parameters [cnn_num_params], tensor after tensor in cnn_get_tensor
 * order (each tensor's data points into this block); likewise the grads.
 * For saving / restoring a model in one copy. The grads are the model's
 * output: read them, do not write them (it skips rewriting zero rows). */
double *cnn_params(cnn *net);
double *cnn_grads(cnn *net);

/* PyTorch's default initialisation of Conv2d / Linear: weights and biases
 * uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)], drawn tensor by tensor in
 * the order of cnn_get_tensor from stream (seed, RNG_INIT). */
void cnn_init(cnn *net, uint64_t seed);

/* Forward pass of one sample; keeps the activations for cnn_backward.
 * Returns the cross-entropy loss against label (label < 0: no loss, 0).
 * The logits [k] are readable through cnn_logits. */
double cnn_forward(cnn *net, const double *x, int label);
const double *cnn_logits(const cnn *net);
/* Softmax of the logits of the last cnn_forward [k]. */
const double *cnn_probs(const cnn *net);
/* Backward pass of the last cnn_forward: fills every tensor's grad.
 * label must be the forward's; outside [0, k) the grads are all 0. */
void cnn_backward(cnn *net, int label);
/* p -= lr * grad for every parameter. */
void cnn_sgd(cnn *net, double lr);
/* forward + backward + sgd; returns the loss before the step. */
double cnn_train_step(cnn *net, const double *x, int label, double lr);
/* cnn_train_step without keeping the gradient: the parameters end up
 * bitwise the same, but the tensors' grad are left unspecified. Writing
 * fc1's 48000-entry gradient out is a quarter of a step's time, so this is
 * the one for training loops that do not look at gradients. */
double cnn_train_step_nograd(cnn *net, const double *x, int label, double lr);

/* Batched inference: logits [n][k] of inputs x [n][c][32][32].
 * Uses its own buffers, not the training activations (sized once by
 * cnn_create: it works through x in chunks of 64 samples, several samples
 * side by side in each vector). Per sample cnn_forward's logits to ~1e-14:
 * conv1 takes the same sums, conv2 runs by Winograd's F(4,5) and F(2,5)
 * (56% fewer multiply-adds) and the dense layers add in another order. */
void cnn_infer(cnn *net, const double *x, int n, double *logits);

/* The same logits computed another way (src/nn/blas.c): the convs by
 * im2col, every layer one OpenBLAS cblas_dgemm over chunk (1..65536)
 * samples at a time, bias, ReLU and pooling in plain C. The comparison
 * lesde bench makes for the own kernels, and an independent check of
 * cnn_infer (to ~1e-13; for finite inputs: its pooling drops NaN).
 * *gemm_s (when not NULL): the seconds spent inside cblas_dgemm. Returns
 * LESDE_OK, LESDE_USAGE on bad arguments, LESDE_FAIL when out of memory. */
int cnn_infer_blas(cnn *net, const double *x, int n, int chunk, double *logits, double *gemm_s);

/* Floating-point operations of one forward pass, for GFLOP/s figures:
 * 2 flops per multiply-add of the conv and dense layers (bias adds, ReLU,
 * pooling and softmax, under 1% of the total, are not counted). Counted
 * for the direct conv: cnn_infer's conv2 does fewer, so its rate is an
 * effective one. */
double cnn_forward_flops(const cnn *net);

/* ---- benchmark (src/nn/bench.c) */
typedef struct {
    const char *kernels; /* the kernel path that ran (cnn_kernels) */
    int in_channels, k;
    int steps;                  /* timed training steps */
    int infer_n;                /* samples per timed cnn_infer call */
    double us_per_step;         /* median over blocks of steps, microseconds */
    double us_per_step_best;    /* fastest block */
    double us_per_step_cpu;     /* median of this thread's CPU time per step
                                 * (robust on a busy machine) */
    double us_per_step_nograd;  /* median, cnn_train_step_nograd */
    double infer_samples_per_s; /* cnn_infer throughput (fastest of 7 calls) */
    double infer_gflops;        /* the same in GFLOP/s (cnn_forward_flops) */
    double fma_peak_gflops;     /* the path's plain multiply-add loop (fastest
                                 * of 7): the bound of this core on this path */
    /* cnn_infer_blas on the same samples: OpenBLAS beside the kernels */
    const char *blas_config;  /* openblas_get_config(): version, core type */
    int blas_chunk;           /* its fastest chunk of 1, 4, 16, 64 samples */
    double blas_infer_gflops; /* the whole forward (fastest of 7 calls) */
    double blas_gemm_gflops;  /* its GEMMs alone: the time inside cblas_dgemm */
    double blas_max_diff;     /* max |logit difference| / max |logit| */
    /* fc1 alone of a training step on OpenBLAS (dgemv, dgemv^T, dger):
     * median microseconds, beside us_per_step_nograd's whole step */
    double blas_fc1_us_per_step;
} cnn_bench_result;

/* What cnn_bench measures: everything (lesde bench), or only what a
 * sweep's estimate needs (lesde sweep --dry-run): the step as a sweep
 * trains and cnn_infer; the other figures are then NaN (blas_config NULL,
 * blas_chunk 0). The OpenBLAS comparison alone took half a dry run. */
typedef enum { CNN_BENCH_ALL, CNN_BENCH_SWEEP } cnn_bench_what;

/* Times cnn_train_step (forward + backward + SGD, batch 1, lr 0.005) on
 * 64 random inputs and labels from a fixed seed, cycled, after a warm-up of
 * max(200, steps/10) steps, in blocks of 20 steps (wall clock and thread
 * CPU time per block; medians over the blocks), the same for
 * cnn_train_step_nograd, then cnn_infer on infer_n random samples, then
 * cnn_infer_blas on them (each chunk size tried 3 times, the fastest timed
 * as cnn_infer), then fc1's part of a step on OpenBLAS, then the path's
 * plain multiply-add loop (nn_kernels.fma_loop), the bound. Sets
 * OpenBLAS to one thread. Returns 0 (LESDE_OK), or LESDE_USAGE on bad
 * arguments, LESDE_FAIL when out of memory or the loss went NaN. */
int cnn_bench(int in_channels, int k, int steps, int infer_n, cnn_bench_what what,
              cnn_bench_result *out);
/* Prints r as "name value" lines, first "lesde_us_per_step <v>" (the
 * format bench/compare.sh reads, matching bench/torch_peer.py's
 * "torch_us_per_step <v>"), last "lesde_kernels <path>". */
void cnn_bench_print(FILE *f, const cnn_bench_result *r);

#endif
