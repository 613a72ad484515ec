/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A copy-storage migration of a guest with a drive libvirt does not copy, on the lab
 * with the lab's settings file alone (no --set): tests/e2e/tp-libvirt/
 * autoskipped_disks_cdrom.cfg is the composition's autoskipped_disks
 * cdrom_with_startuppolicy.optional.copy_storage_all.local_storage.p2p (make
 * conformance checks it still is).  vtrun makes the cdrom's ISO with mkisofs beside the
 * guest's private disk on the source only, adds it as a sata cdrom with
 * startupPolicy='optional', migrates with --live --p2p --copy-storage-all into a disk
 * made on the destination for the guest's disk alone, and passes only when the guest
 * runs on the destination and wrote to its disk there and the source's domain is shut
 * off.  Nothing of the job is left.
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

START_TEST(test_cdrom_missing_on_destination_is_skipped)
{
    ts_e2e_vtrun(&E, 240, "--config", "tests/e2e/tp-libvirt/autoskipped_disks_cdrom.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "-cdrom.iso (mkisofs of "));
    ck_assert(ts_debug_log_has(&E, "second_disk_dict: cdrom sata/sda "));
    ck_assert(ts_debug_log_has(&E, " readonly startupPolicy=optional"));
    ck_assert(ts_debug_log_has(&E, "--live --p2p --copy-storage-all (host1 -> host2)"));
    /* the guest's disk alone is made on the destination, never the cdrom's ISO */
    ck_assert(ts_debug_log_has(&E, ".qcow2 (") && ts_debug_log_has(&E, " bytes) made on host2"));
    ck_assert(!ts_debug_log_has(&E, "cdrom.iso exists on host2"));
    ck_assert(ts_debug_log_has(&E, "simple disk check: a line written to the guest's disk"));
    ck_assert(!ts_debug_log_has(&E, "cleanup of "));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("disk_types");
    TCase *tc = tcase_create("autoskipped");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cdrom_missing_on_destination_is_skipped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
