/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_cs: what tp-libvirt's copy-storage cases on base_steps (migration_with_copy_storage/
 * autoskipped_disks, migrate_disks ...) share beyond runner/run_base.h: the transports
 * they name that vtrun does not build yet (an ERROR before the case starts), and the
 * files a case makes on the hosts for its added drives, removed at cleanup.
 */
#ifndef VTRUN_RUN_CS_H
#define VTRUN_RUN_CS_H

#include <stdbool.h>

#include "runner/run_needs.h"

struct run_ctx;
struct virt_ctx;
struct virt_vms;
struct params;

bool run_cs_unbuilt_applies(const struct params *p);
int run_cs_unbuilt_met(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why);
/* The "not built" row of a type's rows_last: migrate_desturi_type / transport_type tls
 * or unix_proxy, or an action_during_mig func vtrun has no step for. */
#define RUN_CS_NEED_UNBUILT                                                          \
    { "not built", .applies = run_cs_unbuilt_applies, .met = run_cs_unbuilt_met,     \
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",            \
      .text = "a setup of the reference vtrun does not build yet" }

/* The test's VM set with the guest's disk in the source's own images_dir (unless the
 * case says image_clone_dir): setup_common's data-dir disk, copied by the hop.  *owned
 * gets the params the set reads (free after run_vmset_cleanup).  0, or -1 with the
 * test's ERROR. */
int run_cs_vmset_setup(struct run_ctx *ctx, struct virt_vms *vms, struct params **owned);

/* Files made on hosts for a case, removed (virt_image_remove) on every path; written to
 * the job's ledger first, so that a job killed before its cleanup leaves them to the
 * next job's reaping (runner/run_reap.h). */
struct run_cs_files {
    char **path;
    unsigned *hosts;        /* bit h: made on host h */
    unsigned long (*noted)[2];  /* their ledger handles, per host */
    size_t n;
};
/* `<dir>/<job 7>-<slot>-<name>`, job- and slot-unique (parallel tests share the
 * shared storage), noted as made on the hosts of mask by the backend of vms.  Owned
 * by f; NULL with the test's ERROR when the ledger cannot record it (make nothing). */
const char *run_cs_files_add(struct run_ctx *ctx, struct run_cs_files *f,
                             const struct virt_vms *vms, const char *dir, const char *name,
                             unsigned mask);
void run_cs_files_remove(struct run_ctx *ctx, struct run_cs_files *f,
                         const struct virt_ctx *vctx);

/* precreate_none_target_disk's check_image_info: every line of src (`qemu-img info -U`
 * of the source's image) searched as a regex in dst (the destination's), but the disk
 * size, for qcow2 the file length, for raw the format specific lines; a size line
 * without its "(N bytes)".  1 when all are found, else 0 with the first missing one in
 * *missing (caller frees). */
int run_cs_image_info_match(const char *src, const char *dst, bool qcow2, char **missing);

#endif
