/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's live_migration on the timeline engine, on the lab, with the lab's
 * settings file alone (no --set): tests/e2e/tp-libvirt/live_migration_domjobabort.cfg
 * is the composition's case domjobabort.p2p_live.without_postcopy (make conformance
 * checks it still is).  The migration runs at 1 MiB/s; once virsh event shows
 * "iteration: '1'", check_established finds the source QEMU's connection to the
 * destination and virsh domjobabort aborts the job; the case passes only when the
 * migration failed with the abort's error (status_error, err_msg), the guest runs on
 * and is persistent on the source and is gone from the destination
 * (vm_state_after_abort), and a second migration at 20 MiB/s succeeds on the same port
 * (return_port), the guest then running and logged into on the destination.
 *
 * tests/e2e/tp-libvirt/migration_kill_libvirt_daemon.cfg is the composition's
 * migration_kill_libvirt_daemon no_option.kill_src_virtqemud.with_precopy.p2p: the
 * source's libvirtd is killed (SIGKILL) after "iteration: '1'" under stress at
 * 10 MiB/s; the case passes only when the migration failed, the guest runs on the
 * source and is reached there, the destination has no domain, query-migrate-parameters
 * shows QEMU's defaults again, and a second migration succeeds (the guest running on
 * the destination, shut off on the source).
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

START_TEST(test_domjobabort_then_again_passes)
{
    ts_e2e_vtrun(&E, 400, "--config", "tests/e2e/tp-libvirt/live_migration_domjobabort.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* the timeline: the event waited for, the port seen, the job aborted */
    ck_assert(ts_debug_log_has(&E, "action virsh.domjobabort: received the event "
                                   "'iteration: '1''"));
    ck_assert(ts_debug_log_has(&E, "action virsh.domjobabort: run"));
    ck_assert(ts_debug_log_has(&E, "hop 1 failed as expected: error: "));
    ck_assert(ts_debug_log_has(&E, "canceled by client"));
    /* the states after the abort, the second hop on the same port, the landing */
    ck_assert(ts_debug_log_has(&E, "after the first migration: running on the source host"));
    ck_assert(ts_debug_log_has(&E, "after the first migration: none on the target host"));
    ck_assert(ts_debug_log_has(&E, "Same port '"));
    ck_assert(ts_debug_log_has(&E, "running on host2, guest reached over its network"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_daemon_killed_then_again_passes)
{
    ts_e2e_vtrun(&E, 400, "--config", "tests/e2e/tp-libvirt/migration_kill_libvirt_daemon.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "libvirtd killed (SIGKILL) on host1"));
    ck_assert(ts_debug_log_has(&E, "hop 1 failed as expected: error: "));
    ck_assert(ts_debug_log_has(&E, "the guest is running on the source, as expected"));
    ck_assert(ts_debug_log_has(&E, "the guest is none on the destination, as expected"));
    ck_assert(ts_debug_log_has(&E, "query-migrate-parameters shows "));
    ck_assert(ts_debug_log_has(&E, "the guest is shut off on the source, as expected"));
    ck_assert(ts_debug_log_has(&E, "running on host2, guest reached over its network"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("live_migration");
    TCase *tc = tcase_create("timeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 500);
    tcase_add_test(tc, test_domjobabort_then_again_passes);
    tcase_add_test(tc, test_daemon_killed_then_again_passes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
