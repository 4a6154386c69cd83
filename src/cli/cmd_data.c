/* lesde data: generate GeoMNIST (or sample a real dataset) to look at or export. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/rng.h"
#include "data/data.h"
#include "store/store.h"

static void help(void)
{
    printf("Usage: lesde data DATASET [OPTIONS] (--png FILE | --out FILE.h5)\n\n"
           "Builds the training set a run would use (geomnist, fashion-mnist, cifar10),\n"
           "deterministically from the seed, and writes a grid of samples as a PNG (one\n"
           "row per class) and/or the images and labels as HDF5.\n\n"
           "Options:\n"
           "  --classes K         number of classes (default 3)\n"
           "  --per-class N       samples per class (default 16)\n"
           "  --p-err P           pollute the labels (both labels are kept in --out)\n"
           "  --seed S            seed (default 0)\n"
           "  --data-dir DIR      where fashion-mnist / cifar10 files are\n"
           "  --png FILE          write a PNG grid of samples\n"
           "  --cols N            samples per class shown in the PNG (default 12)\n"
           "  --out FILE.h5       write images and labels\n"
           "  --quiet             print nothing but errors\n"
           "  -h, --help          this help\n\n%s",
           cli_exit_codes);
}

int cmd_data(int argc, char **argv)
{
    static const struct option opts[] = {{"classes", 1, 0, 'k'},
                                         {"per-class", 1, 0, 'n'},
                                         {"p-err", 1, 0, 'p'},
                                         {"seed", 1, 0, 's'},
                                         {"data-dir", 1, 0, 'D'},
                                         {"png", 1, 0, 'g'},
                                         {"cols", 1, 0, 'c'},
                                         {"out", 1, 0, 'o'},
                                         {"quiet", 0, 0, 'q'},
                                         {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    int quiet = 0;
    long k = 3, per = 16, seed = 0, cols = 12;
    double p_err = 0;
    const char *png = NULL, *out = NULL, *dir = NULL;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'h': help(); return 0;
        case 'k': case 'n': case 's': case 'c': {
            long v;
            if (cli_long(optarg, &v))
                return cli_usage("data", "'%s' is not an integer", optarg);
            if (ch == 'k') k = v;
            else if (ch == 'n') per = v;
            else if (ch == 's') seed = v;
            else cols = v;
            break;
        }
        case 'p':
            if (cli_double(optarg, &p_err) || p_err < 0 || p_err > 1)
                return cli_usage("data", "--p-err must be in [0, 1], not '%s'", optarg);
            break;
        case 'D': dir = optarg; break;
        case 'g': png = optarg; break;
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        default: return cli_bad_option("data", ch, argv[optind - 1]);
        }
    }
    if (cli_empty_name("data", "--out", out) || cli_empty_name("data", "--png", png))
        return LESDE_USAGE;
    if (optind != argc - 1)
        return cli_usage("data", "one DATASET is required (geomnist, fashion-mnist, cifar10)");
    int kind = data_kind_parse(argv[optind]);
    if (kind < 0)
        return cli_usage("data", "unknown dataset '%s'", argv[optind]);
    if (k < 2 || k > data_kind_max_k(kind))
        return cli_usage("data", "--classes must be in 2..%d for %s", data_kind_max_k(kind),
                         argv[optind]);
    if (per < 1 || per > 100000 || seed < 0 || cols < 1)
        return cli_usage("data", "--per-class, --seed or --cols out of range");
    if (!png && !out)
        return cli_usage("data", "nothing to do: give --png FILE and/or --out FILE.h5");
    data_request req = {.kind = kind, .k = (int)k, .train_per_class = (int)per,
                        .val_per_class = 1, .seed = (uint64_t)seed, .data_dir = dir};
    data_set tr = {0}, va = {0};
    lesde_err e = {0};
    int rc = data_load(&req, &tr, &va, &e);
    if (!rc && p_err > 0)
        rc = data_pollute(&tr, p_err, (uint64_t)seed, &e);
    if (!rc && png)
        rc = data_write_png(&tr, png, (int)k, (int)(cols < per ? cols : per), &e);
    if (!rc && out)
        rc = store_write_images(out, &tr, argv[optind], seed, &e);
    data_free(&tr);
    data_free(&va);
    if (rc)
        return cli_fail(&e);
    if (quiet)
        return 0;
    if (png)
        printf("wrote %s\n", png);
    if (out)
        printf("wrote %s (%d images)\n", out, (int)(k * per));
    return 0;
}
