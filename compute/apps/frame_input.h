/* libvknn internals: frames as a classifier's input, on the device.
 *
 * A VknnFrameInput records into a caller's VknnCmd the conversion of an
 * 8-bit frame into a [1, 3, H, W] float tensor (VknnFrameInputParams in
 * overlay.h: bilinear resize of vknn_frame_input_region(), then
 * (rgb / 255 - mean) / std), so a caller that owns the command buffer and
 * the destination (a net's input tensor from vknn_net_tensor) records
 * upload -> convert -> network in one submission:
 *
 *   vknn_frame_input_stage_bytes(fi, pixels, w, h, stride, &err);   // per frame
 *   vknn_frame_input_record_bytes(fi, cmd, &params, fmt, w, h,       // once per
 *                                 vknn_net_tensor(net, "input"), &err); // size/params
 *   vknn_net_record(net, cmd, &err);
 *   vknn_cmd_end(cmd, &err);
 *   vknn_cmd_submit_wait(cmd, &err);  // again after each stage_bytes
 *
 * Barriers: the conversion is an ordinary tracked dispatch (reads the
 * frame, writes dst through a storage binding), so later dispatches in the
 * same command buffer that read dst get their barrier from VknnCmd. Work on
 * dst in *other* command buffers of the same submission needs
 * vknn_cmd_barrier_all() in between, as for any tensor.
 *
 * Lifetimes: a command buffer recorded here refers to the staging buffer
 * (bytes path), dst and its buffer, and the image (image path): keep them
 * alive, and the frame size unchanged, while it is used. Not thread-safe. */
#pragma once

#include "apps/frame.h"
#include <vknn/overlay.h>

typedef struct VknnFrameInput VknnFrameInput;

VknnFrameInput *vknn_frame_input_new(VknnContext *ctx);
void vknn_frame_input_free(VknnFrameInput *fi);

/* Copies a width x height host frame (row stride in bytes, any 4-byte
 * VknnPixelFormat) into the staging buffer, which the device reads directly
 * (host-visible memory; the next vkQueueSubmit makes the write visible).
 * The staging buffer is reallocated when the size changes: command buffers
 * recorded for the old size must not be submitted again. */
gboolean vknn_frame_input_stage_bytes(VknnFrameInput *fi, const guint8 *bytes, int width,
                                      int height, int stride, GError **err);

/* The staging buffer as an R32_UINT-view tensor (one uint per pixel,
 * tightly packed rows), or NULL before the first stage/record. */
const VknnTensor *vknn_frame_input_staging(const VknnFrameInput *fi);

/* Records the conversion of the staged frame_w x frame_h frame, in byte
 * order fmt, into dst. Allocates the staging buffer if needed, so a command
 * buffer can be recorded once and submitted after each stage_bytes of a
 * frame of that size. dst: a float tensor of shape [1, 3, params->height,
 * params->width] (the RGBA32F-view VknnTensor layout), bound as storage. */
gboolean vknn_frame_input_record_bytes(VknnFrameInput *fi, VknnCmd *cmd,
                                       const VknnFrameInputParams *params, VknnPixelFormat fmt,
                                       int frame_w, int frame_h, VknnTensor *dst, GError **err);

/* Same from any R32_UINT-view tensor holding a tightly packed
 * frame_w x frame_h frame (e.g. one shared with a VknnOverlay's upload). */
gboolean vknn_frame_input_record_pixels(VknnFrameInput *fi, VknnCmd *cmd,
                                        const VknnFrameInputParams *params, VknnPixelFormat fmt,
                                        const VknnTensor *pixels, int frame_w, int frame_h,
                                        VknnTensor *dst, GError **err);

/* Same from image `in` (frame_w x frame_h, SAMPLED usage, R8G8B8A8_UNORM or
 * B8G8R8A8_UNORM): records its transition to SHADER_READ_ONLY_OPTIMAL and
 * updates in->layout/stages/access, which the caller publishes to the
 * image's next user after submission. Images change per frame: record a
 * new command buffer (or at least this part) for each. */
gboolean vknn_frame_input_record_image(VknnFrameInput *fi, VknnCmd *cmd,
                                       const VknnFrameInputParams *params, VknnImage *in,
                                       int frame_w, int frame_h, VknnTensor *dst, GError **err);
