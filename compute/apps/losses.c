/* Perceptual losses (apps/losses.h), shared by training and image
 * optimisation. */
#include "apps/losses.h"

#include <math.h>
#include <string.h>

gboolean vknn_features_read(VknnNet *net, const char *name, VknnFeatures *f, GError **err)
{
    const VknnShape *s = vknn_net_shape(net, name);
    f->batch = (int)s->dims[0];
    f->c = (int)s->dims[1];
    f->hw = (int)(s->dims[2] * s->dims[3]);
    f->data = g_new(float, (gsize)f->batch * f->c * f->hw);
    return vknn_net_read(net, name, f->data, err);
}

/* Dot product of two float rows, in 8 independent float lanes (which the
 * compiler vectorises; the rows are at most a few 10^4 long). */
static double dot(const float *a, const float *b, int n)
{
    float acc[8] = {0};
    int k = 0;
    for (; k + 8 <= n; k += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += a[k + l] * b[k + l];
    double s = 0;
    for (; k < n; k++)
        s += (double)a[k] * b[k];
    for (int l = 0; l < 8; l++)
        s += acc[l];
    return s;
}

void vknn_gram(const VknnFeatures *f, int b, double *g)
{
    const float *x = f->data + (gsize)b * f->c * f->hw;
    const double norm = 1.0 / ((double)f->c * f->hw);
    for (int i = 0; i < f->c; i++)
        for (int j = i; j < f->c; j++)
            g[i * f->c + j] = g[j * f->c + i] =
                dot(x + (gsize)i * f->hw, x + (gsize)j * f->hw, f->hw) * norm;
}

double vknn_style_loss(const VknnFeatures *f, const double *target, float weight, float *grad)
{
    const int c = f->c, hw = f->hw;
    g_autofree double *g = g_new(double, c *c);
    double loss = 0;
    const double scale = (double)weight / ((double)f->batch * c * c);
    for (int b = 0; b < f->batch; b++) {
        vknn_gram(f, b, g);
        /* d loss / d F = 2 D F / (c hw), D = d loss / d G (symmetric) */
        const float *x = f->data + (gsize)b * c * hw;
        float *gx = grad + (gsize)b * c * hw;
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++) {
                const double e = g[i * c + j] - target[i * c + j];
                loss += scale * e * e;
                const float d = (float)(2 * scale * e * 2.0 / ((double)c * hw));
                const float *xj = x + (gsize)j * hw;
                float *gi = gx + (gsize)i * hw;
                for (int k = 0; k < hw; k++)
                    gi[k] += d * xj[k];
            }
    }
    return loss;
}

double vknn_content_loss(const VknnFeatures *f, const float *target, float weight, float *grad)
{
    const gsize n = (gsize)f->batch * f->c * f->hw;
    double loss = 0;
    for (gsize i = 0; i < n; i++) {
        const double e = (double)f->data[i] - target[i];
        loss += e * e;
        grad[i] += (float)(2.0 * weight * e / n);
    }
    return weight * loss / n;
}

double vknn_alpha_norm_loss(const float *x, int planes, gsize hw, float alpha, float weight,
                            float *grad)
{
    double loss = 0;
    for (gsize i = 0; i < hw; i++) {
        double sq = 0;
        for (int c = 0; c < planes; c++)
            sq += (double)x[c * hw + i] * x[c * hw + i];
        loss += pow(sq, alpha / 2);
        /* d |x|^a / d x_c = a |x|^(a-2) x_c; 0 at x = 0 for a > 1 */
        const double k = sq > 0 ? alpha * pow(sq, alpha / 2 - 1) : 0;
        for (int c = 0; c < planes; c++)
            grad[c * hw + i] += (float)(weight * k * x[c * hw + i]);
    }
    return weight * loss;
}
