/* vknn GStreamer plugin — a buffer pool of Vulkan images that compute shaders
 * can write.
 *
 * GStreamer 1.22's GstVulkanImageBufferPool creates images for transfer,
 * sampling and colour attachment only; a compute shader writing the frame
 * needs VK_IMAGE_USAGE_STORAGE_BIT. This pool allocates single-plane
 * GstVulkanImageMemory with storage, sampled and transfer usage (so
 * vulkandownload and any sampling element can read the result) and adds a
 * GstVideoMeta when the config asks for it.
 */
#pragma once

#include <gst/gst.h>
#include <gst/vulkan/vulkan.h>

G_BEGIN_DECLS

#define GST_TYPE_VKNN_IMAGE_POOL (gst_vknn_image_pool_get_type())
G_DECLARE_FINAL_TYPE(GstVknnImagePool, gst_vknn_image_pool, GST, VKNN_IMAGE_POOL, GstBufferPool)

/* A pool allocating images on device (which it keeps a reference to). */
GstBufferPool *gst_vknn_image_pool_new(GstVulkanDevice *device);

/* The usage of every image the pool allocates. */
#define GST_VKNN_IMAGE_POOL_USAGE                                                                  \
    (VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |   \
     VK_IMAGE_USAGE_TRANSFER_DST_BIT)

G_END_DECLS
