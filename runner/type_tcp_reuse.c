/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `tcp_migration_port_reuse` and `tcp_port_reuse`: tp-libvirt's
 * libvirt/tests/src/migration/migration_uri/tcp_migration_port_reuse.py and
 * libvirt/tests/src/migration_with_copy_storage/network_data_transport/
 * tcp_port_reuse.py (MigrationBase cases: a second migration must get the migration
 * port the first one had) on the timeline engine (runner/run_tl.h) with base_steps'
 * shared steps (runner/run_base.h).
 *
 * tcp_migration_port_reuse: the VM (its disk shared) started and logged into,
 * migrate_speed, stress_package in the guest, run_migration with action_during_mig
 * (check_established after "iteration: '1'"; abort_migration: virsh domjobabort 3 s
 * later, the migration must fail); migration_completion destroys the VM on the
 * destination and starts it on the source; run_migration_again (the VM started on the
 * source when it is not running, logged into; action_during_mig_again's
 * check_established before the destination pauses), judged by
 * migrate_again_status_error; verify_default.
 *
 * tcp_port_reuse: the VM's disk is the source's own (the copy-storage hop makes the
 * destination's as prepare_disks_remote does: virt/virt.h); run_migration with
 * copy_storage_option and check_sockets_statistics (`ss -tnap` on the destination,
 * runner/run_tl_tcp.c) after the block-job event; with migrate_again the VM destroyed
 * on the destination, started on the source, logged into and migrated again with the
 * same check; verify_default.
 *
 * Not built, an ERROR naming it: transports other than tcp; a check_established marked
 * before_pause (tcp_migration_port_reuse's second migration), which the engine runs
 * before QEMU's connection exists (tr_early_check).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct tr_opts {
    struct run_base_mig mig;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again, *speed, *speed_again, *test_case;
    const char *stress_tool, *stress_args;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct tr_opts, __VA_ARGS__)
static const struct run_param tr_params[] = {
    RUN_BASE_MIG_ROWS(struct tr_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "test_case", AT(STR, test_case),
      .doc = "tcp_migration_port_reuse: migration_completion destroys the VM on the "
             "destination before the second migration" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no",
      .doc = "tcp_port_reuse: migrate again (tcp_migration_port_reuse always does)" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { "migrate_speed_again", AT(STR, speed_again),
      .doc = "MiB/s set before the second migration" },
    RUN_BASE_POST_ROWS(struct tr_opts),
    { NULL },
};
#undef AT

static const struct run_base_unbuilt tr_unbuilt_rows[] = {
    { "migrate_desturi_type", "ssh" },
    { "migrate_desturi_type", "tls" },
    { "migrate_desturi_type", "unix_proxy" },
    { "transport_type", "tls" },
    { "transport_type", "unix_proxy" },
};

static const char *tr_unbuilt_param(const struct params *p, const char **val)
{
    return run_base_unbuilt_param(tr_unbuilt_rows, ARRAY_SIZE(tr_unbuilt_rows), p, val);
}

/* Every check_sockets_statistics of both action lists has its dict: 0, or -1 with err
 * naming the param. */
static int tr_sockets_read(const struct params *p)
{
    static const char *const keys[] = { "action_during_mig", "action_during_mig_again" };
    int rc = 0;
    for (size_t k = 0; k < ARRAY_SIZE(keys) && rc == 0; k++) {
        struct mig_actions acts;
        if (mig_act_parse(params_get(p, keys[k]), &acts) < 0)
            return -1;
        for (size_t j = 0; j < acts.n && rc == 0; j++)
            if ((rc = run_tl_tcp_sockets_arg_check(&acts.a[j])) < 0)
                err_prefix("%s", keys[k]);
        mig_act_release(&acts);
    }
    return rc;
}

/* The first action list with a check_established marked before_pause, or NULL.  The
 * engine runs it as soon as the migration starts, before the destination's QEMU has
 * a connection (seen on the lab: ss 70 ms after the start finds none, the case FAILs);
 * avocado-vt's runs after an SSH login to the host (run_remote_cmd), about a second
 * later, when the connection is there.  Not built until the step waits as the
 * reference's login does. */
static const char *tr_early_check(const struct params *p)
{
    static const char *const keys[] = { "action_during_mig", "action_during_mig_again" };
    const char *found = NULL;
    for (size_t k = 0; k < ARRAY_SIZE(keys) && !found; k++) {
        struct mig_actions acts;
        if (mig_act_parse(params_get(p, keys[k]), &acts) < 0)
            continue;
        for (size_t j = 0; j < acts.n && !found; j++)
            if (acts.a[j].step == MIG_STEP_CHECK_ESTABLISHED && acts.a[j].before_pause)
                found = keys[k];
        mig_act_release(&acts);
    }
    return found;
}

static bool tr_unbuilt_applies(const struct params *p)
{
    const char *v;
    return tr_unbuilt_param(p, &v) || run_base_actions_unbuilt(p) || tr_sockets_read(p) < 0 ||
           tr_early_check(p);
}

static int tr_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = tr_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    const char *early = tr_early_check(p);
    if (tr_sockets_read(p) < 0)
        return -1;
    if (!param && early) {
        err_set("%s: libvirt_network.check_established before_pause runs at once after the "
                "migration starts, before QEMU's connection exists (avocado-vt's runs after "
                "an SSH login to the host, about a second later): not built yet", early);
        return -1;
    }
    return run_base_unbuilt_verdict("tcp port reuse cases (tcp_migration_port_reuse, "
                                    "tcp_port_reuse)", param, v, p);
}

/* tcp_port_reuse's ss check runs after the block-job event of a copy-storage migration
 * the case does not slow down: a TCG guest's is over 0.2-2 s after that event (the
 * `tcp` type's finding on the lab), so only hosts running KVM guests, which say so
 * with the capability, run it.  What is not built stays an ERROR (checked first). */
static bool tr_unthrottled(const struct params *p)
{
    const char *speed = params_get(p, "migrate_speed"), *cs = params_get(p, "copy_storage_option");
    const char *v;
    return !tr_unbuilt_param(p, &v) && cs && *cs && (!speed || !*speed);
}

/* libvirt 9.0 keeps a port --disks-port named reserved after the migration: the
 * second migration given it fails "Failed to reserve port" (the `tcp` type's finding
 * on the lab). */
static bool tr_disks_port_applies(const struct params *p)
{
    const char *extra = params_get(p, "virsh_migrate_extra"), *again = params_get(p, "migrate_again");
    const char *v;
    return !tr_unbuilt_param(p, &v) && extra && strstr(extra, "--disks-port") && again &&
           !strcmp(again, "yes");
}

static const struct run_need tr_needs[] = {
    { "disks_port_release", .applies = tr_disks_port_applies,
      .capability = "disks_port_release",
      .text = "a destination daemon that releases the port --disks-port named after a "
              "migration (libvirt 9.0 keeps it reserved: the second migration given it "
              "fails 'Failed to reserve port')" },
    { "kvm", .applies = tr_unthrottled, .capability = "kvm",
      .text = "KVM guests: its check runs after the block-job event of a copy-storage "
              "migration the case does not slow down (no migrate_speed), which a TCG "
              "guest's migration ends right after" },
    { NULL },
};

static const struct run_need tr_needs_last[] = {
    { "not built", .applies = tr_unbuilt_applies, .met = tr_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int tr_check(const struct run_common *c, void *opts)
{
    struct tr_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct tr_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's; copy storage: the clone in images_dir */
};

static int tr_setup_with(struct run_ctx *ctx, bool own_disk)
{
    struct tr_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    st->params = params_dup(ctx->params);
    /* copy storage: the disk is the source's own, copied into the destination's
     * images_dir; else the shared one */
    if (own_disk && !params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static int tr_setup_shared(struct run_ctx *ctx)
{
    return tr_setup_with(ctx, false);
}

static int tr_setup_copy(struct run_ctx *ctx)
{
    return tr_setup_with(ctx, true);
}

static void tr_cleanup(struct run_ctx *ctx)
{
    struct tr_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

static int tr_hop(struct run_ctx *ctx, const struct tr_opts *o, struct virt_vms *vms, size_t i,
                  bool again)
{
    return run_base_hop(ctx, vms, i, &o->mig, again,
                        again ? o->again_status_error : o->status_error,
                        again && o->err_msg_again ? o->err_msg_again : o->err_msg);
}

/* The VM destroyed on the destination when it went there, started on the source when
 * it is not running, logged into; then run_migration_again.  1 / 0 / -1 as the hop. */
static int tr_again(struct run_ctx *ctx, const struct tr_opts *o, struct virt_vms *vms,
                    size_t i, bool destroy)
{
    bool both = o->mig.postcopy && *o->mig.postcopy;
    if (destroy && virt_vms_destroy(vms, i) < 0)
        return run_error(ctx, "TestSetupError", "destroy on the destination: %s", err_msg());
    if (run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
    if (o->speed_again && *o->speed_again &&
        run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed_again, both) < 0)
        return -1;
    return tr_hop(ctx, o, vms, i, true);
}

static int tr_flow(struct run_ctx *ctx, bool copy)
{
    const struct tr_opts *o = ctx->opts;
    struct tr_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = tr_hop(ctx, o, vms, i, false);
    if (rc < 0)
        return -1;
    /* tcp_port_reuse destroys it wherever it runs; tcp_migration_port_reuse only for
     * migration_completion (abort_migration's stays on the source) */
    if (copy ? o->migrate_again : true) {
        bool destroy = rc == 1 && (copy || (o->test_case &&
                                            !strcmp(o->test_case, "migration_completion")));
        if ((rc = tr_again(ctx, o, vms, i, destroy)) < 0)
            return -1;
    }
    /* verify_default: post_migration_check after a last migration that succeeded */
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

static int tr_run_uri(struct run_ctx *ctx)
{
    return tr_flow(ctx, false);
}

static int tr_run_copy(struct run_ctx *ctx)
{
    return tr_flow(ctx, true);
}

const struct run_type run_type_tcp_migration_port_reuse = {
    .name = "tcp_migration_port_reuse",
    .summary = "tp-libvirt's live migration over TCP migrated again after an aborted or a "
               "completed one; the connection seen with ss both times",
    .needs = { .vms = 1, .hosts = 2, .rows = tr_needs, .rows_last = tr_needs_last },
    .params = tr_params,
    .opts_size = sizeof(struct tr_opts),
    .check = tr_check,
    .setup = tr_setup_shared,
    .run = tr_run_uri,
    .cleanup = tr_cleanup,
};

const struct run_type run_type_tcp_port_reuse = {
    .name = "tcp_port_reuse",
    .summary = "tp-libvirt's copy-storage migration over TCP done twice; the migration and "
               "disk ports seen with ss on the destination both times",
    .needs = { .vms = 1, .hosts = 2, .rows = tr_needs, .rows_last = tr_needs_last },
    .params = tr_params,
    .opts_size = sizeof(struct tr_opts),
    .check = tr_check,
    .setup = tr_setup_copy,
    .run = tr_run_copy,
    .cleanup = tr_cleanup,
};
