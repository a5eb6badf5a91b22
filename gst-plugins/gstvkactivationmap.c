/* vknn GStreamer plugin — vkactivationmap.
 *
 * A GstVknnExplainFilter (gstvknnexplainfilter.h: engines, preprocessing,
 * interval, smoothing, overlay) whose explainer returns a layer's
 * activations (VKNN_EXPLAIN_ACTIVATIONS): one channel or their mean or
 * maximum as an overlay on the network's crop, or the first channels tiled
 * into a grid over the whole frame.
 */

/**
 * SECTION:element-vkactivationmap
 * @title: vkactivationmap
 * @see_also: vksaliency, vulkanupload, vulkandownload
 *
 * Shows what a layer of an image classifier computes on each frame, in
 * Vulkan compute shaders (libvknn). #GstVkActivationMap:mode overlay blends
 * one channel of #GstVknnExplainFilter:layer (or the mean or maximum over the
 * channels, #GstVkActivationMap:channel) onto the part of the frame the
 * network saw; grid replaces the frame with a mosaic of the first
 * #GstVkActivationMap:grid-channels channels, each scaled to its own range
 * (the filter-response grids of CS231n).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! videoconvert ! vkactivationmap model=squeezenet1_1.onnx
 * channel=-2 ! videoconvert ! autovideosink
 * ]| Maximum over the channels of the last feature layer, in system memory.
 * |[
 * gst-launch-1.0 videotestsrc ! vulkanupload ! vkactivationmap model=squeezenet1_1.onnx
 * mode=grid alpha=1 ! vulkandownload ! autovideosink
 * ]| The first 64 channels as a grid, on Vulkan images.
 */
#include "gstvkactivationmap.h"

GST_DEBUG_CATEGORY_STATIC(gst_vk_activation_map_debug);
#define GST_CAT_DEFAULT gst_vk_activation_map_debug

typedef enum {
    GST_VK_ACTIVATION_MAP_OVERLAY,
    GST_VK_ACTIVATION_MAP_GRID,
} GstVkActivationMapMode;

typedef enum {
    GST_VK_ACTIVATION_MAP_NORMALIZE_FRAME,
    GST_VK_ACTIVATION_MAP_NORMALIZE_RUNNING,
} GstVkActivationMapNormalize;

#define DEFAULT_PROP_CHANNEL -1
#define DEFAULT_PROP_MODE GST_VK_ACTIVATION_MAP_OVERLAY
#define DEFAULT_PROP_GRID_CHANNELS 64
#define MAX_GRID_CHANNELS 4096
#define DEFAULT_PROP_NORMALIZE GST_VK_ACTIVATION_MAP_NORMALIZE_FRAME
/* running: the scale falls by this factor per computed map, unless the
 * map's maximum is higher. */
#define RUNNING_DECAY 0.98f

enum {
    PROP_0,
    PROP_CHANNEL,
    PROP_MODE,
    PROP_GRID_CHANNELS,
    PROP_NORMALIZE,
};

struct _GstVkActivationMap {
    GstVknnExplainFilter parent;

    /* Properties, under the object lock (channel is the engine's). */
    gint channel;
    /* The last channel an engine took: a refused one goes back to it, so
     * that the next engine (a restart, a model switch) is not refused too. */
    gint accepted_channel;
    GstVkActivationMapMode mode;
    gint grid_channels;
    GstVkActivationMapNormalize normalize;

    /* Streaming thread only: the running scale (0: none yet). */
    gfloat running_max;
};

#define gst_vk_activation_map_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVkActivationMap, gst_vk_activation_map, GST_TYPE_VKNN_EXPLAIN_FILTER,
                        GST_DEBUG_CATEGORY_INIT(gst_vk_activation_map_debug, "vkactivationmap", 0,
                                                "Vulkan classifier activation maps"));
GST_ELEMENT_REGISTER_DEFINE(vkactivationmap, "vkactivationmap", GST_RANK_NONE,
                            GST_TYPE_VK_ACTIVATION_MAP);

#define GST_TYPE_VK_ACTIVATION_MAP_MODE (gst_vk_activation_map_mode_get_type())
static GType gst_vk_activation_map_mode_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {GST_VK_ACTIVATION_MAP_OVERLAY, "One channel (or their mean or maximum) over the frame",
         "overlay"},
        {GST_VK_ACTIVATION_MAP_GRID, "The first channels tiled over the whole frame", "grid"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVkActivationMapMode", values));
    return type;
}

#define GST_TYPE_VK_ACTIVATION_MAP_NORMALIZE (gst_vk_activation_map_normalize_get_type())
static GType gst_vk_activation_map_normalize_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {GST_VK_ACTIVATION_MAP_NORMALIZE_FRAME, "Each map by its own maximum", "per-frame"},
        {GST_VK_ACTIVATION_MAP_NORMALIZE_RUNNING,
         "By a running maximum that decays slowly (brightness follows the activation)", "running"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVkActivationMapNormalize", values));
    return type;
}

/* ---- properties ------------------------------------------------------------ */

static void gst_vk_activation_map_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec)
{
    GstVkActivationMap *self = GST_VK_ACTIVATION_MAP(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_CHANNEL:
        self->channel = g_value_get_int(value);
        GST_OBJECT_UNLOCK(self);
        gst_vknn_filter_reload(GST_VKNN_FILTER(self));
        return;
    case PROP_MODE:
        self->mode = g_value_get_enum(value);
        break;
    case PROP_GRID_CHANNELS:
        self->grid_channels = g_value_get_int(value);
        break;
    case PROP_NORMALIZE:
        self->normalize = g_value_get_enum(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_vk_activation_map_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec)
{
    GstVkActivationMap *self = GST_VK_ACTIVATION_MAP(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_CHANNEL:
        g_value_set_int(value, self->channel);
        break;
    case PROP_MODE:
        g_value_set_enum(value, self->mode);
        break;
    case PROP_GRID_CHANNELS:
        g_value_set_int(value, self->grid_channels);
        break;
    case PROP_NORMALIZE:
        g_value_set_enum(value, self->normalize);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

/* ---- engines (loader thread) ----------------------------------------------- */

static void gst_vk_activation_map_explain_params(GstVknnExplainFilter *filter,
                                                 VknnExplainParams *params)
{
    GstVkActivationMap *self = GST_VK_ACTIVATION_MAP(filter);

    params->method = VKNN_EXPLAIN_ACTIVATIONS;
    GST_OBJECT_LOCK(self);
    params->channel = self->channel;
    GST_OBJECT_UNLOCK(self);
}

/* channel must exist in the layer (its shape was inferred by the explainer). */
static GstVknnLoadResult gst_vk_activation_map_check_engine(GstVknnExplainFilter *filter,
                                                            GstVknnEngine *engine, GError **err)
{
    GstVkActivationMap *self = GST_VK_ACTIVATION_MAP(filter);
    const GstVknnExplainEngine *xe = engine->data;
    const gchar *layer = vknn_explainer_layer(xe->explainer);
    const gint v = layer ? vknn_model_find_value(engine->model, layer) : -1;

    GST_OBJECT_LOCK(self);
    const gint channel = self->channel;
    GST_OBJECT_UNLOCK(self);
    const VknnShape *shape = v >= 0 ? &vknn_model_value(engine->model, v)->shape : NULL;
    const gint n_channels = shape && shape->rank >= 2 ? (gint)shape->dims[1] : 1;
    /* v < 0: the explainer checked the layer. */
    if (v >= 0 && channel >= n_channels) {
        GST_OBJECT_LOCK(self);
        const gint accepted = self->accepted_channel;
        const gboolean unchanged = self->channel == channel; /* not set again since */
        if (unchanged)
            self->channel = accepted;
        GST_OBJECT_UNLOCK(self);
        g_set_error(err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
                    "channel %d, but layer %s has %d channels (0 to %d); channel is %d again",
                    channel, layer, n_channels, n_channels - 1, accepted);
        if (unchanged)
            g_object_notify(G_OBJECT(self), "channel");
        return GST_VKNN_LOAD_SETTINGS_FAILED;
    }
    GST_OBJECT_LOCK(self);
    self->accepted_channel = channel;
    GST_OBJECT_UNLOCK(self);
    return GST_VKNN_LOAD_OK;
}

/* ---- maps (streaming thread) ----------------------------------------------- */

static void gst_vk_activation_map_display_map(GstVknnExplainFilter *filter,
                                              const VknnExplanation *e, GstVknnMap *map)
{
    GstVkActivationMap *self = GST_VK_ACTIVATION_MAP(filter);

    GST_OBJECT_LOCK(self);
    const GstVkActivationMapMode mode = self->mode;
    const gint grid_channels = self->grid_channels;
    const GstVkActivationMapNormalize normalize = self->normalize;
    GST_OBJECT_UNLOCK(self);

    if (mode == GST_VK_ACTIVATION_MAP_GRID) {
        /* Tiles are scaled to their own range by the library. */
        map->data = vknn_activation_grid(e->activations, e->act_c, e->act_h, e->act_w,
                                         MIN(grid_channels, e->act_c), &map->width, &map->height);
        map->whole_frame = TRUE;
        map->opaque = TRUE;
        return;
    }
    const gint n = e->map_w * e->map_h;
    map->data = g_memdup2(e->map, sizeof(gfloat) * n);
    map->width = e->map_w;
    map->height = e->map_h;
    gfloat scale = vknn_map_quantile(e->map, n, 1.0f);
    if (normalize == GST_VK_ACTIVATION_MAP_NORMALIZE_RUNNING) {
        self->running_max = MAX(scale, self->running_max * RUNNING_DECAY);
        scale = self->running_max;
    }
    gst_vknn_map_normalize(map->data, n, scale);
}

static gboolean gst_vk_activation_map_start(GstBaseTransform *bt)
{
    GST_VK_ACTIVATION_MAP(bt)->running_max = 0.0f;
    return GST_BASE_TRANSFORM_CLASS(parent_class)->start(bt);
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vk_activation_map_init(GstVkActivationMap *self)
{
    self->channel = DEFAULT_PROP_CHANNEL;
    self->accepted_channel = DEFAULT_PROP_CHANNEL;
    self->mode = DEFAULT_PROP_MODE;
    self->grid_channels = DEFAULT_PROP_GRID_CHANNELS;
    self->normalize = DEFAULT_PROP_NORMALIZE;
}

static void gst_vk_activation_map_class_init(GstVkActivationMapClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);
    GstVknnExplainFilterClass *explain_class = GST_VKNN_EXPLAIN_FILTER_CLASS(klass);
    const GParamFlags flags =
        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;

    gobject_class->set_property = gst_vk_activation_map_set_property;
    gobject_class->get_property = gst_vk_activation_map_get_property;
    g_object_class_install_property(
        gobject_class, PROP_CHANNEL,
        g_param_spec_int("channel", "Channel",
                         "Overlay mode: the layer's channel to show; -1: the mean over the "
                         "channels, -2: their maximum. Changing it builds a new engine in the "
                         "background",
                         -2, G_MAXINT, DEFAULT_PROP_CHANNEL, flags));
    g_object_class_install_property(
        gobject_class, PROP_MODE,
        g_param_spec_enum("mode", "Mode",
                          "overlay: one map over the part of the frame the network saw; grid: "
                          "a mosaic of the first grid-channels channels over the whole frame, "
                          "blended with constant alpha (alpha=1 shows the mosaic alone)",
                          GST_TYPE_VK_ACTIVATION_MAP_MODE, DEFAULT_PROP_MODE, flags));
    g_object_class_install_property(
        gobject_class, PROP_GRID_CHANNELS,
        g_param_spec_int("grid-channels", "Grid channels",
                         "Grid mode: how many channels (the first ones) the mosaic shows", 1,
                         MAX_GRID_CHANNELS, DEFAULT_PROP_GRID_CHANNELS, flags));
    g_object_class_install_property(
        gobject_class, PROP_NORMALIZE,
        g_param_spec_enum("normalize", "Normalize",
                          "Overlay mode: how activations are scaled to 0..1 (negative ones "
                          "show as 0)",
                          GST_TYPE_VK_ACTIVATION_MAP_NORMALIZE, DEFAULT_PROP_NORMALIZE, flags));

    gst_element_class_set_static_metadata(
        element_class, "Vulkan classifier activation maps", "Filter/Effect/Video/Analyzer/Hardware",
        "Draws the activations of a layer of an image classifier onto video, as a heatmap or a "
        "grid of channels, in Vulkan compute shaders (libvknn)",
        "vknn developers");

    bt_class->start = gst_vk_activation_map_start;

    explain_class->explain_params = gst_vk_activation_map_explain_params;
    explain_class->check_engine = gst_vk_activation_map_check_engine;
    explain_class->display_map = gst_vk_activation_map_display_map;

    gst_type_mark_as_plugin_api(GST_TYPE_VK_ACTIVATION_MAP_MODE, 0);
    gst_type_mark_as_plugin_api(GST_TYPE_VK_ACTIVATION_MAP_NORMALIZE, 0);
}
