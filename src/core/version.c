#include "core/version.h"

/* Written by cmake/gitrev.cmake at every build (in the build folder), so
 * that only this file recompiles when HEAD moves. */
#include "lesde_gitrev.h"

const char *version_git_rev(void)
{
    return LESDE_GIT_REV;
}
