/* vknn GStreamer plugin — GstVknnFrames: both frames of a transform, mapped
 * for libvknn.
 *
 * libvknn takes frames in one of two forms, and the caps say which:
 * - system memory: mapped GstVideoFrames, read and written as bytes in the
 *   VknnPixelFormat of the caps (libvknn copies them to and from
 *   host-visible buffers);
 * - memory:VulkanImage: VknnImage descriptors of the buffers' images (the
 *   input sampled, the output written as a storage image), with the layout
 *   and stages of their last use; libvknn updates those, and unmapping
 *   publishes them to the GstVulkanImageMemory barrier state, which the next
 *   element (vulkandownload, a sink) builds its barrier from.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/vulkan/vulkan.h>
#include <vknn/vknn.h>

G_BEGIN_DECLS

typedef struct {
    gboolean vulkan; /* memory:VulkanImage: in_image/out_image; else in/out */
    gint width, height;
    /* System memory. */
    GstVideoFrame in, out;
    VknnPixelFormat format;
    /* Vulkan images: layouts and stages of the last use, updated by libvknn
     * and published to the next user by gst_vknn_frames_unmap(). */
    VknnImage in_image, out_image;
    GstVulkanImageMemory *in_mem, *out_mem;
    GstVulkanImageView *in_view, *out_view;
} GstVknnFrames;

#define GST_VKNN_FRAMES_IN_DATA(f) ((const guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&(f)->in, 0))
#define GST_VKNN_FRAMES_IN_STRIDE(f) GST_VIDEO_FRAME_PLANE_STRIDE(&(f)->in, 0)
#define GST_VKNN_FRAMES_OUT_DATA(f) ((guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&(f)->out, 0))
#define GST_VKNN_FRAMES_OUT_STRIDE(f) GST_VIDEO_FRAME_PLANE_STRIDE(&(f)->out, 0)

/* Maps inbuf and outbuf, frames of filter's in_info and out_info: Vulkan
 * images of filter's device when vulkan, else system memory. On failure
 * nothing stays mapped and err says why (a GST_STREAM_ERROR). */
gboolean gst_vknn_frames_map(GstVknnFrames *f, GstVulkanVideoFilter *filter, gboolean vulkan,
                             GstBuffer *inbuf, GstBuffer *outbuf, GError **err);
/* Unmaps; publish hands the images' new layouts to the next user (only when
 * libvknn's work on them succeeded). */
void gst_vknn_frames_unmap(GstVknnFrames *f, gboolean publish);

/* libvknn's pixel byte order for a system-memory video format. */
VknnPixelFormat gst_vknn_pixel_format(GstVideoFormat format);

G_END_DECLS
