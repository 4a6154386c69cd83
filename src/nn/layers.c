/* layers: forward / backward of each layer (shapes in layers.h and above
 * each function). The hot loops use GCC vector extensions: a vd8 is 8
 * doubles, one AVX-512 register here; on narrower machines the compiler
 * splits it, so the code stays portable. */
#include "nn/layers.h"

#include <math.h>
#include <string.h>

typedef double vd8 __attribute__((vector_size(64)));
typedef double vd4 __attribute__((vector_size(32)));
typedef long long vl8 __attribute__((vector_size(64))); /* compare results */
typedef int vi8 __attribute__((vector_size(32)));
/* Unaligned views of double arrays (like immintrin's __m512d_u). */
typedef double vd8u __attribute__((vector_size(64), aligned(8), may_alias));
typedef double vd4u __attribute__((vector_size(32), aligned(8), may_alias));

#define LD8(p) (*(const vd8u *)(p))
#define ST8(p, v) (*(vd8u *)(p) = (v))
#define LD4(p) (*(const vd4u *)(p))
#define ST4(p, v) (*(vd4u *)(p) = (v))

#define HSUM8(v) \
    ((((v)[0] + (v)[4]) + ((v)[1] + (v)[5])) + (((v)[2] + (v)[6]) + ((v)[3] + (v)[7])))

/* y[0..n) += a * x[0..n), exact length (no over-read or over-write). */
static inline void row_axpy(double *restrict y, double a,
                            const double *restrict x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        ST8(y + i, LD8(y + i) + a * LD8(x + i));
    if (i + 4 <= n) {
        ST4(y + i, LD4(y + i) + a * LD4(x + i));
        i += 4;
    }
    for (; i < n; i++)
        y[i] += a * x[i];
}

void nn_axpy(double *y, double a, const double *x, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        ST8(y + i, LD8(y + i) + a * LD8(x + i));
        ST8(y + i + 8, LD8(y + i + 8) + a * LD8(x + i + 8));
        ST8(y + i + 16, LD8(y + i + 16) + a * LD8(x + i + 16));
        ST8(y + i + 24, LD8(y + i + 24) + a * LD8(x + i + 24));
    }
    for (; i + 8 <= n; i += 8)
        ST8(y + i, LD8(y + i) + a * LD8(x + i));
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* ------------------------------------------------------------------ conv */

/* wt rows j = t*C + c: the OCP output channels' weights of tap (t, c),
 * zero padded. OCP is a constant at the calls below, so the gather of a
 * row unrolls into one vector (twice as fast as the generic loop). */
static inline __attribute__((always_inline)) void
pack_wt(double *restrict wt, const double *restrict w, int C, int OC, int KK,
        const int OCP)
{
    size_t n = (size_t)C * KK;
    double *dst = wt;
    for (int t = 0; t < KK; t++)
        for (int c = 0; c < C; c++, dst += OCP) {
            const double *src = w + (size_t)c * KK + t;
            double row[16];
            if (OC == OCP) {
#pragma GCC unroll 16
                for (int oc = 0; oc < OCP; oc++)
                    row[oc] = src[oc * n];
            } else {
#pragma GCC unroll 16
                for (int oc = 0; oc < OCP; oc++)
                    row[oc] = oc < OC ? src[oc * n] : 0.0;
            }
            memcpy(dst, row, sizeof(double) * OCP);
        }
}

static __attribute__((noinline)) void pack_wt8(double *wt, const double *w,
                                                int C, int OC, int KK)
{
    pack_wt(wt, w, C, OC, KK, 8);
}
static __attribute__((noinline)) void pack_wt16(double *wt, const double *w,
                                                 int C, int OC, int KK)
{
    pack_wt(wt, w, C, OC, KK, 16);
}

void conv_pack(double *wt, double *bp, double *wr, const double *w,
               const double *b, int C, int OC, int K)
{
    int OCP = nn_pad(OC), KK = K * K;
    /* wt [K][K][C][OCP] <- w [OC][C][K][K] */
    if (OCP == 8)
        pack_wt8(wt, w, C, OC, KK);
    else if (OCP == 16)
        pack_wt16(wt, w, C, OC, KK);
    else
        for (int t = 0; t < KK; t++)
            for (int c = 0; c < C; c++) {
                double *dst = wt + ((size_t)t * C + c) * OCP;
                for (int oc = 0; oc < OCP; oc++)
                    dst[oc] = oc < OC ? w[((size_t)oc * C + c) * KK + t] : 0.0;
            }
    for (int oc = 0; oc < OCP; oc++)
        bp[oc] = oc < OC ? b[oc] : 0.0;
    /* wr [OC][K][RP]: row ky of output channel oc holds taps (kx, c), zero
     * padded; read from wt, where they are one column (a plain strided
     * loop, faster than unpicking w's index) */
    if (wr) {
        int KC = K * C, RP = nn_pad(KC);
        for (int oc = 0; oc < OC; oc++)
            for (int ky = 0; ky < K; ky++) {
                double *dst = wr + ((size_t)oc * K + ky) * RP;
                const double *src = wt + (size_t)ky * KC * OCP + oc;
                for (int j = 0; j < KC; j++)
                    dst[j] = src[(size_t)j * OCP];
                for (int j = KC; j < RP; j++)
                    dst[j] = 0.0;
            }
    }
}

/* Output positions per register tile: 14 accumulators with one vector of
 * channels (conv1: a 28-wide row in two tiles), 20 with two (conv2: a
 * 10-wide row in one tile). Both leave room for the weight vectors. */
#define TILE_X1 14
#define TILE_X2 10

/* One tile: xb consecutive output pixels of one row times 16 (conv_tile2)
 * or 8 (conv_tile1) output channels, accumulated in registers over all
 * K*K*C taps: per tap, one or two weight vectors and xb broadcast inputs.
 * in points at the tile's top-left input pixel; out, wt, bp at the tile's
 * first channel. xb is a constant at every call, so the loops unroll and
 * the accumulators live in registers (kept as separate arrays without
 * conditionals: otherwise GCC spills the weight vectors). */
static inline __attribute__((always_inline)) void
conv_tile2(double *restrict out, const double *restrict in,
           const double *restrict wt, const double *restrict bp, int W, int C,
           int K, int OCP, const int xb)
{
    vd8 a0[TILE_X2], a1[TILE_X2];
    vd8 b0 = LD8(bp), b1 = LD8(bp + 8);
#pragma GCC unroll 16
    for (int i = 0; i < xb; i++) {
        a0[i] = b0;
        a1[i] = b1;
    }
    int KC = K * C;
    for (int ky = 0; ky < K; ky++) {
        /* Within a kernel row the taps (kx, c) are contiguous in a
         * channels-last input: tap t of pixel i is ip[i * C + t]. */
        const double *ip = in + (size_t)ky * W * C;
        const double *wp = wt + (size_t)ky * KC * OCP;
        for (int t = 0; t < KC; t++) {
            vd8 w0 = LD8(wp + (size_t)t * OCP);
            vd8 w1 = LD8(wp + (size_t)t * OCP + 8);
#pragma GCC unroll 16
            for (int i = 0; i < xb; i++) {
                double s = ip[i * C + t];
                a0[i] += s * w0;
                a1[i] += s * w1;
            }
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < xb; i++) {
        ST8(out + (size_t)i * OCP, a0[i]);
        ST8(out + (size_t)i * OCP + 8, a1[i]);
    }
}

static inline __attribute__((always_inline)) void
conv_tile1(double *restrict out, const double *restrict in,
           const double *restrict wt, const double *restrict bp, int W, int C,
           int K, int OCP, const int xb)
{
    vd8 a0[TILE_X1];
    vd8 b0 = LD8(bp);
#pragma GCC unroll 16
    for (int i = 0; i < xb; i++)
        a0[i] = b0;
    int KC = K * C;
    for (int ky = 0; ky < K; ky++) {
        const double *ip = in + (size_t)ky * W * C;
        const double *wp = wt + (size_t)ky * KC * OCP;
        for (int t = 0; t < KC; t++) {
            vd8 w0 = LD8(wp + (size_t)t * OCP);
#pragma GCC unroll 16
            for (int i = 0; i < xb; i++)
                a0[i] += ip[i * C + t] * w0;
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < xb; i++)
        ST8(out + (size_t)i * OCP, a0[i]);
}

/* Each instantiation a function of its own: inlined together into one
 * function, GCC's register allocator spills the weight vectors. */
#define CONV_TILE_FN(name, tile, xb)                                         \
    static __attribute__((noinline)) void name(                              \
        double *restrict out, const double *restrict in,                     \
        const double *restrict wt, const double *restrict bp, int W, int C,  \
        int K, int OCP)                                                      \
    {                                                                        \
        tile(out, in, wt, bp, W, C, K, OCP, xb);                             \
    }
CONV_TILE_FN(conv_tile2_wide, conv_tile2, TILE_X2)
CONV_TILE_FN(conv_tile2_one, conv_tile2, 1)
CONV_TILE_FN(conv_tile1_wide, conv_tile1, TILE_X1)
CONV_TILE_FN(conv_tile1_one, conv_tile1, 1)

/* conv_forward
 *   in  [H][W][C]
 *   wt  [K][K][C][OCP], bp [OCP]
 *   out [OH][OW][OCP] */
void conv_forward(double *out, const double *in, const double *wt,
                  const double *bp, int H, int W, int C, int OC, int K)
{
    int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
    for (int y = 0; y < OH; y++)
        for (int g = 0; g < OCP; g += 16) {
            double *o = out + (size_t)y * OW * OCP + g;
            const double *ip = in + (size_t)y * W * C;
            const double *w = wt + g, *b = bp + g;
            int x = 0;
            if (OCP - g >= 16) {
                for (; x + TILE_X2 <= OW; x += TILE_X2)
                    conv_tile2_wide(o + (size_t)x * OCP, ip + (size_t)x * C,
                                    w, b, W, C, K, OCP);
                for (; x < OW; x++)
                    conv_tile2_one(o + (size_t)x * OCP, ip + (size_t)x * C,
                                   w, b, W, C, K, OCP);
            } else {
                for (; x + TILE_X1 <= OW; x += TILE_X1)
                    conv_tile1_wide(o + (size_t)x * OCP, ip + (size_t)x * C,
                                    w, b, W, C, K, OCP);
                for (; x < OW; x++)
                    conv_tile1_one(o + (size_t)x * OCP, ip + (size_t)x * C,
                                   w, b, W, C, K, OCP);
            }
        }
}

size_t conv_work_size(int H, int W, int C, int K)
{
    size_t n = (size_t)(H - K + 1) * (W - K + 1);
    /* acc [K][RP], a padded patch [K][RP], then g [n] doubles and n ints */
    return 2 * (size_t)K * nn_pad(K * C) + n +
           (n * sizeof(int) + sizeof(double) - 1) / sizeof(double);
}

/* Backward kernels for K = 5 and nv vectors per kernel row (RP = 8 nv):
 * the whole [5][RP] weight gradient of one output channel stays in
 * registers while the non-zero entries of dout stream past. A row is read
 * and written RP wide: lanes past K*C read the neighbouring pixel (junk,
 * dropped) and add g * 0 (wr's zero padding) to it, so both only happen
 * where the padded row lies inside the buffer; near its end the patch is
 * copied into a zero-padded buffer / the exact-length path is taken. */
#define BK 5
static inline __attribute__((always_inline)) void
conv_bwd_dw(double *restrict acc, const double *restrict gl,
            const int *restrict ol, int m, const double *restrict in,
            size_t rowstride, size_t nin, int KC, double *restrict patch,
            const int nv)
{
    vd8 a[BK][4];
    int RP = 8 * nv;
#pragma GCC unroll 8
    for (int ky = 0; ky < BK; ky++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            a[ky][v] = (vd8){0};
    for (int j = 0; j < m; j++) {
        double g = gl[j];
        const double *p = in + ol[j];
        size_t rs = rowstride;
        if ((size_t)ol[j] + (BK - 1) * rowstride + RP > nin) {
            for (int ky = 0; ky < BK; ky++)
                for (int i = 0; i < RP; i++)
                    patch[ky * RP + i] = i < KC ? p[ky * rowstride + i] : 0.0;
            p = patch;
            rs = RP;
        }
#pragma GCC unroll 8
        for (int ky = 0; ky < BK; ky++)
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                a[ky][v] += g * LD8(p + ky * rs + 8 * v);
    }
#pragma GCC unroll 8
    for (int ky = 0; ky < BK; ky++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            ST8(acc + ky * RP + 8 * v, a[ky][v]);
}

static inline __attribute__((always_inline)) void
conv_bwd_din(double *restrict din, const double *restrict gl,
             const int *restrict ol, int m, const double *restrict wro,
             size_t rowstride, size_t nin, int KC, const int nv)
{
    vd8 w[BK][4];
    int RP = 8 * nv;
#pragma GCC unroll 8
    for (int ky = 0; ky < BK; ky++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            w[ky][v] = LD8(wro + ky * RP + 8 * v);
    for (int j = 0; j < m; j++) {
        double g = gl[j];
        double *d = din + ol[j];
        if ((size_t)ol[j] + (BK - 1) * rowstride + RP <= nin) {
#pragma GCC unroll 8
            for (int ky = 0; ky < BK; ky++)
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++)
                    ST8(d + ky * rowstride + 8 * v,
                        LD8(d + ky * rowstride + 8 * v) + g * w[ky][v]);
        } else {
            for (int ky = 0; ky < BK; ky++)
                row_axpy(d + ky * rowstride, g, wro + ky * RP, KC);
        }
    }
}

/* One function per nv (see CONV_TILE_FN). */
#define CONV_BWD_FNS(nv)                                                      \
    static __attribute__((noinline)) void conv_bwd_dw_##nv(                   \
        double *restrict acc, const double *restrict gl,                      \
        const int *restrict ol, int m, const double *restrict in,             \
        size_t rowstride, size_t nin, int KC, double *restrict patch)         \
    {                                                                         \
        conv_bwd_dw(acc, gl, ol, m, in, rowstride, nin, KC, patch, nv);       \
    }                                                                         \
    static __attribute__((noinline)) void conv_bwd_din_##nv(                  \
        double *restrict din, const double *restrict gl,                      \
        const int *restrict ol, int m, const double *restrict wro,            \
        size_t rowstride, size_t nin, int KC)                                 \
    {                                                                         \
        conv_bwd_din(din, gl, ol, m, wro, rowstride, nin, KC, nv);            \
    }
CONV_BWD_FNS(1)
CONV_BWD_FNS(2)
CONV_BWD_FNS(4)

/* Shared by both conv backward entry points: dout of one output channel
 * as a list of its m non-zero entries g[j] with the offset ol[j] of their
 * input patch, adds their contributions to din, writes dw[oc], db[oc]. */
typedef struct {
    int C, K, KC, RP, nv, fast;
    size_t rowstride, nin;
    double *acc, *patch, *gl;
    int *ol;
} conv_bwd_ctx;

static conv_bwd_ctx conv_bwd_setup(int H, int W, int C, int K, double *work,
                                   int nlist)
{
    conv_bwd_ctx x;
    x.C = C;
    x.K = K;
    x.KC = K * C;
    x.RP = nn_pad(x.KC);
    x.nv = x.RP / 8;
    x.fast = K == BK && (x.nv == 1 || x.nv == 2 || x.nv == 4);
    x.rowstride = (size_t)W * C;
    x.nin = (size_t)H * W * C;
    x.acc = work;
    x.patch = work + (size_t)K * x.RP;
    x.gl = x.patch + (size_t)K * x.RP;
    x.ol = (int *)(x.gl + nlist);
    return x;
}

static void conv_bwd_channel(const conv_bwd_ctx *x, int oc, int m, double *dw,
                             double *db, double *din, const double *in,
                             const double *wr)
{
    int K = x->K, KC = x->KC, RP = x->RP, nv = x->nv, C = x->C;
    const double *gl = x->gl;
    const int *ol = x->ol;
    double *acc = x->acc;
    double gsum = 0.0;
    for (int j = 0; j < m; j++)
        gsum += gl[j];
    db[oc] = gsum;
    const double *wro = wr ? wr + (size_t)oc * K * RP : NULL;
    if (x->fast) {
        if (nv == 1)
            conv_bwd_dw_1(acc, gl, ol, m, in, x->rowstride, x->nin, KC, x->patch);
        else if (nv == 2)
            conv_bwd_dw_2(acc, gl, ol, m, in, x->rowstride, x->nin, KC, x->patch);
        else
            conv_bwd_dw_4(acc, gl, ol, m, in, x->rowstride, x->nin, KC, x->patch);
        if (din && nv == 1)
            conv_bwd_din_1(din, gl, ol, m, wro, x->rowstride, x->nin, KC);
        else if (din && nv == 2)
            conv_bwd_din_2(din, gl, ol, m, wro, x->rowstride, x->nin, KC);
        else if (din)
            conv_bwd_din_4(din, gl, ol, m, wro, x->rowstride, x->nin, KC);
    } else {
        memset(acc, 0, sizeof(double) * K * RP);
        for (int j = 0; j < m; j++) {
            double g = gl[j];
            const double *ip = in + ol[j];
            for (int ky = 0; ky < K; ky++)
                row_axpy(acc + ky * RP, g, ip + ky * x->rowstride, KC);
            if (din) {
                double *dp = din + ol[j];
                for (int ky = 0; ky < K; ky++)
                    row_axpy(dp + ky * x->rowstride, g, wro + ky * RP, KC);
            }
        }
    }
    /* acc [ky][kx][c] (rows RP apart) -> dw [oc][c][ky][kx] */
    double *d = dw + (size_t)oc * C * K * K;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++)
                d[(c * K + ky) * K + kx] = acc[ky * RP + kx * C + c];
}

/* conv_backward
 *   dout [OH][OW][OCP], in [H][W][C], wr [OC][K][RP] (RP = nn_pad(K*C))
 *   dw [OC][C][K][K], db [OC], din [H][W][C] (or NULL)
 * Per output channel, the non-zero entries of dout are gathered first
 * (branch-free), then each adds g * (its input patch) to dw and
 * g * (the kernel) to din, one contiguous K*C row per kernel row. */
void conv_backward(double *dw, double *db, double *din, const double *dout,
                   const double *in, const double *wr, int H, int W, int C,
                   int OC, int K, double *work)
{
    int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
    conv_bwd_ctx x = conv_bwd_setup(H, W, C, K, work, OH * OW);
    if (din)
        memset(din, 0, sizeof(double) * x.nin);
    for (int oc = 0; oc < OC; oc++) {
        int m = 0;
        for (int y = 0; y < OH; y++)
            for (int xx = 0; xx < OW; xx++) {
                double g = dout[((size_t)y * OW + xx) * OCP + oc];
                x.gl[m] = g;
                x.ol[m] = (y * W + xx) * C;
                m += g != 0.0;
            }
        conv_bwd_channel(&x, oc, m, dw, db, din, in, wr);
    }
}

/* conv_backward_pooled
 *   dpool [OH/2][OW/2][OC], idx [OH/2][OW/2][OC] (maxpool_forward of the
 *   conv output [OH][OW][OCP]), in, wr, dw, db, din as conv_backward
 * The list of non-zero entries of dout comes straight from the pool, a
 * quarter of the scan of conv_backward and no dense dout. */
void conv_backward_pooled(double *dw, double *db, double *din,
                          const double *dpool, const int *idx,
                          const double *in, const double *wr, int H, int W,
                          int C, int OC, int K, double *work)
{
    int OH = H - K + 1, OW = W - K + 1;
    int PH = OH / 2, PW = OW / 2;
    conv_bwd_ctx x = conv_bwd_setup(H, W, C, K, work, OH * OW);
    if (din)
        memset(din, 0, sizeof(double) * x.nin);
    for (int oc = 0; oc < OC; oc++) {
        int m = 0;
        for (int py = 0; py < PH; py++)
            for (int px = 0; px < PW; px++) {
                int q = (py * PW + px) * OC + oc;
                double g = dpool[q];
                int dy = idx[q] >> 1, dx = idx[q] & 1;
                x.gl[m] = g;
                x.ol[m] = ((2 * py + dy) * W + 2 * px + dx) * C;
                m += g != 0.0;
            }
        conv_bwd_channel(&x, oc, m, dw, db, din, in, wr);
    }
}

/* --------------------------------------------------------------- maxpool */

/* maxpool_forward
 *   in [H][W][CS] -> out [H/2][W/2][C], idx [H/2][W/2][C]
 * Branch-free: which element wins is data-dependent, and branches on it
 * mispredict half the time (that cost 20 us a step). Eight channels at a
 * time with vector compares and selects; a NaN wins, as in PyTorch.
 * Results are stored 8 lanes wide even when C is not a multiple of 8: the
 * extra lanes land on the next pixel, which is written after (only the
 * very last vector of the output is stored lane by lane). */
void maxpool_forward(double *out, int *idx, const double *in, int H, int W,
                     int C, int CS)
{
    int PH = H / 2, PW = W / 2;
    size_t nout = (size_t)PH * PW * C;
    /* offsets of the window's elements, row-major: ties keep the first */
    const int off[4] = {0, CS, W * CS, W * CS + CS};
    for (int py = 0; py < PH; py++)
        for (int px = 0; px < PW; px++) {
            const double *p = in + (size_t)(2 * py * W + 2 * px) * CS;
            size_t q = ((size_t)py * PW + px) * C;
            int c = 0;
            /* a vector may read channels up to CS (padding lanes) */
            for (; c < C && c + 8 <= CS; c += 8) {
                vd8 m = LD8(p + c);
                vl8 which = {0};
#pragma GCC unroll 4
                for (int j = 1; j < 4; j++) {
                    vd8 v = LD8(p + c + off[j]);
                    vl8 take = (v > m) | (v != v);
                    m = (vd8)(((vl8)v & take) | ((vl8)m & ~take));
                    which = (which & ~take) | (take & (long long)j);
                }
                if (q + c + 8 <= nout) {
                    ST8(out + q + c, m);
                    if (idx) {
                        vi8 w32 = __builtin_convertvector(which, vi8);
                        memcpy(idx + q + c, &w32, sizeof w32);
                    }
                } else {
                    for (int l = 0; l < 8 && c + l < C; l++) {
                        out[q + c + l] = m[l];
                        if (idx)
                            idx[q + c + l] = (int)which[l];
                    }
                }
            }
            for (; c < C; c++) {
                double m = p[c];
                int best = 0;
                for (int j = 1; j < 4; j++) {
                    double v = p[c + off[j]];
                    int take = (v > m) | (v != v);
                    m = take ? v : m;
                    best = take ? j : best;
                }
                out[q + c] = m;
                if (idx)
                    idx[q + c] = best;
            }
        }
}

/* maxpool_backward
 *   dout [H/2][W/2][C], idx -> din [H][W][CS] */
void maxpool_backward(double *din, const double *dout, const int *idx, int H,
                      int W, int C, int CS)
{
    int PH = H / 2, PW = W / 2;
    memset(din, 0, sizeof(double) * H * W * CS);
    for (int py = 0; py < PH; py++)
        for (int px = 0; px < PW; px++)
            for (int c = 0; c < C; c++) {
                size_t q = ((size_t)py * PW + px) * C + c;
                int dy = idx[q] >> 1, dx = idx[q] & 1;
                din[((size_t)(2 * py + dy) * W + 2 * px + dx) * CS + c] = dout[q];
            }
}

/* ----------------------------------------------------------------- dense */

/* dense_forward
 *   in [NI], w [NO][NI], b [NO] -> out [NO]
 * Four rows at a time share the loads of in. */
void dense_forward(double *out, const double *in, const double *w,
                   const double *b, int NI, int NO)
{
    int o = 0;
    for (; o + 4 <= NO; o += 4) {
        const double *w0 = w + (size_t)o * NI, *w1 = w0 + NI, *w2 = w1 + NI,
                     *w3 = w2 + NI;
        vd8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        int i = 0;
        for (; i + 8 <= NI; i += 8) {
            vd8 x = LD8(in + i);
            a0 += LD8(w0 + i) * x;
            a1 += LD8(w1 + i) * x;
            a2 += LD8(w2 + i) * x;
            a3 += LD8(w3 + i) * x;
        }
        double s0 = HSUM8(a0), s1 = HSUM8(a1), s2 = HSUM8(a2), s3 = HSUM8(a3);
        for (; i < NI; i++) {
            s0 += w0[i] * in[i];
            s1 += w1[i] * in[i];
            s2 += w2[i] * in[i];
            s3 += w3[i] * in[i];
        }
        out[o] = s0 + b[o];
        out[o + 1] = s1 + b[o + 1];
        out[o + 2] = s2 + b[o + 2];
        out[o + 3] = s3 + b[o + 3];
    }
    for (; o < NO; o++) {
        const double *w0 = w + (size_t)o * NI;
        vd8 a0 = {0};
        int i = 0;
        for (; i + 8 <= NI; i += 8)
            a0 += LD8(w0 + i) * LD8(in + i);
        double s0 = HSUM8(a0);
        for (; i < NI; i++)
            s0 += w0[i] * in[i];
        out[o] = s0 + b[o];
    }
}

/* dense_backward
 *   dout [NO], in [NI], w [NO][NI] -> dw [NO][NI], db [NO], din [NI]
 * One pass over w and dw: row o of dw is dout[o] * in, and din gathers
 * dout[o] * (row o of w); rows with dout[o] == 0 (ReLU) skip the latter,
 * and with zero_rows (see layers.h) are not even rewritten when they are
 * zero already: writing fc1's dw (out of L1) is this layer's main cost. */
void dense_backward(double *dw, double *db, double *din, const double *dout,
                    const double *in, const double *w, int NI, int NO,
                    unsigned char *zero_rows)
{
    if (din)
        memset(din, 0, sizeof(double) * NI);
    for (int o = 0; o < NO; o++) {
        double d = dout[o];
        double *dwo = dw + (size_t)o * NI;
        db[o] = d;
        if (d == 0.0) {
            if (!zero_rows || !zero_rows[o])
                memset(dwo, 0, sizeof(double) * NI);
            if (zero_rows)
                zero_rows[o] = 1;
            continue;
        }
        if (zero_rows)
            zero_rows[o] = 0;
        int i = 0;
        for (; i + 8 <= NI; i += 8)
            ST8(dwo + i, d * LD8(in + i));
        for (; i < NI; i++)
            dwo[i] = d * in[i];
        if (din)
            row_axpy(din, d, w + (size_t)o * NI, NI);
    }
}

/* One row o of dense_backward_sgd: din += d w[o] (old w), dw[o] = d in,
 * w[o] += a dw[o]; keep and has_din are constants at every call. */
static inline __attribute__((always_inline)) void
sgd_row(double *restrict dwo, double *restrict din, double *restrict wo,
        const double *restrict in, double d, double a, int NI, const int keep,
        const int has_din)
{
    int i = 0;
    for (; i + 8 <= NI; i += 8) {
        vd8 wv = LD8(wo + i), g = d * LD8(in + i);
        if (has_din)
            ST8(din + i, LD8(din + i) + d * wv);
        if (keep)
            ST8(dwo + i, g);
        ST8(wo + i, wv + a * g);
    }
    for (; i < NI; i++) {
        double wv = wo[i], g = d * in[i];
        if (has_din)
            din[i] += d * wv;
        if (keep)
            dwo[i] = g;
        wo[i] = wv + a * g;
    }
}

/* dense_backward_sgd
 *   as dense_backward, then w += a dw, b += a db (a = -lr), in the same
 *   pass: row o of w is read once for din and written once updated. The
 *   update is the expression nn_axpy uses, so the result is bitwise that of
 *   dense_backward then nn_axpy. Rows with dout[o] == 0 (ReLU) have dw = 0
 *   and are left as they are. With dw and db NULL the gradient is applied
 *   but not kept: writing dw (fc1: 48000 doubles, out of L1) is most of the
 *   cost of this layer (22 us a step with it, 5 us without). */
void dense_backward_sgd(double *dw, double *db, double *din, double *w,
                        double *b, const double *dout, const double *in,
                        int NI, int NO, double lr, unsigned char *zero_rows)
{
    double a = -lr;
    if (din)
        memset(din, 0, sizeof(double) * NI);
    for (int o = 0; o < NO; o++) {
        double d = dout[o];
        double *dwo = dw ? dw + (size_t)o * NI : NULL, *wo = w + (size_t)o * NI;
        if (db)
            db[o] = d;
        b[o] += a * d;
        if (d == 0.0) {
            if (dw && (!zero_rows || !zero_rows[o]))
                memset(dwo, 0, sizeof(double) * NI);
            if (dw && zero_rows)
                zero_rows[o] = 1;
            continue;
        }
        if (dw && zero_rows)
            zero_rows[o] = 0;
        if (dw && din)
            sgd_row(dwo, din, wo, in, d, a, NI, 1, 1);
        else if (dw)
            sgd_row(dwo, din, wo, in, d, a, NI, 1, 0);
        else if (din)
            sgd_row(dwo, din, wo, in, d, a, NI, 0, 1);
        else
            sgd_row(dwo, din, wo, in, d, a, NI, 0, 0);
    }
}

/* Register tile of dense_forward_batch: ns samples x no outputs, each a
 * vector accumulator over the inputs (16 for 4 x 4: 8 loads feed 16 FMAs).
 * ns, no are constants at every call. */
static inline __attribute__((always_inline)) void
dense_tile(double *restrict out, const double *restrict in,
           const double *restrict w, const double *restrict b, int NI, int NO,
           const int ns, const int no)
{
    vd8 acc[4][4];
#pragma GCC unroll 4
    for (int s = 0; s < ns; s++)
#pragma GCC unroll 4
        for (int o = 0; o < no; o++)
            acc[s][o] = (vd8){0};
    int i = 0;
    for (; i + 8 <= NI; i += 8) {
        vd8 x[4], v[4];
#pragma GCC unroll 4
        for (int s = 0; s < ns; s++)
            x[s] = LD8(in + (size_t)s * NI + i);
#pragma GCC unroll 4
        for (int o = 0; o < no; o++)
            v[o] = LD8(w + (size_t)o * NI + i);
#pragma GCC unroll 4
        for (int s = 0; s < ns; s++)
#pragma GCC unroll 4
            for (int o = 0; o < no; o++)
                acc[s][o] += x[s] * v[o];
    }
#pragma GCC unroll 4
    for (int s = 0; s < ns; s++)
#pragma GCC unroll 4
        for (int o = 0; o < no; o++) {
            double t = HSUM8(acc[s][o]);
            for (int j = i; j < NI; j++)
                t += in[(size_t)s * NI + j] * w[(size_t)o * NI + j];
            out[(size_t)s * NO + o] = t + b[o];
        }
}

#define DENSE_TILE_FN(ns, no)                                                 \
    static __attribute__((noinline)) void dense_tile_##ns##x##no(             \
        double *restrict out, const double *restrict in,                      \
        const double *restrict w, const double *restrict b, int NI, int NO)   \
    {                                                                         \
        dense_tile(out, in, w, b, NI, NO, ns, no);                            \
    }
DENSE_TILE_FN(4, 4)
DENSE_TILE_FN(4, 1)
DENSE_TILE_FN(1, 4)
DENSE_TILE_FN(1, 1)

/* dense_forward_batch
 *   in [n][NI], w [NO][NI], b [NO] -> out [n][NO] = in w^T + b
 * A GEMM written out rather than cblas_dgemm: at these sizes it is as fast
 * as OpenBLAS's own kernel, and it does not depend on OpenBLAS recognising
 * the CPU. (fc1, 64 samples, per sample: this 1.7 us; cblas_dgemm 2.0 us
 * with OPENBLAS_CORETYPE=SkylakeX, 6.4 us as shipped: OpenBLAS 0.3.21
 * takes this CPU, family 6 model 207, for a Prescott and runs SSE2 code.)
 * Blocks of 4 outputs (their rows of w stay in L1) against all samples in
 * blocks of 4. */
void dense_forward_batch(double *out, const double *in, const double *w,
                         const double *b, int n, int NI, int NO)
{
    int o = 0;
    for (; o + 4 <= NO; o += 4) {
        const double *wo = w + (size_t)o * NI;
        int s = 0;
        for (; s + 4 <= n; s += 4)
            dense_tile_4x4(out + (size_t)s * NO + o, in + (size_t)s * NI, wo,
                           b + o, NI, NO);
        for (; s < n; s++)
            dense_tile_1x4(out + (size_t)s * NO + o, in + (size_t)s * NI, wo,
                           b + o, NI, NO);
    }
    for (; o < NO; o++) {
        const double *wo = w + (size_t)o * NI;
        int s = 0;
        for (; s + 4 <= n; s += 4)
            dense_tile_4x1(out + (size_t)s * NO + o, in + (size_t)s * NI, wo,
                           b + o, NI, NO);
        for (; s < n; s++)
            dense_tile_1x1(out + (size_t)s * NO + o, in + (size_t)s * NI, wo,
                           b + o, NI, NO);
    }
}

/* ------------------------------------------------------------------ relu */

/* relu_forward: x [n] -> out [n]
 * Masks, not branches (the signs are random). NaN passes, as in PyTorch. */
void relu_forward(double *out, const double *x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        vd8 v = LD8(x + i);
        vl8 keep = (v > 0.0) | (v != v);
        ST8(out + i, (vd8)((vl8)v & keep));
    }
    for (; i < n; i++)
        out[i] = x[i] > 0.0 || x[i] != x[i] ? x[i] : 0.0;
}

/* relu_backward: dout [n], out [n] -> din [n] */
void relu_backward(double *din, const double *dout, const double *out, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        vl8 keep = LD8(out + i) > 0.0;
        ST8(din + i, (vd8)((vl8)LD8(dout + i) & keep));
    }
    for (; i < n; i++)
        din[i] = out[i] > 0.0 ? dout[i] : 0.0;
}

/* ------------------------------------------------------ softmax + CE loss */

/* softmax_ce_forward: logits [K] -> probs [K], loss */
double softmax_ce_forward(double *probs, const double *logits, int K,
                          int label)
{
    double m = logits[0];
    for (int j = 1; j < K; j++)
        m = logits[j] > m ? logits[j] : m;
    double s = 0.0;
    for (int j = 0; j < K; j++) {
        probs[j] = exp(logits[j] - m);
        s += probs[j];
    }
    for (int j = 0; j < K; j++)
        probs[j] /= s;
    if (label < 0 || label >= K)
        return 0.0;
    /* log-sum-exp form: exact for confident wrong answers, where
     * -log(probs[label]) would be -log(0). */
    return log(s) - (logits[label] - m);
}

/* softmax_ce_backward: probs [K] -> dlogits [K] */
void softmax_ce_backward(double *dlogits, const double *probs, int K,
                         int label)
{
    for (int j = 0; j < K; j++)
        dlogits[j] = probs[j] - (j == label ? 1.0 : 0.0);
}

/* ---------------------------------------------------------------- layout */

void hwc_from_chw(double *out, const double *x, int C, int HW)
{
    if (C == 1) {
        memcpy(out, x, sizeof(double) * HW);
        return;
    }
    for (int p = 0; p < HW; p++)
        for (int c = 0; c < C; c++)
            out[(size_t)p * C + c] = x[(size_t)c * HW + p];
}

void chw_from_hwc(double *out, const double *x, int C, int HW)
{
    for (int c = 0; c < C; c++)
        for (int p = 0; p < HW; p++)
            out[(size_t)c * HW + p] = x[(size_t)p * C + c];
}
