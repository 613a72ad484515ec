/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner/run_needs, run_dispo: what a case needs of the hosts, each row of the table,
 * and the disposition (RUN, CANCEL, ERROR) of crafted cases -- all from params alone.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_dispo.h"
#include "runner/run_needs.h"

static struct run_facts F;
static char *caps[8];
static int probes;

/* A type of each kind the rows name, with no params of its own. */
#define TYPE(var, nm, hosts_)                                                          \
    static const struct run_type var = { .name = nm, .summary = "test",               \
                                         .needs = { .vms = 1, .hosts = hosts_ } }
TYPE(t_mig, "virsh_migrate", 2);
TYPE(t_shared, "migrate_options_shared", 2);
TYPE(t_other, "some_type", 2);
TYPE(t_onehost, "boot_like", 1);

/* A type reading server_ip, and needing TLS on its own. */
struct ip_opts { const char *server_ip; };
static const struct run_param ip_params[] = {
    { "server_ip", .aliases = "remote_ip", RUN_PARAM_STR_AT(struct ip_opts, server_ip),
      .doc = "the destination" },
    { NULL },
};
static const struct run_need tls_rows[] = {
    { "tls_pki", .when = { { "transport", .eq = "tls" } }, .capability = "tls",
      .text = "a PKI" },
    { NULL },
};
static const struct run_type t_ip = { .name = "ip_type", .summary = "test",
                                      .needs = { .vms = 1, .hosts = 2, .rows = tls_rows },
                                      .params = ip_params, .opts_size = sizeof(struct ip_opts) };

static void setup(void)
{
    run_facts_init(&F);
    memset(caps, 0, sizeof(caps));
    F.capabilities = caps;
    F.libvirt_version = 9000000;
    F.qemu_version = 7002000;
    F.arch = "x86_64";
    probes = 0;
}

static void teardown(void)
{
    run_facts_release(&F);
}

static struct params *base(void)
{
    struct params *p = params_new();
    params_set(p, "vms", "vm1");
    params_set(p, "smp", "2");
    params_set(p, "name", "a.hugepages.rbd.virtiofs.case");    /* names show no need */
    return p;
}

/* run_needs_check of p for t with 2 hosts: 0, or the label of what is unmet. */
static const char *check(const struct run_type *t, const struct params *p)
{
    struct run_common c = { 0 };
    const char *label = NULL;
    ck_assert_msg(run_common_parse(p, &c) == 0, "%s", err_msg());
    int rc = run_needs_check(t, p, &c, 2, &F, &label);
    run_common_release(&c);
    return rc == 0 ? NULL : rc == -1 ? label : "ERROR";
}

#define ASSERT_NEEDS(t, p, want)                                                       \
    do {                                                                               \
        const char *got_ = check(t, p);                                                \
        ck_assert_msg(got_ && !strcmp(got_, want), "want %s, got %s (%s)", want,       \
                      got_ ? got_ : "met", got_ ? err_msg() : "");                     \
    } while (0)
#define ASSERT_MET(t, p)                                                               \
    do {                                                                               \
        const char *got_ = check(t, p);                                                \
        ck_assert_msg(!got_, "unmet %s: %s", got_, err_msg());                         \
    } while (0)

/* A case that shows a need (one param) CANCELs without the capability, runs with. */
static void capability_row(const char *key, const char *value, const char *need,
                           const char *cap)
{
    struct params *p = base();
    params_set(p, key, value);
    ASSERT_NEEDS(&t_other, p, need);
    ck_assert_msg(strstr(err_msg(), cap), "%s", err_msg());
    ck_assert_msg(strstr(err_msg(), key), "the CANCEL names the param: %s", err_msg());
    caps[0] = (char *)cap;
    ASSERT_MET(&t_other, p);
    caps[0] = NULL;
    params_free(p);
}

START_TEST(test_a_case_showing_no_need_runs)
{
    struct params *p = base();
    params_set(p, "migrate_options", "--live --p2p");
    params_set(p, "virsh_migrate_with_HP", "no");
    params_set(p, "disk_source_protocol", "file");
    params_set(p, "libvirtd_file_type", "virtqemud");     /* maps to libvirtd */
    params_set(p, "gluster_managed_by_test", "yes");      /* every case has it */
    ASSERT_MET(&t_other, p);
    params_free(p);
}
END_TEST

START_TEST(test_hugepages_rows)
{
    capability_row("virsh_migrate_with_HP", "yes", "hugepages", "hugepages");
    capability_row("virsh_migrate_with_HP_pin", "yes", "hugepages", "hugepages");
    /* a pool on the hosts, and a setup on it vtrun does not build */
    static const char *const setup[][2] = {
        { "setup_hugepages", "yes" }, { "memory_backing", "{'hugepages': {}}" },
        { "mem_backing", "hugepage" },
    };
    for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
        struct params *p = base();
        params_set(p, setup[i][0], setup[i][1]);
        ASSERT_NEEDS(&t_other, p, "hugepages");
        caps[0] = "hugepages";
        ASSERT_NEEDS(&t_other, p, "hugepages_setup");
        ck_assert_msg(strstr(err_msg(), setup[i][0]), "%s", err_msg());
        caps[0] = NULL;
        params_free(p);
    }
}
END_TEST

START_TEST(test_storage_and_transport_rows)
{
    capability_row("dest_driver_type_1", "rbd", "ceph", "ceph");
    capability_row("shared_storage_type", "ceph", "ceph", "ceph");
    capability_row("disk_source_protocol", "gluster", "gluster", "gluster");
    capability_row("gluster_disk", "yes", "gluster", "gluster");
    capability_row("disk_source_protocol", "iscsi", "iscsi", "iscsi");
    capability_row("virsh_options", "--live --migrateuri rdma://h --listen-address 0.0.0.0",
                   "rdma", "rdma");
    capability_row("disk_dict", "{\"type_name\": \"vhostvdpa\"}", "vdpa", "vdpa");
    capability_row("disk_dict", "{\"type_name\": \"vhostuser\"}", "vhost_user", "vhost_user");
    capability_row("fs_dict", "{'driver': {'type': 'virtiofs'}}", "virtiofs", "virtiofs");
    capability_row("service_name", "virtproxyd", "modular_daemons", "modular_daemons");
    capability_row("make_unattended", "kill_dest_virtproxyd", "modular_daemons",
                   "modular_daemons");
}
END_TEST

START_TEST(test_libvirt_and_qemu_versions)
{
    struct params *p = base();
    params_set(p, "func_supported_since_libvirt_ver", "(8, 5, 0)");
    ASSERT_MET(&t_other, p);
    params_set(p, "func_supported_since_libvirt_ver", "(10, 5, 0)");
    params_set(p, "unsupported_err_msg", "no zero-copy here");
    ASSERT_NEEDS(&t_other, p, "libvirt_version");
    ck_assert_msg(strstr(err_msg(), "libvirt >= 10.5.0 (func_supported_since_libvirt_ver), "
                         "the source host has 9.0.0: no zero-copy here"), "%s", err_msg());
    params_set(p, "func_supported_since_libvirt_ver", "(9,0,0,)");
    ASSERT_MET(&t_other, p);
    params_set(p, "func_supported_since_libvirt_ver", "(9, x)");
    ck_assert_str_eq(check(&t_other, p), "ERROR");
    ck_assert_msg(strstr(err_msg(), "func_supported_since_libvirt_ver = '(9, x)'"), "%s",
                  err_msg());
    params_del(p, "func_supported_since_libvirt_ver");
    params_set(p, "func_supported_since_qemu_kvm_ver", "(8, 0, 0)");
    ASSERT_NEEDS(&t_other, p, "qemu_version");
    ck_assert_msg(strstr(err_msg(), "This qemu version doesn't support this function."), "%s",
                  err_msg());
    F.qemu_version = 8002000;
    ASSERT_MET(&t_other, p);
    params_free(p);
}
END_TEST

/* An option word newer than the hosts' libvirt. */
START_TEST(test_an_option_word_needs_the_libvirt_that_has_it)
{
    struct params *p = base();
    params_set(p, "virsh_migrate_options", "--live --p2p --migrate-disks-detect-zeroes sda");
    ASSERT_NEEDS(&t_other, p, "detect_zeroes");
    ck_assert_msg(strstr(err_msg(), "(libvirt >= 10.9.0, the source host has 9.0.0)"), "%s",
                  err_msg());
    F.libvirt_version = 10010000;
    ASSERT_MET(&t_other, p);
    params_free(p);
}
END_TEST

static int fake_probe(void *ud, struct run_facts *f)
{
    (void)ud;
    probes++;
    f->libvirt_version = 11000000;
    return 0;
}

static int dead_probe(void *ud, struct run_facts *f)
{
    (void)ud, (void)f;
    probes++;
    err_set("host1: cannot connect");
    return -1;
}

/* Unknown versions are asked once; hosts that do not answer cancel nothing. */
START_TEST(test_unknown_facts_are_asked_once_and_never_cancel)
{
    struct params *p = base();
    params_set(p, "func_supported_since_libvirt_ver", "(10, 5, 0)");
    F.libvirt_version = 0;
    F.probe = fake_probe;
    ASSERT_MET(&t_other, p);
    ASSERT_MET(&t_other, p);
    ck_assert_int_eq(probes, 1);
    run_facts_release(&F);
    setup();
    F.libvirt_version = 0;
    F.probe = dead_probe;
    ASSERT_MET(&t_other, p);
    ASSERT_MET(&t_other, p);
    ck_assert_int_eq(probes, 1);
    struct strbuf sb = STRBUF_INIT;
    run_facts_describe(&F, &sb);
    ck_assert_msg(strstr(sb.buf, "libvirt ?, QEMU 7.2.0, x86_64, capabilities: none (the hosts "
                         "did not say: host1: cannot connect)"), "%s", sb.buf);
    strbuf_release(&sb);
    params_free(p);
}
END_TEST

/* Cases tp-libvirt cancels itself, decided for the types that do. */
START_TEST(test_the_cases_tp_libvirt_cancels)
{
    struct params *p = base();
    params_set(p, "virsh_migrate_with_numa_pin", "yes");
    params_set(p, "memory_mode", "preferred");
    ASSERT_NEEDS(&t_mig, p, "numatune_preferred");
    ASSERT_MET(&t_other, p);                        /* another type's business */
    params_set(p, "smp", "1");                      /* one guest cell */
    ASSERT_MET(&t_mig, p);
    params_set(p, "memory_mode", "strict");
    params_set(p, "smp", "2");
    ASSERT_MET(&t_mig, p);
    params_free(p);

    p = base();
    params_set(p, "virsh_migrate_options", "--live --direct");
    ASSERT_NEEDS(&t_mig, p, "direct");
    params_free(p);

    p = base();
    params_set(p, "hpt_resize", "required");
    ASSERT_NEEDS(&t_shared, p, "ppc64");
    F.arch = "ppc64le";
    ASSERT_MET(&t_shared, p);
    F.arch = "x86_64";
    params_free(p);

    p = base();
    params_set(p, "status_error", "yes");
    params_set(p, "cache", "writeback");
    ASSERT_NEEDS(&t_shared, p, "cache_negative");
    F.libvirt_version = 5005000;                    /* older: the negative case runs */
    ASSERT_MET(&t_shared, p);
    F.libvirt_version = 9000000;
    params_set(p, "cache", "none");
    ASSERT_MET(&t_shared, p);
    params_set(p, "status_error", "no");
    params_set(p, "cache", "writeback");
    ASSERT_MET(&t_shared, p);
    params_free(p);
}
END_TEST

/* tp-libvirt checks the preferred numatune before hugepages: so does the table. */
START_TEST(test_rows_decide_in_table_order)
{
    struct params *p = base();
    params_set(p, "virsh_migrate_with_numa_pin", "yes");
    params_set(p, "memory_mode", "preferred");
    params_set(p, "virsh_migrate_with_HP_pin", "yes");
    ASSERT_NEEDS(&t_mig, p, "numatune_preferred");
    params_set(p, "vms", "");
    ASSERT_NEEDS(&t_mig, p, "vms");                 /* the type's own needs first */
    params_free(p);
}
END_TEST

START_TEST(test_placeholders_in_params_the_type_reads)
{
    struct params *p = base();
    params_set(p, "remote_ip", "ENTER.YOUR.IPv6.DESTINATION");
    ASSERT_NEEDS(&t_ip, p, "placeholder");
    ck_assert_msg(strstr(err_msg(), "param remote_ip = 'ENTER.YOUR.IPv6.DESTINATION' still "
                         "holds ENTER.YOUR.IPv6.DESTINATION: the settings do not give the "
                         "destination host's IPv6 address (hosts[1]: address6)"), "%s", err_msg());
    params_set(p, "remote_ip", "EXAMPLE_MON_HOST");
    ASSERT_NEEDS(&t_ip, p, "placeholder");
    ck_assert_msg(strstr(err_msg(), "set remote_ip in the settings' params or override"), "%s",
                  err_msg());
    params_set(p, "remote_ip", "192.0.2.2");
    ASSERT_MET(&t_ip, p);
    /* a param no table declares is nobody's business */
    params_set(p, "migrate_source_pwd", "PASSWORD.SOURCE.EXAMPLE");
    ASSERT_MET(&t_ip, p);
    /* the runner's host params matter to a two-host type only */
    params_set(p, "migrate_dest_host", "ENTER.YOUR.DEST.EXAMPLE.COM");
    ASSERT_NEEDS(&t_ip, p, "placeholder");
    ck_assert_msg(strstr(err_msg(), "migrate_dest_host"), "%s", err_msg());
    ASSERT_MET(&t_onehost, p);
    params_free(p);
}
END_TEST

START_TEST(test_a_types_own_rows_are_checked_with_the_rest)
{
    struct params *p = base();
    params_set(p, "transport", "tls");
    ASSERT_NEEDS(&t_ip, p, "tls_pki");
    caps[0] = "tls";
    ASSERT_MET(&t_ip, p);
    params_free(p);
}
END_TEST

static void decide(const char *type, struct params *p, struct run_dispo *d)
{
    struct run_common c = { 0 };
    void *opts;
    const struct run_type *t = run_type_lookup(type);
    char *bad = run_common_parse(p, &c) < 0 ? xstrdup(err_msg()) : NULL;
    run_dispo_decide(t, type, p, &c, bad, 2, &F, &opts, d);
    if (t)
        run_type_opts_free(t, opts);
    run_common_release(&c);
    free(bad);
}

/* virsh_migrate: hugepages and tp-libvirt's own cancels come before the setups vtrun
 * does not build yet (ERROR naming the param); a plain case runs, and so do the setups
 * built. */
START_TEST(test_virsh_migrate_dispositions)
{
    struct run_dispo d;
    struct params *p = base();
    decide("virsh_migrate", p, &d);
    ck_assert_int_eq(d.status, RUN_PASS);
    run_dispo_release(&d);

    /* built now: NUMA, hotplug, the negative names */
    params_set(p, "virsh_migrate_cpu_hotplug", "yes");
    params_set(p, "virsh_migrate_with_numa", "yes");
    params_set(p, "vm_ref", "");
    decide("virsh_migrate", p, &d);
    ck_assert_msg(d.status == RUN_PASS, "%s", d.reason);
    run_dispo_release(&d);

    params_set(p, "virsh_migrate_with_HP", "yes");
    decide("virsh_migrate", p, &d);
    ck_assert_int_eq(d.status, RUN_CANCEL);
    ck_assert_str_eq(d.label, "hugepages");
    run_dispo_release(&d);

    params_set(p, "virsh_migrate_with_HP", "no");
    params_set(p, "virsh_migrate_options", "--live --direct");
    decide("virsh_migrate", p, &d);
    ck_assert_int_eq(d.status, RUN_CANCEL);
    ck_assert_str_eq(d.label, "direct");
    run_dispo_release(&d);

    /* a remote-viewer on PATH or not: the reference cancels without it; with it the
     * setup is one vtrun does not build (ERROR naming the param) */
    params_set(p, "virsh_migrate_options", "--live");
    params_set(p, "graphics_server", "spice://0.0.0.0:5900");
    char *old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "");
    char dir[] = "/tmp/vtrun-rv-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("PATH", dir, 1);
    decide("virsh_migrate", p, &d);
    ck_assert_int_eq(d.status, RUN_CANCEL);
    ck_assert_str_eq(d.label, "remote_viewer");
    run_dispo_release(&d);
    char *exe = xasprintf("%s/remote-viewer", dir);
    FILE *f = fopen(exe, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(chmod(exe, 0755), 0);
    decide("virsh_migrate", p, &d);
    setenv("PATH", old_path, 1);
    unlink(exe);
    rmdir(dir);
    free(exe);
    free(old_path);
    ck_assert_int_eq(d.status, RUN_ERROR);
    ck_assert_msg(strstr(d.reason, "graphics_server = 'spice://0.0.0.0:5900'"), "%s",
                  d.reason);
    run_dispo_release(&d);
    params_free(p);
}
END_TEST

/* unattended_install: medium = import runs (with or without the background
 * migration); an install from any other medium needs an installation source (CANCEL),
 * and with one listed it is an install vtrun does not drive (ERROR naming the medium).
 * migration_retain_sparsity: CANCEL on libvirt 9.0 (detect-zeroes), ERROR past it. */
START_TEST(test_install_and_sparsity_dispositions)
{
    struct run_dispo d;
    struct params *p = base();
    params_set(p, "medium", "import");
    params_set(p, "migrate_background", "yes");
    decide("unattended_install", p, &d);
    ck_assert_msg(d.status == RUN_PASS, "%s", d.reason);
    run_dispo_release(&d);

    static const char *const media[] = { "url", "cdrom", "nfs", "pxe", "kernel_initrd" };
    for (size_t k = 0; k < sizeof(media) / sizeof(media[0]); k++) {
        params_set(p, "medium", media[k]);
        decide("unattended_install", p, &d);
        ck_assert_int_eq(d.status, RUN_CANCEL);
        ck_assert_str_eq(d.label, "install_media");
        run_dispo_release(&d);
    }
    caps[0] = "install_media";
    decide("unattended_install", p, &d);
    caps[0] = NULL;
    ck_assert_int_eq(d.status, RUN_ERROR);
    ck_assert_msg(strstr(d.reason, "medium = 'kernel_initrd'"), "%s", d.reason);
    run_dispo_release(&d);
    params_free(p);

    p = base();
    params_set(p, "virsh_migrate_options", "--live --p2p --migrate-disks-detect-zeroes sda");
    decide("migration_retain_sparsity", p, &d);
    ck_assert_int_eq(d.status, RUN_CANCEL);
    ck_assert_str_eq(d.label, "detect_zeroes");
    run_dispo_release(&d);
    F.libvirt_version = 10010000;
    decide("migration_retain_sparsity", p, &d);
    ck_assert_int_eq(d.status, RUN_ERROR);
    ck_assert_msg(strstr(d.reason, "retain_sparsity"), "%s", d.reason);
    run_dispo_release(&d);
    params_free(p);
}
END_TEST

START_TEST(test_dispositions_of_crafted_cases)
{
    struct run_dispo_counts *k = run_dispo_counts_new();
    struct run_dispo d;
    struct params *p = base();
    params_set(p, "vms", "vm1 vm2");
    decide("virsh_migrate_stress", p, &d);
    ck_assert_int_eq(d.status, RUN_PASS);
    ck_assert_ptr_null(d.reason);
    run_dispo_count(k, &d, "t");
    run_dispo_release(&d);

    params_set(p, "migration_type", "sideways");
    decide("virsh_migrate_stress", p, &d);
    ck_assert_int_eq(d.status, RUN_ERROR);
    ck_assert_str_eq(d.fail_type, "ConfigError");
    ck_assert_msg(strstr(d.reason, "migration_type = 'sideways'"), "%s", d.reason);
    run_dispo_count(k, &d, "t");
    run_dispo_release(&d);

    params_set(p, "migration_type", "orderly");
    params_set(p, "vms", "vm1");
    for (int i = 0; i < 2; i++) {
        decide("virsh_migrate_stress", p, &d);
        ck_assert_int_eq(d.status, RUN_CANCEL);
        ck_assert_str_eq(d.label, "vms");
        run_dispo_count(k, &d, "t");
        run_dispo_release(&d);
    }
    params_set(p, "vms", "vm1 vm2");
    params_set(p, "setup_hugepages", "yes");
    decide("virsh_migrate_stress", p, &d);
    ck_assert_int_eq(d.status, RUN_CANCEL);
    ck_assert_str_eq(d.label, "hugepages");
    run_dispo_count(k, &d, "t");
    run_dispo_release(&d);

    decide("migrate_vm", p, &d);
    ck_assert_int_eq(d.status, RUN_ERROR);
    ck_assert_str_eq(d.fail_type, "UnknownTestType");
    ck_assert_msg(strstr(d.reason, "unknown test type 'migrate_vm'"), "%s", d.reason);
    run_dispo_count(k, &d, "t");
    run_dispo_release(&d);

    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    run_dispo_counts_print(k, f);
    fclose(f);
    ck_assert_msg(!strncmp(out, "DRY RUN    : run 1 | cancel 3 | error 2\n"
                           "CANCEL     :      2 vms -- e.g. test type 'virsh_migrate_stress' "
                           "needs at least 2 VMs", 100), "%s", out);
    char *hp = strstr(out, "\nCANCEL     :      1 hugepages -- ");
    char *err = strstr(out, "\nERROR      :      1 bad param -- ");
    char *unk = strstr(out, "\nERROR      :      1 unknown test type -- ");
    ck_assert_msg(hp && err && unk && hp < err, "%s", out);
    free(out);
    params_free(p);
    run_dispo_counts_free(k);
}
END_TEST

START_TEST(test_versions_and_capability_words)
{
    unsigned long long v;
    ck_assert_int_eq(run_version_parse("9.0.0", &v), 0);
    ck_assert_uint_eq(v, 9000000);
    ck_assert_int_eq(run_version_parse("10.5", &v), 0);
    ck_assert_uint_eq(v, 10005000);
    ck_assert_int_eq(run_version_parse("10", &v), -1);
    ck_assert_int_eq(run_version_parse("9.0.0.1", &v), -1);
    ck_assert_int_eq(run_version_parse("9.1000.0", &v), -1);
    ck_assert_int_eq(run_version_parse("v9.0", &v), -1);
    ck_assert(run_needs_capability_known("hugepages"));
    ck_assert(!run_needs_capability_known("hugepage"));
    char *w = run_needs_capability_words();
    ck_assert_msg(strstr(w, "hugepages, ceph, gluster"), "%s", w);
    free(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("needs");
    TCase *tc = tcase_create("needs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_case_showing_no_need_runs);
    tcase_add_test(tc, test_hugepages_rows);
    tcase_add_test(tc, test_storage_and_transport_rows);
    tcase_add_test(tc, test_libvirt_and_qemu_versions);
    tcase_add_test(tc, test_unknown_facts_are_asked_once_and_never_cancel);
    tcase_add_test(tc, test_an_option_word_needs_the_libvirt_that_has_it);
    tcase_add_test(tc, test_the_cases_tp_libvirt_cancels);
    tcase_add_test(tc, test_rows_decide_in_table_order);
    tcase_add_test(tc, test_placeholders_in_params_the_type_reads);
    tcase_add_test(tc, test_a_types_own_rows_are_checked_with_the_rest);
    tcase_add_test(tc, test_dispositions_of_crafted_cases);
    tcase_add_test(tc, test_virsh_migrate_dispositions);
    tcase_add_test(tc, test_install_and_sparsity_dispositions);
    tcase_add_test(tc, test_versions_and_capability_words);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
