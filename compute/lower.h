/* Lowering of a model into executor steps (see lower.c). */
#pragma once

#include "ops/op.h"

/* Steps (VknnStep) for the model at its inferred shapes. pinned[v]: value v
 * must be materialised (graph outputs, tensors kept for reading), so no
 * fusion may hide it. */
GArray *vknn_lower(const VknnModel *m, const gboolean *pinned);
