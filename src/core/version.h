/* version: what a store and `lesde --version` say built this binary. */
#ifndef LESDE_CORE_VERSION_H
#define LESDE_CORE_VERSION_H

/* The source's git revision when this binary was built: 12 hex digits,
 * "-dirty" when tracked files differed from that commit, or "unknown". */
const char *version_git_rev(void);

/* How it was built: "Release, -march=native, GCC 12.2.0" (build type,
 * LESDE_NATIVE, compiler), which the last bits of data and fit depend on. */
const char *version_build(void);

#endif
