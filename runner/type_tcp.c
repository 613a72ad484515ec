/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `tcp` and `tcp_migrateuri_and_disks_port`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/network_data_transport/tcp.py and
 * tcp_migrateuri_and_disks_port.py (MigrationBase cases) on the timeline engine
 * (runner/run_tl.h) with base_steps' shared steps (runner/run_base.h).
 *
 * setup_connection (migrate_desturi_type tcp: the daemons' TCP listener the lab's
 * hosts already have); the guest's disk is the source's own (its private images_dir)
 * and the destination's is made as prepare_disks_remote makes it (the copy-storage hop
 * creates it: virt/virt.h); run_migration with virsh_migrate_options + extra
 * (--disks-uri, --disks-port, --migrateuri, --listen-address) + copy_storage_option and
 * action_during_mig's libvirt_network.check_sockets_statistics (`ss -tnap` on the
 * destination, runner/run_tl_tcp.c) after need_sleep_time or the block-job event;
 * judged by status_error / err_msg; verify_default after a migration that succeeded.
 * tcp_migrateuri_and_disks_port's remote_add_or_remove_port opens migrateuri_port and
 * disks_port in the destination's firewalld, which the lab's hosts do not run: their
 * ports are open.
 *
 * Not built yet, an ERROR naming it: the UNIX-socket proxy and TLS transports.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct tcp_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *speed, *transport, *check_patterns;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct tcp_opts, __VA_ARGS__)
static const struct run_param tcp_params[] = {
    RUN_BASE_MIG_ROWS(struct tcp_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "migrate_desturi_type", AT(STR, transport), .def = "tcp",
      .doc = "the daemons' connection (setup_connection): tcp" },
    { "check_patterns", AT(STR, check_patterns),
      .doc = "regexes check_sockets_statistics finds in the destination's ss lines" },
    { "virsh_migrate_dest_state", AT(STR, dest_state), .def = "running",
      .doc = "the destination's state after the migration" },
    { "virsh_migrate_src_state", AT(STR, src_state), .def = "shut off",
      .doc = "the source's state after it" },
    { "check_network_accessibility_after_mig", AT(BOOL, network_check), .def = "no",
      .doc = "the guest reached over its network after the migration" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "a line written to the guest's disk after the migration" },
    { NULL },
};
#undef AT

static const char *const tcp_transport_params[] = { "migrate_desturi_type", "transport_type" };

/* The first transport param naming something else than tcp (unix_proxy, tls). */
static const char *tcp_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(tcp_transport_params); k++) {
        const char *v = params_get(p, tcp_transport_params[k]);
        if (v && *v && strcmp(v, "tcp")) {
            *val = v;
            return tcp_transport_params[k];
        }
    }
    return NULL;
}

/* Every check_sockets_statistics of action_during_mig has its dict: 0, or -1 with err
 * naming the param. */
static int tcp_actions_read(const struct params *p)
{
    struct mig_actions acts;
    int rc = 0;
    if (run_base_actions_read(p) < 0)
        return -1;
    if (mig_act_parse(params_get(p, "action_during_mig"), &acts) < 0)
        return -1;
    for (size_t k = 0; k < acts.n && rc == 0; k++)
        if ((rc = run_tl_tcp_sockets_arg_check(&acts.a[k])) < 0)
            err_prefix("action_during_mig");
    mig_act_release(&acts);
    return rc;
}

static bool tcp_unbuilt_applies(const struct params *p)
{
    const char *v;
    return tcp_unbuilt_param(p, &v) || run_tl_any_action_unbuilt(p) || tcp_actions_read(p) < 0;
}

static int tcp_unbuilt_met(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = tcp_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (tcp_actions_read(p) < 0)
        return -1;
    return run_tl_unbuilt_verdict("tcp migration cases (tcp, tcp_migrateuri_and_disks_port)",
                                  param, v, p);
}

/* Its check runs during a migration the case does not slow down (no migrate_speed):
 * need_sleep_time (5 s) after the start, or after the block-job event (the disks
 * mirrored, the memory copy next).  A TCG guest's copy-storage migration on the lab
 * ends about 1 s after the destination's domain appears, and 0.2-2 s after the
 * block-job event: the ss check finds it over (seen on the lab: the same case passed
 * on a loaded machine and failed on a quiet one).  Only hosts running KVM guests with a
 * disk and memory to copy that last, which say so with the capability, run it.  What
 * is not built stays an ERROR (checked first). */
static bool tcp_unthrottled(const struct params *p)
{
    const char *speed = params_get(p, "migrate_speed"), *v;
    struct mig_actions acts;
    bool any;
    if (tcp_unbuilt_param(p, &v) || (speed && *speed) || tcp_actions_read(p) < 0 ||
        mig_act_parse(params_get(p, "action_during_mig"), &acts) < 0)
        return false;
    any = acts.n > 0;
    mig_act_release(&acts);
    return any;
}

/* invalid_hostname expects getaddrinfo's answer of a resolver that says the name does
 * not exist; a host without a reachable DNS server (the lab's network namespace) gets
 * "Temporary failure in name resolution" instead. */
static bool tcp_nxdomain_applies(const struct params *p)
{
    const char *e = params_get(p, "err_msg"), *v;
    return !tcp_unbuilt_param(p, &v) && e && strstr(e, "Name or service not known");
}

/* libvirt 9.0 keeps a port --disks-port named reserved in the destination's daemon
 * after the migration: the next migration given it fails "Failed to reserve port N"
 * before any copy (seen on the lab: valid_port passes once per daemon).  A migration
 * that must succeed with one needs a daemon that releases it. */
static bool tcp_disks_port_applies(const struct params *p)
{
    const char *extra = params_get(p, "virsh_migrate_extra"), *st = params_get(p, "status_error");
    const char *v;
    return !tcp_unbuilt_param(p, &v) && extra && strstr(extra, "--disks-port") &&
           (!st || strcmp(st, "yes"));
}

static const struct run_need tcp_needs[] = {
    /* invalid_migrateuri: 10.10.10.10 must swallow the connection; with no route to it
     * the lab's QEMU says "Network is unreachable" at once */
    { "silent_drop_route", .when = { { "err_msg", .has = "timed" } },
      .capability = "silent_drop_route",
      .text = "a route to the case's unreachable address whose packets are dropped "
              "silently, so the connection times out ('Connection timed out', the error the "
              "case expects; without a route: 'Network is unreachable')" },
    /* no_permission_port: --disks-port 1000 refused to an unprivileged QEMU; the lab's
     * QEMU runs as root and binds it */
    { "qemu_unprivileged", .when = { { "err_msg", .has = "Permission" } },
      .capability = "qemu_unprivileged",
      .text = "QEMU running as an unprivileged user (a port below 1024 refused: 'Permission "
              "denied', the error the case expects)" },
    { "disks_port_release", .applies = tcp_disks_port_applies,
      .capability = "disks_port_release",
      .text = "a destination daemon that releases the port --disks-port named after a "
              "migration (libvirt 9.0 keeps it reserved: a second migration given it fails "
              "'Failed to reserve port')" },
    { "dns", .applies = tcp_nxdomain_applies, .capability = "dns",
      .text = "a DNS resolver answering that a name does not exist ('Name or service not "
              "known', the error the case expects; without one getaddrinfo says 'Temporary "
              "failure in name resolution')" },
    { "kvm", .applies = tcp_unthrottled, .capability = "kvm",
      .text = "KVM guests: its check runs during a migration the case does not slow down "
              "(no migrate_speed), which a TCG guest's migration ends before" },
    { NULL },
};

static const struct run_need tcp_needs_last[] = {
    { "not built", .applies = tcp_unbuilt_applies, .met = tcp_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int tcp_check(const struct run_common *c, void *opts)
{
    struct tcp_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct tcp_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
};

static int tcp_setup(struct run_ctx *ctx)
{
    struct tcp_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    /* the disk is the source's own (storage_type ""): a copy-storage migration copies
     * it into the destination's images_dir */
    if (run_cs_vmset_setup(ctx, &st->vms, &st->params) < 0)
        return -1;
    return 0;
}

static void tcp_cleanup(struct run_ctx *ctx)
{
    struct tcp_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

static int tcp_run(struct run_ctx *ctx)
{
    const struct tcp_opts *o = ctx->opts;
    struct tcp_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed, both) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0)
        return -1;
    /* verify_default: post_migration_check after a migration that succeeded */
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_tcp = {
    .name = "tcp",
    .summary = "tp-libvirt's copy-storage migration over TCP: --disks-uri, --migrateuri, "
               "--listen-address; the sockets seen with ss on the destination; bad "
               "addresses refused",
    .needs = { .vms = 1, .hosts = 2, .rows = tcp_needs, .rows_last = tcp_needs_last },
    .params = tcp_params,
    .opts_size = sizeof(struct tcp_opts),
    .check = tcp_check,
    .setup = tcp_setup,
    .run = tcp_run,
    .cleanup = tcp_cleanup,
};

/* tcp_migrateuri_and_disks_port.py: the same flow with --migrateuri HOST:PORT and
 * --disks-port, the ports checked with ss after the block-job event. */
const struct run_type run_type_tcp_migrateuri_and_disks_port = {
    .name = "tcp_migrateuri_and_disks_port",
    .summary = "tp-libvirt's copy-storage migration with --migrateuri HOST:PORT and "
               "--disks-port; the ports seen with ss on the destination; bad ones refused",
    .needs = { .vms = 1, .hosts = 2, .rows = tcp_needs, .rows_last = tcp_needs_last },
    .params = tcp_params,
    .opts_size = sizeof(struct tcp_opts),
    .check = tcp_check,
    .setup = tcp_setup,
    .run = tcp_run,
    .cleanup = tcp_cleanup,
};
