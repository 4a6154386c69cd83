/* store_load_spec: re-read the spec a store was made with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define MAX_OVERRIDES 64

int store_load_spec(const char *path, spec *s, lesde_err *e)
{
    /* By name, not by listing every attribute: HDF5 1.10 crashes listing a
     * damaged attribute table (the store fuzzer's most frequent find). */
    static const char *const names[3] = {"spec_text", "spec_hash", "spec_overrides"};
    char *v[3];
    int rc = store_read_root_strs(path, names, 3, v, e);
    if (rc)
        return rc;
    const char *text = v[0], *hash = v[1];
    const char *over = v[2]; /* absent in early stores */
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
    if (!spec_hash_matches(s, hash)) {
        rc = err_set(e, LESDE_USAGE, "%s: its spec gives hash %s here, not the stored %s "
                     "(written by another lesde version?)", path, s->hash, hash);
        spec_free(s);
    } else {
        /* An older store holds hash_all: give the hash the store holds. */
        snprintf(s->hash, sizeof s->hash, "%s", hash);
    }
out:
    free(buf);
    for (int i = 0; i < 3; i++)
        free(v[i]);
    return rc;
}
