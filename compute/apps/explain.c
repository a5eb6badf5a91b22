/* Saliency maps of classifiers: the methods of vknn/explain.h on top of the
 * executor's forward and backward passes. The device does the networks;
 * the host combines small results (a 13x13x512 Grad-CAM layer, a 3x224x224
 * gradient) into maps. */
#include "apps/classifier.h"
#include "apps/frame_input.h"
#include "apps/optim.h"
#include "exec/exec.h"
#include "graph/schema.h"

#include <vknn/explain.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct VknnExplainer {
    VknnContext *ctx;
    VknnModel *model;
    VknnNet *net;
    VknnExplainParams params;
    char *layer; /* Grad-CAM layer */
    const char *input_name, *output_name;
    GRand *rand;
    VknnFrameInput *frames; /* video frames -> input tensor, created on first use */
};

static const char *const method_names[] = {
    [VKNN_EXPLAIN_GRADIENT] = "gradient",   [VKNN_EXPLAIN_GUIDED] = "guided",
    [VKNN_EXPLAIN_GRADCAM] = "gradcam",     [VKNN_EXPLAIN_SMOOTHGRAD] = "smoothgrad",
    [VKNN_EXPLAIN_OCCLUSION] = "occlusion", [VKNN_EXPLAIN_ACTIVATIONS] = "activations",
};

gboolean vknn_explain_method_from_string(const char *name, VknnExplainMethod *out)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(method_names); i++)
        if (g_ascii_strcasecmp(name, method_names[i]) == 0) {
            *out = (VknnExplainMethod)i;
            return TRUE;
        }
    return FALSE;
}

const char *vknn_explain_method_to_string(VknnExplainMethod m)
{
    return (gsize)m < G_N_ELEMENTS(method_names) ? method_names[m] : "unknown";
}

void vknn_explanation_clear(VknnExplanation *e)
{
    g_free(e->logits);
    g_free(e->map);
    g_free(e->input_grad);
    g_free(e->activations);
    memset(e, 0, sizeof *e);
}

/* ---- class scores ---------------------------------------------------------- */

/* A logit's rank: NaN ranks below everything (a broken score is no class). */
static float rank_of(float logit)
{
    return isnan(logit) ? -INFINITY : logit;
}

float vknn_softmax_prob(const float *logits, int n, int c)
{
    float max = -INFINITY;
    for (int i = 0; i < n; i++)
        max = MAX(max, rank_of(logits[i]));
    if (isnan(logits[c]) || max == -INFINITY)
        return 0.0f;
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (max == INFINITY)
            sum += logits[i] == INFINITY;
        else if (!isnan(logits[i]))
            sum += exp(logits[i] - max);
    if (max == INFINITY)
        return logits[c] == INFINITY ? (float)(1.0 / sum) : 0.0f;
    return (float)(exp(logits[c] - max) / sum);
}

void vknn_top_k(const float *logits, int n, int k, VknnClassScore *out)
{
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            gboolean taken = FALSE;
            for (int t = 0; t < j && !taken; t++)
                taken = out[t].id == i;
            if (!taken && (best < 0 || rank_of(logits[i]) > rank_of(logits[best])))
                best = i;
        }
        out[j].id = best;
        out[j].prob = vknn_softmax_prob(logits, n, best);
    }
}

char **vknn_labels_load(const char *path, int *n, GError **err)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, err))
        return NULL;
    g_strchomp(text);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        g_strstrip(*l);
    *n = (int)g_strv_length(lines);
    return lines;
}

/* Ascending, NaN first: qsort needs a total order, which < alone is not. */
static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    if (isnan(x) || isnan(y))
        return !isnan(x) - !isnan(y);
    return (x > y) - (x < y);
}

float vknn_map_quantile(const float *map, int n, float q)
{
    if (n <= 0)
        return 0.0f;
    g_autofree float *sorted = g_memdup2(map, sizeof(float) * n);
    qsort(sorted, n, sizeof(float), cmp_float);
    /* In double: a float cannot hold n - 1 above 2^24 and may round it to n. */
    const double p = isnan(q) ? 1.0 : CLAMP((double)q, 0.0, 1.0);
    return sorted[MIN((int)lrint(p * (n - 1)), n - 1)];
}

/* ---- default layer ------------------------------------------------------------ */

static gboolean is_spatial(const VknnValue *v)
{
    return v->shape.rank == 4 && v->shape.dims[2] * v->shape.dims[3] > 1;
}

/* The first non-constant input of v's producer, or -1. */
static int upstream(const VknnModel *m, int v)
{
    const int p = vknn_model_value(m, v)->producer;
    if (p < 0)
        return -1;
    const VknnNode *n = vknn_model_node(m, p);
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && vknn_model_value(m, n->inputs[i])->kind != VKNN_VALUE_CONSTANT)
            return n->inputs[i];
    return -1;
}

static gboolean is_head_op(const VknnNode *n)
{
    switch (vknn_node_op(n)) {
    case VKNN_OP_Relu:
    case VKNN_OP_Clip:
    case VKNN_OP_LeakyRelu:
    case VKNN_OP_Conv:
    case VKNN_OP_Dropout:
    case VKNN_OP_Identity:
        return TRUE;
    default:
        return FALSE;
    }
}

const char *vknn_default_feature_layer(const VknnModel *m)
{
    if (m->outputs->len == 0)
        return NULL;
    const int out = g_array_index(m->outputs, int, 0);
    const VknnValue *ov = vknn_model_value(m, out);
    const int64_t classes = vknn_shape_numel(&ov->shape) / MAX(ov->shape.dims[0], 1);
    int v = out;
    while (v >= 0 && !is_spatial(vknn_model_value(m, v)))
        v = upstream(m, v);
    if (v < 0)
        return NULL;
    while (vknn_model_value(m, v)->shape.dims[1] == classes) {
        const int p = vknn_model_value(m, v)->producer;
        const int u = upstream(m, v);
        if (p < 0 || u < 0 || !is_head_op(vknn_model_node(m, p)) ||
            !is_spatial(vknn_model_value(m, u)))
            break;
        v = u;
    }
    return vknn_model_value(m, v)->name;
}

/* ---- explainer ----------------------------------------------------------------- */

gboolean vknn_check_image_input(const VknnModel *m, GError **err)
{
    if (m->inputs->len != 1 || m->outputs->len < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "the network needs one input (an RGB image) and an output");
        return FALSE;
    }
    const VknnValue *in = vknn_model_value(m, g_array_index(m->inputs, int, 0));
    if (in->declared.rank != 4 || (in->declared.dims[1] != 3 && in->declared.dims[1] != -1)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "input '%s' must be [1, 3, H, W] (an RGB image)", in->name);
        return FALSE;
    }
    return TRUE;
}

/* Requests what the method needs from the executor. */
static gboolean configure_net(VknnExplainer *ex, GError **err)
{
    switch (ex->params.method) {
    case VKNN_EXPLAIN_GUIDED:
        vknn_net_set_grad_mode(ex->net, VKNN_GRAD_GUIDED);
        /* fall through */
    case VKNN_EXPLAIN_GRADIENT:
    case VKNN_EXPLAIN_SMOOTHGRAD:
        return vknn_net_request_grad(ex->net, ex->input_name, err);
    case VKNN_EXPLAIN_GRADCAM:
        return vknn_net_keep(ex->net, ex->layer, err) &&
               vknn_net_request_grad(ex->net, ex->layer, err);
    case VKNN_EXPLAIN_ACTIVATIONS:
        return vknn_net_keep(ex->net, ex->layer, err);
    case VKNN_EXPLAIN_OCCLUSION:
        return TRUE;
    }
    return TRUE;
}

VknnExplainer *vknn_explainer_new(VknnContext *ctx, VknnModel *model,
                                  const VknnExplainParams *params, GError **err)
{
    if (!vknn_check_image_input(model, err))
        return NULL;
    VknnShape shape = vknn_model_default_input_shape(model, 0, 224, 224);
    if (!vknn_model_infer_shapes(model, &shape, err))
        return NULL;
    const VknnValue *scores = vknn_model_value(model, g_array_index(model->outputs, int, 0));
    if (is_spatial(scores)) {
        char s[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "output '%s' is %s, not class scores: not a classifier", scores->name,
                    vknn_shape_str(&scores->shape, s, sizeof s));
        return NULL;
    }
    g_autoptr(VknnExplainer) ex = g_new0(VknnExplainer, 1);
    ex->ctx = ctx;
    ex->model = model;
    ex->params = *params;
    ex->params.layer = NULL;
    ex->input_name = vknn_model_value(model, g_array_index(model->inputs, int, 0))->name;
    ex->output_name = vknn_model_value(model, g_array_index(model->outputs, int, 0))->name;
    ex->rand = g_rand_new_with_seed(params->seed);
    const char *layer = params->layer ? params->layer : vknn_default_feature_layer(model);
    const gboolean needs_layer =
        params->method == VKNN_EXPLAIN_GRADCAM || params->method == VKNN_EXPLAIN_ACTIVATIONS;
    if (needs_layer && !layer) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "no spatial feature layer found: name one (vknn info lists them)");
        return NULL;
    }
    ex->layer = g_strdup(layer);
    ex->net = vknn_net_new(ctx, model, err);
    if (!ex->net || !configure_net(ex, err))
        return NULL;
    return g_steal_pointer(&ex);
}

void vknn_explainer_free(VknnExplainer *ex)
{
    if (!ex)
        return;
    vknn_net_free(ex->net);
    if (ex->frames)
        vknn_frame_input_free(ex->frames);
    if (ex->rand)
        g_rand_free(ex->rand);
    g_free(ex->layer);
    g_free(ex);
}

const char *vknn_explainer_layer(const VknnExplainer *ex)
{
    return ex->layer;
}

/* ---- methods ------------------------------------------------------------------ */

static gboolean prepare(VknnExplainer *ex, int batch, int width, int height, GError **err)
{
    const VknnShape s = {4, {batch, 3, height, width}};
    return vknn_net_prepare(ex->net, &s, err);
}

gboolean vknn_explainer_prepare(VknnExplainer *ex, int width, int height, GError **err)
{
    return prepare(ex, 1, width, height, err);
}

/* Runs the network on input (NULL: a frame already ran through it) and
 * reads the class scores into out. */
static gboolean classify(VknnExplainer *ex, const float *input, VknnExplanation *out, GError **err)
{
    const float *inputs[] = {input};
    if (input && !vknn_net_run(ex->net, inputs, err))
        return FALSE;
    const VknnShape *ls = vknn_net_shape(ex->net, ex->output_name);
    out->n_classes = (int)vknn_shape_numel(ls);
    g_free(out->logits);
    out->logits = g_new(float, out->n_classes);
    if (!vknn_net_read(ex->net, ex->output_name, out->logits, err))
        return FALSE;
    if (ex->params.target_class >= out->n_classes) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "target class %d, but the model has %d",
                    ex->params.target_class, out->n_classes);
        return FALSE;
    }
    VknnClassScore top;
    vknn_top_k(out->logits, out->n_classes, 1, &top);
    out->class_id = ex->params.target_class >= 0 ? ex->params.target_class : top.id;
    out->score = (float)(top.prob * exp(out->logits[out->class_id] - out->logits[top.id]));
    return TRUE;
}

/* Back-propagates d logits[class] from the last run. */
static gboolean backward_class(VknnExplainer *ex, const VknnExplanation *e, GError **err)
{
    g_autofree float *seed = g_new0(float, e->n_classes);
    seed[e->class_id] = 1.0f;
    return vknn_net_backward(ex->net, seed, err);
}

/* map[y, x] += max over channels of |g[c, y, x]|. */
static void add_channel_max_abs(const float *g, int hw, float *map)
{
    for (int i = 0; i < hw; i++)
        map[i] += MAX(fabsf(g[i]), MAX(fabsf(g[hw + i]), fabsf(g[2 * hw + i])));
}

static gboolean explain_gradient(VknnExplainer *ex, const float *input, int w, int h,
                                 VknnExplanation *out, GError **err)
{
    if (!prepare(ex, 1, w, h, err) || !classify(ex, input, out, err) ||
        !backward_class(ex, out, err))
        return FALSE;
    out->input_grad = g_new(float, 3 * w * h);
    if (!vknn_net_read_grad(ex->net, ex->input_name, out->input_grad, err))
        return FALSE;
    out->map_w = w;
    out->map_h = h;
    out->map = g_new0(float, w *h);
    add_channel_max_abs(out->input_grad, w * h, out->map);
    return TRUE;
}

/* Vanilla saliency averaged over noisy inputs; the class is the clean
 * input's. input_grad holds the mean gradient. */
static gboolean explain_smoothgrad(VknnExplainer *ex, const float *input, int w, int h,
                                   VknnExplanation *out, GError **err)
{
    const int n = 3 * w * h, samples = MAX(ex->params.smooth_samples, 1);
    if (!prepare(ex, 1, w, h, err) || !classify(ex, input, out, err))
        return FALSE;
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        lo = MIN(lo, input[i]);
        hi = MAX(hi, input[i]);
    }
    const float sigma = ex->params.smooth_sigma * (hi - lo);
    g_autofree float *noisy = g_new(float, n);
    g_autofree float *grad = g_new(float, n);
    out->map_w = w;
    out->map_h = h;
    out->map = g_new0(float, w *h);
    out->input_grad = g_new0(float, n);
    const float *inputs[] = {noisy};
    for (int s = 0; s < samples; s++) {
        for (int i = 0; i < n; i++)
            noisy[i] = input[i] + sigma * vknn_gaussian(ex->rand);
        if (!vknn_net_run(ex->net, inputs, err) || !backward_class(ex, out, err) ||
            !vknn_net_read_grad(ex->net, ex->input_name, grad, err))
            return FALSE;
        add_channel_max_abs(grad, w * h, out->map);
        for (int i = 0; i < n; i++)
            out->input_grad[i] += grad[i] / samples;
    }
    for (int i = 0; i < w * h; i++)
        out->map[i] /= samples;
    return TRUE;
}

static gboolean explain_gradcam(VknnExplainer *ex, const float *input, int w, int h,
                                VknnExplanation *out, GError **err)
{
    if (!prepare(ex, 1, w, h, err) || !classify(ex, input, out, err) ||
        !backward_class(ex, out, err))
        return FALSE;
    const VknnShape *s = vknn_net_shape(ex->net, ex->layer);
    if (s->rank != 4) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "Grad-CAM layer '%s' is not [1, C, H, W]",
                    ex->layer);
        return FALSE;
    }
    const int channels = (int)s->dims[1], hw = (int)(s->dims[2] * s->dims[3]);
    g_autofree float *act = g_new(float, channels *hw);
    g_autofree float *grad = g_new(float, channels *hw);
    if (!vknn_net_read(ex->net, ex->layer, act, err) ||
        !vknn_net_read_grad(ex->net, ex->layer, grad, err))
        return FALSE;
    out->map_w = (int)s->dims[3];
    out->map_h = (int)s->dims[2];
    out->map = g_new0(float, hw);
    for (int k = 0; k < channels; k++) {
        double alpha = 0;
        for (int i = 0; i < hw; i++)
            alpha += grad[k * hw + i];
        alpha /= hw;
        for (int i = 0; i < hw; i++)
            out->map[i] += (float)(alpha * act[k * hw + i]);
    }
    for (int i = 0; i < hw; i++)
        out->map[i] = MAX(out->map[i], 0.0f);
    return TRUE;
}

/* The layer's activations, reduced over channels per params.channel. */
static gboolean explain_activations(VknnExplainer *ex, const float *input, int w, int h,
                                    VknnExplanation *out, GError **err)
{
    if (!prepare(ex, 1, w, h, err) || !classify(ex, input, out, err))
        return FALSE;
    const VknnShape *s = vknn_net_shape(ex->net, ex->layer);
    if (s->rank != 4) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "layer '%s' is not [1, C, H, W]", ex->layer);
        return FALSE;
    }
    const int c = (int)s->dims[1], hw = (int)(s->dims[2] * s->dims[3]), ch = ex->params.channel;
    if (ch >= c || ch < -2) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "channel %d, but layer '%s' has %d (-1 mean, -2 maximum)", ch, ex->layer, c);
        return FALSE;
    }
    out->act_c = c;
    out->act_h = (int)s->dims[2];
    out->act_w = out->map_w = (int)s->dims[3];
    out->map_h = out->act_h;
    out->activations = g_new(float, (gsize)c *hw);
    if (!vknn_net_read(ex->net, ex->layer, out->activations, err))
        return FALSE;
    out->map = g_new(float, hw);
    for (int i = 0; i < hw; i++) {
        float v = ch >= 0 ? out->activations[ch * hw + i] : ch == -1 ? 0.0f : -INFINITY;
        for (int k = 0; ch < 0 && k < c; k++)
            v = ch == -1 ? v + out->activations[k * hw + i] / c
                         : MAX(v, out->activations[k * hw + i]);
        out->map[i] = v;
    }
    return TRUE;
}

float *vknn_activation_grid(const float *act, int c, int h, int w, int n, int *grid_w, int *grid_h)
{
    n = CLAMP(n, 1, MAX(c, 1));
    const int cols = (int)ceil(sqrt(n)), rows = (n + cols - 1) / cols;
    *grid_w = cols * (w + 1) - 1;
    *grid_h = rows * (h + 1) - 1;
    float *grid = g_new0(float, (gsize)*grid_w **grid_h);
    for (int k = 0; k < n && k < c; k++) {
        const float *a = act + (gsize)k * h * w;
        /* Scaled by the tile's finite range; a NaN would restart MIN/MAX and
         * an inf would flatten the rest, so they are left out of it. */
        float lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < h * w; i++)
            if (isfinite(a[i])) {
                lo = MIN(lo, a[i]);
                hi = MAX(hi, a[i]);
            }
        const int x0 = k % cols * (w + 1), y0 = k / cols * (h + 1);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const float v = a[y * w + x];
                const float t = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
                grid[(y0 + y) * *grid_w + x0 + x] = isnan(t) ? 0.0f : CLAMP(t, 0.0f, 1.0f);
            }
    }
    return grid;
}

/* Patch origins along a side of n pixels: every stride, the last one flush
 * with the edge so the whole side is covered. */
static int patch_origins(int n, int patch, int stride, int *origins)
{
    if (patch >= n) {
        origins[0] = 0;
        return 1;
    }
    int count = 0;
    for (int o = 0; o + patch < n; o += stride)
        origins[count++] = o;
    origins[count++] = n - patch;
    return count;
}

static gboolean explain_occlusion(VknnExplainer *ex, const float *input, int w, int h,
                                  VknnExplanation *out, GError **err)
{
    const int patch = MAX(ex->params.occlusion_patch, 1);
    const int stride = MAX(ex->params.occlusion_stride, 1);
    const int batch = MAX(ex->params.occlusion_batch, 1), n = 3 * w * h;
    if (!prepare(ex, 1, w, h, err) || !classify(ex, input, out, err))
        return FALSE;
    const float base = out->score;
    g_autofree int *ys = g_new(int, h / stride + 2);
    g_autofree int *xs = g_new(int, w / stride + 2);
    const int gh = patch_origins(h, patch, stride, ys), gw = patch_origins(w, patch, stride, xs);
    out->map_w = gw;
    out->map_h = gh;
    out->map = g_new0(float, gw *gh);
    g_autofree float *inputs = g_new(float, (gsize)batch *n);
    g_autofree float *logits = g_new(float, (gsize)batch * out->n_classes);
    if (!prepare(ex, batch, w, h, err))
        return FALSE;
    for (int first = 0; first < gw * gh; first += batch) {
        for (int b = 0; b < batch; b++) {
            float *x = inputs + (gsize)b * n;
            memcpy(x, input, sizeof(float) * n);
            const int pos = MIN(first + b, gw * gh - 1);
            const int y0 = ys[pos / gw], x0 = xs[pos % gw];
            for (int c = 0; c < 3; c++)
                for (int y = y0; y < MIN(y0 + patch, h); y++)
                    for (int xx = x0; xx < MIN(x0 + patch, w); xx++)
                        x[(c * h + y) * w + xx] = ex->params.occlusion_value;
        }
        const float *in[] = {inputs};
        if (!vknn_net_run(ex->net, in, err) ||
            !vknn_net_read(ex->net, ex->output_name, logits, err))
            return FALSE;
        for (int b = 0; b < batch && first + b < gw * gh; b++)
            out->map[first + b] = base - vknn_softmax_prob(logits + (gsize)b * out->n_classes,
                                                           out->n_classes, out->class_id);
    }
    return TRUE;
}

/* input: host tensor, or NULL when a frame already ran through the net
 * (only for the methods that need one forward run). */
static gboolean explain(VknnExplainer *ex, const float *input, int width, int height,
                        VknnExplanation *out, GError **err)
{
    gboolean ok = FALSE;
    switch (ex->params.method) {
    case VKNN_EXPLAIN_GRADIENT:
    case VKNN_EXPLAIN_GUIDED:
        ok = explain_gradient(ex, input, width, height, out, err);
        break;
    case VKNN_EXPLAIN_SMOOTHGRAD:
        ok = explain_smoothgrad(ex, input, width, height, out, err);
        break;
    case VKNN_EXPLAIN_GRADCAM:
        ok = explain_gradcam(ex, input, width, height, out, err);
        break;
    case VKNN_EXPLAIN_OCCLUSION:
        ok = explain_occlusion(ex, input, width, height, out, err);
        break;
    case VKNN_EXPLAIN_ACTIVATIONS:
        ok = explain_activations(ex, input, width, height, out, err);
        break;
    }
    if (!ok)
        vknn_explanation_clear(out);
    return ok;
}

gboolean vknn_explainer_run(VknnExplainer *ex, const float *input, int width, int height,
                            VknnExplanation *out, GError **err)
{
    vknn_explanation_clear(out);
    return explain(ex, input, width, height, out, err);
}

/* ---- video frames ---------------------------------------------------------------- */

typedef struct {
    VknnPixelFormat fmt;
    const guint8 *bytes; /* host frame, or NULL */
    int stride;
    VknnImage *image; /* Vulkan frame, or NULL */
    int width, height;
} Frame;

/* Converts the frame into the input tensor and runs the network, in one
 * submission. */
static gboolean run_frame(VknnExplainer *ex, const VknnFrameInputParams *fp, const Frame *f,
                          GError **err)
{
    if (!ex->frames)
        ex->frames = vknn_frame_input_new(ex->ctx);
    if (!prepare(ex, 1, fp->width, fp->height, err))
        return FALSE;
    VknnTensor *dst = vknn_net_tensor(ex->net, ex->input_name);
    VknnCmd *cmd = NULL;
    gboolean ok = (!f->bytes || vknn_frame_input_stage_bytes(ex->frames, f->bytes, f->width,
                                                             f->height, f->stride, err)) &&
                  (cmd = vknn_cmd_new(ex->ctx, err)) &&
                  (f->bytes ? vknn_frame_input_record_bytes(ex->frames, cmd, fp, f->fmt, f->width,
                                                            f->height, dst, err)
                            : vknn_frame_input_record_image(ex->frames, cmd, fp, f->image, f->width,
                                                            f->height, dst, err)) &&
                  vknn_net_record(ex->net, cmd, err) && vknn_cmd_end(cmd, err) &&
                  vknn_cmd_submit_wait(cmd, err);
    vknn_cmd_free(&cmd);
    if (ok)
        vknn_net_note_run(ex->net);
    return ok;
}

/* The converted frame on the host, for the methods that perturb it. */
static float *download_input(VknnExplainer *ex, GError **err)
{
    const VknnTensor *t = vknn_net_tensor(ex->net, ex->input_name);
    g_autofree float *packed = g_malloc(t->bytes);
    if (!vknn_download(ex->ctx, t->buffer, t->offset, packed, t->bytes, err))
        return NULL;
    float *nchw = g_new(float, vknn_shape_numel(&t->shape));
    vknn_unpack_c4(t, packed, nchw);
    return nchw;
}

static gboolean explain_frame(VknnExplainer *ex, const VknnFrameInputParams *fp, const Frame *f,
                              VknnExplanation *out, GError **err)
{
    vknn_explanation_clear(out);
    if (fp->width < 1 || fp->height < 1 || f->width < 1 || f->height < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "empty frame or input size");
        return FALSE;
    }
    if (!run_frame(ex, fp, f, err))
        return FALSE;
    const VknnExplainMethod m = ex->params.method;
    if (m != VKNN_EXPLAIN_SMOOTHGRAD && m != VKNN_EXPLAIN_OCCLUSION)
        return explain(ex, NULL, fp->width, fp->height, out, err);
    g_autofree float *input = download_input(ex, err);
    return input && explain(ex, input, fp->width, fp->height, out, err);
}

gboolean vknn_explainer_run_bytes(VknnExplainer *ex, const VknnFrameInputParams *fp,
                                  VknnPixelFormat fmt, const guint8 *frame, int width, int height,
                                  int stride, VknnExplanation *out, GError **err)
{
    const Frame f = {
        .fmt = fmt, .bytes = frame, .stride = stride, .width = width, .height = height};
    return explain_frame(ex, fp, &f, out, err);
}

gboolean vknn_explainer_run_image(VknnExplainer *ex, const VknnFrameInputParams *fp,
                                  VknnImage *frame, int width, int height, VknnExplanation *out,
                                  GError **err)
{
    const Frame f = {.image = frame, .width = width, .height = height};
    return explain_frame(ex, fp, &f, out, err);
}
