/* lesde bench, and the cost estimate of lesde sweep --dry-run. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "nn/cnn.h"
#include "run/run.h"
#include "spec/spec.h"

static void help(void)
{
    printf("Usage: lesde bench [OPTIONS]\n"
           "       mpirun -n 2 lesde bench --sched N\n\n"
           "Measures the median microseconds per training step (forward, backward and\n"
           "SGD of one sample, float64, one core) and the probe-inference throughput\n"
           "(samples/s and GFLOP/s). With --sched N it instead measures the scheduling\n"
           "overhead per task of N trivial tasks over the MPI master/worker protocol.\n\n"
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
        {"classes", 1, 0, 'k'}, {"channels", 1, 0, 'c'}, {"steps", 1, 0, 's'},
        {"infer", 1, 0, 'i'}, {"sched", 1, 0, 'S'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    long k = 3, ch = 1, steps = 20000, infer = 1500, sched = 0;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        long v;
        if (c == 'h') {
            help();
            return 0;
        }
        if (c == '?' || c == ':' || cli_long(optarg, &v) || v < 1)
            return cli_usage("bench", "bad option '%s'", argv[optind - 1]);
        if (c == 'k') k = v;
        else if (c == 'c') ch = v;
        else if (c == 's') steps = v;
        else if (c == 'i') infer = v;
        else sched = v;
    }
    if (optind < argc)
        return cli_usage("bench", "unexpected argument '%s'", argv[optind]);
    if (sched) {
        if (run_init(NULL, NULL))
            return 1;
        double us = run_bench_overhead(sched);
        if (run_rank() == 0)
            printf("sched_ranks %d\nsched_tasks %ld\nsched_us_per_task %.2f\n", run_size(),
                   sched, us);
        return run_finalize(0);
    }
    if (k < 2 || k > 10 || (ch != 1 && ch != 3))
        return cli_usage("bench", "--classes in 2..10 and --channels 1 or 3");
    cnn_bench_result r;
    if (cnn_bench((int)ch, (int)k, (int)steps, (int)infer, &r)) {
        fprintf(stderr, "lesde: bench failed\n");
        return 1;
    }
    cnn_bench_print(stdout, &r);
    return 0;
}

/* Seconds one task of study st will take, from a quick self-benchmark. */
static double task_seconds(const spec *s, int st, const cnn_bench_result *b)
{
    const spec_study *ss = &s->studies[st];
    spec_task t;
    spec_task_get(s, ss->first_task, &t);
    if (ss->kind == SPEC_SDE) {
        le_sde_config c;
        le_sde_result r;
        lesde_err e;
        spec_task_sde(s, &t, &c);
        double t0 = log_now();
        if (le_sde_run(&c, &r, &e) == 0)
            le_sde_free(&r);
        return log_now() - t0;
    }
    /* The largest grid point sets the estimate for all (an upper bound). */
    double worst = 0;
    for (long p = 0; p < ss->n_points; p++) {
        train_config c;
        spec_task_get(s, ss->first_task + p * ss->n_seeds, &t);
        spec_task_train(s, &t, &c);
        double steps = c.iters * b->us_per_step * 1e-6;
        double infer = (double)c.checkpoints * (c.val_per_class + c.probe_per_class) * c.k /
                       b->infer_samples_per_s;
        double sec = (steps + infer) * (c.k / 3.0 > 1 ? 1 + 0.01 * (c.k - 3) : 1);
        if (sec > worst)
            worst = sec;
    }
    return worst;
}

int cli_dry_run(const spec *s, double wall_hours)
{
    cnn_bench_result b;
    if (cnn_bench(1, 3, 2000, 500, &b))
        return fprintf(stderr, "lesde: self-benchmark failed\n"), 1;
    printf("sweep '%s' (spec hash %s): %ld tasks\n", s->name, s->hash, s->n_tasks);
    printf("self-benchmark: %.1f us per training step, %.0f inference samples/s (%s kernels)\n",
           b.us_per_step, b.infer_samples_per_s, b.kernels);
    double total = 0, longest = 0;
    for (int i = 0; i < s->n_studies; i++) {
        const spec_study *ss = &s->studies[i];
        double sec = task_seconds(s, i, &b);
        total += sec * ss->n_tasks;
        if (sec > longest)
            longest = sec;
        printf("  study %-18s %-5s %7ld tasks (%ld grid points x %d seeds), ~%.1f s each\n",
               ss->name, ss->kind == SPEC_TRAIN ? "train" : "sde", ss->n_tasks, ss->n_points,
               ss->n_seeds, sec);
        for (int a = 0; a < ss->n_axes; a++) {
            printf("      axis %-16s", ss->axes[a].key);
            for (int v = 0; v < ss->axes[a].n && v < 12; v++)
                printf(" %s", ss->axes[a].labels[v]);
            printf(ss->axes[a].n > 12 ? " ...\n" : "\n");
        }
    }
    double wall = wall_hours * 3600;
    long ranks = (long)ceil(total / wall);
    if (ranks < 1)
        ranks = 1;
    printf("estimated %.2f core-hours (%.0f core-seconds); longest task ~%.0f s\n",
           total / 3600, total, longest);
    if (longest > wall)
        printf("no number of ranks meets a wall time of %.2f h: the longest task alone "
               "takes %.2f h\n", wall_hours, longest / 3600);
    else {
        long minutes = lround(wall_hours * 1.2 * 60); /* 20% headroom for the request */
        printf("ranks for a wall time of %.2f h: %ld (e.g. %ld node%s of 32 cores, "
               "sbatch --time=%02ld:%02ld:00)\n", wall_hours, ranks, (ranks + 31) / 32,
               (ranks + 31) / 32 > 1 ? "s" : "", minutes / 60, minutes % 60);
    }
    return 0;
}
