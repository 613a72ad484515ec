/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pre-migration checks on synthetic host facts (migration/mig.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "backends/be.h"
#include "lib/err.h"
#include "migration/mig.h"

#define MiB (1024ULL * 1024ULL)

static const char *const models[] = { "qemu64", "Haswell", "EPYC", NULL };

static struct mig_pmc_id ids_a[] = { { 'u', "libvirt-qemu", 64055 }, { 'g', "kvm", 993 } };
static struct mig_pmc_id ids_b[] = { { 'u', "libvirt-qemu", 64055 }, { 'g', "kvm", 993 } };
static struct mig_pmc_host src, dst;
static struct mig_pmc_disk disks[2];
static struct mig_pmc_vm vms[2];
static struct mig_pmc_input in;

/* Two identical healthy hosts and two small VMs: every check passes. */
static void setup(void)
{
    struct mig_pmc_host h = {
        .libvirt_version = 9000000, .hypervisor = "QEMU", .hv_version = 7002000,
        .arch = "x86_64", .os_id = "debian", .os_version = "12",
        .kernel_release = "6.1.0-18-amd64", .free_mem_bytes = 4096 * MiB,
        .host_cpu_model = "Skylake-Client", .cpu_models = models,
    };
    src = h;
    src.name = "hostA";
    dst = h;
    dst.name = "hostB";
    ids_b[0].id = 64055;
    ids_b[1].id = 993;
    src.ids = ids_a;
    dst.ids = ids_b;
    src.nids = dst.nids = 2;
    src.ids_known = dst.ids_known = true;
    disks[0] = (struct mig_pmc_disk){ "/var/lib/vtrun/vm1.qcow2", "none", false, 1 };
    disks[1] = (struct mig_pmc_disk){ "/var/lib/vtrun/vm2.qcow2", NULL, false, 1 };
    vms[0] = (struct mig_pmc_vm){ "vm1", NULL, 128 * MiB, &disks[0], 1 };
    vms[1] = (struct mig_pmc_vm){ "vm2", "Haswell", 128 * MiB, &disks[1], 1 };
    in = (struct mig_pmc_input){ &src, &dst, vms, 2, BE_MIG_LIVE };
}

/* The outcome of the check named `name`; its message into *msg (static copy). */
static enum mig_pmc_result result_of(const char *name, char **msg)
{
    struct mig_pmc_outcome *o;
    size_t n = mig_pmc_run(&in, &o);
    enum mig_pmc_result r = MIG_PMC_SUCCESS;
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(o[i].check->name, name)) {
            r = o[i].result;
            if (msg)
                *msg = strdup(o[i].msg);
            found = true;
        }
    mig_pmc_outcomes_free(o, n);
    ck_assert_msg(found, "no check named %s", name);
    return r;
}

static void assert_result(const char *check, enum mig_pmc_result want, const char *needle)
{
    char *msg = NULL;
    enum mig_pmc_result got = result_of(check, &msg);
    ck_assert_msg(got == want, "%s: got %s (%s), want %s", check,
                  mig_pmc_result_name(got), msg, mig_pmc_result_name(want));
    if (needle)
        ck_assert_msg(strstr(msg, needle), "%s: message '%s' lacks '%s'", check, msg, needle);
    free(msg);
}

START_TEST(test_identical_hosts_pass_every_check)
{
    struct mig_pmc_outcome *o;
    size_t n = mig_pmc_run(&in, &o);
    ck_assert_uint_eq(n, 9);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(o[i].result == MIG_PMC_SUCCESS, "%s: %s", o[i].check->name, o[i].msg);
    mig_pmc_outcomes_free(o, n);
}
END_TEST

START_TEST(test_table_has_the_severities_of_the_issue)
{
    static const struct { const char *name; enum mig_pmc_result sev; } want[] = {
        { "libvirt version equal", MIG_PMC_WARNING },
        { "hypervisor type equal", MIG_PMC_FAIL },
        { "host architecture equal", MIG_PMC_FAIL },
        { "destination not older than source", MIG_PMC_FAIL },
        { "guest CPU usable on destination", MIG_PMC_FAIL },
        { "disk cache mode safe", MIG_PMC_WARNING },
        { "images reachable from destination", MIG_PMC_FAIL },
        { "free memory on destination", MIG_PMC_FAIL },
        { "QEMU user and group ids equal", MIG_PMC_FAIL },
    };
    size_t i;
    for (i = 0; mig_pmc_checks[i].name; i++) {
        ck_assert_uint_lt(i, sizeof(want) / sizeof(want[0]));
        ck_assert_str_eq(mig_pmc_checks[i].name, want[i].name);
        ck_assert_int_eq(mig_pmc_checks[i].severity, want[i].sev);
    }
    ck_assert_uint_eq(i, sizeof(want) / sizeof(want[0]));
}
END_TEST

START_TEST(test_ids_equal_pass_naming_them)
{
    assert_result("QEMU user and group ids equal", MIG_PMC_SUCCESS,
                  "libvirt-qemu uid 64055, kvm gid 993: equal on both hosts");
}
END_TEST

START_TEST(test_a_different_gid_fails_naming_both)
{
    ids_b[1].id = 36;
    assert_result("QEMU user and group ids equal", MIG_PMC_FAIL,
                  "kvm gid 993 on hostA, 36 on hostB");
}
END_TEST

START_TEST(test_a_user_on_one_host_only_is_a_warning)
{
    dst.nids = 1;       /* hostB has no kvm group */
    assert_result("QEMU user and group ids equal", MIG_PMC_WARNING,
                  "kvm gid 993 on hostA, none on hostB");
    src.nids = 0;       /* now hostA lacks both */
    dst.nids = 2;
    assert_result("QEMU user and group ids equal", MIG_PMC_WARNING,
                  "libvirt-qemu uid 64055 on hostB, none on hostA");
}
END_TEST

START_TEST(test_unknown_ids_are_a_warning)
{
    dst.ids_known = false;
    assert_result("QEMU user and group ids equal", MIG_PMC_WARNING, "hostB unknown");
}
END_TEST

START_TEST(test_getent_output_parses)
{
    struct mig_pmc_id *ids;
    size_t n = mig_pmc_ids_parse("libvirt-qemu:x:64055:108:Libvirt Qemu,,,:/var/lib/libvirt:"
                                 "/usr/sbin/nologin\n#g\nkvm:x:993:\nlibvirt:x:108:root\n"
                                 "garbage\n:x:1:\n", &ids);
    ck_assert_uint_eq(n, 3);
    ck_assert(ids[0].kind == 'u' && !strcmp(ids[0].name, "libvirt-qemu") && ids[0].id == 64055);
    ck_assert(ids[1].kind == 'g' && !strcmp(ids[1].name, "kvm") && ids[1].id == 993);
    ck_assert(ids[2].kind == 'g' && !strcmp(ids[2].name, "libvirt") && ids[2].id == 108);
    mig_pmc_ids_free(ids, n);
}
END_TEST

START_TEST(test_different_libvirt_version_is_a_warning)
{
    dst.libvirt_version = 9001000;
    assert_result("libvirt version equal", MIG_PMC_WARNING, "9.0.0");
    assert_result("destination not older than source", MIG_PMC_SUCCESS, NULL);
}
END_TEST

START_TEST(test_different_hypervisor_fails)
{
    dst.hypervisor = "Xen";
    assert_result("hypervisor type equal", MIG_PMC_FAIL, "Xen");
}
END_TEST

START_TEST(test_different_arch_fails)
{
    dst.arch = "aarch64";
    assert_result("host architecture equal", MIG_PMC_FAIL, "aarch64");
}
END_TEST

START_TEST(test_older_destination_libvirt_fails)
{
    dst.libvirt_version = 8000000;
    assert_result("destination not older than source", MIG_PMC_FAIL, "8.0.0 is older");
}
END_TEST

START_TEST(test_older_destination_qemu_fails)
{
    dst.hv_version = 5002000;
    assert_result("destination not older than source", MIG_PMC_FAIL, "QEMU 5.2.0 is older");
}
END_TEST

START_TEST(test_older_destination_os_fails_and_other_distro_is_not_compared)
{
    dst.os_version = "11";
    assert_result("destination not older than source", MIG_PMC_FAIL, "debian 11 is older");
    dst.os_version = "12.10";
    src.os_version = "12.9";
    assert_result("destination not older than source", MIG_PMC_SUCCESS, NULL);
    dst.os_id = "fedora";
    dst.os_version = "1";
    assert_result("destination not older than source", MIG_PMC_SUCCESS, "not comparable");
}
END_TEST

START_TEST(test_cpu_model_missing_on_destination_fails)
{
    vms[1].cpu_model = "Icelake-Server";
    assert_result("guest CPU usable on destination", MIG_PMC_FAIL, "vm2: CPU model Icelake-Server");
}
END_TEST

START_TEST(test_host_passthrough_between_different_cpus_fails)
{
    vms[0].cpu_model = "host-passthrough";
    dst.host_cpu_model = "EPYC-Rome";
    assert_result("guest CPU usable on destination", MIG_PMC_FAIL, "EPYC-Rome");
    vms[0].cpu_model = "host-model";
    assert_result("guest CPU usable on destination", MIG_PMC_WARNING, "host-model");
}
END_TEST

START_TEST(test_unknown_cpu_list_is_a_warning_not_a_fail)
{
    dst.cpu_models = NULL;
    assert_result("guest CPU usable on destination", MIG_PMC_WARNING, "unknown");
}
END_TEST

START_TEST(test_writeback_cache_warns_unless_unsafe_allowed)
{
    disks[1].cache = "writeback";
    assert_result("disk cache mode safe", MIG_PMC_WARNING, "vm2: /var/lib/vtrun/vm2.qcow2 cache=writeback");
    in.mig_flags |= BE_MIG_UNSAFE;
    assert_result("disk cache mode safe", MIG_PMC_SUCCESS, "--unsafe");
    in.mig_flags = 0;
    disks[1].readonly = true;
    assert_result("disk cache mode safe", MIG_PMC_SUCCESS, NULL);
    disks[1].readonly = false;
    disks[1].cache = "directsync";
    assert_result("disk cache mode safe", MIG_PMC_SUCCESS, NULL);
}
END_TEST

START_TEST(test_unreachable_image_fails_and_unknown_warns)
{
    disks[0].reachable_on_dst = -1;
    assert_result("images reachable from destination", MIG_PMC_WARNING, "unknown");
    disks[1].reachable_on_dst = 0;
    assert_result("images reachable from destination", MIG_PMC_FAIL,
                  "vm2: /var/lib/vtrun/vm2.qcow2 not reachable");
}
END_TEST

START_TEST(test_too_little_free_memory_on_destination_fails)
{
    dst.free_mem_bytes = 200 * MiB;
    assert_result("free memory on destination", MIG_PMC_FAIL, "VMs need 256 MiB, hostB has 200 MiB");
    dst.free_mem_bytes = 0;
    assert_result("free memory on destination", MIG_PMC_WARNING, "unknown");
}
END_TEST

START_TEST(test_unknown_facts_never_fail)
{
    struct mig_pmc_host empty = { 0 };
    in.src = &empty;
    in.dst = &empty;
    disks[0].reachable_on_dst = -1;
    disks[1].reachable_on_dst = -1;
    struct mig_pmc_outcome *o;
    size_t n = mig_pmc_run(&in, &o);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(o[i].result != MIG_PMC_FAIL, "%s: %s", o[i].check->name, o[i].msg);
    mig_pmc_outcomes_free(o, n);
}
END_TEST

START_TEST(test_policy_words)
{
    const struct params_word *w = mig_pmc_policy_words;
    ck_assert_int_eq(params_word_find(w, "enforce")->value, MIG_PMC_ENFORCE);
    ck_assert_int_eq(params_word_find(w, "warn")->value, MIG_PMC_WARN);
    ck_assert_int_eq(params_word_find(w, "off")->value, MIG_PMC_OFF);
    ck_assert_ptr_null(params_word_find(w, "ask"));
}
END_TEST

START_TEST(test_vercmp_compares_numbers_not_text)
{
    ck_assert_int_lt(mig_pmc_vercmp("9", "12"), 0);
    ck_assert_int_gt(mig_pmc_vercmp("12.10", "12.9"), 0);
    ck_assert_int_eq(mig_pmc_vercmp("22.04", "22.04"), 0);
    ck_assert_int_lt(mig_pmc_vercmp("8", "8.1"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_pmc");
    TCase *tc = tcase_create("checks");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_identical_hosts_pass_every_check);
    tcase_add_test(tc, test_table_has_the_severities_of_the_issue);
    tcase_add_test(tc, test_ids_equal_pass_naming_them);
    tcase_add_test(tc, test_a_different_gid_fails_naming_both);
    tcase_add_test(tc, test_a_user_on_one_host_only_is_a_warning);
    tcase_add_test(tc, test_unknown_ids_are_a_warning);
    tcase_add_test(tc, test_getent_output_parses);
    tcase_add_test(tc, test_different_libvirt_version_is_a_warning);
    tcase_add_test(tc, test_different_hypervisor_fails);
    tcase_add_test(tc, test_different_arch_fails);
    tcase_add_test(tc, test_older_destination_libvirt_fails);
    tcase_add_test(tc, test_older_destination_qemu_fails);
    tcase_add_test(tc, test_older_destination_os_fails_and_other_distro_is_not_compared);
    tcase_add_test(tc, test_cpu_model_missing_on_destination_fails);
    tcase_add_test(tc, test_host_passthrough_between_different_cpus_fails);
    tcase_add_test(tc, test_unknown_cpu_list_is_a_warning_not_a_fail);
    tcase_add_test(tc, test_writeback_cache_warns_unless_unsafe_allowed);
    tcase_add_test(tc, test_unreachable_image_fails_and_unknown_warns);
    tcase_add_test(tc, test_too_little_free_memory_on_destination_fails);
    tcase_add_test(tc, test_unknown_facts_never_fail);
    tcase_add_test(tc, test_policy_words);
    tcase_add_test(tc, test_vercmp_compares_numbers_not_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
