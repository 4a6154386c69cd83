/* run: the sweep's scheduler (the only module besides store that knows MPI).
 *
 * Rank 0 is the master: it hands task ids out on request, longest first,
 * and computes tasks itself, answering requests between training steps (a
 * poll callback), so with N ranks on N cores every core computes. Waiting is
 * done by testing a non-blocking receive and sleeping, never by a blocking
 * receive, which Open MPI busy-polls. SIGTERM, SIGINT and SIGUSR1 stop the
 * handing out; running tasks finish, or are abandoned after the grace time;
 * the store is closed and the sweep exits LESDE_INTERRUPTED (resumable). */
#ifndef LESDE_RUN_RUN_H
#define LESDE_RUN_RUN_H

#include "core/err.h"
#include "spec/spec.h"

typedef struct {
    const char *store_path;
    int new_store;        /* --new: delete an existing store first */
    int retry_failed;     /* run failed tasks again */
    double grace;         /* seconds a running task may go on after a stop signal */
    const char *mpi_info; /* MPI-IO hints "key=value,..." */
    int quiet;
    double progress_every;/* seconds between progress lines when not a terminal */
    const unsigned char *only; /* --study: 1 for each study to run (NULL: all) */
} run_opts;

/* MPI start and end for the commands that use MPI; run_rank/run_size after.
 * run_init: LESDE_FAIL when MPI does not start; LESDE_USAGE, said on
 * stderr, when srun started several tasks without an MPI plugin (each
 * would run alone). */
int run_init(int *argc, char ***argv);
int run_finalize(int code);
int run_rank(void);
int run_size(void);
/* For the one-process commands (train, simulate): how many ranks an MPI
 * launcher (mpirun, mpiexec, srun --mpi=...) started, and this one's rank.
 * MPI is started and ended here only when a launcher's variables are set:
 * a singleton MPI_Init costs ~0.4 s, and without a launcher the answer is 1
 * (or srun's task count and SLURM_PROCID when srun started several with no
 * MPI plugin). */
int run_launched_size(int *rank);
/* 1 when a launcher's variables are set or srun started several tasks:
 * other processes run beside this one. Without one, a command may say what
 * is wrong with its input before run_init, and at once. */
int run_launched(void);
/* The MPI library's name and version ("Open MPI v4.1.4", "MPICH Version: 4.0.2"),
 * cut at its first comma or line break; callable before run_init. */
void run_mpi_library(char *buf, int n);

/* Checks that the files every train study reads are there (on every
 * rank, the result on every rank), before a store or a folder is made:
 * LESDE_USAGE and "spec:line: study 'NAME': what: path: reason" otherwise
 * (a rank but 0 that lacks them prints that line itself, "rank R of N
 * (host H): ...", and rank 0's e names it). Only the studies only[]
 * marks, unless only is NULL. Collective. */
int run_check_data(const spec *s, const unsigned char *only, lesde_err *e);
/* The same check in this process alone (no MPI: a dry run's). */
int run_check_data_files(const spec *s, const unsigned char *only, lesde_err *e);

/* Every rank loads the spec itself. rc is this rank's spec_load result
 * (e its error), hash the loaded spec's (NULL when rc is not 0). All ranks
 * go on or none: LESDE_OK when every rank runs the same lesde build
 * (version_git_rev, version_build) and loaded the same spec (its hash),
 * else a nonzero code on every rank, with e's message set where it is to
 * be said (a rank's own load error, rank 0 naming the rank that failed or
 * differs) and empty elsewhere. Collective. */
int run_agree_spec(int rc, const char *hash, lesde_err *e);

/* Catches the stop signals (SIGTERM, SIGINT, SIGUSR1, SIGPIPE) from here
 * on: one that comes before run_sweep (in MPI_Init, the spec's load) is
 * then its stop at once, not the rank's death. */
void run_catch_signals(void);

/* Runs the sweep; every rank calls it. The store's lock (store_lock_take)
 * is held by rank 0 from before the store is opened (or removed, with
 * new_store) until the end: a second sweep on the store is refused with
 * LESDE_FAIL, naming the holder; a stale lock is taken over, saying so.
 * Returns LESDE_OK, LESDE_FAIL (some task failed, the store is in use, or
 * a fatal error in e), LESDE_USAGE (bad store), or LESDE_INTERRUPTED; the
 * same value on every rank. */
int run_sweep(const spec *s, const run_opts *o, lesde_err *e);

/* Scheduling overhead benchmark: n trivial tasks, all handed out by rank 0
 * to the other ranks through the same request / reply protocol (rank 0
 * computes none); returns wall microseconds per task. */
double run_bench_overhead(long n);

#endif
