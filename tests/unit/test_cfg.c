/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg/: the Cartesian config language, one test per behaviour of SYNTAX.md sections
 * 1-4 (model, physical lines, lexer, statements and operators).  Filters, conditions
 * and variants blocks: test_cfg_filters.c; names, include, suffix/join, substitution,
 * post-processing, defaults mode and streaming: test_cfg_expand.c.
 * Expected values come from the spec and the reference's golden files.
 */
#include "tests/support.h"

/* ---- 1. model ---------------------------------------------------------------- */

START_TEST(test_later_variants_block_is_outer_loop)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "    - b:\n"
           "variants:\n"
           "    - p:\n"
           "    - q:\n");
    ts_expect_names("p.a", "p.b", "q.a", "q.b", NULL);
}
END_TEST

START_TEST(test_operations_apply_in_textual_order)
{
    ts_expand("x = 0\n"
           "variants:\n"
           "    - a:\n"
           "        x += a\n"
           "    - b:\n"
           "        x += b\n"
           "x += _mid\n"
           "variants:\n"
           "    - p:\n"
           "        x += p\n"
           "    - q:\n"
           "        x += q\n"
           "x += _end\n");
    ts_expect_names("p.a", "p.b", "q.a", "q.b", NULL);
    ts_expect_val(0, "x", "0a_midp_end");
    ts_expect_val(1, "x", "0b_midp_end");
    ts_expect_val(2, "x", "0a_midq_end");
    ts_expect_val(3, "x", "0b_midq_end");
}
END_TEST

START_TEST(test_config_without_variants_is_one_unnamed_case)
{
    ts_expand("a = 1\n");
    ts_expect_dump("== \n"
                "a=1\n"
                "dep=[]\n"
                "name=\n"
                "shortname=\n"
                "\n");
}
END_TEST

START_TEST(test_name_map_keys_appear_with_variants)
{
    ts_expand("variants:\n"
           "    - a:\n");
    ts_expect_dump("== a\n"
                "_name_map_file={\"t.cfg\": \"a\"}\n"
                "_short_name_map_file={\"t.cfg\": \"a\"}\n"
                "dep=[]\n"
                "name=a\n"
                "shortname=a\n"
                "\n");
}
END_TEST

START_TEST(test_dump_sorts_keys_by_code_point)
{
    ts_expand("b = 1\nB = 2\n_x = 3\na = 4\n\xc3\xa9 = 5\nz = 6\n");
    ts_expect_dump("== \n"
                "B=2\n"
                "_x=3\n"
                "a=4\n"
                "b=1\n"
                "dep=[]\n"
                "name=\n"
                "shortname=\n"
                "z=6\n"
                "\xc3\xa9=5\n"
                "\n");
}
END_TEST

START_TEST(test_dump_escapes_json_like_python)
{
    ts_expand("variants:\n"
           "    - a: \n"
           "    - b: a\n");
    ck_assert_uint_eq(ts_cases.n, 2);
    /* no block above b: the dependency is the chain alone */
    ts_expect_val(1, "dep", "[\"a\"]");
    /* the map keys are file names: a quote in one is escaped */
    ts_write("q\"x.cfg", "variants:\n    - c:\n");
    ts_expand_with("q\"x.cfg", NULL, 0, NULL);
    ts_expect_names("c", NULL);
    ts_expect_val(0, "_name_map_file", "{\"q\\\"x.cfg\": \"c\"}");
}
END_TEST

START_TEST(test_filter_only_config_yields_no_cases)
{
    ts_expand("only x\n");
    ts_expect_no_cases();
}
END_TEST

START_TEST(test_empty_config_yields_one_case)
{
    ts_expand("");
    ck_assert_uint_eq(ts_cases.n, 1);
    ts_expect_val(0, "name", "");
}
END_TEST

/* ---- 2. physical lines --------------------------------------------------------- */

START_TEST(test_lf_crlf_and_cr_end_lines)
{
    ts_expand("a = 1\r\nb = 2\rc = 3\nd = 4");
    ts_expect_val(0, "a", "1");
    ts_expect_val(0, "b", "2");
    ts_expect_val(0, "c", "3");
    ts_expect_val(0, "d", "4");
}
END_TEST

START_TEST(test_form_feed_vertical_tab_and_separators_end_lines)
{
    ts_expand("a = 1\fb = 2\vc = 3\x1c" "d = 4\x1d" "e = 5\x1e" "f = 6\n"
           "g = 7\xc2\x85" "h = 8\xe2\x80\xa8" "i = 9\xe2\x80\xa9" "j = 10\n");
    static const char *const keys[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" };
    for (size_t i = 0; i < 10; i++) {
        char want[8];
        snprintf(want, sizeof(want), "%zu", i + 1);
        ts_expect_val(0, keys[i], want);
    }
}
END_TEST

START_TEST(test_trailing_whitespace_is_removed)
{
    ts_expand("spaced   =    lots   of   space   \t \n");
    ts_expect_val(0, "spaced", "lots   of   space");
}
END_TEST

START_TEST(test_tab_expansion_inside_values)
{
    ts_expand("tab = a\tb\tc\n");
    ts_expect_val(0, "tab", "a b       c");
}
END_TEST

START_TEST(test_tabs_indent_to_eight_column_stops)
{
    ts_expand("variants:\n"
           "\t- a:\n"
           "\t\tx = 1\n"
           "        \ty = 2\n"
           "\t- b:\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_val(0, "x", "1");
    ts_expect_val(0, "y", "2");
    ts_expect_absent(1, "x");
}
END_TEST

START_TEST(test_blank_and_whole_line_comments_are_dropped)
{
    ts_expand("\n"
           "# a comment\n"
           "   # an indented comment\n"
           "// a C++ style comment line\n"
           "\t// indented too\n"
           "   \n"
           "a = 1\n");
    ck_assert_uint_eq(params_count(ts_cases.params[0]), 4);
    ts_expect_val(0, "a", "1");
}
END_TEST

START_TEST(test_block_is_lines_indented_strictly_deeper)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "        x = 1\n"
           "    - b:\n"
           "y = 2\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_val(0, "x", "1");
    ts_expect_absent(1, "x");
    ts_expect_val(0, "y", "2");
    ts_expect_val(1, "y", "2");
}
END_TEST

START_TEST(test_indentation_amount_need_not_be_consistent)
{
    ts_expand("variants:\n"
           "        - a:\n"
           "            x = 1\n"
           "              y = 2\n"
           "          z = 3\n"
           "    - b:\n"
           "      - c:\n"
           "            w = 1\n");
    ts_expect_names("a", "b", "c", NULL);
    ts_expect_val(0, "x", "1");
    ts_expect_val(0, "y", "2");
    ts_expect_val(0, "z", "3");
    ts_expect_absent(1, "w");
    ts_expect_val(2, "w", "1");
}
END_TEST

START_TEST(test_unicode_whitespace_indents_by_characters)
{
    /* two no-break spaces (4 bytes) are an indentation of 2: the 3-blank line is deeper */
    ts_expand("variants:\n"
           "\xc2\xa0\xc2\xa0- a:\n"
           "   x = 1\n"
           "  - b:\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_val(0, "x", "1");
}
END_TEST

START_TEST(test_trailing_unicode_whitespace_is_removed)
{
    ts_expand("v = 1\xc2\xa0\xe3\x80\x80\n");
    ts_expect_val(0, "v", "1");
}
END_TEST

/* ---- 3. lexer -------------------------------------------------------------------- */

START_TEST(test_keyword_needs_following_blank)
{
    ts_expand("only_x = 1\nnox = 2\nvariantsx = 3\nincludes = 4\ndelx = 5\n"
           "suffixes = 6\njoint = 7\n");
    ts_expect_val(0, "only_x", "1");
    ts_expect_val(0, "nox", "2");
    ts_expect_val(0, "variantsx", "3");
    ts_expect_val(0, "includes", "4");
    ts_expect_val(0, "delx", "5");
    ts_expect_val(0, "suffixes", "6");
    ts_expect_val(0, "joint", "7");
}
END_TEST

START_TEST(test_keyword_followed_by_operator_is_an_error)
{
    ts_expand("# comment\nno = 1\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_leftmost_operator_splits_assignment)
{
    ts_expand("eq = a=b==c\n"
           "app += x = y\n"
           "k?=v <= w\n");
    ts_expect_val(0, "eq", "a=b==c");
    ts_expect_val(0, "app", "x = y");
    /* "k?=v" : ?= at position 1 is the leftmost operator; no key matches "k" */
    ts_expect_absent(0, "k");
    ts_expect_absent(0, "k?");
}
END_TEST

START_TEST(test_longer_operator_wins_at_same_position)
{
    ts_expand("a = 1\n"
           "a ?+= 2\n"
           "b = 1\n"
           "b ?<= 0\n");
    ts_expect_val(0, "a", "12");
    ts_expect_val(0, "b", "01");
    ts_expect_absent(0, "a ?");
    ts_expect_absent(0, "a ?+");
}
END_TEST

START_TEST(test_assignment_key_may_contain_any_characters)
{
    ts_expand("a key.with (odd) chars = ok\n"
           "star*!key = 1\n");
    ts_expect_val(0, "a key.with (odd) chars", "ok");
    ts_expect_val(0, "star*!key", "1");
}
END_TEST

START_TEST(test_colon_after_operator_keeps_assignment)
{
    ts_expand("url = http://h:80/p\nport = :8080\n");
    ts_expect_val(0, "url", "http://h:80/p");
    ts_expect_val(0, "port", ":8080");
}
END_TEST

START_TEST(test_colon_right_after_operator_is_an_error)
{
    ts_expand("a = 1\nport=:8080\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_colon_before_operator_makes_condition)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "    - b:\n"
           "a: x = 1\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_val(0, "x", "1");
    ts_expect_absent(1, "x");
    ts_expect_absent(0, "a: x");
}
END_TEST

START_TEST(test_empty_key_is_assignable)
{
    ts_expand("= 5\n");
    ts_expect_val(0, "", "5");
}
END_TEST

START_TEST(test_condition_with_operator_body_assigns_empty_key)
{
    ts_expand("variants:\n"
           "    - opt:\n"
           "    - other:\n"
           "opt := 1\n");
    ts_expect_names("opt", "other", NULL);
    ts_expect_val(0, "", "1");
    ts_expect_absent(1, "");
}
END_TEST

START_TEST(test_hash_in_value_is_not_a_comment)
{
    ts_expand("hash = value # not a comment\n");
    ts_expect_val(0, "hash", "value # not a comment");
}
END_TEST

START_TEST(test_inline_comments_after_filters_and_headers)
{
    ts_expand("variants: # header comment\n"
           "    - a: # item comment\n"
           "    - b:\n"
           "only a # filter comment\n"
           "no b # another\n");
    ts_expect_names("a", NULL);
}
END_TEST

START_TEST(test_del_accepts_inline_comment)
{
    ts_expand("x = 1\ny = 2\ndel x # gone\n");
    ts_expect_absent(0, "x");
    ts_expect_val(0, "y", "2");
}
END_TEST

START_TEST(test_comment_after_suffix_is_an_error)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "        suffix _a # comment\n");
    ts_expect_parse_error("t.cfg:3:");
}
END_TEST

START_TEST(test_double_slash_after_statement_is_an_error)
{
    ts_expand("variants: // not a comment here\n"
           "    - a:\n");
    ts_expect_parse_error("t.cfg:1:");
}
END_TEST

START_TEST(test_unicode_letters_make_identifiers)
{
    ts_expand("vmname = k\xc4\xab\xd0\xbc\n"
           "variants:\n"
           "    - caf\xc3\xa9:\n"
           "        x = \xc3\xa9\n"
           "    - ascii:\n"
           "only caf\xc3\xa9\n");
    ts_expect_names("caf\xc3\xa9", NULL);
    ts_expect_val(0, "x", "\xc3\xa9");
    ts_expect_val(0, "vmname", "k\xc4\xab\xd0\xbc");
    ts_expect_val(0, "_name_map_file", "{\"t.cfg\": \"caf\xc3\xa9\"}");
}
END_TEST

START_TEST(test_unexpected_character_is_a_lexer_error)
{
    ts_expand("# bad char\n"
           "variants tests$:\n"
           "    - a:\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_unterminated_quote_is_an_error)
{
    ts_expand("variants:\n"
           "    - \"a:\n");
    ts_expect_error("t.cfg:2:");
}
END_TEST

START_TEST(test_bare_word_is_an_error)
{
    ts_expand("a = 1\n"
           "\n"
           "justaword\n");
    ts_expect_parse_error("t.cfg:3:");
}
END_TEST

START_TEST(test_unknown_operator_prefix_is_a_lexer_error)
{
    ts_expand("variants v +<= x:\n"
           "    - a:\n");
    ts_expect_parse_error("t.cfg:1:");
}
END_TEST

/* ---- 4.1 assignments and operators ------------------------------------------------ */

START_TEST(test_set_replaces_value)
{
    ts_expand("a = 1\na = 2\n");
    ts_expect_val(0, "a", "2");
}
END_TEST

START_TEST(test_append_to_missing_key_starts_empty)
{
    ts_expand("a += x\na += y\n");
    ts_expect_val(0, "a", "xy");
}
END_TEST

START_TEST(test_prepend_adds_in_front)
{
    ts_expand("a = 1\na += 2\na <= 0\nb <= z\n");
    ts_expect_val(0, "a", "012");
    ts_expect_val(0, "b", "z");
}
END_TEST

START_TEST(test_lazy_set_is_immediate)
{
    ts_expand("variants:\n"
           "    - base_set:\n"
           "        foo = bar\n"
           "    - base_unset:\n"
           "variants:\n"
           "    - lazy:\n"
           "        foo ~= baz\n"
           "    - plain:\n"
           "foo ~= qux\n"
           "later = 1\n"
           "later ~= 2\n");
    ts_expect_names("lazy.base_set", "lazy.base_unset", "plain.base_set", "plain.base_unset",
                 NULL);
    ts_expect_val(0, "foo", "bar");
    ts_expect_val(1, "foo", "baz");
    ts_expect_val(2, "foo", "bar");
    ts_expect_val(3, "foo", "qux");
    for (size_t i = 0; i < 4; i++)
        ts_expect_val(i, "later", "1");
}
END_TEST

START_TEST(test_lazy_set_after_del_sets_again)
{
    ts_expand("a = 1\ndel a\na ~= 2\n");
    ts_expect_val(0, "a", "2");
}
END_TEST

START_TEST(test_regex_set_matches_whole_keys)
{
    ts_expand("kill_vm = yes\n"
           "kill_vm_gracefully = yes\n"
           "kill_vm_on_error = yes\n"
           "kill_unresponsive_vms = yes\n"
           "kill_vm.* ?= no\n");
    ts_expect_val(0, "kill_vm", "no");
    ts_expect_val(0, "kill_vm_gracefully", "no");
    ts_expect_val(0, "kill_vm_on_error", "no");
    ts_expect_val(0, "kill_unresponsive_vms", "yes");
}
END_TEST

START_TEST(test_regex_append_and_prepend)
{
    ts_expand("kill_vm_on_error = no\n"
           "kill_unresponsive_vms = yes\n"
           "x = 1\n"
           "kill_unresponsive_vms.* ?+= _x\n"
           ".*_on_error ?<= pre_\n");
    ts_expect_val(0, "kill_unresponsive_vms", "yes_x");
    ts_expect_val(0, "kill_vm_on_error", "pre_no");
    ts_expect_val(0, "x", "1");
}
END_TEST

START_TEST(test_regex_op_without_match_creates_nothing)
{
    ts_expand("a = 1\nnothing_matches.* ?= never\nb ?+= x\n");
    ts_expect_absent(0, "nothing_matches.*");
    ts_expect_absent(0, "b");
    ck_assert_uint_eq(params_count(ts_cases.params[0]), 4);
}
END_TEST

START_TEST(test_regex_key_must_match_to_the_end)
{
    ts_expand("image = a\nimage_size = b\nimg = c\n"
           "image ?= X\n"
           "im.g ?= Y\n");
    ts_expect_val(0, "image", "X");
    ts_expect_val(0, "image_size", "b");
    ts_expect_val(0, "img", "c");
}
END_TEST

START_TEST(test_regex_alternation_anchored_only_on_last_branch)
{
    ts_expand("mem = 1\nmemory = 2\nmem_size = 3\nsmp = 4\nsmpx = 5\nxmem = 6\n"
           "mem|smp ?= Z\n");
    ts_expect_val(0, "mem", "Z");
    ts_expect_val(0, "memory", "Z");
    ts_expect_val(0, "mem_size", "Z");
    ts_expect_val(0, "smp", "Z");
    ts_expect_val(0, "smpx", "5");
    ts_expect_val(0, "xmem", "6");
}
END_TEST

START_TEST(test_regex_op_right_after_plain_run_sees_only_that_run)
{
    /* the plain run is "disk.0 = D" alone: diskX0 was set before another statement */
    ts_expand("diskX0 = old\n"
           "other += 1\n"
           "disk.0 = D\n"
           "disk.0 ?= new\n");
    ts_expect_val(0, "diskX0", "old");
    ts_expect_val(0, "disk.0", "new");
}
END_TEST

START_TEST(test_regex_op_after_other_statement_sees_every_key)
{
    ts_expand("diskX0 = old\n"
           "disk.0 = D\n"
           "other += 1\n"
           "disk.0 ?= new\n");
    ts_expect_val(0, "diskX0", "new");
    ts_expect_val(0, "disk.0", "new");
}
END_TEST

START_TEST(test_del_removes_key)
{
    ts_expand("gone = soon\nkept = 1\ndel gone\ndel never_set\n");
    ts_expect_absent(0, "gone");
    ts_expect_val(0, "kept", "1");
}
END_TEST

START_TEST(test_del_takes_one_identifier)
{
    ts_expand("foo_x = 1\n"
           "del foo_.*\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_reserved_keys_ignore_operations)
{
    ts_expand("name = ignored\n"
           "shortname += ignored\n"
           "dep = ignored\n"
           "variants:\n"
           "    - a:\n"
           "        _name_map_file = x\n"
           "        _short_name_map_file <= x\n"
           "        name ~= x\n"
           "na.* ?= x\n"
           "del name\n"
           "del dep\n");
    ts_expect_dump("== a\n"
                "_name_map_file={\"t.cfg\": \"a\"}\n"
                "_short_name_map_file={\"t.cfg\": \"a\"}\n"
                "dep=[]\n"
                "name=a\n"
                "shortname=a\n"
                "\n");
}
END_TEST

START_TEST(test_one_pair_of_outer_quotes_is_stripped)
{
    ts_expand("q1 = \"double\"\n"
           "q2 = 'single'\n"
           "q3 = \"a\" \"b\"\n"
           "q4 = \"\n"
           "q5 = 'mixed\"\n"
           "q6 = \"\"quoted twice\"\"\n"
           "q7 = \"a\\\"\n");
    ts_expect_val(0, "q1", "double");
    ts_expect_val(0, "q2", "single");
    ts_expect_val(0, "q3", "a\" \"b");
    ts_expect_val(0, "q4", "");
    ts_expect_val(0, "q5", "'mixed\"");
    ts_expect_val(0, "q6", "\"quoted twice\"");
    ts_expect_val(0, "q7", "a\\");
}
END_TEST

START_TEST(test_empty_value_is_empty_string)
{
    ts_expand("empty =\nalso_empty =   \n");
    ts_expect_val(0, "empty", "");
    ts_expect_val(0, "also_empty", "");
}
END_TEST

START_TEST(test_value_keeps_inner_blanks_and_drops_leading_ones)
{
    ts_expand("v =    a   b\n");
    ts_expect_val(0, "v", "a   b");
}
END_TEST

static Suite *cfg_suite(void)
{
    Suite *s = suite_create("cfg");
    TCase *tc = tcase_create("model");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_later_variants_block_is_outer_loop);
    tcase_add_test(tc, test_operations_apply_in_textual_order);
    tcase_add_test(tc, test_config_without_variants_is_one_unnamed_case);
    tcase_add_test(tc, test_name_map_keys_appear_with_variants);
    tcase_add_test(tc, test_dump_sorts_keys_by_code_point);
    tcase_add_test(tc, test_dump_escapes_json_like_python);
    tcase_add_test(tc, test_filter_only_config_yields_no_cases);
    tcase_add_test(tc, test_empty_config_yields_one_case);
    suite_add_tcase(s, tc);

    tc = tcase_create("lines");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_lf_crlf_and_cr_end_lines);
    tcase_add_test(tc, test_form_feed_vertical_tab_and_separators_end_lines);
    tcase_add_test(tc, test_trailing_whitespace_is_removed);
    tcase_add_test(tc, test_tab_expansion_inside_values);
    tcase_add_test(tc, test_tabs_indent_to_eight_column_stops);
    tcase_add_test(tc, test_blank_and_whole_line_comments_are_dropped);
    tcase_add_test(tc, test_block_is_lines_indented_strictly_deeper);
    tcase_add_test(tc, test_indentation_amount_need_not_be_consistent);
    tcase_add_test(tc, test_unicode_whitespace_indents_by_characters);
    tcase_add_test(tc, test_trailing_unicode_whitespace_is_removed);
    suite_add_tcase(s, tc);

    tc = tcase_create("lexer");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_keyword_needs_following_blank);
    tcase_add_test(tc, test_keyword_followed_by_operator_is_an_error);
    tcase_add_test(tc, test_leftmost_operator_splits_assignment);
    tcase_add_test(tc, test_longer_operator_wins_at_same_position);
    tcase_add_test(tc, test_assignment_key_may_contain_any_characters);
    tcase_add_test(tc, test_colon_after_operator_keeps_assignment);
    tcase_add_test(tc, test_colon_right_after_operator_is_an_error);
    tcase_add_test(tc, test_colon_before_operator_makes_condition);
    tcase_add_test(tc, test_empty_key_is_assignable);
    tcase_add_test(tc, test_condition_with_operator_body_assigns_empty_key);
    tcase_add_test(tc, test_hash_in_value_is_not_a_comment);
    tcase_add_test(tc, test_inline_comments_after_filters_and_headers);
    tcase_add_test(tc, test_del_accepts_inline_comment);
    tcase_add_test(tc, test_comment_after_suffix_is_an_error);
    tcase_add_test(tc, test_double_slash_after_statement_is_an_error);
    tcase_add_test(tc, test_unicode_letters_make_identifiers);
    tcase_add_test(tc, test_unexpected_character_is_a_lexer_error);
    tcase_add_test(tc, test_unterminated_quote_is_an_error);
    tcase_add_test(tc, test_bare_word_is_an_error);
    tcase_add_test(tc, test_unknown_operator_prefix_is_a_lexer_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("operators");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_set_replaces_value);
    tcase_add_test(tc, test_append_to_missing_key_starts_empty);
    tcase_add_test(tc, test_prepend_adds_in_front);
    tcase_add_test(tc, test_lazy_set_is_immediate);
    tcase_add_test(tc, test_lazy_set_after_del_sets_again);
    tcase_add_test(tc, test_regex_set_matches_whole_keys);
    tcase_add_test(tc, test_regex_append_and_prepend);
    tcase_add_test(tc, test_regex_op_without_match_creates_nothing);
    tcase_add_test(tc, test_regex_key_must_match_to_the_end);
    tcase_add_test(tc, test_regex_alternation_anchored_only_on_last_branch);
    tcase_add_test(tc, test_regex_op_right_after_plain_run_sees_only_that_run);
    tcase_add_test(tc, test_regex_op_after_other_statement_sees_every_key);
    tcase_add_test(tc, test_del_removes_key);
    tcase_add_test(tc, test_del_takes_one_identifier);
    tcase_add_test(tc, test_reserved_keys_ignore_operations);
    tcase_add_test(tc, test_one_pair_of_outer_quotes_is_stripped);
    tcase_add_test(tc, test_empty_value_is_empty_string);
    tcase_add_test(tc, test_value_keeps_inner_blanks_and_drops_leading_ones);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cfg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
