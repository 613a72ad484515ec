/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types of tp-libvirt decided only, for storage the lab does not have:
 *
 *  - block_disk (migration_with_copy_storage/disk_type_coverage/block_disk.py): a
 *    scsi_debug SCSI disk (modprobe scsi_debug on both hosts) attached as vdb and
 *    copied by --copy-storage-*: CANCEL without the hosts' capability scsi_debug;
 *  - migration_with_different_disks (migration/migration_with_disk/
 *    migration_with_different_disks.py): the guest on NFS plus a block disk (an LVM
 *    volume on an emulated iSCSI LUN: CANCEL without capability iscsi) or an NBD disk
 *    (a qemu-nbd export both hosts reach);
 *  - canonical_paths_in_shared_filesystems / non_canonical_paths_in_shared_filesystems
 *    (migration/migration_misc/): an NFS export on the source bind-mounted over the
 *    image, nvram and swtpm directories of both hosts, listed in qemu.conf's
 *    shared_filesystems: CANCEL without capability nfs (the lab's kernel has no NFS
 *    client; its shared storage is GlusterFS over FUSE).
 *
 *  - no_sufficient_disk_space_on_target (migration_with_copy_storage/): a loop-device
 *    ext3 file system of disk_size (block_path) mounted over the destination's image
 *    directory, for the copy to run out of space.  The copy writes only the guest
 *    disk's data, so it runs out of a disk_size (200M) file system only for a guest
 *    disk holding more than that (the reference's distro images); the lab's busybox
 *    guest disk is 64 MiB with under 1 MiB of data, the migration would succeed and
 *    the case FAIL for the guest, not for libvirt: CANCEL without capability
 *    big_guest_disk, an ERROR naming the loop-device file system with it.
 *
 * On hosts that have what a case needs, the case is an ERROR naming the setup vtrun
 * does not build yet.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_cs.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

static bool dd_eq(const struct params *p, const char *key, const char *val)
{
    const char *v = params_get(p, key);
    return v && !strcmp(v, val);
}

static bool dd_always(const struct params *p)
{
    (void)p;
    return true;
}

static bool dd_block(const struct params *p)
{
    return dd_eq(p, "disk_type", "block");
}

/* The ERROR of a case whose hosts have what it needs: what vtrun does not build. */
static int dd_unbuilt(const struct run_need *n, const struct params *p, struct run_facts *f,
                      struct strbuf *why)
{
    (void)f;
    (void)why;
    const char *t = params_get(p, "type");
    err_set("%s: %s is not built yet", t ? t : "?", n->met_doc);
    return -1;
}

#define DD_UNBUILT(what)                                                                 \
    { "not built", .applies = dd_always, .met = dd_unbuilt, .met_doc = what,            \
      .text = "a setup of the reference vtrun does not build yet" }

static const struct run_param dd_params[] = {
    { NULL },
};

/* Not reached: every case is decided before it starts (the rows). */
static int dd_run(struct run_ctx *ctx)
{
    return run_error(ctx, "ConfigError", "%s is not built", ctx->type->name);
}

static const struct run_need bd_needs[] = {
    { "scsi_debug", .capability = "scsi_debug", .applies = dd_always,
      .text = "the scsi_debug kernel module on the hosts (a SCSI block disk for the guest)" },
    { NULL },
};
static const struct run_need bd_last[] = {
    DD_UNBUILT("the scsi_debug disk attached as target_type"),
    { NULL },
};

const struct run_type run_type_block_disk = {
    .name = "block_disk",
    .summary = "tp-libvirt's disk_type_coverage block_disk: decided only (a scsi_debug "
               "disk copied by --copy-storage-*)",
    .needs = { .vms = 1, .hosts = 2, .rows = bd_needs, .rows_last = bd_last },
    .params = dd_params,
    .run = dd_run,
};

static const struct run_need wd_needs[] = {
    { "iscsi", .capability = "iscsi", .applies = dd_block,
      .text = "an iSCSI target (disk_type block: an LVM volume on an emulated iSCSI LUN)" },
    { NULL },
};
static const struct run_need wd_last[] = {
    DD_UNBUILT("test_scenario's disk (nbd_disk: a qemu-nbd export both hosts reach; "
               "block_disk: an LVM volume on an emulated iSCSI LUN)"),
    { NULL },
};

const struct run_type run_type_migration_with_different_disks = {
    .name = "migration_with_different_disks",
    .summary = "tp-libvirt's migration_with_different_disks: decided only (block disks "
               "need iSCSI, NBD disks are not built)",
    .needs = { .vms = 1, .hosts = 2, .rows = wd_needs, .rows_last = wd_last },
    .params = dd_params,
    .run = dd_run,
};

static const struct run_need ns_needs[] = {
    { "big_guest_disk", .capability = "big_guest_disk", .applies = dd_always,
      .text = "a guest disk holding more data than disk_size, for the copy to run out of "
              "the destination's file system of that size; the lab's busybox guest disk "
              "is 64 MiB with under 1 MiB of data" },
    { NULL },
};
static const struct run_need ns_last[] = {
    RUN_CS_NEED_UNBUILT,
    DD_UNBUILT("block_path's loop-device ext3 file system of disk_size mounted over the "
               "destination's image directory"),
    { NULL },
};

const struct run_type run_type_no_sufficient_disk_space_on_target = {
    .name = "no_sufficient_disk_space_on_target",
    .summary = "tp-libvirt's no_sufficient_disk_space_on_target: decided only (CANCEL "
               "without a guest disk larger than disk_size; with one, an ERROR naming the "
               "destination file system vtrun does not build)",
    .needs = { .vms = 1, .hosts = 2, .rows = ns_needs, .rows_last = ns_last },
    .params = dd_params,
    .run = dd_run,
};

static const struct run_need cp_needs[] = {
    { "nfs", .capability = "nfs", .applies = dd_always,
      .text = "NFS on the hosts (an export on the source mounted over the image, nvram and "
              "swtpm directories of both, qemu.conf shared_filesystems)" },
    { NULL },
};
static const struct run_need cp_last[] = {
    DD_UNBUILT("the NFS mounts over the image, nvram and swtpm directories"),
    { NULL },
};

const struct run_type run_type_canonical_paths_in_shared_filesystems = {
    .name = "canonical_paths_in_shared_filesystems",
    .summary = "tp-libvirt's canonical_paths_in_shared_filesystems: decided only (needs "
               "NFS mounts named in qemu.conf's shared_filesystems)",
    .needs = { .vms = 2, .hosts = 2, .rows = cp_needs, .rows_last = cp_last },
    .params = dd_params,
    .run = dd_run,
};

const struct run_type run_type_non_canonical_paths_in_shared_filesystems = {
    .name = "non_canonical_paths_in_shared_filesystems",
    .summary = "tp-libvirt's non_canonical_paths_in_shared_filesystems: decided only "
               "(needs NFS mounted through a symlink named in shared_filesystems)",
    .needs = { .vms = 1, .hosts = 2, .rows = cp_needs, .rows_last = cp_last },
    .params = dd_params,
    .run = dd_run,
};
