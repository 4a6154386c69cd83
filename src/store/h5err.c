/* The cause of a failed HDF5 call, from HDF5's error stack. */
#include "store/h5err.h"

#include <ctype.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

hid_t store_h5_fopen(const char *path, unsigned flags, char *why, size_t size)
{
    for (int tries = 0;; tries++) {
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        H5Pset_file_locking(fapl, 0, 1);
        hid_t f = H5Fopen(path, flags, fapl);
        store_h5_cause(why, size); /* before H5Pclose clears it */
        H5Pclose(fapl);
        int locked = strstr(why, "temporarily unavailable") != NULL;
        if (locked && tries == 50) /* lesde takes no lock unless made to */
            snprintf(why, size,
                     "another process holds HDF5's file lock on it, and "
                     "HDF5_USE_FILE_LOCKING=TRUE makes lesde respect it: unset it");
        if (f >= 0 || tries == 50 || !locked)
            return f;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void store_h5_cause(char *buf, size_t size)
{
    cause c = {buf, size};
    if (size)
        buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first, &c);
}

int store_h5_is_file(const char *path, lesde_err *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return err_set(e, LESDE_USAGE, "%s: no such store", path);
    if (S_ISDIR(sb.st_mode))
        return err_set(e, LESDE_USAGE, "%s: a directory, not a store", path);
    if (H5Fis_hdf5(path) <= 0)
        return err_set(e, LESDE_USAGE, "%s: not an HDF5 file, or damaged (truncated?)", path);
    return LESDE_OK;
}
