/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * offline_migration, migration_poweroff_vm, query_info_during_migration (tp-libvirt)
 * and guest_suspend (tp-qemu) without VMs: their declared params read from cases as
 * the composition writes them, bad values an ERROR naming the param, and each case's
 * disposition (RUN, or ERROR naming what vtrun does not build).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
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

static struct params *mig_case(const char *type, const char *options)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", options);
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_desturi", "qemu+tcp://192.168.127.3/system");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "migrate_desturi_port", "16509");
    params_set(p, "status_error", "no");
    return p;
}

/* offline_migration.src_vm_shutoff.with_undefinesource.p2p and its siblings */
START_TEST(test_offline_migration_runs)
{
    struct params *p = mig_case("offline_migration", "--p2p --verbose --offline --persistent");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "storage_type", "nfs");
    params_set(p, "virsh_migrate_dest_state", "shut off");
    params_set(p, "start_vm", "no");
    params_set(p, "virsh_migrate_extra", "--undefinesource");
    params_set(p, "virsh_migrate_src_state", "failed to get domain");
    params_set(p, "src_vm_persistency_state", "nonexist");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "start_vm = no");
    assert_has(&out, "src_vm_persistency_state = nonexist");
    assert_has(&out, "virsh_migrate_dest_state = shut off");
    params_set(p, "start_vm", "yes");
    params_set(p, "virsh_migrate_src_state", "running");
    params_set(p, "virsh_migrate_options", "--verbose --offline --persistent");
    ASSERT_DISPO(p, "RUN");
    /* words vtrun does not read, a bad boolean: ERRORs naming them */
    params_set(p, "virsh_migrate_extra", "--no-such-word");
    ASSERT_DISPO(p, "ERROR: ");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "start_vm", "maybe");
    ASSERT_DISPO(p, "ERROR: param start_vm");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

#define POWEROFF_ACTION                                                                  \
    "[{\"func\": \"poweroff_vm\", \"func_param\": \"params\", \"need_sleep_time\": \"70\"}]"

/* migration_poweroff_vm.{nbd,non_nbd}.{with_precopy,with_postcopy}.p2p */
START_TEST(test_poweroff_vm_runs)
{
    struct params *p = mig_case("migration_poweroff_vm", "--live --p2p --verbose");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "status_error", "yes");
    params_set(p, "test_case", "poweroff_vm");
    params_set(p, "stress_package", "stress");
    params_set(p, "stress_args", "--cpu 8 --io 4 --vm 2 --vm-bytes 128M --timeout 20s");
    params_set(p, "action_during_mig", POWEROFF_ACTION);
    params_set(p, "virsh_migrate_dest_state", "shut off");
    params_set(p, "virsh_migrate_src_state", "shut off");
    params_set(p, "err_msg", "error: operation failed: domain is not running");
    params_set(p, "virsh_migrate_extra", "--bandwidth 5 --copy-storage-all --migrate-disks vda");
    /* the poweroff 70 s in comes after a small TCG guest's migration */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "postcopy_options",
               "--postcopy --timeout 5 --timeout-postcopy --postcopy-bandwidth 5");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "--bandwidth 5");
    params_set(p, "storage_type", "nfs");
    params_set(p, "poweroff_vm_dest", "yes");
    params_set(p, "virsh_migrate_src_state", "paused");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "poweroff_vm_dest = yes");
    assert_has(&out, "test_case = poweroff_vm");
    assert_has(&out, "virsh_migrate_src_state = paused");
    params_set(p, "err_msg", "(unclosed");
    ASSERT_DISPO(p, "ERROR: param err_msg");
    params_set(p, "err_msg", "domain is not running");
    /* an action vtrun has no step for is named */
    params_set(p, "action_during_mig", "[{\"func\": \"check_NM\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "ERROR: ");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

/* query_info_during_migration.{with_precopy,with_postcopy}.{p2p,non_p2p} */
START_TEST(test_query_info_runs)
{
    struct params *p = mig_case("query_info_during_migration", "--live --p2p --verbose");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "action_during_mig",
               "[{\"func\": \"execute_statistics_command\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\"}]");
    params_set(p, "target_dev", "vdb");
    params_set(p, "loop_disk_type", "block");
    params_set(p, "block_device", "${nfs_mount_dir}/query_info_test.img");
    params_set(p, "migrate_speed", "15");
    params_set(p, "loop_time", "10");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    /* the statistics loop outlasts a small TCG guest's migration */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "target_dev = vdb");
    assert_has(&out, "migrate_speed = 15");
    assert_has(&out, "check_network_accessibility_after_mig = yes");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

static struct params *suspend_case(const char *type, const char *negative)
{
    struct params *p = params_new();
    params_set(p, "type", "guest_suspend");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "guest_suspend_type", type);
    params_set(p, "services_up_timeout", "30");
    params_set(p, "smp", "2");
    if (negative)
        params_set(p, "negative_test", negative);
    params_set(p, "s3_support_chk_cmd", "dmesg -c > /dev/null && grep -q mem /sys/power/state");
    params_set(p, "s4_support_chk_cmd", "dmesg -c > /dev/null && grep -q disk /sys/power/state");
    params_set(p, "s4_bg_program_setup_cmd", "cd /tmp/; nohup ping localhost");
    params_set(p, "s4_bg_program_chk_cmd", "pgrep ping");
    params_set(p, "s4_start_cmd", "echo disk > /sys/power/state");
    return p;
}

/* guest_suspend.guest_s{3,4}.{default,without_kvmclock}.global_{enable,disable}_s{3,4} */
START_TEST(test_guest_suspend_dispositions)
{
    struct params *p = suspend_case("mem", "yes");
    struct strbuf out = STRBUF_INIT;
    ASSERT_DISPO(p, "RUN");
    params_free(p);
    /* the S3 resume the reference cannot do on a libvirt VM */
    p = suspend_case("mem", NULL);
    ASSERT_DISPO(p, "ERROR: guest_suspend_type = mem: resume_guest_mem");
    params_free(p);
    p = suspend_case("disk", "yes");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
    p = suspend_case("disk", NULL);
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    assert_has(&out, "guest_suspend_type = disk");
    assert_has(&out, "s4_start_cmd = echo disk > /sys/power/state");
    assert_has(&out, "negative_test = no");
    params_set(p, "guest_suspend_type", "freeze");
    ASSERT_DISPO(p, "ERROR: param guest_suspend_type");
    /* unset: the reference's test.error comes once the guest runs */
    params_set(p, "guest_suspend_type", "");
    ASSERT_DISPO(p, "RUN");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("offl_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_offline_migration_runs);
    tcase_add_test(tc, test_poweroff_vm_runs);
    tcase_add_test(tc, test_query_info_runs);
    tcase_add_test(tc, test_guest_suspend_dispositions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
