/* vknn GStreamer plugin — vkstyletransfer.
 *
 * Threads: the streaming thread owns the running engine (a VknnContext, the
 * VknnModel and its VknnStyler: libvknn objects are single-threaded). Models
 * load on a loader thread (a one-thread GThreadPool) that builds a complete
 * engine with its own context on the same Vulkan device and hands it over
 * under load_lock; the streaming thread swaps it in at its next frame and
 * frees the old one. Properties other than `model` are read under the object
 * lock at every frame.
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
 * smaller frame (frame size x scale), the speed knob for weak devices. All
 * three may change while playing. Setting #GstVkStyleTransfer:model while
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
#include "gstvknnimagepool.h"

#include <math.h>

#include <gst/video/video.h>
#include <vknn/style.h>

GST_DEBUG_CATEGORY_STATIC(gst_vk_style_transfer_debug);
#define GST_CAT_DEFAULT gst_vk_style_transfer_debug

#define DEFAULT_PROP_MODEL NULL
#define DEFAULT_PROP_STRENGTH 1.0
#define DEFAULT_PROP_PRESERVE_COLORS FALSE
#define DEFAULT_PROP_SCALE 1.0
#define MIN_SCALE 0.1
/* Frames after a change before the processing time is reported as latency. */
#define LATENCY_FRAMES 2

enum {
    PROP_0,
    PROP_MODEL,
    PROP_STRENGTH,
    PROP_PRESERVE_COLORS,
    PROP_SCALE,
    PROP_STATS,
};

#define CAPS_STR                                                                                   \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_CAPS_FEATURE_MEMORY_VULKAN_IMAGE, "{ RGBA, BGRA }")      \
    "; " GST_VIDEO_CAPS_MAKE("{ RGBA, BGRA, RGBx, BGRx }")

static GstStaticPadTemplate gst_vk_style_transfer_sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(CAPS_STR));
static GstStaticPadTemplate gst_vk_style_transfer_src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(CAPS_STR));

/* A loaded model on the device: what the loader hands to the streaming thread. */
typedef struct {
    GstVulkanQueue *queue; /* ref: the queue lock's data; keeps the device alive */
    VknnContext *ctx;
    VknnModel *model;
    VknnStyler *styler;
    gchar *path;
} GstVkStyleEngine;

struct _GstVkStyleTransfer {
    GstVulkanVideoFilter parent;

    /* Properties, under the object lock. */
    gdouble strength;
    gboolean preserve_colors;
    gdouble scale;
    GstClockTime frame_time; /* processing time of the last frame, for latency */

    /* Model loading, under load_lock. */
    GMutex load_lock;
    GCond load_cond;            /* signalled when a load ends or on flushing */
    gchar *model_path;          /* the `model` property */
    guint request;              /* generation of the latest load request */
    guint n_loading;            /* load tasks queued or running */
    GstVkStyleEngine *ready;    /* loaded, not yet taken by the streaming thread */
    gboolean have_engine;       /* the streaming thread runs a model */
    gboolean load_failed;       /* a load failed with nothing running (error posted) */
    gboolean flushing;          /* wakes a transform waiting for a model */
    GstVulkanQueue *load_queue; /* where new models load: set in set_caps */
    gint width, height;         /* current frame size, for the loader to prepare */
    GThreadPool *loader;

    /* Streaming thread only. */
    GstVkStyleEngine *engine;
    gboolean vulkan_memory;       /* memory:VulkanImage caps */
    VknnPixelFormat pixel_format; /* system memory layout */
    gboolean engine_checked;      /* output format checked against the running engine */
    gint latency_countdown;       /* frames until a latency message is due (0: none) */
    guint64 frames;               /* processed, for the stats property (object lock) */
    gint last_width, last_height;
    gfloat last_scale;

    /* Set once at start() from the device; read by transform_caps. */
    gint bgra_unwritable;
};

#define gst_vk_style_transfer_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVkStyleTransfer, gst_vk_style_transfer, GST_TYPE_VULKAN_VIDEO_FILTER,
                        GST_DEBUG_CATEGORY_INIT(gst_vk_style_transfer_debug, "vkstyletransfer", 0,
                                                "Vulkan style transfer"));
GST_ELEMENT_REGISTER_DEFINE(vkstyletransfer, "vkstyletransfer", GST_RANK_NONE,
                            GST_TYPE_VK_STYLE_TRANSFER);

/* GstBaseTransform's own vfuncs, for the cases where GstVulkanVideoFilter's
 * do not fit (system memory allocation). */
static GstBaseTransformClass *base_transform_class;

/* ---- engines ------------------------------------------------------------- */

static void gst_vk_style_transfer_queue_lock(gboolean lock, void *user_data)
{
    GstVulkanQueue *queue = user_data;

    if (lock)
        gst_vulkan_queue_submit_lock(queue);
    else
        gst_vulkan_queue_submit_unlock(queue);
}

static void gst_vk_style_engine_free(GstVkStyleEngine *e)
{
    if (!e)
        return;
    /* Every frame waited for its own work, and libvknn never idles an
     * adopted device, so nothing here blocks other users of the queue. */
    vknn_styler_free(e->styler);
    vknn_context_free(e->ctx);
    vknn_model_free(e->model);
    gst_object_unref(e->queue);
    g_free(e->path);
    g_free(e);
}

typedef enum {
    LOAD_OK,
    LOAD_MODEL_FAILED,  /* the file: missing, unreadable, not a style network */
    LOAD_DEVICE_FAILED, /* libvknn on the device: context or planning */
} GstVkStyleLoadResult;

/* Builds an engine for the model at path on queue's device; prepares it for
 * width x height frames when known (> 0). Runs on the loader thread. */
static GstVkStyleEngine *gst_vk_style_engine_new(GstVulkanQueue *queue, const gchar *path,
                                                 gint width, gint height,
                                                 const VknnStyleParams *params,
                                                 GstVkStyleLoadResult *result, GError **err)
{
    GstVulkanDevice *device = queue->device;
    GstVkStyleEngine *e = g_new0(GstVkStyleEngine, 1);

    e->queue = gst_object_ref(queue);
    e->path = g_strdup(path);
    *result = LOAD_MODEL_FAILED;
    if (!(e->model = vknn_model_load(path, err)))
        goto fail;
    *result = LOAD_DEVICE_FAILED;
    e->ctx =
        vknn_context_new_from_handles(device->instance->instance, device->physical_device->device,
                                      device->device, queue->queue, queue->family, err);
    if (!e->ctx)
        goto fail;
    vknn_context_set_queue_lock(e->ctx, gst_vk_style_transfer_queue_lock, queue);
    *result = LOAD_MODEL_FAILED;
    if (!(e->styler = vknn_styler_new(e->ctx, e->model, err)))
        goto fail;
    *result = LOAD_DEVICE_FAILED;
    if (width > 0 && !vknn_styler_prepare(e->styler, width, height, params, err))
        goto fail;
    *result = LOAD_OK;
    return e;
fail:
    gst_vk_style_engine_free(e);
    return NULL;
}

/* ---- properties ---------------------------------------------------------- */

static void gst_vk_style_transfer_get_params(GstVkStyleTransfer *self, VknnStyleParams *params)
{
    GST_OBJECT_LOCK(self);
    params->strength = (float)self->strength;
    params->preserve_colors = self->preserve_colors;
    params->scale = (float)self->scale;
    GST_OBJECT_UNLOCK(self);
}

/* Queues a load of the current model_path; the loader skips requests that a
 * newer one superseded. Called with load_lock held. */
static void gst_vk_style_transfer_request_load_locked(GstVkStyleTransfer *self)
{
    self->request++;
    self->n_loading++;
    g_thread_pool_push(self->loader, GUINT_TO_POINTER(self->request), NULL);
}

static void gst_vk_style_transfer_set_model(GstVkStyleTransfer *self, const gchar *path)
{
    g_mutex_lock(&self->load_lock);
    g_free(self->model_path);
    self->model_path = g_strdup(path);
    /* Before set_caps the device is unknown: set_caps loads it. Unsetting
     * the model while playing keeps the running one. */
    if (path && self->load_queue)
        gst_vk_style_transfer_request_load_locked(self);
    g_mutex_unlock(&self->load_lock);
}

static void gst_vk_style_transfer_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(object);

    switch (prop_id) {
    case PROP_MODEL:
        gst_vk_style_transfer_set_model(self, g_value_get_string(value));
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
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void gst_vk_style_transfer_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(object);

    switch (prop_id) {
    case PROP_MODEL:
        g_mutex_lock(&self->load_lock);
        g_value_set_string(value, self->model_path);
        g_mutex_unlock(&self->load_lock);
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
    case PROP_STATS:
        GST_OBJECT_LOCK(self);
        g_value_take_boxed(
            value, gst_structure_new("vkstyletransfer-stats", "frames", G_TYPE_UINT64, self->frames,
                                     "frame-time", G_TYPE_UINT64, self->frame_time,
                                     "device-buffers", G_TYPE_INT, vknn_live_buffers(), NULL));
        GST_OBJECT_UNLOCK(self);
        return;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

/* ---- loading ------------------------------------------------------------- */

/* While another model runs a failed load is a warning: the stream goes on
 * with the old model. With none, nothing can be processed: an error. */
static void gst_vk_style_transfer_post_load_error(GstVkStyleTransfer *self, const gchar *path,
                                                  GstVkStyleLoadResult result, const GError *err,
                                                  gboolean fatal)
{
    if (result == LOAD_DEVICE_FAILED && fatal)
        GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Could not run style model %s on the device", path),
                          ("%s", err->message));
    else if (result == LOAD_DEVICE_FAILED)
        GST_ELEMENT_WARNING(
            self, LIBRARY, INIT,
            ("Could not run style model %s on the device; keeping the current one", path),
            ("%s", err->message));
    else if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) && fatal)
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Could not load style model %s", path),
                          ("%s", err->message));
    else if (fatal)
        GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not load style model %s", path),
                          ("%s", err->message));
    else
        GST_ELEMENT_WARNING(self, RESOURCE, READ,
                            ("Could not load style model %s; keeping the current one", path),
                            ("%s", err->message));
}

/* The loader thread: one request at a time, the latest wins. */
static void gst_vk_style_transfer_load(gpointer data, gpointer user_data)
{
    GstVkStyleTransfer *self = user_data;
    const guint request = GPOINTER_TO_UINT(data);
    GstVkStyleEngine *engine = NULL, *old = NULL;
    GstVkStyleLoadResult result = LOAD_OK;
    GError *err = NULL;
    gchar *path = NULL;
    GstVulkanQueue *queue = NULL;
    gint width = 0, height = 0;

    g_mutex_lock(&self->load_lock);
    if (request == self->request && self->load_queue && self->model_path) {
        path = g_strdup(self->model_path);
        queue = gst_object_ref(self->load_queue);
        width = self->width;
        height = self->height;
    }
    g_mutex_unlock(&self->load_lock);

    if (queue) {
        VknnStyleParams params;
        gst_vk_style_transfer_get_params(self, &params);
        GST_INFO_OBJECT(self, "loading %s (%dx%d)", path, width, height);
        engine = gst_vk_style_engine_new(queue, path, width, height, &params, &result, &err);
    }

    /* Post before handing over, so a transform waiting for this load sees
     * the error on the bus before it returns GST_FLOW_ERROR. */
    g_mutex_lock(&self->load_lock);
    const gboolean current = request == self->request;
    const gboolean running = self->have_engine || self->ready != NULL;
    g_mutex_unlock(&self->load_lock);
    if (err && current)
        gst_vk_style_transfer_post_load_error(self, path, result, err, !running);

    g_mutex_lock(&self->load_lock);
    if (engine && request == self->request) {
        old = self->ready;
        self->ready = engine;
    } else {
        old = engine; /* superseded while loading */
    }
    if (err && current && !running)
        self->load_failed = TRUE;
    self->n_loading--;
    g_cond_broadcast(&self->load_cond);
    g_mutex_unlock(&self->load_lock);

    gst_vk_style_engine_free(old);
    g_clear_error(&err);
    g_free(path);
    gst_clear_object(&queue);
}

static void gst_vk_style_transfer_set_flushing(GstVkStyleTransfer *self, gboolean flushing)
{
    g_mutex_lock(&self->load_lock);
    self->flushing = flushing;
    g_cond_broadcast(&self->load_cond);
    g_mutex_unlock(&self->load_lock);
}

/* Makes self->engine the newest loaded model; the first frame waits for it. */
static GstFlowReturn gst_vk_style_transfer_ensure_engine(GstVkStyleTransfer *self)
{
    g_mutex_lock(&self->load_lock);
    while (!self->engine && !self->ready && self->n_loading > 0 && !self->flushing)
        g_cond_wait(&self->load_cond, &self->load_lock);
    GstVkStyleEngine *fresh = self->ready;
    self->ready = NULL;
    if (fresh)
        self->have_engine = TRUE;
    const gboolean flushing = self->flushing, failed = self->load_failed;
    g_mutex_unlock(&self->load_lock);

    if (fresh) {
        GST_INFO_OBJECT(self, "running model %s", fresh->path);
        gst_vk_style_engine_free(self->engine);
        self->engine = fresh;
        self->engine_checked = FALSE;
        self->latency_countdown = LATENCY_FRAMES;
    }
    if (self->engine)
        return GST_FLOW_OK;
    if (flushing)
        return GST_FLOW_FLUSHING;
    if (!failed) /* otherwise the loader posted the error */
        GST_ELEMENT_ERROR(self, CORE, FAILED, ("No style model loaded"), (NULL));
    return GST_FLOW_ERROR;
}

/* ---- negotiation --------------------------------------------------------- */

static gboolean gst_vk_style_transfer_caps_are_vulkan(GstCaps *caps)
{
    GstCapsFeatures *features = gst_caps_get_features(caps, 0);
    return features && gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_VULKAN_IMAGE);
}

/* Removes format from the memory:VulkanImage structures of caps. */
static GstCaps *gst_vk_style_transfer_drop_vulkan_format(GstCaps *caps, const gchar *format)
{
    caps = gst_caps_make_writable(caps);
    for (guint i = gst_caps_get_size(caps); i-- > 0;) {
        GstCapsFeatures *features = gst_caps_get_features(caps, i);
        if (!features ||
            !gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_VULKAN_IMAGE))
            continue;
        GstStructure *s = gst_caps_get_structure(caps, i);
        const GValue *formats = gst_structure_get_value(s, "format");
        if (!formats)
            continue;
        if (!GST_VALUE_HOLDS_LIST(formats)) {
            if (G_VALUE_HOLDS_STRING(formats) && !g_strcmp0(g_value_get_string(formats), format))
                gst_caps_remove_structure(caps, i);
            continue;
        }
        GValue kept = G_VALUE_INIT;
        gst_value_list_init(&kept, gst_value_list_get_size(formats));
        for (guint j = 0; j < gst_value_list_get_size(formats); j++) {
            const GValue *f = gst_value_list_get_value(formats, j);
            if (g_strcmp0(g_value_get_string(f), format))
                gst_value_list_append_value(&kept, f);
        }
        gst_structure_take_value(s, "format", &kept);
    }
    return caps;
}

static GstCaps *gst_vk_style_transfer_transform_caps(GstBaseTransform *bt,
                                                     GstPadDirection direction, GstCaps *caps,
                                                     GstCaps *filter)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);
    /* GstVulkanVideoFilter: the same caps on the other side. */
    GstCaps *res =
        GST_BASE_TRANSFORM_CLASS(parent_class)->transform_caps(bt, direction, caps, filter);
    if (g_atomic_int_get(&self->bgra_unwritable))
        res = gst_vk_style_transfer_drop_vulkan_format(res, "BGRA");
    return res;
}

/* Output = input: prefer exactly the input caps when downstream allows. */
static GstCaps *gst_vk_style_transfer_fixate_caps(GstBaseTransform *bt, GstPadDirection direction,
                                                  GstCaps *caps, GstCaps *othercaps)
{
    GstCaps *same = gst_caps_intersect_full(caps, othercaps, GST_CAPS_INTERSECT_FIRST);
    if (!gst_caps_is_empty(same)) {
        gst_caps_unref(othercaps);
        othercaps = same;
    } else {
        gst_caps_unref(same);
    }
    return GST_BASE_TRANSFORM_CLASS(parent_class)->fixate_caps(bt, direction, caps, othercaps);
}

static VknnPixelFormat gst_vk_style_transfer_pixel_format(GstVideoFormat format)
{
    switch (format) {
    case GST_VIDEO_FORMAT_BGRA:
        return VKNN_PIXEL_BGRA;
    case GST_VIDEO_FORMAT_RGBx:
        return VKNN_PIXEL_RGBX;
    case GST_VIDEO_FORMAT_BGRx:
        return VKNN_PIXEL_BGRX;
    default:
        return VKNN_PIXEL_RGBA;
    }
}

/* Called for the first caps and for every renegotiation (a new frame size
 * replans the network at the next frame). A new device needs a new engine:
 * libvknn contexts are bound to one. */
static gboolean gst_vk_style_transfer_set_caps(GstBaseTransform *bt, GstCaps *incaps,
                                               GstCaps *outcaps)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(bt);
    GstVkStyleEngine *old_ready = NULL;

    if (!GST_BASE_TRANSFORM_CLASS(parent_class)->set_caps(bt, incaps, outcaps))
        return FALSE;
    self->vulkan_memory = gst_vk_style_transfer_caps_are_vulkan(incaps);
    self->pixel_format =
        gst_vk_style_transfer_pixel_format(GST_VIDEO_INFO_FORMAT(&filter->in_info));

    g_mutex_lock(&self->load_lock);
    self->width = GST_VIDEO_INFO_WIDTH(&filter->in_info);
    self->height = GST_VIDEO_INFO_HEIGHT(&filter->in_info);
    const gboolean new_device = !self->load_queue || self->load_queue->device != filter->device;
    if (new_device) {
        gst_object_replace((GstObject **)&self->load_queue, (GstObject *)filter->queue);
        old_ready = self->ready;
        self->ready = NULL;
        self->have_engine = FALSE;
        self->load_failed = FALSE;
        if (self->model_path)
            gst_vk_style_transfer_request_load_locked(self);
    }
    g_mutex_unlock(&self->load_lock);

    if (new_device) {
        gst_vk_style_engine_free(old_ready);
        g_clear_pointer(&self->engine, gst_vk_style_engine_free);
    }
    GST_DEBUG_OBJECT(self, "caps %" GST_PTR_FORMAT "%s", incaps,
                     new_device ? " (new device: loading the model)" : "");
    return TRUE;
}

/* GstVulkanVideoFilter proposes nothing (and fails the query). Both paths
 * take any upstream buffer, strided ones included: say so. */
static gboolean gst_vk_style_transfer_propose_allocation(GstBaseTransform *bt,
                                                         GstQuery *decide_query, GstQuery *query)
{
    if (!base_transform_class->propose_allocation(bt, decide_query, query))
        return FALSE;
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    return TRUE;
}

/* Vulkan images: our own pool, since the compute shader writes the output
 * image and GStreamer 1.22's image pool has no storage usage. */
static gboolean gst_vk_style_transfer_decide_vulkan_allocation(GstVkStyleTransfer *self,
                                                               GstQuery *query, GstCaps *caps)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);
    GstBufferPool *pool = NULL;
    guint size = 0, min = 0, max = 0;
    const gboolean update = gst_query_get_n_allocation_pools(query) > 0;

    if (update)
        gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
    if (!pool || !GST_IS_VKNN_IMAGE_POOL(pool)) {
        gst_clear_object(&pool);
        pool = gst_vknn_image_pool_new(filter->device);
    }
    GstStructure *config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, size, min, max);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config)) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("The Vulkan device cannot make %s storage images for the output",
                           gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&filter->out_info))),
                          ("vkstyletransfer writes Vulkan images with a compute shader; "
                           "negotiate another format (e.g. format=RGBA)"));
        gst_object_unref(pool);
        return FALSE;
    }
    config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_get_params(config, NULL, &size, &min, &max);
    gst_structure_free(config);
    if (update)
        gst_query_set_nth_allocation_pool(query, 0, pool, size, min, max);
    else
        gst_query_add_allocation_pool(query, pool, size, min, max);
    gst_object_unref(pool);
    return TRUE;
}

static gboolean gst_vk_style_transfer_decide_allocation(GstBaseTransform *bt, GstQuery *query)
{
    GstCaps *caps = NULL;

    gst_query_parse_allocation(query, &caps, NULL);
    if (!caps)
        return FALSE;
    /* GstVulkanVideoFilter would force a Vulkan image pool even for system
     * memory: use GstBaseTransform's default there. */
    if (!gst_vk_style_transfer_caps_are_vulkan(caps))
        return base_transform_class->decide_allocation(bt, query);
    return gst_vk_style_transfer_decide_vulkan_allocation(GST_VK_STYLE_TRANSFER(bt), query, caps);
}

/* Whether the device can make the storage images our pool allocates for
 * BGRA: when it cannot, transform_caps stops offering BGRA Vulkan images, so
 * negotiation picks RGBA instead of failing at allocation. */
static gboolean gst_vk_style_transfer_bgra_writable(GstVulkanDevice *device)
{
    GstVideoInfo info;

    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGRA, 16, 16);
    GstMemory *probe = gst_vulkan_image_memory_alloc(
        device, gst_vulkan_format_from_video_info(&info, 0), 16, 16, VK_IMAGE_TILING_OPTIMAL,
        GST_VKNN_IMAGE_POOL_USAGE, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (!probe)
        return FALSE;
    gst_memory_unref(probe);
    return TRUE;
}

/* ---- processing ---------------------------------------------------------- */

static VknnImage gst_vk_style_transfer_image(GstVulkanImageMemory *mem, GstVulkanImageView *view)
{
    return (VknnImage){
        .image = mem->image,
        .view = view->view,
        .format = mem->create_info.format,
        .layout = mem->barrier.image_layout,
        .stages = mem->barrier.parent.pipeline_stages,
        .access = mem->barrier.parent.access_flags,
    };
}

/* Publishes the state libvknn left the image in to the next GStreamer user
 * (vulkandownload, a sink), which builds its barrier from these fields. */
static void gst_vk_style_transfer_image_done(GstVulkanImageMemory *mem, const VknnImage *img)
{
    mem->barrier.image_layout = img->layout;
    mem->barrier.parent.pipeline_stages = img->stages;
    mem->barrier.parent.access_flags = img->access;
}

static GstVulkanImageMemory *gst_vk_style_transfer_image_memory(GstVulkanVideoFilter *filter,
                                                                GstBuffer *buf,
                                                                VkImageUsageFlags usage,
                                                                GError **err)
{
    GstMemory *mem = gst_buffer_n_memory(buf) == 1 ? gst_buffer_peek_memory(buf, 0) : NULL;
    if (!mem || !gst_is_vulkan_image_memory(mem)) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "buffer is not a single Vulkan image");
        return NULL;
    }
    GstVulkanImageMemory *img = (GstVulkanImageMemory *)mem;
    if (img->device != filter->device) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "Vulkan image from another device than the element's");
        return NULL;
    }
    /* GStreamer 1.22's vulkanupload keeps its first image pool when the size
     * changes: never let the shaders address pixels outside the image. */
    if (gst_vulkan_image_memory_get_width(img) < (guint)GST_VIDEO_INFO_WIDTH(&filter->in_info) ||
        gst_vulkan_image_memory_get_height(img) < (guint)GST_VIDEO_INFO_HEIGHT(&filter->in_info)) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "Vulkan image is %ux%u, smaller than the %dx%d frame of the caps (an "
                    "upstream element did not follow a size change)",
                    gst_vulkan_image_memory_get_width(img), gst_vulkan_image_memory_get_height(img),
                    GST_VIDEO_INFO_WIDTH(&filter->in_info),
                    GST_VIDEO_INFO_HEIGHT(&filter->in_info));
        return NULL;
    }
    if ((img->usage & usage) != usage) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "Vulkan image lacks usage 0x%x (has 0x%x)", usage, img->usage);
        return NULL;
    }
    return img;
}

static gboolean gst_vk_style_transfer_process_images(GstVkStyleTransfer *self, GstBuffer *inbuf,
                                                     GstBuffer *outbuf, GError **err)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);
    GstVulkanImageMemory *in_mem, *out_mem;

    if (!(in_mem =
              gst_vk_style_transfer_image_memory(filter, inbuf, VK_IMAGE_USAGE_SAMPLED_BIT, err)) ||
        !(out_mem =
              gst_vk_style_transfer_image_memory(filter, outbuf, VK_IMAGE_USAGE_STORAGE_BIT, err)))
        return FALSE;
    GstVulkanImageView *in_view = gst_vulkan_get_or_create_image_view(in_mem);
    GstVulkanImageView *out_view = gst_vulkan_get_or_create_image_view(out_mem);
    gboolean ok = in_view && out_view;
    if (!ok) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "no Vulkan image view");
    } else {
        VknnImage in = gst_vk_style_transfer_image(in_mem, in_view);
        VknnImage out = gst_vk_style_transfer_image(out_mem, out_view);
        ok = vknn_styler_process_images(self->engine->styler, &in, &out, err);
        if (ok) {
            gst_vk_style_transfer_image_done(in_mem, &in);
            gst_vk_style_transfer_image_done(out_mem, &out);
        }
    }
    if (in_view)
        gst_vulkan_image_view_unref(in_view);
    if (out_view)
        gst_vulkan_image_view_unref(out_view);
    return ok;
}

static gboolean gst_vk_style_transfer_process_bytes(GstVkStyleTransfer *self, GstBuffer *inbuf,
                                                    GstBuffer *outbuf, GError **err)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);
    GstVideoFrame in, out;

    if (!gst_video_frame_map(&in, &filter->in_info, inbuf, GST_MAP_READ)) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "cannot map the input frame");
        return FALSE;
    }
    if (!gst_video_frame_map(&out, &filter->out_info, outbuf, GST_MAP_WRITE)) {
        gst_video_frame_unmap(&in);
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "cannot map the output frame");
        return FALSE;
    }
    const gboolean ok = vknn_styler_process_bytes(
        self->engine->styler, self->pixel_format, GST_VIDEO_FRAME_PLANE_DATA(&in, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE(&in, 0), GST_VIDEO_FRAME_PLANE_DATA(&out, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE(&out, 0), err);
    gst_video_frame_unmap(&out);
    gst_video_frame_unmap(&in);
    return ok;
}

/* The styler checks what it can write; BGRA images were already left out of
 * negotiation when the pool could not allocate them. */
static GstFlowReturn gst_vk_style_transfer_check_output(GstVkStyleTransfer *self)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);

    if (self->engine_checked || !self->vulkan_memory)
        return GST_FLOW_OK;
    GstVideoInfo info = filter->out_info;
    const VkFormat format = gst_vulkan_format_from_video_info(&info, 0);
    if (!vknn_styler_supports_output_format(self->engine->styler, format)) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("The Vulkan device cannot write %s images from compute shaders",
                           gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info))),
                          ("VkFormat %d has no storage support for libvknn on this device; "
                           "negotiate format=RGBA in memory:VulkanImage, or use system memory",
                           format));
        return GST_FLOW_NOT_NEGOTIATED;
    }
    self->engine_checked = TRUE;
    return GST_FLOW_OK;
}

/* Controllers first, then this frame's parameters under the object lock. */
static void gst_vk_style_transfer_sync(GstVkStyleTransfer *self, GstBuffer *inbuf,
                                       VknnStyleParams *params)
{
    GstBaseTransform *bt = GST_BASE_TRANSFORM(self);
    const GstClockTime stream_time =
        gst_segment_to_stream_time(&bt->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(inbuf));

    if (GST_CLOCK_TIME_IS_VALID(stream_time))
        gst_object_sync_values(GST_OBJECT(self), stream_time);
    gst_vk_style_transfer_get_params(self, params);
}

/* A new size, scale or model changes the processing time: tell the pipeline
 * to query the latency again once it has settled (the first frame also
 * records commands and compiles pipelines). */
static void gst_vk_style_transfer_track_latency(GstVkStyleTransfer *self, gint width, gint height,
                                                const VknnStyleParams *params)
{
    if (width != self->last_width || height != self->last_height ||
        params->scale != self->last_scale)
        self->latency_countdown = LATENCY_FRAMES;
    self->last_width = width;
    self->last_height = height;
    self->last_scale = params->scale;
}

static void gst_vk_style_transfer_frame_done(GstVkStyleTransfer *self)
{
    const double ms = vknn_styler_last_frame_ms(self->engine->styler);

    GST_OBJECT_LOCK(self);
    self->frame_time = (GstClockTime)ceil(ms) * GST_MSECOND;
    self->frames++;
    GST_OBJECT_UNLOCK(self);
    GST_LOG_OBJECT(self, "frame in %.2f ms", ms);
    if (self->latency_countdown > 0 && --self->latency_countdown == 0) {
        gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
    }
}

static GstFlowReturn gst_vk_style_transfer_transform(GstBaseTransform *bt, GstBuffer *inbuf,
                                                     GstBuffer *outbuf)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(bt);
    const gint width = GST_VIDEO_INFO_WIDTH(&filter->in_info);
    const gint height = GST_VIDEO_INFO_HEIGHT(&filter->in_info);
    VknnStyleParams params;
    GError *err = NULL;
    GstFlowReturn ret;

    gst_vk_style_transfer_sync(self, inbuf, &params);
    if ((ret = gst_vk_style_transfer_ensure_engine(self)) != GST_FLOW_OK ||
        (ret = gst_vk_style_transfer_check_output(self)) != GST_FLOW_OK)
        return ret;
    gst_vk_style_transfer_track_latency(self, width, height, &params);

    /* Cheap when nothing changed; replans on a new size or scale. */
    if (!vknn_styler_prepare(self->engine->styler, width, height, &params, &err)) {
        GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                          ("Could not prepare style model %s for %dx%d frames", self->engine->path,
                           width, height),
                          ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    const gboolean ok = self->vulkan_memory
                            ? gst_vk_style_transfer_process_images(self, inbuf, outbuf, &err)
                            : gst_vk_style_transfer_process_bytes(self, inbuf, outbuf, &err);
    if (!ok) {
        GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Style transfer failed"), ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    gst_vk_style_transfer_frame_done(self);
    return GST_FLOW_OK;
}

/* ---- queries, events, states --------------------------------------------- */

/* Live pipelines: the frame leaves processing-time later than it came in. */
static gboolean gst_vk_style_transfer_query(GstBaseTransform *bt, GstPadDirection direction,
                                            GstQuery *query)
{
    gboolean live;
    GstClockTime min, max;

    if (!GST_BASE_TRANSFORM_CLASS(parent_class)->query(bt, direction, query))
        return FALSE;
    if (direction != GST_PAD_SRC || GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
        return TRUE;
    gst_query_parse_latency(query, &live, &min, &max);
    if (live) {
        GST_OBJECT_LOCK(bt);
        const GstClockTime frame_time = GST_VK_STYLE_TRANSFER(bt)->frame_time;
        GST_OBJECT_UNLOCK(bt);
        min += frame_time;
        if (GST_CLOCK_TIME_IS_VALID(max))
            max += frame_time;
        GST_DEBUG_OBJECT(bt, "latency: adding %" GST_TIME_FORMAT, GST_TIME_ARGS(frame_time));
        gst_query_set_latency(query, live, min, max);
    }
    return TRUE;
}

static gboolean gst_vk_style_transfer_sink_event(GstBaseTransform *bt, GstEvent *event)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);

    /* A seek must not wait for a model load in transform. */
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_START)
        gst_vk_style_transfer_set_flushing(self, TRUE);
    else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
        gst_vk_style_transfer_set_flushing(self, FALSE);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(bt, event);
}

static gboolean gst_vk_style_transfer_start(GstBaseTransform *bt)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);

    g_mutex_lock(&self->load_lock);
    const gboolean have_model = self->model_path != NULL;
    self->load_failed = FALSE;
    g_mutex_unlock(&self->load_lock);
    if (!have_model) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No style model given"),
                          ("Set the 'model' property to a style network (ONNX file)"));
        return FALSE;
    }
    gst_vk_style_transfer_set_flushing(self, FALSE);
    if (!GST_BASE_TRANSFORM_CLASS(parent_class)->start(bt))
        return FALSE;
    g_atomic_int_set(&self->bgra_unwritable,
                     !gst_vk_style_transfer_bgra_writable(GST_VULKAN_VIDEO_FILTER(bt)->device));
    GST_OBJECT_LOCK(self);
    self->frame_time = 0;
    GST_OBJECT_UNLOCK(self);
    self->last_width = self->last_height = 0;
    return TRUE;
}

/* Drops pending loads, waits for the running one and frees every engine
 * before GstVulkanVideoFilter releases the device. */
static gboolean gst_vk_style_transfer_stop(GstBaseTransform *bt)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(bt);

    g_mutex_lock(&self->load_lock);
    self->request++; /* queued loads become stale */
    self->flushing = TRUE;
    while (self->n_loading > 0)
        g_cond_wait(&self->load_cond, &self->load_lock);
    GstVkStyleEngine *ready = self->ready;
    self->ready = NULL;
    self->have_engine = FALSE;
    gst_clear_object(&self->load_queue);
    g_mutex_unlock(&self->load_lock);

    gst_vk_style_engine_free(ready);
    g_clear_pointer(&self->engine, gst_vk_style_engine_free);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->stop(bt);
}

static GstStateChangeReturn gst_vk_style_transfer_change_state(GstElement *element,
                                                               GstStateChange transition)
{
    /* Wake a transform waiting for a model before the pads deactivate (which
     * takes the stream lock that transform holds). */
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
        gst_vk_style_transfer_set_flushing(GST_VK_STYLE_TRANSFER(element), TRUE);
    return GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vk_style_transfer_finalize(GObject *object)
{
    GstVkStyleTransfer *self = GST_VK_STYLE_TRANSFER(object);

    /* stop() drained it; waits anyway. */
    g_thread_pool_free(self->loader, FALSE, TRUE);
    gst_vk_style_engine_free(self->ready);
    gst_vk_style_engine_free(self->engine);
    gst_clear_object(&self->load_queue);
    g_free(self->model_path);
    g_mutex_clear(&self->load_lock);
    g_cond_clear(&self->load_cond);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vk_style_transfer_init(GstVkStyleTransfer *self)
{
    self->strength = DEFAULT_PROP_STRENGTH;
    self->preserve_colors = DEFAULT_PROP_PRESERVE_COLORS;
    self->scale = DEFAULT_PROP_SCALE;
    self->model_path = g_strdup(DEFAULT_PROP_MODEL);
    g_mutex_init(&self->load_lock);
    g_cond_init(&self->load_cond);
    /* Shared (non-exclusive) pool threads, one task at a time. */
    self->loader = g_thread_pool_new(gst_vk_style_transfer_load, self, 1, FALSE, NULL);
    gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_vk_style_transfer_install_properties(GObjectClass *gobject_class)
{
    const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

    g_object_class_install_property(
        gobject_class, PROP_MODEL,
        g_param_spec_string(
            "model", "Model",
            "Style network to apply: an ONNX file (see docs/model-contract.md). "
            "Required (no default). Changing it while playing loads the new model in the "
            "background; the current one runs until it is ready",
            DEFAULT_PROP_MODEL, flags | GST_PARAM_MUTABLE_PLAYING));
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
        gobject_class, PROP_STATS,
        g_param_spec_boxed("stats", "Statistics",
                           "frames (processed), frame-time (ns, the last frame's processing "
                           "time), device-buffers (Vulkan buffers libvknn holds in this process)",
                           GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void gst_vk_style_transfer_class_init(GstVkStyleTransferClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);

    base_transform_class = g_type_class_peek(GST_TYPE_BASE_TRANSFORM);

    gobject_class->set_property = gst_vk_style_transfer_set_property;
    gobject_class->get_property = gst_vk_style_transfer_get_property;
    gobject_class->finalize = gst_vk_style_transfer_finalize;
    gst_vk_style_transfer_install_properties(gobject_class);

    gst_element_class_set_static_metadata(
        element_class, "Vulkan style transfer", "Filter/Effect/Video/Hardware",
        "Stylises video with a feed-forward style network in Vulkan compute shaders (libvknn)",
        "vknn developers");
    gst_element_class_add_static_pad_template(element_class, &gst_vk_style_transfer_sink_template);
    gst_element_class_add_static_pad_template(element_class, &gst_vk_style_transfer_src_template);
    element_class->change_state = gst_vk_style_transfer_change_state;

    bt_class->start = gst_vk_style_transfer_start;
    bt_class->stop = gst_vk_style_transfer_stop;
    bt_class->transform_caps = gst_vk_style_transfer_transform_caps;
    bt_class->fixate_caps = gst_vk_style_transfer_fixate_caps;
    bt_class->set_caps = gst_vk_style_transfer_set_caps;
    bt_class->propose_allocation = gst_vk_style_transfer_propose_allocation;
    bt_class->decide_allocation = gst_vk_style_transfer_decide_allocation;
    bt_class->query = gst_vk_style_transfer_query;
    bt_class->sink_event = gst_vk_style_transfer_sink_event;
    bt_class->transform = gst_vk_style_transfer_transform;
}
