/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One case of each one-host migration command type and of virsh_migrate_multi_vms,
 * tp-libvirt's own (tests/e2e/tp-libvirt/<type>.cfg, the composition's params
 * verbatim; make conformance checks they still are), on the lab with the lab's
 * settings file alone: virsh runs as the tool under test on the source host, the
 * values it set are read back, the migration goes through the supervisor.
 * Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set); from the top of the repository.
 */
#include "tests/support.h"

#include <check.h>

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}

/* Run the case file of type `type` (more args after); its one test's status is
 * `want`; returns the test's fail_reason (static copy). */
static const char *run_case(const char *type, const char *want, int timeout_s,
                            const char *set1, const char *set2)
{
    static char reason[512];
    char *cfg = xasprintf("tests/e2e/tp-libvirt/%s.cfg", type);
    if (set1)
        ts_e2e_vtrun(&E, timeout_s, "--config", cfg, "--set", set1, "--set", set2);
    else
        ts_e2e_vtrun(&E, timeout_s, "--config", cfg);
    free(cfg);
    json_t *r, *t = ts_only_test(&E, &r);
    const char *fr = ts_jstr(t, "fail_reason");
    snprintf(reason, sizeof(reason), "%s", fr ? fr : "");
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), want), "%s: %s, not %s: %s\n%s", type,
                  ts_jstr(t, "status"), want, reason, E.out);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    return reason;
}

/* migrate-setspeed of (2^64 - 1) / MiB: virsh's own overflow error */
START_TEST(test_set_get_speed_overflow_is_virshs_error)
{
    run_case("virsh_migrate_set_get_speed", "PASS", 120, NULL, NULL);
    /* the command line as the transport logs it: plain words here, every word
     * single-quoted over SSH */
    ck_assert(ts_debug_log_has(&E, " migrate-setspeed ") ||
              ts_debug_log_has(&E, " 'migrate-setspeed' "));
    ck_assert(ts_debug_log_has(&E, "numerical overflow"));
}
END_TEST

/* a shut off VM: the overflow is refused with the case's err_msg, the speed kept */
START_TEST(test_setspeed_and_getspeed_overflow_on_a_shut_off_vm)
{
    run_case("setspeed_and_getspeed", "PASS", 120, NULL, NULL);
    ck_assert(ts_debug_log_has(&E, " migrate-setspeed ") ||
              ts_debug_log_has(&E, " 'migrate-setspeed' "));
    ck_assert(ts_debug_log_has(&E, " 8796093022208") || ts_debug_log_has(&E, " '8796093022208'"));
}
END_TEST

/* the cache set to the VM's memory reads back as that, and is the job's in a
 * --compressed migration */
START_TEST(test_compcache_set_to_the_vms_memory)
{
    run_case("virsh_migrate_compcache", "PASS", 300, NULL, NULL);
    ck_assert(ts_debug_log_has(&E, "Compression cache: 1.000 GiB"));
    ck_assert(ts_debug_log_has(&E, "the migration job shows the compression cache set"));
}
END_TEST

/* by UUID while the VM migrates: the daemon holds 1000 ms, the migration succeeds */
START_TEST(test_setmaxdowntime_by_uuid_during_migration)
{
    run_case("virsh_migrate_setmaxdowntime", "PASS", 300, NULL, NULL);
    ck_assert(ts_debug_log_has(&E, "virsh migrate-getmaxdowntime: exit 0, stdout: 1000"));
    ck_assert(ts_debug_log_has(&E, "HOP"));
}
END_TEST

/* tp-libvirt's cfg leaves migrate_vms empty: its test skips, vtrun cancels, before
 * any VM starts; with two VMs, both move one after another under the ping watch */
START_TEST(test_multi_vms_cancels_without_vms_and_passes_with_them)
{
    const char *why = run_case("virsh_migrate_multi_vms", "CANCEL", 120, NULL, NULL);
    ck_assert_msg(strstr(why, "No multi vms provided."), "%s", why);
    run_case("virsh_migrate_multi_vms", "PASS", 600, "vms = avocado-vt-vm1 vm2",
             "migrate_vms = avocado-vt-vm1 vm2");
    ck_assert(ts_debug_log_has(&E, "vm2: longest ping silence while it moved"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("onehost");
    TCase *tc = tcase_create("onehost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_set_get_speed_overflow_is_virshs_error);
    tcase_add_test(tc, test_setspeed_and_getspeed_overflow_on_a_shut_off_vm);
    tcase_add_test(tc, test_compcache_set_to_the_vms_memory);
    tcase_add_test(tc, test_setmaxdowntime_by_uuid_during_migration);
    tcase_add_test(tc, test_multi_vms_cancels_without_vms_and_passes_with_them);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
