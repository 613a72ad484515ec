/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/params.h: the per-case dict and avocado-vt's Params semantics (typed getters,
 * objects(), object_params() as in virttest/utils_params.py, SYNTAX.md section 11).
 */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Build a dict from "k", "v", "k", "v", ..., NULL. */
static struct params *make(const char *k, ...)
{
    struct params *p = params_new();
    va_list ap;
    va_start(ap, k);
    for (; k; k = va_arg(ap, const char *))
        params_set(p, k, va_arg(ap, const char *));
    va_end(ap);
    return p;
}

static void assert_keys(const struct params *p, const char *const *want, size_t n)
{
    ck_assert_uint_eq(params_count(p), n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(params_key_at(p, i), want[i]);
}

START_TEST(test_keys_keep_insertion_order)
{
    struct params *p = make("z", "1", "a", "2", "m", "3", NULL);
    static const char *const want[] = { "z", "a", "m" };
    assert_keys(p, want, 3);
    params_free(p);
}
END_TEST

START_TEST(test_set_existing_key_replaces_in_place)
{
    struct params *p = make("a", "1", "b", "2", NULL);
    params_set(p, "a", "new");
    static const char *const want[] = { "a", "b" };
    assert_keys(p, want, 2);
    ck_assert_str_eq(params_get(p, "a"), "new");
    params_free(p);
}
END_TEST

START_TEST(test_set_accepts_its_own_old_value)
{
    struct params *p = make("a", "value", NULL);
    params_set(p, "a", params_get(p, "a") + 1);
    ck_assert_str_eq(params_get(p, "a"), "alue");
    params_free(p);
}
END_TEST

START_TEST(test_del_removes_key_and_keeps_order_of_others)
{
    struct params *p = make("a", "1", "b", "2", "c", "3", NULL);
    ck_assert(params_del(p, "b"));
    ck_assert(!params_del(p, "b"));
    static const char *const want[] = { "a", "c" };
    assert_keys(p, want, 2);
    ck_assert_ptr_null(params_get(p, "b"));
    ck_assert_str_eq(params_get(p, "c"), "3");
    params_free(p);
}
END_TEST

START_TEST(test_readding_deleted_key_moves_it_last)
{
    struct params *p = make("a", "1", "b", "2", NULL);
    params_del(p, "a");
    params_set(p, "a", "again");
    static const char *const want[] = { "b", "a" };
    assert_keys(p, want, 2);
    params_free(p);
}
END_TEST

START_TEST(test_get_or_returns_default_only_when_absent)
{
    struct params *p = make("empty", "", NULL);
    ck_assert_str_eq(params_get_or(p, "missing", "def"), "def");
    ck_assert_str_eq(params_get_or(p, "empty", "def"), "");
    ck_assert(params_has(p, "empty"));
    ck_assert(!params_has(p, "missing"));
    params_free(p);
}
END_TEST

START_TEST(test_many_keys_stay_reachable)
{
    struct params *p = params_new();
    char k[32], v[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "key_%d", i);
        snprintf(v, sizeof(v), "%d", i * 7);
        params_set(p, k, v);
    }
    for (int i = 0; i < 2000; i += 3) {
        snprintf(k, sizeof(k), "key_%d", i);
        ck_assert(params_del(p, k));
    }
    ck_assert_uint_eq(params_count(p), 2000 - 667);
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "key_%d", i);
        if (i % 3 == 0)
            ck_assert_ptr_null(params_get(p, k));
        else
            ck_assert_int_eq(atoi(params_get(p, k)), i * 7);
    }
    params_free(p);
}
END_TEST

START_TEST(test_dup_is_an_independent_copy)
{
    struct params *p = make("a", "1", "b", "2", NULL);
    struct params *d = params_dup(p);
    params_set(d, "a", "changed");
    params_set(d, "c", "3");
    ck_assert_str_eq(params_get(p, "a"), "1");
    ck_assert_ptr_null(params_get(p, "c"));
    static const char *const want[] = { "a", "b", "c" };
    assert_keys(d, want, 3);
    params_free(p);
    params_free(d);
}
END_TEST

START_TEST(test_get_int_parses_and_defaults)
{
    struct params *p = make("n", "42", "neg", " -7 ", "hex", "0x10", "bad", "12abc",
                            "empty", "", NULL);
    bool ok;
    ck_assert_int_eq(params_get_int(p, "n", 0, &ok), 42);
    ck_assert(ok);
    ck_assert_int_eq(params_get_int(p, "neg", 0, &ok), -7);
    ck_assert(ok);
    ck_assert_int_eq(params_get_int(p, "hex", 0, NULL), 16);
    ck_assert_int_eq(params_get_int(p, "missing", 5, &ok), 5);
    ck_assert(ok);
    ck_assert_int_eq(params_get_int(p, "empty", 6, &ok), 6);
    ck_assert(ok);
    ck_assert_int_eq(params_get_int(p, "bad", 9, &ok), 9);
    ck_assert(!ok);
    params_free(p);
}
END_TEST

START_TEST(test_get_float_parses_and_rejects_garbage)
{
    struct params *p = make("f", "2.5", "i", "3", "bad", "1.5x", NULL);
    bool ok;
    ck_assert_double_eq(params_get_float(p, "f", 0, &ok), 2.5);
    ck_assert(ok);
    ck_assert_double_eq(params_get_float(p, "i", 0, NULL), 3.0);
    ck_assert_double_eq(params_get_float(p, "missing", 1.25, &ok), 1.25);
    ck_assert(ok);
    ck_assert_double_eq(params_get_float(p, "bad", 7.0, &ok), 7.0);
    ck_assert(!ok);
    params_free(p);
}
END_TEST

START_TEST(test_get_bool_reads_yes_and_no)
{
    struct params *p = make("y", "yes", "n", "no", "Y", "YES", "t", "true", "f", "false",
                            "bad", "maybe", "empty", "", NULL);
    bool ok;
    ck_assert(params_get_bool(p, "y", false, &ok) && ok);
    ck_assert(!params_get_bool(p, "n", true, &ok) && ok);
    ck_assert(params_get_bool(p, "Y", false, NULL));
    ck_assert(params_get_bool(p, "t", false, NULL));
    ck_assert(!params_get_bool(p, "f", true, NULL));
    ck_assert(params_get_bool(p, "missing", true, &ok) && ok);
    ck_assert(!params_get_bool(p, "empty", false, &ok) && ok);
    ck_assert(params_get_bool(p, "bad", true, &ok));
    ck_assert(!ok);
    params_free(p);
}
END_TEST

START_TEST(test_sizes_use_binary_units)
{
    const unsigned long long MiB = 1024ULL * 1024, GiB = 1024 * MiB;
    unsigned long long b;
    ck_assert_int_eq(params_size_parse("128M", &b), 0);
    ck_assert_uint_eq(b, 128 * MiB);
    ck_assert_int_eq(params_size_parse("64k", &b), 0);
    ck_assert_uint_eq(b, 64 * 1024);
    ck_assert_int_eq(params_size_parse("1GiB", &b), 0);
    ck_assert_uint_eq(b, GiB);
    ck_assert_int_eq(params_size_parse("2T", &b), 0);
    ck_assert_uint_eq(b, 2048 * GiB);
    ck_assert_int_eq(params_size_parse("4096", &b), 0);
    ck_assert_uint_eq(b, 4096);
    ck_assert_int_eq(params_size_parse("lots", &b), -1);
    ck_assert_str_eq(err_msg(), "'lots' is not a size (e.g. 128M, 1G, 4096)");
    ck_assert_int_eq(params_size_parse("12X", &b), -1);
    ck_assert_int_eq(params_size_parse("-1M", &b), -1);
    ck_assert_int_eq(params_size_parse("99999999999999999T", &b), -1);
    ck_assert_int_eq(params_size_parse("", &b), -1);
}
END_TEST

START_TEST(test_word_tables_find_exact_words_and_synonyms)
{
    static const struct params_word w[] = {
        { "running", 1 }, { "shut off", 3 }, { "shutoff", 3 }, { NULL, 0 },
    };
    ck_assert_int_eq(params_word_find(w, "shutoff")->value, 3);
    ck_assert_int_eq(params_word_find(w, "shut off")->value, 3);
    ck_assert_ptr_eq(params_word_find(w, "running"), &w[0]);
    ck_assert_ptr_null(params_word_find(w, "Running"));
    ck_assert_ptr_null(params_word_find(w, ""));
    ck_assert_ptr_null(params_word_find(w, NULL));
}
END_TEST

START_TEST(test_objects_split_on_whitespace)
{
    struct params *p = make("vms", "  vm1\tvm2 \n vm3  ", NULL);
    char **v = params_objects(p, "vms");
    ck_assert_uint_eq(params_strv_len(v), 3);
    ck_assert_str_eq(v[0], "vm1");
    ck_assert_str_eq(v[1], "vm2");
    ck_assert_str_eq(v[2], "vm3");
    ck_assert_ptr_null(v[3]);
    params_strv_free(v);
    params_free(p);
}
END_TEST

START_TEST(test_objects_drop_duplicates_keeping_first_occurrence)
{
    struct params *p = make("images", "b a b c a", NULL);
    char **v = params_objects(p, "images");
    ck_assert_uint_eq(params_strv_len(v), 3);
    ck_assert_str_eq(v[0], "b");
    ck_assert_str_eq(v[1], "a");
    ck_assert_str_eq(v[2], "c");
    params_strv_free(v);
    params_free(p);
}
END_TEST

START_TEST(test_objects_of_absent_or_blank_key_is_empty_list)
{
    struct params *p = make("nics", "   ", NULL);
    char **v = params_objects(p, "nics");
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(params_strv_len(v), 0);
    params_strv_free(v);
    v = params_objects(p, "vms");
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_null(v[0]);
    params_strv_free(v);
    params_free(p);
}
END_TEST

START_TEST(test_object_suffixed_key_overrides_base_for_that_object)
{
    struct params *p = make("vms", "vm1 vm2", "image_name", "base", "image_name_vm2", "a",
                            NULL);
    struct params *v1 = params_object(p, "vm1");
    struct params *v2 = params_object(p, "vm2");
    ck_assert_str_eq(params_get(v1, "image_name"), "base");
    ck_assert_str_eq(params_get(v2, "image_name"), "a");
    /* the original is untouched */
    ck_assert_str_eq(params_get(p, "image_name"), "base");
    params_free(v1);
    params_free(v2);
    params_free(p);
}
END_TEST

START_TEST(test_object_override_does_not_depend_on_line_order)
{
    struct params *p = make("image_name_vm1", "first", "image_name", "later", NULL);
    struct params *o = params_object(p, "vm1");
    ck_assert_str_eq(params_get(o, "image_name"), "first");
    params_free(o);
    params_free(p);
}
END_TEST

START_TEST(test_object_keeps_suffixed_keys_and_their_position)
{
    struct params *p = make("mem_vm1", "2048", "mem", "1024", "smp", "2", NULL);
    struct params *o = params_object(p, "vm1");
    static const char *const want[] = { "mem_vm1", "mem", "smp" };
    assert_keys(o, want, 3);
    ck_assert_str_eq(params_get(o, "mem_vm1"), "2048");
    ck_assert_str_eq(params_get(o, "mem"), "2048");
    params_free(o);
    params_free(p);
}
END_TEST

START_TEST(test_object_new_base_key_is_appended)
{
    struct params *p = make("cpu_model_vm1", "host", "smp", "2", NULL);
    struct params *o = params_object(p, "vm1");
    static const char *const want[] = { "cpu_model_vm1", "smp", "cpu_model" };
    assert_keys(o, want, 3);
    params_free(o);
    params_free(p);
}
END_TEST

START_TEST(test_object_cuts_key_at_first_occurrence_of_suffix)
{
    /* Python key.split("_vm1")[0] */
    struct params *p = make("a_vm1_b_vm1", "x", NULL);
    struct params *o = params_object(p, "vm1");
    ck_assert_str_eq(params_get(o, "a"), "x");
    ck_assert_ptr_null(params_get(o, "a_vm1_b"));
    params_free(o);
    params_free(p);
}
END_TEST

START_TEST(test_object_needs_suffix_at_end_of_key)
{
    struct params *p = make("image_vm1_size", "10G", "image_vm10", "z", NULL);
    struct params *o = params_object(p, "vm1");
    ck_assert_ptr_null(params_get(o, "image"));
    ck_assert_uint_eq(params_count(o), 2);
    params_free(o);
    params_free(p);
}
END_TEST

START_TEST(test_object_later_key_wins_on_collision)
{
    struct params *p = make("x_vm1_vm1", "from-double", "x_vm1", "from-single", NULL);
    struct params *o = params_object(p, "vm1");
    ck_assert_str_eq(params_get(o, "x"), "from-single");
    params_free(o);
    params_set(p, "x_vm1_vm1", "kept-position");
    params_del(p, "x_vm1_vm1");
    params_set(p, "x_vm1_vm1", "now-last");
    o = params_object(p, "vm1");
    ck_assert_str_eq(params_get(o, "x"), "now-last");
    params_free(o);
    params_free(p);
}
END_TEST

START_TEST(test_object_nests_innermost_object_first)
{
    struct params *p = make("vms", "vm1 vm2", "images", "image1 image2",
                            "image_size", "10G",
                            "image_size_image1", "20G",
                            "image_size_image1_vm1", "30G", NULL);
    struct params *vm1 = params_object(p, "vm1");
    struct params *vm2 = params_object(p, "vm2");
    struct params *i11 = params_object(vm1, "image1");
    struct params *i12 = params_object(vm1, "image2");
    struct params *i21 = params_object(vm2, "image1");
    ck_assert_str_eq(params_get(i11, "image_size"), "30G");
    ck_assert_str_eq(params_get(i12, "image_size"), "10G");
    ck_assert_str_eq(params_get(i21, "image_size"), "20G");
    params_free(i11);
    params_free(i12);
    params_free(i21);
    params_free(vm1);
    params_free(vm2);
    params_free(p);
}
END_TEST

START_TEST(test_object_of_absent_object_is_plain_copy)
{
    struct params *p = make("a", "1", "b_vm1", "2", NULL);
    struct params *o = params_object(p, "vm9");
    static const char *const want[] = { "a", "b_vm1" };
    assert_keys(o, want, 2);
    params_free(o);
    params_free(p);
}
END_TEST

static Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("dict");
    tcase_add_test(tc, test_keys_keep_insertion_order);
    tcase_add_test(tc, test_set_existing_key_replaces_in_place);
    tcase_add_test(tc, test_set_accepts_its_own_old_value);
    tcase_add_test(tc, test_del_removes_key_and_keeps_order_of_others);
    tcase_add_test(tc, test_readding_deleted_key_moves_it_last);
    tcase_add_test(tc, test_get_or_returns_default_only_when_absent);
    tcase_add_test(tc, test_many_keys_stay_reachable);
    tcase_add_test(tc, test_dup_is_an_independent_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("typed");
    tcase_add_test(tc, test_get_int_parses_and_defaults);
    tcase_add_test(tc, test_get_float_parses_and_rejects_garbage);
    tcase_add_test(tc, test_get_bool_reads_yes_and_no);
    tcase_add_test(tc, test_sizes_use_binary_units);
    tcase_add_test(tc, test_word_tables_find_exact_words_and_synonyms);
    tcase_add_test(tc, test_objects_split_on_whitespace);
    tcase_add_test(tc, test_objects_drop_duplicates_keeping_first_occurrence);
    tcase_add_test(tc, test_objects_of_absent_or_blank_key_is_empty_list);
    suite_add_tcase(s, tc);

    tc = tcase_create("object_params");
    tcase_add_test(tc, test_object_suffixed_key_overrides_base_for_that_object);
    tcase_add_test(tc, test_object_override_does_not_depend_on_line_order);
    tcase_add_test(tc, test_object_keeps_suffixed_keys_and_their_position);
    tcase_add_test(tc, test_object_new_base_key_is_appended);
    tcase_add_test(tc, test_object_cuts_key_at_first_occurrence_of_suffix);
    tcase_add_test(tc, test_object_needs_suffix_at_end_of_key);
    tcase_add_test(tc, test_object_later_key_wins_on_collision);
    tcase_add_test(tc, test_object_nests_innermost_object_first);
    tcase_add_test(tc, test_object_of_absent_object_is_plain_copy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(params_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
