/* vknn GStreamer plugin — GstVknnEngine: a model loaded on the element's
 * Vulkan device.
 *
 * libvknn objects are single-threaded, so every engine has its own
 * VknnContext: built on the loader thread (gstvknnloader.h), then owned by
 * the streaming thread. The context adopts the GstVulkanDevice and queue
 * that GStreamer's Vulkan elements share and submits under the queue's
 * lock, so the engine's work interleaves safely with theirs.
 */
#pragma once

#include <gst/gst.h>
#include <gst/vulkan/vulkan.h>
#include <vknn/vknn.h>

#include "gstvknnloader.h" /* GstVknnLoadResult */

G_BEGIN_DECLS

typedef struct {
    GstVulkanQueue *queue; /* ref: the queue lock's data; keeps the device alive */
    VknnContext *ctx;      /* adopts the GstVulkanDevice, submits under the queue lock */
    VknnModel *model;
    gchar *path;
    guint generation;         /* the load request that built it: unique per element */
    gpointer data;            /* the subclass's objects on ctx (a styler, an explainer) */
    GDestroyNotify free_data; /* frees data, before ctx and model */
} GstVknnEngine;

/* Makes the model a path names, on the engine's context ctx (for models
 * made by running networks); NULL with err set on failure. */
typedef VknnModel *(*GstVknnModelLoadFunc)(const gchar *path, VknnContext *ctx, gpointer user_data,
                                           GError **err);

/* Opens a context on queue and loads the model at path into it, by `load`
 * (vknn_model_load when NULL); the caller adds data. NULL with *result
 * (MODEL_FAILED, DEVICE_FAILED) and err set on failure. */
GstVknnEngine *gst_vknn_engine_new(GstVulkanQueue *queue, const gchar *path, guint generation,
                                   GstVknnModelLoadFunc load, gpointer load_data,
                                   GstVknnLoadResult *result, GError **err);
void gst_vknn_engine_free(GstVknnEngine *engine);

G_END_DECLS
