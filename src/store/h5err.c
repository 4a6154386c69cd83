/* The cause of a failed HDF5 call, from HDF5's error stack. */
#include "store/h5err.h"

#include <ctype.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t size;
} cause;

/* Called innermost entry first: keeps that one only. */
static herr_t first(unsigned n, const H5E_error2_t *err, void *data)
{
    cause *c = data;
    if (n > 0)
        return 0;
    char minor[128] = "";
    H5Eget_msg(err->min_num, NULL, minor, sizeof minor);
    if (minor[0])
        minor[0] = (char)tolower((unsigned char)minor[0]);
    /* The system's reason, when the entry quotes it: "error message = '...'"
     * (POSIX drivers) or "MPI error string is 'MPI_ERR_X: ...'" (MPI-IO). */
    static const char *const quote[2] = {"error message = '", "MPI error string is '"};
    const char *why = NULL;
    for (int q = 0; q < 2 && !why && err->desc; q++)
        if ((why = strstr(err->desc, quote[q])))
            why += strlen(quote[q]);
    if (why && strncmp(why, "MPI_ERR_", 8) == 0 && strstr(why, ": "))
        why = strstr(why, ": ") + 2;
    int len = why ? (int)strcspn(why, "'") : 0;
    if (why && strncmp(why, "known error not in list", 23) == 0)
        c->buf[0] = '\0'; /* says nothing: let the caller guess */
    else if (why)
        snprintf(c->buf, c->size, "%.*s", len, why);
    else
        snprintf(c->buf, c->size, "%s", minor);
    return 0;
}

void store_h5_cause(char *buf, size_t size)
{
    cause c = {buf, size};
    if (size)
        buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first, &c);
}
