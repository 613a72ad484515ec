/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_daemon: avocado-vt's libvirt_service.control_service(params) as an engine
 * step (runner/run_tl.h), as tp-libvirt's stop_virtqemud_during_performphase runs it
 * during a migration: `systemctl <service_operations> <service_name>` on the source,
 * or (service_on_dst) the destination.
 *
 * The lab's hosts run libvirt's monolithic libvirtd, which holds the QEMU driver that
 * virtqemud is on a modular host: service_name virtqemud is libvirtd there, as
 * avocado-vt's Libvirtd("virtqemud") falls back to libvirtd on such a host.  A stop is
 * recorded in the hop's host record, whose undo starts the daemon again (the type
 * starts it itself where the reference does).  No record: the step is an ERROR.
 */
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "virt/virt.h"

static const struct {
    const char *word;
    enum virt_daemon_action action;
} daemon_ops[] = {
    { "stop", VIRT_DAEMON_STOP },
    { "start", VIRT_DAEMON_START },
    { "restart", VIRT_DAEMON_RESTART },
};

enum mig_tl_verdict run_tl_control_service(struct tl_run *t, const struct mig_action *a,
                                           struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    const char *svc = params_get_or(p, "service_name", "libvirtd");
    const char *op = params_get_or(p, "service_operations", "restart");
    bool dst = !strcmp(params_get_or(p, "service_on_dst", "no"), "yes");
    int host = dst ? h->to : h->from;
    size_t k = 0;
    (void)a;
    if (strcmp(svc, "libvirtd") && strcmp(svc, "virtqemud")) {
        strbuf_addf(why, "service_name = '%s': only libvirtd (virtqemud) is built", svc);
        return MIG_TL_ERROR;
    }
    while (k < ARRAY_SIZE(daemon_ops) && strcmp(daemon_ops[k].word, op))
        k++;
    if (k == ARRAY_SIZE(daemon_ops)) {
        strbuf_addf(why, "service_operations = '%s': expected stop, start or restart", op);
        return MIG_TL_ERROR;
    }
    struct virt_host *link = h->ops ? run_host_link(ctx, host) : NULL;
    if (!link) {
        strbuf_addf(why, "%s", h->ops ? err_msg() : "no host record for a daemon's stop");
        return MIG_TL_ERROR;
    }
    if (virt_hostop_daemon(h->ops, link, "libvirtd", daemon_ops[k].action, NULL) < 0) {
        strbuf_addf(why, "systemctl %s libvirtd on %s: %s", op, ctx->hosts[host].name,
                    err_msg());
        return MIG_TL_ERROR;
    }
    if (daemon_ops[k].action == VIRT_DAEMON_STOP)
        h->killed = host;
    run_log(ctx, "libvirtd (for %s) %s on %s", svc, op, ctx->hosts[host].name);
    return MIG_TL_OK;
}
