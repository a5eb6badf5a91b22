/* vknn/wct.h: AdaIN and the whitening-colouring transform on random
 * features, every statistic recomputed here by plain loops: WCT's output
 * has the style's channel means and covariance, whitened features have the
 * identity covariance, AdaIN's output the style's means and deviations,
 * alpha 0 gives the content back; also for a rank-deficient style, an
 * ill-conditioned content, and one past the eigenvalue cut-off.
 *
 * And VknnUniversalStyler, the chain on the device (a tiny encoder and
 * decoder built here), against the reference executor's encode, the
 * transform and its decode.
 *
 *   test_wct (no ../shared)
 */
#include "apps/linalg.h"
#include "model_build.h"
#include "testutil.h"

#include <vknn/style.h>
#include <vknn/wct.h>

#include <math.h>
#include <string.h>

#define C 24
#define HW 900

/* Features z mixed by a random matrix, plus per-channel offsets: correlated
 * channels, as deep features are. rank < C leaves the covariance singular;
 * decay scales mixture k by decay^k (ill-conditioned when small). */
static float *features(guint32 seed, int rank, double decay)
{
    g_autofree float *z = g_new(float, (gsize)rank *HW);
    g_autofree float *mix = g_new(float, C *rank);
    float offset[C];
    test_fill_random(z, (gsize)rank * HW, seed, -1, 1);
    test_fill_random(mix, C * rank, seed + 1, -1, 1);
    test_fill_random(offset, C, seed + 2, -3, 3);
    float *x = g_new(float, (gsize)C *HW);
    for (int i = 0; i < C; i++)
        for (int k = 0; k < HW; k++) {
            double v = offset[i];
            for (int r = 0; r < rank; r++)
                v += mix[i * rank + r] * pow(decay, r) * z[(gsize)r * HW + k];
            x[(gsize)i * HW + k] = (float)v;
        }
    return x;
}

/* Means and covariance by the textbook two-pass formula. */
static void moments(const float *x, double *mean, double *cov)
{
    for (int i = 0; i < C; i++) {
        double s = 0;
        for (int k = 0; k < HW; k++)
            s += x[(gsize)i * HW + k];
        mean[i] = s / HW;
    }
    for (int i = 0; i < C; i++)
        for (int j = 0; j < C; j++) {
            double s = 0;
            for (int k = 0; k < HW; k++)
                s += (x[(gsize)i * HW + k] - mean[i]) * (x[(gsize)j * HW + k] - mean[j]);
            cov[i * C + j] = s / HW;
        }
}

/* max |a - b| / max |b| */
static double rel(const double *a, const double *b, int n)
{
    double d = 0, m = 1e-300;
    for (int i = 0; i < n; i++) {
        d = fmax(d, fabs(a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return d / m;
}

/* The content of the ill-conditioned case: its covariance's condition
 * number, by the eigensolver test_features checks, stays below the cut-off
 * WCT applies (1 / VKNN_WCT_DEFAULT_EPS), so every direction is whitened. */
static void check_condition(const float *x)
{
    double mean[C], cov[C * C], values[C];
    moments(x, mean, cov);
    vknn_sym_eigen(cov, C, values, NULL);
    const double k = values[0] / values[C - 1];
    test_check(k > 1e3 && k < 1 / VKNN_WCT_DEFAULT_EPS,
               "the ill-conditioned content's covariance has condition number %.3g", k);
}

static void check_wct(const char *what, const float *content, const float *style)
{
    GError *err = NULL;
    g_autoptr(VknnStyleStats) s = vknn_style_stats_new(style, C, HW, VKNN_WCT_DEFAULT_EPS, &err);
    g_assert_no_error(err);
    g_autofree float *out = g_new(float, (gsize)C *HW);
    test_check(vknn_feature_transform(s, VKNN_TRANSFORM_WCT, content, C, HW, 1, out, &err),
               "%s: WCT runs", what);
    g_assert_no_error(err);
    double ms[C], cs[C * C], mo[C], co[C * C];
    moments(style, ms, cs);
    moments(out, mo, co);
    const double dm = rel(mo, ms, C), dc = rel(co, cs, C * C);
    test_check(dm <= 1e-3 && dc <= 1e-3,
               "%s: WCT output's channel means %.2g and covariance %.2g from the style's "
               "(relative, <= 1e-3)",
               what, dm, dc);
}

/* A content beyond the cut-off (condition ~3e8): the directions below it
 * are dropped, not divided by their tiny eigenvalues, so the output stays
 * finite and holds no more variance than the style's. */
static void check_cut_off(const float *style)
{
    g_autofree float *content = features(35, C, 0.7);
    GError *err = NULL;
    g_autoptr(VknnStyleStats) s = vknn_style_stats_new(style, C, HW, VKNN_WCT_DEFAULT_EPS, &err);
    g_autofree float *out = g_new(float, (gsize)C *HW);
    vknn_feature_transform(s, VKNN_TRANSFORM_WCT, content, C, HW, 1, out, &err);
    g_assert_no_error(err);
    double ms[C], cs[C * C], mo[C], co[C * C], ts = 0, to = 0;
    moments(style, ms, cs);
    moments(out, mo, co);
    gboolean finite = TRUE;
    for (gsize i = 0; i < (gsize)C * HW; i++)
        finite &= isfinite(out[i]);
    for (int i = 0; i < C; i++) {
        ts += cs[i * C + i];
        to += co[i * C + i];
    }
    test_check(finite && to <= ts * (1 + 1e-6),
               "content past the cut-off: output finite, total variance %.4g <= the style's %.4g",
               to, ts);
}

static void test_whiten(void)
{
    g_autofree float *x = features(1, C, 1.0);
    g_autofree float *w = g_new(float, (gsize)C *HW);
    GError *err = NULL;
    test_check(vknn_feature_whiten(x, C, HW, VKNN_WCT_DEFAULT_EPS, w, &err), "whiten runs");
    g_assert_no_error(err);
    double m[C], cov[C * C], eye[C * C] = {0}, zero[C] = {0};
    for (int i = 0; i < C; i++)
        eye[i * C + i] = 1;
    moments(w, m, cov);
    const double dc = rel(cov, eye, C * C);
    double dm = 0;
    for (int i = 0; i < C; i++)
        dm = fmax(dm, fabs(m[i] - zero[i]));
    test_check(dc <= 1e-3 && dm <= 1e-4,
               "whitened features: covariance %.2g from the identity, means within %.2g of 0", dc,
               dm);
}

static void test_adain(void)
{
    g_autofree float *content = features(3, C, 1.0);
    g_autofree float *style = features(7, C / 2, 0.8);
    GError *err = NULL;
    g_autoptr(VknnStyleStats) s = vknn_style_stats_new(style, C, HW, 1e-5, &err);
    g_autofree float *out = g_new(float, (gsize)C *HW);
    test_check(vknn_feature_transform(s, VKNN_TRANSFORM_ADAIN, content, C, HW, 1, out, &err),
               "AdaIN runs");
    g_assert_no_error(err);
    double ms[C], cs[C * C], mo[C], co[C * C], ss[C], so[C];
    moments(style, ms, cs);
    moments(out, mo, co);
    for (int i = 0; i < C; i++) {
        ss[i] = sqrt(cs[i * C + i]);
        so[i] = sqrt(co[i * C + i]);
    }
    const double dm = rel(mo, ms, C), ds = rel(so, ss, C);
    test_check(dm <= 1e-3 && ds <= 1e-3,
               "AdaIN output's channel means %.2g and deviations %.2g from the style's (<= 1e-3)",
               dm, ds);
    /* AdaIN keeps the content's correlations: only the diagonal is set. */
    double mc[C], cc[C * C];
    moments(content, mc, cc);
    const double corr_c = cc[1] / sqrt(cc[0] * cc[C + 1]);
    const double corr_o = co[1] / sqrt(co[0] * co[C + 1]);
    test_check(fabs(corr_c - corr_o) <= 1e-3,
               "AdaIN keeps the correlation of channels 0 and 1 (%.4f -> %.4f)", corr_c, corr_o);
}

static void test_alpha(void)
{
    g_autofree float *content = features(11, C, 1.0);
    g_autofree float *style = features(12, C, 1.0);
    GError *err = NULL;
    g_autoptr(VknnStyleStats) s = vknn_style_stats_new(style, C, HW, 1e-5, &err);
    g_autofree float *out = g_new(float, (gsize)C *HW);
    g_autofree float *full = g_new(float, (gsize)C *HW);
    g_autofree float *half = g_new(float, (gsize)C *HW);
    for (int t = 0; t < 2; t++) {
        const VknnFeatureTransform tr = t ? VKNN_TRANSFORM_WCT : VKNN_TRANSFORM_ADAIN;
        const char *name = t ? "WCT" : "AdaIN";
        vknn_feature_transform(s, tr, content, C, HW, 0, out, &err);
        vknn_feature_transform(s, tr, content, C, HW, 1, full, &err);
        vknn_feature_transform(s, tr, content, C, HW, 0.5f, half, &err);
        g_assert_no_error(err);
        double d0 = 0, dh = 0;
        for (gsize i = 0; i < (gsize)C * HW; i++) {
            d0 = fmax(d0, fabs(out[i] - content[i]));
            dh = fmax(dh, fabs(half[i] - 0.5 * (full[i] + content[i])));
        }
        test_check(d0 <= 1e-5 && dh <= 1e-4,
                   "%s: alpha 0 is the content (max diff %.2g), alpha 0.5 the midpoint (%.2g)",
                   name, d0, dh);
    }
    /* In place: out may be the content. */
    memcpy(out, content, sizeof(float) * C * HW);
    vknn_feature_transform(s, VKNN_TRANSFORM_WCT, out, C, HW, 1, out, &err);
    test_check(memcmp(out, full, sizeof(float) * C * HW) == 0, "WCT in place = out of place");
}

static void test_errors(void)
{
    g_autofree float *x = features(21, C, 1.0);
    GError *err = NULL;
    g_autoptr(VknnStyleStats) s = vknn_style_stats_new(x, C, HW, 1e-5, &err);
    g_autofree float *out = g_new(float, (gsize)C *HW);
    gboolean ok = vknn_feature_transform(s, VKNN_TRANSFORM_WCT, x, C - 1, HW, 1, out, &err);
    test_check(!ok && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_SHAPE),
               "content of other channels than the style's is refused: %s",
               err ? err->message : "");
    g_clear_error(&err);
    ok = vknn_feature_transform(s, VKNN_TRANSFORM_ADAIN, x, C, HW, 1.5f, out, &err);
    test_check(!ok && err, "alpha 1.5 is refused: %s", err ? err->message : "");
    g_clear_error(&err);
    x[5] = NAN;
    VknnStyleStats *none = vknn_style_stats_new(x, C, HW, 1e-5, &err);
    test_check(!none && err, "NaN in a style's features is refused: %s", err ? err->message : "");
    g_clear_error(&err);
    test_check(!vknn_style_stats_new(x, 0, HW, 1e-5, &err) && err, "0 channels are refused");
    g_clear_error(&err);
}

/* ---- the chain on the device ------------------------------------------------- */

/* A decoder from the tiny classifier's "feat" (8 channels, stride 2) to RGB
 * at twice its size: a 2x2 stride-2 ConvTranspose. */
static VknnModel *tiny_decoder(void)
{
    TestModel b = tm_new(0, 41);
    tm_input(&b, "f", SHAPE(1, 8, -1, -1));
    tm_weight(&b, "w", SHAPE(8, 3, 2, 2), -0.3f, 0.3f);
    tm_node(&b, "ConvTranspose", NAMES("f", "w"), "y");
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_output(&b, "y");
    return tm_take(&b);
}

/* The reference executor's value `name` of model m on one input. */
static float *ref_value(VknnModel *m, const VknnShape *s, const float *x, const char *name,
                        VknnShape *out_shape)
{
    GError *err = NULL;
    const VknnRefTensor in = {*s, (float *)x};
    g_autoptr(GHashTable) values = vknn_ref_run(m, &in, &err);
    g_assert_no_error(err);
    const VknnRefTensor *t = g_hash_table_lookup(values, name);
    *out_shape = t->shape;
    return g_memdup2(t->data, sizeof(float) * vknn_shape_numel(&t->shape));
}

/* x (c planes of hw) becomes sum_k weights[k] * transform_k(x), each
 * towards styles[k]: interpolation between n styles, as written in the
 * paper (n = 1 is the transform itself). */
static void ref_blend(VknnStyleStats *const *styles, const double *weights, int n,
                      VknnFeatureTransform tr, float alpha, float *x, int c, int hw)
{
    g_autofree float *one = g_new(float, (gsize)c *hw);
    g_autofree float *sum = g_new0(float, (gsize)c *hw);
    GError *err = NULL;
    for (int k = 0; k < n; k++) {
        vknn_feature_transform(styles[k], tr, x, c, hw, alpha, one, &err);
        g_assert_no_error(err);
        for (int i = 0; i < c * hw; i++)
            sum[i] += (float)weights[k] * one[i];
    }
    memcpy(x, sum, sizeof(float) * c * hw);
}

/* encode (reference), the transforms' blend, decode (reference), crop to
 * w x h. */
static float *ref_chain_blend(VknnModel *enc, VknnModel *dec, VknnStyleStats *const *styles,
                              const double *weights, int n, VknnFeatureTransform tr, float alpha,
                              const float *x, int w, int h)
{
    const VknnShape xs = {4, {1, 3, h, w}};
    VknnShape fs, ys;
    g_autofree float *f = ref_value(enc, &xs, x, "feat", &fs);
    ref_blend(styles, weights, n, tr, alpha, f, (int)fs.dims[1], (int)(fs.dims[2] * fs.dims[3]));
    g_autofree float *y = ref_value(dec, &fs, f, "y", &ys);
    float *out = g_new(float, (gsize)3 * w * h);
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < h; r++)
            memcpy(out + ((gsize)c * h + r) * w, y + ((gsize)c * ys.dims[2] + r) * ys.dims[3],
                   sizeof(float) * w);
    return out;
}

/* The chain towards one style. */
static float *ref_chain(VknnModel *enc, VknnModel *dec, VknnStyleStats *style,
                        VknnFeatureTransform tr, float alpha, const float *x, int w, int h)
{
    const double one = 1;
    return ref_chain_blend(enc, dec, &style, &one, 1, tr, alpha, x, w, h);
}

/* Means and covariance (3 x 3) of three planes of n values, in double. */
static void colour_moments(const float *x, gsize n, double *mean, double *cov)
{
    for (int i = 0; i < 3; i++) {
        mean[i] = 0;
        for (gsize k = 0; k < n; k++)
            mean[i] += x[i * n + k] / (double)n;
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            cov[i * 3 + j] = 0;
            for (gsize k = 0; k < n; k++)
                cov[i * 3 + j] += (x[i * n + k] - mean[i]) * (x[j * n + k] - mean[j]) / (double)n;
        }
}

/* The palette step as AdaIN, written from its definition: each of the
 * three planes of n values moved to the channel mean and deviation (sqrt
 * of variance + 1e-5, as InstanceNormalization) of the style image's (sn
 * values a plane), blended by alpha. */
static void ref_palette(float *rgb, gsize n, const float *style, gsize sn, float alpha)
{
    double m[3], cov[9], sm[3], scov[9];
    colour_moments(rgb, n, m, cov);
    colour_moments(style, sn, sm, scov);
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < n; i++) {
            float *x = rgb + c * n + i;
            const double moved =
                (*x - m[c]) / sqrt(cov[c * 4] + 1e-5) * sqrt(scov[c * 4] + 1e-5) + sm[c];
            *x = (float)(alpha * moved + (1 - alpha) * *x);
        }
}

/* After the palette step at alpha 1 the output's colour means and
 * covariance (WCT) or variances (AdaIN) are the style image's: the largest
 * relative gap. */
static double palette_gap(const float *rgb, gsize n, const float *style, gsize sn,
                          gboolean whole_covariance)
{
    double m[3], cov[9], sm[3], scov[9];
    colour_moments(rgb, n, m, cov);
    colour_moments(style, sn, sm, scov);
    if (!whole_covariance)
        for (int i = 0; i < 9; i++)
            if (i % 4)
                cov[i] = scov[i] = 0;
    return fmax(rel(m, sm, 3), rel(cov, scov, 9));
}

/* A run of the chain: its transform and alpha, and what it is called. */
typedef struct {
    VknnFeatureTransform tr;
    float alpha;
    const char *what;
} ChainCase;

static void test_universal(void)
{
    enum { W = 37, H = 29, SW = 24, SH = 20 };
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) enc = tm_classifier(4, 40);
    g_autoptr(VknnModel) dec = tiny_decoder();
    GError *err = NULL;
    g_autoptr(VknnUniversalStyler) u = vknn_universal_styler_new(ctx, enc, dec, "feat", &err);
    g_assert_no_error(err);
    static float x[3 * W * H], style[3 * SW * SH], got[3 * W * H];
    test_fill_random(x, G_N_ELEMENTS(x), 51, 0, 1);
    test_fill_random(style, G_N_ELEMENTS(style), 52, 0, 1);
    gboolean ok = vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 1, x, W, H, got, &err);
    test_check(!ok && err, "stylising before a style is set is an error: %s",
               err ? err->message : "");
    g_clear_error(&err);
    test_check(vknn_universal_styler_set_style(u, style, SW, SH, &err), "the style is set");
    g_assert_no_error(err);
    /* The chain first without the palette step, then with it. */
    vknn_universal_styler_set_palette(u, FALSE);
    /* The style's statistics, from the reference encoder. */
    const VknnShape ss = {4, {1, 3, SH, SW}};
    VknnShape fs;
    g_autofree float *sf = ref_value(enc, &ss, style, "feat", &fs);
    g_autoptr(VknnStyleStats) stats = vknn_style_stats_new(
        sf, (int)fs.dims[1], (int)(fs.dims[2] * fs.dims[3]), VKNN_WCT_DEFAULT_EPS, &err);
    const ChainCase cases[] = {{VKNN_TRANSFORM_WCT, 1, "WCT"},
                               {VKNN_TRANSFORM_ADAIN, 0.6f, "AdaIN, alpha 0.6"},
                               {VKNN_TRANSFORM_WCT, 0, "alpha 0 (the content's reconstruction)"}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        ok = vknn_universal_styler_run(u, cases[i].tr, cases[i].alpha, x, W, H, got, &err);
        g_autofree float *want =
            ok ? ref_chain(enc, dec, stats, cases[i].tr, cases[i].alpha, x, W, H) : NULL;
        const double d = want ? test_max_abs_diff(got, want, 3 * W * H) /
                                    fmax(test_max_abs(want, 3 * W * H), 1e-12)
                              : INFINITY;
        test_check(d <= 1e-4, "%s at %dx%d on the device = reference chain (%.2g relative)%s%s",
                   cases[i].what, W, H, d, err ? ": " : "", err ? err->message : "");
        g_clear_error(&err);
    }
    /* alpha 0 is the plain reconstruction, without the transform. */
    const VknnShape xs = {4, {1, 3, H, W}};
    VknnShape ys;
    g_autofree float *f = ref_value(enc, &xs, x, "feat", &fs);
    g_autofree float *y = ref_value(dec, &fs, f, "y", &ys);
    double d = 0;
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < H; r++)
            for (int k = 0; k < W; k++)
                d = fmax(d, fabs(got[((gsize)c * H + r) * W + k] -
                                 y[((gsize)c * ys.dims[2] + r) * ys.dims[3] + k]));
    test_check(d <= 1e-5, "alpha 0 = decode(encode(content)), max diff %.2g", d);
    /* ... and the style moves it: WCT's output is another image. */
    static float styled[3 * W * H];
    vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 1, x, W, H, styled, &err);
    g_assert_no_error(err);
    const double moved = test_max_abs_diff(styled, got, 3 * W * H) / test_max_abs(got, 3 * W * H);
    test_check(moved > 0.05, "WCT moves the output by %.2g relative to the reconstruction", moved);
    /* The palette step: the chain's output given the style image's colour
     * statistics by the same transform (WCT, checked above, or AdaIN as
     * written here), blended by alpha. */
    vknn_universal_styler_set_palette(u, TRUE);
    g_autoptr(VknnStyleStats) colours =
        vknn_style_stats_new(style, 3, SW * SH, VKNN_WCT_DEFAULT_EPS, &err);
    g_assert_no_error(err);
    const ChainCase palette_cases[] = {{VKNN_TRANSFORM_WCT, 1, "WCT"},
                                       {VKNN_TRANSFORM_WCT, 0.6f, "WCT, alpha 0.6"},
                                       {VKNN_TRANSFORM_ADAIN, 1, "AdaIN"}};
    for (size_t i = 0; i < G_N_ELEMENTS(palette_cases); i++) {
        const VknnFeatureTransform tr = palette_cases[i].tr;
        const float a = palette_cases[i].alpha;
        ok = vknn_universal_styler_run(u, tr, a, x, W, H, got, &err);
        g_assert_no_error(err);
        g_autofree float *want = ref_chain(enc, dec, stats, tr, a, x, W, H);
        if (tr == VKNN_TRANSFORM_WCT)
            vknn_feature_transform(colours, tr, want, 3, W * H, a, want, &err);
        else
            ref_palette(want, W * H, style, SW * SH, a);
        d = test_max_abs_diff(got, want, 3 * W * H) / fmax(test_max_abs(want, 3 * W * H), 1e-12);
        test_check(ok && d <= 1e-4, "palette, %s: = reference chain and palette (%.2g)",
                   palette_cases[i].what, d);
        if (a == 1.0f) {
            const double gap = palette_gap(got, W * H, style, SW * SH, tr == VKNN_TRANSFORM_WCT);
            test_check(gap <= 1e-3, "palette, %s: the colour %s are the style image's (%.2g)",
                       palette_cases[i].what,
                       tr == VKNN_TRANSFORM_WCT ? "means and covariance" : "means and variances",
                       gap);
        }
    }
    VknnUniversalStyler *none = vknn_universal_styler_new(ctx, enc, dec, "no-such", &err);
    test_check(!none && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND),
               "an unknown layer is named: %s", err ? err->message : "");
    g_clear_error(&err);
}

/* The style network of the universal styler (encoder, InstanceNormalization
 * as AdaIN, decoder in one graph, RGB 0..255) against the host chain: the
 * reference executor's encoder and decoder around vknn_feature_transform's
 * AdaIN, itself checked above. Once by the reference executor (the graph's
 * composition) and once on the device. */
static void test_style_model(void)
{
    enum { W = 36, H = 28, SW = 24, SH = 20 };
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) enc = tm_classifier(4, 40);
    g_autoptr(VknnModel) dec = tiny_decoder();
    GError *err = NULL;
    g_autoptr(VknnUniversalStyler) u = vknn_universal_styler_new(ctx, enc, dec, "feat", &err);
    g_assert_no_error(err);
    VknnModel *none = vknn_universal_styler_style_model(u, 1, &err);
    test_check(!none && err, "no network before a style is set: %s", err ? err->message : "");
    g_clear_error(&err);
    static float x[3 * W * H], x255[3 * W * H], style[3 * SW * SH], got[3 * W * H];
    test_fill_random(x, G_N_ELEMENTS(x), 61, 0, 1);
    test_fill_random(style, G_N_ELEMENTS(style), 62, 0, 1);
    for (size_t i = 0; i < G_N_ELEMENTS(x); i++)
        x255[i] = 255 * x[i];
    vknn_universal_styler_set_style(u, style, SW, SH, &err);
    g_assert_no_error(err);
    const VknnShape ss = {4, {1, 3, SH, SW}}, xs = {4, {1, 3, H, W}};
    VknnShape fs, ys;
    g_autofree float *sf = ref_value(enc, &ss, style, "feat", &fs);
    g_autoptr(VknnStyleStats) stats = vknn_style_stats_new(
        sf, (int)fs.dims[1], (int)(fs.dims[2] * fs.dims[3]), VKNN_WCT_DEFAULT_EPS, &err);
    const float alphas[] = {1.0f, 0.6f, 0.0f, 1.0f, 0.6f};
    for (size_t i = 0; i < G_N_ELEMENTS(alphas); i++) {
        const gboolean palette = i >= 3;
        vknn_universal_styler_set_palette(u, palette);
        g_autoptr(VknnModel) m = vknn_universal_styler_style_model(u, alphas[i], &err);
        g_assert_no_error(err);
        g_autofree float *want =
            ref_chain(enc, dec, stats, VKNN_TRANSFORM_ADAIN, alphas[i], x, W, H);
        if (palette)
            ref_palette(want, W * H, style, SW * SH, alphas[i]);
        for (int k = 0; k < 3 * W * H; k++)
            want[k] *= 255;
        g_autofree float *ref = ref_value(m, &xs, x255, "output", &ys);
        const double scale = fmax(test_max_abs(want, 3 * W * H), 1e-12);
        const double d_ref = test_max_abs_diff(ref, want, 3 * W * H) / scale;
        test_check(d_ref <= 1e-4 && ys.dims[2] == H && ys.dims[3] == W,
                   "alpha %.1f%s: the style network (reference executor) = encoder, AdaIN, "
                   "decoder (%.2g relative)",
                   alphas[i], palette ? ", palette" : "", d_ref);
        g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
        const float *in[] = {x255};
        gboolean ok = net && vknn_net_prepare(net, &xs, &err) && vknn_net_run(net, in, &err) &&
                      vknn_net_read(net, "output", got, &err);
        const double d_dev = ok ? test_max_abs_diff(got, want, 3 * W * H) / scale : INFINITY;
        test_check(d_dev <= 1e-4, "alpha %.1f%s: on the device (%.2g relative)%s%s", alphas[i],
                   palette ? ", palette" : "", d_dev, err ? ": " : "", err ? err->message : "");
        g_clear_error(&err);
    }
    VknnModel *bad = vknn_universal_styler_style_model(u, 1.5f, &err);
    test_check(!bad && err, "alpha 1.5 is refused: %s", err ? err->message : "");
    g_clear_error(&err);
}

/* Two style images: run blends the transforms towards each (features and
 * palette) by the weights, against the reference executor's encode and
 * decode around vknn_feature_transform; weights (1, 0) are the first image
 * alone; style_model's multi-style network holds each image's own network
 * as its style k (vknn_style_extract). */
static void test_interpolation(void)
{
    enum { W = 36, H = 28, SW = 24, SH = 20 };
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) enc = tm_classifier(4, 40);
    g_autoptr(VknnModel) dec = tiny_decoder();
    GError *err = NULL;
    g_autoptr(VknnUniversalStyler) u = vknn_universal_styler_new(ctx, enc, dec, "feat", &err);
    static float x[3 * W * H], styles[2][3 * SW * SH], got[3 * W * H], alone[3 * W * H];
    test_fill_random(x, G_N_ELEMENTS(x), 71, 0, 1);
    VknnStyleStats *feats[2], *colours[2];
    const VknnShape ss = {4, {1, 3, SH, SW}}, xs = {4, {1, 3, H, W}};
    VknnShape fs, ys;
    for (int k = 0; k < 2; k++) {
        test_fill_random(styles[k], G_N_ELEMENTS(styles[k]), 72 + k, k * 0.3f, 0.7f + k * 0.3f);
        g_autofree float *sf = ref_value(enc, &ss, styles[k], "feat", &fs);
        feats[k] = vknn_style_stats_new(sf, (int)fs.dims[1], (int)(fs.dims[2] * fs.dims[3]),
                                        VKNN_WCT_DEFAULT_EPS, &err);
        colours[k] = vknn_style_stats_new(styles[k], 3, SW * SH, VKNN_WCT_DEFAULT_EPS, &err);
    }
    g_assert_no_error(err);
    /* The first image alone, then both. */
    vknn_universal_styler_set_style(u, styles[0], SW, SH, &err);
    vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 1, x, W, H, alone, &err);
    g_autoptr(VknnModel) single = vknn_universal_styler_style_model(u, 1, &err);
    vknn_universal_styler_add_style(u, styles[1], SW, SH, &err);
    g_assert_no_error(err);
    test_check(vknn_universal_styler_style_count(u) == 2, "two style images");
    const double w[2] = {0.25, 0.75};
    vknn_universal_styler_set_weights(u, w, 2, &err);
    g_assert_no_error(err);
    gboolean ok = vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 1, x, W, H, got, &err);
    /* The reference: f = sum w_k WCT_k(encode(x)), decode, then the palette
     * as the same blend of WCTs on RGB. */
    g_autofree float *want = ref_chain_blend(enc, dec, feats, w, 2, VKNN_TRANSFORM_WCT, 1, x, W, H);
    ref_blend(colours, w, 2, VKNN_TRANSFORM_WCT, 1, want, 3, W * H);
    double d = test_max_abs_diff(got, want, 3 * W * H) / test_max_abs(want, 3 * W * H);
    test_check(ok && d <= 1e-4, "WCT between two images, weights 0.25 / 0.75 = reference (%.2g)",
               d);
    const double first[2] = {1, 0};
    vknn_universal_styler_set_weights(u, first, 2, &err);
    vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 1, x, W, H, got, &err);
    d = test_max_abs_diff(got, alone, 3 * W * H) / test_max_abs(alone, 3 * W * H);
    test_check(d <= 1e-6, "weights 1 / 0: the first image alone (%.2g)", d);
    /* The network: two styles, style 0 that of the first image alone. */
    g_autoptr(VknnModel) both = vknn_universal_styler_style_model(u, 1, &err);
    g_assert_no_error(err);
    g_autoptr(VknnModel) style0 = vknn_style_extract(both, 0, &err);
    static float x255[3 * W * H];
    for (int i = 0; i < 3 * W * H; i++)
        x255[i] = 255 * x[i];
    g_autofree float *a = ref_value(style0, &xs, x255, "output", &ys);
    g_autofree float *b = ref_value(single, &xs, x255, "output", &ys);
    d = test_max_abs_diff(a, b, 3 * W * H) / test_max_abs(b, 3 * W * H);
    test_check(vknn_style_count(both) == 2 && d <= 1e-6,
               "style_model: %d styles, style 0 = the first image's network (%.2g)",
               vknn_style_count(both), d);
    /* Errors. */
    const double zero[2] = {0, 0}, three[3] = {1, 1, 1};
    ok = vknn_universal_styler_set_weights(u, zero, 2, &err);
    test_check(!ok && err, "all-zero weights are refused: %s", err ? err->message : "");
    g_clear_error(&err);
    ok = vknn_universal_styler_set_weights(u, three, 3, &err);
    test_check(!ok && err, "three weights for two images are refused: %s", err ? err->message : "");
    g_clear_error(&err);
    for (int k = 0; k < 2; k++) {
        vknn_style_stats_free(feats[k]);
        vknn_style_stats_free(colours[k]);
    }
}

/* vknn_model_append, which composes the style network: only what `until`
 * needs is copied, prefixed; bad names are errors. */
static void test_append(void)
{
    g_autoptr(VknnModel) enc = tm_classifier(4, 40);
    g_autoptr(VknnModel) m = vknn_model_new();
    const VknnShape rgb = {4, {1, 3, -1, -1}};
    vknn_model_add_input(m, "image", &rgb);
    const char *in[] = {"image"}, *missing[] = {"nothing"};
    GError *err = NULL;
    gboolean ok = vknn_model_append(m, enc, "a/", in, "feat", &err);
    test_check(ok && m->nodes->len == 2 && vknn_model_find_value(m, "a/w1") >= 0 &&
                   vknn_model_find_value(m, "a/w2") < 0 && vknn_model_find_value(m, "a/feat") >= 0,
               "appending to 'feat': its 2 nodes and their weight only (%u nodes)%s%s",
               m->nodes->len, err ? ": " : "", err ? err->message : "");
    g_clear_error(&err);
    ok = vknn_model_append(m, enc, "a/", in, NULL, &err);
    test_check(!ok && err, "the same prefix again clashes: %s", err ? err->message : "");
    g_clear_error(&err);
    ok = vknn_model_append(m, enc, "b/", in, "no-such", &err);
    test_check(!ok && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND),
               "an unknown tensor to stop at is named: %s", err ? err->message : "");
    g_clear_error(&err);
    ok = vknn_model_append(m, enc, "c/", missing, NULL, &err);
    test_check(!ok && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND),
               "an input that is not defined is named: %s", err ? err->message : "");
    g_clear_error(&err);
}

int main(void)
{
    g_autofree float *content = features(31, C, 1.0);
    g_autofree float *style = features(32, C, 1.0);
    check_wct("full-rank content and style", content, style);
    g_autofree float *low_rank = features(33, C / 3, 1.0);
    check_wct("a style of rank 8 in 24 channels", content, low_rank);
    g_autofree float *ill = features(34, C, 0.85);
    check_condition(ill);
    check_wct("an ill-conditioned content", ill, style);
    check_cut_off(style);
    test_whiten();
    test_adain();
    test_alpha();
    test_errors();
    test_universal();
    test_style_model();
    test_interpolation();
    test_append();
    return test_summary(0);
}
