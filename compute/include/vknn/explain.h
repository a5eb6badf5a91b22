/* vknn — what a classifier looks at: saliency maps on the device.
 *
 * A VknnExplainer runs an image classifier (ONNX, [1,3,H,W] in, class
 * scores out) forward and backward in Vulkan and turns the gradients into a
 * map of how much each input region drives the chosen class:
 *
 *   gradient   vanilla saliency (Simonyan et al. 2014): max over colour
 *              channels of |d score / d input|, at the input resolution;
 *   guided     guided backprop (Springenberg et al. 2015): the same with
 *              every Relu passing only positive gradients of positive inputs;
 *   gradcam    Grad-CAM (Selvaraju et al. 2017) at a feature layer:
 *              ReLU(sum_k alpha_k A_k), alpha_k = spatial mean of d score /
 *              d A_k, at the layer's resolution;
 *   smoothgrad SmoothGrad (Smilkov et al. 2017): vanilla saliency averaged
 *              over noisy copies of the input;
 *   occlusion  occlusion sensitivity (Zeiler & Fergus 2014): the drop of the
 *              class probability when a patch of the input is blanked, for
 *              a grid of patch positions run as batches;
 *   activations no gradient: the activations of a layer themselves (one
 *              channel, their mean or their maximum), what the network
 *              computes rather than what drives its decision.
 *
 * Inputs are either tensors already preprocessed on the host, or video
 * frames (host bytes or Vulkan images) converted on the device by a
 * VknnFrameInputParams (vknn/overlay.h); with frames, gradient, guided,
 * gradcam and activations never bring the frame to the host.
 *
 * The score is the model's output before any softmax (logits), as in the
 * papers. Maps are raw (not normalised); occlusion's is in probability
 * units. Not thread-safe: one explainer per thread.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>
#include <vknn/overlay.h>

G_BEGIN_DECLS

typedef enum {
    VKNN_EXPLAIN_GRADIENT,
    VKNN_EXPLAIN_GUIDED,
    VKNN_EXPLAIN_GRADCAM,
    VKNN_EXPLAIN_SMOOTHGRAD,
    VKNN_EXPLAIN_OCCLUSION,
    VKNN_EXPLAIN_ACTIVATIONS,
} VknnExplainMethod;

/* Parses "gradient", "guided", "gradcam", "smoothgrad", "occlusion",
 * "activations". */
gboolean vknn_explain_method_from_string(const char *name, VknnExplainMethod *out);
const char *vknn_explain_method_to_string(VknnExplainMethod m);

typedef struct {
    VknnExplainMethod method;
    int target_class;      /* -1: the top-1 class of each input */
    const char *layer;     /* Grad-CAM / activations layer; NULL: the last spatial feature layer */
    int channel;           /* activations: channel index, -1 mean over channels, -2 maximum */
    int smooth_samples;    /* SmoothGrad: noisy copies (default 16) */
    float smooth_sigma;    /* SmoothGrad: noise std as a fraction of the input's range (0.15) */
    int occlusion_patch;   /* occlusion: patch size in input pixels (default 32) */
    int occlusion_stride;  /* occlusion: stride in input pixels (default 16) */
    float occlusion_value; /* occlusion: what the patch holds, in input units (default 0) */
    int occlusion_batch;   /* occlusion: inputs per forward run (default 8) */
    guint32 seed;          /* SmoothGrad's noise */
} VknnExplainParams;

#define VKNN_EXPLAIN_PARAMS_DEFAULT                                                                \
    {                                                                                              \
        .method = VKNN_EXPLAIN_GRADCAM, .target_class = -1, .layer = NULL, .smooth_samples = 16,   \
        .smooth_sigma = 0.15f, .occlusion_patch = 32, .occlusion_stride = 16,                      \
        .occlusion_value = 0.0f, .occlusion_batch = 8, .seed = 1                                   \
    }

typedef struct {
    int class_id; /* the explained class */
    float score;  /* its softmax probability */
    float *logits;
    int n_classes;
    float *map; /* map_h x map_w, row-major, raw */
    int map_w, map_h;
    /* Gradient methods: d score / d input, [3, H, W] (NULL otherwise). */
    float *input_grad;
    /* Activations method: the whole layer, [act_c, act_h, act_w]. */
    float *activations;
    int act_c, act_h, act_w;
} VknnExplanation;

void vknn_explanation_clear(VknnExplanation *e);

typedef struct VknnExplainer VknnExplainer;

/* Loads model on ctx (both must outlive the explainer) for params; checks
 * that the model has one [1,3,H,W] input and that the Grad-CAM layer exists.
 * params->layer is copied. */
VknnExplainer *vknn_explainer_new(VknnContext *ctx, VknnModel *model,
                                  const VknnExplainParams *params, GError **err);
void vknn_explainer_free(VknnExplainer *ex);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnExplainer, vknn_explainer_free)

/* The Grad-CAM layer in use (the resolved default when params->layer was NULL). */
const char *vknn_explainer_layer(const VknnExplainer *ex);

/* Plans the network for [1, 3, height, width] inputs, as every run does
 * first: a caller learns that the device cannot hold it
 * (VKNN_ERROR_DEVICE_LIMIT, naming the estimate and the budget) before it
 * spends memory on an input. Gradient methods count their gradients. */
gboolean vknn_explainer_prepare(VknnExplainer *ex, int width, int height, GError **err);

/* Explains one input: NCHW floats of shape [1, 3, height, width], already
 * preprocessed as the model expects. Fills out (clear it with
 * vknn_explanation_clear). */
gboolean vknn_explainer_run(VknnExplainer *ex, const float *input, int width, int height,
                            VknnExplanation *out, GError **err);

/* Explains a video frame of width x height (host bytes, row stride in
 * bytes), converted into the model's input on the device by fp. */
gboolean vknn_explainer_run_bytes(VknnExplainer *ex, const VknnFrameInputParams *fp,
                                  VknnPixelFormat fmt, const guint8 *frame, int width, int height,
                                  int stride, VknnExplanation *out, GError **err);

/* Same from a Vulkan image on the explainer's device (SAMPLED usage,
 * RGBA8/BGRA8); its layout, stages and access are updated as by
 * vknn_styler_process_images. */
gboolean vknn_explainer_run_image(VknnExplainer *ex, const VknnFrameInputParams *fp,
                                  VknnImage *frame, int width, int height, VknnExplanation *out,
                                  GError **err);

/* Tiles the first n channels of an activation tensor [c, h, w] into one map
 * (the lecture's filter grid): ceil(sqrt(n)) columns, each tile scaled to
 * 0..1 by its own minimum and maximum, 1-pixel gaps of 0. Non-finite values
 * do not count in a tile's range; they show as 0 (NaN, -inf) or 1 (+inf).
 * Returns the map (g_free) and its size. */
float *vknn_activation_grid(const float *act, int c, int h, int w, int n, int *grid_w, int *grid_h);

/* The last spatial feature layer of a classifier: the input of the pooling
 * or flattening that ends its spatial part, skipping back over a final
 * class-score convolution (SqueezeNet's conv10 + Relu), or NULL. */
const char *vknn_default_feature_layer(const VknnModel *model);

/* The q-quantile (q in [0, 1]) of map's n values: a display scale that one
 * hot pixel cannot dominate (gradient maps are sparse; 0.99 suits them).
 * NaN values sort first. */
float vknn_map_quantile(const float *map, int n, float q);

/* ---- class scores and labels --------------------------------------------- */

typedef struct {
    int id;
    float prob; /* softmax probability */
} VknnClassScore;

/* The k most probable classes (k <= n), best first. NaN logits rank last
 * with probability 0; +inf logits share probability 1. */
void vknn_top_k(const float *logits, int n, int k, VknnClassScore *out);

/* Reads a labels file (one class a line, as imagenet_classes.txt); returns
 * a NULL-terminated array (g_strfreev) and its length in *n. */
char **vknn_labels_load(const char *path, int *n, GError **err);

G_END_DECLS
