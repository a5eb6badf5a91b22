/* ConvTranspose: transposed 2D convolution ("deconvolution"), group 1. */
#include <stdint.h>
#include "conv_transpose.comp.spv.h"
#include "conv.h"

static const VknnShader conv_transpose_shader = VKNN_SHADER(conv_transpose, 3, 1, VknnConvPush);

/* Weights [ic][oc][kh][kw] as [oc4][ic4][kh][kw][4 input lanes] vec4 over output lanes. */
static float *pack_weights(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnValue *wv = vknn_node_input(r->model, r->step->node, 1);
    const int64_t ic = wv->shape.dims[0], oc = wv->shape.dims[1];
    const int64_t taps = wv->shape.dims[2] * wv->shape.dims[3];
    const int64_t oc4 = VKNN_DIV_UP(oc, 4), ic4 = VKNN_DIV_UP(ic, 4);
    vknn_tensor_set_shape(t, &(VknnShape){2, {oc4 * ic4 * taps * 4, 4}});
    float *data = g_malloc0(t->bytes);
    for (int64_t c = 0; c < ic; c++)
        for (int64_t o = 0; o < oc; o++)
            for (int64_t k = 0; k < taps; k++) {
                const int64_t texel = ((o / 4 * ic4 + c / 4) * taps + k) * 4 + c % 4;
                data[texel * 4 + o % 4] = wv->data[(c * oc + o) * taps + k];
            }
    return data;
}

static gboolean ct_record(VknnRecord *r, GError **err)
{
    VknnWindow w;
    int64_t out[2];
    if (!vknn_conv_transpose_params(r->model, r->step->node, &w, out, err))
        return FALSE;
    VknnTensor *wt = vknn_record_packed(r, "conv_transpose.w", pack_weights, NULL, err);
    VknnTensor *bt = wt ? vknn_record_packed(r, "conv_transpose.b", vknn_conv_pack_bias,
                                             GINT_TO_POINTER(TRUE), err)
                        : NULL;
    if (!bt)
        return FALSE;
    const int32_t extra[] = {r->step->act.act};
    return vknn_conv_dispatch(r, &conv_transpose_shader, &w, extra, G_N_ELEMENTS(extra),
                              (int)w.pads[0], (int)w.pads[1], 1, 1, FALSE, wt, bt, NULL, err);
}

const VknnKernel vknn_kernel_conv_transpose = {.record = ct_record};
