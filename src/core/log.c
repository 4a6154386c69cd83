#include "core/log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int quiet_flag;

void log_set_quiet(int quiet) { quiet_flag = quiet; }

void log_info(const char *fmt, ...)
{
    if (quiet_flag)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("lesde: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lesde: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double log_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void log_progress_start(log_progress *p, double interval)
{
    p->start = p->last = log_now();
    p->interval = interval;
    p->tty = isatty(2);
    p->drawn = 0;
    p->line[0] = '\0';
}

void log_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    /* whole seconds, cut (printf's rounding of s/60 - 0.5 to even gave
     * 14m00s for 900 s) */
    long t = (long)s;
    if (t < 120)
        snprintf(buf, n, "%lds", t);
    else if (t < 7200)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

void log_progress_update(log_progress *p, const char *label, long done, long failed, long total,
                         long fresh, double work, int force)
{
    if (quiet_flag)
        return;
    double now = log_now();
    double every = p->tty ? 0.25 : p->interval;
    if (!force && now - p->last < every)
        return;
    p->last = now;
    double el = now - p->start;
    double rate = el > 0 ? fresh / el * 60.0 : 0;
    char eta[32], elapsed[32];
    log_duration(eta, sizeof eta, work >= 1 ? 0 : work > 0 ? el * (1 - work) / work : -1);
    log_duration(elapsed, sizeof elapsed, el);
    char line[sizeof p->line];
    snprintf(line, sizeof line,
             "lesde: %s: %ld done, %ld failed, %ld total, %.1f/min, elapsed %s, ETA %s", label,
             done, failed, total, rate, elapsed, eta);
    if (!p->tty && !strcmp(line, p->line))
        return; /* the final line, forced, just after the same periodic one */
    memcpy(p->line, line, sizeof line);
    fprintf(stderr, "%s%s%s", p->tty ? "\r" : "", line, p->tty ? "\033[K" : "\n");
    p->drawn = p->tty;
    fflush(stderr);
}

void log_progress_end(log_progress *p)
{
    if (p->drawn && !quiet_flag)
        fputc('\n', stderr);
    p->drawn = 0;
}
