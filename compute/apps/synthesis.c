/* Images synthesised through a network's features (vknn/synthesis.h):
 * feature inversion, texture synthesis and Gatys style transfer as one
 * objective. The device runs the network forward and backward; the host
 * computes the losses at the layers (apps/losses.h, as vknn train does)
 * and takes the Adam step on the image (apps/optim.h). */
#include "apps/losses.h"
#include "apps/optim.h"

#include <vknn/net.h>
#include <vknn/synthesis.h>

#include <math.h>
#include <string.h>

/* Mahendran & Vedaldi's typical pixel norm, 80 levels of 0..255, and the
 * natural-image mean the alpha-norm is taken around. */
#define PIXEL_NORM (80.0f / 255.0f)
static const float natural_mean[3] = {0.485f, 0.456f, 0.406f};

struct VknnSynthesizer {
    VknnContext *ctx;
    VknnModel *model;
    VknnNet *net;
    VknnSynthParams params; /* its layer strings not owned: see the fields below */
    float mean[3], std[3];
    const char *input_name;
    char **layers; /* the distinct loss layers, seeded in this order */
    int n_layers;
    int content_layer; /* index in layers, or -1 */
    char **style_layers;
    int n_style;
    int *style_layer; /* index in layers of each style layer */
    float *content_target;
    double content_energy; /* sum of the squared target features */
    int content_w, content_h;
    double **gram_targets; /* per style layer, c x c */
    double *gram_energy;   /* sum of the squared target Gram entries */
    int width, height;     /* prepared size, 0 before */
    float *buf, *grad;     /* model input and its gradient at the prepared size */
};

void vknn_synthesizer_free(VknnSynthesizer *s)
{
    if (!s)
        return;
    vknn_net_free(s->net);
    g_strfreev(s->layers);
    for (int i = 0; s->gram_targets && i < s->n_style; i++)
        g_free(s->gram_targets[i]);
    g_free(s->gram_targets);
    g_free(s->gram_energy);
    g_strfreev(s->style_layers);
    g_free(s->style_layer);
    g_free(s->content_target);
    g_free(s->buf);
    g_free(s->grad);
    g_free(s);
}

static gboolean check_params(const VknnSynthParams *p, GError **err)
{
    const float w[] = {p->content_weight, p->style_weight, p->tv_weight, p->alpha_weight};
    for (guint i = 0; i < G_N_ELEMENTS(w); i++)
        if (!(w[i] >= 0) || !isfinite(w[i])) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                        "loss weights must be finite and >= 0 (content %g, style %g, tv %g, "
                        "alpha %g)",
                        p->content_weight, p->style_weight, p->tv_weight, p->alpha_weight);
            return FALSE;
        }
    if (!(p->alpha >= 1) || !isfinite(p->alpha)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "alpha must be >= 1, not %g", p->alpha);
        return FALSE;
    }
    if (!p->content_layer && !(p->style_layers && *p->style_layers)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "nothing to match: give a content layer, style layers or both");
        return FALSE;
    }
    return TRUE;
}

/* Index of layer in s->layers, added when new; -1 (err set) when the model
 * has no such tensor. */
static int add_layer(VknnSynthesizer *s, GPtrArray *layers, const char *name, GError **err)
{
    for (guint i = 0; i < layers->len; i++)
        if (g_str_equal(g_ptr_array_index(layers, i), name))
            return (int)i;
    const int v = vknn_model_find_value(s->model, name);
    if (v < 0 || vknn_model_value(s->model, v)->kind == VKNN_VALUE_CONSTANT) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND,
                    "layer '%s' not found in the model (vknn info lists its tensors)", name);
        return -1;
    }
    g_ptr_array_add(layers, g_strdup(name));
    return (int)layers->len - 1;
}

/* The loss layers: the content layer and the style layers, each once. */
static gboolean find_layers(VknnSynthesizer *s, GError **err)
{
    g_autoptr(GPtrArray) layers = g_ptr_array_new_with_free_func(g_free);
    s->content_layer = -1;
    if (s->params.content_layer &&
        (s->content_layer = add_layer(s, layers, s->params.content_layer, err)) < 0)
        return FALSE;
    s->style_layers = g_strsplit(s->params.style_layers ? s->params.style_layers : "", ",", -1);
    s->n_style =
        s->params.style_layers && *s->params.style_layers ? (int)g_strv_length(s->style_layers) : 0;
    s->style_layer = g_new(int, MAX(s->n_style, 1));
    for (int i = 0; i < s->n_style; i++)
        if ((s->style_layer[i] = add_layer(s, layers, g_strstrip(s->style_layers[i]), err)) < 0)
            return FALSE;
    s->n_layers = (int)layers->len;
    g_ptr_array_add(layers, NULL);
    s->layers = (char **)g_ptr_array_steal(layers, NULL);
    s->params.content_layer = s->params.style_layers = NULL;
    return TRUE;
}

/* Asks the executor for the layers' features and d loss / d input, every
 * layer seeded in one backward pass. */
static gboolean configure(VknnSynthesizer *s, GError **err)
{
    if (!vknn_net_request_grad(s->net, s->input_name, err))
        return FALSE;
    for (int i = 0; i < s->n_layers; i++)
        if (!vknn_net_keep(s->net, s->layers[i], err))
            return FALSE;
    return vknn_net_set_grad_outputs(s->net, (const char *const *)s->layers, s->n_layers, err);
}

VknnSynthesizer *vknn_synthesizer_new(VknnContext *ctx, VknnModel *model,
                                      const VknnFrameInputParams *input,
                                      const VknnSynthParams *params, GError **err)
{
    if (!check_params(params, err))
        return NULL;
    if (model->inputs->len != 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "image synthesis needs a model with one (image) input, not %u",
                    model->inputs->len);
        return NULL;
    }
    g_autoptr(VknnSynthesizer) s = g_new0(VknnSynthesizer, 1);
    s->ctx = ctx;
    s->model = model;
    s->params = *params;
    memcpy(s->mean, input->mean, sizeof s->mean);
    memcpy(s->std, input->std, sizeof s->std);
    s->input_name = vknn_model_value(model, g_array_index(model->inputs, int, 0))->name;
    if (!find_layers(s, err) || !(s->net = vknn_net_new(ctx, model, err)) || !configure(s, err))
        return NULL;
    s->gram_targets = g_new0(double *, MAX(s->n_style, 1));
    s->gram_energy = g_new0(double, MAX(s->n_style, 1));
    return g_steal_pointer(&s);
}

static gboolean prepare(VknnSynthesizer *s, int w, int h, GError **err)
{
    if (w < 1 || h < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "empty image (%dx%d)", w, h);
        return FALSE;
    }
    const VknnShape shape = {4, {1, 3, h, w}};
    if (!vknn_net_prepare(s->net, &shape, err))
        return FALSE;
    if (s->width != w || s->height != h) {
        s->buf = g_renew(float, s->buf, 3 * (gsize)w * h);
        s->grad = g_renew(float, s->grad, 3 * (gsize)w * h);
        s->width = w;
        s->height = h;
    }
    return TRUE;
}

/* Runs the network on pixels (w x h), normalised on the way. */
static gboolean forward(VknnSynthesizer *s, const float *pixels, int w, int h, GError **err)
{
    if (!prepare(s, w, h, err))
        return FALSE;
    const gsize hw = (gsize)w * h;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            s->buf[c * hw + i] = (pixels[c * hw + i] - s->mean[c]) / s->std[c];
    const float *inputs[] = {s->buf};
    return vknn_net_run(s->net, inputs, err);
}

static double energy(const float *x, gsize n)
{
    double e = 0;
    for (gsize i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

gboolean vknn_synthesizer_set_content(VknnSynthesizer *s, const float *image, int width, int height,
                                      GError **err)
{
    if (s->content_layer < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no content layer to take a target at");
        return FALSE;
    }
    VknnFeatures f = {0};
    const gboolean ok = forward(s, image, width, height, err) &&
                        vknn_features_read(s->net, s->layers[s->content_layer], &f, err);
    if (ok) {
        g_free(s->content_target);
        s->content_target = g_steal_pointer(&f.data);
        s->content_energy = energy(s->content_target, (gsize)f.c * f.hw);
        s->content_w = width;
        s->content_h = height;
    }
    g_free(f.data);
    return ok;
}

gboolean vknn_synthesizer_set_style(VknnSynthesizer *s, const float *image, int width, int height,
                                    GError **err)
{
    if (s->n_style == 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no style layers to take Grams at");
        return FALSE;
    }
    if (!forward(s, image, width, height, err))
        return FALSE;
    for (int i = 0; i < s->n_style; i++) {
        VknnFeatures f = {0};
        if (!vknn_features_read(s->net, s->layers[s->style_layer[i]], &f, err)) {
            g_free(f.data);
            return FALSE;
        }
        s->gram_targets[i] = g_renew(double, s->gram_targets[i], (gsize)f.c *f.c);
        vknn_gram(&f, 0, s->gram_targets[i]);
        s->gram_energy[i] = 0;
        for (int k = 0; k < f.c * f.c; k++)
            s->gram_energy[i] += s->gram_targets[i][k] * s->gram_targets[i][k];
        g_free(f.data);
    }
    return TRUE;
}

static gboolean check_targets(const VknnSynthesizer *s, int w, int h, GError **err)
{
    if (s->content_layer >= 0 && !s->content_target)
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "the content target is not set");
    else if (s->content_layer >= 0 && (w != s->content_w || h != s->content_h))
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "the image is %dx%d, its content target %dx%d: they must be the same size", w,
                    h, s->content_w, s->content_h);
    else if (s->n_style > 0 && !s->gram_targets[0])
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "the style target is not set");
    else
        return TRUE;
    return FALSE;
}

/* The feature and Gram terms at layer i of the last run, seed_i = their
 * gradient at the layer. Relative losses: each divided by its target's
 * energy (a target of zero energy counts as 1). */
static gboolean layer_terms(VknnSynthesizer *s, int i, float **seed, VknnSynthLosses *l,
                            GError **err)
{
    VknnFeatures f = {0};
    if (!vknn_features_read(s->net, s->layers[i], &f, err)) {
        g_free(f.data);
        return FALSE;
    }
    const gsize n = (gsize)f.c * f.hw;
    *seed = g_new0(float, n);
    if (i == s->content_layer) {
        const double w = s->params.content_weight * n / MAX(s->content_energy, 1e-30);
        l->content += vknn_content_loss(&f, s->content_target, (float)w, *seed);
    }
    for (int k = 0; k < s->n_style; k++)
        if (s->style_layer[k] == i) {
            const double w =
                s->params.style_weight / s->n_style * f.c * f.c / MAX(s->gram_energy[k], 1e-30);
            l->style += vknn_style_loss(&f, s->gram_targets[k], (float)w, *seed);
        }
    g_free(f.data);
    return TRUE;
}

/* The regularisers on the pixels, gradients added to grad. */
static void pixel_terms(const VknnSynthesizer *s, const float *x, int w, int h, VknnSynthLosses *l,
                        float *grad)
{
    const gsize hw = (gsize)w * h;
    if (s->params.tv_weight > 0)
        l->tv = vknn_tv_loss(x, 3, h, w, s->params.tv_weight / (float)hw, grad);
    if (s->params.alpha_weight > 0) {
        g_autofree float *centred = g_new(float, 3 * hw);
        for (int c = 0; c < 3; c++)
            for (gsize i = 0; i < hw; i++)
                centred[c * hw + i] = x[c * hw + i] - natural_mean[c];
        const double w = s->params.alpha_weight / (hw * pow(PIXEL_NORM, s->params.alpha));
        l->alpha = vknn_alpha_norm_loss(centred, 3, hw, s->params.alpha, (float)w, grad);
    }
}

/* d loss / d pixels into grad from the seeds (1 / std: the normalisation). */
static gboolean input_gradient(VknnSynthesizer *s, float **seeds, float *grad, GError **err)
{
    if (!vknn_net_backward_multi(s->net, (const float *const *)seeds, err) ||
        !vknn_net_read_grad(s->net, s->input_name, grad, err))
        return FALSE;
    const gsize hw = (gsize)s->width * s->height;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            grad[c * hw + i] /= s->std[c];
    return TRUE;
}

gboolean vknn_synthesizer_loss(VknnSynthesizer *s, const float *image, int width, int height,
                               VknnSynthLosses *losses, float *grad, GError **err)
{
    VknnSynthLosses l = {0};
    if (!check_targets(s, width, height, err) || !forward(s, image, width, height, err))
        return FALSE;
    float **seeds = g_new0(float *, s->n_layers);
    gboolean ok = TRUE;
    for (int i = 0; ok && i < s->n_layers; i++)
        ok = layer_terms(s, i, &seeds[i], &l, err);
    g_autofree float *scratch = grad ? NULL : g_new0(float, 3 * (gsize)width * height);
    if (ok && grad)
        ok = input_gradient(s, seeds, grad, err);
    for (int i = 0; i < s->n_layers; i++)
        g_free(seeds[i]);
    g_free(seeds);
    if (!ok)
        return FALSE;
    pixel_terms(s, image, width, height, &l, grad ? grad : scratch);
    l.total = l.content + l.style + l.tv + l.alpha;
    *losses = l;
    return TRUE;
}

static void clip_pixels(float *x, gsize n)
{
    for (gsize i = 0; i < n; i++)
        x[i] = CLAMP(x[i], 0.0f, 1.0f);
}

gboolean vknn_synthesizer_optimize(VknnSynthesizer *s, int iterations, float lr, int width,
                                   int height, float *image, VknnSynthProgressFunc progress,
                                   void *user, VknnSynthResult *result, GError **err)
{
    memset(result, 0, sizeof *result);
    if (iterations < 0 || !(lr > 0) || !isfinite(lr)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "iterations must be >= 0 and the learning rate positive (%d, %g)", iterations,
                    lr);
        return FALSE;
    }
    const gsize n = 3 * (gsize)width * height;
    g_autofree float *g = g_new(float, n), *m = g_new0(float, n), *v = g_new0(float, n);
    VknnSynthProgress p = {.iterations = iterations};
    const gint64 t0 = g_get_monotonic_time();
    for (int it = 0; it < iterations; it++) {
        if (!vknn_synthesizer_loss(s, image, width, height, &p.losses, g, err))
            return FALSE;
        if (it == 0)
            result->start = p.losses;
        p.iteration = it;
        p.seconds = (g_get_monotonic_time() - t0) / 1e6;
        if (progress)
            progress(&p, user);
        vknn_adam_update(image, g, m, v, (int64_t)n, lr, it + 1);
        clip_pixels(image, n);
    }
    result->seconds = (g_get_monotonic_time() - t0) / 1e6;
    if (!vknn_synthesizer_loss(s, image, width, height, &result->final, NULL, err))
        return FALSE;
    if (iterations == 0)
        result->start = result->final;
    p.iteration = iterations;
    p.losses = result->final;
    p.seconds = result->seconds;
    p.done = TRUE;
    if (progress)
        progress(&p, user);
    return TRUE;
}

void vknn_synth_noise_image(float *image, int width, int height, float noise, guint32 seed)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    const gsize hw = (gsize)width * height;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            image[c * hw + i] = CLAMP(natural_mean[c] + noise * vknn_gaussian(r), 0.0f, 1.0f);
}
