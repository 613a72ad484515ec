/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_cpuxml: a guest's <cpu> as tp-libvirt's migration_misc cases set it --
 * VMXML.setup_attrs(cpu={...}) from a vm_attrs dict literal, or a whole <cpu> element
 * (virsh hypervisor-cpu-baseline's output) put in place of the domain's.
 */
#ifndef VTRUN_RUN_CPUXML_H
#define VTRUN_RUN_CPUXML_H

/* The <cpu> element the `cpu` dict of vm_attrs (a Python dict literal) describes: its
 * mode, check and match attributes and its numa_cell list (each cell's id, cpus,
 * memory, unit).  NULL + err naming vm_attrs and what vtrun does not build (another
 * key, of vm_attrs or of its cpu dict) or what does not read.  Caller frees. */
char *run_cpuxml_from_attrs(const char *vm_attrs);

/* domxml with its <cpu> replaced by cpuxml (added when it has none).  NULL + err when
 * either does not parse.  Caller frees. */
char *run_cpuxml_set(const char *domxml, const char *cpuxml);

#endif
