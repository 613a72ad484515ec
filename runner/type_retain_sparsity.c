/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_retain_sparsity`: tp-libvirt's
 * libvirt/tests/src/migration/migration_retain_sparsity.py, declared so that its
 * cases get their real disposition instead of "unknown test type".
 *
 * Every case of it migrates with `virsh migrate --migrate-disks-detect-zeroes`
 * (libvirt 10.9.0) and half of them keep the disk on Ceph/rbd: on hosts without those,
 * the generic need rows (runner/run_needs.c) CANCEL them before any VM starts.  On
 * hosts that have both, the case is an ERROR: vtrun does not build the test's own
 * steps yet (a file system made and zeros written in the guest, then the allocated
 * size of the destination's disk compared with the source's, and the QEMU log's
 * "detect-zeroes":"unmap").
 */
#include "lib/err.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

static bool rs_always(const struct params *p)
{
    (void)p;
    return true;
}

static int rs_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("vtrun does not build tp-libvirt's migration_retain_sparsity steps yet (zeros "
            "written in the guest, the destination disk's allocation compared)");
    return -1;
}

static const struct run_need rs_needs_last[] = {
    { "not built", .applies = rs_always, .met = rs_unbuilt_met,
      .met_doc = "always (ERROR): the test's own steps are not built",
      .text = "a test vtrun does not build yet" },
    { NULL },
};

static int rs_run(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "vtrun does not build migration_retain_sparsity yet");
}

const struct run_type run_type_migration_retain_sparsity = {
    .name = "migration_retain_sparsity",
    .summary = "tp-libvirt's migration_retain_sparsity: needs libvirt 10.9 "
               "(--migrate-disks-detect-zeroes); its steps are not built yet",
    .needs = { .vms = 1, .hosts = 2, .rows_last = rs_needs_last },
    .run = rs_run,
};
