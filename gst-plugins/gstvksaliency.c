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

GST_DEBUG_CATEGORY_STATIC(gst_vk_saliency_debug);
#define GST_CAT_DEFAULT gst_vk_saliency_debug

#define DEFAULT_PROP_METHOD VKNN_EXPLAIN_GRADCAM
#define DEFAULT_PROP_TARGET_CLASS -1
/* Gradient maps are sparse: one hot pixel must not set the scale. */
#define DISPLAY_QUANTILE 0.99f
#define TOP_K 5

enum {
    PROP_0,
    PROP_LABELS,
    PROP_METHOD,
    PROP_TARGET_CLASS,
};

struct _GstVkSaliency {
    GstVknnExplainFilter parent;

    /* Properties, under the object lock; read when an engine is built. */
    gchar *labels;
    VknnExplainMethod method;
    gint target_class;
    /* The last target-class an engine took: a refused one goes back to it,
     * so that the next engine (a restart, a model switch) is not refused too. */
    gint accepted_target_class;
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

static void gst_vk_saliency_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
    GstVkSaliency *self = GST_VK_SALIENCY(object);

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
    default:
        GST_OBJECT_UNLOCK(self);
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        return;
    }
    GST_OBJECT_UNLOCK(self);
    /* All three are the engine's. */
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

/* target-class must name a class; labels are optional: a file that cannot
 * be read is a warning, and messages carry class numbers. */
static GstVknnLoadResult gst_vk_saliency_check_engine(GstVknnExplainFilter *filter,
                                                      GstVknnEngine *engine, GError **err)
{
    GstVkSaliency *self = GST_VK_SALIENCY(filter);
    GstVknnExplainEngine *xe = engine->data;
    const gint n_classes = gst_vk_saliency_n_classes(engine->model);

    GST_OBJECT_LOCK(self);
    const gint target = self->target_class;
    g_autofree gchar *labels = g_strdup(self->labels);
    GST_OBJECT_UNLOCK(self);

    if (target >= n_classes) {
        GST_OBJECT_LOCK(self);
        const gint accepted = self->accepted_target_class;
        const gboolean unchanged = self->target_class == target; /* not set again since */
        if (unchanged)
            self->target_class = accepted;
        GST_OBJECT_UNLOCK(self);
        g_set_error(err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
                    "target-class %d, but the classifier has %d classes (0 to %d); "
                    "target-class is %d again",
                    target, n_classes, n_classes - 1, accepted);
        if (unchanged)
            g_object_notify(G_OBJECT(self), "target-class");
        return GST_VKNN_LOAD_SETTINGS_FAILED;
    }
    GST_OBJECT_LOCK(self);
    self->accepted_target_class = target;
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
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vk_saliency_finalize(GObject *object)
{
    g_free(GST_VK_SALIENCY(object)->labels);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vk_saliency_init(GstVkSaliency *self)
{
    self->method = DEFAULT_PROP_METHOD;
    self->target_class = DEFAULT_PROP_TARGET_CLASS;
    self->accepted_target_class = DEFAULT_PROP_TARGET_CLASS;
}

static void gst_vk_saliency_class_init(GstVkSaliencyClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
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

    gst_element_class_set_static_metadata(
        element_class, "Vulkan classifier saliency", "Filter/Effect/Video/Analyzer/Hardware",
        "Draws what an image classifier looks at (Grad-CAM, gradients, guided backprop, "
        "SmoothGrad, occlusion) onto video, in Vulkan compute shaders (libvknn), and posts the "
        "top classes",
        "vknn developers");

    explain_class->explain_params = gst_vk_saliency_explain_params;
    explain_class->check_engine = gst_vk_saliency_check_engine;
    explain_class->display_map = gst_vk_saliency_display_map;
    explain_class->explained = gst_vk_saliency_explained;

    gst_type_mark_as_plugin_api(GST_TYPE_VK_SALIENCY_METHOD, 0);
}
