/* AdaIN, the whitening-colouring transform and the encoder-transform-decoder
 * chain (vknn/wct.h). */
#include "apps/linalg.h"

#include <vknn/error.h>
#include <vknn/net.h>
#include <vknn/style.h>
#include <vknn/wct.h>

#include <math.h>
#include <string.h>

/* Added to each channel's variance before AdaIN divides by its square
 * root, as Huang & Belongie's code does: flat channels stay finite. */
#define ADAIN_VARIANCE_EPS 1e-5

struct VknnStyleStats {
    int c;
    double *mean;   /* c */
    double *std;    /* c, AdaIN's: sqrt(variance + ADAIN_VARIANCE_EPS) */
    double *cov;    /* c x c */
    double *colour; /* c x c: the covariance's square root */
};

void vknn_feature_moments(const float *x, int c, int hw, double *mean, double *cov)
{
    for (int i = 0; i < c; i++) {
        double s = 0;
        for (int k = 0; k < hw; k++)
            s += x[(gsize)i * hw + k];
        mean[i] = s / hw;
    }
    if (!cov)
        return;
    g_autofree double *row_i = g_new(double, hw);
    for (int i = 0; i < c; i++) {
        for (int k = 0; k < hw; k++)
            row_i[k] = x[(gsize)i * hw + k] - mean[i];
        for (int j = i; j < c; j++) {
            const float *xj = x + (gsize)j * hw;
            double s = 0;
            for (int k = 0; k < hw; k++)
                s += row_i[k] * (xj[k] - mean[j]);
            cov[i * c + j] = cov[j * c + i] = s / hw;
        }
    }
}

/* m = E diag(f(lambda)) E^T over the eigenvalues above eps times the
 * largest (the others contribute nothing); power is 1/2 or -1/2. */
static gboolean matrix_power(const double *cov, int c, double eps, double power, double *m,
                             GError **err)
{
    g_autofree double *values = g_new(double, c);
    g_autofree double *vectors = g_new(double, (gsize)c *c);
    if (!vknn_sym_eigen(cov, c, values, vectors)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "the %dx%d channel covariance's eigen-decomposition did not converge", c, c);
        return FALSE;
    }
    memset(m, 0, sizeof(double) * c * c);
    const double floor = eps * fmax(values[0], 0);
    for (int k = 0; k < c && values[k] > floor && values[k] > 0; k++) {
        const double f = pow(values[k], power);
        const double *e = vectors + (gsize)k * c;
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++)
                m[i * c + j] += f * e[i] * e[j];
    }
    return TRUE;
}

static gboolean all_finite(const float *x, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return FALSE;
    return TRUE;
}

static gboolean check_features(const float *x, int c, int hw, GError **err)
{
    if (c < 1 || hw < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "features of %d channels of %d values: need at least 1 of each", c, hw);
        return FALSE;
    }
    if (!all_finite(x, (gsize)c * hw)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "the features hold NaN or infinity");
        return FALSE;
    }
    return TRUE;
}

VknnStyleStats *vknn_style_stats_new(const float *features, int c, int hw, double eps, GError **err)
{
    if (!check_features(features, c, hw, err))
        return NULL;
    VknnStyleStats *s = g_new0(VknnStyleStats, 1);
    s->c = c;
    s->mean = g_new(double, c);
    s->std = g_new(double, c);
    s->cov = g_new(double, (gsize)c *c);
    s->colour = g_new(double, (gsize)c *c);
    vknn_feature_moments(features, c, hw, s->mean, s->cov);
    for (int i = 0; i < c; i++)
        s->std[i] = sqrt(s->cov[i * c + i] + ADAIN_VARIANCE_EPS);
    if (!matrix_power(s->cov, c, eps, 0.5, s->colour, err)) {
        vknn_style_stats_free(s);
        return NULL;
    }
    return s;
}

void vknn_style_stats_free(VknnStyleStats *s)
{
    if (!s)
        return;
    g_free(s->mean);
    g_free(s->std);
    g_free(s->cov);
    g_free(s->colour);
    g_free(s);
}

int vknn_style_stats_channels(const VknnStyleStats *s)
{
    return s->c;
}

void vknn_style_stats_get(const VknnStyleStats *s, double *mean, double *cov)
{
    if (mean)
        memcpy(mean, s->mean, sizeof(double) * s->c);
    if (cov)
        memcpy(cov, s->cov, sizeof(double) * s->c * s->c);
}

/* out = t (x - mean) + shift, channel by channel: t is c x c. */
static void affine(const double *t, const double *mean, const double *shift, const float *x, int c,
                   int hw, float *out)
{
    g_autofree double *acc = g_new(double, hw);
    g_autofree float *y = g_new(float, (gsize)c *hw);
    for (int i = 0; i < c; i++) {
        for (int k = 0; k < hw; k++)
            acc[k] = shift ? shift[i] : 0;
        for (int j = 0; j < c; j++) {
            const double w = t[i * c + j];
            if (w == 0)
                continue;
            const float *xj = x + (gsize)j * hw;
            for (int k = 0; k < hw; k++)
                acc[k] += w * (xj[k] - mean[j]);
        }
        for (int k = 0; k < hw; k++)
            y[(gsize)i * hw + k] = (float)acc[k];
    }
    memcpy(out, y, sizeof(float) * c * hw);
}

static gboolean whitening(const float *x, int c, int hw, double eps, double *mean, double *w,
                          GError **err)
{
    g_autofree double *cov = g_new(double, (gsize)c *c);
    vknn_feature_moments(x, c, hw, mean, cov);
    return matrix_power(cov, c, eps, -0.5, w, err);
}

gboolean vknn_feature_whiten(const float *features, int c, int hw, double eps, float *out,
                             GError **err)
{
    if (!check_features(features, c, hw, err))
        return FALSE;
    g_autofree double *mean = g_new(double, c);
    g_autofree double *w = g_new(double, (gsize)c *c);
    if (!whitening(features, c, hw, eps, mean, w, err))
        return FALSE;
    affine(w, mean, NULL, features, c, hw, out);
    return TRUE;
}

/* WCT's one matrix: colour (c x c) times the content's whitening. */
static gboolean wct_matrix(const VknnStyleStats *s, const float *x, int hw, double *mean, double *t,
                           GError **err)
{
    const int c = s->c;
    g_autofree double *w = g_new(double, (gsize)c *c);
    if (!whitening(x, c, hw, VKNN_WCT_DEFAULT_EPS, mean, w, err))
        return FALSE;
    for (int i = 0; i < c; i++)
        for (int j = 0; j < c; j++) {
            double v = 0;
            for (int k = 0; k < c; k++)
                v += s->colour[i * c + k] * w[k * c + j];
            t[i * c + j] = v;
        }
    return TRUE;
}

/* AdaIN as a diagonal matrix: style std over content std per channel. */
static void adain_matrix(const VknnStyleStats *s, const float *x, int hw, double *mean, double *t)
{
    const int c = s->c;
    vknn_feature_moments(x, c, hw, mean, NULL);
    memset(t, 0, sizeof(double) * c * c);
    for (int i = 0; i < c; i++) {
        const float *xi = x + (gsize)i * hw;
        double var = 0;
        for (int k = 0; k < hw; k++)
            var += (xi[k] - mean[i]) * (xi[k] - mean[i]);
        t[i * c + i] = s->std[i] / sqrt(var / hw + ADAIN_VARIANCE_EPS);
    }
}

gboolean vknn_feature_transform(const VknnStyleStats *style, VknnFeatureTransform transform,
                                const float *content, int c, int hw, float alpha, float *out,
                                GError **err)
{
    if (!check_features(content, c, hw, err))
        return FALSE;
    if (c != style->c || !(alpha >= 0 && alpha <= 1)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "content features of %d channels for a style of %d, alpha %g (0..1)", c,
                    style->c, alpha);
        return FALSE;
    }
    g_autofree double *mean = g_new(double, c);
    g_autofree double *t = g_new(double, (gsize)c *c);
    if (transform == VKNN_TRANSFORM_ADAIN)
        adain_matrix(style, content, hw, mean, t);
    else if (!wct_matrix(style, content, hw, mean, t, err))
        return FALSE;
    /* Blending the matrix, not the features, saves a pass: alpha T (x - m)
     * + alpha ms + (1 - alpha) x = (alpha T + (1 - alpha) I)(x - m) +
     * alpha ms + (1 - alpha) m. */
    g_autofree double *shift = g_new(double, c);
    for (int i = 0; i < c; i++) {
        for (int j = 0; j < c; j++)
            t[i * c + j] = alpha * t[i * c + j] + (i == j ? 1.0 - alpha : 0.0);
        shift[i] = alpha * style->mean[i] + (1.0 - alpha) * mean[i];
    }
    affine(t, mean, shift, content, c, hw, out);
    return TRUE;
}

/* ---- encoder, transform, decoder ------------------------------------------------ */

struct VknnUniversalStyler {
    VknnModel *encoder, *decoder;
    char *layer;
    VknnNet *enc, *dec;
    /* Per style image: its features' and its RGB's (0..1, 3 channels)
     * statistics, and its weight in run's blend (summing to 1). */
    int n_styles;
    VknnStyleStats *style[VKNN_MAX_STYLES], *colours[VKNN_MAX_STYLES];
    double weight[VKNN_MAX_STYLES];
    gboolean palette;
};

static void clear_styles(VknnUniversalStyler *u)
{
    for (int k = 0; k < u->n_styles; k++) {
        vknn_style_stats_free(u->style[k]);
        vknn_style_stats_free(u->colours[k]);
    }
    u->n_styles = 0;
}

void vknn_universal_styler_free(VknnUniversalStyler *u)
{
    if (!u)
        return;
    vknn_net_free(u->enc);
    vknn_net_free(u->dec);
    clear_styles(u);
    g_free(u->layer);
    g_free(u);
}

static gboolean one_image_input(const VknnModel *m, const char *what, GError **err)
{
    if (m->inputs->len == 1 && m->outputs->len >= 1)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                "the %s has %u inputs and %u outputs (expected 1 input)", what, m->inputs->len,
                m->outputs->len);
    return FALSE;
}

VknnUniversalStyler *vknn_universal_styler_new(VknnContext *ctx, VknnModel *encoder,
                                               VknnModel *decoder, const char *layer, GError **err)
{
    if (!one_image_input(encoder, "encoder", err) || !one_image_input(decoder, "decoder", err))
        return NULL;
    if (vknn_model_find_value(encoder, layer) < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND, "the encoder has no tensor '%s'", layer);
        return NULL;
    }
    VknnUniversalStyler *u = g_new0(VknnUniversalStyler, 1);
    u->encoder = encoder;
    u->decoder = decoder;
    u->layer = g_strdup(layer);
    u->palette = TRUE;
    u->enc = vknn_net_new(ctx, encoder, err);
    u->dec = u->enc ? vknn_net_new(ctx, decoder, err) : NULL;
    if (!u->dec || !vknn_net_keep(u->enc, layer, err)) {
        vknn_universal_styler_free(u);
        return NULL;
    }
    return u;
}

/* The encoder's features of an image (g_free), their shape in *shape. */
static float *encode(VknnUniversalStyler *u, const float *rgb, int width, int height,
                     VknnShape *shape, GError **err)
{
    const VknnShape in = {4, {1, 3, height, width}};
    const float *inputs[] = {rgb};
    if (!vknn_net_prepare(u->enc, &in, err) || !vknn_net_run(u->enc, inputs, err))
        return NULL;
    *shape = *vknn_net_shape(u->enc, u->layer);
    if (shape->rank != 4 || shape->dims[0] != 1) {
        char s[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "the encoder's '%s' is %s, not [1,C,H,W]",
                    u->layer, vknn_shape_str(shape, s, sizeof s));
        return NULL;
    }
    float *f = g_new(float, vknn_shape_numel(shape));
    if (!vknn_net_read(u->enc, u->layer, f, err))
        g_clear_pointer(&f, g_free);
    return f;
}

void vknn_universal_styler_set_palette(VknnUniversalStyler *u, gboolean palette)
{
    u->palette = palette;
}

/* The statistics of a style image's features and of its RGB. */
static gboolean style_image_stats(VknnUniversalStyler *u, const float *rgb, int width, int height,
                                  VknnStyleStats **features, VknnStyleStats **colours, GError **err)
{
    VknnShape s;
    g_autofree float *f = encode(u, rgb, width, height, &s, err);
    *features = f ? vknn_style_stats_new(f, (int)s.dims[1], (int)(s.dims[2] * s.dims[3]),
                                         VKNN_WCT_DEFAULT_EPS, err)
                  : NULL;
    *colours =
        *features ? vknn_style_stats_new(rgb, 3, width * height, VKNN_WCT_DEFAULT_EPS, err) : NULL;
    if (!*colours)
        g_clear_pointer(features, vknn_style_stats_free);
    return *colours != NULL;
}

/* Adds an image's statistics as the next style; the weights become equal. */
static void append_style(VknnUniversalStyler *u, VknnStyleStats *features, VknnStyleStats *colours)
{
    u->style[u->n_styles] = features;
    u->colours[u->n_styles] = colours;
    u->n_styles++;
    for (int k = 0; k < u->n_styles; k++)
        u->weight[k] = 1.0 / u->n_styles;
}

gboolean vknn_universal_styler_set_style(VknnUniversalStyler *u, const float *rgb, int width,
                                         int height, GError **err)
{
    VknnStyleStats *features, *colours;
    if (!style_image_stats(u, rgb, width, height, &features, &colours, err))
        return FALSE; /* the styles set before stay */
    clear_styles(u);
    append_style(u, features, colours);
    return TRUE;
}

gboolean vknn_universal_styler_add_style(VknnUniversalStyler *u, const float *rgb, int width,
                                         int height, GError **err)
{
    if (u->n_styles == VKNN_MAX_STYLES) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "at most %d style images", VKNN_MAX_STYLES);
        return FALSE;
    }
    VknnStyleStats *features, *colours;
    if (!style_image_stats(u, rgb, width, height, &features, &colours, err))
        return FALSE;
    append_style(u, features, colours);
    return TRUE;
}

int vknn_universal_styler_style_count(const VknnUniversalStyler *u)
{
    return u->n_styles;
}

gboolean vknn_universal_styler_set_weights(VknnUniversalStyler *u, const double *weights, int n,
                                           GError **err)
{
    double sum = 0;
    for (int k = 0; k < n; k++)
        sum += weights[k] >= 0 && isfinite(weights[k]) ? weights[k] : NAN;
    if (n != u->n_styles || !(sum > 0 && isfinite(sum))) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "%d style weights for %d style images: they must be as many, >= 0 and not "
                    "all 0",
                    n, u->n_styles);
        return FALSE;
    }
    for (int k = 0; k < n; k++)
        u->weight[k] = weights[k] / sum;
    return TRUE;
}

/* x (c planes of hw) becomes the weighted sum of its transforms towards
 * each style's statistics: interpolation between styles (Li et al. 2017),
 * for AdaIN the same as one AdaIN to the blended means and deviations. */
static gboolean blend_transforms(VknnUniversalStyler *u, VknnStyleStats *const *stats,
                                 VknnFeatureTransform transform, float *x, int c, int hw,
                                 float alpha, GError **err)
{
    const gsize n = (gsize)c * hw;
    if (u->n_styles == 1)
        return vknn_feature_transform(stats[0], transform, x, c, hw, alpha, x, err);
    g_autofree float *one = g_new(float, n);
    g_autofree double *sum = g_new0(double, n);
    for (int k = 0; k < u->n_styles; k++) {
        if (!vknn_feature_transform(stats[k], transform, x, c, hw, alpha, one, err))
            return FALSE;
        for (gsize i = 0; i < n; i++)
            sum[i] += u->weight[k] * one[i];
    }
    for (gsize i = 0; i < n; i++)
        x[i] = (float)sum[i];
    return TRUE;
}

/* Runs the decoder on features f of shape s; the output's top-left width x
 * height region of each plane goes to out. */
static gboolean decode(VknnUniversalStyler *u, const float *f, const VknnShape *s, int width,
                       int height, float *out, GError **err)
{
    const float *inputs[] = {f};
    if (!vknn_net_prepare(u->dec, s, err) || !vknn_net_run(u->dec, inputs, err))
        return FALSE;
    const char *name =
        vknn_model_value(u->decoder, g_array_index(u->decoder->outputs, int, 0))->name;
    const VknnShape *os = vknn_net_shape(u->dec, name);
    if (os->rank != 4 || os->dims[1] != 3 || os->dims[2] < height || os->dims[3] < width) {
        char str[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "the decoder's output is %s, not RGB of at least %dx%d",
                    vknn_shape_str(os, str, sizeof str), width, height);
        return FALSE;
    }
    const int ow = (int)os->dims[3], oh = (int)os->dims[2];
    g_autofree float *y = g_new(float, vknn_shape_numel(os));
    if (!vknn_net_read(u->dec, name, y, err))
        return FALSE;
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < height; r++)
            memcpy(out + ((gsize)c * height + r) * width, y + ((gsize)c * oh + r) * ow,
                   sizeof(float) * width);
    return TRUE;
}

gboolean vknn_universal_styler_run(VknnUniversalStyler *u, VknnFeatureTransform transform,
                                   float alpha, const float *rgb, int width, int height, float *out,
                                   GError **err)
{
    if (!u->n_styles) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no style image set");
        return FALSE;
    }
    VknnShape s;
    g_autofree float *f = encode(u, rgb, width, height, &s, err);
    if (!f ||
        !blend_transforms(u, u->style, transform, f, (int)s.dims[1], (int)(s.dims[2] * s.dims[3]),
                          alpha, err) ||
        !decode(u, f, &s, width, height, out, err))
        return FALSE;
    /* The palette step: the same transform on the decoded RGB, towards the
     * style images' colours. */
    return !u->palette ||
           blend_transforms(u, u->colours, transform, out, 3, width * height, alpha, err);
}

/* ---- one network for frames: encoder, AdaIN, decoder ------------------------- */

/* Adds a constant of n floats named name, shaped [n]. */
static void add_vector(VknnModel *m, const char *name, const float *v, int n)
{
    const VknnShape s = {1, {n}};
    vknn_model_add_constant(m, name, &s, v);
}

/* Adds out = Mul(in, factor). */
static gboolean add_scaling(VknnModel *m, const char *in, float factor, const char *out,
                            GError **err)
{
    g_autofree char *name = g_strconcat(out, "_factor", NULL);
    add_vector(m, name, &factor, 1);
    const char *inputs[] = {in, name};
    return vknn_model_add_node(m, "Mul", out, inputs, 2, &out, 1, err) != NULL;
}

/* Adds `out`: AdaIN of `in` towards the statistics' channel means and
 * deviations, InstanceNormalization(in; alpha std, alpha mean), blended
 * with the input, + (1 - alpha) in. Names start with `name`. */
static gboolean add_adain(VknnModel *m, const char *name, const char *in,
                          VknnStyleStats *const *styles, int n_styles, float alpha, const char *out,
                          GError **err)
{
    g_autofree char *scale_name = g_strconcat(name, "_scale", NULL);
    g_autofree char *bias_name = g_strconcat(name, "_bias", NULL);
    g_autofree char *kept = g_strconcat(name, "_kept", NULL);
    g_autofree char *blend = g_strconcat(name, "_blend", NULL);
    /* Several styles: NAME@k holds style k's, as in a multi-style network
     * (vknn/style.h), and NAME style 0's. */
    for (int k = 0; k < n_styles; k++) {
        const int c = styles[k]->c;
        g_autofree float *scale = g_new(float, c);
        g_autofree float *bias = g_new(float, c);
        for (int i = 0; i < c; i++) {
            scale[i] = (float)(alpha * styles[k]->std[i]);
            bias[i] = (float)(alpha * styles[k]->mean[i]);
        }
        g_autofree char *suffix = k ? g_strdup_printf("@%d", k) : g_strdup("");
        g_autofree char *scale_k = g_strconcat(scale_name, suffix, NULL);
        g_autofree char *bias_k = g_strconcat(bias_name, suffix, NULL);
        add_vector(m, scale_k, scale, c);
        add_vector(m, bias_k, bias, c);
    }
    const char *inputs[] = {in, scale_name, bias_name};
    const char *normed = alpha < 1.0f ? name : out;
    VknnNode *n = vknn_model_add_node(m, "InstanceNormalization", name, inputs, 3, &normed, 1, err);
    if (!n)
        return FALSE;
    vknn_node_set_float(n, "epsilon", (float)ADAIN_VARIANCE_EPS);
    if (alpha == 1.0f)
        return TRUE;
    const char *sum[] = {name, kept};
    return add_scaling(m, in, 1.0f - alpha, kept, err) &&
           vknn_model_add_node(m, "Add", blend, sum, 2, &out, 1, err);
}

VknnModel *vknn_universal_styler_style_model(VknnUniversalStyler *u, float alpha, GError **err)
{
    if (!u->n_styles) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no style image set");
        return NULL;
    }
    if (!(alpha >= 0.0f && alpha <= 1.0f)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "alpha %g is outside 0..1", alpha);
        return NULL;
    }
    if (u->encoder->opset != u->decoder->opset) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "the encoder (opset %d) and the decoder (opset %d) cannot form one network",
                    u->encoder->opset, u->decoder->opset);
        return NULL;
    }
    g_autoptr(VknnModel) m = vknn_model_new();
    m->opset = u->encoder->opset;
    const VknnShape rgb = {4, {1, 3, -1, -1}};
    vknn_model_add_input(m, "input", &rgb);
    const char *encoder_in[] = {"rgb"};
    g_autofree char *features = g_strconcat("encoder/", u->layer, NULL);
    const char *decoder_in[] = {"transformed"};
    const char *decoded =
        vknn_model_value(u->decoder, g_array_index(u->decoder->outputs, int, 0))->name;
    g_autofree char *decoder_out = g_strconcat("decoder/", decoded, NULL);
    if (!add_scaling(m, "input", 1.0f / 255.0f, "rgb", err) ||
        !vknn_model_append(m, u->encoder, "encoder/", encoder_in, u->layer, err) ||
        !add_adain(m, "adain", features, u->style, u->n_styles, alpha, "transformed", err) ||
        !vknn_model_append(m, u->decoder, "decoder/", decoder_in, NULL, err) ||
        (u->palette &&
         !add_adain(m, "palette", decoder_out, u->colours, u->n_styles, alpha, "paletted", err)) ||
        !add_scaling(m, u->palette ? "paletted" : decoder_out, 255.0f, "output", err) ||
        !vknn_model_mark_output(m, "output", err))
        return NULL;
    return g_steal_pointer(&m);
}
