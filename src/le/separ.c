/* Exact linear separability (le-sde.md section 6) by linear programming.
 *
 * The feasibility problem "w.x + b >= 1 on P, <= -1 on Q" is solved in its
 * bounded, always-feasible form
 *
 *     max delta  s.t.  w.x + b >= delta (x in P),  w.y + b <= -delta (y in Q),
 *                      -1 <= w_j <= 1,  0 <= delta <= 1,  b free,
 *
 * whose optimum is > 0 exactly when the sets are separable (a separator can
 * be rescaled to margin 1). Numerics:
 *  - each coordinate is centred at its mid-range, scaled by a power of two
 *    (exact) into [-1, 1] and rounded to multiples of 2^-60 (so the
 *    rationals of glp_exact stay small: data with 1 and 1e-300 in one
 *    column would otherwise make it crawl); constant coordinates are
 *    dropped. So 1e12-sized and 1e-12-sized features give the same LP, and
 *    the answer is exact for the data up to ~1e-16 of each coordinate's
 *    range (equal points stay equal, so duplicates are never separable);
 *  - the floating-point simplex (dual simplex: 5x faster than the primal
 *    on these LPs of a few columns and hundreds of rows; no presolve, so
 *    its final basis can warm start the exact solver) proposes w, b; a
 *    "separable" answer is accepted only if that w, b separates the scaled
 *    points with a gap above a rounding bound (a certificate);
 *  - otherwise a "not separable" answer is proved exactly on the rows at
 *    their bound in the float optimum alone (a handful): dropping rows can
 *    only raise the maximum, so an exact optimum of 0 there is one of the
 *    whole LP (tight_rows_zero);
 *  - otherwise glp_exact (rational arithmetic on the same doubles) decides
 *    whether the optimum is > 0. So duplicates across the classes are
 *    never separable and a relative margin of 1e-6 (or 1e-12) is found. */
#include "le/sample.h"

#include <float.h>
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QBITS 60 /* scaled data are rounded to multiples of 2^-QBITS */

/* Scaled copy of P and Q: z [nP + nQ][q] with q <= p informative columns. */
static int scale_points(const double *P, int nP, const double *Q, int nQ,
                        int p, double *z, int *q_out)
{
    int n = nP + nQ, q = 0;
    for (int j = 0; j < p; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            double v = i < nP ? P[(size_t)i * p + j] : Q[(size_t)(i - nP) * p + j];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (!(hi > lo))
            continue; /* constant: says nothing about separation */
        /* halves first, so that +-1e308 data cannot overflow */
        double c = ldexp(lo, -1) + ldexp(hi, -1);
        double r = ldexp(hi, -1) - ldexp(lo, -1);
        int ex;
        frexp(r, &ex); /* r < 2^ex */
        for (int i = 0; i < n; i++) {
            double v = i < nP ? P[(size_t)i * p + j] : Q[(size_t)(i - nP) * p + j];
            double zi = ldexp(ldexp(v, -1) - ldexp(c, -1), 1 - ex);
            /* on the grid 2^-QBITS: bounds the size of glp_exact's rationals */
            z[(size_t)i * p + q] = ldexp(nearbyint(ldexp(zi, QBITS)), -QBITS);
        }
        q++;
    }
    *q_out = q;
    return 0;
}

/* Does (w, b) separate the scaled points with a gap the rounding of the
 * dot products (|w_j| <= 1, |z_j| <= 1) cannot explain? */
static int certified(const double *z, int nP, int nQ, int ld, int q,
                     const double *w, double b)
{
    double minP = INFINITY, maxQ = -INFINITY, wsum = fabs(b);
    for (int j = 0; j < q; j++)
        wsum += fabs(w[j]);
    for (int i = 0; i < nP + nQ; i++) {
        double s = b;
        for (int j = 0; j < q; j++)
            s += w[j] * z[(size_t)i * ld + j];
        if (i < nP) {
            if (s < minP) minP = s;
        } else if (s > maxQ) {
            maxQ = s;
        }
    }
    double bound = 4.0 * (q + 2) * DBL_EPSILON * (wsum + 1.0);
    return minP - maxQ > bound && minP > -INFINITY;
}

/* 1 when the rows at their bound in lp's float optimum (n rows, q + 2
 * columns) hold its maximum at 0 on their own, decided in exact
 * arithmetic on an LP of those rows, the columns and bounds kept; else 0
 * (then the whole LP decides). ind, val: room for q + 3 entries; parm:
 * the float solve's (glp_exact reads its message level and limits). */
static int tight_rows_zero(glp_prob *lp, int n, int q, int *ind, double *val, const glp_smcp *parm)
{
    glp_prob *t = glp_create_prob();
    glp_set_obj_dir(t, GLP_MAX);
    glp_add_cols(t, q + 2);
    for (int j = 1; j <= q + 2; j++) {
        glp_set_col_bnds(t, j, glp_get_col_type(lp, j), glp_get_col_lb(lp, j),
                         glp_get_col_ub(lp, j));
        glp_set_obj_coef(t, j, glp_get_obj_coef(lp, j));
    }
    for (int i = 1; i <= n; i++) {
        if (glp_get_row_stat(lp, i) == GLP_BS)
            continue;
        int r = glp_add_rows(t, 1), len = glp_get_mat_row(lp, i, ind, val);
        glp_set_mat_row(t, r, len, ind, val);
        glp_set_row_bnds(t, r, glp_get_row_type(lp, i), glp_get_row_lb(lp, i),
                         glp_get_row_ub(lp, i));
        glp_set_row_stat(t, r, glp_get_row_stat(lp, i));
    }
    int zero = 0;
    if (glp_get_num_rows(t) > 0) {
        /* Warm start: lp's basic columns are as many as the rows kept (each
         * basic row of lp, dropped here, held one basis slot), so with the
         * kept rows at their bounds they are a basis of t, lp's optimal
         * one: the exact solver then mostly verifies it (with K = 10 the
         * standard basis took ~0.1 s of rational pivots per LP). The
         * exact optimum, and so the answer, does not depend on the start. */
        for (int j = 1; j <= q + 2; j++)
            glp_set_col_stat(t, j, glp_get_col_stat(lp, j));
        int rc = glp_exact(t, parm);
        if (rc != 0) { /* not a valid basis after all: the standard one */
            glp_std_basis(t);
            rc = glp_exact(t, parm);
        }
        zero = rc == 0 && glp_get_status(t) == GLP_OPT && glp_get_obj_val(t) == 0.0;
    }
    glp_delete_prob(t);
    return zero;
}

int le_separable(const double *P, int nP, const double *Q, int nQ, int p,
                 lesde_err *e)
{
    if (nP < 0 || nQ < 0 || p < 1)
        return err_set(e, LESDE_USAGE, "le_separable: bad sizes (nP %d, nQ %d, p %d)",
                       nP, nQ, p), -1;
    for (size_t i = 0; i < (size_t)nP * p; i++)
        if (!isfinite(P[i]))
            return err_set(e, LESDE_USAGE, "le_separable: non-finite feature in the first set"), -1;
    for (size_t i = 0; i < (size_t)nQ * p; i++)
        if (!isfinite(Q[i]))
            return err_set(e, LESDE_USAGE, "le_separable: non-finite feature in the second set"), -1;
    if (nP == 0 || nQ == 0)
        return 1;

    int n = nP + nQ, q;
    double *z = malloc((size_t)n * p * sizeof *z);
    int *ind = malloc((size_t)(p + 3) * sizeof *ind);
    double *val = malloc((size_t)(p + 3) * sizeof *val);
    double *w = malloc((size_t)(p + 1) * sizeof *w);
    if (!z || !ind || !val || !w) {
        free(z), free(ind), free(val), free(w);
        return err_set(e, LESDE_FAIL, "le_separable: out of memory"), -1;
    }
    scale_points(P, nP, Q, nQ, p, z, &q);
    int result = -1;
    if (q == 0) { /* every point is the same point, in both sets */
        result = 0;
        goto done;
    }

    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    glp_add_cols(lp, q + 2);
    for (int j = 1; j <= q; j++)
        glp_set_col_bnds(lp, j, GLP_DB, -1.0, 1.0);
    glp_set_col_bnds(lp, q + 1, GLP_FR, 0.0, 0.0);  /* b */
    glp_set_col_bnds(lp, q + 2, GLP_DB, 0.0, 1.0);  /* delta */
    glp_set_obj_coef(lp, q + 2, 1.0);
    glp_add_rows(lp, n);
    for (int i = 0; i < n; i++) {
        int len = 0;
        for (int j = 0; j < q; j++) {
            double v = z[(size_t)i * p + j];
            if (v != 0.0) { /* GLPK wants no explicit zeros */
                ind[len + 1] = j + 1;
                val[len + 1] = v;
                len++;
            }
        }
        ind[len + 1] = q + 1, val[len + 1] = 1.0, len++;
        ind[len + 1] = q + 2, val[len + 1] = i < nP ? -1.0 : 1.0, len++;
        glp_set_mat_row(lp, i + 1, len, ind, val);
        if (i < nP)
            glp_set_row_bnds(lp, i + 1, GLP_LO, 0.0, 0.0);
        else
            glp_set_row_bnds(lp, i + 1, GLP_UP, 0.0, 0.0);
    }

    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF; /* per call: no global glp_term_out */
    parm.presolve = GLP_OFF;    /* keep a basis for glp_exact */
    parm.meth = GLP_DUALP;      /* dual simplex, the primal if it fails */
    int rc = glp_simplex(lp, &parm);
    if (rc == 0 && glp_get_status(lp) == GLP_OPT) {
        for (int j = 0; j < q; j++)
            w[j] = glp_get_col_prim(lp, j + 1);
        if (certified(z, nP, nQ, p, q, w, glp_get_col_prim(lp, q + 1))) {
            result = 1;
            goto free_lp;
        }
        if (tight_rows_zero(lp, n, q, ind, val, &parm)) {
            result = 0;
            goto free_lp;
        }
    } else {
        glp_std_basis(lp);
    }
    /* Not certified by the float solution: decide in exact arithmetic. */
    rc = glp_exact(lp, &parm);
    if (rc != 0) { /* a bad warm-start basis: retry from the standard one */
        glp_std_basis(lp);
        rc = glp_exact(lp, &parm);
    }
    if (rc != 0 || glp_get_status(lp) != GLP_OPT) {
        err_set(e, LESDE_FAIL, "le_separable: GLPK failed (glp_exact code %d, status %d)",
                rc, glp_get_status(lp));
        result = -1;
    } else {
        result = glp_get_obj_val(lp) > 0.0;
    }
free_lp:
    glp_delete_prob(lp);
done:
    free(z), free(ind), free(val), free(w);
    return result;
}

int le_separable_pairs(const double *x, const int *labels, int n, int K, int p, double *frac,
                       double *all, lesde_err *e)
{
    if (n < 0 || K < 1 || p < 1)
        return err_set(e, LESDE_USAGE, "separability: bad sizes (n %d, K %d, p %d)", n, K, p);
    int *count = calloc((size_t)K, sizeof *count);
    int *start = malloc((size_t)(K + 1) * sizeof *start);
    double *g = malloc(((size_t)n + 1) * p * sizeof *g);
    if (!count || !start || !g) {
        free(count), free(start), free(g);
        return err_set(e, LESDE_FAIL, "separability: out of memory");
    }
    int rc = LESDE_OK;
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= K) {
            rc = err_set(e, LESDE_USAGE, "separability: label %d of sample %d is outside 0..%d",
                         labels[i], i, K - 1);
            goto out;
        }
        count[labels[i]]++;
    }
    /* group the samples by class: g holds class k at rows start[k].. */
    start[0] = 0;
    for (int k = 0; k < K; k++)
        start[k + 1] = start[k] + count[k];
    memset(count, 0, (size_t)K * sizeof *count);
    for (int i = 0; i < n; i++) {
        int k = labels[i];
        memcpy(g + (size_t)(start[k] + count[k]++) * p, x + (size_t)i * p,
               (size_t)p * sizeof *g);
    }
    int pairs = 0, sep = 0;
    for (int k = 0; k < K; k++)
        for (int l = k + 1; l < K; l++) {
            if (!count[k] || !count[l])
                continue;
            int s = le_separable(g + (size_t)start[k] * p, count[k],
                                 g + (size_t)start[l] * p, count[l], p, e);
            if (s < 0) {
                rc = e ? e->code : LESDE_FAIL;
                goto out;
            }
            pairs++;
            sep += s;
        }
    /* no pair to test says nothing, not "all separable" */
    *frac = pairs ? (double)sep / pairs : NAN;
    *all = pairs ? (double)(sep == pairs) : NAN;
out:
    free(count), free(start), free(g);
    return rc;
}
