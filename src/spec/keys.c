/* The key table: which keys each kind of study takes, their types and
 * allowed values, and the config field each one sets. */
#include "spec/internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static const char *const dataset_words[] = {
    [DATA_GEOMNIST] = "geomnist",
    [DATA_FASHION_MNIST] = "fashion-mnist",
    [DATA_CIFAR10] = "cifar10",
};
static const char *const spacing_words[] = {"linear", "log"};
static const char *const bool_words[] = {"false", "true"};
static const char *const model_words[] = {[LE_MODEL_I] = "I", [LE_MODEL_L] = "L"};
static const char *const schedule_words[] = {
    [LE_SCHED_POWER] = "power",
    [LE_SCHED_BOUNDARY] = "boundary",
};

#define BIG 9007199254740992.0 /* 2^53: values.c refuses integers from here on */
#define NUM(key, kind, type, field, lo, hi, lo_open, hi_open)                                      \
    {                                                                                              \
        key, kind, type, field, lo, hi, lo_open, hi_open, NULL, 0                                  \
    }
#define WORDS(key, kind, field, w)                                                                 \
    {                                                                                              \
        key, kind, SPEC_T_WORD, field, 0, 0, 0, 0, w, (int)(sizeof w / sizeof w[0])                \
    }

const spec_key_def spec_keys[] = {
    /* train: train_config */
    WORDS("dataset", SPEC_TRAIN, SPEC_F_DATASET, dataset_words),
    NUM("data_dir", SPEC_TRAIN, SPEC_T_TEXT, SPEC_F_DATA_DIR, 0, 0, 0, 0),
    NUM("classes", SPEC_TRAIN, SPEC_T_INT, SPEC_F_K, 2, DATA_MAX_K, 0, 0),
    NUM("class_ids", SPEC_TRAIN, SPEC_T_IDS, SPEC_F_CLASS_IDS, 0, DATA_MAX_K - 1, 0, 0),
    NUM("train_per_class", SPEC_TRAIN, SPEC_T_INT, SPEC_F_TRAIN_PER_CLASS, 1, 1e7, 0, 0),
    NUM("val_per_class", SPEC_TRAIN, SPEC_T_INT, SPEC_F_VAL_PER_CLASS, 1, 1e7, 0, 0),
    NUM("p_err", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_P_ERR, 0, 1, 0, 0),
    NUM("rho", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_RHO, 0, INFINITY, 0, 1),
    NUM("iters", SPEC_TRAIN, SPEC_T_INT, SPEC_F_ITERS, 1, BIG, 0, 0),
    NUM("lr", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_LR, 0, INFINITY, 1, 1),
    NUM("checkpoints", SPEC_TRAIN, SPEC_T_INT, SPEC_F_CHECKPOINTS, 2, 1e7, 0, 0),
    WORDS("spacing", SPEC_TRAIN, SPEC_F_SPACING, spacing_words),
    NUM("val_checkpoints", SPEC_TRAIN, SPEC_T_INT, SPEC_F_VAL_CHECKPOINTS, 0, 1e7, 0, 0),
    NUM("probe_per_class", SPEC_TRAIN, SPEC_T_INT, SPEC_F_PROBE, 1, 1e7, 0, 0),
    NUM("snapshots", SPEC_TRAIN, SPEC_T_INT, SPEC_F_SNAPSHOTS, 0, 1e7, 0, 0),
    WORDS("fit", SPEC_TRAIN, SPEC_F_FIT, bool_words),
    NUM("sg_order", SPEC_TRAIN, SPEC_T_INT, SPEC_F_SG_ORDER, 1, 6, 0, 0),
    NUM("sg_window", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_SG_WINDOW, 0, INFINITY, 1, 1),
    NUM("sim_window", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_SIM_WINDOW, 0, INFINITY, 1, 1),
    NUM("tail_frac", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_TAIL_FRAC, 0, 1, 1, 0),
    NUM("plateau_factor", SPEC_TRAIN, SPEC_T_REAL, SPEC_F_PLATEAU_FACTOR, 1, INFINITY, 1, 1),
    NUM("ref_paths", SPEC_TRAIN, SPEC_T_INT, SPEC_F_REF_PATHS, 1, 1e5, 0, 0),
    NUM("ref_every", SPEC_TRAIN, SPEC_T_INT, SPEC_F_REF_EVERY, 0, 1e7, 0, 0),
    NUM("seeds", SPEC_TRAIN, SPEC_T_SEEDS, SPEC_F_SEEDS, 0, BIG, 0, 0),
    /* sde: le_sde_config */
    NUM("classes", SPEC_SDE, SPEC_T_INT, SPEC_F_SDE_K, 2, 1000, 0, 0),
    NUM("p", SPEC_SDE, SPEC_T_INT, SPEC_F_SDE_P, 1, 10000, 0, 0),
    NUM("n", SPEC_SDE, SPEC_T_INT, SPEC_F_SDE_N, 1, 1e7, 0, 0),
    WORDS("model", SPEC_SDE, SPEC_F_MODEL, model_words),
    WORDS("schedule", SPEC_SDE, SPEC_F_SCHEDULE, schedule_words),
    NUM("c", SPEC_SDE, SPEC_T_REAL, SPEC_F_C, 0, INFINITY, 1, 1),
    NUM("s", SPEC_SDE, SPEC_T_REAL, SPEC_F_S, 0, INFINITY, 0, 1),
    NUM("b", SPEC_SDE, SPEC_T_REAL, SPEC_F_B, -INFINITY, INFINITY, 1, 1),
    NUM("s_b", SPEC_SDE, SPEC_T_REAL, SPEC_F_S_B, 0, INFINITY, 0, 1),
    NUM("noise", SPEC_SDE, SPEC_T_REAL, SPEC_F_NOISE, 0, INFINITY, 1, 1),
    NUM("T", SPEC_SDE, SPEC_T_REAL, SPEC_F_T, 1, INFINITY, 0, 1),
    NUM("n_obs", SPEC_SDE, SPEC_T_INT, SPEC_F_N_OBS, 1, 1e6, 0, 0),
    NUM("seeds", SPEC_SDE, SPEC_T_SEEDS, SPEC_F_SEEDS, 0, BIG, 0, 0),
};
const int spec_n_keys = (int)(sizeof spec_keys / sizeof spec_keys[0]);
_Static_assert(sizeof spec_keys / sizeof spec_keys[0] <= SPEC_KEYS_MAX, "raise SPEC_KEYS_MAX");

const spec_key_def *spec_key_find(const char *key, spec_kind kind)
{
    for (int i = 0; i < spec_n_keys; i++)
        if (spec_keys[i].kind == kind && strcmp(spec_keys[i].key, key) == 0)
            return &spec_keys[i];
    return NULL;
}

int spec_word_index(const spec_key_def *d, const char *w)
{
    for (int i = 0; i < d->n_words; i++)
        if (strcasecmp(w, d->words[i]) == 0)
            return i;
    if (d->words == bool_words) {
        static const char *const no[] = {"no", "off", "0"}, *const yes[] = {"yes", "on", "1"};
        for (int i = 0; i < 3; i++) {
            if (strcasecmp(w, no[i]) == 0)
                return 0;
            if (strcasecmp(w, yes[i]) == 0)
                return 1;
        }
    }
    return -1;
}

double spec_field_get(spec_field f, const train_config *tc, const le_sde_config *sc)
{
    switch (f) {
    case SPEC_F_DATASET: return tc->dataset;
    case SPEC_F_K: return tc->k;
    case SPEC_F_TRAIN_PER_CLASS: return tc->train_per_class;
    case SPEC_F_VAL_PER_CLASS: return tc->val_per_class;
    case SPEC_F_P_ERR: return tc->p_err;
    case SPEC_F_ITERS: return (double)tc->iters;
    case SPEC_F_LR: return tc->lr;
    case SPEC_F_CHECKPOINTS: return tc->checkpoints;
    case SPEC_F_SPACING: return tc->log_spacing;
    case SPEC_F_VAL_CHECKPOINTS: return tc->val_checkpoints;
    case SPEC_F_PROBE: return tc->probe_per_class;
    case SPEC_F_SNAPSHOTS: return tc->snapshots;
    case SPEC_F_FIT: return tc->fit;
    case SPEC_F_SG_ORDER: return tc->fit_opts.sg_order;
    case SPEC_F_SG_WINDOW: return tc->fit_opts.sg_window;
    case SPEC_F_TAIL_FRAC: return tc->fit_opts.tail_frac;
    case SPEC_F_SIM_WINDOW: return tc->fit_opts.sim_window;
    case SPEC_F_PLATEAU_FACTOR: return tc->fit_opts.plateau_factor;
    case SPEC_F_REF_PATHS: return tc->fit_opts.ref_paths;
    case SPEC_F_REF_EVERY: return tc->ref_every;
    case SPEC_F_SDE_K: return sc->K;
    case SPEC_F_SDE_P: return sc->p;
    case SPEC_F_SDE_N: return sc->n;
    case SPEC_F_MODEL: return sc->model;
    case SPEC_F_SCHEDULE: return sc->schedule;
    case SPEC_F_C: return sc->c;
    case SPEC_F_S: return sc->s;
    case SPEC_F_B: return sc->b;
    case SPEC_F_S_B: return sc->s_b;
    case SPEC_F_NOISE: return sc->noise;
    case SPEC_F_T: return sc->T;
    case SPEC_F_N_OBS: return sc->n_obs;
    default: return NAN; /* not a number field (rho has no config field) */
    }
}

void spec_field_set(spec_field f, double v, train_config *tc, le_sde_config *sc)
{
    switch (f) {
    case SPEC_F_DATASET: tc->dataset = (data_kind)(int)v; break;
    case SPEC_F_K: tc->k = (int)v; break;
    case SPEC_F_TRAIN_PER_CLASS: tc->train_per_class = (int)v; break;
    case SPEC_F_VAL_PER_CLASS: tc->val_per_class = (int)v; break;
    case SPEC_F_P_ERR: tc->p_err = v; break;
    case SPEC_F_ITERS: tc->iters = (long)v; break;
    case SPEC_F_LR: tc->lr = v; break;
    case SPEC_F_CHECKPOINTS: tc->checkpoints = (int)v; break;
    case SPEC_F_SPACING: tc->log_spacing = (int)v; break;
    case SPEC_F_VAL_CHECKPOINTS: tc->val_checkpoints = (int)v; break;
    case SPEC_F_PROBE: tc->probe_per_class = (int)v; break;
    case SPEC_F_SNAPSHOTS: tc->snapshots = (int)v; break;
    case SPEC_F_FIT: tc->fit = (int)v; break;
    case SPEC_F_SG_ORDER: tc->fit_opts.sg_order = (int)v; break;
    case SPEC_F_SG_WINDOW: tc->fit_opts.sg_window = v; break;
    case SPEC_F_TAIL_FRAC: tc->fit_opts.tail_frac = v; break;
    case SPEC_F_SIM_WINDOW: tc->fit_opts.sim_window = v; break;
    case SPEC_F_PLATEAU_FACTOR: tc->fit_opts.plateau_factor = v; break;
    case SPEC_F_REF_PATHS: tc->fit_opts.ref_paths = (int)v; break;
    case SPEC_F_REF_EVERY: tc->ref_every = (int)v; break;
    case SPEC_F_SDE_K: sc->K = (int)v; break;
    case SPEC_F_SDE_P: sc->p = (int)v; break;
    case SPEC_F_SDE_N: sc->n = (int)v; break;
    case SPEC_F_MODEL: sc->model = (le_model)(int)v; break;
    case SPEC_F_SCHEDULE: sc->schedule = (le_schedule)(int)v; break;
    case SPEC_F_C: sc->c = v; break;
    case SPEC_F_S: sc->s = v; break;
    case SPEC_F_B: sc->b = v; break;
    case SPEC_F_S_B: sc->s_b = v; break;
    case SPEC_F_NOISE: sc->noise = v; break;
    case SPEC_F_T: sc->T = v; break;
    case SPEC_F_N_OBS: sc->n_obs = (int)v; break;
    default: break; /* rho, ids, text, seeds: applied by the caller */
    }
}
