/* report gnuplot: scripts and data files in the output directory, and
 * running gnuplot on them (popen, its messages captured for errors). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

/* Runs cmd through the shell; its output (stdout + stderr) in *out
 * (malloc'ed, NUL-terminated). Returns the exit status, or -1. */
static int run_capture(const char *cmd, char **out)
{
    *out = NULL;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
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
    char qd[4200], qg[4200], qs[600], cmd[9200];
    char script[300];
    snprintf(script, sizeof script, "%s.gp", g->base);
    if (report_shell_quote(c->o->out_dir, qd, sizeof qd) ||
        report_shell_quote(c->gnuplot, qg, sizeof qg) || report_shell_quote(script, qs, sizeof qs))
        return err_set(c->e, LESDE_FAIL, "path too long for gnuplot");
    snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1 </dev/null", qd, qg, qs);
    char *out = NULL;
    int st = run_capture(cmd, &out);
    char msg[800] = "";
    if (out)
        first_lines(out, msg, sizeof msg);
    free(out);
    if (st != 0)
        return err_set(c->e, LESDE_FAIL, "gnuplot failed on %s/%s.gp (exit %d): %s", c->o->out_dir,
                       g->base, st, msg[0] ? msg : "no message");
    /* Warnings (e.g. an empty data set) do not fail the report, but show. */
    if (msg[0])
        fprintf(stderr, "lesde: gnuplot on %s.gp: %s\n", g->base, msg);
    char png[4400];
    snprintf(png, sizeof png, "%s/%s.png", c->o->out_dir, g->base);
    struct stat sb;
    if (stat(png, &sb) || sb.st_size == 0)
        return err_set(c->e, LESDE_FAIL, "gnuplot wrote no image %s", png);
    return LESDE_OK;
}
