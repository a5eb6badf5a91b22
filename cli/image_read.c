/* Reading images with gdk-pixbuf, probed against hostile sizes first: the
 * part of the CLI's image I/O that the GStreamer plugin shares (style
 * images of vkstyletransfer), a static library of its own. */
#include "image.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>

static gboolean within_limits(const char *path, int w, int h, GError **err)
{
    if (w <= CLI_IMAGE_MAX_SIDE && h <= CLI_IMAGE_MAX_SIDE && (gint64)w * h <= CLI_IMAGE_MAX_PIXELS)
        return TRUE;
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s is %dx%d pixels, %.1f GB as 8-bit RGB once decoded: over vknn's limit of %d "
                "pixels a side and %d (2^27) pixels in all",
                path, w, h, 3.0 * w * h / 1e9, CLI_IMAGE_MAX_SIDE, CLI_IMAGE_MAX_PIXELS);
    return FALSE;
}

/* deflate writes at least one byte for every 1032 it encodes (zlib's
 * maximum compression factor), and a PNG row holds at least a filter byte
 * and one bit a pixel: a smaller PNG file is truncated or corrupt, and
 * gdk-pixbuf would allocate every pixel before it found out. */
static gboolean png_can_hold(const char *path, goffset bytes, int w, int h, GError **err)
{
    const double least = (double)h * (1 + (w + 7) / 8) / 1032;
    if (bytes >= least)
        return TRUE;
    g_set_error(
        err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s claims %dx%d pixels but is %" G_GOFFSET_FORMAT
        " bytes, and a PNG of that size takes at least %.0f bytes (deflate compresses at most "
        "1032:1): it is truncated or corrupt",
        path, w, h, bytes, ceil(least));
    return FALSE;
}

gboolean cli_image_probe(const char *path, int *width, int *height, GError **err)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        const int e = errno;
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "cannot read %s: %s", path,
                    g_strerror(e));
        return FALSE;
    }
    int w = 0, h = 0;
    /* Reads the header only: the loader stops once it knows the size. */
    GdkPixbufFormat *format = gdk_pixbuf_get_file_info(path, &w, &h);
    if (!format || w < 1 || h < 1) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not an image vknn can read",
                    path);
        return FALSE;
    }
    g_autofree char *name = gdk_pixbuf_format_get_name(format);
    if (!within_limits(path, w, h, err) ||
        (g_str_equal(name, "png") && !png_can_hold(path, st.st_size, w, h, err)))
        return FALSE;
    *width = w;
    *height = h;
    return TRUE;
}

GdkPixbuf *cli_image_load_pixbuf(const char *path, GError **err)
{
    int w, h;
    if (!cli_image_probe(path, &w, &h, err))
        return NULL;
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file(path, err);
    if (!pb)
        return NULL;
    GdkPixbuf *oriented = gdk_pixbuf_apply_embedded_orientation(pb);
    return oriented ? oriented : g_steal_pointer(&pb);
}

gboolean cli_image_load(const char *path, int width, int height, CliImage *out, GError **err)
{
    g_autoptr(GdkPixbuf) src = cli_image_load_pixbuf(path, err);
    if (!src)
        return FALSE;
    g_autoptr(GdkPixbuf) scaled = NULL;
    if (width > 0 && height > 0 &&
        (width != gdk_pixbuf_get_width(src) || height != gdk_pixbuf_get_height(src))) {
        scaled = gdk_pixbuf_scale_simple(src, width, height, GDK_INTERP_BILINEAR);
        if (!scaled) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "cannot resize %s to %dx%d", path,
                        width, height);
            return FALSE;
        }
    }
    cli_image_from_pixbuf(scaled ? scaled : src, out);
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

gboolean cli_image_load_cover(const char *path, int side, CliImage *out, GError **err)
{
    int w, h;
    if (!cli_image_probe(path, &w, &h, err))
        return FALSE;
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
