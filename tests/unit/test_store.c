/* store: what a task wrote reads back equal to what was computed, the layout
 * (shapes, padding, coordinates in every group, attributes as netCDF reads
 * them), the field table's rules, status handling, spec mismatch, an older
 * layout, summaries (median, quantiles, clipped intervals), the lock. */
#include <gsl/gsl_cdf.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "spec/internal.h" /* the key table: every key must be recorded */
#include "spec/spec.h"
#include "store/fields.h"
#include "store/h5err.h"
#include "store/store.h"

static const char *spec_a =
    "[sweep]\nname = t\nseeds = 0..1\n"
    "[study.tr]\nkind = train\nclasses = 2, 3\ntrain_per_class = 30\nval_per_class = 20\n"
    "iters = 200\ncheckpoints = 11\nprobe_per_class = 10\nsnapshots = 2\n";

/* Copies the first `keep` bytes of src to dst (all of it: keep < 0). */
static void copy_file(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char buf[65536];
    size_t n;
    long done = 0;
    while (in && out && (keep < 0 || done < keep) && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (keep >= 0 && done + (long)n > keep)
            n = (size_t)(keep - done);
        fwrite(buf, 1, n, out);
        done += (long)n;
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
}

/* An HDF5 file with lesde's root attribute names, spec_hash and spec_text
 * being arrays of strings (another program's idea of them). */
static void write_impostor(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 16);
    hid_t one = H5Screate(H5S_SCALAR);
    hsize_t n = 64;
    hid_t many = H5Screate_simple(1, &n, NULL);
    char buf[64 * 16];
    memset(buf, 'x', sizeof buf);
    hid_t a = H5Acreate2(f, "creator", t, one, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "lesde\0xxxxxxxxxx");
    H5Aclose(a);
    const char *names[2] = {"spec_hash", "spec_text"};
    for (int i = 0; i < 2; i++) {
        a = H5Acreate2(f, names[i], t, many, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, t, buf);
        H5Aclose(a);
    }
    H5Sclose(many);
    H5Sclose(one);
    H5Tclose(t);
    H5Fclose(f);
}

/* Replaces /study/tr/status of a store by a dataset of n values. */
static void resize_status(const char *path, hsize_t n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "/study/tr/status", H5P_DEFAULT);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "/study/tr/status", H5T_STD_I8LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(f);
}

/* equal values, NaN read back as NaN */
static int same(const double *a, const double *b, long n)
{
    for (long i = 0; i < n; i++)
        if (!(a[i] == b[i]) && !(isnan(a[i]) && isnan(b[i])))
            return 0;
    return 1;
}

/* ---- the layout netCDF-4 / xarray read (layout 2) ---- */

/* The group part of an object's path. */
static void dir_of(const char *path, char *dir, size_t size)
{
    const char *s = strrchr(path, '/');
    snprintf(dir, size, "%.*s", s ? (int)(s - path) : 0, path);
}

static herr_t scale_dir(hid_t ds, unsigned dim, hid_t scale, void *op)
{
    (void)ds;
    (void)dim;
    H5Iget_name(scale, op, 512);
    return 1; /* the first is enough: there is one */
}

static int is_vlstr_attr(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a);
    int ok = H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 &&
             H5Tget_cset(t) == H5T_CSET_UTF8;
    H5Tclose(t);
    H5Aclose(a);
    return ok;
}

static H5T_class_t attr_class(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0)
        return H5T_NO_CLASS;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a);
    H5T_class_t c = H5Tget_class(t);
    H5Tclose(t);
    H5Aclose(a);
    return c;
}

typedef struct {
    int vars, scales, unattached, foreign, unlabelled;
    char first_bad[1200];
} walk;

/* Every variable: each dimension has one scale, in the variable's own
 * group; units and long_name as variable-length strings. */
static herr_t check_var(hid_t g, const char *name, const H5O_info_t *info, void *op)
{
    walk *w = op;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (H5DSis_scale(ds) > 0) {
        w->scales++;
        H5Dclose(ds);
        return 0;
    }
    w->vars++;
    char path[512], dir[512], sdir[512];
    H5Iget_name(ds, path, sizeof path);
    dir_of(path, dir, sizeof dir);
    hid_t sp = H5Dget_space(ds);
    int nd = H5Sget_simple_extent_ndims(sp);
    H5Sclose(sp);
    for (int d = 0; d < nd; d++) {
        char sname[512] = "";
        if (H5DSget_num_scales(ds, (unsigned)d) != 1) {
            if (!w->unattached++)
                snprintf(w->first_bad, sizeof w->first_bad, "%s dim %d: no scale", path, d);
            continue;
        }
        H5DSiterate_scales(ds, (unsigned)d, NULL, scale_dir, sname);
        dir_of(sname, sdir, sizeof sdir);
        if (strcmp(sdir, dir) && !w->foreign++)
            snprintf(w->first_bad, sizeof w->first_bad, "%s dim %d: scale %s", path, d, sname);
    }
    if ((!is_vlstr_attr(ds, "units") || !is_vlstr_attr(ds, "long_name")) && !w->unlabelled++)
        snprintf(w->first_bad, sizeof w->first_bad, "%s: no units or long_name", path);
    H5Dclose(ds);
    return 0;
}

static void test_layout(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "open %s", path);
    walk w = {0};
    H5Ovisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, check_var, &w);
    CHECK(w.vars > 100 && w.scales > 20, "%d variables, %d coordinates", w.vars, w.scales);
    CHECK(!w.unattached && !w.foreign && !w.unlabelled,
          "%d dims without a scale, %d with one outside their group, %d without units: %s",
          w.unattached, w.foreign, w.unlabelled, w.first_bad);
    /* Root and study attributes: strings variable-length UTF-8, integers
     * integers; the axis `classes` is no attribute of the study. */
    CHECK(is_vlstr_attr(f, "spec_text") && is_vlstr_attr(f, "creator"), "root strings");
    CHECK(attr_class(f, "layout_version") == H5T_INTEGER, "layout_version an integer");
    hid_t g = H5Gopen2(f, "/study/tr", H5P_DEFAULT);
    CHECK(attr_class(g, "iters") == H5T_INTEGER && attr_class(g, "n_seeds") == H5T_INTEGER &&
              attr_class(g, "checkpoints") == H5T_INTEGER,
          "integer parameters as integers");
    CHECK(attr_class(g, "lr") == H5T_FLOAT && is_vlstr_attr(g, "dataset"), "lr, dataset");
    CHECK(H5Aexists(g, "classes") == 0, "no attribute shadows the axis classes");
    H5Gclose(g);
    /* Coordinates: the axis as integers, checkpoints as iterations, the
     * models as strings, in every group that uses them. */
    hid_t d = H5Dopen2(f, "/study/tr/classes", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    int64_t k[2] = {0, 0};
    CHECK(H5Tget_class(t) == H5T_INTEGER &&
              H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, k) >= 0 && k[0] == 2 &&
              k[1] == 3,
          "classes coordinate %lld %lld", (long long)k[0], (long long)k[1]);
    H5Tclose(t);
    H5Dclose(d);
    int64_t ck[11];
    d = H5Dopen2(f, "/study/tr/summary/median/fit/checkpoint", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ck) >= 0 &&
              ck[0] == 0 && ck[1] == 20 && ck[10] == 200,
          "checkpoint iterations in summary/median/fit");
    H5Dclose(d);
    d = H5Dopen2(f, "/study/tr/fit/model", H5P_DEFAULT);
    t = H5Dget_type(d);
    char *models[2] = {NULL, NULL};
    CHECK(H5Tis_variable_str(t) > 0 && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, models) >= 0 &&
              models[0] && models[1] && !strcmp(models[0], "I") && !strcmp(models[1], "L"),
          "model labels");
    for (int i = 0; i < 2; i++)
        H5free_memory(models[i]);
    H5Tclose(t);
    H5Dclose(d);
    /* The summaries of a fraction say their range; the mean's interval
     * says how it is clipped. */
    d = H5Dopen2(f, "/study/tr/summary/ci_hi/val_acc", H5P_DEFAULT);
    CHECK(attr_class(d, "valid_max") == H5T_FLOAT && is_vlstr_attr(d, "comment"), "ci_hi attrs");
    H5Dclose(d);
    /* A 0/1 field is a flag; its mean across seeds is a proportion (a
     * range, no flags), its count neither (netCDF readers mask values
     * outside valid_min / valid_max). */
    d = H5Dopen2(f, "/study/tr/fit/snap_sep_all", H5P_DEFAULT);
    CHECK(attr_class(d, "flag_values") == H5T_FLOAT && attr_class(d, "valid_max") == H5T_FLOAT,
          "0/1 field: flags and range");
    H5Dclose(d);
    d = H5Dopen2(f, "/study/tr/summary/mean/fit/snap_sep_all", H5P_DEFAULT);
    CHECK(attr_class(d, "flag_values") == H5T_NO_CLASS && attr_class(d, "valid_max") == H5T_FLOAT,
          "its mean: a range, no flags");
    H5Dclose(d);
    d = H5Dopen2(f, "/study/tr/summary/n/fit/snap_sep_all", H5P_DEFAULT);
    CHECK(attr_class(d, "flag_values") == H5T_NO_CLASS &&
              attr_class(d, "valid_max") == H5T_NO_CLASS,
          "its count: neither");
    H5Dclose(d);
    H5Fclose(f);
}

/* The field table: every dimension named, one length per name, for both
 * kinds with every option; a table that breaks the rules is refused. */
static void test_fields_table(void)
{
    field_maxima m = {.K = 4,
                      .C = 11,
                      .S = 3,
                      .NP = 40,
                      .T = 500,
                      .CH = 3,
                      .NT = 90,
                      .NV = 60,
                      .O = 7,
                      .V = 6,
                      .fit = 1,
                      .save_data = 1};
    field f[FIELDS_MAX];
    char why[256] = "";
    for (int kind = 0; kind < 2; kind++) {
        int n = fields_list(kind ? SPEC_SDE : SPEC_TRAIN, &m, f);
        CHECK(n > 5 && fields_check(f, n, why, sizeof why) == 0, "kind %d: %s", kind, why);
        int described = 1;
        for (int i = 0; i < n; i++)
            described &= f[i].units && f[i].desc && f[i].desc[0];
        CHECK(described, "kind %d: every field has units and a description", kind);
    }
    int n = fields_list(SPEC_TRAIN, &m, f);
    field bad[FIELDS_MAX];
    memcpy(bad, f, sizeof bad);
    for (int i = 0; i < n; i++)
        if (!strcmp(bad[i].name, "xbar_probe"))
            bad[i].dimname[2] = NULL;
    CHECK(fields_check(bad, n, why, sizeof why) && strstr(why, "no name"), "unnamed: %s", why);
    memcpy(bad, f, sizeof bad);
    for (int i = 0; i < n; i++)
        if (!strcmp(bad[i].name, "xbar_probe"))
            bad[i].dims[2] = 7; /* feature: 4 elsewhere */
    CHECK(fields_check(bad, n, why, sizeof why) && strstr(why, "feature"), "lengths: %s", why);
    memcpy(bad, f, sizeof bad);
    bad[n - 1].dimname[0] = "t"; /* the field t's name */
    CHECK(bad[n - 1].ndim > 0 && fields_check(bad, n, why, sizeof why) && strstr(why, "field t"),
          "a dimension named like a field: %s", why);
}

/* Points 0 and 1 of summary statistic stat of field name in study tr. */
static void read_stat2(const char *path, const char *stat, const char *name, double v[2])
{
    char p[96];
    snprintf(p, sizeof p, "summary/%s/%s", stat, name);
    store_array a;
    lesde_err e = {0};
    CHECK(store_read_array(path, "tr", p, &a, &e) == 0 && a.size == 2, "%s: %s", p, e.msg);
    v[0] = a.size == 2 ? a.data[0] : NAN;
    v[1] = a.size == 2 ? a.data[1] : NAN;
    store_array_free(&a);
}

/* Summaries across seeds, with values set by hand: median and quantiles
 * (type 7), NaN and unfinished seeds left out, the interval of a fraction
 * clipped to [0, 1], that of a 0/1 field Wilson's. */
/* A new serial store at path for spec text, closed again; 0 on success. */
static int new_store(const char *path, const char *text, spec *s)
{
    unlink(path);
    lesde_err e = {0};
    int rc = spec_parse(s, text, "q", NULL, 0, &e);
    CHECK(rc == 0, "spec: %s", e.msg);
    if (rc)
        return rc;
    store_opts so = {.comm = MPI_COMM_NULL};
    store *st = NULL;
    rc = store_create(path, s, &so, &st, &e);
    CHECK(rc == 0, "create: %s", e.msg);
    store_close(st, NULL);
    return rc;
}

static void test_summaries(void)
{
    const char *path = "/tmp/lesde_test_summary.h5";
    static const char *text = "[sweep]\nname = q\nseeds = 0..5\n"
                              "[study.tr]\nkind = train\nclasses = 2\ntrain_per_class = 10\n"
                              "val_per_class = 10\niters = 20\ncheckpoints = 3\n"
                              "probe_per_class = 5\nsnapshots = 1\np_err = 0, 0.5\n";
    spec s;
    lesde_err e = {0};
    if (new_store(path, text, &s))
        return;
    /* point 0: 0.2 0.4 0.9 0.5 NaN (done) and one failed seed;
     * point 1: 0.96 0.99 1 1 0.9 0.97, all done. */
    double acc[12] = {0.2, 0.4, 0.9, 0.5, NAN, 0.3, 0.96, 0.99, 1, 1, 0.9, 0.97};
    int8_t status[12] = {1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1};
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/study/tr/final_val_acc", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, acc);
    H5Dclose(d);
    /* a 0/1 field: point 0: 1 0 1 1 (NaN and the failed seed left out),
     * point 1: six 0s */
    double sep[12] = {1, 0, 1, 1, NAN, 1, 0, 0, 0, 0, 0, 0};
    d = H5Dopen2(f, "/study/tr/fit/snap_sep_all", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sep);
    CHECK(H5Aexists(d, "flag_values") > 0, "a 0/1 field has flag_values");
    H5Dclose(d);
    d = H5Dopen2(f, "/study/tr/final_val_acc", H5P_DEFAULT);
    CHECK(H5Aexists(d, "flag_values") == 0, "an accuracy has none");
    H5Dclose(d);
    /* a fraction in [0, 1] whose t-interval passes 0 at point 0: 0 0 0 0.6
     * (mean 0.15, sd 0.3); point 1: six 0.5 */
    double frac[12] = {0, 0, 0, 0.6, NAN, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    d = H5Dopen2(f, "/study/tr/fit/snap_sep_frac", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, frac);
    H5Dclose(d);
    /* a 0/1 field with two done values at point 0: 1 0; point 1: six 1s */
    double two[12] = {1, 0, NAN, NAN, NAN, 1, 1, 1, 1, 1, 1, 1};
    d = H5Dopen2(f, "/study/tr/fit/snap_sep_all_clean", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, two);
    H5Dclose(d);
    d = H5Dopen2(f, "/study/tr/status", H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status);
    H5Dclose(d);
    H5Fclose(f);
    CHECK(store_summarize(path, &e) == 0, "summarize: %s", e.msg);
    const char *stat[8] = {"mean", "std", "ci_lo", "ci_hi", "n", "median", "q25", "q75"};
    double v[8][2];
    for (int k = 0; k < 8; k++) {
        char name[64];
        snprintf(name, sizeof name, "summary/%s/final_val_acc", stat[k]);
        store_array a;
        CHECK(store_read_array(path, "tr", name, &a, &e) == 0 && a.size == 2, "%s", name);
        v[k][0] = a.size == 2 ? a.data[0] : NAN;
        v[k][1] = a.size == 2 ? a.data[1] : NAN;
        store_array_free(&a);
    }
    /* point 0: 0.2 0.4 0.5 0.9: n 4, median 0.45, q25 at 0.75 -> 0.35, q75
     * at 2.25 -> 0.6; numpy.quantile gives the same. */
    CHECK(v[4][0] == 4 && v[4][1] == 6, "n %g %g", v[4][0], v[4][1]);
    CHECK_NEAR(v[0][0], 0.5, 1e-12);
    CHECK_NEAR(v[5][0], 0.45, 1e-12);
    CHECK_NEAR(v[6][0], 0.35, 1e-12);
    CHECK_NEAR(v[7][0], 0.6, 1e-12);
    CHECK_NEAR(v[1][0], sqrt((0.09 + 0.01 + 0.16 + 0) / 3), 1e-12);
    /* point 1: 0.9 0.96 0.97 0.99 1 1: median 0.98, q25 at 1.25 -> 0.9625,
     * q75 at 3.75 -> 0.9975; the t-interval would pass 1: clipped. */
    CHECK_NEAR(v[5][1], 0.98, 1e-12);
    CHECK_NEAR(v[6][1], 0.9625, 1e-12);
    CHECK_NEAR(v[7][1], 0.9975, 1e-12);
    CHECK(v[3][1] == 1 && v[2][1] < v[0][1], "interval clipped to 1: %.17g", v[3][1]);
    CHECK(v[3][0] < 1 && v[2][0] > 0, "interval of point 0 inside [0, 1]");
    /* ...and it is the t-interval, mean -+ t(0.975; n - 1) sd / sqrt(n),
     * t(0.975; 3) = 3.18244630528 (tabled) */
    double t3 = gsl_cdf_tdist_Pinv(0.975, 3);
    CHECK_NEAR(t3, 3.18244630528, 1e-10);
    double sd0 = sqrt((0.09 + 0.01 + 0.16 + 0) / 3);
    CHECK_NEAR(v[2][0], 0.5 - t3 * sd0 / 2, 1e-12);
    CHECK_NEAR(v[3][0], 0.5 + t3 * sd0 / 2, 1e-12);
    /* a fraction whose t-interval passes 0: clipped to valid_min 0 there,
     * the upper end untouched; no spread, no width */
    double fl[2], fh[2];
    read_stat2(path, "ci_lo", "fit/snap_sep_frac", fl);
    read_stat2(path, "ci_hi", "fit/snap_sep_frac", fh);
    CHECK(fl[0] == 0, "interval clipped to 0: %.17g", fl[0]);
    CHECK_NEAR(fh[0], 0.15 + t3 * 0.3 / 2, 1e-12);
    CHECK_NEAR(fl[1], 0.5, 1e-15);
    CHECK_NEAR(fh[1], 0.5, 1e-15);
    /* a 0/1 field with n = 2 (1 of 2) gets Wilson's too: p = 1/2 gives
     * centre 1/2 and half z / (1 + z^2/n) sqrt(1/(4n) + z^2/(4n^2)) =
     * 0.40546 (the t-interval, 0.5 -+ 12.7 * 0.71 / 1.41, would clip to
     * [0, 1]) */
    const double z = 1.959963984540054;
    double hw = z / (1 + z * z / 2) * sqrt(1.0 / 8 + z * z / 16), wl[2], wh[2];
    read_stat2(path, "ci_lo", "fit/snap_sep_all_clean", wl);
    read_stat2(path, "ci_hi", "fit/snap_sep_all_clean", wh);
    CHECK_NEAR(wl[0], 0.5 - hw, 1e-12);
    CHECK_NEAR(wh[0], 0.5 + hw, 1e-12);
    /* The 0/1 field's interval is Wilson's: 3 of 4 -> [0.30064, 0.95441]
     * (the t-interval would be [-0.05, 1.55] before clipping), 0 of 6 ->
     * [0, z^2 / (n + z^2)] = [0, 0.39033], 0 exactly (the t-interval: the
     * point 0). */
    double w[2][2];
    for (int k = 0; k < 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "summary/%s/fit/snap_sep_all", k ? "ci_hi" : "ci_lo");
        store_array a;
        CHECK(store_read_array(path, "tr", name, &a, &e) == 0 && a.size == 2, "%s", name);
        w[k][0] = a.size == 2 ? a.data[0] : NAN;
        w[k][1] = a.size == 2 ? a.data[1] : NAN;
        store_array_free(&a);
    }
    CHECK_NEAR(w[0][0], 0.300641842582402, 1e-12);
    CHECK_NEAR(w[1][0], 0.954412739190299, 1e-12);
    CHECK(w[0][1] == 0, "0 of 6: lower end 0: %.17g", w[0][1]);
    CHECK_NEAR(w[1][1], 3.841458820694124 / (6.0 + 3.841458820694124), 1e-12);
    /* A store written before flag_values: the field is known by name, and
     * summarising marks it and gives the same interval. */
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    d = H5Dopen2(f, "/study/tr/fit/snap_sep_all", H5P_DEFAULT);
    H5Adelete(d, "flag_values");
    H5Adelete(d, "flag_meanings");
    H5Dclose(d);
    /* its summaries hold t-intervals (here any other numbers): a reader
     * gets Wilson's from the mean and the count, before any summarize */
    const double tint[2] = {0.25, 0.5};
    for (int k = 0; k < 2; k++) {
        d = H5Dopen2(f,
                     k ? "/study/tr/summary/ci_hi/fit/snap_sep_all"
                       : "/study/tr/summary/ci_lo/fit/snap_sep_all",
                     H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, tint);
        H5Dclose(d);
    }
    H5Fclose(f);
    for (int k = 0; k < 2; k++) {
        store_array r;
        CHECK(store_read_array(path, "tr",
                               k ? "summary/ci_hi/fit/snap_sep_all"
                                 : "summary/ci_lo/fit/snap_sep_all",
                               &r, &e) == 0 &&
                  r.size == 2 && r.data[0] == w[k][0] && r.data[1] == w[k][1],
              "old store, not summarised again: Wilson's %s read", k ? "ci_hi" : "ci_lo");
        store_array_free(&r);
    }
    CHECK(store_summarize(path, &e) == 0, "summarize an old store: %s", e.msg);
    store_array old;
    CHECK(store_read_array(path, "tr", "summary/ci_lo/fit/snap_sep_all", &old, &e) == 0 &&
              old.size == 2 && old.data[0] == w[0][0],
          "old store: Wilson's interval too");
    store_array_free(&old);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    d = H5Dopen2(f, "/study/tr/fit/snap_sep_all", H5P_DEFAULT);
    CHECK(H5Aexists(d, "flag_values") > 0 && H5Aexists(d, "flag_meanings") > 0,
          "old store: the field marked");
    H5Dclose(d);
    H5Fclose(f);
    unlink(path);
    spec_free(&s);
}

/* A store of layout 1 (git main before 2026-12): a sweep refuses it, before
 * looking at the spec hash, saying what to do; it still reads. */
static void test_old_layout(const char *path, const spec *s)
{
    const char *old = "/tmp/lesde_test_layout1.h5";
    copy_file(path, old, -1);
    hid_t f = H5Fopen(old, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(f, "layout_version");
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "layout_version", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    double one = 1;
    H5Awrite(a, H5T_NATIVE_DOUBLE, &one);
    H5Aclose(a);
    H5Sclose(sp);
    H5Fclose(f);
    store_opts so = {.comm = MPI_COMM_NULL};
    store *st = NULL;
    lesde_err e = {0};
    CHECK(store_open(old, s, &so, &st, &e) == LESDE_USAGE && strstr(e.msg, "layout 1") &&
              strstr(e.msg, "--new"),
          "layout 1 refused: %s", e.msg);
    spec r;
    CHECK(store_load_spec(old, &r, &e) == 0 && !r.foreign, "layout 1 still reads: %s", e.msg);
    spec_free(&r);
    f = H5Fopen(old, H5F_ACC_RDWR, H5P_DEFAULT);
    a = H5Aopen(f, "layout_version", H5P_DEFAULT);
    double newer = STORE_LAYOUT_VERSION + 1;
    H5Awrite(a, H5T_NATIVE_DOUBLE, &newer);
    H5Aclose(a);
    H5Fclose(f);
    CHECK(store_open(old, s, &so, &st, &e) == LESDE_USAGE && strstr(e.msg, "newer lesde"),
          "a newer layout refused: %s", e.msg);
    unlink(old);
}

/* A store written by another lesde version: its spec hashes differently
 * here (keys added since get their defaults). The readers take it, with a
 * warning, while its tasks lie where this version puts them, and refuse it
 * once its grid differs. */
static void test_other_version(const char *path)
{
    const char *other = "/tmp/lesde_test_other_version.h5";
    copy_file(path, other, -1);
    hid_t f = H5Fopen(other, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(f, "spec_hash");
    store_h5_attr_str(f, "spec_hash", "0123456789abcdef");
    H5Fclose(f);
    spec r;
    lesde_err e = {0};
    CHECK(store_load_spec(other, &r, &e) == 0 && !strcmp(r.hash, "0123456789abcdef") && r.foreign,
          "another version's hash, the same grid: read, marked foreign (%s)", e.msg);
    spec_free(&r);
    /* Two seeds more: the tasks would land elsewhere. */
    f = H5Fopen(other, H5F_ACC_RDWR, H5P_DEFAULT);
    if (H5Aexists(f, "spec_overrides") > 0)
        H5Adelete(f, "spec_overrides");
    store_h5_attr_str(f, "spec_overrides", "sweep.seeds=0..3");
    H5Fclose(f);
    CHECK(store_load_spec(other, &r, &e) == LESDE_USAGE && strstr(e.msg, "another grid of tasks"),
          "another version's hash and grid: refused (%s)", e.msg);
    unlink(other);
}

/* What OMPIO leaves beside a store a killed sweep had open: only
 * STORE-<digits>-<digits>.lock goes, nothing else of that directory. */
static void test_ompio_leftovers(void)
{
    char dir[] = "/tmp/lesde_test_ompioXXXXXX", st[64], p[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(st, sizeof st, "%s/s.h5", dir);
    const char *gone[] = {"s.h5-3850583901-27175.lock", "s.h5-1-2.lock"};
    const char *kept[] = {"s.h5",           "s.h5.lock",       "s.h5-1.lock",    "s.h5-a-2.lock",
                          "s.h5-1-2.lockx", "s.h5-1-2-3.lock", "t.h5-1-2.lock",  "s.h5x-1-2.lock",
                          "s.h5--2.lock",   "s.h5-1-.lock",    "s.h5.lock.vm.12"};
    int ng = (int)(sizeof gone / sizeof *gone), nk = (int)(sizeof kept / sizeof *kept);
    for (int i = 0; i < ng + nk; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, i < ng ? gone[i] : kept[i - ng]);
        FILE *f = fopen(p, "w");
        long long offset = 0; /* the first as OMPIO leaves it, the rest empty */
        if (f && i == 0)
            fwrite(&offset, sizeof offset, 1, f);
        if (f)
            fclose(f);
    }
    /* a user's file of that name, not OMPIO's 8 bytes */
    snprintf(p, sizeof p, "%s/s.h5-2024-01.lock", dir);
    FILE *own = fopen(p, "w");
    if (own) {
        fputs("my notes about the January run\n", own);
        fclose(own);
    }
    CHECK(store_count_leftovers(st) == ng, "counted %d", ng);
    CHECK(store_remove_ompio_leftovers(st) == ng, "removed %d", ng);
    CHECK(access(p, F_OK) == 0, "kept a file of another size: %s", p);
    unlink(p);
    for (int i = 0; i < ng + nk; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, i < ng ? gone[i] : kept[i - ng]);
        CHECK((access(p, F_OK) == 0) == (i >= ng), "%s %s", i < ng ? "removed" : "kept",
              i < ng ? gone[i] : kept[i - ng]);
        unlink(p);
    }
    CHECK(store_remove_ompio_leftovers(st) == 0, "none left");
    CHECK(store_remove_ompio_leftovers("/nonexistent-dir/s.h5") == 0, "no directory: none");
    rmdir(dir);
}

/* What a sweep killed while taking the lock leaves: its own text under
 * STORE.lock.<host>.<pid>, or a dead holder's moved aside under
 * STORE.lock.stale.<host>.<pid>. Removed when dead (a reaped child's pid),
 * kept when alive (this process), misnamed, or another file. */
static void test_lock_leftovers(void)
{
    char dir[] = "/tmp/lesde_test_lockleftXXXXXX", st[64], p[160], host[256] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(st, sizeof st, "%s/s.h5", dir);
    gethostname(host, sizeof host - 1);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0); /* its pid: gone */
    long dead = (long)child, live = (long)getpid();
    struct {
        char name[96];
        long pid; /* in the text */
        int gone;
    } f[] = {{"", dead, 1}, {"", live, 0}, {"", dead, 1}, {"", dead, 0},
             {"", dead, 0}, {"", dead, 0}, {"", dead, 0}};
    snprintf(f[0].name, sizeof f[0].name, "s.h5.lock.%s.%ld", host, dead);
    snprintf(f[1].name, sizeof f[1].name, "s.h5.lock.%s.%ld", host, live);
    snprintf(f[2].name, sizeof f[2].name, "s.h5.lock.stale.%s.%ld", host, live);
    snprintf(f[3].name, sizeof f[3].name, "s.h5.lock.%s.%ld", host, dead + 1); /* not its pid */
    snprintf(f[4].name, sizeof f[4].name, "s.h5.lock.backup");
    snprintf(f[5].name, sizeof f[5].name, "t.h5.lock.%s.%ld", host, dead);
    snprintf(f[6].name, sizeof f[6].name, "s.h5.lock.stale.%ld", dead);
    int n = (int)(sizeof f / sizeof *f), ng = 0;
    char since[32]; /* now: after this process started, as a lock's is */
    time_t now = time(NULL);
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%.96s", dir, f[i].name);
        FILE *fp = fopen(p, "w");
        if (fp) {
            fprintf(fp, "host=%s\npid=%ld\nslurm_job=\nslurm_restart=0\nsince=%s\n", host, f[i].pid,
                    since);
            fclose(fp);
        }
        ng += f[i].gone;
    }
    char fifo[160]; /* a FIFO of such a name: not read (it would block), kept */
    snprintf(fifo, sizeof fifo, "%s/s.h5.lock.stale.fifo.1", dir);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    CHECK(store_count_leftovers(st) == ng, "counted %d", ng);
    CHECK(store_remove_lock_leftovers(st) == ng, "removed %d", ng);
    CHECK(access(fifo, F_OK) == 0, "kept the FIFO");
    unlink(fifo);
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%.96s", dir, f[i].name);
        CHECK((access(p, F_OK) != 0) == f[i].gone, "%s %s", f[i].gone ? "removed" : "kept",
              f[i].name);
        unlink(p);
    }
    CHECK(store_remove_lock_leftovers("/nonexistent-dir/s.h5") == 0, "no directory: none");
    rmdir(dir);
}

/* The lock, within one process: a second take is refused naming the
 * holder; a lock of a pid that is gone is taken over; a lock replaced
 * behind the holder's back is no longer its own. */
static void test_lock(void)
{
    const char *st = "/tmp/lesde_test_lock.h5";
    char lock[64], note[512], host[256] = "";
    snprintf(lock, sizeof lock, "%s.lock", st);
    unlink(lock);
    gethostname(host, sizeof host - 1);
    store_lock *a = NULL, *b = NULL;
    store_lock_info li;
    lesde_err e = {0};
    CHECK(store_lock_read(st, &li) == 0, "no lock yet");
    CHECK(store_lock_take(st, NULL, &a, note, sizeof note, &e) == 0 && a && !note[0], "take: %s",
          e.msg);
    CHECK(store_lock_read(st, &li) == 1 && li.alive && li.pid == (long)getpid() &&
              !strcmp(li.host, host) && !li.studies[0],
          "read: %s %ld [%s]", li.host, li.pid, li.studies);
    CHECK(store_lock_take(st, NULL, &b, note, sizeof note, &e) == LESDE_FAIL && !b &&
              strstr(e.msg, "in use by another sweep") && strstr(e.msg, host),
          "second take: %s", e.msg);
    CHECK(store_lock_refresh(a) == 0, "refresh (nothing to do yet)");
    store_lock_release(a);
    CHECK(access(lock, F_OK) != 0, "released");
    /* --study's names go into the lock; a list too long for it is left out
     * (then the sweep reads as one of all studies) */
    CHECK(store_lock_take(st, "p01,p23", &a, note, sizeof note, &e) == 0 && a, "take: %s", e.msg);
    CHECK(store_lock_read(st, &li) == 1 && li.alive && !strcmp(li.studies, "p01,p23"),
          "studies read back: [%s]", li.studies);
    store_lock_release(a);
    char many[STORE_LOCK_STUDIES + 8];
    memset(many, 'x', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    CHECK(store_lock_take(st, many, &a, note, sizeof note, &e) == 0 && a &&
              store_lock_read(st, &li) == 1 && li.alive && !li.studies[0],
          "too long a list: left out [%.20s]", li.studies);
    store_lock_release(a);
    many[STORE_LOCK_STUDIES - 1] = '\0'; /* the longest the lock holds */
    CHECK(store_lock_take(st, many, &a, note, sizeof note, &e) == 0 && a &&
              store_lock_read(st, &li) == 1 && li.alive && !strcmp(li.studies, many),
          "the longest list: kept (%zu characters read back)", strlen(li.studies));
    store_lock_release(a);
    /* a pid that is gone: a child that has exited */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    FILE *f = fopen(lock, "w");
    fprintf(f, "host=%s\npid=%ld\nslurm_job=\nslurm_restart=0\nsince=x\n", host, (long)child);
    fclose(f);
    CHECK(store_lock_read(st, &li) == 1 && !li.alive && strstr(li.why, "is gone"), "stale: %s",
          li.why);
    CHECK(store_lock_take(st, NULL, &a, note, sizeof note, &e) == 0 && a &&
              strstr(note, "took over the lock of a dead sweep"),
          "take over: %s", note);
    /* a pid reused: a running child, started after a lock of 2000 named its
     * pid (a reboot or a container's restart since), is not the holder; a
     * lock written after it started is its own */
    pid_t live = fork();
    if (live == 0) {
        pause();
        _exit(0);
    }
    for (int k = 0; k < 2; k++) {
        char since[32] = "2000-01-01T00:00:00Z";
        time_t now = time(NULL);
        if (k)
            strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        f = fopen(lock, "w");
        fprintf(f, "host=%s\npid=%ld\nslurm_job=\nslurm_restart=0\nsince=%s\n", host, (long)live,
                since);
        fclose(f);
        if (k)
            CHECK(store_lock_read(st, &li) == 1 && li.alive, "a lock its holder wrote: %s", li.why);
        else
            CHECK(store_lock_read(st, &li) == 1 && !li.alive && strstr(li.why, "started later"),
                  "a reused pid: %s", li.why);
    }
    kill(live, SIGKILL);
    waitpid(live, NULL, 0);
    /* another pid namespace (a container) on this host: its pid means
     * nothing here (pid 1 is alive here), so the age decides, as for a
     * lock of another host */
    for (int old = 0; old < 2; old++) {
        f = fopen(lock, "w");
        fprintf(f, "host=%s\npid=1\nslurm_job=\nslurm_restart=0\nsince=x\npidns=pid:[1]\n", host);
        fclose(f);
        struct timespec ts[2] = {{time(NULL) - 3 * STORE_LOCK_STALE, 0},
                                 {time(NULL) - 3 * STORE_LOCK_STALE, 0}};
        if (old)
            utimensat(AT_FDCWD, lock, ts, 0);
        CHECK(store_lock_read(st, &li) == 1 && li.alive == !old &&
                  (!old || strstr(li.why, "on another pid namespace")),
              "another pid namespace, %s: alive %d %s", old ? "not refreshed" : "fresh", li.alive,
              li.why);
    }
    /* replaced behind its back (taken over as stale by another host) */
    f = fopen(lock, "w");
    fprintf(f, "host=elsewhere\npid=1\nslurm_job=\nslurm_restart=0\nsince=x\n");
    fclose(f);
    CHECK(store_lock_read(st, &li) == 1 && li.alive, "fresh lock of another host: alive");
    store_lock_release(a); /* not ours: left in place */
    CHECK(access(lock, F_OK) == 0, "another's lock is not removed");
    unlink(lock);
}

/* Trains task i of s (tiny settings); 0 on success. */
static int train_task(const spec *s, long i, spec_task *t, train_result *r)
{
    lesde_err e = {0};
    train_config c;
    if (spec_task_get(s, i, t) || spec_task_train(s, t, &c))
        return -1;
    int rc = train_run(&c, r, &e);
    CHECK(rc == 0, "train task %ld: %s", i, e.msg);
    return rc;
}

/* A study's group records every key of its kind (docs/design.md: "a
 * study's fixed parameters are its group's attributes"): as an attribute,
 * or as an axis coordinate. Left out: seeds (the seed coordinate),
 * class_ids (recorded as class_ids whatever its source), rho or p_err (the
 * one given); data_dir is recorded only when given, as here. */
static void test_params_recorded(void)
{
    const char *path = "/tmp/lesde_test_params.h5";
    static const char *text = "[sweep]\nname = pr\nseeds = 0\n"
                              "[study.tr]\nkind = train\nclasses = 2\ndata_dir = /nowhere\n"
                              "checkpoints = 3, 5\nval_checkpoints = 2\nsnapshots = 1\n"
                              "[study.sd]\nkind = sde\nT = 10\n";
    spec s;
    if (new_store(path, text, &s))
        return;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    for (int i = 0; i < spec_n_keys; i++) {
        const spec_key_def *d = &spec_keys[i];
        const char *g = d->kind == SPEC_TRAIN ? "/study/tr" : "/study/sd";
        if (!strcmp(d->key, "seeds") || !strcmp(d->key, "class_ids") || !strcmp(d->key, "rho"))
            continue;
        char coord[300];
        snprintf(coord, sizeof coord, "%s/%s", g, d->key);
        int has = H5Aexists_by_name(f, g, d->key, H5P_DEFAULT) > 0 ||
                  H5Lexists(f, coord, H5P_DEFAULT) > 0;
        CHECK(has, "%s: key %s is neither an attribute nor an axis", g, d->key);
    }
    CHECK(H5Aexists_by_name(f, "/study/tr", "class_ids", H5P_DEFAULT) > 0, "class_ids");
    H5Fclose(f);
    spec_free(&s);
    unlink(path);
}

/* The claim behind same_over (fields.h): for every key listed, two values
 * of it give the same initial weights (fields_same_init) and the same SGD
 * draws (fields_same_order). Each listed key needs a row here. */
static void test_same_over(void)
{
    static const struct {
        const char *key, *values;
    } axes[] = {
        {"val_per_class", "5, 8"},   {"p_err", "0, 0.6"},         {"rho", "0.2, 1"},
        {"lr", "0.005, 0.02"},       {"checkpoints", "3, 5"},     {"spacing", "linear, log"},
        {"val_checkpoints", "0, 3"}, {"probe_per_class", "2, 4"}, {"snapshots", "1, 2"},
        {"fit", "true, false"},      {"sg_order", "2, 3"},        {"sg_window", "151, 9"},
        {"sim_window", "21, 5"},     {"tail_frac", "0.1, 0.5"},   {"plateau_factor", "10, 2"},
        {"ref_paths", "200, 3"},     {"ref_every", "0, 2"},       {"train_per_class", "6, 9"},
        {"iters", "30, 45"}};
    const int na = (int)(sizeof axes / sizeof axes[0]);
    const char *const *lists[2] = {fields_same_init, fields_same_order};
    for (int l = 0; l < 2; l++)
        for (const char *const *k = lists[l]; *k; k++) {
            int found = 0;
            for (int a = 0; a < na; a++)
                found |= !strcmp(axes[a].key, *k);
            CHECK(found, "same_over key %s has a row in test_same_over", *k);
        }
    for (int a = 0; a < na; a++) {
        /* tiny settings, the key under test an axis instead */
        static const char *const base[][2] = {{"train_per_class", "6"}, {"val_per_class", "5"},
                                              {"iters", "30"},          {"checkpoints", "4"},
                                              {"probe_per_class", "2"}, {"snapshots", "1"}};
        char text[600];
        int n = snprintf(text, sizeof text,
                         "[sweep]\nname = so\nseeds = 3\n[study.tr]\n"
                         "kind = train\nclasses = 2\n%s = %s\n",
                         axes[a].key, axes[a].values);
        for (size_t b = 0; b < sizeof base / sizeof base[0]; b++)
            if (strcmp(base[b][0], axes[a].key))
                n += snprintf(text + n, sizeof text - n, "%s = %s\n", base[b][0], base[b][1]);
        spec s;
        lesde_err e = {0};
        int rc = spec_parse(&s, text, "so", NULL, 0, &e);
        CHECK(rc == 0 && s.n_tasks == 2, "%s: spec: %s", axes[a].key, e.msg);
        if (rc)
            continue;
        spec_task t[2];
        train_result r[2];
        if (!train_task(&s, 0, &t[0], &r[0])) {
            if (!train_task(&s, 1, &t[1], &r[1])) {
                field f = {.same_over = fields_same_init};
                int init_same =
                    r[0].n_params == r[1].n_params &&
                    !memcmp(r[0].init_params, r[1].init_params, sizeof(double) * r[0].n_params);
                long n0 = r[0].t[r[0].C - 1], n1 = r[1].t[r[1].C - 1];
                int order_same =
                    n0 == n1 && !memcmp(r[0].sample_index, r[1].sample_index, sizeof(int) * n0);
                /* listed: the same; the three kept here: they differ */
                CHECK(init_same == !field_has_axis(&f, axes[a].key), "%s: init %s", axes[a].key,
                      init_same ? "the same" : "differs");
                f.same_over = fields_same_order;
                CHECK(order_same == !field_has_axis(&f, axes[a].key), "%s: sample order %s",
                      axes[a].key, order_same ? "the same" : "differs");
                train_result_free(&r[1]);
            }
            train_result_free(&r[0]);
        }
        spec_free(&s);
    }
}

/* A grid over p_err, lr and iters: the initial weights keep only the seed
 * axis, sample_index iters and the seed; every task writes its slot (the
 * same bytes as the other tasks of it), and each reads back its own. */
static void test_shared_slots(void)
{
    const char *path = "/tmp/lesde_test_shared.h5";
    unlink(path);
    static const char *text = "[sweep]\nname = sh\nseeds = 0..1\n"
                              "[study.tr]\nkind = train\nclasses = 2\ntrain_per_class = 6\n"
                              "val_per_class = 5\niters = 20, 30\ncheckpoints = 3\n"
                              "probe_per_class = 2\nsnapshots = 1\np_err = 0, 0.5\n"
                              "lr = 0.005, 0.01\nfit = false\n";
    spec s;
    lesde_err e = {0};
    CHECK(spec_parse(&s, text, "sh", NULL, 0, &e) == 0 && s.n_tasks == 16, "spec: %s", e.msg);
    store_opts so = {.comm = MPI_COMM_NULL};
    store *st = NULL;
    CHECK(store_create(path, &s, &so, &st, &e) == 0, "create: %s", e.msg);
    train_result r[16];
    int ok = 1;
    for (long i = 0; i < 16 && st; i++) {
        spec_task t;
        ok &= !train_task(&s, i, &t, &r[i]) && store_write_train(st, &t, &r[i], 1, 0, &e) == 0;
    }
    CHECK(ok, "16 tasks written: %s", e.msg);
    CHECK(st && store_close(st, &e) == 0, "close: %s", e.msg);
    if (!ok) {
        spec_free(&s);
        return;
    }
    store_array si, w;
    CHECK(store_read_array(path, "tr", "sample_index", &si, &e) == 0 && si.ndim == 3 &&
              si.dims[0] == 2 && si.dims[1] == 2 && si.dims[2] == 30,
          "sample_index [iters][seed][iteration]: %s", e.msg);
    CHECK(store_read_array(path, "tr", "init/fc2.weight", &w, &e) == 0 && w.ndim == 3 &&
              w.dims[0] == 2 && w.dims[1] == 84 && w.dims[2] == 120,
          "init [seed][out][in]: %s", e.msg);
    int eq = 1;
    long off = 6 * 25 + 6 + 16 * 6 * 25 + 16 + 120 * 400 + 120; /* fc2.weight's offset */
    for (long i = 0; i < 16 && si.data && w.data; i++) {
        spec_task t;
        spec_task_get(&s, i, &t);
        int ai = -1;
        for (int a = 0; a < s.studies[0].n_axes; a++)
            if (!strcmp(s.studies[0].axes[a].key, "iters"))
                ai = a;
        long it = spec_point_coord(&s.studies[0], t.point, ai), n = r[i].t[r[i].C - 1];
        const double *row = si.data + (it * 2 + t.seed_index) * 30;
        for (long k = 0; k < 30; k++)
            eq &= row[k] == (k < n ? r[i].sample_index[k] : -1);
        eq &= same(w.data + t.seed_index * 84 * 120, r[i].init_params + off, 84 * 120);
    }
    CHECK(eq, "every task's sample_index and initial weights read back");
    store_array_free(&si);
    store_array_free(&w);
    /* A layout 2 store has every axis on them: a sweep resumes it and
     * writes each task's own slot there. */
    const spec_study *ss = &s.studies[0];
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "layout_version", H5P_DEFAULT);
    int two = 2;
    H5Awrite(a, H5T_NATIVE_INT, &two);
    H5Aclose(a);
    H5Ldelete(f, "/study/tr/sample_index", H5P_DEFAULT);
    hsize_t full[SPEC_MAX_AXES + 2];
    int nd = 0;
    for (int x = 0; x < ss->n_axes; x++)
        full[nd++] = ss->axes[x].n;
    full[nd++] = ss->n_seeds;
    full[nd++] = 30;
    hid_t sp = H5Screate_simple(nd, full, NULL);
    hid_t d = H5Dcreate2(f, "/study/tr/sample_index", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    CHECK(store_open(path, &s, &so, &st, &e) == 0, "layout 2 resumes: %s", e.msg);
    spec_task t5;
    spec_task_get(&s, 5, &t5);
    CHECK(st && store_write_train(st, &t5, &r[5], 1, 0, &e) == 0, "write into layout 2: %s", e.msg);
    CHECK(st && store_close(st, &e) == 0, "close: %s", e.msg);
    CHECK(store_read_array(path, "tr", "sample_index", &si, &e) == 0 && si.ndim == nd,
          "full sample_index: %s", e.msg);
    eq = si.data != NULL;
    long n5 = r[5].t[r[5].C - 1];
    for (long k = 0; eq && k < 30; k++) /* task 5's slot: its id, in the full layout */
        eq = si.data[5 * 30 + k] == (k < n5 ? r[5].sample_index[k] : -1);
    CHECK(eq, "task 5's sample_index in its own slot of the full layout");
    store_array_free(&si);
    for (long i = 0; i < 16; i++)
        train_result_free(&r[i]);
    spec_free(&s);
    unlink(path);
}

int main(void)
{
    const char *path = "/tmp/lesde_test_store.h5";
    unlink(path);
    spec s;
    lesde_err e = {0};
    int rc = spec_parse(&s, spec_a, "test", NULL, 0, &e);
    CHECK(rc == 0, "spec: %s", e.msg);
    if (rc)
        return check_done("test_store");
    CHECK(s.n_tasks == 4, "tasks %ld", s.n_tasks);
    store_opts so = {.comm = MPI_COMM_NULL};
    store *st = NULL;
    rc = store_create(path, &s, &so, &st, &e);
    CHECK(rc == 0, "create: %s", e.msg);
    /* Task 3: K = 3, seed 1. */
    spec_task t;
    spec_task_get(&s, 3, &t);
    train_config c;
    spec_task_train(&s, &t, &c);
    CHECK(c.k == 3 && c.seed == 1, "task 3 is K=3 seed 1 (k %d seed %llu)", c.k,
          (unsigned long long)c.seed);
    train_result r;
    rc = train_run(&c, &r, &e);
    CHECK(rc == 0, "train: %s", e.msg);
    rc = store_write_train(st, &t, &r, 1.5, 0, &e);
    CHECK(rc == 0, "write: %s", e.msg);
    spec_task t0;
    spec_task_get(&s, 0, &t0);
    rc = store_write_failed(st, &t0, "diverged at iteration 7", 0.1, 0, &e);
    CHECK(rc == 0, "write failed: %s", e.msg);
    CHECK(store_close(st, &e) == 0, "close: %s", e.msg);

    /* Reading back: [classes=2][seed=2][C][Kmax][Kmax]; task 3 is [1][1]. */
    store_array a;
    CHECK(store_read_array(path, "tr", "xbar_val", &a, &e) == 0, "read: %s", e.msg);
    CHECK(a.ndim == 5 && a.dims[0] == 2 && a.dims[1] == 2 && a.dims[2] == 11 &&
              a.dims[3] == 3 && a.dims[4] == 3, "xbar_val shape");
    long per = 11 * 9;
    CHECK(same(a.data + 3 * per, r.xbar_val, per), "xbar_val of task 3 reads back equal");
    CHECK(isnan(a.data[0]), "unwritten slots are NaN");
    store_array_free(&a);
    CHECK(store_read_array(path, "tr", "sample_index", &a, &e) == 0, "read: %s", e.msg);
    int eq = a.dims[2] == 200;
    for (int i = 0; eq && i < 200; i++)
        eq = a.data[3 * 200 + i] == r.sample_index[i];
    CHECK(eq, "sample_index reads back equal");
    store_array_free(&a);
    CHECK(store_read_array(path, "tr", "init/fc3.weight", &a, &e) == 0, "read: %s", e.msg);
    CHECK(a.dims[2] == 3 && a.dims[3] == 84, "fc3 shape");
    long off = r.n_params - 3 * 84 - 3;
    CHECK(same(a.data + 3 * 252, r.init_params + off, 252), "initial fc3.weight equal");
    store_array_free(&a);
    /* fit/rd_plateau [classes][seed][sim][C][K]: task 3's L-est/L-ODE curve */
    CHECK(store_read_array(path, "tr", "fit/rd_plateau", &a, &e) == 0, "read rd: %s", e.msg);
    CHECK(a.ndim == 5 && a.dims[2] == LE_NUM_SIMS, "rd_plateau shape");
    CHECK(same(a.data + 3 * LE_NUM_SIMS * 11 * 3 + LE_SIM_L_UNDER_L * 11 * 3,
               r.fit.rd[LE_VAR_PLATEAU][LE_SIM_L_UNDER_L], 33),
          "L-model plateau RD equal");
    store_array_free(&a);
    CHECK(store_read_array(path, "tr", "fit/tail", &a, &e) == 0, "read tail: %s", e.msg);
    CHECK(same(a.data + 3 * 6, &r.fit.tail[0][0], 6), "tail indices equal");
    store_array_free(&a);
    CHECK(store_read_array(path, "tr", "status", &a, &e) == 0, "status");
    CHECK(a.data[0] == STORE_FAILED && a.data[1] == STORE_PENDING && a.data[3] == STORE_DONE,
          "status %g %g %g", a.data[0], a.data[1], a.data[3]);
    store_array_free(&a);
    char *msgs = NULL;
    long nm = 0;
    CHECK(store_read_messages(path, "tr", &msgs, &nm, &e) == 0 && nm == 4, "messages");
    CHECK(msgs && !strcmp(msgs, "diverged at iteration 7"), "message of task 0");
    free(msgs);
    test_layout(path);
    test_old_layout(path, &s);
    test_other_version(path);

    /* Reopening with the same spec works; another spec is refused. */
    CHECK(store_open(path, &s, &so, &st, &e) == 0, "reopen: %s", e.msg);
    int8_t status[4];
    CHECK(store_read_status(st, status, &e) == 0 && status[3] == STORE_DONE, "status via open");
    store_close(st, NULL);
    spec s2;
    char *other = strdup(spec_a);
    other[strlen(other) - 2] = '3'; /* snapshots = 3 */
    CHECK(spec_parse(&s2, other, "test2", NULL, 0, &e) == 0, "spec2: %s", e.msg);
    rc = store_open(path, &s2, &so, &st, &e);
    CHECK(rc == LESDE_USAGE && strstr(e.msg, "another spec"), "mismatch refused: %s", e.msg);
    spec_free(&s2);
    free(other);

    /* Summaries: one done seed at [K=3]: mean equals it, n = 1, std NaN. */
    CHECK(store_summarize(path, &e) == 0, "summarize: %s", e.msg);
    CHECK(store_read_array(path, "tr", "summary/mean/final_val_acc", &a, &e) == 0, "mean");
    CHECK(a.ndim == 1 && a.dims[0] == 2 && a.data[1] == r.final_val_acc, "mean of one seed");
    store_array_free(&a);
    CHECK(store_read_array(path, "tr", "summary/n/val_acc", &a, &e) == 0, "n");
    CHECK(a.data[11] == 1 && a.data[0] == 0, "counts %g %g", a.data[11], a.data[0]);
    store_array_free(&a);

    /* Foreign and damaged files. */
    FILE *f = fopen("/tmp/lesde_test_garbage.h5", "w");
    fputs("not hdf5", f);
    fclose(f);
    CHECK(store_open("/tmp/lesde_test_garbage.h5", &s, &so, &st, &e) == LESDE_USAGE &&
              strstr(e.msg, "not an HDF5"), "garbage: %s", e.msg);
    /* A truncated store: refused, saying so. */
    const char *cut = "/tmp/lesde_test_cut.h5";
    copy_file(path, cut, 4096);
    char *text = NULL, hash[17];
    CHECK(store_read_spec(cut, &text, hash, &e) == LESDE_FAIL && strstr(e.msg, "truncated") &&
              !text, "truncated, read: %s", e.msg);
    CHECK(store_open(cut, &s, &so, &st, &e) == LESDE_FAIL && strstr(e.msg, "truncated"),
          "truncated, open: %s", e.msg);
    unlink(cut);
    /* lesde's attribute names as arrays: their reader overflowed its buffer
     * (found with tests/e2e/store_faults.sh's h5py impostor). */
    const char *imp = "/tmp/lesde_test_impostor.h5";
    write_impostor(imp);
    text = NULL;
    CHECK(store_read_spec(imp, &text, hash, &e) != LESDE_OK && !text, "impostor read: %s",
          e.msg);
    CHECK(store_open(imp, &s, &so, &st, &e) == LESDE_USAGE && strstr(e.msg, "not a lesde store"),
          "impostor open: %s", e.msg);
    spec si;
    CHECK(store_load_spec(imp, &si, &e) == LESDE_USAGE && strstr(e.msg, "not a lesde store"),
          "impostor load: %s", e.msg);
    unlink(imp);
    /* A status dataset of another size than the spec's: store_read_status
     * read the whole dataset into a buffer of the spec's size. */
    const char *big = "/tmp/lesde_test_resized.h5";
    copy_file(path, big, -1);
    resize_status(big, 1000);
    CHECK(store_open(big, &s, &so, &st, &e) == LESDE_FAIL && strstr(e.msg, "damaged store") &&
              strstr(e.msg, "status"), "resized status: %s", e.msg);
    unlink(big);

    train_result_free(&r);
    spec_free(&s);
    unlink(path);
    unlink("/tmp/lesde_test_garbage.h5");
    test_fields_table();
    test_params_recorded();
    test_same_over();
    test_shared_slots();
    test_summaries();
    test_lock();
    test_ompio_leftovers();
    test_lock_leftovers();
    return check_done("test_store");
}
