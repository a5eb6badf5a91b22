/* vknn — internals of the reference executor: the kernels of ref.c's table
 * and the helpers they share. Not installed. */
#pragma once

#include <math.h>
#include <vknn/error.h>
#include <vknn/ref.h>

#include "graph/schema.h"

G_BEGIN_DECLS

/* Local so that kernels do not lean on the library code they cross-check. */
static inline int64_t ref_numel(const VknnShape *s)
{
    int64_t k = 1;
    for (int i = 0; i < s->rank; i++)
        k *= s->dims[i];
    return k;
}

static inline gboolean ref_shape_equal(const VknnShape *a, const VknnShape *b)
{
    if (a->rank != b->rank)
        return FALSE;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return FALSE;
    return TRUE;
}

/* Sets err, prefixed with the node's name and op; returns FALSE so kernels
 * can `return vknn_ref_fail(...)`. */
gboolean vknn_ref_fail(GError **err, VknnErrorCode code, const VknnNode *n, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Writes "1x3x8x8" (or "scalar") into buf. */
const char *vknn_ref_shape_str(const VknnShape *s, char *buf, gsize len);

/* Fails with VKNN_ERROR_SHAPE when the shape the model inferred for output i
 * differs from the one the kernel computed. */
gboolean vknn_ref_check_output(const VknnNode *n, const VknnRefTensor *out, int i,
                               const VknnShape *want, GError **err);

/* TRUE when optional input i is given and not empty. */
gboolean vknn_ref_has_input(const VknnNode *n, const VknnRefTensor *in, int i);

/* Fails unless input i is given with a rank in [min_rank, max_rank]. */
gboolean vknn_ref_need_input(const VknnNode *n, const VknnRefTensor *in, int i, int min_rank,
                             int max_rank, GError **err);

/* Same shape in and out (element-wise ops); checks input 0 and output 0. */
gboolean vknn_ref_check_same_shape(const VknnNode *n, const VknnRefTensor *in,
                                   const VknnRefTensor *out, GError **err);

/* Reads input i as integers (pads, shapes, axes): exact int64 data of a
 * constant when there is some, else the floats rounded. *count receives the
 * element count, which must not exceed max. */
gboolean vknn_ref_input_ints(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in, int i,
                             int64_t *out, int max, int *count, GError **err);

/* First element of optional input i, or def. */
float vknn_ref_input_scalar(const VknnNode *n, const VknnRefTensor *in, int i, float def);

/* Numpy broadcast of two shapes; FALSE if they do not broadcast. */
gboolean vknn_ref_broadcast_shape(const VknnShape *a, const VknnShape *b, VknnShape *out);

/* Strides of s for iterating a 4-D view of out (out's dims right-aligned to 4,
 * s right-aligned to out), 0 along the axes that s broadcasts. */
void vknn_ref_broadcast_strides(const VknnShape *s, const VknnShape *out, int64_t strides[4]);

/* s's dims right-aligned to rank 4, with leading 1s. */
void vknn_ref_dims4(const VknnShape *s, int64_t dims[4]);

/* Sliding window over the two spatial axes of an NCHW tensor (Conv, pools). */
typedef struct {
    int64_t kernel[2];
    int64_t stride[2];
    int64_t dilation[2];
    int64_t pad_begin[2];
    int64_t pad_end[2];
    int64_t out[2];
} RefWindow;

/* Fills w from the node's strides, dilations, pads and auto_pad attributes for
 * an input of spatial size in[2] and the given kernel, and computes the output
 * size (ceil_mode as in pooling). */
/* Normalises a possibly negative axis into [0, rank + extra) (ref_tensor.c). */
gboolean vknn_ref_axis(const VknnNode *n, int64_t axis, int rank, int extra, int *out,
                       GError **err);
/* Product of dims [from, to) of s. */
int64_t vknn_ref_dims_product(const VknnShape *s, int from, int to);
/* Strides of Gemm's C viewed as [rows, cols] under unidirectional
 * broadcasting; an error when it does not broadcast. */
gboolean vknn_ref_gemm_c_strides(const VknnNode *n, const VknnShape *cs, int64_t rows, int64_t cols,
                                 int64_t *sr, int64_t *sc, GError **err);

/* Checks both inputs of a broadcasting binary op and the output's shape,
 * their broadcast (ref_binary.c). */
gboolean vknn_ref_binary_shape(const VknnNode *n, const VknnRefTensor *in, const VknnRefTensor *out,
                               VknnShape *shape, GError **err);
/* A per-channel parameter input holds exactly chans values (ref_norm.c). */
gboolean vknn_ref_norm_param(const VknnNode *n, const VknnRefTensor *in, int i, int64_t chans,
                             GError **err);
/* The window of a MaxPool/AveragePool node on its 4D input (ref_pool.c). */
gboolean vknn_ref_pool_window(const VknnNode *n, const VknnRefTensor *in, RefWindow *win,
                              GError **err);
/* Maximum of one window of one plane; *arg receives its position in the
 * plane (row-major): the first maximum in window order, the first NaN if
 * any, -1 when the window holds no input. */
float vknn_ref_max_window(const RefWindow *w, const float *x, int64_t h, int64_t wd, int64_t oy,
                          int64_t ox, int64_t *arg);
/* Divisor of one average window: the taps on the input, and with
 * count_include_pad also those on the explicit padding, but not the taps
 * past it that ceil_mode adds. */
int64_t vknn_ref_avg_count(const RefWindow *w, int64_t h, int64_t wd, int64_t oy, int64_t ox,
                           gboolean include_pad);

/* Transposed-convolution geometry along the two spatial axes (strides,
 * dilations, pads, output_padding, output_shape, auto_pad) for input size
 * in[] and kernel[] (ref_conv.c). */
typedef struct {
    int64_t stride[2], dilation[2], pad_begin[2], out[2];
} RefTransWindow;
gboolean vknn_ref_trans_window(const VknnNode *n, const int64_t in[2], const int64_t kernel[2],
                               RefTransWindow *t, GError **err);
/* Conv's group for input dims xd and weight dims wd [O, C/g, kh, kw]: checks
 * they agree (ref_conv.c). */
gboolean vknn_ref_conv_group(const VknnNode *n, const int64_t *xd, const int64_t *wd,
                             int64_t *group, GError **err);
/* ConvTranspose's group for input dims xd and weight dims wd [C, O/g, kh, kw]:
 * checks they agree (ref_conv.c). */
gboolean vknn_ref_trans_group(const VknnNode *n, const int64_t *xd, const int64_t *wd,
                              int64_t *group, GError **err);
/* Gemm/MatMul operand sizes: A' is rows x depth, B' depth x cols, A' and B'
 * transposed by ta/tb; checks the inner sizes agree (ref_tensor.c). */
gboolean vknn_ref_gemm_dims(const VknnNode *n, const VknnRefTensor *in, gboolean ta, gboolean tb,
                            int64_t *rows, int64_t *depth, int64_t *cols, GError **err);
/* GDestroyNotify of a g_new'd VknnRefTensor and its data. */
void vknn_ref_tensor_free(gpointer p);

gboolean vknn_ref_window_init(const VknnNode *n, const int64_t in[2], const int64_t kernel[2],
                              gboolean ceil_mode, RefWindow *w, GError **err);

/* The reference kernel of each op of ops.def (an op may share another's). */
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    gboolean vknn_ref_##ref(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,        \
                            VknnRefTensor *out, GError **err);
#include "ops.def"
#undef VKNN_OP

G_END_DECLS
