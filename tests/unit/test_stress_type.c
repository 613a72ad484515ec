/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virsh_migrate_stress descriptor and the outcomes its setup decides before any VM
 * exists (runner/type_migrate_stress.c).  The VM set is not needed for these: the
 * test gives a backend name that does not exist, so the real virt_vms_setup() stops
 * with "unknown backend" as soon as setup reaches it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/params.h"
#include "lib/err.h"
#include "runner/run_type.h"
#include "virt/virt.h"

/* The real VM set is reached with a backend that does not exist, so setup stops
 * right there, before any VM work: "reached the VM set" = that error. */
static const struct run_type *T;
static struct params *P;
static struct run_ctx ctx;

#define NO_BACKEND "no-such-backend"

static bool reached_vms(void)
{
    return ctx.reason && strstr(ctx.reason, "unknown backend '" NO_BACKEND "'");
}

static struct run_host hosts[2] = {
    { .name = "hostA", .uri = "qemu+unix:///system?socket=/run/a" },
    { .name = "hostB", .uri = "qemu+unix:///system?socket=/run/b" },
};


static void setup(void)
{
    T = run_type_lookup("virsh_migrate_stress");
    ck_assert_ptr_nonnull(T);
    P = params_new();
    params_set(P, "vms", "vm1 vm2");
    memset(&ctx, 0, sizeof(ctx));
    ctx.params = P;
    ctx.hosts = hosts;
    ctx.nhosts = 2;
    ctx.log = fopen("/dev/null", "w");
    ctx.backend = NO_BACKEND;
}

static void teardown(void)
{
    T->cleanup(&ctx);
    T->cleanup(&ctx);       /* idempotent */
    ck_assert_ptr_null(ctx.data);
    fclose(ctx.log);
    free(ctx.reason);
    free(ctx.fail_type);
    params_free(P);
}

START_TEST(test_type_is_found_by_name_and_alias)
{
    ck_assert_ptr_eq(run_type_lookup("migrate_stress"), T);
    ck_assert(T->needs & RUN_NEEDS_TWO_HOSTS);
}
END_TEST

START_TEST(test_descriptor_documents_every_param_of_the_issue)
{
    static const char *const names[] = {
        "vms", "main_vm", "migrate_dest_host", "virsh_migrate_desturi", "migration_type",
        "migration_stress_type", "migrate_options", "virsh_migrate_options",
        "virsh_migrate_back", "virsh_migrate_there_and_back", "virsh_migrate_timeout",
        "thread_timeout", "virsh_migrate_dest_state", "start_migration_vms",
        "migration_stress_vms", "migration_stress_host", "migration_stress_remote",
        "stress_tool", "<tool>_args", "stress_vm_bytes",
        "check_network_accessibility_after_mig", "guest_dmesg_level",
        "expected_guest_dmesg", "pmc_policy",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        bool found = false;
        for (const struct run_param_doc *d = T->params; d->name; d++)
            if (!strcmp(d->name, names[i]))
                found = true;
        ck_assert_msg(found, "param %s not documented", names[i]);
    }
}
END_TEST

START_TEST(test_one_vm_cancels_with_the_reason)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_int_eq(ctx.status, RUN_CANCEL);
    ck_assert_ptr_nonnull(strstr(ctx.reason, "at least 2 VMs"));
    ck_assert(!reached_vms());
}
END_TEST

START_TEST(test_one_host_cancels_with_the_reason)
{
    ctx.nhosts = 1;
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_int_eq(ctx.status, RUN_CANCEL);
    ck_assert_ptr_nonnull(strstr(ctx.reason, "destination host"));
}
END_TEST

START_TEST(test_unknown_migrate_option_is_a_config_error_naming_it)
{
    params_set(P, "migrate_options", "--live --persistant");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_int_eq(ctx.status, RUN_ERROR);
    ck_assert_str_eq(ctx.fail_type, "ConfigError");
    ck_assert_ptr_nonnull(strstr(ctx.reason, "'--persistant'"));
    ck_assert(!reached_vms());
}
END_TEST

START_TEST(test_virsh_migrate_options_win_over_migrate_options)
{
    params_set(P, "virsh_migrate_options", "--live --p2p");
    params_set(P, "migrate_options", "--live --persistant");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_str_eq(ctx.fail_type, "VMSetupError");      /* got past the options */
    ck_assert(reached_vms());
}
END_TEST

START_TEST(test_unknown_migration_type_and_stress_type_are_config_errors)
{
    params_set(P, "migration_type", "sideways");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_ptr_nonnull(strstr(ctx.reason, "'sideways'"));
    T->cleanup(&ctx);
    free(ctx.reason);
    free(ctx.fail_type);
    ctx.reason = ctx.fail_type = NULL;
    ctx.status = RUN_PASS;
    params_set(P, "migration_type", "orderly");
    params_set(P, "migration_stress_type", "vm_dancing");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_ptr_nonnull(strstr(ctx.reason, "'vm_dancing'"));
}
END_TEST

/* The tp-libvirt booting_* and compressed cells (which crash in the reference) parse
 * and reach the VM set; no stress tool needed. */
START_TEST(test_booting_and_compressed_cells_get_past_setup_checks)
{
    static const char *const cells[][2] = {
        { "compressed", "load_vms_booting" }, { "orderly", "load_vm_booting" },
        { "simultaneous", "vms_booting" }, { "cross", "" },
    };
    for (size_t i = 0; i < 4; i++) {
        params_set(P, "migration_type", cells[i][0]);
        params_set(P, "migration_stress_type", cells[i][1]);
        params_set(P, "migrate_options", "--live --persistent --postcopy --postcopy-after-precopy");
        params_set(P, "virsh_migrate_back", "yes");
        params_set(P, "virsh_migrate_there_and_back", "5");
        ck_assert_int_eq(T->setup(&ctx), -1);
        ck_assert_msg(reached_vms(), "%s/%s: %s", cells[i][0], cells[i][1], ctx.reason);
        ck_assert_str_eq(ctx.fail_type, "VMSetupError");
        T->cleanup(&ctx);
        free(ctx.reason);
        free(ctx.fail_type);
        ctx.reason = ctx.fail_type = NULL;
        ctx.status = RUN_PASS;
    }
}
END_TEST

START_TEST(test_bad_policy_and_dest_state_are_config_errors)
{
    params_set(P, "pmc_policy", "ask");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_ptr_nonnull(strstr(ctx.reason, "pmc_policy"));
    T->cleanup(&ctx);
    free(ctx.reason);
    free(ctx.fail_type);
    ctx.reason = ctx.fail_type = NULL;
    ctx.status = RUN_PASS;
    params_set(P, "pmc_policy", "warn");
    params_set(P, "virsh_migrate_dest_state", "flying");
    ck_assert_int_eq(T->setup(&ctx), -1);
    ck_assert_ptr_nonnull(strstr(ctx.reason, "'flying'"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_type");
    TCase *tc = tcase_create("setup");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_type_is_found_by_name_and_alias);
    tcase_add_test(tc, test_descriptor_documents_every_param_of_the_issue);
    tcase_add_test(tc, test_one_vm_cancels_with_the_reason);
    tcase_add_test(tc, test_one_host_cancels_with_the_reason);
    tcase_add_test(tc, test_unknown_migrate_option_is_a_config_error_naming_it);
    tcase_add_test(tc, test_virsh_migrate_options_win_over_migrate_options);
    tcase_add_test(tc, test_unknown_migration_type_and_stress_type_are_config_errors);
    tcase_add_test(tc, test_booting_and_compressed_cells_get_past_setup_checks);
    tcase_add_test(tc, test_bad_policy_and_dest_state_are_config_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
