/* Command recording with automatic barriers.
 *
 * Every dispatch declares the buffer ranges it reads (texel bindings) and
 * writes (storage bindings). A barrier is recorded only when a dispatch
 * touches a range written since the last barrier, or writes a range read
 * since then, so independent dispatches (the two expand branches of a Fire
 * module, say) may overlap on the device. */
#include "runtime/fault.h"

/* A byte range of a buffer, or a whole image ([0, 1) of its handle). */
typedef struct {
    uint64_t handle;
    VkDeviceSize begin, end;
} Range;

struct VknnCmd {
    VknnContext *ctx;
    VkCommandBuffer cb;
    GPtrArray *pools;   /* VkDescriptorPool, owned */
    uint32_t pool_left; /* sets left in the last pool */
    GArray *writes;     /* Range written since the last barrier */
    GArray *reads;      /* Range read since the last barrier */
    int dispatches;
    GError *error; /* first recording failure, reported by vknn_cmd_end */
};

#define SETS_PER_POOL 256

VknnCmd *vknn_cmd_new(VknnContext *ctx, GError **err)
{
    if (!vknn_context_check_alive(ctx, "cannot record commands", err))
        return NULL;
    VknnCmd *cmd = g_new0(VknnCmd, 1);
    cmd->ctx = ctx;
    cmd->pools = g_ptr_array_new();
    cmd->writes = g_array_new(FALSE, FALSE, sizeof(Range));
    cmd->reads = g_array_new(FALSE, FALSE, sizeof(Range));
    VkCommandBufferAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = ctx->cmd_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VKNN_CHECK(vkAllocateCommandBuffers(ctx->device, &ai, &cmd->cb), "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VKNN_CHECK(vkBeginCommandBuffer(cmd->cb, &bi), "vkBeginCommandBuffer");
    return cmd;
fail:
    vknn_cmd_free(&cmd);
    return NULL;
}

void vknn_cmd_free(VknnCmd **pcmd)
{
    VknnCmd *cmd = *pcmd;
    if (!cmd)
        return;
    VkDevice dev = cmd->ctx->device;
    if (cmd->cb)
        vkFreeCommandBuffers(dev, cmd->ctx->cmd_pool, 1, &cmd->cb);
    for (guint i = 0; i < cmd->pools->len; i++)
        vkDestroyDescriptorPool(dev, g_ptr_array_index(cmd->pools, i), NULL);
    g_ptr_array_unref(cmd->pools);
    g_array_unref(cmd->writes);
    g_array_unref(cmd->reads);
    g_clear_error(&cmd->error);
    g_free(cmd);
    *pcmd = NULL;
}

static gboolean overlaps(GArray *ranges, const Range *r)
{
    for (guint i = 0; i < ranges->len; i++) {
        const Range *o = &g_array_index(ranges, Range, i);
        if (o->handle == r->handle && o->begin < r->end && r->begin < o->end)
            return TRUE;
    }
    return FALSE;
}

static void barrier(VknnCmd *cmd, VkPipelineStageFlags src, VkPipelineStageFlags dst)
{
    VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                         VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    vkCmdPipelineBarrier(cmd->cb, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
    g_array_set_size(cmd->writes, 0);
    g_array_set_size(cmd->reads, 0);
}

static const VkPipelineStageFlags ALL_STAGES =
    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;

/* Records a barrier if the accesses conflict with work since the last one,
 * then notes them. */
static void track(VknnCmd *cmd, const Range *reads, int n_reads, const Range *writes, int n_writes)
{
    gboolean hazard = FALSE;
    for (int i = 0; i < n_reads && !hazard; i++)
        hazard = overlaps(cmd->writes, &reads[i]);
    for (int i = 0; i < n_writes && !hazard; i++)
        hazard = overlaps(cmd->writes, &writes[i]) || overlaps(cmd->reads, &writes[i]);
    if (hazard)
        barrier(cmd, ALL_STAGES, ALL_STAGES);
    g_array_append_vals(cmd->reads, reads, n_reads);
    g_array_append_vals(cmd->writes, writes, n_writes);
}

static VkDescriptorSet alloc_set(VknnCmd *cmd, VkDescriptorSetLayout layout)
{
    VkDevice dev = cmd->ctx->device;
    if (cmd->pool_left == 0) {
        VkDescriptorPoolSize sizes[] = {
            {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, SETS_PER_POOL * 6},
            {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, SETS_PER_POOL * 2},
            {VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE, 8},
            {VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 8},
        };
        VkDescriptorPoolCreateInfo pci = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
            .maxSets = SETS_PER_POOL,
            .poolSizeCount = G_N_ELEMENTS(sizes),
            .pPoolSizes = sizes,
        };
        VkDescriptorPool pool;
        GError **err = &cmd->error;
        VKNN_CHECK(vkCreateDescriptorPool(dev, &pci, NULL, &pool), "vkCreateDescriptorPool");
        g_ptr_array_add(cmd->pools, pool);
        cmd->pool_left = SETS_PER_POOL;
    }
    VkDescriptorPool pool = g_ptr_array_index(cmd->pools, cmd->pools->len - 1);
    VkDescriptorSetAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = pool,
        .descriptorSetCount = 1,
        .pSetLayouts = &layout,
    };
    VkDescriptorSet set;
    VkResult res = vkAllocateDescriptorSets(dev, &ai, &set);
    if (res == VK_ERROR_OUT_OF_POOL_MEMORY || res == VK_ERROR_FRAGMENTED_POOL) {
        cmd->pool_left = 0; /* the pool ran out of a descriptor type: start a new one */
        return alloc_set(cmd, layout);
    }
    if (res != VK_SUCCESS) {
        vknn_set_vk_error(&cmd->error, res, "vkAllocateDescriptorSets");
        return VK_NULL_HANDLE;
    }
    cmd->pool_left--;
    return set;
fail:
    return VK_NULL_HANDLE;
}

static uint64_t handle_of(const void *h)
{
    return (uint64_t)(uintptr_t)h;
}

void vknn_cmd_dispatch_images(VknnCmd *cmd, const VknnPipeline *p, const VknnTensor *const *bind,
                              const VknnImage *const *images, const void *push, uint32_t gx,
                              uint32_t gy, uint32_t gz)
{
    if (cmd->error || gx == 0 || gy == 0 || gz == 0)
        return;
    const VknnShader *sh = p->shader;
    const int n_buffers = sh->n_texel + sh->n_storage, n = n_buffers + sh->n_sampled + sh->n_image;
    VkDescriptorSet set = alloc_set(cmd, p->set_layout);
    if (!set)
        return;
    VkWriteDescriptorSet w[16];
    VkDescriptorBufferInfo bi[16];
    VkDescriptorImageInfo ii[16];
    Range reads[16], writes[16];
    int n_reads = 0, n_writes = 0;
    for (int i = 0; i < n; i++) {
        const VkDescriptorType type = vknn_binding_type(sh, i);
        w[i] = (VkWriteDescriptorSet){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstSet = set,
            .dstBinding = (uint32_t)i,
            .descriptorCount = 1,
            .descriptorType = type,
        };
        Range r;
        if (i < n_buffers) {
            const VknnTensor *t = bind[i];
            r = (Range){handle_of(t->buffer->buffer), t->offset, t->offset + t->bytes};
            if (type == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER) {
                g_assert(t->view);
                w[i].pTexelBufferView = &t->view;
            } else {
                bi[i] = (VkDescriptorBufferInfo){t->buffer->buffer, t->offset, t->bytes};
                w[i].pBufferInfo = &bi[i];
            }
        } else {
            const VknnImage *img = images[i - n_buffers];
            r = (Range){handle_of(img->image), 0, 1};
            ii[i] = (VkDescriptorImageInfo){.imageView = img->view, .imageLayout = img->layout};
            w[i].pImageInfo = &ii[i];
        }
        if (type == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER ||
            type == VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE)
            reads[n_reads++] = r;
        else
            writes[n_writes++] = r;
    }
    vkUpdateDescriptorSets(cmd->ctx->device, (uint32_t)n, w, 0, NULL);
    track(cmd, reads, n_reads, writes, n_writes);
    vkCmdBindPipeline(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
    vkCmdBindDescriptorSets(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &set, 0,
                            NULL);
    if (sh->push_size)
        vkCmdPushConstants(cmd->cb, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sh->push_size, push);
    vkCmdDispatch(cmd->cb, gx, gy, gz);
    cmd->dispatches++;
}

void vknn_cmd_dispatch(VknnCmd *cmd, const VknnPipeline *p, const VknnTensor *const *bind,
                       const void *push, uint32_t gx, uint32_t gy, uint32_t gz)
{
    vknn_cmd_dispatch_images(cmd, p, bind, NULL, push, gx, gy, gz);
}

void vknn_cmd_image_barrier(VknnCmd *cmd, VknnImage *img, VkImageLayout layout,
                            VkPipelineStageFlags stage, VkAccessFlags access)
{
    VkImageMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
        .srcAccessMask = img->access,
        .dstAccessMask = access,
        .oldLayout = img->layout,
        .newLayout = layout,
        .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .image = img->image,
        .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1},
    };
    const VkPipelineStageFlags src = img->stages ? img->stages : VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT;
    vkCmdPipelineBarrier(cmd->cb, src, stage, 0, 0, NULL, 0, NULL, 1, &b);
    img->layout = layout;
    img->stages = stage;
    img->access = access;
}

void vknn_cmd_copy_to_image(VknnCmd *cmd, VknnBuffer *src, VkDeviceSize src_off, VknnImage *dst,
                            uint32_t width, uint32_t height)
{
    Range r = {handle_of(src->buffer), src_off, src_off + (VkDeviceSize)width * height * 4};
    Range w = {handle_of(dst->image), 0, 1};
    track(cmd, &r, 1, &w, 1);
    VkBufferImageCopy region = {
        .bufferOffset = src_off,
        .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
        .imageExtent = {width, height, 1},
    };
    vkCmdCopyBufferToImage(cmd->cb, src->buffer, dst->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           1, &region);
}

void vknn_cmd_barrier_all(VknnCmd *cmd)
{
    barrier(cmd, ALL_STAGES, ALL_STAGES);
}

void vknn_cmd_reset_queries(VknnCmd *cmd, VkQueryPool pool, uint32_t count)
{
    vkCmdResetQueryPool(cmd->cb, pool, 0, count);
}

void vknn_cmd_timestamp(VknnCmd *cmd, VkQueryPool pool, uint32_t query)
{
    barrier(cmd, ALL_STAGES, ALL_STAGES);
    vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, query);
}

void vknn_cmd_dispatch_linear(VknnCmd *cmd, const VknnPipeline *p, const VknnTensor *const *bind,
                              const void *push, int64_t count)
{
    const uint64_t groups = VKNN_DIV_UP((uint64_t)count, p->local[0]);
    const uint64_t max_x = MIN(cmd->ctx->props.limits.maxComputeWorkGroupCount[0], 65535u);
    const uint64_t gx = MIN(groups, max_x);
    vknn_cmd_dispatch(cmd, p, bind, push, (uint32_t)MAX(gx, 1), (uint32_t)VKNN_DIV_UP(groups, gx),
                      1);
}

void vknn_cmd_copy(VknnCmd *cmd, VknnBuffer *src, VkDeviceSize src_off, VknnBuffer *dst,
                   VkDeviceSize dst_off, VkDeviceSize size)
{
    Range r = {handle_of(src->buffer), src_off, src_off + size};
    Range w = {handle_of(dst->buffer), dst_off, dst_off + size};
    track(cmd, &r, 1, &w, 1);
    VkBufferCopy region = {src_off, dst_off, size};
    vkCmdCopyBuffer(cmd->cb, src->buffer, dst->buffer, 1, &region);
}

void vknn_cmd_fill_zero(VknnCmd *cmd, VknnBuffer *dst, VkDeviceSize off, VkDeviceSize size)
{
    Range w = {handle_of(dst->buffer), off, off + size};
    track(cmd, NULL, 0, &w, 1);
    vkCmdFillBuffer(cmd->cb, dst->buffer, off, size, 0);
}

gboolean vknn_cmd_end(VknnCmd *cmd, GError **err)
{
    if (cmd->error) {
        g_propagate_error(err, g_steal_pointer(&cmd->error));
        return FALSE;
    }
    /* Shaders may write host-visible memory (frame readback) too: make every
     * write of the command buffer visible to the host after the fence. */
    {
        VkMemoryBarrier mb = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
            .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
            .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
        };
        vkCmdPipelineBarrier(cmd->cb, ALL_STAGES, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0,
                             NULL);
    }
    VKNN_CHECK(vkEndCommandBuffer(cmd->cb), "vkEndCommandBuffer");
    return TRUE;
fail:
    return FALSE;
}

gboolean vknn_cmd_submit_wait_many(VknnCmd *const *cmds, int n, GError **err)
{
    VknnContext *ctx = cmds[0]->ctx;
    VkCommandBuffer cbs[8];
    g_assert(n <= (int)G_N_ELEMENTS(cbs));
    for (int i = 0; i < n; i++)
        cbs[i] = cmds[i]->cb;
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = (uint32_t)n,
        .pCommandBuffers = cbs,
    };
    if (!vknn_context_check_alive(ctx, "cannot submit", err))
        return FALSE;
    VKNN_CHECK(vkResetFences(ctx->device, 1, &ctx->fence), "vkResetFences");
    VKNN_CHECK(vknn_vk_queue_submit(ctx, &si), "vkQueueSubmit");
    VKNN_CHECK(vknn_vk_wait_fence(ctx), "waiting for the device");
    return TRUE;
fail:
    return FALSE;
}

gboolean vknn_cmd_submit_wait(VknnCmd *cmd, GError **err)
{
    return vknn_cmd_submit_wait_many(&cmd, 1, err);
}

int vknn_cmd_dispatch_count(const VknnCmd *cmd)
{
    return cmd->dispatches;
}
