/* vknn GStreamer plugin — GstVknnFrames: the two ways a frame reaches
 * libvknn, one strategy each (as vkupload keeps its methods in a table). */
#include "gstvknnframes.h"

#include <string.h>

typedef struct {
    gboolean (*map)(GstVknnFrames *f, GstVulkanVideoFilter *filter, GstBuffer *inbuf,
                    GstBuffer *outbuf, GError **err);
    void (*unmap)(GstVknnFrames *f, gboolean publish);
} GstVknnFramesMethod;

VknnPixelFormat gst_vknn_pixel_format(GstVideoFormat format)
{
    switch (format) {
    case GST_VIDEO_FORMAT_BGRA:
        return VKNN_PIXEL_BGRA;
    case GST_VIDEO_FORMAT_RGBx:
        return VKNN_PIXEL_RGBX;
    case GST_VIDEO_FORMAT_BGRx:
        return VKNN_PIXEL_BGRX;
    default:
        return VKNN_PIXEL_RGBA;
    }
}

/* ---- system memory ------------------------------------------------------- */

static void gst_vknn_frames_unmap_system(GstVknnFrames *f, gboolean publish)
{
    if (f->out.buffer)
        gst_video_frame_unmap(&f->out);
    if (f->in.buffer)
        gst_video_frame_unmap(&f->in);
}

static gboolean gst_vknn_frames_map_system(GstVknnFrames *f, GstVulkanVideoFilter *filter,
                                           GstBuffer *inbuf, GstBuffer *outbuf, GError **err)
{
    if (!gst_video_frame_map(&f->in, &filter->in_info, inbuf, GST_MAP_READ)) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "cannot map the input frame");
        return FALSE;
    }
    if (!gst_video_frame_map(&f->out, &filter->out_info, outbuf, GST_MAP_WRITE)) {
        gst_vknn_frames_unmap_system(f, FALSE);
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "cannot map the output frame");
        return FALSE;
    }
    return TRUE;
}

/* ---- Vulkan images ------------------------------------------------------- */

static VknnImage gst_vknn_frames_image(GstVulkanImageMemory *mem, GstVulkanImageView *view)
{
    return (VknnImage){
        .image = mem->image,
        .view = view->view,
        .format = mem->create_info.format,
        .layout = mem->barrier.image_layout,
        .stages = mem->barrier.parent.pipeline_stages,
        .access = mem->barrier.parent.access_flags,
    };
}

/* Publishes the state libvknn left the image in to the next GStreamer user
 * (vulkandownload, a sink), which builds its barrier from these fields. */
static void gst_vknn_frames_image_done(GstVulkanImageMemory *mem, const VknnImage *img)
{
    mem->barrier.image_layout = img->layout;
    mem->barrier.parent.pipeline_stages = img->stages;
    mem->barrier.parent.access_flags = img->access;
}

/* GStreamer 1.22's vulkanupload keeps its first image pool when the size
 * changes: never let the shaders address pixels outside the image. */
static gboolean gst_vknn_frames_image_fits(GstVulkanImageMemory *img, const GstVideoInfo *info,
                                           GError **err)
{
    const guint w = gst_vulkan_image_memory_get_width(img);
    const guint h = gst_vulkan_image_memory_get_height(img);

    if (w >= (guint)GST_VIDEO_INFO_WIDTH(info) && h >= (guint)GST_VIDEO_INFO_HEIGHT(info))
        return TRUE;
    g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                "Vulkan image is %ux%u, smaller than the %dx%d frame of the caps (an upstream "
                "element did not follow a size change)",
                w, h, GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info));
    return FALSE;
}

/* buf's image, when it is one the shaders can use with usage. */
static GstVulkanImageMemory *gst_vknn_frames_image_memory(GstVulkanVideoFilter *filter,
                                                          GstBuffer *buf, VkImageUsageFlags usage,
                                                          GError **err)
{
    GstMemory *mem = gst_buffer_n_memory(buf) == 1 ? gst_buffer_peek_memory(buf, 0) : NULL;
    if (!mem || !gst_is_vulkan_image_memory(mem)) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "buffer is not a single Vulkan image");
        return NULL;
    }
    GstVulkanImageMemory *img = (GstVulkanImageMemory *)mem;
    if (img->device != filter->device) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "Vulkan image from another device than the element's");
        return NULL;
    }
    if (!gst_vknn_frames_image_fits(img, &filter->in_info, err))
        return NULL;
    if ((img->usage & usage) != usage) {
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "Vulkan image lacks usage 0x%x (has 0x%x)", usage, img->usage);
        return NULL;
    }
    return img;
}

static void gst_vknn_frames_unmap_vulkan(GstVknnFrames *f, gboolean publish)
{
    if (publish) {
        gst_vknn_frames_image_done(f->in_mem, &f->in_image);
        gst_vknn_frames_image_done(f->out_mem, &f->out_image);
    }
    if (f->in_view)
        gst_vulkan_image_view_unref(f->in_view);
    if (f->out_view)
        gst_vulkan_image_view_unref(f->out_view);
}

static gboolean gst_vknn_frames_map_vulkan(GstVknnFrames *f, GstVulkanVideoFilter *filter,
                                           GstBuffer *inbuf, GstBuffer *outbuf, GError **err)
{
    if (!(f->in_mem =
              gst_vknn_frames_image_memory(filter, inbuf, VK_IMAGE_USAGE_SAMPLED_BIT, err)) ||
        !(f->out_mem =
              gst_vknn_frames_image_memory(filter, outbuf, VK_IMAGE_USAGE_STORAGE_BIT, err)))
        return FALSE;
    f->in_view = gst_vulkan_get_or_create_image_view(f->in_mem);
    f->out_view = gst_vulkan_get_or_create_image_view(f->out_mem);
    if (!f->in_view || !f->out_view) {
        gst_vknn_frames_unmap_vulkan(f, FALSE);
        g_set_error(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "no Vulkan image view");
        return FALSE;
    }
    f->in_image = gst_vknn_frames_image(f->in_mem, f->in_view);
    f->out_image = gst_vknn_frames_image(f->out_mem, f->out_view);
    return TRUE;
}

/* ---- dispatch ------------------------------------------------------------ */

static const GstVknnFramesMethod gst_vknn_frames_methods[] = {
    [FALSE] = {gst_vknn_frames_map_system, gst_vknn_frames_unmap_system},
    [TRUE] = {gst_vknn_frames_map_vulkan, gst_vknn_frames_unmap_vulkan},
};

gboolean gst_vknn_frames_map(GstVknnFrames *f, GstVulkanVideoFilter *filter, gboolean vulkan,
                             GstBuffer *inbuf, GstBuffer *outbuf, GError **err)
{
    memset(f, 0, sizeof *f);
    f->vulkan = vulkan != FALSE;
    f->width = GST_VIDEO_INFO_WIDTH(&filter->in_info);
    f->height = GST_VIDEO_INFO_HEIGHT(&filter->in_info);
    f->format = gst_vknn_pixel_format(GST_VIDEO_INFO_FORMAT(&filter->in_info));
    return gst_vknn_frames_methods[f->vulkan].map(f, filter, inbuf, outbuf, err);
}

void gst_vknn_frames_unmap(GstVknnFrames *f, gboolean publish)
{
    gst_vknn_frames_methods[f->vulkan].unmap(f, publish);
}
