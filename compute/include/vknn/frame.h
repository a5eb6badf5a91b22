/* vknn — video frames as the video-facing APIs take them (style.h,
 * overlay.h, explain.h): 4-byte pixels in host memory, or Vulkan images on
 * the context's device. */
#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

/* Byte order of a 4-byte pixel; the X formats carry no alpha (written 255). */
typedef enum {
    VKNN_PIXEL_RGBA,
    VKNN_PIXEL_BGRA,
    VKNN_PIXEL_RGBX,
    VKNN_PIXEL_BGRX,
} VknnPixelFormat;

/* A Vulkan image on a context's device, with its current layout and the
 * pipeline stages / accesses that last used it (for the barrier). */
typedef struct {
    VkImage image;
    VkImageView view;     /* a 2D color view of the whole image */
    VkFormat format;      /* R8G8B8A8_* or B8G8R8A8_* */
    VkImageLayout layout; /* in: current layout; out: the layout left in */
    VkPipelineStageFlags stages;
    VkAccessFlags access;
} VknnImage;

G_END_DECLS
