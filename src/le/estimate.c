/* estimate: Ahat, Bhat under the I- and L-models (le-sde.md section 3), and
 * RD (section 5). Logs of ratios are taken as differences of log|.|, so no
 * power D^(K-1) is ever formed (it would overflow for large K or t). */
#include "le/estimate.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

/* A difference below this fraction of the magnitudes it came from is
 * rounding noise (an exact zero, e.g. tied coordinates, rarely survives the
 * subtraction as 0): its log would be garbage, so it counts as a zero. */
#define LE_ZERO_REL 1e-12

/* log|v|, or -inf when |v| is zero relative to scale */
static double logabs(double v, double scale)
{
    return fabs(v) > LE_ZERO_REL * scale ? log(fabs(v)) : -INFINITY;
}

static int estimate_i(const double *xbar, int C, int K, int p, int ref, double *A, double *B,
                      lesde_err *e)
{
    if (C < 1 || K < 2 || p < 1 || ref < 0 || ref >= C)
        return err_set(e, LESDE_USAGE, "le_estimate_i_model: needs C >= 1, K >= 2, p >= 1 and "
                       "a reference checkpoint in 0..C-1 (C=%d, K=%d, p=%d, ref=%d)", C, K, p, ref);
    const double *x0 = xbar + (size_t)ref * K * p;
    for (int c = 0; c < C; c++) {
        const double *x = xbar + (size_t)c * K * p;
        double sa = 0, sb = 0;
        int n = 0;
        for (int j = 0; j < p; j++) {
            double m0 = 0, mt = 0, a0 = 0, at = 0;
            for (int k = 0; k < K; k++) {
                m0 += x0[k * p + j];
                mt += x[k * p + j];
                a0 = fmax(a0, fabs(x0[k * p + j]));
                at = fmax(at, fabs(x[k * p + j]));
            }
            m0 /= K;
            mt /= K;
            /* log|c_j(t)/c_j(0)| = (A + (K-1)B)/K, log|D(t)/D(0)| = (A - B)/K */
            double lc = logabs(mt, at) - logabs(m0, a0);
            for (int k = 0; k < K; k++) {
                double ld = logabs(x[k * p + j] - mt, at) - logabs(x0[k * p + j] - m0, a0);
                double ta = lc + (K - 1) * ld, tb = lc - ld;
                if (isfinite(ta) && isfinite(tb)) {
                    sa += ta;
                    sb += tb;
                    n++;
                }
            }
        }
        A[c] = n ? sa / n : NAN;
        B[c] = n ? sb / n : NAN;
    }
    return LESDE_OK;
}

double le_s_coords(const double *x, int K, double *s)
{
    const double nd = sqrt((K - 1.0) / K);
    double mx = 0;
    for (int k = 0; k < K; k++) {
        double m = 0;
        for (int j = 0; j < K; j++) {
            m += x[k * K + j];
            mx = fmax(mx, fabs(x[k * K + j]));
        }
        s[k] = (x[k * K + k] - m / K) / nd;
    }
    return mx;
}

static int estimate_l(const double *xbar, int C, int K, int p, int ref, double *A, double *B,
                      lesde_err *e)
{
    if (C < 1 || K < 2 || p != K || ref < 0 || ref >= C)
        return err_set(e, LESDE_USAGE, "le_estimate_l_model: needs C >= 1, p == K >= 2 and a "
                       "reference checkpoint in 0..C-1 (C=%d, K=%d, p=%d, ref=%d)", C, K, p, ref);
    double *s = malloc(sizeof(double) * 2 * K);
    if (!s)
        return err_set(e, LESDE_FAIL, "le_estimate_l_model: out of memory");
    double *s0 = s + K, S0 = 0;
    double sc0 = le_s_coords(xbar + (size_t)ref * K * K, K, s0);
    for (int k = 0; k < K; k++)
        S0 += s0[k];
    S0 /= K;
    for (int c = 0; c < C; c++) {
        double sct = le_s_coords(xbar + (size_t)c * K * K, K, s), St = 0;
        for (int k = 0; k < K; k++)
            St += s[k];
        St /= K;
        double L1 = logabs(St, sct) - logabs(S0, sc0), sl = 0;
        int n = 0;
        for (int k = 0; k < K; k++) {
            double l = logabs(s[k] - St, sct) - logabs(s0[k] - S0, sc0);
            if (isfinite(l)) {
                sl += l;
                n++;
            }
        }
        if (isfinite(L1) && n) {
            double L2 = sl / n;
            A[c] = L1 + (K - 1) * L2;
            B[c] = (K - 1) * (L2 - L1);
        } else {
            A[c] = B[c] = NAN;
        }
    }
    free(s);
    return LESDE_OK;
}

int le_estimate_i_model(const double *xbar, int C, int K, int p, double *A, double *B,
                        lesde_err *e)
{
    return estimate_i(xbar, C, K, p, 0, A, B, e);
}

int le_estimate_l_model(const double *xbar, int C, int K, int p, double *A, double *B,
                        lesde_err *e)
{
    return estimate_l(xbar, C, K, p, 0, A, B, e);
}

int le_estimate_ref(le_model m, const double *xbar, int C, int K, int p, int ref, double *A,
                    double *B, lesde_err *e)
{
    return m == LE_MODEL_L ? estimate_l(xbar, C, K, p, ref, A, B, e)
                           : estimate_i(xbar, C, K, p, ref, A, B, e);
}

int le_estimate(le_model m, const double *xbar, int C, int K, int p, double *A, double *B,
                lesde_err *e)
{
    return le_estimate_ref(m, xbar, C, K, p, 0, A, B, e);
}

/* RD of a, b [p] divided by s > 0 (RD does not change): where the plain
 * sums overflow; s = inf (an infinite coordinate) is the limit, 2. */
static double rd_scaled(const double *a, const double *b, int p)
{
    double s = 0;
    int ia = 0, ib = 0;
    for (int j = 0; j < p; j++) {
        if (isnan(a[j]) || isnan(b[j]))
            return NAN;
        ia |= isinf(a[j]), ib |= isinf(b[j]);
        s = fmax(s, fmax(fabs(a[j]), fabs(b[j])));
    }
    if (ia && ib)
        return NAN; /* inf against inf: no direction to compare */
    if (ia || ib)
        return 2.0;
    double na = 0, nb = 0, nd = 0;
    for (int j = 0; j < p; j++) {
        double u = a[j] / s, v = b[j] / s;
        na += u * u, nb += v * v, nd += (u - v) * (u - v);
    }
    return sqrt(nd) / ((sqrt(na) + sqrt(nb)) / 2);
}

void le_rd(const double *x, const double *y, int C, int K, int p, double *rd)
{
    for (long ck = 0; ck < (long)C * K; ck++) {
        const double *a = x + ck * p, *b = y + ck * p;
        double na = 0, nb = 0, nd = 0;
        for (int j = 0; j < p; j++) {
            na += a[j] * a[j];
            nb += b[j] * b[j];
            nd += (a[j] - b[j]) * (a[j] - b[j]);
        }
        double den = (sqrt(na) + sqrt(nb)) / 2;
        if (!isfinite(den) || !isfinite(nd))
            rd[ck] = rd_scaled(a, b, p);
        else
            rd[ck] = den > 0 ? sqrt(nd) / den : 0.0;
    }
}
