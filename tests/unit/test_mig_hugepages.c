/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mig_hugepages: tp-libvirt virsh_migrate's params virsh_migrate_with_HP,
 * virsh_migrate_with_HP_pin, HP_pin_node_count and kernel_hp_file, as the guest's
 * memory backing in the VM spec, and the pages it takes.
 */
#include "migration/mig.h"
#include "lib/err.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct be_vm_spec S;
static struct be_numa_cell cells[2] = { { .cpus = "0" }, { .cpus = "1" } };

static void teardown(void)
{
    free(S.hugepages.nodeset);
    memset(&S, 0, sizeof(S));
}

static void apply(size_t ncells, const struct mig_hp_conf *c)
{
    teardown();
    S = (struct be_vm_spec){ .name = "vm1", .mem_mib = 1024, .numa = ncells ? cells : NULL,
                             .nnuma = ncells };
    ck_assert_msg(mig_hugepages_apply(&S, c) == 0, "%s", err_msg());
}

START_TEST(test_with_hp_backs_all_memory_with_the_default_size)
{
    struct mig_hp_conf c = { .hp = true, .page_kib = 2048 };
    for (size_t n = 0; n <= 2; n++) {
        apply(n, &c);
        ck_assert(S.hugepages.on);
        ck_assert_uint_eq(S.hugepages.page_kib, 0);
        ck_assert_ptr_null(S.hugepages.nodeset);
    }
}
END_TEST

START_TEST(test_pin_names_the_page_size_for_guest_cells)
{
    struct mig_hp_conf c = { .pin = true, .pin_nodes = 2, .page_kib = 2048 };
    apply(2, &c);
    ck_assert(S.hugepages.on);
    ck_assert_uint_eq(S.hugepages.page_kib, 2048);
    ck_assert_str_eq(S.hugepages.nodeset, "0-1");
    /* HP_pin_with_one_numa_node */
    c.pin_nodes = 1;
    apply(2, &c);
    ck_assert_str_eq(S.hugepages.nodeset, "0");
    /* two asked of a one-cell guest (one vCPU): the reference pins the one */
    c.pin_nodes = 2;
    apply(1, &c);
    ck_assert_str_eq(S.hugepages.nodeset, "0");
}
END_TEST

START_TEST(test_pin_without_numa_cells_backs_nothing_as_the_reference)
{
    struct mig_hp_conf c = { .pin = true, .pin_nodes = 2, .page_kib = 2048 };
    apply(0, &c);
    ck_assert(!S.hugepages.on);
    struct mig_hp_conf none = { .page_kib = 2048 };
    apply(2, &none);
    ck_assert(!S.hugepages.on);
}
END_TEST

START_TEST(test_pin_without_a_page_size_is_an_error)
{
    struct mig_hp_conf c = { .pin = true, .pin_nodes = 1 };
    teardown();
    S = (struct be_vm_spec){ .name = "vm1", .mem_mib = 1024, .numa = cells, .nnuma = 1 };
    ck_assert_int_eq(mig_hugepages_apply(&S, &c), -1);
    ck_assert_msg(strstr(err_msg(), "without a page size"), "%s", err_msg());
}
END_TEST

START_TEST(test_page_size_of_kernel_hp_file_and_pages_needed)
{
    ck_assert_uint_eq(mig_hp_file_page_kib("/proc/sys/vm/nr_hugepages"), 0);
    ck_assert_uint_eq(mig_hp_file_page_kib(NULL), 0);
    ck_assert_uint_eq(mig_hp_file_page_kib(
        "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"), 1048576);
    ck_assert_uint_eq(mig_hp_file_page_kib(
        "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"), 2048);
    ck_assert_uint_eq(mig_hp_file_page_kib("/x/hugepages-kB/nr"), 0);
    ck_assert_uint_eq(mig_hp_file_page_kib("/x/hugepages--5kB/nr"), 0);
    struct be_vm_spec s = { .mem_mib = 128 };
    ck_assert_uint_eq(mig_hp_pages(&s, 2048), 65);        /* memory / page + 1 */
    ck_assert_uint_eq(mig_hp_pages(&s, 1048576), 1);
    s.max_mem_kib = 8UL << 20;                            /* the hotplug maximum: not it */
    ck_assert_uint_eq(mig_hp_pages(&s, 2048), 65);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mig_hugepages");
    TCase *tc = tcase_create("backing");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_with_hp_backs_all_memory_with_the_default_size);
    tcase_add_test(tc, test_pin_names_the_page_size_for_guest_cells);
    tcase_add_test(tc, test_pin_without_numa_cells_backs_nothing_as_the_reference);
    tcase_add_test(tc, test_pin_without_a_page_size_is_an_error);
    tcase_add_test(tc, test_page_size_of_kernel_hp_file_and_pages_needed);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
