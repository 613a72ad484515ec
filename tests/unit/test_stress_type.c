/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virsh_migrate_stress descriptor and its options (runner/type_migrate_stress.c),
 * parsed as the runner parses them before anything starts (run_common_parse,
 * run_type_parse, run_type_check_needs): defaults, derived values, the exact error of
 * each bad value, the needs.  No backend, host or VM is involved: the parsed options
 * are read back through run_param_format(), as debug.log shows them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_type.h"

static const struct run_type *T;
static struct params *P;
static struct run_common C;
static void *O;
static struct strbuf F;     /* the parsed options, "name = value" lines */

static void setup(void)
{
    T = run_type_lookup("virsh_migrate_stress");
    ck_assert_ptr_nonnull(T);
    P = params_new();
    params_set(P, "vms", "vm1 vm2");
    memset(&C, 0, sizeof(C));
    O = NULL;
    strbuf_init(&F, 0);
}

static void teardown(void)
{
    if (O)
        run_type_opts_free(T, O);
    run_common_release(&C);
    strbuf_release(&F);
    params_free(P);
}

/* Parse the case as the runner does; 0 or -1 (err_msg() then names the param). */
static int parse(void)
{
    if (O)
        run_type_opts_free(T, O);
    O = NULL;
    run_common_release(&C);
    memset(&C, 0, sizeof(C));
    if (run_common_parse(P, &C) < 0)
        return -1;
    int rc = run_type_parse(T, P, &C, &O);
    strbuf_reset(&F);
    if (rc == 0)
        run_param_format(T->params, O, &F);
    return rc;
}

static void assert_has(const char *line)
{
    ck_assert_msg(strstr(F.buf, line), "no '%s' in:\n%s", line, F.buf);
}

static void assert_error(const char *key, const char *value, const char *msg)
{
    params_set(P, key, value);
    ck_assert_int_eq(parse(), -1);
    ck_assert_str_eq(err_msg(), msg);
    ck_assert_ptr_null(O);
    params_del(P, key);
}

START_TEST(test_type_is_found_by_name_and_alias)
{
    ck_assert_ptr_eq(run_type_lookup("migrate_stress"), T);
    ck_assert_uint_eq(T->needs.vms, 2);
    ck_assert_uint_eq(T->needs.hosts, 2);
}
END_TEST

/* What the reference's cfg and .py read is declared, in the type's table or in the
 * tables of every case (--list-types prints both). */
START_TEST(test_descriptor_declares_every_param_of_the_issue)
{
    static const char *const names[] = {
        "vms", "main_vm", "migrate_dest_host", "virsh_migrate_desturi", "migration_type",
        "migration_stress_type", "migrate_options", "virsh_migrate_options",
        "virsh_migrate_back", "virsh_migrate_there_and_back", "virsh_migrate_timeout",
        "thread_timeout", "virsh_migrate_dest_state", "start_migration_vms",
        "migration_stress_vms", "migration_stress_host", "migration_stress_remote",
        "stress_tool", "stress_args", "stress-ng_args", "stress_vm_bytes",
        "check_network_accessibility_after_mig", "guest_dmesg_level",
        "expected_guest_dmesg", "pmc_policy", "login_timeout", "ping_count",
        "post_migration_admin", "check_guest_gateway_after_mig",
    };
    const struct run_param *const tables[] = { T->params, run_common_params };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        bool found = false;
        for (size_t t = 0; t < 2 && !found; t++)
            for (const struct run_param *r = tables[t]; r->name && !found; r++)
                found = !strcmp(r->name, names[i])
                        || (r->aliases && strstr(r->aliases, names[i]));
        ck_assert_msg(found, "param %s not declared", names[i]);
    }
}
END_TEST

START_TEST(test_defaults)
{
    ck_assert_int_eq(parse(), 0);
    assert_has("migration_type = orderly\n");
    assert_has("migration_stress_type = \n");
    /* tp-libvirt's .py: virsh_migrate_timeout 60, appended to the options */
    assert_has("migrate_options = --live --p2p --persistent --undefinesource --timeout 60\n");
    assert_has("virsh_migrate_timeout = 60\n");
    assert_has("thread_timeout = 120\n");
    assert_has("virsh_migrate_back = no\n");
    assert_has("virsh_migrate_there_and_back = 1\n");
    assert_has("start_migration_vms = yes\n");
    assert_has("pmc_policy = enforce\n");
    /* issue 17's additions are off unless asked for */
    assert_has("post_migration_admin = no\n");
    assert_has("check_guest_gateway_after_mig = no\n");
    assert_has("virsh_migrate_dest_state = running\n");
    assert_has("check_network_accessibility_after_mig = yes\n");
    assert_has("ping_count = 3\n");
    assert_has("simple_disk_check_after_mig = yes\n");
    assert_has("disk_check_file = /tmp/vtrun_disk_check\n");
    assert_has("guest_dmesg_level = 0\n");
    assert_has("post_check_retries = 3\n");
    assert_has("stress_tool = \n");
    assert_has("stress_args = --cpu 1\n");
    assert_has("stress-ng_args = --cpu 1\n");
    assert_has("stress_vm_bytes = 128M\n");
    assert_has("migration_stress_vms = no\n");
}
END_TEST

START_TEST(test_one_vm_cancels_with_the_reason)
{
    params_set(P, "vms", "vm1");
    ck_assert_int_eq(parse(), 0);
    ck_assert_int_eq(run_type_check_needs(T, &C, 2), -1);
    ck_assert_str_eq(err_msg(), "test type 'virsh_migrate_stress' needs at least 2 VMs in "
                     "'vms', got 1 (vms = 'vm1')");
}
END_TEST

START_TEST(test_one_host_cancels_with_the_reason)
{
    ck_assert_int_eq(parse(), 0);
    ck_assert_int_eq(run_type_check_needs(T, &C, 2), 0);
    ck_assert_int_eq(run_type_check_needs(T, &C, 1), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "needs a source and a destination host"));
}
END_TEST

START_TEST(test_unknown_migrate_option_is_an_error_naming_it)
{
    assert_error("migrate_options", "--live --persistant",
                 "param migrate_options = '--live --persistant': expected virsh migrate flag "
                 "words (migrate options: unknown word '--persistant')");
    assert_error("migrate_options", "--live --postcopy-after-precopy",
                 "param migrate_options = '--live --postcopy-after-precopy': expected virsh "
                 "migrate flag words (migrate options: --postcopy-after-precopy needs "
                 "--postcopy)");
}
END_TEST

/* tp-libvirt's virsh_migrate_stress reads migrate_options; avocado-vt's migration.py
 * falls back to virsh_migrate_options.  The type's own name wins. */
START_TEST(test_migrate_options_win_over_virsh_migrate_options)
{
    params_set(P, "virsh_migrate_options", "--live --persistant");
    params_set(P, "migrate_options", "--live --p2p");
    ck_assert_int_eq(parse(), 0);
    assert_has("migrate_options = --live --p2p --timeout 60\n");
    params_del(P, "migrate_options");
    params_set(P, "virsh_migrate_options", "--live --unsafe");
    ck_assert_int_eq(parse(), 0);
    assert_has("migrate_options = --live --unsafe --timeout 60\n");
}
END_TEST

START_TEST(test_unknown_migration_type_and_stress_type_are_errors)
{
    assert_error("migration_type", "sideways", "param migration_type = 'sideways': expected "
                 "one of orderly, simultaneous, cross, compressed");
    assert_error("migration_stress_type", "vm_dancing", "param migration_stress_type = "
                 "'vm_dancing': expected one of load_vm_booting, load_vms_booting, "
                 "vms_booting");
}
END_TEST

/* The tp-libvirt booting_* and compressed cells (which crash in the reference) parse,
 * derive what they imply and plan; no stress tool needed. */
START_TEST(test_booting_and_compressed_cells_parse_and_plan)
{
    static const char *const cells[][3] = {
        { "compressed", "load_vms_booting", "yes" }, { "orderly", "load_vm_booting", "yes" },
        { "simultaneous", "vms_booting", "no" }, { "cross", "", "yes" },
    };
    params_set(P, "migrate_options", "--live --persistent --postcopy --postcopy-after-precopy");
    params_set(P, "virsh_migrate_back", "yes");
    params_set(P, "virsh_migrate_there_and_back", "5");
    for (size_t i = 0; i < 4; i++) {
        params_set(P, "migration_type", cells[i][0]);
        params_set(P, "migration_stress_type", cells[i][1]);
        ck_assert_msg(parse() == 0, "%s/%s: %s", cells[i][0], cells[i][1], err_msg());
        char *line = xasprintf("start_migration_vms = %s\n", cells[i][2]);
        assert_has(line);
        free(line);
        assert_has(!strcmp(cells[i][0], "compressed")
                   ? "migrate_options = --live --persistent --postcopy --compressed "
                     "--postcopy-after-precopy --timeout 60\n"
                   : "migrate_options = --live --persistent --postcopy "
                     "--postcopy-after-precopy --timeout 60\n");
        assert_has("virsh_migrate_there_and_back = 5\n");
        struct mig_plan plan;
        const struct params_word *w = params_word_find(mig_plan_type_words, cells[i][0]);
        ck_assert_int_eq(mig_plan_build(2, (enum mig_plan_type)w->value, 5, true, &plan), 0);
        ck_assert_uint_eq(plan.nhops, 10);
        mig_plan_free(&plan);
    }
}
END_TEST

START_TEST(test_bad_policy_and_dest_state_are_errors)
{
    assert_error("pmc_policy", "ask",
                 "param pmc_policy = 'ask': expected one of enforce, warn, off");
    assert_error("virsh_migrate_dest_state", "flying", "param virsh_migrate_dest_state = "
                 "'flying': expected one of running, paused, shut off, shutoff");
    params_set(P, "virsh_migrate_dest_state", "shutoff");
    ck_assert_int_eq(parse(), 0);
    assert_has("virsh_migrate_dest_state = shut off\n");
}
END_TEST

/* Values the old code read with a silent fallback are errors now. */
START_TEST(test_numbers_and_words_never_fall_back)
{
    assert_error("virsh_migrate_timeout", "soon", "param virsh_migrate_timeout = 'soon': "
                 "expected a number of seconds >= 0");
    assert_error("thread_timeout", "-1", "param thread_timeout = '-1': expected a number of "
                 "seconds >= 0");
    assert_error("virsh_migrate_there_and_back", "0", "param virsh_migrate_there_and_back = "
                 "'0': expected an integer >= 1");
    assert_error("ping_count", "many", "param ping_count = 'many': expected an integer >= 1");
    assert_error("post_check_retries", "-2", "param post_check_retries = '-2': expected an "
                 "integer >= 0");
    assert_error("guest_dmesg_level", "warn", "param guest_dmesg_level = 'warn': expected an "
                 "integer >= 0");
    assert_error("check_network_accessibility_after_mig", "maybe",
                 "param check_network_accessibility_after_mig = 'maybe': expected yes or no "
                 "(or on/off, true/false)");
    assert_error("start_migration_vms", "1", "param start_migration_vms = '1': expected yes "
                 "or no (or on/off, true/false)");
    assert_error("login_timeout", "abc",
                 "param login_timeout = 'abc': expected a number of seconds >= 0");
}
END_TEST

START_TEST(test_stress_params)
{
    params_set(P, "stress_tool", "stress-ng");
    params_set(P, "stress-ng_args", "--vm 4 --vm-bytes %s");
    params_set(P, "stress_vm_bytes", "half");
    params_set(P, "migration_stress_vms", "yes");
    ck_assert_int_eq(parse(), 0);
    assert_has("stress_tool = stress-ng\n");
    assert_has("stress-ng_args = --vm 4 --vm-bytes %s\n");
    assert_has("stress_vm_bytes = half\n");
    assert_has("migration_stress_vms = yes\n");
    params_set(P, "stress_vm_bytes", "2G");
    ck_assert_int_eq(parse(), 0);
    assert_error("stress_tool", "hammer",
                 "param stress_tool = 'hammer': expected one of stress, stress-ng");
    assert_error("stress_vm_bytes", "lots", "param stress_vm_bytes = 'lots': expected a size "
                 "(128M, 1G), half or shortage ('lots' is not a size (e.g. 128M, 1G, 4096))");
    params_set(P, "expected_guest_dmesg", "[a-");
    ck_assert_int_eq(parse(), -1);
    ck_assert_str_eq(err_msg(), "param expected_guest_dmesg = '[a-': expected a PCRE2 regular "
                     "expression (missing terminating ] for character class at offset 3)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_type");
    TCase *tc = tcase_create("params");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_type_is_found_by_name_and_alias);
    tcase_add_test(tc, test_descriptor_declares_every_param_of_the_issue);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_one_vm_cancels_with_the_reason);
    tcase_add_test(tc, test_one_host_cancels_with_the_reason);
    tcase_add_test(tc, test_unknown_migrate_option_is_an_error_naming_it);
    tcase_add_test(tc, test_migrate_options_win_over_virsh_migrate_options);
    tcase_add_test(tc, test_unknown_migration_type_and_stress_type_are_errors);
    tcase_add_test(tc, test_booting_and_compressed_cells_parse_and_plan);
    tcase_add_test(tc, test_bad_policy_and_dest_state_are_errors);
    tcase_add_test(tc, test_numbers_and_words_never_fall_back);
    tcase_add_test(tc, test_stress_params);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
