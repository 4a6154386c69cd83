/* lesde report: figures, tables and an index page of a store. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"
#include "spec/spec.h"
#include "store/store.h"

static void help(void)
{
    char text[8192];
    snprintf(text, sizeof text,
             "Usage: lesde report STORE --out DIR [OPTIONS]\n\n"
             "Draws the figures of a store with gnuplot (PNG, pngcairo) and writes its\n"
             "tables and an index page into DIR (created if missing):\n"
             "  fig2      Ahat, Bhat, alphahat, betahat over t, I- and L-model\n"
             "  fig3a-d   validation loss / accuracy over t per p_err, tail indices and\n"
             "            final accuracy / separable fraction against p_err\n"
             "  tailorder the seeds whose tail index of beta is below alpha's, against p_err\n"
             "  fig4      simulated LE-ODE against genuine mean logits (one task)\n"
             "  fig5      RD(t) = mean_k RD_k(t) of every imitation against the baselines\n"
             "  fig5k     RD_k(t) class by class, as the slides' Figure 5 (two starts)\n"
             "  imit      final RD of the imitations and baselines against p_err;\n"
             "  imitk     the same class by class\n"
             "  gamma     P(separable) against s per observation time (sde studies)\n"
             "  sept      P(separable) over observation time per grid point (sde studies,\n"
             "            the boundary schedule too)\n"
             "  kabl      final validation accuracy against rho, one curve per K\n"
             "  finite    final accuracy against p_err per T and the transition's width\n"
             "            against T (studies with an iters axis)\n"
             "  collapse  etf_dev over t per grid point\n"
             "  lengths   the validation class means' centred length over t per grid\n"
             "            point, against the calibrated logits' of its pollution\n"
             "  plateau   when the runs leave their initial plateau against |1 - rho|,\n"
             "            one set of points per K\n"
             "  plateausize  the same against the training samples per class, a line\n"
             "            per p_err (studies with a train_per_class axis)\n"
             "each for whatever studies fit it (by kind and axis keys); a figure no study\n"
             "fits is skipped with a line saying so. Tables: summary.csv / summary.md (one\n"
             "row per train grid point), pstar.csv (the transition estimate p_hat* per K:\n"
             "%s; and p_stall: %s; over seeds, %s), imitation.csv / imitation_k.csv\n"
             "(the imitations' final RD against the baselines, mean over classes / per\n"
             "class), models.csv (the L-model's imitation against the I-model's, seed by\n"
             "seed), tails.csv (the tail index of beta against alpha's, seed by seed),\n"
             "seeds.csv, seedavg.csv, collapse.csv (neural collapse of the validation\n"
             "class means at the end of each run, against the calibrated logits of the\n"
             "pollution), plateau.csv (the end of the initial plateau per grid point of\n"
             "every fitted train study), plateausize.csv / plateausize_pairs.csv (with a\n"
             "train_per_class axis: median x |1 - rho| over the clean median per size, and\n"
             "its change between two sizes, with 95%% bootstrap intervals over seeds),\n"
             "summary_sde.csv; index.html shows everything offline.\n"
             "Every figure's gnuplot script NAME.gp and data NAME.dat stay in DIR: edit\n"
             "and run 'gnuplot NAME.gp' there to redraw it.\n\n"
             "Options:\n"
             "  --out DIR         output directory (required)\n"
             "  --study NAME      only this study\n"
             "  --at KEY=VALUE    draw fig2, fig4, fig5 and fig5k at the grid point with\n"
             "                    KEY = VALUE (p_err, a grid axis, or a number or word\n"
             "                    the study fixes, which must then have that value;\n"
             "                    numbers and words as the spec writes them: 0.3,\n"
             "                    2/3, 1e5, fit=yes or fit=1)\n"
             "                    instead of p_err = 0;\n"
             "                    repeatable (--at p_err=0.3 --at iters=1e5); a study\n"
             "                    without such a point is skipped, with a line saying so\n"
             "  --p-err P         the same as --at p_err=P\n"
             "  --only LIST       make only these figures and tables, and none of the\n"
             "                    work of the others: comma-separated names, a figure\n"
             "                    of the list above (fig3: fig3a-d, fig3final, fig3ref0\n"
             "                    and tailt, the tail indices over t) or a table by its\n"
             "                    file's name without .csv (summary: .csv and .md, the\n"
             "                    .md with the tables made; plateausize: _pairs too);\n"
             "                    collapse, plateau and plateausize are both (--only\n"
             "                    plateau: the figure and plateau.csv); repeatable;\n"
             "                    p_hat* is printed with pstar or fig3 only\n"
             "  --gnuplot PROG    the gnuplot program (default: gnuplot)\n"
             "  --quiet           print only the index path and p_hat*\n"
             "  -h, --help        this help\n\n"
             "Prints the path of index.html and p_hat* per K at the end, with its 95%%\n"
             "bootstrap interval over seeds.\n\n%s",
             REPORT_PSTAR_METHOD, REPORT_STALL_METHOD, REPORT_PSTAR_SPREAD_METHOD, cli_exit_codes);
    /* the methods' texts are long single lines: wrapped here */
    cli_put_wrapped(text, 79);
}

/* The estimate, with its 95% bootstrap interval over seeds when it has one. */
static void print_estimate(double v, int at_first, const report_pstar_spread *sp)
{
    if (isfinite(v) && at_first) {
        printf("%.4g, already at the first grid point", v);
    } else if (isfinite(v)) {
        char text[96];
        report_pstar_with_ci(text, sizeof text, v, sp);
        fputs(text, stdout);
    } else {
        printf("not reached");
    }
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", 1, 0, 'o'},   {"study", 1, 0, 's'}, {"gnuplot", 1, 0, 'g'},
        {"quiet", 0, 0, 'q'}, {"p-err", 1, 0, 'p'}, {"at", 1, 0, 'a'},
        {"only", 1, 0, 'O'},  {"help", 0, 0, 'h'},  {0, 0, 0, 0}};
    report_opts o = {0};
    o.log = stdout;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'h': help(); return 0;
        case 'o': o.out_dir = optarg; break;
        case 's': o.study = optarg; break;
        case 'g': o.gnuplot = optarg; break;
        case 'q': o.log = NULL; break;
        case 'p': /* --p-err P is --at p_err=P */
        case 'a': {
            char kv[128], msg[256];
            snprintf(kv, sizeof kv, "%s%s", ch == 'p' ? "p_err=" : "", optarg);
            if (report_opts_at(&o, kv, msg, sizeof msg))
                return cli_usage("report", "%s: %s", ch == 'p' ? "--p-err" : "--at", msg);
            o.by_p_err = o.n_at == 1 && ch == 'p';
            break;
        }
        case 'O': {
            char msg[640]; /* the names it takes are in it */
            if (report_opts_only(&o, optarg, msg, sizeof msg))
                return cli_usage("report", "--only: %s", msg);
            break;
        }
        default: return cli_bad_option("report", ch, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage("report", "one STORE is required");
    if (!o.out_dir || !o.out_dir[0])
        return cli_usage("report", "--out DIR is required");
    o.store = argv[optind];
    lesde_err e = {0};
    store_lock_info li;
    if (store_lock_read(o.store, &li) && li.alive) {
        char who[512];
        store_lock_describe(&li, who, sizeof who);
        fprintf(stderr,
                "lesde: %s: in progress: a sweep is writing it (%s); the report shows "
                "the tasks done so far, the summaries across seeds come when it ends\n",
                o.store, who);
    }
    report_result r;
    if (report_run(&o, &r, &e))
        return cli_fail(&e);
    if (o.log)
        printf("%d figures, %d tables, %d skipped\n", r.n_figures, r.n_tables, r.n_skipped);
    printf("index: %s\n", r.index);
    for (int i = 0; i < r.n_pstar; i++) {
        const report_pstar *ps = &r.pstar[i];
        printf("p_hat* %s%s%s K=%d: ", ps->study, ps->slice[0] ? " " : "", ps->slice, ps->K);
        print_estimate(ps->p_hat, ps->hat_at_first, &ps->hat);
        printf(" (p* = %.4g; accuracy crosses 1/K); p_stall ", ps->p_star);
        print_estimate(ps->p_stall, ps->stall_at_first, &ps->stall);
        printf(" (accuracy crosses 1/K + %.2g)\n", REPORT_STALL_MARGIN);
    }
    report_result_free(&r);
    return 0;
}
