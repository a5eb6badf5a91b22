/* vknn split: each style of a multi-style network (docs/training.md) as a
 * network of its own, e.g. to ship one style or to run it in other runtimes
 * (which run only style 0 of a multi-style file). */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

static const GOptionEntry entries[] = {
    {NULL},
};

int cli_cmd_split(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, entries, 0, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc < 3)
        return cli_usage_error(cmd, "usage: vknn split MULTI.onnx OUT.onnx... (one output per "
                                    "style, in order; - skips a style)");
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(argv[1], &err);
    if (!m)
        return cli_fail(err);
    const int n = vknn_style_count(m);
    if (argc - 2 != n) {
        g_autofree char *msg =
            g_strdup_printf("%s has %d style%s: give %d output name%s, not %d", argv[1], n,
                            n == 1 ? "" : "s", n, n == 1 ? "" : "s", argc - 2);
        return cli_usage_error(cmd, msg);
    }
    for (int s = 0; s < n; s++) {
        const char *out = argv[2 + s];
        if (strcmp(out, "-") == 0)
            continue;
        g_autoptr(VknnModel) one = vknn_style_extract(m, s, &err);
        if (!one || !vknn_model_save(one, out, &err))
            return cli_fail(err);
        printf("style %d -> %s\n", s, out);
    }
    return 0;
}
