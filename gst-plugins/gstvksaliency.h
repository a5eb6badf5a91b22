/* vknn GStreamer plugin — vksaliency: what a classifier looks at, as a
 * heatmap on the video (Grad-CAM, gradients, guided backprop, SmoothGrad,
 * occlusion), with the top classes posted as element messages. */
#pragma once

#include "gstvknnexplainfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_VK_SALIENCY (gst_vk_saliency_get_type())
G_DECLARE_FINAL_TYPE(GstVkSaliency, gst_vk_saliency, GST, VK_SALIENCY, GstVknnExplainFilter)

GST_ELEMENT_REGISTER_DECLARE(vksaliency);

G_END_DECLS
