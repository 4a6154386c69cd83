/* test_nn: the CNN of src/nn (layers by hand, gradients by finite
 * differences, PyTorch reference values, init, batched inference, a short
 * training run). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "core/rng.h"
#include "nn/cnn.h"
#include "nn/layers.h"

/* ------------------------------------------------------------ helpers */

/* The kernel path under test (main runs the tests on every path this CPU
 * runs): its layers, and its name for cnn_create_on. */
static const nn_kernels *L;
static const char *KP;

static void fill_uniform(double *v, size_t n, double lo, double hi, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * gsl_rng_uniform(r);
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        m = d > m ? d : m;
    }
    return m;
}

/* Naive conv on the layers' layouts (in [H][W][C], out [OH][OW][OCP]),
 * weights in PyTorch's [OC][C][K][K]: the definition, loop by loop. */
static void conv_ref_forward(double *out, const double *in, const double *w, const double *b, int H,
                             int W, int C, int OC, int K)
{
    int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++)
            for (int oc = 0; oc < OCP; oc++) {
                double s = 0.0;
                if (oc < OC) {
                    s = b[oc];
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++)
                                s += w[((oc * C + c) * K + ky) * K + kx] *
                                     in[((y + ky) * W + x + kx) * C + c];
                }
                out[(y * OW + x) * OCP + oc] = s;
            }
}

static void conv_ref_backward(double *dw, double *db, double *din, const double *dout,
                              const double *in, const double *w, int H, int W, int C, int OC, int K)
{
    int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
    memset(dw, 0, sizeof(double) * OC * C * K * K);
    memset(db, 0, sizeof(double) * OC);
    memset(din, 0, sizeof(double) * H * W * C);
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++)
            for (int oc = 0; oc < OC; oc++) {
                double g = dout[(y * OW + x) * OCP + oc];
                db[oc] += g;
                for (int c = 0; c < C; c++)
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++) {
                            int wi = ((oc * C + c) * K + ky) * K + kx;
                            int ii = ((y + ky) * W + x + kx) * C + c;
                            dw[wi] += g * in[ii];
                            din[ii] += g * w[wi];
                        }
            }
}

/* ------------------------------------------------ layers, by hand */

static void test_conv_by_hand(void)
{
    /* 1 channel, 6x6 input in[y][x] = 6y + x, a 5x5 kernel that is 2 at
     * (0,0), 1 at the centre (2,2), 0 elsewhere, bias 0.5:
     * out[y][x] = 2 in[y][x] + in[y+2][x+2] + 0.5. */
    double in[36], w[25] = {0}, b[1] = {0.5};
    for (int i = 0; i < 36; i++)
        in[i] = i;
    w[0] = 2.0;
    w[12] = 1.0;
    double wt[25 * 8], bp[8], wr[5 * 8], out[2 * 2 * 8];
    L->conv_pack(wt, bp, wr, w, b, 1, 1, 5);
    L->conv_forward(out, in, wt, bp, 6, 6, 1, 1, 5);
    CHECK_NEAR(out[0 * 8], 2 * 0 + 14 + 0.5, 1e-15); /* (0,0) */
    CHECK_NEAR(out[1 * 8], 2 * 1 + 15 + 0.5, 1e-15); /* (0,1) */
    CHECK_NEAR(out[2 * 8], 2 * 6 + 20 + 0.5, 1e-15); /* (1,0) */
    CHECK_NEAR(out[3 * 8], 2 * 7 + 21 + 0.5, 1e-15); /* (1,1) */
    double pad = 0.0;
    for (int p = 0; p < 4; p++)
        for (int l = 1; l < 8; l++)
            pad += fabs(out[p * 8 + l]);
    CHECK(pad == 0.0, "padding lanes hold %g", pad);

    /* Backward: dout 1 at (0,1) only -> dw = the 5x5 patch at (0,1),
     * db = 1, din = w placed at (0,1). */
    double dout[2 * 2 * 8] = {0}, dw[25], db[1], din[36];
    double work[256];
    CHECK(conv_work_size(6, 6, 1, 1, 5) <= 256, "work %zu", conv_work_size(6, 6, 1, 1, 5));
    dout[1 * 8] = 1.0;
    L->conv_backward(dw, db, din, dout, in, wr, 6, 6, 1, 1, 5, work);
    CHECK_NEAR(db[0], 1.0, 0);
    CHECK_NEAR(dw[0], in[1], 0);          /* tap (0,0) sees in[0][1] */
    CHECK_NEAR(dw[24], in[4 * 6 + 5], 0); /* tap (4,4) sees in[4][5] */
    CHECK_NEAR(din[1], 2.0, 0);           /* w[0][0] at in (0,1) */
    CHECK_NEAR(din[2 * 6 + 3], 1.0, 0);   /* w[2][2] at in (2,3) */
    CHECK_NEAR(din[0], 0.0, 0);
    double dsum = 0.0;
    for (int i = 0; i < 36; i++)
        dsum += din[i];
    CHECK_NEAR(dsum, 3.0, 0);

    /* 2 channels in, 2 out, 3x3 kernel on 3x3 input -> one pixel:
     * out[oc] = b[oc] + sum w[oc][c][ky][kx] in[ky][kx][c]. With w = 1 for
     * channel 0 and 10 for channel 1 (oc 0), in[..][0] = 1, in[..][1] = 2:
     * 9 * 1 + 9 * 20 = 189; oc 1 has w = -1 everywhere: -27. */
    double in2[9 * 2], w2[2 * 2 * 9], b2[2] = {1.0, 0.0};
    for (int p = 0; p < 9; p++) {
        in2[p * 2] = 1.0;
        in2[p * 2 + 1] = 2.0;
    }
    for (int t = 0; t < 9; t++) {
        w2[0 * 18 + 0 * 9 + t] = 1.0;
        w2[0 * 18 + 1 * 9 + t] = 10.0;
        w2[1 * 18 + 0 * 9 + t] = -1.0;
        w2[1 * 18 + 1 * 9 + t] = -1.0;
    }
    double wt2[9 * 2 * 8], bp2[8], out2[8];
    L->conv_pack(wt2, bp2, NULL, w2, b2, 2, 2, 3);
    L->conv_forward(out2, in2, wt2, bp2, 3, 3, 2, 2, 3);
    CHECK_NEAR(out2[0], 1.0 + 189.0, 1e-12);
    CHECK_NEAR(out2[1], -27.0, 1e-12);
}

/* The fast conv kernels against the naive loops, on the network's real
 * shapes (which use the register tiles) and odd ones (remainders), with a
 * sparse dout (as behind a pool) and a dense one. */
static void test_conv_vs_reference(void)
{
    struct {
        int H, W, C, OC, K;
    } cases[] = {{32, 32, 1, 6, 5}, {32, 32, 3, 6, 5}, {14, 14, 6, 16, 5},
                 {9, 13, 2, 20, 3}, {7, 7, 5, 3, 5},   {10, 12, 5, 3, 5}};
    gsl_rng *r = rng_stream(11, RNG_INIT, 99);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C, OC = cases[ci].OC, K = cases[ci].K;
        int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
        size_t nin = (size_t)H * W * C, nout = (size_t)OH * OW * OCP, nw = (size_t)OC * C * K * K;
        double *in = malloc(sizeof(double) * nin);
        double *w = malloc(sizeof(double) * nw), *b = malloc(sizeof(double) * OC);
        double *wt = malloc(sizeof(double) * K * K * C * OCP);
        double *bp = malloc(sizeof(double) * OCP);
        double *wr = malloc(sizeof(double) * OC * K * nn_pad(K * C));
        double *out = malloc(sizeof(double) * nout), *ref = malloc(sizeof(double) * nout);
        double *dout = malloc(sizeof(double) * nout);
        double *dw = malloc(sizeof(double) * nw), *dwr = malloc(sizeof(double) * nw);
        double *db = malloc(sizeof(double) * OC), *dbr = malloc(sizeof(double) * OC);
        double *din = malloc(sizeof(double) * nin), *dinr = malloc(sizeof(double) * nin);
        double *work = malloc(sizeof(double) * conv_work_size(H, W, C, OC, K));
        fill_uniform(in, nin, -1, 1, r);
        fill_uniform(w, nw, -0.5, 0.5, r);
        fill_uniform(b, OC, -0.5, 0.5, r);
        L->conv_pack(wt, bp, wr, w, b, C, OC, K);
        L->conv_forward(out, in, wt, bp, H, W, C, OC, K);
        conv_ref_forward(ref, in, w, b, H, W, C, OC, K);
        double e = max_abs_diff(out, ref, nout);
        CHECK(e < 1e-12, "conv forward case %zu: max error %g", ci, e);

        for (int sparse = 0; sparse < 2; sparse++) {
            fill_uniform(dout, nout, -1, 1, r);
            if (sparse)
                for (size_t i = 0; i < nout; i++)
                    if (gsl_rng_uniform(r) < 0.75)
                        dout[i] = 0.0;
            for (size_t i = 0; i < nout; i++) /* lanes >= OC are ignored */
                if ((int)(i % OCP) >= OC)
                    dout[i] = 1e300;
            L->conv_backward(dw, db, din, dout, in, wr, H, W, C, OC, K, work);
            conv_ref_backward(dwr, dbr, dinr, dout, in, w, H, W, C, OC, K);
            double e1 = max_abs_diff(dw, dwr, nw), e2 = max_abs_diff(db, dbr, OC),
                   e3 = max_abs_diff(din, dinr, nin);
            CHECK(e1 < 1e-12 && e2 < 1e-12 && e3 < 1e-12,
                  "conv backward case %zu sparse %d: dw %g db %g din %g", ci, sparse, e1, e2, e3);
            /* din NULL: dw, db the same */
            L->conv_backward(dwr, dbr, NULL, dout, in, NULL, H, W, C, OC, K, work);
            CHECK(max_abs_diff(dw, dwr, nw) == 0.0, "din NULL changes dw");
        }
        if (OH % 2 == 0 && OW % 2 == 0) {
            /* conv_backward_pooled == maxpool_backward + conv_backward */
            size_t np = (size_t)(OH / 2) * (OW / 2) * OC;
            double *pooled = malloc(sizeof(double) * np);
            double *dpool = malloc(sizeof(double) * np);
            int *idx = malloc(sizeof(int) * np);
            L->maxpool_forward(pooled, idx, out, OH, OW, OC, OCP);
            fill_uniform(dpool, np, -1, 1, r);
            for (size_t i = 0; i < np; i += 3) /* as after a ReLU */
                dpool[i] = 0.0;
            L->maxpool_backward(dout, dpool, idx, OH, OW, OC, OCP);
            L->conv_backward(dwr, dbr, dinr, dout, in, wr, H, W, C, OC, K, work);
            L->conv_backward_pooled(dw, db, din, dpool, idx, in, wr, H, W, C, OC, K, work);
            double e1 = max_abs_diff(dw, dwr, nw), e2 = max_abs_diff(db, dbr, OC),
                   e3 = max_abs_diff(din, dinr, nin);
            CHECK(e1 < 1e-13 && e2 < 1e-13 && e3 < 1e-13,
                  "conv backward pooled case %zu: dw %g db %g din %g", ci, e1, e2, e3);
            L->conv_backward_pooled(dw, db, NULL, dpool, idx, in, NULL, H, W, C, OC, K, work);
            CHECK(max_abs_diff(dw, dwr, nw) < 1e-13, "pooled, din NULL");
            free(pooled), free(dpool), free(idx);
        }
        free(in), free(w), free(b), free(wt), free(bp), free(wr), free(out), free(ref), free(dout),
            free(dw), free(dwr), free(db), free(dbr), free(din), free(dinr), free(work);
    }
    gsl_rng_free(r);
}

static void test_maxpool_by_hand(void)
{
    /* 4x4, 1 channel (stride 2 in memory to test CS): windows
     *   [1 3]   [5 5]   [-1 -2]   [0 7]
     *   [3 2]   [5 4]   [-3 -1]   [7 0]
     * -> 3 at its first occurrence (0,1); 5 at (0,0) of a triple tie;
     *    -1 at (0,0) (tie with (1,1)); 7 at (0,1). */
    double img[4][4] = {{1, 3, 5, 5}, {3, 2, 5, 4}, {-1, -2, 0, 7}, {-3, -1, 7, 0}};
    double in[32];
    for (int i = 0; i < 16; i++) {
        in[2 * i] = img[i / 4][i % 4];
        in[2 * i + 1] = 1e9; /* padding channel, not pooled */
    }
    double out[4];
    int idx[4];
    L->maxpool_forward(out, idx, in, 4, 4, 1, 2);
    CHECK_NEAR(out[0], 3, 0);
    CHECK_NEAR(out[1], 5, 0);
    CHECK_NEAR(out[2], -1, 0);
    CHECK_NEAR(out[3], 7, 0);
    /* idx: position in the window, 0 1 / 2 3 */
    CHECK(idx[0] == 1, "tie -> first: idx %d", idx[0]);
    CHECK(idx[1] == 0, "triple tie -> first: idx %d", idx[1]);
    CHECK(idx[2] == 0, "tie -> first: idx %d", idx[2]);
    CHECK(idx[3] == 1, "tie -> first: idx %d", idx[3]);

    double dout[4] = {1, 2, 3, 4}, din[32];
    L->maxpool_backward(din, dout, idx, 4, 4, 1, 2);
    double sum = 0.0;
    int nz = 0;
    for (int i = 0; i < 32; i++) {
        sum += din[i];
        nz += din[i] != 0.0;
    }
    CHECK(nz == 4 && sum == 10.0, "gradient only at the maxima: nz %d sum %g", nz, sum);
    CHECK_NEAR(din[2], 1, 0);
    CHECK_NEAR(din[4], 2, 0);
    CHECK_NEAR(din[16], 3, 0);
    CHECK_NEAR(din[22], 4, 0);
}

/* The vector pool (8 channels at a time, wide stores) against the
 * definition, with ties and a NaN planted, on the network's shapes. */
static void test_maxpool_vs_reference(void)
{
    struct {
        int H, W, C, CS;
    } cases[] = {{28, 28, 6, 8}, {10, 10, 16, 16}, {4, 6, 3, 3}, {6, 4, 9, 16}};
    gsl_rng *r = rng_stream(12, RNG_INIT, 7);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C, CS = cases[ci].CS;
        int PH = H / 2, PW = W / 2;
        size_t nin = (size_t)H * W * CS, nout = (size_t)PH * PW * C;
        double *in = malloc(sizeof(double) * nin);
        double *out = malloc(sizeof(double) * nout);
        int *idx = malloc(sizeof(int) * nout);
        fill_uniform(in, nin, -1, 1, r);
        /* ties: in every third window copy the last element onto another */
        for (int py = 0; py < PH; py++)
            for (int px = 0; px < PW; px++)
                for (int c = 0; c < C; c++)
                    if ((py * PW + px + c) % 3 == 0) {
                        size_t e3 = ((size_t)(2 * py + 1) * W + 2 * px + 1) * CS + c;
                        size_t ej = ((size_t)(2 * py + (c & 1)) * W + 2 * px) * CS + c;
                        in[ej] = in[e3];
                    }
        in[((size_t)1 * W + 1) * CS + 0] = NAN; /* window (0,0), element 3 */
        L->maxpool_forward(out, idx, in, H, W, C, CS);
        int bad = 0;
        for (int py = 0; py < PH; py++)
            for (int px = 0; px < PW; px++)
                for (int c = 0; c < C; c++) {
                    double m = -INFINITY;
                    int best = -1;
                    for (int j = 0; j < 4; j++) {
                        double v = in[((size_t)(2 * py + j / 2) * W + 2 * px + j % 2) * CS + c];
                        if (best < 0 || v > m || isnan(v)) {
                            m = v;
                            best = j;
                        }
                    }
                    size_t q = ((size_t)py * PW + px) * C + c;
                    int same = isnan(m) ? isnan(out[q]) : out[q] == m;
                    bad += !same || idx[q] != best;
                }
        CHECK(bad == 0, "maxpool case %zu: %d of %zu wrong", ci, bad, nout);
        free(in), free(out), free(idx);
    }
    gsl_rng_free(r);
}

static void test_dense_relu_softmax_by_hand(void)
{
    double w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5, -1}, x[3] = {1, 0, -1};
    double y[2];
    L->dense_forward(y, x, w, b, 3, 2);
    CHECK_NEAR(y[0], 1 - 3 + 0.5, 1e-15);
    CHECK_NEAR(y[1], 4 - 6 - 1, 1e-15);
    double dy[2] = {1, 2}, dw[6], db[2], dx[3];
    L->dense_backward(dw, db, dx, dy, x, w, 3, 2, NULL);
    double dw_want[6] = {1, 0, -1, 2, 0, -2}, dx_want[3] = {9, 12, 15};
    CHECK(max_abs_diff(dw, dw_want, 6) == 0.0, "dense dw");
    CHECK(db[0] == 1 && db[1] == 2, "dense db");
    CHECK(max_abs_diff(dx, dx_want, 3) == 0.0, "dense dx %g %g %g", dx[0], dx[1], dx[2]);

    /* A larger one (row blocks of 4, vector tails) against the loops. */
    enum { NI = 37, NO = 7, NB = 5 };
    gsl_rng *r = rng_stream(3, RNG_INIT, 1);
    double W[NO * NI], B[NO], X[NB * NI], Y[NO], D[NO], DW[NO * NI], DB[NO], DX[NI];
    fill_uniform(W, NO * NI, -1, 1, r);
    fill_uniform(B, NO, -1, 1, r);
    fill_uniform(X, NB * NI, -1, 1, r);
    fill_uniform(D, NO, -1, 1, r);
    D[2] = 0.0;
    double e = 0.0, edw = 0.0, edx = 0.0;
    for (int s = 0; s < NB; s++) {
        L->dense_forward(Y, X + s * NI, W, B, NI, NO);
        for (int o = 0; o < NO; o++) {
            double ref = B[o];
            for (int i = 0; i < NI; i++)
                ref += W[o * NI + i] * X[s * NI + i];
            e = fmax(e, fabs(Y[o] - ref));
        }
    }
    L->dense_backward(DW, DB, DX, D, X, W, NI, NO, NULL);
    for (int i = 0; i < NI; i++) {
        double ref = 0.0;
        for (int o = 0; o < NO; o++) {
            ref += W[o * NI + i] * D[o];
            edw = fmax(edw, fabs(DW[o * NI + i] - D[o] * X[i]));
        }
        edx = fmax(edx, fabs(DX[i] - ref));
    }
    CHECK(e < 1e-14 && edw < 1e-15 && edx < 1e-14, "dense vs loops: fwd %g dw %g dx %g", e, edw,
          edx);
    /* the zero-row memo: over steps whose zero rows come and go, dw is
     * what a memo-less call gives */
    unsigned char memo[NO] = {0};
    double DWM[NO * NI], DBM[NO];
    int memo_bad = 0;
    for (int step = 0; step < 6; step++) {
        fill_uniform(D, NO, -1, 1, r);
        for (int o = 0; o < NO; o++)
            if (gsl_rng_uniform(r) < 0.5)
                D[o] = 0.0;
        L->dense_backward(DWM, DBM, NULL, D, X, W, NI, NO, memo);
        L->dense_backward(DW, DB, NULL, D, X, W, NI, NO, NULL);
        memo_bad += memcmp(DWM, DW, sizeof DW) != 0;
    }
    CHECK(memo_bad == 0, "zero-row memo: %d steps differ", memo_bad);
    gsl_rng_free(r);

    /* 11 values: one vector and a scalar tail; NaN passes (PyTorch) */
    double v[11] = {-1, 0, 2, -0.0, 3, -4, NAN, 0.5, 1e-300, -2, 7}, o[11];
    double ow[11] = {0, 0, 2, 0, 3, 0, NAN, 0.5, 1e-300, 0, 7};
    L->relu_forward(o, v, 11);
    int rbad = 0;
    for (int i = 0; i < 11; i++)
        rbad += isnan(ow[i]) ? !isnan(o[i]) : o[i] != ow[i];
    CHECK(rbad == 0, "relu fwd: %d wrong", rbad);
    double g[11], gi[11];
    for (int i = 0; i < 11; i++)
        g[i] = i + 1;
    L->relu_backward(gi, g, o, 11);
    double gw[11] = {0, 0, 3, 0, 5, 0, 0, 8, 9, 0, 11};
    CHECK(max_abs_diff(gi, gw, 11) == 0.0, "relu bwd");

    double z[3] = {0, 0, 0}, p[3], dz[3];
    CHECK_NEAR(L->softmax_ce_forward(p, z, 3, 1), log(3.0), 1e-15);
    CHECK_NEAR(p[0], 1.0 / 3, 1e-15);
    L->softmax_ce_backward(dz, p, 3, 1);
    CHECK_NEAR(dz[0], 1.0 / 3, 1e-15);
    CHECK_NEAR(dz[1], -2.0 / 3, 1e-15);
    CHECK_NEAR(dz[2], 1.0 / 3, 1e-15);
    CHECK_NEAR(L->softmax_ce_forward(p, z, 3, -1), 0.0, 0);
    double z2[3] = {1, 2, 3};
    double want = log(exp(1) + exp(2) + exp(3)) - 3;
    CHECK_NEAR(L->softmax_ce_forward(p, z2, 3, 2), want, 1e-15);
    CHECK_NEAR(p[0], exp(1) / (exp(1) + exp(2) + exp(3)), 1e-15);
    double z3[2] = {1000, 0}; /* no overflow, no log(0) */
    CHECK_NEAR(L->softmax_ce_forward(p, z3, 2, 1), 1000.0, 1e-9);
    CHECK_NEAR(L->softmax_ce_forward(p, z3, 2, 0), 0.0, 1e-15);

    /* gradient w.r.t. the logits by central differences */
    double z4[4] = {0.3, -1.2, 2.0, 0.1}, d4[4], p4[4];
    L->softmax_ce_forward(p4, z4, 4, 2);
    L->softmax_ce_backward(d4, p4, 4, 2);
    for (int j = 0; j < 4; j++) {
        double h = 1e-5, s = z4[j];
        z4[j] = s + h;
        double lp = L->softmax_ce_forward(p4, z4, 4, 2);
        z4[j] = s - h;
        double lm = L->softmax_ce_forward(p4, z4, 4, 2);
        z4[j] = s;
        double num = (lp - lm) / (2 * h);
        CHECK(fabs(num - d4[j]) <= 1e-6 * fabs(d4[j]) + 1e-10, "dloss/dlogit %d: %.12g vs %.12g", j,
              d4[j], num);
    }
}

/* ------------------------------------------------- the whole network */

static void test_tensors(void)
{
    CHECK(cnn_create(0, 3) == NULL, "0 channels accepted");
    CHECK(cnn_create(1, 1) == NULL, "k = 1 accepted");
    cnn *n = cnn_create(1, 3);
    CHECK(n != NULL, "create");
    if (!n)
        return;
    const char *names[] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                           "fc1.bias",     "fc2.weight", "fc2.bias",     "fc3.weight", "fc3.bias"};
    size_t sizes[] = {150, 6, 2400, 16, 48000, 120, 10080, 84, 252, 3};
    size_t total = 0;
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        cnn_tensor t = cnn_get_tensor(n, i);
        CHECK(strcmp(t.name, names[i]) == 0, "tensor %d is %s", i, t.name);
        CHECK(t.size == sizes[i], "%s size %zu", t.name, t.size);
        CHECK(t.data == cnn_params(n) + total, "%s not in order", t.name);
        total += t.size;
    }
    cnn_tensor c1 = cnn_get_tensor(n, 0), f1 = cnn_get_tensor(n, 4);
    CHECK(c1.ndim == 4 && c1.shape[0] == 6 && c1.shape[1] == 1 && c1.shape[2] == 5 &&
              c1.shape[3] == 5,
          "conv1.weight shape");
    CHECK(f1.ndim == 2 && f1.shape[0] == 120 && f1.shape[1] == 400, "fc1.weight shape");
    CHECK(cnn_num_params(n) == 61111, "params %zu", cnn_num_params(n));
    CHECK(cnn_classes(n) == 3 && cnn_channels(n) == 1, "k, c");
    CHECK(cnn_get_tensor(n, 10).data == NULL, "tensor 10");
    /* fc1's rows on cache lines (cnn.c: carve), its gradient's too */
    CHECK((uintptr_t)f1.data % 64 == 0 && (uintptr_t)f1.grad % 64 == 0, "fc1 at %p, %p",
          (void *)f1.data, (void *)f1.grad);
    cnn_free(n);
    n = cnn_create(3, 5);
    CHECK(n && cnn_num_params(n) == 61111 + 300 + 2 * 85, "3 channels, k 5");
    if (n) {
        f1 = cnn_get_tensor(n, 4);
        CHECK((uintptr_t)f1.data % 64 == 0, "3 channels: fc1 at %p", (void *)f1.data);
    }
    cnn_free(n);
    n = cnn_create(1, 3);
    /* 2 x multiply-adds: conv1 6*28*28*25, conv2 16*10*10*150, dense */
    CHECK_NEAR(cnn_forward_flops(n), 2.0 * (117600 + 240000 + 48000 + 10080 + 252), 0);
    cnn_free(n);
}

static void test_init(void)
{
    cnn *a = cnn_create(3, 3), *b = cnn_create(3, 3), *c = cnn_create(3, 3);
    if (!a || !b || !c) {
        CHECK(0, "create");
        return;
    }
    cnn_init(a, 42);
    cnn_init(b, 42);
    cnn_init(c, 43);
    size_t np = cnn_num_params(a);
    CHECK(memcmp(cnn_params(a), cnn_params(b), np * sizeof(double)) == 0,
          "same seed, different parameters");
    size_t same = 0;
    for (size_t i = 0; i < np; i++)
        same += cnn_params(a)[i] == cnn_params(c)[i];
    CHECK(same == 0, "seeds 42 and 43 share %zu parameters", same);

    int fan_in[CNN_NUM_TENSORS] = {75, 75, 150, 150, 400, 400, 120, 120, 84, 84};
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        cnn_tensor t = cnn_get_tensor(a, i);
        double bound = 1.0 / sqrt((double)fan_in[i]);
        double lo = INFINITY, hi = -INFINITY, mean = 0.0;
        for (size_t j = 0; j < t.size; j++) {
            lo = fmin(lo, t.data[j]);
            hi = fmax(hi, t.data[j]);
            mean += t.data[j];
        }
        mean /= (double)t.size;
        CHECK(lo >= -bound && hi <= bound, "%s in [%g, %g], bound %g", t.name, lo, hi, bound);
        CHECK(lo < hi, "%s all equal", t.name);
        /* the mean of n uniforms has sd bound / sqrt(3n) */
        double sd = bound / sqrt(3.0 * (double)t.size);
        CHECK(fabs(mean) < 5 * sd, "%s mean %g, sd %g", t.name, mean, sd);
        if (t.size >= 100) /* the bound is reached: fan_in is right */
            CHECK(hi > 0.95 * bound && lo < -0.95 * bound, "%s spans [%g, %g] of bound %g", t.name,
                  lo, hi, bound);
    }
    /* The draws are stream (seed, RNG_INIT, 0) in tensor order. */
    gsl_rng *r = rng_stream(42, RNG_INIT, 0);
    double first = (2 * gsl_rng_uniform(r) - 1) / sqrt(75.0), last = 0;
    for (size_t i = 1; i < np; i++)
        last = 2 * gsl_rng_uniform(r) - 1;
    gsl_rng_free(r);
    CHECK_NEAR(cnn_params(a)[0], first, 1e-16);
    CHECK_NEAR(cnn_params(a)[np - 1], last / sqrt(84.0), 1e-16);
    cnn_free(a), cnn_free(b), cnn_free(c);
}

/* Central differences of the loss for every parameter tensor: all entries
 * of the small ones, 300 random ones of fc1 / fc2 / conv2. A step can cross
 * a ReLU or max-pool kink, which breaks the difference quotient there, not
 * the gradient: such an entry is retried with smaller steps, and counted. */
static void check_gradients(int channels, int k, uint64_t seed)
{
    cnn *n = cnn_create_on(channels, k, KP);
    if (!n) {
        CHECK(0, "create");
        return;
    }
    cnn_init(n, seed);
    size_t in_size = (size_t)channels * 32 * 32;
    double *x = malloc(sizeof(double) * in_size);
    gsl_rng *r = rng_stream(seed, RNG_DATA_TRAIN, 5);
    fill_uniform(x, in_size, 0, 1, r);
    int label = 1;
    cnn_forward(n, x, label);
    cnn_backward(n, label);
    int retried = 0, checked = 0;
    for (int ti = 0; ti < CNN_NUM_TENSORS; ti++) {
        cnn_tensor t = cnn_get_tensor(n, ti);
        size_t count = t.size <= 300 ? t.size : 300;
        double worst = 0.0;
        for (size_t s = 0; s < count; s++) {
            size_t j = t.size <= 300 ? s : gsl_rng_uniform_int(r, t.size);
            double ana = t.grad[j], v = t.data[j], rel = INFINITY;
            const double hs[] = {1e-6, 2e-7, 5e-8};
            for (int hi = 0; hi < 3 && rel > 1e-6; hi++) {
                double h = hs[hi];
                t.data[j] = v + h;
                double lp = cnn_forward(n, x, label);
                t.data[j] = v - h;
                double lm = cnn_forward(n, x, label);
                t.data[j] = v;
                double num = (lp - lm) / (2 * h);
                /* relative, the denominator floored at 1e-3: entries below
                 * that are held to 1e-9 absolute, as there the quotient's
                 * rounding (~1e-16 / h) dominates */
                rel = fabs(num - ana) / fmax(fmax(fabs(num), fabs(ana)), 1e-3);
                retried += hi > 0;
            }
            worst = fmax(worst, rel);
            checked++;
        }
        CHECK(worst < 1e-6, "c=%d %s: relative error %g", channels, t.name, worst);
    }
    CHECK(retried <= checked / 50, "c=%d: %d of %d entries needed small steps", channels, retried,
          checked);
    gsl_rng_free(r);
    free(x);
    cnn_free(n);
}

static void test_gradients(void)
{
    check_gradients(1, 3, 5);
    check_gradients(3, 3, 6);
    check_gradients(1, 2, 7);
}

/* A fixed network (parameters and input from a formula) against values
 * PyTorch 1.13 computed for it: `python3 bench/torch_peer.py --reference`
 * prints the table below. Checks the layouts (NCHW weights, the flatten
 * before fc1), not only self-consistency. */
static double ref_param(int t, size_t j, double bound)
{
    return bound * sin(0.7 * (double)j + 1.3 * t);
}
static double ref_input(size_t j)
{
    return 0.5 + 0.5 * sin(0.37 * (double)j);
}

static void test_pytorch_reference(void)
{
    /* python3 bench/torch_peer.py --reference (PyTorch 1.13, float64) */
    static const double want_logits[3] = {-0.038513129618723059, -0.19732740794486983,
                                          0.23645578736975609};
    static const double want_loss = 0.87865053444270358;
    /* per tensor: sum of grad, sum of grad[j] * cos(0.3 j) */
    static const double want_grad[CNN_NUM_TENSORS][2] = {
        {-0.0062917257355229054, -0.0046829057981262797} /* conv1.weight */,
        {-0.0013451831268129454, -0.00022768644099338764} /* conv1.bias */,
        {0.1829592431164738, 0.019747895244288924} /* conv2.weight */,
        {0.0069198374658442658, 0.0078477531696577278} /* conv2.bias */,
        {1.9818032963717234, 0.045703427705806023} /* fc1.weight */,
        {0.090084952163000026, -0.0017718109814644587} /* fc1.bias */,
        {-1.7759941434692075, -0.0047165714199387948} /* fc2.weight */,
        {-0.88138967600002238, -0.034229408001434813} /* fc2.bias */,
        {4.5102810375396984e-16, -0.0042353764889946025} /* fc3.weight */,
        {1.1102230246251565e-16, 0.090096933530575463} /* fc3.bias */};
    cnn *n = cnn_create_on(1, 3, KP);
    if (!n) {
        CHECK(0, "create");
        return;
    }
    int fan_in[CNN_NUM_TENSORS] = {25, 25, 150, 150, 400, 400, 120, 120, 84, 84};
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        cnn_tensor t = cnn_get_tensor(n, i);
        for (size_t j = 0; j < t.size; j++)
            t.data[j] = ref_param(i, j, 1.0 / sqrt((double)fan_in[i]));
    }
    double x[1024];
    for (size_t j = 0; j < 1024; j++)
        x[j] = ref_input(j);
    double loss = cnn_forward(n, x, 2);
    cnn_backward(n, 2);
    const double *z = cnn_logits(n);
    for (int j = 0; j < 3; j++)
        CHECK_NEAR(z[j], want_logits[j], 1e-12);
    CHECK_NEAR(loss, want_loss, 1e-12);
    for (int i = 0; i < CNN_NUM_TENSORS; i++) {
        cnn_tensor t = cnn_get_tensor(n, i);
        double s = 0.0, sw = 0.0;
        for (size_t j = 0; j < t.size; j++) {
            s += t.grad[j];
            sw += t.grad[j] * cos(0.3 * (double)j);
        }
        CHECK(fabs(s - want_grad[i][0]) <= 1e-9 * fabs(want_grad[i][0]) + 1e-13 &&
                  fabs(sw - want_grad[i][1]) <= 1e-9 * fabs(want_grad[i][1]) + 1e-13,
              "%s: gradient checksums %.17g %.17g, PyTorch %.17g %.17g", t.name, s, sw,
              want_grad[i][0], want_grad[i][1]);
    }
    cnn_free(n);
}

static void test_infer(int channels, int k)
{
    cnn *n = cnn_create_on(channels, k, KP);
    if (!n) {
        CHECK(0, "create");
        return;
    }
    cnn_init(n, 9);
    int ns = 150; /* two full chunks and a partial one */
    size_t in_size = (size_t)channels * 32 * 32;
    double *x = malloc(sizeof(double) * in_size * ns);
    double *z = malloc(sizeof(double) * (size_t)k * ns);
    gsl_rng *r = rng_stream(9, RNG_PROBE, 0);
    fill_uniform(x, in_size * ns, -1, 1, r);
    gsl_rng_free(r);
    cnn_infer(n, x, ns, z);
    double worst = 0.0, spread = 0.0;
    for (int s = 0; s < ns; s++) {
        cnn_forward(n, x + s * in_size, -1);
        const double *zf = cnn_logits(n);
        worst = fmax(worst, max_abs_diff(zf, z + (size_t)s * k, k));
        spread = fmax(spread, fabs(zf[0] - z[0]));
    }
    CHECK(worst < 1e-12, "c=%d k=%d: infer vs forward %g", channels, k, worst);
    CHECK(spread > 1e-6, "all samples give the same logits");
    /* n = 1 and n = 0 */
    cnn_infer(n, x + 7 * in_size, 1, z);
    cnn_forward(n, x + 7 * in_size, -1);
    CHECK(max_abs_diff(z, cnn_logits(n), k) < 1e-12, "infer n=1");
    cnn_infer(n, x, 0, z);
    free(x), free(z);
    cnn_free(n);
}

/* cnn_infer_blas (im2col + OpenBLAS GEMMs) gives cnn_forward's logits
 * by another route, in any chunk size, also after training steps (which
 * keep the conv weights packed: it must read the current ones). */
static void test_infer_blas(int channels, int k)
{
    cnn *n = cnn_create_on(channels, k, KP);
    if (!n) {
        CHECK(0, "create");
        return;
    }
    cnn_init(n, 5);
    int ns = 70;
    size_t in_size = (size_t)channels * 32 * 32;
    double *x = malloc(sizeof(double) * in_size * ns);
    double *z = malloc(sizeof(double) * (size_t)k * ns);
    double *zf = malloc(sizeof(double) * (size_t)k * ns);
    gsl_rng *r = rng_stream(5, RNG_PROBE, 0);
    fill_uniform(x, in_size * ns, -1, 1, r);
    gsl_rng_free(r);
    for (int s = 0; s < 30; s++)
        cnn_train_step_nograd(n, x + (size_t)(s % ns) * in_size, s % k, 0.01);
    double scale = 0.0, spread = 0.0;
    for (int s = 0; s < ns; s++) {
        cnn_forward(n, x + (size_t)s * in_size, -1);
        memcpy(zf + (size_t)s * k, cnn_logits(n), sizeof(double) * (size_t)k);
        for (int j = 0; j < k; j++)
            scale = fmax(scale, fabs(zf[(size_t)s * k + j]));
        spread = fmax(spread, fabs(zf[(size_t)s * k] - zf[0]));
    }
    CHECK(spread > 1e-6, "all samples give the same logits");
    static const int chunks[] = {1, 7, 64, 100};
    for (int i = 0; i < 4; i++) {
        double g = -1;
        int rc = cnn_infer_blas(n, x, ns, chunks[i], z, &g);
        double worst = rc ? INFINITY : max_abs_diff(zf, z, (size_t)k * ns);
        /* sums of up to 400 products in another order: a few ulps of the
         * largest logit */
        CHECK(worst <= 1e-13 * fmax(scale, 1.0), "c=%d k=%d chunk %d: blas vs forward %g (rc %d)",
              channels, k, chunks[i], worst, rc);
        CHECK(g >= 0, "gemm seconds %g", g);
    }
    CHECK(cnn_infer_blas(n, x, ns, 0, z, NULL) == LESDE_USAGE, "chunk 0 refused");
    CHECK(cnn_infer_blas(n, x, ns, 65537, z, NULL) == LESDE_USAGE, "chunk 65537 refused");
    CHECK(cnn_infer_blas(n, x, 0, 8, z, NULL) == LESDE_OK, "n = 0");
    free(x), free(z), free(zf);
    cnn_free(n);
}

/* cnn_train_step is exactly forward + backward + sgd, and
 * cnn_train_step_nograd gives exactly the same parameters. */
static void test_train_step_matches(void)
{
    cnn *a = cnn_create_on(1, 3, KP), *b = cnn_create_on(1, 3, KP), *c = cnn_create_on(1, 3, KP);
    if (!a || !b || !c) {
        CHECK(0, "create");
        return;
    }
    cnn_init(a, 4);
    cnn_init(b, 4);
    cnn_init(c, 4);
    double x[1024];
    gsl_rng *r = rng_stream(4, RNG_SGD, 0);
    fill_uniform(x, 1024, 0, 1, r);
    gsl_rng_free(r);
    for (int s = 0; s < 3; s++) {
        double la = cnn_train_step(a, x, s % 3, 0.01);
        double lb = cnn_forward(b, x, s % 3);
        cnn_backward(b, s % 3);
        cnn_sgd(b, 0.01);
        double lc = cnn_train_step_nograd(c, x, s % 3, 0.01);
        CHECK(la == lb && la == lc, "loss %g vs %g vs %g", la, lb, lc);
    }
    size_t bytes = cnn_num_params(a) * sizeof(double);
    CHECK(memcmp(cnn_params(a), cnn_params(b), bytes) == 0,
          "train_step differs from forward + backward + sgd");
    CHECK(memcmp(cnn_grads(a), cnn_grads(b), bytes) == 0,
          "train_step leaves other gradients than backward");
    CHECK(memcmp(cnn_params(a), cnn_params(c), bytes) == 0,
          "train_step_nograd differs from train_step");
    /* over steps on other inputs (ReLUs switching on and off), the gradient
     * cnn_train_step leaves is that of a fresh network's cnn_backward */
    int grad_bad = 0;
    for (int s = 0; s < 8; s++) {
        for (int i = 0; i < 1024; i++)
            x[i] = fmod(x[i] + 0.37 * (i % 7) + 0.11 * s, 1.0);
        cnn *e = cnn_create_on(1, 3, KP);
        if (!e)
            break;
        memcpy(cnn_params(e), cnn_params(a), bytes);
        cnn_forward(e, x, s % 3);
        cnn_backward(e, s % 3);
        cnn_train_step(a, x, s % 3, 0.01);
        grad_bad += memcmp(cnn_grads(a), cnn_grads(e), bytes) != 0;
        cnn_free(e);
    }
    CHECK(grad_bad == 0, "%d of 8 steps left another gradient", grad_bad);
    /* no label: loss 0, gradient 0 */
    CHECK(cnn_forward(b, x, -1) == 0.0, "loss without a label");
    cnn_backward(b, -1);
    size_t nz = 0;
    for (size_t i = 0; i < cnn_num_params(b); i++)
        nz += cnn_grads(b)[i] != 0.0;
    CHECK(nz == 0, "%zu non-zero gradients without a label", nz);
    cnn_free(a), cnn_free(b), cnn_free(c);
}

/* Training steps take the conv layers' SGD step on the packed weights and
 * copy them back to the parameters only when these are read or handed out
 * (cnn.c: sync_params). Against forward + backward + sgd, which always go
 * through the parameters: the same bytes after steps, after parameters
 * written through cnn_get_tensor between steps, with cnn_infer and a
 * gradient-keeping step in between; 1 and 3 input channels (conv1 on the
 * pixel-vector kernel and on the generic one). */
static void test_packed_sgd(int channels)
{
    cnn *a = cnn_create_on(channels, 3, KP), *b = cnn_create_on(channels, 3, KP);
    size_t img = (size_t)channels * 1024;
    double *x = malloc(sizeof(double) * img * 4), za[4 * 3], zb[4 * 3];
    if (!a || !b || !x) {
        CHECK(0, "create");
        cnn_free(a), cnn_free(b), free(x);
        return;
    }
    cnn_init(a, 9);
    cnn_init(b, 9);
    gsl_rng *r = rng_stream(9, RNG_SGD, channels);
    fill_uniform(x, img * 4, 0, 1, r);
    gsl_rng_free(r);
    size_t bytes = cnn_num_params(a) * sizeof(double);
    int bad = 0;
    for (int s = 0; s < 12; s++) {
        const double *xs = x + (size_t)(s % 4) * img;
        if (s == 7)
            cnn_train_step(a, xs, s % 3, 0.02); /* keeps the gradient */
        else
            cnn_train_step_nograd(a, xs, s % 3, 0.02);
        cnn_forward(b, xs, s % 3);
        cnn_backward(b, s % 3);
        cnn_sgd(b, 0.02);
        if (s == 3 || s == 9) { /* a parameter load between steps */
            for (int i = 0; i < 4; i++) {
                cnn_tensor ta = cnn_get_tensor(a, i), tb = cnn_get_tensor(b, i);
                ta.data[s % ta.size] += 0.125;
                tb.data[s % tb.size] += 0.125;
            }
        }
        if (s == 5) { /* inference reads the parameters, changes nothing */
            cnn_infer(a, x, 4, za);
            cnn_infer(b, x, 4, zb);
            bad += memcmp(za, zb, sizeof za) != 0;
        }
        if (s % 4 == 2 || s == 11) /* not every step: steps run on from pk */
            bad += memcmp(cnn_params(a), cnn_params(b), bytes) != 0;
    }
    CHECK(bad == 0,
          "%d channel(s): %d of 5 checks found other parameters or logits than forward + backward "
          "+ sgd",
          channels, bad);
    cnn_free(a), cnn_free(b), free(x);
}

/* Two trivially separable images (bright left half / bright right half),
 * 300 SGD steps: the loss on both falls far, both classified. (lr 0.02:
 * at 0.005 the loss sits on its initial plateau for ~350 steps.) */
static void test_training(void)
{
    cnn *n = cnn_create_on(1, 2, KP);
    if (!n) {
        CHECK(0, "create");
        return;
    }
    cnn_init(n, 1);
    double x[2][1024];
    for (int y = 0; y < 32; y++)
        for (int c = 0; c < 32; c++) {
            x[0][y * 32 + c] = c < 16 ? 1.0 : 0.0;
            x[1][y * 32 + c] = c < 16 ? 0.0 : 1.0;
        }
    double before = cnn_forward(n, x[0], 0) + cnn_forward(n, x[1], 1);
    gsl_rng *r = rng_stream(1, RNG_SGD, 0);
    for (int s = 0; s < 300; s++) {
        int j = (int)gsl_rng_uniform_int(r, 2);
        cnn_train_step(n, x[j], j, 0.02);
    }
    gsl_rng_free(r);
    double l0 = cnn_forward(n, x[0], 0);
    int right0 = cnn_logits(n)[0] > cnn_logits(n)[1];
    double l1 = cnn_forward(n, x[1], 1);
    int right1 = cnn_logits(n)[1] > cnn_logits(n)[0];
    CHECK(before > 1.0 && l0 + l1 < 0.05 * before, "loss %g -> %g", before, l0 + l1);
    CHECK(right0 && right1, "not separated");
    cnn_free(n);
}

/* conv_pool_forward (where the path has it) against conv_forward +
 * maxpool_forward + relu_forward: the same bytes and pool indices, a NaN
 * included; shapes with one channel group, two, a partial one, and the
 * one-channel-to-six shapes of the pixel-vector kernel. */
static void test_conv_pool_forward(void)
{
    if (!L->conv_pool_forward) {
        CHECK(strcmp(L->name, "c") == 0, "path %s has no conv_pool_forward", L->name);
        return;
    }
    struct {
        int H, W, C, OC, K;
    } cases[] = {{32, 32, 1, 6, 5},
                 {32, 32, 3, 6, 5},
                 {14, 14, 6, 16, 5},
                 {10, 12, 5, 3, 3},
                 {9, 9, 2, 20, 4},
                 {12, 30, 1, 8, 5},
                 /* one channel to six: the pixel-vector kernel, rows whose
                  * last tile overlaps the one before, an odd conv height */
                 {20, 24, 1, 6, 5},
                 {13, 26, 1, 6, 3}};
    gsl_rng *r = rng_stream(15, RNG_INIT, 5);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C, OC = cases[ci].OC, K = cases[ci].K;
        int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC);
        size_t nin = (size_t)H * W * C, nw = (size_t)OC * C * K * K,
               np = (size_t)(OH / 2) * (OW / 2) * OC;
        double *in = malloc(sizeof(double) * nin), *w = malloc(sizeof(double) * nw);
        double *b = malloc(sizeof(double) * OC), *wt = malloc(sizeof(double) * K * K * C * OCP);
        double *bp = malloc(sizeof(double) * OCP), *a = malloc(sizeof(double) * OH * OW * OCP);
        double *p1 = malloc(sizeof(double) * np), *p2 = malloc(sizeof(double) * np);
        int *i1 = malloc(sizeof(int) * np), *i2 = malloc(sizeof(int) * np);
        fill_uniform(in, nin, -1, 1, r);
        fill_uniform(w, nw, -0.5, 0.5, r);
        fill_uniform(b, OC, -0.2, 0.2, r);
        in[nin / 2] = NAN;
        L->conv_pack(wt, bp, NULL, w, b, C, OC, K);
        L->conv_forward(a, in, wt, bp, H, W, C, OC, K);
        L->maxpool_forward(p1, i1, a, OH, OW, OC, OCP);
        L->relu_forward(p1, p1, (int)np);
        L->conv_pool_forward(p2, i2, in, wt, bp, H, W, C, OC, K);
        int bad = 0, nans = 0;
        for (size_t q = 0; q < np; q++) {
            bad += !(p1[q] == p2[q] || (isnan(p1[q]) && isnan(p2[q]))) || i1[q] != i2[q];
            nans += isnan(p2[q]);
        }
        CHECK(bad == 0 && nans > 0, "conv_pool_forward case %zu: %d of %zu differ (%d NaN)", ci,
              bad, np, nans);
        free(in), free(w), free(b), free(wt), free(bp), free(a), free(p1), free(p2), free(i1),
            free(i2);
    }
    gsl_rng_free(r);
}

/* ---------------------------------------------- lane layout (inference) */

/* conv_pool_lanes (wino = 0) or wino_pool_lanes (wino = 1, 5x5 kernels
 * only) against conv_forward + maxpool_forward + relu_forward of each
 * sample, both output layouts. conv_pool_lanes takes the same sums in the
 * same order: the same bytes. wino_pool_lanes takes them another way: with
 * small integer inputs and weights that are multiples of 360 every
 * transform and sum is exact, so the same bytes again; with random ones
 * equal to 1e-13 (values up to ~10). A NaN planted in one sample stays
 * there, where the direct conv puts it (wino_pool_lanes: and at most in
 * as many windows again, the other window of a quad). Odd channel counts
 * and widths that are not a multiple of the tile take the remainder tiles
 * (quads and a last pair). */
static void test_lanes_conv(int wino)
{
    struct {
        int H, W, C, OC, K;
    } cases[] = {{32, 32, 1, 6, 5}, {32, 32, 3, 6, 5}, {14, 14, 6, 16, 5}, {12, 10, 3, 5, 5},
                 {18, 14, 2, 3, 5}, {6, 6, 4, 2, 5},    {10, 12, 5, 3, 3},  {9, 9, 2, 20, 4}};
    const int NL = L->lanes;
    gsl_rng *r = rng_stream(13, RNG_INIT, 3 + wino);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int H = cases[ci].H, W = cases[ci].W, C = cases[ci].C, OC = cases[ci].OC, K = cases[ci].K;
        if (wino && K != 5)
            continue;
        int OH = H - K + 1, OW = W - K + 1, OCP = nn_pad(OC), PH = OH / 2, PW = OW / 2;
        int n = NL - 1; /* a partial group: the last lane is padding */
        size_t nin = (size_t)H * W * C, nw = (size_t)OC * C * K * K, npool = (size_t)PH * PW * OC;
        double *x = malloc(sizeof(double) * nin * n); /* [n][C][H*W] */
        double *lx = malloc(sizeof(double) * nin * NL);
        double *w = malloc(sizeof(double) * nw), *b = malloc(sizeof(double) * OC);
        double *wt = malloc(sizeof(double) * K * K * C * OCP), *bp = malloc(sizeof(double) * OCP);
        double *u = malloc(sizeof(double) * WINO_PACKED(C, OC));
        double *work = malloc(sizeof(double) * WINO_WORK(C, PW, OC));
        double *hwc = malloc(sizeof(double) * nin), *a = malloc(sizeof(double) * OH * OW * OCP);
        double *pooled = malloc(sizeof(double) * npool);
        double *lo = malloc(sizeof(double) * npool * NL);
        for (int exact = wino; exact >= 0; exact--) {
            if (exact) {
                for (size_t i = 0; i < nin * n; i++)
                    x[i] = (double)((int)gsl_rng_uniform_int(r, 7) - 3);
                for (size_t i = 0; i < nw; i++)
                    w[i] = 360.0 * ((int)gsl_rng_uniform_int(r, 5) - 2);
                for (int i = 0; i < OC; i++)
                    b[i] = (double)((int)gsl_rng_uniform_int(r, 9) - 4);
            } else {
                fill_uniform(x, nin * n, -1, 1, r);
                fill_uniform(w, nw, -0.5, 0.5, r);
                fill_uniform(b, OC, -0.2, 0.2, r);
                x[(size_t)(n - 1) * nin + 5] = NAN; /* the last sample */
            }
            L->conv_pack(wt, bp, NULL, w, b, C, OC, K);
            if (wino)
                L->wino_pack(u, w, C, OC);
            L->lanes_in(lx, x, n, C, H * W);
            int layout_bad = 0;
            for (int l = 0; l < NL; l++)
                for (int c = 0; c < C; c++)
                    for (int p = 0; p < H * W; p++) {
                        double v = lx[((size_t)p * C + c) * NL + l];
                        double want = l < n ? x[(size_t)l * nin + (size_t)c * H * W + p] : 0.0;
                        layout_bad += !(v == want || (isnan(v) && isnan(want)));
                    }
            CHECK(layout_bad == 0, "lanes_in case %zu: %d wrong", ci, layout_bad);
            for (int chw = 0; chw < 2; chw++) {
                if (wino)
                    L->wino_pool_lanes(lo, lx, u, b, work, H, W, C, OC, chw);
                else
                    L->conv_pool_lanes(lo, lx, wt, bp, H, W, C, OC, K, chw);
                int bad = 0, nans = 0, nan_elsewhere = 0, spread = 0, want_nans = 0;
                double worst = 0.0;
                for (int l = 0; l < n; l++) {
                    L->hwc_from_chw(hwc, x + (size_t)l * nin, C, H * W);
                    L->conv_forward(a, hwc, wt, bp, H, W, C, OC, K);
                    L->maxpool_forward(pooled, NULL, a, OH, OW, OC, OCP);
                    L->relu_forward(pooled, pooled, (int)npool);
                    for (int pix = 0; pix < PH * PW; pix++)
                        for (int oc = 0; oc < OC; oc++) {
                            size_t q = chw ? (size_t)oc * PH * PW + pix : (size_t)pix * OC + oc;
                            double v = lo[q * NL + l], want = pooled[(size_t)pix * OC + oc];
                            if (isnan(v) || isnan(want)) {
                                /* F(4,5)'s transforms mix a quad's inputs: a
                                 * NaN may reach the other window of its quad */
                                int spreads = wino && !isnan(want);
                                bad += !(isnan(v) && (isnan(want) || spreads));
                                spread += spreads;
                                want_nans += isnan(want);
                                nans += isnan(v);
                                nan_elsewhere += l != n - 1;
                                continue;
                            }
                            worst = fmax(worst, fabs(v - want));
                            bad += wino && !exact ? !(fabs(v - want) <= 1e-13) : v != want;
                        }
                }
                CHECK(bad == 0 && nan_elsewhere == 0 && (exact || nans > 0) && spread <= want_nans,
                      "%s case %zu chw %d%s: %d differ from conv_forward + pool + relu (worst "
                      "%g), %d NaN (%d spread from %d), %d outside the last sample",
                      wino ? "wino_pool_lanes" : "conv_pool_lanes", ci, chw,
                      exact ? " (exact)" : "", bad, worst, nans, spread, want_nans, nan_elsewhere);
            }
        }
        free(x), free(lx), free(w), free(b), free(wt), free(bp), free(u), free(work), free(hwc),
            free(a), free(pooled), free(lo);
    }
    gsl_rng_free(r);
}

/* dense_lanes against the loops (G groups: tiles and a remainder; NO: tiles
 * and remainder rows), lanes_out against the layout. */
static void test_dense_lanes(void)
{
    enum { NI = 37, NO = 7, G = 5 };
    const int NL = L->lanes;
    gsl_rng *r = rng_stream(14, RNG_INIT, 4);
    double W[NO * NI], B[NO], *X = malloc(sizeof(double) * G * NI * NL),
                              *Y = malloc(sizeof(double) * G * NO * NL),
                              *Z = malloc(sizeof(double) * G * NL * NO);
    fill_uniform(W, NO * NI, -1, 1, r);
    fill_uniform(B, NO, -1, 1, r);
    fill_uniform(X, (size_t)G * NI * NL, -1, 1, r);
    for (int relu = 0; relu < 2; relu++) {
        L->dense_lanes(Y, X, W, B, G, NI, NO, relu);
        double e = 0.0;
        int zeros = 0;
        for (int g = 0; g < G; g++)
            for (int l = 0; l < NL; l++)
                for (int o = 0; o < NO; o++) {
                    double ref = 0.0;
                    for (int i = 0; i < NI; i++)
                        ref += W[o * NI + i] * X[((size_t)g * NI + i) * NL + l];
                    ref += B[o];
                    if (relu && ref < 0.0)
                        ref = 0.0;
                    double v = Y[((size_t)g * NO + o) * NL + l];
                    e = fmax(e, fabs(v - ref));
                    zeros += v == 0.0;
                }
        CHECK(e < 1e-13, "dense_lanes relu %d: max error %g", relu, e);
        CHECK(relu ? zeros > 0 : zeros == 0, "dense_lanes relu %d: %d zeros", relu, zeros);
    }
    int n = G * NL - 3, bad = 0;
    L->lanes_out(Z, Y, n, NO);
    for (int s = 0; s < n; s++)
        for (int o = 0; o < NO; o++)
            bad += Z[(size_t)s * NO + o] != Y[((size_t)(s / NL) * NO + o) * NL + s % NL];
    CHECK(bad == 0, "lanes_out: %d wrong", bad);
    free(X), free(Y), free(Z);
    gsl_rng_free(r);
}

/* ------------------------------------------------------ the kernel paths */

/* Trains the same network on path p for 40 steps and infers 70 samples:
 * params [np], logits [70][3]. */
static int run_path(const char *p, double *params, double *grads, double *logits)
{
    cnn *n = cnn_create_on(1, 3, p);
    if (!n)
        return -1;
    cnn_init(n, 21);
    double *x = malloc(sizeof(double) * 1024 * 70);
    gsl_rng *r = rng_stream(21, RNG_DATA_TRAIN, 0);
    fill_uniform(x, 1024 * 70, 0, 1, r);
    gsl_rng_free(r);
    for (int s = 0; s < 40; s++)
        cnn_train_step(n, x + (size_t)(s % 70) * 1024, s % 3, 0.01);
    cnn_infer(n, x, 70, logits);
    memcpy(params, cnn_params(n), sizeof(double) * cnn_num_params(n));
    memcpy(grads, cnn_grads(n), sizeof(double) * cnn_num_params(n));
    free(x);
    cnn_free(n);
    return 0;
}

/* Every path this CPU runs against the plain C one (the same up to the
 * rounding of fused multiply-adds), and avx512 against avx2 (the same
 * bytes: the same sums in the same order). */
static void test_paths_agree(void)
{
    const char *names[] = {"avx512", "avx2", "c"};
    enum { NP = 61111 };
    double *pr[3], *gr[3], *lg[3];
    int have[3];
    for (int i = 0; i < 3; i++) {
        pr[i] = malloc(sizeof(double) * NP);
        gr[i] = malloc(sizeof(double) * NP);
        lg[i] = malloc(sizeof(double) * 70 * 3);
        have[i] = run_path(names[i], pr[i], gr[i], lg[i]) == 0;
    }
    CHECK(have[2], "the c path always runs");
    CHECK(nn_kernels_default() && nn_kernels_get(nn_kernels_default()->name),
          "the default path runs here");
    for (int i = 0; i < 2 && have[2]; i++) {
        if (!have[i])
            continue;
        double ep = 0.0, el = 0.0;
        for (int j = 0; j < NP; j++)
            ep = fmax(ep, fabs(pr[i][j] - pr[2][j]));
        for (int j = 0; j < 210; j++)
            el = fmax(el, fabs(lg[i][j] - lg[2][j]));
        CHECK(ep < 1e-12 && el < 1e-12, "%s vs c after 40 steps: params %g, logits %g", names[i],
              ep, el);
        printf("test_nn: %s vs c after 40 steps: params differ by %.2g, logits by %.2g\n", names[i],
               ep, el);
    }
    if (have[0] && have[1])
        CHECK(!memcmp(pr[0], pr[1], sizeof(double) * NP) &&
                  !memcmp(gr[0], gr[1], sizeof(double) * NP) &&
                  !memcmp(lg[0], lg[1], sizeof(double) * 210),
              "avx512 and avx2 give different bytes");
    for (int i = 0; i < 3; i++)
        free(pr[i]), free(gr[i]), free(lg[i]);
}

/* cnn_bench: everything (lesde bench), or only what a dry run's estimate
 * needs, the rest NaN; figures finite and positive, OpenBLAS's logits
 * equal to the kernels'. On the default path, as lesde bench runs. */
static void test_bench(void)
{
    cnn_bench_result r;
    CHECK(cnn_bench(1, 3, 0, 8, CNN_BENCH_ALL, &r) == LESDE_USAGE, "bench: 0 steps refused");
    CHECK(cnn_bench(1, 1, 40, 8, CNN_BENCH_ALL, &r) == LESDE_USAGE, "bench: K = 1 refused");
    for (int what = 0; what < 2; what++) {
        memset(&r, 0, sizeof r);
        CHECK(cnn_bench(1, 3, 40, 8, what ? CNN_BENCH_SWEEP : CNN_BENCH_ALL, &r) == LESDE_OK,
              "bench %d runs", what);
        CHECK(r.kernels && !strcmp(r.kernels, nn_kernels_default()->name),
              "bench %d: ran on the default path", what);
        CHECK(r.steps == 40 && r.infer_n == 8 && r.in_channels == 1 && r.k == 3,
              "bench %d: its configuration", what);
        CHECK(r.us_per_step_nograd > 0 && r.infer_samples_per_s > 0 && r.infer_gflops > 0 &&
                  isfinite(r.us_per_step_nograd) && isfinite(r.infer_samples_per_s),
              "bench %d: the step %g us, inference %g samples/s", what, r.us_per_step_nograd,
              r.infer_samples_per_s);
        double rest[] = {r.us_per_step,         r.us_per_step_best,  r.us_per_step_cpu,
                         r.fma_peak_gflops,     r.blas_infer_gflops, r.blas_gemm_gflops,
                         r.blas_fc1_us_per_step};
        for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
            CHECK(what ? isnan(rest[i]) : rest[i] > 0 && isfinite(rest[i]),
                  "bench %d: figure %zu is %g", what, i, rest[i]);
        if (what)
            CHECK(!r.blas_config && r.blas_chunk == 0 && isnan(r.blas_max_diff),
                  "bench (sweep): no OpenBLAS figures");
        else
            CHECK(r.blas_config && r.blas_chunk >= 1 && r.blas_max_diff < 1e-12,
                  "bench (all): OpenBLAS's logits off by %g, chunk %d", r.blas_max_diff,
                  r.blas_chunk);
    }
}

int main(void)
{
    test_tensors();
    test_init();
    /* everything that runs kernels, on every path this CPU runs */
    const char *paths[] = {"avx512", "avx2", "c"};
    for (int i = 0; i < 3; i++) {
        L = nn_kernels_get(paths[i]);
        KP = paths[i];
        if (!L) {
            printf("test_nn: kernel path %s: not run (not built in, or not for this CPU)\n",
                   paths[i]);
            continue;
        }
        printf("test_nn: kernel path %s\n", paths[i]);
        CHECK(!strcmp(L->name, paths[i]), "path %s calls itself %s", paths[i], L->name);
        test_conv_by_hand();
        test_conv_vs_reference();
        test_maxpool_by_hand();
        test_maxpool_vs_reference();
        test_conv_pool_forward();
        test_dense_relu_softmax_by_hand();
        test_lanes_conv(0);
        test_lanes_conv(1);
        test_dense_lanes();
        test_gradients();
        test_pytorch_reference();
        test_infer(1, 3);
        test_infer(3, 4);
        test_infer_blas(1, 3);
        test_infer_blas(3, 10);
        test_train_step_matches();
        test_packed_sgd(1);
        test_packed_sgd(3);
        test_training();
    }
    test_paths_agree();
    test_bench();
    return check_done("test_nn");
}
