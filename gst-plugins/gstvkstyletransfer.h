/* vknn GStreamer plugin — vkstyletransfer: fast neural style transfer on
 * video frames with libvknn's VknnStyler, on GStreamer's Vulkan device. */
#pragma once

#include "gstvknnfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_VK_STYLE_TRANSFER (gst_vk_style_transfer_get_type())
G_DECLARE_FINAL_TYPE(GstVkStyleTransfer, gst_vk_style_transfer, GST, VK_STYLE_TRANSFER,
                     GstVknnFilter)

GST_ELEMENT_REGISTER_DECLARE(vkstyletransfer);

G_END_DECLS
