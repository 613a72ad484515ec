/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results.xml read by its real consumers: the schemas (vtrun's own for the default
 * flavour, the strict one that Jenkins' xunit junit-10.xsd and dtkit's junit-4.xsd
 * both accept for --junit-flavour strict), openQA's own JUnit parser
 * (OpenQA::Parser::Format::JUnit from Debian's openqa-common, run with perl),
 * junitparser (Debian's python3-junitparser), and GitLab's test key (testsuite@name +
 * classname + name) across two nights of the same job.  Merged 2-shard files of
 * every status, from the results module and from vtrun itself ($VTRUN; its cases
 * CANCEL without hosts, so no lab is needed).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "tests/support.h"

#include <check.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPENQA_LIB "/usr/share/openqa/lib"

/* ---- a merged file of every status, from the results module ---------------------- */

static const struct {
    const char *name;
    enum res_status st;
    const char *reason;
    const char *openqa; /* the step result openQA's parser gives */
} cases[] = {
    { "type_specific.boot.pass", RES_PASS, NULL, "ok" },
    { "type_specific.boot.fail", RES_FAIL, "kernel panic on console", "fail" },
    { "type_specific.boot.error", RES_ERROR, "qemu-img create failed", "unknown" },
    { "type_specific.boot.skip", RES_SKIP, "needs kvm", "missing" },
    { "type_specific.boot.warn", RES_WARN, "guest clock drifted", "softfail" },
    { "type_specific.boot.interrupted", RES_INTERRUPTED, "Timeout reached",
      "timeout_exceeded" },
    { "type_specific.boot.cancel", RES_CANCEL, "no migration host", "missing" },
};
#define NCASES ARRAY_SIZE(cases)

/* Shard i of 2 (case k in shard k % 2 + 1) into ts_base/shardI; its job directory. */
static char *run_shard(unsigned i)
{
    char shard[8], *results = xasprintf("%s/shard%u", ts_base, i), *dir;
    struct res_job_info info = { .results_dir = results, .name = "nightly",
                                 .shard = shard, .hostname = "pair" };
    struct res_job *job;
    unsigned index = 0;
    snprintf(shard, sizeof(shard), "%u/2", i);
    job = res_job_open(&info);
    ck_assert_msg(job != NULL, "%s", err_msg());
    for (size_t k = 0; k < NCASES; k++) {
        struct res_param props[] = { { "type", "boot" }, { "vms", "vm1" } };
        struct res_test_info ti = { .index = ++index, .gen_index = (long)k,
                                    .name = cases[k].name, .props = props, .nprops = 2 };
        struct res_test *t;
        if (k % 2 != i - 1) {
            index--;
            continue;
        }
        t = res_test_start(job, &ti);
        ck_assert_ptr_nonnull(t);
        res_test_log(t, "running %s", cases[k].name);
        res_test_end(t, cases[k].st, NULL, cases[k].reason, 1.0 + (double)k);
    }
    res_job_end(job, 20);
    dir = xstrdup(res_job_dir(job));
    res_job_free(job);
    free(results);
    return dir;
}

static char *merged(enum res_junit_flavour f, const char *out_name)
{
    char *s1 = run_shard(1), *s2 = run_shard(2), *out = xasprintf("%s/%s", ts_base, out_name);
    const char *dirs[] = { s2, s1 };
    char *xml;
    ck_assert_msg(res_merge(dirs, 2, out, f) == 0, "merge: %s", err_msg());
    xml = xasprintf("%s/results.xml", out);
    free(s1);
    free(s2);
    free(out);
    return xml;
}

START_TEST(test_full_flavour_validates_against_vtrun_schema_not_the_strict_one)
{
    char *xml = merged(RES_JUNIT_FULL, "full"), *msg;
    ts_assert_valid("tests/vtrun-junit.xsd", xml);
    /* testcase@status and testcase properties: what strict consumers reject */
    ck_assert_int_ne(ts_xsd_check("tests/junit-strict.xsd", xml, &msg), 0);
    ck_assert_ptr_nonnull(strstr(msg, "status"));
    free(msg);
    free(xml);
}
END_TEST

START_TEST(test_strict_flavour_validates_against_the_strict_schema)
{
    char *xml = merged(RES_JUNIT_STRICT, "strict");
    char *text;
    ts_assert_valid("tests/junit-strict.xsd", xml);
    ts_assert_valid("tests/vtrun-junit.xsd", xml);
    text = ts_read(xml);
    ck_assert_ptr_null(strstr(text, " status=\""));
    ck_assert_ptr_null(strstr(text, "<skipped message"));
    /* the reasons are still there, as text */
    ck_assert_ptr_nonnull(strstr(text, "<skipped>needs kvm</skipped>"));
    ck_assert_ptr_nonnull(strstr(text, ">kernel panic on console</failure>"));
    ck_assert_ptr_nonnull(strstr(text, "WARN: guest clock drifted"));
    free(text);
    free(xml);
}
END_TEST

/* Run a program (argv), its stdout; fails the test on a non-zero exit. */
static char *output_of(char *const argv[], const char *what)
{
    char *out = xasprintf("%s/out", ts_base), *err = xasprintf("%s/err", ts_base), *text;
    int rc = ts_run_files(argv, out, err, 120);
    if (rc != 0) {
        char *e = ts_read(err);
        ck_abort_msg("%s exited %d%s: %.3000s", what, rc,
                     rc == 127 ? " (not installed? see deps/debian.txt)" : "", e);
    }
    text = ts_read(out);
    unlink(out);
    unlink(err);
    free(out);
    free(err);
    return text;
}

/* openQA's own parser: one line per module ("module CATEGORY NAME RESULT") and per
 * step ("step MODULE RESULT TITLE"). */
static char *openqa_parse(const char *xml)
{
    static const char script[] =
        "use OpenQA::Parser::Format::JUnit;"
        "my $p = OpenQA::Parser::Format::JUnit->new->load($ARGV[0]);"
        "print 'module ', $_->category, ' ', $_->name, \"\\n\" for $p->tests->each;"
        "for my $r ($p->results->each) {"
        "  print 'result ', $r->name, ' ', $r->result, \"\\n\";"
        "  print 'step ', $r->name, ' ', $_->{result}, ' ', $_->{title}, \"\\n\""
        "    for @{$r->details};"
        "}";
    char *argv[] = { "perl", "-I" OPENQA_LIB, "-e", (char *)script, (char *)xml, NULL };
    ck_assert_msg(access(OPENQA_LIB "/OpenQA/Parser/Format/JUnit.pm", R_OK) == 0,
                  "openQA's parser is missing: apt-get install openqa-common "
                  "(deps/debian.txt)");
    return output_of(argv, "openQA's JUnit parser");
}

START_TEST(test_openqa_parses_a_merged_file_into_one_module_per_shard)
{
    char *xml = merged(RES_JUNIT_FULL, "full"), *out = openqa_parse(xml);
    /* two modules, distinct: the package per shard, numbered by testsuite@id */
    ck_assert_msg(strstr(out, "module vtrun 1_nightly_shard1\n") &&
                  strstr(out, "module vtrun 2_nightly_shard2\n"), "%s", out);
    ck_assert_int_eq(ts_count(out, "module "), 2);
    /* every step, with openQA's result for its status */
    ck_assert_int_eq(ts_count(out, "step "), NCASES);
    for (size_t k = 0; k < NCASES; k++) {
        char *step = xasprintf("step %u_nightly_shard%zu %s %s\n", (unsigned)(k % 2 + 1),
                               k % 2 + 1, cases[k].openqa, cases[k].name);
        ck_assert_msg(strstr(out, step), "no '%s' in:\n%s", step, out);
        free(step);
    }
    /* a failing shard is a failing module, not a softfail */
    ck_assert_ptr_nonnull(strstr(out, "result 1_nightly_shard1 fail\n"));
    ck_assert_ptr_nonnull(strstr(out, "result 2_nightly_shard2 fail\n"));
    free(out);
    free(xml);
}
END_TEST

/* junitparser: "SUITE|CLASSNAME|NAME|RESULTS" per case. */
static char *junitparser_read(const char *xml)
{
    static const char script[] =
        "import sys\n"
        "from junitparser import JUnitXml\n"
        "x = JUnitXml.fromfile(sys.argv[1])\n"
        "for s in x:\n"
        "    for c in s:\n"
        "        r = ','.join(type(e).__name__ for e in c.result)\n"
        "        print('%s|%s|%s|%s' % (s.name, c.classname, c.name, r))\n"
        "    print('suite|%s|%s|%s' % (s.name, s.tests, s.failures))\n";
    /* Debian's python, where python3-junitparser installs (not a pyenv on PATH) */
    char *argv[] = { "/usr/bin/python3", "-c", (char *)script, (char *)xml, NULL };
    return output_of(argv, "junitparser");
}

START_TEST(test_junitparser_reads_every_case_and_its_result)
{
    for (int f = RES_JUNIT_FULL; f <= RES_JUNIT_STRICT; f++) {
        char *xml = merged((enum res_junit_flavour)f, f ? "strict" : "full");
        char *out = junitparser_read(xml);
        static const char *const kind[] = {
            [RES_PASS] = "", [RES_FAIL] = "Failure", [RES_ERROR] = "Error",
            [RES_SKIP] = "Skipped", [RES_WARN] = "", [RES_INTERRUPTED] = "Error",
            [RES_CANCEL] = "Skipped",
        };
        for (size_t k = 0; k < NCASES; k++) {
            char *line = xasprintf("nightly.shard%zu|boot|%s|%s\n", k % 2 + 1,
                                   cases[k].name, kind[cases[k].st]);
            ck_assert_msg(strstr(out, line), "no '%s' in:\n%s", line, out);
            free(line);
        }
        ck_assert_ptr_nonnull(strstr(out, "suite|nightly.shard1|4|0\n"));
        ck_assert_ptr_nonnull(strstr(out, "suite|nightly.shard2|3|1\n"));
        free(out);
        free(xml);
        ts_rmtree(ts_base);
        ck_assert_int_eq(mkdir(ts_base, 0700), 0);
    }
}
END_TEST

/* ---- through vtrun: two nights of a 2-shard job ------------------------------------ */

static const char *vtrun(void)
{
    const char *v = getenv("VTRUN");
    ck_assert_msg(v && *v, "VTRUN is not set: run the tests with `make check`");
    return v;
}

/* One shard of a night: tests/cfg/avt/top.cfg's qcow2 cases, no hosts (CANCEL);
 * EXTRA: settings lines, and one more option (or NULL). */
static void night_shard_with(const char *night, unsigned shard, const char *extra,
                             const char *opt)
{
    char *settings = xasprintf("%s/%s.conf", ts_base, night);
    char *results = xasprintf("%s/%s/shard%u", ts_base, night, shard);
    char *spec = xasprintf("%u/2", shard);
    char *conf = xasprintf("results_dir = \"%s\";\nhosts = ();\n%s", results, extra);
    FILE *f = fopen(settings, "w");
    char *argv[] = { "env", "-u", "VTRUN_SETTINGS", (char *)vtrun(), "run", "--settings",
                     settings, "--vt-config", "tests/cfg/avt/top.cfg", "--only", "qcow2",
                     "--shard", spec, "--allow-empty", (char *)opt, NULL };
    ck_assert_ptr_nonnull(f);
    fputs(conf, f);
    fclose(f);
    free(output_of(argv, "vtrun"));
    free(settings);
    free(results);
    free(spec);
    free(conf);
}

static void night_shard(const char *night, unsigned shard)
{
    night_shard_with(night, shard, "", NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "suite|classname|name" of every testcase, sorted, one per line. */
static char *gitlab_keys(const char *xml)
{
    xmlDocPtr doc = xmlReadFile(xml, NULL, 0);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr obj;
    struct strbuf sb = STRBUF_INIT;
    char **keys;
    int n;
    ck_assert_msg(doc != NULL, "cannot parse %s", xml);
    ctx = xmlXPathNewContext(doc);
    obj = xmlXPathEvalExpression(BAD_CAST "//testcase", ctx);
    n = obj->nodesetval ? obj->nodesetval->nodeNr : 0;
    keys = xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        xmlNodePtr tc = obj->nodesetval->nodeTab[i];
        xmlChar *suite = xmlGetProp(tc->parent, BAD_CAST "name");
        xmlChar *cls = xmlGetProp(tc, BAD_CAST "classname");
        xmlChar *name = xmlGetProp(tc, BAD_CAST "name");
        keys[i] = xasprintf("%s|%s|%s\n", suite, cls, name);
        xmlFree(suite);
        xmlFree(cls);
        xmlFree(name);
    }
    qsort(keys, (size_t)n, sizeof(*keys), cmp_str);
    for (int i = 0; i < n; i++) {
        strbuf_addstr(&sb, keys[i]);
        free(keys[i]);
    }
    free(keys);
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return strbuf_detach(&sb, NULL);
}

static char *merge_night(const char *night)
{
    char *s1 = xasprintf("%s/%s/shard1", ts_base, night), *s2 = xasprintf("%s/%s/shard2", ts_base, night);
    char *out = xasprintf("%s/%s/merged", ts_base, night);
    char *argv[] = { (char *)vtrun(), "merge", s1, s2, "--out", out, NULL };
    char *xml = xasprintf("%s/results.xml", out);
    free(output_of(argv, "vtrun merge"));
    free(s1);
    free(s2);
    free(out);
    return xml;
}

START_TEST(test_gitlab_keys_are_equal_on_two_nights_and_openqa_keeps_both_shards)
{
    char *xml1, *xml2, *k1, *k2, *out;
    for (unsigned s = 1; s <= 2; s++) {
        night_shard("monday", s);
        night_shard("tuesday", s);
    }
    xml1 = merge_night("monday");
    xml2 = merge_night("tuesday");
    ts_assert_junit_valid(xml1);
    k1 = gitlab_keys(xml1);
    k2 = gitlab_keys(xml2);
    ck_assert_str_eq(k1, k2);
    /* the suite is the config's stem and the shard (which one: a hash of the case's
     * name, runner/run_shard.c); the name avocado-vt's */
    ck_assert_str_eq(k1, "top.shard1|boot|type_specific.io-github-autotest-libvirt.boot\n"
                         "top.shard1|migrate|type_specific.io-github-autotest-libvirt."
                         "migrate.precopy\n"
                         "top.shard2|migrate|type_specific.io-github-autotest-libvirt."
                         "migrate.postcopy\n");
    out = openqa_parse(xml1);
    ck_assert_msg(strstr(out, "module vtrun 1_top_shard1\n") &&
                  strstr(out, "module vtrun 2_top_shard2\n"), "%s", out);
    ck_assert_int_eq(ts_count(out, "step "), 3);
    free(out);
    free(k1);
    free(k2);
    free(xml1);
    free(xml2);
}
END_TEST

/* The settings' junit_flavour "strict" makes strict files; --junit-params all lists
 * every param (the default only those that matter). */
START_TEST(test_junit_settings_and_params_options_through_vtrun)
{
    char *xml = xasprintf("%s/strict/shard1/latest/results.xml", ts_base), *text;
    night_shard_with("strict", 1, "junit_flavour = \"strict\";\n", NULL);
    ts_assert_valid("tests/junit-strict.xsd", xml);
    free(xml);

    night_shard_with("relevant", 1, "", NULL);
    xml = xasprintf("%s/relevant/shard1/latest/results.xml", ts_base);
    text = ts_read(xml);
    ck_assert_ptr_nonnull(strstr(text, "<property name=\"type\" value=\"boot\"/>"));
    ck_assert_ptr_null(strstr(text, "name=\"image_format\""));
    free(text);
    free(xml);
    night_shard_with("all", 1, "", "--junit-params=all");
    xml = xasprintf("%s/all/shard1/latest/results.xml", ts_base);
    text = ts_read(xml);
    ck_assert_ptr_nonnull(strstr(text, "<property name=\"image_format\" value=\"qcow2\"/>"));
    ts_assert_junit_valid(xml);
    free(text);
    free(xml);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results-junit-consumers");
    TCase *tc = tcase_create("junit");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_full_flavour_validates_against_vtrun_schema_not_the_strict_one);
    tcase_add_test(tc, test_strict_flavour_validates_against_the_strict_schema);
    tcase_add_test(tc, test_openqa_parses_a_merged_file_into_one_module_per_shard);
    tcase_add_test(tc, test_junitparser_reads_every_case_and_its_result);
    tcase_add_test(tc, test_gitlab_keys_are_equal_on_two_nights_and_openqa_keeps_both_shards);
    tcase_add_test(tc, test_junit_settings_and_params_options_through_vtrun);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
