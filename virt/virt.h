/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VTRUN_VIRT_H
#define VTRUN_VIRT_H

/* ==== domain XML (virt/virt_xml.c) ===================================== */
/*
 * Build and normalise libvirt domain XML with libxml2.  The section is
 * self-contained (it needs only backends/be.h) so the rest of virt.h can grow
 * around it.  Every function returns a heap string the caller frees, or NULL
 * after err_set().
 */
struct be_vm_spec;

/* Domain XML for spec: type='qemu' (tcg) or 'kvm'; disks cache='none' unless the
 * spec says otherwise; kvm-clock; serial console appended to spec->console_log;
 * direct kernel boot when spec->kernel is set; bridge or user interfaces with no
 * fixed tap names (source and destination taps coexist during a hop). */
char *virt_xml_build(const struct be_vm_spec *spec);

/* The migration normalisation of openQA's parallel_guest_migration_base, applied to
 * an existing domain XML: kvm-clock present, every disk's cache mode 'none', a
 * serial console (to console_log when given; else an existing serial port is kept
 * or a pty added; libvirt derives the <console>), and
 * no fixed tap names.  Everything else is kept. */
char *virt_xml_normalize(const char *xml, const char *console_log);

/* The file the domain's first serial port writes to (<serial type='file'> source
 * path, or a <log file>); NULL + err_set() when it has none. */
char *virt_xml_console_path(const char *xml);

/* ==== end of domain XML ================================================ */

#endif
