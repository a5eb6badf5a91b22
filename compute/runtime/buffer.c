/* Device buffers, tensor layout and host <-> device transfers. */
#include "runtime/fault.h"

#include <string.h>

static int find_memory_type(const VknnContext *ctx, uint32_t bits, VkMemoryPropertyFlags want,
                            VkMemoryPropertyFlags avoid)
{
    const VkPhysicalDeviceMemoryProperties *mp = &ctx->mem_props;
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = mp->memoryTypes[i].propertyFlags;
        if ((bits & (1u << i)) && (f & want) == want && !(f & avoid))
            return (int)i;
    }
    return -1;
}

static int choose_memory_type(const VknnContext *ctx, uint32_t bits, VknnMemKind kind)
{
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
    const VkMemoryPropertyFlags coherent = host | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags cached = host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    int t = -1;
    switch (kind) {
    case VKNN_MEM_DEVICE:
        t = find_memory_type(ctx, bits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
        break;
    case VKNN_MEM_UPLOAD:
        /* Prefer system memory for staging so device-local memory stays free. */
        t = find_memory_type(ctx, bits, coherent, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        if (t < 0)
            t = find_memory_type(ctx, bits, coherent, 0);
        break;
    case VKNN_MEM_READBACK:
        t = find_memory_type(ctx, bits, cached, 0);
        if (t < 0)
            t = find_memory_type(ctx, bits, host, 0);
        break;
    }
    return t < 0 ? find_memory_type(ctx, bits, 0, 0) : t;
}

static gint live_buffers;

int vknn_live_buffers(void)
{
    return g_atomic_int_get(&live_buffers);
}

VknnBuffer *vknn_buffer_new(VknnContext *ctx, VkDeviceSize size, VknnMemKind kind, GError **err)
{
    if (!vknn_context_check_alive(ctx, "cannot allocate a buffer", err))
        return NULL;
    VknnBuffer *b = g_new0(VknnBuffer, 1);
    g_atomic_int_inc(&live_buffers);
    b->size = size;
    /* Host-visible buffers may be bound to shaders too: video frames are read
     * and written there directly. */
    const VkBufferUsageFlags usage =
        VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
        VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT;
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = MAX(size, 16),
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VKNN_CHECK(vkCreateBuffer(ctx->device, &bci, NULL, &b->buffer), "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx->device, b->buffer, &req);
    int type = choose_memory_type(ctx, req.memoryTypeBits, kind);
    if (type < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_VULKAN, "no suitable Vulkan memory type");
        goto fail;
    }
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = (uint32_t)type,
    };
    VkResult res = vknn_vk_allocate_memory(ctx, &mai, &b->memory);
    if (res != VK_SUCCESS) {
        g_set_error(err, VKNN_ERROR,
                    res == VK_ERROR_DEVICE_LOST ? VKNN_ERROR_DEVICE_LOST : VKNN_ERROR_OUT_OF_MEMORY,
                    "cannot allocate %.1f MiB of Vulkan memory: %s", size / 1048576.0,
                    vknn_result_str(res));
        goto fail;
    }
    VKNN_CHECK(vkBindBufferMemory(ctx->device, b->buffer, b->memory, 0), "vkBindBufferMemory");
    if (ctx->mem_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
        VKNN_CHECK(vkMapMemory(ctx->device, b->memory, 0, VK_WHOLE_SIZE, 0, &b->mapped),
                   "vkMapMemory");
    return b;
fail:
    vknn_buffer_free(ctx, &b);
    return NULL;
}

void vknn_buffer_free(VknnContext *ctx, VknnBuffer **pb)
{
    VknnBuffer *b = *pb;
    if (!b)
        return;
    if (b->buffer)
        vkDestroyBuffer(ctx->device, b->buffer, NULL);
    if (b->memory)
        vkFreeMemory(ctx->device, b->memory, NULL);
    g_free(b);
    g_atomic_int_add(&live_buffers, -1);
    *pb = NULL;
}

void vknn_buffer_invalidate(VknnContext *ctx, VknnBuffer *b)
{
    VkMappedMemoryRange r = {
        .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
        .memory = b->memory,
        .size = VK_WHOLE_SIZE,
    };
    vkInvalidateMappedMemoryRanges(ctx->device, 1, &r);
}

VkDeviceSize vknn_tensor_set_shape(VknnTensor *t, const VknnShape *shape)
{
    int64_t d[4] = {1, 1, 1, 1};
    for (int i = 0; i < shape->rank; i++)
        d[i] = shape->dims[i];
    t->shape = *shape;
    t->n = (int32_t)d[0];
    t->c = (int32_t)d[1];
    t->h = (int32_t)d[2];
    t->w = (int32_t)d[3];
    t->c4 = (int32_t)VKNN_DIV_UP(d[1], 4);
    t->bytes = (VkDeviceSize)vknn_tensor_texels(t) * 16;
    return t->bytes;
}

static VkFormat view_format(const VknnTensor *t)
{
    return t->view_format ? t->view_format : VK_FORMAT_R32G32B32A32_SFLOAT;
}

gboolean vknn_tensor_fits(const VknnContext *ctx, const VknnTensor *t, GError **err)
{
    const VkFormat format = view_format(t);
    const int64_t texels = format == VK_FORMAT_R32_UINT              ? (int64_t)(t->bytes / 4)
                           : format == VK_FORMAT_R16G16B16A16_SFLOAT ? (int64_t)(t->bytes / 8)
                                                                     : vknn_tensor_texels(t);
    if (texels <= ctx->props.limits.maxTexelBufferElements &&
        t->bytes <= ctx->props.limits.maxStorageBufferRange)
        return TRUE;
    char s[64];
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT,
                "tensor %s (%.1f MiB) exceeds the device's buffer limits "
                "(maxTexelBufferElements %u, maxStorageBufferRange %u): use a smaller size",
                vknn_shape_str(&t->shape, s, sizeof s), t->bytes / 1048576.0,
                ctx->props.limits.maxTexelBufferElements, ctx->props.limits.maxStorageBufferRange);
    return FALSE;
}

gboolean vknn_tensor_make_view(VknnContext *ctx, VknnTensor *t, GError **err)
{
    const VkFormat format = view_format(t);
    if (!vknn_tensor_fits(ctx, t, err))
        return FALSE;
    VkBufferViewCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
        .buffer = t->buffer->buffer,
        .format = format,
        .offset = t->offset,
        .range = t->bytes,
    };
    VKNN_CHECK(vkCreateBufferView(ctx->device, &ci, NULL, &t->view), "vkCreateBufferView");
    return TRUE;
fail:
    return FALSE;
}

void vknn_tensor_release_view(VknnContext *ctx, VknnTensor *t)
{
    if (t->view)
        vkDestroyBufferView(ctx->device, t->view, NULL);
    t->view = VK_NULL_HANDLE;
}

void vknn_pack_c4(const VknnTensor *t, const float *src, float *dst)
{
    const int64_t hw = (int64_t)t->h * t->w;
    memset(dst, 0, t->bytes);
    for (int64_t n = 0; n < t->n; n++)
        for (int64_t c = 0; c < t->c; c++) {
            const float *s = src + (n * t->c + c) * hw;
            float *d = dst + ((n * t->c4 + c / 4) * hw) * 4 + c % 4;
            for (int64_t i = 0; i < hw; i++)
                d[i * 4] = s[i];
        }
}

void vknn_unpack_c4(const VknnTensor *t, const float *src, float *dst)
{
    const int64_t hw = (int64_t)t->h * t->w;
    for (int64_t n = 0; n < t->n; n++)
        for (int64_t c = 0; c < t->c; c++) {
            const float *s = src + ((n * t->c4 + c / 4) * hw) * 4 + c % 4;
            float *d = dst + (n * t->c + c) * hw;
            for (int64_t i = 0; i < hw; i++)
                d[i] = s[i * 4];
        }
}

static gboolean transfer(VknnContext *ctx, VknnBuffer *dev, VkDeviceSize off, void *host,
                         VkDeviceSize size, gboolean upload, GError **err)
{
    VknnBuffer *staging =
        vknn_buffer_new(ctx, size, upload ? VKNN_MEM_UPLOAD : VKNN_MEM_READBACK, err);
    if (!staging)
        return FALSE;
    gboolean ok = FALSE;
    VknnCmd *cmd = NULL;
    if (upload)
        memcpy(staging->mapped, host, size);
    cmd = vknn_cmd_new(ctx, err);
    if (!cmd)
        goto out;
    if (upload)
        vknn_cmd_copy(cmd, staging, 0, dev, off, size);
    else
        vknn_cmd_copy(cmd, dev, off, staging, 0, size);
    if (!vknn_cmd_end(cmd, err) || !vknn_cmd_submit_wait(cmd, err))
        goto out;
    if (!upload) {
        vknn_buffer_invalidate(ctx, staging);
        memcpy(host, staging->mapped, size);
    }
    ok = TRUE;
out:
    vknn_cmd_free(&cmd);
    vknn_buffer_free(ctx, &staging);
    return ok;
}

gboolean vknn_upload(VknnContext *ctx, VknnBuffer *dst, VkDeviceSize off, const void *data,
                     VkDeviceSize size, GError **err)
{
    return transfer(ctx, dst, off, (void *)data, size, TRUE, err);
}

gboolean vknn_download(VknnContext *ctx, VknnBuffer *src, VkDeviceSize off, void *data,
                       VkDeviceSize size, GError **err)
{
    return transfer(ctx, src, off, data, size, FALSE, err);
}
