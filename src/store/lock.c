/* The store lock: one sweep per store (see store.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

struct store_lock {
    char path[4200];
    char body[STORE_LOCK_STUDIES + 512]; /* what we wrote: ours while it holds this */
    time_t refreshed;
};

/* The directory of a store's path as given into dir ("." when it names
 * none, "/" for the root); returns its file name. */
static const char *split_path(const char *store, char *dir, size_t size)
{
    const char *slash = strrchr(store, '/');
    snprintf(dir, size, "%.*s", slash ? (int)(slash - store) : 1, slash ? store : ".");
    if (!dir[0]) /* "/s.h5" */
        snprintf(dir, size, "/");
    return slash ? slash + 1 : store;
}

/* STORE.lock beside the store's real file: one lock whatever path names
 * it (a symlink, a symlinked directory, ../). A store not made yet: its
 * directory resolved, its own name as given. */
static void lock_path(const char *store, char *buf, size_t size)
{
    char real[PATH_MAX], dir[PATH_MAX];
    if (realpath(store, real)) {
        snprintf(buf, size, "%s.lock", real);
        return;
    }
    const char *name = split_path(store, dir, sizeof dir);
    if (realpath(dir, real))
        snprintf(buf, size, "%s%s%s.lock", real, strcmp(real, "/") ? "/" : "", name);
    else
        snprintf(buf, size, "%s.lock", store);
}

/* This process as a holder. */
static void me(store_lock_info *i)
{
    memset(i, 0, sizeof *i);
    if (gethostname(i->host, sizeof i->host - 1) != 0)
        snprintf(i->host, sizeof i->host, "unknown");
    i->pid = (long)getpid();
    const char *job = getenv("SLURM_JOB_ID"), *rs = getenv("SLURM_RESTART_COUNT");
    snprintf(i->job, sizeof i->job, "%s", job ? job : "");
    i->restart = rs ? atol(rs) : 0;
    /* a pid means something only in its namespace (a container's own) */
    ssize_t n = readlink("/proc/self/ns/pid", i->pidns, sizeof i->pidns - 1);
    i->pidns[n > 0 ? n : 0] = '\0';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(i->since, sizeof i->since, "%Y-%m-%dT%H:%M:%SZ", &tm);
    i->since_t = (double)now;
}

/* me()'s "since" (UTC, %Y-%m-%dT%H:%M:%SZ) in seconds since 1970, or -1. */
static double since_seconds(const char *since)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char z = 0;
    if (sscanf(since, "%d-%d-%dT%d:%d:%d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &z) != 7 ||
        z != 'Z')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

static void format(const store_lock_info *i, char *buf, size_t size)
{
    int n = snprintf(buf, size, "host=%s\npid=%ld\nslurm_job=%s\nslurm_restart=%ld\nsince=%s\n",
                     i->host, i->pid, i->job, i->restart, i->since);
    if (i->pidns[0] && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "pidns=%s\n", i->pidns);
    if (i->studies[0] && n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "studies=%s\n", i->studies);
}

/* Parses a lock's text; 0 when it names a host and a pid. */
static int parse(const char *text, store_lock_info *i)
{
    memset(i, 0, sizeof *i);
    i->pid = -1;
    for (const char *l = text; *l;) {
        size_t n = strcspn(l, "\n");
        char line[STORE_LOCK_STUDIES + 32];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), l);
        char *eq = strchr(line, '=');
        if (eq) {
            *eq++ = '\0';
            if (!strcmp(line, "host"))
                snprintf(i->host, sizeof i->host, "%s", eq);
            else if (!strcmp(line, "pid"))
                i->pid = atol(eq);
            else if (!strcmp(line, "slurm_job"))
                snprintf(i->job, sizeof i->job, "%s", eq);
            else if (!strcmp(line, "slurm_restart"))
                i->restart = atol(eq);
            else if (!strcmp(line, "since"))
                snprintf(i->since, sizeof i->since, "%s", eq);
            else if (!strcmp(line, "pidns"))
                snprintf(i->pidns, sizeof i->pidns, "%s", eq);
            else if (!strcmp(line, "studies"))
                snprintf(i->studies, sizeof i->studies, "%s", eq);
        }
        l += n + (l[n] == '\n');
    }
    i->since_t = since_seconds(i->since);
    return i->host[0] && i->pid > 0 ? 0 : -1;
}

/* This host's boot time (seconds since 1970), or -1. */
static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    double bt = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lf", &bt) == 1)
            break;
    if (f)
        fclose(f);
    return bt;
}

/* Is process pid of this host the holder of a lock written at since_t (-1:
 * unknown), and running? 1 if so; 0 when it is gone, or a zombie: a killed sweep
 * whose parent died too may stay one for good where nothing reaps orphans
 * (a container whose pid 1 does not); -1 when it started after the lock
 * was written: the pid was reused (after a reboot or a container's
 * restart), and the sweep that wrote the lock is over. */
static int running(long pid, double since_t)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1; /* no /proc: trust kill() */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* "pid (comm) S ..." */
    if (!p || p[1] != ' ')
        return 1;
    if (p[2] == 'Z')
        return 0;
    /* its start, field 22 (19 after the state), in clock ticks since boot */
    const char *q = p + 2;
    for (int k = 0; k < 19 && q; k++)
        if ((q = strchr(q, ' ')))
            q++;
    unsigned long long start;
    long hz = sysconf(_SC_CLK_TCK);
    double boot = since_t >= 0 ? boot_time() : -1;
    if (!q || sscanf(q, "%llu", &start) != 1 || hz <= 0 || boot < 0)
        return 1;
    /* the holder started before it wrote the lock; 5 s of slack for the
     * whole seconds of both times */
    return boot + (double)start / (double)hz <= since_t + 5 ? 1 : -1;
}

/* Reads lock file path: -1 when there is none, else 0 with *i filled and
 * judged (alive or not, and why) from this process's point of view; raw
 * gets the text. */
static int read_judge(const char *path, store_lock_info *i, char *raw, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    int stat_ok = fstat(fd, &st) == 0;
    ssize_t n = stat_ok ? read(fd, raw, size - 1) : -1;
    close(fd);
    raw[n > 0 ? n : 0] = '\0';
    store_lock_info self;
    me(&self);
    int parsed = parse(raw, i) == 0;
    i->age = stat_ok ? difftime(time(NULL), st.st_mtime) : 0; /* unknown: taken as fresh */
    i->alive = 1;
    i->why[0] = '\0';
    if (!parsed) {
        if (!i->host[0])
            snprintf(i->host, sizeof i->host, "?");
        if (i->age > STORE_LOCK_STALE) {
            i->alive = 0;
            snprintf(i->why, sizeof i->why, "unreadable and not refreshed for %.0f s", i->age);
        }
    } else if (i->job[0] && !strcmp(i->job, self.job) && i->restart < self.restart) {
        i->alive = 0; /* Slurm requeued the job: its earlier run is over */
        snprintf(i->why, sizeof i->why, "its Slurm job %s was requeued (this is run %ld of it)",
                 i->job, self.restart);
    } else if (!strcmp(i->host, self.host) &&
               (!i->pidns[0] || !self.pidns[0] || !strcmp(i->pidns, self.pidns))) {
        int r = running(i->pid, i->since_t);
        if (r != 1) {
            i->alive = 0;
            snprintf(i->why, sizeof i->why,
                     r ? "its process %ld is gone (the pid now names a process started later)"
                       : "its process %ld is gone",
                     i->pid);
        }
    } else if (i->age > STORE_LOCK_STALE) { /* another host, or pid namespace */
        i->alive = 0;
        snprintf(i->why, sizeof i->why, "not refreshed for %.0f s (more than %d) on another %s",
                 i->age, STORE_LOCK_STALE, strcmp(i->host, self.host) ? "host" : "pid namespace");
    }
    return 0;
}

/* "the sweep of host H, pid P (Slurm job J), since T" */
static void holder(const store_lock_info *i, char *buf, size_t size)
{
    char job[96] = "";
    if (i->job[0])
        snprintf(job, sizeof job, ", Slurm job %s", i->job);
    snprintf(buf, size, "host %s, pid %ld%s, since %s", i->host, i->pid, job,
             i->since[0] ? i->since : "?");
}

int store_lock_read(const char *store_path, store_lock_info *info)
{
    char path[4200], raw[STORE_LOCK_STUDIES + 512];
    lock_path(store_path, path, sizeof path);
    return read_judge(path, info, raw, sizeof raw) == 0;
}

void store_lock_describe(const store_lock_info *i, char *buf, size_t size)
{
    holder(i, buf, size);
}

/* Writes text to a new file path (mode 0644); 0 or -1. */
static int write_new(const char *path, const char *text, int excl)
{
    int fd = open(path, O_WRONLY | O_CREAT | (excl ? O_EXCL : O_TRUNC), 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int bad = write(fd, text, n) != (ssize_t)n;
    bad |= fsync(fd) != 0 && errno != EINVAL;
    bad |= close(fd) != 0;
    if (bad && !excl)
        unlink(path);
    return bad ? -1 : 0;
}

int store_lock_take(const char *store_path, const char *studies, store_lock **out, char *note,
                    size_t note_size, lesde_err *e)
{
    *out = NULL;
    if (note_size)
        note[0] = '\0';
    store_lock *l = calloc(1, sizeof *l);
    if (!l)
        return err_set(e, LESDE_FAIL, "out of memory");
    lock_path(store_path, l->path, sizeof l->path);
    store_lock_info self;
    me(&self);
    if (studies && strlen(studies) < sizeof self.studies)
        snprintf(self.studies, sizeof self.studies, "%s", studies);
    format(&self, l->body, sizeof l->body);
    /* Written complete under a name of its own, then linked to the lock's
     * name: link() fails when the lock exists, atomically on local disks,
     * NFS and Lustre, and nobody ever sees a half-written lock. */
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.%s.%ld", l->path, self.host, self.pid);
    if (write_new(tmp, l->body, 0)) {
        int err = errno;
        free(l);
        /* A directory lesde cannot write in: the store cannot be created
         * there either, and opening it says why; one that opens runs
         * unlocked, with a warning. */
        if (err == ENOENT || err == EACCES || err == EROFS || err == EPERM || err == ENOTDIR) {
            if (note_size)
                snprintf(note, note_size,
                         "running without a lock (cannot write %s: %s): "
                         "nothing stops a second sweep on this store",
                         tmp, strerror(err));
            return LESDE_OK;
        }
        return err_set(e, LESDE_FAIL, "%s: cannot write the lock beside the store: %s", tmp,
                       strerror(err));
    }
    int rc = LESDE_FAIL, tries;
    for (tries = 0; tries < 8; tries++) {
        struct stat st;
        if (link(tmp, l->path) == 0 || (stat(tmp, &st) == 0 && st.st_nlink == 2)) {
            rc = LESDE_OK; /* (an NFS reply lost: the link was made all the same) */
            break;
        }
        int exists = errno == EEXIST;
        if (!exists && (errno == EPERM || errno == ENOTSUP || errno == ENOSYS)) {
            /* a filesystem without hard links: exclusive creation */
            if (write_new(l->path, l->body, 1) == 0) {
                rc = LESDE_OK;
                break;
            }
            exists = errno == EEXIST;
        }
        if (!exists) {
            err_set(e, LESDE_FAIL, "%s: cannot create the lock: %s", l->path, strerror(errno));
            break;
        }
        store_lock_info i;
        char raw[sizeof l->body], who[512];
        if (read_judge(l->path, &i, raw, sizeof raw) != 0)
            continue; /* gone meanwhile: try again */
        holder(&i, who, sizeof who);
        if (i.alive) {
            err_set(e, LESDE_FAIL,
                    "%s: in use by another sweep (%s; lock %s, refreshed %.0f s ago); run "
                    "this again when it has ended (the lock of a sweep that died is taken over)",
                    store_path, who, l->path, i.age);
            break;
        }
        /* Stale. Moved aside, then checked to be the lock judged (another
         * process may have taken it over meanwhile: then it goes back). */
        char aside[4600], again[sizeof l->body];
        snprintf(aside, sizeof aside, "%s.stale.%s.%ld", l->path, self.host, self.pid);
        if (rename(l->path, aside) != 0)
            continue;
        int fd = open(aside, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, again, sizeof again - 1) : -1;
        if (fd >= 0)
            close(fd);
        again[n > 0 ? n : 0] = '\0';
        if (strcmp(again, raw)) {
            /* back in place, unless yet another lock is there now: it wins */
            if (link(aside, l->path) != 0 && errno != EEXIST)
                err_set(e, LESDE_FAIL, "%s: cannot put a lock back: %s", l->path, strerror(errno));
            unlink(aside);
            continue;
        }
        unlink(aside);
        if (note_size)
            snprintf(note, note_size, "took over the lock of a dead sweep (%s): %s", who, i.why);
    }
    unlink(tmp);
    if (tries == 8)
        err_set(e, LESDE_FAIL, "%s: the lock keeps changing; another sweep is starting on it?",
                l->path);
    if (rc) {
        free(l);
        return e ? e->code : LESDE_FAIL;
    }
    l->refreshed = time(NULL);
    *out = l;
    return LESDE_OK;
}

/* Is the lock file still the one we wrote? */
static int ours(const store_lock *l)
{
    char raw[sizeof l->body];
    int fd = open(l->path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, raw, sizeof raw - 1);
    close(fd);
    raw[n > 0 ? n : 0] = '\0';
    return !strcmp(raw, l->body);
}

int store_lock_refresh(store_lock *l)
{
    if (!l)
        return 0;
    time_t now = time(NULL);
    if (difftime(now, l->refreshed) < STORE_LOCK_REFRESH)
        return 0;
    l->refreshed = now;
    if (!ours(l) || utimensat(AT_FDCWD, l->path, NULL, 0) != 0)
        return -1;
    return 0;
}

void store_lock_release(store_lock *l)
{
    if (!l)
        return;
    if (ours(l))
        unlink(l->path);
    free(l);
}

/* NAME-<digits>-<digits>.lock, NAME the store's file name */
static int is_ompio_leftover(const char *entry, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(entry, name, n) != 0 || entry[n] != '-')
        return 0;
    const char *p = entry + n + 1;
    for (int part = 0; part < 2; part++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
        if (part == 0 && *p++ != '-')
            return 0;
    }
    return strcmp(p, ".lock") == 0;
}

typedef int leftover_fn(const char *path, const char *entry, const struct stat *st,
                        const char *name);

/* Removes (or with dry, counts) the regular files of directory dir that
 * gone(path, entry, its lstat, name) names; how many. */
static int remove_where(const char *dir, const char *name, leftover_fn *gone, int dry)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *ent;
    char path[PATH_MAX + 256];
    while ((ent = readdir(d))) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        /* regular first: a FIFO of such a name would block gone's read */
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && gone(path, ent->d_name, &st, name))
            removed += dry || unlink(path) == 0;
    }
    closedir(d);
    return removed;
}

/* OMPIO's holds one offset (MPI_Offset, 8 bytes; 0 if killed before
 * writing it): a user's file of that name is left alone */
static int ompio_gone(const char *path, const char *entry, const struct stat *st, const char *name)
{
    (void)path;
    return is_ompio_leftover(entry, name) && (st->st_size == 0 || st->st_size == 8);
}

static int ompio_leftovers(const char *store_path, int dry)
{
    char dir[PATH_MAX];
    const char *name = split_path(store_path, dir, sizeof dir);
    return remove_where(dir, name, ompio_gone, dry);
}

int store_remove_ompio_leftovers(const char *store_path)
{
    return ompio_leftovers(store_path, 0);
}

/* LOCK.<host>.<pid>, a take's own file before its link (its text names
 * that host and pid), or LOCK.stale.<host>.<pid>, a stale lock moved
 * aside (its text the dead holder's); LOCK the lock's file name */
static int is_lock_leftover(const char *entry, const char *lock, const store_lock_info *i)
{
    size_t n = strlen(lock);
    if (strncmp(entry, lock, n) != 0 || entry[n] != '.')
        return 0;
    const char *mid = entry + n + 1, *dot = strrchr(mid, '.');
    if (!dot || dot == mid || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))
        return 0;
    if (!strncmp(mid, "stale.", 6))
        return dot > mid + 6;
    char own[sizeof i->host + 32];
    snprintf(own, sizeof own, "%s.%ld", i->host, i->pid);
    return !strcmp(mid, own);
}

/* Judged as a lock, dead: a take in progress is alive (its process runs,
 * or on another host its file is fresh) */
static int lock_gone(const char *path, const char *entry, const struct stat *st, const char *name)
{
    (void)st;
    store_lock_info i;
    char raw[STORE_LOCK_STUDIES + 512];
    return !strncmp(entry, name, strlen(name)) && read_judge(path, &i, raw, sizeof raw) == 0 &&
           is_lock_leftover(entry, name, &i) && !i.alive;
}

static int lock_leftovers(const char *store_path, int dry)
{
    char lock[4200], dir[PATH_MAX];
    lock_path(store_path, lock, sizeof lock);
    const char *name = split_path(lock, dir, sizeof dir);
    return remove_where(dir, name, lock_gone, dry);
}

int store_remove_lock_leftovers(const char *store_path)
{
    return lock_leftovers(store_path, 0);
}

int store_count_leftovers(const char *store_path)
{
    return ompio_leftovers(store_path, 1) + lock_leftovers(store_path, 1);
}
