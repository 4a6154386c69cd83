/* tail: tail indices of alpha and beta (le-sde.md section 4).
 *
 * Estimator 1, 1 - avg log|A(t)| / log(1+t): if alpha = a (1+t)^-r (r < 1),
 * A = a/(1-r) ((1+t)^(1-r) - 1) and the estimate is biased by
 * -log(a/(1-r)) / log(1+t) + O((1+t)^(r-1) / log(1+t)): the constant's bias
 * decays only like 1/log t. Estimator 2 (slope of log|alpha| against
 * log(1+t)) has no such bias for a pure power law, but sees the noise of
 * the derivative. */
#include "le/estimate.h"

#include <math.h>

static double tail_start(const double *t, int C, double tail_frac)
{
    if (!(tail_frac > 0) || tail_frac > 1)
        tail_frac = 0.1;
    return t[C - 1] - tail_frac * (t[C - 1] - t[0]);
}

double le_tail_index(const double *t, const double *A, int C, double tail_frac)
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

double le_tail_index_slope(const double *t, const double *a, int C, double tail_frac)
{
    if (C < 2)
        return NAN;
    double t0 = tail_start(t, C, tail_frac), mx = 0, my = 0;
    int n = 0;
    /* two passes (means, then centred sums): no cancellation in Sxx */
    for (int c = 0; c < C; c++) {
        double x = log1p(t[c]), y = log(fabs(a[c]));
        if (t[c] >= t0 && isfinite(x) && isfinite(y)) {
            mx += x;
            my += y;
            n++;
        }
    }
    if (n < 2)
        return NAN;
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (int c = 0; c < C; c++) {
        double x = log1p(t[c]), y = log(fabs(a[c]));
        if (t[c] >= t0 && isfinite(x) && isfinite(y)) {
            sxx += (x - mx) * (x - mx);
            sxy += (x - mx) * (y - my);
        }
    }
    return sxx > 0 ? -sxy / sxx : NAN;
}
