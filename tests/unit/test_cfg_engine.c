/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine-level checks of cfg/ that the behaviour suites do not cover: the public API's
 * contracts (names-only iteration, counting, params, cancellation, include confinement)
 * and the error paths' FILE:LINE.  Each test writes its configs into a fresh temporary
 * directory and runs from there.
 */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "tests/support.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *product =
    "x = 1\n"
    "variants:\n"
    "    - a:\n"
    "        x += a\n"
    "    - b:\n"
    "variants v:\n"
    "    - p:\n"
    "    - q:\n"
    "        no b\n";

START_TEST(test_names_only_iteration_yields_the_same_names)
{
    ts_write("t.cfg", product);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct cfg_iter *full = cfg_iter_new(c), *names = cfg_iter_new_names(c);
    const struct cfg_case *k1, *k2;
    int n = 0, r1, r2;
    while ((r1 = cfg_iter_next(full, &k1)) == 1) {
        r2 = cfg_iter_next(names, &k2);
        ck_assert_int_eq(r2, 1);
        ck_assert_str_eq(cfg_case_name(k1), cfg_case_name(k2));
        ck_assert_str_eq(cfg_case_shortname(k1), cfg_case_shortname(k2));
        n++;
    }
    ck_assert_int_eq(r1, 0);
    ck_assert_int_eq(cfg_iter_next(names, &k2), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(cfg_count(c), 3);
    cfg_iter_free(full);
    cfg_iter_free(names);
    cfg_free(c);
}
END_TEST

START_TEST(test_params_hold_strings_and_json_for_lists_and_maps)
{
    ts_write("t.cfg", product);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    ck_assert_int_eq(cfg_iter_next(it, &k), 1);
    struct params *p = cfg_case_params(k);
    ck_assert_str_eq(params_get(p, "name"), "(v=p).a");
    ck_assert_str_eq(params_get(p, "x"), "1a");
    ck_assert_str_eq(params_get(p, "v"), "p");
    ck_assert_str_eq(params_get(p, "dep"), "[]");
    ck_assert_str_eq(params_get(p, "_name_map_file"), "{\"t.cfg\": \"(v=p).a\"}");
    params_free(p);
    struct strbuf sb = STRBUF_INIT;
    cfg_case_dump(k, &sb);
    const char *head = "== (v=p).a\n_name_map_file=";
    ck_assert(strncmp(sb.buf, head, strlen(head)) == 0);
    ck_assert(sb.len >= 2 && sb.buf[sb.len - 1] == '\n' && sb.buf[sb.len - 2] == '\n');
    strbuf_release(&sb);
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

START_TEST(test_statements_apply_after_the_file)
{
    ts_write("t.cfg", product);
    const char *stmts[] = { "only a", "x = set" };
    struct cfg *c = cfg_parse("t.cfg", stmts, 2, NULL);
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    ck_assert_int_eq(cfg_iter_next(it, &k), 1);
    struct params *p = cfg_case_params(k);
    ck_assert_str_eq(params_get(p, "x"), "set");
    params_free(p);
    ck_assert_int_eq(cfg_iter_next(it, &k), 1);
    ck_assert_str_eq(cfg_case_name(k), "(v=q).a");
    ck_assert_int_eq(cfg_iter_next(it, &k), 0);
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

START_TEST(test_huge_product_streams_and_stops_on_cancel)
{
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 40; i++)
        strbuf_addstr(&sb, "variants:\n    - x:\n    - y:\n");
    ts_write("t.cfg", sb.buf);
    strbuf_release(&sb);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    for (int i = 0; i < 100000; i++)
        ck_assert_int_eq(cfg_iter_next(it, &k), 1);
    cfg_cancel = 1;
    int r;
    long n = 0;
    while ((r = cfg_iter_next(it, &k)) == 1)
        ck_assert_int_lt(++n, 10000);
    ck_assert_int_eq(r, -1);
    cfg_cancel = 0;
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

START_TEST(test_expansion_error_names_the_statement_line)
{
    ts_write("t.cfg", "variants:\n    - a:\n        mem = lots\n    - b:\nmem_max = 10\n");
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    ck_assert_int_eq(cfg_iter_next(it, &k), -1);
    ck_assert_msg(strstr(err_msg(), "t.cfg:5:") != NULL, "%s", err_msg());
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

START_TEST(test_missing_include_names_path_and_includer)
{
    ts_write("t.cfg", "a = 1\ninclude nope.cfg\n");
    ck_assert_ptr_null(cfg_parse("t.cfg", NULL, 0, NULL));
    ck_assert_msg(strstr(err_msg(), "t.cfg:2:") && strstr(err_msg(), "nope.cfg"), "%s",
                  err_msg());
}
END_TEST

START_TEST(test_include_cycle_names_the_chain)
{
    ts_write("a.cfg", "include b.cfg\n");
    ts_write("b.cfg", "x = 1\ninclude a.cfg\n");
    ck_assert_ptr_null(cfg_parse("a.cfg", NULL, 0, NULL));
    ck_assert_msg(strstr(err_msg(), "cycle") && strstr(err_msg(), "a.cfg:1 -> b.cfg:2"),
                  "%s", err_msg());
}
END_TEST

START_TEST(test_include_outside_the_root_is_refused)
{
    ck_assert_int_eq(mkdir("in", 0755), 0);
    ts_write("out.cfg", "x = 1\n");
    ts_write("in/t.cfg", "include ../out.cfg\n");
    struct cfg_opts o = { .include_root = "in" };
    ck_assert_ptr_null(cfg_parse("in/t.cfg", NULL, 0, &o));
    ck_assert_msg(strstr(err_msg(), "in/t.cfg:1:"), "%s", err_msg());
    struct cfg *c = cfg_parse("in/t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    cfg_free(c);
}
END_TEST

START_TEST(test_runaway_value_is_an_error_not_a_crash)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "a = xy\n");
    for (int i = 0; i < 40; i++)
        strbuf_addstr(&sb, "a += ${a}\n");
    ts_write("t.cfg", sb.buf);
    strbuf_release(&sb);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    ck_assert_int_eq(cfg_iter_next(it, &k), -1);
    ck_assert_msg(strstr(err_msg(), "t.cfg:"), "%s", err_msg());
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

static char *dump_all(const char *file, bool names_only)
{
    struct cfg *c = cfg_parse(file, NULL, 0, NULL);
    ck_assert_msg(c != NULL, "%s", err_msg());
    struct cfg_iter *it = names_only ? cfg_iter_new_names(c) : cfg_iter_new(c);
    const struct cfg_case *k;
    struct strbuf sb = STRBUF_INIT;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        if (names_only)
            strbuf_addf(&sb, "== %s\n\n", cfg_case_name(k));
        else
            cfg_case_dump(k, &sb);
    }
    strbuf_addf(&sb, "rc=%d\n", r);
    cfg_iter_free(it);
    cfg_free(c);
    return strbuf_detach(&sb, NULL);
}

/* Pruning is an optimisation (SYNTAX 6.3): the walk without it gives the same cases. */
START_TEST(test_pruning_never_changes_the_cases)
{
    static const char *const cfgs[] = {
        "variants:\n    - a:\n        only y..q\n    - b:\n        no x.p\n"
        "variants v:\n    - x:\n    - y:\n        c..p:\n            only q\n"
        "variants:\n    - p:\n    - q:\n        !a: k = 1\n",
        "only (v=x).a, b..q\nvariants:\n    - a:\n    - b:\nvariants v:\n    - x:\n"
        "        variants:\n            - p:\n            - q:\n    - y:\n",
        "no a..c\nvariants:\n    - a.b:\n    - c:\nvariants w:\n    - c:\n        a:\n"
        "            no b\n    - d:\n",
        "variants:\n    - one:\n    - two:\nvariants:\n    - t:\n        join one two\n"
        "    - u:\n        only two\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++) {
        ts_write("t.cfg", cfgs[i]);
        char *pruned = dump_all("t.cfg", false);
        char *names = dump_all("t.cfg", true);
        cfg_debug_noprune = 1;
        char *plain = dump_all("t.cfg", false);
        cfg_debug_noprune = 0;
        ck_assert_str_eq(pruned, plain);
        /* the names-only walk lists the same names */
        struct strbuf n = STRBUF_INIT;
        for (const char *l = pruned; *l; l = strchr(l, '\n') + 1) {
            if (strncmp(l, "== ", 3) == 0 || strncmp(l, "rc=", 3) == 0) {
                strbuf_add(&n, l, (size_t)(strchr(l, '\n') - l + 1));
                if (l[0] == '=')
                    strbuf_addch(&n, '\n');
            }
        }
        ck_assert_str_eq(names, n.buf);
        strbuf_release(&n);
        free(pruned);
        free(names);
        free(plain);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cfg_engine");
    TCase *tc = tcase_create("engine");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_names_only_iteration_yields_the_same_names);
    tcase_add_test(tc, test_params_hold_strings_and_json_for_lists_and_maps);
    tcase_add_test(tc, test_statements_apply_after_the_file);
    tcase_add_test(tc, test_huge_product_streams_and_stops_on_cancel);
    tcase_add_test(tc, test_expansion_error_names_the_statement_line);
    tcase_add_test(tc, test_missing_include_names_path_and_includer);
    tcase_add_test(tc, test_include_cycle_names_the_chain);
    tcase_add_test(tc, test_include_outside_the_root_is_refused);
    tcase_add_test(tc, test_runaway_value_is_an_error_not_a_crash);
    tcase_add_test(tc, test_pruning_never_changes_the_cases);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
