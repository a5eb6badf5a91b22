/* vknn/features.h and the Jacobi eigensolver: every result against an
 * independent computation in this file (the CPU reference executor for the
 * network's features, brute force for neighbours and patches, power
 * iteration for PCA, hand-derived receptive fields).
 *
 *   test_features eigen|pca|tsne|receptive_field|neighbours|patches|canvas
 *   (tiny models built here, no ../shared: always run)
 */
#include "apps/linalg.h"
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

/* ---- the eigensolver ------------------------------------------------------------ */

/* Checks A v_k = lambda_k v_k, orthonormal rows, descending values and the
 * trace, relative to the largest |entry| of A. */
static gboolean check_eigen(const double *a, int n, const char *what)
{
    g_autofree double *values = g_new(double, n), *vectors = g_new(double, (gsize)n *n);
    const gboolean converged = vknn_sym_eigen(a, n, values, vectors);
    double scale = 0, trace = 0, sum = 0, residual = 0, ortho = 0;
    gboolean sorted = TRUE;
    for (int i = 0; i < n * n; i++)
        scale = fmax(scale, fabs(a[i]));
    for (int k = 0; k < n; k++) {
        trace += a[k * n + k];
        sum += values[k];
        sorted &= k == 0 || values[k] <= values[k - 1];
        for (int i = 0; i < n; i++) {
            double av = 0;
            for (int j = 0; j < n; j++)
                av += a[i * n + j] * vectors[k * n + j];
            residual = fmax(residual, fabs(av - values[k] * vectors[k * n + i]));
        }
        for (int l = 0; l < n; l++) {
            double dot = 0;
            for (int i = 0; i < n; i++)
                dot += vectors[k * n + i] * vectors[l * n + i];
            ortho = fmax(ortho, fabs(dot - (k == l)));
        }
    }
    const double tol = 1e-13 * n * fmax(scale, 1e-300);
    return test_check(converged && sorted && residual <= tol && ortho <= 1e-13 * n &&
                          fabs(trace - sum) <= tol,
                      "%s (%dx%d): max |Av - lv| %.2g (tol %.2g), max |V V^T - I| %.2g, trace %.6g "
                      "= sum %.6g, sorted %d",
                      what, n, n, residual, tol, ortho, trace, sum, sorted);
}

/* Q diag(d) Q^T for a random orthogonal Q (Gram-Schmidt of random rows). */
static double *with_eigenvalues(const double *d, int n, guint32 seed)
{
    g_autofree float *r = g_new(float, n *n);
    test_fill_random(r, n * n, seed, -1, 1);
    g_autofree double *q = g_new(double, n *n);
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < n; i++)
            q[k * n + i] = r[k * n + i];
        for (int pass = 0; pass < 2; pass++) /* twice is enough (Kahan) */
            for (int l = 0; l < k; l++) {
                double dot = 0;
                for (int i = 0; i < n; i++)
                    dot += q[k * n + i] * q[l * n + i];
                for (int i = 0; i < n; i++)
                    q[k * n + i] -= dot * q[l * n + i];
            }
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm += q[k * n + i] * q[k * n + i];
        for (int i = 0; i < n; i++)
            q[k * n + i] /= sqrt(norm);
    }
    double *a = g_new0(double, n *n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                a[i * n + j] += q[k * n + i] * d[k] * q[k * n + j];
    return a;
}

static int eigen(void)
{
    /* A random symmetric matrix. */
    enum { N = 12 };
    float r[N * N];
    test_fill_random(r, N * N, 3, -1, 1);
    double a[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i * N + j] = (double)r[i * N + j] + r[j * N + i];
    check_eigen(a, N, "random symmetric");
    /* The Hilbert matrix: condition number ~1.6e13 at 10x10. */
    double h[100];
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            h[i * 10 + j] = 1.0 / (i + j + 1);
    check_eigen(h, 10, "Hilbert (ill-conditioned)");
    /* Known eigenvalues, repeated ones and one 1e-12 of the largest. */
    const double d[7] = {5, 3, 3, 1, 1, 1, 5e-12};
    g_autofree double *known = with_eigenvalues(d, 7, 11);
    check_eigen(known, 7, "Q diag(5,3,3,1,1,1,5e-12) Q^T");
    double values[7], worst = 0;
    vknn_sym_eigen(known, 7, values, NULL);
    for (int k = 0; k < 7; k++)
        worst = fmax(worst, fabs(values[k] - d[k]));
    test_check(worst < 1e-13, "known eigenvalues recovered: max error %.2g (vectors NULL)", worst);
    /* Degenerate sizes. */
    const double one = -2.5, zero[9] = {0};
    check_eigen(&one, 1, "1x1");
    check_eigen(zero, 3, "zero matrix");
    const double diag[9] = {1, 0, 0, 0, 7, 0, 0, 0, -3};
    vknn_sym_eigen(diag, 3, values, NULL);
    test_check(values[0] == 7 && values[1] == 1 && values[2] == -3,
               "a diagonal matrix: values sorted descending, negatives included (%g %g %g)",
               values[0], values[1], values[2]);
    return 0;
}

/* ---- PCA ---------------------------------------------------------------------------------- */

/* The top eigenvector of the covariance c (dim x dim) by power iteration:
 * an algorithm unlike Jacobi's. */
static void power_vector(const double *c, int dim, double *v)
{
    for (int d = 0; d < dim; d++)
        v[d] = 1.0 / (d + 1.5);
    for (int it = 0; it < 5000; it++) {
        double w[16] = {0}, norm = 0;
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < dim; j++)
                w[i] += c[i * dim + j] * v[j];
        for (int i = 0; i < dim; i++)
            norm += w[i] * w[i];
        for (int i = 0; i < dim; i++)
            v[i] = w[i] / sqrt(norm);
    }
}

/* PCA of n points in 8-D with spreads 3, 1.5, 0.3 along three random
 * directions, against projections on power-iteration eigenvectors of the
 * covariance (deflated for the second), sign-aligned. */
static gboolean pca_case(int n, guint32 seed)
{
    enum { DIM = 8 };
    g_autofree float *pts = g_new(float, n *DIM), *xy = g_new(float, n * 2);
    g_autofree float *coef = g_new(float, n * 3);
    float dirs[3 * DIM];
    test_fill_random(coef, n * 3, seed, -1, 1);
    test_fill_random(dirs, 3 * DIM, seed + 1, -1, 1);
    const float spread[3] = {3.0f, 1.5f, 0.3f};
    for (int i = 0; i < n; i++)
        for (int d = 0; d < DIM; d++) {
            pts[i * DIM + d] = 0.7f * d;
            for (int k = 0; k < 3; k++)
                pts[i * DIM + d] += spread[k] * coef[i * 3 + k] * dirs[k * DIM + d];
        }
    GError *err = NULL;
    if (!vknn_pca_2d(pts, n, DIM, xy, &err))
        return test_fail("PCA of %d points: %s", n, err->message);
    double mean[DIM] = {0}, c[DIM * DIM] = {0}, v[2][DIM];
    for (int i = 0; i < n; i++)
        for (int d = 0; d < DIM; d++)
            mean[d] += pts[i * DIM + d] / (double)n;
    for (int i = 0; i < n; i++)
        for (int p = 0; p < DIM; p++)
            for (int q = 0; q < DIM; q++)
                c[p * DIM + q] += (pts[i * DIM + p] - mean[p]) * (pts[i * DIM + q] - mean[q]);
    double worst = 0, big = 0;
    for (int k = 0; k < 2; k++) {
        power_vector(c, DIM, v[k]);
        double lambda = 0, cv[DIM] = {0};
        for (int p = 0; p < DIM; p++)
            for (int q = 0; q < DIM; q++)
                cv[p] += c[p * DIM + q] * v[k][q];
        for (int p = 0; p < DIM; p++)
            lambda += v[k][p] * cv[p];
        for (int p = 0; p < DIM; p++) /* deflate */
            for (int q = 0; q < DIM; q++)
                c[p * DIM + q] -= lambda * v[k][p] * v[k][q];
        double sign = 0;
        for (int i = 0; i < n && sign == 0; i++) {
            double proj = 0;
            for (int d = 0; d < DIM; d++)
                proj += (pts[i * DIM + d] - mean[d]) * v[k][d];
            sign = proj * xy[i * 2 + k] >= 0 ? 1 : -1;
        }
        for (int i = 0; i < n; i++) {
            double proj = 0;
            for (int d = 0; d < DIM; d++)
                proj += (pts[i * DIM + d] - mean[d]) * v[k][d];
            worst = fmax(worst, fabs(sign * proj - xy[i * 2 + k]));
            big = fmax(big, fabs(proj));
        }
    }
    return test_check(worst < 1e-4 * big,
                      "PCA of %d points in %d-D (%s): max |coordinate - power iteration's| %.2g "
                      "(largest %.3g)",
                      n, DIM, n < DIM ? "Gram matrix" : "covariance", worst, big);
}

static int pca(void)
{
    pca_case(40, 5);
    pca_case(6, 9); /* fewer points than dimensions */
    float one[3] = {1, 2, 3}, xy[2] = {7, 7};
    GError *err = NULL;
    const gboolean ok = vknn_pca_2d(one, 1, 3, xy, &err);
    test_check(ok && xy[0] == 0 && xy[1] == 0, "PCA of one point: (%g, %g)", xy[0], xy[1]);
    return 0;
}

/* ---- t-SNE ---------------------------------------------------------------------------------- */

enum { CLUSTERS = 3, PER = 20, TDIM = 10 };

/* Three tight clusters 8 apart in 10-D, points interleaved by cluster. */
static void clusters(float *pts)
{
    float centres[CLUSTERS * TDIM], noise[CLUSTERS * PER * TDIM];
    test_fill_random(centres, CLUSTERS * TDIM, 21, -4, 4);
    test_fill_random(noise, CLUSTERS * PER * TDIM, 22, -0.5f, 0.5f);
    for (int i = 0; i < CLUSTERS * PER; i++)
        for (int d = 0; d < TDIM; d++)
            pts[i * TDIM + d] = centres[(i % CLUSTERS) * TDIM + d] + noise[i * TDIM + d];
}

/* Every point's nearest other point in 2-D is of its cluster, and the
 * smallest gap between clusters exceeds the largest cluster radius. */
static gboolean separated(const float *xy, const char *what)
{
    const int n = CLUSTERS * PER;
    int wrong = 0;
    double min_between = INFINITY, max_within = 0;
    for (int i = 0; i < n; i++) {
        double best = INFINITY;
        int nn = -1;
        for (int j = 0; j < n; j++) {
            const double d = hypot(xy[i * 2] - xy[j * 2], xy[i * 2 + 1] - xy[j * 2 + 1]);
            if (j != i && d < best)
                best = d, nn = j;
            if (i % CLUSTERS != j % CLUSTERS)
                min_between = fmin(min_between, d);
            else
                max_within = fmax(max_within, d);
        }
        wrong += nn % CLUSTERS != i % CLUSTERS;
    }
    return test_check(wrong == 0 && min_between > max_within,
                      "%s: %d points with a nearest neighbour of another cluster; closest points "
                      "of two clusters %.3g apart, widest cluster %.3g",
                      what, wrong, min_between, max_within);
}

static int tsne(void)
{
    const int n = CLUSTERS * PER;
    float pts[CLUSTERS * PER * TDIM], xy[CLUSTERS * PER * 2], again[CLUSTERS * PER * 2];
    float other[CLUSTERS * PER * 2];
    clusters(pts);
    VknnTsneParams p = VKNN_TSNE_PARAMS_DEFAULT;
    p.perplexity = 10;
    p.iterations = 500;
    GError *err = NULL;
    const gint64 t0 = g_get_monotonic_time();
    if (!vknn_tsne(pts, n, TDIM, &p, xy, &err))
        test_fatal("t-SNE: %s", err->message);
    const double seconds = (g_get_monotonic_time() - t0) / 1e6;
    separated(xy, "t-SNE of 3 clusters of 20 points in 10-D");
    vknn_tsne(pts, n, TDIM, &p, again, &err);
    test_check(!memcmp(xy, again, sizeof xy), "t-SNE is deterministic for a seed (%.2f s a run)",
               seconds);
    p.seed = 2;
    vknn_tsne(pts, n, TDIM, &p, other, &err);
    test_check(memcmp(xy, other, sizeof xy) != 0, "another seed, another layout");
    separated(other, "the same with seed 2");
    /* PCA separates such clusters too (a linear map of well-spread centres). */
    vknn_pca_2d(pts, n, TDIM, xy, &err);
    separated(xy, "PCA of the same clusters");
    p.perplexity = 0;
    const gboolean ok = vknn_tsne(pts, n, TDIM, &p, xy, &err);
    test_check(!ok && err, "perplexity 0 is an error: %s", err ? err->message : "none");
    g_clear_error(&err);
    return 0;
}

/* ---- receptive fields -------------------------------------------------------------------------
 */

/* x -> Conv 5x5 s2 p2 -> Relu -> MaxPool 3x3 s2 p1 -> Conv 3x3 dilation 2
 * ("c2") -> two branches: Pad 3 rows on top then Conv 4x1 ("a"), and Conv
 * 3x3 p1 ("b") -> Concat ("cat") -> Conv 3x1 strides (1, 2) pads (1, 0)
 * ("asym") -> GlobalAveragePool ("gap") -> Flatten. */
static VknnModel *field_model(void)
{
    TestModel b = tm_new(0, 31);
    tm_input(&b, "x", SHAPE(1, 3, 64, 64));
    tm_weight(&b, "w1", SHAPE(4, 3, 5, 5), -0.3f, 0.3f);
    tm_node(&b, "Conv", NAMES("x", "w1"), "c1");
    tm_attr_ints(&b, "pads", INTS(2, 2, 2, 2));
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_node(&b, "Relu", NAMES("c1"), "r1");
    tm_node(&b, "MaxPool", NAMES("r1"), "pool");
    tm_attr_ints(&b, "kernel_shape", INTS(3, 3));
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_weight(&b, "w2", SHAPE(4, 4, 3, 3), -0.3f, 0.3f);
    tm_named_node(&b, "conv_two", "Conv", NAMES("pool", "w2"), "c2");
    tm_attr_ints(&b, "dilations", INTS(2, 2));
    tm_const_int(&b, "pads", SHAPE(8), I64(0, 0, 3, 0, 0, 0, 0, 0));
    tm_node(&b, "Pad", NAMES("c2", "pads"), "padded");
    tm_weight(&b, "wa", SHAPE(2, 4, 4, 1), -0.3f, 0.3f);
    tm_node(&b, "Conv", NAMES("padded", "wa"), "a");
    tm_weight(&b, "wb", SHAPE(2, 4, 3, 3), -0.3f, 0.3f);
    tm_node(&b, "Conv", NAMES("c2", "wb"), "b");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_node(&b, "Concat", NAMES("a", "b"), "cat");
    tm_attr_int(&b, "axis", 1);
    tm_weight(&b, "w3", SHAPE(4, 4, 3, 1), -0.3f, 0.3f);
    tm_node(&b, "Conv", NAMES("cat", "w3"), "asym");
    tm_attr_ints(&b, "pads", INTS(1, 0, 1, 0));
    tm_attr_ints(&b, "strides", INTS(1, 2));
    tm_node(&b, "GlobalAveragePool", NAMES("asym"), "gap");
    tm_node(&b, "Flatten", NAMES("gap"), "out");
    tm_output(&b, "out");
    VknnModel *m = tm_take(&b);
    tm_clear(&b);
    if (!m)
        test_fatal("receptive-field model: not built");
    return m;
}

static gboolean expect_field(const VknnModel *m, const char *layer, int sy, int jy, int oy, int sx,
                             int jx, int ox)
{
    VknnReceptiveField rf;
    GError *err = NULL;
    if (!vknn_receptive_field(m, layer, &rf, &err))
        return test_fail("receptive field of %s: %s", layer, err->message);
    return test_check(rf.size[0] == sy && rf.jump[0] == jy && rf.start[0] == oy &&
                          rf.size[1] == sx && rf.jump[1] == jx && rf.start[1] == ox,
                      "receptive field of %s: rows size %d jump %d start %d (want %d %d %d), "
                      "columns %d %d %d (want %d %d %d)",
                      layer, rf.size[0], rf.jump[0], rf.start[0], sy, jy, oy, rf.size[1],
                      rf.jump[1], rf.start[1], sx, jx, ox);
}

static int receptive_field(void)
{
    g_autoptr(VknnModel) m = field_model();
    /* Derived by hand: size += (dilation (k - 1)) jump, start -= pad jump,
     * jump *= stride; a union spans both branches' fields. */
    expect_field(m, "x", 1, 1, 0, 1, 1, 0);
    expect_field(m, "c1", 5, 2, -2, 5, 2, -2);
    expect_field(m, "r1", 5, 2, -2, 5, 2, -2);
    expect_field(m, "pool", 9, 4, -4, 9, 4, -4);
    expect_field(m, "c2", 25, 4, -4, 25, 4, -4);
    expect_field(m, "conv_two", 25, 4, -4, 25, 4, -4); /* by node name */
    expect_field(m, "padded", 25, 4, -16, 25, 4, -4);
    expect_field(m, "a", 37, 4, -16, 25, 4, -4);
    expect_field(m, "b", 33, 4, -8, 33, 4, -8);
    expect_field(m, "cat", 41, 4, -16, 33, 4, -8);
    expect_field(m, "asym", 49, 4, -20, 33, 8, -8);
    VknnReceptiveField rf;
    GError *err = NULL;
    gboolean ok = vknn_receptive_field(m, "gap", &rf, &err);
    test_check(!ok && err && strstr(err->message, "whole image") &&
                   strstr(err->message, "GlobalAveragePool"),
               "after a global pool: %s", err ? err->message : "no error");
    g_clear_error(&err);
    ok = vknn_receptive_field(m, "nope", &rf, &err);
    test_check(!ok && err && err->code == VKNN_ERROR_NOT_FOUND && strstr(err->message, "'nope'"),
               "unknown layer: %s", err ? err->message : "no error");
    g_clear_error(&err);
    return 0;
}

/* ---- features on the device against the reference executor ----------------------------------- */

#define IMAGES 10

/* Random images with a few smooth blobs (w x h each), pixels 0..1. */
static float *images(int w, int h, guint32 seed)
{
    const gsize per = 3 * (gsize)w * h;
    float *x = g_new(float, per *IMAGES);
    test_fill_random(x, per * IMAGES, seed, 0, 1);
    for (int i = 0; i < IMAGES; i++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int t = 0; t < w; t++) /* a per-image gradient, so images differ more */
                    x[i * per + ((gsize)c * h + y) * w + t] =
                        0.5f * x[i * per + ((gsize)c * h + y) * w + t] +
                        0.5f * (0.5f + 0.5f * sinf(0.2f * (i + 1) * (t + c) + 0.1f * i * y));
    return x;
}

static const VknnFrameInputParams tiny_input = {
    .width = 32, .height = 32, .mean = {0.5f, 0.4f, 0.3f}, .std = {0.2f, 0.25f, 0.3f}};

/* The layer's activations by the CPU reference executor (C x h x w). */
static float *ref_layer(VknnModel *m, const float *pixels, int w, int h, const char *layer,
                        int *numel)
{
    const gsize hw = (gsize)w * h;
    g_autofree float *in = g_new(float, 3 * hw);
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            in[c * hw + i] = (pixels[c * hw + i] - tiny_input.mean[c]) / tiny_input.std[c];
    const VknnRefTensor t = {{4, {1, 3, h, w}}, in};
    GError *err = NULL;
    g_autoptr(GHashTable) values = vknn_ref_run(m, &t, &err);
    if (!values)
        test_fatal("reference run: %s", err->message);
    const VknnRefTensor *v = g_hash_table_lookup(values, layer);
    if (!v)
        test_fatal("reference run: no '%s'", layer);
    *numel = (int)vknn_shape_numel(&v->shape);
    return g_memdup2(v->data, sizeof(float) * *numel);
}

static VknnFeatureNet *feature_net(VknnContext *ctx, VknnModel *m, const char *layer)
{
    GError *err = NULL;
    VknnFeatureNet *f = vknn_feature_net_new(ctx, m, &tiny_input, layer, &err);
    if (!f)
        test_fatal("feature net: %s", err->message);
    return f;
}

/* Features of every image on the device and by the reference (spatial
 * means in double), nearest neighbours against a brute-force sort. */
static gboolean neighbours_case(VknnContext *ctx, VknnModel *m, const char *want_layer, int w,
                                int h)
{
    g_autoptr(VknnFeatureNet) f = feature_net(ctx, m, NULL);
    const char *layer = vknn_feature_net_layer(f);
    test_check(g_str_equal(layer, want_layer), "penultimate layer found: '%s' (want '%s')", layer,
               want_layer);
    g_autofree float *x = images(w, h, 41);
    const gsize per = 3 * (gsize)w * h;
    int dim = 0, fh, fw;
    g_autofree float *dev = NULL, *ref = NULL;
    GError *err = NULL;
    for (int i = 0; i < IMAGES; i++) {
        if (!vknn_feature_net_run(f, x + i * per, w, h, &err))
            test_fatal("features: %s", err->message);
        vknn_feature_net_dims(f, &dim, &fh, &fw);
        dev = g_renew(float, dev, (gsize)dim *IMAGES);
        ref = g_renew(float, ref, (gsize)dim *IMAGES);
        if (!vknn_feature_net_vector(f, dev + i * dim, &err))
            test_fatal("features: %s", err->message);
        int numel;
        g_autofree float *map = ref_layer(m, x + i * per, w, h, layer, &numel);
        for (int c = 0; c < dim; c++) {
            double s = 0;
            for (int p = 0; p < fh * fw; p++)
                s += map[c * fh * fw + p];
            ref[i * dim + c] = (float)(s / (fh * fw));
        }
    }
    const double diff = test_max_abs_diff(dev, ref, (gsize)dim * IMAGES);
    const double big = test_max_abs(ref, (gsize)dim * IMAGES);
    gboolean ok =
        test_check(diff <= 1e-4 * fmax(big, 1),
                   "%d-D features of %d %dx%d images ('%s', %dx%d positions): max |device "
                   "- reference| %.2g (largest %.3g)",
                   dim, IMAGES, w, h, layer, fh, fw, diff, big);
    for (int q = 0; q < IMAGES; q += 3) {
        VknnNeighbour nb[IMAGES];
        const int got = vknn_nearest(dev, IMAGES, dim, dev + q * dim, IMAGES, nb);
        /* Brute force on the reference features, in double. */
        double want[IMAGES];
        int order[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            double s = 0;
            for (int c = 0; c < dim; c++)
                s += ((double)ref[i * dim + c] - ref[q * dim + c]) *
                     ((double)ref[i * dim + c] - ref[q * dim + c]);
            want[i] = sqrt(s);
            order[i] = i;
        }
        for (int i = 1; i < IMAGES; i++) /* insertion sort by distance */
            for (int j = i; j > 0 && want[order[j]] < want[order[j - 1]]; j--) {
                const int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        double worst = 0;
        gboolean same_order = TRUE, sorted = TRUE;
        for (int i = 0; i < got; i++) {
            worst = fmax(worst, fabs(nb[i].distance - want[nb[i].index]));
            same_order &= nb[i].index == order[i];
            sorted &= i == 0 || nb[i].distance >= nb[i - 1].distance;
        }
        ok &= test_check(got == IMAGES && nb[0].index == q && nb[0].distance == 0 && sorted &&
                             same_order && worst <= 1e-4 * fmax(big, 1),
                         "query %d: nearest is itself at %g; %d neighbours sorted, in the "
                         "reference's order %d, max |distance - reference| %.2g",
                         q, nb[0].distance, got, same_order, worst);
    }
    VknnNeighbour three[3];
    ok &= test_check(vknn_nearest(dev, IMAGES, dim, dev, 3, three) == 3 && three[0].index == 0,
                     "k = 3 of %d: 3 written", IMAGES);
    return ok;
}

static int neighbours(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) pooled = tm_tiny_classifier(); /* ... GAP, Flatten, Gemm */
    neighbours_case(ctx, pooled, "f", 32, 32);
    g_autoptr(VknnModel) conv = tm_classifier(5, 7); /* feat, 1x1 Conv, Relu, GAP, Flatten */
    if (!conv)
        test_fatal("classifier: not built");
    neighbours_case(ctx, conv, "feat", 40, 36);
    GError *err = NULL;
    VknnFeatureNet *f = vknn_feature_net_new(ctx, conv, &tiny_input, "no_such_layer", &err);
    test_check(!f && err && err->code == VKNN_ERROR_NOT_FOUND &&
                   strstr(err->message, "'no_such_layer'"),
               "unknown layer: %s", err ? err->message : "no error");
    g_clear_error(&err);
    TestModel b = tm_new(0, 3); /* an image-to-image network: no class scores */
    tm_input(&b, "x", SHAPE(1, 3, -1, -1));
    tm_weight(&b, "w", SHAPE(3, 3, 3, 3), -0.5f, 0.5f);
    tm_node(&b, "Conv", NAMES("x", "w"), "y");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_output(&b, "y");
    g_autoptr(VknnModel) map = tm_take(&b);
    tm_clear(&b);
    f = map ? vknn_feature_net_new(ctx, map, &tiny_input, NULL, &err) : NULL;
    test_check(map && !f && err && err->code == VKNN_ERROR_SHAPE &&
                   strstr(err->message, "not a classifier"),
               "no default layer in an image-to-image network: %s",
               err ? err->message : "no error");
    g_clear_error(&err);
    f = vknn_feature_net_new(ctx, conv, &tiny_input, "w1", &err);
    test_check(!f && err && strstr(err->message, "'w1'"), "a weight as the layer: %s",
               err ? err->message : "no error");
    g_clear_error(&err);
    return 0;
}

/* ---- maximally activating patches --------------------------------------------------------------
 */

/* The top patches of channels of r2 (8 x 16 x 16) of the tiny classifier
 * over 10 images against a brute-force max over positions of the
 * reference's maps, and the crop: every activation depends on its crop
 * only (noise outside it changes nothing). */
static int patches(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) m = tm_tiny_classifier();
    g_autoptr(VknnFeatureNet) f = feature_net(ctx, m, "r2");
    VknnReceptiveField rf;
    GError *err = NULL;
    if (!vknn_receptive_field(m, "r2", &rf, &err))
        test_fatal("receptive field: %s", err->message);
    /* Conv 3x3 p1, then Conv 3x3 s2 p1: 5 pixels, jump 2, from -2. */
    test_check(rf.size[0] == 5 && rf.size[1] == 5 && rf.jump[0] == 2 && rf.start[0] == -2,
               "r2's receptive field: %dx%d, jump %d, start %d", rf.size[0], rf.size[1], rf.jump[0],
               rf.start[0]);
    enum { K = 4, W = 32, C = 8, S = 16 };
    const int channels[] = {0, 3, 5};
    g_autofree float *x = images(W, W, 43);
    const gsize per = 3 * W * W;
    VknnPatch top[3][K];
    int count[3] = {0};
    VknnPatch inner[K]; /* channel 0, fields within the image only */
    int inner_count = 0;
    float inner_best[IMAGES];
    float best[3][IMAGES]; /* brute force: each image's max by the reference */
    int by[3][IMAGES], bx[3][IMAGES];
    g_autofree float *map = g_new(float, C *S *S);
    for (int i = 0; i < IMAGES; i++) {
        int c, h, w, numel;
        if (!vknn_feature_net_run(f, x + i * per, W, W, &err) ||
            !vknn_feature_net_read(f, map, &err))
            test_fatal("features: %s", err->message);
        vknn_feature_net_dims(f, &c, &h, &w);
        if (c != C || h != S || w != S)
            test_fatal("r2 is %dx%dx%d", c, h, w);
        g_autofree float *ref = ref_layer(m, x + i * per, W, W, "r2", &numel);
        vknn_top_patches_add(inner, &inner_count, K, map, S, S, 0, i, &rf, W, W);
        inner_best[i] = -INFINITY;
        for (int y = 0; y < S; y++)
            for (int t = 0; t < S; t++) {
                const int y0 = rf.start[0] + y * rf.jump[0], x0 = rf.start[1] + t * rf.jump[1];
                if (y0 >= 0 && x0 >= 0 && y0 + rf.size[0] <= W && x0 + rf.size[1] <= W)
                    inner_best[i] = fmaxf(inner_best[i], ref[y * S + t]);
            }
        for (int k = 0; k < 3; k++) {
            vknn_top_patches_add(top[k], &count[k], K, map, S, S, channels[k], i, NULL, W, W);
            best[k][i] = -INFINITY;
            for (int p = 0; p < S * S; p++)
                if (ref[channels[k] * S * S + p] > best[k][i]) {
                    best[k][i] = ref[channels[k] * S * S + p];
                    by[k][i] = p / S;
                    bx[k][i] = p % S;
                }
        }
    }
    for (int k = 0; k < 3; k++) {
        int order[IMAGES];
        test_top_k(best[k], IMAGES, K, order);
        double worst = 0;
        gboolean same = count[k] == K, sorted = TRUE;
        for (int j = 0; j < count[k]; j++) {
            const VknnPatch *p = &top[k][j];
            worst = fmax(worst, fabs(p->activation - best[k][order[j]]));
            same &= p->image == order[j] && p->y == by[k][p->image] && p->x == bx[k][p->image];
            sorted &= j == 0 || p->activation <= top[k][j - 1].activation;
        }
        test_check(same && sorted && worst < 1e-4,
                   "channel %d: top %d images %d %d %d %d sorted (%.4g >= ... >= %.4g), the "
                   "brute-force max images and positions %d, max |activation - reference| %.2g",
                   channels[k], count[k], top[k][0].image, top[k][1].image, top[k][2].image,
                   top[k][3].image, top[k][0].activation, top[k][K - 1].activation, same, worst);
    }
    int order[IMAGES];
    test_top_k(inner_best, IMAGES, K, order);
    double worst = 0;
    gboolean within = inner_count == K;
    for (int j = 0; j < inner_count; j++) {
        const VknnPatch *p = &inner[j];
        worst = fmax(worst, fabs(p->activation - inner_best[order[j]]));
        within &= p->image == order[j] && p->y >= 1 && p->y <= 14 && p->x >= 1 && p->x <= 14;
    }
    test_check(within && worst < 1e-4,
               "channel 0, fields inside the image only: top %d at positions 1..14, the "
               "brute-force max over those, max |activation - reference| %.2g",
               inner_count, worst);
    /* The strongest patch of channel 3, recomputed from an image that keeps
     * only its crop (noise elsewhere). */
    const VknnPatch *p = &top[1][0];
    float crop[3 * 5 * 5];
    vknn_patch_crop(&rf, p, x + p->image * per, W, W, -1.0f, crop);
    g_autofree float *noisy = g_new(float, per);
    test_fill_random(noisy, per, 99, 0, 1);
    int outside = 0;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 5; y++)
            for (int t = 0; t < 5; t++) {
                const int sy = rf.start[0] + p->y * rf.jump[0] + y;
                const int sx = rf.start[1] + p->x * rf.jump[1] + t;
                if (sy >= 0 && sy < W && sx >= 0 && sx < W)
                    noisy[(c * W + sy) * W + sx] = crop[(c * 5 + y) * 5 + t];
                else
                    outside += crop[(c * 5 + y) * 5 + t] == -1.0f;
            }
    int numel;
    g_autofree float *ref = ref_layer(m, noisy, W, W, "r2", &numel);
    const float again = ref[3 * S * S + p->y * S + p->x];
    test_check(fabsf(again - p->activation) < 1e-4f,
               "channel 3's top patch (image %d at %d,%d): %.5g, and %.5g with noise outside its "
               "%dx%d crop (%d fill values outside the image)",
               p->image, p->y, p->x, p->activation, again, rf.size[0], rf.size[1], outside);
    return 0;
}

/* ---- the thumbnail canvas -----------------------------------------------------------------------
 */

static int canvas(void)
{
    enum { T = 10, SIZE = 100 };
    const float xy[] = {-1, -1, 1, 1, 1, -1, 0, 0.5f};
    float thumbs[4][3 * T * T];
    const float *ptrs[4];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 3 * T * T; j++)
            thumbs[i][j] = 0.1f * (i + 1) + 0.01f * (j / (T * T));
        ptrs[i] = thumbs[i];
    }
    g_autofree float *out = g_new(float, 3 * SIZE * SIZE);
    vknn_thumbnail_canvas(xy, 4, ptrs, T, T, SIZE, out);
    /* Range -1..1 on both axes maps centres to 5..95: (x + 1) / 2 * 90 + 5. */
    gboolean ok = TRUE;
    for (int i = 0; i < 4; i++) {
        const int cx = (int)lround((xy[i * 2] + 1) / 2 * 90 + 5);
        const int cy = (int)lround((xy[i * 2 + 1] + 1) / 2 * 90 + 5);
        for (int c = 0; c < 3; c++)
            ok &= out[(c * SIZE + cy) * SIZE + cx] == thumbs[i][c * T * T];
    }
    test_check(ok && out[50 * SIZE + 20] == 1.0f && out[0] == thumbs[0][0] &&
                   out[(SIZE - 1) * SIZE + SIZE - 1] == thumbs[1][0],
               "thumbnails at their positions, corners reached, white elsewhere");
    return 0;
}

int main(int argc, char **argv)
{
    static const TestCase cases[] = {
        {"eigen", eigen},
        {"pca", pca},
        {"tsne", tsne},
        {"receptive_field", receptive_field},
        {"neighbours", neighbours},
        {"patches", patches},
        {"canvas", canvas},
    };
    return test_run_case(argc, argv, cases, G_N_ELEMENTS(cases));
}
