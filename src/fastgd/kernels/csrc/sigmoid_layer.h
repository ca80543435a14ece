/* The network's sigmoid hidden layer: a = sigmoid(z + b) over a block of
 * rows, in place, four lanes at a time with simd.h's exponential.
 *
 * Layers: _mlp.pyx's forward pass calls it after each hidden layer's gemm
 * when the activation is the sigmoid (the other activations are plain
 * Cython loops); the NumPy reference (fastgd/reference/) specifies the
 * activation, and tests/kernels/test_csrc.py checks this against libm.
 * Like simd.h's loops, each function is compiled for every target_clones
 * level, and FASTGD_SCALAR builds the plain libm loops.
 */
#ifndef FASTGD_SIGMOID_LAYER_H
#define FASTGD_SIGMOID_LAYER_H
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "simd.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR)
/* z (rows x cols, C order) <- sigmoid(z + b), b one entry per column */
FASTGD_CLONES static void fastgd_sigmoid_bias_d(double *restrict z, const double *restrict b,
                                                ptrdiff_t rows, ptrdiff_t cols)
{
    ptrdiff_t i, j;
    fastgd_v4d v, bias;
    for (i = 0; i < rows; i++) {
        double *zi = z + i * cols;
        for (j = 0; j + 4 <= cols; j += 4) {
            memcpy(&v, zi + j, sizeof v);
            memcpy(&bias, b + j, sizeof bias);
            v = fastgd_sigmoid4(v + bias);
            memcpy(zi + j, &v, sizeof v);
        }
        for (; j < cols; j++)
            zi[j] = fastgd_sigmoid4(FASTGD_SPLAT(zi[j] + b[j]))[0];
    }
}

FASTGD_CLONES static void fastgd_sigmoid_bias_f(float *restrict z, const float *restrict b,
                                                ptrdiff_t rows, ptrdiff_t cols)
{
    ptrdiff_t i, j;
    fastgd_v4f v;
    for (i = 0; i < rows; i++) {
        float *zi = z + i * cols;
        for (j = 0; j + 4 <= cols; j += 4) {
            v = __builtin_convertvector(
                fastgd_sigmoid4(fastgd_load4_f(zi + j) + fastgd_load4_f(b + j)), fastgd_v4f);
            memcpy(zi + j, &v, sizeof v);
        }
        for (; j < cols; j++)
            zi[j] = (float)fastgd_sigmoid4(FASTGD_SPLAT((double)zi[j] + (double)b[j]))[0];
    }
}
#else
FASTGD_UNUSED static void fastgd_sigmoid_bias_d(double *z, const double *b, ptrdiff_t rows, ptrdiff_t cols)
{
    ptrdiff_t i, j;
    for (i = 0; i < rows; i++)
        for (j = 0; j < cols; j++) {
            double v = z[i * cols + j] + b[j], e = exp(-fabs(v));
            z[i * cols + j] = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        }
}

FASTGD_UNUSED static void fastgd_sigmoid_bias_f(float *z, const float *b, ptrdiff_t rows, ptrdiff_t cols)
{
    ptrdiff_t i, j;
    for (i = 0; i < rows; i++)
        for (j = 0; j < cols; j++) {
            double v = (double)z[i * cols + j] + b[j], e = exp(-fabs(v));
            z[i * cols + j] = (float)(v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
        }
}
#endif
#endif
