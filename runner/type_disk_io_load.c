/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `disk_io_load_in_vm`: tp-libvirt's libvirt/tests/src/
 * migration_with_copy_storage/disk_io_load_in_vm.py, decided but not built.
 *
 * The reference logs into the guest, installs gcc and fio with the guest's package
 * manager, copies a script there (scp) and starts it in the background: an endless
 * loop of `fio -direct=1 -iodepth=32 -rw=randrw -ioengine=libaio -bs=16k -size=1G
 * -numjobs=2 -directory=/`, heavy direct I/O on the guest's root filesystem, which is
 * on the disk being copied.  It pre-creates the disk on the destination
 * (prepare_disks_remote), migrates with --copy-storage-all or --copy-storage-inc
 * (± --copy-storage-synchronous-writes), then logs into the guest's serial console on
 * the destination: its dmesg must not show "I/O error"; verify_default checks both
 * sides.
 *
 * Not built: the fio load.  vtrun's guests (busybox in an initramfs) have no package
 * manager and no fio, and their root filesystem is not on the migrated disk, so no
 * stand-in would load the disk the copy reads as the reference's does.  So every case
 * CANCELs for the need `guest_package_manager` (the lab's busybox guest has none); a
 * lab whose guests have one declares that capability, and there the case is an ERROR
 * naming the unbuilt fio load, never a RUN.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

static bool dl_always(const struct params *p)
{
    (void)p;
    return true;
}

static int dl_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("tp-libvirt's disk_io_load_in_vm: the guest's disk I/O load (gcc and fio "
            "installed by the guest's package manager, a loop of fio randrw direct I/O on "
            "the guest's root filesystem on the copied disk) is not built");
    return -1;
}

/* The guest's package manager first: without it the reference cannot start its load
 * (utils_package installs gcc and fio), whatever vtrun builds. */
static const struct run_need dl_needs[] = {
    { "guest_package_manager", .applies = dl_always, .capability = "guest_package_manager",
      .text = "gcc and fio installed in the guest by its package manager "
              "(utils_package); the busybox guest has neither" },
    { NULL },
};

static const struct run_need dl_needs_last[] = {
    { "not built", .applies = dl_always, .met = dl_unbuilt_met,
      .met_doc = "never: the guest's fio load is not built (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

struct dl_opts {
    struct run_base_mig mig;
    bool status_error;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct dl_opts, __VA_ARGS__)
static const struct run_param dl_params[] = {
    RUN_BASE_MIG_ROWS(struct dl_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { NULL },
};
#undef AT

static int dl_check(const struct run_common *c, void *opts)
{
    struct dl_opts *o = opts;
    (void)c;
    return run_base_words_check(&o->mig);
}

/* Never reached (the needs above make every case a CANCEL or an ERROR). */
static int dl_run(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "disk_io_load_in_vm's fio load is not built");
}

const struct run_type run_type_disk_io_load_in_vm = {
    .name = "disk_io_load_in_vm",
    .summary = "tp-libvirt's disk_io_load_in_vm: copy-storage migration under a fio load "
               "in the guest; no I/O error in the guest's dmesg on the destination (CANCEL: "
               "no package manager in the busybox guest; with one, an ERROR: the fio load "
               "is not built)",
    .needs = { .vms = 1, .hosts = 2, .rows = dl_needs, .rows_last = dl_needs_last },
    .params = dl_params,
    .opts_size = sizeof(struct dl_opts),
    .check = dl_check,
    .run = dl_run,
};
