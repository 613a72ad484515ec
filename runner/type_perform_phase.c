/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `kill_qemu_during_performphase` and `destroy_vm_during_performphase`:
 * tp-libvirt's libvirt/tests/src/migration/destructive_operations_around_live_migration/
 * kill_qemu_during_performphase.py and libvirt/tests/src/migration/async_ops/
 * destroy_vm_during_performphase.py (MigrationBase cases) on the timeline engine
 * (runner/run_tl.h) with base_steps' shared steps (runner/run_base.h).
 *
 * Both: the VM starts on the source and is logged into; `virsh event --loop --all`
 * runs on the source (expected_event_src) and the destination (expected_event_target)
 * for the whole test; the speed is set (migrate_speed), stress runs in the guest
 * (stress_package), and the migration's action (action_during_mig) ends it during
 * the PerformPhase: kill_service of qemu-kvm kills the domain's QEMU on the source or
 * (service_on_dst) the destination (runner/run_tl_perform.c), virsh.destroy destroys
 * the domain on the source or on the host its dict's uri names.  The migration must
 * fail with err_msg (status_error).  Then the reference's verify_test:
 *  - kill: the source's domain is expected_src_state, the destination has no domain
 *    (expected_dest_state nonexist); a source shut off is started and logged into;
 *    the event lists are checked; the VM migrates again (migrate_again:
 *    migrate_again_status_error, err_msg_again, virsh_migrate_extra_mig_again,
 *    migrate_speed_again), and verify_default checks both sides and the guest after a
 *    second migration that succeeded;
 *  - destroy: the source's domain is expected_src_state, `virsh list --all
 *    --persistent` on the destination does not name it (nonexist); the VM migrates
 *    again and verify_default runs, then the event lists are checked.
 *
 * Not done as the reference: verify_default's 25 s sleep before its checks (nothing is
 * judged during it).  What the reference does and vtrun does not build (the rows of
 * pp_unbuilt_rows, an action func without a step) makes the case an ERROR naming it.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct pp_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again, *speed, *speed_again;
    const char *stress_tool, *stress_args;
    const char *src_expect, *dest_expect;
    const char *events_src, *events_dst;
    const char *service, *test_case;
    const char *dest_state, *src_state;     /* RUN_BASE_POST_ROWS */
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pp_opts, __VA_ARGS__)
static const struct run_param pp_params[] = {
    { "virsh_migrate_options", AT(STR, mig.options), .def = "--live --verbose",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "virsh_migrate_extra", AT(STR, mig.extra), .doc = "more words after the options" },
    { "postcopy_options", AT(STR, mig.postcopy),
      .doc = "more words after the extra ones (and migrate_speed for postcopy too)" },
    { "copy_storage_option", AT(STR, mig.copy_storage), .doc = "more words, last" },
    /* base_steps tests it as Python does: a blank value (" ") is set, and replaces the
     * extra words of the second migration with none */
    { "virsh_migrate_extra_mig_again", AT(STR, mig.extra_again), .empty_is_value = true,
      .doc = "the second migration's words after the options (+ copy_storage_option)" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the first migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "service_name", AT(STR, service), .def = "libvirtd",
      .doc = "kill_service's process: qemu-kvm (the domain's QEMU) or libvirtd" },
    { "test_case", AT(STR, test_case), .doc = "the variant (logged)" },
    { "expected_src_state", AT(STR, src_expect),
      .doc = "the source domain's state after the first migration" },
    { "expected_dest_state", AT(STR, dest_expect),
      .doc = "nonexist: no such domain on the destination after it" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { "migrate_speed_again", AT(STR, speed_again),
      .doc = "MiB/s set before the second migration" },
    RUN_BASE_POST_ROWS(struct pp_opts),
    { NULL },
};
#undef AT

/* The reference's setups vtrun does not build for these types. */
static const struct run_base_unbuilt pp_unbuilt_rows[] = {
    { "set_remote_libvirtd_log", "yes" },
    { "check_cont_ping", "yes" },
    { "check_vm_conn_before_migration", "yes" },
    { "do_migration_during_mig", "yes" },
    { "transport_type", "tls" },
    { "migrate_desturi_type", "tls" },
    { "migrate_desturi_type", "unix_proxy" },
};

static const char *pp_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(pp_unbuilt_rows, ARRAY_SIZE(pp_unbuilt_rows), p, val);
}

static bool pp_unbuilt_applies(const struct params *p)
{
    const char *v;
    return pp_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int pp_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = pp_unbuilt_param(p, &v);
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict(n->types, param, v, p);
}

/* Above this bandwidth (MiB/s) the lab's TCG guest is migrated before the engine's
 * first action runs (3 s after the destination's domain shows, more with
 * need_sleep_time): at --bandwidth 1000 its 122 MiB went in 2.1 s (about 60 MiB/s over
 * the lab's bridge), and the kill landed on the migrated guest. */
#define PP_THROTTLED_MIBS 25

/* The first migration's bandwidth: virsh's --bandwidth word (it overrides the
 * domain's migrate-setspeed for that job), else migrate_speed; 0 none. */
static long pp_bandwidth(const struct params *p)
{
    static const char *const keys[] = { "virsh_migrate_extra", "virsh_migrate_options" };
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        const char *v = params_get(p, keys[k]);
        const char *w = v ? strstr(v, "--bandwidth") : NULL;
        if (w)
            return strtol(w + strlen("--bandwidth"), NULL, 10);
    }
    return strtol(params_get_or(p, "migrate_speed", "0"), NULL, 10);
}

/* Its action must land while the migration runs; a migration the case does not slow
 * down (no bandwidth, or one above PP_THROTTLED_MIBS: kill_qemu's --bandwidth 1000)
 * is over before it on the lab's TCG guest: only hosts with KVM guests (dirtying memory as the
 * reference's 1 GiB RHEL guest does, over a real link) run it.  What is not built
 * stays an ERROR (decided first). */
static bool pp_unthrottled(const struct params *p)
{
    const char *v;
    long bw = pp_bandwidth(p);
    return !pp_unbuilt_param(p, &v) && !run_base_actions_unbuilt(p) &&
           (bw <= 0 || bw > PP_THROTTLED_MIBS);
}

#define PP_NEEDS_ROW(id, type, row)                                                       \
    static const struct run_need id##_needs[] = { row, { NULL } };                        \
    static const struct run_need id##_needs_last[] = {                                    \
        { "not built", .types = type, .applies = pp_unbuilt_applies,                      \
          .met = pp_unbuilt_met,                                                          \
          .met_doc = "a setup or an action vtrun does not build yet (ERROR)",             \
          .text = "a setup of the reference vtrun does not build yet" },                  \
        { NULL },                                                                         \
    }
#define PP_UNTHROTTLED_KVM                                                                \
    { "kvm", .applies = pp_unthrottled, .capability = "kvm",                              \
      .text = "KVM guests: its action runs during a migration the case does not slow "   \
              "down (virsh --bandwidth above 25 MiB/s or none), which a TCG guest's "     \
              "migration ends before it runs" }
#define PP_NEEDS(id, type) PP_NEEDS_ROW(id, type, PP_UNTHROTTLED_KVM)

PP_NEEDS(kq, "kill_qemu_during_performphase");
PP_NEEDS(dv, "destroy_vm_during_performphase");

static bool pp_built(const struct params *p)
{
    return !pp_unbuilt_applies(p);
}

/* The needs of the types added after the PerformPhase ones.  On the lab their
 * reading of the run does not hold:
 *  - the FinishPhase cases switch to postcopy 10 s into a migration at 10 MiB/s and
 *    check the source paused (post-copy) 5 s later: the reference's 1 GiB KVM guest
 *    is still in postcopy then, the lab's 128 MiB TCG guest was migrated (seen: the
 *    check found it 'shut off (migrated)');
 *  - stop_virtqemud's err_msg is how a stopped virtqemud's connections end under
 *    systemd on a modular host (the virsh client on the source with qemu:///system,
 *    the source's qemu+tcp connection to the destination); the lab's monolithic
 *    libvirtd, stopped by its stand-in, and vtrun's client over SSH read otherwise
 *    (seen: "End of file while reading data: virt-ssh-helper ...", "internal error:
 *    client socket is closed"). */
#define PP_FINISH_KVM                                                                     \
    { "kvm", .applies = pp_built, .capability = "kvm",                                    \
      .text = "KVM guests with the reference's memory: its check of the source paused "  \
              "in postcopy 15 s into a migration at 10 MiB/s, which a 128 MiB TCG "      \
              "guest's migration has finished by then" }
PP_NEEDS_ROW(kf, "kill_qemu_during_finishphase", PP_FINISH_KVM);
PP_NEEDS_ROW(df, "destroy_vm_during_finishphase", PP_FINISH_KVM);
#define PP_STOPPED_VIRTQEMUD                                                              \
    { "modular_daemons", .applies = pp_built, .capability = "modular_daemons",            \
      .text = "libvirt's modular daemons (virtqemud stopped under systemd), and the "    \
              "migrating virsh client on the source host (qemu:///system): the case's "  \
              "err_msg is how their connections end; the lab's monolithic libvirtd and " \
              "vtrun's client over SSH end them otherwise" }
PP_NEEDS_ROW(sv, "stop_virtqemud_during_performphase", PP_STOPPED_VIRTQEMUD);

static int pp_check(const struct run_common *c, void *opts)
{
    struct pp_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (strcmp(o->service, "qemu-kvm") && strcmp(o->service, "libvirtd") &&
        strcmp(o->service, "virtqemud")) {
        err_set("param service_name = '%s': expected qemu-kvm, libvirtd or virtqemud",
                o->service);
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct pp_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_base_events *ev_src, *ev_dst;
    struct virt_hostops *ops;       /* stop_virtqemud's daemon stopped: started again */
};

static int pp_setup(struct run_ctx *ctx)
{
    struct pp_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    st->ops = virt_hostops_new("ppsvc", &st->vms.conf.vctx);
    return 0;
}

/* Start the daemon a step stopped and reconnect to both hosts. */
static int pp_daemons_back(struct run_ctx *ctx, struct pp_state *st)
{
    if (virt_hostops_undo(st->ops) < 0)
        return run_error(ctx, "TestSetupError", "start the stopped daemon again: %s",
                         err_msg());
    for (int h = 0; h < 2; h++)
        virt_vms_reconnect(&st->vms, h);
    return 0;
}

static void pp_cleanup(struct run_ctx *ctx)
{
    struct pp_state *st = ctx->data;
    if (!st)
        return;
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    if (st->ops) {
        pp_daemons_back(ctx, st);
        virt_hostops_free(st->ops);
    }
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

static bool pp_is_kill(const struct run_ctx *ctx)
{
    /* kill_qemu_during_{perform,finish}phase and stop_virtqemud_during_performphase
     * word their checks alike (virsh.domain_exists on the destination) */
    return !strncmp(ctx->type->name, "kill_qemu_", 10) ||
           !strncmp(ctx->type->name, "stop_virtqemud_", 15);
}

/* libvirt.check_vm_state on the source: its state's words are want's. */
static int pp_src_state(struct run_ctx *ctx, const char *dom, const char *want)
{
    struct strbuf state = STRBUF_INIT;
    bool gone;
    int rc = 0;
    if (!want)
        return 0;
    if (run_base_domstate(ctx, 0, dom, &state, &gone) < 0)
        rc = run_error(ctx, "CmdError", "%s", err_msg());
    else if (gone || strcmp(state.buf, want))
        rc = run_fail(ctx, "StateCheck", pp_is_kill(ctx)
                      ? "Migrated VM failed to be in %s state at source (it is %s)."
                      : "Check of expected VM state (%s) on source host failed (it is %s).",
                      want, gone ? "absent" : state.buf);
    else
        run_log(ctx, "the guest is %s on the source, as expected", state.buf);
    strbuf_release(&state);
    return rc;
}

/* expected_dest_state nonexist on the destination: kill's virsh.domain_exists (any
 * domain of that name), destroy's `virsh list --all --persistent` not naming it. */
static int pp_dest_gone(struct run_ctx *ctx, const char *dom, const char *want)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    bool kill = pp_is_kill(ctx);
    const char *dominfo[] = { "domstate", dom, NULL };
    const char *list[] = { "list", "--all", "--persistent", NULL };
    int rc = 0;
    if (!want || strcmp(want, "nonexist"))
        return 0;
    if (run_virsh_words(ctx, 1, kill ? dominfo : list, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh %s: %s", kill ? "domstate" : "list", err_msg());
    else if (kill ? r.status == 0 : r.status == 0 && strstr(r.out.buf, dom) != NULL)
        rc = run_fail(ctx, "StateCheck", kill ? "The domain on target host is found, but "
                      "expected not" : "%s should not exist.", dom);
    else if (!kill && r.status)
        rc = run_error(ctx, "CmdError", "virsh list: exit %d: %s", r.status, r.err.buf);
    else
        run_log(ctx, "no %s on the destination, as expected", dom);
    run_virsh_release(&r);
    return rc;
}

static int pp_events_check(struct run_ctx *ctx, const struct pp_opts *o, struct pp_state *st)
{
    if (st->ev_src &&
        run_base_events_check(ctx, st->ev_src, "expected_event_src", o->events_src) < 0)
        return -1;
    if (st->ev_dst &&
        run_base_events_check(ctx, st->ev_dst, "expected_event_target", o->events_dst) < 0)
        return -1;
    return 0;
}

/* run_migration_again, then verify_default after a migration that succeeded. */
static int pp_again(struct run_ctx *ctx, const struct pp_opts *o, struct pp_state *st,
                    size_t i)
{
    struct virt_vms *vms = &st->vms;
    if (run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
    bool both = o->mig.postcopy && *o->mig.postcopy;
    if (o->speed_again && *o->speed_again &&
        run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed_again, both) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, true, o->again_status_error,
                          o->err_msg_again);
    if (rc < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

/* The guest up and logged into, the events watched (monitor_event, for the whole
 * test), the speed set, stress started, then the first migration with its actions
 * (ops: the record a daemon's stop goes to): run_tl_hop's returns. */
static int pp_first_hop(struct run_ctx *ctx, const struct pp_opts *o, struct pp_state *st,
                        size_t i, struct virt_hostops *ops)
{
    struct virt_vms *vms = &st->vms;
    const char *dom = vms->vm[i].domain;
    if (o->test_case)
        run_log(ctx, "test_case %s", o->test_case);
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if ((o->events_src && *o->events_src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
        (o->events_dst && *o->events_dst && !(st->ev_dst = run_base_events_start(ctx, 1))))
        return -1;
    bool both = o->mig.postcopy && *o->mig.postcopy;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    return run_base_hop_ops(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg, ops);
}

static int pp_run(struct run_ctx *ctx)
{
    const struct pp_opts *o = ctx->opts;
    struct pp_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool kill = pp_is_kill(ctx);

    int rc = pp_first_hop(ctx, o, st, i, NULL);
    if (rc < 0)
        return -1;
    /* verify_test */
    if (pp_src_state(ctx, dom, o->src_expect) < 0 || pp_dest_gone(ctx, dom, o->dest_expect) < 0)
        return -1;
    if (kill) {
        /* a source shut off is started and logged into, then the events checked */
        if (o->src_expect && !strcmp(o->src_expect, "shut off")) {
            if (run_tl_start_on_source(ctx, vms, i) < 0)
                return -1;
            if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
                return run_error(ctx, "LoginError", "after the start: %s", err_msg());
        }
        if (pp_events_check(ctx, o, st) < 0)
            return -1;
        if (!o->migrate_again) {
            /* verify_default after the first migration, which succeeded only when the
             * case expects that */
            return rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state,
                                                  o->src_state, o->network_check,
                                                  o->disk_check) < 0 ? -1 : 0;
        }
        return pp_again(ctx, o, st, i);
    }
    if (o->migrate_again && pp_again(ctx, o, st, i) < 0)
        return -1;
    return pp_events_check(ctx, o, st);
}

/* libvirt.check_vm_state on the destination (an expected state other than nonexist),
 * then, when it is running there, virsh destroy of it there (the FinishPhase cases'
 * verify_test; destroy's wait for the domain to show again is not judged). */
static int pp_dest_running(struct run_ctx *ctx, const char *dom, const char *want)
{
    struct strbuf state = STRBUF_INIT;
    struct run_virsh r = RUN_VIRSH_INIT;
    bool gone;
    int rc = 0;
    if (!want || !strcmp(want, "nonexist"))
        return 0;
    if (run_base_domstate(ctx, 1, dom, &state, &gone) < 0)
        rc = run_error(ctx, "CmdError", "%s", err_msg());
    else if (gone || strcmp(state.buf, want))
        rc = run_fail(ctx, "StateCheck", "Migrated VM failed to be in %s state at dest "
                      "(it is %s).", want, gone ? "absent" : state.buf);
    else if (!strcmp(want, "running") &&
             run_virsh_words(ctx, 1, (const char *[]){ "destroy", dom, NULL }, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh destroy on the destination: %s", err_msg());
    else
        run_log(ctx, "the guest is %s on the destination, as expected", state.buf);
    run_virsh_release(&r);
    strbuf_release(&state);
    return rc;
}

/* The source's guest up again after the first migration: destroyed first when it is
 * not shut off (destroy_vm's vm.destroy(), kill_qemu's paused source), then started
 * and logged into. */
static int pp_source_again(struct run_ctx *ctx, struct virt_vms *vms, size_t i,
                           bool destroy)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    if (destroy) {
        int rc = run_virsh_words(ctx, 0, (const char *[]){ "destroy", vms->vm[i].domain,
                                                           NULL }, &r);
        run_virsh_release(&r);
        if (rc < 0)
            return run_error(ctx, "CmdError", "virsh destroy on the source: %s", err_msg());
    }
    if (run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "after the start: %s", err_msg());
    return 0;
}

/* kill_qemu_during_finishphase / destroy_vm_during_finishphase: the migration switched
 * to postcopy, its source checked paused (post-copy), then the QEMU killed or the
 * domain destroyed; verify_test, then kill: the events, run_migration_again and
 * verify_default; destroy: run_migration_again, verify_default, then the events. */
static int pp_finish_run(struct run_ctx *ctx)
{
    const struct pp_opts *o = ctx->opts;
    struct pp_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool kill = pp_is_kill(ctx);
    bool src_off = o->src_expect && !strcmp(o->src_expect, "shut off");

    int rc = pp_first_hop(ctx, o, st, i, NULL);
    if (rc < 0)
        return -1;
    if (pp_src_state(ctx, dom, o->src_expect) < 0 || pp_dest_gone(ctx, dom, o->dest_expect) < 0 ||
        pp_dest_running(ctx, dom, o->dest_expect) < 0)
        return -1;
    /* kill: a source shut off is started, a paused one destroyed first; destroy: the
     * source's guest destroyed and started whatever its state */
    bool destroy = kill ? o->src_expect && !strcmp(o->src_expect, "paused") : true;
    if ((!kill || src_off || destroy) && pp_source_again(ctx, vms, i, destroy) < 0)
        return -1;
    if (kill && pp_events_check(ctx, o, st) < 0)
        return -1;
    if (kill && !o->migrate_again)
        return rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                              o->network_check, o->disk_check) < 0 ? -1 : 0;
    if (pp_again(ctx, o, st, i) < 0)
        return -1;
    return kill ? 0 : pp_events_check(ctx, o, st);
}

/* stop_virtqemud_during_performphase: the daemon stopped on a host at the migration's
 * first iteration (libvirt_service.control_service); verify_test starts it again (and
 * vtrun reconnects), the destination has no domain, the source's is
 * expected_src_state; then run_migration_again and verify_default. */
static int pp_stop_run(struct run_ctx *ctx)
{
    const struct pp_opts *o = ctx->opts;
    struct pp_state *st = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = st->vms.vm[i].domain;

    if (pp_first_hop(ctx, o, st, i, st->ops) < 0 || pp_daemons_back(ctx, st) < 0)
        return -1;
    if (pp_dest_gone(ctx, dom, o->dest_expect) < 0 || pp_src_state(ctx, dom, o->src_expect) < 0)
        return -1;
    return pp_again(ctx, o, st, i);
}

#define PP_TYPE(id, tname, text) PP_TYPE_RUN(id, tname, pp_run, text)

/* a type of this family with its own run */
#define PP_TYPE_RUN(id, tname, runfn, text)                                               \
    const struct run_type run_type_##tname = {                                            \
        .name = #tname,                                                                   \
        .summary = text,                                                                  \
        .needs = { .vms = 1, .hosts = 2, .rows = id##_needs, .rows_last = id##_needs_last }, \
        .params = pp_params,                                                              \
        .opts_size = sizeof(struct pp_opts),                                              \
        .check = pp_check,                                                                \
        .setup = pp_setup,                                                                \
        .run = runfn,                                                                     \
        .cleanup = pp_cleanup,                                                            \
    }

PP_TYPE(kq, kill_qemu_during_performphase,
        "tp-libvirt's kill_qemu_during_performphase: the source's or destination's QEMU "
        "killed during the migration's PerformPhase; the migration fails, the guest "
        "stays on (or is gone from) the source, the destination has nothing, events on "
        "both hosts, a second migration succeeds");
PP_TYPE(dv, destroy_vm_during_performphase,
        "tp-libvirt's destroy_vm_during_performphase: the domain destroyed on the "
        "destination or the source during the migration's PerformPhase; the migration "
        "fails, the states and events as expected, a second migration succeeds");
PP_TYPE_RUN(kf, kill_qemu_during_finishphase, pp_finish_run,
            "tp-libvirt's kill_qemu_during_finishphase: the source's or destination's QEMU "
            "killed once a postcopy migration switched to postcopy (source paused "
            "post-copy); the migration fails, the states and events as expected, a "
            "second migration succeeds");
PP_TYPE_RUN(df, destroy_vm_during_finishphase, pp_finish_run,
            "tp-libvirt's destroy_vm_during_finishphase: the domain destroyed on the "
            "destination or the source once a postcopy migration switched to postcopy; "
            "the migration fails, the states as expected, a second migration succeeds, "
            "the events as expected");
PP_TYPE_RUN(sv, stop_virtqemud_during_performphase, pp_stop_run,
            "tp-libvirt's stop_virtqemud_during_performphase: libvirt's QEMU daemon "
            "(libvirtd on a monolithic host) stopped on the source or destination at the "
            "migration's first iteration; the migration fails, the daemon started again, "
            "the destination has no domain, the source's runs, a second migration "
            "succeeds");
