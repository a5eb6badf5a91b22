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
    g_autofree float *scale = vknn_conv_bn_scale(r, c);
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
    VknnTensor *wt = vknn_record_packed(r, "conv_dw.w", pack_weights, NULL, err);
    VknnTensor *bt = wt ? vknn_record_packed(r, "conv2d.b", vknn_conv_pack_bias, NULL, err) : NULL;
    if (!bt)
        return FALSE;
    const int32_t extra[] = {r->step->pad_mode, r->step->act.act, VKNN_CONV_TX};
    return vknn_conv_dispatch(r, &conv_dw_shader, w, extra, G_N_ELEMENTS(extra), pads[0], pads[1],
                              VKNN_CONV_TX, 1, FALSE, wt, bt, NULL, err);
}
