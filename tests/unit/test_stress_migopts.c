/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virsh migrate flag words -> backend options (migration/mig.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "migration/mig.h"

START_TEST(test_tp_libvirt_precopy_words_set_live_persistent_autoconverge)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --persistent --auto-converge", &o), 0);
    ck_assert_uint_eq(o.flags, BE_MIG_LIVE | BE_MIG_PERSISTENT | BE_MIG_AUTO_CONVERGE);
    ck_assert(!o.postcopy_after_precopy);
}
END_TEST

START_TEST(test_postcopy_after_precopy_sets_postcopy_and_switch)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --persistent --postcopy --postcopy-after-precopy", &o), 0);
    ck_assert(o.flags & BE_MIG_POSTCOPY);
    ck_assert(o.postcopy_after_precopy);
}
END_TEST

START_TEST(test_every_flag_word_is_known)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse(
        " --live\t--p2p --tunnelled --persistent --undefinesource --unsafe --postcopy "
        "--postcopy-after-precopy --auto-converge --compressed\n", &o), 0);
    ck_assert_uint_eq(o.flags, BE_MIG_LIVE | BE_MIG_P2P | BE_MIG_TUNNELLED
                      | BE_MIG_PERSISTENT | BE_MIG_UNDEFINE_SOURCE | BE_MIG_UNSAFE
                      | BE_MIG_POSTCOPY | BE_MIG_AUTO_CONVERGE | BE_MIG_COMPRESSED);
    struct be_migrate_opts off = { 0 };
    ck_assert_int_eq(mig_opts_parse("--offline --persistent", &off), 0);
    ck_assert_uint_eq(off.flags, BE_MIG_OFFLINE | BE_MIG_PERSISTENT);
}
END_TEST

START_TEST(test_timeout_and_bandwidth_take_values_in_both_spellings)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --timeout 30 --bandwidth 1", &o), 0);
    ck_assert(o.timeout_s == 30);
    ck_assert_uint_eq(o.bandwidth_mib, 1);
    struct be_migrate_opts e = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --timeout=2.5 --bandwidth=64", &e), 0);
    ck_assert(e.timeout_s == 2.5);
    ck_assert_uint_eq(e.bandwidth_mib, 64);
}
END_TEST

START_TEST(test_unknown_word_is_an_error_naming_it)
{
    struct be_migrate_opts o = { .flags = BE_MIG_UNSAFE };
    ck_assert_int_eq(mig_opts_parse("--live --frobnicate --p2p", &o), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "'--frobnicate'"));
    ck_assert_uint_eq(o.flags, BE_MIG_UNSAFE);      /* untouched on error */
}
END_TEST

START_TEST(test_missing_or_bad_values_are_errors)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --timeout", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--timeout needs a value"));
    ck_assert_int_eq(mig_opts_parse("--live --bandwidth fast", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "'fast'"));
    ck_assert_int_eq(mig_opts_parse("--live --timeout 0", &o), -2);
    ck_assert_int_eq(mig_opts_parse("--live --bandwidth -3", &o), -2);
}
END_TEST

START_TEST(test_combinations_virsh_rejects_are_rejected)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --tunnelled", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--tunnelled needs --p2p"));
    ck_assert_int_eq(mig_opts_parse("--live --postcopy-after-precopy", &o), -2);
    ck_assert_int_eq(mig_opts_parse("--live --offline", &o), -2);
    ck_assert_int_eq(mig_opts_parse("--timeout 5", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--timeout needs --live"));
}
END_TEST

START_TEST(test_empty_and_null_mean_no_flags_and_keep_existing)
{
    struct be_migrate_opts o = { .flags = BE_MIG_UNSAFE, .timeout_s = 7 };
    ck_assert_int_eq(mig_opts_parse(NULL, &o), 0);
    ck_assert_int_eq(mig_opts_parse("   ", &o), 0);
    ck_assert_uint_eq(o.flags, BE_MIG_UNSAFE);
    ck_assert(o.timeout_s == 7);
}
END_TEST

START_TEST(test_format_gives_back_the_words)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--postcopy --live --postcopy-after-precopy --timeout 9", &o), 0);
    char *s = mig_opts_format(&o);
    ck_assert_str_eq(s, "--live --postcopy --postcopy-after-precopy --timeout 9");
    struct be_migrate_opts back = { 0 };
    ck_assert_int_eq(mig_opts_parse(s, &back), 0);
    ck_assert_uint_eq(back.flags, o.flags);
    free(s);
}
END_TEST

START_TEST(test_timeout_action_words_choose_what_the_deadline_does)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --timeout 10", &o), 0);
    ck_assert_int_eq(o.timeout_action, BE_TIMEOUT_DEFAULT);     /* vtrun's: abort */
    ck_assert_int_eq(mig_opts_parse("--live --timeout 10 --timeout-suspend", &o), 0);
    ck_assert_int_eq(o.timeout_action, BE_TIMEOUT_SUSPEND);
    struct be_migrate_opts p = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --postcopy --timeout-postcopy --timeout=5", &p), 0);
    ck_assert_int_eq(p.timeout_action, BE_TIMEOUT_POSTCOPY);
    ck_assert(p.timeout_s == 5);
    char *s = mig_opts_format(&p);
    ck_assert_str_eq(s, "--live --postcopy --timeout 5 --timeout-postcopy");
    free(s);
}
END_TEST

START_TEST(test_timeout_action_and_resume_combinations_virsh_rejects)
{
    struct be_migrate_opts o = { 0 };
    ck_assert_int_eq(mig_opts_parse("--live --timeout 9 --timeout-postcopy", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--timeout-postcopy needs --postcopy"));
    ck_assert_int_eq(mig_opts_parse("--live --postcopy --timeout 9 --timeout-suspend "
                                    "--timeout-postcopy", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "exclude each other"));
    ck_assert_int_eq(mig_opts_parse("--live --postcopy-resume", &o), -2);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--postcopy-resume needs --postcopy"));
    ck_assert_int_eq(mig_opts_parse("--live --postcopy --postcopy-resume", &o), 0);
    ck_assert(o.flags & BE_MIG_POSTCOPY_RESUME);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_migopts");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_tp_libvirt_precopy_words_set_live_persistent_autoconverge);
    tcase_add_test(tc, test_postcopy_after_precopy_sets_postcopy_and_switch);
    tcase_add_test(tc, test_every_flag_word_is_known);
    tcase_add_test(tc, test_timeout_and_bandwidth_take_values_in_both_spellings);
    tcase_add_test(tc, test_unknown_word_is_an_error_naming_it);
    tcase_add_test(tc, test_missing_or_bad_values_are_errors);
    tcase_add_test(tc, test_combinations_virsh_rejects_are_rejected);
    tcase_add_test(tc, test_empty_and_null_mean_no_flags_and_keep_existing);
    tcase_add_test(tc, test_format_gives_back_the_words);
    tcase_add_test(tc, test_timeout_action_words_choose_what_the_deadline_does);
    tcase_add_test(tc, test_timeout_action_and_resume_combinations_virsh_rejects);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
