/* lesde status / lesde summarize: look at a store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spec/spec.h"
#include "store/store.h"

static int one_store_arg(const char *cmd, int argc, char **argv, const char *usage,
                         const char **path)
{
    static const struct option opts[] = {{"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        if (ch == 'h') {
            printf("%s\n%s", usage, cli_exit_codes);
            return -1;
        }
        return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage(cmd, "one STORE is required");
    *path = argv[optind];
    return 0;
}

int cmd_status(int argc, char **argv)
{
    const char *path;
    int rc = one_store_arg("status", argc, argv,
                           "Usage: lesde status STORE\n\n"
                           "Prints done / failed / pending tasks per study of a store, and\n"
                           "the message of every failed task. Changes nothing; works while a\n"
                           "sweep is writing the store, and says so (its lock STORE.lock names\n"
                           "the sweep: host, pid, Slurm job, since when).\n",
                           &path);
    if (rc)
        return rc < 0 ? 0 : rc;
    lesde_err e = {0};
    spec s;
    if (store_load_spec(path, &s, &e))
        return cli_fail(&e);
    printf("store %s: sweep '%s', spec hash %s, %ld tasks\n", path, s.name, s.hash, s.n_tasks);
    store_lock_info li;
    if (store_lock_read(path, &li)) {
        char who[512];
        store_lock_describe(&li, who, sizeof who);
        if (li.alive)
            printf("  in progress: a sweep is writing it (%s; lock refreshed %.0f s ago)\n", who,
                   li.age);
        else
            printf("  not running: the lock of a sweep that ended without removing it is left "
                   "(%s: %s); the next sweep takes it over\n",
                   who, li.why);
    }
    if (s.overrides[0]) { /* one per line in the store */
        printf("  with");
        for (const char *o = s.overrides; *o;) {
            size_t n = strcspn(o, "\n");
            printf(" --set %.*s", (int)n, o);
            o += n + (o[n] == '\n');
        }
        printf("\n");
    }
    long tot[3] = {0, 0, 0};
    for (int i = 0; i < s.n_studies && !rc; i++) {
        const spec_study *st = &s.studies[i];
        store_array a;
        if ((rc = store_read_array(path, st->name, "status", &a, &e))) {
            err_prefix(&e, "%s", path);
            break;
        }
        /* A damaged store may hold any shape and value: check, never index
         * or convert blindly. */
        if (a.size != st->n_tasks) {
            rc = err_set(&e, LESDE_FAIL, "%s: study %s has %ld status entries for %ld tasks "
                         "(damaged store?)", path, st->name, a.size, st->n_tasks);
            store_array_free(&a);
            break;
        }
        long n[3] = {0, 0, 0};
        for (long k = 0; k < a.size; k++) {
            double v = a.data[k];
            n[v == STORE_DONE ? 0 : v == STORE_FAILED ? 1 : 2]++;
        }
        printf("  %-20s %-5s %6ld done %6ld failed %6ld pending\n", st->name,
               st->kind == SPEC_TRAIN ? "train" : "sde", n[0], n[1], n[2]);
        for (int k = 0; k < 3; k++)
            tot[k] += n[k];
        if (n[1]) {
            char *msgs = NULL;
            long nm = 0;
            if (!store_read_messages(path, st->name, &msgs, &nm, &e)) {
                for (long k = 0; k < a.size && k < nm; k++)
                    if (a.data[k] == STORE_FAILED) {
                        spec_task t;
                        spec_task_get(&s, st->first_task + k, &t);
                        printf("    failed: task %ld (point %ld, seed %llu): %s\n", t.id,
                               t.point, (unsigned long long)t.seed, msgs + k * STORE_MSG_LEN);
                    }
            }
            free(msgs);
        }
        store_array_free(&a);
    }
    spec_free(&s);
    if (rc)
        return cli_fail(&e);
    printf("total: %ld done, %ld failed, %ld pending\n", tot[0], tot[1], tot[2]);
    return 0;
}

int cmd_summarize(int argc, char **argv)
{
    const char *path;
    int rc = one_store_arg("summarize", argc, argv,
                           "Usage: lesde summarize STORE\n\n"
                           "Recomputes the summaries across seeds (mean, std, 95% t-interval\n"
                           "clipped to a fraction's [0, 1], count, median, 25% and 75%\n"
                           "quantiles, over the done seeds) of every curve and scalar of every\n"
                           "study, into STORE's summary/<stat>/ datasets. lesde sweep and lesde\n"
                           "train do this at their end; refused while a sweep writes STORE.\n",
                           &path);
    if (rc)
        return rc < 0 ? 0 : rc;
    lesde_err e = {0};
    store_lock_info li;
    if (store_lock_read(path, &li) && li.alive) { /* the sweep summarizes at its end */
        char who[512];
        store_lock_describe(&li, who, sizeof who);
        err_set(&e, LESDE_FAIL,
                "%s: a sweep is writing it (%s) and summarizes it when it ends; "
                "run this after",
                path, who);
        return cli_fail(&e);
    }
    if (store_summarize(path, &e))
        return cli_fail(&e);
    printf("summarized %s\n", path);
    return 0;
}
