/* What training (train.c) and image optimisation (visualize.c) share: the
 * Adam update, the total-variation loss and Gaussian noise (also SmoothGrad's,
 * explain.c), written once. Both work on
 * plain float arrays on the host, where the callers keep their parameters
 * (network weights, or the image being optimised). */
#pragma once

#include <glib.h>

/* One Adam step (Kingma & Ba 2015, beta1 0.9, beta2 0.999, eps 1e-8) that
 * lowers a loss: x -= lr * mhat / (sqrt(vhat) + eps), from its gradient g;
 * m and v are x's moments (zero before the first step), t the number of
 * this update, counted from 1 (for the bias corrections). */
void vknn_adam_update(float *x, const float *g, float *m, float *v, int64_t n, double lr, int t);

/* Total variation weight * sum of squared neighbour differences of `planes`
 * planes of h x w (batch x 3 images), its gradient added to grad. */
double vknn_tv_loss(const float *y, int planes, int h, int w, float weight, float *grad);

/* A standard normal sample from r (Box-Muller, one of the pair). */
float vknn_gaussian(GRand *r);
