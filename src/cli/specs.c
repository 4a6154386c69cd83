/* Where lesde sweep finds a spec named without a path (lesde sweep quickstart). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

/* The installed specs, relative to the binary's directory (from CMake's
 * install layout: bin/ -> share/lesde); ../sweep is a build folder inside a
 * checkout (build/lesde finds sweep/). */
#ifndef LESDE_DATA_REL
#define LESDE_DATA_REL "../share/lesde"
#endif

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The directories searched, in order, into dirs[] (at most max); returns
 * how many. $LESDE_SPEC_PATH (colon-separated), then beside the binary. */
static int spec_dirs(char dirs[][PATH_MAX], int max)
{
    int n = 0;
    const char *env = getenv("LESDE_SPEC_PATH");
    for (const char *p = env; p && *p && n < max;) {
        size_t len = strcspn(p, ":");
        if (len > 0 && len < PATH_MAX)
            snprintf(dirs[n++], PATH_MAX, "%.*s", (int)len, p);
        p += len + (p[len] == ':');
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return n;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return n;
    *slash = '\0';
    const char *rel[] = {LESDE_DATA_REL "/sweep", "../sweep"};
    for (int i = 0; i < 2 && n < max; i++) {
        char d[PATH_MAX + 64];
        snprintf(d, sizeof d, "%s/%s", exe, rel[i]);
        if (realpath(d, dirs[n])) /* only those that exist, named plainly */
            n++;
    }
    return n;
}

const char *cli_spec_find(const char *arg, char *buf, size_t n, lesde_err *e)
{
    if (strchr(arg, '/') || is_file(arg))
        return arg; /* a path, or a file here: spec_load says what is wrong
                     * with it; a directory here (an --out named fig3) or a
                     * FIFO (which would block the read) is no spec */
    size_t len = strlen(arg);
    int has_ini = len > 4 && !strcmp(arg + len - 4, ".ini");
    char dirs[8][PATH_MAX], tried[1024] = "";
    int nd = spec_dirs(dirs, 8);
    for (int i = 0; i < nd; i++) {
        snprintf(buf, n, "%s/%s", dirs[i], arg);
        if (is_file(buf))
            return buf;
        snprintf(buf, n, "%s/%s.ini", dirs[i], arg);
        if (!has_ini && is_file(buf))
            return buf;
        size_t t = strlen(tried);
        snprintf(tried + t, sizeof tried - t, ", %s", dirs[i]);
    }
    err_set(e, LESDE_FAIL, "%s: cannot read the spec: no such file here%s%s", arg,
            nd ? " nor in " : "", tried + (nd ? 2 : 0));
    return NULL;
}
