/* The frame-level styler (style.h) on 8-bit frames in memory, on candy_nc8
 * from ../shared or, without it (a fresh clone), the built-in wave network:
 *  - with ../shared, the golden 96x128 frame through candy_nc8 equals
 *    PyTorch's output, clamped and rounded to 8 bits (within 1 LSB);
 *  - BGRA and RGBx byte orders give the same picture;
 *  - an odd frame size (99x75) comes back at its own size and equals the CPU
 *    reference run on the edge-extended 100x76 frame, cropped;
 *  - strength 0 returns the input; preserve-colors keeps the input's chroma;
 *  - a lower inference scale still returns a full-size stylised frame.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* NCHW float 0..255 -> RGBA bytes (alpha a). */
static guint8 *to_rgba(const float *planes, int w, int h, guint8 a)
{
    guint8 *px = g_malloc((gsize)w * h * 4);
    for (int i = 0; i < w * h; i++) {
        for (int c = 0; c < 3; c++)
            px[i * 4 + c] = (guint8)lrintf(CLAMP(planes[(gsize)c * w * h + i], 0.0f, 255.0f));
        px[i * 4 + 3] = a;
    }
    return px;
}

static int max_byte_diff(const guint8 *a, const guint8 *b, gsize n, int stride, int skip_lane)
{
    int m = 0;
    for (gsize i = 0; i < n; i++)
        if (skip_lane < 0 || (int)(i % stride) != skip_lane)
            m = MAX(m, abs(a[i] - b[i]));
    return m;
}

static guint8 *stylize(VknnStyler *s, const guint8 *in, int w, int h, VknnPixelFormat fmt,
                       const VknnStyleParams *p)
{
    GError *err = NULL;
    guint8 *out = g_malloc0((gsize)w * h * 4);
    if (!vknn_styler_prepare(s, w, h, p, &err) ||
        !vknn_styler_process_bytes(s, fmt, in, w * 4, out, w * 4, &err))
        test_fatal("styler: %s", err->message);
    return out;
}

static void swap_rb(guint8 *px, int n)
{
    for (int i = 0; i < n; i++) {
        const guint8 t = px[i * 4];
        px[i * 4] = px[i * 4 + 2];
        px[i * 4 + 2] = t;
    }
}

/* golden: whether the styler runs candy_nc8 (whose PyTorch output is in
 * ../shared); otherwise the byte orders are checked on a random frame. */
static void test_golden(VknnStyler *s, gboolean golden)
{
    g_autofree char *ip = golden ? test_shared_path("golden/style_in_1x3x96x128.f32") : NULL;
    g_autofree char *op = golden ? test_shared_path("golden/candy_nc8_out_1x3x96x128.f32") : NULL;
    const int w = 128, h = 96;
    g_autofree float *in_f = NULL;
    if (ip && op) {
        in_f = test_read_f32(ip, 3 * w * h);
    } else {
        in_f = g_new(float, 3 * w * h);
        test_fill_random(in_f, 3 * w * h, 3, 0, 255);
    }
    g_autofree guint8 *in = to_rgba(in_f, w, h, 200);
    const VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;

    g_autofree guint8 *got = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    if (ip && op) {
        g_autofree float *want_f = test_read_f32(op, 3 * w * h);
        g_autofree guint8 *want = to_rgba(want_f, w, h, 200);
        test_check(
            max_byte_diff(got, want, (gsize)w * h * 4, 4, -1) <= 1,
            "RGBA 128x96 equals PyTorch (clamped, rounded) within 1 LSB, alpha kept (max diff %d)",
            max_byte_diff(got, want, (gsize)w * h * 4, 4, -1));
    }

    g_autofree guint8 *bgra = g_memdup2(in, (gsize)w * h * 4);
    swap_rb(bgra, w * h);
    g_autofree guint8 *got_bgra = stylize(s, bgra, w, h, VKNN_PIXEL_BGRA, &p);
    swap_rb(got_bgra, w * h);
    test_check(memcmp(got_bgra, got, (gsize)w * h * 4) == 0, "BGRA gives the same picture");

    g_autofree guint8 *got_x = stylize(s, in, w, h, VKNN_PIXEL_RGBX, &p);
    gboolean alpha_255 = TRUE;
    for (int i = 0; i < w * h; i++)
        alpha_255 &= got_x[i * 4 + 3] == 255;
    test_check(alpha_255 && max_byte_diff(got_x, got, (gsize)w * h * 4, 4, 3) == 0,
               "RGBx: same colours, padding byte 255");
}

/* CPU reference on the frame edge-extended to multiples of 4, cropped back. */
static guint8 *reference_odd(VknnModel *m, const guint8 *in, int w, int h, int nw, int nh)
{
    g_autofree float *x = g_new(float, 3 * nw * nh);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < nh; y++)
            for (int xx = 0; xx < nw; xx++)
                x[((gsize)c * nh + y) * nw + xx] = in[(MIN(y, h - 1) * w + MIN(xx, w - 1)) * 4 + c];
    GError *err = NULL;
    VknnRefTensor t = {{4, {1, 3, nh, nw}}, x};
    GHashTable *res = vknn_ref_run(m, &t, &err);
    g_assert_no_error(err);
    const VknnRefTensor *y = g_hash_table_lookup(res, "output");
    guint8 *out = g_malloc((gsize)w * h * 4);
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            for (int c = 0; c < 3; c++)
                out[(yy * w + xx) * 4 + c] =
                    (guint8)lrintf(CLAMP(y->data[((gsize)c * nh + yy) * nw + xx], 0.0f, 255.0f));
            out[(yy * w + xx) * 4 + 3] = in[(yy * w + xx) * 4 + 3];
        }
    g_hash_table_unref(res);
    return out;
}

static void test_odd_size(VknnStyler *s, VknnModel *m)
{
    const int w = 75, h = 99;
    g_autofree float *f = g_new(float, 3 * w * h);
    test_fill_random(f, 3 * w * h, 11, 0, 255);
    g_autofree guint8 *in = to_rgba(f, w, h, 255);
    const VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
    g_autofree guint8 *got = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    int nw, nh;
    vknn_styler_inference_size(s, &nw, &nh);
    g_autofree guint8 *want = reference_odd(m, in, w, h, nw, nh);
    const int d = max_byte_diff(got, want, (gsize)w * h * 4, 4, -1);
    test_check(
        nw == 76 && nh == 100 && d <= 1,
        "75x99 frame runs at %dx%d, comes back 75x99, equals the CPU reference (max diff %d)", nw,
        nh, d);
}

static void rgb_to_cbcr(const guint8 *px, float *cb, float *cr)
{
    *cb = -0.168736f * px[0] - 0.331264f * px[1] + 0.5f * px[2];
    *cr = 0.5f * px[0] - 0.418688f * px[1] - 0.081312f * px[2];
}

static void test_params(VknnStyler *s)
{
    const int w = 64, h = 48;
    g_autofree float *f = g_new(float, 3 * w * h);
    test_fill_random(f, 3 * w * h, 5, 30, 220);
    g_autofree guint8 *in = to_rgba(f, w, h, 255);
    VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
    g_autofree guint8 *full = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    p.strength = 0.0f;
    g_autofree guint8 *none = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    test_check(max_byte_diff(none, in, (gsize)w * h * 4, 4, -1) == 0,
               "strength 0 returns the input");
    p.strength = 0.5f;
    g_autofree guint8 *half = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    int worst = 0;
    for (int i = 0; i < w * h * 4; i++)
        worst = MAX(worst, abs(2 * half[i] - in[i] - full[i]));
    test_check(worst <= 2, "strength 0.5 is the midpoint of input and stylised (max error %d/2)",
               worst);

    p.strength = 1.0f;
    p.preserve_colors = TRUE;
    g_autofree guint8 *keep = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    double chroma_keep = 0, chroma_full = 0;
    for (int i = 0; i < w * h; i++) {
        float cb0, cr0, cb1, cr1, cb2, cr2;
        rgb_to_cbcr(in + i * 4, &cb0, &cr0);
        rgb_to_cbcr(keep + i * 4, &cb1, &cr1);
        rgb_to_cbcr(full + i * 4, &cb2, &cr2);
        chroma_keep += fabsf(cb1 - cb0) + fabsf(cr1 - cr0);
        chroma_full += fabsf(cb2 - cb0) + fabsf(cr2 - cr0);
    }
    chroma_keep /= w * h;
    chroma_full /= w * h;
    test_check(chroma_keep < 0.25 * chroma_full,
               "preserve-colors keeps the input's chroma (mean |dCbCr| %.1f vs %.1f without)",
               chroma_keep, chroma_full);

    p.preserve_colors = FALSE;
    p.scale = 0.5f;
    g_autofree guint8 *small = stylize(s, in, w, h, VKNN_PIXEL_RGBA, &p);
    int nw, nh;
    vknn_styler_inference_size(s, &nw, &nh);
    test_check(nw == 32 && nh == 24 && max_byte_diff(small, in, (gsize)w * h * 4, 4, 3) > 40,
               "scale 0.5 runs the network at %dx%d and returns a stylised %dx%d frame", nw, nh, w,
               h);
}

int main(void)
{
    g_autofree char *mp = test_shared_path("models/style/small/candy_nc8.onnx");
    const gboolean candy = mp != NULL;
    if (!candy)
        mp = g_strdup("builtin:wave");
    printf("model: %s\n", mp);
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(mp, &err);
    g_assert_no_error(err);
    g_autoptr(VknnContext) ctx = test_context();
    VknnStyler *s = vknn_styler_new(ctx, m, &err);
    g_assert_no_error(err);
    test_golden(s, candy);
    test_odd_size(s, m);
    test_params(s);
    vknn_styler_free(s);
    return test_summary(0);
}
