/* lesde simulate: one gamma-schedule LE-SDE task, repeated over seeds. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "le/le.h"
#include "spec/spec.h"
#include "store/store.h"

static void help(void)
{
    le_sde_config d;
    le_sde_config_default(&d);
    printf("Usage: lesde simulate [OPTIONS]\n\n"
           "Simulates the sample-level LE-SDE of the separation theorem (le-sde.md\n"
           "sections 2 and 7): n samples per class, gamma(t) = c (1+t)^-s (or the\n"
           "boundary schedule 1/((e+t) log(e+t))), beta(t) = b (1+t)^-s_b, observed\n"
           "exactly at log-spaced times up to T. Repeats over --reps seeds and prints,\n"
           "per observation time, P(pairwise separable), the separable fraction, etf_dev\n"
           "of the class means and the margin along the class-mean direction.\n\n"
           "Options:\n"
           "  --classes K         classes (default %d)\n"
           "  --p P               feature dimension (default K)\n"
           "  --n N               samples per class (default %d)\n"
           "  --model I|L         similarity H (default L)\n"
           "  --schedule NAME     power | boundary (default power)\n"
           "  --c C               gamma scale (default %g)\n"
           "  --s S               gamma tail index (default %g)\n"
           "  --b B               beta scale (default %g)\n"
           "  --s-b S             beta tail index (default %g)\n"
           "  --noise X           noise scale (default %g)\n"
           "  --T T               last observation time (default %g)\n"
           "  --n-obs N           observation times (default %d)\n"
           "  --seed S            first seed (default 0)\n"
           "  --reps R            seeds S .. S+R-1 (default 20)\n"
           "  --out FILE.h5       write the tasks as a store (study 'sde'; replaces only\n"
           "                      a lesde store no sweep is writing)\n"
           "  --quiet             print nothing but errors (with --out)\n"
           "  -h, --help          this help\n\n%s",
           d.K, d.n, d.c, d.s, d.b, d.s_b, d.noise, d.T, d.n_obs, cli_exit_codes);
}

int cmd_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"classes", 1, 0, 'k'},  {"p", 1, 0, 'p'},     {"n", 1, 0, 'n'},   {"model", 1, 0, 'm'},
        {"schedule", 1, 0, 'S'}, {"c", 1, 0, 'c'},     {"s", 1, 0, 's'},   {"b", 1, 0, 'b'},
        {"s-b", 1, 0, 'B'},      {"noise", 1, 0, 'x'}, {"T", 1, 0, 'T'},   {"n-obs", 1, 0, 'o'},
        {"seed", 1, 0, 'e'},     {"reps", 1, 0, 'r'},  {"out", 1, 0, 'O'}, {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    int quiet = 0;
    le_sde_config c;
    le_sde_config_default(&c);
    long k = c.K, p = -1, n = c.n, nobs = c.n_obs, seed = 0, reps = 20;
    const char *model = "L", *sched = "power", *out = NULL;
    double cc = c.c, s = c.s, b = c.b, sb = c.s_b, noise = c.noise, T = c.T;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        long *lp = ch == 'k' ? &k : ch == 'p' ? &p : ch == 'n' ? &n : ch == 'o' ? &nobs
                 : ch == 'e' ? &seed : ch == 'r' ? &reps : NULL;
        double *dp = ch == 'c' ? &cc : ch == 's' ? &s : ch == 'b' ? &b : ch == 'B' ? &sb
                   : ch == 'x' ? &noise : ch == 'T' ? &T : NULL;
        if (ch == 'h') {
            help();
            return 0;
        } else if (lp) {
            if (cli_long(optarg, lp))
                return cli_usage("simulate", "'%s' is not an integer", optarg);
        } else if (dp) {
            if (cli_double(optarg, dp))
                return cli_usage("simulate", "'%s' is not a number", optarg);
        } else if (ch == 'm') {
            model = optarg;
        } else if (ch == 'S') {
            sched = optarg;
        } else if (ch == 'O') {
            out = optarg;
        } else if (ch == 'q') {
            quiet = 1;
        } else {
            return cli_bad_option("simulate", ch, argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("simulate", "unexpected argument '%s'", argv[optind]);
    if (cli_empty_name("simulate", "--out", out))
        return LESDE_USAGE;
    if (quiet && !out) /* the work would leave no trace */
        return cli_usage("simulate", "--quiet goes with --out: alone it would print nothing");
    int one = cli_one_process("simulate");
    if (one >= 0)
        return one;
    if (reps < 1 || reps > 100000 || seed < 0)
        return cli_usage("simulate", "--reps must be in 1..100000 and --seed >= 0");
    /* The spec validates every value, with the same rules as a sweep. */
    char text[2048];
    snprintf(text, sizeof text,
             "[sweep]\nname = simulate\nseeds = %ld..%ld\n[study.sde]\nkind = sde\n"
             "classes = %ld\nn = %ld\nmodel = %s\nschedule = %s\nc = %.17g\ns = %.17g\n"
             "b = %.17g\ns_b = %.17g\nnoise = %.17g\nT = %.17g\nn_obs = %ld\n",
             seed, seed + reps - 1, k, n, model, sched, cc, s, b, sb, noise, T, nobs);
    if (p >= 0)
        snprintf(text + strlen(text), sizeof text - strlen(text), "p = %ld\n", p);
    spec sp;
    lesde_err e = {0};
    if (spec_parse(&sp, text, "lesde simulate", NULL, 0, &e)) {
        /* Messages name spec keys and lines; say which option instead. */
        const char *what = strrchr(e.msg, ':');
        return cli_usage("simulate", "%s", what ? what + 2 : e.msg);
    }
    char tmp[4200];
    store *st = NULL;
    int keep = out ? cli_out_replaceable(out) : 0;
    if (keep) {
        spec_free(&sp);
        return keep;
    }
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        unlink(tmp);
        store_opts so = {.comm = MPI_COMM_NULL};
        if (store_create(tmp, &sp, &so, &st, &e)) {
            spec_free(&sp);
            return cli_fail(&e);
        }
    }
    int O = 0, rc = 0;
    double *sum = NULL; /* [4][O]: sep_all, sep_frac, etf_dev, margin */
    double *tobs = NULL;
    long valid_margin[256] = {0};
    for (long i = 0; i < sp.n_tasks && !rc; i++) {
        spec_task t;
        le_sde_config tc;
        le_sde_result r;
        spec_task_get(&sp, i, &t);
        spec_task_sde(&sp, &t, &tc);
        double t0 = log_now();
        if ((rc = le_sde_run(&tc, &r, &e)))
            break;
        if (!sum) {
            O = r.n_obs < 256 ? r.n_obs : 256;
            sum = calloc(4 * O, sizeof(double));
            tobs = malloc(sizeof(double) * O);
            if (!sum || !tobs) {
                rc = err_set(&e, LESDE_FAIL, "out of memory");
                le_sde_free(&r);
                break;
            }
            memcpy(tobs, r.t, sizeof(double) * O);
        }
        for (int j = 0; j < O; j++) {
            sum[j] += r.sep_all[j];
            sum[O + j] += r.sep_frac[j];
            sum[2 * O + j] += r.etf_dev[j];
            if (isfinite(r.margin[j])) {
                sum[3 * O + j] += r.margin[j];
                valid_margin[j]++;
            }
        }
        if (st)
            rc = store_write_sde(st, &t, &r, log_now() - t0, 0, &e);
        le_sde_free(&r);
    }
    if (st) {
        int crc = store_close(st, rc ? NULL : &e);
        if (!rc && !(rc = crc) && !(rc = store_summarize(tmp, &e)) && rename(tmp, out))
            rc = err_set(&e, LESDE_FAIL, "cannot rename %s to %s", tmp, out);
        if (rc)
            unlink(tmp);
    }
    if (!rc && !quiet) {
        printf("K=%d p=%d n=%d model=%s schedule=%s c=%g s=%g b=%g s_b=%g noise=%g, %ld seeds\n",
               sp.studies[0].sde.K, sp.studies[0].sde.p ? sp.studies[0].sde.p : sp.studies[0].sde.K,
               sp.studies[0].sde.n, model, sched, cc, s, b, sb, noise, reps);
        printf("%14s %14s %14s %14s %14s\n", "t", "P(separable)", "sep_fraction", "etf_dev",
               "margin");
        for (int j = 0; j < O; j++)
            printf("%14.6g %14.4f %14.4f %14.4g %14.4g\n", tobs[j], sum[j] / reps,
                   sum[O + j] / reps, sum[2 * O + j] / reps,
                   valid_margin[j] ? sum[3 * O + j] / valid_margin[j] : NAN);
        if (out)
            printf("wrote %s\n", out);
    }
    free(sum);
    free(tobs);
    spec_free(&sp);
    return rc ? cli_fail(&e) : 0;
}
