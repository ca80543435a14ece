/* How fast can a shuffled per-sample epoch over CSR rows be?  The bare loop
 * of scikit-learn's step (L2 kept as a scale, the sparse intercept decay)
 * for the hinge loss with the 'optimal' rate (threshold 1: SGDClassifier's
 * default; threshold 0: the perceptron) or the squared error with the
 * 'invscaling' rate (SGDRegressor's default), and nothing else: no
 * settings read at run time but these, no norms, no signal checks.  benchmarks/sparse_floor.py compiles it into
 * a shared library, checks that it gives the package's weights bit for bit,
 * and times it beside scikit-learn and fastgd in one process.
 *
 * Each row is read the quickest way found for a shuffled order: where it
 * starts, its target and its length are looked up for a stretch of 65,536
 * steps at a time in one tight loop (their random reads then stay out of
 * the weights' way in cache), and the rows are requested to L2 eight steps
 * ahead and to L1 four ahead, as the package requests them.
 *
 * mode 0: the whole step; mode 1: the rows alone (each row's values and
 * columns read and summed, no weights): what the rows' memory costs.
 * threshold >= 0: the hinge loss max(0, threshold - y z) with the 'optimal'
 * rate (optimal_init); threshold < 0: the squared error with 'invscaling'
 * (eta0, power_t).
 * order NULL: the rows in sequence.  Not part of the package or the tests. */
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include "prefetch.h"

typedef struct {
    int start;
    int length;
    double target;
} row_record;

#define STRETCH 65536
#define AHEAD 8

/* One epoch over rows order[0:n] (or 0..n-1): v, the weights without their
 * scale, and st = {wscale, intercept, t} are updated in place.  Returns a
 * sum of what mode 1 read (so that nothing is optimized away), else 0. */
double floor_epoch(const double *restrict data, const int *restrict indices,
                   const int *restrict indptr, ptrdiff_t n, const double *restrict y,
                   const ptrdiff_t *restrict order, double *restrict v, ptrdiff_t d,
                   double *st, double alpha, double threshold, double optimal_init,
                   double eta0, double power_t, double intercept_decay, int mode)
{
    const int hinge = threshold >= 0.0;
    double wscale = st[0], intercept = st[1], t = st[2], sink = 0.0;
    /* rec holds the records of steps [base, base + filled): a stretch and
     * the AHEAD steps after it, for its last steps' prefetches */
    ptrdiff_t p, q, j, base = 0, filled = 0, next_stretch = 0;
    row_record *rec = malloc((STRETCH + AHEAD) * sizeof *rec);
    if (rec == NULL)
        return -1.0;
    for (p = 0; p < n; p++) {
        if (p == next_stretch) {
            base = p;
            next_stretch = p + STRETCH;
            filled = p + STRETCH + AHEAD < n ? STRETCH + AHEAD : n - p;
            for (q = 0; q < filled; q++) {
                const ptrdiff_t i = order != NULL ? order[p + q] : p + q;
                rec[q].start = indptr[i];
                rec[q].length = indptr[i + 1] - indptr[i];
                rec[q].target = y[i];
            }
        }
        const row_record *r = rec + (p - base);
        if (p - base + FASTGD_MID_PREFETCH_AHEAD < filled) {
            const row_record *a = r + FASTGD_MID_PREFETCH_AHEAD;
            fastgd_prefetch_l2(data + a->start, a->length * (ptrdiff_t)sizeof(double));
            fastgd_prefetch_l2(indices + a->start, a->length * (ptrdiff_t)sizeof(int));
        }
        if (p - base + FASTGD_NEAR_PREFETCH_AHEAD < filled) {
            const row_record *a = r + FASTGD_NEAR_PREFETCH_AHEAD;
            fastgd_prefetch(data + a->start, a->length * (ptrdiff_t)sizeof(double));
            fastgd_prefetch(indices + a->start, a->length * (ptrdiff_t)sizeof(int));
        }
        const double *x = data + r->start;
        const int *idx = indices + r->start;
        const ptrdiff_t m = r->length;
        double dot = 0.0;
        if (mode == 1) {
            for (j = 0; j < m; j++)
                sink += x[j] * (double)idx[j];
            continue;
        }
        /* summed in sequence, as scikit-learn sums it */
        for (j = 0; j < m; j++)
            dot += x[j] * v[idx[j]];
        const double z = dot * wscale + intercept, yi = r->target;
        const double eta = hinge ? 1.0 / (alpha * (optimal_init + t - 1.0))
                                 : eta0 / pow(t, power_t);
        const double update = hinge ? (yi * z <= threshold ? eta * yi : 0.0)
                                    : -eta * (z - yi);
        double shrink = 1.0 - eta * alpha;
        wscale *= shrink > 0.0 ? shrink : 0.0;
        if (wscale < 1e-9) {
            for (j = 0; j < d; j++)
                v[j] *= wscale;
            wscale = 1.0;
        }
        if (update != 0.0) {
            const double c = update / wscale;
            for (j = 0; j < m; j++)
                v[idx[j]] += x[j] * c;
            intercept += update * intercept_decay;
        }
        t += 1.0;
    }
    free(rec);
    st[0] = wscale;
    st[1] = intercept;
    st[2] = t;
    return sink;
}
