/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `abort_precopy_migration`: tp-libvirt's
 * libvirt/tests/src/migration/async_job/abort_precopy_migration.py (a MigrationBase
 * case) on the timeline engine (runner/run_tl.h) with base_steps' shared steps
 * (runner/run_base.h).
 *
 * The VM starts on the source and is logged into; with abort_during_vm_downtime the
 * allowed downtime is set to 1000000 ms (the migration stops the guest as soon as it
 * can); `virsh domjobinfo` is polled every 0.1 s on the source, and `virsh event --loop
 * --all` runs on both hosts.  The migration (at migrate_speed) is aborted by
 * `virsh domjobabort` after the event action_during_mig names ("migration-iteration",
 * or "Suspended Migrated" for an abort while the guest is stopped) and must fail with
 * err_msg.  Then, as the reference's verify_test: the source's domain is
 * expected_src_state (resumed when paused), the destination lists no such domain
 * (expected_dest_state nonexist), the event lists are seen on both hosts, and the job
 * types polled show job_type_list in order (None, Unbounded, Cancelled, None).  The VM
 * migrates again (migrate_again_status_error) and verify_default checks both sides and
 * the guest on the destination.
 *
 * setup_connection's unix_proxy: runner/run_uproxy.h.  Not built yet, an ERROR naming
 * it: the Ctrl-C of the migrating virsh (abort_method ctrl_c).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct ap_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error;
    const char *err_msg, *err_msg_again, *speed, *abort_mig;
    const char *src_expect, *dest_expect;
    const char *events_src, *events_dst, *job_types;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct ap_opts, __VA_ARGS__)
static const struct run_param ap_params[] = {
    RUN_BASE_MIG_ROWS(struct ap_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail (aborted)" },
    /* a regex for the migration's error; the Ctrl-C variant's is a substring
     * ("Migration: [") */
    { "err_msg", AT(STR, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "abort_mig", AT(STR, abort_mig),
      .doc = "abort_during_vm_downtime: migrate-setmaxdowntime 1000000 first" },
    { "expected_src_state", AT(STR, src_expect), .def = "running",
      .doc = "the source's state after the abort (paused: resumed then)" },
    { "expected_dest_state", AT(STR, dest_expect),
      .doc = "nonexist: no domain of that name listed on the destination" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    { "job_type_list", AT(STR, job_types), .def = "[]",
      .doc = "the job types domjobinfo must show in this order" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { "virsh_migrate_dest_state", AT(STR, dest_state), .def = "running",
      .doc = "the destination's state after the second migration" },
    { "virsh_migrate_src_state", AT(STR, src_state), .def = "shut off",
      .doc = "the source's state after it" },
    { "check_network_accessibility_after_mig", AT(BOOL, network_check), .def = "no",
      .doc = "the guest reached over its network after the migration" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "a line written to the guest's disk after the migration" },
    { NULL },
};
#undef AT

static const struct run_base_unbuilt ap_unbuilt_rows[] = {
    { "abort_method", "ctrl_c" },            /* SIGINT to the migrating virsh */
    { "transport_type", "tls" },
};

static const char *ap_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(ap_unbuilt_rows, ARRAY_SIZE(ap_unbuilt_rows), p, val);
}

static bool ap_unbuilt_applies(const struct params *p)
{
    const char *v;
    return ap_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int ap_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = ap_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("abort_precopy_migration", param, v, p);
}

static const struct run_need ap_needs_last[] = {
    { "not built", .applies = ap_unbuilt_applies, .met = ap_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* The abort while the guest is stopped for the switchover lands only when that phase
 * lasts: on the lab (a small TCG guest, migrated over a bridge) "Suspended Migrated"
 * and "Stopped Migrated" come within a fraction of a second, the migration completes
 * before any abort reaches it. */
static const struct run_need ap_needs[] = {
    { "downtime_window", .when = { { "abort_mig", .eq = "abort_during_vm_downtime" } },
      .capability = "downtime_window",
      .text = "a domjobabort during the guest's downtime needs a switchover phase long "
              "enough to abort (a guest with much memory to copy at the switchover)" },
    { NULL },
};

static int ap_check(const struct run_common *c, void *opts)
{
    struct ap_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct ap_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_uproxy *proxy;       /* setup_connection's unix_proxy */
    struct run_base_events *ev_src, *ev_dst;
    struct run_base_jobpoll *jobs;
};

static int ap_setup(struct run_ctx *ctx)
{
    struct ap_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return run_uproxy_setup(ctx, ctx->params, &st->proxy);
}

static void ap_cleanup(struct run_ctx *ctx)
{
    struct ap_state *st = ctx->data;
    if (!st)
        return;
    run_base_jobpoll_free(st->jobs);
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    run_vmset_cleanup(ctx, &st->vms);
    run_uproxy_cleanup(ctx, st->proxy);
    free(st);
    ctx->data = NULL;
}

static int ap_hop(struct run_ctx *ctx, const struct ap_opts *o, struct ap_state *st, size_t i,
                  bool again)
{
    return run_base_hop(ctx, &st->vms, i, &o->mig, again,
                        again ? o->again_status_error : o->status_error,
                        again && o->err_msg_again ? o->err_msg_again : o->err_msg);
}

/* `virsh WORDS` on host, exit 0 required (ignore_status False). */
static int ap_virsh_ok(struct run_ctx *ctx, int host, const char *const *words,
                       struct run_virsh *r)
{
    if (run_virsh_words(ctx, host, words, r) < 0)
        return run_error(ctx, "CmdError", "virsh %s: %s", words[0], err_msg());
    if (r->status)
        return run_error(ctx, "CmdError", "virsh %s: exit %d: %s", words[0], r->status,
                         r->err.buf);
    return 0;
}

/* verify_test after the aborted migration. */
static int ap_after_abort(struct run_ctx *ctx, const struct ap_opts *o, struct ap_state *st,
                          const char *dom)
{
    struct strbuf state = STRBUF_INIT;
    struct run_virsh r = RUN_VIRSH_INIT;
    bool gone;
    int rc = 0;
    if (run_base_domstate(ctx, 0, dom, &state, &gone) < 0)
        rc = run_error(ctx, "CmdError", "%s", err_msg());
    else if (gone || strcmp(state.buf, o->src_expect))
        rc = run_fail(ctx, "StateCheck", "Failed to get VM state '%s' on source host (it is "
                      "%s)", o->src_expect, gone ? "absent" : state.buf);
    else
        run_log(ctx, "the guest is %s on the source, as expected", state.buf);
    if (rc == 0 && !strcmp(o->src_expect, "paused")) {
        const char *words[] = { "resume", dom, NULL };
        rc = ap_virsh_ok(ctx, 0, words, &r);
    }
    if (rc == 0 && o->dest_expect && !strcmp(o->dest_expect, "nonexist")) {
        const char *words[] = { "list", "--all", "--persistent", "--name", NULL };
        run_virsh_release(&r);
        r = (struct run_virsh)RUN_VIRSH_INIT;
        if ((rc = ap_virsh_ok(ctx, 1, words, &r)) == 0) {
            if (mig_tl_search(dom, r.out.buf) == 1)
                rc = run_fail(ctx, "StateCheck", "Unexpected %s found on the dest host.", dom);
            else
                run_log(ctx, "no %s listed on the destination, as expected", dom);
        }
    }
    if (rc == 0 && st->ev_src)
        rc = run_base_events_check(ctx, st->ev_src, "expected_event_src", o->events_src);
    if (rc == 0 && st->ev_dst)
        rc = run_base_events_check(ctx, st->ev_dst, "expected_event_target", o->events_dst);
    if (rc == 0 && st->jobs)
        rc = run_base_jobpoll_check(ctx, st->jobs, o->job_types);
    run_virsh_release(&r);
    strbuf_release(&state);
    return rc;
}

static int ap_run(struct run_ctx *ctx)
{
    const struct ap_opts *o = ctx->opts;
    struct ap_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    struct run_virsh r = RUN_VIRSH_INIT;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    /* setup_test: the downtime allowed, the job types polled */
    if (o->abort_mig && !strcmp(o->abort_mig, "abort_during_vm_downtime")) {
        const char *words[] = { "migrate-setmaxdowntime", dom, "1000000", NULL };
        int rc = ap_virsh_ok(ctx, 0, words, &r);
        run_virsh_release(&r);
        if (rc < 0)
            return -1;
    }
    if (!(st->jobs = run_base_jobpoll_start(ctx, 0, dom)))
        return -1;
    if ((o->events_src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
        (o->events_dst && !(st->ev_dst = run_base_events_start(ctx, 1))))
        return -1;
    bool both = o->mig.postcopy && *o->mig.postcopy;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    int rc = ap_hop(ctx, o, st, i, false);
    if (rc < 0 || ap_after_abort(ctx, o, st, dom) < 0)
        return -1;
    /* run_migration_again: the VM started where it is not running, logged into */
    if (run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
    if ((rc = ap_hop(ctx, o, st, i, true)) < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_abort_precopy_migration = {
    .name = "abort_precopy_migration",
    .summary = "tp-libvirt's abort_precopy_migration: domjobabort during precopy or while "
               "the guest is stopped for the switchover; states, events and the job types "
               "seen (None, Unbounded, Cancelled, None); a second migration succeeds",
    .needs = { .vms = 1, .hosts = 2, .rows = ap_needs, .rows_last = ap_needs_last },
    .params = ap_params,
    .opts_size = sizeof(struct ap_opts),
    .check = ap_check,
    .setup = ap_setup,
    .run = ap_run,
    .cleanup = ap_cleanup,
};
