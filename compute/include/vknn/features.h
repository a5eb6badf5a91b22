/* vknn — what a CNN's features say about a set of images.
 *
 * The CS231n lecture's last-layer and intermediate-layer tools:
 *
 *   features     a layer's activations for an image, computed on the Vulkan
 *                device; by default the penultimate features, the input of
 *                the classifier's final Gemm or Conv;
 *   neighbours   nearest neighbours of a feature vector among a set (L2);
 *   embedding    the set in 2-D: PCA (largest principal components) or
 *                exact t-SNE (van der Maaten & Hinton 2008), and the
 *                thumbnails drawn at their 2-D positions on a canvas;
 *   patches      the receptive field of a layer (walked through the
 *                graph's Conv / Pool / Pad chain), and the images whose
 *                crops most activate a channel.
 *
 * Images are RGB planes [3, H, W] of floats in 0..1 ("pixels"), as in
 * visualize.h; the model's input is (pixel - mean) / std per channel of a
 * VknnFrameInputParams (its width, height and mode are not used here).
 * Everything but the network's forward pass runs on the host in plain C:
 * the sets are small (up to a few hundred images).
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>
#include <vknn/overlay.h> /* VknnFrameInputParams */

G_BEGIN_DECLS

/* ---- features on the device ------------------------------------------------ */

typedef struct VknnFeatureNet VknnFeatureNet;

/* A network on ctx whose `layer` activations are read back (model and ctx
 * outlive it). The model takes one [1, 3, H, W] image. layer: a value's or
 * a node's name (its first output); NULL: the penultimate features, found
 * by walking back from the first graph output through Flatten, Reshape,
 * global pools, activations and Dropout to the last Gemm, MatMul or Conv
 * and taking its input (SqueezeNet 1.1: the 512-channel fire9 concat,
 * MobileNetV2: the 1280 pooled features). An unknown name is
 * VKNN_ERROR_NOT_FOUND naming it; without a layer, an output that is a map
 * (not class scores) or no final Gemm or Conv is VKNN_ERROR_SHAPE. */
VknnFeatureNet *vknn_feature_net_new(VknnContext *ctx, VknnModel *model,
                                     const VknnFrameInputParams *input, const char *layer,
                                     GError **err);
void vknn_feature_net_free(VknnFeatureNet *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnFeatureNet, vknn_feature_net_free)

/* The layer's value name (owned by the model). */
const char *vknn_feature_net_layer(const VknnFeatureNet *f);

/* Runs the network on pixels (width x height, normalised on the way) and
 * keeps the layer's activations. */
gboolean vknn_feature_net_run(VknnFeatureNet *f, const float *pixels, int width, int height,
                              GError **err);

/* The layer's shape at the last run ([1, C, h, w], or [1, C] after a
 * Flatten): channels C and positions h x w (1 x 1 for rank < 4). */
void vknn_feature_net_dims(const VknnFeatureNet *f, int *channels, int *height, int *width);

/* The layer's activations of the last run: C x h x w floats. */
gboolean vknn_feature_net_read(VknnFeatureNet *f, float *out, GError **err);

/* The feature vector of the last run: C floats, each channel's mean over
 * the h x w positions (global average pooling, what the classifier after
 * the penultimate layer sees too when it pools). */
gboolean vknn_feature_net_vector(VknnFeatureNet *f, float *out, GError **err);

/* ---- nearest neighbours ------------------------------------------------------ */

typedef struct {
    int index;      /* the point of the set */
    float distance; /* L2 distance to the query */
} VknnNeighbour;

/* The k nearest of the n points (n x dim floats, row-major) to query (dim
 * floats) by Euclidean distance, computed in double: out[0..min(k, n) - 1],
 * nearest first (ties: lower index first). Returns how many were written. */
int vknn_nearest(const float *points, int n, int dim, const float *query, int k,
                 VknnNeighbour *out);

/* ---- 2-D embeddings ------------------------------------------------------------ */

/* PCA: the n points (n x dim) projected on their two largest principal
 * components, xy n x 2. Through the n x n Gram matrix of the centred points
 * when n < dim (the same projections, a smaller eigenproblem), else through
 * the dim x dim covariance; both by the Jacobi eigensolver. Each axis's sign
 * is chosen so that its largest-magnitude coordinate is positive
 * (deterministic). Components beyond the data's rank are 0. n >= 1. */
gboolean vknn_pca_2d(const float *points, int n, int dim, float *xy, GError **err);

typedef struct {
    float perplexity;            /* effective neighbours (30; lowered to (n - 1) / 3 for small n) */
    int iterations;              /* gradient steps (1000) */
    float learning_rate;         /* (200) */
    int exaggeration_iterations; /* early exaggeration for the first steps (250) */
    float exaggeration;          /* P is multiplied by it meanwhile (12) */
    guint32 seed;                /* the initial positions: N(0, 1e-4) */
} VknnTsneParams;

#define VKNN_TSNE_PARAMS_DEFAULT                                                                   \
    {                                                                                              \
        .perplexity = 30.0f, .iterations = 1000, .learning_rate = 0.0f,                            \
        .exaggeration_iterations = 250, .exaggeration = 12.0f, .seed = 1                           \
    }

/* Exact t-SNE (van der Maaten & Hinton 2008, as in van der Maaten's
 * reference tsne.py): conditional probabilities with a Gaussian whose
 * precision is found by binary search to match the perplexity, symmetrised
 * P; Student-t Q in 2-D; gradient descent with momentum 0.5 then 0.8 (after
 * the exaggeration phase) and the adaptive gains of the reference code.
 * O(n^2) memory and time a step, for up to a few hundred points; the same
 * seed gives the same result. xy: n x 2, centred. n >= 1. */
gboolean vknn_tsne(const float *points, int n, int dim, const VknnTsneParams *params, float *xy,
                   GError **err);

/* Draws thumbnails (each 3 x th x tw pixels) centred at the 2-D positions xy
 * (n x 2, any scale: mapped to the canvas with equal scales on both axes,
 * margins of half a thumbnail) on a white size x size canvas (3 x size x
 * size, written), in order, later ones on top. */
void vknn_thumbnail_canvas(const float *xy, int n, const float *const *thumbs, int tw, int th,
                           int size, float *canvas);

/* ---- receptive fields and maximally activating patches ---------------------- */

/* The input region that a layer's position sees, per axis ([0]: rows, y;
 * [1]: columns, x): position p covers input pixels start + p * jump ..
 * start + p * jump + size - 1 (start < 0: padding). */
typedef struct {
    int size[2];
    int jump[2];
    int start[2];
} VknnReceptiveField;

/* The receptive field of value `layer` (or of node `layer`'s first output)
 * by walking the graph from it to the image input: Conv and MaxPool /
 * AveragePool / LpPool grow it by (dilated kernel - 1) x jump and multiply
 * the jump by the stride, their begin pads and Pad nodes' move the start;
 * element-wise ops, Concat, normalisations keep it, and ops with several
 * inputs take the union of theirs. Ops that mix all positions (global pools,
 * Gemm, Flatten, Reshape) or resample (Resize, ConvTranspose) are
 * VKNN_ERROR_SHAPE naming the node; an unknown layer, VKNN_ERROR_NOT_FOUND. */
gboolean vknn_receptive_field(const VknnModel *model, const char *layer, VknnReceptiveField *rf,
                              GError **err);

typedef struct {
    int image;        /* the index of the image in the set */
    int y, x;         /* the layer position of its strongest activation */
    float activation; /* that activation */
} VknnPatch;

/* Keeps the top k images for one channel: image `image`'s layer map (C x h x
 * w floats) enters with its strongest position of `channel` (the first in
 * row-major order among equals); top[0..*count - 1] stays sorted by
 * activation, strongest first (equals: lower image first), at most k long.
 * One patch an image: consecutive video frames would otherwise fill the
 * list with the same object. inside (may be NULL): only the positions whose
 * receptive field lies within the width x height image count, so that no
 * crop is mostly padding (along an axis where none does, all count). */
void vknn_top_patches_add(VknnPatch *top, int *count, int k, const float *map, int h, int w,
                          int channel, int image, const VknnReceptiveField *inside, int width,
                          int height);

/* The crop of pixels (3 x height x width) that patch p's receptive field
 * covers: 3 x rf->size[0] x rf->size[1] floats into crop, the parts outside
 * the image filled with `fill`. */
void vknn_patch_crop(const VknnReceptiveField *rf, const VknnPatch *p, const float *pixels,
                     int width, int height, float fill, float *crop);

G_END_DECLS
