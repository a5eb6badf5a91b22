/* Resize parameters, shared with the executor's Resize -> Conv fusion. */
#pragma once

#include "op.h"

/* The integer factor s (2..4) of a nearest Resize/Upsample of H and W that
 * reads source pixel floor(x / s) — which a convolution can fuse into its
 * input reads — or 0. Needs inferred shapes. */
int vknn_resize_nearest_factor(const VknnModel *m, const VknnNode *n);
