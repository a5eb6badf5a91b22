/* Device-time profiles: bench --profile and train --profile print the same
 * tables, for the forward and the backward pass. */
#include "profile.h"

#include <stdio.h>

typedef struct {
    const char *op;
    double ms;
    int count;
} OpTotal;

static int cmp_op_total(gconstpointer a, gconstpointer b)
{
    const double x = ((const OpTotal *)a)->ms, y = ((const OpTotal *)b)->ms;
    return (x < y) - (x > y);
}

static int cmp_step_time(gconstpointer a, gconstpointer b)
{
    const double x = ((const VknnStepTime *)a)->ms, y = ((const VknnStepTime *)b)->ms;
    return (x < y) - (x > y);
}

/* Sums the steps by op type, slowest first; *total gets the sum of all. */
static GArray *op_totals(GArray *steps, double *total)
{
    GArray *ops = g_array_new(FALSE, TRUE, sizeof(OpTotal));
    *total = 0;
    for (guint i = 0; i < steps->len; i++) {
        const VknnStepTime *t = &g_array_index(steps, VknnStepTime, i);
        guint k = 0;
        while (k < ops->len && !g_str_equal(g_array_index(ops, OpTotal, k).op, t->op))
            k++;
        if (k == ops->len)
            g_array_append_val(ops, ((OpTotal){t->op, 0, 0}));
        g_array_index(ops, OpTotal, k).ms += t->ms;
        g_array_index(ops, OpTotal, k).count++;
        *total += t->ms;
    }
    g_array_sort(ops, cmp_op_total);
    return ops;
}

gboolean cli_print_profile(GArray *steps_or_null, const char *pass, GError **err)
{
    g_autoptr(GArray) steps = steps_or_null;
    if (!steps)
        return FALSE;
    double total;
    g_autoptr(GArray) ops = op_totals(steps, &total);
    printf("%s profile (device time of the last run, steps separated by barriers: %.2f ms)\n", pass,
           total);
    for (guint k = 0; k < ops->len; k++) {
        const OpTotal *o = &g_array_index(ops, OpTotal, k);
        printf("  %-24s %3d steps %9.2f ms %5.1f%%\n", o->op, o->count, o->ms, 100 * o->ms / total);
    }
    g_array_sort(steps, cmp_step_time);
    printf("slowest steps:\n");
    for (guint i = 0; i < MIN(steps->len, 8); i++) {
        const VknnStepTime *t = &g_array_index(steps, VknnStepTime, i);
        printf("  %-40s %-22s %8.2f ms\n", t->node, t->op, t->ms);
    }
    return TRUE;
}
