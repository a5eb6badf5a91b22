/* The vknn test toolkit: checks and their report, random data, assets and
 * devices. Models are built with model_build.h. */
#pragma once

#include <vknn/vknn.h>

#include <stdio.h>

#define TEST_SKIP 77

/* ---- checks and their report ----------------------------------------------
 * Every check prints one line, "ok: WHAT" or "FAIL: WHAT", and is counted.
 * A program ends with test_summary(), whose closing line "N passed, N
 * failed" is the same in every test, so that runs can be compared by it. */

extern int test_passed, test_failed;

/* Records one check; returns ok, so that a case can gather its checks
 * (ok &= test_check(...)). */
gboolean test_check(gboolean ok, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* test_check of `what` followed by an optional detail (NULL: none), which
 * says what was seen: "ok: what: detail". */
gboolean test_report(gboolean ok, const char *what, const char *detail);
/* A failed check: what stops a case before its own checks (a load, a run). */
#define test_fail(...) test_check(FALSE, __VA_ARGS__)
/* Prints the closing line and returns the exit status: 1 when a check
 * failed, otherwise `status` (0, or TEST_SKIP when what the program tests
 * could not run). A status of 1 with no failed check counts as a failure,
 * so that the line never says less than the status. */
int test_summary(int status);
/* A failed check after which the program cannot go on: reports it, prints
 * the closing line and exits 1. */
void test_fatal(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

/* ---- data -------------------------------------------------------------------- */

/* Fills with uniform values in [lo, hi) from a fixed seed: the one source of
 * random test data (model_build.h draws its tensors from it too). */
void test_fill_random(float *x, int64_t n, guint32 seed, float lo, float hi);
double test_max_abs_diff(const float *a, const float *b, int64_t n);
double test_max_abs(const float *a, int64_t n);
/* Indices of the k largest values, descending. */
void test_top_k(const float *x, int n, int k, int *out);

/* One case of a test program that runs the case its argument names. */
typedef struct {
    const char *name;
    int (*run)(void); /* its status for test_summary */
} TestCase;

/* Runs the case argv[1] names and returns test_summary of its status; with
 * no argument or an unknown one, prints the usage (the program and the
 * case names) and returns 2. */
int test_run_case(int argc, char **argv, const TestCase *cases, gsize n_cases);

/* ---- assets and devices ------------------------------------------------------ */

/* Path of a file under ../shared (VKNN_SHARED overrides), or NULL after
 * printing a skip notice when it is absent. Free with g_free. */
char *test_shared_path(const char *rel);
/* Reads a raw little-endian float32 file of exactly `count` values
 * (test_fatal otherwise). */
float *test_read_f32(const char *path, int64_t count);
/* A context on the default device; test_fatal when none opens (CI has
 * lavapipe: a missing device is a broken setup, not a skip). */
VknnContext *test_context(void);
/* The built-in style networks: vknn_builtin_models() without the encoder
 * and the decoder, those that map RGB to RGB (at a 32x32 input). NULL-terminated;
 * g_strfreev. */
char **test_builtin_styles(void);
