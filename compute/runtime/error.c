/* Errors and logging. */
#include "runtime/runtime.h"

#include <stdarg.h>
#include <stdio.h>

G_DEFINE_QUARK(vknn - error - quark, vknn_error)

const char *vknn_result_str(VkResult res)
{
    switch (res) {
#define R(x)                                                                                       \
    case x:                                                                                        \
        return #x
        R(VK_SUCCESS);
        R(VK_NOT_READY);
        R(VK_TIMEOUT);
        R(VK_INCOMPLETE);
        R(VK_ERROR_OUT_OF_HOST_MEMORY);
        R(VK_ERROR_OUT_OF_DEVICE_MEMORY);
        R(VK_ERROR_INITIALIZATION_FAILED);
        R(VK_ERROR_DEVICE_LOST);
        R(VK_ERROR_MEMORY_MAP_FAILED);
        R(VK_ERROR_LAYER_NOT_PRESENT);
        R(VK_ERROR_EXTENSION_NOT_PRESENT);
        R(VK_ERROR_FEATURE_NOT_PRESENT);
        R(VK_ERROR_INCOMPATIBLE_DRIVER);
        R(VK_ERROR_TOO_MANY_OBJECTS);
        R(VK_ERROR_FORMAT_NOT_SUPPORTED);
        R(VK_ERROR_FRAGMENTED_POOL);
        R(VK_ERROR_OUT_OF_POOL_MEMORY);
        R(VK_ERROR_INVALID_EXTERNAL_HANDLE);
#undef R
    default:
        return "VK_ERROR_UNKNOWN";
    }
}

VkResult vknn_set_vk_error(GError **err, VkResult res, const char *what)
{
    if (res >= 0)
        return res;
    VknnErrorCode code = VKNN_ERROR_VULKAN;
    if (res == VK_ERROR_DEVICE_LOST)
        code = VKNN_ERROR_DEVICE_LOST;
    else if (res == VK_ERROR_OUT_OF_HOST_MEMORY || res == VK_ERROR_OUT_OF_DEVICE_MEMORY)
        code = VKNN_ERROR_OUT_OF_MEMORY;
    g_set_error(err, VKNN_ERROR, code, "%s failed: %s", what, vknn_result_str(res));
    return res;
}

static VknnLogFunc log_func;
static void *log_data;

void vknn_set_log_func(VknnLogFunc fn, void *user_data)
{
    log_func = fn;
    log_data = user_data;
}

void vknn_log(VknnLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (log_func) {
        log_func(level, msg, log_data);
        return;
    }
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level <= VKNN_LOG_WARNING || g_getenv("VKNN_DEBUG"))
        fprintf(stderr, "vknn %s: %s\n", names[level], msg);
}
