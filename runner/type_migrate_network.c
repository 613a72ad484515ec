/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_network`: tp-libvirt's libvirt/tests/src/migration/migrate_network.py,
 * known but not built.  Each case CANCELs for what the hosts lack, else is an ERROR
 * naming what vtrun lacks -- never a RUN.
 *
 * The reference: an Open vSwitch bridge (ovs_bridge_name) made on both hosts, or a
 * libvirt network of macvtap interfaces in bridge mode on each host's first NIC that is
 * UP (direct-macvtap); the guest's interfaces replaced by one on that network; with
 * target_vm_name a second guest already installed on the destination
 * (avocado-vt-remote-vm1) started there on the same network; then the guest's serial
 * console: `dhcp-client` installed with the guest's package manager, its network
 * restarted (dhclient), and ping_dest (default www.baidu.com) pinged from it before and
 * after the migration (a host on the Internet); macvtap names compared on the
 * destination; the fake_macvtap case makes a tap named like the next macvtap there.
 *
 * Needs, in this order: openvswitch (ovs_br), internet (ping_dest off the lab: every
 * case pings it from the guest).  With both met: not built (vtrun's guests have no
 * package manager or DHCP client, and the target's pre-installed guest is not made).
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

#include <string.h>

static bool mn_ovs(const struct params *p)
{
    const char *b = params_get(p, "ovs_bridge_name");
    return b && *b;
}

static bool mn_always(const struct params *p)
{
    (void)p;
    return true;
}

static const struct run_need mn_needs[] = {
    { "openvswitch", .applies = mn_ovs, .capability = "openvswitch",
      .text = "Open vSwitch on both hosts (the case makes an OVS bridge, ovs_bridge_name, "
              "on each and a libvirt network with virtualport openvswitch on it)" },
    { "internet", .applies = mn_always, .capability = "internet",
      .text = "guests that reach a host on the Internet (the case installs dhcp-client in "
              "the guest and pings ping_dest, default www.baidu.com, from it before and "
              "after the migration)" },
    { NULL },
};

static int mn_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)p;
    (void)f;
    (void)why;
    err_set("tp-libvirt's migrate_network: its steps (OVS / macvtap networks on both "
            "hosts, the guest's DHCP client installed, a pre-installed guest on the "
            "destination, macvtap names compared) are not built");
    return -1;
}

static const struct run_need mn_needs_last[] = {
    { "not built", .applies = mn_always, .met = mn_unbuilt_met,
      .met_doc = "never: the type's steps are not built (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static const struct run_param mn_params[] = {
    { NULL },
};

/* Never reached (the last need makes every case CANCEL or ERROR); a guard all the same. */
static int mn_run(struct run_ctx *ctx)
{
    return run_error(ctx, "NotBuilt", "tp-libvirt's migrate_network is not built");
}

const struct run_type run_type_migrate_network = {
    .name = "migrate_network",
    .summary = "tp-libvirt's migration with an OVS bridge or macvtap interface "
               "(known, not built: CANCEL for openvswitch / internet, else ERROR)",
    .needs = { .vms = 1, .hosts = 2, .rows = mn_needs, .rows_last = mn_needs_last },
    .params = mn_params,
    .run = mn_run,
};
