/* fit: le_fit, one run's genuine mean logits against the LE-ODE
 * (le-sde.md sections 3 to 6; docs/le-sde.md has the decisions and their
 * numbers).
 *
 * Per model: Ahat, Bhat; alphahat, betahat twice, by a Savitzky-Golay
 * window of sg_window iterations for the curves and of sim_window for the
 * simulations (the reference code's 151 and 21); tail indices of alpha,
 * beta and gamma. Then every simulation (le_sim) from every start
 * (le_variant), its RD_k(t), and the ETF baseline's. */
#include "le/le.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le/estimate.h"
#include "le/imitate.h"
#include "le/ode.h"

le_model le_sim_estimate(le_sim s) { return s == LE_SIM_L_UNDER_L ? LE_MODEL_L : LE_MODEL_I; }
le_model le_sim_ode(le_sim s) { return s == LE_SIM_I_UNDER_I ? LE_MODEL_I : LE_MODEL_L; }

const char *le_sim_name(le_sim s)
{
    static const char *const n[LE_NUM_SIMS] = {"I-est/L-ODE", "L-est/L-ODE", "I-est/I-ODE"};
    return s >= 0 && s < LE_NUM_SIMS ? n[s] : "?";
}

const char *le_variant_name(le_variant v)
{
    static const char *const n[LE_NUM_VARIANTS] = {"plateau", "reference", "t0"};
    return v >= 0 && v < LE_NUM_VARIANTS ? n[v] : "?";
}

void le_fit_free(le_fit_result *r)
{
    if (!r)
        return;
    for (int m = 0; m < LE_NUM_MODELS; m++) {
        free(r->A[m]);
        free(r->B[m]);
        free(r->alpha[m]);
        free(r->beta[m]);
        free(r->alpha_sim[m]);
        free(r->beta_sim[m]);
    }
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        for (int s = 0; s < LE_NUM_SIMS; s++) {
            free(r->sim[v][s]);
            free(r->rd[v][s]);
        }
    for (int s = 0; s < LE_NUM_SIMS; s++)
        free(r->ref_std[s]);
    free(r->S);
    free(r->rd_etf);
    free(r->rd_cmean);
    free(r->etf_dev);
    free(r->norm_spread);
    memset(r, 0, sizeof *r);
}

static void fill_nan(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
}

/* One model's estimates, derivatives and tail indices. */
static int fit_model(le_model m, const double *t, int C, const double *xbar, int K, int p,
                     const le_fit_opts *o, double *G, le_fit_result *r, lesde_err *e)
{
    if (m == LE_MODEL_L && p != K) { /* the L-model is undefined: NaN, not an error */
        fill_nan(r->A[m], C);
        fill_nan(r->B[m], C);
        fill_nan(r->alpha[m], C);
        fill_nan(r->beta[m], C);
        fill_nan(r->alpha_sim[m], C);
        fill_nan(r->beta_sim[m], C);
        for (int q = 0; q < LE_NUM_Q; q++) {
            r->tail[m][q] = r->tail_ref0[m][q] = NAN;
            fill_nan(r->tail_local[m][q], LE_TAIL_LOCAL_N);
        }
        return LESDE_OK;
    }
    int rc = le_estimate(m, xbar, C, K, p, r->A[m], r->B[m], e);
    const double *AB[2] = {r->A[m], r->B[m]};
    double *curve[2] = {r->alpha[m], r->beta[m]}, *sim[2] = {r->alpha_sim[m], r->beta_sim[m]};
    for (int q = 0; q < 2 && !rc; q++) {
        rc = le_savgol_deriv_t(t, AB[q], C, o->sg_order, o->sg_window, 0, curve[q], e);
        if (!rc)
            rc = le_savgol_deriv_t(t, AB[q], C, o->sg_order, o->sim_window, 0, sim[q], e);
    }
    if (rc)
        return rc;
    for (int c = 0; c < C; c++)
        G[c] = r->A[m][c] - r->B[m][c];
    const double *Q[LE_NUM_Q] = {r->A[m], r->B[m], G};
    double T = t[C - 1];
    for (int q = 0; q < LE_NUM_Q; q++) {
        r->tail[m][q] = le_tail_index_diff(t, Q[q], C, T / 10, T);
        r->tail_ref0[m][q] = le_tail_index_ref0(t, Q[q], C, o->tail_frac);
        le_tail_local(t, Q[q], C, LE_TAIL_LOCAL_N, r->tail_local_t, r->tail_local[m][q]);
    }
    return LESDE_OK;
}

/* Every start of simulation s, and its RD. */
static int simulate(le_sim s, const double *t, int C, const double *xbar, int K, int p,
                    const le_ref_records *ref, const le_fit_opts *o, le_fit_result *r, lesde_err *e)
{
    size_t ckp = (size_t)C * K * p;
    le_model est = le_sim_estimate(s), H = le_sim_ode(s);
    if (H == LE_MODEL_L && p != K) {
        for (int v = 0; v < LE_NUM_VARIANTS; v++) {
            fill_nan(r->sim[v][s], ckp);
            fill_nan(r->rd[v][s], (size_t)C * K);
        }
        fill_nan(r->ref_std[s], ckp);
        r->ref_scale[s] = NAN;
        return LESDE_OK;
    }
    const double *a = r->alpha_sim[est], *b = r->beta_sim[est];
    int rc = le_imitate_from(t, C, xbar, K, p, r->plateau_c, a, b, H, r->sim[LE_VAR_PLATEAU][s], e);
    if (!rc)
        rc = le_imitate_from(t, C, xbar, K, p, 0, a, b, H, r->sim[LE_VAR_T0][s], e);
    /* the reference notebooks fit the scale on class 0's logit 1 for the
     * I-model's estimates and on its logit 0 for the L-model's */
    le_ref_opts ro = {.paths = o->ref_paths,
                      .noise_scale = 1,
                      .align = est == LE_MODEL_I && p > 1,
                      .tail_iters = o->ref_tail,
                      .tail_n = ref->n,
                      .tail_t = ref->t,
                      .tail_x = ref->x,
                      .seed = o->seed,
                      .stream = (uint64_t)s};
    if (!rc)
        rc = le_imitate_reference(t, C, xbar, K, p, a, b, H, &ro, r->sim[LE_VAR_REFERENCE][s],
                                  r->ref_std[s], &r->ref_scale[s], e);
    if (rc)
        return rc;
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        le_rd(xbar, r->sim[v][s], C, K, p, r->rd[v][s]);
    return LESDE_OK;
}

static int alloc_result(le_fit_result *r, int C, int K, int p)
{
    size_t ckp = (size_t)C * K * p, ck = (size_t)C * K;
    int ok = 1;
#define ALLOC(x, n) ok &= !!((x) = malloc(sizeof(double) * (n)))
    for (int m = 0; m < LE_NUM_MODELS; m++) {
        ALLOC(r->A[m], C);
        ALLOC(r->B[m], C);
        ALLOC(r->alpha[m], C);
        ALLOC(r->beta[m], C);
        ALLOC(r->alpha_sim[m], C);
        ALLOC(r->beta_sim[m], C);
    }
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        for (int s = 0; s < LE_NUM_SIMS; s++) {
            ALLOC(r->sim[v][s], ckp);
            ALLOC(r->rd[v][s], ck);
        }
    for (int s = 0; s < LE_NUM_SIMS; s++)
        ALLOC(r->ref_std[s], ckp);
    ALLOC(r->S, C);
    ALLOC(r->rd_etf, ck);
    ALLOC(r->rd_cmean, ck);
    ALLOC(r->etf_dev, C);
    ALLOC(r->norm_spread, C);
#undef ALLOC
    return ok ? 0 : -1;
}

int le_fit(const double *t, int C, const double *xbar, int K, int p, const le_ref_records *ref,
           const le_fit_opts *opts, le_fit_result *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    if (C < 2 || K < 2 || p < 1)
        return err_set(e, LESDE_USAGE, "LE fit: needs C >= 2, K >= 2, p >= 1 (C=%d, K=%d, p=%d)", C,
                       K, p);
    for (int c = 0; c < C; c++)
        if (!isfinite(t[c]) || t[c] < 0 || (c > 0 && !(t[c] > t[c - 1])))
            return err_set(e, LESDE_USAGE,
                           "LE fit: checkpoint iterations must be finite, >= 0 "
                           "and increasing (t[%d] = %g)",
                           c, t[c]);
    le_fit_opts o;
    if (opts)
        o = *opts;
    else
        le_fit_opts_default(&o);
    if (!(o.ref_paths >= 1))
        o.ref_paths = 1;
    static const le_ref_records none = {0};
    if (!ref)
        ref = &none;

    out->C = C;
    out->K = K;
    out->p = p;
    out->ref_n = ref->n;
    double *G = malloc(sizeof(double) * C), *etf = malloc(sizeof(double) * C * K * (K > p ? K : p));
    if (alloc_result(out, C, K, p) || !G || !etf) {
        free(G);
        free(etf);
        le_fit_free(out);
        return err_set(e, LESDE_FAIL, "LE fit: out of memory (C=%d, K=%d, p=%d)", C, K, p);
    }
    for (int i = 0; i < LE_TAIL_LOCAL_N; i++) /* set by the models that fit */
        out->tail_local_t[i] = NAN;
    int rc = LESDE_OK;
    for (int m = 0; m < LE_NUM_MODELS && !rc; m++)
        rc = fit_model((le_model)m, t, C, xbar, K, p, &o, G, out, e);
    out->plateau_c = le_plateau_index(xbar, C, K, p, o.plateau_factor);
    out->plateau_t = out->plateau_c >= 0 ? t[out->plateau_c] : NAN;
    for (int s = 0; s < LE_NUM_SIMS && !rc; s++)
        rc = simulate((le_sim)s, t, C, xbar, K, p, ref, &o, out, e);
    if (!rc && p == K) {
        le_etf_baseline(xbar, C, K, out->S, etf);
        le_rd(xbar, etf, C, K, p, out->rd_etf);
    } else if (!rc) {
        fill_nan(out->S, C);
        fill_nan(out->rd_etf, (size_t)C * K);
    }
    if (!rc) { /* the class-average baseline */
        for (int c = 0; c < C; c++)
            le_centre(xbar + (size_t)c * K * p, K, p, 1, 0, etf + (size_t)c * K * p);
        le_rd(xbar, etf, C, K, p, out->rd_cmean);
    }
    free(G);
    free(etf);
    if (rc) {
        le_fit_free(out);
        return err_prefix(e, "LE fit");
    }
    for (int c = 0; c < C; c++) {
        out->etf_dev[c] = le_etf_dev(xbar + (size_t)c * K * p, K, p);
        out->norm_spread[c] = le_norm_spread(xbar + (size_t)c * K * p, K, p);
    }
    return LESDE_OK;
}
