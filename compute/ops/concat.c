/* Concat: any axis on the host side; on the device, the channel axis of
 * tensors of rank >= 2 (what CNNs use: Fire modules, Inception). */
#include <stdint.h>
#include "concat.comp.spv.h"
#include "concat_grad.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t count, hw, c_in, ic4, c_off, oc, oc4, span;
} ConcatPush;

static const VknnShader concat_shader = VKNN_SHADER(concat, 1, 1, ConcatPush);

static gboolean concat_record(VknnRecord *r, GError **err)
{
    const VknnNode *n = r->step->node;
    const VknnTensor *y = r->out[0];
    if (vknn_concat_axis(n, y->shape.rank) != 1)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "only concatenation along channels (axis 1) runs on the device");
    VknnPipeline *p = vknn_op_pipeline(r, &concat_shader, 64, NULL, 0, err);
    if (!p)
        return FALSE;
    int c_off = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        const VknnTensor *x = vknn_record_in(r, i, NULL, err);
        if (!x)
            return FALSE;
        const int first = c_off / 4, last = (c_off + x->c - 1) / 4;
        ConcatPush pc = {
            .hw = y->h * y->w,
            .c_in = x->c,
            .ic4 = x->c4,
            .c_off = c_off,
            .oc = y->c,
            .oc4 = y->c4,
            .span = last - first + 1,
        };
        pc.count = y->n * pc.span * pc.hw;
        const VknnTensor *bind[] = {x, y};
        vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
        c_off += x->c;
    }
    return TRUE;
}

typedef struct {
    int32_t count, hw, c, c4, oc4, offset;
} ConcatGradPush;

static const VknnShader concat_grad_shader = VKNN_SHADER(concat_grad, 1, 1, ConcatGradPush);

/* Each input's gradient is its channel slice of the output's. */
static gboolean concat_backward(VknnGradRecord *g, GError **err)
{
    const VknnNode *n = g->fwd.step->node;
    const VknnTensor *gy = g->gy[0];
    VknnPipeline *p = vknn_op_pipeline(&g->fwd, &concat_grad_shader, 64, NULL, 0, err);
    if (!p)
        return FALSE;
    int c_off = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        const int c = (int)vknn_in_shape(g->fwd.model, n, i)->dims[1];
        if (g->gx[i]) {
            const VknnTensor *gx = g->gx[i];
            ConcatGradPush pc = {
                (int32_t)vknn_tensor_texels(gx), gx->h * gx->w, gx->c, gx->c4, gy->c4, c_off};
            const VknnTensor *bind[] = {gy, gx};
            vknn_cmd_dispatch_linear(g->fwd.cmd, p, bind, &pc, pc.count);
        }
        c_off += c;
    }
    return TRUE;
}

static gboolean concat_stacks_channels(const VknnModel *m, const VknnNode *n)
{
    const VknnShape *y = &vknn_node_output(m, n, 0)->shape;
    return y->rank >= 2 && vknn_concat_axis(n, y->rank) == 1;
}

const VknnKernel vknn_kernel_concat = {
    .record = concat_record,
    .backward = concat_backward,
    .stacks_channels = concat_stacks_channels,
};
