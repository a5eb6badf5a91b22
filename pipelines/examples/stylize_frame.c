/* Embedding libvknn without GStreamer: a built-in style on one RGBA frame
 * in host memory, through VknnStyler (the same code as vkstyletransfer).
 *
 *   stylize_frame [MODEL] [WIDTHxHEIGHT]     (default builtin:wave 160x120)
 *
 * Built against an installed libvknn:
 *   cc stylize_frame.c $(pkg-config --cflags --libs vknn) -o stylize_frame
 */
#include <vknn/vknn.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "builtin:wave";
    int w = 160, h = 120;
    if (argc > 2 && sscanf(argv[2], "%dx%d", &w, &h) != 2) {
        fprintf(stderr, "usage: %s [MODEL] [WIDTHxHEIGHT]\n", argv[0]);
        return 2;
    }
    GError *err = NULL;
    g_autoptr(VknnModel) model = vknn_model_load(path, &err);
    g_autoptr(VknnContext) ctx = model ? vknn_context_new(NULL, &err) : NULL;
    g_autoptr(VknnStyler) styler = ctx ? vknn_styler_new(ctx, model, &err) : NULL;
    if (!styler || !vknn_styler_prepare(styler, w, h, NULL, &err)) {
        fprintf(stderr, "stylize_frame: %s\n", err->message);
        return 1;
    }
    /* A gradient as the input frame; the output has the frame's size. */
    const int stride = 4 * w;
    g_autofree guint8 *in = g_malloc((gsize)stride * h);
    g_autofree guint8 *out = g_malloc((gsize)stride * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            guint8 *p = in + (gsize)y * stride + 4 * x;
            p[0] = (guint8)(255 * x / w);
            p[1] = (guint8)(255 * y / h);
            p[2] = 128;
            p[3] = 255;
        }
    if (!vknn_styler_process_bytes(styler, VKNN_PIXEL_RGBA, in, stride, out, stride, &err)) {
        fprintf(stderr, "stylize_frame: %s\n", err->message);
        return 1;
    }
    double diff = 0;
    for (gsize i = 0; i < (gsize)stride * h; i++)
        diff += out[i] > in[i] ? out[i] - in[i] : in[i] - out[i];
    printf("%s on %s: %dx%d in %.1f ms, mean change %.1f per channel\n", path,
           vknn_context_device_name(ctx), w, h, vknn_styler_last_frame_ms(styler),
           diff / ((gsize)stride * h));
    return 0;
}
