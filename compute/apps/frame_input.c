/* Frames as a classifier's input: region, host reference, and the device
 * conversion recorded into a caller's command buffer (frame_input.h). */
#include "apps/frame_input.h"
#include "frame_input.comp.spv.h"
#include "frame_input_image.comp.spv.h"

#include <math.h>

typedef struct {
    float mean[4], std[4];
    int32_t region[4];
    int32_t frame[2], size[2];
    int32_t stride;
} FrameInputPush;
_Static_assert(sizeof(FrameInputPush) <= 128, "push constants");

static const VknnShader bytes_shader = VKNN_SHADER(frame_input, 1, 1, FrameInputPush);
static const VknnShader image_shader =
    VKNN_IMAGE_SHADER(frame_input_image, 0, 1, 1, 0, FrameInputPush);

struct VknnFrameInput {
    VknnContext *ctx;
    VknnFrameBuffer staging; /* host-visible */
};

/* ---- region and host reference --------------------------------------------- */

void vknn_frame_input_region(const VknnFrameInputParams *params, int frame_w, int frame_h,
                             VknnRect *region)
{
    *region = (VknnRect){0, 0, frame_w, frame_h};
    if (params->mode != VKNN_RESIZE_CROP)
        return;
    /* The largest centred rectangle with the input's aspect ratio: the
     * shorter side (relative to the input) is kept whole. */
    const int64_t w = params->width, h = params->height, fw = frame_w, fh = frame_h;
    if (fw * h >= fh * w)
        region->width = (int)CLAMP((2 * fh * w + h) / (2 * h), 1, fw);
    else
        region->height = (int)CLAMP((2 * fw * h + w) / (2 * w), 1, fh);
    region->x = (frame_w - region->width) / 2;
    region->y = (frame_h - region->height) / 2;
}

/* Bilinear source coordinate of destination index i (align_corners=False),
 * clamped to [0, n - 1] of the region, as BILINEAR in shaders/common/frame.glsl. */
static void source_coord(int i, float scale, int n, int *i0, int *i1, float *f)
{
    const float p = CLAMP(((float)i + 0.5f) * scale - 0.5f, 0.0f, (float)(n - 1));
    *i0 = (int)floorf(p);
    *i1 = MIN(*i0 + 1, n - 1);
    *f = p - (float)*i0;
}

static float lerp(float a, float b, float t)
{
    return a * (1.0f - t) + b * t; /* GLSL mix() */
}

void vknn_frame_input_host(const VknnFrameInputParams *params, VknnPixelFormat fmt,
                           const guint8 *frame, int frame_w, int frame_h, int stride, float *out)
{
    g_return_if_fail(params->width >= 1 && params->height >= 1 && frame_w >= 1 && frame_h >= 1);
    VknnRect r;
    vknn_frame_input_region(params, frame_w, frame_h, &r);
    const int w = params->width, h = params->height;
    const float sx = (float)r.width / (float)w, sy = (float)r.height / (float)h;
    const gboolean swap = vknn_pixel_swaps_rb(fmt);
    for (int y = 0; y < h; y++) {
        int y0, y1, x0, x1;
        float fy, fx;
        source_coord(y, sy, r.height, &y0, &y1, &fy);
        const guint8 *row0 = frame + (gsize)(r.y + y0) * stride + (gsize)r.x * 4;
        const guint8 *row1 = frame + (gsize)(r.y + y1) * stride + (gsize)r.x * 4;
        for (int x = 0; x < w; x++) {
            source_coord(x, sx, r.width, &x0, &x1, &fx);
            for (int c = 0; c < 3; c++) {
                const int b = swap ? 2 - c : c;
                const float top = lerp(row0[x0 * 4 + b], row0[x1 * 4 + b], fx);
                const float bottom = lerp(row1[x0 * 4 + b], row1[x1 * 4 + b], fx);
                const float v = lerp(top, bottom, fy);
                out[((gsize)c * h + y) * w + x] = (v / 255.0f - params->mean[c]) / params->std[c];
            }
        }
    }
}

/* ---- device ---------------------------------------------------------------- */

VknnFrameInput *vknn_frame_input_new(VknnContext *ctx)
{
    VknnFrameInput *fi = g_new0(VknnFrameInput, 1);
    fi->ctx = ctx;
    return fi;
}

void vknn_frame_input_free(VknnFrameInput *fi)
{
    if (!fi)
        return;
    vknn_frame_buffer_clear(fi->ctx, &fi->staging);
    g_free(fi);
}

static gboolean check_frame_size(int w, int h, GError **err)
{
    if (w >= 1 && h >= 1 && w <= 16384 && h <= 16384)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "invalid frame size %dx%d", w, h);
    return FALSE;
}

gboolean vknn_frame_input_stage_bytes(VknnFrameInput *fi, const guint8 *bytes, int width,
                                      int height, int stride, GError **err)
{
    if (!check_frame_size(width, height, err) ||
        !vknn_frame_buffer_ensure(fi->ctx, &fi->staging, width, height, VKNN_MEM_UPLOAD, err))
        return FALSE;
    vknn_frame_buffer_write(&fi->staging, bytes, stride);
    return TRUE;
}

const VknnTensor *vknn_frame_input_staging(const VknnFrameInput *fi)
{
    return fi->staging.buffer ? &fi->staging.texels : NULL;
}

static gboolean check_params(const VknnFrameInputParams *p, int frame_w, int frame_h,
                             const VknnTensor *dst, GError **err)
{
    if (!check_frame_size(frame_w, frame_h, err))
        return FALSE;
    gboolean ok = p->width >= 1 && p->height >= 1 &&
                  (p->mode == VKNN_RESIZE_STRETCH || p->mode == VKNN_RESIZE_CROP);
    for (int c = 0; c < 3; c++)
        ok &= isfinite(p->mean[c]) && isfinite(p->std[c]) && p->std[c] != 0.0f;
    if (!ok) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "invalid frame input parameters: size %dx%d, mode %d, std must be non-zero",
                    p->width, p->height, p->mode);
        return FALSE;
    }
    if (dst->n != 1 || dst->c != 3 || dst->h != p->height || dst->w != p->width ||
        dst->view_format != 0) {
        char s[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "frame input: destination tensor is %s, expected [1,3,%d,%d] float",
                    vknn_shape_str(&dst->shape, s, sizeof s), p->height, p->width);
        return FALSE;
    }
    return TRUE;
}

static FrameInputPush make_push(const VknnFrameInputParams *p, int frame_w, int frame_h)
{
    VknnRect r;
    vknn_frame_input_region(p, frame_w, frame_h, &r);
    return (FrameInputPush){
        .mean = {p->mean[0], p->mean[1], p->mean[2], 0.0f},
        .std = {p->std[0], p->std[1], p->std[2], 1.0f},
        .region = {r.x, r.y, r.width, r.height},
        .frame = {frame_w, frame_h},
        .size = {p->width, p->height},
        .stride = frame_w,
    };
}

gboolean vknn_frame_input_record_pixels(VknnFrameInput *fi, VknnCmd *cmd,
                                        const VknnFrameInputParams *params, VknnPixelFormat fmt,
                                        const VknnTensor *pixels, int frame_w, int frame_h,
                                        VknnTensor *dst, GError **err)
{
    if (!check_params(params, frame_w, frame_h, dst, err))
        return FALSE;
    if (pixels->view_format != VK_FORMAT_R32_UINT ||
        pixels->bytes < (VkDeviceSize)frame_w * frame_h * 4) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "frame input: pixel buffer does not hold a %dx%d frame", frame_w, frame_h);
        return FALSE;
    }
    const int32_t spec[] = {vknn_pixel_swaps_rb(fmt)};
    VknnPipeline *p = vknn_frame_pipeline(fi->ctx, &bytes_shader, spec, 1, err);
    if (!p)
        return FALSE;
    const FrameInputPush push = make_push(params, frame_w, frame_h);
    const VknnTensor *bind[] = {pixels, dst};
    vknn_frame_dispatch(cmd, p, bind, NULL, &push, params->width, params->height);
    return TRUE;
}

gboolean vknn_frame_input_record_bytes(VknnFrameInput *fi, VknnCmd *cmd,
                                       const VknnFrameInputParams *params, VknnPixelFormat fmt,
                                       int frame_w, int frame_h, VknnTensor *dst, GError **err)
{
    return check_frame_size(frame_w, frame_h, err) &&
           vknn_frame_buffer_ensure(fi->ctx, &fi->staging, frame_w, frame_h, VKNN_MEM_UPLOAD,
                                    err) &&
           vknn_frame_input_record_pixels(fi, cmd, params, fmt, &fi->staging.texels, frame_w,
                                          frame_h, dst, err);
}

gboolean vknn_frame_input_record_image(VknnFrameInput *fi, VknnCmd *cmd,
                                       const VknnFrameInputParams *params, VknnImage *in,
                                       int frame_w, int frame_h, VknnTensor *dst, GError **err)
{
    if (!check_params(params, frame_w, frame_h, dst, err) ||
        !vknn_frame_check_image_format(in->format, "input", err))
        return FALSE;
    VknnPipeline *p = vknn_frame_pipeline(fi->ctx, &image_shader, NULL, 0, err);
    if (!p)
        return FALSE;
    vknn_frame_sample_image(cmd, in);
    const FrameInputPush push = make_push(params, frame_w, frame_h);
    const VknnImage *images[] = {in};
    vknn_frame_dispatch(cmd, p, (const VknnTensor *const[]){dst}, images, &push, params->width,
                        params->height);
    return TRUE;
}
