/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a test's log lines go.  Until the results sink is wired, to ctx->log. */
#include "runner/run_type.h"

void run_ctx_log_line(struct run_ctx *ctx, const char *line);

void run_ctx_log_line(struct run_ctx *ctx, const char *line)
{
    FILE *f = ctx->log ? ctx->log : stderr;
    fprintf(f, "%s\n", line);
    fflush(f);
}
