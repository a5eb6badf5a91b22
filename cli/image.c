/* Image I/O with gdk-pixbuf: decoders come from the platform, not from us. */
#include "image.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>

gboolean cli_image_load(const char *path, int width, int height, CliImage *out, GError **err)
{
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file(path, err);
    if (!pb)
        return FALSE;
    g_autoptr(GdkPixbuf) oriented = gdk_pixbuf_apply_embedded_orientation(pb);
    GdkPixbuf *src = oriented ? oriented : pb;
    g_autoptr(GdkPixbuf) scaled = NULL;
    if (width > 0 && height > 0 &&
        (width != gdk_pixbuf_get_width(src) || height != gdk_pixbuf_get_height(src))) {
        scaled = gdk_pixbuf_scale_simple(src, width, height, GDK_INTERP_BILINEAR);
        if (!scaled) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "cannot resize %s to %dx%d", path,
                        width, height);
            return FALSE;
        }
        src = scaled;
    }
    cli_image_from_pixbuf(src, out);
    return TRUE;
}

void cli_image_from_pixbuf(GdkPixbuf *pb, CliImage *img)
{
    const int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
    const int stride = gdk_pixbuf_get_rowstride(pb), nc = gdk_pixbuf_get_n_channels(pb);
    const guint8 *px = gdk_pixbuf_read_pixels(pb);
    img->width = w;
    img->height = h;
    img->data = g_new(float, (gsize)3 * w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                img->data[((gsize)c * h + y) * w + x] = px[(gsize)y * stride + (gsize)x * nc + c];
}

gboolean cli_image_save_png(const char *path, const float *data, int width, int height,
                            GError **err)
{
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, width, height);
    if (!pb) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "cannot allocate a %dx%d image", width,
                    height);
        return FALSE;
    }
    const int stride = gdk_pixbuf_get_rowstride(pb);
    guint8 *px = gdk_pixbuf_get_pixels(pb);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < 3; c++) {
                const float v = data[((gsize)c * height + y) * width + x];
                px[(gsize)y * stride + (gsize)x * 3 + c] =
                    (guint8)lrintf(fminf(fmaxf(v, 0.0f), 255.0f));
            }
    return gdk_pixbuf_save(pb, path, "png", err, NULL);
}

gboolean cli_image_load_cover(const char *path, int side, CliImage *out, GError **err)
{
    int w = 0, h = 0;
    if (!gdk_pixbuf_get_file_info(path, &w, &h) || w < 1 || h < 1) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not an image", path);
        return FALSE;
    }
    const double s = (double)side / MIN(w, h);
    return cli_image_load(path, MAX((int)lround(w * s), side), MAX((int)lround(h * s), side), out,
                          err);
}

void cli_image_clear(CliImage *img)
{
    g_clear_pointer(&img->data, g_free);
}

void cli_image_free(CliImage *img)
{
    cli_image_clear(img);
    g_free(img);
}
