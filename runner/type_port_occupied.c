/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `tcp_migration_port_allocation_port_occupied_by_other_app`: tp-libvirt's
 * libvirt/tests/src/migration/migration_uri/
 * tcp_migration_port_allocation_port_occupied_by_other_app.py (a MigrationBase case)
 * on the timeline engine (runner/run_tl.h) with base_steps' shared steps
 * (runner/run_base.h).
 *
 * setup_connection (migrate_desturi_type tcp: the daemons' TCP listener the lab's hosts
 * have); occupy_port_cmd's port (`nc -l -p PORT &`) taken by a listener on the
 * destination; run_migration with migrate_speed, stress_package in the guest and
 * action_during_mig (libvirt_network.check_established on port_to_check, the next
 * port, after "iteration: '1'"; set_migrate_speed_to_high), judged by status_error /
 * err_msg; verify_default.  The listener is stopped on every path (the reference's
 * `pkill -9 nc`, which would also kill any other nc of the host).
 *
 * What differs from the reference: the listener is socat's (TCP-LISTEN on the port,
 * detached with a pidfile), not nc's, which the lab's hosts do not have; what the case
 * tests -- libvirt skips a port another program listens on -- is the same.  An
 * occupy_port_cmd of any other form is an ERROR naming it.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_occupy.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct po_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *speed, *stress_tool, *stress_args, *occupy;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct po_opts, __VA_ARGS__)
static const struct run_param po_params[] = {
    RUN_BASE_MIG_ROWS(struct po_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "occupy_port_cmd", AT(STR, occupy), .def = "nc -l -p 49152 &",
      .doc = "`nc -l -p PORT &`: PORT taken by a listener on the destination" },
    RUN_BASE_POST_ROWS(struct po_opts),
    { NULL },
};
#undef AT


/* occupy_port_cmd's port: `nc -l -p PORT &` (spaces free), else 0. */
static unsigned po_port(const char *cmd)
{
    unsigned port = 0;
    int end = 0;
    if (!cmd || sscanf(cmd, " nc -l -p %5u &%n", &port, &end) != 1 || !end ||
        cmd[end + (int)strspn(cmd + end, " ")] || port == 0 || port > 65535)
        return 0;
    return port;
}

static int po_check(const struct run_common *c, void *opts)
{
    struct po_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool po_unbuilt_applies(const struct params *p)
{
    return !po_port(params_get_or(p, "occupy_port_cmd", "nc -l -p 49152 &")) ||
           run_base_actions_unbuilt(p);
}

static int po_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *cmd = params_get_or(p, "occupy_port_cmd", "nc -l -p 49152 &");
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("tcp_migration_port_allocation_port_occupied_by_other_app",
                                    po_port(cmd) ? NULL : "occupy_port_cmd", cmd, p);
}

static const struct run_need po_needs_last[] = {
    { "not built", .applies = po_unbuilt_applies, .met = po_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

struct po_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_occupy occupy;       /* occupy_port_cmd's listener on the destination */
};

static int po_setup(struct run_ctx *ctx)
{
    struct po_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void po_cleanup(struct run_ctx *ctx)
{
    struct po_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    if (run_occupy_release(ctx, &st->occupy) < 0)
        run_error(ctx, "CleanupError", "stopping the listener on %s: %s",
                  ctx->hosts[1].name, err_msg());
    free(st);
    ctx->data = NULL;
}

static int po_run(struct run_ctx *ctx)
{
    const struct po_opts *o = ctx->opts;
    struct po_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (run_occupy_port(ctx, &st->occupy, 1, po_port(o->occupy)) < 0)
        return -1;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        return -1;
    if (hop == 1)
        return run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                   o->network_check, o->disk_check);
    return 0;
}

const struct run_type run_type_tcp_migration_port_allocation_port_occupied_by_other_app = {
    .name = "tcp_migration_port_allocation_port_occupied_by_other_app",
    .summary = "tp-libvirt's live migration over TCP while another program listens on "
               "the first migration port: libvirt takes the next one",
    .needs = { .vms = 1, .hosts = 2, .rows_last = po_needs_last },
    .params = po_params,
    .opts_size = sizeof(struct po_opts),
    .check = po_check,
    .setup = po_setup,
    .run = po_run,
    .cleanup = po_cleanup,
};
