/* vknn — training feed-forward style networks on the device.
 *
 * A VknnTrainer trains the TransformerNet of Johnson et al. 2016 (the
 * architecture of pytorch/examples fast_neural_style, with a selectable
 * width) to reproduce a style image's textures on any content, with the
 * perceptual losses of Gatys et al. measured by a loss network read from
 * ONNX (e.g. the normalised VGG-19 encoder up to relu3_1):
 *
 *   style    sum over the style layers of mean((G(F(y)) - G(F(s)))^2),
 *            G(F) = F F^T / (C H W) per image (Gram matrices);
 *   content  mean((F_c(y) - F_c(x))^2) at the content layer;
 *   tv       total variation of the output y (sum of squared neighbour
 *            differences), which keeps it smooth;
 *   stability  (when its weight is > 0) mean((y(x) - y(x + n))^2 / 255^2),
 *            n Gaussian noise of stability_noise levels per pixel: the
 *            noise-resilience loss of Gupta et al. 2017, which makes the
 *            network answer small input changes (sensor noise, compression,
 *            lighting) with small output changes, so that video stylised
 *            frame by frame flickers less. Each step then runs the batch
 *            twice, clean and noisy (content, style and tv losses on both);
 *
 * each multiplied by its weight. The forward and backward passes of both
 * networks run on the Vulkan device; the host computes the Gram matrices
 * and the loss gradients at the loss layers (small next to the networks)
 * and takes the Adam step (Kingma & Ba 2015) on the weights, which are then
 * uploaded again.
 *
 * The same trainer trains decoders for universal style transfer
 * (vknn_decoder_trainer_new, vknn/wct.h), with a pixel loss instead of the
 * style loss.
 *
 * Images are float RGB planes in 0..255, [batch, 3, size, size]; the style
 * network's contract is that of docs/model-contract.md (RGB 0..255 in and
 * out), the loss network's input is RGB 0..1 (the trainer divides by 255).
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>
#include <vknn/style.h> /* VKNN_MAX_STYLES */

G_BEGIN_DECLS

/* A TransformerNet with `channels` base channels (8, 16, 32: 32 is the
 * original), input "input" [1, 3, H, W] and output "output", weights
 * initialised as PyTorch does (uniform in +-1/sqrt(fan_in); instance-norm
 * scale 1, shift 0) from `seed`. */
VknnModel *vknn_transformer_net_new(int channels, guint32 seed, GError **err);

typedef struct {
    int channels; /* TransformerNet base width */
    int size;     /* training images are size x size */
    int batch;    /* images per step */
    float lr;     /* Adam learning rate */
    float content_weight, style_weight, tv_weight;
    float pixel_weight;        /* decoders: weight of the pixel loss */
    float stability_weight;    /* 0: no stability loss */
    float stability_noise;     /* its noise's standard deviation, in levels of 0..255 */
    const char *style_layers;  /* comma-separated tensor names of the loss net */
    const char *content_layer; /* tensor name of the loss net */
    guint32 seed;              /* weight initialisation */
} VknnTrainParams;

#define VKNN_TRAIN_PARAMS_DEFAULT                                                                  \
    {                                                                                              \
        .channels = 16, .size = 128, .batch = 1, .lr = 1e-3f, .content_weight = 1.0f,              \
        .style_weight = 1e4f, .tv_weight = 1e-6f, .pixel_weight = 1.0f, .stability_noise = 8.0f,   \
        .style_layers = "relu1_1,relu2_1,relu3_1", .content_layer = "relu2_1", .seed = 1           \
    }

typedef struct {
    int step;        /* steps done, this one included */
    int style_index; /* the style this step trained */
    double content, style, tv, stability, total;
    double pixel; /* decoders */
} VknnTrainLosses;

typedef struct VknnTrainer VknnTrainer;

/* Prepares training on ctx with loss_net (borrowed; outlives the trainer)
 * for the style image style (3 x height x width planes, 0..255), whose Gram
 * matrices are computed here once. */
VknnTrainer *vknn_trainer_new(VknnContext *ctx, VknnModel *loss_net, const float *style, int width,
                              int height, const VknnTrainParams *params, GError **err);
/* A decoder for universal style transfer (vknn/wct.h): from the features of
 * `layer` of an encoder (RGB 0..1 in, e.g. builtin:vgg19_relu3_1; borrowed,
 * outlives the trainer) back to the image, trained to reconstruct content
 * images (Li et al. 2017): pixel_weight * mean((y - x)^2) in 0..1 units
 * plus content_weight * mean((E(y) - E(x))^2) at the layer, E the encoder
 * (and tv_weight's total variation of y in 0..1 units). The decoder is
 * vknn_decoder_net_new(channels of the layer, params->channels); steps
 * take content images as for style networks, size a multiple of 4. */
VknnTrainer *vknn_decoder_trainer_new(VknnContext *ctx, VknnModel *encoder, const char *layer,
                                      const VknnTrainParams *params, GError **err);

/* The decoder of universal style transfer at relu3_1 (the mirror of VGG-19
 * to relu3_1, as in Li et al. 2017): reflection-padded 3x3 convolutions
 * in_channels -> 2w, nearest x2, 2w -> 2w, 2w -> w, nearest x2, w -> w,
 * w -> 3, ReLUs between; input "input" [1, in_channels, h, w], output
 * "output" [1, 3, 4h, 4w] RGB 0..1 (not clamped). width 64 is the
 * original's (128, 128, 64, 64 channels). */
VknnModel *vknn_decoder_net_new(int in_channels, int width, guint32 seed, GError **err);

/* Several styles in one network (conditional instance normalisation,
 * Dumoulin et al. 2017): shared convolutions, one set of instance-norm
 * scales and shifts per style, trained in turn (step k trains style
 * k mod n_styles). The saved network keeps style s's parameters as
 * NAME@s next to style 0's NAME (vknn_style_count, docs/model-contract.md),
 * and VknnStyler blends them. */
VknnTrainer *vknn_trainer_new_multi(VknnContext *ctx, VknnModel *loss_net, int n_styles,
                                    const float *const *styles, const int *widths,
                                    const int *heights, const VknnTrainParams *params,
                                    GError **err);
void vknn_trainer_free(VknnTrainer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnTrainer, vknn_trainer_free)

/* One optimisation step on a batch of content images (params->batch x 3 x
 * size x size, 0..255). The stability loss's noise is drawn from the seed
 * and the step count, so a resumed run draws the same noise. */
gboolean vknn_trainer_step(VknnTrainer *t, const float *content, VknnTrainLosses *losses,
                           GError **err);

/* Steps done so far (restored by a checkpoint). */
int vknn_trainer_steps_done(const VknnTrainer *t);

/* The style network with the current weights (owned by the trainer; valid
 * until the next step): save it with vknn_model_save, or run it. */
VknnModel *vknn_trainer_model(VknnTrainer *t);

/* Profiling of the joined network's passes (see vknn_net_set_profiling):
 * per-step device times of the last step's forward or backward pass. */
void vknn_trainer_set_profiling(VknnTrainer *t, gboolean enable);
GArray *vknn_trainer_profile(VknnTrainer *t, gboolean backward, GError **err);

/* Starts from the weights of an existing style network instead of the
 * random initialisation (fine-tuning, e.g. with a stability weight): its
 * Conv and InstanceNormalization weights, in graph order, must have this
 * TransformerNet's shapes (a pytorch/examples network of the same width
 * does). Every style of a multi-style trainer starts from them. Call before
 * the first step; Adam's moments stay zero. */
gboolean vknn_trainer_init_weights(VknnTrainer *t, const VknnModel *from, GError **err);

/* Checkpoints: weights, Adam moments and the step count, so that training
 * resumed from one continues exactly as if it had not stopped (given the
 * same content images in the same order). */
gboolean vknn_trainer_save_checkpoint(VknnTrainer *t, const char *path, GError **err);
gboolean vknn_trainer_load_checkpoint(VknnTrainer *t, const char *path, GError **err);

G_END_DECLS
