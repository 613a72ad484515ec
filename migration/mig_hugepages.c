/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mig_hugepages: tp-libvirt virsh_migrate's guest memory on the host's huge pages
 * (its enable_hugepage()): virsh_migrate_with_HP backs all of it with the default
 * page size (<memoryBacking><hugepages/>); virsh_migrate_with_HP_pin, only for a
 * guest with NUMA cells, names the source host's page size for guest cell 0 or cells
 * 0-1 (<page size nodeset>).  The pool on the hosts is the lab's or the admin's.
 */
#include "migration/mig.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int mig_hugepages_apply(struct be_vm_spec *spec, const struct mig_hp_conf *c)
{
    if (c->pin && spec->nnuma) {
        if (!c->page_kib) {
            err_set("VM %s: huge pages pinned to NUMA cells without a page size", spec->name);
            return -1;
        }
        /* two asked of a guest with one cell: the one (the reference's rule) */
        bool both = c->pin_nodes != 1 && spec->nnuma > 1;
        spec->hugepages.on = true;
        spec->hugepages.page_kib = c->page_kib;
        free(spec->hugepages.nodeset);
        spec->hugepages.nodeset = xstrdup(both ? "0-1" : "0");
        return 0;
    }
    if (c->hp)
        spec->hugepages.on = true;
    return 0;
}

unsigned long mig_hp_file_page_kib(const char *file)
{
    const char *p = file ? strstr(file, "hugepages-") : NULL;
    char *end;

    if (!p || !isdigit((unsigned char)p[strlen("hugepages-")]))
        return 0;
    unsigned long kib = strtoul(p + strlen("hugepages-"), &end, 10);
    return !strncmp(end, "kB", 2) ? kib : 0;
}

unsigned long mig_hp_pages(const struct be_vm_spec *spec, unsigned long page_kib)
{
    /* the reference's vm_max_mem is <memory>, not the hotplug maximum */
    return page_kib ? spec->mem_mib * 1024 / page_kib + 1 : 0;
}
