/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mig_numa: tp-libvirt virsh_migrate's guest NUMA layout (create_numa, numa_pin),
 * cell by cell for each vCPU count the reference distinguishes, and its numatune.
 */
#include "migration/mig.h"
#include "lib/err.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct be_vm_spec S;

static void teardown(void)
{
    /* the spec's strings are the test's own literals except what mig_numa added */
    for (size_t i = 0; i < S.nnuma; i++) {
        free(S.numa[i].cpus);
        free(S.numa[i].mode);
        free(S.numa[i].nodeset);
    }
    free(S.numa);
    free(S.numatune.mode);
    free(S.numatune.placement);
    free(S.numatune.nodeset);
    memset(&S, 0, sizeof(S));
}

static void layout(unsigned smp, unsigned max, const struct mig_numa_conf *c)
{
    teardown();
    S = (struct be_vm_spec){ .name = "vm1", .mem_mib = 1024, .smp = smp, .max_vcpus = max };
    ck_assert_msg(mig_numa_apply(&S, c) == 0, "%s", err_msg());
}

static const struct mig_numa_conf cells_only = { .host_nodes = { "0", NULL } };

START_TEST(test_one_vcpu_one_cell_with_all_memory)
{
    layout(1, 0, &cells_only);
    ck_assert_uint_eq(S.nnuma, 1);
    ck_assert_str_eq(S.numa[0].cpus, "0");
    ck_assert_uint_eq(S.numa[0].mem_kib, 1024 * 1024);
    ck_assert_ptr_null(S.numa[0].mode);
    ck_assert_ptr_null(S.numatune.mode);
}
END_TEST

START_TEST(test_more_vcpus_two_cells_halving_vcpus_and_memory)
{
    static const struct { unsigned n; const char *c0, *c1; } rows[] = {
        { 2, "0", "1" }, { 3, "0", "1-2" }, { 4, "0-1", "2-3" }, { 5, "0-1", "2-4" },
        { 8, "0-3", "4-7" },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        layout(rows[r].n, 0, &cells_only);
        ck_assert_uint_eq(S.nnuma, 2);
        ck_assert_str_eq(S.numa[0].cpus, rows[r].c0);
        ck_assert_str_eq(S.numa[1].cpus, rows[r].c1);
        ck_assert_uint_eq(S.numa[0].mem_kib, 512 * 1024);
        ck_assert_uint_eq(S.numa[1].mem_kib, 512 * 1024);
    }
    /* with hotplug the cells cover the maximum, not the vCPUs online at start */
    layout(8, 64, &cells_only);
    ck_assert_str_eq(S.numa[0].cpus, "0-31");
    ck_assert_str_eq(S.numa[1].cpus, "32-63");
}
END_TEST

START_TEST(test_pin_binds_memory_and_each_cell_to_the_host_nodes)
{
    struct mig_numa_conf c = { .pin = true, .memory_mode = "strict",
                               .memnode_mode = { "strict", "interleave" },
                               .host_nodes = { "0", NULL } };
    layout(2, 0, &c);
    ck_assert_str_eq(S.numatune.mode, "strict");
    ck_assert_str_eq(S.numatune.placement, "static");
    ck_assert_str_eq(S.numatune.nodeset, "0");
    ck_assert_str_eq(S.numa[0].mode, "strict");
    ck_assert_str_eq(S.numa[0].nodeset, "0");
    ck_assert_str_eq(S.numa[1].mode, "interleave");
    ck_assert_str_eq(S.numa[1].nodeset, "0");
    /* a two-node host: cell i on node i, the memory on both */
    c.host_nodes[1] = "1";
    layout(2, 0, &c);
    ck_assert_str_eq(S.numatune.nodeset, "0,1");
    ck_assert_str_eq(S.numa[0].nodeset, "0");
    ck_assert_str_eq(S.numa[1].nodeset, "1");
    /* one cell: its memnode takes the first mode and node; unset modes are preferred */
    c.memnode_mode[0] = NULL;
    layout(1, 0, &c);
    ck_assert_str_eq(S.numa[0].mode, "preferred");
    ck_assert_str_eq(S.numa[0].nodeset, "0");
    ck_assert_str_eq(S.numatune.nodeset, "0");
}
END_TEST

START_TEST(test_errors)
{
    struct mig_numa_conf c = { .pin = true, .host_nodes = { "0", NULL } };
    teardown();
    S = (struct be_vm_spec){ .name = "vm1", .mem_mib = 1024, .smp = 2 };
    ck_assert_int_eq(mig_numa_apply(&S, &c), -1);
    ck_assert_msg(strstr(err_msg(), "numatune without a memory mode"), "%s", err_msg());
    layout(2, 0, &cells_only);
    ck_assert_int_eq(mig_numa_apply(&S, &cells_only), -1);
    ck_assert_msg(strstr(err_msg(), "NUMA cells given twice"), "%s", err_msg());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mig_numa");
    TCase *tc = tcase_create("layout");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_one_vcpu_one_cell_with_all_memory);
    tcase_add_test(tc, test_more_vcpus_two_cells_halving_vcpus_and_memory);
    tcase_add_test(tc, test_pin_binds_memory_and_each_cell_to_the_host_nodes);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
