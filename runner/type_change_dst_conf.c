/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `change_dst_vm_conf`: tp-libvirt's
 * libvirt/tests/src/migration/vm_configuration_and_status/change_dst_vm_conf.py (a
 * MigrationBase case) on the timeline engine with base_steps' shared steps
 * (runner/run_base.h, runner/run_vmconf.h).
 *
 * The guest is defined with avocado-vt's VNC display (display = vnc, autoport) and
 * left shut off (start_vm = no); then the words of the case are added to
 * virsh_migrate_extra as the reference adds them: --persistent, --dname NAME, --xml
 * FILE (xml_exist: the --migratable definition with its display's autoport = no and
 * port 6666; else a file that does not exist) and --persistent-xml FILE
 * (persistent_xml_exist: the inactive definition with xml_title as its title; else a
 * missing file).  The guest starts and is logged into, migrates (a missing file fails
 * as virsh fails, judged by status_error / err_msg), and after a migration that
 * succeeded: with --dname the guest reached, the source's state and the destination's
 * (the new name), else verify_default; the destination's XML holds the new name and
 * autoport='no' (xml_exist); destroyed there, a --persistent domain stays defined
 * (shut off, listed under its new name, the --persistent-xml title in its inactive
 * XML), any other is gone.
 *
 * The reference's setup_connection (migrate_desturi_type tcp, its firewall port) is
 * the lab hosts' (their TCP listener; no firewall).  Nothing of it is left unbuilt.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "runner/run_vmconf.h"
#include "runner/type_option_mix.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* the reference's paths of the files that must not exist */
#define DCF_XML_MISSING "/var/tmp/xml_non_exist_test"
#define DCF_PXML_MISSING "/var/tmp/persistent_xml_non_exist_test"

struct dcf_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *speed;
    const char *persistent, *dname, *title, *xml_path, *pxml_path;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct dcf_opts, __VA_ARGS__)
static const struct run_param dcf_params[] = {
    RUN_BASE_MIG_ROWS(struct dcf_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "persistent_option", AT(STR, persistent),
      .doc = "a word added to the extra ones (--persistent)" },
    { "dname", AT(STR, dname), .doc = "the domain's name on the destination (--dname)" },
    { "xml_title", AT(STR, title), .doc = "the title the --persistent-xml file gives" },
    { "xml_path", AT(STR, xml_path),
      .doc = "--xml: xml_exist (the display at autoport = no, port 6666), else a "
             "missing file" },
    { "persistent_xml_path", AT(STR, pxml_path),
      .doc = "--persistent-xml: persistent_xml_exist (xml_title), else a missing file" },
    RUN_BASE_POST_ROWS(struct dcf_opts),
    { NULL },
};
#undef AT

static int dcf_check(const struct run_common *c, void *opts)
{
    struct dcf_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool set(const char *s)
{
    return s && *s;
}

struct dcf_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    char *dname;                    /* the destination's domain to remove */
};

static int dcf_setup(struct run_ctx *ctx)
{
    struct dcf_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void dcf_cleanup(struct run_ctx *ctx)
{
    struct dcf_state *st = ctx->data;
    if (!st)
        return;
    if (st->dname && virt_vms_remove_domain(&st->vms, 1, st->dname) < 0)
        run_left_behind(ctx, st->dname);
    free(st->dname);
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

/* One --xml / --persistent-xml file: the definition dumped with flag, edited, written
 * to the result directory; its path into words. */
static int dcf_file(struct run_ctx *ctx, const char *dom, const char *flag, bool title,
                    const char *word, const char *name, struct strbuf *words)
{
    const struct dcf_opts *o = ctx->opts;
    const char *dump[] = { "dumpxml", flag, dom, NULL };
    char *xml = NULL, *edited = NULL, *path = NULL;
    if (run_vmconf_virsh(ctx, 0, dump, &xml) == 0)
        edited = title ? omix_xml_set_title(xml, o->title ? o->title : "")
                       : run_vmconf_xml_graphics(xml, "no", "6666");
    if (edited)
        path = run_vmconf_file(ctx, name, edited);
    free(xml);
    free(edited);
    if (!path)
        return run_error(ctx, "TestSetupError", "%s file: %s", word, err_msg());
    strbuf_addf(words, " %s '%s'", word, path);     /* split as a shell */
    free(path);
    return 0;
}

/* setup_test's extra words, in the reference's order. */
static int dcf_extra(struct run_ctx *ctx, const char *dom, struct strbuf *extra)
{
    const struct dcf_opts *o = ctx->opts;
    strbuf_addstr(extra, o->mig.extra ? o->mig.extra : "");
    if (set(o->persistent))
        strbuf_addf(extra, " %s", o->persistent);
    if (set(o->dname))
        strbuf_addf(extra, " --dname %s", o->dname);
    if (set(o->xml_path)) {
        if (strcmp(o->xml_path, "xml_exist"))
            strbuf_addstr(extra, " --xml " DCF_XML_MISSING);
        else if (dcf_file(ctx, dom, "--migratable", false, "--xml", "dst-conf-xml.xml",
                          extra) < 0)
            return -1;
    }
    if (set(o->pxml_path)) {
        if (strcmp(o->pxml_path, "persistent_xml_exist"))
            strbuf_addstr(extra, " --persistent-xml " DCF_PXML_MISSING);
        else if (dcf_file(ctx, dom, "--inactive", true, "--persistent-xml",
                          "dst-conf-persistent.xml", extra) < 0)
            return -1;
    }
    return 0;
}

/* verify_test after a migration that succeeded. */
static int dcf_verify(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct dcf_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    const char *name = set(o->dname) ? o->dname : dom;

    if (set(o->dname)) {
        int status = -1;
        if (virt_vms_exec(vms, i, "true", 60, NULL, &status) < 0 || status)
            return run_fail(ctx, "PostMigrationCheck", "the guest is not reached after the "
                            "migration: %s", status > 0 ? "login failed" : err_msg());
        if (run_vmconf_state_is(ctx, 0, dom, o->src_state,
                         "When with '--dname', check source vm state failed") < 0 ||
            run_vmconf_state_is(ctx, 1, o->dname, o->dest_state,
                         "When with '--dname', check dest vm state failed") < 0)
            return -1;
    } else if (run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                   o->network_check, o->disk_check) < 0) {
        return -1;
    }
    const char *dump[] = { "dumpxml", name, NULL };
    if (set(o->dname) && run_vmconf_expect_out(ctx, 1, dump, o->dname,
                                               "the new name in the destination's XML") < 0)
        return -1;
    if (set(o->xml_path) &&
        run_vmconf_expect_out(ctx, 1, dump, strcmp(o->xml_path, "xml_exist") ? "autoport='yes'"
                                                                           : "autoport='no'",
                              "the display of the destination's XML") < 0)
        return -1;
    const char *destroy[] = { "destroy", name, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    run_virsh_words(ctx, 1, destroy, &r);       /* the reference ignores its status */
    run_virsh_release(&r);
    if (!set(o->persistent)) {
        int on = run_vmconf_exists(ctx, 1, name);
        if (on < 0)
            return run_error(ctx, "TestError", "%s", err_msg());
        return on ? run_fail(ctx, "CheckError", "The domain is found on the target host, but "
                             "expected not.") : 0;
    }
    if (run_vmconf_state_is(ctx, 1, name, "shut off", "When migration with '--persistent', check "
                     "dest vm state failed") < 0)
        return -1;
    const char *list[] = { "list", "--all", NULL };
    if (set(o->dname) && run_vmconf_expect_out(ctx, 1, list, o->dname,
                                               "the new name in the destination's list") < 0)
        return -1;
    if (set(o->pxml_path)) {
        const char *inactive[] = { "dumpxml", "--inactive", "--security-info", name, NULL };
        char *title = xasprintf("<title>%s</title>", o->title ? o->title : "");
        int rc = run_vmconf_expect_out(ctx, 1, inactive, title, "'--persistent-xml' title");
        free(title);
        return rc;
    }
    return 0;
}

static int dcf_run(struct run_ctx *ctx)
{
    const struct dcf_opts *o = ctx->opts;
    struct dcf_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    struct strbuf extra = STRBUF_INIT;
    int rc = -1;

    if (run_vmconf_define_vnc(ctx, vms, i) < 0 || dcf_extra(ctx, dom, &extra) < 0)
        goto out;
    if (virt_vms_start_defined(vms, i, 0) < 0) {
        run_error(ctx, "VMCreateError", "%s", err_msg());
        goto out;
    }
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
        if (!run_should_stop(ctx))
            run_error(ctx, "LoginError", "%s", err_msg());
        goto out;
    }
    if (set(o->speed) && run_base_setspeed(ctx, 0, dom, o->speed, set(o->mig.postcopy)) < 0)
        goto out;
    if (set(o->dname))
        st->dname = xstrdup(o->dname);
    struct run_base_mig m = o->mig;
    m.extra = extra.buf;
    char *words = run_base_words(&m, false);
    rc = run_vmconf_hop(ctx, vms, i, words, false, o->status_error, o->err_msg,
                        ctx->common->virsh_migrate_desturi);
    free(words);
    /* status_error: verify_default, which checks nothing after a failed migration */
    if (rc == 1)
        rc = dcf_verify(ctx, vms, i);
out:
    strbuf_release(&extra);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_change_dst_vm_conf = {
    .name = "change_dst_vm_conf",
    .summary = "tp-libvirt's change_dst_vm_conf: --persistent [--persistent-xml], --xml "
               "(the display's port), --dname; the destination's XML, list and title",
    .needs = { .vms = 1, .hosts = 2 },
    .params = dcf_params,
    .opts_size = sizeof(struct dcf_opts),
    .check = dcf_check,
    .setup = dcf_setup,
    .run = dcf_run,
    .cleanup = dcf_cleanup,
};
