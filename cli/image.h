/* Image files <-> float NCHW RGB 0..255, through gdk-pixbuf (PNG, JPEG, ...). */
#pragma once

#include <glib.h>

typedef struct {
    int width, height;
    float *data; /* 3 x height x width, RGB planes, 0..255 */
} CliImage;

/* Loads an image; when width/height > 0 it is resized to that size first
 * (bilinear, as PIL and torchvision resize). */
gboolean cli_image_load(const char *path, int width, int height, CliImage *out, GError **err);
/* Saves a 3-plane float image as PNG, clamping to 0..255 and rounding. */
gboolean cli_image_save_png(const char *path, const float *data, int width, int height,
                            GError **err);
typedef struct _GdkPixbuf GdkPixbuf;
/* Converts an 8-bit RGB(A) pixbuf into img. */
void cli_image_from_pixbuf(GdkPixbuf *pb, CliImage *img);
/* Loads an image scaled so that its shorter side is `side` pixels. */
gboolean cli_image_load_cover(const char *path, int side, CliImage *out, GError **err);
void cli_image_clear(CliImage *img);
void cli_image_free(CliImage *img);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliImage, cli_image_clear)
