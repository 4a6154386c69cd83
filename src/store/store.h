/* store: the HDF5 store of a sweep (the only module that knows HDF5).
 *
 * One file per sweep. Root attributes describe its provenance; each study
 * is a group /study/<name> holding one dataset per recorded quantity, shaped
 * [axis_1]...[axis_n][seed][per-task dims], with the grid axes, seeds and
 * per-task dimensions attached as HDF5 dimension scales, in the variable's
 * own group (layout 2: netCDF-4 and xarray read the file as it is). Every
 * group and dataset is created at the start (by rank 0, fixed shapes,
 * allocated early, flushed); afterwards a task only overwrites raw bytes
 * of its own slots, its `status` last. Raw writes never touch HDF5
 * metadata, so a store survives a killed process and resumes. `lesde train`
 * writes the same layout: a store of a one-task spec.
 *
 * Parallel use: pass the MPI communicator (all its ranks call create, open
 * and close together; writes are independent). Serial use: MPI_COMM_NULL. */
#ifndef LESDE_STORE_STORE_H
#define LESDE_STORE_STORE_H

#include <mpi.h>
#include <stdint.h>

#include "core/err.h"
#include "le/le.h"
#include "spec/spec.h"
#include "train/train.h"

/* 3: the initial weights and sample_index without the grid axes that do
 * not change them (fields.h, same_over); 2: coordinates in every group,
 * named dimensions, netCDF attributes, median and quartiles (resumed:
 * those fields keep every axis there); 1: lesde before 2026-12 (read, not
 * resumed). */
#define STORE_LAYOUT_VERSION 3
#define STORE_LAYOUT_RESUMED 2 /* the oldest layout a sweep resumes */

/* Task status values in the `status` datasets. */
enum { STORE_PENDING = 0, STORE_DONE = 1, STORE_FAILED = 2 };

typedef struct store store;

typedef struct {
    MPI_Comm comm;        /* MPI_COMM_NULL: serial (sec2 driver) */
    int save_data;        /* also record training / validation images */
    const char *mpi_info; /* "key=value,key=value" MPI-IO hints, or NULL */
} store_opts;

/* Checks a --mpi-info list ("key=value,key=value", keys non-empty, under
 * 1,024 characters) before MPI starts, so that a dry run refuses it too. */
int store_check_mpi_info(const char *hints, lesde_err *e);

/* Bytes of raw data a store of spec s takes (every slot and summary; the
 * metadata adds a little); -1 when a study cannot be expanded. */
double store_size(const spec *s, int save_data);

/* Creates a new store for spec s (fails if path exists). Collective: rank 0
 * creates the file alone, then every rank opens it. Refuses at once when
 * the disk has not the room for the raw data; a creation that fails
 * half-way (a full disk) removes the file. */
int store_create(const char *path, const spec *s, const store_opts *o, store **out,
                 lesde_err *e);
/* Whether opt (--new of a sweep, --out of train and simulate) may replace
 * path: a lesde store at its own path (LESDE_USAGE and why not otherwise:
 * another file, a directory, a damaged store, a symbolic link). Serial. */
int store_check_replaceable(const char *path, const char *opt, lesde_err *e);
/* store_open's refusals without opening for writing, in this process
 * alone (a dry run's check of the store it would resume), but the CNN
 * kernels': the sweep's ranks, not this process, will run them. */
int store_check_spec(const char *path, const spec *s, lesde_err *e);
/* Opens an existing store for writing; refuses one whose spec hash differs
 * from s's (LESDE_USAGE, naming both sweeps). Collective. */
int store_open(const char *path, const spec *s, const store_opts *o, store **out,
               lesde_err *e);
/* Closes (collective in parallel mode). NULL is fine. */
int store_close(store *st, lesde_err *e);

/* Status of every task, by global task id: status[s->n_tasks]. */
int store_read_status(store *st, int8_t *status, lesde_err *e);

/* Writes a finished task: its data, then its status (independent I/O). */
int store_write_train(store *st, const spec_task *t, const train_result *r,
                      double wall_seconds, int rank, lesde_err *e);
int store_write_sde(store *st, const spec_task *t, const le_sde_result *r,
                    double wall_seconds, int rank, lesde_err *e);
int store_write_failed(store *st, const spec_task *t, const char *message,
                       double wall_seconds, int rank, lesde_err *e);

/* Computes the summaries across seeds (field_stats in fields.h: mean, std,
 * 95% t-interval clipped to the field's valid range, count, median, 25% and
 * 75% quantiles; over the done seeds, NaN left out) of every per-task curve
 * and scalar and writes them into the pre-created /study/<name>/summary
 * datasets (a layout-1 store: the five it has). Serial: call after the
 * sweep's store is closed (lesde sweep does, and lesde summarize). */
int store_summarize(const char *path, lesde_err *e);

/* ---- reading, for status and report ---- */

/* The spec a store was made with: its text parsed with the --set overrides
 * of the sweep that made it, checked against the stored hash (serial);
 * s->hash is then the stored one (an older store holds hash_all). A hash
 * that differs (a store of an older lesde, whose spec lacks keys added
 * since) is accepted with a warning when every study's tasks have the
 * shape s gives them; otherwise LESDE_USAGE. For readers: a sweep checks
 * the hash itself (store_open). */
int store_load_spec(const char *path, spec *s, lesde_err *e);

/* Reads the root string attributes names[n] of a store by name (serial):
 * values[i] malloc'ed, NULL when absent or not one string. Fails when path
 * is not a lesde store. Unlike store_read_attrs it reads no other
 * attribute, so a damaged attribute elsewhere (on which HDF5 1.10 may
 * crash while listing them) does not matter. */
int store_read_root_strs(const char *path, const char *const *names, int n, char **values,
                         lesde_err *e);

/* Reads the spec text and hash of a store (serial). *text is malloc'ed. */
int store_read_spec(const char *path, char **text, char *hash17, lesde_err *e);

/* Reads one dataset of a study as doubles: its shape and data (malloc'ed).
 * name is relative to the study group, e.g. "val_acc" or "summary/mean/val_acc". */
typedef struct {
    int ndim;
    long dims[32];
    long size;
    double *data;
} store_array;
int store_read_array(const char *path, const char *study, const char *name,
                     store_array *a, lesde_err *e);
void store_array_free(store_array *a);
/* Reads the fixed-length failure messages of a study, [n_tasks][STORE_MSG_LEN]. */
#define STORE_MSG_LEN 256
int store_read_messages(const char *path, const char *study, char **msgs, long *n,
                        lesde_err *e);
/* Does the study have that dataset? */
int store_has(const char *path, const char *study, const char *name);

/* Writes the LE fit of a trajectory to a new HDF5 file (serial): t [C],
 * xbar [C][K][p] and fit/<name> laid out as in a train store (model axis
 * first), with the tail indices, sources and options as attributes; with
 * paths (may be NULL), fit/paths_mean and fit/paths_std [model][C][K][p]. */
typedef struct {
    int paths;              /* 0: none */
    double noise_scale;
    double *mean[LE_NUM_MODELS]; /* [C][K][p] across paths, per model */
    double *std[LE_NUM_MODELS];
} store_fit_paths;
int store_write_fit(const char *path, const double *t, int C, const double *xbar, int K,
                    int p, const le_fit_result *r, const le_fit_opts *o,
                    const store_fit_paths *paths, const char *source, lesde_err *e);

/* Writes a dataset's images and labels to a new HDF5 file (serial):
 * x [n][c][h][w], label [n], train_label [n], with the given attributes. */
int store_write_images(const char *path, const data_set *ds, const char *dataset_name,
                       long seed, lesde_err *e);

/* ---- the store lock: one sweep per store ----
 *
 * A sweep holds STORE.lock beside its store for its whole run: a small text
 * file naming the holder (host, pid, Slurm job id and restart count, when it
 * was taken), written complete under a name of its own and then hard-linked
 * to STORE.lock, which fails when the lock exists: atomic on local disks,
 * NFS (v2 and later) and Lustre alike, where flock() may be missing or
 * local to a node. The holder refreshes its mtime every STORE_LOCK_REFRESH
 * seconds. A lock whose holder is gone is stale and taken over: on the same
 * host, its pid is gone; in the same Slurm job, requeued since
 * (SLURM_RESTART_COUNT grew); on another host, its mtime is older than
 * STORE_LOCK_STALE seconds (clocks are assumed to agree to a minute). */
#define STORE_LOCK_REFRESH 60
#define STORE_LOCK_STALE 600
#define STORE_LOCK_STUDIES 1024 /* a longer --study list is left out of the lock */

typedef struct {
    char host[256];
    long pid;
    char job[64];   /* SLURM_JOB_ID, or "" */
    long restart;   /* SLURM_RESTART_COUNT */
    char since[32]; /* when it was taken, UTC */
    char pidns[48]; /* its pid namespace ("pid:[4026531836]"), or "" */
    double since_t; /* the same in seconds since 1970 (-1: unreadable) */
    double age;     /* seconds since it was last refreshed */
    int alive;      /* 0: stale, for the reason in why */
    char why[160];
    char studies[STORE_LOCK_STUDIES]; /* "a,b": the sweep runs only these (--study); "": all */
} store_lock_info;

typedef struct store_lock store_lock;

/* Takes the lock of the store at store_path. A live holder: LESDE_FAIL with
 * "STORE: in use by another sweep (host H, pid P, Slurm job J, since T; lock
 * STORE.lock, refreshed N s ago): ...". A stale lock is taken over, and note
 * says so and why. In a directory it cannot write in (missing, read-only)
 * it returns LESDE_OK and *out NULL, and note says so: the store cannot be
 * made there, and its own error says why. studies: the comma-separated
 * studies the sweep runs (--study), so that lesde status can say when the
 * rest wait; NULL or "": all. */
int store_lock_take(const char *store_path, const char *studies, store_lock **out, char *note,
                    size_t note_size, lesde_err *e);
/* Touches the lock when STORE_LOCK_REFRESH seconds have passed since the
 * last time (cheap to call often); -1 when the lock is no longer ours. */
int store_lock_refresh(store_lock *l);
/* Removes the lock if it is still ours, and frees l. NULL is fine. */
void store_lock_release(store_lock *l);
/* Reads the lock of a store, judged as store_lock_take would: 1 and *info
 * when there is one, 0 when there is none. */
int store_lock_read(const char *store_path, store_lock_info *info);
/* "host H, pid P, Slurm job J, since T" */
void store_lock_describe(const store_lock_info *info, char *buf, size_t size);
/* Open MPI's MPI-IO (OMPIO) makes STORE-<job>-<pid>.lock beside a file it
 * opens, for its shared file pointer (8 bytes), and removes it at the
 * close: a sweep killed with its store open leaves one. With the store's
 * lock held and the store not open, nothing can be using one: removes them
 * (such names, of 0 or 8 bytes); how many. */
int store_remove_ompio_leftovers(const char *store_path);
/* A sweep killed while it took the lock (between writing its text and
 * linking it, a few microseconds) leaves STORE.lock.<host>.<pid>, or
 * STORE.lock.stale.<host>.<pid> while taking over a stale one. With the
 * lock held: removes those whose text, judged as a lock, is dead; how
 * many. */
int store_remove_lock_leftovers(const char *store_path);
/* How many files of both kinds above lie beside the store; removes none.
 * (While a multi-node sweep has the store open, OMPIO's is in use.) */
int store_count_leftovers(const char *store_path);

/* Root attributes of a store (provenance: sweep_name, spec_hash, created,
 * lesde_version, git_revision, library versions, ...) as text, sorted by
 * name: strings as stored, numbers %.17g. *attrs is malloc'ed; free it with
 * store_attrs_free. */
typedef struct {
    char name[64];
    char *value;
} store_attr;
int store_read_attrs(const char *path, store_attr **attrs, int *n, lesde_err *e);
/* The value of attribute name, or NULL. */
const char *store_attr_get(const store_attr *attrs, int n, const char *name);
void store_attrs_free(store_attr *attrs, int n);

#endif
