/* report index.html: every figure and table of a report on one page that
 * reads offline (no external CSS, scripts or fonts). */
#include <stdio.h>
#include <string.h>

#include "report/internal.h"

static const char style[] =
    "body{font-family:sans-serif;max-width:1450px;margin:1em auto;padding:0 1em;"
    "color:#222}\n"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:1.8em}\n"
    "table{border-collapse:collapse;margin:0.5em 0;font-size:0.9em}\n"
    "th,td{border:1px solid #ccc;padding:2px 7px;text-align:right;white-space:nowrap}\n"
    "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}\n"
    "figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}\n"
    "figcaption{max-width:1000px;font-size:0.92em;color:#444}\n"
    "pre{background:#f6f6f6;padding:0.6em;overflow-x:auto}\n"
    ".note{color:#555;font-size:0.92em;max-width:1000px}\n"
    ".wide{overflow-x:auto}\n";

static void esc(FILE *f, const char *s)
{
    report_html_escape(f, s ? s : "");
}

static void provenance(const report_ctx *c, FILE *f)
{
    static const char *const keys[][2] = {{"sweep_name", "sweep"},
                                          {"spec_hash", "spec hash"},
                                          {"created", "created (UTC)"},
                                          {"host", "host"},
                                          {"lesde_version", "lesde version"},
                                          {"git_revision", "git revision"},
                                          {"build", "build"},
                                          {"cnn_kernels", "CNN kernels"},
                                          {"layout_version", "store layout"},
                                          {"hdf5_version", "HDF5"},
                                          {"mpi_version", "MPI"},
                                          {"gsl_version", "GSL"},
                                          {"glpk_version", "GLPK"},
                                          {"openblas_config", "OpenBLAS"}};
    fputs("<h2 id=\"provenance\">Provenance</h2>\n<table>\n<tr><th>store</th><td>", f);
    esc(f, c->o->store);
    fputs("</td></tr>\n", f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = store_attr_get(c->attrs, c->n_attrs, keys[i][0]);
        if (!v)
            continue;
        fprintf(f, "<tr><th>%s</th><td>", keys[i][1]);
        esc(f, v);
        fputs("</td></tr>\n", f);
    }
    if (c->s.description) {
        fputs("<tr><th>description</th><td>", f);
        esc(f, c->s.description);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void studies(const report_ctx *c, FILE *f)
{
    fputs("<h2 id=\"studies\">Studies</h2>\n<table>\n<tr><th>study</th><th>kind</th>"
          "<th>grid points</th><th>seeds</th><th>done</th><th>failed</th><th>pending</th>"
          "<th>axes</th></tr>\n",
          f);
    for (int i = 0; i < c->s.n_studies; i++) {
        const report_study *rs = &c->rs[i];
        if (!rs->st)
            continue;
        long n[3] = {0, 0, 0};
        for (long k = 0; k < rs->P * rs->S; k++) {
            int v = (int)rs->status[k];
            n[v == STORE_DONE ? 0 : v == STORE_FAILED ? 1 : 2]++;
        }
        fputs("<tr><td>", f);
        esc(f, rs->st->name);
        fprintf(f,
                "</td><td>%s</td><td>%ld</td><td>%d</td><td>%ld</td><td>%ld</td><td>%ld"
                "</td><td style=\"text-align:left\">",
                spec_kind_name(rs->st->kind), rs->P, rs->S, n[0], n[1], n[2]);
        for (int a = 0; a < rs->st->n_axes; a++) {
            fputs(a ? "; " : "", f);
            esc(f, rs->st->axes[a].key);
            fputs(" = ", f);
            for (int v = 0; v < rs->st->axes[a].n; v++) {
                fputs(v ? ", " : "", f);
                esc(f, rs->st->axes[a].labels[v]);
            }
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

int report_index(report_ctx *c, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(c->e, LESDE_FAIL, "%s: cannot write", path);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>lesde report: ",
          f);
    esc(f, c->s.name);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>lesde report: sweep ", style);
    esc(f, c->s.name);
    fputs("</h1>\n<p class=\"note\">Figures are PNGs drawn by gnuplot from the .gp scripts "
          "and .dat files beside this page: edit a script and run <code>gnuplot "
          "NAME.gp</code> in this directory to redraw it. Tables: ",
          f);
    for (int i = 0; i < c->n_files; i++) {
        fprintf(f, "%s<a href=\"", i ? ", " : "");
        esc(f, c->files[i]);
        fputs("\">", f);
        esc(f, c->files[i]);
        fputs("</a>", f);
    }
    fputs(c->n_files ? ".</p>\n" : "none.</p>\n", f); /* none: only figures (--only) */
    if (c->o->only) {
        fputs("<p class=\"note\">Made with <code>--only</code>:", f);
        for (int k = 0, n = 0; k < REPORT_ONLY_N; k++)
            if (c->o->only >> k & 1)
                fprintf(f, "%s %s", n++ ? "," : "", report_only_name((report_only)k));
        fputs(" (the other figures and tables were not made).</p>\n", f);
    }
    fputs("<p><a href=\"#provenance\">provenance</a> · <a href=\"#studies\">studies</a>"
          " · <a href=\"#figures\">figures</a> · <a href=\"#tables\">tables</a> · "
          "<a href=\"#spec\">spec</a></p>\n",
          f);
    provenance(c, f);
    studies(c, f);

    fputs("<h2 id=\"figures\">Figures</h2>\n", f);
    for (int i = 0; i < c->n_figs; i++) {
        const report_fig *g = &c->figs[i];
        fputs("<figure>\n<h3>", f);
        esc(f, g->title);
        fputs("</h3>\n<a href=\"", f);
        esc(f, g->png);
        fputs("\"><img src=\"", f);
        esc(f, g->png);
        fputs("\" alt=\"", f);
        esc(f, g->title);
        fputs("\"></a>\n<figcaption>", f);
        esc(f, g->caption);
        fputs(" <code>", f);
        esc(f, g->png);
        fputs("</code></figcaption>\n</figure>\n", f);
    }
    if (!c->n_figs)
        fputs(c->o->only ? "<p>No figure of those --only names fits this store.</p>\n"
                         : "<p>No figure fits this store.</p>\n",
              f);
    if (c->n_skipped) {
        fputs("<p class=\"note\">Not drawn:</p>\n<ul class=\"note\">\n", f);
        for (int i = 0; i < c->n_skipped; i++) {
            fputs("<li>", f);
            esc(f, c->skipped[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }

    fputs("<h2 id=\"tables\">Tables</h2>\n", f);
    for (int i = 0; i < c->n_tabs; i++) {
        fputs("<h3>", f);
        esc(f, c->tabs[i].title);
        fputs("</h3>\n<p class=\"note\">", f);
        esc(f, c->tabs[i].note);
        fputs("</p>\n<div class=\"wide\">\n", f);
        report_table_html(&c->tabs[i].t, f);
        fputs("</div>\n", f);
    }

    fputs("<h2 id=\"spec\">Sweep spec</h2>\n<p class=\"note\">As stored in the store (hash ", f);
    esc(f, c->hash);
    /* The hash and the tasks include the overrides: the text alone would
     * show values that were not run. */
    if (c->s.overrides && *c->s.overrides) {
        fputs("), and run with these overrides of it:", f);
        int n;
        for (const char *at = c->s.overrides, *o; (o = spec_next_override(&at, &n));) {
            char one[512];
            snprintf(one, sizeof one, "%.*s", n, o);
            fputs(" <code>--set ", f);
            esc(f, one);
            fputs("</code>", f);
        }
        fputs(".</p>\n<pre>", f);
    } else {
        fputs(").</p>\n<pre>", f);
    }
    esc(f, c->s.text);
    fputs("</pre>\n</body>\n</html>\n", f);
    int bad = ferror(f);
    if (fclose(f) || bad)
        return err_set(c->e, LESDE_FAIL, "%s: cannot write (disk full?)", path);
    return LESDE_OK;
}
