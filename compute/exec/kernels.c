/* The kernel registry: the kernel of each op, made from ops.def. */
#include "exec/kernels.h"

#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    extern const VknnKernel vknn_kernel_##name;
#include "ops.def"
#undef VKNN_OP

static const VknnKernel *const kernels[VKNN_OP_COUNT] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    [VKNN_OP_##type] = &vknn_kernel_##name,
#include "ops.def"
#undef VKNN_OP
};

const VknnKernel *vknn_kernel_of(const VknnNode *n)
{
    return kernels[vknn_node_op(n)];
}
