/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A copy-storage migration over QEMU's native TLS, on the lab with the lab's settings
 * file alone (no --set): tests/e2e/tp-libvirt/tls_copy_storage.cfg is the composition's
 * migration_with_copy_storage tls.default.with_precopy.copy_storage_all.p2p (make
 * conformance checks it still is).  vtrun makes a CA, the destination's server and
 * the source's client certificates with certtool into /etc/pki/qemu of both hosts (the
 * lab's own moved aside), turns the source daemon's debug log on (libvirtd.conf,
 * restarted in place), migrates with --live --p2p --tls --copy-storage-all from the
 * source's private disk into one made on the destination, and passes only when the
 * guest runs on the destination and is reached there, the source's domain is shut
 * off, and the source daemon's log shows QEMU given TLS credentials and the host name
 * for both the NBD disk copy (blockdev-add) and the migration stream
 * (migrate-set-parameters).  Afterwards the hosts' certificates and configuration are
 * the lab's again and nothing of the job is left.
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

START_TEST(test_copy_storage_over_tls_passes)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/tls_copy_storage.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "TLS: CA 'AUTOTEST.VIRT', server certificate CN "));
    ck_assert(ts_debug_log_has(&E, "--copy-storage-all --tls (host1 -> host2)"));
    ck_assert(ts_debug_log_has(&E, "daemon log of host1: 'blockdev-add.*tls-creds.*tls-hostname' "
                                   "found"));
    ck_assert(ts_debug_log_has(&E, "daemon log of host1: 'migrate-set-parameters.*tls-creds."
                                   "*tls-hostname' found"));
    ck_assert(ts_debug_log_has(&E, "the guest is shut off on the source, as expected"));
    ck_assert(ts_debug_log_has(&E, "running on host2, guest reached over its network"));
    /* the hosts are the lab's again */
    ck_assert(ts_debug_log_has(&E, "host host1: /etc/pki/qemu restored"));
    ck_assert(ts_debug_log_has(&E, "host host2: /etc/pki/qemu restored"));
    ck_assert(ts_debug_log_has(&E, "host host1: /etc/libvirt/libvirtd.conf restored"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("copy_storage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_copy_storage_over_tls_passes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
