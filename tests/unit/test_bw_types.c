/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bandwidth types (migration_bandwidth_limit, migration_bandwidth) and
 * memory_copy_mode, migration_maxdowntime without VMs:
 * each case's disposition as the composition writes it (RUN when the migration is
 * slowed down before its actions, CANCEL kvm when not, libvirt_version for
 * set_bandwidth_by_blockjob's func, ERROR for what is not built), their actions' steps
 * built, and check_blockjob's reading of `virsh blockjob --info`.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static const char BL_ACTS[] =
    "[{\"func\": \"libvirt_disk.check_item_by_blockjob\", \"after_event\": \"block-job\", "
    "\"func_param\": \"params\", \"wait_for_after_event_timeout\": \"600\"}, {\"func\": "
    "\"check_domjobinfo_during_mig\", \"after_event\": \"migration-iteration\", "
    "\"func_param\": \"params\"}]";
static const char BL_DURING[] =
    "[{\"func\": \"set_bandwidth\", \"after_event\": \"block-job\", \"func_param\": "
    "\"params\", \"wait_for_after_event_timeout\": \"600\"}, {\"func\": "
    "\"libvirt_disk.check_item_by_blockjob\", \"func_param\": \"params\", "
    "\"need_sleep_time\": \"5\"}, {\"func\": \"check_domjobinfo_during_mig\", "
    "\"func_param\": \"params\"}]";
static const char BL_BLOCKJOB[] =
    "[{\"func\": \"virsh.blockjob\", \"after_event\": \"block-job\", \"func_param\": "
    "{\"name\": \"avocado-vt-vm1\", \"path\": \"vda\", \"options\": \"--bandwidth 20\"}, "
    "\"wait_for_after_event_timeout\": \"600\"}, {\"func\": "
    "\"libvirt_disk.check_item_by_blockjob\", \"func_param\": \"params\"}]";

/* migration_bandwidth_limit.copy_storage_all.*.p2p as the composition writes it */
static struct params *bl_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_bandwidth_limit");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "migrate_start_state", "running");
    params_set(p, "bandwidth", "20");
    params_set(p, "precopy_bandwidth", "20");
    params_set(p, "check_item", "bandwidth");
    params_set(p, "check_item_value", "20971520");
    params_set(p, "action_during_mig", BL_ACTS);
    return p;
}

START_TEST(test_bandwidth_limit_dispositions)
{
    struct params *p = bl_case();
    ck_assert(!run_tl_any_action_unbuilt(p));
    params_set(p, "set_bandwidth", "bandwidth");
    params_set(p, "virsh_migrate_extra", "--bandwidth 20");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "set_bandwidth", "setspeed_before_migration");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "bandwidth", "");
    ASSERT_DISPO(p, "ERROR: set_bandwidth = 'setspeed_before_migration' needs bandwidth");
    params_set(p, "bandwidth", "20");
    /* limited only at the block-job event: a TCG guest's memory copy ends first */
    params_set(p, "set_bandwidth", "setspeed_during_migration");
    params_set(p, "action_during_mig", BL_DURING);
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_set(p, "set_bandwidth", "set_bandwidth_by_blockjob");
    params_set(p, "func_supported_since_libvirt_ver", "(11, 1, 0)");
    params_set(p, "action_during_mig", BL_BLOCKJOB);
    ck_assert(!run_tl_any_action_unbuilt(p));
    caps[0] = "kvm";
    ASSERT_DISPO(p, "libvirt_version");
    caps[0] = NULL;
    params_del(p, "func_supported_since_libvirt_ver");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

static const char MB_PRE_POST[] =
    "[{\"func\": \"check_domjobinfo_precopy\", \"after_event\": \"iteration: '1'\", "
    "\"func_param\": \"params\"}, {\"func\": \"virsh.migrate_postcopy\", \"func_param\": "
    "\"'%s' % params.get('migrate_main_vm')\"}, {\"func\": \"check_domjobinfo_during_mig\", "
    "\"func_param\": \"params\"}, {\"func\": \"set_migrate_speed_to_high\", \"func_param\": "
    "\"params\"}]";
static const char MB_POST[] =
    "[{\"func\": \"set_bandwidth\", \"after_event\": \"iteration: '1'\", \"func_param\": "
    "\"params\"}, {\"func\": \"virsh.migrate_postcopy\", \"func_param\": \"'%s' % "
    "params.get('migrate_main_vm')\"}, {\"func\": \"check_domjobinfo_during_mig\", "
    "\"func_param\": \"params\", \"need_sleep_time\": \"5\"}, {\"func\": "
    "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]";

/* migration_resource_limit's cases as the composition writes them */
static struct params *mb_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_bandwidth");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "postcopy_bandwidth", "10");
    params_set(p, "expected_event_src", "[\"Suspended Post-copy\"]");
    params_set(p, "check_str_local_log", "['migrate-set-parameters.*max-bandwidth\":5242880']");
    return p;
}

START_TEST(test_migration_bandwidth_dispositions)
{
    struct params *p = mb_case();
    /* precopy_and_postcopy: precopy_bandwidth set while the guest runs */
    params_set(p, "precopy_bandwidth", "5");
    params_set(p, "check_postcopy_log", "migrate-set-parameters.*max-postcopy-bandwidth");
    params_set(p, "action_during_mig", MB_PRE_POST);
    ck_assert(!run_tl_any_action_unbuilt(p));
    params_set(p, "test_case", "set_bandwidth_when_vm_running");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "test_case", "set_bandwidth_when_initiating_live_migration");
    params_set(p, "postcopy_options", "--bandwidth 5 --postcopy --postcopy-bandwidth 10");
    ASSERT_DISPO(p, "RUN");
    /* postcopy_bandwidth: the precopy not slowed down before its actions */
    params_set(p, "postcopy_options", "--postcopy --postcopy-bandwidth 10");
    params_set(p, "precopy_bandwidth", "");
    ASSERT_DISPO(p, "kvm");
    params_set(p, "test_case", "set_bandwidth_during_live_migration_precopy_phase");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "action_during_mig", MB_POST);
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "kvm");
    params_set(p, "test_case", "set_bandwidth_when_vm_running");
    ASSERT_DISPO(p, "kvm");             /* only the postcopy speed set before */
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_set(p, "check_str_local_log", "not a list");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

START_TEST(test_blockjob_judge)
{
    const char *info = "    Bandwidth limit: 20971520 bytes/s (20.000 MiB/s)";
    ck_assert_int_eq(run_bw_blockjob_judge(info, "", "bandwidth", "20971520"), 1);
    ck_assert_int_eq(run_bw_blockjob_judge(info, "", "bandwidth", "9223372036853727232"), 0);
    ck_assert_int_eq(run_bw_blockjob_judge("", "", "bandwidth", "20971520"), 0);
    ck_assert_int_eq(run_bw_blockjob_judge("Bandwidth limit: 20 MiB/s", "", "bandwidth",
                                           "20971520"), 1);
    ck_assert_int_eq(run_bw_blockjob_judge("", "", "none", "0"), 1);
    ck_assert_int_eq(run_bw_blockjob_judge("", "Block Copy: [ 50 %]", "none", "0"), 0);
    ck_assert_int_eq(run_bw_blockjob_judge("", "Block Copy: [100 %]", "progress", "100"), 1);
    ck_assert_int_eq(run_bw_blockjob_judge("", "", "speed", "1"), -1);
}
END_TEST

/* memory_copy_mode's cases as the composition writes them */
static struct params *mc_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "memory_copy_mode");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "expected_event_src", "[\"lifecycle.*Suspended Migrated\", "
               "\"lifecycle.*Stopped Migrated\", \"job-completed\"]");
    params_set(p, "expected_event_target", "[\"event 'lifecycle'.*: Started Migrated\", "
               "\"event 'lifecycle'.*: Resumed Migrated\"]");
    return p;
}

START_TEST(test_memory_copy_mode_dispositions)
{
    struct params *p = mc_case();
    /* precopy: slowed down to 10 MiB/s before its check_established */
    params_set(p, "migrate_speed", "10");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: \\'1\\'\", \"func_param\": \"params\"}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    params_set(p, "check_local_port", "yes");
    params_set(p, "service_to_check", "virtqemud|libvirtd");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "service_to_check", "virsh");         /* non_p2p: the client's */
    ASSERT_DISPO(p, "client_on_source");
    params_set(p, "service_to_check", "virtqemud|libvirtd");
    params_del(p, "migrate_speed");
    ASSERT_DISPO(p, "kvm");
    params_del(p, "action_during_mig");
    /* postcopy: default_postcopy never switches; the others expect post-copy */
    params_set(p, "test_case", "postcopy");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "check_str_local_log", "['{\"capability\":\"postcopy-preempt\"']");
    ASSERT_DISPO(p, "postcopy_preempt");     /* QEMU 7.2 calls it x-postcopy-preempt */
    F.qemu_version = 8002000;
    ASSERT_DISPO(p, "RUN");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    params_set(p, "expected_event_src", "[\"lifecycle.*Suspended Post-copy\"]");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    /* verify_postcopy's userfaultfd check on libvirt >= 10.1.0 is not built */
    F.libvirt_version = 10001000;
    ASSERT_DISPO(p, "ERROR");
    F.libvirt_version = 9000000;
    caps[0] = NULL;
    params_set(p, "expected_event_target", "not a list");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

START_TEST(test_maxdowntime_dispositions)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_maxdowntime");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "compared_value", "300");
    params_set(p, "test_case", "default_maxdowntime");
    params_set(p, "action_during_mig",
               "[{\"func\": \"set_maxdowntime_during_mig\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"check_domjobinfo_during_mig\", \"after_event\": \"iteration: '1'\", "
               "\"func_param\": 'params'}, {\"func\": \"set_migrate_speed_to_high\", "
               "\"func_param\": \"params\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "kvm");
    params_set(p, "migrate_speed", "5");
    ASSERT_DISPO(p, "RUN");
    params_del(p, "migrate_speed");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bw_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bandwidth_limit_dispositions);
    tcase_add_test(tc, test_migration_bandwidth_dispositions);
    tcase_add_test(tc, test_blockjob_judge);
    tcase_add_test(tc, test_memory_copy_mode_dispositions);
    tcase_add_test(tc, test_maxdowntime_dispositions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
