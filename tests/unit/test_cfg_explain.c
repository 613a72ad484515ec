/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg/: cfg_explain() (vtrun --explain NAME) on small configs, one construct each:
 * variants nesting, only/no at several levels, conditions (negated, nested), every
 * assignment kind, include files, join, suffix, _max, defaults mode; a case the filters
 * drop, repeated names, shortnames, an unknown name; the params always equal the dump.
 * And the promise that the ordinary parse records nothing for explain.
 */
#include "tests/support.h"
#include "cfg/cfg_int.h"

#include <jansson.h>

static struct strbuf X = STRBUF_INIT;      /* the last explanation */
static int XR;                              /* and what cfg_explain returned */

/* Write TEXT as t.cfg and explain NAME, the NULL-terminated statements after it. */
static void explain_stmts(const char *text, const char *name, unsigned flags, ...)
{
    const char *stmts[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, flags);
    for (const char *s; (s = va_arg(ap, const char *)) && n < 8;)
        stmts[n++] = s;
    va_end(ap);
    ts_write("t.cfg", text);
    strbuf_release(&X);
    err_clear();
    XR = cfg_explain("t.cfg", stmts, n, NULL, name, flags, &X);
}

#define explain(text, name) explain_stmts((text), (name), 0, (const char *)NULL)

static void explained(void)
{
    ck_assert_msg(XR == 0, "cfg_explain returned %d: %s", XR, XR < 0 ? err_msg() : X.buf);
}

/* The explanation has a row "  LOC  ...TEXT...NOTE" (NOTE may be NULL). */
static const char *row_at(const char *from, const char *loc, const char *text, const char *note)
{
    for (const char *p = from; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *line = xstrndup(p, len);
        char *l = line + 2;
        bool ok = !strncmp(line, "  ", 2) && !strncmp(l, loc, strlen(loc)) &&
                  l[strlen(loc)] == ' ' && strstr(l + strlen(loc), text) &&
                  (!note || strstr(strstr(l + strlen(loc), text) + strlen(text), note));
        free(line);
        if (ok)
            return p;
    }
    return NULL;
}

#define expect_row(loc, text, note) \
    ck_assert_msg(row_at(X.buf, (loc), (text), (note)), "no row '%s  %s  %s' in:\n%s", \
                  (loc), (text), (note) ? (note) : "", X.buf)

/* Rows in this order (each after the previous one). */
static void expect_rows_in_order(const char *const rows[][3], size_t n)
{
    const char *p = X.buf;
    for (size_t i = 0; i < n; i++) {
        const char *q = row_at(p, rows[i][0], rows[i][1], rows[i][2]);
        ck_assert_msg(q, "row %zu '%s  %s  %s' missing or out of order in:\n%s", i,
                      rows[i][0], rows[i][1], rows[i][2] ? rows[i][2] : "", X.buf);
        p = strchr(q, '\n') ? strchr(q, '\n') + 1 : q + strlen(q);
    }
}

#define ROWS(...) do { \
        static const char *const r_[][3] = { __VA_ARGS__ }; \
        expect_rows_in_order(r_, ARRAY_SIZE(r_)); \
    } while (0)

/* The unindented lines after "params (" of the first occurrence, up to the empty line
 * that ends it (a dump line may start with "== ": the empty key's value "= x"). */
static char *params_of(const char *text)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = strstr(text, "\nparams (");
    ck_assert_msg(p != NULL, "no params section in:\n%s", text);
    p = strchr(p + 1, '\n') + 1;
    while (*p && *p != '\n') {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        if (*p != ' ')
            strbuf_add(&sb, p, len);
        p += len;
    }
    return strbuf_detach(&sb, NULL);
}

/* The dump block (without its "== name" line and blank line) of the first case NAME. */
static char *dump_of(const char *name)
{
    char *hdr = xasprintf("== %s\n", name);
    const char *p = ts_cases.dump.buf;
    while (p && strncmp(p, hdr, strlen(hdr))) {
        p = strstr(p, "\n\n");
        p = p ? p + 2 : NULL;
    }
    ck_assert_msg(p != NULL, "no case '%s' in the dump", name);
    p += strlen(hdr);
    const char *e = strstr(p, "\n\n");
    free(hdr);
    return xstrndup(p, (size_t)(e - p) + 1);
}

/* Every case of TEXT, explained by its name: exit 0 and the params are its dump. */
static void expect_every_case_matches_dump(const char *text)
{
    ts_expand(text);
    ts_no_error();
    ck_assert_uint_gt(ts_cases.n, 0);
    for (size_t i = 0; i < ts_cases.n; i++) {
        explain(text, ts_cases.names[i]);
        explained();
        char *got = params_of(X.buf), *want = dump_of(ts_cases.names[i]);
        ck_assert_msg(!strcmp(got, want), "case '%s': explain's params\n%s\nthe dump\n%s",
                      ts_cases.names[i], got, want);
        free(got);
        free(want);
    }
}

/* ---- variants ---------------------------------------------------------------------- */

START_TEST(test_every_variant_block_and_item_of_the_path_is_named_outermost_first)
{
    explain("x = 1\n"
            "variants:\n"
            "    - a:\n"
            "        variants inner:\n"
            "            - i1:\n"
            "            - i2:\n"
            "                y = 2\n"
            "    - b:\n"
            "variants:\n"
            "    - @p:\n"
            "    - q:\n", "p.a.(inner=i2)");
    explained();
    ROWS({ "t.cfg:9", "variants:", NULL }, { "t.cfg:10", "- @p:", NULL },
         { "t.cfg:2", "variants:", NULL }, { "t.cfg:3", "- a:", NULL },
         { "t.cfg:4", "    variants inner:", NULL }, { "t.cfg:6", "      - i2:", NULL });
    ck_assert_ptr_nonnull(strstr(X.buf, "== p.a.(inner=i2)\nshortname: a.i2\n"));
}
END_TEST

START_TEST(test_named_block_assignment_is_shown_at_its_item)
{
    explain("variants guest:\n"
            "    - RHEL.9:\n"
            "        guest = mine\n", "(guest=RHEL).(guest=9)");
    explained();
    ROWS({ "t.cfg:2", "- RHEL.9:  (variants guest:)", "-> RHEL.9" },
         { "t.cfg:3", "guest = mine", "-> mine" });
}
END_TEST

/* ---- filters ----------------------------------------------------------------------- */

START_TEST(test_only_and_no_at_every_level_that_the_case_passed_are_listed)
{
    explain("only a, b\n"
            "variants:\n"
            "    - a:\n"
            "        no q\n"
            "    - b:\n"
            "variants:\n"
            "    - p:\n"
            "        only a\n"
            "    - q:\n"
            "no b\n", "p.a");
    explained();
    ROWS({ "t.cfg:1", "only a, b", "passes: the name matches" },
         { "t.cfg:4", "no q", "passes: the name does not match" },
         { "t.cfg:8", "only a", "passes: the name matches" },
         { "t.cfg:10", "no b", "passes: the name does not match" });
}
END_TEST

START_TEST(test_a_case_the_filters_drop_names_each_filter_that_drops_it)
{
    explain("variants:\n"
            "    - a:\n"
            "    - b:\n"
            "        no p\n"
            "variants:\n"
            "    - p:\n"
            "    - q:\n"
            "only q\n", "p.b");
    ck_assert_int_eq(XR, 1);
    ck_assert_ptr_nonnull(strstr(X.buf, "not listed: the filters drop it\ndropped by:\n"));
    ROWS({ "t.cfg:4", "no p", "DROPS the case: the name matches" },
         { "t.cfg:8", "only q", "DROPS the case: the name does not match" },
         { "t.cfg:5", "variants:", NULL }, { "t.cfg:6", "- p:", NULL });
    ck_assert_ptr_null(strstr(X.buf, "params ("));
}
END_TEST

START_TEST(test_a_filter_given_as_a_statement_is_named_as_string)
{
    explain_stmts("variants:\n    - a:\n    - b:\n", "b", 0, "x = 1", "only a",
                  (const char *)NULL);
    ck_assert_int_eq(XR, 1);
    expect_row("<string>:1", "only a", "DROPS the case");
}
END_TEST

START_TEST(test_a_filter_inside_a_condition_drops_only_when_it_applies)
{
    explain("variants:\n"
            "    - a:\n"
            "    - b:\n"
            "variants:\n"
            "    - p:\n"
            "    - q:\n"
            "b:\n"
            "    no p\n", "p.b");
    ck_assert_int_eq(XR, 1);
    ROWS({ "t.cfg:8", "no p", "DROPS" }, { "t.cfg:7", "b:", "applies: the name matches" });
}
END_TEST

/* ---- conditions -------------------------------------------------------------------- */

START_TEST(test_conditions_on_the_path_say_whether_they_applied_nested_ones_indented)
{
    explain("variants:\n"
            "    - a:\n"
            "    - b:\n"
            "a: x = 1\n"
            "!a:\n"
            "    y = 2\n"
            "!b:\n"
            "    b: z = 3\n"
            "    a:\n"
            "        w = 4\n", "a");
    explained();
    ROWS({ "t.cfg:4", "a: x = 1", "applies: the name matches" },
         { "t.cfg:5", "!a:", "does not apply: the name matches" },
         { "t.cfg:7", "!b:", "applies: the name does not match" },
         { "t.cfg:8", "  b: z = 3", "does not apply" },
         { "t.cfg:9", "  a:", "applies" });
    expect_row("t.cfg:4", "x = 1", "-> 1");
    expect_row("t.cfg:10", "w = 4", "-> 4");
    ck_assert_ptr_null(strstr(X.buf, "y = 2"));
}
END_TEST

/* ---- assignments ------------------------------------------------------------------- */

START_TEST(test_every_assignment_kind_is_listed_in_order_with_the_value_after_it)
{
    explain("k = b\n"
            "k += c\n"
            "k <= a\n"
            "k ~= never\n"
            "fresh ~= new\n"
            "k ?+= d\n"
            "k ?<= _\n"
            "k.* ?= ${k}!\n"
            "gone = 1\n"
            "del gone\n"
            "gone ~= again\n"
            "name = x\n", "");
    explained();
    ROWS({ "t.cfg:1", "k = b", "-> b" }, { "t.cfg:2", "k += c", "-> bc" },
         { "t.cfg:3", "k <= a", "-> abc" },
         { "t.cfg:4", "k ~= never", "not applied: the key is already set" },
         { "t.cfg:6", "k ?+= d", "-> abcd" }, { "t.cfg:7", "k ?<= _", "-> _abcd" },
         { "t.cfg:8", "k.* ?= ${k}!", "-> _abcd!" });
    ROWS({ "t.cfg:9", "gone = 1", "-> 1" }, { "t.cfg:10", "del gone", "deleted" },
         { "t.cfg:11", "gone ~= again", "-> again" });
    expect_row("t.cfg:5", "fresh ~= new", "-> new");
    expect_row("t.cfg:12", "name = x", "no effect: a reserved key");
    ck_assert_ptr_nonnull(strstr(X.buf, "\nk=_abcd!\n"));
}
END_TEST

START_TEST(test_max_applied_after_the_statements_is_shown_last)
{
    explain("mem = 4096\n"
            "mem_max = 1024\n"
            "mem += 0\n", "");
    explained();
    ROWS({ "t.cfg:1", "mem = 4096", "-> 4096" }, { "t.cfg:3", "mem += 0", "-> 40960" },
         { "t.cfg:2", "mem_max applied after every statement", "-> 1024" });
}
END_TEST

START_TEST(test_an_included_file_shows_its_own_file_and_lines)
{
    ts_write("inc/os.cfg", "# the guests\n"
                             "variants os:\n"
                             "    - linux:\n"
                             "        kernel = vmlinuz\n"
                             "        only a\n");
    explain("kernel = none\n"
            "variants:\n"
            "    - a:\n"
            "        include inc/os.cfg\n"
            "    - b:\n", "a.(os=linux)");
    explained();
    ROWS({ "t.cfg:2", "variants:", NULL }, { "t.cfg:3", "- a:", NULL },
         { "inc/os.cfg:2", "variants os:", NULL }, { "inc/os.cfg:3", "- linux:", NULL });
    expect_row("inc/os.cfg:5", "only a", "passes");
    ROWS({ "t.cfg:1", "kernel = none", "-> none" },
         { "inc/os.cfg:4", "kernel = vmlinuz", "-> vmlinuz" });
}
END_TEST

/* ---- suffix and join --------------------------------------------------------------- */

START_TEST(test_suffix_renames_are_shown_as_the_engine_applies_them)
{
    explain("mem = 1\n"
            "variants:\n"
            "    - vm1:\n"
            "        mem = 2\n"
            "        suffix _vm1\n"
            "    - vm2:\n"
            "mem = 3\n", "vm1");
    explained();
    ROWS({ "t.cfg:1", "mem = 1", "-> 1" }, { "t.cfg:4", "mem = 2", "-> 2" },
         { "t.cfg:5", "suffix _vm1", "-> mem_vm1 = 2" });
    /* the plain key set after the block is a new value: the rename ended the old one */
    const char *plain = strstr(X.buf, "\nmem=3\n");
    ck_assert_ptr_nonnull(plain);
    ck_assert_ptr_nonnull(row_at(plain, "t.cfg:5", "suffix _vm1",
                                 "renamed mem_vm1: this key is unset"));
    ck_assert_ptr_nonnull(row_at(plain, "t.cfg:7", "mem = 3", "-> 3"));
    ck_assert_ptr_nonnull(strstr(X.buf, "\nmem_vm1=2\n"));
}
END_TEST

START_TEST(test_a_joined_case_explains_each_part_and_the_join)
{
    explain("variants:\n"
            "    - a1:\n"
            "        x = 1\n"
            "    - a2:\n"
            "        x = 2\n"
            "        y = 2\n"
            "variants:\n"
            "    - t:\n"
            "        join a1 a2\n", "t.a1.a2");
    explained();
    ck_assert_ptr_nonnull(strstr(X.buf, "join t.cfg:9: the case merges 2 parts"));
    ck_assert_ptr_nonnull(strstr(X.buf, "\npart 1 of 2: t.a1\n"));
    ck_assert_ptr_nonnull(strstr(X.buf, "\npart 2 of 2: t.a2\n"));
    expect_row("t.cfg:9", "join a1 a2", "passes");
    /* the later part's value wins */
    ck_assert_ptr_nonnull(strstr(X.buf, "\nx=2\n  t.cfg:5"));
    expect_row("t.cfg:5", "x = 2", "(part 2)");
}
END_TEST

/* ---- names ------------------------------------------------------------------------- */

START_TEST(test_every_occurrence_of_a_repeated_name_is_explained)
{
    explain("variants:\n"
            "    - a:\n"
            "        v = first\n"
            "    - a:\n"
            "        v = second\n", "a");
    explained();
    ck_assert_ptr_nonnull(strstr(X.buf, "== a\noccurrence 1 of 2 cases with this name"));
    const char *two = strstr(X.buf, "\n== a\noccurrence 2 of 2 cases with this name");
    ck_assert_ptr_nonnull(two);
    expect_row("t.cfg:3", "v = first", "-> first");
    ck_assert_ptr_nonnull(row_at(two, "t.cfg:4", "- a:", NULL));
    ck_assert_ptr_nonnull(row_at(two, "t.cfg:5", "v = second", "-> second"));
}
END_TEST

START_TEST(test_a_shortname_finds_its_case)
{
    explain("variants:\n"
            "    - @x:\n"
            "variants g:\n"
            "    - lin:\n", "lin");
    explained();
    ck_assert_ptr_nonnull(strstr(X.buf, "== (g=lin).x\n(matched by its shortname)\n"));
}
END_TEST

START_TEST(test_an_unknown_name_is_one_clear_error)
{
    explain("variants:\n    - a:\n    - b:\n", "c");
    ck_assert_int_eq(XR, -1);
    ck_assert_str_eq(X.buf, "");
    ck_assert_ptr_nonnull(strstr(err_msg(), "no case of t.cfg is named 'c'"));
    explain("variants:\n    - a:\n    - b:\n", "a.b");     /* more labels than any case */
    ck_assert_int_eq(XR, -1);
}
END_TEST

START_TEST(test_a_config_error_is_reported_as_parsing_does)
{
    explain("variants:\n    - a\n", "a");
    ck_assert_int_eq(XR, -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "t.cfg:2:"));
}
END_TEST

START_TEST(test_defaults_mode_explains_the_default_case)
{
    struct cfg_opts o = { .defaults = true };
    ts_write("t.cfg", "variants:\n    - a:\n    - @b:\n        x = 1\n");
    strbuf_release(&X);
    ck_assert_int_eq(cfg_explain("t.cfg", NULL, 0, &o, "b", 0, &X), 0);
    expect_row("t.cfg:3", "- @b:", NULL);
    /* the other item exists, but defaults mode does not list it */
    strbuf_release(&X);
    ck_assert_int_eq(cfg_explain("t.cfg", NULL, 0, &o, "a", 0, &X), 1);
    ck_assert_ptr_nonnull(strstr(X.buf, "no only/no drops it (defaults mode"));
}
END_TEST

/* ---- final values and JSON --------------------------------------------------------- */

START_TEST(test_the_params_of_every_case_are_its_dump)
{
    ts_write("inc/g.cfg", "variants guest:\n    - @RHEL.9:\n        os = linux\n"
                            "    - Win:\n        os = windows\n        suffix _w\n");
    expect_every_case_matches_dump(
        "vms = vm1 vm2\n"
        "mem = 1024\n"
        "mem_vm2 = 2048\n"
        "include inc/g.cfg\n"
        "variants disk:\n"
        "    - qcow2:\n"
        "        image_format = qcow2\n"
        "        mem_max = 512\n"
        "    - raw:\n"
        "        image_format = raw\n"
        "        mem.* ?+= 0\n"
        "variants:\n"
        "    - @default:\n"
        "    - migrate: qcow2\n"
        "        type = migrate\n"
        "        only qcow2\n"
        "        dest = ${type}-${os}\n"
        "    - boot:\n"
        "        type = boot\n"
        "        del mem_vm2\n"
        "migrate..RHEL:\n"
        "    migrate_speed = 1G\n"
        "!Win: suffix _x\n");
}
END_TEST

/* The empty key's value "= y" dumps as "== y": a params line, not a case's heading. */
START_TEST(test_a_params_line_that_starts_like_a_heading_is_a_param)
{
    expect_every_case_matches_dump("variants:\n    - a:\n= = y\n");
    ck_assert_ptr_nonnull(strstr(X.buf, "\n== y\n  t.cfg:3 "));
}
END_TEST

START_TEST(test_json_holds_the_same_explanation)
{
    explain_stmts("x = 1\nvariants:\n    - a:\n        x += 2\n        only a\n    - b:\n",
                  "a", CFG_EXPLAIN_JSON, (const char *)NULL);
    explained();
    json_error_t e;
    json_t *j = json_loads(X.buf, 0, &e);
    ck_assert_msg(j != NULL, "not JSON (%s) at %d: %s", e.text, e.position, X.buf);
    ck_assert_str_eq(json_string_value(json_object_get(j, "query")), "a");
    ck_assert(json_is_true(json_object_get(j, "listed")));
    json_t *c = json_object_get(json_array_get(json_object_get(j, "cases"), 0), "explanation");
    json_t *part = json_array_get(json_object_get(c, "parts"), 0);
    json_t *item = json_array_get(json_object_get(part, "variants"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "line")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(item, "variants_line")), 2);
    json_t *f = json_array_get(json_object_get(part, "filters"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f, "statement")), "only a");
    ck_assert(json_is_true(json_object_get(f, "passes")));
    json_t *params = json_object_get(c, "params"), *x = NULL;
    for (size_t i = 0; i < json_array_size(params); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(params, i), "key")), "x"))
            x = json_array_get(params, i);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(json_string_value(json_object_get(x, "value")), "12");
    json_t *h = json_object_get(x, "history");
    ck_assert_uint_eq(json_array_size(h), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(h, 1), "line")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 1), "value")), "12");
    json_decref(j);
}
END_TEST

/* ---- cost ---------------------------------------------------------------------------- */

START_TEST(test_the_ordinary_parse_records_nothing_for_explain)
{
    ts_write("t.cfg", "variants:\n    - a:\n    - b:\n");
    struct cfg *c = cfg_parse("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_null(c->prov);
    cfg_free(c);
    c = cfg_parse_prov("t.cfg", NULL, 0, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->prov->n, 2);
    ck_assert_int_eq(c->prov->v[1].line, 3);
    ck_assert_int_eq(c->prov->v[1].vline, 1);
    cfg_free(c);
}
END_TEST

static Suite *explain_suite(void)
{
    Suite *s = suite_create("cfg_explain");
    TCase *tc = tcase_create("explain");
    tcase_add_checked_fixture(tc, ts_tmp_setup, ts_tmp_teardown);
    tcase_add_test(tc, test_every_variant_block_and_item_of_the_path_is_named_outermost_first);
    tcase_add_test(tc, test_named_block_assignment_is_shown_at_its_item);
    tcase_add_test(tc, test_only_and_no_at_every_level_that_the_case_passed_are_listed);
    tcase_add_test(tc, test_a_case_the_filters_drop_names_each_filter_that_drops_it);
    tcase_add_test(tc, test_a_filter_given_as_a_statement_is_named_as_string);
    tcase_add_test(tc, test_a_filter_inside_a_condition_drops_only_when_it_applies);
    tcase_add_test(tc, test_conditions_on_the_path_say_whether_they_applied_nested_ones_indented);
    tcase_add_test(tc, test_every_assignment_kind_is_listed_in_order_with_the_value_after_it);
    tcase_add_test(tc, test_max_applied_after_the_statements_is_shown_last);
    tcase_add_test(tc, test_an_included_file_shows_its_own_file_and_lines);
    tcase_add_test(tc, test_suffix_renames_are_shown_as_the_engine_applies_them);
    tcase_add_test(tc, test_a_joined_case_explains_each_part_and_the_join);
    tcase_add_test(tc, test_every_occurrence_of_a_repeated_name_is_explained);
    tcase_add_test(tc, test_a_shortname_finds_its_case);
    tcase_add_test(tc, test_an_unknown_name_is_one_clear_error);
    tcase_add_test(tc, test_a_config_error_is_reported_as_parsing_does);
    tcase_add_test(tc, test_defaults_mode_explains_the_default_case);
    tcase_add_test(tc, test_the_params_of_every_case_are_its_dump);
    tcase_add_test(tc, test_a_params_line_that_starts_like_a_heading_is_a_param);
    tcase_add_test(tc, test_json_holds_the_same_explanation);
    tcase_add_test(tc, test_the_ordinary_parse_records_nothing_for_explain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(explain_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    strbuf_release(&X);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
