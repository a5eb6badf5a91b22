/* vknn — feature transforms of universal style transfer.
 *
 * Arbitrary style transfer moves a content image's deep features (e.g. the
 * VGG encoder's relu3_1, builtin:vgg19_relu3_1) towards a style image's
 * statistics and decodes the result back to pixels:
 *
 *   AdaIN  (Huang & Belongie 2017): each channel's mean and standard
 *          deviation become the style's;
 *   WCT    (Li et al. 2017): the whitening-colouring transform, the channel
 *          mean and the whole channel covariance become the style's.
 *
 * Features are planar: c channels of hw values each (a [1, c, h, w] tensor).
 * The style side is computed once per style image (VknnStyleStats) and
 * reused for every frame. VknnUniversalStyler runs the whole chain, the
 * networks on the Vulkan device. Host code in double precision; the
 * eigen-decompositions are cyclic Jacobi (O(c^3) a sweep, about a second at
 * c = 256 on one core), so WCT suits stills and a style's statistics, AdaIN
 * live video.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>

#include <glib.h>

G_BEGIN_DECLS

/* Eigenvalues of a channel covariance below eps times the largest are
 * treated as zero: their directions are neither whitened nor coloured
 * (dividing by them would amplify noise, as the WCT reference code's
 * 1e-5 cut-off avoids). */
#define VKNN_WCT_DEFAULT_EPS 1e-5

typedef struct VknnStyleStats VknnStyleStats;

/* The statistics of a style image's features: per channel mean and
 * standard deviation, and the colouring matrix (the covariance's square
 * root). NULL and err when c or hw < 1 or the values are not finite. */
VknnStyleStats *vknn_style_stats_new(const float *features, int c, int hw, double eps,
                                     GError **err);
void vknn_style_stats_free(VknnStyleStats *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnStyleStats, vknn_style_stats_free)

/* The channels the statistics were taken over. */
int vknn_style_stats_channels(const VknnStyleStats *s);
/* The style's channel means and covariance (c x c, row-major, 1/hw
 * normalisation), copied into the given arrays (either may be NULL). */
void vknn_style_stats_get(const VknnStyleStats *s, double *mean, double *cov);

/* Which statistics a transform matches. */
typedef enum {
    VKNN_TRANSFORM_ADAIN,
    VKNN_TRANSFORM_WCT,
} VknnFeatureTransform;

/* Transforms content features (c channels of hw values, c equal to the
 * style's) towards the style's statistics into out (the same size; may be
 * content itself), blended: out = alpha * transformed + (1 - alpha) *
 * content, alpha in 0..1. Errors: channel counts that
 * differ, hw < 1, alpha outside 0..1. */
gboolean vknn_feature_transform(const VknnStyleStats *style, VknnFeatureTransform transform,
                                const float *content, int c, int hw, float alpha, float *out,
                                GError **err);

/* The whitening step of WCT alone: out = E D^-1/2 E^T (x - mean), whose
 * channel covariance is the identity on the eigenvectors kept (for tests
 * and figures). */
gboolean vknn_feature_whiten(const float *features, int c, int hw, double eps, float *out,
                             GError **err);

/* Channel means (c) and covariance (c x c, 1/hw) of planar features, the
 * statistics every transform above matches. */
void vknn_feature_moments(const float *features, int c, int hw, double *mean, double *cov);

/* ---- encoder, transform, decoder: any image as the style ------------------- */

typedef struct VknnUniversalStyler VknnUniversalStyler;

/* An encoder (RGB 0..1 [1, 3, H, W] in, e.g. builtin:vgg19_relu3_1) whose
 * tensor `layer` is transformed, and a decoder from that layer's features
 * back to RGB 0..1 at the encoder's input size or larger (the pooling's
 * rounding; cropped back). The models are borrowed and must outlive the
 * styler; a layer the encoder lacks is VKNN_ERROR_NOT_FOUND. */
VknnUniversalStyler *vknn_universal_styler_new(VknnContext *ctx, VknnModel *encoder,
                                               VknnModel *decoder, const char *layer, GError **err);
void vknn_universal_styler_free(VknnUniversalStyler *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnUniversalStyler, vknn_universal_styler_free)

/* Encodes the style image (3 planes of width x height, 0..1) and keeps its
 * statistics for the next stylize calls, in place of any style set before
 * (which stay when this one fails). */
gboolean vknn_universal_styler_set_style(VknnUniversalStyler *u, const float *rgb, int width,
                                         int height, GError **err);
/* Adds another style image, to interpolate between them (Li et al. 2017):
 * run gives the weighted sum of the transforms towards each image (AdaIN:
 * one AdaIN to the blended means and deviations), equal weights until
 * set_weights; style_model builds a multi-style network (vknn/style.h: one
 * AdaIN and palette scale and shift per image) whose images VknnStyler
 * blends by its style weights, as it blends builtin:paintings. At most
 * VKNN_MAX_STYLES images. */
gboolean vknn_universal_styler_add_style(VknnUniversalStyler *u, const float *rgb, int width,
                                         int height, GError **err);
/* The number of style images set. */
int vknn_universal_styler_style_count(const VknnUniversalStyler *u);
/* run's weights of the style images, one per image in the order they were
 * set, >= 0 and not all 0 (normalised to sum 1). */
gboolean vknn_universal_styler_set_weights(VknnUniversalStyler *u, const double *weights, int n,
                                           GError **err);

/* The palette step, on by default: after decoding, the same transform
 * gives the RGB image the style image's colour statistics (WCT: the colour
 * means and covariance; AdaIN, and the style_model network: each channel's
 * mean and deviation), blended by alpha like the features, so that the
 * result takes the painting's colours and not only its textures: the
 * decoder alone brings much of the photo's own colours back. On the five
 * public-domain paintings it takes the mean style distance
 * (docs/styles.md) down by 0.14 with WCT, 0.05 with AdaIN. Off, the
 * decoder alone chooses the colours. Applies to the next run and
 * style_model calls. */
void vknn_universal_styler_set_palette(VknnUniversalStyler *u, gboolean palette);

/* Stylises a content image (3 planes, 0..1) into out (the same size):
 * encode, transform towards the style set last (alpha 0: the decoder's
 * reconstruction of the content), decode, then the palette step. Not
 * clamped. */
gboolean vknn_universal_styler_run(VknnUniversalStyler *u, VknnFeatureTransform transform,
                                   float alpha, const float *rgb, int width, int height, float *out,
                                   GError **err);

/* A feed-forward style network for the style set last, with the contract of
 * the trained style networks (docs/model-contract.md: input "input"
 * [1,3,H,W] RGB 0..255, output "output" the same, any H and W the encoder
 * and decoder take), so that VknnStyler runs it on video frames like any
 * other style: the input scaled to 0..1, the encoder to the layer, AdaIN
 * as one InstanceNormalization whose scale and bias are the style's
 * channel deviations and means (each frame's own channel statistics,
 * computed on the device), blended with the content's features by alpha
 * (0: the decoder's reconstruction of the input), the decoder, the palette
 * step (one InstanceNormalization over RGB), scaled to 0..255. The model holds its own copy of the
 * weights and the style; free it with vknn_model_free. Errors: no style set, alpha outside 0..1,
 * encoder and decoder of different opsets. */
VknnModel *vknn_universal_styler_style_model(VknnUniversalStyler *u, float alpha, GError **err);

G_END_DECLS
