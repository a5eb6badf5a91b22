/* vknn devices: the Vulkan devices, and the one that --device or
 * $VKNN_DEVICE (or, without them, vknn's preference) chooses. */
#include "cmd.h"

#include <stdio.h>

static void print_device(const VknnDeviceInfo *d)
{
    char uuid[40];
    printf("%s %d: %s\n", d->selected ? "*" : " ", d->index, d->name);
    printf("      type %s, Vulkan %u.%u.%u, %.1f GiB device-local, uuid %s%s\n",
           vknn_device_type_str(d->type), VK_API_VERSION_MAJOR(d->api_version),
           VK_API_VERSION_MINOR(d->api_version), VK_API_VERSION_PATCH(d->api_version),
           d->device_local_bytes / 1073741824.0, vknn_uuid_str(d->uuid, uuid),
           d->has_compute ? "" : " (unusable: no compute queue or Vulkan < 1.1)");
}

static gboolean any_selected(GArray *devs)
{
    for (guint i = 0; i < devs->len; i++)
        if (g_array_index(devs, VknnDeviceInfo, i).selected)
            return TRUE;
    return FALSE;
}

int cli_cmd_devices(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, NULL, CLI_OPT_DEVICE, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 1)
        return cli_usage_error(cmd, "usage: vknn devices [--device SEL]");
    GError *err = NULL;
    g_autoptr(GArray) devs = vknn_list_devices(cli_shared.device, &err);
    if (!devs)
        return cli_fail(err);
    if (devs->len == 0)
        return cli_fail(g_error_new(VKNN_ERROR, VKNN_ERROR_FAILED,
                                    "no Vulkan device found (install mesa-vulkan-drivers for "
                                    "lavapipe)"));
    for (guint i = 0; i < devs->len; i++)
        print_device(&g_array_index(devs, VknnDeviceInfo, i));
    const char *sel = cli_shared.device ? cli_shared.device : g_getenv("VKNN_DEVICE");
    if (!any_selected(devs))
        return cli_fail(g_error_new(VKNN_ERROR, VKNN_ERROR_FAILED,
                                    "no usable device matches \"%s\"", sel ? sel : ""));
    printf("* = chosen%s\n", sel ? " by the selector" : " automatically");
    return 0;
}
