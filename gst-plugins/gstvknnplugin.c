/* vknn GStreamer plugin: registers the elements and routes libvknn's log
 * messages to the GStreamer debug log. */
#include <gst/gst.h>
#include <vknn/vknn.h>

#include "gstvkactivationmap.h"
#include "gstvkdeepdream.h"
#include "gstvksaliency.h"
#include "gstvkstyletransfer.h"

/* GST_PLUGIN_DEFINE names the plugin's gettext domain after PACKAGE. */
#define PACKAGE "vknn"

GST_DEBUG_CATEGORY_STATIC(gst_vknn_lib_debug);
#define GST_CAT_DEFAULT gst_vknn_lib_debug

/* libvknn prints warnings to stderr by default; inside a pipeline they belong
 * in the debug log (GST_DEBUG=vknn:5), next to the elements' own messages. */
static void gst_vknn_log(VknnLogLevel level, const char *msg, void *user_data)
{
    switch (level) {
    case VKNN_LOG_ERROR:
        GST_ERROR("%s", msg);
        break;
    case VKNN_LOG_WARNING:
        GST_WARNING("%s", msg);
        break;
    case VKNN_LOG_INFO:
        GST_INFO("%s", msg);
        break;
    default:
        GST_DEBUG("%s", msg);
        break;
    }
}

static gboolean plugin_init(GstPlugin *plugin)
{
    GST_DEBUG_CATEGORY_INIT(gst_vknn_lib_debug, "vknn", 0, "libvknn (Vulkan CNN runtime)");
    vknn_set_log_func(gst_vknn_log, NULL);

    gboolean ok = GST_ELEMENT_REGISTER(vkstyletransfer, plugin);
    ok &= GST_ELEMENT_REGISTER(vksaliency, plugin);
    ok &= GST_ELEMENT_REGISTER(vkactivationmap, plugin);
    ok &= GST_ELEMENT_REGISTER(vkdeepdream, plugin);
    return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, vknn,
                  "Convolutional networks on video in Vulkan compute shaders", plugin_init, VERSION,
                  "LGPL", "vknn", "vknn (built from source)")
