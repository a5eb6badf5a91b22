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
#include <gst/video/video.h>
#include <gst/vulkan/vulkan.h>

G_BEGIN_DECLS

#define GST_TYPE_VKNN_IMAGE_POOL (gst_vknn_image_pool_get_type())
G_DECLARE_FINAL_TYPE(GstVknnImagePool, gst_vknn_image_pool, GST, VKNN_IMAGE_POOL, GstBufferPool)

/* A pool allocating images on device (which it keeps a reference to). */
GstBufferPool *gst_vknn_image_pool_new(GstVulkanDevice *device);

/* Whether device can make the pool's images of format: a small probe, for
 * negotiation to leave out formats the allocation would fail on. */
gboolean gst_vknn_image_pool_can_allocate(GstVulkanDevice *device, GstVideoFormat format);

/* Allocation for output images of caps (memory:VulkanImage): makes a pool of
 * ours on device the query's first, or keeps the one there if it is ours,
 * configured for caps with GstVideoMeta. FALSE when the device cannot make
 * storage images of the caps' format. */
gboolean gst_vknn_image_pool_decide_allocation(GstVulkanDevice *device, GstQuery *query,
                                               GstCaps *caps);

/* The usage of every image the pool allocates. */
#define GST_VKNN_IMAGE_POOL_USAGE                                                                  \
    (VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |   \
     VK_IMAGE_USAGE_TRANSFER_DST_BIT)

G_END_DECLS
