/* fields: the table of what a task records, per kind of study.
 *
 * One entry per dataset of a study group, with its per-task dimensions
 * (maxima over the study's grid: tasks with fewer classes or checkpoints
 * are padded with NaN / -1), each named: the name is the netCDF dimension,
 * with one length per name in a study. The same table drives creation,
 * task writes, summaries and the determinism comparison; a new entry needs
 * nothing else (a dimension not in fields_dim's table gets the coordinate
 * 0, 1, ..., n-1). */
#ifndef LESDE_STORE_FIELDS_H
#define LESDE_STORE_FIELDS_H

#include <stddef.h>

#include "spec/spec.h"

/* FT_CHAR: fixed-width text, one byte per element along the field's last
 * dimension (netCDF's NC_CHAR: a parallel store cannot write variable-length
 * strings into a task's slot). */
typedef enum { FT_F64, FT_I64, FT_I32, FT_I8, FT_CHAR } field_type;

typedef struct {
    char name[64];        /* path below the study group */
    field_type type;
    int ndim;             /* per-task dimensions */
    long dims[4];
    const char *dimname[4]; /* dimension names (every dimension has one) */
    int summarize;          /* statistics across seeds (field_stats) */
    int timing;             /* varies between identical runs (rank, seconds) */
    int unit_range;         /* values in [0, 1] (accuracies, fractions): stated as
                               valid_min / valid_max; intervals are clipped to it */
    int indicator;          /* values 0 or 1 (an event per task): stated as
                               flag_values; the interval of its mean across
                               seeds is Wilson's, that of a proportion */
    const char *units;
    const char *desc;
    int id;               /* what it holds (enum in fields.c) */
    /* Spec keys whose value never changes it (NULL-terminated, or NULL):
     * a grid axis of one of them is not among its dimensions, and every
     * task along that axis writes the same bytes into one slot (the
     * initial weights and the SGD order depend on the seed, not on p_err:
     * design.md, "Randomness"). Never summarised. */
    const char *const *same_over;
} field;

typedef struct {
    long K, C, S, NP, T, CH, NT, NV, O, V, R; /* maxima over the study's grid */
    int fit, save_data;
    int ckpt_shared;      /* every task has the same checkpoint schedule... */
    long *ckpt_t;         /* ...these C iterations (malloc'ed; else NULL) */
    int val_shared;       /* likewise the validation schedule, */
    long *val_t;          /* V iterations */
} field_maxima;

/* Fills m from a study's tasks. */
int fields_maxima(const spec *s, int study, int save_data, field_maxima *m);
void fields_maxima_free(field_maxima *m);
/* The study's fields; returns how many (at most FIELDS_MAX). */
#define FIELDS_MAX 96
int fields_list(spec_kind kind, const field_maxima *m, field *out);
/* Whether name is a 0/1 field (indicator) of some study kind: how the
 * summaries know one in a store written before flag_values marked it. */
int fields_is_indicator(const char *name);
long field_size(const field *f);
/* The same_over lists of the initial weights (init/) and of sample_index. */
extern const char *const fields_same_init[];
extern const char *const fields_same_order[];
/* Whether field f has the grid axis of spec key `key` (see same_over). */
int field_has_axis(const field *f, const char *key);

/* A per-task dimension's coordinate, when it is more than 0..n-1. */
typedef struct {
    const char *name;
    const char *long_name;
    const char *units;
    const char *labels; /* comma-separated string values, or NULL */
    int bare;           /* no coordinate variable (netCDF's "dimension but not a
                           variable"): xarray then joins FT_CHAR text into strings */
} field_dim;
/* The entry of dimension name, or NULL (coordinate 0..n-1, long_name the
 * name). "checkpoint" and "val_checkpoint" hold the iterations when every
 * task of the study shares the schedule (field_maxima), else indices. */
const field_dim *fields_dim(const char *name);

/* The statistics across seeds written under summary/<stat>/<field name>. */
typedef struct {
    const char *name;   /* "mean", ... */
    const char *what;   /* its long_name, before the field's */
    const char *method; /* how it is computed (the dataset's comment) */
    int same_units;     /* in the field's units (n: a count) */
} field_stat;
#define FIELD_N_STATS 8
extern const field_stat field_stats[FIELD_N_STATS];

/* Checks a study's fields: every dimension named, one length per name, no
 * dimension named like a field's last path component, no name twice.
 * Fills why and returns -1 on the first problem. */
int fields_check(const field *f, int n, char *why, size_t size);

/* Packs field f of a finished task into buf (field_size elements, padded). */
void fields_pack_train(const field *f, const train_result *r, void *buf);
void fields_pack_sde(const field *f, const le_sde_result *r, void *buf);
/* Bytes per element of a type. */
size_t field_elsize(field_type t);

#endif
