/* Heatmap overlays on video frames: colormaps, and the VknnOverlay that
 * draws a scalar map over a frame in one dispatch (overlay*.comp). */
#include "apps/frame.h"

#include <vknn/overlay.h>
#include "overlay_bytes.comp.spv.h"
#include "overlay_image.comp.spv.h"
#include "overlay_image_bytes.comp.spv.h"

#include <math.h>
#include <string.h>

/* ---- colormaps ---------------------------------------------------------------
 *
 * turbo:   the polynomial approximation of Google's Turbo by Ruofei Du
 *          (Copyright 2019 Google LLC, Apache-2.0; colormap design Anton
 *          Mikhailov), https://ai.googleblog.com/2019/08/turbo-improved-rainbow-colormap-for.html
 *          and https://gist.github.com/mikhailov-work/0d177465a8151eb6ede1768d51d476c7
 * viridis, inferno: degree-6 polynomial fits by Matt Zucker
 *          (https://www.shadertoy.com/view/WlfXRN, CC0) of the matplotlib maps
 *          of van der Walt and Smith (https://github.com/BIDS/colormap, CC0).
 * jet:     matplotlib's piecewise-linear definition (_cm.py, _jet_data).
 * gray:    v, v, v.
 * Coefficients in ascending powers of v, one row per channel (R, G, B). */

static const double turbo_coef[3][6] = {
    {0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943},
    {0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604},
    {0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973},
};

static const double viridis_coef[3][7] = {
    {0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486,
     6.228269936347081, 4.776384997670288, -5.435455855934631},
    {0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585,
     14.17993336680509, -13.74514537774601, 4.645852612178535},
    {0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987,
     56.69055260068105, -65.35303263337234, 26.3124352495832},
};

static const double inferno_coef[3][7] = {
    {0.0002189403691192265, 0.1065134194856116, 11.60249308247187, -41.70399613139459,
     77.162935699427, -71.31942824499214, 25.13112622477341},
    {0.001651004631001012, 0.5639564367884091, -3.972853965665698, 17.43639888205313,
     -33.40235894210092, 32.62606426397723, -12.24266895238567},
    {-0.01948089843709184, 3.932712388889277, -15.9423941062914, 44.35414519872813,
     -81.80730925738993, 73.20951985803202, -23.07032500287172},
};

/* jet: (v, value) knots per channel, linear in between. */
typedef struct {
    double x, y;
} Knot;
static const Knot jet_r[] = {{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}};
static const Knot jet_g[] = {{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}};
static const Knot jet_b[] = {{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}};

static double horner(const double *c, int n, double x)
{
    double r = c[n - 1];
    for (int i = n - 2; i >= 0; i--)
        r = r * x + c[i];
    return r;
}

static double piecewise(const Knot *k, int n, double x)
{
    for (int i = 1; i < n; i++)
        if (x <= k[i].x)
            return k[i - 1].y + (k[i].y - k[i - 1].y) * (x - k[i - 1].x) / (k[i].x - k[i - 1].x);
    return k[n - 1].y;
}

static const char *const colormap_names[] = {"turbo", "jet", "inferno", "viridis", "gray"};
#define N_COLORMAPS G_N_ELEMENTS(colormap_names)

gboolean vknn_colormap_from_string(const char *name, VknnColormap *out)
{
    for (guint i = 0; name && i < N_COLORMAPS; i++)
        if (g_ascii_strcasecmp(name, colormap_names[i]) == 0) {
            *out = (VknnColormap)i;
            return TRUE;
        }
    return FALSE;
}

const char *vknn_colormap_to_string(VknnColormap cm)
{
    return (guint)cm < N_COLORMAPS ? colormap_names[cm] : "unknown";
}

void vknn_colormap_rgb(VknnColormap cm, float v, guint8 rgb[3])
{
    const double x = v > 0.0f ? (v < 1.0f ? v : 1.0) : 0.0; /* NaN -> 0 */
    double c[3];
    for (int i = 0; i < 3; i++) {
        switch (cm) {
        case VKNN_COLORMAP_TURBO:
            c[i] = horner(turbo_coef[i], 6, x);
            break;
        case VKNN_COLORMAP_JET: {
            static const Knot *const knots[] = {jet_r, jet_g, jet_b};
            static const int n[] = {G_N_ELEMENTS(jet_r), G_N_ELEMENTS(jet_g), G_N_ELEMENTS(jet_b)};
            c[i] = piecewise(knots[i], n[i], x);
            break;
        }
        case VKNN_COLORMAP_INFERNO:
            c[i] = horner(inferno_coef[i], 7, x);
            break;
        case VKNN_COLORMAP_VIRIDIS:
            c[i] = horner(viridis_coef[i], 7, x);
            break;
        default:
            c[i] = x;
            break;
        }
        rgb[i] = (guint8)lrint(CLAMP(c[i], 0.0, 1.0) * 255.0);
    }
}

/* ---- overlay ------------------------------------------------------------------ */

typedef struct {
    int32_t region[4]; /* width 0: nothing to draw */
    int32_t frame[2], map[2];
    int32_t in_stride, out_stride;
    int32_t colormap;
    float alpha;
    int32_t opaque;
} OverlayPush;
_Static_assert(sizeof(OverlayPush) <= 128, "push constants");

static const VknnShader bytes_shader = VKNN_SHADER(overlay_bytes, 3, 1, OverlayPush);
static const VknnShader image_shader = VKNN_IMAGE_SHADER(overlay_image, 2, 0, 1, 1, OverlayPush);
static const VknnShader image_bytes_shader =
    VKNN_IMAGE_SHADER(overlay_image_bytes, 2, 1, 1, 0, OverlayPush);

#define LUT_SIZE 256

/* What the recorded command buffer of the memory path depends on. */
typedef struct {
    int32_t format;
    OverlayPush push;
} BytesKey;

struct VknnOverlay {
    VknnContext *ctx;
    VknnTensor lut; /* [colormap][LUT_SIZE] RGB 0..255 (device) */
    VknnTensor map; /* [map_h][map_w] value in lane 0 (host-visible, written directly) */
    gboolean has_map, whole_frame;
    VknnRect region;

    /* Memory path: one command buffer, re-recorded when its key changes. */
    VknnFrameBuffer in_frame, out_frame;
    VknnCmd *bytes_cmd;
    BytesKey bytes_key;
    /* Image path: packed output for BGRA images. */
    VknnFrameBuffer image_out;
};

static void tensor_free(VknnContext *ctx, VknnTensor *t)
{
    vknn_tensor_release_view(ctx, t);
    vknn_buffer_free(ctx, &t->buffer);
}

/* Allocates t as [1, c, h, w] in memory of `kind` with its texel view. */
static gboolean tensor_alloc(VknnContext *ctx, VknnTensor *t, int c, int h, int w, VknnMemKind kind,
                             GError **err)
{
    tensor_free(ctx, t);
    vknn_tensor_set_shape(t, &(VknnShape){4, {1, c, h, w}});
    t->buffer = vknn_buffer_new(ctx, t->bytes, kind, err);
    return t->buffer && vknn_tensor_make_view(ctx, t, err);
}

static gboolean upload_lut(VknnOverlay *ov, GError **err)
{
    if (!tensor_alloc(ov->ctx, &ov->lut, 4, N_COLORMAPS, LUT_SIZE, VKNN_MEM_DEVICE, err))
        return FALSE;
    g_autofree float *texels = g_new0(float, (gsize)N_COLORMAPS *LUT_SIZE * 4);
    for (guint cm = 0; cm < N_COLORMAPS; cm++)
        for (int i = 0; i < LUT_SIZE; i++) {
            guint8 rgb[3];
            vknn_colormap_rgb((VknnColormap)cm, (float)i / (LUT_SIZE - 1), rgb);
            float *t = texels + (cm * LUT_SIZE + i) * 4;
            for (int c = 0; c < 3; c++)
                t[c] = rgb[c];
        }
    return vknn_upload(ov->ctx, ov->lut.buffer, 0, texels, ov->lut.bytes, err);
}

VknnOverlay *vknn_overlay_new(VknnContext *ctx, GError **err)
{
    VknnOverlay *ov = g_new0(VknnOverlay, 1);
    ov->ctx = ctx;
    ov->whole_frame = TRUE;
    /* A 1x1 map until the first set_map (not drawn: has_map is FALSE), so
     * the shaders always have one to bind. */
    if (!upload_lut(ov, err) || !tensor_alloc(ctx, &ov->map, 1, 1, 1, VKNN_MEM_UPLOAD, err)) {
        vknn_overlay_free(ov);
        return NULL;
    }
    memset(ov->map.buffer->mapped, 0, ov->map.bytes);
    return ov;
}

void vknn_overlay_free(VknnOverlay *ov)
{
    if (!ov)
        return;
    /* Frames are processed synchronously: nothing is in flight here. */
    vknn_cmd_free(&ov->bytes_cmd);
    vknn_frame_buffer_clear(ov->ctx, &ov->in_frame);
    vknn_frame_buffer_clear(ov->ctx, &ov->out_frame);
    vknn_frame_buffer_clear(ov->ctx, &ov->image_out);
    tensor_free(ov->ctx, &ov->map);
    tensor_free(ov->ctx, &ov->lut);
    g_free(ov);
}

gboolean vknn_overlay_set_map(VknnOverlay *ov, const float *map, int map_w, int map_h,
                              const VknnRect *region, GError **err)
{
    if (map_w < 1 || map_h < 1 || map_w > 16384 || map_h > 16384 ||
        (region && (region->width < 1 || region->height < 1))) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "invalid overlay map %dx%d over %dx%d",
                    map_w, map_h, region ? region->width : 0, region ? region->height : 0);
        return FALSE;
    }
    if (ov->map.w != map_w || ov->map.h != map_h) {
        VknnTensor t = {0};
        if (!tensor_alloc(ov->ctx, &t, 1, map_h, map_w, VKNN_MEM_UPLOAD, err)) {
            tensor_free(ov->ctx, &t);
            return FALSE;
        }
        vknn_cmd_free(&ov->bytes_cmd); /* it binds the old map */
        tensor_free(ov->ctx, &ov->map);
        ov->map = t;
    }
    float *texels = ov->map.buffer->mapped;
    for (int i = 0; i < map_w * map_h; i++) {
        const float v = map[i];
        texels[i * 4] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; /* NaN -> 0 */
        texels[i * 4 + 1] = texels[i * 4 + 2] = texels[i * 4 + 3] = 0.0f;
    }
    ov->has_map = TRUE;
    ov->whole_frame = region == NULL;
    if (region)
        ov->region = *region;
    return TRUE;
}

static gboolean check_params(const VknnOverlayParams *p, int width, int height, GError **err)
{
    if (width < 1 || height < 1 || width > 16384 || height > 16384) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "invalid frame size %dx%d", width, height);
        return FALSE;
    }
    if (!(p->alpha >= 0.0f && p->alpha <= 1.0f) || (guint)p->colormap >= N_COLORMAPS) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "invalid overlay parameters: alpha %g [0..1], colormap %d", p->alpha,
                    p->colormap);
        return FALSE;
    }
    return TRUE;
}

static OverlayPush make_push(const VknnOverlay *ov, const VknnOverlayParams *p, int width,
                             int height, int in_stride, int out_stride)
{
    OverlayPush push = {
        .frame = {width, height},
        .map = {ov->map.w, ov->map.h},
        .in_stride = in_stride,
        .out_stride = out_stride,
        .colormap = p->colormap,
        .alpha = p->alpha,
        .opaque = p->opaque != FALSE,
    };
    if (ov->has_map) {
        const VknnRect r = ov->whole_frame ? (VknnRect){0, 0, width, height} : ov->region;
        memcpy(push.region, (int32_t[]){r.x, r.y, r.width, r.height}, sizeof push.region);
    }
    return push;
}

static gboolean record_bytes(VknnOverlay *ov, VknnPixelFormat fmt, const OverlayPush *push,
                             GError **err)
{
    const int32_t spec[] = {vknn_pixel_swaps_rb(fmt), !vknn_pixel_has_alpha(fmt)};
    VknnPipeline *p = vknn_frame_pipeline(ov->ctx, &bytes_shader, spec, 2, err);
    if (!p || !(ov->bytes_cmd = vknn_cmd_new(ov->ctx, err)))
        return FALSE;
    const VknnTensor *bind[] = {&ov->map, &ov->lut, &ov->in_frame.texels, &ov->out_frame.texels};
    vknn_frame_dispatch(ov->bytes_cmd, p, bind, NULL, push, push->frame[0], push->frame[1]);
    return vknn_cmd_end(ov->bytes_cmd, err);
}

gboolean vknn_overlay_process_bytes(VknnOverlay *ov, const VknnOverlayParams *params,
                                    VknnPixelFormat fmt, int width, int height, const guint8 *in,
                                    int in_stride, guint8 *out, int out_stride, GError **err)
{
    const VknnOverlayParams def = VKNN_OVERLAY_PARAMS_DEFAULT;
    if (!params)
        params = &def;
    if (!check_params(params, width, height, err))
        return FALSE;
    const BytesKey key = {fmt, make_push(ov, params, width, height, width, width)};
    if (ov->bytes_cmd && memcmp(&key, &ov->bytes_key, sizeof key) != 0)
        vknn_cmd_free(&ov->bytes_cmd);
    if (!vknn_frame_buffer_ensure(ov->ctx, &ov->in_frame, width, height, VKNN_MEM_UPLOAD, err) ||
        !vknn_frame_buffer_ensure(ov->ctx, &ov->out_frame, width, height, VKNN_MEM_READBACK, err))
        return FALSE;
    if (!ov->bytes_cmd) {
        if (!record_bytes(ov, fmt, &key.push, err)) {
            vknn_cmd_free(&ov->bytes_cmd);
            return FALSE;
        }
        ov->bytes_key = key;
    }
    vknn_frame_buffer_write(&ov->in_frame, in, in_stride);
    if (!vknn_cmd_submit_wait(ov->bytes_cmd, err))
        return FALSE;
    vknn_frame_buffer_read(ov->ctx, &ov->out_frame, out, out_stride);
    return TRUE;
}

static gboolean record_images(VknnOverlay *ov, VknnCmd *cmd, const OverlayPush *push, VknnImage *in,
                              VknnImage *out, GError **err)
{
    const int w = push->frame[0], h = push->frame[1];
    const int32_t spec[] = {TRUE}; /* the buffer holds the image's B, G, R, A bytes */
    gboolean direct;
    vknn_frame_sample_image(cmd, in);
    if (!vknn_frame_write_image_begin(ov->ctx, cmd, out, w, h, &ov->image_out, &direct, err))
        return FALSE;
    VknnPipeline *p = direct ? vknn_frame_pipeline(ov->ctx, &image_shader, NULL, 0, err)
                             : vknn_frame_pipeline(ov->ctx, &image_bytes_shader, spec, 1, err);
    if (!p)
        return FALSE;
    const VknnTensor *bind[] = {&ov->map, &ov->lut, &ov->image_out.texels};
    const VknnImage *images[] = {in, out};
    vknn_frame_dispatch(cmd, p, bind, images, push, w, h);
    vknn_frame_write_image_end(cmd, out, &ov->image_out);
    return vknn_cmd_end(cmd, err);
}

gboolean vknn_overlay_process_images(VknnOverlay *ov, const VknnOverlayParams *params, int width,
                                     int height, VknnImage *in, VknnImage *out, GError **err)
{
    const VknnOverlayParams def = VKNN_OVERLAY_PARAMS_DEFAULT;
    if (!params)
        params = &def;
    if (!check_params(params, width, height, err) ||
        !vknn_frame_check_image_format(in->format, "input", err) ||
        !vknn_frame_check_image_format(out->format, "output", err))
        return FALSE;
    if (in->image == out->image) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "overlay: input and output must be different images");
        return FALSE;
    }
    const OverlayPush push = make_push(ov, params, width, height, width, width);
    VknnCmd *cmd = vknn_cmd_new(ov->ctx, err);
    const gboolean ok =
        cmd && record_images(ov, cmd, &push, in, out, err) && vknn_cmd_submit_wait(cmd, err);
    vknn_cmd_free(&cmd);
    return ok;
}

gboolean vknn_overlay_supports_output_format(const VknnOverlay *ov, VkFormat format)
{
    (void)ov;
    return vknn_frame_output_format_supported(format);
}
