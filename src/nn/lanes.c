/* lanes: batched inference in the lane layout (layers.h): NN_NL samples
 * side by side in every vector, so a layer with 6 output channels fills
 * whole vectors as well as one with 16, and a weight is one broadcast
 * shared by all of them. Compiled once per kernel path (isa.h).
 *
 * Each sample's arithmetic is that of a scalar loop over the same sums in
 * the same order as the training kernels' (bias, then the taps (ky, kx, c)
 * for a conv): the lane count and the register tiles only decide which
 * sums run side by side. */
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
