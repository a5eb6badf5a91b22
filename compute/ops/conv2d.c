/* Conv: 2D convolution, grouped and dilated, with fused padding, folded
 * BatchNormalization and fused activation. Depthwise convolutions go to
 * conv_dw.c; every other group count runs here with block-diagonal weights. */
#include <stdint.h>
#include "conv2d.comp.spv.h"
#include "conv2d_shuffle.comp.spv.h"
#include "conv2d_grad_bias.comp.spv.h"
#include "conv2d_grad_input.comp.spv.h"
#include "conv2d_grad_input_shuffle.comp.spv.h"
#include "conv2d_grad_weight.comp.spv.h"
#include "conv2d_grad_weight_sum.comp.spv.h"
#include "conv.h"
#include "norm.h"

#include <math.h>
#include <string.h>

static const VknnShader conv2d_shader = VKNN_SHADER(conv2d, 4, 1, VknnConvPush);
static const VknnShader conv2d_shuffle_shader = VKNN_SHADER(conv2d_shuffle, 4, 1, VknnConvPush);

static const VknnShader *conv2d_variant(const VknnContext *ctx)
{
    return ctx->shuffle_weights ? &conv2d_shuffle_shader : &conv2d_shader;
}

/* Weights as [oc4][ic4][kh][kw][4 input lanes] vec4 over output lanes; a
 * grouped convolution becomes block-diagonal (zeros across groups). */
static float *pack_weights(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnNode *n = r->step->node;
    const VknnValue *wv = vknn_node_input(r->model, n, 1);
    const int64_t oc = wv->shape.dims[0], icg = wv->shape.dims[1];
    const int64_t kh = wv->shape.dims[2], kw = wv->shape.dims[3];
    const int64_t group = vknn_node_attr_int(n, "group", 1);
    const int64_t ic = icg * group, ocg = oc / group;
    const int64_t oc4 = VKNN_DIV_UP(oc, 4), ic4 = VKNN_DIV_UP(ic, 4), taps = kh * kw;
    vknn_tensor_set_shape(t, &(VknnShape){2, {oc4 * ic4 * taps * 4, 4}});
    float *data = g_malloc0(t->bytes);
    g_autofree float *scale = vknn_conv_bn_scale(r, oc);
    for (int64_t o = 0; o < oc; o++) {
        const int64_t g = o / ocg;
        for (int64_t cg = 0; cg < icg; cg++) {
            const int64_t c = g * icg + cg;
            for (int64_t k = 0; k < taps; k++) {
                const int64_t texel = ((o / 4 * ic4 + c / 4) * taps + k) * 4 + c % 4;
                data[texel * 4 + o % 4] = wv->data[(o * icg + cg) * taps + k] * scale[o];
            }
        }
    }
    return data;
}

/* Register tile of an invocation: TX pixels x OCB blocks of 4 channels.
 * Larger tiles fetch less per multiply-add (lavapipe, candy 256x256: 4x1
 * 1020 ms, 8x2 675 ms, 8x4 610 ms; candy 640x480: 8x4 2750 ms, 8x8 2520 ms;
 * 4x8 3160 ms). Rows narrower than the tile would leave lanes idle, so
 * narrow layers (below 24 pixels: SqueezeNet's and MobileNet's 7x7..13x13)
 * take their pixels along the flattened image instead (SqueezeNet's 13x13
 * expand3x3: 4.8 -> 1.2 ms; whole net, best of 20: 55 -> 35-44 ms;
 * flattening the 28..56-pixel layers as well made MobileNetV2 slower).
 * There, 2-pixel tiles beat 8 (more invocations in flight: SqueezeNet's
 * 13x13 classifier 12.9 -> 5.8 ms, MobileNetV2's convolutions 54 -> 46 ms;
 * 1 and 4 pixels were slower). Layers with fewer pixel tiles than a SIMD batch
 * trade channel blocks for invocations (MobileNetV2's 1280 -> 1001 classifier
 * on one pixel: 6.9 -> 1.9 ms). The shader's arrays are sized for the largest
 * tile (8 x 8): larger arrays made every tile 3x slower. Pointwise layers
 * (conv_pointwise) are flattened at every size: they read input pixel q for
 * output pixel q without coordinates or padding tests (SqueezeNet's 1x1
 * layers 10-25% faster: 55x55 16->64 0.41 -> 0.31 ms, the classifier
 * 3.3 -> 2.7 ms; the network 16.8 -> 15.3 ms, MobileNetV2 30.0 -> 25.9 ms,
 * minima of alternating runs). */
/* Invocations a layer should keep busy (lavapipe: 2 threads x 8 lanes, times
 * enough work items to balance). */
#define MIN_INVOCATIONS 256

/* GPU tiles (VknnContext.gpu_tuning; not yet measured on a GPU, see
 * docs/performance.md): 4 pixels x 4 channel blocks, 64 floats of
 * accumulators per invocation, where an NVIDIA GPU keeps several warps per
 * scheduler resident; pixels along the flattened image, so that narrow rows
 * leave no lanes of a 64-wide workgroup idle; channel blocks traded for
 * invocations until a layer has enough to fill the device. */
#define GPU_MIN_INVOCATIONS 16384

static void gpu_conv_tile(const VknnContext *ctx, const VknnTensor *y, int *tx, int *ocb,
                          gboolean *flat)
{
    const int64_t pix = (int64_t)y->h * y->w;
    *tx = (int)MIN(pix, 4);
    /* Rows where the flattened grid would exceed the device's workgroup
     * count (at least 65535; 1080p needs ~8100). */
    *flat = VKNN_DIV_UP(pix, *tx * vknn_tile_local_size(ctx)) <=
            ctx->props.limits.maxComputeWorkGroupCount[0];
    *ocb = y->c4 >= 4 ? 4 : y->c4 >= 2 ? 2 : 1;
    while (*ocb > 1 &&
           VKNN_DIV_UP(pix, *tx) * VKNN_DIV_UP(y->c4, *ocb) * y->n < GPU_MIN_INVOCATIONS)
        *ocb /= 2;
}

/* A 1x1 window at stride 1 without padding or upsampling: output pixel q
 * reads input pixel q (conv2d.comp's POINTWISE, with flattened tiles). */
static gboolean conv_pointwise(const VknnWindow *w, int pad_t, int pad_l, int upsample,
                               const VknnTensor *x, const VknnTensor *y)
{
    return w->k[0] == 1 && w->k[1] == 1 && w->s[0] == 1 && w->s[1] == 1 && pad_t == 0 &&
           pad_l == 0 && upsample <= 1 && x->h == y->h && x->w == y->w;
}

static void conv_tile(const VknnContext *ctx, const VknnTensor *y, gboolean pointwise, int *tx,
                      int *ocb, gboolean *flat)
{
    if (ctx->gpu_tuning) {
        gpu_conv_tile(ctx, y, tx, ocb, flat);
        return;
    }
    const int64_t pix = (int64_t)y->h * y->w;
    *flat = pointwise || y->w < 24;
    *tx = *flat ? (int)MIN(pix, 2) : y->w >= 64 ? 8 : 4;
    const int64_t tiles = *flat ? VKNN_DIV_UP(pix, *tx) : VKNN_DIV_UP(y->w, *tx) * y->h;
    *ocb = y->c4 >= 8 ? 8 : y->c4 >= 4 ? 4 : y->c4 >= 2 ? 2 : 1;
    /* Fewer pixel tiles than one SIMD batch (MobileNet's 7x7 and 1x1 tail):
     * spread the channels over more invocations instead. */
    while (*ocb > 1 && tiles < 8 && tiles * VKNN_DIV_UP(y->c4, *ocb) * y->n < MIN_INVOCATIONS)
        *ocb /= 2;
}

static gboolean conv_window(const VknnRecord *r, VknnWindow *w, int64_t *group, GError **err)
{
    const VknnNode *n = r->step->node;
    int64_t out[2];
    return vknn_conv_params(r->model, n, w, group, err) &&
           vknn_window_output(n, w, &vknn_in_shape(r->model, n, 0)->dims[2], out, err);
}

/* The forward pass stores Winograd tiles as fp16 when the net asks. */
static gboolean half_tiles(const VknnRecord *r)
{
    return r->precision == VKNN_PRECISION_FP16_TILES;
}

static void conv_workspace(const VknnRecord *r, int64_t texels[VKNN_WORKSPACE_SLOTS])
{
    VknnWindow w;
    int64_t group;
    if (conv_window(r, &w, &group, NULL) &&
        vknn_conv_winograd_suits(r->ctx, &w, group, r->in[0], r->out[0]))
        vknn_conv_winograd_workspace(r->ctx, r->in[0], r->out[0], half_tiles(r), texels);
}

/* conv2d.comp with direct weights wt and bias bt from r->in[0] to r->out[0],
 * applying the step's activation: picks the register tile and the kernel's
 * spec constants. norm: the statistics of a fused input normalization, or
 * NULL. */
static gboolean conv2d_direct(VknnRecord *r, const VknnWindow *w, int pad_t, int pad_l,
                              VknnPadMode pad_mode, int upsample, const VknnTensor *norm,
                              VknnActivation norm_act, const VknnTensor *wt, const VknnTensor *bt,
                              GError **err)
{
    const VknnTensor *x = r->in[0], *y = r->out[0];
    const gboolean pointwise = conv_pointwise(w, pad_t, pad_l, upsample, x, y);
    int tx, ocb;
    gboolean flat;
    conv_tile(r->ctx, y, pointwise, &tx, &ocb, &flat);
    const int32_t extra[] = {pad_mode,
                             r->step->act.act,
                             tx,
                             ocb,
                             MAX(upsample, 1),
                             flat,
                             MIN(x->c, 4),
                             vknn_input_norm_mode(norm, norm_act),
                             pointwise && flat};
    /* Without a norm, its binding gets a stand-in the kernel never reads. */
    return vknn_conv_dispatch(r, conv2d_variant(r->ctx), w, extra, G_N_ELEMENTS(extra), pad_t,
                              pad_l, tx, ocb, flat, wt, bt, norm ? norm : bt, err);
}

static gboolean conv_record(VknnRecord *r, GError **err)
{
    VknnWindow w;
    int64_t group;
    if (!conv_window(r, &w, &group, err))
        return FALSE;
    const VknnTensor *x = r->in[0];
    if (group > 1 && group == x->c && vknn_in_shape(r->model, r->step->node, 1)->dims[0] == x->c)
        return vknn_conv_dw_record(r, &w, err);

    int pads[4];
    if (!vknn_conv_effective_pads(r, &w, pads, err))
        return FALSE;
    const VknnStep *st = r->step;
    VknnTensor *norm = NULL;
    if (st->input_norm && !(norm = vknn_instance_norm_stats(r, st->input_norm, x, err)))
        return FALSE;
    if (vknn_conv_winograd_suits(r->ctx, &w, group, x, r->out[0])) {
        VknnTensor *u =
            vknn_record_packed(r, "conv2d.winograd", vknn_conv_winograd_pack, NULL, err);
        VknnTensor *b =
            u ? vknn_record_packed(r, "conv2d.b", vknn_conv_pack_bias, NULL, err) : NULL;
        const VknnWinograd c = {.x = x,
                                .y = r->out[0],
                                .u = u,
                                .bias = b,
                                .pad_t = pads[0],
                                .pad_l = pads[1],
                                .pad_mode = st->pad_mode,
                                .upsample = st->upsample,
                                .act = st->act,
                                .half = half_tiles(r),
                                .norm = norm,
                                .norm_act = st->input_norm_act};
        return b && vknn_conv_winograd_record(r, &c, err);
    }
    VknnTensor *wt = vknn_record_packed(r, "conv2d.w", pack_weights, NULL, err);
    VknnTensor *bt = wt ? vknn_record_packed(r, "conv2d.b", vknn_conv_pack_bias, NULL, err) : NULL;
    if (!bt)
        return FALSE;
    return conv2d_direct(r, &w, pads[0], pads[1], st->pad_mode, st->upsample, norm,
                         st->input_norm_act, wt, bt, err);
}

/* ---- backward ----------------------------------------------------------- */

/* Push constants of the three gradient kernels (each reads a prefix). */
typedef struct {
    int32_t count, ic, ic4, ih, iw;
    int32_t oc4, oh, ow;
    int32_t pad_t, pad_l;
    int32_t icg, ocg;
} GradInputPush;

typedef struct {
    int32_t count, ic4, ih, iw;
    int32_t oc, oc4, oh, ow;
    int32_t pad_t, pad_l;
    int32_t icg, ocg, batch;
    int32_t rows, gw_texels;
} GradWeightPush;

typedef struct {
    int32_t count, chunks;
} GradWeightSumPush;

typedef struct {
    int32_t oc4, hw, batch;
} GradBiasPush;

static const VknnShader grad_input_shader = VKNN_SHADER(conv2d_grad_input, 2, 1, GradInputPush);
static const VknnShader grad_input_shuffle_shader =
    VKNN_SHADER(conv2d_grad_input_shuffle, 2, 1, GradInputPush);
static const VknnShader grad_weight_shader = VKNN_SHADER(conv2d_grad_weight, 2, 1, GradWeightPush);
static const VknnShader grad_weight_sum_shader =
    VKNN_SHADER(conv2d_grad_weight_sum, 1, 1, GradWeightSumPush);
static const VknnShader grad_bias_shader = VKNN_SHADER(conv2d_grad_bias, 1, 1, GradBiasPush);

/* Weights for the input gradient: [ic4][oc4][kh][kw][4 output lanes] vec4
 * over input lanes (the forward packing transposed), folded BN included. */
static float *pack_weights_t(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnNode *n = r->step->node;
    const VknnValue *wv = vknn_node_input(r->model, n, 1);
    const int64_t oc = wv->shape.dims[0], icg = wv->shape.dims[1];
    const int64_t taps = wv->shape.dims[2] * wv->shape.dims[3];
    const int64_t group = vknn_node_attr_int(n, "group", 1);
    const int64_t ic = icg * group, ocg = oc / group;
    const int64_t oc4 = VKNN_DIV_UP(oc, 4), ic4 = VKNN_DIV_UP(ic, 4);
    vknn_tensor_set_shape(t, &(VknnShape){2, {ic4 * oc4 * taps * 4, 4}});
    float *data = g_malloc0(t->bytes);
    g_autofree float *scale = vknn_conv_bn_scale(r, oc);
    for (int64_t o = 0; o < oc; o++)
        for (int64_t cg = 0; cg < icg; cg++) {
            const int64_t c = o / ocg * icg + cg;
            for (int64_t k = 0; k < taps; k++) {
                const int64_t texel = ((c / 4 * oc4 + o / 4) * taps + k) * 4 + o % 4;
                data[texel * 4 + c % 4] = wv->data[(o * icg + cg) * taps + k] * scale[o];
            }
        }
    return data;
}

/* The kernel transposed (input and output channels swapped) and flipped,
 * packed like pack_weights: the input gradient of a stride-1 convolution
 * is a forward convolution of the output gradient with it. */
static float *pack_weights_flipped(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnValue *wv = vknn_node_input(r->model, r->step->node, 1);
    const int64_t oc = wv->shape.dims[0], ic = wv->shape.dims[1];
    const int64_t kh = wv->shape.dims[2], kw = wv->shape.dims[3], taps = kh * kw;
    const int64_t oc4 = VKNN_DIV_UP(oc, 4), ic4 = VKNN_DIV_UP(ic, 4);
    vknn_tensor_set_shape(t, &(VknnShape){2, {ic4 * oc4 * taps * 4, 4}});
    float *data = g_malloc0(t->bytes);
    g_autofree float *scale = vknn_conv_bn_scale(r, oc);
    for (int64_t o = 0; o < oc; o++)
        for (int64_t c = 0; c < ic; c++)
            for (int64_t k = 0; k < taps; k++) {
                const int64_t flipped = (kh - 1 - k / kw) * kw + (kw - 1 - k % kw);
                const int64_t texel = ((c / 4 * oc4 + o / 4) * taps + flipped) * 4 + o % 4;
                data[texel * 4 + c % 4] = wv->data[(o * ic + c) * taps + k] * scale[o];
            }
    return data;
}

static float *pack_zero_bias(const VknnRecord *r, VknnTensor *t, void *user)
{
    const int64_t ic = vknn_node_input(r->model, r->step->node, 1)->shape.dims[1];
    vknn_tensor_set_shape(t, &(VknnShape){2, {VKNN_DIV_UP(ic, 4), 4}});
    return g_malloc0(t->bytes);
}

/* The input gradient of a stride-1, undilated, ungrouped convolution with
 * the register-tiled forward kernel: correlating gy (padded by k - 1 - pad)
 * with the flipped, transposed kernel gives gx, at forward speed (VGG's
 * 3x3 layers at 128x128 on lavapipe: 4-7x faster than the gather kernel). */
static gboolean conv_backward_as_forward(VknnGradRecord *g, const VknnWindow *w, const int pads[4],
                                         GError **err)
{
    VknnStep st = *g->fwd.step;
    st.act = (VknnActivation){VKNN_ACT_NONE, 0, 0};
    VknnRecord r = g->fwd;
    r.step = &st;
    r.in[0] = (VknnTensor *)g->gy[0];
    r.out[0] = g->gx[0];
    const int pad_t = (int)w->k[0] - 1 - pads[0], pad_l = (int)w->k[1] - 1 - pads[1];
    if (vknn_conv_winograd_suits(r.ctx, w, 1, r.in[0], r.out[0])) {
        VknnTensor *u = vknn_record_packed(&r, "conv2d.winograd_flip", vknn_conv_winograd_pack,
                                           GINT_TO_POINTER(TRUE), err);
        VknnTensor *b =
            u ? vknn_record_packed(&r, "conv2d.zero_bias", pack_zero_bias, NULL, err) : NULL;
        const VknnWinograd c = {.x = r.in[0],
                                .y = r.out[0],
                                .u = u,
                                .bias = b,
                                .pad_t = pad_t,
                                .pad_l = pad_l,
                                .act = st.act}; /* fp32: gradients keep full precision */
        return b && vknn_conv_winograd_record(&r, &c, err);
    }
    VknnTensor *wt = vknn_record_packed(&r, "conv2d.wflip", pack_weights_flipped, NULL, err);
    VknnTensor *bt =
        wt ? vknn_record_packed(&r, "conv2d.zero_bias", pack_zero_bias, NULL, err) : NULL;
    if (!bt)
        return FALSE;
    return conv2d_direct(&r, w, pad_t, pad_l, VKNN_PAD_ZERO, 1, NULL, st.act, wt, bt, err);
}

static gboolean conv_backward_check(const VknnGradRecord *g, GError **err)
{
    const VknnStep *st = g->fwd.step;
    if (st->upsample > 1)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, st->node,
                               "no backward pass through a fused nearest upsampling yet");
    if (st->pad_mode != VKNN_PAD_ZERO &&
        (st->pad_extra[0] || st->pad_extra[1] || st->pad_extra[2] || st->pad_extra[3]))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, st->node,
                               "no backward pass through reflection or edge padding yet");
    if (st->fused_bn && (g->gx[1] || g->gx[2]))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, st->node,
                               "weight gradients of a convolution with a folded "
                               "BatchNormalization are not supported");
    return TRUE;
}

/* Invocations a weight-gradient dispatch should have: layers with few
 * weights sum their pixels in row chunks in parallel instead. */
#define WEIGHT_GRAD_INVOCATIONS 2048

static gboolean conv_weight_grad(VknnGradRecord *g, const int32_t spec[6], int64_t group,
                                 const int pads[4], GError **err)
{
    VknnRecord *r = &g->fwd;
    const VknnTensor *x = r->in[0], *gy = g->gy[0];
    VknnTensor *gw = g->gx[1];
    const int32_t dense = group == 1;
    const int64_t oc = gy->c, icg = x->c / group, texels = vknn_tensor_texels(gw);
    const int64_t per_chunk = dense ? (int64_t)gy->c4 * x->c4 * spec[0] * spec[1] : texels;
    const int rows =
        (int)VKNN_DIV_UP(gy->h, MAX(1, MIN(gy->h, WEIGHT_GRAD_INVOCATIONS / per_chunk)));
    const int chunks = (int)VKNN_DIV_UP(gy->h, rows);
    VknnTensor *dst =
        chunks > 1 ? vknn_record_scratch(r, &(VknnShape){2, {chunks * texels, 4}}, err) : gw;
    const int32_t wspec[] = {spec[0], spec[1], spec[2], spec[3], spec[4], spec[5], dense};
    VknnPipeline *p =
        dst ? vknn_op_pipeline(r, &grad_weight_shader, vknn_tile_local_size(r->ctx), wspec, 7, err)
            : NULL;
    if (!p)
        return FALSE;
    GradWeightPush pc = {(int32_t)(per_chunk * chunks),
                         x->c4,
                         x->h,
                         x->w,
                         gy->c,
                         gy->c4,
                         gy->h,
                         gy->w,
                         pads[0],
                         pads[1],
                         (int32_t)icg,
                         (int32_t)(oc / group),
                         gy->n,
                         rows,
                         (int32_t)texels};
    const VknnTensor *bind[] = {x, gy, dst};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    if (chunks == 1)
        return TRUE;
    VknnPipeline *sum = vknn_op_pipeline(r, &grad_weight_sum_shader, 64, NULL, 0, err);
    if (!sum)
        return FALSE;
    GradWeightSumPush spc = {(int32_t)texels, chunks};
    const VknnTensor *sbind[] = {dst, gw};
    vknn_cmd_dispatch_linear(r->cmd, sum, sbind, &spc, texels);
    return TRUE;
}

static gboolean conv_backward(VknnGradRecord *g, GError **err)
{
    VknnRecord *r = &g->fwd;
    const VknnNode *n = r->step->node;
    VknnWindow w;
    int64_t group, out[2];
    int pads[4];
    if (!vknn_conv_params(r->model, n, &w, &group, err) ||
        !vknn_window_output(n, &w, &vknn_in_shape(r->model, n, 0)->dims[2], out, err) ||
        !vknn_conv_effective_pads(r, &w, pads, err) || !conv_backward_check(g, err))
        return FALSE;
    const int32_t spec[] = {(int32_t)w.k[0], (int32_t)w.k[1], (int32_t)w.s[0],
                            (int32_t)w.s[1], (int32_t)w.d[0], (int32_t)w.d[1]};
    const VknnTensor *x = r->in[0], *gy = g->gy[0];
    const int64_t oc = r->out[0]->c, icg = x->c / group;
    const gboolean as_forward = group == 1 && w.s[0] == 1 && w.s[1] == 1 && w.d[0] == 1 &&
                                w.d[1] == 1 && pads[2] < w.k[0] && pads[3] < w.k[1];
    if (g->gx[0] && as_forward && !conv_backward_as_forward(g, &w, pads, err))
        return FALSE;
    if (g->gx[0] && !as_forward) {
        /* Undilated: workgroups along one row and column phase (the
         * shader's WALK grid); dilated: linear. */
        const gboolean walk = w.d[0] == 1 && w.d[1] == 1;
        const VknnShader *sh =
            walk && r->ctx->shuffle_weights ? &grad_input_shuffle_shader : &grad_input_shader;
        const uint32_t local = walk ? vknn_tile_local_size(r->ctx) : 64;
        VknnTensor *wt = vknn_record_packed(r, "conv2d.wt", pack_weights_t, NULL, err);
        VknnPipeline *p = wt ? vknn_op_pipeline(r, sh, local, spec, 6, err) : NULL;
        if (!p)
            return FALSE;
        GradInputPush pc = {(int32_t)vknn_tensor_texels(g->gx[0]),
                            x->c,
                            x->c4,
                            x->h,
                            x->w,
                            gy->c4,
                            gy->h,
                            gy->w,
                            pads[0],
                            pads[1],
                            (int32_t)icg,
                            (int32_t)(oc / group)};
        const VknnTensor *bind[] = {gy, wt, g->gx[0]};
        if (walk)
            vknn_cmd_dispatch(r->cmd, p, bind, &pc,
                              (uint32_t)VKNN_DIV_UP(VKNN_DIV_UP(x->w, w.s[1]), local),
                              (uint32_t)(x->h * w.s[1]), (uint32_t)(x->n * x->c4));
        else
            vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    }
    if (g->gx[1] && !conv_weight_grad(g, spec, group, pads, err))
        return FALSE;
    if (g->gx[2]) {
        VknnPipeline *p =
            vknn_op_pipeline(r, &grad_bias_shader, vknn_tile_local_size(r->ctx), NULL, 0, err);
        if (!p)
            return FALSE;
        GradBiasPush pc = {gy->c4, gy->h * gy->w, gy->n};
        const VknnTensor *bind[] = {gy, g->gx[2]};
        vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.oc4);
    }
    return TRUE;
}

const VknnKernel vknn_kernel_conv = {
    .record = conv_record,
    .workspace = conv_workspace,
    .backward = conv_backward,
};
