/* vknn — style transfer on video frames.
 *
 * A VknnStyler runs a feed-forward style network (see docs/model-contract.md)
 * on 8-bit RGBA-family frames of any size: it converts the frame to the
 * network input on the device (optionally at a lower inference size), runs
 * the network, and writes the stylised frame back at the frame's own size,
 * clamped to 0..255, blended with the input by `strength`, optionally keeping
 * the input's colours (luminance-only transfer, Gatys et al. 2016).
 *
 * Frames come either from host memory (vknn_styler_process_bytes) or as
 * Vulkan images on the context's device (vknn_styler_process_images), in
 * which case they never visit the CPU: a compute shader reads the input
 * image (sampled) and writes the output image (storage).
 *
 * Not thread-safe: one styler is used from one thread at a time. Creating a
 * styler (which loads weights and compiles pipelines) can happen on another
 * thread with its own context on the same device, and the styler handed over.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/frame.h>
#include <vknn/model.h>

G_BEGIN_DECLS

typedef struct VknnStyler VknnStyler;

#define VKNN_MAX_STYLES 16

/* Temporal stabilisation of video (vknn_styler_process_*): per-frame
 * stylisation flickers, as a feed-forward network answers small input
 * changes with large texture changes. */
typedef enum {
    VKNN_TEMPORAL_OFF, /* each frame on its own */
    /* Optical flow between consecutive inputs (pyramidal Lucas-Kanade, both
     * ways); the previous output, warped along it, is blended into the
     * current one where the flows agree and the pixels match (occlusions,
     * new content and scene cuts are left as the network made them). */
    VKNN_TEMPORAL_FLOW,
} VknnTemporalMode;

typedef struct {
    float strength;           /* 0 = input, 1 = stylised (default 1) */
    gboolean preserve_colors; /* keep the input's chroma, transfer luminance only */
    float scale;              /* inference size = frame size x scale, in (0, 1] (default 1) */
    /* Multi-style networks (vknn_style_count() > 1): weights of the styles
     * to blend, e.g. {0.7, 0.3}; styles beyond n_styles weigh 0. n_styles 0:
     * the network as stored (style 0). */
    int n_styles;
    float style_weights[VKNN_MAX_STYLES];
    /* VKNN_PRECISION_FP16_TILES: faster 3x3 layers, output 61-67 dB PSNR
     * from fp32 PyTorch, about the 8-bit output's own rounding (default FP32). */
    VknnPrecision precision;
    VknnTemporalMode temporal;
    /* Weight of the warped previous output where the flow is trusted, 0..1
     * (default 0.8): higher is steadier, lower follows the network more. */
    float temporal_strength;
} VknnStyleParams;

#define VKNN_STYLE_PARAMS_DEFAULT                                                                  \
    {                                                                                              \
        .strength = 1.0f, .preserve_colors = FALSE, .scale = 1.0f, .temporal_strength = 0.8f       \
    }

/* Styles in a multi-style network (conditional instance normalisation,
 * Dumoulin et al. 2017: shared convolutions, one set of instance-norm scales
 * and shifts per style, stored as extra initializers NAME@1, NAME@2, ...
 * next to style 0's NAME; docs/model-contract.md); 1 for other networks. */
int vknn_style_count(const VknnModel *model);

/* Style `style` of a multi-style network as a network of its own (its
 * instance-norm parameters, without the other styles'), e.g. to ship or to
 * run in other runtimes. A new model; the given one is not changed. */
VknnModel *vknn_style_extract(const VknnModel *model, int style, GError **err);

/* Checks that model is a style network ([1,3,H,W] in and out) and loads it on
 * ctx. Both must outlive the styler. */
VknnStyler *vknn_styler_new(VknnContext *ctx, VknnModel *model, GError **err);
void vknn_styler_free(VknnStyler *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnStyler, vknn_styler_free)

/* Prepares for frames of width x height (any size >= 1x1) with params.
 * Cheap when nothing changed; a new size or scale replans the network, new
 * style weights blend the instance-norm parameters (scale_k = sum_s w_s
 * scale_k,s, likewise shifts) and upload them again. The blend is written
 * into the initializers the network reads (style 0 is kept as NAME@0), so
 * stylers sharing a model share its blend: use one styler per model. */
gboolean vknn_styler_prepare(VknnStyler *s, int width, int height, const VknnStyleParams *params,
                             GError **err);

/* The network input size chosen for the prepared frame size and scale: the
 * scaled size rounded up to a multiple of 4 (so the output matches it). */
void vknn_styler_inference_size(const VknnStyler *s, int *width, int *height);

/* Stylises one frame in host memory. strides in bytes. in and out may not
 * overlap. */
gboolean vknn_styler_process_bytes(VknnStyler *s, VknnPixelFormat fmt, const guint8 *in,
                                   int in_stride, guint8 *out, int out_stride, GError **err);

/* Stylises one frame from image `in` (needs SAMPLED usage) into `out` (needs
 * STORAGE usage, format R8G8B8A8 or B8G8R8A8 with storage support), both of
 * the prepared size, and waits for completion. Updates the layout, stages and
 * access of both so the caller can publish them to the next user. */
gboolean vknn_styler_process_images(VknnStyler *s, VknnImage *in, VknnImage *out, GError **err);

/* Forgets the previous frame (VKNN_TEMPORAL_FLOW): the next frame is
 * stylised on its own. Call it at a seek, a cut or a discontinuity; a new
 * size or model does it already. */
void vknn_styler_reset_history(VknnStyler *s);

/* Whether `format` can be written by vknn_styler_process_images on this device. */
gboolean vknn_styler_supports_output_format(const VknnStyler *s, VkFormat format);

/* Device time of the last processed frame, in milliseconds (host wall time
 * around the submission; includes waiting for the queue). */
double vknn_styler_last_frame_ms(const VknnStyler *s);

G_END_DECLS
