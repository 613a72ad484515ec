/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_network_data_transport`: tp-libvirt's
 * libvirt/tests/src/migration/migration_uri/migration_network_data_transport.py (a
 * MigrationBase case: tunnelled and UNIX-proxy data transports) on the timeline engine
 * (runner/run_tl.h) with base_steps' shared steps (runner/run_base.h).
 *
 * setup_connection (migrate_desturi_type tcp or ssh: the daemons' listeners the lab's
 * hosts have); migrate_speed set, stress_package in the guest; run_migration with
 * virsh_migrate_options + extra (--tunnelled) and action_during_mig
 * (libvirt_network.check_established, here with expected_network_conn_num: no QEMU
 * connection between the hosts, the data goes through the daemons'; then
 * set_migrate_speed_to_high), judged by status_error / err_msg; verify_default; then
 * run_migration_back (unless migrate_vm_back = no): the same options and extra, from
 * the destination back to the source, which must succeed.
 *
 * unix_proxy cases: setup_connection's UNIX-socket proxies (runner/run_uproxy.h),
 * check_established's check_socket_num (runner/run_tl_socknum.c).  The proxies are
 * one-way (source listens, destination connects) as avocado-vt's
 * UNIXSocketConnection's are, so run_migration_back with --migrateuri unix://... has
 * no proxy to go through, in the reference as here.
 *
 * Not built, an ERROR naming it: the daemons' own TLS connection (desturi_tls:
 * migrate_desturi_type tls without qemu_tls, runner/run_tlsconn.h); check_socket_num
 * without --p2p (the reference counts virsh's own desturi-socket connection, which
 * vtrun's client, connected to the destination directly, does not make).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tlsconn.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct nt_opts {
    struct run_base_mig mig;
    bool status_error, back;
    const char *err_msg, *speed, *stress_tool, *stress_args;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
    struct run_uproxy *proxy;       /* setup_connection's, when the case wants it */
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct nt_opts, __VA_ARGS__)
static const struct run_param nt_params[] = {
    RUN_BASE_MIG_ROWS(struct nt_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_vm_back", AT(BOOL, back), .def = "yes",
      .doc = "migrate back (options + extra) after verify_default" },
    RUN_BASE_POST_ROWS(struct nt_opts),
    { NULL },
};
#undef AT

static const char *nt_unbuilt_param(const struct params *p, const char **val)
{
    return run_tlsconn_unbuilt(p, val);
}

/* check_socket_num without --p2p: the desturi-socket connection counted is virsh's */
static bool nt_client_socket(const struct params *p)
{
    return !strcmp(params_get_or(p, "check_socket_num", "no"), "yes") &&
           !strstr(params_get_or(p, "virsh_migrate_options", "--live --verbose"), "--p2p");
}

static bool nt_unbuilt_applies(const struct params *p)
{
    if (nt_client_socket(p))
        return true;
    const char *v;
    return nt_unbuilt_param(p, &v) || run_base_actions_unbuilt(p) || run_uproxy_check(p) < 0;
}

static int nt_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = nt_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (run_uproxy_check(p) < 0)
        return -1;
    if (!param && nt_client_socket(p)) {
        err_set("check_socket_num = 'yes' without --p2p: the reference counts virsh's "
                "own connection through /tmp/desturi-socket; vtrun's client reaches the "
                "destination directly, so one socket fewer is there (not built)");
        return -1;
    }
    return run_base_unbuilt_verdict("migration_network_data_transport", param, v, p);
}

static const struct run_need nt_needs_last[] = {
    { "not built", .applies = nt_unbuilt_applies, .met = nt_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int nt_check(const struct run_common *c, void *opts)
{
    struct nt_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

/* setup_connection: the proxies (unix_proxy cases), then setup_default's VM. */
static int nt_setup(struct run_ctx *ctx)
{
    struct nt_opts *o = ctx->opts;
    if (run_uproxy_setup(ctx, ctx->params, &o->proxy) < 0)
        return -1;
    return run_vmtype_setup(ctx);
}

/* cleanup_connection: cleanup_default's VMs, then the proxies. */
static void nt_cleanup(struct run_ctx *ctx)
{
    struct nt_opts *o = ctx->opts;
    run_vmtype_cleanup(ctx);
    run_uproxy_cleanup(ctx, o->proxy);
    o->proxy = NULL;
}

/* run_migration_back: virsh migrate with options + extra from the destination to the
 * source; its failure is the test's FAIL (the reference's test.fail). */
static int nt_back(struct run_ctx *ctx, const struct nt_opts *o, struct virt_vms *vms,
                   size_t i)
{
    struct be_migrate_opts mo = { 0 };
    struct be_hop_metrics m = { 0 };
    char *words = xasprintf("%s %s", o->mig.options ? o->mig.options : "",
                            o->mig.extra ? o->mig.extra : "");
    if (mig_opts_parse(words, &mo) < 0) {
        int rc = run_error(ctx, "ConfigError", "the way back's words '%s': %s", words,
                           err_msg());
        mig_opts_release(&mo);
        free(words);
        return rc;
    }
    mo.cancel = ctx->cancel;
    mo.hard_deadline = ctx->deadline;
    int rc = virt_vms_migrate(vms, i, 0, &mo, &m);
    virt_vms_record_hop(vms, i, 2, 1, 0, &m, rc == 0, rc == 0 ? NULL : err_msg());
    mig_opts_release(&mo);
    if (rc < 0) {
        rc = run_fail(ctx, "MigrationBackFailed", "Failed to run 'virsh migrate %s' back to "
                      "the source: %s", words, err_msg());
        free(words);
        return rc;
    }
    run_log(ctx, "%s migrated back to %s (%s)", vms->vm[i].domain, ctx->hosts[0].name, words);
    free(words);
    return 0;
}

static int nt_run(struct run_ctx *ctx)
{
    const struct nt_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int hop = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (hop < 0)
        return -1;
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        return -1;
    /* the reference migrates back whatever the first migration did; a guest that
     * stayed on the source has nothing to come back from */
    if (o->back && hop == 1)
        return nt_back(ctx, o, vms, i);
    return 0;
}

const struct run_type run_type_migration_network_data_transport = {
    .name = "migration_network_data_transport",
    .summary = "tp-libvirt's live migration with the data tunnelled through the daemons' "
               "connection (tcp, ssh): no QEMU connection between the hosts; then back",
    .needs = { .vms = 1, .hosts = 2, .rows_last = nt_needs_last },
    .params = nt_params,
    .opts_size = sizeof(struct nt_opts),
    .check = nt_check,
    .setup = nt_setup,
    .run = nt_run,
    .cleanup = nt_cleanup,
};
