/* Small self-describing HDF5 files: a dataset's images, a fit. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int store_write_images(const char *path, const data_set *ds, const char *dataset_name,
                       long seed, lesde_err *e)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return err_set(e, LESDE_FAIL, "%s: cannot create the file", path);
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
    if (rc || rename(tmp, path)) {
        unlink(tmp);
        return err_set(e, LESDE_FAIL, "%s: cannot write the file", path);
    }
    return LESDE_OK;
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
        return err_set(e, LESDE_FAIL, "%s: cannot create the file", path);
    H5Gclose(H5Gcreate2(f, "fit", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    hsize_t c1[1] = {(hsize_t)C}, m[1] = {LE_NUM_MODELS};
    hsize_t cx[3] = {(hsize_t)C, (hsize_t)K, (hsize_t)p};
    hsize_t mc[2] = {LE_NUM_MODELS, (hsize_t)C};
    hsize_t mcx[4] = {LE_NUM_MODELS, (hsize_t)C, (hsize_t)K, (hsize_t)p};
    hsize_t mck[3] = {LE_NUM_MODELS, (hsize_t)C, (hsize_t)K};
    size_t nc = (size_t)C, ncx = nc * K * p, nck = nc * K;
    double *buf = malloc(sizeof(double) * LE_NUM_MODELS * (ncx > nck ? ncx : nck));
    int rc = buf ? 0 : -1;
    rc |= write_ds(f, "t", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1, t, "checkpoint iterations");
    rc |= write_ds(f, "xbar", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, cx, xbar,
                   "genuine mean features [checkpoint][class][feature]");
    struct { const char *name; double *const *v; const char *desc; } curves[] = {
        {"fit/A", r->A, "Ahat(t) [model][checkpoint], models I, L"},
        {"fit/B", r->B, "Bhat(t) [model][checkpoint]"},
        {"fit/alpha", r->alpha, "alphahat(t) per iteration [model][checkpoint]"},
        {"fit/beta", r->beta, "betahat(t) per iteration [model][checkpoint]"}};
    for (int i = 0; !rc && i < 4; i++) {
        for (int k = 0; k < LE_NUM_MODELS; k++)
            memcpy(buf + k * nc, curves[i].v[k], sizeof(double) * nc);
        rc |= write_ds(f, curves[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, mc, buf,
                       curves[i].desc);
    }
    struct { const char *name; const double *v; const char *desc; } idx[] = {
        {"fit/r_alpha", r->r_alpha, "tail index of alpha from Ahat [model]"},
        {"fit/r_beta", r->r_beta, "tail index of beta from Bhat [model]"},
        {"fit/r_alpha_slope", r->r_alpha_slope, "tail index of alpha, log-log slope [model]"},
        {"fit/r_beta_slope", r->r_beta_slope, "tail index of beta, log-log slope [model]"}};
    for (int i = 0; !rc && i < 4; i++)
        rc |= write_ds(f, idx[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, m, idx[i].v,
                       idx[i].desc);
    for (int k = 0; !rc && k < LE_NUM_MODELS; k++)
        memcpy(buf + k * ncx, r->sim[k], sizeof(double) * ncx);
    if (!rc)
        rc |= write_ds(f, "fit/sim", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, mcx, buf,
                       "LE-ODE from Xbar(0) with each model's alphahat, betahat");
    for (int w = 0; paths && paths->paths > 0 && w < 2 && !rc; w++) {
        for (int k = 0; k < LE_NUM_MODELS; k++)
            memcpy(buf + k * ncx, w ? paths->std[k] : paths->mean[k], sizeof(double) * ncx);
        rc |= write_ds(f, w ? "fit/paths_std" : "fit/paths_mean", H5T_IEEE_F64LE,
                       H5T_NATIVE_DOUBLE, 4, mcx, buf,
                       w ? "std across noisy LE-SDE paths [model][checkpoint][class][feature]"
                         : "mean across noisy LE-SDE paths [model][checkpoint][class][feature]");
    }
    if (paths && paths->paths > 0) {
        rc |= store_h5_attr_int(f, "paths", paths->paths);
        rc |= store_h5_attr_f64(f, "noise_scale", paths->noise_scale);
    }
    for (int k = 0; !rc && k < LE_NUM_MODELS; k++)
        memcpy(buf + k * nck, r->rd[k], sizeof(double) * nck);
    if (!rc)
        rc |= write_ds(f, "fit/rd", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, mck, buf,
                       "relative difference RD_k(t), not rescaled");
    if (!rc)
        rc |= write_ds(f, "fit/etf_dev", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1, r->etf_dev,
                       "max |cos(Xbar^k, Xbar^l) + 1/(K-1)|");
    if (!rc)
        rc |= write_ds(f, "fit/norm_spread", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c1,
                       r->norm_spread, "std_k |Xbar^k| / mean_k |Xbar^k|");
    free(buf);
    rc |= store_h5_attr_str(f, "creator", "lesde fit");
    rc |= store_h5_attr_str(f, "lesde_version", LESDE_VERSION);
    rc |= store_h5_attr_str(f, "source", source);
    rc |= store_h5_attr_str(f, "models", "I,L");
    rc |= store_h5_attr_int(f, "classes", K);
    rc |= store_h5_attr_int(f, "p", p);
    rc |= store_h5_attr_int(f, "sg_order", o->sg_order);
    rc |= store_h5_attr_f64(f, "sg_window", o->sg_window);
    rc |= store_h5_attr_f64(f, "tail_frac", o->tail_frac);
    if (H5Fclose(f) < 0)
        rc = -1;
    if (rc || rename(tmp, path)) {
        unlink(tmp);
        return err_set(e, LESDE_FAIL, "%s: cannot write the file", path);
    }
    return LESDE_OK;
}
