/* vknn bench: times a network on random input: wall time of whole runs
 * (min and median), the network's device time, device memory, and with
 * --profile the device time of every step. */
#include "cmd.h"
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>

static char *opt_size;
static int opt_runs = 10;
static char *opt_backward;

static const GOptionEntry entries[] = {
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size, "Input size (required)", "WxH"},
    {"runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Timed runs (default 10)", "N"},
    {"backward", 0, 0, G_OPTION_ARG_STRING, &opt_backward,
     "Also time the backward pass from the first output to this tensor", "NAME"},
    {NULL},
};

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Uniform 0..255 from a fixed seed, so runs and builds time the same data. */
static float *random_input(const CliNet *n)
{
    const VknnValue *in = vknn_model_value(n->model, g_array_index(n->model->inputs, int, 0));
    const int64_t numel = vknn_shape_numel(&in->shape);
    float *input = g_new(float, numel);
    GRand *rand = g_rand_new_with_seed(1);
    for (int64_t i = 0; i < numel; i++)
        input[i] = (float)g_rand_double_range(rand, 0, 255);
    g_rand_free(rand);
    return input;
}

/* One warm-up run, then opt_runs timed ones; ms (wall, forward and
 * --backward) and device_ms (forward) come back sorted. */
static gboolean time_runs(const CliNet *n, double *ms, double *device_ms, GError **err)
{
    g_autofree float *input = random_input(n);
    const float *inputs[] = {input};
    const VknnValue *out0 = vknn_model_value(n->model, g_array_index(n->model->outputs, int, 0));
    g_autofree float *seed = g_new0(float, vknn_shape_numel(&out0->shape));
    seed[0] = 1.0f; /* d output[0]: e.g. one class score */
    for (int i = -1; i < opt_runs; i++) {
        const gint64 t0 = g_get_monotonic_time();
        if (!vknn_net_run(n->net, inputs, err))
            return FALSE;
        const double forward_device_ms = vknn_net_last_device_ms(n->net);
        if (opt_backward && !vknn_net_backward(n->net, seed, err))
            return FALSE;
        if (i >= 0) {
            ms[i] = (g_get_monotonic_time() - t0) / 1e3;
            device_ms[i] = forward_device_ms;
        }
    }
    qsort(ms, opt_runs, sizeof(double), cmp_double);
    qsort(device_ms, opt_runs, sizeof(double), cmp_double);
    return TRUE;
}

static void print_times(const char *path, int w, int h, const CliNet *n, const double *ms,
                        const double *device_ms, double prepare_ms)
{
    VknnModelStats st;
    vknn_model_stats(n->model, &st);
    printf("model %s at %dx%d on %s%s%s\n", path, w, h, vknn_context_device_name(n->ctx),
           opt_backward ? ", forward + backward to " : "", opt_backward ? opt_backward : "");
    printf("runs %d: min %.2f ms, median %.2f ms (%.1f GFLOP/s at the median); first prepare %.0f "
           "ms\n",
           opt_runs, ms[0], ms[opt_runs / 2], st.flops / (ms[opt_runs / 2] * 1e6), prepare_ms);
    if (device_ms[0] >= 0)
        printf("forward device time (the network, without the input upload): min %.2f ms, "
               "median %.2f ms\n",
               device_ms[0], device_ms[opt_runs / 2]);
}

static void print_memory(const CliNet *n)
{
    VknnNetMemory mem;
    vknn_net_memory(n->net, &mem);
    printf("device memory: activations %.1f MiB peak (%.1f MiB without reuse), weights %.1f MiB; "
           "%d dispatches per run\n",
           mem.activation_bytes / 1048576.0, mem.naive_activation_bytes / 1048576.0,
           mem.weight_bytes / 1048576.0, mem.dispatches);
}

static gboolean print_profiles(const CliNet *n, GError **err)
{
    if (!cli_shared.profile)
        return TRUE;
    return cli_print_profile(vknn_net_profile(n->net, err), "forward", err) &&
           (!opt_backward ||
            cli_print_profile(vknn_net_profile_backward(n->net, err), "backward", err));
}

int cli_cmd_bench(const CliCommand *cmd, int argc, char **argv)
{
    const CliSharedOptionSet shared = CLI_OPT_PRECISION | CLI_OPT_PROFILE | CLI_OPT_CONTEXT;
    if (!cli_parse_options(cmd, entries, shared, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 2 || !opt_size)
        return cli_usage_error(cmd, "usage: vknn bench MODEL.onnx --size WxH [--runs N]");
    GError *err = NULL;
    int w, h;
    if (!cli_parse_size(opt_size, &w, &h, &err))
        return cli_fail(err);
    if (opt_runs < 1 || opt_runs > 10000)
        return cli_usage_error(cmd, "--runs must be 1..10000");
    g_auto(CliNet) n = {0};
    g_autofree double *ms = g_new(double, opt_runs), *device_ms = g_new(double, opt_runs);
    const gint64 t0 = g_get_monotonic_time();
    if (!cli_open_net(argv[1], w, h, opt_backward, &n, &err))
        return cli_fail(err);
    const double prepare_ms = (g_get_monotonic_time() - t0) / 1e3;
    if (!time_runs(&n, ms, device_ms, &err))
        return cli_fail(err);
    print_times(argv[1], w, h, &n, ms, device_ms, prepare_ms);
    print_memory(&n);
    return print_profiles(&n, &err) ? 0 : cli_fail(err);
}
