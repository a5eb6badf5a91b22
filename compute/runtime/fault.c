/* Fault injection and device loss (runtime/fault.h). */
#include "runtime/fault.h"

#include <string.h>

static const char *const kind_names[VKNN_FAULT_KINDS] = {"alloc", "submit", "wait"};

void vknn_fault_set(VknnContext *ctx, VknnFaultKind kind, int64_t n, VkResult result)
{
    ctx->fault = (VknnFault){.kind = kind, .at = MAX(n, 0), .result = result};
}

void vknn_fault_counts(const VknnContext *ctx, int64_t counts[VKNN_FAULT_KINDS])
{
    memcpy(counts, ctx->fault.counts, sizeof ctx->fault.counts);
}

gboolean vknn_fault_parse(VknnContext *ctx, const char *spec)
{
    g_auto(GStrv) part = g_strsplit(spec, ":", 4);
    const guint n_parts = g_strv_length(part);
    int kind = -1;
    for (int k = 0; n_parts >= 2 && k < VKNN_FAULT_KINDS; k++)
        if (g_str_equal(part[0], kind_names[k]))
            kind = k;
    guint64 n = 0;
    const gboolean lost = n_parts == 3 && g_str_equal(part[2], "lost");
    if (kind < 0 || n_parts > 3 || (n_parts == 3 && !lost) ||
        !g_ascii_string_to_unsigned(part[1], 10, 1, G_MAXINT64, &n, NULL)) {
        vknn_log(VKNN_LOG_WARNING,
                 "VKNN_FAULT=%s ignored (alloc:N, submit:N or wait:N, optionally :lost)", spec);
        return FALSE;
    }
    vknn_fault_set(ctx, (VknnFaultKind)kind, (int64_t)n,
                   lost ? VK_ERROR_DEVICE_LOST : VK_ERROR_OUT_OF_DEVICE_MEMORY);
    vknn_log(VKNN_LOG_INFO, "fault injection: %s call %" G_GUINT64_FORMAT " fails with %s",
             kind_names[kind], n, vknn_result_str(ctx->fault.result));
    return TRUE;
}

/* Counts a call of `kind`; its injected result, or VK_SUCCESS to make the
 * real call. */
static VkResult count(VknnContext *ctx, VknnFaultKind kind)
{
    VknnFault *f = &ctx->fault;
    const int64_t n = ++f->counts[kind];
    if (f->at && f->kind == kind && n == f->at) {
        vknn_log(VKNN_LOG_INFO, "fault injection: failing %s call %" G_GINT64_FORMAT " with %s",
                 kind_names[kind], n, vknn_result_str(f->result));
        return f->result;
    }
    return VK_SUCCESS;
}

static VkResult seen(VknnContext *ctx, VkResult res)
{
    if (res == VK_ERROR_DEVICE_LOST)
        ctx->lost = TRUE;
    return res;
}

VkResult vknn_vk_allocate_memory(VknnContext *ctx, const VkMemoryAllocateInfo *info,
                                 VkDeviceMemory *mem)
{
    const VkResult injected = count(ctx, VKNN_FAULT_ALLOC);
    if (injected != VK_SUCCESS)
        return seen(ctx, injected);
    return seen(ctx, vkAllocateMemory(ctx->device, info, NULL, mem));
}

VkResult vknn_vk_queue_submit(VknnContext *ctx, const VkSubmitInfo *si)
{
    const VkResult injected = count(ctx, VKNN_FAULT_SUBMIT);
    if (injected != VK_SUCCESS)
        return seen(ctx, injected);
    if (ctx->queue_lock)
        ctx->queue_lock(TRUE, ctx->queue_lock_data);
    const VkResult res = vkQueueSubmit(ctx->queue, 1, si, ctx->fence);
    if (ctx->queue_lock)
        ctx->queue_lock(FALSE, ctx->queue_lock_data);
    return seen(ctx, res);
}

VkResult vknn_vk_wait_fence(VknnContext *ctx)
{
    const VkResult injected = count(ctx, VKNN_FAULT_WAIT);
    /* An injected failure still waits for the real work first: the caller
     * frees what the submission used as soon as it sees the error, and the
     * device must be done with it (as it is after a real device loss). */
    const VkResult res = vkWaitForFences(ctx->device, 1, &ctx->fence, VK_TRUE, UINT64_MAX);
    return seen(ctx, injected != VK_SUCCESS ? injected : res);
}

gboolean vknn_context_check_alive(const VknnContext *ctx, const char *what, GError **err)
{
    if (!ctx->lost)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LOST,
                "%s: the Vulkan device was lost earlier (VK_ERROR_DEVICE_LOST); its context "
                "must be recreated",
                what);
    return FALSE;
}
