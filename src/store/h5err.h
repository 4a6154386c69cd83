/* store/h5err.h: the cause of a failed HDF5 call, for one-line messages
 * (internal to src/store). */
#ifndef LESDE_STORE_H5ERR_H
#define LESDE_STORE_H5ERR_H

#include <stddef.h>

/* Writes into buf the cause HDF5 recorded for the call that just failed:
 * the system's reason when the innermost entry of its error stack quotes
 * one ("Resource temporarily unavailable", "no such file or directory"),
 * else that entry's message ("file has been truncated"); "" when there is
 * none worth saying. Call it at once: the next HDF5 call clears the stack. */
void store_h5_cause(char *buf, size_t size);

#endif
