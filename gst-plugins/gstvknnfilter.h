/* vknn GStreamer plugin — GstVknnFilter: the abstract base of the vknn
 * elements (vkstyletransfer, vksaliency, vkactivationmap).
 *
 * A GstVulkanVideoFilter that runs a libvknn model on each frame and writes a
 * frame of the same caps. It does what every element shares:
 *
 * - caps: RGBA/BGRA in memory:VulkanImage (BGRA left out when the device
 *   cannot make BGRA storage images) and RGBA/BGRA/RGBx/BGRx in system
 *   memory, output caps = input caps;
 * - allocation: Vulkan output images from the element's own pool of storage
 *   images (gstvknnimagepool.h), GstBaseTransform's default in system memory,
 *   GstVideoMeta accepted from upstream;
 * - the model: the `model` path loads on a loader thread (gstvknnloader.h)
 *   into a GstVknnEngine with its own libvknn context adopting the element's
 *   GstVulkanDevice and queue (libvknn submits under the queue's lock); the
 *   streaming thread swaps a newer engine in at its next frame and the first
 *   frame waits for the first engine. Load failures are an element error when
 *   nothing runs yet (RESOURCE/NOT_FOUND, RESOURCE/READ, LIBRARY/INIT), a
 *   warning when another engine runs, which keeps running;
 * - per frame: controller sync, both frames mapped for libvknn
 *   (GstVknnFrames), the subclass's process(), statistics;
 * - QoS on, and the processing time of the last frame added to the latency in
 *   live pipelines (a latency message after changes);
 * - `max-memory`: the device memory budget of each engine's context, set
 *   before the subclass plans; a network over it is a RESOURCE/NO_SPACE_LEFT
 *   error naming the estimate and the budget (a warning while another
 *   engine runs).
 *
 * Subclasses implement build_engine (loader thread), process (streaming
 * thread) and optionally supports_output_format, install their own `model`
 * property (forwarding to gst_vknn_filter_set_model / _dup_model) and read
 * their other properties under the object lock.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/vulkan/vulkan.h>
#include <vknn/vknn.h>

#include "gstvknnengine.h" /* GstVknnEngine, GstVknnLoadResult */
#include "gstvknnframes.h" /* GstVknnFrames */

G_BEGIN_DECLS

#define GST_TYPE_VKNN_FILTER (gst_vknn_filter_get_type())
G_DECLARE_DERIVABLE_TYPE(GstVknnFilter, gst_vknn_filter, GST, VKNN_FILTER, GstVulkanVideoFilter)

struct _GstVknnFilterClass {
    GstVulkanVideoFilterClass parent_class;

    /* What the model is, in messages: "style model", "classifier". */
    const gchar *model_kind;
    /* Debug detail of the error when `model` is not set at start. */
    const gchar *model_hint;

    /* Loader thread, optional: the model for a `model` path on the engine's
     * context (NULL: vknn_model_load). */
    VknnModel *(*load_model)(GstVknnFilter *self, const gchar *path, VknnContext *ctx,
                             GError **err);
    /* Optional: what a model path names, for messages: returns its kind
     * ("style image") and points *file at the file (default: model_kind
     * and the path itself). */
    const gchar *(*describe_source)(GstVknnFilter *self, const gchar *path, const gchar **file);
    /* Loader thread: puts the subclass's objects for engine->model on
     * engine->ctx into engine->data / free_data, ready for width x height
     * frames when known (> 0). Reads the properties it needs itself. */
    GstVknnLoadResult (*build_engine)(GstVknnFilter *self, GstVknnEngine *engine, gint width,
                                      gint height, GError **err);
    /* Whether engine writes Vulkan images of format (checked once per engine
     * on memory:VulkanImage caps; NULL: any). */
    gboolean (*supports_output_format)(GstVknnFilter *self, GstVknnEngine *engine, VkFormat format);
    /* Streaming thread: one frame, after controller sync. Posts its own
     * element errors. */
    GstFlowReturn (*process)(GstVknnFilter *self, GstVknnEngine *engine, GstVknnFrames *frames,
                             GstBuffer *inbuf);
};

/* The `model` property: setting it while a device is known queues a load. */
void gst_vknn_filter_set_model(GstVknnFilter *self, const gchar *path);
gchar *gst_vknn_filter_dup_model(GstVknnFilter *self);
/* Refuses a property value, which keeps its previous one: a LIBRARY
 * SETTINGS warning on the bus (when the element has none yet, as under
 * gst-launch, which sets properties before building the pipeline, at its
 * NULL -> READY change) and in the log. */
void gst_vknn_filter_refuse_setting(GstVknnFilter *self, const gchar *format, ...)
    G_GNUC_PRINTF(2, 3);
/* The mean and std properties of the classifier elements: a GstValueArray
 * of 3 finite numbers (R, G, B), > 0 when `positive`. set copies value into
 * dest under the object lock, or refuses it (gst_vknn_filter_refuse_setting,
 * the old value stays) and returns FALSE; get fills value from v, each
 * float shown as the number it was set from (0.485, not 0.48500001). */
gboolean gst_vknn_filter_set_rgb(GstVknnFilter *self, GParamSpec *pspec, const GValue *value,
                                 float dest[3], gboolean positive);
void gst_vknn_filter_get_rgb(GValue *value, const float v[3]);
/* Queues a load of the current model, for properties that build_engine
 * reads (the running engine keeps going until the new one is ready). */
void gst_vknn_filter_reload(GstVknnFilter *self);

/* Streaming thread: the processing time of the frame, for the latency (ms;
 * rounded up to the millisecond), and a change that alters it (a latency
 * message follows after a few frames). */
void gst_vknn_filter_set_frame_time(GstVknnFilter *self, double ms);
void gst_vknn_filter_latency_changed(GstVknnFilter *self);

G_END_DECLS
