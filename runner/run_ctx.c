/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The outcome and logging helpers every test type uses (runner/run_type.h). */
#include "runner/run_type.h"
#include "lib/clock.h"
#include "lib/strbuf.h"
#include "results/res.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void run_ctx_log_line(struct run_ctx *ctx, const char *line);

double run_now(void)
{
    return clock_now();
}

bool run_should_stop(const struct run_ctx *ctx)
{
    if (ctx->cancel && *ctx->cancel)
        return true;
    return ctx->deadline > 0 && run_now() >= ctx->deadline;
}

/* INTERRUPTED overrides everything; otherwise the first non-PASS outcome stays, so the
 * first failing check is the one named in the result. */
static int set_outcome(struct run_ctx *ctx, enum run_status st, const char *type,
                       const char *fmt, va_list ap)
{
    if (ctx->status != RUN_PASS && ctx->status != RUN_WARN && st != RUN_INTERRUPTED)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    strbuf_vaddf(&sb, fmt, ap);
    free(ctx->reason);
    free(ctx->fail_type);
    ctx->reason = strbuf_detach(&sb, NULL);
    ctx->fail_type = type ? xstrdup(type) : NULL;
    ctx->status = st;
    return -1;
}

#define OUTCOME(fn, st)                                                      \
    int fn(struct run_ctx *ctx, const char *type, const char *fmt, ...)      \
    {                                                                        \
        va_list ap;                                                          \
        va_start(ap, fmt);                                                   \
        set_outcome(ctx, st, type, fmt, ap);                                 \
        va_end(ap);                                                          \
        run_log(ctx, "%s: %s", #st + 4, ctx->reason ? ctx->reason : "");     \
        return -1;                                                           \
    }
OUTCOME(run_fail, RUN_FAIL)
OUTCOME(run_error, RUN_ERROR)
#undef OUTCOME

int run_cancel(struct run_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_outcome(ctx, RUN_CANCEL, NULL, fmt, ap);
    va_end(ap);
    run_log(ctx, "CANCEL: %s", ctx->reason);
    return -1;
}

int run_interrupt(struct run_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_outcome(ctx, RUN_INTERRUPTED, "TestInterrupted", fmt, ap);
    va_end(ap);
    run_log(ctx, "INTERRUPTED: %s", ctx->reason);
    return -1;
}

static const char *const status_names[] = {
    [RUN_PASS] = "PASS", [RUN_ERROR] = "ERROR", [RUN_FAIL] = "FAIL", [RUN_SKIP] = "SKIP",
    [RUN_WARN] = "WARN", [RUN_INTERRUPTED] = "INTERRUPTED", [RUN_CANCEL] = "CANCEL",
};

int run_left_behind(struct run_ctx *ctx, const char *what)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "left behind: %s", what);
    if (ctx->status != RUN_PASS && ctx->reason)
        strbuf_addf(&sb, " (the test was %s: %s)", status_names[ctx->status], ctx->reason);
    free(ctx->reason);
    free(ctx->fail_type);
    ctx->reason = strbuf_detach(&sb, NULL);
    ctx->fail_type = xstrdup("LeftBehindError");
    ctx->status = RUN_ERROR;
    run_log(ctx, "ERROR: %s", ctx->reason);
    return -1;
}

int run_skip(struct run_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_outcome(ctx, RUN_SKIP, NULL, fmt, ap);
    va_end(ap);
    run_log(ctx, "SKIP: %s", ctx->reason);
    return -1;
}

void run_warn(struct run_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ctx->status == RUN_PASS)
        set_outcome(ctx, RUN_WARN, NULL, fmt, ap);
    va_end(ap);
    run_log(ctx, "WARN: %s", ctx->reason ? ctx->reason : "");
}

void run_phase(struct run_ctx *ctx, const char *name, double t0)
{
    double secs = clock_now() - t0;
    struct res_phase p = { .name = name, .start = clock_wall() - secs, .time_s = secs };
    if (ctx->res)
        res_test_phase(ctx->res, &p);
    else
        run_log(ctx, "phase %s: %.3f s", name, secs);
}

void run_log(struct run_ctx *ctx, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    run_ctx_log_line(ctx, sb.buf);
    strbuf_release(&sb);
}
