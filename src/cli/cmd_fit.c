/* lesde fit: the LE fit of mean logits from a CSV file or a lesde store. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "le/le.h"
#include "le/sample.h"
#include "spec/spec.h"
#include "store/store.h"

static void help(void)
{
    printf("Usage: lesde fit INPUT [OPTIONS]\n\n"
           "Fits the LE dynamics (docs/le-sde.md sections 3-5) to genuine mean logits:\n"
           "Ahat, Bhat, alphahat, betahat under the I- and L-model, tail indices of alpha,\n"
           "beta and gamma = alpha - beta (by differences, and the slides' estimator), the\n"
           "end of the plateau, the LE-ODE imitations (I-model estimates under the L- and\n"
           "I-model ODE, L-model estimates under the L-model ODE) from three starts\n"
           "(plateau: Xbar(t0); reference: the slides' rescaled noisy start; t0: Xbar(0)),\n"
           "their RD_k(t) and the RD of the ETF baseline S(t) dhat_k.\n\n"
           "INPUT is either\n"
           "  a CSV file with header t,class,x0,...,x{p-1} and one row per checkpoint and\n"
           "  class (e.g. from a PyTorch training log), or\n"
           "  a lesde HDF5 store (lesde train / sweep): the probe means of one task;\n"
           "  with its records of the last 1,000 iterations (ref_every), the\n"
           "  reference method's scalar is fitted on them, as the run's own fit was.\n\n"
           "Options:\n"
           "  --out FILE.h5         write the fit as HDF5\n"
           "  --csv FILE.csv        write a CSV summary (one row per checkpoint; the tail\n"
           "                        indices in '#' comment lines at the top)\n"
           "  --study NAME          train study of a store (default: its first train study\n"
           "                        by name)\n"
           "  --task N              task index within the study (default 0)\n"
           "  --sg-order N          Savitzky-Golay order (default 2)\n"
           "  --sg-window ITERS     SG window of the alphahat, betahat curves (default 151)\n"
           "  --sim-window ITERS    SG window of the alphahat, betahat that drive the\n"
           "                        simulations (default 21)\n"
           "  --plateau-factor F    the plateau ends where the class-centred means reach F\n"
           "                        times their initial norm (default 10)\n"
           "  --ref-paths N         noisy starts of the reference method (default 200)\n"
           "  --tail-frac F         tail window of the slides' estimator (default 0.1)\n"
           "                        (for a store task, these six default to its study's\n"
           "                        settings, as its sweep used them: the same fit)\n"
           "  --ref-records CSV     with a CSV INPUT: its means at iterations of the last\n"
           "                        1,000 (two or more; INPUT's format), on which the\n"
           "                        reference method's scalar is fitted, as the reference\n"
           "                        code fits it on every one (a store's ref_every)\n"
           "  --interpolate         accept unevenly spaced t (interpolated for the\n"
           "                        derivative); without it uneven spacing is an error\n"
           "  --paths N             also simulate N noisy LE-SDE paths per model from\n"
           "                        Xbar(0) (noise on the start and Brownian noise of scale\n"
           "                        noise-scale |Xbar^k(0)| / sqrt(K)); mean and std go to\n"
           "                        --out (the L-model's NaN when p != K, as its fit)\n"
           "  --noise-scale X       noise scale of the paths (default 0.05)\n"
           "  --seed S              seed of the paths and of the reference method (default:\n"
           "                        a store task's own seed, as its sweep used; else 0)\n"
           "  --quiet               print nothing but errors (with --out or --csv)\n"
           "  -h, --help            this help\n\n%s",
           cli_exit_codes);
}

/* The fit settings of task `task` of a store's study, as its sweep used
 * them: its study's keys (plateau_factor, sg_window, ...) and its seed (the
 * reference method's noise). 0 and *fo filled, or -1 when it cannot tell. */
static int task_fit_opts(const char *path, const char *study, long task, le_fit_opts *fo)
{
    spec s;
    lesde_err e;
    int rc = -1;
    if (store_load_spec(path, &s, &e))
        return -1;
    for (int i = 0; i < s.n_studies && rc; i++) {
        spec_task t;
        train_config c;
        if (!strcmp(s.studies[i].name, study) && task < s.studies[i].n_tasks &&
            !spec_task_get(&s, s.studies[i].first_task + task, &t) &&
            !spec_task_train(&s, &t, &c)) {
            *fo = c.fit_opts;
            fo->seed = t.seed;
            rc = 0;
        }
    }
    spec_free(&s);
    return rc;
}

/* The study of a store to fit: `want`, or its first train study (by name).
 * Anything else is bad input: the message lists the store's studies. */
static int pick_study(const char *path, const char *want, char *out, size_t n, lesde_err *e)
{
    spec s;
    if (store_load_spec(path, &s, e))
        return e->code;
    char names[600] = "";
    const spec_study *hit = NULL;
    for (int i = 0; i < s.n_studies; i++) {
        const spec_study *st = &s.studies[i];
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s (%s)", i ? ", " : "", st->name,
                 st->kind == SPEC_TRAIN ? "train" : "sde");
        if (!hit && (want ? !strcmp(st->name, want) : st->kind == SPEC_TRAIN))
            hit = st;
    }
    int rc = LESDE_OK;
    if (!hit && want)
        rc = err_set(e, LESDE_USAGE, "%s: no study '%s'; the store has %s", path, want, names);
    else if (!hit)
        rc = err_set(e, LESDE_USAGE, "%s: no train study to fit; the store has %s", path, names);
    else if (hit->kind != SPEC_TRAIN)
        rc = err_set(e, LESDE_USAGE,
                     "%s: study '%s' is an sde study, lesde fit needs a train "
                     "study; the store has %s",
                     path, hit->name, names);
    else
        snprintf(out, n, "%s", hit->name);
    spec_free(&s);
    return rc;
}

/* Task `task`'s part of a per-task series of a train study: the iterations
 * tname [n] (padded with -1 past n) and the K x K means xname [n][K][K]
 * (K 0: as many classes as its first row has finite values), malloc'ed
 * into *t and *xbar. */
static int load_series(const char *path, const char *study, const char *tname, const char *xname,
                       long task, double **t, int *n, double **xbar, int *K, lesde_err *e)
{
    store_array at, ax;
    if (store_read_array(path, study, tname, &at, e))
        return e->code;
    if (store_read_array(path, study, xname, &ax, e)) {
        store_array_free(&at);
        return e->code;
    }
    long Cmax = at.dims[at.ndim - 1], Kmax = ax.dims[ax.ndim - 1];
    long ntask = at.size / Cmax;
    int rc = LESDE_OK;
    if (task < 0 || task >= ntask) {
        rc = err_set(e, LESDE_USAGE, "%s: study %s has tasks 0..%ld, not %ld", path, study,
                     ntask - 1, task);
        goto out;
    }
    const double *tt = at.data + task * Cmax, *xx = ax.data + task * Cmax * Kmax * Kmax;
    int c = 0, k = *K;
    while (c < Cmax && tt[c] >= 0)
        c++;
    while (!*K && k < Kmax && isfinite(xx[k * Kmax]))
        k++;
    *t = malloc(sizeof(double) * (c ? c : 1));
    *xbar = malloc(sizeof(double) * (c ? c : 1) * k * k);
    if (!*t || !*xbar) {
        rc = err_set(e, LESDE_FAIL, "out of memory");
        goto out;
    }
    for (int i = 0; i < c; i++) {
        (*t)[i] = tt[i];
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                (*xbar)[(i * k + a) * k + b] = xx[(i * Kmax + a) * Kmax + b];
    }
    *n = c;
    *K = k;
out:
    store_array_free(&at);
    store_array_free(&ax);
    return rc;
}

/* Loads t [C] and xbar [C][K][K] of task `task` of a train study. */
static int load_store(const char *path, const char *study, long task, double **t, int *C,
                      double **xbar, int *K, lesde_err *e)
{
    *K = 0;
    int rc = load_series(path, study, "t", "xbar_probe", task, t, C, xbar, K, e);
    if (!rc && (*C < 2 || *K < 2))
        rc = err_set(e, LESDE_USAGE, "%s: task %ld of study %s has no trajectory (not done?)", path,
                     task, study);
    return rc;
}

/* The records of the reference method's window of that task (ref_every),
 * when the store has them: t [R] and xbar [R][K][K]; *R = 0 when not. */
static int load_ref(const char *path, const char *study, long task, int K, double **t, int *R,
                    double **xbar, lesde_err *e)
{
    *R = 0;
    if (!store_has(path, study, "ref_t"))
        return LESDE_OK;
    return load_series(path, study, "ref_t", "xbar_ref", task, t, R, xbar, &K, e);
}

/* Final RD_k(T), mean over the classes; NaN when any is. */
static double final_rd(const double *rd, int C, int K)
{
    double m = 0;
    for (int k = 0; k < K; k++)
        m += rd[(size_t)(C - 1) * K + k] / K;
    return m;
}

static int write_csv(const char *path, const double *t, const le_fit_result *r, lesde_err *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(e, LESDE_FAIL, "%s: cannot write: %s", path, strerror(errno));
    const char *mn[2] = {"I", "L"};
    for (int m = 0; m < LE_NUM_MODELS; m++)
        fprintf(f, "# %s-model tail indices by differences: alpha %.6g, beta %.6g, gamma %.6g; "
                "the slides' estimator (reference-dependent): alpha %.6g, beta %.6g\n",
                mn[m], r->tail[m][LE_Q_ALPHA], r->tail[m][LE_Q_BETA], r->tail[m][LE_Q_GAMMA],
                r->tail_ref0[m][LE_Q_ALPHA], r->tail_ref0[m][LE_Q_BETA]);
    fprintf(f, "# plateau ends at t = %.17g\n", r->plateau_t);
    fprintf(f, "t,A_I,B_I,alpha_I,beta_I,A_L,B_L,alpha_L,beta_L,S,etf_dev,norm_spread");
    for (int k = 0; k < r->K; k++)
        fprintf(f, ",rd_etf_%d,rd_cmean_%d", k, k);
    for (int v = 0; v < LE_NUM_VARIANTS; v++)
        for (int s = 0; s < LE_NUM_SIMS; s++)
            for (int k = 0; k < r->K; k++)
                fprintf(f, ",rd_%s_%s_%d", le_variant_name(v), le_sim_name(s), k);
    fputc('\n', f);
    for (int c = 0; c < r->C; c++) {
        fprintf(f, "%.17g", t[c]);
        for (int m = 0; m < LE_NUM_MODELS; m++)
            fprintf(f, ",%.10g,%.10g,%.10g,%.10g", r->A[m][c], r->B[m][c], r->alpha[m][c],
                    r->beta[m][c]);
        fprintf(f, ",%.10g,%.10g,%.10g", r->S[c], r->etf_dev[c], r->norm_spread[c]);
        for (int k = 0; k < r->K; k++)
            fprintf(f, ",%.10g,%.10g", r->rd_etf[c * r->K + k], r->rd_cmean[c * r->K + k]);
        for (int v = 0; v < LE_NUM_VARIANTS; v++)
            for (int s = 0; s < LE_NUM_SIMS; s++)
                for (int k = 0; k < r->K; k++)
                    fprintf(f, ",%.10g", r->rd[v][s][c * r->K + k]);
        fputc('\n', f);
    }
    if (fclose(f))
        return err_set(e, LESDE_FAIL, "%s: cannot write (disk full?)", path);
    return LESDE_OK;
}

/* The summary lesde fit prints. */
static void print_fit(const le_fit_result *r)
{
    int C = r->C, K = r->K;
    printf("tail indices by differences over [T/10, T]  (the slides' estimator, "
           "reference-dependent)\n");
    for (int m = 0; m < LE_NUM_MODELS; m++)
        printf("  %s-model: alpha %.4f  beta %.4f  gamma %.4f   (alpha %.4f  beta %.4f)\n",
               m ? "L" : "I", r->tail[m][LE_Q_ALPHA], r->tail[m][LE_Q_BETA],
               r->tail[m][LE_Q_GAMMA], r->tail_ref0[m][LE_Q_ALPHA], r->tail_ref0[m][LE_Q_BETA]);
    printf("plateau ends at t = %g\n", r->plateau_t);
    printf("final RD (mean over classes)   plateau  reference(rescaled)  t0\n");
    for (int s = 0; s < LE_NUM_SIMS; s++)
        printf("  %-12s                 %-8.4f %-20.4f %.4f\n", le_sim_name(s),
               final_rd(r->rd[LE_VAR_PLATEAU][s], C, K), final_rd(r->rd[LE_VAR_REFERENCE][s], C, K),
               final_rd(r->rd[LE_VAR_T0][s], C, K));
    printf("  ETF baseline S(t) dhat_k     %.4f\n", final_rd(r->rd_etf, C, K));
    printf("  class-average baseline       %.4f\n", final_rd(r->rd_cmean, C, K));
}

/* Noisy LE-SDE paths (le-sde.md section 5) from each model's fitted
 * alphahat, betahat, integrated by the trapezoid rule; the L-model's are
 * NaN when p != K, as its fit is. */
static int simulate_paths(const double *t, int C, const double *xbar, int K, int p,
                          const le_fit_result *r, uint64_t seed, store_fit_paths *out,
                          lesde_err *e)
{
    double *A = malloc(sizeof(double) * C), *B = malloc(sizeof(double) * C);
    int rc = A && B ? LESDE_OK : err_set(e, LESDE_FAIL, "out of memory");
    for (int m = 0; m < LE_NUM_MODELS && !rc; m++) {
        out->mean[m] = malloc(sizeof(double) * C * K * p);
        out->std[m] = malloc(sizeof(double) * C * K * p);
        if (!out->mean[m] || !out->std[m]) {
            rc = err_set(e, LESDE_FAIL, "out of memory");
            break;
        }
        if (m == LE_MODEL_L && p != K) { /* undefined, as in the fit: NaN, not an error */
            for (size_t i = 0; i < (size_t)C * K * p; i++)
                out->mean[m][i] = out->std[m][i] = NAN;
            continue;
        }
        le_cumtrapz(t, r->alpha[m], C, A);
        le_cumtrapz(t, r->beta[m], C, B);
        rc = le_paths(t, A, B, C, xbar, K, p, (le_model)m, out->paths, out->noise_scale, seed,
                      out->mean[m], out->std[m], e);
        if (rc)
            err_prefix(e, "%s-model paths", m ? "L" : "I");
    }
    free(A);
    free(B);
    return rc;
}

/* The reference window's records from a CSV in INPUT's format: the same K
 * and p, all in the last `tail` iterations before T (the fit itself refuses
 * records off INPUT's integer grid or out of order). */
static int load_ref_csv(const char *path, double T, int K, int p, double tail, double **t, int *R,
                        double **x, lesde_err *e)
{
    int Kr = 0, pr = 0;
    int rc = le_csv_read(path, 0, t, R, x, &Kr, &pr, e);
    if (rc)
        return rc;
    if (Kr != K || pr != p)
        return err_set(e, LESDE_USAGE, "%s: %d classes of %d logits, INPUT has %d of %d", path, Kr,
                       pr, K, p);
    if ((*t)[0] < T - tail || (*t)[*R - 1] > T)
        return err_set(e, LESDE_USAGE,
                       "%s: records at t = %g .. %g, outside the reference window, the last "
                       "%g iterations: [%g, %g]",
                       path, (*t)[0], (*t)[*R - 1], tail, T - tail, T);
    return LESDE_OK;
}

int cmd_fit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", 1, 0, 'o'}, {"csv", 1, 0, 'c'}, {"study", 1, 0, 's'}, {"task", 1, 0, 't'},
        {"sg-order", 1, 0, 'O'}, {"sg-window", 1, 0, 'w'}, {"tail-frac", 1, 0, 'f'},
        {"interpolate", 0, 0, 'i'}, {"paths", 1, 0, 'P'}, {"noise-scale", 1, 0, 'N'},
        {"seed", 1, 0, 'S'}, {"sim-window", 1, 0, 'W'}, {"plateau-factor", 1, 0, 'F'},
        {"ref-paths", 1, 0, 'R'}, {"ref-records", 1, 0, 'r'}, {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    le_fit_opts fo;
    le_fit_opts_default(&fo);
    /* the options given, which a store task's own settings do not replace */
    enum { G_ORDER = 1, G_WINDOW = 2, G_TAIL = 4, G_SIM = 8, G_PLATEAU = 16, G_REF = 32 };
    int given = 0;
    const char *out = NULL, *csv = NULL, *study = NULL, *refcsv = NULL;
    long task = 0, v, npaths = 0, seed = 0;
    double noise_scale = 0.05;
    int interp = 0, seed_given = 0, quiet = 0;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'h': help(); return 0;
        case 'o': out = optarg; break;
        case 'c': csv = optarg; break;
        case 's': study = optarg; break;
        case 't':
            if (cli_long(optarg, &task) || task < 0)
                return cli_usage("fit", "--task needs an index >= 0, not '%s'", optarg);
            break;
        case 'O':
            if (cli_long(optarg, &v) || v < 1 || v > 6)
                return cli_usage("fit", "--sg-order must be in 1..6, not '%s'", optarg);
            fo.sg_order = (int)v;
            given |= G_ORDER;
            break;
        case 'w':
            if (cli_double(optarg, &fo.sg_window) || !(fo.sg_window > 0))
                return cli_usage("fit", "--sg-window needs iterations > 0, not '%s'", optarg);
            given |= G_WINDOW;
            break;
        case 'f':
            if (cli_double(optarg, &fo.tail_frac) || fo.tail_frac <= 0 || fo.tail_frac > 1)
                return cli_usage("fit", "--tail-frac must be in (0, 1], not '%s'", optarg);
            given |= G_TAIL;
            break;
        case 'W':
            if (cli_double(optarg, &fo.sim_window) || !(fo.sim_window > 0))
                return cli_usage("fit", "--sim-window needs iterations > 0, not '%s'", optarg);
            given |= G_SIM;
            break;
        case 'F':
            if (cli_double(optarg, &fo.plateau_factor) || !(fo.plateau_factor > 1))
                return cli_usage("fit", "--plateau-factor needs a number > 1, not '%s'", optarg);
            given |= G_PLATEAU;
            break;
        case 'R':
            if (cli_long(optarg, &v) || v < 1 || v > 100000)
                return cli_usage("fit", "--ref-paths must be in 1..100000, not '%s'", optarg);
            fo.ref_paths = (int)v;
            given |= G_REF;
            break;
        case 'r': refcsv = optarg; break;
        case 'i': interp = 1; break;
        case 'q': quiet = 1; break;
        case 'P':
            if (cli_long(optarg, &npaths) || npaths < 0 || npaths > 100000)
                return cli_usage("fit", "--paths must be in 0..100000, not '%s'", optarg);
            break;
        case 'N':
            if (cli_double(optarg, &noise_scale) || noise_scale < 0)
                return cli_usage("fit", "--noise-scale needs a number >= 0, not '%s'", optarg);
            break;
        case 'S':
            if (cli_long(optarg, &seed) || seed < 0)
                return cli_usage("fit", "--seed needs an integer >= 0, not '%s'", optarg);
            seed_given = 1;
            break;
        default: return cli_bad_option("fit", ch, argv[optind - 1]);
        }
    }
    if (cli_empty_name("fit", "--out", out) || cli_empty_name("fit", "--csv", csv) ||
        cli_empty_name("fit", "--ref-records", refcsv))
        return LESDE_USAGE;
    if (optind != argc - 1)
        return cli_usage("fit", "one INPUT (CSV or lesde HDF5) is required");
    if (quiet && !out && !csv) /* the work would leave no trace */
        return cli_usage("fit", "--quiet goes with --out or --csv: alone it would print nothing");
    const char *in = argv[optind];
    FILE *f = fopen(in, "rb");
    if (!f)
        return fprintf(stderr, "lesde: %s: cannot open: %s\n", in, strerror(errno)), 2;
    unsigned char sig[8] = {0};
    size_t got = fread(sig, 1, 8, f);
    fclose(f);
    int is_h5 = got == 8 && !memcmp(sig, "\211HDF\r\n\032\n", 8);
    if (is_h5 && refcsv)
        return cli_usage("fit", "--ref-records goes with a CSV INPUT: a store task's records "
                                "are its own (ref_every)");

    lesde_err e = {0};
    double *t = NULL, *xbar = NULL, *ref_t = NULL, *ref_x = NULL;
    int C = 0, K = 0, p = 0, R = 0, rc;
    if (is_h5) {
        char name[SPEC_NAME_MAX];
        rc = pick_study(in, study, name, sizeof name, &e);
        if (!rc)
            rc = load_store(in, name, task, &t, &C, &xbar, &K, &e);
        if (!rc)
            rc = load_ref(in, name, task, K, &ref_t, &R, &ref_x, &e);
        p = K;
        le_fit_opts own;
        if (!rc && task_fit_opts(in, name, task, &own) == 0) {
            if (!seed_given)
                seed = (long)own.seed;
            own.sg_order = given & G_ORDER ? fo.sg_order : own.sg_order;
            own.sg_window = given & G_WINDOW ? fo.sg_window : own.sg_window;
            own.tail_frac = given & G_TAIL ? fo.tail_frac : own.tail_frac;
            own.sim_window = given & G_SIM ? fo.sim_window : own.sim_window;
            own.plateau_factor = given & G_PLATEAU ? fo.plateau_factor : own.plateau_factor;
            own.ref_paths = given & G_REF ? fo.ref_paths : own.ref_paths;
            fo = own;
        }
    } else {
        rc = le_csv_read(in, !interp, &t, &C, &xbar, &K, &p, &e);
        if (!rc && refcsv)
            rc = load_ref_csv(refcsv, t[C - 1], K, p, fo.ref_tail, &ref_t, &R, &ref_x, &e);
    }
    if (rc) { /* a task without a trajectory, or records that failed, after the first read */
        free(t);
        free(xbar);
        free(ref_t);
        free(ref_x);
        return cli_fail(&e);
    }
    le_fit_result r;
    fo.seed = (uint64_t)seed;
    le_ref_records ref = {R, ref_t, ref_x}; /* the run's own records of its window, if any */
    rc = le_fit(t, C, xbar, K, p, &ref, &fo, &r, &e);
    int fitted = rc == LESDE_OK;
    store_fit_paths paths = {.paths = (int)npaths, .noise_scale = noise_scale};
    if (!rc && npaths > 0)
        rc = simulate_paths(t, C, xbar, K, p, &r, (uint64_t)seed, &paths, &e);
    if (!rc && out)
        rc = store_write_fit(out, t, C, xbar, K, p, &r, &fo, &paths, in, &e);
    if (!rc && csv)
        rc = write_csv(csv, t, &r, &e);
    if (!rc && !quiet) {
        printf("%s: %d checkpoints (t = %g .. %g), K = %d, p = %d", in, C, t[0], t[C - 1], K, p);
        if (R > 0) /* what the reference method's scalar was fitted on */
            printf("; %d records of the reference window", R);
        printf("\n");
        print_fit(&r);
        if (npaths > 0) {
            double spread[LE_NUM_MODELS] = {0, 0};
            size_t last = (size_t)(C - 1) * K * p;
            for (int m = 0; m < LE_NUM_MODELS; m++)
                for (int i = 0; i < K * p; i++)
                    spread[m] += paths.std[m][last + i] / (K * p);
            printf("%ld noisy paths: mean std at T across coordinates: I %.4g, L %.4g\n",
                   npaths, spread[0], spread[1]);
        }
        if (out)
            printf("wrote %s\n", out);
        if (csv)
            printf("wrote %s\n", csv);
    }
    if (fitted)
        le_fit_free(&r);
    for (int m = 0; m < LE_NUM_MODELS; m++) {
        free(paths.mean[m]);
        free(paths.std[m]);
    }
    free(t);
    free(xbar);
    free(ref_t);
    free(ref_x);
    return rc ? cli_fail(&e) : 0;
}
