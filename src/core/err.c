#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(lesde_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int err_prefix(lesde_err *e, const char *fmt, ...)
{
    if (!e)
        return LESDE_FAIL;
    char head[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* head, ": ", then as much of the old message as fits */
    size_t h = strlen(head), o = strlen(old), cap = sizeof e->msg - 1;
    if (h > cap)
        h = cap;
    memcpy(e->msg, head, h);
    size_t n = h;
    for (const char *sep = ": "; *sep && n < cap; sep++)
        e->msg[n++] = *sep;
    if (o > cap - n)
        o = cap - n;
    memcpy(e->msg + n, old, o);
    e->msg[n + o] = '\0';
    return e->code;
}

void err_clear(lesde_err *e)
{
    if (e) {
        e->code = LESDE_OK;
        e->msg[0] = '\0';
    }
}
