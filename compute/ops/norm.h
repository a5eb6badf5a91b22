/* Shared by instance_norm.c and channel_affine.c. */
#pragma once

#include "op.h"

/* Records y = x * scale + shift (+ the step's activation) with params laid
 * out [pn][c4][2] vec4 (scale, shift); per_batch: pn = n, else pn = 1. */
gboolean vknn_channel_affine_record(VknnRecord *r, const VknnTensor *params, gboolean per_batch,
                                    GError **err);

/* The per-channel scale and shift, [n][c4][2] vec4, into which the
 * InstanceNormalization node `norm` folds its statistics of x each run (read
 * by a convolution that normalizes its input: VknnStep.input_norm). */
VknnTensor *vknn_instance_norm_stats(VknnRecord *r, const VknnNode *norm, const VknnTensor *x,
                                     GError **err);
