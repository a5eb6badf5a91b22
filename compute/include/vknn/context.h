/* vknn — Vulkan context: the device libvknn computes on.
 *
 * A context either owns its Vulkan instance and device (vknn_context_new)
 * or adopts handles from a host application such as a GStreamer
 * GstVulkanDevice (vknn_context_new_from_handles). The core path needs no
 * optional device feature or extension, so an adopted device created with
 * none works.
 *
 * A context may be used from one thread at a time; the caller serialises
 * access (the executor submits to the context's queue).
 */
#pragma once

#include <vknn/error.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

typedef struct VknnContext VknnContext;

typedef struct {
    /* Device selector: NULL or "" = automatic (prefer discrete GPU, then
     * integrated, virtual, CPU/lavapipe); "3" = index in the enumeration;
     * a UUID "6d657361-3232-..." (dashes optional); otherwise a
     * case-insensitive substring of the device name ("llvmpipe", "NVIDIA").
     * When NULL, the VKNN_DEVICE environment variable is used. */
    const char *device;
    /* Enable VK_LAYER_KHRONOS_validation when installed (also VKNN_VALIDATE=1). */
    gboolean validation;
} VknnContextOptions;

/* Creates an instance and a device with one compute queue.
 * Errors: VKNN_ERROR_NO_DEVICE when no Vulkan device matches (the message
 * lists the devices seen), VKNN_ERROR_VULKAN for driver failures. */
VknnContext *vknn_context_new(const VknnContextOptions *opts, GError **err);

/* Adopts existing handles; the context does not destroy them, and the caller
 * keeps them alive until vknn_context_free(). queue must support compute. */
VknnContext *vknn_context_new_from_handles(VkInstance instance, VkPhysicalDevice physical,
                                           VkDevice device, VkQueue queue, uint32_t queue_family,
                                           GError **err);

void vknn_context_free(VknnContext *ctx);

/* Called with lock = TRUE before and FALSE after every vkQueueSubmit. Set it
 * when the queue is shared with other code that submits from other threads
 * (GStreamer: gst_vulkan_queue_submit_lock/unlock on the GstVulkanQueue). */
typedef void (*VknnQueueLockFunc)(gboolean lock, void *user_data);
void vknn_context_set_queue_lock(VknnContext *ctx, VknnQueueLockFunc fn, void *user_data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnContext, vknn_context_free)

/* Name of the chosen device, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
const char *vknn_context_device_name(const VknnContext *ctx);
VkPhysicalDeviceType vknn_context_device_type(const VknnContext *ctx);
VkDevice vknn_context_vk_device(const VknnContext *ctx);

/* Device memory a network's plan may take (activations, gradients and
 * weights, estimated before anything is allocated; vknn_net_prepare refuses
 * a plan beyond it with VKNN_ERROR_DEVICE_LIMIT). The default is the
 * largest device-local heap, or less with VKNN_MAX_MEMORY. Setting bytes
 * lowers it further (never above that default); 0 restores the default.
 * Applies to plans made after the call. */
void vknn_context_set_memory_budget(VknnContext *ctx, uint64_t bytes);
uint64_t vknn_context_memory_budget(const VknnContext *ctx);

typedef struct {
    int index;
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    VkPhysicalDeviceType type;
    uint8_t uuid[VK_UUID_SIZE];
    uint32_t api_version;
    uint64_t device_local_bytes;
    gboolean has_compute;
    gboolean selected; /* the device vknn_context_new() would choose */
} VknnDeviceInfo;

/* Lists the Vulkan devices and marks the one `selector` (same rules as
 * VknnContextOptions.device) chooses. Returns an array of VknnDeviceInfo. */
GArray *vknn_list_devices(const char *selector, GError **err);

const char *vknn_device_type_str(VkPhysicalDeviceType t);

/* Human-readable name of a VkResult ("VK_ERROR_DEVICE_LOST"). */
const char *vknn_result_str(VkResult res);

/* Sets err from a failed VkResult; device loss and out-of-memory get their
 * own codes so callers can react. Returns res. */
VkResult vknn_set_vk_error(GError **err, VkResult res, const char *what);

/* Device buffers libvknn holds right now, over all contexts: lets long-run
 * tests check that device allocations stay flat. Thread-safe. */
int vknn_live_buffers(void);
/* Formats a UUID as 8-4-4-4-12 hex into buf (>= 37 bytes). */
const char *vknn_uuid_str(const uint8_t *uuid, char *buf);

G_END_DECLS
