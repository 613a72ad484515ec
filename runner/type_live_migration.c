/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `live_migration`: tp-libvirt's libvirt/tests/src/migration/live_migration.py
 * on the timeline engine (runner/run_tl.h).
 *
 * One VM starts on the source and is logged into; the migration speed is set
 * (migrate_speed, MiB/s); the VM migrates with virsh_migrate_options +
 * virsh_migrate_extra + postcopy_options while action_during_mig runs around it
 * (avocado-vt's do_migration: events, the destination paused, the actions in order),
 * judged by status_error / err_msg.  Then, as the reference does:
 *  - return_port: the port check_established saw;
 *  - vm_state_after_abort ({'source': S, 'target': T}): S on the source, the domain
 *    persistent there, T on the destination ('nonexist': no such domain);
 *  - migrate_again: the VM (destroyed on the destination when the first hop was to
 *    succeed, started on the source when it is not running) migrates again with
 *    action_during_mig_again, virsh_migrate_extra_mig_again, migrate_speed_again,
 *    judged by migrate_again_status_error; with return_port on the same port;
 *  - wait_for_event: avocado-vt's EventTracker.wait_event around each migration --
 *    after it, whatever its result, an event_type event on the source within
 *    event_timeout s, else ERROR "Not found event ..." (the reference's, which a
 *    migration that is to fail always gets);
 *  - after a last hop that succeeded: the destination's state
 *    (virsh_migrate_dest_state), the guest reached there and a line written to its
 *    disk (simple_disk_check_after_mig).
 *
 * Before the VM starts, the hosts are set up as the reference does, every change
 * undone on every path (runner/run_tl_tls.h): migrate_tls_force_default removes
 * migrate_tls_force from both hosts' qemu.conf; qemu_conf_dest (update_remote_file's
 * {regex: line}) edits the destination's; default_tls_x509_verify,
 * migrate_tls_x509_verify and qemu_conf_src ({key: value}) edit both hosts' (only the
 * source's when qemu_conf_src is set, as update_local_or_both_conf_file); each edited
 * host's libvirtd restarts in place.  setup_tls (qemu_tls) makes certificates as
 * TLSConnection does into custom_pki_path (scp_list_server on the destination,
 * scp_list_client on the source); scp_list_client_again makes them again before the
 * second migration.  A migration with --copy-storage-all copies the guest's disk from
 * the source's private image directory (create_remote_disk_by_same_metadata).
 *
 * stress_package: started in the guest before the migration (run_stress_in_vm).
 *
 * exec_statistics_cmd: prepare_block_device's loop-device disk, attached after the
 * login (runner/run_loopdisk.h); poweroff_src_vm: the poweroff_vm step in the guest.
 * set_migration_host: migration_host removed from the destination's qemu.conf and
 * src_hosts_conf mapped in the source's /etc/hosts (runner/run_etchosts.h), both put
 * back on every path.
 *
 * check_port (migration_minport_occupied): qemu_conf_list's keys (migration_port_min
 * / max) removed from the destination's qemu.conf and its libvirtd restarted, min_port
 * taken there by a listener (runner/run_occupy.h: socat for the reference's nc, stopped
 * on every path where the reference leaves it running), the port check_established
 * returns must be min_port + 1.
 *
 * The reference's other setups (IPv6, virsh options, TLS of the daemons' connection
 * only) and
 * the actions vtrun has no step for are not built: such a case is an ERROR naming
 * what, decided before any VM starts (--dry-run shows it).
 */
#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_loopdisk.h"
#include "runner/run_etchosts.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_occupy.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct lm_opts {
    const char *options, *extra, *postcopy, *extra_again;
    bool status_error, again_status_error, migrate_again, return_port;
    const char *err_msg;                /* of both migrations, as the reference keeps it */
    long speed, speed_again;            /* MiB/s; 0: not set */
    const char *state_after_abort;      /* a dict literal */
    int dest_state;                     /* enum mig_dom_state */
    bool disk_check;
    long main_vm;
    /* host setups */
    bool setup_tls, qemu_tls, tls_force_default, set_host;
    const char *hosts_conf;             /* set_migration_host's {name: address} */
    const char *conf_src, *conf_dest;   /* dict literals */
    const char *x509_default, *x509_migrate;
    const char *pki_dir, *scp_server, *scp_client, *scp_client_again;
    const char *stress_tool, *stress_args;  /* run_stress_in_vm before the migration */
    /* avocado-vt's EventTracker.wait_event around each migration */
    const char *wait_for_event, *event_type;
    long event_timeout;
    /* exec_statistics_cmd: prepare_block_device's loop-device disk (runner/run_loopdisk.h) */
    bool exec_stats;
    const char *block_device, *target_dev;
    /* check_port: qemu_conf_list's keys removed from the destination's qemu.conf,
     * min_port taken there; check_established must see min_port + 1 */
    bool check_port;
    const char *conf_list;
    long min_port;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct lm_opts, __VA_ARGS__)
static const struct run_param lm_params[] = {
    { "virsh_migrate_options", AT(STR, options), .def = "--live --p2p --persistent --verbose",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "virsh_migrate_extra", AT(STR, extra), .doc = "more words after the options" },
    { "postcopy_options", AT(STR, postcopy), .doc = "more words, after the extra ones" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(INT, speed), RUN_PARAM_MIN(1), .unit = "MiB/s",
      .doc = "the migration's bandwidth (virsh migrate-setspeed before it)" },
    { "return_port", AT(BOOL, return_port), .def = "no",
      .doc = "check_established's port; the second migration must use the same" },
    { "vm_state_after_abort", AT(STR, state_after_abort),
      .doc = "{'source': STATE, 'target': STATE|'nonexist'} after the first migration" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no",
      .doc = "migrate a second time" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "virsh_migrate_extra_mig_again", AT(STR, extra_again),
      .doc = "the second migration's extra words (instead of extra + postcopy_options)" },
    { "migrate_speed_again", AT(INT, speed_again), RUN_PARAM_MIN(1), .unit = "MiB/s",
      .doc = "the second migration's bandwidth" },
    { "virsh_migrate_dest_state", AT(ENUM, dest_state, mig_dom_state_words),
      .def = "running", .doc = "state expected on the destination after a migration "
      "that succeeded" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "write a line to the guest's disk on the destination after the migration" },
    { "setup_tls", AT(BOOL, setup_tls), .def = "no",
      .doc = "make TLS certificates for the migration (avocado-vt's TLSConnection)" },
    { "qemu_tls", AT(BOOL, qemu_tls), .def = "no",
      .doc = "with setup_tls: QEMU's (ca-cert.pem ...) in custom_pki_path" },
    { "custom_pki_path", AT(STR, pki_dir), .def = "/etc/pki/qemu",
      .doc = "where the certificates go on both hosts (the hosts' own moved aside)" },
    { "scp_list_server", AT(STR, scp_server), .def = "cacert,cakey,servercert,serverkey",
      .doc = "the credentials put on the destination" },
    { "scp_list_client", AT(STR, scp_client), .def = "cacert,cakey,clientcert,clientkey",
      .doc = "the credentials put on the source" },
    { "scp_list_client_again", AT(STR, scp_client_again),
      .doc = "certificates made again with these on the source before the second migration" },
    { "set_migration_host", AT(BOOL, set_host), .def = "no",
      .doc = "migration_host removed from the destination's qemu.conf, src_hosts_conf "
             "mapped in the source's /etc/hosts" },
    { "src_hosts_conf", AT(STR, hosts_conf),
      .doc = "set_migration_host: {name: address} lines for the source's /etc/hosts" },
    { "migrate_tls_force_default", AT(BOOL, tls_force_default), .def = "no",
      .doc = "migrate_tls_force removed from both hosts' qemu.conf (libvirt's default)" },
    { "qemu_conf_src", AT(STR, conf_src),
      .doc = "{key: value} set in the source's qemu.conf (then only there the x509 keys)" },
    { "qemu_conf_dest", AT(STR, conf_dest),
      .doc = "{regex: 'key=value'} lines set in the destination's qemu.conf" },
    { "default_tls_x509_verify", AT(STR, x509_default),
      .doc = "set in qemu.conf (both hosts, or the source's with qemu_conf_src)" },
    { "migrate_tls_x509_verify", AT(STR, x509_migrate),
      .doc = "set in qemu.conf (both hosts, or the source's with qemu_conf_src)" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool started in the guest before the migration (stress_args)" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "wait_for_event", AT(STR, wait_for_event), .def = "False",
      .doc = "True: after each migration, whatever its result, an event matching "
             "event_type on the source within event_timeout, else ERROR" },
    { "event_type", AT(REGEX, event_type), .def = "",
      .doc = "the event's regex over virsh event --loop --all's text" },
    { "event_timeout", AT(INT, event_timeout), RUN_PARAM_MIN(1), .def = "7", .unit = "s",
      .doc = "how long wait_for_event waits" },
    { "exec_statistics_cmd", AT(BOOL, exec_stats), .def = "no",
      .doc = "a loop-device disk (block_device_name on the shared storage) attached to the "
             "guest as target_dev before the migration" },
    { "block_device_name", AT(STR, block_device), .def = "",
      .doc = "exec_statistics_cmd: the loop devices' file, on the shared storage" },
    { "target_dev", AT(STR, target_dev), .def = "",
      .doc = "exec_statistics_cmd: the loop device's target in the guest" },
    { "check_port", AT(BOOL, check_port), .def = "no",
      .doc = "qemu_conf_list's keys removed from the destination's qemu.conf, min_port "
             "taken by a listener there: the migration must use min_port + 1" },
    { "qemu_conf_list", AT(STR, conf_list), .def = "[]",
      .doc = "check_port: a list literal of qemu.conf keys removed on the destination" },
    { "min_port", AT(INT, min_port), RUN_PARAM_MIN(1), .def = "49152",
      .doc = "check_port: the port taken (libvirt's default migration_port_min)" },
    { NULL },
};
#undef AT

/* The words of a migration: options, then the extra words. */
static char *lm_words(const struct lm_opts *o, bool again)
{
    if (again && o->extra_again)
        return xasprintf("%s %s", o->options ? o->options : "", o->extra_again);
    return xasprintf("%s %s %s", o->options ? o->options : "", o->extra ? o->extra : "",
                     o->postcopy ? o->postcopy : "");
}

/* The reference's setups vtrun does not build: a case with one set is an ERROR naming
 * it.  `unless`: the value that asks for nothing (NULL: "no"). */
static const struct {
    const char *param, *unless;
} lm_unbuilt_rows[] = {
    { "ipv6_config", NULL },
    { "virsh_options", "" },
    { "check_socket_num", NULL },
};

/* The first unbuilt param of p, or NULL; *val its value. */
static const char *lm_unbuilt_param(const struct params *p, const char **val)
{
    const char *tls = params_get(p, "setup_tls"), *qt = params_get(p, "qemu_tls");
    if (tls && !strcmp(tls, "yes") && (!qt || strcmp(qt, "yes"))) {
        *val = qt ? qt : "no";
        return "qemu_tls";  /* TLSConnection for the daemons' connection: not built */
    }
    for (size_t k = 0; k < ARRAY_SIZE(lm_unbuilt_rows); k++) {
        const char *v = params_get(p, lm_unbuilt_rows[k].param);
        const char *unless = lm_unbuilt_rows[k].unless ? lm_unbuilt_rows[k].unless : "no";
        if (!v || !*v || !strcmp(v, unless) || (!strcmp(unless, "False") && !strcmp(v, "no")))
            continue;
        *val = v;
        return lm_unbuilt_rows[k].param;
    }
    return NULL;
}

static bool lm_unbuilt_applies(const struct params *p)
{
    const char *v;
    return lm_unbuilt_param(p, &v) || run_tl_any_action_unbuilt(p);
}

static int lm_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = lm_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_tl_unbuilt_verdict("live_migration", param, v, p);
}

/* wait_for_event on a migration that is to succeed: the event (Post-copy) comes only
 * when the precopy still runs at --timeout (10 s), which an idle TCG guest's never does,
 * even at the cases' 10-20 MiB/s (its memory is mostly zero pages; seen on the lab).
 * With stress_package in the guest it does (seen: PASS).  A migration that is to fail
 * is waited for as avocado-vt waits, to its ERROR. */
static bool lm_event_needs_long_precopy(const struct params *p)
{
    const char *wait = params_get(p, "wait_for_event"), *err = params_get(p, "status_error");
    const char *stress = params_get(p, "stress_package"), *v;
    return wait && (!strcmp(wait, "True") || !strcmp(wait, "yes")) &&
           !(err && !strcmp(err, "yes")) && !(stress && *stress) &&
           !lm_unbuilt_param(p, &v) && !run_tl_any_action_unbuilt(p);
}

/* poweroff_src_vm: `poweroff` in the guest after iteration 1 must end the source's
 * QEMU before the migration at migrate_speed 10 MiB/s ends (status_error).  The case's
 * guest migrates for minutes; the TCG lab's migration is over within about 13 s, before
 * its guest has powered off (seen: "Migration success is unexpected result", 4 of 4). */
static bool lm_poweroff_src(const struct params *p)
{
    const char *v = params_get(p, "poweroff_src_vm"), *u;
    return v && !strcmp(v, "yes") && !lm_unbuilt_param(p, &u) && !run_tl_any_action_unbuilt(p);
}

static const struct run_need lm_needs[] = {
    { "kvm", .applies = lm_poweroff_src, .capability = "kvm",
      .text = "KVM guests of the case's memory: the guest's poweroff must end the source's "
              "QEMU before the migration ends, which the small TCG guest's ends first" },
    { "kvm", .applies = lm_event_needs_long_precopy, .capability = "kvm",
      .text = "KVM guests: the event it waits for after the migration (postcopy after "
              "--timeout) needs a precopy still running then, which a TCG guest's "
              "never is" },
    { NULL },
};

static const struct run_need lm_needs_last[] = {
    { "not built", .applies = lm_unbuilt_applies, .met = lm_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* A vm_state_after_abort state: virsh's words ('shutoff' is virsh's 'shut off'). */
static int lm_state_word(const char *s, enum mig_dom_state *out)
{
    const struct params_word *w = params_word_find(mig_dom_state_words, s);
    if (!w)
        return -1;
    *out = (enum mig_dom_state)w->value;
    return 0;
}

struct lm_after_abort {
    enum mig_dom_state source, target;
};

static int lm_after_abort_parse(const char *text, struct lm_after_abort *out)
{
    struct pylit d;
    int rc = -1;
    if (pylit_parse(text, &d) < 0) {
        err_prefix("vm_state_after_abort");
        return -1;
    }
    const struct pylit *s = pylit_get(&d, "source"), *t = pylit_get(&d, "target");
    if (s && t && s->kind == PYLIT_STR && t->kind == PYLIT_STR &&
        lm_state_word(s->s, &out->source) == 0 && lm_state_word(t->s, &out->target) == 0)
        rc = 0;
    else
        err_set("vm_state_after_abort = '%s': expected {'source': STATE, 'target': STATE} "
                "with running, paused, shut off (shutoff) or nonexist", text);
    pylit_release(&d);
    return rc;
}

static int lm_check(const struct run_common *c, void *opts)
{
    struct lm_opts *o = opts;
    if (o->exec_stats && (!*o->block_device || !*o->target_dev)) {
        err_set("exec_statistics_cmd = yes needs block_device_name and target_dev");
        return -1;
    }
    if (o->check_port && run_tls_key_list_check(o->conf_list) < 0)
        return -1;
    for (int again = 0; again < 2; again++) {
        struct be_migrate_opts mo = { 0 };
        char *words = lm_words(o, again);
        int rc = mig_opts_parse(words, &mo);
        if (rc < 0)
            err_prefix("virsh migrate words '%s'", words);
        mig_opts_release(&mo);
        free(words);
        if (rc < 0)
            return -1;
    }
    struct lm_after_abort aa;
    if (o->state_after_abort && lm_after_abort_parse(o->state_after_abort, &aa) < 0)
        return -1;
    static const struct {
        const char *name;
        size_t off;
    } lists[] = {
        { "scp_list_server", offsetof(struct lm_opts, scp_server) },
        { "scp_list_client", offsetof(struct lm_opts, scp_client) },
        { "scp_list_client_again", offsetof(struct lm_opts, scp_client_again) },
    };
    for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
        const char *v = *(const char *const *)((const char *)o + lists[k].off);
        if (v && run_tls_scp_list_check(v) < 0) {
            err_prefix("%s", lists[k].name);
            return -1;
        }
    }
    if (o->set_host && o->hosts_conf && run_etchosts_check(o->hosts_conf) < 0)
        return -1;
    if (o->conf_src && run_tls_conf_dict_check(o->conf_src, false) < 0) {
        err_prefix("qemu_conf_src");
        return -1;
    }
    if (o->conf_dest && run_tls_conf_dict_check(o->conf_dest, true) < 0) {
        err_prefix("qemu_conf_dest");
        return -1;
    }
    static const char *const verify[] = { "0", "1" };
    for (int k = 0; k < 2; k++) {
        const char *v = k ? o->x509_migrate : o->x509_default;
        if (v && strcmp(v, verify[0]) && strcmp(v, verify[1])) {
            err_set("%s_tls_x509_verify = '%s': expected 0 or 1", k ? "migrate" : "default", v);
            return -1;
        }
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* The options of migration `again` (0 first, 1 second).  0, or -1 with err. */
static int lm_opts_of(struct run_ctx *ctx, const struct lm_opts *o, bool again,
                      struct be_migrate_opts *mo)
{
    char *words = lm_words(o, again);
    int rc = mig_opts_parse(words, mo);
    free(words);
    long speed = again && o->speed_again ? o->speed_again : o->speed;
    mo->bandwidth_mib = speed > 0 ? (unsigned long)speed : 0;
    mo->cancel = ctx->cancel;
    mo->hard_deadline = ctx->deadline;
    return rc;
}

/* vm_state_after_abort: the reference's check_vm_state_after_abort. */
static int lm_after_abort(struct run_ctx *ctx, const struct lm_opts *o, struct virt_vms *vms,
                          size_t i)
{
    struct lm_after_abort aa;
    const char *dom = vms->vm[i].domain;
    if (lm_after_abort_parse(o->state_after_abort, &aa) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    static const struct {
        int host;
        const char *side;
    } sides[] = { { 0, "source" }, { 1, "target" } };
    for (size_t k = 0; k < ARRAY_SIZE(sides); k++) {
        enum mig_dom_state want = k ? aa.target : aa.source;
        enum be_state st;
        bool persistent = false;
        if (virt_vms_domain(vms, sides[k].host, dom, &st, &persistent) < 0)
            return run_error(ctx, "PostMigrationCheck", "%s: %s", sides[k].side, err_msg());
        bool ok = want == MIG_DOM_NONEXIST ? st == BE_STATE_NONE :
                  want == MIG_DOM_RUNNING ? st == BE_STATE_RUNNING :
                  want == MIG_DOM_PAUSED ? st == BE_STATE_PAUSED :
                  want == MIG_DOM_SHUTOFF ? st == BE_STATE_SHUTOFF : false;
        if (!ok)
            return run_fail(ctx, "PostMigrationCheck", "the guest is %s on the %s host, "
                            "expected %s", be_state_name(st), sides[k].side,
                            mig_dom_state_name(want));
        if (!k && !persistent)
            return run_fail(ctx, "PostMigrationCheck", "The guest is expected to be "
                            "persistent on source host, but it isn't");
        run_log(ctx, "after the first migration: %s on the %s host", be_state_name(st),
                sides[k].side);
    }
    return 0;
}

/* The actions of param key, read (mig_act_parse).  -1 with the test's ERROR. */
static int lm_actions(struct run_ctx *ctx, const char *key, struct mig_actions *acts)
{
    if (mig_act_parse(params_get(ctx->params, key), acts) < 0)
        return run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
    return 0;
}

/* wait_for_event as avocado-vt's decorator reads it (a Python truth value). */
static bool lm_waits_event(const struct lm_opts *o)
{
    static const char *const yes[] = { "True", "true", "yes", "1" };
    for (size_t k = 0; o->wait_for_event && k < ARRAY_SIZE(yes); k++)
        if (!strcmp(o->wait_for_event, yes[k]))
            return true;
    return false;
}

/* One migration of VM i from 0 to 1 with its actions: run_tl_hop's returns. */
static int lm_hop(struct run_ctx *ctx, const struct lm_opts *o, struct virt_vms *vms,
                  size_t i, bool again, long *port)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    struct mig_expect e = {
        .status_error = again ? o->again_status_error : o->status_error,
        .err_msg = o->err_msg,
        .cancel_unsupported = true,
    };
    int rc;
    if (lm_opts_of(ctx, o, again, &mo) < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (lm_actions(ctx, again ? "action_during_mig_again" : "action_during_mig", &acts) < 0) {
        rc = -1;
        goto out;
    }
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 0, .to = 1, .n = again ? 2 : 1,
                            .expect = &e, .opts = &mo, .acts = &acts,
                            .wait_event = lm_waits_event(o) ? o->event_type : NULL,
                            .wait_event_s = (double)o->event_timeout };
    rc = run_tl_hop(ctx, &h);
    *port = h.port;
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

/* post_migration_check after a migration that succeeded. */
static int lm_post_check(struct run_ctx *ctx, const struct lm_opts *o, struct virt_vms *vms,
                         size_t i)
{
    enum be_state st;
    bool persistent;
    const char *dom = vms->vm[i].domain;
    if (virt_vms_domain(vms, 1, dom, &st, &persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "destination: %s", err_msg());
    if (o->dest_state == MIG_DOM_NONEXIST) {
        if (st != BE_STATE_NONE)
            return run_fail(ctx, "PostMigrationCheck", "Expected the VM not to exist, bug "
                            "it exists.");
        return 0;
    }
    if (o->dest_state != MIG_DOM_RUNNING)
        return run_fail(ctx, "PostMigrationCheck", "Got the wrong VM state: %s, expected %s",
                        be_state_name(st), mig_dom_state_name(o->dest_state));
    if (run_mig_landed(ctx, vms, i, 1) < 0)
        return -1;
    if (o->disk_check) {
        int status = -1;
        if (virt_vms_exec(vms, i, "echo libvirt_simple_disk_check >> "
                          "/tmp/libvirt_simple_disk_check", 60, NULL, &status) < 0 || status)
            return run_fail(ctx, "PostMigrationCheck", "simple disk check on the "
                            "destination: %s", status > 0 ? "the write failed" : err_msg());
        run_log(ctx, "simple disk check: a line written to the guest's disk on the "
                "destination");
    }
    return 0;
}

struct lm_state {
    struct virt_vms vms;            /* first: the VM set */
    struct params *params;          /* the case's, with a private disk for copy storage */
    struct virt_hostops *ops;       /* configuration, restarts, certificates */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
    struct run_loopdisk disk;       /* exec_statistics_cmd's loop devices and file */
    struct run_etchosts *etchosts;  /* set_migration_host's /etc/hosts of the source */
    struct run_occupy occupy;       /* check_port's listener on min_port */
};

static int lm_setup(struct run_ctx *ctx)
{
    struct lm_state *st = xcalloc(1, sizeof(*st));
    const char *extra = params_get(ctx->params, "virsh_migrate_extra");
    ctx->data = st;
    if (((const struct lm_opts *)ctx->opts)->exec_stats && !ctx->hosts[0].shared_dir)
        return run_cancel(ctx, "shared storage (exec_statistics_cmd's nfs_mount_dir): the "
                          "settings give host %s no shared_dir", ctx->hosts[0].name);
    st->params = params_dup(ctx->params);
    /* create_remote_disk_by_same_metadata: a storage migration copies the source's
     * own disk (set_vm_disk, the shared one, is for the others) */
    if (extra && strstr(extra, "--copy-storage-all") && !params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *tag = xasprintf("lm%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

static void lm_cleanup(struct run_ctx *ctx)
{
    struct lm_state *st = ctx->data;
    if (!st)
        return;
    /* the guests go first: a daemon restarted by the restore reconnects to its
     * running domains in the background, and one looked up meanwhile is not found */
    run_vmset_cleanup(ctx, &st->vms);
    run_loopdisk_cleanup(ctx, &st->disk, &st->vms);
    run_etchosts_restore(ctx, st->etchosts);
    if (run_occupy_release(ctx, &st->occupy) < 0)
        run_error(ctx, "CleanupError", "stopping the listener on %s: %s", ctx->hosts[1].name,
                  err_msg());
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* The certificates of setup_tls, the source's list scp_client. */
static int lm_tls(struct run_ctx *ctx, const struct lm_opts *o, struct lm_state *st,
                  const char *scp_client)
{
    struct run_tls_pki k;
    run_tls_pki_of(ctx->params, scp_client, &k);
    k.dir = o->pki_dir;
    k.scp_server = o->scp_server;
    return run_tls_pki_setup(ctx, st->ops, &k);
}

/* The reference's configuration of both hosts, then one restart of each edited. */
static int lm_host_setup(struct run_ctx *ctx, const struct lm_opts *o, struct lm_state *st)
{
    bool edited[2] = { false, false };
    bool both = !o->conf_src;       /* update_local_or_both_conf_file's mode */
    if (o->set_host) {
        if (run_tls_qemu_conf(ctx, st->ops, 1, "migration_host", NULL) < 0 ||
            run_etchosts_map(ctx, 0, o->hosts_conf, &st->etchosts) < 0)
            return -1;
        edited[1] = true;
    }
    if (o->check_port) {
        if (run_tls_qemu_conf_keys_unset(ctx, st->ops, 1, o->conf_list) < 0)
            return -1;
        edited[1] = true;
    }
    for (int h = 0; h < 2; h++) {
        if (o->tls_force_default) {
            if (run_tls_qemu_conf(ctx, st->ops, h, "migrate_tls_force", NULL) < 0)
                return -1;
            edited[h] = true;
        }
        if (h == 1 && o->conf_dest) {
            if (run_tls_qemu_conf_dict(ctx, st->ops, h, o->conf_dest, true) < 0)
                return -1;
            edited[h] = true;
        }
        if (h == 1 && !both)
            continue;
        if (o->x509_migrate) {
            if (run_tls_qemu_conf(ctx, st->ops, h, "migrate_tls_x509_verify", o->x509_migrate) < 0)
                return -1;
            edited[h] = true;
        }
        if (o->x509_default) {
            if (run_tls_qemu_conf(ctx, st->ops, h, "default_tls_x509_verify", o->x509_default) < 0)
                return -1;
            edited[h] = true;
        }
        if (h == 0 && o->conf_src) {
            if (run_tls_qemu_conf_dict(ctx, st->ops, h, o->conf_src, false) < 0)
                return -1;
            edited[h] = true;
        }
    }
    for (int h = 0; h < 2; h++)
        if (edited[h] && run_tls_restart(ctx, st->ops, &st->vms, h) < 0)
            return -1;
    return o->setup_tls ? lm_tls(ctx, o, st, NULL) : 0;
}

/* check_port: the port check_established returned is the one after the taken
 * min_port (none returned: the reference's int(None) raises). */
static int lm_port_check(struct run_ctx *ctx, const struct lm_opts *o, long port)
{
    if (!port)
        return run_error(ctx, "TypeError", "check_port: check_established returned no port");
    if (port != o->min_port + 1)
        return run_fail(ctx, "TestFail", "Wrong port for migration.  (%ld, not %ld)", port,
                        o->min_port + 1);
    run_log(ctx, "the migration used port %ld, the one after the taken %ld", port, o->min_port);
    return 0;
}

static int lm_run(struct run_ctx *ctx)
{
    const struct lm_opts *o = ctx->opts;
    struct lm_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    long port = 0, port2 = 0;

    if (lm_host_setup(ctx, o, st) < 0)
        return -1;
    if (o->check_port && run_occupy_port(ctx, &st->occupy, 1, (unsigned)o->min_port) < 0)
        return -1;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->exec_stats &&
        run_loopdisk_setup(ctx, &st->disk, vms, i, o->block_device, o->target_dev) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = lm_hop(ctx, o, vms, i, false, &port);
    if (rc < 0)
        return -1;
    bool migrated = rc == 1;
    if (o->check_port && lm_port_check(ctx, o, port) < 0)
        return -1;
    if (o->state_after_abort && lm_after_abort(ctx, o, vms, i) < 0)
        return -1;
    if (o->migrate_again) {
        /* the reference: destroyed where it went when the first was to succeed, then
         * started on the source when it is not running there */
        if (migrated) {
            if (virt_vms_destroy(vms, i) < 0)
                return run_error(ctx, "TestSetupError", "destroy on the destination: %s",
                                 err_msg());
        }
        if (run_tl_start_on_source(ctx, vms, i) < 0)
            return -1;
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
            return run_error(ctx, "LoginError", "before the second migration: %s",
                             err_msg());
        /* the reference makes a new TLS connection object: new certificates */
        if (o->setup_tls && o->scp_client_again && lm_tls(ctx, o, st, o->scp_client_again) < 0)
            return -1;
        rc = lm_hop(ctx, o, vms, i, true, &port2);
        if (rc < 0)
            return -1;
        migrated = rc == 1;
        if (o->return_port) {
            if (port != port2)
                return run_fail(ctx, "PortMismatch", "Expect same port '%ld' is used as "
                                "previous one, but found new one '%ld'", port, port2);
            run_log(ctx, "Same port '%ld' was used as expected", port2);
        }
    }
    if (migrated)
        return lm_post_check(ctx, o, vms, i);
    return 0;
}

const struct run_type run_type_live_migration = {
    .name = "live_migration",
    .summary = "tp-libvirt's live_migration: one VM migrates with actions during the "
               "migration (events, domjobabort, destroy, check_established ...), its state "
               "after an abort, optionally again on the same port",
    .needs = { .vms = 1, .hosts = 2, .rows = lm_needs, .rows_last = lm_needs_last },
    .params = lm_params,
    .opts_size = sizeof(struct lm_opts),
    .check = lm_check,
    .setup = lm_setup,
    .run = lm_run,
    .cleanup = lm_cleanup,
};
