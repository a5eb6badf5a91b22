/* Style images for universal style transfer (vknn/wct.h), shared by vknn
 * stylize --style-image and vkstyletransfer style-image=. */
#include "style_images.h"

#include <string.h>

gchar **cli_style_image_paths(const char *list)
{
    /* A path may hold commas itself: a file of that whole name wins. */
    if (!g_file_test(list, G_FILE_TEST_IS_REGULAR) && strchr(list, ','))
        return g_strsplit(list, ",", -1);
    gchar **one = g_new0(gchar *, 2);
    one[0] = g_strdup(list);
    return one;
}

gboolean cli_style_images_set(VknnUniversalStyler *u, const char *list, int side, GError **err)
{
    g_auto(GStrv) paths = cli_style_image_paths(list);
    for (int k = 0; paths[k]; k++) {
        g_auto(CliImage) style = {0};
        if (!cli_image_load_cover(paths[k], side, &style, err))
            return FALSE;
        for (gsize i = 0; i < (gsize)3 * style.width * style.height; i++)
            style.data[i] /= 255.0f;
        if (!(k ? vknn_universal_styler_add_style
                : vknn_universal_styler_set_style)(u, style.data, style.width, style.height, err))
            return FALSE;
    }
    return TRUE;
}
