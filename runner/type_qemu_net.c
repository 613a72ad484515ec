/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's network types (and its `migration`) in the libvirt composition, where they
 * run under avocado-vt's libvirt VM (vm_type = libvirt).  None can run on the lab:
 * each case CANCELs for what it needs first, never "unknown test type" and never a RUN.
 *
 * The reference itself cannot work on a libvirt VM (need `qemu_vm`, the method named):
 *  - mac_change (generic/tests/mac_change.py): its first check, check_guest_mac, reads
 *    vm.monitor.info("network"); avocado-vt's libvirt VM monitor (libvirt_vm.Monitor)
 *    has command, system_powerdown, get_status and sendkey only: an AttributeError.
 *    (It would then need dhcpcd in the guest, which busybox lacks.)
 *  - jumbo (generic/tests/jumbo.py) and multicast (generic/tests/multicast.py):
 *    vm.get_ifname() (the host tap), which libvirt_vm.VM raises NotImplementedError
 *    for.  multicast also flushes the host's iptables first (vtrun would not) and
 *    runs a Python script in the guest.
 *  - migration (qemu/tests/migration.py, e.g. trans_hugepage.migration):
 *    vm.migrate(mig_timeout, protocol, cancel_delay, offline, check, ...) is qemu_vm's
 *    signature; libvirt_vm.VM.migrate(dest_uri, option, extra, **dargs) takes three
 *    positional arguments: a TypeError.  vtrun's `migrate` type is not the same test
 *    (a virsh hop between two hosts, no migration_test_command output compared, no
 *    background command checked and killed), so it is not reused.
 *
 * What the lab's busybox guest lacks (a capability a richer lab may declare; with it
 * the case is an ERROR: the steps are not built):
 *  - guest_netperf: netperf (generic/tests/netperf.py; `netperf_stress guest_suspend`,
 *    avocado-vt runs qemu/tests/netperf_stress.py first) builds netperf from its
 *    tarball in the guest (and on the host); netperf's cases also want a second NIC
 *    (nics = nic1 nic2) and change host MTUs and NUMA pinning.
 *  - guest_8021q: vlan (generic/tests/vlan.py) adds VLAN links in two guests; the
 *    guest kernel's 8021q module is not in the lab's initramfs.
 *  - guest_ethtool: ethtool (generic/tests/ethtool.py) errors without ethtool.
 *  - guest_file_transfer: nic_promisc (generic/tests/nic_promisc.py) and
 *    nicdriver_unload (generic/tests/nicdriver_unload.py) copy files of filesize MB
 *    (400, 512; nicdriver_unload 5 sessions each way) in and out with scp
 *    (file_transfer_client): the lab guest's dropbear has no scp, and it runs from
 *    RAM (mem = 1024 in these cases: 6 x 512 MB do not fit).
 *
 * Checked in the lab's guest: no ethtool, scp, netperf, dhcpcd, dhclient, python,
 * tcpdump; `ip link add link eth0 name eth0.5 type vlan id 5` fails (no 8021q).
 *
 * `type = netperf_stress guest_suspend`: avocado-vt's VirtTest splits the value and
 * runs the modules one after the other in one test (the first failure ends it).
 * vtrun looks the whole value up (run_type_lookup), so the sequence is a row of its
 * own, named with both words; its need is the first module's.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

static bool qn_always(const struct params *p)
{
    (void)p;
    return true;
}

static int qn_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *type = params_get(p, "type");
    (void)n;
    (void)f;
    (void)why;
    err_set("tp-qemu's %s: its steps are not built (the lab's guest lacks what it needs)",
            type ? type : "?");
    return -1;
}

/* after a guest capability the settings declare: vtrun does not build the test */
static const struct run_need qn_needs_last[] = {
    { "not built", .applies = qn_always, .met = qn_unbuilt_met,
      .met_doc = "never: the type's steps are not built (ERROR)",
      .text = "the steps of the reference" },
    { NULL },
};

#define QN_QEMU_VM(id, method)                                                         \
    static const struct run_need qn_needs_##id[] = {                                   \
        { "qemu_vm", .applies = qn_always,                                             \
          .text = "avocado-vt's qemu VM: the reference calls " method                  \
                  ", which avocado-vt's libvirt VM (vm_type = libvirt) lacks; it "     \
                  "cannot pass there" },                                               \
        { NULL },                                                                      \
    }
#define QN_GUEST(id, cap, what)                                                        \
    static const struct run_need qn_needs_##id[] = {                                   \
        { cap, .applies = qn_always, .capability = cap, .text = what },                \
        { NULL },                                                                      \
    }

QN_QEMU_VM(mac_change, "vm.monitor.info('network') (libvirt_vm.Monitor has command, "
           "system_powerdown, get_status, sendkey: an AttributeError)");
QN_QEMU_VM(ifname, "vm.get_ifname() (libvirt_vm.VM raises NotImplementedError)");
QN_QEMU_VM(migration, "vm.migrate(timeout, protocol, cancel_delay, offline, check, ...) "
           "(libvirt_vm.VM.migrate(dest_uri, option, extra): a TypeError)");
QN_GUEST(netperf, "guest_netperf",
         "netperf in the guest (the test builds it from its tarball there with "
         "autogen/configure/make; the lab's busybox guest has no toolchain)");
QN_GUEST(vlan, "guest_8021q",
         "the 8021q module in the guests (VLAN links with `ip link add ... type vlan`; "
         "the lab's initramfs carries only the virtio modules)");
QN_GUEST(ethtool, "guest_ethtool", "ethtool in the guest (the test errors without it)");
QN_GUEST(promisc, "guest_file_transfer",
         "scp in the guest (run_file_transfer copies a filesize (400) MB file in and out "
         "with file_transfer_client = scp; the lab guest's dropbear has no scp)");
QN_GUEST(unload, "guest_file_transfer",
         "scp in the guest and 6 x filesize (512) MB free in its /home (5 transfer "
         "sessions each way while the driver is unloaded; the lab guest's dropbear has no "
         "scp, and it runs from RAM: 1024 MiB in this case)");

static const struct run_param qn_params[] = {
    { NULL },
};

/* Never reached (every case CANCELs or is an ERROR before); a guard all the same. */
static int qn_run(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "tp-qemu's %s is not built",
                     ctx->type ? ctx->type->name : "?");
}

#define QN_TYPE(id, tname, own, nvms, text)                                            \
    const struct run_type run_type_##id = {                                            \
        .name = tname,                                                                 \
        .summary = "tp-qemu's " text " (not built: a case CANCELs for its need)",      \
        .needs = { .vms = (nvms), .hosts = 1, .rows = qn_needs_##own,                  \
                   .rows_last = qn_needs_last },                                       \
        .params = qn_params,                                                           \
        .run = qn_run,                                                                 \
    }

QN_TYPE(qemu_mac_change, "mac_change", mac_change, 1,
        "mac_change: the guest's MAC changed, checked in QEMU's query-network");
QN_TYPE(qemu_jumbo, "jumbo", ifname, 1, "jumbo: MTU of guest and host tap, large pings");
QN_TYPE(qemu_multicast, "multicast", ifname, 1,
        "multicast: the guest in multicast groups, flood pings from the host");
QN_TYPE(qemu_migration, "migration", migration, 1,
        "migration: QEMU migration with a background command in the guest");
QN_TYPE(qemu_netperf, "netperf", netperf, 1, "netperf: throughput host/guest, guest/guest");
QN_TYPE(qemu_netperf_stress_guest_suspend, "netperf_stress guest_suspend", netperf, 1,
        "netperf_stress then guest_suspend in one test");
QN_TYPE(qemu_vlan, "vlan", vlan, 2, "vlan: VLANs between two guests, pings and nc");
QN_TYPE(qemu_ethtool, "ethtool", ethtool, 1, "ethtool: offload settings toggled");
QN_TYPE(qemu_nic_promisc, "nic_promisc", promisc, 1,
        "nic_promisc: promiscuous mode toggled during a file transfer");
QN_TYPE(qemu_nicdriver_unload, "nicdriver_unload", unload, 1,
        "nicdriver_unload: the NIC driver reloaded during file transfers");
