/* Image files <-> float NCHW RGB 0..255, through gdk-pixbuf (PNG, JPEG, ...). */
#pragma once

#include <vknn/overlay.h> /* VknnFrameInputParams */

#include <glib.h>

typedef struct {
    int width, height;
    float *data; /* 3 x height x width, RGB planes, 0..255 */
} CliImage;

/* The largest image vknn reads, checked on the file's header before any
 * pixel is decoded (docs/reliability.md): 16384 pixels a side, and 2^27
 * pixels, the most a network can take as its input on lavapipe, NVIDIA or
 * Intel GPUs (libvknn reads a tensor through a texel buffer, one texel a
 * pixel for RGB, and their maxTexelBufferElements is 2^27). */
#define CLI_IMAGE_MAX_SIDE 16384
#define CLI_IMAGE_MAX_PIXELS (1 << 27)

/* Reads the size of the image at path from its header, and refuses what
 * is not an image, an image over the limits above, and a PNG file too
 * small to hold the pixels it claims (a truncated one): decoding either
 * would cost gigabytes before it failed. */
gboolean cli_image_probe(const char *path, int *width, int *height, GError **err);
typedef struct _GdkPixbuf GdkPixbuf;
/* Loads an image as gdk-pixbuf decodes it (probed first, turned upright
 * by its EXIF orientation): 8-bit RGB or RGBA. */
GdkPixbuf *cli_image_load_pixbuf(const char *path, GError **err);
/* Loads an image (probed first); when width/height > 0 it is resized to that size first
 * (bilinear, as PIL and torchvision resize). */
gboolean cli_image_load(const char *path, int width, int height, CliImage *out, GError **err);
/* Whether cli_image_save() can write path: its extension (any case) names
 * a format gdk-pixbuf writes (.png, .jpg, .jpeg, .bmp, .tiff, ...); a
 * CLI_USAGE_ERROR otherwise, so that a command checks it before it runs. */
gboolean cli_image_check_output(const char *path, GError **err);
/* Saves a 3-plane float image in the format path's extension names (JPEG
 * at quality 95), clamping to 0..255 and rounding. */
gboolean cli_image_save(const char *path, const float *data, int width, int height, GError **err);
/* Converts an 8-bit RGB(A) pixbuf into img. */
void cli_image_from_pixbuf(GdkPixbuf *pb, CliImage *img);
/* Loads an image scaled so that its shorter side is `side` pixels. */
gboolean cli_image_load_cover(const char *path, int side, CliImage *out, GError **err);
/* A photo preprocessed into a network input as fp says (shorter side
 * scaled, centre crop, (rgb / 255 - mean) / std): fp->width x fp->height
 * RGB planes, *input to g_free. */
gboolean cli_image_load_input(const char *path, const VknnFrameInputParams *fp, float **input,
                              GError **err);
void cli_image_clear(CliImage *img);
void cli_image_free(CliImage *img);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliImage, cli_image_clear)
