/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg/: expansion — names, deps and file maps (SYNTAX.md 7), include (4.5), suffix and
 * join (8), substitution and _max/_min/_fixed (9), defaults mode (10), statements
 * after the file, and streaming: pruning, counting and cancellation (6).
 */
#include "tests/support.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>

/* ---- 7. name, shortname, dep, file maps ----------------------------------------------- */

START_TEST(test_deps_are_prefixed_with_labels_above_the_item)
{
    ts_expand("variants:\n"
           "    - install:\n"
           "    - boot: install\n"
           "    - reboot: install, boot..x.y\n"
           "variants:\n"
           "    - outer:\n");
    ts_expect_names("outer.install", "outer.boot", "outer.reboot", NULL);
    ts_expect_val(0, "dep", "[]");
    ts_expect_val(1, "dep", "[\"outer.install\"]");
    ts_expect_val(2, "dep", "[\"outer.install\", \"outer.boot\", \"outer.x.y\"]");
}
END_TEST

START_TEST(test_deps_accumulate_from_outer_to_inner_items)
{
    ts_expand("variants:\n"
           "    - inner: dx\n"
           "variants:\n"
           "    - outer: dy\n");
    ts_expect_names("outer.inner", NULL);
    ts_expect_val(0, "dep", "[\"dy\", \"outer.dx\"]");
}
END_TEST

START_TEST(test_name_map_records_the_file_defining_each_item)
{
    ts_write("sub/part.cfg", "variants:\n    - p1:\n    - p2:\n");
    ts_expand("variants:\n"
           "    - with_inc:\n"
           "        include sub/part.cfg\n"
           "    - without:\n");
    ts_expect_names("with_inc.p1", "with_inc.p2", "without", NULL);
    ts_expect_val(0, "_name_map_file", "{\"part.cfg\": \"p1\", \"t.cfg\": \"with_inc\"}");
    ts_expect_val(2, "_name_map_file", "{\"t.cfg\": \"without\"}");
}
END_TEST

START_TEST(test_item_deps_separated_by_blanks)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "    - b:\n"
           "    - c: a b\n");
    ts_expect_val(2, "dep", "[\"a\", \"b\"]");
}
END_TEST

START_TEST(test_name_map_shares_entry_of_files_with_same_basename)
{
    ts_write("d1/x.cfg", "variants:\n    - p:\n");
    ts_write("d2/x.cfg", "variants:\n    - q:\n");
    ts_expand("include d1/x.cfg\ninclude d2/x.cfg\n");
    ts_expect_names("q.p", NULL);
    ts_expect_val(0, "_name_map_file", "{\"x.cfg\": \"q.p\"}");
}
END_TEST

START_TEST(test_name_map_of_statement_strings_uses_string_file_name)
{
    static const char *const stmts[] = { "variants:\n    - s1:\n    - s2:\n" };
    ts_write("t.cfg", "variants:\n    - a:\n");
    ts_expand_with("t.cfg", stmts, 1, NULL);
    ts_expect_names("s1.a", "s2.a", NULL);
    ts_expect_val(0, "_name_map_file", "{\"<string>\": \"s1\", \"t.cfg\": \"a\"}");
}
END_TEST

START_TEST(test_short_name_map_uses_plain_values)
{
    ts_expand("variants v:\n    - a:\nvariants:\n    - @b:\n");
    ts_expect_names("b.(v=a)", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "a");
    ts_expect_val(0, "_short_name_map_file", "{\"t.cfg\": \"b.a\"}");
}
END_TEST

START_TEST(test_case_params_keep_assignment_order)
{
    ts_expand("zeta = 1\nalpha = 2\nmid = 3\nzeta = 4\n");
    struct params *p = ts_cases.params[0];
    long iz = -1, ia = -1, im = -1;
    for (size_t i = 0; i < params_count(p); i++) {
        const char *k = params_key_at(p, i);
        if (!strcmp(k, "zeta"))
            iz = (long)i;
        else if (!strcmp(k, "alpha"))
            ia = (long)i;
        else if (!strcmp(k, "mid"))
            im = (long)i;
    }
    ck_assert(iz >= 0 && iz < ia && ia < im);
    ts_expect_val(0, "zeta", "4");
}
END_TEST

/* ---- 4.5 include ------------------------------------------------------------------------ */

START_TEST(test_include_is_relative_to_the_including_file)
{
    ts_write("sub/tail.cfg", "tail = yes\ninclude leaf.cfg\n");
    ts_write("sub/leaf.cfg", "leaf = resolved-relative-to-sub\n");
    ts_write("leaf.cfg", "leaf = wrong-directory\n");
    ts_expand("top = main\ninclude sub/tail.cfg\n");
    ts_expect_val(0, "tail", "yes");
    ts_expect_val(0, "leaf", "resolved-relative-to-sub");
}
END_TEST

START_TEST(test_include_inside_item_body_may_open_variants)
{
    ts_write("part.cfg", "# own indentation starts at zero\n"
                           "part = yes\n"
                           "variants:\n"
                           "    - p1:\n"
                           "    - p2:\n");
    ts_expand("variants:\n"
           "    - with_inc:\n"
           "        include part.cfg\n"
           "        after = 1\n"
           "    - without:\n");
    ts_expect_names("with_inc.p1", "with_inc.p2", "without", NULL);
    ts_expect_val(0, "part", "yes");
    ts_expect_val(1, "after", "1");
    ts_expect_absent(2, "part");
}
END_TEST

START_TEST(test_include_in_statement_resolves_from_cwd)
{
    ts_write("inc.cfg", "from_cwd = yes\n");
    ts_write("sub/inc.cfg", "from_cwd = no\n");
    ts_write("sub/t.cfg", "a = 1\n");
    static const char *const stmts[] = { "include inc.cfg" };
    ts_expand_with("sub/t.cfg", stmts, 1, NULL);
    ts_expect_val(0, "from_cwd", "yes");
}
END_TEST

START_TEST(test_include_expands_tilde)
{
    ck_assert_int_eq(setenv("HOME", ts_cfg_dir, 1), 0);
    ts_write("home.cfg", "from_home = yes\n");
    ts_expand("include ~/home.cfg\n");
    ts_expect_val(0, "from_home", "yes");
}
END_TEST

START_TEST(test_include_path_is_the_rest_of_line_verbatim)
{
    ts_write("x.cfg # not a comment", "odd = yes\n");
    ts_expand("include x.cfg # not a comment\n");
    ts_expect_val(0, "odd", "yes");
}
END_TEST

START_TEST(test_include_in_condition_applies_only_when_matched)
{
    ts_write("c.cfg", "x = 1\n");
    ts_expand("variants:\n    - a:\n    - b:\n"
           "a:\n"
           "    include c.cfg\n");
    ts_expect_val(0, "x", "1");
    ts_expect_absent(1, "x");
}
END_TEST

START_TEST(test_missing_include_names_path_and_includer)
{
    ts_expand("# comment\n"
           "include does/not/exist.cfg\n");
    ts_expect_parse_error("t.cfg:2:");
    ts_expect_error_mentions("does/not/exist.cfg");
}
END_TEST

START_TEST(test_missing_include_in_included_file_names_that_file)
{
    ts_write("sub/a.cfg", "a = 1\n\ninclude missing.cfg\n");
    ts_expand("include sub/a.cfg\n");
    ts_expect_parse_error("sub/a.cfg:3:");
    ts_expect_error_mentions("missing.cfg");
}
END_TEST

START_TEST(test_include_of_directory_is_an_error)
{
    ts_write("dir/x.cfg", "a = 1\n");
    ts_expand("include dir\n");
    ts_expect_parse_error("t.cfg:1:");
}
END_TEST

START_TEST(test_include_equals_is_a_path)
{
    ts_write("base.cfg", "a = 1\n");
    ts_expand("include = base.cfg\n");
    ts_expect_parse_error("t.cfg:1:");
}
END_TEST

START_TEST(test_include_cycle_is_an_error_naming_the_chain)
{
    ts_write("a.cfg", "include b.cfg\n");
    ts_write("b.cfg", "x = 1\ninclude a.cfg\n");
    ts_expand("include a.cfg\n");
    ts_expect_parse_error("b.cfg:2:");
    ts_expect_error_mentions("a.cfg:1");
}
END_TEST

START_TEST(test_included_file_cannot_start_with_items)
{
    ts_write("items.cfg", "- a:\n- b:\n");
    ts_expand("variants:\n"
           "    include items.cfg\n");
    ts_expect_error("t.cfg:2:");
    ts_expand("include items.cfg\n");
    ts_expect_parse_error("items.cfg:1:");
}
END_TEST

/* ---- 8. suffix and join -------------------------------------------------------------------- */

START_TEST(test_suffix_disappears_when_values_agree)
{
    ts_expand("common = c\n"
           "variants:\n"
           "    - a1:\n"
           "        x = 1\n"
           "        suffix _a1\n"
           "    - a2:\n"
           "        x = 2\n"
           "        suffix _a2\n");
    ts_expect_names("a1", "a2", NULL);
    ts_expect_val(0, "x", "1");
    ts_expect_val(0, "common", "c");
    ts_expect_absent(0, "x_a1");
    ts_expect_absent(0, "common_a1");
    ts_expect_val(1, "x", "2");
}
END_TEST

START_TEST(test_suffix_renames_keys_present_when_block_ends)
{
    ts_expand("x = 0\n"
           "variants:\n"
           "    - a1:\n"
           "        y = 1\n"
           "        suffix _a1\n"
           "        variants:\n"
           "            - n:\n"
           "                z = 3\n"
           "x = 9\n"
           "y = 8\n"
           "z = 7\n");
    ts_expect_names("a1.n", NULL);
    /* x from before the block, y of the item and z of a nested block are renamed */
    ts_expect_val(0, "x_a1", "0");
    ts_expect_val(0, "y_a1", "1");
    ts_expect_val(0, "z_a1", "3");
    ts_expect_val(0, "x", "9");
    ts_expect_val(0, "y", "8");
    ts_expect_val(0, "z", "7");
}
END_TEST

START_TEST(test_suffixed_key_equal_to_plain_key_is_dropped)
{
    ts_expand("x = 1\n"
           "variants:\n"
           "    - a:\n"
           "        suffix _a\n"
           "x = 1\n");
    ts_expect_val(0, "x", "1");
    ts_expect_absent(0, "x_a");
}
END_TEST

START_TEST(test_del_sees_suffixed_keys_in_application_order)
{
    ts_expand("variants:\n"
           "    - a1:\n"
           "        x = 1\n"
           "        y = 1\n"
           "        suffix _a1\n"
           "x = 9\n"
           "del x_a1\n");
    ts_expect_val(0, "x", "9");
    ts_expect_absent(0, "x_a1");
    ts_expect_val(0, "y", "1");
}
END_TEST

START_TEST(test_nested_suffixes_print_outermost_first)
{
    ts_expand("variants:\n"
           "    - a1:\n"
           "        x = 1\n"
           "        suffix _a1\n"
           "variants:\n"
           "    - b1:\n"
           "        suffix _b1\n"
           "x = 9\n");
    ts_expect_names("b1.a1", NULL);
    ts_expect_val(0, "x_b1_a1", "1");
    ts_expect_val(0, "x", "9");
}
END_TEST

START_TEST(test_regex_ops_see_suffixes_in_application_order)
{
    ts_expand("variants:\n"
           "    - a1:\n"
           "        x = 1\n"
           "        suffix _a1\n"
           "variants:\n"
           "    - b1:\n"
           "        suffix _b1\n"
           "x = 9\n"
           "x_a1_b1 ?= via-regex\n"
           "x_b1_a1 ?= never\n");
    ts_expect_val(0, "x_b1_a1", "via-regex");
    ts_expect_val(0, "x", "9");
}
END_TEST

START_TEST(test_only_last_suffix_of_a_block_counts)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "        x = 1\n"
           "        suffix _p\n"
           "        suffix _q\n"
           "x = 2\n");
    ts_expect_val(0, "x_q", "1");
    ts_expect_absent(0, "x_p");
    ts_expect_absent(0, "x_q_p");
    ts_expect_val(0, "x", "2");
}
END_TEST

START_TEST(test_top_level_suffix_applies_before_statements)
{
    ts_write("t.cfg", "mem = 1024\nsuffix _top\n");
    static const char *const stmts[] = { "mem = 2048" };
    ts_expand_with("t.cfg", stmts, 1, NULL);
    ts_expect_val(0, "mem", "2048");
    ts_expect_val(0, "mem_top", "1024");
}
END_TEST

START_TEST(test_suffix_hides_key_from_postfix_rules)
{
    ts_expand("mem = 4096\nmem_max = 1024\nsuffix _vm\n");
    ts_expect_val(0, "mem", "4096");
    ts_expect_val(0, "mem_max", "1024");
}
END_TEST

START_TEST(test_suffix_in_included_file_applies_where_that_file_ends)
{
    ts_write("inc.cfg", "x = 1\nsuffix _i\n");
    ts_expand("variants:\n"
           "    - a:\n"
           "        include inc.cfg\n"
           "        x = 2\n");
    ts_expect_val(0, "x", "2");
    ts_expect_val(0, "x_i", "1");
}
END_TEST

START_TEST(test_flattened_suffix_overwrites_same_plain_key)
{
    ts_expand("variants:\n"
           "    - v:\n"
           "        image_name = a\n"
           "        suffix _vm1\n"
           "image_name = b\n"
           "image_name_vm1 = hand\n");
    ts_expect_val(0, "image_name", "b");
    ts_expect_val(0, "image_name_vm1", "a");
}
END_TEST

START_TEST(test_keep_suffixes_option_disables_flattening)
{
    struct cfg_opts o = { .keep_suffixes = true };
    ts_write("t.cfg", "variants:\n"
                        "    - a1:\n"
                        "        x = 1\n"
                        "        suffix _a1\n");
    ts_expand_with("t.cfg", NULL, 0, &o);
    ts_expect_val(0, "x_a1", "1");
    ts_expect_absent(0, "x");
}
END_TEST

START_TEST(test_join_multiplies_cases_selected_by_each_term)
{
    ts_expand("variants:\n"
           "    - a1:\n"
           "        x = 1\n"
           "        suffix _a1\n"
           "    - a2:\n"
           "        x = 2\n"
           "        suffix _a2\n"
           "variants:\n"
           "    - t:\n"
           "        join a1 a2\n"
           "    - u:\n");
    ts_expect_names("t.a1.a2", "u.a1", "u.a2", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "t.a1.a2");
    ts_expect_val(0, "x_a1", "1");
    ts_expect_val(0, "x_a2", "2");
    ts_expect_absent(0, "x");
    /* the later case of the product wins for ordinary keys and the maps */
    ts_expect_val(0, "_name_map_file", "{\"t.cfg\": \"t.a2\"}");
    ts_expect_val(1, "x", "1");
}
END_TEST

START_TEST(test_join_with_named_variants_garbles_the_name)
{
    ts_expand("variants vm:\n"
           "    - one:\n"
           "    - two:\n"
           "variants test:\n"
           "    - t:\n"
           "        join one two\n");
    ts_expect_names("(test=t)(test=t).(vm=one)(test=t).(vm=two)", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "t.one.two");
    ts_expect_val(0, "vm", "two");
}
END_TEST

START_TEST(test_join_single_term_is_only)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "join b\n");
    ts_expect_names("b", NULL);
}
END_TEST

START_TEST(test_join_commas_and_blanks_separate_terms)
{
    ts_expand("variants:\n    - a:\n    - b:\n    - c:\n"
           "join a, b c\n");
    ts_expect_names("a.b.c", NULL);
}
END_TEST

START_TEST(test_join_lines_of_a_node_are_concatenated)
{
    ts_expand("variants:\n    - a:\n    - b:\n"
           "join a\n"
           "join b\n");
    ts_expect_names("a.b", NULL);
}
END_TEST

START_TEST(test_join_with_empty_filter_is_a_no_op)
{
    /* the filter is only a comment: no term, so nothing is multiplied (found by fuzzing) */
    ts_expand("variants:\n    - a:\n    - b:\n"
           "join # nothing\n");
    ts_expect_names("a", "b", NULL);
}
END_TEST

START_TEST(test_join_of_identical_names_is_an_expansion_error)
{
    ts_expand("variants:\n"
           "    - one:\n"
           "    - two:\n"
           "join one one\n");
    ts_expect_expand_error(0, "t.cfg:4:");
}
END_TEST

/* ---- 9.1 substitution ------------------------------------------------------------------------ */

START_TEST(test_substitution_uses_value_when_operation_applies)
{
    ts_expand("a = 1\n"
           "b = ${a}\n"
           "a = 2\n"
           "c = ${a}${a}\n"
           "variants:\n"
           "    - v1:\n"
           "        a = 3\n"
           "    - v2:\n"
           "h = ${a}\n");
    ts_expect_val(0, "b", "1");
    ts_expect_val(0, "c", "22");
    ts_expect_val(0, "h", "3");
    ts_expect_val(1, "h", "2");
}
END_TEST

START_TEST(test_substitution_stops_at_first_unknown_key)
{
    ts_expand("a = 2\n"
           "d = ${a} and ${undefined} and ${a}\n");
    ts_expect_val(0, "d", "2 and ${undefined} and ${a}");
}
END_TEST

START_TEST(test_substitution_without_braces_or_name_is_literal)
{
    ts_expand("a = 1\n"
           "e = $a\n"
           "f = ${${a}}\n"
           "g = ${}\n"
           "h = $\n");
    ts_expect_val(0, "e", "$a");
    ts_expect_val(0, "f", "${${a}}");
    ts_expect_val(0, "g", "${}");
    ts_expect_val(0, "h", "$");
}
END_TEST

START_TEST(test_substitution_names_may_contain_any_character_but_brace)
{
    ts_expand("k-1 = dash\n"
           "k.2 = dot\n"
           "g = ${k-1}/${k.2}\n");
    ts_expect_val(0, "g", "dash/dot");
}
END_TEST

START_TEST(test_substitution_applies_to_every_operator)
{
    ts_expand("a = 1\n"
           "b = x\n"
           "b += ${a}\n"
           "b <= ${a}\n"
           "c ~= ${a}\n"
           "b ?+= ${c}\n");
    ts_expect_val(0, "b", "1x11");
    ts_expect_val(0, "c", "1");
}
END_TEST

START_TEST(test_substitution_reads_name_shortname_and_dep)
{
    ts_expand("variants:\n"
           "    - @d:\n"
           "    - v1: d\n"
           "n = ${name}|${shortname}|${dep}\n");
    ts_expect_names("d", "v1", NULL);
    ts_expect_val(0, "n", "d||[]");
    ts_expect_val(1, "n", "v1|v1|['d']");
}
END_TEST

START_TEST(test_substitution_of_name_maps_is_python_dict_text)
{
    ts_expand("variants:\n"
           "    - a:\n"
           "        inside = ${_name_map_file}\n"
           "m = ${_short_name_map_file}\n");
    ts_expect_val(0, "inside", "${_name_map_file}");
    ts_expect_val(0, "m", "{'t.cfg': 'a'}");
}
END_TEST

/* ---- 9.2 _max / _min / _fixed ------------------------------------------------------------------- */

START_TEST(test_max_caps_the_key)
{
    ts_expand("mem = 4096\nmem_max = 2048\nlow = 1\nlow_max = 5\n");
    ts_expect_val(0, "mem", "2048");
    ts_expect_val(0, "low", "1");
}
END_TEST

START_TEST(test_min_floors_the_key)
{
    ts_expand("smp = 2\nsmp_min = 4\nhigh = 9\nhigh_min = 4\n");
    ts_expect_val(0, "smp", "4");
    ts_expect_val(0, "high", "9");
}
END_TEST

START_TEST(test_fixed_overrides_the_key)
{
    ts_expand("vcpu = 2\nvcpu_fixed = 8\nother_fixed = x\n");
    ts_expect_val(0, "vcpu", "8");
    ts_expect_val(0, "other", "x");
}
END_TEST

START_TEST(test_postfix_sets_an_absent_key)
{
    ts_expand("timeout_max = 10\nretries_min = 3\n");
    ts_expect_val(0, "timeout", "10");
    ts_expect_val(0, "retries", "3");
}
END_TEST

START_TEST(test_postfix_compares_sizes_with_units)
{
    ts_expand("size = 1G\nsize_min = 512M\n"
           "big = 4G\nbig_max = 2048\n"
           "k = 1024K\nk_max = 2M\n"
           "t = 1T\nt_min = 2048G\n");
    ts_expect_val(0, "size", "1G");
    ts_expect_val(0, "big", "2048");
    ts_expect_val(0, "k", "1024K");
    ts_expect_val(0, "t", "2048G");
}
END_TEST

START_TEST(test_postfix_base_is_cut_at_first_occurrence)
{
    ts_expand("a_max_max = 3\n");
    ts_expect_val(0, "a", "3");
    ts_expect_absent(0, "a_max");
}
END_TEST

START_TEST(test_postfix_needs_suffix_at_end_of_key)
{
    ts_expand("t = 50\nt_max_x = 5\nt_maximum = 1\n");
    ts_expect_val(0, "t", "50");
}
END_TEST

START_TEST(test_postfix_rules_compare_the_original_value)
{
    ts_expand("x = 5\nx_max = 3\nx_min = 4\n"
           "y = 2\ny_min = 4\ny_max = 3\n"
           "z = 5\nz_min = 9\nz_max = 3\n");
    ts_expect_val(0, "x", "3");
    ts_expect_val(0, "y", "4");
    /* both rules hit: the one inserted last wins */
    ts_expect_val(0, "z", "3");
}
END_TEST

START_TEST(test_fixed_bypasses_reserved_keys)
{
    ts_expand("variants:\n    - a:\n"
           "shortname_fixed = short\n"
           "name_fixed = long\n"
           "dep_fixed = plain\n");
    ck_assert_uint_eq(ts_cases.n, 1);
    ck_assert_str_eq(ts_cases.names[0], "long");
    ck_assert_str_eq(ts_cases.shorts[0], "short");
    ts_expect_val(0, "dep", "plain");
    ck_assert_ptr_nonnull(strstr(ts_cases.dump.buf, "\ndep=plain\n"));
}
END_TEST

START_TEST(test_postfix_non_numeric_value_is_an_expansion_error)
{
    ts_expand("timeout = abc\n"
           "timeout_max = 10\n");
    ts_expect_expand_error(0, "t.cfg:2:");
}
END_TEST

/* ---- 10. defaults mode --------------------------------------------------------------------------- */

START_TEST(test_defaults_mode_expands_only_the_default_item)
{
    ts_expand_defaults("variants:\n    - a:\n    - @b:\n    - @c:\n"
                    "variants sys [default=lin]:\n    - win:\n    - lin:\n", NULL);
    ts_expect_names("(sys=lin).b", NULL);
    ck_assert_str_eq(ts_cases.shorts[0], "");
}
END_TEST

START_TEST(test_defaults_mode_falls_back_when_default_yields_nothing)
{
    ts_expand_defaults("variants:\n    - a:\n    - @b:\n    - @c:\n"
                    "variants:\n    - x:\n    - @y:\n        no b\n", NULL);
    ts_expect_names("y.a", "y.c", NULL);
}
END_TEST

START_TEST(test_defaults_mode_expands_listed_blocks_fully)
{
    static const char *const blocks[] = { "os", NULL };
    ts_expand_defaults("variants os:\n    - a:\n    - @b:\n"
                    "variants:\n    - x:\n    - @y:\n", blocks);
    ts_expect_names("y.(os=a)", "y.(os=b)", NULL);
}
END_TEST

START_TEST(test_without_defaults_mode_at_items_restrict_nothing)
{
    ts_expand("variants:\n    - a:\n    - @b:\n");
    ts_expect_names("a", "b", NULL);
}
END_TEST

/* ---- statements after the file ------------------------------------------------------------------ */

START_TEST(test_statements_apply_after_the_file_in_order)
{
    ts_expand_stmts("x = 1\nvariants:\n    - a:\n    - b:\n",
                 "x += 2", "only b", "x += 3", NULL);
    ts_expect_names("b", NULL);
    ts_expect_val(0, "x", "123");
}
END_TEST

START_TEST(test_statements_alone_make_a_config)
{
    static const char *const stmts[] = { "variants:\n    - a:\n    - b:\n", "no a",
                                         "k = v" };
    ts_expand_with(NULL, stmts, 3, NULL);
    ts_expect_names("b", NULL);
    ts_expect_val(0, "k", "v");
}
END_TEST

START_TEST(test_error_in_statement_names_string_and_line)
{
    static const char *const stmts[] = { "a = 1\nonly a...b" };
    ts_write("t.cfg", "x = 1\n");
    ts_expand_with("t.cfg", stmts, 1, NULL);
    ts_expect_parse_error("<string>:2:");
}
END_TEST

START_TEST(test_missing_config_file_is_an_error)
{
    ts_expand_with("nope.cfg", NULL, 0, NULL);
    ck_assert_int_eq(ts_cases.stage, TS_STAGE_PARSE);
    ts_expect_error_mentions("nope.cfg");
}
END_TEST

/* ---- 6. streaming ------------------------------------------------------------------------------- */

/* N two-item blocks: block i has items a<i> and b<i>. */
static char *product(int n, const char *extra)
{
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < n; i++)
        strbuf_addf(&sb, "variants:\n    - a%d:\n        k%d = a\n    - b%d:\n", i, i, i);
    strbuf_addstr(&sb, extra);
    return strbuf_detach(&sb, NULL);
}

START_TEST(test_only_filter_prunes_huge_product_early)
{
    struct strbuf f = STRBUF_INIT;
    strbuf_addstr(&f, "only a0");
    for (int i = 1; i < 40; i++)
        strbuf_addf(&f, "..a%d", i);
    strbuf_addch(&f, '\n');
    char *text = product(40, f.buf);
    ts_expand(text);
    ck_assert_uint_eq(ts_cases.n, 1);
    ck_assert_ptr_nonnull(strstr(ts_cases.names[0], "a39.a38."));
    ts_expect_val(0, "k0", "a");
    free(text);
    strbuf_release(&f);
}
END_TEST

START_TEST(test_no_filters_prune_huge_product_early)
{
    struct strbuf f = STRBUF_INIT;
    for (int i = 0; i < 40; i++)
        strbuf_addf(&f, "no b%d\n", i);
    char *text = product(40, f.buf);
    ts_expand(text);
    ck_assert_uint_eq(ts_cases.n, 1);
    ts_expect_val(0, "k39", "a");
    free(text);
    strbuf_release(&f);
}
END_TEST

START_TEST(test_count_equals_number_of_cases)
{
    char *text = product(16, "no a3..b5\n");
    ts_write("t.cfg", text);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_msg(c != NULL, "%s", err_msg());
    ck_assert_int_eq(cfg_count(c), 65536 - 16384);
    cfg_free(c);
    free(text);
}
END_TEST

START_TEST(test_names_iterator_lists_the_same_cases)
{
    static const char text[] =
        "variants:\n    - a:\n    - @b:\n"
        "variants guest:\n    - x:\n        only a\n    - y:\n"
        "a: z = 1\n"
        "variants:\n    - p:\n        join a\n    - q:\n";
    ts_write("t.cfg", text);
    ts_expand(text);
    ts_no_error();
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    size_t i = 0;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1) {
        ck_assert_uint_lt(i, ts_cases.n);
        ck_assert_str_eq(cfg_case_name(k), ts_cases.names[i]);
        ck_assert_str_eq(cfg_case_shortname(k), ts_cases.shorts[i]);
        i++;
    }
    ck_assert_int_eq(r, 0);
    ck_assert_uint_eq(i, ts_cases.n);
    ck_assert_int_eq(cfg_count(c), (long long)ts_cases.n);
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

START_TEST(test_names_iterator_honours_fixed_name_and_shortname)
{
    /* the reference's listing prints dict["name"], after _fixed post-processing */
    static const char text[] = "variants:\n    - a:\n    - b:\n"
                               "name_fixed = X${shortname}\nshortname_fixed = s\n";
    ts_write("t.cfg", text);
    ts_expand(text);
    ts_expect_names("Xa", "Xb", NULL);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(cfg_iter_next(it, &k), 1);
        ck_assert_str_eq(cfg_case_name(k), ts_cases.names[i]);
        ck_assert_str_eq(cfg_case_shortname(k), "s");
    }
    ck_assert_int_eq(cfg_iter_next(it, &k), 0);
    cfg_iter_free(it);
    cfg_free(c);
}
END_TEST

static void on_alarm(int sig)
{
    (void)sig;
    cfg_cancel = 1;
}

START_TEST(test_cancel_stops_huge_product_without_survivors)
{
    /* a0 and b0 exclude each other, which no label-set pruning can see */
    char *text = product(40, "only a0..b0\n");
    ts_write("t.cfg", text);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    signal(SIGALRM, on_alarm);
    struct itimerval t = { .it_value = { .tv_sec = 0, .tv_usec = 300000 } };
    setitimer(ITIMER_REAL, &t, NULL);
    double t0 = ts_now();
    struct cfg_iter *it = cfg_iter_new(c);
    const struct cfg_case *k;
    int r = cfg_iter_next(it, &k);
    double took = ts_now() - t0;
    ck_assert_int_le(r, 0);
    ck_assert_msg(took < 3.0, "cancel took %.1f s", took);
    cfg_iter_free(it);
    cfg_free(c);
    free(text);
    cfg_cancel = 0;
}
END_TEST

START_TEST(test_cancel_stops_streaming_of_huge_product)
{
    char *text = product(40, "");
    ts_write("t.cfg", text);
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    signal(SIGALRM, on_alarm);
    struct itimerval t = { .it_value = { .tv_sec = 0, .tv_usec = 300000 } };
    setitimer(ITIMER_REAL, &t, NULL);
    double t0 = ts_now();
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    long n = 0;
    int r;
    while ((r = cfg_iter_next(it, &k)) == 1)
        n++;
    ck_assert_int_eq(r, -1);
    ck_assert_msg(n > 0, "no case streamed before the cancel");
    ck_assert_msg(ts_now() - t0 < 3.0, "cancel took %.1f s", ts_now() - t0);
    cfg_iter_free(it);
    cfg_free(c);
    free(text);
    cfg_cancel = 0;
}
END_TEST

static Suite *expand_suite(void)
{
    Suite *s = suite_create("cfg_expand");
    TCase *tc = tcase_create("names");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_deps_are_prefixed_with_labels_above_the_item);
    tcase_add_test(tc, test_deps_accumulate_from_outer_to_inner_items);
    tcase_add_test(tc, test_item_deps_separated_by_blanks);
    tcase_add_test(tc, test_name_map_shares_entry_of_files_with_same_basename);
    tcase_add_test(tc, test_name_map_records_the_file_defining_each_item);
    tcase_add_test(tc, test_name_map_of_statement_strings_uses_string_file_name);
    tcase_add_test(tc, test_short_name_map_uses_plain_values);
    tcase_add_test(tc, test_case_params_keep_assignment_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("include");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_include_is_relative_to_the_including_file);
    tcase_add_test(tc, test_include_inside_item_body_may_open_variants);
    tcase_add_test(tc, test_include_in_statement_resolves_from_cwd);
    tcase_add_test(tc, test_include_expands_tilde);
    tcase_add_test(tc, test_include_path_is_the_rest_of_line_verbatim);
    tcase_add_test(tc, test_include_in_condition_applies_only_when_matched);
    tcase_add_test(tc, test_missing_include_names_path_and_includer);
    tcase_add_test(tc, test_missing_include_in_included_file_names_that_file);
    tcase_add_test(tc, test_include_of_directory_is_an_error);
    tcase_add_test(tc, test_include_equals_is_a_path);
    tcase_add_test(tc, test_include_cycle_is_an_error_naming_the_chain);
    tcase_add_test(tc, test_included_file_cannot_start_with_items);
    suite_add_tcase(s, tc);

    tc = tcase_create("suffix_join");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_suffix_disappears_when_values_agree);
    tcase_add_test(tc, test_suffix_renames_keys_present_when_block_ends);
    tcase_add_test(tc, test_suffixed_key_equal_to_plain_key_is_dropped);
    tcase_add_test(tc, test_del_sees_suffixed_keys_in_application_order);
    tcase_add_test(tc, test_nested_suffixes_print_outermost_first);
    tcase_add_test(tc, test_regex_ops_see_suffixes_in_application_order);
    tcase_add_test(tc, test_only_last_suffix_of_a_block_counts);
    tcase_add_test(tc, test_top_level_suffix_applies_before_statements);
    tcase_add_test(tc, test_suffix_hides_key_from_postfix_rules);
    tcase_add_test(tc, test_suffix_in_included_file_applies_where_that_file_ends);
    tcase_add_test(tc, test_flattened_suffix_overwrites_same_plain_key);
    tcase_add_test(tc, test_keep_suffixes_option_disables_flattening);
    tcase_add_test(tc, test_join_multiplies_cases_selected_by_each_term);
    tcase_add_test(tc, test_join_with_named_variants_garbles_the_name);
    tcase_add_test(tc, test_join_single_term_is_only);
    tcase_add_test(tc, test_join_commas_and_blanks_separate_terms);
    tcase_add_test(tc, test_join_lines_of_a_node_are_concatenated);
    tcase_add_test(tc, test_join_with_empty_filter_is_a_no_op);
    tcase_add_test(tc, test_join_of_identical_names_is_an_expansion_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("substitution_postfix");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_substitution_uses_value_when_operation_applies);
    tcase_add_test(tc, test_substitution_stops_at_first_unknown_key);
    tcase_add_test(tc, test_substitution_without_braces_or_name_is_literal);
    tcase_add_test(tc, test_substitution_names_may_contain_any_character_but_brace);
    tcase_add_test(tc, test_substitution_applies_to_every_operator);
    tcase_add_test(tc, test_substitution_reads_name_shortname_and_dep);
    tcase_add_test(tc, test_substitution_of_name_maps_is_python_dict_text);
    tcase_add_test(tc, test_max_caps_the_key);
    tcase_add_test(tc, test_min_floors_the_key);
    tcase_add_test(tc, test_fixed_overrides_the_key);
    tcase_add_test(tc, test_postfix_sets_an_absent_key);
    tcase_add_test(tc, test_postfix_compares_sizes_with_units);
    tcase_add_test(tc, test_postfix_base_is_cut_at_first_occurrence);
    tcase_add_test(tc, test_postfix_needs_suffix_at_end_of_key);
    tcase_add_test(tc, test_postfix_rules_compare_the_original_value);
    tcase_add_test(tc, test_fixed_bypasses_reserved_keys);
    tcase_add_test(tc, test_postfix_non_numeric_value_is_an_expansion_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("defaults");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_defaults_mode_expands_only_the_default_item);
    tcase_add_test(tc, test_defaults_mode_falls_back_when_default_yields_nothing);
    tcase_add_test(tc, test_defaults_mode_expands_listed_blocks_fully);
    tcase_add_test(tc, test_without_defaults_mode_at_items_restrict_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("statements");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_statements_apply_after_the_file_in_order);
    tcase_add_test(tc, test_statements_alone_make_a_config);
    tcase_add_test(tc, test_error_in_statement_names_string_and_line);
    tcase_add_test(tc, test_missing_config_file_is_an_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("streaming");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_only_filter_prunes_huge_product_early);
    tcase_add_test(tc, test_no_filters_prune_huge_product_early);
    tcase_add_test(tc, test_count_equals_number_of_cases);
    tcase_add_test(tc, test_names_iterator_lists_the_same_cases);
    tcase_add_test(tc, test_names_iterator_honours_fixed_name_and_shortname);
    tcase_add_test(tc, test_cancel_stops_huge_product_without_survivors);
    tcase_add_test(tc, test_cancel_stops_streaming_of_huge_product);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(expand_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
