/* lesde sweep: run a spec into a store, on one process or many MPI ranks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "run/run.h"
#include "spec/spec.h"
#include "store/store.h"

#define MAX_SETS 64

static void help(void)
{
    printf("Usage: lesde sweep SPEC [OPTIONS]\n"
           "       mpirun -n N lesde sweep SPEC [OPTIONS]\n"
           "       srun --mpi=pmix lesde sweep SPEC [OPTIONS]\n\n"
           "Runs every task of the sweep spec SPEC (an INI file, see sweep/) into one\n"
           "parallel-HDF5 store. Rank 0 hands the tasks out, longest first, and computes\n"
           "too. Run the same command again to resume: only tasks not done are run.\n\n"
           "SPEC is a file; a name without a '/' that is not a file here (quickstart,\n"
           "fig3.ini, ...) is looked up, with or without .ini, in the directories of\n"
           "$LESDE_SPEC_PATH (colon-separated), then in PREFIX/share/lesde/sweep of an\n"
           "installed lesde (PREFIX/bin/lesde), then in the sweep/ folder of the checkout\n"
           "whose build folder holds the binary (build/lesde).\n\n"
           "Options:\n"
           "  --store FILE        the store (default results/<sweep name>/store.h5)\n"
           "  --set KEY=VALUE     override a spec key: study.NAME.key=value or\n"
           "                      sweep.key=value (repeatable)\n"
           "  --dry-run           print the tasks per study, an estimate of the core-hours,\n"
           "                      the ranks needed for --wall and the store's size; runs\n"
           "                      nothing\n"
           "  --wall HOURS        target wall time for --dry-run (default 1)\n"
           "  --study NAME,...    run (or --dry-run) only these studies' tasks; the others\n"
           "                      are left as they are in the store (pending tasks stay\n"
           "                      pending), and a later sweep without it runs them\n"
           "  --new               delete an existing store (a lesde store only) and\n"
           "                      start over; not with --study\n"
           "  --retry-failed      run failed tasks again on resume\n"
           "  --grace SECONDS     after SIGTERM/SIGINT/SIGUSR1, how long running tasks may\n"
           "                      go on before they are abandoned (default 60)\n"
           "  --mpi-info K=V,...  MPI-IO hints for the store (e.g. romio_cb_write=enable,\n"
           "                      striping_factor=8)\n"
           "  --progress SECONDS  seconds between progress lines when stderr is not a\n"
           "                      terminal (default 5); a line gives this run's rate\n"
           "                      and an ETA weighed by the tasks' estimated costs\n"
           "  --quiet             no progress\n"
           "  -h, --help          this help\n\n"
           "On SIGTERM, SIGINT or SIGUSR1 the sweep stops handing out tasks, lets running\n"
           "tasks finish, closes the store and exits 3; run it again to resume.\n\n"
           "One sweep per store: a sweep holds the lock file STORE.lock (host, pid, Slurm\n"
           "job) for its whole run. A second sweep on the store, --new included, is refused\n"
           "at once with exit 1, naming the holder. A lock left by a sweep that died is\n"
           "taken over, with a line saying so: on the same host when its pid is gone, in a\n"
           "requeued Slurm job, on another host when not refreshed (every %d s) for %d s.\n"
           "A spec whose data files are missing is refused (exit 2) before anything is\n"
           "made.\n\n%s",
           STORE_LOCK_REFRESH, STORE_LOCK_STALE, cli_exit_codes);
}

int cli_dry_run(const spec *s, const unsigned char *only, double wall_hours);

/* --study NAME,...: *only (malloc'ed, s->n_studies flags) = 1 for each
 * named study. LESDE_USAGE naming the spec's studies when a name is not
 * one of them; the caller frees *only in every case. */
static int pick_studies(const spec *s, const char *list, unsigned char **only, lesde_err *e)
{
    if (!(*only = calloc((size_t)s->n_studies, 1)))
        return err_set(e, LESDE_FAIL, "out of memory");
    char buf[4096], names[1024] = "";
    snprintf(buf, sizeof buf, "%s", list);
    size_t len = 0;
    for (int i = 0; i < s->n_studies && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                s->studies[i].name);
    int any = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int i = 0;
        while (i < s->n_studies && strcmp(s->studies[i].name, w))
            i++;
        if (i == s->n_studies)
            return err_set(e, LESDE_USAGE, "sweep: --study: no study '%s' in %s (its studies: %s)",
                           w, s->path, names);
        (*only)[i] = 1;
        any = 1;
    }
    return any ? LESDE_OK
               : err_set(e, LESDE_USAGE, "sweep: --study needs a study name (%s)", names);
}

static int mkdir_p(const char *dir)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", 1, 0, 's'}, {"set", 1, 0, 'S'},      {"dry-run", 0, 0, 'n'},
        {"wall", 1, 0, 'w'},  {"new", 0, 0, 'N'},      {"retry-failed", 0, 0, 'r'},
        {"grace", 1, 0, 'g'}, {"mpi-info", 1, 0, 'm'}, {"progress", 1, 0, 'p'},
        {"quiet", 0, 0, 'q'}, {"study", 1, 0, 't'},    {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    run_opts o = {.grace = 60, .progress_every = 5};
    const char *sets[MAX_SETS], *studies = NULL;
    int n_sets = 0, dry = 0, wall_given = 0;
    double wall = 1;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'h': help(); return 0;
        case 's':
            if (!*optarg)
                return cli_usage("sweep", "--store needs a file name");
            o.store_path = optarg;
            break;
        case 'S':
            if (n_sets == MAX_SETS)
                return cli_usage("sweep", "at most %d --set", MAX_SETS);
            sets[n_sets++] = optarg;
            break;
        case 'n': dry = 1; break;
        case 'w':
            /* a year at most: beyond it the sbatch --time suggested overflowed */
            if (cli_double(optarg, &wall) || wall <= 0 || wall > 8760)
                return cli_usage("sweep", "--wall needs positive hours, at most 8760, not '%s'",
                                 optarg);
            wall_given = 1;
            break;
        case 'N': o.new_store = 1; break;
        case 'r': o.retry_failed = 1; break;
        case 'g':
            if (cli_double(optarg, &o.grace) || o.grace < 0)
                return cli_usage("sweep", "--grace needs seconds >= 0, not '%s'", optarg);
            break;
        case 'm': {
            lesde_err me = {0};
            if (store_check_mpi_info(optarg, &me))
                return cli_usage("sweep", "%s", me.msg);
            o.mpi_info = optarg;
            break;
        }
        case 'p':
            if (cli_double(optarg, &o.progress_every) || o.progress_every <= 0)
                return cli_usage("sweep", "--progress needs seconds > 0, not '%s'", optarg);
            break;
        case 'q': o.quiet = 1; break;
        case 't': studies = optarg; break;
        default: return cli_bad_option("sweep", ch, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("sweep", optind < argc ? "one SPEC only" : "SPEC is required");
    if (wall_given && !dry)
        return cli_usage("sweep", "--wall goes with --dry-run (the wall time it plans ranks for)");
    /* --new removes the whole file: with --study the other studies' done
     * tasks would go too, while --study promises to leave them. */
    if (o.new_store && studies)
        return cli_usage("sweep", "--new deletes the whole store, every study's tasks; with "
                                  "--study give another --store, or drop one of the two");
    const char *path = argv[optind];

    lesde_err e = {0};
    spec s;
    char found[8192];
    path = cli_spec_find(path, found, sizeof found, &e);
    /* A dry run needs no MPI; alone, a bad spec is also said before MPI
     * starts (a singleton's MPI_Init takes ~0.4 s). Under a launcher every
     * rank loads it after, and rank 0 alone says what is wrong. */
    int early = dry || !run_launched();
    if (early && (!path || spec_load(&s, path, sets, n_sets, &e)))
        return cli_fail(&e);
    unsigned char *only = NULL;
    if (early && studies && pick_studies(&s, studies, &only, &e)) {
        free(only);
        spec_free(&s);
        return cli_fail(&e);
    }
    if (dry) { /* no store made; missing data, and a store that the sweep
                * would not resume, are refused as the sweep refuses them */
        char def[4200];
        const char *store = o.store_path;
        if (!store) {
            snprintf(def, sizeof def, "results/%s/store.h5", s.name);
            store = def;
        }
        int bad = run_check_data_files(&s, only, &e);
        if (!bad && access(store, F_OK) == 0)
            bad = o.new_store ? store_check_replaceable(store, "--new", &e)
                              : store_check_spec(store, &s, &e);
        int rc = bad ? cli_fail(&e) : cli_dry_run(&s, only, wall);
        free(only);
        spec_free(&s);
        return rc;
    }
    run_catch_signals();
    int started = run_init(NULL, NULL);
    if (started != LESDE_OK) {
        free(only);
        if (early)
            spec_free(&s);
        return started == LESDE_USAGE ? 2 : (fprintf(stderr, "lesde: MPI could not start\n"), 1);
    }
    int rank = run_rank();
    int rc = early ? LESDE_OK : path ? spec_load(&s, path, sets, n_sets, &e) : e.code;
    int loaded = rc == LESDE_OK;
    if ((rc = run_agree_spec(rc, loaded ? s.hash : NULL, &e)) != LESDE_OK) {
        if (loaded)
            spec_free(&s);
        return run_finalize(e.msg[0] ? cli_fail(&e) : rc);
    }
    /* every rank loaded the same spec: the same answer on each */
    if (!early && studies && (rc = pick_studies(&s, studies, &only, &e))) {
        free(only);
        spec_free(&s);
        return run_finalize(rank == 0 ? cli_fail(&e) : rc);
    }
    o.only = only;
    /* Missing data is refused before anything is made. */
    if ((rc = run_check_data(&s, only, &e)) != LESDE_OK) {
        if (rank == 0)
            cli_fail(&e);
        free(only);
        spec_free(&s);
        return run_finalize(rc);
    }
    char def[4200];
    if (!o.store_path) {
        snprintf(def, sizeof def, "results/%s", s.name);
        if (rank == 0 && mkdir_p(def))
            fprintf(stderr, "lesde: cannot create directory %s\n", def);
        snprintf(def, sizeof def, "results/%s/store.h5", s.name);
        o.store_path = def;
    }
    rc = run_sweep(&s, &o, &e);
    if (rc && rank == 0)
        cli_fail(&e);
    free(only);
    spec_free(&s);
    return run_finalize(rc);
}
