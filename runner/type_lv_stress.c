/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's migration tests under a load, in the composed libvirt config, that the
 * lab cannot give them (runner/type_qemu_cancel.h):
 *
 *  - disk_io_load (libvirt/tests/src/migration/migration_with_stress/disk_io_load.py):
 *    installs iozone in the guest with its package manager (else the test's ERROR
 *    "Failed to install iozone on guest."), runs `iozone -a` there during the migration
 *    and reads the guest's dmesg on the destination's serial console: no "I/O error".
 *    The busybox guest has no package manager and no iozone.
 *  - mem_load (migration_with_stress/mem_load.py): MigrationBase's setup_connection,
 *    run_migration with stress in the guest (stress --vm 12 --vm-bytes 100M) and
 *    action_during_mig after the event "iteration: '50'" (domjobabort, or
 *    migrate-postcopy), verify_default.  The 50th iteration comes only from a guest
 *    dirtying memory faster than the hosts' link (KVM, under that stress); a 128 MiB
 *    TCG guest's migration ends long before.  On KVM hosts (capability kvm) the case
 *    is an ERROR: vtrun does not build it yet (the driver of runner/type_base_cases.c
 *    would, as one more row).
 *  - qemu_binary_change (migration_misc/qemu_binary_change.py): on the source host a
 *    loop flips the group-write bit of /usr/libexec/qemu-kvm every 0.1 s during a
 *    --persistent migration.  The lab's hosts have no /usr/libexec/qemu-kvm (a
 *    loop on it would change nothing) and share this machine's QEMU binary with every
 *    other lab, whose mode the test must not flip.
 */
#include "runner/type_qemu_cancel.h"

#include <stddef.h>

static const struct run_need ls_needs[] = {
    { "guest_package_manager", .types = "disk_io_load", .applies = qc_always,
      .text = "iozone installed in the guest by its package manager (utils_package); the "
              "busybox guest has neither" },
    { "kvm", .types = "mem_load", .applies = qc_always, .capability = "kvm",
      .text = "KVM guests: its action runs after migration iteration 50, which only a guest "
              "dirtying memory under stress faster than the hosts' link reaches" },
    { "host_qemu_kvm_binary", .types = "qemu_binary_change", .applies = qc_always,
      .text = "a source host with its own /usr/libexec/qemu-kvm, whose mode the test flips "
              "in a loop during the migration; the lab's hosts have none and share this "
              "machine's QEMU binary with every other lab" },
    { NULL },
};

static const struct run_need ls_needs_last[] = {
    { "not built", .types = "mem_load", .applies = qc_always, .met = qc_not_built,
      .met_doc = "never: mem_load's run is not built (ERROR)",
      .text = "mem_load: MigrationBase with stress --vm 12 --vm-bytes 100M and an action "
              "after migration iteration 50 is not built" },
    { NULL },
};

#define LS_TYPE(id, summ)                                                                 \
    const struct run_type run_type_##id = {                                               \
        .name = #id,                                                                      \
        .summary = summ,                                                                  \
        .needs = { .vms = 1, .hosts = 2, .rows = ls_needs, .rows_last = ls_needs_last },  \
        .run = qc_unreached,                                                              \
    }

LS_TYPE(disk_io_load, "tp-libvirt's disk_io_load: migration under iozone in the guest "
                      "(CANCEL: no package manager in the busybox guest)");
LS_TYPE(mem_load, "tp-libvirt's mem_load: migration under stress, aborted or switched to "
                  "postcopy at iteration 50 (CANCEL without KVM)");
LS_TYPE(qemu_binary_change, "tp-libvirt's qemu_binary_change: migration while the source's "
                            "/usr/libexec/qemu-kvm changes mode (CANCEL)");
