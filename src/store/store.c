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
} study_h;

struct store {
    hid_t file;
    hid_t dxpl;   /* independent transfer in parallel mode, default else */
    int parallel;
    int rank;
    const spec *s;
    study_h *st;
};

static const char *stat_names[] = {"mean", "std", "ci_lo", "ci_hi", "n"};
#define N_STATS 5

/* HDF5 prints its error stack by default; lesde reports one line instead. */
static void quiet_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static hid_t file_type(field_type t)
{
    switch (t) {
    case FT_F64: return H5T_IEEE_F64LE;
    case FT_I64: return H5T_STD_I64LE;
    case FT_I32: return H5T_STD_I32LE;
    case FT_I8: return H5T_STD_I8LE;
    case FT_STR: break;
    }
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, STORE_MSG_LEN);
    H5Tset_strpad(s, H5T_STR_NULLTERM);
    return s;
}

static hid_t mem_type(field_type t)
{
    switch (t) {
    case FT_F64: return H5T_NATIVE_DOUBLE;
    case FT_I64: return H5T_NATIVE_INT64;
    case FT_I32: return H5T_NATIVE_INT32;
    case FT_I8: return H5T_NATIVE_INT8;
    case FT_STR: break;
    }
    return file_type(FT_STR);
}

static void close_type(field_type t, hid_t h)
{
    if (t == FT_STR)
        H5Tclose(h);
}

/* ---- attributes ---- */

static int attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, value);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc < 0 ? -1 : 0;
}

static int attr_num(hid_t obj, const char *name, double v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

/* ---- file access ---- */

static hid_t make_fapl(const store_opts *o, lesde_err *e)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (o && o->comm != MPI_COMM_NULL) {
        MPI_Info info = MPI_INFO_NULL;
        if (o->mpi_info && *o->mpi_info) {
            MPI_Info_create(&info);
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", o->mpi_info);
            for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv;
                 kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                if (!eq) {
                    MPI_Info_free(&info);
                    H5Pclose(fapl);
                    err_set(e, LESDE_USAGE, "MPI-IO hint '%s' is not key=value", kv);
                    return -1;
                }
                *eq = '\0';
                MPI_Info_set(info, kv, eq + 1);
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

static hid_t make_scale(hid_t g, const char *name, hid_t ftype, hid_t mtype, long n,
                        const void *values, int write)
{
    hsize_t d = n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t ds = H5Dcreate2(g, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
    if (ds < 0)
        return -1;
    if (write && values)
        H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5DSset_scale(ds, name);
    return ds;
}

/* Creates one study's groups, scales, task and summary datasets. */
static int study_create(store *st, int i, lesde_err *e)
{
    const spec_study *ss = &st->s->studies[i];
    study_h *h = &st->st[i];
    char path[256];
    snprintf(path, sizeof path, "/study/%s", ss->name);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    h->group = H5Gcreate2(st->file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (h->group < 0) {
        H5Pclose(lcpl);
        return err_set(e, LESDE_FAIL, "cannot create group %s", path);
    }
    attr_str(h->group, "kind", ss->kind == SPEC_TRAIN ? "train" : "sde");
    attr_num(h->group, "n_points", (double)ss->n_points);
    attr_num(h->group, "n_seeds", ss->n_seeds);
    attr_num(h->group, "n_tasks", (double)ss->n_tasks);
    attr_num(h->group, "first_task", (double)ss->first_task);
    /* Every parameter of the study's base configuration, as attributes. */
    if (ss->kind == SPEC_TRAIN) {
        const train_config *c = &ss->train;
        attr_str(h->group, "dataset", data_kind_name(c->dataset));
        attr_num(h->group, "classes", c->k);
        attr_num(h->group, "train_per_class", c->train_per_class);
        attr_num(h->group, "val_per_class", c->val_per_class);
        attr_num(h->group, "p_err", c->p_err);
        attr_num(h->group, "iters", (double)c->iters);
        attr_num(h->group, "lr", c->lr);
        attr_num(h->group, "checkpoints", c->checkpoints);
        attr_str(h->group, "spacing", c->log_spacing ? "log" : "linear");
        attr_num(h->group, "probe_per_class", c->probe_per_class);
        attr_num(h->group, "snapshots", c->snapshots);
        attr_num(h->group, "fit", c->fit);
        attr_num(h->group, "sg_order", c->fit_opts.sg_order);
        attr_num(h->group, "sg_window", c->fit_opts.sg_window);
        attr_num(h->group, "tail_frac", c->fit_opts.tail_frac);
        attr_num(h->group, "batch_size", 1);
    } else {
        const le_sde_config *c = &ss->sde;
        attr_num(h->group, "classes", c->K);
        attr_num(h->group, "p", c->p);
        attr_num(h->group, "n", c->n);
        attr_str(h->group, "model", c->model == LE_MODEL_L ? "L" : "I");
        attr_str(h->group, "schedule", c->schedule == LE_SCHED_POWER ? "power" : "boundary");
        attr_num(h->group, "c", c->c);
        attr_num(h->group, "s", c->s);
        attr_num(h->group, "b", c->b);
        attr_num(h->group, "s_b", c->s_b);
        attr_num(h->group, "noise", c->noise);
        attr_num(h->group, "T", c->T);
        attr_num(h->group, "n_obs", c->n_obs);
    }
    int w = !st->parallel || st->rank == 0; /* scale values: one writer */

    /* Grid axes and seeds. */
    hid_t ax = H5Gcreate2(h->group, "axis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t scales[SPEC_MAX_AXES + 1];
    for (int a = 0; a < ss->n_axes; a++) {
        scales[a] = make_scale(ax, ss->axes[a].key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                               ss->axes[a].n, ss->axes[a].values, w);
        size_t len = 1;
        for (int v = 0; v < ss->axes[a].n; v++)
            len += strlen(ss->axes[a].labels[v]) + 1;
        char *lab = calloc(len, 1);
        for (int v = 0; lab && v < ss->axes[a].n; v++) {
            strcat(lab, ss->axes[a].labels[v]);
            if (v + 1 < ss->axes[a].n)
                strcat(lab, ",");
        }
        if (lab)
            attr_str(scales[a], "labels", lab);
        free(lab);
    }
    int64_t *seeds = malloc(sizeof(int64_t) * ss->n_seeds);
    for (int k = 0; seeds && k < ss->n_seeds; k++)
        seeds[k] = (int64_t)ss->seeds[k];
    scales[ss->n_axes] = make_scale(ax, "seed", H5T_STD_I64LE, H5T_NATIVE_INT64,
                                    ss->n_seeds, seeds, w);
    free(seeds);

    /* Per-task dimension scales, by name, created on first use. */
    hid_t dims = H5Gcreate2(h->group, "dim", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *dname[16];
    hid_t dscale[16];
    int nd = 0;

    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC);
    int rc = LESDE_OK;
    for (int fi = 0; fi < h->nf && !rc; fi++) {
        field *f = &h->f[fi];
        hsize_t shape[32];
        int n = 0;
        for (int g = 0; g < h->ngrid; g++)
            shape[n++] = h->grid[g];
        for (int d = 0; d < f->ndim; d++)
            shape[n++] = f->dims[d];
        hid_t ft = file_type(f->type), mt = mem_type(f->type);
        double nan = NAN;
        int64_t m1 = -1;
        int32_t m1_32 = -1;
        int8_t zero = 0;
        static const char empty[STORE_MSG_LEN];
        const void *fill = f->type == FT_F64 ? (const void *)&nan
                         : f->type == FT_I64 ? (const void *)&m1
                         : f->type == FT_I32 ? (const void *)&m1_32
                         : f->type == FT_I8 ? (const void *)&zero : (const void *)empty;
        H5Pset_fill_value(dcpl, mt, fill);
        hid_t sp = H5Screate_simple(n, shape, NULL);
        h->dset[fi] = H5Dcreate2(h->group, f->name, ft, sp, lcpl, dcpl, H5P_DEFAULT);
        H5Sclose(sp);
        close_type(f->type, ft);
        close_type(f->type, mt);
        if (h->dset[fi] < 0) {
            rc = err_set(e, LESDE_FAIL, "cannot create dataset %s/%s (disk full?)", path,
                        f->name);
            break;
        }
        attr_str(h->dset[fi], "units", f->units);
        attr_str(h->dset[fi], "description", f->desc);
        if (f->timing)
            attr_num(h->dset[fi], "timing", 1);
        for (int g = 0; g < h->ngrid; g++)
            H5DSattach_scale(h->dset[fi], scales[g], g);
        for (int d = 0; d < f->ndim; d++) {
            if (!f->dimname[d])
                continue;
            int k = 0;
            while (k < nd && strcmp(dname[k], f->dimname[d]))
                k++;
            if (k == nd && nd < 16) {
                long len = f->dims[d];
                double *v = malloc(sizeof(double) * (len ? len : 1));
                for (long j = 0; v && j < len; j++)
                    v[j] = (!strcmp(f->dimname[d], "checkpoint") && h->m.ckpt_shared && h->m.ckpt_t)
                               ? (double)h->m.ckpt_t[j] : (double)j;
                dname[nd] = f->dimname[d];
                dscale[nd] = make_scale(dims, f->dimname[d], H5T_IEEE_F64LE,
                                        H5T_NATIVE_DOUBLE, len, v, w);
                if (!strcmp(f->dimname[d], "model"))
                    attr_str(dscale[nd], "labels", "I,L");
                if (!strcmp(f->dimname[d], "checkpoint"))
                    attr_str(dscale[nd], "units", h->m.ckpt_shared ? "iterations" : "index");
                free(v);
                nd++;
            }
            if (k < nd)
                H5DSattach_scale(h->dset[fi], dscale[k], n - f->ndim + d);
        }
        /* Summary datasets: [grid axes][per-task dims], no seed axis. */
        if (f->summarize) {
            hsize_t sshape[32];
            int sn = 0;
            for (int g = 0; g < h->ngrid - 1; g++)
                sshape[sn++] = h->grid[g];
            for (int d = 0; d < f->ndim; d++)
                sshape[sn++] = f->dims[d];
            H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan);
            for (int k = 0; k < N_STATS; k++) {
                char name[160];
                snprintf(name, sizeof name, "summary/%s/%s", stat_names[k], f->name);
                hid_t ssp = H5Screate_simple(sn, sshape, NULL);
                hid_t sd = H5Dcreate2(h->group, name, H5T_IEEE_F64LE, ssp, lcpl, dcpl,
                                      H5P_DEFAULT);
                H5Sclose(ssp);
                if (sd < 0) {
                    rc = err_set(e, LESDE_FAIL, "cannot create %s/%s (disk full?)", path, name);
                    break;
                }
                for (int g = 0; g < h->ngrid - 1; g++)
                    H5DSattach_scale(sd, scales[g], g);
                H5Dclose(sd);
            }
        }
    }
    for (int k = 0; k < nd; k++)
        H5Dclose(dscale[k]);
    for (int g = 0; g < h->ngrid; g++)
        H5Dclose(scales[g]);
    H5Gclose(dims);
    H5Gclose(ax);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    return rc;
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
    if (st->parallel)
        MPI_Comm_rank(o->comm, &st->rank);
    st->dxpl = make_dxpl(st->parallel);
    st->file = -1;
    for (int i = 0; i < s->n_studies; i++)
        st->st[i].group = -1;
    return st;
}

static void provenance(hid_t root, const spec *s)
{
    attr_str(root, "creator", "lesde");
    attr_str(root, "lesde_version", LESDE_VERSION);
    attr_str(root, "git_revision", LESDE_GIT_REV);
    attr_str(root, "cnn_kernels", cnn_kernel_name()); /* results' last bits depend on it */
    attr_num(root, "layout_version", STORE_LAYOUT_VERSION);
    attr_str(root, "sweep_name", s->name);
    attr_str(root, "spec_hash", s->hash);
    attr_str(root, "spec_text", s->text ? s->text : "");
    attr_str(root, "spec_overrides", s->overrides ? s->overrides : "");
    attr_str(root, "spec_canonical", s->canonical ? s->canonical : "");
    char buf[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    attr_str(root, "created", buf);
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    attr_str(root, "host", host);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, sizeof buf, "%u.%u.%u (parallel)", maj, min, rel);
    attr_str(root, "hdf5_version", buf);
    char mpiv[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0, init = 0;
    MPI_Initialized(&init);
    if (init)
        MPI_Get_library_version(mpiv, &len);
    char *nl = strchr(mpiv, ',');
    if (nl)
        *nl = '\0';
    attr_str(root, "mpi_version", mpiv[0] ? mpiv : "not initialised");
    attr_str(root, "gsl_version", GSL_VERSION);
    attr_str(root, "openblas_config", openblas_get_config());
    attr_str(root, "glpk_version", glp_version());
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
            b += n * field_elsize(h->f[fi].type) * ss->n_tasks;
            if (h->f[fi].summarize)
                b += n * sizeof(double) * N_STATS * ss->n_points;
        }
    }
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

static int create_here(const char *path, const spec *s, const store_opts *o, store **out,
                       lesde_err *e)
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
        rc = check_space(st, path, st->parallel ? o->comm : MPI_COMM_NULL, e);
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
        return err_set(e, LESDE_FAIL, "%s: cannot create the store: %s", path,
                       why[0] ? why : "exists, or the directory is missing or not writable");
    }
    provenance(st->file, s);
    for (int i = 0; i < s->n_studies && !rc; i++)
        if ((rc = study_create(st, i, e)) != LESDE_OK)
            err_prefix(e, "%s", path);
    /* Everything that is metadata is written now; from here on, raw bytes. */
    if (!rc && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0)
        rc = err_set(e, LESDE_FAIL, "%s: cannot flush the new store (disk full?)", path);
    if (rc) {
        /* Remove the half-made store, so that the next run starts over
         * instead of refusing a damaged file. Emptying it first gives back
         * the space HDF5 needs to close it when the disk is full (a close
         * that fails leaves HDF5 to crash at exit). */
        int writer = !st->parallel || st->rank == 0;
        if (writer && truncate(path, 0) != 0)
            writer = 0;
        store_close(st, NULL);
        if (writer)
            unlink(path);
        return rc;
    }
    *out = st;
    return LESDE_OK;
}

/* With several ranks, rank 0 alone creates the store (MPI-IO on
 * MPI_COMM_SELF, so the hints still apply), then every rank opens it: an
 * error half-way through the creation (a full disk) cannot leave the other
 * ranks waiting in one of HDF5's collective calls. */
int store_create(const char *path, const spec *s, const store_opts *o, store **out,
                 lesde_err *e)
{
    int size = 1, rank = 0;
    if (o && o->comm != MPI_COMM_NULL) {
        MPI_Comm_size(o->comm, &size);
        MPI_Comm_rank(o->comm, &rank);
    }
    if (size == 1)
        return create_here(path, s, o, out, e);
    *out = NULL;
    int rc = LESDE_OK;
    if (rank == 0) {
        store_opts so = *o;
        so.comm = MPI_COMM_SELF;
        store *st;
        rc = create_here(path, s, &so, &st, e);
        if (!rc && (rc = store_close(st, e)) != LESDE_OK)
            unlink(path);
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
    for (int fi = 0; fi < h->nf; fi++) {
        h->dset[fi] = H5Dopen2(h->group, h->f[fi].name, H5P_DEFAULT);
        if (h->dset[fi] < 0)
            return err_set(e, LESDE_FAIL, "store has no dataset %s/%s (damaged?)", path,
                           h->f[fi].name);
        /* Reads and writes trust the spec's shape: a damaged file must not
         * make them overrun a buffer. */
        hid_t sp = H5Dget_space(h->dset[fi]);
        long long np = H5Sget_simple_extent_npoints(sp);
        H5Sclose(sp);
        if (np != (long long)st->s->studies[i].n_tasks * field_size(&h->f[fi]))
            return err_set(e, LESDE_FAIL, "dataset %s/%s has %lld values, not the %lld of its "
                           "spec (damaged store?)", path, h->f[fi].name, np,
                           (long long)st->s->studies[i].n_tasks * field_size(&h->f[fi]));
    }
    return LESDE_OK;
}

int store_open(const char *path, const spec *s, const store_opts *o, store **out,
               lesde_err *e)
{
    quiet_hdf5();
    *out = NULL;
    if (H5Fis_hdf5(path) <= 0)
        return err_set(e, LESDE_USAGE, "%s: not an HDF5 file, or damaged (truncated?)", path);
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
    char *creator = store_attr_str(st->file, "creator");
    char *hash = store_attr_str(st->file, "spec_hash");
    char *name = store_attr_str(st->file, "sweep_name");
    int rc = LESDE_OK;
    if (!creator || strcmp(creator, "lesde") || !hash)
        rc = err_set(e, LESDE_USAGE, "%s: not a lesde store (no lesde attributes)", path);
    else if (!spec_hash_matches(s, hash))
        rc = err_set(e, LESDE_USAGE,
                     "%s: holds sweep '%s' of another spec (hash %s, this spec's is %s); "
                     "use --new to start over or --store for another file",
                     path, name ? name : "?", hash, s->hash);
    free(creator);
    free(hash);
    free(name);
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
    for (int a = 0; a < ss->n_axes; a++) {
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
        switch (h->f[fi].type == FT_STR ? 4 : !strcmp(h->f[fi].name, "rank") ? 1
                : !strcmp(h->f[fi].name, "wall_seconds") ? 2
                : !strcmp(h->f[fi].name, "finished_at") ? 3 : 0) {
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
