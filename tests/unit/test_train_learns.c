/* train, learning: the acceptance on GeoMNIST (K = 3, 500 per
 * class, 10,000 iterations, seeds 0..2: median final validation accuracy
 * >= 0.93; with p_err = 2/3, where labels carry no information, within
 * 0.12 of 1/3) and on Fashion-MNIST, with the recorder's invariants on
 * the way. Seven full runs: ~12 s, ~5.5 min under ASan, whose pass leaves
 * it out (the same code runs there on short runs: test_train, e2e). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train/train.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over seeds 0..2 of the final validation accuracy at p_err. */
static double median_final(double p_err, double *loss0)
{
    double acc[3];
    for (int s = 0; s < 3; s++) {
        train_config c;
        train_config_default(&c);
        c.p_err = p_err;
        c.seed = (uint64_t)s;
        c.fit = 0;
        train_result r;
        lesde_err e = {0};
        int rc = train_run(&c, &r, &e);
        CHECK(rc == LESDE_OK, "train_run: %s", e.msg);
        if (rc)
            return NAN;
        acc[s] = r.final_val_acc;
        if (loss0)
            *loss0 = r.val_loss[0];
        /* Recorder invariants on the way. */
        CHECK(r.C == 101 && r.t[0] == 0 && r.t[r.C - 1] == 10000, "schedule");
        CHECK(r.n_probe == 300, "probe size %d", r.n_probe);
        int bad = 0;
        for (int i = 0; i < r.n_probe; i++)
            bad += r.probe_index[i] < 0 || r.probe_index[i] >= 1500;
        CHECK(bad == 0, "probe indices in range");
        for (long i = 0; i < c.iters; i++)
            bad += r.sample_index[i] < 0 || r.sample_index[i] >= 1500;
        CHECK(bad == 0, "sample indices in range");
        printf("  p_err %.4f seed %d: final val acc %.4f loss %.4f (%.2f s)\n", p_err, s,
               r.final_val_acc, r.final_val_loss, r.train_seconds);
        train_result_free(&r);
    }
    qsort(acc, 3, sizeof acc[0], cmp_double);
    return acc[1];
}

/* Real images: Fashion-MNIST T-shirt against trouser (classes 0, 1),
 * 5,000 steps: final validation accuracy at least 0.95. */
static void test_fashion_mnist(void)
{
    train_config c;
    train_config_default(&c);
    c.dataset = DATA_FASHION_MNIST;
    c.k = 2;
    c.iters = 5000;
    c.checkpoints = 51;
    c.fit = 0;
    train_result r;
    lesde_err e = {0};
    int rc = train_run(&c, &r, &e);
    CHECK(rc == LESDE_OK, "fashion-mnist run: %s", e.msg);
    if (rc)
        return;
    printf("  fashion-mnist K=2: final val acc %.4f (%.2f s)\n", r.final_val_acc, r.train_seconds);
    CHECK(r.final_val_acc >= 0.95, "fashion-mnist K=2 accuracy %.4f >= 0.95", r.final_val_acc);
    train_result_free(&r);
}

int main(void)
{
    test_fashion_mnist();
    double loss0 = 0;
    double clean = median_final(0.0, NULL);
    CHECK(clean >= 0.93, "clean GeoMNIST median final accuracy %.4f >= 0.93", clean);
    double random = median_final(2.0 / 3.0, &loss0);
    CHECK(fabs(random - 1.0 / 3.0) <= 0.12, "p_err 2/3 median %.4f within 0.12 of 1/3", random);
    CHECK(fabs(loss0 - log(3.0)) < 0.15, "initial loss %.4f near ln 3", loss0);
    return check_done("test_train_learns");
}
