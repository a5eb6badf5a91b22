/* The kernel registry (exec/kernels.c). */
#pragma once

#include "ops/op.h"

/* The kernel that runs node n (every op of ops.def has one). */
const VknnKernel *vknn_kernel_of(const VknnNode *n);
