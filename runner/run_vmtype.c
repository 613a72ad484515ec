/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The test's VM set (virt/virt.h) set up from its context, and setup / cleanup of the
 * test types whose whole state is that set (boot, migrate): one definition instead of
 * a copy per type. */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

static void vlog(void *ud, enum virt_log_level level, const char *msg)
{
    struct run_ctx *ctx = ud;
    if (level == VIRT_LOG_DEBUG)
        run_log(ctx, "%s", msg);
    else
        run_log(ctx, "%s: %s", virt_log_level_name(level), msg);
}

/* A hop into the results: hops.json, results.json, the HTML timeline, debug.log. */
static void on_hop(void *ud, const struct virt_hop_record *r)
{
    struct run_ctx *ctx = ud;
    const struct be_hop_metrics *m = r->m;
    struct res_hop h = {
        .vm = r->vm, .hop = r->hop, .from = r->from, .to = r->to, .start = m->start,
        .wall_s = m->wall_s, .downtime_ms = m->downtime_ms, .data_bytes = m->data_bytes,
        .mem_iterations = (unsigned)m->mem_iterations,
        .mode = m->postcopy ? "postcopy" : "precopy", .ok = r->ok, .error = r->error,
    };
    if (ctx->res)
        res_test_hop(ctx->res, &h);
    else
        run_log(ctx, "hop %u %s %s->%s: %s, %.3f s, downtime %.1f ms", h.hop, h.vm, h.from,
                h.to, r->ok ? "ok" : r->error, h.wall_s, h.downtime_ms);
}

/* The VM set's way to a host's transport: the test's link (run_host_link). */
static struct virt_host *vmset_link(void *ud, int h)
{
    return run_host_link(ud, h);
}

int run_vmset_setup(struct run_ctx *ctx, struct virt_vms *vms)
{
    return run_vmset_setup_params(ctx, vms, ctx->params);
}

int run_vmset_setup_params(struct run_ctx *ctx, struct virt_vms *vms, const struct params *p)
{
    struct virt_vms_host *hosts = xcalloc(ctx->nhosts + 1, sizeof(*hosts));
    for (size_t h = 0; h < ctx->nhosts; h++) {
        const struct run_host *rh = &ctx->hosts[h];
        char *remote = run_host_remote(rh);
        hosts[h] = (struct virt_vms_host){ .name = rh->name, .uri = rh->uri,
                                           .migrate_desturi = rh->migrate_desturi,
                                           .migrate_uri = rh->migrate_uri,
                                           .remote = remote != NULL,
                                           .images_dir = rh->images_dir,
                                           .shared_dir = rh->shared_dir };
        free(remote);
    }
    struct virt_vms_conf conf = {
        .params = p, .backend = ctx->backend, .hosts = hosts,
        .nhosts = ctx->nhosts, .job_id = ctx->job_id, .slot = ctx->slot, .addr_slot = ctx->addr_slot,
        .outdir = ctx->outdir,
        .vctx = { .log = vlog, .log_ud = ctx, .cancel = ctx->cancel,
                  .deadline = ctx->deadline },
        .on_hop = on_hop, .hop_ud = ctx, .host_link = vmset_link, .link_ud = ctx,
        .user = ctx,
    };
    int rc = virt_vms_setup(&conf, vms);     /* it keeps a copy of hosts */
    free(hosts);
    if (rc == 0 && ctx->common->boot_mode == RUN_BOOT_RESTORE) {
        const struct run_type *t = ctx->type;
        char *why = !t || !t->boot_cold
                  ? xasprintf("test type %s starts its guests its own way",
                              t ? t->name : "?")
                  : t->boot_cold(ctx->opts) ? xstrdup(t->boot_cold(ctx->opts)) : NULL;
        virt_vms_boot_restore(vms, why);
        free(why);
    }
    if (rc == 0)
        rc = virt_vms_connect(vms, ctx->need_hosts);
    return rc;
}

void run_vmset_cleanup(struct run_ctx *ctx, struct virt_vms *vms)
{
    /* while the domains and their job figures still exist */
    run_evidence(ctx, vms, ctx->started_wall);
    int rc = virt_vms_cleanup(vms);
    const char *left = strstr(err_msg(), "left behind: ");
    if (rc < 0 && virt_err_last() == VIRT_ERR_LEFT_BEHIND && left)
        run_left_behind(ctx, left + strlen("left behind: "));
    else if (rc < 0)
        run_error(ctx, virt_err_name(virt_err_last()), "after the test: %s", err_msg());
    else if (rc > 0)
        run_warn(ctx, "%s", err_msg());
}

int run_vmtype_setup(struct run_ctx *ctx)
{
    struct virt_vms *vms = xcalloc(1, sizeof(*vms));
    ctx->data = vms;
    if (run_vmset_setup(ctx, vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

void run_vmtype_cleanup(struct run_ctx *ctx)
{
    struct virt_vms *vms = ctx->data;
    if (!vms)
        return;
    run_vmset_cleanup(ctx, vms);
    free(vms);
    ctx->data = NULL;
}

int run_vmtype_prepare(struct run_ctx *ctx, struct virt_vms *vms, size_t i, bool start,
                       bool login)
{
    if (!start) {
        if (virt_vms_define(vms, i, 0) < 0)
            return run_error(ctx, "VMCreateError", "%s", err_msg());
        return 0;
    }
    if (virt_vms_start(vms, i, 0) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    if (login && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
        if (run_should_stop(ctx))
            return -1;
        return run_error(ctx, "LoginError", "%s", err_msg());
    }
    return 0;
}
