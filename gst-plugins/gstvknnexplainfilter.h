/* vknn GStreamer plugin — GstVknnExplainFilter: the abstract base of
 * vksaliency and vkactivationmap.
 *
 * A GstVknnFilter whose engines hold a VknnExplainer (an image classifier
 * run forward, and backward for the gradient methods) and a VknnOverlay. On
 * every `interval`-th frame the frame is converted into the network input on
 * the device (VknnFrameInputParams from the preprocessing properties), the
 * subclass turns the explanation into a display map in 0..1, which is
 * averaged over time (`smoothing`); every frame then gets the latest map
 * blended on at the frame's resolution, over the crop the network saw (or
 * the whole frame), through `colormap` with opacity `alpha` x map value.
 *
 * Properties here: model, layer, colormap, alpha, mean, std, input-width,
 * input-height, resize-mode, interval, smoothing. model and layer (and what
 * a subclass passes to gst_vknn_filter_reload) build a new engine in the
 * background; the others apply at the next frame.
 */
#pragma once

#include "gstvknnfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_VKNN_EXPLAIN_FILTER (gst_vknn_explain_filter_get_type())
G_DECLARE_DERIVABLE_TYPE(GstVknnExplainFilter, gst_vknn_explain_filter, GST, VKNN_EXPLAIN_FILTER,
                         GstVknnFilter)

/* The engine's objects (GstVknnEngine.data). */
typedef struct {
    VknnExplainer *explainer;
    VknnExplainMethod method;
    VknnOverlay *overlay;
    gchar **labels; /* class names (NULL-terminated), or NULL */
    gint n_labels;
    /* The network input size a model with a fixed one (e.g. MobileNetV2's
     * ONNX, 224x224) runs at, whatever input-width/height say; 0 when the
     * model takes any size. */
    gint fixed_width, fixed_height;
} GstVknnExplainEngine;

/* What to draw: a map of values in 0..1 (data owned by the holder). */
typedef struct {
    gfloat *data;
    gint width, height;
    gboolean whole_frame; /* over the whole frame, not the network's crop */
    gboolean opaque;      /* blend with constant alpha instead of alpha x value */
} GstVknnMap;

struct _GstVknnExplainFilterClass {
    GstVknnFilterClass parent_class;

    /* Loader thread: the explainer's method, target class and channel from
     * the subclass's properties (layer is set by the base). */
    void (*explain_params)(GstVknnExplainFilter *self, VknnExplainParams *params);
    /* Loader thread, optional: makes params (from explain_params) fit
     * engine->model, whose shapes are inferred, at `layer` (the layer in
     * use: the base has made it fit; NULL when the model has none). A value
     * the model cannot take is refused (gst_vknn_filter_refuse_setting)
     * and replaced in params and in its property by the last value a model
     * took, or the default, which the property then reads back. */
    void (*fit_params)(GstVknnExplainFilter *self, GstVknnEngine *engine, const gchar *layer,
                       VknnExplainParams *params);
    /* Loader thread, optional: adds to a freshly built engine
     * (engine->data is the GstVknnExplainEngine, its explainer made);
     * GST_VKNN_LOAD_OK or a failure with err set. */
    GstVknnLoadResult (*check_engine)(GstVknnExplainFilter *self, GstVknnEngine *engine,
                                      GError **err);
    /* Streaming thread: the explanation as a display map in 0..1 (fill map;
     * the base frees map->data). */
    void (*display_map)(GstVknnExplainFilter *self, const VknnExplanation *e, GstVknnMap *map);
    /* Streaming thread, optional: after each computed map (messages). */
    void (*explained)(GstVknnExplainFilter *self, GstVknnExplainEngine *engine, GstBuffer *inbuf,
                      const VknnExplanation *e);
};

/* Divides map by scale and clamps to 0..1 (negative values and scale <= 0
 * give 0). */
void gst_vknn_map_normalize(gfloat *map, gint n, gfloat scale);

G_END_DECLS
