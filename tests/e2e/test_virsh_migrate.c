/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's own virsh_migrate cases on the lab, with the lab's settings file alone
 * (no --set): tests/e2e/tp-libvirt/virsh_migrate*.cfg are the composition's cases
 * (make conformance checks they still are).
 *  - there_persistent: `--live --persistent` and `--timeout 60`; PASS needs the guest
 *    running and persistent on the destination, logged into, its uptime not lower;
 *  - there_migrateuri_nonexist: `--migrateuri xyz` with status_error = yes: libvirt
 *    refuses it, and the case passes because it failed, as tp-libvirt's does;
 *  - virsh_migration's migrate_precopy.live: `--live --undefinesource --persistent`,
 *    the guest running and persistent on the destination, gone from the source;
 *  - virsh_migrate_option_mix's live p2p case with --persistent, --persistent-xml,
 *    --xml, --dname and a display password: peer to peer over qemu+tls:// to the
 *    destination's certificate name; PASS needs the new name running and persistent
 *    there, the source shut off and still defined, both titles and the password in
 *    both XMLs, a login after the hop, and the domain defined after a destroy.
 *  - there_live_with_numa...strict_memory_mode: two guest NUMA cells (one vCPU and
 *    512 MiB each) with numatune strict and memnodes strict / interleave on host node
 *    0, defined so by libvirt, migrated live and checked on the destination;
 *  - there_live_with_numa...with_HP_pin.HP_pin_with_both_numa_node: the guest's two
 *    NUMA cells on 2 MiB huge pages of the lab's pool (<page size='2048'
 *    nodeset='0-1'>), migrated live; the destination's live definition still on huge
 *    pages and its QEMU mapping the guest's RAM from the host's hugetlbfs;
 *  - there_xml: a NIC attached to the running guest, its definition passed with --xml,
 *    the NIC's MAC found in the destination's live definition.
 * Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set); from the top of the repository.
 */
#include "tests/support.h"

#include <check.h>
#include <glob.h>

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}


START_TEST(test_persistent_live_migration_passes)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* the hop the case's words asked for, and the checks after it */
    ck_assert(ts_debug_log_has(&E, "virsh migrate avocado-vt-vm1 --live --persistent "
                                   "--timeout 60 --timeout-suspend"));
    ck_assert(ts_debug_log_has(&E, "running on host2 (persistent)"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_expected_failure_passes_with_libvirts_error)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_status_error.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* it passed because the hop failed, with libvirt's own words */
    ck_assert(ts_debug_log_has(&E, "hop 1 failed as expected: error: "));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_virsh_migration_live_passes)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migration.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "running on host2 (persistent), none on host1"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_option_mix_live_p2p_tls_passes)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_option_mix.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* the words of the booleans, to the case's TLS destination, and what was seen */
    ck_assert(ts_debug_log_has(&E, "--live --p2p --persistent --timeout 120 "
                                   "--timeout-suspend --dname guest-new-name --xml "));
    ck_assert(ts_debug_log_has(&E, " qemu+tls://"));
    ck_assert(ts_debug_log_has(&E, "after the hop: guest-new-name running (persistent) on "
                                   "host2, avocado-vt-vm1"));
    ck_assert(ts_debug_log_has(&E, " shut off (persistent) on host1"));
    /* the display's password stays out of what the job leaves */
    ck_assert(!ts_debug_log_has(&E, "abc12!@#"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

/* A file of the job's one test kept with its results (`name` may hold a glob, e.g. the
 * domain's XML with its job-unique name), read whole; asserted to exist. */
static char *kept_file(const char *name)
{
    char *job = ts_job_dir(&E);
    char *pat = xasprintf("%s/test-results/1-*/%s", job, name);
    glob_t g;
    ck_assert_msg(glob(pat, 0, NULL, &g) == 0, "no %s", pat);
    char *text = ts_read(g.gl_pathv[0]);
    globfree(&g);
    free(pat);
    free(job);
    return text;
}

START_TEST(test_numa_pinned_guest_migrates)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_numa.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "guest NUMA cell 1: vCPUs 1, 524288 KiB, memnode "
                                   "interleave on host node 0"));
    ck_assert(ts_debug_log_has(&E, "running on host2"));
    /* the definition libvirt was given, kept with the results */
    char *xml = kept_file("avocado-vt-vm1-*.xml");
    ck_assert_msg(strstr(xml, "<cell id=\"1\" cpus=\"1\" memory=\"524288\" unit=\"KiB\"/>") &&
                  strstr(xml, "<memory mode=\"strict\" placement=\"static\" nodeset=\"0\"/>") &&
                  strstr(xml, "<memnode cellid=\"1\" mode=\"interleave\" nodeset=\"0\"/>"),
                  "no NUMA cells or numatune:\n%s", xml);
    free(xml);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_hugepage_pinned_guest_migrates)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_hugepages.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "memory backing: huge pages of 2048 KiB for guest NUMA "
                                   "cells 0-1"));
    ck_assert(ts_debug_log_has(&E, "memory backing: huge pages on the destination"));
    char *xml = kept_file("avocado-vt-vm1-*.xml");
    ck_assert_msg(strstr(xml, "<page size=\"2048\" unit=\"KiB\" nodeset=\"0-1\"/>"),
                  "no huge pages in the definition:\n%s", xml);
    free(xml);
    /* the destination's QEMU: the guest's RAM a file on hugetlbfs */
    char *log = kept_file("qemu-avocado-vt-vm1.host2.log");
    ck_assert_msg(strstr(log, "memory-backend-file") && strstr(log, "/hugepages/libvirt/qemu/"),
                  "the destination's QEMU is not on hugetlbfs:\n%s", log);
    free(log);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_xml_option_carries_a_new_nic)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_xml.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    /* the definition went with the hop; the NIC it added is on the destination */
    ck_assert(ts_debug_log_has(&E, "virsh migrate avocado-vt-vm1 --live --xml '<domain"));
    ck_assert(ts_debug_log_has(&E, "--xml: NIC 52:54:00:"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virsh_migrate");
    TCase *tc = tcase_create("virsh_migrate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_persistent_live_migration_passes);
    tcase_add_test(tc, test_expected_failure_passes_with_libvirts_error);
    tcase_add_test(tc, test_virsh_migration_live_passes);
    tcase_add_test(tc, test_option_mix_live_p2p_tls_passes);
    tcase_add_test(tc, test_numa_pinned_guest_migrates);
    tcase_add_test(tc, test_hugepage_pinned_guest_migrates);
    tcase_add_test(tc, test_xml_option_carries_a_new_nic);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
