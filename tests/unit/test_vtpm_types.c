/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vTPM migration types (runner/type_vtpm.c: migration_with_vtpm_dev,
 * migration_with_shared_tpm, migration_with_external_tpm,
 * migration_with_vtpm_state_on_block_dev) and migrate_options_shared's vtpm_emulator
 * cases without VMs: each case's disposition on the lab's facts (a CANCEL for the first
 * need the reference has and the lab lacks), then with the capabilities granted one by
 * one (the next need, at last the ERROR naming what vtrun does not build), and the
 * declared params read from a case as the composition writes it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(6)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* Grant needs[] one by one: each is the CANCEL until granted, then err is the ERROR;
 * the capabilities are taken back after. */
static void assert_needs_then(const struct params *p, const char *const *needs,
                              const char *err)
{
    size_t k = 0;
    for (; needs[k]; k++) {
        ASSERT_DISPO(p, needs[k]);
        caps[k] = (char *)needs[k];
    }
    ASSERT_DISPO(p, err);
    memset(caps, 0, sizeof(caps));
}

#define NEEDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define TPM_DICT                                                                         \
    "{'tpm_model': 'tpm-crb', 'backend': {'backend_type': 'emulator', 'backend_version': " \
    "'2.0', 'encryption_secret': '0051c505-1ad0-4d77-9b3e-360c8f5e3b86'}}"

static struct params *vtpm_case(const char *type, const char *options)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", options);
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_desturi", "qemu+ssh://192.168.126.3/system");
    params_set(p, "migrate_desturi_type", "ssh");
    params_set(p, "start_vm", "no");
    params_set(p, "tpm_cmd", "tpm2_getrandom --hex 16");
    params_set(p, "tpm_dict", TPM_DICT);
    return p;
}

START_TEST(test_vtpm_dev)
{
    static const char *const cases[] = { "default", "tunnelled" };
    for (size_t k = 0; k < 2; k++) {
        struct params *p = vtpm_case("migration_with_vtpm_dev", "--live --p2p --verbose");
        params_set(p, "test_case", cases[k]);
        params_set(p, "status_error", "yes");
        params_set(p, "migrate_again", "yes");
        /* check_cpu_for_mig: one CPU on both hosts cancels */
        assert_needs_then(p, NEEDS("different_host_cpus", "selinux", "guest_tpm2_tools"),
                          "ERROR: tp-libvirt's migration_with_vtpm_dev: the vTPM secrets");
        params_free(p);
    }
    /* diff_secret runs on one CPU; no migrate_again: no check in the guest */
    struct params *p = vtpm_case("migration_with_vtpm_dev", "--live --verbose");
    params_set(p, "test_case", "diff_secret_on_src_and_dst");
    params_set(p, "status_error", "yes");
    params_set(p, "migrate_again", "no");
    assert_needs_then(p, NEEDS("selinux"), "ERROR: tp-libvirt's migration_with_vtpm_dev");
    params_free(p);
}
END_TEST

START_TEST(test_shared_tpm)
{
    struct params *p = vtpm_case("migration_with_shared_tpm", "--live --verbose");
    params_set(p, "func_supported_since_libvirt_ver", "(9, 0, 0)");
    params_set(p, "shared_storage_type", "nfs");
    assert_needs_then(p, NEEDS("nfs_swtpm", "selinux", "guest_tpm2_tools"),
                      "ERROR: tp-libvirt's migration_with_shared_tpm: the shared");
    /* ceph: the cluster first, whatever else the hosts have */
    params_set(p, "shared_storage_type", "ceph");
    params_set(p, "mon_host", "EXAMPLE_MON_HOST");
    caps[0] = "nfs_swtpm";
    caps[1] = "selinux";
    caps[2] = "guest_tpm2_tools";
    ASSERT_DISPO(p, "ceph");
    params_free(p);
}
END_TEST

START_TEST(test_external_tpm)
{
    struct params *p = vtpm_case("migration_with_external_tpm", "--live --verbose");
    params_set(p, "func_supported_since_libvirt_ver", "(9, 0, 0)");
    params_set(p, "transient_vm", "yes");
    params_set(p, "statedir", "/var/tmp/mytpm");
    assert_needs_then(p, NEEDS("selinux", "guest_tpm2_tools"),
                      "ERROR: tp-libvirt's migration_with_external_tpm: swtpm started");
    params_free(p);
}
END_TEST

START_TEST(test_state_on_block_dev)
{
    struct params *p = vtpm_case("migration_with_vtpm_state_on_block_dev", "--live --verbose");
    params_set(p, "func_supported_since_libvirt_ver", "(10, 10, 0)");
    params_set(p, "test_case", "auto_create_dir");
    params_set(p, "block_path", "/var/iscsiswtpm");
    /* the test checks libvirt first: the lab's 9.0 cancels before any other need */
    caps[0] = "iscsi";
    caps[1] = "selinux";
    ASSERT_DISPO(p, "libvirt_version");
    F.libvirt_version = 10010000;
    caps[0] = caps[1] = NULL;
    assert_needs_then(p, NEEDS("iscsi", "selinux", "guest_tpm2_tools"),
                      "ERROR: tp-libvirt's migration_with_vtpm_state_on_block_dev");
    params_free(p);
}
END_TEST

/* migrate_options_shared's vtpm_emulator: tpm2-tools installed in the guest first */
START_TEST(test_options_shared_vtpm)
{
    struct params *p = vtpm_case("migrate_options_shared", "--live --verbose");
    params_set(p, "tpm_args", "{\"tpm_model\": \"tpm-crb\", \"backend_type\": \"emulator\", "
               "\"backend_version\": \"2.0\"}");
    params_set(p, "update_tpm_secret", "yes");
    params_set(p, "cmd_in_vm_after_migration", "tpm2_getrandom 10");
    assert_needs_then(p, NEEDS("guest_tpm2_tools"), "ERROR: tpm_args = ");
    /* the negative case sets no command but still installs the tools */
    params_set(p, "cmd_in_vm_after_migration", "");
    params_set(p, "status_error", "yes");
    ASSERT_DISPO(p, "guest_tpm2_tools");
    /* a case with an empty tpm_args is not concerned */
    params_set(p, "tpm_args", "");
    char *d = ts_dispo(p, &F);
    ck_assert_msg(!strstr(d, "guest_tpm2_tools"), "%s", d);
    free(d);
    params_free(p);
}
END_TEST

START_TEST(test_declared_params)
{
    struct strbuf out = STRBUF_INIT;
    struct params *p = vtpm_case("migration_with_shared_tpm", "--live --p2p --verbose");
    params_set(p, "shared_storage_type", "nfs");
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "shared_storage_type = nfs"));
    ck_assert_ptr_nonnull(strstr(out.buf, "tpm_cmd = tpm2_getrandom --hex 16"));
    ck_assert_ptr_nonnull(strstr(out.buf, "virsh_migrate_options = --live --p2p --verbose"));
    ck_assert_ptr_nonnull(strstr(out.buf, "'tpm_model': 'tpm-crb'"));
    /* the capabilities the rows name are ones the settings accept */
    ck_assert(run_needs_capability_known("guest_tpm2_tools"));
    ck_assert(run_needs_capability_known("nfs_swtpm"));
    ck_assert(run_needs_capability_known("different_host_cpus"));
    ck_assert(run_needs_capability_known("selinux"));
    strbuf_release(&out);
    params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vtpm_types");
    TCase *tc = tcase_create("vtpm_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_vtpm_dev);
    tcase_add_test(tc, test_shared_tpm);
    tcase_add_test(tc, test_external_tpm);
    tcase_add_test(tc, test_state_on_block_dev);
    tcase_add_test(tc, test_options_shared_vtpm);
    tcase_add_test(tc, test_declared_params);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
