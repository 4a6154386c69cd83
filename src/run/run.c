/* run: master / worker scheduling of a sweep over MPI (see run.h). */
#include "run/run.h"

#include <cblas.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/version.h"
#include "data/data.h"
#include "le/le.h"
#include "store/store.h"
#include "train/train.h"

enum { TAG_REQ = 11, TAG_TASK = 12, TAG_STOP = 13, TAG_SIGNAL = 14 };
/* Replies that release a worker: -1, or -2 when rank 0 sent it a stop
 * message before (the worker then receives it, and cancels nothing). */
enum { REPLY_END = -1, REPLY_END_STOPPED = -2 };
/* What a rank reports of the task it just finished. */
enum { R_NONE = 0, R_DONE = 1, R_FAILED = 2, R_ABANDONED = 3, R_FATAL = 4 };
/* A request is {last task id, its R_ code, wants more, stop}; stop is
 * SEEN_STOP once the rank has stopped, SENT_SIGNAL in the first request
 * after it sent rank 0 a TAG_SIGNAL message of its own signal. */
enum { SEEN_STOP = 1, SENT_SIGNAL = 2 };
#define REQ_LEN 4

/* Set by the signal handler; a handler can only talk through a global. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

typedef struct {
    const spec *s;
    const run_opts *o;
    store *st;
    store_lock *lock; /* rank 0: the store's lock, for the whole run */
    int lock_lost;    /* it was found taken by another: said once */
    int rank, size;
    int trivial;          /* benchmark: tasks do nothing */
    long *queue, nq, next;/* master: pending task ids, longest first */
    int active;           /* master: workers not yet told to stop */
    int stopping;         /* no more handing out */
    int interrupted;      /* a stop signal, or an abandoned task */
    int fatal;            /* a store write failed somewhere */
    int any_failed;
    long done, failed, total, other; /* other: tasks of studies --study left out */
    long fin0;                 /* master: done + failed before this run */
    double cost_all, cost_fin; /* master: estimated cost of the queue, and
                                  of its tasks finished (the ETA's work) */
    double stop_seen;     /* log_now() when this rank noticed the stop */
    /* A stop that reached one rank reaches all: rank 0 sends TAG_STOP to
     * the workers it has not released (a signal to rank 0 alone, the pid
     * that the lock and status name, or to one worker), and a worker tests
     * for it while it polls, so --grace holds on every rank. A worker's own
     * signal reaches rank 0 at once as a TAG_SIGNAL message, which its next
     * request announces (SENT_SIGNAL), so that rank 0 knows how many to
     * receive before it cancels its receive of them. */
    unsigned char *released; /* master: per rank, its task loop has ended */
    MPI_Request *stops;      /* master: the TAG_STOP sends, per rank */
    int stops_sent;          /* master: sent to every unreleased worker */
    MPI_Request stop_req;    /* worker: its TAG_STOP receive */
    int64_t stop_msg;
    MPI_Request sig_req; /* worker: its TAG_SIGNAL send; master: receive */
    int64_t sig_msg;
    int sig_sent, sig_told; /* worker: sent it; announced it in a request */
    long sig_said, sig_got; /* master: announced, and received */
    MPI_Request req;
    int64_t reqbuf[REQ_LEN];
    log_progress prog;
} sched;

/* Environment variables an MPI launcher gives its processes (Open MPI's
 * mpirun, PMIx, PMI-1/2: srun --mpi=pmix|pmi2, MPICH's mpiexec). */
static int launcher_vars(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                                 "PMI_FD"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

/* srun started several tasks but no MPI plugin joins them (srun --mpi=none,
 * or a cluster whose default plugin this MPI does not speak): each would
 * run alone, or (Open MPI) abort in MPI_Init with advice about rebuilding
 * it. Returns the task count then, 0 otherwise; *procid is Slurm's rank. */
static int unplugged_srun(int *procid)
{
    const char *n = getenv("SLURM_STEP_NUM_TASKS"), *id = getenv("SLURM_PROCID");
    int tasks = n ? atoi(n) : 0;
    *procid = id ? atoi(id) : 0;
    return tasks > 1 && !launcher_vars() ? tasks : 0;
}

int run_init(int *argc, char ***argv)
{
    int provided, procid, tasks = unplugged_srun(&procid);
    if (tasks) {
        if (procid == 0)
            fprintf(stderr,
                    "lesde: srun started %d tasks with no MPI plugin to join them (each "
                    "would run alone): use srun --mpi=pmix (srun --mpi=list shows this "
                    "cluster's plugins), or mpirun\n",
                    tasks);
        return LESDE_USAGE;
    }
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return LESDE_FAIL;
    /* Ranks are the parallelism: one BLAS thread each. */
    openblas_set_num_threads(1);
    return LESDE_OK;
}

int run_launched(void)
{
    int procid;
    return launcher_vars() || unplugged_srun(&procid);
}

int run_launched_size(int *rank)
{
    int n = 1, tasks = unplugged_srun(rank);
    if (tasks)
        return tasks;
    *rank = 0;
    if (!launcher_vars() || MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Finalize();
    return n;
}

void run_mpi_library(char *buf, int n)
{
    char v[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0;
    MPI_Get_library_version(v, &len);
    v[strcspn(v, ",\n")] = '\0';
    for (char *c = v; *c; c++) /* MPICH: "MPICH Version:\t4.0.2" */
        if (*c == '\t')
            *c = ' ';
    snprintf(buf, (size_t)n, "%s", v[0] ? v : "unknown");
}

int run_finalize(int code)
{
    MPI_Finalize();
    return code;
}

int run_rank(void)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int run_size(void)
{
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

static void nap(long usec)
{
    struct timespec ts = {0, usec * 1000};
    nanosleep(&ts, NULL);
}

/* Waits for a request without spinning a core: test, then sleep a little. */
static void wait_gently(MPI_Request *r)
{
    int flag = 0;
    for (int i = 0; !flag; i++) {
        MPI_Test(r, &flag, MPI_STATUS_IGNORE);
        if (!flag && i > 20)
            nap(i < 200 ? 50 : 500);
    }
}

static void gentle_barrier(void)
{
    MPI_Request r;
    MPI_Ibarrier(MPI_COMM_WORLD, &r);
    wait_gently(&r);
}

/* Rank 0: tells every worker still in its task loop that the sweep stops. */
static void send_stops(sched *m)
{
    if (m->stops_sent || !m->stops)
        return;
    m->stops_sent = 1;
    for (int r = 1; r < m->size; r++)
        if (!m->released[r])
            MPI_Isend(&m->stop_msg, 1, MPI_INT64_T, r, TAG_STOP, MPI_COMM_WORLD, &m->stops[r]);
}

/* Starts this rank's stop: --grace counts from here. */
static void begin_stop(sched *m, const char *what)
{
    m->stop_seen = log_now();
    m->stopping = m->interrupted = 1;
    if (m->rank != 0)
        return;
    log_progress_end(&m->prog);
    log_info("%s: no more tasks are handed out; running tasks finish "
             "(abandoned after %g s); the sweep resumes when run again",
             what, m->o->grace);
    send_stops(m);
}

/* A signal to this rank or, on a worker, rank 0's stop message. */
static void notice_stop(sched *m)
{
    if (m->stop_seen > 0)
        return;
    if (stop_signal) {
        char what[48];
        snprintf(what, sizeof what,
                 stop_signal == SIGPIPE ? "output closed (SIGPIPE)" : "signal %d",
                 (int)stop_signal);
        begin_stop(m, what);
        if (m->rank != 0 && !m->trivial) { /* tell rank 0 now, not after the task */
            m->sig_msg = stop_signal;      /* which one, for rank 0's line */
            MPI_Isend(&m->sig_msg, 1, MPI_INT64_T, 0, TAG_SIGNAL, MPI_COMM_WORLD, &m->sig_req);
            m->sig_sent = 1;
        }
    } else if (m->rank != 0 && m->stop_req != MPI_REQUEST_NULL) {
        int flag = 0;
        MPI_Test(&m->stop_req, &flag, MPI_STATUS_IGNORE);
        if (flag)
            begin_stop(m, "");
    }
}

static void account(sched *m, int64_t id, int64_t status)
{
    if ((status == R_DONE || status == R_FAILED) && m->rank == 0 && m->s && id >= 0) {
        spec_task t;
        if (spec_task_get(m->s, id, &t) == LESDE_OK)
            m->cost_fin += t.cost;
    }
    switch (status) {
    case R_DONE: m->done++; break;
    case R_FAILED: m->failed++; m->any_failed = 1; break;
    case R_ABANDONED: m->interrupted = 1; break;
    case R_FATAL: m->fatal = 1; m->stopping = 1; break;
    default: break;
    }
}

/* The progress line: the rate and the ETA of this run's own tasks, the
 * ETA by their estimated costs (the queue runs longest first). */
static void progress(sched *m, int force)
{
    log_progress_update(&m->prog, m->s->name, m->done, m->failed, m->total,
                        m->done + m->failed - m->fin0,
                        m->cost_all > 0 ? m->cost_fin / m->cost_all : 1.0, force);
}

/* Master: a worker's signal, by its message or its request, is the sweep's
 * stop (said once). sig: the signal's number, or 0 when unknown. */
static void stop_from(sched *m, int worker, int64_t sig)
{
    if (m->stop_seen > 0)
        return;
    char what[64];
    if (sig == SIGPIPE)
        snprintf(what, sizeof what, "rank %d: output closed (SIGPIPE)", worker);
    else if (sig > 0)
        snprintf(what, sizeof what, "rank %d saw signal %d", worker, (int)sig);
    else
        snprintf(what, sizeof what, "rank %d saw a stop signal", worker);
    begin_stop(m, what);
}

/* Master: the workers' TAG_SIGNAL messages waiting (all: every one its
 * worker has announced, then no receive is left posted). */
static void take_signals(sched *m, int all)
{
    if (m->size < 2 || m->trivial)
        return;
    for (;;) {
        int flag = 0;
        MPI_Status stt;
        if (all && m->sig_got >= m->sig_said) { /* no more can come */
            MPI_Cancel(&m->sig_req);
            MPI_Wait(&m->sig_req, MPI_STATUS_IGNORE);
            return;
        }
        MPI_Test(&m->sig_req, &flag, &stt);
        if (!flag) {
            if (!all)
                return;
            nap(500);
            continue;
        }
        m->sig_got++;
        stop_from(m, stt.MPI_SOURCE, m->sig_msg);
        MPI_Irecv(&m->sig_msg, 1, MPI_INT64_T, MPI_ANY_SOURCE, TAG_SIGNAL, MPI_COMM_WORLD,
                  &m->sig_req);
    }
}

/* Master: answers every request waiting, without blocking. */
static void master_service(sched *m)
{
    notice_stop(m);
    if (store_lock_refresh(m->lock) && !m->lock_lost) {
        m->lock_lost = 1;
        log_progress_end(&m->prog);
        fprintf(stderr,
                "lesde: warning: the lock of %s is no longer this sweep's (removed, or "
                "taken over as stale: was this process stopped for over %d s?); another sweep "
                "may be writing the store too\n",
                m->o->store_path, STORE_LOCK_STALE);
    }
    take_signals(m, 0);
    while (m->size > 1 && m->active > 0) {
        int flag = 0;
        MPI_Status stt;
        MPI_Test(&m->req, &flag, &stt);
        if (!flag)
            break;
        account(m, m->reqbuf[0], m->reqbuf[1]);
        m->sig_said += m->reqbuf[3] == SENT_SIGNAL;
        if (m->reqbuf[3])
            stop_from(m, stt.MPI_SOURCE, 0); /* the request names no signal */
        int64_t reply = REPLY_END;
        if (m->reqbuf[2] && !m->stopping && m->next < m->nq)
            reply = m->queue[m->next++];
        else if (m->stops_sent && !m->released[stt.MPI_SOURCE])
            reply = REPLY_END_STOPPED;
        MPI_Send(&reply, 1, MPI_INT64_T, stt.MPI_SOURCE, TAG_TASK, MPI_COMM_WORLD);
        if (reply < 0) {
            if (m->released)
                m->released[stt.MPI_SOURCE] = 1;
            m->active--;
        }
        if (m->active > 0)
            MPI_Irecv(m->reqbuf, REQ_LEN, MPI_INT64_T, MPI_ANY_SOURCE, TAG_REQ,
                      MPI_COMM_WORLD, &m->req);
    }
    if (!m->trivial)
        progress(m, 0);
}

/* Between training steps and SDE observations: serve requests (rank 0),
 * and abandon the task once a stop is older than the grace time. */
static int poll_cb(void *ctx, long it)
{
    (void)it;
    sched *m = ctx;
    if (m->rank == 0)
        master_service(m);
    else
        notice_stop(m);
    return m->stop_seen > 0 && log_now() - m->stop_seen > m->o->grace;
}

/* Runs task id and records it; returns an R_ code. */
static int run_task(sched *m, long id)
{
    if (m->trivial)
        return R_DONE;
    spec_task t;
    lesde_err e = {0};
    if (spec_task_get(m->s, id, &t))
        return R_FATAL;
    const spec_study *ss = &m->s->studies[t.study];
    double t0 = log_now();
    int rc, w;
    if (ss->kind == SPEC_TRAIN) {
        train_config c;
        train_result r;
        rc = spec_task_train(m->s, &t, &c);
        c.poll = poll_cb;
        c.poll_ctx = m;
        if (!rc)
            rc = train_run(&c, &r, &e);
        if (rc == LESDE_INTERRUPTED)
            return R_ABANDONED;
        w = rc ? store_write_failed(m->st, &t, e.msg, log_now() - t0, m->rank, &e)
               : store_write_train(m->st, &t, &r, log_now() - t0, m->rank, &e);
        if (!rc)
            train_result_free(&r);
    } else {
        le_sde_config c;
        le_sde_result r;
        rc = spec_task_sde(m->s, &t, &c);
        c.poll = poll_cb; /* rank 0 serves the workers between observations */
        c.poll_ctx = m;
        if (!rc)
            rc = le_sde_run(&c, &r, &e);
        if (rc == LESDE_INTERRUPTED)
            return R_ABANDONED;
        w = rc ? store_write_failed(m->st, &t, e.msg, log_now() - t0, m->rank, &e)
               : store_write_sde(m->st, &t, &r, log_now() - t0, m->rank, &e);
        if (!rc)
            le_sde_free(&r);
        if (m->rank == 0)
            master_service(m);
    }
    if (w) {
        log_progress_end(&m->prog);
        fprintf(stderr, "lesde: rank %d: %s\n", m->rank, e.msg);
        return R_FATAL;
    }
    return rc ? R_FAILED : R_DONE;
}

static void worker_loop(sched *m)
{
    int64_t msg[REQ_LEN] = {-1, R_NONE, 1, 0};
    MPI_Irecv(&m->stop_msg, 1, MPI_INT64_T, 0, TAG_STOP, MPI_COMM_WORLD, &m->stop_req);
    for (;;) {
        notice_stop(m);
        msg[3] = m->sig_sent && !m->sig_told ? SENT_SIGNAL : m->stop_seen > 0 ? SEEN_STOP : 0;
        m->sig_told |= m->sig_sent;
        MPI_Send(msg, REQ_LEN, MPI_INT64_T, 0, TAG_REQ, MPI_COMM_WORLD);
        int64_t id = -1;
        MPI_Request r;
        MPI_Irecv(&id, 1, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD, &r);
        wait_gently(&r);
        if (id < 0) {
            if (id == REPLY_END_STOPPED) { /* its stop message was sent: take it */
                wait_gently(&m->stop_req);
            } else { /* no stop message comes */
                MPI_Cancel(&m->stop_req);
                MPI_Wait(&m->stop_req, MPI_STATUS_IGNORE);
            }
            wait_gently(&m->sig_req); /* rank 0 receives what it was told of */
            break;
        }
        int status = run_task(m, id);
        account(m, id, status);
        msg[0] = id;
        msg[1] = status;
        msg[2] = status != R_FATAL && status != R_ABANDONED;
    }
}

static void master_loop(sched *m)
{
    m->active = m->size - 1;
    m->released = calloc((size_t)m->size, 1);
    m->stops = malloc(sizeof(MPI_Request) * (size_t)m->size);
    if (!m->released || !m->stops) { /* out of memory: no stop messages */
        free(m->released);
        free(m->stops);
        m->released = NULL;
        m->stops = NULL;
    }
    for (int r = 0; m->stops && r < m->size; r++)
        m->stops[r] = MPI_REQUEST_NULL;
    if (m->size > 1 && !m->trivial)
        MPI_Irecv(&m->sig_msg, 1, MPI_INT64_T, MPI_ANY_SOURCE, TAG_SIGNAL, MPI_COMM_WORLD,
                  &m->sig_req);
    if (m->active > 0)
        MPI_Irecv(m->reqbuf, REQ_LEN, MPI_INT64_T, MPI_ANY_SOURCE, TAG_REQ, MPI_COMM_WORLD,
                  &m->req);
    for (;;) {
        master_service(m);
        /* The overhead benchmark sends every task through the protocol. */
        int self = !(m->trivial && m->size > 1);
        if (self && !m->stopping && m->next < m->nq) {
            long id = m->queue[m->next++];
            int status = run_task(m, id);
            account(m, id, status);
            if (status == R_ABANDONED)
                m->stopping = 1;
            continue;
        }
        if (m->active == 0)
            break;
        nap(m->trivial ? 20 : 500);
    }
    for (int r = 1; m->stops && r < m->size; r++) /* every worker took its stop */
        wait_gently(&m->stops[r]);
    take_signals(m, 1);
    free(m->released);
    free(m->stops);
    if (!m->trivial)
        progress(m, 1);
    log_progress_end(&m->prog);
}

typedef struct {
    long id;
    int seed_index;
    double cost;
} costed;

/* Longest first; among equals seed by seed (every grid point of a seed,
 * then the next seed): tasks of one seed share their generated data, which
 * a rank's cache (data_cache_*) then holds when its next task comes, and a
 * sweep stopped early has the whole grid for its first seeds. */
static int by_cost(const void *a, const void *b)
{
    const costed *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    if (x->seed_index != y->seed_index)
        return x->seed_index < y->seed_index ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Rank 0: the pending tasks, longest first. */
static int build_queue(sched *m, lesde_err *e)
{
    long n = m->s->n_tasks;
    int8_t *status = malloc(n ? n : 1);
    costed *c = malloc(sizeof(costed) * (n ? n : 1));
    m->queue = malloc(sizeof(long) * (n ? n : 1));
    if (!status || !c || !m->queue) {
        free(status);
        free(c);
        return err_set(e, LESDE_FAIL, "out of memory");
    }
    int rc = store_read_status(m->st, status, e);
    long k = 0;
    for (long id = 0, si = 0; !rc && id < n; id++) {
        while (si + 1 < m->s->n_studies && id >= m->s->studies[si + 1].first_task)
            si++; /* the study of task id: they are numbered study by study */
        if (m->o->only && !m->o->only[si]) {
            m->other++; /* --study: left as it is */
            continue;
        }
        if (status[id] == STORE_DONE) {
            m->done++;
            continue;
        }
        if (status[id] == STORE_FAILED && !m->o->retry_failed) {
            m->failed++;
            m->any_failed = 1;
            continue;
        }
        spec_task t;
        spec_task_get(m->s, id, &t);
        c[k].id = id;
        c[k].seed_index = t.seed_index;
        c[k++].cost = t.cost;
    }
    qsort(c, k, sizeof *c, by_cost);
    for (long i = 0; i < k; i++) {
        m->queue[i] = c[i].id;
        m->cost_all += c[i].cost;
    }
    m->fin0 = m->done + m->failed;
    m->nq = k;
    m->total = n - m->other;
    free(status);
    free(c);
    return rc;
}

int run_check_data_files(const spec *s, const unsigned char *only, lesde_err *e)
{
    int rc = LESDE_OK;
    for (int i = 0; i < s->n_studies && !rc; i++) {
        const spec_study *st = &s->studies[i];
        if (only && !only[i])
            continue;
        int last = -1;            /* the dataset and data_dir just checked: not again, */
        char last_dir[4096] = ""; /* as every rank checks (a million points) */
        for (long p = 0; st->kind == SPEC_TRAIN && p < st->n_points && !rc; p++) {
            spec_task t;
            train_config c;
            lesde_err de = {0};
            if (spec_task_get(s, st->first_task + p * st->n_seeds, &t) ||
                spec_task_train(s, &t, &c))
                continue; /* the spec was validated: cannot happen */
            const char *dir = c.data_dir ? c.data_dir : "";
            if ((int)c.dataset == last && strcmp(dir, last_dir) == 0)
                continue;
            last = (int)c.dataset;
            snprintf(last_dir, sizeof last_dir, "%s", dir);
            if (!data_check_files(c.dataset, c.data_dir, &de))
                continue;
            char from[80]; /* where the directory came from */
            snprintf(from, sizeof from, "not set: %s", data_default_origin(c.dataset));
            rc = spec_error(e, s->path, st->data_line, "study '%s': %s (data_dir %s)", st->name,
                            de.msg, c.data_dir && *c.data_dir ? c.data_dir : from);
        }
    }
    return rc;
}

/* The lowest rank where cond holds, on every rank; run_size() where it
 * holds nowhere. Collective. */
static int first_rank_where(int cond)
{
    int r = cond ? run_rank() : run_size(), first = r;
    MPI_Allreduce(&r, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return first;
}

/* A rank but 0 says what it found itself, with its host: only rank 0
 * prints the error a command returns. */
static void rank_says(const char *what)
{
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    fprintf(stderr, "lesde: rank %d of %d (host %s): %s\n", run_rank(), run_size(), host, what);
}

/* Every rank checks: a node without the data would fail each task it took
 * at once, take the next and fail it too, and so drain the queue of tasks
 * the other nodes would have run. */
int run_check_data(const spec *s, const unsigned char *only, lesde_err *e)
{
    int rc = run_check_data_files(s, only, e), rank = run_rank();
    /* rank 0 when it failed (it says why), else the first that did */
    int bad = first_rank_where(rc != LESDE_OK);
    if (bad == run_size())
        return LESDE_OK;
    int code = rc;
    MPI_Bcast(&code, 1, MPI_INT, bad, MPI_COMM_WORLD);
    if (bad == 0) /* its own error, which rank 0 prints */
        return rank == 0 ? code : err_set(e, code, "the sweep's data is missing");
    if (rank == bad)
        rank_says(e->msg);
    if (rank == 0)
        return err_set(e, code,
                       "rank %d does not find the sweep's data that rank 0 finds (its line "
                       "above): every node needs the data files at the same path",
                       bad);
    return err_set(e, code, "the sweep's data is missing");
}

/* Why agree: a rank left out alone (a node without the spec file) would
 * wait in MPI_Finalize for the others, which wait for its tasks: the job
 * would hang until its time limit. A node reading another version of the
 * file would compute other tasks under the same store. */
int run_agree_spec(int rc, const char *hash, lesde_err *e)
{
    int n = run_size(), rank = run_rank();
    char mine[17] = {0};
    if (rc == LESDE_OK && hash)
        snprintf(mine, sizeof mine, "%s", hash);
    int *rcs = malloc((size_t)n * sizeof *rcs);
    char *hashes = malloc((size_t)n * sizeof mine);
    if (!rcs || !hashes)
        MPI_Abort(MPI_COMM_WORLD, LESDE_FAIL);
    MPI_Allgather(&rc, 1, MPI_INT, rcs, 1, MPI_INT, MPI_COMM_WORLD);
    MPI_Allgather(mine, sizeof mine, MPI_CHAR, hashes, sizeof mine, MPI_CHAR, MPI_COMM_WORLD);
    /* The same binary too: a task's bytes depend on the build, and a node
     * with a stale install of its own would mix two into one store. */
    char build[200], build0[200];
    snprintf(build, sizeof build, "git %s, %s", version_git_rev(), version_build());
    memcpy(build0, build, sizeof build);
    MPI_Bcast(build0, sizeof build0, MPI_CHAR, 0, MPI_COMM_WORLD);
    int other_build = first_rank_where(strcmp(build, build0) != 0);
    if (other_build < n) { /* before the spec: another build may parse it otherwise */
        if (rank == other_build)
            fprintf(stderr, "lesde: rank %d of %d runs lesde %s\n", rank, n, build);
        free(rcs);
        free(hashes);
        if (rank != 0) { /* rank 0 says it */
            e->code = LESDE_USAGE;
            e->msg[0] = '\0';
            return LESDE_USAGE;
        }
        return err_set(e, LESDE_USAGE,
                       "rank %d runs another lesde build than rank 0 (rank 0's: %s; rank %d's "
                       "in its line above): "
                       "a task's results depend on the build, so every node must run the "
                       "same lesde binary",
                       other_build, build0, other_build);
    }
    int failed = -1, n_failed = 0, differs = -1;
    for (int r = 0; r < n; r++) {
        if (rcs[r] != LESDE_OK) {
            n_failed++;
            if (failed < 0 || failed == 0)
                failed = r; /* the first rank but 0, which speaks for itself */
        } else if (rcs[0] == LESDE_OK && differs < 0 &&
                   strcmp(hashes + r * sizeof mine, hashes) != 0)
            differs = r;
    }
    int code = n_failed ? rcs[failed] : differs >= 0 ? LESDE_USAGE : LESDE_OK;
    if (code == LESDE_OK) {
        free(rcs);
        free(hashes);
        return LESDE_OK;
    }
    /* One line of each kind, not one a rank: rank 0's own error when it
     * failed, else the first failing rank's and rank 0's naming it. */
    if (rc != LESDE_OK && (rank == 0 || (rcs[0] == LESDE_OK && rank == failed))) {
        if (rank != 0) {
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            err_set(e, rc, "rank %d of %d: %s", rank, n, msg);
        }
    } else if (rank == 0 && failed > 0)
        err_set(e, code,
                "rank %d%s could not load the spec (its message: 'lesde: rank %d of %d: ...'): "
                "every rank reads the spec file itself, so it must be readable at the same "
                "path on every node",
                failed, n_failed > 1 ? " and others" : "", failed, n);
    else if (rank == 0 && differs > 0)
        err_set(e, code,
                "rank %d read another spec than rank 0 (hash %s, rank 0's %s): every rank "
                "reads the spec file itself, so it must be the same file on every node",
                differs, hashes + differs * sizeof mine, hashes);
    else {
        e->code = code;
        e->msg[0] = '\0'; /* rank 0 or the failing rank says it */
    }
    free(rcs);
    free(hashes);
    return code;
}

/* Does every rank see the store rank 0 has locked? A node with another
 * filesystem at that path (node-local /tmp, a share not mounted there, a
 * relative path from another directory) would make a file of its own and
 * write its tasks there, or hang the collective open. The lock rank 0 has
 * just written is the witness: each rank must read it back, the same
 * host, pid and time. A file system slow to show a new file gets a few
 * seconds. LESDE_OK on every rank, or LESDE_USAGE on every rank, rank 0's
 * e naming the first rank that does not see it (which says what it saw). */
static int check_same_store(const sched *m, const char *path, lesde_err *e)
{
    store_lock_info mine;
    int have = m->rank != 0 || (m->lock && store_lock_read(path, &mine));
    MPI_Allreduce(MPI_IN_PLACE, &have, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!have || m->size == 1) /* no lock to compare (no directory lesde can write in) */
        return LESDE_OK;
    char witness[512]; /* "host H, pid P, since T", as lesde status names a lock */
    if (m->rank == 0)
        store_lock_describe(&mine, witness, sizeof witness);
    MPI_Bcast(witness, sizeof witness, MPI_CHAR, 0, MPI_COMM_WORLD);
    int ok = 1;
    if (m->rank != 0) {
        char seen[sizeof witness] = "";
        for (int tries = 0; tries < 50; tries++) {
            store_lock_info l;
            snprintf(seen, sizeof seen, "no lock");
            if (store_lock_read(path, &l))
                store_lock_describe(&l, seen, sizeof seen);
            if (strcmp(seen, witness) == 0)
                break;
            nap(100000);
        }
        ok = strcmp(seen, witness) == 0;
        if (!ok) {
            char what[1400];
            snprintf(what, sizeof what, "%s.lock: finds %s%s where rank 0 wrote its own (%s)", path,
                     strcmp(seen, "no lock") ? "a lock of " : "", seen, witness);
            rank_says(what);
        }
    }
    int bad = first_rank_where(!ok);
    if (bad == m->size)
        return LESDE_OK;
    if (m->rank != 0)
        return err_set(e, LESDE_USAGE, "rank %d does not see the store", bad);
    return err_set(e, LESDE_USAGE,
                   "%s: rank %d does not see the store's directory as rank 0 does (its line "
                   "above): the store must be on a filesystem that every node shares, at the "
                   "same path, not node-local storage such as /tmp (docs/cluster.md)",
                   path, bad);
}

/* --new, on rank 0: removes the store at path, saying so, when it is a
 * lesde store; anything else (another HDF5 file, a typo naming someone's
 * data) is refused, not deleted. 0: removed; -1: cannot remove; -3:
 * refused (e says why). */
static int remove_old_store(const char *path, lesde_err *e)
{
    if (store_check_replaceable(path, "--new", e))
        return -3;
    if (unlink(path) != 0)
        return -1;
    log_info("%s: removed the old store (--new)", path);
    return 0;
}

void run_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* Output piped into a reader that left (| head): a stop like the
     * others, not a death that leaves the lock and the running tasks. */
    sigaction(SIGPIPE, &sa, NULL);
}

/* "STORE: removed N files that WHAT (STORE<PATTERN>)", when N > 0 */
static void say_removed(const char *store, int n, const char *what, const char *pattern)
{
    if (n > 0)
        log_info("%s: removed %d file%s that %s (%s%s)", store, n, n > 1 ? "s" : "", what, store,
                 pattern);
}

/* The same code on every rank; the collective calls line up. */
int run_sweep(const spec *s, const run_opts *o, lesde_err *e)
{
    sched m = {.s = s,
               .o = o,
               .rank = run_rank(),
               .size = run_size(),
               .stop_req = MPI_REQUEST_NULL,
               .sig_req = MPI_REQUEST_NULL};
    run_catch_signals(); /* again: MPI_Init may have set its own */
    log_set_quiet(o->quiet || m.rank != 0);
    log_progress_start(&m.prog, o->progress_every > 0 ? o->progress_every : 10);

    /* The lock first: --new removes no store a running sweep writes. */
    int exists = 0, rc = LESDE_OK;
    char note[800] = "";
    if (m.rank == 0) {
        /* --study's names in the lock: lesde status counts the rest out.
         * One byte more than the lock holds: a cut list is too long there,
         * and left out. */
        char studies[STORE_LOCK_STUDIES + 1] = "";
        for (int i = 0, len = 0; o->only && i < s->n_studies; i++)
            if (o->only[i] && len < (int)sizeof studies)
                len += snprintf(studies + len, sizeof studies - (size_t)len, "%s%s", len ? "," : "",
                                s->studies[i].name);
        rc = store_lock_take(o->store_path, studies, &m.lock, note, sizeof note, e);
        if (!rc && m.lock && note[0]) /* taken over */
            fprintf(stderr, "lesde: %s: %s\n", o->store_path, note);
        if (!rc && m.lock) {
            say_removed(o->store_path, store_remove_ompio_leftovers(o->store_path),
                        "Open MPI's MPI-IO left beside the store when a sweep was killed",
                        "-<job>-<pid>.lock");
            say_removed(o->store_path, store_remove_lock_leftovers(o->store_path),
                        "a sweep killed while taking the lock left beside the store",
                        ".lock.<host>.<pid>");
        }
        if (rc)
            exists = -2;
        else if (o->new_store && access(o->store_path, F_OK) == 0)
            exists = remove_old_store(o->store_path, e);
        else
            exists = access(o->store_path, F_OK) == 0;
    }
    MPI_Bcast(&exists, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (exists == -2)
        return m.rank == 0 ? rc : err_set(e, LESDE_FAIL, "the store is in use by another sweep");
    if (exists == -3) {
        store_lock_release(m.lock);
        return m.rank == 0 ? e->code : err_set(e, LESDE_USAGE, "not a lesde store");
    }
    if (exists < 0) {
        store_lock_release(m.lock);
        return err_set(e, LESDE_FAIL, "%s: cannot remove the old store for --new",
                       o->store_path);
    }
    if ((rc = check_same_store(&m, o->store_path, e)) != LESDE_OK) {
        store_lock_release(m.lock);
        return rc;
    }
    store_opts so = {.comm = MPI_COMM_WORLD, .mpi_info = o->mpi_info};
    rc = exists ? store_open(o->store_path, s, &so, &m.st, e)
                : store_create(o->store_path, s, &so, &m.st, e);
    if (rc) {
        store_lock_release(m.lock);
        return rc;
    }
    if (m.rank == 0 && !m.lock && note[0]) /* no lock, yet the store opened */
        fprintf(stderr, "lesde: warning: %s: %s\n", o->store_path, note);
    if (m.rank == 0) {
        rc = build_queue(&m, e);
        log_info("%s: %ld tasks%s, %ld done, %ld failed, %ld to run on %d rank%s -> %s", s->name,
                 m.total, o->only ? " of the chosen studies" : "", m.done, m.failed, m.nq, m.size,
                 m.size > 1 ? "s" : "", o->store_path);
        if (m.other)
            log_info("%s: %ld tasks of the other studies left as they are (--study)", s->name,
                     m.other);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!rc) {
        if (m.rank == 0)
            master_loop(&m);
        else
            worker_loop(&m);
    }
    /* Ranks done early wait here asleep, not spinning in a collective. */
    gentle_barrier();
    int flags[2] = {m.interrupted || m.stop_seen > 0, m.fatal}, all[2];
    MPI_Allreduce(flags, all, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    lesde_err ce = {0};
    int crc = store_close(m.st, &ce);
    int code = rc ? rc : LESDE_OK;
    int stopped = all[0] && m.done + m.failed < m.total; /* a stop after the last task: done */
    if (m.rank == 0 && !rc) {
        if (crc)
            code = err_set(e, LESDE_FAIL, "%s", ce.msg);
        else if (all[1]) /* no summaries on a store that fails writes: a resume makes them */
            code = err_set(e, LESDE_FAIL, "the store could not be written (see above); "
                           "finished tasks are kept and resume");
        else {
            int sum_rc = m.trivial ? LESDE_OK : store_summarize(o->store_path, e);
            /* A stopped sweep still exits 3: the batch script requeues on it alone. */
            if (sum_rc && stopped)
                fprintf(stderr,
                        "lesde: the summaries were not written (%s); the resumed sweep "
                        "writes them\n",
                        e->msg);
            if (stopped)
                code = err_set(e, LESDE_INTERRUPTED,
                               "interrupted: %ld of %ld tasks done; "
                               "run the same command again to resume",
                               m.done, m.total);
            else if (sum_rc)
                code = LESDE_FAIL;
            else if (m.any_failed)
                code = err_set(e, LESDE_FAIL,
                               "%ld of %ld tasks failed (lesde status %s says why; --retry-failed "
                               "runs them again)",
                               m.failed, m.total, o->store_path);
            else
                log_info("%s: all %ld tasks%s done", s->name, m.total,
                         o->only ? " of the chosen studies" : "");
        }
    }
    store_lock_release(m.lock); /* after the summaries: they write the store too */
    gentle_barrier();
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (m.rank != 0 && code && !rc)
        err_set(e, code, "sweep ended with status %d", code);
    free(m.queue);
    return code;
}

double run_bench_overhead(long n)
{
    static const run_opts o = {.grace = 1e9, .quiet = 1};
    sched m = {.o = &o,
               .rank = run_rank(),
               .size = run_size(),
               .trivial = 1,
               .stop_req = MPI_REQUEST_NULL,
               .sig_req = MPI_REQUEST_NULL};
    log_progress_start(&m.prog, 1e9);
    if (m.rank == 0) {
        m.queue = malloc(sizeof(long) * n);
        for (long i = 0; m.queue && i < n; i++)
            m.queue[i] = i;
        m.nq = m.queue ? n : 0;
    }
    gentle_barrier();
    double t0 = MPI_Wtime();
    if (m.rank == 0)
        master_loop(&m);
    else
        worker_loop(&m);
    gentle_barrier();
    double dt = MPI_Wtime() - t0;
    free(m.queue);
    return dt / n * 1e6;
}
