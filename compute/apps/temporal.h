/* libvknn internals: temporal stabilisation of a style network's output on
 * video (temporal.c), used by the styler (style.c).
 *
 * Per frame, after the network: dense optical flow between the previous and
 * the current network input, both ways (pyramidal Lucas-Kanade on grey
 * levels), the previous stabilised output warped along the backward flow,
 * and a blend of it into the current output where the two flows agree and
 * the grey levels match (Ruder et al. 2016's occlusion test); then the
 * current frame becomes the history. All on the device, in the caller's
 * command buffer; the blend weight of each frame is read from a small
 * host-visible buffer, so one recording serves every frame, the first (no
 * history: weight 0, output unchanged) included. */
#pragma once

#include "runtime/runtime.h"

typedef struct VknnTemporal VknnTemporal;

/* The flow's tuning, shared with the CPU reference (ref/ref_flow.c). */
#define VKNN_FLOW_MIN_SIDE 16 /* coarsest pyramid level's shorter side, at least */
#define VKNN_FLOW_MAX_LEVELS 5
/* Lucas-Kanade steps per level, and the regularisation of its normal
 * equations (grey levels^2, summed over the 7x7 window). Chosen on noisy
 * static frames (sensor-like noise of 2 levels, vknn_ref_flow): more steps
 * or a smaller lambda fit the noise (mean |flow| 0.2-0.5 px where it is 0),
 * a larger lambda slows real motion down. */
#define VKNN_FLOW_ITERATIONS 2
#define VKNN_FLOW_LAMBDA 300.0f
/* Grey error (0..255) above which a warped pixel is not trusted. */
#define VKNN_TEMPORAL_MAX_GREY_ERROR 20.0f
/* Squared flow gradient (px/px)^2 above which a pixel is a motion boundary. */
#define VKNN_TEMPORAL_MAX_FLOW_GRADIENT 0.05f

/* The flow is computed down to the first level of at most this many pixels
 * (640x480 -> 320x240): the blend needs no finer flow, and on lavapipe a
 * full-size flow would cost more than the network. */
#define VKNN_FLOW_MAX_PIXELS (320 * 240)

/* Pyramid levels for an input of w x h, and the finest one the flow reaches. */
int vknn_flow_levels(int w, int h);
int vknn_flow_finest_level(int w, int h);

VknnTemporal *vknn_temporal_new(VknnContext *ctx);
void vknn_temporal_free(VknnTemporal *t);

/* Allocates for a network input of in_w x in_h and an output of out_w x
 * out_h; nothing when the sizes are unchanged. A new size forgets the
 * history; commands recorded before must be recorded again. */
gboolean vknn_temporal_prepare(VknnTemporal *t, int in_w, int in_h, int out_w, int out_h,
                               GError **err);

/* Records the stabilisation of `output` (the network's, [1,3,out_h,out_w])
 * given its `input` ([1,3,in_h,in_w], RGB 0..255) into cmd, after the
 * network. Returns the tensor holding the stabilised output, to be read
 * instead of `output`. */
const VknnTensor *vknn_temporal_record(VknnTemporal *t, VknnCmd *cmd, const VknnTensor *input,
                                       const VknnTensor *output);

/* Around each submission of the recorded commands: begin sets the frame's
 * blend weight (strength 0..1, or 0 without history); end, after a
 * successful submission, makes this frame the history of the next. */
void vknn_temporal_begin_frame(VknnTemporal *t, float strength);
void vknn_temporal_end_frame(VknnTemporal *t);

/* Forgets the history: the next frame is output as the network made it. */
void vknn_temporal_reset(VknnTemporal *t);

/* For tests and tools, after a frame: the backward flow (current -> previous
 * input) and the forward flow (previous -> current), each flow_w x flow_h x
 * 2 floats (u, v) in pixels of that size (vknn_temporal_flow_size: the
 * finest level's), and the mask, out_w x out_h floats (1: blended). Any
 * may be NULL. */
void vknn_temporal_flow_size(const VknnTemporal *t, int *w, int *h);
gboolean vknn_temporal_read(VknnTemporal *t, float *backward, float *forward, float *mask,
                            GError **err);

/* ---- feeding a dream forward (visualize.c's VknnDreamStream) ---------------- */

/* The stabilised output of the last submitted frame, as NCHW floats
 * [1, 3, out_h, out_w] (the units of `output`). */
gboolean vknn_temporal_read_stable(VknnTemporal *t, float *nchw, GError **err);

/* Replaces the history's output (what the next frame warps and blends in)
 * by nchw ([1, 3, out_h, out_w] host floats), after vknn_temporal_end_frame:
 * DeepDream warps its previous dream, not the blend it started from. */
gboolean vknn_temporal_set_history_output(VknnTemporal *t, const float *nchw, GError **err);
