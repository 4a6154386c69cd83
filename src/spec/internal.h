/* spec internals: the raw INI (sections and entries with line numbers), the
 * key table, value parsing. Not part of the public API. */
#ifndef LESDE_SPEC_INTERNAL_H
#define LESDE_SPEC_INTERNAL_H

#include <stddef.h>

#include "spec/spec.h"

/* ---- errors ---- */

int spec_nomem(lesde_err *e);

/* ---- the raw INI ---- */

typedef struct {
    char *key, *value;
    int line; /* SPEC_LINE_SET for an override */
} spec_raw_entry;

typedef struct {
    char *name;        /* "sweep" or "study.NAME" */
    int line;          /* of the [header] (SPEC_LINE_SET if made by --set) */
    spec_raw_entry *e; /* in file order, then overrides */
    int n, cap;
} spec_raw_section;

typedef struct {
    spec_raw_section *sec; /* in file order */
    int n, cap;
} spec_raw;

/* Reads text into sections and entries: syntax, unknown or duplicate
 * sections, keys outside a section, duplicate keys and empty values are
 * reported here with their lines. */
int spec_raw_read(spec_raw *r, const char *text, const char *file, lesde_err *e);
/* Applies one override "study.NAME.key=value" or "sweep.key=value". */
int spec_raw_override(spec_raw *r, const char *set, const char *file, lesde_err *e);
void spec_raw_free(spec_raw *r);
/* The entry of key in section sec, or NULL. */
spec_raw_entry *spec_raw_find(spec_raw_section *sec, const char *key);

/* ---- keys ---- */

typedef enum {
    SPEC_T_INT,  /* integer numbers (lists and a..b ranges) */
    SPEC_T_REAL, /* real numbers, fractions a/b allowed */
    SPEC_T_WORD, /* one of a few words (stored as the word's index) */
    SPEC_T_TEXT, /* free text, never a list */
    SPEC_T_IDS,  /* space-separated class ids, never an axis */
    SPEC_T_SEEDS /* non-negative integers, the seed dimension */
} spec_type;

/* Config fields a key sets. */
typedef enum {
    SPEC_F_NONE = 0,
    /* train */
    SPEC_F_DATASET,
    SPEC_F_DATA_DIR,
    SPEC_F_K,
    SPEC_F_CLASS_IDS,
    SPEC_F_TRAIN_PER_CLASS,
    SPEC_F_VAL_PER_CLASS,
    SPEC_F_P_ERR,
    SPEC_F_RHO,
    SPEC_F_ITERS,
    SPEC_F_LR,
    SPEC_F_CHECKPOINTS,
    SPEC_F_SPACING,
    SPEC_F_VAL_CHECKPOINTS,
    SPEC_F_PROBE,
    SPEC_F_SNAPSHOTS,
    SPEC_F_FIT,
    SPEC_F_SG_ORDER,
    SPEC_F_SG_WINDOW,
    SPEC_F_TAIL_FRAC,
    SPEC_F_SIM_WINDOW,
    SPEC_F_PLATEAU_FACTOR,
    SPEC_F_REF_PATHS,
    SPEC_F_REF_EVERY,
    /* sde */
    SPEC_F_SDE_K,
    SPEC_F_SDE_P,
    SPEC_F_SDE_N,
    SPEC_F_MODEL,
    SPEC_F_SCHEDULE,
    SPEC_F_C,
    SPEC_F_S,
    SPEC_F_B,
    SPEC_F_S_B,
    SPEC_F_NOISE,
    SPEC_F_T,
    SPEC_F_N_OBS,
    /* both */
    SPEC_F_SEEDS
} spec_field;

typedef struct {
    const char *key;
    spec_kind kind;
    spec_type type;
    spec_field field;
    double lo, hi;            /* allowed values (numbers) */
    int lo_open, hi_open;     /* 1: that bound is excluded */
    const char *const *words; /* SPEC_T_WORD: canonical words, by index */
    int n_words;
} spec_key_def;

/* The key table: every key of each kind ("kind" itself excepted; a key of
 * both kinds, like classes or seeds, has one row per kind). */
#define SPEC_KEYS_MAX 48
extern const spec_key_def spec_keys[];
extern const int spec_n_keys;

/* The definition of key for kind, or NULL. */
const spec_key_def *spec_key_find(const char *key, spec_kind kind);
/* Index of word w (case-insensitive, with aliases for booleans) or -1. */
int spec_word_index(const spec_key_def *d, const char *w);

/* Value of field f in a config (as a double), and setting it. */
double spec_field_get(spec_field f, const train_config *tc, const le_sde_config *sc);
void spec_field_set(spec_field f, double v, train_config *tc, le_sde_config *sc);

/* ---- values ---- */

/* A parsed value: numbers (word indexes for words), or text. */
typedef struct {
    int n;
    double *v;
    char *text;     /* SPEC_T_TEXT */
    int is_classes; /* sde p = classes (p follows K) */
} spec_values;

/* Parses value text for key d; errors at file:line. */
int spec_values_parse(const spec_key_def *d, const char *text, const char *file, int line,
                      spec_values *out, lesde_err *e);
void spec_values_free(spec_values *v);

/* Shortest "%.*g" text of v that reads back as v. */
void spec_format_short(char *buf, size_t n, double v);
/* An integer value v (|v| < 1e15) in decimal digits, as "%.0f" prints it
 * (but -0 as "0"), into buf (at least 24 bytes); returns the length. */
int spec_format_int(char *buf, double v);

#endif
