/* train: the checkpoint schedules, the "final" metric, the configuration
 * checks and the validation cadence, on short runs. Whether the network
 * learns (10,000-step runs) is test_train_learns.c, which the ASan pass
 * leaves out (tests/run.sh). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train/train.h"

static void test_checkpoints(void)
{
    long t[200];
    int n = train_checkpoints(10000, 101, 0, t);
    CHECK(n == 101, "linear count %d", n);
    CHECK(t[0] == 0 && t[100] == 10000 && t[1] == 100 && t[50] == 5000, "linear values");
    n = train_checkpoints(7, 8, 0, t);
    CHECK(n == 8 && t[7] == 7, "every iteration: %d", n);
    for (int i = 0; i < 8; i++)
        CHECK(t[i] == i, "t[%d] = %ld", i, t[i]);
    n = train_checkpoints(100000, 50, 1, t);
    CHECK(t[0] == 0 && t[1] == 1 && t[n - 1] == 100000, "log ends: %ld %ld %ld", t[0], t[1],
          t[n - 1]);
    int inc = 1;
    for (int i = 1; i < n; i++)
        inc &= t[i] > t[i - 1];
    CHECK(inc, "log strictly increasing");
    CHECK(n >= 45 && n <= 50, "log distinct count %d", n);
    /* log spacing: ratio between late neighbours is about constant */
    double r1 = (double)t[n - 1] / t[n - 2], r2 = (double)t[n - 2] / t[n - 3];
    CHECK(fabs(r1 - r2) < 0.02, "log ratios %g %g", r1, r2);
}

static void test_final_mean(void)
{
    long t[] = {0, 50, 90, 95, 96, 100};
    double v[] = {0, 0, 0, 1, 2, 3};
    CHECK_NEAR(train_final_mean(t, v, 6), 2.0, 1e-15);
}

static void test_config_check(void)
{
    train_config c;
    lesde_err e;
    train_config_default(&c);
    CHECK(train_config_check(&c, &e) == LESDE_OK, "defaults valid: %s", e.msg);
    c.k = 1;
    CHECK(train_config_check(&c, &e) == LESDE_USAGE && strstr(e.msg, "classes"), "K=1: %s", e.msg);
    train_config_default(&c);
    c.p_err = 1.5;
    CHECK(train_config_check(&c, &e) == LESDE_USAGE && strstr(e.msg, "p_err"), "p_err: %s", e.msg);
    train_config_default(&c);
    c.lr = 0;
    CHECK(train_config_check(&c, &e) == LESDE_USAGE && strstr(e.msg, "lr"), "lr: %s", e.msg);
    train_config_default(&c);
    c.iters = 0;
    CHECK(train_config_check(&c, &e) == LESDE_USAGE && strstr(e.msg, "iterations"), "iters");
}

/* A short run of small sets, 41 log-spaced checkpoints over 400 steps. */
static void tiny_config(train_config *c, uint64_t seed)
{
    train_config_default(c);
    c->iters = 400;
    c->train_per_class = 30;
    c->val_per_class = 20;
    c->probe_per_class = 10;
    c->checkpoints = 41;
    c->log_spacing = 1;
    c->snapshots = 0;
    c->seed = seed;
}

/* The validation set has its own linear schedule; where the two runs'
 * schedules share an iteration they give the same bytes, and the probe
 * (log-spaced here) does not depend on how often validation ran. */
static void test_val_cadence(void)
{
    train_config c;
    tiny_config(&c, 5);
    c.fit = 0;
    c.val_checkpoints = 5;
    train_result a, b;
    lesde_err e = {0};
    CHECK(train_run(&c, &a, &e) == LESDE_OK, "train_run (V = 5): %s", e.msg);
    c.val_checkpoints = 0; /* default: min(C, 101) = 41, linear */
    CHECK(train_run(&c, &b, &e) == LESDE_OK, "train_run (V default): %s", e.msg);
    CHECK(a.V == 5 && b.V == 41, "V %d and %d", a.V, b.V);
    int lin = 1;
    for (int v = 0; v < a.V; v++)
        lin &= a.val_t[v] == 100L * v;
    CHECK(lin, "validation schedule 0, 100, ..., 400");
    CHECK(a.C == b.C && a.t[1] == 1 && a.t[a.C - 1] == 400, "probe schedule log-spaced (C %d)",
          a.C);
    CHECK(!memcmp(a.xbar_probe, b.xbar_probe, sizeof(double) * a.C * 9),
          "probe means do not depend on the validation cadence");
    int same = 1;
    for (int v = 0; v < a.V; v++) /* a's t = 100 v is b's checkpoint 10 v */
        same &= !memcmp(a.xbar_val + v * 9, b.xbar_val + v * 10 * 9, sizeof(double) * 9) &&
                a.val_acc[v] == b.val_acc[v * 10];
    CHECK(same, "validation at shared iterations is the same bytes");
    CHECK(a.final_val_acc == a.val_acc[4], "final accuracy: the one checkpoint in the last 5%%");
    train_result_free(&a);
    train_result_free(&b);
    c.val_checkpoints = 1;
    CHECK(train_config_check(&c, &e) == LESDE_USAGE && strstr(e.msg, "validation"),
          "one validation checkpoint refused: %s", e.msg);
}

/* ref_every: the probe's means at every ref_every-th iteration of the last
 * fit_opts.ref_tail, which the reference method's scalar is then fitted on;
 * the training itself and every checkpoint's record stay the same bytes. */
static void test_ref_records(void)
{
    train_config c;
    tiny_config(&c, 7);
    c.fit_opts.ref_tail = 100;
    long t[300];
    CHECK(train_ref_records(&c, t) == 0, "off by default");
    c.ref_every = 1;
    CHECK(train_ref_records(&c, t) == 100 && t[0] == 301 && t[99] == 400, "every 1: 301..400");
    c.ref_every = 30;
    CHECK(train_ref_records(&c, t) == 3 && t[0] == 340 && t[1] == 370 && t[2] == 400,
          "every 30: 340, 370, 400");
    c.ref_every = 2;
    c.fit_opts.ref_tail = 1000; /* longer than the run: from 0 on */
    CHECK(train_ref_records(&c, t) == 201 && t[0] == 0 && t[200] == 400, "every 2 of a short run");
    c.ref_every = 500;
    CHECK(train_ref_records(&c, t) == 1 && t[0] == 400, "a stride longer than the run: T alone");

    c.fit_opts.ref_tail = 100;
    c.ref_every = 0;
    train_result a, b;
    lesde_err e = {0};
    CHECK(train_run(&c, &a, &e) == LESDE_OK, "train_run (ref_every 0): %s", e.msg);
    c.ref_every = 1;
    CHECK(train_run(&c, &b, &e) == LESDE_OK, "train_run (ref_every 1): %s", e.msg);
    CHECK(a.R == 0 && b.R == 100 && b.ref_t[0] == 301 && b.ref_t[99] == 400, "R %d, %d", a.R, b.R);
    CHECK(a.C == b.C && !memcmp(a.xbar_probe, b.xbar_probe, sizeof(double) * a.C * 9) &&
              !memcmp(a.sample_index, b.sample_index, sizeof(int) * 400),
          "the records change neither the training nor the checkpoints");
    CHECK(!memcmp(b.xbar_ref + 99 * 9, b.xbar_probe + (b.C - 1) * 9, sizeof(double) * 9),
          "the record at T is the checkpoint at T");
    int moved = 0;
    for (int r = 1; r < b.R; r++)
        moved += memcmp(b.xbar_ref + r * 9, b.xbar_ref + (r - 1) * 9, sizeof(double) * 9) != 0;
    CHECK(moved == b.R - 1, "every SGD step moves the probe's means (%d of %d)", moved, b.R - 1);
    CHECK(a.fitted && b.fitted, "both fitted");
    int same_tail = 1, other = 0;
    for (int m = 0; m < LE_NUM_MODELS; m++)
        same_tail &= !memcmp(a.fit.A[m], b.fit.A[m], sizeof(double) * a.C);
    for (int s = 0; s < LE_NUM_SIMS; s++)
        other += isfinite(b.fit.ref_scale[s]) && b.fit.ref_scale[s] != a.fit.ref_scale[s];
    CHECK(same_tail && other > 0, "the fit's A is the same, the reference scalar is not (%d)",
          other);
    train_result_free(&a);
    train_result_free(&b);
    c.ref_every = -1;
    CHECK(train_config_check(&c, &e) == LESDE_USAGE && strstr(e.msg, "ref_every"),
          "negative ref_every refused: %s", e.msg);
}

int main(void)
{
    test_checkpoints();
    test_val_cadence();
    test_ref_records();
    test_final_mean();
    test_config_check();
    return check_done("test_train");
}
