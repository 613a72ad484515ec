/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_mos_net: migrate_options_shared's `drop_network_connection` word (tp-libvirt's
 * drop_network_connection(block_time) with break_network_connection = yes), a step of
 * the timeline engine.
 *
 * The reference adds, on the host it runs on (the source), the firewall rule
 * "INPUT --source SERVER_IP -j DROP", sleeps block_time seconds (default 30) and
 * removes it: the destination's packets are dropped for that long, so the migration's
 * streams and the daemons' connection stall, and what the keepalive settings do about a
 * peer gone quiet decides the migration (status_error / err_msg judge it).  vtrun adds
 * the same rule in the source host's own network namespace (nftables, through the host
 * transport: virt_hostop_fw_add), every TCP packet from the destination's address,
 * recorded as a leftover until removed, and removes it after block_time or as soon as
 * the test must stop.
 */
#include "runner/run_tl.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "virt/virt.h"

/* block_time as the reference reads it: int(params.get("block_time", 30)). */
static int mos_block_time(const struct params *p, long *out)
{
    const char *v = params_get_or(p, "block_time", "30");
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 0) {
        err_set("block_time = '%s': expected whole seconds", v);
        return -1;
    }
    *out = n;
    return 0;
}

RUN_TL_MOS_STEP(run_tl_mos_drop_network)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct run_host *dst = &ctx->hosts[h->to];
    struct virt_host *link = run_host_link(ctx, h->from);
    long block;
    (void)a;

    if (mos_block_time(run_tl_run_params(t), &block) < 0) {
        strbuf_addstr(why, err_msg());
        return MIG_TL_ERROR;
    }
    if (!dst->address) {
        strbuf_addf(why, "drop_network_connection: the settings give no address of %s",
                    dst->name);
        return MIG_TL_ERROR;
    }
    if (!link) {
        strbuf_addf(why, "drop_network_connection: %s", err_msg());
        return MIG_TL_ERROR;
    }
    /* its own record: the rule goes when the block ends, not with the test's others */
    char tag[48];
    snprintf(tag, sizeof(tag), "mosdrop_%.7s_%u", ctx->job_id ? ctx->job_id : "job",
             ctx->slot);
    struct virt_hostops *ops = virt_hostops_new(tag, &h->vms->conf.vctx);
    enum mig_tl_verdict v = MIG_TL_OK;
    if (virt_hostop_fw_add(ops, link, &(struct virt_fw_rule){ .saddr = dst->address }) < 0) {
        strbuf_addf(why, "Rule 'INPUT --source %s -j DROP' is not added on %s: %s",
                    dst->address, ctx->hosts[h->from].name, err_msg());
        v = MIG_TL_ERROR;
    } else {
        run_log(ctx, "network from %s dropped on %s for %ld s", dst->address,
                ctx->hosts[h->from].name, block);
        for (double end = clock_now() + (double)block;
             clock_now() < end && !run_should_stop(ctx);)
            clock_sleep(0.2);
    }
    if (virt_hostops_undo(ops) < 0) {
        strbuf_addf(why, "%sRule 'INPUT --source %s -j DROP' is not removed on %s: %s",
                    v == MIG_TL_OK ? "" : "; ", dst->address, ctx->hosts[h->from].name,
                    err_msg());
        v = MIG_TL_ERROR;
    } else if (v == MIG_TL_OK) {
        run_log(ctx, "network from %s back on %s", dst->address, ctx->hosts[h->from].name);
    }
    virt_hostops_free(ops);
    return v;
}
