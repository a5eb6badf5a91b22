/* What the apps that run classifiers share (explain.c, visualize.c): the
 * check of an image input and the softmax probability of one class. */
#pragma once

#include <vknn/model.h>

/* One [1, 3, H, W] input (H, W may be symbolic) and at least one output;
 * errors name the input. */
gboolean vknn_check_image_input(const VknnModel *m, GError **err);

/* Softmax probability of class c of n logits. The largest logit is
 * subtracted first so that exp() cannot overflow; NaN logits count as
 * probability 0; when the largest is +inf, the +inf logits share the
 * probability (the softmax's limit) instead of giving inf - inf = NaN. */
float vknn_softmax_prob(const float *logits, int n, int c);
