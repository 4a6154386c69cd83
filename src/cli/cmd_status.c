/* lesde status / lesde summarize: look at a store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/log.h"
#include "spec/spec.h"
#include "store/store.h"

/* The pace of a running sweep is measured over the tasks it finished in
 * the last PACE_WINDOW seconds, or since it took the lock if that is later:
 * recent enough to follow a change of ranks, long enough to average many
 * tasks. */
#define PACE_WINDOW 900.0

/* Is name one of the comma-separated list's? */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *at = list; *at;) {
        size_t k = strcspn(at, ",");
        if (k == n && !strncmp(at, name, n))
            return 1;
        at += k + (at[k] == ',');
    }
    return 0;
}

/* Parses "CMD [--json|--quiet] STORE"; flag: set by --json (status) or
 * --quiet (summarize), the one the command has.
 * Returns -1 after printing the help. */
static int one_store_arg(const char *cmd, int argc, char **argv, const char *usage,
                         const char **path, const char *flag_name, int *flag)
{
    const struct option opts[] = {{"help", 0, 0, 'h'}, {flag_name, 0, 0, 'f'}, {0, 0, 0, 0}};
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        if (ch == 'h') {
            printf("%s\n%s", usage, cli_exit_codes);
            return -1;
        }
        if (ch == 'f') {
            *flag = 1;
            continue;
        }
        return cli_bad_option(cmd, ch, argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage(cmd, "one STORE is required");
    *path = argv[optind];
    return 0;
}

/* Length of the valid UTF-8 sequence at c (1-4), or 0 if it is not one. */
static int utf8_len(const unsigned char *c)
{
    int n = *c < 0x80                 ? 1
            : *c >= 0xc2 && *c < 0xe0 ? 2
            : *c >= 0xe0 && *c < 0xf0 ? 3
            : *c >= 0xf0 && *c < 0xf5 ? 4
                                      : 0;
    for (int i = 1; i < n; i++)
        if ((c[i] & 0xc0) != 0x80)
            return 0;
    /* no overlong forms, no surrogates, nothing above U+10FFFF */
    if ((c[0] == 0xe0 && c[1] < 0xa0) || (c[0] == 0xed && c[1] >= 0xa0) ||
        (c[0] == 0xf0 && c[1] < 0x90) || (c[0] == 0xf4 && c[1] >= 0x90))
        return 0;
    return n;
}

/* s as a JSON string: quoted, with \\, \" and control characters escaped,
 * and bytes that are not UTF-8 (a message cut inside a character, a file
 * name in another encoding) as U+FFFD, so that the output always parses. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        int n = utf8_len(c);
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else if (n)
            fwrite(c, 1, (size_t)n, f);
        else
            fputs("\\ufffd", f);
        c += n ? n : 1;
    }
    fputc('"', f);
}

int cmd_status(int argc, char **argv)
{
    const char *path;
    int json = 0;
    int rc =
        one_store_arg("status", argc, argv,
                      "Usage: lesde status STORE [--json]\n\n"
                      "Prints done / failed / pending tasks per study of a store, and\n"
                      "the message of every failed task. Changes nothing; works while a\n"
                      "sweep is writing the store, and says so (its lock STORE.lock names\n"
                      "the sweep: host, pid, Slurm job, since when), with its pace: the\n"
                      "tasks it finished in the last 15 minutes (or since it started, if\n"
                      "later) and, at that pace, the time the pending ones need (tasks\n"
                      "weighed by their estimated costs, as the sweep hands them out\n"
                      "longest first). A sweep run with --study counts only its studies'\n"
                      "pending tasks in that time, and the status names them. With no\n"
                      "sweep running, it counts the files a killed sweep left beside the\n"
                      "store, which the next sweep removes.\n\n"
                      "Options:\n"
                      "  --json        the same as one JSON object, for scripts: store, sweep,\n"
                      "                spec_hash, tasks, in_progress, lock (the holder, or\n"
                      "                null; then lock_age_s, seconds since its refresh,\n"
                      "                and running_studies, the studies of a running\n"
                      "                sweep's --study, or null: all),\n"
                      "                overrides, studies (name, kind, tasks, done,\n"
                      "                failed, pending, failures: task (in the study,\n"
                      "                as lesde fit --task takes it), sweep_task,\n"
                      "                point, seed, message), done, failed, pending,\n"
                      "                complete, pace_per_min and eta_s (null unless a\n"
                      "                sweep runs and has finished a task in the window)\n"
                      "  -h, --help    this help\n",
                      &path, "json", &json);
    if (rc)
        return rc < 0 ? 0 : rc;
    lesde_err e = {0};
    spec s;
    if (store_load_spec(path, &s, &e))
        return cli_fail(&e);
    /* JSON goes out whole or not at all: a script never parses half an object. */
    char *jbuf = NULL;
    size_t jlen = 0;
    FILE *out = json ? open_memstream(&jbuf, &jlen) : stdout;
    if (!out) {
        spec_free(&s);
        return fprintf(stderr, "lesde: out of memory\n"), 1;
    }
    if (json) {
        fprintf(out, "{\n  \"store\": ");
        json_str(out, path);
        fprintf(out, ",\n  \"sweep\": ");
        json_str(out, s.name);
        fprintf(out, ",\n  \"spec_hash\": \"%s\",\n  \"tasks\": %ld,\n", s.hash, s.n_tasks);
    } else {
        fprintf(out, "store %s: sweep '%s', spec hash %s, %ld tasks\n", path, s.name, s.hash,
                s.n_tasks);
    }
    store_lock_info li;
    int locked = store_lock_read(path, &li);
    char who[512] = "";
    if (locked)
        store_lock_describe(&li, who, sizeof who);
    /* a running sweep of some studies only (--study): the others wait; a
     * --study that lists every study limits nothing */
    int limited = 0;
    for (int i = 0; locked && li.alive && li.studies[0] && i < s.n_studies; i++)
        limited |= !listed(li.studies, s.studies[i].name);
    if (json) {
        fprintf(out, "  \"in_progress\": %s,\n  \"lock\": ", locked && li.alive ? "true" : "false");
        if (locked) {
            json_str(out, who);
            fprintf(out, ",\n  \"lock_age_s\": %.0f,\n  \"running_studies\": ", li.age);
            if (limited) {
                fputc('[', out);
                for (int i = 0, k = 0; i < s.n_studies; i++)
                    if (listed(li.studies, s.studies[i].name)) {
                        fprintf(out, "%s", k++ ? ", " : "");
                        json_str(out, s.studies[i].name);
                    }
                fputc(']', out);
            } else {
                fprintf(out, "null");
            }
        } else {
            fprintf(out, "null");
        }
        fprintf(out, ",\n  \"overrides\": [");
    } else if (locked && li.alive) {
        fprintf(out, "  in progress: a sweep is writing it (%s; lock refreshed %.0f s ago)\n", who,
                li.age);
        if (limited)
            fprintf(out, "  it runs only studies %s (--study); the others' tasks wait\n",
                    li.studies);
    } else if (locked) {
        fprintf(out,
                "  not running: the lock of a sweep that ended without removing it is left "
                "(%s: %s); the next sweep takes it over\n",
                who, li.why);
    }
    int left = !json && !(locked && li.alive) ? store_count_leftovers(path) : 0;
    if (left)
        fprintf(
            out,
            "  beside the store: %d file%s a killed sweep left (Open MPI's %s-<job>-<pid>.lock, "
            "lesde's %s.lock.<host>.<pid>); the next sweep removes them\n",
            left, left > 1 ? "s" : "", path, path);
    if (s.overrides[0]) { /* one per line in the store */
        if (!json)
            fprintf(out, "  with");
        int k = 0, n;
        for (const char *at = s.overrides, *o; (o = spec_next_override(&at, &n));) {
            char one[600];
            if (json) {
                snprintf(one, sizeof one, "%.*s", n, o);
                fprintf(out, "%s", k++ ? ", " : "");
                json_str(out, one);
            } else { /* as a shell takes it back */
                spec_override_arg(o, n, one, sizeof one);
                fprintf(out, " %s", one);
            }
        }
        if (!json)
            fprintf(out, "\n");
    }
    if (json)
        fprintf(out, "],\n  \"studies\": [");
    long tot[3] = {0, 0, 0};
    /* A running sweep's pace: its done tasks with finished_at >= from. */
    double now = (double)time(NULL), from = -1;
    long recent = 0, pending_run = 0;         /* pending_run: of the studies the sweep runs */
    double cost_recent = 0, cost_pending = 0; /* spec_task's estimates */
    if (locked && li.alive && (from = li.since_t) >= 0 && from < now - PACE_WINDOW)
        from = now - PACE_WINDOW;
    for (int i = 0; i < s.n_studies && !rc; i++) {
        const spec_study *st = &s.studies[i];
        const char *kind = st->kind == SPEC_TRAIN ? "train" : "sde";
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
        if (json) {
            fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
            json_str(out, st->name);
            fprintf(out,
                    ", \"kind\": \"%s\", \"tasks\": %ld, \"done\": %ld, \"failed\": %ld, "
                    "\"pending\": %ld, \"failures\": [",
                    kind, st->n_tasks, n[0], n[1], n[2]);
        } else {
            fprintf(out, "  %-20s %-5s %6ld done %6ld failed %6ld pending\n", st->name, kind, n[0],
                    n[1], n[2]);
        }
        for (int k = 0; k < 3; k++)
            tot[k] += n[k];
        int runs = !limited || listed(li.studies, st->name);
        pending_run += runs ? n[2] : 0;
        store_array fin;
        if (from >= 0 && !store_read_array(path, st->name, "finished_at", &fin, &e)) {
            /* tasks are handed out longest first: weigh them by their
             * estimated cost, or the pending short ones look long */
            spec_task t = {.cost = 0};
            for (long k = 0; k < a.size && k < fin.size; k++) {
                if (k % st->n_seeds == 0) /* the cost is the grid point's */
                    spec_task_get(&s, st->first_task + k, &t);
                int in = a.data[k] == STORE_DONE && fin.data[k] >= from;
                recent += in;
                cost_recent += in ? t.cost : 0;
                cost_pending +=
                    runs && a.data[k] != STORE_DONE && a.data[k] != STORE_FAILED ? t.cost : 0;
            }
            store_array_free(&fin);
        } else if (from >= 0) {
            err_clear(&e); /* no pace is no error: the counts stand */
        }
        if (n[1]) {
            char *msgs = NULL;
            long nm = 0, shown = 0;
            if (!store_read_messages(path, st->name, &msgs, &nm, &e)) {
                for (long k = 0; k < a.size && k < nm; k++)
                    if (a.data[k] == STORE_FAILED) {
                        spec_task t;
                        spec_task_get(&s, st->first_task + k, &t);
                        const char *msg = msgs + k * STORE_MSG_LEN;
                        /* task k of the study, as lesde fit --task takes it */
                        if (!json) { /* the label names the grid values, not just an index */
                            char label[512];
                            spec_task_label(&s, &t, label, sizeof label);
                            fprintf(out, "    failed: task %ld (%s): %s\n", k, label, msg);
                            continue;
                        }
                        fprintf(out,
                                "%s\n      {\"task\": %ld, \"sweep_task\": %ld, \"point\": %ld, "
                                "\"seed\": %llu, \"message\": ",
                                shown++ ? "," : "", k, t.id, t.point, (unsigned long long)t.seed);
                        json_str(out, msg);
                        fprintf(out, "}");
                    }
            }
            free(msgs);
            if (json && shown)
                fprintf(out, "\n    ");
        }
        if (json)
            fprintf(out, "]}");
        store_array_free(&a);
    }
    spec_free(&s);
    /* tasks a minute, and the time the pending ones need at that pace; the
     * clock has whole seconds: a task done in the lock's first one counts
     * over 1 s */
    double span = now - from < 1 ? 1 : now - from;
    double pace = from >= 0 && recent > 0 ? recent / span * 60 : 0;
    double eta = pace > 0 && cost_recent > 0 ? cost_pending / (cost_recent / span) : -1;
    if (json) {
        fprintf(out,
                "\n  ],\n  \"done\": %ld,\n  \"failed\": %ld,\n  \"pending\": %ld,\n"
                "  \"complete\": %s,\n",
                tot[0], tot[1], tot[2], tot[1] + tot[2] == 0 ? "true" : "false");
        if (pace > 0)
            fprintf(out, "  \"pace_per_min\": %.4g,\n  \"eta_s\": %.0f\n}\n", pace, eta);
        else
            fprintf(out, "  \"pace_per_min\": null,\n  \"eta_s\": null\n}\n");
        fclose(out);
        if (!rc)
            fwrite(jbuf, 1, jlen, stdout);
        free(jbuf);
    }
    if (rc)
        return cli_fail(&e);
    if (json)
        return 0;
    printf("total: %ld done, %ld failed, %ld pending\n", tot[0], tot[1], tot[2]);
    if (from >= 0) {
        char over[32], left[32];
        log_duration(over, sizeof over, span);
        log_duration(left, sizeof left, eta);
        if (pace > 0)
            printf("pace: %ld tasks done in the last %s (%.3g/min); the %ld pending%s need ~%s at "
                   "this pace (weighed by the tasks' estimated costs)\n",
                   recent, over, pace, pending_run, limited ? " of the studies it runs" : "", left);
        else
            printf("pace: no task done in the last %s yet\n", over);
    }
    return 0;
}

int cmd_summarize(int argc, char **argv)
{
    const char *path;
    int quiet = 0;
    int rc = one_store_arg("summarize", argc, argv,
                           "Usage: lesde summarize STORE [--quiet]\n\n"
                           "Recomputes the summaries across seeds (mean, std, 95% t-interval\n"
                           "clipped to a fraction's [0, 1] or, for a 0/1 field such as sep_all\n"
                           "(flag_values 0 1), Wilson's score interval, count, median, 25% and\n"
                           "75% quantiles, over the done seeds) of every curve and scalar of\n"
                           "every study, into STORE's summary/<stat>/ datasets. lesde sweep and\n"
                           "lesde train do this at their end; refused while a sweep writes STORE.\n\n"
                           "Options:\n"
                           "  --quiet       print nothing but errors\n"
                           "  -h, --help    this help\n",
                           &path, "quiet", &quiet);
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
    if (!quiet)
        printf("summarized %s\n", path);
    return 0;
}
