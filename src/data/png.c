/* data_write_png: a grid of samples, one row per class, for a person to look at. */
#include "data/data.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#define SCALE 2   /* each image pixel becomes SCALE x SCALE */
#define GAP 1     /* pixels between tiles */
#define GAP_V 128 /* gray of gaps and empty tiles */

/* libpng reports errors through this callback, then we longjmp out. */
static void png_fail(png_structp png, png_const_charp msg)
{
    lesde_err *e = png_get_error_ptr(png);
    err_set(e, LESDE_FAIL, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static unsigned char to_byte(double v, double lo, double hi)
{
    double t = (v - lo) / (hi - lo) * 255.0 + 0.5;
    return !(t > 0) ? 0 : t >= 255 ? 255 : (unsigned char)t; /* NaN: 0, never cast */
}

int data_write_png(const data_set *ds, const char *path, int rows, int cols,
                   lesde_err *e)
{
    if (ds->c != 1 && ds->c != 3)
        return err_set(e, LESDE_USAGE, "%s: cannot draw images of %d channels (1 or 3)",
                       path, ds->c);
    if (cols < 1)
        return err_set(e, LESDE_USAGE, "%s: the grid needs at least one column, not %d",
                       path, cols);
    if (rows <= 0 || rows > ds->k)
        rows = ds->k;
    if (rows < 1 || ds->h < 1 || ds->w < 1)
        return err_set(e, LESDE_USAGE, "%s: nothing to draw (empty data set)", path);
    const int ch = ds->c, tw = ds->w * SCALE, th = ds->h * SCALE;
    const long W = (long)cols * tw + (long)(cols - 1) * GAP;
    const long H = (long)rows * th + (long)(rows - 1) * GAP;
    if (W > 100000 || H > 100000)
        return err_set(e, LESDE_USAGE, "%s: a %ld x %ld grid is too large", path, W, H);
    /* 1 channel: [0, 1]; 3 channels: CIFAR-10's [-1, 1]. */
    const double lo = ch == 3 ? -1.0 : 0.0, hi = 1.0;

    unsigned char *pix = malloc((size_t)W * (size_t)H * (size_t)ch);
    if (!pix)
        return err_set(e, LESDE_FAIL, "%s: out of memory for a %ld x %ld image", path, W, H);
    memset(pix, GAP_V, (size_t)W * (size_t)H * (size_t)ch);
    const size_t plane = (size_t)ds->h * (size_t)ds->w;
    for (int r = 0; r < rows; r++) {
        int col = 0;
        for (int i = 0; i < ds->n && col < cols; i++) {
            if (ds->label[i] != r)
                continue;
            const double *img = ds->x + (size_t)i * ch * plane;
            long x0 = (long)col * (tw + GAP), y0 = (long)r * (th + GAP);
            for (int y = 0; y < th; y++)
                for (int x = 0; x < tw; x++)
                    for (int c = 0; c < ch; c++) {
                        double v = img[c * plane + (size_t)(y / SCALE) * ds->w + x / SCALE];
                        pix[((size_t)(y0 + y) * W + (size_t)(x0 + x)) * ch + c] =
                            to_byte(v, lo, hi);
                    }
            col++;
        }
    }

    FILE *f = fopen(path, "wb");
    if (!f) {
        int rc = err_set(e, LESDE_FAIL, "%s: cannot create: %s", path, strerror(errno));
        free(pix);
        return rc;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, png_fail, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        remove(path);
        free(pix);
        return err_set(e, LESDE_FAIL, "%s: out of memory in libpng", path);
    }
    /* Nothing that the error path reads is modified after setjmp. */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        remove(path);
        free(pix);
        return err_prefix(e, "%s: writing PNG", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)W, (png_uint_32)H, 8,
                 ch == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (long y = 0; y < H; y++)
        png_write_row(png, pix + (size_t)y * (size_t)W * ch);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(pix);
    if (fclose(f) != 0) {
        int rc = err_set(e, LESDE_FAIL, "%s: cannot write: %s", path, strerror(errno));
        remove(path);
        return rc;
    }
    return LESDE_OK;
}
