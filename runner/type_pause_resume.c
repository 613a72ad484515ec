/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Four MigrationBase types of tp-libvirt's
 * libvirt/tests/src/migration/pause_postcopy_migration_and_recover/ that are
 * base_steps' run_migration, then run_migration_again or a --postcopy-resume run as an
 * action of the first migration (do_migration_during_mig: runner/run_tl_nested.c), on
 * the timeline engine (runner/run_tl.h) with base_steps' shared steps
 * (runner/run_base.h).
 *
 * `no_paused_during_recover_migration` (no_paused_during_recover_migration.py):
 * setup_connection, run_migration, run_migration_again, verify_default.  no_vm_migration:
 * a --postcopy --postcopy-resume of a VM not being migrated must fail ("not being
 * migrated"), then a plain migration (virsh_migrate_extra_mig_again is " ": the words
 * are the options alone, as base_steps takes any non-empty value) must succeed, and
 * post_migration_check.  vm_migration_running: the resume runs as an action after
 * "iteration: '1'", while the first migration runs, and must fail ("is being actively
 * monitored by another thread"); the first migration then goes on at the high speed
 * and is judged (MigrationTest.ret: the last to finish) by status_error.
 *
 * `pause_and_recover_and_disruptive` (pause_and_recover_and_disruptive.py) and
 * `pause_and_disruptive_and_recover` (pause_and_disruptive_and_recover.py):
 * setup_connection (and for pause_by_network the source's TCP timers, as below),
 * run_migration with do_migration_during_mig -- the postcopy paused by domjobabort
 * --postcopy, then (pause_and_disruptive_and_recover: after a disruptive action on a
 * host) the --postcopy-resume as the action do_migration with action_during_do_mig
 * (poweroff_vm, domjobabort then resume_migration_again, firewall rules),
 * status_error_during_mig -- then verify_default: post_migration_check when the last
 * migration to finish succeeded (destroy_dest_vm: runner/run_tl_dest.c).  Funcs vtrun
 * has no step for (kill_service's unattended wait, clear_pmsocat, control_service) are
 * ERRORs naming them, as the unix_proxy transport is.
 *
 * `pause_by_network_and_recover` (pause_by_network_and_recover.py):
 * setup_network_data_transport (--tls before the first migration's extra words for the
 * tls data transport), then libvirt_network.change_tcp_config(tcp_config_list) on the
 * source -- its five net.ipv4 TCP timers, so a connection whose peer went quiet times
 * out in seconds -- and setup_connection (QEMU's TLS certificates for transport_type =
 * tls: runner/run_tl_tls.h).  `virsh event --loop --all` runs on both hosts for the
 * whole test.  run_migration: migrate-setspeed (precopy and postcopy), stress in the
 * guest, the postcopy migration with action_during_mig: check_established after
 * "iteration: '1'", then libvirt_network.setup_firewall_rule 5 s later (firewall_rule_on_dest
 * on the destination, firewall_rule_on_src on the source: the migration stream's port
 * for qemu_layer, the daemons' 16509 for libvirt_layer; runner/run_tl_fw.c).  The
 * migration must fail with err_msg (the postcopy paused).  run_migration_again with
 * --postcopy-resume (no VM start), action_during_mig_again, judged by
 * migrate_again_status_error / err_msg_again.  verify_test: dominfo on the destination
 * matches dominfo_check, `virsh domtime` there succeeds (the guest agent: CANCEL
 * without it, as pause_by_domjobabort_and_recover), verify_default's
 * post_migration_check when the last migration succeeded, the event lists.
 * finally: the TCP timers put back as they were (the reference writes
 * recover_tcp_config_list, the kernel's defaults), the rules and certificates removed.
 * Not built (ERROR naming it): a unix_proxy / ssh transport or desturi.
 */
#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct pn_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error, migrate_again, resume;
    const char *err_msg, *err_msg_again, *speed, *speed_again;
    const char *stress_tool, *stress_args, *dominfo_check;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    const char *events_src, *events_dst, *data_transport, *transport, *tcp_config;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pn_opts, __VA_ARGS__)
static const struct run_param pn_params[] = {
    RUN_BASE_MIG_ROWS(struct pn_opts, mig),
    RUN_BASE_POST_ROWS(struct pn_opts),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail (the postcopy paused by the network)" },
    { "err_msg", AT(REGEX, err_msg), .doc = "its error regex" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before it (precopy and postcopy)" },
    { "stress_package", AT(STR, stress_tool), .doc = "a stress tool run in the guest" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "postcopy_resume_migration", AT(BOOL, resume), .def = "no",
      .doc = "the second migration resumes the paused postcopy (no VM start)" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "its error regex (else err_msg)" },
    { "migrate_speed_again", AT(STR, speed_again), .doc = "MiB/s before the second one" },
    { "dominfo_check", AT(REGEX, dominfo_check),
      .doc = "a regex `virsh dominfo` on the destination must match" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show" },
    { "network_data_transport", AT(STR, data_transport),
      .doc = "tls: the first migration's extra words get --tls" },
    { "transport_type", AT(STR, transport),
      .doc = "tcp; tls: QEMU's TLS certificates made on both hosts (custom_pki_path)" },
    { "tcp_config_list", AT(STR, tcp_config),
      .doc = "a dict of the source's net.ipv4 TCP timers for the test (tcp_keepalive_"
             "probes, tcp_keepalive_intvl, tcp_retries1, tcp_retries2, tcp_fin_timeout; "
             "the kernel's defaults for those it omits); put back afterwards" },
    { NULL },
};
#undef AT

/* change_tcp_config's five timers and the values it writes for a key the dict omits. */
static const struct {
    const char *key, *def;
} pn_tcp_rows[] = {
    { "tcp_keepalive_probes", "9" },
    { "tcp_keepalive_intvl", "75" },
    { "tcp_retries1", "3" },
    { "tcp_retries2", "15" },
    { "tcp_fin_timeout", "60" },
};
#define PN_NTCP ARRAY_SIZE(pn_tcp_rows)

/* tcp_config_list read into vals (pointing into d): 0, or -1 with err. */
static int pn_tcp_values(const char *text, struct pylit *d, const char *vals[PN_NTCP])
{
    if (pylit_parse(text, d) < 0 || d->kind != PYLIT_DICT) {
        err_set("tcp_config_list = '%s': expected a dict of strings", text);
        return -1;
    }
    for (size_t k = 0; k < PN_NTCP; k++) {
        const struct pylit *v = pylit_get(d, pn_tcp_rows[k].key);
        if (v && v->kind != PYLIT_STR) {
            err_set("tcp_config_list: %s is a %s, not a string", pn_tcp_rows[k].key,
                    pylit_kind_name(v->kind));
            return -1;
        }
        vals[k] = v ? v->s : pn_tcp_rows[k].def;
        if (!*vals[k] || strspn(vals[k], "0123456789") != strlen(vals[k])) {
            err_set("tcp_config_list: %s = '%s': expected a number", pn_tcp_rows[k].key,
                    vals[k]);
            return -1;
        }
    }
    return 0;
}

static int pn_check(const struct run_common *c, void *opts)
{
    struct pn_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (o->tcp_config) {
        struct pylit d;
        const char *vals[PN_NTCP];
        int rc = pn_tcp_values(o->tcp_config, &d, vals);
        pylit_release(&d);
        if (rc < 0)
            return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static const struct run_base_unbuilt pn_unbuilt_rows[] = {
    { "transport_type", "unix_proxy" },
    { "transport_type", "ssh" },
    { "migrate_desturi_type", "unix_proxy" },
    { "migrate_desturi_type", "tls" },
};

static bool pn_always(const struct params *p)
{
    (void)p;
    return true;
}

/* qemu_layer: the rule drops QEMU's migration port (libvirt's 49152-49215), not a
 * daemon's.  Seen on the lab (both transports' p2p and non-p2p): the source pauses as
 * it should, the destination waits on, 900 s, and keeps the job. */
static bool pn_qemu_stream_dropped(const struct params *p)
{
    const char *rule = params_get(p, "firewall_rule_on_dest");
    const char *port = rule ? strstr(rule, "--dport ") : NULL;
    long n = port ? strtol(port + 8, NULL, 10) : 0;
    return n >= 49152 && n <= 49215;
}

static int pn_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL;
    const char *param = run_base_unbuilt_param(pn_unbuilt_rows, ARRAY_SIZE(pn_unbuilt_rows),
                                               p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (run_base_actions_read(p) < 0 || run_tl_fw_params_check(p) < 0)
        return -1;
    if (!param && pn_qemu_stream_dropped(p)) {
        err_set("firewall_rule_on_dest = '%s': the migration stream's port dropped; on the "
                "lab the destination's QEMU never notices, its Finish3 outlives the 900 s "
                "bound and leaves libvirtd a migration job only a restart ends -- vtrun "
                "does not end that job yet", params_get(p, "firewall_rule_on_dest"));
        return -1;
    }
    return run_tl_unbuilt_verdict(params_get_or(p, "type", "?"), param, v, p);
}

static const struct run_need pn_needs[] = {
    { "guest_agent", .when = { { "type" } }, .capability = "guest_agent",
      .text = "virsh domtime on the destination needs the QEMU guest agent (qemu-ga) in "
              "the guest" },
    { NULL },
};

static const struct run_need pn_needs_none[] = {
    { NULL },
};

/* vm_migration_running, not peer to peer: the resume must reach the source while the
 * client's Perform call still owns the migration job ("is being actively monitored by
 * another thread").  The client's Perform returns once the --timeout 4 switch to
 * postcopy is made; seen on the lab (TCG), avocado-vt's wait for the start and its 3 s
 * settle end after that switch, and libvirt answers "post-copy migration ... has not
 * failed".  Peer to peer the source daemon's one call owns the job throughout. */
static bool pn_resume_races_perform(const struct params *p)
{
    const char *opts = params_get_or(p, "virsh_migrate_options", "--live --verbose");
    return !strcmp(params_get_or(p, "do_migration_during_mig", "no"), "yes") &&
           !strcmp(params_get_or(p, "type", ""), "no_paused_during_recover_migration") &&
           !strstr(opts, "--p2p");
}

static const struct run_need pn_needs_nested[] = {
    { "kvm", .applies = pn_resume_races_perform, .capability = "kvm",
      .text = "KVM guests: the resume during a client-driven (non-p2p) postcopy must come "
              "before the --timeout 4 switch ends the client's Perform call; on the lab's "
              "TCG guest the action comes after it and libvirt's error differs" },
    { NULL },
};

/* poweroff_vm_dest: the guest powered off on the destination while the resumed
 * postcopy still runs, so the resume fails ("domain is not running").  Seen on the lab
 * (128 MiB TCG guest, p2p): what the paused postcopy left moves at 5 MiB/s within
 * poweroff_vm's 10 s sleep, the resume succeeds and the guest powers off after it. */
static const struct run_need pd_needs[] = {
    { "kvm", .when = { { "poweroff_vm_dest", .eq = "yes" } }, .capability = "kvm",
      .text = "KVM guests of the reference's size: poweroff_vm must stop the guest on the "
              "destination while the resumed postcopy still runs; the lab's small TCG "
              "guest's resume is over before the poweroff lands" },
    { NULL },
};

static const struct run_need pn_needs_last[] = {
    { "not built", .applies = pn_always, .met = pn_unbuilt_met,
      .met_doc = "a setup, rule or action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

extern const struct run_type run_type_pause_by_network_and_recover;

struct pn_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_base_events *ev_src, *ev_dst;
    struct run_base_mig mig;        /* extra with --tls for the tls data transport */
    char *tls_extra;
    struct virt_hostops *tls_ops, *fw_ops;
    bool fw_attached;
    struct virt_ctx vctx;           /* the records' log: kept past the VM set's cleanup */
    char *tcp_orig[PN_NTCP];        /* the source's timers before the test */
};

static char *pn_sysctl_key(size_t k)
{
    return xasprintf("net.ipv4.%s", pn_tcp_rows[k].key);
}

/* `sysctl -n` of timer k on the source into *out (caller frees). */
static int pn_tcp_read(struct run_ctx *ctx, struct virt_host *link, size_t k, char **out)
{
    char *key = pn_sysctl_key(k);
    const char *argv[] = { "sysctl", "-n", key, NULL };
    struct strbuf sb = STRBUF_INIT;
    int rc = virt_host_run(link, argv, 30, &sb, NULL, NULL);
    free(key);
    while (sb.len && strchr(" \t\r\n", sb.buf[sb.len - 1]))
        strbuf_setlen(&sb, sb.len - 1);
    if (rc == 0)
        *out = strbuf_detach(&sb, NULL);
    else
        run_error(ctx, "HostError", "reading %s: %s", pn_tcp_rows[k].key, err_msg());
    strbuf_release(&sb);
    return rc;
}

static int pn_tcp_write(struct virt_host *link, size_t k, const char *val)
{
    char *key = pn_sysctl_key(k);
    char *kv = xasprintf("%s=%s", key, val);
    const char *argv[] = { "sysctl", "-w", kv, NULL };
    int rc = virt_host_run(link, argv, 30, NULL, NULL, NULL);
    free(kv);
    free(key);
    return rc;
}

/* change_tcp_config(tcp_config_list) on the source, its values before kept. */
static int pn_tcp_set(struct run_ctx *ctx, struct pn_state *st, const char *text)
{
    struct virt_host *link = run_host_link(ctx, 0);
    struct pylit d;
    const char *vals[PN_NTCP];
    int rc = link ? pn_tcp_values(text, &d, vals) : -1;
    if (!link)
        return run_error(ctx, "HostError", "%s", err_msg());
    if (rc < 0)
        run_error(ctx, "ConfigError", "%s", err_msg());
    for (size_t k = 0; k < PN_NTCP && rc == 0; k++)
        if ((rc = pn_tcp_read(ctx, link, k, &st->tcp_orig[k])) == 0 &&
            (rc = pn_tcp_write(link, k, vals[k])) < 0)
            run_error(ctx, "HostError", "setting %s: %s", pn_tcp_rows[k].key, err_msg());
    if (rc == 0)
        run_log(ctx, "source TCP timers set: %s", text);
    pylit_release(&d);
    return rc;
}

static void pn_tcp_restore(struct run_ctx *ctx, struct pn_state *st)
{
    struct virt_host *link = NULL;
    for (size_t k = 0; k < PN_NTCP; k++) {
        if (!st->tcp_orig[k])
            continue;
        if (!link && !(link = run_host_link(ctx, 0))) {
            run_error(ctx, "CleanupError", "restoring the TCP timers: %s", err_msg());
            return;
        }
        if (pn_tcp_write(link, k, st->tcp_orig[k]) < 0)
            run_error(ctx, "CleanupError", "restoring %s = %s: %s", pn_tcp_rows[k].key,
                      st->tcp_orig[k], err_msg());
        free(st->tcp_orig[k]);
        st->tcp_orig[k] = NULL;
    }
}

static bool pn_is(const char *v, const char *want)
{
    return v && !strcmp(v, want);
}

static int pn_setup(struct run_ctx *ctx)
{
    const struct pn_opts *o = ctx->opts;
    struct pn_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    if (ctx->type == &run_type_pause_by_network_and_recover)
        st->vms.vm[o->main_vm].spec->guest_agent = true;    /* verify_test's domtime */
    st->mig = o->mig;
    /* base_steps takes any non-empty virsh_migrate_extra_mig_again, " " too (the words
     * of the second migration are then the options alone); the param rows read a blank
     * value as unset */
    const char *again = params_get(ctx->params, "virsh_migrate_extra_mig_again");
    if (again && *again && !st->mig.extra_again)
        st->mig.extra_again = " ";
    if (pn_is(o->data_transport, "tls")) {
        st->tls_extra = xasprintf("--tls %s", o->mig.extra ? o->mig.extra : "");
        st->mig.extra = st->tls_extra;
    }
    st->vctx = st->vms.conf.vctx;
    char *tag = xasprintf("pn%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    char *fwtag = xasprintf("%sfw", tag);
    if (pn_is(o->transport, "tls"))
        st->tls_ops = virt_hostops_new(tag, &st->vctx);
    st->fw_ops = virt_hostops_new(fwtag, &st->vctx);
    free(fwtag);
    free(tag);
    if (run_tl_fw_attach(ctx, st->fw_ops) < 0)
        return run_error(ctx, "SetupError", "%s", err_msg());
    st->fw_attached = true;
    return 0;
}

static void pn_ops_undo(struct run_ctx *ctx, struct virt_hostops *ops)
{
    if (!ops)
        return;
    if (virt_hostops_undo(ops) < 0)
        run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
    virt_hostops_free(ops);
}

static void pn_cleanup(struct run_ctx *ctx)
{
    struct pn_state *st = ctx->data;
    if (!st)
        return;
    if (st->fw_attached)
        run_tl_fw_detach(ctx);
    /* the network back first: the VMs' cleanup talks to the destination */
    pn_ops_undo(ctx, st->fw_ops);
    pn_tcp_restore(ctx, st);
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    run_vmset_cleanup(ctx, &st->vms);
    pn_ops_undo(ctx, st->tls_ops);
    free(st->tls_extra);
    free(st);
    ctx->data = NULL;
}

/* `virsh WORDS DOM` on the destination (exit status and output into r). */
static int pn_dest_virsh(struct run_ctx *ctx, const char *cmd, const char *dom,
                         struct run_virsh *r)
{
    const char *words[] = { cmd, dom, NULL };
    if (run_virsh_words(ctx, 1, words, r) < 0)
        return run_error(ctx, "CmdError", "virsh %s: %s", cmd, err_msg());
    return 0;
}

/* verify_test's dominfo (check_result against dominfo_check) and domtime (its exit
 * status) on the destination. */
static int pn_dest_checks(struct run_ctx *ctx, const struct pn_opts *o, const char *dom)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (o->dominfo_check && (rc = pn_dest_virsh(ctx, "dominfo", dom, &r)) == 0) {
        if (r.status || mig_tl_search(o->dominfo_check, r.out.buf) != 1)
            rc = run_fail(ctx, "DominfoCheck", "virsh dominfo %s on the destination (exit "
                          "%d) does not match '%s': %s%s", dom, r.status, o->dominfo_check,
                          r.out.buf, r.err.buf);
    }
    run_virsh_release(&r);
    r = (struct run_virsh)RUN_VIRSH_INIT;
    if (rc == 0 && (rc = pn_dest_virsh(ctx, "domtime", dom, &r)) == 0 && r.status)
        rc = run_fail(ctx, "DomtimeCheck", "virsh domtime %s on the destination: exit %d: "
                      "%s", dom, r.status, r.err.buf);
    run_virsh_release(&r);
    return rc;
}

/* The host record of the hop is the firewall's: a daemon an action stops
 * (libvirt_service.control_service) is started again by its undo. */
static int pn_hop(struct run_ctx *ctx, const struct pn_opts *o, struct pn_state *st, bool again)
{
    return run_base_hop_ops(ctx, &st->vms, (size_t)o->main_vm, &st->mig, again,
                            again ? o->again_status_error : o->status_error,
                            again && o->err_msg_again ? o->err_msg_again : o->err_msg,
                            st->fw_ops);
}

/* run_migration_again: the VM started again unless the postcopy is resumed. */
static int pn_again(struct run_ctx *ctx, const struct pn_opts *o, struct pn_state *st,
                    const char *dom, bool both)
{
    size_t i = (size_t)o->main_vm;
    if (!o->resume) {
        if (run_tl_start_on_source(ctx, &st->vms, i) < 0)
            return -1;
        if (virt_vms_wait_login(&st->vms, i, ctx->common->login_timeout) < 0)
            return run_error(ctx, "LoginError", "before the second migration: %s",
                             err_msg());
    }
    if (o->speed_again && run_base_setspeed(ctx, 0, dom, o->speed_again, both) < 0)
        return -1;
    return pn_hop(ctx, o, st, true);
}

static int pn_run(struct run_ctx *ctx)
{
    const struct pn_opts *o = ctx->opts;
    struct pn_state *st = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = st->vms.vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (o->tcp_config && pn_tcp_set(ctx, st, o->tcp_config) < 0)
        return -1;
    if (st->tls_ops) {
        struct run_tls_pki k;
        run_tls_pki_of(ctx->params, NULL, &k);
        if (run_tls_pki_setup(ctx, st->tls_ops, &k) < 0)
            return -1;
    }
    if (run_vmtype_prepare(ctx, &st->vms, i, true, true) < 0)
        return -1;
    if ((o->events_src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
        (o->events_dst && !(st->ev_dst = run_base_events_start(ctx, 1))))
        return -1;
    if (o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool &&
        run_tl_guest_stress(ctx, &st->vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = pn_hop(ctx, o, st, false);
    if (rc >= 0 && o->migrate_again)
        rc = pn_again(ctx, o, st, dom, both);
    if (rc < 0)
        return -1;
    /* verify_test of pause_by_network_and_recover; the other verifies by default only */
    if (ctx->type == &run_type_pause_by_network_and_recover && pn_dest_checks(ctx, o, dom) < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, &st->vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    if ((st->ev_src && run_base_events_check(ctx, st->ev_src, "expected_event_src",
                                             o->events_src) < 0) ||
        (st->ev_dst && run_base_events_check(ctx, st->ev_dst, "expected_event_target",
                                             o->events_dst) < 0))
        return -1;
    return 0;
}

/* The types on these steps differ in their name, summary and need rows only. */
#define PN_TYPE(id, need_rows, text)                                                     \
    const struct run_type run_type_##id = {                                              \
        .name = #id,                                                                     \
        .summary = text,                                                                 \
        .needs = { .vms = 1, .hosts = 2, .rows = need_rows, .rows_last = pn_needs_last }, \
        .params = pn_params,                                                             \
        .opts_size = sizeof(struct pn_opts),                                             \
        .check = pn_check,                                                               \
        .setup = pn_setup,                                                               \
        .run = pn_run,                                                                   \
        .cleanup = pn_cleanup,                                                           \
    }

PN_TYPE(pause_by_network_and_recover, pn_needs,
        "tp-libvirt's pause_by_network_and_recover: a postcopy migration paused by "
        "firewall rules on both hosts (the QEMU stream's port or the daemons'), the "
        "source's TCP timers shortened, recovered with --postcopy-resume; dominfo, "
        "domtime, events");
PN_TYPE(no_paused_during_recover_migration, pn_needs_nested,
        "tp-libvirt's no_paused_during_recover_migration: --postcopy-resume of a "
        "migration that is not paused must fail; then a migration succeeds");
PN_TYPE(pause_and_recover_and_disruptive, pd_needs,
        "tp-libvirt's pause_and_recover_and_disruptive: a postcopy paused by "
        "domjobabort, recovered by a --postcopy-resume run during it while a "
        "disruptive action hits the recovery");
PN_TYPE(pause_and_disruptive_and_recover, pn_needs_none,
        "tp-libvirt's pause_and_disruptive_and_recover: a postcopy paused by "
        "domjobabort, a disruptive action on a host, then the --postcopy-resume "
        "run during the first migration");
