/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tp-qemu (and a few tp-libvirt) types of the composition without VMs
 * (runner/type_qemu_*.c, runner/type_lv_stress.c): each case's disposition as the
 * composition writes it, the need a CANCEL names, and the declared params of the
 * types that RUN.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *qcase(const char *type, const char *vms)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", vms);
    if (*vms)
        params_set(p, "main_vm", vms);
    return p;
}

/* Every case of a type CANCELs naming `need`; a tp-qemu type's also without VMs (some
 * cases set `vms =` empty). */
static void assert_cancels(const char *type, const char *need)
{
    struct params *p = qcase(type, "avocado-vt-vm1");
    ASSERT_DISPO(p, need);
    if (run_type_lookup(type)->needs.vms) {
        params_free(p);
        return;
    }
    params_set(p, "vms", "");
    params_set(p, "main_vm", "");
    ASSERT_DISPO(p, need);
    params_free(p);
}

static const struct {
    const char *type, *need;
} cancels[] = {
    { "kdump", "guest_kdump" },
    { "kdump_with_stress", "guest_kdump" },
    { "dd_test", "qemu_vm" },
    { "lvm", "qemu_vm" },
    { "linux_stress", "guest_stress_build" },
    { "fillup_disk", "guest_root_on_image" },
    { "ioquit", "qemu_vm" },
    { "iofuzz", "qemu_vm" },
    { "linux_s3", "reference_module" },
    { "guest_test", "guest_networkmanager" },
    { "autotest_regression", "autotest_server" },
    { "os_update", "guest_package_manager" },
    { "trans_hugepage", "host_thp" },
    { "trans_hugepage_swapping", "host_thp" },
    { "trans_hugepage_relocated", "host_thp" },
    { "trans_hugepage_memory_stress", "host_thp" },
    { "trans_hugepage_defrag", "host_thp" },
    { "ksm_services", "host_ksmtuned" },
    { "nfs_corrupt", "host_nfs_server" },
    { "pxe_boot", "pxe_server" },
    { "pxe_query_cpus", "pxe_server" },
    { "image_copy", "guest_image_asset" },
    { "disk_io_load", "guest_package_manager" },
    { "qemu_binary_change", "host_qemu_kvm_binary" },
};

START_TEST(test_cancelled_types)
{
    for (size_t i = 0; i < sizeof(cancels) / sizeof(cancels[0]); i++) {
        ck_assert_ptr_nonnull(run_type_lookup(cancels[i].type));
        assert_cancels(cancels[i].type, cancels[i].need);
    }
}
END_TEST

/* mem_load: kvm first (the lab's TCG guests); on KVM hosts an ERROR naming it. */
START_TEST(test_mem_load)
{
    struct params *p = qcase("mem_load", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_desturi", "qemu+tcp://192.168.127.3/system");
    params_set(p, "stress_package", "stress");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "ERROR: mem_load");
    params_free(p);
}
END_TEST

/* stress_boot: CANCEL with no more CPUs here than max_vms, as the reference; else RUN
 * (max_vms guests of the case's VM). */
START_TEST(test_stress_boot)
{
    char more[32];
    struct strbuf out = STRBUF_INIT;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct params *p = qcase("stress_boot", "avocado-vt-vm1");
    params_set(p, "start_vm", "no");
    params_set(p, "alive_test_cmd", "uname -a");
    snprintf(more, sizeof(more), "%ld", cpus);
    params_set(p, "max_vms", more);
    ASSERT_DISPO(p, "host_cpus");
    snprintf(more, sizeof(more), "%ld", cpus > 1 ? cpus - 1 : 1);
    params_set(p, "max_vms", more);
    if (cpus > 1)
        ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "alive_test_cmd = uname -a"));
    params_set(p, "max_vms", "0");
    ASSERT_DISPO(p, "ERROR: param max_vms");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_vmlife_runs)
{
    struct strbuf out = STRBUF_INIT;
    struct params *p = qcase("remove_guest", "avocado-vt-vm1");
    params_set(p, "start_vm", "no");
    params_set(p, "force_remove_vm", "yes");
    params_set(p, "remove_image", "yes");
    ASSERT_DISPO(p, "RUN");
    params_free(p);

    /* the composition's module_probe has no VM and no module_list */
    p = qcase("module_probe", "");
    ASSERT_DISPO(p, "RUN");
    params_set(p, "module_list", "kvm kvm_intel");
    ASSERT_DISPO(p, "host_kernel_modules");
    params_free(p);

    p = qcase("downgrade_qcow2_version", "avocado-vt-vm1");
    params_set(p, "start_vm", "no");
    params_set(p, "qemu_img_binary", "/usr/bin/qemu-img");
    ASSERT_DISPO(p, "RUN");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "lower_version_qcow2 = 0.10"));
    ck_assert_ptr_nonnull(strstr(out.buf, "qemu_img_binary = /usr/bin/qemu-img"));
    params_set(p, "main_vm", "vm9");
    ASSERT_DISPO(p, "ERROR: ");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemu_types");
    TCase *tc = tcase_create("dispositions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cancelled_types);
    tcase_add_test(tc, test_mem_load);
    tcase_add_test(tc, test_stress_boot);
    tcase_add_test(tc, test_vmlife_runs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
