/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner/type_migrate_vm_stor.c's setups of tp-libvirt's migrate_vm, without VMs: the
 * dispositions of create_target_image (pool or image pre-created on the destination)
 * and enable_stress_test with stress_on_host (RUN), the memhog and netperf cases
 * (CANCEL naming what they install), and what stays unbuilt (ERROR naming it).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "runner/run_needs.h"
#include "runner/type_migrate_vm.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

static struct params *basic(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_vm");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_options", "--live --verbose");
    params_set(p, "postcopy_options", "");
    params_set(p, "server_ip", "192.168.124.3");
    params_set(p, "run_migrate_cmd_in_front", "yes");
    params_set(p, "migration_timeout", "600");
    return p;
}

/* live_storage_migration's shape: the guest's disk private, a pool named */
static struct params *storage(const char *options)
{
    struct params *p = basic();
    params_set(p, "virsh_options", options);
    params_set(p, "nfs_mount_dir", "");
    params_set(p, "setup_nfs", "no");
    params_set(p, "target_pool_name", "precreation_pool");
    params_set(p, "target_pool_type", "dir");
    params_set(p, "create_target_image", "yes");
    return p;
}

static void assert_error(struct params *p, const char *text)
{
    char *got = ts_dispo(p, &F);
    ck_assert_msg(!strncmp(got, "ERROR", 5) && strstr(got, text), "want ERROR '%s', got "
                  "'%s'", text, got);
    free(got);
}

START_TEST(test_create_target_image_cases_run)
{
    /* basic, writethrough_driver_cache: the pool */
    struct params *p = storage("--live --verbose --copy-storage-all");
    ck_assert(mvm_stor_built(p));
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "disk_driver_cache", "writethrough");
    TS_ASSERT_DISPO(p, &F, "RUN");
    /* simple, qcow2_to_raw, copy_img_to_target: the image, expected errors */
    params_set(p, "no_create_pool", "yes");
    params_set(p, "target_image_format", "raw");
    params_set(p, "status_error", "yes");
    TS_ASSERT_DISPO(p, &F, "RUN");
    /* mutually_exclusive_options: virsh refuses the words, the case expects it */
    params_set(p, "virsh_options", "--live --persistent --verbose --copy-storage-all "
                                   "--copy-storage-inc");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_create_target_image_unbuilt)
{
    /* cancel_migration: in the background */
    struct params *p = storage("--live --verbose --persistent --copy-storage-all");
    params_set(p, "run_migrate_cmd_in_back", "yes");
    ck_assert(!mvm_stor_built(p));
    assert_error(p, "create_target_image = 'yes'");
    params_free(p);
    /* the disk on shared storage: the destination's image would be the source's */
    p = storage("--live --verbose --copy-storage-all");
    params_set(p, "nfs_mount_dir", "/var/lib/libvirt/migrate");
    assert_error(p, "create_target_image = 'yes'");
    params_free(p);
    /* create_neither_target_pool_nor_image with storage copied: still not built */
    p = storage("--live --verbose --copy-storage-all");
    params_set(p, "create_target_image", "no");
    assert_error(p, "create_target_image = 'no'");
    params_free(p);
}
END_TEST

START_TEST(test_stress_cases)
{
    struct params *p = basic();
    params_set(p, "enable_stress_test", "yes");
    params_set(p, "stress_type", "stress_on_host");
    params_set(p, "stress_args", "--cpu 8 --timeout 1000s");
    ck_assert(mvm_stress_built(p));
    TS_ASSERT_DISPO(p, &F, "RUN");
    /* iozone in the guest: it installs packages there */
    params_set(p, "stress_type", "iozone_in_vms");
    TS_ASSERT_DISPO(p, &F, "guest_yum");
    /* another load on the host: not built */
    params_set(p, "stress_type", "netperf_on_host");
    assert_error(p, "enable_stress_test = 'yes'");
    params_free(p);

    /* memhog_memory_without_swap: yum in the guest */
    p = basic();
    params_set(p, "enable_stress_test", "yes");
    params_set(p, "stress_args", "--cpu 4");
    params_set(p, "no_swap", "yes");
    params_set(p, "memhog_install_pkg", "yum install -y numactl");
    TS_ASSERT_DISPO(p, &F, "guest_yum");
    params_free(p);

    /* netperf_network: netperf on the hosts; granted, still not built */
    p = basic();
    params_set(p, "enable_stress_test", "yes");
    params_set(p, "stress_args", "--cpu 4");
    params_set(p, "netperf_network", "yes");
    TS_ASSERT_DISPO(p, &F, "netperf");
    caps[0] = "netperf";
    assert_error(p, "'yes'");
    params_free(p);
}
END_TEST

START_TEST(test_watchdog_and_remote_daemon)
{
    struct params *p = basic();
    params_set(p, "watchdog_model", "ib700");
    TS_ASSERT_DISPO(p, &F, "guest_watchdog_module");
    params_set(p, "watchdog_model", "i6300esb");
    TS_ASSERT_DISPO(p, &F, "guest_watchdog_module");
    params_set(p, "watchdog_model", "");
    params_set(p, "attach_iface_times", "7");
    params_set(p, "attach_iface_options", "--type bridge --source virbr0");
    TS_ASSERT_DISPO(p, &F, "virbr0");
    caps[0] = "virbr0";
    assert_error(p, "attach_iface_times = '7'");
    params_set(p, "attach_iface_times", "0");
    params_set(p, "status_error", "yes");
    params_set(p, "stop_libvirtd_remotely", "yes");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_free(p);
}
END_TEST

/* unprivileged_user: built when adduser_cmd makes su_user */
START_TEST(test_su_user)
{
    struct params *p = basic();
    params_set(p, "status_error", "yes");
    params_set(p, "su_user", "bob");
    params_set(p, "adduser_cmd", "useradd bob");
    params_set(p, "virsh_options", "--live --verbose --xml no_exist_xml");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "adduser_cmd", "useradd -G libvirt bob");
    assert_error(p, "su_user = 'bob'");
    params_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mvm_stor");
    TCase *tc = tcase_create("dispositions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_create_target_image_cases_run);
    tcase_add_test(tc, test_create_target_image_unbuilt);
    tcase_add_test(tc, test_stress_cases);
    tcase_add_test(tc, test_watchdog_and_remote_daemon);
    tcase_add_test(tc, test_su_user);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
