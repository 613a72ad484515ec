/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key of a saved guest (virt/virt_saved.c): the same for every case that runs the
 * same guest (names, disk overlays, console files and forward ports differ per case),
 * another one as soon as what the guest is changes (its command line, memory, a MAC)
 * or one of its files does (a kernel with another mtime).  Real files, the libvirt
 * driver's real rendering; no host (link NULL: this machine).
 */
#include "virt/virt.h"
#include "lib/err.h"
#include "tests/support.h"

#include <check.h>
#include <string.h>
#include <sys/time.h>

static char *dir, *kernel, *initrd, *master;

static void setup(void)
{
    dir = ts_tmpdir("saved");
    kernel = xasprintf("%s/vmlinuz", dir);
    initrd = xasprintf("%s/initrd", dir);
    master = xasprintf("%s/base.qcow2", dir);
    ts_write(kernel, "kernel");
    ts_write(initrd, "initrd");
    ts_write(master, "master");
}

static void teardown(void)
{
    ts_rmtree(dir);
    free(dir);
    free(kernel);
    free(initrd);
    free(master);
}

static struct be_disk disk;
static struct be_nic nic;

static struct be_vm_spec spec(const char *name, const char *overlay)
{
    disk = (struct be_disk){ .path = (char *)overlay };
    nic = (struct be_nic){ .mode = "bridge", .bridge = "vtbr0", .mac = "52:54:00:12:34:56" };
    return (struct be_vm_spec){
        .name = (char *)name, .mem_mib = 128, .smp = 1, .accel = "tcg",
        .kernel = kernel, .initrd = initrd, .cmdline = "console=ttyS0 vtrun.ip=10.0.0.30",
        .console_log = "/res/case1/serial.log", .disks = &disk, .ndisks = 1,
        .nics = &nic, .nnics = 1,
    };
}

static char *key(const struct be_vm_spec *s)
{
    const char *masters[] = { master };
    char *k = virt_saved_key(&be_libvirt_ops, s, masters, NULL, NULL);
    ck_assert_msg(k != NULL, "%s", err_msg());
    ck_assert_uint_eq(strlen(k), 32);
    return k;
}

START_TEST(test_the_same_guest_in_another_case_has_the_same_key)
{
    struct be_vm_spec a = spec("vm1-abc1234-0", "/img/vm1-abc1234-0.qcow2");
    char *ka = key(&a);
    struct be_vm_spec b = spec("vm1-def5678-1", "/img/vm1-def5678-1.qcow2");
    b.console_log = "/res/case2/serial.log";
    char *kb = key(&b);
    ck_assert_str_eq(ka, kb);
    char *entry = virt_saved_entry("/shared/base.qcow2", ka);
    char *want = xasprintf("/shared/" VIRT_SAVED_DIR "/%s", ka);
    ck_assert_str_eq(entry, want);
    free(want);
    free(entry);
    free(ka);
    free(kb);
}
END_TEST

START_TEST(test_what_defines_the_guest_changes_the_key)
{
    struct be_vm_spec a = spec("vm1", "/img/o.qcow2");
    char *k0 = key(&a);
    struct be_vm_spec b = spec("vm1", "/img/o.qcow2");
    b.cmdline = "console=ttyS0 vtrun.ip=10.0.0.31";     /* another address */
    char *k1 = key(&b);
    struct be_vm_spec c = spec("vm1", "/img/o.qcow2");
    c.mem_mib = 256;
    char *k2 = key(&c);
    struct be_vm_spec d = spec("vm1", "/img/o.qcow2");
    d.nics[0].mac = "52:54:00:12:34:57";
    char *k3 = key(&d);
    ck_assert_str_ne(k0, k1);
    ck_assert_str_ne(k0, k2);
    ck_assert_str_ne(k0, k3);
    free(k0);
    free(k1);
    free(k2);
    free(k3);
}
END_TEST

START_TEST(test_a_kernel_file_with_another_mtime_changes_the_key)
{
    struct be_vm_spec a = spec("vm1", "/img/o.qcow2");
    char *k0 = key(&a);
    struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
    ck_assert_int_eq(utimes(kernel, tv), 0);
    char *k1 = key(&a);
    ck_assert_str_ne(k0, k1);
    ck_assert_int_eq(utimes(master, tv), 0);
    char *k2 = key(&a);
    ck_assert_str_ne(k1, k2);
    free(k0);
    free(k1);
    free(k2);
}
END_TEST

START_TEST(test_a_missing_kernel_is_an_error_naming_it)
{
    struct be_vm_spec a = spec("vm1", "/img/o.qcow2");
    a.kernel = "/nonexistent/vmlinuz";
    const char *masters[] = { master };
    ck_assert_ptr_null(virt_saved_key(&be_libvirt_ops, &a, masters, NULL, NULL));
    ck_assert_msg(strstr(err_msg(), "/nonexistent/vmlinuz"), "%s", err_msg());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_saved");
    TCase *tc = tcase_create("key");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_the_same_guest_in_another_case_has_the_same_key);
    tcase_add_test(tc, test_what_defines_the_guest_changes_the_key);
    tcase_add_test(tc, test_a_kernel_file_with_another_mtime_changes_the_key);
    tcase_add_test(tc, test_a_missing_kernel_is_an_error_naming_it);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
