/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's migrate_vm on the lab, with the lab's settings file alone (no --set):
 * tests/e2e/tp-libvirt/migrate_vm_bi_directional.cfg is the composition's case
 * positive_testing.p2p_migration.bi_directional.without_postcopy (make conformance
 * checks it still is).  The guest migrates `--live --p2p --verbose` with the source's
 * daemon dialling the reference's destination URI (qemu+ssh://<destination's
 * address>:22/system, placeholders filled from the settings' hosts), must run on the
 * destination, then migrates back with the same options to migration_source_uri
 * (qemu+ssh://<source's address>/system, dialled by the destination's daemon) and
 * must run on the source again.
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

START_TEST(test_p2p_there_and_back_passes)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/migrate_vm_bi_directional.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* the reference's URIs, from the settings' hosts */
    ck_assert(ts_debug_log_has(&E, "hop 1: desturi qemu+ssh://"));
    ck_assert(ts_debug_log_has(&E, ":22/system"));
    ck_assert(ts_debug_log_has(&E, "hop 2: desturi qemu+ssh://"));
    ck_assert(!ts_debug_log_has(&E, "ENTER.YOUR"));
    /* there, then back */
    ck_assert(ts_debug_log_has(&E, "the guest is running on host2"));
    ck_assert(ts_debug_log_has(&E, "the guest is running on host1"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("migrate_vm");
    TCase *tc = tcase_create("lab");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 350);
    tcase_add_test(tc, test_p2p_there_and_back_passes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
