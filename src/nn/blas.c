/* blas: the CNN's forward pass as OpenBLAS GEMMs (cnn_infer_blas in
 * cnn.h): the convs by im2col, every layer one cblas_dgemm over a batch.
 * It is what the own kernels are measured against (lesde bench: the brief
 * keeps OpenBLAS wherever it is faster) and a second, independent route to
 * cnn_infer's logits (test_nn). Plain C around the GEMMs; not tuned beyond
 * giving OpenBLAS its best shape (a batch of samples per call). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "nn/cnn.h"

enum { KS = 5, IMG = 32, C1 = 6, C2 = 16, F1 = 120, F2 = 84 };

/* cols [c*25][n*oh*ow] (row ci*25 + ky*5 + kx, PyTorch's weight order) of
 * x [n][c][h][w] for a valid 5x5 conv, oh = h - 4, ow = w - 4. */
static void im2col(double *cols, const double *x, int n, int c, int h, int w)
{
    int oh = h - KS + 1, ow = w - KS + 1;
    size_t ld = (size_t)n * oh * ow;
    for (int ci = 0; ci < c; ci++)
        for (int ky = 0; ky < KS; ky++)
            for (int kx = 0; kx < KS; kx++) {
                double *row = cols + (size_t)((ci * KS + ky) * KS + kx) * ld;
                for (int s = 0; s < n; s++) {
                    const double *xs = x + ((size_t)s * c + ci) * h * w;
                    for (int y = 0; y < oh; y++)
                        memcpy(row + ((size_t)s * oh + y) * ow, xs + (y + ky) * w + kx,
                               sizeof(double) * (size_t)ow);
                }
            }
}

/* out [n][oc][oh/2][ow/2] = maxpool 2x2 (ReLU (conv + bias)) of conv
 * [oc][n*oh*ow]. The bias is added after the max: rounding is monotone,
 * so max(v) + b is max(v + b) exactly. (fmax drops NaN where PyTorch's pool
 * keeps it: this route is for finite inputs.) */
static void bias_relu_pool(double *out, const double *conv, const double *b, int n, int oc, int oh,
                           int ow)
{
    size_t ld = (size_t)n * oh * ow;
    int ph = oh / 2, pw = ow / 2;
    for (int o = 0; o < oc; o++)
        for (int s = 0; s < n; s++) {
            const double *cs = conv + o * ld + (size_t)s * oh * ow;
            double *os = out + ((size_t)s * oc + o) * ph * pw;
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++) {
                    const double *p = cs + 2 * y * ow + 2 * x;
                    double m = fmax(fmax(p[0], p[1]), fmax(p[ow], p[ow + 1]));
                    os[y * pw + x] = fmax(m + b[o], 0.0);
                }
        }
}

/* out [n][m] = in [n][k] W^T + b (W [m][k]), ReLU when relu. */
static void dense(double *out, const double *in, const double *w, const double *b, int n, int m,
                  int k, int relu, double *gemm_s)
{
    for (int s = 0; s < n; s++)
        memcpy(out + (size_t)s * m, b, sizeof(double) * (size_t)m);
    double t0 = log_now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.0, in, k, w, k, 1.0, out, m);
    *gemm_s += log_now() - t0;
    if (relu)
        for (size_t i = 0; i < (size_t)n * m; i++)
            out[i] = fmax(out[i], 0.0);
}

/* conv [oc][n*oh*ow] = W [oc][ck] cols [ck][n*oh*ow] (no bias). */
static void conv_gemm(double *conv, const double *w, const double *cols, int oc, int ck, int cols_n,
                      double *gemm_s)
{
    double t0 = log_now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, oc, cols_n, ck, 1.0, w, ck, cols, cols_n,
                0.0, conv, cols_n);
    *gemm_s += log_now() - t0;
}

int cnn_infer_blas(cnn *net, const double *x, int n, int chunk, double *logits, double *gemm_s)
{
    if (!net || n < 0 || chunk < 1 || chunk > 65536 || (n && (!x || !logits)))
        return LESDE_USAGE;
    int c = cnn_channels(net), k = cnn_classes(net);
    const double *p[CNN_NUM_TENSORS];
    for (int i = 0; i < CNN_NUM_TENSORS; i++)
        p[i] = cnn_get_tensor(net, i).data;
    const int A1 = IMG - KS + 1, P1 = A1 / 2, A2 = P1 - KS + 1, P2 = A2 / 2;
    const int FLAT = C2 * P2 * P2;
    size_t B = (size_t)chunk;
    size_t need = (size_t)c * KS * KS * B * A1 * A1 /* cols1 */ + C1 * B * A1 * A1 /* conv1 */ +
                  B * C1 * P1 * P1 /* pooled */ + (size_t)C1 * KS * KS * B * A2 * A2 /* cols2 */ +
                  C2 * B * A2 * A2 /* conv2 */ + B * FLAT + B * F1 + B * F2;
    double *buf = malloc(sizeof(double) * need);
    if (!buf)
        return LESDE_FAIL;
    double *cols1 = buf, *a1 = cols1 + (size_t)c * KS * KS * B * A1 * A1;
    double *q1 = a1 + C1 * B * A1 * A1, *cols2 = q1 + B * C1 * P1 * P1;
    double *a2 = cols2 + (size_t)C1 * KS * KS * B * A2 * A2, *flat = a2 + C2 * B * A2 * A2;
    double *h1 = flat + B * FLAT, *h2 = h1 + B * F1;
    double g = 0.0;
    size_t in_size = (size_t)c * IMG * IMG;
    for (int s0 = 0; s0 < n; s0 += chunk) {
        int nb = n - s0 < chunk ? n - s0 : chunk;
        im2col(cols1, x + (size_t)s0 * in_size, nb, c, IMG, IMG);
        conv_gemm(a1, p[0], cols1, C1, c * KS * KS, nb * A1 * A1, &g);
        bias_relu_pool(q1, a1, p[1], nb, C1, A1, A1);
        im2col(cols2, q1, nb, C1, P1, P1);
        conv_gemm(a2, p[2], cols2, C2, C1 * KS * KS, nb * A2 * A2, &g);
        /* [n][16][5][5]: PyTorch's flatten order */
        bias_relu_pool(flat, a2, p[3], nb, C2, A2, A2);
        dense(h1, flat, p[4], p[5], nb, F1, FLAT, 1, &g);
        dense(h2, h1, p[6], p[7], nb, F2, F1, 1, &g);
        dense(logits + (size_t)s0 * k, h2, p[8], p[9], nb, k, F2, 0, &g);
    }
    free(buf);
    if (gemm_s)
        *gemm_s = g;
    return LESDE_OK;
}
