/* vknn GStreamer plugin — GstVknnFilter, the base of the vknn elements.
 *
 * Threads: the streaming thread owns the running engine (a VknnContext, the
 * VknnModel and the subclass's objects: libvknn objects are
 * single-threaded). Models load on a loader thread (GstVknnLoader,
 * gstvknnloader.h) that builds a complete engine with its own context on the
 * same Vulkan device; the streaming thread swaps the newest in at its next
 * frame and frees the old one.
 */
#include "gstvknnfilter.h"
#include "gstvknnimagepool.h"
#include "gstvknnloader.h"

#include <math.h>

GST_DEBUG_CATEGORY_STATIC(gst_vknn_filter_debug);
#define GST_CAT_DEFAULT gst_vknn_filter_debug

/* Frames after a change before the processing time is reported as latency. */
#define LATENCY_FRAMES 2

enum {
    PROP_0,
    PROP_STATS,
    PROP_MAX_MEMORY,
};

#define CAPS_STR                                                                                   \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_CAPS_FEATURE_MEMORY_VULKAN_IMAGE, "{ RGBA, BGRA }")      \
    "; " GST_VIDEO_CAPS_MAKE("{ RGBA, BGRA, RGBx, BGRx }")

static GstStaticPadTemplate gst_vknn_filter_sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(CAPS_STR));
static GstStaticPadTemplate gst_vknn_filter_src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(CAPS_STR));

typedef struct {
    /* Under the object lock. */
    GstClockTime frame_time; /* processing time of the last frame, for latency */
    guint64 frames;          /* processed, for the stats property */
    guint64 max_memory;      /* device memory budget of an engine (bytes; 0: the device's) */

    /* Model loading: the `model` path, the engines built in the background. */
    GstVknnLoader *loader;
    /* Under the object lock: the path of the running model, and a path
     * whose load failed while it ran (`model` reads back the running one). */
    gchar *running_path;
    gchar *refused_path;
    /* Under the object lock: refused property values not yet on a bus
     * (gchar*): gst-launch sets properties before the element has one. */
    GPtrArray *pending_warnings;

    /* Streaming thread only. */
    GstVknnEngine *engine;
    gboolean vulkan_memory;  /* memory:VulkanImage caps */
    gboolean engine_checked; /* output format checked against the running engine */
    gint latency_countdown;  /* frames until a latency message is due (0: none) */
    gint last_width, last_height;

    /* Set once at start() from the device; read by transform_caps. */
    gint bgra_unwritable;

    /* The Vulkan instance, device and queue of the last start(), kept from
     * stop() to READY -> NULL (state changes only). */
    GstVulkanInstance *kept_instance;
    GstVulkanDevice *kept_device;
    GstVulkanQueue *kept_queue;
} GstVknnFilterPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE(GstVknnFilter, gst_vknn_filter, GST_TYPE_VULKAN_VIDEO_FILTER,
                                 G_ADD_PRIVATE(GstVknnFilter);
                                 GST_DEBUG_CATEGORY_INIT(gst_vknn_filter_debug, "vknnfilter", 0,
                                                         "vknn elements: models on frames"));
#define parent_class gst_vknn_filter_parent_class
#define PRIV(self) ((GstVknnFilterPrivate *)gst_vknn_filter_get_instance_private(self))

/* GstBaseTransform's own vfuncs, for the cases where GstVulkanVideoFilter's
 * do not fit (system memory allocation). */
static GstBaseTransformClass *base_transform_class;

/* ---- model loading --------------------------------------------------------- */

static VknnModel *gst_vknn_filter_load_model(const gchar *path, VknnContext *ctx,
                                             gpointer user_data, GError **err)
{
    GstVknnFilter *self = user_data;
    return GST_VKNN_FILTER_GET_CLASS(self)->load_model(self, path, ctx, err);
}

/* The loader's build, on the loader thread: an engine for the model at
 * req->path on req->target (the element's GstVulkanQueue), with the
 * subclass's objects. */
static gpointer gst_vknn_filter_build_engine(const GstVknnLoadRequest *req,
                                             GstVknnLoadResult *result, GError **err,
                                             gpointer user_data)
{
    GstVknnFilter *self = user_data;

    GST_INFO_OBJECT(self, "loading %s (%dx%d)", req->path, req->width, req->height);
    GstVknnEngine *e = gst_vknn_engine_new(
        GST_VULKAN_QUEUE(req->target), req->path, req->generation,
        GST_VKNN_FILTER_GET_CLASS(self)->load_model ? gst_vknn_filter_load_model : NULL, self,
        result, err);
    if (!e)
        return NULL;
    /* Before the subclass plans anything: libvknn checks every plan against
     * the budget before allocating it. */
    GST_OBJECT_LOCK(self);
    vknn_context_set_memory_budget(e->ctx, PRIV(self)->max_memory);
    GST_OBJECT_UNLOCK(self);
    *result = GST_VKNN_FILTER_GET_CLASS(self)->build_engine(self, e, req->width, req->height, err);
    if (*result == GST_VKNN_LOAD_OK)
        return e;
    gst_vknn_engine_free(e);
    return NULL;
}

void gst_vknn_filter_set_model(GstVknnFilter *self, const gchar *path)
{
    if (path && !*path) {
        gst_vknn_filter_refuse_setting(self, "model: empty; %s",
                                       GST_VKNN_FILTER_GET_CLASS(self)->model_hint);
        return;
    }
    /* Before set_caps the device is unknown: set_caps loads it. Unsetting
     * the model while playing keeps the running one. */
    gst_vknn_loader_set_path(PRIV(self)->loader, path);
}

/* The requested path, unless its load failed while another model ran: then
 * the one in effect. */
gchar *gst_vknn_filter_dup_model(GstVknnFilter *self)
{
    GstVknnFilterPrivate *priv = PRIV(self);
    gchar *path = gst_vknn_loader_dup_path(priv->loader);

    GST_OBJECT_LOCK(self);
    if (path && priv->running_path && !g_strcmp0(path, priv->refused_path)) {
        g_free(path);
        path = g_strdup(priv->running_path);
    }
    GST_OBJECT_UNLOCK(self);
    return path;
}

/* Posts a refused setting as a warning; FALSE when the element has no bus
 * yet. */
static gboolean gst_vknn_filter_post_refusal(GstVknnFilter *self, const gchar *text)
{
    GError *err = g_error_new_literal(GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS, text);
    GstMessage *msg = gst_message_new_warning(GST_OBJECT(self), err, NULL);
    g_error_free(err);
    return gst_element_post_message(GST_ELEMENT(self), msg);
}

void gst_vknn_filter_refuse_setting(GstVknnFilter *self, const gchar *format, ...)
{
    va_list args;
    va_start(args, format);
    gchar *text = g_strdup_vprintf(format, args);
    va_end(args);

    GST_WARNING_OBJECT(self, "%s", text);
    if (gst_vknn_filter_post_refusal(self, text)) {
        g_free(text);
        return;
    }
    GST_OBJECT_LOCK(self);
    g_ptr_array_add(PRIV(self)->pending_warnings, text);
    GST_OBJECT_UNLOCK(self);
}

/* The refusals made before the element had a bus, now that it has one. */
static void gst_vknn_filter_post_pending_refusals(GstVknnFilter *self)
{
    GST_OBJECT_LOCK(self);
    GPtrArray *pending = PRIV(self)->pending_warnings;
    PRIV(self)->pending_warnings = g_ptr_array_new_with_free_func(g_free);
    GST_OBJECT_UNLOCK(self);
    for (guint i = 0; i < pending->len; i++)
        gst_vknn_filter_post_refusal(self, g_ptr_array_index(pending, i));
    g_ptr_array_unref(pending);
}

void gst_vknn_filter_reload(GstVknnFilter *self)
{
    gst_vknn_loader_reload(PRIV(self)->loader);
}

/* The loader's report. While another model runs a failed load is a warning:
 * the stream goes on with the old model. With none, nothing can be
 * processed: an error. */
static void gst_vknn_filter_post_load_error(const GstVknnLoadRequest *req, GstVknnLoadResult result,
                                            const GError *err, gboolean fatal, gpointer user_data)
{
    GstVknnFilter *self = user_data;
    GstVknnFilterClass *klass = GST_VKNN_FILTER_GET_CLASS(self);
    const gchar *path = req->path;
    /* What the path names, for the messages: "style model candy.onnx". */
    const gchar *kind = klass->model_kind, *file = path;
    if (klass->describe_source)
        kind = klass->describe_source(self, path, &file);

    if (!fatal) {
        GST_OBJECT_LOCK(self);
        g_free(PRIV(self)->refused_path);
        PRIV(self)->refused_path = g_strdup(path);
        g_autofree gchar *running = g_strdup(PRIV(self)->running_path);
        GST_OBJECT_UNLOCK(self);
        /* The refused model is not asked for again: the next engine (a
         * setting that rebuilds it, a restart from READY) loads the running
         * one, rather than failing on the refused file (fatally at a
         * restart, when nothing runs). */
        if (running && result != GST_VKNN_LOAD_SETTINGS_FAILED)
            gst_vknn_loader_restore_path(PRIV(self)->loader, path, running);
    }

    /* The network does not fit the device at this size or budget: the
     * message names the estimate and the budget, so it goes in the text. */
    if (g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT) && fatal)
        GST_ELEMENT_ERROR(
            self, RESOURCE, NO_SPACE_LEFT,
            ("Could not run %s %s within the device's limits: %s", kind, file, err->message),
            ("max-memory, when set, lowers the budget below the device's"));
    else if (g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT))
        GST_ELEMENT_WARNING(self, RESOURCE, NO_SPACE_LEFT,
                            ("Could not run %s %s within the device's limits: %s; keeping the "
                             "current engine",
                             kind, file, err->message),
                            (NULL));
    else if (result == GST_VKNN_LOAD_SETTINGS_FAILED && fatal)
        GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                          ("Could not use %s %s with these settings", kind, file),
                          ("%s", err->message));
    else if (result == GST_VKNN_LOAD_SETTINGS_FAILED)
        GST_ELEMENT_WARNING(
            self, LIBRARY, SETTINGS,
            ("Could not use %s %s with these settings; keeping the current engine", kind, file),
            ("%s", err->message));
    else if (result == GST_VKNN_LOAD_DEVICE_FAILED && fatal)
        GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Could not run %s %s on the device", kind, file),
                          ("%s", err->message));
    else if (result == GST_VKNN_LOAD_DEVICE_FAILED)
        GST_ELEMENT_WARNING(
            self, LIBRARY, INIT,
            ("Could not run %s %s on the device; keeping the current one", kind, file),
            ("%s", err->message));
    else if (!g_file_test(file, G_FILE_TEST_IS_REGULAR) && fatal)
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Could not load %s %s", kind, file),
                          ("%s", err->message));
    else if (fatal)
        GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not load %s %s", kind, file),
                          ("%s", err->message));
    else
        GST_ELEMENT_WARNING(self, RESOURCE, READ,
                            ("Could not load %s %s; keeping the current one", kind, file),
                            ("%s", err->message));
}

/* Makes priv->engine the newest loaded model; the first frame waits for it. */
static GstFlowReturn gst_vknn_filter_ensure_engine(GstVknnFilter *self)
{
    GstVknnFilterPrivate *priv = PRIV(self);
    GstVknnLoaderStatus status;

    GstVknnEngine *fresh = gst_vknn_loader_take(priv->loader, !priv->engine, &status);
    if (fresh) {
        GST_INFO_OBJECT(self, "running model %s", fresh->path);
        GST_OBJECT_LOCK(self);
        g_free(priv->running_path);
        priv->running_path = g_strdup(fresh->path);
        GST_OBJECT_UNLOCK(self);
        gst_vknn_engine_free(priv->engine);
        priv->engine = fresh;
        priv->engine_checked = FALSE;
        priv->latency_countdown = LATENCY_FRAMES;
    }
    if (priv->engine)
        return GST_FLOW_OK;
    if (status == GST_VKNN_LOADER_FLUSHING)
        return GST_FLOW_FLUSHING;
    if (status != GST_VKNN_LOADER_FAILED) /* otherwise the loader posted the error */
        GST_ELEMENT_ERROR(self, CORE, FAILED,
                          ("No %s loaded", GST_VKNN_FILTER_GET_CLASS(self)->model_kind), (NULL));
    return GST_FLOW_ERROR;
}

/* ---- negotiation --------------------------------------------------------- */

static gboolean gst_vknn_filter_caps_are_vulkan(GstCaps *caps)
{
    GstCapsFeatures *features = gst_caps_get_features(caps, 0);
    return features && gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_VULKAN_IMAGE);
}

/* Removes format from the memory:VulkanImage structures of caps. */
static GstCaps *gst_vknn_filter_drop_vulkan_format(GstCaps *caps, const gchar *format)
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

static GstCaps *gst_vknn_filter_transform_caps(GstBaseTransform *bt, GstPadDirection direction,
                                               GstCaps *caps, GstCaps *filter)
{
    GstVknnFilter *self = GST_VKNN_FILTER(bt);
    /* GstVulkanVideoFilter: the same caps on the other side. */
    GstCaps *res =
        GST_BASE_TRANSFORM_CLASS(parent_class)->transform_caps(bt, direction, caps, filter);
    if (g_atomic_int_get(&PRIV(self)->bgra_unwritable))
        res = gst_vknn_filter_drop_vulkan_format(res, "BGRA");
    return res;
}

/* Output = input: prefer exactly the input caps when downstream allows. */
static GstCaps *gst_vknn_filter_fixate_caps(GstBaseTransform *bt, GstPadDirection direction,
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

/* Called for the first caps and for every renegotiation (a new frame size
 * is the subclass's business at the next frame). A new device needs a new
 * engine: libvknn contexts are bound to one. */
static gboolean gst_vknn_filter_set_caps(GstBaseTransform *bt, GstCaps *incaps, GstCaps *outcaps)
{
    GstVknnFilter *self = GST_VKNN_FILTER(bt);
    GstVknnFilterPrivate *priv = PRIV(self);
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(bt);

    if (!GST_BASE_TRANSFORM_CLASS(parent_class)->set_caps(bt, incaps, outcaps))
        return FALSE;
    priv->vulkan_memory = gst_vknn_filter_caps_are_vulkan(incaps);

    gst_vknn_loader_set_size(priv->loader, GST_VIDEO_INFO_WIDTH(&filter->in_info),
                             GST_VIDEO_INFO_HEIGHT(&filter->in_info));
    GstVulkanQueue *queue = (GstVulkanQueue *)gst_vknn_loader_ref_target(priv->loader);
    const gboolean new_device = !queue || queue->device != filter->device;
    gst_clear_object(&queue);
    if (new_device) {
        gst_vknn_loader_set_target(priv->loader, GST_OBJECT(filter->queue));
        g_clear_pointer(&priv->engine, gst_vknn_engine_free);
    }
    GST_DEBUG_OBJECT(self, "caps %" GST_PTR_FORMAT "%s", incaps,
                     new_device ? " (new device: loading the model)" : "");
    return TRUE;
}

/* GstVulkanVideoFilter proposes nothing (and fails the query). Both paths
 * take any upstream buffer, strided ones included: say so. */
static gboolean gst_vknn_filter_propose_allocation(GstBaseTransform *bt, GstQuery *decide_query,
                                                   GstQuery *query)
{
    if (!base_transform_class->propose_allocation(bt, decide_query, query))
        return FALSE;
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    return TRUE;
}

/* Vulkan images: our own pool, since a compute shader writes the output
 * image and GStreamer 1.22's image pool has no storage usage. */
static gboolean gst_vknn_filter_decide_vulkan_allocation(GstVknnFilter *self, GstQuery *query,
                                                         GstCaps *caps)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);

    if (gst_vknn_image_pool_decide_allocation(filter->device, query, caps))
        return TRUE;
    GstElementFactory *factory = gst_element_get_factory(GST_ELEMENT(self));
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("The Vulkan device cannot make %s storage images for the output",
                       gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&filter->out_info))),
                      ("%s writes Vulkan images with a compute shader; "
                       "negotiate another format (e.g. format=RGBA)",
                       factory ? GST_OBJECT_NAME(factory) : G_OBJECT_TYPE_NAME(self)));
    return FALSE;
}

static gboolean gst_vknn_filter_decide_allocation(GstBaseTransform *bt, GstQuery *query)
{
    GstCaps *caps = NULL;

    gst_query_parse_allocation(query, &caps, NULL);
    if (!caps)
        return FALSE;
    /* GstVulkanVideoFilter would force a Vulkan image pool even for system
     * memory: use GstBaseTransform's default there. */
    if (!gst_vknn_filter_caps_are_vulkan(caps))
        return base_transform_class->decide_allocation(bt, query);
    return gst_vknn_filter_decide_vulkan_allocation(GST_VKNN_FILTER(bt), query, caps);
}

/* ---- processing ---------------------------------------------------------- */

/* The subclass checks what its engine can write; BGRA images were already
 * left out of negotiation when the pool could not allocate them. */
static GstFlowReturn gst_vknn_filter_check_output(GstVknnFilter *self)
{
    GstVknnFilterPrivate *priv = PRIV(self);
    GstVknnFilterClass *klass = GST_VKNN_FILTER_GET_CLASS(self);
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);

    if (priv->engine_checked || !priv->vulkan_memory || !klass->supports_output_format)
        return GST_FLOW_OK;
    GstVideoInfo info = filter->out_info;
    const VkFormat format = gst_vulkan_format_from_video_info(&info, 0);
    if (!klass->supports_output_format(self, priv->engine, format)) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("The Vulkan device cannot write %s images from compute shaders",
                           gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info))),
                          ("VkFormat %d has no storage support for libvknn on this device; "
                           "negotiate format=RGBA in memory:VulkanImage, or use system memory",
                           format));
        return GST_FLOW_NOT_NEGOTIATED;
    }
    priv->engine_checked = TRUE;
    return GST_FLOW_OK;
}

void gst_vknn_filter_set_frame_time(GstVknnFilter *self, double ms)
{
    GST_OBJECT_LOCK(self);
    PRIV(self)->frame_time = (GstClockTime)ceil(ms) * GST_MSECOND;
    GST_OBJECT_UNLOCK(self);
    GST_LOG_OBJECT(self, "frame in %.2f ms", ms);
}

void gst_vknn_filter_latency_changed(GstVknnFilter *self)
{
    PRIV(self)->latency_countdown = LATENCY_FRAMES;
}

/* A new size or model changes the processing time: tell the pipeline to
 * query the latency again once it has settled (the first frame also records
 * commands and compiles pipelines). */
static void gst_vknn_filter_track_size(GstVknnFilter *self, gint width, gint height)
{
    GstVknnFilterPrivate *priv = PRIV(self);

    if (width != priv->last_width || height != priv->last_height)
        priv->latency_countdown = LATENCY_FRAMES;
    priv->last_width = width;
    priv->last_height = height;
}

static void gst_vknn_filter_frame_done(GstVknnFilter *self)
{
    GstVknnFilterPrivate *priv = PRIV(self);

    GST_OBJECT_LOCK(self);
    priv->frames++;
    GST_OBJECT_UNLOCK(self);
    if (priv->latency_countdown > 0 && --priv->latency_countdown == 0)
        gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
}

/* A frame that failed before our submission was waited for leaves the
 * upstream copy into its image (vulkanupload's) unwaited: nothing of ours
 * follows it on the queue. The error then tears the pipeline down, and
 * lavapipe ran that copy on freed memory (a crash in its queue thread, one
 * run in three of gst_faults_style_vulkan). Wait for the queue before the
 * buffers go. */
static void gst_vknn_filter_drain_queue(GstVknnFilter *self)
{
    GstVulkanQueue *queue = GST_VULKAN_VIDEO_FILTER(self)->queue;

    if (!queue)
        return;
    gst_vulkan_queue_submit_lock(queue);
    const VkResult res = vkQueueWaitIdle(queue->queue);
    gst_vulkan_queue_submit_unlock(queue);
    if (res != VK_SUCCESS)
        GST_WARNING_OBJECT(self, "vkQueueWaitIdle: %s", vknn_result_str(res));
}

static GstFlowReturn gst_vknn_filter_process_frame(GstVknnFilter *self, GstBuffer *inbuf,
                                                   GstBuffer *outbuf);

static GstFlowReturn gst_vknn_filter_transform(GstBaseTransform *bt, GstBuffer *inbuf,
                                               GstBuffer *outbuf)
{
    GstVknnFilter *self = GST_VKNN_FILTER(bt);
    const GstFlowReturn ret = gst_vknn_filter_process_frame(self, inbuf, outbuf);

    if (ret != GST_FLOW_OK && PRIV(self)->vulkan_memory)
        gst_vknn_filter_drain_queue(self);
    return ret;
}

static GstFlowReturn gst_vknn_filter_process_frame(GstVknnFilter *self, GstBuffer *inbuf,
                                                   GstBuffer *outbuf)
{
    GstBaseTransform *bt = GST_BASE_TRANSFORM(self);
    GstVknnFilterPrivate *priv = PRIV(self);
    GstVknnFrames frames;
    GError *err = NULL;
    GstFlowReturn ret;

    /* Controllers first: the subclass reads the properties. */
    const GstClockTime stream_time =
        gst_segment_to_stream_time(&bt->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(inbuf));
    if (GST_CLOCK_TIME_IS_VALID(stream_time))
        gst_object_sync_values(GST_OBJECT(self), stream_time);

    if ((ret = gst_vknn_filter_ensure_engine(self)) != GST_FLOW_OK ||
        (ret = gst_vknn_filter_check_output(self)) != GST_FLOW_OK)
        return ret;
    if (!gst_vknn_frames_map(&frames, GST_VULKAN_VIDEO_FILTER(bt), priv->vulkan_memory, inbuf,
                             outbuf, &err)) {
        GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not access the video frames"),
                          ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    gst_vknn_filter_track_size(self, frames.width, frames.height);
    ret = GST_VKNN_FILTER_GET_CLASS(self)->process(self, priv->engine, &frames, inbuf);
    gst_vknn_frames_unmap(&frames, ret == GST_FLOW_OK);
    if (ret == GST_FLOW_OK)
        gst_vknn_filter_frame_done(self);
    return ret;
}

/* ---- queries, events, states --------------------------------------------- */

/* Live pipelines: the frame leaves processing-time later than it came in. */
static gboolean gst_vknn_filter_query(GstBaseTransform *bt, GstPadDirection direction,
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
        const GstClockTime frame_time = PRIV(GST_VKNN_FILTER(bt))->frame_time;
        GST_OBJECT_UNLOCK(bt);
        min += frame_time;
        if (GST_CLOCK_TIME_IS_VALID(max))
            max += frame_time;
        GST_DEBUG_OBJECT(bt, "latency: adding %" GST_TIME_FORMAT, GST_TIME_ARGS(frame_time));
        gst_query_set_latency(query, live, min, max);
    }
    return TRUE;
}

static gboolean gst_vknn_filter_sink_event(GstBaseTransform *bt, GstEvent *event)
{
    GstVknnFilter *self = GST_VKNN_FILTER(bt);

    /* A seek must not wait for a model load in transform. */
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_START)
        gst_vknn_loader_set_flushing(PRIV(self)->loader, TRUE);
    else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
        gst_vknn_loader_set_flushing(PRIV(self)->loader, FALSE);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(bt, event);
}

/* GstVulkanVideoFilter drops its device at stop() and finds one again at
 * start() by asking its peers, who started after it the first time and have
 * none to give: it would create a second device, whose images vulkanupload
 * (holding the first until NULL) does not share, so a READY -> PLAYING
 * after an error failed with "Vulkan image from another device". Like
 * vulkanupload, keep the device until NULL: start() takes what the filter
 * already holds. */
static void gst_vknn_filter_keep_device(GstVknnFilter *self)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);
    GstVknnFilterPrivate *priv = PRIV(self);

    gst_object_replace((GstObject **)&priv->kept_instance, GST_OBJECT(filter->instance));
    gst_object_replace((GstObject **)&priv->kept_device, GST_OBJECT(filter->device));
    gst_object_replace((GstObject **)&priv->kept_queue, GST_OBJECT(filter->queue));
}

static void gst_vknn_filter_reuse_device(GstVknnFilter *self)
{
    GstVulkanVideoFilter *filter = GST_VULKAN_VIDEO_FILTER(self);
    GstVknnFilterPrivate *priv = PRIV(self);

    if (!priv->kept_device || filter->device)
        return;
    gst_object_replace((GstObject **)&filter->instance, GST_OBJECT(priv->kept_instance));
    gst_object_replace((GstObject **)&filter->device, GST_OBJECT(priv->kept_device));
    gst_object_replace((GstObject **)&filter->queue, GST_OBJECT(priv->kept_queue));
}

static void gst_vknn_filter_release_device(GstVknnFilter *self)
{
    GstVknnFilterPrivate *priv = PRIV(self);

    gst_clear_object(&priv->kept_queue);
    gst_clear_object(&priv->kept_device);
    gst_clear_object(&priv->kept_instance);
}

static gboolean gst_vknn_filter_start(GstBaseTransform *bt)
{
    GstVknnFilter *self = GST_VKNN_FILTER(bt);
    GstVknnFilterPrivate *priv = PRIV(self);
    GstVknnFilterClass *klass = GST_VKNN_FILTER_GET_CLASS(self);

    g_autofree gchar *model = gst_vknn_loader_dup_path(priv->loader);
    if (!model) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No %s given", klass->model_kind),
                          ("%s", klass->model_hint));
        return FALSE;
    }
    gst_vknn_loader_set_flushing(priv->loader, FALSE);
    gst_vknn_filter_reuse_device(self);
    if (!GST_BASE_TRANSFORM_CLASS(parent_class)->start(bt))
        return FALSE;
    /* When the device cannot make the storage images our pool allocates for
     * BGRA, transform_caps stops offering BGRA Vulkan images, so negotiation
     * picks RGBA instead of failing at allocation. */
    GstVulkanDevice *device = GST_VULKAN_VIDEO_FILTER(bt)->device;
    g_atomic_int_set(&priv->bgra_unwritable,
                     !gst_vknn_image_pool_can_allocate(device, GST_VIDEO_FORMAT_BGRA));
    GST_OBJECT_LOCK(self);
    priv->frame_time = 0;
    GST_OBJECT_UNLOCK(self);
    priv->last_width = priv->last_height = 0;
    return TRUE;
}

/* Drops pending loads, waits for the running one and frees every engine
 * before GstVulkanVideoFilter releases the device. */
static gboolean gst_vknn_filter_stop(GstBaseTransform *bt)
{
    GstVknnFilter *self = GST_VKNN_FILTER(bt);
    GstVknnFilterPrivate *priv = PRIV(self);

    gst_vknn_loader_cancel(priv->loader);
    g_clear_pointer(&priv->engine, gst_vknn_engine_free);
    gst_vknn_filter_keep_device(self);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->stop(bt);
}

static GstStateChangeReturn gst_vknn_filter_change_state(GstElement *element,
                                                         GstStateChange transition)
{
    /* Wake a transform waiting for a model before the pads deactivate (which
     * takes the stream lock that transform holds). */
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
        gst_vknn_loader_set_flushing(PRIV(GST_VKNN_FILTER(element))->loader, TRUE);
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
        gst_vknn_filter_post_pending_refusals(GST_VKNN_FILTER(element));
    GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
    if (transition == GST_STATE_CHANGE_READY_TO_NULL)
        gst_vknn_filter_release_device(GST_VKNN_FILTER(element));
    return ret;
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vknn_filter_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec)
{
    GstVknnFilter *self = GST_VKNN_FILTER(object);
    GstVknnFilterPrivate *priv = PRIV(self);

    switch (prop_id) {
    case PROP_MAX_MEMORY: {
        GST_OBJECT_LOCK(self);
        const gboolean changed = priv->max_memory != g_value_get_uint64(value);
        priv->max_memory = g_value_get_uint64(value);
        GST_OBJECT_UNLOCK(self);
        /* The budget is the engine's context's: a new engine plans under it. */
        if (changed)
            gst_vknn_filter_reload(self);
        return;
    }
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void gst_vknn_filter_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    GstVknnFilter *self = GST_VKNN_FILTER(object);
    GstVknnFilterPrivate *priv = PRIV(self);

    switch (prop_id) {
    case PROP_STATS: {
        GstElementFactory *factory = gst_element_get_factory(GST_ELEMENT(self));
        g_autofree gchar *name =
            g_strdup_printf("%s-stats", factory ? GST_OBJECT_NAME(factory) : "vknn");
        GST_OBJECT_LOCK(self);
        g_value_take_boxed(value, gst_structure_new(name, "frames", G_TYPE_UINT64, priv->frames,
                                                    "frame-time", G_TYPE_UINT64, priv->frame_time,
                                                    "device-buffers", G_TYPE_INT,
                                                    vknn_live_buffers(), NULL));
        GST_OBJECT_UNLOCK(self);
        return;
    }
    case PROP_MAX_MEMORY:
        GST_OBJECT_LOCK(self);
        g_value_set_uint64(value, priv->max_memory);
        GST_OBJECT_UNLOCK(self);
        return;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void gst_vknn_filter_finalize(GObject *object)
{
    GstVknnFilterPrivate *priv = PRIV(GST_VKNN_FILTER(object));

    /* stop() drained it; waits anyway. */
    gst_vknn_loader_free(priv->loader);
    gst_vknn_engine_free(priv->engine);
    gst_vknn_filter_release_device(GST_VKNN_FILTER(object));
    g_free(priv->running_path);
    g_free(priv->refused_path);
    g_ptr_array_unref(priv->pending_warnings);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vknn_filter_init(GstVknnFilter *self)
{
    GstVknnFilterPrivate *priv = PRIV(self);

    priv->pending_warnings = g_ptr_array_new_with_free_func(g_free);
    priv->loader =
        gst_vknn_loader_new(gst_vknn_filter_build_engine, gst_vknn_filter_post_load_error,
                            (GDestroyNotify)gst_vknn_engine_free, self);
    gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_vknn_filter_class_init(GstVknnFilterClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);

    base_transform_class = g_type_class_peek(GST_TYPE_BASE_TRANSFORM);

    gobject_class->set_property = gst_vknn_filter_set_property;
    gobject_class->get_property = gst_vknn_filter_get_property;
    gobject_class->finalize = gst_vknn_filter_finalize;
    g_object_class_install_property(
        gobject_class, PROP_MAX_MEMORY,
        g_param_spec_uint64(
            "max-memory", "Maximum device memory",
            "Device memory the network may plan for, in bytes (activations, gradients and "
            "weights, estimated before anything is allocated); 0: the device's largest heap, or "
            "VKNN_MAX_MEMORY. It cannot raise the budget above those. Changing it builds a new "
            "engine in the background",
            0, G_MAXUINT64, 0,
            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(
        gobject_class, PROP_STATS,
        g_param_spec_boxed("stats", "Statistics",
                           "frames (processed), frame-time (ns, the last frame's processing "
                           "time), device-buffers (Vulkan buffers libvknn holds in this process)",
                           GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

    gst_element_class_add_static_pad_template(element_class, &gst_vknn_filter_sink_template);
    gst_element_class_add_static_pad_template(element_class, &gst_vknn_filter_src_template);
    element_class->change_state = gst_vknn_filter_change_state;

    bt_class->start = gst_vknn_filter_start;
    bt_class->stop = gst_vknn_filter_stop;
    bt_class->transform_caps = gst_vknn_filter_transform_caps;
    bt_class->fixate_caps = gst_vknn_filter_fixate_caps;
    bt_class->set_caps = gst_vknn_filter_set_caps;
    bt_class->propose_allocation = gst_vknn_filter_propose_allocation;
    bt_class->decide_allocation = gst_vknn_filter_decide_allocation;
    bt_class->query = gst_vknn_filter_query;
    bt_class->sink_event = gst_vknn_filter_sink_event;
    bt_class->transform = gst_vknn_filter_transform;

    klass->model_kind = "model";
    klass->model_hint = "Set the 'model' property to an ONNX file";
}

/* ---- RGB triples ------------------------------------------------------------ */

static gboolean rgb_from_array(const GValue *array, gboolean positive, float out[3])
{
    if (gst_value_array_get_size(array) != 3)
        return FALSE;
    for (guint i = 0; i < 3; i++) {
        GValue d = G_VALUE_INIT;
        g_value_init(&d, G_TYPE_DOUBLE);
        if (!g_value_transform(gst_value_array_get_value(array, i), &d))
            return FALSE;
        out[i] = (float)g_value_get_double(&d);
        if (!isfinite(out[i]) || (positive && !(out[i] > 0.0f)))
            return FALSE;
    }
    return TRUE;
}

gboolean gst_vknn_filter_set_rgb(GstVknnFilter *self, GParamSpec *pspec, const GValue *value,
                                 float dest[3], gboolean positive)
{
    float v[3];
    if (!rgb_from_array(value, positive, v)) {
        g_autofree gchar *str = gst_value_serialize(value);
        gst_vknn_filter_refuse_setting(self,
                                       "%s: need 3 finite numbers%s (R, G, B), got %s; keeping "
                                       "the current value",
                                       g_param_spec_get_name(pspec), positive ? " > 0" : "", str);
        return FALSE;
    }
    GST_OBJECT_LOCK(self);
    memcpy(dest, v, sizeof v);
    GST_OBJECT_UNLOCK(self);
    return TRUE;
}

void gst_vknn_filter_get_rgb(GValue *value, const float v[3])
{
    for (guint i = 0; i < 3; i++) {
        GValue d = G_VALUE_INIT;
        g_value_init(&d, G_TYPE_DOUBLE);
        g_value_set_double(&d, round(v[i] * 1e6) / 1e6);
        gst_value_array_append_and_take_value(value, &d);
    }
}
