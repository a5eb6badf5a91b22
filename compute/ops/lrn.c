/* LRN: local response normalization across channels. */
#include <stdint.h>
#include "lrn.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t count, hw, c, c4;
    float alpha, beta, bias;
} LrnPush;

static const VknnShader lrn_shader = VKNN_SHADER(lrn, 1, 1, LrnPush);

/* Attributes as lrn_infer (graph/schema/lrn.c) checked them. */
static gboolean lrn_record(VknnRecord *r, GError **err)
{
    const VknnNode *n = r->step->node;
    const int32_t spec[] = {(int32_t)vknn_node_attr_int(n, "size", 0)};
    VknnPipeline *p = vknn_op_pipeline(r, &lrn_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    LrnPush pc = {
        .count = (int32_t)vknn_tensor_texels(y),
        .hw = y->h * y->w,
        .c = y->c,
        .c4 = y->c4,
        .alpha = vknn_node_attr_float(n, "alpha", 1e-4f),
        .beta = vknn_node_attr_float(n, "beta", 0.75f),
        .bias = vknn_node_attr_float(n, "bias", 1.0f),
    };
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_lrn = {.record = lrn_record};
