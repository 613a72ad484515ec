/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `abort_job`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/async_job/abort_job.py (a MigrationBase
 * case) on the timeline engine (runner/run_tl.h) with base_steps' shared steps
 * (runner/run_base.h).
 *
 * The VM's disk is the source's own (in its images_dir), the VM starts there and is
 * logged into; the destination's disks are made as prepare_disks_remote makes them (the
 * copy-storage hop creates them: virt/virt.h);
 * `virsh event --loop --all` runs on both hosts.  Under stress in the guest the VM
 * migrates with --copy-storage-all or -inc and action_during_mig aborts it with
 * do_domjobabort (on the source, domjobabort_on_src), in the storage copy (3 s after the
 * destination shows the domain) or in the memory copy (after "migration-iteration"),
 * after check_established saw the connection; it must fail with err_msg.  The VM
 * migrates again (migrate_again, check_established during it) and must succeed; then
 * verify_default (the states on both sides, the guest reached, a line written to its
 * disk) and the event lists of both hosts.
 *
 * setup_connection's unix_proxy: runner/run_uproxy.h; its tls transport (with_tls:
 * QEMU's certificates, qemu_tls): runner/run_tlsconn.h.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tlsconn.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct aj_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again, *speed, *speed_again;
    const char *stress_tool, *stress_args;
    const char *events_src, *events_dst;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct aj_opts, __VA_ARGS__)
static const struct run_param aj_params[] = {
    RUN_BASE_MIG_ROWS(struct aj_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail (aborted)" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { "migrate_speed_again", AT(STR, speed_again),
      .doc = "MiB/s set before the second migration" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    RUN_BASE_POST_ROWS(struct aj_opts),
    { NULL },
};
#undef AT

/* The reference's setups vtrun does not build: a tls transport without qemu_tls. */
static const char *aj_unbuilt_param(const struct params *p, const char **val)
{
    return run_tlsconn_unbuilt(p, val);
}

static bool aj_unbuilt_applies(const struct params *p)
{
    const char *v;
    return aj_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int aj_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = aj_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("abort_job", param, v, p);
}

/* Its actions (check_established, then the abort) run while the migration is on, and
 * the case does not slow it down (no migrate_speed): a TCG guest's migration is over
 * before they run (the lab's: 1-2 s), so only hosts running KVM guests, which say so
 * with the capability, run it.  What is not built stays an ERROR (checked first). */
static bool aj_unthrottled(const struct params *p)
{
    const char *speed = params_get(p, "migrate_speed");
    const char *v;
    return !aj_unbuilt_param(p, &v) && (!speed || !*speed);
}

static const struct run_need aj_needs[] = {
    { "kvm", .applies = aj_unthrottled, .capability = "kvm",
      .text = "KVM guests: its actions run during a migration the case does not slow down "
              "(no migrate_speed), which a TCG guest's migration ends before they run" },
    { NULL },
};

static const struct run_need aj_needs_last[] = {
    { "not built", .applies = aj_unbuilt_applies, .met = aj_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int aj_check(const struct run_common *c, void *opts)
{
    struct aj_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct aj_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_uproxy *proxy;       /* setup_connection's unix_proxy */
    struct run_tlsconn *tls;        /* setup_connection's tls (qemu_tls) */
    struct params *params;          /* the case's, with the clone in images_dir */
    struct run_base_events *ev_src, *ev_dst;
};

static int aj_setup(struct run_ctx *ctx)
{
    struct aj_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    /* the disk is the source's own (storage_type ""): a shared one cannot be copied
     * onto itself, the destination's export of it is read-only */
    if (run_cs_vmset_setup(ctx, &st->vms, &st->params) < 0)
        return -1;
    if (run_uproxy_setup(ctx, ctx->params, &st->proxy) < 0)
        return -1;
    return run_tlsconn_setup(ctx, &st->vms, &st->tls);
}

static void aj_cleanup(struct run_ctx *ctx)
{
    struct aj_state *st = ctx->data;
    if (!st)
        return;
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    run_vmset_cleanup(ctx, &st->vms);
    run_uproxy_cleanup(ctx, st->proxy);
    run_tlsconn_cleanup(ctx, st->tls);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

static int aj_hop(struct run_ctx *ctx, const struct aj_opts *o, struct aj_state *st, size_t i,
                  bool again)
{
    return run_base_hop(ctx, &st->vms, i, &o->mig, again,
                        again ? o->again_status_error : o->status_error,
                        again && o->err_msg_again ? o->err_msg_again : o->err_msg);
}

static int aj_run(struct run_ctx *ctx)
{
    const struct aj_opts *o = ctx->opts;
    struct aj_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if ((o->events_src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
        (o->events_dst && !(st->ev_dst = run_base_events_start(ctx, 1))))
        return -1;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = aj_hop(ctx, o, st, i, false);
    if (rc < 0)
        return -1;
    bool migrated = rc == 1;
    if (o->migrate_again) {
        if (run_tl_start_on_source(ctx, vms, i) < 0)
            return -1;
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
            return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
        if (o->speed_again && *o->speed_again &&
            run_base_setspeed(ctx, 0, dom, o->speed_again, both) < 0)
            return -1;
        if ((rc = aj_hop(ctx, o, st, i, true)) < 0)
            return -1;
        migrated = rc == 1;
    }
    /* verify_test: verify_default, then the events */
    if (migrated && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        return -1;
    if ((st->ev_src && run_base_events_check(ctx, st->ev_src, "expected_event_src",
                                             o->events_src) < 0) ||
        (st->ev_dst && run_base_events_check(ctx, st->ev_dst, "expected_event_target",
                                             o->events_dst) < 0))
        return -1;
    return 0;
}

const struct run_type run_type_abort_job = {
    .name = "abort_job",
    .summary = "tp-libvirt's abort_job: a copy-storage migration aborted (domjobabort) in "
               "its storage or memory copy; a second migration succeeds; events",
    .needs = { .vms = 1, .hosts = 2, .rows = aj_needs, .rows_last = aj_needs_last },
    .params = aj_params,
    .opts_size = sizeof(struct aj_opts),
    .check = aj_check,
    .setup = aj_setup,
    .run = aj_run,
    .cleanup = aj_cleanup,
};
