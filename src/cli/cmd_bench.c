/* lesde bench, and the cost estimate of lesde sweep --dry-run. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "data/data.h"
#include "le/imitate.h"
#include "nn/cnn.h"
#include "run/run.h"
#include "spec/spec.h"
#include "store/store.h"

static void help(void)
{
    printf("Usage: lesde bench [OPTIONS]\n"
           "       mpirun -n 2 lesde bench --sched N\n\n"
           "Measures the median microseconds per training step (forward, backward and\n"
           "SGD of one sample, float64, one core) and the probe-inference throughput\n"
           "(samples/s and GFLOP/s, counting the direct convolution's flops: conv2 runs\n"
           "with fewer, so the rate is an effective one), then the same forward pass as\n"
           "OpenBLAS GEMMs (im2col; openblas_*: the whole pass and its GEMMs alone, in\n"
           "OpenBLAS's fastest batch size, and the logits' largest relative difference)\n"
           "and fc1's part of a training step on OpenBLAS (dgemv, dgemv^T, dger), and\n"
           "the bound: a plain loop of the kernel path's multiply-adds\n"
           "(lesde_fma_peak_gflops, float64, one core). lesde_cpu names the CPU\n"
           "(brand, family and model), for the record.\n"
           "OpenBLAS picks its kernels when it loads (OPENBLAS_CORETYPE overrides;\n"
           "openblas_config names them). With --sched N it instead measures the\n"
           "scheduling overhead per task of N trivial tasks over the MPI master/worker\n"
           "protocol.\n\n"
           "Options:\n"
           "  --classes K        classes (default 3)\n"
           "  --channels C       input channels (default 1)\n"
           "  --steps N          timed training steps (default 20000)\n"
           "  --infer N          samples per inference call (default 1500)\n"
           "  --sched N          scheduling overhead with N trivial tasks (under mpirun)\n"
           "  -h, --help         this help\n\n"
           "Output lines are 'name value', e.g. lesde_us_per_step 85.3\n"
           "(bench/compare.sh runs this beside the PyTorch peer); lesde_kernels names\n"
           "the kernel path that ran (LESDE_KERNELS=avx512|avx2|c picks one).\n\n%s",
           cli_exit_codes);
}

int cmd_bench(int argc, char **argv)
{
    static const struct option opts[] = {
        {"classes", 1, 0, 'k'}, {"channels", 1, 0, 'c'}, {"steps", 1, 0, 's'}, {"infer", 1, 0, 'i'},
        {"sched", 1, 0, 'S'},   {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    long k = 3, ch = 1, steps = 20000, infer = 1500, sched = 0;
    optind = 1;
    opterr = 0;
    int li = 0;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, &li)) != -1;) {
        long v;
        if (c == 'h') {
            help();
            return 0;
        }
        if (c == '?' || c == ':')
            return cli_bad_option("bench", c, argv[optind - 1]);
        if (cli_long(optarg, &v) || v < 1)
            return cli_usage("bench", "--%s needs a positive integer, not '%s'", opts[li].name,
                             optarg);
        if (c == 'k')
            k = v;
        else if (c == 'c')
            ch = v;
        else if (c == 's')
            steps = v;
        else if (c == 'i')
            infer = v;
        else
            sched = v;
    }
    if (optind < argc)
        return cli_usage("bench", "unexpected argument '%s'", argv[optind]);
    if (sched) {
        int rc = run_init(NULL, NULL);
        if (rc)
            return rc == LESDE_USAGE ? 2 : (fprintf(stderr, "lesde: MPI could not start\n"), 1);
        double us = run_bench_overhead(sched);
        if (run_rank() == 0)
            printf("sched_ranks %d\nsched_tasks %ld\nsched_us_per_task %.2f\n", run_size(), sched,
                   us);
        return run_finalize(0);
    }
    if (k < 2 || k > 10 || (ch != 1 && ch != 3))
        return cli_usage("bench", "--classes in 2..10 and --channels 1 or 3");
    cnn_bench_result r;
    if (cnn_bench((int)ch, (int)k, (int)steps, (int)infer, CNN_BENCH_ALL, &r)) {
        fprintf(stderr, "lesde: bench failed\n");
        return 1;
    }
    cnn_bench_print(stdout, &r);
    return 0;
}

/* ---- lesde sweep --dry-run: every kind of task it would run, timed.
 * A training task is its data (built once per kind of request and timed),
 * its steps and its checkpoint evaluations (from a self-benchmark of its
 * network's shape: channels and K, once per shape) and its fit (the part
 * that grows with K, timed once per K); an sde task is run once per grid
 * point. Every grid point gets its own estimate. */

enum { DRY_MAX_KINDS = 64 };

typedef struct {
    int c, k;
    cnn_bench_result b;
} dry_shape;

typedef struct {
    data_request req; /* class_ids and data_dir point into ids, dir */
    int ids[DATA_MAX_K];
    char dir[4096];
    double sec;
} dry_data;

typedef struct {
    dry_shape shape[DRY_MAX_KINDS];
    int n_shape;
    double fit_step[DATA_MAX_K + 1]; /* seconds a step of the fit's reference method, by K */
    dry_data data[DRY_MAX_KINDS];
    int n_data;
    int bad_data; /* studies whose data could not be built */
} dry_cache;

/* The self-benchmark of a network of c channels and k classes. */
static const cnn_bench_result *dry_bench(dry_cache *dc, int c, int k)
{
    for (int i = 0; i < dc->n_shape; i++)
        if (dc->shape[i].c == c && dc->shape[i].k == k)
            return &dc->shape[i].b;
    dry_shape *sh = &dc->shape[dc->n_shape < DRY_MAX_KINDS ? dc->n_shape++ : DRY_MAX_KINDS - 1];
    sh->c = c;
    sh->k = k;
    if (cnn_bench(c, k, 2000, 500, CNN_BENCH_SWEEP, &sh->b))
        return NULL;
    printf("self-benchmark, %d channel%s, K = %d: %.1f us per training step (as a sweep runs it), "
           "%.0f inference "
           "samples/s (%s kernels)\n",
           c, c > 1 ? "s" : "", k, sh->b.us_per_step_nograd, sh->b.infer_samples_per_s,
           sh->b.kernels);
    return &sh->b;
}

/* Seconds a training step adds to the fit at K classes: what grows with K
 * (as K^4) is the reference method's Euler propagation of a K^2 x K^2
 * propagator, once per iteration for each of the fit's three simulations
 * (two under the L-model, one under the I-model). Timed on DRY_REF and on
 * 4 DRY_REF steps: the difference leaves out what a run costs whatever
 * its length (drawing the paths). The rest of the fit is small beside it
 * from K = 5 on. */
#define DRY_REF 400
static double dry_ref_seconds(int k, double steps, double *x)
{
    size_t D = (size_t)k * k;
    double t[2] = {0, steps}, a[2] = {-1e-3, -1e-3}, b[2] = {1e-3, 1e-3};
    le_ref_opts o = {.paths = 200, .noise_scale = 1, .align = 0, .tail_iters = 1000, .seed = 1};
    lesde_err e;
    double scale, t0 = log_now();
    static const le_model H[3] = {LE_MODEL_L, LE_MODEL_L, LE_MODEL_I};
    for (int s = 0; s < 3; s++)
        le_imitate_reference(t, 2, x, k, k, a, b, H[s], &o, x + 2 * D, NULL, &scale, &e);
    return log_now() - t0;
}

static double dry_fit_step(dry_cache *dc, int k)
{
    if (k < 2 || k > DATA_MAX_K)
        return 0;
    if (dc->fit_step[k] > 0)
        return dc->fit_step[k];
    size_t D = (size_t)k * k;
    double *x = malloc(sizeof(double) * 4 * D); /* xbar [2][K][K], mean [2][K][K] */
    if (!x)
        return 0;
    for (size_t i = 0; i < 2 * D; i++)
        x[i] = 1.0 + 0.01 * (double)(i % 7);
    /* the fastest of three runs each: at small K the difference is a few
     * ms, which one run's noise could turn negative (printed as 0.00) */
    double one = HUGE_VAL, four = HUGE_VAL;
    for (int r = 0; r < 3; r++) {
        one = fmin(one, dry_ref_seconds(k, DRY_REF, x));
        four = fmin(four, dry_ref_seconds(k, 4 * DRY_REF, x));
    }
    free(x);
    double step = (four - one) / (3 * DRY_REF);
    dc->fit_step[k] = step > 1e-12 ? step : 1e-12;
    printf("self-benchmark, the fit at K = %d: %.2f us per training step (its reference "
           "method)\n",
           k, dc->fit_step[k] * 1e6);
    return dc->fit_step[k];
}

static int same_request(const data_request *a, const data_request *b)
{
    if (a->kind != b->kind || a->k != b->k || a->train_per_class != b->train_per_class ||
        a->val_per_class != b->val_per_class || !a->class_ids != !b->class_ids)
        return 0;
    if (a->class_ids && memcmp(a->class_ids, b->class_ids, sizeof(int) * a->k))
        return 0;
    return !strcmp(a->data_dir ? a->data_dir : "", b->data_dir ? b->data_dir : "");
}

/* Seconds to build a task's data (the data_load of its request, timed the
 * first time such a request comes up); -1 when it fails, with the reason
 * printed. */
static double dry_data_seconds(dry_cache *dc, const train_config *c, const char *study)
{
    data_request req = {.kind = c->dataset,
                        .k = c->k,
                        .class_ids = c->n_class_ids ? c->class_ids : NULL,
                        .train_per_class = c->train_per_class,
                        .val_per_class = c->val_per_class,
                        .seed = c->seed,
                        .data_dir = c->data_dir};
    for (int i = 0; i < dc->n_data; i++)
        if (same_request(&dc->data[i].req, &req))
            return dc->data[i].sec;
    dry_data *d = &dc->data[dc->n_data < DRY_MAX_KINDS ? dc->n_data++ : DRY_MAX_KINDS - 1];
    d->req = req;
    if (req.class_ids) {
        memcpy(d->ids, req.class_ids, sizeof(int) * req.k);
        d->req.class_ids = d->ids;
    }
    snprintf(d->dir, sizeof d->dir, "%s", req.data_dir ? req.data_dir : "");
    d->req.data_dir = d->dir;
    data_set tr, va;
    lesde_err e = {0};
    double t0 = log_now();
    if (data_load(&req, &tr, &va, &e)) {
        printf("  study %s: its data cannot be built: %s\n", study, e.msg);
        dc->bad_data++;
        return d->sec = -1;
    }
    d->sec = log_now() - t0;
    data_free(&tr);
    data_free(&va);
    return d->sec;
}

/* Seconds of one task at each grid point of study st (sec [n_points]);
 * 0 on success, -1 when a benchmark failed. */
static int dry_study(dry_cache *dc, const spec *s, int st, double *sec)
{
    const spec_study *ss = &s->studies[st];
    for (long p = 0; p < ss->n_points; p++) {
        spec_task t;
        spec_task_get(s, ss->first_task + p * ss->n_seeds, &t);
        if (ss->kind == SPEC_SDE) {
            le_sde_config c;
            le_sde_result r;
            lesde_err e;
            spec_task_sde(s, &t, &c);
            double t0 = log_now();
            if (le_sde_run(&c, &r, &e) == 0)
                le_sde_free(&r);
            sec[p] = log_now() - t0;
            continue;
        }
        train_config c;
        spec_task_train(s, &t, &c);
        const cnn_bench_result *b = dry_bench(dc, data_kind_channels(c.dataset), c.k);
        if (!b)
            return -1;
        double data = dry_data_seconds(dc, &c, ss->name);
        /* a training loop keeps no gradient: the nograd step */
        double steps = (double)c.iters * b->us_per_step_nograd * 1e-6;
        double infer = (((double)c.checkpoints + train_ref_records(&c, NULL)) * c.probe_per_class +
                        (double)train_val_checkpoints(&c) * c.val_per_class) *
                       c.k / b->infer_samples_per_s;
        double fit = c.fit ? (double)c.iters * dry_fit_step(dc, c.k) : 0;
        sec[p] = (data > 0 ? data : 0) + steps + infer + fit;
    }
    return 0;
}

/* A study whose reference scalar would rest on few checkpoints says so:
 * log-spaced checkpoints put ~1 in the last ref_tail iterations, where the
 * reference code averages every iteration (le-sde.md section 5). */
static void dry_ref_note(const spec *s, const spec_study *ss)
{
    spec_task t;
    train_config c;
    spec_task_get(s, ss->first_task, &t);
    spec_task_train(s, &t, &c);
    if (!c.fit || c.ref_every > 0)
        return;
    long *ts = malloc(sizeof(long) * (size_t)c.checkpoints);
    if (!ts)
        return;
    int n = train_checkpoints(c.iters, c.checkpoints, c.log_spacing, ts), in = 0;
    for (int i = 0; i < n; i++)
        in += ts[i] >= c.iters - c.fit_opts.ref_tail;
    free(ts);
    c.ref_every = 10;
    if (in < 10)
        printf("      note: the reference scalar's window (the last %.0f iterations) holds %d "
               "checkpoint%s;\n            ref_every = 10 fits it on %d records "
               "(docs/spec.md)\n",
               c.fit_opts.ref_tail, in, in == 1 ? "" : "s", train_ref_records(&c, NULL));
}

int cli_dry_run(const spec *s, const unsigned char *only, double wall_hours)
{
    long chosen = 0;
    for (int i = 0; i < s->n_studies; i++)
        chosen += !only || only[i] ? s->studies[i].n_tasks : 0;
    printf("sweep '%s' (spec hash %s): %ld tasks", s->name, s->hash, s->n_tasks);
    if (only)
        printf(", %ld of them in the studies --study names", chosen);
    printf("\n");
    dry_cache *dc = calloc(1, sizeof *dc);
    if (!dc)
        return fprintf(stderr, "lesde: out of memory\n"), 1;
    double total = 0, longest = 0;
    int rc = 0;
    for (int i = 0; i < s->n_studies && !rc; i++) {
        const spec_study *ss = &s->studies[i];
        if (only && !only[i])
            continue;
        double *sec = malloc(sizeof(double) * (size_t)ss->n_points);
        if (!sec || dry_study(dc, s, i, sec)) {
            fprintf(stderr, "lesde: %s\n", sec ? "self-benchmark failed" : "out of memory");
            free(sec);
            rc = 1;
            break;
        }
        double sum = 0, lo = INFINITY, hi = 0;
        for (long p = 0; p < ss->n_points; p++) {
            sum += sec[p];
            lo = fmin(lo, sec[p]);
            hi = fmax(hi, sec[p]);
        }
        free(sec);
        total += sum * ss->n_seeds;
        longest = fmax(longest, hi);
        printf("  study %-18s %-5s %7ld tasks (%ld grid points x %d seeds), ~%.1f s each", ss->name,
               ss->kind == SPEC_TRAIN ? "train" : "sde", ss->n_tasks, ss->n_points, ss->n_seeds,
               sum / ss->n_points);
        if (hi > 1.05 * lo + 0.05)
            printf(" (%.1f-%.1f s over the grid)", lo, hi);
        printf("\n");
        for (int a = 0; a < ss->n_axes; a++) {
            printf("      axis %-16s", ss->axes[a].key);
            for (int v = 0; v < ss->axes[a].n && v < 12; v++)
                printf(" %s", ss->axes[a].labels[v]);
            printf(ss->axes[a].n > 12 ? " ...\n" : "\n");
        }
        if (ss->kind == SPEC_TRAIN)
            dry_ref_note(s, ss);
    }
    int bad = dc->bad_data;
    free(dc);
    if (rc)
        return rc;
    double wall = wall_hours * 3600;
    long ranks = (long)ceil(total / wall);
    if (ranks < 1)
        ranks = 1;
    printf("estimated %.2f core-hours (%.0f core-seconds); longest task ~%.0f s\n", total / 3600,
           total, longest);
    double bytes = store_size(s, 0);
    if (bytes >= 1e9)
        printf("the store: %.2f GB, allocated in full when the sweep starts\n", bytes / 1e9);
    else if (bytes >= 0)
        printf("the store: %.1f MB, allocated in full when the sweep starts\n", bytes / 1e6);
    if (longest > wall)
        printf("no number of ranks meets a wall time of %.2f h: the longest task alone "
               "takes %.2f h\n",
               wall_hours, longest / 3600);
    else {
        /* 20% headroom for the request; a whole minute at least, as 0 would
         * ask Slurm for no time limit */
        long minutes = (long)ceil(wall_hours * 1.2 * 60 - 1e-9);
        printf("ranks for a wall time of %.2f h: %ld (e.g. %ld node%s of 32 cores, "
               "sbatch --time=%02ld:%02ld:00)\n",
               wall_hours, ranks, (ranks + 31) / 32, (ranks + 31) / 32 > 1 ? "s" : "", minutes / 60,
               minutes % 60);
    }
    if (bad) { /* the sweep would run them and record every one failed */
        fflush(stdout);
        fprintf(stderr,
                "lesde: %d of the data sets the tasks need cannot be built (above): the sweep "
                "would record those tasks as failed\n",
                bad);
        return 1;
    }
    return 0;
}
