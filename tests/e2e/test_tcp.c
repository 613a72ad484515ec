/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A copy-storage migration over TCP with the migration port given, on the lab with the
 * lab's settings file and one --set, migrate_speed=20 (MiB/s: a TCG guest's migration
 * not slowed down is over before the check; the type CANCELs it for want of KVM):
 * tests/e2e/tp-libvirt/tcp_migrateuri_and_disks_port.cfg is the composition's
 * tcp_migrateuri_and_disks_port.migrateuri.ipv4_addr_and_port.default_port.
 * copy_storage_all.non_p2p (make conformance checks it still is).  vtrun migrates with
 * --live --copy-storage-all --migrateuri tcp://DEST:49777 from the source's private
 * disk into one made on the destination; after the block-job event
 * check_sockets_statistics runs `ss -tnap` on the destination and must find QEMU's
 * connections there on 49777 (memory) and 49152 (the disks, libvirt's first port); the test passes only when they were seen, the guest
 * runs on the destination and is reached there, and the source's domain is shut off.
 * Nothing on the hosts is changed, and nothing of the job is left.
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

START_TEST(test_ports_seen_with_ss_on_the_destination)
{
    ts_e2e_vtrun(&E, 240, "--config", "tests/e2e/tp-libvirt/tcp_migrateuri_and_disks_port.cfg",
                 "--set", "migrate_speed=20");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "--copy-storage-all --migrateuri tcp://"));
    ck_assert(ts_debug_log_has(&E, "ss -tnap on host2, the QEMU lines:"));
    ck_assert(ts_debug_log_has(&E, "check_sockets_statistics: 'ESTAB .*"));
    ck_assert(ts_debug_log_has(&E, "\\]:49777' found"));
    ck_assert(ts_debug_log_has(&E, "\\]:49152' found"));
    ck_assert(ts_debug_log_has(&E, "the guest is shut off on the source"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp");
    TCase *tc = tcase_create("copy_storage_ports");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ports_seen_with_ss_on_the_destination);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
