/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-qemu's network types of the libvirt composition (runner/type_qemu_net.c,
 * runner/type_netstress_kill_guest.c) without VMs: each case as the composition writes
 * it is known (never "unknown test type"), CANCELs naming its need, or RUNs
 * (netstress_kill_guest.driver); a declared guest capability leaves an ERROR naming
 * what vtrun does not build; netstress_kill_guest's params and their errors.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *qn_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "vm_type", "libvirt");
    params_set(p, "nics", "nic1");
    return p;
}

/* Every type of the issue, its need as --dry-run counts it. */
START_TEST(test_cancel_dispositions)
{
    static const struct {
        const char *type, *want;
    } rows[] = {
        { "mac_change", "qemu_vm" },
        { "jumbo", "qemu_vm" },
        { "multicast", "qemu_vm" },
        { "migration", "qemu_vm" },
        { "netperf", "guest_netperf" },
        { "netperf_stress guest_suspend", "guest_netperf" },
        { "ethtool", "guest_ethtool" },
        { "nic_promisc", "guest_file_transfer" },
        { "nicdriver_unload", "guest_file_transfer" },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct params *p = qn_case(rows[k].type);
        ck_assert_ptr_nonnull(run_type_lookup(rows[k].type));
        ASSERT_DISPO(p, rows[k].want);
        params_free(p);
    }
}
END_TEST

START_TEST(test_vlan_two_guests)
{
    struct params *p = qn_case("vlan");
    params_set(p, "vms", "avocado-vt-vm1 vm2");
    ASSERT_DISPO(p, "guest_8021q");
    params_free(p);
}
END_TEST

/* A lab whose guests have the tool: the steps are still not built (ERROR), but the
 * qemu_vm cases stay CANCEL (no capability makes the reference pass there). */
START_TEST(test_capability_leaves_not_built)
{
    caps[0] = "guest_netperf";
    struct params *p = qn_case("netperf");
    ASSERT_DISPO(p, "ERROR: tp-qemu's netperf: its steps are not built");
    params_free(p);
    p = qn_case("mac_change");
    ASSERT_DISPO(p, "qemu_vm");
    params_free(p);
}
END_TEST

static struct params *nsk_case(const char *mode)
{
    struct params *p = qn_case("netstress_kill_guest");
    params_set(p, "mode", mode);
    params_set(p, "nic_module_cmd", "readlink /sys/class/net/*/device/driver/module");
    return p;
}

START_TEST(test_netstress_kill_guest)
{
    struct params *p = nsk_case("driver");
    struct strbuf out = STRBUF_INIT;
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_msg(strstr(out.buf, "repeat_times = 10"), "%s", out.buf);
    params_set(p, "repeat_times", "-1");
    ASSERT_DISPO(p, "ERROR: param repeat_times");
    params_set(p, "repeat_times", "3");
    params_set(p, "nic_module_cmd", "");
    ASSERT_DISPO(p, "ERROR: param nic_module_cmd");
    params_free(p);
    p = nsk_case("load");
    ASSERT_DISPO(p, "guest_netperf");
    caps[0] = "guest_netperf";
    ASSERT_DISPO(p, "ERROR: netstress_kill_guest mode = load");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemu_net_types");
    TCase *tc = tcase_create("dispositions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cancel_dispositions);
    tcase_add_test(tc, test_vlan_two_guests);
    tcase_add_test(tc, test_capability_leaves_not_built);
    tcase_add_test(tc, test_netstress_kill_guest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
