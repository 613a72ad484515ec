/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt_ctx: logging and cancellation as handed in by the caller (the test context). */
#include "virt/virt.h"
#include "lib/clock.h"
#include "lib/strbuf.h"

#include <stdarg.h>

void virt_logf(const struct virt_ctx *ctx, enum virt_log_level level, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    if (!ctx || !ctx->log)
        return;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    ctx->log(ctx->log_ud, level, sb.buf);
    strbuf_release(&sb);
}

const char *virt_log_level_name(enum virt_log_level level)
{
    static const char *const names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
    return (unsigned)level < ARRAY_SIZE(names) ? names[level] : "?";
}

bool virt_cancelled(const struct virt_ctx *ctx)
{
    if (!ctx)
        return false;
    if (ctx->cancel && *ctx->cancel)
        return true;
    return ctx->deadline > 0 && clock_now() >= ctx->deadline;
}
