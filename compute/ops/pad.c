/* Pad: constant, reflect or edge padding. A Pad that feeds a convolution is
 * fused into it by the executor; this kernel runs the rest, on H and W. */
#include <stdint.h>
#include "pad.comp.spv.h"
#include "pad_grad.comp.spv.h"
#include "op.h"

#include <string.h>

typedef struct {
    int32_t count, c, c4, ih, iw, oh, ow, pad_t, pad_l;
    float value;
} PadPush;

static const VknnShader pad_shader = VKNN_SHADER(pad, 1, 1, PadPush);

static gboolean pad_record(VknnRecord *r, GError **err)
{
    const VknnNode *n = r->step->node;
    int64_t pads[8];
    VknnPadMode mode;
    float value;
    if (!vknn_pad_params(r->model, n, pads, &mode, &value, err))
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    if (x->shape.rank != 4 || pads[0] || pads[1] || pads[4] || pads[5])
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "only padding of H and W of 4D tensors runs on the device");
    const int32_t spec[] = {mode};
    VknnPipeline *p = vknn_op_pipeline(r, &pad_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    PadPush pc = {
        .count = (int32_t)vknn_tensor_texels(y),
        .c = y->c,
        .c4 = y->c4,
        .ih = x->h,
        .iw = x->w,
        .oh = y->h,
        .ow = y->w,
        .pad_t = (int32_t)pads[2],
        .pad_l = (int32_t)pads[3],
        .value = value,
    };
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

typedef struct {
    int32_t count, ih, iw, oh, ow, pad_t, pad_l, pad_b, pad_r;
} PadGradPush;

static const VknnShader pad_grad_shader = VKNN_SHADER(pad_grad, 1, 1, PadGradPush);

/* Each input pixel collects the gradients of the output pixels that read it. */
static gboolean pad_backward(VknnGradRecord *g, GError **err)
{
    const VknnNode *n = g->fwd.step->node;
    int64_t pads[8];
    VknnPadMode mode;
    float value;
    if (!vknn_pad_params(g->fwd.model, n, pads, &mode, &value, err))
        return FALSE;
    const VknnTensor *gy = g->gy[0], *gx = g->gx[0];
    if (gx->shape.rank != 4 || pads[0] || pads[1] || pads[4] || pads[5])
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "only padding of H and W of 4D tensors runs on the device");
    const int32_t spec[] = {mode};
    VknnPipeline *p = vknn_op_pipeline(&g->fwd, &pad_grad_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    PadGradPush pc = {(int32_t)vknn_tensor_texels(gx),
                      gx->h,
                      gx->w,
                      gy->h,
                      gy->w,
                      (int32_t)pads[2],
                      (int32_t)pads[3],
                      (int32_t)pads[6],
                      (int32_t)pads[7]};
    const VknnTensor *bind[] = {gy, gx};
    vknn_cmd_dispatch_linear(g->fwd.cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_pad = {.record = pad_record, .backward = pad_backward};
