#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

int test_passed, test_failed;

static void check_v(gboolean ok, const char *fmt, va_list ap)
{
    printf("%s: ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    /* A test that crashes later keeps the lines of the checks before. */
    fflush(stdout);
    if (ok)
        test_passed++;
    else
        test_failed++;
}

gboolean test_check(gboolean ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_v(ok, fmt, ap);
    va_end(ap);
    return ok;
}

gboolean test_report(gboolean ok, const char *what, const char *detail)
{
    return test_check(ok, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

int test_summary(int status)
{
    if (status == 1 && test_failed == 0)
        test_fail("the program stopped with status 1 (see above)");
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : status;
}

void test_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_v(FALSE, fmt, ap);
    va_end(ap);
    exit(test_summary(1));
}

char *test_shared_path(const char *rel)
{
    const char *root = g_getenv("VKNN_SHARED");
    char *path = g_build_filename(root ? root : VKNN_SHARED_DIR, rel, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        printf("SKIP: %s is absent (development assets in ../shared)\n", path);
        g_free(path);
        return NULL;
    }
    return path;
}

float *test_read_f32(const char *path, int64_t count)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(path, &data, &len, &err))
        test_fatal("%s", err->message);
    if ((int64_t)len != count * 4)
        test_fatal("%s has %zu bytes, expected %" G_GINT64_FORMAT, path, len, count * 4);
    return (float *)data;
}

VknnContext *test_context(void)
{
    GError *err = NULL;
    VknnContext *ctx = vknn_context_new(NULL, &err);
    if (!ctx)
        test_fatal("no Vulkan device: %s", err->message);
    return ctx;
}

double test_max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) /* NaN counts as infinitely wrong */
            m = d == d ? d : INFINITY;
    }
    return m;
}

double test_max_abs(const float *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = MAX(m, fabs(a[i]));
    return m;
}

void test_fill_random(float *x, int64_t n, guint32 seed, float lo, float hi)
{
    GRand *r = g_rand_new_with_seed(seed);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)g_rand_double_range(r, lo, hi);
    g_rand_free(r);
}

void test_top_k(const float *x, int n, int k, int *out)
{
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            gboolean used = FALSE;
            for (int q = 0; q < j; q++)
                used |= out[q] == i;
            if (!used && (best < 0 || x[i] > x[best]))
                best = i;
        }
        out[j] = best;
    }
}

char **test_builtin_styles(void)
{
    g_auto(GStrv) names = vknn_builtin_models();
    GPtrArray *styles = g_ptr_array_new();
    for (char **n = names; *n; n++) {
        g_autofree char *path = g_strconcat("builtin:", *n, NULL);
        g_autoptr(VknnModel) m = vknn_model_load(path, NULL);
        const VknnShape in = m ? vknn_model_default_input_shape(m, 0, 32, 32) : (VknnShape){0};
        if (!m || !vknn_model_infer_shapes(m, &in, NULL))
            continue;
        const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
        if (in.dims[1] == 3 && out->shape.rank == 4 && out->shape.dims[1] == 3)
            g_ptr_array_add(styles, g_strdup(*n));
    }
    g_ptr_array_add(styles, NULL);
    return (char **)g_ptr_array_free(styles, FALSE);
}

int test_run_case(int argc, char **argv, const TestCase *cases, gsize n_cases)
{
    for (gsize i = 0; argc > 1 && i < n_cases; i++)
        if (!strcmp(argv[1], cases[i].name))
            return test_summary(cases[i].run());
    g_autofree char *program = g_path_get_basename(argv[0]);
    fprintf(stderr, "usage: %s ", program);
    for (gsize i = 0; i < n_cases; i++)
        fprintf(stderr, "%s%s", i ? "|" : "", cases[i].name);
    fprintf(stderr, "\n");
    return 2;
}
