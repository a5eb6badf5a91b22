/* GlobalAveragePool and GlobalMaxPool: one value per (n, c). */
#include <stdint.h>
#include "global_pool.comp.spv.h"
#include "global_pool_grad.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t hw, blocks;
} GlobalPoolPush;

static const VknnShader global_pool_shader = VKNN_SHADER(global_pool, 1, 1, GlobalPoolPush);

typedef struct {
    int32_t count, hw;
} GlobalPoolGradPush;

static const VknnShader global_pool_grad_shader =
    VKNN_SHADER(global_pool_grad, 1, 1, GlobalPoolGradPush);

/* One invocation per block when there are enough blocks to fill the device
 * and each is small: SqueezeNet's 250 blocks of 13x13 0.54-0.79 -> 0.1 ms on
 * lavapipe, where a workgroup's barriers cost more than its sums. */
static gboolean serial_blocks(const VknnTensor *x)
{
    return x->n * x->c4 >= 64 && x->h * x->w <= 4096;
}

static gboolean global_pool_record(VknnRecord *r, GError **err)
{
    const VknnTensor *x = r->in[0], *y = r->out[0];
    const gboolean serial = serial_blocks(x);
    const int32_t spec[] = {vknn_node_op(r->step->node) == VKNN_OP_GlobalMaxPool, serial};
    const uint32_t local = serial ? 8 : vknn_reduce_local_size(r->ctx);
    VknnPipeline *p = vknn_op_pipeline(r, &global_pool_shader, local, spec, 2, err);
    if (!p)
        return FALSE;
    GlobalPoolPush pc = {.hw = x->h * x->w, .blocks = x->n * x->c4};
    const VknnTensor *bind[] = {x, y};
    if (serial)
        vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.blocks);
    else
        vknn_cmd_dispatch(r->cmd, p, bind, &pc, pc.blocks, 1, 1);
    return TRUE;
}

static gboolean global_average_pool_backward(VknnGradRecord *g, GError **err)
{
    VknnPipeline *p = vknn_op_pipeline(&g->fwd, &global_pool_grad_shader, 64, NULL, 0, err);
    if (!p)
        return FALSE;
    const VknnTensor *gx = g->gx[0];
    GlobalPoolGradPush pc = {(int32_t)vknn_tensor_texels(gx), gx->h * gx->w};
    const VknnTensor *bind[] = {g->gy[0], gx};
    vknn_cmd_dispatch_linear(g->fwd.cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_global_average_pool = {
    .record = global_pool_record,
    .backward = global_average_pool_backward,
};
const VknnKernel vknn_kernel_global_max_pool = {.record = global_pool_record};
