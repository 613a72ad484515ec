/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg/: filters, only/no, conditions and variants blocks (SYNTAX.md sections 4.2-4.4,
 * 5 and the matching items of 15/16), one test per behaviour.
 */
#include "tests/support.h"

/* Three unnamed blocks: names p.x.a ... q.y.b (last block outermost). */
#define THREE_BLOCKS "variants:\n    - a:\n    - b:\n" \
                     "variants:\n    - x:\n    - y:\n" \
                     "variants:\n    - p:\n    - q:\n"

/* ---- 5. filter grammar ------------------------------------------------------------ */

START_TEST(test_filter_comma_is_or)
{
    ts_expand_stmts(THREE_BLOCKS, "only a..x..p, b..y..q", NULL);
    ts_expect_names("p.x.a", "q.y.b", NULL);
}
END_TEST

START_TEST(test_filter_blank_is_or)
{
    ts_expand_stmts(THREE_BLOCKS, "only a..x..p   b..y..q", NULL);
    ts_expect_names("p.x.a", "q.y.b", NULL);
}
END_TEST

START_TEST(test_filter_double_dot_is_and_in_any_order)
{
    ts_expand_stmts(THREE_BLOCKS, "only b..q", "only y..q..b", NULL);
    ts_expect_names("q.y.b", NULL);
    ts_expand_stmts(THREE_BLOCKS, "only q..a", NULL);
    ts_expect_names("q.x.a", "q.y.a", NULL);
}
END_TEST

START_TEST(test_filter_dot_needs_adjacent_labels_in_name_order)
{
    ts_expand_stmts(THREE_BLOCKS, "only q.y", NULL);
    ts_expect_names("q.y.a", "q.y.b", NULL);
    ts_expand_stmts(THREE_BLOCKS, "only y.q", NULL);
    ts_expect_no_cases();
    ts_expand_stmts(THREE_BLOCKS, "only p.a", NULL);
    ts_expect_no_cases();
    ts_expand_stmts(THREE_BLOCKS, "only p.x.a", NULL);
    ts_expect_names("p.x.a", NULL);
}
END_TEST

START_TEST(test_filter_chains_in_a_term_may_overlap)
{
    ts_expand_stmts(THREE_BLOCKS, "only p.x..x.a", NULL);
    ts_expect_names("p.x.a", NULL);
}
END_TEST

START_TEST(test_filter_parenthesized_plain_atom_is_the_atom)
{
    ts_expand_stmts(THREE_BLOCKS, "only (a)..(q)", NULL);
    ts_expect_names("q.x.a", "q.y.a", NULL);
}
END_TEST

START_TEST(test_filter_plain_atom_matches_named_label_by_value)
{
    ts_expand_stmts("variants guest:\n    - linux:\n    - windows:\n"
                 "variants host:\n    - linux:\n    - rhel:\n",
                 "only windows", NULL);
    ts_expect_names("(host=linux).(guest=windows)", "(host=rhel).(guest=windows)", NULL);
}
END_TEST

START_TEST(test_filter_named_atom_matches_only_its_block)
{
    ts_expand_stmts("variants guest:\n    - linux:\n    - windows:\n"
                 "variants host:\n    - linux:\n    - rhel:\n",
                 "no (guest=windows)..(host=linux)", "only (guest=linux)", NULL);
    ts_expect_names("(host=linux).(guest=linux)", "(host=rhel).(guest=linux)", NULL);
}
END_TEST

START_TEST(test_filter_named_atom_allows_blanks_inside_parentheses)
{
    ts_expand_stmts("variants v1:\n    - a:\n    - b:\n",
                 "only ( v1 = b )", NULL);
    ts_expect_names("(v1=b)", NULL);
}
END_TEST

START_TEST(test_filter_named_atom_value_may_be_a_quoted_string)
{
    ts_expand_stmts("variants v1:\n    - a:\n    - b:\n",
                 "only (v1=\"a\")", NULL);
    ts_expect_names("(v1=a)", NULL);
}
END_TEST

START_TEST(test_filter_atom_does_not_match_block_name)
{
    ts_expand_stmts("variants guest:\n    - linux:\n", "only guest", NULL);
    ts_expect_no_cases();
}
END_TEST

START_TEST(test_filter_trailing_dots_are_ignored)
{
    ts_expand_stmts(THREE_BLOCKS, "only a.", "no (q)..x..", NULL);
    ts_expect_names("p.x.a", "p.y.a", "q.y.a", NULL);
}
END_TEST

START_TEST(test_filter_trailing_comma_is_accepted)
{
    ts_expand_stmts(THREE_BLOCKS, "only a,", "no p.x.a,", NULL);
    ts_expect_names("p.y.a", "q.x.a", "q.y.a", NULL);
}
END_TEST

START_TEST(test_filter_triple_dot_is_an_error)
{
    ts_expand(THREE_BLOCKS "only a...b\n");
    ts_expect_parse_error("t.cfg:10:");
}
END_TEST

START_TEST(test_filter_blank_before_comma_is_an_error)
{
    ts_expand(THREE_BLOCKS "only a , b\n");
    ts_expect_parse_error("t.cfg:10:");
}
END_TEST

START_TEST(test_filter_leading_comma_or_dot_is_an_error)
{
    ts_expand("only ,a\n");
    ts_expect_parse_error("t.cfg:1:");
    ts_expand("x = 1\nno .a\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_filter_double_comma_is_an_error)
{
    ts_expand("only a,,b\n");
    ts_expect_parse_error("t.cfg:1:");
}
END_TEST

START_TEST(test_filter_values_compare_as_whole_words)
{
    ts_expand_stmts("variants:\n    - 8:\n    - 8devel:\nvariants:\n    - RHEL:\n",
                 "only RHEL.8", NULL);
    ts_expect_names("RHEL.8", NULL);
}
END_TEST

START_TEST(test_filter_chain_spans_labels_of_dotted_item)
{
    static const char cfg[] = "variants ver:\n    - 7.9:\n    - 8.0:\n    - 8.10:\n"
                              "variants:\n    - RHEL:\n    - Fedora:\n";
    ts_expand_stmts(cfg, "only RHEL.8", NULL);
    ts_expect_names("RHEL.(ver=8).(ver=0)", "RHEL.(ver=8).(ver=10)", NULL);
    ts_expand_stmts(cfg, "only 0", NULL);
    ts_expect_names("RHEL.(ver=8).(ver=0)", "Fedora.(ver=8).(ver=0)", NULL);
    ts_expand_stmts(cfg, "only 9.Fedora", NULL);
    ts_expect_no_cases();
}
END_TEST

START_TEST(test_filter_ignores_at_marker)
{
    ts_expand_stmts("variants:\n    - @Linux:\n    - Windows:\n", "only Linux", NULL);
    ts_expect_names("Linux", NULL);
}
END_TEST

START_TEST(test_filter_never_matches_parameter_values)
{
    ts_expand_stmts("variants:\n    - @hidden:\n        k = value\n    - shown:\n"
                 "variants v:\n    - p:\n",
                 "only value", NULL);
    ts_expect_no_cases();
}
END_TEST

/* ---- 4.2 only / no ------------------------------------------------------------------ */

START_TEST(test_only_drops_unmatched_cases)
{
    ts_expand(THREE_BLOCKS "only x\n");
    ts_expect_names("p.x.a", "p.x.b", "q.x.a", "q.x.b", NULL);
}
END_TEST

START_TEST(test_no_drops_matched_cases)
{
    ts_expand(THREE_BLOCKS "no x\nno q..b\n");
    ts_expect_names("p.y.a", "p.y.b", "q.y.a", NULL);
}
END_TEST

START_TEST(test_every_only_on_the_path_must_match)
{
    ts_expand(THREE_BLOCKS "only a, b\nonly q\nonly y\n");
    ts_expect_names("q.y.a", "q.y.b", NULL);
}
END_TEST

START_TEST(test_top_level_only_before_blocks_applies_to_all)
{
    ts_expand("only b\n"
           "variants:\n    - a:\n    - b:\n"
           "variants:\n    - x:\n    - y:\n");
    ts_expect_names("x.b", "y.b", NULL);
}
END_TEST

START_TEST(test_only_inside_item_sees_labels_of_later_blocks)
{
    ts_expand("only b, y, z\n"
           "variants:\n"
           "    - a:\n"
           "        only x\n"
           "    - b:\n"
           "        no y..d\n"
           "variants:\n"
           "    - x:\n"
           "    - y:\n"
           "        variants:\n"
           "            - c:\n"
           "            - d:\n"
           "    - z:\n"
           "        only a\n");
    ts_expect_names("x.b", "y.c.b", NULL);
}
END_TEST

START_TEST(test_only_inside_item_applies_to_that_item_only)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "        only p\n"
           "    - b:\n"
           "variants:\n    - p:\n    - q:\n");
    ts_expect_names("p.a", "p.b", "q.b", NULL);
}
END_TEST

/* ---- 4.3 conditions ------------------------------------------------------------------ */

START_TEST(test_condition_applies_body_when_name_matches)
{
    ts_expand("x = base\n"
           "a:\n"
           "    x += _a\n"
           "variants:\n    - a:\n    - b:\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_val(0, "x", "base_a");
    ts_expect_val(1, "x", "base");
}
END_TEST

START_TEST(test_negative_condition_applies_when_name_does_not_match)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "!a:\n"
           "    x = not_a\n"
           "!b: y = not_b\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_absent(0, "x");
    ts_expect_val(0, "y", "not_b");
    ts_expect_val(1, "x", "not_a");
    ts_expect_absent(1, "y");
}
END_TEST

START_TEST(test_condition_same_line_statement_continues_on_deeper_lines)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "variants:\n    - p:\n    - q:\n"
           "a..p: y = 1\n"
           "    z = 2\n"
           "w = 3\n");
    ts_expect_names("p.a", "p.b", "q.a", "q.b", NULL);
    ts_expect_val(0, "y", "1");
    ts_expect_val(0, "z", "2");
    for (size_t i = 1; i < 4; i++) {
        ts_expect_absent(i, "y");
        ts_expect_absent(i, "z");
    }
    for (size_t i = 0; i < 4; i++)
        ts_expect_val(i, "w", "3");
}
END_TEST

START_TEST(test_condition_can_hold_only_and_no)
{
    ts_expand("a:\n"
           "    only p\n"
           "b:\n"
           "    no q\n"
           "variants:\n    - a:\n    - b:\n    - c:\n"
           "variants:\n    - p:\n    - q:\n");
    ts_expect_names("p.a", "p.b", "p.c", "q.c", NULL);
}
END_TEST

START_TEST(test_conditions_nest)
{
    ts_expand("x = base\n"
           "a:\n"
           "    x += _a\n"
           "    p:\n"
           "        x += _ap\n"
           "    !p:\n"
           "        x += _anotp\n"
           "variants:\n    - a:\n    - b:\n"
           "variants:\n    - p:\n    - q:\n");
    ts_expect_names("p.a", "p.b", "q.a", "q.b", NULL);
    ts_expect_val(0, "x", "base_a_ap");
    ts_expect_val(1, "x", "base");
    ts_expect_val(2, "x", "base_a_anotp");
    ts_expect_val(3, "x", "base");
}
END_TEST

START_TEST(test_condition_body_applies_at_its_textual_place)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "x = 1\n"
           "a: x += 2\n"
           "x += 3\n");
    ts_expect_val(0, "x", "123");
    ts_expect_val(1, "x", "13");
}
END_TEST

START_TEST(test_variants_inside_condition_is_an_error)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "a:\n"
           "    variants:\n"
           "        - x:\n");
    ts_expect_parse_error("t.cfg:4:");
}
END_TEST

START_TEST(test_join_inside_condition_fails_when_reached)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "    - b:\n"
           "variants:\n"
           "    - x:\n"
           "        b:\n"
           "            join a\n");
    ts_expect_expand_error(1, "t.cfg:7:");
    ck_assert_str_eq(ts_cases.names[0], "x.a");
}
END_TEST

START_TEST(test_blanks_are_not_or_in_condition)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "a b:\n"
           "    x = 1\n");
    ts_expect_parse_error("t.cfg:4:");
}
END_TEST

START_TEST(test_blanks_next_to_comma_or_dot_are_ignored_in_condition)
{
    ts_expand("variants:\n    - a:\n    - b:\n    - c:\n"
           "variants:\n    - p:\n    - q:\n"
           "a ,b: x = 1\n"
           "a. .q: y = 1\n");
    ts_expect_names("p.a", "p.b", "p.c", "q.a", "q.b", "q.c", NULL);
    ts_expect_val(0, "x", "1");
    ts_expect_val(1, "x", "1");
    ts_expect_absent(2, "x");
    ts_expect_absent(0, "y");
    ts_expect_val(3, "y", "1");
    ts_expect_absent(4, "y");
}
END_TEST

START_TEST(test_condition_cannot_start_with_parenthesis)
{
    ts_expand("variants:\n    - a:\n"
           "(a):\n"
           "    x = 1\n");
    ts_expect_parse_error("t.cfg:3:");
}
END_TEST

START_TEST(test_named_atom_turns_condition_line_into_assignment)
{
    ts_expand("variants os:\n"
           "    - RHEL:\n"
           "    - Win:\n"
           "(os=RHEL):\n"
           "    x = 1\n"
           "(os=Win): y = 2\n"
           "b..(os=Win):\n"
           "!a..(x=b):\n");
    ts_expect_names("(os=RHEL)", "(os=Win)", NULL);
    for (size_t i = 0; i < 2; i++) {
        /* the later "(os=Win): y = 2" assigns the same key "(os" */
        ts_expect_val(i, "(os", "Win): y = 2");
        ts_expect_val(i, "x", "1");
        ts_expect_absent(i, "y");
        ts_expect_val(i, "b..(os", "Win):");
        ts_expect_val(i, "!a..(x", "b):");
    }
    /* "(os=Win): y = 2": the leftmost "=" splits it */
    ck_assert_ptr_null(params_get(ts_cases.params[0], "(os=Win): y"));
}
END_TEST

START_TEST(test_condition_rest_of_line_must_be_a_statement)
{
    ts_expand("variants:\n    - a:\n"
           "a: plain text here\n");
    ts_expect_parse_error("t.cfg:3:");
}
END_TEST

START_TEST(test_comment_after_condition_colon_is_an_error)
{
    ts_expand("variants:\n    - a:\n"
           "a: # comment\n"
           "    x = 1\n");
    ts_expect_parse_error("t.cfg:3:");
}
END_TEST

START_TEST(test_negation_without_colon_is_an_error)
{
    ts_expand("variants:\n    - a:\n"
           "!a\n");
    ts_expect_error("t.cfg:3:");
}
END_TEST

START_TEST(test_suffix_in_condition_renames_only_when_condition_applies)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "a:\n"
           "    x = 2\n"
           "    suffix _s\n"
           "x = 3\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_val(0, "x_s", "2");
    ts_expect_val(0, "x", "3");
    ts_expect_absent(1, "x_s");
    ts_expect_val(1, "x", "3");
}
END_TEST

/* ---- 4.4 variants blocks ---------------------------------------------------------------- */

START_TEST(test_named_block_labels_print_as_name_equals_value)
{
    ts_expand("variants guest:\n"
           "    - linux:\n"
           "variants host:\n"
           "    - rhel:\n");
    ts_expect_dump("== (host=rhel).(guest=linux)\n"
                "_name_map_file={\"t.cfg\": \"(host=rhel).(guest=linux)\"}\n"
                "_short_name_map_file={\"t.cfg\": \"rhel.linux\"}\n"
                "dep=[]\n"
                "guest=linux\n"
                "host=rhel\n"
                "name=(host=rhel).(guest=linux)\n"
                "shortname=rhel.linux\n"
                "\n");
}
END_TEST

START_TEST(test_named_block_assignment_is_first_operation_of_item)
{
    ts_expand("guest = top\n"
           "variants guest:\n"
           "    - linux:\n"
           "        guest = overwritten-by-body\n"
           "    - windows:\n"
           "        copy = ${guest}\n");
    ts_expect_val(0, "guest", "overwritten-by-body");
    ts_expect_val(1, "guest", "windows");
    ts_expect_val(1, "copy", "windows");
}
END_TEST

START_TEST(test_dotted_item_name_is_several_labels)
{
    ts_expand("variants:\n"
           "    - 8.0:\n"
           "    - 7:\n"
           "variants ver:\n"
           "    - 1.2.3:\n");
    ts_expect_names("(ver=1).(ver=2).(ver=3).8.0", "(ver=1).(ver=2).(ver=3).7", NULL);
    ts_expect_val(0, "ver", "1.2.3");
    ck_assert_str_eq(ts_cases.shorts[0], "1.2.3.8.0");
}
END_TEST

START_TEST(test_double_and_trailing_dots_in_item_name_are_dropped)
{
    ts_expand("variants:\n"
           "    - a..b:\n"
           "    - c.:\n");
    ts_expect_names("a.b", "c", NULL);
}
END_TEST

START_TEST(test_at_item_is_hidden_from_shortname_only)
{
    ts_expand("variants:\n"
           "    - @default:\n"
           "        mode = default\n"
           "    - extra:\n"
           "variants:\n"
           "    - @Guest:\n"
           "        variants:\n"
           "            - @Linux:\n"
           "                variants:\n"
           "                    - JeOS:\n");
    ts_expect_names("Guest.Linux.JeOS.default", "Guest.Linux.JeOS.extra", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "JeOS");
    ck_assert_str_eq(ts_cases.shorts[1], "JeOS.extra");
    ts_expect_val(0, "_short_name_map_file", "{\"t.cfg\": \"Guest.Linux.JeOS.default\"}");
}
END_TEST

START_TEST(test_at_item_without_name_has_no_labels)
{
    ts_expand("variants v:\n"
           "    - @:\n"
           "    - x:\n"
           "variants:\n"
           "    - p:\n");
    ts_expect_names("p", "p.(v=x)", NULL);
    ts_expect_val(0, "v", "");
    ts_expect_val(0, "_name_map_file", "{\"t.cfg\": \"p.\"}");
}
END_TEST

START_TEST(test_default_meta_item_is_hidden_from_shortname)
{
    ts_expand("variants sys [default=lin]:\n"
           "    - win:\n"
           "    - lin:\n");
    ts_expect_names("(sys=win)", "(sys=lin)", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "win");
    ck_assert_str_eq(ts_cases.shorts[1], "");
    ts_expect_val(1, "_short_name_map_file", "{\"t.cfg\": \"lin\"}");
}
END_TEST

START_TEST(test_default_meta_matches_first_item_by_prefix)
{
    ts_expand("variants mt [default=pc]:\n"
           "    - pc.i440fx:\n"
           "    - pc:\n");
    ts_expect_names("(mt=pc).(mt=i440fx)", "(mt=pc)", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "");
    ck_assert_str_eq(ts_cases.shorts[1], "pc");
}
END_TEST

START_TEST(test_default_meta_without_value_is_an_error)
{
    ts_expand("x = 1\n"
           "variants t [default]:\n"
           "    - a:\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_default_meta_naming_missing_item_is_an_error)
{
    ts_expand("variants t [default=zz]:\n"
           "    - a:\n");
    ts_expect_parse_error("t.cfg:");
    ts_expect_error_mentions("zz");
}
END_TEST

START_TEST(test_other_metas_are_ignored)
{
    ts_expand("variants t [foo] [bar=baz qux]:\n"
           "    - a:\n"
           "    - b:\n");
    ts_expect_names("(t=a)", "(t=b)", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "a");
}
END_TEST

START_TEST(test_text_after_variants_colon_is_an_error)
{
    ts_expand("variants: foo\n"
           "    - a:\n");
    ts_expect_parse_error("t.cfg:1:");
}
END_TEST

START_TEST(test_item_body_is_everything_deeper_than_first_item)
{
    ts_expand("variants:\n"
           "        - a:\n"
           "    - b:\n"
           "          x = 1\n");
    ts_expect_names("a", "b", NULL);
    ts_expect_absent(0, "x");
    ts_expect_val(1, "x", "1");
}
END_TEST

START_TEST(test_body_not_deeper_than_first_item_is_an_error)
{
    ts_expand("variants:\n"
           "        - a:\n"
           "    - b:\n"
           "      x = 1\n");
    ts_expect_parse_error("t.cfg:4:");
}
END_TEST

START_TEST(test_items_at_variants_indentation_are_an_error)
{
    ts_expand("variants:\n"
           "- a:\n"
           "- b:\n");
    ts_expect_parse_error("t.cfg:3:");
}
END_TEST

START_TEST(test_item_needs_no_blank_after_dash)
{
    ts_expand("variants:\n"
           "    -a:\n"
           "    -  b:\n");
    ts_expect_names("a", "b", NULL);
}
END_TEST

START_TEST(test_blank_inside_item_name_is_an_error)
{
    ts_expand("variants:\n"
           "    - a b:\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_blank_before_item_colon_is_an_error)
{
    ts_expand("variants:\n"
           "    - a :\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_empty_variants_header_at_end_is_accepted)
{
    ts_expand("a = 1\n"
           "variants:\n");
    ck_assert_uint_eq(ts_cases.n, 1);
    ts_expect_val(0, "a", "1");
    ts_expect_val(0, "name", "");
}
END_TEST

START_TEST(test_statement_after_empty_variants_header_is_an_error)
{
    ts_expand("variants:\n"
           "a = 1\n");
    ts_expect_parse_error("t.cfg:2:");
}
END_TEST

START_TEST(test_items_may_nest_blocks)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "        variants:\n"
           "            - a1:\n"
           "            - a2:\n"
           "        variants:\n"
           "            - n1:\n"
           "    - b:\n");
    ts_expect_names("a.n1.a1", "a.n1.a2", "b", NULL);
}
END_TEST

static Suite *filters_suite(void)
{
    Suite *s = suite_create("cfg_filters");
    TCase *tc = tcase_create("filters");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_filter_comma_is_or);
    tcase_add_test(tc, test_filter_blank_is_or);
    tcase_add_test(tc, test_filter_double_dot_is_and_in_any_order);
    tcase_add_test(tc, test_filter_dot_needs_adjacent_labels_in_name_order);
    tcase_add_test(tc, test_filter_chains_in_a_term_may_overlap);
    tcase_add_test(tc, test_filter_parenthesized_plain_atom_is_the_atom);
    tcase_add_test(tc, test_filter_plain_atom_matches_named_label_by_value);
    tcase_add_test(tc, test_filter_named_atom_matches_only_its_block);
    tcase_add_test(tc, test_filter_named_atom_allows_blanks_inside_parentheses);
    tcase_add_test(tc, test_filter_named_atom_value_may_be_a_quoted_string);
    tcase_add_test(tc, test_filter_atom_does_not_match_block_name);
    tcase_add_test(tc, test_filter_trailing_dots_are_ignored);
    tcase_add_test(tc, test_filter_trailing_comma_is_accepted);
    tcase_add_test(tc, test_filter_triple_dot_is_an_error);
    tcase_add_test(tc, test_filter_blank_before_comma_is_an_error);
    tcase_add_test(tc, test_filter_leading_comma_or_dot_is_an_error);
    tcase_add_test(tc, test_filter_double_comma_is_an_error);
    tcase_add_test(tc, test_filter_values_compare_as_whole_words);
    tcase_add_test(tc, test_filter_chain_spans_labels_of_dotted_item);
    tcase_add_test(tc, test_filter_ignores_at_marker);
    tcase_add_test(tc, test_filter_never_matches_parameter_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("only_no");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_only_drops_unmatched_cases);
    tcase_add_test(tc, test_no_drops_matched_cases);
    tcase_add_test(tc, test_every_only_on_the_path_must_match);
    tcase_add_test(tc, test_top_level_only_before_blocks_applies_to_all);
    tcase_add_test(tc, test_only_inside_item_sees_labels_of_later_blocks);
    tcase_add_test(tc, test_only_inside_item_applies_to_that_item_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("conditions");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_condition_applies_body_when_name_matches);
    tcase_add_test(tc, test_negative_condition_applies_when_name_does_not_match);
    tcase_add_test(tc, test_condition_same_line_statement_continues_on_deeper_lines);
    tcase_add_test(tc, test_condition_can_hold_only_and_no);
    tcase_add_test(tc, test_conditions_nest);
    tcase_add_test(tc, test_condition_body_applies_at_its_textual_place);
    tcase_add_test(tc, test_variants_inside_condition_is_an_error);
    tcase_add_test(tc, test_join_inside_condition_fails_when_reached);
    tcase_add_test(tc, test_blanks_are_not_or_in_condition);
    tcase_add_test(tc, test_blanks_next_to_comma_or_dot_are_ignored_in_condition);
    tcase_add_test(tc, test_condition_cannot_start_with_parenthesis);
    tcase_add_test(tc, test_named_atom_turns_condition_line_into_assignment);
    tcase_add_test(tc, test_condition_rest_of_line_must_be_a_statement);
    tcase_add_test(tc, test_comment_after_condition_colon_is_an_error);
    tcase_add_test(tc, test_negation_without_colon_is_an_error);
    tcase_add_test(tc, test_suffix_in_condition_renames_only_when_condition_applies);
    suite_add_tcase(s, tc);

    tc = tcase_create("variants");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_named_block_labels_print_as_name_equals_value);
    tcase_add_test(tc, test_named_block_assignment_is_first_operation_of_item);
    tcase_add_test(tc, test_dotted_item_name_is_several_labels);
    tcase_add_test(tc, test_double_and_trailing_dots_in_item_name_are_dropped);
    tcase_add_test(tc, test_at_item_is_hidden_from_shortname_only);
    tcase_add_test(tc, test_at_item_without_name_has_no_labels);
    tcase_add_test(tc, test_default_meta_item_is_hidden_from_shortname);
    tcase_add_test(tc, test_default_meta_matches_first_item_by_prefix);
    tcase_add_test(tc, test_default_meta_without_value_is_an_error);
    tcase_add_test(tc, test_default_meta_naming_missing_item_is_an_error);
    tcase_add_test(tc, test_other_metas_are_ignored);
    tcase_add_test(tc, test_text_after_variants_colon_is_an_error);
    tcase_add_test(tc, test_item_body_is_everything_deeper_than_first_item);
    tcase_add_test(tc, test_body_not_deeper_than_first_item_is_an_error);
    tcase_add_test(tc, test_items_at_variants_indentation_are_an_error);
    tcase_add_test(tc, test_item_needs_no_blank_after_dash);
    tcase_add_test(tc, test_blank_inside_item_name_is_an_error);
    tcase_add_test(tc, test_blank_before_item_colon_is_an_error);
    tcase_add_test(tc, test_empty_variants_header_at_end_is_accepted);
    tcase_add_test(tc, test_statement_after_empty_variants_header_is_an_error);
    tcase_add_test(tc, test_items_may_nest_blocks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(filters_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
