/* Ops that only reinterpret the shape: Flatten, Reshape, Identity, Dropout
 * (inference). The executor aliases the output to the input when the
 * channel-packed layouts agree; otherwise relayout.comp copies. */
#include <stdint.h>
#include "relayout.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t count;
    int32_t pad_[3];
    int32_t out_dims[4], in_dims[4];
} RelayoutPush;

static const VknnShader relayout_shader = VKNN_SHADER(relayout, 1, 1, RelayoutPush);

static gboolean relayout_record(VknnRecord *r, GError **err)
{
    VknnTensor *x = vknn_record_in(r, 0, NULL, err);
    if (!x)
        return FALSE;
    const VknnTensor *y = r->out[0];
    VknnPipeline *p = vknn_op_pipeline(r, &relayout_shader, 64, NULL, 0, err);
    if (!p)
        return FALSE;
    RelayoutPush pc = {.count = (int32_t)vknn_tensor_texels(y)};
    vknn_tensor_dims(y, pc.out_dims);
    vknn_tensor_dims(x, pc.in_dims);
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_identity = {.record = relayout_record};
const VknnKernel vknn_kernel_dropout = {.record = relayout_record};
const VknnKernel vknn_kernel_flatten = {.record = relayout_record};
const VknnKernel vknn_kernel_reshape = {.record = relayout_record};
