/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's tests of host services and images the composed libvirt config names (cases
 * io-github-autotest-qemu.*, vm_type = libvirt) that need a server, an asset or a
 * machine the lab does not have; every case CANCELs naming it
 * (runner/type_qemu_cancel.h):
 *
 *  - nfs_corrupt (generic/tests/nfs_corrupt.py): starts the host's NFS server
 *    (service nfs / nfs-server), exports a directory, puts a data disk (serial
 *    TARGET_DISK, raw / qcow2 / luks) on it, blocks the export with iptables while the
 *    guest writes and expects the VM paused on an I/O error.
 *  - pxe_boot (generic/tests/pxe_boot.py), pxe_query_cpus (qemu/tests/pxe_query_cpus.py):
 *    the guest boots from its NIC and tcpdump on the VM's tap must see TFTP packets
 *    within pxe_timeout; pxe_query_cpus also reloads kvm_intel / kvm_amd with ept / npt
 *    on, polls `info cpus` on the QEMU monitor during the boot and ends with
 *    `killall -g` of the QEMU binary.
 *  - image_copy (generic/tests/image_copy.py, utils_test.run_image_copy): avocado-vt's
 *    setup step that copies the guest's pristine image (JeOS 27 here) from images_good
 *    (NFS) or downloads it as avocado-vt's asset into the data dir.
 */
#include "runner/type_qemu_cancel.h"

#include <stddef.h>

static const struct run_need qs_needs[] = {
    { "host_nfs_server", .types = "nfs_corrupt", .applies = qc_always,
      .text = "an NFS server service on the host the test starts, exports from and blocks "
              "with iptables (service nfs / nfs-server), a data disk on it found by serial "
              "in the guest (udevadm)" },
    { "pxe_server", .types = "pxe_boot pxe_query_cpus", .applies = qc_always,
      .text = "a PXE boot (DHCP + TFTP server) on the guests' network and tcpdump on the "
              "VM's tap; the lab's bridge serves neither, its guests boot a kernel and "
              "initramfs directly" },
    { "guest_image_asset", .types = "image_copy", .applies = qc_always,
      .text = "avocado-vt's pristine guest image (JeOS 27) from images_good (NFS) or its "
              "asset download, copied into the data dir; the lab's guests are a busybox "
              "initramfs on a blank qcow2" },
    { NULL },
};

QC_TYPE(nfs_corrupt, "tp-qemu's nfs_corrupt: a guest disk on an NFS export the host blocks "
                     "(CANCEL: no NFS server service on the lab's hosts)", qs_needs);
QC_TYPE(pxe_boot, "tp-qemu's pxe_boot: TFTP packets from a guest booting from its NIC "
                  "(CANCEL: no PXE server in the lab)", qs_needs);
QC_TYPE(pxe_query_cpus, "tp-qemu's pxe_query_cpus: info cpus polled during a PXE boot "
                        "(CANCEL: no PXE server in the lab)", qs_needs);
QC_TYPE(image_copy, "avocado-vt's image_copy setup: the pristine guest image copied into the "
                    "data dir (CANCEL: no such image in the lab)", qs_needs);
