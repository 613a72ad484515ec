/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migration_with_various_memory_backing (runner/type_mig_membacking.c) without VMs:
 * the file / anonymous / memfd cases RUN with their params read, the hugepage cases
 * CANCEL for hugepages first, a vm_attrs key vtrun does not build is an ERROR naming it;
 * migrate_mem's and migration_with_memory_devices' cases needing a guest driver CANCEL.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

#define MEM "'memory_unit':'KiB','memory':4194304,'current_mem':4194304,'current_mem_unit':'KiB'"

static struct params *base_case(const char *vm_attrs)
{
    struct params *p = params_new();
    params_set(p, "type", "migration_with_various_memory_backing");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_desturi", "qemu+ssh://192.168.126.3/system");
    params_set(p, "virsh_migrate_options", "--p2p --live --persistent --bandwidth 100");
    params_set(p, "migrate_desturi_type", "ssh");
    params_set(p, "storage_type", "nfs");
    params_set(p, "vm_attrs", vm_attrs);
    params_set(p, "expect_xpath", "[{'element_attrs':[\".//memory[@unit='KiB']\"],"
                                  "'text':'4194304'},{'element_attrs':"
                                  "[\".//memoryBacking/source[@type='memfd']\"]}]");
    return p;
}

START_TEST(test_backings_run)
{
    static const char *const attrs[] = {
        "{" MEM ", 'mb': {'source_type':'file', 'allocation':{'mode':'immediate', "
        "'threads':8}, 'access_mode': 'shared', 'discard':'yes'}}",
        "{" MEM ", 'mb': {'source_type':'anonymous', 'allocation':{'mode':'ondemand'}}}",
        "{" MEM ", 'mb': {'source_type':'memfd', 'access_mode': 'private'}}",
    };
    for (size_t k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++) {
        struct params *p = base_case(attrs[k]);
        ASSERT_DISPO(p, "RUN");
        params_free(p);
    }
    struct params *p = base_case(attrs[2]);
    struct strbuf out = STRBUF_INIT;
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "'source_type':'memfd'"));
    ck_assert_ptr_nonnull(strstr(out.buf, "virsh_migrate_src_state = shut off"));
    strbuf_release(&out);
    /* func_supported_since_libvirt_ver: the generic libvirt version need */
    params_set(p, "func_supported_since_libvirt_ver", "(99, 0, 0)");
    ASSERT_DISPO(p, "libvirt_version");
    params_free(p);
}
END_TEST

START_TEST(test_hugepage_cancels_then_errors)
{
    struct params *p = base_case("{" MEM ", 'vcpu': 4, 'mb': {'hugepages': {'pages': "
                                 "[{'size': '2048', 'unit': 'KiB', 'nodeset': '0'}]}}}");
    params_set(p, "mb_attrs", ", 'mb': {'hugepages': {'pages': [{'size': '2048'}]}}");
    ASSERT_DISPO(p, "hugepages");
    /* with hugepages the generic hugepages_setup row still decides first */
    caps[0] = "hugepages";
    ASSERT_DISPO(p, "hugepages_setup");
    caps[0] = NULL;
    params_free(p);
    /* keys vtrun does not build, in a case without hugepages: an ERROR naming them */
    p = base_case("{" MEM ", 'vcpu': 4}");
    ASSERT_DISPO(p, "ERROR: vm_attrs key 'vcpu'");
    params_set(p, "vm_attrs", "{" MEM ", 'mb': {'locked': 'yes'}}");
    ASSERT_DISPO(p, "ERROR: vm_attrs mb key 'locked'");
    params_set(p, "vm_attrs", "{" MEM ", 'mb': {'allocation': {'mode': 'x', 'z': 1}}}");
    ASSERT_DISPO(p, "ERROR: vm_attrs mb allocation key 'z'");
    params_free(p);
}
END_TEST

START_TEST(test_bad_xpath)
{
    struct params *p = base_case("{" MEM "}");
    params_set(p, "expect_xpath", "{'a': 1}");
    ASSERT_DISPO(p, "ERROR: expect_xpath");
    params_free(p);
}
END_TEST

/* migrate_mem and migration_with_memory_devices (runner/type_lv_unbuilt.c,
 * runner/type_cpumem_unbuilt.c): the cases needing a guest driver CANCEL naming it,
 * the others stay an ERROR naming what is not built. */
static struct params *unbuilt_case(const char *type, const char *key, const char *val)
{
    struct params *p = base_case("{}");
    params_set(p, "type", type);
    params_set(p, key, val);
    return p;
}

START_TEST(test_mem_guest_drivers)
{
    struct params *p = unbuilt_case("migrate_mem", "case", "mem_balloon");
    ASSERT_DISPO(p, "guest_virtio_balloon");
    params_set(p, "case", "mem_nvdimm");
    ASSERT_DISPO(p, "guest_nvdimm");
    params_set(p, "case", "mem_device");
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_mem: mem_device's steps");
    params_set(p, "case", "large_mem_vm");
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_mem");
    params_free(p);

    p = unbuilt_case("migration_with_memory_devices", "mem_model", "virtio-mem");
    ASSERT_DISPO(p, "hugepages");
    caps[0] = "hugepages";
    ASSERT_DISPO(p, "guest_virtio_mem");
    params_set(p, "mem_model", "nvdimm");
    ASSERT_DISPO(p, "guest_nvdimm");
    params_set(p, "mem_model", "dimm");
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migration_with_memory_devices");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("membacking_types");
    TCase *tc = tcase_create("membacking_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_backings_run);
    tcase_add_test(tc, test_hugepage_cancels_then_errors);
    tcase_add_test(tc, test_bad_xpath);
    tcase_add_test(tc, test_mem_guest_drivers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
