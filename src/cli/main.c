/* lesde: an MPI-distributed experiment sweeper for LE-SDE studies. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "core/version.h"
#include "data/data.h"
#include "nn/layers.h"
#include "run/run.h"
#include "spec/spec.h"
#include "store/store.h"

const char cli_exit_codes[] =
    "Exit status: 0 ok; 1 runtime failure (I/O, numerical, some tasks failed);\n"
    "2 usage error or bad input; 3 interrupted but resumable (run it again).\n";

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"train", cmd_train, "train the CNN once and record its dynamics to HDF5"},
    {"data", cmd_data, "build a training set (GeoMNIST, Fashion-MNIST, CIFAR-10) as PNG or HDF5"},
    {"sweep", cmd_sweep, "run a sweep spec into a parallel-HDF5 store (MPI)"},
    {"status", cmd_status, "done / failed / pending tasks of a store"},
    {"summarize", cmd_summarize, "(re)compute the summaries across seeds of a store"},
    {"fit", cmd_fit, "fit the LE dynamics to mean logits (CSV or a lesde file)"},
    {"simulate", cmd_simulate, "one gamma-schedule LE-SDE task, over seeds"},
    {"report", cmd_report, "figures and tables of a store"},
    {"bench", cmd_bench, "benchmarks: training step, inference"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "Usage: lesde COMMAND [OPTIONS]\n"
                 "       lesde COMMAND --help   (or: lesde help COMMAND)\n"
                 "       lesde --version        (or: lesde -V)\n\n"
                 "Locally elastic SDE experiments: train, sweep, fit, simulate, report.\n\n"
                 "Commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(out, "\n%s", cli_exit_codes);
}

static int dispatch(const char *name, int argc, char **argv)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].fn(argc, argv);
    fprintf(stderr, "lesde: unknown command '%s' (see 'lesde --help')\n", name);
    return 2;
}

int cli_fail(const lesde_err *e)
{
    fprintf(stderr, "lesde: %s\n", e->msg[0] ? e->msg : "failed");
    return e->code ? e->code : 1;
}

void cli_put_wrapped(const char *text, int width)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        int indent = 0;
        while ((size_t)indent < len && line[indent] == ' ')
            indent++;
        const char *p = line, *stop = line + len;
        int lead = 0; /* spaces to print before this piece */
        while (lead + (stop - p) > width) {
            const char *cut = NULL;
            for (const char *q = p + 1; q < stop && lead + (q - p) <= width; q++)
                if (*q == ' ')
                    cut = q;
            if (!cut) /* one long word: to its end */
                for (cut = p + 1; cut < stop && *cut != ' '; cut++)
                    ;
            if (cut >= stop)
                break;
            printf("%*s%.*s\n", lead, "", (int)(cut - p), p);
            while (cut < stop && *cut == ' ')
                cut++;
            p = cut;
            lead = indent;
        }
        printf("%*s%.*s\n", lead, "", (int)(stop - p), p);
        line = end ? end + 1 : line + len;
    }
}

int cli_empty_name(const char *cmd, const char *opt, const char *value)
{
    return value && !*value ? cli_usage(cmd, "%s needs a file name, not ''", opt) : 0;
}

int cli_bad_option(const char *cmd, int ch, const char *arg)
{
    if (ch == ':')
        return cli_usage(cmd, "%s needs a value", arg);
    return cli_usage(cmd, "unknown option '%s'", arg);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    /* The line goes out in one write: a process killed while writing it
     * (mpirun ends the job when another rank exits) leaves all or none.
     * A fixed buffer, so that nothing can fail before the write; a message
     * longer than it (an echoed argument) is cut, the hint kept. */
    char line[4096];
    size_t room = sizeof line - 64 - strlen(cmd) - 1;
    int n = snprintf(line, room, "lesde: %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, room - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n;
    if (m > 0) /* what vsnprintf wrote, not what it wanted to */
        len += (size_t)m < room - len ? (size_t)m : room - len - 1;
    len += (size_t)snprintf(line + len, sizeof line - len, " (see 'lesde %s --help')\n", cmd);
    fwrite(line, 1, len, stderr);
    return 2;
}

int cli_one_process(const char *cmd)
{
    int rank, n = run_launched_size(&rank);
    if (n <= 1)
        return -1;
    if (rank == 0)
        return cli_usage(cmd,
                         "runs on one process, not on %d MPI ranks (many runs in parallel are a "
                         "sweep: lesde sweep)",
                         n);
    return 0;
}

int cli_out_replaceable(const char *out)
{
    struct stat st;
    if (lstat(out, &st) != 0)
        return 0;
    lesde_err e = {0};
    store_lock_info li;
    if (store_lock_read(out, &li) && li.alive) {
        char who[512];
        store_lock_describe(&li, who, sizeof who);
        err_set(&e, LESDE_FAIL,
                "%s: a sweep is writing it (%s); --out would replace it: give another file", out,
                who);
        return cli_fail(&e);
    }
    return store_check_replaceable(out, "--out", &e) ? cli_fail(&e) : 0;
}

int cli_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s && !*end && !errno) {
        *out = v;
        return 0;
    }
    /* As a spec writes integers too ("1e5" iterations): a decimal that is
     * a whole number, below 2^53 in size. */
    double d;
    if (!*s || spec_number(s, strlen(s), &d) || d != floor(d) || fabs(d) >= 0x1p53)
        return -1;
    *out = (long)d;
    return 0;
}

int cli_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    mem_heap_huge((size_t)32 << 20); /* core/mem.h: ~35 ms of page faults in a task */
    /* GSL aborts on errors by default; lesde checks return values instead. */
    gsl_set_error_handler_off();
    /* One BLAS thread per process: ranks are the parallelism. */
    openblas_set_num_threads(1);
    /* A file-size limit (ulimit -f) must fail the write with EFBIG, which
     * lesde reports, not kill it in the middle of a store write. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") && argc == 3) { /* lesde help CMD = lesde CMD --help */
        char *help_argv[] = {argv[2], "--help", NULL};
        return dispatch(argv[2], 2, help_argv);
    }
    if (!strcmp(cmd, "help") && argc > 3) {
        fprintf(stderr, "lesde: help: one COMMAND at most (see 'lesde --help')\n");
        return 2;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        char mpi[256];
        run_mpi_library(mpi, sizeof mpi);
        printf("lesde %s (git %s)\nbuild: %s\nMPI: %s\n", LESDE_VERSION, version_git_rev(),
               version_build(), mpi);
        return 0;
    }
    /* A bad kernel choice or cache size is refused up front, not silently
     * replaced. */
    char msg[256];
    if (nn_kernels_check_env(msg, sizeof msg) || data_cache_check_env(msg, sizeof msg)) {
        for (char *c = msg; *c; c++) /* the value echoed: one line, whatever it holds */
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        fprintf(stderr, "lesde: %s\n", msg);
        return 2;
    }
    return dispatch(cmd, argc - 1, argv + 1);
}
