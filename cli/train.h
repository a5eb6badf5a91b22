/* vknn train: a style network from a painting and a folder of photos;
 * vknn train-decoder: a decoder of an encoder's features. */
#pragma once

#include "image.h"

#include <vknn/vknn.h>

typedef struct {
    VknnTrainParams params;
    const char *style;         /* style images, comma-separated (style networks) */
    const char *decoder_layer; /* train a decoder of loss_net's layer instead */
    int style_size;            /* its shorter side for the Gram matrices */
    const char *content;       /* folder of content images */
    const char *out;           /* the trained network, ONNX */
    const char *checkpoint;    /* written every checkpoint_every steps and at the end */
    const char *resume;        /* checkpoint to continue from, or NULL */
    const char *init;          /* style network to start from (fine-tuning), or NULL */
    int steps, checkpoint_every, preview_every;
    gboolean profile; /* print per-op device times after the first step */
} CliTrainOptions;

/* Trains to o->steps steps (counting those of a resumed checkpoint) and
 * writes the network, the checkpoint, OUT.losses.svg and OUT.preview.png
 * (a stylised or, for a decoder, reconstructed content image). */
gboolean cli_train(VknnContext *ctx, VknnModel *loss_net, const CliTrainOptions *o, GError **err);
