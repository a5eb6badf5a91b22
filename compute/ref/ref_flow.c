/* CPU reference of temporal stabilisation's optical flow (the algorithm of
 * shaders/temporal_*.comp, written plainly for tests): grey pyramid, central
 * gradients, pyramidal Lucas-Kanade with regularised normal equations. */
#include <vknn/ref.h>

#include <math.h>

typedef struct {
    int w, h;
    float *grey, *gx, *gy;
} Level;

static float at(const float *img, int w, int h, int x, int y)
{
    return img[CLAMP(y, 0, h - 1) * w + CLAMP(x, 0, w - 1)];
}

/* Bilinear, clamped to the image (as BILINEAR in shaders/common/frame.glsl):
 * for the upsampling of a coarser flow. */
static float sample(const float *img, int w, int h, float x, float y)
{
    x = CLAMP(x, 0.0f, (float)(w - 1));
    y = CLAMP(y, 0.0f, (float)(h - 1));
    const int x0 = (int)floorf(x), y0 = (int)floorf(y);
    const int x1 = MIN(x0 + 1, w - 1), y1 = MIN(y0 + 1, h - 1);
    const float fx = x - x0, fy = y - y0;
    const float top = img[y0 * w + x0] * (1 - fx) + img[y0 * w + x1] * fx;
    const float bottom = img[y1 * w + x0] * (1 - fx) + img[y1 * w + x1] * fx;
    return top * (1 - fy) + bottom * fy;
}

static void gradients(Level *l)
{
    const int w = l->w, h = l->h;
    l->gx = g_new(float, (gsize)w *h);
    l->gy = g_new(float, (gsize)w *h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int x0 = MAX(x - 1, 0), x1 = MIN(x + 1, w - 1);
            const int y0 = MAX(y - 1, 0), y1 = MIN(y + 1, h - 1);
            l->gx[y * w + x] =
                (at(l->grey, w, h, x1, y) - at(l->grey, w, h, x0, y)) / MAX(x1 - x0, 1);
            l->gy[y * w + x] =
                (at(l->grey, w, h, x, y1) - at(l->grey, w, h, x, y0)) / MAX(y1 - y0, 1);
        }
}

static void build_pyramid(const float *grey, int w, int h, int levels, Level *pyr)
{
    for (int l = 0; l < levels; l++) {
        Level *c = &pyr[l];
        c->w = l ? (pyr[l - 1].w + 1) / 2 : w;
        c->h = l ? (pyr[l - 1].h + 1) / 2 : h;
        c->grey = g_new(float, (gsize)c->w * c->h);
        for (int y = 0; y < c->h; y++)
            for (int x = 0; x < c->w; x++) {
                if (l == 0) {
                    c->grey[y * w + x] = grey[y * w + x];
                    continue;
                }
                const Level *f = &pyr[l - 1];
                const float *g = f->grey;
                c->grey[y * c->w + x] =
                    0.25f *
                    (at(g, f->w, f->h, 2 * x, 2 * y) + at(g, f->w, f->h, 2 * x + 1, 2 * y) +
                     at(g, f->w, f->h, 2 * x, 2 * y + 1) + at(g, f->w, f->h, 2 * x + 1, 2 * y + 1));
            }
        gradients(c);
    }
}

/* Bilinear with each index clamped to the edge (a sampler's CLAMP_TO_EDGE):
 * the target's samples in a Lucas-Kanade window. */
static float sample_edge(const float *img, int w, int h, float x, float y)
{
    const int x0 = (int)floorf(x), y0 = (int)floorf(y);
    const float fx = x - x0, fy = y - y0;
    const float top = at(img, w, h, x0, y0) * (1 - fx) + at(img, w, h, x0 + 1, y0) * fx;
    const float bottom = at(img, w, h, x0, y0 + 1) * (1 - fx) + at(img, w, h, x0 + 1, y0 + 1) * fx;
    return top * (1 - fy) + bottom * fy;
}

/* One Lucas-Kanade step at pixel (x, y) from displacement d. */
static void lk_step(const Level *t, const Level *s, int x, int y, float lambda, float d[2])
{
    double a = lambda, b = 0, c = lambda, bx = 0, by = 0; /* A + lambda I = [a b; b c] */
    for (int dy = -VKNN_REF_FLOW_RADIUS; dy <= VKNN_REF_FLOW_RADIUS; dy++)
        for (int dx = -VKNN_REF_FLOW_RADIUS; dx <= VKNN_REF_FLOW_RADIUS; dx++) {
            const int wx = CLAMP(x + dx, 0, t->w - 1), wy = CLAMP(y + dy, 0, t->h - 1);
            const int i = wy * t->w + wx;
            const float sx = x + dx + d[0], sy = y + dy + d[1]; /* unclamped: the grid moves */
            const float e = sample_edge(s->grey, s->w, s->h, sx, sy) - t->grey[i];
            const float gx = 0.5f * (t->gx[i] + sample_edge(s->gx, s->w, s->h, sx, sy));
            const float gy = 0.5f * (t->gy[i] + sample_edge(s->gy, s->w, s->h, sx, sy));
            a += gx * gx;
            b += gx * gy;
            c += gy * gy;
            bx += gx * e;
            by += gy * e;
        }
    const double det = a * c - b * b;
    double ux = -(c * bx - b * by) / det, uy = -(a * by - b * bx) / det;
    const double len = sqrt(ux * ux + uy * uy);
    if (len > VKNN_REF_FLOW_MAX_STEP) {
        ux *= VKNN_REF_FLOW_MAX_STEP / len;
        uy *= VKNN_REF_FLOW_MAX_STEP / len;
    }
    d[0] += (float)ux;
    d[1] += (float)uy;
}

void vknn_ref_flow(const float *tmpl, const float *target, int w, int h, int levels, int finest,
                   int iterations, float lambda, float *uv)
{
    Level pt[8], ps[8];
    levels = CLAMP(levels, 1, 8);
    build_pyramid(tmpl, w, h, levels, pt);
    build_pyramid(target, w, h, levels, ps);
    float *flow[2] = {NULL, NULL}; /* the coarser level's u and v planes */
    finest = CLAMP(finest, 0, levels - 1);
    for (int l = levels - 1; l >= finest; l--) {
        const Level *t = &pt[l];
        float *next[2] = {g_new(float, (gsize)t->w * t->h), g_new(float, (gsize)t->w * t->h)};
        for (int y = 0; y < t->h; y++)
            for (int x = 0; x < t->w; x++) {
                float d[2] = {0, 0};
                if (flow[0]) { /* 2 x the bilinear upsample of the coarser flow */
                    const Level *c = &pt[l + 1];
                    const float cx = (x + 0.5f) * 0.5f - 0.5f, cy = (y + 0.5f) * 0.5f - 0.5f;
                    for (int k = 0; k < 2; k++)
                        d[k] = 2.0f * sample(flow[k], c->w, c->h, cx, cy);
                }
                for (int i = 0; i < iterations; i++)
                    lk_step(t, &ps[l], x, y, lambda, d);
                next[0][y * t->w + x] = d[0];
                next[1][y * t->w + x] = d[1];
            }
        for (int k = 0; k < 2; k++) {
            g_free(flow[k]);
            flow[k] = next[k];
        }
    }
    for (int i = 0; i < pt[finest].w * pt[finest].h; i++) {
        uv[2 * i] = flow[0][i];
        uv[2 * i + 1] = flow[1][i];
    }
    g_free(flow[0]);
    g_free(flow[1]);
    for (int l = 0; l < levels; l++) {
        Level *ls[] = {&pt[l], &ps[l]};
        for (int k = 0; k < 2; k++) {
            g_free(ls[k]->grey);
            g_free(ls[k]->gx);
            g_free(ls[k]->gy);
        }
    }
}
