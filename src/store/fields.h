/* fields: the table of what a task records, per kind of study.
 *
 * One entry per dataset of a study group, with its per-task dimensions
 * (maxima over the study's grid: tasks with fewer classes or checkpoints
 * are padded with NaN / -1). The same table drives creation, task writes,
 * summaries and the determinism comparison. */
#ifndef LESDE_STORE_FIELDS_H
#define LESDE_STORE_FIELDS_H

#include "spec/spec.h"

typedef enum { FT_F64, FT_I64, FT_I32, FT_I8, FT_STR } field_type;

typedef struct {
    char name[64];        /* path below the study group */
    field_type type;
    int ndim;             /* per-task dimensions */
    long dims[4];
    const char *dimname[4]; /* dimension scale names (NULL: none) */
    int summarize;        /* mean / std / interval across seeds */
    int timing;           /* varies between identical runs (rank, seconds) */
    const char *units;
    const char *desc;
    int id;               /* what it holds (enum in fields.c) */
} field;

typedef struct {
    long K, C, S, NP, T, CH, NT, NV, O, V; /* maxima over the study's grid */
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
long field_size(const field *f);

/* Packs field f of a finished task into buf (field_size elements, padded). */
void fields_pack_train(const field *f, const train_result *r, void *buf);
void fields_pack_sde(const field *f, const le_sde_result *r, void *buf);
/* Bytes per element of a type (STR: STORE_MSG_LEN). */
size_t field_elsize(field_type t);

#endif
