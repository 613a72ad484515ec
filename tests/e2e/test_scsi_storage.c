/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's storage migration cases on the lab, with the lab's settings file alone
 * (no --set): tests/e2e/tp-libvirt/virsh_migrate_{virtio_scsi,copy_storage}.cfg are the
 * composition's cases (make conformance checks they still are).
 *  - virsh_migrate_virtio_scsi ...multiple_disks.1.disk_device.file_source.format_qcow2:
 *    two qcow2 disks on a virtio-scsi controller, on the lab's GlusterFS volume,
 *    migrated --live --unsafe; PASS needs the guest running on the destination and a
 *    write of 1024 bytes into each disk there; the images are gone afterwards.
 *  - virsh_migrate_copy_storage normal_test.single_disk.copy_storage_all.file_image:
 *    the guest's disk in host1's private image directory, --live --copy-storage-all
 *    into one made first on host2; PASS needs the guest running there and reading back
 *    what it wrote to its disk before the hop; no image left on either host.
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

/* The definition libvirt was given, kept with the results.  Caller frees. */
static char *domain_xml(void)
{
    char *job = ts_job_dir(&E);
    char *pat = xasprintf("%s/test-results/1-*/avocado-vt-vm1-*.xml", job);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    char *xml = ts_read(g.gl_pathv[0]);
    globfree(&g);
    free(pat);
    free(job);
    return xml;
}

START_TEST(test_virtio_scsi_disks_migrate_and_take_writes)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_virtio_scsi.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "virsh migrate avocado-vt-vm1 --live --unsafe"));
    ck_assert(ts_debug_log_has(&E, "2 added disk(s) written to in the guest on host2"));
    char *xml = domain_xml();
    ck_assert_msg(strstr(xml, "model=\"virtio-scsi\"") &&
                  strstr(xml, "<target dev=\"sdb\" bus=\"scsi\"/>"),
                  "no virtio-scsi disks:\n%s", xml);
    free(xml);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

START_TEST(test_copy_storage_all_carries_the_guests_data)
{
    ts_e2e_vtrun(&E, 300, "--config", "tests/e2e/tp-libvirt/virsh_migrate_copy_storage.cfg");
    json_t *r, *t = ts_only_test(&E, &r);
    ck_assert_msg(E.status == 0 && !strcmp(ts_jstr(t, "status"), "PASS"),
                  "exit %d, %s: %s\n%s%s", E.status, ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out, E.err);
    ck_assert(ts_debug_log_has(&E, "virsh migrate avocado-vt-vm1 --live --copy-storage-all"));
    /* the disk was the source's own, and a copy was made for it on the destination */
    ck_assert(ts_debug_log_has(&E, "--copy-storage-all: /var/lib/libvirt/images/"));
    ck_assert(ts_debug_log_has(&E, "made on host2"));
    ck_assert(ts_debug_log_has(&E, "guest disk on host2: vtrun-"));
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scsi_storage");
    TCase *tc = tcase_create("scsi_storage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_virtio_scsi_disks_migrate_and_take_writes);
    tcase_add_test(tc, test_copy_storage_all_carries_the_guests_data);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
