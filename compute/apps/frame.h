/* libvknn internals: 8-bit video frames on the device, shared by the frame
 * shaders' hosts (style.c, overlay.c, frame_input.c).
 *
 * A frame is width x height pixels of 4 bytes (an RGBA-family byte order,
 * VknnPixelFormat), either tightly packed in a VknnFrameBuffer (host frames
 * are copied there; shaders read it through an R32_UINT texel view, one uint
 * per pixel, and write it as a storage buffer of uint), or a VknnImage.
 * The shaders run 8x8 workgroups over a 2D grid (vknn_frame_pipeline,
 * vknn_frame_dispatch). */
#pragma once

#include "runtime/runtime.h"

typedef struct {
    VknnBuffer *buffer;
    VknnTensor texels; /* R32_UINT view of the whole frame */
    int width, height;
} VknnFrameBuffer;

/* Makes f a width x height frame in memory of `kind`, (re)allocating it
 * unless it already has that size: command buffers that bind f must then
 * be recorded again. */
gboolean vknn_frame_buffer_ensure(VknnContext *ctx, VknnFrameBuffer *f, int width, int height,
                                  VknnMemKind kind, GError **err);
void vknn_frame_buffer_clear(VknnContext *ctx, VknnFrameBuffer *f);
/* Copies a host frame (row stride in bytes) into a host-visible f, and
 * back out of one (after the device wrote it). */
void vknn_frame_buffer_write(VknnFrameBuffer *f, const guint8 *src, int stride);
void vknn_frame_buffer_read(VknnContext *ctx, VknnFrameBuffer *f, guint8 *dst, int stride);

/* Byte orders, as the frame shaders' SWAP_RB / NO_ALPHA spec constants. */
static inline gboolean vknn_pixel_swaps_rb(VknnPixelFormat f)
{
    return f == VKNN_PIXEL_BGRA || f == VKNN_PIXEL_BGRX;
}
static inline gboolean vknn_pixel_has_alpha(VknnPixelFormat f)
{
    return f == VKNN_PIXEL_RGBA || f == VKNN_PIXEL_BGRA;
}

/* A pipeline for a frame shader (8x8 workgroups) and a dispatch of it over
 * width x height invocations. */
VknnPipeline *vknn_frame_pipeline(VknnContext *ctx, const VknnShader *sh, const int32_t *spec,
                                  int n_spec, GError **err);
void vknn_frame_dispatch(VknnCmd *cmd, const VknnPipeline *p, const VknnTensor *const *bind,
                         const VknnImage *const *images, const void *push, int width, int height);

/* ---- frames in Vulkan images ---------------------------------------------- */

/* Images are R8G8B8A8_UNORM or B8G8R8A8_UNORM; sampled views return RGBA in
 * either case. `which` names the image in the error ("input", "output"). */
gboolean vknn_frame_check_image_format(VkFormat format, const char *which, GError **err);
/* Whether vknn_frame_write_image_begin handles `format`. */
gboolean vknn_frame_output_format_supported(VkFormat format);

/* Records the transition of `in` for texelFetch by compute shaders. */
void vknn_frame_sample_image(VknnCmd *cmd, VknnImage *in);

/* Writing every pixel of an output image from a compute shader: RGBA8 is a
 * mandatory storage-image format and is written directly; BGRA8 storage
 * support is optional, so that shader writes packed pixels (in the image's
 * own byte order) into `staging` (a device buffer of the frame size, kept by
 * the caller between frames) and a copy to the image follows.
 *
 *   begin: returns FALSE on error; *direct tells which variant to record:
 *          TRUE: `out` is now in GENERAL layout for the storage-image shader;
 *          FALSE: bind staging->texels as the shader's storage output;
 *   end:   records the copy into `out` (nothing when direct). */
gboolean vknn_frame_write_image_begin(VknnContext *ctx, VknnCmd *cmd, VknnImage *out, int width,
                                      int height, VknnFrameBuffer *staging, gboolean *direct,
                                      GError **err);
void vknn_frame_write_image_end(VknnCmd *cmd, VknnImage *out, VknnFrameBuffer *staging);
