/* libFuzzer target: the sweep spec parser (spec_parse) on arbitrary text.
 *
 * The input up to its first NUL byte is the spec; each NUL-separated piece
 * after it is a --set override (at most 4). A spec that parses is expanded:
 * its first and last tasks are looked up, configured and labelled. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

static void touch_task(const spec *s, long id)
{
    spec_task t;
    if (spec_task_get(s, id, &t) != LESDE_OK)
        abort(); /* ids 0..n_tasks-1 must exist */
    char label[512];
    spec_task_label(s, &t, label, sizeof label);
    train_config tc;
    le_sde_config sc;
    if (s->studies[t.study].kind == SPEC_TRAIN)
        spec_task_train(s, &t, &tc);
    else
        spec_task_sde(s, &t, &sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *sets[4];
    int n_sets = 0;
    size_t len = strlen(buf);
    for (size_t i = len + 1; i < size && n_sets < 4; i += strlen(buf + i) + 1)
        sets[n_sets++] = buf + i;

    spec s;
    lesde_err e = {0};
    int rc = spec_parse(&s, buf, "fuzz.ini", sets, n_sets, &e);
    if (rc == LESDE_OK) {
        if (s.n_tasks < 1 || !s.canonical || strlen(s.hash) != 16)
            abort();
        touch_task(&s, 0);
        touch_task(&s, s.n_tasks - 1);
        touch_task(&s, s.n_tasks / 2);
        spec_task t;
        if (spec_task_get(&s, s.n_tasks, &t) == LESDE_OK)
            abort();
        spec_free(&s);
    } else if (!e.msg[0] || strchr(e.msg, '\n')) {
        abort(); /* every error is one line */
    }
    free(buf);
    return 0;
}
