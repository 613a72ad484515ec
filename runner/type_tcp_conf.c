/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `tcp_common`, `tcp_migration_address` and `tcp_migration_host`:
 * tp-libvirt's libvirt/tests/src/migration/migration_uri/tcp_common.py,
 * tcp_migration_address.py and tcp_migration_host.py (MigrationBase cases, the
 * network_data_transport/tcp family) on the timeline engine (runner/run_tl.h) with
 * base_steps' shared steps (runner/run_base.h).
 *
 *  - the destination's qemu.conf: qemu_conf_dest's {r"KEY\s*=.*": "KEY=VALUE"} lines
 *    (update_remote_file), or default_qemu_conf's migration_address removed
 *    (remove_key_in_conf), libvirtd restarted in place; the file restored and the
 *    daemon restarted by the cleanup on every path (run_tl_tls.h's qemu.conf helpers,
 *    the PATH.vtrun-TAG.orig backup of virt_hostops);
 *  - setup_connection (migrate_desturi_type tcp: the daemons' TCP listener the lab's
 *    hosts have), the VM started and logged into;
 *  - tcp_common's test_case tcp_common: the source's /var/log/libvirt/qemu/VM.log
 *    emptied before, and "shutting down, reason=migrated" must be in it after the
 *    migration (upstream's tcp_common.py since 9c613b9: it migrates nowhere back);
 *  - check_str_local_log / check_no_str_local_log: the source daemon's debug log;
 *  - run_migration: migrate_speed, stress_package in the guest, the words
 *    (--migrateuri, --listen-address ...) and action_during_mig
 *    (libvirt_network.check_established after "iteration: '1'",
 *    set_migrate_speed_to_high), judged by status_error / err_msg; verify_default.
 *
 *  - set_migration_host: migration_host removed from the destination's qemu.conf
 *    (remove_key_in_conf, libvirtd restarted there) and src_hosts_conf mapped in the
 *    source's /etc/hosts (runner/run_etchosts.h), both put back on every path.
 *
 * Not built, an ERROR naming it: ipv4_env_on_target (NetworkManager stopped and the
 * destination's IPv6 addresses removed), ipv6_config (check_established on ipv6_addr_des), transports other than
 * tcp.  IPv6 cases whose words or qemu.conf lines name the destination's IPv6 address
 * CANCEL first when the settings give no address6 (placeholders); ipv6_config CANCELs
 * for the `ipv6` need (runner/run_needs.c) unless the settings declare the hosts'
 * IPv6, then it is the ERROR.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_etchosts.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

#define QEMU_LOG_DIR "/var/log/libvirt/qemu"
#define QEMU_LOG_STOPPED "shutting down, reason=migrated"

struct tc_opts {
    struct run_base_mig mig;
    bool status_error, default_conf, set_host;
    const char *err_msg, *speed, *stress_tool, *stress_args, *test_case;
    const char *conf_dest, *hosts_conf;
    const char *str_log, *no_str_log;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct tc_opts, __VA_ARGS__)
static const struct run_param tc_params[] = {
    RUN_BASE_MIG_ROWS(struct tc_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "test_case", AT(STR, test_case),
      .doc = "tcp_common: the source's QEMU log must not say 'shutting down'" },
    { "qemu_conf_dest", AT(STR, conf_dest),
      .doc = "{r\"KEY\\s*=.*\": \"KEY=VALUE\"} lines set in the destination's qemu.conf" },
    { "default_qemu_conf", AT(BOOL, default_conf), .def = "no",
      .doc = "tcp_migration_address: migration_address removed from the destination's "
             "qemu.conf (libvirt's default)" },
    { "set_migration_host", AT(BOOL, set_host), .def = "no",
      .doc = "migration_host removed from the destination's qemu.conf, src_hosts_conf "
             "mapped in the source's /etc/hosts" },
    { "src_hosts_conf", AT(STR, hosts_conf),
      .doc = "set_migration_host: {name: address} lines for the source's /etc/hosts" },
    { "check_str_local_log", AT(STR, str_log),
      .doc = "regexes (a list literal) the source daemon's debug log must show" },
    { "check_no_str_local_log", AT(STR, no_str_log),
      .doc = "regexes (a list literal) it must not show" },
    RUN_BASE_POST_ROWS(struct tc_opts),
    { NULL },
};
#undef AT

static const struct run_base_unbuilt tc_unbuilt_rows[] = {
    { "ipv4_env_on_target", "yes" },
    { "ipv6_config", "yes" },
    { "migrate_desturi_type", "ssh" },
    { "migrate_desturi_type", "tls" },
    { "migrate_desturi_type", "unix_proxy" },
    { "transport_type", "tls" },
    { "transport_type", "unix_proxy" },
};

static const char *tc_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(tc_unbuilt_rows, ARRAY_SIZE(tc_unbuilt_rows), p, val);
}

static bool tc_unbuilt_applies(const struct params *p)
{
    const char *v;
    return tc_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int tc_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = tc_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("tcp migration_uri cases (tcp_common, "
                                    "tcp_migration_address, tcp_migration_host)", param, v, p);
}

static const struct run_need tc_needs_last[] = {
    { "not built", .applies = tc_unbuilt_applies, .met = tc_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int tc_check(const struct run_common *c, void *opts)
{
    struct tc_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (o->conf_dest && *o->conf_dest && run_tls_conf_dict_check(o->conf_dest, true) < 0) {
        err_prefix("qemu_conf_dest");
        return -1;
    }
    if (o->set_host && o->hosts_conf && run_etchosts_check(o->hosts_conf) < 0)
        return -1;
    if (run_tls_regex_list_check("check_str_local_log", o->str_log) < 0 ||
        run_tls_regex_list_check("check_no_str_local_log", o->no_str_log) < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct tc_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct virt_hostops *ops;       /* qemu.conf of the destination, the debug log */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
    struct run_etchosts *etchosts;  /* set_migration_host's /etc/hosts of the source */
};

static int tc_setup(struct run_ctx *ctx)
{
    struct tc_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *tag = xasprintf("tc%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

static void tc_cleanup(struct run_ctx *ctx)
{
    struct tc_state *st = ctx->data;
    if (!st)
        return;
    /* the guests first: the daemon restarted by the restore finds none of them */
    run_vmset_cleanup(ctx, &st->vms);
    run_etchosts_restore(ctx, st->etchosts);
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    free(st);
    ctx->data = NULL;
}

/* The destination's qemu.conf as the case wants it, libvirtd restarted there when it
 * changed (update_remote_file / remove_key_in_conf restart it). */
static int tc_dest_conf(struct run_ctx *ctx, const struct tc_opts *o, struct tc_state *st)
{
    bool edited = false;
    /* setup_migration_host: the key removed, then the source's /etc/hosts mapped */
    if (o->set_host) {
        if (run_tls_qemu_conf(ctx, st->ops, 1, "migration_host", NULL) < 0 ||
            run_etchosts_map(ctx, 0, o->hosts_conf, &st->etchosts) < 0)
            return -1;
        edited = true;
    }
    if (o->default_conf) {
        if (run_tls_qemu_conf(ctx, st->ops, 1, "migration_address", NULL) < 0)
            return -1;
        edited = true;
    } else if (o->conf_dest && *o->conf_dest && strcmp(o->conf_dest, "{}")) {
        if (run_tls_qemu_conf_dict(ctx, st->ops, 1, o->conf_dest, true) < 0)
            return -1;
        edited = true;
    }
    return edited ? run_tls_restart(ctx, st->ops, &st->vms, 1) : 0;
}

/* The VM's QEMU log on the source: emptied (the reference's `echo > LOG`), or, with
 * check, searched for what libvirt writes when the migrated QEMU stops
 * (libvirt.check_logfile, str_in_log True). */
static int tc_qemu_log(struct run_ctx *ctx, const char *dom, bool check)
{
    struct virt_host *link = run_host_link(ctx, 0);
    char *path = xasprintf("%s/%s.log", QEMU_LOG_DIR, dom);
    const char *empty[] = { "truncate", "-s", "0", path, NULL };
    const char *grep[] = { "grep", "-E", "-q", QEMU_LOG_STOPPED, path, NULL };
    int status = -1, rc = 0;
    if (!link || virt_host_run(link, check ? grep : empty, 30, NULL, NULL, &status) < 0 ||
        status > (check ? 1 : 0))
        rc = run_error(ctx, "TestSetupError", "%s %s on %s: %s", check ? "grep" : "truncate",
                       path, ctx->hosts[0].name, status > 0 ? "failed" : err_msg());
    else if (check && status == 1)
        rc = run_fail(ctx, "LogCheck", "'%s' not found in %s on %s", QEMU_LOG_STOPPED, path,
                      ctx->hosts[0].name);
    else if (check)
        run_log(ctx, "'%s' in %s, as expected", QEMU_LOG_STOPPED, path);
    free(path);
    return rc;
}

static int tc_flow(struct run_ctx *ctx, bool common)
{
    const struct tc_opts *o = ctx->opts;
    struct tc_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;
    bool logs = (o->str_log && *o->str_log) || (o->no_str_log && *o->no_str_log);
    bool qemu_log = common && o->test_case && !strcmp(o->test_case, "tcp_common");
    struct virt_log_mark mark = { 0 };
    int rc = -1;

    if (tc_dest_conf(ctx, o, st) < 0)
        goto out;
    if (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0)
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        goto out;
    if (qemu_log && tc_qemu_log(ctx, dom, false) < 0)
        goto out;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        goto out;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        goto out;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        goto out;
    /* verify_default: post_migration_check after a migration that succeeded, then the
     * daemon's log */
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        goto out;
    if (logs && run_tls_log_check(ctx, 0, "local", &mark) < 0)
        goto out;
    if (qemu_log && tc_qemu_log(ctx, dom, true) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    return rc;
}

static int tc_run_common(struct run_ctx *ctx)
{
    return tc_flow(ctx, true);
}

static int tc_run_conf(struct run_ctx *ctx)
{
    return tc_flow(ctx, false);
}

const struct run_type run_type_tcp_common = {
    .name = "tcp_common",
    .summary = "tp-libvirt's live migration over TCP: --migrateuri, --listen-address, the "
               "connection seen with ss, the source's QEMU log",
    .needs = { .vms = 1, .hosts = 2, .rows_last = tc_needs_last },
    .params = tc_params,
    .opts_size = sizeof(struct tc_opts),
    .check = tc_check,
    .setup = tc_setup,
    .run = tc_run_common,
    .cleanup = tc_cleanup,
};

/* tcp_migration_address.py: migration_address in the destination's qemu.conf. */
const struct run_type run_type_tcp_migration_address = {
    .name = "tcp_migration_address",
    .summary = "tp-libvirt's live migration over TCP with migration_address set (or "
               "removed) in the destination's qemu.conf; bad addresses refused",
    .needs = { .vms = 1, .hosts = 2, .rows_last = tc_needs_last },
    .params = tc_params,
    .opts_size = sizeof(struct tc_opts),
    .check = tc_check,
    .setup = tc_setup,
    .run = tc_run_conf,
    .cleanup = tc_cleanup,
};

/* tcp_migration_host.py: migration_host in the destination's qemu.conf. */
const struct run_type run_type_tcp_migration_host = {
    .name = "tcp_migration_host",
    .summary = "tp-libvirt's live migration over TCP with migration_host set in the "
               "destination's qemu.conf; the connection seen with ss",
    .needs = { .vms = 1, .hosts = 2, .rows_last = tc_needs_last },
    .params = tc_params,
    .opts_size = sizeof(struct tc_opts),
    .check = tc_check,
    .setup = tc_setup,
    .run = tc_run_conf,
    .cleanup = tc_cleanup,
};
