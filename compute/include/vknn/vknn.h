/* vknn — Vulkan compute for convolutional networks on video.
 *
 * Umbrella header of libvknn. The library has three tiers:
 *   context.h  the Vulkan runtime: instance/device selection or adoption;
 *   model.h    host graph: ONNX import, shape inference, statistics;
 *   net.h      the graph executor: a model planned on a device, run on inputs;
 *   ref.h      the plain-C reference executor, used by the tests;
 *   style.h, overlay.h  video frames: style transfer, heatmap overlays,
 *              frames as classifier input.
 * No GStreamer header is included anywhere in libvknn.
 */
#pragma once

#include <vknn/error.h>
#include <vknn/model.h>
#include <vknn/context.h>
#include <vknn/net.h>
#include <vknn/ref.h>
#include <vknn/style.h>
#include <vknn/explain.h>
#include <vknn/train.h>
#include <vknn/overlay.h>
