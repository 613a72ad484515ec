/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The history (results/res_hist.c) on a real SQLite database: what a job records (job,
 * tests, hops, end), two jobs writing one database at once, a database that cannot be
 * written (the job goes on), a job read back from the history once its directory is
 * gone, diff's sections, and --shard-by time through the real binary ($VTRUN) on a
 * history of known durations: the shards' summed times differ by at most the longest
 * case.  No VMs.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "tests/support.h"

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* One finished test as a job records it. */
struct t {
    const char *name;
    enum res_status status;
    double time;
};

/* A job of TESTS (N) into results_dir RD recording in history DB; its directory. */
static char *run_job(const char *rd, const char *db, const struct t *tests, size_t n,
                     const char *run_id)
{
    struct res_job_meta meta = { .run_id = run_id, .version = "test",
                                 .replay = (const char *[]){ "--config", "x.cfg", NULL } };
    struct res_job_info info = { .results_dir = rd, .history = db, .meta = &meta,
                                 .config = "x.cfg", .name = "x", .total = (unsigned)n };
    struct res_job *job = res_job_open(&info);
    ck_assert_msg(job != NULL, "res_job_open: %s", err_msg());
    for (size_t i = 0; i < n; i++) {
        struct res_param props[] = { { "type", "boot" }, { "hosts", "h1 -> h2" } };
        struct res_test_info ti = { .index = (unsigned)i + 1, .gen_index = (long)i,
                                    .name = tests[i].name, .classname = "boot",
                                    .props = props, .nprops = 2 };
        struct res_test *rt = res_test_start(job, &ti);
        ck_assert_ptr_nonnull(rt);
        if (i == 0) {
            struct res_hop hop = { .vm = "vm1", .hop = 1, .from = "h1", .to = "h2",
                                   .start = 1.0, .wall_s = 2.5, .downtime_ms = 40,
                                   .data_bytes = 1 << 20, .mem_iterations = 3, .ok = true };
            res_test_hop(rt, &hop);
        }
        res_test_end(rt, tests[i].status, NULL,
                     tests[i].status == RES_PASS ? NULL : "it broke", tests[i].time);
    }
    res_job_end(job, 1.0);
    char *dir = xstrdup(res_job_dir(job));
    res_job_free(job);
    return dir;
}

static long long scalar(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(h));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static const struct t night1[] = {
    { "a", RES_PASS, 10 }, { "b", RES_FAIL, 20 }, { "c", RES_PASS, 3 },
    { "d", RES_CANCEL, 0 }, { "e", RES_PASS, 1 },
};
static const struct t night2[] = {
    { "a", RES_FAIL, 11 }, { "b", RES_PASS, 21 }, { "c", RES_PASS, 30 },
    { "d", RES_PASS, 5 }, { "f", RES_ERROR, 1 },
};

START_TEST(test_a_job_records_its_tests_hops_and_end)
{
    char *db = xasprintf("%s/h/history.sqlite", ts_base);
    char *dir = run_job(ts_base, db, night1, 5, NULL);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM jobs WHERE end IS NOT NULL"), 1);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM tests"), 5);
    ck_assert_int_eq(scalar(db, "SELECT fail FROM jobs"), 1);
    ck_assert_int_eq(scalar(db, "SELECT exit FROM jobs"), 1);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM tests WHERE hosts = 'h1 -> h2'"), 5);
    ck_assert_int_eq(scalar(db, "SELECT data_bytes FROM hops WHERE vm = 'vm1'"), 1 << 20);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM tests WHERE name = 'b' AND "
                                "status = 'FAIL' AND reason = 'it broke'"), 1);
    /* WAL: readers do not wait for a writer */
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM pragma_journal_mode "
                                "WHERE journal_mode = 'wal'"), 1);
    /* jobdata for replay, avocado's place */
    char *args = xasprintf("%s/jobdata/args.json", dir), *text = ts_read(args);
    ck_assert_ptr_nonnull(strstr(text, "\"x.cfg\""));
    free(text);
    free(args);
    free(dir);
    free(db);
}
END_TEST

START_TEST(test_two_jobs_write_one_database_at_once)
{
    char *db = xasprintf("%s/history.sqlite", ts_base);
    enum { N = 150 };
    pid_t pid[2];
    for (int p = 0; p < 2; p++) {
        pid[p] = fork();
        ck_assert_int_ge(pid[p], 0);
        if (pid[p] == 0) {
            struct t tests[N];
            char *names[N];
            for (size_t i = 0; i < N; i++) {
                names[i] = xasprintf("p%d.t%zu", p, i);
                tests[i] = (struct t){ names[i], RES_PASS, 0.01 };
            }
            char *rd = xasprintf("%s/r%d", ts_base, p);
            free(run_job(rd, db, tests, N, NULL));
            _exit(0);
        }
    }
    for (int p = 0; p < 2; p++) {
        int st;
        ck_assert_int_eq(waitpid(pid[p], &st, 0), pid[p]);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM jobs WHERE end IS NOT NULL"), 2);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM tests"), 2 * N);
    free(db);
}
END_TEST

START_TEST(test_a_history_that_cannot_be_written_does_not_fail_the_job)
{
    /* a file where the database's directory should be */
    char *file = xasprintf("%s/file", ts_base), *db = xasprintf("%s/file/h.sqlite", ts_base);
    FILE *f = fopen(file, "w");
    fclose(f);
    char *dir = run_job(ts_base, db, night1, 5, NULL);
    char *json = xasprintf("%s/results.json", dir);
    char **names = res_read_names(json, ~0u);
    size_t n = 0;
    while (names[n])
        n++;
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(json);
    free(dir);
    free(db);
    free(file);
}
END_TEST

static char *diff_text(struct res_view *a, struct res_view *b, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *rc = res_view_diff(a, b, false, f);
    fclose(f);
    return buf;
}

START_TEST(test_diff_sections_and_a_job_read_back_from_the_history)
{
    char *db = xasprintf("%s/history.sqlite", ts_base);
    char *d1 = run_job(ts_base, db, night1, 5, NULL), *d2 = run_job(ts_base, db, night2, 5,
                                                                     NULL);
    struct res_hist *h = res_hist_open(db, false);
    ck_assert_ptr_nonnull(h);
    struct res_view *a = res_view_load(h, d1, NULL), *b = res_view_load(h, d2, NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    int rc;
    char *out = diff_text(a, b, &rc);
    ck_assert_int_eq(rc, 1);
    static const char *const want[] = {
        "NEW FAILURES (2):\n  a: PASS -> FAIL: it broke\n  f: - -> ERROR: it broke\n",
        "FIXED (1):\n  b: FAIL -> PASS\n",
        "STATUS CHANGES (1):\n  d: CANCEL -> PASS\n",
        "ONLY IN A (1):\n  e: PASS -> -\n",
        "TIME REGRESSIONS (1):\n  (more than 50% and 5 s slower)\n  c: 3.00 s -> 30.00 s",
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        ck_assert_msg(strstr(out, want[i]), "no\n%s\nin\n%s", want[i], out);
    free(out);
    out = diff_text(b, b, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(out, "no difference: 5 cases, the same statuses (2 failing in "
                              "both)"), "%s", out);
    free(out);

    /* the directory gone, the history still answers */
    const char *id = res_view_id(b);
    char *id2 = xstrdup(id);
    ts_rmtree(d2);
    struct res_view *b2 = res_view_load(h, d2, id2);
    ck_assert_msg(b2 != NULL, "%s", err_msg());
    ck_assert_str_eq(res_view_dir(b2), "");
    out = diff_text(b, b2, &rc);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    struct res_hist_job j;
    ck_assert_int_eq(res_hist_find(h, "", &j), 0);
    char pre[9];
    snprintf(pre, sizeof(pre), "%.8s", id2);
    ck_assert_int_eq(res_hist_find(h, pre, &j), 1);
    ck_assert_str_eq(j.id, id2);
    res_hist_job_release(&j);
    struct res_hist_job *v;
    size_t n;
    ck_assert_int_eq(res_hist_jobs(h, ts_base, &v, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(v[0].start <= v[1].start && v[0].recorded && v[1].recorded);
    ck_assert_uint_eq(v[1].counts.n[RES_ERROR], 1);
    for (size_t i = 0; i < n; i++)
        res_hist_job_release(&v[i]);
    free(v);

    res_view_free(b2);
    res_view_free(a);
    res_view_free(b);
    res_hist_close(h);
    free(id2);
    free(d1);
    free(d2);
    free(db);
}
END_TEST

/* a merged night recorded as one job: its tests, its shards */
START_TEST(test_a_merged_directory_is_recorded_as_one_job)
{
    char *a = xasprintf("%s/a", ts_base), *b = xasprintf("%s/b", ts_base);
    char *out = xasprintf("%s/merged", ts_base), *db = xasprintf("%s/night.sqlite", ts_base);
    char *d1 = run_job(a, NULL, night1, 5, NULL), *d2 = run_job(b, NULL, night2, 5, NULL);
    const char *dirs[] = { d1, d2 };
    ck_assert_int_eq(res_merge(dirs, 2, out, RES_JUNIT_FULL), 0);
    ck_assert_msg(res_hist_record_dir(db, out) == 0, "%s", err_msg());
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM jobs"), 1);
    ck_assert_int_eq(scalar(db, "SELECT total FROM jobs"), 10);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM tests WHERE name = 'a'"), 2);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM hops"), 2);
    free(d1);
    free(d2);
    free(db);
    free(out);
    free(a);
    free(b);
}
END_TEST

/* durations: the last known per name, SKIP and CANCEL left out, and the CI run's own
 * jobs left out */
struct seen {
    char names[16][16];
    double t[16];
    size_t n;
};

static void collect(void *ctx, const char *name, double t)
{
    struct seen *s = ctx;
    snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
    s->t[s->n++] = t;
}

static double seen_t(const struct seen *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name))
            return s->t[i];
    return -1;
}

START_TEST(test_durations_are_the_last_known_outside_this_run)
{
    char *db = xasprintf("%s/history.sqlite", ts_base);
    free(run_job(ts_base, db, night1, 5, "CI_PIPELINE_ID=1"));
    free(run_job(ts_base, db, night2, 5, "CI_PIPELINE_ID=2"));
    struct res_hist *h = res_hist_open(db, false);
    struct seen s = { 0 };
    ck_assert_int_eq(res_hist_durations(h, NULL, collect, &s), 0);
    ck_assert(seen_t(&s, "a") == 11 && seen_t(&s, "c") == 30 && seen_t(&s, "d") == 5);
    ck_assert(seen_t(&s, "e") == 1);
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(res_hist_durations(h, "CI_PIPELINE_ID=2", collect, &s), 0);
    ck_assert(seen_t(&s, "a") == 10 && seen_t(&s, "c") == 3);
    ck_assert(seen_t(&s, "d") < 0);     /* CANCEL says nothing of a duration */
    res_hist_close(h);
    free(db);
}
END_TEST

/* --shard-by time through the binary: a history of known durations for the cases of
 * a config, then each shard's listing; summed, the shards differ by at most the
 * longest case, and together they are every case once. */
START_TEST(test_shard_by_time_balances_a_known_history)
{
    const char *vtrun = getenv("VTRUN");
    ck_assert_msg(vtrun && *vtrun, "VTRUN is not set: run with `make check`");
    enum { N = 40 };
    char *cfg = xasprintf("%s/t.cfg", ts_base), *conf = xasprintf("%s/s.conf", ts_base);
    char *db = xasprintf("%s/h.sqlite", ts_base);
    struct strbuf text = STRBUF_INIT;
    struct t tests[N];
    char *names[N];
    strbuf_addstr(&text, "type = boot\nvariants:\n");
    for (size_t i = 0; i < N; i++) {
        names[i] = xasprintf("c%02zu", i);
        strbuf_addf(&text, "    - c%02zu:\n", i);
        /* a few long cases, many short ones */
        tests[i] = (struct t){ names[i], RES_PASS, i % 9 == 0 ? 300.0 + (double)i
                                                              : 5.0 + (double)(i * 7 % 40) };
    }
    FILE *f = fopen(cfg, "w");
    fputs(text.buf, f);
    fclose(f);
    f = fopen(conf, "w");
    fprintf(f, "results_dir = \"%s/res\";\nhistory = \"%s\";\n", ts_base, db);
    fclose(f);
    free(run_job(ts_base, db, tests, N, NULL));

    double sum[4] = { 0 }, longest = 0;
    size_t listed = 0;
    char *out = xasprintf("%s/out", ts_base), *err = xasprintf("%s/err", ts_base);
    for (unsigned i = 1; i <= 3; i++) {
        char shard[8];
        snprintf(shard, sizeof(shard), "%u/3", i);
        char *const argv[] = { (char *)vtrun, "--settings", conf, "--config", cfg, "--list",
                               "--shard", shard, "--shard-by", "time", NULL };
        ck_assert_int_eq(ts_run_files(argv, out, err, 60), 0);
        char *list = ts_read(out), *said = ts_read(err);
        ck_assert_msg(strstr(said, "vtrun: shard ") && strstr(said, "planned from ") &&
                      strstr(said, "40 of 40 cases with a known duration"), "%s", said);
        for (char *l = list, *e; (e = strchr(l, '\n')); l = e + 1) {
            *e = '\0';
            size_t k = (size_t)atoi(l + 1);
            ck_assert_str_eq(l, names[k]);
            sum[i] += tests[k].time;
            listed++;
        }
        free(list);
        free(said);
    }
    for (size_t k = 0; k < N; k++)
        longest = tests[k].time > longest ? tests[k].time : longest;
    double hi = sum[1], lo = sum[1];
    for (unsigned i = 2; i <= 3; i++) {
        hi = sum[i] > hi ? sum[i] : hi;
        lo = sum[i] < lo ? sum[i] : lo;
    }
    ck_assert_uint_eq(listed, N);
    ck_assert_msg(hi - lo <= longest, "shards %.0f/%.0f/%.0f s, longest case %.0f s", sum[1],
                  sum[2], sum[3], longest);
    for (size_t i = 0; i < N; i++)
        free(names[i]);
    free(out);
    free(err);
    free(db);
    free(conf);
    free(cfg);
    strbuf_release(&text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("sqlite");
    tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_job_records_its_tests_hops_and_end);
    tcase_add_test(tc, test_two_jobs_write_one_database_at_once);
    tcase_add_test(tc, test_a_history_that_cannot_be_written_does_not_fail_the_job);
    tcase_add_test(tc, test_diff_sections_and_a_job_read_back_from_the_history);
    tcase_add_test(tc, test_a_merged_directory_is_recorded_as_one_job);
    tcase_add_test(tc, test_durations_are_the_last_known_outside_this_run);
    tcase_add_test(tc, test_shard_by_time_balances_a_known_history);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
