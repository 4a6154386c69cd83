/* report: loads a store (spec, provenance, per-point statistics) and writes
 * the figures, tables and index page. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "report/internal.h"

/* In report_only's order: the figures, then the tables that are no figure. */
static const char *const only_names[REPORT_ONLY_N] = {
    "fig2",    "fig3",        "tailorder", "fig4",       "fig5",      "fig5k",       "imit",
    "imitk",   "gamma",       "sept",      "kabl",       "finite",    "collapse",    "lengths",
    "plateau", "plateausize", "summary",   "pstar",      "imitation", "imitation_k", "models",
    "tails",   "seeds",       "seedavg",   "summary_sde"};

const char *report_only_name(report_only k)
{
    return (unsigned)k < REPORT_ONLY_N ? only_names[k] : "?";
}

int report_opts_wants(const report_opts *o, report_only k)
{
    return !o->only || (o->only >> k & 1);
}

/* The tables, as --help lists them (collapse, plateau and plateausize are
 * figures too). */
static const report_only only_tables[] = {
    REPORT_ONLY_SUMMARY,  REPORT_ONLY_PSTAR,   REPORT_ONLY_IMITATION,   REPORT_ONLY_IMITATION_K,
    REPORT_ONLY_MODELS,   REPORT_ONLY_TAILS,   REPORT_ONLY_SEEDS,       REPORT_ONLY_SEEDAVG,
    REPORT_ONLY_COLLAPSE, REPORT_ONLY_PLATEAU, REPORT_ONLY_PLATEAUSIZE, REPORT_ONLY_SUMMARY_SDE};

/* "a, b, ..." of the names of ks[0..n) (NULL: of 0..n-1) into out. */
static void name_list(char *out, size_t size, const report_only *ks, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "",
                                only_names[ks ? (int)ks[i] : i]);
}

int report_opts_only(report_opts *o, const char *list, char *msg, size_t len)
{
    for (const char *s = list;; s++) {
        size_t n = strcspn(s, ",");
        int k = 0;
        while (k < REPORT_ONLY_N && !(strlen(only_names[k]) == n && !strncmp(s, only_names[k], n)))
            k++;
        if (k == REPORT_ONLY_N) {
            char figs[256], tabs[256]; /* the figures come first in report_only */
            name_list(figs, sizeof figs, NULL, REPORT_ONLY_SUMMARY);
            name_list(tabs, sizeof tabs, only_tables,
                      (int)(sizeof only_tables / sizeof only_tables[0]));
            if (n)
                snprintf(msg, len, "no figure or table '%.*s' (figures: %s; tables: %s)", (int)n, s,
                         figs, tabs);
            else
                snprintf(msg, len, "an empty name in '%s' (figures: %s; tables: %s)", list, figs,
                         tabs);
            return LESDE_USAGE;
        }
        o->only |= 1UL << k;
        s += n;
        if (!*s)
            return LESDE_OK;
    }
}

int report_read(report_ctx *c, const report_study *rs, const char *name, store_array *a)
{
    if (store_read_array(c->o->store, rs->st->name, name, a, c->e))
        return err_prefix(c->e, "%s", c->o->store);
    return LESDE_OK;
}

int report_read_val_t(report_ctx *c, const report_study *rs, store_array *t)
{
    /* stores of layout 1 recorded validation at every checkpoint (t) */
    int own = store_has(c->o->store, rs->st->name, "val_t");
    return report_read(c, rs, own ? "val_t" : "t", t);
}

int report_read_stats(report_ctx *c, const report_study *rs, const char *name, store_array *a)
{
    static const char *const stat[3] = {"mean", "ci_lo", "ci_hi"};
    char path[160];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "summary/%s/%s", stat[k], name);
        if (report_read(c, rs, path, &a[k])) {
            for (int j = 0; j < k; j++)
                store_array_free(&a[j]);
            return c->e->code;
        }
    }
    return LESDE_OK;
}

void report_free_stats(store_array *a)
{
    for (int k = 0; k < 3; k++)
        store_array_free(&a[k]);
}

int report_summarized(const report_study *rs, long p)
{
    return rs->pt[p].n_done > 0 && rs->n_sum[p] > 0;
}

int report_task_done(const report_study *rs, long p, int s)
{
    return (int)rs->status[p * rs->S + s] == STORE_DONE;
}

typedef struct {
    double v;
    int i;
} axis_entry;

static int by_value(const void *a, const void *b)
{
    const axis_entry *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : x->i - y->i;
}

int *report_axis_order(const spec_axis *ax)
{
    axis_entry *e = malloc(sizeof *e * (size_t)(ax->n > 0 ? ax->n : 1));
    int *order = malloc(sizeof *order * (size_t)(ax->n > 0 ? ax->n : 1));
    if (!e || !order) {
        free(e);
        free(order);
        return NULL;
    }
    for (int i = 0; i < ax->n; i++)
        e[i] = (axis_entry){ax->values[i], i};
    qsort(e, (size_t)ax->n, sizeof *e, by_value);
    for (int i = 0; i < ax->n; i++)
        order[i] = e[i].i;
    free(e);
    return order;
}

int report_first_done(const report_study *rs, long p)
{
    for (int q = 0; q < rs->S; q++)
        if (report_task_done(rs, p, q))
            return q;
    return -1;
}

const double *report_point_t(const report_study *rs, const store_array *t, long p, long *nt)
{
    int q = report_first_done(rs, p);
    *nt = 0;
    if (q < 0 || t->ndim < 1)
        return NULL;
    long C = t->dims[t->ndim - 1];
    const double *v = t->data + (p * rs->S + q) * C;
    while (*nt < C && v[*nt] >= 0)
        (*nt)++;
    return v;
}

const char *report_axis_label(const report_study *rs, long p, const char *key)
{
    int a = spec_axis_find(rs->st, key);
    if (a < 0)
        return NULL;
    return rs->st->axes[a].labels[spec_point_coord(rs->st, p, a)];
}

void report_file_base(char *out, size_t size, const char *kind, const char *study,
                      const char *slice)
{
    size_t n = (size_t)snprintf(out, size, "%s-%s", kind, study);
    if (n >= size || !slice || !slice[0])
        return;
    /* "key=a, key=b" -> "-key_a-key_b": safe in any file system and shell. */
    out[n++] = '-';
    for (const char *s = slice; *s && n + 1 < size; s++) {
        char ch = *s;
        if (ch == ' ')
            continue;
        if (ch == ',')
            ch = '-';
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'))
            ch = '_';
        out[n++] = ch;
    }
    out[n < size ? n : size - 1] = '\0';
}

static int is_free(const char *key, const char *const *free_keys)
{
    for (int i = 0; free_keys && free_keys[i]; i++)
        if (!strcmp(key, free_keys[i]))
            return 1;
    return 0;
}

int report_slices(const report_study *rs, const char *const *free_keys, int *slice,
                  char (*name)[256])
{
    const spec_study *st = rs->st;
    long *first = malloc(sizeof(long) * (size_t)(rs->P ? rs->P : 1));
    if (!first)
        return -1;
    int n = 0;
    for (long p = 0; p < rs->P; p++) {
        int k;
        for (k = 0; k < n; k++) {
            int same = 1;
            for (int a = 0; a < st->n_axes && same; a++)
                if (!is_free(st->axes[a].key, free_keys) &&
                    spec_point_coord(st, p, a) != spec_point_coord(st, first[k], a))
                    same = 0;
            if (same)
                break;
        }
        if (k == n) {
            first[n] = p;
            size_t len = 0;
            name[n][0] = '\0';
            for (int a = 0; a < st->n_axes; a++)
                if (!is_free(st->axes[a].key, free_keys) && len < 255)
                    len += (size_t)snprintf(name[n] + len, 256 - len, "%s%s=%s", len ? ", " : "",
                                            st->axes[a].key,
                                            st->axes[a].labels[spec_point_coord(st, p, a)]);
            n++;
        }
        slice[p] = k;
    }
    free(first);
    return n;
}

void *report_grow(report_ctx *c, void *a, int n, int *cap, size_t size)
{
    if (n < *cap)
        return a;
    int nc = *cap ? 2 * *cap : 32;
    void *na = realloc(a, size * (size_t)nc);
    if (!na) {
        err_set(c->e, LESDE_FAIL, "out of memory");
        return NULL;
    }
    *cap = nc;
    return na;
}

const char *report_ref_window(const report_study *rs)
{
    static char buf[160];
    double v;
    const char *w;
    if (spec_scalar(rs->st, "ref_every", &v, &w))
        return "averaged over the records of ref_every, which varies in this study";
    if (v == 0)
        return "averaged over the checkpoints in that window (ref_every = 0: one, t = T, at "
               "fig3.ini's 501 log-spaced checkpoints to 1e5)";
    if (v == 1)
        return "averaged over every iteration of that window, as the reference code does "
               "(ref_every = 1)";
    snprintf(buf, sizeof buf, "averaged over every %.0f-th iteration of that window (ref_every)",
             v);
    return buf;
}

int report_add_fig(report_ctx *c, const char *base, const char *kind, const char *title,
                   const char *study, const char *slice, const char *caption, ...)
{
    report_fig *nf = report_grow(c, c->figs, c->n_figs, &c->cap_figs, sizeof *nf);
    if (!nf)
        return c->e->code;
    c->figs = nf;
    report_fig *f = &c->figs[c->n_figs++];
    snprintf(f->png, sizeof f->png, "%s.png", base);
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    snprintf(f->title, sizeof f->title, "%s (%s%s%s)", title, study, slice[0] ? ", " : "", slice);
    va_list ap;
    va_start(ap, caption);
    vsnprintf(f->caption, sizeof f->caption, caption, ap);
    va_end(ap);
    return LESDE_OK;
}

int report_skip(report_ctx *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **ns = realloc(c->skipped, sizeof *ns * (size_t)(c->n_skipped + 1));
    if (!ns || !(ns[c->n_skipped] = strdup(line))) {
        if (ns)
            c->skipped = ns;
        return err_set(c->e, LESDE_FAIL, "out of memory");
    }
    c->skipped = ns;
    c->n_skipped++;
    if (c->o->log)
        fprintf(c->o->log, "%s\n", line);
    return LESDE_OK;
}

int report_wants(const report_ctx *c, report_only k)
{
    return report_opts_wants(c->o, k);
}

int report_tolerate(report_ctx *c, const char *what, int rc)
{
    if (rc != LESDE_FAIL || !c->older)
        return rc;
    return report_skip(c, "skipped %s: %s (a store of an older lesde)", what, c->e->msg);
}

/* ---- loading ---- */

/* Reads summary/<stat>/<name> when the store has it (else leaves a empty). */
static int read_opt(report_ctx *c, const report_study *rs, const char *name, store_array *a)
{
    memset(a, 0, sizeof *a);
    if (!store_has(c->o->store, rs->st->name, name))
        return LESDE_OK;
    return report_read(c, rs, name, a);
}

static double at(const store_array *a, long i)
{
    return a->data && i >= 0 && i < a->size ? a->data[i] : NAN;
}

long report_task_size(const report_study *rs, const store_array *a)
{
    long n = rs->P * rs->S;
    return a->data && n > 0 ? a->size / n : 0;
}

/* RD at checkpoint c of one task's block rd [C][Kmax]: of class cls, or
 * the mean over the K classes (cls < 0) */
static double block_rd(const double *rd, long c, long Kmax, int K, int cls)
{
    if (cls >= 0)
        return rd[c * Kmax + cls];
    double m = 0;
    for (int k = 0; k < K; k++)
        m += rd[c * Kmax + k] / K;
    return m;
}

double report_task_rd(const report_study *rs, const store_array *rd, long p, int s, int sim, long c,
                      int cls)
{
    long n = report_task_size(rs, rd), Kmax = rd->dims[rd->ndim - 1], C = rd->dims[rd->ndim - 2];
    return block_rd(rd->data + (p * rs->S + s) * n + (sim >= 0 ? sim * C * Kmax : 0), c, Kmax,
                    rs->pt[p].K, cls);
}

double *report_seed_buf(const report_study *rs)
{
    double *v = malloc(sizeof *v * (size_t)(rs->S > 0 ? rs->S : 1));
    if (!v)
        log_warn("out of memory for %d seeds' values: their quantiles are left NaN", rs->S);
    return v;
}

void report_final_rd_q(const report_study *rs, const store_array *rd, long p, int sim, long c_last,
                       int cls, double *q, double *v)
{
    double *w = report_seed_buf(rs);
    int m = 0;
    for (int s = 0; s < rs->S; s++) {
        double x = NAN;
        if (report_task_done(rs, p, s)) {
            x = report_task_rd(rs, rd, p, s, sim, c_last, cls);
            if (w)
                w[m++] = x;
        }
        if (v)
            v[s] = x;
    }
    if (q)
        report_quantiles(w ? w : &(double){0}, m, q); /* out of memory: m = 0, NaN */
    free(w);
}

void report_seed_quantiles(const report_study *rs, const store_array *a, long p, long i,
                           double *q)
{
    long n = report_task_size(rs, a);
    double *v = report_seed_buf(rs);
    int m = 0;
    for (int s = 0; v && n > 0 && i < n && s < rs->S; s++)
        if (report_task_done(rs, p, s))
            v[m++] = a->data[(p * rs->S + s) * n + i];
    report_quantiles(v ? v : &(double){0}, m, q); /* out of memory: m = 0, NaN */
    free(v);
}

/* Fills the per-point statistics of a train study. */
static int load_train(report_ctx *c, report_study *rs)
{
    static const char *const stat[4] = {"mean", "ci_lo", "ci_hi", "n"};
    store_array acc[3], loss[3], sep[3], sepall[4], tail;
    store_array *all[14] = {&acc[0],    &acc[1],    &acc[2],    &loss[0], &loss[1],
                            &loss[2],   &sep[0],    &sep[1],    &sep[2],  &sepall[0],
                            &sepall[1], &sepall[2], &sepall[3], &tail};
    for (int i = 0; i < 14; i++)
        memset(all[i], 0, sizeof *all[i]);
    int rc = LESDE_OK;
    char name[128];
    for (int k = 0; k < 3 && !rc; k++) {
        snprintf(name, sizeof name, "summary/%s/final_val_acc", stat[k]);
        rc = read_opt(c, rs, name, &acc[k]);
        snprintf(name, sizeof name, "summary/%s/final_val_loss", stat[k]);
        rc = rc ? rc : read_opt(c, rs, name, &loss[k]);
        snprintf(name, sizeof name, "summary/%s/fit/snap_sep_frac_clean", stat[k]);
        rc = rc ? rc : read_opt(c, rs, name, &sep[k]);
    }
    for (int k = 0; k < 4 && !rc; k++) { /* a 0/1 field: Wilson's interval */
        snprintf(name, sizeof name, "summary/%s/fit/snap_sep_all_clean", stat[k]);
        rc = read_opt(c, rs, name, &sepall[k]);
    }
    if (!rc)
        rc = read_opt(c, rs, "fit/tail", &tail);
    long nsnap = sep[0].data ? sep[0].dims[sep[0].ndim - 1] : 0;
    for (long p = 0; p < rs->P && !rc; p++) {
        report_point *pt = &rs->pt[p];
        for (int k = 0; k < 3; k++) {
            pt->acc[k] = at(&acc[k], p);
            pt->loss[k] = at(&loss[k], p);
        }
        /* The last snapshot this point has (padding is NaN). */
        long s = sep[0].data ? report_last_finite(sep[0].data + p * nsnap, nsnap) : -1;
        for (int k = 0; k < 3; k++)
            pt->sep[k] = s >= 0 ? at(&sep[k], p * nsnap + s) : NAN;
        for (int k = 0; k < 4; k++)
            pt->sepall[k] =
                s >= 0 && sepall[k].size == sep[0].size ? at(&sepall[k], p * nsnap + s) : NAN;
        for (int m = 0; m < 2; m++)
            for (int q = 0; q < 3; q++)
                report_seed_quantiles(rs, &tail, p, m * 3 + q, pt->tail[m][q]);
    }
    for (int i = 0; i < 14; i++)
        store_array_free(all[i]);
    return rc;
}

static int load_study(report_ctx *c, report_study *rs, const spec_study *st)
{
    rs->st = st;
    rs->P = st->n_points;
    rs->S = st->n_seeds;
    store_array a;
    if (report_read(c, rs, "status", &a))
        return c->e->code;
    if (a.size != rs->P * rs->S) {
        store_array_free(&a);
        return err_set(c->e, LESDE_FAIL, "%s: study %s: status has %ld entries, the spec %ld",
                       c->o->store, st->name, a.size, rs->P * rs->S);
    }
    rs->status = a.data;
    rs->pt = calloc((size_t)rs->P, sizeof *rs->pt);
    rs->label = calloc((size_t)rs->P, sizeof *rs->label);
    if (!rs->pt || !rs->label)
        return err_set(c->e, LESDE_FAIL, "out of memory");
    for (long p = 0; p < rs->P; p++) {
        char buf[1024];
        size_t len = 0;
        buf[0] = '\0';
        for (int ax = 0; ax < st->n_axes && len < sizeof buf; ax++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%s", len ? ", " : "",
                                    st->axes[ax].key,
                                    st->axes[ax].labels[spec_point_coord(st, p, ax)]);
        if (!(rs->label[p] = strdup(buf)))
            return err_set(c->e, LESDE_FAIL, "out of memory");
        report_point *pt = &rs->pt[p];
        pt->n_seeds = rs->S;
        for (int q = 0; q < rs->S; q++)
            pt->n_done += (int)rs->status[p * rs->S + q] == STORE_DONE;
        rs->n_done += pt->n_done;
        if (st->kind != SPEC_TRAIN)
            continue;
        spec_task t;
        train_config tc;
        if (spec_task_get(&c->s, st->first_task + p * st->n_seeds, &t) ||
            spec_task_train(&c->s, &t, &tc))
            return err_set(c->e, LESDE_FAIL, "%s: study %s: cannot expand point %ld", c->o->store,
                           st->name, p);
        pt->K = tc.k;
        pt->p_err = tc.p_err;
        pt->rho = report_rho(tc.p_err, tc.k);
    }
    /* Summaries are written at the end of a sweep: a killed sweep has done
     * tasks but none. The figures need them; say what to do. */
    rs->n_sum = calloc((size_t)(rs->P ? rs->P : 1), sizeof *rs->n_sum);
    if (!rs->n_sum)
        return err_set(c->e, LESDE_FAIL, "out of memory");
    const char *nname = st->kind == SPEC_TRAIN ? "summary/n/final_val_acc" : "summary/n/sep_all";
    if (store_has(c->o->store, st->name, nname)) {
        if (report_read(c, rs, nname, &a))
            return c->e->code;
        int any = 0;
        long stale = 0, first = -1;
        /* [P] for train studies, [P][O] for SDE ones (every observation
         * counts the same seeds: sep_all is never NaN) */
        long stride = a.ndim > 0 && a.dims[0] == rs->P && rs->P ? a.size / rs->P : 1;
        for (long p = 0; p < rs->P && p * stride < a.size; p++) {
            double n = a.data[p * stride];
            rs->n_sum[p] = isfinite(n) ? n : 0;
            any |= rs->n_sum[p] > 0;
            /* A stop summarizes the tasks done so far; a resume killed
             * before its own summaries leaves them behind the status. */
            if (rs->n_sum[p] != rs->pt[p].n_done && !stale++)
                first = p;
        }
        store_array_free(&a);
        /* no summaries at all, or some older than the tasks: said unless a
         * sweep is writing it (summaries come at its end) */
        int none = rs->n_done && !any, old = any && stale;
        store_lock_info li;
        if (none || old)
            rs->sweep_live = store_lock_read(c->o->store, &li) == 1 && li.alive;
        if ((none || old) && !rs->sweep_live) {
            if (none)
                fprintf(stderr,
                        "lesde: warning: study %s has done tasks but no summaries across seeds "
                        "(was the sweep killed?); run 'lesde summarize %s' first\n",
                        st->name, c->o->store);
            else
                fprintf(stderr,
                        "lesde: warning: study %s: the summaries across seeds are older than the "
                        "tasks at %ld grid point%s (%s%s%g of %d done seeds; was a resumed sweep "
                        "killed?); the tables and %s show the summaries: run 'lesde summarize "
                        "%s' first\n",
                        st->name, stale, stale > 1 ? "s" : "", rs->label[first],
                        rs->label[first][0] ? ": " : "", rs->n_sum[first], rs->pt[first].n_done,
                        st->kind == SPEC_TRAIN ? "fig2" : "figures", c->o->store);
        }
    }
    if (st->kind != SPEC_TRAIN)
        return LESDE_OK;
    rs->fit = store_has(c->o->store, st->name, "fit/A");
    return load_train(c, rs);
}

/* Creates dir (and its parents) and checks that files can be written in it. */
static int prepare_dir(const char *dir, lesde_err *e)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p || !p[0])
        return err_set(e, LESDE_USAGE, "bad output directory '%s'", dir);
    for (char *s = p + 1;; s++) {
        char ch = *s;
        if (ch == '/' || ch == '\0') {
            *s = '\0';
            if (mkdir(p, 0777) && errno != EEXIST)
                return err_set(e, LESDE_FAIL, "%s: cannot create directory: %s", p,
                               strerror(errno));
            *s = ch;
        }
        if (!ch)
            break;
    }
    struct stat sb;
    if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
        return err_set(e, LESDE_FAIL, "%s: not a directory", dir);
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.lesde-report-probe", dir);
    FILE *f = fopen(probe, "w");
    if (!f)
        return err_set(e, LESDE_FAIL, "%s: directory not writable: %s", dir, strerror(errno));
    int bad = fputs("probe\n", f) < 0;
    bad |= fclose(f) != 0;
    remove(probe);
    if (bad)
        return err_set(e, LESDE_FAIL, "%s: cannot write in the directory (disk full?)", dir);
    return LESDE_OK;
}

static void ctx_free(report_ctx *c)
{
    for (int i = 0; c->rs && i < c->s.n_studies; i++) {
        report_study *rs = &c->rs[i];
        free(rs->status);
        free(rs->n_sum);
        free(rs->pt);
        for (long p = 0; rs->label && p < rs->P; p++)
            free(rs->label[p]);
        free(rs->label);
    }
    free(c->rs);
    free(c->figs);
    free(c->jobs);
    for (int i = 0; i < c->n_tabs; i++)
        report_table_free(&c->tabs[i].t);
    free(c->tabs);
    for (int i = 0; i < c->n_files; i++)
        free(c->files[i]);
    free(c->files);
    for (int i = 0; i < c->n_skipped; i++)
        free(c->skipped[i]);
    free(c->skipped);
    store_attrs_free(c->attrs, c->n_attrs);
    spec_free(&c->s);
}

int report_run(const report_opts *o, report_result *r, lesde_err *e)
{
    memset(r, 0, sizeof *r);
    report_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.e = e;
    c.gnuplot = o->gnuplot && o->gnuplot[0] ? o->gnuplot : "gnuplot";
    if (store_load_spec(o->store, &c.s, e))
        return e->code;
    snprintf(c.hash, sizeof c.hash, "%s", c.s.hash);
    int rc = LESDE_OK;
    if (o->study) {
        int found = 0;
        for (int i = 0; i < c.s.n_studies; i++)
            found |= !strcmp(c.s.studies[i].name, o->study);
        if (!found) {
            char names[512] = "";
            size_t len = 0;
            for (int i = 0; i < c.s.n_studies && len < sizeof names; i++)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                        c.s.studies[i].name);
            rc = err_set(e, LESDE_USAGE, "%s: no study '%s' (studies: %s)", o->store, o->study,
                         names);
            goto out;
        }
    }
    /* the figures come first in report_only: tables alone need no gnuplot */
    int figures = !o->only || (o->only & ((1UL << REPORT_ONLY_SUMMARY) - 1));
    if ((rc = prepare_dir(o->out_dir, e)) || (figures && (rc = report_gp_check(c.gnuplot, e))) ||
        (rc = store_read_attrs(o->store, &c.attrs, &c.n_attrs, e)))
        goto out;
    c.rs = calloc((size_t)c.s.n_studies, sizeof *c.rs);
    if (!c.rs) {
        rc = err_set(e, LESDE_FAIL, "out of memory");
        goto out;
    }
    for (int i = 0; i < c.s.n_studies && !rc; i++) {
        const spec_study *st = &c.s.studies[i];
        if (o->study && strcmp(st->name, o->study))
            continue;
        rc = load_study(&c, &c.rs[i], st);
    }
    if (rc)
        goto out;
    const char *lv = store_attr_get(c.attrs, c.n_attrs, "layout_version");
    c.older = !lv || atof(lv) < STORE_LAYOUT_VERSION || c.s.foreign;
    /* p_hat* first: fig3d marks it. */
    int (*const steps[])(report_ctx *) = {
        report_pstar_all, report_fig2,    report_fig3,        report_fig4,   report_fig5,
        report_gamma,     report_sept,    report_kabl,        report_finite, report_collapse,
        report_lengths,   report_plateau, report_plateau_size};
    static const char *const step_name[] = {
        "p_hat*", "fig2",   "fig3",     "fig4",    "fig5",    "gamma",      "sept",
        "kabl",   "finite", "collapse", "lengths", "plateau", "plateausize"};
    /* The --only names each step makes (fig3 draws tailorder, imit, imitk). */
#define ONLY(k) (1UL << REPORT_ONLY_##k)
    static const unsigned long step_makes[] = {ONLY(PSTAR) | ONLY(FIG3),
                                               ONLY(FIG2),
                                               ONLY(FIG3) | ONLY(TAILORDER) | ONLY(IMIT) |
                                                   ONLY(IMITK),
                                               ONLY(FIG4),
                                               ONLY(FIG5) | ONLY(FIG5K),
                                               ONLY(GAMMA),
                                               ONLY(SEPT),
                                               ONLY(KABL),
                                               ONLY(FINITE),
                                               ONLY(COLLAPSE),
                                               ONLY(LENGTHS),
                                               ONLY(PLATEAU),
                                               ONLY(PLATEAUSIZE)};
#undef ONLY
    for (size_t k = 0; k < sizeof steps / sizeof steps[0] && !rc; k++)
        if (!o->only || (o->only & step_makes[k])) {
            /* Its figures are drawn at its end, also when it failed after
             * some (they are listed); a gnuplot error came first. */
            int rs = steps[k](&c), rd = report_gp_draw(&c);
            rc = report_tolerate(&c, step_name[k], rd ? rd : rs);
        }
    if (!rc)
        rc = report_tables(&c);
    if (!rc) /* the steps drew theirs; the index lists only drawn PNGs */
        rc = report_gp_draw(&c);
    snprintf(r->index, sizeof r->index, "%s/index.html", o->out_dir);
    if (!rc)
        rc = report_index(&c, r->index);
    if (!rc) {
        r->n_figures = c.n_figs;
        r->n_skipped = c.n_skipped;
        r->n_tables = c.n_files;
        r->pstar = c.pstar;
        r->n_pstar = c.n_pstar;
        c.pstar = NULL;
    }
out:
    free(c.pstar);
    ctx_free(&c);
    return rc;
}

void report_result_free(report_result *r)
{
    free(r->pstar);
    r->pstar = NULL;
    r->n_pstar = 0;
}
