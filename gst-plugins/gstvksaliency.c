/* vknn GStreamer plugin — vksaliency.
 *
 * A GstVknnExplainFilter (gstvknnexplainfilter.h: engines, preprocessing,
 * interval, smoothing, overlay): chooses the saliency method and class,
 * normalises each map by its 0.99 quantile and posts a "vknn-saliency"
 * element message per computed map.
 */

/**
 * SECTION:element-vksaliency
 * @title: vksaliency
 * @see_also: vkactivationmap, vkstyletransfer, vulkanupload, vulkandownload
 *
 * Shows what an image classifier looks at: each frame is classified in
 * Vulkan compute shaders (libvknn) and a saliency map of the winning class
 * (or #GstVkSaliency:target-class) is blended onto the frame at its own
 * resolution, over the part of the frame the network saw. Methods: Grad-CAM
 * (default), vanilla gradients, guided backprop, SmoothGrad, occlusion.
 *
 * Every computed map posts an element message "vknn-saliency" with the
 * method, class-id, label, score (softmax probability), top5 (an array of
 * structures with id, label and score) and the buffer's timestamp,
 * stream-time, running-time and duration; an application can draw the label
 * with a textoverlay (pipelines/examples/saliency_labels.py).
 *
 * Built with GStreamer 1.24 or newer (its analytics library), each output
 * buffer whose map was computed also carries a #GstAnalyticsRelationMeta
 * holding one #GstAnalyticsClsMtd: the same top 5 classes (their labels as
 * quarks) and probabilities as the message, for downstream analytics
 * elements. With GStreamer 1.26 or newer, #GstVkSaliency:tensor-meta adds a
 * #GstTensorMeta with the classifier's raw logits (tensor id
 * "classification-generic-out", float32, 1 x classes). Built with an older
 * GStreamer (Debian 12's 1.22), the element attaches neither and has no
 * tensor-meta property.
 *
 * Frames in system memory (RGBA, BGRA, RGBx, BGRx) and in Vulkan images
 * (RGBA, BGRA) are supported; Vulkan images never leave the GPU.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! videoconvert ! vksaliency model=squeezenet1_1.onnx
 * labels=imagenet_classes.txt ! videoconvert ! autovideosink
 * ]| System memory.
 * |[
 * gst-launch-1.0 -m videotestsrc ! vulkanupload ! vksaliency model=squeezenet1_1.onnx
 * method=guided interval=5 ! vulkandownload ! autovideosink
 * ]| Vulkan memory, a map every 5 frames, messages printed.
 */
#include "gstvksaliency.h"
#include "gstvknnconfig.h"

#include <string.h>

#if VKNN_HAVE_GST_ANALYTICS
#include <gst/analytics/analytics.h>
#endif

GST_DEBUG_CATEGORY_STATIC(gst_vk_saliency_debug);
#define GST_CAT_DEFAULT gst_vk_saliency_debug

#define DEFAULT_PROP_METHOD VKNN_EXPLAIN_GRADCAM
#define DEFAULT_PROP_TARGET_CLASS -1
/* Gradient maps are sparse: one hot pixel must not set the scale. */
#define DISPLAY_QUANTILE 0.99f
#define TOP_K 5
#define DEFAULT_PROP_TENSOR_META FALSE
/* The id GStreamer's tensor conventions give a classifier's output vector. */
#define LOGITS_TENSOR_ID "classification-generic-out"

enum {
    PROP_0,
    PROP_LABELS,
    PROP_METHOD,
    PROP_TARGET_CLASS,
    PROP_TENSOR_META,
};

/* The classes of the frame being transformed, kept from the explanation
 * until the output buffer is released by libvknn (a mapped buffer is not
 * writable) and they become its metadata. Streaming thread only. */
typedef struct {
    gboolean valid;
    gint k;
    GQuark labels[TOP_K];
    gfloat scores[TOP_K];
    gfloat *logits; /* with tensor-meta */
    gint n_logits;
} GstVkSaliencyResult;

struct _GstVkSaliency {
    GstVknnExplainFilter parent;

    /* Properties, under the object lock; read when an engine is built. */
    gchar *labels;
    VknnExplainMethod method;
    gint target_class;
    /* The last target-class a model took, which one it cannot take falls
     * back to. */
    gint applied_class;
    gboolean tensor_meta;

    GstVkSaliencyResult result;
};

#define gst_vk_saliency_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVkSaliency, gst_vk_saliency, GST_TYPE_VKNN_EXPLAIN_FILTER,
                        GST_DEBUG_CATEGORY_INIT(gst_vk_saliency_debug, "vksaliency", 0,
                                                "Vulkan classifier saliency maps"));
GST_ELEMENT_REGISTER_DEFINE(vksaliency, "vksaliency", GST_RANK_NONE, GST_TYPE_VK_SALIENCY);

#define GST_TYPE_VK_SALIENCY_METHOD (gst_vk_saliency_method_get_type())
static GType gst_vk_saliency_method_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {VKNN_EXPLAIN_GRADIENT, "Vanilla gradient: max over RGB of |d score / d input|",
         "gradient"},
        {VKNN_EXPLAIN_GUIDED, "Guided backprop: gradients through Relus passing positive ones",
         "guided"},
        {VKNN_EXPLAIN_GRADCAM, "Grad-CAM at a feature layer (coarse, class-discriminative)",
         "gradcam"},
        {VKNN_EXPLAIN_SMOOTHGRAD, "SmoothGrad: gradients averaged over 16 noisy copies (slow)",
         "smoothgrad"},
        {VKNN_EXPLAIN_OCCLUSION, "Occlusion: probability drop under a sliding patch (slow)",
         "occlusion"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVkSaliencyMethod", values));
    return type;
}

/* ---- properties ------------------------------------------------------------ */

/* A labels file is read where it is set: one that cannot be read is
 * refused, keeping the current one. */
static gboolean gst_vk_saliency_labels_readable(GstVkSaliency *self, const gchar *path)
{
    GError *err = NULL;
    gint n = 0;
    gchar **labels = path && *path ? vknn_labels_load(path, &n, &err) : NULL;
    g_strfreev(labels);
    if (!err)
        return TRUE;
    gst_vknn_filter_refuse_setting(GST_VKNN_FILTER(self),
                                   "labels '%s': %s; keeping the current "
                                   "value",
                                   path, err->message);
    g_error_free(err);
    return FALSE;
}

static void gst_vk_saliency_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
    GstVkSaliency *self = GST_VK_SALIENCY(object);

    if (prop_id == PROP_LABELS && !gst_vk_saliency_labels_readable(self, g_value_get_string(value)))
        return;
    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_LABELS:
        g_free(self->labels);
        self->labels = g_value_dup_string(value);
        break;
    case PROP_METHOD:
        self->method = g_value_get_enum(value);
        break;
    case PROP_TARGET_CLASS:
        self->target_class = g_value_get_int(value);
        break;
    case PROP_TENSOR_META:
        /* Read per frame: no engine to reload. */
        self->tensor_meta = g_value_get_boolean(value);
        GST_OBJECT_UNLOCK(self);
        return;
    default:
        GST_OBJECT_UNLOCK(self);
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        return;
    }
    GST_OBJECT_UNLOCK(self);
    /* These three are the engine's. */
    gst_vknn_filter_reload(GST_VKNN_FILTER(self));
}

static void gst_vk_saliency_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    GstVkSaliency *self = GST_VK_SALIENCY(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_LABELS:
        g_value_set_string(value, self->labels);
        break;
    case PROP_METHOD:
        g_value_set_enum(value, self->method);
        break;
    case PROP_TARGET_CLASS:
        g_value_set_int(value, self->target_class);
        break;
    case PROP_TENSOR_META:
        g_value_set_boolean(value, self->tensor_meta);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

/* ---- engines (loader thread) ----------------------------------------------- */

static void gst_vk_saliency_explain_params(GstVknnExplainFilter *filter, VknnExplainParams *params)
{
    GstVkSaliency *self = GST_VK_SALIENCY(filter);

    GST_OBJECT_LOCK(self);
    params->method = self->method;
    params->target_class = self->target_class;
    GST_OBJECT_UNLOCK(self);
}

/* The number of class scores (the explainer inferred the shapes). */
static gint gst_vk_saliency_n_classes(const VknnModel *model)
{
    const VknnValue *scores = vknn_model_value(model, g_array_index(model->outputs, int, 0));
    return (gint)vknn_shape_numel(&scores->shape);
}

/* target-class must name a class of the model: one beyond them is refused,
 * falling back to the last one a model took (or the top class). */
static void gst_vk_saliency_fit_params(GstVknnExplainFilter *filter, GstVknnEngine *engine,
                                       const gchar *layer, VknnExplainParams *params)
{
    GstVkSaliency *self = GST_VK_SALIENCY(filter);
    const gint n_classes = gst_vk_saliency_n_classes(engine->model);
    const gint target = params->target_class;

    GST_OBJECT_LOCK(self);
    if (target < n_classes) {
        self->applied_class = target;
        GST_OBJECT_UNLOCK(self);
        return;
    }
    const gint fallback = self->applied_class < n_classes ? self->applied_class : -1;
    const gboolean unchanged = self->target_class == target; /* not set again since */
    if (unchanged)
        self->target_class = fallback;
    GST_OBJECT_UNLOCK(self);
    params->target_class = fallback;
    gst_vknn_filter_refuse_setting(GST_VKNN_FILTER(self),
                                   "target-class %d: classifier %s has %d classes (0 to %d); "
                                   "keeping %d%s",
                                   target, engine->path, n_classes, n_classes - 1, fallback,
                                   fallback < 0 ? " (the top class of each frame)" : "");
    if (unchanged)
        g_object_notify(G_OBJECT(self), "target-class");
}

/* Labels are optional: a file that cannot be read is a warning, and
 * messages carry class numbers. */
static GstVknnLoadResult gst_vk_saliency_check_engine(GstVknnExplainFilter *filter,
                                                      GstVknnEngine *engine, GError **err)
{
    GstVkSaliency *self = GST_VK_SALIENCY(filter);
    GstVknnExplainEngine *xe = engine->data;
    const gint n_classes = gst_vk_saliency_n_classes(engine->model);

    GST_OBJECT_LOCK(self);
    g_autofree gchar *labels = g_strdup(self->labels);
    GST_OBJECT_UNLOCK(self);

    if (labels && *labels) {
        GError *lerr = NULL;
        if (!(xe->labels = vknn_labels_load(labels, &xe->n_labels, &lerr))) {
            GST_ELEMENT_WARNING(self, RESOURCE, READ,
                                ("Could not read labels %s; messages carry class numbers", labels),
                                ("%s", lerr->message));
            g_clear_error(&lerr);
        } else if (xe->n_labels != n_classes) {
            GST_WARNING_OBJECT(self, "%s has %d labels for %d classes", labels, xe->n_labels,
                               n_classes);
        }
    }
    return GST_VKNN_LOAD_OK;
}

/* ---- maps and messages (streaming thread) ---------------------------------- */

/* Scaled by the 0.99 quantile (the maximum when fewer than 1 % of the
 * values are positive), negative values 0. */
static void gst_vk_saliency_display_map(GstVknnExplainFilter *filter, const VknnExplanation *e,
                                        GstVknnMap *map)
{
    const gint n = e->map_w * e->map_h;

    map->data = g_memdup2(e->map, sizeof(gfloat) * n);
    map->width = e->map_w;
    map->height = e->map_h;
    gfloat scale = vknn_map_quantile(e->map, n, DISPLAY_QUANTILE);
    if (scale <= 0.0f)
        scale = vknn_map_quantile(e->map, n, 1.0f);
    gst_vknn_map_normalize(map->data, n, scale);
}

/* The class's line of the labels file, or "class N". */
static const gchar *gst_vk_saliency_label(const GstVknnExplainEngine *xe, gint id, gchar *buf,
                                          gsize len)
{
    if (id >= 0 && id < xe->n_labels && xe->labels[id][0])
        return xe->labels[id];
    g_snprintf(buf, len, "class %d", id);
    return buf;
}

static GstStructure *gst_vk_saliency_class_structure(const GstVknnExplainEngine *xe, gint id,
                                                     gdouble score)
{
    gchar buf[32];
    return gst_structure_new("class", "id", G_TYPE_INT, id, "label", G_TYPE_STRING,
                             gst_vk_saliency_label(xe, id, buf, sizeof buf), "score", G_TYPE_DOUBLE,
                             score, NULL);
}

static void gst_vk_saliency_keep_result(GstVkSaliency *self, const GstVknnExplainEngine *xe,
                                        const VknnExplanation *e, const VknnClassScore *top,
                                        gint k);

static void gst_vk_saliency_explained(GstVknnExplainFilter *filter, GstVknnExplainEngine *xe,
                                      GstBuffer *inbuf, const VknnExplanation *e)
{
    GstBaseTransform *bt = GST_BASE_TRANSFORM(filter);
    const GstClockTime pts = GST_BUFFER_PTS(inbuf);
    VknnClassScore top[TOP_K];
    const gint k = MIN(TOP_K, e->n_classes);
    gchar buf[32];

    GstStructure *s = gst_structure_new(
        "vknn-saliency", "method", G_TYPE_STRING, vknn_explain_method_to_string(xe->method),
        "class-id", G_TYPE_INT, e->class_id, "label", G_TYPE_STRING,
        gst_vk_saliency_label(xe, e->class_id, buf, sizeof buf), "score", G_TYPE_DOUBLE,
        (gdouble)e->score, "timestamp", G_TYPE_UINT64, pts, "stream-time", G_TYPE_UINT64,
        gst_segment_to_stream_time(&bt->segment, GST_FORMAT_TIME, pts), "running-time",
        G_TYPE_UINT64, gst_segment_to_running_time(&bt->segment, GST_FORMAT_TIME, pts), "duration",
        G_TYPE_UINT64, GST_BUFFER_DURATION(inbuf), NULL);
    if (xe->method == VKNN_EXPLAIN_GRADCAM)
        gst_structure_set(s, "layer", G_TYPE_STRING, vknn_explainer_layer(xe->explainer), NULL);

    GValue top5 = G_VALUE_INIT;
    gst_value_array_init(&top5, k);
    vknn_top_k(e->logits, e->n_classes, k, top);
    for (gint i = 0; i < k; i++) {
        GValue v = G_VALUE_INIT;
        g_value_init(&v, GST_TYPE_STRUCTURE);
        g_value_take_boxed(&v, gst_vk_saliency_class_structure(xe, top[i].id, top[i].prob));
        gst_value_array_append_and_take_value(&top5, &v);
    }
    gst_structure_take_value(s, "top5", &top5);
    GST_LOG_OBJECT(filter, "%" GST_PTR_FORMAT, s);
    gst_element_post_message(GST_ELEMENT(filter), gst_message_new_element(GST_OBJECT(filter), s));
    gst_vk_saliency_keep_result(GST_VK_SALIENCY(filter), xe, e, top, k);
}

/* ---- buffer metadata (GStreamer >= 1.24) ------------------------------------ */

static void gst_vk_saliency_result_clear(GstVkSaliencyResult *r)
{
    g_free(r->logits);
    memset(r, 0, sizeof *r);
}

#if VKNN_HAVE_GST_ANALYTICS
/* One GstAnalyticsClsMtd: the top classes by label, best first, with their
 * probabilities (an upstream element's relation meta, copied onto outbuf,
 * is added to rather than shadowed). */
static gboolean gst_vk_saliency_add_cls_meta(const GstVkSaliencyResult *r, GstBuffer *outbuf)
{
    GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta(outbuf);
    if (!rmeta)
        rmeta = gst_buffer_add_analytics_relation_meta(outbuf);
    GstAnalyticsClsMtd mtd;
    /* Copies: the call takes non-const arrays. */
    gfloat scores[TOP_K];
    GQuark labels[TOP_K];
    memcpy(scores, r->scores, sizeof scores);
    memcpy(labels, r->labels, sizeof labels);
    return rmeta && gst_analytics_relation_meta_add_cls_mtd(rmeta, r->k, scores, labels, &mtd);
}
#endif

#if VKNN_HAVE_GST_TENSOR_META
/* A GstTensorMeta with one float32 tensor, 1 x classes, of raw logits. */
static void gst_vk_saliency_add_tensor_meta(const GstVkSaliencyResult *r, GstBuffer *outbuf)
{
    gsize dims[2] = {1, (gsize)r->n_logits};
    GstBuffer *data = gst_buffer_new_memdup(r->logits, sizeof(gfloat) * r->n_logits);
    GstTensor **tensors = g_new(GstTensor *, 1);
    tensors[0] = gst_tensor_new_simple(g_quark_from_static_string(LOGITS_TENSOR_ID),
                                       GST_TENSOR_DATA_TYPE_FLOAT32, data,
                                       GST_TENSOR_DIM_ORDER_ROW_MAJOR, G_N_ELEMENTS(dims), dims);
    gst_tensor_meta_set(gst_buffer_add_tensor_meta(outbuf), 1, tensors);
}
#endif

/* Keeps what the explanation's buffer will carry (nothing where this
 * GStreamer has no analytics metadata). */
static void gst_vk_saliency_keep_result(GstVkSaliency *self, const GstVknnExplainEngine *xe,
                                        const VknnExplanation *e, const VknnClassScore *top, gint k)
{
#if VKNN_HAVE_GST_ANALYTICS
    GstVkSaliencyResult *r = &self->result;
    gchar buf[32];

    gst_vk_saliency_result_clear(r);
    r->valid = TRUE;
    r->k = k;
    for (gint i = 0; i < k; i++) {
        r->labels[i] = g_quark_from_string(gst_vk_saliency_label(xe, top[i].id, buf, sizeof buf));
        r->scores[i] = top[i].prob;
    }
    GST_OBJECT_LOCK(self);
    const gboolean tensor_meta = self->tensor_meta;
    GST_OBJECT_UNLOCK(self);
    if (tensor_meta) {
        r->logits = g_memdup2(e->logits, sizeof(gfloat) * e->n_classes);
        r->n_logits = e->n_classes;
    }
#endif
}

/* The frame's classes become its output buffer's metadata once the base
 * class has unmapped it. */
static GstFlowReturn gst_vk_saliency_transform(GstBaseTransform *bt, GstBuffer *inbuf,
                                               GstBuffer *outbuf)
{
    GstVkSaliency *self = GST_VK_SALIENCY(bt);
    const GstFlowReturn ret = GST_BASE_TRANSFORM_CLASS(parent_class)->transform(bt, inbuf, outbuf);

#if VKNN_HAVE_GST_ANALYTICS
    GstVkSaliencyResult *r = &self->result;
    if (ret == GST_FLOW_OK && r->valid) {
        if (!gst_buffer_is_writable(outbuf))
            GST_WARNING_OBJECT(self, "output buffer not writable: no classification meta");
        else if (!gst_vk_saliency_add_cls_meta(r, outbuf))
            GST_WARNING_OBJECT(self, "could not add the classification meta");
#if VKNN_HAVE_GST_TENSOR_META
        else if (r->logits)
            gst_vk_saliency_add_tensor_meta(r, outbuf);
#endif
    }
#endif
    gst_vk_saliency_result_clear(&self->result);
    return ret;
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vk_saliency_finalize(GObject *object)
{
    g_free(GST_VK_SALIENCY(object)->labels);
    gst_vk_saliency_result_clear(&GST_VK_SALIENCY(object)->result);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vk_saliency_init(GstVkSaliency *self)
{
    self->method = DEFAULT_PROP_METHOD;
    self->target_class = DEFAULT_PROP_TARGET_CLASS;
    self->applied_class = DEFAULT_PROP_TARGET_CLASS;
    self->tensor_meta = DEFAULT_PROP_TENSOR_META;
}

static void gst_vk_saliency_class_init(GstVkSaliencyClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);
    GstVknnExplainFilterClass *explain_class = GST_VKNN_EXPLAIN_FILTER_CLASS(klass);
    const GParamFlags flags =
        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;

    gobject_class->set_property = gst_vk_saliency_set_property;
    gobject_class->get_property = gst_vk_saliency_get_property;
    gobject_class->finalize = gst_vk_saliency_finalize;
    g_object_class_install_property(
        gobject_class, PROP_LABELS,
        g_param_spec_string("labels", "Labels",
                            "Class names for the messages: a text file, one class a line "
                            "(optional; without it labels read \"class N\")",
                            NULL, flags));
    g_object_class_install_property(
        gobject_class, PROP_METHOD,
        g_param_spec_enum("method", "Method", "How the saliency map is computed",
                          GST_TYPE_VK_SALIENCY_METHOD, DEFAULT_PROP_METHOD, flags));
    g_object_class_install_property(
        gobject_class, PROP_TARGET_CLASS,
        g_param_spec_int("target-class", "Target class",
                         "Class whose evidence is shown; -1: the most probable class of each "
                         "frame",
                         -1, G_MAXINT, DEFAULT_PROP_TARGET_CLASS, flags));
#if VKNN_HAVE_GST_TENSOR_META
    /**
     * GstVkSaliency:tensor-meta:
     *
     * Attach a #GstTensorMeta with the raw logits to each buffer whose map
     * was computed. Only in builds with GStreamer 1.26 or newer.
     */
    g_object_class_install_property(
        gobject_class, PROP_TENSOR_META,
        g_param_spec_boolean("tensor-meta", "Tensor meta",
                             "Attach a GstTensorMeta with the classifier's raw logits "
                             "(\"" LOGITS_TENSOR_ID "\", float32, 1 x classes) to each buffer "
                             "whose map was computed",
                             DEFAULT_PROP_TENSOR_META, flags));
#endif

    gst_element_class_set_static_metadata(
        element_class, "Vulkan classifier saliency", "Filter/Effect/Video/Analyzer/Hardware",
        "Draws what an image classifier looks at (Grad-CAM, gradients, guided backprop, "
        "SmoothGrad, occlusion) onto video, in Vulkan compute shaders (libvknn), and posts the "
        "top classes",
        "vknn developers");

    bt_class->transform = gst_vk_saliency_transform;
    explain_class->explain_params = gst_vk_saliency_explain_params;
    explain_class->fit_params = gst_vk_saliency_fit_params;
    explain_class->check_engine = gst_vk_saliency_check_engine;
    explain_class->display_map = gst_vk_saliency_display_map;
    explain_class->explained = gst_vk_saliency_explained;

    gst_type_mark_as_plugin_api(GST_TYPE_VK_SALIENCY_METHOD, 0);
}
