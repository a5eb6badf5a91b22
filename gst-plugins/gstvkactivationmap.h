/* vknn GStreamer plugin — vkactivationmap: what a classifier's layer
 * computes, as a heatmap on the video or as a grid of its channels. */
#pragma once

#include "gstvknnexplainfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_VK_ACTIVATION_MAP (gst_vk_activation_map_get_type())
G_DECLARE_FINAL_TYPE(GstVkActivationMap, gst_vk_activation_map, GST, VK_ACTIVATION_MAP,
                     GstVknnExplainFilter)

GST_ELEMENT_REGISTER_DECLARE(vkactivationmap);

G_END_DECLS
