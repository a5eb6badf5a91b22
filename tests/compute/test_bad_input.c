/* Robustness of the ONNX loader, shape inference and planning against bad
 * input: every case must end in a GError with a useful message, never in a
 * crash, a model pointer for garbage, or a GLib warning.
 *
 *   test_bad_input [--quick] [--write-seeds DIR]
 *
 * (a) empty, missing and directory paths; (b) a real model truncated at many
 * offsets; (c) random buffers and a real model with random byte flips;
 * (d) hostile but well-formed protobufs built with protobuf-c; (e) a valid
 * model given input shapes it cannot take, in shape inference and in
 * vknn_net_prepare on a device; (f) the fuzzing seeds below are valid and
 * cover every op of compute/ops.def.
 * --quick (for valgrind) runs fewer iterations of (b) and (c), and the
 * device part of (e) on a one-layer network of the style network's first
 * kind (reflection Pad 4, Conv 9x9) rather than the whole style network:
 * the same checks with a few shaders to compile, not a dozen (under
 * valgrind, LLVM 19's shader compiler of Debian 13's lavapipe takes minutes
 * over the style network's).
 * --write-seeds DIR writes a fuzzing seed corpus and exits: one small valid
 * model per op of compute/ops.def or variant (op_NN_<op>.onnx, in the order
 * of the list), and the (d) models (docs/fuzzing.md).
 * The real model is candy_nc8 from ../shared, or without it the built-in
 * wave network saved as ONNX. Exit status: 0 pass, 1 fail.
 */
#include "model_build.h"
#include "testutil.h"
#include "onnx.pb-c.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* LeakSanitizer's switches, present only in sanitizer builds. The Vulkan
 * driver's one-time initialisation (inside vkEnumeratePhysicalDevices) keeps
 * a block that LeakSanitizer reports once the loader has unloaded the driver
 * (its stack, in the unloaded module, cannot be matched by a suppression):
 * device creation runs with leak detection off. It is not what this test is
 * about; everything else is checked. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

/* In an ASan build, an allocation above 1 GiB is a report that fails the
 * test (see limit_address_space). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=1024";
}

/* In an UBSan build, undefined behaviour stops the process (by default it
 * is only printed): a hostile case that triggers it then fails. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

static VknnContext *context_without_driver_leaks(void)
{
    if (__lsan_disable)
        __lsan_disable();
    VknnContext *ctx = test_context();
    if (__lsan_enable)
        __lsan_enable();
    return ctx;
}

static int glib_warnings;
static gboolean quick;

/* GLib warnings and criticals (e.g. "GError set over the top of a previous
 * GError") mean a bug in an error path: count them as failures. */
static void log_handler(const char *domain, GLogLevelFlags level, const char *msg, gpointer data)
{
    if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        glib_warnings++;
    g_log_default_handler(domain, level, msg, data);
}

/* Checks a load that must fail: NULL model, error set with a non-empty
 * message containing each of the NULL-terminated `needles`. Frees m and
 * clears *ep. */
static gboolean expect_error_v(const char *what, VknnModel *m, GError **ep, gboolean verbose,
                               const char *const *needles)
{
    GError *e = *ep;
    gboolean ok = TRUE;
    g_autofree char *detail = NULL;
    if (m) {
        ok = FALSE;
        detail = g_strdup("loaded a model instead of failing");
    } else if (!e) {
        ok = FALSE;
        detail = g_strdup("returned NULL without setting the GError");
    } else if (e->domain != VKNN_ERROR || !e->message || !*e->message) {
        ok = FALSE;
        detail = g_strdup_printf("bad error (domain %s, message '%s')",
                                 g_quark_to_string(e->domain), e->message ? e->message : "");
    } else {
        for (int i = 0; needles && needles[i]; i++)
            if (!strstr(e->message, needles[i])) {
                ok = FALSE;
                detail =
                    g_strdup_printf("message does not mention '%s': %s", needles[i], e->message);
                break;
            }
        if (ok)
            detail = g_strdup(e->message);
    }
    if (verbose || !ok)
        test_report(ok, what, detail);
    vknn_model_free(m);
    g_clear_error(ep);
    return ok;
}

#define EXPECT_ERROR(what, m, e, ...)                                                              \
    expect_error_v(what, m, &(e), TRUE, (const char *const[]){__VA_ARGS__, NULL})

/* ---- (a) paths ------------------------------------------------------------ */

static void test_paths(void)
{
    GError *e = NULL;
    g_autofree char *tmp = NULL;
    int fd = g_file_open_tmp("vknn-empty-XXXXXX.onnx", &tmp, &e);
    if (fd < 0) {
        test_report(FALSE, "a: create an empty temp file", e->message);
        g_clear_error(&e);
    } else {
        close(fd);
        VknnModel *m = vknn_model_load(tmp, &e);
        EXPECT_ERROR("a: empty file", m, e, tmp);
        g_unlink(tmp);
    }

    const char *missing = "/nonexistent-vknn-dir/missing-model.onnx";
    VknnModel *m = vknn_model_load(missing, &e);
    EXPECT_ERROR("a: nonexistent path", m, e, missing);

    g_autofree char *dir = g_dir_make_tmp("vknn-dir-XXXXXX", NULL);
    if (dir) {
        m = vknn_model_load(dir, &e);
        EXPECT_ERROR("a: directory path", m, e, dir);
        g_rmdir(dir);
    } else {
        test_report(FALSE, "a: create a temp directory", NULL);
    }

    m = vknn_model_load_from_memory((const guint8 *)"", 0, &e);
    EXPECT_ERROR("a: empty buffer", m, e, "empty");
}

/* ---- (b) truncation ------------------------------------------------------- */

static void test_truncation(const guint8 *data, gsize len)
{
    const int n_spread = quick ? 24 : 136;
    const int n_head = quick ? 16 : 64;
    int tried = 0, bad = 0;
    for (int k = 0; k < n_head + n_spread; k++) {
        const gsize cut = k < n_head ? (gsize)k
                                     : (gsize)n_head + (len - 1 - n_head) * (gsize)(k - n_head) /
                                                           (gsize)(n_spread - 1);
        GError *e = NULL;
        VknnModel *m = vknn_model_load_from_memory(data, cut, &e);
        g_autofree char *what = g_strdup_printf("b: truncated at %zu of %zu", cut, len);
        tried++;
        if (!expect_error_v(what, m, &e, FALSE, NULL))
            bad++;
    }
    g_autofree char *summary =
        g_strdup_printf("%d truncations, %d without a clean error", tried, bad);
    test_report(bad == 0, "b: truncated model", summary);
}

/* ---- (c) random bytes and byte flips -------------------------------------- */

static void test_random_buffers(void)
{
    const int n = quick ? 20 : 100;
    GRand *r = g_rand_new_with_seed(0x5eed);
    int bad = 0;
    for (int k = 0; k < n; k++) {
        /* Lengths from 1 byte to 256 KiB, mostly small. */
        const gsize len = 1 + g_rand_int_range(r, 0, 1 << g_rand_int_range(r, 1, 19));
        guint8 *buf = g_malloc(len);
        for (gsize i = 0; i < len; i++)
            buf[i] = (guint8)g_rand_int(r);
        /* Every fourth buffer starts like a ModelProto (ir_version, then a graph). */
        if (k % 4 == 1 && len > 4) {
            buf[0] = 0x08;
            buf[1] = 0x07;
            buf[2] = 0x3a;
        }
        GError *e = NULL;
        VknnModel *m = vknn_model_load_from_memory(buf, len, &e);
        g_autofree char *what = g_strdup_printf("c: random buffer %d (%zu bytes)", k, len);
        if (!expect_error_v(what, m, &e, FALSE, NULL))
            bad++;
        g_free(buf);
    }
    g_rand_free(r);
    g_autofree char *summary = g_strdup_printf("%d buffers, %d without a clean error", n, bad);
    test_report(bad == 0, "c: random buffers", summary);
}

/* One flipped byte at a time, at `n` seeded positions anywhere in the file
 * or, when `structural`, in its first 16 KiB and last 1 KiB, where an
 * exported model keeps its nodes, inputs and outputs (weights lie between). */
static void test_byte_flips(const guint8 *data, gsize len, gboolean structural)
{
    const int n = quick ? 40 : 200;
    GRand *r = g_rand_new_with_seed(structural ? 0x57c7 : 0xf11b);
    guint8 *buf = g_memdup2(data, len);
    int loaded = 0, rejected = 0, inferred = 0, bad = 0;
    for (int k = 0; k < n; k++) {
        gsize pos = (gsize)g_rand_int_range(r, 0, (gint32)MIN(len, G_MAXINT32));
        if (structural)
            pos = k % 2 ? pos % MIN(len, 16384) : len - 1 - pos % MIN(len, 1024);
        const guint8 mask = (guint8)g_rand_int_range(r, 1, 256);
        buf[pos] ^= mask;
        GError *e = NULL;
        const int warnings = glib_warnings;
        VknnModel *m = vknn_model_load_from_memory(buf, len, &e);
        if (m) {
            /* A flipped weight byte still loads: it must then behave. */
            loaded++;
            if (e) {
                g_autofree char *what =
                    g_strdup_printf("c: flip at %zu set an error on success", pos);
                test_report(FALSE, what, e->message);
                g_clear_error(&e);
                bad++;
            }
            if (m->inputs->len > 0) {
                VknnShape *shapes = g_new(VknnShape, m->inputs->len);
                for (guint i = 0; i < m->inputs->len; i++)
                    shapes[i] = vknn_model_default_input_shape(m, (int)i, 64, 64);
                if (vknn_model_infer_shapes(m, shapes, &e)) {
                    inferred++;
                } else if (!e || !e->message || !*e->message) {
                    g_autofree char *what = g_strdup_printf(
                        "c: flip at %zu: shape inference failed without a message", pos);
                    test_report(FALSE, what, NULL);
                    bad++;
                }
                g_clear_error(&e);
                g_free(shapes);
            }
            vknn_model_free(m);
        } else {
            rejected++;
            g_autofree char *what = g_strdup_printf("c: flip at %zu (xor 0x%02x)", pos, mask);
            if (!expect_error_v(what, NULL, &e, FALSE, NULL))
                bad++;
        }
        if (glib_warnings != warnings) {
            g_autofree char *what = g_strdup_printf("c: flip at %zu (xor 0x%02x)", pos, mask);
            test_report(FALSE, what, "GLib warning printed (see above)");
            bad++;
        }
        buf[pos] ^= mask; /* one flip at a time */
    }
    g_free(buf);
    g_rand_free(r);
    g_autofree char *summary =
        g_strdup_printf("%d flips: %d rejected, %d loaded (%d of them inferred at 64x64), %d bad",
                        n, rejected, loaded, inferred, bad);
    test_report(bad == 0, structural ? "c: byte flips in the graph structure" : "c: byte flips",
                summary);
}

/* ---- (d) hostile protobufs --------------------------------------------------
 *
 * A small valid base model, x[1,3,H,W] -> Conv(w[4,3,3,3], b[4]) -> Relu ->
 * out, is built on the stack; each case mutates one part before packing.
 * Mutations allocate from `arena`, freed after each case. */

static GPtrArray *arena;

static void *arena_new0(gsize size)
{
    void *p = g_malloc0(size);
    g_ptr_array_add(arena, p);
    return p;
}

static int64_t *arena_dims(int n, const int64_t *v)
{
    int64_t *d = arena_new0(sizeof(int64_t) * MAX(n, 1));
    if (n > 0)
        memcpy(d, v, sizeof(int64_t) * n);
    return d;
}

typedef struct {
    Onnx__ModelProto model;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__GraphProto graph;
    /* input x */
    Onnx__TensorShapeProto__Dimension xdim[4];
    Onnx__TensorShapeProto__Dimension *xdims[4];
    Onnx__TensorShapeProto xshape;
    Onnx__TypeProto__Tensor xtensor;
    Onnx__TypeProto xtype;
    Onnx__ValueInfoProto x;
    Onnx__ValueInfoProto *inputs[1];
    /* output out */
    Onnx__TypeProto__Tensor otensor;
    Onnx__TypeProto otype;
    Onnx__ValueInfoProto out;
    Onnx__ValueInfoProto *outputs[1];
    /* initializers */
    int64_t wdims[4], bdims[1];
    float wdata[4 * 3 * 3 * 3], bdata[4];
    Onnx__TensorProto w, b;
    Onnx__TensorProto *inits[2];
    /* nodes */
    char *conv_in[3], *conv_out[1], *relu_in[1], *relu_out[1];
    int64_t pads[4], kshape[2];
    Onnx__AttributeProto apads, akshape;
    Onnx__AttributeProto *conv_attrs[2];
    Onnx__NodeProto conv, relu;
    Onnx__NodeProto *nodes[2];
} Base;

static void base_init(Base *B)
{
    memset(B, 0, sizeof *B);
    B->model = (Onnx__ModelProto)ONNX__MODEL_PROTO__INIT;
    B->model.has_ir_version = TRUE;
    B->model.ir_version = 7;
    B->model.producer_name = "test_bad_input";
    B->opset = (Onnx__OperatorSetIdProto)ONNX__OPERATOR_SET_ID_PROTO__INIT;
    B->opset.domain = "";
    B->opset.has_version = TRUE;
    B->opset.version = 13;
    B->opsets[0] = &B->opset;
    B->model.n_opset_import = 1;
    B->model.opset_import = B->opsets;

    static const char *const dim_params[4] = {NULL, NULL, "H", "W"};
    static const int64_t dim_values[4] = {1, 3, 0, 0};
    for (int i = 0; i < 4; i++) {
        B->xdim[i] = (Onnx__TensorShapeProto__Dimension)ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
        if (dim_params[i]) {
            B->xdim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            B->xdim[i].dim_param = (char *)dim_params[i];
        } else {
            B->xdim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            B->xdim[i].dim_value = dim_values[i];
        }
        B->xdims[i] = &B->xdim[i];
    }
    B->xshape = (Onnx__TensorShapeProto)ONNX__TENSOR_SHAPE_PROTO__INIT;
    B->xshape.n_dim = 4;
    B->xshape.dim = B->xdims;
    B->xtensor = (Onnx__TypeProto__Tensor)ONNX__TYPE_PROTO__TENSOR__INIT;
    B->xtensor.has_elem_type = TRUE;
    B->xtensor.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    B->xtensor.shape = &B->xshape;
    B->xtype = (Onnx__TypeProto)ONNX__TYPE_PROTO__INIT;
    B->xtype.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    B->xtype.tensor_type = &B->xtensor;
    B->x = (Onnx__ValueInfoProto)ONNX__VALUE_INFO_PROTO__INIT;
    B->x.name = "x";
    B->x.type = &B->xtype;
    B->inputs[0] = &B->x;

    B->otensor = (Onnx__TypeProto__Tensor)ONNX__TYPE_PROTO__TENSOR__INIT;
    B->otensor.has_elem_type = TRUE;
    B->otensor.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    B->otype = (Onnx__TypeProto)ONNX__TYPE_PROTO__INIT;
    B->otype.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    B->otype.tensor_type = &B->otensor;
    B->out = (Onnx__ValueInfoProto)ONNX__VALUE_INFO_PROTO__INIT;
    B->out.name = "out";
    B->out.type = &B->otype;
    B->outputs[0] = &B->out;

    for (int i = 0; i < (int)G_N_ELEMENTS(B->wdata); i++)
        B->wdata[i] = (float)((i % 7) - 3) * 0.1f;
    for (int i = 0; i < 4; i++)
        B->bdata[i] = 0.01f * (float)i;
    B->wdims[0] = 4, B->wdims[1] = 3, B->wdims[2] = 3, B->wdims[3] = 3;
    B->bdims[0] = 4;
    B->w = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
    B->w.name = "w";
    B->w.has_data_type = TRUE;
    B->w.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    B->w.n_dims = 4;
    B->w.dims = B->wdims;
    B->w.n_float_data = G_N_ELEMENTS(B->wdata);
    B->w.float_data = B->wdata;
    B->b = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
    B->b.name = "b";
    B->b.has_data_type = TRUE;
    B->b.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    B->b.n_dims = 1;
    B->b.dims = B->bdims;
    B->b.has_raw_data = TRUE;
    B->b.raw_data.len = sizeof B->bdata;
    B->b.raw_data.data = (uint8_t *)B->bdata;
    B->inits[0] = &B->w;
    B->inits[1] = &B->b;

    B->pads[0] = B->pads[1] = B->pads[2] = B->pads[3] = 1;
    B->kshape[0] = B->kshape[1] = 3;
    B->apads = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
    B->apads.name = "pads";
    B->apads.has_type = TRUE;
    B->apads.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    B->apads.n_ints = 4;
    B->apads.ints = B->pads;
    B->akshape = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
    B->akshape.name = "kernel_shape";
    B->akshape.has_type = TRUE;
    B->akshape.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    B->akshape.n_ints = 2;
    B->akshape.ints = B->kshape;
    B->conv_attrs[0] = &B->apads;
    B->conv_attrs[1] = &B->akshape;

    B->conv_in[0] = "x", B->conv_in[1] = "w", B->conv_in[2] = "b";
    B->conv_out[0] = "y";
    B->relu_in[0] = "y";
    B->relu_out[0] = "out";
    B->conv = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
    B->conv.name = "conv1";
    B->conv.op_type = "Conv";
    B->conv.n_input = 3;
    B->conv.input = B->conv_in;
    B->conv.n_output = 1;
    B->conv.output = B->conv_out;
    B->conv.n_attribute = 2;
    B->conv.attribute = B->conv_attrs;
    B->relu = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
    B->relu.name = "relu1";
    B->relu.op_type = "Relu";
    B->relu.n_input = 1;
    B->relu.input = B->relu_in;
    B->relu.n_output = 1;
    B->relu.output = B->relu_out;
    B->nodes[0] = &B->conv;
    B->nodes[1] = &B->relu;

    B->graph = (Onnx__GraphProto)ONNX__GRAPH_PROTO__INIT;
    B->graph.name = "base";
    B->graph.n_node = 2;
    B->graph.node = B->nodes;
    B->graph.n_initializer = 2;
    B->graph.initializer = B->inits;
    B->graph.n_input = 1;
    B->graph.input = B->inputs;
    B->graph.n_output = 1;
    B->graph.output = B->outputs;
    B->model.graph = &B->graph;
}

static GBytes *pack(const Onnx__ModelProto *mp)
{
    const size_t len = onnx__model_proto__get_packed_size(mp);
    guint8 *buf = g_malloc(MAX(len, 1));
    onnx__model_proto__pack(mp, buf);
    return g_bytes_new_take(buf, len);
}

/* -- helpers that add initializers, attributes and nodes -- */

static Onnx__TensorProto *seed_tensor(const char *name, int rank, const int64_t *dims, int type)
{
    Onnx__TensorProto *t = arena_new0(sizeof *t);
    *t = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
    t->name = (char *)name;
    t->has_data_type = TRUE;
    t->data_type = type;
    t->n_dims = (size_t)rank;
    t->dims = arena_dims(rank, dims);
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        t->n_int64_data = (size_t)n;
        t->int64_data = arena_new0(sizeof(int64_t) * MAX(n, 1));
    } else {
        t->n_float_data = (size_t)n;
        t->float_data = arena_new0(sizeof(float) * MAX(n, 1));
        for (int64_t i = 0; i < n; i++)
            t->float_data[i] = 0.5f + 0.01f * (float)i;
    }
    return t;
}

static void seed_add_init(Base *B, Onnx__TensorProto *t)
{
    Onnx__TensorProto **inits = arena_new0(sizeof *inits * (B->graph.n_initializer + 1));
    if (B->graph.n_initializer)
        memcpy(inits, B->graph.initializer, sizeof *inits * B->graph.n_initializer);
    inits[B->graph.n_initializer++] = t;
    B->graph.initializer = inits;
}

static void seed_const_f(Base *B, const char *name, int rank, const int64_t *dims)
{
    seed_add_init(B, seed_tensor(name, rank, dims, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT));
}

static void seed_const_i(Base *B, const char *name, int n, const int64_t *v)
{
    Onnx__TensorProto *t =
        seed_tensor(name, 1, (int64_t[]){n}, ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    memcpy(t->int64_data, v, sizeof(int64_t) * n);
    seed_add_init(B, t);
}

static Onnx__AttributeProto *seed_attr(const char *name, int type)
{
    Onnx__AttributeProto *a = arena_new0(sizeof *a);
    *a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
    a->name = (char *)name;
    a->has_type = TRUE;
    a->type = type;
    return a;
}

static void seed_node_attr(Onnx__NodeProto *n, Onnx__AttributeProto *a)
{
    Onnx__AttributeProto **attrs = arena_new0(sizeof *attrs * (n->n_attribute + 1));
    if (n->n_attribute)
        memcpy(attrs, n->attribute, sizeof *attrs * n->n_attribute);
    attrs[n->n_attribute++] = a;
    n->attribute = attrs;
}

static void seed_int(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = seed_attr(name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = TRUE;
    a->i = v;
    seed_node_attr(n, a);
}

static void seed_float(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = seed_attr(name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = TRUE;
    a->f = v;
    seed_node_attr(n, a);
}

static void seed_string(Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = seed_attr(name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = TRUE;
    a->s = (ProtobufCBinaryData){strlen(v), (uint8_t *)v};
    seed_node_attr(n, a);
}

static void seed_ints(Onnx__NodeProto *n, const char *name, int count, const int64_t *v)
{
    Onnx__AttributeProto *a = seed_attr(name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count;
    a->ints = arena_dims(count, v);
    seed_node_attr(n, a);
}

/* Makes the second node `op` with the given inputs (NULL-terminated). */
static void seed_op(Base *B, const char *op, const char *const *inputs)
{
    int n = 0;
    while (inputs[n])
        n++;
    char **in = arena_new0(sizeof(char *) * MAX(n, 1));
    for (int i = 0; i < n; i++)
        in[i] = (char *)inputs[i];
    B->relu.name = "op1";
    B->relu.op_type = (char *)op;
    B->relu.n_input = (size_t)n;
    B->relu.input = in;
}

#define SEED_OP(B, op, ...) seed_op(B, op, (const char *const[]){__VA_ARGS__, NULL})

/* Inserts a Flatten "flat" between conv1 and the second node (for Gemm, MatMul). */
static void seed_flatten_first(Base *B)
{
    Onnx__NodeProto *f = arena_new0(sizeof *f);
    *f = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
    f->name = "flatten1";
    f->op_type = "Flatten";
    f->n_input = 1;
    f->input = arena_new0(sizeof(char *));
    f->input[0] = "y";
    f->n_output = 1;
    f->output = arena_new0(sizeof(char *));
    f->output[0] = "flat";
    Onnx__NodeProto **nodes = arena_new0(sizeof *nodes * 3);
    nodes[0] = &B->conv;
    nodes[1] = f;
    nodes[2] = &B->relu;
    B->graph.n_node = 3;
    B->graph.node = nodes;
}

/* -- the mutations -- */

static void m_none(Base *B)
{
    (void)B;
}

static void m_huge_dim(Base *B)
{
    B->b.dims = arena_dims(1, (int64_t[]){(int64_t)1 << 40});
    B->b.has_raw_data = FALSE;
    B->b.raw_data = (ProtobufCBinaryData){0, NULL};
}

static void m_negative_dim(Base *B)
{
    B->b.dims = arena_dims(1, (int64_t[]){-1});
}

static void m_overflow_dims(Base *B)
{
    B->b.n_dims = 3;
    B->b.dims = arena_dims(3, (int64_t[]){(int64_t)1 << 31, (int64_t)1 << 31, 4});
}

static void m_overflow_dims_small(Base *B)
{
    /* Each dim is plausible; the product (2^64) wraps to 0 in int64. */
    B->b.n_dims = 4;
    B->b.dims = arena_dims(4, (int64_t[]){1 << 16, 1 << 16, 1 << 16, 1 << 16});
}

static void m_raw_short(Base *B)
{
    B->b.raw_data.len = 12; /* 3 floats for dims [4] */
}

static void m_raw_long(Base *B)
{
    B->b.raw_data.data = arena_new0(64);
    B->b.raw_data.len = 64;
}

static void m_claims_gigabytes(Base *B)
{
    /* 2^30 floats declared, 4 bytes present: the file is ~100 bytes. */
    B->b.dims = arena_dims(1, (int64_t[]){(int64_t)1 << 30});
    B->b.raw_data.len = 4;
}

static void m_raw_odd(Base *B)
{
    B->b.raw_data.len = 15;
}

static void m_float_data_short(Base *B)
{
    B->w.n_float_data = 100;
}

static void m_string_type(Base *B)
{
    B->b.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__STRING;
}

static void m_rank5(Base *B)
{
    B->b.n_dims = 5;
    B->b.dims = arena_dims(5, (int64_t[]){1, 1, 1, 2, 2});
}

static void m_external(Base *B)
{
    B->w.has_data_location = TRUE;
    B->w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    B->w.n_float_data = 0;
    B->w.float_data = NULL;
}

static void m_init_no_name(Base *B)
{
    B->b.name = NULL;
}

static void m_init_twice(Base *B)
{
    B->b.name = "w";
}

static void m_input_int64(Base *B)
{
    B->xtensor.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
}

static void m_input_no_type(Base *B)
{
    B->x.type = NULL;
}

static void m_input_no_shape(Base *B)
{
    B->xtensor.shape = NULL;
}

static void m_input_rank5(Base *B)
{
    Onnx__TensorShapeProto__Dimension **d = arena_new0(sizeof *d * 5);
    for (int i = 0; i < 5; i++)
        d[i] = &B->xdim[MIN(i, 3)];
    B->xshape.n_dim = 5;
    B->xshape.dim = d;
}

static void m_input_zero_dim(Base *B)
{
    B->xdim[1].dim_value = 0;
}

static void m_input_negative_dim(Base *B)
{
    B->xdim[0].dim_value = -5;
}

static void m_nms(Base *B)
{
    B->relu.name = "nms1";
    B->relu.op_type = "NonMaxSuppression";
}

static void m_custom_domain(Base *B)
{
    B->relu.domain = "com.example.custom";
}

static void m_no_op_type(Base *B)
{
    B->relu.op_type = NULL;
}

static void m_undefined_input(Base *B)
{
    B->relu_in[0] = "not_defined_anywhere";
}

static void m_output_twice(Base *B)
{
    B->relu_out[0] = "y";
}

static void m_too_many_inputs(Base *B)
{
    char **in = arena_new0(sizeof(char *) * 40);
    for (int i = 0; i < 40; i++)
        in[i] = "y";
    B->relu.n_input = 40;
    B->relu.input = in;
}

static void m_no_output(Base *B)
{
    B->graph.n_output = 0;
}

static void m_output_unproduced(Base *B)
{
    B->out.name = "no_such_value";
}

static void m_output_no_name(Base *B)
{
    B->out.name = NULL;
}

static void m_no_graph(Base *B)
{
    B->model.graph = NULL;
}

static void m_opset3(Base *B)
{
    B->opset.version = 3;
}

static void m_opset_huge(Base *B)
{
    B->opset.version = ((int64_t)1 << 32) + 13;
}

static void m_no_input(Base *B)
{
    B->graph.n_input = 0;
}

static void m_constant_unnamed_attr(Base *B)
{
    /* Constant node whose tensor attribute has no name. */
    Onnx__AttributeProto *a = arena_new0(sizeof *a);
    *a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
    a->has_type = TRUE;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    a->t = &B->b;
    Onnx__AttributeProto **attrs = arena_new0(sizeof *attrs);
    attrs[0] = a;
    B->relu.op_type = "Constant";
    B->relu.n_input = 0;
    B->relu.n_attribute = 1;
    B->relu.attribute = attrs;
}

static void m_conv_kernel_huge(Base *B)
{
    B->kshape[0] = B->kshape[1] = (int64_t)1 << 40;
}

static void m_conv_weight_rank1(Base *B)
{
    B->conv_in[1] = "b";
}

static void m_conv_no_pads_values(Base *B)
{
    B->apads.n_ints = 0;
}

static void m_empty_tensor(Base *B)
{
    /* An empty tensor is valid ONNX; as Conv's bias it is the wrong size. */
    B->b.dims = arena_dims(1, (int64_t[]){0});
    B->b.has_raw_data = FALSE;
    B->b.raw_data = (ProtobufCBinaryData){0, NULL};
}

static void m_string_attr_no_value(Base *B)
{
    /* A STRING attribute whose `s` field is absent. */
    seed_node_attr(&B->conv, seed_attr("auto_pad", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING));
}

static void m_conv_group_huge(Base *B)
{
    seed_int(&B->conv, "group", (int64_t)1 << 62);
}

static void resize_with_scale(Base *B, float scale)
{
    Onnx__TensorProto *sc =
        seed_tensor("scales", 1, (int64_t[]){4}, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    sc->float_data[0] = sc->float_data[1] = 1.0f;
    sc->float_data[2] = sc->float_data[3] = scale;
    seed_add_init(B, sc);
    SEED_OP(B, "Resize", "y", "", "scales");
}

static void m_resize_scale_huge(Base *B)
{
    resize_with_scale(B, 1e30f);
}
static void m_resize_scale_nan(Base *B)
{
    resize_with_scale(B, NAN);
}
static void m_resize_scale_inf(Base *B)
{
    resize_with_scale(B, -INFINITY);
}

static void m_pad_nan(Base *B)
{
    /* Float pads (read as integers) holding NaN. */
    Onnx__TensorProto *p =
        seed_tensor("pads", 1, (int64_t[]){8}, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    for (int i = 0; i < 8; i++)
        p->float_data[i] = i == 2 ? NAN : 1e30f;
    seed_add_init(B, p);
    SEED_OP(B, "Pad", "y", "pads");
}

static void m_reshape_huge(Base *B)
{
    seed_const_i(B, "shape", 3, (int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40, (int64_t)1 << 40});
    SEED_OP(B, "Reshape", "y", "shape");
}

static void m_convtranspose_opad_huge(Base *B)
{
    seed_const_f(B, "wt", 4, (int64_t[]){4, 2, 3, 3});
    SEED_OP(B, "ConvTranspose", "y", "wt");
    seed_ints(&B->relu, "output_padding", 2, (int64_t[]){INT64_MAX, INT64_MAX});
}

static void m_input_huge_fixed(Base *B)
{
    /* Fixed input dims of 2^30 each: 2^120 elements. The Relu reads x. */
    for (int i = 0; i < 4; i++) {
        B->xdim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        B->xdim[i].dim_value = (int64_t)1 << 30;
    }
    B->nodes[0] = &B->relu;
    B->graph.n_node = 1;
    B->relu_in[0] = "x";
}

static void m_flatten_huge(Base *B)
{
    m_input_huge_fixed(B);
    B->relu.op_type = "Flatten";
}

typedef struct {
    const char *name;
    void (*mutate)(Base *B);
    const char *needles[3]; /* the message must mention these */
    gboolean load_ok;       /* may load; shape inference at the default shape must then fail */
} Hostile;

static const Hostile hostile[] = {
    {"initializer with dims [1<<40] and no data", m_huge_dim, {"'b'", "dimension"}},
    {"initializer with dims [-1]", m_negative_dim, {"'b'", "-1"}},
    {"initializer with dims [2^31, 2^31, 4]", m_overflow_dims, {"'b'"}},
    {"initializer with dims [2^16 x4] (product wraps)", m_overflow_dims_small, {"'b'"}},
    {"raw_data shorter than dims", m_raw_short, {"'b'", "3 values"}},
    {"initializer claiming 4 GiB with 4 bytes of data", m_claims_gigabytes, {"'b'", "1 values"}},
    {"raw_data longer than dims", m_raw_long, {"'b'", "16 values"}},
    {"raw_data not a multiple of 4", m_raw_odd, {"'b'"}},
    {"float_data longer than dims", m_float_data_short, {"'w'", "100"}},
    {"data_type STRING", m_string_type, {"'b'", "string"}},
    {"initializer of rank 5", m_rank5, {"'b'", "rank 5"}},
    {"external data_location", m_external, {"'w'", "external"}},
    {"initializer without a name", m_init_no_name, {"name"}},
    {"two initializers named 'w'", m_init_twice, {"'w'", "twice"}},
    {"graph input of type INT64", m_input_int64, {"'x'", "int64"}},
    {"graph input without a type", m_input_no_type, {"'x'"}},
    {"graph input without a shape", m_input_no_shape, {"'x'", "shape"}},
    {"graph input of rank 5", m_input_rank5, {"'x'", "rank"}},
    {"graph input with a 0 dimension", m_input_zero_dim, {"'x'", "0"}},
    {"graph input with a negative dimension", m_input_negative_dim, {"'x'", "-5"}},
    {"unsupported op NonMaxSuppression", m_nms, {"nms1", "NonMaxSuppression"}},
    {"node of a custom domain", m_custom_domain, {"relu1", "com.example.custom"}},
    {"node without op_type", m_no_op_type, {"relu1", "op_type"}},
    {"node input not defined", m_undefined_input, {"relu1", "not_defined_anywhere"}},
    {"node output defined twice", m_output_twice, {"relu1", "'y'"}},
    {"node with 40 inputs", m_too_many_inputs, {"relu1", "40"}},
    {"graph with no output", m_no_output, {"output"}},
    {"graph output not produced", m_output_unproduced, {"no_such_value"}},
    {"graph output without a name", m_output_no_name, {"output"}},
    {"model with no graph", m_no_graph, {"graph"}},
    {"opset 3", m_opset3, {"opset 3"}},
    {"opset 2^32 + 13", m_opset_huge, {"opset"}},
    {"graph with no input", m_no_input, {"input"}},
    {"Constant whose tensor attribute has no name", m_constant_unnamed_attr, {"relu1", "Constant"}},
    {"Conv with kernel_shape 2^40", m_conv_kernel_huge, {"conv1", "kernel_shape"}, TRUE},
    {"Conv with a rank-1 weight", m_conv_weight_rank1, {"conv1"}, TRUE},
    {"Conv with an empty pads list", m_conv_no_pads_values, {"conv1", "pads"}, TRUE},
    {"empty initializer (dims [0], no data) as a bias", m_empty_tensor, {"conv1", "bias"}, TRUE},
    {"STRING attribute without a value", m_string_attr_no_value, {"conv1", "auto_pad"}, TRUE},
    {"Conv with group 2^62", m_conv_group_huge, {"conv1"}, TRUE},
    {"Resize with scale 1e30", m_resize_scale_huge, {"op1", "scale"}, TRUE},
    {"Resize with scale NaN", m_resize_scale_nan, {"op1", "scale"}, TRUE},
    {"Resize with scale -inf", m_resize_scale_inf, {"op1", "scale"}, TRUE},
    {"Pad with float pads NaN and 1e30", m_pad_nan, {"op1", "pads"}, TRUE},
    {"Reshape to [2^40, 2^40, 2^40]", m_reshape_huge, {"op1"}, TRUE},
    {"ConvTranspose with output_padding INT64_MAX",
     m_convtranspose_opad_huge,
     {"op1", "output_padding"},
     TRUE},
    {"graph input of fixed 2^30 x 2^30 x 2^30 x 2^30", m_input_huge_fixed, {"too large"}, TRUE},
    {"Flatten of a 2^120-element input", m_flatten_huge, {"too large"}, TRUE},
};

/* The base model with one mutation, packed; the mutation's allocations
 * are freed. */
static GBytes *build(void (*mutate)(Base *B))
{
    Base B;
    base_init(&B);
    mutate(&B);
    GBytes *bytes = pack(&B.model);
    g_ptr_array_set_size(arena, 0);
    return bytes;
}

static void run_hostile(const Hostile *h)
{
    g_autoptr(GBytes) bytes = build(h->mutate);
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    GError *e = NULL;
    g_autofree char *what = g_strdup_printf("d: %s", h->name);
    const int warnings = glib_warnings;
    VknnModel *m = vknn_model_load_from_memory(data, len, &e);
    if (h->load_ok && m) {
        /* The base model's default shape is 1x3x8x8; fixed dims stay. */
        const VknnShape in = vknn_model_default_input_shape(m, 0, 8, 8);
        if (vknn_model_infer_shapes(m, &in, &e)) {
            test_report(FALSE, what, "shape inference accepted it");
            vknn_model_free(m);
            return;
        }
        vknn_model_free(m);
        m = NULL;
    }
    if (expect_error_v(what, m, &e, TRUE, h->needles[0] ? h->needles : NULL) &&
        glib_warnings != warnings)
        test_report(FALSE, what, "GLib warning printed (see above)");
}

/* A hostile file must be refused without allocating what it claims: the
 * child may grow its address space by HOSTILE_MAX_ALLOC at most, so that a
 * gigabyte allocation fails (GLib aborts, and the case fails) instead of
 * passing unseen on a machine with memory to spare. Under valgrind the
 * address space is valgrind's own; under ASan, __asan_default_options
 * below caps each allocation instead. */
#define HOSTILE_MAX_ALLOC ((rlim_t)1 << 30)

static void limit_address_space(void)
{
    const char *preload = g_getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        return;
    g_autofree char *status = NULL;
    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
        return;
    const char *vm = strstr(status, "VmSize:");
    if (!vm)
        return;
    const rlim_t size = (rlim_t)g_ascii_strtoull(vm + strlen("VmSize:"), NULL, 10) * 1024;
    const struct rlimit cap = {size + HOSTILE_MAX_ALLOC, size + HOSTILE_MAX_ALLOC};
    setrlimit(RLIMIT_AS, &cap);
}

/* The child's side of run_hostile_in_child: its checks' counts go to the
 * parent through fd. */
static G_GNUC_NORETURN void hostile_child(const Hostile *h, int fd)
{
    test_passed = test_failed = 0;
    limit_address_space();
    run_hostile(h);
    const int counts[2] = {test_passed, test_failed};
    const gboolean sent = write(fd, counts, sizeof counts) == sizeof counts;
    close(fd);
    g_ptr_array_unref(arena);
    /* exit, not _exit: LeakSanitizer runs at exit. */
    exit(sent ? 0 : 3);
}

/* Runs a hostile case in a child process, so that a crash is reported as a
 * failure of that case and the others still run. The child's checks are
 * counted here, from the counts it sends back. */
static void run_hostile_in_child(const Hostile *h)
{
    int fds[2];
    fflush(stdout);
    if (pipe(fds) != 0) {
        test_fail("d: %s: pipe failed", h->name);
        return;
    }
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        hostile_child(h, fds[1]);
    }
    close(fds[1]);
    /* Allocated after the fork: the child exits without freeing. */
    g_autofree char *what = g_strdup_printf("d: %s", h->name);
    if (pid < 0) {
        close(fds[0]);
        test_report(FALSE, what, "fork failed");
        return;
    }
    int counts[2] = {0, 0}, status = 0;
    const gboolean got = read(fds[0], counts, sizeof counts) == sizeof counts;
    close(fds[0]);
    test_passed += counts[0];
    test_failed += counts[1];
    if (waitpid(pid, &status, 0) != pid) {
        test_report(FALSE, what, "waitpid failed");
    } else if (WIFSIGNALED(status)) {
        g_autofree char *detail = g_strdup_printf("CRASHED with signal %d (%s)", WTERMSIG(status),
                                                  g_strsignal(WTERMSIG(status)));
        test_report(FALSE, what, detail);
    } else if (WEXITSTATUS(status) != 0 || !got) {
        g_autofree char *detail = g_strdup_printf(
            "exited with status %d (a sanitizer or valgrind report above?)", WEXITSTATUS(status));
        test_report(FALSE, what, detail);
    }
}

static void test_hostile(void)
{
    arena = g_ptr_array_new_with_free_func(g_free);

    /* The base model must load and infer, or the cases below prove nothing. */
    {
        g_autoptr(GBytes) bytes = build(m_none);
        gsize len;
        const guint8 *data = g_bytes_get_data(bytes, &len);
        GError *e = NULL;
        g_autoptr(VknnModel) m = vknn_model_load_from_memory(data, len, &e);
        const VknnShape in = {4, {1, 3, 8, 8}};
        const gboolean ok = m && vknn_model_infer_shapes(m, &in, &e);
        char buf[64] = "";
        if (ok)
            vknn_shape_str(&vknn_model_value(m, g_array_index(m->outputs, int, 0))->shape, buf,
                           sizeof buf);
        test_report(ok && strcmp(buf, "1x4x8x8") == 0, "d: base model loads and infers 1x4x8x8",
                    e ? e->message : buf);
        g_clear_error(&e);
    }

    for (gsize k = 0; k < G_N_ELEMENTS(hostile); k++)
        run_hostile_in_child(&hostile[k]);
    g_ptr_array_unref(arena);
    arena = NULL;
}

/* ---- seeds for the fuzzer ------------------------------------------------------
 *
 * Valid variants of the base model in which the second node is another
 * supported op, so that a fuzzing corpus reaches every op's shape inference
 * from small inputs. */

static void s_leaky(Base *B)
{
    SEED_OP(B, "LeakyRelu", "y");
    seed_float(&B->relu, "alpha", 0.2f);
}
static void s_sigmoid(Base *B)
{
    SEED_OP(B, "Sigmoid", "y");
}
static void s_tanh(Base *B)
{
    SEED_OP(B, "Tanh", "y");
}
static void s_identity(Base *B)
{
    SEED_OP(B, "Identity", "y");
}
static void s_dropout(Base *B)
{
    SEED_OP(B, "Dropout", "y");
}
static void s_clip(Base *B)
{
    seed_const_f(B, "lo", 0, NULL);
    seed_const_f(B, "hi", 0, NULL);
    SEED_OP(B, "Clip", "y", "lo", "hi");
}
static void s_clip6(Base *B)
{
    B->opset.version = 9;
    SEED_OP(B, "Clip", "y");
    seed_float(&B->relu, "min", 0.0f);
    seed_float(&B->relu, "max", 6.0f);
}
static void s_add(Base *B)
{
    seed_const_f(B, "c", 3, (int64_t[]){4, 1, 1});
    SEED_OP(B, "Add", "y", "c");
}
static void s_sub(Base *B)
{
    seed_const_f(B, "c", 0, NULL);
    SEED_OP(B, "Sub", "y", "c");
}
static void s_mul(Base *B)
{
    SEED_OP(B, "Mul", "y", "y");
}
static void s_div(Base *B)
{
    seed_const_f(B, "c", 1, (int64_t[]){1});
    SEED_OP(B, "Div", "y", "c");
}
static void s_pad(Base *B)
{
    seed_const_i(B, "pads", 8, (int64_t[]){0, 0, 1, 2, 0, 0, 2, 1});
    SEED_OP(B, "Pad", "y", "pads");
    seed_string(&B->relu, "mode", "reflect");
}
static void s_pad_old(Base *B)
{
    B->opset.version = 9;
    SEED_OP(B, "Pad", "y");
    seed_ints(&B->relu, "pads", 8, (int64_t[]){0, 0, 1, 1, 0, 0, 1, 1});
    seed_string(&B->relu, "mode", "edge");
}
static void s_resize(Base *B)
{
    seed_const_f(B, "roi", 1, (int64_t[]){0});
    Onnx__TensorProto *sc =
        seed_tensor("scales", 1, (int64_t[]){4}, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    sc->float_data[0] = sc->float_data[1] = 1.0f;
    sc->float_data[2] = sc->float_data[3] = 2.0f;
    seed_add_init(B, sc);
    SEED_OP(B, "Resize", "y", "roi", "scales");
    seed_string(&B->relu, "mode", "linear");
    seed_string(&B->relu, "coordinate_transformation_mode", "align_corners");
}
static void s_resize_sizes(Base *B)
{
    seed_const_i(B, "sizes", 4, (int64_t[]){1, 4, 12, 16});
    SEED_OP(B, "Resize", "y", "", "", "sizes");
    seed_string(&B->relu, "nearest_mode", "floor");
}
static void s_upsample(Base *B)
{
    B->opset.version = 9;
    Onnx__TensorProto *sc =
        seed_tensor("scales", 1, (int64_t[]){4}, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    sc->float_data[0] = sc->float_data[1] = 1.0f;
    sc->float_data[2] = sc->float_data[3] = 2.0f;
    seed_add_init(B, sc);
    SEED_OP(B, "Upsample", "y", "scales");
}
static void s_maxpool(Base *B)
{
    SEED_OP(B, "MaxPool", "y");
    seed_ints(&B->relu, "kernel_shape", 2, (int64_t[]){3, 3});
    seed_ints(&B->relu, "strides", 2, (int64_t[]){2, 2});
    seed_int(&B->relu, "ceil_mode", 1);
}
static void s_avgpool(Base *B)
{
    SEED_OP(B, "AveragePool", "y");
    seed_ints(&B->relu, "kernel_shape", 2, (int64_t[]){2, 2});
    seed_ints(&B->relu, "pads", 4, (int64_t[]){1, 1, 1, 1});
    seed_string(&B->relu, "auto_pad", "SAME_UPPER");
    seed_int(&B->relu, "count_include_pad", 1);
}
static void s_gap(Base *B)
{
    SEED_OP(B, "GlobalAveragePool", "y");
}
static void s_gmp(Base *B)
{
    SEED_OP(B, "GlobalMaxPool", "y");
}
static void s_concat(Base *B)
{
    SEED_OP(B, "Concat", "y", "x", "y");
    seed_int(&B->relu, "axis", 1);
}
static void s_flatten(Base *B)
{
    SEED_OP(B, "Flatten", "y");
    seed_int(&B->relu, "axis", 2);
}
static void s_reshape(Base *B)
{
    seed_const_i(B, "shape", 3, (int64_t[]){0, -1, 4});
    SEED_OP(B, "Reshape", "y", "shape");
}
static void s_softmax(Base *B)
{
    SEED_OP(B, "Softmax", "y");
    seed_int(&B->relu, "axis", 1);
}
static void s_instnorm(Base *B)
{
    seed_const_f(B, "scale", 1, (int64_t[]){4});
    seed_const_f(B, "bias", 1, (int64_t[]){4});
    SEED_OP(B, "InstanceNormalization", "y", "scale", "bias");
    seed_float(&B->relu, "epsilon", 1e-3f);
}
static void s_lrn(Base *B)
{
    SEED_OP(B, "LRN", "y");
    seed_int(&B->relu, "size", 3);
    seed_float(&B->relu, "alpha", 1e-3f);
}
static void s_batchnorm(Base *B)
{
    const char *names[] = {"s", "bb", "mean", "var"};
    for (int i = 0; i < 4; i++)
        seed_const_f(B, names[i], 1, (int64_t[]){4});
    SEED_OP(B, "BatchNormalization", "y", "s", "bb", "mean", "var");
}
static void s_convtranspose(Base *B)
{
    seed_const_f(B, "wt", 4, (int64_t[]){4, 2, 3, 3});
    SEED_OP(B, "ConvTranspose", "y", "wt");
    seed_ints(&B->relu, "strides", 2, (int64_t[]){2, 2});
    seed_ints(&B->relu, "pads", 4, (int64_t[]){1, 1, 1, 1});
    seed_ints(&B->relu, "output_padding", 2, (int64_t[]){1, 1});
}
static void s_conv_group(Base *B)
{
    seed_const_f(B, "wd", 4, (int64_t[]){8, 1, 3, 3});
    SEED_OP(B, "Conv", "y", "wd");
    seed_int(&B->relu, "group", 4);
    seed_ints(&B->relu, "dilations", 2, (int64_t[]){2, 2});
    seed_string(&B->relu, "auto_pad", "SAME_LOWER");
}
static void s_gemm(Base *B)
{
    seed_flatten_first(B);
    seed_const_f(B, "gw", 2, (int64_t[]){10, 256});
    seed_const_f(B, "gb", 1, (int64_t[]){10});
    SEED_OP(B, "Gemm", "flat", "gw", "gb");
    seed_int(&B->relu, "transB", 1);
    seed_float(&B->relu, "alpha", 0.5f);
}
static void s_matmul(Base *B)
{
    seed_flatten_first(B);
    seed_const_f(B, "mw", 2, (int64_t[]){256, 10});
    SEED_OP(B, "MatMul", "flat", "mw");
}
static void s_constant(Base *B)
{
    /* A Constant node as the convolution's bias. */
    Onnx__NodeProto *c = arena_new0(sizeof *c);
    *c = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
    c->name = "const1";
    c->op_type = "Constant";
    c->n_output = 1;
    c->output = arena_new0(sizeof(char *));
    c->output[0] = "k";
    Onnx__AttributeProto *a = seed_attr("value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = seed_tensor("", 1, (int64_t[]){4}, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    seed_node_attr(c, a);
    Onnx__NodeProto **nodes = arena_new0(sizeof *nodes * 3);
    nodes[0] = c;
    nodes[1] = &B->conv;
    nodes[2] = &B->relu;
    B->graph.n_node = 3;
    B->graph.node = nodes;
    B->conv_in[2] = "k";
    B->graph.n_initializer = 1; /* drop b */
}

/* The seeds, tagged with the op of compute/ops.def each reaches (its last
 * node) and in the order of that list; Relu is the base model's own second
 * node (hostile_00), Constant is folded by the importer. */
typedef struct {
    const char *op;
    void (*make)(Base *B);
} OpSeed;

#define SEED(op, make)                                                                             \
    {                                                                                              \
#op, make                                                                                  \
    }
static const OpSeed op_seeds[] = {
    SEED(Conv, s_conv_group),
    SEED(ConvTranspose, s_convtranspose),
    SEED(InstanceNormalization, s_instnorm),
    SEED(LRN, s_lrn),
    SEED(BatchNormalization, s_batchnorm),
    SEED(Clip, s_clip),
    SEED(Clip, s_clip6),
    SEED(LeakyRelu, s_leaky),
    SEED(Sigmoid, s_sigmoid),
    SEED(Tanh, s_tanh),
    SEED(Add, s_add),
    SEED(Div, s_div),
    SEED(Mul, s_mul),
    SEED(Sub, s_sub),
    SEED(Pad, s_pad),
    SEED(Pad, s_pad_old),
    SEED(Resize, s_resize),
    SEED(Resize, s_resize_sizes),
    SEED(Upsample, s_upsample),
    SEED(AveragePool, s_avgpool),
    SEED(MaxPool, s_maxpool),
    SEED(GlobalAveragePool, s_gap),
    SEED(GlobalMaxPool, s_gmp),
    SEED(Concat, s_concat),
    SEED(Dropout, s_dropout),
    SEED(Flatten, s_flatten),
    SEED(Identity, s_identity),
    SEED(Reshape, s_reshape),
    SEED(Gemm, s_gemm),
    SEED(MatMul, s_matmul),
    SEED(Softmax, s_softmax),
    SEED(Constant, s_constant),
};

/* Whether op is one of compute/ops.def (Constant is not: it is folded). */
static gboolean op_listed(const char *op)
{
    for (const char *const *o = vknn_supported_ops(); *o; o++)
        if (g_str_equal(*o, op))
            return TRUE;
    return FALSE;
}

/* NULL when the seed loads, infers at 1x3x8x8 and ends in a node of its
 * op; otherwise what is wrong (g_free). */
static char *seed_problem(const OpSeed *seed, GBytes *bytes)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    GError *e = NULL;
    g_autoptr(VknnModel) m = vknn_model_load_from_memory(data, len, &e);
    const VknnShape in = {4, {1, 3, 8, 8}};
    char *why = NULL;
    if (!m || !vknn_model_infer_shapes(m, &in, &e))
        why = g_strdup_printf("the %s seed does not load: %s", seed->op, e->message);
    else if (op_listed(seed->op) &&
             !g_str_equal(vknn_model_node(m, m->nodes->len - 1)->op_type, seed->op))
        why = g_strdup_printf("the %s seed ends in a %s", seed->op,
                              vknn_model_node(m, m->nodes->len - 1)->op_type);
    g_clear_error(&e);
    return why;
}

/* ---- (f) the fuzzing seeds --------------------------------------------------------- */

/* Every seed is valid and ends in its op. (That the corpus reaches every
 * op of compute/ops.def is test_ops' job: its forward cases, which each op
 * must have, are seeds too: test_ops write-seeds.) */
static void test_op_seeds(void)
{
    arena = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) bad = g_string_new(NULL);
    for (gsize k = 0; k < G_N_ELEMENTS(op_seeds); k++) {
        g_autoptr(GBytes) bytes = build(op_seeds[k].make);
        g_autofree char *why = seed_problem(&op_seeds[k], bytes);
        if (why)
            g_string_append_printf(bad, "%s%s", bad->len ? "; " : "", why);
    }
    test_report(bad->len == 0, "f: every op seed loads, infers at 1x3x8x8 and ends in its op",
                bad->len ? bad->str : NULL);
    g_ptr_array_unref(arena);
    arena = NULL;
}

static int write_one(const char *path, GBytes *bytes)
{
    gsize len;
    const void *data = g_bytes_get_data(bytes, &len);
    GError *e = NULL;
    if (!g_file_set_contents(path, data, (gssize)len, &e)) {
        fprintf(stderr, "%s\n", e->message);
        g_error_free(e);
        return 1;
    }
    return 0;
}

static int write_seeds(const char *dir)
{
    arena = g_ptr_array_new_with_free_func(g_free);
    g_mkdir_with_parents(dir, 0755);
    int bad = 0;
    for (gsize k = 0; k < G_N_ELEMENTS(op_seeds); k++) {
        g_autoptr(GBytes) bytes = build(op_seeds[k].make);
        g_autofree char *why = seed_problem(&op_seeds[k], bytes);
        if (why) {
            fprintf(stderr, "op seed %zu: %s\n", k, why);
            bad++;
        }
        g_autofree char *path = g_strdup_printf("%s/op_%02zu_%s.onnx", dir, k, op_seeds[k].op);
        if (write_one(path, bytes))
            return 1;
    }
    const Hostile base = {"base", m_none, {NULL}};
    for (gsize k = 0; k <= G_N_ELEMENTS(hostile); k++) {
        const Hostile *h = k == 0 ? &base : &hostile[k - 1];
        g_autoptr(GBytes) bytes = build(h->mutate);
        g_autofree char *path = g_strdup_printf("%s/hostile_%02zu.onnx", dir, k);
        if (write_one(path, bytes))
            return 1;
    }
    printf("wrote %zu op seeds and %zu hostile models to %s\n", G_N_ELEMENTS(op_seeds),
           G_N_ELEMENTS(hostile) + 1, dir);
    g_ptr_array_unref(arena);
    return bad ? 1 : 0;
}

/* ---- (e) valid model, shapes it cannot take ------------------------------------ */

static void test_bad_shapes(const char *path)
{
    GError *e = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(path, &e);
    if (!m) {
        test_report(FALSE, "e: load the style network", e->message);
        g_clear_error(&e);
        return;
    }
    const VknnShape rank3 = {3, {3, 64, 64}};
    gboolean ok = vknn_model_infer_shapes(m, &rank3, &e);
    test_report(!ok && e && *e->message, "e: infer_shapes at 3x64x64 (rank 3) fails",
                e ? e->message : "accepted");
    g_clear_error(&e);

    const VknnShape c4 = {4, {1, 4, 64, 64}};
    ok = vknn_model_infer_shapes(m, &c4, &e);
    test_report(!ok && e && *e->message, "e: infer_shapes at 1x4x64x64 fails",
                e ? e->message : "accepted");
    g_clear_error(&e);

    const VknnShape zero = {4, {1, 3, 0, 64}};
    ok = vknn_model_infer_shapes(m, &zero, &e);
    test_report(!ok && e && *e->message, "e: infer_shapes at 1x3x0x64 fails",
                e ? e->message : "accepted");
    g_clear_error(&e);
}

/* The style network's first layer alone: reflection Pad 4, Conv 9x9 to 3
 * channels, any input size; output "output" as the style network's. */
static VknnModel *first_layer_network(void)
{
    TestModel b = tm_new(0, 20);
    tm_input(&b, "input", SHAPE(1, 3, -1, -1));
    tm_const_int(&b, "pads", SHAPE(8), I64(0, 0, 4, 4, 0, 0, 4, 4));
    tm_weight(&b, "w", SHAPE(3, 3, 9, 9), -0.1f, 0.1f);
    tm_node(&b, "Pad", NAMES("input", "pads"), "padded");
    tm_attr_str(&b, "mode", "reflect");
    tm_node(&b, "Conv", NAMES("padded", "w"), "output");
    tm_output(&b, "output");
    return tm_take(&b);
}

/* (e) on the device: plans for shapes the network cannot take fail, and the
 * net runs a valid one afterwards. */
static void test_bad_plans(VknnModel *m)
{
    GError *e = NULL;
    gboolean ok;
    const VknnShape rank3 = {3, {3, 64, 64}};
    g_autoptr(VknnContext) ctx = context_without_driver_leaks();
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &e);
    if (!net) {
        test_report(FALSE, "e: vknn_net_new", e->message);
        g_clear_error(&e);
        return;
    }
    const VknnShape tiny = {4, {1, 3, 2, 2}};
    ok = vknn_net_prepare(net, &tiny, &e);
    test_report(!ok && e && *e->message,
                "e: net_prepare at 1x3x2x2 (reflection pad 4 on 2 px) fails",
                e ? e->message : "accepted");
    g_clear_error(&e);

    ok = vknn_net_prepare(net, &rank3, &e);
    test_report(!ok && e && *e->message, "e: net_prepare at 3x64x64 fails",
                e ? e->message : "accepted");
    g_clear_error(&e);

    /* run without a plan after the failures */
    float dummy = 0;
    const float *inputs[] = {&dummy};
    ok = vknn_net_run(net, inputs, &e);
    test_report(!ok && e && *e->message, "e: net_run after a failed prepare fails",
                e ? e->message : "ran");
    g_clear_error(&e);

    /* The net recovers: a valid shape still prepares and runs. */
    const VknnShape good = {4, {1, 3, 16, 16}};
    g_autofree float *x = g_new(float, 3 * 16 * 16);
    g_autofree float *y = g_new(float, 3 * 16 * 16);
    test_fill_random(x, 3 * 16 * 16, 7, 0, 255);
    inputs[0] = x;
    ok = vknn_net_prepare(net, &good, &e) && vknn_net_run(net, inputs, &e) &&
         vknn_net_read(net, "output", y, &e);
    test_report(ok, "e: after the failures, 1x3x16x16 prepares, runs and reads back",
                e ? e->message : NULL);
    g_clear_error(&e);
}

int main(int argc, char **argv)
{
    const char *seed_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = TRUE;
        else if (strcmp(argv[i], "--write-seeds") == 0 && i + 1 < argc)
            seed_dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--write-seeds DIR]\n", argv[0]);
            return 1;
        }
    }
    if (seed_dir)
        return write_seeds(seed_dir);

    g_log_set_default_handler(log_handler, NULL);

    test_paths();
    test_random_buffers();
    test_hostile();
    test_op_seeds();

    /* candy_nc8 from ../shared, or without it (a fresh clone) the built-in
     * wave network, a style network of the same layers, saved as ONNX. */
    g_autofree char *path = test_shared_path("models/style/small/candy_nc8.onnx");
    g_autofree char *saved = NULL;
    if (!path) {
        GError *err = NULL;
        g_autoptr(VknnModel) wave = vknn_model_load("builtin:wave", &err);
        g_autofree char *name = g_strdup_printf("vknn-test-bad-input-%d.onnx", (int)getpid());
        saved = g_build_filename(g_get_tmp_dir(), name, NULL);
        if (!wave || !vknn_model_save(wave, saved, &err)) {
            test_report(FALSE, "save builtin:wave as ONNX", err->message);
            g_error_free(err);
            return test_summary(1);
        }
        printf("without ../shared: the built-in wave network, saved as %s\n", saved);
        path = g_strdup(saved);
    }
    gchar *data = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &data, &len, &e)) {
        test_report(FALSE, "read the style network", e->message);
        g_error_free(e);
        return test_summary(1);
    }
    test_truncation((const guint8 *)data, len);
    test_byte_flips((const guint8 *)data, len, FALSE);
    test_byte_flips((const guint8 *)data, len, TRUE);
    g_free(data);
    test_bad_shapes(path);
    g_autoptr(VknnModel) plans_model = quick ? first_layer_network() : vknn_model_load(path, &e);
    if (plans_model)
        test_bad_plans(plans_model);
    else
        test_report(FALSE, "e: the network for the device cases", e ? e->message : NULL);
    g_clear_error(&e);
    if (saved)
        g_unlink(saved);

    /* Warnings are bugs in error paths, even where no case's check saw them. */
    if (glib_warnings)
        test_fail("%d GLib warning(s) printed (see above)", glib_warnings);
    return test_summary(0);
}
