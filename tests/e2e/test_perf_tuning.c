/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's migration_performance_tuning on the timeline engine, on the lab, with the
 * lab's settings file alone (no --set): tests/e2e/tp-libvirt/
 * migration_performance_tuning_compcache.cfg is the composition's case
 * migration_memory_compression.xbzrle_compression.specified_cache_size.
 * do_migration_and_then_set_by_migrate_compcache.with_precopy.p2p (make conformance
 * checks it still is).  Under stress in the guest at 15 MiB/s, an xbzrle-compressed
 * migration has its cache resized by `virsh migrate-compcache --size 536870912` after
 * its first iteration; the case passes only when `virsh domjobinfo --completed` on the
 * source then shows the compression items and "Compression cache: 512.000 MiB".
 * Nothing on the hosts is changed by this case (no daemon configuration, no firewall):
 * the VM set's cleanup leaves them as they were, which ts_assert_nothing_left checks.
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

START_TEST(test_compcache_during_migration_shows_in_completed_jobinfo)
{
    ts_e2e_vtrun(&E, 300, "--config",
                 "tests/e2e/tp-libvirt/migration_performance_tuning_compcache.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "'migrate-compcache' "));
    ck_assert(ts_debug_log_has(&E, "during the migration: exit 0"));
    ck_assert(ts_debug_log_has(&E, "Compression cache: 512.000 MiB"));
    ck_assert(ts_debug_log_has(&E, "domjobinfo --completed on the source shows the "
                                   "compression items and the cache size"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("perf_tuning");
    TCase *tc = tcase_create("timeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_compcache_during_migration_shows_in_completed_jobinfo);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
