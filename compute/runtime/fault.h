/* Fault injection: the three Vulkan calls that fail at run time on a real
 * device (memory allocation, queue submission, fence wait) go through
 * here, so that a test can make the N-th of them fail and check that every
 * caller above turns the failure into a clean error (docs/reliability.md,
 * "Fault injection").
 *
 * Internal, not in compute/include: it is a test hook, not an API that
 * programs should build on. Programs (the CLI, gst-launch pipelines) get
 * it through the environment, read once by every new context:
 *
 *   VKNN_FAULT=KIND:N[:lost]   KIND alloc, submit or wait; N >= 1
 *
 * fails the N-th call of that kind the context makes with
 * VK_ERROR_OUT_OF_DEVICE_MEMORY, or VK_ERROR_DEVICE_LOST with ":lost".
 * Tests in C set it on a context with vknn_fault_set() and read how many
 * calls a run made with vknn_fault_counts(), so a sweep can fail each one.
 *
 * A context that saw VK_ERROR_DEVICE_LOST, injected or real, is marked
 * lost: every later allocation, recording or submission on it fails at
 * once with VKNN_ERROR_DEVICE_LOST instead of touching the device (which
 * could hang), until the context is freed and a new one made. */
#pragma once

#include "runtime/runtime.h"

/* Sets the fault of ctx: the n-th call of `kind` from now on (n >= 1)
 * returns `result`; n == 0 clears it. Resets the counts. */
void vknn_fault_set(VknnContext *ctx, VknnFaultKind kind, int64_t n, VkResult result);
/* Calls of each kind made since the context was created or the fault was
 * last set (counts[VKNN_FAULT_ALLOC] etc.). */
void vknn_fault_counts(const VknnContext *ctx, int64_t counts[VKNN_FAULT_KINDS]);
/* Parses a VKNN_FAULT value into ctx's fault; FALSE (fault unset) when
 * malformed. */
gboolean vknn_fault_parse(VknnContext *ctx, const char *spec);

/* The wrapped calls. Each counts, injects the fault when its turn comes,
 * and marks the context lost on VK_ERROR_DEVICE_LOST. */
VkResult vknn_vk_allocate_memory(VknnContext *ctx, const VkMemoryAllocateInfo *info,
                                 VkDeviceMemory *mem);
VkResult vknn_vk_queue_submit(VknnContext *ctx, const VkSubmitInfo *si);
VkResult vknn_vk_wait_fence(VknnContext *ctx);

/* FALSE with VKNN_ERROR_DEVICE_LOST, naming `what`, when ctx is lost. */
gboolean vknn_context_check_alive(const VknnContext *ctx, const char *what, GError **err);
