/* Helpers shared by the convolution kernels: the direct (conv2d.c),
 * Winograd (conv2d_winograd.c), depthwise (conv_dw.c) and transposed
 * (conv_transpose.c) paths. */
#include "conv.h"

#include <string.h>

float *vknn_conv_bn_scale(const VknnRecord *r, int64_t oc)
{
    float *scale = g_new(float, oc);
    g_autofree float *shift = g_new(float, oc);
    vknn_conv_bn_fold(r->model, r->step->fused_bn, oc, scale, shift);
    return scale;
}

float *vknn_conv_pack_bias(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnStep *st = r->step;
    const VknnValue *w = vknn_node_input(r->model, st->node, 1);
    const VknnValue *b = vknn_node_input(r->model, st->node, 2);
    const gboolean transposed = GPOINTER_TO_INT(user);
    const int64_t group = vknn_node_attr_int(st->node, "group", 1);
    const int64_t oc = transposed ? w->shape.dims[1] * group : w->shape.dims[0];
    vknn_tensor_set_shape(t, &(VknnShape){2, {VKNN_DIV_UP(oc, 4), 4}});
    float *data = g_malloc0(t->bytes);
    g_autofree float *scale = g_new(float, oc);
    g_autofree float *shift = g_new(float, oc);
    vknn_conv_bn_fold(r->model, st->fused_bn, oc, scale, shift);
    for (int64_t o = 0; o < oc; o++)
        data[o] = (b ? b->data[o] : 0.0f) * scale[o] + shift[o];
    return data;
}

/* Effective padding: the node's own plus that of a fused Pad node. */
gboolean vknn_conv_effective_pads(VknnRecord *r, const VknnWindow *w, int pads[4], GError **err)
{
    const VknnStep *st = r->step;
    const int ups = MAX(st->upsample, 1), h = r->in[0]->h * ups, w_ = r->in[0]->w * ups;
    for (int i = 0; i < 4; i++)
        pads[i] = (int)(w->pads[i] + st->pad_extra[i]);
    if (st->pad_mode == VKNN_PAD_REFLECT &&
        (pads[0] >= h || pads[2] >= h || pads[1] >= w_ || pads[3] >= w_))
        return vknn_node_error(err, VKNN_ERROR_SHAPE, st->node,
                               "reflection padding of %d pixels needs an input larger than %dx%d",
                               MAX(MAX(pads[0], pads[2]), MAX(pads[1], pads[3])), w_, h);
    return TRUE;
}

gboolean vknn_conv_dispatch(VknnRecord *r, const VknnShader *sh, const VknnWindow *w,
                            const int32_t *extra, int n_extra, int pad_t, int pad_l, int tx,
                            int ocb, gboolean flat, const VknnTensor *weights,
                            const VknnTensor *bias, const VknnTensor *norm, GError **err)
{
    int32_t spec[VKNN_MAX_SPEC] = {(int32_t)w->k[0], (int32_t)w->k[1], (int32_t)w->s[0],
                                   (int32_t)w->s[1], (int32_t)w->d[0], (int32_t)w->d[1]};
    g_assert(6 + n_extra <= VKNN_MAX_SPEC);
    memcpy(spec + 6, extra, sizeof(int32_t) * n_extra);
    const uint32_t local = vknn_tile_local_size(r->ctx);
    VknnPipeline *p = vknn_op_pipeline(r, sh, local, spec, 6 + n_extra, err);
    if (!p)
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    VknnConvPush pc = {
        .ic4 = x->c4,
        .ih = x->h,
        .iw = x->w,
        .oc = y->c,
        .oc4 = y->c4,
        .oh = y->h,
        .ow = y->w,
        .pad_t = pad_t,
        .pad_l = pad_l,
        .batch = y->n,
        .alpha = r->step->act.alpha,
        .beta = r->step->act.beta,
    };
    const VknnTensor *with_norm[] = {x, weights, bias, norm, y}, *plain[] = {x, weights, bias, y};
    const int64_t tiles = flat ? VKNN_DIV_UP((int64_t)y->h * y->w, tx) : VKNN_DIV_UP(y->w, tx);
    vknn_cmd_dispatch(r->cmd, p, norm ? with_norm : plain, &pc, (uint32_t)VKNN_DIV_UP(tiles, local),
                      flat ? 1 : y->h, y->n * VKNN_DIV_UP(y->c4, ocb));
    return TRUE;
}
