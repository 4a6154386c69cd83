/* Label pollution (le-sde.md section 7).
 *
 * In each class (by clean label) of n_c samples, m = round(p_err * n_c)
 * samples chosen without replacement get a training label among the other
 * k-1 classes: each other class receives floor(m / (k-1)) of them, and the
 * remainder r = m mod (k-1) goes one each to r other classes chosen
 * uniformly without replacement (drawn anew for every class), so the counts
 * differ by at most one. Which chosen sample gets which new label is a
 * uniform random matching. All draws come from stream (seed, RNG_POLLUTE, 0),
 * class after class in label order. */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "core/rng.h"

int data_pollute(data_set *ds, double p_err, uint64_t seed, lesde_err *e)
{
    if (!(p_err >= 0.0 && p_err <= 1.0))
        return err_set(e, LESDE_USAGE, "p_err must be in [0, 1], not %g", p_err);
    int n = ds->n, k = ds->k;
    for (int i = 0; i < n; i++) {
        if (ds->label[i] < 0 || ds->label[i] >= k)
            return err_set(e, LESDE_FAIL, "sample %d has label %d, not in 0..%d", i,
                           ds->label[i], k - 1);
        ds->train_label[i] = ds->label[i];
    }
    if (p_err == 0.0 || n == 0)
        return LESDE_OK;
    if (k < 2)
        return err_set(e, LESDE_USAGE, "label pollution needs at least 2 classes, not %d", k);

    int rc = LESDE_OK;
    int *members = malloc((size_t)n * sizeof *members);
    int *target = malloc((size_t)n * sizeof *target);
    int *others = malloc((size_t)k * sizeof *others);
    gsl_rng *r = rng_stream(seed, RNG_POLLUTE, 0);
    if (!members || !target || !others || !r) {
        rc = err_set(e, LESDE_FAIL, "label pollution: out of memory");
        goto out;
    }
    for (int c = 0; c < k; c++) {
        int nc = 0;
        for (int i = 0; i < n; i++)
            if (ds->label[i] == c)
                members[nc++] = i;
        long m = lround(p_err * nc);
        if (m > nc)
            m = nc;
        if (m == 0)
            continue;
        /* Partial Fisher-Yates: members[0..m-1] become a uniform random
         * m-subset in uniform random order, so pairing them with the
         * targets below in a fixed order is a uniform matching. */
        for (int i = 0; i < m; i++) {
            int j = i + (int)gsl_rng_uniform_int(r, (unsigned long)(nc - i));
            int t = members[i];
            members[i] = members[j];
            members[j] = t;
        }
        int no = 0;
        for (int o = 0; o < k; o++)
            if (o != c)
                others[no++] = o;
        /* The r classes that get one more: the first r after a shuffle. */
        gsl_ran_shuffle(r, others, (size_t)no, sizeof *others);
        long q = m / no, rem = m % no, t = 0;
        for (int o = 0; o < no; o++)
            for (long s = 0; s < q + (o < rem); s++)
                target[t++] = others[o];
        for (long i = 0; i < m; i++)
            ds->train_label[members[i]] = target[i];
    }
out:
    free(members);
    free(target);
    free(others);
    if (r)
        gsl_rng_free(r);
    return rc;
}
