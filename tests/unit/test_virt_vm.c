/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt_vm: VM spec and login from avocado-vt params; vm_accel probe with real QEMU. */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"
#include "tests/support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct params *base(void)
{
    struct params *p = params_new();
    params_set(p, "vms", "vm1 vm2");
    params_set(p, "main_vm", "vm1");
    params_set(p, "mem", "128");
    params_set(p, "smp", "2");
    params_set(p, "vm_accel", "tcg");
    params_set(p, "images", "image1 data");
    params_set(p, "image_name", "images/jeos");
    params_set(p, "images_base_dir", "/var/lib/vt");
    params_set(p, "image_name_data", "/srv/data");
    params_set(p, "image_format_data", "raw");
    params_set(p, "drive_format_data", "scsi-hd");
    params_set(p, "nics", "nic1");
    params_set(p, "nettype", "bridge");
    params_set(p, "netdst", "vtbr0");
    params_set(p, "nic_model", "virtio_net");
    params_set(p, "kernel", "/cache/vmlinuz");
    params_set(p, "initrd", "/cache/initrd");
    params_set(p, "kernel_params", "console=ttyS0");
    params_set(p, "guest_subnet", "192.168.123.0/24");
    params_set(p, "guest_gateway", "192.168.123.1");
    params_set(p, "guest_ip_vm1", "192.168.123.11");
    params_set(p, "guest_ip_vm2", "192.168.123.12");
    params_set(p, "mem_vm2", "256");
    return p;
}

START_TEST(test_spec_from_avocado_vt_params)
{
    struct params *p = base();
    struct be_vm_spec s;
    ck_assert_msg(virt_vm_spec_from_params(p, "vm1", NULL, "/res/t1", NULL, &s) == 0, "%s", err_msg());
    ck_assert_str_eq(s.name, "vm1");
    ck_assert_uint_eq(s.mem_mib, 128);
    ck_assert_uint_eq(s.smp, 2);
    ck_assert_str_eq(s.accel, "tcg");
    ck_assert_str_eq(s.kernel, "/cache/vmlinuz");
    ck_assert_str_eq(s.initrd, "/cache/initrd");
    ck_assert_str_eq(s.cmdline, "console=ttyS0 vtrun.ip=192.168.123.11/24 vtrun.gw=192.168.123.1");
    ck_assert_str_eq(s.console_log, "/res/t1/serial-vm1.log");
    ck_assert_uint_eq(s.ndisks, 2);
    ck_assert_str_eq(s.disks[0].path, "/var/lib/vt/images/jeos.qcow2");
    ck_assert_str_eq(s.disks[0].format, "qcow2");
    ck_assert_str_eq(s.disks[0].bus, "virtio");
    ck_assert_str_eq(s.disks[0].target, "vda");
    ck_assert_str_eq(s.disks[0].cache, "none");
    ck_assert_str_eq(s.disks[1].path, "/srv/data.raw");
    ck_assert_str_eq(s.disks[1].bus, "scsi");
    ck_assert_str_eq(s.disks[1].target, "sda");
    ck_assert_uint_eq(s.nnics, 1);
    ck_assert_str_eq(s.nics[0].mode, "bridge");
    ck_assert_str_eq(s.nics[0].bridge, "vtbr0");
    ck_assert_str_eq(s.nics[0].model, "virtio");
    ck_assert_ptr_null(s.nics[0].mac);
    ck_assert_ptr_null(s.machine);
    be_vm_spec_free(&s);
    ck_assert_ptr_null(s.name);
    be_vm_spec_free(&s);          /* twice is harmless */
    params_free(p);
}
END_TEST

START_TEST(test_per_vm_suffix_overrides)
{
    struct params *p = base();
    struct be_vm_spec s;
    params_set(p, "drive_cache_image1", "writeback");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm2", NULL, NULL, NULL, &s), 0);
    ck_assert_uint_eq(s.mem_mib, 256);
    ck_assert_str_eq(s.disks[0].cache, "writeback");
    ck_assert_ptr_null(s.console_log);
    ck_assert_ptr_nonnull(strstr(s.cmdline, "vtrun.ip=192.168.123.12/24"));
    be_vm_spec_free(&s);
    params_free(p);
}
END_TEST

START_TEST(test_netmask_subnet_and_user_networking)
{
    struct params *p = base();
    struct be_vm_spec s;
    params_set(p, "guest_subnet", "255.255.0.0");
    params_del(p, "kernel_params");
    params_del(p, "guest_gateway");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", NULL, NULL, NULL, &s), 0);
    ck_assert_str_eq(s.cmdline, "vtrun.ip=192.168.123.11/16");
    be_vm_spec_free(&s);
    /* user-mode networking: the guest keeps QEMU's own address (the SSH forward's
     * target), no bridge address */
    params_set(p, "nettype", "user");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", NULL, NULL, NULL, &s), 0);
    ck_assert_ptr_null(s.cmdline);
    ck_assert_str_eq(s.nics[0].mode, "user");
    ck_assert_ptr_null(s.nics[0].bridge);
    be_vm_spec_free(&s);
    params_free(p);
}
END_TEST

START_TEST(test_bad_values_are_create_errors)
{
    struct params *p = base();
    struct be_vm_spec s;
    params_set(p, "mem", "lots");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", NULL, NULL, NULL, &s), -1);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_CREATE);
    ck_assert_ptr_nonnull(strstr(err_msg(), "(vm vm1): mem = 'lots'"));
    ck_assert_ptr_null(s.name);
    params_set(p, "mem", "128");
    params_set(p, "netdst", "");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", NULL, NULL, NULL, &s), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "needs netdst"));
    params_set(p, "netdst", "br0");
    params_set(p, "vm_accel", "xen");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", NULL, NULL, NULL, &s), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "vm_accel"));
    params_free(p);
}
END_TEST

/* avocado-vt's libvirt VM runs the emulator libvirt picks (tp-libvirt's configs say
 * qemu_binary = qemu, which libvirt refuses as <emulator>) unless emulator_path names
 * one; the qemu backend runs qemu_binary. */
START_TEST(test_emulator_is_libvirts_choice_unless_emulator_path)
{
    struct params *p = base();
    struct be_vm_spec s;
    struct virt_vm_derived lv = { .emulator_param = be_libvirt_ops.emulator_param },
                           qemu = { .emulator_param = be_qemu_ops.emulator_param };
    params_set(p, "qemu_binary", "qemu");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", &lv, NULL, NULL, &s), 0);
    ck_assert_ptr_null(s.emulator);
    be_vm_spec_free(&s);
    params_set(p, "emulator_path", "/usr/bin/qemu-system-x86_64");
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", &lv, NULL, NULL, &s), 0);
    ck_assert_str_eq(s.emulator, "/usr/bin/qemu-system-x86_64");
    be_vm_spec_free(&s);
    ck_assert_int_eq(virt_vm_spec_from_params(p, "vm1", &qemu, NULL, NULL, &s), 0);
    ck_assert_str_eq(s.emulator, "qemu");
    be_vm_spec_free(&s);
    params_free(p);
}
END_TEST

static void logger(void *ud, enum virt_log_level lvl, const char *msg)
{
    (void)lvl;
    strbuf_addf(ud, "%s\n", msg);
}

START_TEST(test_accel_auto_probes_once_and_logs_choice)
{
    struct strbuf log = STRBUF_INIT;
    struct virt_ctx ctx = { .log = logger, .log_ud = &log };
    const char *a = virt_accel_resolve("auto", &ctx);
    ck_assert_ptr_nonnull(a);
    ck_assert(!strcmp(a, "kvm") || !strcmp(a, "tcg"));
    ck_assert_ptr_nonnull(strstr(log.buf, "vm_accel auto: using "));
    /* Cached: the second answer is immediate and not logged again. */
    strbuf_reset(&log);
    double t0 = ts_now();
    ck_assert_str_eq(virt_accel_resolve(NULL, &ctx), a);
    ck_assert(ts_now() - t0 < 0.01);
    ck_assert_uint_eq(log.len, 0);
    ck_assert_str_eq(virt_accel_resolve("tcg", &ctx), "tcg");
    strbuf_release(&log);
}
END_TEST

START_TEST(test_accel_probe_guest_reaches_long_mode_under_tcg)
{
    struct strbuf why = STRBUF_INIT;
    ck_assert_msg(virt_accel_probe("tcg", NULL, &why), "%s", why.buf);
    ck_assert_str_eq(why.buf, "tcg probe guest reached long mode");
    strbuf_release(&why);
}
END_TEST

START_TEST(test_login_from_params)
{
    struct params *p = base();
    struct virt_login l;
    params_set(p, "username", "tester");
    params_set(p, "password", "pw");
    params_set(p, "shell_port", "2222");
    params_set(p, "ssh_private_key", "/keys/id");
    ck_assert_int_eq(virt_login_from_params(p, "vm2", NULL, &l), 0);
    ck_assert_str_eq(l.host, "192.168.123.12");
    ck_assert_int_eq(l.port, 2222);
    ck_assert_str_eq(l.user, "tester");
    ck_assert_str_eq(l.password, "pw");
    ck_assert_str_eq(l.key_file, "/keys/id");
    virt_login_free(&l);
    params_del(p, "guest_ip_vm2");
    ck_assert_int_eq(virt_login_from_params(p, "vm2", NULL, &l), -1);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_ADDRESS);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_vm");
    TCase *tc = tcase_create("vm");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_spec_from_avocado_vt_params);
    tcase_add_test(tc, test_per_vm_suffix_overrides);
    tcase_add_test(tc, test_netmask_subnet_and_user_networking);
    tcase_add_test(tc, test_bad_values_are_create_errors);
    tcase_add_test(tc, test_emulator_is_libvirts_choice_unless_emulator_path);
    tcase_add_test(tc, test_accel_auto_probes_once_and_logs_choice);
    tcase_add_test(tc, test_accel_probe_guest_reaches_long_mode_under_tcg);
    tcase_add_test(tc, test_login_from_params);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
