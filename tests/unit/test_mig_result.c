/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tp-libvirt's verdict on a migration call and the checks after it (migration/mig.h,
 * mig_result.c): status_error, err_msg, "unsupported configuration", states. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

static enum mig_verdict judge(bool status_error, const char *err_msg, bool ok,
                              const char *text, struct strbuf *why)
{
    struct mig_expect e = { .status_error = status_error, .err_msg = err_msg,
                            .cancel_unsupported = true };
    return mig_result_judge(&e, ok, text, why);
}

START_TEST(test_success_expected_is_ok)
{
    struct strbuf why = STRBUF_INIT;
    ck_assert_int_eq(judge(false, NULL, true, NULL, &why), MIG_V_OK);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_failure_unexpected_fails_with_virsh_text)
{
    struct strbuf why = STRBUF_INIT;
    ck_assert_int_eq(judge(false, NULL, false, "error: operation failed: boom", &why),
                     MIG_V_FAIL);
    ck_assert_str_eq(why.buf, "error: operation failed: boom");
    strbuf_release(&why);
}
END_TEST

START_TEST(test_status_error_success_fails)
{
    struct strbuf why = STRBUF_INIT;
    ck_assert_int_eq(judge(true, NULL, true, NULL, &why), MIG_V_FAIL);
    ck_assert_str_eq(why.buf, "Migration success is unexpected result");
    strbuf_release(&why);
}
END_TEST

START_TEST(test_status_error_any_failure_passes_without_err_msg)
{
    struct strbuf why = STRBUF_INIT;
    ck_assert_int_eq(judge(true, NULL, false, "error: x", &why), MIG_V_EXPECTED_FAILURE);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_err_msg_is_a_regex_searched_anywhere)
{
    struct strbuf why = STRBUF_INIT;
    const char *text = "error: Requested operation is not valid: domain 'x' is not running";
    ck_assert_int_eq(judge(true, "domain .* is not running", false, text, &why),
                     MIG_V_EXPECTED_FAILURE);
    ck_assert_int_eq(judge(true, "Failed to connect|not running", false, text, &why),
                     MIG_V_EXPECTED_FAILURE);
    ck_assert_int_eq(judge(true, "^error: Requested", false, text, &why),
                     MIG_V_EXPECTED_FAILURE);
    ck_assert_int_eq(judge(true, "Unsafe migration", false, text, &why), MIG_V_FAIL);
    ck_assert_ptr_nonnull(strstr(why.buf, "Can not find the expected patterns "
                                          "'Unsafe migration' in output 'error: Requested"));
    strbuf_release(&why);
}
END_TEST

START_TEST(test_bad_err_msg_is_an_error_naming_the_param)
{
    struct strbuf why = STRBUF_INIT;
    struct mig_expect e = { .status_error = true, .err_msg = "(unclosed",
                            .err_msg_name = "err_msg_again" };
    ck_assert_int_eq(mig_result_judge(&e, false, "error: x", &why), MIG_V_ERROR);
    ck_assert_ptr_nonnull(strstr(why.buf, "err_msg_again = '(unclosed'"));
    ck_assert_int_eq(mig_regex_check("err_msg", "(unclosed"), -1);
    ck_assert_int_eq(mig_regex_check("err_msg", "a|b"), 0);
    ck_assert_int_eq(mig_regex_check("err_msg", NULL), 0);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_unsupported_configuration_cancels_unless_expected)
{
    struct strbuf why = STRBUF_INIT;
    const char *text = "error: unsupported configuration: NUMA node 1 is unavailable";
    ck_assert_int_eq(judge(false, NULL, false, text, &why), MIG_V_CANCEL);
    ck_assert_str_eq(why.buf, text);
    /* status_error alone does not make it expected: tp-libvirt cancels */
    ck_assert_int_eq(judge(true, NULL, false, text, &why), MIG_V_CANCEL);
    ck_assert_int_eq(judge(true, "Unsafe", false, text, &why), MIG_V_CANCEL);
    /* an err_msg that matches it: it is what the case is about */
    ck_assert_int_eq(judge(true, "unsupported configuration", false, text, &why),
                     MIG_V_EXPECTED_FAILURE);
    /* a type whose reference does not cancel */
    struct mig_expect e = { .status_error = false };
    ck_assert_int_eq(mig_result_judge(&e, false, text, &why), MIG_V_FAIL);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_virsh_error_text)
{
    struct strbuf sb = STRBUF_INIT;
    mig_virsh_error("operation failed: job 'migration out' failed", &sb);
    ck_assert_str_eq(sb.buf, "error: operation failed: job 'migration out' failed");
    mig_virsh_error("", &sb);
    ck_assert_str_eq(sb.buf, "error: migration failed");
    strbuf_release(&sb);
}
END_TEST

static struct mig_after after_ok(void)
{
    return (struct mig_after){
        .dst_state = BE_STATE_RUNNING, .src_state = BE_STATE_SHUTOFF,
        .dst_persistent = true, .flags = BE_MIG_LIVE,
        .want_dst = MIG_DOM_RUNNING, .check_src = true, .want_src = MIG_DOM_SHUTOFF,
        .uptime_before = 10, .uptime_after = 12,
    };
}

START_TEST(test_after_states)
{
    struct strbuf why = STRBUF_INIT;
    struct mig_after a = after_ok();
    ck_assert_int_eq(mig_after_check(&a, &why), 0);
    a.dst_state = BE_STATE_PAUSED;
    ck_assert_int_eq(mig_after_check(&a, &why), -1);
    ck_assert_str_eq(why.buf, "the VM is paused on the destination, expected running");
    a = after_ok();
    a.want_dst = MIG_DOM_NONEXIST;
    a.dst_state = BE_STATE_NONE;
    ck_assert_int_eq(mig_after_check(&a, &why), 0);
    a = after_ok();
    a.src_state = BE_STATE_RUNNING;
    ck_assert_int_eq(mig_after_check(&a, &why), -1);
    ck_assert_str_eq(why.buf, "the VM is running on the source, expected shut off");
    a.check_src = false;
    ck_assert_int_eq(mig_after_check(&a, &why), 0);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_after_words_effects)
{
    struct strbuf why = STRBUF_INIT;
    struct mig_after a = after_ok();
    a.flags |= BE_MIG_PERSISTENT;
    a.dst_persistent = false;
    ck_assert_int_eq(mig_after_check(&a, &why), -1);
    ck_assert_str_eq(why.buf, "VM is not persistent on destination.");
    a = after_ok();
    a.flags |= BE_MIG_UNDEFINE_SOURCE;
    ck_assert_int_eq(mig_after_check(&a, &why), -1);
    ck_assert_str_eq(why.buf, "VM is not undefined on source.");
    a.src_state = BE_STATE_NONE;
    a.want_src = MIG_DOM_NONEXIST;
    ck_assert_int_eq(mig_after_check(&a, &why), 0);
    a = after_ok();
    a.uptime_after = 3;
    ck_assert_int_eq(mig_after_check(&a, &why), -1);
    ck_assert_ptr_nonnull(strstr(why.buf, "uptime went down"));
    a.uptime_before = -1;
    ck_assert_int_eq(mig_after_check(&a, &why), 0);
    strbuf_release(&why);
}
END_TEST

START_TEST(test_state_words)
{
    const struct params_word *w = params_word_find(mig_dom_state_words, "nonexist");
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->value, MIG_DOM_NONEXIST);
    w = params_word_find(mig_dom_state_words, "shut off");
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->value, MIG_DOM_SHUTOFF);
    ck_assert_str_eq(mig_dom_state_name(MIG_DOM_PAUSED), "paused");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mig_result");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_success_expected_is_ok);
    tcase_add_test(tc, test_failure_unexpected_fails_with_virsh_text);
    tcase_add_test(tc, test_status_error_success_fails);
    tcase_add_test(tc, test_status_error_any_failure_passes_without_err_msg);
    tcase_add_test(tc, test_err_msg_is_a_regex_searched_anywhere);
    tcase_add_test(tc, test_bad_err_msg_is_an_error_naming_the_param);
    tcase_add_test(tc, test_unsupported_configuration_cancels_unless_expected);
    tcase_add_test(tc, test_virsh_error_text);
    tcase_add_test(tc, test_after_states);
    tcase_add_test(tc, test_after_words_effects);
    tcase_add_test(tc, test_state_words);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
