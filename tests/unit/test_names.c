/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runner/run_name.c: avocado-vt's test name from a case's _short_name_map_file (the
 * JSON the config engine writes, read without a JSON library because the lean front
 * links it), the config stem, and the set that finds names several cases share. */
#include "lib/strbuf.h"
#include "runner/run_name.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static void expect_get(const char *json, const char *key, const char *want)
{
    char *got = run_name_map_get(json, key);
    if (!want)
        ck_assert_msg(got == NULL, "%s[%s] = '%s', want absent", json, key, got);
    else
        ck_assert_msg(got && !strcmp(got, want), "%s[%s] = '%s', want '%s'", json, key,
                      got ? got : "(absent)", want);
    free(got);
}

START_TEST(test_subtests_entry_is_the_name_else_the_shortname)
{
    char *n = run_name_avocado("{\"guest-os.cfg\": \"Guest.Linux.JeOS.27.x86_64\", "
                               "\"subtests.cfg\": \"type_specific.io-github-autotest-qemu."
                               "migrate.default.tcp.default\", \"tests.cfg\": \"q\"}",
                               "qcow2.virtio_blk.migrate.tcp");
    ck_assert_str_eq(n, "type_specific.io-github-autotest-qemu.migrate.default.tcp.default");
    free(n);
    n = run_name_avocado("{\"top.cfg\": \"a.b\"}", "a.b.short");
    ck_assert_str_eq(n, "a.b.short");
    free(n);
    n = run_name_avocado(NULL, "short");
    ck_assert_str_eq(n, "short");
    free(n);
    /* an empty subtests.cfg part names nothing: the shortname */
    n = run_name_avocado("{\"subtests.cfg\": \"\"}", "short");
    ck_assert_str_eq(n, "short");
    free(n);
}
END_TEST

START_TEST(test_map_strings_are_decoded_as_json)
{
    expect_get("{\"a\": \"x\\\"y\\\\z\\/\"}", "a", "x\"y\\z/");
    expect_get("{\"a\": \"tab\\there\\nnl\"}", "a", "tab\there\nnl");
    expect_get("{\"a\": \"\\u00e9t\\u00e9\"}", "a", "\xc3\xa9t\xc3\xa9");
    expect_get("{\"a\": \"\\ud83d\\ude00\"}", "a", "\xf0\x9f\x98\x80");
    expect_get("{\"caf\\u00e9.cfg\": \"v\"}", "caf\xc3\xa9.cfg", "v");
    expect_get(" { \"a\" : \"1\" , \"b\" : \"2\" } ", "b", "2");
    expect_get("{\"a\": \"1\"}", "b", NULL);
    expect_get("{}", "a", NULL);
    /* not a map of strings: nothing, never a crash */
    expect_get("", "a", NULL);
    expect_get("[\"a\"]", "a", NULL);
    expect_get("{\"a\": 1}", "a", NULL);
    expect_get("{\"a\": \"unterminated", "a", NULL);
    expect_get("{\"a\": \"bad \\q escape\"}", "a", NULL);
    expect_get("{\"a\": \"\\u12\"}", "a", NULL);
    expect_get("{\"b\": \"1\" \"a\": \"2\"}", "a", NULL);
}
END_TEST

START_TEST(test_stem_is_the_file_name_without_cfg)
{
    static const char *const cases[][2] = {
        { "examples/migrate_stress.cfg", "migrate_stress" },
        { "/a/b/tests.cfg", "tests" },
        { "top", "top" },
        { "dir/a.cfg", "a" },
        { "x.cfg.bak", "x.cfg.bak" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = run_name_stem(cases[i][0]);
        ck_assert_str_eq(s, cases[i][1]);
        free(s);
    }
}
END_TEST

START_TEST(test_name_set_finds_every_repeat)
{
    struct run_name_set *s = run_name_set_new();
    unsigned repeats = 0;
    for (unsigned i = 0; i < 3000; i++) {
        char *n = xasprintf("type_specific.case_%u", i % 1000);
        repeats += !run_name_set_add(s, n);
        free(n);
    }
    ck_assert_uint_eq(repeats, 2000);
    ck_assert(run_name_set_add(s, "new"));
    ck_assert(!run_name_set_add(s, "new"));
    run_name_set_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("names");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, test_subtests_entry_is_the_name_else_the_shortname);
    tcase_add_test(tc, test_map_strings_are_decoded_as_json);
    tcase_add_test(tc, test_stem_is_the_file_name_without_cfg);
    tcase_add_test(tc, test_name_set_finds_every_repeat);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
