/* Activation helpers shared by unary.c and the executor's fusion pass. */
#pragma once

#include "op.h"

/* Clip bounds of a Clip node (attributes before opset 11, constant inputs
 * after); unbounded sides are +-INFINITY. */
gboolean vknn_clip_bounds(const VknnModel *m, const VknnNode *n, float *lo, float *hi,
                          GError **err);
/* The activation a Relu, LeakyRelu or Clip node computes; FALSE (without
 * setting err) for other ops, FALSE with err for a Clip it cannot fuse. */
gboolean vknn_node_activation(const VknnModel *m, const VknnNode *n, VknnActivation *act,
                              GError **err);
