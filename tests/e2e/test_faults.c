/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Faults on the lab, with real VMs (issue 15's fault suite, the part built so far): a
 * QEMU killed mid-hop on the destination or on the source (the source also with the
 * qemu backend, which has a plain passing hop too), a hostile VM name, stress
 * arguments the tool refuses.  Each asserts the test's status and reason, the exit
 * bits, valid results and that nothing is left behind (domains on every host, QEMU
 * processes, clones).  Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set), from the top
 * of the repository.
 */

#include "tests/support.h"

#include <check.h>
#include <dirent.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* A 1 MiB/s migration of a 128 MiB guest: a hop that lasts long enough to hit. */
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

/* The job id's first 7 characters: the end of the running job's directory name
 * (results/res_job.c: job-STAMP-ID7). */
static char *running_id7(void)
{
    char *job = ts_job_dir(&E);
    ck_assert_msg(job != NULL, "no job directory yet");
    const char *base = basename(job);
    size_t n = strlen(base);
    ck_assert_uint_gt(n, 7);
    char *id7 = xstrdup(base + n - 7);
    free(job);
    return id7;
}

/* The pid of job id7's QEMU that is the destination of a migration (its command line
 * has -incoming) or the source (it has not), 0 when there is none. */
static pid_t qemu_pid(const char *id7, bool destination)
{
    struct strbuf procs = STRBUF_INIT;
    ts_procs("qemu-system", id7, &procs);
    pid_t found = 0;
    for (const char *p = procs.buf; !found && (p = strstr(p, "pid ")); p++) {
        pid_t pid = (pid_t)atol(p + 4);
        char path[64], buf[16384];
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        if ((memmem(buf, n, "-incoming", 9) != NULL) == destination)
            found = pid;
    }
    strbuf_release(&procs);
    return found;
}

/* Once the migration job runs (the destination QEMU exists, waiting for the stream),
 * SIGKILL the destination's QEMU or the source's. */
static void kill_qemu_mid_hop(const char *id7, bool destination)
{
    pid_t victim = 0;
    for (double end = ts_now() + 60; !qemu_pid(id7, true) && ts_now() < end;)
        usleep(100 * 1000);
    ck_assert_msg(qemu_pid(id7, true) > 0, "no incoming QEMU of job %s within 60 s", id7);
    usleep(500 * 1000);     /* the stream is flowing */
    victim = qemu_pid(id7, destination);
    ck_assert_msg(victim > 0, "no %s QEMU of job %s", destination ? "destination" : "source",
                  id7);
    ck_assert_int_eq(kill(victim, SIGKILL), 0);
}

/* The one test of the latest job ended STATUS (one of "FAIL ERROR") with a reason
 * holding WHY; the job exit status had the test-failed bit; results valid; nothing of
 * the job left.  Returns nothing: the test fails otherwise. */
static void assert_ended(const char *statuses, const char *why)
{
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    const char *st = ts_jstr(t, "status"), *reason = ts_jstr(t, "fail_reason");
    ck_assert_msg(strstr(statuses, st), "status %s, expected one of %s (%s)\n%s", st,
                  statuses, reason, E.out);
    ck_assert_msg(reason && strstr(reason, why), "reason '%s' does not say '%s'", reason,
                  why);
    ck_assert_msg(E.status & 1, "exit %d has no test-failed bit\n%s\n%s", E.status, E.out,
                  E.err);
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    ts_assert_no_password(job);
    free(job);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}

/* Killed where it runs next, the hop fails with libvirt's reason; the source guest is
 * cleaned up with everything else. */
START_TEST(test_destination_qemu_killed_mid_hop_fails_the_hop_and_cleans_up)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 150), "the hop never started");
    char *id7 = running_id7();
    kill_qemu_mid_hop(id7, true);
    ts_e2e_wait(&E, pid, 180);
    assert_ended("FAIL ERROR", "migration");
    free(id7);
}
END_TEST

START_TEST(test_source_qemu_killed_mid_hop_fails_the_hop_and_cleans_up)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 150), "the hop never started");
    char *id7 = running_id7();
    kill_qemu_mid_hop(id7, false);
    ts_e2e_wait(&E, pid, 180);
    assert_ended("FAIL ERROR", "migration");
    free(id7);
}
END_TEST

/* The libvirtd of lab host i (1-based): the one whose network namespace is the
 * host's.  0 when there is none. */
static pid_t host_libvirtd(int i)
{
    char *ns = ts_lab_host_netns(getenv("VTRUN_SETTINGS"), i);
    char *path = xasprintf("/run/netns/%s", ns);
    struct stat want;
    pid_t found = 0;
    ck_assert_msg(stat(path, &want) == 0, "no %s", path);
    DIR *d = opendir("/proc");
    for (struct dirent *de; !found && d && (de = readdir(d));) {
        char comm[64] = "", file[300];
        struct stat have;
        snprintf(file, sizeof(file), "/proc/%s/comm", de->d_name);
        FILE *f = fopen(file, "r");
        if (!f)
            continue;
        if (!fgets(comm, sizeof(comm), f))
            comm[0] = 0;
        fclose(f);
        snprintf(file, sizeof(file), "/proc/%s/ns/net", de->d_name);
        if (!strcmp(comm, "libvirtd\n") && stat(file, &have) == 0 &&
            have.st_ino == want.st_ino && have.st_dev == want.st_dev)
            found = (pid_t)atol(de->d_name);
    }
    if (d)
        closedir(d);
    free(path);
    free(ns);
    return found;
}

/* `systemctl ACTION libvirtd` on lab host i (1-based), over SSH as on a real host
 * (tests/lab/host-systemctl); its exit status. */
static int host_systemctl(int i, const char *action)
{
    struct run_settings s;
    ts_lab(&s);
    ck_assert_msg(s.nhosts >= (size_t)i, "the lab has %zu hosts", s.nhosts);
    const struct run_host *h = &s.hosts[i - 1];
    char *known = xasprintf("UserKnownHostsFile=%s", h->ssh_known_hosts_file);
    char *dest = xasprintf("root@%s", h->address);
    struct strbuf out = STRBUF_INIT;
    int st = ts_run(TS_ARGS("ssh", "-i", h->ssh_key, "-o", known, "-o", "BatchMode=yes",
                            "-o", "ConnectTimeout=10", dest, "systemctl", action,
                            "libvirtd"), &out, 60);
    ck_assert_msg(st == 0, "systemctl %s libvirtd on host %d: status %d: %s", action, i, st,
                  out.buf);
    strbuf_release(&out);
    free(dest);
    free(known);
    run_settings_free(&s);
    return st;
}

/* The job's domains are gone from every host within timeout_s (a daemon that comes
 * back may still be finishing an aborted incoming migration). */
static void wait_domains_gone(const char *id7, double timeout_s)
{
    for (double end = ts_now() + timeout_s; ts_now() < end; usleep(500 * 1000)) {
        char *q = ts_qemu_of(id7), *dom = ts_lab_domains();
        bool gone = !*q && !strstr(dom, id7);
        free(q);
        free(dom);
        if (gone)
            return;
    }
}

/* The destination's libvirtd SIGKILLed mid-hop and started again a second later: the
 * hop fails on the lost connection, which is the lab's failure (ERROR, not FAIL);
 * cleanup reopens the connection to the restarted daemon and removes everything. */
START_TEST(test_destination_daemon_killed_mid_hop_is_an_error_and_cleaned)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 150), "the hop never started");
    char *id7 = running_id7();
    for (double end = ts_now() + 60; !qemu_pid(id7, true) && ts_now() < end;)
        usleep(100 * 1000);
    ck_assert_msg(qemu_pid(id7, true) > 0, "no incoming QEMU of job %s", id7);
    usleep(500 * 1000);
    pid_t daemon = host_libvirtd(2);
    ck_assert_msg(daemon > 0, "no libvirtd of lab host 2");
    ck_assert_int_eq(kill(daemon, SIGKILL), 0);
    usleep(1000 * 1000);
    host_systemctl(2, "start");
    ts_e2e_wait(&E, pid, 180);
    wait_domains_gone(id7, 30);
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    ck_assert_msg(!strcmp(ts_jstr(t, "fail_class"), "ConnectionLost"), "class %s (%s)",
                  ts_jstr(t, "fail_class"), ts_jstr(t, "fail_reason"));
    json_decref(r);
    assert_ended("ERROR", "migration");
    free(id7);
}
END_TEST

/* The destination's daemon restarted right after the hop completed, while vtrun was
 * held (SIGSTOP) so that everything it does on that host afterwards (post-checks,
 * evidence, cleanup) meets a connection the daemon closed: it comes back, the test
 * PASSes as it should (the guest never noticed) and nothing is left. */
START_TEST(test_destination_daemon_restarted_after_the_hop_is_reconnected)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy"));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "HOP vm1 #1", 200), "the hop never ended");
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    char *id7 = running_id7();
    host_systemctl(2, "restart");
    ck_assert_int_eq(kill(pid, SIGCONT), 0);
    ts_e2e_wait(&E, pid, 180);
    /* a vtrun that died (no results) says why here, not as "0 tests" */
    ck_assert_msg(!(E.status & 4) && E.status >= 0, "vtrun exit %d\n%s\n%s", E.status,
                  E.out, E.err);
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "PASS"), "status %s (%s)\n%s",
                  ts_jstr(t, "status"), ts_jstr(t, "fail_reason"), E.out);
    ck_assert_msg(E.status == 0, "exit %d", E.status);
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    free(job);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(id7);
}
END_TEST

/* The destination's daemon killed right after the hop (vtrun held meanwhile) and not
 * back before vtrun ends: post-checks that cannot reach the host are an ERROR
 * (ConnectionLost), not a FAIL of the guest; the guest's QEMU outlives its daemon, so
 * the job truly
 * leaves a domain behind.  The test is ERROR "left behind: domain ... on host2, its
 * disk ..." (never PASS or a quiet FAIL), the exit status says so, and the disk is kept
 * under the running domain.  Once the daemon runs again the lab is scrubbed by hand. */
START_TEST(test_unreachable_leftover_is_an_error_naming_it)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy"));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "HOP vm1 #1", 200), "the hop never ended");
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    char *id7 = running_id7();
    pid_t daemon = host_libvirtd(2);
    ck_assert_msg(daemon > 0, "no libvirtd of lab host 2");
    ck_assert_int_eq(kill(daemon, SIGKILL), 0);
    ck_assert_int_eq(kill(pid, SIGCONT), 0);
    int rc = ts_e2e_wait(&E, pid, 150);
    host_systemctl(2, "start");
    (void)rc;
    /* the lab first, whatever the assertions say: the domain, and its disk (kept on
     * purpose) */
    ts_lab_scrub(id7);
    wait_domains_gone(id7, 30);
    char *clones = ts_clones_of(id7);
    bool disk_kept = *clones != '\0';
    for (char *l = clones, *nl; l && *l; l = nl ? nl + 1 : NULL) {
        nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        unlink(l);
    }
    free(clones);
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    const char *reason = ts_jstr(t, "fail_reason");
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "ERROR"), "status %s (%s)",
                  ts_jstr(t, "status"), reason);
    /* what the test was before stays in the reason, if it was anything but PASS: the
     * post-checks' one libvirt call may come before the kill */
    ck_assert_msg(strstr(reason, "left behind: domain ") && strstr(reason, " on host2") &&
                  strstr(reason, ", its disk ") &&
                  (!strstr(reason, "(the test was ") ||
                   strstr(reason, "(the test was ERROR: ")), "reason: %s", reason);
    ck_assert_msg(disk_kept, "the running domain's disk was removed under it");
    ck_assert_msg(E.status & 1, "exit %d", E.status);
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    free(job);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(id7);
}
END_TEST

/* A destination daemon that stops answering (SIGSTOP) mid-hop: test_timeout still
 * ends the test INTERRUPTED at its deadline (the blocked migration call is aborted,
 * then abandoned), cleanup runs within its own bound; the daemon runs again once the
 * test is interrupted, cleanup's calls reopen their connection (keepalive closed it)
 * and nothing of the job is left: the test stays INTERRUPTED. */
START_TEST(test_stopped_destination_daemon_is_bounded_by_test_timeout)
{
    pid_t daemon = host_libvirtd(2);
    ck_assert_msg(daemon > 0, "no libvirtd of lab host 2");
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy", "--set", MIG_SLOW,
                                         "--set", "test_timeout = 30"));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 150), "the hop never started");
    char *id7 = running_id7();
    for (double end = ts_now() + 60; !qemu_pid(id7, true) && ts_now() < end;)
        usleep(100 * 1000);
    /* whatever happens to this test, the lab's daemon runs again within 150 s */
    pid_t guard = fork();
    if (guard == 0) {
        sleep(150);
        kill(daemon, SIGCONT);
        _exit(0);
    }
    ck_assert_int_eq(kill(daemon, SIGSTOP), 0);
    double t0 = ts_now();
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "INTERRUPTED:", 90), "not interrupted");
    kill(daemon, SIGCONT);
    /* at most: what is left of the 30 s, the abandon grace and the cleanup's bounds */
    int rc = ts_e2e_wait(&E, pid, 120);
    double dt = ts_now() - t0;
    kill(daemon, SIGCONT);
    kill(guard, SIGKILL);
    waitpid(guard, NULL, 0);
    (void)rc;
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "INTERRUPTED"), "status %s (%s)",
                  ts_jstr(t, "status"), ts_jstr(t, "fail_reason"));
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "test_timeout"), "reason %s",
                  ts_jstr(t, "fail_reason"));
    ck_assert_msg(dt < 90, "vtrun took %.1f s after the daemon stopped", dt);
    ck_assert_msg(E.status & 1, "exit %d", E.status);
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    free(job);
    /* libvirt finishes the aborted incoming side once its daemon runs again */
    for (double end = ts_now() + 30; ts_now() < end; usleep(500 * 1000)) {
        char *q = ts_qemu_of(id7), *dom = ts_lab_domains();
        bool gone = !*q && !strstr(dom, id7);
        free(q);
        free(dom);
        if (gone)
            break;
    }
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(id7);
}
END_TEST

/* `vms = "vm1 x;id;"`: an ERROR naming the param before anything exists, so no
 * command could run anywhere with it. */
START_TEST(test_hostile_vm_name_is_an_error_before_anything_starts)
{
    ts_e2e_vtrun(&E, 120, "--config", "tests/e2e/migrate_stress.cfg", "--only", "orderly",
                 "--set", "vms = \"vm1 x;id;\"");
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    ck_assert_str_eq(ts_jstr(t, "status"), "ERROR");
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "VM name 'x;id;'"), "reason: %s",
                  ts_jstr(t, "fail_reason"));
    ck_assert_msg(!ts_debug_log_has(&E, "define domain"), "a domain was defined");
    ck_assert_msg(E.status & 1, "exit %d", E.status);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

/* Stress the tool refuses: the case fails with the tool's own words. */
START_TEST(test_bad_stress_args_fail_with_the_tools_message)
{
    ts_e2e_vtrun(&E, 240, "--config", "tests/e2e/migrate_stress.cfg", "--only",
                 "stress_in_guests", "--set", "stress_args = --vm-bogus 1 --timeout 417");
    assert_ended("FAIL ERROR", "unrecognized option");
    ck_assert_int_eq(ts_count_procs("--timeout 417"), 0);
}
END_TEST

/* ---- the qemu backend: QEMU started by vtrun on this machine ------------------------ */

/* Nothing of job id7's qemu backend is left on this machine: no run directory
 * (<runtime>/qemu/<id7>-...: QMP sockets, pidfiles), no ledger, no tap on the bridge
 * of vtrun's namespace (the lab's netdst) but the lab's uplink. */
static void assert_no_qemu_runtime_left(const char *job_id)
{
    const char *rt = getenv("VTRUN_RUNTIME_DIR");
    char *top = xasprintf("%s/qemu", rt && *rt ? rt : "/run/vtrun");
    char *ledger = xasprintf("%s/ledger/%s", rt && *rt ? rt : "/run/vtrun", job_id);
    DIR *d = opendir(top);
    for (struct dirent *de; d && (de = readdir(d));)
        ck_assert_msg(strncmp(de->d_name, job_id, 7), "run directory %s/%s left", top,
                      de->d_name);
    if (d)
        closedir(d);
    ck_assert_msg(access(ledger, F_OK) < 0, "ledger %s left", ledger);
    struct run_settings s;
    ts_lab(&s);
    const char *br = params_get(s.params, "netdst");
    ck_assert_msg(br != NULL, "lab settings have no netdst");
    struct strbuf out = STRBUF_INIT;
    ck_assert_int_eq(ts_run(TS_ARGS("ip", "-o", "link", "show", "master", br), &out, 30), 0);
    ck_assert_msg(!strstr(out.buf, "vtrtap"), "taps left on %s:\n%s", br, out.buf);
    strbuf_release(&out);
    run_settings_free(&s);
    free(ledger);
    free(top);
}

/* The qemu backend on the lab: the guest's NIC is a tap on the bridge of vtrun's own
 * namespace, at its lab address; a plain hop PASSes and leaves nothing. */
START_TEST(test_qemu_backend_hop_passes_and_leaves_nothing)
{
    ts_e2e_vtrun(&E, 240, "--backend", "qemu", "--config", "examples/migrate.cfg", "--only",
                 "there.precopy");
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "PASS"), "status %s (%s)\n%s",
                  ts_jstr(t, "status"), ts_jstr(t, "fail_reason"), E.out);
    ck_assert_msg(E.status == 0, "exit %d", E.status);
    ck_assert_msg(ts_debug_log_has(&E, "HOP vm1 #1 local-a -> local-b: ok"), "no hop");
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    free(job);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    assert_no_qemu_runtime_left(ts_jstr(r, "job_id"));
    json_decref(r);
}
END_TEST

/* The source QEMU SIGKILLed mid-hop, qemu backend: FAIL saying so (not a closed
 * socket, not vtrun dying of SIGPIPE), the destination QEMU and the clone removed. */
START_TEST(test_qemu_backend_source_killed_mid_hop_fails_and_cleans_up)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--backend", "qemu", "--config",
                                         "examples/migrate.cfg", "--only", "there.precopy",
                                         "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 150), "the hop never started");
    char *id7 = running_id7();
    kill_qemu_mid_hop(id7, false);
    ts_e2e_wait(&E, pid, 180);
    assert_ended("FAIL", "the source QEMU ended during the migration (killed by a signal)");
    json_t *r;
    ts_only_test(&E, &r);
    assert_no_qemu_runtime_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(id7);
}
END_TEST

/* One test case per fault, named after it, so one row can be run alone
 * (CK_RUN_CASE=daemon_killed tests/e2e/run ... or the binary itself). */
static const struct {
    const char *name;
    const TTest *const *test;   /* START_TEST's pointer variable */
} faults[] = {
    { "hostile_vm_name", &test_hostile_vm_name_is_an_error_before_anything_starts },
    { "dst_qemu_killed", &test_destination_qemu_killed_mid_hop_fails_the_hop_and_cleans_up },
    { "src_qemu_killed", &test_source_qemu_killed_mid_hop_fails_the_hop_and_cleans_up },
    { "bad_stress_args", &test_bad_stress_args_fail_with_the_tools_message },
    { "daemon_stopped", &test_stopped_destination_daemon_is_bounded_by_test_timeout },
    { "daemon_killed", &test_destination_daemon_killed_mid_hop_is_an_error_and_cleaned },
    { "daemon_restarted", &test_destination_daemon_restarted_after_the_hop_is_reconnected },
    { "left_behind", &test_unreachable_leftover_is_an_error_naming_it },
    { "qemu_backend_hop", &test_qemu_backend_hop_passes_and_leaves_nothing },
    { "qemu_src_killed", &test_qemu_backend_source_killed_mid_hop_fails_and_cleans_up },
};

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
        TCase *tc = tcase_create(faults[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, *faults[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(faults_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
