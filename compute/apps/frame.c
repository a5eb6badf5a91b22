/* 8-bit video frames on the device: packed-pixel buffers, image layouts and
 * output images (see frame.h). */
#include "apps/frame.h"

#include <string.h>

void vknn_frame_buffer_clear(VknnContext *ctx, VknnFrameBuffer *f)
{
    vknn_tensor_release_view(ctx, &f->texels);
    vknn_buffer_free(ctx, &f->buffer);
    f->width = f->height = 0;
}

gboolean vknn_frame_buffer_ensure(VknnContext *ctx, VknnFrameBuffer *f, int width, int height,
                                  VknnMemKind kind, GError **err)
{
    if (f->buffer && f->width == width && f->height == height)
        return TRUE;
    vknn_frame_buffer_clear(ctx, f);
    const VkDeviceSize bytes = (VkDeviceSize)width * height * 4;
    f->buffer = vknn_buffer_new(ctx, bytes, kind, err);
    if (!f->buffer)
        return FALSE;
    f->texels =
        (VknnTensor){.buffer = f->buffer, .bytes = bytes, .view_format = VK_FORMAT_R32_UINT};
    if (!vknn_tensor_make_view(ctx, &f->texels, err)) {
        vknn_frame_buffer_clear(ctx, f);
        return FALSE;
    }
    f->width = width;
    f->height = height;
    return TRUE;
}

static void copy_rows(guint8 *dst, int dst_stride, const guint8 *src, int src_stride, int row_bytes,
                      int rows)
{
    for (int y = 0; y < rows; y++)
        memmove(dst + (gsize)y * dst_stride, src + (gsize)y * src_stride, row_bytes);
}

void vknn_frame_buffer_write(VknnFrameBuffer *f, const guint8 *src, int stride)
{
    const int row = f->width * 4;
    copy_rows(f->buffer->mapped, row, src, stride, row, f->height);
}

void vknn_frame_buffer_read(VknnContext *ctx, VknnFrameBuffer *f, guint8 *dst, int stride)
{
    const int row = f->width * 4;
    vknn_buffer_invalidate(ctx, f->buffer);
    copy_rows(dst, stride, f->buffer->mapped, row, row, f->height);
}

VknnPipeline *vknn_frame_pipeline(VknnContext *ctx, const VknnShader *sh, const int32_t *spec,
                                  int n_spec, GError **err)
{
    const uint32_t local[3] = {8, 8, 1};
    return vknn_pipeline_get(ctx, sh, local, spec, n_spec, err);
}

void vknn_frame_dispatch(VknnCmd *cmd, const VknnPipeline *p, const VknnTensor *const *bind,
                         const VknnImage *const *images, const void *push, int width, int height)
{
    vknn_cmd_dispatch_images(cmd, p, bind, images, push, VKNN_DIV_UP(width, 8),
                             VKNN_DIV_UP(height, 8), 1);
}

gboolean vknn_frame_check_image_format(VkFormat f, const char *which, GError **err)
{
    if (f == VK_FORMAT_R8G8B8A8_UNORM || f == VK_FORMAT_B8G8R8A8_UNORM)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                "%s image has Vulkan format %d; vknn takes R8G8B8A8_UNORM or B8G8R8A8_UNORM", which,
                f);
    return FALSE;
}

gboolean vknn_frame_output_format_supported(VkFormat format)
{
    /* RGBA8 is a mandatory storage-image format; BGRA8 goes through a copy. */
    return format == VK_FORMAT_R8G8B8A8_UNORM || format == VK_FORMAT_B8G8R8A8_UNORM;
}

void vknn_frame_sample_image(VknnCmd *cmd, VknnImage *in)
{
    vknn_cmd_image_barrier(cmd, in, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
}

gboolean vknn_frame_write_image_begin(VknnContext *ctx, VknnCmd *cmd, VknnImage *out, int width,
                                      int height, VknnFrameBuffer *staging, gboolean *direct,
                                      GError **err)
{
    out->layout = VK_IMAGE_LAYOUT_UNDEFINED; /* every pixel is overwritten */
    *direct = out->format == VK_FORMAT_R8G8B8A8_UNORM;
    if (*direct) {
        vknn_cmd_image_barrier(cmd, out, VK_IMAGE_LAYOUT_GENERAL,
                               VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
        return TRUE;
    }
    return vknn_frame_buffer_ensure(ctx, staging, width, height, VKNN_MEM_DEVICE, err);
}

void vknn_frame_write_image_end(VknnCmd *cmd, VknnImage *out, VknnFrameBuffer *staging)
{
    if (out->format == VK_FORMAT_R8G8B8A8_UNORM)
        return;
    vknn_cmd_image_barrier(cmd, out, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vknn_cmd_copy_to_image(cmd, staging->buffer, 0, out, staging->width, staging->height);
}
