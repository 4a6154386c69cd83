#include "core/version.h"

/* Written by cmake/gitrev.cmake at every build (in the build folder), so
 * that only this file recompiles when HEAD moves. */
#include "lesde_gitrev.h"

const char *version_git_rev(void)
{
    return LESDE_GIT_REV;
}

const char *version_build(void)
{
#ifndef LESDE_BUILD_DESC
#define LESDE_BUILD_DESC "unknown build"
#endif
#ifdef __clang__
    return LESDE_BUILD_DESC ", clang " __clang_version__;
#elif defined(__GNUC__)
    return LESDE_BUILD_DESC ", GCC " __VERSION__;
#else
    return LESDE_BUILD_DESC;
#endif
}
