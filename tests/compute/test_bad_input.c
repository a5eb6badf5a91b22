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
 * vknn_net_prepare on a device.
 * --quick runs fewer iterations of (b) and (c) (for valgrind).
 * --write-seeds DIR writes the (d) models as files (a fuzzing seed corpus)
 * and exits.
 * Exit status: 0 pass, 1 fail, 77 when ../shared is absent (the cases that
 * need no real model still run first and a failure among them is reported).
 */
#include "../testutil.h"
#include "onnx.pb-c.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static int failures;
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

static void report(gboolean ok, const char *what, const char *detail)
{
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    if (!ok)
        failures++;
    fflush(stdout);
}

/* Checks a load that must fail: NULL model, error set with a non-empty
 * message containing each of the NULL-terminated `needles`. Consumes m and e. */
static gboolean expect_error_v(const char *what, VknnModel *m, GError *e, gboolean verbose,
                               const char *const *needles)
{
    const int warnings_before = glib_warnings;
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
                detail = g_strdup_printf("message does not mention '%s': %s", needles[i], e->message);
                break;
            }
        if (ok)
            detail = g_strdup(e->message);
    }
    (void)warnings_before;
    if (verbose || !ok)
        report(ok, what, detail);
    else if (!ok)
        failures++;
    vknn_model_free(m);
    g_clear_error(&e);
    return ok;
}

#define EXPECT_ERROR(what, m, e, ...)                                                              \
    expect_error_v(what, m, e, TRUE, (const char *const[]){__VA_ARGS__, NULL})

/* ---- (a) paths ------------------------------------------------------------ */

static void test_paths(void)
{
    GError *e = NULL;
    g_autofree char *tmp = NULL;
    int fd = g_file_open_tmp("vknn-empty-XXXXXX.onnx", &tmp, &e);
    if (fd < 0) {
        report(FALSE, "a: create an empty temp file", e->message);
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
        report(FALSE, "a: create a temp directory", NULL);
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
        if (!expect_error_v(what, m, e, FALSE, NULL))
            bad++;
    }
    g_autofree char *summary = g_strdup_printf("%d truncations, %d without a clean error", tried, bad);
    report(bad == 0, "b: truncated model", summary);
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
        if (!expect_error_v(what, m, e, FALSE, NULL))
            bad++;
        g_free(buf);
    }
    g_rand_free(r);
    g_autofree char *summary = g_strdup_printf("%d buffers, %d without a clean error", n, bad);
    report(bad == 0, "c: random buffers", summary);
}

static void test_byte_flips(const guint8 *data, gsize len)
{
    const int n = quick ? 40 : 200;
    GRand *r = g_rand_new_with_seed(0xf11b);
    guint8 *buf = g_memdup2(data, len);
    int loaded = 0, rejected = 0, inferred = 0, bad = 0;
    for (int k = 0; k < n; k++) {
        const gsize pos = (gsize)g_rand_int_range(r, 0, (gint32)MIN(len, G_MAXINT32));
        const guint8 mask = (guint8)g_rand_int_range(r, 1, 256);
        buf[pos] ^= mask;
        GError *e = NULL;
        VknnModel *m = vknn_model_load_from_memory(buf, len, &e);
        if (m) {
            /* A flipped weight byte still loads: it must then behave. */
            loaded++;
            if (e) {
                g_autofree char *what = g_strdup_printf("c: flip at %zu set an error on success", pos);
                report(FALSE, what, e->message);
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
                    g_autofree char *what =
                        g_strdup_printf("c: flip at %zu: shape inference failed without a message", pos);
                    report(FALSE, what, NULL);
                    bad++;
                }
                g_clear_error(&e);
                g_free(shapes);
            }
            vknn_model_free(m);
        } else {
            rejected++;
            g_autofree char *what = g_strdup_printf("c: flip at %zu (xor 0x%02x)", pos, mask);
            if (!expect_error_v(what, NULL, e, FALSE, NULL))
                bad++;
        }
        buf[pos] ^= mask; /* one flip at a time */
    }
    g_free(buf);
    g_rand_free(r);
    g_autofree char *summary =
        g_strdup_printf("%d flips: %d rejected, %d loaded (%d of them inferred at 64x64), %d bad", n,
                        rejected, loaded, inferred, bad);
    report(bad == 0, "c: byte flips", summary);
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

/* -- the mutations -- */

static void m_none(Base *B) { (void)B; }

static void m_huge_dim(Base *B)
{
    B->b.dims = arena_dims(1, (int64_t[]){(int64_t)1 << 40});
    B->b.has_raw_data = FALSE;
    B->b.raw_data = (ProtobufCBinaryData){0, NULL};
}

static void m_negative_dim(Base *B) { B->b.dims = arena_dims(1, (int64_t[]){-1}); }

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

static void m_raw_short(Base *B) { B->b.raw_data.len = 12; /* 3 floats for dims [4] */ }

static void m_raw_long(Base *B)
{
    B->b.raw_data.data = arena_new0(64);
    B->b.raw_data.len = 64;
}

static void m_raw_odd(Base *B) { B->b.raw_data.len = 15; }

static void m_float_data_short(Base *B) { B->w.n_float_data = 100; }

static void m_string_type(Base *B) { B->b.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__STRING; }

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

static void m_init_no_name(Base *B) { B->b.name = NULL; }

static void m_init_twice(Base *B) { B->b.name = "w"; }

static void m_input_int64(Base *B) { B->xtensor.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64; }

static void m_input_no_type(Base *B) { B->x.type = NULL; }

static void m_input_no_shape(Base *B) { B->xtensor.shape = NULL; }

static void m_input_rank5(Base *B)
{
    Onnx__TensorShapeProto__Dimension **d = arena_new0(sizeof *d * 5);
    for (int i = 0; i < 5; i++)
        d[i] = &B->xdim[MIN(i, 3)];
    B->xshape.n_dim = 5;
    B->xshape.dim = d;
}

static void m_input_zero_dim(Base *B) { B->xdim[1].dim_value = 0; }

static void m_input_negative_dim(Base *B) { B->xdim[0].dim_value = -5; }

static void m_nms(Base *B)
{
    B->relu.name = "nms1";
    B->relu.op_type = "NonMaxSuppression";
}

static void m_custom_domain(Base *B) { B->relu.domain = "com.example.custom"; }

static void m_no_op_type(Base *B) { B->relu.op_type = NULL; }

static void m_undefined_input(Base *B) { B->relu_in[0] = "not_defined_anywhere"; }

static void m_output_twice(Base *B) { B->relu_out[0] = "y"; }

static void m_too_many_inputs(Base *B)
{
    char **in = arena_new0(sizeof(char *) * 40);
    for (int i = 0; i < 40; i++)
        in[i] = "y";
    B->relu.n_input = 40;
    B->relu.input = in;
}

static void m_no_output(Base *B) { B->graph.n_output = 0; }

static void m_output_unproduced(Base *B) { B->out.name = "no_such_value"; }

static void m_output_no_name(Base *B) { B->out.name = NULL; }

static void m_no_graph(Base *B) { B->model.graph = NULL; }

static void m_opset3(Base *B) { B->opset.version = 3; }

static void m_opset_huge(Base *B) { B->opset.version = ((int64_t)1 << 32) + 13; }

static void m_no_input(Base *B) { B->graph.n_input = 0; }

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

static void m_conv_kernel_huge(Base *B) { B->kshape[0] = B->kshape[1] = (int64_t)1 << 40; }

static void m_conv_weight_rank1(Base *B) { B->conv_in[1] = "b"; }

static void m_conv_no_pads_values(Base *B) { B->apads.n_ints = 0; }

typedef struct {
    const char *name;
    void (*mutate)(Base *B);
    const char *needles[3]; /* the message must mention these */
    gboolean load_ok;       /* loads; shape inference at 1x3x8x8 must then fail */
} Hostile;

static const Hostile hostile[] = {
    {"initializer with dims [1<<40] and no data", m_huge_dim, {"'b'", "dimension"}},
    {"initializer with dims [-1]", m_negative_dim, {"'b'", "-1"}},
    {"initializer with dims [2^31, 2^31, 4]", m_overflow_dims, {"'b'"}},
    {"initializer with dims [2^16 x4] (product wraps)", m_overflow_dims_small, {"'b'"}},
    {"raw_data shorter than dims", m_raw_short, {"'b'", "3 values"}},
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
};

static GBytes *build(const Hostile *h)
{
    Base B;
    base_init(&B);
    h->mutate(&B);
    return pack(&B.model);
}

static void test_hostile(void)
{
    arena = g_ptr_array_new_with_free_func(g_free);

    /* The base model must load and infer, or the cases below prove nothing. */
    {
        const Hostile base = {"base", m_none, {NULL}};
        g_autoptr(GBytes) bytes = build(&base);
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
        report(ok && strcmp(buf, "1x4x8x8") == 0, "d: base model loads and infers 1x4x8x8",
               e ? e->message : buf);
        g_clear_error(&e);
        g_ptr_array_set_size(arena, 0);
    }

    for (gsize k = 0; k < G_N_ELEMENTS(hostile); k++) {
        const Hostile *h = &hostile[k];
        g_autoptr(GBytes) bytes = build(h);
        g_ptr_array_set_size(arena, 0);
        gsize len;
        const guint8 *data = g_bytes_get_data(bytes, &len);
        GError *e = NULL;
        g_autofree char *what = g_strdup_printf("d: %s", h->name);
        const int warnings = glib_warnings;
        VknnModel *m = vknn_model_load_from_memory(data, len, &e);
        if (h->load_ok && m) {
            const VknnShape in = {4, {1, 3, 8, 8}};
            if (vknn_model_infer_shapes(m, &in, &e)) {
                report(FALSE, what, "shape inference accepted it");
                vknn_model_free(m);
                continue;
            }
            vknn_model_free(m);
            m = NULL;
        }
        const int n_before = failures;
        expect_error_v(what, m, e, TRUE, h->needles[0] ? h->needles : NULL);
        if (glib_warnings != warnings && failures == n_before)
            report(FALSE, what, "GLib warning printed (see above)");
    }
    g_ptr_array_unref(arena);
    arena = NULL;
}

static int write_seeds(const char *dir)
{
    arena = g_ptr_array_new_with_free_func(g_free);
    g_mkdir_with_parents(dir, 0755);
    const Hostile base = {"base", m_none, {NULL}};
    for (gsize k = 0; k <= G_N_ELEMENTS(hostile); k++) {
        const Hostile *h = k == 0 ? &base : &hostile[k - 1];
        g_autoptr(GBytes) bytes = build(h);
        g_ptr_array_set_size(arena, 0);
        g_autofree char *path = g_strdup_printf("%s/hostile_%02zu.onnx", dir, k);
        gsize len;
        const void *data = g_bytes_get_data(bytes, &len);
        GError *e = NULL;
        if (!g_file_set_contents(path, data, (gssize)len, &e)) {
            fprintf(stderr, "%s\n", e->message);
            g_error_free(e);
            return 1;
        }
    }
    printf("wrote %zu models to %s\n", G_N_ELEMENTS(hostile) + 1, dir);
    g_ptr_array_unref(arena);
    return 0;
}

/* ---- (e) valid model, shapes it cannot take ------------------------------------ */

static void test_bad_shapes(const char *path)
{
    GError *e = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(path, &e);
    if (!m) {
        report(FALSE, "e: load candy_nc8.onnx", e->message);
        g_clear_error(&e);
        return;
    }
    const VknnShape rank3 = {3, {3, 64, 64}};
    gboolean ok = vknn_model_infer_shapes(m, &rank3, &e);
    report(!ok && e && *e->message, "e: infer_shapes at 3x64x64 (rank 3) fails",
           e ? e->message : "accepted");
    g_clear_error(&e);

    const VknnShape c4 = {4, {1, 4, 64, 64}};
    ok = vknn_model_infer_shapes(m, &c4, &e);
    report(!ok && e && *e->message, "e: infer_shapes at 1x4x64x64 fails", e ? e->message : "accepted");
    g_clear_error(&e);

    const VknnShape zero = {4, {1, 3, 0, 64}};
    ok = vknn_model_infer_shapes(m, &zero, &e);
    report(!ok && e && *e->message, "e: infer_shapes at 1x3x0x64 fails", e ? e->message : "accepted");
    g_clear_error(&e);

    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &e);
    if (!net) {
        report(FALSE, "e: vknn_net_new", e->message);
        g_clear_error(&e);
        return;
    }
    const VknnShape tiny = {4, {1, 3, 2, 2}};
    ok = vknn_net_prepare(net, &tiny, &e);
    report(!ok && e && *e->message, "e: net_prepare at 1x3x2x2 (reflection pad 4 on 2 px) fails",
           e ? e->message : "accepted");
    g_clear_error(&e);

    ok = vknn_net_prepare(net, &rank3, &e);
    report(!ok && e && *e->message, "e: net_prepare at 3x64x64 fails", e ? e->message : "accepted");
    g_clear_error(&e);

    /* run without a plan after the failures */
    float dummy = 0;
    const float *inputs[] = {&dummy};
    ok = vknn_net_run(net, inputs, &e);
    report(!ok && e && *e->message, "e: net_run after a failed prepare fails",
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
    report(ok, "e: after the failures, 1x3x16x16 prepares, runs and reads back",
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

    g_autofree char *path = test_shared_path("models/style/small/candy_nc8.onnx");
    if (!path) {
        printf("%d failure(s) in the cases that need no model\n", failures);
        return failures ? 1 : TEST_SKIP;
    }
    gchar *data = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &data, &len, &e)) {
        report(FALSE, "read candy_nc8.onnx", e->message);
        g_error_free(e);
        return 1;
    }
    test_truncation((const guint8 *)data, len);
    test_byte_flips((const guint8 *)data, len);
    g_free(data);
    test_bad_shapes(path);

    if (glib_warnings)
        printf("%d GLib warning(s) printed\n", glib_warnings);
    printf("%s: %d failure(s)\n", failures || glib_warnings ? "FAIL" : "PASS", failures);
    return failures || glib_warnings ? 1 : 0;
}
