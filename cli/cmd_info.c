/* vknn info: what a model is (inputs, outputs, every tensor with its shape
 * at --size, op counts, parameters, FLOPs), without a device. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

static char *opt_size;

static const GOptionEntry entries[] = {
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size,
     "Input size for the shapes and FLOPs (224x224)", "WxH"},
    {NULL},
};

static void print_value_line(const VknnModel *m, const VknnValue *v)
{
    char s[64];
    const char *op = v->producer >= 0              ? vknn_model_node(m, v->producer)->op_type
                     : v->kind == VKNN_VALUE_INPUT ? "input"
                                                   : "constant";
    printf("  %-40s %-20s %s\n", v->name, vknn_shape_str(&v->shape, s, sizeof s), op);
}

/* The input's shape as the file declares it: numbers or dimension names. */
static char *declared_str(const VknnValue *v)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < v->declared.rank; i++) {
        if (i)
            g_string_append_c(s, 'x');
        if (v->declared.dims[i] >= 0)
            g_string_append_printf(s, "%" G_GINT64_FORMAT, v->declared.dims[i]);
        else
            g_string_append(s, v->dim_names[i] ? v->dim_names[i] : "?");
    }
    return g_string_free(s, FALSE);
}

static void print_values(const VknnModel *m, int w, int h)
{
    printf("inputs:\n");
    for (guint i = 0; i < m->inputs->len; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        g_autofree char *decl = declared_str(v);
        char s[64];
        printf("  %s  declared %s, at --size: %s\n", v->name, decl,
               vknn_shape_str(&v->shape, s, sizeof s));
    }
    printf("outputs:\n");
    for (guint i = 0; i < m->outputs->len; i++)
        print_value_line(m, vknn_model_value(m, g_array_index(m->outputs, int, i)));
    printf("tensors (name, shape at %dx%d, produced by):\n", w, h);
    for (guint i = 0; i < m->values->len; i++) {
        const VknnValue *v = vknn_model_value(m, i);
        if (v->kind == VKNN_VALUE_ACTIVATION)
            print_value_line(m, v);
    }
}

/* "ops (N nodes): Conv x16 Relu x10 ..." in name order. */
static void print_op_counts(const VknnModel *m)
{
    g_autoptr(GHashTable) ops = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < m->nodes->len; i++) {
        const char *op = vknn_model_node(m, i)->op_type;
        g_hash_table_insert(ops, (gpointer)op,
                            GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(ops, op)) + 1));
    }
    printf("ops (%u nodes):", m->nodes->len);
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(ops), (GCompareFunc)strcmp);
    for (GList *k = keys; k; k = k->next)
        printf(" %s x%d", (char *)k->data, GPOINTER_TO_INT(g_hash_table_lookup(ops, k->data)));
}

static void print_stats(const VknnModel *m, int w, int h)
{
    VknnModelStats st;
    vknn_model_stats(m, &st);
    printf("\nparameters: %" G_GINT64_FORMAT " (%.2f MB fp32)\n", st.params, st.params * 4 / 1e6);
    printf("FLOPs at %dx%d: %.3f G (%.1f k multiply-adds per pixel)\n", w, h, st.flops / 1e9,
           st.flops / 2 / ((double)w * h) / 1e3);
    printf("largest activation: %.2f MB fp32\n", st.activation_bytes_max / 1e6);
}

int cli_cmd_info(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, entries, 0, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 2)
        return cli_usage_error(cmd, "usage: vknn info MODEL.onnx [--size WxH]");
    GError *err = NULL;
    int w = 224, h = 224;
    if (opt_size && !cli_parse_size(opt_size, &w, &h, &err))
        return cli_fail(err);
    g_autoptr(VknnModel) m = vknn_model_load(argv[1], &err);
    if (!m)
        return cli_fail(err);
    g_autofree VknnShape *shapes = g_new(VknnShape, m->inputs->len);
    for (guint i = 0; i < m->inputs->len; i++)
        shapes[i] = vknn_model_default_input_shape(m, (int)i, h, w);
    if (!vknn_model_infer_shapes(m, shapes, &err))
        return cli_fail(err);
    printf("model: %s (opset %d%s%s)\n", argv[1], m->opset, m->producer ? ", from " : "",
           m->producer ? m->producer : "");
    print_values(m, w, h);
    print_op_counts(m);
    print_stats(m, w, h);
    return 0;
}
