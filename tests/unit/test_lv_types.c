/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The last tp-libvirt migration types of the composition (runner/type_lv_unbuilt.c,
 * runner/type_mig_after_hotplug.c) without VMs: each is known, its cases CANCEL for
 * what the hosts lack or are an ERROR naming what vtrun does not build, and
 * migration_after_hotplug's cases RUN with their declared params read.
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

#define HOTPLUG_DICT                                                                    \
    "{\"type_name\": \"file\", \"device\": \"disk\", \"driver\": {\"name\": \"qemu\", "  \
    "\"type\": \"raw\", \"cache\": \"none\"}, \"target\": {\"dev\": \"vdb\", \"bus\": "  \
    "\"virtio\"}}"

static struct params *base_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_desturi", "qemu+ssh://192.168.126.3/system");
    params_set(p, "migrate_desturi_type", "ssh");
    params_set(p, "storage_type", "nfs");
    return p;
}

START_TEST(test_after_hotplug)
{
    struct params *p = base_case("migration_after_hotplug");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "disk_type", "file");
    params_set(p, "disk_target", "vdb");
    params_set(p, "disk_dict", HOTPLUG_DICT);
    params_set(p, "migrate_vm_back", "yes");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "virsh_migrate_options = --live --verbose"));
    ck_assert_ptr_nonnull(strstr(out.buf, "disk_target = vdb"));
    ck_assert_ptr_nonnull(strstr(out.buf, "migrate_vm_back = yes"));
    ck_assert_ptr_nonnull(strstr(out.buf, "virsh_migrate_src_state = shut off"));
    strbuf_release(&out);
    /* what vtrun's <disk> is not: an ERROR naming the param */
    params_set(p, "disk_type", "block");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "disk_type", "file");
    params_set(p, "disk_dict", "{\"device\": \"disk\", \"target\": {\"bus\": \"scsi\"}}");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "disk_dict", HOTPLUG_DICT);
    /* an action without a step */
    params_set(p, "action_during_mig", "[{\"func\": \"no_such_func\"}]");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "action_during_mig", "");
    params_set(p, "virsh_migrate_extra", "--bogus");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

/* The balloon case as the composition writes it: CANCEL on the guest's balloon driver,
 * RUN with it; dict keys vtrun does not build are an ERROR. */
START_TEST(test_balloon)
{
    struct params *p = base_case("migration_with_various_balloon_models");
    struct strbuf out = STRBUF_INIT;
    params_set(p, "virsh_migrate_options", "--p2p --live --persistent --bandwidth 100 "
                                           "--migrateuri tcp://192.168.126.3");
    params_set(p, "mem_attrs", "{'memory_unit':'KiB','memory':8388608,'current_mem':7340032,"
                               "'current_mem_unit':'KiB'}");
    params_set(p, "memballoon_dict", "{'model':'virtio', 'freepage_reporting':'on', "
                                     "'stats_period':10, 'alias_name':'ua-1', "
                                     "'autodeflate':'on'}");
    params_set(p, "expect_xpath", "[{'element_attrs':[\".//memory[@unit='KiB']\"],"
                                  "'text':'8388608'}, {'element_attrs':[\".//memballoon"
                                  "[@model='virtio']\", \".//memballoon/stats[@period='10']\"]}]");
    params_set(p, "dominfo_check", "Max memory:(\\s+)8388608 KiB\\nUsed memory:(\\s+)7340032 KiB");
    ASSERT_DISPO(p, "guest_virtio_balloon");
    caps[0] = "guest_virtio_balloon";
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "memballoon_dict = {'model':'virtio'"));
    strbuf_release(&out);
    params_set(p, "memballoon_dict", "{'model':'virtio', 'driver': {'iommu': 'on'}}");
    ASSERT_DISPO(p, "ERROR: memballoon_dict key 'driver'");
    params_set(p, "memballoon_dict", "{'model':'virtio'}");
    params_set(p, "mem_attrs", "{'max_mem_rt': 4096}");
    ASSERT_DISPO(p, "ERROR: mem_attrs key 'max_mem_rt'");
    params_set(p, "mem_attrs", "{}");
    params_set(p, "expect_xpath", "{'element_attrs': []}");
    ASSERT_DISPO(p, "ERROR: expect_xpath");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

/* The memory allocation cases: vm_attrs with <maxMemory> and NUMA cells RUN; a cpu dict
 * beyond numa_cell is an ERROR; mem_attrs (a fragment of vm_attrs there) is not read. */
START_TEST(test_memory_allocation)
{
    struct params *p = base_case("migration_with_various_memory_allocation");
    params_set(p, "mem_attrs", "'memory_unit':'KiB','memory':8388608");
    params_set(p, "vm_attrs", "{'memory_unit':'KiB','memory':8388608,'current_mem':8388608,"
                              "'current_mem_unit':'KiB', 'max_mem_rt': 10485760, "
                              "'max_mem_rt_slots': 16, 'max_mem_rt_unit': 'KiB', 'vcpu': 4, "
                              "'cpu': {'numa_cell': [{'id': '0', 'cpus': '0-1', 'memory': "
                              "'4194304', 'unit': 'KiB'}]}}");
    params_set(p, "expect_xpath", "[{'element_attrs':[\".//maxMemory[@slots='16']\"],"
                                  "'text':'10485760'}]");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "func_supported_since_libvirt_ver", "(9, 5, 0)");
    ASSERT_DISPO(p, "libvirt_version");
    params_set(p, "func_supported_since_libvirt_ver", "");
    params_set(p, "vm_attrs", "{'cpu': {'mode': 'host-model', 'numa_cell': []}}");
    ASSERT_DISPO(p, "ERROR: vm_attrs key 'cpu'");
    params_set(p, "vm_attrs", "{'memory': 1048576, 'mb': {'hugepages': {}}}");
    ASSERT_DISPO(p, "ERROR: vm_attrs key 'mb'");
    params_free(p);
}
END_TEST

/* Types known but not built: never "unknown test type", never a RUN. */
START_TEST(test_unbuilt_known)
{
    static const char *const types[] = {
        "migrate_mem", "migrate_service_control", "migrate_gluster", "migrate_ceph",
        "pause_by_proxy_and_recover",
        "pause_and_io_error_and_recover", "migration_with_vhostvdpa",
        "migration_with_vhostuser", "migration_with_internally_launched_virtiofs_dev",
        "migration_with_externally_launched_virtiofs_dev",
        "kill_virtiofsd_during_performphase", "migrate_with_panic_device",
        "migrate_graphics",
    };
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        ck_assert_ptr_nonnull(run_type_lookup(types[k]));
        struct params *p = base_case(types[k]);
        char *got = ts_dispo(p, &F);
        ck_assert_msg(strstr(got, "unknown test type") == NULL, "%s: %s", types[k], got);
        ck_assert_msg(strncmp(got, "RUN", 3) != 0, "%s: %s", types[k], got);
        free(got);
        params_free(p);
    }
}
END_TEST

/* The generic needs decide first: a CANCEL naming the need, an ERROR once it is met. */
START_TEST(test_unbuilt_needs)
{
    struct params *p = base_case("migrate_ceph");
    params_set(p, "disk_source_protocol", "rbd");
    ASSERT_DISPO(p, "ceph");
    caps[0] = "ceph";
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_ceph");
    caps[0] = NULL;
    params_free(p);

    p = base_case("migrate_gluster");
    ASSERT_DISPO(p, "gluster");
    caps[0] = "gluster";
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_gluster");
    caps[0] = NULL;
    params_free(p);

    p = base_case("migration_with_vhostuser");
    ASSERT_DISPO(p, "vhost_user");
    params_free(p);

    p = base_case("migrate_with_panic_device");
    ASSERT_DISPO(p, "guest_pvpanic");
    caps[0] = "guest_pvpanic";
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_with_panic_device: the panic device");
    caps[0] = NULL;
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lv_types");
    TCase *tc = tcase_create("lv_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_after_hotplug);
    tcase_add_test(tc, test_balloon);
    tcase_add_test(tc, test_memory_allocation);
    tcase_add_test(tc, test_unbuilt_known);
    tcase_add_test(tc, test_unbuilt_needs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
