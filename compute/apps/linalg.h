/* Small dense linear algebra on the host, for apps that need it on a few
 * hundred numbers: PCA of feature vectors (features.c), and channel
 * covariances (whitening and colouring transforms). Double precision. */
#pragma once

#include <glib.h>

/* Eigen-decomposition of the n x n symmetric matrix a (row-major; only its
 * values are read, a is not changed) by the cyclic Jacobi method: rotations
 * zero each off-diagonal entry in turn, sweep after sweep, until the
 * off-diagonal part is below 1e-30 of the matrix's squared Frobenius norm
 * (or 100 sweeps). Accurate to machine precision relative to the largest
 * eigenvalue, also for ill-conditioned matrices; O(n^3) a sweep, fine for
 * n up to a few hundred.
 * values: n eigenvalues, sorted descending; vectors (may be NULL): n x n,
 * row k is the unit eigenvector of values[k] (rows orthonormal).
 * Returns FALSE when the sweeps did not converge (results then the last
 * iterate) or n < 1. */
gboolean vknn_sym_eigen(const double *a, int n, double *values, double *vectors);
