/* vknn — images synthesised by optimisation through a network's features.
 *
 *   feature inversion  (Mahendran & Vedaldi 2015) an image whose features at
 *                      one layer match a photo's, from noise, with total
 *                      variation and alpha-norm regularisers: what the
 *                      layer keeps of the photo;
 *   texture synthesis  (Gatys et al. 2015) an image whose Gram matrices at
 *                      several layers match a texture's, from noise;
 *   style transfer     (Gatys et al. 2016) both: a content photo's features
 *                      at one layer and a style image's Gram matrices.
 *
 * One objective, chosen by which layers and weights are given:
 *
 *   loss = content_weight * ||F_c(x) - F_c(content)||^2 / ||F_c(content)||^2
 *        + style_weight / L * sum over the L style layers l of
 *              ||G_l(x) - G_l(style)||^2 / ||G_l(style)||^2
 *        + tv_weight * sum (dx^2 + dy^2) / (H W)       over the 3 planes
 *        + alpha_weight * mean over pixels of (|x_ij - m| / B)^alpha
 *
 * with F a layer's activations, G = F F^T / (C H W) its Gram matrix, x the
 * image in pixels 0..1, m ImageNet's mean colour and B = 80/255 the typical
 * pixel norm of natural images (Mahendran & Vedaldi's normalisation). The
 * feature and Gram terms are relative, so that every term starts near 1 and
 * weights carry over between layers and networks. The losses and Adam are
 * those of vknn train (Gram, content, TV; apps/losses.h, apps/optim.h):
 * the image is one more trainable tensor.
 *
 * The network's forward and backward passes run on the device (one of each
 * a step, every loss layer seeded in one backward pass); the host computes
 * the Gram matrices and the losses' gradients at the layers and takes the
 * Adam step on the image. The model's input is (pixel - mean) / std, the
 * mean and std of a VknnFrameInputParams (its size and mode not used).
 * Not thread-safe: one synthesizer per thread.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>
#include <vknn/overlay.h> /* VknnFrameInputParams */

G_BEGIN_DECLS

typedef struct {
    const char *content_layer; /* NULL: no content (feature) term */
    const char *style_layers;  /* comma-separated; NULL: no Gram terms */
    float content_weight, style_weight, tv_weight, alpha_weight;
    float alpha; /* the alpha-norm's exponent (6), >= 1 */
} VknnSynthParams;

/* Feature inversion at a layer (set content_layer): Mahendran & Vedaldi's
 * alpha = 6, with TV and alpha-norm weights that keep early layers sharp. */
#define VKNN_SYNTH_INVERSION_DEFAULT                                                               \
    {                                                                                              \
        .content_layer = NULL, .style_layers = NULL, .content_weight = 1.0f, .style_weight = 0.0f, \
        .tv_weight = 0.5f, .alpha_weight = 1e-3f, .alpha = 6.0f                                    \
    }

/* Texture synthesis at the VGG encoder's layers. */
#define VKNN_SYNTH_TEXTURE_DEFAULT                                                                 \
    {                                                                                              \
        .content_layer = NULL, .style_layers = "relu1_1,relu2_1,relu3_1", .content_weight = 0.0f,  \
        .style_weight = 1.0f, .tv_weight = 0.0f, .alpha_weight = 0.0f, .alpha = 6.0f               \
    }

/* Style transfer with the VGG encoder (which ends at relu3_1: the content
 * layer is the deepest it has). */
#define VKNN_SYNTH_STYLE_TRANSFER_DEFAULT                                                          \
    {                                                                                              \
        .content_layer = "relu3_1", .style_layers = "relu1_1,relu2_1,relu3_1",                     \
        .content_weight = 1.0f, .style_weight = 10.0f, .tv_weight = 0.1f, .alpha_weight = 0.0f,    \
        .alpha = 6.0f                                                                              \
    }

typedef struct VknnSynthesizer VknnSynthesizer;

/* A network on ctx for the objective of params (model and ctx outlive it;
 * the layer names are copied). A layer the model lacks is
 * VKNN_ERROR_NOT_FOUND, naming it; negative or non-finite weights, an
 * alpha below 1, or no term at all are VKNN_ERROR_FAILED. */
VknnSynthesizer *vknn_synthesizer_new(VknnContext *ctx, VknnModel *model,
                                      const VknnFrameInputParams *input,
                                      const VknnSynthParams *params, GError **err);
void vknn_synthesizer_free(VknnSynthesizer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnSynthesizer, vknn_synthesizer_free)

/* The content target: the content layer's features of image (3 x height x
 * width pixels 0..1). The image optimised must then have its size. */
gboolean vknn_synthesizer_set_content(VknnSynthesizer *s, const float *image, int width, int height,
                                      GError **err);

/* The style target: Gram matrices of image (any size) at the style layers. */
gboolean vknn_synthesizer_set_style(VknnSynthesizer *s, const float *image, int width, int height,
                                    GError **err);

typedef struct {
    double content, style, tv, alpha; /* the weighted terms */
    double total;
} VknnSynthLosses;

/* The objective at image (3 x height x width pixels) and, when grad is not
 * NULL, its gradient d loss / d pixel (same layout): one forward and one
 * backward pass. The targets the params need must be set. */
gboolean vknn_synthesizer_loss(VknnSynthesizer *s, const float *image, int width, int height,
                               VknnSynthLosses *losses, float *grad, GError **err);

typedef struct {
    int iteration, iterations;
    VknnSynthLosses losses; /* at the image before this iteration's step */
    double seconds;         /* since the first iteration began */
    gboolean done;          /* the final report: losses of the result */
} VknnSynthProgress;

typedef void (*VknnSynthProgressFunc)(const VknnSynthProgress *p, void *user);

typedef struct {
    VknnSynthLosses start, final;
    double seconds; /* wall time of the iterations */
} VknnSynthResult;

/* Adam (vknn train's, learning rate lr in pixel units) on image (3 x height
 * x width pixels, in: the start, out: the result) for `iterations` steps,
 * pixels clipped to 0..1 after each. */
gboolean vknn_synthesizer_optimize(VknnSynthesizer *s, int iterations, float lr, int width,
                                   int height, float *image, VknnSynthProgressFunc progress,
                                   void *user, VknnSynthResult *result, GError **err);

/* A start: ImageNet's mean colour plus Gaussian noise of std `noise`
 * (pixel units), clipped to 0..1, drawn from seed. */
void vknn_synth_noise_image(float *image, int width, int height, float noise, guint32 seed);

G_END_DECLS
