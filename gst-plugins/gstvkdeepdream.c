/* vknn GStreamer plugin — vkdeepdream.
 *
 * A GstVknnFilter (gstvknnfilter.h: caps, allocation, model loading on a
 * loader thread, latency): its engines hold a VknnDreamStream for the
 * `layer`. The dream's settings are read under the object lock at every
 * frame; a new layer builds a new engine in the background.
 */

/**
 * SECTION:element-vkdeepdream
 * @title: vkdeepdream
 * @see_also: vkstyletransfer, vulkanupload, vulkandownload
 *
 * DeepDream (google/deepdream) on live video: each frame is changed by
 * gradient ascent on the squared activations of #GstVkDeepDream:layer of an
 * ONNX network (forward and backward passes in Vulkan compute shaders
 * through libvknn), over #GstVkDeepDream:octaves scales of the frame,
 * #GstVkDeepDream:iterations steps an octave. With
 * #GstVkDeepDream:temporal flow (default) each frame starts from the camera
 * frame blended with the previous dream (#GstVkDeepDream:feedback), warped
 * along the optical flow between the camera frames, so the dream grows over
 * the frames and moves with the scene instead of starting again each frame.
 *
 * Frames in system memory (RGBA, BGRA, RGBx, BGRx) and in Vulkan images
 * (RGBA, BGRA) are both taken; the dream's image update runs on the host
 * between the device's passes in either case. All properties may change
 * while playing and apply at the next frame (`model` and `layer` once their
 * engine is built in the background).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! videoscale ! video/x-raw,width=320,height=240 !
 * vkdeepdream model=squeezenet1_1.onnx layer=/features/features.7/Concat_output_0 !
 * videoconvert ! autovideosink
 * ]| A webcam, dreamed in system memory.
 * |[
 * gst-launch-1.0 videotestsrc pattern=ball ! video/x-raw,width=160,height=120 ! vulkanupload !
 * vkdeepdream model=squeezenet1_1.onnx layer=/features/features.7/Concat_output_0 !
 * vulkandownload ! videoconvert ! autovideosink
 * ]| Vulkan images in and out.
 */
#include "gstvkdeepdream.h"

#include <math.h>
#include <string.h>
#include <vknn/visualize.h>

GST_DEBUG_CATEGORY_STATIC(gst_vk_deep_dream_debug);
#define GST_CAT_DEFAULT gst_vk_deep_dream_debug

#define DEFAULT_PROP_OCTAVES 2
#define MAX_OCTAVES 8
#define DEFAULT_PROP_OCTAVE_SCALE 1.4
#define DEFAULT_PROP_ITERATIONS 2
#define MAX_ITERATIONS 100
#define DEFAULT_PROP_STEP (1.5 / 255)
#define DEFAULT_PROP_JITTER 8
#define MAX_JITTER 256
#define DEFAULT_PROP_TEMPORAL VKNN_DREAM_FEED_FLOW
#define DEFAULT_PROP_FEEDBACK 0.8

enum {
    PROP_0,
    PROP_MODEL,
    PROP_LAYER,
    PROP_OCTAVES,
    PROP_OCTAVE_SCALE,
    PROP_ITERATIONS,
    PROP_STEP,
    PROP_JITTER,
    PROP_TEMPORAL,
    PROP_FEEDBACK,
    PROP_MEAN,
    PROP_STD,
};

#define GST_TYPE_VK_DEEP_DREAM_TEMPORAL (gst_vk_deep_dream_temporal_get_type())
static GType gst_vk_deep_dream_temporal_get_type(void)
{
    static gsize type = 0;
    static const GEnumValue values[] = {
        {VKNN_DREAM_FEED_NONE, "Each frame dreams from the camera frame alone (flickers)", "none"},
        {VKNN_DREAM_FEED_BLEND,
         "Each frame starts from the camera frame blended with the previous dream", "blend"},
        {VKNN_DREAM_FEED_FLOW,
         "The previous dream, warped along the optical flow, blended in where the flow is "
         "trusted",
         "flow"},
        {0, NULL, NULL},
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstVkDeepDreamTemporal", values));
    return type;
}

struct _GstVkDeepDream {
    GstVknnFilter parent;

    /* Properties, under the object lock (layer, mean and std are the
     * engine's). */
    gchar *layer;
    gfloat mean[3], std[3];
    VknnLiveDreamParams params;

    /* A flush, seek or discontinuity: the next frame has no history.
     * Atomic (set from the event, read in the streaming thread). */
    gint forget_history;
};

#define gst_vk_deep_dream_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVkDeepDream, gst_vk_deep_dream, GST_TYPE_VKNN_FILTER,
                        GST_DEBUG_CATEGORY_INIT(gst_vk_deep_dream_debug, "vkdeepdream", 0,
                                                "Vulkan DeepDream"));
GST_ELEMENT_REGISTER_DEFINE(vkdeepdream, "vkdeepdream", GST_RANK_NONE, GST_TYPE_VK_DEEP_DREAM);

/* ---- properties ---------------------------------------------------------- */

static void gst_vk_deep_dream_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec)
{
    GstVkDeepDream *self = GST_VK_DEEP_DREAM(object);
    VknnLiveDreamParams *p = &self->params;

    switch (prop_id) {
    case PROP_MODEL:
        gst_vknn_filter_set_model(GST_VKNN_FILTER(self), g_value_get_string(value));
        return;
    case PROP_MEAN:
        if (gst_vknn_filter_set_rgb(GST_VKNN_FILTER(self), pspec, value, self->mean, FALSE))
            gst_vknn_filter_reload(GST_VKNN_FILTER(self));
        return;
    case PROP_STD:
        if (gst_vknn_filter_set_rgb(GST_VKNN_FILTER(self), pspec, value, self->std, TRUE))
            gst_vknn_filter_reload(GST_VKNN_FILTER(self));
        return;
    default:
        break;
    }
    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_LAYER:
        g_free(self->layer);
        self->layer = g_value_dup_string(value);
        GST_OBJECT_UNLOCK(self);
        /* The layer is the engine's: build one for it in the background. */
        gst_vknn_filter_reload(GST_VKNN_FILTER(self));
        return;
    case PROP_OCTAVES:
        p->dream.octaves = g_value_get_int(value);
        break;
    case PROP_OCTAVE_SCALE:
        p->dream.octave_scale = (float)g_value_get_double(value);
        break;
    case PROP_ITERATIONS:
        p->dream.iterations = g_value_get_int(value);
        break;
    case PROP_STEP:
        p->dream.step = (float)g_value_get_double(value);
        break;
    case PROP_JITTER:
        p->dream.jitter = g_value_get_int(value);
        break;
    case PROP_TEMPORAL:
        p->feed = g_value_get_enum(value);
        break;
    case PROP_FEEDBACK:
        p->feedback = (float)g_value_get_double(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_vk_deep_dream_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec)
{
    GstVkDeepDream *self = GST_VK_DEEP_DREAM(object);
    const VknnLiveDreamParams *p = &self->params;

    if (prop_id == PROP_MODEL) {
        g_value_take_string(value, gst_vknn_filter_dup_model(GST_VKNN_FILTER(self)));
        return;
    }
    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_LAYER:
        g_value_set_string(value, self->layer);
        break;
    case PROP_OCTAVES:
        g_value_set_int(value, p->dream.octaves);
        break;
    case PROP_OCTAVE_SCALE:
        g_value_set_double(value, p->dream.octave_scale);
        break;
    case PROP_ITERATIONS:
        g_value_set_int(value, p->dream.iterations);
        break;
    case PROP_STEP:
        g_value_set_double(value, p->dream.step);
        break;
    case PROP_JITTER:
        g_value_set_int(value, p->dream.jitter);
        break;
    case PROP_TEMPORAL:
        g_value_set_enum(value, p->feed);
        break;
    case PROP_FEEDBACK:
        g_value_set_double(value, p->feedback);
        break;
    case PROP_MEAN:
        gst_vknn_filter_get_rgb(value, self->mean);
        break;
    case PROP_STD:
        gst_vknn_filter_get_rgb(value, self->std);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
    GST_OBJECT_UNLOCK(self);
}

/* ---- engines (loader thread) ----------------------------------------------- */

static GstVknnLoadResult gst_vk_deep_dream_build_engine(GstVknnFilter *filter,
                                                        GstVknnEngine *engine, gint width,
                                                        gint height, GError **err)
{
    GstVkDeepDream *self = GST_VK_DEEP_DREAM(filter);
    VknnFrameInputParams input = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    GST_OBJECT_LOCK(self);
    g_autofree gchar *layer = g_strdup(self->layer);
    memcpy(input.mean, self->mean, sizeof input.mean);
    memcpy(input.std, self->std, sizeof input.std);
    GST_OBJECT_UNLOCK(self);
    if (!layer) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND,
                    "no layer: set the 'layer' property to a tensor of the model (vknn info "
                    "lists them)");
        return GST_VKNN_LOAD_MODEL_FAILED;
    }
    VknnDreamStream *stream = vknn_dream_stream_new(engine->ctx, engine->model, &input, layer, err);
    if (!stream)
        return GST_VKNN_LOAD_MODEL_FAILED;
    engine->data = stream;
    engine->free_data = (GDestroyNotify)vknn_dream_stream_free;
    return GST_VKNN_LOAD_OK;
}

/* ---- processing (streaming thread) ------------------------------------------ */

static GstFlowReturn gst_vk_deep_dream_process(GstVknnFilter *filter, GstVknnEngine *engine,
                                               GstVknnFrames *frames, GstBuffer *inbuf)
{
    GstVkDeepDream *self = GST_VK_DEEP_DREAM(filter);
    VknnDreamStream *stream = engine->data;
    GError *err = NULL;

    GST_OBJECT_LOCK(self);
    const VknnLiveDreamParams params = self->params;
    GST_OBJECT_UNLOCK(self);
    if (g_atomic_int_compare_and_exchange(&self->forget_history, TRUE, FALSE) ||
        GST_BUFFER_IS_DISCONT(inbuf))
        vknn_dream_stream_reset(stream);
    const gboolean ok =
        frames->vulkan
            ? vknn_dream_stream_frame_images(stream, &params, frames->width, frames->height,
                                             &frames->in_image, &frames->out_image, &err)
            : vknn_dream_stream_frame_bytes(
                  stream, &params, frames->format, frames->width, frames->height,
                  GST_VKNN_FRAMES_IN_DATA(frames), GST_VKNN_FRAMES_IN_STRIDE(frames),
                  GST_VKNN_FRAMES_OUT_DATA(frames), GST_VKNN_FRAMES_OUT_STRIDE(frames), &err);
    if (!ok) {
        GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("DeepDream failed on model %s", engine->path),
                          ("%s", err->message));
        g_clear_error(&err);
        return GST_FLOW_ERROR;
    }
    gst_vknn_filter_set_frame_time(filter, vknn_dream_stream_last_frame_ms(stream));
    return GST_FLOW_OK;
}

static gboolean gst_vk_deep_dream_start(GstBaseTransform *bt)
{
    g_atomic_int_set(&GST_VK_DEEP_DREAM(bt)->forget_history, TRUE);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->start(bt);
}

/* After a flush (a seek) or a new segment the next frame does not follow
 * the last one: the dream starts again from it. */
static gboolean gst_vk_deep_dream_sink_event(GstBaseTransform *bt, GstEvent *event)
{
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP || GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT)
        g_atomic_int_set(&GST_VK_DEEP_DREAM(bt)->forget_history, TRUE);
    return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(bt, event);
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vk_deep_dream_init(GstVkDeepDream *self)
{
    const VknnFrameInputParams imagenet = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    memcpy(self->mean, imagenet.mean, sizeof self->mean);
    memcpy(self->std, imagenet.std, sizeof self->std);
    self->params = (VknnLiveDreamParams){
        .dream = {.octaves = DEFAULT_PROP_OCTAVES,
                  .octave_scale = DEFAULT_PROP_OCTAVE_SCALE,
                  .iterations = DEFAULT_PROP_ITERATIONS,
                  .step = DEFAULT_PROP_STEP,
                  .jitter = DEFAULT_PROP_JITTER,
                  .seed = 1},
        .feed = DEFAULT_PROP_TEMPORAL,
        .feedback = DEFAULT_PROP_FEEDBACK,
    };
}

static GParamSpec *gst_vk_deep_dream_triple_spec(const gchar *name, const gchar *nick,
                                                 const gchar *blurb)
{
    return gst_param_spec_array(
        name, nick, blurb,
        g_param_spec_double("value", "Value", "One channel's value", -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
}

static void gst_vk_deep_dream_install_properties(GObjectClass *gobject_class)
{
    const GParamFlags flags =
        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;
    const GParamFlags controllable = flags | GST_PARAM_CONTROLLABLE;

    g_object_class_install_property(
        gobject_class, PROP_MODEL,
        g_param_spec_string("model", "Model",
                            "The network to dream with: an ONNX file taking [1,3,H,W] RGB "
                            "images normalised with mean and std (an image classifier such as "
                            "SqueezeNet). Changing it while playing loads the "
                            "new model in the background",
                            NULL, flags));
    g_object_class_install_property(
        gobject_class, PROP_LAYER,
        g_param_spec_string("layer", "Layer",
                            "The tensor whose squared activations the dream amplifies (vknn info "
                            "lists a model's tensors); required. Changing it builds a new engine "
                            "in the background",
                            NULL, flags));
    g_object_class_install_property(
        gobject_class, PROP_OCTAVES,
        g_param_spec_int("octaves", "Octaves",
                         "Scales of the frame dreamed on, the smallest first (each octave-scale "
                         "times smaller than the next)",
                         1, MAX_OCTAVES, DEFAULT_PROP_OCTAVES, flags));
    g_object_class_install_property(gobject_class, PROP_OCTAVE_SCALE,
                                    g_param_spec_double("octave-scale", "Octave scale",
                                                        "Size ratio between octaves", 1.0, 4.0,
                                                        DEFAULT_PROP_OCTAVE_SCALE, controllable));
    g_object_class_install_property(
        gobject_class, PROP_ITERATIONS,
        g_param_spec_int("iterations", "Iterations",
                         "Gradient ascent steps per octave and frame (0: no dreaming; the "
                         "frame passes with the feedback only)",
                         0, MAX_ITERATIONS, DEFAULT_PROP_ITERATIONS, controllable));
    g_object_class_install_property(
        gobject_class, PROP_STEP,
        g_param_spec_double("step", "Step",
                            "Step size in pixel units (0..1) of x += step * g / mean|g| "
                            "(default 1.5/255)",
                            0.0, 1.0, DEFAULT_PROP_STEP, controllable));
    g_object_class_install_property(
        gobject_class, PROP_JITTER,
        g_param_spec_int("jitter", "Jitter",
                         "Each step rolls the frame by up to +-jitter pixels (capped at half "
                         "the octave's size), which keeps grid artefacts out",
                         0, MAX_JITTER, DEFAULT_PROP_JITTER, controllable));
    g_object_class_install_property(
        gobject_class, PROP_TEMPORAL,
        g_param_spec_enum("temporal", "Temporal feedback",
                          "flow: each frame starts from the camera frame blended with the "
                          "previous dream warped along the optical flow (on the device, as "
                          "vkstyletransfer's temporal=flow), where the flow is trusted, so the "
                          "dream grows over the frames and moves with the scene; blend: the "
                          "same without the warp (moving things leave ghosts); none: each "
                          "frame dreams afresh. Restarts at seeks, discontinuities, size and "
                          "model changes",
                          GST_TYPE_VK_DEEP_DREAM_TEMPORAL, DEFAULT_PROP_TEMPORAL, flags));
    g_object_class_install_property(
        gobject_class, PROP_FEEDBACK,
        g_param_spec_double(
            "feedback", "Feedback",
            "temporal=flow or blend: weight of the previous dream in the start of the "
            "next frame (0 = camera only, 1 = the camera is ignored)",
            0.0, 1.0, DEFAULT_PROP_FEEDBACK, controllable));
    g_object_class_install_property(
        gobject_class, PROP_MEAN,
        gst_vk_deep_dream_triple_spec(
            "mean", "Mean",
            "Network input = (RGB / 255 - mean) / std: the mean per channel, \"<R, G, B>\" "
            "(default ImageNet's <0.485, 0.456, 0.406>). Changing it builds a new engine"));
    g_object_class_install_property(
        gobject_class, PROP_STD,
        gst_vk_deep_dream_triple_spec(
            "std", "Standard deviation",
            "Network input = (RGB / 255 - mean) / std: the standard deviation per channel, "
            "\"<R, G, B>\", each > 0 (default ImageNet's <0.229, 0.224, 0.225>). Changing it "
            "builds a new engine"));
}

static void gst_vk_deep_dream_finalize(GObject *object)
{
    g_free(GST_VK_DEEP_DREAM(object)->layer);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vk_deep_dream_class_init(GstVkDeepDreamClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS(klass);
    GstVknnFilterClass *filter_class = GST_VKNN_FILTER_CLASS(klass);

    gobject_class->set_property = gst_vk_deep_dream_set_property;
    gobject_class->get_property = gst_vk_deep_dream_get_property;
    gobject_class->finalize = gst_vk_deep_dream_finalize;
    gst_vk_deep_dream_install_properties(gobject_class);

    gst_element_class_set_static_metadata(
        element_class, "Vulkan DeepDream", "Filter/Effect/Video/Hardware",
        "Dreams on video: gradient ascent on a layer's activations of an ONNX network, the "
        "passes in Vulkan compute shaders (libvknn), the previous dream fed forward",
        "vknn developers");

    bt_class->start = gst_vk_deep_dream_start;
    bt_class->sink_event = gst_vk_deep_dream_sink_event;

    filter_class->model_kind = "dream model";
    filter_class->model_hint =
        "Set the 'model' property to an ONNX network (an image classifier) and 'layer' to one "
        "of its tensors";
    filter_class->build_engine = gst_vk_deep_dream_build_engine;
    filter_class->process = gst_vk_deep_dream_process;

    gst_type_mark_as_plugin_api(GST_TYPE_VK_DEEP_DREAM_TEMPORAL, 0);
}
