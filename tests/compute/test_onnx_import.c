/* ONNX import of the encodings a model may use, on a model written here with
 * the protobuf-c API: float16 initializers in raw_data and in int32_data,
 * typed float_data and int64_data, double, a Constant node, symbolic input
 * dims, opset-6 attributes. Values are checked against numbers worked out by
 * hand, then the model runs on the device and on the reference. */
#include "testutil.h"
#include "onnx.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static Onnx__TensorProto *tensor(const char *name, int type, int64_t *dims, size_t rank)
{
    Onnx__TensorProto *t = g_new0(Onnx__TensorProto, 1);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = TRUE;
    t->data_type = type;
    t->n_dims = rank;
    t->dims = dims;
    return t;
}

static Onnx__NodeProto *node(const char *name, const char *op, char **in, size_t n_in, char **out)
{
    Onnx__NodeProto *n = g_new0(Onnx__NodeProto, 1);
    onnx__node_proto__init(n);
    n->name = (char *)name;
    n->op_type = (char *)op;
    n->input = in;
    n->n_input = n_in;
    n->output = out;
    n->n_output = 1;
    return n;
}

static Onnx__ValueInfoProto *value_info(const char *name, Onnx__TensorShapeProto__Dimension **dims,
                                        size_t rank)
{
    Onnx__TensorShapeProto *shape = g_new0(Onnx__TensorShapeProto, 1);
    onnx__tensor_shape_proto__init(shape);
    shape->dim = dims;
    shape->n_dim = rank;
    Onnx__TypeProto__Tensor *tt = g_new0(Onnx__TypeProto__Tensor, 1);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = TRUE;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = shape;
    Onnx__TypeProto *tp = g_new0(Onnx__TypeProto, 1);
    onnx__type_proto__init(tp);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    Onnx__ValueInfoProto *vi = g_new0(Onnx__ValueInfoProto, 1);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)name;
    vi->type = tp;
    return vi;
}

static Onnx__TensorShapeProto__Dimension *dim_value(int64_t v)
{
    Onnx__TensorShapeProto__Dimension *d = g_new0(Onnx__TensorShapeProto__Dimension, 1);
    onnx__tensor_shape_proto__dimension__init(d);
    d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    d->dim_value = v;
    return d;
}

static Onnx__TensorShapeProto__Dimension *dim_param(const char *p)
{
    Onnx__TensorShapeProto__Dimension *d = g_new0(Onnx__TensorShapeProto__Dimension, 1);
    onnx__tensor_shape_proto__dimension__init(d);
    d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    d->dim_param = (char *)p;
    return d;
}

/* x [1,2,H,W] -> Conv(w fp16 raw, b float_data) -> Mul(Constant fp16 in int32_data)
 *   -> Add(double constant) -> Clip(opset 6 attributes) -> y */
static guint8 *write_model(gsize *len)
{
    /* w [3,2,1,1] in fp16: 0.5, -1.25, 2, 0.1 (0x2e66 = 0.0999755859375), -0, 1 */
    static const uint16_t w16[] = {0x3800, 0xbd00, 0x4000, 0x2e66, 0x8000, 0x3c00};
    static int64_t wd[] = {3, 2, 1, 1}, bd[] = {3}, sd[] = {1}, od[] = {1};
    static float bias[] = {0.25f, -0.5f, 1.0f};
    static int32_t scale16[] = {0x4200}; /* 3.0 */
    static double offset[] = {-1.5};
    Onnx__TensorProto *w = tensor("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, wd, 4);
    w->has_raw_data = TRUE;
    w->raw_data.data = (uint8_t *)w16;
    w->raw_data.len = sizeof w16;
    Onnx__TensorProto *b = tensor("b", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, bd, 1);
    b->float_data = bias;
    b->n_float_data = 3;
    Onnx__TensorProto *s = tensor("s", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, sd, 1);
    s->int32_data = scale16;
    s->n_int32_data = 1;
    Onnx__TensorProto *o = tensor("o", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, od, 1);
    o->double_data = offset;
    o->n_double_data = 1;

    Onnx__AttributeProto value = ONNX__ATTRIBUTE_PROTO__INIT, lo = ONNX__ATTRIBUTE_PROTO__INIT,
                         hi = ONNX__ATTRIBUTE_PROTO__INIT;
    value.name = "value";
    value.has_type = TRUE;
    value.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    value.t = s;
    lo.name = "min";
    lo.has_type = lo.has_f = TRUE;
    lo.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    lo.f = -2.0f;
    hi = lo;
    hi.name = "max";
    hi.f = 4.0f;
    Onnx__AttributeProto *const_attrs[] = {&value}, *clip_attrs[] = {&lo, &hi};

    static char *conv_in[] = {"x", "w", "b"}, *conv_out[] = {"c"}, *const_out[] = {"s"};
    static char *mul_in[] = {"c", "s"}, *mul_out[] = {"m"}, *add_in[] = {"m", "o"};
    static char *add_out[] = {"a"}, *clip_in[] = {"a"}, *clip_out[] = {"y"};
    Onnx__NodeProto *nodes[] = {
        node("conv", "Conv", conv_in, 3, conv_out), node("scale", "Constant", NULL, 0, const_out),
        node("mul", "Mul", mul_in, 2, mul_out),     node("add", "Add", add_in, 2, add_out),
        node("clip", "Clip", clip_in, 1, clip_out),
    };
    nodes[1]->attribute = const_attrs;
    nodes[1]->n_attribute = 1;
    nodes[4]->attribute = clip_attrs;
    nodes[4]->n_attribute = 2;

    Onnx__TensorShapeProto__Dimension *xd[] = {dim_value(1), dim_value(2), dim_param("H"),
                                               dim_param("W")};
    Onnx__ValueInfoProto *inputs[] = {value_info("x", xd, 4)};
    Onnx__ValueInfoProto *outputs[] = {value_info("y", xd, 4)};
    Onnx__TensorProto *inits[] = {w, b, o};

    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.node = nodes;
    g.n_node = G_N_ELEMENTS(nodes);
    g.initializer = inits;
    g.n_initializer = G_N_ELEMENTS(inits);
    g.input = inputs;
    g.n_input = 1;
    g.output = outputs;
    g.n_output = 1;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT, *opsets[] = {&opset};
    opset.domain = "";
    opset.has_version = TRUE;
    opset.version = 6; /* Clip bounds as attributes */
    Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
    mp.has_ir_version = TRUE;
    mp.ir_version = 3;
    mp.graph = &g;
    mp.opset_import = opsets;
    mp.n_opset_import = 1;
    mp.producer_name = "test_onnx_import";

    *len = onnx__model_proto__get_packed_size(&mp);
    guint8 *buf = g_malloc(*len);
    onnx__model_proto__pack(&mp, buf);

    for (gsize i = 0; i < G_N_ELEMENTS(nodes); i++)
        g_free(nodes[i]);
    for (gsize i = 0; i < G_N_ELEMENTS(xd); i++)
        g_free(xd[i]);
    for (int i = 0; i < 2; i++) {
        Onnx__ValueInfoProto *vi = i ? outputs[0] : inputs[0];
        g_free(vi->type->tensor_type->shape);
        g_free(vi->type->tensor_type);
        g_free(vi->type);
        g_free(vi);
    }
    g_free(w);
    g_free(b);
    g_free(s);
    g_free(o);
    return buf;
}

static void check_values(VknnModel *m)
{
    static const float w_want[] = {0.5f, -1.25f, 2.0f, 0.0999755859375f, -0.0f, 1.0f};
    const VknnValue *w = vknn_model_value(m, vknn_model_find_value(m, "w"));
    for (int i = 0; i < 6; i++)
        test_check(w->data[i] == w_want[i], "w[%d] = %g, expected %g", i, w->data[i], w_want[i]);
    const VknnValue *s = vknn_model_value(m, vknn_model_find_value(m, "s"));
    test_check(s->kind == VKNN_VALUE_CONSTANT && s->data[0] == 3.0f, "Constant node value %g",
               s->data[0]);
    const VknnValue *o = vknn_model_value(m, vknn_model_find_value(m, "o"));
    test_check(o->data[0] == -1.5f, "double initializer %g", o->data[0]);
    const VknnValue *x = vknn_model_value(m, g_array_index(m->inputs, int, 0));
    test_check(x->declared.dims[2] == -1 && g_strcmp0(x->dim_names[2], "H") == 0, "symbolic dim H");
    test_check(m->opset == 6, "opset %d", m->opset);
}

/* y[o] = clip(3 * (b[o] + sum_c w[o][c] x[c]) - 1.5, -2, 4), by hand. */
static void expected_output(const float *x, int hw, float *y)
{
    static const float w[3][2] = {{0.5f, -1.25f}, {2.0f, 0.0999755859375f}, {-0.0f, 1.0f}};
    static const float b[] = {0.25f, -0.5f, 1.0f};
    for (int o = 0; o < 3; o++)
        for (int i = 0; i < hw; i++) {
            const float v = 3.0f * (b[o] + w[o][0] * x[i] + w[o][1] * x[hw + i]) - 1.5f;
            y[o * hw + i] = fminf(fmaxf(v, -2.0f), 4.0f);
        }
}

int main(void)
{
    gsize len;
    g_autofree guint8 *buf = write_model(&len);
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load_from_memory(buf, len, &err);
    if (!m)
        test_fatal("load: %s", err->message);
    check_values(m);

    const int h = 5, w = 3, hw = h * w;
    VknnShape shape = {4, {1, 2, h, w}};
    float x[2 * 5 * 3], want[3 * 5 * 3], got[3 * 5 * 3];
    test_fill_random(x, 2 * hw, 7, -3, 3);
    expected_output(x, hw, want);

    VknnRefTensor in = {shape, x};
    GHashTable *ref = vknn_ref_run(m, &in, &err);
    g_assert_no_error(err);
    const VknnRefTensor *ry = g_hash_table_lookup(ref, "y");
    test_check(test_max_abs_diff(ry->data, want, 3 * hw) < 1e-5,
               "reference differs from the hand result");
    g_hash_table_unref(ref);

    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
    if (!vknn_net_prepare(net, &shape, &err) ||
        !vknn_net_run(net, (const float *const[]){x}, &err) || !vknn_net_read(net, "y", got, &err))
        test_fatal("device: %s", err->message);
    const double d = test_max_abs_diff(got, want, 3 * hw);
    test_check(d < 1e-5, "device differs from the hand result by %g", d);
    return test_summary(0);
}
