/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_desturi`: tp-libvirt's
 * libvirt/tests/src/migration/migration_uri/migration_desturi.py (a MigrationBase case)
 * on the timeline engine with base_steps' shared steps (runner/run_base.h,
 * runner/run_vmconf.h).
 *
 * The destination URI is the case's: qemu+{tcp,tls,ssh,aaa}://{address, [IPv6],
 * hostname, an unknown name, an unreachable address}/system.  setup_connection's
 * TCP listener, TLS certificates (server and client) and SSH keys are the lab hosts'
 * (their daemons listen on 16509 and 16514; the source reaches the destination over
 * SSH), its firewall port unneeded (no firewall).  Peer to peer the source daemon
 * dials that URI: run_migration at migrate_speed with stress in the guest, and
 * action_during_mig's check_established after the first iteration looks on the source
 * (check_local_port) for the daemon's (or ssh's) connection to the destination's
 * port_to_check; judged by status_error / err_msg.  verify_desturi: the source's state
 * (virsh_migrate_src_state), then verify_default (after a migration that succeeded:
 * both states, the guest reached, a line written to its disk).
 *
 * CANCEL, what the lab's hosts are not: an IPv6 address (its placeholder left in
 * virsh_migrate_desturi), a DNS resolver that says a name does not exist (dns), a
 * route that drops packets silently so a connection times out (silent_drop_route).
 * Without --p2p virsh itself, on the source host, connects to the URI, and
 * check_established looks there for that connection: vtrun's client runs on its own
 * machine (CANCEL client_on_source).  A transport libvirt does not know
 * (wrong_protocol) fails in the client's own open, before anything migrates:
 * run_vmconf_hop opens it as virsh does.  ERROR, not built: without --p2p, a known
 * transport's connection failure from the source host (a wrong name or address, on
 * hosts that meet dns / silent_drop_route).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct du_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *speed, *stress_tool, *stress_args, *transport, *test_case;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct du_opts, __VA_ARGS__)
static const struct run_param du_params[] = {
    RUN_BASE_MIG_ROWS(struct du_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_desturi_type", AT(STR, transport), .def = "tcp",
      .doc = "virsh_migrate_desturi's transport (tcp, tls, ssh; another one is refused)" },
    { "test_case", AT(STR, test_case),
      .doc = "desturi: the source's state checked before verify_default" },
    RUN_BASE_POST_ROWS(struct du_opts),
    { NULL },
};
#undef AT

static bool du_p2p(const struct params *p)
{
    const char *o = params_get_or(p, "virsh_migrate_options", "--live --verbose");
    return strstr(o, "--p2p") != NULL;
}

/* A transport libvirt knows: its connection errors are the resolver's and the
 * network's, not "transport in URL not recognised". */
static bool du_known_transport(const struct params *p)
{
    static const char *const known[] = { "tcp", "tls", "ssh" };
    const char *t = params_get_or(p, "migrate_desturi_type", "tcp");
    for (size_t k = 0; k < ARRAY_SIZE(known); k++)
        if (!strcmp(t, known[k]))
            return true;
    return false;
}

static bool du_err_has(const struct params *p, const char *what)
{
    const char *e = params_get(p, "err_msg");
    /* p2p or not: a case these hosts cannot meet CANCELs before it is an ERROR for what
     * vtrun does not build */
    return du_known_transport(p) && e && strstr(e, what);
}

/* wrong_hostname: getaddrinfo's answer of a resolver that says the name does not exist */
static bool du_nxdomain(const struct params *p)
{
    return du_err_has(p, "Name or service not known");
}

/* wrong_ip_addr: 192.168.10.1 must swallow the connection */
static bool du_timeout(const struct params *p)
{
    return du_err_has(p, "Connection timed out");
}

/* Without --p2p, check_established (check_local_port, service_to_check virsh or its
 * ssh) looks on the source for virsh's own connection to the destination: avocado-vt
 * runs virsh on the source host; vtrun's migration client runs on the machine vtrun
 * runs on, so the source has no such connection to find. */
static bool du_client_on_source(const struct params *p)
{
    /* a migration meant to fail ends before the event check_established waits for */
    return !du_p2p(p) && du_known_transport(p) &&
           strcmp(params_get_or(p, "status_error", "no"), "yes") &&
           strstr(params_get_or(p, "action_during_mig", ""), "check_established") &&
           !strcmp(params_get_or(p, "check_local_port", "no"), "yes");
}

static const struct run_need du_needs[] = {
    { "dns", .applies = du_nxdomain, .capability = "dns",
      .text = "a DNS resolver answering that a name does not exist ('Name or service not "
              "known', the error the case expects; without one getaddrinfo says 'Temporary "
              "failure in name resolution')" },
    { "silent_drop_route", .applies = du_timeout, .capability = "silent_drop_route",
      .text = "a route to the case's unreachable address whose packets are dropped "
              "silently, so the connection times out ('Connection timed out', the error the "
              "case expects; without a route: 'Network is unreachable')" },
    { "client_on_source", .applies = du_client_on_source,
      .text = "the migration's virsh client running on the source host, whose connection "
              "to the destination (virsh, or its ssh) check_established looks for there "
              "(vtrun migrates from the machine it runs on)" },
    { NULL },
};

/* Without --p2p, a URI whose transport libvirt knows is opened by virsh on the source
 * (run_vmconf_hop opens only one it refuses, as virsh's client would). */
static bool du_unbuilt_applies(const struct params *p)
{
    return (!du_p2p(p) && du_known_transport(p)) || run_base_actions_unbuilt(p);
}

static int du_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    if (!du_p2p(p)) {
        err_set("virsh_migrate_options = '%s' (no --p2p): vtrun's client does not open "
                "virsh_migrate_desturi over '%s' from the source host yet (where that "
                "connection fails as the case expects)",
                params_get_or(p, "virsh_migrate_options", ""),
                params_get_or(p, "migrate_desturi_type", "tcp"));
        return -1;
    }
    return run_base_unbuilt_verdict("migration_desturi", NULL, NULL, p);
}

static const struct run_need du_needs_last[] = {
    { "not built", .applies = du_unbuilt_applies, .met = du_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int du_check(const struct run_common *c, void *opts)
{
    struct du_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct du_state {
    struct virt_vms vms;
    struct run_vmconf_hosts hosts;
};

static int du_setup(struct run_ctx *ctx)
{
    struct du_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    run_vmconf_hosts_swap(ctx, &st->hosts);
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void du_cleanup(struct run_ctx *ctx)
{
    struct du_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    run_vmconf_hosts_restore(ctx, &st->hosts);
    free(st);
    ctx->data = NULL;
}

static int du_run(struct run_ctx *ctx)
{
    const struct du_opts *o = ctx->opts;
    struct du_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, dom, o->speed, o->mig.postcopy && *o->mig.postcopy) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    char *words = run_base_words(&o->mig, false);
    int rc = run_vmconf_hop(ctx, vms, i, words, false, o->status_error, o->err_msg,
                            ctx->common->virsh_migrate_desturi);
    free(words);
    if (rc < 0)
        return -1;
    if (o->test_case && !strcmp(o->test_case, "desturi") &&
        run_vmconf_state_is(ctx, 0, dom, o->src_state,
                            "Migrated VM failed to be in the expected state at source") < 0)
        return -1;
    /* then verify_default: post_migration_check only after a migration that succeeded */
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migration_desturi = {
    .name = "migration_desturi",
    .summary = "tp-libvirt's migration_desturi: the destination URI's transports and host "
               "forms (tcp, tls, ssh, a wrong one; address, name, wrong ones), peer to peer",
    .needs = { .vms = 1, .hosts = 2, .rows = du_needs, .rows_last = du_needs_last },
    .params = du_params,
    .opts_size = sizeof(struct du_opts),
    .check = du_check,
    .setup = du_setup,
    .run = du_run,
    .cleanup = du_cleanup,
};
