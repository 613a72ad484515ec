/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The base-steps types of runner/type_base_cases.c (async_job, non_live_migration,
 * migrate_paused_vm, migration_vm_configuration_and_status, pause_resume_vm_during_
 * migration, suspend_virsh_during_migration, migration_domjobinfo,
 * query_domain_job_info, migrate_event) and live_migration's poweroff_src_vm and
 * exec_statistics_cmd, without
 * VMs: their params read from cases as the composition writes them and each case's
 * disposition (RUN, ERROR naming the action vtrun has no step for).
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

/* What every case of these cfgs sets (migration_setup, tcp desturi, nfs storage). */
static struct params *base_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "storage_type", "nfs");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "migrate_desturi_port", "16509");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_dest_state", "running");
    params_set(p, "virsh_migrate_src_state", "shut off");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    params_set(p, "status_error", "no");
    return p;
}

/* A type's params formatted as debug.log shows them must hold line. */
static void assert_param(const struct params *p, const char *line)
{
    struct strbuf out = STRBUF_INIT;
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_msg(strstr(out.buf, line), "'%s' not in:\n%s", line, out.buf);
    strbuf_release(&out);
}

START_TEST(test_vm_configuration_suspend_target)
{
    struct params *p = base_case("migration_vm_configuration_and_status");
    params_set(p, "test_case", "suspend_target_vm");
    params_set(p, "check_dest_state", "paused");
    params_set(p, "virsh_migrate_extra", "--suspend");
    ASSERT_DISPO(p, "RUN");
    assert_param(p, "check_dest_state = paused");
    params_set(p, "virsh_migrate_extra", "--no-such-flag");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

START_TEST(test_non_live_and_async_job)
{
    struct params *p = base_case("non_live_migration");
    params_set(p, "virsh_migrate_options", "--p2p --verbose");
    params_set(p, "expected_event_src",
               "[\"lifecycle.*Suspended Migrated\", \"migration-iteration.*iteration\"]");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "post-copy migration is not supported with non-live");
    ASSERT_DISPO(p, "RUN");
    params_free(p);

    p = base_case("async_job");
    params_set(p, "domjobabort_on_src", "yes");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose --bandwidth 3");
    params_set(p, "domjobabort_options", "--postcopy");
    params_set(p, "action_during_mig",
               "[{\"func\": \"do_domjobabort\", \"func_param\": \"params\"}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_paused_vm)
{
    struct params *p = base_case("migrate_paused_vm");
    params_set(p, "virsh_migrate_dest_state", "paused");
    params_set(p, "migrate_vm_back", "yes");
    params_set(p, "src_state", "paused");
    ASSERT_DISPO(p, "RUN");
    assert_param(p, "migrate_vm_back = yes");
    assert_param(p, "src_state = paused");
    params_set(p, "migrate_vm_back", "maybe");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "migrate_vm_back", "no");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_speed", "5");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.domjobabort\", \"after_event\": \"iteration: '1'\", "
               "\"func_param\": \"'%s' % params.get('migrate_main_vm')\"}]");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_pause_resume_steps_built)
{
    struct params *p = base_case("pause_resume_vm_during_migration");
    params_set(p, "migrate_speed", "5");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.suspend\", \"after_event\": \"iteration: '1'\", "
               "\"func_param\": {\"name\": \"avocado-vt-vm1\"}}, {\"func\": "
               "\"check_resume\", \"func_param\": \"params\"}]");
    params_set(p, "expected_event_src", "[\"lifecycle.*: Suspended Migrated\"]");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

START_TEST(test_unbuilt_actions_are_errors)
{
    struct params *p = base_case("suspend_virsh_during_migration");
    params_set(p, "action_during_mig",
               "[{\"func\": \"MigrationTest().do_cancel\", \"func_param\": "
               "\"signal.SIGTSTP\", \"after_event\": \"migration-iteration\"}]");
    ASSERT_DISPO(p, "ERROR: action_during_mig: vtrun has no step for func "
                    "'MigrationTest().do_cancel'");
    params_free(p);

    p = base_case("migration_domjobinfo");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_monitor.check_domjobinfo_output\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": {\"vm_name\": \"avocado-vt-vm1\"}, "
               "\"need_sleep_time\": \"5\"}]");
    params_set(p, "expected_domjobinfo_complete", "{\"src_items\": {}}");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "type", "migration_xml_update");
    params_set(p, "modify", "alias");
    ASSERT_DISPO(p, "ERROR: modify = 'alias': vtrun does not build this setup");
    params_set(p, "type", "query_domain_job_info");
    params_set(p, "storage_type", "file");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    /* its first domjobinfo check 5 s in needs a copy the TCG guest's outlasts */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_live_migration_setups)
{
    struct params *p = params_new();
    params_set(p, "type", "live_migration");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "wait_for_event", "False");
    params_set(p, "status_error", "yes");
    params_set(p, "vm_state_after_abort", "{'source': 'shutoff', 'target': 'nonexist'}");
    params_set(p, "poweroff_src_vm", "yes");
    params_set(p, "migrate_speed", "10");
    params_set(p, "migrate_again", "yes");
    params_set(p, "action_during_mig",
               "[{\"func\": \"poweroff_vm\", \"after_event\": \"iteration: '1'\", "
               "\"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_set(p, "poweroff_src_vm", "no");
    params_set(p, "exec_statistics_cmd", "yes");
    ASSERT_DISPO(p, "ERROR: exec_statistics_cmd = yes needs block_device_name");
    params_set(p, "block_device_name", "migration_test_disk.img");
    params_set(p, "target_dev", "vdb");
    params_set(p, "loop_disk_type", "block");
    params_set(p, "action_during_mig",
               "[{\"func\": \"execute_statistics_command\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "RUN");
    assert_param(p, "target_dev = vdb");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobinfo_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_vm_configuration_suspend_target);
    tcase_add_test(tc, test_non_live_and_async_job);
    tcase_add_test(tc, test_migrate_paused_vm);
    tcase_add_test(tc, test_pause_resume_steps_built);
    tcase_add_test(tc, test_unbuilt_actions_are_errors);
    tcase_add_test(tc, test_live_migration_setups);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
