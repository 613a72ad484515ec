/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `memory_copy_mode`: tp-libvirt's
 * libvirt/tests/src/migration/memory_copy_mode/memory_copy_mode.py (a MigrationBase
 * case: precopy, and postcopy's default / migrate-postcopy / --postcopy-after-precopy /
 * --timeout-postcopy variants) on the timeline engine (runner/run_tl.h) with base_steps'
 * shared steps (runner/run_base.h).
 *
 * setup_connection; monitor_event: `virsh event --loop --all` on the source
 * (expected_event_src) and the destination (expected_event_target) for the whole
 * test; the source daemon logs at debug level when the case reads its log
 * (check_str_local_log, check_no_str_local_log: libvirtd.conf, restarted in place,
 * restored after).  run_migration: migrate_speed set first, stress in the guest, the
 * migration with action_during_mig (check_established, migrate-postcopy,
 * set_migrate_speed_to_high).  verify_default (states, network, disk, the daemon log),
 * then check_event_output on both sides.  test_case postcopy's verify_postcopy also
 * looks for /dev/userfaultfd in the destination QEMU's namespace on libvirt >= 10.1.0;
 * the hosts' libvirt is older (settings' libvirt_version), so it does not run there
 * either -- with a newer libvirt the case is an ERROR naming it (not built yet).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_bw.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct mc_opts {
    struct run_base_mig mig;
    const char *test_case;
    bool status_error;
    const char *err_msg, *speed, *stress_tool, *stress_args;
    const char *events_src, *events_dst;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mc_opts, __VA_ARGS__)
static const struct run_param mc_params[] = {
    RUN_BASE_MIG_ROWS(struct mc_opts, mig),
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "postcopy: verify_postcopy after verify_default" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    RUN_BASE_POST_ROWS(struct mc_opts),
    { NULL },
};
#undef AT

/* The row also looks at test_case postcopy's verify_postcopy, which needs the hosts'
 * libvirt version (a fact) to say whether it runs. */
static bool mc_unbuilt_row_applies(const struct params *p)
{
    return run_bw_unbuilt_applies(p) || !strcmp(params_get_or(p, "test_case", ""), "postcopy");
}

static int mc_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL;
    (void)n;
    (void)why;
    /* verify_postcopy's lsof of /dev/userfaultfd in the QEMU's namespace */
    if (!run_bw_unbuilt_param(p, &v) && !strcmp(params_get_or(p, "test_case", ""), "postcopy") &&
        f->libvirt_version >= 10001000)
        return run_base_unbuilt_verdict("memory_copy_mode", "test_case", "postcopy "
                                        "(verify_postcopy's /dev/userfaultfd check, libvirt "
                                        ">= 10.1.0)", p);
    return run_bw_unbuilt_verdict("memory_copy_mode", p);
}

/* The case expects the switch to post-copy (a "Post-copy" event) or runs actions after
 * the first iteration, on a migration not slowed down (no migrate_speed): a TCG guest's
 * migration ends in 1-2 s, before migrate-postcopy, --timeout 2/10 or the second pass
 * --postcopy-after-precopy switches on; only hosts running KVM guests under stress,
 * which say so with the capability, run it. */
static bool mc_unthrottled(const struct params *p)
{
    const char *speed = params_get_or(p, "migrate_speed", "");
    const char *acts = params_get_or(p, "action_during_mig", "");
    const char *src = params_get_or(p, "expected_event_src", "");
    const char *dst = params_get_or(p, "expected_event_target", "");
    if (run_bw_unbuilt_applies(p) || *speed)
        return false;
    return *acts || strstr(src, "Post-copy") || strstr(dst, "Post-copy");
}

/* check_str_local_log looks for the postcopy-preempt capability libvirt turns on for
 * --postcopy when QEMU has it under that name: QEMU 8.0 (7.x spells it
 * x-postcopy-preempt, which libvirt does not use). */
static bool mc_preempt_applies(const struct params *p)
{
    return !run_bw_unbuilt_applies(p) &&
           strstr(params_get_or(p, "check_str_local_log", ""), "postcopy-preempt");
}

static int mc_preempt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    if (!f->qemu_version)
        run_facts_need_hosts(f);
    if (!f->qemu_version || f->qemu_version >= 8000000)
        return 1;
    strbuf_addf(why, "QEMU >= 8.0.0 (the postcopy-preempt capability the daemon log must "
                "show), the source host has %llu.%llu.%llu", f->qemu_version / 1000000,
                f->qemu_version / 1000 % 1000, f->qemu_version % 1000);
    return 0;
}

/* check_established with check_local_port and service_to_check virsh (non_p2p) looks
 * on the source for the virsh client's connection to the destination daemon: avocado-vt
 * runs virsh on the source host, vtrun's migration client runs on the machine vtrun
 * runs on, so the source has no such connection to find. */
static bool mc_client_applies(const struct params *p)
{
    return !run_bw_unbuilt_applies(p) &&
           strstr(params_get_or(p, "action_during_mig", ""), "check_established") &&
           !strcmp(params_get_or(p, "check_local_port", "no"), "yes") &&
           !strcmp(params_get_or(p, "service_to_check", ""), "virsh");
}

static int mc_client_met(const struct run_need *n, const struct params *p,
                         struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    strbuf_addstr(why, "vtrun's migration client does not run on the source host");
    return 0;
}

static const struct run_need mc_needs[] = {
    { "client_on_source", .applies = mc_client_applies, .met = mc_client_met,
      .met_doc = "never: vtrun migrates from the machine it runs on",
      .text = "the migration's virsh client running on the source host, whose connection "
              "to the destination daemon check_established looks for there" },
    { "postcopy_preempt", .applies = mc_preempt_applies, .met = mc_preempt_met,
      .met_doc = "the source host's QEMU >= 8.0.0 (settings' qemu_version)",
      .text = "QEMU's postcopy-preempt migration capability (QEMU >= 8.0.0), which the case "
              "looks for in the daemon log" },
    { "kvm", .applies = mc_unthrottled, .capability = "kvm",
      .text = "KVM guests: the case needs a migration still running when it switches to "
              "post-copy or runs its actions, which a TCG guest's migration ends before" },
    { NULL },
};

static const struct run_need mc_needs_last[] = {
    { "not built", .applies = mc_unbuilt_row_applies, .met = mc_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int mc_check(const struct run_common *c, void *opts)
{
    struct mc_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0 ||
        run_tls_regex_list_check("expected_event_src", o->events_src) < 0 ||
        run_tls_regex_list_check("expected_event_target", o->events_dst) < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static int mc_setup(struct run_ctx *ctx)
{
    return run_bw_setup(ctx, "mc");
}

static bool mc_reads_log(const struct run_ctx *ctx)
{
    const char *in = params_get_or(ctx->params, "check_str_local_log", "");
    const char *out = params_get_or(ctx->params, "check_no_str_local_log", "");
    return *in || *out;
}

static int mc_run(struct run_ctx *ctx)
{
    const struct mc_opts *o = ctx->opts;
    struct run_bw_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct virt_log_mark mark = { 0 };
    bool logs = mc_reads_log(ctx);
    bool both = o->mig.postcopy && *o->mig.postcopy;
    int rc = -1;

    if (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0)
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    if (run_bw_events_start(ctx, st, o->events_src, o->events_dst) < 0)
        goto out;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed, both) < 0)
        goto out;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        goto out;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        goto out;
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        goto out;
    if (logs && run_tls_log_check(ctx, 0, "local", &mark) < 0)
        goto out;
    if (run_bw_events_check(ctx, st, o->events_src, o->events_dst) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    return rc;
}

const struct run_type run_type_memory_copy_mode = {
    .name = "memory_copy_mode",
    .summary = "tp-libvirt's memory_copy_mode: precopy and postcopy migrations (default, "
               "migrate-postcopy, --postcopy-after-precopy, --timeout-postcopy) judged by "
               "the events of both sides and the daemon log",
    .needs = { .vms = 1, .hosts = 2, .rows = mc_needs, .rows_last = mc_needs_last },
    .params = mc_params,
    .opts_size = sizeof(struct mc_opts),
    .check = mc_check,
    .setup = mc_setup,
    .run = mc_run,
    .cleanup = run_bw_cleanup,
};
