/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `tls`: tp-libvirt's libvirt/tests/src/migration_with_copy_storage/
 * network_data_transport/tls.py (a MigrationBase case, provider/migration/base_steps.py)
 * on the timeline engine (runner/run_tl.h): a copy-storage migration whose memory and
 * NBD streams go over QEMU's native TLS (--tls).
 *
 * setup_connection with transport_type = tls and qemu_tls: certificates made as
 * avocado-vt's TLSConnection makes them (server_cn, client_cn, the server's IP unless
 * set_ip_addr = no) into custom_pki_path on both hosts, the hosts' own moved aside
 * (runner/run_tl_tls.h); test_case wrong_cert_configuration then removes cert_path on
 * the source (no_client_cert_on_src) or the destination (no_server_cert_on_target).
 * With check_str_local_log the source daemon logs at libvirtd_debug_level
 * (libvirtd.conf, restarted in place) and base_steps' check_local_and_remote_log reads
 * what it wrote.  The guest's disk is the source's own (its private image directory);
 * the hop makes the destination's disk first (prepare_disks_remote).
 *
 * The VM migrates with virsh_migrate_options + virsh_migrate_extra + postcopy_options +
 * copy_storage_option, judged by status_error / err_msg; with migrate_again again with
 * virsh_migrate_extra_mig_again (+ copy_storage_option), migrate_again_status_error,
 * err_msg_again; after a last migration that succeeded the guest runs on the
 * destination (virsh_migrate_dest_state), the source's domain is virsh_migrate_src_state,
 * the guest is reached and writes to its disk.  Every host change is undone on every
 * path (certificates, configuration, the daemon restarted again).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

enum tls_case { TC_TLS, TC_DESTINATION, TC_WRONG_CERT, TC_TLS_FORCE, TC_X509_SRC, TC_X509_DST };
static const struct params_word tls_case_words[] = {
    { "tls", TC_TLS }, { "default", TC_TLS }, { "tls_destination", TC_DESTINATION },
    { "wrong_cert_configuration", TC_WRONG_CERT }, { "migrate_tls_force", TC_TLS_FORCE },
    { "migrate_tls_x509_verify_on_src", TC_X509_SRC },
    { "migrate_tls_x509_verify_on_target", TC_X509_DST }, { NULL, 0 },
};
enum tls_cert_conf { CC_NONE, CC_NO_CLIENT_SRC, CC_NO_SERVER_DST, CC_WRONG_CN, CC_DIFF_CA };
static const struct params_word tls_cert_words[] = {
    { "no_client_cert_on_src", CC_NO_CLIENT_SRC }, { "no_server_cert_on_target", CC_NO_SERVER_DST },
    { "wrong_cn_in_cert", CC_WRONG_CN }, { "wrong_hostname_in_cert", CC_WRONG_CN },
    { "signed_by_diff_cert", CC_DIFF_CA }, { NULL, 0 },
};

struct tls_opts {
    const char *options, *extra, *postcopy, *copy_storage, *extra_again;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again;
    long speed;
    int test_case, cert_conf;
    const char *cert_path, *pki_dir, *scp_server, *scp_client;
    const char *str_log, *no_str_log;
    bool qemu_tls;
    int dest_state, src_state;
    bool network_check, disk_check;
    long main_vm;
    const char *stress_tool, *stress_args;
    const char *default_conf;
    bool remote_log;
    const char *conf_src, *conf_dest, *new_ca_cn;
    const char *transport, *transport_again;
    const char *str_remote_log, *no_str_remote_log;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct tls_opts, __VA_ARGS__)
static const struct run_param tls_params[] = {
    { "virsh_migrate_options", AT(STR, options), .def = "--live --verbose",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "virsh_migrate_extra", AT(STR, extra), .doc = "more words after the options (--tls)" },
    { "postcopy_options", AT(STR, postcopy), .doc = "more words, after the extra ones" },
    { "copy_storage_option", AT(STR, copy_storage),
      .doc = "--copy-storage-all or --copy-storage-inc, last" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(INT, speed), RUN_PARAM_MIN(1), .unit = "MiB/s",
      .doc = "the migration's bandwidth" },
    { "test_case", AT(ENUM, test_case, tls_case_words), .def = "tls",
      .doc = "tls, tls_destination (--tls-destination) or wrong_cert_configuration" },
    { "cert_configuration", AT(ENUM, cert_conf, tls_cert_words),
      .doc = "wrong_cert_configuration: which certificate is missing or wrong" },
    { "cert_path", AT(STR, cert_path),
      .doc = "the certificate removed (no_client_cert_on_src, no_server_cert_on_target)" },
    { "qemu_tls", AT(BOOL, qemu_tls), .def = "no",
      .doc = "the certificates are QEMU's (ca-cert.pem ...) in custom_pki_path" },
    { "custom_pki_path", AT(STR, pki_dir), .def = "/etc/pki/qemu",
      .doc = "where the certificates go on both hosts (the hosts' own moved aside)" },
    { "scp_list_server", AT(STR, scp_server), .def = "cacert,cakey,servercert,serverkey",
      .doc = "the credentials put on the destination" },
    { "scp_list_client", AT(STR, scp_client), .def = "cacert,cakey,clientcert,clientkey",
      .doc = "the credentials put on the source" },
    { "check_str_local_log", AT(STR, str_log),
      .doc = "regexes (a list literal) the source daemon's debug log must show" },
    { "check_no_str_local_log", AT(STR, no_str_log),
      .doc = "regexes (a list literal) it must not show" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again),
      .doc = "the second migration's error regex (else err_msg)" },
    { "virsh_migrate_extra_mig_again", AT(STR, extra_again),
      .doc = "the second migration's extra words (+ copy_storage_option)" },
    { "virsh_migrate_dest_state", AT(ENUM, dest_state, mig_dom_state_words),
      .def = "running", .doc = "the destination's state after a migration that succeeded" },
    { "virsh_migrate_src_state", AT(ENUM, src_state, mig_dom_state_words),
      .def = "shut off", .doc = "the source's state after a migration that succeeded" },
    { "check_network_accessibility_after_mig", AT(BOOL, network_check), .def = "no",
      .doc = "the guest reached over its network after the migration" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "a line written to the guest's disk after the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "transport_type", AT(STR, transport),
      .doc = "tls: certificates made for the migration (setup_connection)" },
    { "transport_type_again", AT(STR, transport_again),
      .doc = "tls: certificates made (for the second migration)" },
    { "default_qemu_conf", AT(STR, default_conf), .def = "no",
      .doc = "yes: migrate_tls_force removed from both hosts' qemu.conf; a list literal: "
             "these keys removed from the destination's" },
    { "qemu_conf_src", AT(STR, conf_src),
      .doc = "migrate_tls_force: {key: value} set in the source's qemu.conf" },
    { "qemu_conf_dest", AT(STR, conf_dest),
      .doc = "migrate_tls_force: {regex: 'key=value'} set in the destination's qemu.conf" },
    { "new_ca_cn", AT(STR, new_ca_cn), .def = "NEWCERT.VIRT",
      .doc = "signed_by_diff_cert: the other CA signing the destination's certificate" },
    { "set_remote_libvirtd_log", AT(BOOL, remote_log), .def = "no",
      .doc = "the destination daemon logs at libvirtd_debug_level" },
    { "check_str_remote_log", AT(STR, str_remote_log),
      .doc = "regexes (a list literal) the destination daemon's debug log must show" },
    { "check_no_str_remote_log", AT(STR, no_str_remote_log),
      .doc = "regexes (a list literal) it must not show" },
    { NULL },
};
#undef AT

/* The reference's setups vtrun does not build: a case with one set is an ERROR. */
static const char *tls_unbuilt_param(const struct params *p, const char **val)
{
    static const char *const unbuilt[] = {
        "check_cont_ping", "check_vm_conn_before_migration", "do_migration_during_mig",
    };
    static const char *const transports[] = { "transport_type", "transport_type_again" };
    bool certs = false;
    for (size_t k = 0; k < ARRAY_SIZE(transports); k++) {
        const char *t = params_get(p, transports[k]);
        if (t && *t && strcmp(t, "tls")) {
            *val = t;
            return transports[k];
        }
        certs |= t && !strcmp(t, "tls");
    }
    const char *t = params_get(p, "qemu_tls");
    if (certs && (!t || strcmp(t, "yes"))) {
        *val = t ? t : "no";
        return "qemu_tls";     /* TLS of the daemons' connection only: not built */
    }
    for (size_t k = 0; k < ARRAY_SIZE(unbuilt); k++) {
        const char *v = params_get(p, unbuilt[k]);
        if (v && *v && strcmp(v, "no") && strcmp(v, "[]")) {
            *val = v;
            return unbuilt[k];
        }
    }
    return NULL;
}

static bool tls_unbuilt_applies(const struct params *p)
{
    const char *v;
    return tls_unbuilt_param(p, &v) != NULL || run_tl_any_action_unbuilt(p);
}

static int tls_unbuilt_met(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = tls_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_tl_unbuilt_verdict("TLS migration cases (tls, "
                                  "migration_network_data_transport_tls)", param, v, p);
}

/* tls_migrate_tls_x509_verify_on_target expects the source's QEMU, refused by the
 * destination for lacking its client certificate, to say "Cannot read from TLS
 * channel" and nothing else; QEMU 7.2 with Debian 12's GnuTLS says "Cannot write to TLS
 * channel" there (the live_migration configs accept both).  Hosts that word it the
 * former way say so with the capability. */
static bool tls_read_error_applies(const struct params *p)
{
    const char *e = params_get(p, "err_msg"), *s = params_get(p, "status_error");
    return s && !strcmp(s, "yes") && e && !strcmp(e, "Cannot read from TLS channel");
}

static const struct run_need tls_needs[] = {
    { "tls_refusal_read", .applies = tls_read_error_applies, .capability = "tls_refusal_read",
      .text = "QEMU reporting a client refused for lacking its certificate as 'Cannot read "
              "from TLS channel', the only error the case accepts (QEMU 7.2 with GnuTLS "
              "3.7 reports 'Cannot write to TLS channel')" },
    { NULL },
};

static const struct run_need tls_needs_last[] = {
    { "not built", .applies = tls_unbuilt_applies, .met = tls_unbuilt_met,
      .met_doc = "a setup vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static char *tls_words(const struct tls_opts *o, bool again)
{
    const char *cs = o->copy_storage ? o->copy_storage : "";
    if (again && o->extra_again)
        return xasprintf("%s %s %s", o->options ? o->options : "", o->extra_again, cs);
    return xasprintf("%s %s %s %s", o->options ? o->options : "", o->extra ? o->extra : "",
                     o->postcopy ? o->postcopy : "", cs);
}

static int tls_check(const struct run_common *c, void *opts)
{
    struct tls_opts *o = opts;
    for (int again = 0; again < 2; again++) {
        struct be_migrate_opts mo = { 0 };
        char *words = tls_words(o, again);
        int rc = mig_opts_parse(words, &mo);
        if (rc < 0)
            err_prefix("virsh migrate words '%s'", words);
        mig_opts_release(&mo);
        free(words);
        if (rc < 0)
            return -1;
    }
    if (run_tls_scp_list_check(o->scp_server) < 0) {
        err_prefix("scp_list_server");
        return -1;
    }
    if (run_tls_scp_list_check(o->scp_client) < 0) {
        err_prefix("scp_list_client");
        return -1;
    }
    if (run_tls_regex_list_check("check_str_local_log", o->str_log) < 0 ||
        run_tls_regex_list_check("check_no_str_local_log", o->no_str_log) < 0 ||
        run_tls_regex_list_check("check_str_remote_log", o->str_remote_log) < 0 ||
        run_tls_regex_list_check("check_no_str_remote_log", o->no_str_remote_log) < 0)
        return -1;
    if (o->conf_src && run_tls_conf_dict_check(o->conf_src, false) < 0) {
        err_prefix("qemu_conf_src");
        return -1;
    }
    if (strcmp(o->default_conf, "yes") && strcmp(o->default_conf, "no") &&
        run_tls_key_list_check(o->default_conf) < 0) {
        err_prefix("default_qemu_conf");
        return -1;
    }
    if (o->conf_dest && run_tls_conf_dict_check(o->conf_dest, true) < 0) {
        err_prefix("qemu_conf_dest");
        return -1;
    }
    if (((o->test_case == TC_WRONG_CERT &&
          (o->cert_conf == CC_NO_CLIENT_SRC || o->cert_conf == CC_NO_SERVER_DST)) ||
         o->test_case == TC_X509_DST) &&
        (!o->cert_path || o->cert_path[0] != '/' || strstr(o->cert_path, ".."))) {
        err_set("cert_path = '%s': expected the absolute path of the certificate to remove",
                o->cert_path ? o->cert_path : "");
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct tls_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, the guest's disk in images_dir */
    struct virt_hostops *ops;       /* certificates, configuration, restarts */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
};

static int tls_setup(struct run_ctx *ctx)
{
    struct tls_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    const char *cs = params_get(ctx->params, "copy_storage_option");
    st->params = params_dup(ctx->params);
    /* a copy-storage migration copies the source's own disk (prepare_disks_remote) */
    if (cs && strstr(cs, "--copy-storage") && !params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *tag = xasprintf("tls%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

static void tls_cleanup(struct run_ctx *ctx)
{
    struct tls_state *st = ctx->data;
    if (!st)
        return;
    /* the guests go first: a daemon restarted by the restore reconnects to its
     * running domains in the background, and one looked up meanwhile is not found */
    run_vmset_cleanup(ctx, &st->vms);
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* The references' update_qemu_conf(_on_src/_on_target): default_qemu_conf = yes removes
 * migrate_tls_force on both hosts (and nothing else changes), a list removes those
 * keys on the destination; qemu_conf_dest, qemu_conf_src; one restart of each host
 * edited. */
static int tls_conf(struct run_ctx *ctx, const struct tls_opts *o, struct tls_state *st)
{
    bool all_default = !strcmp(o->default_conf, "yes");
    bool edited[2] = { all_default, all_default };
    for (int h = 0; all_default && h < 2; h++)
        if (run_tls_qemu_conf(ctx, st->ops, h, "migrate_tls_force", NULL) < 0)
            return -1;
    if (!all_default && strcmp(o->default_conf, "no")) {
        if (run_tls_qemu_conf_keys_unset(ctx, st->ops, 1, o->default_conf) < 0)
            return -1;
        edited[1] = true;
    }
    if (!all_default && o->conf_dest) {
        if (run_tls_qemu_conf_dict(ctx, st->ops, 1, o->conf_dest, true) < 0)
            return -1;
        edited[1] = true;
    }
    if (!all_default && o->conf_src) {
        if (run_tls_qemu_conf_dict(ctx, st->ops, 0, o->conf_src, false) < 0)
            return -1;
        edited[0] = true;
    }
    for (int h = 0; h < 2; h++)
        if (edited[h] && run_tls_restart(ctx, st->ops, &st->vms, h) < 0)
            return -1;
    return 0;
}

/* migrate_tls_x509_verify_on_target: the source's cert_path moved away for the first
 * migration, back for the second.  The reference moves it to tmp_cert_path; vtrun keeps
 * it beside itself in the test's certificate directory (a host's /tmp may be shared),
 * which the undo restores whole. */
static int tls_client_cert_aside(struct run_ctx *ctx, const struct tls_opts *o, bool away)
{
    struct virt_host *link = run_host_link(ctx, 0);
    char *aside = xasprintf("%s.vtrun-aside", o->cert_path);
    const char *mv[] = { "mv", "-f", "--", away ? o->cert_path : aside,
                         away ? aside : o->cert_path, NULL };
    int rc = 0;
    if (!link || virt_host_run(link, mv, 30, NULL, NULL, NULL) < 0)
        rc = run_error(ctx, "TestSetupError", "%s on %s: %s", o->cert_path,
                       ctx->hosts[0].name, err_msg());
    else
        run_log(ctx, "%s %s on %s", o->cert_path, away ? "moved away" : "put back",
                ctx->hosts[0].name);
    free(aside);
    return rc;
}

/* setup_connection (+ setup_wrong_cert_configuration). */
static int tls_connection(struct run_ctx *ctx, const struct tls_opts *o, struct tls_state *st)
{
    struct run_tls_pki k;
    bool certs = (o->transport && !strcmp(o->transport, "tls")) ||
                 (o->transport_again && !strcmp(o->transport_again, "tls"));
    if ((o->test_case == TC_TLS_FORCE || o->test_case == TC_X509_SRC ||
         o->test_case == TC_X509_DST) && tls_conf(ctx, o, st) < 0)
        return -1;
    if (!certs)
        return 0;
    run_tls_pki_of(ctx->params, NULL, &k);
    k.dir = o->pki_dir;
    k.scp_server = o->scp_server;
    k.scp_client = o->scp_client;
    if (run_tls_pki_setup(ctx, st->ops, &k) < 0)
        return -1;
    if (o->test_case == TC_X509_DST)
        return tls_client_cert_aside(ctx, o, true);
    if (o->test_case != TC_WRONG_CERT || o->cert_conf == CC_WRONG_CN || o->cert_conf == CC_NONE)
        return 0;
    if (o->cert_conf == CC_DIFF_CA) {
        /* a server certificate of another CA, the CA certificates left as they are */
        k.ca_cn = o->new_ca_cn;
        k.scp_server = "servercert,serverkey";
        k.scp_client = "";
        k.keep_dir = true;
        return run_tls_pki_setup(ctx, st->ops, &k);
    }
    int h = o->cert_conf == CC_NO_CLIENT_SRC ? 0 : 1;
    struct virt_host *link = run_host_link(ctx, h);
    const char *rm[] = { "rm", "-f", "--", o->cert_path, NULL };
    if (!link || virt_host_run(link, rm, 30, NULL, NULL, NULL) < 0)
        return run_error(ctx, "TestSetupError", "rm -f %s on %s: %s", o->cert_path,
                         ctx->hosts[h].name, err_msg());
    run_log(ctx, "%s removed on %s", o->cert_path, ctx->hosts[h].name);
    return 0;
}

/* QEMU prefixes its errors with its program's name: qemu-kvm on the RHEL hosts the
 * configs were written on, qemu-system-ARCH on Debian's.  The regex re with the former
 * matching either (as run_tl does for check_established's program); a new string. */
static char *tls_err_re(const char *re)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = re, *q;
    if (!re)
        return NULL;
    while ((q = strstr(p, "qemu-kvm:"))) {
        strbuf_add(&sb, p, (size_t)(q - p));
        strbuf_addstr(&sb, "(?:qemu-kvm|qemu-system-[a-z0-9_]+):");
        p = q + strlen("qemu-kvm:");
    }
    strbuf_addstr(&sb, p);
    return strbuf_detach(&sb, NULL);
}

/* virsh refuses an empty string option before any call (vshCommandOptStringReq);
 * the corpus writes one, `--tls-destination ''`, which a case expects refused.  1 when
 * refused and judged (0 with the verdict set through it, -1), 0 when not refused. */
static int tls_virsh_refuses(struct run_ctx *ctx, const struct be_migrate_opts *mo,
                             const struct mig_expect *e, int *rc)
{
    const char *td = mig_opts_param_value(mo, BE_MP_TLS_DESTINATION);
    struct strbuf why = STRBUF_INIT;
    const char *text = "error: Failed to get option 'tls-destination': Option argument is empty";
    if (!td || *td)
        return 0;
    run_log(ctx, "virsh migrate refuses its words: %s", text);
    switch (mig_result_judge(e, false, text, &why)) {
    case MIG_V_EXPECTED_FAILURE:
        run_log(ctx, "migration failed as expected: %s", text);
        *rc = 0;
        break;
    case MIG_V_CANCEL:
        *rc = run_cancel(ctx, "%s", why.buf);
        break;
    case MIG_V_ERROR:
        *rc = run_error(ctx, "ConfigError", "%s", why.buf);
        break;
    default:
        *rc = run_fail(ctx, "MigrationError", "%s", why.buf);
        break;
    }
    strbuf_release(&why);
    return 1;
}

static int tls_hop(struct run_ctx *ctx, const struct tls_opts *o, struct tls_state *st,
                   size_t i, bool again)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    const char *key = again ? "action_during_mig_again" : "action_during_mig";
    char *err_re = tls_err_re(again && o->err_msg_again ? o->err_msg_again : o->err_msg);
    struct mig_expect e = {
        .status_error = again ? o->again_status_error : o->status_error,
        .err_msg = err_re,
        .cancel_unsupported = true,
    };
    char *words = tls_words(o, again);
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (mig_act_parse(params_get(ctx->params, key), &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
        goto out;
    }
    if (tls_virsh_refuses(ctx, &mo, &e, &rc))
        goto out;
    /* migrate-setspeed persists on the domain: the second migration keeps it */
    mo.bandwidth_mib = o->speed > 0 ? (unsigned long)o->speed : 0;
    struct run_tl_hop h = { .vms = &st->vms, .vm = i, .from = 0, .to = 1, .n = again ? 2 : 1,
                            .expect = &e, .opts = &mo, .acts = &acts, .ops = st->ops };
    rc = run_tl_hop(ctx, &h);
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    free(err_re);
    return rc;
}

static int tls_state_is(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int h, int want,
                        const char *side)
{
    static const enum be_state of[] = {
        [MIG_DOM_RUNNING] = BE_STATE_RUNNING, [MIG_DOM_PAUSED] = BE_STATE_PAUSED,
        [MIG_DOM_SHUTOFF] = BE_STATE_SHUTOFF, [MIG_DOM_NONEXIST] = BE_STATE_NONE,
    };
    enum be_state st;
    bool persistent;
    if (virt_vms_domain(vms, h, vms->vm[i].domain, &st, &persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "%s: %s", side, err_msg());
    if (want > MIG_DOM_NONEXIST || st != of[want])
        return run_fail(ctx, "PostMigrationCheck", "the guest is %s on the %s, expected %s",
                        be_state_name(st), side, mig_dom_state_name(want));
    run_log(ctx, "the guest is %s on the %s, as expected", be_state_name(st), side);
    return 0;
}

/* post_migration_check after a migration that succeeded. */
static int tls_post_check(struct run_ctx *ctx, const struct tls_opts *o, struct virt_vms *vms,
                          size_t i)
{
    if (tls_state_is(ctx, vms, i, 1, o->dest_state, "destination") < 0 ||
        tls_state_is(ctx, vms, i, 0, o->src_state, "source") < 0)
        return -1;
    if (o->dest_state != MIG_DOM_RUNNING)
        return 0;
    if (run_mig_landed(ctx, vms, i, 1) < 0)
        return -1;
    if (o->network_check && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_fail(ctx, "PostMigrationCheck", "the guest is not reached over its "
                        "network: %s", err_msg());
    if (o->disk_check) {
        int status = -1;
        if (virt_vms_exec(vms, i, "echo libvirt_simple_disk_check >> "
                          "/tmp/libvirt_simple_disk_check", 60, NULL, &status) < 0 || status)
            return run_fail(ctx, "PostMigrationCheck", "simple disk check: %s",
                            status > 0 ? "the write failed" : err_msg());
        run_log(ctx, "simple disk check: a line written to the guest's disk");
    }
    return 0;
}

static int tls_run(struct run_ctx *ctx)
{
    const struct tls_opts *o = ctx->opts;
    struct tls_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    struct virt_log_mark mark = { 0 }, rmark = { 0 };
    bool logs = o->str_log || o->no_str_log;
    bool rlogs = o->remote_log && (o->str_remote_log || o->no_str_remote_log);
    int rc = -1;

    if (tls_connection(ctx, o, st) < 0 ||
        (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0) ||
        (o->remote_log && run_tls_debug_log(ctx, st->ops, vms, 1, &rmark) < 0))
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        goto out;
    int hop = tls_hop(ctx, o, st, i, false);
    if (hop < 0)
        goto out;
    if (o->migrate_again) {
        /* the configs migrate again after a first migration that failed; after one
         * that succeeded the reference would start a second guest on the source */
        if (hop == 1) {
            run_error(ctx, "ConfigError", "migrate_again after a first migration that "
                      "succeeded: vtrun does not build this setup of the reference");
            goto out;
        }
        if (run_tl_start_on_source(ctx, vms, i) < 0)
            goto out;
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0) {
            run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
            goto out;
        }
        if (o->test_case == TC_X509_DST && tls_client_cert_aside(ctx, o, false) < 0)
            goto out;
        if ((hop = tls_hop(ctx, o, st, i, true)) < 0)
            goto out;
    }
    if (hop == 1 && tls_post_check(ctx, o, vms, i) < 0)
        goto out;
    if (logs && run_tls_log_check(ctx, 0, "local", &mark) < 0)
        goto out;
    if (rlogs && run_tls_log_check(ctx, 1, "remote", &rmark) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    virt_log_mark_free(&rmark);
    return rc;
}

const struct run_type run_type_tls = {
    .name = "tls",
    .summary = "tp-libvirt's copy-storage migration over QEMU's native TLS (--tls): "
               "certificates made per test, --tls-destination, missing or wrong "
               "certificates refused",
    .needs = { .vms = 1, .hosts = 2, .rows = tls_needs, .rows_last = tls_needs_last },
    .params = tls_params,
    .opts_size = sizeof(struct tls_opts),
    .check = tls_check,
    .setup = tls_setup,
    .run = tls_run,
    .cleanup = tls_cleanup,
};

/* tp-libvirt's migration/migration_uri/migration_network_data_transport_tls.py: the
 * same base_steps TLS setups without copy storage (the guest's disk shared), stress in
 * the guest, migrate_tls_force's qemu.conf matrix, the other CA's certificate, both
 * daemons' debug logs. */
const struct run_type run_type_migration_network_data_transport_tls = {
    .name = "migration_network_data_transport_tls",
    .summary = "tp-libvirt's migration over QEMU's native TLS: certificates per test, "
               "--tls-destination, migrate_tls_force in qemu.conf, missing, misnamed or "
               "foreign certificates refused",
    .needs = { .vms = 1, .hosts = 2, .rows = tls_needs, .rows_last = tls_needs_last },
    .params = tls_params,
    .opts_size = sizeof(struct tls_opts),
    .check = tls_check,
    .setup = tls_setup,
    .run = tls_run,
    .cleanup = tls_cleanup,
};

/* tp-libvirt's migration/migration_uri/tls_migrate_tls_x509_verify.py:
 * default_tls_x509_verify / migrate_tls_x509_verify in the source's qemu.conf (the
 * client verifies the server's name whatever they say) or the destination's (a client
 * without its certificate refused when verifying, then migrating with it). */
const struct run_type run_type_tls_migrate_tls_x509_verify = {
    .name = "tls_migrate_tls_x509_verify",
    .summary = "tp-libvirt's x509 verification of QEMU's native TLS migration: "
               "default_tls_x509_verify / migrate_tls_x509_verify on the source or the "
               "destination",
    .needs = { .vms = 1, .hosts = 2, .rows = tls_needs, .rows_last = tls_needs_last },
    .params = tls_params,
    .opts_size = sizeof(struct tls_opts),
    .check = tls_check,
    .setup = tls_setup,
    .run = tls_run,
    .cleanup = tls_cleanup,
};
