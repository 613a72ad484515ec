/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Faults between jobs on the lab (issue 15, points 1, 2 and 5): a vtrun SIGKILLed
 * mid-hop, then a new job (also with stress on the hosts, and with the qemu backend);
 * two vtrun jobs at once naming the same clone; a file of the user at a config-named
 * clone path; the results disk filling up during a job.  Each asserts status, exit
 * bits, that nothing is
 * left behind (domains on every host, QEMU processes, clones, ledgers) and valid
 * results.  The jobs share one runtime directory of the test's own
 * ($VTRUN_RUNTIME_DIR: ledgers, address slots), so other jobs on the machine are
 * neither reaped nor waited for.  Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set).
 */

#include "tests/support.h"

#include <check.h>
#include <dirent.h>
#include <libgen.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

/* A 1 MiB/s migration of a 128 MiB guest: a hop that lasts long enough to hit. */
#define MIG_SLOW "migrate_options = --live --p2p --persistent --undefinesource " \
                 "--bandwidth 1"

static struct ts_e2e E;
static char *runtime;

static void setup(void)
{
    ts_e2e_init(&E);
    runtime = xasprintf("%s/run", E.dir);
    setenv("VTRUN_RUNTIME_DIR", runtime, 1);
}

static void teardown(void)
{
    unsetenv("VTRUN_RUNTIME_DIR");
    free(runtime);
    ts_e2e_free(&E);
}

/* The lab's shared directory (where a config-named clone lands: beside the master). */
static char *shared_dir(void)
{
    struct run_settings s;
    ts_lab(&s);
    const char *img = params_get(s.params, "image_name");
    ck_assert_ptr_nonnull(img);
    char *dir = xstrdup(img);
    *strrchr(dir, '/') = '\0';
    run_settings_free(&s);
    return dir;
}

/* The ledgers left in the test's runtime directory: "" when none. */
static char *ledgers(void)
{
    struct strbuf sb = STRBUF_INIT;
    char *dir = xasprintf("%s/ledger", runtime);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            strbuf_addf(&sb, "%s ", e->d_name);
    if (d)
        closedir(d);
    free(dir);
    return strbuf_detach(&sb, NULL);
}

static void assert_no_ledger(void)
{
    char *l = ledgers();
    ck_assert_msg(!*l, "ledgers left: %s", l);
    free(l);
}

/* The id7 of the running job: the end of its directory's name. */
static char *running_id7(void)
{
    char *job = ts_job_dir(&E);
    ck_assert_msg(job != NULL, "no job directory yet");
    const char *base = basename(job);
    char *id7 = xstrdup(base + strlen(base) - 7);
    free(job);
    return id7;
}

/* vtrun killed with SIGKILL mid-hop leaves its guest running (and its clone) with its
 * ledger; the next job removes both, says so on stdout and in job.log, and then tests
 * its own guest: built to fail (an e1000 NIC the guest has no driver for, a short
 * login_timeout), it FAILs, where a login into the leftover at the same address
 * would have passed. */
START_TEST(test_sigkilled_job_is_reaped_and_the_next_tests_its_own_guest)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 120), "the hop never started");
    char *id7 = running_id7();
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ts_e2e_wait(&E, pid, 30);
    char *doms = ts_lab_domains();
    ck_assert_msg(strstr(doms, id7), "the killed job left no domain to reap:\n%s", doms);
    free(doms);
    char *l = ledgers();
    ck_assert_msg(strstr(l, id7) || *l, "the killed job left no ledger");
    free(l);

    ts_e2e_vtrun(&E, 120, "--config", "examples/boot.cfg", "--only", "one_vm",
                 "--set", "nic_model = e1000", "--set", "login_timeout = 8");
    char *dom = xasprintf("left domain vm1-%s-0 on ", id7);
    ck_assert_msg(strstr(E.out, "LEFTOVER") && strstr(E.out, dom) && strstr(E.out, ": removed"),
                  "the leftover domain not said removed on stdout:\n%s\n%s", E.out, E.err);
    ck_assert_msg(strstr(E.out, "left clone "), "the leftover clone not said:\n%s", E.out);
    ck_assert_msg(!strstr(E.out, "NOT removed"), "a leftover stayed:\n%s", E.out);
    free(dom);
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "FAIL"), "status %s (%s): the new job did "
                  "not test its own guest\n%s", ts_jstr(t, "status"),
                  ts_jstr(t, "fail_reason"), E.out);
    ck_assert_msg(strstr(ts_jstr(t, "fail_reason"), "login"), "reason: %s",
                  ts_jstr(t, "fail_reason"));
    ck_assert_int_eq(E.status, 1);
    char *job = ts_job_dir(&E);
    char *jl = xasprintf("%s/job.log", job);
    char *log = ts_read(jl);
    ck_assert_msg(strstr(log, "leftover:") && strstr(log, id7), "job.log says no leftover");
    free(log);
    free(jl);
    ts_assert_junit(job);
    ts_assert_no_password(job);
    free(job);
    ts_assert_nothing_left(id7);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    assert_no_ledger();
    json_decref(r);
    free(id7);
}
END_TEST

/* A guest that holds the address a job would give its own, and that no ledger of the
 * job's machine knows (a vtrun of another machine, one with another runtime
 * directory, a static address on the LAN): the job's test is an ERROR naming the
 * address, its guest is never started, the stranger is not touched. */
START_TEST(test_address_held_by_a_stranger_is_an_error_naming_it)
{
    char *other = xasprintf("%s/other-run", E.dir);
    setenv("VTRUN_RUNTIME_DIR", other, 1);
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/migrate.cfg", "--only",
                                         "there.precopy", "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 120), "the hop never started");
    char *id7 = running_id7();
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ts_e2e_wait(&E, pid, 30);
    setenv("VTRUN_RUNTIME_DIR", runtime, 1);

    ts_e2e_vtrun(&E, 60, "--config", "examples/boot.cfg", "--only", "one_vm");
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    const char *why = ts_jstr(t, "fail_reason");
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "ERROR"), "status %s (%s)",
                  ts_jstr(t, "status"), why);
    ck_assert_msg(why && strstr(why, "VMAddressError") && strstr(why, ".10 answers before"),
                  "reason: %s", why);
    ck_assert_msg(E.status & 1, "exit %d", E.status);
    ck_assert_msg(!strstr(E.out, "LEFTOVER"), "another machine's guest was reaped:\n%s", E.out);
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    free(job);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    assert_no_ledger();
    json_decref(r);
    char *doms = ts_lab_domains();
    ck_assert_msg(strstr(doms, id7), "the stranger's domain was touched:\n%s", doms);
    free(doms);

    /* its own machine's next job reaps it (a case that starts nothing) */
    setenv("VTRUN_RUNTIME_DIR", other, 1);
    ts_e2e_vtrun(&E, 60, "--config", "examples/boot.cfg", "--only", "one_vm",
                 "--set", "type = no_such_type");
    setenv("VTRUN_RUNTIME_DIR", runtime, 1);
    ck_assert_msg(strstr(E.out, "LEFTOVER") && !strstr(E.out, "NOT removed"),
                  "not reaped:\n%s\n%s", E.out, E.err);
    ts_assert_nothing_left(id7);
    free(id7);
    free(other);
}
END_TEST

/* A file of the user's where the config names the clone: an ERROR naming it, before
 * any domain exists, and the file is not touched. */
START_TEST(test_existing_file_at_a_config_named_clone_is_an_error_and_kept)
{
    char *dir = shared_dir();
    char *name = xasprintf("ledger-user-%d.qcow2", (int)getpid());
    char *path = xasprintf("%s/%s", dir, name);
    ts_write(path, "the user's own file\n");
    char *set = xasprintf("image_name_vm1 = %.*s", (int)(strlen(name) - 6), name);
    ts_e2e_vtrun(&E, 60, "--config", "examples/boot.cfg", "--only", "one_vm", "--set", set);
    json_t *r;
    json_t *t = ts_only_test(&E, &r);
    const char *why = ts_jstr(t, "fail_reason");
    ck_assert_msg(!strcmp(ts_jstr(t, "status"), "ERROR"), "status %s (%s)",
                  ts_jstr(t, "status"), why);
    ck_assert_msg(why && strstr(why, path) && strstr(why, "not created by this job"),
                  "reason: %s", why);
    ck_assert_msg(E.status & 1, "exit %d", E.status);
    char *text = ts_read(path);
    ck_assert_str_eq(text, "the user's own file\n");
    free(text);
    ck_assert_msg(!ts_debug_log_has(&E, "define domain"), "a domain was defined");
    char *job = ts_job_dir(&E);
    ts_assert_junit(job);
    free(job);
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    assert_no_ledger();
    json_decref(r);
    unlink(path);
    free(set);
    free(path);
    free(name);
    free(dir);
}
END_TEST

/* Two jobs at once, the same config-named clone: each PASSes, or ERRORs naming the
 * clone the other holds; an ERRORed job removes nothing; at least one PASSes; no
 * file is left at the path. */
START_TEST(test_two_jobs_naming_one_clone_never_remove_each_others)
{
    char *dir = shared_dir();
    char *name = xasprintf("ledger-both-%d", (int)getpid());
    char *path = xasprintf("%s/%s.qcow2", dir, name);
    char *set = xasprintf("image_name_vm1 = %s", name);
    struct ts_e2e F;
    ts_e2e_init(&F);
    pid_t a = ts_e2e_start(&E, TS_ARGS("--config", "examples/boot.cfg", "--only", "one_vm",
                                       "--set", set));
    pid_t b = ts_e2e_start(&F, TS_ARGS("--config", "examples/boot.cfg", "--only", "one_vm",
                                       "--set", set));
    ts_e2e_wait(&E, a, 120);
    ts_e2e_wait(&F, b, 120);
    unsigned passed = 0;
    struct ts_e2e *both[] = { &E, &F };
    for (int k = 0; k < 2; k++) {
        json_t *r;
        json_t *t = ts_only_test(both[k], &r);
        const char *st = ts_jstr(t, "status"), *why = ts_jstr(t, "fail_reason");
        if (!strcmp(st, "PASS")) {
            passed++;
            ck_assert_int_eq(both[k]->status, 0);
        } else {
            ck_assert_msg(!strcmp(st, "ERROR") && why && strstr(why, path) &&
                          strstr(why, "in use by running job"),
                          "job %d: %s (%s)\n%s", k, st, why, both[k]->out);
            ck_assert_msg(both[k]->status & 1, "exit %d", both[k]->status);
            ck_assert_msg(!ts_debug_log_has(both[k], "Removing clone"),
                          "the job that ERRORed removed a clone");
        }
        char *job = ts_job_dir(both[k]);
        ts_assert_junit(job);
        free(job);
        ts_assert_nothing_left(ts_jstr(r, "job_id"));
        json_decref(r);
    }
    ck_assert_uint_ge(passed, 1);
    ck_assert_msg(!ts_exists(path), "%s left behind", path);
    assert_no_ledger();
    ts_e2e_free(&F);
    free(set);
    free(path);
    free(name);
    free(dir);
}
END_TEST

/* The next job after a SIGKILLed one, built to end at once (an ERROR before anything
 * is made): it reaps; its stdout. */
static void run_next_job(void)
{
    ts_e2e_vtrun(&E, 120, "--config", "tests/e2e/migrate_stress.cfg", "--only", "orderly",
                 "--set", "vms = \"vm1 x;id;\"");
    ck_assert_msg(!strstr(E.out, "NOT removed"), "a leftover stayed:\n%s", E.out);
}

/* Stress on both hosts over SSH (setsid'd there: it outlives vtrun) and vtrun
 * SIGKILLed: the next job stops it through the ledger, says so, and none is left. */
START_TEST(test_sigkilled_jobs_stress_on_hosts_is_stopped_by_the_next_job)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "tests/e2e/migrate_stress.cfg",
                                         "--only", "stress_on_hosts"));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "stress on host host2: started", 150),
                  "stress never started on host2");
    char *id7 = running_id7();
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ts_e2e_wait(&E, pid, 30);
    ck_assert_msg(ts_count_procs("--timeout 417") > 0, "no stress outlived vtrun");
    run_next_job();
    ck_assert_msg(strstr(E.out, "left process host0-") && strstr(E.out, "left process host1-"),
                  "the stress of both hosts not said:\n%s", E.out);
    ck_assert_int_eq(ts_count_procs("--timeout 417"), 0);
    ts_assert_nothing_left(id7);
    assert_no_ledger();
    free(id7);
}
END_TEST

/* The qemu backend's QEMUs are ledger entries too (named by their -pidfile): with
 * vtrun SIGKILLed mid-hop they die with it (PR_SET_PDEATHSIG); the next job finds
 * the entries, kills whatever still runs with that pidfile argument, removes the run
 * directories, and nothing is left. */
START_TEST(test_sigkilled_qemu_backend_job_is_reaped_by_the_next_job)
{
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--backend", "qemu", "--config",
                                         "examples/migrate.cfg", "--only", "there.precopy",
                                         "--set", MIG_SLOW));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "hop 1: vm1 from", 120), "the hop never started");
    char *id7 = running_id7();
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ts_e2e_wait(&E, pid, 30);
    char *l = ledgers();
    ck_assert_msg(*l, "the killed job left no ledger");
    free(l);
    run_next_job();
    char *pidfile = xasprintf("left process %s/qemu/%s-", runtime, id7);
    ck_assert_msg(strstr(E.out, pidfile) && strstr(E.out, ".pid on this machine: removed"),
                  "its QEMU not said:\n%s", E.out);
    free(pidfile);
    ts_assert_nothing_left(id7);
    char *top = xasprintf("%s/qemu", runtime);
    DIR *d = opendir(top);
    for (struct dirent *de; d && (de = readdir(d));)
        ck_assert_msg(de->d_name[0] == '.', "run directory %s/%s left", top, de->d_name);
    if (d)
        closedir(d);
    free(top);
    assert_no_ledger();
    free(id7);
}
END_TEST

/* ---- a full results disk ---------------------------------------------------------- */

static bool results_mounted;

static void disk_teardown(void)
{
    if (results_mounted)
        umount2(E.results, MNT_DETACH);
    results_mounted = false;
    teardown();
}

/* Fill the file system of dir to its last byte: one file, allocated. */
static void fill(const char *dir)
{
    struct statvfs sv;
    char *path = xasprintf("%s/filler", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstatvfs(fd, &sv), 0);
    off_t left = (off_t)sv.f_bavail * (off_t)sv.f_frsize;
    /* what tmpfs still gives, a block at a time at the end */
    while (left > 0 && posix_fallocate(fd, 0, left) != 0)
        left -= (off_t)sv.f_frsize;
    ck_assert_int_eq(fstatvfs(fd, &sv), 0);
    ck_assert_uint_eq(sv.f_bavail, 0);
    close(fd);
    free(path);
}

/* The results disk fills up while a test runs: the test's guest is still cleaned up,
 * and the job says its results could not be written and exits with the job-error
 * bit, not 0 (the test itself may pass). */
START_TEST(test_results_disk_full_mid_job_is_a_job_error)
{
    ck_assert_int_eq(mkdir(E.results, 0755), 0);
    ck_assert_msg(mount("vtrun-e2e-full", E.results, "tmpfs", MS_NOSUID | MS_NODEV,
                        "size=8m,mode=0755") == 0, "mount tmpfs on %s: %s", E.results,
                  strerror(errno));
    results_mounted = true;
    pid_t pid = ts_e2e_start(&E, TS_ARGS("--config", "examples/boot.cfg", "--only",
                                         "one_vm"));
    ck_assert_msg(ts_e2e_wait_log(&E, pid, "Waiting for login", 120),
                  "the guest never started");
    char *id7 = running_id7();
    fill(E.results);
    ts_e2e_wait(&E, pid, 180);
    ck_assert_msg(E.status & 2, "exit %d without the job-error bit on a full results "
                  "disk:\n%s\n%s", E.status, E.out, E.err);
    ck_assert_msg(!(E.status & 4), "vtrun crashed (exit %d):\n%s", E.status, E.err);
    ck_assert_msg(strstr(E.out, "WRITE ERROR") || strstr(E.err, "WRITE ERROR"),
                  "the job did not say its results could not be written:\n%s\n%s", E.out,
                  E.err);
    ts_assert_nothing_left(id7);
    assert_no_ledger();
    free(id7);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults_jobs");
    TCase *tc = tcase_create("jobs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_existing_file_at_a_config_named_clone_is_an_error_and_kept);
    tcase_add_test(tc, test_two_jobs_naming_one_clone_never_remove_each_others);
    tcase_add_test(tc, test_sigkilled_job_is_reaped_and_the_next_tests_its_own_guest);
    tcase_add_test(tc, test_address_held_by_a_stranger_is_an_error_naming_it);
    suite_add_tcase(s, tc);
    /* the results disk: a tmpfs of the test's own on the results directory */
    tc = tcase_create("disk");
    tcase_add_checked_fixture(tc, setup, disk_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_results_disk_full_mid_job_is_a_job_error);
    suite_add_tcase(s, tc);
    /* processes a killed job left: QEMUs of the qemu backend, stress on hosts */
    tc = tcase_create("processes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sigkilled_jobs_stress_on_hosts_is_stopped_by_the_next_job);
    tcase_add_test(tc, test_sigkilled_qemu_backend_job_is_reaped_by_the_next_job);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
