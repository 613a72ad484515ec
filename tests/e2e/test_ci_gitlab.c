/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docs/ci/gitlab-ci.yml, the very file, run by GitLab's own pipeline semantics as
 * gitlab-ci-local implements them (shell executor, one isolated copy of the project
 * per job, artifacts passed by `needs:`): three `parallel:` shard jobs with
 * `--shard auto` on the lab, then the merge job.  The merged results must list the
 * same cases with the same statuses as an unsharded run of the same config, with one
 * JUnit testsuite per shard.  gitlab-ci-local comes from `make deps`
 * (tools/gitlab-ci-local); the shards run one at a time (--concurrency 1): they share
 * the lab's one host pair, where a real pipeline has a pair per runner.
 */
#include "tests/support.h"

#include <check.h>
#include <libgen.h>

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}

/* Three boot cases and two that CANCEL (no VMs); split by name, each of the three
 * shards gets one that boots, so no shard is an empty night. */
static const char nightly_cfg[] =
    "vm_type = libvirt\n"
    "type = boot\n"
    "images = image1\n"
    "nics = nic1\n"
    "master_images_clone = image1\n"
    "image_clone_mode = linked\n"
    "login_timeout = 90\n"
    "variants:\n"
    "    - boot1:\n        vms = vm1\n"
    "    - boot2:\n        vms = vm1\n"
    "    - boot3:\n        vms = vm1\n"
    "    - novm1:\n        vms =\n"
    "    - novm2:\n        vms =\n";

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name STATUS" per test of a job directory's results.json, sorted. */
static char *cases_of(const char *job)
{
    json_t *r = ts_results_json(job), *t;
    size_t i, n = json_array_size(json_object_get(r, "tests"));
    char **v = xcalloc(n + 1, sizeof(*v));
    struct strbuf sb = STRBUF_INIT;
    json_array_foreach(json_object_get(r, "tests"), i, t)
        v[i] = xasprintf("%s %s", ts_jstr(t, "name"), ts_jstr(t, "status"));
    qsort(v, n, sizeof(*v), by_str);
    for (i = 0; i < n; i++) {
        strbuf_addf(&sb, "%s\n", v[i]);
        free(v[i]);
    }
    free(v);
    json_decref(r);
    return strbuf_detach(&sb, NULL);
}

static char *gitlab_ci_local(void)
{
    char top[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(top, sizeof(top)));
    char *p = xasprintf("%s/tools/gitlab-ci-local/node_modules/.bin/gitlab-ci-local", top);
    ck_assert_msg(access(p, X_OK) == 0, "%s is missing: `make deps` installs it", p);
    return p;
}

START_TEST(test_gitlab_pipeline_shards_and_merge_equal_an_unsharded_run)
{
    const char *lab = getenv("VTRUN_SETTINGS");
    ck_assert_msg(lab && *lab, "VTRUN_SETTINGS (the lab's settings) is not set");
    char *gcl = gitlab_ci_local(), *proj = xasprintf("%s/project", E.dir);
    char *bin = xstrdup(ts_vtrun_bin()), *bindir = dirname(bin);
    char *path = xasprintf("PATH=%s:%s", bindir, getenv("PATH"));
    char *home = xasprintf("HOME=%s", E.dir);
    char top[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(top, sizeof(top)));

    /* the project: the pipeline as docs/ci has it, a config, in a git repository */
    ck_assert_int_eq(mkdir(proj, 0755), 0);
    char *yml = xasprintf("%s/docs/ci/gitlab-ci.yml", top), *text = ts_read(yml);
    char *dst = xasprintf("%s/.gitlab-ci.yml", proj), *cfg = xasprintf("%s/nightly.cfg", proj);
    ts_write(dst, text);
    ts_write(cfg, nightly_cfg);
    char *const git_init[] = { "git", "-C", proj, "init", "-q", NULL };
    ck_assert_int_eq(ts_run_files(git_init, NULL, NULL, 60), 0);
    char *const git_add[] = { "git", "-C", proj, "add", "-A", NULL };
    ck_assert_int_eq(ts_run_files(git_add, NULL, NULL, 60), 0);
    char *const git_commit[] = { "git", "-C", proj, "-c", "user.name=vtrun", "-c",
                                 "user.email=vtrun@localhost", "commit", "-qm", "nightly",
                                 NULL };
    ck_assert_int_eq(ts_run_files(git_commit, NULL, NULL, 60), 0);

    /* the pipeline, on the lab's settings */
    char *settings = xasprintf("VTRUN_SETTINGS_FILE=%s", lab);
    char *const pipeline[] = {
        "env", "-C", proj, path, home, gcl, "--shell-isolation", "--concurrency", "1",
        "--variable", "VTRUN_CONFIG=nightly.cfg", "--variable", "VTRUN_ONLY=",
        "--variable", settings, "--variable", "VTRUN_ARGS=", NULL,
    };
    double t0 = ts_now();
    int rc = ts_run_files(pipeline, E.out_path, E.err_path, 600);
    double took = ts_now() - t0;
    ts_e2e_collect(&E);
    printf("gitlab-ci-local pipeline (3 shards + merge): %.1f s\n", took);
    ck_assert_msg(rc == 0, "gitlab-ci-local exit %d\n%s\n%s", rc, E.out, E.err);
    static const char *const jobs[] = { "PASS  vtrun-shard: [1/3]", "PASS  vtrun-shard: [2/3]",
                                        "PASS  vtrun-shard: [3/3]", "PASS  vtrun-merge" };
    for (size_t i = 0; i < ARRAY_SIZE(jobs); i++)
        ck_assert_msg(strstr(E.out, jobs[i]), "no '%s' in:\n%s", jobs[i], E.out);
    for (unsigned i = 1; i <= 3; i++) {
        char *said = xasprintf("SHARD      : %u/3 (GitLab: CI_NODE_INDEX=%u CI_NODE_TOTAL=3)",
                               i, i);
        ck_assert_msg(strstr(E.out, said), "no '%s' in:\n%s", said, E.out);
        free(said);
    }

    /* the merged artifact (gitlab-ci-local copies artifacts back into the project) */
    char *merged = xasprintf("%s/merged", proj);
    ck_assert_msg(ts_exists(merged), "no merged/ artifact:\n%s", E.out);
    ts_assert_junit(merged);
    char *xml = xasprintf("%s/results.xml", merged), *xt = ts_read(xml);
    ck_assert_int_eq(ts_count(xt, "<testsuite "), 3);
    for (unsigned i = 1; i <= 3; i++) {
        char *suite = xasprintf("name=\"nightly.shard%u\"", i);
        ck_assert_msg(strstr(xt, suite), "no testsuite %s in %s", suite, xml);
        free(suite);
    }

    /* the same config unsharded, on the same lab */
    char *whole = xasprintf("%s/unsharded", E.dir);
    ts_e2e_vtrun(&E, 600, "--config", cfg, "--job-results-dir", whole);
    ck_assert_msg(E.status == 0, "unsharded: exit %d\n%s\n%s", E.status, E.out, E.err);
    char *latest = xasprintf("%s/latest", whole);
    char *want = cases_of(latest), *got = cases_of(merged);
    ck_assert_msg(ts_count(want, " PASS\n") == 3 && ts_count(want, " CANCEL\n") == 2,
                  "unsharded:\n%s", want);
    ck_assert_str_eq(got, want);

    free(got);
    free(want);
    free(latest);
    free(whole);
    free(xt);
    free(xml);
    free(merged);
    free(settings);
    free(cfg);
    free(dst);
    free(text);
    free(yml);
    free(home);
    free(path);
    free(bin);
    free(proj);
    free(gcl);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ci-gitlab");
    TCase *tc = tcase_create("pipeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_gitlab_pipeline_shards_and_merge_equal_an_unsharded_run);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
