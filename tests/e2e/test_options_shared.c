/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's migrate_options_shared on the timeline engine, on the lab, with the
 * lab's settings file alone (no --set): tests/e2e/tp-libvirt/
 * migrate_options_shared_kill_qemu_target.cfg is the composition's case
 * negative_test.p2p_migration.kill_qemu_target.with_postcopy (make conformance checks
 * it still is).  Under stress in the guest at 10 MiB/s (low_speed, precopy and
 * postcopy), its action word killqemutarget runs through the adapter during the
 * migration: the switch to postcopy (the source paused (post-copy)), the destination's
 * QEMU killed, the source paused (post-copy failed).  The case passes only when the
 * migration then failed with one of err_msg's errors.
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

START_TEST(test_kill_qemu_target_passes)
{
    ts_e2e_vtrun(&E, 400, "--config",
                 "tests/e2e/tp-libvirt/migrate_options_shared_kill_qemu_target.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "migration speed 10 MiB/s before the migration"));
    ck_assert(ts_debug_log_has(&E, "switched to postcopy: the source is paused (post-copy)"));
    ck_assert(ts_debug_log_has(&E, ") on host2"));
    ck_assert(ts_debug_log_has(&E, "hop 1 failed as expected: error: "));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_network_dropped_by_the_firewall_fails_the_migration)
{
    ts_e2e_vtrun(&E, 400, "--config",
                 "tests/e2e/tp-libvirt/migrate_options_shared_drop_network.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "/etc/libvirt/qemu.conf keepalive_interval = -1"));
    ck_assert(ts_debug_log_has(&E, "for 40 s"));
    ck_assert(ts_debug_log_has(&E, "back on host1"));
    ck_assert(ts_debug_log_has(&E, "hop 1 failed as expected: error: "));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options_shared");
    TCase *tc = tcase_create("timeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 500);
    tcase_add_test(tc, test_kill_qemu_target_passes);
    tcase_add_test(tc, test_network_dropped_by_the_firewall_fails_the_migration);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
