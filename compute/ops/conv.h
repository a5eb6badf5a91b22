/* Shared by the convolution kernels (conv2d.c, conv2d_winograd.c, conv_dw.c,
 * conv_transpose.c; conv_common.c). */
#pragma once

#include "op.h"
#include "graph/params.h"

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

/* Node pads plus those of a fused Pad; checks reflection fits the input. */
gboolean vknn_conv_effective_pads(VknnRecord *r, const VknnWindow *w, int pads[4], GError **err);
/* The weight scale per output channel of the step's folded BatchNormalization
 * (all 1 without one); g_free it. */
float *vknn_conv_bn_scale(const VknnRecord *r, int64_t oc);
/* Bias (with a folded BatchNormalization) as [oc4] vec4. user: TRUE for
 * ConvTranspose weights [ic, oc/group, kh, kw]. */
float *vknn_conv_pack_bias(const VknnRecord *r, VknnTensor *t, void *user);
/* Records a convolution kernel (conv2d, conv_dw, conv_transpose): spec
 * constants kernel, stride, dilation followed by `extra` (padding mode,
 * activation, tile width...), the shared push constants, and a grid of
 * ceil(ow / tx / 8) x oh x n * ceil(oc4 / ocb), or with flat tiles
 * ceil(oh * ow / tx / 8) x 1 x n * ceil(oc4 / ocb). Bindings: input,
 * weights, bias, norm (only when not NULL: conv2d's input normalization),
 * output. */
gboolean vknn_conv_dispatch(VknnRecord *r, const VknnShader *sh, const VknnWindow *w,
                            const int32_t *extra, int n_extra, int pad_t, int pad_l, int tx,
                            int ocb, gboolean flat, const VknnTensor *weights,
                            const VknnTensor *bias, const VknnTensor *norm, GError **err);
/* Spec constant INPUT_NORM of the kernels that normalize their input while
 * reading it: 0 no norm, 1 scale and shift, 2 then Relu. */
static inline int32_t vknn_input_norm_mode(const VknnTensor *norm, VknnActivation act)
{
    return !norm ? 0 : act.act == VKNN_ACT_RELU ? 2 : 1;
}

/* Winograd F(4x4, 3x3) (conv2d_winograd.c). */
typedef struct {
    const VknnTensor *x; /* input, read with padding and upsampling */
    VknnTensor *y;
    const VknnTensor *u;    /* vknn_conv_winograd_pack */
    const VknnTensor *bias; /* [oc4] vec4 */
    int pad_t, pad_l;
    VknnPadMode pad_mode;
    int upsample; /* fused nearest upsampling factor (0 or 1: none) */
    VknnActivation act;
    gboolean half; /* tiles and products stored as fp16 (VKNN_PRECISION_FP16_TILES) */
    /* Input normalized while read: vknn_instance_norm_stats of a fused norm
     * (NULL: none), then norm_act (none or Relu). */
    const VknnTensor *norm;
    VknnActivation norm_act;
} VknnWinograd;

/* Whether a convolution (window, group, tensors) should run as Winograd:
 * 3x3, stride 1, undilated, ungrouped, enough channels for the device. The environment
 * variable VKNN_WINOGRAD=0 turns it off (for measurements). */
gboolean vknn_conv_winograd_suits(const VknnContext *ctx, const VknnWindow *w, int64_t group,
                                  const VknnTensor *x, const VknnTensor *y);
/* Transformed weights [36][oc4][ic4][4] vec4 of the step's Conv; user:
 * TRUE for the transposed, flipped kernel (input gradient). */
float *vknn_conv_winograd_pack(const VknnRecord *r, VknnTensor *t, void *user);
gboolean vknn_conv_winograd_record(VknnRecord *r, const VknnWinograd *c, GError **err);
/* Raises texels[] to the workspace vknn_conv_winograd_record needs. */
void vknn_conv_winograd_workspace(VknnContext *ctx, const VknnTensor *x, const VknnTensor *y,
                                  gboolean half, int64_t texels[VKNN_WORKSPACE_SLOTS]);
/* Records a depthwise convolution (group == channels == outputs). */
gboolean vknn_conv_dw_record(VknnRecord *r, const VknnWindow *w, GError **err);
