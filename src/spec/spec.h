/* spec: the sweep spec (an INI file), validated and expanded into tasks.
 *
 *   [sweep]            name, seeds (list or a..b), description
 *   [study.NAME]       kind = train | sde, then that kind's keys
 *
 * Every list-valued key is a grid axis; a study's tasks are the Cartesian
 * product of its axes times the seeds. Errors carry "file:line: ". The hash
 * is taken over a canonical expanded form (studies and keys sorted, values
 * normalised), so comments, spacing and key order do not change it.
 *
 * Values: numbers are decimals (1e6 too) or fractions a/b; a list is
 * comma-separated items, each a value or an integer range a..b (inclusive);
 * words (dataset, spacing, fit, model, schedule) are case-insensitive.
 * class_ids is one space-separated set ("0 2 5"), never an axis; p = classes
 * (sde) makes p follow K, the default. Keys are case-sensitive (T is upper
 * case). Lines hold at most 198 characters (libinih's line buffer); ';'
 * after a blank starts a comment, as does '#' or ';' at the start of a line.
 * Study names: letters, digits, '_' and '-'.
 *
 *   train keys (defaults from train_config_default):
 *     dataset (geomnist), data_dir (the dataset's default), classes (3),
 *     class_ids (the first K), train_per_class (500), val_per_class (500),
 *     p_err (0) or rho (p_err = rho (K-1)/K), iters (10000), lr (0.005),
 *     checkpoints (101), spacing (linear | log), probe_per_class (100),
 *     snapshots (5), fit (true), sg_order (2), sg_window (151),
 *     tail_frac (0.1), seeds (the sweep's)
 *   sde keys (defaults from le_sde_config_default):
 *     classes (3), p (classes), n (50), model (L | I), schedule (power |
 *     boundary), c (0.5), s (0.5), b (0), s_b (1), noise (0.05), T (1e4),
 *     n_obs (9), seeds (the sweep's) */
#ifndef LESDE_SPEC_SPEC_H
#define LESDE_SPEC_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "le/le.h"
#include "train/train.h"

typedef enum { SPEC_TRAIN = 0, SPEC_SDE = 1 } spec_kind;

#define SPEC_MAX_AXES 24
#define SPEC_NAME_MAX 64
#define SPEC_MAX_TASKS 10000000L /* a sweep larger than this is refused */

/* What an axis's values are: the store writes its coordinate to match. */
typedef enum { SPEC_VALUE_REAL = 0, SPEC_VALUE_INT = 1, SPEC_VALUE_WORD = 2 } spec_value_type;

typedef struct {
    char key[SPEC_NAME_MAX]; /* the spec key, e.g. "p_err" */
    spec_value_type type;    /* reals, integers, or words (labels) */
    int n;                   /* number of values (>= 2) */
    double *values;          /* numeric value of each (enum index for words) */
    char **labels;           /* each value's canonical text */
    int field;               /* internal: the config field it sets */
} spec_axis;

/* The "line" of a value that came from a --set override. */
#define SPEC_LINE_SET 0

/* Sets e to LESDE_USAGE and "file:line: <fmt>" ("file:--set: " for
 * SPEC_LINE_SET): a spec error, or one found later at a spec's place. */
int spec_error(lesde_err *e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct {
    char name[SPEC_NAME_MAX]; /* NAME of [study.NAME] */
    spec_kind kind;
    int n_axes;
    spec_axis axes[SPEC_MAX_AXES]; /* sorted by key */
    long n_points;                 /* product of the axis lengths */
    int n_seeds;
    uint64_t *seeds;               /* the study's seeds (the sweep's unless overridden) */
    long n_tasks;                  /* n_points * n_seeds */
    long first_task;               /* global id of this study's first task */
    train_config train;            /* scalar keys applied (kind train) */
    le_sde_config sde;             /* scalar keys applied (kind sde) */
    char data_dir[4096];           /* storage behind train.data_dir */
    int line;                      /* line of the [study.NAME] header */
    int data_line;                 /* of its data_dir, else dataset, else the
                                      header; SPEC_LINE_SET: given by --set */
    int rho_given;                 /* p_err is given relative to p* = (K-1)/K:
                                      p_err = rho (K-1)/K with each task's K */
    double rho;                    /* that rho (its first value if an axis) */
    int p_is_k;                    /* sde: p follows classes (the default) */
} spec_study;

typedef struct {
    char name[SPEC_NAME_MAX]; /* [sweep] name (default: the file's base name) */
    char path[4096];
    char *text;               /* the file as read */
    char *canonical;          /* the canonical expanded form (hashed) */
    char *overrides;          /* the --set arguments it was parsed with, one per line */
    char hash[17];            /* 64-bit FNV-1a of canonical but its description
                                 and data_dir lines, hex */
    char hash_all[17];        /* of all of canonical: what stores written
                                 before 2026-11-28 hold; still accepted */
    int foreign;              /* set by store_load_spec: the store's hash is
                                 neither (written by another lesde version) */
    char *description;        /* [sweep] description, or NULL */
    int n_seeds;              /* [sweep] seeds (studies may override them) */
    uint64_t *seeds;
    int n_studies;
    spec_study *studies;      /* sorted by name */
    long n_tasks;
} spec;

/* One task: a grid point of a study and a seed. Global ids run study after
 * study; within a study, id = point * n_seeds + seed_index. */
typedef struct {
    long id;
    int study;
    long point;      /* index into the study's grid, last axis fastest */
    int seed_index;
    uint64_t seed;
    double cost;     /* estimated relative cost (for longest-first) */
} spec_task;

/* Reads and validates path, applying overrides "study.NAME.key=value" or
 * "sweep.key=value". On error, e holds "file:line: what is wrong" and the
 * return is LESDE_USAGE (LESDE_FAIL when the file cannot be read). */
int spec_load(spec *s, const char *path, const char *const *sets, int n_sets,
              lesde_err *e);
/* The same from text in memory; filename is used in messages. */
/* The overrides one by one (as a store keeps them: one per line): the
 * next at or after *at, *len bytes long (no NUL of its own), *at moved
 * past it; NULL at the end. Start *at at s->overrides (NULL: none). */
const char *spec_next_override(const char **at, int *len);
/* "--set KEY=VALUE" for the override o (n bytes) as a shell takes it back:
 * single-quoted when it holds anything but letters, digits and _.,=+-:/
 * (a list "2 0 1", say). Returns what snprintf does. */
int spec_override_arg(const char *o, int n, char *buf, size_t size);
int spec_parse(spec *s, const char *text, const char *filename,
               const char *const *sets, int n_sets, lesde_err *e);
void spec_free(spec *s);
/* Is hash (a store's) this spec's: its hash, or hash_all as stores written
 * before description and data_dir left the hash hold? */
int spec_hash_matches(const spec *s, const char *hash);

/* LESDE_USAGE when id is not in 0..n_tasks-1. */
int spec_task_get(const spec *s, long id, spec_task *t);
/* The task's configuration: the study's base with the grid point's values,
 * rho turned into p_err with the task's K, the task's seed, and data_dir
 * pointing into the study (valid while s lives). LESDE_USAGE when the task's
 * study is not of that kind. */
int spec_task_train(const spec *s, const spec_task *t, train_config *out);
int spec_task_sde(const spec *s, const spec_task *t, le_sde_config *out);
/* Index of the value of axis a at grid point `point` of study st. */
int spec_point_coord(const spec_study *st, long point, int a);

/* "train" or "sde". */
const char *spec_kind_name(spec_kind kind);
/* Index of the axis named key in st, or -1 when key is not an axis. */
int spec_axis_find(const spec_study *st, const char *key);
/* The value of key in st when it is a scalar (not an axis) number or word
 * of the study's kind: 0, with *value set and *word the word's text (NULL
 * for a number). -1 for an axis, an unknown key, or a key that is no
 * single number or word (data_dir, class_ids, seeds, sde's p = classes). */
int spec_scalar(const spec_study *st, const char *key, double *value, const char **word);
/* The index of word text as a value of key in st's kind, as a spec reads
 * it (any case; a yes/no key also takes yes, on, 1, no, off, 0), or -1 when
 * key takes no words or text is none of them. */
int spec_word_of(const spec_study *st, const char *key, const char *text);
/* Parses one number as a spec writes it: decimal, or a fraction a/b of two
 * decimals ("2/3" is the double a spec's 2/3 is). No hex, inf or nan.
 * Returns 0 on success. */
int spec_number(const char *s, size_t len, double *out);
/* A short name of a task for logs: "study/key=label,key=label/seed=S"
 * (snprintf semantics: returns the length it needed). */
int spec_task_label(const spec *s, const spec_task *t, char *buf, size_t size);

#endif
