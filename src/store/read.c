/* Reading a store (status, report) and writing its summaries across seeds. */
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "store/h5err.h"
#include "store/store.h"

/* Opens a store read-only (or for summaries, read-write) without taking
 * HDF5's file lock, so `lesde status` can look at a store a sweep is
 * writing. Checks it is a lesde store. */
static hid_t open_serial(const char *path, int write, lesde_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, F_OK) != 0) {
        err_set(e, LESDE_USAGE, "%s: no such store", path);
        return -1;
    }
    if (H5Fis_hdf5(path) <= 0) {
        err_set(e, LESDE_USAGE, "%s: not an HDF5 file, or damaged (truncated?)", path);
        return -1;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    char why[256];
    store_h5_cause(why, sizeof why); /* before H5Pclose clears it */
    H5Pclose(fapl);
    if (f < 0) {
        err_set(e, LESDE_FAIL, "%s: cannot open the store%s: %s", path,
                write ? " for writing" : "", why[0] ? why : write ? "read-only?" : "damaged?");
        return -1;
    }
    if (H5Aexists(f, "spec_hash") <= 0 || H5Aexists(f, "creator") <= 0) {
        H5Fclose(f);
        err_set(e, LESDE_USAGE, "%s: not a lesde store (no lesde attributes)", path);
        return -1;
    }
    return f;
}

char *store_attr_str(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    char *buf = NULL;
    /* Only one fixed-length string fits the buffer. */
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t) &&
        H5Sget_simple_extent_npoints(sp) == 1) {
        /* One byte more than stored: a null-padded string of exactly n
         * characters (as h5py writes) keeps its last one on conversion. */
        size_t n = H5Tget_size(t);
        buf = calloc(n + 2, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, n + 1);
        if (buf && H5Aread(a, mt, buf) < 0) {
            free(buf);
            buf = NULL;
        }
        H5Tclose(mt);
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return buf;
}

int store_read_root_strs(const char *path, const char *const *names, int n, char **values,
                         lesde_err *e)
{
    for (int i = 0; i < n; i++)
        values[i] = NULL;
    hid_t f = open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    for (int i = 0; i < n; i++)
        values[i] = store_attr_str(f, names[i]);
    H5Fclose(f);
    return LESDE_OK;
}

int store_read_spec(const char *path, char **text, char *hash17, lesde_err *e)
{
    hid_t f = open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    *text = store_attr_str(f, "spec_text");
    char *h = store_attr_str(f, "spec_hash");
    snprintf(hash17, 17, "%s", h ? h : "");
    free(h);
    H5Fclose(f);
    if (!*text)
        return err_set(e, LESDE_FAIL, "%s: store has no spec text", path);
    return LESDE_OK;
}

static int read_dataset(hid_t f, const char *study, const char *name, store_array *a,
                        lesde_err *e)
{
    char p[512];
    snprintf(p, sizeof p, "/study/%s/%s", study, name);
    memset(a, 0, sizeof *a);
    if (H5Lexists(f, "/study", H5P_DEFAULT) <= 0)
        return err_set(e, LESDE_FAIL, "store has no studies");
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    if (d < 0)
        return err_set(e, LESDE_FAIL, "store has no dataset %s", p);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[32];
    a->ndim = H5Sget_simple_extent_dims(sp, dims, NULL);
    a->size = 1;
    int big = a->ndim < 0;
    for (int i = 0; i < a->ndim && !big; i++) {
        /* A damaged file may claim any shape: refuse, do not overflow. */
        hsize_t room = (hsize_t)(LONG_MAX / sizeof(double)) / (hsize_t)(a->size ? a->size : 1);
        big = dims[i] > room;
        a->dims[i] = (long)dims[i];
        a->size *= big ? 1 : (long)dims[i];
    }
    a->data = big ? NULL : malloc(sizeof(double) * (a->size ? a->size : 1));
    int rc = LESDE_OK;
    if (big)
        rc = err_set(e, LESDE_FAIL, "%s: impossible shape (damaged store?)", p);
    else if (!a->data)
        rc = err_set(e, LESDE_FAIL, "out of memory reading %s", p);
    else if (a->size && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) < 0)
        rc = err_set(e, LESDE_FAIL, "cannot read %s", p);
    H5Sclose(sp);
    H5Dclose(d);
    if (rc)
        store_array_free(a);
    return rc;
}

int store_read_array(const char *path, const char *study, const char *name,
                     store_array *a, lesde_err *e)
{
    hid_t f = open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    int rc = read_dataset(f, study, name, a, e);
    H5Fclose(f);
    return rc;
}

void store_array_free(store_array *a)
{
    free(a->data);
    a->data = NULL;
}

int store_has(const char *path, const char *study, const char *name)
{
    hid_t f = open_serial(path, 0, NULL);
    if (f < 0)
        return 0;
    char p[512];
    snprintf(p, sizeof p, "/study/%s/%s", study, name);
    /* H5Lexists needs every intermediate link to exist: walk the path. */
    int ok = 1;
    for (char *s = strchr(p + 1, '/'); ok; s = strchr(s + 1, '/')) {
        if (s)
            *s = '\0';
        ok = H5Lexists(f, p, H5P_DEFAULT) > 0;
        if (!s)
            break;
        *s = '/';
    }
    H5Fclose(f);
    return ok;
}

int store_read_messages(const char *path, const char *study, char **msgs, long *n,
                        lesde_err *e)
{
    hid_t f = open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    char p[512];
    snprintf(p, sizeof p, "/study/%s/message", study);
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    if (d < 0) {
        H5Fclose(f);
        return err_set(e, LESDE_FAIL, "store has no dataset %s", p);
    }
    hid_t sp = H5Dget_space(d);
    *n = H5Sget_simple_extent_npoints(sp);
    *msgs = calloc(*n ? *n : 1, STORE_MSG_LEN);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, STORE_MSG_LEN);
    H5Tset_strpad(mt, H5T_STR_NULLTERM);
    int rc = LESDE_OK;
    if (!*msgs || (*n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *msgs) < 0))
        rc = err_set(e, LESDE_FAIL, "cannot read %s", p);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return rc;
}

/* ---- summaries ---- */

typedef struct {
    hid_t f;
    const char *study;
    const double *status; /* [points * seeds] */
    long points, seeds;
    int rc;
    lesde_err *e;
} sum_ctx;

static int write_stat(hid_t f, const char *study, const char *stat, const char *name,
                      const double *v, long n)
{
    char p[512];
    snprintf(p, sizeof p, "/study/%s/summary/%s/%s", study, stat, name);
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    if (d < 0)
        return -1;
    /* H5S_ALL writes the whole dataset: it must be the n values of v. */
    hid_t sp = H5Dget_space(d);
    herr_t rc = H5Sget_simple_extent_npoints(sp) != n
                    ? -1 : H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Sclose(sp);
    H5Dclose(d);
    return rc < 0 ? -1 : 0;
}

/* Summarises one per-task dataset name whose summary/mean/<name> exists. */
static int summarize_one(sum_ctx *c, const char *name)
{
    store_array a;
    if (read_dataset(c->f, c->study, name, &a, c->e))
        return -1;
    long cells = c->points * c->seeds;
    long per = cells > 0 ? a.size / cells : 0;
    long outn = c->points * per > 0 ? c->points * per : 1;
    double *out[5];
    for (int k = 0; k < 5; k++)
        out[k] = malloc(sizeof(double) * outn);
    int rc = 0;
    for (long p = 0; p < c->points && out[4]; p++)
        for (long j = 0; j < per; j++) {
            double s = 0, ss = 0;
            long n = 0;
            for (long q = 0; q < c->seeds; q++) {
                if (c->status[p * c->seeds + q] != STORE_DONE)
                    continue;
                double v = a.data[(p * c->seeds + q) * per + j];
                if (!isfinite(v))
                    continue;
                s += v;
                n++;
            }
            double mean = n ? s / n : NAN;
            for (long q = 0; q < c->seeds && n > 1; q++) {
                if (c->status[p * c->seeds + q] != STORE_DONE)
                    continue;
                double v = a.data[(p * c->seeds + q) * per + j];
                if (isfinite(v))
                    ss += (v - mean) * (v - mean);
            }
            double sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
            double half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n)
                                : NAN;
            long o = p * per + j;
            out[0][o] = mean;
            out[1][o] = sd;
            out[2][o] = mean - half;
            out[3][o] = mean + half;
            out[4][o] = (double)n;
        }
    static const char *stats[5] = {"mean", "std", "ci_lo", "ci_hi", "n"};
    for (int k = 0; k < 5; k++) {
        if (!out[k] || write_stat(c->f, c->study, stats[k], name, out[k], c->points * per))
            rc = -1;
        free(out[k]);
    }
    store_array_free(&a);
    if (rc)
        err_set(c->e, LESDE_FAIL, "cannot write the summary of %s/%s", c->study, name);
    return rc;
}

typedef struct {
    char names[128][160];
    int n;
} name_list;

static herr_t collect(hid_t g, const char *name, const H5O_info_t *info, void *op)
{
    (void)g;
    name_list *l = op;
    if (info->type == H5O_TYPE_DATASET && l->n < 128)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
    return 0;
}

int store_summarize(const char *path, lesde_err *e)
{
    hid_t f = open_serial(path, 1, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    int rc = LESDE_OK;
    hid_t top = H5Gopen2(f, "/study", H5P_DEFAULT);
    hsize_t n = 0;
    if (top < 0 || H5Gget_num_objs(top, &n) < 0)
        rc = err_set(e, LESDE_FAIL, "%s: store has no studies", path);
    for (hsize_t i = 0; i < n && !rc; i++) {
        char study[256];
        H5Gget_objname_by_idx(top, i, study, sizeof study);
        store_array st;
        if ((rc = read_dataset(f, study, "status", &st, e)))
            break;
        char p[512];
        snprintf(p, sizeof p, "/study/%s", study);
        hid_t g = H5Gopen2(f, p, H5P_DEFAULT);
        double seeds = 1;
        hid_t a = H5Aopen(g, "n_seeds", H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_DOUBLE, &seeds);
        H5Aclose(a);
        if (!(seeds >= 1 && seeds <= (double)st.size)) { /* damaged: no division by 0 */
            rc = err_set(e, LESDE_FAIL, "%s: study %s: bad n_seeds attribute (damaged store?)",
                         path, study);
            H5Gclose(g);
            store_array_free(&st);
            break;
        }
        sum_ctx c = {f, study, st.data, st.size / (long)seeds, (long)seeds, 0, e};
        snprintf(p, sizeof p, "/study/%s/summary/mean", study);
        name_list *l = calloc(1, sizeof *l);
        if (l && H5Lexists(g, "summary", H5P_DEFAULT) > 0) {
            hid_t mg = H5Gopen2(f, p, H5P_DEFAULT);
            H5Ovisit(mg, H5_INDEX_NAME, H5_ITER_NATIVE, collect, l);
            H5Gclose(mg);
        }
        for (int k = 0; l && k < l->n && !rc; k++)
            if (summarize_one(&c, l->names[k]))
                rc = e ? e->code : LESDE_FAIL;
        free(l);
        H5Gclose(g);
        store_array_free(&st);
    }
    if (top >= 0)
        H5Gclose(top);
    if (H5Fclose(f) < 0 && !rc)
        rc = err_set(e, LESDE_FAIL, "%s: cannot close the store (disk full?)", path);
    return rc;
}
