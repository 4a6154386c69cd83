/* Reading a store (status, report) and writing its summaries across seeds. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "core/stats.h"
#include "store/fields.h"
#include "store/h5err.h"
#include "store/store.h"

hid_t store_open_serial(const char *path, int write, lesde_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (store_h5_is_file(path, e))
        return -1;
    char why[256];
    hid_t f = store_h5_fopen(path, write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, why, sizeof why);
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

int store_read_root_strs(const char *path, const char *const *names, int n, char **values,
                         lesde_err *e)
{
    for (int i = 0; i < n; i++)
        values[i] = NULL;
    hid_t f = store_open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    for (int i = 0; i < n; i++)
        values[i] = store_attr_str(f, names[i]);
    H5Fclose(f);
    return LESDE_OK;
}

int store_check_replaceable(const char *path, const char *opt, lesde_err *e)
{
    /* Its lock lies beside the store the link names (lock.c), while --new
     * would put a new file in the link's place: a second sweep would then
     * lock another name and write the same store. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char real[PATH_MAX];
        return err_set(e, LESDE_USAGE,
                       "%s: a symbolic link (to %s); %s replaces a store only at its own "
                       "path: give that path",
                       path, realpath(path, real) ? real : "a missing file", opt);
    }
    hid_t f = store_open_serial(path, 0, e);
    if (f < 0) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        return err_set(e, LESDE_USAGE,
                       "%s; %s replaces only a lesde store: move the file away or give "
                       "another %s",
                       why, opt, strcmp(opt, "--new") ? opt : "--store");
    }
    H5Fclose(f);
    return LESDE_OK;
}

int store_read_spec(const char *path, char **text, char *hash17, lesde_err *e)
{
    hid_t f = store_open_serial(path, 0, e);
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

/* A store summarised before 0/1 fields had Wilson's interval (its field
 * has no flag_values yet) holds t-intervals in summary/ci_lo|ci_hi of
 * sep_all and the like; a reader gets Wilson's instead, from the mean and
 * the count beside them, as `lesde summarize` would write them. */
static void wilson_of_old(hid_t f, const char *study, const char *name, store_array *a)
{
    int hi = !strncmp(name, "summary/ci_hi/", 14);
    if ((!hi && strncmp(name, "summary/ci_lo/", 14)) || !fields_is_indicator(name + 14))
        return;
    char p[512];
    snprintf(p, sizeof p, "/study/%s/%s", study, name + 14);
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    int marked = d < 0 || H5Aexists(d, "flag_values") != 0;
    if (d >= 0)
        H5Dclose(d);
    store_array m, n;
    char pm[512], pn[512];
    snprintf(pm, sizeof pm, "summary/mean/%s", name + 14);
    snprintf(pn, sizeof pn, "summary/n/%s", name + 14);
    if (marked || read_dataset(f, study, pm, &m, NULL))
        return;
    if (!read_dataset(f, study, pn, &n, NULL)) {
        for (long k = 0; k < a->size && m.size == a->size && n.size == a->size; k++) {
            double lo, up;
            if (n.data[k] > 1 && n.data[k] < 1e15 && m.data[k] >= 0 && m.data[k] <= 1) {
                stats_wilson(m.data[k], (long)n.data[k], &lo, &up);
                a->data[k] = hi ? up : lo;
            }
        }
        store_array_free(&n);
    }
    store_array_free(&m);
}

int store_read_array(const char *path, const char *study, const char *name,
                     store_array *a, lesde_err *e)
{
    hid_t f = store_open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    int rc = read_dataset(f, study, name, a, e);
    if (!rc)
        wilson_of_old(f, study, name, a);
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
    hid_t f = store_open_serial(path, 0, NULL);
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
    hid_t f = store_open_serial(path, 0, e);
    if (f < 0)
        return e ? e->code : LESDE_FAIL;
    char p[512];
    snprintf(p, sizeof p, "/study/%s/message", study);
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    if (d < 0) {
        H5Fclose(f);
        return err_set(e, LESDE_FAIL, "store has no dataset %s", p);
    }
    /* Layout 2: [tasks][STORE_MSG_LEN] characters; layout 1: [tasks]
     * strings of STORE_MSG_LEN. Read as the file has them: the same bytes. */
    hid_t sp = H5Dget_space(d), ft = H5Dget_type(d);
    long long np = H5Sget_simple_extent_npoints(sp);
    size_t size = H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) ? H5Tget_size(ft) : 0;
    int rc = LESDE_OK;
    *msgs = NULL;
    *n = 0;
    if (np < 0 || !size || ((size_t)np * size) % STORE_MSG_LEN)
        rc = err_set(e, LESDE_FAIL, "%s: not [tasks] x %d characters (damaged store?)", p,
                     STORE_MSG_LEN);
    else if (!(*msgs = calloc(np ? (size_t)np * size : 1, 1)))
        rc = err_set(e, LESDE_FAIL, "out of memory reading %s", p);
    else if (np && H5Dread(d, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, *msgs) < 0)
        rc = err_set(e, LESDE_FAIL, "cannot read %s", p);
    else
        *n = (long)((size_t)np * size / STORE_MSG_LEN);
    for (long k = 0; *msgs && k < *n; k++) /* one string each, whatever was stored */
        (*msgs)[(k + 1) * STORE_MSG_LEN - 1] = '\0';
    if (rc) {
        free(*msgs);
        *msgs = NULL;
    }
    H5Tclose(ft);
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
    int has[FIELD_N_STATS]; /* summary/<stat> exists (layout 1: the first five) */
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

/* The valid range of a task dataset (valid_min / valid_max), else +-inf,
 * and whether it is a 0/1 field (flag_values; fields.h: indicator). A 0/1
 * field of a store written before flag_values gets them now (the file is
 * open for writing), so that a summary of an old store is a new one's. */
static void valid_range(hid_t f, const char *study, const char *name, double *lo, double *hi,
                        int *indicator)
{
    char p[512];
    snprintf(p, sizeof p, "/study/%s/%s", study, name);
    *lo = -INFINITY;
    *hi = INFINITY;
    *indicator = 0;
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    if (d < 0)
        return;
    if (store_attr_num(d, "valid_min", lo))
        *lo = -INFINITY;
    if (store_attr_num(d, "valid_max", hi))
        *hi = INFINITY;
    *indicator = H5Aexists(d, "flag_values") > 0;
    if (!*indicator && fields_is_indicator(name)) {
        *indicator = 1;
        store_h5_flags01(d); /* or the next summary tries again */
    }
    H5Dclose(d);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The statistics (field_stats order) of the n finite values v, sorted in
 * place; an interval clipped to [lo, hi], or Wilson's for a 0/1 field. */
static void stats_of(double *v, long n, double lo, double hi, int indicator, double *out)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    double mean = n ? gsl_stats_mean(v, 1, (size_t)n) : NAN;
    double sd = n > 1 ? gsl_stats_sd_m(v, 1, (size_t)n, mean) : NAN;
    double half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n) : NAN;
    out[0] = mean;
    out[1] = sd;
    out[2] = isnan(half) ? NAN : fmax(mean - half, lo);
    out[3] = isnan(half) ? NAN : fmin(mean + half, hi);
    if (indicator && n > 1)
        stats_wilson(mean, n, &out[2], &out[3]);
    out[4] = (double)n;
    out[5] = n ? gsl_stats_median_from_sorted_data(v, 1, (size_t)n) : NAN;
    out[6] = n ? gsl_stats_quantile_from_sorted_data(v, 1, (size_t)n, 0.25) : NAN;
    out[7] = n ? gsl_stats_quantile_from_sorted_data(v, 1, (size_t)n, 0.75) : NAN;
}

/* Summarises one per-task dataset name whose summary/mean/<name> exists. */
static int summarize_one(sum_ctx *c, const char *name)
{
    store_array a;
    if (read_dataset(c->f, c->study, name, &a, c->e))
        return -1;
    double lo, hi;
    int indicator;
    valid_range(c->f, c->study, name, &lo, &hi, &indicator);
    long cells = c->points * c->seeds;
    long per = cells > 0 ? a.size / cells : 0;
    long outn = c->points * per > 0 ? c->points * per : 1;
    double *out[FIELD_N_STATS], *v = malloc(sizeof(double) * (size_t)(c->seeds + 1));
    int rc = v ? 0 : -1;
    for (int k = 0; k < FIELD_N_STATS; k++)
        if (!(out[k] = malloc(sizeof(double) * (size_t)outn)))
            rc = -1;
    for (long p = 0; p < c->points && !rc; p++)
        for (long j = 0; j < per; j++) {
            long n = 0;
            for (long q = 0; q < c->seeds; q++) {
                double x = a.data[(p * c->seeds + q) * per + j];
                if (c->status[p * c->seeds + q] == STORE_DONE && isfinite(x))
                    v[n++] = x;
            }
            double st[FIELD_N_STATS];
            stats_of(v, n, lo, hi, indicator, st);
            for (int k = 0; k < FIELD_N_STATS; k++)
                out[k][p * per + j] = st[k];
        }
    for (int k = 0; k < FIELD_N_STATS && !rc; k++)
        if (c->has[k] &&
            write_stat(c->f, c->study, field_stats[k].name, name, out[k], c->points * per))
            rc = -1;
    for (int k = 0; k < FIELD_N_STATS; k++)
        free(out[k]);
    free(v);
    store_array_free(&a);
    if (rc)
        err_set(c->e, LESDE_FAIL, "cannot write the summary of %s/%s", c->study, name);
    return rc;
}

typedef struct {
    char names[256][160];
    int n;
} name_list;

/* The summarised fields: the datasets below summary/mean but its
 * coordinate variables. */
static herr_t collect(hid_t g, const char *name, const H5O_info_t *info, void *op)
{
    name_list *l = op;
    if (info->type != H5O_TYPE_DATASET || l->n == 256)
        return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d >= 0 && H5DSis_scale(d) <= 0)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
    if (d >= 0)
        H5Dclose(d);
    return 0;
}

int store_summarize(const char *path, lesde_err *e)
{
    hid_t f = store_open_serial(path, 1, e);
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
        double seeds = 0;
        if (store_attr_num(g, "n_seeds", &seeds) || !(seeds >= 1 && seeds <= (double)st.size)) {
            /* damaged: no division by 0 */
            rc = err_set(e, LESDE_FAIL, "%s: study %s: bad n_seeds attribute (damaged store?)",
                         path, study);
            H5Gclose(g);
            store_array_free(&st);
            break;
        }
        sum_ctx c = {f, study, st.data, st.size / (long)seeds, (long)seeds, {0}, e};
        int any = H5Lexists(g, "summary", H5P_DEFAULT) > 0;
        for (int k = 0; k < FIELD_N_STATS && any; k++) {
            snprintf(p, sizeof p, "summary/%s", field_stats[k].name);
            c.has[k] = H5Lexists(g, p, H5P_DEFAULT) > 0;
        }
        name_list *l = calloc(1, sizeof *l);
        if (l && any && c.has[0]) {
            hid_t mg = H5Gopen2(g, "summary/mean", H5P_DEFAULT);
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
