/* libFuzzer target for the ONNX importer and shape inference.
 *
 * Each input is an ONNX file: it is parsed with vknn_model_load_from_memory();
 * a model that loads gets its shapes inferred at the default input shape
 * (symbolic dims -> 1x3x64x64 for an image input) and its statistics
 * computed, then is freed. Crashes, sanitizer reports, leaks and GLib
 * warnings or criticals (an error path that misuses GError) are findings.
 * No Vulkan device is touched. Build and run: docs/fuzzing.md.
 */
#include <vknn/vknn.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void quiet_log(VknnLogLevel level, const char *msg, void *user_data)
{
    (void)level, (void)msg, (void)user_data;
}

/* A GLib warning or critical is a bug here: abort() (which libFuzzer catches,
 * unlike the SIGTRAP of G_DEBUG=fatal-warnings) so the input is saved.
 * FUZZ_ONNX_IGNORE_WARNING=TEXT only prints the warnings containing TEXT, to
 * fuzz past a known one. */
static const char *ignore_warning;

static void glib_log(const char *domain, GLogLevelFlags level, const char *msg, gpointer data)
{
    g_log_default_handler(domain, level, msg, data);
    if ((level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) &&
        !(ignore_warning && *ignore_warning && msg && strstr(msg, ignore_warning)))
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ignore_warning = getenv("FUZZ_ONNX_IGNORE_WARNING");
    g_log_set_default_handler(glib_log, NULL);
    vknn_set_log_func(quiet_log, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    VknnModel *m = vknn_model_load_from_memory(data, size, &err);
    if (!m) {
        /* Failure must come with a message. */
        if (!err || !err->message || !*err->message)
            abort();
        g_error_free(err);
        return 0;
    }
    if (err) /* success must leave the error unset */
        abort();
    VknnShape *shapes = g_new(VknnShape, MAX(m->inputs->len, 1));
    for (guint i = 0; i < m->inputs->len; i++)
        shapes[i] = vknn_model_default_input_shape(m, (int)i, 64, 64);
    if (vknn_model_infer_shapes(m, shapes, &err)) {
        VknnModelStats st;
        vknn_model_stats(m, &st);
    } else {
        if (!err || !err->message || !*err->message)
            abort();
        g_error_free(err);
    }
    g_free(shapes);
    vknn_model_free(m);
    return 0;
}
