/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_bandwidth`: tp-libvirt's
 * libvirt/tests/src/migration/migration_resource_limit/migration_bandwidth.py (a
 * MigrationBase case; migration_postcopy_bandwidth and
 * migration_precopy_and_postcopy_bandwidth) on the timeline engine (runner/run_tl.h)
 * with base_steps' shared steps (runner/run_base.h).
 *
 * monitor_event: `virsh event --loop --all` on the source for the whole test when
 * expected_event_src is set.  The source daemon logs at debug level for
 * check_str_local_log / check_postcopy_log (libvirtd.conf, restarted in place,
 * restored after).  test_case's setup: default_bandwidth, `virsh migrate-getspeed DOM`
 * must print compare_to_value (else the FAIL "Default bandwidth is not 0.");
 * set_bandwidth_when_vm_running, migration_base.set_bandwidth (postcopy_bandwidth with
 * --postcopy, then precopy_bandwidth, each read back).  run_migration: stress in the
 * guest, the migration with action_during_mig (migrate-postcopy, set_bandwidth,
 * check_domjobinfo_during_mig / check_domjobinfo_precopy, set_migrate_speed_to_high).
 * verify_test: verify_default (states, network, disk, check_str_local_log), then
 * check_postcopy_log in the daemon log, then the source's events.
 *
 * Not built yet, an ERROR naming it: another transport than tcp, and the actions the
 * engine has no step for (runner/run_tl.c).
 */

#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_bw.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_stor.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct mb_opts {
    struct run_base_mig mig;
    const char *test_case;
    bool status_error;
    const char *err_msg, *compare, *precopy_bw, *postcopy_bw;
    const char *stress_tool, *stress_args, *str_log, *postcopy_log, *events_src;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mb_opts, __VA_ARGS__)
static const struct run_param mb_params[] = {
    RUN_BASE_MIG_ROWS(struct mb_opts, mig),
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "default_bandwidth: migrate-getspeed is compare_to_value first; "
             "set_bandwidth_when_vm_running: set_bandwidth before the migration" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "compare_to_value", AT(STR, compare),
      .doc = "default_bandwidth: what migrate-getspeed prints; the checks' MiB/s" },
    { "precopy_bandwidth", AT(STR, precopy_bw), .doc = "set_bandwidth's precopy MiB/s" },
    { "postcopy_bandwidth", AT(STR, postcopy_bw), .doc = "set_bandwidth's postcopy MiB/s" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "check_str_local_log", AT(STR, str_log),
      .doc = "a list of regexes the source daemon's debug log must show" },
    { "check_postcopy_log", AT(REGEX, postcopy_log),
      .doc = "a regex the source daemon's debug log must show" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    RUN_BASE_POST_ROWS(struct mb_opts),
    { NULL },
};
#undef AT

static int mb_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_bw_unbuilt_verdict("migration_bandwidth", p);
}

/* Its actions run after the first iteration.  A precopy not slowed down before that
 * (no precopy_bandwidth set while the guest runs, no --bandwidth in the words) is over
 * on a TCG guest before they run (the lab's: 1-2 s), so only hosts running KVM guests,
 * which say so with the capability, run it. */
static bool mb_unthrottled(const struct params *p)
{
    static const char *const words[] = { "virsh_migrate_options", "virsh_migrate_extra",
                                         "postcopy_options" };
    const char *tc = params_get_or(p, "test_case", "");
    const char *pre = params_get_or(p, "precopy_bandwidth", "");
    if (run_bw_unbuilt_applies(p) || (!strcmp(tc, "set_bandwidth_when_vm_running") && *pre))
        return false;
    for (size_t k = 0; k < ARRAY_SIZE(words); k++)
        if (strstr(params_get_or(p, words[k], ""), "--bandwidth"))
            return false;
    return true;
}

static const struct run_need mb_needs[] = {
    { "kvm", .applies = mb_unthrottled, .capability = "kvm",
      .text = "KVM guests: its actions run after the first iteration of a precopy not slowed "
              "down before it, which a TCG guest's migration ends before they run" },
    { NULL },
};

static const struct run_need mb_needs_last[] = {
    { "not built", .applies = run_bw_unbuilt_applies, .met = mb_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int mb_check(const struct run_common *c, void *opts)
{
    struct mb_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0 ||
        run_tls_regex_list_check("check_str_local_log", o->str_log) < 0 ||
        run_tls_regex_list_check("expected_event_src", o->events_src) < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static int mb_setup(struct run_ctx *ctx)
{
    return run_bw_setup(ctx, "mb");
}

/* `virsh WORDS` on the source, exit 0 required (ignore_status False); out in r. */
static int mb_virsh_ok(struct run_ctx *ctx, const char *const *words, struct run_virsh *r)
{
    if (run_virsh_words(ctx, 0, words, r) < 0)
        return run_error(ctx, "CmdError", "virsh %s: %s", words[0], err_msg());
    if (r->status)
        return run_error(ctx, "CmdError", "virsh %s: exit %d: %s", words[0], r->status,
                         r->err.buf);
    return 0;
}

/* migration_base.set_bandwidth: each speed set (ignore_status False), then read back
 * (logged); postcopy first, as the Python does. */
static int mb_set_bandwidth(struct run_ctx *ctx, const struct mb_opts *o, const char *dom)
{
    const struct {
        const char *speed, *flag;
    } rows[] = { { o->postcopy_bw, "--postcopy" }, { o->precopy_bw, NULL } };
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < ARRAY_SIZE(rows); k++) {
        if (!rows[k].speed || !*rows[k].speed)
            continue;
        const char *set[] = { "migrate-setspeed", dom, rows[k].speed, rows[k].flag, NULL };
        const char *get[] = { "migrate-getspeed", dom, rows[k].flag, NULL };
        struct run_virsh r = RUN_VIRSH_INIT;
        rc = mb_virsh_ok(ctx, set, &r);
        run_virsh_release(&r);
        if (rc == 0 && run_virsh_words(ctx, 0, get, &r) == 0)
            run_log(ctx, "migrate-getspeed %s: %s%s", rows[k].flag ? rows[k].flag : "",
                    r.out.buf, r.err.buf);
        run_virsh_release(&r);
    }
    return rc;
}

/* setup_default_bandwidth: migrate-getspeed's output stripped is compare_to_value. */
static int mb_default_speed(struct run_ctx *ctx, const struct mb_opts *o, const char *dom)
{
    const char *get[] = { "migrate-getspeed", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    if (run_virsh_words(ctx, 0, get, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh migrate-getspeed: %s", err_msg());
    else {
        const char *s = r.out.buf + strspn(r.out.buf, " \t\r\n");
        size_t len = strlen(s);
        while (len && strchr(" \t\r\n", s[len - 1]))
            len--;
        const char *want = o->compare ? o->compare : "";
        if (len != strlen(want) || strncmp(s, want, len))
            rc = run_fail(ctx, "SpeedCheck", "Default bandwidth is not 0.");
        else {
            run_log(ctx, "migrate-getspeed: %s, as expected", want);
            rc = 0;
        }
    }
    run_virsh_release(&r);
    return rc;
}

static int mb_setup_case(struct run_ctx *ctx, const struct mb_opts *o, const char *dom)
{
    if (!strcmp(o->test_case, "default_bandwidth"))
        return mb_default_speed(ctx, o, dom);
    if (!strcmp(o->test_case, "set_bandwidth_when_vm_running"))
        return mb_set_bandwidth(ctx, o, dom);
    return 0;
}

static int mb_run(struct run_ctx *ctx)
{
    const struct mb_opts *o = ctx->opts;
    struct run_bw_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    struct virt_log_mark mark = { 0 };
    bool logs = (o->str_log && *o->str_log) || (o->postcopy_log && *o->postcopy_log);
    int rc = -1;

    if (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0)
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    if (run_bw_events_start(ctx, st, o->events_src, NULL) < 0)
        goto out;
    if (mb_setup_case(ctx, o, dom) < 0)
        goto out;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        goto out;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        goto out;
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        goto out;
    if (o->str_log && *o->str_log && run_tls_log_check(ctx, 0, "local", &mark) < 0)
        goto out;
    if (o->postcopy_log && *o->postcopy_log && run_stor_log_check(ctx, 0, o->postcopy_log, &mark) < 0)
        goto out;
    if (run_bw_events_check(ctx, st, o->events_src, NULL) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    return rc;
}

const struct run_type run_type_migration_bandwidth = {
    .name = "migration_bandwidth",
    .summary = "tp-libvirt's migration_bandwidth: postcopy (and precopy) bandwidth set while "
               "running, by --postcopy-bandwidth/--bandwidth or during the migration; "
               "domjobinfo's memory bandwidth; QEMU's parameters in the daemon log; events",
    .needs = { .vms = 1, .hosts = 2, .rows = mb_needs, .rows_last = mb_needs_last },
    .params = mb_params,
    .opts_size = sizeof(struct mb_opts),
    .check = mb_check,
    .setup = mb_setup,
    .run = mb_run,
    .cleanup = run_bw_cleanup,
};
