/* vknn GStreamer plugin — a buffer pool of storage-capable Vulkan images. */
#include "gstvknnimagepool.h"

#include <gst/video/gstvideometa.h>
#include <gst/video/gstvideopool.h>

GST_DEBUG_CATEGORY_STATIC(gst_vknn_image_pool_debug);
#define GST_CAT_DEFAULT gst_vknn_image_pool_debug

struct _GstVknnImagePool {
    GstBufferPool parent;

    GstVulkanDevice *device;
    GstVideoInfo info; /* from the config's caps */
    VkFormat format;
    gboolean add_video_meta;
};

G_DEFINE_TYPE_WITH_CODE(GstVknnImagePool, gst_vknn_image_pool, GST_TYPE_BUFFER_POOL,
                        GST_DEBUG_CATEGORY_INIT(gst_vknn_image_pool_debug, "vknnimagepool", 0,
                                                "vknn Vulkan storage image pool"));

static const gchar **gst_vknn_image_pool_get_options(GstBufferPool *pool)
{
    static const gchar *options[] = {GST_BUFFER_POOL_OPTION_VIDEO_META, NULL};
    return options;
}

static GstMemory *gst_vknn_image_pool_alloc(GstVulkanDevice *device, VkFormat format, gint width,
                                            gint height)
{
    return gst_vulkan_image_memory_alloc(device, format, width, height, VK_IMAGE_TILING_OPTIMAL,
                                         GST_VKNN_IMAGE_POOL_USAGE,
                                         VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
}

static GstMemory *gst_vknn_image_pool_alloc_image(GstVknnImagePool *self)
{
    return gst_vknn_image_pool_alloc(self->device, self->format, GST_VIDEO_INFO_WIDTH(&self->info),
                                     GST_VIDEO_INFO_HEIGHT(&self->info));
}

static gboolean gst_vknn_image_pool_set_config(GstBufferPool *pool, GstStructure *config)
{
    GstVknnImagePool *self = GST_VKNN_IMAGE_POOL(pool);
    GstCaps *caps = NULL;
    guint size, min, max;

    if (!gst_buffer_pool_config_get_params(config, &caps, &size, &min, &max) || !caps) {
        GST_WARNING_OBJECT(pool, "no caps in config");
        return FALSE;
    }
    if (!gst_video_info_from_caps(&self->info, caps)) {
        GST_WARNING_OBJECT(pool, "invalid caps %" GST_PTR_FORMAT, caps);
        return FALSE;
    }
    self->format = gst_vulkan_format_from_video_info(&self->info, 0);
    if (self->format == VK_FORMAT_UNDEFINED || GST_VIDEO_INFO_N_PLANES(&self->info) != 1) {
        GST_WARNING_OBJECT(pool, "no single-plane Vulkan format for %" GST_PTR_FORMAT, caps);
        return FALSE;
    }
    self->add_video_meta =
        gst_buffer_pool_config_has_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);

    /* A probe image: fails here, at negotiation, when the device cannot make
     * storage images of this format, and gives the memory size, which the
     * base class checks on every release (a mismatch discards the buffer). */
    GstMemory *probe = gst_vknn_image_pool_alloc_image(self);
    if (!probe) {
        GST_WARNING_OBJECT(pool, "the device cannot allocate %s storage images",
                           gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&self->info)));
        return FALSE;
    }
    size = probe->size;
    gst_memory_unref(probe);

    gst_buffer_pool_config_set_params(config, caps, size, min, max);
    return GST_BUFFER_POOL_CLASS(gst_vknn_image_pool_parent_class)->set_config(pool, config);
}

static GstFlowReturn gst_vknn_image_pool_alloc_buffer(GstBufferPool *pool, GstBuffer **buffer,
                                                      GstBufferPoolAcquireParams *params)
{
    GstVknnImagePool *self = GST_VKNN_IMAGE_POOL(pool);
    const GstVideoInfo *info = &self->info;

    GstMemory *mem = gst_vknn_image_pool_alloc_image(self);
    if (!mem) {
        GST_WARNING_OBJECT(pool, "could not allocate a %dx%d storage image of format %d",
                           GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info), self->format);
        return GST_FLOW_ERROR;
    }
    GstBuffer *buf = gst_buffer_new();
    gst_buffer_append_memory(buf, mem);
    if (self->add_video_meta)
        gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(info),
                                       GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info),
                                       GST_VIDEO_INFO_N_PLANES(info), (gsize *)info->offset,
                                       (gint *)info->stride);
    *buffer = buf;
    return GST_FLOW_OK;
}

static void gst_vknn_image_pool_finalize(GObject *object)
{
    GstVknnImagePool *self = GST_VKNN_IMAGE_POOL(object);

    gst_clear_object(&self->device);
    G_OBJECT_CLASS(gst_vknn_image_pool_parent_class)->finalize(object);
}

static void gst_vknn_image_pool_class_init(GstVknnImagePoolClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS(klass);

    gobject_class->finalize = gst_vknn_image_pool_finalize;
    pool_class->get_options = gst_vknn_image_pool_get_options;
    pool_class->set_config = gst_vknn_image_pool_set_config;
    pool_class->alloc_buffer = gst_vknn_image_pool_alloc_buffer;
}

static void gst_vknn_image_pool_init(GstVknnImagePool *self)
{
    gst_video_info_init(&self->info);
}

GstBufferPool *gst_vknn_image_pool_new(GstVulkanDevice *device)
{
    g_return_val_if_fail(GST_IS_VULKAN_DEVICE(device), NULL);

    GstVknnImagePool *self = g_object_new(GST_TYPE_VKNN_IMAGE_POOL, NULL);
    /* Pools are GstObjects: drop the floating reference like the stock pools. */
    gst_object_ref_sink(self);
    self->device = gst_object_ref(device);
    return GST_BUFFER_POOL(self);
}

gboolean gst_vknn_image_pool_can_allocate(GstVulkanDevice *device, GstVideoFormat format)
{
    GstVideoInfo info;

    gst_video_info_set_format(&info, format, 16, 16);
    GstMemory *probe =
        gst_vknn_image_pool_alloc(device, gst_vulkan_format_from_video_info(&info, 0), 16, 16);
    if (!probe)
        return FALSE;
    gst_memory_unref(probe);
    return TRUE;
}

gboolean gst_vknn_image_pool_decide_allocation(GstVulkanDevice *device, GstQuery *query,
                                               GstCaps *caps)
{
    GstBufferPool *pool = NULL;
    guint size = 0, min = 0, max = 0;
    const gboolean update = gst_query_get_n_allocation_pools(query) > 0;

    if (update)
        gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
    if (!pool || !GST_IS_VKNN_IMAGE_POOL(pool)) {
        gst_clear_object(&pool);
        pool = gst_vknn_image_pool_new(device);
    }
    GstStructure *config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, size, min, max);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config)) {
        gst_object_unref(pool);
        return FALSE;
    }
    /* set_config settled the size: the probe image's. */
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
