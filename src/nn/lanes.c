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
        vnl which; /* not needed: inference keeps no pool indices */
        STN(out + j * ostride, vn_relu(vn_pool4(w, &which)));
    }
}

/* One function per tile width (as layers.c's CONV_TILE_FN: inlined into
 * one function, GCC's register allocator spills). */
#define CONV_POOL_FN(noc)                                                                          \
    static __attribute__((noinline)) void conv_pool_##noc(                                         \
        double *restrict out, size_t ostride, const double *restrict in,                           \
        const double *restrict wt, const double *restrict bp, int W, int C, int K, int OCP)        \
    {                                                                                              \
        conv_pool_tile(out, ostride, in, wt, bp, W, C, K, OCP, noc);                               \
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
static const conv_pool_fn conv_pool_tiles[NN_CONV_NOC + 1] = {NULL, conv_pool_1, conv_pool_2,
#if NN_CONV_NOC >= 3
                                                              conv_pool_3,
#endif
#if NN_CONV_NOC >= 4
                                                              conv_pool_4
#endif
};

/* conv_pool_lanes: in [H][W][C][NL] -> out [OH/2][OW/2][OC][NL] or
 * [OC][OH/2][OW/2][NL] (chw) */
void NN_ISA_FN(conv_pool_lanes)(double *out, const double *in, const double *wt, const double *bp,
                                int H, int W, int C, int OC, int K, int chw)
{
    int OH = H - K + 1, OW = W - K + 1, PH = OH / 2, PW = OW / 2, OCP = nn_pad(OC);
    /* output channels in tiles of at most NN_CONV_NOC, as even as they go */
    int ntiles = (OC + NN_CONV_NOC - 1) / NN_CONV_NOC;
    size_t ostride = chw ? (size_t)PH * PW * NN_NL : NN_NL;
    for (int py = 0; py < PH; py++)
        for (int px = 0; px < PW; px++) {
            const double *ip = in + ((size_t)(2 * py) * W + 2 * px) * C * NN_NL;
            size_t pix = (size_t)py * PW + px;
            double *op = out + (chw ? pix * NN_NL : pix * OC * NN_NL);
            for (int tile = 0, oc = 0; tile < ntiles; tile++) {
                int noc = (OC - oc) / (ntiles - tile);
                conv_pool_tiles[noc](op + oc * ostride, ostride, ip, wt + oc, bp + oc, W, C, K,
                                     OCP);
                oc += noc;
            }
        }
}

/* ---- conv + max pool + ReLU by Winograd's F(2,5) along the rows
 *
 * Two neighbouring outputs of a row, y0 = sum_k g[k] d[k] and
 * y1 = sum_k g[k] d[k+1] (6 inputs d, 5 taps g), are
 *   y = A^T [(G g) . (B^T d)]
 * with 6 products instead of 10 (Toom-Cook at 0, 1, -1, 2, -2 and infinity).
 * Summed over the kernel rows and input channels in the transformed
 * domain, a conv costs 6 K C multiply-adds per output pair and channel
 * instead of 10 K C, plus the transforms: B^T d once per input row and
 * pair, A^T once per output pair and channel. That pays with conv2's 6
 * input channels (-18% time, measured); conv1's single channel would spend
 * more on A^T than it saves (+13%). B^T and A^T only multiply by 2 and 4, exactly, so a
 * fused multiply-add gives the same bytes as a multiply and an add: the
 * paths differ only where the conv sums do (FMA or not), as elsewhere.
 * Results equal the direct conv's up to rounding (~1e-15 relative). */
#define WINO_K 5 /* taps along a row */
#define WINO_N 6 /* points: products per output pair */

/* wino_pack: w [OC][C][5][5] -> u [6][5][C][OC], u[j][ky][c][oc] = (G g)[j]
 * of kernel row g = w[oc][c][ky]: sums with power-of-two multipliers, then
 * one division, so the same bytes on every path. */
void NN_ISA_FN(wino_pack)(double *u, const double *w, int C, int OC)
{
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++)
            for (int ky = 0; ky < WINO_K; ky++) {
                const double *g = w + (((size_t)oc * C + c) * WINO_K + ky) * WINO_K;
                double v[WINO_N] = {
                    g[0] / 4,
                    (g[0] + g[1] + g[2] + g[3] + g[4]) / 6,
                    (g[0] - g[1] + g[2] - g[3] + g[4]) / 6,
                    (g[0] + 2 * g[1] + 4 * g[2] + 8 * g[3] + 16 * g[4]) / 24,
                    (g[0] - 2 * g[1] + 4 * g[2] - 8 * g[3] + 16 * g[4]) / 24,
                    g[4],
                };
                for (int j = 0; j < WINO_N; j++)
                    u[(((size_t)j * WINO_K + ky) * C + c) * OC + oc] = v[j];
            }
}

/* One input row [W][C][NL] -> v [6][C][PW][NL]: B^T d of the 6 inputs
 * 2 px .. 2 px + 5 of each output pair px. */
static void wino_row(double *restrict v, const double *restrict in, int C, int PW)
{
    size_t xs = (size_t)C * NN_NL, js = (size_t)C * PW * NN_NL;
    for (int c = 0; c < C; c++)
        for (int px = 0; px < PW; px++) {
            const double *d = in + (size_t)(2 * px) * xs + (size_t)c * NN_NL;
            vn d0 = LDN(d), d1 = LDN(d + xs), d2 = LDN(d + 2 * xs), d3 = LDN(d + 3 * xs),
               d4 = LDN(d + 4 * xs), d5 = LDN(d + 5 * xs);
            vn t = d4 - d2, s = d1 - d3;
            double *o = v + ((size_t)c * PW + px) * NN_NL;
            STN(o, (d0 - d2) * 4.0 + t);
            STN(o + js, (d1 + d2) * 4.0 - (d3 + d4));
            STN(o + 2 * js, (d2 - d1) * 4.0 + (d3 - d4));
            STN(o + 3 * js, s * -2.0 + t);
            STN(o + 4 * js, s * 2.0 + t);
            STN(o + 5 * js, s * 4.0 + (d5 - d3));
        }
}

/* a[p][o] += x[p] u[o] for np pairs and noc channels */
static inline __attribute__((always_inline)) void wino_fma(vn a[NN_WINO_P][2], const vn *x,
                                                           const double *u, const int np,
                                                           const int noc)
{
#pragma GCC unroll 2
    for (int o = 0; o < noc; o++) {
        vn w = vn_bcast(u[o]);
#pragma GCC unroll 8
        for (int p = 0; p < np; p++)
            a[p][o] += x[p] * w;
    }
}

/* Point j of np output pairs (px0 ..) in both rows of a window row, times
 * noc output channels (oc0 ..): the products summed over (ky, c) in that
 * order, then folded into the row's A^T sums
 *   y0 = m0 + m1 + m2 + m3 + m4,  y1 = m1 - m2 + 2 m3 - 2 m4 + m5
 * (added up in j order; j = 0 and 1 start them).
 *   x[iy]: point j of transformed input row iy (0..5) at px0, [C][PW][NL]
 *   u: point j's [5][C][OC] at oc0
 *   y: [2 (y0, y1)][2 (row)][PW][OC][NL] at px0, oc0 */
static inline __attribute__((always_inline)) void
wino_tile(double *restrict y, const double *const x[WINO_N], const double *restrict u, int j,
          int C, int OC, int PW, const int np, const int noc)
{
    vn a[2][NN_WINO_P][2];
#pragma GCC unroll 8
    for (int p = 0; p < np; p++)
#pragma GCC unroll 2
        for (int o = 0; o < noc; o++)
            a[0][p][o] = a[1][p][o] = (vn){0};
    size_t us = (size_t)C * OC;
#pragma GCC unroll 6
    for (int iy = 0; iy < WINO_N; iy++) {
        /* input row iy is kernel row iy of output row 0, iy - 1 of row 1 */
        for (int c = 0; c < C; c++) {
            vn xv[NN_WINO_P];
#pragma GCC unroll 8
            for (int p = 0; p < np; p++) {
                xv[p] = LDN(x[iy] + ((size_t)c * PW + p) * NN_NL);
                IN_REG(xv[p]);
            }
            if (iy < WINO_K)
                wino_fma(a[0], xv, u + (size_t)iy * us + (size_t)c * OC, np, noc);
            if (iy > 0)
                wino_fma(a[1], xv, u + (size_t)(iy - 1) * us + (size_t)c * OC, np, noc);
        }
    }
    size_t ks = (size_t)2 * PW * OC * NN_NL, rs = (size_t)PW * OC * NN_NL;
    static const double a1[WINO_N] = {0, 1, -1, 2, -2, 1}; /* A^T's second row */
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++)
#pragma GCC unroll 8
        for (int p = 0; p < np; p++)
#pragma GCC unroll 2
            for (int o = 0; o < noc; o++) {
                double *y0 = y + r * rs + ((size_t)p * OC + o) * NN_NL, *y1 = y0 + ks;
                vn m = a[r][p][o];
                if (j == 0)
                    STN(y0, m);
                else if (j < WINO_N - 1)
                    STN(y0, LDN(y0) + m);
                if (j == 1)
                    STN(y1, m);
                else if (j > 1)
                    STN(y1, m * a1[j] + LDN(y1));
            }
}

/* One function per tile shape (inlined into one function, GCC's register
 * allocator spills). */
#define WINO_FN(np, noc)                                                                           \
    static __attribute__((noinline)) void wino_##np##_##noc(double *restrict y,                    \
                                                            const double *const x[WINO_N],         \
                                                            const double *restrict u, int j,       \
                                                            int C, int OC, int PW)                 \
    {                                                                                              \
        wino_tile(y, x, u, j, C, OC, PW, np, noc);                                                 \
    }
#define WINO_FNS(np) WINO_FN(np, 1) WINO_FN(np, 2)
WINO_FNS(1)
WINO_FNS(2)
#if NN_WINO_P >= 3
WINO_FNS(3)
#endif
#if NN_WINO_P >= 4
WINO_FNS(4)
#endif
#if NN_WINO_P >= 5
WINO_FNS(5)
#endif

typedef void (*wino_fn)(double *, const double *const *, const double *, int, int, int, int);
#define WINO_ROW(np) {NULL, wino_##np##_1, wino_##np##_2}
static const wino_fn wino_tiles[NN_WINO_P + 1][3] = {
    {NULL}, WINO_ROW(1), WINO_ROW(2),
#if NN_WINO_P >= 3
    WINO_ROW(3),
#endif
#if NN_WINO_P >= 4
    WINO_ROW(4),
#endif
#if NN_WINO_P >= 5
    WINO_ROW(5),
#endif
};

/* wino_pool_lanes: in [H][W][C][NL] -> out [OH/2][OW/2][OC][NL] or
 * [OC][OH/2][OW/2][NL] (chw). work: a ring of 6 transformed input rows
 * (each input row is transformed once, as the window rows walk down), then
 * one window row's A^T sums. Point by point over a window row, so one
 * point's inputs stay in L1 for every channel tile. */
void NN_ISA_FN(wino_pool_lanes)(double *out, const double *in, const double *u, const double *b,
                                double *work, int H, int W, int C, int OC, int chw)
{
    int PH = (H - WINO_K + 1) / 2, PW = (W - WINO_K + 1) / 2;
    size_t rowv = (size_t)WINO_N * C * PW * NN_NL; /* one transformed row */
    size_t js = (size_t)C * PW * NN_NL, us = (size_t)WINO_K * C * OC;
    double *y = work + WINO_N * rowv; /* [2][2][PW][OC][NL] */
    size_t ys = (size_t)2 * PW * OC * NN_NL;
    size_t pstride = chw ? NN_NL : (size_t)OC * NN_NL;
    size_t ostride = chw ? (size_t)PH * PW * NN_NL : NN_NL;
    /* pairs and channels in tiles of at most NN_WINO_P and 2, as even as they go */
    int ptiles = (PW + NN_WINO_P - 1) / NN_WINO_P, otiles = (OC + 1) / 2;
    for (int py = 0; py < PH; py++) {
        const double *rows[WINO_N];
        for (int iy = 0; iy < WINO_N; iy++) {
            int yy = 2 * py + iy;
            double *slot = work + (size_t)(yy % WINO_N) * rowv;
            if (py == 0 || iy >= WINO_N - 2) /* rows new to this window row */
                wino_row(slot, in + (size_t)yy * W * C * NN_NL, C, PW);
            rows[iy] = slot;
        }
        for (int j = 0; j < WINO_N; j++)
            for (int pt = 0, px = 0; pt < ptiles; pt++) {
                int np = (PW - px) / (ptiles - pt);
                const double *x[WINO_N];
                for (int iy = 0; iy < WINO_N; iy++)
                    x[iy] = rows[iy] + j * js + (size_t)px * NN_NL;
                for (int ot = 0, oc = 0; ot < otiles; ot++) {
                    int noc = (OC - oc) / (otiles - ot);
                    wino_tiles[np][noc](y + ((size_t)px * OC + oc) * NN_NL, x,
                                        u + j * us + oc, j, C, OC, PW);
                    oc += noc;
                }
                px += np;
            }
        /* bias, pool (as maxpool_forward), ReLU */
        for (int px = 0; px < PW; px++)
            for (int oc = 0; oc < OC; oc++) {
                const double *y0 = y + ((size_t)px * OC + oc) * NN_NL, *y1 = y0 + ys;
                size_t rs = (size_t)PW * OC * NN_NL;
                vn v[4] = {LDN(y0) + b[oc], LDN(y1) + b[oc], LDN(y0 + rs) + b[oc],
                           LDN(y1 + rs) + b[oc]};
                vnl which; /* not needed: inference keeps no pool indices */
                STN(out + ((size_t)py * PW + px) * pstride + oc * ostride,
                    vn_relu(vn_pool4(v, &which)));
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
