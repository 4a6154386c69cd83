/* store: the HDF5 store (see store.h for the layout and its guarantees). */
#include "store/store.h"

#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <glpk.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_version.h>

#include "core/version.h"
#include "nn/cnn.h"
#include "store/fields.h"
#include "store/h5err.h"

typedef struct {
    hid_t group;
    int nf;
    field f[FIELDS_MAX];
    hid_t dset[FIELDS_MAX];
    field_maxima m;
    int ngrid;                       /* grid axes + the seed axis */
    hsize_t grid[SPEC_MAX_AXES + 1];
    unsigned char all_axes[FIELDS_MAX]; /* a layout 2 store: every field has every axis */
} study_h;

struct store {
    hid_t file;
    hid_t dxpl;   /* independent transfer in parallel mode, default else */
    int parallel;
    int rank;
    MPI_Comm comm; /* when parallel */
    const spec *s;
    study_h *st;
};

/* HDF5 prints its error stack by default; lesde reports one line instead. */
static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* A message's characters: netCDF's NC_CHAR (a one-byte string). */
static hid_t file_type(field_type t)
{
    switch (t) {
    case FT_F64: return H5T_IEEE_F64LE;
    case FT_I64: return H5T_STD_I64LE;
    case FT_I32: return H5T_STD_I32LE;
    case FT_I8: return H5T_STD_I8LE;
    case FT_CHAR: break;
    }
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_strpad(s, H5T_STR_NULLTERM);
    H5Tset_cset(s, H5T_CSET_UTF8);
    return s;
}

static hid_t mem_type(field_type t)
{
    switch (t) {
    case FT_F64: return H5T_NATIVE_DOUBLE;
    case FT_I64: return H5T_NATIVE_INT64;
    case FT_I32: return H5T_NATIVE_INT32;
    case FT_I8: return H5T_NATIVE_INT8;
    case FT_CHAR: break;
    }
    return file_type(FT_CHAR);
}

static void close_type(field_type t, hid_t h)
{
    if (t == FT_CHAR)
        H5Tclose(h);
}

/* ---- file access ---- */

enum { MPI_HINTS_MAX = 1024 }; /* a list's bytes with its NUL, and so any key's or value's */

/* One walk over a --mpi-info list: checks it, and with an info (not
 * MPI_INFO_NULL) sets each key=value pair in it. */
static int mpi_hints(const char *hints, MPI_Info info, lesde_err *e)
{
    if (!hints)
        return LESDE_OK;
    if (strlen(hints) >= MPI_HINTS_MAX)
        return err_set(e, LESDE_USAGE, "--mpi-info: more than 1,023 characters");
    for (const char *p = hints; *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (n && (!eq || eq == p || eq == p + n - 1))
            return err_set(e, LESDE_USAGE, "MPI-IO hint '%.*s' is not key=value", (int)n, p);
        /* what MPI_Info_set would refuse, fatally, once MPI runs: the
         * limits count the NUL */
        if (n && (eq - p >= MPI_MAX_INFO_KEY || p + n - eq - 1 >= MPI_MAX_INFO_VAL))
            return err_set(e, LESDE_USAGE,
                           "MPI-IO hint '%.20s...': its key may have at most %d characters, its "
                           "value %d (this MPI's limits)",
                           p, MPI_MAX_INFO_KEY - 1, MPI_MAX_INFO_VAL - 1);
        if (n && info != MPI_INFO_NULL) {
            char key[MPI_HINTS_MAX], value[MPI_HINTS_MAX];
            snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
            snprintf(value, sizeof value, "%.*s", (int)(p + n - eq - 1), eq + 1);
            MPI_Info_set(info, key, value);
        }
        p += n + (p[n] == ',');
    }
    return LESDE_OK;
}

int store_check_mpi_info(const char *hints, lesde_err *e)
{
    return mpi_hints(hints, MPI_INFO_NULL, e);
}

static hid_t make_fapl(const store_opts *o, lesde_err *e)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (o && o->comm != MPI_COMM_NULL) {
        MPI_Info info = MPI_INFO_NULL;
        if (o->mpi_info && *o->mpi_info) {
            MPI_Info_create(&info);
            if (mpi_hints(o->mpi_info, info, e)) {
                MPI_Info_free(&info);
                H5Pclose(fapl);
                return -1;
            }
        }
        H5Pset_fapl_mpio(fapl, o->comm, info);
        if (info != MPI_INFO_NULL)
            MPI_Info_free(&info);
    } else {
        /* No sieve buffer: every raw write goes to the file at once. */
        H5Pset_sieve_buf_size(fapl, 0);
    }
    return fapl;
}

static hid_t make_dxpl(int parallel)
{
    hid_t x = H5Pcreate(H5P_DATASET_XFER);
    if (parallel)
        H5Pset_dxpl_mpio(x, H5FD_MPIO_INDEPENDENT);
    return x;
}

static int study_setup(store *st, int i, int save_data, lesde_err *e)
{
    const spec_study *ss = &st->s->studies[i];
    study_h *h = &st->st[i];
    if (fields_maxima(st->s, i, save_data, &h->m))
        return err_set(e, LESDE_FAIL, "study %s: cannot expand its tasks", ss->name);
    h->nf = fields_list(ss->kind, &h->m, h->f);
    h->ngrid = ss->n_axes + 1;
    for (int a = 0; a < ss->n_axes; a++)
        h->grid[a] = ss->axes[a].n;
    h->grid[ss->n_axes] = ss->n_seeds;
    return LESDE_OK;
}

/* Whether field fi of study ss has grid axis a (fields.h, same_over). */
static int has_axis(const study_h *h, const spec_study *ss, int fi, int a)
{
    return h->all_axes[fi] || field_has_axis(&h->f[fi], ss->axes[a].key);
}

/* The shape of field fi's dataset into shape (32 at most): its grid axes,
 * the seed, then its own dimensions. Returns the rank. */
static int field_shape(const study_h *h, const spec_study *ss, int fi, hsize_t *shape)
{
    int n = 0;
    for (int g = 0; g < h->ngrid; g++)
        if (g == ss->n_axes || has_axis(h, ss, fi, g))
            shape[n++] = h->grid[g];
    for (int d = 0; d < h->f[fi].ndim; d++)
        shape[n++] = (hsize_t)h->f[fi].dims[d];
    return n;
}

/* Slots of field fi: one per task, or fewer where axes are left out. */
static long field_slots(const study_h *h, const spec_study *ss, int fi)
{
    long n = ss->n_seeds;
    for (int a = 0; a < ss->n_axes; a++)
        if (has_axis(h, ss, fi, a))
            n *= ss->axes[a].n;
    return n;
}

/* ---- the layout of a study (netCDF-4 / xarray read it as it is) ----
 *
 * netCDF-4 sees a dimension only in a variable's own group or its
 * ancestors, and xarray loads only the opened group's own coordinates: so
 * every group that holds variables (the study, fit/, init/, data/,
 * summary/<stat>/, summary/<stat>/fit/) holds the coordinate variables
 * (HDF5 dimension scales) of the dimensions its variables use: the grid
 * axes (named by their spec key), seed, and the per-task dimensions. */

/* The variables attached to a scale, in attach order: its REFERENCE_LIST,
 * written once when the scope closes. */
typedef struct {
    store_h5_ref *e;
    int n, cap;
} ref_list;

typedef struct {
    char path[160]; /* below the study group: "", "fit", "summary/mean", ... */
    hid_t g;
    int n;
    char name[48][SPEC_NAME_MAX + 8];
    hid_t ds[48];
    ref_list refs[48]; /* of ds[k] */
} scope;

typedef struct {
    store *st;
    const spec_study *ss;
    study_h *h;
    int w; /* this process writes the coordinate values (store_h5_coord's write) */
    hid_t lcpl;
    int nsc;
    scope sc[64];
    char axis[SPEC_MAX_AXES][SPEC_NAME_MAX + 8]; /* each axis's dimension name */
} layout;

/* What the grid axes are, for their coordinates' long_name and units. */
static const struct {
    const char *key, *long_name, *units;
} axis_info[] = {
    {"p_err", "label pollution ratio p_err", "1"},
    {"rho", "rho = p_err / p*, p* = (K-1)/K", "1"},
    {"classes", "number of classes K", "1"},
    {"iters", "SGD iterations T", "iterations"},
    {"lr", "learning rate", "1"},
    {"checkpoints", "probe checkpoints", "1"},
    {"train_per_class", "training samples per class", "1"},
    {"val_per_class", "validation samples per class", "1"},
    {"s", "tail index s of gamma(t) = c (1+t)^-s", "1"},
    {"c", "scale c of gamma(t) = c (1+t)^-s", "1"},
    {"n", "samples per class", "1"},
    {"p", "feature dimension p", "1"},
    {"T", "time horizon T", "iterations"},
    {"noise", "noise level", "1"},
};

static const char *dirname_of(const char *path, char *buf, size_t size)
{
    const char *s = strrchr(path, '/');
    snprintf(buf, size, "%.*s", s ? (int)(s - path) : 0, path);
    return buf;
}

/* The dimension name of each grid axis: its key, or key_axis when a field,
 * group or per-task dimension of the study already has that name (an axis
 * over `fit` would meet the group fit/). */
static void axis_names(layout *L)
{
    for (int a = 0; a < L->ss->n_axes; a++) {
        const char *k = L->ss->axes[a].key;
        int clash = !strcmp(k, "seed") || !strcmp(k, "summary");
        for (int fi = 0; fi < L->h->nf && !clash; fi++) {
            const field *f = &L->h->f[fi];
            const char *leaf = strrchr(f->name, '/');
            size_t top = strcspn(f->name, "/");
            clash = !strcmp(leaf ? leaf + 1 : f->name, k) ||
                    (strlen(k) == top && !strncmp(f->name, k, top));
            for (int d = 0; d < f->ndim && !clash; d++)
                clash = !strcmp(f->dimname[d], k);
        }
        snprintf(L->axis[a], sizeof L->axis[a], "%s%s", k, clash ? "_axis" : "");
    }
}

static scope *scope_get(layout *L, const char *path)
{
    for (int i = 0; i < L->nsc; i++)
        if (!strcmp(L->sc[i].path, path))
            return &L->sc[i];
    if (L->nsc == (int)(sizeof L->sc / sizeof L->sc[0]))
        return NULL;
    scope *sc = &L->sc[L->nsc];
    memset(sc, 0, sizeof *sc);
    snprintf(sc->path, sizeof sc->path, "%s", path);
    if (!path[0])
        sc->g = H5Gopen2(L->h->group, ".", H5P_DEFAULT);
    else if (H5Lexists(L->h->group, path, H5P_DEFAULT) > 0)
        sc->g = H5Gopen2(L->h->group, path, H5P_DEFAULT);
    else
        sc->g = H5Gcreate2(L->h->group, path, L->lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (sc->g < 0)
        return NULL;
    L->nsc++;
    return sc;
}

/* Writes each scale's REFERENCE_LIST (with rc 0: after an error the
 * store is removed anyway) and closes the scopes. 0 or -1. */
static int scopes_close(layout *L, int rc)
{
    for (int i = 0; i < L->nsc; i++) {
        scope *sc = &L->sc[i];
        for (int k = 0; k < sc->n; k++) {
            ref_list *r = &sc->refs[k];
            if (!rc && r->n && store_h5_reference_list(sc->ds[k], r->e, r->n))
                rc = -1;
            free(r->e);
            H5Dclose(sc->ds[k]);
        }
        H5Gclose(sc->g);
    }
    L->nsc = 0;
    return rc;
}

static int refs_add(ref_list *r, hobj_ref_t ref, int dim)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        store_h5_ref *e = realloc(r->e, sizeof *e * (size_t)cap);
        if (!e)
            return -1;
        r->e = e;
        r->cap = cap;
    }
    memset(&r->e[r->n], 0, sizeof r->e[0]); /* the padding: no stray bytes in the file */
    r->e[r->n].ref = ref;
    r->e[r->n++].dim = dim;
    return 0;
}

/* A 1-D dimension scale of n values: ints and reals written now, strings
 * (labels, comma-separated) now in a serial file, after the creation in a
 * parallel one (string_coords). */
static hid_t new_coord(layout *L, scope *sc, const char *name, long n, const int64_t *iv,
                       const double *rv, const char *labels, const char *long_name,
                       const char *units)
{
    return store_h5_coord(sc->g, name, n, iv, rv, labels, long_name, units, L->w);
}

/* A dimension without a coordinate variable, as netCDF-4 writes one: a
 * scale whose NAME says so, with no values. */
static hid_t bare_dim(scope *sc, const char *name, long n)
{
    hsize_t d = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t ds = H5Dcreate2(sc->g, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
    char label[96];
    snprintf(label, sizeof label, "This is a netCDF dimension but not a netCDF variable.%10ld", n);
    if (ds >= 0 && H5DSset_scale(ds, label) < 0) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

/* The coordinate `name` (n long) of scope sc, created on first use: its
 * index in sc, or -1. */
static int coord(layout *L, scope *sc, const char *name, long n)
{
    for (int k = 0; k < sc->n; k++)
        if (!strcmp(sc->name[k], name))
            return k;
    if (sc->n == (int)(sizeof sc->ds / sizeof sc->ds[0]))
        return -1;
    const spec_study *ss = L->ss;
    hid_t ds = -1;
    int a = 0;
    while (a < ss->n_axes && strcmp(L->axis[a], name))
        a++;
    int64_t *iv = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!iv)
        return -1;
    if (a < ss->n_axes) {
        const spec_axis *ax = &ss->axes[a];
        size_t len = 1;
        for (int v = 0; v < ax->n; v++)
            len += strlen(ax->labels[v]) + 1;
        char *lab = calloc(len, 1);
        for (int v = 0; lab && v < ax->n; v++) {
            strcat(lab, ax->labels[v]);
            if (v + 1 < ax->n)
                strcat(lab, ",");
            iv[v] = (int64_t)ax->values[v];
        }
        char lname[128];
        const char *units = ax->type == SPEC_VALUE_WORD ? NULL : "1";
        snprintf(lname, sizeof lname, "spec key %s", ax->key);
        for (size_t i = 0; i < sizeof axis_info / sizeof axis_info[0]; i++)
            if (!strcmp(axis_info[i].key, ax->key)) {
                snprintf(lname, sizeof lname, "%s", axis_info[i].long_name);
                units = axis_info[i].units;
            }
        if (lab) {
            ds = ax->type == SPEC_VALUE_WORD
                     ? new_coord(L, sc, name, ax->n, NULL, NULL, lab, lname, NULL)
                 : ax->type == SPEC_VALUE_INT
                     ? new_coord(L, sc, name, ax->n, iv, NULL, NULL, lname, units)
                     : new_coord(L, sc, name, ax->n, NULL, ax->values, NULL, lname, units);
            /* labels: the values as the spec wrote them (2/3, not 0.666...) */
            if (ds >= 0 && ax->type != SPEC_VALUE_WORD && store_h5_attr_str(ds, "labels", lab)) {
                H5Dclose(ds);
                ds = -1;
            }
        }
        free(lab);
    } else if (!strcmp(name, "seed")) {
        for (int k = 0; k < ss->n_seeds; k++)
            iv[k] = (int64_t)ss->seeds[k];
        ds = new_coord(L, sc, name, ss->n_seeds, iv, NULL, NULL,
                       "seed of data, "
                       "initialisation and sample order",
                       "1");
    } else {
        const field_dim *fd = fields_dim(name);
        const field_maxima *m = &L->h->m;
        const long *sched = !strcmp(name, "checkpoint") && m->ckpt_shared      ? m->ckpt_t
                            : !strcmp(name, "val_checkpoint") && m->val_shared ? m->val_t
                                                                               : NULL;
        for (long j = 0; j < n; j++)
            iv[j] = sched ? sched[j] : j;
        const char *units = fd ? fd->units : "1";
        if (fd && !strcmp(fd->units, "iterations") && !sched)
            units = "1"; /* schedules differ between tasks: indices (see field t) */
        if (fd && fd->bare)
            ds = bare_dim(sc, name, n);
        else
            ds = new_coord(L, sc, name, n, fd && fd->labels ? NULL : iv, NULL,
                           fd ? fd->labels : NULL, fd ? fd->long_name : name,
                           fd && fd->labels ? NULL : units);
    }
    free(iv);
    if (ds < 0)
        return -1;
    snprintf(sc->name[sc->n], sizeof sc->name[0], "%s", name);
    sc->ds[sc->n] = ds;
    return sc->n++;
}

/* Attaches the grid axes (and the seed axis when with_seed) and field f's
 * dimensions to dataset ds of scope sc. */
static int attach(layout *L, scope *sc, hid_t ds, const field *f, int with_seed)
{
    int at[32], k = 0;
    hid_t scales[32];
    for (int a = 0; a < L->ss->n_axes; a++)
        if (field_has_axis(f, L->ss->axes[a].key))
            at[k++] = coord(L, sc, L->axis[a], L->ss->axes[a].n);
    if (with_seed)
        at[k++] = coord(L, sc, "seed", L->ss->n_seeds);
    for (int d = 0; d < f->ndim; d++)
        at[k++] = coord(L, sc, f->dimname[d], f->dims[d]);
    for (int d = 0; d < k; d++) {
        if (at[d] < 0)
            return -1;
        scales[d] = sc->ds[at[d]];
    }
    if (!k) /* a scalar */
        return 0;
    hobj_ref_t self;
    if (store_h5_dimension_list(ds, scales, k) || H5Rcreate(&self, ds, ".", H5R_OBJECT, -1) < 0)
        return -1;
    for (int d = 0; d < k; d++)
        if (refs_add(&sc->refs[at[d]], self, d))
            return -1;
    return 0;
}

/* The attributes of a variable: units ("1": dimensionless), long_name,
 * the valid range of a fraction, what is not reproducible. */
static int var_attrs(hid_t ds, const field *f, const char *units, const char *long_name)
{
    int rc = store_h5_attr_str(ds, "units", units && units[0] ? units : "1") ||
             store_h5_attr_str(ds, "long_name", long_name);
    if (f->type == FT_CHAR) /* xarray decodes the characters into strings */
        rc = rc || store_h5_attr_str(ds, "_Encoding", "utf-8");
    /* -1 pads the integers (checkpoints of shorter schedules, the probe of
     * a smaller K) and marks what was not written: missing, to a netCDF
     * reader, as NaN is for the reals. (status's 0 is "pending", a value.) */
    if (f->type == FT_I64 || f->type == FT_I32)
        rc = rc || store_h5_attr_fill(ds);
    if (f->unit_range || f->indicator)
        rc = rc || store_h5_attr_f64(ds, "valid_min", 0) || store_h5_attr_f64(ds, "valid_max", 1);
    /* CF's flags: the summaries give such a field a proportion's interval */
    if (f->indicator)
        rc = rc || store_h5_flags01(ds);
    return rc ? -1 : 0;
}

/* A study parameter as a group attribute, unless it is a grid axis: then
 * its coordinate variable holds the values. */
static void param_int(hid_t g, const spec_study *ss, const char *key, long long v)
{
    if (spec_axis_find(ss, key) < 0)
        store_h5_attr_int(g, key, v);
}

static void param_real(hid_t g, const spec_study *ss, const char *key, double v)
{
    if (spec_axis_find(ss, key) < 0)
        store_h5_attr_f64(g, key, v);
}

static void param_word(hid_t g, const spec_study *ss, const char *key, const char *v)
{
    if (spec_axis_find(ss, key) < 0)
        store_h5_attr_str(g, key, v);
}

static void study_params(hid_t g, const spec_study *ss)
{
    store_h5_attr_str(g, "kind", ss->kind == SPEC_TRAIN ? "train" : "sde");
    store_h5_attr_int(g, "n_points", ss->n_points);
    store_h5_attr_int(g, "n_seeds", ss->n_seeds);
    store_h5_attr_int(g, "n_tasks", ss->n_tasks);
    store_h5_attr_int(g, "first_task", ss->first_task);
    if (ss->kind == SPEC_TRAIN) {
        const train_config *c = &ss->train;
        param_word(g, ss, "dataset", data_kind_name(c->dataset));
        param_int(g, ss, "classes", c->k);
        /* which of the dataset's classes the class coordinate's 0..K-1 are
         * (one list unless K is an axis: then the first K at each point) */
        if (spec_axis_find(ss, "classes") < 0) {
            int64_t ids[DATA_MAX_K];
            for (int j = 0; j < c->k; j++)
                ids[j] = c->n_class_ids ? c->class_ids[j] : j;
            store_h5_attr_ints(g, "class_ids", ids, c->k);
        }
        param_int(g, ss, "train_per_class", c->train_per_class);
        param_int(g, ss, "val_per_class", c->val_per_class);
        if (ss->rho_given)
            param_real(g, ss, "rho", ss->rho);
        else
            param_real(g, ss, "p_err", c->p_err);
        param_int(g, ss, "iters", c->iters);
        param_real(g, ss, "lr", c->lr);
        param_int(g, ss, "checkpoints", c->checkpoints);
        /* the validation schedule in force follows checkpoints by default:
         * fixed unless that default follows a checkpoints axis */
        if (spec_axis_find(ss, "checkpoints") < 0 || c->val_checkpoints > 0)
            param_int(g, ss, "val_checkpoints", train_val_checkpoints(c));
        param_word(g, ss, "spacing", c->log_spacing ? "log" : "linear");
        param_int(g, ss, "probe_per_class", c->probe_per_class);
        param_int(g, ss, "snapshots", c->snapshots);
        param_word(g, ss, "fit", c->fit ? "true" : "false");
        param_int(g, ss, "sg_order", c->fit_opts.sg_order);
        param_real(g, ss, "sg_window", c->fit_opts.sg_window);
        param_real(g, ss, "tail_frac", c->fit_opts.tail_frac);
        param_real(g, ss, "sim_window", c->fit_opts.sim_window);
        param_real(g, ss, "plateau_factor", c->fit_opts.plateau_factor);
        param_int(g, ss, "ref_paths", c->fit_opts.ref_paths);
        param_int(g, ss, "ref_every", c->ref_every); /* absent (older stores): 0 */
        if (c->data_dir) /* where the files were read (not hashed: not a parameter) */
            param_word(g, ss, "data_dir", c->data_dir);
        store_h5_attr_int(g, "batch_size", 1);
    } else {
        const le_sde_config *c = &ss->sde;
        param_int(g, ss, "classes", c->K);
        if (!ss->p_is_k || spec_axis_find(ss, "classes") < 0)
            param_int(g, ss, "p", c->p);
        param_int(g, ss, "n", c->n);
        param_word(g, ss, "model", c->model == LE_MODEL_L ? "L" : "I");
        param_word(g, ss, "schedule", c->schedule == LE_SCHED_POWER ? "power" : "boundary");
        param_real(g, ss, "c", c->c);
        param_real(g, ss, "s", c->s);
        param_real(g, ss, "b", c->b);
        param_real(g, ss, "s_b", c->s_b);
        param_real(g, ss, "noise", c->noise);
        param_real(g, ss, "T", c->T);
        param_int(g, ss, "n_obs", c->n_obs);
    }
}

/* Creates one study's group, coordinates, task and summary datasets. */
static int study_create(store *st, int i, lesde_err *e)
{
    const spec_study *ss = &st->s->studies[i];
    study_h *h = &st->st[i];
    char path[256], why[256];
    snprintf(path, sizeof path, "/study/%s", ss->name);
    if (fields_check(h->f, h->nf, why, sizeof why))
        return err_set(e, LESDE_FAIL, "study %s: the field table: %s", ss->name, why);
    layout *L = calloc(1, sizeof *L);
    if (!L)
        return err_set(e, LESDE_FAIL, "out of memory");
    L->st = st;
    L->ss = ss;
    L->h = h;
    /* coordinate values: one writer; strings at once in a serial file,
     * after the creation in a parallel one (fill_strings) */
    L->w = !st->parallel ? 2 : st->rank == 0;
    L->lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(L->lcpl, 1);
    h->group = H5Gcreate2(st->file, path, L->lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (h->group < 0) {
        H5Pclose(L->lcpl);
        free(L);
        return err_set(e, LESDE_FAIL, "cannot create group %s", path);
    }
    study_params(h->group, ss);
    axis_names(L);

    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC);
    int rc = LESDE_OK;
    for (int fi = 0; fi < h->nf && !rc; fi++) {
        field *f = &h->f[fi];
        char dir[160];
        scope *sc = scope_get(L, dirname_of(f->name, dir, sizeof dir));
        hsize_t shape[32];
        int n = field_shape(h, ss, fi, shape);
        hid_t ft = file_type(f->type), mt = mem_type(f->type);
        double nan = NAN;
        int64_t m1 = -1;
        int32_t m1_32 = -1;
        int8_t zero = 0;
        const void *fill = f->type == FT_F64   ? (const void *)&nan
                           : f->type == FT_I64 ? (const void *)&m1
                           : f->type == FT_I32 ? (const void *)&m1_32
                                               : (const void *)&zero;
        H5Pset_fill_value(dcpl, mt, fill);
        hid_t sp = H5Screate_simple(n, shape, NULL);
        h->dset[fi] = sc ? H5Dcreate2(h->group, f->name, ft, sp, L->lcpl, dcpl, H5P_DEFAULT) : -1;
        H5Sclose(sp);
        close_type(f->type, ft);
        close_type(f->type, mt);
        if (h->dset[fi] < 0 || var_attrs(h->dset[fi], f, f->units, f->desc) ||
            (f->timing && store_h5_attr_int(h->dset[fi], "timing", 1)) ||
            attach(L, sc, h->dset[fi], f, 1)) {
            rc = err_set(e, LESDE_FAIL, "cannot create dataset %s/%s (disk full?)", path, f->name);
            break;
        }
        if (!f->summarize)
            continue;
        /* Summaries: [grid axes][per-task dims], no seed axis. */
        hsize_t sshape[32];
        int sn = 0;
        for (int g = 0; g < h->ngrid - 1; g++)
            sshape[sn++] = h->grid[g];
        for (int d = 0; d < f->ndim; d++)
            sshape[sn++] = (hsize_t)f->dims[d];
        H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
        for (int k = 0; k < FIELD_N_STATS && !rc; k++) {
            const field_stat *fs = &field_stats[k];
            char name[200], sdir[200], lname[512];
            snprintf(name, sizeof name, "summary/%.16s/%.63s", fs->name, f->name);
            scope *ssc = scope_get(L, dirname_of(name, sdir, sizeof sdir));
            hid_t ssp = H5Screate_simple(sn, sshape, NULL);
            hid_t sd =
                ssc ? H5Dcreate2(h->group, name, H5T_IEEE_F64LE, ssp, L->lcpl, dcpl, H5P_DEFAULT)
                    : -1;
            H5Sclose(ssp);
            snprintf(lname, sizeof lname, "%s of: %s", fs->what, f->desc);
            field sf = *f;
            sf.type = FT_F64;
            /* the mean of 0/1 values is a proportion in [0, 1], not a flag; n
             * and std have no such range */
            sf.unit_range =
                (f->unit_range || f->indicator) && fs->same_units && strcmp(fs->name, "std");
            sf.indicator = 0;
            if (sd < 0 || var_attrs(sd, &sf, fs->same_units ? f->units : "1", lname) ||
                store_h5_attr_str(sd, "comment", fs->method) || attach(L, ssc, sd, f, 0))
                rc = err_set(e, LESDE_FAIL, "cannot create %s/%s (disk full?)", path, name);
            if (sd >= 0)
                H5Dclose(sd);
        }
    }
    if (scopes_close(L, rc) && !rc)
        rc = err_set(e, LESDE_FAIL, "cannot attach the dimension scales of %s (disk full?)", path);
    H5Pclose(dcpl);
    H5Pclose(L->lcpl);
    free(L);
    return rc;
}

/* Writes the values of the string coordinates (word axes, model) of a
 * store created in parallel: a parallel HDF5 file cannot take
 * variable-length data, so this runs on the file opened serially, after
 * the creation (a serial creation writes them at once: new_coord). Each
 * such coordinate holds its values in its labels attribute. */
static herr_t string_coord(hid_t g, const char *name, const H5O_info_t *info, void *op)
{
    int *bad = op;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0)
        return 0;
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    char *lab = NULL;
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 &&
        H5Sget_simple_extent_ndims(sp) == 1 && (lab = store_attr_str(ds, "labels")) &&
        store_h5_labels(ds, lab))
        *bad = 1;
    free(lab);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(ds);
    return 0;
}

static int string_coords(hid_t file)
{
    int bad = 0;
    if (H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, string_coord, &bad) < 0)
        bad = 1;
    return bad ? -1 : 0;
}

static store *store_alloc(const spec *s, const store_opts *o)
{
    store *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->st = calloc(s->n_studies, sizeof(study_h));
    if (!st->st) {
        free(st);
        return NULL;
    }
    st->s = s;
    st->parallel = o && o->comm != MPI_COMM_NULL;
    if (st->parallel) {
        st->comm = o->comm;
        MPI_Comm_rank(o->comm, &st->rank);
    }
    st->dxpl = make_dxpl(st->parallel);
    st->file = -1;
    for (int i = 0; i < s->n_studies; i++)
        st->st[i].group = -1;
    return st;
}

/* The kernel paths' arithmetic (nn/isa.h): avx512 and avx2 give the same
 * bytes, c (no fused multiply-add) other last bits. */
static int kernel_kind(const char *name)
{
    return strcmp(name, "c") == 0;
}

/* Every rank's kernel path must give the bytes of `recorded` (the store's
 * path; NULL for a store about to be made: rank 0's), or a store would hold
 * results of two arithmetics under one name. The same answer on every
 * rank of comm (MPI_COMM_NULL: this process alone). */
static int check_kernels(MPI_Comm comm, const spec *s, const char *recorded, const char *path,
                         lesde_err *e)
{
    int trains = 0; /* an SDE-only sweep runs no CNN */
    for (int i = 0; i < s->n_studies; i++)
        trains |= s->studies[i].kind == SPEC_TRAIN;
    if (!trains)
        return LESDE_OK;
    int size = 1, kind = kernel_kind(cnn_kernel_name());
    if (comm != MPI_COMM_NULL)
        MPI_Comm_size(comm, &size);
    int *all = malloc(sizeof(int) * (size_t)size);
    if (!all)
        return err_set(e, LESDE_FAIL, "out of memory");
    if (comm != MPI_COMM_NULL)
        MPI_Allgather(&kind, 1, MPI_INT, all, 1, MPI_INT, comm);
    else
        all[0] = kind;
    int want = recorded ? kernel_kind(recorded) : all[0], bad = -1;
    for (int r = 0; r < size && bad < 0; r++)
        if (all[r] != want)
            bad = r;
    free(all);
    if (bad < 0)
        return LESDE_OK;
    const char *other = want ? "avx512 or avx2" : "c";
    if (recorded)
        return err_set(e, LESDE_USAGE,
                       "%s: its results are of the %s CNN kernels, and rank %d runs the %s ones, "
                       "whose results differ in the last bits: run every rank on the store's "
                       "kind (LESDE_KERNELS), or use another --store",
                       path, recorded, bad, other);
    return err_set(e, LESDE_USAGE,
                   "%s: rank 0 runs the %s CNN kernels and rank %d the %s ones, whose results "
                   "differ in the last bits, and a store holds one kind: set LESDE_KERNELS "
                   "alike on every rank (c runs everywhere)",
                   path, want ? "c" : "avx512 or avx2", bad, other);
}

static void provenance(hid_t root, const spec *s)
{
    store_h5_attr_str(root, "creator", "lesde");
    store_h5_attr_str(root, "lesde_version", LESDE_VERSION);
    store_h5_attr_str(root, "git_revision", version_git_rev());
    store_h5_attr_str(root, "build", version_build());
    /* results' last bits depend on the kernel path (nn/isa.h) */
    store_h5_attr_str(root, "cnn_kernels", cnn_kernel_name());
    store_h5_attr_int(root, "layout_version", STORE_LAYOUT_VERSION);
    store_h5_attr_str(root, "sweep_name", s->name);
    store_h5_attr_str(root, "spec_hash", s->hash);
    store_h5_attr_str(root, "spec_text", s->text ? s->text : "");
    store_h5_attr_str(root, "spec_overrides", s->overrides ? s->overrides : "");
    store_h5_attr_str(root, "spec_canonical", s->canonical ? s->canonical : "");
    char buf[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    store_h5_attr_str(root, "created", buf);
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    store_h5_attr_str(root, "host", host);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, sizeof buf, "%u.%u.%u (parallel)", maj, min, rel);
    store_h5_attr_str(root, "hdf5_version", buf);
    char mpiv[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0, init = 0;
    MPI_Initialized(&init);
    if (init)
        MPI_Get_library_version(mpiv, &len);
    char *nl = strchr(mpiv, ',');
    if (nl)
        *nl = '\0';
    store_h5_attr_str(root, "mpi_version", mpiv[0] ? mpiv : "not initialised");
    store_h5_attr_str(root, "gsl_version", GSL_VERSION);
    store_h5_attr_str(root, "openblas_config", openblas_get_config());
    store_h5_attr_str(root, "glpk_version", glp_version());
}

/* Bytes of the raw data of a store: every slot of every task, and the
 * summaries (the metadata adds little). */
static double store_bytes(const store *st)
{
    double b = 0;
    for (int i = 0; i < st->s->n_studies; i++) {
        const spec_study *ss = &st->s->studies[i];
        const study_h *h = &st->st[i];
        for (int fi = 0; fi < h->nf; fi++) {
            double n = (double)field_size(&h->f[fi]);
            b += n * field_elsize(h->f[fi].type) * field_slots(h, ss, fi);
            if (h->f[fi].summarize)
                b += n * sizeof(double) * FIELD_N_STATS * ss->n_points;
        }
    }
    return b;
}

double store_size(const spec *s, int save_data)
{
    store *st = store_alloc(s, NULL);
    double b = st ? 0 : -1;
    for (int i = 0; st && i < s->n_studies && b >= 0; i++)
        if (study_setup(st, i, save_data, NULL))
            b = -1;
    if (b >= 0)
        b = store_bytes(st);
    store_close(st, NULL);
    return b;
}

/* The whole store is allocated at creation: refuse at once, with the
 * sizes, when its directory has not the room for the raw data alone (a
 * creation that fails half-way says less). Rank 0 decides for all. */
static int check_space(const store *st, const char *path, MPI_Comm comm, lesde_err *e)
{
    double need = 0, avail = -1;
    if (!st->parallel || st->rank == 0) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == dir)
            dir[1] = '\0'; /* "/x.h5" is in "/" */
        else
            *slash = '\0';
        struct statvfs fs;
        need = store_bytes(st); /* a lower bound: never refuse a store that fits */
        if (statvfs(dir, &fs) == 0)
            avail = (double)fs.f_bavail * fs.f_frsize;
    }
    if (st->parallel) {
        double v[2] = {need, avail};
        MPI_Bcast(v, 2, MPI_DOUBLE, 0, comm);
        need = v[0], avail = v[1];
    }
    if (avail >= 0 && avail < need)
        return err_set(e, LESDE_FAIL, "%s: no room for the store: it needs at least %.1f MB, "
                       "the disk has %.1f MB free", path, need / 1e6, avail / 1e6);
    return LESDE_OK;
}

/* Creates the store file path, named `shown` in messages (the store a
 * temporary file becomes). */
static int create_here(const char *path, const char *shown, const spec *s, const store_opts *o,
                       store **out, lesde_err *e)
{
    quiet_hdf5();
    *out = NULL;
    store *st = store_alloc(s, o);
    if (!st)
        return err_set(e, LESDE_FAIL, "out of memory");
    int rc = LESDE_OK;
    for (int i = 0; i < s->n_studies && !rc; i++)
        rc = study_setup(st, i, o ? o->save_data : 0, e);
    if (!rc)
        rc = check_space(st, shown, st->parallel ? o->comm : MPI_COMM_NULL, e);
    if (rc) {
        store_close(st, NULL);
        return rc;
    }
    hid_t fapl = make_fapl(o, e);
    if (fapl < 0) {
        store_close(st, NULL);
        return e ? e->code : LESDE_USAGE;
    }
    st->file = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    char why[256];
    store_h5_cause(why, sizeof why); /* before H5Pclose clears it */
    H5Pclose(fapl);
    if (st->file < 0) {
        store_close(st, NULL);
        return err_set(e, LESDE_FAIL, "%s: cannot create the store: %s", shown,
                       why[0] ? why : "exists, or the directory is missing or not writable");
    }
    provenance(st->file, s);
    for (int i = 0; i < s->n_studies && !rc; i++)
        if ((rc = study_create(st, i, e)) != LESDE_OK)
            err_prefix(e, "%s", shown);
    /* Everything that is metadata is written now; from here on, raw bytes. */
    int flushed = rc ? 1 : H5Fflush(st->file, H5F_SCOPE_GLOBAL) >= 0;
    if (!flushed)
        rc = err_set(e, LESDE_FAIL,
                     "%s: cannot create the store: its metadata do not fit on "
                     "the disk (disk full?)",
                     shown);
    if (rc) {
        /* Remove the half-made store, so that the next run starts over
         * instead of refusing a damaged file. Emptying it first gives back
         * the space HDF5 needs to close it when the disk is full (a close
         * that fails leaves HDF5 to crash at exit); a flush that failed
         * is tried again into the emptied file, or the close fails. */
        int writer = !st->parallel || st->rank == 0;
        if (writer && truncate(path, 0) != 0)
            writer = 0;
        if (!flushed)
            H5Fflush(st->file, H5F_SCOPE_GLOBAL);
        store_close(st, NULL);
        if (writer)
            unlink(path);
        return rc;
    }
    *out = st;
    return LESDE_OK;
}

/* Writes the string coordinates into the closed new store at path,
 * opened serially (parallel HDF5 writes no variable-length data). */
static int fill_strings(const char *path, const char *shown, lesde_err *e)
{
    char why[256];
    hid_t f = store_h5_fopen(path, H5F_ACC_RDWR, why, sizeof why);
    int bad = f < 0 || string_coords(f);
    if (f >= 0 && H5Fclose(f) < 0)
        bad = 1;
    return bad ? err_set(e, LESDE_FAIL,
                         "%s: cannot write the string coordinates of the new "
                         "store (disk full?)",
                         shown)
               : LESDE_OK;
}

/* In parallel, rank 0 alone creates the store (MPI-IO on MPI_COMM_SELF, so
 * the hints still apply) and writes its string coordinates serially, then
 * every rank opens it: an error half-way through the creation (a full
 * disk) cannot leave the other ranks waiting in one of HDF5's collective
 * calls. It is made as PATH.tmp and renamed when whole: a sweep killed
 * while it is made leaves no damaged store, nor one without its string
 * coordinates that a resume would take as whole (the lock, held, keeps
 * another sweep from making the same PATH.tmp). */
int store_create(const char *path, const spec *s, const store_opts *o, store **out, lesde_err *e)
{
    int rank = 0;
    if (!o || o->comm == MPI_COMM_NULL)
        return create_here(path, path, s, o, out, e);
    MPI_Comm_rank(o->comm, &rank);
    *out = NULL;
    int rc = check_kernels(o->comm, s, NULL, path, e);
    if (rc)
        return rc;
    if (rank == 0) {
        store_opts so = *o;
        so.comm = MPI_COMM_SELF;
        store *st;
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        unlink(tmp); /* the half-made store of a killed sweep */
        rc = create_here(tmp, path, s, &so, &st, e);
        if (!rc && (rc = store_close(st, e)) == LESDE_OK)
            rc = fill_strings(tmp, path, e);
        if (!rc && rename(tmp, path) != 0)
            rc = err_set(e, LESDE_FAIL, "%s: cannot rename the new store to it: %s", path,
                         strerror(errno));
        if (rc)
            unlink(tmp);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, o->comm);
    if (rc) {
        if (rank != 0)
            err_set(e, rc, "%s: rank 0 could not create the store", path);
        return rc;
    }
    return store_open(path, s, o, out, e);
}

static int open_datasets(store *st, int i, lesde_err *e)
{
    study_h *h = &st->st[i];
    char path[256];
    snprintf(path, sizeof path, "/study/%s", st->s->studies[i].name);
    h->group = H5Gopen2(st->file, path, H5P_DEFAULT);
    if (h->group < 0)
        return err_set(e, LESDE_FAIL, "store has no group %s", path);
    const spec_study *ss = &st->s->studies[i];
    for (int fi = 0; fi < h->nf; fi++) {
        h->dset[fi] = H5Dopen2(h->group, h->f[fi].name, H5P_DEFAULT);
        if (h->dset[fi] < 0)
            return err_set(e, LESDE_FAIL, "store has no dataset %s/%s (damaged?)", path,
                           h->f[fi].name);
        /* Reads and writes trust the spec's shape: a damaged file must not
         * make them overrun a buffer. A field without some axes has them
         * all in a layout 2 store. */
        hid_t sp = H5Dget_space(h->dset[fi]);
        long long np = H5Sget_simple_extent_npoints(sp);
        int nd = H5Sget_simple_extent_ndims(sp);
        H5Sclose(sp);
        long long size = field_size(&h->f[fi]), want = field_slots(h, ss, fi) * size;
        hsize_t shape[32];
        int rank = field_shape(h, ss, fi, shape);
        if ((np != want || nd != rank) && np == ss->n_tasks * size &&
            nd == h->ngrid + h->f[fi].ndim) {
            h->all_axes[fi] = 1;
            want = np;
            rank = nd;
        }
        if (np != want || nd != rank)
            return err_set(e, LESDE_FAIL,
                           "dataset %s/%s has %lld values in %d dimensions, not the %lld in %d "
                           "of its spec (damaged store?)",
                           path, h->f[fi].name, np, nd, want, rank);
    }
    return LESDE_OK;
}

/* "--set a --set b" of overrides one per line, or "no --set". */
static void set_list(const char *sets, char *buf, size_t size)
{
    size_t len = 0;
    int n;
    buf[0] = '\0';
    for (const char *at = sets, *o; len < size && (o = spec_next_override(&at, &n));) {
        if (len)
            len += (size_t)snprintf(buf + len, size - len, " ");
        if (len < size)
            len += (size_t)spec_override_arg(o, n, buf + len, size - len);
    }
    if (!buf[0])
        snprintf(buf, size, "no --set");
}

/* Whether the store open as file may take this spec's tasks: a lesde store
 * of this sweep, spec and --set, of a layout this lesde resumes; with
 * kernels, also one whose CNN kernels the ranks of comm run. */
static int resumes_spec(MPI_Comm comm, int kernels_too, hid_t file, const spec *s, const char *path,
                        lesde_err *e)
{
    char *creator = store_attr_str(file, "creator");
    char *hash = store_attr_str(file, "spec_hash");
    char *name = store_attr_str(file, "sweep_name");
    char *sets = store_attr_str(file, "spec_overrides");
    double layout = 1; /* the first stores hold it too; never absent */
    store_attr_num(file, "layout_version", &layout);
    int rc = LESDE_OK;
    if (!creator || strcmp(creator, "lesde") || !hash)
        rc = err_set(e, LESDE_USAGE, "%s: not a lesde store (no lesde attributes)", path);
    /* Before the hash: a store of the same spec but an older layout does
     * not resume either. */
    else if (layout < STORE_LAYOUT_RESUMED)
        rc = err_set(e, LESDE_USAGE,
                     "%s: a store of layout %g, from an older lesde; this one writes layout %d "
                     "and does not resume it (lesde report and lesde status still read it). "
                     "To run the sweep, start over with --new (replaces the store; its tasks "
                     "run again) or use --store NEW.h5",
                     path, layout, STORE_LAYOUT_VERSION);
    else if (layout > STORE_LAYOUT_VERSION)
        rc = err_set(e, LESDE_USAGE,
                     "%s: a store of layout %g, from a newer lesde; this one writes layout %d: "
                     "resume it with the lesde that made it",
                     path, layout, STORE_LAYOUT_VERSION);
    else if (name && strcmp(name, s->name) &&
             !strcmp(sets ? sets : "", s->overrides ? s->overrides : ""))
        /* Another experiment's store: neither --set nor --new (which
         * would delete its results) is the way out. (A name given by
         * --set differs with the --set: the next branch names them.) */
        rc = err_set(e, LESDE_USAGE,
                     "%s: holds sweep '%s', not this spec's '%s': resume it with its own spec, "
                     "or give --store for another file",
                     path, name, s->name);
    else if (!spec_hash_matches(s, hash)) {
        /* Most often a resume without the --set the store was made with:
         * say which, so that --new (which runs every task again) is not
         * the only way out offered. */
        const char *now = s->overrides ? s->overrides : "";
        char was[600], is[600];
        set_list(sets ? sets : "", was, sizeof was);
        set_list(now, is, sizeof is);
        if (sets && strcmp(sets, now))
            rc = err_set(e, LESDE_USAGE,
                         "%s: holds sweep '%s' of another spec (hash %s, this spec's is %s): "
                         "it was made with %s, this run has %s; give the same --set to resume "
                         "it, --new to start over or --store for another file",
                         path, name ? name : "?", hash, s->hash, was, is);
        else
            rc = err_set(e, LESDE_USAGE,
                         "%s: holds sweep '%s' of another spec (hash %s, this spec's is %s): "
                         "the same --set (%s), so the spec's text differs from the one the "
                         "store holds; use --new to start over or --store for another file",
                         path, name ? name : "?", hash, s->hash, is);
    }
    char *kernels = store_attr_str(file, "cnn_kernels");
    if (!rc && kernels && kernels_too)
        rc = check_kernels(comm, s, kernels, path, e);
    free(kernels);
    free(creator);
    free(hash);
    free(name);
    free(sets);
    return rc;
}

int store_check_spec(const char *path, const spec *s, lesde_err *e)
{
    hid_t f = store_open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    /* not the kernels: this process is not the sweep's ranks (a login node) */
    int rc = resumes_spec(MPI_COMM_NULL, 0, f, s, path, e);
    H5Fclose(f);
    return rc;
}

int store_open(const char *path, const spec *s, const store_opts *o, store **out, lesde_err *e)
{
    quiet_hdf5();
    *out = NULL;
    int bad = store_h5_is_file(path, e);
    if (bad)
        return bad;
    store *st = store_alloc(s, o);
    if (!st)
        return err_set(e, LESDE_FAIL, "out of memory");
    hid_t fapl = make_fapl(o, e);
    if (fapl < 0) {
        store_close(st, NULL);
        return e ? e->code : LESDE_USAGE;
    }
    st->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    char why[256];
    store_h5_cause(why, sizeof why); /* before H5Pclose clears it */
    H5Pclose(fapl);
    if (st->file < 0) {
        store_close(st, NULL);
        /* MPI-IO seldom says why; a read-only file is the usual reason. */
        if (!why[0] && access(path, W_OK) != 0)
            snprintf(why, sizeof why, "read-only (%s)", strerror(errno));
        return err_set(e, LESDE_FAIL, "%s: cannot open the store for writing: %s", path,
                       why[0] ? why : "read-only, or damaged");
    }
    int rc = resumes_spec(st->parallel ? st->comm : MPI_COMM_NULL, 1, st->file, s, path, e);
    for (int i = 0; i < s->n_studies && !rc; i++) {
        rc = study_setup(st, i, 0, e);
        if (!rc) {
            /* save_data is a property of the file: follow it. */
            char p[300];
            snprintf(p, sizeof p, "/study/%s/data", s->studies[i].name);
            if (s->studies[i].kind == SPEC_TRAIN && H5Lexists(st->file, "/study", H5P_DEFAULT) > 0 &&
                H5Lexists(st->file, p, H5P_DEFAULT) > 0) {
                fields_maxima_free(&st->st[i].m);
                rc = study_setup(st, i, 1, e);
            }
        }
        if (!rc && (rc = open_datasets(st, i, e)) != LESDE_OK)
            err_prefix(e, "%s", path);
    }
    if (rc) {
        store_close(st, NULL);
        return rc;
    }
    *out = st;
    return LESDE_OK;
}

int store_close(store *st, lesde_err *e)
{
    if (!st)
        return LESDE_OK;
    int rc = LESDE_OK;
    for (int i = 0; st->st && i < st->s->n_studies; i++) {
        study_h *h = &st->st[i];
        for (int fi = 0; fi < h->nf; fi++)
            if (h->dset[fi] > 0)
                H5Dclose(h->dset[fi]);
        if (h->group >= 0)
            H5Gclose(h->group);
        fields_maxima_free(&h->m);
    }
    if (st->file >= 0 && H5Fclose(st->file) < 0)
        rc = err_set(e, LESDE_FAIL, "cannot close the store cleanly (disk full?)");
    H5Pclose(st->dxpl);
    free(st->st);
    free(st);
    return rc;
}

int store_read_status(store *st, int8_t *status, lesde_err *e)
{
    for (int i = 0; i < st->s->n_studies; i++) {
        const spec_study *ss = &st->s->studies[i];
        if (H5Dread(st->st[i].dset[0], H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, st->dxpl,
                    status + ss->first_task) < 0)
            return err_set(e, LESDE_FAIL, "cannot read the status of study %s", ss->name);
    }
    return LESDE_OK;
}

/* Writes buf into field fi's slot of task t. */
static int write_slot(store *st, const spec_task *t, int fi, const void *buf, lesde_err *e)
{
    const spec_study *ss = &st->s->studies[t->study];
    study_h *h = &st->st[t->study];
    field *f = &h->f[fi];
    long n = field_size(f);
    if (n == 0)
        return LESDE_OK;
    hsize_t start[32], count[32];
    int k = 0;
    for (int a = 0; a < ss->n_axes; a++)
        if (has_axis(h, ss, fi, a)) {
            start[k] = spec_point_coord(ss, t->point, a);
            count[k++] = 1;
        }
    start[k] = t->seed_index;
    count[k++] = 1;
    for (int d = 0; d < f->ndim; d++) {
        start[k] = 0;
        count[k++] = f->dims[d];
    }
    hid_t fsp = H5Dget_space(h->dset[fi]);
    hsize_t nn = n;
    hid_t msp = H5Screate_simple(1, &nn, NULL);
    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t mt = mem_type(f->type);
    herr_t rc = H5Dwrite(h->dset[fi], mt, msp, fsp, st->dxpl, buf);
    close_type(f->type, mt);
    H5Sclose(msp);
    H5Sclose(fsp);
    if (rc < 0)
        return err_set(e, LESDE_FAIL, "cannot write %s of task %ld (disk full?)", f->name, t->id);
    return LESDE_OK;
}

/* The bookkeeping fields (status last) of a task. */
static int write_tail(store *st, const spec_task *t, int status, const char *msg,
                      double wall, int rank, lesde_err *e)
{
    study_h *h = &st->st[t->study];
    char mbuf[STORE_MSG_LEN] = {0};
    if (msg)
        snprintf(mbuf, sizeof mbuf, "%s", msg);
    int32_t r = rank;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double fin = ts.tv_sec + 1e-9 * ts.tv_nsec;
    int8_t s8 = (int8_t)status;
    int rc = LESDE_OK;
    for (int fi = 1; fi < h->nf && !rc; fi++) {
        const void *v = NULL;
        switch (h->f[fi].type == FT_CHAR                 ? 4
                : !strcmp(h->f[fi].name, "rank")         ? 1
                : !strcmp(h->f[fi].name, "wall_seconds") ? 2
                : !strcmp(h->f[fi].name, "finished_at")  ? 3
                                                         : 0) {
        case 1: v = &r; break;
        case 2: v = &wall; break;
        case 3: v = &fin; break;
        case 4: v = mbuf; break;
        default: continue;
        }
        rc = write_slot(st, t, fi, v, e);
    }
    if (!rc)
        rc = write_slot(st, t, 0, &s8, e); /* status last: it commits the task */
    return rc;
}

static void *slot_buffer(const study_h *h)
{
    size_t mx = 1;
    for (int fi = 0; fi < h->nf; fi++) {
        size_t b = (size_t)field_size(&h->f[fi]) * field_elsize(h->f[fi].type);
        if (b > mx)
            mx = b;
    }
    return malloc(mx);
}

static int is_tail(const field *f)
{
    return !strcmp(f->name, "status") || !strcmp(f->name, "rank") ||
           !strcmp(f->name, "wall_seconds") || !strcmp(f->name, "finished_at") ||
           !strcmp(f->name, "message");
}

/* Packs one field of a finished task's result (train_result or le_sde_result). */
typedef void (*pack_fn)(const field *f, const void *result, void *buf);

static void pack_train(const field *f, const void *r, void *buf) { fields_pack_train(f, r, buf); }
static void pack_sde(const field *f, const void *r, void *buf) { fields_pack_sde(f, r, buf); }

/* Every data field of a task, then its bookkeeping with status last. */
static int write_task(store *st, const spec_task *t, pack_fn pack, const void *result,
                      double wall_seconds, int rank, lesde_err *e)
{
    study_h *h = &st->st[t->study];
    void *buf = slot_buffer(h);
    if (!buf)
        return err_set(e, LESDE_FAIL, "out of memory");
    int rc = LESDE_OK;
    for (int fi = 0; fi < h->nf && !rc; fi++) {
        if (is_tail(&h->f[fi]))
            continue;
        pack(&h->f[fi], result, buf);
        rc = write_slot(st, t, fi, buf, e);
    }
    free(buf);
    return rc ? rc : write_tail(st, t, STORE_DONE, NULL, wall_seconds, rank, e);
}

int store_write_train(store *st, const spec_task *t, const train_result *r,
                      double wall_seconds, int rank, lesde_err *e)
{
    return write_task(st, t, pack_train, r, wall_seconds, rank, e);
}

int store_write_sde(store *st, const spec_task *t, const le_sde_result *r,
                    double wall_seconds, int rank, lesde_err *e)
{
    return write_task(st, t, pack_sde, r, wall_seconds, rank, e);
}

int store_write_failed(store *st, const spec_task *t, const char *message,
                       double wall_seconds, int rank, lesde_err *e)
{
    return write_tail(st, t, STORE_FAILED, message, wall_seconds, rank, e);
}
