/* Lowering of a model into executor steps (see lower.c). */
#pragma once

#include "ops/op.h"

/* Steps (VknnStep) for the model at its inferred shapes. pinned[v]: value v
 * must be materialised (graph outputs, tensors kept for reading), so no
 * fusion may hide it. for_backward: keep reflect/edge Pads and nearest
 * Resizes as steps of their own (their backward kernels are separate; the
 * convolution's input-gradient kernel knows only zero padding). */
GArray *vknn_lower(const VknnModel *m, const gboolean *pinned, gboolean for_backward);
