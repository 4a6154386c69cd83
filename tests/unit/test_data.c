/* Unit tests of src/data: GeoMNIST, label pollution, PNG grids, the IDX
 * reader and the Fashion-MNIST and CIFAR-10 loaders. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "core/mem.h"
#include "core/rng.h"
#include "data/data.h"
#include "data/internal.h"

#define PX (DATA_SIDE * DATA_SIDE)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int one_line(const lesde_err *e)
{
    return e->msg[0] && !strchr(e->msg, '\n');
}

/* The message is one line and names `what`. */
#define CHECK_MSG(e, what)                                                      \
    CHECK(one_line(&(e)) && strstr((e).msg, (what)), "message \"%s\" should name %s", \
          (e).msg, (what))

/* ---------------------------------------------------------------- kinds */

static void test_kinds(void)
{
    CHECK(data_kind_parse("geomnist") == DATA_GEOMNIST, "geomnist");
    CHECK(data_kind_parse("fashion-mnist") == DATA_FASHION_MNIST, "fashion-mnist");
    CHECK(data_kind_parse("cifar10") == DATA_CIFAR10, "cifar10");
    CHECK(data_kind_parse("mnist") == -1 && data_kind_parse(NULL) == -1, "unknown");
    for (int k = 0; k < 3; k++)
        CHECK(data_kind_parse(data_kind_name(k)) == k, "name round trip %d", k);
    CHECK(data_kind_channels(DATA_GEOMNIST) == 1 && data_kind_channels(DATA_FASHION_MNIST) == 1 &&
              data_kind_channels(DATA_CIFAR10) == 3, "channels");
    CHECK(data_kind_max_k(DATA_GEOMNIST) == 10 && data_kind_max_k(DATA_FASHION_MNIST) == 10 &&
              data_kind_max_k(DATA_CIFAR10) == 10,
          "max k");
    CHECK(strcmp(data_geomnist_name(0), "ellipse") == 0 &&
              strcmp(data_geomnist_name(1), "rectangle") == 0 &&
              strcmp(data_geomnist_name(2), "triangle") == 0 &&
              strcmp(data_geomnist_name(6), "disc") == 0 &&
              strcmp(data_geomnist_name(7), "frame") == 0 &&
              strcmp(data_geomnist_name(8), "offset") == 0 &&
              strcmp(data_geomnist_name(9), "halfoffset") == 0 &&
              strcmp(data_geomnist_name(10), "unknown") == 0,
          "shape names");
    CHECK(strcmp(data_default_dir(DATA_FASHION_MNIST), DATA_FASHION_MNIST_DIR) == 0, "fm dir");
    data_set ds;
    lesde_err e = {0};
    CHECK(data_alloc(&ds, 0, 1, 2, 2, 2, &e) == LESDE_USAGE && ds.x == NULL, "n = 0 refused");
    CHECK(data_alloc(&ds, 3, 1, 2, 2, 2, &e) == LESDE_OK && ds.n == 3 && ds.x, "alloc");
    data_free(&ds);
    CHECK(ds.x == NULL && ds.n == 0, "free zeroes");
    data_free(&ds); /* twice is harmless */
}

/* ------------------------------------------------------------- GeoMNIST */

static void class_means(const data_set *ds, double *mean /* [k][PX] */)
{
    memset(mean, 0, sizeof(double) * ds->k * PX);
    int cnt[DATA_MAX_K] = {0};
    for (int i = 0; i < ds->n; i++) {
        cnt[ds->label[i]]++;
        for (int p = 0; p < PX; p++)
            mean[ds->label[i] * PX + p] += ds->x[(size_t)i * PX + p];
    }
    for (int c = 0; c < ds->k; c++)
        for (int p = 0; p < PX; p++)
            mean[c * PX + p] /= cnt[c] ? cnt[c] : 1;
}

/* L2 distance of the mean images of classes c and d (class_means). */
static double mean_gap(const double *mean, int c, int d)
{
    double s = 0;
    for (int p = 0; p < PX; p++)
        s += (mean[c * PX + p] - mean[d * PX + p]) * (mean[c * PX + p] - mean[d * PX + p]);
    return sqrt(s);
}

#define GEO6_CRC 0xc16344deUL

static void test_geomnist(void)
{
    lesde_err e = {0};
    data_set a, b, v, s2;
    const int K = DATA_GEOMNIST_MAX_K, N = 500;
    double t0 = now();
    int rc = data_geomnist(&a, K, N, 42, RNG_DATA_TRAIN, &e);
    double dt = now() - t0;
    CHECK(rc == LESDE_OK, "geomnist: %s", e.msg);
    if (rc)
        return;
    /* Printed, not checked: its speed is a benchmark figure
     * (bench/compare.sh's lesde_task_data_seconds), not a test's. */
    printf("geomnist: %d x %d images in %.3f s\n", K, N, dt);
    CHECK(a.n == K * N && a.c == 1 && a.h == 32 && a.w == 32 && a.k == K, "shape %d %d %d %d %d",
          a.n, a.c, a.h, a.w, a.k);

    double lo = 1, hi = 0;
    int cnt[DATA_GEOMNIST_MAX_K] = {0}, bad_label = 0;
    for (size_t p = 0; p < (size_t)a.n * PX; p++) {
        lo = fmin(lo, a.x[p]);
        hi = fmax(hi, a.x[p]);
    }
    for (int i = 0; i < a.n; i++) {
        if (a.label[i] < 0 || a.label[i] >= K || a.train_label[i] != a.label[i])
            bad_label++;
        else
            cnt[a.label[i]]++;
    }
    /* The spline rotation of a binary mask rings a little (as the
     * reference's does); the blur smooths most of it away. */
    CHECK(lo >= -0.01 && hi <= 1.01, "pixels in [%g, %g]", lo, hi);
    CHECK(hi > 0.99, "shapes have full ink: max %g", hi);
    double corner = 0;
    for (int i = 0; i < a.n; i++)
        corner = fmax(corner, fabs(a.x[(size_t)i * PX]));
    CHECK(corner < 1e-6, "the background is 0: a corner pixel is %g", corner);
    CHECK(bad_label == 0, "%d bad labels", bad_label);
    for (int c = 0; c < K; c++)
        CHECK(cnt[c] == N, "class %d has %d samples", c, cnt[c]);

    /* Interleaved: the first 60 samples are not all of one class. */
    int first[DATA_GEOMNIST_MAX_K] = {0}, seen = 0;
    for (int i = 0; i < 60; i++)
        seen += !first[a.label[i]]++;
    CHECK(seen == K, "only %d classes among the first 60 samples", seen);

    /* Placed as in the reference: the symmetric shapes are centred on the
     * point (16, 16), which the rotation about (15.5, 15.5) carries around
     * 0.71 px from the frame's centre; the rectangle and the triangle are
     * shifted by up to 1 px each way and the triangle's centroid sits
     * 0.71 px right of its layout point. The offset ellipses are off the
     * centre by design: 7..9 px (8), 3..5 px (9). */
    double worst = 0, worst_sym = 0, off_lo[2] = {99, 99}, off_hi[2] = {0, 0};
    for (int i = 0; i < a.n; i++) {
        double m = 0, mx = 0, my = 0;
        for (int r = 0; r < 32; r++)
            for (int c = 0; c < 32; c++) {
                double v = a.x[(size_t)i * PX + r * 32 + c];
                m += v;
                mx += v * c;
                my += v * r;
            }
        double off = hypot(mx / m - 15.5, my / m - 15.5);
        if (a.label[i] >= 8) {
            off_lo[a.label[i] - 8] = fmin(off_lo[a.label[i] - 8], off);
            off_hi[a.label[i] - 8] = fmax(off_hi[a.label[i] - 8], off);
            continue;
        }
        worst = fmax(worst, off);
        if (a.label[i] != 1 && a.label[i] != 2)
            worst_sym = fmax(worst_sym, fabs(off - sqrt(0.5)));
    }
    CHECK(worst < 3.0, "a centre of mass is %.3f px off centre", worst);
    CHECK(off_lo[0] > 6.0 && off_hi[0] < 10.0, "the offset's centre of mass %.2f..%.2f px off",
          off_lo[0], off_hi[0]);
    CHECK(off_lo[1] > 2.0 && off_hi[1] < 6.0, "the halfoffset's centre of mass %.2f..%.2f px off",
          off_lo[1], off_hi[1]);

    /* Every shape fits the frame at every angle (the square frame's
     * corners come within 0.7 px of its edge at 45 degrees): little ink
     * on the border rows and columns. */
    double border[DATA_GEOMNIST_MAX_K] = {0};
    for (int i = 0; i < a.n; i++)
        for (int t = 0; t < 32; t++) {
            const double *x = a.x + (size_t)i * PX;
            double m = fmax(fmax(fabs(x[t]), fabs(x[31 * 32 + t])),
                            fmax(fabs(x[t * 32]), fabs(x[t * 32 + 31])));
            border[a.label[i]] = fmax(border[a.label[i]], m);
        }
    for (int c = 0; c < K; c++)
        CHECK(border[c] < 0.1, "class %d %s: ink %.3f on the border", c, data_geomnist_name(c),
              border[c]);
    CHECK(worst_sym < 0.05, "a symmetric shape's centre of mass is %.3f px off its place",
          worst_sym);

    /* Comparable ink, so total ink alone does not tell the classes apart. */
    double ink[DATA_GEOMNIST_MAX_K] = {0};
    for (int i = 0; i < a.n; i++)
        for (int p = 0; p < PX; p++)
            ink[a.label[i]] += a.x[(size_t)i * PX + p] / N;
    for (int c = 0; c < K; c++) {
        printf("  class %d %-9s mean ink %.1f\n", c, data_geomnist_name(c), ink[c]);
        CHECK(ink[c] > 110 && ink[c] < 240, "class %d ink %.1f", c, ink[c]);
    }

    /* Each class's mean image differs clearly from every other one. */
    double *mean = malloc(sizeof(double) * K * PX);
    if (!mean) {
        CHECK(0, "out of memory");
        data_free(&a);
        return;
    }
    class_means(&a, mean);
    double closest = 1e9;
    for (int c = 0; c < K; c++)
        for (int d = c + 1; d < K; d++) {
            double g = mean_gap(mean, c, d);
            closest = fmin(closest, g);
            CHECK(g > 1.0, "mean images of classes %d and %d differ by only %.3f", c, d, g);
        }
    printf("  closest pair of class-mean images: L2 %.2f\n", closest);

    /* Determinism by seed; seeds and purposes differ. */
    CHECK(data_geomnist(&b, K, N, 42, RNG_DATA_TRAIN, &e) == LESDE_OK, "%s", e.msg);
    CHECK(b.n == a.n && memcmp(a.x, b.x, sizeof(double) * a.n * PX) == 0 &&
              memcmp(a.label, b.label, sizeof(int) * a.n) == 0, "same seed, same bytes");
    data_free(&b);
    CHECK(data_geomnist(&b, K, N, 43, RNG_DATA_TRAIN, &e) == LESDE_OK, "%s", e.msg);
    CHECK(memcmp(a.x, b.x, sizeof(double) * a.n * PX) != 0, "seeds 42 and 43 give the same set");
    CHECK(memcmp(a.label, b.label, sizeof(int) * a.n) != 0, "seeds 42 and 43: same order");
    data_free(&b);
    CHECK(data_geomnist(&v, K, 20, 42, RNG_DATA_VAL, &e) == LESDE_OK, "%s", e.msg);
    /* No validation image is byte-equal to a training image; and the
     * classes are distinct: the nearest training image (pixel L2) of every
     * validation image is of its class. */
    int same = 0, right = 0;
    for (int i = 0; i < v.n; i++) {
        double best = 1e300;
        int best_label = -1;
        for (int j = 0; j < a.n; j++) {
            const double *p = v.x + (size_t)i * PX, *q = a.x + (size_t)j * PX;
            double d = 0;
            for (int t = 0; t < PX; t++)
                d += (p[t] - q[t]) * (p[t] - q[t]);
            same += d == 0.0;
            if (d < best) {
                best = d;
                best_label = a.label[j];
            }
        }
        right += best_label == v.label[i];
    }
    CHECK(same == 0, "%d validation images are training images", same);
    CHECK(right >= v.n * 95 / 100, "1-NN accuracy %d / %d", right, v.n);
    data_free(&v);

    /* Rotations spread evenly over [0, 176] degrees: the orientations of the
     * elongated shapes (principal axis, from second moments) fill every
     * 22.5-degree bin about equally. */
    for (int cls = 0; cls <= 5; cls += 5) {
        int bin[8] = {0};
        for (int i = 0; i < a.n; i++) {
            if (a.label[i] != cls)
                continue;
            double m = 0, mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
            const double *x = a.x + (size_t)i * PX;
            for (int r = 0; r < 32; r++)
                for (int c = 0; c < 32; c++) {
                    m += x[r * 32 + c];
                    mx += x[r * 32 + c] * c;
                    my += x[r * 32 + c] * r;
                }
            mx /= m;
            my /= m;
            for (int r = 0; r < 32; r++)
                for (int c = 0; c < 32; c++) {
                    double w = x[r * 32 + c];
                    sxx += w * (c - mx) * (c - mx);
                    syy += w * (r - my) * (r - my);
                    sxy += w * (c - mx) * (r - my);
                }
            double deg = 0.5 * atan2(2 * sxy, sxx - syy) * 180 / M_PI;
            deg = fmod(deg + 360.0, 180.0);
            bin[(int)(deg / 22.5) % 8]++;
        }
        int mn = N, mx = 0;
        for (int b = 0; b < 8; b++) {
            mn = bin[b] < mn ? bin[b] : mn;
            mx = bin[b] > mx ? bin[b] : mx;
        }
        CHECK(mn >= N / 16 && mx <= N / 4, "class %d orientations per 22.5-degree bin: %d..%d",
              cls, mn, mx);
    }

    /* The ring (4) and the disc (6) look the same at every angle: their
     * images vary by size alone, so they are the tightest classes (mean
     * squared distance to the class mean) and the disc, unlike the ring,
     * has a mean image near another shape's (the diamond's, 5). The frame
     * (7) is not round, but its mean image is as far from the filled
     * shapes' as the ring's (docs/plateau.md, section 5). */
    {
        double spread[DATA_GEOMNIST_MAX_K] = {0};
        for (int i = 0; i < a.n; i++)
            for (int p = 0; p < PX; p++) {
                double d = a.x[(size_t)i * PX + p] - mean[a.label[i] * PX + p];
                spread[a.label[i]] += d * d / N;
            }
        for (int c = 0; c < K; c++)
            printf("  class %d %-9s spread %.1f, mean image %.2f from the disc's\n", c,
                   data_geomnist_name(c), spread[c], mean_gap(mean, 6, c));
        for (int c = 0; c < K; c++)
            if (c != 4 && c != 6)
                CHECK(spread[c] > 1.5 * spread[4] && spread[4] > 1.5 * spread[6],
                      "spreads: class %d %.1f, ring %.1f, disc %.1f", c, spread[c], spread[4],
                      spread[6]);
        CHECK(mean_gap(mean, 6, 5) < 2.5 && mean_gap(mean, 6, 4) > 8.0,
              "disc from the diamond %.2f, ring %.2f", mean_gap(mean, 6, 5), mean_gap(mean, 6, 4));
        /* From the five filled shapes (0-3, 5): the frame (7) far; the
         * offset ellipse (8), filled, as far (9.4-10.8 at 2,000 a class);
         * the halfoffset (9) between (4.9-6.6). */
        static const struct {
            int cls;
            double lo, hi;
        } far[] = {{7, 8.0, INFINITY}, {8, 8.5, INFINITY}, {9, 4.3, 7.5}};
        for (int f = 0; f < 3; f++)
            for (int c = 0; c < 6; c++) {
                double g = mean_gap(mean, far[f].cls, c);
                if (c != 4)
                    CHECK(g > far[f].lo && g < far[f].hi,
                          "the %s's mean image %.2f from class %d's",
                          data_geomnist_name(far[f].cls), g, c);
            }
        /* and the offset nearer the outlines (ring 8.1, frame 7.2) */
        CHECK(mean_gap(mean, 8, 7) < mean_gap(mean, 8, 1) - 1.0,
              "the offset's mean image nearer the frame's (%.2f) than any filled shape's (%.2f)",
              mean_gap(mean, 8, 7), mean_gap(mean, 8, 1));
    }

    /* A shape's images do not depend on which other shapes are asked for:
     * shapes {4, 1} as labels 0, 1 have the means of classes 4 and 1 above. */
    int ids[2] = {4, 1};
    CHECK(data_geomnist_ids(&s2, 2, ids, N, 42, RNG_DATA_TRAIN, &e) == LESDE_OK, "%s", e.msg);
    if (s2.n) {
        double *m2 = malloc(sizeof(double) * 2 * PX);
        if (m2) {
            class_means(&s2, m2);
            double d0 = 0, d1 = 0;
            for (int p = 0; p < PX; p++) {
                d0 = fmax(d0, fabs(m2[p] - mean[4 * PX + p]));
                d1 = fmax(d1, fabs(m2[PX + p] - mean[1 * PX + p]));
            }
            CHECK(d0 < 1e-12 && d1 < 1e-12, "class ids {4, 1}: mean differs by %g, %g", d0, d1);
            free(m2);
        }
        data_free(&s2);
    }
    free(mean);

    /* data_load: GeoMNIST training set from RNG_DATA_TRAIN, validation set
     * from RNG_DATA_VAL, both of the request's seed. */
    {
        data_request req = {.kind = DATA_GEOMNIST, .k = 3, .train_per_class = 7,
                            .val_per_class = 5, .seed = 11};
        data_set tr, va, t2, v2;
        CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
        CHECK(data_geomnist(&t2, 3, 7, 11, RNG_DATA_TRAIN, &e) == LESDE_OK, "%s", e.msg);
        CHECK(data_geomnist(&v2, 3, 5, 11, RNG_DATA_VAL, &e) == LESDE_OK, "%s", e.msg);
        CHECK(tr.n == 21 && va.n == 15 && t2.n == 21 && v2.n == 15 &&
                  memcmp(tr.x, t2.x, sizeof(double) * 21 * PX) == 0 &&
                  memcmp(va.x, v2.x, sizeof(double) * 15 * PX) == 0 &&
                  memcmp(va.label, v2.label, sizeof(int) * 15) == 0,
              "data_load geomnist differs from data_geomnist");
        data_free(&tr);
        data_free(&va);
        data_free(&t2);
        data_free(&v2);
        req.k = 11;
        CHECK(data_load(&req, &tr, &va, &e) == LESDE_USAGE && tr.x == NULL && va.x == NULL,
              "data_load k = 11 accepted");
    }

    /* Write the PNG to look at. */
    CHECK(data_write_png(&a, "/tmp/geomnist.png", 0, 12, &e) == LESDE_OK, "png: %s", e.msg);
    data_free(&a);

    /* Bad requests. */
    CHECK(data_geomnist(&a, 11, 10, 1, RNG_DATA_TRAIN, &e) == LESDE_USAGE, "k = 11 accepted");
    CHECK(one_line(&e) && strstr(e.msg, "1..10"), "message: %s", e.msg);
    CHECK(data_geomnist(&a, 3, 0, 1, RNG_DATA_TRAIN, &e) == LESDE_USAGE, "0 per class accepted");
    int dup[2] = {2, 2};
    CHECK(data_geomnist_ids(&a, 2, dup, 5, 1, RNG_DATA_TRAIN, &e) == LESDE_USAGE,
          "duplicate ids accepted");
    CHECK(a.x == NULL, "set left allocated after an error");

    /* The first six shapes' images and order are the bytes they were
     * before the disc and the frame came (CRC-32 of a K = 6 set, seed
     * 42; lesde data at acdbb9f gives the same): every reference run was made
     * from them, so a change to the generator must be deliberate. */
    CHECK(data_geomnist(&a, 6, 20, 42, RNG_DATA_TRAIN, &e) == LESDE_OK, "%s", e.msg);
    if (a.x) {
        uLong crc = crc32(0L, (const Bytef *)a.x, (uInt)(sizeof(double) * a.n * PX));
        crc = crc32(crc, (const Bytef *)a.label, (uInt)(sizeof(int) * a.n));
        printf("  geomnist K = 6, 20 per class, seed 42: CRC-32 %08lx\n", (unsigned long)crc);
        CHECK(crc == GEO6_CRC, "the six shapes' bytes changed: CRC-32 %08lx, was %08lx",
              (unsigned long)crc, (unsigned long)GEO6_CRC);
        data_free(&a);
    }

    /* One-sample classes work (angle 0). */
    CHECK(data_geomnist(&a, 8, 1, 5, RNG_DATA_VAL, &e) == LESDE_OK && a.n == 8, "%s", e.msg);
    data_free(&a);
}

/* GeoMNIST's steps one by one: masks, the spline rotation, the blur. */
static void test_geomnist_steps(void)
{
    double img[PX], in[PX], out[PX], f[PX];
    static data_geo_px plan[PX];

    /* Mask areas (pixels): the rectangle is 9 x 17 wherever it is shifted;
     * the ellipse and the triangle are within 8% of pi a b and b h / 2
     * (pixel centres on a lattice). */
    double want[3][2] = {{M_PI * 5 * 10, M_PI * 7 * 14}, {153, 153}, {218.6, 218.6}};
    for (int s = 0; s < 3; s++)
        for (int end = 0; end < 2; end++) {
            data_geo_mask(img, s, end ? 0.999 : 0.0);
            double area = 0;
            for (int p = 0; p < PX; p++)
                area += img[p];
            CHECK(fabs(area - want[s][end]) <= 0.08 * want[s][end], "shape %d u %d: area %g vs %g",
                  s, end, area, want[s][end]);
        }

    /* The B-spline interpolates: rotations by multiples of 90 degrees map
     * pixel centres onto pixel centres and must move values exactly
     * (1e-12), whatever the image. */
    uint64_t x = 88172645463325252ull;
    for (int p = 0; p < PX; p++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        f[p] = (double)(x >> 11) / 9007199254740992.0;
    }
    for (int q = 0; q < 4; q++) {
        memcpy(in, f, sizeof in);
        data_geo_rotation(90.0 * q, plan);
        data_geo_rotate_by(in, out, plan);
        double worst = 0;
        for (int r = 0; r < 32; r++)
            for (int c = 0; c < 32; c++) {
                /* Counter-clockwise as displayed: out(r, c) = f(src). */
                int sr = r, sc = c;
                for (int t = 0; t < q; t++) {
                    int nr = sc, nc = 31 - sr;
                    sr = nr;
                    sc = nc;
                }
                worst = fmax(worst, fabs(out[r * 32 + c] - f[sr * 32 + sc]));
            }
        CHECK(worst < 1e-12, "rotation by %d degrees moves a value off by %g", 90 * q, worst);
    }

    /* A smooth image (Gaussian bump, sigma 2.5, off-centre) rotated by 30
     * degrees matches the bump drawn rotated to 1% of its peak (cubic
     * spline error at this smoothness); and mass is kept to 1e-3. */
    const double th = 30.0 * M_PI / 180.0, br = 10.0, bc = 19.0, sg = 2.5;
    double worst = 0, m_in = 0, m_out = 0;
    for (int r = 0; r < 32; r++)
        for (int c = 0; c < 32; c++)
            m_in += in[r * 32 + c] =
                exp(-((r - br) * (r - br) + (c - bc) * (c - bc)) / (2 * sg * sg));
    data_geo_rotation(30.0, plan);
    data_geo_rotate_by(in, out, plan);
    for (int r = 0; r < 32; r++)
        for (int c = 0; c < 32; c++) {
            double dr = r - 15.5, dc = c - 15.5;
            double sr = 15.5 + cos(th) * dr + sin(th) * dc, sc = 15.5 - sin(th) * dr + cos(th) * dc;
            double g = exp(-((sr - br) * (sr - br) + (sc - bc) * (sc - bc)) / (2 * sg * sg));
            worst = fmax(worst, fabs(out[r * 32 + c] - g));
            m_out += out[r * 32 + c];
        }
    CHECK(worst < 0.01, "smooth bump rotated by 30 degrees: off by %g", worst);
    CHECK(fabs(m_out - m_in) < 1e-3 * m_in, "rotation changed the mass %g -> %g", m_in, m_out);

    /* Blur: a constant image stays constant (reflected edges); a point in
     * the middle becomes the normalised Gaussian of radius 4. */
    for (int p = 0; p < PX; p++)
        img[p] = 0.7;
    data_geo_blur(img, 1.0);
    worst = 0;
    for (int p = 0; p < PX; p++)
        worst = fmax(worst, fabs(img[p] - 0.7));
    CHECK(worst < 1e-12, "blur of a constant image: off by %g", worst);
    memset(img, 0, sizeof img);
    img[16 * 32 + 16] = 1.0;
    data_geo_blur(img, 1.0);
    double norm = 0;
    for (int d = -4; d <= 4; d++)
        norm += exp(-0.5 * d * d);
    worst = 0;
    for (int r = 0; r < 32; r++)
        for (int c = 0; c < 32; c++) {
            int dr = r - 16, dc = c - 16;
            double g = abs(dr) <= 4 && abs(dc) <= 4
                           ? exp(-0.5 * (dr * dr + dc * dc)) / (norm * norm)
                           : 0.0;
            worst = fmax(worst, fabs(img[r * 32 + c] - g));
        }
    CHECK(worst < 1e-15, "blur of a point: off by %g", worst);
}

/* ------------------------------------------------------------ pollution */

/* A set with class c holding 40 + 7c samples (uneven sizes), labels
 * interleaved, 1x1 images. */
static int toy_set(data_set *ds, int k)
{
    int n = 0;
    for (int c = 0; c < k; c++)
        n += 40 + 7 * c;
    lesde_err e;
    if (data_alloc(ds, n, 1, 1, 1, k, &e))
        return -1;
    int fill[DATA_MAX_K] = {0}, i = 0;
    while (i < n)
        for (int c = 0; c < k && i < n; c++)
            if (fill[c] < 40 + 7 * c) {
                fill[c]++;
                ds->label[i] = c;
                ds->train_label[i] = c;
                ds->x[i] = c;
                i++;
            }
    return 0;
}

/* Checks exact counts and an even spread per class; returns failures. */
static int pollution_bad(const data_set *ds, double p)
{
    int to[DATA_MAX_K][DATA_MAX_K] = {{0}}, nc[DATA_MAX_K] = {0}, bad = 0;
    for (int i = 0; i < ds->n; i++) {
        if (ds->train_label[i] < 0 || ds->train_label[i] >= ds->k)
            return 1;
        nc[ds->label[i]]++;
        to[ds->label[i]][ds->train_label[i]]++;
    }
    for (int c = 0; c < ds->k; c++) {
        int mn = ds->n, mx = 0;
        for (int d = 0; d < ds->k; d++)
            if (d != c) {
                mn = to[c][d] < mn ? to[c][d] : mn;
                mx = to[c][d] > mx ? to[c][d] : mx;
            }
        bad += nc[c] - to[c][c] != lround(p * nc[c]) || mx - mn > 1;
    }
    return bad;
}

static void test_pollute(void)
{
    const int ks[] = {2, 3, 5, 6};
    const double ps[] = {0, 0.1, 1.0 / 3, 2.0 / 3, 0.8, 1};
    lesde_err e = {0};
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
        for (size_t pi = 0; pi < sizeof ps / sizeof *ps; pi++) {
            int k = ks[ki];
            double p = ps[pi];
            data_set ds;
            if (toy_set(&ds, k)) {
                CHECK(0, "out of memory");
                return;
            }
            int *clean = malloc(sizeof(int) * ds.n);
            if (!clean) {
                data_free(&ds);
                CHECK(0, "out of memory");
                return;
            }
            memcpy(clean, ds.label, sizeof(int) * ds.n);
            CHECK(data_pollute(&ds, p, 7, &e) == LESDE_OK, "pollute: %s", e.msg);
            CHECK(memcmp(clean, ds.label, sizeof(int) * ds.n) == 0, "clean labels changed");
            int to[DATA_MAX_K][DATA_MAX_K] = {{0}}, nc[DATA_MAX_K] = {0}, oob = 0;
            for (int i = 0; i < ds.n; i++) {
                nc[ds.label[i]]++;
                if (ds.train_label[i] < 0 || ds.train_label[i] >= k)
                    oob++;
                else
                    to[ds.label[i]][ds.train_label[i]]++;
            }
            CHECK(oob == 0, "%d training labels out of range", oob);
            for (int c = 0; c < k; c++) {
                long m = lround(p * nc[c]);
                int moved = nc[c] - to[c][c], mn = ds.n, mx = 0;
                for (int d = 0; d < k; d++)
                    if (d != c) {
                        mn = to[c][d] < mn ? to[c][d] : mn;
                        mx = to[c][d] > mx ? to[c][d] : mx;
                    }
                CHECK(moved == m, "K=%d p=%.3f class %d: %d polluted, expected %ld", k, p, c,
                      moved, m);
                CHECK(mx - mn <= 1, "K=%d p=%.3f class %d: spread %d..%d over the others", k, p,
                      c, mn, mx);
            }
            /* Deterministic, and a second call starts over from clean labels. */
            int *first = malloc(sizeof(int) * ds.n);
            if (first) {
                memcpy(first, ds.train_label, sizeof(int) * ds.n);
                data_pollute(&ds, p, 7, &e);
                CHECK(memcmp(first, ds.train_label, sizeof(int) * ds.n) == 0,
                      "same seed, different pollution");
                if (p > 0.05 && p < 0.95) {
                    data_pollute(&ds, p, 8, &e);
                    CHECK(memcmp(first, ds.train_label, sizeof(int) * ds.n) != 0,
                          "seeds 7 and 8 pollute the same samples (K=%d p=%.3f)", k, p);
                    CHECK(pollution_bad(&ds, p) == 0, "re-polluted set has wrong counts (K=%d "
                          "p=%.3f): pollution must start from the clean labels", k, p);
                }
                free(first);
            }
            free(clean);
            data_free(&ds);
        }

    /* The remainder goes to randomly chosen classes: with 5 moved out of a
     * class over 2 others, either other class gets the 3 for some seed. */
    int got3[3] = {0};
    for (uint64_t seed = 0; seed < 40; seed++) {
        data_set ds;
        if (data_alloc(&ds, 30, 1, 1, 1, 3, &e))
            break;
        for (int i = 0; i < 30; i++)
            ds.label[i] = ds.train_label[i] = i % 3;
        data_pollute(&ds, 0.5, seed, &e);
        int to[3] = {0};
        for (int i = 0; i < 30; i++)
            if (ds.label[i] == 0)
                to[ds.train_label[i]]++;
        if (to[1] == 3)
            got3[1]++;
        if (to[2] == 3)
            got3[2]++;
        data_free(&ds);
    }
    CHECK(got3[1] > 5 && got3[2] > 5, "remainder went to class 1 %d times, class 2 %d times",
          got3[1], got3[2]);

    /* p_err = 1 with K = 2 flips every label. */
    data_set ds;
    if (!toy_set(&ds, 2)) {
        CHECK(data_pollute(&ds, 1.0, 3, &e) == LESDE_OK, "%s", e.msg);
        int same = 0;
        for (int i = 0; i < ds.n; i++)
            same += ds.train_label[i] == ds.label[i];
        CHECK(same == 0, "%d labels not flipped at p_err = 1, K = 2", same);
        CHECK(data_pollute(&ds, 1.5, 3, &e) == LESDE_USAGE && strstr(e.msg, "p_err"),
              "p_err 1.5 accepted");
        CHECK(data_pollute(&ds, NAN, 3, &e) == LESDE_USAGE, "p_err NaN accepted");
        CHECK(data_pollute(&ds, -0.1, 3, &e) == LESDE_USAGE, "p_err -0.1 accepted");
        data_free(&ds);
    }
}

/* ------------------------------------------------------------------ PNG */

/* Reads the PNG signature and the IHDR fields of a file. */
static int png_header(const char *path, unsigned *w, unsigned *h, int *color)
{
    unsigned char b[26];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < sizeof b || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return -1;
    *w = (unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
    *color = b[25];
    return 0;
}

static void test_png(const char *tmp)
{
    lesde_err e = {0};
    unsigned w = 0, h = 0;
    int color = -1;
    /* /tmp/geomnist.png was written by test_geomnist: 10 rows x 12 columns. */
    CHECK(png_header("/tmp/geomnist.png", &w, &h, &color) == 0, "no PNG at /tmp/geomnist.png");
    CHECK(w == 12 * 64 + 11 && h == 10 * 64 + 9 && color == 0, "geomnist.png is %ux%u color %d", w,
          h, color);

    data_set ds;
    char path[512];
    snprintf(path, sizeof path, "%s/rgb.png", tmp);
    if (data_alloc(&ds, 6, 3, 32, 32, 3, &e) == LESDE_OK) {
        for (int i = 0; i < 6; i++) {
            ds.label[i] = ds.train_label[i] = i % 3;
            for (int p = 0; p < 3 * PX; p++)
                ds.x[(size_t)i * 3 * PX + p] = (p / PX == i % 3) ? 1.0 : -1.0;
        }
        ds.x[7] = NAN; /* drawn black: no cast of a NaN (UBSan's float-cast-overflow) */
        CHECK(data_write_png(&ds, path, 2, 4, &e) == LESDE_OK, "rgb png: %s", e.msg);
        CHECK(png_header(path, &w, &h, &color) == 0 && w == 4 * 64 + 3 && h == 2 * 64 + 1 &&
                  color == 2, "rgb png is %ux%u color %d", w, h, color);
        unlink(path);
        CHECK(data_write_png(&ds, "/nonexistent-dir/x.png", 0, 4, &e) == LESDE_FAIL,
              "unwritable path accepted");
        CHECK_MSG(e, "/nonexistent-dir/x.png");
        CHECK(data_write_png(&ds, path, 0, 0, &e) == LESDE_USAGE, "0 columns accepted");
        data_free(&ds);
    }
}

/* --------------------------------------------------------------- files */

static int write_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int write_gz(const char *path, const void *b, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g)
        return -1;
    int w = n ? gzwrite(g, b, (unsigned)n) : 0;
    return gzclose(g) == Z_OK && (size_t)w == n ? 0 : -1;
}

/* An IDX file of unsigned bytes in memory; data NULL: values i % 251.
 * Returns its size (out must be large enough). */
static size_t idx_make(unsigned char *out, int ndim, const int *dims, size_t count)
{
    out[0] = out[1] = 0;
    out[2] = 0x08;
    out[3] = (unsigned char)ndim;
    for (int d = 0; d < ndim; d++)
        for (int b = 0; b < 4; b++)
            out[4 + 4 * d + b] = (unsigned char)((unsigned)dims[d] >> (24 - 8 * b));
    size_t h = 4 + 4 * (size_t)ndim;
    for (size_t i = 0; i < count; i++)
        out[h + i] = (unsigned char)(i % 251);
    return h + count;
}

/* ------------------------------------------------------------ IDX / FM */

static void test_idx(const char *tmp)
{
    lesde_err e = {0};
    data_idx idx;
    unsigned char buf[64 + 6 * 28 * 28];
    char path[512];

    int dl[1] = {6};
    size_t n = idx_make(buf, 1, dl, 6);
    CHECK(data_idx_parse(buf, n, "mem", &idx, &e) == LESDE_OK && idx.ndim == 1 &&
              idx.dims[0] == 6 && idx.count == 6 && idx.data[5] == 5, "parse: %s", e.msg);
    data_idx_free(&idx);

    /* A gzip IDX and the same bytes uncompressed both read. */
    snprintf(path, sizeof path, "%s/ok.gz", tmp);
    write_gz(path, buf, n);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_OK && idx.count == 6, "gz: %s", e.msg);
    data_idx_free(&idx);
    snprintf(path, sizeof path, "%s/ok.idx", tmp);
    write_file(path, buf, n);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_OK && idx.count == 6, "plain: %s", e.msg);
    data_idx_free(&idx);

    /* Wrong magic. */
    unsigned char bad[64];
    memcpy(bad, buf, n);
    bad[0] = 0x12;
    snprintf(path, sizeof path, "%s/magic.gz", tmp);
    write_gz(path, bad, n);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_FAIL && idx.data == NULL, "bad magic accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "magic") != NULL, "message: %s", e.msg);
    memcpy(bad, buf, n);
    bad[2] = 0x0D; /* float elements */
    CHECK(data_idx_parse(bad, n, "mem", &idx, &e) == LESDE_FAIL && strstr(e.msg, "type"),
          "float IDX accepted: %s", e.msg);

    /* Truncated data. */
    int di[3] = {6, 28, 28};
    n = idx_make(buf, 3, di, 6 * 28 * 28);
    snprintf(path, sizeof path, "%s/trunc.gz", tmp);
    write_gz(path, buf, n - 100);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_FAIL, "truncated accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "truncated") != NULL, "message: %s", e.msg);
    /* Bytes after the data. */
    CHECK(data_idx_parse(buf, n - 1, "cut", &idx, &e) == LESDE_FAIL, "cut accepted");
    n = idx_make(buf, 1, dl, 6);
    CHECK(data_idx_parse(buf, n + 1, "long", &idx, &e) == LESDE_FAIL && strstr(e.msg, "after"),
          "trailing bytes accepted: %s", e.msg);

    /* Not gzip, not IDX: plain garbage. */
    snprintf(path, sizeof path, "%s/garbage.gz", tmp);
    const char *junk = "this is not a gzip file, nor an IDX one\n";
    write_file(path, junk, strlen(junk));
    CHECK(data_idx_read(path, &idx, &e) == LESDE_FAIL, "garbage accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "not gzip") != NULL, "message: %s", e.msg);

    /* A cut gzip stream. */
    n = idx_make(buf, 3, di, 6 * 28 * 28);
    unsigned char z[8192];
    size_t zn;
    /* Compress with gzwrite, read the bytes back, then cut or damage them. */
    snprintf(path, sizeof path, "%s/cut.gz", tmp);
    write_gz(path, buf, n);
    FILE *f = fopen(path, "rb");
    zn = f ? fread(z, 1, sizeof z, f) : 0;
    if (f)
        fclose(f);
    write_file(path, z, zn / 2);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_FAIL, "cut gzip accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "gzip") != NULL, "message: %s", e.msg);
    /* A corrupt byte inside the compressed stream (caught by inflate or by
     * the CRC of the gzip trailer). */
    z[zn / 2] ^= 0x55;
    write_file(path, z, zn);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_FAIL, "corrupt gzip accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "corrupt") != NULL, "message: %s", e.msg);

    /* Missing file. */
    snprintf(path, sizeof path, "%s/nope.gz", tmp);
    CHECK(data_idx_read(path, &idx, &e) == LESDE_FAIL, "missing file accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "No such file") != NULL, "message: %s", e.msg);

    /* A header claiming 4 GB in a small buffer fails on truncation. */
    int huge[3] = {2000000000, 28, 28};
    n = idx_make(buf, 3, huge, 0);
    CHECK(data_idx_parse(buf, n, "huge", &idx, &e) == LESDE_FAIL, "huge header accepted");

    /* Mutations of a valid buffer: never a crash, always a status and a
     * message, a consistent result when it parses. */
    int dm[2] = {3, 5};
    size_t base = idx_make(buf, 2, dm, 15);
    gsl_rng *r = rng_stream(1, 99, 0);
    int ok = 0, bad_result = 0;
    for (int it = 0; r && it < 20000; it++) {
        unsigned char m[64];
        memcpy(m, buf, base);
        size_t len = base - gsl_rng_uniform_int(r, 4) + gsl_rng_uniform_int(r, 2);
        for (int t = 0; t < 3; t++)
            m[gsl_rng_uniform_int(r, base)] = (unsigned char)gsl_rng_uniform_int(r, 256);
        if (len > base)
            m[base] = 0;
        lesde_err me = {0};
        if (data_idx_parse(m, len, "fuzz", &idx, &me) == LESDE_OK) {
            size_t c = 1;
            for (int d = 0; d < idx.ndim; d++)
                c *= (size_t)idx.dims[d];
            bad_result += c != idx.count || 4 + 4 * (size_t)idx.ndim + c != len;
            ok++;
            data_idx_free(&idx);
        } else {
            bad_result += !one_line(&me) || idx.data != NULL;
        }
    }
    if (r)
        gsl_rng_free(r);
    CHECK(bad_result == 0, "%d inconsistent results among mutated IDX buffers (%d parsed)",
          bad_result, ok);
}

/* Writes an images / labels pair of the `pre` split into dir. */
static void fm_write(const char *dir, const char *pre, int n_img, int n_lab, int gz)
{
    unsigned char *b = malloc(16 + (size_t)n_img * 784 + (size_t)n_lab);
    char path[512];
    if (!b)
        return;
    int di[3] = {n_img, 28, 28}, dl[1] = {n_lab};
    size_t n = idx_make(b, 3, di, (size_t)n_img * 784);
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    gz ? write_gz(path, b, n) : write_file(path, b, n);
    n = idx_make(b, 1, dl, (size_t)n_lab);
    for (int i = 0; i < n_lab; i++)
        b[8 + i] = (unsigned char)(i % 10);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    gz ? write_gz(path, b, n) : write_file(path, b, n);
    free(b);
}

static void test_fashion_errors(const char *tmp)
{
    lesde_err e = {0};
    data_set ds;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/fm", tmp);
    mkdir(dir, 0700);

    /* Missing files. */
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
              LESDE_FAIL, "missing files accepted");
    CHECK_MSG(e, path);

    /* A good small pair loads. */
    fm_write(dir, "train", 20, 20, 1);
    CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 10, NULL, 2, 0, RNG_DATA_TRAIN, &e) ==
              LESDE_OK && ds.n == 20, "small pair: %s", e.msg);
    data_free(&ds);
    /* Too few samples of a class. */
    CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 3, 0, RNG_DATA_TRAIN, &e) ==
              LESDE_USAGE, "3 of a class with 2 accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "class 0 has 2 samples") != NULL, "message: %s", e.msg);

    /* Count mismatch between images and labels. */
    fm_write(dir, "train", 20, 21, 1);
    CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
              LESDE_FAIL, "count mismatch accepted");
    CHECK_MSG(e, "train-images-idx3-ubyte.gz");
    CHECK(strstr(e.msg, "20 images") && strstr(e.msg, "21 labels"), "message: %s", e.msg);

    /* Truncated image data. */
    fm_write(dir, "train", 20, 20, 1);
    unsigned char *b = malloc(16 + 20 * 784);
    if (b) {
        int di[3] = {20, 28, 28};
        size_t n = idx_make(b, 3, di, 20 * 784);
        snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
        write_gz(path, b, n - 784);
        CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
                  LESDE_FAIL, "truncated images accepted");
        CHECK_MSG(e, path);
        CHECK(strstr(e.msg, "truncated") != NULL, "message: %s", e.msg);
        /* Wrong magic (a label file where images belong). */
        b[3] = 1;
        write_gz(path, b, 8 + 20);
        CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
                  LESDE_FAIL, "label file as images accepted");
        CHECK_MSG(e, path);
        /* Wrong magic bytes. */
        b[0] = 0xff;
        write_gz(path, b, n);
        CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
                  LESDE_FAIL, "wrong magic accepted");
        CHECK_MSG(e, path);
        CHECK(strstr(e.msg, "magic") != NULL, "message: %s", e.msg);
        free(b);
    }
    /* Not gzip: garbage. */
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    write_file(path, "GARBAGE GARBAGE GARBAGE", 23);
    CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
              LESDE_FAIL, "garbage labels accepted");
    CHECK_MSG(e, path);
    CHECK(ds.x == NULL, "set left allocated after an error");
    /* A label out of 0..9. */
    fm_write(dir, "train", 20, 20, 1);
    unsigned char lb[8 + 20];
    int dl[1] = {20};
    idx_make(lb, 1, dl, 20);
    lb[8 + 3] = 10;
    write_gz(path, lb, sizeof lb);
    CHECK(data_fashion_mnist(&ds, dir, DATA_SPLIT_TRAIN, 2, NULL, 1, 0, RNG_DATA_TRAIN, &e) ==
              LESDE_FAIL, "label 10 accepted");
    CHECK_MSG(e, path);

    const char *names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Finds the raw image equal to a padded sample; -1 if none. Checks the
 * 2-px border is zero on the way. */
static long fm_find(const data_idx *img, const double *x, int *border_ok)
{
    unsigned char raw[784];
    *border_ok = 1;
    for (int r = 0; r < 32; r++)
        for (int c = 0; c < 32; c++) {
            double v = x[r * 32 + c];
            if (r < 2 || r >= 30 || c < 2 || c >= 30) {
                if (v != 0.0)
                    *border_ok = 0;
            } else {
                raw[(r - 2) * 28 + c - 2] = (unsigned char)lround(v * 255);
                if (fabs(v * 255 - lround(v * 255)) > 1e-9)
                    *border_ok = 0;
            }
        }
    for (long i = 0; i < img->dims[0]; i++)
        if (memcmp(img->data + i * 784, raw, 784) == 0)
            return i;
    return -1;
}

static void test_fashion_real(void)
{
    lesde_err e = {0};
    const char *dir = DATA_FASHION_MNIST_DIR;
    char ip[512], lp[512];
    data_idx img[2] = {{0}}, lab[2] = {{0}};
    const char *pre[2] = {"train", "t10k"};
    const int want[2] = {60000, 10000};
    for (int s = 0; s < 2; s++) {
        snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", dir, pre[s]);
        snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", dir, pre[s]);
        int rc = data_idx_read(ip, &img[s], &e);
        CHECK(rc == LESDE_OK, "%s", e.msg);
        rc |= data_idx_read(lp, &lab[s], &e);
        CHECK(rc == LESDE_OK, "%s", e.msg);
        if (rc)
            goto out;
        CHECK(img[s].ndim == 3 && img[s].dims[0] == want[s] && img[s].dims[1] == 28 &&
                  img[s].dims[2] == 28, "%s: %d dims, %d images", ip, img[s].ndim,
              img[s].dims[0]);
        CHECK(lab[s].ndim == 1 && lab[s].dims[0] == want[s], "%s: %d labels", lp, lab[s].dims[0]);
        int cnt[256] = {0};
        for (size_t i = 0; i < lab[s].count; i++)
            cnt[lab[s].data[i]]++;
        int per_ok = 1;
        for (int c = 0; c < 256; c++)
            per_ok &= cnt[c] == (c < 10 ? want[s] / 10 : 0);
        CHECK(per_ok, "%s: labels not 0..9 with %d each", lp, want[s] / 10);
    }

    /* data_load: classes {7, 2} become labels 0 and 1; padding; split. */
    int ids[2] = {7, 2};
    data_request req = {.kind = DATA_FASHION_MNIST, .k = 2, .class_ids = ids,
                        .train_per_class = 25, .val_per_class = 15, .seed = 5};
    data_set tr, va;
    int rc = data_load(&req, &tr, &va, &e);
    CHECK(rc == LESDE_OK, "fashion data_load: %s", e.msg);
    if (rc)
        goto out;
    CHECK(tr.n == 50 && va.n == 30 && tr.c == 1 && tr.h == 32 && tr.w == 32 && tr.k == 2,
          "sizes %d %d", tr.n, va.n);
    data_set *sets[2] = {&tr, &va};
    for (int s = 0; s < 2; s++) {
        int found = 0, border = 1, mapped = 1, cnt[2] = {0};
        long where[50];
        for (int i = 0; i < sets[s]->n; i++) {
            int bok;
            long j = fm_find(&img[s], sets[s]->x + (size_t)i * PX, &bok);
            border &= bok;
            where[i] = j;
            if (j >= 0) {
                found++;
                mapped &= lab[s].data[j] == ids[sets[s]->label[i]];
            }
            cnt[sets[s]->label[i]]++;
            mapped &= sets[s]->train_label[i] == sets[s]->label[i];
        }
        int distinct = 1;
        for (int i = 0; i < sets[s]->n; i++)
            for (int j = 0; j < i; j++)
                distinct &= where[i] != where[j];
        CHECK(found == sets[s]->n, "split %d: %d of %d samples found in %s", s, found,
              sets[s]->n, pre[s]);
        CHECK(border, "split %d: border not zero or pixels not v/255", s);
        CHECK(mapped, "split %d: labels do not map to class ids {7, 2}", s);
        CHECK(distinct, "split %d: a sample drawn twice", s);
        CHECK(cnt[0] == cnt[1] && cnt[0] == sets[s]->n / 2, "split %d: %d / %d per class", s,
              cnt[0], cnt[1]);
    }
    /* Determinism and seeds. */
    data_set tr2, va2;
    if (data_load(&req, &tr2, &va2, &e) == LESDE_OK) {
        CHECK(memcmp(tr.x, tr2.x, sizeof(double) * tr.n * PX) == 0 &&
                  memcmp(va.label, va2.label, sizeof(int) * va.n) == 0, "same seed differs");
        data_free(&tr2);
        data_free(&va2);
    }
    req.seed = 6;
    if (data_load(&req, &tr2, &va2, &e) == LESDE_OK) {
        CHECK(memcmp(tr.x, tr2.x, sizeof(double) * tr.n * PX) != 0, "seeds 5, 6 same");
        data_free(&tr2);
        data_free(&va2);
    }
    data_free(&tr);
    data_free(&va);

    /* First k classes without class_ids; all 6000 of a class is fine,
     * 6001 or 1001 is an error naming the file. */
    req = (data_request){.kind = DATA_FASHION_MNIST, .k = 3, .train_per_class = 6001,
                         .val_per_class = 1, .seed = 1};
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_USAGE && tr.x == NULL && va.x == NULL,
          "6001 per class accepted");
    CHECK_MSG(e, "train-labels-idx1-ubyte.gz");
    CHECK(strstr(e.msg, "6000") != NULL, "message: %s", e.msg);
    req.train_per_class = 2;
    req.val_per_class = 1001;
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_USAGE, "1001 validation per class accepted");
    CHECK_MSG(e, "t10k-labels-idx1-ubyte.gz");
    req.val_per_class = 3;
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
    int labels_ok = 1;
    for (int i = 0; i < tr.n; i++)
        labels_ok &= tr.label[i] >= 0 && tr.label[i] < 3;
    CHECK(labels_ok && tr.k == 3 && tr.n == 6 && va.n == 9, "first 3 classes");
    data_free(&tr);
    data_free(&va);
    /* Every sample of a class, from each split, once. */
    int nine = 9;
    data_set all;
    for (int s = 0; s < 2; s++) {
        int want_n = s ? 1000 : 6000;
        rc = data_fashion_mnist(&all, NULL, s ? DATA_SPLIT_TEST : DATA_SPLIT_TRAIN, 1, &nine,
                                want_n, 3, RNG_DATA_TRAIN, &e);
        CHECK(rc == LESDE_OK && all.n == want_n, "all of class 9, split %d: %s", s, e.msg);
        if (rc)
            continue;
        /* Sum of the raw images of class 9 equals the sum over the set. */
        double sum_set = 0, sum_raw = 0;
        for (size_t p = 0; p < (size_t)all.n * PX; p++)
            sum_set += all.x[p];
        for (long i = 0; i < img[s].dims[0]; i++)
            if (lab[s].data[i] == 9)
                for (int p = 0; p < 784; p++)
                    sum_raw += img[s].data[i * 784 + p] / 255.0;
        CHECK(fabs(sum_set - sum_raw) < 1e-6 * sum_raw, "split %d: ink %.6f vs %.6f", s, sum_set,
              sum_raw);
        data_free(&all);
    }
    int bad_ids[2] = {3, 10};
    req.k = 2;
    req.class_ids = bad_ids;
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_USAGE && strstr(e.msg, "10"),
          "class id 10 accepted");
out:
    for (int s = 0; s < 2; s++) {
        data_idx_free(&img[s]);
        data_idx_free(&lab[s]);
    }
}

/* -------------------------------------------------------------- CIFAR-10 */

/* Byte p (0..3071) of record g: identifies g and the plane. */
static unsigned char cf_byte(int g, int p)
{
    return (unsigned char)((g * 37 + p * 7 + (p / PX) * 50) % 256);
}

/* Writes `nr` records with global indices g0.. and label g % 10. */
static int cf_write(const char *path, int g0, int nr, size_t cut)
{
    size_t n = (size_t)nr * 3073;
    unsigned char *b = malloc(n);
    if (!b)
        return -1;
    for (int r = 0; r < nr; r++) {
        b[(size_t)r * 3073] = (unsigned char)((g0 + r) % 10);
        for (int p = 0; p < 3072; p++)
            b[(size_t)r * 3073 + 1 + p] = cf_byte(g0 + r, p);
    }
    int rc = write_file(path, b, n - cut);
    free(b);
    return rc;
}

static void cf_files(const char *dir, int per_file)
{
    char path[600];
    for (int f = 0; f < 5; f++) {
        snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, f + 1);
        cf_write(path, f * per_file, per_file, 0);
    }
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    cf_write(path, 1000, 20, 0);
}

static void cf_clean(const char *dir)
{
    char path[600];
    for (int f = 0; f < 5; f++) {
        snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, f + 1);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    unlink(path);
    rmdir(dir);
}

/* Checks every sample against the record it must come from. */
static int cf_check(const data_set *ds, const int *ids, int g_lo, int g_hi)
{
    int ok = 1;
    for (int i = 0; i < ds->n; i++) {
        const double *x = ds->x + (size_t)i * 3 * PX;
        int g = -1;
        for (int t = g_lo; t < g_hi && g < 0; t++)
            if (fabs(x[0] - (cf_byte(t, 0) / 255.0 - 0.5) / 0.5) < 1e-12 &&
                fabs(x[PX + 5] - (cf_byte(t, PX + 5) / 255.0 - 0.5) / 0.5) < 1e-12)
                g = t;
        if (g < 0)
            return 0;
        for (int p = 0; p < 3 * PX; p++)
            ok &= fabs(x[p] - (cf_byte(g, p) / 127.5 - 1.0)) < 1e-12;
        ok &= ids[ds->label[i]] == g % 10 && ds->train_label[i] == ds->label[i];
    }
    return ok;
}

static void test_cifar(const char *tmp)
{
    lesde_err e = {0};
    data_set tr, va;
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s/cifar", tmp);
    mkdir(dir, 0700);
    cf_files(dir, 6); /* 30 training records: 3 of each label */

    int ids[2] = {3, 7};
    data_request req = {.kind = DATA_CIFAR10, .k = 2, .class_ids = ids, .train_per_class = 3,
                        .val_per_class = 2, .seed = 9, .data_dir = dir};
    int rc = data_load(&req, &tr, &va, &e);
    CHECK(rc == LESDE_OK, "cifar load: %s", e.msg);
    if (!rc) {
        CHECK(tr.n == 6 && tr.c == 3 && tr.h == 32 && tr.w == 32 && tr.k == 2 && va.n == 4,
              "cifar sizes %d %d", tr.n, va.n);
        CHECK(cf_check(&tr, ids, 0, 30), "training samples differ from their records");
        CHECK(cf_check(&va, ids, 1000, 1020), "validation samples differ from their records");
        /* Extreme bytes map to -1 and 1. */
        double lo = 0, hi = 0;
        for (size_t p = 0; p < (size_t)tr.n * 3 * PX; p++) {
            lo = fmin(lo, tr.x[p]);
            hi = fmax(hi, tr.x[p]);
        }
        CHECK(lo >= -1 && hi <= 1 && lo < -0.98 && hi > 0.98, "range [%g, %g]", lo, hi);
        snprintf(path, sizeof path, "%s/cifar.png", tmp);
        CHECK(data_write_png(&tr, path, 0, 3, &e) == LESDE_OK, "cifar png: %s", e.msg);
        unlink(path);
        data_free(&tr);
        data_free(&va);
    }
    /* Too few of a class. */
    req.train_per_class = 4;
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_USAGE, "4 of 3 accepted");
    CHECK_MSG(e, dir);
    req.train_per_class = 3;

    /* The archive's folder inside data_dir. */
    char outer[600], sub[700];
    snprintf(outer, sizeof outer, "%s/outer", tmp);
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", outer);
    mkdir(outer, 0700);
    mkdir(sub, 0700);
    cf_files(sub, 6);
    req.data_dir = outer;
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "subfolder: %s", e.msg);
    data_free(&tr);
    data_free(&va);
    cf_clean(sub);
    rmdir(outer);

    /* $LESDE_CIFAR10_DIR when data_dir is not given. */
    req.data_dir = NULL;
    setenv(DATA_CIFAR10_ENV, dir, 1);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "env dir: %s", e.msg);
    data_free(&tr);
    data_free(&va);
    unsetenv(DATA_CIFAR10_ENV);
    if (access(DATA_CIFAR10_DIR "/data_batch_1.bin", F_OK) != 0) {
        CHECK(data_load(&req, &tr, &va, &e) == LESDE_FAIL, "no default copy expected");
        CHECK_MSG(e, DATA_CIFAR10_DIR "/data_batch_1.bin");
        CHECK(strstr(e.msg, "binary version") && strstr(e.msg, "does not download"),
              "message: %s", e.msg);
    }
    req.data_dir = dir;

    /* A truncated batch. */
    snprintf(path, sizeof path, "%s/data_batch_2.bin", dir);
    cf_write(path, 6, 6, 1000);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_FAIL && tr.x == NULL, "truncated accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "truncated") != NULL, "message: %s", e.msg);
    cf_write(path, 6, 6, 0);
    /* A bad label byte (e.g. the CIFAR-100 layout). */
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    {
        unsigned char rec[3073] = {42};
        write_file(path, rec, sizeof rec);
        CHECK(data_load(&req, &tr, &va, &e) == LESDE_FAIL, "label 42 accepted");
        CHECK_MSG(e, path);
    }
    /* A missing batch: the message says which file, where, how to get it. */
    snprintf(path, sizeof path, "%s/data_batch_4.bin", dir);
    unlink(path);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_FAIL, "missing batch accepted");
    CHECK_MSG(e, path);
    CHECK(strstr(e.msg, "cifar-10-binary.tar.gz") && strstr(e.msg, "No such file"),
          "message: %s", e.msg);
    cf_clean(dir);
}

/* Runs test_<name>(...) and prints its time. */
static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

/* data_pick: a class's samples come from its own stream, keyed by its id
 * (internal.h), so class 2 gets the same samples whether it is asked for
 * alone or after class 5: the same set, in another shuffled order. Source:
 * 60 samples, label i % 6 (10 per class), 4 per class picked. */
static void test_pick(void)
{
    enum { NSRC = 60, PER = 4 };
    unsigned char src[NSRC];
    for (int i = 0; i < NSRC; i++)
        src[i] = (unsigned char)(i % 6);
    long alone[PER], both[2 * PER], two[PER];
    int la[PER], lb[2 * PER], one[1] = {2}, ids[2] = {5, 2};
    lesde_err e = {0};
    CHECK(data_pick(src, NSRC, 1, one, PER, 11, RNG_DATA_TRAIN, "pick", alone, la, &e) == 0, "%s",
          e.msg);
    CHECK(data_pick(src, NSRC, 2, ids, PER, 11, RNG_DATA_TRAIN, "pick", both, lb, &e) == 0, "%s",
          e.msg);
    int n2 = 0, ok = 1;
    for (int i = 0; i < 2 * PER; i++) {
        ok &= src[both[i]] == ids[lb[i]];
        if (lb[i] == 1 && n2 < PER)
            two[n2++] = both[i];
    }
    for (int i = 0; i < PER; i++)
        ok &= la[i] == 0 && src[alone[i]] == 2;
    CHECK(ok && n2 == PER, "picks of the asked classes, labelled by position (%d of class 2)", n2);
    qsort(alone, PER, sizeof *alone, cmp_long);
    qsort(two, PER, sizeof *two, cmp_long);
    CHECK(!memcmp(alone, two, sizeof alone),
          "class 2: {%ld %ld %ld %ld} alone, "
          "{%ld %ld %ld %ld} after class 5",
          alone[0], alone[1], alone[2], alone[3], two[0], two[1], two[2], two[3]);
}

#define RUN(name, ...)                                                  \
    do {                                                                \
        double t_ = now();                                              \
        test_##name(__VA_ARGS__);                                       \
        printf("  %-16s %.2f s\n", #name, now() - t_);                  \
    } while (0)

/* ---------------------------------------------------------------- cache */

static int same_set(const data_set *a, const data_set *b)
{
    return a->n == b->n && a->c == b->c && a->k == b->k &&
           !memcmp(a->x, b->x, sizeof(double) * (size_t)a->n * a->c * PX) &&
           !memcmp(a->label, b->label, sizeof(int) * (size_t)a->n) &&
           !memcmp(a->train_label, b->train_label, sizeof(int) * (size_t)a->n);
}

/* mem_alloc_large (core/mem.h), which data_alloc uses for the pixels:
 * every size gives a cache-line-aligned buffer that can be written to its
 * end, large ones 2 MiB aligned so whole huge pages back them. Whether the
 * kernel gave huge pages depends on its THP setting and free memory, so
 * that is printed, not checked. */
static void test_mem(void)
{
    const size_t sizes[] = {0, 1, 100, MEM_LARGE - 1, MEM_LARGE, (size_t)12288000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = mem_alloc_large(sizes[i]);
        CHECK(p != NULL, "no buffer of %zu bytes", sizes[i]);
        if (!p)
            continue;
        uintptr_t align = sizes[i] >= MEM_LARGE ? (uintptr_t)2 << 20 : 64;
        CHECK((uintptr_t)p % align == 0, "%zu bytes at %p: not %lu-aligned", sizes[i], (void *)p,
              (unsigned long)align);
        memset(p, 0xa5, sizes[i]);
        CHECK(sizes[i] == 0 || (p[0] == 0xa5 && p[sizes[i] - 1] == 0xa5), "%zu bytes not written",
              sizes[i]);
        if (sizes[i] > MEM_LARGE) {
            FILE *f = fopen("/proc/self/smaps", "r");
            char line[256];
            unsigned long lo, hi;
            long huge = -1;
            int in = 0;
            while (f && fgets(line, sizeof line, f)) {
                if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
                    in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
                else if (in && sscanf(line, "AnonHugePages: %ld kB", &huge) == 1)
                    break;
            }
            if (f)
                fclose(f);
            printf("  mem: %zu bytes on %ld kB of huge pages\n", sizes[i], huge);
        }
        free(p);
    }
    CHECK(mem_alloc_large(SIZE_MAX - 100) == NULL, "a buffer of SIZE_MAX - 100 bytes");

    /* mem_heap_huge: the heap grows by the pad at once, and keeps it when
     * what was allocated in it is freed */
    char *b0 = sbrk(0);
    int marked = mem_heap_huge((size_t)8 << 20);
    char *b1 = sbrk(0);
    (void)b0, (void)b1; /* checked below only with glibc's own malloc */
    void *small[1000];
    for (int i = 0; i < 1000; i++)
        memset(small[i] = malloc(4000), i & 0xff, 4000);
    for (int i = 0; i < 1000; i++)
        free(small[i]);
    printf("  mem: the heap %s\n", marked ? "on huge pages" : "left as it is");
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    /* (a kernel without THP refuses the advice) */
    CHECK(marked || access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0,
          "glibc's heap not marked for huge pages");
    CHECK(b1 - b0 >= (ptrdiff_t)8 << 20, "the heap grew %td bytes, not the 8 MiB pad", b1 - b0);
    CHECK((char *)sbrk(0) - b0 >= (ptrdiff_t)8 << 20, "the heap kept %td bytes, not the pad",
          (char *)sbrk(0) - b0);
#endif

    /* mem_advise_huge (after mem_heap_huge, whose checks want the heap as
     * a process starts): a 6 MiB buffer holds at least two whole huge
     * pages (a kernel without THP refuses the advice); 1 MiB holds none */
    void *grown = malloc((size_t)6 << 20);
    CHECK(mem_advise_huge(grown, (size_t)6 << 20) ||
              access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0,
          "a 6 MiB buffer's whole huge pages not marked");
    CHECK(!mem_advise_huge(grown, (size_t)1 << 20), "1 MiB marked: it holds no whole huge page");
    free(grown);
}

/* data_load's cache: a repeated request is a hit with the same bytes as
 * building the sets (data_geomnist); the copies handed out are the
 * caller's (pollution of one does not reach the next); other requests
 * miss; the limit holds, least recently used out first. */
static void test_cache(void)
{
    lesde_err e = {0};
    data_cache_clear();
    data_cache_limit((size_t)64 << 20);
    data_request req = {.kind = DATA_GEOMNIST, .k = 3, .train_per_class = 20,
                        .val_per_class = 10, .seed = 5};
    data_set tr, va, t2, v2, ref;
    long h0, m0, h, m;
    data_cache_stats(&h0, &m0, NULL);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
    CHECK(data_pollute(&tr, 0.5, 5, &e) == LESDE_OK, "%s", e.msg);
    CHECK(data_load(&req, &t2, &v2, &e) == LESDE_OK, "%s", e.msg);
    data_cache_stats(&h, &m, NULL);
    CHECK(h == h0 + 1 && m == m0 + 1, "hits %ld misses %ld after a repeat", h - h0, m - m0);
    CHECK(data_geomnist(&ref, 3, 20, 5, RNG_DATA_TRAIN, &e) == LESDE_OK, "%s", e.msg);
    CHECK(same_set(&t2, &ref), "a cached training set differs from a built one");
    CHECK(memcmp(tr.train_label, t2.train_label, sizeof(int) * 60) != 0,
          "the pollution of one copy reached the next");
    data_free(&ref);
    CHECK(data_geomnist(&ref, 3, 10, 5, RNG_DATA_VAL, &e) == LESDE_OK, "%s", e.msg);
    CHECK(same_set(&v2, &ref), "a cached validation set differs from a built one");
    data_free(&ref), data_free(&tr), data_free(&va), data_free(&t2), data_free(&v2);

    /* explicit class ids 0..k-1 are the same request; another seed is not */
    int ids[3] = {0, 1, 2};
    data_request same = req, other = req;
    same.class_ids = ids;
    other.seed = 6;
    CHECK(data_load(&same, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
    data_free(&tr), data_free(&va);
    CHECK(data_load(&other, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
    data_free(&tr), data_free(&va);
    data_cache_stats(&h, &m, NULL);
    CHECK(h == h0 + 2 && m == m0 + 2, "class ids / seed: hits %ld misses %ld", h - h0, m - m0);

    /* room for two requests: seed 5 used last, so seed 7 evicts seed 6 */
    size_t one;
    data_cache_stats(NULL, NULL, &one);
    one /= 2;
    data_cache_limit(2 * one);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg); /* hit, seed 5 */
    data_free(&tr), data_free(&va);
    other.seed = 7;
    CHECK(data_load(&other, &tr, &va, &e) == LESDE_OK, "%s", e.msg); /* miss, in */
    data_free(&tr), data_free(&va);
    size_t held;
    data_cache_stats(&h0, &m0, &held);
    CHECK(held == 2 * one, "held %zu bytes, limit %zu", held, 2 * one);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg); /* still in */
    data_free(&tr), data_free(&va);
    other.seed = 6;
    CHECK(data_load(&other, &tr, &va, &e) == LESDE_OK, "%s", e.msg); /* evicted */
    data_free(&tr), data_free(&va);
    data_cache_stats(&h, &m, NULL);
    CHECK(h == h0 + 1 && m == m0 + 1, "LRU: hits %ld misses %ld", h - h0, m - m0);

    /* limit 0: nothing kept */
    data_cache_limit(0);
    data_cache_stats(&h0, &m0, &held);
    CHECK(held == 0, "limit 0 holds %zu bytes", held);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
    data_free(&tr), data_free(&va);
    CHECK(data_load(&req, &tr, &va, &e) == LESDE_OK, "%s", e.msg);
    data_free(&tr), data_free(&va);
    data_cache_stats(&h, &m, NULL);
    CHECK(h == h0 && m == m0 + 2, "limit 0: hits %ld misses %ld", h - h0, m - m0);
    data_cache_limit((size_t)DATA_CACHE_DEFAULT_MB << 20);
}

/* data_idx_read_cached: a fresh file is read each time and not kept; a
 * settled one is parsed once and handed out again, the bytes
 * data_idx_read gives; when it changes, it is read again; Fashion-MNIST
 * sets made from cached files equal those made without the cache; limit 0
 * keeps nothing. settled_path was written at the start of the test
 * program (the cache keeps files whose times are 2 s in the past). */
static void test_cache_files(const char *tmp, const char *settled_path)
{
    lesde_err e = {0};
    data_cache_clear();
    data_cache_limit((size_t)256 << 20);
    unsigned char b[8 + 300];
    int dims[1] = {300};
    size_t n = idx_make(b, 1, dims, 300);
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s/fresh.idx", tmp);
    CHECK(write_file(fresh, b, n) == 0, "cannot write %s", fresh);
    long h0, m0, h, m;
    size_t held;
    data_idx a, c;
    int owned;
    data_cache_stats(&h0, &m0, NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(data_idx_read_cached(fresh, &a, &owned, &e) == LESDE_OK, "%s", e.msg);
        CHECK(owned && a.count == 300 && a.data[299] == 299 % 251,
              "a fresh file: owned %d, %zu values", owned, a.count);
        if (owned)
            data_idx_free(&a);
    }
    data_cache_stats(&h, &m, &held);
    CHECK(h == h0 && m == m0 + 2 && held == 0, "a fresh file: hits %ld misses %ld, %zu bytes",
          h - h0, m - m0, held);
    unlink(fresh);

    /* wait (at most 5 s) until the settled file's times are 2 s old */
    struct stat st;
    for (int i = 0; i < 100; i++) {
        if (stat(settled_path, &st) != 0 || time(NULL) - st.st_ctim.tv_sec >= 3)
            break;
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    CHECK(data_idx_read(settled_path, &c, &e) == LESDE_OK, "%s", e.msg);
    for (int i = 0; i < 2; i++) {
        CHECK(data_idx_read_cached(settled_path, &a, &owned, &e) == LESDE_OK, "%s", e.msg);
        CHECK(!owned && a.count == c.count && !memcmp(a.data, c.data, c.count),
              "a settled file, read %d: owned %d, %zu values", i, owned, a.count);
    }
    data_cache_stats(&h, &m, &held);
    CHECK(h == h0 + 1 && m == m0 + 3 && held >= c.count,
          "a settled file twice: hits %ld misses %ld, %zu bytes", h - h0, m - m0, held);
    /* changed in place, the same size: read again, the old entry dropped */
    b[8 + 17] ^= 0xff;
    CHECK(write_file(settled_path, b, n) == 0, "cannot write %s", settled_path);
    CHECK(data_idx_read_cached(settled_path, &a, &owned, &e) == LESDE_OK, "%s", e.msg);
    CHECK(owned && a.count == 300 && a.data[17] == (17 ^ 0xff),
          "a changed file: owned %d, value %d", owned, a.count ? a.data[17] : -1);
    if (owned)
        data_idx_free(&a);
    data_idx_free(&c);
    data_cache_stats(&h, &m, &held);
    CHECK(h == h0 + 1 && m == m0 + 4 && held == 0, "a changed file: hits %ld misses %ld, %zu bytes",
          h - h0, m - m0, held);

    /* Fashion-MNIST (Debian's files, settled): the second request hits
     * its four files and gives the first's sets; both equal the sets made
     * with the cache off */
    int ids[3] = {4, 0, 9};
    data_request req = {.kind = DATA_FASHION_MNIST,
                        .k = 3,
                        .class_ids = ids,
                        .train_per_class = 40,
                        .val_per_class = 20,
                        .seed = 11};
    data_set tr[3], va[3];
    data_cache_stats(&h0, &m0, NULL);
    CHECK(data_load(&req, &tr[0], &va[0], &e) == LESDE_OK, "%s", e.msg);
    CHECK(data_load(&req, &tr[1], &va[1], &e) == LESDE_OK, "%s", e.msg);
    data_cache_stats(&h, &m, &held);
    CHECK(h == h0 + 4 && m == m0 + 4 && held > (size_t)47 << 20,
          "fashion-mnist twice: hits %ld misses %ld, %zu bytes", h - h0, m - m0, held);
    data_cache_limit(0);
    data_cache_stats(NULL, NULL, &held);
    CHECK(held == 0, "limit 0 holds %zu bytes", held);
    CHECK(data_load(&req, &tr[2], &va[2], &e) == LESDE_OK, "%s", e.msg);
    for (int i = 0; i < 2; i++)
        CHECK(same_set(&tr[i], &tr[2]) && same_set(&va[i], &va[2]),
              "fashion-mnist sets %d differ from the uncached ones", i);
    for (int i = 0; i < 3; i++)
        data_free(&tr[i]), data_free(&va[i]);
    data_cache_limit((size_t)DATA_CACHE_DEFAULT_MB << 20);
}

int main(void)
{
    char tmp[] = "/tmp/lesde_test_data_XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    double t0 = now();
    /* for test_cache_files, long before it runs */
    char settled[600];
    snprintf(settled, sizeof settled, "%s/settled.idx", tmp);
    unsigned char b[8 + 300];
    if (write_file(settled, b, idx_make(b, 1, (int[]){300}, 300)) != 0)
        perror(settled);
    RUN(mem);
    RUN(kinds);
    RUN(geomnist);
    RUN(geomnist_steps);
    RUN(pollute);
    RUN(pick);
    RUN(cache);
    RUN(png, tmp);
    RUN(idx, tmp);
    RUN(fashion_errors, tmp);
    RUN(fashion_real);
    RUN(cifar, tmp);
    RUN(cache_files, tmp, settled);
    unlink(settled);
    const char *left[] = {"ok.gz", "ok.idx", "magic.gz", "trunc.gz", "garbage.gz", "cut.gz"};
    for (size_t i = 0; i < sizeof left / sizeof *left; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", tmp, left[i]);
        unlink(p);
    }
    if (rmdir(tmp) != 0)
        fprintf(stderr, "note: %s not empty\n", tmp);
    printf("test_data: %.2f s\n", now() - t0);
    return check_done("test_data");
}
