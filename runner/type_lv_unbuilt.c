/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt migration types of the composition vtrun knows but does not build yet:
 * each case CANCELs for what the hosts lack (the generic needs of runner/run_needs.c:
 * gluster, ceph, vdpa, vhost_user, virtiofs, hugepages -- the setups the reference makes
 * or checks first), else is an ERROR naming the setup vtrun lacks; never "unknown test
 * type" and never a RUN.  The tp-libvirt sources (libvirt/tests/src/...):
 *
 *  - migrate_mem (migration/migrate_mem.py): a dimm hot-plugged into a 2-cell NUMA
 *    guest and QEMU's command line checked, a ballooned guest (setmem) whose balloon
 *    must survive, an nvdimm backed by a file on NFS, a 4 GiB guest (balloon and
 *    nvdimm CANCEL for the guest's drivers);
 *  - migrate_service_control (migration/migrate_service_control.py): libvirtd / QEMU
 *    killed on a host (libvirt_service.kill_service) or libvirtd restarted on the
 *    source during the migration, the states checked (vm_state_after_abort), the
 *    image's ownership checked, then a migration again that must succeed;
 *  - migrate_gluster, migrate_ceph (migration/): the guest's disk on a GlusterFS
 *    volume / a Ceph rbd image (the gluster and ceph needs);
 *  - pause_by_proxy_and_recover, pause_and_io_error_and_recover
 *    (migration/pause_postcopy_migration_and_recover/): a postcopy migration over a
 *    unix-socket proxy the test kills, or a disk on a device-mapper target switched to
 *    an error table, then recovered with --postcopy-resume;
 *  - migration_with_vhostvdpa (migration_with_copy_storage/), migration_with_vhostuser
 *    (migration/migration_with_disk/), migration_with_internally_launched_virtiofs_dev,
 *    migration_with_externally_launched_virtiofs_dev (migration/migration_with_virtiofs/),
 *    kill_virtiofsd_during_performphase (migration/destructive_operations_around_live_
 *    migration/): vDPA / vhost-user / virtiofs devices (their generic needs);
 *  - migrate_with_panic_device (migration/): an isa pvpanic device and on_crash
 *    coredump-restart, the guest crashed by sysrq after the migration, domstate
 *    --reason "crashed (panicked)" and a dump file on the destination;
 *  - migrate_graphics (migration/): graphics listening on a socket, the client's
 *    display (remote-viewer) followed across the migration.
 *
 * What is not built is said in lu_rows; the CANCELs come first (rows_last is checked
 * after the generic rows).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

/* What each type lacks, the text of its ERROR. */
static const struct {
    const char *type, *missing;
} lu_rows[] = {
    { "migrate_mem",
      "mem_device's steps (a dimm defined in a 2-cell NUMA guest, QEMU's command line "
      "checked on the destination, the libvirtd debug log searched) are not built; "
      "large_mem_vm has no setup_test_large_mem_vm in the reference (it ends in a "
      "NameError there)" },
    { "migrate_service_control",
      "libvirt_service.kill_service / libvirtd_restart during the migration, "
      "vm_state_after_abort, the image ownership check and migrate_again are not built "
      "for this type" },
    { "migrate_gluster", "the guest's disk on a GlusterFS volume is not built" },
    { "migrate_ceph", "the guest's disk on a Ceph rbd image (auth secret) is not built" },
    { "pause_by_proxy_and_recover",
      "the postcopy migration over a unix-socket proxy killed to pause it, then "
      "--postcopy-resume, is not built" },
    { "pause_and_io_error_and_recover",
      "the disk on a device-mapper target switched to an error table during postcopy, "
      "then recovered, is not built" },
    { "migration_with_vhostvdpa", "the vhost-vdpa disk with --copy-storage-all is not built" },
    { "migration_with_vhostuser", "the vhost-user-blk disk (qemu-storage-daemon) is not built" },
    { "migration_with_internally_launched_virtiofs_dev",
      "the virtiofs filesystem device launched by libvirt is not built" },
    { "migration_with_externally_launched_virtiofs_dev",
      "the virtiofs filesystem device on an externally started virtiofsd is not built" },
    { "kill_virtiofsd_during_performphase",
      "virtiofsd killed during the perform phase is not built" },
    { "migrate_with_panic_device",
      "the panic device with on_crash coredump-restart, the guest crashed by sysrq on "
      "the destination and its dump file checked, is not built" },
    { "migrate_graphics",
      "the graphics listening on a socket and the client display followed across the "
      "migration are not built" },
};

static const char *lu_why(const char *type)
{
    for (size_t k = 0; k < ARRAY_SIZE(lu_rows); k++)
        if (type && !strcmp(lu_rows[k].type, type))
            return lu_rows[k].missing;
    return NULL;
}

static bool lu_always(const struct params *p)
{
    (void)p;
    return true;
}

static int lu_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *type = params_get(p, "type");
    const char *missing = lu_why(type);
    (void)n;
    (void)f;
    (void)why;
    err_set("tp-libvirt's %s: %s", type ? type : "?", missing ? missing : "not built");
    return -1;
}

static const struct run_need lu_needs_last[] = {
    { "not built", .applies = lu_always, .met = lu_unbuilt_met,
      .met_doc = "never: the type's steps are not built (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static const struct run_need lu_needs_none[] = {
    { NULL },
};

/* migrate_gluster sets up a GlusterFS volume on the source itself
 * (libvirt.setup_or_cleanup_gluster: glusterd, a brick, the volume mounted at
 * gluster_mount_dir); no param of its cases says "gluster" for the generic row. */
static const struct run_need lu_needs_gluster[] = {
    { "gluster", .applies = lu_always, .capability = "gluster",
      .text = "GlusterFS on the hosts (the test creates a volume, mounts it and puts the "
              "guest's disk there)" },
    { NULL },
};

/* migrate_with_panic_device crashes the migrated guest (sysrq c) and expects domstate
 * "crashed (panicked)": the guest's kernel must tell QEMU through its pvpanic driver;
 * the lab's busybox guest loads no pvpanic module, so QEMU never sees the panic. */
static const struct run_need lu_needs_pvpanic[] = {
    { "guest_pvpanic", .applies = lu_always, .capability = "guest_pvpanic",
      .text = "a pvpanic driver in the guest (the test crashes the migrated guest and "
              "expects domstate 'crashed (panicked)'; the lab's busybox guest has none)" },
    { NULL },
};

static bool lu_case_is(const struct params *p, const char *c)
{
    const char *v = params_get(p, "case");
    return v && !strcmp(v, c);
}

static bool lu_mem_balloon(const struct params *p)
{
    return lu_case_is(p, "mem_balloon");
}

static bool lu_mem_nvdimm(const struct params *p)
{
    return lu_case_is(p, "mem_nvdimm");
}

/* migrate_mem: mem_balloon sets the memory on the destination and waits for
 * dommemstat's actual to reach it (the guest's virtio_balloon driver); mem_nvdimm
 * makes an xfs on the guest's /dev/pmem0 and mounts it with dax. */
static const struct run_need lu_needs_mem[] = {
    { "guest_virtio_balloon", .applies = lu_mem_balloon, .capability = "guest_virtio_balloon",
      .text = "a virtio_balloon driver in the guest (the test sets the destination's "
              "memory and waits for dommemstat's actual to follow; the lab's busybox "
              "guest has none)" },
    { "guest_nvdimm", .applies = lu_mem_nvdimm, .capability = "guest_nvdimm",
      .text = "libnvdimm / nd_pmem and mkfs.xfs in the guest (the test makes an xfs on "
              "/dev/pmem0 and mounts it with dax; the lab's busybox guest has neither)" },
    { NULL },
};

static const struct run_param lu_params[] = {
    { NULL },
};

/* Never reached (the need above makes every case an ERROR); a guard all the same. */
static int lu_run(struct run_ctx *ctx)
{
    const char *missing = lu_why(ctx->type ? ctx->type->name : NULL);
    return run_error(ctx, "NotBuilt", "%s", missing ? missing : "not built");
}

#define LU_TYPE_ROWS(id, own, text)                                                      \
    const struct run_type run_type_##id = {                                              \
        .name = #id,                                                                     \
        .summary = text " (not built yet: a case CANCELs for its need or is an ERROR)",  \
        .needs = { .vms = 1, .hosts = 2, .rows = (own), .rows_last = lu_needs_last },    \
        .params = lu_params,                                                             \
        .run = lu_run,                                                                   \
    }
#define LU_TYPE(id, text) LU_TYPE_ROWS(id, lu_needs_none, text)

LU_TYPE_ROWS(migrate_mem, lu_needs_mem, "tp-libvirt's migrate_mem: memory devices, balloon, nvdimm, large guests");
LU_TYPE(migrate_service_control,
        "tp-libvirt's migrate_service_control: libvirtd / QEMU killed or restarted during "
        "the migration, then a migration again");
LU_TYPE_ROWS(migrate_gluster, lu_needs_gluster, "tp-libvirt's migrate_gluster: the guest's disk on GlusterFS");
LU_TYPE(migrate_ceph, "tp-libvirt's migrate_ceph: the guest's disk on Ceph rbd");
LU_TYPE(pause_by_proxy_and_recover,
        "tp-libvirt's pause_by_proxy_and_recover: postcopy paused by killing a proxy, "
        "recovered");
LU_TYPE(pause_and_io_error_and_recover,
        "tp-libvirt's pause_and_io_error_and_recover: postcopy with a disk I/O error, "
        "recovered");
LU_TYPE(migration_with_vhostvdpa, "tp-libvirt's migration_with_vhostvdpa: a vhost-vdpa disk");
LU_TYPE(migration_with_vhostuser, "tp-libvirt's migration_with_vhostuser: a vhost-user disk");
LU_TYPE(migration_with_internally_launched_virtiofs_dev,
        "tp-libvirt's migration_with_internally_launched_virtiofs_dev: a virtiofs device");
LU_TYPE(migration_with_externally_launched_virtiofs_dev,
        "tp-libvirt's migration_with_externally_launched_virtiofs_dev: a virtiofs device "
        "on an external virtiofsd");
LU_TYPE(kill_virtiofsd_during_performphase,
        "tp-libvirt's kill_virtiofsd_during_performphase: virtiofsd killed during the "
        "perform phase");
LU_TYPE_ROWS(migrate_with_panic_device, lu_needs_pvpanic,
        "tp-libvirt's migrate_with_panic_device: a panic device crashing the migrated guest");
LU_TYPE(migrate_graphics,
        "tp-libvirt's migrate_graphics: graphics on a socket followed across the migration");
