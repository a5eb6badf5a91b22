/* Resize (opset 10+) and Upsample: nearest and (bi)linear on H and W. */
#include <stdint.h>
#include "resize.comp.spv.h"
#include "resize_grad.comp.spv.h"
#include "op.h"

#include <math.h>
#include <string.h>

typedef struct {
    int32_t count, ih, iw, oh, ow;
    float scale_h, scale_w;
} ResizePush;

static const VknnShader resize_shader = VKNN_SHADER(resize, 1, 1, ResizePush);

static gboolean resize_record(VknnRecord *r, GError **err)
{
    VknnResizeParams p;
    if (!vknn_resize_params(r->model, r->step->node, &p, err))
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    if (x->shape.rank != 4 || x->n != y->n || x->c != y->c)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, r->step->node,
                               "only resizing H and W of 4D tensors runs on the device");
    const int32_t spec[] = {p.linear, p.ctm, p.nearest};
    VknnPipeline *pl = vknn_op_pipeline(r, &resize_shader, 64, spec, 3, err);
    if (!pl)
        return FALSE;
    ResizePush pc = {
        .count = (int32_t)vknn_tensor_texels(y),
        .ih = x->h,
        .iw = x->w,
        .oh = y->h,
        .ow = y->w,
        .scale_h = p.scales[2],
        .scale_w = p.scales[3],
    };
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, pl, bind, &pc, pc.count);
    return TRUE;
}

typedef struct {
    int32_t count, ih, iw;
} ResizeGradPush;

static const VknnShader resize_grad_shader = VKNN_SHADER(resize_grad, 1, 1, ResizeGradPush);

/* Nearest upsampling by an integer factor (TransformerNet's decoder): each
 * input pixel collects the gradients of its copies. */
static gboolean resize_backward(VknnGradRecord *g, GError **err)
{
    const VknnNode *n = g->fwd.step->node;
    const int factor = vknn_resize_nearest_factor(g->fwd.model, n);
    if (!factor)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "backward pass only for nearest upsampling by 2, 3 or 4");
    const int32_t spec[] = {factor};
    VknnPipeline *p = vknn_op_pipeline(&g->fwd, &resize_grad_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    const VknnTensor *gx = g->gx[0];
    ResizeGradPush pc = {(int32_t)vknn_tensor_texels(gx), gx->h, gx->w};
    const VknnTensor *bind[] = {g->gy[0], gx};
    vknn_cmd_dispatch_linear(g->fwd.cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_resize = {.record = resize_record, .backward = resize_backward};
const VknnKernel vknn_kernel_upsample = {.record = resize_record, .backward = resize_backward};
