/* Depthwise convolution: one filter per channel (Conv with group equal to
 * the channel count and one output per channel), as in MobileNet. */
#include <stdint.h>
#include "conv_dw.comp.spv.h"
#include "conv.h"

static const VknnShader conv_dw_shader = VKNN_SHADER(conv_dw, 3, 1, VknnConvPush);

/* Weights as [c4][kh][kw] vec4, lane = channel. */
static float *pack_weights(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnValue *wv = vknn_node_input(r->model, r->step->node, 1);
    const int64_t c = wv->shape.dims[0], taps = wv->shape.dims[2] * wv->shape.dims[3];
    vknn_tensor_set_shape(t, &(VknnShape){2, {VKNN_DIV_UP(c, 4) * taps, 4}});
    float *data = g_malloc0(t->bytes);
    g_autofree float *scale = g_new(float, c);
    g_autofree float *shift = g_new(float, c);
    vknn_conv_bn_fold(r->model, r->step->fused_bn, c, scale, shift);
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t k = 0; k < taps; k++)
            data[((ch / 4) * taps + k) * 4 + ch % 4] = wv->data[ch * taps + k] * scale[ch];
    return data;
}

gboolean vknn_conv_dw_record(VknnRecord *r, const VknnWindow *w, GError **err)
{
    int pads[4];
    if (!vknn_conv_effective_pads(r, w, pads, err))
        return FALSE;
    VknnTensor *wt = vknn_net_packed(r, "conv_dw.w", pack_weights, NULL, err);
    VknnTensor *bt = wt ? vknn_net_packed(r, "conv2d.b", vknn_conv_pack_bias, NULL, err) : NULL;
    if (!bt)
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    const int tx = 4;
    const int32_t spec[] = {(int32_t)w->k[0],  (int32_t)w->k[1], (int32_t)w->s[0],
                            (int32_t)w->s[1],  (int32_t)w->d[0], (int32_t)w->d[1],
                            r->step->pad_mode, r->step->act.act, tx};
    VknnPipeline *p = vknn_op_pipeline(r, &conv_dw_shader, 8, spec, G_N_ELEMENTS(spec), err);
    if (!p)
        return FALSE;
    VknnConvPush pc = {
        .ic4 = x->c4,
        .ih = x->h,
        .iw = x->w,
        .oc = y->c,
        .oc4 = y->c4,
        .oh = y->h,
        .ow = y->w,
        .pad_t = pads[0],
        .pad_l = pads[1],
        .batch = y->n,
        .alpha = r->step->act.alpha,
        .beta = r->step->act.beta,
    };
    const VknnTensor *bind[] = {x, wt, bt, y};
    vknn_cmd_dispatch(r->cmd, p, bind, &pc, VKNN_DIV_UP(VKNN_DIV_UP(y->w, tx), 8), y->h,
                      y->n * y->c4);
    return TRUE;
}
