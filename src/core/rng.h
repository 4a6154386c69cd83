/* rng: explicit, reproducible random streams.
 *
 * No draw in lesde comes from a global generator. A stream is derived from
 * (seed, purpose, extra) by a SplitMix64 hash, so a task's random numbers
 * depend only on its parameters and seed, never on the rank that ran it or
 * on the order of execution. Purposes keep the streams of one task apart:
 * drawing one more sample for the probe set must not shift the SGD order. */
#ifndef LESDE_CORE_RNG_H
#define LESDE_CORE_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

enum rng_purpose {
    RNG_DATA_TRAIN = 1, /* generating / choosing training samples */
    RNG_DATA_VAL = 2,   /* generating / choosing validation samples */
    RNG_POLLUTE = 3,    /* which labels are polluted and to what */
    RNG_INIT = 4,       /* network initialisation */
    RNG_SGD = 5,        /* the sample drawn at each SGD step */
    RNG_PROBE = 6,      /* the probe set */
    RNG_SDE = 7,        /* LE-SDE initial features and noise */
    RNG_PATHS = 8,      /* noisy LE-ODE paths */
    RNG_REFSIM = 9      /* the reference method's noisy starts (extra: the le_sim) */
};

/* SplitMix64 finaliser: a well-mixed 64-bit hash of x. */
uint64_t rng_mix64(uint64_t x);

/* The 64-bit seed of stream (seed, purpose, extra). */
uint64_t rng_derive(uint64_t seed, uint64_t purpose, uint64_t extra);

/* A new GSL generator (mt19937) seeded from rng_derive(); free with gsl_rng_free. */
gsl_rng *rng_stream(uint64_t seed, uint64_t purpose, uint64_t extra);

#endif
