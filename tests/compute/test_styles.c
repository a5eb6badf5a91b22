/* The built-in single-style networks and the multi-style network they come
 * from (issue 15), each against its painting (docs/images/paintings/NAME.jpg):
 *
 *  (a) it loads and runs at an odd size, 99x75: the output has the size the
 *      contract gives (docs/model-contract.md: 100x76) and sane values;
 *  (b) on held-out photos (not in the training set), 128 px high, it moves
 *      the style distance towards its painting by at least half of the way
 *      the goal (style distance <= 0.40) demands: with d0 the photo's own
 *      distance, the stylised photo's d <= (d0 + 0.40) / 2;
 *  (c) the multi-style network with style weights one-hot at k gives the k-th
 *      single-style network's frame (max diff <= 1 level over RGBA bytes).
 *
 * Style distance, as bench/style_distance.py defines it: the mean over
 * relu1_1, relu2_1 and relu3_1 of ||G(S) - G(P)||_F / ||G(P)||_F with
 * G(F) = F F^T / (C*H*W), S the stylised image, P the painting resized to
 * 128 px on its shorter side. The features come from the normalised VGG-19
 * encoder of ../shared run by vknn (its agreement with PyTorch is
 * test_golden's vgg_encoder case); the Gram matrices are plain C. Images are
 * read and scaled by gdk-pixbuf (bench uses OpenCV's INTER_AREA; the two
 * differ slightly). Skips (77) without the encoder or the photos.
 *
 *   test_styles [MULTI NAME...]
 *   test_styles decoder
 *
 * Without arguments the built-ins of issue 15: the five single styles below
 * and `paintings`, their multi-style network in that order. With arguments,
 * another set (e.g. `starry_wave starry_night wave`): MULTI's styles in
 * order, each NAME with its painting docs/images/paintings/NAME.jpg.
 *
 * `decoder`: the built-in decoder of universal style transfer
 * (builtin:decoder_relu3_1, trained by vknn on photos and video frames)
 * through the built-in encoder reconstructs the five painting thumbnails,
 * which it never saw, 128 px high, at DECODER_MIN_PSNR or better; and WCT
 * with one painting as the style of another keeps the values finite and in
 * range. Needs nothing from ../shared.
 */
#include "testutil.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_styles[] = {"starry_night", "wave", "scream", "composition_vii",
                                             "shipwreck"};
#define DEFAULT_MULTI "paintings"

/* Held out of the built-ins' training set (models/README.md). */
static const char *const photo_names[] = {"skimage_astronaut.png", "sklearn_china.jpg"};
#define N_PHOTOS ((int)G_N_ELEMENTS(photo_names))

#define PHOTO_H 128    /* (b), (c): photo height */
#define STYLE_SIZE 128 /* painting's shorter side */
#define GOAL 0.40      /* the style distance a built-in should reach */
#define ODD_W 75       /* (a): 1x3x99x75 */
#define ODD_H 99
#define DECODER_MIN_PSNR 16.0 /* dB: 17.7-21.9 measured, less a margin */
#define N_LAYERS 3
static const char *const layers[N_LAYERS] = {"relu1_1", "relu2_1", "relu3_1"};

typedef struct {
    int w, h;
    guint8 *rgba; /* w x h, 4 bytes a pixel */
} Image;

static void image_clear(Image *img)
{
    g_clear_pointer(&img->rgba, g_free);
}

/* Loads path scaled to w x h (0: from the other side and the aspect ratio). */
static gboolean image_load(const char *path, int w, int h, Image *out)
{
    GError *err = NULL;
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file(path, &err);
    if (!pb) {
        test_fail("%s: %s", path, err->message);
        g_error_free(err);
        return FALSE;
    }
    const int pw = gdk_pixbuf_get_width(pb), ph = gdk_pixbuf_get_height(pb);
    if (!w)
        w = MAX(1, (int)lround((double)pw * h / ph));
    if (!h)
        h = MAX(1, (int)lround((double)ph * w / pw));
    g_autoptr(GdkPixbuf) s = gdk_pixbuf_scale_simple(pb, w, h, GDK_INTERP_HYPER);
    const int nc = gdk_pixbuf_get_n_channels(s), stride = gdk_pixbuf_get_rowstride(s);
    const guint8 *px = gdk_pixbuf_read_pixels(s);
    out->w = w;
    out->h = h;
    out->rgba = g_new(guint8, 4 * w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++)
                out->rgba[4 * (y * w + x) + c] = px[y * stride + nc * x + c];
            out->rgba[4 * (y * w + x) + 3] = 255;
        }
    return TRUE;
}

/* RGB planes, 0..255 times `scale`. */
static float *image_planes(const Image *img, float scale)
{
    const int n = img->w * img->h;
    float *rgb = g_new(float, 3 * n);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            rgb[c * n + i] = img->rgba[4 * i + c] * scale;
    return rgb;
}

static char *painting_path(const char *name)
{
    g_autofree char *file = g_strconcat(name, ".jpg", NULL);
    return g_build_filename(VKNN_TEST_SOURCE_DIR, "docs", "images", "paintings", file, NULL);
}

/* ---- style distance --------------------------------------------------------- */

typedef struct {
    int c[N_LAYERS];
    double *g[N_LAYERS]; /* c x c */
} Grams;

static void grams_clear(Grams *g)
{
    for (int l = 0; l < N_LAYERS; l++)
        g_clear_pointer(&g->g[l], g_free);
}

/* G(F) = F F^T / (C*H*W) of a C x N feature map. */
static double *gram(const float *f, int c, int n)
{
    double *g = g_new(double, c *c);
    for (int i = 0; i < c; i++)
        for (int j = i; j < c; j++) {
            const float *a = f + (gsize)i * n, *b = f + (gsize)j * n;
            double s = 0;
            for (int k = 0; k < n; k++)
                s += (double)a[k] * b[k];
            g[i * c + j] = g[j * c + i] = s / ((double)c * n);
        }
    return g;
}

/* The encoder's Gram matrices of an image (RGB 0..1 in, as bench's). */
static gboolean vgg_grams(VknnContext *ctx, VknnModel *vgg, const Image *img, Grams *out)
{
    GError *err = NULL;
    g_autoptr(VknnNet) net = vknn_net_new(ctx, vgg, &err);
    const VknnShape shape = {4, {1, 3, img->h, img->w}};
    g_autofree float *in = image_planes(img, 1.0f / 255);
    const float *inputs[] = {in};
    if (!net || !vknn_net_prepare(net, &shape, &err) || !vknn_net_run(net, inputs, &err)) {
        test_fail("VGG encoder at %dx%d: %s", img->w, img->h, err->message);
        g_error_free(err);
        return FALSE;
    }
    for (int l = 0; l < N_LAYERS; l++) {
        const VknnShape *s = vknn_net_shape(net, layers[l]);
        if (!s || s->rank != 4) {
            test_fail("VGG encoder: no 4-D output %s", layers[l]);
            return FALSE;
        }
        const int c = (int)s->dims[1], n = (int)(s->dims[2] * s->dims[3]);
        g_autofree float *f = g_new(float, (gsize)c *n);
        if (!vknn_net_read(net, layers[l], f, &err)) {
            test_fail("VGG encoder: %s", err->message);
            g_error_free(err);
            return FALSE;
        }
        out->c[l] = c;
        out->g[l] = gram(f, c, n);
    }
    return TRUE;
}

/* Mean over the layers of ||a - p||_F / ||p||_F. */
static double style_distance(const Grams *a, const Grams *p)
{
    double sum = 0;
    for (int l = 0; l < N_LAYERS; l++) {
        double d = 0, n = 0;
        for (int i = 0; i < p->c[l] * p->c[l]; i++) {
            d += (a->g[l][i] - p->g[l][i]) * (a->g[l][i] - p->g[l][i]);
            n += p->g[l][i] * p->g[l][i];
        }
        sum += sqrt(d) / MAX(sqrt(n), 1e-12);
    }
    return sum / N_LAYERS;
}

/* ---- the networks ----------------------------------------------------------- */

/* One frame through a styler with params (NULL: the network as stored). */
static guint8 *stylize(VknnContext *ctx, VknnModel *m, const VknnStyleParams *params,
                       const Image *img, GError **err)
{
    const VknnStyleParams plain = VKNN_STYLE_PARAMS_DEFAULT;
    g_autoptr(VknnStyler) st = vknn_styler_new(ctx, m, err);
    g_autofree guint8 *out = g_new(guint8, 4 * img->w * img->h);
    if (!st || !vknn_styler_prepare(st, img->w, img->h, params ? params : &plain, err) ||
        !vknn_styler_process_bytes(st, VKNN_PIXEL_RGBA, img->rgba, 4 * img->w, out, 4 * img->w,
                                   err))
        return NULL;
    return g_steal_pointer(&out);
}

/* Output size of a stride-2, stride-2, x2, x2 network (TransformerNet, as
 * PyTorch): floor((n - 1) / 2) + 1 twice, then times 4. */
static int contract_size(int n)
{
    const int half = (n - 1) / 2 + 1;
    return ((half - 1) / 2 + 1) * 4;
}

/* (a) The raw network at 1x3x99x75. */
static void check_odd_size(VknnContext *ctx, VknnModel *m, const char *path, const Image *img)
{
    GError *err = NULL;
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
    const VknnShape shape = {4, {1, 3, ODD_H, ODD_W}};
    g_autofree float *in = image_planes(img, 1.0f);
    const float *inputs[] = {in};
    if (!net || !vknn_net_prepare(net, &shape, &err) || !vknn_net_run(net, inputs, &err)) {
        test_fail("%s at %dx%d: %s", path, ODD_H, ODD_W, err->message);
        g_error_free(err);
        return;
    }
    const VknnShape *s = vknn_net_shape(net, "output");
    const int oh = contract_size(ODD_H), ow = contract_size(ODD_W);
    if (!test_check(s && s->rank == 4 && s->dims[0] == 1 && s->dims[1] == 3 && s->dims[2] == oh &&
                        s->dims[3] == ow,
                    "%s: 1x3x%dx%d in, 1x3x%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                    " out (contract: 1x3x%dx%d)",
                    path, ODD_H, ODD_W, s ? s->dims[2] : 0, s ? s->dims[3] : 0, oh, ow))
        return;
    const int n = 3 * oh * ow;
    g_autofree float *out = g_new(float, n);
    if (!vknn_net_read(net, "output", out, &err)) {
        test_fail("%s: %s", path, err->message);
        g_error_free(err);
        return;
    }
    /* Unclamped (the contract): pytorch/examples' networks reach about
     * -190..490. On this photo (the astronaut, dark background) today's
     * starry_night has 1.5 % of its values between -45 and -32, more than on
     * test_builtin's chelsea crop: the bound beyond -32..287 is 5 %, not 1 %. */
    int bad = 0, outside = 0;
    float lo = INFINITY, hi = -INFINITY;
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) {
        bad += !isfinite(out[i]);
        outside += out[i] < -32 || out[i] > 287;
        lo = MIN(lo, out[i]);
        hi = MAX(hi, out[i]);
        mean += CLAMP(out[i], 0.0f, 255.0f);
    }
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (CLAMP(out[i], 0.0f, 255.0f) - mean) * (CLAMP(out[i], 0.0f, 255.0f) - mean);
    const double sd = sqrt(var / n);
    test_check(bad == 0 && lo >= -255 && hi <= 510 && outside < n / 20,
               "%s at 99x75: values %.0f..%.0f (within -255..510), %d not finite (0), %d "
               "(%.2f%%) beyond -32..287 (< 5%%)",
               path, lo, hi, bad, outside, 100.0 * outside / n);
    test_check(sd > 15, "%s at 99x75: not flat, standard deviation %.1f levels (> 15)", path, sd);
}

/* ---- the built-in decoder ----------------------------------------------------- */

static double psnr(const float *a, const float *b, gsize n)
{
    double se = 0;
    for (gsize i = 0; i < n; i++) {
        const double d = CLAMP(a[i], 0.0f, 1.0f) - b[i];
        se += d * d;
    }
    return -10 * log10(fmax(se / n, 1e-12));
}

static int check_decoder(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    GError *err = NULL;
    g_autoptr(VknnModel) enc = vknn_model_load("builtin:vgg19_relu3_1", &err);
    g_autoptr(VknnModel) dec = enc ? vknn_model_load("builtin:decoder_relu3_1", &err) : NULL;
    g_autoptr(VknnUniversalStyler) u =
        dec ? vknn_universal_styler_new(ctx, enc, dec, "relu3_1", &err) : NULL;
    if (!u)
        test_fatal("the built-in encoder and decoder: %s", err->message);
    float *planes[G_N_ELEMENTS(default_styles)] = {0};
    int w[G_N_ELEMENTS(default_styles)], h = PHOTO_H;
    for (guint k = 0; k < G_N_ELEMENTS(default_styles); k++) {
        g_autofree char *path = painting_path(default_styles[k]);
        Image img = {0};
        if (!image_load(path, 0, h, &img))
            continue;
        w[k] = img.w;
        planes[k] = image_planes(&img, 1 / 255.0f);
        image_clear(&img);
        const gsize n = (gsize)3 * w[k] * h;
        g_autofree float *out = g_new(float, n);
        const gboolean ok =
            vknn_universal_styler_set_style(u, planes[k], w[k], h, &err) &&
            vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 0, planes[k], w[k], h, out, &err);
        const double db = ok ? psnr(out, planes[k], n) : 0;
        test_check(ok && db >= DECODER_MIN_PSNR,
                   "%s (%dx%d) reconstructed at %.2f dB (>= %.1f)%s%s", default_styles[k], w[k], h,
                   db, DECODER_MIN_PSNR, err ? ": " : "", err ? err->message : "");
        g_clear_error(&err);
    }
    /* The wave in the style of the Starry Night: the decoder's own output,
     * without the palette step (test_wct checks that; it may move a few
     * colours past 0..1, which the frame's clamp takes). */
    vknn_universal_styler_set_palette(u, FALSE);
    if (planes[0] && planes[1]) {
        const gsize n = (gsize)3 * w[1] * h;
        g_autofree float *out = g_new(float, n);
        const gboolean ok =
            vknn_universal_styler_set_style(u, planes[0], w[0], h, &err) &&
            vknn_universal_styler_run(u, VKNN_TRANSFORM_WCT, 1, planes[1], w[1], h, out, &err);
        gsize outside = 0, finite = 0;
        double moved = 0;
        for (gsize i = 0; ok && i < n; i++) {
            finite += isfinite(out[i]);
            outside += out[i] < -0.1f || out[i] > 1.1f;
            moved += fabs(CLAMP(out[i], 0.0f, 1.0f) - planes[1][i]);
        }
        test_check(ok && finite == n && outside <= n / 100 && moved / n > 0.05,
                   "WCT, the wave in the Starry Night's style: finite, %.2f%% outside -0.1..1.1, "
                   "moved by %.3f on average%s%s",
                   ok ? 100.0 * outside / n : 0, ok ? moved / n : 0, err ? ": " : "",
                   err ? err->message : "");
        g_clear_error(&err);
    }
    for (guint k = 0; k < G_N_ELEMENTS(default_styles); k++)
        g_free(planes[k]);
    return test_summary(0);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "decoder"))
        return check_decoder();
    g_autofree char *vgg_path = test_shared_path("models/vgg/vgg19_normalised_relu3_1.onnx");
    if (!vgg_path)
        return test_summary(TEST_SKIP);
    char *photo_path[N_PHOTOS] = {0};
    for (int p = 0; p < N_PHOTOS; p++) {
        g_autofree char *rel = g_build_filename("media", "photos", photo_names[p], NULL);
        if (!(photo_path[p] = test_shared_path(rel))) {
            for (int q = 0; q < p; q++)
                g_free(photo_path[q]);
            return test_summary(TEST_SKIP);
        }
    }
    const char *multi_name = argc > 1 ? argv[1] : DEFAULT_MULTI;
    const char *const *names = argc > 2 ? (const char *const *)argv + 2 : default_styles;
    const int n_styles = argc > 2 ? argc - 2 : (int)G_N_ELEMENTS(default_styles);

    g_autoptr(VknnContext) ctx = test_context();
    GError *err = NULL;
    g_autoptr(VknnModel) vgg = vknn_model_load(vgg_path, &err);
    if (!vgg)
        test_fatal("%s: %s", vgg_path, err->message);

    Image photos[N_PHOTOS] = {0}, odd = {0};
    Grams photo_grams[N_PHOTOS] = {0};
    for (int p = 0; p < N_PHOTOS; p++)
        if (!image_load(photo_path[p], 0, PHOTO_H, &photos[p]) ||
            !vgg_grams(ctx, vgg, &photos[p], &photo_grams[p]))
            test_fatal("%s: cannot compute its features", photo_path[p]);
    if (!image_load(photo_path[0], ODD_W, ODD_H, &odd))
        test_fatal("%s: cannot load", photo_path[0]);

    /* The single styles' frames of photo 0, for (c). */
    guint8 **single = g_new0(guint8 *, n_styles);
    for (int k = 0; k < n_styles; k++) {
        g_autofree char *path = g_strconcat("builtin:", names[k], NULL);
        g_autofree char *painting = painting_path(names[k]);
        g_autoptr(VknnModel) m = vknn_model_load(path, &err);
        if (!m) {
            test_fail("%s: %s", path, err->message);
            g_clear_error(&err);
            continue;
        }
        test_check(vknn_style_count(m) == 1, "%s: a single-style network (%d styles)", path,
                   vknn_style_count(m));
        check_odd_size(ctx, m, path, &odd);

        Image pimg = {0};
        Grams target = {0};
        if (!image_load(painting, 0, 0, &pimg))
            continue;
        /* The painting at STYLE_SIZE on its shorter side. */
        const gboolean tall = pimg.h > pimg.w;
        image_clear(&pimg);
        if (!image_load(painting, tall ? STYLE_SIZE : 0, tall ? 0 : STYLE_SIZE, &pimg) ||
            !vgg_grams(ctx, vgg, &pimg, &target)) {
            image_clear(&pimg);
            continue;
        }
        for (int p = 0; p < N_PHOTOS; p++) {
            g_autofree guint8 *out = stylize(ctx, m, NULL, &photos[p], &err);
            if (!out) {
                test_fail("%s on %s: %s", path, photo_names[p], err->message);
                g_clear_error(&err);
                continue;
            }
            const Image s = {photos[p].w, photos[p].h, out};
            Grams sg = {0};
            if (!vgg_grams(ctx, vgg, &s, &sg))
                continue;
            const double d0 = style_distance(&photo_grams[p], &target);
            const double d = style_distance(&sg, &target);
            const double bound = (d0 + GOAL) / 2;
            printf("style distance to %s (%dx%d): %s %dx%d: photo d0 %.3f, stylised d %.3f, "
                   "bound %.3f\n",
                   names[k], pimg.w, pimg.h, photo_names[p], s.w, s.h, d0, d, bound);
            test_check(d <= bound,
                       "%s on %s: style distance %.3f <= %.3f = (photo's %.3f + goal %.2f) / 2",
                       path, photo_names[p], d, bound, d0, GOAL);
            grams_clear(&sg);
            if (p == 0)
                single[k] = g_steal_pointer(&out);
        }
        grams_clear(&target);
        image_clear(&pimg);
    }

    /* (c) The multi-style network at one-hot weights. */
    g_autofree char *mpath = g_strconcat("builtin:", multi_name, NULL);
    g_autoptr(VknnModel) multi = vknn_model_load(mpath, &err);
    if (!multi) {
        test_fail("%s: %s", mpath, err->message);
        g_clear_error(&err);
    } else if (test_check(vknn_style_count(multi) == n_styles, "%s: %d styles (%d)", mpath,
                          vknn_style_count(multi), n_styles)) {
        const Image *img = &photos[0];
        for (int k = 0; k < n_styles; k++) {
            VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
            p.n_styles = n_styles;
            p.style_weights[k] = 1.0f;
            g_autofree guint8 *got = stylize(ctx, multi, &p, img, &err);
            if (!got) {
                test_fail("%s style %d: %s", mpath, k, err->message);
                g_clear_error(&err);
                continue;
            }
            if (!single[k]) {
                test_fail("%s style %d: builtin:%s gave no frame to compare with", mpath, k,
                          names[k]);
                continue;
            }
            int d = 0;
            for (int i = 0; i < 4 * img->w * img->h; i++)
                d = MAX(d, abs(got[i] - single[k][i]));
            test_check(d <= 1, "%s with style %d one-hot = builtin:%s on %s (max diff %d <= 1)",
                       mpath, k, names[k], photo_names[0], d);
        }
    }

    for (int k = 0; k < n_styles; k++)
        g_free(single[k]);
    g_free(single);
    for (int p = 0; p < N_PHOTOS; p++) {
        grams_clear(&photo_grams[p]);
        image_clear(&photos[p]);
        g_free(photo_path[p]);
    }
    image_clear(&odd);
    return test_summary(0);
}
