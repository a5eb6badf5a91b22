/* vknn — visualising and understanding CNNs, beyond saliency maps.
 *
 * The CS231n lecture's toolbox, on the Vulkan device:
 *
 *   filters      the first convolution's kernels as an RGB grid (host only:
 *                the weights are already there);
 *   class        class visualisation by gradient ascent on the image
 *                (Simonyan et al. 2014) with the regularisers of Yosinski et
 *                al. 2015: L2 decay, jitter, periodic Gaussian blur, pixel
 *                clipping (and, optionally, total variation);
 *   adversarial  FGSM (Goodfellow et al. 2015) and the iterative attack
 *                (Kurakin et al. 2016), untargeted or towards a chosen class,
 *                within an L-infinity budget;
 *   dream        DeepDream (google/deepdream): gradient ascent on a layer's
 *                squared activations, over octaves of the image.
 *
 * Images are RGB planes [3, H, W] of floats in 0..1 ("pixels"). The model's
 * input is (pixel - mean) / std per channel, the mean and std of a
 * VknnFrameInputParams (its width, height and mode are not used here; the
 * image's size is the input size). Every optimisation step runs the network
 * forward and backward on the device (vknn_net_run, vknn_net_backward) and
 * downloads the input's gradient; the host only updates the image, a few
 * operations a pixel. Scores are logits (before softmax), as in the papers.
 * Not thread-safe: one visualizer per thread.
 */
#pragma once

#include <vknn/context.h>
#include <vknn/model.h>
#include <vknn/overlay.h> /* VknnFrameInputParams */

G_BEGIN_DECLS

/* ---- filters ------------------------------------------------------------- */

typedef struct {
    /* The convolution: a node name, its weight's or its output's name; NULL:
     * the first Conv (in graph order) on 3 input channels with a kernel
     * larger than 1x1. A 1x1 Conv 3->3 right before it (through Pads only),
     * such as the normalised VGG's RGB -> mean-subtracted BGR conv0, is
     * folded into its weights so the kernels show in input (RGB) colours. */
    const char *layer;
    /* FALSE: each filter scaled to 0..1 by its own minimum and maximum over
     * its 3 x kh x kw weights; TRUE: all by the layer's minimum and maximum
     * (relative strengths stay visible). A constant filter shows as 0.5. */
    gboolean global;
    int zoom; /* each weight becomes zoom x zoom pixels (nearest neighbour); >= 1 */
    int gap;  /* pixels of white (1.0) between and around the tiles; >= 0 */
} VknnFilterGridParams;

#define VKNN_FILTER_GRID_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        .layer = NULL, .global = FALSE, .zoom = 8, .gap = 2                                        \
    }

typedef struct {
    float *rgb; /* [3, height, width], 0..1 */
    int width, height;
    int filters, kh, kw; /* the layer's output channels and kernel size */
    int cols, rows;      /* the grid: filter f at column f % cols, row f / cols */
    char *layer;         /* the Conv node's name (or its output's when unnamed) */
    gboolean folded;     /* a 1x1 colour conv was folded in */
} VknnFilterGrid;

void vknn_filter_grid_clear(VknnFilterGrid *g);

/* Draws the kernels of the layer as a grid of ceil(sqrt(filters)) columns:
 * tile pixel (y, x) of filter f, channel c is the normalised weight
 * W[f, c, y / zoom, x / zoom]. Errors name the layer: not found
 * (VKNN_ERROR_NOT_FOUND), not a Conv, not on 3 input channels, grouped. */
gboolean vknn_filter_grid(const VknnModel *model, const VknnFilterGridParams *params,
                          VknnFilterGrid *out, GError **err);

/* ---- the visualizer: images optimised through a network ------------------ */

typedef struct VknnVisualizer VknnVisualizer;

/* A network on ctx for image optimisation (model and ctx outlive it).
 * layer NULL: the model must be a classifier (one [1, 3, H, W] input, class
 * scores out), for class visualisation and adversarial examples; otherwise
 * the tensor whose activations DeepDream amplifies (an unknown name is
 * VKNN_ERROR_NOT_FOUND, naming it). */
VknnVisualizer *vknn_visualizer_new(VknnContext *ctx, VknnModel *model,
                                    const VknnFrameInputParams *input, const char *layer,
                                    GError **err);
void vknn_visualizer_free(VknnVisualizer *vis);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnVisualizer, vknn_visualizer_free)

/* Classes of the model's output (scored at a 224 x 224 input when it
 * accepts any size); 0 with a DeepDream layer. */
int vknn_visualizer_classes(const VknnVisualizer *vis);

/* Runs the classifier on an image (width x height) and copies the logits
 * (vknn_visualizer_classes of them) into logits. */
gboolean vknn_visualizer_classify(VknnVisualizer *vis, const float *image, int width, int height,
                                  float *logits, GError **err);

/* Progress of an optimisation, once an iteration (before its step) and,
 * for class and adversarial, once at the end (done: iteration is then the
 * number of steps taken, which an attack that succeeded early makes fewer
 * than iterations). */
typedef struct {
    const char *method; /* "class", "adversarial", "dream" */
    int iteration, iterations;
    int octave, octaves; /* dream; 0 and 1 otherwise */
    float score;         /* class: target logit; adversarial: target (or clean) class
                          * logit; dream: mean squared activation of the layer */
    float prob;          /* class, adversarial: that class's softmax probability */
    int top1;            /* class, adversarial: the current top-1 class */
    gboolean done;       /* the final report */
} VknnVisProgress;

typedef void (*VknnVisProgressFunc)(const VknnVisProgress *p, void *user);

/* ---- class visualisation --------------------------------------------------- */

typedef enum {
    /* x += step * g / rms(g): the gradient's direction, each step moving the
     * pixels by `step` in the root mean square (the CS231n assignment's
     * img += lr * g / ||g||, in units that do not depend on the size). */
    VKNN_VIS_SGD,
    /* Adam on -objective with learning rate `step` (vknn train's Adam). */
    VKNN_VIS_ADAM,
} VknnVisOptimizer;

typedef struct {
    int target_class;
    int iterations;
    VknnVisOptimizer optimizer;
    float step;       /* pixel units (0..1) */
    float l2_decay;   /* each iteration (x - mean) *= 1 - l2_decay: decay towards the mean colour */
    int blur_every;   /* Gaussian blur every N iterations (0: never) */
    float blur_sigma; /* in pixels */
    int jitter;       /* the image is rolled by up to +-jitter pixels for each step */
    float tv_weight;  /* total variation on the pixels (0: none) */
    float init_noise; /* the start: the mean colour plus Gaussian noise of this std (0: "zero") */
    guint32 seed;     /* noise and jitter */
} VknnClassVisParams;

// clang-format off
#define VKNN_CLASS_VIS_PARAMS_DEFAULT                                                              \
    {                                                                                              \
        .target_class = 0, .iterations = 200, .optimizer = VKNN_VIS_SGD, .step = 0.01f,            \
        .l2_decay = 1e-3f, .blur_every = 10, .blur_sigma = 0.5f, .jitter = 16, .tv_weight = 0.0f,  \
        .init_noise = 0.0f, .seed = 1                                                              \
    }
// clang-format on

typedef struct {
    float start_score, final_score; /* the target logit before and after */
    float start_prob, final_prob;   /* its softmax probability */
    int final_top1;
    double seconds; /* wall time of the iterations */
} VknnVisResult;

/* Optimises image (3 x height x width, written; its content is replaced by
 * the start of params) to raise the target class's score. A class the
 * model lacks is VKNN_ERROR_NOT_FOUND, naming the model's range. */
gboolean vknn_class_visualize(VknnVisualizer *vis, const VknnClassVisParams *params, int width,
                              int height, float *image, VknnVisProgressFunc progress, void *user,
                              VknnVisResult *result, GError **err);

/* ---- adversarial examples --------------------------------------------------- */

typedef enum {
    VKNN_ATTACK_FGSM,      /* one step of epsilon * sign(gradient) */
    VKNN_ATTACK_ITERATIVE, /* steps of `step` * sign(gradient), clipped to the budget, until
                            * the top-1 is the target (or, untargeted, no longer the clean one) */
} VknnAttack;

typedef struct {
    VknnAttack method;
    int target_class; /* -1: untargeted (away from the clean top-1) */
    float epsilon;    /* L-infinity budget in pixel units (2/255: two 8-bit levels) */
    float step;       /* iterative: pixel units a step */
    int iterations;   /* iterative: at most */
    /* Rounds the result to 8-bit levels (k / 255) and scores the rounded
     * image, so that what is saved as PNG is what was scored; pixels that
     * rounding would carry past the budget keep their unrounded value. */
    gboolean quantize;
} VknnAdversarialParams;

#define VKNN_ADVERSARIAL_PARAMS_DEFAULT                                                            \
    {                                                                                              \
        .method = VKNN_ATTACK_FGSM, .target_class = -1, .epsilon = 2.0f / 255, .step = 1.0f / 255, \
        .iterations = 50, .quantize = TRUE                                                         \
    }

typedef struct {
    int clean_class, adv_class; /* top-1 before and after */
    float clean_prob, adv_prob; /* their softmax probabilities */
    float target_prob;          /* the target's probability after (targeted) */
    float linf;                 /* max |adv - image| */
    int iterations;             /* forward + backward passes taken */
    gboolean success;           /* flipped (to the target, when there is one) */
    double seconds;
} VknnAdversarialResult;

/* Perturbs image (3 x height x width pixels) into adv within the budget
 * and the 0..1 range. The loss is the cross-entropy of the softmax: FGSM
 * and the untargeted attack ascend it for the clean top-1, the targeted
 * ones descend it for the target (one the model lacks:
 * VKNN_ERROR_NOT_FOUND). */
gboolean vknn_adversarial(VknnVisualizer *vis, const VknnAdversarialParams *params, int width,
                          int height, const float *image, float *adv, VknnVisProgressFunc progress,
                          void *user, VknnAdversarialResult *result, GError **err);

/* ---- DeepDream ---------------------------------------------------------------- */

typedef struct {
    int octaves;        /* image scales, the smallest first */
    float octave_scale; /* ratio between octaves (1.4) */
    int iterations;     /* steps an octave */
    float step;         /* x += step * g / mean|g|, pixel units (1.5 / 255) */
    int jitter;         /* roll by up to +-jitter pixels a step */
    guint32 seed;
} VknnDreamParams;

#define VKNN_DREAM_PARAMS_DEFAULT                                                                  \
    {                                                                                              \
        .octaves = 4, .octave_scale = 1.4f, .iterations = 10, .step = 1.5f / 255, .jitter = 32,    \
        .seed = 1                                                                                  \
    }

/* Dreams on image (3 x height x width pixels, changed in place): ascends
 * 1/2 ||A||^2 of the visualizer's layer, at each octave adding the detail
 * found at the smaller ones (google/deepdream's algorithm). result's scores
 * are the layer's mean squared activation at full size before and after. */
gboolean vknn_dream(VknnVisualizer *vis, const VknnDreamParams *params, int width, int height,
                    float *image, VknnVisProgressFunc progress, void *user, VknnVisResult *result,
                    GError **err);

/* ---- image helpers ------------------------------------------------------------- */

/* Gaussian blur of the 3 planes in place (separable, edges clamped). */
void vknn_image_blur(float *image, int width, int height, float sigma);

/* Bilinear resize of 3 planes (pixel centres aligned, edges clamped). */
void vknn_image_resize(const float *in, int w, int h, float *out, int out_w, int out_h);

/* ---- DeepDream on video ---------------------------------------------------------- */

/* Where a video frame's dream starts from. */
typedef enum {
    /* The camera frame alone: each frame dreams afresh (flickers). */
    VKNN_DREAM_FEED_NONE,
    /* The camera frame blended with the previous frame's dream (weight
     * `feedback`), so the dream keeps growing where the scene holds still. */
    VKNN_DREAM_FEED_BLEND,
    /* The previous dream warped along the optical flow between the last
     * camera frame and this one (vkstyletransfer's temporal=flow: pyramidal
     * Lucas-Kanade on the device), blended in where the flow is trusted; at
     * occlusions, motion boundaries and cuts the camera frame starts alone,
     * so moving things carry their dream along instead of leaving ghosts. */
    VKNN_DREAM_FEED_FLOW,
} VknnDreamFeed;

typedef struct {
    VknnDreamParams dream; /* per frame; iterations 0: the start image is the output */
    VknnDreamFeed feed;
    float feedback; /* 0..1: weight of the previous dream in the start image */
} VknnLiveDreamParams;

// clang-format off
#define VKNN_LIVE_DREAM_PARAMS_DEFAULT                                                             \
    {                                                                                              \
        .dream = {.octaves = 2, .octave_scale = 1.4f, .iterations = 2, .step = 1.5f / 255,         \
                  .jitter = 8, .seed = 1},                                                         \
        .feed = VKNN_DREAM_FEED_FLOW, .feedback = 0.8f                                            \
    }
// clang-format on

/* DeepDream on consecutive video frames: one visualizer per octave, each
 * staying prepared at its octave's size, so a frame of the same size as the
 * last plans and allocates nothing on the device; the previous dream is
 * kept for the feedback. The jitter's random sequence continues from frame
 * to frame. Not thread-safe. */
typedef struct VknnDreamStream VknnDreamStream;

/* model and ctx outlive the stream; layer as for vknn_visualizer_new (an
 * unknown name is VKNN_ERROR_NOT_FOUND, naming it). */
VknnDreamStream *vknn_dream_stream_new(VknnContext *ctx, VknnModel *model,
                                       const VknnFrameInputParams *input, const char *layer,
                                       GError **err);
void vknn_dream_stream_free(VknnDreamStream *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnDreamStream, vknn_dream_stream_free)

/* Forgets the previous dream: the next frame starts from itself alone (a
 * seek, a cut). A new frame size forgets it too. */
void vknn_dream_stream_reset(VknnDreamStream *s);

/* Dreams one frame: image (3 x height x width pixels, 0..1) is the camera
 * frame in and the dream out. */
gboolean vknn_dream_stream_frame(VknnDreamStream *s, const VknnLiveDreamParams *params, int width,
                                 int height, float *image, GError **err);

/* The same on 8-bit frames in host memory (row strides in bytes; alpha or X
 * written 255). */
gboolean vknn_dream_stream_frame_bytes(VknnDreamStream *s, const VknnLiveDreamParams *params,
                                       VknnPixelFormat fmt, int width, int height, const guint8 *in,
                                       int in_stride, guint8 *out, int out_stride, GError **err);

/* The same on Vulkan images of the stream's device (R8G8B8A8_UNORM or
 * B8G8R8A8_UNORM): `in` (SAMPLED usage) is converted on the device and read
 * back, the dream (optimised on the host between the passes, as every
 * DeepDream here) is copied into `out` (TRANSFER_DST usage). Their layouts,
 * stages and accesses are updated for the next user. */
gboolean vknn_dream_stream_frame_images(VknnDreamStream *s, const VknnLiveDreamParams *params,
                                        int width, int height, VknnImage *in, VknnImage *out,
                                        GError **err);

/* Wall time of the last frame in milliseconds (0 before the first). */
double vknn_dream_stream_last_frame_ms(const VknnDreamStream *s);

G_END_DECLS
