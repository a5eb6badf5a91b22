/* The perceptual losses of image optimisation, shared by training style
 * networks (train.c) and optimising images (synthesis.c): Gram matrices,
 * the Gram style loss and the feature (content) loss of Gatys et al., and
 * the alpha-norm of Mahendran & Vedaldi. Each returns its value and adds its
 * gradient to grad, which the caller seeds the backward pass with. They run
 * on the host: the feature maps are small next to the networks' passes. */
#pragma once

#include <vknn/net.h>

/* A feature map downloaded from the device: batch x c x hw floats. */
typedef struct {
    int batch, c, hw;
    float *data;
} VknnFeatures;

/* Reads kept tensor `name` of net (NCHW) into f (f->data allocated; the
 * caller frees it, also on failure). */
gboolean vknn_features_read(VknnNet *net, const char *name, VknnFeatures *f, GError **err);

/* Gram matrix of image b: G = F F^T / (c hw), c x c (doubles). */
void vknn_gram(const VknnFeatures *f, int b, double *g);

/* Style loss at one layer, weight * mean((G - target)^2) over the batch
 * (target: c x c, the same for every image), gradient added to grad (the
 * layout of f). */
double vknn_style_loss(const VknnFeatures *f, const double *target, float weight, float *grad);

/* Feature (content) loss weight * mean((F - target)^2) over all of f's
 * values, gradient added to grad. */
double vknn_content_loss(const VknnFeatures *f, const float *target, float weight, float *grad);

/* Alpha-norm weight * sum over the pixels of |x_ij|^alpha, |x_ij| the
 * Euclidean norm of the pixel's `planes` values (Mahendran & Vedaldi 2015:
 * it keeps the colours of an inverted image within range), gradient added
 * to grad. alpha >= 1. */
double vknn_alpha_norm_loss(const float *x, int planes, gsize hw, float alpha, float weight,
                            float *grad);
