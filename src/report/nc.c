/* collapse.csv and a Markdown table per study: neural collapse at the end
 * of each run against the calibrated logits (le_calibrated_length), from
 * the validation set's class means: clean labels, samples SGD never
 * trained on (docs/le-sde.md section 6).
 * Per grid point of every train study, across the done seeds, at each
 * seed's last validation checkpoint:
 *   etf_val         etf_dev of the class means: median and IQR;
 *   norm_val        the class means' centred length, mean_k |Xbar^k - m_k 1|
 *                   (m_k the mean of Xbar^k's entries: softmax ignores it);
 *   norm_calibrated the same length for the logits that minimise the
 *                   cross-entropy under the study's label pollution (below);
 *   farthest_pair   the class pair farthest from the ETF's cosine -1/(K-1)
 *                   on the most seeds, on how many, and its median cosine;
 *   probe_acc       the probe's accuracy by training label at its last
 *                   checkpoint: below p* the minimiser's is 1 - p (true
 *                   classes predicted, moved labels not memorised);
 *   probe_norm_*    at the last snapshot (the last checkpoint), from the
 *                   probe's logits by true class: the centred length of
 *                   their class means (logit) and of the log of their
 *                   class-mean softmax probabilities (logprob), and the
 *                   mean probability of the true class (ptrue). What the
 *                   cross-entropy calibrates is the mean probability; the
 *                   mean logit lies above its log where the samples'
 *                   logits spread and the softmax bends (small p).
 * Whether the means end at the calibrated length, and whether one pair is
 * the farthest on every seed, tell a finite minimiser's symmetry from the
 * data's own asymmetry (README, "neural collapse"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le/ode.h"
#include "report/internal.h"

/* Cosines of the class pairs (k < l, in order) of x [K][K] into cs. */
static void pair_cosines(const double *x, int K, double *cs)
{
    int i = 0;
    for (int k = 0; k < K; k++) {
        const double *a = x + (size_t)k * K;
        for (int l = k + 1; l < K; l++) {
            const double *b = x + (size_t)l * K;
            double aa = 0, bb = 0, ab = 0;
            for (int j = 0; j < K; j++) {
                aa += a[j] * a[j];
                bb += b[j] * b[j];
                ab += a[j] * b[j];
            }
            cs[i++] = ab / sqrt(aa * bb);
        }
    }
}

/* The last of a task's n checkpoints that was recorded (t >= 0; padding
 * is -1), or -1. */
static long last_recorded(const double *tv, long n)
{
    long last = -1;
    for (long k = 0; k < n; k++)
        if (tv[k] >= 0)
            last = k;
    return last;
}

/* The probe's n samples' logits z [n][Km] with true classes y (-1:
 * padding), classes 0..K-1: the centred lengths of the class means of the
 * logits (out[0]) and of the log of the class-mean softmax probabilities
 * (out[1]), and the mean over classes of the true class's mean probability
 * (out[2]). ml, mp: scratch [K][K]. NaN when a class has no sample. */
static void probe_means(const double *z, const double *y, long n, int K, long Km, double *ml,
                        double *mp, double out[3])
{
    memset(ml, 0, sizeof(double) * (size_t)K * K);
    memset(mp, 0, sizeof(double) * (size_t)K * K);
    long cnt[DATA_MAX_K] = {0};
    for (long i = 0; i < n; i++) {
        if (!(y[i] >= 0 && y[i] < K))
            continue;
        int k = (int)y[i];
        const double *zi = z + i * Km;
        double mx = zi[0], sum = 0, ez[DATA_MAX_K];
        for (int j = 1; j < K; j++)
            mx = fmax(mx, zi[j]);
        for (int j = 0; j < K; j++)
            sum += ez[j] = exp(zi[j] - mx);
        for (int j = 0; j < K; j++) {
            ml[k * K + j] += zi[j];
            mp[k * K + j] += ez[j] / sum;
        }
        cnt[k]++;
    }
    double pt = 0;
    for (int k = 0; k < K; k++) {
        if (cnt[k] == 0) {
            out[0] = out[1] = out[2] = NAN;
            return;
        }
        for (int j = 0; j < K; j++) {
            ml[k * K + j] /= (double)cnt[k];
            mp[k * K + j] = log(mp[k * K + j] / (double)cnt[k]);
        }
        pt += exp(mp[k * K + k]) / K;
    }
    out[0] = le_centred_length(ml, K, K);
    out[1] = le_centred_length(mp, K, K);
    out[2] = pt;
}

/* The rows of one study. */
static int study_rows(report_ctx *c, report_table *csv, const report_study *rs)
{
    store_array xv = {0}, t = {0}, pa = {0}, tp = {0}, sl = {0}, sc = {0}, pl = {0};
    store_array *const arrays[] = {&xv, &t, &pa, &tp, &sl, &sc, &pl};
    const int na = (int)(sizeof arrays / sizeof arrays[0]);
    if (report_read(c, rs, "xbar_val", &xv) || report_read_val_t(c, rs, &t) ||
        report_read(c, rs, "probe_acc", &pa) || report_read(c, rs, "t", &tp) ||
        report_read(c, rs, "snap_logits", &sl) || report_read(c, rs, "snap_checkpoint", &sc) ||
        report_read(c, rs, "probe_clean_label", &pl)) {
        for (int i = 0; i < na; i++)
            store_array_free(arrays[i]);
        return c->e->code;
    }
    long npt = report_task_size(rs, &tp), npa = report_task_size(rs, &pa);
    long nsn = report_task_size(rs, &sc), npr = report_task_size(rs, &pl);
    long Km = xv.dims[xv.ndim - 1], C = xv.dims[xv.ndim - 3], nt = report_task_size(rs, &t);
    int S = rs->S > 0 ? rs->S : 1, np = (int)(Km * (Km - 1) / 2);
    /* snap_logits [snapshot][probe][Km] a task, as the other two say */
    int snaps = report_task_size(rs, &sl) == nsn * npr * Km;
    double *etf = malloc(sizeof(double) * S), *len = malloc(sizeof(double) * S);
    double *acc = malloc(sizeof(double) * S), *pm = malloc(sizeof(double) * 3 * S);
    double *mm = malloc(sizeof(double) * (size_t)(2 * Km * Km > 0 ? 2 * Km * Km : 1));
    double *cs = malloc(sizeof(double) * (size_t)S * (np > 0 ? np : 1));
    double *x = malloc(sizeof(double) * (size_t)(Km * Km > 0 ? Km * Km : 1));
    int *far = calloc((size_t)(np > 0 ? np : 1), sizeof(int));
    static const char *const mh[] = {"point",
                                     "seeds",
                                     "etf_dev",
                                     "centred length",
                                     "calibrated length",
                                     "farthest pair",
                                     "probe accuracy by training label",
                                     "probe: length of mean logit / of log mean probability"};
    report_ntable *mt = NULL;
    int rc = etf && len && acc && pm && mm && cs && x && far
                 ? LESDE_OK
                 : err_set(c->e, LESDE_FAIL, "out of memory");
    if (!rc && !(mt = report_new_headed(c, mh, 8, "Study %s: neural collapse at the end of the run",
                                        rs->st->name)))
        rc = c->e->code;
    if (mt)
        snprintf(mt->note, sizeof mt->note,
                 "The validation set's class means (clean labels) at each seed's last "
                 "validation checkpoint: etf_dev = max over class pairs of |cos + 1/(K-1)|, "
                 "and the centred length mean_k |Xbar^k - m_k 1| (softmax ignores m_k), "
                 "median [IQR] across seeds; the calibrated length is that of the logits "
                 "minimising the cross-entropy under the pollution, |ln((1-p)(K-1)/p)| "
                 "sqrt((K-1)/K), the same for every class (so a simplex ETF); clean labels "
                 "have none. Farthest pair: the pair farthest from the ETF's cosine on the "
                 "most seeds, k/n, and its median cosine. The probe's accuracy by training "
                 "label at the last checkpoint, median [IQR]: below p* the minimiser's is 1 - p "
                 "(it predicts the true class, the moved labels are not memorised). The "
                 "probe's logits at the last checkpoint by true class, medians: the centred "
                 "length of their class means, and of the log of their class-mean softmax "
                 "probabilities, which is what the cross-entropy calibrates (collapse.csv also "
                 "has the true class's mean probability, 1 - p at the minimiser). Every column "
                 "in collapse.csv.");
    for (long p = 0; p < rs->P && !rc; p++) {
        int K = rs->pt[p].K, m = 0, npk = K * (K - 1) / 2;
        if (K < 2 || K > Km || rs->pt[p].n_done < 1)
            continue;
        memset(far, 0, sizeof(int) * (size_t)np);
        for (int s = 0; s < rs->S; s++) {
            if (!report_task_done(rs, p, s))
                continue;
            long last = last_recorded(t.data + (p * rs->S + s) * nt, nt < C ? nt : C);
            if (last < 0)
                continue;
            const double *xb = xv.data + ((p * rs->S + s) * C + last) * Km * Km;
            for (int a = 0; a < K; a++)
                for (int b = 0; b < K; b++)
                    x[a * K + b] = xb[a * Km + b];
            /* the probe's accuracy at its own last checkpoint */
            long lp = last_recorded(tp.data + (p * rs->S + s) * npt, npt < npa ? npt : npa);
            acc[m] = lp >= 0 ? pa.data[(p * rs->S + s) * npa + lp] : NAN;
            /* the probe's logits by true class, at the last snapshot if it
             * is that last checkpoint */
            const double *scp = sc.data + (p * rs->S + s) * nsn;
            long j = nsn - 1;
            while (j >= 0 && scp[j] < 0)
                j--;
            double pmm[3] = {NAN, NAN, NAN};
            if (j >= 0 && lp >= 0 && scp[j] == (double)lp && snaps)
                probe_means(sl.data + ((p * rs->S + s) * nsn + j) * npr * Km,
                            pl.data + (p * rs->S + s) * npr, npr, K, Km, mm, mm + Km * Km, pmm);
            for (int w = 0; w < 3; w++)
                pm[(size_t)w * S + m] = pmm[w];
            etf[m] = le_etf_dev(x, K, K);
            len[m] = le_centred_length(x, K, K);
            pair_cosines(x, K, cs + (size_t)m * npk);
            int worst = -1;
            double wd = -1;
            for (int i = 0; i < npk; i++) {
                double d = fabs(cs[(size_t)m * npk + i] + 1.0 / (K - 1));
                if (d > wd) {
                    wd = d;
                    worst = i;
                }
            }
            if (worst >= 0 && isfinite(wd))
                far[worst]++;
            m++;
        }
        if (m == 0)
            continue;
        int fp = 0;
        for (int i = 1; i < npk; i++)
            if (far[i] > far[fp])
                fp = i;
        int fa = 0, fb = 1;
        for (int i = 0, a = 0; a < K; a++)
            for (int b = a + 1; b < K; b++, i++)
                if (i == fp) {
                    fa = a;
                    fb = b;
                }
        double qe[3], ql[3], qc[3], cal = le_calibrated_length(rs->pt[p].p_err, K);
        double *v = malloc(sizeof(double) * m);
        if (!v) {
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
            break;
        }
        for (int i = 0; i < m; i++)
            v[i] = cs[(size_t)i * npk + fp];
        report_quantiles(v, m, qc);
        free(v);
        report_quantiles(etf, m, qe); /* reorders etf and len: read last */
        report_quantiles(len, m, ql);
        double qa[3], qp[3][3];
        report_quantiles(acc, m, qa);
        for (int w = 0; w < 3; w++)
            report_quantiles(pm + (size_t)w * S, m, qp[w]);
        int r = report_table_row(csv), k = 0;
        if (r < 0) {
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
            break;
        }
        int bad = report_table_set(csv, r, k++, "%s", rs->st->name);
        bad |= report_table_set(csv, r, k++, "%s", rs->label[p]);
        bad |= report_table_set(csv, r, k++, "%d", K);
        bad |= report_table_num(csv, r, k++, rs->pt[p].p_err);
        bad |= report_table_set(csv, r, k++, "%d", m);
        for (int i = 0; i < 3; i++)
            bad |= report_table_num(csv, r, k++, qe[i]);
        for (int i = 0; i < 3; i++)
            bad |= report_table_num(csv, r, k++, ql[i]);
        bad |= report_table_num(csv, r, k++, cal);
        bad |= report_table_set(csv, r, k++, "%d-%d", fa, fb);
        bad |= report_table_set(csv, r, k++, "%d", far[fp]);
        bad |= report_table_num(csv, r, k++, qc[0]);
        for (int i = 0; i < 3; i++)
            bad |= report_table_num(csv, r, k++, qa[i]);
        for (int w = 0; w < 3; w++)
            for (int i = 0; i < 3; i++)
                bad |= report_table_num(csv, r, k++, qp[w][i]);
        int mr = report_table_row(&mt->t);
        bad |= mr < 0;
        if (mr >= 0) {
            bad |= report_table_set(&mt->t, mr, 0, "%s", rs->label[p][0] ? rs->label[p] : "-");
            bad |= report_table_set(&mt->t, mr, 1, "%d", m);
            bad |= report_table_q(&mt->t, mr, 2, qe);
            bad |= report_table_q(&mt->t, mr, 3, ql);
            bad |= isfinite(cal) ? report_table_set(&mt->t, mr, 4, "%.3g", cal)
                                 : report_table_set(&mt->t, mr, 4, "-");
            bad |= report_table_set(&mt->t, mr, 5, "%d-%d on %d/%d, cos %.2f", fa, fb, far[fp], m,
                                    qc[0]);
            bad |= report_table_q(&mt->t, mr, 6, qa);
            bad |= isfinite(qp[0][0])
                       ? report_table_set(&mt->t, mr, 7, "%.3g / %.3g", qp[0][0], qp[1][0])
                       : report_table_set(&mt->t, mr, 7, "-");
        }
        if (bad)
            rc = err_set(c->e, LESDE_FAIL, "out of memory");
    }
    free(etf);
    free(acc);
    free(pm);
    free(mm);
    free(len);
    free(cs);
    free(x);
    free(far);
    for (int i = 0; i < na; i++)
        store_array_free(arrays[i]);
    return rc;
}

/* A train study with done tasks and validation means. */
static int nc_study(report_ctx *c, const report_study *rs)
{
    return rs->st && rs->st->kind == SPEC_TRAIN && rs->n_done > 0 &&
           store_has(c->o->store, rs->st->name, "xbar_val");
}

int report_nc_table(report_ctx *c)
{
    static const char *const h[] = {"study",
                                    "point",
                                    "K",
                                    "p_err",
                                    "n_done",
                                    "etf_val_median",
                                    "etf_val_q25",
                                    "etf_val_q75",
                                    "norm_val_median",
                                    "norm_val_q25",
                                    "norm_val_q75",
                                    "norm_calibrated",
                                    "farthest_pair",
                                    "farthest_pair_seeds",
                                    "farthest_pair_cos_median",
                                    "probe_acc_median",
                                    "probe_acc_q25",
                                    "probe_acc_q75",
                                    "probe_norm_logit_median",
                                    "probe_norm_logit_q25",
                                    "probe_norm_logit_q75",
                                    "probe_norm_logprob_median",
                                    "probe_norm_logprob_q25",
                                    "probe_norm_logprob_q75",
                                    "probe_ptrue_median",
                                    "probe_ptrue_q25",
                                    "probe_ptrue_q75"};
    return report_study_csv(c, "collapse.csv", h, (int)(sizeof h / sizeof h[0]), nc_study,
                            study_rows);
}
