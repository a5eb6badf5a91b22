/* Visualising CNNs (vknn/visualize.h): filter grids on the host, and images
 * optimised through a network whose forward and backward passes run on the
 * device. The host holds the image (3 x H x W floats) and updates it from
 * the input gradient each step: jitter, decay, blur and clipping are a few
 * operations a pixel, small next to the network's passes. */
#include "apps/classifier.h"
#include "apps/optim.h"
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

gboolean vknn_dream(VknnVisualizer *vis, const VknnDreamParams *params, int width, int height,
                    float *image, VknnVisProgressFunc progress, void *user, VknnVisResult *result,
                    GError **err)
{
    memset(result, 0, sizeof *result);
    if (!vis->layer || params->octaves < 1 || !(params->octave_scale >= 1)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    vis->layer ? "octaves must be >= 1 and the octave scale >= 1"
                               : "DeepDream needs a layer");
        return FALSE;
    }
    if (!dream_score(vis, image, width, height, &result->start_score, err))
        return FALSE;
    const gsize n = 3 * (gsize)width * height;
    g_autoptr(GRand) r = g_rand_new_with_seed(params->seed);
    /* detail: what the dream added at the previous octave, at its size. */
    g_autofree float *detail = NULL, *base = g_new(float, n), *x = g_new(float, n);
    int dw = 0, dh = 0;
    VknnVisProgress pr = {
        .method = "dream", .iterations = params->iterations, .octaves = params->octaves};
    const gint64 t0 = g_get_monotonic_time();
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
        if (!dream_octave(vis, params, x, w, h, r, &pr, progress, user, err))
            return FALSE;
        detail = g_renew(float, detail, 3 * (gsize)w * h);
        for (gsize i = 0; i < 3 * (gsize)w * h; i++)
            detail[i] = x[i] - base[i];
        dw = w;
        dh = h;
    }
    result->seconds = (g_get_monotonic_time() - t0) / 1e6;
    memcpy(image, x, sizeof(float) * n); /* the last octave is full size */
    return dream_score(vis, image, width, height, &result->final_score, err);
}
