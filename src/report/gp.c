/* report gnuplot: scripts and data files in the output directory, and
 * running gnuplot on them (popen, its messages captured for errors). */
#define _GNU_SOURCE /* memfd_create */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/internal.h"

/* Tableau 10: distinct, and readable on white. */
static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char *report_color(int i)
{
    return palette[(i < 0 ? -i : i) % 10];
}

int report_shell_quote(const char *s, char *out, size_t size)
{
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 >= size)                                                                         \
            return -1;                                                                             \
        out[n++] = (ch);                                                                           \
    } while (0)
    PUT('\'');
    for (; *s; s++) {
        if (*s == '\'') {
            PUT('\'');
            PUT('\\');
            PUT('\'');
        }
        PUT(*s);
    }
    PUT('\'');
#undef PUT
    out[n] = '\0';
    return 0;
}

void report_gp_str(FILE *f, const char *text)
{
    fputc('\'', f);
    for (const char *s = text; *s; s++) {
        if (*s == '\'')
            fputc('\'', f); /* '' is a quote inside '...' */
        else if (strchr("_^{}@&~", *s))
            fputc('\\', f); /* literal in enhanced text */
        fputc(*s, f);
    }
    fputc('\'', f);
}

void report_gp_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("NaN", f);
}

void report_gp_nums(FILE *f, const double *v, int n)
{
    for (int i = 0; i < n; i++) {
        fputc(' ', f);
        report_gp_num(f, v[i]);
    }
}

/* Reads the output of a popen'ed command into *out (malloc'ed,
 * NUL-terminated) and closes it. Returns its exit status, or -1. */
static int finish_capture(FILE *p, char **out)
{
    *out = NULL;
    size_t n = 0, cap = 4096;
    char *buf = malloc(cap);
    for (size_t k; buf && (k = fread(buf + n, 1, cap - n - 1, p)) > 0;) {
        n += k;
        if (cap - n < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int st = pclose(p);
    if (!buf)
        return -1;
    buf[n] = '\0';
    *out = buf;
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* Runs cmd through the shell; its output (stdout + stderr) in *out
 * (malloc'ed, NUL-terminated). Returns the exit status, or -1. */
static int run_capture(const char *cmd, char **out)
{
    *out = NULL;
    FILE *p = popen(cmd, "r");
    return p ? finish_capture(p, out) : -1;
}

/* The first lines of a program's output, on one line, for an error message. */
static void first_lines(const char *s, char *out, size_t size)
{
    size_t n = 0;
    int lines = 0;
    for (; *s && n + 1 < size && lines < 6; s++) {
        if (*s == '\n') {
            lines++;
            if (n && out[n - 1] != ' ' && n + 3 < size) {
                out[n++] = ' ';
                out[n++] = '|';
                out[n++] = ' ';
            }
            continue;
        }
        if (*s == '\r' || (*s == ' ' && n && out[n - 1] == ' '))
            continue;
        out[n++] = *s;
    }
    while (n && (out[n - 1] == ' ' || out[n - 1] == '|'))
        n--;
    out[n] = '\0';
}

int report_gp_check(const char *gnuplot, lesde_err *e)
{
    char q[4200], cmd[8600];
    if (report_shell_quote(gnuplot, q, sizeof q))
        return err_set(e, LESDE_USAGE, "gnuplot path too long");
    snprintf(cmd, sizeof cmd, "%s -e 'set terminal pngcairo' 2>&1 </dev/null", q);
    char *out = NULL;
    int st = run_capture(cmd, &out);
    char msg[512] = "";
    if (out)
        first_lines(out, msg, sizeof msg);
    free(out);
    if (st == 127 || st == 126)
        return err_set(e, LESDE_FAIL,
                       "gnuplot not found ('%s'): install gnuplot-nox, or give its path "
                       "with --gnuplot",
                       gnuplot);
    if (st != 0)
        return err_set(e, LESDE_FAIL, "%s cannot draw PNGs (pngcairo terminal): %s", gnuplot,
                       msg[0] ? msg : "no message");
    return LESDE_OK;
}

static FILE *open_out(report_ctx *c, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", c->o->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        err_set(c->e, LESDE_FAIL, "%s: cannot write", path);
    return f;
}

int report_gp_open(report_gp *g, report_ctx *c, const char *base, int w, int h)
{
    memset(g, 0, sizeof *g);
    g->c = c;
    snprintf(g->base, sizeof g->base, "%s", base);
    char name[300], path[4400];
    snprintf(name, sizeof name, "%s.gp", base);
    g->f = open_out(c, name, path, sizeof path);
    if (!g->f)
        return c->e->code;
    fprintf(g->f,
            "# %s: written by lesde report from %s; redraw with: gnuplot %s.gp\n"
            "set terminal pngcairo size %d,%d enhanced font 'Sans,11' linewidth 1.2\n"
            "set output '%s.png'\n"
            "set encoding utf8\n"
            "set grid lc rgb '#dddddd'\n"
            "set border lc rgb '#444444'\n"
            "set key box opaque samplen 2.5 spacing 1.1\n",
            base, c->o->store, base, w, h, base);
    return LESDE_OK;
}

FILE *report_fig_open(report_gp *g, report_ctx *c, const char *kind, const char *study,
                      const char *slice, int w, int h, char *dat, size_t size)
{
    char base[256];
    report_file_base(base, sizeof base, kind, study, slice);
    if (report_gp_open(g, c, base, w, h))
        return NULL;
    int has = slice && slice[0];
    snprintf(g->where, sizeof g->where, "%s%s%s", study, has ? ", " : "", has ? slice : "");
    return report_gp_data(g, "", dat, size);
}

FILE *report_gp_data(report_gp *g, const char *suffix, char *name, size_t size)
{
    char path[4400];
    snprintf(name, size, "%s%s.dat", g->base, suffix);
    return open_out(g->c, name, path, sizeof path);
}

int report_gp_data_close(report_gp *g, FILE *f, const char *name)
{
    int bad = ferror(f);
    if (fclose(f) || bad)
        return err_set(g->c->e, LESDE_FAIL, "%s/%s: cannot write (disk full?)", g->c->o->out_dir,
                       name);
    return LESDE_OK;
}

void report_gp_abort(report_gp *g)
{
    if (g->f)
        fclose(g->f);
    g->f = NULL;
}

int report_gp_end(report_gp *g, int rc)
{
    if (rc) {
        report_gp_abort(g);
        return rc;
    }
    return report_gp_run(g);
}

/* Drawing. A figure's script is queued (report_gp_run) and the queue drawn
 * at the end of each step (report_gp_draw) by one gnuplot process per half
 * that loads every script after `reset session`, not a process per figure
 * (start-up and font set-up, ~0.1 s each: a 400-figure report took 88-95
 * s, now 50-53 s, on 2 cores beside a sweep). reset session restores what
 * a fresh process starts from (defaults, gnuplotrc, ~/.gnuplot); what it
 * keeps (terminal, output, encoding, multiplot) every script sets or ends,
 * and none sets the rest (linetypes, locale, ...). Run on a file (not fed
 * on stdin, where it goes on after an error) gnuplot stops at the first
 * error and words messages as `gnuplot X.gp` does; a marker printed before
 * each script attributes them. */

/* The PNG of a drawn figure exists and is not empty; "wrote" is said
 * here, once it is, never for a figure only queued. */
static int check_png(report_ctx *c, const char *base)
{
    char png[4400];
    snprintf(png, sizeof png, "%s/%s.png", c->o->out_dir, base);
    struct stat sb;
    if (stat(png, &sb) || sb.st_size == 0)
        return err_set(c->e, LESDE_FAIL, "gnuplot wrote no image %s", png);
    if (c->o->log)
        fprintf(c->o->log, "wrote %s\n", png);
    return LESDE_OK;
}

/* What a script printed (out; may be NULL): a warning when it succeeded,
 * e.g. an empty data set, which does not fail the report but shows. */
static void warn_output(const char *base, const char *out)
{
    char msg[800] = "";
    if (out)
        first_lines(out, msg, sizeof msg);
    if (msg[0])
        fprintf(stderr, "lesde: gnuplot on %s.gp: %s\n", base, msg);
}

/* Draws one figure in its own gnuplot process, as `gnuplot BASE.gp` in
 * DIR: the fallback of a batch that failed, naming the failing script. */
static int draw_one(report_ctx *c, const char *base)
{
    char qd[4200], qg[4200], qs[600], cmd[9200];
    char script[300];
    snprintf(script, sizeof script, "%s.gp", base);
    if (report_shell_quote(c->o->out_dir, qd, sizeof qd) ||
        report_shell_quote(c->gnuplot, qg, sizeof qg) || report_shell_quote(script, qs, sizeof qs))
        return err_set(c->e, LESDE_FAIL, "path too long for gnuplot");
    snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1 </dev/null", qd, qg, qs);
    char *out = NULL;
    int st = run_capture(cmd, &out);
    if (st != 0) {
        char msg[800] = "";
        if (out)
            first_lines(out, msg, sizeof msg);
        free(out);
        return err_set(c->e, LESDE_FAIL, "gnuplot failed on %s/%s.gp (exit %d): %s", c->o->out_dir,
                       base, st, msg[0] ? msg : "no message");
    }
    warn_output(base, out);
    free(out);
    return check_png(c, base);
}

int report_gp_run(report_gp *g)
{
    report_ctx *c = g->c;
    fputs("unset multiplot\nset output\n", g->f);
    int bad = ferror(g->f);
    int cl = fclose(g->f);
    g->f = NULL;
    if (bad || cl)
        return err_set(c->e, LESDE_FAIL, "%s/%s.gp: cannot write (disk full?)", c->o->out_dir,
                       g->base);
    report_gp_job *nj = report_grow(c, c->jobs, c->n_jobs, &c->cap_jobs, sizeof *nj);
    if (!nj)
        return c->e->code;
    c->jobs = nj;
    report_gp_job *j = &c->jobs[c->n_jobs++];
    snprintf(j->base, sizeof j->base, "%s", g->base);
    j->n_figs = c->n_figs;
    j->n_skipped = c->n_skipped;
    return LESDE_OK;
}

/* A gnuplot process drawing jobs [lo, hi) from a batch. */
typedef struct {
    int lo, hi;
    FILE *p;   /* popen'ed gnuplot (NULL: it could not start) */
    char *out; /* its output, once finished */
    int st;    /* its exit status, or -1 */
} gp_batch;

/* Writes the batch of b's jobs and starts gnuplot on it in DIR. The batch
 * is a memory file that gnuplot opens as /dev/fd/N: no temporary file to
 * leave behind when the report is killed (Ctrl-C) while it draws. */
static void batch_start(report_ctx *c, gp_batch *b)
{
    int fd = memfd_create("lesde-gp", 0); /* not close-on-exec: gnuplot opens it */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return; /* each script then drawn alone */
    }
    for (int j = b->lo; j < b->hi; j++) {
        fprintf(f, "print \"@@lesde %d\"\nreset session\nload '", j);
        for (const char *s = c->jobs[j].base; *s; s++) {
            if (*s == '\'')
                fputc('\'', f); /* '' is a quote inside '...' */
            fputc(*s, f);
        }
        fputs(".gp'\n", f);
    }
    char qd[4200], qg[4200], cmd[8600];
    if (!fflush(f) && !ferror(f) && !report_shell_quote(c->o->out_dir, qd, sizeof qd) &&
        !report_shell_quote(c->gnuplot, qg, sizeof qg)) {
        snprintf(cmd, sizeof cmd, "cd %s && %s /dev/fd/%d 2>&1 </dev/null", qd, qg, fd);
        b->p = popen(cmd, "r");
    }
    fclose(f); /* gnuplot has its own descriptor of the file */
}

/* Splits a finished batch's output at its markers ("@@lesde J" lines):
 * seg[j - lo] what job j printed. Returns the first job not known to be
 * drawn: hi when all were, else the job gnuplot stopped in (or lo when its
 * output cannot be attributed). */
static int batch_split(gp_batch *b, const char **seg)
{
    int last = b->lo - 1, pre = 0;
    for (char *s = b->out; s && *s;) {
        char *nl = strchr(s, '\n'), *end = s;
        long j = strncmp(s, "@@lesde ", 8) ? -1 : strtol(s + 8, &end, 10);
        if (j == last + 1 && j < b->hi && (*end == '\n' || !*end)) {
            *s = '\0'; /* ends the previous job's output */
            last = (int)j;
            seg[j - b->lo] = nl ? nl + 1 : "";
        } else if (last < b->lo) {
            pre = 1; /* printed before any script */
        }
        if (!nl)
            break;
        s = nl + 1;
    }
    if (pre || last < b->lo)
        return b->lo;
    return b->st == 0 && last == b->hi - 1 ? b->hi : last;
}

int report_gp_draw(report_ctx *c)
{
    int n = c->n_jobs;
    if (!n)
        return LESDE_OK;
    c->n_jobs = 0;
    /* The two halves at once, for 2 cores (beside a sweep: 400 scripts in
     * 40-46 s, not 45-47 s; the whole report no faster); a few figures in one
     * process, and all in one when two share a name (the later script is
     * then drawn twice, in order, as before; two processes could write the
     * PNG at once). */
    int nb = n >= 8 ? 2 : 1;
    for (int i = 0; i < n && nb > 1; i++)
        for (int k = 0; k < i && nb > 1; k++)
            nb = strcmp(c->jobs[i].base, c->jobs[k].base) ? 2 : 1;
    gp_batch b[2];
    memset(b, 0, sizeof b);
    for (int h = 0; h < nb; h++) {
        b[h].lo = h ? n / 2 : 0;
        b[h].hi = h || nb == 1 ? n : n / 2;
        batch_start(c, &b[h]);
    }
    for (int h = 0; h < nb; h++)
        b[h].st = b[h].p ? finish_capture(b[h].p, &b[h].out) : -1;
    const char **seg = calloc((size_t)n, sizeof *seg);
    int rc = LESDE_OK, j = 0; /* j: the first job not yet checked */
    for (int h = 0; h < nb && j == b[h].lo && !rc; h++) {
        int ok = seg ? batch_split(&b[h], seg + b[h].lo) : b[h].lo;
        for (; j < ok; j++) {
            warn_output(c->jobs[j].base, seg[j]);
            if ((rc = check_png(c, c->jobs[j].base)))
                break;
        }
    }
    /* A batch that failed: from the script it stopped in, one gnuplot each
     * as without batches, so that the error is that script's alone. */
    while (!rc && j < n && !(rc = draw_one(c, c->jobs[j].base)))
        j++;
    if (rc) { /* what was listed when job j failed, drawn at once */
        c->n_figs = c->jobs[j].n_figs;
        while (c->n_skipped > c->jobs[j].n_skipped)
            free(c->skipped[--c->n_skipped]);
    }
    free(seg);
    for (int h = 0; h < nb; h++)
        free(b[h].out);
    return rc;
}
