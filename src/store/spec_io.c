/* store_load_spec: re-read the spec a store was made with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store.h"

#define MAX_OVERRIDES 64

/* Nonzero, with why, unless every study of s has its tasks in the store as
 * s lays them out: its status dataset shaped [axis_1]..[axis_n][seed]. */
static int grid_differs(const char *path, const spec *s, char *why, size_t size)
{
    for (int i = 0; i < s->n_studies; i++) {
        const spec_study *st = &s->studies[i];
        store_array a;
        lesde_err e = {0};
        if (store_read_array(path, st->name, "status", &a, &e)) {
            snprintf(why, size, "it has no tasks of study '%s'", st->name);
            return 1;
        }
        store_array_free(&a);
        int same = a.ndim == st->n_axes + 1 && a.dims[st->n_axes] == st->n_seeds;
        for (int k = 0; same && k < st->n_axes; k++)
            same = a.dims[k] == st->axes[k].n;
        if (!same) {
            snprintf(why, size, "study '%s' has another grid of tasks here", st->name);
            return 1;
        }
    }
    return 0;
}

int store_load_spec(const char *path, spec *s, lesde_err *e)
{
    /* By name, not by listing every attribute: HDF5 1.10 crashes listing a
     * damaged attribute table (the store fuzzer's most frequent find). */
    static const char *const names[4] = {"spec_text", "spec_hash", "spec_overrides", "sweep_name"};
    char *v[4];
    int rc = store_read_root_strs(path, names, 4, v, e);
    if (rc)
        return rc;
    const char *text = v[0], *hash = v[1];
    const char *over = v[2]; /* absent in early stores */
    /* A spec without 'name =' is named after its file, and the name is
     * hashed: parse it as that file, not as the store (whose name would
     * give another name and hash). */
    char file[300];
    if (v[3] && v[3][0])
        snprintf(file, sizeof file, "%s.ini", v[3]);
    else
        snprintf(file, sizeof file, "%s", path);
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
    if ((rc = spec_parse(s, text, file, sets, n_sets, e))) {
        err_prefix(e, "%s: the spec inside the store does not parse", path);
        goto out;
    }
    snprintf(s->path, sizeof s->path, "%s", path); /* where it was read from */
    if (!spec_hash_matches(s, hash)) {
        /* A lesde with new spec keys hashes an older store's spec (with
         * the new keys' defaults) differently. Reading it is still sound
         * when every study's tasks lie where this version puts them. */
        char why[200];
        if (grid_differs(path, s, why, sizeof why)) {
            rc = err_set(e, LESDE_USAGE,
                         "%s: its spec gives hash %s here, not the stored %s "
                         "(written by another lesde version?), and %s",
                         path, s->hash, hash, why);
            spec_free(s);
        } else {
            log_warn("%s: written by another lesde version (its spec hashes to %s here, %s "
                     "there); its grid of tasks is the same here, so it is read as this "
                     "version parses its spec",
                     path, s->hash, hash);
            snprintf(s->hash, sizeof s->hash, "%s", hash);
            s->foreign = 1;
        }
    } else {
        /* An older store holds hash_all: give the hash the store holds. */
        snprintf(s->hash, sizeof s->hash, "%s", hash);
    }
out:
    free(buf);
    for (int i = 0; i < 4; i++)
        free(v[i]);
    return rc;
}
