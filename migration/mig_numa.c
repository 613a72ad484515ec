/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mig_numa: tp-libvirt virsh_migrate's guest NUMA topology (its create_numa() and
 * numa_pin()), laid over a VM spec: one cell for one vCPU, else two cells splitting
 * the vCPUs and the memory in halves; with pinning, <numatune> binds the memory as a
 * whole (memory_mode, memory_placement) and each cell (memnode_mode_1/_2) to the
 * host nodes -- both cells to the one node a one-node host has, else cell i to node i.
 */
#include "migration/mig.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* The vCPUs of cell `cell` of two, as create_numa() splits `n` (> 1) of them. */
static char *cell_cpus(unsigned n, unsigned cell)
{
    if (n == 2)
        return xasprintf("%u", cell);
    if (cell == 0)
        return n == 3 ? xstrdup("0") : xasprintf("0-%u", n / 2 - 1);
    return xasprintf("%u-%u", n / 2, n - 1);
}

int mig_numa_apply(struct be_vm_spec *spec, const struct mig_numa_conf *c)
{
    /* the vCPUs the domain has: its maximum when it may hotplug */
    unsigned n = spec->max_vcpus ? spec->max_vcpus : spec->smp ? spec->smp : 1;
    unsigned long kib = spec->mem_mib * 1024;
    size_t cells = n == 1 ? 1 : 2;
    bool two_nodes = c->host_nodes[1] != NULL;

    if (spec->nnuma) {
        err_set("VM %s: NUMA cells given twice", spec->name ? spec->name : "?");
        return -1;
    }
    if (c->pin && (!c->memory_mode || !c->host_nodes[0])) {
        err_set("VM %s: numatune without %s", spec->name ? spec->name : "?",
                !c->memory_mode ? "a memory mode" : "a host node");
        return -1;
    }
    spec->numa = xcalloc(cells, sizeof(*spec->numa));
    spec->nnuma = cells;
    for (size_t i = 0; i < cells; i++) {
        struct be_numa_cell *cell = &spec->numa[i];
        cell->cpus = cells == 1 ? xstrdup("0") : cell_cpus(n, (unsigned)i);
        cell->mem_kib = cells == 1 ? kib : kib / 2;
        if (!c->pin)
            continue;
        cell->mode = xstrdup(c->memnode_mode[i] ? c->memnode_mode[i] : "preferred");
        cell->nodeset = xstrdup(cells == 2 && two_nodes ? c->host_nodes[i] :
                                c->host_nodes[0]);
    }
    if (!c->pin)
        return 0;
    spec->numatune.mode = xstrdup(c->memory_mode);
    spec->numatune.placement = xstrdup(c->placement ? c->placement : "static");
    spec->numatune.nodeset = cells == 2 && two_nodes ?
        xasprintf("%s,%s", c->host_nodes[0], c->host_nodes[1]) : xstrdup(c->host_nodes[0]);
    return 0;
}
