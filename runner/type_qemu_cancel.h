/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types that every case of CANCELs for what vtrun's lab cannot have: tp-qemu's
 * (and a few tp-libvirt) tests the composed libvirt config names whose reference needs
 * a guest tool the busybox guest lacks, a host setting a shared machine must not
 * change, a server the lab does not run, or a QEMU-only method avocado-vt's libvirt
 * VM lacks.  Each file of such types keeps one table of need rows (each row's .types
 * names the types it applies to) and one QC_TYPE line per type; the rows say exactly
 * what is missing.  A case never gets past its needs, so the run hook is never reached.
 */
#ifndef VTRUN_TYPE_QEMU_CANCEL_H
#define VTRUN_TYPE_QEMU_CANCEL_H

#include "runner/run_needs.h"
#include "runner/run_type.h"

/* A need row's .applies for rows that hold for every case of their .types. */
bool qc_always(const struct params *p);
/* A "not built" row's .met (in .rows_last): never met, an ERROR saying the row's .text
 * (what of the reference vtrun does not build). */
int qc_not_built(const struct run_need *n, const struct params *p, struct run_facts *f,
                 struct strbuf *why);
/* The run hook of a type whose every case CANCELs (an ERROR if it is ever reached). */
int qc_unreached(struct run_ctx *ctx);

/* The type `id` (a tp-qemu module name), its summary, its file's need table.  No VM
 * needed: some cases set `vms =` empty, and their own need is the one to name. */
#define QC_TYPE(id, summ, table)                                                          \
    const struct run_type run_type_##id = {                                               \
        .name = #id,                                                                      \
        .summary = summ,                                                                  \
        .needs = { .vms = 0, .hosts = 1, .rows = table },                                 \
        .run = qc_unreached,                                                              \
    }

#endif
