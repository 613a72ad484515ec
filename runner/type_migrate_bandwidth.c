/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_bandwidth`: tp-libvirt's legacy
 * libvirt/tests/src/migration/migrate_bandwidth.py (avocado-vt's MigrationTest) on the
 * timeline engine (runner/run_tl.h).
 *
 * The guest's disk is on the lab's shared storage (set_vm_disk).  With
 * check_str_local_log the source daemon logs at debug level (libvirtd_conf_dict's
 * log_level / log_outputs: libvirtd.conf, restarted in place, restored after).  The VM
 * runs and is logged into (ping_vm before the migration: the login is over its
 * network).  Speeds set before, each with its exit status only logged as the
 * reference's virsh_args leave it: set_precopy_speed_before_vm_start (the domain shut
 * off, set, started again), set_precopy_speed_before_mig and
 * set_postcopy_speed_before_mig, then get_speed against exp_migrate_speed (a mismatch
 * FAILs).  stress_package in the guest.  The migration (virsh_migrate_options,
 * virsh_migrate_extra + postcopy_options) runs check_bandwidth 3 s after the destination
 * domain shows up paused (stor.check_bandwidth, runner/run_tl_stor.c): get_speed when
 * the words name a bandwidth, set_postcopy_in_precopy_phase, the switch to postcopy
 * (migrate_postcopy_cmd), set_postcopy_in_postcopy_phase.  check_result (status_error,
 * err_msg); after a migration that succeeded the guest is reached where it landed;
 * then check_str_local_log's regex in the source daemon's log.
 *
 * Not built, an ERROR naming it: libvirtd_conf_dict keys other than the log's, and
 * virsh_options (virsh's own options).  Cases whose check_bandwidth acts on a precopy
 * not slowed down before it CANCEL for KVM: a TCG guest's migration ends before it.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
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

struct mbw_opts {
    struct run_base_mig mig;
    bool status_error, postcopy_cmd;
    const char *err_msg, *exp_speed, *str_log, *conf_dict;
    const char *pre_before_start, *pre_before_mig, *post_before_mig;
    const char *in_precopy, *in_postcopy, *stress_tool, *stress_args;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mbw_opts, __VA_ARGS__)
static const struct run_param mbw_params[] = {
    RUN_BASE_MIG_ROWS(struct mbw_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail (check_result)" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "exp_migrate_speed", AT(STR, exp_speed),
      .doc = "a dict literal: precopy_speed / postcopy_speed migrate-getspeed must print" },
    { "migrate_postcopy_cmd", AT(BOOL, postcopy_cmd), .def = "yes",
      .doc = "check_bandwidth switches the migration to postcopy (migrate-postcopy)" },
    { "set_precopy_speed_before_vm_start", AT(STR, pre_before_start),
      .doc = "MiB/s set while the domain is shut off, before it starts" },
    { "set_precopy_speed_before_mig", AT(STR, pre_before_mig),
      .doc = "MiB/s set on the running domain before the migration" },
    { "set_postcopy_speed_before_mig", AT(STR, post_before_mig),
      .doc = "postcopy MiB/s set on the running domain before the migration" },
    { "set_postcopy_in_precopy_phase", AT(STR, in_precopy),
      .doc = "postcopy MiB/s check_bandwidth sets before the switch (read by the step)" },
    { "set_postcopy_in_postcopy_phase", AT(STR, in_postcopy),
      .doc = "postcopy MiB/s check_bandwidth sets after the switch (read by the step)" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "check_str_local_log", AT(REGEX, str_log),
      .doc = "a regex the source daemon's debug log must show after the migration" },
    { "libvirtd_conf_dict", AT(STR, conf_dict),
      .doc = "the source daemon's configuration: only log_level / log_outputs are built "
             "(the debug log check_str_local_log reads)" },
    { NULL },
};
#undef AT

/* ---- dispositions ---------------------------------------------------------------- */

static const char *const mbw_conf_keys[] = { "log_level", "log_outputs" };

/* 1 with *key (the caller frees it) the first key of a libvirtd_conf_dict literal vtrun
 * does not build, 0 none, -1 the text does not read as a dict. */
static int mbw_conf_unbuilt(const char *text, char **key)
{
    struct pylit d;
    *key = NULL;
    if (!text || !*text)
        return 0;
    if (pylit_parse(text, &d) < 0 || d.kind != PYLIT_DICT) {
        pylit_release(&d);
        return -1;
    }
    for (size_t k = 0; k < d.n && !*key; k++) {
        const struct pylit *kk = &d.items[2 * k];
        bool known = false;
        for (size_t j = 0; kk->kind == PYLIT_STR && j < ARRAY_SIZE(mbw_conf_keys); j++)
            known |= !strcmp(kk->s, mbw_conf_keys[j]);
        if (!known)
            *key = xstrdup(kk->kind == PYLIT_STR ? kk->s : "?");
    }
    pylit_release(&d);
    return *key ? 1 : 0;
}

static const char *mbw_unbuilt_param(const struct params *p, const char **val)
{
    char *key = NULL;
    const char *opts = params_get(p, "virsh_options");
    if (opts && *opts) {
        *val = opts;
        return "virsh_options";
    }
    if (mbw_conf_unbuilt(params_get(p, "libvirtd_conf_dict"), &key) == 1) {
        free(key);
        *val = params_get(p, "libvirtd_conf_dict");
        return "libvirtd_conf_dict";
    }
    return NULL;
}

RUN_STOR_UNBUILT_FNS(mbw, "migrate_bandwidth", mbw_unbuilt_param)

static bool mbw_words_have(const struct params *p, const char *word)
{
    static const char *const keys[] = { "virsh_migrate_options", "virsh_migrate_extra",
                                        "postcopy_options" };
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
        if (strstr(params_get_or(p, keys[k], ""), word))
            return true;
    return false;
}

/* check_bandwidth acts on the migration in progress (reads its speeds, sets one, or
 * switches it to postcopy) 3 s after it shows up on the destination; a precopy not
 * slowed down before (no --bandwidth, no speed set before it) is over on a TCG guest by
 * then, so the reference's outcome there is the race's, not the check's. */
static bool mbw_unthrottled(const struct params *p)
{
    const char *extra = params_get_or(p, "virsh_migrate_extra", "");
    const char *post = params_get_or(p, "postcopy_options", "");
    const char *inpre = params_get_or(p, "set_postcopy_in_precopy_phase", "");
    const char *item = params_get_or(p, "jobinfo_item", "");
    bool acts = strstr(extra, "bandwidth") || strstr(post, "bandwidth") || *inpre || *item ||
                !strcmp(params_get_or(p, "migrate_postcopy_cmd", "yes"), "yes");
    bool slowed = mbw_words_have(p, "--bandwidth") ||
                  *params_get_or(p, "set_precopy_speed_before_mig", "") ||
                  *params_get_or(p, "set_precopy_speed_before_vm_start", "");
    return !mbw_unbuilt_applies(p) && acts && !slowed;
}

static const struct run_need mbw_needs[] = {
    { "kvm", .applies = mbw_unthrottled, .capability = "kvm",
      .text = "KVM guests: check_bandwidth acts on the migration 3 s after it starts, and a "
              "precopy not slowed down before it ends sooner on a TCG guest" },
    { NULL },
};

static const struct run_need mbw_needs_last[] = {
    { "not built", .applies = mbw_unbuilt_applies, .met = mbw_unbuilt_met,
      .met_doc = "a setup vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int mbw_check(const struct run_common *c, void *opts)
{
    struct mbw_opts *o = opts;
    struct run_stor_speeds s;
    char *key = NULL;
    if (run_base_words_check(&o->mig) < 0 || run_stor_speeds_read(o->exp_speed, &s) < 0)
        return -1;
    run_stor_speeds_release(&s);
    if (mbw_conf_unbuilt(o->conf_dict, &key) < 0) {
        err_set("param libvirtd_conf_dict = '%s': expected a dict literal", o->conf_dict);
        return -1;
    }
    free(key);
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* ---- the test ------------------------------------------------------------------- */

static int mbw_setup(struct run_ctx *ctx)
{
    return run_bw_setup(ctx, "mbw");
}

/* set_precopy_speed_before_vm_start: destroyed, the speed set, started and logged into. */
static int mbw_speed_shut_off(struct run_ctx *ctx, const char *speed, struct virt_vms *vms,
                              size_t i)
{
    const char *dom = vms->vm[i].domain;
    const char *destroy[] = { "destroy", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = run_virsh_words(ctx, 0, destroy, &r);
    if (rc < 0 || r.status)
        rc = run_error(ctx, "CmdError", "virsh destroy: %s", rc < 0 ? err_msg() : r.err.buf);
    run_virsh_release(&r);
    if (rc == 0 && run_stor_setspeed(ctx, 0, dom, speed, false) < 0)
        rc = run_error(ctx, "CmdError", "virsh migrate-setspeed: %s", err_msg());
    if (rc == 0 && run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (rc == 0 && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "after the start: %s", err_msg());
    return rc;
}

/* The speeds set on the running domain before the migration, then get_speed. */
static int mbw_speed_before(struct run_ctx *ctx, const struct mbw_opts *o, const char *dom)
{
    const struct {
        const char *speed;
        bool postcopy;
    } rows[] = { { o->pre_before_mig, false }, { o->post_before_mig, true } };
    bool any = false;
    for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
        if (!rows[k].speed || !*rows[k].speed)
            continue;
        any = true;
        if (run_stor_setspeed(ctx, 0, dom, rows[k].speed, rows[k].postcopy) < 0)
            return run_error(ctx, "CmdError", "virsh migrate-setspeed: %s", err_msg());
    }
    if (!any)
        return 0;
    struct run_stor_speeds s;
    struct strbuf why = STRBUF_INIT;
    int rc = 0;
    if (run_stor_speeds_read(o->exp_speed, &s) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    enum mig_tl_verdict v = run_stor_get_speed(ctx, 0, dom, &s, &why);
    if (v == MIG_TL_FAIL)
        rc = run_fail(ctx, "SpeedCheck", "%s", why.buf);
    else if (v != MIG_TL_OK)
        rc = run_error(ctx, "CmdError", "%s", why.buf);
    strbuf_release(&why);
    run_stor_speeds_release(&s);
    return rc;
}

static int mbw_run(struct run_ctx *ctx)
{
    const struct mbw_opts *o = ctx->opts;
    struct run_bw_state *st = ctx->data;
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
    if (o->pre_before_start && *o->pre_before_start &&
        mbw_speed_shut_off(ctx, o->pre_before_start, vms, i) < 0)
        goto out;
    if (mbw_speed_before(ctx, o, dom) < 0)
        goto out;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        goto out;
    /* do_migration(func=check_bandwidth) */
    int hop = run_stor_hop(ctx, &o->mig, o->status_error, o->err_msg,
                           "[{'func': 'stor.check_bandwidth', 'func_param': 'params'}]", vms, i);
    if (hop < 0)
        goto out;
    /* ping_vm(uri=dest_uri) after a migration that exited 0 */
    if (hop == 1 && run_mig_landed(ctx, vms, i, 1) < 0)
        goto out;
    if (logs && run_stor_log_check(ctx, 0, o->str_log, &mark) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    return rc;
}

const struct run_type run_type_migrate_bandwidth = {
    .name = "migrate_bandwidth",
    .summary = "tp-libvirt's legacy migrate_bandwidth: precopy/postcopy speeds set before "
               "the start, before or during the migration, or by --bandwidth / "
               "--postcopy-bandwidth; migrate-getspeed must show them; migrate-postcopy; "
               "QEMU's max-bandwidth in the daemon log",
    .needs = { .vms = 1, .hosts = 2, .rows = mbw_needs, .rows_last = mbw_needs_last },
    .params = mbw_params,
    .opts_size = sizeof(struct mbw_opts),
    .check = mbw_check,
    .setup = mbw_setup,
    .run = mbw_run,
    .cleanup = run_bw_cleanup,
};
