/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The results sink: directory layout, results.json, JUnit (validated with xmllint
 * against tests/vtrun-junit.xsd), HTML hop bars, atomic rewrites, masking, names,
 * progress lines, exit bits, threads and merge.  No VMs; runs in seconds. */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "tests/support.h"

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct res_job *open_job(const char *shard)
{
    struct res_job_info info = {
        .results_dir = ts_base, .shard = shard, .hostname = "host1",
        .package = "virt_autotest", .config = "examples/migrate.cfg", .total = 7,
    };
    struct res_job *job = res_job_open(&info);
    ck_assert_msg(job != NULL, "res_job_open: %s", err_msg());
    return job;
}

/* The params of p as results/ takes them (pointers into p); free the array. */
static struct res_param *res_params_of(const struct params *p, size_t *n)
{
    struct res_param *rp;
    *n = p ? params_count(p) : 0;
    rp = xcalloc(*n ? *n : 1, sizeof(*rp));
    for (size_t i = 0; i < *n; i++)
        rp[i] = (struct res_param){ params_key_at(p, i), params_value_at(p, i) };
    return rp;
}

static struct res_test *start(struct res_job *job, unsigned index, long k,
                              const char *name, struct params *p)
{
    size_t n;
    struct res_param *rp = res_params_of(p, &n);
    struct res_test_info ti = { .index = index, .gen_index = k, .name = name,
                                .shortname = name, .params = rp, .nparams = n };
    struct res_test *t = res_test_start(job, &ti);
    ck_assert_msg(t != NULL, "res_test_start: %s", err_msg());
    free(rp);
    return t;
}

static char *job_file(struct res_job *job, const char *name)
{
    return xasprintf("%s/%s", res_job_dir(job), name);
}

static void assert_valid_job_files(const char *dir)
{
    char *xml = xasprintf("%s/results.xml", dir), *html = xasprintf("%s/results.html", dir);
    json_decref(ts_results_json(dir));
    ts_assert_junit_valid(xml);
    ck_assert_int_eq(access(html, R_OK), 0);
    free(xml);
    free(html);
}

/* XPath on a results.xml: the string value of expr. */
static char *xpath_str(const char *xml, const char *expr)
{
    xmlDocPtr doc = xmlReadFile(xml, NULL, 0);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr obj;
    char *out;
    ck_assert_msg(doc != NULL, "cannot parse %s", xml);
    ctx = xmlXPathNewContext(doc);
    obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    ck_assert_msg(obj != NULL, "bad xpath %s", expr);
    {
        xmlChar *s = xmlXPathCastToString(obj);
        out = xstrdup((const char *)s);
        xmlFree(s);
    }
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return out;
}

static void assert_xpath(const char *xml, const char *expr, const char *want)
{
    char *got = xpath_str(xml, expr);
    ck_assert_msg(!strcmp(got, want), "%s: got '%s', want '%s'", expr, got, want);
    free(got);
}

/* ---- layout ------------------------------------------------------------------- */

START_TEST(test_job_open_creates_avocado_layout_with_valid_empty_results)
{
    struct res_job *job = open_job(NULL);
    const char *dir = res_job_dir(job);
    char *p, *id, *latest, target[4096];
    regex_t re;
    json_t *root;
    ssize_t n;

    ck_assert_int_eq(regcomp(&re, "/job-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\\.[0-9]{2}-"
                                  "[0-9a-f]{7}$", REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, dir, 0, NULL, 0) == 0, "bad job dir name %s", dir);
    regfree(&re);
    ck_assert_int_eq(strncmp(dir + strlen(dir) - 7, res_job_id(job), 7), 0);
    p = job_file(job, "id");
    id = ts_read(p);
    ck_assert_int_eq(strlen(id), 41);
    ck_assert_int_eq(strspn(id, "0123456789abcdef"), 40);
    ck_assert_int_eq(id[40], '\n');
    free(p);
    free(id);
    p = job_file(job, "job.log");
    ck_assert_int_eq(access(p, R_OK), 0);
    free(p);
    latest = xasprintf("%s/latest", ts_base);
    n = readlink(latest, target, sizeof(target) - 1);
    ck_assert_int_gt(n, 0);
    target[n] = '\0';
    ck_assert_str_eq(target, strrchr(dir, '/') + 1);
    free(latest);

    assert_valid_job_files(dir);
    root = ts_results_json(dir);
    ck_assert_int_eq(ts_jint(root, "total"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(root, "tests")), 0);
    ck_assert_str_eq(ts_jstr(root, "job_id"), res_job_id(job));
    json_decref(root);
    res_job_free(job);
}
END_TEST

START_TEST(test_latest_follows_the_newest_job)
{
    struct res_job *a = open_job(NULL), *b = open_job(NULL);
    char *latest = xasprintf("%s/latest/id", ts_base);
    char *id = ts_read(latest);
    ck_assert_str_ne(res_job_dir(a), res_job_dir(b));
    ck_assert_int_eq(strncmp(id, res_job_id(b), 40), 0);
    free(id);
    free(latest);
    res_job_free(a);
    res_job_free(b);
}
END_TEST

START_TEST(test_given_job_id_is_kept)
{
    const char *id = "0123456789abcdef0123456789abcdef01234567";
    struct res_job_info info = { .results_dir = ts_base, .job_id = id };
    struct res_job *job = res_job_open(&info);
    ck_assert_ptr_nonnull(job);
    ck_assert_str_eq(res_job_id(job), id);
    ck_assert_str_eq(res_job_dir(job) + strlen(res_job_dir(job)) - 8, "-0123456");
    res_job_free(job);
}
END_TEST

START_TEST(test_job_open_fails_cleanly_on_unwritable_dir)
{
    struct res_job_info info = { .results_dir = "/proc/vtrun-no-such/dir" };
    ck_assert_ptr_null(res_job_open(&info));
    ck_assert_ptr_nonnull(strstr(err_msg(), "/proc"));
}
END_TEST

/* ---- one job of every status ---------------------------------------------------- */

static const struct {
    const char *name;
    enum res_status st;
    const char *openqa;
    const char *reason;
} seven[] = {
    { "boot.pass", RES_PASS, "success", NULL },
    { "boot.fail", RES_FAIL, "failure", "kernel panic on console" },
    { "boot.error", RES_ERROR, "error", "qemu-img create failed" },
    { "boot.skip", RES_SKIP, "skipped", "needs two hosts" },
    { "boot.warn", RES_WARN, "softfail", "guest clock drifted" },
    { "boot.interrupted", RES_INTERRUPTED, "timeout_exceeded", "Timeout reached" },
    { "boot.cancel", RES_CANCEL, "skipped", "no migration host" },
};

static struct res_job *run_seven(void)
{
    struct res_job *job = open_job(NULL);
    for (size_t i = 0; i < 7; i++) {
        struct params *p = params_new();
        struct res_test *t;
        params_set(p, "type", "boot");
        params_set(p, "main_vm", "vm1");
        t = start(job, (unsigned)i + 1, -1, seven[i].name, p);
        res_test_log(t, "running %s", seven[i].name);
        res_test_check(t, "console", "error", seven[i].st == RES_FAIL ? RES_FAIL : RES_PASS,
                       "no call trace");
        res_test_end(t, seven[i].st, NULL, seven[i].reason, 1.5 + (double)i);
        params_free(p);
    }
    ck_assert_int_eq(res_job_end(job, 42.5), 0);
    return job;
}

START_TEST(test_results_json_has_avocado_shape_and_counts)
{
    struct res_job *job = run_seven();
    json_t *root = ts_results_json(res_job_dir(job)), *tests, *t;
    size_t i;

    ck_assert_int_eq(ts_jint(root, "total"), 7);
    ck_assert_int_eq(ts_jint(root, "pass"), 1);
    ck_assert_int_eq(ts_jint(root, "failures"), 1);
    ck_assert_int_eq(ts_jint(root, "errors"), 1);
    ck_assert_int_eq(ts_jint(root, "skip"), 1);
    ck_assert_int_eq(ts_jint(root, "warn"), 1);
    ck_assert_int_eq(ts_jint(root, "interrupt"), 1);
    ck_assert_int_eq(ts_jint(root, "cancel"), 1);
    ck_assert_double_eq_tol(json_real_value(json_object_get(root, "time")), 42.5, 1e-9);
    ck_assert_ptr_nonnull(strstr(ts_jstr(root, "debuglog"), "/job.log"));
    tests = json_object_get(root, "tests");
    ck_assert_int_eq(json_array_size(tests), 7);
    json_array_foreach(tests, i, t) {
        char *id = xasprintf("%zu-%s", i + 1, seven[i].name);
        char *logdir = xasprintf("%s/test-results/%s", res_job_dir(job), id);
        ck_assert_str_eq(ts_jstr(t, "name"), seven[i].name);
        ck_assert_str_eq(ts_jstr(t, "id"), id);
        ck_assert_str_eq(ts_jstr(t, "status"), res_status_name(seven[i].st));
        ck_assert_str_eq(ts_jstr(t, "fail_reason"), seven[i].reason ? seven[i].reason : "");
        ck_assert_str_eq(ts_jstr(t, "logdir"), logdir);
        ck_assert_str_eq(ts_jstr(t, "whiteboard"), "");
        ck_assert(json_is_array(json_object_get(t, "hops")));
        ck_assert_double_eq_tol(json_real_value(json_object_get(t, "time")),
                                1.5 + (double)i, 1e-9);
        ck_assert_str_eq(ts_jstr(json_object_get(t, "params"), "main_vm"), "vm1");
        free(id);
        free(logdir);
    }
    json_decref(root);
    res_job_free(job);
}
END_TEST

START_TEST(test_junit_validates_and_uses_openqa_status_words)
{
    struct res_job *job = run_seven();
    char *xml = job_file(job, "results.xml");
    ts_assert_junit_valid(xml);
    assert_xpath(xml, "name(/*)", "testsuites");
    assert_xpath(xml, "count(/testsuites/testsuite)", "1");
    assert_xpath(xml, "/testsuites/testsuite/@tests", "7");
    assert_xpath(xml, "/testsuites/testsuite/@failures", "1");
    assert_xpath(xml, "/testsuites/testsuite/@errors", "2");  /* ERROR + INTERRUPTED */
    assert_xpath(xml, "/testsuites/testsuite/@skipped", "2"); /* SKIP + CANCEL */
    assert_xpath(xml, "/testsuites/testsuite/@time", "31.500");
    assert_xpath(xml, "/testsuites/testsuite/@hostname", "host1");
    assert_xpath(xml, "/testsuites/testsuite/@package", "virt_autotest");
    assert_xpath(xml, "string-length(/testsuites/testsuite/@timestamp)", "19");
    for (size_t i = 0; i < 7; i++) {
        char *e = xasprintf("/testsuites/testsuite/testcase[%zu]/@status", i + 1);
        assert_xpath(xml, e, seven[i].openqa);
        free(e);
        e = xasprintf("/testsuites/testsuite/testcase[%zu]/@name", i + 1);
        assert_xpath(xml, e, seven[i].name);
        free(e);
    }
    assert_xpath(xml, "/testsuites/testsuite/testcase[1]/@classname", "boot");
    assert_xpath(xml, "/testsuites/testsuite/testcase[1]/@time", "1.500");
    assert_xpath(xml, "count(/testsuites/testsuite/testcase[1]/failure|"
                      "/testsuites/testsuite/testcase[1]/error)", "0");
    assert_xpath(xml, "/testsuites/testsuite/testcase[2]/failure/@type", "TestFail");
    assert_xpath(xml, "/testsuites/testsuite/testcase[2]/failure/@message",
                 "kernel panic on console");
    assert_xpath(xml, "/testsuites/testsuite/testcase[3]/error/@type", "TestError");
    assert_xpath(xml, "/testsuites/testsuite/testcase[4]/skipped/@message", "needs two hosts");
    assert_xpath(xml, "/testsuites/testsuite/testcase[6]/error/@type", "TestInterrupted");
    assert_xpath(xml, "/testsuites/testsuite/testcase[7]/skipped/@message",
                 "no migration host");
    assert_xpath(xml, "/testsuites/testsuite/testcase[1]/properties/property[@name='main_vm']"
                      "/@value", "vm1");
    assert_xpath(xml, "/testsuites/testsuite/testcase[2]/properties/"
                      "property[@name='check.console']/@value", "FAIL [error]: no call trace");
    /* system-out only where someone has to look (as avocado): not for PASS */
    assert_xpath(xml, "count(/testsuites/testsuite/testcase[1]/system-out)", "0");
    assert_xpath(xml, "contains(/testsuites/testsuite/testcase[2]/system-out, "
                      "'running boot.fail')", "true");
    /* WARN's reason: a property, and the head of its system-out */
    assert_xpath(xml, "/testsuites/testsuite/testcase[5]/properties/property[@name='warn']"
                      "/@value", "guest clock drifted");
    assert_xpath(xml, "starts-with(/testsuites/testsuite/testcase[5]/system-out, "
                      "'WARN: guest clock drifted')", "true");
    /* a stable suite name, a numeric id and a package of its own (openQA) */
    assert_xpath(xml, "/testsuites/testsuite/@name", "vtrun");
    assert_xpath(xml, "/testsuites/testsuite/@id", "0");
    free(xml);
    res_job_free(job);
}
END_TEST

START_TEST(test_failure_class_given_by_runner_is_kept)
{
    struct res_job *job = open_job(NULL);
    struct res_test *t = start(job, 1, -1, "migrate.x", NULL);
    char *xml;
    res_test_end(t, RES_FAIL, "MigrationTimeout", "migration did not converge", 3);
    res_job_end(job, 3);
    xml = job_file(job, "results.xml");
    assert_xpath(xml, "//testcase/failure/@type", "MigrationTimeout");
    assert_xpath(xml, "//testcase/@classname", "vtrun");
    free(xml);
    res_job_free(job);
}
END_TEST

START_TEST(test_control_characters_in_logs_keep_xml_valid)
{
    struct res_job *job = open_job(NULL);
    struct res_test *t = start(job, 1, -1, "boot.ansi", NULL);
    char *xml;
    res_test_log(t, "console: \x1b[1;32mOK\x1b[0m bell\a nul-ish \x01 bad utf8 \xff\xfe end");
    res_test_end(t, RES_FAIL, NULL, "reason with \x1b escape", 1);
    res_job_end(job, 1);
    xml = job_file(job, "results.xml");
    ts_assert_junit_valid(xml);
    assert_xpath(xml, "contains(//system-out, '\\x1b[1;32mOK')", "true");
    free(xml);
    res_job_free(job);
}
END_TEST

START_TEST(test_nonfinite_numbers_keep_files_valid)
{
    struct res_job *job = open_job(NULL);
    struct res_test *t = start(job, 1, -1, "migrate.nan", NULL);
    json_t *root;
    res_test_hop(t, &(struct res_hop){ .vm = "vm1", .hop = 1, .start = NAN,
                                       .wall_s = INFINITY, .downtime_ms = NAN, .ok = true });
    res_test_end(t, RES_PASS, NULL, NULL, NAN);
    res_job_end(job, -INFINITY);
    assert_valid_job_files(res_job_dir(job));
    root = ts_results_json(res_job_dir(job));
    ck_assert_int_eq(ts_jint(root, "total"), 1);
    json_decref(root);
    res_job_free(job);
}
END_TEST

/* Where a test's time went: its phases in results.json (and the journal, so a merge
 * keeps them), summed per kind over the job in job.log ("hop 1" and "hop 2" are hops). */
START_TEST(test_phases_in_results_and_summed_in_job_log)
{
    struct res_job *job = open_job(NULL);
    for (unsigned i = 1; i <= 2; i++) {
        struct res_test *t = start(job, i, -1, i == 1 ? "migrate.a" : "migrate.b", NULL);
        res_test_phase(t, &(struct res_phase){ "setup", 1000, 1.5 });
        res_test_phase(t, &(struct res_phase){ "hop 1", 1002, 2 });
        res_test_phase(t, &(struct res_phase){ "hop 2", 1004, 3 });
        res_test_phase(t, &(struct res_phase){ "cleanup", 1007, NAN });
        res_test_end(t, RES_PASS, NULL, NULL, 10);
    }
    res_job_end(job, 20);
    assert_valid_job_files(res_job_dir(job));
    json_t *root = ts_results_json(res_job_dir(job));
    json_t *ph = json_object_get(json_array_get(json_object_get(root, "tests"), 1), "phases");
    ck_assert_int_eq(json_array_size(ph), 4);
    ck_assert_str_eq(ts_jstr(json_array_get(ph, 2), "name"), "hop 2");
    ck_assert(json_real_value(json_object_get(json_array_get(ph, 2), "time")) == 3);
    ck_assert(json_real_value(json_object_get(json_array_get(ph, 3), "time")) == 0);
    json_decref(root);
    char *log = job_file(job, "job.log"), *text = ts_read(log);
    ck_assert_msg(strstr(text, "PHASES     : setup 3.00 s (15.0 %) | hop 10.00 s (50.0 %) | "
                               "cleanup 0.00 s (0.0 %)"), "%s", text);
    char *journal = job_file(job, "results.jsonl"), *j = ts_read(journal);
    ck_assert_uint_eq(ts_count(j, "\"phases\""), 2);
    free(j);
    free(journal);
    free(text);
    free(log);
    res_job_free(job);
}
END_TEST

/* A results file that cannot be written (a full disk, here a directory in its place)
 * makes the job fail with the job-error bit and say so, whatever the tests did. */
START_TEST(test_unwritable_results_fail_the_job)
{
    struct res_job *job = open_job(NULL);
    char *json = job_file(job, "results.json"), *inside = xasprintf("%s/x", json);
    ck_assert_int_eq(unlink(json), 0);
    ck_assert_int_eq(mkdir(json, 0700), 0);
    ck_assert_int_eq(mkdir(inside, 0700), 0);
    struct res_test *t = start(job, 1, -1, "boot.ok", NULL);
    res_test_end(t, RES_PASS, NULL, NULL, 1);
    ck_assert_int_lt(res_job_end(job, 2), 0);
    ck_assert_int_eq(res_job_exit_bits(job) & RES_EXIT_JOB_ERROR, RES_EXIT_JOB_ERROR);
    char *tail = res_job_closing_lines(job, 2);
    ck_assert_msg(strstr(tail, "\nWRITE ERROR: results files could not be written"), "%s",
                  tail);
    free(tail);
    rmdir(inside);
    rmdir(json);
    free(inside);
    free(json);
    res_job_free(job);
}
END_TEST

/* ---- atomicity ------------------------------------------------------------------ */

/* The journal has every finished test at once (one JSON object per line, synced);
 * the aggregate files are valid at every moment and complete after the job's end. */
START_TEST(test_journal_has_each_test_at_its_end_and_files_stay_valid)
{
    struct res_job *job = open_job(NULL);
    char *journal = job_file(job, "results.jsonl");
    json_t *root;
    for (unsigned i = 1; i <= 5; i++) {
        char *name = xasprintf("case.%u", i), *text, *line;
        struct res_test *t = start(job, i, -1, name, NULL);
        json_error_t e;
        json_t *last;
        res_test_log(t, "hello %u", i);
        res_test_end(t, i % 2 ? RES_PASS : RES_FAIL, NULL, "x", 0.1);
        assert_valid_job_files(res_job_dir(job));
        text = ts_read(journal);
        ck_assert_int_eq(ts_count(text, "\n"), i);
        line = text + strlen(text) - 1;
        *line = '\0';
        line = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
        last = json_loads(line, 0, &e);
        ck_assert_msg(last != NULL, "journal line %u: %s", i, e.text);
        ck_assert_str_eq(ts_jstr(last, "name"), name);
        ck_assert_str_eq(ts_jstr(last, "status"), i % 2 ? "PASS" : "FAIL");
        json_decref(last);
        free(text);
        free(name);
    }
    res_job_end(job, 1);
    assert_valid_job_files(res_job_dir(job));
    root = ts_results_json(res_job_dir(job));
    ck_assert_int_eq(ts_jint(root, "total"), 5);
    json_decref(root);
    free(journal);
    res_job_free(job);
}
END_TEST

/* While tests end, the aggregate files are rendered again within a few seconds,
 * without waiting for the job's end. */
START_TEST(test_files_are_rendered_while_the_job_runs)
{
    struct res_job_info info = { .results_dir = ts_base, .render_interval = 0.2 };
    struct res_job *job = res_job_open(&info);
    struct res_test *t;
    json_t *root = NULL;
    ck_assert_ptr_nonnull(job);
    t = start(job, 1, -1, "case.1", NULL);
    res_test_end(t, RES_PASS, NULL, NULL, 0.1);
    for (int i = 0; i < 100; i++) {
        json_decref(root);
        root = ts_results_json(res_job_dir(job));
        if (ts_jint(root, "total") == 1)
            break;
        usleep(50000);
    }
    ck_assert_int_eq(ts_jint(root, "total"), 1);
    json_decref(root);
    res_job_free(job);
}
END_TEST

/* A job SIGKILLed at random moments (mid-rewrite, most likely) still leaves files
 * that parse and validate. */
START_TEST(test_killed_job_leaves_valid_files)
{
    for (int round = 0; round < 3; round++) {
        int pipefd[2];
        char dir[4096] = "";
        pid_t pid;
        ssize_t n;
        ck_assert_int_eq(pipe(pipefd), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            struct res_job *job = open_job(NULL);
            close(pipefd[0]);
            if (write(pipefd[1], res_job_dir(job), strlen(res_job_dir(job))) < 0)
                _exit(1);
            close(pipefd[1]);
            for (unsigned i = 1;; i++) {
                struct params *p = params_new();
                struct res_test *t;
                char *name = xasprintf("loop.%u", i);
                for (int k = 0; k < 60; k++) {
                    char key[32];
                    snprintf(key, sizeof(key), "param_%d", k);
                    params_set(p, key, "some value that makes the files bigger");
                }
                t = start(job, i, -1, name, p);
                for (int k = 0; k < 50; k++)
                    res_test_log(t, "line %d of test %u", k, i);
                res_test_end(t, i % 3 ? RES_PASS : RES_ERROR, NULL, "boom", 0.01);
                params_free(p);
                free(name);
            }
        }
        close(pipefd[1]);
        n = read(pipefd[0], dir, sizeof(dir) - 1);
        close(pipefd[0]);
        ck_assert_int_gt(n, 0);
        usleep(150000 + round * 170000);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_valid_job_files(dir);
    }
}
END_TEST

/* ---- secrets -------------------------------------------------------------------- */

START_TEST(test_mask_key_value_forms)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "password=abc def", "password=**** def" },
        { "guest_password = 's3 cr3t' x", "guest_password = '****' x" },
        { "{\"token\": \"xyz\", \"user\": \"root\"}", "{\"token\": \"****\", \"user\": \"root\"}" },
        { "virsh --passwd foo --live", "virsh --passwd **** --live" },
        { "ROOT_PWD: hunter2", "ROOT_PWD: ****" },
        { "passphrase=a;b=c", "passphrase=****;b=c" },
        { "passwordless=yes password_file_path", "passwordless=yes password_file_path" },
        { "the password is weak", "the password is weak" },
        { "vm1.secret-key=abc", "vm1.secret-key=****" },
        /* a case name naming a password variant, then its status */
        { "(1/2) virsh.migrate_option_mix.graphic_passwd.p2p.precopy.live: PASS (9 s)",
          "(1/2) virsh.migrate_option_mix.graphic_passwd.p2p.precopy.live: PASS (9 s)" },
        { "no secrets here", "no secrets here" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *m = res_mask(cases[i].in);
        ck_assert_msg(!strcmp(m, cases[i].out), "mask(%s) = %s, want %s", cases[i].in, m,
                      cases[i].out);
        free(m);
    }
    ck_assert(res_key_is_secret("migrate_dest_pwd"));
    ck_assert(res_key_is_secret("TOKEN"));
    ck_assert(!res_key_is_secret("tokenizer"));
    ck_assert(res_key_is_secret("password_less"));
}
END_TEST

static int grep_tree(const char *dir, const char *needle, char *found, size_t fsz)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int hits = 0;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char *p;
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        p = xasprintf("%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            hits += grep_tree(p, needle, found, fsz);
        } else if (S_ISREG(st.st_mode)) {
            char *text = ts_read(p);
            if (strstr(text, needle)) {
                hits++;
                snprintf(found, fsz, "%s", p);
            }
            free(text);
        }
        free(p);
    }
    closedir(d);
    return hits;
}

START_TEST(test_secrets_masked_in_every_file)
{
    struct res_job *job = open_job(NULL);
    struct params *p = params_new();
    struct res_test *t;
    char found[4096] = "";
    char *m;
    params_set(p, "type", "migrate");
    params_set(p, "password", "Hunter2Secret");
    params_set(p, "migrate_dest_pwd", "DestPw0rd!");
    params_set(p, "api_token", "tok-123456");
    params_set(p, "username", "root");
    params_set(p, "virsh_migrate_desturi", "qemu+ssh://root:DestPw0rd!@host-b/system");
    t = start(job, 1, -1, "migrate.secret", p);
    res_test_log(t, "ssh root@host with Hunter2Secret then DestPw0rd!");
    res_test_log(t, "env API_TOKEN=tok-123456 PATH=/bin");
    res_test_check(t, "login", "error", RES_FAIL, "login failed for password Hunter2Secret");
    res_test_whiteboard(t, "pw Hunter2Secret");
    res_test_hop(t, &(struct res_hop){ .vm = "vm1", .hop = 1, .from = "a", .to = "b",
                                       .start = 1000, .wall_s = 2, .ok = false,
                                       .error = "auth DestPw0rd! rejected" });
    res_test_end(t, RES_FAIL, NULL, "could not log in with Hunter2Secret", 2);
    res_job_log(job, "done; token=tok-123456");
    res_job_end(job, 3);
    ck_assert_int_eq(grep_tree(res_job_dir(job), "Hunter2Secret", found, sizeof(found)), 0);
    ck_assert_int_eq(grep_tree(res_job_dir(job), "DestPw0rd!", found, sizeof(found)), 0);
    ck_assert_int_eq(grep_tree(res_job_dir(job), "tok-123456", found, sizeof(found)), 0);
    /* the non-secret params are still there */
    ck_assert_int_gt(grep_tree(res_job_dir(job), "username", found, sizeof(found)), 0);
    ck_assert_int_gt(grep_tree(res_job_dir(job), "qemu+ssh://root:****@host-b/system", found,
                               sizeof(found)), 0);
    m = res_job_mask(job, "console shows Hunter2Secret");
    ck_assert_str_eq(m, "console shows ****");
    free(m);
    params_free(p);
    res_job_free(job);
}
END_TEST

/* ---- names ---------------------------------------------------------------------- */

static unsigned fnv(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

START_TEST(test_long_test_name_cut_with_hash_of_whole_name)
{
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    char *da, *db, *full, want_hash[16], *s;
    for (int i = 0; i < 30; i++)
        strbuf_addstr(&a, "virsh.migrate_stress.");
    strbuf_addstr(&b, a.buf);
    strbuf_addstr(&a, "variant_a");
    strbuf_addstr(&b, "variant_b");
    da = res_test_dirname(12, a.buf);
    db = res_test_dirname(12, b.buf);
    ck_assert_int_eq(strlen(da), 200);
    ck_assert_int_eq(strlen(db), 200);
    ck_assert_str_ne(da, db);
    ck_assert_int_eq(strncmp(da, "12-virsh.migrate_stress.", 24), 0);
    full = xasprintf("12-%s", a.buf);
    snprintf(want_hash, sizeof(want_hash), "-%08x", fnv(full));
    ck_assert_str_eq(da + 191, want_hash);
    free(full);
    s = res_test_dirname(3, "boot/with slash");
    ck_assert_str_eq(s, "3-boot_with slash");
    free(s);
    s = res_test_dirname(3, "short");
    ck_assert_str_eq(s, "3-short");
    free(s);
    free(da);
    free(db);
    strbuf_release(&a);
    strbuf_release(&b);
}
END_TEST

START_TEST(test_long_name_test_directory_is_created_cut)
{
    struct res_job *job = open_job(NULL);
    struct strbuf n = STRBUF_INIT;
    struct res_test *t;
    struct stat st;
    for (int i = 0; i < 40; i++)
        strbuf_addstr(&n, "abcdefghij");
    t = start(job, 1, -1, n.buf, NULL);
    ck_assert_int_eq(stat(res_test_dir(t), &st), 0);
    ck_assert_int_eq(strlen(strrchr(res_test_dir(t), '/') + 1), 200);
    res_test_end(t, RES_PASS, NULL, NULL, 1);
    assert_valid_job_files(res_job_dir(job));
    strbuf_release(&n);
    res_job_free(job);
}
END_TEST

/* ---- system-out ------------------------------------------------------------------ */

START_TEST(test_system_out_is_debug_log_cut_in_the_middle)
{
    struct res_job *job = open_job(NULL);
    struct res_test *t = start(job, 1, -1, "boot.chatty", NULL);
    char *xml, *out;
    res_test_log(t, "FIRST-LINE");
    for (int i = 0; i < 6000; i++)
        res_test_log(t, "console line %05d with some padding to make it longer", i);
    res_test_log(t, "LAST-LINE");
    res_test_end(t, RES_FAIL, NULL, "too chatty", 1);
    res_job_end(job, 1);
    xml = job_file(job, "results.xml");
    ts_assert_junit_valid(xml);
    out = xpath_str(xml, "//testcase/system-out");
    ck_assert_int_le(strlen(out), RES_SYSTEM_OUT_MAX);
    ck_assert_int_gt(strlen(out), RES_SYSTEM_OUT_MAX - 200);
    ck_assert_ptr_nonnull(strstr(out, "--[ CUT DUE TO XML PER TEST LIMIT ]--"));
    ck_assert_ptr_nonnull(strstr(out, "FIRST-LINE"));
    ck_assert_ptr_nonnull(strstr(out, "LAST-LINE"));
    ck_assert_ptr_null(strstr(out, "console line 03000"));
    free(out);
    free(xml);
    res_job_free(job);
}
END_TEST

START_TEST(test_cut_middle_respects_limit_and_utf8)
{
    struct strbuf sb = STRBUF_INIT;
    char *c;
    for (int i = 0; i < 1000; i++)
        strbuf_addstr(&sb, "\xc3\xa9"); /* é, 2 bytes */
    c = res_cut_middle(sb.buf, sb.len, 301);
    ck_assert_int_le(strlen(c), 301);
    ck_assert_int_eq((unsigned char)c[0], 0xc3);
    ck_assert_int_eq((unsigned char)c[strlen(c) - 1], 0xa9);
    ck_assert_int_eq((unsigned char)c[strlen(c) - 2], 0xc3);
    free(c);
    c = res_cut_middle("short", 5, 100);
    ck_assert_str_eq(c, "short");
    free(c);
    strbuf_release(&sb);
}
END_TEST

/* ---- hops and HTML ---------------------------------------------------------------- */

static void add_hops(struct res_test *t, int vms, int hops, bool last_fails)
{
    for (int v = 0; v < vms; v++)
        for (int h = 1; h <= hops; h++) {
            char vm[16];
            bool fail = last_fails && v == vms - 1 && h == hops;
            snprintf(vm, sizeof(vm), "vm%d", v + 1);
            res_test_hop(t, &(struct res_hop){
                                .vm = vm, .hop = (unsigned)h,
                                .from = h % 2 ? "host-a" : "host-b",
                                .to = h % 2 ? "host-b" : "host-a",
                                .start = 1700000000 + v * 3 + (h - 1) * 20,
                                .wall_s = 12.5 + v, .downtime_ms = 80 + 10 * h,
                                .data_bytes = 1100u << 20, .mem_iterations = 4,
                                .mode = h == 2 ? "postcopy" : "precopy", .ok = !fail,
                                .error = fail ? "migration job aborted" : NULL });
        }
}

START_TEST(test_html_has_one_hop_bar_per_hop)
{
    struct res_job *job = open_job(NULL);
    struct res_test *t = start(job, 1, -1, "virsh.migrate_stress.two_vms", NULL);
    struct res_test *u = start(job, 2, -1, "boot.plain", NULL);
    char *html, *hops, *text;
    json_t *root, *h;
    add_hops(t, 2, 3, true);
    res_test_end(u, RES_PASS, NULL, NULL, 5);
    res_test_end(t, RES_FAIL, NULL, "vm2 hop 3 failed", 70);
    res_job_end(job, 80);
    html = job_file(job, "results.html");
    text = ts_read(html);
    ck_assert_int_eq(ts_count(text, "<rect class=\"hop"), 6);
    ck_assert_int_eq(ts_count(text, "<rect class=\"hop failed\""), 1);
    ck_assert_int_eq(ts_count(text, "<svg"), 1);
    ck_assert_ptr_nonnull(strstr(text, "vm2 hop 3: host-a \xe2\x86\x92 host-b"));
    ck_assert_ptr_nonnull(strstr(text, "test-results/1-virsh.migrate_stress.two_vms/debug.log"));
    free(text);
    free(html);

    hops = xasprintf("%s/test-results/1-virsh.migrate_stress.two_vms/hops.json",
                     res_job_dir(job));
    root = ts_json_file(hops);
    ck_assert_int_eq(json_array_size(json_object_get(root, "hops")), 6);
    h = json_array_get(json_object_get(root, "hops"), 1);
    ck_assert_str_eq(ts_jstr(h, "mode"), "postcopy");
    ck_assert_int_eq(ts_jint(h, "data_bytes"), 1100L << 20);
    json_decref(root);
    free(hops);

    root = ts_results_json(res_job_dir(job));
    /* tests are listed by index although test 2 ended first */
    ck_assert_int_eq(json_array_size(json_object_get(
                         json_array_get(json_object_get(root, "tests"), 0), "hops")), 6);
    json_decref(root);
    res_job_free(job);
}
END_TEST

START_TEST(test_html_escapes_names_and_loads_nothing_external)
{
    struct res_job *job = open_job(NULL);
    struct res_test *t = start(job, 1, -1, "boot.<script>alert(1)</script>&x", NULL);
    char *html, *text;
    res_test_end(t, RES_FAIL, NULL, "reason <b>bold</b>", 1);
    res_job_end(job, 1);
    html = job_file(job, "results.html");
    text = ts_read(html);
    ck_assert_ptr_null(strstr(text, "<script"));
    ck_assert_ptr_null(strstr(text, "<b>"));
    ck_assert_ptr_nonnull(strstr(text, "boot.&lt;script&gt;alert(1)&lt;/script&gt;&amp;x"));
    ck_assert_ptr_null(strstr(text, "src="));
    /* one stylesheet, beside it; no inline style or script (CI viewers' CSP) */
    ck_assert_int_eq(ts_count(text, "<link"), 1);
    ck_assert_ptr_nonnull(strstr(text, "<link rel=\"stylesheet\" href=\"results.css\">"));
    ck_assert_ptr_null(strstr(text, "<style"));
    ck_assert_ptr_null(strstr(text, "style="));
    ck_assert_ptr_null(strstr(text, "onclick"));
    /* no URL but SVG's namespace name (which loads nothing) */
    ck_assert_int_eq(ts_count(text, "http"),
                     ts_count(text, "xmlns=\"http://www.w3.org/2000/svg\""));
    free(text);
    free(html);
    res_job_free(job);
}
END_TEST

/* ---- threads -------------------------------------------------------------------- */

struct worker {
    struct res_job *job;
    unsigned index;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char name[32];
    struct res_test *t;
    struct res_test_info ti = { .index = w->index, .gen_index = -1, .name = name };
    snprintf(name, sizeof(name), "parallel.%u", w->index);
    t = res_test_start(w->job, &ti);
    for (int i = 0; i < 200; i++) {
        res_test_log(t, "worker %u line %d", w->index, i);
        if (i % 40 == 0) {
            char vm[16];
            snprintf(vm, sizeof(vm), "w%u", w->index);
            res_test_hop(t, &(struct res_hop){ .vm = vm, .hop = (unsigned)(i / 40 + 1),
                                               .from = "a", .to = "b", .start = 1000 + i,
                                               .wall_s = 1, .ok = true });
        }
    }
    res_test_end(t, RES_PASS, NULL, NULL, 1);
    return NULL;
}

START_TEST(test_parallel_tests_log_and_hop_concurrently)
{
    struct res_job *job = open_job(NULL);
    pthread_t th[4];
    struct worker w[4];
    json_t *root, *t;
    size_t i;
    char *log;
    for (unsigned k = 0; k < 4; k++) {
        w[k] = (struct worker){ job, k + 1 };
        ck_assert_int_eq(pthread_create(&th[k], NULL, worker_main, &w[k]), 0);
    }
    for (int k = 0; k < 4; k++)
        pthread_join(th[k], NULL);
    res_job_end(job, 1);
    root = ts_results_json(res_job_dir(job));
    ck_assert_int_eq(ts_jint(root, "pass"), 4);
    json_array_foreach(json_object_get(root, "tests"), i, t) {
        char *p = xasprintf("%s/debug.log", ts_jstr(t, "logdir"));
        char *text = ts_read(p);
        ck_assert_int_eq(ts_jint(t, "index"), (long)i + 1);
        ck_assert_int_eq(json_array_size(json_object_get(t, "hops")), 5);
        ck_assert_int_eq(ts_count(text, "line "), 200);
        free(text);
        free(p);
    }
    json_decref(root);
    log = job_file(job, "job.log");
    {
        char *text = ts_read(log);
        ck_assert_int_eq(ts_count(text, "] worker "), 800);
        free(text);
    }
    free(log);
    assert_valid_job_files(res_job_dir(job));
    res_job_free(job);
}
END_TEST

/* ---- statuses, exit bits, progress ---------------------------------------------- */

START_TEST(test_exit_bits_follow_avocado)
{
    struct res_counts c = { 0 };
    c.n[RES_PASS] = 3;
    c.n[RES_SKIP] = 1;
    c.n[RES_WARN] = 1;
    c.n[RES_CANCEL] = 1;
    ck_assert_int_eq(res_exit_bits(&c, 0), 0);
    c.n[RES_FAIL] = 1;
    ck_assert_int_eq(res_exit_bits(&c, 0), 1);
    c.n[RES_FAIL] = 0;
    c.n[RES_INTERRUPTED] = 1;
    ck_assert_int_eq(res_exit_bits(&c, RES_EXIT_INTERRUPTED), 9);
    c.n[RES_INTERRUPTED] = 0;
    c.n[RES_ERROR] = 2;
    ck_assert_int_eq(res_exit_bits(&c, RES_EXIT_JOB_ERROR | RES_EXIT_CRASH), 7);
    ck_assert_int_eq(res_exit_bits(&(struct res_counts){ 0 }, 0x10 | RES_EXIT_JOB_ERROR), 2);
}
END_TEST

START_TEST(test_job_exit_bits_and_closing_lines)
{
    struct res_job *job = run_seven();
    char *lines, *want;
    ck_assert_int_eq(res_job_exit_bits(job), 1);
    {
        struct res_counts c;
        res_job_counts(job, &c);
        ck_assert_int_eq(c.total, 7);
        ck_assert_double_eq_tol(c.time_s, 31.5, 1e-9);
    }
    res_job_set_flags(job, RES_EXIT_INTERRUPTED);
    ck_assert_int_eq(res_job_exit_bits(job), 9);
    lines = res_job_closing_lines(job, 42.5);
    want = xasprintf("RESULTS    : PASS 1 | ERROR 1 | FAIL 1 | SKIP 1 | WARN 1 | "
                     "INTERRUPT 1 | CANCEL 1\nJOB HTML   : %s/results.html\n"
                     "JOB TIME   : 42.50 s\nJOB LOG    : %s/job.log\n",
                     res_job_dir(job), res_job_dir(job));
    ck_assert_str_eq(lines, want);
    free(lines);
    free(want);
    lines = res_job_header_lines(job);
    ck_assert_int_eq(strncmp(lines, "JOB ID     : ", 13), 0);
    free(lines);
    res_job_free(job);
}
END_TEST

START_TEST(test_status_names_round_trip)
{
    for (int s = 0; s < RES_NSTATUS; s++)
        ck_assert_int_eq(res_status_parse(res_status_name(s)), s);
    ck_assert_int_eq(res_status_parse("INTERRUPT"), RES_INTERRUPTED);
    ck_assert_int_eq(res_status_parse("nope"), -1);
    ck_assert(res_status_ok(RES_CANCEL));
    ck_assert(!res_status_ok(RES_INTERRUPTED));
}
END_TEST

START_TEST(test_progress_lines)
{
    char *s = res_progress_line(3, 12, "boot.x", RES_PASS, NULL, 4.214);
    ck_assert_str_eq(s, "(3/12) boot.x: PASS (4.21 s)");
    free(s);
    s = res_progress_line(4, 12, "boot.y", RES_FAIL, "line1\nline2", 67.891);
    ck_assert_str_eq(s, "(4/12) boot.y: FAIL: line1\\nline2 (67.89 s)");
    free(s);
    s = res_progress_line(5, 12, "boot.z", RES_SKIP, "needs kvm", 0);
    ck_assert_str_eq(s, "(5/12) boot.z: SKIP: needs kvm");
    free(s);
    s = res_progress_live(3, 12, "boot.x", 64, 750, 80);
    ck_assert_str_eq(s, "(3/12) boot.x 1m04s ETA 12m30s");
    free(s);
    s = res_progress_live(3, 12, "boot.x", 5.25, -1, 80);
    ck_assert_str_eq(s, "(3/12) boot.x 5.2s ETA ?");
    free(s);
    s = res_progress_live(3, 12, "type_specific.io-github-autotest-libvirt.virsh.migrate_"
                                 "stress.orderly_migration.with_stress", 4000, 7300, 60);
    ck_assert_int_eq(strlen(s), 60);
    ck_assert_int_eq(strncmp(s, "(3/12) type_specific", 20), 0);
    ck_assert_ptr_nonnull(strstr(s, "...ation.with_stress 1h06m ETA 2h01m"));
    free(s);
    ck_assert_double_eq(res_eta(0, 0, 10, 5), -1);
    ck_assert_double_eq_tol(res_eta(100, 4, 10, 5), 25.0 * 6 - 5, 1e-9);
    ck_assert_double_eq(res_eta(100, 4, 10, 500), 0);
}
END_TEST

/* ---- merge and reading back ----------------------------------------------------- */

static const char *const cases[] = { "c.a", "c.b", "c.c", "c.d", "c.e", "c.f", "c.g" };

/* Run the cases of shard i/n (i 1-based; n = 1: unsharded) into results_dir. */
static char *run_shard(const char *results_dir, unsigned i, unsigned n)
{
    char shard[16];
    struct res_job_info info = { .results_dir = results_dir, .shard = shard };
    struct res_job *job;
    char *dir;
    unsigned idx = 0;
    snprintf(shard, sizeof(shard), "%u/%u", i, n);
    job = res_job_open(&info);
    ck_assert_ptr_nonnull(job);
    for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
        struct res_test *t;
        if (k % n != i - 1)
            continue;
        t = start(job, ++idx, (long)k, cases[k], NULL);
        if (k == 2)
            add_hops(t, 1, 2, false);
        res_test_log(t, "case %s", cases[k]);
        res_test_end(t, k == 3 ? RES_FAIL : RES_PASS, NULL, k == 3 ? "bad" : NULL, 1);
    }
    res_job_end(job, 10.0 * i);
    dir = xstrdup(res_job_dir(job));
    res_job_free(job);
    return dir;
}

static char **names_of(const char *dir)
{
    char *p = xasprintf("%s/results.json", dir);
    char **v = res_read_names(p, ~0u);
    ck_assert_ptr_nonnull(v);
    free(p);
    return v;
}

START_TEST(test_merge_of_two_shards_equals_unsharded_case_list)
{
    char *all_dir = xasprintf("%s/all", ts_base), *s_dir = xasprintf("%s/shards", ts_base);
    char *out = xasprintf("%s/merged", ts_base), *xml, *html, *text;
    char *unsharded = run_shard(all_dir, 1, 1);
    char *s1 = run_shard(s_dir, 1, 2);
    char *s2 = run_shard(s_dir, 2, 2);
    const char *dirs[] = { s2, s1 }; /* any order */
    char **want = names_of(unsharded), **got;
    json_t *root;

    ck_assert_msg(res_merge(dirs, 2, out, RES_JUNIT_FULL) == 0, "merge: %s", err_msg());
    got = names_of(out);
    ck_assert_int_eq(params_strv_len(got), ARRAY_SIZE(cases));
    for (size_t k = 0; want[k] || got[k]; k++)
        ck_assert_str_eq(got[k], want[k]);
    root = ts_results_json(out);
    ck_assert_int_eq(ts_jint(root, "total"), 7);
    ck_assert_int_eq(ts_jint(root, "failures"), 1);
    ck_assert_int_eq(ts_jint(root, "pass"), 6);
    json_decref(root);

    xml = xasprintf("%s/results.xml", out);
    ts_assert_junit_valid(xml);
    assert_xpath(xml, "count(/testsuites/testsuite)", "2");
    assert_xpath(xml, "/testsuites/@tests", "7");
    /* in shard order whatever order the directories came in, ids 0, 1 */
    assert_xpath(xml, "/testsuites/testsuite[1]/properties/property[@name='shard']/@value",
                 "1/2");
    assert_xpath(xml, "/testsuites/testsuite[1]/@tests", "4");
    assert_xpath(xml, "/testsuites/testsuite[1]/@id", "0");
    assert_xpath(xml, "/testsuites/testsuite[2]/@id", "1");
    assert_xpath(xml, "/testsuites/testsuite[1]/@name", "vtrun.shard1");
    assert_xpath(xml, "/testsuites/testsuite[2]/@package", "vtrun.vtrun.shard2");
    assert_xpath(xml, "contains(//testcase[@name='c.d']/system-out, 'case c.d')", "true");
    html = xasprintf("%s/results.html", out);
    text = ts_read(html);
    ck_assert_int_eq(ts_count(text, "<rect class=\"hop"), 2);
    /* links stay inside the merged directory, which has the tests' files */
    ck_assert_ptr_null(strstr(text, "href=\"../"));
    ck_assert_ptr_nonnull(strstr(text, "href=\"test-results/4-c.d/debug.log\""));
    {
        char *log = xasprintf("%s/test-results/4-c.d/debug.log", out), *t2 = ts_read(log);
        char *id = xasprintf("%s/id", out), *idt = ts_read(id);
        ck_assert_ptr_nonnull(strstr(t2, "case c.d"));
        ck_assert_int_eq(strlen(idt), 41);
        free(t2);
        free(log);
        free(idt);
        free(id);
    }
    free(text);
    free(html);
    free(xml);

    /* a results directory works as well as its `latest` job */
    {
        const char *one[] = { all_dir };
        char *out2 = xasprintf("%s/merged-one", ts_base);
        ck_assert_int_eq(res_merge(one, 1, out2, RES_JUNIT_FULL), 0);
        params_strv_free(got);
        got = names_of(out2);
        ck_assert_int_eq(params_strv_len(got), 7);
        free(out2);
    }
    params_strv_free(want);
    params_strv_free(got);
    free(unsharded);
    free(s1);
    free(s2);
    free(out);
    free(all_dir);
    free(s_dir);
}
END_TEST

/* A shard SIGKILLed between two renders: its results.json lags, its journal does
 * not; merge and --rerun-failed read the journal. */
START_TEST(test_a_killed_shard_loses_no_finished_test_in_merge_and_rerun)
{
    int pipefd[2];
    char dir[4096] = "", *out = xasprintf("%s/merged", ts_base), *json;
    const char *dirs[1] = { dir };
    char **names;
    json_t *root;
    ssize_t n;
    pid_t pid;
    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* renders a minute apart: the kill lands before the first after the open */
        struct res_job_info info = { .results_dir = ts_base, .shard = "1/2",
                                     .render_interval = 60 };
        struct res_job *job = res_job_open(&info);
        close(pipefd[0]);
        for (unsigned i = 1; job && i <= 3; i++) {
            char *name = xasprintf("k.%u", i);
            struct res_test_info ti = { .index = i, .gen_index = 2 * (long)i - 2,
                                        .name = name };
            struct res_test *t = res_test_start(job, &ti);
            res_test_end(t, i == 2 ? RES_FAIL : RES_PASS, NULL, "x", 1);
            free(name);
        }
        if (!job || write(pipefd[1], res_job_dir(job), strlen(res_job_dir(job))) < 0)
            _exit(1);
        close(pipefd[1]);
        pause();
        _exit(0);
    }
    close(pipefd[1]);
    n = read(pipefd[0], dir, sizeof(dir) - 1);
    close(pipefd[0]);
    ck_assert_int_gt(n, 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_valid_job_files(dir);

    root = ts_results_json(dir);
    ck_assert_int_lt(ts_jint(root, "total"), 3); /* the aggregate lags... */
    json_decref(root);
    ck_assert_msg(res_merge(dirs, 1, out, RES_JUNIT_FULL) == 0, "%s", err_msg());
    root = ts_results_json(out);                 /* ...the journal does not */
    ck_assert_int_eq(ts_jint(root, "total"), 3);
    ck_assert_int_eq(ts_jint(root, "failures"), 1);
    json_decref(root);
    json = xasprintf("%s/results.json", dir);
    names = res_read_names(json, 1u << RES_FAIL);
    ck_assert_int_eq(params_strv_len(names), 1);
    ck_assert_str_eq(names[0], "k.2");
    params_strv_free(names);
    free(json);
    free(out);
}
END_TEST

START_TEST(test_merge_reports_missing_results)
{
    const char *dirs[] = { "/nonexistent/vtrun" };
    char *out = xasprintf("%s/m", ts_base);
    ck_assert_int_eq(res_merge(dirs, 1, out, RES_JUNIT_FULL), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/vtrun"));
    free(out);
}
END_TEST

START_TEST(test_read_names_by_status_for_rerun_failed)
{
    struct res_job *job = run_seven();
    char *p = job_file(job, "results.json");
    char **v = res_read_names(p, (1u << RES_FAIL) | (1u << RES_ERROR) |
                                     (1u << RES_INTERRUPTED));
    ck_assert_int_eq(params_strv_len(v), 3);
    ck_assert_str_eq(v[0], "boot.fail");
    ck_assert_str_eq(v[1], "boot.error");
    ck_assert_str_eq(v[2], "boot.interrupted");
    params_strv_free(v);
    ck_assert_ptr_null(res_read_names("/nonexistent/results.json", ~0u));
    free(p);
    res_job_free(job);
}
END_TEST

static Suite *res_suite(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("results");
    tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_job_open_creates_avocado_layout_with_valid_empty_results);
    tcase_add_test(tc, test_latest_follows_the_newest_job);
    tcase_add_test(tc, test_given_job_id_is_kept);
    tcase_add_test(tc, test_job_open_fails_cleanly_on_unwritable_dir);
    tcase_add_test(tc, test_results_json_has_avocado_shape_and_counts);
    tcase_add_test(tc, test_junit_validates_and_uses_openqa_status_words);
    tcase_add_test(tc, test_failure_class_given_by_runner_is_kept);
    tcase_add_test(tc, test_control_characters_in_logs_keep_xml_valid);
    tcase_add_test(tc, test_nonfinite_numbers_keep_files_valid);
    tcase_add_test(tc, test_phases_in_results_and_summed_in_job_log);
    tcase_add_test(tc, test_unwritable_results_fail_the_job);
    tcase_add_test(tc, test_journal_has_each_test_at_its_end_and_files_stay_valid);
    tcase_add_test(tc, test_files_are_rendered_while_the_job_runs);
    tcase_add_test(tc, test_killed_job_leaves_valid_files);
    tcase_add_test(tc, test_mask_key_value_forms);
    tcase_add_test(tc, test_secrets_masked_in_every_file);
    tcase_add_test(tc, test_long_test_name_cut_with_hash_of_whole_name);
    tcase_add_test(tc, test_long_name_test_directory_is_created_cut);
    tcase_add_test(tc, test_system_out_is_debug_log_cut_in_the_middle);
    tcase_add_test(tc, test_cut_middle_respects_limit_and_utf8);
    tcase_add_test(tc, test_html_has_one_hop_bar_per_hop);
    tcase_add_test(tc, test_html_escapes_names_and_loads_nothing_external);
    tcase_add_test(tc, test_parallel_tests_log_and_hop_concurrently);
    tcase_add_test(tc, test_exit_bits_follow_avocado);
    tcase_add_test(tc, test_job_exit_bits_and_closing_lines);
    tcase_add_test(tc, test_status_names_round_trip);
    tcase_add_test(tc, test_progress_lines);
    tcase_add_test(tc, test_merge_of_two_shards_equals_unsharded_case_list);
    tcase_add_test(tc, test_a_killed_shard_loses_no_finished_test_in_merge_and_rerun);
    tcase_add_test(tc, test_merge_reports_missing_results);
    tcase_add_test(tc, test_read_names_by_status_for_rerun_failed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(res_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
