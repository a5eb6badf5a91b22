/* vknn GStreamer plugin — GstVknnExplainFilter, the base of vksaliency and
 * vkactivationmap.
 *
 * Threads: as GstVknnFilter. Engines (VknnExplainer + VknnOverlay on the
 * engine's context) are built on the loader thread, which also runs the
 * network once on a blank frame for the cheap methods, so that pipeline
 * compilation and weight upload do not stall the stream when a model or a
 * method changes. The displayed map lives on the streaming thread and
 * survives engine swaps; the overlay gets it again at every frame (a few
 * hundred floats, written to host-visible memory).
 */
#include "gstvknnexplainfilter.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC(gst_vknn_explain_filter_debug);
#define GST_CAT_DEFAULT gst_vknn_explain_filter_debug

#define DEFAULT_PROP_COLORMAP VKNN_COLORMAP_TURBO
#define DEFAULT_PROP_ALPHA 0.5
#define DEFAULT_PROP_INPUT_SIZE 224
#define MIN_INPUT_SIZE 8
#define MAX_INPUT_SIZE 4096
#define DEFAULT_PROP_RESIZE_MODE VKNN_RESIZE_CROP
#define DEFAULT_PROP_INTERVAL 1
#define DEFAULT_PROP_SMOOTHING 0.0

enum {
    PROP_0,
    PROP_MODEL,
    PROP_LAYER,
    PROP_COLORMAP,
    PROP_ALPHA,
    PROP_MEAN,
    PROP_STD,
    PROP_INPUT_WIDTH,
    PROP_INPUT_HEIGHT,
    PROP_RESIZE_MODE,
    PROP_INTERVAL,
    PROP_SMOOTHING,
};

typedef struct {
    /* Properties, under the object lock. */
    gchar *layer; /* NULL: the default feature layer */
    /* The last layer a model took (NULL: the default), which a layer the
     * model cannot show falls back to. */
    gchar *applied_layer;
    VknnColormap colormap;
    gdouble alpha;
    VknnFrameInputParams input; /* mean, std, size, resize mode */
    gint interval;
    gdouble smoothing;

    /* Streaming thread only. */
    GstVknnMap map;       /* the (smoothed) map on display; data NULL before the first */
    gint since;           /* frames since the map was computed */
    guint explained_with; /* generation of the engine that computed it */
    VknnFrameInputParams last_input;
} GstVknnExplainFilterPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE(GstVknnExplainFilter, gst_vknn_explain_filter,
                                 GST_TYPE_VKNN_FILTER, G_ADD_PRIVATE(GstVknnExplainFilter);
                                 GST_DEBUG_CATEGORY_INIT(gst_vknn_explain_filter_debug,
                                                         "vknnexplainfilter", 0,
                                                         "vknn classifier explanations"));
#define parent_class gst_vknn_explain_filter_parent_class
#define PRIV(self)                                                                                 \
    ((GstVknnExplainFilterPrivate *)gst_vknn_explain_filter_get_instance_private(self))

/* ---- enums ---------------------------------------------------------------- */

#define GST_TYPE_VKNN_COLORMAP (gst_vknn_colormap_get_type())
static GType gst_vknn_colormap_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {VKNN_COLORMAP_TURBO, "Turbo (Google's improved rainbow)", "turbo"},
        {VKNN_COLORMAP_JET, "Jet (matplotlib's classic rainbow)", "jet"},
        {VKNN_COLORMAP_INFERNO, "Inferno (perceptually uniform, black to yellow)", "inferno"},
        {VKNN_COLORMAP_VIRIDIS, "Viridis (perceptually uniform, blue to yellow)", "viridis"},
        {VKNN_COLORMAP_GRAY, "Gray (black to white)", "gray"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVknnColormap", values));
    return type;
}

#define GST_TYPE_VKNN_RESIZE_MODE (gst_vknn_resize_mode_get_type())
static GType gst_vknn_resize_mode_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {VKNN_RESIZE_CROP,
         "Scale the shorter side to the input, centre crop (torchvision evaluation)", "crop"},
        {VKNN_RESIZE_STRETCH, "Scale the whole frame to the input (aspect ratio not kept)",
         "stretch"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVknnResizeMode", values));
    return type;
}

/* ---- maps ----------------------------------------------------------------- */

void gst_vknn_map_normalize(gfloat *map, gint n, gfloat scale)
{
    for (gint i = 0; i < n; i++)
        map[i] = scale > 0.0f && map[i] > 0.0f ? MIN(map[i] / scale, 1.0f) : 0.0f;
}

static void gst_vknn_map_clear(GstVknnMap *map)
{
    g_free(map->data);
    memset(map, 0, sizeof *map);
}

/* Takes fresh as the map on display; with smoothing s > 0 and a map of the
 * same geometry on display, shows s x old + (1 - s) x fresh instead. */
static void gst_vknn_explain_filter_show_map(GstVknnExplainFilter *self, GstVknnMap *fresh,
                                             gdouble smoothing)
{
    GstVknnMap *shown = &PRIV(self)->map;
    const gint n = fresh->width * fresh->height;

    if (smoothing > 0.0 && shown->data && shown->width == fresh->width &&
        shown->height == fresh->height && shown->whole_frame == fresh->whole_frame) {
        const gfloat s = (gfloat)smoothing;
        for (gint i = 0; i < n; i++)
            fresh->data[i] = s * shown->data[i] + (1.0f - s) * fresh->data[i];
    }
    gst_vknn_map_clear(shown);
    *shown = *fresh;
    memset(fresh, 0, sizeof *fresh);
}

/* ---- properties ------------------------------------------------------------ */

/* A frame's settings, read at once under the object lock. */
typedef struct {
    VknnFrameInputParams input;
    VknnOverlayParams overlay;
    gint interval;
    gdouble smoothing;
} GstVknnExplainSettings;

static void gst_vknn_explain_filter_get_settings(GstVknnExplainFilter *self,
                                                 GstVknnExplainSettings *s)
{
    GstVknnExplainFilterPrivate *priv = PRIV(self);

    GST_OBJECT_LOCK(self);
    s->input = priv->input;
    s->overlay.colormap = priv->colormap;
    s->overlay.alpha = (float)priv->alpha;
    s->overlay.opaque = FALSE;
    s->interval = priv->interval;
    s->smoothing = priv->smoothing;
    GST_OBJECT_UNLOCK(self);
}

static void gst_vknn_explain_filter_set_property(GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec)
{
    GstVknnExplainFilter *self = GST_VKNN_EXPLAIN_FILTER(object);
    GstVknnExplainFilterPrivate *priv = PRIV(self);

    switch (prop_id) {
    case PROP_MODEL:
        gst_vknn_filter_set_model(GST_VKNN_FILTER(self), g_value_get_string(value));
        return;
    case PROP_LAYER: {
        const gchar *layer = g_value_get_string(value);
        GST_OBJECT_LOCK(self);
        g_free(priv->layer);
        priv->layer = layer && *layer ? g_strdup(layer) : NULL;
        GST_OBJECT_UNLOCK(self);
        gst_vknn_filter_reload(GST_VKNN_FILTER(self));
        return;
    }
    case PROP_MEAN:
        gst_vknn_filter_set_rgb(GST_VKNN_FILTER(self), pspec, value, priv->input.mean, FALSE);
        return;
    case PROP_STD:
        gst_vknn_filter_set_rgb(GST_VKNN_FILTER(self), pspec, value, priv->input.std, TRUE);
        return;
    default:
        break;
    }
    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_COLORMAP:
        priv->colormap = g_value_get_enum(value);
        break;
    case PROP_ALPHA:
        priv->alpha = g_value_get_double(value);
        break;
    case PROP_INPUT_WIDTH:
        priv->input.width = g_value_get_int(value);
        break;
    case PROP_INPUT_HEIGHT:
        priv->input.height = g_value_get_int(value);
        break;
    case PROP_RESIZE_MODE:
        priv->input.mode = g_value_get_enum(value);
        break;
    case PROP_INTERVAL:
        priv->interval = g_value_get_int(value);
        break;
    case PROP_SMOOTHING:
        priv->smoothing = g_value_get_double(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_vknn_explain_filter_get_property(GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec)
{
    GstVknnExplainFilter *self = GST_VKNN_EXPLAIN_FILTER(object);
    GstVknnExplainFilterPrivate *priv = PRIV(self);

    if (prop_id == PROP_MODEL) {
        g_value_take_string(value, gst_vknn_filter_dup_model(GST_VKNN_FILTER(self)));
        return;
    }
    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_LAYER:
        g_value_set_string(value, priv->layer ? priv->layer : "");
        break;
    case PROP_COLORMAP:
        g_value_set_enum(value, priv->colormap);
        break;
    case PROP_ALPHA:
        g_value_set_double(value, priv->alpha);
        break;
    case PROP_MEAN:
        gst_vknn_filter_get_rgb(value, priv->input.mean);
        break;
    case PROP_STD:
        gst_vknn_filter_get_rgb(value, priv->input.std);
        break;
    case PROP_INPUT_WIDTH:
        g_value_set_int(value, priv->input.width);
        break;
    case PROP_INPUT_HEIGHT:
        g_value_set_int(value, priv->input.height);
        break;
    case PROP_RESIZE_MODE:
        g_value_set_enum(value, priv->input.mode);
        break;
    case PROP_INTERVAL:
        g_value_set_int(value, priv->interval);
        break;
    case PROP_SMOOTHING:
        g_value_set_double(value, priv->smoothing);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

/* ---- engines ------------------------------------------------------------- */

static void gst_vknn_explain_engine_free(GstVknnExplainEngine *e)
{
    vknn_overlay_free(e->overlay);
    vknn_explainer_free(e->explainer);
    g_strfreev(e->labels);
    g_free(e);
}

/* The methods cheap enough to run once at load (SmoothGrad and occlusion
 * run the network many times). */
static gboolean gst_vknn_explain_method_is_cheap(VknnExplainMethod method)
{
    return method != VKNN_EXPLAIN_SMOOTHGRAD && method != VKNN_EXPLAIN_OCCLUSION;
}

/* Why layer cannot be shown (g_free), or NULL: it must be a feature map
 * [1, C, H, W] of more than one pixel (shapes inferred). */
static gchar *gst_vknn_explain_layer_problem(const VknnModel *model, const gchar *layer)
{
    const gint v = vknn_model_find_value(model, layer);
    if (v < 0)
        return g_strdup("no tensor of that name in the model (`vknn info MODEL` lists them)");
    const VknnValue *value = vknn_model_value(model, v);
    char s[64];
    if (value->kind == VKNN_VALUE_CONSTANT)
        return g_strdup("a weight, not a layer");
    if (value->shape.rank != 4 || value->shape.dims[2] * value->shape.dims[3] <= 1)
        return g_strdup_printf("%s, not a spatial feature map [1, C, H, W]",
                               vknn_shape_str(&value->shape, s, sizeof s));
    return NULL;
}

/* The layer the engine uses: *layer, or, when the model cannot show it,
 * the last one a model took (or the default), refused with a warning and
 * read back from then on. */
static void gst_vknn_explain_filter_fit_layer(GstVknnExplainFilter *self, GstVknnEngine *engine,
                                              gchar **layer)
{
    GstVknnExplainFilterPrivate *priv = PRIV(self);
    g_autofree gchar *why = *layer ? gst_vknn_explain_layer_problem(engine->model, *layer) : NULL;
    if (!why)
        return;
    GST_OBJECT_LOCK(self);
    gchar *fallback = g_strdup(priv->applied_layer);
    GST_OBJECT_UNLOCK(self);
    if (fallback && gst_vknn_explain_layer_problem(engine->model, fallback))
        g_clear_pointer(&fallback, g_free); /* another model: its default */
    GST_OBJECT_LOCK(self);
    const gboolean unchanged = !g_strcmp0(priv->layer, *layer); /* not set again since */
    if (unchanged) {
        g_free(priv->layer);
        priv->layer = g_strdup(fallback);
    }
    GST_OBJECT_UNLOCK(self);
    const gchar *name = fallback ? fallback : vknn_default_feature_layer(engine->model);
    gst_vknn_filter_refuse_setting(
        GST_VKNN_FILTER(self), "layer '%s': %s in classifier %s; keeping %s '%s'", *layer, why,
        engine->path, fallback ? "layer" : "the default feature layer", name ? name : "(none)");
    if (unchanged)
        g_object_notify(G_OBJECT(self), "layer");
    g_free(*layer);
    *layer = fallback;
}

/* The settings the model can take: the layer here, the subclass's own by
 * fit_params. Shapes are inferred at the default input size first; a
 * model that is no classifier is left to vknn_explainer_new to report. */
static void gst_vknn_explain_filter_fit(GstVknnExplainFilter *self, GstVknnEngine *engine,
                                        VknnExplainParams *params, gchar **layer)
{
    GstVknnExplainFilterClass *klass = GST_VKNN_EXPLAIN_FILTER_GET_CLASS(self);
    const VknnModel *m = engine->model;
    if (m->inputs->len != 1 || m->outputs->len < 1)
        return;
    VknnShape shape =
        vknn_model_default_input_shape(m, 0, DEFAULT_PROP_INPUT_SIZE, DEFAULT_PROP_INPUT_SIZE);
    if (!vknn_model_infer_shapes(engine->model, &shape, NULL))
        return;
    gst_vknn_explain_filter_fit_layer(self, engine, layer);
    if (klass->fit_params)
        klass->fit_params(self, engine, *layer ? *layer : vknn_default_feature_layer(m), params);
}

/* The network input size the engine runs at: its model's fixed one, if any. */
static void gst_vknn_explain_engine_input_size(const GstVknnExplainEngine *xe,
                                               VknnFrameInputParams *input)
{
    if (!xe->fixed_width)
        return;
    input->width = xe->fixed_width;
    input->height = xe->fixed_height;
}

/* A model whose input height and width are fixed runs at that size:
 * input-width/height apply to models that take any size. Found by
 * bench/soak.sh: MobileNetV2 with input-height=96 was refused as a model
 * ("with these settings"), and after a restart, with no engine to keep,
 * fatally. */
static void gst_vknn_explain_filter_fit_input_size(GstVknnExplainFilter *self,
                                                   GstVknnEngine *engine,
                                                   VknnFrameInputParams *input)
{
    GstVknnExplainEngine *xe = engine->data;
    const VknnModel *m = engine->model;
    if (m->inputs->len != 1)
        return;
    const VknnShape s = vknn_model_default_input_shape(m, 0, 0, 0);
    if (s.rank != 4 || s.dims[2] < 1 || s.dims[3] < 1)
        return;
    xe->fixed_width = (gint)s.dims[3];
    xe->fixed_height = (gint)s.dims[2];
    if (input->width != xe->fixed_width || input->height != xe->fixed_height)
        gst_vknn_filter_refuse_setting(GST_VKNN_FILTER(self),
                                       "input-width/height %dx%d: classifier %s takes only %dx%d "
                                       "input; running it at that size",
                                       input->width, input->height, engine->path, xe->fixed_width,
                                       xe->fixed_height);
    gst_vknn_explain_engine_input_size(xe, input);
}

/* The engine's layer is what a refused one falls back to from now on. */
static void gst_vknn_explain_filter_note_layer(GstVknnExplainFilter *self, const gchar *layer)
{
    GstVknnExplainFilterPrivate *priv = PRIV(self);
    GST_OBJECT_LOCK(self);
    g_free(priv->applied_layer);
    priv->applied_layer = g_strdup(layer);
    GST_OBJECT_UNLOCK(self);
}

/* Loader thread: a run on a blank frame of the current size for the cheap
 * methods (compiles the pipelines, uploads the weights, and checks what
 * only a run shows); a plan alone for the others, which run the network
 * many times, so that a network the device cannot hold fails here. */
static GstVknnLoadResult gst_vknn_explain_filter_warm_up(GstVknnExplainEngine *xe,
                                                         const VknnFrameInputParams *input,
                                                         gint width, gint height, GError **err)
{
    if (!gst_vknn_explain_method_is_cheap(xe->method))
        return vknn_explainer_prepare(xe->explainer, input->width, input->height, err)
                   ? GST_VKNN_LOAD_OK
                   : GST_VKNN_LOAD_DEVICE_FAILED;
    const gint w = width > 0 ? width : input->width;
    const gint h = height > 0 ? height : input->height;
    g_autofree guint8 *blank = g_malloc0((gsize)w * h * 4);
    VknnExplanation e = {0};
    const gboolean ok = vknn_explainer_run_bytes(xe->explainer, input, VKNN_PIXEL_RGBA, blank, w, h,
                                                 w * 4, &e, err);
    vknn_explanation_clear(&e);
    return ok ? GST_VKNN_LOAD_OK : GST_VKNN_LOAD_SETTINGS_FAILED;
}

/* Loader thread: explainer and overlay on the engine's context, with the
 * settings the model can take, then warmed up. */
static GstVknnLoadResult gst_vknn_explain_filter_build_engine(GstVknnFilter *filter,
                                                              GstVknnEngine *engine, gint width,
                                                              gint height, GError **err)
{
    GstVknnExplainFilter *self = GST_VKNN_EXPLAIN_FILTER(filter);
    GstVknnExplainFilterClass *klass = GST_VKNN_EXPLAIN_FILTER_GET_CLASS(self);
    GstVknnExplainEngine *xe = g_new0(GstVknnExplainEngine, 1);
    VknnExplainParams params = VKNN_EXPLAIN_PARAMS_DEFAULT;
    GstVknnExplainSettings settings;
    GstVknnLoadResult result;

    engine->data = xe;
    engine->free_data = (GDestroyNotify)gst_vknn_explain_engine_free;
    klass->explain_params(self, &params);
    GST_OBJECT_LOCK(self);
    g_autofree gchar *layer = g_strdup(PRIV(self)->layer);
    GST_OBJECT_UNLOCK(self);
    gst_vknn_explain_filter_fit(self, engine, &params, &layer);
    params.layer = layer;
    gst_vknn_explain_filter_get_settings(self, &settings);
    gst_vknn_explain_filter_fit_input_size(self, engine, &settings.input);

    xe->method = params.method;
    if (!(xe->explainer = vknn_explainer_new(engine->ctx, engine->model, &params, err)))
        return GST_VKNN_LOAD_MODEL_FAILED;
    GST_INFO_OBJECT(self, "%s: %s at layer %s", engine->path,
                    vknn_explain_method_to_string(params.method),
                    vknn_explainer_layer(xe->explainer));
    if (!(xe->overlay = vknn_overlay_new(engine->ctx, err)))
        return GST_VKNN_LOAD_DEVICE_FAILED;
    if (klass->check_engine &&
        (result = klass->check_engine(self, engine, err)) != GST_VKNN_LOAD_OK)
        return result;
    if ((result = gst_vknn_explain_filter_warm_up(xe, &settings.input, width, height, err)) !=
        GST_VKNN_LOAD_OK)
        return result;
    gst_vknn_explain_filter_note_layer(self, layer);
    return GST_VKNN_LOAD_OK;
}

static gboolean gst_vknn_explain_filter_supports_output_format(GstVknnFilter *filter,
                                                               GstVknnEngine *engine,
                                                               VkFormat format)
{
    const GstVknnExplainEngine *xe = engine->data;
    return vknn_overlay_supports_output_format(xe->overlay, format);
}

/* ---- processing ---------------------------------------------------------- */

/* Runs the explainer on the input frame and puts its map on display. */
static gboolean gst_vknn_explain_filter_explain(GstVknnExplainFilter *self, GstVknnEngine *engine,
                                                GstVknnFrames *frames, GstBuffer *inbuf,
                                                const GstVknnExplainSettings *settings)
{
    GstVknnExplainFilterClass *klass = GST_VKNN_EXPLAIN_FILTER_GET_CLASS(self);
    GstVknnExplainEngine *xe = engine->data;
    VknnExplanation e = {0};
    GstVknnMap fresh = {0};
    GError *err = NULL;

    const gboolean ok =
        frames->vulkan
            ? vknn_explainer_run_image(xe->explainer, &settings->input, &frames->in_image,
                                       frames->width, frames->height, &e, &err)
            : vknn_explainer_run_bytes(xe->explainer, &settings->input, frames->format,
                                       GST_VKNN_FRAMES_IN_DATA(frames), frames->width,
                                       frames->height, GST_VKNN_FRAMES_IN_STRIDE(frames), &e, &err);
    if (!ok) {
        GST_ELEMENT_ERROR(self, LIBRARY, FAILED,
                          ("Could not run classifier %s on a %dx%d frame", engine->path,
                           frames->width, frames->height),
                          ("%s", err->message));
        g_clear_error(&err);
        vknn_explanation_clear(&e);
        return FALSE;
    }
    klass->display_map(self, &e, &fresh);
    if (!fresh.data || fresh.width < 1 || fresh.height < 1) {
        GST_ELEMENT_ERROR(
            self, LIBRARY, FAILED, ("Classifier %s gave no map for this frame", engine->path),
            ("%s: %dx%d map, %dx%dx%d activations", vknn_explain_method_to_string(xe->method),
             e.map_w, e.map_h, e.act_c, e.act_h, e.act_w));
        gst_vknn_map_clear(&fresh);
        vknn_explanation_clear(&e);
        return FALSE;
    }
    gst_vknn_explain_filter_show_map(self, &fresh, settings->smoothing);
    if (klass->explained)
        klass->explained(self, xe, inbuf, &e);
    vknn_explanation_clear(&e);
    return TRUE;
}

/* Draws the map on display onto the frame. */
static gboolean gst_vknn_explain_filter_draw(GstVknnExplainFilter *self, GstVknnExplainEngine *xe,
                                             GstVknnFrames *frames,
                                             GstVknnExplainSettings *settings, GError **err)
{
    const GstVknnMap *map = &PRIV(self)->map;
    VknnRect region;

    vknn_frame_input_region(&settings->input, frames->width, frames->height, &region);
    settings->overlay.opaque = map->opaque;
    if (!vknn_overlay_set_map(xe->overlay, map->data, map->width, map->height,
                              map->whole_frame ? NULL : &region, err))
        return FALSE;
    if (frames->vulkan)
        return vknn_overlay_process_images(xe->overlay, &settings->overlay, frames->width,
                                           frames->height, &frames->in_image, &frames->out_image,
                                           err);
    return vknn_overlay_process_bytes(
        xe->overlay, &settings->overlay, frames->format, frames->width, frames->height,
        GST_VKNN_FRAMES_IN_DATA(frames), GST_VKNN_FRAMES_IN_STRIDE(frames),
        GST_VKNN_FRAMES_OUT_DATA(frames), GST_VKNN_FRAMES_OUT_STRIDE(frames), err);
}

static GstFlowReturn gst_vknn_explain_filter_process(GstVknnFilter *filter, GstVknnEngine *engine,
                                                     GstVknnFrames *frames, GstBuffer *inbuf)
{
    GstVknnExplainFilter *self = GST_VKNN_EXPLAIN_FILTER(filter);
    GstVknnExplainFilterPrivate *priv = PRIV(self);
    GstVknnExplainSettings settings;
    GError *err = NULL;

    gst_vknn_explain_filter_get_settings(self, &settings);
    gst_vknn_explain_engine_input_size(engine->data, &settings.input);
    /* Another network input size or crop changes the processing time. */
    if (memcmp(&settings.input, &priv->last_input, sizeof settings.input))
        gst_vknn_filter_latency_changed(filter);
    priv->last_input = settings.input;

    /* Every interval-th frame, and at once with a new engine. */
    const gint64 start = g_get_monotonic_time();
    const gboolean compute = !priv->map.data || priv->explained_with != engine->generation ||
                             ++priv->since >= settings.interval;
    if (compute) {
        if (!gst_vknn_explain_filter_explain(self, engine, frames, inbuf, &settings))
            return GST_FLOW_ERROR;
        priv->since = 0;
        priv->explained_with = engine->generation;
    }
    if (!gst_vknn_explain_filter_draw(self, engine->data, frames, &settings, &err)) {
        GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Could not draw the map on the frame"),
                          ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    /* The latency is that of the frames that compute a map. */
    if (compute)
        gst_vknn_filter_set_frame_time(filter, (g_get_monotonic_time() - start) / 1000.0);
    return GST_FLOW_OK;
}

static void gst_vknn_explain_filter_reset(GstVknnExplainFilter *self)
{
    GstVknnExplainFilterPrivate *priv = PRIV(self);

    gst_vknn_map_clear(&priv->map);
    priv->since = 0;
    priv->explained_with = 0;
    memset(&priv->last_input, 0, sizeof priv->last_input);
}

static gboolean gst_vknn_explain_filter_start(GstBaseTransform *bt)
{
    gst_vknn_explain_filter_reset(GST_VKNN_EXPLAIN_FILTER(bt));
    return GST_BASE_TRANSFORM_CLASS(parent_class)->start(bt);
}

static gboolean gst_vknn_explain_filter_stop(GstBaseTransform *bt)
{
    gst_vknn_explain_filter_reset(GST_VKNN_EXPLAIN_FILTER(bt));
    return GST_BASE_TRANSFORM_CLASS(parent_class)->stop(bt);
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vknn_explain_filter_finalize(GObject *object)
{
    GstVknnExplainFilterPrivate *priv = PRIV(GST_VKNN_EXPLAIN_FILTER(object));

    gst_vknn_map_clear(&priv->map);
    g_free(priv->layer);
    g_free(priv->applied_layer);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vknn_explain_filter_init(GstVknnExplainFilter *self)
{
    GstVknnExplainFilterPrivate *priv = PRIV(self);
    const VknnFrameInputParams imagenet = VKNN_FRAME_INPUT_PARAMS_IMAGENET;

    priv->colormap = DEFAULT_PROP_COLORMAP;
    priv->alpha = DEFAULT_PROP_ALPHA;
    priv->input = imagenet;
    priv->input.width = priv->input.height = DEFAULT_PROP_INPUT_SIZE;
    priv->input.mode = DEFAULT_PROP_RESIZE_MODE;
    priv->interval = DEFAULT_PROP_INTERVAL;
    priv->smoothing = DEFAULT_PROP_SMOOTHING;
}

static GParamSpec *gst_vknn_explain_filter_triple_spec(const gchar *name, const gchar *nick,
                                                       const gchar *blurb)
{
    return gst_param_spec_array(
        name, nick, blurb,
        g_param_spec_double("value", "Value", "One channel's value", -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
}

static void gst_vknn_explain_filter_install_properties(GObjectClass *gobject_class)
{
    const GParamFlags flags =
        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;

    g_object_class_install_property(
        gobject_class, PROP_MODEL,
        g_param_spec_string("model", "Model",
                            "Image classifier: an ONNX file with one [1,3,H,W] input and class "
                            "scores out (SqueezeNet, MobileNetV2...). Required (no default). "
                            "Changing it while playing loads the new model in the background; "
                            "the current one runs until it is ready",
                            NULL, flags));
    g_object_class_install_property(
        gobject_class, PROP_LAYER,
        g_param_spec_string("layer", "Layer",
                            "Tensor of the network whose gradients (Grad-CAM) or activations are "
                            "shown (`vknn info MODEL` lists the names); empty: the last spatial "
                            "feature layer. Changing it builds a new engine in the background",
                            "", flags));
    g_object_class_install_property(
        gobject_class, PROP_COLORMAP,
        g_param_spec_enum("colormap", "Colormap", "Colours of the map, from 0 to 1",
                          GST_TYPE_VKNN_COLORMAP, DEFAULT_PROP_COLORMAP, flags));
    g_object_class_install_property(
        gobject_class, PROP_ALPHA,
        g_param_spec_double("alpha", "Alpha",
                            "Opacity of the map where its value is 1; it scales with the value, "
                            "so cold areas keep the frame visible (0.0 to 1.0, default 0.5)",
                            0.0, 1.0, DEFAULT_PROP_ALPHA, flags | GST_PARAM_CONTROLLABLE));
    g_object_class_install_property(
        gobject_class, PROP_MEAN,
        gst_vknn_explain_filter_triple_spec(
            "mean", "Mean",
            "Network input = (RGB / 255 - mean) / std: the mean per channel, "
            "\"<R, G, B>\" (default ImageNet's <0.485, 0.456, 0.406>)"));
    g_object_class_install_property(
        gobject_class, PROP_STD,
        gst_vknn_explain_filter_triple_spec(
            "std", "Standard deviation",
            "Network input = (RGB / 255 - mean) / std: the standard deviation per channel, "
            "\"<R, G, B>\", each > 0 (default ImageNet's <0.229, 0.224, 0.225>)"));
    g_object_class_install_property(
        gobject_class, PROP_INPUT_WIDTH,
        g_param_spec_int("input-width", "Input width", "Width of the network input in pixels",
                         MIN_INPUT_SIZE, MAX_INPUT_SIZE, DEFAULT_PROP_INPUT_SIZE, flags));
    g_object_class_install_property(
        gobject_class, PROP_INPUT_HEIGHT,
        g_param_spec_int("input-height", "Input height", "Height of the network input in pixels",
                         MIN_INPUT_SIZE, MAX_INPUT_SIZE, DEFAULT_PROP_INPUT_SIZE, flags));
    g_object_class_install_property(
        gobject_class, PROP_RESIZE_MODE,
        g_param_spec_enum("resize-mode", "Resize mode",
                          "How the frame becomes the network input; the map is drawn over the "
                          "part of the frame the network saw",
                          GST_TYPE_VKNN_RESIZE_MODE, DEFAULT_PROP_RESIZE_MODE, flags));
    g_object_class_install_property(
        gobject_class, PROP_INTERVAL,
        g_param_spec_int("interval", "Interval",
                         "Compute a map every N frames and draw the last one on the frames in "
                         "between (1 = every frame)",
                         1, G_MAXINT, DEFAULT_PROP_INTERVAL, flags));
    g_object_class_install_property(
        gobject_class, PROP_SMOOTHING,
        g_param_spec_double("smoothing", "Smoothing",
                            "Temporal smoothing: each computed map is shown as smoothing x the "
                            "previous one + (1 - smoothing) x the new one (0 = none, 1 = keep "
                            "the first)",
                            0.0, 1.0, DEFAULT_PROP_SMOOTHING, flags | GST_PARAM_CONTROLLABLE));
}

static void gst_vknn_explain_filter_class_init(GstVknnExplainFilterClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);
    GstVknnFilterClass *filter_class = GST_VKNN_FILTER_CLASS(klass);

    gobject_class->set_property = gst_vknn_explain_filter_set_property;
    gobject_class->get_property = gst_vknn_explain_filter_get_property;
    gobject_class->finalize = gst_vknn_explain_filter_finalize;
    gst_vknn_explain_filter_install_properties(gobject_class);

    bt_class->start = gst_vknn_explain_filter_start;
    bt_class->stop = gst_vknn_explain_filter_stop;

    filter_class->model_kind = "classifier";
    filter_class->model_hint = "Set the 'model' property to an image classifier (ONNX file)";
    filter_class->build_engine = gst_vknn_explain_filter_build_engine;
    filter_class->supports_output_format = gst_vknn_explain_filter_supports_output_format;
    filter_class->process = gst_vknn_explain_filter_process;

    gst_type_mark_as_plugin_api(GST_TYPE_VKNN_COLORMAP, 0);
    gst_type_mark_as_plugin_api(GST_TYPE_VKNN_RESIZE_MODE, 0);
    gst_type_mark_as_plugin_api(GST_TYPE_VKNN_FILTER, 0);
    gst_type_mark_as_plugin_api(GST_TYPE_VKNN_EXPLAIN_FILTER, 0);
}
