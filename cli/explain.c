/* vknn explain: saliency maps of a classifier on a photo, drawn into an image.
 *
 * The photo is preprocessed like torchvision's evaluation (shorter side
 * scaled, centre crop, mean/std), explained on the device, and the map
 * blended onto the crop by the same VknnOverlay the GStreamer elements use.
 * --method all draws one panel per method side by side: the photo, vanilla
 * gradient, guided backprop (as the lecture shows it: the gradient as an
 * RGB image), Grad-CAM, SmoothGrad and occlusion. */
#include "explain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The crop the network sees, as RGBA bytes at the input size. */
static guint8 *crop_rgba(const VknnFrameInputParams *fp, const float *input)
{
    const int n = fp->width * fp->height;
    guint8 *rgba = g_new(guint8, 4 * n);
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            const float v = (input[c * n + i] * fp->std[c] + fp->mean[c]) * 255.0f;
            rgba[4 * i + c] = (guint8)CLAMP(lrintf(v), 0, 255);
        }
        rgba[4 * i + 3] = 255;
    }
    return rgba;
}

/* Scales a map to 0..1 by its 99th percentile, so sparse gradient maps are
 * not dominated by a few pixels (negative values, e.g. occlusion gains,
 * become 0). */
static float *normalised(const float *map, int n)
{
    const float top = vknn_map_quantile(map, n, 0.99f);
    float *out = g_new(float, n);
    for (int i = 0; i < n; i++)
        out[i] = top > 0 ? CLAMP(map[i] / top, 0.0f, 1.0f) : 0.0f;
    return out;
}

/* Writes RGBA bytes as the RGB planes of panel `index` of a strip. */
static void put_panel(float *strip, int panels, int index, const guint8 *rgba, int w, int h)
{
    const int sw = w * panels;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                strip[(c * h + y) * sw + index * w + x] = rgba[4 * (y * w + x) + c];
}

/* Guided backprop as an image: the gradient standardised and mapped around
 * mid-grey (0.5 + 0.15 * g / std), as the CS231n figures show it. */
static void gradient_image(const float *g, int n, guint8 *rgba)
{
    double sum = 0, sq = 0;
    for (int i = 0; i < 3 * n; i++) {
        sum += g[i];
        sq += (double)g[i] * g[i];
    }
    const double mean = sum / (3 * n), sd = sqrt(MAX(sq / (3 * n) - mean * mean, 1e-20));
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
            const double v = 0.5 + 0.15 * (g[c * n + i] - mean) / sd;
            rgba[4 * i + c] = (guint8)CLAMP(lrint(v * 255), 0, 255);
        }
        rgba[4 * i + 3] = 255;
    }
}

static void print_top5(const VknnExplanation *e, char **labels, int n_labels)
{
    VknnClassScore top[5];
    const int k = MIN(5, e->n_classes);
    vknn_top_k(e->logits, e->n_classes, k, top);
    for (int i = 0; i < k; i++)
        printf("  %5.1f%%  %4d  %s\n", 100 * top[i].prob, top[i].id,
               top[i].id < n_labels ? labels[top[i].id] : "");
}

static gboolean draw_map(VknnOverlay *ov, const CliExplainOptions *o, const VknnExplanation *e,
                         const guint8 *crop, int w, int h, guint8 *out, GError **err)
{
    g_autofree float *map = normalised(e->map, e->map_w * e->map_h);
    VknnOverlayParams op = VKNN_OVERLAY_PARAMS_DEFAULT;
    op.colormap = o->colormap;
    op.alpha = o->alpha;
    return vknn_overlay_set_map(ov, map, e->map_w, e->map_h, NULL, err) &&
           vknn_overlay_process_bytes(ov, &op, VKNN_PIXEL_RGBA, w, h, crop, 4 * w, out, 4 * w, err);
}

gboolean cli_explain_fits(VknnContext *ctx, VknnModel *model, const VknnFrameInputParams *fp,
                          const CliExplainOptions *o, GError **err)
{
    VknnExplainParams p = o->params;
    /* --method all starts with the gradient, whose plan holds every
     * activation and its gradient. */
    if (o->all)
        p.method = VKNN_EXPLAIN_GRADIENT;
    g_autoptr(VknnExplainer) ex = vknn_explainer_new(ctx, model, &p, err);
    return ex && vknn_explainer_prepare(ex, fp->width, fp->height, err);
}

gboolean cli_explain(VknnContext *ctx, VknnModel *model, const float *input,
                     const VknnFrameInputParams *fp, const CliExplainOptions *o,
                     const char *out_path, GError **err)
{
    const VknnExplainMethod all[] = {VKNN_EXPLAIN_GRADIENT, VKNN_EXPLAIN_GUIDED,
                                     VKNN_EXPLAIN_GRADCAM, VKNN_EXPLAIN_SMOOTHGRAD,
                                     VKNN_EXPLAIN_OCCLUSION};
    const int n_methods = o->all ? (int)G_N_ELEMENTS(all) : 1;
    const int w = fp->width, h = fp->height, panels = n_methods + (o->all ? 1 : 0);
    g_autofree guint8 *crop = crop_rgba(fp, input);
    g_autofree guint8 *panel = g_new(guint8, 4 * w * h);
    g_autofree float *strip = g_new0(float, 3 * w * h * panels);
    g_autoptr(VknnOverlay) ov = vknn_overlay_new(ctx, err);
    if (!ov)
        return FALSE;
    if (o->all)
        put_panel(strip, panels, 0, crop, w, h);
    for (int i = 0; i < n_methods; i++) {
        VknnExplainParams p = o->params;
        p.method = o->all ? all[i] : o->params.method;
        VknnExplanation e = {0};
        g_autoptr(VknnExplainer) ex = vknn_explainer_new(ctx, model, &p, err);
        const gint64 t0 = g_get_monotonic_time();
        if (!ex || !vknn_explainer_run(ex, input, w, h, &e, err))
            return FALSE;
        const double ms = (g_get_monotonic_time() - t0) / 1e3;
        const gboolean named = e.class_id < o->n_labels;
        printf("%s: class %d%s%s (p = %.3f), map %dx%d%s%s, %.0f ms\n",
               vknn_explain_method_to_string(p.method), e.class_id, named ? " " : "",
               named ? o->labels[e.class_id] : "", e.score, e.map_w, e.map_h,
               p.method == VKNN_EXPLAIN_GRADCAM ? " at " : "",
               p.method == VKNN_EXPLAIN_GRADCAM ? vknn_explainer_layer(ex) : "", ms);
        if (i == 0)
            print_top5(&e, o->labels, o->n_labels);
        gboolean ok = TRUE;
        if (p.method == VKNN_EXPLAIN_GUIDED && o->all)
            gradient_image(e.input_grad, w * h, panel);
        else
            ok = draw_map(ov, o, &e, crop, w, h, panel, err);
        if (ok && o->save_map) {
            g_autofree char *path =
                o->all
                    ? g_strdup_printf("%s.%s", o->save_map, vknn_explain_method_to_string(p.method))
                    : g_strdup(o->save_map);
            ok = g_file_set_contents(path, (const char *)e.map, sizeof(float) * e.map_w * e.map_h,
                                     err);
        }
        vknn_explanation_clear(&e);
        if (!ok)
            return FALSE;
        put_panel(strip, panels, i + (o->all ? 1 : 0), panel, w, h);
    }
    return cli_image_save(out_path, strip, w * panels, h, err);
}
