/* vknn — drawing heatmaps onto video frames, and frames as classifier input.
 *
 * A VknnOverlay blends a small scalar map (a saliency or activation map,
 * e.g. 13x13 or 224x224, values in 0..1) onto 8-bit RGBA-family frames at
 * the frame's own resolution on the device: the map is bilinearly upsampled
 * over a region of the frame, coloured through a colormap and alpha-blended.
 * Frames come from host memory or as Vulkan images (then they never visit
 * the CPU), as with VknnStyler.
 *
 * A VknnFrameInput turns such a frame into a classifier's input tensor on
 * the device (resize, optional centre crop, mean/std normalisation), and
 * reports which frame region the network saw, so a map computed on the
 * network input lands on the right pixels.
 *
 * Not thread-safe: use each object from one thread at a time.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/frame.h>

G_BEGIN_DECLS

typedef enum {
    VKNN_COLORMAP_TURBO,
    VKNN_COLORMAP_JET,
    VKNN_COLORMAP_INFERNO,
    VKNN_COLORMAP_VIRIDIS,
    VKNN_COLORMAP_GRAY,
} VknnColormap;

/* Parses "turbo", "jet", "inferno", "viridis", "gray"; FALSE if unknown. */
gboolean vknn_colormap_from_string(const char *name, VknnColormap *out);
const char *vknn_colormap_to_string(VknnColormap cm);
/* The colour of v in [0, 1] (clamped) as 8-bit RGB. */
void vknn_colormap_rgb(VknnColormap cm, float v, guint8 rgb[3]);

/* A rectangle of the frame in pixels. */
typedef struct {
    int x, y, width, height;
} VknnRect;

/* ---- overlay -------------------------------------------------------------- */

typedef struct VknnOverlay VknnOverlay;

typedef struct {
    VknnColormap colormap;
    /* Opacity of the heatmap at map value 1; the map value scales it, so
     * cold areas keep the frame visible (alpha * v). 1 with `opaque` draws
     * the colormap alone. */
    float alpha;
    gboolean opaque; /* blend with constant alpha instead of alpha * v */
} VknnOverlayParams;

#define VKNN_OVERLAY_PARAMS_DEFAULT                                                                \
    {                                                                                              \
        .colormap = VKNN_COLORMAP_TURBO, .alpha = 0.5f, .opaque = FALSE                            \
    }

VknnOverlay *vknn_overlay_new(VknnContext *ctx, GError **err);
void vknn_overlay_free(VknnOverlay *ov);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnOverlay, vknn_overlay_free)

/* Sets the map to draw: map_w x map_h floats, row-major, expected in 0..1
 * (clamped; NaN reads as 0), drawn over `region` of the frame (NULL: the
 * whole frame, whatever its size; a region may extend past the frame);
 * pixels outside the region are copied unchanged. Until the first map is
 * set, frames pass through unchanged. Writes the map to host-visible device
 * memory; cheap.
 *
 * Per frame pixel (x, y) in the region, the map is sampled bilinearly at
 * u = (x - region.x + 0.5) * map_w / region.width - 0.5 (v likewise),
 * clamped to the edge texels; its value v picks a colour from a 256-entry
 * table of vknn_colormap_rgb (linear between entries), and
 * out = in * (1 - a) + colour * a, a = alpha * v (alpha if opaque), rounded
 * to nearest. The alpha byte is kept (255 for the X formats). */
gboolean vknn_overlay_set_map(VknnOverlay *ov, const float *map, int map_w, int map_h,
                              const VknnRect *region, GError **err);

/* Draws the map onto a width x height frame in host memory (strides in
 * bytes; in and out may be the same buffer). params NULL: defaults. */
gboolean vknn_overlay_process_bytes(VknnOverlay *ov, const VknnOverlayParams *params,
                                    VknnPixelFormat fmt, int width, int height, const guint8 *in,
                                    int in_stride, guint8 *out, int out_stride, GError **err);

/* Same from image `in` (SAMPLED usage) into another image `out` (STORAGE
 * usage, RGBA8 or BGRA8 as for vknn_styler_process_images; BGRA8 also
 * TRANSFER_DST), both at least width x height; updates their layout, stages
 * and access. Waits for completion. */
gboolean vknn_overlay_process_images(VknnOverlay *ov, const VknnOverlayParams *params, int width,
                                     int height, VknnImage *in, VknnImage *out, GError **err);

/* Whether `format` can be written by vknn_overlay_process_images. */
gboolean vknn_overlay_supports_output_format(const VknnOverlay *ov, VkFormat format);

/* ---- frames as network input ------------------------------------------- */

typedef enum {
    VKNN_RESIZE_STRETCH, /* the whole frame, aspect ratio not kept */
    VKNN_RESIZE_CROP,    /* scale the shorter side to fit, centre crop (torchvision eval) */
} VknnResizeMode;

typedef struct {
    int width, height; /* network input size */
    VknnResizeMode mode;
    /* input = (rgb / 255 - mean) / std per channel, RGB order. */
    float mean[3], std[3];
} VknnFrameInputParams;

/* ImageNet preprocessing of torchvision models at 224 x 224, centre crop. */
// clang-format off
#define VKNN_FRAME_INPUT_PARAMS_IMAGENET                                                           \
    {                                                                                              \
        .width = 224, .height = 224, .mode = VKNN_RESIZE_CROP, .mean = {0.485f, 0.456f, 0.406f},   \
        .std = {0.229f, 0.224f, 0.225f}                                                            \
    }
// clang-format on

/* The frame region a frame_w x frame_h frame contributes to the network
 * input under params (the crop; the whole frame for STRETCH). CROP: the
 * largest centred rectangle with the input's aspect ratio (size rounded to
 * nearest, offset rounded down). */
void vknn_frame_input_region(const VknnFrameInputParams *params, int frame_w, int frame_h,
                             VknnRect *region);

/* Host version of the preprocessing, the reference for tests and the CLI:
 * writes the [1, 3, height, width] float tensor (NCHW) from a frame (stride
 * in bytes). The region is resampled bilinearly, align_corners=False
 * (source = (dst + 0.5) * region / size - 0.5, clamped to the region's
 * edge pixels; no antialiasing filter when shrinking), then
 * (rgb / 255 - mean) / std. The device conversion does the same maths. */
void vknn_frame_input_host(const VknnFrameInputParams *params, VknnPixelFormat fmt,
                           const guint8 *frame, int frame_w, int frame_h, int stride, float *out);

G_END_DECLS
