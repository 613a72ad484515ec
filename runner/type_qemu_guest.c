/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's guest-side tests the composed libvirt config names (cases
 * io-github-autotest-qemu.*, vm_type = libvirt: avocado-vt hands them its libvirt VM).
 * Each one runs tools in the guest that vtrun's busybox guest (an initramfs: busybox,
 * dropbear, stress, qemu-ga; root and /tmp in RAM, /dev/vda an ext4 data disk) does
 * not have, so every case CANCELs naming them (runner/type_qemu_cancel.h):
 *
 *  - kdump (generic/tests/kdump.py), kdump_with_stress (qemu/tests/kdump_with_stress.py):
 *    a crash kernel reserved on the guest kernel's command line (grubby /
 *    kdumpctl reset-crashkernel), the kdump service (systemctl / chkconfig), kexec,
 *    then echo c > /proc/sysrq-trigger (or an NMI) and a vmcore under /var/crash;
 *    kdump_with_stress also builds its stress tool in the guest (install_cmd).
 *  - dd_test (generic/tests/dd_test.py): the data disk stg1 (20G, created for the case)
 *    is found by the serial its blk_extra_params gives it (TARGET_DISK0), through
 *    utils_misc.get_linux_drive_path (`udevadm info` of every /sys/block device).
 *    avocado-vt's libvirt VM does not pass blk_extra_params (virt-install --disk gets
 *    path, bus, size, format, cache), so on it the reference itself ends "Failed to get
 *    'stg1' drive path" (qemu_vm); the busybox guest has no udevadm either.  The
 *    multiple variants also partition it (parted).
 *  - lvm (generic/tests/lvm.py; lvm_fill and lvm_ioquit are fillup_disk and ioquit):
 *    pvcreate / vgcreate / lvcreate / mkfs / fsck on two data disks found by serial,
 *    as dd_test's (qemu_vm).
 *  - linux_stress (generic/tests/linux_stress.py): utils_test.VMStress builds stress,
 *    stress-ng or stressapptest from a tarball in the guest (gcc, make).
 *  - fillup_disk (generic/tests/fillup_disk.py): fills guest_testdir (/tmp) until "No
 *    space left on device" to grow the qcow2 image; the busybox guest's /tmp is a
 *    tmpfs in RAM, not on the image, so it would only exhaust the guest's memory.
 *  - ioquit (generic/tests/ioquit.py): kills the VM through vm.process.get_pid(),
 *    a QEMU VM attribute avocado-vt's libvirt VM lacks (qemu_vm), after GNU du / sort -h.
 *  - iofuzz (generic/tests/iofuzz.py): writes random bytes to every I/O port of
 *    /proc/ioports (fuzz_count + 2 guest commands per port, the PCI bus windows
 *    included); an unresponsive guest is judged through vm.process.is_alive() and
 *    rebooted with system_reset, which avocado-vt's libvirt VM lacks (qemu_vm).
 *  - linux_s3: tp-qemu keeps its cfg (generic/tests/cfg/linux_s3.cfg) but has no
 *    module of that name any more: avocado-vt cannot load the reference test.
 *  - guest_test (generic/tests/guest_test.py, isa_serial_operations): a script the
 *    host writes runs in the guest over the serial login: dd of 2 GiB to /home twice
 *    and `nmcli networking off && nmcli networking on` (NetworkManager).
 *  - autotest_regression (generic/tests/autotest_regression.py): installs an autotest
 *    server from git in a second guest and runs jobs through it.
 *  - os_update (generic/tests/os_update.py): `yum update -y` / apt in every guest.
 */
#include "lib/err.h"
#include "runner/type_qemu_cancel.h"

#include <stddef.h>

bool qc_always(const struct params *p)
{
    (void)p;
    return true;
}

int qc_not_built(const struct run_need *n, const struct params *p, struct run_facts *f,
                 struct strbuf *why)
{
    (void)p;
    (void)f;
    (void)why;
    err_set("%s", n->text);
    return -1;
}

int qc_unreached(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "this type's cases all CANCEL: its run is not built");
}

static const struct run_need qg_needs[] = {
    { "guest_kdump", .types = "kdump kdump_with_stress", .applies = qc_always,
      .text = "kdump in the guest: a crashkernel= reservation on its kernel command line "
              "(grubby / kdumpctl), the kdump service (systemctl / chkconfig), kexec-tools "
              "and /var/crash for the vmcore; the busybox guest boots a fixed initramfs "
              "with none of them" },
    { "qemu_vm", .types = "dd_test lvm", .applies = qc_always,
      .text = "avocado-vt's QEMU VM: the reference finds its data disks by the serial "
              "blk_extra_params gives them, which avocado-vt's libvirt VM does not pass "
              "(virt-install --disk); and udevadm in the guest to read it "
              "(utils_misc.get_linux_drive_path), which the busybox guest lacks" },
    { "guest_lvm_tools", .types = "lvm", .applies = qc_always,
      .text = "LVM tools in the guest (pvcreate, vgcreate, lvcreate, mkfs.ext4, fsck)" },
    { "guest_stress_build", .types = "linux_stress", .applies = qc_always,
      .text = "a compiler in the guest: VMStress builds stress / stress-ng / stressapptest "
              "from a tarball there (gcc, make); the busybox guest has a prebuilt stress "
              "only" },
    { "guest_root_on_image", .types = "fillup_disk", .applies = qc_always,
      .text = "a guest whose guest_testdir (/tmp) is on the VM's qcow2 image: the test "
              "fills it to grow the image; the busybox guest's /tmp is a tmpfs in RAM" },
    { "qemu_vm", .types = "ioquit iofuzz", .applies = qc_always,
      .text = "avocado-vt's QEMU VM: the reference uses vm.process (get_pid to kill it, "
              "is_alive to judge a hung guest) and a system_reset reboot, which "
              "avocado-vt's libvirt VM (vm_type = libvirt) lacks" },
    { "reference_module", .types = "linux_s3", .applies = qc_always,
      .text = "a tp-qemu module linux_s3: tp-qemu keeps only its cfg, avocado-vt cannot "
              "load the test" },
    { "guest_networkmanager", .types = "guest_test", .applies = qc_always,
      .text = "NetworkManager (nmcli) and 4 GiB free under /home in the guest: the "
              "script writes 2 GiB there twice and restarts networking with nmcli" },
    { "autotest_server", .types = "autotest_regression", .applies = qc_always,
      .text = "an autotest server installed from git in a second guest (a full distro "
              "with a package manager and network access)" },
    { "guest_package_manager", .types = "os_update", .applies = qc_always,
      .text = "a package manager and its repositories in the guest (yum update -y / apt)" },
    { NULL },
};

QC_TYPE(kdump, "tp-qemu's kdump: a guest kernel crash caught by kdump (CANCEL: no kdump "
               "in the busybox guest)", qg_needs);
QC_TYPE(kdump_with_stress, "tp-qemu's kdump_with_stress: kdump under a stress tool built in "
                           "the guest (CANCEL: no kdump in the busybox guest)", qg_needs);
QC_TYPE(dd_test, "tp-qemu's dd_test: dd between /dev/zero, /dev/null and a data disk found by "
                 "serial (CANCEL: the libvirt VM gives it none)", qg_needs);
QC_TYPE(lvm, "tp-qemu's lvm: a volume group on two data disks found by serial, an ext4 LV "
             "mounted and checked (CANCEL: the libvirt VM gives them none)", qg_needs);
QC_TYPE(linux_stress, "tp-qemu's linux_stress: a stress tool built from a tarball in every "
                      "guest (CANCEL: no compiler in the busybox guest)", qg_needs);
QC_TYPE(fillup_disk, "tp-qemu's fillup_disk: dd until the guest's disk is full (CANCEL: the "
                     "busybox guest's /tmp is in RAM)", qg_needs);
QC_TYPE(ioquit, "tp-qemu's ioquit: the VM killed under guest I/O, its image checked "
                "(CANCEL: vm.process of avocado-vt's QEMU VM)", qg_needs);
QC_TYPE(iofuzz, "tp-qemu's iofuzz: random writes to the guest's I/O ports (CANCEL: "
                "vm.process of avocado-vt's QEMU VM)", qg_needs);
QC_TYPE(linux_s3, "tp-qemu's linux_s3: a cfg whose module tp-qemu no longer has (CANCEL)",
        qg_needs);
QC_TYPE(guest_test, "tp-qemu's guest_test: a host-written script run in the guest (CANCEL: "
                    "no nmcli in the busybox guest)", qg_needs);
QC_TYPE(autotest_regression, "tp-qemu's autotest_regression: an autotest server in a guest "
                             "(CANCEL)", qg_needs);
QC_TYPE(os_update, "tp-qemu's os_update: yum / apt update in every guest (CANCEL: no package "
                   "manager in the busybox guest)", qg_needs);
