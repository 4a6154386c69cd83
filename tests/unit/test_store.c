/* store: what a task wrote reads back equal to what was computed, the layout
 * (shapes, padding, scales), status handling, spec mismatch, summaries. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "spec/spec.h"
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
    return check_done("test_store");
}
