/* Neural-collapse NC1, the margin along the class-mean direction, and
 * le_measure_samples (le-sde.md section 6). */
#include "le/sample.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>

/* Class counts and the number of classes with samples; -1 on a bad label. */
static int count_classes(const int *labels, int n, int K, int *count)
{
    memset(count, 0, (size_t)K * sizeof *count);
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= K)
            return -1 - i;
        count[labels[i]]++;
    }
    int used = 0;
    for (int k = 0; k < K; k++)
        used += count[k] > 0;
    return used;
}

/* Class means of x * 2^sh into mu [K][p]. */
static void class_means(const double *x, const int *labels, int n, int p,
                        const int *count, int K, int sh, double *mu)
{
    memset(mu, 0, (size_t)K * p * sizeof *mu);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++)
            mu[(size_t)labels[i] * p + j] += ldexp(x[(size_t)i * p + j], sh);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < p; j++)
            if (count[k])
                mu[(size_t)k * p + j] /= count[k];
}

int le_nc1(const double *x, const int *labels, int n, int K, int p,
           double *nc1, lesde_err *e)
{
    *nc1 = NAN;
    if (n < 0 || K < 1 || p < 1)
        return err_set(e, LESDE_USAGE, "NC1: bad sizes (n %d, K %d, p %d)", n, K, p);
    double amax = 0;
    for (size_t i = 0; i < (size_t)n * p; i++) {
        if (!isfinite(x[i]))
            return err_set(e, LESDE_USAGE, "NC1: non-finite feature (sample %zu)", i / (size_t)p);
        if (fabs(x[i]) > amax)
            amax = fabs(x[i]);
    }
    int *count = malloc((size_t)K * sizeof *count);
    double *mu = malloc((size_t)K * p * sizeof *mu);
    gsl_matrix *SW = gsl_matrix_calloc((size_t)p, (size_t)p);
    gsl_matrix *SB = gsl_matrix_calloc((size_t)p, (size_t)p);
    gsl_matrix *V = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_vector *S = gsl_vector_alloc((size_t)p), *work = gsl_vector_alloc((size_t)p);
    double *mg = calloc((size_t)p, sizeof *mg), *d = malloc((size_t)p * sizeof *d);
    int rc = LESDE_OK;
    if (!count || !mu || !SW || !SB || !V || !S || !work || !mg || !d) {
        rc = err_set(e, LESDE_FAIL, "NC1: out of memory");
        goto out;
    }
    int used = count_classes(labels, n, K, count);
    if (used < 0) {
        rc = err_set(e, LESDE_USAGE, "NC1: label %d of sample %d is outside 0..%d",
                     labels[-1 - used], -1 - used, K - 1);
        goto out;
    }
    if (used < 2 || amax == 0)
        goto out; /* NaN: no between-class scatter to compare with */
    /* NC1 is invariant to scaling: bring the data to O(1) exactly, so that
     * the squares below neither overflow nor underflow. */
    int ex;
    frexp(amax, &ex);
    class_means(x, labels, n, p, count, K, -ex, mu);
    for (int k = 0; k < K; k++)
        if (count[k])
            for (int j = 0; j < p; j++)
                mg[j] += mu[(size_t)k * p + j] / used;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < p; j++)
            d[j] = ldexp(x[(size_t)i * p + j], -ex) - mu[(size_t)labels[i] * p + j];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
                *gsl_matrix_ptr(SW, a, b) += d[a] * d[b] / n;
    }
    for (int k = 0; k < K; k++) {
        if (!count[k])
            continue;
        for (int j = 0; j < p; j++)
            d[j] = mu[(size_t)k * p + j] - mg[j];
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
                *gsl_matrix_ptr(SB, a, b) += d[a] * d[b] / used;
    }
    /* Sigma_B = U S V^T (U overwrites SB); pinv = V S^+ U^T, so
     * trace(SW pinv) = sum_i (1/s_i) (U^T SW V)_ii over the kept s_i. */
    gsl_linalg_SV_decomp(SB, V, S, work);
    double smax = gsl_vector_get(S, 0);
    if (!(smax > 0))
        goto out; /* all class means equal: NaN */
    double tol = (p > used ? p : used) * DBL_EPSILON * smax, tr = 0;
    for (int i = 0; i < p; i++) {
        double si = gsl_vector_get(S, (size_t)i);
        if (si <= tol)
            continue;
        double q = 0; /* u_i^T SW v_i */
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++)
                q += gsl_matrix_get(SB, (size_t)a, (size_t)i) * gsl_matrix_get(SW, (size_t)a, (size_t)b)
                     * gsl_matrix_get(V, (size_t)b, (size_t)i);
        tr += q / si;
    }
    *nc1 = tr / used;
out:
    free(count), free(mu), free(mg), free(d);
    gsl_matrix_free(SW), gsl_matrix_free(SB), gsl_matrix_free(V);
    gsl_vector_free(S), gsl_vector_free(work);
    return rc;
}

double le_margin_mean_dir(const double *x, const int *labels, int n, int K, int p)
{
    if (n < 1 || K < 1 || p < 1)
        return NAN;
    int *count = malloc((size_t)K * sizeof *count);
    double *mu = malloc((size_t)K * p * sizeof *mu), *u = malloc((size_t)p * sizeof *u);
    double margin = NAN;
    if (!count || !mu || !u)
        goto out;
    int used = count_classes(labels, n, K, count);
    if (used < 2)
        goto out;
    double amax = 0;
    for (size_t i = 0; i < (size_t)n * p; i++)
        if (fabs(x[i]) > amax)
            amax = fabs(x[i]); /* NaN/inf propagate into the margin below */
    int ex = 0;
    if (amax > 0 && isfinite(amax))
        frexp(amax, &ex); /* scale-invariant: work at O(1) */
    class_means(x, labels, n, p, count, K, -ex, mu);
    margin = INFINITY;
    for (int k = 0; k < K; k++)
        for (int l = k + 1; l < K; l++) {
            if (!count[k] || !count[l])
                continue;
            double dist = 0;
            for (int j = 0; j < p; j++) {
                u[j] = mu[(size_t)l * p + j] - mu[(size_t)k * p + j];
                dist += u[j] * u[j];
            }
            dist = sqrt(dist);
            if (!(dist > 0) || !isfinite(dist)) {
                margin = NAN;
                goto out;
            }
            for (int j = 0; j < p; j++)
                u[j] /= dist;
            double maxk = -INFINITY, minl = INFINITY;
            for (int i = 0; i < n; i++) {
                if (labels[i] != k && labels[i] != l)
                    continue;
                double pr = 0;
                for (int j = 0; j < p; j++)
                    pr += ldexp(x[(size_t)i * p + j], -ex) * u[j];
                if (labels[i] == k && pr > maxk)
                    maxk = pr;
                if (labels[i] == l && pr < minl)
                    minl = pr;
            }
            double g = (minl - maxk) / dist;
            if (isnan(g) || g < margin) /* a NaN stays */
                margin = g;
        }
out:
    free(count), free(mu), free(u);
    return margin;
}

int le_measure_samples(const double *x, const int *labels, int n, int K, int p,
                       le_sample_measures *out, lesde_err *e)
{
    out->sep_frac = NAN;
    out->sep_all = NAN;
    out->nc1 = NAN;
    int rc = le_separable_pairs(x, labels, n, K, p, &out->sep_frac, &out->sep_all, e);
    if (rc)
        return rc;
    return le_nc1(x, labels, n, K, p, &out->nc1, e);
}
