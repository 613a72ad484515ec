/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `query_info_during_migration`: tp-libvirt's libvirt/tests/src/migration/
 * async_ops/query_info_during_migration.py (a MigrationBase case) on the timeline
 * engine with base_steps' shared steps (runner/run_base.h) and
 * migration_base.execute_statistics_command (runner/run_tl_guest.c).
 *
 * setup_test: a 1G qcow2 file (block_device's name) on the shared storage (the
 * settings' shared_dir: the reference's nfs_mount_dir), a loop device of it on the
 * source and one on the destination (`losetup`), the source's attached to the running
 * guest as target_dev (`virsh attach-disk`, its failure the test's FAIL).  Then
 * run_migration: migrate_speed (precopy, and postcopy with postcopy_options), the
 * migration with action_during_mig (the statistics commands loop_time times over the
 * loop_disk_type disks, after the first iteration event), judged by status_error;
 * verify_default (post_migration_check).  Cleanup: both loop devices detached, and
 * (the reference leaves it) the file removed.
 *
 * The loop-device disk: runner/run_loopdisk.h.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_cs.h"
#include "runner/run_loopdisk.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct qi_opts {
    struct run_base_mig mig;
    bool status_error, network_check, disk_check;
    const char *err_msg, *dest_state, *src_state, *target_dev, *block_device, *speed;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct qi_opts, __VA_ARGS__)
static const struct run_param qi_params[] = {
    RUN_BASE_MIG_ROWS(struct qi_opts, mig),
    RUN_BASE_POST_ROWS(struct qi_opts),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "target_dev", AT(STR, target_dev), .def = "vdb",
      .doc = "the loop device's target in the guest" },
    { "block_device", AT(STR, block_device), .def = "query_info_test.img",
      .doc = "the file of the loop devices: its name, on the shared storage" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { NULL },
};
#undef AT

static int qi_check(const struct run_common *c, void *opts)
{
    struct qi_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool qi_statistics_loop(const struct params *p)
{
    const char *acts = params_get(p, "action_during_mig");
    return acts && strstr(acts, "execute_statistics_command");
}

/* The case's guest (mem 1024) at migrate_speed 15 MiB/s migrates for over a minute:
 * loop_time rounds of four virsh commands after the first iteration fit in it.  The
 * TCG lab's guest (128 MiB) is gone from the source within seconds, mid-loop, and the
 * reference's next command fails (an ERROR): not what the case tests. */
static const struct run_need qi_needs[] = {
    { "kvm", .applies = qi_statistics_loop, .capability = "kvm",
      .text = "KVM guests of the case's memory: loop_time rounds of statistics commands "
              "after the first iteration need the migration to outlast them, which the "
              "small TCG guest's does not" },
    { NULL },
};

static const struct run_need qi_needs_last[] = {
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

struct qi_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_loopdisk disk;       /* the loop devices and their file */
};

static int qi_setup(struct run_ctx *ctx)
{
    struct qi_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (!ctx->hosts[0].shared_dir)
        return run_cancel(ctx, "shared storage (storage_type = nfs): the settings give host "
                          "%s no shared_dir", ctx->hosts[0].name);
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void qi_cleanup(struct run_ctx *ctx)
{
    struct qi_state *st = ctx->data;
    if (!st)
        return;
    /* the guest (holding the source's device) first */
    run_vmset_cleanup(ctx, &st->vms);
    run_loopdisk_cleanup(ctx, &st->disk, &st->vms);
    free(st);
    ctx->data = NULL;
}

static int qi_run(struct run_ctx *ctx)
{
    const struct qi_opts *o = ctx->opts;
    struct qi_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;

    /* setup_test after setup_connection: the file, both loop devices, the disk */
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0 ||
        run_loopdisk_setup(ctx, &st->disk, vms, i, o->block_device, o->target_dev) < 0)
        return -1;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed,
                          o->mig.postcopy && *o->mig.postcopy) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_query_info_during_migration = {
    .name = "query_info_during_migration",
    .summary = "tp-libvirt's query_info_during_migration: domblkstat, domblkinfo, domstats "
               "and dommemstat of a guest with a loop device disk while it migrates",
    .needs = { .vms = 1, .hosts = 2, .rows = qi_needs, .rows_last = qi_needs_last },
    .params = qi_params,
    .opts_size = sizeof(struct qi_opts),
    .check = qi_check,
    .setup = qi_setup,
    .run = qi_run,
    .cleanup = qi_cleanup,
};
