/* vknn train: a style network from a painting and a folder of photos;
 * vknn train-decoder: a decoder of an encoder's features. */
#pragma once

#include "cmd.h"
#include "image.h"

#include <vknn/vknn.h>

typedef struct {
    VknnTrainParams params;    /* batch, lr and seed are the run's */
    const CliTrainRun *run;    /* data, length and files */
    const char *style;         /* style images, comma-separated (style networks) */
    const char *decoder_layer; /* train a decoder of loss_net's layer instead */
    int style_size;            /* its shorter side for the Gram matrices */
    double color_jitter;       /* content colours: 0 as they are, 1 any hue */
    gboolean profile;          /* print per-op device times after the first step */
} CliTrainOptions;

/* The library's default parameters with the run's batch, learning rate
 * and seed. */
VknnTrainParams cli_train_run_params(const CliTrainRun *r);

/* Trains to o->run->steps steps (counting those of a resumed checkpoint) and
 * writes the network, the checkpoint, OUT.losses.svg and OUT.preview.png
 * (a stylised or, for a decoder, reconstructed content image). */
gboolean cli_train(VknnContext *ctx, VknnModel *loss_net, const CliTrainOptions *o, GError **err);
