/* Unit tests of core/: the durations of progress lines and lesde status,
 * and the progress line's rate and ETA. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stats.h"
#include "check.h"
#include "core/log.h"

static void test_duration(void)
{
    static const struct {
        double s;
        const char *want;
    } cases[] = {
        {0, "0s"},        {59.9, "59s"},     {119.99, "119s"}, {120, "2m00s"},    {900, "15m00s"},
        {960, "16m00s"},  {899.9, "14m59s"}, {3599, "59m59s"}, {7199, "119m59s"}, {7200, "2h00m"},
        {12600, "3h30m"}, {86399, "23h59m"}, {-1, "?"},        {NAN, "?"},        {2e8, "?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        log_duration(buf, sizeof buf, cases[i].s);
        CHECK(!strcmp(buf, cases[i].want), "%g s: '%s', want '%s'", cases[i].s, buf, cases[i].want);
    }
}

/* The line log_progress_update prints to stderr, for a run started `ago`
 * seconds before. */
static void progress_line(double ago, long done, long total, long fresh, double work, char *out,
                          size_t n)
{
    log_progress p;
    log_progress_start(&p, 10.0);
    p.start -= ago;
    p.tty = 0;
    char path[] = "/tmp/lesde-test-core.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    log_progress_update(&p, "s", done, 0, total, fresh, work, 1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    out[0] = '\0';
    FILE *f = fdopen(fd, "r");
    rewind(f);
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    fclose(f);
    unlink(path);
}

/* The rate counts this run's items (fresh), not a resumed sweep's earlier
 * ones; the ETA is elapsed x (1 - work) / work. */
static void test_progress(void)
{
    char line[256];
    /* resumed at 90 of 200 done; 10 more in 60 s, a quarter of the work */
    progress_line(60.0, 100, 200, 10, 0.25, line, sizeof line);
    CHECK(strstr(line, "s: 100 done, 0 failed, 200 total, 10.0/min, elapsed 60s, ETA 3m00s"),
          "'%s'", line);
    progress_line(30.0, 5, 5, 5, 1.0, line, sizeof line);
    CHECK(strstr(line, "10.0/min, elapsed 30s, ETA 0s"), "all done: '%s'", line);
    progress_line(30.0, 0, 5, 0, 0.0, line, sizeof line);
    CHECK(strstr(line, "0.0/min, elapsed 30s, ETA ?"), "nothing done yet: '%s'", line);
}

/* A forced line the same as the periodic line just before it (a stopped
 * sweep's final progress) is not printed twice; a changed one is. */
static void test_progress_repeat(void)
{
    log_progress p;
    log_progress_start(&p, 10.0);
    p.start -= 30.0;
    p.last -= 30.0; /* a periodic line is due */
    p.tty = 0;
    char path[] = "/tmp/lesde-test-core.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    log_progress_update(&p, "s", 3, 0, 5, 3, 0.6, 0);
    log_progress_update(&p, "s", 3, 0, 5, 3, 0.6, 1);
    log_progress_update(&p, "s", 4, 0, 5, 4, 0.8, 1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char line[256];
    int n = 0, n3 = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        n3 += strstr(line, "s: 3 done") != NULL;
    }
    fclose(f);
    unlink(path);
    CHECK(n == 2 && n3 == 1, "%d lines, %d of them '3 done': want 2 and 1", n, n3);
}

/* Wilson's interval: the published 3 of 4 (Newcombe 1998's example:
 * 0.3006-0.9544), and the ends, exactly 0 and 1. */
static void test_wilson(void)
{
    double lo, hi, z = 1.959963984540054;
    stats_wilson(0.75, 4, &lo, &hi);
    CHECK_NEAR(lo, 0.300642, 1e-6);
    CHECK_NEAR(hi, 0.954413, 1e-6);
    stats_wilson(0, 6, &lo, &hi);
    CHECK(lo == 0.0, "0/6: lo %g", lo);
    CHECK_NEAR(hi, z * z / (6 + z * z), 1e-12);
    stats_wilson(1, 20, &lo, &hi);
    CHECK(hi == 1.0, "20/20: hi %g", hi);
    CHECK_NEAR(lo, 20 / (20 + z * z), 1e-12);
}

int main(void)
{
    test_wilson();
    test_duration();
    test_progress();
    test_progress_repeat();
    return check_done("test_core");
}
