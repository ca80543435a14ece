"""The C headers of ``kernels/csrc/`` (simd.h, sgd_epoch.h, sigmoid_layer.h,
sgd_steps.h) in every build.

The extension modules are built one way on a given machine: here the
x86-64-v3 clones run, the baseline clones and the scalar loops (what a
compiler without GCC vector extensions gets) never do.  This test compiles
a small C program against the installed headers four ways (as shipped,
``-DFASTGD_NO_CLONES``: the baseline code only, ``-DFASTGD_SCALAR``: the
scalar loops, and ``-march=native`` as ``FASTGD_NATIVE=1`` builds: GCC 12
once crashed on it) and checks against plain loops in long double and libm
the dense row primitives, for every row length up to 41 (each remainder of
the loops of 16 and 4 lanes), the losses, for outputs from 0 past the -708
cut of the exponential, the per-sample SGD epoch of ``sgd_epoch.h`` in each
of its instantiations, the network's sigmoid layer of
``sigmoid_layer.h``, and the truncated L1 steps on CSR rows of
``sgd_steps.h`` and its averaged step on weights and averages side by
side, bit for bit against scikit-learn's arithmetic (one weight at a time,
the product and the sum rounded apart, also where the build has fused
multiply-adds).  The CSR gather-scatter primitives are checked
through the epoch's CSR runs (and in Python, through every CSR kernel).
"""
import os
import shutil
import subprocess
import sysconfig
import textwrap
from pathlib import Path

import pytest

import fastgd

HARNESS = textwrap.dedent(r"""
    #include <math.h>
    #include <stdio.h>
    #include <string.h>
    #include "simd.h"
    #include "sgd_epoch.h"
    #include "sigmoid_layer.h"
    #include "sgd_steps.h"

    static unsigned long long state = 88172645463325252ULL;
    static double uniform(void)     /* xorshift64 in [-1, 1) */
    {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        return (double)(state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    }
    static int failures = 0;
    static void check(const char *what, int m, double got, long double want, long double scale)
    {
        long double err = fabsl((long double)got - want) / (scale > 0 ? scale : 1.0L);
        if (!(err <= 1e-13L)) {
            printf("FAIL %s m=%d got %.17g want %.17Lg\n", what, m, got, want);
            failures++;
        }
    }

    /* w = wd + 0.3 xa in w2, then xb . w: the value and the updated w, for
     * double rows (axpy_dot_d) and float rows (axpy_dot_fd) alike */
    #define CHECK_AXPY_DOT(name, fn, xa, xb) do {                              \
        memcpy(w2, wd, sizeof wd);                                             \
        ref = 0; scale = 0;                                                    \
        for (j = 0; j < m; j++) {                                              \
            long double wj = (long double)wd[j] + 0.3L * xa[j];                \
            ref += (long double)xb[j] * wj; scale += fabsl((long double)xb[j] * wj); \
        }                                                                      \
        check(name, m, fn(0.3, xa, xb, w2, m), ref, scale);                    \
        for (j = 0; j < m; j++)                                                \
            check(name " w", m, w2[j], (long double)wd[j] + 0.3L * xa[j], 1.0L); \
    } while (0)

    /* The per-sample SGD epoch of sgd_epoch.h against the textbook update in long
     * double (no lazy scale, every loss at once): W <- (1 - eta alpha) W -
     * eta s dz x^T, b <- b - eta s dz, for the first n steps of an order,
     * dense and CSR (a third of the values are zeros, which CSR leaves out,
     * and every 17th row is empty), with one output (squared, logistic) or
     * three (softmax; one with ONE_CLASS). */
    #define N_ROWS 150
    #define N_FEATURES 13
    #define MAX_K 3
    enum {
        WEIGHTED = 1, SCHEDULED = 2,
        SHUFFLED = 4,       /* a permutation of the rows */
        REPEATS = 8,        /* an order that visits a third of the rows, each three times */
        NO_INTERCEPT = 16,
        ONE_CLASS = 32,     /* softmax with K = 1 */
        NON_FINITE = 64     /* the row of step 7 holds an infinity: 7 steps are taken */
    };
    static void check_epoch(const char *what, int loss, int flags, ptrdiff_t n,
                            double rate, double alpha)
    {
        const int weighted = flags & WEIGHTED, scheduled = flags & SCHEDULED;
        const int fit_intercept = !(flags & NO_INTERCEPT);
        const ptrdiff_t steps = flags & NON_FINITE ? 7 : n;
        double Xd[N_ROWS * N_FEATURES], yd[N_ROWS], swd[N_ROWS], rates[N_ROWS];
        float Xf[N_ROWS * N_FEATURES], yf[N_ROWS], swf[N_ROWS];
        double Vd[N_ROWS * N_FEATURES], scratch[FASTGD_SGD_SCRATCH(MAX_K)];
        float Vf[N_ROWS * N_FEATURES];
        int indices[N_ROWS * N_FEATURES], indptr[N_ROWS + 1];
        double w[4][MAX_K * N_FEATURES], b[4][MAX_K];
        long double wr[2][MAX_K * N_FEATURES], br[2][MAX_K], lr[2] = {0, 0};
        ptrdiff_t order[N_ROWS], i, j, p, k, t;
        const int K = loss == FASTGD_SOFTMAX && !(flags & ONE_CLASS) ? MAX_K : 1;
        double shrink;
        fastgd_sgd_epoch e;
        int f, run, nnz = 0;
        double loss_sum[4], weight_sum[4];
        long double wsum[2] = {0.0L, 0.0L};
        for (i = 0; i < N_ROWS; i++)
            order[i] = flags & REPEATS ? (i * 37 + 11) % (N_ROWS / 3)
                     : flags & SHUFFLED ? (i * 37 + 11) % N_ROWS : i;
        for (i = 0; i < N_ROWS * N_FEATURES; i++) {
            double u = uniform();
            int empty = (i / N_FEATURES) % 17 == 5;
            Xf[i] = u < -0.33 || empty ? 0.0f : (float)uniform();
            Xd[i] = u < -0.33 || empty ? 0.0 : uniform();
        }
        if (flags & NON_FINITE) {
            Xd[order[7] * N_FEATURES + 3] = INFINITY;
            Xf[order[7] * N_FEATURES + 3] = INFINITY;
        }
        for (i = 0; i < N_ROWS; i++) {     /* one pattern of zeros serves both dtypes */
            indptr[i] = nnz;
            for (j = 0; j < N_FEATURES; j++)
                if (Xd[i * N_FEATURES + j] != 0.0) {
                    Vd[nnz] = Xd[i * N_FEATURES + j];
                    Vf[nnz] = Xf[i * N_FEATURES + j];
                    indices[nnz++] = (int)j;
                }
        }
        indptr[N_ROWS] = nnz;
        for (i = 0; i < N_ROWS; i++) {
            yd[i] = loss == FASTGD_SOFTMAX ? (double)(i % K)
                  : loss == FASTGD_LOGISTIC ? (double)(uniform() > 0) : 3.0 * uniform();
            yf[i] = (float)yd[i];
            swd[i] = weighted ? 1.0 + 0.5 * uniform() : 1.0;   /* in [0.5, 1.5) */
            swf[i] = (float)swd[i];
            rates[i] = rate / (1.0 + 0.01 * i);
        }
        for (f = 0; f < 2; f++)
            for (k = 0; k < K; k++) {
                br[f][k] = 0.1L * (k + 1);
                for (j = 0; j < N_FEATURES; j++)
                    wr[f][k * N_FEATURES + j] = 0.0L;
            }
        for (run = 0; run < 4; run++) {   /* float64, float32 rows; dense, then CSR */
            f = run % 2;
            for (k = 0; k < K; k++) {
                b[run][k] = 0.1 * (k + 1);
                for (j = 0; j < N_FEATURES; j++)
                    w[run][k * N_FEATURES + j] = 0.0;
            }
            memset(&e, 0, sizeof e);
            e.n = n; e.d = N_FEATURES; e.K = K;
            e.order = flags & (SHUFFLED | REPEATS) ? order : NULL;
            e.rates = scheduled ? rates : NULL; e.rate = rate; e.alpha = alpha;
            e.loss = loss; e.fit_intercept = fit_intercept; e.scratch = scratch;
            if (run >= 2) {
                e.indices = indices; e.indptr = indptr;
            }
            if (f == 0)
                fastgd_sgd_epoch_f64(run >= 2 ? Vd : Xd, yd, weighted ? swd : NULL, w[run], b[run], &e);
            else
                fastgd_sgd_epoch_f32(run >= 2 ? Vf : Xf, yf, weighted ? swf : NULL, w[run], b[run], &e);
            loss_sum[run] = e.loss_sum;
            weight_sum[run] = e.weights;
            t = e.steps;
            if (t != steps || e.nonfinite != ((flags & NON_FINITE) != 0)) {
                printf("FAIL %s run %d: %ld steps, nonfinite %d\n", what, run, (long)t, e.nonfinite);
                failures++;
            }
            if (run >= 2)
                continue;
            for (p = 0; p < steps; p++) {
                long double z[MAX_K], dz[MAX_K], l, s, eta, target, x;
                i = order[p];
                for (k = 0; k < K; k++) {
                    z[k] = br[f][k];
                    for (j = 0; j < N_FEATURES; j++)
                        z[k] += wr[f][k * N_FEATURES + j] * (f ? (long double)Xf[i * N_FEATURES + j]
                                                               : (long double)Xd[i * N_FEATURES + j]);
                }
                s = f ? swf[i] : swd[i];
                target = f ? yf[i] : yd[i];
                if (loss == FASTGD_SOFTMAX) {
                    long double total = 0.0L, zmax = z[0];
                    for (k = 1; k < K; k++) if (z[k] > zmax) zmax = z[k];
                    for (k = 0; k < K; k++) total += expl(z[k] - zmax);
                    for (k = 0; k < K; k++) dz[k] = expl(z[k] - zmax) / total - (k == (int)target);
                    l = zmax + logl(total) - z[(int)target];
                } else if (loss == FASTGD_LOGISTIC) {
                    long double ez = expl(-fabsl(z[0]));
                    dz[0] = (z[0] >= 0 ? 1.0L / (1.0L + ez) : ez / (1.0L + ez)) - target;
                    l = (z[0] >= 0 ? z[0] : 0.0L) + log1pl(ez) - target * z[0];
                } else {
                    dz[0] = z[0] - target;
                    l = 0.5L * dz[0] * dz[0];
                }
                lr[f] += s * l;
                wsum[f] += s;
                eta = scheduled ? rates[p] : rate;
                /* 1 - eta alpha rounded to double as the loop has it: near
                 * eta alpha = 1 its rounding is all there is of it */
                shrink = 1.0 - (double)eta * alpha;
                for (k = 0; k < K; k++) {
                    for (j = 0; j < N_FEATURES; j++) {
                        x = f ? (long double)Xf[i * N_FEATURES + j] : (long double)Xd[i * N_FEATURES + j];
                        wr[f][k * N_FEATURES + j] = shrink * wr[f][k * N_FEATURES + j] - eta * s * dz[k] * x;
                    }
                    if (fit_intercept)
                        br[f][k] -= eta * s * dz[k];
                }
            }
        }
        for (run = 0; run < 4; run++) {
            f = run % 2;
            long double scale = 0.0L;
            for (k = 0; k < K; k++) {
                if (fabsl(br[f][k]) > scale) scale = fabsl(br[f][k]);
                for (j = 0; j < N_FEATURES; j++)
                    if (fabsl(wr[f][k * N_FEATURES + j]) > scale) scale = fabsl(wr[f][k * N_FEATURES + j]);
            }
            for (k = 0; k < K; k++) {
                for (j = 0; j < N_FEATURES; j++)
                    check(what, (int)(run * 100 + k * N_FEATURES + j), w[run][k * N_FEATURES + j],
                          wr[f][k * N_FEATURES + j], scale);
                check(what, -1 - run, b[run][k], br[f][k], scale);
            }
            check(what, -10 - run, loss_sum[run], lr[f], fabsl(lr[f]));
            check(what, -20 - run, weight_sum[run], wsum[f], wsum[f]);
        }
    }

    /* The truncated L1 step of CSR rows against scikit-learn's own loop:
     * v_k += c x_j (when add), then each weight of w = s v moves toward
     * zero by what it is still owed, u - q_k or u + q_k, never across it.
     * Bit for bit, for rows of 0 to 13 distinct features (each remainder of
     * the loops of four), weights interleaved (stride 2) or not. */
    static double sk_truncated(double z, double *q, double s, double u)
    {
        volatile double moved;          /* the product rounded on its own */
        double n = z;
        if (s * z > 0.0) {
            n = z - (u + *q) / s;
            n = n > 0.0 ? n : 0.0;
        } else if (s * z < 0.0) {
            n = z + (u - *q) / s;
            n = n < 0.0 ? n : 0.0;
        }
        moved = s * (n - z);
        *q = *q + moved;
        return n;
    }
    static void check_l1_sparse(void)
    {
        double v[40], q[40], vr[40], qr[40], xd[16];
        float xf[16];
        int idx[16], m, j, k, stride, kind;
        const double s = 0.7, u = 0.05, c = 0.3;
        for (stride = 1; stride <= 2; stride++)
            for (m = 0; m <= 13; m++)
                for (kind = 0; kind < 4; kind++) {  /* add f64, add f32, truncate, one at a time */
                    for (k = 0; k < 40; k++) {
                        double r = uniform();
                        v[k] = vr[k] = k % 5 == 0 ? 0.0 : 0.2 * r;   /* some reach zero */
                        q[k] = qr[k] = 0.03 * uniform();
                    }
                    for (j = 0; j < m; j++) {
                        idx[j] = (j * 7 + 3) % 16;                   /* distinct */
                        xd[j] = uniform();
                        xf[j] = (float)uniform();
                    }
                    for (j = 0; j < m; j++) {
                        volatile double step = (kind == 1 ? (double)xf[j] : xd[j]) * c;
                        k = stride * idx[j];
                        if (kind < 2)
                            vr[k] = vr[k] + step;
                        vr[k] = sk_truncated(vr[k], stride == 2 ? &vr[k + 1] : &qr[k], s, u);
                    }
                    if (kind == 0)
                        fastgd_sgd_add_l1_sparse_d(v, stride == 2 ? v + 1 : q, idx, xd, m,
                                                   stride, c, s, u);
                    else if (kind == 1)
                        fastgd_sgd_add_l1_sparse_f(v, stride == 2 ? v + 1 : q, idx, xf, m,
                                                   stride, c, s, u);
                    else if (kind == 2)
                        fastgd_sgd_l1_sparse_distinct(v, stride == 2 ? v + 1 : q, idx, m,
                                                      stride, s, u);
                    else
                        fastgd_sgd_l1_sparse(v, stride == 2 ? v + 1 : q, idx, m, stride, s, u);
                    if (memcmp(v, vr, sizeof v) != 0 || memcmp(q, qr, sizeof q) != 0) {
                        printf("FAIL l1 sparse kind %d stride %d m=%d\n", kind, stride, m);
                        failures++;
                    }
                }
    }

    /* v_k += x_j c and aw_k += (b x_j) scale on (v_k, aw_k) pairs, as
     * scikit-learn's two loops compute them, bit for bit (a feature may
     * repeat). */
    static void check_add_average_pairs(void)
    {
        double va[32], ref[32], xd[12];
        float xf[12];
        int idx[12], m, j, k, f;
        const double c = -0.37, b = 1.9, scale = 0.013;
        for (f = 0; f < 2; f++)
            for (m = 0; m <= 12; m++) {
                for (k = 0; k < 32; k++)
                    va[k] = ref[k] = uniform();
                for (j = 0; j < m; j++) {
                    idx[j] = (j * 5 + 1) % 11;          /* 1 again at j = 11 */
                    xd[j] = uniform();
                    xf[j] = (float)uniform();
                }
                for (j = 0; j < m; j++) {
                    const double x = f ? (double)xf[j] : xd[j];
                    volatile double step = x * c, avg = b * x;
                    volatile double avg_step = avg * scale;
                    k = 2 * idx[j];
                    ref[k] = ref[k] + step;
                    ref[k + 1] = ref[k + 1] + avg_step;
                }
                if (f)
                    fastgd_sgd_add_average_pairs_f(va, idx, xf, m, c, b, scale);
                else
                    fastgd_sgd_add_average_pairs_d(va, idx, xd, m, c, b, scale);
                if (memcmp(va, ref, sizeof va) != 0) {
                    printf("FAIL add_average_pairs f=%d m=%d\n", f, m);
                    failures++;
                }
            }
    }

    int main(void)
    {
        double xd[41], yd[41], wd[41], w2[41], G0[41], G[41], G2[41], c[4];
        float xf[41], yf[41], wf[41], rows_f[4][41];
        double rows_d[4][41];
        int m, j, r, i, k, loss;
        for (m = 1; m <= 41; m++) {
            long double ref = 0, scale = 0, reff = 0, scalef = 0, reffd = 0, scalefd = 0;
            for (j = 0; j < m; j++) {
                xd[j] = uniform(); yd[j] = uniform(); wd[j] = uniform();
                xf[j] = (float)uniform(); yf[j] = (float)uniform(); wf[j] = (float)uniform();
                ref += (long double)xd[j] * wd[j]; scale += fabsl((long double)xd[j] * wd[j]);
                reff += (long double)xf[j] * wf[j]; scalef += fabsl((long double)xf[j] * wf[j]);
                reffd += (long double)xf[j] * wd[j]; scalefd += fabsl((long double)xf[j] * wd[j]);
            }
            check("dot_d", m, fastgd_dot_d(xd, wd, m), ref, scale);
            check("dot_f", m, fastgd_dot_f(xf, wf, m), reff, scalef);
            check("dot_fd", m, fastgd_dot_fd(xf, wd, m), reffd, scalefd);

            CHECK_AXPY_DOT("axpy_dot_d", fastgd_axpy_dot_d, xd, yd);
            CHECK_AXPY_DOT("axpy_dot_fd", fastgd_axpy_dot_fd, xf, yf);

            /* G += c0 x0 + c1 x1 + c2 x2 + c3 x3 */
            for (r = 0; r < 4; r++) {
                c[r] = uniform();
                for (j = 0; j < m; j++) {
                    rows_d[r][j] = uniform();
                    rows_f[r][j] = (float)uniform();
                }
            }
            for (j = 0; j < m; j++) G0[j] = G[j] = G2[j] = uniform();
            fastgd_acc4_d(c, rows_d[0], rows_d[1], rows_d[2], rows_d[3], G, m);
            fastgd_acc4_f(c, rows_f[0], rows_f[1], rows_f[2], rows_f[3], G2, m);
            for (j = 0; j < m; j++) {
                long double want = G0[j], wantf = G0[j];
                for (r = 0; r < 4; r++) {
                    want += (long double)c[r] * rows_d[r][j];
                    wantf += (long double)c[r] * rows_f[r][j];
                }
                check("acc4_d", m, G[j], want, 5.0L);
                check("acc4_f", m, G2[j], wantf, 5.0L);
            }
        }

        {   /* logistic losses: 30 outputs in a room of 32 */
            double z[32], y[32], loss[32], dz[32];
            const double zs[10] = {0.0, 1e-12, 0.3, 2.5, 20.0, 36.0, 40.0, 700.0, 708.5, 800.0};
            for (i = 0; i < 32; i++) {
                z[i] = (i % 2 ? -1.0 : 1.0) * zs[i % 10];
                y[i] = (double)(i % 3 == 0);
            }
            double e[32], loss_given[32];
            for (i = 0; i < 32; i++)
                e[i] = exp(-fabs(z[i]));
            fastgd_logistic_d(z, y, loss, dz, 30);
            /* the same losses from the exponentials the caller has */
            fastgd_logistic_loss_d(z, y, e, loss_given, 30);
            for (i = 0; i < 30; i++) {
                double want_dz = (z[i] >= 0 ? 1.0 / (1.0 + e[i]) : e[i] / (1.0 + e[i])) - y[i];
                double want = (z[i] >= 0 ? z[i] : 0.0) + log1p(e[i]) - y[i] * z[i];
                check("logistic loss", i, loss[i], want, fabs(want) + 1e-300);
                check("logistic loss given e", i, loss_given[i], want, fabs(want) + 1e-300);
                check("logistic dz", i, dz[i], want_dz, 1.0L);
            }
        }

        {   /* softmax losses: 29 samples of 3 outputs, (3, 32) */
            double z[3 * 32], y[32], loss[32], dz[3 * 32];
            const double zs[8] = {0.0, -3.0, 30.0, -30.0, 700.0, -745.0, 0.5, 1e3};
            for (i = 0; i < 32; i++) {
                for (k = 0; k < 3; k++)
                    z[k * 32 + i] = zs[(i + 3 * k) % 8];
                y[i] = (double)(i % 3);
            }
            fastgd_softmax_d(z, y, loss, dz, 29, 3, 32);
            for (i = 0; i < 29; i++) {
                double zmax = z[i], total = 0.0;
                int label = (int)y[i];
                for (k = 1; k < 3; k++)
                    if (z[k * 32 + i] > zmax) zmax = z[k * 32 + i];
                for (k = 0; k < 3; k++)
                    total += exp(z[k * 32 + i] - zmax);
                double want = zmax + log(total) - z[label * 32 + i];
                check("softmax loss", i, loss[i], want, fabs(want) + 1e-300);
                for (k = 0; k < 3; k++)
                    check("softmax dz", i, dz[k * 32 + i],
                          exp(z[k * 32 + i] - zmax) / total - (k == label), 1.0L);
            }
        }

        {   /* the network's sigmoid layer: 3 rows of 7 */
            double zz[21], b[7];
            for (j = 0; j < 7; j++) b[j] = 10.0 * uniform();
            for (i = 0; i < 21; i++) zz[i] = 100.0 * uniform();
            double before[21];
            memcpy(before, zz, sizeof zz);
            fastgd_sigmoid_bias_d(zz, b, 3, 7);
            for (i = 0; i < 21; i++) {
                double v = before[i] + b[i % 7], e = exp(-fabs(v));
                check("sigmoid", i, zz[i], v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e), 1.0L);
            }
        }
        {   /* the one scalar exponential, exp(-|z|), against expl: within 2 ulp */
            const double zs[12] = {0.0, 1e-300, 1e-12, 0.25, 0.3465735902799727, 1.0,
                                   20.0, 36.7, 700.0, 707.9, 708.5, 1e5};
            for (i = 0; i < 2000; i++) {
                double z = i < 12 ? zs[i] : (i % 2 ? -1.0 : 1.0) * 710.0 * (uniform() + 1.0) / 2.0;
                long double want = fabsl(z) > 708.0L ? 0.0L : expl(-fabsl((long double)z));
                double got = fastgd_exp_neg_abs1(z);
                if (!(fabsl(got - want) <= 4.5e-16L * want)) {
                    printf("FAIL exp_neg_abs1(%.17g) = %.17g, want %.17Lg\n", z, got, want);
                    failures++;
                }
            }
            if (fastgd_exp_neg_abs1(INFINITY) != 0.0 || fastgd_exp_neg_abs1(NAN) == fastgd_exp_neg_abs1(NAN)) {
                printf("FAIL exp_neg_abs1 of inf or NaN\n");
                failures++;
            }
        }

        check_l1_sparse();
        check_add_average_pairs();

        /* per-sample epochs: each loss, weights, orders, schedules; alpha
         * with a lazy scale that falls below its floor every few steps
         * (shrink 0.05), and one below the floor at once (shrink 1e-10) */
        check_epoch("epoch squared", FASTGD_SQUARED, 0, N_ROWS, 0.05, 1e-3);
        check_epoch("epoch logistic", FASTGD_LOGISTIC, 0, N_ROWS, 0.2, 1e-3);
        check_epoch("epoch logistic weighted shuffled scheduled", FASTGD_LOGISTIC,
                    WEIGHTED | SHUFFLED | SCHEDULED, N_ROWS, 0.2, 1e-2);
        check_epoch("epoch squared weighted shuffled", FASTGD_SQUARED, WEIGHTED | SHUFFLED,
                    N_ROWS, 0.05, 0.0);
        check_epoch("epoch logistic rescaled", FASTGD_LOGISTIC, SHUFFLED, N_ROWS, 0.2, 4.75);
        check_epoch("epoch squared rescaled at once", FASTGD_SQUARED, WEIGHTED, N_ROWS, 0.05,
                    (1.0 - 1e-10) / 0.05);
        check_epoch("epoch softmax", FASTGD_SOFTMAX, 0, N_ROWS, 0.2, 1e-3);
        check_epoch("epoch softmax weighted shuffled scheduled", FASTGD_SOFTMAX,
                    WEIGHTED | SHUFFLED | SCHEDULED, N_ROWS, 0.2, 1e-2);
        check_epoch("epoch softmax rescaled", FASTGD_SOFTMAX, SHUFFLED, N_ROWS, 0.2, 4.75);
        check_epoch("epoch softmax rescaled at once", FASTGD_SOFTMAX, WEIGHTED, N_ROWS, 0.05,
                    (1.0 - 1e-10) / 0.05);
        check_epoch("epoch softmax one class", FASTGD_SOFTMAX, ONE_CLASS | SHUFFLED, N_ROWS,
                    0.2, 1e-3);
        /* orders that repeat rows, no intercept, epochs of no and one step */
        for (loss = FASTGD_SQUARED; loss <= FASTGD_SOFTMAX; loss++) {
            check_epoch("epoch repeats", loss, REPEATS | WEIGHTED, N_ROWS, 0.1, 1e-2);
            check_epoch("epoch no intercept", loss, NO_INTERCEPT | SHUFFLED, N_ROWS, 0.1, 1e-2);
            check_epoch("epoch of one step", loss, SHUFFLED, 1, 0.1, 1e-2);
            check_epoch("epoch of no step", loss, 0, 0, 0.1, 1e-2);
            check_epoch("epoch non-finite", loss, NON_FINITE | SHUFFLED, N_ROWS, 0.1, 1e-2);
        }
        printf("failures %d\n", failures);
        return failures != 0;
    }
""")


def _compiler():
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()
    return cc if shutil.which(cc[0]) else None


@pytest.mark.parametrize("flags", [[], ["-DFASTGD_NO_CLONES"], ["-DFASTGD_SCALAR"],
                                   ["-march=native"]],
                         ids=["as-shipped", "baseline-only", "scalar", "native"])
def test_simd_functions_in_every_build(flags, tmp_path):
    cc = _compiler()
    if cc is None:
        pytest.skip("no C compiler")
    header_dir = Path(fastgd.kernels.__file__).resolve().parent / "csrc"
    assert (header_dir / "simd.h").exists(), "the header ships with the package"
    source = tmp_path / "harness.c"
    source.write_text(HARNESS)
    program = tmp_path / "harness"
    build = subprocess.run(cc + ["-O2", *flags, f"-I{header_dir}", str(source), "-o",
                                 str(program), "-lm"], capture_output=True, text=True)
    if build.returncode != 0 and "-march=native" in flags and \
            "internal compiler error" not in build.stderr:
        pytest.skip("the compiler does not take -march=native")
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run([str(program)], capture_output=True, text=True)
    assert run.returncode == 0 and "failures 0" in run.stdout, run.stdout[-3000:]
