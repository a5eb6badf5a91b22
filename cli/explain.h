/* vknn explain: saliency maps of a classifier drawn onto its input crop. */
#pragma once

#include "image.h"

#include <vknn/vknn.h>

typedef struct {
    VknnExplainParams params;
    gboolean all; /* one panel per method, side by side */
    VknnColormap colormap;
    float alpha;
    char **labels; /* class names, or NULL */
    int n_labels;
    const char *save_map; /* also write the raw map(s) as float32 */
} CliExplainOptions;

/* Whether the device can hold the network at the crop size fp gives, for
 * the first method asked for (planned with nothing run): FALSE with
 * VKNN_ERROR_DEVICE_LIMIT naming the estimate and the budget. Called
 * before the crop is made, which costs as much memory as the photo. */
gboolean cli_explain_fits(VknnContext *ctx, VknnModel *model, const VknnFrameInputParams *fp,
                          const CliExplainOptions *o, GError **err);

/* Explains input (preprocessed by fp, [1, 3, fp->height, fp->width]) and
 * writes the image at out_path (cli_image_save); prints the top-5 classes
 * and each method's time. */
gboolean cli_explain(VknnContext *ctx, VknnModel *model, const float *input,
                     const VknnFrameInputParams *fp, const CliExplainOptions *o,
                     const char *out_path, GError **err);
