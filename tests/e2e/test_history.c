/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The history of real lab jobs (results/res_hist.c, runner/run_hist.c): three jobs of
 * one config in which case `vm` boots a guest in the second and is an ERROR (a bad
 * param, before any VM) in the first and third; `vtrun jobs list`, `jobs show`,
 * `diff` (changed: exit 1; itself: exit 0; an id prefix, `latest`, a copied and a
 * merged directory the history never saw), `flaky`, `history`, `replay latest`,
 * `--rerun-failed JOB_ID`, and jobdata/cmdline as avocado's `diff` reads it (a Python
 * literal).  One guest boots in the whole suite.
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

static const char flip_cfg[] =
    "vm_type = libvirt\n"
    "type = boot\n"
    "images = image1\n"
    "nics = nic1\n"
    "master_images_clone = image1\n"
    "image_clone_mode = linked\n"
    "login_timeout = 90\n"
    "variants:\n"
    "    - vm:\n        vms = vm1\n"
    "    - novm:\n        vms =\n";

/* A bad value: every case is an ERROR before anything of it runs. */
#define BREAK "login_timeout = abc"

static char *latest_job(void)
{
    char *job = ts_job_dir(&E);
    ck_assert_msg(job != NULL, "no job directory under %s\n%s\n%s", E.results, E.out, E.err);
    return job;
}

static char *job_id(const char *dir)
{
    char *p = xasprintf("%s/id", dir), *id = ts_read(p);
    id[strcspn(id, "\n")] = '\0';
    free(p);
    return id;
}

/* A history command (no settings injected: --settings is passed explicitly). */
#define cmd(e, ...) ts_e2e_run((e), false, 120, TS_ARGS(__VA_ARGS__))

START_TEST(test_three_lab_jobs_in_the_history)
{
    char *cfg = xasprintf("%s/flip.cfg", E.dir);
    ts_write(cfg, flip_cfg);

    /* ERROR, PASS, ERROR */
    ts_e2e_vtrun(&E, 120, "--config", cfg, "--set", BREAK);
    ck_assert_msg(E.status == 1, "job 1: exit %d\n%s\n%s", E.status, E.out, E.err);
    char *j1 = latest_job(), *id1 = job_id(j1);
    ts_e2e_vtrun(&E, 600, "--config", cfg);
    ck_assert_msg(E.status == 0, "job 2: exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "vm: PASS"), "%s", E.out);
    char *j2 = latest_job(), *id2 = job_id(j2);
    ts_e2e_vtrun(&E, 120, "--config", cfg, "--set", BREAK);
    ck_assert_int_eq(E.status, 1);
    char *j3 = latest_job(), *id3 = job_id(j3);

    /* every job recorded, in the default place */
    char *db = xasprintf("%s/history.sqlite", E.results);
    ck_assert_msg(ts_exists(db), "no %s", db);
    cmd(&E, "jobs", "list", "--settings", E.settings);
    ck_assert_msg(E.status == 0, "jobs list: %d %s", E.status, E.err);
    const char *ids[] = { id1, id2, id3 };
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
        ck_assert_msg(strstr(E.out, ids[i]), "jobs list lacks %s:\n%s", ids[i], E.out);
    ck_assert_msg(!strstr(E.out, "not in the history"), "%s", E.out);
    ck_assert_msg(strstr(E.out, id1) < strstr(E.out, id2) && strstr(E.out, id2) <
                  strstr(E.out, id3), "not oldest first:\n%s", E.out);

    /* jobs show: avocado's columns and the RESULTS line */
    cmd(&E, "jobs", "show", id2, "--settings", E.settings);
    ck_assert_msg(E.status == 0, "jobs show: %s", E.err);
    ck_assert_msg(strstr(E.out, "Test ID") && strstr(E.out, "1-vm") &&
                  strstr(E.out, "RESULTS    : PASS 1 | ERROR 0 | FAIL 0 | SKIP 0 | WARN 0 "
                         "| INTERRUPT 0 | CANCEL 1"), "%s", E.out);

    /* diff: a case changed status, exit 1; a job with itself, exit 0 */
    cmd(&E, "diff", j1, j2, "--settings", E.settings);
    ck_assert_msg(E.status == 1, "diff 1 2: exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "FIXED (1):\n  vm: ERROR -> PASS\n"), "%s", E.out);
    ck_assert_msg(strstr(E.out, "STATUS CHANGES (1):\n  novm: ERROR -> CANCEL\n"), "%s",
                  E.out);
    cmd(&E, "diff", "latest~2", "latest~1", "--settings", E.settings);
    ck_assert_msg(E.status == 1 && strstr(E.out, id1) && strstr(E.out, id2) &&
                  strstr(E.out, "FIXED (1):\n  vm: ERROR -> PASS\n"), "latest~N:\n%s%s",
                  E.out, E.err);
    cmd(&E, "diff", "latest~3", "latest", "--settings", E.settings);
    ck_assert_msg(E.status == 2 && strstr(E.err, "2 jobs before `latest`"), "%s", E.err);
    char *prefix = xstrndup(id2, 8);
    cmd(&E, "diff", prefix, "latest", "--settings", E.settings, "--json");
    ck_assert_msg(E.status == 1, "diff 2 3: exit %d\n%s", E.status, E.err);
    json_error_t je;
    json_t *d = json_loads(E.out, 0, &je);
    ck_assert_msg(d != NULL, "--json: %s\n%s", je.text, E.out);
    /* both fail in job 3: novm (CANCEL before) and vm (PASS before), by name */
    json_t *nfs = json_object_get(d, "new_failures");
    ck_assert_int_eq(json_array_size(nfs), 2);
    json_t *nf = json_array_get(nfs, 1);
    ck_assert_str_eq(ts_jstr(nf, "name"), "vm");
    ck_assert_str_eq(ts_jstr(nf, "a"), "PASS");
    ck_assert_str_eq(ts_jstr(nf, "b"), "ERROR");
    ck_assert(json_is_false(json_object_get(d, "equal")));
    json_decref(d);
    cmd(&E, "diff", id2, j2, "--settings", E.settings);
    ck_assert_msg(E.status == 0, "diff with itself: exit %d\n%s", E.status, E.out);
    ck_assert_msg(strstr(E.out, "no difference: 2 cases") && !strstr(E.out, "(1):"), "%s",
                  E.out);

    /* directories the history never saw: a copy from "another machine", a merge */
    char *copy = xasprintf("%s/elsewhere", E.dir);
    char *const cp[] = { "cp", "-a", j2, copy, NULL };
    ck_assert_int_eq(ts_run_files(cp, NULL, NULL, 60), 0);
    char *idf = xasprintf("%s/id", copy);
    ts_write(idf, "0123456789abcdef0123456789abcdef01234567\n");
    cmd(&E, "diff", copy, id2, "--settings", E.settings);
    ck_assert_msg(E.status == 0, "diff copy: exit %d\n%s\n%s", E.status, E.out, E.err);
    char *merged = xasprintf("%s/merged", E.dir);
    cmd(&E, "merge", j2, "--out", merged);
    ck_assert_int_eq(E.status, 0);
    cmd(&E, "diff", merged, j2, "--settings", E.settings);
    ck_assert_msg(E.status == 0, "diff merged: exit %d\n%s\n%s", E.status, E.out, E.err);
    cmd(&E, "jobs", "show", merged, "--settings", E.settings);
    ck_assert_msg(E.status == 0 && strstr(E.out, "1-vm"), "%s%s", E.out, E.err);

    /* flaky: vm flipped ERROR -> PASS -> ERROR; novm never ran (CANCEL left out) */
    cmd(&E, "flaky", "--settings", E.settings);
    ck_assert_msg(E.status == 0, "flaky: %s", E.err);
    ck_assert_msg(strstr(E.out, "vm: 2 flips in 3 runs: ERROR PASS ERROR\n"), "%s", E.out);
    ck_assert_msg(!strstr(E.out, "novm"), "%s", E.out);
    cmd(&E, "flaky", "--last", "1", "--settings", E.settings);
    ck_assert_msg(strstr(E.out, "no case flipped"), "%s", E.out);

    cmd(&E, "history", "vm", "--settings", E.settings);
    ck_assert_msg(E.status == 0, "history: %s", E.err);
    ck_assert_msg(strstr(E.out, "vm: 3 runs, pass rate 33% (1 of 3 that ran)") &&
                  strstr(E.out, "recent    : ERROR PASS ERROR"), "%s", E.out);
    cmd(&E, "history", "nosuchtest", "--settings", E.settings);
    ck_assert_int_eq(E.status, 1);

    /* replay latest: the same config and filters (the broken value), the same cases */
    cmd(&E, "replay", "latest", "--settings", E.settings);
    ck_assert_msg(E.status == 1, "replay: exit %d\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "REPLAY     : job ") && strstr(E.out, id3), "%s", E.out);
    char *j4 = latest_job();
    ck_assert_str_ne(j4, j3);
    cmd(&E, "diff", j3, j4, "--settings", E.settings);
    ck_assert_msg(E.status == 0, "replay differs from its job:\n%s", E.out);

    /* --rerun-failed takes a job id */
    ts_e2e_vtrun(&E, 120, "--config", cfg, "--set", BREAK, "--rerun-failed", id1);
    ck_assert_msg(E.status == 1 && strstr(E.out, "(2/2)"), "%s%s", E.out, E.err);

    /* avocado's diff reads jobdata/cmdline with ast.literal_eval */
    char *lit = xasprintf("import ast, sys; v = ast.literal_eval(open('%s/jobdata/cmdline')"
                          ".read()); sys.exit(0 if isinstance(v, list) and '--set' in v "
                          "else 1)", j3);
    char *const py[] = { "python3", "-c", lit, NULL };
    ck_assert_int_eq(ts_run_files(py, NULL, NULL, 60), 0);

    free(lit);
    free(j4);
    free(merged);
    free(idf);
    free(copy);
    free(prefix);
    free(db);
    free(j1);
    free(j2);
    free(j3);
    free(id1);
    free(id2);
    free(id3);
    free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("lab");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_three_lab_jobs_in_the_history);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
