/* layers: the CNN's layers as pairs of plain forward / backward functions,
 * built once per instruction set and picked at run time.
 *
 * Training (batch 1): activations are channels-last ([H][W][C]) so that one
 * SIMD vector holds the output channels of a pixel (conv forward) and one
 * kernel row of a patch is contiguous (conv backward). Conv outputs carry
 * their channels padded to a multiple of NN_LANES (the padding lanes hold 0).
 * Batched inference: NL = lanes samples side by side in the last dimension
 * ("lane layout", [..][NL]), so every layer fills whole vectors whatever its
 * channel count, and each sample's arithmetic is that of a scalar loop.
 * Parameters stay in PyTorch's layout; conv_pack derives what the conv
 * kernels read. Everything is float64; nothing here allocates.
 *
 * The kernels (layers.c, lanes.c) are compiled once per path: "avx512"
 * (x86-64-v4), "avx2" (x86-64-v3, FMA) and "c" (baseline x86-64, or the
 * target's default elsewhere). avx512 and avx2 run the same sums in the same
 * order with the same fused multiply-adds, so they give the same bytes; c has
 * no FMA, so its last bits differ. */
#ifndef LESDE_NN_LAYERS_H
#define LESDE_NN_LAYERS_H

#include <stddef.h>

#define NN_LANES 8  /* doubles per padded channel group (one 512-bit vector) */
#define NN_MAX_NL 8 /* the most samples a path puts side by side */

/* n rounded up to a multiple of NN_LANES. */
static inline int nn_pad(int n)
{
    return (n + NN_LANES - 1) / NN_LANES * NN_LANES;
}

/* Scratch doubles conv_backward needs (H x W x C input, OC maps, K x K
 * kernel): the dw accumulators [OC][K][RP], a padded patch [K][RP], OC sums,
 * then two lists of the non-zero entries of dout (n = OH OW positions x OC:
 * a double and an int per entry in each) and n + OC counts. */
static inline size_t conv_work_size(int H, int W, int C, int OC, int K)
{
    size_t n = (size_t)(H - K + 1) * (W - K + 1), ints = 2 * n * OC + n + OC;
    return (size_t)(OC + 1) * K * nn_pad(K * C) + OC + 2 * n * OC +
           (ints * sizeof(int) + sizeof(double) - 1) / sizeof(double);
}

/* Doubles of wino_pool_lanes' scratch for C input channels, PW pool
 * windows a row and OC output channels: 6 transformed input rows (its
 * PW / 2 quads' [8 points][C][PW / 2][NL], an odd pair's [6][C][NL]), then
 * one window row's sums [2][2][PW][OC][NL]. */
#define WINO_WORK(C, PW, OC)                                                                       \
    ((size_t)(6 * (C) * (8 * ((PW) / 2) + 6 * ((PW) % 2)) + 4 * (OC) * (PW)) * NN_MAX_NL)
/* Doubles of wino_pack's weights: F(4,5)'s [8][5][C][OC], F(2,5)'s [6][5][C][OC] */
#define WINO_PACKED(C, OC) ((size_t)14 * 5 * (C) * (OC))

typedef struct nn_kernels {
    const char *name; /* "avx512", "avx2", "c" */
    int lanes;        /* NL: samples side by side in the lane layout */

    /* ---- conv: KxK, stride 1, no padding; OH = H-K+1, OW = W-K+1, OCP = nn_pad(OC)
     *   w   [OC][C][K][K]   PyTorch's Conv2d weight
     *   b   [OC]
     *   wt  [K][K][C][OCP]  forward packing: per tap, a vector of output channels
     *   bp  [OCP]           the bias, zero padded
     *   wr  [OC][K][RP]     backward packing: per output channel and kernel row,
     *                       the (kx, c) taps, zero padded to RP = nn_pad(K*C)
     * conv_pack writes wt, bp, wr from w, b (wr may be NULL when no din is needed). */
    void (*conv_pack)(double *wt, double *bp, double *wr, const double *w, const double *b, int C,
                      int OC, int K);
    /* conv_unpack: w [OC][C][K][K] from wt (conv_pack's inverse). */
    void (*conv_unpack)(double *w, const double *wt, int C, int OC, int K);
    /* conv_sgd_packed: the SGD step w += a dw, b += a db taken on the packed
     * copies, straight from the dw accumulators conv_backward leaves at the
     * start of work (acc [OC][K][RP], then the patch [K][RP], then the db
     * sums [OC]; see conv_work_size): wt and wr (NULL: none) get
     * a * acc[oc][ky][kx*C + c] added to their entry of (oc, c, ky, kx), bp
     * and b get a * db; padding stays 0. Every entry is axpy's expression,
     * so wt, wr, bp end bitwise as conv_pack of the weights axpy would
     * update, without the transposes (w is then stale: conv_unpack). */
    void (*conv_sgd_packed)(double *wt, double *bp, double *wr, double *b, const double *work,
                            int C, int OC, int K, double a);
    /*   in  [H][W][C]
     *   out [OH][OW][OCP]   (lanes >= OC are 0)
     * Each output is bp, then + in * w over the taps in the order (ky, kx, c). */
    void (*conv_forward)(double *out, const double *in, const double *wt, const double *bp, int H,
                         int W, int C, int OC, int K);
    /*   dout [OH][OW][OCP]  (lanes >= OC ignored); zero entries cost nothing,
     *                       which is what makes it fast behind a max-pool
     *   in   [H][W][C]      the forward input
     *   wr   [OC][K][RP]    from conv_pack (NULL when din is NULL)
     *   dw   [OC][C][K][K]  overwritten; db [OC] overwritten (both NULL: the
     *                       sums are left in work only, for conv_sgd_packed)
     *   din  [H][W][C]      overwritten, or NULL (not needed for the first layer)
     *   work [conv_work_size(H, W, C, OC, K)] */
    void (*conv_backward)(double *dw, double *db, double *din, const double *dout, const double *in,
                          const double *wr, int H, int W, int C, int OC, int K, double *work);
    /* conv_backward of dout = maxpool_backward(dpool, idx), without building
     * dout: the non-zero entries come straight from the pool (OH, OW even).
     *   dpool [OH/2][OW/2][OC], idx [OH/2][OW/2][OC] from maxpool_forward of
     *   the conv's out [OH][OW][OCP] (CS = OCP)
     * In the model the pool comes before the ReLU (they commute) and the
     * ReLU's mask is applied to dpool first. */
    void (*conv_backward_pooled)(double *dw, double *db, double *din, const double *dpool,
                                 const int *idx, const double *in, const double *wr, int H, int W,
                                 int C, int OC, int K, double *work);

    /* conv_pool_forward: relu(maxpool 2x2(conv(in))) and the pool's argmax,
     * OH and OW even, without the conv output in memory
     *   in [H][W][C], wt, bp from conv_pack
     *   out [OH/2][OW/2][OC], idx [OH/2][OW/2][OC] as maxpool_forward's (CS = OCP)
     * followed by relu_forward would give them: the same sums, the same bits.
     * NULL on a path without the registers for it (c). */
    void (*conv_pool_forward)(double *out, int *idx, const double *in, const double *wt,
                              const double *bp, int H, int W, int C, int OC, int K);

    /* ---- maxpool 2x2, stride 2 (H, W even)
     *   in  [H][W][CS]       channels C <= CS used (CS: a conv's padded stride;
     *                        lanes C..CS-1 may be read, must be readable)
     *   out [H/2][W/2][C]
     *   idx [H/2][W/2][C]    where the max is in its window: 0 1 / 2 3 (row-major);
     *                        ties: the first, as PyTorch; a NaN wins, as there.
     *                        May be NULL. */
    void (*maxpool_forward)(double *out, int *idx, const double *in, int H, int W, int C, int CS);
    /*   dout [H/2][W/2][C] -> din [H][W][CS] (overwritten: dout at idx, 0 elsewhere) */
    void (*maxpool_backward)(double *din, const double *dout, const int *idx, int H, int W, int C,
                             int CS);

    /* ---- dense (PyTorch's Linear)
     *   in [NI], w [NO][NI], b [NO] -> out [NO] = w in + b */
    void (*dense_forward)(double *out, const double *in, const double *w, const double *b, int NI,
                          int NO);
    /*   dout [NO], in [NI], w [NO][NI] -> dw [NO][NI] = dout in^T, db [NO] = dout
     *   (both overwritten), din [NI] = w^T dout (overwritten; NULL: skipped)
     *   zero_rows [NO]: NULL, or a memo kept with dw: zero_rows[o] != 0 says
     *   row o of dw holds zeros already, so a zero dout[o] need not rewrite it
     *   (zero it together with dw; nothing else may write dw). */
    void (*dense_backward)(double *dw, double *db, double *din, const double *dout,
                           const double *in, const double *w, int NI, int NO,
                           unsigned char *zero_rows);
    /* dense_backward, then the SGD step w -= lr dw, b -= lr db, fused (see
     * layers.c); bitwise the same as dense_backward followed by axpy.
     * dw, db NULL: the step is taken, the gradient not kept. */
    void (*dense_backward_sgd)(double *dw, double *db, double *din, double *w, double *b,
                               const double *dout, const double *in, int NI, int NO, double lr,
                               unsigned char *zero_rows);

    /* ---- relu
     *   x [n] -> out [n] = max(x, 0) (out may be x; NaN stays NaN, as PyTorch) */
    void (*relu_forward)(double *out, const double *x, int n);
    /*   din [n] = dout where out > 0, else 0 (din may be dout; as PyTorch,
     *   the gradient at exactly 0 is 0) */
    void (*relu_backward)(double *din, const double *dout, const double *out, int n);

    /* ---- softmax cross-entropy
     *   logits [K] -> probs [K]; returns -log probs[label] (0 if label < 0) */
    double (*softmax_ce_forward)(double *probs, const double *logits, int K, int label);
    /*   dlogits [K] = probs - onehot(label) */
    void (*softmax_ce_backward)(double *dlogits, const double *probs, int K, int label);

    /* ---- layout and vector helpers
     * hwc_from_chw: x [C][HW] -> out [HW][C] (the input image; the flatten
     * before fc1 goes the other way). */
    void (*hwc_from_chw)(double *out, const double *x, int C, int HW);
    void (*chw_from_hwc)(double *out, const double *x, int C, int HW);
    /* y += a x (n doubles); the SGD step with a = -lr */
    void (*axpy)(double *y, double a, const double *x, size_t n);

    /* ---- lane layout (batched inference, lanes.c); NL = lanes
     * lanes_in: n <= NL samples x [n][C][HW] -> out [HW][C][NL]; lanes n..NL-1
     * are 0 (their results are never read). */
    void (*lanes_in)(double *out, const double *x, int n, int C, int HW);
    /* conv_pool_lanes: relu(maxpool 2x2(conv(in))), OH and OW even
     *   in  [H][W][C][NL]
     *   wt, bp from conv_pack
     *   out [OH/2][OW/2][OC][NL] (chw = 0) or [OC][OH/2][OW/2][NL] (chw = 1:
     *       PyTorch's flatten order, for the dense layer after it)
     * Per sample the conv sums are conv_forward's, the pool and ReLU are
     * maxpool_forward's and relu_forward's. */
    void (*conv_pool_lanes)(double *out, const double *in, const double *wt, const double *bp,
                            int H, int W, int C, int OC, int K, int chw);
    /* wino_pack: w [OC][C][5][5] (PyTorch's) -> u [WINO_PACKED(C, OC)], the
     * weights wino_pool_lanes reads */
    void (*wino_pack)(double *u, const double *w, int C, int OC);
    /* wino_pool_lanes: conv_pool_lanes for 5x5 kernels by Winograd's
     * transforms along rows (lanes.c): F(4,5) four outputs at a time, F(2,5)
     * for an odd last pair; 55-60% fewer multiply-adds, plus transforms
     *   u    from wino_pack
     *   work [WINO_WORK(C, OW / 2, OC)] scratch
     * Per sample conv_forward's conv up to rounding (~1e-14 relative: its
     * sums are taken another way), then the same pool and ReLU. */
    void (*wino_pool_lanes)(double *out, const double *in, const double *u, const double *b,
                            double *work, int H, int W, int C, int OC, int chw);
    /* dense_lanes: in [G][NI][NL], w [NO][NI], b [NO] -> out [G][NO][NL],
     * each (sum over i in order of w[o][i] in[i]) + b[o], ReLU'd if relu. */
    void (*dense_lanes)(double *out, const double *in, const double *w, const double *b, int G,
                        int NI, int NO, int relu);
    /* lanes_out: in [G][K][NL] -> out [n][K], the first n samples (n <= G NL) */
    void (*lanes_out)(double *out, const double *in, int n, int K);

    /* ---- the bound (lesde bench)
     * fma_loop: n rounds of independent multiply-adds of native vectors and
     * nothing else: what this path's arithmetic reaches on this core, the
     * bound its layers are measured against. Returns the flops done (2 per
     * multiply-add and lane); *sink keeps the results live. */
    double (*fma_loop)(long n, double *sink);
} nn_kernels;

/* The path called name ("avx512", "avx2", "c"), or NULL when it is not
 * built in or this CPU cannot run it. */
const nn_kernels *nn_kernels_get(const char *name);
/* The path new networks use: LESDE_KERNELS when it names a usable path,
 * otherwise the fastest this CPU runs (avx512, avx2, c). */
const nn_kernels *nn_kernels_default(void);
/* The CPU, for benchmark records: "AMD EPYC (family 25, model 17)" on
 * x86 (cpuid's brand string, family and model), else "unknown". */
void nn_cpu_name(char *buf, size_t len);
/* Checks LESDE_KERNELS: 0 when unset or usable, else -1 with a one-line
 * reason in msg (for the CLI, which refuses to run on a bad value). */
int nn_kernels_check_env(char *msg, size_t len);

#endif
