/* Style images for universal style transfer: the list a user gives, read
 * into a VknnUniversalStyler (vknn stylize --style-image, vkstyletransfer
 * style-image=). */
#pragma once

#include "image.h"

#include <vknn/wct.h>

/* The paths of a style-image list: comma-separated, except that a file
 * whose whole name is the list is one path. g_strfreev. */
gchar **cli_style_image_paths(const char *list);

/* Reads each image of the list scaled to `side` pixels on its shorter side
 * into u, in order (the first replaces u's styles, the others are added:
 * styles to interpolate between). The first image that cannot be read is
 * the error, naming its path. */
gboolean cli_style_images_set(VknnUniversalStyler *u, const char *list, int side, GError **err);
