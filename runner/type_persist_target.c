/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `persist_target_vm_and_undefine_src_vm` and
 * `persist_target_vm_and_undefine_src_vm_and_abort`: tp-libvirt's
 * libvirt/tests/src/migration/vm_configuration_and_status/
 * persist_target_vm_and_undefine_src_vm.py and ..._and_abort.py (MigrationBase cases)
 * on the timeline engine with base_steps' shared steps (runner/run_base.h,
 * runner/run_vmconf.h).
 *
 * persist_target_vm_and_undefine_src_vm: the guest runs with avocado-vt's VNC display
 * (autoport); src_config transient: destroyed, undefined and created again from its
 * definition; persistent: its definition's display set to autoport = no, port 6000
 * (the running guest keeps autoport).  It migrates with virsh_migrate_extra
 * (--undefinesource) + persistent_option (--persistent) and must succeed; then the
 * source's domain is gone (--undefinesource, or a transient source), the destination's
 * is persistent (dominfo) with --persistent, its live XML has autoport='yes', and,
 * destroyed there, its definition has the source's: autoport='yes' from a transient
 * source, autoport='no' from a persistent one.
 *
 * ..._and_abort: at migrate_speed with stress in the guest the migration is aborted
 * (check_established after the first iteration, then domjobabort 5 s later) and must
 * fail: the destination has no domain, the source's is still persistent.  With
 * migrate_again it migrates again and must succeed (migrate_again_status_error): the
 * source's domain gone with --undefinesource, the destination's persistent with
 * --persistent.
 *
 * The reference's setup_connection (tcp, its firewall port) is the lab hosts'; its
 * CPU baseline step does nothing on the lab (both hosts have the same CPU).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

enum pt_src { PT_PERSISTENT, PT_TRANSIENT };
static const struct params_word pt_src_words[] = {
    { "persistent", PT_PERSISTENT }, { "transient", PT_TRANSIENT }, { NULL, 0 },
};

struct pt_opts {
    struct run_base_mig mig;
    bool status_error, migrate_again, again_status_error;
    const char *err_msg, *err_msg_again, *persistent, *speed, *stress_tool, *stress_args;
    int src_config;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pt_opts, __VA_ARGS__)
#define PT_COMMON_ROWS                                                                  \
    RUN_BASE_MIG_ROWS(struct pt_opts, mig),                                             \
    { "status_error", AT(BOOL, status_error), .def = "no",                              \
      .doc = "the (first) migration must fail" },                                       \
    { "err_msg", AT(REGEX, err_msg),                                                    \
      .doc = "with status_error: a regex the error text ('error: ...') must match" },   \
    { "persistent_option", AT(STR, persistent),                                         \
      .doc = "a word added to the extra ones (--persistent)" }
static const struct run_param pt_params[] = {
    PT_COMMON_ROWS,
    { "src_config", AT(ENUM, src_config, pt_src_words), .def = "persistent",
      .doc = "the source's domain: persistent (its display's definition at autoport = no) "
             "or transient (created from its definition)" },
    { NULL },
};
static const struct run_param pta_params[] = {
    PT_COMMON_ROWS,
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { NULL },
};
#undef PT_COMMON_ROWS
#undef AT

static int pt_check(const struct run_common *c, void *opts)
{
    struct pt_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool pt_unbuilt_met_applies(const struct params *p)
{
    return run_base_actions_unbuilt(p);
}

static int pt_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("persist_target_vm_and_undefine_src_vm[_and_abort]", NULL,
                                    NULL, p);
}

static const struct run_need pt_needs_last[] = {
    { "not built", .applies = pt_unbuilt_met_applies, .met = pt_unbuilt_met,
      .met_doc = "an action vtrun does not build yet (ERROR)",
      .text = "an action of the reference vtrun does not build yet" },
    { NULL },
};

static bool set(const char *s)
{
    return s && *s;
}

/* The words of a migration: virsh_migrate_extra + persistent_option (setup_test). */
static char *pt_words(const struct pt_opts *o, bool again)
{
    struct run_base_mig m = o->mig;
    char *extra = xasprintf("%s%s%s", o->mig.extra ? o->mig.extra : "",
                            set(o->persistent) ? " " : "", set(o->persistent) ? o->persistent : "");
    m.extra = extra;
    char *w = run_base_words(&m, again);
    free(extra);
    return w;
}

static bool pt_undefinesource(const struct pt_opts *o)
{
    return o->mig.extra && strstr(o->mig.extra, "undefinesource");
}

/* FAIL with what unless domain dom's presence on host h is want. */
static int pt_exists_is(struct run_ctx *ctx, int h, const char *dom, bool want, const char *what)
{
    int on = run_vmconf_exists(ctx, h, dom);
    if (on < 0)
        return run_error(ctx, "TestError", "%s", err_msg());
    if (on != want)
        return run_fail(ctx, "CheckError", "%s", what);
    return 0;
}

/* The guest running on the source with its VNC display, logged into. */
static int pt_start(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    if (run_vmconf_define_vnc(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_start_defined(vms, i, 0) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_should_stop(ctx) ? -1 : run_error(ctx, "LoginError", "%s", err_msg());
    return 0;
}

/* setup_vm: transient, created again from its definition; persistent, its
 * definition's display at autoport = no, port 6000 (the live one keeps autoport). */
static int pt_setup_vm(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct pt_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    const char *dump[] = { "dumpxml", "--inactive", "--security-info", dom, NULL };
    char *xml = NULL, *edited = NULL;
    int rc = run_vmconf_virsh(ctx, 0, dump, &xml);
    if (rc == 0 && o->src_config == PT_TRANSIENT) {
        const char *undef[] = { "undefine", "--nvram", dom, NULL };
        if (virt_vms_destroy(vms, i) < 0 || run_vmconf_virsh(ctx, 0, undef, NULL) < 0 ||
            run_vmconf_define(ctx, 0, dom, xml, true) < 0)
            rc = -1;
        vms->vm[i].host = 0;
        if (rc == 0 && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
            rc = -1;
    } else if (rc == 0) {
        edited = run_vmconf_xml_graphics(xml, "no", "6000");
        rc = edited ? run_vmconf_define(ctx, 0, dom, edited, false) : -1;
    }
    free(xml);
    free(edited);
    if (rc < 0 && !run_should_stop(ctx))
        return run_error(ctx, "TestSetupError", "setup_vm (%s): %s",
                         o->src_config == PT_TRANSIENT ? "transient" : "persistent", err_msg());
    return rc;
}

/* verify_test of persist_target_vm_and_undefine_src_vm. */
static int pt_verify(struct run_ctx *ctx, const char *dom)
{
    const struct pt_opts *o = ctx->opts;
    if ((pt_undefinesource(o) || o->src_config == PT_TRANSIENT) &&
        pt_exists_is(ctx, 0, dom, false, "The domain on source host is found, but expected "
                     "not.") < 0)
        return -1;
    const char *dominfo[] = { "dominfo", dom, NULL };
    if (set(o->persistent) &&
        run_vmconf_expect_out(ctx, 1, dominfo, "Persistent:     yes",
                              "the destination's domain persistent") < 0)
        return -1;
    /* check_autoport */
    const char *dump[] = { "dumpxml", dom, NULL };
    if (run_vmconf_expect_out(ctx, 1, dump, "autoport='yes'",
                              "the destination's live display") < 0)
        return -1;
    if (!set(o->persistent))
        return 0;
    const char *destroy[] = { "destroy", dom, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    run_virsh_words(ctx, 1, destroy, &r);       /* the reference ignores its status */
    run_virsh_release(&r);
    return run_vmconf_expect_out(ctx, 1, dump, o->src_config == PT_TRANSIENT
                                                   ? "autoport='yes'" : "autoport='no'",
                                 "the destination's persistent display");
}

static int pt_run(struct run_ctx *ctx)
{
    const struct pt_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;

    if (pt_start(ctx, vms, i) < 0 || pt_setup_vm(ctx, vms, i) < 0)
        return -1;
    char *words = pt_words(o, false);
    int rc = run_vmconf_hop(ctx, vms, i, words, false, o->status_error, o->err_msg,
                            ctx->common->virsh_migrate_desturi);
    free(words);
    if (rc < 0)
        return -1;
    return pt_verify(ctx, dom);
}

/* verify_test of the abort case: nothing on the destination, the source persistent. */
static int pta_verify(struct run_ctx *ctx, const char *dom)
{
    if (pt_exists_is(ctx, 1, dom, false, "The domain on target host is found, but expected "
                     "not.") < 0)
        return -1;
    const char *list[] = { "list", "--persistent", NULL };
    return run_vmconf_expect_out(ctx, 0, list, dom, "Source vm is not persistent.");
}

/* verify_again: the source's domain gone with --undefinesource, the destination's
 * persistent with --persistent. */
static int pta_verify_again(struct run_ctx *ctx, const char *dom)
{
    const struct pt_opts *o = ctx->opts;
    if (pt_undefinesource(o) &&
        pt_exists_is(ctx, 0, dom, false, "The domain on source host is found, but expected "
                     "not") < 0)
        return -1;
    const char *list[] = { "list", "--persistent", NULL };
    if (set(o->persistent))
        return run_vmconf_expect_out(ctx, 1, list, dom, "target vm is not persistent.");
    return 0;
}

static int pta_run(struct run_ctx *ctx)
{
    const struct pt_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (set(o->speed) && run_base_setspeed(ctx, 0, dom, o->speed, set(o->mig.postcopy)) < 0)
        return -1;
    if (set(o->stress_tool) && run_tl_guest_stress(ctx, vms, i, o->stress_tool,
                                                   o->stress_args) < 0)
        return -1;
    char *words = pt_words(o, false);
    int rc = run_vmconf_hop(ctx, vms, i, words, false, o->status_error, o->err_msg,
                            ctx->common->virsh_migrate_desturi);
    free(words);
    if (rc < 0 || pta_verify(ctx, dom) < 0)
        return -1;
    if (!o->migrate_again)
        return 0;
    /* run_migration_again: the guest started again when it is not running */
    if (run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
    words = pt_words(o, true);
    rc = run_vmconf_hop(ctx, vms, i, words, true, o->again_status_error,
                        o->err_msg_again ? o->err_msg_again : o->err_msg,
                        ctx->common->virsh_migrate_desturi);
    free(words);
    if (rc < 0)
        return -1;
    return pta_verify_again(ctx, dom);
}

const struct run_type run_type_persist_target_vm_and_undefine_src_vm = {
    .name = "persist_target_vm_and_undefine_src_vm",
    .summary = "tp-libvirt's persist_target_vm_and_undefine_src_vm: --persistent / "
               "--undefinesource from a persistent or transient source; the display's "
               "autoport in the destination's live and persistent XML",
    .needs = { .vms = 1, .hosts = 2, .rows_last = pt_needs_last },
    .params = pt_params,
    .opts_size = sizeof(struct pt_opts),
    .check = pt_check,
    .setup = run_vmtype_setup,
    .run = pt_run,
    .cleanup = run_vmtype_cleanup,
};

const struct run_type run_type_persist_target_vm_and_undefine_src_vm_and_abort = {
    .name = "persist_target_vm_and_undefine_src_vm_and_abort",
    .summary = "tp-libvirt's persist_target_vm_and_undefine_src_vm_and_abort: a "
               "--persistent / --undefinesource migration aborted (domjobabort), the "
               "source kept; migrated again, the words' effects",
    .needs = { .vms = 1, .hosts = 2, .rows_last = pt_needs_last },
    .params = pta_params,
    .opts_size = sizeof(struct pt_opts),
    .check = pt_check,
    .setup = run_vmtype_setup,
    .run = pta_run,
    .cleanup = run_vmtype_cleanup,
};
