#include "core/rng.h"

uint64_t rng_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t rng_derive(uint64_t seed, uint64_t purpose, uint64_t extra)
{
    return rng_mix64(rng_mix64(rng_mix64(seed) ^ purpose) ^ extra);
}

gsl_rng *rng_stream(uint64_t seed, uint64_t purpose, uint64_t extra)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    uint64_t s = rng_derive(seed, purpose, extra);
    /* mt19937 takes a 32-bit seed; fold the high half in, and avoid 0,
     * which GSL maps to its default seed. */
    unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffULL);
    gsl_rng_set(r, s32 ? s32 : 1);
    return r;
}
