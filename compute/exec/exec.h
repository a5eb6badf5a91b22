/* The executor tier as the tiers above it (apps/: style transfer, saliency)
 * see it, beyond the public net.h: recording a prepared network into a
 * command buffer of their own, between their frame conversions. */
#pragma once

#include "runtime/runtime.h"

#include <vknn/net.h>

/* The device tensor of a graph input, output or kept value of the prepared
 * net, or NULL. */
VknnTensor *vknn_net_tensor(VknnNet *net, const char *name);
/* Records the prepared network's dispatches into cmd: it reads the input
 * tensors and writes the outputs, so the caller can fill and consume them
 * with its own dispatches in the same command buffer. */
gboolean vknn_net_record(VknnNet *net, VknnCmd *cmd, GError **err);
/* Tells the net that a command buffer from vknn_net_record has run to
 * completion, so vknn_net_backward may use its activations. */
void vknn_net_note_run(VknnNet *net);
