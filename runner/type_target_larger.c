/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `target_image_larger_than_source`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/target_image_larger_than_source.py,
 * decided only: no case of it runs yet.
 *
 * The reference gives the guest a raw disk with a storage slice (source.slices of
 * src_disk_dict), a file or an LVM volume on an iSCSI LUN (disk_type block), makes a
 * larger one on the destination (target_disk_dict, a file or a volume on a second
 * LUN), migrates with --copy-storage-all and the migratable XML carrying the target's
 * disk (--xml), then grows the disk on the destination with `virsh blockresize`.
 * A block disk on either side needs an iSCSI target on the hosts (CANCEL without the
 * capability); the others (and those on hosts with iSCSI) are an ERROR naming what
 * vtrun does not build yet (a disk's storage slice, the migratable --xml of
 * target_disk_dict).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

static bool tl_block(const struct params *p)
{
    const char *s = params_get(p, "disk_type"), *t = params_get(p, "target_disk_type");
    return (s && !strcmp(s, "block")) || (t && !strcmp(t, "block"));
}

/* every case: with an iSCSI target too, the slices and --xml are not built */
static bool tl_always(const struct params *p)
{
    (void)p;
    return true;
}

static int tl_unbuilt(const struct run_need *n, const struct params *p, struct run_facts *f,
                      struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("target_image_larger_than_source: src_disk_dict's source.slices (a raw disk's "
            "storage slice) and the migratable --xml of target_disk_dict are not built yet");
    return -1;
}

static const struct run_need tl_needs[] = {
    { "iscsi", .capability = "iscsi", .applies = tl_block,
      .text = "an iSCSI target (disk_type / target_disk_type = block: LVM volumes on "
              "iSCSI LUNs)" },
    { NULL },
};

static const struct run_need tl_needs_last[] = {
    { "not built", .applies = tl_always, .met = tl_unbuilt,
      .met_doc = "never: a disk's storage slice and the migratable --xml are not built "
                 "(ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static const struct run_param tl_params[] = {
    { NULL },
};

/* Not reached: every case is decided before it starts (the rows above). */
static int tl_run(struct run_ctx *ctx)
{
    return run_error(ctx, "ConfigError", "target_image_larger_than_source is not built");
}

const struct run_type run_type_target_image_larger_than_source = {
    .name = "target_image_larger_than_source",
    .summary = "tp-libvirt's target_image_larger_than_source: decided only (iSCSI cases "
               "CANCEL, the others are an ERROR naming what is not built)",
    .needs = { .vms = 1, .hosts = 2, .rows = tl_needs, .rows_last = tl_needs_last },
    .params = tl_params,
    .run = tl_run,
};
