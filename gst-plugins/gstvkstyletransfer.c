/* vknn GStreamer plugin — vkstyletransfer.
 *
 * A GstVknnFilter (gstvknnfilter.h: caps, allocation, model loading on a
 * loader thread, latency): its engines hold a VknnStyler. Properties other
 * than `model` are read under the object lock at every frame.
 */

/**
 * SECTION:element-vkstyletransfer
 * @title: vkstyletransfer
 * @see_also: vulkanupload, vulkandownload
 *
 * Stylises video with a feed-forward style network ("fast neural style
 * transfer", Johnson et al. 2016) running in Vulkan compute shaders through
 * libvknn. The model is an ONNX file following docs/model-contract.md
 * (TransformerNet and friends: `[1,3,H,W]` RGB 0..255 in and out).
 *
 * The output has the caps of the input: same size, format and memory. Frames
 * in system memory (RGBA, BGRA, RGBx, BGRx) are uploaded and downloaded by
 * libvknn; frames in Vulkan images (RGBA, BGRA) never leave the GPU: a compute
 * shader reads the input image and writes an output image from the element's
 * own pool of storage images.
 *
 * #GstVkStyleTransfer:strength blends the stylised frame with the input,
 * #GstVkStyleTransfer:preserve-colors keeps the input's colours (only the
 * luminance is stylised), and #GstVkStyleTransfer:scale runs the network on a
 * smaller frame (frame size x scale), the speed knob for weak devices.
 * #GstVkStyleTransfer:precision fp16-tiles (default) keeps the 3x3 layers'
 * Winograd tiles in fp16 (faster; the output stays within ~60 dB PSNR of
 * fp32, below 8-bit rounding); fp32 computes everything in fp32. All of them
 * may change while playing. Setting #GstVkStyleTransfer:model while
 * playing loads the new model in the background; the current one keeps
 * running until it is ready.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! videoconvert ! vkstyletransfer model=candy.onnx ! videoconvert !
 * autovideosink
 * ]| System memory: libvknn uploads each frame and reads the result back.
 * |[
 * gst-launch-1.0 videotestsrc ! vulkanupload ! vkstyletransfer model=candy.onnx ! vulkandownload !
 * autovideosink
 * ]| Vulkan memory: the frame stays on the GPU between the elements.
 */
#include "gstvkstyletransfer.h"

#include <gst/video/video.h>
#include <math.h>
#include <string.h>
#include <vknn/style.h>
#include <vknn/wct.h>

#include "style_images.h" /* cli/: style images through gdk-pixbuf */

GST_DEBUG_CATEGORY_STATIC(gst_vk_style_transfer_debug);
#define GST_CAT_DEFAULT gst_vk_style_transfer_debug

#define DEFAULT_PROP_MODEL "builtin:starry_night"
#define DEFAULT_PROP_STRENGTH 1.0
#define DEFAULT_PROP_PRESERVE_COLORS FALSE
#define DEFAULT_PROP_SCALE 1.0
#define DEFAULT_PROP_PRECISION VKNN_PRECISION_FP16_TILES
#define DEFAULT_PROP_TEMPORAL VKNN_TEMPORAL_OFF
#define DEFAULT_PROP_TEMPORAL_STRENGTH 0.8
#define MIN_SCALE 0.1
#define DEFAULT_PROP_STYLE_SIZE 256
#define DEFAULT_PROP_PALETTE TRUE
#define DEFAULT_PROP_ALPHA 1.0
/* The network of a style image, as the loader's path: the `model` and
 * `style-image` properties share one loader, so that either swaps in at a
 * later frame while the other runs. */
#define STYLE_IMAGE_PREFIX "style-image:"
#define STYLE_ENCODER "builtin:vgg19_relu3_1"
#define STYLE_DECODER "builtin:decoder_relu3_1"
#define STYLE_LAYER "relu3_1"

enum {
    PROP_0,
    PROP_MODEL,
    PROP_STRENGTH,
    PROP_PRESERVE_COLORS,
    PROP_SCALE,
    PROP_STYLE_INDEX,
    PROP_STYLE_WEIGHTS,
    PROP_PRECISION,
    PROP_TEMPORAL,
    PROP_TEMPORAL_STRENGTH,
    PROP_STYLE_IMAGE,
    PROP_STYLE_SIZE,
    PROP_PALETTE,
    PROP_ALPHA,
};

#define GST_TYPE_VKNN_PRECISION (gst_vknn_precision_get_type())
static GType gst_vknn_precision_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {VKNN_PRECISION_FP32, "Every intermediate in fp32", "fp32"},
        {VKNN_PRECISION_FP16_TILES,
         "Winograd tiles of the 3x3 layers stored as fp16, arithmetic in fp32", "fp16-tiles"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVknnPrecision", values));
    return type;
}

#define GST_TYPE_VKNN_TEMPORAL (gst_vknn_temporal_get_type())
static GType gst_vknn_temporal_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {VKNN_TEMPORAL_OFF, "Each frame stylised on its own", "off"},
        {VKNN_TEMPORAL_FLOW,
         "The previous output, warped along the optical flow, blended in where it is trusted",
         "flow"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVknnTemporal", values));
    return type;
}

struct _GstVkStyleTransfer {
    GstVknnFilter parent;

    /* Properties, under the object lock. */
    gdouble strength;
    gboolean preserve_colors;
    gdouble scale;
    gint style_index;     /* >= 0: that style alone; -1: style_weights */
    gchar *style_weights; /* "0.7,0.3", or NULL: style 0 */
    VknnPrecision precision;
    VknnTemporalMode temporal;
    gdouble temporal_strength;
    gchar *model;     /* the `model` property, in effect while no style image is */
    gint style_size;  /* shorter side of the style image, pixels */
    gdouble alpha;    /* style image: 0 content .. 1 the style's statistics */
    gboolean palette; /* style image: its colours' channel moments */
    /* The style choice the running model last accepted, which a choice it
     * cannot take falls back to. */
    gint applied_index;
    gchar *applied_weights;

    /* A flush, seek or discontinuity: the next frame has no history.
     * Atomic (set from the event, read in the streaming thread). */
    gint forget_history;

    /* Streaming thread only. */
    gfloat last_scale;
    /* The device's buffers were too small for the network at the scale
     * asked for frames of fit_width x fit_height: it runs at fit_scale. */
    gint fit_width, fit_height;
    gfloat fit_asked, fit_scale;
};

#define gst_vk_style_transfer_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVkStyleTransfer, gst_vk_style_transfer, GST_TYPE_VKNN_FILTER,
                        GST_DEBUG_CATEGORY_INIT(gst_vk_style_transfer_debug, "vkstyletransfer", 0,
                                                "Vulkan style transfer"));
GST_ELEMENT_REGISTER_DEFINE(vkstyletransfer, "vkstyletransfer", GST_RANK_NONE,
                            GST_TYPE_VK_STYLE_TRANSFER);

/* ---- properties ---------------------------------------------------------- */

/* Parses "0.7,0.3" into weights: NULL, or why they cannot be used
 * (g_free). Weights must be finite and not all zero: NaN, infinite or zero
 * weights give black frames. */
static gchar *parse_style_weights(const gchar *text, VknnStyleParams *params)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    const guint n = g_strv_length(parts);
    if (n == 0 || n > VKNN_MAX_STYLES)
        return g_strdup_printf("expected 1 to %d numbers separated by commas, e.g. \"0.7,0.3\"",
                               VKNN_MAX_STYLES);
    gboolean any = FALSE;
    for (guint i = 0; i < n; i++) {
        gchar *end = NULL;
        const double w = g_ascii_strtod(parts[i], &end);
        if (end == parts[i] || *g_strstrip(end) != '\0')
            return g_strdup_printf("'%s' is not a number", g_strstrip(parts[i]));
        if (!isfinite(w))
            return g_strdup_printf("weight %u is %g: weights must be finite", i + 1, w);
        params->style_weights[i] = (float)w;
        any |= w != 0.0;
    }
    if (!any)
        return g_strdup("all weights are 0: at least one must not be");
    params->n_styles = (int)n;
    return NULL;
}

/* The styler's style choice for style-index and style-weights. */
static void style_choice(gint index, const gchar *weights, VknnStyleParams *params)
{
    params->n_styles = 0;
    if (index >= 0 && index < VKNN_MAX_STYLES) {
        params->n_styles = index + 1;
        memset(params->style_weights, 0, sizeof params->style_weights);
        params->style_weights[index] = 1.0f;
    } else if (weights) {
        g_free(parse_style_weights(weights, params)); /* validated when set */
    }
}

static void gst_vk_style_transfer_get_params(GstVkStyleTransfer *self, VknnStyleParams *params)
{
    *params = (VknnStyleParams)VKNN_STYLE_PARAMS_DEFAULT;
    GST_OBJECT_LOCK(self);
    params->strength = (float)self->strength;
    params->preserve_colors = self->preserve_colors;
    params->scale = (float)self->scale;
    params->precision = self->precision;
    params->temporal = self->temporal;
    params->temporal_strength = (float)self->temporal_strength;
    style_choice(self->style_index, self->style_weights, params);
    GST_OBJECT_UNLOCK(self);
}

/* The style image in effect or on its way (g_free), or NULL: the loader's
 * path names it. */
static gchar *gst_vk_style_transfer_dup_style_image(GstVkStyleTransfer *self)
{
    g_autofree gchar *path = gst_vknn_filter_dup_model(GST_VKNN_FILTER(self));
    return path && g_str_has_prefix(path, STYLE_IMAGE_PREFIX)
               ? g_strdup(path + strlen(STYLE_IMAGE_PREFIX))
               : NULL;
}

/* A style image takes the place of the model while it is set: the model is
 * remembered for when it is unset. */
static void gst_vk_style_transfer_set_model(GstVkStyleTransfer *self, const gchar *model)
{
    if (model && *model) {
        GST_OBJECT_LOCK(self);
        g_free(self->model);
        self->model = g_strdup(model);
        GST_OBJECT_UNLOCK(self);
    }
    g_autofree gchar *image = gst_vk_style_transfer_dup_style_image(self);
    if (!image)
        gst_vknn_filter_set_model(GST_VKNN_FILTER(self), model);
}

static void gst_vk_style_transfer_set_style_image(GstVkStyleTransfer *self, const gchar *image)
{
    if (image && *image) {
        g_autofree gchar *path = g_strconcat(STYLE_IMAGE_PREFIX, image, NULL);
        gst_vknn_filter_set_model(GST_VKNN_FILTER(self), path);
        return;
    }
    g_autofree gchar *running = gst_vk_style_transfer_dup_style_image(self);
    if (!running)
        return;
    GST_OBJECT_LOCK(self);
    g_autofree gchar *model = g_strdup(self->model);
    GST_OBJECT_UNLOCK(self);
    gst_vknn_filter_set_model(GST_VKNN_FILTER(self), model);
}

/* style-size, alpha and palette shape the style image's network: a new one loads
 * in the background. */
static void gst_vk_style_transfer_restyle(GstVkStyleTransfer *self)
{
    g_autofree gchar *image = gst_vk_style_transfer_dup_style_image(self);
    if (image)
        gst_vknn_filter_reload(GST_VKNN_FILTER(self));
}

static void gst_vk_style_transfer_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(object);

    switch (prop_id) {
    case PROP_MODEL:
        gst_vk_style_transfer_set_model(self, g_value_get_string(value));
        return;
    case PROP_STYLE_IMAGE:
        gst_vk_style_transfer_set_style_image(self, g_value_get_string(value));
        return;
    case PROP_STYLE_SIZE:
        GST_OBJECT_LOCK(self);
        self->style_size = g_value_get_int(value);
        GST_OBJECT_UNLOCK(self);
        gst_vk_style_transfer_restyle(self);
        return;
    case PROP_ALPHA:
        GST_OBJECT_LOCK(self);
        self->alpha = g_value_get_double(value);
        GST_OBJECT_UNLOCK(self);
        gst_vk_style_transfer_restyle(self);
        return;
    case PROP_PALETTE:
        GST_OBJECT_LOCK(self);
        self->palette = g_value_get_boolean(value);
        GST_OBJECT_UNLOCK(self);
        gst_vk_style_transfer_restyle(self);
        return;
    case PROP_STRENGTH:
        GST_OBJECT_LOCK(self);
        self->strength = g_value_get_double(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_PRESERVE_COLORS:
        GST_OBJECT_LOCK(self);
        self->preserve_colors = g_value_get_boolean(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_SCALE:
        GST_OBJECT_LOCK(self);
        self->scale = g_value_get_double(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_STYLE_INDEX:
        GST_OBJECT_LOCK(self);
        self->style_index = g_value_get_int(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_PRECISION:
        GST_OBJECT_LOCK(self);
        self->precision = g_value_get_enum(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_TEMPORAL:
        GST_OBJECT_LOCK(self);
        self->temporal = g_value_get_enum(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_TEMPORAL_STRENGTH:
        GST_OBJECT_LOCK(self);
        self->temporal_strength = g_value_get_double(value);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_STYLE_WEIGHTS: {
        const gchar *text = g_value_get_string(value);
        VknnStyleParams check;
        g_autofree gchar *why = text && *text ? parse_style_weights(text, &check) : NULL;
        if (why) {
            gst_vknn_filter_refuse_setting(GST_VKNN_FILTER(self),
                                           "style-weights '%s': %s; keeping the current value",
                                           text, why);
            return;
        }
        GST_OBJECT_LOCK(self);
        g_free(self->style_weights);
        self->style_weights = text && *text ? g_strdup(text) : NULL;
        GST_OBJECT_UNLOCK(self);
        return;
    }
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void gst_vk_style_transfer_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(object);

    switch (prop_id) {
    case PROP_MODEL: {
        gchar *path = gst_vknn_filter_dup_model(GST_VKNN_FILTER(self));
        if (path && g_str_has_prefix(path, STYLE_IMAGE_PREFIX)) {
            g_free(path);
            GST_OBJECT_LOCK(self);
            path = g_strdup(self->model);
            GST_OBJECT_UNLOCK(self);
        }
        g_value_take_string(value, path);
        return;
    }
    case PROP_STYLE_IMAGE:
        g_value_take_string(value, gst_vk_style_transfer_dup_style_image(self));
        return;
    case PROP_STYLE_SIZE:
        GST_OBJECT_LOCK(self);
        g_value_set_int(value, self->style_size);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_ALPHA:
        GST_OBJECT_LOCK(self);
        g_value_set_double(value, self->alpha);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_PALETTE:
        GST_OBJECT_LOCK(self);
        g_value_set_boolean(value, self->palette);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_STRENGTH:
        GST_OBJECT_LOCK(self);
        g_value_set_double(value, self->strength);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_PRESERVE_COLORS:
        GST_OBJECT_LOCK(self);
        g_value_set_boolean(value, self->preserve_colors);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_SCALE:
        GST_OBJECT_LOCK(self);
        g_value_set_double(value, self->scale);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_STYLE_INDEX:
        GST_OBJECT_LOCK(self);
        g_value_set_int(value, self->style_index);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_PRECISION:
        GST_OBJECT_LOCK(self);
        g_value_set_enum(value, self->precision);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_STYLE_WEIGHTS:
        GST_OBJECT_LOCK(self);
        g_value_set_string(value, self->style_weights);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_TEMPORAL:
        GST_OBJECT_LOCK(self);
        g_value_set_enum(value, self->temporal);
        GST_OBJECT_UNLOCK(self);
        return;
    case PROP_TEMPORAL_STRENGTH:
        GST_OBJECT_LOCK(self);
        g_value_set_double(value, self->temporal_strength);
        GST_OBJECT_UNLOCK(self);
        return;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

/* ---- engines ------------------------------------------------------------- */

/* Prepares styler for width x height frames, lowering params->scale while a
 * tensor of the network exceeds the device's buffer limits (lavapipe allows
 * 128 MiB in one buffer; a 32-channel activation at 1920x1080 is 253 MiB)
 * or the plan the memory budget (max-memory). */
static gboolean prepare_fitting(VknnStyler *styler, gint width, gint height,
                                VknnStyleParams *params, GError **err)
{
    for (;;) {
        GError *e = NULL;
        if (vknn_styler_prepare(styler, width, height, params, &e))
            return TRUE;
        /* As a float: 0.1f is above the double 0.1, and the loop would not end
         * when nothing fits (a small max-memory). */
        if (!g_error_matches(e, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT) ||
            params->scale <= (float)MIN_SCALE) {
            g_propagate_error(err, e);
            return FALSE;
        }
        g_error_free(e);
        params->scale = MAX((float)MIN_SCALE, params->scale * 0.85f);
    }
}

/* The style network of the image(s) at path (vknn/wct.h): the built-in
 * VGG encoder to relu3_1, AdaIN towards the image's channel statistics,
 * the built-in decoder, the palette step if asked. Several images,
 * comma-separated, give a multi-style network: style-weights blends them. */
static VknnModel *style_image_network(VknnContext *ctx, const gchar *path, gint size, gfloat alpha,
                                      gboolean palette, GError **err)
{
    g_autoptr(VknnModel) encoder = vknn_model_load(STYLE_ENCODER, err);
    g_autoptr(VknnModel) decoder = encoder ? vknn_model_load(STYLE_DECODER, err) : NULL;
    g_autoptr(VknnUniversalStyler) styler =
        decoder ? vknn_universal_styler_new(ctx, encoder, decoder, STYLE_LAYER, err) : NULL;
    if (!styler || !cli_style_images_set(styler, path, size, err))
        return NULL;
    vknn_universal_styler_set_palette(styler, palette);
    return vknn_universal_styler_style_model(styler, alpha, err);
}

static const gchar *gst_vk_style_transfer_describe_source(GstVknnFilter *filter, const gchar *path,
                                                          const gchar **file)
{
    if (!g_str_has_prefix(path, STYLE_IMAGE_PREFIX))
        return GST_VKNN_FILTER_GET_CLASS(filter)->model_kind;
    *file = path + strlen(STYLE_IMAGE_PREFIX);
    return "style image";
}

/* Loader thread: the network of a model path or a style image. */
static VknnModel *gst_vk_style_transfer_load_model(GstVknnFilter *filter, const gchar *path,
                                                   VknnContext *ctx, GError **err)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(filter);
    if (!g_str_has_prefix(path, STYLE_IMAGE_PREFIX))
        return vknn_model_load(path, err);
    GST_OBJECT_LOCK(self);
    const gint size = self->style_size;
    const gfloat alpha = (gfloat)self->alpha;
    const gboolean palette = self->palette;
    GST_OBJECT_UNLOCK(self);
    return style_image_network(ctx, path + strlen(STYLE_IMAGE_PREFIX), size, alpha, palette, err);
}

/* Loader thread: a styler for the engine's model, prepared for the frame
 * size when known. */
static GstVknnLoadResult gst_vk_style_transfer_build_engine(GstVknnFilter *filter,
                                                            GstVknnEngine *engine, gint width,
                                                            gint height, GError **err)
{
    VknnStyleParams params;
    gst_vk_style_transfer_get_params(GST_VK_STYLE_TRANSFER(filter), &params);
    /* A style choice beyond the model's styles is refused at its first frame
     * (gst_vk_style_transfer_fit_styles), not a reason to fail the load. */
    if (params.n_styles > vknn_style_count(engine->model))
        params.n_styles = 0;

    VknnStyler *styler = vknn_styler_new(engine->ctx, engine->model, err);
    if (!styler)
        return GST_VKNN_LOAD_MODEL_FAILED;
    engine->data = styler;
    engine->free_data = (GDestroyNotify)vknn_styler_free;
    if (width > 0 && !prepare_fitting(styler, width, height, &params, err))
        return GST_VKNN_LOAD_DEVICE_FAILED;
    return GST_VKNN_LOAD_OK;
}

static gboolean gst_vk_style_transfer_supports_output_format(GstVknnFilter *filter,
                                                             GstVknnEngine *engine, VkFormat format)
{
    return vknn_styler_supports_output_format(engine->data, format);
}

/* ---- processing ---------------------------------------------------------- */

/* A style choice names styles the running model has, or is refused: the
 * properties go back to the last choice the model took (style 0 when that
 * does not fit either, after a model switch) and read back what runs. */
static void gst_vk_style_transfer_fit_styles(GstVkStyleTransfer *self, GstVknnEngine *engine,
                                             VknnStyleParams *params)
{
    const int count = vknn_style_count(engine->model);
    if (params->n_styles <= count)
        return;
    VknnStyleParams applied = *params;
    GST_OBJECT_LOCK(self);
    g_autofree gchar *asked = self->style_index >= 0
                                  ? g_strdup_printf("style-index %d", self->style_index)
                                  : g_strdup_printf("style-weights '%s' (%d styles)",
                                                    self->style_weights, params->n_styles);
    style_choice(self->applied_index, self->applied_weights, &applied);
    const gboolean fits = applied.n_styles <= count;
    self->style_index = fits ? self->applied_index : -1;
    g_free(self->style_weights);
    self->style_weights = fits ? g_strdup(self->applied_weights) : NULL;
    style_choice(self->style_index, self->style_weights, params);
    GST_OBJECT_UNLOCK(self);
    gst_vknn_filter_refuse_setting(GST_VKNN_FILTER(self), "%s: model %s has %d style%s; keeping %s",
                                   asked, engine->path, count, count == 1 ? "" : "s",
                                   fits && applied.n_styles > 0 ? "the current choice" : "style 0");
    g_object_notify(G_OBJECT(self), "style-index");
    g_object_notify(G_OBJECT(self), "style-weights");
}

/* The style choice the model now runs with. */
static void gst_vk_style_transfer_note_applied(GstVkStyleTransfer *self)
{
    GST_OBJECT_LOCK(self);
    self->applied_index = self->style_index;
    if (g_strcmp0(self->applied_weights, self->style_weights)) {
        g_free(self->applied_weights);
        self->applied_weights = g_strdup(self->style_weights);
    }
    GST_OBJECT_UNLOCK(self);
}

static GstFlowReturn gst_vk_style_transfer_process(GstVknnFilter *filter, GstVknnEngine *engine,
                                                   GstVknnFrames *frames, GstBuffer *inbuf)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(filter);
    VknnStyler *styler = engine->data;
    VknnStyleParams params;
    GError *err = NULL;

    gst_vk_style_transfer_get_params(self, &params);
    gst_vk_style_transfer_fit_styles(self, engine, &params);
    const gboolean fitted = frames->width == self->fit_width &&
                            frames->height == self->fit_height && params.scale == self->fit_asked;
    const gfloat asked = params.scale;
    if (fitted)
        params.scale = self->fit_scale;

    /* Cheap when nothing changed; replans on a new size or scale. */
    if (!prepare_fitting(styler, frames->width, frames->height, &params, &err)) {
        GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                          ("Could not prepare style model %s for %dx%d frames", engine->path,
                           frames->width, frames->height),
                          ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    gst_vk_style_transfer_note_applied(self);
    if (params.scale != asked && !fitted) {
        GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                            ("%dx%d frames need larger buffers than the Vulkan device allows "
                             "for this model: running the network at scale %.2f instead of %.2f",
                             frames->width, frames->height, params.scale, asked),
                            (NULL));
        self->fit_width = frames->width;
        self->fit_height = frames->height;
        self->fit_asked = asked;
        self->fit_scale = params.scale;
    }
    /* A new scale changes the processing time. */
    if (params.scale != self->last_scale)
        gst_vknn_filter_latency_changed(filter);
    self->last_scale = params.scale;
    if (g_atomic_int_compare_and_exchange(&self->forget_history, TRUE, FALSE) ||
        GST_BUFFER_IS_DISCONT(inbuf))
        vknn_styler_reset_history(styler);
    const gboolean ok =
        frames->vulkan
            ? vknn_styler_process_images(styler, &frames->in_image, &frames->out_image, &err)
            : vknn_styler_process_bytes(styler, frames->format, GST_VKNN_FRAMES_IN_DATA(frames),
                                        GST_VKNN_FRAMES_IN_STRIDE(frames),
                                        GST_VKNN_FRAMES_OUT_DATA(frames),
                                        GST_VKNN_FRAMES_OUT_STRIDE(frames), &err);
    if (!ok) {
        GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Style transfer failed"), ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    gst_vknn_filter_set_frame_time(filter, vknn_styler_last_frame_ms(styler));
    return GST_FLOW_OK;
}

static gboolean gst_vk_style_transfer_start(GstBaseTransform *bt)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);
    self->last_scale = 0;
    self->fit_width = self->fit_height = 0;
    g_atomic_int_set(&self->forget_history, TRUE);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->start(bt);
}

/* After a flush (a seek) or a new segment the next frame does not follow
 * the last one: stabilisation starts again. A new size or model starts it
 * again by itself (vknn_styler_prepare, a new styler). */
static gboolean gst_vk_style_transfer_sink_event(GstBaseTransform *bt, GstEvent *event)
{
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP || GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT)
        g_atomic_int_set(&GST_VK_STYLE_TRANSFER(bt)->forget_history, TRUE);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(bt, event);
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vk_style_transfer_init(GstVkStyleTransfer *self)
{
    self->strength = DEFAULT_PROP_STRENGTH;
    self->preserve_colors = DEFAULT_PROP_PRESERVE_COLORS;
    self->scale = DEFAULT_PROP_SCALE;
    self->style_index = -1;
    self->applied_index = -1;
    self->precision = DEFAULT_PROP_PRECISION;
    self->temporal = DEFAULT_PROP_TEMPORAL;
    self->temporal_strength = DEFAULT_PROP_TEMPORAL_STRENGTH;
    self->style_size = DEFAULT_PROP_STYLE_SIZE;
    self->alpha = DEFAULT_PROP_ALPHA;
    self->palette = DEFAULT_PROP_PALETTE;
    gst_vk_style_transfer_set_model(self, DEFAULT_PROP_MODEL);
}

static void gst_vk_style_transfer_install_properties(GObjectClass *gobject_class)
{
    const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

    g_object_class_install_property(
        gobject_class, PROP_MODEL,
        g_param_spec_string(
            "model", "Model",
            "Style network to apply: an ONNX file (see docs/model-contract.md), or a "
            "style built into vknn: builtin:starry_night (default), builtin:wave, "
            "builtin:scream, builtin:composition_vii, builtin:shipwreck, builtin:paintings "
            "(the five in one network, see style-weights). Changing it "
            "while playing loads the new model in the background; the current one runs until "
            "it is ready. A style-image, while set, takes its place",
            DEFAULT_PROP_MODEL, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_STYLE_IMAGE,
        g_param_spec_string(
            "style-image", "Style image",
            "Any image file (JPEG, PNG, ...) as the style, no training: the built-in VGG-19 "
            "encoder, AdaIN towards the image's feature statistics and the built-in decoder "
            "(docs/styles.md). Several images, comma-separated, give one network of "
            "several styles that style-weights blends (style-index picks one; by default "
            "the first). Takes the place of model while set; unset it to go back to "
            "model. Changing it while playing loads the new style in the background; the "
            "current one runs until it is ready",
            NULL, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_STYLE_SIZE,
        g_param_spec_int("style-size", "Style size",
                         "style-image: its shorter side, in pixels, when its statistics are "
                         "taken (larger: finer strokes of the painting; default 256)",
                         16, 4096, DEFAULT_PROP_STYLE_SIZE, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_ALPHA,
        g_param_spec_double("alpha", "Alpha",
                            "style-image: how far the content's features move towards the "
                            "style's statistics (0: the decoder's reconstruction of the frame, "
                            "1: the style's; default 1). Unlike strength, it blends features, "
                            "not pixels",
                            0.0, 1.0, DEFAULT_PROP_ALPHA, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_PALETTE,
        g_param_spec_boolean("palette", "Palette",
                             "style-image: move each RGB channel's mean and deviation to the "
                             "style image's after decoding, so that the frame takes the "
                             "painting's colours (blended by alpha; default true). Off: the "
                             "decoder's colours. preserve-colors, when on, keeps the frame's "
                             "own colours either way",
                             DEFAULT_PROP_PALETTE, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_STRENGTH,
        g_param_spec_double("strength", "Strength",
                            "Blend of the stylised frame with the input: 0 = input, "
                            "1 = fully stylised (0.0 to 1.0, default 1.0)",
                            0.0, 1.0, DEFAULT_PROP_STRENGTH,
                            flags | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_PRESERVE_COLORS,
        g_param_spec_boolean("preserve-colors", "Preserve colours",
                             "Keep the input's colours and stylise the luminance only "
                             "(default false)",
                             DEFAULT_PROP_PRESERVE_COLORS,
                             flags | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_SCALE,
        g_param_spec_double("scale", "Scale",
                            "Run the network on the frame scaled by this factor and scale the "
                            "result back: the speed knob for weak devices, at the cost of "
                            "coarser strokes (0.1 to 1.0, default 1.0)",
                            MIN_SCALE, 1.0, DEFAULT_PROP_SCALE, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_STYLE_INDEX,
        g_param_spec_int("style-index", "Style index",
                         "Multi-style networks: run this style alone (-1: use style-weights)", -1,
                         VKNN_MAX_STYLES - 1, -1, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_STYLE_WEIGHTS,
        g_param_spec_string("style-weights", "Style weights",
                            "Multi-style networks: blend of the styles, e.g. \"0.7,0.3\" "
                            "(conditional instance normalisation); change it while playing for "
                            "smooth transitions. Unset: style 0",
                            NULL, flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_PRECISION,
        g_param_spec_enum("precision", "Precision",
                          "fp16-tiles: the 3x3 layers keep their Winograd tiles in fp16 "
                          "(faster, output within ~60 dB PSNR of fp32); fp32: exact",
                          GST_TYPE_VKNN_PRECISION, DEFAULT_PROP_PRECISION,
                          flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_TEMPORAL,
        g_param_spec_enum("temporal", "Temporal stabilisation",
                          "flow: steady video instead of per-frame flicker. Optical flow between "
                          "consecutive frames (on the device) carries the previous stylised "
                          "frame into the current one where the flow is trusted (not at "
                          "occlusions, motion boundaries or scene cuts); restarts at seeks, "
                          "discontinuities, size and model changes. off: each frame on its own",
                          GST_TYPE_VKNN_TEMPORAL, DEFAULT_PROP_TEMPORAL,
                          flags | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_TEMPORAL_STRENGTH,
        g_param_spec_double("temporal-strength", "Temporal strength",
                            "temporal=flow: weight of the previous stylised frame where the flow "
                            "is trusted (0 = per-frame, 1 = hold; default 0.8)",
                            0.0, 1.0, DEFAULT_PROP_TEMPORAL_STRENGTH,
                            flags | GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
}

static void gst_vk_style_transfer_finalize(GObject *object)
{
    g_free(GST_VK_STYLE_TRANSFER(object)->model);
    g_free(GST_VK_STYLE_TRANSFER(object)->style_weights);
    g_free(GST_VK_STYLE_TRANSFER(object)->applied_weights);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vk_style_transfer_class_init(GstVkStyleTransferClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);
    GstVknnFilterClass *filter_class = GST_VKNN_FILTER_CLASS(klass);

    gobject_class->set_property = gst_vk_style_transfer_set_property;
    gobject_class->get_property = gst_vk_style_transfer_get_property;
    gobject_class->finalize = gst_vk_style_transfer_finalize;
    gst_vk_style_transfer_install_properties(gobject_class);

    gst_element_class_set_static_metadata(
        element_class, "Vulkan style transfer", "Filter/Effect/Video/Hardware",
        "Stylises video with a feed-forward style network in Vulkan compute shaders (libvknn)",
        "vknn developers");

    bt_class->start = gst_vk_style_transfer_start;
    bt_class->sink_event = gst_vk_style_transfer_sink_event;

    filter_class->model_kind = "style model";
    filter_class->model_hint = "Set the 'model' property to a style network (ONNX file)";
    filter_class->load_model = gst_vk_style_transfer_load_model;
    filter_class->describe_source = gst_vk_style_transfer_describe_source;
    filter_class->build_engine = gst_vk_style_transfer_build_engine;
    filter_class->supports_output_format = gst_vk_style_transfer_supports_output_format;
    filter_class->process = gst_vk_style_transfer_process;
}
