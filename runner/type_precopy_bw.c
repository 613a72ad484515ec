/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_precopy_bandwidth`: tp-libvirt's
 * libvirt/tests/src/migration/migration_performance_tuning/migration_precopy_bandwidth.py
 * (a MigrationBase case) on the timeline engine (runner/run_tl.h) with base_steps'
 * shared steps (runner/run_base.h).
 *
 * The source daemon logs at debug level (check_str_local_log: libvirtd.conf, restarted
 * in place, restored after).  test_case set_bandwidth_when_vm_shutoff: the domain shut
 * off, `virsh migrate-setspeed DOM precopy_bandwidth` (then migrate-getspeed), started
 * again and logged into; the other cases set it by migrate_speed, by --bandwidth or by
 * set_bandwidth during the migration.  Under stress in the guest the VM migrates;
 * check_domjobinfo_during_mig compares domjobinfo's "Memory bandwidth" with the speed
 * (domjob_ignore_status: logged), then the speed is set high.  verify_default, then
 * what QEMU was told: migrate-set-parameters with that max-bandwidth in the log.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct pb_opts {
    struct run_base_mig mig;
    const char *test_case, *bandwidth;
    bool status_error;
    const char *err_msg, *speed, *stress_tool, *stress_args, *str_log;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pb_opts, __VA_ARGS__)
static const struct run_param pb_params[] = {
    RUN_BASE_MIG_ROWS(struct pb_opts, mig),
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "set_bandwidth_when_vm_shutoff: the speed set while the domain is shut off" },
    { "precopy_bandwidth", AT(STR, bandwidth), .doc = "MiB/s the shut-off domain gets" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "check_str_local_log", AT(STR, str_log),
      .doc = "a list of regexes the source daemon's debug log must show" },
    RUN_BASE_POST_ROWS(struct pb_opts),
    { NULL },
};
#undef AT

static bool pb_unbuilt_applies(const struct params *p)
{
    return run_tl_any_action_unbuilt(p) || run_base_actions_read(p) < 0;
}

static int pb_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("migration_precopy_bandwidth", NULL, NULL, p);
}

/* Its actions run after the first iteration: a migration not slowed down before that
 * (default_bandwidth; set_bandwidth_during_live_migration slows it in the actions) is
 * over on a TCG guest before they run, so only hosts running KVM guests run it. */
static bool pb_unthrottled(const struct params *p)
{
    const char *speed = params_get(p, "migrate_speed");
    const char *extra = params_get_or(p, "virsh_migrate_extra", "");
    const char *tc = params_get_or(p, "test_case", "");
    return !pb_unbuilt_applies(p) && (!speed || !*speed) && !strstr(extra, "--bandwidth") &&
           strcmp(tc, "set_bandwidth_when_vm_shutoff");
}

static const struct run_need pb_needs[] = {
    { "kvm", .applies = pb_unthrottled, .capability = "kvm",
      .text = "KVM guests: its actions run during a migration not slowed down before its "
              "first iteration, which a TCG guest's migration ends before they run" },
    { NULL },
};

static const struct run_need pb_needs_last[] = {
    { "not built", .applies = pb_unbuilt_applies, .met = pb_unbuilt_met,
      .met_doc = "an action vtrun does not build yet (ERROR)",
      .text = "an action of the reference vtrun does not build yet" },
    { NULL },
};

static int pb_check(const struct run_common *c, void *opts)
{
    struct pb_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0 ||
        run_tls_regex_list_check("check_str_local_log", o->str_log) < 0)
        return -1;
    if (!strcmp(o->test_case, "set_bandwidth_when_vm_shutoff") &&
        (!o->bandwidth || !*o->bandwidth)) {
        err_set("test_case = 'set_bandwidth_when_vm_shutoff' needs precopy_bandwidth");
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct pb_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct virt_hostops *ops;       /* the daemon's log configuration */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
};

static int pb_setup(struct run_ctx *ctx)
{
    struct pb_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *tag = xasprintf("pb%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

static void pb_cleanup(struct run_ctx *ctx)
{
    struct pb_state *st = ctx->data;
    if (!st)
        return;
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

/* setup_set_bandwidth_when_vm_shutoff: destroyed, migrate-setspeed (ignore_status
 * False), migrate-getspeed, started and logged into. */
static int pb_speed_shut_off(struct run_ctx *ctx, const struct pb_opts *o, struct virt_vms *vms,
                             size_t i)
{
    const char *dom = vms->vm[i].domain;
    const char *destroy[] = { "destroy", dom, NULL };
    const char *get[] = { "migrate-getspeed", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, destroy, &r) < 0 || r.status)
        rc = run_error(ctx, "CmdError", "virsh destroy: %s", r.status ? r.err.buf : err_msg());
    run_virsh_release(&r);
    if (rc == 0 && run_base_setspeed(ctx, 0, dom, o->bandwidth, false) < 0)
        return -1;
    if (rc == 0 && run_virsh_words(ctx, 0, get, &r) == 0)
        run_log(ctx, "migrate-getspeed of the shut-off domain: %s%s", r.out.buf, r.err.buf);
    run_virsh_release(&r);
    if (rc == 0 && run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (rc == 0 && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "after the start: %s", err_msg());
    return rc;
}

static int pb_run(struct run_ctx *ctx)
{
    const struct pb_opts *o = ctx->opts;
    struct pb_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    struct virt_log_mark mark = { 0 };
    bool logs = o->str_log && *o->str_log;
    int rc = -1;

    if (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0)
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    if (!strcmp(o->test_case, "set_bandwidth_when_vm_shutoff") &&
        pb_speed_shut_off(ctx, o, vms, i) < 0)
        goto out;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, false) < 0)
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
    rc = 0;
out:
    virt_log_mark_free(&mark);
    return rc;
}

const struct run_type run_type_migration_precopy_bandwidth = {
    .name = "migration_precopy_bandwidth",
    .summary = "tp-libvirt's migration_precopy_bandwidth: the precopy bandwidth set while "
               "shut off, running, by --bandwidth or during the migration; domjobinfo's "
               "memory bandwidth; max-bandwidth in QEMU's migrate-set-parameters (log)",
    .needs = { .vms = 1, .hosts = 2, .rows = pb_needs, .rows_last = pb_needs_last },
    .params = pb_params,
    .opts_size = sizeof(struct pb_opts),
    .check = pb_check,
    .setup = pb_setup,
    .run = pb_run,
    .cleanup = pb_cleanup,
};
