/* Attributes as netCDF-4 and CF readers expect them: strings variable-length
 * UTF-8, integers as 64-bit integers, reals as doubles; and reading a string
 * attribute of either kind (stores before layout 2 hold fixed-length ones).
 * Also the coordinate variables (dimension scales) both kinds of file use. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/h5err.h"

hid_t store_h5_vlstr(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* Replaces attribute name of obj by one of type t holding *v (n == 0) or
 * the n values v[0..n-1] (a 1-D array). */
static int put_n(hid_t obj, const char *name, hid_t t, const void *v, int n)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return -1;
    hsize_t dim = (hsize_t)n;
    hid_t sp = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, v);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

static int put(hid_t obj, const char *name, hid_t t, const void *v)
{
    return put_n(obj, name, t, v, 0);
}

int store_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = store_h5_vlstr();
    const char *v = value ? value : "";
    int rc = put(obj, name, t, &v);
    H5Tclose(t);
    return rc;
}

int store_h5_attr_int(hid_t obj, const char *name, long long value)
{
    int64_t v = value;
    hid_t t = H5Tcopy(H5T_STD_I64LE);
    int rc = put(obj, name, t, &v);
    H5Tclose(t);
    return rc;
}

int store_h5_attr_ints(hid_t obj, const char *name, const int64_t *v, int n)
{
    if (n < 1)
        return -1;
    hid_t t = H5Tcopy(H5T_STD_I64LE);
    int rc = put_n(obj, name, t, v, n);
    H5Tclose(t);
    return rc;
}

int store_h5_attr_fill(hid_t ds)
{
    hid_t t = H5Dget_type(ds), dcpl = H5Dget_create_plist(ds);
    unsigned char v[16];
    int rc = t < 0 || dcpl < 0 || H5Tget_size(t) > sizeof v || H5Pget_fill_value(dcpl, t, v) < 0
                 ? -1
                 : put(ds, "_FillValue", t, v);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

int store_h5_attr_f64(hid_t obj, const char *name, double value)
{
    hid_t t = H5Tcopy(H5T_IEEE_F64LE);
    int rc = put(obj, name, t, &value);
    H5Tclose(t);
    return rc;
}

char *store_attr_str(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    char *buf = NULL;
    /* One string only: another program's attribute of that name may be an
     * array, which would overrun the buffer. */
    if (H5Tget_class(t) == H5T_STRING && H5Sget_simple_extent_npoints(sp) == 1) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mt, H5Tget_cset(t)); /* HDF5 converts no character set */
        if (H5Tis_variable_str(t) > 0) {
            char *p = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &p) >= 0 && p) {
                buf = strdup(p);
                H5free_memory(p);
            }
        } else {
            /* One byte more than stored: a null-padded string of exactly n
             * characters (as h5py writes) keeps its last one on conversion. */
            size_t n = H5Tget_size(t);
            buf = calloc(n + 2, 1);
            H5Tset_size(mt, n + 1);
            if (buf && H5Aread(a, mt, buf) < 0) {
                free(buf);
                buf = NULL;
            }
        }
        H5Tclose(mt);
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return buf;
}

int store_attr_num(hid_t obj, const char *name, double *v)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t c = H5Tget_class(t);
    double x;
    int rc = (c == H5T_INTEGER || c == H5T_FLOAT) && H5Sget_simple_extent_npoints(sp) == 1 &&
                     H5Aread(a, H5T_NATIVE_DOUBLE, &x) >= 0
                 ? 0
                 : -1;
    if (!rc)
        *v = x;
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

hid_t store_h5_coord(hid_t g, const char *name, long n, const int64_t *iv, const double *rv,
                     const char *labels, const char *long_name, const char *units, int write)
{
    hsize_t d = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t t = labels ? store_h5_vlstr() : H5Tcopy(iv ? H5T_STD_I64LE : H5T_IEEE_F64LE);
    hid_t ds = H5Dcreate2(g, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Tclose(t);
    H5Sclose(sp);
    if (ds < 0)
        return -1;
    herr_t rc = 0;
    if (write && n > 0 && iv)
        rc = H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, iv);
    else if (write && n > 0 && rv)
        rc = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rv);
    if (rc < 0 || H5DSset_scale(ds, name) < 0 || store_h5_attr_str(ds, "long_name", long_name) ||
        (units && store_h5_attr_str(ds, "units", units)) ||
        (labels && store_h5_attr_str(ds, "labels", labels)) ||
        (labels && write > 1 && store_h5_labels(ds, labels))) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

int store_h5_labels(hid_t ds, const char *labels)
{
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    hssize_t n = H5Sget_simple_extent_npoints(sp), k = 0;
    char *lab = strdup(labels);
    const char **v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    for (char *save = NULL, *s = lab ? strtok_r(lab, ",", &save) : NULL; v && s && k < n;
         s = strtok_r(NULL, ",", &save))
        v[k++] = s;
    /* A conversion buffer of a few labels: HDF5's default (1 MiB, zeroed
     * for every variable-length write) made these writes ~40 ms of a
     * store's creation. */
    hid_t x = H5Pcreate(H5P_DATASET_XFER);
    int rc = t < 0 || sp < 0 || !lab || !v || k != n || x < 0 ||
                     H5Pset_buffer(x, 4096, NULL, NULL) < 0 ||
                     (n > 0 && H5Dwrite(ds, t, H5S_ALL, H5S_ALL, x, v) < 0)
                 ? -1
                 : 0;
    if (x >= 0)
        H5Pclose(x);
    free(v);
    free(lab);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

/* A new 1-D attribute `name` of obj: n values of type t (closed here; -1:
 * its creation failed) from buf. 0 or -1. */
static int attr_array(hid_t obj, const char *name, hid_t t, size_t n, const void *buf)
{
    hsize_t len = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &len, NULL);
    hid_t a = t < 0 || sp < 0 ? -1 : H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, t, buf) < 0 ? -1 : 0;
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

int store_h5_flags01(hid_t ds)
{
    static const double flags[2] = {0, 1};
    return attr_array(ds, "flag_values", H5Tcopy(H5T_IEEE_F64LE), 2, flags) ||
                   store_h5_attr_str(ds, "flag_meanings", "false true")
               ? -1
               : 0;
}

int store_h5_dimension_list(hid_t ds, const hid_t *scales, int rank)
{
    hobj_ref_t ref[32];
    hvl_t v[32];
    if (rank < 1 || rank > 32)
        return -1;
    for (int d = 0; d < rank; d++) {
        if (H5Rcreate(&ref[d], scales[d], ".", H5R_OBJECT, -1) < 0)
            return -1;
        v[d].len = 1;
        v[d].p = &ref[d];
    }
    return attr_array(ds, "DIMENSION_LIST", H5Tvlen_create(H5T_STD_REF_OBJ), (size_t)rank, v);
}

int store_h5_reference_list(hid_t scale, const store_h5_ref *e, int n)
{
    /* {dataset reference, dimension as a native int}, padded as the C
     * struct: H5DS's own type */
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof *e);
    if (t < 0 || H5Tinsert(t, "dataset", offsetof(store_h5_ref, ref), H5T_STD_REF_OBJ) < 0 ||
        H5Tinsert(t, "dimension", offsetof(store_h5_ref, dim), H5T_NATIVE_INT) < 0) {
        if (t >= 0)
            H5Tclose(t);
        return -1;
    }
    return attr_array(scale, "REFERENCE_LIST", t, (size_t)n, e);
}
