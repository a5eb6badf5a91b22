/* vknn — errors and logging. Vulkan-free: the graph tier uses it too
 * (Vulkan results are reported through vknn_set_vk_error in context.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VKNN_ERROR (vknn_error_quark())
GQuark vknn_error_quark(void);

typedef enum {
    VKNN_ERROR_FAILED,        /* generic failure */
    VKNN_ERROR_IO,            /* a file could not be read or written */
    VKNN_ERROR_PARSE,         /* malformed or truncated model file */
    VKNN_ERROR_UNSUPPORTED,   /* valid model using an op/attribute/type we lack */
    VKNN_ERROR_SHAPE,         /* a shape the model or op cannot take */
    VKNN_ERROR_NO_DEVICE,     /* no usable Vulkan device */
    VKNN_ERROR_VULKAN,        /* a Vulkan call failed */
    VKNN_ERROR_DEVICE_LOST,   /* VK_ERROR_DEVICE_LOST: the device must be recreated */
    VKNN_ERROR_OUT_OF_MEMORY, /* host or device memory exhausted */
    /* a tensor exceeds what the device allows in one buffer (lavapipe: 128
     * MiB, a 32-channel 1920x1080 activation is 253 MiB): run smaller */
    VKNN_ERROR_DEVICE_LIMIT,
    /* a name or an index the model does not have: a layer, a class */
    VKNN_ERROR_NOT_FOUND,
} VknnErrorCode;

typedef enum {
    VKNN_LOG_ERROR,
    VKNN_LOG_WARNING,
    VKNN_LOG_INFO,
    VKNN_LOG_DEBUG,
} VknnLogLevel;

typedef void (*VknnLogFunc)(VknnLogLevel level, const char *msg, void *user_data);

/* Routes library messages to fn (NULL restores the default, which prints
 * warnings and errors to stderr and the rest when VKNN_DEBUG is set).
 * Not thread-safe against concurrent logging: call it at start-up. */
void vknn_set_log_func(VknnLogFunc fn, void *user_data);
void vknn_log(VknnLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

G_END_DECLS
