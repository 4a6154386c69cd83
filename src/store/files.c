/* Small self-describing HDF5 files: a dataset's images, a fit. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/version.h"
#include "store/fields.h"
#include "store/h5err.h"
#include "store/store.h"

static int write_ds(hid_t f, const char *name, hid_t ftype, hid_t mtype, int ndim,
                    const hsize_t *dims, const void *data, const char *desc)
{
    hid_t sp = H5Screate_simple(ndim, dims, NULL);
    hid_t d = H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0) {
        if (store_h5_attr_str(d, "long_name", desc))
            rc = -1;
        H5Dclose(d);
    }
    H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

/* Why a file could not be made: HDF5's cause (the system's reason). */
static int create_failed(const char *path, lesde_err *e)
{
    char why[256];
    store_h5_cause(why, sizeof why);
    return err_set(e, LESDE_FAIL, "%s: cannot create the file: %s", path,
                   why[0] ? why : "the directory is missing or not writable");
}

/* The writes (rc) or the rename of tmp to path failed: tmp goes. */
static int write_failed(const char *tmp, const char *path, int rc, lesde_err *e)
{
    char why[256];
    snprintf(why, sizeof why, "%s", rc ? "disk full?" : strerror(errno));
    unlink(tmp);
    return err_set(e, LESDE_FAIL, "%s: cannot write the file (%s)", path, why);
}

int store_write_images(const char *path, const data_set *ds, const char *dataset_name,
                       long seed, lesde_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return create_failed(path, e);
    hsize_t xd[4] = {(hsize_t)ds->n, (hsize_t)ds->c, (hsize_t)ds->h, (hsize_t)ds->w};
    hsize_t ld[1] = {(hsize_t)ds->n};
    int rc = write_ds(f, "x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, xd, ds->x,
                      "images [n][channel][height][width]");
    rc |= write_ds(f, "label", H5T_STD_I32LE, H5T_NATIVE_INT, 1, ld, ds->label,
                   "clean label");
    rc |= write_ds(f, "train_label", H5T_STD_I32LE, H5T_NATIVE_INT, 1, ld, ds->train_label,
                   "label seen in training (after pollution)");
    rc |= store_h5_attr_str(f, "dataset", dataset_name);
    rc |= store_h5_attr_int(f, "classes", ds->k);
    rc |= store_h5_attr_int(f, "seed", seed);
    if (H5Fclose(f) < 0)
        rc = -1;
    if (rc || rename(tmp, path))
        return write_failed(tmp, path, rc, e);
    return LESDE_OK;
}

/* Writes n arrays of `each` doubles, src[0..n), one after the other as one
 * dataset of shape [n] x dims[1..]. */
static int write_stack(hid_t f, const char *name, double *const *src, int n, size_t each,
                       int ndim, const hsize_t *dims, double *buf, const char *desc)
{
    for (int i = 0; i < n; i++)
        memcpy(buf + i * each, src[i], sizeof(double) * each);
    return write_ds(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ndim, dims, buf, desc);
}

/* ---- the fit file's dimensions, for netCDF-4 readers (xarray): named as
 * the store's fit group names them (fields_dim), each group holding the
 * scales its variables use. */

/* Coordinate `name` [n] of group g: the iterations t for "checkpoint",
 * else 0..n-1 (with the labels of fields_dim, if any). */
static hid_t fit_scale(hid_t g, const char *name, hsize_t n, const double *t)
{
    const field_dim *fd = fields_dim(name);
    int64_t *v = malloc(sizeof(int64_t) * (n ? n : 1));
    if (!v)
        return -1;
    for (hsize_t j = 0; j < n; j++)
        v[j] = t ? (int64_t)t[j] : (int64_t)j;
    /* integer values, the labels (if any) an attribute of them */
    hid_t ds = store_h5_coord(g, name, (long)n, v, NULL, NULL, fd ? fd->long_name : name,
                              fd && t ? fd->units : "1", 1);
    free(v);
    if (ds >= 0 && fd && fd->labels && store_h5_attr_str(ds, "labels", fd->labels)) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

/* The fit file's variables that a store does not have, and their
 * dimensions; fit/'s others are the store's fit fields (fields_list). */
typedef struct {
    const char *name;
    int ndim;
    const char *dims[4];
} fit_var;

static const fit_var fit_only_vars[] = {
    {"t", 1, {"checkpoint"}},
    {"xbar", 3, {"checkpoint", "class", "feature"}},
    {"fit/paths_mean", 4, {"model", "checkpoint", "class", "feature"}},
    {"fit/paths_std", 4, {"model", "checkpoint", "class", "feature"}},
};

/* Attaches group g's scales (names[k], ids[k]) to variable `var` (a path
 * from the root f) along dims; a variable not in the file is skipped. */
static int fit_attach(hid_t f, const char *var, const char *const *dims, int ndim,
                      const char *const *names, const hid_t *ids, int n)
{
    if (H5Lexists(f, var, H5P_DEFAULT) <= 0)
        return 0;
    hid_t ds = H5Dopen2(f, var, H5P_DEFAULT);
    int rc = ds < 0;
    for (int d = 0; !rc && d < ndim; d++) {
        int k = 0;
        while (k < n && strcmp(names[k], dims[d]))
            k++;
        rc = k == n || H5DSattach_scale(ds, ids[k], d) < 0;
    }
    if (ds >= 0)
        H5Dclose(ds);
    return rc ? -1 : 0;
}

static int fit_dims(hid_t f, const double *t, int C, int K, int p)
{
    static const char *const names[] = {"checkpoint", "class",    "feature",    "model",
                                        "sim",        "quantity", "tail_window"};
    enum { ND = sizeof names / sizeof names[0] };
    const hsize_t len[ND] = {(hsize_t)C,  (hsize_t)K, (hsize_t)p,     LE_NUM_MODELS,
                             LE_NUM_SIMS, LE_NUM_Q,   LE_TAIL_LOCAL_N};
    hid_t fit = H5Gopen2(f, "fit", H5P_DEFAULT);
    int rc = fit < 0;
    /* the root's variables use checkpoint, class, feature; fit/'s all */
    hid_t root_ids[3] = {-1, -1, -1}, fit_ids[ND];
    for (int k = 0; k < ND; k++)
        fit_ids[k] = -1;
    for (int k = 0; !rc && k < 3; k++)
        rc = (root_ids[k] = fit_scale(f, names[k], len[k], k == 0 ? t : NULL)) < 0;
    for (int k = 0; !rc && k < ND; k++)
        rc = (fit_ids[k] = fit_scale(fit, names[k], len[k], k == 0 ? t : NULL)) < 0;
    for (size_t i = 0; !rc && i < sizeof fit_only_vars / sizeof fit_only_vars[0]; i++) {
        const fit_var *v = &fit_only_vars[i];
        int in_fit = !strncmp(v->name, "fit/", 4);
        rc = fit_attach(f, v->name, v->dims, v->ndim, names, in_fit ? fit_ids : root_ids,
                        in_fit ? ND : 3);
    }
    /* The store's fit fields this file has (fit_attach skips the others,
     * such as the snapshots' separability), with the store's dimensions. */
    field_maxima m = {.K = K, .C = C, .fit = 1};
    field *fl = rc ? NULL : malloc(sizeof(field) * FIELDS_MAX);
    rc = rc || !fl;
    int nf = rc ? 0 : fields_list(SPEC_TRAIN, &m, fl);
    for (int i = 0; !rc && i < nf; i++)
        if (!strncmp(fl[i].name, "fit/", 4))
            rc = fit_attach(f, fl[i].name, fl[i].dimname, fl[i].ndim, names, fit_ids, ND);
    free(fl);
    for (int k = 0; k < ND; k++) {
        if (k < 3 && root_ids[k] >= 0)
            H5Dclose(root_ids[k]);
        if (fit_ids[k] >= 0)
            H5Dclose(fit_ids[k]);
    }
    if (fit >= 0)
        H5Gclose(fit);
    return rc ? -1 : 0;
}

int store_write_fit(const char *path, const double *t, int C, const double *xbar, int K, int p,
                    const le_fit_result *r, const le_fit_opts *o, const store_fit_paths *paths,
                    const char *source, lesde_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return create_failed(path, e);
    H5Gclose(H5Gcreate2(f, "fit", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const hsize_t M = LE_NUM_MODELS, S = LE_NUM_SIMS, Q = LE_NUM_Q, W = LE_TAIL_LOCAL_N;
    hsize_t c1[1] = {(hsize_t)C}, s1[1] = {S}, w1[1] = {W};
    hsize_t cx[3] = {(hsize_t)C, (hsize_t)K, (hsize_t)p}, ck[2] = {(hsize_t)C, (hsize_t)K};
    hsize_t mc[2] = {M, (hsize_t)C}, mq[2] = {M, Q}, mqw[3] = {M, Q, W};
    hsize_t scx[4] = {S, (hsize_t)C, (hsize_t)K, (hsize_t)p}, sck[3] = {S, (hsize_t)C, (hsize_t)K};
    hsize_t mcx[4] = {M, (hsize_t)C, (hsize_t)K, (hsize_t)p};
    size_t nc = (size_t)C, ncx = nc * K * p, nck = nc * K;
    double *buf = malloc(sizeof(double) * S * (ncx > nck ? ncx : nck));
    int rc = buf ? 0 : -1;
    rc |= write_ds(f, "t", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1, t, "checkpoint iterations");
    rc |= write_ds(f, "xbar", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, cx, xbar,
                   "genuine mean features [checkpoint][class][feature]");
    struct { const char *name; double *const *v; const char *desc; } curves[] = {
        {"fit/A", r->A, "Ahat(t) [model][checkpoint], models I, L, reference t_0"},
        {"fit/B", r->B, "Bhat(t) [model][checkpoint]"},
        {"fit/alpha", r->alpha, "alphahat(t) per iteration (window sg_window) [model][checkpoint]"},
        {"fit/beta", r->beta, "betahat(t) per iteration (window sg_window) [model][checkpoint]"},
        {"fit/alpha_sim", r->alpha_sim, "alphahat(t) driving the simulations (window sim_window)"},
        {"fit/beta_sim", r->beta_sim, "betahat(t) driving the simulations (window sim_window)"}};
    for (size_t i = 0; !rc && i < sizeof curves / sizeof curves[0]; i++)
        rc |= write_stack(f, curves[i].name, curves[i].v, LE_NUM_MODELS, nc, 2, mc, buf,
                          curves[i].desc);
    if (!rc)
        rc |= write_ds(f, "fit/tail", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, mq, r->tail,
                       "tail index by differences over [T/10, T] [model][alpha, beta, gamma]");
    if (!rc)
        rc |= write_ds(f, "fit/tail_ref0", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, mq, r->tail_ref0,
                       "the slides' tail estimator, reference-dependent [model][alpha, beta, gamma]");
    if (!rc)
        rc |= write_ds(f, "fit/tail_local", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, mqw,
                       r->tail_local, "local tail index [model][quantity][window]");
    if (!rc)
        rc |= write_ds(f, "fit/tail_local_t", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, w1,
                       r->tail_local_t, "end of each local window, iterations");
    for (int v = 0; v < LE_NUM_VARIANTS && !rc; v++) {
        char name[64], desc[160];
        snprintf(name, sizeof name, "fit/sim_%s", le_variant_name((le_variant)v));
        snprintf(desc, sizeof desc, "LE-ODE imitation, start '%s' [sim][checkpoint][class][feature]",
                 le_variant_name((le_variant)v));
        rc |= write_stack(f, name, r->sim[v], LE_NUM_SIMS, ncx, 4, scx, buf, desc);
        snprintf(name, sizeof name, "fit/rd_%s", le_variant_name((le_variant)v));
        snprintf(desc, sizeof desc, "RD_k(t) of start '%s' [sim][checkpoint][class]",
                 le_variant_name((le_variant)v));
        rc |= write_stack(f, name, r->rd[v], LE_NUM_SIMS, nck, 3, sck, buf, desc);
    }
    if (!rc)
        rc |= write_ds(f, "fit/ref_scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, s1, r->ref_scale,
                       "the reference method's fitted scalar [sim]");
    if (!rc)
        rc |= write_stack(f, "fit/ref_std", r->ref_std, LE_NUM_SIMS, ncx, 4, scx, buf,
                          "std across the reference method's paths, times |scale|");
    if (!rc)
        rc |= write_ds(f, "fit/S", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1, r->S,
                       "S(t) = mean_k <Xbar^k, dhat_k>");
    if (!rc)
        rc |= write_ds(f, "fit/rd_etf", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ck, r->rd_etf,
                       "RD_k(t) of the ETF baseline S(t) dhat_k");
    if (!rc)
        rc |= write_ds(f, "fit/rd_cmean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ck, r->rd_cmean,
                       "RD_k(t) of the class-average baseline mean_l Xbar^l(t)");
    for (int w = 0; paths && paths->paths > 0 && w < 2 && !rc; w++)
        rc |= write_stack(f, w ? "fit/paths_std" : "fit/paths_mean", w ? paths->std : paths->mean,
                          LE_NUM_MODELS, ncx, 4, mcx, buf,
                          w ? "std across noisy LE-SDE paths [model][checkpoint][class][feature]"
                            : "mean across noisy LE-SDE paths [model][checkpoint][class][feature]");
    if (paths && paths->paths > 0) {
        rc |= store_h5_attr_int(f, "paths", paths->paths);
        rc |= store_h5_attr_f64(f, "noise_scale", paths->noise_scale);
    }
    if (!rc)
        rc |= write_ds(f, "fit/etf_dev", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1, r->etf_dev,
                       "max |cos(Xbar^k, Xbar^l) + 1/(K-1)|");
    if (!rc)
        rc |= write_ds(f, "fit/norm_spread", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1,
                       r->norm_spread, "std_k |Xbar^k| / mean_k |Xbar^k|");
    free(buf);
    if (!rc)
        rc |= fit_dims(f, t, C, K, p);
    rc |= store_h5_attr_str(f, "creator", "lesde fit");
    rc |= store_h5_attr_str(f, "lesde_version", LESDE_VERSION);
    rc |= store_h5_attr_str(f, "git_revision", version_git_rev());
    rc |= store_h5_attr_str(f, "build", version_build());
    rc |= store_h5_attr_str(f, "source", source);
    rc |= store_h5_attr_str(f, "models", "I,L");
    rc |= store_h5_attr_int(f, "classes", K);
    rc |= store_h5_attr_int(f, "p", p);
    rc |= store_h5_attr_int(f, "sg_order", o->sg_order);
    rc |= store_h5_attr_f64(f, "sg_window", o->sg_window);
    rc |= store_h5_attr_f64(f, "sim_window", o->sim_window);
    rc |= store_h5_attr_f64(f, "tail_frac", o->tail_frac);
    rc |= store_h5_attr_f64(f, "plateau_factor", o->plateau_factor);
    rc |= store_h5_attr_int(f, "ref_paths", o->ref_paths);
    /* 0: the reference scalar averaged the checkpoints of its window */
    rc |= store_h5_attr_int(f, "ref_records", r->ref_n);
    rc |= store_h5_attr_f64(f, "plateau_t", r->plateau_t);
    if (H5Fclose(f) < 0)
        rc = -1;
    if (rc || rename(tmp, path))
        return write_failed(tmp, path, rc, e);
    return LESDE_OK;
}
