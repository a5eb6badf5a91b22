/* vknn — command-line front end of libvknn.
 *
 *   vknn devices                              Vulkan devices and the one chosen
 *   vknn info MODEL.onnx [--size WxH]         inputs, outputs, tensors, ops, FLOPs
 *   vknn stylize MODEL.onnx IN OUT.png|jpg [--size WxH]
 *   vknn bench MODEL.onnx --size WxH [--runs N]
 *   vknn explain MODEL.onnx IMG OUT.png|jpg [--method M|all] [--class C] [--layer L]
 *   vknn train --style IMG --content DIR --out STYLE.onnx [--loss-net ONNX] [--steps N]
 *   vknn train-decoder --content DIR --out DECODER.onnx [--layer relu3_1]
 *   vknn visualize METHOD MODEL.onnx [IMG...] OUT.png  filters, class, adversarial, dream, ...
 *   vknn split MULTI.onnx OUT.onnx...         each style of a multi-style network alone
 *
 * Each command is cli/cmd_NAME.c and takes only its own options (vknn
 * COMMAND --help); those that use a device take --device SEL (index, name
 * substring or UUID; default: $VKNN_DEVICE or the best device). Errors are
 * one line on stderr; the exit status is 2 for a wrong command line, 1 for
 * a failed run.
 */
#include "cmd.h"

#include <stdio.h>

static const CliCommand commands[] = {
    {"devices", "", "list Vulkan devices and the one vknn chooses", cli_cmd_devices},
    {"info", "MODEL.onnx", "inputs, outputs, tensors, op counts, parameters, FLOPs", cli_cmd_info},
    {"stylize", "MODEL.onnx IN OUT.png", "run a style model on an image", cli_cmd_stylize},
    {"bench", "MODEL.onnx --size WxH", "time inference: min and median ms, device memory",
     cli_cmd_bench},
    {"explain", "MODEL.onnx IMG OUT.png", "saliency map of a classifier (--method, --class)",
     cli_cmd_explain},
    {"train", "--style IMG --content DIR", "train a style network (--out)", cli_cmd_train},
    {"train-decoder", "--content DIR", "train a decoder for --style-image (--out)",
     cli_cmd_train_decoder},
    {"visualize", "METHOD MODEL.onnx ...",
     "filters, class visualisation, adversarial, DeepDream, inversion, textures, Gatys",
     cli_cmd_visualize},
    {"split", "MULTI.onnx OUT.onnx...", "each style of a multi-style network as its own network",
     cli_cmd_split},
};

static void print_help(void)
{
    printf("Usage: vknn COMMAND [ARGS] [OPTIONS]\n\nCommands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        printf("  %-13s %-24s %s\n", commands[i].name, commands[i].args, commands[i].summary);
    printf("\nvknn COMMAND --help lists the options of a command; --device SEL picks the Vulkan "
           "device.\n");
}

static const CliCommand *find_command(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        if (g_str_equal(name, commands[i].name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h")) {
        print_help();
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    const CliCommand *cmd = find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "vknn: error: unknown command '%s' (see vknn --help)\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(cmd, argc - 1, argv + 1);
}
