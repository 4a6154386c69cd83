/* store/h5err.h: helpers internal to src/store: the cause of a failed HDF5
 * call, for one-line messages, and attributes (h5attr.c). */
#ifndef LESDE_STORE_H5ERR_H
#define LESDE_STORE_H5ERR_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Writes into buf the cause HDF5 recorded for the call that just failed:
 * the system's reason when the innermost entry of its error stack quotes
 * one ("Resource temporarily unavailable", "no such file or directory"),
 * else that entry's message ("file has been truncated"); "" when there is
 * none worth saying. Call it at once: the next HDF5 call clears the stack. */
void store_h5_cause(char *buf, size_t size);

/* Whether path can be a store: LESDE_OK, or LESDE_USAGE with e saying
 * "no such store", "a directory, not a store" or "not an HDF5 file, or
 * damaged (truncated?)". */
int store_h5_is_file(const char *path, lesde_err *e);

/* Opens a store serially (H5F_ACC_RDONLY or H5F_ACC_RDWR) without HDF5's
 * file lock, so that it reads a store a sweep is writing. Where the user
 * forces the lock (HDF5_USE_FILE_LOCKING=TRUE overrides the property), an
 * open that meets another process's lock is tried again for 5 s: that
 * process (a sweep writing its summaries, another reader) holds it briefly.
 * On failure, why holds store_h5_cause's reason. */
hid_t store_h5_fopen(const char *path, unsigned flags, char *why, size_t size);
/* Opens a lesde store read-only (or for summaries, read-write) that way,
 * so `lesde status` can look at a store a sweep is writing; refuses a file
 * that is none (e says why). */
hid_t store_open_serial(const char *path, int write, lesde_err *e);

/* A string attribute of obj (variable- or fixed-length) as a malloc'ed
 * string; NULL when absent or of another type (another program's attribute
 * of that name may be an array or a number). */
char *store_attr_str(hid_t obj, const char *name);

/* A number attribute of obj (one integer or real) into *v; -1 when absent
 * or of another type. */
int store_attr_num(hid_t obj, const char *name, double *v);

/* Writes (or replaces) a scalar attribute: a string as variable-length
 * UTF-8 (what netCDF-4 reads as a string), an integer as int64, a real as
 * float64. 0 or -1. */
int store_h5_attr_str(hid_t obj, const char *name, const char *value);
int store_h5_attr_int(hid_t obj, const char *name, long long value);
int store_h5_attr_f64(hid_t obj, const char *name, double value);
/* CF's _FillValue of dataset ds: its fill value, in its own type, so that
 * netCDF readers (xarray) read the unwritten entries as missing. */
int store_h5_attr_fill(hid_t ds);
/* Writes (or replaces) a 1-D int64 array attribute of n >= 1 values. */
int store_h5_attr_ints(hid_t obj, const char *name, const int64_t *v, int n);
/* Marks a float64 variable as 0/1 the CF way: flag_values 0, 1 and
 * flag_meanings "false true" (new attributes). 0 or -1. */
int store_h5_flags01(hid_t ds);
/* A new variable-length UTF-8 string type (close it). */
hid_t store_h5_vlstr(void);
/* A coordinate variable of group g: a 1-D dimension scale `name` of n
 * values with long_name, units (NULL: none) and labels (NULL: none; with
 * labels it is a string dataset of the comma-separated labels, kept in its
 * attribute "labels" too). With write, iv (int64) or rv (float64) are
 * written now; with write 2 (a serial file) the labels too, which a
 * parallel file cannot take (store_h5_labels writes them after). The open
 * dataset (close it), or -1. */
hid_t store_h5_coord(hid_t g, const char *name, long n, const int64_t *iv, const double *rv,
                     const char *labels, const char *long_name, const char *units, int write);
/* Writes the comma-separated labels as the values of the 1-D string dataset
 * ds (variable-length: a serial file only). 0, or -1 when they are not
 * as many as its values or the write fails. */
int store_h5_labels(hid_t ds, const char *labels);

/* Dimension scales in bulk, the attributes H5DSattach_scale writes (the
 * HDF5 dimension scale specification), each written once: H5DSattach_scale
 * rewrites the scale's whole REFERENCE_LIST at every attach, ~30 ms of a
 * store's ~470 variables.
 * store_h5_dimension_list: ds's DIMENSION_LIST, scales[d] attached to its
 * dimension d (every dimension one scale; rank of them).
 * store_h5_reference_list: scale's REFERENCE_LIST, n entries (a dataset
 * and its dimension the scale is attached to) in the order they were
 * attached; an entry is laid out as H5DS lays it out in the file.
 * 0 or -1. */
typedef struct {
    hobj_ref_t ref; /* the dataset */
    int dim;        /* its dimension */
} store_h5_ref;
int store_h5_dimension_list(hid_t ds, const hid_t *scales, int rank);
int store_h5_reference_list(hid_t scale, const store_h5_ref *e, int n);

#endif
