/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtrun jobs without VMs: statuses and exit bits (unknown type → ERROR, a bad param
 * value → ERROR before any VM or clone exists, unmet needs → CANCEL, settings and config
 * errors → 2 with FILE:LINE), selection (--shard union on
 * the repository's configs, --dry-run, --failfast, --rerun-failed), `vtrun merge` of
 * two shards, --list-types and `vtrun config`.  Cases here end before any VM starts,
 * so the whole program takes seconds; it still runs the real binary on the lab's
 * settings (tests/e2e/run sets VTRUN and VTRUN_SETTINGS).
 */
#include "tests/support.h"

#include <check.h>

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}

/* Write `text` to E.dir/name; returns the path (owned). */
static char *cfg_file(const char *name, const char *text)
{
    char *p = xasprintf("%s/%s", E.dir, name);
    ts_write(p, text);
    return p;
}

static char *latest_job(void)
{
    char *job = ts_job_dir(&E);
    ck_assert_msg(job != NULL, "no job directory under %s\n%s\n%s", E.results, E.out, E.err);
    return job;
}

/* Names of results.json's tests, one per line, in file order. */
static char *json_names(const char *job)
{
    json_t *r = ts_results_json(job), *t;
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_array_foreach(json_object_get(r, "tests"), i, t)
        strbuf_addf(&sb, "%s\n", ts_jstr(t, "name"));
    json_decref(r);
    return strbuf_detach(&sb, NULL);
}

/* ---- statuses and exit bits ---- */

START_TEST(test_unknown_type_is_error_naming_the_known_types_exit_bit_1)
{
    char *cfg = cfg_file("x.cfg", "type = x\nvms = vm1\n");
    ts_e2e_vtrun(&E, 60, "--config", cfg);
    ck_assert_msg(E.status == 1, "exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "ERROR 1 |"), "%s", E.out);
    char *job = latest_job();
    json_t *r = ts_results_json(job);
    json_t *t = json_array_get(json_object_get(r, "tests"), 0);
    ck_assert_str_eq(ts_jstr(t, "status"), "ERROR");
    const char *why = ts_jstr(t, "fail_reason");
    ck_assert_msg(strstr(why, "unknown test type 'x' (known: ") && strstr(why, "boot")
                  && strstr(why, "migrate"), "reason: %s", why);
    ck_assert_int_eq(ts_jint(r, "errors"), 1);
    ts_assert_junit(job);
    json_decref(r);
    free(job);
    free(cfg);
}
END_TEST

/* A job whose only case CANCELs tested nothing: it says so and exits with bit 2
 * (job error), unless --allow-empty. */
START_TEST(test_boot_with_empty_vms_is_cancel_and_an_empty_job)
{
    char *cfg = cfg_file("c.cfg", "type = boot\nvms =\n");
    ts_e2e_vtrun(&E, 60, "--config", cfg);
    ck_assert_msg(E.status == 2, "exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "CANCEL 1\nEMPTY JOB  : no case ran"), "%s", E.out);
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--allow-empty");
    ck_assert_msg(E.status == 0, "exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "CANCEL 1\n"), "%s", E.out);
    char *job = latest_job();
    json_t *r = ts_results_json(job);
    json_t *t = json_array_get(json_object_get(r, "tests"), 0);
    ck_assert_str_eq(ts_jstr(t, "status"), "CANCEL");
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "vms"), "%s", ts_jstr(t, "fail_reason"));
    ts_assert_junit(job);
    json_decref(r);
    free(job);
    free(cfg);
}
END_TEST

/* A bad param value ends the case as ERROR naming the param, its value and what was
 * expected, before anything of the test exists: no line of the VM set in debug.log (no
 * clone, no domain defined), no domain on any lab host, no clone file, and each case
 * over in well under a second. */
START_TEST(test_bad_param_values_are_errors_before_any_vm_starts)
{
    static const char *const cases[][2] = {
        { "mem", "param mem = '-5': expected an integer >= 1 in MiB" },
        { "mem_vm2", "param mem = '-5' (VM vm2): expected an integer >= 1 in MiB" },
        { "timeout", "param virsh_migrate_timeout = 'soon': expected a number of seconds" },
        { "sideways", "param migration_type = 'sideways': expected one of orderly, "
                      "simultaneous, cross, compressed" },
        { "login", "param login_timeout = 'abc': expected a number of seconds >= 0" },
        { "test_timeout", "param test_timeout = '-3': expected a number of seconds >= 0" },
    };
    char *cfg = cfg_file("bad.cfg",
        "type = virsh_migrate_stress\nvms = vm1 vm2\n"
        "variants:\n"
        "    - mem:\n        mem = -5\n"
        "    - mem_vm2:\n        mem_vm2 = -5\n"
        "    - timeout:\n        type = migrate\n        virsh_migrate_timeout = soon\n"
        "    - sideways:\n        migration_type = sideways\n"
        "    - login:\n        type = boot\n        login_timeout = abc\n"
        "    - test_timeout:\n        test_timeout = -3\n");
    char *before = ts_lab_domains();
    ts_e2e_vtrun(&E, 120, "--config", cfg);
    ck_assert_msg(E.status == 1, "exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "ERROR 6 |"), "%s", E.out);
    char *job = latest_job();
    json_t *r = ts_results_json(job);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *t = json_array_get(json_object_get(r, "tests"), i);
        const char *why = ts_jstr(t, "fail_reason");
        ck_assert_msg(strstr(ts_jstr(t, "name"), cases[i][0]), "%s", ts_jstr(t, "name"));
        ck_assert_str_eq(ts_jstr(t, "status"), "ERROR");
        ck_assert_str_eq(ts_jstr(t, "fail_class"), "ConfigError");
        ck_assert_msg(!strncmp(why, cases[i][1], strlen(cases[i][1])), "%s: reason '%s'",
                      cases[i][0], why);
        double took = json_real_value(json_object_get(t, "time"));
        ck_assert_msg(took < 1.0, "%s took %.2f s", cases[i][0], took);
    }
    /* the VM set logs every clone and every domain it defines: none of it happened */
    static const char *const vm_work[] = {
        "Clone master image", "existing clone", "Removing clone", "running: ",
        "define domain", "start domain", "logged in", "cleanup",
    };
    for (size_t i = 0; i < ARRAY_SIZE(vm_work); i++)
        ck_assert_msg(!ts_debug_log_has(&E, vm_work[i]), "a debug.log shows VM work: '%s'",
                      vm_work[i]);
    ck_assert_msg(ts_debug_log_has(&E, "ERROR: param "), "no ERROR line in debug.log");
    char *after = ts_lab_domains();
    ck_assert_msg(!strcmp(before, after), "the lab's domains changed:\n%s---\n%s", before,
                  after);
    char id7[8];
    snprintf(id7, sizeof(id7), "%.7s", ts_jstr(r, "job_id"));
    char *clones = ts_clones_of(id7);
    ck_assert_msg(!*clones, "clones of job %s:\n%s", id7, clones);
    ts_assert_junit(job);
    free(clones);
    free(after);
    free(before);
    json_decref(r);
    free(job);
    free(cfg);
}
END_TEST

START_TEST(test_settings_errors_exit_2_with_file_and_line)
{
    static const char *const bad[] = {
        "# line 1\nbogus = 1;\n",                          /* unknown key, line 2 */
        "# line 1\njobs = \"two\";\n",                     /* wrong type */
        "# line 1\nhosts = ( { name = \"a\"; port = 1; } );\n", /* unknown host key */
        "# line 1\njobs = ;\n",                             /* syntax error */
        "# line 1\nbackend = \"foo\";\n",                   /* no such backend */
        "# line 1\ntest_timeout = -3;\n",                   /* a negative timeout */
    };
    char *cfg = cfg_file("x.cfg", "type = x\n");
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ts_write(E.settings, bad[i]);
        ts_e2e_vtrun(&E, 60, "--config", cfg);
        ck_assert_msg(E.status == 2, "settings %zu: exit %d\n%s", i, E.status, E.err);
        char *where = xasprintf("%s:2:", E.settings);
        ck_assert_msg(strstr(E.err, where), "settings %zu: no '%s' in: %s", i, where, E.err);
        free(where);
        ck_assert_msg(!strstr(E.out, "JOB ID"), "a job ran despite the settings error");
        /* vtrun config reports the same error */
        ts_e2e_run(&E, false, 60, TS_ARGS("config", "--settings", E.settings));
        ck_assert_msg(E.status == 2 && strstr(E.err, ":2:"), "config: %d %s", E.status, E.err);
    }
    free(cfg);
}
END_TEST

START_TEST(test_config_errors_exit_2_with_file_and_line)
{
    char *cfg = cfg_file("bad.cfg", "type = x\nvariants:\n    - a:\n  include nosuch.cfg\n");
    ts_e2e_vtrun(&E, 60, "--config", cfg);
    ck_assert_msg(E.status == 2, "exit %d\n%s", E.status, E.err);
    ck_assert_msg(strstr(E.err, "bad.cfg:"), "no FILE:LINE in: %s", E.err);
    ck_assert_msg(!ts_exists(E.results), "a results directory was made for a config error");
    char *missing = xasprintf("%s/none.cfg", E.dir);
    ts_e2e_vtrun(&E, 60, "--config", missing);
    ck_assert_msg(E.status == 2, "missing config: exit %d\n%s", E.status, E.err);
    ts_e2e_vtrun(&E, 60, "--config", "examples/boot.cfg", "--set", "vms = = =\n  - broken");
    ck_assert_msg(E.status == 2, "bad --set: exit %d\n%s", E.status, E.err);
    free(missing);
    free(cfg);
}
END_TEST

/* ---- selection ---- */

/* The shards of N together list every case of the full list exactly once, each in
 * the full list's order (a shard is a subsequence of it), and --count agrees; which
 * shard a case is in is decided by its name (runner/run_shard.h), the same in a
 * listing as in a job. */
static void assert_shards_partition(const char *cfg, unsigned n)
{
    ts_e2e_vtrun(&E, 120, "--config", cfg, "--list");
    ck_assert_msg(E.status == 0, "%s: %s", cfg, E.err);
    char *full = xstrdup(E.out);
    size_t total = ts_count(full, "\n");
    ck_assert_msg(total > 0, "%s lists nothing", cfg);
    /* owner[k]: the shard that listed the k-th case of the full list */
    unsigned *owner = xcalloc(total, sizeof(*owner));
    for (unsigned i = 1; i <= n; i++) {
        char shard[16], count[32];
        snprintf(shard, sizeof(shard), "%u/%u", i, n);
        ts_e2e_vtrun(&E, 120, "--config", cfg, "--list", "--shard", shard);
        ck_assert_msg(E.status == 0, "%s shard %s: %s", cfg, shard, E.err);
        char *mine = xstrdup(E.out);
        /* walk the full list: the shard's lines must come in its order */
        size_t k = 0;
        const char *f = full;
        for (char *l = mine, *e; *l; l = e + 1) {
            e = strchr(l, '\n');
            size_t len = (size_t)(e - l);
            for (;;) {
                const char *fe = strchr(f, '\n');
                ck_assert_msg(fe != NULL, "%s shard %s lists '%.*s' out of the full list's "
                              "order (or twice)", cfg, shard, (int)len, l);
                bool same = (size_t)(fe - f) == len && !memcmp(f, l, len) && !owner[k];
                f = fe + 1;
                k++;
                if (same) {
                    owner[k - 1] = i;
                    break;
                }
            }
        }
        ts_e2e_vtrun(&E, 60, "--config", cfg, "--count", "--shard", shard);
        snprintf(count, sizeof(count), "%zu\n", ts_count(mine, "\n"));
        ck_assert_msg(!strcmp(E.out, count), "%s --count --shard %s: %s, want %s", cfg, shard,
                      E.out, count);
        free(mine);
    }
    for (size_t k = 0; k < total; k++)
        ck_assert_msg(owner[k], "%s: case %zu of %zu is in no shard of %u", cfg, k + 1, total,
                      n);
    free(owner);
    free(full);
}

START_TEST(test_shard_union_is_the_whole_set_on_the_repository_configs)
{
    static const char *const cfgs[] = {
        "examples/boot.cfg", "examples/migrate.cfg", "examples/migrate_stress.cfg",
        "tests/cfg/basic.cfg", "tests/cfg/defaults.cfg",
    };
    for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++)
        assert_shards_partition(cfgs[i], 3);
    assert_shards_partition("examples/migrate_stress.cfg", 7);
}
END_TEST

/* --dry-run with --shard selects what --list --shard lists, in the same order, with
 * "(i/N) name: RUN" (or CANCEL / ERROR and why) and the params each would run with,
 * then the counts; and it touches nothing. */
START_TEST(test_dry_run_shard_selects_the_listed_cases_and_touches_nothing)
{
    size_t shown = 0;
    for (unsigned i = 1; i <= 3; i++) {
        char shard[16];
        snprintf(shard, sizeof(shard), "%u/3", i);
        ts_e2e_vtrun(&E, 60, "--config", "examples/migrate.cfg", "--list", "--shard", shard);
        char *listed = xstrdup(E.out);
        ts_e2e_vtrun(&E, 60, "--config", "examples/migrate.cfg", "--dry-run", "--shard", shard);
        ck_assert_msg(E.status == 0, "exit %d: %s", E.status, E.err);
        struct strbuf names = STRBUF_INIT;
        size_t n = ts_count(listed, "\n"), idx = 0, run = 0;
        bool summary = false;
        for (char *l = E.out, *e; *l; l = e + 1) {
            e = strchr(l, '\n');
            ck_assert(e != NULL);
            if (*l == '(') {
                char want[32];
                ck_assert_msg(!summary, "a case after the counts: %.*s", (int)(e - l), l);
                snprintf(want, sizeof(want), "(%zu/%zu) ", ++idx, n);
                ck_assert_msg(!strncmp(l, want, strlen(want)), "line %.*s", (int)(e - l), l);
                const char *name = l + strlen(want);
                const char *d = strstr(name, ": ");
                ck_assert_msg(d && d < e, "no disposition: %.*s", (int)(e - l), l);
                /* the lab has both hosts and the guest: every case of the example runs */
                ck_assert_msg(!strncmp(d, ": RUN\n", 6), "line %.*s", (int)(e - l), l);
                run++;
                strbuf_add(&names, name, (size_t)(d - name));
                strbuf_addch(&names, '\n');
            } else if (!strncmp(l, "    ", 4)) {
                ck_assert_msg(!summary, "params after the counts: %.*s", (int)(e - l), l);
            } else {
                ck_assert_msg(!strncmp(l, "DRY RUN    : ", 13) || !strncmp(l, "HOSTS      : ", 13),
                              "line %.*s", (int)(e - l), l);
                summary = true;
            }
        }
        ck_assert_str_eq(names.buf, listed);
        char *counts = xasprintf("DRY RUN    : run %zu | cancel 0 | error 0\n", run);
        ck_assert_msg(strstr(E.out, counts), "no '%s' in %s", counts, E.out);
        free(counts);
        /* the lab's secrets stay hidden (a shard the split left empty prints nothing) */
        ck_assert_msg(!n || strstr(E.out, "    password = ****\n"), "password not masked");
        ck_assert_msg(!n || strstr(E.out, "    type = migrate\n"), "params missing");
        shown += n;
        strbuf_release(&names);
        free(listed);
    }
    ck_assert_msg(shown > 0, "no shard showed a case");
    ck_assert_msg(!ts_exists(E.results), "--dry-run created %s", E.results);
}
END_TEST

static const char *const mixed_cfg =
    "vms =\n"
    "variants:\n"
    "    - a:\n"
    "        type = boot\n"
    "    - b:\n"
    "        type = nosuch\n"
    "    - c:\n"
    "        type = boot\n"
    "    - d:\n"
    "        type = nosuch\n";

START_TEST(test_failfast_stops_at_the_first_failure_and_lists_the_rest_as_skip)
{
    char *cfg = cfg_file("m.cfg", mixed_cfg);
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--failfast");
    ck_assert_msg(E.status == 1, "exit %d\n%s\n%s", E.status, E.out, E.err);
    char *job = latest_job();
    json_t *r = ts_results_json(job);
    static const char *const want[][2] = {
        { "a", "CANCEL" }, { "b", "ERROR" }, { "c", "SKIP" }, { "d", "SKIP" },
    };
    ck_assert_int_eq(json_array_size(json_object_get(r, "tests")), 4);
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        json_t *t = ts_jtest(r, want[i][0]);
        ck_assert_msg(t != NULL, "no test %s in results.json", want[i][0]);
        ck_assert_msg(!strcmp(ts_jstr(t, "status"), want[i][1]), "%s: %s, want %s",
                      want[i][0], ts_jstr(t, "status"), want[i][1]);
    }
    ck_assert_msg(strstr(ts_jstr(ts_jtest(r, "c"), "fail_reason"), "failfast"), "reason");
    ck_assert_int_eq(ts_jint(r, "skip"), 2);
    ck_assert_msg(!strstr(E.out, ") c:"), "c ran:\n%s", E.out);
    ts_assert_junit(job);
    json_decref(r);
    free(job);
    free(cfg);
}
END_TEST

START_TEST(test_rerun_failed_runs_only_the_cases_that_did_not_pass)
{
    char *cfg = cfg_file("m.cfg", mixed_cfg);
    ts_e2e_vtrun(&E, 60, "--config", cfg);
    ck_assert_int_eq(E.status, 1);
    char *first = latest_job();
    char *json = xasprintf("%s/results.json", first);
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--rerun-failed", json);
    ck_assert_msg(E.status == 1, "exit %d\n%s\n%s", E.status, E.out, E.err);
    char *second = latest_job();
    ck_assert_str_ne(first, second);
    char *names = json_names(second);
    ck_assert_str_eq(names, "b\nd\n");
    /* after a failfast run the skipped cases are rerun too */
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--failfast");
    char *third = latest_job(), *json3 = xasprintf("%s/results.json", third);
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--rerun-failed", json3);
    char *fourth = latest_job(), *names4 = json_names(fourth);
    ck_assert_str_eq(names4, "b\nc\nd\n");
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--rerun-failed", "/nonexistent/results.json");
    ck_assert_msg(E.status == 2, "unreadable results.json: exit %d", E.status);
    free(names4);
    free(fourth);
    free(json3);
    free(third);
    free(names);
    free(second);
    free(json);
    free(first);
    free(cfg);
}
END_TEST

/* ---- merge ---- */

START_TEST(test_merge_of_two_shards_lists_the_unsharded_cases_in_order)
{
    char *cfg = cfg_file("s.cfg",
                         "type = boot\nvms =\n"
                         "variants:\n    - x1:\n    - x2:\n    - x3:\n"
                         "variants:\n    - y1:\n    - y2:\n");
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--list");
    char *full = xstrdup(E.out);
    ck_assert_int_eq(ts_count(full, "\n"), 6);
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--shard", "2/2", "--allow-empty");
    ck_assert_msg(E.status == 0, "%s", E.err);
    char *s2 = latest_job();
    ts_e2e_vtrun(&E, 60, "--config", cfg, "--shard", "1/2", "--allow-empty");
    ck_assert_msg(E.status == 0, "%s", E.err);
    char *s1 = latest_job();
    char *out = xasprintf("%s/merged", E.dir);
    /* shards given in either order: the merge orders by generation index */
    ts_e2e_run(&E, false, 60, TS_ARGS("merge", s2, s1, "--out", out));
    ck_assert_msg(E.status == 0, "merge: exit %d %s", E.status, E.err);
    char *names = json_names(out);
    ck_assert_str_eq(names, full);
    json_t *r = ts_results_json(out);
    ck_assert_int_eq(ts_jint(r, "total"), 6);
    ck_assert_int_eq(ts_jint(r, "cancel"), 6);
    ck_assert_int_eq(json_array_size(json_object_get(r, "suites")), 2);
    ts_assert_junit(out);
    char *html = xasprintf("%s/results.html", out);
    ck_assert_msg(ts_exists(html), "no merged results.html");
    char *xml = xasprintf("%s/results.xml", out), *xt = ts_read(xml);
    ck_assert_int_eq(ts_count(xt, "<testsuite "), 2);
    ck_assert_int_eq(ts_count(xt, "<testcase "), 6);
    ts_e2e_run(&E, false, 60, TS_ARGS("merge", "--out", out));
    ck_assert_int_eq(E.status, 2);
    free(xt);
    free(xml);
    free(html);
    json_decref(r);
    free(names);
    free(out);
    free(s1);
    free(s2);
    free(full);
    free(cfg);
}
END_TEST

/* ---- the tables ---- */

START_TEST(test_list_types_prints_each_type_with_needs_and_params)
{
    ts_e2e_run(&E, false, 60, TS_ARGS("--list-types"));
    ck_assert_int_eq(E.status, 0);
    ck_assert_msg(strstr(E.out, "boot\n") && strstr(E.out, "migrate\n"), "%s", E.out);
    ck_assert_msg(strstr(E.out, "needs: two hosts"), "%s", E.out);
    ck_assert_msg(strstr(E.out, "login_timeout") && strstr(E.out, "[default: "), "%s", E.out);
    /* the rows the runner parses: names with aliases, what a value must be, default */
    ck_assert_msg(strstr(E.out, "params of every test type:\n    test_timeout: a number of "
                         "seconds >= 0\n"), "%s", E.out);
    ck_assert_msg(strstr(E.out, "    migrate_options, virsh_migrate_options: virsh migrate "
                         "flag words [default: --live --p2p --persistent --undefinesource]\n"),
                  "%s", E.out);
    ck_assert_msg(strstr(E.out, "    mem (per VM): an integer >= 1 in MiB [default: 1024]\n"),
                  "%s", E.out);
    ck_assert_msg(strstr(E.out, "needs: at least 2 VMs (vms)\n"), "%s", E.out);
}
END_TEST

START_TEST(test_config_command_prints_each_setting_with_its_source)
{
    ts_e2e_run(&E, false, 60, TS_ARGS("config", "--settings", E.settings));
    ck_assert_msg(E.status == 0, "%s", E.err);
    char *line = xasprintf("\"%s\";    # %s:1\n", E.results, E.settings);
    ck_assert_msg(strstr(E.out, line), "no '%s' in:\n%s", line, E.out);
    const char *lab = getenv("VTRUN_SETTINGS");
    ck_assert_msg(strstr(E.out, lab), "the lab's settings are not named:\n%s", E.out);
    ck_assert_msg(strstr(E.out, "test_timeout     = 1800;    # default"), "%s", E.out);
    ck_assert_msg(!strstr(E.out, "hEXO") && strstr(E.out, "password = \"****\""),
                  "password shown:\n%s", E.out);
    free(line);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runner-select");
    TCase *tc = tcase_create("no-vms");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, test_unknown_type_is_error_naming_the_known_types_exit_bit_1);
    tcase_add_test(tc, test_boot_with_empty_vms_is_cancel_and_an_empty_job);
    tcase_add_test(tc, test_bad_param_values_are_errors_before_any_vm_starts);
    tcase_add_test(tc, test_settings_errors_exit_2_with_file_and_line);
    tcase_add_test(tc, test_config_errors_exit_2_with_file_and_line);
    tcase_add_test(tc, test_shard_union_is_the_whole_set_on_the_repository_configs);
    tcase_add_test(tc, test_dry_run_shard_selects_the_listed_cases_and_touches_nothing);
    tcase_add_test(tc, test_failfast_stops_at_the_first_failure_and_lists_the_rest_as_skip);
    tcase_add_test(tc, test_rerun_failed_runs_only_the_cases_that_did_not_pass);
    tcase_add_test(tc, test_merge_of_two_shards_lists_the_unsharded_cases_in_order);
    tcase_add_test(tc, test_list_types_prints_each_type_with_needs_and_params);
    tcase_add_test(tc, test_config_command_prints_each_setting_with_its_source);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
