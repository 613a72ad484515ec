/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stopping vtrun jobs on the lab, with real VMs: SIGINT in a migration hop, SIGTERM
 * during boot and test_timeout (in a hop and in the login wait) make the test
 * INTERRUPTED, run its cleanup and leave no domain, QEMU or clone behind, with valid
 * results; a second SIGINT skips cleanup and vtrun says exactly what it left and how
 * to remove it.  Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set), from the top of
 * the repository.
 */

#include "tests/support.h"

#include <check.h>

/* A 1 MiB/s migration of a 128 MiB guest: a hop that lasts long enough to stop. */
#define MIG_SLOW "migrate_options = --live --p2p --persistent --undefinesource --unsafe " \
                 "--bandwidth 1"

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}

/* The one test of an interrupted job: INTERRUPTED with a reason holding `why`. */
static json_t *assert_interrupted(const char *job, const char *why)
{
    json_t *r = ts_results_json(job);
    json_t *t = json_array_get(json_object_get(r, "tests"), 0);
    ck_assert_msg(t != NULL, "no test in results.json");
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "INTERRUPTED"), "status %s (%s)",
                  ts_jstr(t, "status"), json_string_value(json_object_get(t, "fail_reason")));
    const char *reason = ts_jstr(t, "fail_reason");
    ck_assert_msg(strstr(reason, why), "reason '%s' does not say '%s'", reason, why);
    ck_assert_int_eq(ts_jint(r, "interrupt"), 1);
    ts_assert_junit(job);
    char *html = xasprintf("%s/results.html", job);
    ck_assert_msg(ts_exists(html), "no %s", html);
    free(html);
    ts_assert_no_password(job);
    return r;
}

START_TEST(test_sigint_during_a_hop_interrupts_cleans_up_and_writes_results)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                     "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 120), "the hop never started");
    usleep(300 * 1000);     /* inside the migration job, not before it */
    double t0 = ts_now();
    kill(pid, SIGINT);
    ts_e2e_wait(&E, pid, 150);
    double dt = ts_now() - t0;
    ck_assert_msg(E.status & 8, "exit %d has no interrupted bit 8\n%s\n%s", E.status, E.out,
                  E.err);
    ck_assert_msg(dt < 60, "vtrun took %.1f s to stop after SIGINT", dt);
    char *job = ts_job_dir(&E);
    json_t *r = assert_interrupted(job, "signal");
    ck_assert_msg(ts_debug_log_has(&E, "cleanup"), "cleanup did not run");
    ck_assert_msg(strstr(E.out, "INTERRUPT 1"), "RESULTS line: %s", E.out);
    ck_assert_msg(json_is_true(json_object_get(r, "interrupted")), "job not marked interrupted");
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(job);
}
END_TEST

/* Ctrl-C at a terminal signals the whole foreground process group: vtrun and the ssh
 * processes libvirt runs for its qemu+ssh:// connections.  Cleanup must still reach the
 * hosts through those connections and leave nothing behind. */
START_TEST(test_ctrl_c_to_the_process_group_during_a_hop_still_cleans_up_the_hosts)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                     "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 120), "the hop never started");
    usleep(300 * 1000);
    ck_assert_int_eq(getpgid(pid), pid);    /* vtrun leads its group, as in a shell */
    kill(-pid, SIGINT);
    ts_e2e_wait(&E, pid, 150);
    ck_assert_msg(E.status & 8, "exit %d has no interrupted bit 8\n%s\n%s", E.status, E.out,
                  E.err);
    char *job = ts_job_dir(&E);
    json_t *r = assert_interrupted(job, "signal");
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    ck_assert_msg(!ts_debug_log_has(&E, "client socket is closed"),
                  "the signal closed vtrun's connections to the hosts before cleanup");
    json_decref(r);
    free(job);
}
END_TEST

/* 25 s: boot and login take ~5 s (more on a loaded machine), so the deadline falls in
 * the 1 MiB/s hop, which must then be aborted. */
START_TEST(test_test_timeout_interrupts_a_slow_hop_and_cleans_up)
{
    double t0 = ts_now();
    ts_e2e_vtrun(&E, 170, "--config", "examples/migrate.cfg", "--only", "there.precopy",
             "--set", "test_timeout = 25", "--set", MIG_SLOW);
    double dt = ts_now() - t0;
    ck_assert_msg(E.status == 1, "exit %d (want 1: a test did not pass)\n%s\n%s", E.status,
                  E.out, E.err);
    ck_assert_msg(dt < 60, "a 25 s test_timeout took %.1f s", dt);
    char *job = ts_job_dir(&E);
    json_t *r = assert_interrupted(job, "test_timeout");
    ck_assert_msg(ts_debug_log_has(&E, "hop 1: vm1 from"), "timed out before the hop");
    ck_assert_msg(json_is_false(json_object_get(r, "interrupted")),
                  "a timeout is not a job interruption");
    ck_assert_msg(ts_debug_log_has(&E, "cleanup"), "cleanup did not run");
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(job);
}
END_TEST

/* A timeout that hits while the guest boots (waiting for login), not in a hop. */
START_TEST(test_short_test_timeout_interrupts_the_login_wait_and_cleans_up)
{
    ts_e2e_vtrun(&E, 120, "--config", "examples/migrate.cfg", "--only", "there.precopy",
             "--set", "test_timeout = 3", "--set", MIG_SLOW);
    ck_assert_msg(E.status == 1, "exit %d\n%s\n%s", E.status, E.out, E.err);
    char *job = ts_job_dir(&E);
    json_t *r = assert_interrupted(job, "test_timeout of 3 s");
    double t = json_number_value(json_object_get(json_array_get(json_object_get(r, "tests"),
                                                                0), "time"));
    ck_assert_msg(t < 15, "a 3 s test_timeout ended after %.1f s", t);
    ck_assert_msg(ts_debug_log_has(&E, "cleanup"), "cleanup did not run");
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(job);
}
END_TEST

/* SIGTERM (a CI job cancelled) is handled like the first SIGINT. */
START_TEST(test_sigterm_during_boot_interrupts_and_cleans_up)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/boot.cfg", "--only", "one_vm"));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, ": start domain ", 120), "no VM started");
    kill(pid, SIGTERM);
    ts_e2e_wait(&E, pid, 120);
    ck_assert_msg(E.status & 8, "exit %d\n%s\n%s", E.status, E.out, E.err);
    char *job = ts_job_dir(&E);
    json_t *r = assert_interrupted(job, "signal");
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(job);
}
END_TEST

/* Console logs of job id7 the lab's hosts keep (in their own /var/log, under the lab's
 * state directory here): vtrun writes them there when the hosts are remote. */
static char *host_logs_of(const char *id7)
{
    const char *state = getenv("VTRUN_LAB_STATE");
    struct strbuf sb = STRBUF_INIT;
    char *pat = xasprintf("%s/host*/log/libvirt/qemu/*%s*-serial.log",
                          state ? state : "/nonexistent", id7);
    glob_t g;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            strbuf_addf(&sb, "%s\n", g.gl_pathv[i]);
        globfree(&g);
    }
    free(pat);
    return strbuf_detach(&sb, NULL);
}

START_TEST(test_second_sigint_skips_cleanup_and_reports_what_is_left)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                     "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 120), "the hop never started");
    usleep(300 * 1000);
    kill(pid, SIGINT);
    /* the second one while the first is being handled (cleanup starting) */
    ts_e2e_wait_log(&E, pid, "INTERRUPTED", 30);
    kill(pid, SIGINT);
    ts_e2e_wait(&E, pid, 150);
    char *job = ts_job_dir(&E);
    json_t *r = assert_interrupted(job, "signal");
    const char *id = ts_jstr(r, "job_id");
    char id7[8];
    snprintf(id7, sizeof(id7), "%.7s", id);
    ck_assert_msg(E.status & 8, "exit %d", E.status);
    ck_assert_msg(strstr(E.out, "Cleanup was skipped"), "no word on skipped cleanup:\n%s",
                  E.out);
    /* what vtrun says is left is what the lab has */
    char *doms = ts_lab_domains(), *clones = ts_clones_of(id7), *logs = host_logs_of(id7);
    bool any = strstr(doms, id7) || *clones || *logs;
    if (any) {
        ck_assert_msg(strstr(E.out, "left behind:"), "things left but not reported:\n%s\n%s%s",
                      E.out, doms, clones);
        for (char *l = strtok(clones, "\n"); l; l = strtok(NULL, "\n"))
            ck_assert_msg(strstr(E.out, l), "clone %s left but not reported:\n%s", l, E.out);
        if (strstr(doms, id7)) {
            char *dom = xasprintf("vm1-%s-0", id7);
            ck_assert_msg(strstr(E.out, dom), "domain %s left but not reported", dom);
            free(dom);
        }
    } else {
        /* nothing left; vtrun may still list what the cleanup under way when the second
         * signal came removed before vtrun exited (a remote rm in flight) */
        ck_assert_msg(strstr(E.out, "nothing was left behind") || strstr(E.out, "left behind:"),
                      "%s", E.out);
    }
    /* the printed removal hints work (they are for the user's shell, so a shell runs
     * them); then a scrub of the lab in case they did not, to keep the lab usable */
    size_t hints = 0;
    for (const char *l = E.out; (l = strstr(l, "      remove: ")); hints++) {
        l += strlen("      remove: ");
        char *cmd = xstrndup(l, strcspn(l, "\n"));
        char *argv[] = { "sh", "-c", cmd, NULL };
        ck_assert_msg(ts_run_files(argv, NULL, NULL, 60) == 0, "hint failed: %s", cmd);
        free(cmd);
    }
    free(doms);
    free(clones);
    free(logs);
    doms = ts_lab_domains();
    clones = ts_clones_of(id7);
    logs = host_logs_of(id7);
    char *after_hints = xasprintf("%s%s%s", strstr(doms, id7) ? doms : "", clones, logs);
    ts_lab_scrub(id7);
    for (char *l = strtok(clones, "\n"); l; l = strtok(NULL, "\n"))
        unlink(l);
    for (int i = 0; i < 100; i++) {     /* QEMU exits shortly after destroy */
        char *q = ts_qemu_of(id7);
        bool none = !*q;
        free(q);
        if (none)
            break;
        usleep(100 * 1000);
    }
    ts_assert_nothing_left(id);
    ck_assert_msg(!*after_hints, "left after running the %zu removal hints:\n%s", hints,
                  after_hints);
    free(after_hints);
    free(doms);
    free(clones);
    free(logs);
    json_decref(r);
    free(job);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runner-signals");
    TCase *tc = tcase_create("stopping-jobs");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 200);
    tcase_add_test(tc, test_sigint_during_a_hop_interrupts_cleans_up_and_writes_results);
    tcase_add_test(tc, test_ctrl_c_to_the_process_group_during_a_hop_still_cleans_up_the_hosts);
    tcase_add_test(tc, test_test_timeout_interrupts_a_slow_hop_and_cleans_up);
    tcase_add_test(tc, test_short_test_timeout_interrupts_the_login_wait_and_cleans_up);
    tcase_add_test(tc, test_sigterm_during_boot_interrupts_and_cleans_up);
    tcase_add_test(tc, test_second_sigint_skips_cleanup_and_reports_what_is_left);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
