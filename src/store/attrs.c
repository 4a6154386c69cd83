/* Reading a store's root attributes (provenance), for lesde report. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/h5err.h"
#include "store/store.h"

typedef struct {
    store_attr *a;
    int n, cap;
    int oom;
} attr_list;

/* One attribute of obj as text: strings as they are, integers %lld, reals
 * %.17g, arrays comma-separated. NULL on a type this does not render
 * (compound, ...). */
static char *attr_text(hid_t obj, const char *name, hid_t a)
{
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    char *out = NULL;
    H5T_class_t cls = H5Tget_class(t);
    int integer = cls == H5T_INTEGER;
    if (cls == H5T_STRING && n == 1) {
        out = store_attr_str(obj, name);
    } else if ((cls == H5T_FLOAT || integer) && n >= 1 && n <= 4096) {
        long long *iv = malloc(sizeof(long long) * (size_t)n);
        double *v = malloc(sizeof(double) * (size_t)n);
        out = malloc((size_t)n * 26 + 1);
        if (iv && v && out &&
            (integer ? H5Aread(a, H5T_NATIVE_LLONG, iv) : H5Aread(a, H5T_NATIVE_DOUBLE, v)) >= 0) {
            size_t len = 0;
            for (hssize_t i = 0; i < n; i++)
                len += integer ? (size_t)sprintf(out + len, "%s%lld", i ? "," : "", iv[i])
                               : (size_t)sprintf(out + len, "%s%.17g", i ? "," : "", v[i]);
        } else {
            free(out);
            out = NULL;
        }
        free(iv);
        free(v);
    }
    H5Sclose(sp);
    H5Tclose(t);
    return out;
}

static herr_t collect(hid_t obj, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    attr_list *l = op;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return 0;
    char *v = attr_text(obj, name, a);
    H5Aclose(a);
    if (!v)
        return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        store_attr *na = realloc(l->a, sizeof *na * (size_t)cap);
        if (!na) {
            free(v);
            l->oom = 1;
            return 1; /* stop iterating */
        }
        l->a = na;
        l->cap = cap;
    }
    snprintf(l->a[l->n].name, sizeof l->a[l->n].name, "%s", name);
    l->a[l->n++].value = v;
    return 0;
}

int store_read_attrs(const char *path, store_attr **attrs, int *n, lesde_err *e)
{
    *attrs = NULL;
    *n = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int bad = store_h5_is_file(path, e);
    if (bad)
        return bad;
    char why[256];
    hid_t f = store_h5_fopen(path, H5F_ACC_RDONLY, why, sizeof why);
    if (f < 0)
        return err_set(e, LESDE_FAIL, "%s: cannot open the store: %s", path,
                       why[0] ? why : "damaged?");
    attr_list l = {0};
    hsize_t idx = 0;
    herr_t rc = H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &l);
    H5Fclose(f);
    if (l.oom || rc < 0) {
        store_attrs_free(l.a, l.n);
        return err_set(e, LESDE_FAIL, "%s: cannot read the root attributes%s", path,
                       l.oom ? " (out of memory)" : "");
    }
    *attrs = l.a;
    *n = l.n;
    return LESDE_OK;
}

const char *store_attr_get(const store_attr *attrs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(attrs[i].name, name))
            return attrs[i].value;
    return NULL;
}

void store_attrs_free(store_attr *attrs, int n)
{
    for (int i = 0; attrs && i < n; i++)
        free(attrs[i].value);
    free(attrs);
}
