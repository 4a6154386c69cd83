/* layers: the CNN's layers as pairs of plain forward / backward functions.
 *
 * Activations are channels-last ([H][W][C]) so that one SIMD vector holds
 * the output channels of a pixel (conv forward) and one kernel row of a
 * patch is contiguous (conv backward). Conv outputs carry their channels
 * padded to a multiple of NN_LANES (the padding lanes hold 0).
 * Parameters stay in PyTorch's layout; conv_pack derives what the conv
 * kernels read. Everything is float64; nothing here allocates. */
#ifndef LESDE_NN_LAYERS_H
#define LESDE_NN_LAYERS_H

#include <stddef.h>

#define NN_LANES 8 /* doubles per SIMD vector (one 512-bit register) */

/* n rounded up to a multiple of NN_LANES. */
static inline int nn_pad(int n) { return (n + NN_LANES - 1) / NN_LANES * NN_LANES; }

/* ---- conv: KxK, stride 1, no padding; OH = H-K+1, OW = W-K+1, OCP = nn_pad(OC)
 *   w   [OC][C][K][K]   PyTorch's Conv2d weight
 *   b   [OC]
 *   wt  [K][K][C][OCP]  forward packing: per tap, a vector of output channels
 *   bp  [OCP]           the bias, zero padded
 *   wr  [OC][K][RP]     backward packing: per output channel and kernel row,
 *                       the (kx, c) taps, zero padded to RP = nn_pad(K*C)
 * conv_pack writes wt, bp, wr from w, b (wr may be NULL when no din is needed). */
void conv_pack(double *wt, double *bp, double *wr, const double *w,
               const double *b, int C, int OC, int K);

/*   in  [H][W][C]
 *   out [OH][OW][OCP]   (lanes >= OC are 0) */
void conv_forward(double *out, const double *in, const double *wt,
                  const double *bp, int H, int W, int C, int OC, int K);

/* Scratch doubles conv_backward needs. */
size_t conv_work_size(int H, int W, int C, int K);

/*   dout [OH][OW][OCP]  (lanes >= OC ignored); zero entries cost nothing,
 *                       which is what makes it fast behind a max-pool
 *   in   [H][W][C]      the forward input
 *   wr   [OC][K][RP]    from conv_pack (NULL when din is NULL)
 *   dw   [OC][C][K][K]  overwritten; db [OC] overwritten
 *   din  [H][W][C]      overwritten, or NULL (not needed for the first layer) */
void conv_backward(double *dw, double *db, double *din, const double *dout,
                   const double *in, const double *wr, int H, int W, int C,
                   int OC, int K, double *work);
/* conv_backward of dout = maxpool_backward(dpool, idx), without building
 * dout: the non-zero entries come straight from the pool (OH, OW even).
 *   dpool [OH/2][OW/2][OC], idx [OH/2][OW/2][OC] from maxpool_forward of
 *   the conv's out [OH][OW][OCP] (CS = OCP)
 * In the model the pool comes before the ReLU (they commute) and the
 * ReLU's mask is applied to dpool first. */
void conv_backward_pooled(double *dw, double *db, double *din,
                          const double *dpool, const int *idx,
                          const double *in, const double *wr, int H, int W,
                          int C, int OC, int K, double *work);

/* ---- maxpool 2x2, stride 2 (H, W even)
 *   in  [H][W][CS]       channels C <= CS used (CS: a conv's padded stride;
 *                        lanes C..CS-1 may be read, must be readable)
 *   out [H/2][W/2][C]
 *   idx [H/2][W/2][C]    where the max is in its window: 0 1 / 2 3 (row-major);
 *                        ties: the first, as PyTorch; a NaN wins, as there.
 *                        May be NULL. */
void maxpool_forward(double *out, int *idx, const double *in, int H, int W,
                     int C, int CS);
/*   dout [H/2][W/2][C] -> din [H][W][CS] (overwritten: dout at idx, 0 elsewhere) */
void maxpool_backward(double *din, const double *dout, const int *idx, int H,
                      int W, int C, int CS);

/* ---- dense (PyTorch's Linear)
 *   in [NI], w [NO][NI], b [NO] -> out [NO] = w in + b */
void dense_forward(double *out, const double *in, const double *w,
                   const double *b, int NI, int NO);
/*   dout [NO], in [NI], w [NO][NI] -> dw [NO][NI] = dout in^T, db [NO] = dout
 *   (both overwritten), din [NI] = w^T dout (overwritten; NULL: skipped)
 *   zero_rows [NO]: NULL, or a memo kept with dw: zero_rows[o] != 0 says
 *   row o of dw holds zeros already, so a zero dout[o] need not rewrite it
 *   (zero it together with dw; nothing else may write dw). */
void dense_backward(double *dw, double *db, double *din, const double *dout,
                    const double *in, const double *w, int NI, int NO,
                    unsigned char *zero_rows);
/* dense_backward, then the SGD step w -= lr dw, b -= lr db, fused (see
 * layers.c); bitwise the same as dense_backward followed by nn_axpy.
 * dw, db NULL: the step is taken, the gradient not kept. */
void dense_backward_sgd(double *dw, double *db, double *din, double *w,
                        double *b, const double *dout, const double *in,
                        int NI, int NO, double lr, unsigned char *zero_rows);
/* Batched (a register-tiled GEMM, see layers.c): in [n][NI] -> out [n][NO]. */
void dense_forward_batch(double *out, const double *in, const double *w,
                         const double *b, int n, int NI, int NO);

/* ---- relu
 *   x [n] -> out [n] = max(x, 0) (out may be x; NaN stays NaN, as PyTorch) */
void relu_forward(double *out, const double *x, int n);
/*   din [n] = dout where out > 0, else 0 (din may be dout; as PyTorch,
 *   the gradient at exactly 0 is 0) */
void relu_backward(double *din, const double *dout, const double *out, int n);

/* ---- softmax cross-entropy
 *   logits [K] -> probs [K]; returns -log probs[label] (0 if label < 0) */
double softmax_ce_forward(double *probs, const double *logits, int K,
                          int label);
/*   dlogits [K] = probs - onehot(label) */
void softmax_ce_backward(double *dlogits, const double *probs, int K,
                         int label);

/* ---- layout and vector helpers
 * hwc_from_chw: x [C][HW] -> out [HW][C] (the input image; the flatten
 * before fc1 goes the other way). */
void hwc_from_chw(double *out, const double *x, int C, int HW);
void chw_from_hwc(double *out, const double *x, int C, int HW);
/* y += a x (n doubles); the SGD step with a = -lr */
void nn_axpy(double *y, double a, const double *x, size_t n);

#endif
