/* Cyclic Jacobi eigen-decomposition (apps/linalg.h). Chosen over
 * tridiagonalisation + QR for its few lines and its accuracy: every
 * rotation is orthogonal, so tiny eigenvalues of ill-conditioned matrices
 * come out with small relative error. */
#include "apps/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sum of squares of the entries above the diagonal (twice that is the
 * off-diagonal part of the squared Frobenius norm). */
static double off_diagonal(const double *m, int n)
{
    double s = 0;
    for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++)
            s += m[p * n + q] * m[p * n + q];
    return s;
}

/* m = J^T m J and v = v J for the rotation J in the (p, q) plane that zeroes
 * m[p][q]: J[p][p] = J[q][q] = c, J[p][q] = s, J[q][p] = -s. */
static void rotate(double *m, double *v, int n, int p, int q)
{
    const double apq = m[p * n + q];
    const double theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
    /* The smaller root of t^2 + 2 t theta - 1 = 0: rotations by at most
     * 45 degrees, which makes the method converge. */
    const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
    const double c = 1 / sqrt(t * t + 1), s = t * c;
    for (int k = 0; k < n; k++) { /* columns p and q */
        const double kp = m[k * n + p], kq = m[k * n + q];
        m[k * n + p] = c * kp - s * kq;
        m[k * n + q] = s * kp + c * kq;
    }
    for (int k = 0; k < n; k++) { /* rows p and q */
        const double pk = m[p * n + k], qk = m[q * n + k];
        m[p * n + k] = c * pk - s * qk;
        m[q * n + k] = s * pk + c * qk;
    }
    m[p * n + q] = m[q * n + p] = 0; /* exactly, not a rounding residue */
    for (int k = 0; k < n; k++) {
        const double kp = v[k * n + p], kq = v[k * n + q];
        v[k * n + p] = c * kp - s * kq;
        v[k * n + q] = s * kp + c * kq;
    }
}

typedef struct {
    double value;
    int index;
} Eigen;

static int by_value_descending(const void *a, const void *b)
{
    const Eigen *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? 1 : -1;
    return x->index - y->index;
}

gboolean vknn_sym_eigen(const double *a, int n, double *values, double *vectors)
{
    if (n < 1)
        return FALSE;
    const gsize nn = (gsize)n * n;
    g_autofree double *m = g_new(double, nn), *v = g_new0(double, nn);
    double norm = 0;
    for (int p = 0; p < n; p++)
        for (int q = 0; q < n; q++) { /* symmetrised: the upper triangle rules */
            const double x = q >= p ? a[p * n + q] : a[q * n + p];
            m[p * n + q] = x;
            norm += x * x;
        }
    for (int k = 0; k < n; k++)
        v[k * n + k] = 1;
    gboolean converged = FALSE;
    for (int sweep = 0; sweep < 100 && !converged; sweep++) {
        converged = off_diagonal(m, n) <= 1e-30 * norm;
        for (int p = 0; p < n && !converged; p++)
            for (int q = p + 1; q < n; q++)
                if (m[p * n + q] != 0)
                    rotate(m, v, n, p, q);
    }
    converged = converged || off_diagonal(m, n) <= 1e-30 * norm;
    g_autofree Eigen *order = g_new(Eigen, n);
    for (int k = 0; k < n; k++)
        order[k] = (Eigen){m[k * n + k], k};
    qsort(order, n, sizeof *order, by_value_descending);
    for (int k = 0; k < n; k++) {
        values[k] = order[k].value;
        for (int i = 0; vectors && i < n; i++) /* column order[k] of v */
            vectors[(gsize)k * n + i] = v[i * n + order[k].index];
    }
    return converged;
}
