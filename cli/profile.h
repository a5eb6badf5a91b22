/* Device-time profiles of a network or a trainer, as bench and train print them. */
#pragma once

#include <vknn/vknn.h>

/* Prints the device time of the last run by op type, then the slowest steps.
 * Takes steps (VknnStepTime, from vknn_*_profile); NULL means that call failed
 * and set err, so the result can be passed straight in. */
gboolean cli_print_profile(GArray *steps, const char *pass, GError **err);
