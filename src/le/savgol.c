/* savgol: first derivative by a Savitzky-Golay filter (le-sde.md section 4).
 *
 * The window's abscissae are scaled to u = j/m in [-1, 1] (m the half
 * width) and the monomials u^r are orthonormalised over the window
 * (Gram-Schmidt, V = Q R), so the least-squares fit is well conditioned for
 * any window length. The fitted polynomial's coefficients are
 * c = R^-1 Q^T y, and its derivative at u0 is g(u0)^T c with
 * g_r = r u0^(r-1); per point that is y . (Q R^-T g), divided by m dt. */
#include "le/estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int le_savgol_points(double window_iters, double dt, int order, int n)
{
    if (order < 0)
        order = 0;
    int w = 1;
    double raw = window_iters / dt + 1;
    if (isfinite(raw) && raw > 1)
        w = raw > 2e9 ? 2000000001 : 2 * (int)lround((raw - 1) / 2) + 1;
    int lo = order + 1 + !((order + 1) & 1); /* order + 1, up to odd */
    if (lo < 3)
        lo = 3; /* a derivative needs two neighbours */
    if (w < lo)
        w = lo;
    int hi = (n & 1) ? n : n - 1;
    if (w > hi)
        w = hi;
    return w < 1 ? 1 : w;
}

/* Q [w][q1], R [q1][q1] (upper) of the monomials on u_j = (j - m)/m. */
static void savgol_qr(int w, int q1, double *Q, double *R)
{
    int m = (w - 1) / 2;
    memset(R, 0, sizeof(double) * q1 * q1);
    for (int r = 0; r < q1; r++) {
        for (int j = 0; j < w; j++)
            Q[j * q1 + r] = pow((double)(j - m) / m, r);
        /* modified Gram-Schmidt, twice, for orthogonality to rounding */
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < r; i++) {
                double d = 0;
                for (int j = 0; j < w; j++)
                    d += Q[j * q1 + i] * Q[j * q1 + r];
                for (int j = 0; j < w; j++)
                    Q[j * q1 + r] -= d * Q[j * q1 + i];
                R[i * q1 + r] += d;
            }
        double nn = 0;
        for (int j = 0; j < w; j++)
            nn += Q[j * q1 + r] * Q[j * q1 + r];
        nn = sqrt(nn);
        R[r * q1 + r] = nn;
        for (int j = 0; j < w; j++)
            Q[j * q1 + r] /= nn;
    }
}

/* Polynomial coefficients c = R^-1 Q^T y of the fit to y [w]. */
static void savgol_coef(const double *Q, const double *R, int w, int q1, const double *y,
                        double *c)
{
    for (int r = 0; r < q1; r++) {
        double d = 0;
        for (int j = 0; j < w; j++)
            d += Q[j * q1 + r] * y[j];
        c[r] = d;
    }
    for (int r = q1 - 1; r >= 0; r--) {
        double d = c[r];
        for (int i = r + 1; i < q1; i++)
            d -= R[r * q1 + i] * c[i];
        c[r] = d / R[r * q1 + r];
    }
}

static double poly_deriv(const double *c, int q1, double u)
{
    double d = 0, up = 1; /* up = u^(r-1) */
    for (int r = 1; r < q1; r++) {
        d += r * c[r] * up;
        up *= u;
    }
    return d;
}

int le_savgol_deriv(const double *y, int n, double dt, int order, int window, double *dy,
                    lesde_err *e)
{
    if (n < 1 || !(dt > 0) || !isfinite(dt))
        return err_set(e, LESDE_USAGE, "le_savgol_deriv: needs n >= 1 and dt > 0 (n=%d, dt=%g)",
                       n, dt);
    if (n < 2) {
        dy[0] = NAN;
        return LESDE_OK;
    }
    if (n == 2) { /* no odd window with two neighbours: the one slope there is */
        dy[0] = dy[1] = (y[1] - y[0]) / dt;
        return LESDE_OK;
    }
    if (order < 0)
        order = 0;
    int w = window | 1; /* even: one more */
    int lo = order + 1 + !((order + 1) & 1);
    if (w < lo)
        w = lo;
    if (w < 3)
        w = 3;
    int hi = (n & 1) ? n : n - 1;
    if (w > hi)
        w = hi;
    if (order > w - 1)
        order = w - 1;
    int q1 = order + 1, m = (w - 1) / 2;

    double *ws = malloc(sizeof(double) * ((size_t)w * q1 + q1 * q1 + 2 * q1 + w));
    if (!ws)
        return err_set(e, LESDE_FAIL, "le_savgol_deriv: out of memory");
    double *Q = ws, *R = Q + (size_t)w * q1, *c = R + q1 * q1, *z = c + q1, *h = z + q1;
    savgol_qr(w, q1, Q, R);
    double scale = 1.0 / (m * dt);

    /* interior weights h = Q R^-T g(0), g(0) = e_1 */
    for (int r = 0; r < q1; r++) {
        double d = (r == 1);
        for (int i = 0; i < r; i++)
            d -= R[i * q1 + r] * z[i];
        z[r] = d / R[r * q1 + r];
    }
    for (int j = 0; j < w; j++) {
        double d = 0;
        for (int r = 0; r < q1; r++)
            d += Q[j * q1 + r] * z[r];
        h[j] = d * scale;
    }
    for (int i = m; i < n - m; i++) {
        double d = 0;
        const double *yi = y + i - m;
        for (int j = 0; j < w; j++)
            d += h[j] * yi[j];
        dy[i] = d;
    }
    /* edges: differentiate the first / last window's fit at the edge points */
    savgol_coef(Q, R, w, q1, y, c);
    for (int i = 0; i < m; i++)
        dy[i] = poly_deriv(c, q1, (double)(i - m) / m) * scale;
    savgol_coef(Q, R, w, q1, y + n - w, c);
    for (int i = n - m; i < n; i++)
        dy[i] = poly_deriv(c, q1, (double)(i - (n - 1 - m)) / m) * scale;
    free(ws);
    return LESDE_OK;
}

/* Linear interpolation of (x, y) [n] (x increasing) at the increasing
 * points xi [ni] into yi. */
static void interp_sorted(const double *x, const double *y, int n, const double *xi, int ni,
                          double *yi)
{
    int c = 0;
    for (int i = 0; i < ni; i++) {
        while (c < n - 2 && xi[i] > x[c + 1])
            c++;
        double f = (xi[i] - x[c]) / (x[c + 1] - x[c]);
        yi[i] = f == 0 ? y[c] : f == 1 ? y[c + 1] : y[c] + f * (y[c + 1] - y[c]);
    }
}

int le_savgol_deriv_t(const double *t, const double *y, int n, int order,
                      double window_iters, int m, double *dy, lesde_err *e)
{
    if (n < 2)
        return le_savgol_deriv(y, n, 1.0, order, 1, dy, e);
    for (int i = 1; i < n; i++)
        if (!(t[i] > t[i - 1]) || !isfinite(t[i]) || !isfinite(t[0]))
            return err_set(e, LESDE_USAGE, "le_savgol_deriv_t: t must be finite and strictly "
                           "increasing (t[%d] = %g, t[%d] = %g)", i - 1, t[i - 1], i, t[i]);
    double span = t[n - 1] - t[0], dt = span / (n - 1);
    int even = 1;
    for (int i = 1; i < n - 1 && even; i++)
        even = fabs(t[i] - (t[0] + i * dt)) <= 1e-9 * span;
    if (even)
        return le_savgol_deriv(y, n, dt, order, le_savgol_points(window_iters, dt, order, n),
                               dy, e);

    /* uneven: an even grid with >= 21 points per window (so that the
     * interpolation, not the grid, limits the resolution), capped */
    if (m < 2) {
        double want = (window_iters > 0 && isfinite(window_iters)) ? 20 * span / window_iters + 1
                                                                   : n;
        m = want > 100001 ? 100001 : (int)ceil(want);
        if (m < n)
            m = n;
    }
    double *g = malloc(sizeof(double) * 3 * (size_t)m);
    if (!g)
        return err_set(e, LESDE_FAIL, "le_savgol_deriv_t: out of memory");
    double *gy = g + m, *gd = gy + m, dg = span / (m - 1);
    for (int i = 0; i < m; i++)
        g[i] = t[0] + i * dg;
    g[m - 1] = t[n - 1];
    interp_sorted(t, y, n, g, m, gy);
    int rc = le_savgol_deriv(gy, m, dg, order, le_savgol_points(window_iters, dg, order, m),
                             gd, e);
    if (rc == LESDE_OK)
        interp_sorted(g, gd, m, t, n, dy);
    free(g);
    return rc;
}
