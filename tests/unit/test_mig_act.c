/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/pylit (Python literals) and migration/mig_act (action_during_mig): every value
 * the libvirt migration composition writes (tests/data/actions.txt, taken from
 * `vtrun --dump` of ../shared/corpus/composed/libvirt-migration) reads without error,
 * each form gives what tp-libvirt's eval() gives, and bad values are one error naming
 * the offset or the func.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "migration/mig_act.h"

static struct pylit lit_ok(const char *text)
{
    struct pylit v;
    ck_assert_msg(pylit_parse(text, &v) == 0, "%s: %s", text, err_msg());
    return v;
}

static void lit_bad(const char *text, const char *msg)
{
    struct pylit v;
    ck_assert_msg(pylit_parse(text, &v) < 0, "'%s' was read", text);
    ck_assert_msg(strstr(err_msg(), msg), "'%s': error '%s', expected '%s'", text, err_msg(),
                  msg);
    ck_assert_int_eq(v.kind, PYLIT_NONE);
}

START_TEST(test_strings_as_python_reads_them)
{
    static const struct { const char *text, *want; } rows[] = {
        { "'a'", "a" },
        { "\"iteration: '1'\"", "iteration: '1'" },
        { "\"iteration: \\'1\\'\"", "iteration: '1'" },
        { "'a' \"b\"", "ab" },
        { "'tab\\there'", "tab\there" },
        { "'\\x41\\101\\u00e9'", "AA\xc3\xa9" },
        { "r'\\d+'", "\\d+" },
        { "'\\d'", "\\d" },                 /* unknown escapes stay */
        { "'''x'y'''", "x'y" },
        { "''", "" },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct pylit v = lit_ok(rows[i].text);
        ck_assert_int_eq(v.kind, PYLIT_STR);
        ck_assert_str_eq(v.s, rows[i].want);
        pylit_release(&v);
    }
}
END_TEST

START_TEST(test_containers_numbers_names)
{
    struct pylit v = lit_ok(" [ {'a': 1, \"b\": -2.5, 'c': [True, None, (1, 2,)],}, params ,"
                            " signal.SIGTSTP, params.get('k', 'd'), MigrationTest().do_cancel ]");
    ck_assert_int_eq(v.kind, PYLIT_LIST);
    ck_assert_uint_eq(v.n, 5);
    const struct pylit *d = &v.items[0];
    ck_assert_int_eq(d->kind, PYLIT_DICT);
    ck_assert_uint_eq(d->n, 3);
    ck_assert_int_eq(pylit_get(d, "a")->i, 1);
    ck_assert(pylit_get(d, "b")->f == -2.5);
    ck_assert_uint_eq(pylit_get(d, "c")->n, 3);
    ck_assert(pylit_get(d, "c")->items[0].b);
    ck_assert_ptr_null(pylit_get(d, "zz"));
    ck_assert_str_eq(v.items[1].s, "params");
    ck_assert_str_eq(v.items[2].s, "signal.SIGTSTP");
    ck_assert_int_eq(v.items[3].kind, PYLIT_CALL);
    ck_assert_str_eq(v.items[3].s, "params.get");
    ck_assert_uint_eq(v.items[3].n, 2);
    ck_assert_int_eq(v.items[4].kind, PYLIT_NAME);
    ck_assert_str_eq(v.items[4].s, "MigrationTest().do_cancel");
    struct pylit c;
    pylit_dup(&v, &c);
    pylit_release(&v);
    ck_assert_str_eq(pylit_get(&c.items[0], "c")->items[2].kind == PYLIT_LIST ? "ok" : "no",
                     "ok");
    pylit_release(&c);

    v = lit_ok("'%s --postcopy' % params.get('migrate_main_vm')");
    ck_assert_int_eq(v.kind, PYLIT_FORMAT);
    ck_assert_str_eq(v.items[0].s, "%s --postcopy");
    ck_assert_str_eq(v.items[1].items[0].s, "migrate_main_vm");
    pylit_release(&v);
}
END_TEST

START_TEST(test_bad_literals_name_the_offset)
{
    lit_bad("[1 2]", "at offset 3: expected ',' or ']', got '2'");
    lit_bad("{'a' 1}", "expected ':' after a dict key");
    lit_bad("{'a': 1, 'b'", "expected ':' after a dict key, got the end of the text");
    lit_bad("'open", "the closing quote of a string");
    lit_bad("[,]", "expected a value");
    lit_bad("'a' 'b' c", "expected the end of the value");
    lit_bad("99999999999999999999", "a number in range");
    lit_bad("'\\x4'", "two hex digits");
    lit_bad("'\\0'", "NUL");
    lit_bad("", "expected a value, got the end of the text");
    lit_bad("@", "got '@'");
    /* nesting is bounded: no stack to exhaust */
    char deep[200];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = 0;
    lit_bad(deep, "nested deeper than");
}
END_TEST

static struct mig_actions acts_ok(const char *text)
{
    struct mig_actions a;
    ck_assert_msg(mig_act_parse(text, &a) == 0, "%s: %s", text, err_msg());
    return a;
}

START_TEST(test_every_action_of_the_composition_reads)
{
    FILE *f = fopen("tests/data/actions.txt", "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0, lines = 0, actions = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        line[strcspn(line, "\n")] = 0;
        struct mig_actions a = acts_ok(line);
        ck_assert_uint_gt(a.n, 0);
        for (size_t i = 0; i < a.n; i++)
            ck_assert_str_ne(mig_act_step_name(a.a[i].step), "?");
        actions += a.n;
        lines++;
        mig_act_release(&a);
    }
    free(line);
    fclose(f);
    ck_assert_uint_ge(lines, 100);
    ck_assert_uint_ge(actions, lines);
}
END_TEST

START_TEST(test_each_form_gives_what_eval_gives)
{
    struct params *p = params_new();
    params_set(p, "migrate_main_vm", "vm1");
    struct mig_actions a = acts_ok(
        "[{\"func\": \"libvirt_network.check_established\", \"after_event\": \"iteration: '1'\","
        " \"func_param\": 'params'},"
        " {\"func\": \"virsh.domjobabort\", \"func_param\": \"'%s --postcopy' % "
        "params.get('migrate_main_vm')\", \"need_sleep_time\": \"5\"},"
        " {\"func\": \"MigrationTest().do_cancel\", \"func_param\": \"signal.SIGTSTP\","
        " \"before_event\": \"job-completed\", \"before_pause\": \"yes\"},"
        " {\"func\": \"libvirt_network.check_sockets_statistics\", \"func_param\":"
        " {\"server_ip\": \"1.2.3.4\", \"check_patterns\": \"x\"},"
        " \"wait_for_after_event_timeout\": \"600\"},"
        " {\"func\": \"set_migrate_speed_to_high\", \"func_param\": \"\"}]");
    ck_assert_uint_eq(a.n, 5);
    ck_assert_int_eq(a.a[0].step, MIG_STEP_CHECK_ESTABLISHED);
    ck_assert_int_eq(a.a[0].arg, MIG_ARG_PARAMS);
    ck_assert_str_eq(a.a[0].after_event, "iteration: '1'");
    ck_assert(a.a[0].event_timeout_s == 30);
    ck_assert_int_eq(a.a[1].step, MIG_STEP_JOB_ABORT);
    ck_assert(a.a[1].sleep_s == 5);
    char *t = mig_act_text(&a.a[1], p);
    ck_assert_str_eq(t, "vm1 --postcopy");
    free(t);
    ck_assert_int_eq(a.a[2].arg, MIG_ARG_SIGNAL);
    ck_assert_int_eq(a.a[2].signo, SIGTSTP);
    ck_assert(a.a[2].before_pause);
    ck_assert_str_eq(a.a[2].before_event, "job-completed");
    ck_assert_int_eq(a.a[3].arg, MIG_ARG_DICT);
    ck_assert_str_eq(pylit_get(&a.a[3].dict, "server_ip")->s, "1.2.3.4");
    ck_assert(a.a[3].event_timeout_s == 600);
    ck_assert_int_eq(a.a[4].arg, MIG_ARG_NONE);
    mig_act_release(&a);

    a = acts_ok("libvirt_network.check_established");
    ck_assert_uint_eq(a.n, 1);
    ck_assert_int_eq(a.a[0].arg, MIG_ARG_NONE);
    mig_act_release(&a);
    a = acts_ok("  ");
    ck_assert_uint_eq(a.n, 0);
    mig_act_release(&a);
    params_free(p);
}
END_TEST

static void acts_bad(const char *text, const char *msg)
{
    struct mig_actions a;
    ck_assert_msg(mig_act_parse(text, &a) < 0, "'%s' was read", text);
    ck_assert_msg(strstr(err_msg(), msg), "'%s': error '%s', expected '%s'", text, err_msg(),
                  msg);
    ck_assert_uint_eq(a.n, 0);
    ck_assert_ptr_null(a.a);
}

START_TEST(test_bad_actions_are_one_error_naming_what)
{
    acts_bad("os.system", "unknown func 'os.system'");
    acts_bad("[{\"func\": \"virsh.domjobabort\"}, {\"func\": \"rm_rf\"}]",
             "action 2: unknown func 'rm_rf'");
    acts_bad("[{\"after_event\": \"x\"}]", "action 1: expected a dict with a \"func\"");
    acts_bad("[{\"func\": \"virsh.domjobabort\", \"need_sleep_time\": \"soon\"}]",
             "need_sleep_time: expected seconds");
    acts_bad("[{\"func\": \"virsh.domjobabort\", \"func_param\": \"'%s %s' % params.get('a')\"}]",
             "needs exactly one %s");
    acts_bad("[{\"func\": \"virsh.domjobabort\", \"func_param\": \"__import__('os')\"}]",
             "func 'virsh.domjobabort': func_param: expected params");
    acts_bad("[{\"func\": \"virsh.domjobabort\", \"func_param\": \"vm_name\"}]",
             "unknown name 'vm_name'");
    acts_bad("{\"func\": \"virsh.domjobabort\"}", "expected a function name or a list");
    acts_bad("[{\"func\": \"virsh.domjobabort\"", "at offset");
}
END_TEST

static Suite *act_suite(void)
{
    Suite *s = suite_create("mig_act");
    TCase *tc = tcase_create("pylit");
    tcase_add_test(tc, test_strings_as_python_reads_them);
    tcase_add_test(tc, test_containers_numbers_names);
    tcase_add_test(tc, test_bad_literals_name_the_offset);
    suite_add_tcase(s, tc);
    tc = tcase_create("actions");
    tcase_add_test(tc, test_every_action_of_the_composition_reads);
    tcase_add_test(tc, test_each_form_gives_what_eval_gives);
    tcase_add_test(tc, test_bad_actions_are_one_error_naming_what);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(act_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
