/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a test's log lines go: its results sink (debug.log + job.log, masked), or
 * ctx->log / stderr for code driven outside a job (unit tests). */
#include "results/res.h"
#include "runner/run_type.h"

#include <stdlib.h>

void run_ctx_log_line(struct run_ctx *ctx, const char *line);

void run_ctx_log_line(struct run_ctx *ctx, const char *line)
{
    if (ctx->res) {
        res_test_log(ctx->res, "%s", line);
        return;
    }
    char *masked = res_mask(line);
    FILE *f = ctx->log ? ctx->log : stderr;
    fprintf(f, "%s\n", masked);
    fflush(f);
    free(masked);
}
