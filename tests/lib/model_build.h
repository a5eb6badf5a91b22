/* One way to build a test model: a VknnModel under construction whose
 * random tensors come from consecutive seeds (the first is the case's
 * seed), and whose failed steps are kept for the check that ends the case
 * to report, rather than aborting the program.
 *
 *   TestModel b = tm_new(0, seed);
 *   tm_input(&b, "x", SHAPE(1, 3, 7, 6));
 *   tm_weight(&b, "w", SHAPE(5, 3, 3, 3), -0.5f, 0.5f);
 *   tm_node(&b, "Conv", NAMES("x", "w"), "y");
 *   tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
 *   tm_output(&b, "y");
 *   ... b.m, b.error ...
 *   tm_clear(&b);
 */
#pragma once

#include <vknn/vknn.h>

typedef struct {
    VknnModel *m;
    VknnNode *node; /* the last node added, which tm_attr_* set */
    guint32 seed;   /* the seed of the next random tensor */
    char *error;    /* the first step that failed, or NULL */
} TestModel;

#define TM_COUNT(type, ...) ((int)(sizeof((type[]){__VA_ARGS__}) / sizeof(type)))
/* A shape by value: SHAPE(1, 3, 7, 6); SCALAR has rank 0. */
#define SHAPE(...) ((VknnShape){TM_COUNT(int64_t, __VA_ARGS__), {__VA_ARGS__}})
#define SCALAR ((VknnShape){0, {0}})
/* Literal data: F(1, 2.5f) floats, I64(0, -1) integers. */
#define F(...) ((const float[]){__VA_ARGS__})
#define I64(...) ((const int64_t[]){__VA_ARGS__})
/* An array and its length, as two arguments: attribute values, node inputs. */
#define INTS(...) I64(__VA_ARGS__), TM_COUNT(int64_t, __VA_ARGS__)
#define FLOATS(...) F(__VA_ARGS__), TM_COUNT(float, __VA_ARGS__)
#define NAMES(...) ((const char *const[]){__VA_ARGS__}), TM_COUNT(const char *, __VA_ARGS__)

/* A new model at `opset` (<= 0: the library's default) whose first random
 * tensor takes `seed`. */
TestModel tm_new(int opset, guint32 seed);
/* Frees the model (unless taken) and the error. */
void tm_clear(TestModel *b);
/* The model, which the caller now owns; NULL (after printing why) when a
 * step failed. */
VknnModel *tm_take(TestModel *b);

/* Records a failed step (the first one is kept) for the case to report. */
void tm_fail(TestModel *b, const char *what, const char *why);

/* Fills x with n uniform values in [lo, hi) from the next seed: graph
 * inputs' data, seed gradients. */
void tm_random(TestModel *b, float *x, int64_t n, float lo, float hi);

void tm_input(TestModel *b, const char *name, VknnShape s);
/* A constant of uniform random values in [lo, hi) from the next seed. */
void tm_weight(TestModel *b, const char *name, VknnShape s, float lo, float hi);
void tm_const(TestModel *b, const char *name, VknnShape s, const float *data);
void tm_const_int(TestModel *b, const char *name, VknnShape s, const int64_t *data);
/* A node with one output, named after it; inputs "" are omitted ones. */
void tm_node(TestModel *b, const char *op, const char *const *in, int n_in, const char *out);
/* The same with its own node name (NULL: unnamed). */
void tm_named_node(TestModel *b, const char *name, const char *op, const char *const *in, int n_in,
                   const char *out);
void tm_output(TestModel *b, const char *name);

/* Attributes of the last node. */
void tm_attr_int(TestModel *b, const char *name, int64_t v);
void tm_attr_float(TestModel *b, const char *name, float v);
void tm_attr_str(TestModel *b, const char *name, const char *v);
void tm_attr_ints(TestModel *b, const char *name, const int64_t *v, int count);
void tm_attr_floats(TestModel *b, const char *name, const float *v, int count);

/* A tiny image classifier (x [1, 3, H, W], any H and W): a stride-2 3x3
 * convolution to 8 channels and a Relu ("feat", the default feature layer),
 * a 1x1 convolution to `classes` class maps, global average pooling and a
 * flatten to "scores" [1, classes]. NULL (after printing why) on failure. */
VknnModel *tm_classifier(int classes, guint32 seed);

/* A VGG-shaped network of random weights (He uniform, from seed 77), a
 * stand-in for the normalised VGG-19 encoder: 3x3 convolutions (with
 * biases when asked) to 8, 16 and 16 channels, each with a Relu (relu1_1,
 * relu2_1, relu3_1, the output), 2x2 max pooling between them. x [1, 3, H,
 * W], any H and W. NULL (after printing why) on failure. */
VknnModel *tm_small_vgg(gboolean biases);
/* A classifier small enough to run thousands of times (fault sweeps):
 * [1,3,32,32] in, conv, relu, conv (stride 2), relu, global pooling, a
 * linear layer of 5 classes out; the second relu ("r2", 8x16x16) is the
 * Grad-CAM layer. test_fatal when it cannot be built. */
VknnModel *tm_tiny_classifier(void);
