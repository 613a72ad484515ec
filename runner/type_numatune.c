/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_numatune`: tp-libvirt's libvirt/tests/src/migration/
 * migration_numa/migration_numatune.py, decided but not built.
 *
 * The reference cancels on libvirt older than func_supported_since_libvirt_ver
 * (restrictive mode: 9.4.0), then reads the source's NUMA nodes (`numactl --hardware`)
 * and cancels unless both hosts have at least two NUMA nodes with memory, with the same
 * IDs, each with 2 GiB free ("The two hosts do not have at least 2 numa nodes with same
 * ID").  Then it defines a 4 GiB, 4-vCPU guest with four NUMA cells, a numatune memory
 * mode (strict / interleave / preferred / restrictive) and memnodes on two of those
 * nodes, reserves hugepages on both hosts for the hugepage variants (and restarts the
 * daemons), migrates with --p2p --live --persistent --parallel over qemu+ssh, and checks
 * the destination's XML: memoryBacking, numatune memnodes and memory as configured.
 *
 * vtrun: hosts that have such nodes say so with the capability `numa_nodes` (the need
 * below, in the reference's order: a case the hosts' libvirt is too old for is left to
 * the libvirt_version need); hugepages are the generic need.  The guest XML with NUMA
 * cells and numatune from the hosts' common nodes, the hugepage reservation on both
 * hosts and the check of the destination's numatune are not built: on hosts with the
 * nodes such a case is an ERROR naming them, never a RUN.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <stdio.h>
#include <string.h>

/* The case's func_supported_since_libvirt_ver ("(9, 4, 0)") is more than the source's
 * libvirt: the generic libvirt_version need decides it. */
static bool nt_libvirt_too_old(const struct params *p, struct run_facts *f)
{
    const char *v = params_get(p, "func_supported_since_libvirt_ver");
    int a, b, c;
    if (!v || sscanf(v, " ( %d , %d , %d )", &a, &b, &c) != 3)
        return false;
    char since[48];
    snprintf(since, sizeof(since), "%d.%d.%d", a, b, c);
    struct run_need n = { .name = "libvirt_version", .since = since };
    struct strbuf why = STRBUF_INIT;
    int met = run_need_libvirt_since(&n, p, f, &why);
    strbuf_release(&why);
    return met == 0;
}

static int nt_numa_met(const struct run_need *n, const struct params *p, struct run_facts *f,
                       struct strbuf *why)
{
    (void)n;
    (void)why;
    return nt_libvirt_too_old(p, f) ? 1 : 0;
}

static const struct run_need nt_needs[] = {
    { "numa_nodes", .capability = "numa_nodes", .when = { { "numa_memory" } },
      .met = nt_numa_met,
      .met_doc = "the hosts' capability numa_nodes (a case the source's libvirt is too old "
                 "for: left to libvirt_version, as the reference checks that first)",
      .text = "The two hosts do not have at least 2 numa nodes with same ID (each with "
              "2 GiB free memory; `numactl --hardware` on the source): the hosts' "
              "capability numa_nodes" },
    { NULL },
};

static bool nt_always(const struct params *p)
{
    (void)p;
    return true;
}

static int nt_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("tp-libvirt's migration_numatune: the guest with NUMA cells and numatune "
            "(numa_memory, numa_memnode) on the hosts' common NUMA nodes "
            "(NumaTest.prepare_vm_xml), the hugepages reserved on both hosts "
            "(memory_backing) and the check of the destination's numatune are not built");
    return -1;
}

static const struct run_need nt_needs_last[] = {
    { "not built", .applies = nt_always, .met = nt_unbuilt_met,
      .met_doc = "never: the NUMA guest and its checks are not built (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

struct nt_opts {
    const char *mem_mode, *numa_memory, *numa_memnode, *memory_backing, *vm_attrs;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct nt_opts, __VA_ARGS__)
static const struct run_param nt_params[] = {
    { "mem_mode", AT(STR, mem_mode),
      .doc = "numatune's memory mode: strict, interleave, preferred or restrictive" },
    { "numa_memory", AT(STR, numa_memory),
      .doc = "numatune's memory as a dict, its nodeset the hosts' first two common nodes" },
    { "numa_memnode", AT(STR, numa_memnode), .doc = "numatune's memnodes, a list of dicts" },
    { "memory_backing", AT(STR, memory_backing),
      .doc = "the guest's memoryBacking ({'hugepages': {}}: hugepages on both hosts)" },
    { "vm_attrs", AT(STR, vm_attrs), .doc = "the guest's memory, vCPUs and NUMA cells" },
    { NULL },
};
#undef AT

/* Never reached (the need above makes every case a CANCEL or an ERROR). */
static int nt_run(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "migration_numatune is not built");
}

const struct run_type run_type_migration_numatune = {
    .name = "migration_numatune",
    .summary = "tp-libvirt's migration_numatune: a guest with NUMA cells and numatune on "
               "two NUMA nodes both hosts have, migrated; the destination keeps its "
               "numatune (not built: CANCEL without the nodes, else an ERROR)",
    .needs = { .vms = 1, .hosts = 2, .rows = nt_needs, .rows_last = nt_needs_last },
    .params = nt_params,
    .opts_size = sizeof(struct nt_opts),
    .run = nt_run,
};
