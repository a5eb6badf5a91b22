/* Pad parameters, shared with the executor's Pad -> Conv fusion. */
#pragma once

#include "op.h"

/* Reads pads ([x1_begin, x2_begin, ..., x1_end, ...], 2 * rank values), mode
 * and constant value of a Pad node (attributes before opset 11, inputs after). */
gboolean vknn_pad_params(const VknnModel *m, const VknnNode *n, int64_t pads[8], VknnPadMode *mode,
                         float *value, GError **err);
