/* imitate: the LE-ODE imitations of a run and their baseline (imitate.h).
 *
 * Why three starts (docs/le-sde.md, section 5): from Xbar(0) a linear ODE
 * amplifies whatever the class means hold at initialisation, where the
 * network has no class structure yet (they differ by 1e-3), so the sign of
 * S(0) decides the run's fate; from the end of the plateau, Xbar(t0) holds
 * the structure the network has learnt; the reference method starts from
 * noise and rescales, which is what the slides show. */
#include "le/imitate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/rng.h"
#include "le/estimate.h"
#include "le/ode.h"

int le_plateau_index(const double *xbar, int C, int K, int p, double factor)
{
    double *d = malloc(sizeof(double) * K * p), n0 = 0;
    int at = -1;
    for (int c = 0; d && c < C && at < 0; c++) {
        le_centre(xbar + (size_t)c * K * p, K, p, 0, 1, d);
        double n2 = 0;
        for (int i = 0; i < K * p; i++)
            n2 += d[i] * d[i];
        double n = sqrt(n2);
        if (!isfinite(n) || (c == 0 && !(n > 0)))
            break;
        if (c == 0)
            n0 = n;
        else if (n >= factor * n0)
            at = c;
    }
    free(d);
    return at;
}

/* piecewise-linear alpha(t), beta(t) on t [C] (relative to the start) for
 * the odeiv2 callback */
typedef struct {
    const double *t, *a, *b;
    int C, cur;
} pl_ctx;

static void pl_E(double tt, double *E, int K, void *vctx)
{
    pl_ctx *x = vctx;
    const double *t = x->t;
    int c = x->cur;
    while (c < x->C - 2 && tt > t[c + 1])
        c++;
    while (c > 0 && tt < t[c])
        c--;
    x->cur = c;
    double al = x->a[c], be = x->b[c];
    if (x->C > 1) {
        double f = (tt - t[c]) / (t[c + 1] - t[c]);
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        al += f * (x->a[c + 1] - x->a[c]);
        be += f * (x->b[c + 1] - x->b[c]);
    }
    for (int k = 0; k < K; k++)
        for (int l = 0; l < K; l++)
            E[k * K + l] = k == l ? al : be;
}

static void fill_nan(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
}

int le_imitate_from(const double *t, int C, const double *xbar, int K, int p, int c0,
                    const double *alpha, const double *beta, le_model H, double *y,
                    lesde_err *e)
{
    size_t D = (size_t)K * p;
    fill_nan(y, (size_t)C * D);
    if (c0 < 0 || c0 >= C)
        return LESDE_OK;
    if (H == LE_MODEL_L && p != K)
        return err_set(e, LESDE_USAGE, "le_imitate_from: the L-model needs p == K (p=%d, K=%d)",
                       p, K);
    const double *x0 = xbar + (size_t)c0 * D;
    int n = C - c0;
    if (H == LE_MODEL_I) {
        double A = 0, B = 0;
        memcpy(y + (size_t)c0 * D, x0, sizeof(double) * D);
        for (int c = c0 + 1; c < C; c++) {
            double h = (t[c] - t[c - 1]) / 2;
            A += h * (alpha[c - 1] + alpha[c]);
            B += h * (beta[c - 1] + beta[c]);
            le_ode_closed_form(x0, K, p, LE_MODEL_I, A, B, y + (size_t)c * D);
        }
        return LESDE_OK;
    }
    double *tz = malloc(sizeof(double) * n);
    if (!tz)
        return err_set(e, LESDE_FAIL, "le_imitate_from: out of memory");
    for (int c = 0; c < n; c++)
        tz[c] = t[c0 + c] - t[c0];
    pl_ctx ctx = {.t = tz, .a = alpha + c0, .b = beta + c0, .C = n, .cur = 0};
    lesde_err oe;
    /* a failure leaves NaN from there on: the honest answer, not an error */
    le_ode_integrate(x0, K, p, H, NULL, pl_E, &ctx, tz, n, 1e-10, y + (size_t)c0 * D, &oe);
    free(tz);
    return LESDE_OK;
}

/* alpha at iteration u by linear interpolation on t [C], from *c on */
static double at_iter(const double *t, const double *v, int C, double u, int *c)
{
    while (*c < C - 2 && u > t[*c + 1])
        (*c)++;
    double f = (u - t[*c]) / (t[*c + 1] - t[*c]);
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return v[*c] + f * (v[*c + 1] - v[*c]);
}

static void draw_starts(gsl_rng *rng, const double *x0, int K, int p, const le_ref_opts *o,
                        double *y0)
{
    size_t D = (size_t)K * p;
    for (int k = 0; k < K; k++) {
        double n2 = 0;
        for (int j = 0; j < p; j++)
            n2 += x0[(size_t)k * p + j] * x0[(size_t)k * p + j];
        double sig = o->noise_scale * sqrt(n2) / sqrt((double)K);
        for (int i = 0; i < o->paths; i++)
            for (int j = 0; j < p; j++)
                y0[(size_t)i * D + (size_t)k * p + j] = sig * gsl_ran_gaussian_ziggurat(rng, 1.0);
    }
}

int le_ref_starts(const double *x0, int K, int p, const le_ref_opts *o, double *y0)
{
    gsl_rng *rng = rng_stream(o->seed, RNG_REFSIM, o->stream);
    if (!rng)
        return -1;
    draw_starts(rng, x0, K, p, o, y0);
    gsl_rng_free(rng);
    return 0;
}

int le_imitate_reference(const double *t, int C, const double *xbar, int K, int p,
                         const double *alpha, const double *beta, le_model H,
                         const le_ref_opts *o, double *mean, double *std, double *scale,
                         lesde_err *e)
{
    size_t D = (size_t)K * p;
    fill_nan(mean, (size_t)C * D);
    if (std)
        fill_nan(std, (size_t)C * D);
    *scale = NAN;
    if (C < 2 || K < 2 || p < 1 || o->paths < 1 || o->align < 0 || o->align >= p)
        return err_set(e, LESDE_USAGE, "le_imitate_reference: bad sizes (C %d, K %d, p %d, "
                       "paths %d, align %d)", C, K, p, o->paths, o->align);
    if (H == LE_MODEL_L && p != K)
        return err_set(e, LESDE_USAGE, "le_imitate_reference: the L-model needs p == K");
    int N = o->paths;
    /* Phi [D][D] row by row (column i is the image of e_i; le_euler_step),
     * the starts y0 [N][D], one path [D], their mean [D], dhat [K][K], the
     * step's scratch [(D + p + 1) D], whose first D x D hold Phi column by
     * column at a checkpoint */
    double *buf = malloc(sizeof(double) *
                         (D * D + (size_t)N * D + 2 * D + (size_t)K * K + (D + (size_t)p + 1) * D));
    gsl_rng *rng = rng_stream(o->seed, RNG_REFSIM, o->stream);
    if (!buf || !rng) {
        free(buf);
        if (rng)
            gsl_rng_free(rng);
        return err_set(e, LESDE_FAIL, "le_imitate_reference: out of memory");
    }
    double *Phi = buf, *y0 = Phi + D * D, *yi = y0 + (size_t)N * D, *ybar = yi + D,
           *dhat = ybar + D, *scratch = dhat + (size_t)K * K, *cols = scratch;
    le_ode_dhat(K, dhat);
    draw_starts(rng, xbar, K, p, o, y0);
    gsl_rng_free(rng);
    memset(Phi, 0, sizeof(double) * D * D);
    for (size_t i = 0; i < D; i++)
        Phi[i * D + i] = 1;

    /* the mean start: at a tail record the mean path's coordinate align of
     * class 0 is row align of Phi times it (the dynamics are linear) */
    memset(ybar, 0, sizeof(double) * D);
    for (int i = 0; i < N; i++)
        for (size_t r = 0; r < D; r++)
            ybar[r] += y0[(size_t)i * D + r] / N;
    double s_tail = 0;
    int j = 0;
    for (; j < o->tail_n && o->tail_t[j] == t[0]; j++)
        s_tail += ybar[o->align];

    /* Euler from iteration t[0], step 1; at each checkpoint, every path
     * y_i = Phi y0_i, its mean and (Welford) spread */
    int ca = 0, cb = 0;
    double it = t[0];
    for (int c = 0; c < C; c++) {
        for (; it < t[c]; it++) {
            double a = at_iter(t, alpha, C, it + 1, &ca), b = at_iter(t, beta, C, it + 1, &cb);
            le_euler_step(Phi, K, p, H, dhat, a, b, scratch);
            if (j < o->tail_n && o->tail_t[j] == it + 1) {
                const double *row = Phi + (size_t)o->align * D;
                double v = 0;
                for (size_t col = 0; col < D; col++)
                    v += row[col] * ybar[col];
                s_tail += v;
                j++;
            }
        }
        for (size_t r = 0; r < D; r++)
            for (size_t col = 0; col < D; col++)
                cols[col * D + r] = Phi[r * D + col];
        double *m = mean + (size_t)c * D, *m2 = std ? std + (size_t)c * D : NULL;
        memset(m, 0, sizeof(double) * D);
        if (m2)
            memset(m2, 0, sizeof(double) * D);
        for (int i = 0; i < N; i++) {
            memset(yi, 0, sizeof(double) * D);
            for (size_t col = 0; col < D; col++) {
                double s = y0[(size_t)i * D + col];
                for (size_t r = 0; r < D; r++)
                    yi[r] += cols[col * D + r] * s;
            }
            for (size_t r = 0; r < D; r++) {
                double d = yi[r] - m[r];
                m[r] += d / (i + 1);
                if (m2)
                    m2[r] += d * (yi[r] - m[r]);
            }
        }
        if (m2)
            for (size_t r = 0; r < D; r++)
                m2[r] = N > 1 ? sqrt(m2[r] / (N - 1)) : 0.0;
    }
    free(buf);
    if (j < o->tail_n) {
        fill_nan(mean, (size_t)C * D);
        if (std)
            fill_nan(std, (size_t)C * D);
        return err_set(e, LESDE_USAGE,
                       "le_imitate_reference: tail record %d (t = %g) is not an iteration "
                       "t_0 + 1, 2, ... of [%g, %g] in increasing order",
                       j, o->tail_t[j], t[0], t[C - 1]);
    }

    /* the one scalar, from class 0's coordinate align over the last
     * tail_iters iterations: the records given, else the checkpoints */
    double T = t[C - 1], g = 0, s = 0;
    int n = 0;
    if (o->tail_n > 0) {
        for (int r = 0; r < o->tail_n; r++)
            g += o->tail_x[(size_t)r * D + o->align];
        s = s_tail;
        n = o->tail_n;
    } else {
        for (int c = 0; c < C; c++)
            if (t[c] >= T - o->tail_iters) {
                g += xbar[(size_t)c * D + o->align];
                s += mean[(size_t)c * D + o->align];
                n++;
            }
    }
    double f = n && s != 0 ? g / s : NAN;
    *scale = f;
    for (size_t i = 0; i < (size_t)C * D; i++) {
        mean[i] = isfinite(f) ? mean[i] * f : NAN;
        if (std)
            std[i] = isfinite(f) ? std[i] * fabs(f) : NAN;
    }
    return LESDE_OK;
}

void le_etf_baseline(const double *xbar, int C, int K, double *S, double *y)
{
    double nd = sqrt((K - 1.0) / K), *s = malloc(sizeof(double) * K);
    for (int c = 0; c < C; c++) {
        double m = 0;
        if (s) {
            le_s_coords(xbar + (size_t)c * K * K, K, s);
            for (int k = 0; k < K; k++)
                m += s[k];
        }
        S[c] = s ? m / K : NAN;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < K; j++)
                y[(size_t)c * K * K + k * K + j] = S[c] * ((j == k) - 1.0 / K) / nd;
    }
    free(s);
}
