/* layers: forward / backward of each layer (shapes in layers.h and above
 * each function), compiled once per kernel path (isa.h). The hot loops use
 * GCC vector extensions of the path's native width (vn: 8, 4 or 2
 * doubles); a group of 8 padded channels is NH such vectors. */
#include <math.h>
#include <string.h>

#include "nn/isa.h"

#define VW NN_VW
#define NH NN_NH

/* The sum of an 8-lane accumulator (NH native vectors), in a fixed tree
 * order: the same bits whatever the vector width. */
static inline __attribute__((always_inline)) double hsum8(const vn *a)
{
    double l[8];
    for (int h = 0; h < NH; h++)
        for (int j = 0; j < VW; j++)
            l[h * VW + j] = a[h][j];
    return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

/* y[0..n) += a * x[0..n), exact length (no over-read or over-write). */
static inline void row_axpy(double *restrict y, double a, const double *restrict x, int n)
{
    int i = 0;
    for (; i + VW <= n; i += VW)
        STN(y + i, LDN(y + i) + a * LDN(x + i));
    for (; i < n; i++)
        y[i] += a * x[i];
}

static void axpy(double *y, double a, const double *x, size_t n)
{
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        STN(y + i, LDN(y + i) + a * LDN(x + i));
        STN(y + i + VW, LDN(y + i + VW) + a * LDN(x + i + VW));
        STN(y + i + 2 * VW, LDN(y + i + 2 * VW) + a * LDN(x + i + 2 * VW));
        STN(y + i + 3 * VW, LDN(y + i + 3 * VW) + a * LDN(x + i + 3 * VW));
    }
    for (; i + VW <= n; i += VW)
        STN(y + i, LDN(y + i) + a * LDN(x + i));
    for (; i < n; i++)
        y[i] += a * x[i];
}

/* ------------------------------------------------------------------ conv */

/* v[k] = column j0 + k of the VW x VW block of a row-major matrix m (rows
 * rs apart) at rows r0.., columns j0..: lane i holds row r0 + i. Rows past
 * nr and columns past nc read as 0. */
static inline __attribute__((always_inline)) void block_t(vn v[VW], const double *m, size_t rs,
                                                          int r0, int nr, int j0, int nc)
{
    for (int i = 0; i < VW; i++) {
        const double *row = m + (size_t)(r0 + i) * rs + j0;
        if (r0 + i >= nr)
            v[i] = (vn){0};
        else if (j0 + VW <= nc)
            v[i] = LDN(row);
        else {
            v[i] = (vn){0};
            for (int k = 0; j0 + k < nc; k++)
                v[i][k] = row[k];
        }
    }
    vn_transpose(v);
}

/* conv_pack: transposes in VW x VW blocks.
 *   wt [K][K][C][OCP]: w as a matrix [OC][C*K*K], transposed, its rows
 *   (c, t) reordered to (t, c); channels OC..OCP-1 are 0
 *   wr [OC][K][RP]: per kernel row ky, wt's rows (kx, c) of that row as a
 *   matrix [K*C][OCP], transposed; lanes K*C..RP-1 are 0 */
static void conv_pack(double *wt, double *bp, double *wr, const double *w, const double *b, int C,
                      int OC, int K)
{
    int OCP = nn_pad(OC), KK = K * K, n = C * KK;
    for (int oc0 = 0; oc0 < OCP; oc0 += VW)
        for (int j0 = 0, c = 0, t = 0; j0 < n; j0 += VW) {
            vn v[VW];
            block_t(v, w, (size_t)n, oc0, OC, j0, n);
            for (int k = 0; k < VW && j0 + k < n; k++) { /* column j0 + k = c KK + t */
                STN(wt + ((size_t)t * C + c) * OCP + oc0, v[k]);
                if (++t == KK)
                    t = 0, c++;
            }
        }
    for (int oc = 0; oc < OCP; oc++)
        bp[oc] = oc < OC ? b[oc] : 0.0;
    if (!wr)
        return;
    int KC = K * C, RP = nn_pad(KC);
    for (int ky = 0; ky < K; ky++)
        for (int t0 = 0; t0 < RP; t0 += VW)
            for (int oc0 = 0; oc0 < OCP; oc0 += VW) {
                vn v[VW];
                block_t(v, wt + (size_t)ky * KC * OCP, (size_t)OCP, t0, KC, oc0, OCP);
                for (int k = 0; k < VW && oc0 + k < OC; k++)
                    STN(wr + ((size_t)(oc0 + k) * K + ky) * RP + t0, v[k]);
            }
}

static void conv_unpack(double *w, const double *wt, int C, int OC, int K)
{
    int OCP = nn_pad(OC), KK = K * K;
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < KK; t++)
                w[((size_t)oc * C + c) * KK + t] = wt[((size_t)t * C + c) * OCP + oc];
}

/* conv_sgd_packed: wr row by row (its layout is the accumulators'), wt
 * as the transpose of each kernel row's [OC][K*C] block. */
static void conv_sgd_packed(double *wt, double *bp, double *wr, double *b, const double *work,
                            int C, int OC, int K, double a)
{
    int KC = K * C, RP = nn_pad(KC), OCP = nn_pad(OC);
    const double *acc = work, *gs = work + (size_t)(OC + 1) * K * RP;
    for (int oc = 0; oc < OC; oc++) {
        b[oc] += a * gs[oc];
        bp[oc] = b[oc];
    }
    if (wr)
        for (int r = 0; r < OC * K; r++)
            row_axpy(wr + (size_t)r * RP, a, acc + (size_t)r * RP, KC);
    /* kernel row ky of acc is a matrix [OC][RP] (rows K RP apart); its
     * transpose, VW x VW at a time, updates wt's rows (ky, j < KC) [OCP].
     * Whole vectors are read (RP is a multiple of 8); the blocks' lanes
     * past OC are 0 and add a * 0 to wt's zero padding, which leaves +0. */
    for (int ky = 0; ky < K; ky++)
        for (int j0 = 0; j0 < KC; j0 += VW)
            for (int oc0 = 0; oc0 < OCP; oc0 += VW) {
                vn v[VW];
                for (int i = 0; i < VW; i++)
                    v[i] = oc0 + i < OC ? (vn)LDN(acc + ((size_t)(oc0 + i) * K + ky) * RP + j0)
                                        : (vn){0};
                vn_transpose(v);
                for (int k = 0; k < VW && j0 + k < KC; k++) {
                    double *o = wt + ((size_t)ky * KC + j0 + k) * OCP + oc0;
                    STN(o, LDN(o) + a * v[k]);
                }
            }
}

/* One tile: xb consecutive output pixels of one row times nvec native
 * vectors of output channels, accumulated in registers over all K*K*C taps:
 * per tap, nvec weight vectors and xb broadcast inputs. in points at the
 * tile's top-left input pixel; out, wt, bp at the tile's first channel.
 * xb, nvec and CC (C when the network's shapes fix it, else 0) are
 * constants at every call, so the loops unroll and the accumulators live
 * in registers. Per tile width (NN_TILE_X1, _X2): 14 x 1 and 10 x 2
 * accumulators with AVX-512 leave room for the weight vectors. */
#define TILE_V (NN_GROUP / VW)
#define TILE_X (NN_TILE_X1 > NN_TILE_X2 ? NN_TILE_X1 : NN_TILE_X2)
static inline __attribute__((always_inline)) void
conv_tile(double *restrict out, const double *restrict in, const double *restrict wt,
          const double *restrict bp, int W, int C, int K, int OCP, const int xb, const int nvec,
          const int CC)
{
    const int Cn = CC ? CC : C;
    vn a[TILE_X][TILE_V];
#pragma GCC unroll 16
    for (int i = 0; i < xb; i++)
#pragma GCC unroll 8
        for (int v = 0; v < nvec; v++)
            a[i][v] = LDN(bp + v * VW);
    int KC = K * Cn;
    for (int ky = 0; ky < K; ky++) {
        /* Within a kernel row the taps (kx, c) are contiguous in a
         * channels-last input: tap t of pixel i is ip[i * C + t]. */
        const double *ip = in + (size_t)ky * W * Cn;
        const double *wp = wt + (size_t)ky * KC * OCP;
        for (int t = 0; t < KC; t++) {
            vn w[TILE_V];
#pragma GCC unroll 8
            for (int v = 0; v < nvec; v++)
                w[v] = LDN(wp + (size_t)t * OCP + v * VW);
#pragma GCC unroll 16
            for (int i = 0; i < xb; i++) {
                double s = ip[i * Cn + t];
#pragma GCC unroll 8
                for (int v = 0; v < nvec; v++)
                    a[i][v] += s * w[v];
            }
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < xb; i++)
#pragma GCC unroll 8
        for (int v = 0; v < nvec; v++)
            STN(out + (size_t)i * OCP + v * VW, a[i][v]);
}

/* Each instantiation a function of its own: inlined together into one
 * function, GCC's register allocator spills the weight vectors. */
#define CONV_TILE_FN(name, xb, nvec, CC)                                                           \
    static __attribute__((noinline)) void name(                                                    \
        double *restrict out, const double *restrict in, const double *restrict wt,                \
        const double *restrict bp, int W, int C, int K, int OCP)                                   \
    {                                                                                              \
        conv_tile(out, in, wt, bp, W, C, K, OCP, xb, nvec, CC);                                    \
    }
/* 8 channels (conv1), any C and C = 1 (grayscale) */
CONV_TILE_FN(conv_t8_wide, NN_TILE_X1, NH, 0)
CONV_TILE_FN(conv_t8_one, 1, NH, 0)
CONV_TILE_FN(conv_t8_wide_c1, NN_TILE_X1, NH, 1)
CONV_TILE_FN(conv_t8_one_c1, 1, NH, 1)
#if NN_GROUP == 16
/* 16 channels (conv2), any C and C = 6 */
CONV_TILE_FN(conv_t16_wide, NN_TILE_X2, 2 * NH, 0)
CONV_TILE_FN(conv_t16_one, 1, 2 * NH, 0)
CONV_TILE_FN(conv_t16_wide_c6, NN_TILE_X2, 2 * NH, 6)
CONV_TILE_FN(conv_t16_one_c6, 1, 2 * NH, 6)
#endif

typedef void (*conv_tile_fn)(double *, const double *, const double *, const double *, int, int,
                             int, int);

/* conv_forward
 *   in  [H][W][C]
 *   wt  [K][K][C][OCP], bp [OCP]
 *   out [OH][OW][OCP] */
static void conv_forward(double *out, const double *in, const double *wt, const double *bp, int H,
                         int W, int C, int OC, int K)
{
    int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
    for (int g = 0; g < OCP;) {
        /* a group of 16 channels where the path has the registers, else 8 */
        int wide16 = NN_GROUP == 16 && OCP - g >= 16, xb = wide16 ? NN_TILE_X2 : NN_TILE_X1;
        conv_tile_fn wide = C == 1 ? conv_t8_wide_c1 : conv_t8_wide;
        conv_tile_fn one = C == 1 ? conv_t8_one_c1 : conv_t8_one;
#if NN_GROUP == 16
        if (wide16) {
            wide = C == 6 ? conv_t16_wide_c6 : conv_t16_wide;
            one = C == 6 ? conv_t16_one_c6 : conv_t16_one;
        }
#endif
        for (int y = 0; y < OH; y++) {
            double *o = out + (size_t)y * OW * OCP + g;
            const double *ip = in + (size_t)y * W * C;
            int x = 0;
            for (; x + xb <= OW; x += xb)
                wide(o + (size_t)x * OCP, ip + (size_t)x * C, wt + g, bp + g, W, C, K, OCP);
            for (; x < OW; x++)
                one(o + (size_t)x * OCP, ip + (size_t)x * C, wt + g, bp + g, W, C, K, OCP);
        }
        g += wide16 ? 16 : 8;
    }
}

#if VW >= 4
/* conv_pool_forward's tile: nw pool windows of a pair of output rows (2 x
 * 2 nw conv outputs) times nvec vectors of output channels, accumulated in
 * registers as conv_tile does (the same sums in the same order), then per
 * window the max (NaN wins, ties keep the first, as maxpool_forward), its
 * place in the window, and the ReLU. in: the tile's top-left input pixel;
 * wt, bp at the group's first channel; out, idx at its first window and
 * channel (windows OC apart). valid: channels of the group that exist;
 * overhang: a vector may be stored whole even where it passes them (the
 * next window's store comes later and puts its own values there), but
 * never past nout (the outputs left from out). */
#define PT_MAXW 5 /* windows per tile, at most (NN_PW8, NN_PW16) */
static inline __attribute__((always_inline)) void
conv_ptile(double *restrict out, int *restrict idx, const double *restrict in,
           const double *restrict wt, const double *restrict bp, int W, int C, int K, int OCP,
           int OC, int valid, int overhang, size_t nout, const int nw, const int nvec, const int CC)
{
    const int Cn = CC ? CC : C, xb = 2 * nw;
    vn a[2][2 * PT_MAXW][TILE_V];
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++)
#pragma GCC unroll 16
        for (int i = 0; i < xb; i++)
#pragma GCC unroll 8
            for (int v = 0; v < nvec; v++)
                a[r][i][v] = LDN(bp + v * VW);
    int KC = K * Cn;
    size_t rs = (size_t)W * Cn;
    for (int ky = 0; ky < K; ky++) {
        const double *ip = in + (size_t)ky * rs;
        const double *wp = wt + (size_t)ky * KC * OCP;
        for (int t = 0; t < KC; t++) {
            vn w[TILE_V];
#pragma GCC unroll 8
            for (int v = 0; v < nvec; v++)
                w[v] = LDN(wp + (size_t)t * OCP + v * VW);
#pragma GCC unroll 2
            for (int r = 0; r < 2; r++)
#pragma GCC unroll 16
                for (int i = 0; i < xb; i++) {
                    double s = ip[r * rs + i * Cn + t];
#pragma GCC unroll 8
                    for (int v = 0; v < nvec; v++)
                        a[r][i][v] += s * w[v];
                }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < nw; j++)
#pragma GCC unroll 8
        for (int v = 0; v < nvec; v++) {
            vn p[4] = {a[0][2 * j][v], a[0][2 * j + 1][v], a[1][2 * j][v], a[1][2 * j + 1][v]};
            vnl which;
            vn m = vn_relu(vn_pool4(p, &which));
            size_t q = (size_t)j * OC + (size_t)v * VW;
            int lanes = valid - v * VW;
            if (lanes >= VW || (overhang && q + VW <= nout)) {
                STN(out + q, m);
                vni w32 = __builtin_convertvector(which, vni);
                memcpy(idx + q, &w32, sizeof w32);
            } else
                for (int l = 0; l < lanes; l++) {
                    out[q + l] = m[l];
                    idx[q + l] = (int)which[l];
                }
        }
}

#define CONV_PTILE_FN(name, nw, nvec, CC)                                                          \
    static __attribute__((noinline)) void name(                                                    \
        double *restrict out, int *restrict idx, const double *restrict in,                        \
        const double *restrict wt, const double *restrict bp, int W, int C, int K, int OCP,        \
        int OC, int valid, int overhang, size_t nout)                                              \
    {                                                                                              \
        conv_ptile(out, idx, in, wt, bp, W, C, K, OCP, OC, valid, overhang, nout, nw, nvec, CC);   \
    }
/* Tiles of 1..NN_PW8 windows of 8 channels (NH vectors), any C and C = 1;
 * of 1..NN_PW16 windows of 16 channels, any C and C = 6. */
#define PT8(n) CONV_PTILE_FN(cp8_##n, n, NH, 0) CONV_PTILE_FN(cp8c1_##n, n, NH, 1)
#define PT16(n) CONV_PTILE_FN(cp16_##n, n, 2 * NH, 0) CONV_PTILE_FN(cp16c6_##n, n, 2 * NH, 6)
PT8(1)
#if NN_PW8 == 5
PT8(2)
PT8(3)
PT8(4)
PT8(5)
#endif
#if NN_PW16 == 3
PT16(1)
PT16(2)
PT16(3)
#endif

typedef void (*conv_ptile_fn)(double *, int *, const double *, const double *, const double *, int,
                              int, int, int, int, int, int, size_t);
#if NN_PW8 == 5
static const conv_ptile_fn cp8[] = {NULL, cp8_1, cp8_2, cp8_3, cp8_4, cp8_5};
static const conv_ptile_fn cp8c1[] = {NULL, cp8c1_1, cp8c1_2, cp8c1_3, cp8c1_4, cp8c1_5};
#elif NN_PW8 == 1
static const conv_ptile_fn cp8[] = {NULL, cp8_1}, cp8c1[] = {NULL, cp8c1_1};
#endif
#if NN_PW16 == 3
static const conv_ptile_fn cp16[] = {NULL, cp16_1, cp16_2, cp16_3};
static const conv_ptile_fn cp16c6[] = {NULL, cp16c6_1, cp16c6_2, cp16c6_3};
#endif

/* conv_pool_forward for one input channel and 6 output channels (conv1 on
 * grayscale): vectors over XV * VW consecutive output pixels of a row, not
 * over the channels, so no lane holds padding (6 channels in 8 lanes wasted
 * a quarter of every multiply-add). A tile is a pair of output rows times
 * XV vectors times the 6 channels, accumulated over the taps in conv_ptile's
 * order (bias, then ky, kx) with the same fused multiply-adds: the same
 * bits. The pool pairs even and odd lanes; windows go out channel by
 * channel. A row's last tile is moved left to end at the row's end (it
 * recomputes a few windows, with the same values) so nothing is read past
 * the input row. */
#define C1X_OC 6
#define C1X_XV (VW == 8 ? 2 : 1)
static void conv1_pool_forward_x(double *restrict out, int *restrict idx, const double *restrict in,
                                 const double *restrict wt, const double *restrict bp, int W, int K,
                                 int OCP, int PH, int PW)
{
    const int XW = C1X_XV * VW, OW = 2 * PW;
    for (int py = 0; py < PH; py++)
        for (int x0 = 0;; x0 += XW) {
            if (x0 + XW > OW)
                x0 = OW - XW;
            vn a[2][C1X_XV][C1X_OC];
#pragma GCC unroll 2
            for (int r = 0; r < 2; r++)
#pragma GCC unroll 2
                for (int v = 0; v < C1X_XV; v++)
#pragma GCC unroll 6
                    for (int oc = 0; oc < C1X_OC; oc++)
                        a[r][v][oc] = vn_bcast(bp[oc]);
            const double *ip = in + (size_t)(2 * py) * W + x0;
            for (int ky = 0; ky < K; ky++, ip += W)
#pragma GCC unroll 5
                for (int kx = 0; kx < K; kx++) {
                    vn s[2][C1X_XV];
#pragma GCC unroll 2
                    for (int r = 0; r < 2; r++)
#pragma GCC unroll 2
                        for (int v = 0; v < C1X_XV; v++)
                            s[r][v] = LDN(ip + r * W + kx + v * VW);
                    const double *wp = wt + (size_t)(ky * K + kx) * OCP;
#pragma GCC unroll 6
                    for (int oc = 0; oc < C1X_OC; oc++) {
                        vn w = vn_bcast(wp[oc]);
                        IN_REG(w);
#pragma GCC unroll 2
                        for (int r = 0; r < 2; r++)
#pragma GCC unroll 2
                            for (int v = 0; v < C1X_XV; v++)
                                a[r][v][oc] += s[r][v] * w;
                    }
                }
            /* windows x0/2 .. x0/2 + XW/2 - 1 of row py */
            int px0 = x0 / 2;
#pragma GCC unroll 6
            for (int oc = 0; oc < C1X_OC; oc++) {
                vn p[4];
#if VW == 8
                p[0] = SHUF(a[0][0][oc], a[0][1][oc], 0, 2, 4, 6, 8, 10, 12, 14);
                p[1] = SHUF(a[0][0][oc], a[0][1][oc], 1, 3, 5, 7, 9, 11, 13, 15);
                p[2] = SHUF(a[1][0][oc], a[1][1][oc], 0, 2, 4, 6, 8, 10, 12, 14);
                p[3] = SHUF(a[1][0][oc], a[1][1][oc], 1, 3, 5, 7, 9, 11, 13, 15);
#else
                p[0] = SHUF(a[0][0][oc], a[0][0][oc], 0, 2, 0, 2);
                p[1] = SHUF(a[0][0][oc], a[0][0][oc], 1, 3, 1, 3);
                p[2] = SHUF(a[1][0][oc], a[1][0][oc], 0, 2, 0, 2);
                p[3] = SHUF(a[1][0][oc], a[1][0][oc], 1, 3, 1, 3);
#endif
                vnl which;
                vn m = vn_relu(vn_pool4(p, &which));
                size_t q = ((size_t)py * PW + px0) * C1X_OC + oc;
#pragma GCC unroll 8
                for (int j = 0; j < XW / 2; j++) {
                    out[q + (size_t)j * C1X_OC] = m[j];
                    idx[q + (size_t)j * C1X_OC] = (int)which[j];
                }
            }
            if (x0 + XW >= OW)
                break;
        }
}

/* conv_pool_forward
 *   in [H][W][C], wt [K][K][C][OCP], bp [OCP]
 *   out [OH/2][OW/2][OC] = relu(maxpool(conv(in))), idx [OH/2][OW/2][OC]
 *   (OH, OW even): conv_forward, maxpool_forward (CS = OCP) and
 *   relu_forward in one pass, without the conv output in memory. */
static void conv_pool_forward(double *out, int *idx, const double *in, const double *wt,
                              const double *bp, int H, int W, int C, int OC, int K)
{
    int OH = H - K + 1, OW = W - K + 1, PH = OH / 2, PW = OW / 2, OCP = nn_pad(OC);
    size_t nout = (size_t)PH * PW * OC;
    if (C == 1 && OC == C1X_OC && OW >= C1X_XV * VW) {
        conv1_pool_forward_x(out, idx, in, wt, bp, W, K, OCP, PH, PW);
        return;
    }
    int wide16 = NN_PW16 > 0 && OCP % 16 == 0, gs = wide16 ? 16 : 8;
    int overhang = OCP == gs; /* one group: a window's store precedes the next's */
    const conv_ptile_fn *tiles = C == 1 ? cp8c1 : cp8;
    int most = NN_PW8;
#if NN_PW16 > 0
    if (wide16) {
        tiles = C == 6 ? cp16c6 : cp16;
        most = NN_PW16;
    }
#endif
    /* a row's windows in tiles of at most `most`, as even as they go */
    int ntiles = (PW + most - 1) / most;
    for (int py = 0; py < PH; py++)
        for (int g = 0; g < OCP; g += gs) {
            int valid = OC - g < gs ? OC - g : gs;
            const double *ip = in + (size_t)(2 * py) * W * C;
            for (int tile = 0, px = 0; tile < ntiles; tile++) {
                int nw = (PW - px) / (ntiles - tile);
                size_t q = ((size_t)py * PW + px) * OC + g;
                tiles[nw](out + q, idx + q, ip + (size_t)(2 * px) * C, wt + g, bp + g, W, C, K, OCP,
                          OC, valid, overhang, nout - q);
                px += nw;
            }
        }
}
#endif

/* Backward kernels for K = 5 and nv 8-double groups per kernel row
 * (RP = 8 nv, nn = RP / VW native vectors). A row is read and written RP
 * wide: lanes past K*C read the neighbouring pixel (junk, dropped) and add
 * g * 0 (wr's zero padding) to it, so both only happen where the padded row
 * lies inside the buffer; near its end the patch is copied into a
 * zero-padded buffer / the exact-length path is taken. Rows go in passes
 * of rb that fit the registers (NN_BWD_VECS): every sum still runs over
 * the same terms in the same order. */
#define BK 5
#define BWD_NN (4 * NH) /* native vectors of the widest row (nv = 4) */
#define BWD_RB(nn) (NN_BWD_VECS / (nn) < 1 ? 1 : NN_BWD_VECS / (nn) > BK ? BK : NN_BWD_VECS / (nn))

/* The register block of the backward kernels: nr rows of nn vectors. */
typedef vn bwd_rows[BK][BWD_NN];

/* a[r] += g * (row r at p, rows rs apart) */
static inline __attribute__((always_inline)) void
rows_fma(bwd_rows a, double g, const double *restrict p, size_t rs, const int nr, const int nn)
{
    /* row pointers stepped, not p + r * rs: GCC kept one register per
     * (row, vector) offset and ran out of them */
    const double *pr = p;
#pragma GCC unroll 5
    for (int r = 0; r < nr; r++, pr += rs)
#pragma GCC unroll 16
        for (int v = 0; v < nn; v++)
            a[r][v] += g * LDN(pr + v * VW);
}

/* row r at p (rows rs apart) = a[r] */
static inline __attribute__((always_inline)) void rows_store(double *restrict p, size_t rs,
                                                             bwd_rows a, const int nr, const int nn)
{
#pragma GCC unroll 5
    for (int r = 0; r < nr; r++)
#pragma GCC unroll 16
        for (int v = 0; v < nn; v++)
            STN(p + r * rs + v * VW, a[r][v]);
}

/* dw of one output channel: acc [5][RP] = sum over its m entries j of
 * gl[j] * (the input patch at ol[j]), in order. */
static inline __attribute__((always_inline)) void
conv_bwd_dw(double *restrict acc, const double *restrict gl, const int *restrict ol, int m,
            const double *restrict in, size_t rowstride, size_t nin, int KC, double *restrict patch,
            const int nv)
{
    const int RP = 8 * nv, nn = nv * NH, rb = BWD_RB(nn);
#pragma GCC unroll 5
    for (int k0 = 0; k0 < BK; k0 += rb) {
        const int nr = BK - k0 < rb ? BK - k0 : rb;
        bwd_rows a;
        memset(a, 0, sizeof a);
        for (int j = 0; j < m; j++) {
            const double *p = in + ol[j] + k0 * rowstride;
            size_t rs = rowstride;
            if ((size_t)ol[j] + (BK - 1) * rowstride + RP > nin) {
                for (int r = 0; r < nr; r++)
                    for (int i = 0; i < RP; i++)
                        patch[r * RP + i] = i < KC ? p[r * rowstride + i] : 0.0;
                p = patch;
                rs = RP;
            }
            rows_fma(a, gl[j], p, rs, nr, nn);
        }
        rows_store(acc + k0 * RP, RP, a, nr, nn);
    }
}

/* din of one output position: the patch at din gets gl[j] * (kernel of
 * output channel oc[j]) for its m entries, in order, the patch held in
 * registers meanwhile (one load and one store per output position, not per
 * entry: scattered read-modify-writes of overlapping vectors stall on
 * store forwarding). The caller checks the padded rows fit. */
static inline __attribute__((always_inline)) void
conv_bwd_din(double *restrict din, const double *restrict gl, const int *restrict oc, int m,
             const double *restrict wr, size_t rowstride, const int nv)
{
    const int RP = 8 * nv, nn = nv * NH, rb = BWD_RB(nn);
#pragma GCC unroll 5
    for (int k0 = 0; k0 < BK; k0 += rb) {
        const int nr = BK - k0 < rb ? BK - k0 : rb;
        double *d = din + k0 * rowstride;
        bwd_rows a;
        memset(a, 0, sizeof a);
#pragma GCC unroll 5
        for (int r = 0; r < nr; r++)
#pragma GCC unroll 16
            for (int v = 0; v < nn; v++)
                a[r][v] = LDN(d + r * rowstride + v * VW);
        for (int j = 0; j < m; j++)
            rows_fma(a, gl[j], wr + ((size_t)oc[j] * BK + k0) * RP, RP, nr, nn);
        rows_store(d, rowstride, a, nr, nn);
    }
}

/* One function per nv (see CONV_TILE_FN). */
#define CONV_BWD_FNS(nv)                                                                           \
    static __attribute__((noinline)) void conv_bwd_dw_##nv(                                        \
        double *restrict acc, const double *restrict gl, const int *restrict ol, int m,            \
        const double *restrict in, size_t rowstride, size_t nin, int KC, double *restrict patch)   \
    {                                                                                              \
        conv_bwd_dw(acc, gl, ol, m, in, rowstride, nin, KC, patch, nv);                            \
    }                                                                                              \
    static __attribute__((noinline)) void conv_bwd_din_##nv(                                       \
        double *restrict din, const double *restrict gl, const int *restrict oc, int m,            \
        const double *restrict wr, size_t rowstride)                                               \
    {                                                                                              \
        conv_bwd_din(din, gl, oc, m, wr, rowstride, nv);                                           \
    }
CONV_BWD_FNS(1)
CONV_BWD_FNS(2)
CONV_BWD_FNS(4)

/* dw of a pooled conv without din (the first layer), noc output channels
 * from oc0 at once: one pass over the pool windows in order, each entry
 * adding g * (its input patch) to its channel's accumulators, as
 * conv_bwd_dw does from a channel's list. Zero entries are not skipped:
 * adding 0 * (a finite input) changes no accumulator (they start at +0 and
 * never become -0), and skipping them costs more in building the lists
 * than it saves here. Also sums db. acc [noc][5][RP], gs [noc]. */
static inline __attribute__((always_inline)) void
conv_bwd_pooled_dw(double *restrict acc, double *restrict gs, const double *restrict dpool,
                   const int *restrict idx, int oc0, int OC, int PH, int PW,
                   const double *restrict in, int W, int C, size_t nin, double *restrict patch,
                   const int nv, const int noc)
{
    const int RP = 8 * nv, nn = nv * NH, KC = BK * C;
    const size_t rowstride = (size_t)W * C;
    bwd_rows a[NN_BWD_VECS / (BK * NH) > 0 ? NN_BWD_VECS / (BK * NH) : 1];
    double gsum[NN_BWD_VECS / (BK * NH) > 0 ? NN_BWD_VECS / (BK * NH) : 1];
    memset(a, 0, sizeof a);
    memset(gsum, 0, sizeof gsum);
    for (int py = 0; py < PH; py++)
        for (int px = 0; px < PW; px++) {
            int q0 = (py * PW + px) * OC + oc0;
#pragma GCC unroll 8
            for (int j = 0; j < noc; j++) {
                double g = dpool[q0 + j];
                int id = idx[q0 + j];
                size_t off = ((size_t)(2 * py + (id >> 1)) * W + 2 * px + (id & 1)) * C;
                const double *p = in + off;
                size_t rs = rowstride;
                if (off + (BK - 1) * rowstride + RP > nin) {
                    for (int r = 0; r < BK; r++)
                        for (int i = 0; i < RP; i++)
                            patch[r * RP + i] = i < KC ? p[r * rowstride + i] : 0.0;
                    p = patch;
                    rs = RP;
                }
                rows_fma(a[j], g, p, rs, BK, nn);
                gsum[j] += g;
            }
        }
#pragma GCC unroll 8
    for (int j = 0; j < noc; j++) {
        rows_store(acc + (size_t)j * BK * RP, RP, a[j], BK, nn);
        gs[j] = gsum[j];
    }
}

/* Output channels per pass of conv_bwd_pooled_dw for a 1-channel input
 * (nv = 1): as many as the accumulator budget holds (0: not used). */
#define POOLED_NOC (NN_BWD_VECS / (BK * NH) > 4 ? 4 : NN_BWD_VECS / (BK * NH))
#if POOLED_NOC > 0
static __attribute__((noinline)) void
conv_bwd_pooled_dw_1(double *acc, double *gs, const double *dpool, const int *idx, int oc0, int OC,
                     int PH, int PW, const double *in, int W, size_t nin, double *patch, int noc)
{
#define POOLED_CASE(n)                                                                             \
    case n:                                                                                        \
        conv_bwd_pooled_dw(acc, gs, dpool, idx, oc0, OC, PH, PW, in, W, 1, nin, patch, 1, n);      \
        break;
    switch (noc) {
        POOLED_CASE(1)
#if POOLED_NOC >= 2
        POOLED_CASE(2)
#endif
#if POOLED_NOC >= 3
        POOLED_CASE(3)
#endif
#if POOLED_NOC >= 4
        POOLED_CASE(4)
#endif
    }
#undef POOLED_CASE
}
#endif

/* The non-zero entries of dout, gathered once by both entry points
 * (branch-free: every entry is written, the count advances on non-zero):
 *   by output channel, in scan order: cg, co [OC][cap] (g, offset of its
 *   input patch), cn [OC], and the sum of its g, gs [OC]
 *   by output position (din only), output channels ascending: pg, poc
 *   [npos][OC] (g, channel), pn [npos]
 * and the dw accumulators acc [OC][K][RP]. */
typedef struct {
    int C, K, KC, RP, nv, fast, OC, OW, npos, cap;
    size_t rowstride, nin;
    double *acc, *patch, *gs, *cg, *pg;
    int *co, *cn, *poc, *pn;
} conv_bwd_ctx;

static conv_bwd_ctx conv_bwd_setup(int H, int W, int C, int OC, int K, double *work, int din)
{
    conv_bwd_ctx x;
    x.C = C;
    x.K = K;
    x.KC = K * C;
    x.RP = nn_pad(x.KC);
    x.nv = x.RP / 8;
    x.fast = K == BK && (x.nv == 1 || x.nv == 2 || x.nv == 4);
    x.OC = OC;
    x.OW = W - K + 1;
    x.npos = (H - K + 1) * x.OW;
    x.cap = x.npos;
    x.rowstride = (size_t)W * C;
    x.nin = (size_t)H * W * C;
    size_t nl = (size_t)OC * x.npos;
    x.acc = work;
    x.patch = x.acc + (size_t)OC * K * x.RP;
    x.gs = x.patch + (size_t)K * x.RP;
    x.cg = x.gs + OC;
    x.pg = x.cg + nl;
    x.co = (int *)(x.pg + nl);
    x.poc = x.co + nl;
    x.cn = x.poc + nl;
    x.pn = x.cn + OC;
    memset(x.cn, 0, sizeof(int) * OC);
    memset(x.gs, 0, sizeof(double) * OC);
    if (din)
        memset(x.pn, 0, sizeof(int) * x.npos);
    return x;
}

/* Entry (output position pos, channel oc) of dout is g; off is the offset
 * of its input patch. A zero g adds nothing to gs (see conv_bwd_pooled_dw). */
static inline __attribute__((always_inline)) void conv_bwd_add(conv_bwd_ctx *x, int pos, int off,
                                                               int oc, double g, int din)
{
    int nz = g != 0.0, k = x->cn[oc];
    size_t q = (size_t)oc * x->cap + k;
    x->cg[q] = g;
    x->co[q] = off;
    x->cn[oc] = k + nz;
    x->gs[oc] += g;
    if (din) {
        int kp = x->pn[pos];
        size_t r = (size_t)pos * x->OC + kp;
        x->pg[r] = g;
        x->poc[r] = oc;
        x->pn[pos] = kp + nz;
    }
}

/* The dw accumulators of every output channel from its list. */
static void conv_bwd_lists_dw(const conv_bwd_ctx *x, const double *in)
{
    int K = x->K, KC = x->KC, RP = x->RP, nv = x->nv;
    for (int oc = 0; oc < x->OC; oc++) {
        const double *gl = x->cg + (size_t)oc * x->cap;
        const int *ol = x->co + (size_t)oc * x->cap;
        int m = x->cn[oc];
        double *acc = x->acc + (size_t)oc * K * RP;
        if (x->fast && nv == 1)
            conv_bwd_dw_1(acc, gl, ol, m, in, x->rowstride, x->nin, KC, x->patch);
        else if (x->fast && nv == 2)
            conv_bwd_dw_2(acc, gl, ol, m, in, x->rowstride, x->nin, KC, x->patch);
        else if (x->fast)
            conv_bwd_dw_4(acc, gl, ol, m, in, x->rowstride, x->nin, KC, x->patch);
        else {
            memset(acc, 0, sizeof(double) * K * RP);
            for (int j = 0; j < m; j++)
                for (int ky = 0; ky < K; ky++)
                    row_axpy(acc + ky * RP, gl[j], in + ol[j] + ky * x->rowstride, KC);
        }
    }
}

/* dw [OC][C][K][K] from the accumulators [OC][ky][kx][c] (rows RP apart),
 * db [OC] from gs. */
static void conv_bwd_store(const conv_bwd_ctx *x, double *dw, double *db)
{
    int K = x->K, RP = x->RP, C = x->C;
    for (int oc = 0; oc < x->OC; oc++) {
        const double *acc = x->acc + (size_t)oc * K * RP;
        double *d = dw + (size_t)oc * C * K * K;
        db[oc] = x->gs[oc];
        if (C == 1)
            for (int ky = 0; ky < K; ky++)
                memcpy(d + ky * K, acc + ky * RP, sizeof(double) * K);
        else
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                    for (int c = 0; c < C; c++)
                        d[(c * K + ky) * K + kx] = acc[ky * RP + kx * C + c];
    }
}

/* din [H][W][C] (zeroed by the caller) from the position lists, in an
 * order where the next position's patch seldom overlaps the last ones':
 * a patch loaded before the stores of an overlapping one have left the
 * store buffer waits for them (misaligned, they cannot be forwarded). */
static void conv_bwd_lists_din(const conv_bwd_ctx *x, double *din, const double *wr)
{
    int K = x->K, KC = x->KC, RP = x->RP, nv = x->nv, C = x->C;
    int OW = x->OW, OH = x->npos / OW;
    /* columns h apart interleaved (0, h, 1, h + 1, ...: with h > K their
     * patches do not overlap), the rest in order */
    int h = (OW + 2) / 2, nh = OW - h > 0 ? 2 * (OW - h) : 0;
    for (int r = 0; r < K && r < OH; r++)
        for (int i = 0; i < OW; i++)
            for (int py = r; py < OH; py += K) {
                int px = i < nh ? (i % 2 ? h + i / 2 : i / 2) : i - nh / 2;
                int pos = py * OW + px, m = x->pn[pos];
                if (!m)
                    continue;
                const double *gl = x->pg + (size_t)pos * x->OC;
                const int *ocl = x->poc + (size_t)pos * x->OC;
                size_t o = (size_t)py * x->rowstride + (size_t)px * C;
                double *d = din + o;
                if (x->fast && o + (K - 1) * x->rowstride + RP <= x->nin) {
                    if (nv == 1)
                        conv_bwd_din_1(d, gl, ocl, m, wr, x->rowstride);
                    else if (nv == 2)
                        conv_bwd_din_2(d, gl, ocl, m, wr, x->rowstride);
                    else
                        conv_bwd_din_4(d, gl, ocl, m, wr, x->rowstride);
                } else {
                    /* the same sums, element by element */
                    for (int ky = 0; ky < K; ky++)
                        for (int j = 0; j < m; j++)
                            row_axpy(d + ky * x->rowstride, gl[j],
                                     wr + ((size_t)ocl[j] * K + ky) * RP, KC);
                }
            }
}

/* conv_backward
 *   dout [OH][OW][OCP], in [H][W][C], wr [OC][K][RP] (RP = nn_pad(K*C))
 *   dw [OC][C][K][K], db [OC], din [H][W][C] (or NULL)
 * The non-zero entries of dout are gathered first; then per output channel
 * each adds g * (its input patch) to dw, and per output position the
 * patch of din gets g * (the kernel) of each of its channels. */
static void conv_backward(double *dw, double *db, double *din, const double *dout, const double *in,
                          const double *wr, int H, int W, int C, int OC, int K, double *work)
{
    int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
    conv_bwd_ctx x = conv_bwd_setup(H, W, C, OC, K, work, din != NULL);
    for (int y = 0; y < OH; y++)
        for (int xx = 0; xx < OW; xx++)
            for (int oc = 0; oc < OC; oc++) {
                int pos = y * OW + xx, off = (y * W + xx) * C;
                double g = dout[(size_t)pos * OCP + oc];
                if (din)
                    conv_bwd_add(&x, pos, off, oc, g, 1);
                else
                    conv_bwd_add(&x, pos, off, oc, g, 0);
            }
    conv_bwd_lists_dw(&x, in);
    if (dw)
        conv_bwd_store(&x, dw, db);
    if (din) {
        memset(din, 0, sizeof(double) * x.nin);
        conv_bwd_lists_din(&x, din, wr);
    }
}

/* conv_backward_pooled
 *   dpool [OH/2][OW/2][OC], idx [OH/2][OW/2][OC] (maxpool_forward of the
 *   conv output [OH][OW][OCP]), in, wr, dw, db, din as conv_backward
 * The entries of dout come straight from the pool, a quarter of the scan
 * of conv_backward and no dense dout; without din and with a 1-channel
 * input, straight into the dw accumulators (conv_bwd_pooled_dw). */
static void conv_backward_pooled(double *dw, double *db, double *din, const double *dpool,
                                 const int *idx, const double *in, const double *wr, int H, int W,
                                 int C, int OC, int K, double *work)
{
    int OH = H - K + 1, OW = W - K + 1;
    int PH = OH / 2, PW = OW / 2;
    conv_bwd_ctx x = conv_bwd_setup(H, W, C, OC, K, work, din != NULL);
#if POOLED_NOC > 0
    if (!din && x.fast && x.nv == 1) {
        /* channels in passes of at most POOLED_NOC, as even as they go */
        int passes = (OC + POOLED_NOC - 1) / POOLED_NOC;
        for (int p = 0, oc = 0; p < passes; p++) {
            int noc = (OC - oc) / (passes - p);
            conv_bwd_pooled_dw_1(x.acc + (size_t)oc * K * x.RP, x.gs + oc, dpool, idx, oc, OC, PH,
                                 PW, in, W, x.nin, x.patch, noc);
            oc += noc;
        }
        if (dw)
            conv_bwd_store(&x, dw, db);
        return;
    }
#endif
    for (int py = 0; py < PH; py++)
        for (int px = 0; px < PW; px++)
            for (int oc = 0; oc < OC; oc++) {
                int q = (py * PW + px) * OC + oc;
                int y = 2 * py + (idx[q] >> 1), xx = 2 * px + (idx[q] & 1);
                int pos = y * OW + xx, off = (y * W + xx) * C;
                if (din)
                    conv_bwd_add(&x, pos, off, oc, dpool[q], 1);
                else
                    conv_bwd_add(&x, pos, off, oc, dpool[q], 0);
            }
    conv_bwd_lists_dw(&x, in);
    if (dw)
        conv_bwd_store(&x, dw, db);
    if (din) {
        memset(din, 0, sizeof(double) * x.nin);
        conv_bwd_lists_din(&x, din, wr);
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
static void maxpool_forward(double *out, int *idx, const double *in, int H, int W, int C, int CS)
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
            for (; c < C && c + VW <= CS; c += VW) {
                vn w[4];
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++)
                    w[j] = LDN(p + c + off[j]);
                vnl which;
                vn m = vn_pool4(w, &which);
                if (q + c + VW <= nout) {
                    STN(out + q + c, m);
                    if (idx) {
                        vni w32 = __builtin_convertvector(which, vni);
                        memcpy(idx + q + c, &w32, sizeof w32);
                    }
                } else {
                    for (int l = 0; l < VW && c + l < C; l++) {
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
static void maxpool_backward(double *din, const double *dout, const int *idx, int H, int W, int C,
                             int CS)
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

/* nr rows of dense_forward from row o: 8-lane accumulators (NH vectors
 * each) over the inputs, then their sum in hsum8's order and the scalar
 * tail. nr is a constant: the rows' accumulator chains run side by side. */
static inline __attribute__((always_inline)) void
dense_rows(double *restrict out, const double *restrict in, const double *restrict w,
           const double *restrict b, int NI, int o, const int nr)
{
    vn a[NN_DENSE_ROWS][NH];
    memset(a, 0, sizeof a);
    int i = 0;
    for (; i + 8 <= NI; i += 8)
#pragma GCC unroll 4
        for (int h = 0; h < NH; h++) {
            vn x = LDN(in + i + h * VW);
#pragma GCC unroll 8
            for (int r = 0; r < nr; r++)
                a[r][h] += LDN(w + (size_t)(o + r) * NI + i + h * VW) * x;
        }
#pragma GCC unroll 8
    for (int r = 0; r < nr; r++) {
        const double *wr = w + (size_t)(o + r) * NI;
        double s = hsum8(a[r]);
        for (int j = i; j < NI; j++)
            s += wr[j] * in[j];
        out[o + r] = s + b[o + r];
    }
}

static __attribute__((noinline)) void dense_rows_n(double *out, const double *in, const double *w,
                                                   const double *b, int NI, int o)
{
    dense_rows(out, in, w, b, NI, o, NN_DENSE_ROWS);
}

static __attribute__((noinline)) void dense_rows_1(double *out, const double *in, const double *w,
                                                   const double *b, int NI, int o)
{
    dense_rows(out, in, w, b, NI, o, 1);
}

/* dense_forward
 *   in [NI], w [NO][NI], b [NO] -> out [NO]
 * NN_DENSE_ROWS rows at a time share the loads of in and keep that many
 * independent accumulator chains in flight. */
static void dense_forward(double *out, const double *in, const double *w, const double *b, int NI,
                          int NO)
{
    int o = 0;
    for (; o + NN_DENSE_ROWS <= NO; o += NN_DENSE_ROWS)
        dense_rows_n(out, in, w, b, NI, o);
    for (; o < NO; o++)
        dense_rows_1(out, in, w, b, NI, o);
}

/* dense_backward
 *   dout [NO], in [NI], w [NO][NI] -> dw [NO][NI], db [NO], din [NI]
 * One pass over w and dw: row o of dw is dout[o] * in, and din gathers
 * dout[o] * (row o of w); rows with dout[o] == 0 (ReLU) skip the latter,
 * and with zero_rows (see layers.h) are not even rewritten when they are
 * zero already: writing fc1's dw (out of L1) is this layer's main cost. */
static void dense_backward(double *dw, double *db, double *din, const double *dout,
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
        for (; i + VW <= NI; i += VW)
            STN(dwo + i, d * LDN(in + i));
        for (; i < NI; i++)
            dwo[i] = d * in[i];
        if (din)
            row_axpy(din, d, w + (size_t)o * NI, NI);
    }
}

/* nr rows of dense_backward_sgd (row numbers ro [nr], their dout d [nr],
 * all non-zero): din += d[r] w[ro[r]] (old w) for r in order, dw[ro[r]] =
 * d[r] in, w[ro[r]] += a dw[ro[r]]. din is loaded and stored once per nr
 * rows, the sum running in the same order as one row at a time; nr, keep
 * and has_din are constants at every call. */
static inline __attribute__((always_inline)) void
sgd_rows(double *restrict dw, double *restrict din, double *restrict w, const double *restrict in,
         const int *ro, const double *d, double a, int NI, const int nr, const int keep,
         const int has_din)
{
    double *wo[NN_SGD_ROWS], *dwo[NN_SGD_ROWS];
#pragma GCC unroll 8
    for (int r = 0; r < nr; r++) {
        wo[r] = w + (size_t)ro[r] * NI;
        dwo[r] = keep ? dw + (size_t)ro[r] * NI : NULL;
    }
    int i = 0;
    for (; i + VW <= NI; i += VW) {
        vn x = LDN(in + i), dn = has_din ? (vn)LDN(din + i) : (vn){0};
#pragma GCC unroll 8
        for (int r = 0; r < nr; r++) {
            vn wv = LDN(wo[r] + i), g = d[r] * x;
            if (has_din)
                dn += d[r] * wv;
            if (keep)
                STN(dwo[r] + i, g);
            STN(wo[r] + i, wv + a * g);
        }
        if (has_din)
            STN(din + i, dn);
    }
    for (; i < NI; i++)
        for (int r = 0; r < nr; r++) {
            double wv = wo[r][i], g = d[r] * in[i];
            if (has_din)
                din[i] += d[r] * wv;
            if (keep)
                dwo[r][i] = g;
            wo[r][i] = wv + a * g;
        }
}

#define SGD_ROWS_FN(name, nr, keep, has_din)                                                       \
    static __attribute__((noinline)) void name(double *dw, double *din, double *w,                 \
                                               const double *in, const int *ro, const double *d,   \
                                               double a, int NI)                                   \
    {                                                                                              \
        sgd_rows(dw, din, w, in, ro, d, a, NI, nr, keep, has_din);                                 \
    }
SGD_ROWS_FN(sgd_n_keep_din, NN_SGD_ROWS, 1, 1)
SGD_ROWS_FN(sgd_n_keep, NN_SGD_ROWS, 1, 0)
SGD_ROWS_FN(sgd_n_din, NN_SGD_ROWS, 0, 1)
SGD_ROWS_FN(sgd_n, NN_SGD_ROWS, 0, 0)
SGD_ROWS_FN(sgd_1_keep_din, 1, 1, 1)
SGD_ROWS_FN(sgd_1_keep, 1, 1, 0)
SGD_ROWS_FN(sgd_1_din, 1, 0, 1)
SGD_ROWS_FN(sgd_1, 1, 0, 0)

/* dense_backward_sgd
 *   as dense_backward, then w += a dw, b += a db (a = -lr), in the same
 *   pass: row o of w is read once for din and written once updated. The
 *   update is the expression axpy uses, so the result is bitwise that of
 *   dense_backward then axpy. Rows with dout[o] == 0 (ReLU) have dw = 0
 *   and are left as they are; the others go NN_SGD_ROWS at a time. With dw
 *   and db NULL the gradient is applied but not kept: writing dw (fc1:
 *   48000 doubles, out of L1) is a large part of this layer's cost. */
static void dense_backward_sgd(double *dw, double *db, double *din, double *w, double *b,
                               const double *dout, const double *in, int NI, int NO, double lr,
                               unsigned char *zero_rows)
{
    double a = -lr;
    int ro[NN_SGD_ROWS];
    double d[NN_SGD_ROWS];
    int n = 0;
    typedef void (*rows_fn)(double *, double *, double *, const double *, const int *,
                            const double *, double, int);
    rows_fn many = dw ? (din ? sgd_n_keep_din : sgd_n_keep) : (din ? sgd_n_din : sgd_n);
    rows_fn one = dw ? (din ? sgd_1_keep_din : sgd_1_keep) : (din ? sgd_1_din : sgd_1);
    if (din)
        memset(din, 0, sizeof(double) * NI);
    for (int o = 0; o < NO; o++) {
        double g = dout[o];
        if (db)
            db[o] = g;
        b[o] += a * g;
        if (g == 0.0) {
            if (dw && (!zero_rows || !zero_rows[o]))
                memset(dw + (size_t)o * NI, 0, sizeof(double) * NI);
            if (dw && zero_rows)
                zero_rows[o] = 1;
            continue;
        }
        if (dw && zero_rows)
            zero_rows[o] = 0;
        ro[n] = o;
        d[n++] = g;
        if (n == NN_SGD_ROWS) {
            many(dw, din, w, in, ro, d, a, NI);
            n = 0;
        }
    }
    for (int r = 0; r < n; r++)
        one(dw, din, w, in, ro + r, d + r, a, NI);
}

/* ------------------------------------------------------------------ relu */

/* relu_forward: x [n] -> out [n]
 * Masks, not branches (the signs are random). NaN passes, as in PyTorch. */
static void relu_forward(double *out, const double *x, int n)
{
    int i = 0;
    for (; i + VW <= n; i += VW) {
        STN(out + i, vn_relu(LDN(x + i)));
    }
    for (; i < n; i++)
        out[i] = x[i] > 0.0 || x[i] != x[i] ? x[i] : 0.0;
}

/* relu_backward: dout [n], out [n] -> din [n] */
static void relu_backward(double *din, const double *dout, const double *out, int n)
{
    int i = 0;
    for (; i + VW <= n; i += VW) {
        vnl keep = LDN(out + i) > 0.0;
        STN(din + i, (vn)((vnl)LDN(dout + i) & keep));
    }
    for (; i < n; i++)
        din[i] = out[i] > 0.0 ? dout[i] : 0.0;
}

/* ------------------------------------------------------ softmax + CE loss */

/* softmax_ce_forward: logits [K] -> probs [K], loss */
static double softmax_ce_forward(double *probs, const double *logits, int K, int label)
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
static void softmax_ce_backward(double *dlogits, const double *probs, int K, int label)
{
    for (int j = 0; j < K; j++)
        dlogits[j] = probs[j] - (j == label ? 1.0 : 0.0);
}

/* ---------------------------------------------------------------- layout */

static void hwc_from_chw(double *out, const double *x, int C, int HW)
{
    if (C == 1) {
        memcpy(out, x, sizeof(double) * HW);
        return;
    }
    for (int p = 0; p < HW; p++)
        for (int c = 0; c < C; c++)
            out[(size_t)p * C + c] = x[(size_t)c * HW + p];
}

static void chw_from_hwc(double *out, const double *x, int C, int HW)
{
    for (int c = 0; c < C; c++)
        for (int p = 0; p < HW; p++)
            out[(size_t)c * HW + p] = x[(size_t)p * C + c];
}

/* ------------------------------------------------------------------ peak */

/* 12 chains: more than the FMA latency times the FMAs per cycle of any x86
 * core so far (4 x 2), so the loop is bound by throughput, not latency;
 * 12 + 2 vectors fit the 16 registers of the avx2 and c paths. */
enum { FMA_CHAINS = 12 };

static double fma_loop(long n, double *sink)
{
    /* every loop unrolled, so that GCC keeps the chains in registers */
    vn a[FMA_CHAINS], x = vn_bcast(1.0 - 1e-9), y = vn_bcast(1e-9);
    IN_REG(x);
    IN_REG(y);
#pragma GCC unroll 12
    for (int i = 0; i < FMA_CHAINS; i++)
        a[i] = y * (double)i;
    for (long r = 0; r < n; r++) {
#pragma GCC unroll 12
        for (int i = 0; i < FMA_CHAINS; i++)
            a[i] = a[i] * x + y;
    }
    vn s = a[0];
#pragma GCC unroll 12
    for (int i = 1; i < FMA_CHAINS; i++)
        s += a[i];
    double t = 0.0;
    for (int l = 0; l < VW; l++)
        t += s[l];
    *sink = t;
    return 2.0 * FMA_CHAINS * VW * (double)n;
}

/* ----------------------------------------------------------------- table */

const nn_kernels NN_ISA_FN(nn_kernels) = {
    .name = NN_STR(NN_ISA),
    .lanes = NN_NL,
    .conv_pack = conv_pack,
    .conv_forward = conv_forward,
    .conv_backward = conv_backward,
    .conv_backward_pooled = conv_backward_pooled,
#if VW >= 4
    .conv_pool_forward = conv_pool_forward,
#endif
    .conv_unpack = conv_unpack,
    .conv_sgd_packed = conv_sgd_packed,
    .maxpool_forward = maxpool_forward,
    .maxpool_backward = maxpool_backward,
    .dense_forward = dense_forward,
    .dense_backward = dense_backward,
    .dense_backward_sgd = dense_backward_sgd,
    .relu_forward = relu_forward,
    .relu_backward = relu_backward,
    .softmax_ce_forward = softmax_ce_forward,
    .softmax_ce_backward = softmax_ce_backward,
    .hwc_from_chw = hwc_from_chw,
    .chw_from_hwc = chw_from_hwc,
    .axpy = axpy,
    .lanes_in = NN_ISA_FN(lanes_in),
    .conv_pool_lanes = NN_ISA_FN(conv_pool_lanes),
    .wino_pack = NN_ISA_FN(wino_pack),
    .wino_pool_lanes = NN_ISA_FN(wino_pool_lanes),
    .dense_lanes = NN_ISA_FN(dense_lanes),
    .lanes_out = NN_ISA_FN(lanes_out),
    .fma_loop = fma_loop,
};
