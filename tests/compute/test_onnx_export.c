/* ONNX export (vknn_model_save*): a model built with the building API, and
 * candy_nc8 from ../shared, go through save -> load and must come back the
 * same (nodes, attributes, constants bytewise, symbolic input dims, outputs)
 * and compute bit-identical results on the CPU reference. The exported candy
 * model must also run in OpenCV DNN (python3-opencv) and agree with vknn.
 * Parts whose assets or tools are missing print SKIP; the built model needs
 * neither, so the test never exits 77. */
#include "model_build.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- model comparison ------------------------------------------------------ */

static gboolean attr_equal(const VknnAttr *a, const VknnAttr *b)
{
    if (!b || a->type != b->type)
        return FALSE;
    switch (a->type) {
    case VKNN_ATTR_INT:
        return a->i == b->i;
    case VKNN_ATTR_FLOAT:
        return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case VKNN_ATTR_STRING:
        return g_strcmp0(a->s, b->s) == 0;
    case VKNN_ATTR_INTS:
        return a->n == b->n && (a->n == 0 || memcmp(a->ints, b->ints, 8 * (gsize)a->n) == 0);
    case VKNN_ATTR_FLOATS:
        return a->n == b->n && (a->n == 0 || memcmp(a->floats, b->floats, 4 * (gsize)a->n) == 0);
    }
    return FALSE;
}

/* Name of input/output k of a node ("" when omitted). */
static const char *io_name(const VknnModel *m, int index)
{
    return index < 0 ? "" : vknn_model_value(m, index)->name;
}

/* The importer names an unnamed node "#<index>". */
static gboolean name_equal(const VknnNode *a, const VknnNode *b, guint index)
{
    g_autofree char *fallback = g_strdup_printf("#%u", index);
    return g_strcmp0(b->name, a->name && *a->name ? a->name : fallback) == 0;
}

static gboolean node_equal(const VknnModel *ma, const VknnNode *a, const VknnModel *mb,
                           const VknnNode *b, guint index)
{
    if (g_strcmp0(a->op_type, b->op_type) || !name_equal(a, b, index) ||
        a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs || a->n_attrs != b->n_attrs)
        return FALSE;
    for (int i = 0; i < a->n_inputs; i++)
        if (g_strcmp0(io_name(ma, a->inputs[i]), io_name(mb, b->inputs[i])))
            return FALSE;
    for (int i = 0; i < a->n_outputs; i++)
        if (g_strcmp0(io_name(ma, a->outputs[i]), io_name(mb, b->outputs[i])))
            return FALSE;
    for (int i = 0; i < a->n_attrs; i++)
        if (!attr_equal(&a->attrs[i], vknn_node_attr(b, a->attrs[i].name)))
            return FALSE;
    return TRUE;
}

static gboolean constant_equal(const VknnValue *a, const VknnValue *b)
{
    if (!b || b->kind != VKNN_VALUE_CONSTANT || !vknn_shape_equal(&a->declared, &b->declared) ||
        !a->int_data != !b->int_data)
        return FALSE;
    const gsize n = (gsize)vknn_shape_numel(&a->declared);
    return memcmp(a->data, b->data, 4 * n) == 0 &&
           (!a->int_data || memcmp(a->int_data, b->int_data, 8 * n) == 0);
}

/* b's symbolic dims keep a's names (a's unnamed ones may gain a name). */
static gboolean input_equal(const VknnValue *a, const VknnValue *b)
{
    if (!b || b->kind != VKNN_VALUE_INPUT || !vknn_shape_equal(&a->declared, &b->declared))
        return FALSE;
    for (int i = 0; i < a->declared.rank; i++)
        if (a->declared.dims[i] < 0 && a->dim_names[i] &&
            g_strcmp0(a->dim_names[i], b->dim_names[i]))
            return FALSE;
    return TRUE;
}

static VknnValue *value_named(const VknnModel *m, const char *name)
{
    const int i = vknn_model_find_value(m, name);
    return i < 0 ? NULL : vknn_model_value(m, i);
}

static void check_same_model(const char *what, const VknnModel *a, const VknnModel *b)
{
    test_check(a->nodes->len == b->nodes->len, "%s: %u nodes, reloaded %u", what, a->nodes->len,
               b->nodes->len);
    int bad = 0;
    for (guint i = 0; i < MIN(a->nodes->len, b->nodes->len); i++)
        bad += !node_equal(a, vknn_model_node(a, i), b, vknn_model_node(b, i), i);
    test_check(bad == 0, "%s: %d nodes differ (op, name, inputs, outputs, attributes)", what, bad);
    int n_const = 0, n_const_b = 0;
    bad = 0;
    for (guint i = 0; i < a->values->len; i++) {
        const VknnValue *v = vknn_model_value(a, i);
        if (v->kind == VKNN_VALUE_CONSTANT) {
            n_const++;
            bad += !constant_equal(v, value_named(b, v->name));
        }
    }
    for (guint i = 0; i < b->values->len; i++)
        n_const_b += vknn_model_value(b, i)->kind == VKNN_VALUE_CONSTANT;
    test_check(bad == 0 && n_const == n_const_b, "%s: %d constants, %d reloaded, %d differ", what,
               n_const, n_const_b, bad);
    gboolean io_ok = a->inputs->len == b->inputs->len && a->outputs->len == b->outputs->len;
    for (guint i = 0; io_ok && i < a->inputs->len; i++) {
        const VknnValue *v = vknn_model_value(a, g_array_index(a->inputs, int, i));
        io_ok = input_equal(v, vknn_model_value(b, g_array_index(b->inputs, int, i))) &&
                g_str_equal(v->name, vknn_model_value(b, g_array_index(b->inputs, int, i))->name);
    }
    for (guint i = 0; io_ok && i < a->outputs->len; i++)
        io_ok = g_str_equal(vknn_model_value(a, g_array_index(a->outputs, int, i))->name,
                            vknn_model_value(b, g_array_index(b->outputs, int, i))->name);
    test_check(io_ok, "%s: graph inputs (declared shapes, dim names) and outputs", what);
    test_check(b->opset == (a->opset > 0 ? a->opset : 13), "%s: opset %d, reloaded %d", what,
               a->opset, b->opset);
    test_check(g_strcmp0(b->producer, "vknn") == 0, "%s: producer '%s'", what, b->producer);
}

static VknnModel *save_and_reload(const VknnModel *m)
{
    GError *err = NULL;
    gsize len = 0;
    g_autofree guint8 *buf = vknn_model_save_to_memory(m, &len, &err);
    if (!buf) {
        test_check(FALSE, "save_to_memory: %s", err->message);
        g_error_free(err);
        return NULL;
    }
    VknnModel *back = vknn_model_load_from_memory(buf, len, &err);
    test_check(back != NULL, "reload of %" G_GSIZE_FORMAT " bytes%s%s", len, err ? ": " : "",
               err ? err->message : "");
    g_clear_error(&err);
    return back;
}

/* Runs both models on the reference at x's shape; their outputs must be
 * bit-identical (same kernels, same data). Returns a's first output. */
static float *run_both(const char *what, VknnModel *a, VknnModel *b, const VknnRefTensor *x)
{
    GError *err = NULL;
    GHashTable *ra = vknn_ref_run(a, x, &err);
    g_assert_no_error(err);
    GHashTable *rb = vknn_ref_run(b, x, &err);
    g_assert_no_error(err);
    float *first = NULL;
    for (guint i = 0; i < a->outputs->len; i++) {
        const char *name = vknn_model_value(a, g_array_index(a->outputs, int, i))->name;
        const VknnRefTensor *ya = g_hash_table_lookup(ra, name),
                            *yb = g_hash_table_lookup(rb, name);
        const gboolean same = ya && yb && vknn_shape_equal(&ya->shape, &yb->shape) &&
                              memcmp(ya->data, yb->data, 4 * vknn_shape_numel(&ya->shape)) == 0;
        test_check(same, "%s: output '%s' bit-identical after the round trip", what, name);
        if (i == 0 && ya)
            first = g_memdup2(ya->data, 4 * vknn_shape_numel(&ya->shape));
    }
    g_hash_table_unref(ra);
    g_hash_table_unref(rb);
    return first;
}

/* ---- (a) a model built here ------------------------------------------------ */

/* x [1,3,H,width] -> Pad(reflect) -> Conv 3x3 -> InstanceNormalization -> Relu
 *   -> Resize x2 (nearest, roi omitted) -> Conv 1x1 stride 2 (no bias) -> y */
static VknnModel *build_model(void)
{
    TestModel b = tm_new(0, 1);
    tm_input(&b, "x", SHAPE(1, 3, -1, -1));
    const int xi = vknn_model_find_value(b.m, "x");
    vknn_model_value(b.m, xi)->dim_names[3] = g_strdup("width"); /* kept; dim 2 gets "H" */
    tm_const_int(&b, "pads", SHAPE(8), I64(0, 0, 1, 1, 0, 0, 1, 1));
    tm_weight(&b, "w1", SHAPE(4, 3, 3, 3), -1, 1);
    tm_weight(&b, "b1", SHAPE(4), -1, 1);
    tm_weight(&b, "in_scale", SHAPE(4), 0.5f, 2);
    tm_weight(&b, "in_bias", SHAPE(4), -1, 1);
    tm_const(&b, "scales", SHAPE(4), F(1, 1, 2, 2));
    tm_weight(&b, "w2", SHAPE(2, 4, 1, 1), -1, 1);

    tm_named_node(&b, "pad", "Pad", NAMES("x", "pads"), "p");
    tm_attr_str(&b, "mode", "reflect");
    tm_named_node(&b, "conv1", "Conv", NAMES("p", "w1", "b1"), "c1");
    tm_attr_ints(&b, "kernel_shape", INTS(3, 3));
    tm_attr_ints(&b, "strides", INTS(1, 1));
    tm_attr_ints(&b, "pads", INTS(0, 0, 0, 0));
    tm_attr_int(&b, "group", 1);
    tm_named_node(&b, "norm", "InstanceNormalization", NAMES("c1", "in_scale", "in_bias"), "n1");
    tm_attr_float(&b, "epsilon", 1e-3f);
    tm_named_node(&b, NULL, "Relu", NAMES("n1"), "r1"); /* unnamed node */
    /* Not an attribute of Relu: only here to carry a FLOATS through the file. */
    tm_attr_floats(&b, "vknn_test_floats", FLOATS(0.5f, -1e-7f, 3e9f));
    tm_named_node(&b, "up", "Resize", NAMES("r1", "", "scales"), "u");
    tm_attr_str(&b, "mode", "nearest");
    tm_attr_str(&b, "coordinate_transformation_mode", "asymmetric");
    tm_attr_str(&b, "nearest_mode", "floor");
    tm_named_node(&b, "conv2", "Conv", NAMES("u", "w2"), "y");
    tm_attr_ints(&b, "kernel_shape", INTS(1, 1));
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_output(&b, "y");
    return tm_take(&b);
}

static void test_built(void)
{
    g_autoptr(VknnModel) m = build_model();
    if (!m)
        return;
    g_autoptr(VknnModel) back = save_and_reload(m);
    if (!back)
        return;
    check_same_model("built", m, back);
    const VknnValue *x = vknn_model_value(back, g_array_index(back->inputs, int, 0));
    test_check(x->declared.dims[2] == -1 && g_strcmp0(x->dim_names[2], "H") == 0 &&
                   x->declared.dims[3] == -1 && g_strcmp0(x->dim_names[3], "width") == 0,
               "built: symbolic dims come back as H and width");
    const VknnNode *up = vknn_model_node(back, 4);
    test_check(up->n_inputs == 3 && up->inputs[1] == -1, "built: omitted Resize roi stays omitted");
    test_check(vknn_node_input(back, vknn_model_node(back, 0), 1)->int_data != NULL,
               "built: pads stay int64");

    const VknnShape xs = {4, {1, 3, 12, 16}};
    GError *err = NULL;
    test_check(vknn_model_infer_shapes(m, &xs, &err) && vknn_model_infer_shapes(back, &xs, &err),
               "built: shapes at 16x12");
    g_clear_error(&err);
    const VknnShape want = {4, {1, 2, 12, 16}};
    test_check(vknn_shape_equal(&value_named(back, "y")->shape, &want), "built: y is 1x2x12x16");
    float xd[3 * 12 * 16];
    test_fill_random(xd, G_N_ELEMENTS(xd), 11, -2, 2);
    const VknnRefTensor in = {xs, xd};
    g_free(run_both("built", m, back, &in));
}

/* ---- (b) candy_nc8 from ../shared, (c) OpenCV ------------------------------ */

/* Runs argv; TRUE when it exits 0. Output goes to the test log. */
static gboolean spawn(const char *const *argv, char **out)
{
    int status = 0;
    g_autofree char *err = NULL;
    GError *e = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status,
                      &e)) {
        printf("  spawn %s: %s\n", argv[0], e->message);
        g_error_free(e);
        return FALSE;
    }
    if (err && *err)
        printf("  %s stderr: %s\n", argv[0], err);
    return g_spawn_check_wait_status(status, NULL);
}

static gboolean have_cv2(void)
{
    const char *argv[] = {"/usr/bin/python3", "-c", "import cv2, numpy", NULL};
    if (!g_file_test(argv[0], G_FILE_TEST_IS_EXECUTABLE) || !spawn(argv, NULL)) {
        printf("SKIP: OpenCV: /usr/bin/python3 with cv2 and numpy (python3-opencv) is missing\n");
        return FALSE;
    }
    return TRUE;
}

/* OpenCV DNN's output for `model` on the raw float32 NCHW input file; peers.py
 * writes only its torch runner's output, so a few lines do the same as its
 * opencv runner and keep the result. */
static float *opencv_output(const char *model, const char *input, const char *dir, int64_t count)
{
    static const char script[] =
        "import sys, numpy as np, cv2\n"
        "model, inp, out, h, w = sys.argv[1:6]\n"
        "net = cv2.dnn.readNetFromONNX(model)\n"
        "net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)\n"
        "net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)\n"
        "net.setInput(np.fromfile(inp, np.float32).reshape(1, 3, int(h), int(w)))\n"
        "net.forward().astype(np.float32).tofile(out)\n";
    g_autofree char *out = g_build_filename(dir, "opencv.f32", NULL);
    const char *argv[] = {"/usr/bin/python3", "-c", script, model, input, out, "24", "32", NULL};
    g_unlink(out);
    if (!spawn(argv, NULL))
        return NULL;
    gsize len = 0;
    char *data = NULL;
    const gboolean ok = g_file_get_contents(out, &data, &len, NULL) && (int64_t)len == 4 * count;
    g_unlink(out);
    if (!ok)
        g_clear_pointer(&data, g_free);
    return (float *)data;
}

/* The exported model in OpenCV: peers.py's opencv runner must take it, and
 * OpenCV's output must match vknn's reference within 1e-2 (0..255 units)
 * and OpenCV's own output for the original file. */
static void test_opencv(const char *orig, const char *exported, const float *x, const float *ref_y,
                        const char *dir)
{
    g_autofree char *peers = test_shared_path("bench/peers.py");
    if (!peers || !have_cv2())
        return;
    g_autofree char *input = g_build_filename(dir, "input.f32", NULL);
    const int64_t n_in = 3 * 24 * 32, n_out = 3 * 24 * 32;
    g_assert_true(g_file_set_contents(input, (const char *)x, 4 * n_in, NULL));
    const char *argv[] = {"/usr/bin/python3", peers,    exported, "--size",  "32x24", "--runner",
                          "opencv",           "--runs", "1",      "--input", input,   NULL};
    g_autofree char *out = NULL;
    test_check(spawn(argv, &out), "opencv: peers.py --runner opencv runs the exported model");
    if (out)
        printf("  %s", out);
    g_autofree float *y_exp = opencv_output(exported, input, dir, n_out);
    g_autofree float *y_orig = opencv_output(orig, input, dir, n_out);
    test_check(y_exp && y_orig, "opencv: outputs for the original and exported models");
    if (y_exp && y_orig) {
        const double d = test_max_abs_diff(y_exp, ref_y, n_out);
        test_check(d <= 1e-2, "opencv: exported candy_nc8 vs vknn reference, max abs diff %g", d);
        test_check(memcmp(y_exp, y_orig, 4 * n_out) == 0,
                   "opencv: exported and original models give identical outputs");
    }
    g_unlink(input);
}

static void test_candy(void)
{
    g_autofree char *path = test_shared_path("models/style/small/candy_nc8.onnx");
    if (!path)
        return;
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(path, &err);
    g_assert_no_error(err);
    g_autoptr(VknnModel) back = save_and_reload(m);
    if (!back)
        return;
    check_same_model("candy_nc8", m, back);

    g_autofree char *dir = g_dir_make_tmp("vknn-export-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *file = g_build_filename(dir, "candy_nc8.onnx", NULL);
    test_check(vknn_model_save(m, file, &err), "vknn_model_save to a file%s%s", err ? ": " : "",
               err ? err->message : "");
    g_clear_error(&err);
    g_autoptr(VknnModel) from_file = vknn_model_load(file, &err);
    test_check(from_file != NULL, "vknn_model_load of the saved file%s%s", err ? ": " : "",
               err ? err->message : "");
    g_clear_error(&err);
    if (from_file)
        check_same_model("candy_nc8 file", m, from_file);

    static float x[3 * 24 * 32];
    test_fill_random(x, G_N_ELEMENTS(x), 3, 0, 255);
    const VknnRefTensor in = {{4, {1, 3, 24, 32}}, x};
    g_autofree float *y = run_both("candy_nc8 32x24", m, back, &in);
    if (y)
        test_opencv(path, file, x, y, dir);
    g_unlink(file);
    g_rmdir(dir);
}

/* The style networks vknn trained and ships (builtin:NAME) run in OpenCV
 * DNN through peers.py and agree with vknn's CPU reference: what `vknn
 * train` writes is portable ONNX. */
static void test_builtin_in_opencv(void)
{
    g_autofree char *peers = test_shared_path("bench/peers.py");
    if (!peers || !have_cv2())
        return;
    g_auto(GStrv) names = test_builtin_styles();
    GError *err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vknn-export-XXXXXX", &err);
    g_assert_no_error(err);
    static float x[3 * 24 * 32];
    test_fill_random(x, G_N_ELEMENTS(x), 5, 0, 255);
    g_autofree char *input = g_build_filename(dir, "input.f32", NULL);
    g_assert_true(g_file_set_contents(input, (const char *)x, sizeof x, NULL));
    for (char **n = names; *n; n++) {
        g_autofree char *builtin = g_strconcat("builtin:", *n, NULL);
        g_autofree char *file = g_strdup_printf("%s/%s.onnx", dir, *n);
        g_autoptr(VknnModel) m = vknn_model_load(builtin, &err);
        g_assert_no_error(err);
        g_assert_true(vknn_model_save(m, file, &err));
        const char *argv[] = {"/usr/bin/python3", peers,    file, "--size",  "32x24", "--runner",
                              "opencv",           "--runs", "1",  "--input", input,   NULL};
        test_check(spawn(argv, NULL), "%s: peers.py --runner opencv runs it", builtin);
        const VknnRefTensor in = {{4, {1, 3, 24, 32}}, x};
        GHashTable *ref = vknn_ref_run(m, &in, &err);
        g_assert_no_error(err);
        const VknnRefTensor *want = g_hash_table_lookup(ref, "output");
        g_autofree float *got = opencv_output(file, input, dir, G_N_ELEMENTS(x));
        const double d = got ? test_max_abs_diff(got, want->data, G_N_ELEMENTS(x)) : INFINITY;
        test_check(d <= 1e-2, "%s: OpenCV vs vknn reference, max abs diff %g (0..255 units)",
                   builtin, d);
        g_hash_table_unref(ref);
        g_unlink(file);
    }
    g_unlink(input);
    g_rmdir(dir);
}

/* ---- error paths ------------------------------------------------------------- */

static void test_errors(void)
{
    g_autoptr(VknnModel) m = build_model();
    if (!m)
        return;
    GError *err = NULL;
    test_check(!vknn_model_save(m, "/nonexistent-dir/x.onnx", &err) &&
                   g_error_matches(err, VKNN_ERROR, VKNN_ERROR_IO),
               "save to a missing directory is an IO error");
    g_clear_error(&err);
    TestModel no_out = tm_new(0, 0);
    tm_input(&no_out, "x", SHAPE(4));
    gsize len;
    guint8 *buf = vknn_model_save_to_memory(no_out.m, &len, &err);
    tm_clear(&no_out);
    test_check(!buf && err, "a model without outputs is refused");
    g_free(buf);
    g_clear_error(&err);
    /* vknn cannot load this one back (no graph input): it is still written,
     * its output without a shape. */
    TestModel no_in = tm_new(0, 0);
    tm_const(&no_in, "c", SHAPE(1, 2), F(-1, 1));
    tm_named_node(&no_in, "r", "Relu", NAMES("c"), "y");
    tm_output(&no_in, "y");
    g_autoptr(VknnModel) m_no_in = tm_take(&no_in);
    buf = m_no_in ? vknn_model_save_to_memory(m_no_in, &len, &err) : NULL;
    test_check(buf != NULL, "a model without inputs is saved%s%s", err ? ": " : "",
               err ? err->message : "");
    g_clear_error(&err);
    g_free(buf);
}

int main(void)
{
    test_built();
    test_errors();
    test_candy(); /* (b) and (c) print SKIP without ../shared or cv2 */
    test_builtin_in_opencv();
    return test_summary(0);
}
