/* vknn GStreamer plugin — vkdeepdream: DeepDream on live video with
 * libvknn's VknnDreamStream, on GStreamer's Vulkan device. */
#pragma once

#include "gstvknnfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_VK_DEEP_DREAM (gst_vk_deep_dream_get_type())
G_DECLARE_FINAL_TYPE(GstVkDeepDream, gst_vk_deep_dream, GST, VK_DEEP_DREAM, GstVknnFilter)

GST_ELEMENT_REGISTER_DECLARE(vkdeepdream);

G_END_DECLS
