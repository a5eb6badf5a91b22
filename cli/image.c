/* Image I/O with gdk-pixbuf: decoders come from the platform, not from us.
 * Reading is in image_read.c. */
#include "image.h"
#include "cmd.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <string.h>

/* The format gdk-pixbuf writes for path's extension (any case), or NULL. */
static GdkPixbufFormat *writable_format(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    const char *dot = strrchr(base, '.');
    if (!dot)
        return NULL;
    g_autofree char *ext = g_ascii_strdown(dot + 1, -1);
    g_autoptr(GSList) formats = gdk_pixbuf_get_formats();
    for (GSList *l = formats; l; l = l->next) {
        g_auto(GStrv) exts = gdk_pixbuf_format_get_extensions(l->data);
        if (gdk_pixbuf_format_is_writable(l->data) &&
            g_strv_contains((const char *const *)exts, ext))
            return l->data;
    }
    return NULL;
}

/* ".png, .jpeg, .jpg, ...": what writable_format() knows. */
static char *writable_extensions(void)
{
    GString *s = g_string_new(NULL);
    g_autoptr(GSList) formats = gdk_pixbuf_get_formats();
    for (GSList *l = formats; l; l = l->next) {
        g_auto(GStrv) exts = gdk_pixbuf_format_get_extensions(l->data);
        for (int i = 0; gdk_pixbuf_format_is_writable(l->data) && exts[i]; i++)
            g_string_append_printf(s, "%s.%s", s->len ? ", " : "", exts[i]);
    }
    return g_string_free(s, FALSE);
}

gboolean cli_image_check_output(const char *path, GError **err)
{
    if (writable_format(path))
        return TRUE;
    g_autofree char *known = writable_extensions();
    g_set_error(err, CLI_USAGE_ERROR, 0,
                "cannot write %s: its extension names no image format vknn writes (%s)", path,
                known);
    return FALSE;
}

gboolean cli_image_save(const char *path, const float *data, int width, int height, GError **err)
{
    GdkPixbufFormat *format = writable_format(path);
    if (!format)
        return cli_image_check_output(path, err);
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
    g_autofree char *name = gdk_pixbuf_format_get_name(format);
    /* gdk-pixbuf's JPEG default, 75, blurs the brush strokes of a style. */
    if (g_str_equal(name, "jpeg"))
        return gdk_pixbuf_save(pb, path, name, err, "quality", "95", NULL);
    return gdk_pixbuf_save(pb, path, name, err, NULL);
}

/* From 4-byte pixels as gdk-pixbuf decodes them: 7 bytes a pixel at the
 * peak, where 8-bit RGB, float planes and RGBA took 19 (1.2 GB for a
 * 64-megapixel photo). */
gboolean cli_image_load_input(const char *path, const VknnFrameInputParams *fp, float **input,
                              GError **err)
{
    g_autoptr(GdkPixbuf) pb = cli_image_load_pixbuf(path, err);
    if (!pb)
        return FALSE;
    if (!gdk_pixbuf_get_has_alpha(pb)) {
        GdkPixbuf *rgba = gdk_pixbuf_add_alpha(pb, FALSE, 0, 0, 0);
        if (!rgba) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "cannot convert %s to RGBA", path);
            return FALSE;
        }
        g_object_unref(pb);
        pb = rgba;
    }
    *input = g_new(float, 3 * fp->width * fp->height);
    /* RGBX: the photo's alpha, if any, is ignored, as its RGB planes were. */
    vknn_frame_input_host(fp, VKNN_PIXEL_RGBX, gdk_pixbuf_read_pixels(pb), gdk_pixbuf_get_width(pb),
                          gdk_pixbuf_get_height(pb), gdk_pixbuf_get_rowstride(pb), *input);
    return TRUE;
}
