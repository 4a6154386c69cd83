/* bench: how fast the CNN trains and infers (cnn_bench in cnn.h).
 *
 * Medians, not means: the machine may be shared, and a median over blocks
 * of steps ignores the blocks another process stole time from. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rng.h"
#include "nn/cnn.h"
#include "nn/layers.h"

enum {
    BENCH_POOL = 64,  /* distinct random training inputs, cycled */
    BENCH_BLOCK = 20, /* steps per timed block: ~1.5 ms, shorter than a
                       * scheduler time slice, so on a busy machine most
                       * blocks run undisturbed and the median ignores
                       * the rest */
    INFER_REPEATS = 7
};

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}
/* This thread's CPU time: what the step costs when it has the core to
 * itself, even on a machine shared with other jobs. */
static double cpu_s(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* OpenBLAS beside the kernels: cnn_infer_blas on the samples xi whose
 * cnn_infer logits are z, in its fastest chunk size (each tried 3 times),
 * timed as cnn_infer; times holds INFER_REPEATS. */
static int bench_blas(cnn *net, const double *xi, int n, const double *z, double *times,
                      cnn_bench_result *out)
{
    static const int chunks[] = {1, 4, 16, 64};
    int k = cnn_classes(net);
    double *zb = malloc(sizeof(double) * (size_t)k * (size_t)n), g = 0.0;
    if (!zb)
        return LESDE_FAIL;
    double best_t = INFINITY;
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
        for (int r = 0; r < 3; r++) {
            double t0 = now_s();
            if (cnn_infer_blas(net, xi, n, chunks[i], zb, NULL)) {
                free(zb);
                return LESDE_FAIL;
            }
            double t = now_s() - t0;
            if (t < best_t)
                best_t = t, out->blas_chunk = chunks[i];
        }
    double t = INFINITY, gemm = INFINITY;
    for (int i = 0; i < INFER_REPEATS; i++) {
        double t0 = now_s();
        cnn_infer_blas(net, xi, n, out->blas_chunk, zb, &g);
        times[i] = now_s() - t0;
        t = times[i] < t ? times[i] : t;
        gemm = g < gemm ? g : gemm;
    }
    double flops = cnn_forward_flops(net) * n, diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < (size_t)k * (size_t)n; i++) {
        diff = fmax(diff, fabs(zb[i] - z[i]));
        scale = fmax(scale, fabs(z[i]));
    }
    free(zb);
    out->blas_config = openblas_get_config();
    out->blas_infer_gflops = flops / t * 1e-9;
    out->blas_gemm_gflops = flops / gemm * 1e-9;
    out->blas_max_diff = scale > 0 ? diff / scale : diff;
    return LESDE_OK;
}

/* fc1's share of a training step on OpenBLAS's level-2 BLAS: forward
 * (dgemv), the input gradient (dgemv, transposed) and the SGD update
 * (dger, the update applied in one pass as the kernels apply it), on a
 * copy of the trained weights; median over blocks of steps. times holds
 * nblocks. */
static int bench_blas_fc1(cnn *net, int nblocks, int block, double *times, cnn_bench_result *out)
{
    cnn_tensor t = cnn_get_tensor(net, 4); /* fc1.weight [120][400] */
    int m = t.shape[0], k = t.shape[1];
    double *w = malloc(sizeof(double) * t.size),
           *v = malloc(sizeof(double) * (size_t)(2 * k + 2 * m));
    if (!w || !v) {
        free(w), free(v);
        return LESDE_FAIL;
    }
    memcpy(w, t.data, sizeof(double) * t.size);
    double *x = v, *din = x + k, *y = din + k, *d = y + m;
    for (int i = 0; i < k; i++)
        x[i] = (i % 7) * 0.1; /* a post-ReLU input: some zeros */
    for (int i = 0; i < m; i++)
        d[i] = (i % 5 - 2) * 1e-3;
    for (int b = -1; b < nblocks; b++) { /* block -1: warm-up */
        double t0 = now_s();
        for (int s = 0; s < block; s++) {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0, w, k, x, 1, 0.0, y, 1);
            cblas_dgemv(CblasRowMajor, CblasTrans, m, k, 1.0, w, k, d, 1, 0.0, din, 1);
            cblas_dger(CblasRowMajor, m, k, -0.005, d, 1, x, 1, w, k);
        }
        if (b >= 0)
            times[b] = (now_s() - t0) * 1e6 / block;
    }
    out->blas_fc1_us_per_step = median(times, nblocks);
    free(w), free(v);
    return LESDE_OK;
}

/* The path's plain multiply-add loop, fastest of INFER_REPEATS runs of
 * 24 million vector multiply-adds (3-20 ms): a rate to read the others
 * against, measured by the same binary in the same minute. The loop runs
 * through the kernel table, a call the compiler cannot see into or drop. */
static double bench_fma_peak(const char *path)
{
    const nn_kernels *k = nn_kernels_get(path);
    if (!k)
        return NAN;
    double best = 0.0, sink;
    for (int i = 0; i < INFER_REPEATS; i++) {
        double t0 = now_s();
        double flops = k->fma_loop(2000000, &sink);
        double rate = flops / (now_s() - t0) * 1e-9;
        best = rate > best ? rate : best;
    }
    return best;
}

int cnn_bench(int in_channels, int k, int steps, int infer_n, cnn_bench_what what,
              cnn_bench_result *out)
{
    if (!out || steps < 1 || infer_n < 1 || in_channels < 1 || k < 2)
        return LESDE_USAGE;
    *out = (cnn_bench_result){.us_per_step = NAN,
                              .us_per_step_best = NAN,
                              .us_per_step_cpu = NAN,
                              .fma_peak_gflops = NAN,
                              .blas_infer_gflops = NAN,
                              .blas_gemm_gflops = NAN,
                              .blas_max_diff = NAN,
                              .blas_fc1_us_per_step = NAN};
    cnn *net = cnn_create(in_channels, k);
    if (!net)
        return LESDE_FAIL;
    /* Ranks are the parallelism (design.md): time one thread, as in a sweep. */
    openblas_set_num_threads(1);

    size_t in_size = (size_t)in_channels * 32 * 32;
    int nblocks = steps >= BENCH_BLOCK ? steps / BENCH_BLOCK : 1;
    int block = steps >= BENCH_BLOCK ? BENCH_BLOCK : steps;
    /* on huge pages, as lesde train's data sets */
    double *xs = mem_alloc_large(sizeof(double) * in_size * BENCH_POOL);
    double *xi = mem_alloc_large(sizeof(double) * in_size * (size_t)infer_n);
    double *logits = malloc(sizeof(double) * (size_t)k * (size_t)infer_n);
    size_t ntimes = (size_t)(nblocks > INFER_REPEATS ? nblocks : INFER_REPEATS);
    double *times = malloc(sizeof(double) * 2 * ntimes), *cpu = times + ntimes;
    int labels[BENCH_POOL];
    gsl_rng *r = rng_stream(20240601, RNG_DATA_TRAIN, 0);
    if (!xs || !xi || !logits || !times || !r) {
        free(xs), free(xi), free(logits), free(times);
        if (r)
            gsl_rng_free(r);
        cnn_free(net);
        return LESDE_FAIL;
    }
    for (size_t i = 0; i < in_size * BENCH_POOL; i++)
        xs[i] = gsl_rng_uniform(r);
    for (int i = 0; i < BENCH_POOL; i++)
        labels[i] = (int)gsl_rng_uniform_int(r, (unsigned long)k);
    for (size_t i = 0; i < in_size * (size_t)infer_n; i++)
        xi[i] = gsl_rng_uniform(r);
    gsl_rng_free(r);
    cnn_init(net, 1);

    const double lr = 0.005;
    double sink = 0.0; /* keeps the loss live */
    /* mode 0: cnn_train_step, 1: cnn_train_step_nograd */
    for (int mode = what == CNN_BENCH_SWEEP; mode < 2; mode++) {
        double (*step)(cnn *, const double *, int, double) =
            mode ? cnn_train_step_nograd : cnn_train_step;
        int warm = steps / 10 > 200 ? steps / 10 : 200;
        for (int s = 0; s < warm; s++)
            sink += step(net, xs + (size_t)(s % BENCH_POOL) * in_size, labels[s % BENCH_POOL], lr);
        for (int b = 0; b < nblocks; b++) {
            double t0 = now_s(), c0 = cpu_s();
            for (int s = 0; s < block; s++) {
                int j = (b * block + s) % BENCH_POOL;
                sink += step(net, xs + (size_t)j * in_size, labels[j], lr);
            }
            times[b] = (now_s() - t0) * 1e6 / block;
            cpu[b] = (cpu_s() - c0) * 1e6 / block;
        }
        if (mode == 1) {
            out->us_per_step_nograd = median(times, nblocks);
            continue;
        }
        double best = times[0];
        for (int b = 1; b < nblocks; b++)
            best = times[b] < best ? times[b] : best;
        out->us_per_step = median(times, nblocks);
        out->us_per_step_best = best;
        out->us_per_step_cpu = median(cpu, nblocks);
    }
    out->kernels = cnn_kernels(net);
    out->in_channels = in_channels;
    out->k = k;
    out->steps = nblocks * block;
    out->infer_n = infer_n;

    cnn_infer(net, xi, infer_n, logits); /* warm-up */
    for (int i = 0; i < INFER_REPEATS; i++) {
        double t0 = now_s();
        cnn_infer(net, xi, infer_n, logits);
        times[i] = now_s() - t0;
        sink += logits[0];
    }
    /* the least disturbed repeat (as timeit): a throughput, not a latency */
    double t = times[0];
    for (int i = 1; i < INFER_REPEATS; i++)
        t = times[i] < t ? times[i] : t;
    out->infer_samples_per_s = infer_n / t;
    out->infer_gflops = cnn_forward_flops(net) * infer_n / t * 1e-9;

    int rc = LESDE_OK;
    if (what == CNN_BENCH_ALL) {
        rc = bench_blas(net, xi, infer_n, logits, times, out);
        if (!rc)
            rc = bench_blas_fc1(net, nblocks, block, times, out);
        out->fma_peak_gflops = bench_fma_peak(out->kernels);
    }
    free(xs), free(xi), free(logits), free(times);
    cnn_free(net);
    if (rc)
        return rc;
    return sink == sink ? LESDE_OK : LESDE_FAIL; /* NaN: training diverged */
}

void cnn_bench_print(FILE *f, const cnn_bench_result *r)
{
    fprintf(f, "lesde_us_per_step %.1f\n", r->us_per_step);
    fprintf(f, "lesde_us_per_step_best %.1f\n", r->us_per_step_best);
    fprintf(f, "lesde_us_per_step_cpu %.1f\n", r->us_per_step_cpu);
    fprintf(f, "lesde_us_per_step_nograd %.1f\n", r->us_per_step_nograd);
    fprintf(f, "lesde_bench_config channels=%d k=%d steps=%d infer_n=%d\n", r->in_channels, r->k,
            r->steps, r->infer_n);
    fprintf(f, "lesde_infer_samples_per_s %.0f\n", r->infer_samples_per_s);
    fprintf(f, "lesde_infer_gflops %.2f\n", r->infer_gflops);
    fprintf(f, "lesde_fma_peak_gflops %.2f\n", r->fma_peak_gflops);
    fprintf(f, "openblas_infer_gflops %.2f\n", r->blas_infer_gflops);
    fprintf(f, "openblas_gemm_gflops %.2f\n", r->blas_gemm_gflops);
    fprintf(f, "openblas_infer_chunk %d\n", r->blas_chunk);
    fprintf(f, "openblas_infer_max_diff %.2g\n", r->blas_max_diff);
    fprintf(f, "lesde_over_openblas_infer %.2f\n", r->infer_gflops / r->blas_infer_gflops);
    fprintf(f, "openblas_fc1_us_per_step %.1f\n", r->blas_fc1_us_per_step);
    fprintf(f, "openblas_config %s\n", r->blas_config ? r->blas_config : "?");
    fprintf(f, "lesde_kernels %s\n", r->kernels);
    char cpu[128];
    nn_cpu_name(cpu, sizeof cpu);
    fprintf(f, "lesde_cpu %s\n", cpu);
}
