/* Shared by the convolution ops (conv2d.c, conv_dw.c, conv_transpose.c). */
#pragma once

#include "op.h"
#include "window.h"

/* Output pixels along x computed by one invocation of conv_dw. */
#define VKNN_CONV_TX 4

/* Push constants of conv2d.comp, conv_dw.comp and conv_transpose.comp. */
typedef struct {
    int32_t ic4, ih, iw;
    int32_t oc, oc4, oh, ow;
    int32_t pad_t, pad_l;
    int32_t batch;
    float alpha, beta;
} VknnConvPush;
_Static_assert(sizeof(VknnConvPush) <= 128, "push constants exceed the guaranteed 128 bytes");

/* Validates a Conv node's inputs and reads its window and group. */
gboolean vknn_conv_params(const VknnModel *m, const VknnNode *n, VknnWindow *w, int64_t *group,
                          GError **err);
/* Node pads plus those of a fused Pad; checks reflection fits the input. */
gboolean vknn_conv_effective_pads(VknnRecord *r, const VknnWindow *w, int pads[4], GError **err);
/* Per-output-channel scale and shift of a BatchNormalization folded into a
 * convolution (identity when bn is NULL). */
void vknn_conv_bn_fold(const VknnModel *m, const VknnNode *bn, int64_t oc, float *scale,
                       float *shift);
/* Bias (with a folded BatchNormalization) as [oc4] vec4. user: TRUE for
 * ConvTranspose weights [ic, oc/group, kh, kw]. */
float *vknn_conv_pack_bias(const VknnRecord *r, VknnTensor *t, void *user);
/* Records a convolution kernel (conv2d, conv_dw, conv_transpose): spec
 * constants kernel, stride, dilation followed by `extra` (padding mode,
 * activation, tile width...), the shared push constants, and a grid of
 * ceil(ow / tx / 8) x oh x n * ceil(oc4 / ocb), or with flat tiles
 * ceil(oh * ow / tx / 8) x 1 x n * ceil(oc4 / ocb). */
gboolean vknn_conv_dispatch(VknnRecord *r, const VknnShader *sh, const VknnWindow *w,
                            const int32_t *extra, int n_extra, int pad_t, int pad_l, int tx,
                            int ocb, gboolean flat, const VknnTensor *weights,
                            const VknnTensor *bias, GError **err);
/* Records a depthwise convolution (group == channels == outputs). */
gboolean vknn_conv_dw_record(VknnRecord *r, const VknnWindow *w, GError **err);
