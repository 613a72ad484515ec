/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner/type_migrate_vm without VMs: the migration's words and destination URI as
 * tp-libvirt's migrate_vm.py builds them, its declared params, and the disposition
 * (RUN, CANCEL naming the need, ERROR naming the setup not built) of its scenarios.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_dispo.h"
#include "runner/run_needs.h"
#include "runner/type_migrate_vm.h"

START_TEST(test_words_add_postcopy_once)
{
    char *w = mvm_words("--live --verbose", "--postcopy");
    ck_assert_str_eq(w, "--live --verbose --postcopy");
    free(w);
    w = mvm_words("--live --postcopy --verbose", "--postcopy");
    ck_assert_str_eq(w, "--live --postcopy --verbose");
    free(w);
    w = mvm_words("--live --p2p --verbose", "");
    ck_assert_str_eq(w, "--live --p2p --verbose");
    free(w);
    w = mvm_words(NULL, NULL);
    ck_assert_str_eq(w, "");
    free(w);
}
END_TEST

/* the reference's order: target_ip, else server_cn, else server_ip */
START_TEST(test_desturi_as_the_reference_builds_it)
{
    char *u = mvm_desturi("qemu", "ssh", NULL, NULL, "10.0.0.3", ":22", "/system");
    ck_assert_str_eq(u, "qemu+ssh://10.0.0.3:22/system");
    free(u);
    u = mvm_desturi("qemu", "tls", "", "hostb", "10.0.0.3", ":16514", "/system");
    ck_assert_str_eq(u, "qemu+tls://hostb:16514/system");
    free(u);
    u = mvm_desturi("qemu", "tcp", "11.22.33.44", "hostb", "10.0.0.3", ":16509", "/system");
    ck_assert_str_eq(u, "qemu+tcp://11.22.33.44:16509/system");
    free(u);
    u = mvm_desturi("qemu", "ssh", NULL, NULL, "10.0.0.3", "", "/session");
    ck_assert_str_eq(u, "qemu+ssh://10.0.0.3/session");
    free(u);
}
END_TEST

/* as virsh 9.0 prints `domjobinfo --completed` on the source and the destination */
static const char job_src[] =
    "Job type:         Completed\n"
    "Operation:        Outgoing migration\n"
    "Time elapsed:     9041         ms\n"
    "Time elapsed w/o network: 9038         ms\n"
    "Data processed:   120.512 MiB\n"
    "Memory bandwidth: 15.013 MiB/s\n"
    "Compression cache: 64.000 MiB\n"
    "Expected downtime: 300          ms\n"
    "Total downtime:   142          ms\n";
static const char job_dst[] =
    "Job type:         Completed\n"
    "Operation:        Incoming migration\n"
    "Time elapsed:     9120         ms\n"
    "Time elapsed w/o network: 9100         ms\n"
    "Data processed:   120.512 MiB\n"
    "Memory bandwidth: 15.013 MiB/s\n"
    "Compression cache: 64.000 MiB\n"
    "Total downtime:   142          ms\n";

START_TEST(test_completed_job_info_compared_as_the_reference)
{
    struct strbuf why = STRBUF_INIT;
    ck_assert_int_eq(mvm_jobinfo_compare(job_src, job_dst, &why), 0);
    /* a figure that differs */
    char *dst = xstrdup(job_dst);
    memcpy(strstr(dst, "142"), "143", 3);
    ck_assert_int_eq(mvm_jobinfo_compare(job_src, dst, &why), -1);
    ck_assert_str_eq(why.buf, "The value '142          ms' for 'Total downtime' on source "
                     "host should be equal to the value '143          ms' on target host");
    free(dst);
    /* a field the destination lacks */
    strbuf_reset(&why);
    ck_assert_int_eq(mvm_jobinfo_compare(job_src, "Job type: Completed\n", &why), -1);
    ck_assert_str_eq(why.buf, "The domjobinfo on target host does not has the field: "
                     "'Operation'");
    strbuf_release(&why);
}
END_TEST

static struct run_facts F;
static char *caps[4];

static void setup(void)
{
    run_facts_init(&F);
    memset(caps, 0, sizeof(caps));
    F.capabilities = caps;
    F.libvirt_version = 9000000;
    F.qemu_version = 7002000;
    F.arch = "x86_64";
}

static void teardown(void)
{
    run_facts_release(&F);
}

/* a basic case as the composition writes it, placeholders filled */
static struct params *basic(void)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_vm");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_options", "--live --verbose");
    params_set(p, "postcopy_options", "--postcopy");
    params_set(p, "transport", "ssh");
    params_set(p, "uri_port", ":22");
    params_set(p, "server_ip", "192.168.124.3");
    params_set(p, "client_ip", "192.168.124.2");
    params_set(p, "status_error", "no");
    params_set(p, "remote_boolean_value", "on");
    params_set(p, "run_migrate_cmd_in_front", "yes");
    params_set(p, "migration_timeout", "300");
    return p;
}

static void decide(struct params *p, struct run_dispo *d)
{
    struct run_common c = { 0 };
    void *opts = NULL;
    const struct run_type *t = run_type_lookup("migrate_vm");
    ck_assert_ptr_nonnull(t);
    char *bad = run_common_parse(p, &c) < 0 ? xstrdup(err_msg()) : NULL;
    run_dispo_decide(t, "migrate_vm", p, &c, bad, 2, &F, &opts, d);
    run_type_opts_free(t, opts);
    run_common_release(&c);
    free(bad);
}

#define ASSERT_DISPO(p, want_status, want_text)                                        \
    do {                                                                               \
        struct run_dispo d_;                                                           \
        decide(p, &d_);                                                                \
        ck_assert_msg((int)d_.status == (int)(want_status), "status %d: %s", d_.status,          \
                      d_.reason ? d_.reason : "");                                     \
        const char *w_ = (want_text);                                                  \
        if (w_)                                                                        \
            ck_assert_msg(d_.reason && strstr(d_.reason, w_), "'%s' not in '%s'", w_,  \
                          d_.reason ? d_.reason : "");                                 \
        run_dispo_release(&d_);                                                        \
    } while (0)

/* Each param alone on the basic case: what it makes of it. */
static const struct {
    const char *key, *value;
    int status;
    const char *text;
} one_param[] = {
    /* built */
    { "virsh_options", "--live --p2p --tunnelled --verbose", RUN_PASS, NULL },
    { "virsh_options", "--live --verbose --listen-address 192.168.124.3", RUN_PASS, NULL },
    { "migrate_vm_back", "yes", RUN_PASS, NULL },
    { "pause_vm", "yes", RUN_PASS, NULL },
    { "target_ip", "11.22.33.44", RUN_PASS, NULL },
    { "attach_iface_times", "0", RUN_PASS, NULL },
    { "nfs_mount_dir", "", RUN_PASS, NULL },    /* the disk in the source's images_dir */
    { "run_migrate_cmd_in_back", "no", RUN_PASS, NULL },
    { "run_migrate_cmd_in_back", "yes", RUN_PASS, NULL },
    { "abort_job", "yes", RUN_PASS, NULL },
    { "check_complete_job", "yes", RUN_PASS, NULL },
    { "set_migration_speed", "15", RUN_PASS, NULL },
    { "set_migrate_compcache_size", "640000000", RUN_PASS, NULL },
    { "config_libvirtd", "yes", RUN_PASS, NULL },
    { "set_migration_speed", "0", RUN_ERROR, "set_migration_speed" },
    /* what the hosts lack, or the reference cancels itself */
    { "remote_boolean_value", "off", RUN_CANCEL, "needs selinux" },
    { "os_ver_from", "release 6", RUN_CANCEL, "needs rhel_release" },
    { "diff_cpu_vendor", "yes", RUN_CANCEL, "needs cpu_vendor" },
    { "target_vm_name", "avocado-vt-remote-vm1", RUN_CANCEL, "needs remote_guest" },
    { "client_ifname", "ENTER.YOUR.CLIENT_NETWORK_INTERFACE_NAME", RUN_CANCEL,
      "needs placeholder: param client_ifname" },
    { "setup_hugepages", "yes", RUN_CANCEL, "needs hugepages" },
    { "iscsi_setup", "yes", RUN_CANCEL, "needs iscsi" },
    { "virsh_options", "--live --verbose --migrateuri rdma://192.168.124.3", RUN_CANCEL,
      "needs rdma" },
    /* not built yet: ERROR naming the param */
    { "create_target_image", "yes", RUN_ERROR,
      "create_target_image = 'yes': vtrun does not build this setup of tp-libvirt's "
      "migrate_vm yet" },
    { "run_migrate_cmd_in_front", "no", RUN_ERROR, "run_migrate_cmd_in_front = 'no'" },
    { "ctrl_c", "yes", RUN_PASS, NULL },       /* test_mvm_setups.c */
    { "restart_src_libvirtd", "yes", RUN_PASS, NULL },     /* test_mvm_setups.c */
    { "host_uuid", "'00000000-0000-0000-0000-000000000001'", RUN_ERROR, "host_uuid" },
    /* built since test_mvm_setups.c: cpu_model_name, cdrom/floppy_device_type */
    { "pass_through_cdrom", "yes", RUN_ERROR, "pass_through_cdrom = 'yes'" },
    { "stop_libvirtd_remotely", "yes", RUN_PASS, NULL },   /* type_migrate_vm_stor.c */
    { "enable_stress_test", "yes", RUN_ERROR, "enable_stress_test = 'yes'" },
    { "migrate_disks", "yes", RUN_ERROR, "migrate_disks = 'yes'" },
    /* a bad value: ERROR naming the param */
    { "migration_timeout", "0", RUN_ERROR, "migration_timeout" },
    { "status_error", "maybe", RUN_ERROR, "status_error" },
    { "virsh_options", "--live --bogus-word", RUN_ERROR, "virsh_options" },
    { "err_msg", "error: (unclosed", RUN_ERROR, "err_msg" },
};

START_TEST(test_one_param_each)
{
    struct params *p = basic();
    ASSERT_DISPO(p, RUN_PASS, NULL);
    params_free(p);
    p = basic();
    params_set(p, one_param[_i].key, one_param[_i].value);
    ASSERT_DISPO(p, one_param[_i].status, one_param[_i].text);
    params_free(p);
}
END_TEST

/* A need of the hosts decides before a setup vtrun does not build. */
START_TEST(test_cancel_before_not_built)
{
    struct params *p = basic();
    params_set(p, "os_ver_from", "release 6");
    params_set(p, "pass_through_cdrom", "yes");
    params_set(p, "cdrom_device_type", "cdrom");
    ASSERT_DISPO(p, RUN_CANCEL, "needs rhel_release");
    params_free(p);

    p = basic();
    params_set(p, "setup_hugepages", "yes");
    params_set(p, "mb_enable", "yes");
    ASSERT_DISPO(p, RUN_CANCEL, "needs hugepages");
    params_free(p);
}
END_TEST

START_TEST(test_unbuilt_param_order)
{
    struct params *p = basic();
    const char *v = NULL;
    ck_assert_ptr_null(mvm_unbuilt_param(p, &v));
    params_set(p, "cpu_set", "yes");
    params_set(p, "run_migrate_cmd_in_front", "no");
    ck_assert_str_eq(mvm_unbuilt_param(p, &v), "run_migrate_cmd_in_front");
    params_set(p, "run_migrate_cmd_in_front", "yes");
    params_set(p, "virsh_options", "--live --verbose --copy-storage-all");
    params_set(p, "create_target_image", "no");
    ck_assert_str_eq(mvm_unbuilt_param(p, &v), "create_target_image");
    params_set(p, "virsh_options", "--live --verbose");
    ck_assert_str_eq(mvm_unbuilt_param(p, &v), "cpu_set");
    params_set(p, "run_migrate_cmd_in_front", "no");
    /* in the background: built */
    params_set(p, "run_migrate_cmd_in_back", "yes");
    ck_assert_str_eq(mvm_unbuilt_param(p, &v), "cpu_set");
    ck_assert_str_eq(v, "yes");
    params_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("migrate_vm");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_words_add_postcopy_once);
    tcase_add_test(tc, test_desturi_as_the_reference_builds_it);
    tcase_add_test(tc, test_unbuilt_param_order);
    tcase_add_test(tc, test_completed_job_info_compared_as_the_reference);
    suite_add_tcase(s, tc);
    tc = tcase_create("dispositions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_one_param_each, 0,
                        (int)(sizeof(one_param) / sizeof(one_param[0])));
    tcase_add_test(tc, test_cancel_before_not_built);
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
