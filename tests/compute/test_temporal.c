/* Temporal stabilisation's device flow, warp and mask (compute/apps/
 * temporal.c) on synthetic frames whose motion is known exactly, and against
 * the CPU reference of the same flow algorithm (vknn_ref_flow).
 *
 *   test_temporal        (needs no ../shared)
 */
#include "testutil.h"
#include "apps/temporal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Frame size of the current check (128x96; larger where the flow stops at a
 * coarser level). */
static int W = 128, H = 96;
#define MARGIN 8 /* border pixels left out of flow checks: they see the clamp */

/* A smooth texture with structure in every direction (grey 0..255). */
static float texture(float x, float y)
{
    /* The same picture at every frame size (finer at larger sizes, as a
     * camera's would be), so coarse pyramid levels do not alias it. */
    x *= 128.0f / W;
    y *= 128.0f / W;
    return 128.0f + 40.0f * sinf(0.21f * x + 0.05f * y) + 35.0f * sinf(0.17f * y - 0.11f * x) +
           25.0f * sinf(0.31f * (x + y)) + 15.0f * cosf(0.43f * x - 0.29f * y);
}

typedef float (*Scene)(float x, float y, const float *motion);

/* Frame content moved by (motion[0], motion[1]). */
static float shifted(float x, float y, const float *m)
{
    return texture(x - m[0], y - m[1]);
}

/* Frame content rotated by motion[0] radians about the centre. */
static float rotated(float x, float y, const float *m)
{
    const float cx = W / 2.0f, cy = H / 2.0f, c = cosf(m[0]), s = sinf(m[0]);
    const float dx = x - cx, dy = y - cy; /* source = R^-1 (x - c) + c */
    return texture(cx + c * dx + s * dy, cy - s * dx + c * dy);
}

/* A 24-px square of its own pattern at x = 40 + motion[0], over a still
 * background. */
static float square(float x, float y, const float *m)
{
    const float x0 = 40.0f + m[0], y0 = 36.0f;
    if (x >= x0 && x < x0 + 24 && y >= y0 && y < y0 + 24)
        return 60.0f + 50.0f * sinf(0.9f * (x - x0)) * cosf(0.7f * (y - y0));
    return texture(x, y);
}

static void render(Scene scene, const float *motion, float *grey)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            grey[y * W + x] = scene((float)x, (float)y, motion);
}

/* A [1,3,H,W] tensor (grey in R, G and B) on the device. */
static VknnTensor tensor_new(VknnContext *ctx)
{
    GError *err = NULL;
    VknnTensor t = {0};
    vknn_tensor_set_shape(&t, &(VknnShape){4, {1, 3, H, W}});
    t.buffer = vknn_buffer_new(ctx, t.bytes, VKNN_MEM_DEVICE, &err);
    g_assert_no_error(err);
    g_assert(vknn_tensor_make_view(ctx, &t, &err));
    return t;
}

static void tensor_free(VknnContext *ctx, VknnTensor *t)
{
    vknn_tensor_release_view(ctx, t);
    vknn_buffer_free(ctx, &t->buffer);
}

static void upload_grey(VknnContext *ctx, VknnTensor *t, const float *grey)
{
    GError *err = NULL;
    g_autofree float *packed = g_new0(float, W *H * 4);
    for (int i = 0; i < W * H; i++)
        packed[4 * i] = packed[4 * i + 1] = packed[4 * i + 2] = grey[i];
    g_assert(vknn_upload(ctx, t->buffer, 0, packed, t->bytes, &err));
}

typedef struct {
    VknnContext *ctx;
    VknnTemporal *temporal;
    VknnTensor input, output;
    VknnCmd *cmd;
    const VknnTensor *stable;
} Fixture;

static void fixture_open(Fixture *f, VknnContext *ctx)
{
    GError *err = NULL;
    f->ctx = ctx;
    f->temporal = vknn_temporal_new(ctx);
    g_assert(vknn_temporal_prepare(f->temporal, W, H, W, H, &err));
    f->input = tensor_new(ctx);
    f->output = tensor_new(ctx);
    f->cmd = vknn_cmd_new(ctx, &err);
    f->stable = vknn_temporal_record(f->temporal, f->cmd, &f->input, &f->output);
    g_assert(vknn_cmd_end(f->cmd, &err));
}

static void fixture_close(Fixture *f)
{
    vknn_cmd_free(&f->cmd);
    tensor_free(f->ctx, &f->input);
    tensor_free(f->ctx, &f->output);
    vknn_temporal_free(f->temporal);
}

/* One frame: input grey, network output `out` (grey too), blend weight. */
static void run_frame(Fixture *f, const float *grey, const float *out, float strength)
{
    GError *err = NULL;
    upload_grey(f->ctx, &f->input, grey);
    upload_grey(f->ctx, &f->output, out);
    vknn_temporal_begin_frame(f->temporal, strength);
    g_assert(vknn_cmd_submit_wait(f->cmd, &err));
    vknn_temporal_end_frame(f->temporal);
}

/* Mean end-point error of flow (fw x fh x 2, in its own pixels) against
 * expected(x, y) (frame pixels) in the interior. */
static double mean_epe(const float *flow, int fw, int fh,
                       void (*expected)(int, int, const float *, float *), const float *motion)
{
    const float scale = (float)W / fw; /* frame pixels per flow pixel */
    double sum = 0;
    int n = 0;
    for (int y = MARGIN; y < fh - MARGIN; y++)
        for (int x = MARGIN; x < fw - MARGIN; x++, n++) {
            float e[2];
            expected((int)lrintf((x + 0.5f) * scale - 0.5f), (int)lrintf((y + 0.5f) * scale - 0.5f),
                     motion, e);
            sum += hypot(flow[2 * (y * fw + x)] * scale - e[0],
                         flow[2 * (y * fw + x) + 1] * scale - e[1]);
        }
    return sum / n;
}

/* Backward flows (current frame -> previous) of the two scenes. */
static void shift_back(int x, int y, const float *m, float *e)
{
    e[0] = -m[0], e[1] = -m[1];
}

static void rotation_back(int x, int y, const float *m, float *e)
{
    const float cx = W / 2.0f, cy = H / 2.0f, c = cosf(m[0]), s = sinf(m[0]);
    const float dx = x - cx, dy = y - cy;
    e[0] = cx + c * dx + s * dy - x;
    e[1] = cy - s * dx + c * dy - y;
}

static void check_flow(VknnContext *ctx, const char *what, Scene scene, const float *motion,
                       void (*expected)(int, int, const float *, float *))
{
    Fixture f;
    fixture_open(&f, ctx);
    const float still[2] = {0, 0};
    g_autofree float *prev = g_new(float, W *H), *cur = g_new(float, W *H);
    render(scene, still, prev);
    render(scene, motion, cur);
    run_frame(&f, prev, prev, 1.0f);
    run_frame(&f, cur, cur, 1.0f);
    int fw, fh;
    vknn_temporal_flow_size(f.temporal, &fw, &fh);
    g_autofree float *bwd = g_new(float, fw *fh * 2), *fwd = g_new(float, fw *fh * 2);
    GError *err = NULL;
    g_assert(vknn_temporal_read(f.temporal, bwd, fwd, NULL, &err));

    const double epe = mean_epe(bwd, fw, fh, expected, motion);
    test_check(epe < 0.25,
               "%s at %dx%d: backward flow (%dx%d) mean end-point error %.3f px (< 0.25)", what, W,
               H, fw, fh, epe);

    g_autofree float *ref = g_new(float, fw *fh * 2);
    vknn_ref_flow(cur, prev, W, H, vknn_flow_levels(W, H), vknn_flow_finest_level(W, H),
                  VKNN_FLOW_ITERATIONS, VKNN_FLOW_LAMBDA, ref);
    double worst = 0, sum = 0;
    for (int i = 0; i < fw * fh * 2; i++) {
        worst = MAX(worst, fabsf(bwd[i] - ref[i]));
        sum += fabsf(bwd[i] - ref[i]);
    }
    test_check(worst < 0.05, "%s: device flow = CPU reference (max diff %.2g px, mean %.2g)", what,
               worst, sum / (fw * fh * 2));
    fixture_close(&f);
}

static float *read_stable(const Fixture *f)
{
    GError *err = NULL;
    g_autofree float *packed = g_new(float, W *H * 4);
    g_assert(vknn_download(f->ctx, f->stable->buffer, f->stable->offset, packed, W * H * 16, &err));
    float *grey = g_new(float, W *H);
    for (int i = 0; i < W * H; i++)
        grey[i] = packed[4 * i];
    return grey;
}

static float bilinear(const float *img, float x, float y)
{
    x = CLAMP(x, 0.0f, W - 1.0f);
    y = CLAMP(y, 0.0f, H - 1.0f);
    const int x0 = (int)x, y0 = (int)y, x1 = MIN(x0 + 1, W - 1), y1 = MIN(y0 + 1, H - 1);
    const float fx = x - x0, fy = y - y0;
    return (img[y0 * W + x0] * (1 - fx) + img[y0 * W + x1] * fx) * (1 - fy) +
           (img[y1 * W + x0] * (1 - fx) + img[y1 * W + x1] * fx) * fy;
}

/* Frame 1's output P is warped into frame 2 along the backward flow where
 * the mask is 1 (strength 1, frame 2's own output 0): the result must be a
 * bilinear warp of P by the flow the device reports, and the mask must
 * cover the interior of a pure shift. Then a reset: the next frame is the
 * network's output exactly. */
static void check_warp(VknnContext *ctx)
{
    Fixture f;
    fixture_open(&f, ctx);
    const float still[2] = {0, 0}, motion[2] = {2.5f, 1.0f};
    g_autofree float *prev = g_new(float, W *H), *cur = g_new(float, W *H);
    g_autofree float *p = g_new(float, W *H), *zero = g_new0(float, W *H);
    render(shifted, still, prev);
    render(shifted, motion, cur);
    for (int i = 0; i < W * H; i++)
        p[i] = 255.0f - 0.5f * prev[i] + (float)(i % 7);
    run_frame(&f, prev, p, 1.0f);
    run_frame(&f, cur, zero, 1.0f);
    g_autofree float *bwd = g_new(float, W *H * 2), *mask = g_new(float, W *H);
    GError *err = NULL;
    g_assert(vknn_temporal_read(f.temporal, bwd, NULL, mask, &err));
    g_autofree float *stable = read_stable(&f);
    double worst = 0;
    int covered = 0, interior = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int i = y * W + x;
            const float want = mask[i] > 0 ? bilinear(p, x + bwd[2 * i], y + bwd[2 * i + 1]) : 0.0f;
            worst = MAX(worst, fabsf(stable[i] - want));
            if (x >= MARGIN && x < W - MARGIN && y >= MARGIN && y < H - MARGIN) {
                interior++;
                covered += mask[i] > 0;
            }
        }
    test_check(worst < 1e-3,
               "warp: stable output = CPU bilinear warp of the previous output by "
               "the flow, where masked (max diff %.2g)",
               worst);
    test_check(covered > 0.98 * interior, "warp: mask covers %.1f%% of a shift's interior (> 98%%)",
               100.0 * covered / interior);

    vknn_temporal_reset(f.temporal);
    run_frame(&f, prev, p, 1.0f);
    g_autofree float *first = read_stable(&f);
    test_check(memcmp(first, p, sizeof(float) * W * H) == 0,
               "after a reset the output is the network's, bit for bit");
    fixture_close(&f);
}

/* A square moves 6 px right over a still background: the strip it uncovers
 * was not in the previous frame, so the mask must leave it out, and keep
 * the still background. */
static void check_occlusion(VknnContext *ctx)
{
    Fixture f;
    fixture_open(&f, ctx);
    const float still[2] = {0, 0}, motion[2] = {6.0f, 0.0f};
    g_autofree float *prev = g_new(float, W *H), *cur = g_new(float, W *H);
    render(square, still, prev);
    render(square, motion, cur);
    run_frame(&f, prev, prev, 1.0f);
    run_frame(&f, cur, cur, 1.0f);
    g_autofree float *mask = g_new(float, W *H);
    GError *err = NULL;
    g_assert(vknn_temporal_read(f.temporal, NULL, NULL, mask, &err));
    int strip = 0, strip_out = 0, background = 0, background_in = 0;
    for (int y = MARGIN; y < H - MARGIN; y++)
        for (int x = MARGIN; x < W - MARGIN; x++) {
            const gboolean uncovered = x >= 41 && x < 45 && y >= 37 && y < 59;
            const gboolean far = x < 30 || x >= 80 || y < 26 || y >= 70;
            strip += uncovered;
            strip_out += uncovered && mask[y * W + x] == 0;
            background += far;
            background_in += far && mask[y * W + x] > 0;
        }
    test_check(strip_out > 0.9 * strip,
               "occlusion: %d of %d pixels the square uncovers are masked out", strip_out, strip);
    test_check(background_in > 0.98 * background,
               "occlusion: %.1f%% of the still background away from the square is kept",
               100.0 * background_in / background);
    fixture_close(&f);
}

/* RGBA frame of the texture moved by `shift` px, with Gaussian noise of
 * sigma 3 levels (a sensor's), seeded per frame. */
static guint8 *noisy_frame(int w, int h, float shift, guint32 seed)
{
    GRand *rng = g_rand_new_with_seed(seed);
    guint8 *px = g_new(guint8, (gsize)w * h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const double u1 = g_rand_double(rng) + 1e-12, u2 = g_rand_double(rng);
            const double noise = 3.0 * sqrt(-2 * log(u1)) * cos(2 * G_PI * u2);
            const float v = texture(x * 0.6f - shift, y * 0.6f);
            guint8 *p = px + ((gsize)y * w + x) * 4;
            p[0] = (guint8)CLAMP(v + noise, 0, 255);
            p[1] = (guint8)CLAMP(0.8 * v + noise + 20, 0, 255);
            p[2] = (guint8)CLAMP(255 - v + noise, 0, 255);
            p[3] = 255;
        }
    g_rand_free(rng);
    return px;
}

/* Mean absolute difference of two RGB frames, in levels. */
static double frame_change(const guint8 *a, const guint8 *b, int n_pixels)
{
    double sum = 0;
    for (int i = 0; i < n_pixels; i++)
        for (int c = 0; c < 3; c++)
            sum += abs(a[4 * i + c] - b[4 * i + c]);
    return sum / (3.0 * n_pixels);
}

/* A static shot with sensor noise through a built-in style network: with
 * VKNN_TEMPORAL_FLOW the output changes much less from frame to frame; and
 * after vknn_styler_reset_history a frame is stylised exactly as without
 * stabilisation. */
static void check_styler(VknnContext *ctx)
{
    enum { SW = 96, SH = 64, FRAMES = 14 };
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load("builtin:starry_night", &err);
    g_assert_no_error(err);
    double change[2] = {0, 0};
    g_autofree guint8 *last_plain = NULL, *first_again = NULL;
    for (int mode = 0; mode < 2; mode++) {
        g_autoptr(VknnStyler) st = vknn_styler_new(ctx, m, &err);
        VknnStyleParams params = VKNN_STYLE_PARAMS_DEFAULT;
        params.temporal = mode ? VKNN_TEMPORAL_FLOW : VKNN_TEMPORAL_OFF;
        g_assert(vknn_styler_prepare(st, SW, SH, &params, &err));
        guint8 *out[2] = {g_new(guint8, SW * SH * 4), g_new(guint8, SW * SH * 4)};
        for (int f = 0; f < FRAMES; f++) {
            g_autofree guint8 *in = noisy_frame(SW, SH, 0.0f, 100 + f);
            g_assert(vknn_styler_process_bytes(st, VKNN_PIXEL_RGBA, in, SW * 4, out[f % 2], SW * 4,
                                               &err));
            if (f >= 6) /* after the first frames have settled */
                change[mode] += frame_change(out[0], out[1], SW * SH) / (FRAMES - 6);
        }
        if (mode == 0) {
            last_plain = g_memdup2(out[(FRAMES - 1) % 2], SW * SH * 4);
        } else {
            g_autofree guint8 *in = noisy_frame(SW, SH, 0.0f, 100 + FRAMES - 1);
            vknn_styler_reset_history(st);
            first_again = g_new(guint8, SW * SH * 4);
            g_assert(vknn_styler_process_bytes(st, VKNN_PIXEL_RGBA, in, SW * 4, first_again, SW * 4,
                                               &err));
        }
        g_free(out[0]);
        g_free(out[1]);
    }
    test_check(change[1] < change[0] / 2,
               "static noisy shot: frame-to-frame change %.2f levels per-frame, %.2f with "
               "temporal flow (< half)",
               change[0], change[1]);
    test_check(memcmp(last_plain, first_again, SW * SH * 4) == 0,
               "after vknn_styler_reset_history a frame is stylised as without stabilisation");
}

int main(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    printf("device: %s, %dx%d, %d levels\n", vknn_context_device_name(ctx), W, H,
           vknn_flow_levels(W, H));
    check_flow(ctx, "shift (1.3, -0.7)", shifted, (const float[]){1.3f, -0.7f}, shift_back);
    check_flow(ctx, "shift (5.5, 3)", shifted, (const float[]){5.5f, 3.0f}, shift_back);
    check_flow(ctx, "rotation 2 deg", rotated, (const float[]){2.0f * (float)G_PI / 180.0f},
               rotation_back);
    /* Above VKNN_FLOW_MAX_PIXELS the flow stops at half size. */
    W = 480, H = 360;
    check_flow(ctx, "shift (3.2, -1.6)", shifted, (const float[]){3.2f, -1.6f}, shift_back);
    W = 128, H = 96;
    check_warp(ctx);
    check_occlusion(ctx);
    check_styler(ctx);
    test_check(vknn_live_buffers() == 0, "every device buffer was released (%d left)",
               vknn_live_buffers());
    return test_summary(0);
}
