/* spec: validation, expansion into tasks, the canonical form and its hash. */
#include "spec/spec.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/internal.h"

/* What a study's keys were set to, while it is being validated. */
typedef struct {
    int given, line, order; /* order: index of the entry in its section */
    spec_values v;
} slot;

typedef struct {
    slot s[SPEC_KEYS_MAX]; /* by row of spec_keys */
} study_work;

static void work_free(study_work *w)
{
    if (!w)
        return;
    for (int r = 0; r < SPEC_KEYS_MAX; r++)
        spec_values_free(&w->s[r].v);
    free(w);
}

static slot *slot_of(study_work *w, const char *key, spec_kind kind)
{
    const spec_key_def *d = spec_key_find(key, kind);
    return d ? &w->s[d - spec_keys] : NULL;
}

/* Line to blame for a problem involving the given keys (NULL-terminated,
 * most specific first): the first one the spec sets, else the section. */
static int blame(study_work *w, const spec_study *st, ...)
{
    va_list ap;
    va_start(ap, st);
    const char *key;
    int line = st->line;
    while ((key = va_arg(ap, const char *))) {
        slot *sl = slot_of(w, key, st->kind);
        if (sl && sl->given) {
            line = sl->line;
            break;
        }
    }
    va_end(ap);
    return line;
}

const char *spec_kind_name(spec_kind kind)
{
    return kind == SPEC_SDE ? "sde" : "train";
}

/* ---- the grid ---- */

int spec_point_coord(const spec_study *st, long point, int a)
{
    long stride = 1;
    for (int b = st->n_axes - 1; b > a; b--)
        stride *= st->axes[b].n;
    return (int)((point / stride) % st->axes[a].n);
}

int spec_hash_matches(const spec *s, const char *hash)
{
    return !strcmp(hash, s->hash) || !strcmp(hash, s->hash_all);
}

int spec_axis_find(const spec_study *st, const char *key)
{
    for (int a = 0; a < st->n_axes; a++)
        if (strcmp(st->axes[a].key, key) == 0)
            return a;
    return -1;
}

/* The study's value of a scalar number or word key (a word's index); rho
 * has no config field. */
static double key_value(const spec_study *st, const spec_key_def *d)
{
    return d->field == SPEC_F_RHO ? st->rho : spec_field_get(d->field, &st->train, &st->sde);
}

int spec_scalar(const spec_study *st, const char *key, double *value, const char **word)
{
    const spec_key_def *d = spec_key_find(key, st->kind);
    if (!d || spec_axis_find(st, key) >= 0 || (d->field == SPEC_F_SDE_P && st->p_is_k) ||
        (d->type != SPEC_T_INT && d->type != SPEC_T_REAL && d->type != SPEC_T_WORD))
        return -1;
    /* p_err and rho: the one the spec gives (the other is per task) */
    if ((d->field == SPEC_F_RHO && !st->rho_given) || (d->field == SPEC_F_P_ERR && st->rho_given))
        return -1;
    *value = key_value(st, d);
    *word = d->type == SPEC_T_WORD ? d->words[(int)*value] : NULL;
    return 0;
}

int spec_word_of(const spec_study *st, const char *key, const char *text)
{
    const spec_key_def *d = spec_key_find(key, st->kind);
    return d && d->type == SPEC_T_WORD ? spec_word_index(d, text) : -1;
}

/* The configs of grid point `point`: base, axis values, then the derived
 * values (p_err from rho, p from K). */
static void point_config(const spec_study *st, long point, train_config *tc, le_sde_config *sc)
{
    *tc = st->train;
    *sc = st->sde;
    double rho = st->rho;
    long rest = point;
    for (int a = st->n_axes - 1; a >= 0; a--) {
        const spec_axis *ax = &st->axes[a];
        double v = ax->values[rest % ax->n];
        rest /= ax->n;
        if (ax->field == SPEC_F_RHO)
            rho = v;
        else
            spec_field_set((spec_field)ax->field, v, tc, sc);
    }
    if (st->rho_given) {
        tc->p_err = rho * (tc->k - 1) / tc->k;
        /* rho = K/(K-1) means p_err = 1; do not let rounding refuse it. */
        if (tc->p_err > 1 && tc->p_err < 1 + 1e-12)
            tc->p_err = 1;
    }
    if (st->p_is_k)
        sc->p = sc->K;
}

/* " (at key = label, ...)" naming a grid point, or "" without axes. */
static void point_desc(const spec_study *st, long point, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!st->n_axes)
        return;
    size_t len = (size_t)snprintf(buf, n, " (at ");
    for (int a = 0; a < st->n_axes && len < n; a++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s = %s", a ? ", " : "", st->axes[a].key,
                                st->axes[a].labels[spec_point_coord(st, point, a)]);
    if (len < n)
        snprintf(buf + len, n - len, ")");
}

/* Checks that need several keys, at every grid point. */
static int check_points(const spec_study *st, study_work *w, const char *file, lesde_err *e)
{
    char at[256];
    for (long pt = 0; pt < st->n_points; pt++) {
        train_config tc;
        le_sde_config sc;
        point_config(st, pt, &tc, &sc);
        if (st->kind == SPEC_SDE) {
            if (sc.model == LE_MODEL_L && sc.p != sc.K) {
                point_desc(st, pt, at, sizeof at);
                return spec_error(e, file, blame(w, st, "p", "model", "classes", NULL),
                                  "the L-model needs p = classes, not p = %d with classes = %d%s",
                                  sc.p, sc.K, at);
            }
            continue;
        }
        int maxk = data_kind_max_k(tc.dataset);
        const char *dname = data_kind_name(tc.dataset);
        if (tc.k > maxk) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, blame(w, st, "classes", "dataset", NULL),
                              "classes must be in 2..%d for %s, not %d%s", maxk, dname, tc.k, at);
        }
        if (st->rho_given && tc.p_err > 1) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, blame(w, st, "rho", NULL),
                              "rho gives p_err = %.4g > 1 with classes = %d (rho must be at "
                              "most K/(K-1) = %.4g)%s",
                              tc.p_err, tc.k, tc.k / (tc.k - 1.0), at);
        }
        if (tc.n_class_ids) {
            if (tc.n_class_ids != tc.k) {
                point_desc(st, pt, at, sizeof at);
                return spec_error(e, file, blame(w, st, "class_ids", "classes", NULL),
                                  "%d class ids given for %d classes%s", tc.n_class_ids, tc.k, at);
            }
            for (int i = 0; i < tc.n_class_ids; i++)
                if (tc.class_ids[i] >= maxk) {
                    point_desc(st, pt, at, sizeof at);
                    return spec_error(e, file, blame(w, st, "class_ids", "dataset", NULL),
                                      "class id %d is not a class of %s (0..%d)%s", tc.class_ids[i],
                                      dname, maxk - 1, at);
                }
        }
        if ((long)tc.checkpoints > tc.iters + 1) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, blame(w, st, "checkpoints", "iters", NULL),
                              "%d checkpoints do not fit in %ld iterations%s", tc.checkpoints,
                              tc.iters, at);
        }
        if ((long)tc.val_checkpoints > tc.iters + 1 || tc.val_checkpoints == 1) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, blame(w, st, "val_checkpoints", "iters", NULL),
                              "val_checkpoints must be 0 (default) or 2..%ld (iters + 1), not "
                              "%d%s", tc.iters + 1, tc.val_checkpoints, at);
        }
        if (tc.probe_per_class > tc.train_per_class) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, blame(w, st, "probe_per_class", "train_per_class", NULL),
                              "probe_per_class (%d) is more than train_per_class (%d)%s",
                              tc.probe_per_class, tc.train_per_class, at);
        }
        if (tc.snapshots > tc.checkpoints) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, blame(w, st, "snapshots", "checkpoints", NULL),
                              "snapshots (%d) are more than checkpoints (%d)%s", tc.snapshots,
                              tc.checkpoints, at);
        }
        /* Whatever train itself refuses, should it check more than we do. */
        lesde_err te;
        err_clear(&te);
        if (train_config_check(&tc, &te) != LESDE_OK) {
            point_desc(st, pt, at, sizeof at);
            return spec_error(e, file, st->line, "study '%s': %s%s", st->name, te.msg, at);
        }
    }
    return LESDE_OK;
}

/* ---- a study ---- */

static int cmp_axis(const void *a, const void *b)
{
    return strcmp(((const spec_axis *)a)->key, ((const spec_axis *)b)->key);
}

static int add_axis(spec_study *st, const spec_key_def *d, const spec_values *v)
{
    spec_axis *ax = &st->axes[st->n_axes];
    memset(ax, 0, sizeof *ax);
    snprintf(ax->key, sizeof ax->key, "%s", d->key);
    ax->field = d->field;
    ax->type = d->type == SPEC_T_WORD   ? SPEC_VALUE_WORD
               : d->type == SPEC_T_REAL ? SPEC_VALUE_REAL
                                        : SPEC_VALUE_INT;
    ax->values = malloc((size_t)v->n * sizeof *ax->values);
    ax->labels = calloc((size_t)v->n, sizeof *ax->labels);
    st->n_axes++; /* now spec_free frees what is there */
    if (!ax->values || !ax->labels)
        return -1;
    ax->n = v->n;
    /* the labels' text in one block (an axis may have millions) */
    size_t cap = 64 * (size_t)v->n, len = 0, *off = malloc(sizeof(size_t) * (size_t)v->n);
    char *pool = malloc(cap);
    if (!pool || !off) {
        free(pool);
        free(off);
        return -1;
    }
    for (int i = 0; i < v->n; i++) {
        char *t = pool + len;
        ax->values[i] = v->v[i];
        if (d->type == SPEC_T_WORD)
            snprintf(t, 40, "%s", d->words[(int)v->v[i]]);
        else
            spec_format_short(t, 40, v->v[i]);
        off[i] = len;
        len += strlen(t) + 1;
    }
    /* shrink to fit, then point the labels into the block; labels[0] owns
     * it (spec_free) */
    char *p = realloc(pool, len);
    pool = p ? p : pool;
    for (int i = 0; i < v->n; i++)
        ax->labels[i] = pool + off[i];
    free(off);
    return 0;
}

static int set_seeds(uint64_t **dst, int *n, const double *v, int count)
{
    *dst = malloc((size_t)(count ? count : 1) * sizeof **dst);
    if (!*dst)
        return -1;
    for (int i = 0; i < count; i++)
        (*dst)[i] = (uint64_t)v[i];
    *n = count;
    return 0;
}

/* Reads the keys of study section sec into st (validated), adding its
 * tasks to *total. */
static int load_study(const spec *s, spec_study *st, spec_raw_section *sec, const char *file,
                      long *total, lesde_err *e)
{
    snprintf(st->name, sizeof st->name, "%s", sec->name + 6);
    st->line = sec->line;
    spec_raw_entry *ke = spec_raw_find(sec, "kind");
    if (!ke)
        return spec_error(e, file, sec->line,
                          "study '%s' has no kind (add kind = train or kind = sde)", st->name);
    if (strcasecmp(ke->value, "train") == 0)
        st->kind = SPEC_TRAIN;
    else if (strcasecmp(ke->value, "sde") == 0)
        st->kind = SPEC_SDE;
    else
        return spec_error(e, file, ke->line, "kind must be train or sde, not '%s'", ke->value);
    spec_kind other = st->kind == SPEC_TRAIN ? SPEC_SDE : SPEC_TRAIN;
    train_config_default(&st->train);
    le_sde_config_default(&st->sde);

    study_work *w = calloc(1, sizeof *w);
    if (!w)
        return spec_nomem(e);
    int rc = LESDE_OK;
    for (int i = 0; i < sec->n && rc == LESDE_OK; i++) {
        spec_raw_entry *en = &sec->e[i];
        if (strcmp(en->key, "kind") == 0)
            continue;
        const spec_key_def *d = spec_key_find(en->key, st->kind);
        if (!d) {
            if (spec_key_find(en->key, other))
                rc = spec_error(e, file, en->line, "'%s' is a key of %s studies, not of %s ones",
                                en->key, spec_kind_name(other), spec_kind_name(st->kind));
            else
                rc = spec_error(e, file, en->line, "unknown key '%s' for a %s study", en->key,
                                spec_kind_name(st->kind));
            break;
        }
        slot *sl = &w->s[d - spec_keys];
        rc = spec_values_parse(d, en->value, file, en->line, &sl->v, e);
        sl->given = 1;
        sl->line = en->line;
        sl->order = i;
    }
    if (rc)
        goto done;

    if (st->kind == SPEC_TRAIN) {
        slot *pe = slot_of(w, "p_err", SPEC_TRAIN), *rho = slot_of(w, "rho", SPEC_TRAIN);
        if (pe->given && rho->given) {
            rc = spec_error(e, file, pe->order > rho->order ? pe->line : rho->line,
                            "give p_err or rho, not both (rho sets p_err = rho (K-1)/K)");
            goto done;
        }
    }

    /* Scalars into the base configs; lists become axes. */
    const spec_key_def *axis_def[SPEC_KEYS_MAX];
    const slot *axis_slot[SPEC_KEYS_MAX];
    int n_ax = 0;
    st->p_is_k = st->kind == SPEC_SDE;
    for (int r = 0; r < spec_n_keys; r++) {
        const spec_key_def *d = &spec_keys[r];
        slot *sl = &w->s[r];
        if (d->kind != st->kind || !sl->given)
            continue;
        switch (d->type) {
        case SPEC_T_TEXT: /* data_dir */
            snprintf(st->data_dir, sizeof st->data_dir, "%s", sl->v.text);
            break;
        case SPEC_T_IDS:
            for (int i = 0; i < sl->v.n; i++)
                st->train.class_ids[i] = (int)sl->v.v[i];
            st->train.n_class_ids = sl->v.n;
            break;
        case SPEC_T_SEEDS:
            if (set_seeds(&st->seeds, &st->n_seeds, sl->v.v, sl->v.n)) {
                rc = spec_nomem(e);
                goto done;
            }
            break;
        default:
            if (d->field == SPEC_F_SDE_P) {
                st->p_is_k = sl->v.is_classes;
                if (sl->v.is_classes)
                    break;
            }
            if (d->field == SPEC_F_RHO) {
                st->rho_given = 1;
                st->rho = sl->v.v[0];
            }
            spec_field_set(d->field, sl->v.v[0], &st->train, &st->sde);
            if (sl->v.n >= 2) {
                axis_def[n_ax] = d;
                axis_slot[n_ax++] = sl;
            }
        }
    }
    if (!st->seeds) { /* the sweep's seeds */
        st->seeds = malloc((size_t)s->n_seeds * sizeof *st->seeds);
        if (!st->seeds) {
            rc = spec_nomem(e);
            goto done;
        }
        memcpy(st->seeds, s->seeds, (size_t)s->n_seeds * sizeof *st->seeds);
        st->n_seeds = s->n_seeds;
    }

    /* Normal forms, so that spelling out a default changes nothing:
     * p = classes (scalars) and class_ids = 0 .. K-1. */
    slot *ks = slot_of(w, "classes", st->kind);
    int k_scalar = !(ks->given && ks->v.n >= 2);
    if (st->kind == SPEC_SDE) {
        slot *ps = slot_of(w, "p", SPEC_SDE);
        if (ps->given && !ps->v.is_classes && ps->v.n == 1 && k_scalar && st->sde.p == st->sde.K)
            st->p_is_k = 1;
        if (st->p_is_k)
            st->sde.p = st->sde.K;
    } else if (st->train.n_class_ids && k_scalar && st->train.n_class_ids == st->train.k) {
        int first = 1;
        for (int i = 0; i < st->train.n_class_ids; i++)
            first &= st->train.class_ids[i] == i;
        if (first)
            st->train.n_class_ids = 0;
    }

    if (n_ax > SPEC_MAX_AXES) {
        int worst = 0;
        for (int a = 1; a < n_ax; a++)
            if (axis_slot[a]->order > axis_slot[worst]->order)
                worst = a;
        rc = spec_error(e, file, axis_slot[worst]->line, "study '%s' has more than %d grid axes",
                        st->name, SPEC_MAX_AXES);
        goto done;
    }
    for (int a = 0; a < n_ax; a++)
        if (add_axis(st, axis_def[a], &axis_slot[a]->v)) {
            rc = spec_nomem(e);
            goto done;
        }
    qsort(st->axes, (size_t)st->n_axes, sizeof st->axes[0], cmp_axis);

    st->n_points = 1;
    for (int a = 0; a < st->n_axes; a++) {
        if (st->n_points > SPEC_MAX_TASKS / st->axes[a].n) {
            rc = spec_error(e, file, st->line, "the grid of study '%s' has more than %ld points",
                            st->name, SPEC_MAX_TASKS);
            goto done;
        }
        st->n_points *= st->axes[a].n;
    }
    if (st->n_points > (SPEC_MAX_TASKS - *total) / st->n_seeds) {
        rc = spec_error(e, file, st->line,
                        "too many tasks: study '%s' has %ld grid points x %d seeds, and the "
                        "sweep may have at most %ld tasks",
                        st->name, st->n_points, st->n_seeds, SPEC_MAX_TASKS);
        goto done;
    }
    st->n_tasks = st->n_points * st->n_seeds;
    *total += st->n_tasks;
    st->data_line = blame(w, st, "data_dir", "dataset", NULL); /* a data check's place */
    rc = check_points(st, w, file, e);
done:
    work_free(w);
    return rc;
}

/* ---- [sweep] ---- */

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* Default sweep name: the file's base name without its extension. */
static void base_name(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t len = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (len >= n)
        len = n - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = name_char(b[i]) ? b[i] : '_';
    out[len] = '\0';
    if (!len)
        snprintf(out, n, "sweep");
}

static int load_sweep(spec *s, spec_raw_section *sec, const char *file, lesde_err *e)
{
    for (int i = 0; sec && i < sec->n; i++) {
        spec_raw_entry *en = &sec->e[i];
        if (strcmp(en->key, "name") == 0) {
            size_t n = strlen(en->value), ok = n > 0 && n < SPEC_NAME_MAX;
            for (size_t j = 0; j < n; j++)
                ok &= name_char(en->value[j]);
            /* the default store is results/<name>/store.h5: not the parent */
            ok &= strcmp(en->value, ".") && strcmp(en->value, "..");
            if (!ok)
                return spec_error(e, file, en->line,
                                  "bad sweep name '%s' (1 to %d letters, digits, '_', '-', '.'; "
                                  "not . or ..)",
                                  en->value, SPEC_NAME_MAX - 1);
            snprintf(s->name, sizeof s->name, "%s", en->value);
        } else if (strcmp(en->key, "seeds") == 0) {
            spec_values v;
            int rc = spec_values_parse(spec_key_find("seeds", SPEC_TRAIN), en->value, file,
                                       en->line, &v, e);
            if (rc)
                return rc;
            free(s->seeds);
            rc = set_seeds(&s->seeds, &s->n_seeds, v.v, v.n);
            spec_values_free(&v);
            if (rc)
                return spec_nomem(e);
        } else if (strcmp(en->key, "description") == 0) {
            free(s->description);
            s->description = strdup(en->value);
            if (!s->description)
                return spec_nomem(e);
        } else {
            return spec_error(e, file, en->line,
                              "unknown key '%s' in [sweep] (expected name, seeds or description)",
                              en->key);
        }
    }
    return LESDE_OK;
}

/* ---- canonical form and hash ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} sbuf;

/* Room for need more bytes and a NUL; 0, or -1 (failed set) when out of
 * memory. */
static int sb_grow(sbuf *b, size_t need)
{
    if (b->failed)
        return -1;
    if (b->buf && b->len + need < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap <= b->len + need)
        cap *= 2;
    char *p = realloc(b->buf, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->buf = p;
    b->cap = cap;
    return 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        if (b->failed)
            return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->buf && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        sb_grow(b, (size_t)n);
    }
}

/* Appends len bytes of s. */
static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (sb_grow(b, len))
        return;
    memcpy(b->buf + b->len, s, len);
    b->len += len;
    b->buf[b->len] = '\0';
}

/* Seeds may number millions: formatted by hand, not by printf. */
static void sb_seeds(sbuf *b, const uint64_t *seeds, int n)
{
    /* t holds ", " and the decimal digits of the last seed, right-aligned;
     * a seed one more than the last (ranges) is an increment of them */
    char t[32];
    int len = 0; /* digits in t */
    for (int i = 0; i < n && !b->failed; i++) {
        if (i && len && seeds[i] == seeds[i - 1] + 1) {
            int j = (int)sizeof t - 1;
            while (j >= (int)sizeof t - len && t[j] == '9')
                t[j--] = '0';
            if (j >= (int)sizeof t - len)
                t[j]++;
            else
                t[sizeof t - 1 - len++] = '1';
        } else {
            uint64_t x = seeds[i];
            len = 0;
            do {
                t[sizeof t - 1 - len++] = (char)('0' + x % 10);
                x /= 10;
            } while (x);
        }
        int sep = i ? 2 : 0;
        t[sizeof t - 1 - len] = ' ';
        t[sizeof t - 2 - len] = ',';
        sb_put(b, t + sizeof t - len - sep, (size_t)(len + sep));
    }
}

/* prefix and "%.17g" of v; integers by hand (an axis may have millions,
 * and %.17g of an integer below 1e15 is its digits) */
static void sb_number(sbuf *b, const char *prefix, double v)
{
    if (!(v == floor(v) && fabs(v) < 1e15) || (v == 0 && signbit(v))) {
        sb_printf(b, "%s%.17g", prefix, v);
        return;
    }
    char t[48];
    size_t n = strlen(prefix);
    memcpy(t, prefix, n);
    n += (size_t)spec_format_int(t + n, v);
    sb_put(b, t, n);
}

static int cmp_key_rows(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    const char *kx = x < 0 ? "kind" : spec_keys[x].key, *ky = y < 0 ? "kind" : spec_keys[y].key;
    return strcmp(kx, ky);
}

/* One key's normalised value(s). */
static void canon_value(sbuf *b, const spec_study *st, const spec_key_def *d)
{
    int a = spec_axis_find(st, d->key);
    switch (d->type) {
    case SPEC_T_TEXT: sb_printf(b, "%s", st->data_dir); return;
    case SPEC_T_IDS:
        for (int i = 0; i < st->train.n_class_ids; i++)
            sb_printf(b, "%s%d", i ? " " : "", st->train.class_ids[i]);
        return;
    case SPEC_T_SEEDS: sb_seeds(b, st->seeds, st->n_seeds); return;
    default: break;
    }
    if (d->field == SPEC_F_SDE_P && st->p_is_k) {
        sb_printf(b, "classes");
        return;
    }
    if (a >= 0) {
        for (int i = 0; i < st->axes[a].n; i++) {
            if (d->type == SPEC_T_WORD)
                sb_printf(b, "%s%s", i ? ", " : "", st->axes[a].labels[i]);
            else
                sb_number(b, i ? ", " : "", st->axes[a].values[i]);
        }
        return;
    }
    double v = key_value(st, d);
    if (d->type == SPEC_T_WORD)
        sb_printf(b, "%s", d->words[(int)v]);
    else
        sb_printf(b, "%.17g", v);
}

static int canonical(spec *s, lesde_err *e)
{
    sbuf b = {0}, v = {0}; /* v: one key's value */
    sb_printf(&b, "[sweep]\ndescription =%s%s\nname = %s\nseeds = ", s->description ? " " : "",
              s->description ? s->description : "", s->name);
    sb_seeds(&b, s->seeds, s->n_seeds);
    sb_printf(&b, "\n");
    for (int i = 0; i < s->n_studies; i++) {
        const spec_study *st = &s->studies[i];
        int rows[SPEC_KEYS_MAX + 1], n = 0;
        rows[n++] = -1; /* kind */
        for (int r = 0; r < spec_n_keys; r++)
            if (spec_keys[r].kind == st->kind)
                rows[n++] = r;
        qsort(rows, (size_t)n, sizeof rows[0], cmp_key_rows);
        sb_printf(&b, "\n[study.%s]\n", st->name);
        for (int j = 0; j < n; j++) {
            if (rows[j] < 0) {
                sb_printf(&b, "kind = %s\n", spec_kind_name(st->kind));
                continue;
            }
            const spec_key_def *d = &spec_keys[rows[j]];
            /* One of p_err and rho: p_err alone is the default. */
            if ((d->field == SPEC_F_RHO && !st->rho_given) ||
                (d->field == SPEC_F_P_ERR && st->rho_given))
                continue;
            v.len = 0;
            canon_value(&v, st, d);
            if (v.failed)
                b.failed = 1;
            else if (v.len == 0) /* empty means the default */
                sb_printf(&b, "%s =\n", d->key);
            else { /* by hand: printf's %s runs over a long value twice */
                sb_printf(&b, "%s = ", d->key);
                sb_put(&b, v.buf, v.len);
                sb_put(&b, "\n", 1);
            }
        }
    }
    free(v.buf);
    if (b.failed) {
        free(b.buf);
        return spec_nomem(e);
    }
    s->canonical = b.buf;
    /* FNV-1a 64 over every line but the description and data_dir: neither
     * changes a result, and a store moved to a cluster, where the data
     * lives elsewhere, or a description edited must still resume. */
    uint64_t h = 0xcbf29ce484222325ULL, h_all = h;
    for (const char *line = b.buf; *line;) {
        const char *end = strchr(line, '\n');
        end = end ? end + 1 : line + strlen(line);
        int kept = strncmp(line, "description =", 13) && strncmp(line, "data_dir =", 10);
        for (const char *q = line; q < end; q++) {
            h_all = (h_all ^ (unsigned char)*q) * 0x100000001b3ULL;
            if (kept)
                h = (h ^ (unsigned char)*q) * 0x100000001b3ULL;
        }
        line = end;
    }
    snprintf(s->hash, sizeof s->hash, "%016" PRIx64, h);
    snprintf(s->hash_all, sizeof s->hash_all, "%016" PRIx64, h_all);
    return LESDE_OK;
}

/* ---- load, parse, free ---- */

static int cmp_study(const void *a, const void *b)
{
    return strcmp(((const spec_study *)a)->name, ((const spec_study *)b)->name);
}

static int build(spec *s, spec_raw *raw, const char *file, lesde_err *e)
{
    spec_raw_section *sweep = NULL;
    int n_studies = 0;
    for (int i = 0; i < raw->n; i++) {
        if (strcmp(raw->sec[i].name, "sweep") == 0)
            sweep = &raw->sec[i];
        else
            n_studies++;
    }
    base_name(file, s->name, sizeof s->name);
    if (set_seeds(&s->seeds, &s->n_seeds, (const double[]){0}, 1))
        return spec_nomem(e);
    int rc = load_sweep(s, sweep, file, e);
    if (rc)
        return rc;
    if (n_studies == 0)
        return spec_error(e, file, 1, "no studies: add a [study.NAME] section with its kind");

    s->studies = calloc((size_t)n_studies, sizeof *s->studies);
    if (!s->studies)
        return spec_nomem(e);
    long total = 0;
    for (int i = 0; i < raw->n; i++) {
        if (&raw->sec[i] == sweep)
            continue;
        spec_study *st = &s->studies[s->n_studies++];
        rc = load_study(s, st, &raw->sec[i], file, &total, e);
        if (rc)
            return rc;
    }
    qsort(s->studies, (size_t)s->n_studies, sizeof *s->studies, cmp_study);
    long first = 0;
    for (int i = 0; i < s->n_studies; i++) {
        spec_study *st = &s->studies[i];
        st->first_task = first;
        first += st->n_tasks;
        /* Set after sorting: the pointer is into the study itself. */
        st->train.data_dir = st->data_dir[0] ? st->data_dir : NULL;
    }
    s->n_tasks = first;
    return canonical(s, e);
}

const char *spec_next_override(const char **at, int *len)
{
    const char *o = *at;
    if (!o || !*o)
        return NULL;
    size_t n = strcspn(o, "\n");
    *len = (int)n;
    *at = o + n + (o[n] == '\n');
    return o;
}

int spec_override_arg(const char *o, int n, char *buf, size_t size)
{
    int plain = n > 0;
    for (int i = 0; i < n; i++) {
        char c = o[i];
        plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 (c && strchr("_.,=+-:/", c));
    }
    if (plain)
        return snprintf(buf, size, "--set %.*s", n, o);
    size_t len = (size_t)snprintf(buf, size, "--set '");
    for (int i = 0; i < n; i++) /* a ' closes, is escaped, reopens */
        len += (size_t)snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
                                o[i] == '\'' ? "'\\''" : "%c", o[i]);
    len += (size_t)snprintf(buf + (len < size ? len : size), len < size ? size - len : 0, "'");
    return (int)len;
}

int spec_parse(spec *s, const char *text, const char *filename, const char *const *sets, int n_sets,
               lesde_err *e)
{
    memset(s, 0, sizeof *s);
    err_clear(e);
    const char *file = filename ? filename : "<spec>";
    snprintf(s->path, sizeof s->path, "%s", file);
    s->text = strdup(text);
    /* Kept so a store can record them: its readers re-parse text + overrides. */
    size_t olen = 1;
    for (int i = 0; i < n_sets; i++)
        olen += strlen(sets[i]) + 1;
    s->overrides = calloc(olen, 1);
    if (!s->text || !s->overrides) {
        spec_free(s);
        return spec_nomem(e);
    }
    for (int i = 0; i < n_sets; i++) {
        strcat(s->overrides, sets[i]);
        if (i + 1 < n_sets)
            strcat(s->overrides, "\n");
    }
    spec_raw raw;
    int rc = spec_raw_read(&raw, text, file, e);
    for (int i = 0; rc == LESDE_OK && i < n_sets; i++)
        rc = spec_raw_override(&raw, sets[i], file, e);
    if (rc == LESDE_OK)
        rc = build(s, &raw, file, e);
    spec_raw_free(&raw);
    if (rc)
        spec_free(s);
    return rc;
}

int spec_load(spec *s, const char *path, const char *const *sets, int n_sets, lesde_err *e)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, LESDE_FAIL, "%s: cannot read the spec: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    int bad = 0;
    while (text && !bad) {
        len += fread(text + len, 1, cap - 1 - len, f);
        if (len < cap - 1) {
            bad = ferror(f);
            break;
        }
        char *p = realloc(text, cap * 2);
        if (!p)
            free(text);
        text = p;
        cap *= 2;
    }
    fclose(f);
    if (!text)
        return spec_nomem(e);
    if (bad) {
        free(text);
        return err_set(e, LESDE_FAIL, "%s: cannot read the spec: %s", path, strerror(errno));
    }
    text[len] = '\0';
    if (strlen(text) != len) { /* a NUL byte: not a text file */
        int line = 1;
        for (const char *p = text; *p; p++)
            line += *p == '\n';
        free(text);
        return spec_error(e, path, line, "NUL byte: not a text file");
    }
    int rc = spec_parse(s, text, path, sets, n_sets, e);
    free(text);
    return rc;
}

void spec_free(spec *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_studies; i++) {
        spec_study *st = &s->studies[i];
        for (int a = 0; a < st->n_axes; a++) {
            if (st->axes[a].labels) /* labels[0] owns the text of all */
                free(st->axes[a].labels[0]);
            free(st->axes[a].labels);
            free(st->axes[a].values);
        }
        free(st->seeds);
    }
    free(s->studies);
    free(s->seeds);
    free(s->description);
    free(s->canonical);
    free(s->text);
    free(s->overrides);
    memset(s, 0, sizeof *s);
}

/* ---- tasks ---- */

/* Cost in units of one CNN forward pass of one sample (about 0.4 M
 * multiply-adds). A training step counts 3.6 of them: its FLOPs are 3
 * passes (forward + backward), but measured it takes 3.6-3.9 batched
 * passes' time (docs/spec.md, "What recording costs"). The weight only
 * orders the tasks, longest first; no result depends on it. */
static double task_cost(const spec_study *st, const train_config *tc, const le_sde_config *sc)
{
    if (st->kind == SPEC_TRAIN) {
        double infer = tc->dataset == DATA_CIFAR10 ? 1.5 : 1.0; /* 3 input channels */
        double steps = 3.6 * (double)tc->iters;
        double record = (double)tc->k * ((double)train_val_checkpoints(tc) * tc->val_per_class +
                                         ((double)tc->checkpoints + train_ref_records(tc, NULL)) *
                                             tc->probe_per_class);
        double data = 0.5 * tc->k * (tc->train_per_class + tc->val_per_class);
        /* the fit's reference method: Euler steps of a K^2 x K^2 propagator,
         * about 2e-4 K^4 forward passes a step (the dry run's self-benchmark
         * on Zen 5: 14-15 us a step at K = 10, two passes; at K = 3 it is
         * 0.3 us, ~1% of a training step, where the K^4 term says 0.1) */
        double fit = tc->fit ? 2e-4 * pow(tc->k, 4) * (double)tc->iters : 0;
        return infer * (steps + record + data) + fit;
    }
    /* Per observation: drawing K n samples of dimension p, and one LP per
     * class pair, on 2n points in p + 1 unknowns (a simplex does about 2n
     * pivots of (2n)(p + 2) each). */
    double K = sc->K, n = sc->n, p = sc->p;
    double draw = K * n * p * 20.0;
    double lp = K * (K - 1) / 2.0 * (2 * n) * (2 * n) * (p + 2);
    return sc->n_obs * (draw + lp) / 4e5 + 1e-3;
}

static const spec_study *study_of(const spec *s, const spec_task *t)
{
    return t && t->study >= 0 && t->study < s->n_studies ? &s->studies[t->study] : NULL;
}

int spec_task_get(const spec *s, long id, spec_task *t)
{
    if (id < 0 || id >= s->n_tasks)
        return LESDE_USAGE;
    int lo = 0, hi = s->n_studies - 1; /* last study with first_task <= id */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->studies[mid].first_task <= id)
            lo = mid;
        else
            hi = mid - 1;
    }
    const spec_study *st = &s->studies[lo];
    long local = id - st->first_task;
    t->id = id;
    t->study = lo;
    t->point = local / st->n_seeds;
    t->seed_index = (int)(local % st->n_seeds);
    t->seed = st->seeds[t->seed_index];
    train_config tc;
    le_sde_config sc;
    point_config(st, t->point, &tc, &sc);
    t->cost = task_cost(st, &tc, &sc);
    return LESDE_OK;
}

int spec_task_train(const spec *s, const spec_task *t, train_config *out)
{
    const spec_study *st = study_of(s, t);
    if (!st || st->kind != SPEC_TRAIN || t->point < 0 || t->point >= st->n_points)
        return LESDE_USAGE;
    le_sde_config sc;
    point_config(st, t->point, out, &sc);
    out->seed = t->seed;
    out->data_dir = st->data_dir[0] ? st->data_dir : NULL;
    return LESDE_OK;
}

int spec_task_sde(const spec *s, const spec_task *t, le_sde_config *out)
{
    const spec_study *st = study_of(s, t);
    if (!st || st->kind != SPEC_SDE || t->point < 0 || t->point >= st->n_points)
        return LESDE_USAGE;
    train_config tc;
    point_config(st, t->point, &tc, out);
    out->seed = t->seed;
    return LESDE_OK;
}

int spec_task_label(const spec *s, const spec_task *t, char *buf, size_t size)
{
    const spec_study *st = study_of(s, t);
    if (!st)
        return snprintf(buf, size, "?");
    char tmp[1024];
    size_t len = (size_t)snprintf(tmp, sizeof tmp, "%s/", st->name);
    for (int a = 0; a < st->n_axes && len < sizeof tmp; a++)
        len +=
            (size_t)snprintf(tmp + len, sizeof tmp - len, "%s%s=%s", a ? "," : "", st->axes[a].key,
                             st->axes[a].labels[spec_point_coord(st, t->point, a)]);
    if (len < sizeof tmp)
        snprintf(tmp + len, sizeof tmp - len, "%sseed=%" PRIu64, st->n_axes ? "/" : "", t->seed);
    return snprintf(buf, size, "%s", tmp);
}
