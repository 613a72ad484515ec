/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's host memory tests the composed libvirt config names (cases
 * io-github-autotest-qemu.*, vm_type = libvirt).  They change and measure the host's
 * memory management, machine-wide, which the lab's hosts share with every other lab
 * and job on this machine, so every case CANCELs naming it (runner/type_qemu_cancel.h):
 *
 *  - trans_hugepage, _swapping, _relocated, _memory_stress, _defrag
 *    (generic/tests/trans_hugepage*.py): setup_thp = yes makes avocado-vt's
 *    test_setup.TransparentHugePageConfig write /sys/kernel/mm/transparent_hugepage/
 *    (enabled, defrag, khugepaged's knobs); the tests mount debugfs on the host, read the
 *    host's AnonHugePages / MemFree / SwapFree and judge their growth from the
 *    guest's memory (swapping fills the host's swap, memory_stress reserves
 *    nr_hugepages, defrag fragments host memory).  A TCG guest of 128 MiB could not
 *    move those counters the way a KVM guest sized from the host's memory does either.
 *  - ksm_services (generic/tests/ksm_services.py): utils_misc.KSMController sets
 *    the knobs of /sys/kernel/mm/ksm and restarts the host's ksm / ksmtuned services, rewriting
 *    /etc/ksmtuned.conf (cmds_installed_host = ksmtuned).
 */
#include "runner/type_qemu_cancel.h"

#include <stddef.h>

static const struct run_need qh_needs[] = {
    { "host_thp", .types = "trans_hugepage trans_hugepage_swapping trans_hugepage_relocated "
                           "trans_hugepage_memory_stress trans_hugepage_defrag",
      .applies = qc_always,
      .text = "hosts whose transparent hugepage settings the test may own: it writes "
              "/sys/kernel/mm/transparent_hugepage (setup_thp), mounts debugfs and judges "
              "the host's AnonHugePages / swap / free memory, machine-wide on the lab's "
              "shared machine, from a guest sized after the host's memory (KVM)" },
    { "host_ksmtuned", .types = "ksm_services", .applies = qc_always,
      .text = "hosts whose KSM the test may own: ksmtuned installed (cmds_installed_host), "
              "/sys/kernel/mm/ksm set and the ksm / ksmtuned services restarted with a "
              "rewritten /etc/ksmtuned.conf, machine-wide on the lab's shared machine" },
    { NULL },
};

QC_TYPE(trans_hugepage, "tp-qemu's trans_hugepage: the host's AnonHugePages grow with the "
                        "guest's memory (CANCEL: host THP settings)", qh_needs);
QC_TYPE(trans_hugepage_swapping, "tp-qemu's trans_hugepage_swapping: THP swapped out and in "
                                 "(CANCEL: host THP settings)", qh_needs);
QC_TYPE(trans_hugepage_relocated, "tp-qemu's trans_hugepage_relocated: khugepaged collapses "
                                  "the guest's memory (CANCEL: host THP settings)", qh_needs);
QC_TYPE(trans_hugepage_memory_stress, "tp-qemu's trans_hugepage_memory_stress: THP used "
                                      "under stress in the guest (CANCEL: host THP "
                                      "settings)", qh_needs);
QC_TYPE(trans_hugepage_defrag, "tp-qemu's trans_hugepage_defrag: THP defragmentation on a "
                               "fragmented host (CANCEL: host THP settings)", qh_needs);
QC_TYPE(ksm_services, "tp-qemu's ksm_services: KSM parameters and ksmtuned on the host "
                      "(CANCEL: host KSM services)", qh_needs);
