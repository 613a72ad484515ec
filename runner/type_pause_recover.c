/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `pause_by_domjobabort_and_recover`: tp-libvirt's
 * libvirt/tests/src/migration/pause_postcopy_migration_and_recover/
 * pause_by_domjobabort_and_recover.py (a MigrationBase case) on the timeline engine
 * (runner/run_tl.h) with base_steps' shared steps (runner/run_base.h).
 *
 * The VM starts on the source and is logged into; `virsh event --loop --all` runs on
 * the source (expected_event_src) and the destination (expected_event_target) for the
 * whole test.  run_migration: migrate-setspeed migrate_speed (precopy and postcopy),
 * stress in the guest, then the postcopy migration (virsh_migrate_options + extra +
 * postcopy_options) with action_during_mig: check_established after "iteration: '1'",
 * `domjobabort --postcopy` 5 s later, do_common_check (domjobinfo Unbounded / Outgoing
 * migration on the source, the source paused and the destination running, the
 * statistics commands).  The migration must fail with err_msg: the postcopy is paused
 * on both sides.  run_migration_again with postcopy_resume_migration: no VM start, the
 * words of virsh_migrate_extra_mig_again (--postcopy-resume), action_during_mig_again
 * before the pause (do_common_check, the speed set high), judged by
 * migrate_again_status_error.  verify_test: dominfo on the destination matches
 * dominfo_check, `virsh domtime` there succeeds (the guest agent), then verify_default's
 * post_migration_check and the event lists.
 *
 * `virsh domtime` needs the QEMU guest agent in the guest: a case CANCELs for
 * `guest_agent` unless the settings declare the hosts' guests run it; the domain gets
 * the agent's virtio-serial channel (be_vm_spec.guest_agent), as virt-install gives
 * avocado-vt's VMs.  The tls variant: certificates made into custom_pki_path on both
 * hosts as TLSConnection makes them (runner/run_tl_tls.h; undone on every path) and
 * --tls before the first migration's extra words (setup_network_data_transport).
 * migration_options: xml (setup_xml: the live --migratable definition, its title
 * update_xml_title, as --xml FILE after the first migration's extra words),
 * persistent (setup_persistent: the inactive definition titled update_persist_title
 * as --persistent --persistent-xml FILE), read as virsh reads them; postcopy_bandwidth
 * (--postcopy-bandwidth initiating_bandwidth; do_common_check's check_domjobinfo of
 * jobinfo_item against second_bandwidth, run_perf_jobinfo_check).  Variants vtrun
 * does not build (dname; a unix_proxy or ssh transport) are ERRORs naming them.
 * What dname would have to do, settled from the reference: the first migration's
 * extra is --dname dname_value (do_common_check then looks at the destination's
 * domain under that name, run_base's jobinfo check already does), the recovery's
 * words repeat it; verify_test runs dominfo and domtime on dname_value on the
 * destination, then, when the recovery's virsh exited 0, avocado-vt's
 * post_migration_check([vm], dest_uri=...) checks the VM under its OLD name is
 * virsh_migrate_dest_state (running) on the destination: that domain does not exist
 * there, so the reference always ends in TestFail("Got the wrong VM state.") before
 * its domstate and event checks.  Building it needs run_tl_hop to follow a renamed
 * domain through the paused and resumed hops and the cleanup to remove dname_value
 * from the destination (as type_option_mix.c's renamed does).  undefinesource
 * CANCELs (resume_undefinesource: no libvirt leaves the source undefined as it
 * expects).
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
#include "runner/run_vmconf.h"
#include "runner/type_option_mix.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct pr_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error, migrate_again, resume;
    const char *err_msg, *err_msg_again;
    const char *speed, *speed_again;
    const char *stress_tool, *stress_args;
    const char *dominfo_check, *migration_options;
    const char *dest_state, *src_state;
    const char *events_src, *events_dst;
    bool network_check, disk_check;
    const char *data_transport, *transport;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pr_opts, __VA_ARGS__)
static const struct run_param pr_params[] = {
    RUN_BASE_MIG_ROWS(struct pr_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail (the postcopy paused)" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration (precopy, "
      "and postcopy with postcopy_options)" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "postcopy_resume_migration", AT(BOOL, resume), .def = "no",
      .doc = "the second migration resumes the paused postcopy (no VM start)" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again),
      .doc = "the second migration's error regex (else err_msg)" },
    { "migrate_speed_again", AT(STR, speed_again),
      .doc = "MiB/s set before the second migration" },
    { "dominfo_check", AT(REGEX, dominfo_check),
      .doc = "a regex `virsh dominfo` on the destination must match" },
    { "migration_options", AT(STR, migration_options),
      .doc = "the variant: migrateuri, no_options, xml, persistent, postcopy_bandwidth "
             "(built); dname (not yet); undefinesource (CANCEL)" },
    { "virsh_migrate_dest_state", AT(STR, dest_state), .def = "running",
      .doc = "the destination's state after a migration that succeeded" },
    { "virsh_migrate_src_state", AT(STR, src_state), .def = "shut off",
      .doc = "the source's state after it ('failed to get domain': none)" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    { "check_network_accessibility_after_mig", AT(BOOL, network_check), .def = "no",
      .doc = "the guest reached over its network after the migration" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "a line written to the guest's disk after the migration" },
    { "network_data_transport", AT(STR, data_transport),
      .doc = "tls: the first migration's extra words get --tls "
             "(setup_network_data_transport)" },
    { "transport_type", AT(STR, transport),
      .doc = "tls: QEMU's TLS certificates made into custom_pki_path on both hosts "
             "(server_cn, client_cn; TLSConnection with qemu_tls), the hosts' own put "
             "back afterwards" },
    { NULL },
};
#undef AT

/* The variants and setups of the reference vtrun does not build: an ERROR naming them. */
static const struct {
    const char *param, *values;     /* values: blank-separated; NULL: any but "no" */
} pr_unbuilt_rows[] = {
    { "migration_options", "dname" },
    { "transport_type", "unix_proxy ssh" },
    { "migrate_desturi_type", "tls unix_proxy" },
    { "set_remote_libvirtd_log", NULL },
    { "check_cont_ping", NULL },
    { "do_migration_during_mig", NULL },
};

static bool pr_word_in(const char *w, const char *words)
{
    size_t n = strlen(w);
    for (const char *s = words; (s = strstr(s, w)); s += n)
        if ((s == words || s[-1] == ' ') && (s[n] == ' ' || !s[n]))
            return true;
    return false;
}

static const char *pr_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(pr_unbuilt_rows); k++) {
        const char *v = params_get(p, pr_unbuilt_rows[k].param);
        if (!v || !*v || (pr_unbuilt_rows[k].values ? !pr_word_in(v, pr_unbuilt_rows[k].values)
                                                    : !strcmp(v, "no")))
            continue;
        *val = v;
        return pr_unbuilt_rows[k].param;
    }
    return NULL;
}

static bool pr_always(const struct params *p)
{
    (void)p;
    return true;
}

static int pr_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = pr_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (run_base_actions_read(p) < 0)
        return -1;
    return run_tl_unbuilt_verdict("pause_by_domjobabort_and_recover", param, v, p);
}

static const struct run_need pr_needs[] = {
    { "guest_agent", .when = { { "type" } }, .capability = "guest_agent",
      .text = "virsh domtime on the destination needs the QEMU guest agent (qemu-ga) in "
              "the guest" },
    /* The variant migrates with --undefinesource --persistent, resumes with the words of
     * virsh_migrate_extra_mig_again (no --undefinesource, as base_steps'
     * run_migration_again passes them) and then wants the source domain gone.  libvirt's
     * qemuMigrationSrcConfirm undefines the source only when the flags of the call that
     * completes the migration -- the resume's -- carry VIR_MIGRATE_UNDEFINE_SOURCE (9.0
     * and master alike): the source keeps its shut-off definition, under avocado-vt
     * too.  No capability: no libvirt does what the case expects. */
    { "resume_undefinesource", .when = { { "migration_options", .eq = "undefinesource" } },
      .text = "a libvirt that undefines the source when a --postcopy-resume without "
              "--undefinesource completes a migration started with --undefinesource "
              "(libvirt undefines it only for the completing call's own flags; the source "
              "keeps its definition and the case's 'failed to get domain' cannot hold)" },
    { NULL },
};

static const struct run_need pr_needs_last[] = {
    { "not built", .applies = pr_always, .met = pr_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int pr_check(const struct run_common *c, void *opts)
{
    struct pr_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct pr_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_base_events *ev_src, *ev_dst;
    struct run_base_mig mig;        /* the options' words, extra with --tls */
    char *tls_extra;
    char *opt_extra;                /* extra with the xml / persistent variant's file */
    struct virt_hostops *ops;       /* the TLS certificates */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
};

static bool pr_is(const char *v, const char *want)
{
    return v && !strcmp(v, want);
}

static int pr_setup(struct run_ctx *ctx)
{
    struct pr_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    /* verify_test's `virsh domtime` talks to the guest agent over its channel */
    const struct pr_opts *o = ctx->opts;
    st->vms.vm[o->main_vm].spec->guest_agent = true;
    /* setup_network_data_transport: --tls before the first migration's extra words
     * only; the resume's words are virsh_migrate_extra_mig_again as they are */
    st->mig = o->mig;
    if (pr_is(o->data_transport, "tls")) {
        st->tls_extra = xasprintf("--tls %s", o->mig.extra ? o->mig.extra : "");
        st->mig.extra = st->tls_extra;
    }
    if (pr_is(o->transport, "tls")) {
        char *tag = xasprintf("pr%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
        st->vctx = st->vms.conf.vctx;
        st->ops = virt_hostops_new(tag, &st->vctx);
        free(tag);
    }
    return 0;
}

static void pr_cleanup(struct run_ctx *ctx)
{
    struct pr_state *st = ctx->data;
    if (!st)
        return;
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    run_vmset_cleanup(ctx, &st->vms);
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    free(st->tls_extra);
    free(st->opt_extra);
    free(st);
    ctx->data = NULL;
}

/* One migration with its actions: run_tl_hop's returns. */
static int pr_hop(struct run_ctx *ctx, const struct pr_opts *o, struct pr_state *st, size_t i,
                  bool again)
{
    /* the xml / persistent variant's file is read as virsh reads it (run_vmconf) */
    if (!again && st->opt_extra) {
        char *words = run_base_words(&st->mig, false);
        int rc = run_vmconf_hop(ctx, &st->vms, i, words, false, o->status_error, o->err_msg,
                                NULL);
        free(words);
        return rc;
    }
    return run_base_hop(ctx, &st->vms, i, &st->mig, again,
                        again ? o->again_status_error : o->status_error,
                        again && o->err_msg_again ? o->err_msg_again : o->err_msg);
}

/* verify_test's dominfo and domtime on the destination. */
static int pr_dest_checks(struct run_ctx *ctx, const struct pr_opts *o, const char *dom)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (o->dominfo_check) {
        const char *words[] = { "dominfo", dom, NULL };
        if (run_virsh_words(ctx, 1, words, &r) < 0)
            rc = run_error(ctx, "CmdError", "virsh dominfo: %s", err_msg());
        else if (r.status || mig_tl_search(o->dominfo_check, r.out.buf) != 1)
            rc = run_fail(ctx, "DominfoCheck", "virsh dominfo %s on the destination (exit "
                          "%d) does not match '%s': %s%s", dom, r.status, o->dominfo_check,
                          r.out.buf, r.err.buf);
        else
            run_log(ctx, "dominfo on the destination matches '%s'", o->dominfo_check);
        run_virsh_release(&r);
        r = (struct run_virsh)RUN_VIRSH_INIT;
    }
    if (rc == 0) {
        const char *words[] = { "domtime", dom, NULL };
        if (run_virsh_words(ctx, 1, words, &r) < 0)
            rc = run_error(ctx, "CmdError", "virsh domtime: %s", err_msg());
        else if (r.status)
            rc = run_fail(ctx, "DomtimeCheck", "virsh domtime %s on the destination: exit "
                          "%d: %s", dom, r.status, r.err.buf);
        else
            run_log(ctx, "domtime on the destination: %s", r.out.buf);
    }
    run_virsh_release(&r);
    return rc;
}

/* setup_xml / setup_persistent: the domain's definition (xml: the live one,
 * --migratable; persistent: the inactive one) with the variant's title, written to a
 * file named after the extra words: "--xml FILE" or "--persistent --persistent-xml
 * FILE".  0 (also for the other variants), or -1 with the test's ERROR. */
static int pr_xml_extra(struct run_ctx *ctx, const struct pr_opts *o, struct pr_state *st,
                        const char *dom)
{
    bool xml = pr_is(o->migration_options, "xml");
    if (!xml && !pr_is(o->migration_options, "persistent"))
        return 0;
    const char *title = params_get_or(ctx->params, xml ? "update_xml_title"
                                                       : "update_persist_title", "");
    const char *dump[] = { "dumpxml", "--security-info", xml ? "--migratable" : "--inactive",
                           dom, NULL };
    const char *word = xml ? "--xml" : "--persistent --persistent-xml";
    char *text = NULL, *edited = NULL, *path = NULL;
    if (run_vmconf_virsh(ctx, 0, dump, &text) == 0 && (edited = omix_xml_set_title(text, title)))
        path = run_vmconf_file(ctx, xml ? "pr-xml.xml" : "pr-persistent-xml.xml", edited);
    free(text);
    free(edited);
    if (!path)
        return run_error(ctx, "TestSetupError", "the %s file: %s", word, err_msg());
    free(st->opt_extra);
    /* split as a shell splits it (mig_opts_parse) */
    st->opt_extra = xasprintf("%s %s '%s'", st->mig.extra ? st->mig.extra : "", word, path);
    st->mig.extra = st->opt_extra;
    run_log(ctx, "migration_options = %s: %s", o->migration_options, st->opt_extra);
    free(path);
    return 0;
}

static int pr_run(struct run_ctx *ctx)
{
    const struct pr_opts *o = ctx->opts;
    struct pr_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    /* setup_connection: TLSConnection(qemu_tls) for transport_type = tls */
    if (st->ops) {
        struct run_tls_pki k;
        run_tls_pki_of(ctx->params, NULL, &k);
        if (run_tls_pki_setup(ctx, st->ops, &k) < 0)
            return -1;
    }
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0 || pr_xml_extra(ctx, o, st, dom) < 0)
        return -1;
    if ((o->events_src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
        (o->events_dst && !(st->ev_dst = run_base_events_start(ctx, 1))))
        return -1;
    /* run_migration: the speed, stress in the guest, the migration with its actions */
    if (o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = pr_hop(ctx, o, st, i, false);
    if (rc < 0)
        return -1;
    bool migrated = rc == 1;
    if (o->migrate_again) {
        if (!o->resume) {
            if (run_tl_start_on_source(ctx, vms, i) < 0)
                return -1;
            if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
                return run_error(ctx, "LoginError", "before the second migration: %s",
                                 err_msg());
        }
        if (o->speed_again && run_base_setspeed(ctx, 0, dom, o->speed_again, both) < 0)
            return -1;
        if ((rc = pr_hop(ctx, o, st, i, true)) < 0)
            return -1;
        migrated = rc == 1;
    }
    /* verify_test */
    if (pr_dest_checks(ctx, o, dom) < 0)
        return -1;
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

const struct run_type run_type_pause_by_domjobabort_and_recover = {
    .name = "pause_by_domjobabort_and_recover",
    .summary = "tp-libvirt's pause_by_domjobabort_and_recover: a postcopy migration paused "
               "by domjobabort --postcopy (job info, states, statistics checked while "
               "paused), recovered with --postcopy-resume; dominfo, domtime, events",
    .needs = { .vms = 1, .hosts = 2, .rows = pr_needs, .rows_last = pr_needs_last },
    .params = pr_params,
    .opts_size = sizeof(struct pr_opts),
    .check = pr_check,
    .setup = pr_setup,
    .run = pr_run,
    .cleanup = pr_cleanup,
};
