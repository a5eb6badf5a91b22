/* vknn — Vulkan compute for convolutional networks on video.
 *
 * Umbrella header of libvknn. Its public headers, from the bottom up:
 *   error.h, shape.h   errors, logging and tensor shapes (Vulkan-free);
 *   context.h          the Vulkan runtime: device selection or adoption;
 *   model.h            the host graph: ONNX import and export, shape
 *                      inference, statistics (Vulkan-free);
 *   net.h              the graph executor: a model planned on a device;
 *   ref.h              the plain-C reference executor, used by the tests;
 *   frame.h            video frames in host memory or Vulkan images;
 *   style.h, explain.h, overlay.h, train.h   what runs on frames: style
 *                      transfer, saliency and activation maps, heatmap
 *                      overlays, training style networks;
 *   visualize.h        filter grids, class visualisation, adversarial
 *                      examples and DeepDream by optimising images;
 *   features.h         penultimate features, nearest neighbours, PCA and
 *                      t-SNE embeddings, receptive fields, top patches;
 *   wct.h              AdaIN and whitening-colouring feature transforms
 *                      (universal style transfer).
 * docs/architecture.md draws the tiers behind them. No GStreamer header is
 * included anywhere in libvknn.
 */
#pragma once

#include <vknn/error.h>
#include <vknn/shape.h>
#include <vknn/model.h>
#include <vknn/context.h>
#include <vknn/net.h>
#include <vknn/ref.h>
#include <vknn/frame.h>
#include <vknn/style.h>
#include <vknn/explain.h>
#include <vknn/train.h>
#include <vknn/overlay.h>
#include <vknn/visualize.h>
#include <vknn/synthesis.h>
#include <vknn/features.h>
#include <vknn/wct.h>
