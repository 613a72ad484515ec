/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_diskdict: a disk as tp-libvirt's configs write it for
 * libvirt_vmxml.create_vm_device_by_type("disk", dict) -- `second_disk_dict =
 * {"device": "cdrom", "type_name": "file", "driver": {"name": "qemu", "type": "raw"},
 * "target": {"dev": "sda", "bus": "sata"}, "source": {"attrs": {"startupPolicy":
 * "optional"}}, "readonly": True}` -- read (lib/pylit.h, never evaluated) into a
 * backends/be.h disk.  What vtrun's domain XML cannot express (a network or block
 * source, another driver, a key it does not know) is an error naming the key, so such
 * a case is an ERROR before it starts instead of a different disk.
 */
#ifndef VTRUN_RUN_DISKDICT_H
#define VTRUN_RUN_DISKDICT_H

#include "virt/virt.h"     /* struct be_disk, be_vm_spec (runner reaches backends through virt) */

/* Read text into *d (zeroed first; its strings owned: be_disk_release).  The source
 * file (source.attrs.file) goes to d->path, may be absent (NULL).  0, or -1 with
 * err_set() naming the key and what was expected. */
int run_diskdict_parse(const char *text, struct be_disk *d);
void run_diskdict_release(struct be_disk *d);

struct run_ctx;
struct be_vm_spec;
/* The drive of dict text appended to the guest's spec, its source path (NULL: none,
 * an empty drive), as vmxml.add_device(create_vm_device_by_type("disk", dict)) adds
 * it; a drive naming no driver type gets raw (never vtrun's qcow2 default).  0, or -1
 * with the test's ERROR naming param. */
int run_diskdict_add(struct run_ctx *ctx, struct be_vm_spec *spec, const char *param,
                     const char *text, const char *path);

#endif
