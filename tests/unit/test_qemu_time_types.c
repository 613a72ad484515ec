/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tp-qemu types of runner/type_qemu_{misc,life,time}.c without VMs: each case of
 * the composition as it writes them RUNs or CANCELs naming the guest tool or VM method
 * it needs, a lab declaring that need reaches what is not built (ERROR), and their
 * declared params read from the cases.
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

static void assert_has(const struct strbuf *out, const char *line)
{
    ck_assert_msg(strstr(out->buf, line), "'%s' not in:\n%s", line, out->buf);
}

static struct params *qcase(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "nics", "nic1");
    params_set(p, "vm_type", "libvirt");
    return p;
}

/* fail_test, skip_test, warning_test: no VM, each runs to its own outcome */
START_TEST(test_trivial_run)
{
    static const char *const types[] = { "fail", "skip", "warning" };
    for (size_t k = 0; k < 3; k++) {
        struct params *p = params_new();
        params_set(p, "type", types[k]);
        params_set(p, "vms", "");
        ASSERT_DISPO(p, "RUN");
        params_free(p);
    }
}
END_TEST

START_TEST(test_ping)
{
    struct params *p = qcase("ping");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "ping_counts", "30");
    params_set(p, "packet_size", "0 1 4 48 64 512 1440 1500 1505 4054 65507");
    params_set(p, "interval_time", "0.1 0.01 0.001 0.0001");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "ping_counts = 30");
    assert_has(&out, "ping_ext_host = no");
    /* ext_host: from the guest */
    params_set(p, "ping_ext_host", "yes");
    params_set(p, "ext_host_get_cmd", "ip route | awk '/default/ { print $3 }'");
    ASSERT_DISPO(p, "RUN");
    /* multi_nics */
    params_set(p, "nics", "nic1 nic2");
    ASSERT_DISPO(p, "multi_nics");
    caps[0] = "multi_nics";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_set(p, "nics", "nic1");
    params_set(p, "flood_ping", "yes");
    ASSERT_DISPO(p, "ERROR: param flood_ping");
    params_set(p, "flood_ping", "no");
    params_set(p, "ping_counts", "0");
    ASSERT_DISPO(p, "ERROR: param ping_counts");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_file_transfer)
{
    struct params *p = qcase("file_transfer");
    params_set(p, "filesize", "4000");
    ASSERT_DISPO(p, "guest_space");
    caps[0] = "guest_space";
    ASSERT_DISPO(p, "ERROR: type file_transfer: not built: the host");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

START_TEST(test_stop_continue)
{
    struct params *p = qcase("stop_continue");
    struct strbuf out = STRBUF_INIT;
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "pause_time = 0");
    /* with_file_copy */
    params_set(p, "prepare_op", "dd if=/dev/zero of=/tmp/origin bs=1M count=1024");
    params_set(p, "start_bg_process", "yes");
    params_set(p, "bg_cmd", "rm -rf /tmp/new; cp /tmp/origin /tmp/new");
    ASSERT_DISPO(p, "guest_space");
    caps[0] = "guest_space";
    ASSERT_DISPO(p, "ERROR: type stop_continue: not built: start_bg_process");
    caps[0] = NULL;
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_shutdown)
{
    struct params *p = qcase("shutdown");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "shutdown_method", "shell");
    params_set(p, "shutdown_command", "poweroff -f");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "shutdown_command = poweroff -f");
    assert_has(&out, "shutdown_count = 1");
    params_set(p, "shutdown_method", "system_powerdown");
    ASSERT_DISPO(p, "ERROR: param shutdown_method");
    params_set(p, "shutdown_method", "shell");
    params_set(p, "disable_shutdown", "yes");
    ASSERT_DISPO(p, "ERROR: param disable_shutdown");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_save_restore_boot_savevm)
{
    struct params *p = qcase("save_restore");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "save_restore_repeat", "25");
    params_set(p, "save_restore_duration", "1200.0");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "save_restore_repeat = 25");
    assert_has(&out, "save_restore_path = /tmp");
    params_free(p);
    p = qcase("boot_savevm");
    params_set(p, "savevm_delay", "0.3");
    params_set(p, "savevm_login_delay", "5");
    params_set(p, "savevm_timeout", "2000");
    params_set(p, "save_method", "save_to_file");
    ASSERT_DISPO(p, "RUN");
    /* vm.savevm / loadvm: not methods of avocado-vt's libvirt VM */
    params_set(p, "save_method", "save_to_tag");
    ASSERT_DISPO(p, "qemu_vm");
    params_set(p, "save_method", "save_to_file");
    params_set(p, "savevm_timeout", "-1");
    ASSERT_DISPO(p, "ERROR: param savevm_timeout");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

/* each clock type CANCELs for its guest tool; granted, the steps are not built */
START_TEST(test_time_family)
{
    static const struct { const char *type, *need; } rows[] = {
        { "clock_getres", "guest_build_tools" }, { "monotonic_time", "guest_build_tools" },
        { "tsc", "guest_build_tools" }, { "rtc", "guest_build_tools" },
        { "hwclock", "guest_hwclock" }, { "timedrift", "guest_date_ns" },
        { "timedrift_with_stop", "guest_date_ns" }, { "timedrift_with_reboot", "guest_date_ns" },
        { "timedrift_with_migration", "guest_date_ns" },
        { "timedrift_with_cpu_offline", "guest_date_ns" },
        { "timedrift_monotonicity", "guest_date_ns" },
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct params *p = qcase(rows[k].type);
        ASSERT_DISPO(p, rows[k].need);
        caps[0] = (char *)rows[k].need;
        ASSERT_DISPO(p, "ERROR: type ");
        caps[0] = NULL;
        params_free(p);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemu_time_types");
    TCase *tc = tcase_create("dispositions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_trivial_run);
    tcase_add_test(tc, test_ping);
    tcase_add_test(tc, test_file_transfer);
    tcase_add_test(tc, test_stop_continue);
    tcase_add_test(tc, test_shutdown);
    tcase_add_test(tc, test_save_restore_boot_savevm);
    tcase_add_test(tc, test_time_family);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
