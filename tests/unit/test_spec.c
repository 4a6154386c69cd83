/* test_spec: parsing, validation, expansion, hashing of sweep specs.
 *
 *   test_spec                   runs the tests (from the source root: it also
 *                               checks tests/specs/bad/ and smoke.ini)
 *   test_spec --write-bad DIR   writes the malformed specs below as files */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "spec/spec.h"

/* ---- a good spec ---- */

static const char *good = "; three studies: two train, one sde\n"
                          "[sweep]\n"
                          "name = unit\n"
                          "seeds = 0..2\n"
                          "description = unit test sweep\n"
                          "\n"
                          "[study.pollution]\n"
                          "kind = train\n"
                          "dataset = geomnist\n"
                          "classes = 2..4          ; an axis of 3\n"
                          "p_err = 0, 0.5, 2/3     ; an axis of 3\n"
                          "iters = 2000\n"
                          "lr = 0.005\n"
                          "checkpoints = 21\n"
                          "train_per_class = 50\n"
                          "val_per_class = 40\n"
                          "probe_per_class = 10\n"
                          "snapshots = 2\n"
                          "\n"
                          "[study.kablate]\n"
                          "kind = train\n"
                          "dataset = fashion-mnist\n"
                          "classes = 2, 5, 10\n"
                          "rho = 0, 1\n"
                          "iters = 500\n"
                          "checkpoints = 11\n"
                          "seeds = 7, 9\n"
                          "fit = false\n"
                          "spacing = log\n"
                          "data_dir = /tmp/fm\n"
                          "\n"
                          "[study.gamma]\n"
                          "kind = sde\n"
                          "classes = 3\n"
                          "n = 20\n"
                          "s = 0.5, 1, 1.5\n"
                          "T = 1e6\n"
                          "n_obs = 5\n"
                          "model = I\n"
                          "seeds = 10..11\n";

static void test_good(void)
{
    spec s;
    lesde_err e;
    int rc = spec_parse(&s, good, "good.ini", NULL, 0, &e);
    CHECK(rc == LESDE_OK, "parse: %s", e.msg);
    if (rc)
        return;
    CHECK(strcmp(s.name, "unit") == 0, "name %s", s.name);
    CHECK(s.description && strcmp(s.description, "unit test sweep") == 0, "description");
    CHECK(s.n_seeds == 3 && s.seeds[2] == 2, "sweep seeds");
    CHECK(s.n_studies == 3, "%d studies", s.n_studies);
    CHECK(s.n_tasks == 6 + 12 + 27, "%ld tasks", s.n_tasks);
    CHECK(strlen(s.hash) == 16, "hash %s", s.hash);

    /* sorted by name: gamma, kablate, pollution */
    const spec_study *g = &s.studies[0], *k = &s.studies[1], *p = &s.studies[2];
    CHECK(strcmp(g->name, "gamma") == 0 && strcmp(k->name, "kablate") == 0 &&
              strcmp(p->name, "pollution") == 0,
          "order %s %s %s", g->name, k->name, p->name);
    CHECK(g->kind == SPEC_SDE && k->kind == SPEC_TRAIN && p->kind == SPEC_TRAIN, "kinds");
    CHECK(g->first_task == 0 && k->first_task == 6 && p->first_task == 18, "first tasks");

    /* pollution: axes classes (2, 3, 4) and p_err (0, 0.5, 2/3); seeds 0..2 */
    CHECK(p->n_axes == 2, "pollution axes %d", p->n_axes);
    CHECK(strcmp(p->axes[0].key, "classes") == 0 && strcmp(p->axes[1].key, "p_err") == 0,
          "axis keys %s %s", p->axes[0].key, p->axes[1].key);
    CHECK(p->axes[0].n == 3 && p->axes[0].values[0] == 2 && p->axes[0].values[2] == 4,
          "classes values");
    CHECK(p->axes[1].n == 3 && p->axes[1].values[2] == 2.0 / 3.0, "p_err 2/3 = %.17g",
          p->axes[1].values[2]);
    CHECK(strcmp(p->axes[1].labels[1], "0.5") == 0, "label %s", p->axes[1].labels[1]);
    CHECK(strcmp(p->axes[1].labels[2], "0.6666666666666666") == 0, "label %s",
          p->axes[1].labels[2]);
    CHECK(p->n_points == 9 && p->n_seeds == 3 && p->n_tasks == 27, "pollution sizes");
    CHECK(p->seeds[0] == 0 && p->seeds[1] == 1 && p->seeds[2] == 2, "pollution seeds");
    CHECK(spec_point_coord(p, 5, 0) == 1 && spec_point_coord(p, 5, 1) == 2, "coords of 5");
    CHECK(spec_axis_find(p, "p_err") == 1 && spec_axis_find(p, "iters") == -1, "axis_find");
    /* spec_scalar: the value of a fixed key; -1 for an axis or no single value */
    double v = -1;
    const char *w = "x";
    CHECK(spec_scalar(p, "iters", &v, &w) == 0 && v == 2000 && w == NULL, "scalar iters %g", v);
    CHECK(spec_scalar(p, "lr", &v, &w) == 0 && v == 0.005 && w == NULL, "scalar lr %g", v);
    CHECK(spec_scalar(p, "dataset", &v, &w) == 0 && w && strcmp(w, "geomnist") == 0,
          "scalar dataset %s", w ? w : "(null)");
    CHECK(spec_scalar(p, "p_err", &v, &w) == -1 && spec_scalar(p, "data_dir", &v, &w) == -1 &&
              spec_scalar(p, "seeds", &v, &w) == -1 && spec_scalar(p, "rho", &v, &w) == -1 &&
              spec_scalar(p, "nosuch", &v, &w) == -1 && spec_scalar(p, "s", &v, &w) == -1,
          "scalar: axis, text, seeds, the derived rho, unknown, another kind's key");
    /* spec_word_of: a word as a spec reads it */
    CHECK(spec_word_of(p, "fit", "yes") == 1 && spec_word_of(p, "fit", "1") == 1 &&
              spec_word_of(p, "fit", "TRUE") == 1 && spec_word_of(p, "fit", "off") == 0 &&
              spec_word_of(p, "fit", "maybe") == -1,
          "word_of fit");
    CHECK(spec_word_of(p, "dataset", "GeoMNIST") == 0 && spec_word_of(p, "dataset", "x") == -1 &&
              spec_word_of(p, "iters", "1") == -1 && spec_word_of(p, "nosuch", "1") == -1,
          "word_of: any case; a number key or unknown key takes no words");

    /* task 34 = pollution, point 5 (classes 3, p_err 2/3), seed index 1 */
    spec_task t;
    CHECK(spec_task_get(&s, 34, &t) == LESDE_OK, "get 34");
    CHECK(t.id == 34 && t.study == 2 && t.point == 5 && t.seed_index == 1 && t.seed == 1,
          "task 34: study %d point %ld seed %d", t.study, t.point, t.seed_index);
    train_config tc;
    CHECK(spec_task_train(&s, &t, &tc) == LESDE_OK, "train config");
    CHECK(tc.k == 3 && tc.p_err == 2.0 / 3.0 && tc.iters == 2000 && tc.lr == 0.005 &&
              tc.checkpoints == 21 && tc.train_per_class == 50 && tc.val_per_class == 40 &&
              tc.probe_per_class == 10 && tc.snapshots == 2 && tc.seed == 1 &&
              tc.dataset == DATA_GEOMNIST && tc.fit == 1 && tc.log_spacing == 0 &&
              tc.data_dir == NULL && tc.n_class_ids == 0,
          "task 34 fields: k %d p_err %g iters %ld", tc.k, tc.p_err, tc.iters);
    le_sde_config sc;
    CHECK(spec_task_sde(&s, &t, &sc) == LESDE_USAGE, "sde config of a train task");
    char label[256];
    spec_task_label(&s, &t, label, sizeof label);
    CHECK(strcmp(label, "pollution/classes=3,p_err=0.6666666666666666/seed=1") == 0, "label %s",
          label);

    /* kablate: rho turned into p_err per K: rho (K-1)/K */
    CHECK(k->n_axes == 2 && strcmp(k->axes[0].key, "classes") == 0 &&
              strcmp(k->axes[1].key, "rho") == 0 && k->rho_given,
          "kablate axes");
    CHECK(k->n_seeds == 2 && k->seeds[0] == 7 && k->seeds[1] == 9, "kablate seeds");
    static const int ks[] = {2, 5, 10};
    for (int ki = 0; ki < 3; ki++)
        for (int ri = 0; ri < 2; ri++) {
            long id = 6 + (ki * 2 + ri) * 2 + 1;
            CHECK(spec_task_get(&s, id, &t) == LESDE_OK && spec_task_train(&s, &t, &tc) == 0,
                  "kablate task %ld", id);
            double want = ri ? (ks[ki] - 1.0) / ks[ki] : 0.0;
            CHECK(tc.k == ks[ki], "task %ld k %d", id, tc.k);
            CHECK_NEAR(tc.p_err, want, 1e-15);
            CHECK(tc.seed == 9 && tc.dataset == DATA_FASHION_MNIST && tc.fit == 0 &&
                      tc.log_spacing == 1 && tc.iters == 500 && tc.checkpoints == 11,
                  "kablate task %ld fields", id);
            CHECK(tc.data_dir && strcmp(tc.data_dir, "/tmp/fm") == 0, "data_dir");
        }

    /* gamma: s axis, p follows K */
    CHECK(g->n_axes == 1 && strcmp(g->axes[0].key, "s") == 0 && g->axes[0].n == 3, "gamma axes");
    CHECK(g->n_seeds == 2 && g->seeds[0] == 10 && g->seeds[1] == 11, "gamma seeds");
    CHECK(spec_task_get(&s, 3, &t) == LESDE_OK, "get 3");
    CHECK(t.study == 0 && t.point == 1 && t.seed == 11, "task 3");
    CHECK(spec_task_sde(&s, &t, &sc) == LESDE_OK, "sde config");
    CHECK(sc.K == 3 && sc.p == 3 && sc.n == 20 && sc.s == 1.0 && sc.T == 1e6 && sc.n_obs == 5 &&
              sc.model == LE_MODEL_I && sc.c == 0.5 && sc.seed == 11 &&
              sc.schedule == LE_SCHED_POWER,
          "task 3 fields: K %d p %d s %g", sc.K, sc.p, sc.s);
    CHECK(spec_task_train(&s, &t, &tc) == LESDE_USAGE, "train config of an sde task");

    /* every id maps back to itself; costs are positive; out of range refused */
    int ok = 1;
    for (long id = 0; id < s.n_tasks; id++) {
        const spec_study *st;
        if (spec_task_get(&s, id, &t) != LESDE_OK)
            ok = 0;
        st = &s.studies[t.study];
        if (st->first_task + t.point * st->n_seeds + t.seed_index != id || !(t.cost > 0))
            ok = 0;
    }
    CHECK(ok, "id round trip and costs");
    CHECK(spec_task_get(&s, -1, &t) == LESDE_USAGE && spec_task_get(&s, 45, &t) == LESDE_USAGE,
          "ids out of range");
    /* longer runs cost more: K = 4 over K = 2 at the same p_err, pollution over
     * kablate */
    spec_task a, b;
    spec_task_get(&s, 18, &a);         /* classes 2 */
    spec_task_get(&s, 18 + 6 * 3, &b); /* classes 4 */
    CHECK(b.cost > a.cost, "cost K4 %g > K2 %g", b.cost, a.cost);
    spec more;
    const char *longer[] = {"study.pollution.iters=20000"};
    CHECK(spec_parse(&more, good, "good.ini", longer, 1, &e) == LESDE_OK, "iters 20000");
    spec_task_get(&more, 18, &b);
    CHECK(b.cost > 5 * a.cost, "cost 20000 iters %g > 5 x 2000 iters %g", b.cost, a.cost);
    spec_free(&more);
    /* the fit's part: 2e-4 K^4 forward passes a step (the reference
     * method's propagator), 16 times more at K = 4 than at K = 2 */
    const char *nofit[] = {"study.pollution.fit=no"};
    CHECK(spec_parse(&more, good, "good.ini", nofit, 1, &e) == LESDE_OK, "fit = no");
    for (int k = 2; k <= 4; k += 2) {
        long id = 18 + (k - 2) * 9; /* pollution, classes k, p_err 0, seed 0 */
        spec_task_get(&s, id, &a);
        spec_task_get(&more, id, &b);
        double want = 2e-4 * k * k * k * k * 2000;
        CHECK(fabs((a.cost - b.cost) - want) < 1e-9 * want, "K = %d: the fit costs %g, not %g", k,
              a.cost - b.cost, want);
    }
    spec_free(&more);

    /* canonical form: expanded, %.17g, defaults filled in */
    CHECK(strstr(s.canonical, "p_err = 0, 0.5, 0.66666666666666663\n") != NULL, "canonical p_err");
    CHECK(strstr(s.canonical, "classes = 2, 3, 4\n") != NULL, "canonical range expanded");
    CHECK(strstr(s.canonical, "rho = 0, 1\n") != NULL, "canonical rho");
    CHECK(strstr(s.canonical, "seeds = 0, 1, 2\n") != NULL, "canonical seeds");
    CHECK(strstr(s.canonical, "sg_order = 2\n") != NULL, "canonical default");
    CHECK(strstr(s.canonical, "p = classes\n") != NULL, "canonical p");
    const char *kab = strstr(s.canonical, "[study.kablate]"),
               *pol = strstr(s.canonical, "[study.pollution]");
    CHECK(kab && pol && kab < pol, "canonical study order");
    if (kab && pol) { /* rho given: no p_err in that study */
        const char *pe = strstr(kab, "p_err =");
        CHECK(pe && pe > pol, "kablate has no p_err line");
    }
    /* The hash: FNV-1a of the canonical form without its description and
     * data_dir lines (which change no result). */
    uint64_t fnv = 0xcbf29ce484222325ULL;
    int at_line = 1, skip = 0, skipped = 0;
    for (const char *c = s.canonical; *c; c++) {
        if (at_line)
            skipped += skip = !strncmp(c, "description =", 13) || !strncmp(c, "data_dir =", 10);
        if (!skip)
            fnv = (fnv ^ (unsigned char)*c) * 0x100000001b3ULL;
        at_line = *c == '\n';
    }
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)fnv);
    CHECK(skipped >= 2, "canonical form has %d description / data_dir lines", skipped);
    /* hash_all (what older stores hold): FNV-1a of all of it. */
    fnv = 0xcbf29ce484222325ULL;
    for (const char *c = s.canonical; *c; c++)
        fnv = (fnv ^ (unsigned char)*c) * 0x100000001b3ULL;
    char hex_all[17];
    snprintf(hex_all, sizeof hex_all, "%016llx", (unsigned long long)fnv);
    CHECK(strcmp(hex_all, s.hash_all) == 0 && strcmp(s.hash_all, s.hash) != 0,
          "hash_all %s is FNV-1a %s of the whole canonical form", s.hash_all, hex_all);
    CHECK(spec_hash_matches(&s, s.hash) && spec_hash_matches(&s, s.hash_all) &&
              !spec_hash_matches(&s, "0123456789abcdef"),
          "a store's hash matches when it is hash or hash_all, and only then");
    CHECK(strcmp(hex, s.hash) == 0, "hash %s is FNV-1a %s of the canonical form", s.hash, hex);
    spec_free(&s);
    CHECK(s.studies == NULL && s.canonical == NULL, "spec_free clears");
}

/* ---- hashing ---- */

static int hash_of(const char *text, const char *const *sets, int n_sets, char out[17])
{
    spec s;
    lesde_err e;
    int rc = spec_parse(&s, text, "h.ini", sets, n_sets, &e);
    if (rc) {
        snprintf(out, 17, "error");
        return rc;
    }
    memcpy(out, s.hash, 17);
    spec_free(&s);
    return 0;
}

static void test_hash(void)
{
    char h0[17], h[17];
    CHECK(hash_of(good, NULL, 0, h0) == 0, "good parses");

    /* comments, spacing, key order, study order, ranges as lists,
     * explicit defaults: all the same */
    static const char *same = "# same sweep, written differently\n"
                              "[study.gamma]\n"
                              "   seeds=10,11\n"
                              "model=i\n"
                              "kind = sde\n"
                              "T = 1000000 ; a comment\n"
                              "n_obs = 5\n"
                              "classes = 3\n"
                              "p = 3                ; explicit default: p = classes\n"
                              "s = 0.5,1.0,   1.5\n"
                              "n = 20\n"
                              "noise = 0.05         ; explicit default\n"
                              "\n"
                              "[sweep]\n"
                              "description = unit test sweep\n"
                              "seeds = 0, 1, 2\n"
                              "name = unit\n"
                              "\n"
                              "[study.pollution]\n"
                              "kind = train\n"
                              "p_err = 0, 5e-1, 0.66666666666666663\n"
                              "classes = 2, 3, 4\n"
                              "dataset = GeoMNIST\n"
                              "lr = 5e-3\n"
                              "iters = 2e3\n"
                              "checkpoints = 21\n"
                              "train_per_class = 50\n"
                              "val_per_class = 40\n"
                              "probe_per_class = 10\n"
                              "snapshots = 2\n"
                              "spacing = linear     ; explicit default\n"
                              "fit = true           ; explicit default\n"
                              "seeds = 0..2         ; the sweep's seeds, spelled out\n"
                              "\n"
                              "[study.kablate]\n"
                              "kind = train\n"
                              "spacing = log\n"
                              "fit = no\n"
                              "seeds = 7, 9\n"
                              "data_dir = /tmp/fm\n"
                              "checkpoints = 11\n"
                              "iters = 500\n"
                              "rho = 0, 1\n"
                              "classes = 2, 5, 10\n"
                              "dataset = fashion-mnist\n"
                              "sg_window = 151      ; explicit default\n";
    CHECK(hash_of(same, NULL, 0, h) == 0 && strcmp(h, h0) == 0, "same spec, hash %s vs %s", h, h0);
    /* the word of p = classes is as case-insensitive as every other word */
    char *cased = strdup(same), *pc = strstr(cased, "p = 3 ");
    CHECK(pc != NULL, "same has p = 3");
    if (pc) {
        memcpy(pc, "p=Classes ", 10);
        CHECK(hash_of(cased, NULL, 0, h) == 0 && strcmp(h, h0) == 0, "p = Classes, hash %s vs %s",
              h, h0);
    }
    free(cased);

    /* a changed value changes it */
    static const char *changed_iters =
        "[sweep]\nname = unit\nseeds = 0..2\ndescription = unit test sweep\n"
        "[study.pollution]\nkind = train\ndataset = geomnist\nclasses = 2..4\n"
        "p_err = 0, 0.5, 2/3\niters = 2001\nlr = 0.005\ncheckpoints = 21\n"
        "train_per_class = 50\nval_per_class = 40\nprobe_per_class = "
        "10\nsnapshots = 2\n"
        "[study.kablate]\nkind = train\ndataset = fashion-mnist\nclasses = 2, 5, "
        "10\n"
        "rho = 0, 1\niters = 500\ncheckpoints = 11\nseeds = 7, 9\nfit = false\n"
        "spacing = log\ndata_dir = /tmp/fm\n"
        "[study.gamma]\nkind = sde\nclasses = 3\nn = 20\ns = 0.5, 1, 1.5\nT = "
        "1e6\n"
        "n_obs = 5\nmodel = I\nseeds = 10..11\n";
    char h_iters[17];
    CHECK(hash_of(changed_iters, NULL, 0, h_iters) == 0 && strcmp(h_iters, h0) != 0,
          "iters 2001 changes the hash");

    /* --set gives the same hash as editing the file */
    const char *set_iters[] = {"study.pollution.iters=2001"};
    CHECK(hash_of(good, set_iters, 1, h) == 0 && strcmp(h, h_iters) == 0,
          "--set iters: %s vs edited %s", h, h_iters);
    const char *set_iters_sp[] = {" study.pollution.iters = 2001 "};
    CHECK(hash_of(good, set_iters_sp, 1, h) == 0 && strcmp(h, h_iters) == 0, "--set with spaces");

    /* other single changes: each different from the original */
    const char *sets[][1] = {
        {"sweep.seeds=0..3"},        {"study.pollution.p_err=0, 0.5, 0.6667"},
        {"study.gamma.model=L"},     {"study.gamma.noise=0.1"},
        {"study.kablate.fit=true"},  {"study.kablate.class_ids=0 1"},
        {"sweep.description=other"}, {"study.pollution.seeds=0..1"},
        {"study.gamma.p=classes"}, /* the default: no change */
        {"study.kablate.data_dir=/elsewhere"}, /* changes no result: no change */
    };
    for (int i = 0; i < (int)(sizeof sets / sizeof sets[0]); i++) {
        int rc = hash_of(good, sets[i], 1, h);
        /* description and data_dir change no result: the same hash */
        int expect_same = i == 6 || i == 8 || i == 9;
        if (i == 5) { /* 2 ids for classes 2, 5, 10: refused (K = 5) */
            CHECK(rc == LESDE_USAGE, "class_ids 0 1 with classes 2, 5, 10 refused");
            continue;
        }
        CHECK(rc == 0 && (strcmp(h, h0) == 0) == expect_same, "--set %s: hash %s vs %s", sets[i][0],
              h, h0);
    }
    /* the sweep seeds via --set, same as editing */
    const char *set_seeds[] = {"sweep.seeds=0..3"};
    char hs[17];
    hash_of(good, set_seeds, 1, hs);
    char *edited = strdup(good);
    char *at = strstr(edited, "seeds = 0..2");
    at[11] = '3';
    CHECK(hash_of(edited, NULL, 0, h) == 0 && strcmp(h, hs) == 0, "sweep seeds --set vs edit");
    free(edited);

    /* class_ids 0 1 2 with classes 3 is the default (first K) */
    static const char *ids_a = "[study.a]\nkind = train\nclasses = 3\n";
    static const char *ids_b = "[study.a]\nkind = train\nclasses = 3\nclass_ids = 0 1 2\n";
    static const char *ids_c = "[study.a]\nkind = train\nclasses = 3\nclass_ids = 0 1 3\n";
    char ha[17], hb[17], hc[17];
    hash_of(ids_a, NULL, 0, ha);
    hash_of(ids_b, NULL, 0, hb);
    hash_of(ids_c, NULL, 0, hc);
    CHECK(strcmp(ha, hb) == 0 && strcmp(ha, hc) != 0, "class_ids default %s %s %s", ha, hb, hc);

    /* -0 is 0 */
    static const char *z0 = "[study.a]\nkind = train\np_err = 0, 0.5\n";
    static const char *z1 = "[study.a]\nkind = train\np_err = -0, 0.5\n";
    hash_of(z0, NULL, 0, ha);
    hash_of(z1, NULL, 0, hb);
    CHECK(strcmp(ha, hb) == 0, "p_err -0 and 0: %s %s", ha, hb);

    /* the file name gives the default sweep name */
    spec s;
    lesde_err e;
    CHECK(spec_parse(&s, ids_a, "dir/fig 3.ini", NULL, 0, &e) == 0 && strcmp(s.name, "fig_3") == 0,
          "default name %s", s.name);
    spec_free(&s);
}

/* ---- malformed specs ---- */

typedef struct {
    const char *name; /* also the file name under tests/specs/bad/ */
    const char *what; /* a part of the message */
    const char *text; /* starts with "; expect-line: N" */
    const char *set;  /* a --set, or NULL */
    int line;         /* expected line, 0 for "--set" */
} bad_case;

#define HEAD "; expect-line: "
static const bad_case bad_cases[] = {
    {"unknown_key", "unknown key 'learning_rate'",
     HEAD "4\n[study.a]\nkind = train\nlearning_rate = 0.1\n", NULL, 4},
    {"bad_number", "bad number '0.0o5'",
     HEAD "5\n[study.a]\nkind = train\niters = 100\nlr = 0.0o5\n", NULL, 5},
    {"empty_value", "empty value", HEAD "4\n[study.a]\nkind = train\np_err =\n", NULL, 4},
    {"empty_list_item", "empty item", HEAD "4\n[study.a]\nkind = train\np_err = 0, , 0.5\n", NULL,
     4},
    {"reversed_range", "reversed range 5..2", HEAD "5\n[study.a]\nkind = train\n\nclasses = 5..2\n",
     NULL, 5},
    {"p_err_above_1", "p_err must be in [0, 1]",
     HEAD "4\n[study.a]\nkind = train\np_err = 0, 1.5\n", NULL, 4},
    {"classes_1", "classes must be", HEAD "4\n[study.a]\nkind = train\nclasses = 1\n", NULL, 4},
    {"missing_kind", "no kind", HEAD "4\n[sweep]\nseeds = 0..1\n[study.a]\niters = 100\n", NULL, 4},
    {"bad_kind", "kind must be train or sde", HEAD "3\n[study.a]\nkind = svm\n", NULL, 3},
    {"duplicate_key", "duplicate key 'iters'",
     HEAD "5\n[study.a]\nkind = train\niters = 100\niters = 200\n", NULL, 5},
    {"duplicate_study", "duplicate study 'a'",
     HEAD "5\n[study.a]\nkind = train\n; again\n[study.a]\nkind = sde\n", NULL, 5},
    {"unknown_section", "unknown section [studies.b]",
     HEAD "4\n[study.a]\nkind = train\n[studies.b]\nkind = sde\n", NULL, 4},
    {"lr_zero", "lr must be > 0", HEAD "4\n[study.a]\nkind = train\nlr = 0\n", NULL, 4},
    /* the LE-SDE needs noise > 0: 0 would pass here and fail in every task */
    {"noise_zero", "noise must be > 0", HEAD "4\n[study.a]\nkind = sde\nnoise = 0\n", NULL, 4},
    {"iters_negative", "iters must be", HEAD "4\n[study.a]\nkind = train\niters = -5\n", NULL, 4},
    {"l_model_p_not_k", "L-model needs p = classes",
     HEAD "6\n[study.g]\nkind = sde\nmodel = L\nclasses = 3\np = 4\n", NULL, 6},
    {"l_model_p_not_k_axis", "L-model needs p = classes",
     HEAD "4\n[study.g]\nkind = sde\np = 3\nclasses = 3, 4\n", NULL, 4},
    {"unknown_dataset", "dataset must be", HEAD "4\n[study.a]\nkind = train\ndataset = mnist\n",
     NULL, 4},
    {"classes_not_integer", "must be an integer, not 2.5",
     HEAD "4\n[study.a]\nkind = train\nclasses = 2.5\n", NULL, 4},
    {"rho_and_p_err", "not both",
     HEAD "6\n[study.a]\nkind = train\np_err = 0.1\nclasses = 3\nrho = 1\n", NULL, 6},
    {"rho_too_large", "rho gives p_err",
     HEAD "5\n[study.a]\nkind = train\nclasses = 2, 3\nrho = 1.6\n", NULL, 5},
    {"classes_above_dataset", "an integer in 2..10, not 11",
     HEAD "5\n[study.a]\nkind = train\ndataset = geomnist\nclasses = 3, 11\n", NULL, 5},
    {"seeds_negative", "seeds must be", HEAD "3\n[sweep]\nseeds = 2, -1\n[study.a]\nkind = train\n",
     NULL, 3},
    /* 2^53 + 1 reads as 2^53; a range ending at 2^53 never ended (x++ stays) */
    {"seeds_above_2_53", "below 2^53",
     HEAD "3\n[sweep]\nseeds = 9007199254740993\n[study.a]\nkind = train\n", NULL, 3},
    {"seeds_range_to_2_53", "below 2^53",
     HEAD "3\n[sweep]\nseeds = 9007199254740990..9007199254740992\n[study.a]\nkind = train\n", NULL,
     3},
    {"iters_above_2_53", "below 2^53", HEAD "4\n[study.a]\nkind = train\niters = 1e300\n", NULL, 4},
    {"no_studies", "no studies", HEAD "1\n[sweep]\nname = empty\n", NULL, 1},
    {"key_outside_section", "outside any section",
     HEAD "2\nseeds = 0..3\n[study.a]\nkind = train\n", NULL, 2},
    {"syntax_no_equals", "expected 'key = value'", HEAD "4\n[study.a]\nkind = train\niters 100\n",
     NULL, 4},
    {"sde_key_in_train", "key of sde studies", HEAD "4\n[study.a]\nkind = train\nn = 50\n", NULL,
     4},
    {"checkpoints_above_iters", "do not fit",
     HEAD "4\n[study.a]\nkind = train\niters = 50\n; default checkpoints (101) "
          "do not fit\n",
     NULL, 4},
    {"val_checkpoints_one", "val_checkpoints must be 0 (default) or 2..",
     HEAD "4\n[study.a]\nkind = train\nval_checkpoints = 1\n", NULL, 4},
    {"plateau_factor_below_1", "plateau_factor",
     HEAD "4\n[study.a]\nkind = train\nplateau_factor = 0.5\n", NULL, 4},
    {"snapshots_above_checkpoints", "snapshots",
     HEAD "5\n[study.a]\nkind = train\ncheckpoints = 5\nsnapshots = 6\n", NULL, 5},
    {"class_ids_count", "2 class ids given for 3 classes",
     HEAD "5\n[study.a]\nkind = train\nclasses = 3\nclass_ids = 0 4\n", NULL, 5},
    {"duplicate_value", "lists 0 twice", HEAD "4\n[study.a]\nkind = train\np_err = 0, 0.5, 0\n",
     NULL, 4},
    /* adjacent repeats are not increasing either: no shortcut past them */
    {"duplicate_adjacent", "lists 0.5 twice", HEAD "4\n[study.a]\nkind = train\np_err = 0.5, 0.5\n",
     NULL, 4},
    {"duplicate_seed", "lists 3 twice", HEAD "3\n[sweep]\nseeds = 3, 3\n[study.a]\nkind = train\n",
     NULL, 3},
    {"fraction_by_zero", "bad number '1/0'", HEAD "4\n[study.a]\nkind = train\np_err = 1/0\n", NULL,
     4},
    {"grid_too_large", "too many tasks",
     HEAD "4\n[sweep]\nseeds = 0..1000\n[study.a]\nkind = train\nclasses = 2..6\n"
          "iters = 1000..2999\n",
     NULL, 4},
    {"bad_study_name", "bad study name", HEAD "2\n[study.a/b]\nkind = train\n", NULL, 2},
    /* the default store results/<name>/store.h5 would be results/../store.h5 */
    {"sweep_name_dotdot", "bad sweep name '..'",
     HEAD "3\n[sweep]\nname = ..\n[study.a]\nkind = train\n", NULL, 3},
    {"set_unknown_study", "no study 'nope'",
     HEAD "--set\n; args: --set study.nope.iters=5\n[study.a]\nkind = train\n",
     "study.nope.iters=5", 0},
    {"set_unknown_key", "unknown key 'speed'",
     HEAD "--set\n; args: --set study.a.speed=5\n[study.a]\nkind = train\n", "study.a.speed=5", 0},
    {"set_bad_value", "lr must be > 0",
     HEAD "--set\n; args: --set study.a.lr=0\n[study.a]\nkind = train\n", "study.a.lr=0", 0},
    {"set_no_equals", "expected study.NAME.key=value",
     HEAD "--set\n; args: --set study.a.iters\n[study.a]\nkind = train\n", "study.a.iters", 0},
};
#define N_BAD ((int)(sizeof bad_cases / sizeof bad_cases[0]))

/* Checks that parsing gives LESDE_USAGE and "<file>:<line>: ...". */
static void expect_bad(const char *what, const char *text, const char *file, const char *set,
                       int line, const char *part)
{
    spec s;
    lesde_err e;
    const char *sets[1] = {set};
    int rc = spec_parse(&s, text, file, sets, set ? 1 : 0, &e);
    char prefix[300];
    if (line)
        snprintf(prefix, sizeof prefix, "%s:%d: ", file, line);
    else
        snprintf(prefix, sizeof prefix, "%s:--set: ", file);
    CHECK(rc == LESDE_USAGE, "%s: rc %d (%s)", what, rc, rc ? e.msg : "accepted");
    CHECK(rc == LESDE_OK || strncmp(e.msg, prefix, strlen(prefix)) == 0,
          "%s: message '%s' does not start with '%s'", what, e.msg, prefix);
    CHECK(rc == LESDE_OK || strstr(e.msg + strlen(prefix), part) != NULL,
          "%s: message '%s' does not say '%s'", what, e.msg, part);
    if (rc == LESDE_OK)
        spec_free(&s);
    else
        CHECK(s.studies == NULL && s.text == NULL, "%s: spec not left allocated", what);
}

static void test_bad(void)
{
    for (int i = 0; i < N_BAD; i++) {
        char file[128];
        snprintf(file, sizeof file, "%s.ini", bad_cases[i].name);
        expect_bad(bad_cases[i].name, bad_cases[i].text, file, bad_cases[i].set, bad_cases[i].line,
                   bad_cases[i].what);
    }
}

/* The files tests/specs/bad/NAME.ini: each refused at the line its first line
 * names. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    if (buf)
        fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

/* Calls each(path) for every DIR/NAME.ini; returns how many. */
static int each_ini(const char *dir, void (*each)(const char *path))
{
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot open %s (run from the source root)", dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        each(path);
        n++;
    }
    closedir(d);
    return n;
}

static void check_bad_file(const char *path)
{
    char set[256] = "";
    char *text = read_all(path);
    CHECK(text != NULL, "read %s", path);
    if (!text)
        return;
    int line = -1;
    char word[16];
    if (sscanf(text, "; expect-line: %15s", word) == 1)
        line = strcmp(word, "--set") == 0 ? 0 : atoi(word);
    CHECK(line >= 0, "%s: no '; expect-line: N' first line", path);
    const char *args = strstr(text, "; args: --set ");
    if (args)
        sscanf(args, "; args: --set %255s", set);
    spec s;
    lesde_err e;
    const char *sets[1] = {set};
    int rc = spec_load(&s, path, sets, set[0] ? 1 : 0, &e);
    char prefix[1100];
    if (line)
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    else
        snprintf(prefix, sizeof prefix, "%s:--set: ", path);
    CHECK(rc == LESDE_USAGE && strncmp(e.msg, prefix, strlen(prefix)) == 0,
          "%s: rc %d, '%s', want '%s...'", path, rc, rc ? e.msg : "", prefix);
    if (rc == LESDE_OK)
        spec_free(&s);
    free(text);
}

static void test_bad_files(const char *dir)
{
    int n = each_ini(dir, check_bad_file);
    CHECK(n >= 15, "only %d bad spec files in %s", n, dir);
}

static void test_missing_file(void)
{
    spec s;
    lesde_err e;
    const char *path = "/nonexistent/dir/missing.ini";
    int rc = spec_load(&s, path, NULL, 0, &e);
    CHECK(rc == LESDE_FAIL, "missing file: rc %d", rc);
    CHECK(strstr(e.msg, path) != NULL, "missing file message: %s", e.msg);
}

static void test_smoke(const char *path)
{
    spec s;
    lesde_err e;
    int rc = spec_load(&s, path, NULL, 0, &e);
    CHECK(rc == LESDE_OK, "%s: %s", path, e.msg);
    if (rc)
        return;
    int kinds[2] = {0, 0};
    for (int i = 0; i < s.n_studies; i++)
        kinds[s.studies[i].kind] += (int)s.studies[i].n_tasks;
    CHECK(s.n_tasks >= 15 && s.n_tasks <= 30 && kinds[0] > 0 && kinds[1] > 0,
          "smoke: %ld tasks (train %d, sde %d)", s.n_tasks, kinds[0], kinds[1]);
    spec_free(&s);
}

/* Every spec shipped in sweep/ loads: an edit that breaks one fails here,
 * not in a researcher's first run. */
static void check_shipped(const char *path)
{
    spec s;
    lesde_err e;
    int rc = spec_load(&s, path, NULL, 0, &e);
    CHECK(rc == LESDE_OK && s.n_tasks > 0, "%s: %s", path, rc ? e.msg : "no tasks");
    if (rc == LESDE_OK)
        spec_free(&s);
}

static void test_shipped(const char *dir)
{
    int n = each_ini(dir, check_shipped);
    CHECK(n >= 10, "only %d specs in %s", n, dir);
}

/* More details: --set adds keys, overrides, and odd but valid syntax. */
static void test_details(void)
{
    spec s;
    lesde_err e;
    static const char *t1 = "[study.a]\n"
                            "  kind = train   ; indented keys are plain keys, not continuations\n"
                            "  iters = 100\n"
                            "  checkpoints = 11\n"
                            "  classes = 3\n"
                            "  rho = 1/2\n";
    const char *sets[] = {"study.a.iters=300", "sweep.seeds=3..5", "study.a.lr=0.01"};
    int rc = spec_parse(&s, t1, "t1.ini", sets, 3, &e);
    CHECK(rc == LESDE_OK, "t1: %s", e.msg);
    if (rc == LESDE_OK) {
        spec_task t;
        train_config tc;
        CHECK(s.n_tasks == 3 && strcmp(s.name, "t1") == 0, "t1 tasks %ld", s.n_tasks);
        spec_task_get(&s, 2, &t);
        spec_task_train(&s, &t, &tc);
        CHECK(tc.iters == 300 && tc.lr == 0.01 && tc.seed == 5, "t1 overrides");
        CHECK_NEAR(tc.p_err, 0.5 * 2 / 3, 1e-15);
        spec_free(&s);
    }
    /* a last --set wins over an earlier one */
    const char *twice[] = {"study.a.iters=300", "study.a.iters=400"};
    rc = spec_parse(&s, t1, "t1.ini", twice, 2, &e);
    CHECK(rc == LESDE_OK && s.studies[0].train.iters == 400, "last --set wins");
    if (rc == LESDE_OK)
        spec_free(&s);

    /* p given as an axis (I-model) and rho = K/(K-1) exactly (p_err = 1) */
    static const char *t2 = "[study.g]\nkind = sde\nmodel = I\np = 2, 5\nclasses = 3\n"
                            "[study.r]\nkind = train\nclasses = 2..8\nrho = 6/5\n"
                            "dataset = cifar10\n";
    rc = spec_parse(&s, t2, "t2.ini", NULL, 0, &e);
    CHECK(rc == LESDE_USAGE && strstr(e.msg, "t2.ini:9: ") == e.msg,
          "rho 6/5 refused for K = 7, 8 (p_err > 1): %s", e.msg);
    static const char *t3 = "[study.g]\nkind = sde\nmodel = I\np = 2, 5\nclasses = 3\n"
                            "[study.r]\nkind = train\nclasses = 6\nrho = 6/5\n";
    rc = spec_parse(&s, t3, "t3.ini", NULL, 0, &e);
    CHECK(rc == LESDE_OK, "t3: %s", e.msg);
    if (rc == LESDE_OK) {
        spec_task t;
        train_config tc;
        le_sde_config sc;
        CHECK(s.studies[0].n_axes == 1 && s.studies[0].p_is_k == 0, "p axis");
        spec_task_get(&s, 1, &t);
        spec_task_sde(&s, &t, &sc);
        CHECK(sc.p == 5 && sc.K == 3, "p axis value %d", sc.p);
        spec_task_get(&s, 2, &t);
        spec_task_train(&s, &t, &tc);
        CHECK(tc.p_err == 1.0, "rho 6/5 with K 6: p_err %.17g", tc.p_err);
        spec_free(&s);
    }
    /* axes sorted by key, whatever the file's order: dataset, lr, p_err,
     * spacing; word axes carry enum indexes and labels */
    static const char *t4 = "[study.w]\nkind = train\nspacing = log, linear\n"
                            "p_err = 0, 0.5\nlr = 0.01, 0.02\ndataset = geomnist, cifar10\n";
    rc = spec_parse(&s, t4, "t4.ini", NULL, 0, &e);
    CHECK(rc == LESDE_OK, "t4: %s", e.msg);
    if (rc == LESDE_OK) {
        const spec_study *st = &s.studies[0];
        CHECK(st->n_axes == 4 && strcmp(st->axes[0].key, "dataset") == 0 &&
                  strcmp(st->axes[1].key, "lr") == 0 && strcmp(st->axes[2].key, "p_err") == 0 &&
                  strcmp(st->axes[3].key, "spacing") == 0,
              "axes sorted by key");
        CHECK(st->axes[0].values[1] == DATA_CIFAR10 &&
                  strcmp(st->axes[0].labels[1], "cifar10") == 0 && st->axes[3].values[0] == 1 &&
                  strcmp(st->axes[3].labels[0], "log") == 0,
              "word axes");
        static const struct {
            long point;
            data_kind dataset;
            double lr, p_err;
            int log_spacing;
        } want[] = {{1, DATA_GEOMNIST, 0.01, 0, 0},
                    {2, DATA_GEOMNIST, 0.01, 0.5, 1},
                    {4, DATA_GEOMNIST, 0.02, 0, 1},
                    {8, DATA_CIFAR10, 0.01, 0, 1},
                    {15, DATA_CIFAR10, 0.02, 0.5, 0}};
        for (int i = 0; i < 5; i++) {
            spec_task t;
            train_config tc;
            spec_task_get(&s, want[i].point, &t);
            spec_task_train(&s, &t, &tc);
            CHECK(tc.dataset == want[i].dataset && tc.lr == want[i].lr &&
                      tc.p_err == want[i].p_err && tc.log_spacing == want[i].log_spacing,
                  "t4 point %ld", want[i].point);
        }
        spec_free(&s);
    }
}

static int write_bad(const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    for (int i = 0; i < N_BAD; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.ini", dir, bad_cases[i].name);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        fputs(bad_cases[i].text, f);
        fclose(f);
    }
    return 0;
}

/* ---- inputs the fuzzer (tests/fuzz/fuzz_spec.c) found ---- */

/* Splits a fuzz input as fuzz_spec.c does: the spec up to the first NUL,
 * then up to 4 NUL-separated --set overrides; parsing must fail cleanly
 * with a one-line message. */
static void expect_fuzz_refused(const char *what, const char *input, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return;
    memcpy(buf, input, size);
    buf[size] = '\0';
    const char *sets[4];
    int n_sets = 0;
    for (size_t i = strlen(buf) + 1; i < size && n_sets < 4; i += strlen(buf + i) + 1)
        sets[n_sets++] = buf + i;
    spec s;
    lesde_err e = {0};
    int rc = spec_parse(&s, buf, "fuzz.ini", sets, n_sets, &e);
    CHECK(rc == LESDE_USAGE, "%s: rc %d", what, rc);
    CHECK(e.msg[0] && !strchr(e.msg, '\n'), "%s: not one line: '%s'", what, e.msg);
    if (rc == LESDE_OK)
        spec_free(&s);
    free(buf);
}

static void test_fuzz_found(void)
{
    /* A --set holding line breaks (here the rest of a spec) was echoed into
     * a message of several lines. */
    static const char set_newline[] =
        "; smoke.ini -- a small sweep of both kinds (20 tasks) for the end-to-end\n"
        "; tests: well under a mi\x1c""\000te on 2 cores.\n"
        "[sweep]\n"
        "name        = smoke\n"
        "seeds de\n"
        "classes  = 3\n"
        "n        = 20\n"
        "s        = 0.5, 1.5             ; an E-SDE runs\n"
        "\000\000\000\000\000\000\000\x01""train]\n"
        "kind            = train\n"
        "dataset         = geomnist\n"
        "classes         = 3\n"
        "train_per_class = 60\n"
        "val_per_class   = 60\n"
        "probe_per_class = 20\n"
        "p_err           = 0, 0.5        ; an axis: 2 points x 5 seeds\n"
        "iters           = 300\n"
        "lr              = 0.005\n"
        "checkpoints     = 11\n"
        "snapshots       = 2\n"
        "\n"
        "[study.sde]\n"
        "kind     = sde\n"
        "classes  = 3\n"
        "n        = 20\n"
        "s        = 0.5, 1.5             ; an axis: 2 points x 0 seeds\n"
        "T        = 1e6\n"
        "n_obs    = 5\n";
    CHECK(sizeof set_newline - 1 == 669, "the input is %zu bytes", sizeof set_newline - 1);
    expect_fuzz_refused("--set with line breaks", set_newline, sizeof set_newline - 1);
    spec s;
    lesde_err e = {0};
    const char *sets[1] = {"study.a.iters=5\n[study.b]"};
    CHECK(spec_parse(&s, "[study.a]\nkind = train\n", "nl.ini", sets, 1, &e) == LESDE_USAGE &&
              strstr(e.msg, "nl.ini:--set: ") == e.msg && strstr(e.msg, "control character") &&
              !strchr(e.msg, '\n'),
          "newline in --set: '%s'", e.msg);
}

/* Large specs (the seeds and axis values are formatted by hand, not by
 * printf, and the labels share one block): the canonical form and the
 * labels are what printf makes of them, across every digit carry. */
/* --set as a shell takes it back: plain, or single-quoted with a ' escaped */
static void test_override_arg(void)
{
    static const char *const cases[][2] = {
        {"study.a.lr=0.005", "--set study.a.lr=0.005"},
        {"study.a.class_ids=2 0 1", "--set 'study.a.class_ids=2 0 1'"},
        {"sweep.description=it's", "--set 'sweep.description=it'\\''s'"},
        {"sweep.description=$HOME", "--set 'sweep.description=$HOME'"},
        {"sweep.seeds=0..3,5", "--set sweep.seeds=0..3,5"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[128];
        int n = spec_override_arg(cases[i][0], (int)strlen(cases[i][0]), buf, sizeof buf);
        CHECK(n == (int)strlen(cases[i][1]) && !strcmp(buf, cases[i][1]), "%s -> %s (want %s)",
              cases[i][0], buf, cases[i][1]);
    }
    char small[12]; /* cut, NUL-terminated, and the full length returned */
    int n = spec_override_arg("study.a.x=1 2", 13, small, sizeof small);
    CHECK(n == 21 && strlen(small) == sizeof small - 1, "cut: %d '%s'", n, small);
}

static void test_large(void)
{
    enum { NSEED = 120006, NAX = 100004 };
    size_t cap = (size_t)NSEED * 12 + 64;
    char *want = malloc(cap), *text = malloc(4096);
    spec s;
    lesde_err e = {0};
    /* seeds 0..120005, and a tail that is no range */
    snprintf(text, 4096,
             "[sweep]\nname = big\nseeds = 0..%d, 999999, 123456789\n"
             "[study.a]\nkind = sde\n",
             NSEED - 1);
    if (spec_parse(&s, text, "big.ini", NULL, 0, &e) == LESDE_OK) {
        size_t len = (size_t)snprintf(want, cap, "seeds = ");
        for (int i = 0; i < NSEED; i++)
            len += (size_t)snprintf(want + len, cap - len, "%s%d", i ? ", " : "", i);
        snprintf(want + len, cap - len, ", 999999, 123456789\n");
        CHECK(strstr(s.canonical, want) != NULL, "the canonical seeds of 0..%d", NSEED - 1);
        CHECK(s.n_tasks == NSEED + 2, "%ld tasks", s.n_tasks);
        spec_free(&s);
    } else
        CHECK(0, "big seeds: %s", e.msg);
    /* an axis of 98..100101 */
    snprintf(text, 4096,
             "[sweep]\nname = big\nseeds = 0\n[study.a]\nkind = train\n"
             "checkpoints = 2\nsnapshots = 1\niters = 98..%d\n",
             98 + NAX - 1);
    if (spec_parse(&s, text, "big.ini", NULL, 0, &e) == LESDE_OK) {
        const spec_axis *ax = &s.studies[0].axes[0];
        int bad = ax->n != NAX;
        size_t len = (size_t)snprintf(want, cap, "iters = ");
        for (int i = 0; i < NAX && !bad; i++) {
            char t[32];
            snprintf(t, sizeof t, "%.0f", 98.0 + i);
            bad += strcmp(ax->labels[i], t) != 0;
            len += (size_t)snprintf(want + len, cap - len, "%s%.17g", i ? ", " : "", 98.0 + i);
        }
        snprintf(want + len, cap - len, "\n");
        CHECK(!bad, "axis labels of 98..%d", 98 + NAX - 1);
        CHECK(strstr(s.canonical, want) != NULL, "the canonical axis 98..%d", 98 + NAX - 1);
        spec_free(&s);
    } else
        CHECK(0, "big axis: %s", e.msg);
    /* the largest seeds a double holds exactly: 2^53 - 2 and 2^53 - 1 */
    snprintf(text, 4096,
             "[sweep]\nname = big\nseeds = 9007199254740990..9007199254740991\n"
             "[study.a]\nkind = sde\n");
    if (spec_parse(&s, text, "big.ini", NULL, 0, &e) == LESDE_OK) {
        CHECK(s.n_tasks == 2, "%ld tasks of seeds 2^53 - 2..2^53 - 1", s.n_tasks);
        CHECK(strstr(s.canonical, "seeds = 9007199254740990, 9007199254740991\n") != NULL,
              "the canonical seeds below 2^53");
        spec_free(&s);
    } else
        CHECK(0, "seeds below 2^53: %s", e.msg);
    free(want), free(text);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-bad") == 0)
        return write_bad(argv[2]);
    test_good();
    test_hash();
    test_large();
    test_override_arg();
    test_bad();
    test_bad_files("tests/specs/bad");
    test_missing_file();
    test_smoke("tests/specs/smoke.ini");
    test_shipped("sweep");
    test_details();
    test_fuzz_found();
    return check_done("test_spec");
}
