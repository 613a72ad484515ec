/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `unix_proxy`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/network_data_transport/unix_proxy.py (a
 * MigrationBase case) on the timeline engine (runner/run_tl.h) with base_steps' shared
 * steps (runner/run_base.h).
 *
 * setup_connection builds the unix_proxy transport (socat on both hosts,
 * runner/run_uproxy.h) and setup_default starts the VM on the source with its own disk
 * (its images_dir) and logs in; prepare_disks_remote's disk on the destination is made
 * by the copy-storage hop (virt/virt.h); run_migration migrates over
 * qemu+unix:///system?socket=/tmp/desturi-socket with --migrateuri unix://... and
 * --disks-uri unix://... (the proxies' sockets) + copy_storage_option, judged by
 * status_error / err_msg (a --disks-uri socket that does not exist); verify_default
 * checks both sides and the guest after a migration that succeeded; cleanup_connection
 * stops the proxies.
 *
 * CANCEL: selinux (unix_socket_path_non_exist's err_msg matches only SELinux's text).
 * A hop without --p2p: vtrun's own connection to the destination is the client's
 * (virsh's desturi connection goes through the proxy in the reference); the migration's
 * streams go through the proxies the same.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct up_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *speed;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct up_opts, __VA_ARGS__)
static const struct run_param up_params[] = {
    RUN_BASE_MIG_ROWS(struct up_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    RUN_BASE_POST_ROWS(struct up_opts),
    { NULL },
};
#undef AT

static const struct run_base_unbuilt up_unbuilt_rows[] = {
    { "transport_type", "tls" },
    { "migrate_desturi_type", "tls" },
};

static const char *up_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(up_unbuilt_rows, ARRAY_SIZE(up_unbuilt_rows), p, val);
}

static bool up_unbuilt_applies(const struct params *p)
{
    const char *v;
    return up_unbuilt_param(p, &v) || run_base_actions_unbuilt(p) || run_uproxy_check(p) < 0;
}

static int up_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = up_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (run_uproxy_check(p) < 0)
        return -1;
    return run_base_unbuilt_verdict("unix_proxy", param, v, p);
}

/* unix_socket_path_non_exist's err_msg: "unable to stat: PATH>: No such file..." (the
 * '>' is in no libvirt message) or SELinux's "unable to set security context ... on
 * 'PATH'": only a host whose libvirt runs the SELinux driver prints a match (the lab's,
 * without it: "unable to stat: PATH: No such file or directory", tp-libvirt's FAIL). */
static bool up_selinux_msg(const struct params *p)
{
    const char *m = params_get(p, "err_msg"), *v;
    return m && strstr(m, "unable to set security context") && !up_unbuilt_param(p, &v) &&
           run_uproxy_check(p) == 0;
}

static const struct run_need up_needs[] = {
    { "selinux", .applies = up_selinux_msg, .capability = "selinux",
      .text = "hosts running libvirt's SELinux driver: the only err_msg alternative a "
              "libvirt prints is its 'unable to set security context' (the other has a "
              "stray '>')" },
    { NULL },
};

static const struct run_need up_needs_last[] = {
    { "not built", .applies = up_unbuilt_applies, .met = up_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int up_check(const struct run_common *c, void *opts)
{
    struct up_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct up_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
    struct run_uproxy *proxy;
};

static int up_setup(struct run_ctx *ctx)
{
    struct up_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    /* the disk is the source's own: the migration copies it (copy_storage_option) */
    if (run_cs_vmset_setup(ctx, &st->vms, &st->params) < 0)
        return -1;
    return run_uproxy_setup(ctx, ctx->params, &st->proxy);
}

static void up_cleanup(struct run_ctx *ctx)
{
    struct up_state *st = ctx->data;
    if (!st)
        return;
    /* cleanup_default, then cleanup_conn_obj */
    run_vmset_cleanup(ctx, &st->vms);
    run_uproxy_cleanup(ctx, st->proxy);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

static int up_run(struct run_ctx *ctx)
{
    const struct up_opts *o = ctx->opts;
    struct up_state *st = ctx->data;
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
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_unix_proxy = {
    .name = "unix_proxy",
    .summary = "tp-libvirt's network_data_transport unix_proxy: a copy-storage migration "
               "over UNIX sockets bridged by socat proxies (desturi, --migrateuri, "
               "--disks-uri)",
    .needs = { .vms = 1, .hosts = 2, .rows = up_needs, .rows_last = up_needs_last },
    .params = up_params,
    .opts_size = sizeof(struct up_opts),
    .check = up_check,
    .setup = up_setup,
    .run = up_run,
    .cleanup = up_cleanup,
};
