/* vknn GStreamer plugin — GstVknnLoader: loads models in the background.
 *
 * A model takes from milliseconds to seconds to load and plan, and the
 * `model` property may change while frames flow: loading on the streaming
 * thread would stall the pipeline. The loader builds results on one shared
 * GThreadPool thread, one request at a time, and hands the newest to the
 * consumer (the streaming thread) when it asks:
 *
 * - a request records the path, the target (where results are built: the
 *   element's GstVulkanQueue) and the frame size; it carries a generation
 *   number, unique for the loader's lifetime, and a newer request supersedes
 *   the older ones (queued ones are skipped, a running one is dropped when
 *   done);
 * - nothing loads without a path and a target: the device is known only
 *   after negotiation;
 * - a failed load is reported through a callback on the loader thread before
 *   any waiting consumer wakes; with nothing running, the path goes back to
 *   the last one that loaded (a new load of it is queued); fatal when there
 *   is none.
 *
 * The loader knows nothing of Vulkan or elements: the build, report and
 * free callbacks do the work, so it can be tested without a pipeline.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
    GST_VKNN_LOAD_OK,
    GST_VKNN_LOAD_MODEL_FAILED,    /* the file: missing, unreadable, not the right kind of model */
    GST_VKNN_LOAD_DEVICE_FAILED,   /* libvknn on the device: context, planning */
    GST_VKNN_LOAD_SETTINGS_FAILED, /* the element's properties do not fit the model */
} GstVknnLoadResult;

/* One load, as the loader thread sees it (valid during the callback). */
typedef struct {
    const gchar *path;
    GstObject *target;
    gint width, height; /* the frame size when known (> 0) */
    guint generation;
} GstVknnLoadRequest;

/* Loader thread: the result of req, or NULL with *result and err set. */
typedef gpointer (*GstVknnLoaderBuildFunc)(const GstVknnLoadRequest *req, GstVknnLoadResult *result,
                                           GError **err, gpointer user_data);
/* Loader thread: a failed load of the latest request; fatal when no result
 * runs or waits to be taken and no earlier path loaded (the consumer will
 * have nothing to run). */
typedef void (*GstVknnLoaderReportFunc)(const GstVknnLoadRequest *req, GstVknnLoadResult result,
                                        const GError *err, gboolean fatal, gpointer user_data);

/* Why gst_vknn_loader_take() returned nothing. */
typedef enum {
    GST_VKNN_LOADER_NONE,     /* no newer result (and, when waiting, no load pending) */
    GST_VKNN_LOADER_FLUSHING, /* flushing: the wait was cut short */
    GST_VKNN_LOADER_FAILED,   /* the load failed with nothing running; it was reported */
} GstVknnLoaderStatus;

typedef struct _GstVknnLoader GstVknnLoader;

GstVknnLoader *gst_vknn_loader_new(GstVknnLoaderBuildFunc build, GstVknnLoaderReportFunc report,
                                   GDestroyNotify free_result, gpointer user_data);
/* Skips queued loads, waits for the running one and frees the result
 * waiting to be taken (the consumer frees those it took). */
void gst_vknn_loader_free(GstVknnLoader *loader);

/* What to load: a new path queues a load when a target is set; NULL keeps
 * whatever runs. */
void gst_vknn_loader_set_path(GstVknnLoader *loader, const gchar *path);
gchar *gst_vknn_loader_dup_path(GstVknnLoader *loader);
/* Makes path the path again, without loading it, if the path is still
 * `refused` (nothing set since): for a load that failed while path ran. */
void gst_vknn_loader_restore_path(GstVknnLoader *loader, const gchar *refused, const gchar *path);
/* Queues a load of the current path (for settings the build reads). */
void gst_vknn_loader_reload(GstVknnLoader *loader);
/* The frame size the next loads build for. */
void gst_vknn_loader_set_size(GstVknnLoader *loader, gint width, gint height);
/* Where loads build: results for another target are useless, so this drops
 * the result waiting to be taken, forgets that the consumer runs one, and
 * queues a load of the current path. */
void gst_vknn_loader_set_target(GstVknnLoader *loader, GstObject *target);
/* The target (a ref), or NULL before set_target and after cancel. */
GstObject *gst_vknn_loader_ref_target(GstVknnLoader *loader);

/* Consumer: the newest result, which it then owns, or NULL (*status says
 * why). With wait, it first waits for the pending loads unless flushing:
 * for a consumer that has nothing to run yet. */
gpointer gst_vknn_loader_take(GstVknnLoader *loader, gboolean wait, GstVknnLoaderStatus *status);
/* Wakes (and keeps from waiting) a consumer in take. */
void gst_vknn_loader_set_flushing(GstVknnLoader *loader, gboolean flushing);
/* Supersedes every request, waits for the running load and frees the
 * result waiting to be taken; the target is unset and flushing set. The
 * consumer frees the result it runs. */
void gst_vknn_loader_cancel(GstVknnLoader *loader);

G_END_DECLS
