/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Postcopy paused and recovered, on the lab, with the lab's settings file alone (no
 * --set): tests/e2e/tp-libvirt/pause_by_domjobabort_and_recover.cfg is the
 * composition's tp-libvirt case pause_by_domjobabort_and_recover.no_options.tcp.p2p
 * (make conformance checks it still is).  The postcopy migration runs at 15 MiB/s under
 * stress; after "iteration: '1'" check_established finds the migration's connection,
 * `virsh domjobabort --postcopy` 5 s later pauses the postcopy, and the common check
 * sees the job Unbounded, the source paused and the destination running.  The case
 * passes only when the first migration failed with "job 'migration in' failed in
 * post-copy phase", the second one (--postcopy-resume, no VM start) completed, `virsh
 * domtime` on the destination was answered by the guest's QEMU guest agent (the
 * domain's org.qemu.guest_agent.0 channel, the lab guest's qemu-ga), and the events
 * on both sides showed the postcopy error and the recovery.
 * Everything it changes is the job's own (domains, images): vtrun removes them on every
 * path, and ts_assert_nothing_left checks it.
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

START_TEST(test_paused_postcopy_recovers)
{
    ts_e2e_vtrun(&E, 400, "--config", "tests/e2e/tp-libvirt/pause_by_domjobabort_and_recover.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* the pause: the abort after the event, the postcopy failed, both sides held */
    ck_assert(ts_debug_log_has(&E, "action virsh.domjobabort: run"));
    ck_assert(ts_debug_log_has(&E, ": Suspended Post-copy Error"));
    ck_assert(ts_debug_log_has(&E, "hop 1 failed as expected: error: operation failed: "
                                   "job 'migration in' failed in post-copy phase"));
    ck_assert(ts_debug_log_has(&E, "Guest state is 'paused' at source as expected"));
    /* the recovery: the resume's words, its success, the agent answering after it */
    ck_assert(ts_debug_log_has(&E, " --postcopy-resume "));
    ck_assert(ts_debug_log_has(&E, "HOP avocado-vt-vm1 #2 host1 -> host2: ok in "));
    ck_assert(ts_debug_log_has(&E, "domtime on the destination: Time: "));
    ck_assert(ts_debug_log_has(&E, ": Resumed Post-copy Error"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("postcopy_recover");
    TCase *tc = tcase_create("pause_recover");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 500);
    tcase_add_test(tc, test_paused_postcopy_recovers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
