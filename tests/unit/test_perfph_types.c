/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kill_qemu_during_performphase, destroy_vm_during_performphase, disk_io_load_in_vm and
 * migration_numatune without VMs: their declared params read from cases as the
 * composition writes them, and each case's disposition (RUN, CANCEL for what the lab
 * lacks, ERROR naming what vtrun does not build).
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

/* what every case of the two PerformPhase types sets */
static struct params *perform_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "migrate_desturi_port", "16509");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "yes");
    params_set(p, "migrate_again_status_error", "no");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    params_set(p, "expected_dest_state", "nonexist");
    return p;
}

/* kill_qemu_during_performphase.kill_src_qemu.with_precopy.p2p */
static struct params *kill_src_case(void)
{
    struct params *p = perform_case("kill_qemu_during_performphase");
    params_set(p, "service_name", "qemu-kvm");
    params_set(p, "migrate_speed", "10");
    params_set(p, "test_case", "kill_src_qemu");
    params_set(p, "virsh_migrate_extra", "--bandwidth 1000");
    params_set(p, "expected_src_state", "shut off");
    params_set(p, "expected_event_src", "[\"migration-iteration\", \"lifecycle.*: Stopped "
               "Failed\"]");
    params_set(p, "expected_event_target", "[\"lifecycle\", \"lifecycle.*: Stopped Failed\"]");
    params_set(p, "action_during_mig", "[{\"func\": \"libvirt_service.kill_service\", "
               "\"after_event\": \"migration-iteration\", \"func_param\": \"params\"}]");
    params_set(p, "err_msg", "operation failed: domain is not running");
    return p;
}

/* destroy_vm_during_performphase.destroy_dst_vm_before_vm_paused.with_precopy.p2p */
static struct params *destroy_dst_case(void)
{
    struct params *p = perform_case("destroy_vm_during_performphase");
    params_set(p, "virsh_migrate_extra", "--bandwidth 1");
    params_set(p, "virsh_migrate_extra_mig_again", " ");
    params_set(p, "expected_src_state", "running");
    params_set(p, "expected_event_src", "[\"migration-iteration\"]");
    params_set(p, "expected_event_target", "[\"lifecycle.*Stopped Destroyed\"]");
    params_set(p, "action_during_mig",
               "[{\"func\": \"virsh.destroy\", \"after_event\": \"iteration: '1'\", "
               "\"func_param\": {\"name\": \"avocado-vt-vm1\", \"uri\": "
               "\"qemu+tcp://ENTER.YOUR.DEST.EXAMPLE.COM/system\"}, \"need_sleep_time\": "
               "\"1\"}]");
    params_set(p, "err_msg", "domain is not running|Unable to read from socket: Connection "
               "reset by peer|domain.* is not processing incoming migration");
    return p;
}

/* The parsed options of a case (the type's own struct is private: read through the
 * rows' formatted values). */
static char *formatted(const struct params *p)
{
    struct strbuf out = STRBUF_INIT;
    ck_assert_msg(ts_type_params(p, &out) == 0, "%s", err_msg());
    return strbuf_detach(&out, NULL);
}

START_TEST(test_kill_qemu_steps_are_built)
{
    struct params *p = kill_src_case();
    struct mig_actions acts;
    ck_assert_int_eq(mig_act_parse(params_get(p, "action_during_mig"), &acts), 0);
    ck_assert_int_eq(acts.n, 1);
    ck_assert_int_eq(acts.a[0].step, MIG_STEP_KILL_DAEMON);
    ck_assert(run_tl_action_built(&acts.a[0]));
    mig_act_release(&acts);
    ck_assert(!run_tl_any_action_unbuilt(p));
    params_free(p);
}
END_TEST

START_TEST(test_kill_qemu_needs_a_throttled_migration)
{
    struct params *p = kill_src_case();
    /* --bandwidth 1000 overrides migrate_speed: a TCG guest is migrated before the kill */
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    caps[0] = NULL;
    /* a slow migration is one the lab can judge */
    params_set(p, "virsh_migrate_extra", "--bandwidth 10");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "");
    ASSERT_DISPO(p, "RUN");     /* migrate_speed 10 */
    params_set(p, "migrate_speed", "");
    ASSERT_DISPO(p, "kvm");
    params_free(p);
}
END_TEST

START_TEST(test_kill_qemu_bad_and_unbuilt)
{
    struct params *p = kill_src_case();
    params_set(p, "virsh_migrate_extra", "--bandwidth 10");
    params_set(p, "service_name", "sshd");
    ASSERT_DISPO(p, "ERROR: param service_name = 'sshd'");
    params_set(p, "service_name", "qemu-kvm");
    params_set(p, "status_error", "perhaps");
    ASSERT_DISPO(p, "ERROR: param status_error");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "(unclosed");
    ASSERT_DISPO(p, "ERROR: param err_msg");
    params_set(p, "err_msg", "x");
    /* what vtrun does not build is an ERROR naming it, before the kvm need */
    params_set(p, "virsh_migrate_extra", "--bandwidth 1000");
    params_set(p, "check_cont_ping", "yes");
    ASSERT_DISPO(p, "ERROR: check_cont_ping = 'yes'");
    params_set(p, "check_cont_ping", "no");
    params_set(p, "action_during_mig", "[{\"func\": \"migration_base.no_such_step\"}]");
    ASSERT_DISPO(p, "ERROR: action_during_mig");
    params_free(p);
}
END_TEST

START_TEST(test_destroy_dispositions)
{
    struct params *p = destroy_dst_case();
    ASSERT_DISPO(p, "RUN");
    /* destroy_dst_vm_after_vm_paused, destroy_src_vm: migrate_speed 10, --timeout */
    params_set(p, "virsh_migrate_extra", "--timeout 2 --timeout-suspend");
    params_set(p, "migrate_speed", "10");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "migrate_speed", "");
    ASSERT_DISPO(p, "kvm");
    params_set(p, "migrate_speed", "10");
    params_set(p, "migrate_desturi_type", "tls");
    ASSERT_DISPO(p, "ERROR: migrate_desturi_type = 'tls'");
    params_free(p);
}
END_TEST

START_TEST(test_destroy_blank_extra_again_is_set)
{
    /* base_steps: `if params.get("virsh_migrate_extra_mig_again")` is true for " ": the
     * second migration runs without --bandwidth 1 */
    struct params *p = destroy_dst_case();
    char *f = formatted(p);
    ck_assert_msg(strstr(f, "virsh_migrate_extra_mig_again =  \n") != NULL, "%s", f);
    free(f);
    params_free(p);
}
END_TEST

START_TEST(test_destroy_dict_param_is_read)
{
    struct params *p = destroy_dst_case();
    struct mig_actions acts;
    ck_assert_int_eq(mig_act_parse(params_get(p, "action_during_mig"), &acts), 0);
    ck_assert_int_eq(acts.a[0].step, MIG_STEP_DESTROY);
    ck_assert_int_eq(acts.a[0].arg, MIG_ARG_DICT);
    ck_assert_str_eq(pylit_get(&acts.a[0].dict, "name")->s, "avocado-vt-vm1");
    ck_assert(run_tl_action_built(&acts.a[0]));
    mig_act_release(&acts);
    params_free(p);
}
END_TEST

START_TEST(test_disk_io_load_is_an_error_naming_fio)
{
    struct params *p = params_new();
    params_set(p, "type", "disk_io_load_in_vm");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--copy-storage-synchronous-writes");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    caps[0] = "guest_package_manager"; /* the ERROR is for guests that have one */
    ASSERT_DISPO(p, "ERROR: tp-libvirt's disk_io_load_in_vm: the guest's disk I/O load");
    params_set(p, "copy_storage_option", "--copy-storage-nope");
    ASSERT_DISPO(p, "ERROR: virsh migrate words");
    params_free(p);
}
END_TEST

/* migration.numa.numatune.MODE.default */
static struct params *numatune_case(const char *mode)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_numatune");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "mem_mode", mode);
    char *mem = xasprintf("{'mode': '%s', 'nodeset': '%%s'}", mode);
    params_set(p, "numa_memory", mem);
    free(mem);
    params_set(p, "numa_memnode", "[{'cellid': '0', 'mode': 'preferred', 'nodeset': '%s'}]");
    return p;
}

START_TEST(test_numatune_dispositions)
{
    struct params *p = numatune_case("strict");
    ASSERT_DISPO(p, "numa_nodes");
    /* hugepages: the reference checks the NUMA nodes first */
    params_set(p, "memory_backing", "{'hugepages': {}}");
    ASSERT_DISPO(p, "numa_nodes");
    caps[0] = "numa_nodes";
    ASSERT_DISPO(p, "hugepages");
    params_set(p, "memory_backing", "");
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migration_numatune: the guest with NUMA cells");
    params_free(p);

    /* restrictive: libvirt 9.4 first, as the reference's is_libvirt_feature_supported */
    caps[0] = NULL;
    p = numatune_case("restrictive");
    params_set(p, "func_supported_since_libvirt_ver", "(9, 4, 0)");
    ASSERT_DISPO(p, "libvirt_version");
    F.libvirt_version = 10000000;
    ASSERT_DISPO(p, "numa_nodes");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("perfph_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_kill_qemu_steps_are_built);
    tcase_add_test(tc, test_kill_qemu_needs_a_throttled_migration);
    tcase_add_test(tc, test_kill_qemu_bad_and_unbuilt);
    tcase_add_test(tc, test_destroy_dispositions);
    tcase_add_test(tc, test_destroy_blank_extra_again_is_set);
    tcase_add_test(tc, test_destroy_dict_param_is_read);
    tcase_add_test(tc, test_disk_io_load_is_an_error_naming_fio);
    tcase_add_test(tc, test_numatune_dispositions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
