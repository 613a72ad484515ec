/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_loopdisk: tp-libvirt's loop-device disk of a guest (live_migration.py's
 * prepare_block_device, query_info_during_migration's setup_test): a 1G qcow2 file on
 * the shared storage (the settings' shared_dir: the reference's nfs_mount_dir), a loop
 * device of it on the source and one on the destination (`losetup`), the source's
 * attached to the running guest as target_dev (`virsh attach-disk`, its failure the
 * test's FAIL).  Cleanup (after the guest is gone): both loop devices detached and the
 * file removed.
 *
 * The hosts of the lab are namespaces of one machine: loop devices are the machine's,
 * so the destination's device of the file is another /dev/loopN beside the source's
 * one, both of the same file, as on two hosts mounting the same export.
 */
#ifndef VTRUN_RUN_LOOPDISK_H
#define VTRUN_RUN_LOOPDISK_H

#include <stddef.h>

#include "runner/run_cs.h"

struct run_ctx;
struct virt_vms;

struct run_loopdisk {
    struct run_cs_files files;      /* the loop devices' file on the shared storage */
    char *loop[2];                  /* the loop device of each host, NULL: none */
};

/* The file `name` (its last path part) on host 0's shared_dir, the loop devices, the
 * source's attached to VM i of vms as target_dev.  0, or -1 with the outcome set. */
int run_loopdisk_setup(struct run_ctx *ctx, struct run_loopdisk *ld, struct virt_vms *vms,
                       size_t i, const char *name, const char *target_dev);
/* Both loop devices detached (one that is not: "left behind"), the file removed;
 * after the guest holding the source's device is gone.  Idempotent. */
void run_loopdisk_cleanup(struct run_ctx *ctx, struct run_loopdisk *ld, struct virt_vms *vms);

#endif
