/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate_bandwidth, migration_with_backingchain and migrate_storage without VMs: each
 * case's disposition as the composition writes it (RUN, CANCEL kvm for an action the
 * TCG lab's migration outruns, ERROR naming what is not built), the declared params'
 * defaults, and exp_migrate_speed's reading.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_stor.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *one_vm(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    return p;
}

/* ---- migrate_bandwidth ------------------------------------------------------------ */

/* migrate_bandwidth.postcopy.postcopy_bandwidth_opt.p2p_migration */
static struct params *mbw_case(void)
{
    struct params *p = one_vm("migrate_bandwidth");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--postcopy-bandwidth 5");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "stress_package", "stress");
    params_set(p, "diff_rate", "0.5");
    params_set(p, "exp_migrate_speed",
               "{'precopy_speed': '8796093022207', 'postcopy_speed': '5'}");
    return p;
}

START_TEST(test_migrate_bandwidth_unthrottled_postcopy_needs_kvm)
{
    struct params *p = mbw_case();
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_bandwidth_postcopy_phase_needs_kvm)
{
    struct params *p = mbw_case();
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "set_postcopy_in_postcopy_phase", "6");
    ASSERT_DISPO(p, "kvm");
    params_free(p);
}

END_TEST

START_TEST(test_migrate_bandwidth_throttled_precopy_runs)
{
    struct params *p = mbw_case();
    params_set(p, "virsh_migrate_extra", "--postcopy-bandwidth 10 --bandwidth 5");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "set_precopy_speed_before_mig", "10");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

/* precopy.default: check_bandwidth does nothing time-bound */
START_TEST(test_migrate_bandwidth_precopy_default_runs)
{
    struct params *p = mbw_case();
    params_set(p, "virsh_migrate_options", "--live --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "postcopy_options", "");
    params_set(p, "migrate_postcopy_cmd", "no");
    params_del(p, "stress_package");
    params_set(p, "libvirtd_conf_dict",
               "{\"log_level\": \"1\", \"log_outputs\": \"\\\"1:file:/var/log/x.log\\\"\"}");
    params_set(p, "check_str_local_log", "migrate-set-parameters.*\"max-bandwidth\":1");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_bandwidth_unbuilt_setups_are_errors)
{
    struct params *p = mbw_case();
    caps[0] = "kvm";
    params_set(p, "libvirtd_conf_dict", "{'max_clients': '10'}");
    ASSERT_DISPO(p, "ERROR: libvirtd_conf_dict");
    params_del(p, "libvirtd_conf_dict");
    params_set(p, "virsh_options", "-k 5");
    ASSERT_DISPO(p, "ERROR: virsh_options");
    params_del(p, "virsh_options");
    params_set(p, "exp_migrate_speed", "['5']");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_bandwidth_param_defaults)
{
    struct params *p = mbw_case();
    struct strbuf out = STRBUF_INIT;
    ck_assert_msg(ts_type_params(p, &out) == 0, "%s", err_msg());
    ck_assert_ptr_nonnull(strstr(out.buf, "migrate_postcopy_cmd = yes"));
    ck_assert_ptr_nonnull(strstr(out.buf, "stress_args = --cpu 4 --io 4 --vm 2 --vm-bytes 256M"));
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_exp_migrate_speed_reading)
{
    struct run_stor_speeds s;
    ck_assert_int_eq(run_stor_speeds_read("{'precopy_speed': '5', 'postcopy_speed': '0'}",
                                          &s), 0);
    ck_assert_str_eq(s.pre, "5");
    /* '0' is a non-empty string: Python compares it */
    ck_assert_str_eq(s.post, "0");
    run_stor_speeds_release(&s);
    ck_assert_int_eq(run_stor_speeds_read("{'precopy_speed': 30}", &s), 0);
    ck_assert_str_eq(s.pre, "30");
    ck_assert_ptr_null(s.post);
    run_stor_speeds_release(&s);
    ck_assert_int_eq(run_stor_speeds_read("{'postcopy_speed': ''}", &s), 0);
    ck_assert_ptr_null(s.post);
    run_stor_speeds_release(&s);
    ck_assert_int_eq(run_stor_speeds_read(NULL, &s), 0);
    ck_assert_ptr_null(s.pre);
    ck_assert_int_eq(run_stor_speeds_read("{'precopy_speed': [1]}", &s), -1);
    ck_assert_int_eq(run_stor_speeds_read("{'precopy_speed'", &s), -1);
}
END_TEST

/* ---- migration_with_backingchain -------------------------------------------------- */

#define DICT(dev, file)                                                                 \
    "{\"type_name\":\"file\", \"driver\": {\"name\": \"qemu\", \"type\":\"qcow2\"}, "    \
    "\"target\":{\"dev\": \"" dev "\", \"bus\": \"virtio\"}, 'source': {'attrs': "        \
    "{'file': '" file "'}}}"
#define IMG "/var/lib/avocado/data/avocado-vt/images/"

static struct params *bc_case(bool chain)
{
    struct params *p = one_vm("migration_with_backingchain");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "--copy-storage-all");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "start_vm", "no");
    params_set(p, "target_pool_name", "migration_pool");
    params_set(p, "target_pool_target", IMG);
    if (chain) {
        params_set(p, "test_case", "with_backing_chain");
        params_set(p, "top_img", IMG "top-disk.img");
        params_set(p, "base1_img", IMG "base1-disk.img");
        params_set(p, "top1_img", IMG "top1-disk.img");
        params_set(p, "base2_img", IMG "base2-disk.img");
        params_set(p, "top2_img", IMG "top2-disk.img");
        params_set(p, "disk1_dict", DICT("vda", IMG "top-disk.img"));
        params_set(p, "disk2_dict", DICT("vdb", IMG "top1-disk.img"));
        params_set(p, "disk3_dict", DICT("vdc", IMG "top2-disk.img"));
    } else {
        params_set(p, "test_case", "without_backing_chain");
        params_set(p, "mig_disk1", IMG "mig-disk1.img");
        params_set(p, "mig_disk2", IMG "mig-disk2.img");
        params_set(p, "disk1_dict", DICT("vdb", IMG "mig-disk1.img"));
        params_set(p, "disk2_dict", DICT("vdc", IMG "mig-disk2.img"));
    }
    return p;
}

START_TEST(test_backingchain_cases_run)
{
    for (int chain = 0; chain < 2; chain++) {
        struct params *p = bc_case(chain);
        ASSERT_DISPO(p, "RUN");
        params_set(p, "virsh_migrate_extra", "--copy-storage-inc");
        ASSERT_DISPO(p, "RUN");
        params_free(p);
    }
}
END_TEST

START_TEST(test_backingchain_bad_params_are_errors)
{
    struct params *p = bc_case(true);
    params_set(p, "virsh_migrate_extra", "");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "virsh_migrate_extra", "--copy-storage-all");
    params_set(p, "top1_img", "top1-disk.img");
    ASSERT_DISPO(p, "ERROR");
    params_set(p, "top1_img", IMG "top1-disk.img");
    params_del(p, "disk3_dict");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
    p = bc_case(false);
    params_set(p, "test_case", "with_other_chain");
    ASSERT_DISPO(p, "ERROR");
    params_free(p);
    /* a drive name goes into the guest's shell line: names only */
    p = bc_case(true);
    params_set(p, "disk_target2", "vdc; reboot");
    ASSERT_DISPO(p, "ERROR: disk_target2 = 'vdc; reboot': expected a guest disk name");
    params_free(p);
}
END_TEST

START_TEST(test_backingchain_unbuilt_transport_is_error)
{
    struct params *p = bc_case(false);
    params_set(p, "migrate_desturi_type", "tls");
    ASSERT_DISPO(p, "ERROR: migrate_desturi_type");
    params_free(p);
}
END_TEST

/* ---- migrate_storage -------------------------------------------------------------- */

static struct params *ms_case(void)
{
    struct params *p = one_vm("migrate_storage");
    params_set(p, "copy_storage_option", "--copy-storage-inc");
    params_set(p, "backingfile_type", "nfs");
    params_set(p, "precreation", "yes");
    params_set(p, "check_network_accessibility_after_mig", "yes");
    return p;
}

START_TEST(test_migrate_storage_nfs_backing_runs)
{
    struct params *p = ms_case();
    ASSERT_DISPO(p, "RUN");
    params_set(p, "virsh_migrate_extra", "--copy-storage-synchronous-writes");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_storage_tls_normal_runs)
{
    struct params *p = ms_case();
    params_set(p, "copy_storage_option", "--copy-storage-all");
    params_del(p, "backingfile_type");
    params_set(p, "virsh_migrate_extra", "--tls");
    params_set(p, "qemu_tls", "yes");
    params_set(p, "custom_pki_path", "/etc/pki/qemu");
    ASSERT_DISPO(p, "RUN");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_storage_unbuilt_setups_are_errors)
{
    struct params *p = ms_case();
    params_set(p, "cancel_migration", "yes");
    ASSERT_DISPO(p, "ERROR: cancel_migration");
    params_del(p, "cancel_migration");
    /* built: the server certificate made for that address */
    params_set(p, "server_info_ip", "192.168.10.123");
    ASSERT_DISPO(p, "RUN");
    params_del(p, "server_info_ip");
    params_set(p, "backingfile_type", "iscsi_lun");
    ASSERT_DISPO(p, "ERROR: backingfile_type");
    params_free(p);
}
END_TEST

START_TEST(test_migrate_storage_disks_port_check_needs_kvm)
{
    struct params *p = ms_case();
    params_set(p, "copy_storage_option", "--copy-storage-all");
    params_del(p, "backingfile_type");
    params_set(p, "check_disks_port", "yes");
    params_set(p, "port_to_check", "49158");
    params_set(p, "virsh_migrate_extra", "--disks-port 49158");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "RUN");
    /* what is not built is said first, whatever the hosts */
    params_set(p, "cancel_migration", "yes");
    ASSERT_DISPO(p, "ERROR: cancel_migration");
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stor_types");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_migrate_bandwidth_unthrottled_postcopy_needs_kvm);
    tcase_add_test(tc, test_migrate_bandwidth_postcopy_phase_needs_kvm);
    tcase_add_test(tc, test_migrate_bandwidth_throttled_precopy_runs);
    tcase_add_test(tc, test_migrate_bandwidth_precopy_default_runs);
    tcase_add_test(tc, test_migrate_bandwidth_unbuilt_setups_are_errors);
    tcase_add_test(tc, test_migrate_bandwidth_param_defaults);
    tcase_add_test(tc, test_exp_migrate_speed_reading);
    tcase_add_test(tc, test_backingchain_cases_run);
    tcase_add_test(tc, test_backingchain_bad_params_are_errors);
    tcase_add_test(tc, test_backingchain_unbuilt_transport_is_error);
    tcase_add_test(tc, test_migrate_storage_nfs_backing_runs);
    tcase_add_test(tc, test_migrate_storage_tls_normal_runs);
    tcase_add_test(tc, test_migrate_storage_unbuilt_setups_are_errors);
    tcase_add_test(tc, test_migrate_storage_disks_port_check_needs_kvm);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
