/* Softmax along one axis (opset 13), or over the flattened trailing axes
 * (opsets < 13). */
#include <stdint.h>
#include "softmax.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t count, len, inner;
    int32_t pad_;
    int32_t dims[4];
} SoftmaxPush;

static const VknnShader softmax_shader = VKNN_SHADER(softmax, 1, 1, SoftmaxPush);

static gboolean softmax_record(VknnRecord *r, GError **err)
{
    int64_t outer, len, inner;
    if (!vknn_softmax_view(r->model, r->step->node, &outer, &len, &inner, err))
        return FALSE;
    VknnPipeline *p = vknn_op_pipeline(r, &softmax_shader, 64, NULL, 0, err);
    if (!p)
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    SoftmaxPush pc = {
        .count = (int32_t)(outer * inner),
        .len = (int32_t)len,
        .inner = (int32_t)inner,
    };
    vknn_tensor_dims(y, pc.dims);
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_softmax = {.record = softmax_record};
