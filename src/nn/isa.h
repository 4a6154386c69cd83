/* isa: what differs between the builds of the kernels (layers.c, lanes.c),
 * which CMake compiles once per path with NN_ISA_AVX512, NN_ISA_AVX2 or
 * neither (the plain C path) and the matching -march.
 *
 * The code itself is the same for every path: GCC vector extensions of
 * the path's native width (8 doubles, 4, 2), and intrinsics only where they
 * name one instruction the extensions cannot (vn_pool4_relu's max; the
 * same results on every path) or where GCC compiled the extensions badly
 * (vn_bcast on AVX2). The width, the lane count of
 * the inference layout and the register-tile sizes change between paths;
 * no sum's terms or order do (a sum over 8 lanes is 8 lanes on every path). */
#ifndef LESDE_NN_ISA_H
#define LESDE_NN_ISA_H

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "nn/layers.h"

#if defined(NN_ISA_AVX512)
#define NN_ISA avx512
#define NN_VW 8         /* doubles per native vector */
#define NN_GROUP 16     /* conv_forward: most output channels per register tile */
#define NN_TILE_X1 14   /* conv_forward: output pixels per tile of 8 channels */
#define NN_TILE_X2 10   /* the same, 16 channels */
#define NN_BWD_VECS 20  /* vector accumulators of the conv backward kernels */
#define NN_DENSE_ROWS 2 /* dense_forward: rows at a time */
#define NN_SGD_ROWS 4   /* dense_backward_sgd: non-zero rows at a time */
#define NN_CONV_NOC 4   /* output channels per register tile of conv_pool_lanes */
#define NN_WINO_T 2     /* wino_pool_lanes: most output tiles per register tile */
#define NN_WINO_OC 8    /* the same, output channels (of the last pair; quads: half) */
#define NN_PW8 5        /* conv_pool_forward: pool windows per tile of 8 channels */
#define NN_PW16                                                                                    \
    3 /* the same, 16 channels (0: in groups of 8); the tiles are there for these values */
#elif defined(NN_ISA_AVX2)
#define NN_ISA avx2
#define NN_VW 4
#define NN_PW8 1
#define NN_PW16 0
#define NN_GROUP 16
#define NN_TILE_X1 4
#define NN_TILE_X2 2
#define NN_BWD_VECS 10
#define NN_DENSE_ROWS 4
#define NN_SGD_ROWS 4
#define NN_CONV_NOC 3 /* 12 accumulators: 2-4% more inference than 2 (Zen 3) */
#define NN_WINO_T 2
#define NN_WINO_OC 4
#else
#define NN_ISA c
#define NN_VW 2
#define NN_PW8 0 /* no conv_pool_forward: 2 rows x 2 pixels x 4 vectors need 16 registers */
#define NN_PW16 0
#define NN_GROUP 8
#define NN_TILE_X1 2
#define NN_TILE_X2 1
#define NN_BWD_VECS 8
#define NN_DENSE_ROWS 2
#define NN_SGD_ROWS 2
#define NN_CONV_NOC 2
#define NN_WINO_T 2
#define NN_WINO_OC 4
#endif
#define NN_NH (8 / NN_VW) /* native vectors per 8 doubles (a padded channel group) */
#define NN_NL NN_VW       /* samples side by side in the lane layout */

#define NN_STR2(x) #x
#define NN_STR(x) NN_STR2(x)
#define NN_CAT2(a, b) a##_##b
#define NN_CAT(a, b) NN_CAT2(a, b)
/* name_avx512, name_avx2, name_c: the one symbol a build exports per name. */
#define NN_ISA_FN(name) NN_CAT(name, NN_ISA)

/* The native vector (GCC 12 keeps wider generic vectors in memory when the
 * target lacks them, which is slower than scalar code), its compare
 * result, and an int vector of as many lanes. */
typedef double vn __attribute__((vector_size(8 * NN_VW)));
typedef long long vnl __attribute__((vector_size(8 * NN_VW)));
typedef int vni __attribute__((vector_size(4 * NN_VW)));
/* Unaligned view of a double array (like immintrin's __m512d_u). */
typedef double vnu __attribute__((vector_size(8 * NN_VW), aligned(8), may_alias));
#define LDN(p) (*(const vnu *)(p))
#define STN(p, v) (*(vnu *)(p) = (v))

/* Keeps v in a register: GCC would rather fold a vector load into every
 * multiply-add that uses it (a load each time), which made the tiles of
 * lanes.c wait on loads. */
#if defined(__x86_64__)
#define IN_REG(v) __asm__("" : "+v"(v))
#else
#define IN_REG(v) ((void)0)
#endif

/* s in every lane, exactly ((vn){0} + s would turn -0 into +0). On AVX2
 * the lane loop let GCC's SLP pass pair neighbouring weights into one
 * 128-bit load, two permutes and two inserts, and left the Winograd
 * tiles' input vectors stored to the stack and never read: the intrinsic
 * is one vbroadcastsd (inference 34 -> 46 GFLOP/s on Zen 3,
 * docs/benchmarks.md). AVX-512 gets one broadcast from the loop; on SSE2
 * the same dead stores cost ~3%, too little for a second intrinsic. */
static inline __attribute__((always_inline)) vn vn_bcast(double s)
{
#if NN_VW == 4
    return _mm256_set1_pd(s);
#else
    vn v;
    for (int l = 0; l < NN_VW; l++)
        v[l] = s;
    return v;
#endif
}

/* ReLU per lane: x where x > 0 or x is NaN (as PyTorch), else +0; masks,
 * not branches (the signs are random). */
static inline __attribute__((always_inline)) vn vn_relu(vn x)
{
    return (vn)((vnl)x & ((x > 0.0) | (x != x)));
}

/* Per lane, the max of a 2x2 pool window's values p[0..3] (row-major; a
 * NaN wins, ties keep the first, as PyTorch) and its place in *which. */
static inline __attribute__((always_inline)) vn vn_pool4(const vn p[4], vnl *which)
{
    vn m = p[0];
    vnl w = {0};
#pragma GCC unroll 4
    for (int k = 1; k < 4; k++) {
        vnl take = (p[k] > m) | (p[k] != p[k]);
        m = (vn)(((vnl)p[k] & take) | ((vnl)m & ~take));
        w = (w & ~take) | (take & (long long)k);
    }
    *which = w;
    return m;
}

/* vn_relu(vn_pool4(p)) where the pool's place is not kept (inference): when
 * no lane holds a NaN, max instructions (after the ReLU, which of two
 * equal values won and the sign of a zero no longer matter; max(r, +0)
 * gives +0 for -0 as the ReLU does); with a NaN, vn_pool4's own choice.
 * The same bytes as vn_relu(vn_pool4(p)) either way, in a third of the
 * operations (no chain of compares and masks). */
static inline __attribute__((always_inline)) vn vn_pool4_relu(const vn p[4])
{
#if NN_VW == 8
    if (!(_mm512_cmp_pd_mask(p[0], p[1], _CMP_UNORD_Q) |
          _mm512_cmp_pd_mask(p[2], p[3], _CMP_UNORD_Q)))
        return _mm512_max_pd(_mm512_max_pd(_mm512_max_pd(p[0], p[1]), _mm512_max_pd(p[2], p[3])),
                             _mm512_setzero_pd());
#elif NN_VW == 4
    if (!_mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(p[0], p[1], _CMP_UNORD_Q),
                                         _mm256_cmp_pd(p[2], p[3], _CMP_UNORD_Q))))
        return _mm256_max_pd(_mm256_max_pd(_mm256_max_pd(p[0], p[1]), _mm256_max_pd(p[2], p[3])),
                             _mm256_setzero_pd());
#elif defined(__x86_64__) /* the C path: SSE2 */
    if (!_mm_movemask_pd(_mm_or_pd(_mm_cmpunord_pd(p[0], p[1]), _mm_cmpunord_pd(p[2], p[3]))))
        return _mm_max_pd(_mm_max_pd(_mm_max_pd(p[0], p[1]), _mm_max_pd(p[2], p[3])),
                          _mm_setzero_pd());
#endif
    vnl which;
    return vn_relu(vn_pool4(p, &which));
}

/* VW x VW transpose in registers: rj <- (r0[j], ..., r(VW-1)[j]), in
 * log2(NL) rounds of two-vector shuffles (named vectors, not arrays: GCC
 * keeps arrays of vectors on the stack). */
#if NN_VW == 8
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#define TRANSPOSE(r0, r1, r2, r3, r4, r5, r6, r7)                                                  \
    do {                                                                                           \
        vn t0 = SHUF(r0, r1, 0, 8, 2, 10, 4, 12, 6, 14),                                           \
           t1 = SHUF(r0, r1, 1, 9, 3, 11, 5, 13, 7, 15);                                           \
        vn t2 = SHUF(r2, r3, 0, 8, 2, 10, 4, 12, 6, 14),                                           \
           t3 = SHUF(r2, r3, 1, 9, 3, 11, 5, 13, 7, 15);                                           \
        vn t4 = SHUF(r4, r5, 0, 8, 2, 10, 4, 12, 6, 14),                                           \
           t5 = SHUF(r4, r5, 1, 9, 3, 11, 5, 13, 7, 15);                                           \
        vn t6 = SHUF(r6, r7, 0, 8, 2, 10, 4, 12, 6, 14),                                           \
           t7 = SHUF(r6, r7, 1, 9, 3, 11, 5, 13, 7, 15);                                           \
        vn u0 = SHUF(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13),                                            \
           u2 = SHUF(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);                                          \
        vn u1 = SHUF(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13),                                            \
           u3 = SHUF(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);                                          \
        vn u4 = SHUF(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13),                                            \
           u6 = SHUF(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);                                          \
        vn u5 = SHUF(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13),                                            \
           u7 = SHUF(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);                                          \
        r0 = SHUF(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11),                                               \
        r4 = SHUF(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);                                             \
        r1 = SHUF(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11),                                               \
        r5 = SHUF(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);                                             \
        r2 = SHUF(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11),                                               \
        r6 = SHUF(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);                                             \
        r3 = SHUF(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11),                                               \
        r7 = SHUF(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);                                             \
    } while (0)
#elif NN_VW == 4
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#define TRANSPOSE(r0, r1, r2, r3)                                                                  \
    do {                                                                                           \
        vn t0 = SHUF(r0, r1, 0, 4, 2, 6), t1 = SHUF(r0, r1, 1, 5, 3, 7);                           \
        vn t2 = SHUF(r2, r3, 0, 4, 2, 6), t3 = SHUF(r2, r3, 1, 5, 3, 7);                           \
        r0 = SHUF(t0, t2, 0, 1, 4, 5), r2 = SHUF(t0, t2, 2, 3, 6, 7);                              \
        r1 = SHUF(t1, t3, 0, 1, 4, 5), r3 = SHUF(t1, t3, 2, 3, 6, 7);                              \
    } while (0)
#else
#define TRANSPOSE(r0, r1)                                                                          \
    do {                                                                                           \
        vn t0 = __builtin_shufflevector(r0, r1, 0, 2);                                             \
        r1 = __builtin_shufflevector(r0, r1, 1, 3);                                                \
        r0 = t0;                                                                                   \
    } while (0)
#endif

/* The same on an array (the index constant after inlining). */
static inline __attribute__((always_inline)) void vn_transpose(vn *r)
{
#if NN_VW == 8
    vn r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4], r5 = r[5], r6 = r[6], r7 = r[7];
    TRANSPOSE(r0, r1, r2, r3, r4, r5, r6, r7);
    r[0] = r0, r[1] = r1, r[2] = r2, r[3] = r3, r[4] = r4, r[5] = r5, r[6] = r6, r[7] = r7;
#elif NN_VW == 4
    vn r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
    TRANSPOSE(r0, r1, r2, r3);
    r[0] = r0, r[1] = r1, r[2] = r2, r[3] = r3;
#else
    vn r0 = r[0], r1 = r[1];
    TRANSPOSE(r0, r1);
    r[0] = r0, r[1] = r1;
#endif
}

/* lanes.c's functions, for layers.c's table */
void NN_ISA_FN(lanes_in)(double *out, const double *x, int n, int C, int HW);
void NN_ISA_FN(conv_pool_lanes)(double *out, const double *in, const double *wt, const double *bp,
                                int H, int W, int C, int OC, int K, int chw);
void NN_ISA_FN(wino_pack)(double *u, const double *w, int C, int OC);
void NN_ISA_FN(wino_pool_lanes)(double *out, const double *in, const double *u, const double *b,
                                double *work, int H, int W, int C, int OC, int chw);
void NN_ISA_FN(dense_lanes)(double *out, const double *in, const double *w, const double *b, int G,
                            int NI, int NO, int relu);
void NN_ISA_FN(lanes_out)(double *out, const double *in, int n, int K);

#endif
