/* The CPU check: a build with LESDE_NATIVE (-march=native, the default)
 * runs only on CPUs with the build machine's instruction sets. On another
 * (a cluster node older than the login node, valgrind) the first AVX-512
 * instruction would kill it with SIGILL and no word why; this constructor
 * runs before main and says so instead. It is compiled for plain x86-64
 * (the target attribute), whatever -march the file gets. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <stdio.h>
#include <unistd.h>

/* NEED(name): the feature -march turned on (the #ifdef around it) must be
 * this CPU's too; __builtin_cpu_supports takes a literal only. */
#define NEED(name)                                                                                 \
    if (!__builtin_cpu_supports(name))                                                             \
        missing[n++] = name;

__attribute__((constructor, target("arch=x86-64"))) static void cpu_check(void)
{
    const char *missing[16];
    int n = 0;
    __builtin_cpu_init(); /* a constructor must, before __builtin_cpu_supports */
#ifdef __AVX512F__
    NEED("avx512f")
#endif
#ifdef __AVX512VL__
    NEED("avx512vl")
#endif
#ifdef __AVX512BW__
    NEED("avx512bw")
#endif
#ifdef __AVX512DQ__
    NEED("avx512dq")
#endif
#ifdef __AVX512CD__
    NEED("avx512cd")
#endif
#ifdef __AVX512VBMI__
    NEED("avx512vbmi")
#endif
#ifdef __AVX2__
    NEED("avx2")
#endif
#ifdef __FMA__
    NEED("fma")
#endif
#ifdef __AVX__
    NEED("avx")
#endif
#ifdef __BMI2__
    NEED("bmi2")
#endif
#ifdef __BMI__
    NEED("bmi")
#endif
#ifdef __POPCNT__
    NEED("popcnt")
#endif
#ifdef __SSE4_2__
    NEED("sse4.2")
#endif
    if (!n)
        return;
    char host[256] = "this machine";
    gethostname(host, sizeof host - 1);
    fprintf(stderr, "lesde: this binary was built for a CPU with");
    for (int i = 0; i < n; i++)
        fprintf(stderr, "%s %s", i ? "," : "", missing[i]);
    fprintf(stderr,
            ", which the CPU of %s lacks (LESDE_NATIVE builds for the build machine's CPU, "
            "-march=native): build on a machine of this kind, or configure with cmake "
            "-DLESDE_NATIVE=OFF (the CNN kernels still pick this CPU's fastest path)\n",
            host);
    _exit(1);
}
#endif
