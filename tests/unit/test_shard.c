/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shards (runner/run_shard.c): --shard auto on each CI engine's variables, the split
 * by name (every case in exactly one shard; adding or removing a variant moves only
 * its own cases; repeated names spread), and the plan by time (every shard computes
 * the same partition; the shards' summed times differ by at most the longest case;
 * unknown durations at their type's median).
 */
#include "cfg/cfg.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_opts.h"
#include "runner/run_shard.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- --shard auto ---------------------------------------------------------------------- */

/* A fake environment: NULL-terminated "NAME=value" strings. */
static const char *table_get(void *ctx, const char *name)
{
    const char *const *env = ctx;
    size_t len = strlen(name);
    for (size_t i = 0; env[i]; i++)
        if (!strncmp(env[i], name, len) && env[i][len] == '=')
            return env[i] + len + 1;
    return NULL;
}

#define ENV(...) ((const char *[]){ __VA_ARGS__, NULL })

static void assert_detects(const char **env, unsigned total, unsigned index, unsigned count,
                           const char *said)
{
    unsigned i = 0, n = 0;
    char *s = NULL;
    int r = run_shard_detect(table_get, env, total, &i, &n, &s);
    ck_assert_msg(r == 0, "detect failed: %s", err_msg());
    ck_assert_uint_eq(i, index);
    ck_assert_uint_eq(n, count);
    ck_assert_str_eq(s, said);
    free(s);
}

static void assert_refuses(const char **env, unsigned total, const char *mention)
{
    unsigned i = 0, n = 0;
    char *s = NULL;
    ck_assert_int_eq(run_shard_detect(table_get, env, total, &i, &n, &s), -1);
    ck_assert_msg(strstr(err_msg(), mention), "'%s' does not mention '%s'", err_msg(),
                  mention);
    ck_assert_ptr_null(s);
}

START_TEST(test_auto_reads_gitlab_1_based)
{
    assert_detects(ENV("CI_NODE_INDEX=2", "CI_NODE_TOTAL=3"), 0, 2, 3,
                   "GitLab: CI_NODE_INDEX=2 CI_NODE_TOTAL=3");
    assert_detects(ENV("CI_NODE_INDEX=3", "CI_NODE_TOTAL=3"), 3, 3, 3,
                   "GitLab: CI_NODE_INDEX=3 CI_NODE_TOTAL=3");
    assert_refuses(ENV("CI_NODE_INDEX=0", "CI_NODE_TOTAL=3"), 0, "1-based");
    assert_refuses(ENV("CI_NODE_INDEX=4", "CI_NODE_TOTAL=3"), 0, "past the last");
    assert_refuses(ENV("CI_NODE_INDEX=1"), 0, "CI_NODE_TOTAL");
    assert_refuses(ENV("CI_NODE_INDEX=1", "CI_NODE_TOTAL=3"), 4, "contradicts");
}
END_TEST

START_TEST(test_auto_reads_kubernetes_0_based_with_a_total)
{
    assert_detects(ENV("JOB_COMPLETION_INDEX=0"), 4, 1, 4,
                   "Kubernetes: JOB_COMPLETION_INDEX=0 --shard-total 4");
    assert_detects(ENV("JOB_COMPLETION_INDEX=3", "VTRUN_SHARD_TOTAL=4"), 0, 4, 4,
                   "Kubernetes: JOB_COMPLETION_INDEX=3 VTRUN_SHARD_TOTAL=4");
    assert_refuses(ENV("JOB_COMPLETION_INDEX=0"), 0, "--shard-total");
    assert_refuses(ENV("JOB_COMPLETION_INDEX=4"), 4, "past the last");
    assert_refuses(ENV("JOB_COMPLETION_INDEX=two"), 4, "JOB_COMPLETION_INDEX=two");
    assert_refuses(ENV("JOB_COMPLETION_INDEX=1", "VTRUN_SHARD_TOTAL=0"), 0,
                   "VTRUN_SHARD_TOTAL=0");
}
END_TEST

START_TEST(test_auto_reads_buildkite_0_based)
{
    assert_detects(ENV("BUILDKITE_PARALLEL_JOB=2", "BUILDKITE_PARALLEL_JOB_COUNT=5"), 0, 3,
                   5, "Buildkite: BUILDKITE_PARALLEL_JOB=2 BUILDKITE_PARALLEL_JOB_COUNT=5");
    assert_refuses(ENV("BUILDKITE_PARALLEL_JOB=5", "BUILDKITE_PARALLEL_JOB_COUNT=5"), 0,
                   "past the last");
}
END_TEST

START_TEST(test_auto_reads_circleci_0_based)
{
    assert_detects(ENV("CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=2"), 0, 1, 2,
                   "CircleCI: CIRCLE_NODE_INDEX=0 CIRCLE_NODE_TOTAL=2");
    assert_refuses(ENV("CIRCLE_NODE_INDEX=-1", "CIRCLE_NODE_TOTAL=2"), 0, "job index");
}
END_TEST

START_TEST(test_auto_without_an_engine_names_every_variable)
{
    assert_refuses(ENV("HOME=/root"), 0, "CI_NODE_INDEX (GitLab), JOB_COMPLETION_INDEX "
                   "(Kubernetes), BUILDKITE_PARALLEL_JOB (Buildkite), CIRCLE_NODE_INDEX "
                   "(CircleCI)");
}
END_TEST

/* The command line reads the process environment once the whole line is read. */
START_TEST(test_shard_auto_on_the_command_line)
{
    struct run_opts o;
    char *argv[] = { "vtrun", "--config", "x.cfg", "--shard", "auto", "--shard-total", "3",
                     "--list", NULL };
    static const char *const engines[] = { "CI_NODE_INDEX", "BUILDKITE_PARALLEL_JOB",
                                           "CIRCLE_NODE_INDEX" };
    for (size_t i = 0; i < ARRAY_SIZE(engines); i++)
        unsetenv(engines[i]);
    setenv("JOB_COMPLETION_INDEX", "2", 1);
    ck_assert_int_eq(run_opts_parse(&o, 8, argv, RUN_SUB_NONE), 0);
    ck_assert_uint_eq(o.shard_index, 3);
    ck_assert_uint_eq(o.shard_count, 3);
    char *text = run_opts_shard_text(&o);
    ck_assert_str_eq(text, "3/3 (Kubernetes: JOB_COMPLETION_INDEX=2 --shard-total 3)");
    free(text);
    run_opts_release(&o);
    unsetenv("JOB_COMPLETION_INDEX");
    ck_assert_int_eq(run_opts_parse(&o, 8, argv, RUN_SUB_NONE), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "no CI engine"));
    run_opts_release(&o);
    char *bad[] = { "vtrun", "--config", "x.cfg", "--shard", "1/2", "--shard-total", "3",
                    NULL };
    ck_assert_int_eq(run_opts_parse(&o, 7, bad, RUN_SUB_NONE), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "--shard-total only applies to --shard auto"));
    run_opts_release(&o);
}
END_TEST

/* ---- by name --------------------------------------------------------------------------- */

/* The names of a config's cases (one per line) after STMT (may be NULL). */
static char **names_of(const char *text, const char *stmt, size_t *n)
{
    char path[] = "/tmp/vtrun-shard-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *stmts[] = { stmt };
    struct cfg *c = cfg_parse(path, stmts, stmt ? 1 : 0, NULL);
    ck_assert_msg(c != NULL, "%s", err_msg());
    struct cfg_iter *it = cfg_iter_new_names(c);
    const struct cfg_case *k;
    char **v = NULL;
    *n = 0;
    while (cfg_iter_next(it, &k) == 1) {
        v = xrealloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = xstrdup(cfg_case_name(k));
    }
    cfg_iter_free(it);
    cfg_free(c);
    unlink(path);
    return v;
}

/* shard[k]: the one shard of N that keeps case k (each shard's own pass). */
static unsigned *split(char **names, size_t n, unsigned count)
{
    unsigned *shard = xcalloc(n ? n : 1, sizeof(*shard));
    for (unsigned i = 1; i <= count; i++) {
        struct run_shard *s = run_shard_new(i, count);
        for (size_t k = 0; k < n; k++) {
            if (!run_shard_keep(s, names[k], strlen(names[k])))
                continue;
            ck_assert_msg(!shard[k], "case %s is in shards %u and %u", names[k], shard[k], i);
            shard[k] = i;
        }
        run_shard_free(s);
    }
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(shard[k], "case %s is in no shard of %u", names[k], count);
    return shard;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static const char matrix[] =
    "variants:\n"
    "    - guest_a:\n    - guest_b:\n    - guest_c:\n"
    "variants:\n"
    "    - t1:\n    - t2:\n    - t3:\n    - t4:\n    - t5:\n    - t6:\n    - t7:\n"
    "variants:\n"
    "    - precopy:\n    - postcopy:\n";

static unsigned shard_of(char **names, unsigned *shard, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (!strcmp(names[k], name))
            return shard[k];
    return 0;
}

START_TEST(test_adding_a_variant_moves_only_its_cases)
{
    /* the same matrix with one more variant of the middle block */
    struct strbuf more = STRBUF_INIT;
    const char *cut = strstr(matrix, "    - t7:\n") + strlen("    - t7:\n");
    strbuf_add(&more, matrix, (size_t)(cut - matrix));
    strbuf_addstr(&more, "    - t8:\n");
    strbuf_addstr(&more, cut);
    for (unsigned count = 2; count <= 7; count++) {
        size_t n, m;
        char **before = names_of(matrix, NULL, &n), **after = names_of(more.buf, NULL, &m);
        unsigned *sb = split(before, n, count), *sa = split(after, m, count);
        ck_assert_uint_eq(m, n + 6);
        size_t kept = 0;
        for (size_t k = 0; k < m; k++) {
            unsigned was = shard_of(before, sb, n, after[k]);
            if (strstr(after[k], "t8"))
                ck_assert_uint_eq(was, 0);      /* new */
            else {
                ck_assert_msg(was == sa[k], "%s moved from shard %u to %u of %u", after[k],
                              was, sa[k], count);
                kept++;
            }
        }
        ck_assert_uint_eq(kept, n);
        /* and removing one (a `no`) moves nothing else either */
        size_t r;
        char **fewer = names_of(matrix, "no guest_b", &r);
        unsigned *sf = split(fewer, r, count);
        for (size_t k = 0; k < r; k++)
            ck_assert_uint_eq(sf[k], shard_of(before, sb, n, fewer[k]));
        free(sf);
        free_names(fewer, r);
        free(sb);
        free(sa);
        free_names(before, n);
        free_names(after, m);
    }
    strbuf_release(&more);
}
END_TEST

START_TEST(test_repeated_names_spread_over_the_shards)
{
    /* avocado-vt compositions repeat names: each occurrence is its own case */
    enum { COPIES = 90 };
    char *names[COPIES + 1];
    for (size_t k = 0; k < COPIES; k++)
        names[k] = "migrate.precopy";
    names[COPIES] = "boot";
    unsigned *shard = split(names, COPIES + 1, 3), per[4] = { 0 };
    for (size_t k = 0; k < COPIES; k++)
        per[shard[k]]++;
    for (unsigned i = 1; i <= 3; i++)
        ck_assert_msg(per[i] >= 15, "shard %u has %u of %d copies", i, per[i], COPIES);
    /* a second pass after a rewind decides the same */
    struct run_shard *s = run_shard_new(2, 3);
    for (int pass = 0; pass < 2; pass++) {
        run_shard_rewind(s);
        for (size_t k = 0; k <= COPIES; k++)
            ck_assert_int_eq(run_shard_keep(s, names[k], strlen(names[k])), shard[k] == 2);
    }
    run_shard_free(s);
    free(shard);
}
END_TEST

START_TEST(test_one_shard_keeps_everything)
{
    struct run_shard *s = run_shard_new(1, 1);
    ck_assert(run_shard_keep(s, "a", 1));
    ck_assert(run_shard_keep(s, "", 0));
    ck_assert(run_shard_keep(s, "a", 1));
    run_shard_free(s);
    ck_assert_uint_eq(run_shard_of_name("x", 1, 0, 1), 1);
}
END_TEST

/* ---- by time --------------------------------------------------------------------------- */

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* The plan of each shard (its own run_shard, as on its own machine): owner[k]. */
static unsigned *plan_all(const struct run_shard_case *cases, size_t n, unsigned count,
                          uint64_t *load_ms)
{
    unsigned *owner = xcalloc(n ? n : 1, sizeof(*owner));
    for (unsigned i = 1; i <= count; i++) {
        struct run_shard *s = run_shard_new(i, count);
        run_shard_plan_time(s, cases, n);
        for (size_t k = 0; k < n; k++)
            if (run_shard_keep(s, cases[k].name, strlen(cases[k].name))) {
                ck_assert_msg(!owner[k], "%s planned in shards %u and %u", cases[k].name,
                              owner[k], i);
                owner[k] = i;
            }
        if (load_ms)
            load_ms[i - 1] = run_shard_load_ms(s, i, NULL);
        run_shard_free(s);
    }
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(owner[k], "%s is in no shard", cases[k].name);
    return owner;
}

START_TEST(test_time_plan_balances_within_the_longest_case)
{
    enum { N = 240 };
    struct run_shard_case cases[N];
    char *names[N];
    static const char *const types[] = { "boot", "migrate", "virsh_migrate_stress" };
    for (size_t k = 0; k < N; k++) {
        names[k] = xasprintf("case.%zu", k % 200);  /* 40 repeated names */
        /* long tails: a few cases of minutes, most of seconds */
        double t = (double)(rnd() % 60000) / 1000 + (rnd() % 10 == 0 ? rnd() % 600 : 0);
        cases[k] = (struct run_shard_case){ names[k], types[k % 3], t };
    }
    for (unsigned count = 2; count <= 7; count++) {
        double sum[8] = { 0 }, longest = 0, hi = 0, lo = 1e18;
        uint64_t load[8];
        unsigned *owner = plan_all(cases, N, count, load);
        for (size_t k = 0; k < N; k++) {
            sum[owner[k]] += cases[k].time_s;
            if (cases[k].time_s > longest)
                longest = cases[k].time_s;
        }
        for (unsigned i = 1; i <= count; i++) {
            hi = sum[i] > hi ? sum[i] : hi;
            lo = sum[i] < lo ? sum[i] : lo;
            ck_assert_msg(llabs((long long)load[i - 1] - llround(sum[i] * 1000)) <= N,
                          "shard %u: load %llu ms, sum %.3f s", i,
                          (unsigned long long)load[i - 1], sum[i]);
        }
        ck_assert_msg(hi - lo <= longest + 1e-3, "%u shards: %.1f s to %.1f s, longest case "
                      "%.1f s", count, lo, hi, longest);
        free(owner);
    }
    for (size_t k = 0; k < N; k++)
        free(names[k]);
}
END_TEST

START_TEST(test_time_plan_does_not_depend_on_the_cases_order)
{
    enum { N = 60 };
    struct run_shard_case cases[N], rev[N];
    char *names[N];
    for (size_t k = 0; k < N; k++) {
        names[k] = xasprintf("t.%zu", k);
        /* many equal times: the tie-breaks decide */
        cases[k] = (struct run_shard_case){ names[k], "boot", (double)(k % 4) * 10 };
        rev[N - 1 - k] = cases[k];
    }
    unsigned *a = plan_all(cases, N, 4, NULL), *b = plan_all(rev, N, 4, NULL);
    for (size_t k = 0; k < N; k++)
        ck_assert_uint_eq(a[k], b[N - 1 - k]);
    free(a);
    free(b);
    for (size_t k = 0; k < N; k++)
        free(names[k]);
}
END_TEST

START_TEST(test_unknown_cases_take_their_types_median)
{
    /* boot known 10 s and 30 s: a new boot case counts 20 s; a type nobody knows
     * counts the median of all known cases (10, 30, 100: 30 s) */
    struct run_shard_case cases[] = {
        { "b1", "boot", 10 }, { "b2", "boot", 30 }, { "m1", "migrate", 100 },
        { "b3", "boot", -1 }, { "x1", "stress", -1 },
    };
    struct run_shard *s = run_shard_new(1, 1);
    size_t unknown;
    run_shard_plan_time(s, cases, ARRAY_SIZE(cases));
    ck_assert_uint_eq(run_shard_load_ms(s, 1, &unknown), 10000 + 30000 + 100000 + 20000 +
                      30000);
    ck_assert_uint_eq(unknown, 2);
    run_shard_free(s);
    /* nothing known: every case counts the same, the plan balances counts */
    struct run_shard_case none[9];
    char *names[9];
    for (size_t k = 0; k < 9; k++) {
        names[k] = xasprintf("n%zu", k);
        none[k] = (struct run_shard_case){ names[k], NULL, -1 };
    }
    unsigned *owner = plan_all(none, 9, 3, NULL), per[4] = { 0 };
    for (size_t k = 0; k < 9; k++)
        per[owner[k]]++;
    ck_assert(per[1] == 3 && per[2] == 3 && per[3] == 3);
    free(owner);
    for (size_t k = 0; k < 9; k++)
        free(names[k]);
}
END_TEST

START_TEST(test_run_id_names_the_ci_run)
{
    char *id = run_shard_run_id(table_get, ENV("CI_PIPELINE_ID=42", "BUILD_TAG=j-1"));
    ck_assert_str_eq(id, "CI_PIPELINE_ID=42");
    free(id);
    id = run_shard_run_id(table_get, ENV("GITHUB_RUN_ID=7", "GITHUB_RUN_ATTEMPT=2"));
    ck_assert_str_eq(id, "GITHUB_RUN_ID=7.2");
    free(id);
    id = run_shard_run_id(table_get, ENV("VTRUN_RUN_ID=nightly-5", "CI_PIPELINE_ID=42"));
    ck_assert_str_eq(id, "VTRUN_RUN_ID=nightly-5");
    free(id);
    ck_assert_ptr_null(run_shard_run_id(table_get, ENV("HOME=/")));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("auto");
    tcase_add_test(tc, test_auto_reads_gitlab_1_based);
    tcase_add_test(tc, test_auto_reads_kubernetes_0_based_with_a_total);
    tcase_add_test(tc, test_auto_reads_buildkite_0_based);
    tcase_add_test(tc, test_auto_reads_circleci_0_based);
    tcase_add_test(tc, test_auto_without_an_engine_names_every_variable);
    tcase_add_test(tc, test_shard_auto_on_the_command_line);
    tcase_add_test(tc, test_run_id_names_the_ci_run);
    suite_add_tcase(s, tc);
    tc = tcase_create("name");
    tcase_add_test(tc, test_adding_a_variant_moves_only_its_cases);
    tcase_add_test(tc, test_repeated_names_spread_over_the_shards);
    tcase_add_test(tc, test_one_shard_keeps_everything);
    suite_add_tcase(s, tc);
    tc = tcase_create("time");
    tcase_add_test(tc, test_time_plan_balances_within_the_longest_case);
    tcase_add_test(tc, test_time_plan_does_not_depend_on_the_cases_order);
    tcase_add_test(tc, test_unknown_cases_take_their_types_median);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
