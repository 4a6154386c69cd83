/* store/h5err.h: helpers internal to src/store: the cause of a failed HDF5
 * call, for one-line messages, and reading a string attribute. */
#ifndef LESDE_STORE_H5ERR_H
#define LESDE_STORE_H5ERR_H

#include <hdf5.h>
#include <stddef.h>

/* Writes into buf the cause HDF5 recorded for the call that just failed:
 * the system's reason when the innermost entry of its error stack quotes
 * one ("Resource temporarily unavailable", "no such file or directory"),
 * else that entry's message ("file has been truncated"); "" when there is
 * none worth saying. Call it at once: the next HDF5 call clears the stack. */
void store_h5_cause(char *buf, size_t size);

/* A fixed-length string attribute of obj as a malloc'ed string; NULL when
 * absent or of another type (another program's attribute of that name may
 * be an array or a number). Defined in read.c. */
char *store_attr_str(hid_t obj, const char *name);

#endif
