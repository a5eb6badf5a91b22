/* vknn GStreamer plugin — GstVknnEngine, a model on the element's device. */
#include "gstvknnengine.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static void gst_vknn_engine_queue_lock(gboolean lock, void *user_data)
{
    GstVulkanQueue *queue = user_data;

    if (lock)
        gst_vulkan_queue_submit_lock(queue);
    else
        gst_vulkan_queue_submit_unlock(queue);
}

GstVknnEngine *gst_vknn_engine_new(GstVulkanQueue *queue, const gchar *path, guint generation,
                                   GstVknnModelLoadFunc load, gpointer load_data,
                                   GstVknnLoadResult *result, GError **err)
{
    GstVulkanDevice *device = queue->device;
    GstVknnEngine *e = g_new0(GstVknnEngine, 1);

    e->queue = gst_object_ref(queue);
    e->path = g_strdup(path);
    e->generation = generation;
    *result = GST_VKNN_LOAD_DEVICE_FAILED;
    e->ctx =
        vknn_context_new_from_handles(device->instance->instance, device->physical_device->device,
                                      device->device, queue->queue, queue->family, err);
    if (!e->ctx)
        goto fail;
    vknn_context_set_queue_lock(e->ctx, gst_vknn_engine_queue_lock, queue);
    *result = GST_VKNN_LOAD_MODEL_FAILED;
    e->model = load ? load(path, e->ctx, load_data, err) : vknn_model_load(path, err);
    if (!e->model)
        goto fail;
    *result = GST_VKNN_LOAD_OK;
    return e;
fail:
    gst_vknn_engine_free(e);
    return NULL;
}

void gst_vknn_engine_free(GstVknnEngine *e)
{
    if (!e)
        return;
    /* Every frame waited for its own work, and libvknn never idles an
     * adopted device, so nothing here blocks other users of the queue. */
    if (e->free_data && e->data)
        e->free_data(e->data);
    vknn_context_free(e->ctx);
    vknn_model_free(e->model);
    gst_object_unref(e->queue);
    g_free(e->path);
    g_free(e);
    /* An engine's tensors are large host allocations on lavapipe (and its
     * staging buffers on any driver). glibc keeps freed heap memory in its
     * arenas and, after large frees, raises its mmap threshold so that later
     * large allocations come from those arenas too: with engines rebuilt at
     * every setting change, the process's RSS grew by up to 18 MB a minute
     * in bench/soak.sh with no leak (flat under MALLOC_ARENA_MAX=1 and a
     * fixed mmap threshold). Giving the free pages back here, at the rare
     * moment an engine goes, keeps RSS at what is live. */
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}
