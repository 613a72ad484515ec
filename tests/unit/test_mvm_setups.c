/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner/type_migrate_vm's setups built on top of its basic migration, without VMs:
 * the guest XML edits of tp-libvirt's migrate_vm.py (custom_cpu's <cpu>, add_disk_xml's
 * cdrom and floppy), the cpu_feature_dict it evals, and the dispositions of the cases
 * that use them (RUN) next to the setups still not built (ERROR naming the param).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/type_migrate_vm.h"
#include "tests/support.h"

static const char dom_xml[] =
    "<domain type='qemu'><name>vm1</name><memory unit='KiB'>131072</memory>"
    "<vcpu>2</vcpu><os><type>hvm</type></os>"
    "<cpu mode='custom' match='exact' check='none'><model>qemu64</model>"
    "<topology sockets='1' cores='2' threads='1'/></cpu>"
    "<devices><disk type='file' device='disk'><source file='/x.qcow2'/>"
    "<target dev='vda' bus='virtio'/></disk></devices></domain>";

START_TEST(test_feature_dict_as_python_evals_it)
{
    struct mvm_features f;
    ck_assert_int_eq(mvm_feature_dict("{'xsave': 'require'}", &f), 0);
    ck_assert_uint_eq(f.n, 1);
    ck_assert_str_eq(f.name[0], "xsave");
    ck_assert_str_eq(f.policy[0], "require");
    mvm_features_release(&f);
    ck_assert_int_eq(mvm_feature_dict(" { \"a\" : 'disable' , 'b':'force', } ", &f), 0);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_str_eq(f.name[1], "b");
    ck_assert_str_eq(f.policy[0], "disable");
    mvm_features_release(&f);
    ck_assert_int_eq(mvm_feature_dict("{}", &f), 0);
    ck_assert_uint_eq(f.n, 0);
    ck_assert_int_eq(mvm_feature_dict(NULL, &f), 0);
    ck_assert_int_eq(mvm_feature_dict("{'xsave'}", &f), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "cpu_feature_dict"));
    ck_assert_int_eq(mvm_feature_dict("{'a': 'b'} x", &f), -1);
    ck_assert_int_eq(mvm_feature_dict("['a']", &f), -1);
}
END_TEST

START_TEST(test_cpu_replaced_whole)
{
    struct mvm_cpu c = { .mode = "custom", .match = "exact", .model = "Opteron_G5",
                         .fallback = "allow", .vendor = "AuthenticAMD" };
    ck_assert_int_eq(mvm_feature_dict("{'xsave': 'require'}", &c.features), 0);
    char *x = mvm_xml_cpu(dom_xml, &c);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(strstr(x, "<cpu mode=\"custom\" match=\"exact\">"
                                    "<model fallback=\"allow\">Opteron_G5</model>"
                                    "<vendor>AuthenticAMD</vendor>"
                                    "<feature policy=\"require\" name=\"xsave\"/></cpu>"));
    /* VMCPUXML replaces the element: the old model and topology are gone */
    ck_assert_ptr_null(strstr(x, "qemu64"));
    ck_assert_ptr_null(strstr(x, "topology"));
    ck_assert_ptr_null(strstr(x, "check="));
    free(x);
    mvm_features_release(&c.features);

    /* a domain without <cpu> gets one */
    struct mvm_cpu d = { .mode = "custom", .match = "exact", .model = "Penryn",
                         .fallback = "allow", .vendor = "Intel" };
    x = mvm_xml_cpu("<domain><name>v</name></domain>", &d);
    ck_assert_ptr_nonnull(strstr(x, "<model fallback=\"allow\">Penryn</model>"));
    ck_assert_ptr_null(strstr(x, "<feature"));
    free(x);
    ck_assert_ptr_null(mvm_xml_cpu("<domain", &d));
}
END_TEST

START_TEST(test_cdrom_and_floppy_as_add_disk_xml)
{
    char *x = mvm_xml_disk(dom_xml, "cdrom", "/s/virt_cdrom.img", "requisite", "file");
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(strstr(x, "<disk type=\"file\" device=\"cdrom\">"
                                    "<driver name=\"qemu\"/>"
                                    "<source file=\"/s/virt_cdrom.img\" "
                                    "startupPolicy=\"requisite\"/>"
                                    "<target bus=\"scsi\" dev=\"sdb\"/></disk>"));
    char *y = mvm_xml_disk(x, "floppy", "/s/virt_floppy.img", "optional", NULL);
    ck_assert_ptr_nonnull(strstr(y, "<disk type=\"file\" device=\"floppy\">"
                                    "<driver name=\"qemu\" cache=\"none\"/>"
                                    "<source file=\"/s/virt_floppy.img\" "
                                    "startupPolicy=\"optional\"/>"
                                    "<target bus=\"fdc\" dev=\"fda\"/></disk>"));
    ck_assert_ptr_nonnull(strstr(y, "device=\"cdrom\""));     /* both stay */
    free(x);
    free(y);
    /* a block source, no policy */
    x = mvm_xml_disk(dom_xml, "cdrom", "/dev/sr0", "", "block");
    ck_assert_ptr_nonnull(strstr(x, "<source dev=\"/dev/sr0\"/>"));
    free(x);
    /* add_disk_xml cancels other devices */
    ck_assert_ptr_null(mvm_xml_disk(dom_xml, "lun", "/x", NULL, NULL));
    ck_assert_ptr_nonnull(strstr(err_msg(), "Only support 'cdrom' and 'floppy'"));
}
END_TEST


START_TEST(test_cpu_usable_from_domcapabilities)
{
    static const char dcaps[] =
        "<cpu>\n<mode name='custom' supported='yes'>\n"
        "      <model usable='no' vendor='AMD'>Opteron_G5</model>\n"
        "      <model usable='yes' vendor='AMD'>Opteron_G1</model>\n"
        "      <model usable='no' vendor='Intel'>SandyBridge-IBRS</model>\n"
        "      <model usable='yes' vendor='Intel'>SandyBridge</model>\n"
        "</mode>\n</cpu>\n";
    ck_assert_int_eq(mvm_cpu_usable(dcaps, "Opteron_G5"), 0);
    ck_assert_int_eq(mvm_cpu_usable(dcaps, "Opteron_G1"), 1);
    ck_assert_int_eq(mvm_cpu_usable(dcaps, "SandyBridge"), 1);     /* not -IBRS's */
    ck_assert_int_eq(mvm_cpu_usable(dcaps, "Hasswell"), -1);
    char *t = mvm_xml_virt_type(dom_xml);
    ck_assert_str_eq(t, "qemu");
    free(t);
}
END_TEST

START_TEST(test_blkdevio_words_as_the_reference_dict)
{
    struct params *p = params_new();
    params_set(p, "blkdevio_device", "vda");
    ck_assert(!mvm_blkdevio_wanted(p));
    params_set(p, "blkdevio_write_bytes_sec", "1048576");
    ck_assert(mvm_blkdevio_wanted(p));
    char **w = mvm_blkdevio_argv(p, "vm1");
    const char *want[] = { "blkdeviotune", "vm1", "--device", "vda", "--write-bytes-sec",
                           "1048576", NULL };
    for (size_t k = 0; want[k]; k++)
        ck_assert_str_eq(w[k], want[k]);
    ck_assert_ptr_null(w[6]);
    params_strv_free(w);
    /* total_bytes_sec asks for the call, but the reference's dict never passes it */
    params_set(p, "blkdevio_write_bytes_sec", "");
    params_set(p, "blkdevio_total_bytes_sec", "41943040");
    params_set(p, "blkdevio_options", "--live");
    ck_assert(mvm_blkdevio_wanted(p));
    w = mvm_blkdevio_argv(p, "vm1");
    ck_assert_str_eq(w[2], "--live");
    ck_assert_str_eq(w[4], "vda");
    ck_assert_ptr_null(w[5]);
    params_strv_free(w);
    params_free(p);
}
END_TEST

START_TEST(test_qemu_filter_greps)
{
    char **g = mvm_filter_parse("ps auxf | grep qemu-kvm | grep bps[-_]wr.*=1048576");
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(g[0], "qemu-kvm");
    ck_assert_str_eq(g[1], "bps[-_]wr.*=1048576");
    ck_assert_ptr_null(g[2]);
    static const char ps[] =
        "/usr/sbin/libvirtd --timeout 120\n"
        "/usr/bin/qemu-system-x86_64 -name guest=vm1 -blockdev throttle,bps-write=1048576\n"
        "/usr/libexec/qemu-kvm -name guest=vm2 -drive bps_wr=1048576\n"
        "grep bps-wr=1048576\n";
    struct strbuf out = STRBUF_INIT;
    ck_assert_int_eq(mvm_filter_apply(ps, g, &out), 2);
    ck_assert_ptr_null(strstr(out.buf, "libvirtd"));
    ck_assert_ptr_null(strstr(out.buf, "grep bps"));
    strbuf_reset(&out);
    ck_assert_int_eq(mvm_filter_apply("/usr/bin/qemu-system-x86_64 -name vm1\n", g, &out), 0);
    params_strv_free(g);
    strbuf_release(&out);
    ck_assert_ptr_null(mvm_filter_parse("cat /proc/1/cmdline | grep x"));
    ck_assert_ptr_null(mvm_filter_parse("ps auxf | grep -v qemu"));
    ck_assert_ptr_null(mvm_filter_parse("ps auxf | wc -l"));
    ck_assert_ptr_null(mvm_filter_parse("ps auxf"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "target_qemu_filter"));
}
END_TEST

/* ---- dispositions -------------------------------------------------------------- */

static struct run_facts F;
static char *caps[4];

static void setup(void)
{
    ts_lab_facts(&F, caps, 4);
}

static void teardown(void)
{
    run_facts_release(&F);
}

static struct params *basic(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_vm");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_options", "--live --verbose");
    params_set(p, "postcopy_options", "");
    params_set(p, "server_ip", "192.168.124.3");
    params_set(p, "client_ip", "192.168.124.2");
    params_set(p, "run_migrate_cmd_in_front", "yes");
    params_set(p, "migration_timeout", "600");
    return p;
}

/* An ERROR whose reason holds text. */
static void assert_error(struct params *p, const char *text)
{
    char *got = ts_dispo(p, &F);
    ck_assert_msg(!strncmp(got, "ERROR", 5) && strstr(got, text), "want ERROR '%s', got "
                  "'%s'", text, got);
    free(got);
}

/* The cfg's with_cpu_model variants, as the composition writes them. */
START_TEST(test_cpu_model_cases_run)
{
    struct params *p = basic();
    params_set(p, "cpu_mode", "custom");
    params_set(p, "cpu_match", "exact");
    params_set(p, "cpu_model_fallback", "allow");
    params_set(p, "start_filter_string", "not compatible");
    params_set(p, "cpu_vendor", "Intel");
    params_set(p, "cpu_model_name", "SandyBridge");
    params_set(p, "cpu_feature_dict", "{'xsave': 'require'}");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "cpu_model_name", "Hasswell");
    params_set(p, "start_filter_string", "Unknown CPU model");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "cpu_vendor", "AuthenticAMD");
    params_set(p, "cpu_model_name", "Opteron_G1");
    params_set(p, "cpu_feature_dict", "{}");
    TS_ASSERT_DISPO(p, &F, "RUN");
    /* a dict vtrun cannot read is the param's error */
    params_set(p, "cpu_feature_dict", "{'xsave': require}");
    assert_error(p, "cpu_feature_dict");
    params_set(p, "cpu_feature_dict", "{}");
    params_set(p, "start_filter_string", "(unclosed");
    assert_error(p, "start_filter_string");
    params_free(p);
}
END_TEST

START_TEST(test_startup_policy_cases_run)
{
    static const char *const policies[] = { "requisite", "optional", "mandatory" };
    for (size_t k = 0; k < 3; k++) {
        struct params *p = basic();
        params_set(p, "startup_policy", policies[k]);
        params_set(p, "cdrom_device_type", "cdrom");
        params_set(p, "cdrom_image_size", "10M");
        TS_ASSERT_DISPO(p, &F, "RUN");
        params_set(p, "floppy_device_type", "floppy");
        params_set(p, "floppy_image_size", "1.44M");
        TS_ASSERT_DISPO(p, &F, "RUN");
        params_set(p, "cdrom_device_type", "");
        TS_ASSERT_DISPO(p, &F, "RUN");
        params_free(p);
    }
    /* the host's own drive is not built */
    struct params *p = basic();
    params_set(p, "pass_through_cdrom", "yes");
    params_set(p, "cdrom_device_type", "cdrom");
    params_set(p, "cdrom_disk_type", "block");
    assert_error(p, "pass_through_cdrom = 'yes'");
    params_free(p);
}
END_TEST

START_TEST(test_io_throttling_cases_run)
{
    struct params *p = basic();
    params_set(p, "blkdevio_device", "vda");
    params_set(p, "blkdevio_write_bytes_sec", "1048576");
    params_set(p, "target_qemu_filter", "ps auxf | grep qemu-kvm | grep bps[-_]wr.*=1048576");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "target_qemu_filter", "ps auxf | grep qemu-kvm | wc -l");
    assert_error(p, "target_qemu_filter");
    params_free(p);
}
END_TEST

/* negative_testing.live_migration.cancel_migration; the storage ones stay unbuilt */
START_TEST(test_ctrl_c_cases)
{
    struct params *p = basic();
    params_set(p, "status_error", "yes");
    params_set(p, "ctrl_c", "yes");
    params_set(p, "delay_time", "5");
    params_set(p, "set_migration_speed", "1");
    params_set(p, "run_migrate_cmd_in_front", "no");
    params_set(p, "run_migrate_cmd_in_back", "yes");
    params_set(p, "check_domain_state", "yes");
    params_set(p, "expected_domain_state", "running");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "delay_time", "-1");
    assert_error(p, "delay_time");
    params_free(p);

    p = basic();
    params_set(p, "ctrl_c", "yes");
    params_set(p, "create_target_image", "yes");
    params_set(p, "run_migrate_cmd_in_back", "yes");
    params_set(p, "virsh_options", "--live --verbose --persistent --copy-storage-all");
    assert_error(p, "create_target_image = 'yes'");
    params_free(p);

    /* check_domain_state without ctrl_c is still not built */
    p = basic();
    params_set(p, "check_domain_state", "yes");
    assert_error(p, "check_domain_state = 'yes'");
    params_free(p);
}
END_TEST

/* negative_testing.*.restart_local_libvirtd */
START_TEST(test_restart_src_libvirtd_cases)
{
    struct params *p = basic();
    params_set(p, "status_error", "yes");
    params_set(p, "set_migration_speed", "1");
    params_set(p, "run_migrate_cmd_in_front", "no");
    params_set(p, "run_migrate_cmd_in_back", "yes");
    params_set(p, "restart_src_libvirtd", "yes");
    params_set(p, "restart_vm", "yes");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "restart_vm", "");
    params_set(p, "virsh_options",
               "--persistent --undefinesource --live --p2p --tunnelled --verbose");
    TS_ASSERT_DISPO(p, &F, "RUN");
    params_set(p, "restart_vm", "maybe");
    assert_error(p, "restart_vm");
    params_free(p);
}
END_TEST

/* The setups still not built stay an ERROR naming them, with a built one beside. */
static const struct {
    const char *key, *value;
} still_unbuilt[] = {
    { "enable_stress_test", "yes" },
    { "migrate_disks", "yes" },      { "local_disk_image", "/x/virt_iso.img" },
    { "create_target_image", "yes" },
};

START_TEST(test_unbuilt_still_error)
{
    struct params *p = basic();
    params_set(p, "cdrom_device_type", "cdrom");
    params_set(p, "cpu_model_name", "Penryn");
    params_set(p, "cpu_vendor", "Intel");
    params_set(p, still_unbuilt[_i].key, still_unbuilt[_i].value);
    char *want = xasprintf("%s = '%s': vtrun does not build this setup of tp-libvirt's "
                           "migrate_vm yet", still_unbuilt[_i].key, still_unbuilt[_i].value);
    assert_error(p, want);
    free(want);
    params_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mvm_setups");
    TCase *tc = tcase_create("xml");
    tcase_add_test(tc, test_feature_dict_as_python_evals_it);
    tcase_add_test(tc, test_cpu_replaced_whole);
    tcase_add_test(tc, test_cdrom_and_floppy_as_add_disk_xml);
    tcase_add_test(tc, test_cpu_usable_from_domcapabilities);
    tcase_add_test(tc, test_blkdevio_words_as_the_reference_dict);
    tcase_add_test(tc, test_qemu_filter_greps);
    suite_add_tcase(s, tc);
    tc = tcase_create("dispositions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cpu_model_cases_run);
    tcase_add_test(tc, test_startup_policy_cases_run);
    tcase_add_test(tc, test_io_throttling_cases_run);
    tcase_add_test(tc, test_ctrl_c_cases);
    tcase_add_test(tc, test_restart_src_libvirtd_cases);
    tcase_add_loop_test(tc, test_unbuilt_still_error, 0,
                        (int)(sizeof(still_unbuilt) / sizeof(still_unbuilt[0])));
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
