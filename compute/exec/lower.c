/* Lowering: turns the model's nodes into the executor's steps, fusing
 *   Resize (nearest, integer factor) -> [Pad ->] Conv, and
 *   Pad (reflect, edge, zero) -> Conv       into the convolution's input reads,
 *   Conv -> BatchNormalization              into the convolution's weights,
 *   Conv / ConvTranspose / InstanceNormalization / BatchNormalization
 *        -> Relu / LeakyRelu / Clip         into the producing kernel,
 *   InstanceNormalization [-> Relu] -> Conv into the convolution's input reads
 *                                           (the norm computes statistics only),
 * whenever the intermediate tensor has a single consumer and nobody asked to
 * read it. The CPU reference runs the unfused graph, so tests compare the
 * fused kernels against plain ONNX semantics. */
#include "exec/lower.h"
#include "exec/kernels.h"

#include <string.h>

typedef struct {
    const VknnModel *m;
    const gboolean *pinned; /* per value: must be materialised */
    gboolean for_backward;  /* fuse zero padding only */
    int *consumers;         /* per value: the single consumer node, -1 none, -2 several */
    gboolean *skip;         /* per node: fused into another step */
    int *pad_of;            /* per node: the Pad node fused into this Conv, or -1 */
    int *resize_of;         /* per node: the nearest Resize fused into this Conv, or -1 */
} Lowering;

/* Whether n's kernel can apply a following activation to its output. */
static gboolean applies_activation(const VknnNode *n)
{
    switch (vknn_node_op(n)) {
    case VKNN_OP_Conv:
    case VKNN_OP_ConvTranspose:
    case VKNN_OP_InstanceNormalization:
    case VKNN_OP_BatchNormalization:
        return TRUE;
    default:
        return FALSE;
    }
}

/* The node that alone consumes value v (and is not to be kept), or NULL. */
static const VknnNode *sole_consumer(const Lowering *l, int v)
{
    if (v < 0 || l->pinned[v] || l->consumers[v] < 0)
        return NULL;
    return vknn_model_node(l->m, l->consumers[v]);
}

static gboolean conv_pads_zero(const VknnNode *conv)
{
    int64_t p[4] = {0, 0, 0, 0};
    vknn_node_attr_ints(conv, "pads", p, 4);
    return !p[0] && !p[1] && !p[2] && !p[3];
}

/* The Conv that alone reads value v as its input 0 (explicit padding, so no
 * auto_pad to resolve against a fused input), or NULL. */
static const VknnNode *conv_reading(const Lowering *l, int v)
{
    const VknnNode *conv = sole_consumer(l, v);
    if (!conv || vknn_node_op(conv) != VKNN_OP_Conv || conv->inputs[0] != v ||
        strcmp(vknn_node_attr_string(conv, "auto_pad", "NOTSET"), "NOTSET") != 0)
        return NULL;
    return conv;
}

/* Whether a Pad can be folded into the coordinate mapping of the Conv that
 * alone reads it. */
static gboolean pad_fusable(const Lowering *l, const VknnNode *pad)
{
    const VknnNode *conv = conv_reading(l, pad->outputs[0]);
    int64_t pads[8];
    VknnPadMode mode;
    float value;
    if (!conv || vknn_in_shape(l->m, pad, 0)->rank != 4 ||
        !vknn_pad_params(l->m, pad, pads, &mode, &value, NULL))
        return FALSE;
    if (pads[0] || pads[1] || pads[4] || pads[5])
        return FALSE;
    if (mode == VKNN_PAD_ZERO)
        return value == 0.0f;
    return !l->for_backward && conv_pads_zero(conv);
}

static void try_fuse_pad(Lowering *l, int pad_idx)
{
    const VknnNode *pad = vknn_model_node(l->m, pad_idx);
    if (!pad_fusable(l, pad))
        return;
    l->skip[pad_idx] = TRUE;
    l->pad_of[l->consumers[pad->outputs[0]]] = pad_idx;
}

/* A nearest Resize by an integer factor feeding a (padded) Conv of group 1
 * becomes index arithmetic in the convolution's input reads: no upsampled
 * tensor is written or read. */
static void try_fuse_resize(Lowering *l, int resize_idx)
{
    const VknnNode *rs = vknn_model_node(l->m, resize_idx);
    const VknnNode *next = sole_consumer(l, rs->outputs[0]);
    if (!next || l->for_backward || vknn_resize_nearest_factor(l->m, rs) == 0)
        return;
    const VknnNode *conv = vknn_node_op(next) == VKNN_OP_Pad && next->inputs[0] == rs->outputs[0] &&
                                   pad_fusable(l, next)
                               ? conv_reading(l, next->outputs[0])
                               : conv_reading(l, rs->outputs[0]);
    if (!conv || vknn_node_attr_int(conv, "group", 1) != 1)
        return;
    l->skip[resize_idx] = TRUE;
    l->resize_of[l->consumers[conv->inputs[0]]] = resize_idx;
}

/* Folds a following BatchNormalization into a convolution's weights. */
static void try_fuse_bn(Lowering *l, VknnStep *st)
{
    const VknnNode *bn = sole_consumer(l, st->out[0]);
    if (!bn || vknn_node_op(bn) != VKNN_OP_BatchNormalization || bn->inputs[0] != st->out[0] ||
        vknn_node_attr_int(bn, "training_mode", 0) || bn->n_outputs > 1)
        return;
    for (int i = 1; i < 5; i++) {
        const VknnValue *v = vknn_node_input(l->m, bn, i);
        if (!v || v->kind != VKNN_VALUE_CONSTANT)
            return;
    }
    l->skip[l->consumers[st->out[0]]] = TRUE;
    st->fused_bn = bn;
    st->out[0] = bn->outputs[0];
}

static void try_fuse_activation(Lowering *l, VknnStep *st)
{
    const VknnNode *act = sole_consumer(l, st->out[0]);
    if (!act || act->inputs[0] != st->out[0] || !vknn_node_activation(l->m, act, &st->act, NULL)) {
        st->act.act = VKNN_ACT_NONE;
        return;
    }
    l->skip[l->consumers[st->out[0]]] = TRUE;
    st->out[0] = act->outputs[0];
}

/* An InstanceNormalization (+ Relu) whose result only a Conv of group 1
 * reads is applied by that Conv as it reads its input: the norm step keeps
 * its statistics pass and drops its apply pass, so the normalized tensor is
 * never written (on lavapipe, writing costs ~75% of a normalization). Not
 * into an upsampling Conv: it would normalize every input 4 times (candy's
 * upsampled 64 -> 32 layer with its norm: 136 -> 147 ms, where the others
 * gained 8-11%). */
static void fuse_norms_into_convs(const Lowering *l, GArray *steps)
{
    if (l->for_backward)
        return;
    for (guint c = 0; c < steps->len; c++) {
        VknnStep *conv = &g_array_index(steps, VknnStep, c);
        const int v = conv->in[0];
        if (vknn_node_op(conv->node) != VKNN_OP_Conv ||
            vknn_node_attr_int(conv->node, "group", 1) != 1 || conv->upsample > 1 || v < 0 ||
            l->pinned[v] || l->consumers[v] < 0)
            continue;
        for (guint s = 0; s < c; s++) {
            VknnStep *norm = &g_array_index(steps, VknnStep, s);
            if (norm->n_out != 1 || norm->out[0] != v ||
                vknn_node_op(norm->node) != VKNN_OP_InstanceNormalization ||
                (norm->act.act != VKNN_ACT_NONE && norm->act.act != VKNN_ACT_RELU))
                continue;
            conv->in[0] = norm->in[0];
            conv->input_norm = norm->node;
            conv->input_norm_act = norm->act;
            norm->stats_only = TRUE;
            norm->n_out = 0;
            norm->out[0] = -1;
            break;
        }
    }
}

static VknnStep node_step(const VknnNode *n)
{
    VknnStep st = {
        .kernel = vknn_kernel_of(n), .node = n, .n_in = n->n_inputs, .n_out = n->n_outputs};
    memcpy(st.in, n->inputs, sizeof(int) * n->n_inputs);
    memcpy(st.out, n->outputs, sizeof(int) * n->n_outputs);
    return st;
}

GArray *vknn_lower(const VknnModel *m, const gboolean *pinned, gboolean for_backward)
{
    const guint nv = m->values->len, nn = m->nodes->len;
    Lowering l = {
        .m = m,
        .pinned = pinned,
        .for_backward = for_backward,
        .consumers = g_new(int, nv),
        .skip = g_new0(gboolean, nn),
        .pad_of = g_new(int, nn),
        .resize_of = g_new(int, nn),
    };
    for (guint v = 0; v < nv; v++)
        l.consumers[v] = -1;
    for (guint i = 0; i < nn; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        l.pad_of[i] = l.resize_of[i] = -1;
        for (int k = 0; k < n->n_inputs; k++) {
            const int v = n->inputs[k];
            if (v >= 0)
                l.consumers[v] = l.consumers[v] == -1 ? (int)i : -2;
        }
    }

    GArray *steps = g_array_new(FALSE, TRUE, sizeof(VknnStep));
    for (guint i = 0; i < nn; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        if (vknn_node_op(n) == VKNN_OP_Pad)
            try_fuse_pad(&l, (int)i);
        if (vknn_node_op(n) == VKNN_OP_Resize || vknn_node_op(n) == VKNN_OP_Upsample)
            try_fuse_resize(&l, (int)i);
        if (l.skip[i])
            continue;
        VknnStep st = node_step(n);
        if (l.pad_of[i] >= 0) {
            const VknnNode *pad = vknn_model_node(m, l.pad_of[i]);
            int64_t pads[8];
            float value;
            vknn_pad_params(m, pad, pads, &st.pad_mode, &value, NULL);
            st.in[0] = pad->inputs[0];
            st.pad_extra[0] = (int)pads[2];
            st.pad_extra[1] = (int)pads[3];
            st.pad_extra[2] = (int)pads[6];
            st.pad_extra[3] = (int)pads[7];
        }
        if (l.resize_of[i] >= 0) {
            const VknnNode *rs = vknn_model_node(m, l.resize_of[i]);
            st.in[0] = rs->inputs[0];
            st.upsample = vknn_resize_nearest_factor(m, rs);
        }
        if (vknn_node_op(n) == VKNN_OP_Conv)
            try_fuse_bn(&l, &st);
        if (applies_activation(n))
            try_fuse_activation(&l, &st);
        g_array_append_val(steps, st);
    }
    fuse_norms_into_convs(&l, steps);
    g_free(l.consumers);
    g_free(l.skip);
    g_free(l.pad_of);
    g_free(l.resize_of);
    return steps;
}
