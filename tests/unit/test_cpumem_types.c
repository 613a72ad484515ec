/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CPU and memory migration types (migration_with_cpu_mode, migration_with_special_cpu,
 * migration_with_memory_devices, migrate_with_virtual_devices) without VMs: their
 * declared params read from cases as the composition writes them, each case's
 * disposition (RUN, CANCEL for what the hosts lack, ERROR naming what vtrun does not
 * build), and the <cpu> edits of run_cpuxml.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_cpuxml.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

/* the host_model variant's vm_attrs, as the composition expands it */
#define HOST_MODEL_ATTRS                                                               \
    "{'cpu': {'mode': 'host-model', 'check': 'partial', 'numa_cell': [{'cpus': '0-1', " \
    "'memory': '2097152', 'unit': 'KiB'}]}}"

static struct params *base_case(const char *type, const char *options)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "migrate_main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", options);
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "virsh_migrate_desturi", "qemu+tcp://192.168.126.3/system");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "status_error", "no");
    params_set(p, "start_vm", "no");
    return p;
}

START_TEST(test_cpu_mode_cases)
{
    static const char *const options[] = { "--live --p2p --verbose", "--live --verbose" };
    static const char *const xml_opts[] = { "with_xml", "without_xml" };
    struct strbuf out = STRBUF_INIT;
    for (size_t k = 0; k < 2; k++)
        for (size_t x = 0; x < 2; x++) {
            struct params *p = base_case("migration_with_cpu_mode", options[k]);
            params_set(p, "migration_option", xml_opts[x]);
            params_set(p, "cpu_mode", "host_model");
            params_set(p, "vm_attrs", HOST_MODEL_ATTRS);
            ASSERT_DISPO(p, "RUN");
            params_set(p, "cpu_mode", "custom");
            ASSERT_DISPO(p, "RUN");
            params_free(p);
        }
    struct params *p = base_case("migration_with_cpu_mode", "--live --p2p --verbose");
    params_set(p, "cpu_mode", "host_model");
    params_set(p, "vm_attrs", HOST_MODEL_ATTRS);
    ck_assert_int_eq(ts_type_params(p, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "cpu_mode = host_model"));
    ck_assert_ptr_nonnull(strstr(out.buf, "virsh_migrate_dest_state = running"));
    ck_assert_ptr_nonnull(strstr(out.buf, "simple_disk_check_after_mig = yes"));
    /* vm_attrs beyond the cpu dict vtrun writes: an ERROR naming the key */
    params_set(p, "vm_attrs", "{'cpu': {'mode': 'host-model'}, 'memory': 1024}");
    ASSERT_DISPO(p, "ERROR: vm_attrs key 'memory'");
    params_set(p, "vm_attrs", "{'cpu': {'mode': 'host-model', 'feature_list': []}}");
    ASSERT_DISPO(p, "ERROR: vm_attrs cpu key 'feature_list'");
    params_set(p, "vm_attrs", "{'cpu': ");
    ASSERT_DISPO(p, "ERROR: vm_attrs = ");
    /* custom does not read vm_attrs (sync_cpu_for_mig) */
    params_set(p, "cpu_mode", "custom");
    ASSERT_DISPO(p, "RUN");
    /* a migration word virsh does not know */
    params_set(p, "virsh_migrate_extra", "--bogus");
    ASSERT_DISPO(p, "ERROR");
    strbuf_release(&out);
    params_free(p);
}
END_TEST

START_TEST(test_special_cpu)
{
    struct params *p = base_case("migration_with_special_cpu", "--live --p2p --verbose");
    params_set(p, "vms", "avocado-vt-vm1 vm2");
    params_set(p, "cpu_mode", "host-model");
    params_set(p, "l1vm_feature_list", "{\"vmx\": \"require\"}");
    params_set(p, "postcopy_options", "--postcopy --timeout 10 --timeout-postcopy");
    ASSERT_DISPO(p, "kvm");
    caps[0] = "kvm";
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migration_with_special_cpu: the nested setup");
    caps[0] = NULL;
    params_set(p, "vms", "avocado-vt-vm1");
    ASSERT_DISPO(p, "vms");
    params_free(p);
}
END_TEST

START_TEST(test_memory_devices)
{
    static const char *const backings[] = {
        ", 'mb': {'source_type':'file'}", ", 'mb': {'source_type':'memfd'}",
        ", 'mb': {'hugepages': {'pages': [{'size': '2048', 'unit': 'KiB'}]}}",
    };
    for (size_t k = 0; k < 3; k++) {
        struct params *p = base_case("migration_with_memory_devices",
                                     "--p2p --live --persistent --bandwidth 100");
        char *attrs = xasprintf("{'memory': 2097152%s}", backings[k]);
        params_set(p, "vm_attrs", attrs);
        params_set(p, "mem_model", "dimm");
        params_set(p, "hp_size", "2048");
        params_set(p, "hp_num", "2048");
        /* every backing: setup_hugepage first */
        ASSERT_DISPO(p, "hugepages");
        caps[0] = "hugepages";
        /* the hugepage backing: the generic row for hugepages a test sets up itself */
        ASSERT_DISPO(p, k == 2 ? "hugepages_setup"
                               : "ERROR: tp-libvirt's migration_with_memory_devices");
        caps[0] = NULL;
        free(attrs);
        params_free(p);
    }
}
END_TEST

START_TEST(test_virtual_devices)
{
    struct params *p = params_new();
    params_set(p, "type", "migrate_with_virtual_devices");
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "device_type", "rng");
    params_set(p, "backend_model", "builtin");
    /* as the composition leaves it: migration_template cancels on the placeholder */
    params_set(p, "migrate_shared_storage", "SHARED_IMAGE.EXAMPLE");
    ASSERT_DISPO(p, "placeholder");
    /* filled by the settings: what is not built */
    params_set(p, "migrate_shared_storage", "/run/vtrun-lab4/shared");
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_with_virtual_devices");
    params_set(p, "postcopy", "True");
    ASSERT_DISPO(p, "ERROR: tp-libvirt's migrate_with_virtual_devices");
    params_free(p);
}
END_TEST

START_TEST(test_cpuxml)
{
    char *cpu = run_cpuxml_from_attrs(HOST_MODEL_ATTRS);
    ck_assert_ptr_nonnull(cpu);
    ck_assert_ptr_nonnull(strstr(cpu, "<cpu mode=\"host-model\" check=\"partial\">"));
    ck_assert_ptr_nonnull(strstr(cpu, "<numa><cell cpus=\"0-1\" memory=\"2097152\" "
                                      "unit=\"KiB\"/></numa>"));
    /* a domain with a <cpu>: replaced; without one: added */
    char *x = run_cpuxml_set("<domain><name>d</name><cpu mode='host-passthrough'/>"
                             "<devices/></domain>", cpu);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_null(strstr(x, "host-passthrough"));
    ck_assert_ptr_nonnull(strstr(x, "host-model"));
    ck_assert_ptr_null(strstr(strstr(x, "<cpu") + 1, "<cpu"));      /* still one */
    free(x);
    x = run_cpuxml_set("<domain><name>d</name></domain>",
                       "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>"
                       "EPYC</model>\n</cpu>\n");
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(strstr(x, "<model fallback=\"forbid\">EPYC</model>"));
    free(x);
    ck_assert_ptr_null(run_cpuxml_set("<domain", cpu));
    ck_assert_ptr_null(run_cpuxml_set("<domain/>", "<cpu"));
    free(cpu);
    /* numbers as the XML writes them; lists where a value goes refused */
    cpu = run_cpuxml_from_attrs("{'cpu': {'numa_cell': [{'id': 0, 'memory': 1048576}]}}");
    ck_assert_ptr_nonnull(strstr(cpu, "<cell id=\"0\" memory=\"1048576\"/>"));
    free(cpu);
    ck_assert_ptr_null(run_cpuxml_from_attrs("{'cpu': {'mode': ['host-model']}}"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "mode"));
    ck_assert_ptr_null(run_cpuxml_from_attrs("{'cpu': {'numa_cell': [{'memAccess': 'shared'}]}}"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "memAccess"));
    ck_assert_ptr_null(run_cpuxml_from_attrs("[]"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpumem_types");
    TCase *tc = tcase_create("cpumem_types");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cpu_mode_cases);
    tcase_add_test(tc, test_special_cpu);
    tcase_add_test(tc, test_memory_devices);
    tcase_add_test(tc, test_virtual_devices);
    tcase_add_test(tc, test_cpuxml);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
