/* log: messages on stderr and a throttled progress line.
 *
 * Progress redraws one line in place on a terminal; when stderr is not a
 * terminal (a Slurm log, a pipe) it prints a full line at most every
 * `interval` seconds so logs stay readable. */
#ifndef LESDE_CORE_LOG_H
#define LESDE_CORE_LOG_H

#include <stdio.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Silences log_info (for tests and --quiet). */
void log_set_quiet(int quiet);

/* Wall-clock seconds since an arbitrary epoch (CLOCK_MONOTONIC). */
double log_now(void);
/* s seconds as "45s", "12m05s", "3h20m"; "?" if negative, NaN or huge. */
void log_duration(char *buf, size_t n, double s);

typedef struct {
    double start, last;     /* log_now() at start and at the last line */
    double interval;        /* seconds between lines when not a terminal */
    int tty;                /* stderr is a terminal */
    int drawn;              /* a line is on screen that a final newline must end */
    char line[256];         /* the last line printed: a forced one the same is not */
} log_progress;

void log_progress_start(log_progress *p, double interval);
/* Prints "<label>: done, failed, total, rate, elapsed, ETA" if it is time
 * to (force: always). fresh: the items finished since log_progress_start,
 * for the rate; work: the fraction of this run's work done, in [0, 1], for
 * the ETA (a resumed sweep's earlier tasks count in neither, and tasks of
 * unequal cost weigh what they cost). */
void log_progress_update(log_progress *p, const char *label, long done, long failed, long total,
                         long fresh, double work, int force);
void log_progress_end(log_progress *p);

#endif
