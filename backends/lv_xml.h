/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lv_xml: the libvirt driver's XML module (backends/lv_xml.c): build and normalise
 * domain XML with libxml2, and XPath over any libvirt XML document.  Private to
 * backends/: the rest of vtrun sees a struct be_vm_spec, never XML.
 * Every function returns a heap string the caller frees, or NULL after err_set().
 */
#ifndef VTRUN_LV_XML_H
#define VTRUN_LV_XML_H

#include "backends/be.h"

/* Domain XML for spec: type='qemu' (tcg) or 'kvm'; disks cache='none' unless the
 * spec says otherwise; kvm-clock; serial console appended to spec->console_log;
 * direct kernel boot when spec->kernel is set; bridge or user interfaces with no
 * fixed tap names (source and destination taps coexist during a hop). */
char *lv_xml_build(const struct be_vm_spec *spec);

/* <interface> of nic for attach-device (the domain XML's own rendering). */
char *lv_xml_nic(const struct be_nic *nic);
/* xml with its /domain/name set to name. */
char *lv_xml_rename(const char *xml, const char *name);

/* The domain XML of a saved state (virsh save-image-dumpxml) as spec's guest: its
 * name, its disks' files in order (the same disks, each over its own overlay) and
 * its file console; the rest -- uuid, devices, addresses -- is the saved guest's, as
 * libvirt's restore with an alternative XML wants it. */
char *lv_xml_restore_as(const char *saved, const struct be_vm_spec *spec);

/* A DIMM of size_kib KiB on guest NUMA node `node` (-1: none), for attach-device. */
char *lv_xml_dimm(unsigned long size_kib, int node);

/* The migration normalisation of openQA's parallel_guest_migration_base, applied to
 * an existing domain XML: kvm-clock present, every disk's cache mode 'none', a
 * serial console (to console_log when given; else an existing serial port is kept
 * or a pty added; libvirt derives the <console>), and
 * no fixed tap names.  Everything else is kept. */
char *lv_xml_normalize(const char *xml, const char *console_log);

/* The file the domain's first serial port writes to (<serial type='file'> source
 * path, or a <log file>); NULL + err_set() when it has none. */
char *lv_xml_console_path(const char *xml);

/* XPath over any libvirt XML document (capabilities, domain capabilities ...).
 * lv_xml_xpath_string: the expression's string value, NULL when empty or on a
 * parse error.  lv_xml_xpath_strings: the string values of the selected nodes,
 * NULL-terminated (caller frees each and the array), NULL on a parse error. */
char *lv_xml_xpath_string(const char *xml, const char *expr);
char **lv_xml_xpath_strings(const char *xml, const char *expr);

#endif
