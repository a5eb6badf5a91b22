/* Heatmap overlays and frames as classifier input (overlay.h, and the
 * internal device-side frame input of compute/apps/frame_input.h):
 *  - colormaps: known values of turbo and jet, endpoints close to the
 *    published viridis/inferno, monotonic luminance for gray/viridis/inferno;
 *  - VknnOverlay on frames in memory equals a reference computed here
 *    (bilinear map, colormap table, blend) within 1 LSB: RGBA and BGRx, odd
 *    frame sizes, sub-regions, 13x13 and 1x1 maps, padded strides, in place;
 *  - the Vulkan-image path gives the same pixels as the memory path (RGBA8
 *    and BGRA8 images, the latter through the buffer copy);
 *  - the frame input on the device equals vknn_frame_input_host (STRETCH
 *    and CROP, odd sizes, bytes and images), a constant frame gives
 *    (c / 255 - mean) / std, an identity resize gives the pixels back, and
 *    upload -> convert -> network runs in one command buffer.
 * Needs nothing from ../shared.
 */
#include "model_build.h"
#include "testutil.h"
#include "apps/frame_input.h"
#include "exec/exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static guint8 *random_frame(int w, int h, int stride, guint32 seed)
{
    guint8 *px = g_malloc0((gsize)stride * h);
    GRand *r = g_rand_new_with_seed(seed);
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w * 4; i++)
            px[(gsize)y * stride + i] = (guint8)g_rand_int_range(r, 0, 256);
    g_rand_free(r);
    return px;
}

static void swap_rb(guint8 *px, int n)
{
    for (int i = 0; i < n; i++) {
        const guint8 t = px[i * 4];
        px[i * 4] = px[i * 4 + 2];
        px[i * 4 + 2] = t;
    }
}

/* ---- colormaps ---------------------------------------------------------------- */

static gboolean rgb_near(VknnColormap cm, float v, int r, int g, int b, int tol)
{
    guint8 c[3];
    vknn_colormap_rgb(cm, v, c);
    const gboolean ok = abs(c[0] - r) <= tol && abs(c[1] - g) <= tol && abs(c[2] - b) <= tol;
    if (!ok)
        printf("  %s(%g) = (%d, %d, %d), expected (%d, %d, %d) +- %d\n",
               vknn_colormap_to_string(cm), v, c[0], c[1], c[2], r, g, b, tol);
    return ok;
}

static void test_colormaps(void)
{
    /* Turbo's polynomial evaluated by hand at 0 (the constant terms), 0.5
     * and 1 (the sums of the coefficients), times 255, rounded. */
    test_check(rgb_near(VKNN_COLORMAP_TURBO, 0.0f, 35, 23, 27, 0) &&
                   rgb_near(VKNN_COLORMAP_TURBO, 0.5f, 150, 250, 80, 0) &&
                   rgb_near(VKNN_COLORMAP_TURBO, 1.0f, 144, 13, 0, 0),
               "turbo at 0, 0.5, 1");
    /* matplotlib jet: (0, 0, 0.5), (0.484, 1, 0.484), (0.5, 0, 0). */
    test_check(rgb_near(VKNN_COLORMAP_JET, 0.0f, 0, 0, 128, 0) &&
                   rgb_near(VKNN_COLORMAP_JET, 0.5f, 123, 255, 123, 0) &&
                   rgb_near(VKNN_COLORMAP_JET, 1.0f, 128, 0, 0, 0),
               "jet at 0, 0.5, 1");
    /* The published endpoints (matplotlib's _viridis_data/_inferno_data);
     * the polynomial fits are within a few LSB. Out-of-range and NaN clamp. */
    test_check(rgb_near(VKNN_COLORMAP_VIRIDIS, 0.0f, 68, 1, 84, 4) &&
                   rgb_near(VKNN_COLORMAP_VIRIDIS, 1.0f, 253, 231, 37, 4) &&
                   rgb_near(VKNN_COLORMAP_INFERNO, 0.0f, 0, 0, 4, 4) &&
                   rgb_near(VKNN_COLORMAP_INFERNO, 1.0f, 252, 255, 164, 4),
               "viridis and inferno endpoints");
    test_check(rgb_near(VKNN_COLORMAP_GRAY, 0.0f, 0, 0, 0, 0) &&
                   rgb_near(VKNN_COLORMAP_GRAY, 1.0f, 255, 255, 255, 0) &&
                   rgb_near(VKNN_COLORMAP_GRAY, 0.5f, 128, 128, 128, 0) &&
                   rgb_near(VKNN_COLORMAP_GRAY, -3.0f, 0, 0, 0, 0) &&
                   rgb_near(VKNN_COLORMAP_GRAY, 7.0f, 255, 255, 255, 0) &&
                   rgb_near(VKNN_COLORMAP_GRAY, NAN, 0, 0, 0, 0),
               "gray endpoints, clamping");
    const VknnColormap mono[] = {VKNN_COLORMAP_GRAY, VKNN_COLORMAP_VIRIDIS, VKNN_COLORMAP_INFERNO};
    for (int m = 0; m < 3; m++) {
        double top = -1, dip = 0;
        for (int i = 0; i <= 1000; i++) {
            guint8 c[3];
            vknn_colormap_rgb(mono[m], i / 1000.0f, c);
            const double y = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            dip = MAX(dip, top - y);
            top = MAX(top, y);
        }
        /* 8-bit rounding of a rising curve may dip by a fraction of a level. */
        test_check(dip < 1.0, "%s luminance rises monotonically (largest dip %.2f)",
                   vknn_colormap_to_string(mono[m]), dip);
    }
    VknnColormap cm;
    test_check(vknn_colormap_from_string("viridis", &cm) && cm == VKNN_COLORMAP_VIRIDIS &&
                   vknn_colormap_from_string("Turbo", &cm) && cm == VKNN_COLORMAP_TURBO &&
                   !vknn_colormap_from_string("rainbow", &cm) &&
                   strcmp(vknn_colormap_to_string(VKNN_COLORMAP_INFERNO), "inferno") == 0,
               "colormap names");
}

/* ---- overlay reference ------------------------------------------------------- */

typedef struct {
    const float *map;
    int mw, mh;
    const VknnRect *region; /* NULL: whole frame */
} MapSpec;

static double clamp01(double v)
{
    return v > 0 ? (v < 1 ? v : 1) : 0;
}

static double map_at(const MapSpec *m, int x, int y)
{
    return clamp01(m->map[y * m->mw + x]);
}

/* One axis of the bilinear sample of n map texels over `len` frame pixels. */
static void axis(int i, int len, int n, int *i0, int *i1, double *f)
{
    const double u = CLAMP((i + 0.5) * n / len - 0.5, 0.0, n - 1.0);
    *i0 = (int)floor(u);
    *i1 = MIN(*i0 + 1, n - 1);
    *f = u - *i0;
}

static void reference_overlay(const guint8 *in, int in_stride, guint8 *out, int out_stride, int w,
                              int h, VknnPixelFormat fmt, const MapSpec *m,
                              const VknnOverlayParams *p)
{
    guint8 lut[256][3];
    for (int i = 0; i < 256; i++)
        vknn_colormap_rgb(p->colormap, i / 255.0f, lut[i]);
    const VknnRect r = m && m->region ? *m->region : (VknnRect){0, 0, w, h};
    const gboolean bgr = fmt == VKNN_PIXEL_BGRA || fmt == VKNN_PIXEL_BGRX;
    const gboolean x_fmt = fmt == VKNN_PIXEL_RGBX || fmt == VKNN_PIXEL_BGRX;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const guint8 *s = in + (gsize)y * in_stride + x * 4;
            guint8 *d = out + (gsize)y * out_stride + x * 4;
            memmove(d, s, 4);
            if (x_fmt)
                d[3] = 255;
            const int rx = x - r.x, ry = y - r.y;
            if (!m || rx < 0 || ry < 0 || rx >= r.width || ry >= r.height)
                continue;
            int x0, x1, y0, y1;
            double fx, fy;
            axis(rx, r.width, m->mw, &x0, &x1, &fx);
            axis(ry, r.height, m->mh, &y0, &y1, &fy);
            const double v = (map_at(m, x0, y0) * (1 - fx) + map_at(m, x1, y0) * fx) * (1 - fy) +
                             (map_at(m, x0, y1) * (1 - fx) + map_at(m, x1, y1) * fx) * fy;
            const double t = v * 255;
            const int i0 = MIN((int)t, 254);
            const double a = p->opaque ? p->alpha : p->alpha * v;
            for (int c = 0; c < 3; c++) {
                const double col = lut[i0][c] * (1 - (t - i0)) + lut[i0 + 1][c] * (t - i0);
                const int b = bgr ? 2 - c : c;
                d[b] = (guint8)lrint(CLAMP(s[b] * (1 - a) + col * a, 0.0, 255.0));
            }
        }
}

static int max_diff(const guint8 *a, const guint8 *b, int w, int h, int stride)
{
    int m = 0;
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w * 4; i++)
            m = MAX(m, abs(a[(gsize)y * stride + i] - b[(gsize)y * stride + i]));
    return m;
}

/* One overlay case on the memory path against the reference, then again in
 * place. region NULL: the whole frame. */
static void overlay_case(VknnOverlay *ov, guint32 seed, const char *name, VknnPixelFormat fmt,
                         int w, int h, int stride_pad, int mw, int mh, const VknnRect *region,
                         const VknnOverlayParams *params)
{
    GError *err = NULL;
    const int stride = w * 4 + stride_pad;
    g_autofree float *map = g_new(float, mw *mh);
    test_fill_random(map, mw * mh, 100 + seed, -0.2f, 1.2f); /* clamped to 0..1 */
    const MapSpec m = {map, mw, mh, region};
    g_autofree guint8 *in = random_frame(w, h, stride, 10 + seed);
    g_autofree guint8 *got = g_malloc0((gsize)stride * h);
    g_autofree guint8 *want = g_malloc0((gsize)stride * h);
    reference_overlay(in, stride, want, stride, w, h, fmt, &m, params);
    gboolean ok = vknn_overlay_set_map(ov, map, mw, mh, region, &err) &&
                  vknn_overlay_process_bytes(ov, params, fmt, w, h, in, stride, got, stride, &err);
    g_assert_no_error(err);
    int d = max_diff(got, want, w, h, stride);
    test_check(ok && d <= 1, "%s: equals the reference (max diff %d)", name, d);
    /* Again in place, reusing the recorded command buffer. */
    ok = vknn_overlay_process_bytes(ov, params, fmt, w, h, in, stride, in, stride, &err);
    g_assert_no_error(err);
    d = max_diff(in, got, w, h, stride);
    test_check(ok && d == 0, "%s: in place gives the same frame", name);
}

static void test_overlay_bytes(VknnContext *ctx)
{
    GError *err = NULL;
    g_autoptr(VknnOverlay) ov = vknn_overlay_new(ctx, &err);
    g_assert_no_error(err);

    /* Before any map: frames pass through. */
    {
        const int w = 64, h = 48;
        g_autofree guint8 *in = random_frame(w, h, w * 4, 1);
        g_autofree guint8 *out = g_malloc0((gsize)w * h * 4);
        const gboolean ok = vknn_overlay_process_bytes(ov, NULL, VKNN_PIXEL_RGBA, w, h, in, w * 4,
                                                       out, w * 4, &err);
        g_assert_no_error(err);
        test_check(ok && memcmp(in, out, (gsize)w * h * 4) == 0,
                   "without a map, frames pass through");
    }

    const VknnOverlayParams def = VKNN_OVERLAY_PARAMS_DEFAULT;
    overlay_case(ov, 0, "RGBA 99x75, 13x13 map over the frame, turbo 0.5", VKNN_PIXEL_RGBA, 99, 75,
                 0, 13, 13, NULL, &def);
    overlay_case(ov, 1, "BGRx 64x48, 13x13 map over (10,7) 37x29, viridis opaque 0.8",
                 VKNN_PIXEL_BGRX, 64, 48, 12, 13, 13, &(VknnRect){10, 7, 37, 29},
                 &(VknnOverlayParams){VKNN_COLORMAP_VIRIDIS, 0.8f, TRUE});
    overlay_case(ov, 2, "RGBA 99x75, 1x1 map over (5,5) 50x40, inferno 1", VKNN_PIXEL_RGBA, 99, 75,
                 0, 1, 1, &(VknnRect){5, 5, 50, 40},
                 &(VknnOverlayParams){VKNN_COLORMAP_INFERNO, 1.0f, FALSE});
    overlay_case(ov, 3, "BGRA 75x99, 7x5 map over (60,-10) 100x100 (past the frame), jet 0.6",
                 VKNN_PIXEL_BGRA, 75, 99, 4, 7, 5, &(VknnRect){60, -10, 100, 100},
                 &(VknnOverlayParams){VKNN_COLORMAP_JET, 0.6f, FALSE});
    overlay_case(ov, 4, "RGBx 128x96, 224x224 map over the frame, gray opaque 1", VKNN_PIXEL_RGBX,
                 128, 96, 0, 224, 224, NULL, &(VknnOverlayParams){VKNN_COLORMAP_GRAY, 1.0f, TRUE});

    const VknnOverlayParams bad = {VKNN_COLORMAP_TURBO, 1.5f, FALSE};
    guint8 px[4 * 4] = {0};
    test_check(!vknn_overlay_process_bytes(ov, &bad, VKNN_PIXEL_RGBA, 2, 2, px, 8, px, 8, &err) &&
                   err,
               "alpha 1.5 is refused: %s", err ? err->message : "");
    g_clear_error(&err);
    const float zeros[3] = {0};
    test_check(!vknn_overlay_set_map(ov, zeros, 0, 3, NULL, &err) && err, "a 0x3 map is refused");
    g_clear_error(&err);
}

/* ---- Vulkan images (device-local, optimal tiling) -------------------------------- */

typedef struct {
    VknnImage img;
    VkDeviceMemory memory;
    int w, h;
} TestImage;

static TestImage image_new(VknnContext *ctx, int w, int h, VkFormat format, gboolean storage)
{
    TestImage t = {.w = w, .h = h};
    VkDevice dev = ctx->device;
    VkImageCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
        .imageType = VK_IMAGE_TYPE_2D,
        .format = format,
        .extent = {w, h, 1},
        .mipLevels = 1,
        .arrayLayers = 1,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL,
        .usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                 VK_IMAGE_USAGE_TRANSFER_DST_BIT | (storage ? VK_IMAGE_USAGE_STORAGE_BIT : 0),
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    g_assert(vkCreateImage(dev, &ci, NULL, &t.img.image) == VK_SUCCESS);
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(dev, t.img.image, &req);
    uint32_t type = 0;
    while (!(req.memoryTypeBits & (1u << type)))
        type++;
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = type,
    };
    g_assert(vkAllocateMemory(dev, &mai, NULL, &t.memory) == VK_SUCCESS);
    g_assert(vkBindImageMemory(dev, t.img.image, t.memory, 0) == VK_SUCCESS);
    VkImageViewCreateInfo vci = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
        .image = t.img.image,
        .viewType = VK_IMAGE_VIEW_TYPE_2D,
        .format = format,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1},
    };
    g_assert(vkCreateImageView(dev, &vci, NULL, &t.img.view) == VK_SUCCESS);
    t.img.format = format;
    t.img.layout = VK_IMAGE_LAYOUT_UNDEFINED;
    return t;
}

static void image_free(VknnContext *ctx, TestImage *t)
{
    vkDestroyImageView(ctx->device, t->img.view, NULL);
    vkDestroyImage(ctx->device, t->img.image, NULL);
    vkFreeMemory(ctx->device, t->memory, NULL);
}

/* Fills the image with tightly packed pixels in its own byte order. */
static void image_upload(VknnContext *ctx, TestImage *t, const guint8 *px)
{
    GError *err = NULL;
    const VkDeviceSize bytes = (VkDeviceSize)t->w * t->h * 4;
    VknnBuffer *staging = vknn_buffer_new(ctx, bytes, VKNN_MEM_UPLOAD, &err);
    g_assert_no_error(err);
    memcpy(staging->mapped, px, bytes);
    VknnCmd *cmd = vknn_cmd_new(ctx, &err);
    g_assert_no_error(err);
    vknn_cmd_image_barrier(cmd, &t->img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vknn_cmd_copy_to_image(cmd, staging, 0, &t->img, t->w, t->h);
    g_assert(vknn_cmd_end(cmd, &err) && vknn_cmd_submit_wait(cmd, &err));
    vknn_cmd_free(&cmd);
    vknn_buffer_free(ctx, &staging);
}

/* Reads the image back (tightly packed, its own byte order), from whatever
 * layout and last use libvknn left it in. */
static void image_download(VknnContext *ctx, TestImage *t, guint8 *px)
{
    GError *err = NULL;
    VkDevice dev = ctx->device;
    const VkDeviceSize bytes = (VkDeviceSize)t->w * t->h * 4;
    VknnBuffer *staging = vknn_buffer_new(ctx, bytes, VKNN_MEM_READBACK, &err);
    g_assert_no_error(err);
    VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
    };
    VkCommandPool pool;
    g_assert(vkCreateCommandPool(dev, &pci, NULL, &pool) == VK_SUCCESS);
    VkCommandBufferAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBuffer cb;
    g_assert(vkAllocateCommandBuffers(dev, &ai, &cb) == VK_SUCCESS);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkBeginCommandBuffer(cb, &bi);
    VkImageMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
        .srcAccessMask = t->img.access,
        .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
        .oldLayout = t->img.layout,
        .newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .image = t->img.image,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1},
    };
    vkCmdPipelineBarrier(cb, t->img.stages ? t->img.stages : VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                         VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0, NULL, 1, &b);
    VkBufferImageCopy region = {
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageExtent = {t->w, t->h, 1},
    };
    vkCmdCopyImageToBuffer(cb, t->img.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, staging->buffer,
                           1, &region);
    VkMemoryBarrier host = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &host, 0, NULL, 0, NULL);
    vkEndCommandBuffer(cb);
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &cb,
    };
    g_assert(vkResetFences(dev, 1, &ctx->fence) == VK_SUCCESS);
    g_assert(vkQueueSubmit(ctx->queue, 1, &si, ctx->fence) == VK_SUCCESS);
    g_assert(vkWaitForFences(dev, 1, &ctx->fence, VK_TRUE, UINT64_MAX) == VK_SUCCESS);
    vkDestroyCommandPool(dev, pool, NULL);
    t->img.layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    t->img.stages = VK_PIPELINE_STAGE_TRANSFER_BIT;
    t->img.access = VK_ACCESS_TRANSFER_READ_BIT;
    vknn_buffer_invalidate(ctx, staging);
    memcpy(px, staging->mapped, bytes);
    vknn_buffer_free(ctx, &staging);
}

/* The image path equals the memory path, for RGBA8 and BGRA8 on either side. */
static void test_overlay_images(VknnContext *ctx)
{
    GError *err = NULL;
    g_autoptr(VknnOverlay) ov = vknn_overlay_new(ctx, &err);
    g_assert_no_error(err);
    const int w = 99, h = 75;
    const VknnRect region = {8, 6, 70, 50};
    float map[13 * 13];
    test_fill_random(map, 13 * 13, 7, 0.0f, 1.0f);
    g_assert(vknn_overlay_set_map(ov, map, 13, 13, &region, &err));
    const VknnOverlayParams p = VKNN_OVERLAY_PARAMS_DEFAULT;
    g_autofree guint8 *rgba = random_frame(w, h, w * 4, 21);
    for (int i = 0; i < w * h; i++)
        rgba[i * 4 + 3] = (guint8)(i % 256); /* alpha is kept */
    g_autofree guint8 *want = g_malloc((gsize)w * h * 4);
    g_assert(
        vknn_overlay_process_bytes(ov, &p, VKNN_PIXEL_RGBA, w, h, rgba, w * 4, want, w * 4, &err));
    g_autofree guint8 *bgra = g_memdup2(rgba, (gsize)w * h * 4);
    swap_rb(bgra, w * h);

    const VkFormat formats[2] = {VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_UNORM};
    for (int fi = 0; fi < 2; fi++)
        for (int fo = 0; fo < 2; fo++) {
            TestImage in = image_new(ctx, w, h, formats[fi], FALSE);
            TestImage out = image_new(ctx, w, h, formats[fo], fo == 0);
            image_upload(ctx, &in, fi == 0 ? rgba : bgra);
            const gboolean ok = vknn_overlay_process_images(ov, &p, w, h, &in.img, &out.img, &err);
            g_assert_no_error(err);
            g_autofree guint8 *got = g_malloc((gsize)w * h * 4);
            image_download(ctx, &out, got);
            if (fo == 1)
                swap_rb(got, w * h);
            const int d = max_diff(got, want, w, h, w * 4);
            test_check(ok && d == 0 && in.img.layout == VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
                       "images %s -> %s: the same pixels as the memory path (max diff %d)",
                       fi ? "BGRA8" : "RGBA8", fo ? "BGRA8" : "RGBA8", d);
            image_free(ctx, &in);
            image_free(ctx, &out);
        }
    test_check(vknn_overlay_supports_output_format(ov, VK_FORMAT_B8G8R8A8_UNORM) &&
                   !vknn_overlay_supports_output_format(ov, VK_FORMAT_R16G16B16A16_SFLOAT),
               "output formats: RGBA8 and BGRA8");
}

/* ---- frames as network input ------------------------------------------------- */

static VknnTensor input_tensor(VknnContext *ctx, int w, int h)
{
    GError *err = NULL;
    VknnTensor t = {0};
    vknn_tensor_set_shape(&t, &(VknnShape){4, {1, 3, h, w}});
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

static float *read_tensor(VknnContext *ctx, const VknnTensor *t)
{
    GError *err = NULL;
    g_autofree float *packed = g_malloc(t->bytes);
    g_assert(vknn_download(ctx, t->buffer, t->offset, packed, t->bytes, &err));
    float *nchw = g_new(float, (gsize)t->c * t->h * t->w);
    vknn_unpack_c4(t, packed, nchw);
    return nchw;
}

/* Converts a frame on the device: from image `img`, or (img NULL) from
 * memory: stage, record, submit. */
static float *device_input(VknnContext *ctx, VknnFrameInput *fi, const VknnFrameInputParams *p,
                           VknnPixelFormat fmt, const guint8 *frame, int fw, int fh, int stride,
                           TestImage *img)
{
    GError *err = NULL;
    VknnTensor dst = input_tensor(ctx, p->width, p->height);
    VknnCmd *cmd = vknn_cmd_new(ctx, &err);
    g_assert_no_error(err);
    if (img)
        g_assert(vknn_frame_input_record_image(fi, cmd, p, &img->img, fw, fh, &dst, &err));
    else
        g_assert(vknn_frame_input_stage_bytes(fi, frame, fw, fh, stride, &err) &&
                 vknn_frame_input_record_bytes(fi, cmd, p, fmt, fw, fh, &dst, &err));
    g_assert(vknn_cmd_end(cmd, &err) && vknn_cmd_submit_wait(cmd, &err));
    g_assert_no_error(err);
    vknn_cmd_free(&cmd);
    float *out = read_tensor(ctx, &dst);
    tensor_free(ctx, &dst);
    return out;
}

#define IMAGENET_NORM .mean = {0.485f, 0.456f, 0.406f}, .std = {0.229f, 0.224f, 0.225f}

/* One frame-input case: bytes on the device against the host, and for
 * tightly packed frames the same picture from RGBA8 and BGRA8 images. */
static void input_case(VknnContext *ctx, VknnFrameInput *fi, guint32 seed, const char *name,
                       VknnPixelFormat fmt, int fw, int fh, int stride_pad,
                       const VknnFrameInputParams *p)
{
    const int stride = fw * 4 + stride_pad;
    const gsize n = (gsize)3 * p->width * p->height;
    g_autofree guint8 *frame = random_frame(fw, fh, stride, 40 + seed);
    g_autofree float *want = g_new(float, n);
    vknn_frame_input_host(p, fmt, frame, fw, fh, stride, want);
    g_autofree float *got = device_input(ctx, fi, p, fmt, frame, fw, fh, stride, NULL);
    const double d = test_max_abs_diff(got, want, n);
    test_check(d < 1e-4, "frame input %s: device equals host (max diff %.2g)", name, d);
    if (stride_pad != 0)
        return;
    /* The same picture from images: RGBA frames in both image formats. */
    g_autofree guint8 *rgba = g_memdup2(frame, (gsize)stride * fh);
    if (vknn_pixel_swaps_rb(fmt))
        swap_rb(rgba, fw * fh);
    g_autofree guint8 *bgra = g_memdup2(rgba, (gsize)stride * fh);
    swap_rb(bgra, fw * fh);
    for (int f = 0; f < 2; f++) {
        TestImage img =
            image_new(ctx, fw, fh, f ? VK_FORMAT_B8G8R8A8_UNORM : VK_FORMAT_R8G8B8A8_UNORM, FALSE);
        image_upload(ctx, &img, f ? bgra : rgba);
        g_autofree float *from_image =
            device_input(ctx, fi, p, VKNN_PIXEL_RGBA, NULL, fw, fh, 0, &img);
        const double di = test_max_abs_diff(from_image, want, n);
        test_check(di < 1e-4, "frame input %s from a %s image equals host (max diff %.2g)", name,
                   f ? "BGRA8" : "RGBA8", di);
        image_free(ctx, &img);
    }
}

static void test_frame_input(VknnContext *ctx)
{
    VknnFrameInput *fi = vknn_frame_input_new(ctx);
    const VknnFrameInputParams imagenet = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    input_case(ctx, fi, 0, "STRETCH RGBA 99x75 -> 64x48", VKNN_PIXEL_RGBA, 99, 75, 0,
               &(VknnFrameInputParams){64, 48, VKNN_RESIZE_STRETCH, IMAGENET_NORM});
    input_case(ctx, fi, 1, "CROP BGRx 160x97 -> 64x64 (sides cut)", VKNN_PIXEL_BGRX, 160, 97, 8,
               &(VknnFrameInputParams){64, 64, VKNN_RESIZE_CROP, IMAGENET_NORM});
    input_case(
        ctx, fi, 2, "CROP RGBA 75x130 -> 48x40 (top and bottom cut)", VKNN_PIXEL_RGBA, 75, 130, 0,
        &(VknnFrameInputParams){48, 40, VKNN_RESIZE_CROP, {0.5f, 0.4f, 0.3f}, {0.5f, 0.25f, 2.0f}});
    input_case(ctx, fi, 3, "STRETCH BGRA 64x48 -> 100x77 (upscale)", VKNN_PIXEL_BGRA, 64, 48, 20,
               &(VknnFrameInputParams){100, 77, VKNN_RESIZE_STRETCH, IMAGENET_NORM});
    input_case(ctx, fi, 4, "CROP RGBA 256x144 -> 224x224", VKNN_PIXEL_RGBA, 256, 144, 0, &imagenet);

    /* Hand-checkable: a constant frame gives (c / 255 - mean) / std everywhere. */
    {
        const int fw = 97, fh = 65;
        const guint8 colour[4] = {200, 100, 30, 255};
        g_autofree guint8 *frame = g_malloc((gsize)fw * fh * 4);
        for (int i = 0; i < fw * fh; i++)
            memcpy(frame + i * 4, colour, 4);
        const VknnFrameInputParams p = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
        g_autofree float *got =
            device_input(ctx, fi, &p, VKNN_PIXEL_RGBA, frame, fw, fh, fw * 4, NULL);
        double worst = 0;
        for (int c = 0; c < 3; c++) {
            const double want = (colour[c] / 255.0 - p.mean[c]) / p.std[c];
            for (int i = 0; i < p.width * p.height; i++)
                worst = MAX(worst, fabs(got[c * p.width * p.height + i] - want));
        }
        test_check(worst < 1e-5,
                   "constant (200,100,30) frame: every value is (c/255 - mean)/std (max err %.2g)",
                   worst);
    }
    /* Identity: STRETCH to the frame's own size, mean 0, std 1 gives the pixels / 255. */
    {
        const int fw = 64, fh = 48;
        g_autofree guint8 *frame = random_frame(fw, fh, fw * 4, 77);
        const VknnFrameInputParams p = {fw, fh, VKNN_RESIZE_STRETCH, {0, 0, 0}, {1, 1, 1}};
        g_autofree float *got =
            device_input(ctx, fi, &p, VKNN_PIXEL_BGRX, frame, fw, fh, fw * 4, NULL);
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < fw * fh; i++)
                worst = MAX(worst, fabs(got[c * fw * fh + i] - frame[i * 4 + 2 - c] / 255.0));
        test_check(worst < 1e-6, "identity resize gives the pixels back (max err %.2g)", worst);
    }
    /* Regions, by hand. */
    {
        VknnFrameInputParams p = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
        VknnRect a, b, c, d;
        vknn_frame_input_region(&p, 640, 480, &a);
        vknn_frame_input_region(&p, 100, 161, &b);
        p.width = 64;
        p.height = 48;
        vknn_frame_input_region(&p, 99, 99, &c);
        p.mode = VKNN_RESIZE_STRETCH;
        vknn_frame_input_region(&p, 99, 75, &d);
        test_check(a.x == 80 && a.y == 0 && a.width == 480 && a.height == 480 && b.x == 0 &&
                       b.y == 30 && b.width == 100 && b.height == 100 && c.x == 0 && c.y == 12 &&
                       c.width == 99 && c.height == 74 && d.x == 0 && d.y == 0 && d.width == 99 &&
                       d.height == 75,
                   "regions: 640x480 crop (80,0) 480x480, 100x161 crop (0,30) 100x100, 99x99 -> "
                   "4:3 crop (0,12) 99x74, stretch the whole frame");
    }
    /* A side above 2^30: 2 * side overflows an int. */
    {
        const VknnFrameInputParams p = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
        const int side = (1 << 30) + 2;
        VknnRect r;
        vknn_frame_input_region(&p, side, side, &r);
        test_check(r.x == 0 && r.y == 0 && r.width == side && r.height == side,
                   "a %dx%d frame's square crop is the whole frame (got (%d,%d) %dx%d)", side, side,
                   r.x, r.y, r.width, r.height);
    }
    /* Errors. */
    {
        GError *err = NULL;
        VknnTensor wrong = input_tensor(ctx, 10, 10);
        VknnCmd *cmd = vknn_cmd_new(ctx, &err);
        const VknnFrameInputParams p = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
        test_check(
            !vknn_frame_input_record_bytes(fi, cmd, &p, VKNN_PIXEL_RGBA, 64, 64, &wrong, &err) &&
                err,
            "a destination of the wrong shape is refused: %s", err ? err->message : "");
        g_clear_error(&err);
        vknn_cmd_free(&cmd);
        tensor_free(ctx, &wrong);
    }
    vknn_frame_input_free(fi);
}

/* Upload -> convert -> network (GlobalAveragePool) in one command buffer,
 * recorded once and submitted for two frames. */
static void test_frame_input_net(VknnContext *ctx)
{
    GError *err = NULL;
    const VknnFrameInputParams p = {56, 40, VKNN_RESIZE_CROP, IMAGENET_NORM};
    const int fw = 130, fh = 75;
    const VknnShape shape = SHAPE(1, 3, p.height, p.width);
    TestModel b = tm_new(0, 0);
    tm_input(&b, "input", shape);
    tm_named_node(&b, "gap", "GlobalAveragePool", NAMES("input"), "output");
    tm_output(&b, "output");
    g_autoptr(VknnModel) m = tm_take(&b);
    g_assert(m);
    VknnNet *net = vknn_net_new(ctx, m, &err);
    g_assert_no_error(err);
    g_assert(vknn_net_prepare(net, &shape, &err));
    VknnFrameInput *fi = vknn_frame_input_new(ctx);
    VknnCmd *cmd = vknn_cmd_new(ctx, &err);
    g_assert_no_error(err);
    g_assert(vknn_frame_input_record_bytes(fi, cmd, &p, VKNN_PIXEL_RGBA, fw, fh,
                                           vknn_net_tensor(net, "input"), &err));
    g_assert(vknn_net_record(net, cmd, &err) && vknn_cmd_end(cmd, &err));
    g_assert_no_error(err);
    for (int k = 0; k < 2; k++) {
        g_autofree guint8 *frame = random_frame(fw, fh, fw * 4, 90 + k);
        g_assert(vknn_frame_input_stage_bytes(fi, frame, fw, fh, fw * 4, &err));
        g_assert(vknn_cmd_submit_wait(cmd, &err));
        g_autofree float *got = read_tensor(ctx, vknn_net_tensor(net, "output"));
        g_autofree float *x = g_new(float, 3 * p.width * p.height);
        vknn_frame_input_host(&p, VKNN_PIXEL_RGBA, frame, fw, fh, fw * 4, x);
        double worst = 0;
        for (int c = 0; c < 3; c++) {
            double mean = 0;
            for (int i = 0; i < p.width * p.height; i++)
                mean += x[c * p.width * p.height + i];
            worst = MAX(worst, fabs(got[c] - mean / (p.width * p.height)));
        }
        test_check(worst < 1e-4,
                   "frame %d: upload, convert and network in one command buffer (%d dispatches) "
                   "give the host's channel means (max diff %.2g)",
                   k, vknn_cmd_dispatch_count(cmd), worst);
    }
    vknn_cmd_free(&cmd);
    vknn_frame_input_free(fi);
    vknn_net_free(net);
}

int main(int argc, char **argv)
{
    g_autoptr(VknnContext) ctx = test_context();
    printf("device: %s\n", vknn_context_device_name(ctx));
    test_colormaps();
    test_overlay_bytes(ctx);
    test_overlay_images(ctx);
    test_frame_input(ctx);
    test_frame_input_net(ctx);
    test_check(vknn_live_buffers() == 0, "every device buffer was released (%d left)",
               vknn_live_buffers());
    return test_summary(0);
}
