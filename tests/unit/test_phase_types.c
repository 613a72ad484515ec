/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kill_qemu_during_finishphase, destroy_vm_during_finishphase,
 * stop_virtqemud_during_performphase, abort_by_domjobabort_on_target,
 * migrate_vm_again_during_migration, qemu_err_incoming_migration,
 * abort_before_qemu_layer_mig_start and migration_kill_libvirt_daemon's zerocopy_option
 * without VMs: their steps are built, their params read, and each case's disposition
 * (RUN, CANCEL for what the lab lacks, ERROR naming what vtrun does not build).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "migration/mig_act.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *base_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    return p;
}

/* kill_qemu_during_finishphase.kill_dest_qemu.with_postcopy.p2p */
static struct params *kill_finish_case(void)
{
    struct params *p = base_case("kill_qemu_during_finishphase");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "service_name", "qemu-kvm");
    params_set(p, "service_on_dst", "yes");
    params_set(p, "virsh_migrate_extra", "--postcopy-bandwidth 10 --bandwidth 10");
    params_set(p, "virsh_migrate_extra_mig_again", " ");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "expected_dest_state", "nonexist");
    params_set(p, "expected_src_state", "paused");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.migrate_postcopy\", \"func_param\": \"'%s' % "
               "params.get('migrate_main_vm')\", \"need_sleep_time\": \"10\"}, {\"func\": "
               "\"check_vm_status_during_mig\", \"func_param\": {\"vm_name\": "
               "\"avocado-vt-vm1\", \"src_state\":\"paused\", \"src_reason\": "
               "\"post-copy\"}, \"need_sleep_time\": \"5\"}, {\"func\": "
               "\"libvirt_service.kill_service\", \"func_param\": \"params\"}]");
    return p;
}

START_TEST(test_finish_steps_built_and_cancel_on_tcg)
{
    struct params *p = kill_finish_case();
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "check_cont_ping", "yes");
    ASSERT_DISPO(p, "ERROR: check_cont_ping = 'yes'");
    params_free(p);

    caps[0] = NULL;
    p = kill_finish_case();
    params_set(p, "type", "destroy_vm_during_finishphase");
    ASSERT_DISPO(p, "kvm");
    params_free(p);
}
END_TEST

/* stop_virtqemud_during_performphase.stop_dst_virtqemud.with_precopy.p2p */
START_TEST(test_stop_daemon)
{
    struct params *p = base_case("stop_virtqemud_during_performphase");
    params_set(p, "status_error", "yes");
    params_set(p, "service_name", "virtqemud");
    params_set(p, "service_operations", "stop");
    params_set(p, "service_on_dst", "yes");
    params_set(p, "migrate_speed", "5");
    params_set(p, "expected_dest_state", "nonexist");
    params_set(p, "expected_src_state", "running");
    params_set(p, "action_during_mig", "[{\"func\": \"libvirt_service.control_service\", "
               "\"func_param\": \"params\", \"after_event\": \"migration-iteration\"}]");
    struct mig_actions acts;
    ck_assert_int_eq(mig_act_parse(params_get(p, "action_during_mig"), &acts), 0);
    ck_assert_int_eq(acts.a[0].step, MIG_STEP_CONTROL_DAEMON);
    ck_assert(run_tl_action_built(&acts.a[0]));
    mig_act_release(&acts);
    ASSERT_DISPO(p, "modular_daemons");
    caps[0] = "modular_daemons";
    ASSERT_DISPO(p, "RUN");
    params_set(p, "service_name", "virtproxyd");
    ASSERT_DISPO(p, "ERROR: param service_name = 'virtproxyd'");
    params_free(p);
}
END_TEST

START_TEST(test_base_flow_types)
{
    /* abort_by_domjobabort_on_target.with_postcopy.p2p */
    struct params *p = base_case("abort_by_domjobabort_on_target");
    params_set(p, "migrate_speed", "15");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    params_set(p, "domjobabort_options", "--postcopy");
    params_set(p, "func_supported_since_libvirt_ver", "(8, 5, 0)");
    params_set(p, "action_during_mig", "[{\"func\": \"do_domjobabort\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\", \"need_sleep_time\": \"10\"}]");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    params_free(p);

    /* migrate_vm_again_during_migration.non_p2p */
    p = base_case("migrate_vm_again_during_migration");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    params_set(p, "do_migration_during_mig", "yes");
    params_set(p, "status_error_during_mig", "yes");
    params_set(p, "action_during_mig", "[{\"func\": \"do_migration\", \"after_event\": "
               "\"iteration: '1'\", \"func_param\": \"params\"}]");
    ck_assert(!run_tl_any_action_unbuilt(p));
    ASSERT_DISPO(p, "RUN");
    params_set(p, "action_during_do_mig", "[{\"func\": \"virsh.domjobabort\"}]");
    ASSERT_DISPO(p, "ERROR: action_during_do_mig");
    params_free(p);

    /* qemu_err_incoming_migration: hugepages first, then its setup is not built */
    p = base_case("qemu_err_incoming_migration");
    params_set(p, "status_error", "yes");
    params_set(p, "setup_hugepages", "yes");
    ASSERT_DISPO(p, "hugepages");
    params_free(p);

    /* abort_before_qemu_layer_mig_start: not built, tcp or unix */
    p = base_case("abort_before_qemu_layer_mig_start");
    params_set(p, "abort_mig", "domjobabort");
    ASSERT_DISPO(p, "ERROR: abort_mig = 'domjobabort'");
    params_set(p, "transport_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR: transport_type = 'unix_proxy'");
    params_free(p);
}
END_TEST

/* migration_kill_libvirt_daemon.zerocopy_option: the lab's daemons cannot raise the
 * memlock limit; with it, the zerocopy setup is still not built */
START_TEST(test_kill_daemon_zerocopy)
{
    struct params *p = base_case("migration_kill_libvirt_daemon");
    params_set(p, "test_case", "zerocopy_option");
    params_set(p, "virsh_migrate_extra", "--parallel --zerocopy");
    params_set(p, "service_name", "virtqemud");
    ASSERT_DISPO(p, "memlock");
    caps[0] = "memlock";
    ASSERT_DISPO(p, "ERROR: test_case = 'zerocopy_option'");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("phase_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_finish_steps_built_and_cancel_on_tcg);
    tcase_add_test(tc, test_stop_daemon);
    tcase_add_test(tc, test_base_flow_types);
    tcase_add_test(tc, test_kill_daemon_zerocopy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
