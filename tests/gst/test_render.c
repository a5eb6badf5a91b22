/* pipelines/render.sh end to end: a real clip from ../shared/media/video is
 * rendered for 2 s to an MP4 through libav decoding, vkstyletransfer and the
 * encoder; the result is decoded back: frame count and size are checked, and
 * its first frame must match `vknn stylize` of the first decoded input frame
 * (within what H.264 at 4:2:0 loses), and be far from the
 * unstylised input. Without ../shared (a fresh clone) the clip is 3 s of
 * videotestsrc encoded here (192x144, 30 fps) and the model the built-in
 * wave network. */
#include "gsttest.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CLIP "media/video/intel_bottle-detection.mp4"
#define MODEL "models/style/small/candy_nc8.onnx"

/* PSNR of the RGB channels. */
static double psnr(const guint8 *a, const guint8 *b, int n_pixels)
{
    double se = 0;
    for (int i = 0; i < n_pixels; i++)
        for (int c = 0; c < 3; c++) {
            const double d = (double)a[i * 4 + c] - b[i * 4 + c];
            se += d * d;
        }
    const double mse = se / (3.0 * n_pixels);
    return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
}

static gboolean run(const char *const *argv)
{
    g_autofree char *out = NULL, *errs = NULL;
    int status = 0;
    GError *err = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errs, &status,
                      &err)) {
        return test_fail("cannot run %s: %s", argv[0], err->message);
    }
    const char *last = strrchr(errs, '\r');
    printf("  %s: %s", argv[0], last ? last + 1 : errs);
    if (!g_spawn_check_wait_status(status, NULL)) {
        return test_fail("%s failed:\n%s%s", argv[0], out, errs);
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_autofree char *clip = test_shared_path(CLIP), *model = test_shared_path(MODEL);
    const char *src = g_getenv("VKNN_SOURCE_DIR"), *build = g_getenv("VKNN_BUILD_DIR");
    g_autofree char *tmp = g_dir_make_tmp("vknn-render-XXXXXX", NULL);
    g_autofree char *made = NULL;
    if (!model)
        model = g_strdup("builtin:wave");
    if (!clip) {
        made = g_build_filename(tmp, "clip.mp4", NULL);
        g_autofree char *encode = g_strdup_printf(
            "gst-launch-1.0 -q videotestsrc num-buffers=90 pattern=smpte ! "
            "video/x-raw,width=192,height=144,framerate=30/1 ! videoconvert ! x264enc ! mp4mux ! "
            "filesink location=\"%s\"",
            made);
        const char *encode_argv[] = {"/bin/sh", "-c", encode, NULL};
        if (!run(encode_argv))
            return test_summary(1);
        clip = g_strdup(made);
    }
    printf("clip %s, model %s\n", clip, model);
    g_autofree char *mp4 = g_build_filename(tmp, "out.mp4", NULL);
    g_autofree char *first = g_build_filename(tmp, "first.png", NULL);
    g_autofree char *styled = g_build_filename(tmp, "styled.png", NULL);
    g_autofree char *render = g_build_filename(src, "pipelines", "render.sh", NULL);
    g_autofree char *vknn = g_build_filename(build, "cli", "vknn", NULL);

    const char *render_argv[] = {render, clip, mp4, model, "--seconds", "2", NULL};
    if (!run(render_argv))
        return test_summary(1);
    Decoded out, in;
    if (!decode_file(mp4, 0, 0, &out) || !decode_file(clip, 0, 0, &in))
        return test_summary(1);
    test_check(out.width == in.width && out.height == in.height, "%s: %dx%d (input %dx%d)", mp4,
               out.width, out.height, in.width, in.height);
    /* 2 s of the clip: 2 x its frame rate, give or take the last frame. */
    test_check(fabs(out.frames - 2 * in.fps) <= 1.0, "%d frames, expected %.1f (2 s at %.2f fps)",
               out.frames, 2 * in.fps, in.fps);

    /* The reference: vknn stylize on the first input frame, saved losslessly. */
    g_autofree char *save =
        g_strdup_printf("gst-launch-1.0 -q filesrc location=\"%s\" ! decodebin ! videoconvert ! "
                        "video/x-raw,format=RGB ! pngenc snapshot=true ! filesink location=\"%s\"",
                        clip, first);
    const char *sh_argv[] = {"/bin/sh", "-c", save, NULL};
    const char *stylize_argv[] = {vknn, "stylize", model, first, styled, NULL};
    Decoded ref;
    if (!run(sh_argv) || !run(stylize_argv) || !decode_file(styled, 0, 0, &ref))
        return test_summary(1);
    const int n = out.width * out.height;
    const double p_styled = psnr(out.first, ref.first, n), p_input = psnr(out.first, in.first, n);
    test_check(p_styled >= 27 && p_input <= p_styled - 8,
               "first frame: PSNR %.1f dB against vknn stylize (>= 27), %.1f dB against the input "
               "(at least 8 dB lower)",
               p_styled, p_input);
    for (const char *const *f = (const char *const[]){mp4, first, styled, NULL}; *f; f++)
        g_remove(*f);
    if (made)
        g_remove(made);
    g_rmdir(tmp);
    return test_summary(0);
}
