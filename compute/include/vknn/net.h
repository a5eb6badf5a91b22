/* vknn — graph executor: runs a VknnModel on a Vulkan device.
 *
 *   VknnNet *net = vknn_net_new(ctx, model, &err);   // uploads weights once
 *   vknn_net_prepare(net, &shape, &err);             // plans buffers, records commands
 *   vknn_net_run(net, input_nchw, &err);             // uploads input, computes
 *   vknn_net_read(net, "output", out_nchw, &err);    // downloads any kept tensor
 *
 * Preparing at a new input shape replans (weights are kept). Intermediate
 * tensors share device memory by liveness; a tensor that must be readable
 * after a run (activation maps, Grad-CAM) is requested with
 * vknn_net_keep() before prepare. Graph outputs are always kept.
 *
 * Not thread-safe: use one net from one thread at a time.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>

G_BEGIN_DECLS

typedef struct VknnNet VknnNet;

/* Loads the model's weights onto the device. The net references model and
 * ctx; both must outlive it. */
VknnNet *vknn_net_new(VknnContext *ctx, VknnModel *model, GError **err);
void vknn_net_free(VknnNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnNet, vknn_net_free)

/* The model's constants (weights) changed on the host, e.g. after an
 * optimiser step: drops their device copies, which the next prepare
 * uploads again, and the plan. */
void vknn_net_reload_constants(VknnNet *net);

/* Keeps tensor `name` readable after runs (disables fusions that would hide
 * it). Takes effect at the next prepare. Unknown names are an error. */
gboolean vknn_net_keep(VknnNet *net, const char *name, GError **err);

/* Infers shapes for the given input shapes (one per graph input) and plans
 * memory and commands. Cheap when the shapes did not change. */
gboolean vknn_net_prepare(VknnNet *net, const VknnShape *input_shapes, GError **err);

/* Uploads the inputs (NCHW float32, one pointer per graph input) and runs the
 * network to completion. Device loss is VKNN_ERROR_DEVICE_LOST. */
gboolean vknn_net_run(VknnNet *net, const float *const *inputs, GError **err);

/* Device time of the last vknn_net_run's network in milliseconds: from the
 * end of the input upload to the end of the last step, measured with two
 * device timestamps (nothing added between steps, unlike profiling); -1
 * when there was no run or the device has no compute timestamps. */
double vknn_net_last_device_ms(VknnNet *net);

/* Shape of a value at the prepared input shape, or NULL when unknown. */
const VknnShape *vknn_net_shape(VknnNet *net, const char *name);

/* Downloads a kept tensor (a graph output or one passed to vknn_net_keep)
 * into out (numel floats, NCHW). */
gboolean vknn_net_read(VknnNet *net, const char *name, float *out, GError **err);

typedef struct {
    uint64_t weight_bytes;           /* device memory of constants */
    uint64_t activation_bytes;       /* peak device memory of intermediate tensors */
    uint64_t naive_activation_bytes; /* what it would be without reuse */
    int dispatches;                  /* compute dispatches per run */
} VknnNetMemory;

/* Memory of the prepared plan. */
void vknn_net_memory(const VknnNet *net, VknnNetMemory *out);

/* Arithmetic precision of a net's intermediates. */
typedef enum {
    VKNN_PRECISION_FP32 = 0, /* every intermediate in fp32 (default) */
    /* Winograd convolutions (3x3 stride-1 layers) store their transformed
     * tiles and tile products as fp16; all arithmetic stays fp32. Halves
     * those layers' memory traffic (lavapipe: 1.3-1.7x faster on them). On
     * the PyTorch goldens: style outputs 61-67 dB PSNR (max abs error ~1 on
     * 0..255), SqueezeNet logits 77 dB (max abs 0.02, same top-5). Forward
     * pass only: backward passes always use fp32 tiles. */
    VKNN_PRECISION_FP16_TILES = 1,
} VknnPrecision;

/* Takes effect at the next prepare. */
void vknn_net_set_precision(VknnNet *net, VknnPrecision precision);
VknnPrecision vknn_net_get_precision(const VknnNet *net);

/* Profiling: when enabled (before prepare), vknn_net_run records a device
 * timestamp between steps, with a full barrier so steps no longer overlap:
 * times add up to slightly more than an unprofiled run. */
void vknn_net_set_profiling(VknnNet *net, gboolean enable);

typedef struct {
    const char *node; /* the node's name (owned by the model) */
    const char *op;   /* its op type; fused steps carry the first node's */
    double ms;        /* device time of the step in the last run */
} VknnStepTime;

/* Step times of the last vknn_net_run (GArray of VknnStepTime; free with
 * g_array_unref), or NULL with err set when profiling is off or the device
 * has no compute timestamps. */
GArray *vknn_net_profile(VknnNet *net, GError **err);

/* Same for the last vknn_net_backward (steps named after their forward node). */
GArray *vknn_net_profile_backward(VknnNet *net, GError **err);

/* ---- gradients (backward pass) -------------------------------------------
 *
 *   vknn_net_request_grad(net, "input", &err);     // before prepare
 *   vknn_net_prepare(net, &shape, &err);
 *   vknn_net_run(net, inputs, &err);               // forward, keeps what backward needs
 *   vknn_net_backward(net, seed, &err);            // seed = d loss / d output
 *   vknn_net_read_grad(net, "input", grad, &err);  // d loss / d input
 *
 * The backward pass reuses the activations of the last run (nothing is
 * recomputed) and runs in Vulkan like the forward pass. A requested value
 * may be a graph input, any intermediate tensor, or a trainable constant: a
 * Conv's weights or bias, an InstanceNormalization's scale or bias. Activations
 * that backward reads stay allocated, and reflection padding and upsampling
 * run as steps of their own, so a net with gradients uses more memory. */

typedef enum {
    VKNN_GRAD_STANDARD, /* the true vector-Jacobian product */
    VKNN_GRAD_GUIDED,   /* guided backprop: every Relu passes g * [x > 0] * [g > 0] */
} VknnGradMode;

/* Requests d(grad output)/d(name) at the next prepare. Unknown names and
 * constants that are not trainable (see above) are errors. */
gboolean vknn_net_request_grad(VknnNet *net, const char *name, GError **err);

/* The value whose gradient vknn_net_backward seeds (default: the first graph
 * output); any non-constant tensor, e.g. a logits layer or a feature map. */
gboolean vknn_net_set_grad_output(VknnNet *net, const char *name, GError **err);

/* Several outputs at once, each seeded by its own gradient (a loss made of
 * terms at several layers); an output may feed another one. */
gboolean vknn_net_set_grad_outputs(VknnNet *net, const char *const *names, int n, GError **err);

/* Standard or guided gradients (takes effect at the next prepare). */
void vknn_net_set_grad_mode(VknnNet *net, VknnGradMode mode);

/* Runs the backward pass of the last vknn_net_run, seeded with seed = d
 * loss / d output (NCHW floats of the grad output's shape). */
gboolean vknn_net_backward(VknnNet *net, const float *seed, GError **err);

/* Same with one seed per output of vknn_net_set_grad_outputs, in its order. */
gboolean vknn_net_backward_multi(VknnNet *net, const float *const *seeds, GError **err);

/* Downloads the gradient of a requested value (numel floats, NCHW; weights
 * in their ONNX layout). */
gboolean vknn_net_read_grad(VknnNet *net, const char *name, float *out, GError **err);

G_END_DECLS
