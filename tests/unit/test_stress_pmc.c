/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pre-migration checks on synthetic host facts (migration/mig.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

#define MiB (1024ULL * 1024ULL)

static const char *const models[] = { "qemu64", "Haswell", "EPYC", NULL };

static struct mig_pmc_id ids_a[] = { { 'u', "libvirt-qemu", 64055 }, { 'g', "kvm", 993 } };
static struct mig_pmc_id ids_b[] = { { 'u', "libvirt-qemu", 64055 }, { 'g', "kvm", 993 } };
static struct mig_pmc_host src, dst;
static struct mig_pmc_disk disks[2];
static struct mig_pmc_vm vms[2];
static struct mig_pmc_input in;

/* `nft list ruleset` of a host that lets migration through (SSH rate-limited only). */
#define RULESET_OPEN                                                                   \
    "table inet filter {\n"                                                             \
    "\tchain input {\n"                                                                 \
    "\t\ttype filter hook input priority filter; policy accept;\n"                       \
    "\t\ttcp dport 22 limit rate over 10/second drop\n"                                  \
    "\t\tudp dport 49152-49215 drop\n"                                                   \
    "\t}\n"                                                                              \
    "}\n"
/* What virt_hostop_fw_add() leaves on a host: QEMU's migration ports dropped. */
#define RULESET_BLOCKED                                                                \
    RULESET_OPEN                                                                       \
    "table inet vtrun_e2efw {\n"                                                        \
    "\tchain input {\n"                                                                 \
    "\t\ttype filter hook input priority filter - 1; policy accept;\n"                   \
    "\t\ttcp dport 49152-49215 drop # handle 3\n"                                        \
    "\t}\n"                                                                              \
    "}\n"

/* Two identical healthy hosts and two small VMs: every check passes. */
static void setup(void)
{
    struct mig_pmc_host h = {
        .libvirt_version = 9000000, .hypervisor = "QEMU", .hv_version = 7002000,
        .arch = "x86_64", .os_id = "debian", .os_version = "12",
        .kernel_release = "6.1.0-18-amd64", .free_mem_bytes = 4096 * MiB,
        .host_cpu_model = "Skylake-Client", .cpu_models = models,
        .daemon_answers = 1, .kvm_usable = 1, .ruleset = RULESET_OPEN, .lsm = "apparmor",
        .denials = "",
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
    vms[0] = (struct mig_pmc_vm){ "vm1", NULL, 128 * MiB, &disks[0], 1, "vm1-abc1234-0",
                                  "kvm" };
    vms[1] = (struct mig_pmc_vm){ "vm2", "Haswell", 128 * MiB, &disks[1], 1, NULL, NULL };
    in = (struct mig_pmc_input){ &src, &dst, vms, 2, BE_MIG_LIVE, 0, 0 };
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
    ck_assert_uint_eq(n, 12);
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
        { "virtualization services up", MIG_PMC_FAIL },
        { "migration ports not firewalled", MIG_PMC_FAIL },
        { "no security module denial", MIG_PMC_FAIL },
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
    /* copy-storage brings them along */
    in.mig_flags = BE_MIG_COPY_STORAGE_ALL;
    assert_result("images reachable from destination", MIG_PMC_SUCCESS,
                  "disks copied to the destination (--copy-storage-all)");
    in.mig_flags = 0;
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

/* The policy over a run's outcomes: a uid/gid mismatch stops the test under enforce,
 * warns it under warn, is not looked at under off. */
static enum mig_pmc_result decide(enum mig_pmc_policy pol)
{
    struct mig_pmc_outcome *o;
    size_t n = mig_pmc_run(&in, &o);
    enum mig_pmc_result r = mig_pmc_decide(o, n, pol);
    mig_pmc_outcomes_free(o, n);
    return r;
}

START_TEST(test_id_mismatch_fails_under_enforce_and_warns_under_warn)
{
    ck_assert_int_eq(decide(MIG_PMC_ENFORCE), MIG_PMC_SUCCESS);
    ids_b[0].id = 107;      /* libvirt-qemu's uid differs */
    ck_assert_int_eq(decide(MIG_PMC_ENFORCE), MIG_PMC_FAIL);
    ck_assert_int_eq(decide(MIG_PMC_WARN), MIG_PMC_WARNING);
    ck_assert_int_eq(decide(MIG_PMC_OFF), MIG_PMC_SUCCESS);
    ids_b[0].id = 64055;
    ids_b[1].id = 36;       /* kvm's gid differs */
    ck_assert_int_eq(decide(MIG_PMC_ENFORCE), MIG_PMC_FAIL);
    ck_assert_int_eq(decide(MIG_PMC_WARN), MIG_PMC_WARNING);
}
END_TEST

START_TEST(test_warnings_alone_never_stop_a_test)
{
    dst.ids_known = false;
    dst.ruleset = NULL;
    ck_assert_int_eq(decide(MIG_PMC_ENFORCE), MIG_PMC_SUCCESS);
}
END_TEST

START_TEST(test_services_daemon_and_kvm)
{
    assert_result("virtualization services up", MIG_PMC_SUCCESS, "/dev/kvm usable");
    dst.kvm_usable = -1;
    assert_result("virtualization services up", MIG_PMC_FAIL, "no usable /dev/kvm");
    vms[0].accel = "tcg";   /* no kvm guest: /dev/kvm is not needed */
    assert_result("virtualization services up", MIG_PMC_SUCCESS, "TCG: no /dev/kvm needed");
    dst.daemon_answers = -1;
    assert_result("virtualization services up", MIG_PMC_FAIL,
                  "the daemon of hostB does not answer");
    dst.daemon_answers = 0;
    assert_result("virtualization services up", MIG_PMC_WARNING, "cannot tell");
}
END_TEST

START_TEST(test_firewall_rule_on_the_migration_ports_fails_naming_it)
{
    assert_result("migration ports not firewalled", MIG_PMC_SUCCESS,
                  "no rule of hostB drops migration ports 49152-49215");
    dst.ruleset = RULESET_BLOCKED;
    assert_result("migration ports not firewalled", MIG_PMC_FAIL,
                  "hostB drops migration ports 49152-49215: chain input: "
                  "tcp dport 49152-49215 drop");
    /* the handle comment is not part of the rule */
    char *msg = NULL;
    result_of("migration ports not firewalled", &msg);
    ck_assert_msg(!strstr(msg, "handle"), "%s", msg);
    free(msg);
    /* tunnelled data goes over the daemons' connection */
    in.mig_flags |= BE_MIG_TUNNELLED;
    assert_result("migration ports not firewalled", MIG_PMC_SUCCESS, "tunnelled");
    in.mig_flags &= ~(unsigned)BE_MIG_TUNNELLED;
    /* other configured ports */
    in.port_min = 50000;
    in.port_max = 50063;
    assert_result("migration ports not firewalled", MIG_PMC_SUCCESS, "50000-50063");
    dst.ruleset = NULL;
    assert_result("migration ports not firewalled", MIG_PMC_WARNING, "cannot tell");
}
END_TEST

START_TEST(test_firewall_ports_sets_ranges_and_verdicts)
{
    struct strbuf bad = STRBUF_INIT;
    ck_assert_uint_eq(mig_pmc_fw_blocking("chain in {\n tcp dport { 22, 49160 } reject\n}",
                                          49152, 49215, &bad), 1);
    ck_assert_msg(strstr(bad.buf, "chain in: tcp dport { 22, 49160 } reject"), "%s", bad.buf);
    strbuf_reset(&bad);
    ck_assert_uint_eq(mig_pmc_fw_blocking("tcp dport 49100-49152 drop\n"
                                          "tcp dport 49216 drop\n"
                                          "tcp dport 49200 accept\n"
                                          "tcp dport { 80, 443 } drop\n", 49152, 49215, &bad),
                      1);
    ck_assert_uint_eq(mig_pmc_fw_blocking("", 49152, 49215, &bad), 0);
    /* a default-deny input chain blocks unless a rule lets the ports in */
    strbuf_reset(&bad);
    ck_assert_uint_eq(mig_pmc_fw_blocking("chain in {\n type filter hook input priority 0; "
                                          "policy drop;\n tcp dport 22 accept\n}\n"
                                          "chain out {\n type filter hook output priority 0; "
                                          "policy drop;\n}\n", 49152, 49215, &bad), 1);
    ck_assert_str_eq(bad.buf, "chain in: policy drop, no rule accepts the ports");
    ck_assert_uint_eq(mig_pmc_fw_blocking("chain in {\n type filter hook input priority 0; "
                                          "policy drop;\n tcp dport 49152-49215 accept\n}\n",
                                          49152, 49215, &bad), 0);
    strbuf_release(&bad);
}
END_TEST

START_TEST(test_security_module_denial_fails_naming_it)
{
    assert_result("no security module denial", MIG_PMC_SUCCESS,
                  "hostB: apparmor, no denial for vm1-abc1234-0 vm2");
    dst.denials = "type=AVC msg=audit(1.2:3): apparmor=\"DENIED\" operation=\"open\" "
                  "profile=\"libvirt-4da4\" name=\"/var/lib/vtrun/vm1.qcow2\"\n";
    assert_result("no security module denial", MIG_PMC_FAIL,
                  "hostB: apparmor denied a guest: type=AVC");
    src.lsm = "none";
    dst.lsm = "selinux";
    dst.denials = NULL;
    assert_result("no security module denial", MIG_PMC_WARNING,
                  "hostA: no security module confines QEMU; hostB: selinux, no audit log");
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
    tcase_add_test(tc, test_id_mismatch_fails_under_enforce_and_warns_under_warn);
    tcase_add_test(tc, test_warnings_alone_never_stop_a_test);
    tcase_add_test(tc, test_services_daemon_and_kvm);
    tcase_add_test(tc, test_firewall_rule_on_the_migration_ports_fails_naming_it);
    tcase_add_test(tc, test_firewall_ports_sets_ranges_and_verdicts);
    tcase_add_test(tc, test_security_module_denial_fails_naming_it);
    tcase_add_test(tc, test_vercmp_compares_numbers_not_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
