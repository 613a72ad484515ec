/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cases of the composition the lab's busybox guest cannot give what the reference
 * needs: disk_io_load_in_vm (gcc and fio from the guest's package manager) and
 * no_sufficient_disk_space_on_target (a guest disk with more data than disk_size)
 * CANCEL naming the need; a lab declaring the capability gets the ERROR naming what
 * vtrun does not build.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "runner/run_needs.h"
#include "tests/support.h"

TS_DISPO_FIXTURE(4)

#define ASSERT_DISPO(p, want) TS_ASSERT_DISPO(p, &F, want)

static struct params *cs_case(const char *type)
{
    struct params *p = params_new();
    params_set(p, "type", type);
    params_set(p, "vms", "avocado-vt-vm1");
    params_set(p, "main_vm", "avocado-vt-vm1");
    params_set(p, "virsh_migrate_options", "--live --p2p --verbose");
    params_set(p, "virsh_migrate_extra", "");
    params_set(p, "migrate_desturi_type", "tcp");
    params_set(p, "copy_storage_option", "--copy-storage-all");
    return p;
}

/* disk_io_load_in_vm.copy_storage_all.with_sync_writes.p2p */
START_TEST(test_disk_io_load_needs_a_package_manager)
{
    struct params *p = cs_case("disk_io_load_in_vm");
    params_set(p, "virsh_migrate_extra", "--copy-storage-synchronous-writes");
    ASSERT_DISPO(p, "guest_package_manager");
    caps[0] = "guest_package_manager";
    ASSERT_DISPO(p, "ERROR: tp-libvirt's disk_io_load_in_vm: the guest's disk I/O load");
    params_free(p);
}
END_TEST

/* no_sufficient_disk_space_on_target.copy_storage_all.non_p2p */
START_TEST(test_no_space_needs_a_big_guest_disk)
{
    struct params *p = cs_case("no_sufficient_disk_space_on_target");
    params_set(p, "virsh_migrate_options", "--live --verbose");
    params_set(p, "status_error", "yes");
    params_set(p, "disk_size", "200M");
    params_set(p, "err_msg", "No space left on device");
    ASSERT_DISPO(p, "big_guest_disk");
    caps[0] = "big_guest_disk";
    ASSERT_DISPO(p, "ERROR: no_sufficient_disk_space_on_target: block_path's loop-device");
    params_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("misc2_types");
    TCase *t = tcase_create("types");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_disk_io_load_needs_a_package_manager);
    tcase_add_test(t, test_no_space_needs_a_big_guest_disk);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
