/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The copy-storage types about drives (autoskipped_disks, migrate_disks,
 * precreate_none_target_disk) without VMs: the disk dicts of their cases read as the composition writes them
 * (runner/run_diskdict.h), the drives they give the domain XML (empty, shareable,
 * startupPolicy), and each case's disposition (RUN, or ERROR naming what vtrun does
 * not build or a malformed param); precreate_none_target_disk's check_image_info.
 */
#include <check.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>

#include "backends/be.h"
#include "backends/lv_xml.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_cs.h"
#include "runner/run_diskdict.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

static struct run_facts F;
static char *caps[4];

static void setup(void)
{
    ts_lab_facts(&F, caps, sizeof(caps) / sizeof(caps[0]));
}

static void teardown(void)
{
    run_facts_release(&F);
}

/* ---- run_diskdict ---------------------------------------------------------------- */

START_TEST(test_dict_cdrom_with_startup_policy)
{
    struct be_disk d;
    ck_assert_msg(run_diskdict_parse(
                      "{\"device\": \"cdrom\", \"type_name\": \"file\", \"driver\": {\"name\": "
                      "\"qemu\", \"type\": \"raw\"}, \"target\": {\"dev\": \"sda\", \"bus\": "
                      "\"sata\"}, \"source\": {\"attrs\": {\"startupPolicy\": \"optional\"}}, "
                      "\"readonly\": True}", &d) == 0, "%s", err_msg());
    ck_assert_str_eq(d.device, "cdrom");
    ck_assert_str_eq(d.format, "raw");
    ck_assert_str_eq(d.target, "sda");
    ck_assert_str_eq(d.bus, "sata");
    ck_assert_str_eq(d.startup_policy, "optional");
    ck_assert(d.readonly && !d.shareable);
    ck_assert_ptr_null(d.path);
    ck_assert_ptr_null(d.cache);
    run_diskdict_release(&d);
}
END_TEST

START_TEST(test_dict_shareable_disk_and_source_file)
{
    struct be_disk d;
    ck_assert_msg(run_diskdict_parse(
                      "{\"device\": \"disk\", \"type_name\": \"file\", \"driver\": {\"name\": "
                      "\"qemu\", \"type\": \"raw\", \"cache\": \"none\"}, \"target\": {\"dev\": "
                      "\"vdb\", \"bus\": \"virtio\"}, \"share\": True, 'source': {'attrs': "
                      "{'file': '/x/y.raw'}}}", &d) == 0, "%s", err_msg());
    ck_assert(d.shareable && !d.readonly);
    ck_assert_str_eq(d.cache, "none");
    ck_assert_str_eq(d.path, "/x/y.raw");
    ck_assert_ptr_null(d.startup_policy);
    run_diskdict_release(&d);
}
END_TEST

/* what vtrun cannot build is refused, naming the key */
START_TEST(test_dict_refuses_what_is_not_built)
{
    static const struct {
        const char *dict, *want;
    } bad[] = {
        { "{\"type_name\": \"block\"}", "type_name = 'block'" },
        { "{\"device\": \"lun\"}", "device = 'lun'" },
        { "{\"driver\": {\"name\": \"qemu\", \"io\": \"native\"}}", "key driver.io" },
        { "{\"source\": {\"attrs\": {\"dev\": \"/dev/sdb\"}}}", "key source.attrs.dev" },
        { "{\"source\": {\"attrs\": {\"startupPolicy\": \"sometimes\"}}}", "source.attrs.startupPolicy" },
        { "{\"readonly\": \"yes\"}", "key readonly: expected a bool" },
        { "{\"target\": {\"bus\": \"usb\"}}", "target.bus = 'usb'" },
        { "[1, 2]", "expected a dict" },
        { "{\"device\": ", "at offset" },
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct be_disk d;
        ck_assert_int_eq(run_diskdict_parse(bad[k].dict, &d), -1);
        ck_assert_msg(strstr(err_msg(), bad[k].want), "%s: '%s', want '%s'", bad[k].dict,
                      err_msg(), bad[k].want);
        ck_assert_ptr_null(d.device);
    }
}
END_TEST

/* ---- the drives in the domain XML ----------------------------------------------- */

static char *xpath(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    xmlChar *s = xmlXPathCastToString(o);
    char *out = xstrdup((const char *)s);
    xmlFree(s);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return out;
}

#define ck_xpath_eq(doc, expr, want) do {                                              \
        char *got_ = xpath(doc, expr);                                                 \
        ck_assert_msg(!strcmp(got_, want), "%s = '%s', want '%s'", expr, got_, want);  \
        free(got_);                                                                    \
    } while (0)

START_TEST(test_xml_empty_cdrom_shareable_and_startup_policy)
{
    struct be_disk disks[4] = {
        { .path = "/img/vm1.qcow2" },
        { .device = "cdrom", .bus = "sata", .target = "sda", .format = "raw", .readonly = true },
        { .path = "/img/s.raw", .format = "raw", .shareable = true, .target = "vdb" },
        { .path = "/img/c.iso", .device = "cdrom", .bus = "sata", .target = "sdb",
          .format = "raw", .readonly = true, .startup_policy = "mandatory" },
    };
    struct be_vm_spec s = { .name = "vm1", .mem_mib = 128, .smp = 1, .accel = "tcg",
                            .disks = disks, .ndisks = 4 };
    char *x = lv_xml_build(&s);
    ck_assert_msg(x != NULL, "%s", err_msg());
    xmlDocPtr doc = xmlReadMemory(x, (int)strlen(x), "t.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    ck_xpath_eq(doc, "count(/domain/devices/disk[target/@dev='sda']/source)", "0");
    ck_xpath_eq(doc, "string(/domain/devices/disk[target/@dev='sda']/@device)", "cdrom");
    ck_xpath_eq(doc, "count(/domain/devices/disk[target/@dev='sda']/readonly)", "1");
    ck_xpath_eq(doc, "count(/domain/devices/disk[target/@dev='vdb']/shareable)", "1");
    ck_xpath_eq(doc, "count(/domain/devices/disk[target/@dev='vda']/shareable)", "0");
    ck_xpath_eq(doc, "string(/domain/devices/disk[target/@dev='sdb']/source/@startupPolicy)",
                "mandatory");
    ck_xpath_eq(doc, "string(/domain/devices/disk[target/@dev='sdb']/source/@file)",
                "/img/c.iso");
    xmlFreeDoc(doc);
    free(x);
    /* an empty drive is a cdrom's or floppy's only */
    disks[1].device = NULL;
    ck_assert_ptr_null(lv_xml_build(&s));
    ck_assert_ptr_nonnull(strstr(err_msg(), "without a path"));
}
END_TEST

/* ---- dispositions ---------------------------------------------------------------- */

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* autoskipped_disks.disk_with_shareable.copy_storage_all.local_storage.p2p */
static struct params *asd_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "autoskipped_disks");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--copy-storage-all");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "test_case", "disk_with_shareable");
    params_set(p, "second_disk_name", "shareable.raw");
    params_set(p, "second_disk_dict",
               "{\"device\": \"disk\", \"type_name\": \"file\", \"driver\": {\"name\": "
               "\"qemu\", \"type\": \"raw\", \"cache\": \"none\"}, \"target\": {\"dev\": "
               "\"vdb\", \"bus\": \"virtio\"}, \"share\": True}");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Unsafe migration: Migration without shared storage is unsafe");
    return p;
}

START_TEST(test_autoskipped_dispositions)
{
    struct params *p = asd_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "test_case", "cdrom_with_empty_source");
    params_set(p, "second_disk_name", "");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "test_case", "disk_with_readonly");
    ASSERT_DISPO(p, "ERROR: second_disk_name = '': expected a file name");
    params_set(p, "second_disk_name", "../x.raw");
    ASSERT_DISPO(p, "ERROR: second_disk_name = '../x.raw'");
    params_set(p, "second_disk_name", "readonly.raw");
    params_set(p, "test_case", "disk_with_nothing");
    ASSERT_DISPO(p, "ERROR: param test_case");
    params_set(p, "test_case", "disk_with_readonly");
    params_set(p, "second_disk_dict", "{\"type_name\": \"network\"}");
    ASSERT_DISPO(p, "ERROR: second_disk_dict: type_name = 'network'");
    params_free(p);

    p = asd_case();
    params_set(p, "transport_type", "tls");
    ASSERT_DISPO(p, "ERROR: ");
    params_set(p, "transport_type", "");
    params_set(p, "virsh_migrate_extra", "--copy-storage-sometimes");
    ASSERT_DISPO(p, "ERROR: ");
    params_free(p);
}
END_TEST

/* migrate_disks.disk1_disk2_disk4.p2p.copy_storage_all */
static struct params *md_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_disks");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--migrate-disks vda,vdb,vdd");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "disk2_name", "mig_disk2.qcow2");
    params_set(p, "disk2_dict",
               "{\"device\": \"disk\", \"type_name\":\"file\", \"driver\": {\"name\": "
               "\"qemu\", \"type\":\"qcow2\"}, \"target\":{\"dev\": \"vdb\", \"bus\": "
               "\"virtio\"}}");
    params_set(p, "disk4_name", "mig_disk4.raw");
    params_set(p, "disk4_dict",
               "{\"device\": \"disk\", \"type_name\":\"file\", \"driver\": {\"name\": "
               "\"qemu\", \"type\":\"raw\"}, \"target\":{\"dev\": \"vdd\", \"bus\": "
               "\"virtio\"}, \"readonly\": True}");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Operation not supported: Cannot migrate empty or read-only "
               "disk vdd");
    return p;
}

START_TEST(test_migrate_disks_dispositions)
{
    struct params *p = md_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "disk5_dict", "{\"device\": \"cdrom\", \"target\": {\"dev\": \"sda\", "
               "\"bus\": \"sata\"}, \"readonly\": True}");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "disk_format", "vmdk");
    ASSERT_DISPO(p, "ERROR: disk_format = 'vmdk'");
    params_set(p, "disk_format", "raw");
    params_set(p, "disk4_name", "");
    ASSERT_DISPO(p, "ERROR: disk4_name = ''");
    params_set(p, "disk4_name", "mig_disk4.raw");
    params_set(p, "disk3_dict", "{\"driver\": {\"name\": \"vhost\"}}");
    ASSERT_DISPO(p, "ERROR: disk3_dict: driver.name = 'vhost'");
    params_free(p);

    p = md_case();
    params_set(p, "disk2_dict", "");
    ASSERT_DISPO(p, "ERROR: disk2_dict: not set");
    params_free(p);
}
END_TEST

/* ---- precreate_none_target_disk -------------------------------------------------- */

/* qemu-img 7.2's `info -U` of a raw image and of the copy libvirt made of it */
static const char raw_src[] =
    "image: /var/lib/libvirt/migrate/d/no_precreate_target_disk.img\n"
    "file format: raw\n"
    "virtual size: 64 MiB (67108864 bytes)\n"
    "disk size: 20.5 MiB\n"
    "Child node '/file':\n"
    "    filename: /var/lib/libvirt/migrate/d/no_precreate_target_disk.img\n"
    "    protocol type: file\n"
    "    file length: 64 MiB (67108864 bytes)\n"
    "    disk size: 20.5 MiB\n"
    "    Format specific information:\n"
    "        extent size hint: 1048576\n";

START_TEST(test_image_info_match_as_check_image_info)
{
    char *missing = NULL;
    /* the destination's: another disk size, no extent size hint, byte counts */
    const char *dst =
        "image: /var/lib/libvirt/migrate/d/no_precreate_target_disk.img\n"
        "file format: raw\n"
        "virtual size: 64 MiB (67108864 bytes)\n"
        "disk size: 64 MiB\n"
        "Child node '/file':\n"
        "    filename: /var/lib/libvirt/migrate/d/no_precreate_target_disk.img\n"
        "    protocol type: file\n"
        "    file length: 64 MiB (67108864 bytes)\n"
        "    disk size: 64 MiB\n";
    ck_assert_int_eq(run_cs_image_info_match(raw_src, dst, false, &missing), 1);
    /* another virtual size is found missing, without its byte count */
    char *smaller = xstrdup(dst);
    memcpy(strstr(smaller, "64 MiB (67108864"), "32", 2);
    ck_assert_int_eq(run_cs_image_info_match(raw_src, smaller, false, &missing), 0);
    ck_assert_str_eq(missing, "virtual size: 64 MiB ");
    free(missing);
    free(smaller);
    /* qcow2: the file length may differ (the copy is not preallocated alike) */
    const char *q_src = "file format: qcow2\nvirtual size: 64 MiB (67108864 bytes)\n"
                        "cluster_size: 65536\n    file length: 20 MiB (20971520 bytes)\n";
    const char *q_dst = "file format: qcow2\nvirtual size: 64 MiB (67108864 bytes)\n"
                        "cluster_size: 65536\n    file length: 64 MiB (67108864 bytes)\n";
    ck_assert_int_eq(run_cs_image_info_match(q_src, q_dst, true, &missing), 1);
    ck_assert_int_eq(run_cs_image_info_match(q_src, q_dst, false, &missing), 0);
    ck_assert_str_eq(missing, "    file length: 20 MiB ");
    free(missing);
    /* a line that is no regex is looked for as text */
    ck_assert_int_eq(run_cs_image_info_match("a (b\n", "x a (b y", false, &missing), 1);
}
END_TEST

/* precreate_none_target_disk.copy_storage_inc.qcow2_format.p2p */
static struct params *pn_case(void)
{
    struct params *p = params_new();
    params_set(p, "type", "precreate_none_target_disk");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "copy_storage_option", "--copy-storage-inc");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "disk_format", "qcow2");
    params_set(p, "target_pool_name", "no_precreate_target_disk_pool");
    params_set(p, "target_pool_target", "/var/lib/libvirt/migrate/");
    params_set(p, "target_pool_type", "dir");
    params_set(p, "disk_source_name", "/var/lib/libvirt/migrate/no_precreate_target_disk.img");
    params_set(p, "status_error", "yes");
    params_set(p, "err_msg", "Operation not supported: pre-creation of storage targets for "
               "incremental storage migration is not supported");
    return p;
}

START_TEST(test_precreate_dispositions)
{
    struct params *p = pn_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "target_pool_type", "logical");
    ASSERT_DISPO(p, "ERROR: target_pool_type = 'logical'");
    params_set(p, "target_pool_type", "dir");
    params_set(p, "target_pool_target", "/var/lib/libvirt/images");
    ASSERT_DISPO(p, "ERROR: target_pool_target = '/var/lib/libvirt/images': expected "
                 "disk_source_name's directory (/var/lib/libvirt/migrate)");
    params_set(p, "target_pool_target", "/var/lib/libvirt/migrate");
    params_set(p, "disk_source_name", "relative.img");
    ASSERT_DISPO(p, "ERROR: disk_source_name = 'relative.img'");
    params_set(p, "disk_source_name", "/var/lib/libvirt/migrate/x.img");
    params_set(p, "disk_format", "vmdk");
    ASSERT_DISPO(p, "ERROR: disk_format = 'vmdk'");
    params_set(p, "disk_format", "raw");
    params_set(p, "migrate_desturi_type", "unix_proxy");
    ASSERT_DISPO(p, "ERROR: ");
    params_free(p);
}
END_TEST

START_TEST(test_target_larger_dispositions)
{
    struct params *p = params_new();
    params_set(p, "type", "target_image_larger_than_source");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "disk_type", "file");
    params_set(p, "target_disk_type", "block");
    ASSERT_DISPO(p, "iscsi");
    params_set(p, "target_disk_type", "file");
    ASSERT_DISPO(p, "ERROR: target_image_larger_than_source: src_disk_dict's source.slices");
    /* hosts with an iSCSI target: still not built */
    caps[0] = "iscsi";
    params_set(p, "disk_type", "block");
    ASSERT_DISPO(p, "ERROR: target_image_larger_than_source: ");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("disk_types");
    TCase *d = tcase_create("diskdict"), *x = tcase_create("xml"), *t = tcase_create("types");
    tcase_add_test(d, test_dict_cdrom_with_startup_policy);
    tcase_add_test(d, test_dict_shareable_disk_and_source_file);
    tcase_add_test(d, test_dict_refuses_what_is_not_built);
    tcase_add_test(x, test_xml_empty_cdrom_shareable_and_startup_policy);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_autoskipped_dispositions);
    tcase_add_test(t, test_migrate_disks_dispositions);
    tcase_add_test(t, test_precreate_dispositions);
    tcase_add_test(t, test_target_larger_dispositions);
    tcase_add_test(d, test_image_info_match_as_check_image_info);
    suite_add_tcase(s, d);
    suite_add_tcase(s, x);
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
