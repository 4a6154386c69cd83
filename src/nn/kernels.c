/* kernels: which build of the layers (layers.h) runs. Compiled once, with
 * the plain flags: it only asks the CPU what it can do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef LESDE_KERNELS_X86
#include <cpuid.h>
#endif

#include "nn/layers.h"

/* The paths this build has (CMakeLists.txt: every one, or with
 * LESDE_KERNELS_HERE those its machine runs), fastest first. */
extern const nn_kernels nn_kernels_c;
#ifdef LESDE_KERNELS_HAVE_AVX512
extern const nn_kernels nn_kernels_avx512;
#endif
#ifdef LESDE_KERNELS_HAVE_AVX2
extern const nn_kernels nn_kernels_avx2;
#endif

static const nn_kernels *const paths[] = {
#ifdef LESDE_KERNELS_HAVE_AVX512
    &nn_kernels_avx512,
#endif
#ifdef LESDE_KERNELS_HAVE_AVX2
    &nn_kernels_avx2,
#endif
    &nn_kernels_c};
#define N_PATHS (int)(sizeof paths / sizeof paths[0])

static int runs_here(const nn_kernels *k)
{
    /* The ISA levels the paths are compiled for (-march=x86-64-v4, -v3);
     * libgcc also checks that the OS saves the vector registers. */
#if defined LESDE_KERNELS_HAVE_AVX512 || defined LESDE_KERNELS_HAVE_AVX2
    __builtin_cpu_init();
#endif
#ifdef LESDE_KERNELS_HAVE_AVX512
    if (k == &nn_kernels_avx512)
        return __builtin_cpu_supports("x86-64-v4");
#endif
#ifdef LESDE_KERNELS_HAVE_AVX2
    if (k == &nn_kernels_avx2)
        return __builtin_cpu_supports("x86-64-v3");
#endif
    (void)k;
    return 1;
}

static const nn_kernels *find(const char *name)
{
    for (int i = 0; i < N_PATHS; i++)
        if (!strcmp(paths[i]->name, name))
            return paths[i];
    return NULL;
}

const nn_kernels *nn_kernels_get(const char *name)
{
    const nn_kernels *k = name ? find(name) : NULL;
    return k && runs_here(k) ? k : NULL;
}

int nn_kernels_check_env(char *msg, size_t len)
{
    const char *v = getenv("LESDE_KERNELS");
    if (!v || !*v)
        return 0;
    const nn_kernels *k = find(v);
    if (!k) {
        char names[64] = "";
        for (int i = 0; i < N_PATHS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     paths[i]->name);
        snprintf(msg, len, "LESDE_KERNELS=%s: not a kernel path of this build (%s)", v, names);
        return -1;
    }
    if (!runs_here(k)) {
        snprintf(msg, len, "LESDE_KERNELS=%s: this CPU cannot run it", v);
        return -1;
    }
    return 0;
}

const nn_kernels *nn_kernels_default(void)
{
    const nn_kernels *k = nn_kernels_get(getenv("LESDE_KERNELS"));
    for (int i = 0; !k && i < N_PATHS; i++)
        if (runs_here(paths[i]))
            k = paths[i];
    return k;
}

void nn_cpu_name(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
#ifdef LESDE_KERNELS_X86
    /* The brand string (leaves 0x80000002-4) names the product, often not
     * the generation ("AMD EPYC" under a hypervisor): family and model
     * (leaf 1, with their extended fields) do. */
    unsigned r[12] = {0}, a, b, c, d;
    if (__get_cpuid_max(0x80000000, NULL) < 0x80000004 || !__get_cpuid(1, &a, &b, &c, &d))
        return;
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    char brand[49];
    memcpy(brand, r, 48);
    brand[48] = '\0';
    const char *s = brand;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
    if (family == 0xf)
        family += (a >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model += ((a >> 16) & 0xf) << 4;
    snprintf(buf, len, "%.*s (family %u, model %u)", (int)n, s, family, model);
#endif
}
