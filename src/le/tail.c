/* tail: tail indices of alpha, beta and gamma = alpha - beta (le-sde.md
 * section 4; docs/le-sde.md says why the estimators are these).
 *
 * The estimator reported: if alpha ~ t^-r, A(t) = int_0^t alpha grows like
 * c t^(1-r) + const, where the constant depends on the arbitrary reference
 * checkpoint of Ahat (Xbar(0) by default). The difference A(u) - A(u/2) =
 * c (1 - 2^(r-1)) u^(1-r) has no constant, so the least-squares slope of
 * log|A(u) - A(u/2)| against log u is 1 - r exactly for a power law, for r
 * below, at (log: the difference is c log 2, slope 0) and above 1.
 *
 * The slides' estimator, 1 - avg log|A(t)| / log(1+t) over the tail, is kept
 * as le_tail_index_ref0: it reads the constant as part of the power law, so
 * at t = 1e4 (log t about 9.2) it mostly measures the size of A(T) against
 * the reference. */
#include "le/estimate.h"

#include <math.h>

static double tail_start(const double *t, int C, double tail_frac)
{
    if (!(tail_frac > 0) || tail_frac > 1)
        tail_frac = 0.1;
    return t[C - 1] - tail_frac * (t[C - 1] - t[0]);
}

double le_tail_index_ref0(const double *t, const double *A, int C, double tail_frac)
{
    if (C < 1)
        return NAN;
    double t0 = tail_start(t, C, tail_frac), s = 0;
    int n = 0;
    for (int c = 0; c < C; c++) {
        if (!(t[c] >= t0) || !(t[c] > 0))
            continue;
        double v = log(fabs(A[c])) / log1p(t[c]);
        if (isfinite(v)) {
            s += v;
            n++;
        }
    }
    return n ? 1 - s / n : NAN;
}

/* A at u by linear interpolation on t [C] (increasing), from index *c on
 * (u must not decrease between calls with the same *c); NaN outside. */
static double interp_at(const double *t, const double *A, int C, double u, int *c)
{
    if (!(u >= t[0]) || u > t[C - 1])
        return NAN;
    while (*c < C - 2 && u > t[*c + 1])
        (*c)++;
    if (C == 1)
        return A[0];
    double f = (u - t[*c]) / (t[*c + 1] - t[*c]);
    return f == 0 ? A[*c] : A[*c] + f * (A[*c + 1] - A[*c]);
}

double le_tail_index_diff(const double *t, const double *A, int C, double t_lo, double t_hi)
{
    /* two passes (means, then centred sums): no cancellation in Sxx */
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        int c = 0;
        for (int i = 0; i < C; i++) {
            double u = t[i];
            if (!(u > 0) || u < t_lo || u > t_hi)
                continue;
            double x = log(u), y = log(fabs(A[i] - interp_at(t, A, C, u / 2, &c)));
            if (!isfinite(x) || !isfinite(y))
                continue;
            if (pass == 0) {
                mx += x;
                my += y;
                n++;
            } else {
                sxx += (x - mx) * (x - mx);
                sxy += (x - mx) * (y - my);
            }
        }
        if (pass == 0) {
            if (n < 3)
                return NAN;
            mx /= n;
            my /= n;
        }
    }
    return sxx > 0 ? 1 - sxy / sxx : NAN;
}

void le_tail_local(const double *t, const double *A, int C, int R, double *t_end, double *r)
{
    double T = C > 0 ? t[C - 1] : NAN, lo = T * pow(10, -LE_TAIL_LOCAL_DECADES);
    for (int i = 0; i < R; i++) {
        double f = R > 1 ? (double)i / (R - 1) : 1;
        t_end[i] = lo * pow(T / lo, f);
        r[i] = T > 0 ? le_tail_index_diff(t, A, C, t_end[i] / sqrt(10.0), t_end[i]) : NAN;
    }
}
