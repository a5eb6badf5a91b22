/* Visualising CNNs (vknn/visualize.h): filter grids on the host, and images
 * optimised through a network whose forward and backward passes run on the
 * device. The host holds the image (3 x H x W floats) and updates it from
 * the input gradient each step: jitter, decay, blur and clipping are a few
 * operations a pixel, small next to the network's passes. */
#include "apps/classifier.h"
#include "apps/frame_input.h"
#include "apps/optim.h"
#include "apps/temporal.h"
#include "exec/exec.h"
#include "graph/schema.h"

#include <vknn/explain.h> /* vknn_top_k */
#include <vknn/net.h>
#include <vknn/visualize.h>

#include <math.h>
#include <string.h>

/* ---- filters ---------------------------------------------------------------- */

void vknn_filter_grid_clear(VknnFilterGrid *g)
{
    g_free(g->rgb);
    g_free(g->layer);
    memset(g, 0, sizeof *g);
}

/* Whether node n is named `name`, or its weight or output is. */
static gboolean conv_is_named(const VknnModel *m, const VknnNode *n, const char *name)
{
    return (n->name && g_str_equal(n->name, name)) ||
           g_str_equal(vknn_node_input(m, n, 1)->name, name) ||
           g_str_equal(vknn_node_output(m, n, 0)->name, name);
}

/* A Conv whose kernels can be drawn in colour: on 3 channels, kernel larger
 * than 1x1 (the VGG's 1x1 colour transform is not the first "layer"). */
static gboolean is_rgb_conv(const VknnModel *m, const VknnNode *n)
{
    const VknnValue *w = vknn_node_input(m, n, 1);
    return vknn_node_op(n) == VKNN_OP_Conv && w && w->data && w->shape.rank == 4 &&
           w->shape.dims[1] == 3 && w->shape.dims[2] * w->shape.dims[3] > 1;
}

static const VknnNode *find_conv(const VknnModel *m, const char *layer, GError **err)
{
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        if (!layer && is_rgb_conv(m, n))
            return n;
        if (layer && n->n_inputs > 1 && n->n_outputs > 0 && vknn_node_input(m, n, 1) &&
            conv_is_named(m, n, layer)) {
            if (vknn_node_op(n) != VKNN_OP_Conv) {
                g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "layer '%s' is a %s, not a Conv",
                            layer, n->op_type);
                return NULL;
            }
            return n;
        }
    }
    if (layer)
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND,
                    "layer '%s' not found: name a Conv node, its weight or its output", layer);
    else
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "no convolution on 3 input channels with a kernel over 1x1: name one");
    return NULL;
}

/* The 1x1 Conv 3->3 (weights only; its bias does not change the kernels'
 * look) that feeds n through Pads only, or NULL. */
static const VknnValue *colour_transform(const VknnModel *m, const VknnNode *n)
{
    int v = n->inputs[0];
    while (v >= 0 && vknn_model_value(m, v)->producer >= 0) {
        const VknnNode *p = vknn_model_node(m, vknn_model_value(m, v)->producer);
        if (vknn_node_op(p) == VKNN_OP_Pad) {
            v = p->inputs[0];
            continue;
        }
        const VknnValue *w = vknn_node_input(m, p, 1);
        const gboolean ok = vknn_node_op(p) == VKNN_OP_Conv && w && w->data && w->shape.rank == 4 &&
                            w->shape.dims[0] == 3 && w->shape.dims[1] == 3 &&
                            w->shape.dims[2] * w->shape.dims[3] == 1 &&
                            vknn_node_attr_int(p, "group", 1) == 1;
        return ok ? w : NULL;
    }
    return NULL;
}

/* The kernels in input colours: W'[o, i] = sum_j W[o, j] A[j, i] when a
 * colour transform A feeds the layer, else a copy of W. */
static float *rgb_kernels(const VknnModel *m, const VknnNode *n, gboolean *folded)
{
    const VknnValue *w = vknn_node_input(m, n, 1), *a = colour_transform(m, n);
    const int oc = (int)w->shape.dims[0], k = (int)(w->shape.dims[2] * w->shape.dims[3]);
    *folded = a != NULL;
    if (!a)
        return g_memdup2(w->data, sizeof(float) * oc * 3 * k);
    float *out = g_new0(float, (gsize)oc * 3 * k);
    for (int o = 0; o < oc; o++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int t = 0; t < k; t++)
                    out[(o * 3 + i) * k + t] += w->data[(o * 3 + j) * k + t] * a->data[j * 3 + i];
    return out;
}

static void range_of(const float *x, int n, float *lo, float *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        *lo = MIN(*lo, x[i]);
        *hi = MAX(*hi, x[i]);
    }
}

/* Draws filter f's normalised weights into its tile. */
static void draw_tile(VknnFilterGrid *g, const float *w, int f, float lo, float hi, int zoom,
                      int gap)
{
    const int k = g->kh * g->kw, x0 = gap + f % g->cols * (g->kw * zoom + gap);
    const int y0 = gap + f / g->cols * (g->kh * zoom + gap);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < g->kh * zoom; y++)
            for (int x = 0; x < g->kw * zoom; x++) {
                const float v = w[(f * 3 + c) * k + y / zoom * g->kw + x / zoom];
                g->rgb[((gsize)c * g->height + y0 + y) * g->width + x0 + x] =
                    hi > lo ? (v - lo) / (hi - lo) : 0.5f;
            }
}

gboolean vknn_filter_grid(const VknnModel *model, const VknnFilterGridParams *params,
                          VknnFilterGrid *out, GError **err)
{
    memset(out, 0, sizeof *out);
    const VknnNode *n = find_conv(model, params->layer, err);
    if (!n)
        return FALSE;
    const VknnValue *w = vknn_node_input(model, n, 1);
    const char *name = n->name && *n->name ? n->name : vknn_node_output(model, n, 0)->name;
    if (!w->data || w->shape.rank != 4 || w->shape.dims[1] != 3 ||
        vknn_node_attr_int(n, "group", 1) != 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "layer '%s' is not an ungrouped convolution on 3 (RGB) input channels", name);
        return FALSE;
    }
    const int zoom = MAX(params->zoom, 1), gap = MAX(params->gap, 0);
    out->filters = (int)w->shape.dims[0];
    out->kh = (int)w->shape.dims[2];
    out->kw = (int)w->shape.dims[3];
    out->cols = (int)ceil(sqrt(out->filters));
    out->rows = (out->filters + out->cols - 1) / out->cols;
    out->width = out->cols * (out->kw * zoom + gap) + gap;
    out->height = out->rows * (out->kh * zoom + gap) + gap;
    out->layer = g_strdup(name);
    g_autofree float *k = rgb_kernels(model, n, &out->folded);
    const int per = 3 * out->kh * out->kw;
    float lo, hi;
    range_of(k, out->filters * per, &lo, &hi);
    out->rgb = g_new(float, (gsize)3 * out->width * out->height);
    for (gsize i = 0; i < (gsize)3 * out->width * out->height; i++)
        out->rgb[i] = 1.0f;
    for (int f = 0; f < out->filters; f++) {
        if (!params->global)
            range_of(k + (gsize)f * per, per, &lo, &hi);
        draw_tile(out, k, f, lo, hi, zoom, gap);
    }
    return TRUE;
}

/* ---- image helpers -------------------------------------------------------------- */

/* One pass of a 1-D kernel along rows (dx = 1) or columns of a plane. */
static void blur_pass(const float *in, float *out, int w, int h, const float *k, int r,
                      gboolean rows)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float s = 0;
            for (int t = -r; t <= r; t++) {
                const int xx = rows ? CLAMP(x + t, 0, w - 1) : x;
                const int yy = rows ? y : CLAMP(y + t, 0, h - 1);
                s += k[t + r] * in[yy * w + xx];
            }
            out[y * w + x] = s;
        }
}

void vknn_image_blur(float *image, int width, int height, float sigma)
{
    if (!(sigma > 0))
        return;
    const int r = MAX(1, (int)ceilf(3 * sigma));
    g_autofree float *k = g_new(float, 2 * r + 1);
    float sum = 0;
    for (int t = -r; t <= r; t++)
        sum += k[t + r] = expf(-0.5f * t * t / (sigma * sigma));
    for (int t = 0; t <= 2 * r; t++)
        k[t] /= sum;
    g_autofree float *tmp = g_new(float, (gsize)width *height);
    for (int c = 0; c < 3; c++) {
        float *p = image + (gsize)c * width * height;
        blur_pass(p, tmp, width, height, k, r, TRUE);
        blur_pass(tmp, p, width, height, k, r, FALSE);
    }
}

void vknn_image_resize(const float *in, int w, int h, float *out, int out_w, int out_h)
{
    const float sx = (float)w / out_w, sy = (float)h / out_h;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < out_h; y++) {
            const float fy = CLAMP((y + 0.5f) * sy - 0.5f, 0.0f, (float)(h - 1));
            const int y0 = (int)fy, y1 = MIN(y0 + 1, h - 1);
            for (int x = 0; x < out_w; x++) {
                const float fx = CLAMP((x + 0.5f) * sx - 0.5f, 0.0f, (float)(w - 1));
                const int x0 = (int)fx, x1 = MIN(x0 + 1, w - 1);
                const float *p = in + (gsize)c * w * h, ax = fx - x0, ay = fy - y0;
                const float top = p[y0 * w + x0] * (1 - ax) + p[y0 * w + x1] * ax;
                const float bot = p[y1 * w + x0] * (1 - ax) + p[y1 * w + x1] * ax;
                out[((gsize)c * out_h + y) * out_w + x] = top * (1 - ay) + bot * ay;
            }
        }
}

/* dst = src rolled by (dx, dy) with wrap-around, as np.roll: the jitter of
 * google/deepdream and Yosinski et al., undone by rolling back. */
static void roll(const float *src, float *dst, int w, int h, int dx, int dy)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++) {
            const int yy = ((y + dy) % h + h) % h;
            for (int x = 0; x < w; x++)
                dst[((gsize)c * h + yy) * w + ((x + dx) % w + w) % w] =
                    src[((gsize)c * h + y) * w + x];
        }
}

/* ---- the visualizer --------------------------------------------------------------- */

struct VknnVisualizer {
    VknnContext *ctx;
    VknnModel *model;
    VknnNet *net;
    float mean[3], std[3];
    char *layer; /* DeepDream's layer, or NULL */
    const char *input_name, *output_name;
    int classes;
    int width, height; /* prepared size, 0 before */
    float *buf, *grad; /* model input and its gradient at the prepared size */
};

static gboolean check_classifier(VknnModel *m, GError **err)
{
    VknnShape shape = vknn_model_default_input_shape(m, 0, 224, 224);
    if (!vknn_model_infer_shapes(m, &shape, err))
        return FALSE;
    const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
    if (out->shape.rank == 4 && out->shape.dims[2] * out->shape.dims[3] > 1) {
        char s[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "output '%s' is %s, not class scores: not a classifier (DeepDream takes any "
                    "network, with a layer)",
                    out->name, vknn_shape_str(&out->shape, s, sizeof s));
        return FALSE;
    }
    return TRUE;
}

/* Asks the executor for d(score or layer)/d input. */
static gboolean configure(VknnVisualizer *vis, GError **err)
{
    if (!vknn_net_request_grad(vis->net, vis->input_name, err))
        return FALSE;
    if (!vis->layer)
        return TRUE;
    if (vknn_model_find_value(vis->model, vis->layer) < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND,
                    "layer '%s' not found in the model (vknn info lists its tensors)", vis->layer);
        return FALSE;
    }
    return vknn_net_keep(vis->net, vis->layer, err) &&
           vknn_net_set_grad_output(vis->net, vis->layer, err);
}

VknnVisualizer *vknn_visualizer_new(VknnContext *ctx, VknnModel *model,
                                    const VknnFrameInputParams *input, const char *layer,
                                    GError **err)
{
    if (!vknn_check_image_input(model, err) || (!layer && !check_classifier(model, err)))
        return NULL;
    g_autoptr(VknnVisualizer) vis = g_new0(VknnVisualizer, 1);
    vis->ctx = ctx;
    vis->model = model;
    vis->layer = g_strdup(layer);
    memcpy(vis->mean, input->mean, sizeof vis->mean);
    memcpy(vis->std, input->std, sizeof vis->std);
    vis->input_name = vknn_model_value(model, g_array_index(model->inputs, int, 0))->name;
    vis->output_name = vknn_model_value(model, g_array_index(model->outputs, int, 0))->name;
    if (!layer)
        vis->classes = (int)vknn_shape_numel(
            &vknn_model_value(model, g_array_index(model->outputs, int, 0))->shape);
    vis->net = vknn_net_new(ctx, model, err);
    if (!vis->net || !configure(vis, err))
        return NULL;
    return g_steal_pointer(&vis);
}

void vknn_visualizer_free(VknnVisualizer *vis)
{
    if (!vis)
        return;
    vknn_net_free(vis->net);
    g_free(vis->layer);
    g_free(vis->buf);
    g_free(vis->grad);
    g_free(vis);
}

int vknn_visualizer_classes(const VknnVisualizer *vis)
{
    return vis->classes;
}

static gboolean prepare(VknnVisualizer *vis, int w, int h, GError **err)
{
    if (w < 1 || h < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "empty image (%dx%d)", w, h);
        return FALSE;
    }
    const VknnShape s = {4, {1, 3, h, w}};
    if (!vknn_net_prepare(vis->net, &s, err))
        return FALSE;
    if (vis->width != w || vis->height != h) {
        vis->buf = g_renew(float, vis->buf, 3 * (gsize)w * h);
        vis->grad = g_renew(float, vis->grad, 3 * (gsize)w * h);
        vis->width = w;
        vis->height = h;
    }
    return TRUE;
}

/* Runs the network on pixels (at the prepared size), normalised on the way. */
static gboolean forward(VknnVisualizer *vis, const float *pixels, GError **err)
{
    const gsize hw = (gsize)vis->width * vis->height;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            vis->buf[c * hw + i] = (pixels[c * hw + i] - vis->mean[c]) / vis->std[c];
    const float *inputs[] = {vis->buf};
    return vknn_net_run(vis->net, inputs, err);
}

/* Backward from seed; vis->grad = d objective / d pixels (the chain rule
 * through the normalisation: a factor 1 / std). */
static gboolean backward(VknnVisualizer *vis, const float *seed, GError **err)
{
    if (!vknn_net_backward(vis->net, seed, err) ||
        !vknn_net_read_grad(vis->net, vis->input_name, vis->grad, err))
        return FALSE;
    const gsize hw = (gsize)vis->width * vis->height;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            vis->grad[c * hw + i] /= vis->std[c];
    return TRUE;
}

static gboolean read_logits(VknnVisualizer *vis, float *logits, GError **err)
{
    return vknn_net_read(vis->net, vis->output_name, logits, err);
}

gboolean vknn_visualizer_classify(VknnVisualizer *vis, const float *image, int width, int height,
                                  float *logits, GError **err)
{
    return prepare(vis, width, height, err) && forward(vis, image, err) &&
           read_logits(vis, logits, err);
}

static gboolean check_class(const VknnVisualizer *vis, int c, GError **err)
{
    if (vis->layer) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "this visualizer dreams at layer '%s': class scores need one without a layer",
                    vis->layer);
        return FALSE;
    }
    if (c >= 0 && c < vis->classes)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND, "class %d: the model has classes 0..%d", c,
                vis->classes - 1);
    return FALSE;
}

static int top1(const float *logits, int n)
{
    VknnClassScore s;
    vknn_top_k(logits, n, 1, &s);
    return s.id;
}

static void report(VknnVisProgressFunc progress, void *user, VknnVisProgress *p,
                   const float *logits, int n, int c)
{
    if (logits) {
        p->score = logits[c];
        p->prob = vknn_softmax_prob(logits, n, c);
        p->top1 = top1(logits, n);
    }
    if (progress)
        progress(p, user);
}

/* ---- class visualisation --------------------------------------------------------- */

/* d logit[c] / d pixels of the image rolled by (dx, dy), rolled back into
 * grad; logits of the rolled image into logits. */
static gboolean class_gradient(VknnVisualizer *vis, const float *image, int c, int dx, int dy,
                               float *rolled, float *grad, float *logits, GError **err)
{
    const int w = vis->width, h = vis->height;
    g_autofree float *seed = g_new0(float, vis->classes);
    seed[c] = 1.0f;
    roll(image, rolled, w, h, dx, dy);
    if (!forward(vis, rolled, err) || !read_logits(vis, logits, err) || !backward(vis, seed, err))
        return FALSE;
    roll(vis->grad, grad, w, h, -dx, -dy);
    return TRUE;
}

/* x += step * g / rms(g): ascent along the gradient's direction. */
static void sgd_ascent(float *x, const float *g, gsize n, float step)
{
    double sq = 0;
    for (gsize i = 0; i < n; i++)
        sq += (double)g[i] * g[i];
    const double rms = sqrt(sq / n);
    if (rms > 0)
        for (gsize i = 0; i < n; i++)
            x[i] += (float)(step * g[i] / rms);
}

/* Yosinski et al.'s regularisers after a step: decay towards the mean
 * colour, clipping to the pixel range, and every blur_every steps a blur. */
static void regularise(const VknnVisualizer *vis, const VknnClassVisParams *p, float *x, int it)
{
    const gsize hw = (gsize)vis->width * vis->height;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++) {
            const float v = vis->mean[c] + (1 - p->l2_decay) * (x[c * hw + i] - vis->mean[c]);
            x[c * hw + i] = CLAMP(v, 0.0f, 1.0f);
        }
    if (p->blur_every > 0 && (it + 1) % p->blur_every == 0)
        vknn_image_blur(x, vis->width, vis->height, p->blur_sigma);
}

static void class_start(const VknnVisualizer *vis, const VknnClassVisParams *p, float *x, GRand *r)
{
    const gsize hw = (gsize)vis->width * vis->height;
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            x[c * hw + i] = CLAMP(vis->mean[c] + p->init_noise * vknn_gaussian(r), 0.0f, 1.0f);
}

/* One step: the gradient of the class score minus the TV term, then the
 * optimiser. m, v: Adam's moments. */
static gboolean class_step(VknnVisualizer *vis, const VknnClassVisParams *p, float *x, int it,
                           GRand *r, float *work, float *m, float *v, float *logits, GError **err)
{
    const gsize n = 3 * (gsize)vis->width * vis->height;
    float *rolled = work, *g = work + n;
    const int dx = p->jitter > 0 ? g_rand_int_range(r, -p->jitter, p->jitter + 1) : 0;
    const int dy = p->jitter > 0 ? g_rand_int_range(r, -p->jitter, p->jitter + 1) : 0;
    if (!class_gradient(vis, x, p->target_class, dx, dy, rolled, g, logits, err))
        return FALSE;
    if (p->tv_weight > 0) {
        /* TV is a loss to lower: its gradient goes against the ascent. */
        memset(rolled, 0, sizeof(float) * n);
        vknn_tv_loss(x, 3, vis->height, vis->width, p->tv_weight, rolled);
        for (gsize i = 0; i < n; i++)
            g[i] -= rolled[i];
    }
    if (p->optimizer == VKNN_VIS_ADAM) {
        for (gsize i = 0; i < n; i++)
            g[i] = -g[i]; /* Adam lowers a loss: -objective */
        vknn_adam_update(x, g, m, v, (int64_t)n, p->step, it + 1);
    } else {
        sgd_ascent(x, g, n, p->step);
    }
    regularise(vis, p, x, it);
    return TRUE;
}

gboolean vknn_class_visualize(VknnVisualizer *vis, const VknnClassVisParams *params, int width,
                              int height, float *image, VknnVisProgressFunc progress, void *user,
                              VknnVisResult *result, GError **err)
{
    memset(result, 0, sizeof *result);
    if (!check_class(vis, params->target_class, err) || !prepare(vis, width, height, err))
        return FALSE;
    const gsize n = 3 * (gsize)width * height;
    g_autoptr(GRand) r = g_rand_new_with_seed(params->seed);
    g_autofree float *work = g_new(float, 2 * n), *m = g_new0(float, n), *v = g_new0(float, n);
    g_autofree float *logits = g_new(float, vis->classes);
    const int c = params->target_class;
    class_start(vis, params, image, r);
    if (!forward(vis, image, err) || !read_logits(vis, logits, err))
        return FALSE;
    result->start_score = logits[c];
    result->start_prob = vknn_softmax_prob(logits, vis->classes, c);
    VknnVisProgress p = {.method = "class", .iterations = params->iterations, .octaves = 1};
    const gint64 t0 = g_get_monotonic_time();
    for (int it = 0; it < params->iterations; it++) {
        if (!class_step(vis, params, image, it, r, work, m, v, logits, err))
            return FALSE;
        p.iteration = it;
        report(progress, user, &p, logits, vis->classes, c);
    }
    result->seconds = (g_get_monotonic_time() - t0) / 1e6;
    if (!forward(vis, image, err) || !read_logits(vis, logits, err))
        return FALSE;
    result->final_score = logits[c];
    result->final_prob = vknn_softmax_prob(logits, vis->classes, c);
    result->final_top1 = top1(logits, vis->classes);
    p.iteration = params->iterations;
    p.done = TRUE;
    report(progress, user, &p, logits, vis->classes, c);
    return TRUE;
}

/* ---- adversarial examples ----------------------------------------------------------- */

/* Cross-entropy gradient of the logits for class c: softmax - onehot(c),
 * the softmax in one pass (n calls of vknn_softmax_prob would take n^2). */
static void ce_seed(const float *logits, int n, int c, float *seed)
{
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        max = MAX(max, logits[i]);
    for (int i = 0; i < n; i++)
        sum += exp(logits[i] - max);
    for (int i = 0; i < n; i++)
        seed[i] = (float)(exp(logits[i] - max) / sum) - (i == c);
}

/* adv moved by step * sign(dir * g), then clipped to the budget around
 * image and to 0..1. */
static void sign_step(const float *image, float *adv, const float *g, gsize n, float step,
                      float dir, float eps)
{
    for (gsize i = 0; i < n; i++) {
        const float s = (float)((dir * g[i] > 0) - (dir * g[i] < 0));
        const float v = CLAMP(adv[i] + step * s, image[i] - eps, image[i] + eps);
        adv[i] = CLAMP(v, 0.0f, 1.0f);
    }
}

/* Rounds to 8-bit levels where that stays within the budget. */
static void quantize(const float *image, float *adv, gsize n, float eps)
{
    for (gsize i = 0; i < n; i++) {
        const float q = roundf(adv[i] * 255.0f) / 255.0f;
        if (fabsf(q - image[i]) <= eps + 1e-6f)
            adv[i] = q;
    }
}

static gboolean attack_done(const VknnAdversarialParams *p, int clean, int now)
{
    return p->target_class >= 0 ? now == p->target_class : now != clean;
}

/* The attack's steps from adv == image; logits: the current image's. */
static gboolean attack_steps(VknnVisualizer *vis, const VknnAdversarialParams *p,
                             const float *image, float *adv, float *logits, int clean,
                             VknnVisProgressFunc progress, void *user, VknnAdversarialResult *r,
                             GError **err)
{
    const gsize n = 3 * (gsize)vis->width * vis->height;
    const gboolean targeted = p->target_class >= 0;
    const int label = targeted ? p->target_class : clean;
    /* Ascend the clean class's loss, or descend the target's. */
    const float dir = targeted ? -1.0f : 1.0f;
    const int steps = p->method == VKNN_ATTACK_FGSM ? 1 : MAX(p->iterations, 1);
    const float step = p->method == VKNN_ATTACK_FGSM ? p->epsilon : p->step;
    g_autofree float *seed = g_new(float, vis->classes);
    VknnVisProgress pr = {.method = "adversarial", .iterations = steps, .octaves = 1};
    for (int it = 0; it < steps; it++) {
        pr.iteration = it;
        report(progress, user, &pr, logits, vis->classes, label);
        if (p->method == VKNN_ATTACK_ITERATIVE && attack_done(p, clean, top1(logits, vis->classes)))
            break;
        ce_seed(logits, vis->classes, label, seed);
        if (!backward(vis, seed, err))
            return FALSE;
        sign_step(image, adv, vis->grad, n, step, dir, p->epsilon);
        if (p->quantize)
            quantize(image, adv, n, p->epsilon);
        r->iterations++;
        if (!forward(vis, adv, err) || !read_logits(vis, logits, err))
            return FALSE;
    }
    pr.iteration = r->iterations;
    pr.done = TRUE;
    report(progress, user, &pr, logits, vis->classes, label);
    return TRUE;
}

gboolean vknn_adversarial(VknnVisualizer *vis, const VknnAdversarialParams *params, int width,
                          int height, const float *image, float *adv, VknnVisProgressFunc progress,
                          void *user, VknnAdversarialResult *result, GError **err)
{
    memset(result, 0, sizeof *result);
    if (!(params->epsilon >= 0 && params->epsilon <= 1) ||
        !(params->step > 0 || params->method == VKNN_ATTACK_FGSM)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "epsilon %g must be in 0..1 and the step positive", params->epsilon);
        return FALSE;
    }
    if ((params->target_class >= 0 && !check_class(vis, params->target_class, err)) ||
        (params->target_class < 0 && !check_class(vis, 0, err)) ||
        !prepare(vis, width, height, err))
        return FALSE;
    const gsize n = 3 * (gsize)width * height;
    g_autofree float *logits = g_new(float, vis->classes);
    if (!forward(vis, image, err) || !read_logits(vis, logits, err))
        return FALSE;
    result->clean_class = top1(logits, vis->classes);
    result->clean_prob = vknn_softmax_prob(logits, vis->classes, result->clean_class);
    memcpy(adv, image, sizeof(float) * n);
    const gint64 t0 = g_get_monotonic_time();
    if (!attack_steps(vis, params, image, adv, logits, result->clean_class, progress, user, result,
                      err))
        return FALSE;
    result->seconds = (g_get_monotonic_time() - t0) / 1e6;
    result->adv_class = top1(logits, vis->classes);
    result->adv_prob = vknn_softmax_prob(logits, vis->classes, result->adv_class);
    if (params->target_class >= 0)
        result->target_prob = vknn_softmax_prob(logits, vis->classes, params->target_class);
    result->success = attack_done(params, result->clean_class, result->adv_class);
    for (gsize i = 0; i < n; i++)
        result->linf = MAX(result->linf, fabsf(adv[i] - image[i]));
    return TRUE;
}

/* ---- DeepDream ------------------------------------------------------------------------- */

/* The layer's mean squared activation, and the seed d(1/2 ||A||^2)/dA = A
 * (allocated at the layer's size). */
static gboolean layer_objective(VknnVisualizer *vis, float **seed, float *score, GError **err)
{
    const VknnShape *s = vknn_net_shape(vis->net, vis->layer);
    const int64_t n = vknn_shape_numel(s);
    *seed = g_renew(float, *seed, n);
    if (!vknn_net_read(vis->net, vis->layer, *seed, err))
        return FALSE;
    double sq = 0;
    for (int64_t i = 0; i < n; i++)
        sq += (double)(*seed)[i] * (*seed)[i];
    *score = (float)(sq / MAX(n, 1));
    return TRUE;
}

/* x += step * g / mean|g|, then clipped to the pixel range. */
static void mean_abs_ascent(float *x, const float *g, gsize n, float step)
{
    double s = 0;
    for (gsize i = 0; i < n; i++)
        s += fabsf(g[i]);
    const double mean = s / n;
    for (gsize i = 0; mean > 0 && i < n; i++)
        x[i] = CLAMP(x[i] + (float)(step * g[i] / mean), 0.0f, 1.0f);
}

/* Steps of one octave on x (w x h). */
static gboolean dream_octave(VknnVisualizer *vis, const VknnDreamParams *p, float *x, int w, int h,
                             GRand *r, VknnVisProgress *pr, VknnVisProgressFunc progress,
                             void *user, GError **err)
{
    if (!prepare(vis, w, h, err))
        return FALSE;
    const gsize n = 3 * (gsize)w * h;
    g_autofree float *rolled = g_new(float, n), *g = g_new(float, n), *seed = NULL;
    for (int it = 0; it < p->iterations; it++) {
        const int j = MIN(p->jitter, MIN(w, h) / 2);
        const int dx = j > 0 ? g_rand_int_range(r, -j, j + 1) : 0;
        const int dy = j > 0 ? g_rand_int_range(r, -j, j + 1) : 0;
        roll(x, rolled, w, h, dx, dy);
        if (!forward(vis, rolled, err) || !layer_objective(vis, &seed, &pr->score, err) ||
            !backward(vis, seed, err))
            return FALSE;
        roll(vis->grad, g, w, h, -dx, -dy);
        mean_abs_ascent(x, g, n, p->step);
        pr->iteration = it;
        report(progress, user, pr, NULL, 0, 0);
    }
    return TRUE;
}

static gboolean dream_score(VknnVisualizer *vis, const float *x, int w, int h, float *score,
                            GError **err)
{
    g_autofree float *seed = NULL;
    return prepare(vis, w, h, err) && forward(vis, x, err) &&
           layer_objective(vis, &seed, score, err);
}

/* Octave k's size: the image's divided by scale^(octaves - 1 - k). */
static void octave_size(const VknnDreamParams *p, int k, int w, int h, int *ow, int *oh)
{
    const double f = pow(p->octave_scale, p->octaves - 1 - k);
    *ow = MAX(1, (int)lround(w / f));
    *oh = MAX(1, (int)lround(h / f));
}

/* google/deepdream's octave loop on image (width x height, in place):
 * octave k runs on vis[k], the same visualizer at every octave (vknn_dream)
 * or one per octave, which then stays prepared at its size across video
 * frames (VknnDreamStream). r: the jitter. */
static gboolean dream_octaves(VknnVisualizer *const *vis, const VknnDreamParams *params, int width,
                              int height, float *image, GRand *r, VknnVisProgressFunc progress,
                              void *user, GError **err)
{
    const gsize n = 3 * (gsize)width * height;
    /* detail: what the dream added at the previous octave, at its size. */
    g_autofree float *detail = NULL, *base = g_new(float, n), *x = g_new(float, n);
    int dw = 0, dh = 0;
    VknnVisProgress pr = {
        .method = "dream", .iterations = params->iterations, .octaves = params->octaves};
    for (int k = 0; k < params->octaves; k++) {
        int w, h;
        octave_size(params, k, width, height, &w, &h);
        vknn_image_resize(image, width, height, base, w, h);
        if (detail)
            vknn_image_resize(detail, dw, dh, x, w, h);
        else
            memset(x, 0, sizeof(float) * 3 * w * h);
        for (gsize i = 0; i < 3 * (gsize)w * h; i++)
            x[i] = CLAMP(x[i] + base[i], 0.0f, 1.0f);
        pr.octave = k;
        if (!dream_octave(vis[k], params, x, w, h, r, &pr, progress, user, err))
            return FALSE;
        detail = g_renew(float, detail, 3 * (gsize)w * h);
        for (gsize i = 0; i < 3 * (gsize)w * h; i++)
            detail[i] = x[i] - base[i];
        dw = w;
        dh = h;
    }
    memcpy(image, x, sizeof(float) * n); /* the last octave is full size */
    return TRUE;
}

static gboolean check_dream_params(const VknnVisualizer *vis, const VknnDreamParams *params,
                                   GError **err)
{
    if (vis->layer && params->octaves >= 1 && params->octave_scale >= 1)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                vis->layer ? "octaves must be >= 1 and the octave scale >= 1"
                           : "DeepDream needs a layer");
    return FALSE;
}

gboolean vknn_dream(VknnVisualizer *vis, const VknnDreamParams *params, int width, int height,
                    float *image, VknnVisProgressFunc progress, void *user, VknnVisResult *result,
                    GError **err)
{
    memset(result, 0, sizeof *result);
    if (!check_dream_params(vis, params, err) ||
        !dream_score(vis, image, width, height, &result->start_score, err))
        return FALSE;
    g_autoptr(GRand) r = g_rand_new_with_seed(params->seed);
    g_autofree VknnVisualizer **per_octave = g_new(VknnVisualizer *, params->octaves);
    for (int k = 0; k < params->octaves; k++)
        per_octave[k] = vis;
    const gint64 t0 = g_get_monotonic_time();
    if (!dream_octaves(per_octave, params, width, height, image, r, progress, user, err))
        return FALSE;
    result->seconds = (g_get_monotonic_time() - t0) / 1e6;
    return dream_score(vis, image, width, height, &result->final_score, err);
}

/* ---- DeepDream on video ------------------------------------------------------------------ */

struct VknnDreamStream {
    VknnContext *ctx;
    VknnModel *model;
    VknnFrameInputParams input;
    char *layer;
    /* vis[k]: octave k's, in the order of vknn_dream's octaves, so the last
     * one runs at the frame's size; created as octaves are asked for. */
    GPtrArray *vis;
    /* The models of the smaller octaves' visualizers: private copies, as a
     * net reads its value shapes from its model, which a prepare at another
     * size would change under the other nets. */
    GPtrArray *copies;
    GRand *rand;
    float *prev; /* the previous dream, 3 x width x height, or NULL */
    int width, height;
    /* VKNN_DREAM_FEED_FLOW: the camera frame (RGB 0..255) on the device,
     * and the optical flow and warp of vkstyletransfer's temporal=flow. */
    VknnTemporal *temporal;
    VknnBuffer *camera_buffer;
    VknnTensor camera;
    /* The image path: the input image converted on the device into the
     * full-size net's input tensor; the output staged for the copy. */
    VknnFrameInput *fi;
    VknnFrameBuffer out_staging;
    guint8 *bytes; /* the dream as packed 8-bit pixels */
    double last_ms;
};

VknnDreamStream *vknn_dream_stream_new(VknnContext *ctx, VknnModel *model,
                                       const VknnFrameInputParams *input, const char *layer,
                                       GError **err)
{
    g_autoptr(VknnDreamStream) s = g_new0(VknnDreamStream, 1);
    s->ctx = ctx;
    s->model = model;
    s->input = *input;
    s->layer = g_strdup(layer);
    s->vis = g_ptr_array_new_with_free_func((GDestroyNotify)vknn_visualizer_free);
    s->copies = g_ptr_array_new_with_free_func((GDestroyNotify)vknn_model_free);
    s->rand = g_rand_new_with_seed(1);
    s->fi = vknn_frame_input_new(ctx);
    /* The first visualizer checks the model and the layer now, not at the
     * first frame. */
    VknnVisualizer *vis = vknn_visualizer_new(ctx, model, input, layer, err);
    if (!vis)
        return NULL;
    g_ptr_array_add(s->vis, vis);
    /* The full-size visualizer (always the last) reads Vulkan images back
     * through its input tensor. */
    if (!vknn_net_keep(vis->net, vis->input_name, err))
        return NULL;
    if (!layer) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "DeepDream needs a layer");
        return NULL;
    }
    return g_steal_pointer(&s);
}

void vknn_dream_stream_free(VknnDreamStream *s)
{
    if (!s)
        return;
    if (s->vis)
        g_ptr_array_unref(s->vis);
    if (s->copies)
        g_ptr_array_unref(s->copies); /* after the nets that use them */
    if (s->rand)
        g_rand_free(s->rand);
    vknn_frame_input_free(s->fi);
    vknn_frame_buffer_clear(s->ctx, &s->out_staging);
    vknn_temporal_free(s->temporal);
    vknn_tensor_release_view(s->ctx, &s->camera);
    vknn_buffer_free(s->ctx, &s->camera_buffer);
    g_free(s->prev);
    g_free(s->bytes);
    g_free(s->layer);
    g_free(s);
}

void vknn_dream_stream_reset(VknnDreamStream *s)
{
    g_clear_pointer(&s->prev, g_free);
    if (s->temporal)
        vknn_temporal_reset(s->temporal);
}

double vknn_dream_stream_last_frame_ms(const VknnDreamStream *s)
{
    return s->last_ms;
}

/* One visualizer per octave: a change of the octave count re-lays them out
 * (the full-size one stays last, so it keeps its plan). */
static gboolean stream_octaves(VknnDreamStream *s, int octaves, GError **err)
{
    while ((int)s->vis->len < octaves) {
        gsize len = 0;
        g_autofree guint8 *onnx = vknn_model_save_to_memory(s->model, &len, err);
        VknnModel *copy = onnx ? vknn_model_load_from_memory(onnx, len, err) : NULL;
        if (!copy)
            return FALSE;
        g_ptr_array_add(s->copies, copy);
        VknnVisualizer *vis = vknn_visualizer_new(s->ctx, copy, &s->input, s->layer, err);
        if (!vis)
            return FALSE;
        g_ptr_array_insert(s->vis, 0, vis);
    }
    return TRUE;
}

/* The start of the frame's dream: the camera frame, with the previous dream
 * blended in. */
static void stream_feed(VknnDreamStream *s, const VknnLiveDreamParams *p, float *image, gsize n)
{
    if (p->feed == VKNN_DREAM_FEED_NONE || !s->prev)
        return;
    const float f = CLAMP(p->feedback, 0.0f, 1.0f);
    for (gsize i = 0; i < n; i++)
        image[i] = (1 - f) * image[i] + f * s->prev[i];
}

/* The device state of the flow feed for w x h frames (a new size forgets
 * the history). */
static gboolean flow_prepare(VknnDreamStream *s, int w, int h, GError **err)
{
    if (!s->temporal)
        s->temporal = vknn_temporal_new(s->ctx);
    if (!vknn_temporal_prepare(s->temporal, w, h, w, h, err))
        return FALSE;
    if (s->camera_buffer && s->camera.w == w && s->camera.h == h)
        return TRUE;
    vknn_tensor_release_view(s->ctx, &s->camera);
    vknn_buffer_free(s->ctx, &s->camera_buffer);
    const VknnShape shape = {4, {1, 3, h, w}};
    s->camera = (VknnTensor){0};
    s->camera.bytes = vknn_tensor_set_shape(&s->camera, &shape);
    s->camera_buffer = vknn_buffer_new(s->ctx, s->camera.bytes, VKNN_MEM_DEVICE, err);
    s->camera.buffer = s->camera_buffer;
    return s->camera_buffer && vknn_tensor_make_view(s->ctx, &s->camera, err);
}

/* The flow feed: the previous dream warped along the optical flow from the
 * last camera frame to this one and blended in with weight `feedback` where
 * the flow is trusted (VknnTemporal: not at occlusions, motion boundaries or
 * cuts, where the camera frame shows alone). image: 0..1 in and out. */
static gboolean stream_flow_feed(VknnDreamStream *s, const VknnLiveDreamParams *p, int w, int h,
                                 float *image, GError **err)
{
    const gsize n = 3 * (gsize)w * h;
    if (!flow_prepare(s, w, h, err))
        return FALSE;
    g_autofree float *rgb = g_new(float, n), *packed = g_malloc(s->camera.bytes);
    for (gsize i = 0; i < n; i++)
        rgb[i] = image[i] * 255.0f;
    vknn_pack_c4(&s->camera, rgb, packed);
    if (!vknn_upload(s->ctx, s->camera_buffer, 0, packed, s->camera.bytes, err))
        return FALSE;
    VknnCmd *cmd = vknn_cmd_new(s->ctx, err);
    if (!cmd)
        return FALSE;
    /* The camera frame is both the flow's input and the output the warped
     * dream is blended into. */
    vknn_temporal_record(s->temporal, cmd, &s->camera, &s->camera);
    vknn_temporal_begin_frame(s->temporal, p->feedback);
    const gboolean ok = vknn_cmd_end(cmd, err) && vknn_cmd_submit_wait(cmd, err);
    vknn_cmd_free(&cmd);
    if (!ok || !vknn_temporal_read_stable(s->temporal, rgb, err)) {
        vknn_temporal_reset(s->temporal);
        return FALSE;
    }
    vknn_temporal_end_frame(s->temporal);
    for (gsize i = 0; i < n; i++)
        image[i] = CLAMP(rgb[i] / 255.0f, 0.0f, 1.0f);
    return TRUE;
}

/* After the dream: it is what the next frame warps. */
static gboolean flow_keep_dream(VknnDreamStream *s, const float *image, gsize n, GError **err)
{
    g_autofree float *rgb = g_new(float, n);
    for (gsize i = 0; i < n; i++)
        rgb[i] = image[i] * 255.0f;
    return vknn_temporal_set_history_output(s->temporal, rgb, err);
}

gboolean vknn_dream_stream_frame(VknnDreamStream *s, const VknnLiveDreamParams *params, int width,
                                 int height, float *image, GError **err)
{
    VknnVisualizer *first = g_ptr_array_index(s->vis, 0);
    if (!check_dream_params(first, &params->dream, err) || !(params->dream.step >= 0) ||
        !stream_octaves(s, params->dream.octaves, err))
        return FALSE;
    const gint64 t0 = g_get_monotonic_time();
    const gsize n = 3 * (gsize)width * height;
    if (width != s->width || height != s->height) {
        vknn_dream_stream_reset(s);
        s->width = width;
        s->height = height;
    }
    if (params->feed == VKNN_DREAM_FEED_FLOW) {
        if (!stream_flow_feed(s, params, width, height, image, err))
            return FALSE;
    } else {
        stream_feed(s, params, image, n);
    }
    VknnVisualizer **vis = (VknnVisualizer **)s->vis->pdata + (s->vis->len - params->dream.octaves);
    if (params->dream.iterations > 0 &&
        !dream_octaves(vis, &params->dream, width, height, image, s->rand, NULL, NULL, err))
        return FALSE;
    if (params->feed == VKNN_DREAM_FEED_FLOW && !flow_keep_dream(s, image, n, err))
        return FALSE;
    if (!s->prev)
        s->prev = g_new(float, n);
    memcpy(s->prev, image, sizeof(float) * n);
    s->last_ms = (g_get_monotonic_time() - t0) / 1e3;
    return TRUE;
}

/* 8-bit pixels in fmt's byte order <-> 0..1 RGB planes. */
static void bytes_to_planes(VknnPixelFormat fmt, const guint8 *in, int stride, int w, int h,
                            float *out)
{
    const gsize hw = (gsize)w * h;
    const int r = vknn_pixel_swaps_rb(fmt) ? 2 : 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const guint8 *px = in + (gsize)y * stride + 4 * x;
            const gsize i = (gsize)y * w + x;
            out[i] = px[r] / 255.0f;
            out[hw + i] = px[1] / 255.0f;
            out[2 * hw + i] = px[2 - r] / 255.0f;
        }
}

static void planes_to_bytes(VknnPixelFormat fmt, const float *in, int w, int h, guint8 *out,
                            int stride)
{
    const gsize hw = (gsize)w * h;
    const int r = vknn_pixel_swaps_rb(fmt) ? 2 : 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            guint8 *px = out + (gsize)y * stride + 4 * x;
            const gsize i = (gsize)y * w + x;
            px[r] = (guint8)lrintf(CLAMP(in[i], 0.0f, 1.0f) * 255.0f);
            px[1] = (guint8)lrintf(CLAMP(in[hw + i], 0.0f, 1.0f) * 255.0f);
            px[2 - r] = (guint8)lrintf(CLAMP(in[2 * hw + i], 0.0f, 1.0f) * 255.0f);
            px[3] = 255;
        }
}

gboolean vknn_dream_stream_frame_bytes(VknnDreamStream *s, const VknnLiveDreamParams *params,
                                       VknnPixelFormat fmt, int width, int height, const guint8 *in,
                                       int in_stride, guint8 *out, int out_stride, GError **err)
{
    g_autofree float *image = g_new(float, 3 * (gsize)width * height);
    bytes_to_planes(fmt, in, in_stride, width, height, image);
    if (!vknn_dream_stream_frame(s, params, width, height, image, err))
        return FALSE;
    planes_to_bytes(fmt, image, width, height, out, out_stride);
    return TRUE;
}

/* The input image as 0..1 RGB planes: converted on the device (no resize,
 * mean 0, std 1) into the full-size net's input tensor, read back. */
static gboolean read_image(VknnDreamStream *s, VknnImage *in, int w, int h, float *image,
                           GError **err)
{
    VknnVisualizer *vis = g_ptr_array_index(s->vis, s->vis->len - 1);
    const VknnFrameInputParams fp = {
        .width = w, .height = h, .mode = VKNN_RESIZE_STRETCH, .mean = {0, 0, 0}, .std = {1, 1, 1}};
    if (!prepare(vis, w, h, err))
        return FALSE;
    VknnCmd *cmd = vknn_cmd_new(s->ctx, err);
    if (!cmd)
        return FALSE;
    const gboolean ok =
        vknn_frame_input_record_image(s->fi, cmd, &fp, in, w, h,
                                      vknn_net_tensor(vis->net, vis->input_name), err) &&
        vknn_cmd_end(cmd, err) && vknn_cmd_submit_wait(cmd, err);
    vknn_cmd_free(&cmd);
    return ok && vknn_net_read(vis->net, vis->input_name, image, err);
}

/* Copies the dream into out through a host-visible staging buffer. */
static gboolean write_image(VknnDreamStream *s, const float *image, int w, int h, VknnImage *out,
                            GError **err)
{
    if (!vknn_frame_check_image_format(out->format, "output", err) ||
        !vknn_frame_buffer_ensure(s->ctx, &s->out_staging, w, h, VKNN_MEM_UPLOAD, err))
        return FALSE;
    const VknnPixelFormat fmt =
        out->format == VK_FORMAT_B8G8R8A8_UNORM ? VKNN_PIXEL_BGRA : VKNN_PIXEL_RGBA;
    s->bytes = g_renew(guint8, s->bytes, 4 * (gsize)w * h);
    planes_to_bytes(fmt, image, w, h, s->bytes, 4 * w);
    vknn_frame_buffer_write(&s->out_staging, s->bytes, 4 * w);
    VknnCmd *cmd = vknn_cmd_new(s->ctx, err);
    if (!cmd)
        return FALSE;
    vknn_cmd_image_barrier(cmd, out, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vknn_cmd_copy_to_image(cmd, s->out_staging.buffer, 0, out, w, h);
    const gboolean ok = vknn_cmd_end(cmd, err) && vknn_cmd_submit_wait(cmd, err);
    vknn_cmd_free(&cmd);
    return ok;
}

gboolean vknn_dream_stream_frame_images(VknnDreamStream *s, const VknnLiveDreamParams *params,
                                        int width, int height, VknnImage *in, VknnImage *out,
                                        GError **err)
{
    if (!vknn_frame_check_image_format(in->format, "input", err) ||
        !stream_octaves(s, params->dream.octaves, err))
        return FALSE;
    g_autofree float *image = g_new(float, 3 * (gsize)width * height);
    return read_image(s, in, width, height, image, err) &&
           vknn_dream_stream_frame(s, params, width, height, image, err) &&
           write_image(s, image, width, height, out, err);
}
