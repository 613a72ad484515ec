/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage migration types of tp-libvirt (runner/type_migrate_virtio_scsi.c,
 * runner/type_migrate_copy_storage.c), with no backend, host or VM: their declared
 * params (defaults, words, bounds, the exact errors), what their check derives
 * (lun over a file expects a failure), their needs (iSCSI for block / lvm disks: CANCEL
 * without the capability, met with it; the setups not built: ERROR naming the param),
 * and the definition libvirt gets for added SCSI disks (lv_xml).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/be.h"
#include "backends/lv_xml.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"

static struct params *P;
static struct run_common C;
static const struct run_type *T;
static void *OPTS;
static struct strbuf F;
static struct run_facts FACTS;
static char *caps[4];

static void setup(void)
{
    P = params_new();
    params_set(P, "vms", "vm1");
    memset(&C, 0, sizeof(C));
    C.test_timeout = 1800;
    OPTS = NULL;
    strbuf_init(&F, 0);
    run_facts_init(&FACTS);
    memset(caps, 0, sizeof(caps));
    FACTS.capabilities = caps;
    FACTS.libvirt_version = 9000000;
    FACTS.qemu_version = 7002000;
    FACTS.arch = "x86_64";
}

static void teardown(void)
{
    if (OPTS)
        run_type_opts_free(T, OPTS);
    strbuf_release(&F);
    run_common_release(&C);
    run_facts_release(&FACTS);
    params_free(P);
}

/* The case P as type `name`: 0 with its options formatted in F, or -1 with err. */
static int type_parse(const char *name)
{
    T = run_type_lookup(name);
    ck_assert_ptr_nonnull(T);
    if (OPTS)
        run_type_opts_free(T, OPTS);
    OPTS = NULL;
    run_common_release(&C);
    ck_assert_int_eq(run_common_parse(P, &C), 0);
    int rc = run_type_parse(T, P, &C, &OPTS);
    strbuf_reset(&F);
    if (rc == 0)
        run_param_format(T->params, OPTS, &F);
    return rc;
}

static void assert_has(const char *line)
{
    ck_assert_msg(strstr(F.buf, line), "no '%s' in:\n%s", line, F.buf);
}

/* The needs of P for T on 2 hosts: NULL met, else the label ("ERROR" for -2). */
static const char *needs(void)
{
    const char *label = NULL;
    int rc = run_needs_check(T, P, &C, 2, &FACTS, &label);
    return rc == 0 ? NULL : rc == -1 ? label : "ERROR";
}

START_TEST(test_virtio_scsi_params)
{
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    assert_has("disk_source_type = file\n");
    assert_has("disk_device_type = disk\n");
    assert_has("disk_format_type = raw\n");
    assert_has("added_disks_count = 1\n");
    assert_has("migrate_in_advance = no\n");
    assert_has("status_error = no\n");
    /* the composition's 256 variant: 257 disks, sda .. sdiw */
    params_set(P, "added_disks_count", "257");
    params_set(P, "added_disk_size", "0.001");
    params_set(P, "disk_format_type", "qcow2");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    assert_has("added_disks_count = 257\n");
    params_set(P, "added_disks_count", "0");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), -1);
    ck_assert_msg(strstr(err_msg(), "added_disks_count = '0'"), "%s", err_msg());
    params_set(P, "added_disks_count", "2");
    params_set(P, "disk_format_type", "vmdk");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), -1);
    ck_assert_msg(strstr(err_msg(), "disk_format_type = 'vmdk'"), "%s", err_msg());
    params_set(P, "disk_format_type", "raw");
    params_set(P, "disk_device_type", "cdrom");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), -1);
    ck_assert_msg(strstr(err_msg(), "disk_device_type = 'cdrom'"), "%s", err_msg());
    params_set(P, "disk_device_type", "disk");
    params_set(P, "added_disk_size", "-1");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), -1);
    ck_assert_msg(strstr(err_msg(), "added_disk_size = '-1'"), "%s", err_msg());
}
END_TEST

/* The reference: a LUN over a file is refused by libvirt, and the case expects that. */
START_TEST(test_virtio_scsi_lun_over_file_expects_failure)
{
    params_set(P, "disk_device_type", "lun");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    assert_has("status_error = yes\n");
    params_set(P, "disk_source_type", "block");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    assert_has("status_error = no\n");
}
END_TEST

START_TEST(test_virtio_scsi_needs)
{
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    ck_assert_ptr_null(needs());
    params_set(P, "disk_source_type", "block");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    const char *got = needs();
    ck_assert_msg(got && !strcmp(got, "iscsi"), "%s", got ? got : "met");
    caps[0] = "iscsi";
    ck_assert_ptr_null(needs());
    /* attaching while migrating runs on file sources, with no need of the hosts */
    caps[0] = NULL;
    params_set(P, "disk_source_type", "file");
    params_set(P, "migrate_in_advance", "yes");
    ck_assert_int_eq(type_parse("virsh_migrate_virtio_scsi"), 0);
    assert_has("migrate_in_advance = yes\n");
    ck_assert_ptr_null(needs());
}
END_TEST

START_TEST(test_copy_storage_params)
{
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
    assert_has("copy_storage_type = file\n");
    assert_has("copy_storage_option = --copy-storage-all\n");
    assert_has("added_disks_count = 1\n");
    assert_has("thread_timeout = 1200\n");
    assert_has("migrate_again = no\n");
    params_set(P, "copy_storage_option", "--copy-storage-inc");
    params_set(P, "added_disks_count", "3");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
    /* a word that copies nothing, or no word virsh knows */
    params_set(P, "copy_storage_option", "--persistent");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), -1);
    ck_assert_msg(strstr(err_msg(), "copy_storage_option = '--persistent': expected "
                         "--copy-storage-all or --copy-storage-inc"), "%s", err_msg());
    params_set(P, "copy_storage_option", "--copy-storage-everything");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), -1);
    ck_assert_msg(strstr(err_msg(), "copy_storage_option = '--copy-storage-everything'"),
                  "%s", err_msg());
    params_set(P, "copy_storage_option", "--copy-storage-all");
    params_set(P, "thread_timeout", "0");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), -1);
    ck_assert_msg(strstr(err_msg(), "thread_timeout = '0'"), "%s", err_msg());
    params_set(P, "thread_timeout", "1");
    params_set(P, "abnormal_type", "disk_on_fire");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), -1);
    ck_assert_msg(strstr(err_msg(), "abnormal_type = 'disk_on_fire'"), "%s", err_msg());
    /* migrate_again needs something to make the first hop fail */
    params_set(P, "abnormal_type", "");
    params_set(P, "migrate_again", "yes");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), -1);
    ck_assert_msg(strstr(err_msg(), "migrate_again without abnormal_type"), "%s", err_msg());
    params_set(P, "abnormal_type", "migration_interupted");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
    assert_has("abnormal_type = migration_interupted\n");
}
END_TEST

START_TEST(test_copy_storage_needs)
{
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
    ck_assert_ptr_null(needs());
    params_set(P, "copy_storage_type", "lvm");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
    const char *got = needs();
    ck_assert_msg(got && !strcmp(got, "iscsi"), "%s", got ? got : "met");
    caps[0] = "iscsi";
    ck_assert_ptr_null(needs());
    params_set(P, "copy_storage_type", "file");
    params_set(P, "migrate_again", "yes");
    params_set(P, "abnormal_type", "occupied_disk");
    ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
    /* filling a host's file system needs the hosts' leave (the lab gives it) */
    caps[0] = NULL;
    got = needs();
    ck_assert_msg(got && !strcmp(got, "fill_images_dir"), "%s", got ? got : "met");
    caps[0] = "fill_images_dir";
    ck_assert_ptr_null(needs());
    static const char *const built[] = { "migration_interupted", "not_exist_file" };
    for (size_t k = 0; k < 2; k++) {
        params_set(P, "abnormal_type", built[k]);
        ck_assert_int_eq(type_parse("virsh_migrate_copy_storage"), 0);
        ck_assert_ptr_null(needs());
    }
}
END_TEST

/* What libvirt is given for the added disks: a virtio-scsi controller, device lun. */
START_TEST(test_lv_xml_scsi_lun_disk)
{
    struct be_disk d[2] = {
        { .path = "/i/a.qcow2" },
        { .path = "/s/b.raw", .format = "raw", .bus = "scsi", .target = "sda",
          .device = "lun" },
    };
    struct be_vm_spec s = { .name = "vm", .mem_mib = 128, .smp = 1, .disks = d,
                            .ndisks = 2, .virtio_scsi = true };
    char *xml = lv_xml_build(&s);
    ck_assert_ptr_nonnull(xml);
    ck_assert_msg(strstr(xml, "<controller type=\"scsi\" index=\"0\" model=\"virtio-scsi\"/>"),
                  "%s", xml);
    ck_assert_msg(strstr(xml, "<disk type=\"file\" device=\"lun\">") &&
                  strstr(xml, "<disk type=\"file\" device=\"disk\">") &&
                  strstr(xml, "<target dev=\"sda\" bus=\"scsi\"/>"), "%s", xml);
    ck_assert_msg(!strstr(xml, "index=\"1\""), "%s", xml);
    free(xml);
    /* 8 SCSI disks: sdh is on a second controller, virtio-scsi too */
    struct be_disk many[8];
    char names[8][4];
    for (int k = 0; k < 8; k++) {
        snprintf(names[k], sizeof(names[k]), "sd%c", 'a' + k);
        many[k] = (struct be_disk){ .path = "/s/x.raw", .bus = "scsi", .target = names[k] };
    }
    s.disks = many;
    s.ndisks = 8;
    xml = lv_xml_build(&s);
    ck_assert_msg(strstr(xml, "<controller type=\"scsi\" index=\"1\" model=\"virtio-scsi\"/>") &&
                  !strstr(xml, "index=\"2\""), "%s", xml);
    free(xml);
    s.disks = d;
    s.ndisks = 2;
    s.virtio_scsi = false;
    xml = lv_xml_build(&s);
    ck_assert_msg(!strstr(xml, "<controller"), "%s", xml);
    free(xml);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("storage_types");
    TCase *tc = tcase_create("storage_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_virtio_scsi_params);
    tcase_add_test(tc, test_virtio_scsi_lun_over_file_expects_failure);
    tcase_add_test(tc, test_virtio_scsi_needs);
    tcase_add_test(tc, test_copy_storage_params);
    tcase_add_test(tc, test_copy_storage_needs);
    tcase_add_test(tc, test_lv_xml_scsi_lun_disk);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
