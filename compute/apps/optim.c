/* Adam and total variation (apps/optim.h), shared by training and image
 * optimisation. */
#include "apps/optim.h"

#include <math.h>

void vknn_adam_update(float *x, const float *g, float *m, float *v, int64_t n, double lr, int t)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t);
    /* Moments in float, the step in double: the order of operations is
     * that of the trainer's checkpoints, which resume bit-exactly. */
    for (int64_t k = 0; k < n; k++) {
        m[k] = (float)(b1 * m[k] + (1 - b1) * g[k]);
        v[k] = (float)(b2 * v[k] + (1 - b2) * (double)g[k] * g[k]);
        x[k] -= (float)(lr * (m[k] / c1) / (sqrt(v[k] / c2) + eps));
    }
}

double vknn_tv_loss(const float *y, int planes, int h, int w, float weight, float *grad)
{
    double loss = 0;
    for (int p = 0; p < planes; p++) {
        const float *x = y + (gsize)p * h * w;
        float *g = grad + (gsize)p * h * w;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                const float v = x[i * w + j];
                if (i + 1 < h) {
                    const float e = x[(i + 1) * w + j] - v;
                    loss += (double)e * e;
                    g[(i + 1) * w + j] += 2 * weight * e;
                    g[i * w + j] -= 2 * weight * e;
                }
                if (j + 1 < w) {
                    const float e = x[i * w + j + 1] - v;
                    loss += (double)e * e;
                    g[i * w + j + 1] += 2 * weight * e;
                    g[i * w + j] -= 2 * weight * e;
                }
            }
    }
    return weight * loss;
}

float vknn_gaussian(GRand *r)
{
    const double u = 1.0 - g_rand_double(r), v = g_rand_double(r);
    return (float)(sqrt(-2.0 * log(u)) * cos(2.0 * G_PI * v));
}
