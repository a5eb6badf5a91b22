/* Training style networks (vknn/train.h): a TransformerNet and a copy of
 * the loss network joined in one graph, so one forward and one backward pass
 * on the device give every weight's gradient; Gram matrices, loss gradients
 * at the loss layers and Adam run on the host. */
#include "apps/losses.h"
#include "apps/optim.h"
#include "graph/schema.h"

#include <vknn/vknn.h>

#include <math.h>
#include <string.h>

/* ---- the TransformerNet ------------------------------------------------------ */

typedef struct {
    VknnModel *m;
    GRand *rand;
    char *x; /* name of the current activation */
    GError **err;
    gboolean ok;
} Builder;

static void set_current(Builder *b, const char *name)
{
    g_free(b->x);
    b->x = g_strdup(name);
}

static void add_node(Builder *b, const char *op, const char *out, const char *const *in, int n_in,
                     VknnNode **node)
{
    if (!b->ok)
        return;
    *node = vknn_model_add_node(b->m, op, out, in, n_in, &out, 1, b->err);
    b->ok = *node != NULL;
}

/* A constant of uniform random values in [-bound, bound], or `fill`. */
static void add_param(Builder *b, const char *name, const VknnShape *s, float bound, float fill)
{
    const int64_t n = vknn_shape_numel(s);
    g_autofree float *data = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        data[i] = bound > 0 ? (float)g_rand_double_range(b->rand, -bound, bound) : fill;
    vknn_model_add_constant(b->m, name, s, data);
}

/* Reflection padding by pad, then a convolution with bias. */
static void conv(Builder *b, const char *name, int64_t in_c, int64_t out_c, int64_t k,
                 int64_t stride)
{
    g_autofree char *pads = g_strdup_printf("%s.pads", name);
    g_autofree char *padded = g_strdup_printf("%s.padded", name);
    g_autofree char *w = g_strdup_printf("%s.weight", name);
    g_autofree char *bias = g_strdup_printf("%s.bias", name);
    g_autofree char *out = g_strdup_printf("%s.out", name);
    const int64_t p = k / 2, pv[8] = {0, 0, p, p, 0, 0, p, p};
    const float bound = 1.0f / sqrtf((float)(in_c * k * k));
    vknn_model_add_constant_int(b->m, pads, &(VknnShape){1, {8}}, pv);
    add_param(b, w, &(VknnShape){4, {out_c, in_c, k, k}}, bound, 0);
    add_param(b, bias, &(VknnShape){1, {out_c}}, bound, 0);
    VknnNode *n = NULL;
    add_node(b, "Pad", padded, (const char *[]){b->x, pads}, 2, &n);
    if (b->ok)
        vknn_node_set_string(n, "mode", "reflect");
    add_node(b, "Conv", out, (const char *[]){padded, w, bias}, 3, &n);
    if (b->ok) {
        vknn_node_set_ints(n, "kernel_shape", (int64_t[]){k, k}, 2);
        vknn_node_set_ints(n, "strides", (int64_t[]){stride, stride}, 2);
    }
    set_current(b, out);
}

static void instance_norm(Builder *b, const char *name, int64_t c, gboolean relu)
{
    g_autofree char *scale = g_strdup_printf("%s.weight", name);
    g_autofree char *shift = g_strdup_printf("%s.bias", name);
    g_autofree char *out = g_strdup_printf("%s.out", name);
    g_autofree char *act = g_strdup_printf("%s.relu", name);
    add_param(b, scale, &(VknnShape){1, {c}}, 0, 1.0f);
    add_param(b, shift, &(VknnShape){1, {c}}, 0, 0.0f);
    VknnNode *n = NULL;
    add_node(b, "InstanceNormalization", out, (const char *[]){b->x, scale, shift}, 3, &n);
    if (b->ok) /* the ONNX default, written out: OpenCV DNN requires it */
        vknn_node_set_float(n, "epsilon", 1e-5f);
    set_current(b, out);
    if (relu) {
        add_node(b, "Relu", act, (const char *[]){b->x}, 1, &n);
        set_current(b, act);
    }
}

static void residual(Builder *b, int i, int64_t c)
{
    g_autofree char *skip = g_strdup(b->x);
    g_autofree char *name = g_strdup_printf("res%d", i);
    g_autofree char *c1 = g_strdup_printf("%s.conv1", name), *n1 = g_strdup_printf("%s.in1", name);
    g_autofree char *c2 = g_strdup_printf("%s.conv2", name), *n2 = g_strdup_printf("%s.in2", name);
    g_autofree char *sum = g_strdup_printf("%s.out", name);
    conv(b, c1, c, c, 3, 1);
    instance_norm(b, n1, c, TRUE);
    conv(b, c2, c, c, 3, 1);
    instance_norm(b, n2, c, FALSE);
    VknnNode *n = NULL;
    add_node(b, "Add", sum, (const char *[]){b->x, skip}, 2, &n);
    set_current(b, sum);
}

static void upsample(Builder *b, const char *name)
{
    g_autofree char *out = g_strdup_printf("%s.up", name);
    VknnNode *n = NULL;
    add_node(b, "Resize", out, (const char *[]){b->x, "", "up.scales"}, 3, &n);
    if (b->ok) {
        vknn_node_set_string(n, "mode", "nearest");
        vknn_node_set_string(n, "coordinate_transformation_mode", "asymmetric");
        vknn_node_set_string(n, "nearest_mode", "floor");
    }
    set_current(b, out);
}

/* A network under construction: input "input" [1, in_channels, H, W], the
 * x2 upsampling scales, weights drawn from seed. */
static Builder builder_start(int64_t in_channels, guint32 seed, GError **err)
{
    Builder b = {.m = vknn_model_new(), .rand = g_rand_new_with_seed(seed), .err = err, .ok = TRUE};
    b.m->opset = 13;
    b.m->producer = g_strdup("vknn");
    vknn_model_add_input(b.m, "input", &(VknnShape){4, {1, in_channels, -1, -1}});
    vknn_model_add_constant(b.m, "up.scales", &(VknnShape){1, {4}}, (float[]){1, 1, 2, 2});
    set_current(&b, "input");
    return b;
}

/* The current activation as the graph output "output"; the model, or NULL
 * when a step failed (err set). */
static VknnModel *builder_finish(Builder *b, GError **err)
{
    VknnNode *n = NULL;
    add_node(b, "Identity", "output", (const char *[]){b->x}, 1, &n);
    if (b->ok)
        b->ok = vknn_model_mark_output(b->m, "output", err);
    g_rand_free(b->rand);
    g_free(b->x);
    if (!b->ok)
        g_clear_pointer(&b->m, vknn_model_free);
    return b->m;
}

VknnModel *vknn_transformer_net_new(int channels, guint32 seed, GError **err)
{
    if (channels < 1 || channels > 256) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "channels must be 1..256, not %d",
                    channels);
        return NULL;
    }
    const int64_t c = channels;
    Builder b = builder_start(3, seed, err);
    conv(&b, "conv1", 3, c, 9, 1);
    instance_norm(&b, "in1", c, TRUE);
    conv(&b, "conv2", c, 2 * c, 3, 2);
    instance_norm(&b, "in2", 2 * c, TRUE);
    conv(&b, "conv3", 2 * c, 4 * c, 3, 2);
    instance_norm(&b, "in3", 4 * c, TRUE);
    for (int i = 1; i <= 5; i++)
        residual(&b, i, 4 * c);
    upsample(&b, "deconv1");
    conv(&b, "deconv1", 4 * c, 2 * c, 3, 1);
    instance_norm(&b, "in4", 2 * c, TRUE);
    upsample(&b, "deconv2");
    conv(&b, "deconv2", 2 * c, c, 3, 1);
    instance_norm(&b, "in5", c, TRUE);
    conv(&b, "deconv3", c, 3, 9, 1);
    return builder_finish(&b, err);
}

static void relu(Builder *b, const char *name)
{
    g_autofree char *out = g_strdup_printf("%s.relu", name);
    VknnNode *n = NULL;
    add_node(b, "Relu", out, (const char *[]){b->x}, 1, &n);
    set_current(b, out);
}

VknnModel *vknn_decoder_net_new(int in_channels, int width, guint32 seed, GError **err)
{
    if (in_channels < 1 || width < 1 || width > 256) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "a decoder needs >= 1 input channels and a width of 1..256, not %d and %d",
                    in_channels, width);
        return NULL;
    }
    const int64_t w = width;
    Builder b = builder_start(in_channels, seed, err);
    conv(&b, "dec1", in_channels, 2 * w, 3, 1);
    relu(&b, "dec1");
    upsample(&b, "dec2");
    conv(&b, "dec2", 2 * w, 2 * w, 3, 1);
    relu(&b, "dec2");
    conv(&b, "dec3", 2 * w, w, 3, 1);
    relu(&b, "dec3");
    upsample(&b, "dec4");
    conv(&b, "dec4", w, w, 3, 1);
    relu(&b, "dec4");
    conv(&b, "dec5", w, 3, 3, 1);
    return builder_finish(&b, err);
}

/* ---- the joined graph ----------------------------------------------------------- */

#define LOSS_PREFIX "loss/"

/* The style network, then output * to_unit (1/255 for a style network's
 * 0..255, 1 for a decoder's 0..1) into the loss network, whose loss layers
 * and the style network's output are graph outputs. */
static VknnModel *joined_model(const VknnModel *style_net, const VknnModel *loss_net, char **layers,
                               float to_unit, GError **err)
{
    g_autoptr(VknnModel) m = vknn_model_new();
    m->opset = MAX(style_net->opset, loss_net->opset);
    vknn_model_add_constant(m, "to_unit", &(VknnShape){1, {1}}, (float[]){to_unit});
    const VknnValue *input = vknn_model_value(style_net, g_array_index(style_net->inputs, int, 0));
    vknn_model_add_input(m, input->name, &input->declared);
    if (!vknn_model_append(m, style_net, "", (const char *[]){input->name}, NULL, err) ||
        !vknn_model_add_node(m, "Mul", "to_unit", (const char *[]){"output", "to_unit"}, 2,
                             (const char *[]){"output_unit"}, 1, err) ||
        !vknn_model_append(m, loss_net, LOSS_PREFIX, (const char *[]){"output_unit"}, NULL, err) ||
        !vknn_model_mark_output(m, "output", err))
        return NULL;
    for (char **l = layers; *l; l++) {
        g_autofree char *name = g_strconcat(LOSS_PREFIX, *l, NULL);
        const int v = vknn_model_find_value(m, name);
        if (v < 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                        "the loss network has no tensor '%s' (vknn info lists them)", *l);
            return NULL;
        }
        if (!vknn_model_value(m, v)->is_output && !vknn_model_mark_output(m, name, err))
            return NULL;
    }
    return g_steal_pointer(&m);
}

/* ---- the stability loss on the host ---------------------------------------------- */

/* Stability loss weight * mean(((a - b) / 255)^2) between the two halves of
 * y (the clean images, then the same with noise), gradient added to grad. */
static double stability_loss(const VknnFeatures *y, float weight, float *grad)
{
    const gsize n = (gsize)(y->batch / 2) * y->c * y->hw;
    const float *a = y->data, *b = y->data + n;
    const double scale = (double)weight / (255.0 * 255.0 * n);
    double loss = 0;
    for (gsize i = 0; i < n; i++) {
        const double e = (double)a[i] - b[i];
        loss += e * e;
        const float g = (float)(2 * scale * e);
        grad[i] += g;
        grad[n + i] -= g;
    }
    return scale * loss;
}

/* ---- the trainer ----------------------------------------------------------------- */

/* One trainable tensor and its Adam moments. Instance-norm scales and
 * shifts of a multi-style network have one slot per style (conditional
 * instance normalisation); everything else one slot shared by all. */
typedef struct {
    int joined; /* value index in the joined model (holds the current slot's data) */
    int style;  /* value index in the style model (slot 0; NAME@s for the others) */
    int64_t numel;
    int slots;
    float **data; /* per slot, when slots > 1 */
    float **m, **v;
} Param;

struct VknnTrainer {
    VknnContext *ctx;
    VknnTrainParams params;
    VknnModel *style_net; /* weights synchronised on demand; or the decoder */
    gboolean decoder;     /* training a decoder of the loss network's content layer */
    VknnModel *joined;
    VknnNet *net; /* joined: forward and backward */
    VknnModel *loss_net;
    VknnNet *loss_only; /* loss_net alone: content targets, style Grams */
    char **style_layers, *content_layer;
    int n_styles;
    double **style_targets; /* [style * layers + layer]: c x c Gram of the style image */
    char **seeded;          /* joined names of the seeded outputs, NULL-terminated */
    int n_seeded;
    GArray *params_; /* Param */
    int step;
    gboolean synced; /* style_net holds the current weights */
    gboolean profiling;
    GArray *profiles[2]; /* forward and backward step times of the last step */
};

void vknn_trainer_free(VknnTrainer *t)
{
    if (!t)
        return;
    vknn_net_free(t->net);
    vknn_net_free(t->loss_only);
    vknn_model_free(t->joined);
    vknn_model_free(t->style_net);
    if (t->style_targets)
        for (guint i = 0; i < t->n_styles * g_strv_length(t->style_layers); i++)
            g_free(t->style_targets[i]);
    g_free(t->style_targets);
    g_strfreev(t->style_layers);
    g_free(t->content_layer);
    g_strfreev(t->seeded);
    for (int i = 0; i < 2; i++)
        if (t->profiles[i])
            g_array_unref(t->profiles[i]);
    for (guint i = 0; t->params_ && i < t->params_->len; i++) {
        Param *p = &g_array_index(t->params_, Param, i);
        for (int k = 0; k < p->slots; k++) {
            g_free(p->m[k]);
            g_free(p->v[k]);
            if (p->data)
                g_free(p->data[k]);
        }
        g_free(p->m);
        g_free(p->v);
        g_free(p->data);
    }
    if (t->params_)
        g_array_unref(t->params_);
    g_free(t);
}

/* A trainable tensor of a style network: value index, and whether it is an
 * instance-norm scale or shift (one slot per style). */
typedef struct {
    int value;
    gboolean norm;
} Trainable;

/* The trainable tensors of a style network, in graph order: every Conv
 * weight/bias and InstanceNormalization scale/shift. */
static GArray *trainable_tensors(const VknnModel *m)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(Trainable));
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        const gboolean norm = vknn_node_op(n) == VKNN_OP_InstanceNormalization;
        if (vknn_node_op(n) != VKNN_OP_Conv && !norm)
            continue;
        for (int k = 1; k < n->n_inputs; k++)
            g_array_append_val(all, ((Trainable){n->inputs[k], norm}));
    }
    return all;
}

/* The trainer's parameters, from trainable_tensors(style network); with
 * several styles, the instance-norm ones get a slot per style (all starting
 * equal) and the style network their copies NAME@1.. (vknn_style_count). */
static gboolean find_params(VknnTrainer *t, GError **err)
{
    t->params_ = g_array_new(FALSE, TRUE, sizeof(Param));
    g_autoptr(GArray) trainable = trainable_tensors(t->style_net);
    for (guint i = 0; i < trainable->len; i++) {
        const Trainable *tr = &g_array_index(trainable, Trainable, i);
        const VknnValue *v = vknn_model_value(t->style_net, tr->value);
        Param p = {
            .joined = vknn_model_find_value(t->joined, v->name),
            .style = tr->value,
            .numel = vknn_shape_numel(&v->shape),
            .slots = tr->norm ? t->n_styles : 1,
        };
        p.m = g_new0(float *, p.slots);
        p.v = g_new0(float *, p.slots);
        if (p.slots > 1)
            p.data = g_new0(float *, p.slots);
        for (int sl = 0; sl < p.slots; sl++) {
            p.m[sl] = g_new0(float, p.numel);
            p.v[sl] = g_new0(float, p.numel);
            if (p.data)
                p.data[sl] = g_memdup2(v->data, sizeof(float) * p.numel);
        }
        for (int sl = 1; sl < p.slots; sl++) {
            g_autofree char *copy = g_strdup_printf("%s@%d", v->name, sl);
            vknn_model_add_constant(t->style_net, copy, &v->shape, v->data);
        }
        g_array_append_val(t->params_, p);
        if (!vknn_net_request_grad(t->net, vknn_model_value(t->joined, p.joined)->name, err))
            return FALSE;
    }
    return TRUE;
}

/* Puts style s's instance-norm parameters into the joined model (before
 * its next prepare uploads them). */
static void load_style(VknnTrainer *t, int s)
{
    for (guint i = 0; i < t->params_->len; i++) {
        const Param *p = &g_array_index(t->params_, Param, i);
        if (p->slots > 1)
            memcpy(vknn_model_value(t->joined, p->joined)->data, p->data[s],
                   sizeof(float) * p->numel);
    }
}

/* Runs the loss network alone on images (batch x 3 x h x w, 0..255). */
static gboolean run_loss_net(VknnTrainer *t, const float *images, int batch, int w, int h,
                             GError **err)
{
    const gsize n = (gsize)batch * 3 * w * h;
    g_autofree float *unit = g_new(float, n);
    for (gsize i = 0; i < n; i++)
        unit[i] = images[i] / 255.0f;
    const VknnShape s = {4, {batch, 3, h, w}};
    const float *in[] = {unit};
    return vknn_net_prepare(t->loss_only, &s, err) && vknn_net_run(t->loss_only, in, err);
}

/* The Gram matrices of style image s at every style layer. */
static gboolean compute_style_targets(VknnTrainer *t, int s, const float *style, int w, int h,
                                      GError **err)
{
    if (!run_loss_net(t, style, 1, w, h, err))
        return FALSE;
    const int n = (int)g_strv_length(t->style_layers);
    for (int i = 0; i < n; i++) {
        VknnFeatures f = {0};
        if (!vknn_features_read(t->loss_only, t->style_layers[i], &f, err)) {
            g_free(f.data);
            return FALSE;
        }
        t->style_targets[s * n + i] = g_new(double, f.c *f.c);
        vknn_gram(&f, 0, t->style_targets[s * n + i]);
        g_free(f.data);
    }
    return TRUE;
}

/* The outputs seeded by the backward pass: each loss layer once, and the
 * style network's output (total variation). */
static gboolean choose_seeds(VknnTrainer *t, GError **err)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_ptr_array_add(names, g_strdup("output"));
    for (int i = 0; t->style_layers[i]; i++)
        g_ptr_array_add(names, g_strconcat(LOSS_PREFIX, t->style_layers[i], NULL));
    g_autofree char *content = g_strconcat(LOSS_PREFIX, t->content_layer, NULL);
    gboolean seen = FALSE;
    for (guint i = 0; i < names->len; i++)
        seen |= g_str_equal(g_ptr_array_index(names, i), content);
    if (!seen)
        g_ptr_array_add(names, g_steal_pointer(&content));
    t->n_seeded = (int)names->len;
    g_ptr_array_add(names, NULL);
    t->seeded = (char **)g_ptr_array_steal(names, NULL);
    return vknn_net_set_grad_outputs(t->net, (const char *const *)t->seeded, t->n_seeded, err);
}

VknnTrainer *vknn_trainer_new(VknnContext *ctx, VknnModel *loss_net, const float *style, int width,
                              int height, const VknnTrainParams *params, GError **err)
{
    return vknn_trainer_new_multi(ctx, loss_net, 1, &style, &width, &height, params, err);
}

VknnTrainer *vknn_trainer_new_multi(VknnContext *ctx, VknnModel *loss_net, int n_styles,
                                    const float *const *styles, const int *widths,
                                    const int *heights, const VknnTrainParams *params, GError **err)
{
    if (params->size < 16 || params->batch < 1 || params->lr <= 0 || n_styles < 1 ||
        n_styles > VKNN_MAX_STYLES) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "training needs size >= 16, batch >= 1, a positive learning rate and 1 to "
                    "%d styles",
                    VKNN_MAX_STYLES);
        return NULL;
    }
    if (!(params->stability_weight >= 0) || !(params->stability_noise >= 0) ||
        !isfinite(params->stability_weight) || !isfinite(params->stability_noise)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "the stability weight and noise must be finite and >= 0 (got %g, %g)",
                    params->stability_weight, params->stability_noise);
        return NULL;
    }
    g_autoptr(VknnTrainer) t = g_new0(VknnTrainer, 1);
    t->ctx = ctx;
    t->n_styles = n_styles;
    t->params = *params;
    t->loss_net = loss_net;
    t->style_layers = g_strsplit(params->style_layers, ",", -1);
    t->content_layer = g_strdup(params->content_layer);
    t->params.style_layers = t->params.content_layer = NULL; /* not owned */
    g_autofree char **layers = g_new0(char *, g_strv_length(t->style_layers) + 2);
    memcpy(layers, t->style_layers, sizeof(char *) * g_strv_length(t->style_layers));
    layers[g_strv_length(t->style_layers)] = t->content_layer;
    if (!(t->style_net = vknn_transformer_net_new(params->channels, params->seed, err)) ||
        !(t->joined = joined_model(t->style_net, loss_net, layers, 1.0f / 255.0f, err)) ||
        !(t->net = vknn_net_new(ctx, t->joined, err)) ||
        !(t->loss_only = vknn_net_new(ctx, loss_net, err)))
        return NULL;
    for (char **l = layers; *l; l++)
        if (!vknn_net_keep(t->loss_only, *l, err))
            return NULL;
    if (!find_params(t, err) || !choose_seeds(t, err))
        return NULL;
    t->style_targets = g_new0(double *, n_styles *g_strv_length(t->style_layers));
    for (int s = 0; s < n_styles; s++)
        if (!compute_style_targets(t, s, styles[s], widths[s], heights[s], err))
            return NULL;
    return g_steal_pointer(&t);
}

/* The channels of the encoder's layer at the training size, which must be
 * a quarter of it (the decoder upsamples twice). */
static gboolean decoder_layer_channels(VknnTrainer *t, int *channels, GError **err)
{
    const int size = t->params.size;
    const VknnShape in = {4, {1, 3, size, size}};
    if (!vknn_net_prepare(t->loss_only, &in, err))
        return FALSE;
    const VknnShape *s = vknn_net_shape(t->loss_only, t->content_layer);
    if (!s || s->rank != 4 || s->dims[2] * 4 != size || s->dims[3] * 4 != size) {
        char str[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "the decoder upsamples 4x, but the encoder's '%s' is %s at %dx%d",
                    t->content_layer, s ? vknn_shape_str(s, str, sizeof str) : "unknown", size,
                    size);
        return FALSE;
    }
    *channels = (int)s->dims[1];
    return TRUE;
}

VknnTrainer *vknn_decoder_trainer_new(VknnContext *ctx, VknnModel *encoder, const char *layer,
                                      const VknnTrainParams *params, GError **err)
{
    if (params->size < 16 || params->size % 4 || params->batch < 1 || params->lr <= 0 ||
        !(params->pixel_weight >= 0) || !(params->content_weight >= 0)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "training a decoder needs a size >= 16 and a multiple of 4, batch >= 1, a "
                    "positive learning rate and weights >= 0");
        return NULL;
    }
    g_autoptr(VknnTrainer) t = g_new0(VknnTrainer, 1);
    t->ctx = ctx;
    t->n_styles = 1;
    t->decoder = TRUE;
    t->params = *params;
    t->params.stability_weight = 0;
    t->params.style_layers = t->params.content_layer = NULL; /* not owned */
    t->loss_net = encoder;
    t->style_layers = g_new0(char *, 1);
    t->content_layer = g_strdup(layer);
    t->style_targets = g_new0(double *, 1);
    char *layers[] = {t->content_layer, NULL};
    int channels = 0;
    if (!(t->loss_only = vknn_net_new(ctx, encoder, err)) ||
        !vknn_net_keep(t->loss_only, layer, err) || !decoder_layer_channels(t, &channels, err) ||
        !(t->style_net = vknn_decoder_net_new(channels, params->channels, params->seed, err)) ||
        !(t->joined = joined_model(t->style_net, encoder, layers, 1.0f, err)) ||
        !(t->net = vknn_net_new(ctx, t->joined, err)) || !find_params(t, err) ||
        !choose_seeds(t, err))
        return NULL;
    return g_steal_pointer(&t);
}

/* Keeps the step times before the optimiser step drops the plan. */
static void keep_profiles(VknnTrainer *t)
{
    for (int i = 0; t->profiling && i < 2; i++) {
        if (t->profiles[i])
            g_array_unref(t->profiles[i]);
        t->profiles[i] =
            i ? vknn_net_profile_backward(t->net, NULL) : vknn_net_profile(t->net, NULL);
    }
}

/* Adam (Kingma & Ba 2015) on every parameter, from the gradients of the
 * last backward pass (for style s's slot of per-style parameters); the
 * device copies of the weights are then dropped and uploaded again at the
 * next prepare. */
static gboolean adam_step(VknnTrainer *t, int s, GError **err)
{
    keep_profiles(t);
    for (guint i = 0; i < t->params_->len; i++) {
        Param *p = &g_array_index(t->params_, Param, i);
        VknnValue *v = vknn_model_value(t->joined, p->joined);
        g_autofree float *g = g_new(float, p->numel);
        if (!vknn_net_read_grad(t->net, v->name, g, err))
            return FALSE;
        /* A slot is updated every n_styles steps (style s at steps s, s + n, ...). */
        const int slot = p->slots > 1 ? s : 0;
        const int updates = p->slots > 1 ? t->step / t->n_styles + 1 : t->step + 1;
        vknn_adam_update(v->data, g, p->m[slot], p->v[slot], p->numel, t->params.lr, updates);
        if (p->slots > 1)
            memcpy(p->data[slot], v->data, sizeof(float) * p->numel);
    }
    vknn_net_reload_constants(t->net);
    t->synced = FALSE;
    return TRUE;
}

static int seed_index(const VknnTrainer *t, const char *layer)
{
    g_autofree char *name = g_strconcat(LOSS_PREFIX, layer, NULL);
    for (int i = 0; i < t->n_seeded; i++)
        if (g_str_equal(t->seeded[i], name))
            return i;
    return -1;
}

static gboolean with_stability(const VknnTrainer *t)
{
    return t->params.stability_weight > 0;
}

/* The images the joined network runs on (batch x 3 x size x size each): the
 * content batch, then, for the stability loss, the same images with
 * Gaussian noise (clamped to 0..255 like a real frame), drawn from the seed
 * and the step so that a resumed run draws the same. */
static float *step_images(const VknnTrainer *t, const float *content, int *images)
{
    const gsize n = (gsize)t->params.batch * 3 * t->params.size * t->params.size;
    const int copies = with_stability(t) ? 2 : 1;
    *images = t->params.batch * copies;
    float *x = g_new(float, n *copies);
    memcpy(x, content, sizeof(float) * n);
    if (!with_stability(t))
        return x;
    g_autoptr(GRand) r = g_rand_new_with_seed(t->params.seed * 2654435761u + (guint32)t->step);
    for (gsize i = 0; i < n; i += 2) {
        /* Box-Muller: two independent normal samples from two uniform ones. */
        const double radius = sqrt(-2 * log(1 - g_rand_double(r)));
        const double angle = 2 * G_PI * g_rand_double(r);
        const double z[2] = {radius * cos(angle), radius * sin(angle)};
        for (gsize k = 0; k < 2 && i + k < n; k++)
            x[n + i + k] =
                (float)CLAMP(content[i + k] + t->params.stability_noise * z[k], 0.0, 255.0);
    }
    return x;
}

/* A decoder's pixel loss: its output y (0..1) against the content images
 * (0..255), gradient added to grad. */
static double pixel_loss(const VknnTrainer *t, const VknnFeatures *y, const float *content,
                         float *grad)
{
    const gsize n = (gsize)y->batch * y->c * y->hw;
    g_autofree float *unit = g_new(float, n);
    for (gsize i = 0; i < n; i++)
        unit[i] = content[i] / 255.0f;
    return vknn_content_loss(y, unit, t->params.pixel_weight, grad);
}

/* Reads the seeded outputs of the joined forward run and fills their seeds
 * (d loss / d output) and the losses. With the stability loss the batch is
 * run twice (clean, noisy): content_target is the clean images' features,
 * the target of both halves, and the total variation is halved to keep its
 * weight per content image. */
static gboolean losses_and_seeds(VknnTrainer *t, int style, const VknnFeatures *content_target,
                                 const float *content, float **seeds, VknnTrainLosses *l,
                                 GError **err)
{
    const int n = t->n_seeded, size = t->params.size, batch = t->params.batch;
    g_autofree VknnFeatures *f = g_new0(VknnFeatures, n);
    gboolean ok = TRUE;
    for (int i = 0; ok && i < n; i++) {
        ok = vknn_features_read(t->net, t->seeded[i], &f[i], err);
        seeds[i] = g_new0(float, (gsize)f[i].batch *f[i].c *f[i].hw);
    }
    if (ok) {
        const int images = f[0].batch;
        l->tv = vknn_tv_loss(f[0].data, 3 * images, size, size,
                             t->params.tv_weight * batch / images, seeds[0]);
        l->stability =
            with_stability(t) ? stability_loss(&f[0], t->params.stability_weight, seeds[0]) : 0;
        l->style = 0;
        for (int i = 0; t->style_layers[i]; i++) {
            const int k = seed_index(t, t->style_layers[i]);
            const double *target = t->style_targets[style * g_strv_length(t->style_layers) + i];
            l->style += vknn_style_loss(&f[k], target, t->params.style_weight, seeds[k]);
        }
        const int k = seed_index(t, t->content_layer);
        const gsize per_half =
            (gsize)content_target->batch * content_target->c * content_target->hw;
        const int copies = images / batch;
        g_autofree float *target = g_new(float, per_half *copies);
        for (int h = 0; h < copies; h++)
            memcpy(target + h * per_half, content_target->data, sizeof(float) * per_half);
        l->content = vknn_content_loss(&f[k], target, t->params.content_weight, seeds[k]);
        l->pixel = t->decoder ? pixel_loss(t, &f[0], content, seeds[0]) : 0;
        l->total = l->content + l->style + l->tv + l->stability + l->pixel;
    }
    for (int i = 0; i < n; i++)
        g_free(f[i].data);
    return ok;
}

/* The joined network's forward pass on the step's images; a decoder's on
 * the encoder's features of them (those of the last run_loss_net). */
static gboolean run_joined(VknnTrainer *t, const float *images, int n_images, const float *features,
                           GError **err)
{
    const int size = t->params.size;
    const VknnShape image_shape = {4, {n_images, 3, size, size}};
    const VknnShape *s = t->decoder ? vknn_net_shape(t->loss_only, t->content_layer) : &image_shape;
    const float *in[] = {t->decoder ? features : images};
    return vknn_net_prepare(t->net, s, err) && vknn_net_run(t->net, in, err);
}

gboolean vknn_trainer_step(VknnTrainer *t, const float *content, VknnTrainLosses *losses,
                           GError **err)
{
    const int batch = t->params.batch, size = t->params.size;
    VknnFeatures target = {0};
    float **seeds = g_new0(float *, t->n_seeded);
    int images = 0;
    g_autofree float *x = step_images(t, content, &images);
    const int style = t->step % t->n_styles;
    VknnTrainLosses l = {.step = t->step + 1, .style_index = style};
    load_style(t, style);
    const gboolean ok = run_loss_net(t, content, batch, size, size, err) &&
                        vknn_features_read(t->loss_only, t->content_layer, &target, err) &&
                        run_joined(t, x, images, target.data, err) &&
                        losses_and_seeds(t, style, &target, content, seeds, &l, err) &&
                        vknn_net_backward_multi(t->net, (const float *const *)seeds, err) &&
                        adam_step(t, style, err);
    for (int i = 0; i < t->n_seeded; i++)
        g_free(seeds[i]);
    g_free(seeds);
    g_free(target.data);
    if (!ok)
        return FALSE;
    t->step++;
    if (losses)
        *losses = l;
    return TRUE;
}

int vknn_trainer_steps_done(const VknnTrainer *t)
{
    return t->step;
}

VknnModel *vknn_trainer_model(VknnTrainer *t)
{
    for (guint i = 0; !t->synced && i < t->params_->len; i++) {
        const Param *p = &g_array_index(t->params_, Param, i);
        VknnValue *v = vknn_model_value(t->style_net, p->style);
        const gsize bytes = sizeof(float) * p->numel;
        if (p->slots == 1) {
            memcpy(v->data, vknn_model_value(t->joined, p->joined)->data, bytes);
            continue;
        }
        memcpy(v->data, p->data[0], bytes);
        for (int s = 1; s < p->slots; s++) {
            g_autofree char *copy = g_strdup_printf("%s@%d", v->name, s);
            memcpy(vknn_model_value(t->style_net, vknn_model_find_value(t->style_net, copy))->data,
                   p->data[s], bytes);
        }
    }
    t->synced = TRUE;
    return t->style_net;
}

void vknn_trainer_set_profiling(VknnTrainer *t, gboolean enable)
{
    t->profiling = enable;
    vknn_net_set_profiling(t->net, enable);
}

GArray *vknn_trainer_profile(VknnTrainer *t, gboolean backward, GError **err)
{
    GArray *p = t->profiles[backward ? 1 : 0];
    if (!p) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    t->profiling ? "no step profiled yet (or no device timestamps)"
                                 : "profiling is off (vknn_trainer_set_profiling)");
        return NULL;
    }
    return g_array_ref(p);
}

/* ---- checkpoints ------------------------------------------------------------------ */

#define CHECKPOINT_MAGIC "VKNNCKP2"

typedef struct {
    char magic[8];
    guint32 channels, step, n_params, n_styles;
} CheckpointHeader;

/* Slot sl's weights: the joined model's for shared parameters. */
static float *slot_data(VknnTrainer *t, const Param *p, int sl)
{
    return p->slots > 1 ? p->data[sl] : vknn_model_value(t->joined, p->joined)->data;
}

gboolean vknn_trainer_save_checkpoint(VknnTrainer *t, const char *path, GError **err)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    CheckpointHeader h = {.channels = (guint32)t->params.channels,
                          .step = (guint32)t->step,
                          .n_params = t->params_->len,
                          .n_styles = (guint32)t->n_styles};
    memcpy(h.magic, CHECKPOINT_MAGIC, 8);
    g_byte_array_append(out, (const guint8 *)&h, sizeof h);
    for (guint i = 0; i < t->params_->len; i++) {
        const Param *p = &g_array_index(t->params_, Param, i);
        const gsize bytes = sizeof(float) * p->numel;
        g_byte_array_append(out, (const guint8 *)&p->numel, sizeof p->numel);
        for (int sl = 0; sl < p->slots; sl++) {
            g_byte_array_append(out, (const guint8 *)slot_data(t, p, sl), bytes);
            g_byte_array_append(out, (const guint8 *)p->m[sl], bytes);
            g_byte_array_append(out, (const guint8 *)p->v[sl], bytes);
        }
    }
    return g_file_set_contents(path, (const char *)out->data, out->len, err);
}

/* Whether data holds this trainer's tensors, sizes included. */
static gboolean checkpoint_fits(const VknnTrainer *t, const guint8 *data, gsize len)
{
    CheckpointHeader h;
    if (len < sizeof h)
        return FALSE;
    memcpy(&h, data, sizeof h);
    if (memcmp(h.magic, CHECKPOINT_MAGIC, 8) || h.channels != (guint32)t->params.channels ||
        h.n_params != t->params_->len || h.n_styles != (guint32)t->n_styles)
        return FALSE;
    gsize off = sizeof h;
    for (guint i = 0; i < t->params_->len; i++) {
        const Param *p = &g_array_index(t->params_, Param, i);
        int64_t numel;
        if (len - off < sizeof numel)
            return FALSE;
        memcpy(&numel, data + off, sizeof numel);
        off += sizeof numel;
        if (numel != p->numel || (len - off) / (3 * sizeof(float) * p->slots) < (gsize)numel)
            return FALSE;
        off += 3 * sizeof(float) * p->slots * numel;
    }
    return TRUE;
}

gboolean vknn_trainer_init_weights(VknnTrainer *t, const VknnModel *from, GError **err)
{
    g_autoptr(GArray) src = trainable_tensors(from);
    g_autofree char *network =
        t->decoder ? g_strdup_printf("this decoder of width %d", t->params.channels)
                   : g_strdup_printf("this %d-channel TransformerNet", t->params.channels);
    if (src->len != t->params_->len) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "the network to start from has %u trainable tensors (Conv and "
                    "InstanceNormalization inputs), %s %u",
                    src->len, network, t->params_->len);
        return FALSE;
    }
    for (guint i = 0; i < src->len; i++) {
        const VknnValue *v = vknn_model_value(from, g_array_index(src, Trainable, i).value);
        const Param *p = &g_array_index(t->params_, Param, i);
        const VknnValue *mine = vknn_model_value(t->joined, p->joined);
        if (!v->data || !vknn_shape_equal(&v->shape, &mine->shape)) {
            char a[64] = "?", b[64];
            vknn_shape_str(&v->shape, a, sizeof a);
            vknn_shape_str(&mine->shape, b, sizeof b);
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                        "trainable tensor %u of the network to start from, '%s', is %s%s; %s's "
                        "is %s",
                        i + 1, v->name, a, v->data ? "" : " without data", network, b);
            return FALSE;
        }
    }
    for (guint i = 0; i < src->len; i++) {
        const VknnValue *v = vknn_model_value(from, g_array_index(src, Trainable, i).value);
        Param *p = &g_array_index(t->params_, Param, i);
        for (int sl = 0; sl < p->slots; sl++)
            memcpy(slot_data(t, p, sl), v->data, sizeof(float) * p->numel);
    }
    t->synced = FALSE;
    vknn_net_reload_constants(t->net);
    return TRUE;
}

gboolean vknn_trainer_load_checkpoint(VknnTrainer *t, const char *path, GError **err)
{
    g_autofree guint8 *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, (char **)&data, &len, err))
        return FALSE;
    if (!checkpoint_fits(t, data, len)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE,
                    "%s is not a checkpoint of this network (%d channels, %d style%s, %u tensors)",
                    path, t->params.channels, t->n_styles, t->n_styles == 1 ? "" : "s",
                    t->params_->len);
        return FALSE;
    }
    CheckpointHeader h;
    memcpy(&h, data, sizeof h);
    gsize off = sizeof h;
    for (guint i = 0; i < t->params_->len; i++) {
        Param *p = &g_array_index(t->params_, Param, i);
        const gsize bytes = sizeof(float) * p->numel;
        off += sizeof(int64_t);
        for (int sl = 0; sl < p->slots; sl++) {
            memcpy(slot_data(t, p, sl), data + off, bytes);
            memcpy(p->m[sl], data + off + bytes, bytes);
            memcpy(p->v[sl], data + off + 2 * bytes, bytes);
            off += 3 * bytes;
        }
    }
    t->step = (int)h.step;
    t->synced = FALSE;
    vknn_net_reload_constants(t->net);
    return TRUE;
}
