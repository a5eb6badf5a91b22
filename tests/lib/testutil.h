/* Helpers shared by the vknn tests. */
#pragma once

#include <vknn/vknn.h>

#include <stdio.h>

#define TEST_SKIP 77

/* Path of a file under ../shared (VKNN_SHARED overrides), or NULL after
 * printing a skip notice when it is absent. Free with g_free. */
char *test_shared_path(const char *rel);
/* Reads a raw little-endian float32 file of exactly `count` values. */
float *test_read_f32(const char *path, int64_t count);
/* A context on the default device; prints the reason and exits 1 when none
 * opens (CI has lavapipe: a missing device is a broken setup, not a skip). */
VknnContext *test_context(void);
double test_max_abs_diff(const float *a, const float *b, int64_t n);
double test_max_abs(const float *a, int64_t n);
/* Fills with uniform values in [lo, hi) from a fixed seed. */
void test_fill_random(float *x, int64_t n, guint32 seed, float lo, float hi);
/* Indices of the k largest values, descending. */
void test_top_k(const float *x, int n, int k, int *out);

/* Prints "ok: ..." or "FAIL: ..." for a check and counts failures in
 * test_failures. */
extern int test_failures;
#define TEST_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        const gboolean test_ok_ = (cond);                                                          \
        printf("%s: ", test_ok_ ? "ok" : "FAIL");                                                  \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        test_failures += !test_ok_;                                                                \
    } while (0)
