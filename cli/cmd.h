/* What the vknn commands share: their row in the dispatch table (cli/vknn.c),
 * the options several of them take and the errors they print (cli/options.c).
 * Each command lives in cli/cmd_NAME.c with its own options. */
#pragma once

#include <vknn/vknn.h>

/* 1: the command ran and failed; 2: the command line is wrong, as getopt
 * tools do, so that a script can tell a typo from a failed run. */
enum { CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

typedef struct CliCommand CliCommand;
struct CliCommand {
    const char *name;
    const char *args;    /* arguments and required options, for the help */
    const char *summary; /* one line */
    /* argv[0] is the command's name; returns the exit status. */
    int (*run)(const CliCommand *cmd, int argc, char **argv);
};

int cli_cmd_devices(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_info(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_stylize(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_bench(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_explain(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_train(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_train_decoder(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_visualize(const CliCommand *cmd, int argc, char **argv);
int cli_cmd_split(const CliCommand *cmd, int argc, char **argv);
/* vknn visualize's feature methods (cli/cmd_features.c). */
int cli_visualize_neighbours(const CliCommand *cmd, int argc, char **argv);
int cli_visualize_embed(const CliCommand *cmd, int argc, char **argv);
int cli_visualize_patches(const CliCommand *cmd, int argc, char **argv);

/* The options that several commands take, so that each reads and is
 * described the same everywhere; a command names those it takes. */
typedef enum {
    CLI_OPT_DEVICE = 1 << 0,    /* --device SEL */
    CLI_OPT_VALIDATE = 1 << 1,  /* --validate */
    CLI_OPT_PRECISION = 1 << 2, /* --precision P */
    CLI_OPT_PROFILE = 1 << 3,   /* --profile */
    CLI_OPT_CONTEXT = CLI_OPT_DEVICE | CLI_OPT_VALIDATE,
    /* A training run's: --content --out --steps --batch --lr --seed
     * --checkpoint --checkpoint-every --preview-every --resume --init */
    CLI_OPT_TRAIN_RUN = 1 << 4,
} CliSharedOptionSet;

/* What a training run does, whatever network it trains (vknn train,
 * vknn train-decoder): its data, length, optimiser and files. */
typedef struct {
    char *content;    /* folder of content images, or a video */
    char *out;        /* the trained network, ONNX */
    char *checkpoint; /* written every checkpoint_every steps; NULL: OUT.ckpt */
    char *resume;     /* checkpoint to continue from, or NULL */
    char *init;       /* network to start from (fine-tuning), or NULL */
    int steps, batch, seed, checkpoint_every, preview_every;
    double lr;
} CliTrainRun;

typedef struct {
    char *device;
    gboolean validate;
    char *precision;
    gboolean profile;
    CliTrainRun train;
} CliSharedOptions;

/* Set by cli_parse_options(); one command runs per process. */
extern CliSharedOptions cli_shared;

/* Parses cmd's options (its entries plus the shared ones named), leaving
 * the positional arguments in argv. --help prints only these options. On
 * a wrong option prints "vknn: error: CMD: ..." and returns FALSE: the
 * caller exits with CLI_EXIT_USAGE. */
gboolean cli_parse_options(const CliCommand *cmd, const GOptionEntry *entries,
                           CliSharedOptionSet shared, int *argc, char ***argv);

/* The domain of errors in the command line itself, such as a malformed or
 * out-of-range option value: they exit CLI_EXIT_USAGE, like an unknown
 * option, since a script must tell them from a failed run too. */
#define CLI_USAGE_ERROR (cli_usage_error_quark())
GQuark cli_usage_error_quark(void);

/* "vknn: error: MSG (see vknn CMD --help)"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const CliCommand *cmd, const char *msg);
/* "vknn: error: MESSAGE"; frees err, returns CLI_EXIT_FAILURE, or for a
 * CLI_USAGE_ERROR adds "(see vknn CMD --help)" and returns CLI_EXIT_USAGE. */
int cli_fail(GError *err);

/* "WxH", e.g. 640x480; each side 1..16384 (a CLI_USAGE_ERROR otherwise). */
gboolean cli_parse_size(const char *s, int *w, int *h, GError **err);

/* "R,G,B" into three floats (a CLI_USAGE_ERROR naming `what` otherwise). */
gboolean cli_parse_rgb(const char *s, const char *what, float out[3], GError **err);
/* The input is (x / 255 - mean) / std: each std positive, every value
 * finite (a CLI_USAGE_ERROR otherwise). */
gboolean cli_check_normalisation(const VknnFrameInputParams *fp, GError **err);

/* A context on the device of --device, with --validate. */
VknnContext *cli_open_context(GError **err);

/* Loads the model at path; it must have one input. */
VknnModel *cli_load_model(const char *path, GError **err);

/* The most bytes one tensor may take: libvknn binds each through a storage
 * buffer range, and maxStorageBufferRange is a uint32_t on every Vulkan
 * device. A device's own limit may be lower (lavapipe: 128 MiB), which
 * vknn_net_prepare() reports as VKNN_ERROR_DEVICE_LIMIT. */
#define CLI_MAX_TENSOR_BYTES ((guint64)G_MAXUINT32)

/* Refuses on the host, before any device or pixel memory is taken, a w x h
 * input at which the model (at path) cannot be planned: shape inference
 * fails, or a tensor would exceed CLI_MAX_TENSOR_BYTES. The error names the
 * size, the estimate and the limit. Leaves the model's shapes inferred. */
gboolean cli_check_size(VknnModel *m, const char *path, int w, int h, GError **err);

/* A one-input network prepared on a context of its own. */
typedef struct {
    VknnContext *ctx;
    VknnModel *model;
    VknnNet *net;
} CliNet;

/* Loads the model at path, checks the size (cli_check_size) and prepares
 * it for a w x h input with the shared options (--device, --validate,
 * --precision, --profile); grad_to: also prepare the backward pass to that
 * tensor, or NULL. */
gboolean cli_open_net(const char *path, int w, int h, const char *grad_to, CliNet *n, GError **err);
void cli_net_clear(CliNet *n);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliNet, cli_net_clear)
