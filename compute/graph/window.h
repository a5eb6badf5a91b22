/* Sliding-window parameters shared by Conv, ConvTranspose and the pools. */
#pragma once

#include <vknn/model.h>

typedef enum {
    VKNN_AUTO_PAD_NOTSET,
    VKNN_AUTO_PAD_VALID,
    VKNN_AUTO_PAD_SAME_UPPER,
    VKNN_AUTO_PAD_SAME_LOWER,
} VknnAutoPad;

typedef struct {
    int64_t k[2], s[2], d[2]; /* kernel, stride, dilation: [h, w] */
    int64_t pads[4];          /* [top, left, bottom, right], resolved by vknn_window_output */
    VknnAutoPad auto_pad;
    gboolean ceil_mode;
} VknnWindow;

/* Reads kernel_shape (or takes kernel_dims when the attribute is absent),
 * strides, dilations, pads, auto_pad and ceil_mode. */
gboolean vknn_window_parse(const VknnNode *n, const int64_t *kernel_dims, VknnWindow *w,
                           GError **err);
/* Resolves auto_pad for input size in[h, w] and computes the output size. */
gboolean vknn_window_output(const VknnNode *n, VknnWindow *w, const int64_t in[2], int64_t out[2],
                            GError **err);
