/* lesde train: one training run, written as a one-task store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "data/data.h"
#include "nn/cnn.h"
#include "spec/spec.h"
#include "store/store.h"
#include "train/train.h"

static void help(void)
{
    train_config d;
    train_config_default(&d);
    printf("Usage: lesde train [OPTIONS] --out FILE.h5\n\n"
           "Trains the CNN of le-sde.md by batch-1 SGD, records per-class mean logits,\n"
           "losses and accuracies at checkpoints, fits the LE dynamics (unless --no-fit)\n"
           "and writes one HDF5 file laid out as one task of a sweep store. The file\n"
           "holds every parameter, the initial weights and the sample drawn at each step,\n"
           "so the run can be replayed elsewhere (add --save-data for the images).\n\n"
           "Options:\n"
           "  --dataset NAME          geomnist | fashion-mnist | cifar10 (default geomnist)\n"
           "  --data-dir DIR          where fashion-mnist / cifar10 files are\n"
           "  --classes K             number of classes (default %d)\n"
           "  --class-ids LIST        source classes, comma-separated (default: first K)\n"
           "  --train-per-class N     training samples per class (default %d)\n"
           "  --val-per-class N       validation samples per class (default %d)\n"
           "  --p-err P               label pollution ratio in [0, 1] (default 0)\n"
           "  --iters T               SGD steps (default %ld)\n"
           "  --lr LR                 learning rate (default %g)\n"
           "  --checkpoints C         checkpoints including 0 and T (default %d)\n"
           "  --log-spacing           log-spaced checkpoints (default linear)\n"
           "  --val-checkpoints V     validation checkpoints, linear, including 0 and T\n"
           "                          (default: C, at most %d)\n"
           "  --probe-per-class N     probe samples per class (default %d)\n"
           "  --snapshots S           checkpoints with per-sample probe logits (default %d)\n"
           "  --ref-every N           also record the probe every N iterations of the last\n"
           "                          1,000, where the reference method fits its scalar\n"
           "                          (1: as the reference code; 0, default: checkpoints)\n"
           "  --seed S                seed of data, init and sample order (default 0)\n"
           "  --no-fit                skip the LE fit\n"
           "  --sg-order N            Savitzky-Golay order (default %d)\n"
           "  --sg-window ITERS       Savitzky-Golay window in iterations (default %g)\n"
           "  --tail-frac F           tail window for tail indices (default %g)\n"
           "  --save-data             also store the training and validation images\n"
           "  --out FILE.h5           output file (required; FILE.h5.tmp until complete;\n"
           "                          replaces only a lesde store no sweep is writing)\n"
           "  --quiet                 no progress\n"
           "  -h, --help              this help\n\n"
           "One training on one process: under mpirun with more ranks it refuses (many\n"
           "trainings in parallel are a sweep: lesde sweep).\n\n%s",
           d.k, d.train_per_class, d.val_per_class, d.iters, d.lr, d.checkpoints,
           TRAIN_VAL_CHECKPOINTS, d.probe_per_class, d.snapshots, d.fit_opts.sg_order,
           d.fit_opts.sg_window, d.fit_opts.tail_frac, cli_exit_codes);
}

typedef struct {
    log_progress prog;
    long iters;
} poll_ctx;

static int progress(void *ctx, long it)
{
    poll_ctx *p = ctx;
    log_progress_update(&p->prog, "train", it, 0, p->iters, it,
                        p->iters > 0 ? (double)it / (double)p->iters : 1.0, 0);
    return 0;
}

/* The spec text of a one-task sweep holding exactly this configuration. */
static char *spec_text(const train_config *c)
{
    char ids[256] = "";
    for (int i = 0; i < c->n_class_ids; i++)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%d", i ? " " : "",
                 c->class_ids[i]);
    char *t = malloc(8192);
    if (!t)
        return NULL;
    int n = snprintf(t, 8192,
                     "# written by lesde train\n[sweep]\nname = train\nseeds = %llu\n\n"
                     "[study.train]\nkind = train\ndataset = %s\nclasses = %d\n"
                     "train_per_class = %d\nval_per_class = %d\np_err = %.17g\n"
                     "iters = %ld\nlr = %.17g\ncheckpoints = %d\nspacing = %s\n"
                     "val_checkpoints = %d\n"
                     "probe_per_class = %d\nsnapshots = %d\nfit = %s\nsg_order = %d\n"
                     "sg_window = %.17g\ntail_frac = %.17g\n",
                     (unsigned long long)c->seed, data_kind_name(c->dataset), c->k,
                     c->train_per_class, c->val_per_class, c->p_err, c->iters, c->lr,
                     c->checkpoints, c->log_spacing ? "log" : "linear", c->val_checkpoints,
                     c->probe_per_class,
                     c->snapshots, c->fit ? "true" : "false", c->fit_opts.sg_order,
                     c->fit_opts.sg_window, c->fit_opts.tail_frac);
    if (c->ref_every)
        n += snprintf(t + n, 8192 - n, "ref_every = %d\n", c->ref_every);
    if (c->data_dir)
        n += snprintf(t + n, 8192 - n, "data_dir = %s\n", c->data_dir);
    if (c->n_class_ids)
        snprintf(t + n, 8192 - n, "class_ids = %s\n", ids);
    return t;
}

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dataset", 1, 0, 'd'}, {"data-dir", 1, 0, 'D'}, {"classes", 1, 0, 'k'},
        {"class-ids", 1, 0, 'I'}, {"train-per-class", 1, 0, 'n'},
        {"val-per-class", 1, 0, 'v'}, {"p-err", 1, 0, 'p'}, {"iters", 1, 0, 'T'},
        {"lr", 1, 0, 'l'}, {"checkpoints", 1, 0, 'c'}, {"log-spacing", 0, 0, 'L'},
        {"val-checkpoints", 1, 0, 'A'}, {"ref-every", 1, 0, 'R'},
        {"probe-per-class", 1, 0, 'P'}, {"snapshots", 1, 0, 'S'}, {"seed", 1, 0, 's'},
        {"no-fit", 0, 0, 'F'}, {"sg-order", 1, 0, 'o'}, {"sg-window", 1, 0, 'w'},
        {"tail-frac", 1, 0, 'f'}, {"save-data", 0, 0, 'X'}, {"out", 1, 0, 'O'},
        {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    train_config c;
    train_config_default(&c);
    const char *out = NULL;
    int quiet = 0;
    long v;
    double x;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'h': help(); return 0;
        case 'd':
            if ((v = data_kind_parse(optarg)) < 0)
                return cli_usage("train", "unknown dataset '%s' (geomnist, fashion-mnist, cifar10)", optarg);
            c.dataset = (data_kind)v;
            break;
        case 'D': c.data_dir = optarg; break;
        case 'I': {
            char *save = NULL, buf[256];
            snprintf(buf, sizeof buf, "%s", optarg);
            c.n_class_ids = 0;
            for (char *s = strtok_r(buf, ", ", &save); s; s = strtok_r(NULL, ", ", &save)) {
                if (cli_long(s, &v) || v < 0 || v > 9 || c.n_class_ids == DATA_MAX_K)
                    return cli_usage("train", "bad --class-ids '%s'", optarg);
                c.class_ids[c.n_class_ids++] = (int)v;
            }
            break;
        }
        case 'k': case 'n': case 'v': case 'T': case 'c': case 'P': case 'S':
        case 's': case 'o': case 'A': case 'R':
            if (cli_long(optarg, &v))
                return cli_usage("train", "--%s needs an integer, not '%s'",
                                 ch == 'k' ? "classes" : ch == 'n' ? "train-per-class"
                                 : ch == 'v' ? "val-per-class" : ch == 'T' ? "iters"
                                 : ch == 'c' ? "checkpoints" : ch == 'P' ? "probe-per-class"
                                 : ch == 'S' ? "snapshots" : ch == 's' ? "seed"
                                 : ch == 'A' ? "val-checkpoints" : ch == 'R' ? "ref-every"
                                 : "sg-order",
                                 optarg);
            if (ch == 's' && v < 0)
                return cli_usage("train", "--seed must be non-negative");
            if (ch != 'T' && ch != 's' && (v < -1000000000L || v > 1000000000L))
                return cli_usage("train", "'%s' is out of range", optarg);
            switch (ch) {
            case 'k': c.k = (int)v; break;
            case 'n': c.train_per_class = (int)v; break;
            case 'v': c.val_per_class = (int)v; break;
            case 'T': c.iters = v; break;
            case 'c': c.checkpoints = (int)v; break;
            case 'A': c.val_checkpoints = (int)v; break;
            case 'R': c.ref_every = (int)v; break;
            case 'P': c.probe_per_class = (int)v; break;
            case 'S': c.snapshots = (int)v; break;
            case 's': c.seed = (uint64_t)v; break;
            case 'o': c.fit_opts.sg_order = (int)v; break;
            }
            break;
        case 'p': case 'l': case 'w': case 'f':
            if (cli_double(optarg, &x))
                return cli_usage("train", "--%s needs a number, not '%s'",
                                 ch == 'p' ? "p-err" : ch == 'l' ? "lr"
                                 : ch == 'w' ? "sg-window" : "tail-frac", optarg);
            if (ch == 'w' && !(x > 0))
                return cli_usage("train", "--sg-window needs iterations > 0, not '%s'", optarg);
            if (ch == 'p') c.p_err = x;
            else if (ch == 'l') c.lr = x;
            else if (ch == 'w') c.fit_opts.sg_window = x;
            else c.fit_opts.tail_frac = x;
            break;
        case 'L': c.log_spacing = 1; break;
        case 'F': c.fit = 0; break;
        case 'X': c.save_data = 1; break;
        case 'O': out = optarg; break;
        case 'q': quiet = 1; break;
        default: return cli_bad_option("train", ch, argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("train", "unexpected argument '%s'", argv[optind]);
    if (cli_empty_name("train", "--out", out))
        return LESDE_USAGE;
    int one = cli_one_process("train");
    if (one >= 0)
        return one;
    if (!out)
        return cli_usage("train", "--out FILE.h5 is required");
    lesde_err e = {0};
    if (train_config_check(&c, &e))
        return cli_usage("train", "%s", e.msg);
    int keep = cli_out_replaceable(out);
    if (keep)
        return keep;

    char *text = spec_text(&c);
    spec s;
    if (!text || spec_parse(&s, text, "lesde train", NULL, 0, &e)) {
        free(text);
        if (!text)
            return cli_fail(&e);
        /* The spec is made from the options: say what is wrong without
         * the line of a text the user never saw ("lesde train:24: "). */
        const char *m = e.msg;
        if (!strncmp(m, "lesde train:", 12) && (m = strstr(m + 12, ": ")))
            return cli_usage("train", "%s", m + 2);
        return cli_usage("train", "%s", e.msg);
    }
    free(text);

    /* Create the file before training, so a bad path fails at once. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    unlink(tmp);
    store_opts so = {.comm = MPI_COMM_NULL, .save_data = c.save_data};
    store *st = NULL;
    double t_start = log_now();
    if (store_create(tmp, &s, &so, &st, &e)) {
        spec_free(&s);
        return cli_fail(&e);
    }
    spec_task task;
    train_config tc;
    spec_task_get(&s, 0, &task);
    spec_task_train(&s, &task, &tc);
    tc.save_data = c.save_data;
    poll_ctx pc = {.iters = tc.iters};
    log_set_quiet(quiet);
    log_progress_start(&pc.prog, 10.0);
    tc.poll = quiet ? NULL : progress;
    tc.poll_ctx = &pc;

    /* One task: nothing would ask for its data again, so no cached copy
     * (a copy of every image, ~12 ms for the quickstart's). */
    data_cache_limit(0);
    train_result r;
    double t0 = log_now(), t_file = t0 - t_start; /* creating the file */
    int rc = train_run(&tc, &r, &e);
    log_progress_end(&pc.prog);
    double t1 = log_now();
    if (!rc)
        rc = store_write_train(st, &task, &r, t1 - t0, 0, &e);
    int rc2 = store_close(st, rc ? NULL : &e);
    if (!rc)
        rc = rc2;
    /* Its summaries across seeds (of one): the file reports like a sweep's. */
    if (!rc)
        rc = store_summarize(tmp, &e);
    t_file += log_now() - t1; /* writing, closing and summarising it */
    if (!rc && rename(tmp, out) != 0)
        rc = err_set(&e, LESDE_FAIL, "cannot rename %s to %s", tmp, out);
    if (rc) {
        unlink(tmp);
        spec_free(&s);
        train_result_free(&r); /* safe after a failed train_run: it left r empty */
        return cli_fail(&e);
    }
    printf("wrote %s\n", out);
    printf("final validation accuracy %.4f, loss %.4f (mean over the last 5%% of iterations)\n",
           r.final_val_acc, r.final_val_loss);
    printf("training %.2f s (%.1f us/step, %s kernels)", r.train_seconds,
           1e6 * r.train_seconds / tc.iters, cnn_kernel_name());
    if (r.fitted)
        printf(", fit %.3f s (%.2f%% of training)\n", r.fit_seconds,
               100 * r.fit_seconds / r.train_seconds);
    else
        printf("\n");
    /* the rest of the command's time, for benchmarks of the whole task */
    printf("outside training: data %.3f s, the file %.3f s (created, written, summarised); "
           "%.2f s in all\n",
           r.data_seconds, t_file, log_now() - t_start);
    if (r.fitted) {
        const le_fit_result *f = &r.fit;
        int C = f->C, K = f->K;
        double rd_pl = 0, rd_etf = 0;
        for (int k = 0; k < K; k++) {
            rd_pl += f->rd[LE_VAR_PLATEAU][LE_SIM_L_UNDER_L][(C - 1) * K + k] / K;
            rd_etf += f->rd_etf[(C - 1) * K + k] / K;
        }
        printf("tail indices (by differences over [T/10, T]): I-model alpha %.3f beta %.3f "
               "gamma %.3f; L-model alpha %.3f beta %.3f gamma %.3f\n",
               f->tail[LE_MODEL_I][LE_Q_ALPHA], f->tail[LE_MODEL_I][LE_Q_BETA],
               f->tail[LE_MODEL_I][LE_Q_GAMMA], f->tail[LE_MODEL_L][LE_Q_ALPHA],
               f->tail[LE_MODEL_L][LE_Q_BETA], f->tail[LE_MODEL_L][LE_Q_GAMMA]);
        printf("plateau ends at t = %g; final RD of the L-model from there %.3f, of the ETF "
               "baseline %.3f\n", f->plateau_t, rd_pl, rd_etf);
    }
    train_result_free(&r);
    spec_free(&s);
    return 0;
}
