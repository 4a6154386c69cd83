/* isa: what differs between the builds of the kernels (layers.c, lanes.c),
 * which CMake compiles once per path with NN_ISA_AVX512, NN_ISA_AVX2 or
 * neither (the plain C path) and the matching -march.
 *
 * The code itself is the same for every path: GCC vector extensions of
 * the path's native width (8 doubles, 4, 2). The width, the lane count of
 * the inference layout and the register-tile sizes change between paths;
 * no sum's terms or order do (a sum over 8 lanes is 8 lanes on every path). */
#ifndef LESDE_NN_ISA_H
#define LESDE_NN_ISA_H

#include "nn/layers.h"

#if defined(NN_ISA_AVX512)
#define NN_ISA avx512
#define NN_VW 8        /* doubles per native vector */
#define NN_GROUP 16    /* conv_forward: most output channels per register tile */
#define NN_TILE_X1 14  /* conv_forward: output pixels per tile of 8 channels */
#define NN_TILE_X2 10  /* the same, 16 channels */
#define NN_BWD_VECS 20 /* vector accumulators of the conv backward kernels */
#define NN_DENSE_ROWS 8 /* dense_forward: rows at a time */
#define NN_SGD_ROWS 4   /* dense_backward_sgd: non-zero rows at a time */
#define NN_CONV_NOC 4  /* output channels per register tile of conv_pool_lanes */
#elif defined(NN_ISA_AVX2)
#define NN_ISA avx2
#define NN_VW 4
#define NN_GROUP 16
#define NN_TILE_X1 4
#define NN_TILE_X2 2
#define NN_BWD_VECS 10
#define NN_DENSE_ROWS 4
#define NN_SGD_ROWS 4
#define NN_CONV_NOC 2
#else
#define NN_ISA c
#define NN_VW 2
#define NN_GROUP 8
#define NN_TILE_X1 2
#define NN_TILE_X2 1
#define NN_BWD_VECS 8
#define NN_DENSE_ROWS 2
#define NN_SGD_ROWS 2
#define NN_CONV_NOC 2
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

/* s in every lane, exactly ((vn){0} + s would turn -0 into +0) */
static inline __attribute__((always_inline)) vn vn_bcast(double s)
{
    vn v;
    for (int l = 0; l < NN_VW; l++)
        v[l] = s;
    return v;
}

/* lanes.c's functions, for layers.c's table */
void NN_ISA_FN(lanes_in)(double *out, const double *x, int n, int C, int HW);
void NN_ISA_FN(conv_pool_lanes)(double *out, const double *in, const double *wt, const double *bp,
                                int H, int W, int C, int OC, int K, int chw);
void NN_ISA_FN(dense_lanes)(double *out, const double *in, const double *w, const double *b, int G,
                            int NI, int NO, int relu);
void NN_ISA_FN(lanes_out)(double *out, const double *in, int n, int K);

#endif
