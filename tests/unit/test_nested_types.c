/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The types built on base_steps' do_migration_during_mig (runner/run_tl_nested.c)
 * without VMs: pause_and_recover_and_disruptive and pause_and_disruptive_and_recover's
 * dispositions as the composition writes their variants, the nested funcs as engine
 * steps, and pause_by_domjobabort_and_recover's xml / persistent variants.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "migration/mig_act.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* pause_and_recover_and_disruptive.pause_by_domjobabort.tcp.p2p */
static struct params *disruptive_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "pause_and_recover_and_disruptive");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "transport_type", "tcp");
    params_set(p, "postcopy_options", "--timeout 4 --timeout-postcopy --postcopy "
               "--postcopy-bandwidth 5");
    params_set(p, "do_migration_during_mig", "yes");
    params_set(p, "postcopy_options_during_mig", "--postcopy-resume");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_network.check_established\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": 'params'}, {\"func\": "
               "\"virsh.domjobabort\", \"func_param\": \"'%s --postcopy' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"10\"}, {\"func\": "
               "\"do_migration\", \"func_param\": \"params\", \"need_sleep_time\": \"5\"}]");
    params_set(p, "action_during_do_mig",
               "[{\"func\": \"virsh.domjobabort\", \"before_pause\": \"yes\", "
               "\"func_param\": \"'%s --postcopy' % params.get('migrate_main_vm')\", "
               "\"need_sleep_time\": \"20\"}, {\"func\": \"resume_migration_again\", "
               "\"before_pause\": \"yes\", \"func_param\": \"params\", "
               "\"need_sleep_time\": \"20\"}]");
    params_set(p, "status_error_during_mig", "no");
    return p;
}

START_TEST(test_nested_funcs_are_steps)
{
    struct mig_actions acts;
    ck_assert_int_eq(mig_act_parse("[{\"func\": \"do_migration\", \"func_param\": "
                                   "\"params\"}, {\"func\": \"resume_migration_again\", "
                                   "\"func_param\": \"params\"}]", &acts), 0);
    ck_assert_uint_eq(acts.n, 2);
    ck_assert(run_tl_action_built(&acts.a[0]));
    ck_assert(run_tl_action_built(&acts.a[1]));
    mig_act_release(&acts);
}
END_TEST

START_TEST(test_recover_and_disruptive_dispositions)
{
    struct params *p = disruptive_case();
    ASSERT_DISPO(p, "RUN");
    /* poweroff_vm_dest: the poweroff must land while the resumed postcopy runs */
    params_set(p, "poweroff_vm_dest", "yes");
    params_set(p, "action_during_do_mig",
               "[{\"func\": \"poweroff_vm\", \"before_pause\": \"yes\", \"func_param\": "
               "\"params\", \"need_sleep_time\": \"10\"}]");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "poweroff_vm_dest", "no");
    /* the nested migration's funcs are checked as the first migration's are */
    params_set(p, "action_during_do_mig",
               "[{\"func\": \"libvirt_service.kill_service\", \"before_pause\": \"yes\", "
               "\"func_param\": \"params\"}, {\"func\": \"wait_for_unattended_mig\", "
               "\"before_pause\": \"yes\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "ERROR: action_during_do_mig: vtrun has no step for func "
                 "'wait_for_unattended_mig'");
    params_set(p, "action_during_do_mig", "");
    params_set(p, "transport_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR: transport_type = 'unix_proxy'");
    params_free(p);
}
END_TEST

START_TEST(test_disruptive_and_recover_dispositions)
{
    struct params *p = disruptive_case();
    params_set(p, "type", "pause_and_disruptive_and_recover");
    params_set(p, "action_during_do_mig", "");
    params_set(p, "postcopy_options", "--timeout 4 --timeout-postcopy --postcopy");
    params_set(p, "status_error", "yes");
    params_set(p, "status_error_during_mig", "yes");
    params_set(p, "service_name", "qemu-kvm");
    params_set(p, "service_on_dst", "yes");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.domjobabort\", \"func_param\": \"'%s --postcopy' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"5\"}, {\"func\": "
               "\"libvirt_service.kill_service\", \"func_param\": \"params\"}, {\"func\": "
               "\"set_migrate_speed_to_high\", \"func_param\": \"params\"}, {\"func\": "
               "\"do_migration\", \"func_param\": \"params\"}]");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "service_name", "libvirtd");
    params_set(p, "service_operations", "restart");
    params_set(p, "action_during_mig",
               "[{\"func\": \"libvirt_service.control_service\", \"func_param\": "
               "\"params\"}, {\"func\": \"do_migration\", \"func_param\": \"params\"}]");
    /* the daemon's restart is runner/run_tl_daemon.c's step, on the hop's host record */
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

/* pause_by_domjobabort_and_recover.<variant>.tcp.p2p */
START_TEST(test_domjobabort_variants)
{
    struct params *p = params_new();
    params_set(p, "type", "pause_by_domjobabort_and_recover");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "yes");
    params_set(p, "postcopy_options", "--timeout 4 --timeout-postcopy --postcopy");
    params_set(p, "migrate_again", "yes");
    params_set(p, "postcopy_resume_migration", "yes");
    params_set(p, "virsh_migrate_extra_mig_again",
               "--timeout 4 --timeout-postcopy --postcopy --postcopy-resume");
    caps[0] = "guest_agent";
    static const char *const built[] = { "xml", "persistent", "no_options" };
    for (size_t k = 0; k < sizeof(built) / sizeof(*built); k++) {
        params_set(p, "migration_options", built[k]);
        ASSERT_DISPO(p, "RUN");
    }
    params_set(p, "migration_options", "dname");
    ASSERT_DISPO(p, "ERROR: migration_options = 'dname'");
    params_set(p, "migration_options", "postcopy_bandwidth");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nested_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nested_funcs_are_steps);
    tcase_add_test(tc, test_recover_and_disruptive_dispositions);
    tcase_add_test(tc, test_disruptive_and_recover_dispositions);
    tcase_add_test(tc, test_domjobabort_variants);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
