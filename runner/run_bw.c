/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_bw: the pieces the bandwidth-family base_steps types share (runner/run_bw.h).
 */
#include "runner/run_bw.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"

#include <stdlib.h>

static const struct run_base_unbuilt bw_unbuilt_rows[] = {
    { "migrate_desturi_type", "unix_proxy" },
    { "migrate_desturi_type", "tls" },
    { "transport_type", "tls" },
    { "transport_type", "unix_proxy" },
};

const char *run_bw_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(bw_unbuilt_rows, ARRAY_SIZE(bw_unbuilt_rows), p, val);
}

bool run_bw_unbuilt_applies(const struct params *p)
{
    const char *v;
    return run_bw_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

int run_bw_unbuilt_verdict(const char *type, const struct params *p)
{
    const char *v = NULL, *param = run_bw_unbuilt_param(p, &v);
    return run_base_unbuilt_verdict(type, param, v, p);
}

int run_bw_setup(struct run_ctx *ctx, const char *tag)
{
    struct run_bw_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *name = xasprintf("%s%.7s_%u", tag, ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(name, &st->vctx);
    free(name);
    return 0;
}

void run_bw_cleanup(struct run_ctx *ctx)
{
    struct run_bw_state *st = ctx->data;
    if (!st)
        return;
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    /* the guests first: a daemon restarted by the restore reconnects to them */
    run_vmset_cleanup(ctx, &st->vms);
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    free(st);
    ctx->data = NULL;
}

int run_bw_events_start(struct run_ctx *ctx, struct run_bw_state *st, const char *src,
                        const char *dst)
{
    /* run_base_events_start sets the test's ERROR when it cannot start */
    if ((src && *src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
        (dst && *dst && !(st->ev_dst = run_base_events_start(ctx, 1))))
        return -1;
    return 0;
}

int run_bw_events_check(struct run_ctx *ctx, struct run_bw_state *st, const char *src,
                        const char *dst)
{
    if (st->ev_src && run_base_events_check(ctx, st->ev_src, "expected_event_src", src) < 0)
        return -1;
    if (st->ev_dst && run_base_events_check(ctx, st->ev_dst, "expected_event_target", dst) < 0)
        return -1;
    return 0;
}
