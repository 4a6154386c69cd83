/* store_load_spec: re-read the spec a store was made with. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define MAX_OVERRIDES 64

int store_load_spec(const char *path, spec *s, lesde_err *e)
{
    store_attr *a = NULL;
    int n = 0;
    int rc = store_read_attrs(path, &a, &n, e);
    if (rc)
        return rc;
    const char *text = store_attr_get(a, n, "spec_text");
    const char *hash = store_attr_get(a, n, "spec_hash");
    const char *over = store_attr_get(a, n, "spec_overrides"); /* absent in early stores */
    char *buf = strdup(over ? over : "");
    const char *sets[MAX_OVERRIDES];
    int n_sets = 0;
    if (!text || !hash || !buf) {
        rc = err_set(e, buf ? LESDE_USAGE : LESDE_FAIL, "%s: %s", path,
                     buf ? "not a lesde store (no spec inside)" : "out of memory");
        goto out;
    }
    for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t && n_sets < MAX_OVERRIDES;
         t = strtok_r(NULL, "\n", &save))
        sets[n_sets++] = t;
    if ((rc = spec_parse(s, text, path, sets, n_sets, e))) {
        err_prefix(e, "%s: the spec inside the store does not parse", path);
        goto out;
    }
    if (strcmp(s->hash, hash)) {
        rc = err_set(e, LESDE_USAGE, "%s: its spec gives hash %s here, not the stored %s "
                     "(written by another lesde version?)", path, s->hash, hash);
        spec_free(s);
    }
out:
    free(buf);
    store_attrs_free(a, n);
    return rc;
}
