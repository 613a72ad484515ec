/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The small copy-storage disk types of runner/type_cs_disks.c and the decided-only
 * ones of runner/type_disks_decided.c without VMs: their declared params read from
 * cases as the composition writes them, and each case's disposition (RUN, CANCEL
 * naming what the hosts lack, ERROR naming what vtrun does not build).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* the params every migration_with_copy_storage case of these has */
static struct params *cs_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    return p;
}

/* target_image_smaller_than_source.copy_storage_all.p2p */
START_TEST(test_smaller_params_and_dispositions)
{
    struct params *p = cs_case("target_image_smaller_than_source");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "status_error", "yes");
    params_set(p, "disk_size", "2G");
    params_set(p, "err_msg",
               "migration of disk vda failed: Source and target image have different sizes");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "disk_size = 2G"));
    ck_assert_ptr_nonnull(strstr(out.buf, "status_error = yes"));
    ck_assert_ptr_nonnull(strstr(out.buf, "copy_storage_option = --copy-storage-all"));
    strbuf_release(&out);
    ASSERT_DISPO(p, "RUN");
    params_set(p, "disk_size", "2 G");
    ASSERT_DISPO(p, "ERROR: disk_size = '2 G'");
    params_set(p, "disk_size", "2G");
    params_set(p, "copy_storage_option", "--copy-storage-sometimes");
    ASSERT_DISPO(p, "ERROR: ");
    params_set(p, "copy_storage_option", "--copy-storage-inc");
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "ERROR: ");
    params_free(p);
}
END_TEST

START_TEST(test_run_types_dispositions)
{
    /* copy_storage_synchronous_writes.copy_storage_inc.non_p2p */
    struct params *p = cs_case("copy_storage_synchronous_writes");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    params_set(p, "virsh_migrate_extra", "--copy-storage-synchronous-writes");
    params_set(p, "copy_storage_option", "--copy-storage-inc");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    params_set(p, "func_supported_since_libvirt_ver", "(8, 0, 0)");
    ASSERT_DISPO(p, "RUN");
    /* libvirt older than the case asks: the generic need CANCELs it */
    F.libvirt_version = 7010000;
    ASSERT_DISPO(p, "libvirt_version");
    F.libvirt_version = 9000000;
    params_free(p);

    /* migration_vm_has_no_disk.copy_storage_all.p2p: the words in the extra */
    p = cs_case("migration_vm_has_no_disk");
    params_set(p, "copy_storage_option", "");
    params_set(p, "virsh_migrate_extra", "--copy-storage-all");
    params_set(p, "transport_type", "tcp");
    params_set(p, "simple_disk_check_after_mig", "no");
    ASSERT_DISPO(p, "RUN");
    params_free(p);

    /* migrate_vm_disk_on_shared_storage.copy_storage_inc.shared_storage.p2p */
    p = cs_case("migrate_vm_disk_on_shared_storage");
    params_set(p, "copy_storage_option", "--copy-storage-inc");
    params_set(p, "status_error", "yes");
    params_set(p, "storage_type", "nfs");
    params_set(p, "err_msg", "unable to execute QEMU command 'block-export-add'");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_decided_dispositions)
{
    struct params *p = cs_case("no_sufficient_disk_space_on_target");
    params_set(p, "status_error", "yes");
    params_set(p, "disk_size", "200M");
    params_set(p, "block_path", "/var/tmp/no_sufficient_disk_space.qcow2");
    caps[0] = "big_guest_disk"; /* the ERROR is for guests whose disk can fill it */
    ASSERT_DISPO(p, "ERROR: no_sufficient_disk_space_on_target: block_path's loop-device");
    caps[0] = NULL;
    params_free(p);

    p = cs_case("block_disk");
    params_set(p, "target_type", "vdb");
    ASSERT_DISPO(p, "scsi_debug");
    caps[0] = "scsi_debug";
    ASSERT_DISPO(p, "ERROR: block_disk: the scsi_debug disk");
    caps[0] = NULL;
    params_free(p);

    /* migration_with_different_disks.with_precopy.{block_disk,nbd_disk} */
    p = cs_case("migration_with_different_disks");
    params_set(p, "virsh_migrate_options", "--live --p2p --persistent --verbose");
    params_set(p, "migrate_desturi_type", "ssh");
    params_set(p, "test_scenario", "block_disk");
    params_set(p, "disk_type", "block");
    ASSERT_DISPO(p, "iscsi");
    params_set(p, "test_scenario", "nbd_disk");
    params_set(p, "disk_type", "nbd");
    ASSERT_DISPO(p, "ERROR: migration_with_different_disks: test_scenario's disk");
    params_free(p);

    /* canonical_paths_in_shared_filesystems.bios.with_tpm: two guests */
    p = cs_case("canonical_paths_in_shared_filesystems");
    params_set(p, "vms", "avocado-vt-vm1 vm2");
    params_set(p, "migrate_desturi_type", "ssh");
    ASSERT_DISPO(p, "nfs");
    caps[0] = "nfs";
    ASSERT_DISPO(p, "ERROR: canonical_paths_in_shared_filesystems: the NFS mounts");
    caps[0] = NULL;
    params_set(p, "type", "non_canonical_paths_in_shared_filesystems");
    params_set(p, "vms", "avocado-vt-vm1");
    ASSERT_DISPO(p, "nfs");
    params_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("csdisk_types");
    TCase *t = tcase_create("types");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_smaller_params_and_dispositions);
    tcase_add_test(t, test_run_types_dispositions);
    tcase_add_test(t, test_decided_dispositions);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
