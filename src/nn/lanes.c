/* lanes: batched inference in the lane layout (layers.h): NN_NL samples
 * side by side in every vector, so a layer with 6 output channels fills
 * whole vectors as well as one with 16, and a weight is one broadcast
 * shared by all of them. Compiled once per kernel path (isa.h).
 *
 * Each sample's arithmetic is that of a scalar loop, whatever the lane
 * count and the register tiles (they only decide which sums run side by
 * side): conv_pool_lanes takes the training kernels' sums in their order
 * (bias, then the taps (ky, kx, c)), wino_pool_lanes the same conv by
 * Winograd's transforms (below), dense_lanes its own fixed order. */
#include <string.h>

#include "nn/isa.h"

/* Register tile sizes: accumulators (4 per output channel in conv, OUTS x
 * GROUPS in dense) plus the broadcast weights must fit the 32 (AVX-512) or
 * 16 (AVX2, SSE2) vector registers. */
#if NN_NL == 8
#define DENSE_O 4 /* outputs per tile */
#define DENSE_G 4 /* sample groups (vectors) per tile */
#elif NN_NL == 4
#define DENSE_O 3 /* 12 accumulators, as conv1's tiles (Zen 3: 4 x 2 was slower) */
#define DENSE_G 4
#else
#define DENSE_O 4
#define DENSE_G 2
#endif

/* lanes_in: x [n][C][HW] -> out [HW][C][NL]; a full group NL pixels at a
 * time through a transpose in registers, a partial one (the last of a
 * call) element by element */
void NN_ISA_FN(lanes_in)(double *out, const double *x, int n, int C, int HW)
{
    size_t in_size = (size_t)C * HW, cs = (size_t)C * NN_NL;
    for (int c = 0; c < C; c++) {
        const double *xc = x + (size_t)c * HW;
        double *oc = out + (size_t)c * NN_NL;
        int p = 0;
        for (; n == NN_NL && p + NN_NL <= HW; p += NN_NL) {
            const double *q = xc + p;
            double *o = oc + p * cs;
#if NN_NL == 8
            vn r0 = LDN(q), r1 = LDN(q + in_size), r2 = LDN(q + 2 * in_size),
               r3 = LDN(q + 3 * in_size), r4 = LDN(q + 4 * in_size), r5 = LDN(q + 5 * in_size),
               r6 = LDN(q + 6 * in_size), r7 = LDN(q + 7 * in_size);
            TRANSPOSE(r0, r1, r2, r3, r4, r5, r6, r7);
            STN(o, r0), STN(o + cs, r1), STN(o + 2 * cs, r2), STN(o + 3 * cs, r3);
            STN(o + 4 * cs, r4), STN(o + 5 * cs, r5), STN(o + 6 * cs, r6), STN(o + 7 * cs, r7);
#elif NN_NL == 4
            vn r0 = LDN(q), r1 = LDN(q + in_size), r2 = LDN(q + 2 * in_size),
               r3 = LDN(q + 3 * in_size);
            TRANSPOSE(r0, r1, r2, r3);
            STN(o, r0), STN(o + cs, r1), STN(o + 2 * cs, r2), STN(o + 3 * cs, r3);
#else
            vn r0 = LDN(q), r1 = LDN(q + in_size);
            TRANSPOSE(r0, r1);
            STN(o, r0), STN(o + cs, r1);
#endif
        }
        for (; p < HW; p++)
            for (int l = 0; l < NN_NL; l++)
                oc[p * cs + l] = l < n ? xc[l * in_size + p] : 0.0;
    }
}

/* lanes_out: in [G][K][NL] -> out [n][K] */
void NN_ISA_FN(lanes_out)(double *out, const double *in, int n, int K)
{
    for (int s = 0; s < n; s++)
        for (int k = 0; k < K; k++)
            out[(size_t)s * K + k] = in[((size_t)(s / NN_NL) * K + k) * NN_NL + s % NN_NL];
}

/* The accumulators of one pool window (2 x 2 conv outputs) times noc
 * output channels. */
typedef vn pool_acc[4][NN_CONV_NOC];

/* a += one kernel row's KC taps (kx, c) at ip (the window's top-left pixel
 * in that row), weights wp [KC][OCP]. */
static inline __attribute__((always_inline)) void pool_row(pool_acc a, const double *restrict ip,
                                                           const double *restrict wp, int KC,
                                                           int OCP, size_t rs, size_t cs,
                                                           const int noc)
{
#pragma GCC unroll 32
    for (int t = 0; t < KC; t++) {
        vn w[NN_CONV_NOC];
#pragma GCC unroll 8
        for (int j = 0; j < noc; j++)
            w[j] = vn_bcast(wp[(size_t)t * OCP + j]);
        const double *p = ip + (size_t)t * NN_NL;
        vn x[4] = {LDN(p), LDN(p + cs), LDN(p + rs), LDN(p + rs + cs)};
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
#pragma GCC unroll 8
            for (int j = 0; j < noc; j++)
                a[q][j] += x[q] * w[j];
    }
}

/* One pool window times noc output channels: the 4 noc accumulators over
 * all K*K*C taps, then the max (NaN wins, ties keep the first, as
 * maxpool_forward) and the ReLU, stored at out + j * ostride.
 * in: the window's top-left input pixel; wt, bp: its first channel. */
static inline __attribute__((always_inline)) void
conv_pool_tile(double *restrict out, size_t ostride, const double *restrict in,
               const double *restrict wt, const double *restrict bp, int W, int C, int K, int OCP,
               const int noc)
{
    const int KC = K * C;
    pool_acc a;
#pragma GCC unroll 8
    for (int j = 0; j < noc; j++) {
        vn b = vn_bcast(bp[j]);
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
            a[q][j] = b;
    }
    size_t rs = (size_t)W * C * NN_NL; /* one input row */
    size_t cs = (size_t)C * NN_NL;     /* one input pixel */
    for (int ky = 0; ky < K; ky++)
        pool_row(a, in + ky * rs, wt + (size_t)ky * KC * OCP, KC, OCP, rs, cs, noc);
#pragma GCC unroll 8
    for (int j = 0; j < noc; j++) {
        vn w[4] = {a[0][j], a[1][j], a[2][j], a[3][j]};
        STN(out + j * ostride, vn_pool4_relu(w));
    }
}

/* One function per tile width (as layers.c's CONV_TILE_FN: inlined into
 * one function, GCC's register allocator spills); each twice, for any C and
 * K and for one input channel and 5 x 5 kernels (conv1 on grey images),
 * where a constant tap count lets GCC unroll the taps (a runtime one took a
 * dispatch on the remainder at every kernel row: 16% more time, measured). */
#define CONV_POOL_FN(noc)                                                                          \
    static __attribute__((noinline)) void conv_pool_##noc(                                         \
        double *restrict out, size_t ostride, const double *restrict in,                           \
        const double *restrict wt, const double *restrict bp, int W, int C, int K, int OCP)        \
    {                                                                                              \
        conv_pool_tile(out, ostride, in, wt, bp, W, C, K, OCP, noc);                               \
    }                                                                                              \
    static __attribute__((noinline)) void conv_pool_c1_##noc(                                      \
        double *restrict out, size_t ostride, const double *restrict in,                           \
        const double *restrict wt, const double *restrict bp, int W, int C, int K, int OCP)        \
    {                                                                                              \
        (void)C, (void)K;                                                                          \
        conv_pool_tile(out, ostride, in, wt, bp, W, 1, 5, OCP, noc);                               \
    }
CONV_POOL_FN(1)
CONV_POOL_FN(2)
#if NN_CONV_NOC >= 3
CONV_POOL_FN(3)
#endif
#if NN_CONV_NOC >= 4
CONV_POOL_FN(4)
#endif

typedef void (*conv_pool_fn)(double *, size_t, const double *, const double *, const double *, int,
                             int, int, int);
/* clang-format off */
#if NN_CONV_NOC >= 4
#define CONV_POOL_ROW(p) {NULL, p##1, p##2, p##3, p##4}
#elif NN_CONV_NOC == 3
#define CONV_POOL_ROW(p) {NULL, p##1, p##2, p##3}
#else
#define CONV_POOL_ROW(p) {NULL, p##1, p##2}
#endif
/* [0]: any C and K, [1]: C = 1, K = 5 */
static const conv_pool_fn conv_pool_tiles[2][NN_CONV_NOC + 1] = {
    CONV_POOL_ROW(conv_pool_), CONV_POOL_ROW(conv_pool_c1_)};
/* clang-format on */

/* conv_pool_lanes: in [H][W][C][NL] -> out [OH/2][OW/2][OC][NL] or
 * [OC][OH/2][OW/2][NL] (chw) */
void NN_ISA_FN(conv_pool_lanes)(double *out, const double *in, const double *wt, const double *bp,
                                int H, int W, int C, int OC, int K, int chw)
{
    int OH = H - K + 1, OW = W - K + 1, PH = OH / 2, PW = OW / 2, OCP = nn_pad(OC);
    /* output channels in tiles of at most NN_CONV_NOC, as even as they go */
    int ntiles = (OC + NN_CONV_NOC - 1) / NN_CONV_NOC;
    size_t ostride = chw ? (size_t)PH * PW * NN_NL : NN_NL;
    const conv_pool_fn *tiles = conv_pool_tiles[C == 1 && K == 5];
    for (int py = 0; py < PH; py++)
        for (int px = 0; px < PW; px++) {
            const double *ip = in + ((size_t)(2 * py) * W + 2 * px) * C * NN_NL;
            size_t pix = (size_t)py * PW + px;
            double *op = out + (chw ? pix * NN_NL : pix * OC * NN_NL);
            for (int tile = 0, oc = 0; tile < ntiles; tile++) {
                int noc = (OC - oc) / (ntiles - tile);
                tiles[noc](op + oc * ostride, ostride, ip, wt + oc, bp + oc, W, C, K, OCP);
                oc += noc;
            }
        }
}

/* ---- conv + max pool + ReLU by Winograd's transforms along the rows
 *
 * m neighbouring outputs of a row, y_i = sum_k g[k] d[i+k] (m + 4 inputs
 * d, 5 taps g), are y = A^T [(G g) . (B^T d)] with m + 4 products instead
 * of 5 m (Toom-Cook). A row's outputs go four at a time ("quads") by
 * F(4,5), 8 products at the points 0, 1, -1, 2, -2, 1/2, -1/2, infinity,
 * and a last pair, when the row has an odd number of pool windows, by
 * F(2,5), 6 products at 0, 1, -1, 2, -2, infinity. Summed over the kernel
 * rows and input channels in the transformed domain, a conv costs 2 K C
 * multiply-adds per output and channel by F(4,5), 3 K C by F(2,5), 5 K C
 * directly, plus the transforms: B^T d once per input row and tile, A^T
 * once per output tile and channel. That pays with conv2's 6 input
 * channels (measured: F(2,5) for every pair 18% faster than the direct
 * conv, F(4,5) for the quads another 23%); conv1's single channel would
 * spend more on A^T than it saves (F(2,5): 13% slower).
 *
 * Same bytes on every path: A^T multiplies by powers of two only, B^T's
 * rows are scaled (by 2 or 4, folded into G) to integers and its other
 * multipliers (5, 17, 21) are rounded products of their own (vn_mulx: no
 * fused multiply-add takes them), and G is applied once, in scalar code,
 * as sums with power-of-two multipliers and one division. So the paths
 * differ only where the conv sums do (FMA or not), as elsewhere. Results
 * equal the direct conv's up to rounding (~1e-14 relative). */
#define WINO_K 5  /* taps along a row */
#define WINO_N4 8 /* points of F(4,5) */
#define WINO_N2 6 /* points of F(2,5) */

/* a * k rounded on its own: a later addition cannot fuse with it */
static inline __attribute__((always_inline)) vn vn_mulx(vn a, double k)
{
    vn p = a * k;
    IN_REG(p);
    return p;
}

/* wino_pack: w [OC][C][5][5] -> u: F(4,5)'s [8][5][C][OC], then F(2,5)'s
 * [6][5][C][OC] (WINO_PACKED doubles); u[j][ky][c][oc] = (G g)[j] of
 * kernel row g = w[oc][c][ky], G's rows divided by the scale of B^T's
 * (wino_row). */
void NN_ISA_FN(wino_pack)(double *u, const double *w, int C, int OC)
{
    size_t us = (size_t)WINO_K * C * OC;
    double *u2 = u + WINO_N4 * us;
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++)
            for (int ky = 0; ky < WINO_K; ky++) {
                const double *g = w + (((size_t)oc * C + c) * WINO_K + ky) * WINO_K;
                double v4[WINO_N4] = {
                    -g[0] / 4,
                    -(g[0] + g[1] + g[2] + g[3] + g[4]) / 18,
                    -(g[0] - g[1] + g[2] - g[3] + g[4]) / 18,
                    (g[0] + 2 * g[1] + 4 * g[2] + 8 * g[3] + 16 * g[4]) / 360,
                    (g[0] - 2 * g[1] + 4 * g[2] - 8 * g[3] + 16 * g[4]) / 360,
                    (16 * g[0] + 8 * g[1] + 4 * g[2] + 2 * g[3] + g[4]) / 45,
                    (16 * g[0] - 8 * g[1] + 4 * g[2] - 2 * g[3] + g[4]) / 45,
                    g[4] / 4,
                };
                double v2[WINO_N2] = {
                    g[0] / 4,
                    (g[0] + g[1] + g[2] + g[3] + g[4]) / 6,
                    (g[0] - g[1] + g[2] - g[3] + g[4]) / 6,
                    (g[0] + 2 * g[1] + 4 * g[2] + 8 * g[3] + 16 * g[4]) / 24,
                    (g[0] - 2 * g[1] + 4 * g[2] - 8 * g[3] + 16 * g[4]) / 24,
                    g[4],
                };
                size_t at = ((size_t)ky * C + c) * OC + oc;
                for (int j = 0; j < WINO_N4; j++)
                    u[j * us + at] = v4[j];
                for (int j = 0; j < WINO_N2; j++)
                    u2[j * us + at] = v2[j];
            }
}

/* One input row [W][C][NL] -> v: B^T d of each quad q (inputs 4q .. 4q+7)
 * [8][C][PQ][NL], then, when pr, of the last pair (inputs 4PQ .. 4PQ+5)
 * [6][C][NL]. F(4,5)'s rows are B^T's times 4 (times 2 for points 5, 6),
 * F(2,5)'s are B^T's. */
static void wino_row(double *restrict v, const double *restrict in, int C, int PQ, int pr)
{
    size_t xs = (size_t)C * NN_NL, js = (size_t)C * PQ * NN_NL;
    for (int c = 0; c < C; c++)
        for (int q = 0; q < PQ; q++) {
            const double *d = in + (size_t)(4 * q) * xs + (size_t)c * NN_NL;
            vn d0 = LDN(d), d1 = LDN(d + xs), d2 = LDN(d + 2 * xs), d3 = LDN(d + 3 * xs),
               d4 = LDN(d + 4 * xs), d5 = LDN(d + 5 * xs), d6 = LDN(d + 6 * xs),
               d7 = LDN(d + 7 * xs);
            double *o = v + ((size_t)c * PQ + q) * NN_NL;
            vn e, f;
            STN(o, (d6 - d0) * 4.0 + vn_mulx(d2 - d4, 21.0));
            e = (d2 + d6) * 4.0 - vn_mulx(d4, 17.0), f = (d1 + d5) * 4.0 - vn_mulx(d3, 17.0);
            STN(o + js, e + f), STN(o + 2 * js, e - f);
            e = d2 + (d6 * 4.0 - vn_mulx(d4, 5.0)), f = (d1 - vn_mulx(d3, 5.0)) * 2.0 + d5 * 8.0;
            STN(o + 3 * js, e + f), STN(o + 4 * js, e - f);
            e = (d2 * 4.0 - vn_mulx(d4, 5.0)) * 2.0 + d6 * 2.0,
            f = d1 * 4.0 - vn_mulx(d3, 5.0) + d5;
            STN(o + 5 * js, e + f), STN(o + 6 * js, e - f);
            STN(o + 7 * js, (d7 - d1) * 4.0 + vn_mulx(d3 - d5, 21.0));
        }
    if (!pr)
        return;
    size_t ps = (size_t)C * NN_NL;
    for (int c = 0; c < C; c++) {
        const double *d = in + (size_t)(4 * PQ) * xs + (size_t)c * NN_NL;
        vn d0 = LDN(d), d1 = LDN(d + xs), d2 = LDN(d + 2 * xs), d3 = LDN(d + 3 * xs),
           d4 = LDN(d + 4 * xs), d5 = LDN(d + 5 * xs);
        vn t = d4 - d2, s = d1 - d3;
        double *o = v + WINO_N4 * js + (size_t)c * NN_NL;
        STN(o, (d0 - d2) * 4.0 + t);
        STN(o + ps, (d1 + d2) * 4.0 - (d3 + d4));
        STN(o + 2 * ps, (d2 - d1) * 4.0 + (d3 - d4));
        STN(o + 3 * ps, s * -2.0 + t);
        STN(o + 4 * ps, s * 2.0 + t);
        STN(o + 5 * ps, s * 4.0 + (d5 - d3));
    }
}

/* A^T: output i of a tile of m = 2 or 4 takes m_j times wino_at[m / 4][i][j] */
static const double wino_at[2][4][WINO_N4] = {
    {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}},
    {{1, 1, 1, 1, 1, 1, 1, 0},
     {0, 1, -1, 2, -2, 0.5, -0.5, 0},
     {0, 1, 1, 4, 4, 0.25, 0.25, 0},
     {0, 1, -1, 8, -8, 0.125, -0.125, 1}},
};

/* a[0][p][o] += x0[p] u[o], a[1][p][o] += x1[p] u[o] for np tiles and noc
 * channels */
static inline __attribute__((always_inline)) void wino_fma2(vn a[2][NN_WINO_T][NN_WINO_OC],
                                                            const vn *x0, const vn *x1,
                                                            const double *u, const int np,
                                                            const int noc)
{
#pragma GCC unroll 8
    for (int o = 0; o < noc; o++) {
        vn w = vn_bcast(u[o]);
#pragma GCC unroll 4
        for (int p = 0; p < np; p++) {
            a[0][p][o] += x0[p] * w;
            a[1][p][o] += x1[p] * w;
        }
    }
}

/* Point j of np tiles of m outputs (tile0 ..) in both rows of a window
 * row, times noc output channels (oc0 ..): the products summed over
 * (ky, c) in that order, then folded into the outputs' A^T sums, added up
 * in j order (the first nonzero term starts a sum: j = 0 for output 0,
 * j = 1 for the others).
 *   x[iy]: point j of transformed input row iy (0..5) at tile0, [C][nt][NL]
 *   u: point j's [5][C][OC] at oc0
 *   y: [2 (even, odd output)][2 (row)][PW][OC][NL] at tile0's first pair, oc0 */
static inline __attribute__((always_inline)) void
wino_tile(double *restrict y, const double *const x[6], const double *restrict u, int j, int C,
          int OC, int PW, int nt, const int m, const int np, const int noc, const int c6)
{
    if (c6)
        C = 6; /* a constant: its offsets fold into the addressing */
    vn a[2][NN_WINO_T][NN_WINO_OC];
#pragma GCC unroll 4
    for (int p = 0; p < np; p++)
#pragma GCC unroll 8
        for (int o = 0; o < noc; o++)
            a[0][p][o] = a[1][p][o] = (vn){0};
    size_t us = (size_t)C * OC;
    /* kernel row ky of output row 0 reads input row ky, of row 1 ky + 1:
     * each weight is broadcast once for both rows (one broadcast to a
     * multiply-add was the tiles' limit, loads rather than arithmetic) */
#pragma GCC unroll 5
    for (int ky = 0; ky < WINO_K; ky++)
        for (int c = 0; c < C; c++) {
            vn x0[NN_WINO_T], x1[NN_WINO_T];
#pragma GCC unroll 4
            for (int p = 0; p < np; p++) {
                x0[p] = LDN(x[ky] + ((size_t)c * nt + p) * NN_NL);
                x1[p] = LDN(x[ky + 1] + ((size_t)c * nt + p) * NN_NL);
                IN_REG(x0[p]);
                IN_REG(x1[p]);
            }
            wino_fma2(a, x0, x1, u + (size_t)ky * us + (size_t)c * OC, np, noc);
        }
    size_t hs = (size_t)2 * PW * OC * NN_NL, rs = (size_t)PW * OC * NN_NL;
    const double(*at)[WINO_N4] = wino_at[m / 4];
#pragma GCC unroll 4
    for (int i = 0; i < m; i++) {
        double k = at[i][j];
        if (k == 0.0)
            continue;
        int first = j == (i > 0);
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++)
#pragma GCC unroll 4
            for (int p = 0; p < np; p++)
#pragma GCC unroll 8
                for (int o = 0; o < noc; o++) {
                    double *yo =
                        y + (i & 1) * hs + r * rs + ((size_t)(p * m / 2 + i / 2) * OC + o) * NN_NL;
                    vn v = a[r][p][o];
                    STN(yo, first ? v : v * k + LDN(yo));
                }
    }
}

/* One function per tile shape (inlined into one function, GCC's register
 * allocator spills): quads (m = 4) np x noc, a last pair (m = 2) 1 x noc;
 * each twice, for any C and for C = 6 (conv2), whose channel count is a
 * constant (GCC keeps the 6-trip loop: unrolled it spills; the constant
 * still takes ~14% off the last pair's time, a few % off the quads',
 * measured by profile share against conv1's). */
typedef void (*wino_fn)(double *, const double *const *, const double *, int, int, int, int, int);
/* Register tiles: at most NN_WINO_T quads x WINO_QUAD_OC channels, or the
 * last pair x WINO_PAIR_OC channels; both times 2 rows, 2 NN_WINO_OC
 * accumulators (16 of AVX-512's 32 registers, 8 of 16 elsewhere). */
#define WINO_QUAD_OC (NN_WINO_OC / 2)
#define WINO_PAIR_OC NN_WINO_OC
#define WINO_FN(m, np, noc)                                                                        \
    static __attribute__((noinline)) void wino_##m##_##np##_##noc(                                 \
        double *restrict y, const double *const x[6], const double *restrict u, int j, int C,      \
        int OC, int PW, int nt)                                                                    \
    {                                                                                              \
        wino_tile(y, x, u, j, C, OC, PW, nt, m, np, noc, 0);                                       \
    }                                                                                              \
    static __attribute__((noinline)) void wino6_##m##_##np##_##noc(                                \
        double *restrict y, const double *const x[6], const double *restrict u, int j, int C,      \
        int OC, int PW, int nt)                                                                    \
    {                                                                                              \
        wino_tile(y, x, u, j, C, OC, PW, nt, m, np, noc, 1);                                       \
    }
/* clang-format off */
WINO_FN(4, 1, 1) WINO_FN(4, 1, 2) WINO_FN(4, 2, 1) WINO_FN(4, 2, 2)
WINO_FN(2, 1, 1) WINO_FN(2, 1, 2) WINO_FN(2, 1, 3) WINO_FN(2, 1, 4)
#if NN_WINO_OC >= 8
WINO_FN(4, 1, 3) WINO_FN(4, 1, 4) WINO_FN(4, 2, 3) WINO_FN(4, 2, 4)
WINO_FN(2, 1, 5) WINO_FN(2, 1, 6) WINO_FN(2, 1, 7) WINO_FN(2, 1, 8)
#define WINO_TABLES(p)                                                                     \
static const wino_fn p##quads[NN_WINO_T + 1][WINO_QUAD_OC + 1] = {                         \
    {NULL},                                                                                \
    {NULL, p##4_1_1, p##4_1_2, p##4_1_3, p##4_1_4},                                        \
    {NULL, p##4_2_1, p##4_2_2, p##4_2_3, p##4_2_4}};                                       \
static const wino_fn p##pairs[WINO_PAIR_OC + 1] = {                                        \
    NULL, p##2_1_1, p##2_1_2, p##2_1_3, p##2_1_4, p##2_1_5, p##2_1_6, p##2_1_7, p##2_1_8}
#else
#define WINO_TABLES(p)                                                                     \
static const wino_fn p##quads[NN_WINO_T + 1][WINO_QUAD_OC + 1] = {                         \
    {NULL}, {NULL, p##4_1_1, p##4_1_2}, {NULL, p##4_2_1, p##4_2_2}};                       \
static const wino_fn p##pairs[WINO_PAIR_OC + 1] = {                                        \
    NULL, p##2_1_1, p##2_1_2, p##2_1_3, p##2_1_4}
#endif
WINO_TABLES(wino_);
WINO_TABLES(wino6_); /* C = 6 (conv2) */
/* clang-format on */

/* wino_pool_lanes: in [H][W][C][NL] -> out [OH/2][OW/2][OC][NL] or
 * [OC][OH/2][OW/2][NL] (chw). work: a ring of 6 transformed input rows
 * (each input row is transformed once, as the window rows walk down), then
 * one window row's A^T sums. Point by point over a window row, so one
 * point's inputs stay in L1 for every channel tile. */
void NN_ISA_FN(wino_pool_lanes)(double *out, const double *in, const double *u, const double *b,
                                double *work, int H, int W, int C, int OC, int chw)
{
    int PH = (H - WINO_K + 1) / 2, PW = (W - WINO_K + 1) / 2, PQ = PW / 2, pr = PW % 2;
    size_t js = (size_t)C * PQ * NN_NL;                            /* one point of a row's quads */
    size_t rowv = WINO_N4 * js + (size_t)pr * WINO_N2 * C * NN_NL; /* one transformed row */
    size_t us = (size_t)WINO_K * C * OC;
    const double *u2 = u + WINO_N4 * us;
    double *y = work + 6 * rowv; /* [2][2][PW][OC][NL] */
    size_t ys = (size_t)2 * PW * OC * NN_NL;
    size_t pstride = chw ? NN_NL : (size_t)OC * NN_NL;
    size_t ostride = chw ? (size_t)PH * PW * NN_NL : NN_NL;
    /* quads and channels in tiles as even as they go */
    int qtiles = (PQ + NN_WINO_T - 1) / NN_WINO_T;
    int qotiles = (OC + WINO_QUAD_OC - 1) / WINO_QUAD_OC,
        potiles = (OC + WINO_PAIR_OC - 1) / WINO_PAIR_OC;
    const wino_fn(*quads)[WINO_QUAD_OC + 1] = C == 6 ? wino6_quads : wino_quads;
    const wino_fn *pairs = C == 6 ? wino6_pairs : wino_pairs;
    for (int py = 0; py < PH; py++) {
        const double *rows[6];
        for (int iy = 0; iy < 6; iy++) {
            int yy = 2 * py + iy;
            double *slot = work + (size_t)(yy % 6) * rowv;
            if (py == 0 || iy >= 4) /* rows new to this window row */
                wino_row(slot, in + (size_t)yy * W * C * NN_NL, C, PQ, pr);
            rows[iy] = slot;
        }
        for (int j = 0; j < WINO_N4; j++)
            for (int qt = 0, q = 0; qt < qtiles; qt++) {
                int np = (PQ - q) / (qtiles - qt);
                const double *x[6];
                for (int iy = 0; iy < 6; iy++)
                    x[iy] = rows[iy] + j * js + (size_t)q * NN_NL;
                for (int ot = 0, oc = 0; ot < qotiles; ot++) {
                    int noc = (OC - oc) / (qotiles - ot);
                    quads[np][noc](y + ((size_t)2 * q * OC + oc) * NN_NL, x, u + j * us + oc, j, C,
                                   OC, PW, PQ);
                    oc += noc;
                }
                q += np;
            }
        for (int j = 0; pr && j < WINO_N2; j++) {
            const double *x[6];
            for (int iy = 0; iy < 6; iy++)
                x[iy] = rows[iy] + WINO_N4 * js + (size_t)j * C * NN_NL;
            for (int ot = 0, oc = 0; ot < potiles; ot++) {
                int noc = (OC - oc) / (potiles - ot);
                pairs[noc](y + ((size_t)2 * PQ * OC + oc) * NN_NL, x, u2 + j * us + oc, j, C, OC,
                           PW, 1);
                oc += noc;
            }
        }
        /* bias, pool (as maxpool_forward), ReLU */
        for (int px = 0; px < PW; px++)
            for (int oc = 0; oc < OC; oc++) {
                const double *y0 = y + ((size_t)px * OC + oc) * NN_NL, *y1 = y0 + ys;
                size_t rs = (size_t)PW * OC * NN_NL;
                vn v[4] = {LDN(y0) + b[oc], LDN(y1) + b[oc], LDN(y0 + rs) + b[oc],
                           LDN(y1 + rs) + b[oc]};
                STN(out + ((size_t)py * PW + px) * pstride + oc * ostride, vn_pool4_relu(v));
            }
    }
}

/* ng sample groups times no outputs of dense_lanes, accumulated over all
 * inputs in order. */
static inline __attribute__((always_inline)) void
dense_tile(double *restrict out, const double *restrict in, const double *restrict w,
           const double *restrict b, int NI, int NO, int relu, const int ng, const int no)
{
    vn acc[DENSE_G][DENSE_O];
#pragma GCC unroll 4
    for (int g = 0; g < ng; g++)
#pragma GCC unroll 4
        for (int o = 0; o < no; o++)
            acc[g][o] = (vn){0};
    for (int i = 0; i < NI; i++) {
        vn wv[DENSE_O];
#pragma GCC unroll 4
        for (int o = 0; o < no; o++)
            wv[o] = vn_bcast(w[(size_t)o * NI + i]);
#pragma GCC unroll 4
        for (int g = 0; g < ng; g++) {
            vn x = LDN(in + ((size_t)g * NI + i) * NN_NL);
            IN_REG(x);
#pragma GCC unroll 4
            for (int o = 0; o < no; o++)
                acc[g][o] += x * wv[o];
        }
    }
#pragma GCC unroll 4
    for (int g = 0; g < ng; g++)
#pragma GCC unroll 4
        for (int o = 0; o < no; o++) {
            vn v = acc[g][o] + b[o];
            if (relu)
                v = vn_relu(v);
            STN(out + ((size_t)g * NO + o) * NN_NL, v);
        }
}

#define DENSE_FN_(ng, no)                                                                          \
    static __attribute__((noinline)) void dense_##ng##x##no(                                       \
        double *restrict out, const double *restrict in, const double *restrict w,                 \
        const double *restrict b, int NI, int NO, int relu)                                        \
    {                                                                                              \
        dense_tile(out, in, w, b, NI, NO, relu, ng, no);                                           \
    }
#define DENSE_FN(ng, no) DENSE_FN_(ng, no) /* expands DENSE_G, DENSE_O first */
DENSE_FN(DENSE_G, DENSE_O)
DENSE_FN(DENSE_G, 1)
DENSE_FN(1, DENSE_O)
DENSE_FN(1, 1)
#define DENSE_TILE_(ng, no) dense_##ng##x##no
#define DENSE_TILE(ng, no) DENSE_TILE_(ng, no)

/* dense_lanes: in [G][NI][NL], w [NO][NI], b [NO] -> out [G][NO][NL] */
void NN_ISA_FN(dense_lanes)(double *out, const double *in, const double *w, const double *b, int G,
                            int NI, int NO, int relu)
{
    int o = 0;
    for (; o + DENSE_O <= NO; o += DENSE_O) {
        const double *wo = w + (size_t)o * NI;
        int g = 0;
        for (; g + DENSE_G <= G; g += DENSE_G)
            DENSE_TILE(DENSE_G, DENSE_O)
        (out + ((size_t)g * NO + o) * NN_NL, in + (size_t)g * NI * NN_NL, wo, b + o, NI, NO, relu);
        for (; g < G; g++)
            DENSE_TILE(1, DENSE_O)
        (out + ((size_t)g * NO + o) * NN_NL, in + (size_t)g * NI * NN_NL, wo, b + o, NI, NO, relu);
    }
    for (; o < NO; o++) {
        const double *wo = w + (size_t)o * NI;
        int g = 0;
        for (; g + DENSE_G <= G; g += DENSE_G)
            DENSE_TILE(DENSE_G, 1)
        (out + ((size_t)g * NO + o) * NN_NL, in + (size_t)g * NI * NN_NL, wo, b + o, NI, NO, relu);
        for (; g < G; g++)
            DENSE_TILE(1, 1)
        (out + ((size_t)g * NO + o) * NN_NL, in + (size_t)g * NI * NN_NL, wo, b + o, NI, NO, relu);
    }
}
