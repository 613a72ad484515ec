/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_maxdowntime`: tp-libvirt's
 * libvirt/tests/src/migration/migration_performance_tuning/migration_maxdowntime.py (a
 * MigrationBase case) on the timeline engine (runner/run_tl.h) with base_steps' shared
 * steps (runner/run_base.h).
 *
 * test_case's setup: default_maxdowntime, `virsh migrate-getmaxdowntime DOM` is
 * compared_value (else the FAIL "Get default maxdowntime error: X");
 * set_maxdowntime_before_mig, `virsh migrate-setmaxdowntime DOM compared_value` (exit
 * not 0: the FAIL "Set maxdowntime before migration failed.") read back the same way.
 * run_migration: stress in the guest, the migration with action_during_mig
 * (check_domjobinfo_during_mig, set_maxdowntime_during_mig, set_migrate_speed_to_high).
 * verify_maxdowntime: check_domjobinfo --completed on "Total downtime:" (its
 * compare_to_value unset in the configs: nothing compared, as in avocado-vt), then
 * verify_default.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_bw.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct md_opts {
    struct run_base_mig mig;
    const char *test_case;
    bool status_error;
    const char *err_msg, *compared, *compare, *ignore, *diff_rate;
    const char *stress_tool, *stress_args;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct md_opts, __VA_ARGS__)
static const struct run_param md_params[] = {
    RUN_BASE_MIG_ROWS(struct md_opts, mig),
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "default_maxdowntime, set_maxdowntime_before_mig: the setup before it" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "compared_value", AT(STR, compared), .def = "",
      .doc = "the max downtime (ms) read back / set" },
    { "compare_to_value", AT(STR, compare),
      .doc = "verify_maxdowntime: domjobinfo --completed's Total downtime against it" },
    { "domjob_ignore_status", AT(STR, ignore),
      .doc = "any text: a difference is logged, not failed" },
    { "diff_rate", AT(STR, diff_rate), .def = "0", .doc = "the difference allowed" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    RUN_BASE_POST_ROWS(struct md_opts),
    { NULL },
};
#undef AT

static int md_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_bw_unbuilt_verdict("migration_maxdowntime", p);
}

/* Its actions run after the first iteration of a migration not slowed down (no
 * migrate_speed): a TCG guest's is over before they run (set_maxdowntime_during_mig
 * then finds no job), so only hosts running KVM guests, which say so with the
 * capability, run it. */
static bool md_unthrottled(const struct params *p)
{
    const char *speed = params_get_or(p, "migrate_speed", "");
    const char *acts = params_get_or(p, "action_during_mig", "");
    return !run_bw_unbuilt_applies(p) && !*speed && *acts;
}

static const struct run_need md_needs[] = {
    { "kvm", .applies = md_unthrottled, .capability = "kvm",
      .text = "KVM guests: its actions run after the first iteration of a migration not "
              "slowed down, which a TCG guest's migration ends before they run" },
    { NULL },
};

static const struct run_need md_needs_last[] = {
    { "not built", .applies = run_bw_unbuilt_applies, .met = md_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int md_check(const struct run_common *c, void *opts)
{
    struct md_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct md_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
};

static int md_setup(struct run_ctx *ctx)
{
    struct md_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void md_cleanup(struct run_ctx *ctx)
{
    struct md_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

/* `virsh migrate-getmaxdowntime DOM` stripped is compared_value, else the FAIL "what: X". */
static int md_readback(struct run_ctx *ctx, const struct md_opts *o, const char *dom,
                       const char *what)
{
    const char *words[] = { "migrate-getmaxdowntime", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh migrate-getmaxdowntime: %s", err_msg());
    else {
        const char *s = r.out.buf + strspn(r.out.buf, " \t\r\n");
        size_t len = strlen(s);
        while (len && strchr(" \t\r\n", s[len - 1]))
            len--;
        if (len != strlen(o->compared) || strncmp(s, o->compared, len))
            rc = run_fail(ctx, "MaxDowntime", "%s: %.*s", what, (int)len, s);
        else
            run_log(ctx, "migrate-getmaxdowntime: %s, as expected", o->compared);
    }
    run_virsh_release(&r);
    return rc;
}

static int md_setup_case(struct run_ctx *ctx, const struct md_opts *o, const char *dom)
{
    if (!strcmp(o->test_case, "default_maxdowntime"))
        return md_readback(ctx, o, dom, "Get default maxdowntime error");
    if (strcmp(o->test_case, "set_maxdowntime_before_mig"))
        return 0;
    const char *words[] = { "migrate-setmaxdowntime", dom, o->compared, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh migrate-setmaxdowntime: %s", err_msg());
    else if (r.status)
        rc = run_fail(ctx, "MaxDowntime", "Set maxdowntime before migration failed.");
    run_virsh_release(&r);
    return rc ? rc : md_readback(ctx, o, dom, "Get maxdowntime error");
}

/* verify_maxdowntime's check_domjobinfo(vm, params, option="--completed") with
 * jobinfo_item "Total downtime:": nothing without compare_to_value, as in avocado-vt. */
static int md_verify_downtime(struct run_ctx *ctx, const struct md_opts *o, const char *dom)
{
    if (!o->compare || !*o->compare)
        return 0;
    const char *words[] = { "domjobinfo", dom, "--completed", NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    struct strbuf off = STRBUF_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh domjobinfo --completed: %s", err_msg());
    else {
        int d = run_perf_jobinfo_judge(r.out.buf, "Total downtime:", o->compare,
                                       strtod(o->diff_rate, NULL), &off);
        if (d < 0)
            rc = run_error(ctx, "ConfigError", "compare_to_value = '%s'", o->compare);
        else if (d > 0 && o->ignore && *o->ignore)
            run_log(ctx, "%s (domjob_ignore_status: logged only)", off.buf);
        else if (d > 0)
            rc = run_fail(ctx, "JobInfo", "%s", off.buf);
    }
    strbuf_release(&off);
    run_virsh_release(&r);
    return rc;
}

static int md_run(struct run_ctx *ctx)
{
    const struct md_opts *o = ctx->opts;
    struct md_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (md_setup_case(ctx, o, dom) < 0)
        return -1;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0 || md_verify_downtime(ctx, o, dom) < 0)
        return -1;
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migration_maxdowntime = {
    .name = "migration_maxdowntime",
    .summary = "tp-libvirt's migration_maxdowntime: the default max downtime, one set before "
               "or during the migration (migrate-setmaxdowntime / getmaxdowntime), "
               "domjobinfo during it",
    .needs = { .vms = 1, .hosts = 2, .rows = md_needs, .rows_last = md_needs_last },
    .params = md_params,
    .opts_size = sizeof(struct md_opts),
    .check = md_check,
    .setup = md_setup,
    .run = md_run,
    .cleanup = md_cleanup,
};
