#include "testutil.h"

int test_failures;

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
    if (!g_file_get_contents(path, &data, &len, &err)) {
        fprintf(stderr, "FAIL: %s\n", err->message);
        exit(1);
    }
    if ((int64_t)len != count * 4) {
        fprintf(stderr, "FAIL: %s has %zu bytes, expected %" G_GINT64_FORMAT "\n", path, len,
                count * 4);
        exit(1);
    }
    return (float *)data;
}

VknnContext *test_context(void)
{
    GError *err = NULL;
    VknnContext *ctx = vknn_context_new(NULL, &err);
    if (!ctx) {
        fprintf(stderr, "FAIL: no Vulkan device: %s\n", err->message);
        exit(1);
    }
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
