/* err: status codes and one-line error messages.
 *
 * Every fallible function returns an int status (LESDE_OK on success) and
 * fills a lesde_err with one line that a person can act on. The CLI prints
 * that line as "lesde: <msg>" and exits with the code. */
#ifndef LESDE_CORE_ERR_H
#define LESDE_CORE_ERR_H

/* Exit codes of every command (documented in `lesde --help` and README). */
enum {
    LESDE_OK = 0,          /* success */
    LESDE_FAIL = 1,        /* runtime failure (I/O, numerical, failed tasks) */
    LESDE_USAGE = 2,       /* usage error or bad input */
    LESDE_INTERRUPTED = 3  /* interrupted but resumable (sweeper) */
};

typedef struct {
    int code;
    char msg[1024];
} lesde_err;

/* Sets e (if not NULL) to code and a printf-style message; returns code. */
int err_set(lesde_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in e with "<prefix>: " (context on the way up). */
int err_prefix(lesde_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void err_clear(lesde_err *e);

#endif
