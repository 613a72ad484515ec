/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vtrun jobs on the lab, with real VMs: the examples produce the full results
 * directory, the HTML report shows every hop in Chromium, --jobs 2 runs two boot
 * cases at once with distinct names, a terminal gets the live line.  Signals and
 * timeouts: tests/e2e/test_runner_signals.c.
 * Run by tests/e2e/run (VTRUN, VTRUN_SETTINGS set); from the top of the repository.
 */
#include "tests/support.h"

#include <check.h>
#include <poll.h>
#include <pty.h>
#include <stdint.h>

static struct ts_e2e E;

static void setup(void)
{
    ts_e2e_init(&E);
}

static void teardown(void)
{
    ts_e2e_free(&E);
}

static void assert_file(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    ck_assert_msg(stat(p, &st) == 0, "missing %s", p);
    ck_assert_msg(st.st_size > 0 || !strcmp(name, "known_hosts"), "empty %s", p);
    free(p);
}

static size_t glob_count(const char *pat)
{
    glob_t g;
    size_t n = 0;
    if (glob(pat, 0, NULL, &g) == 0) {
        n = g.gl_pathc;
        globfree(&g);
    }
    return n;
}

/* The whole results directory of a finished job of `n` passed tests; returns the job
 * directory and its parsed results.json in *out. */
static char *assert_full_results(size_t n, json_t **out)
{
    char *job = ts_job_dir(&E);
    ck_assert_msg(job != NULL, "no latest symlink in %s", E.results);
    const char *base = strrchr(job, '/') + 1;
    ck_assert_msg(!strncmp(base, "job-", 4) && strlen(base) == 4 + 16 + 1 + 7,
                  "job directory name %s is not job-YYYY-MM-DDTHH.MM-<id7>", base);
    for (const char *const *f = (const char *const[]){ "id", "job.log", "results.json",
                                                       "results.xml", "results.html", NULL };
         *f; f++)
        assert_file(job, *f);
    json_t *r = ts_results_json(job);
    const char *id = ts_jstr(r, "job_id");
    char *idf = xasprintf("%s/id", job), *idtext = ts_read(idf);
    ck_assert_msg(!strncmp(idtext, id, 40), "id file '%s' != job_id %s", idtext, id);
    ck_assert_msg(!strcmp(base + strlen(base) - 7, (char[8]){ id[0], id[1], id[2], id[3],
                                                             id[4], id[5], id[6], 0 }),
                  "job dir %s does not end in the id's 7 hex digits", base);
    ck_assert_int_eq(ts_jint(r, "total"), (long)n);
    ck_assert_int_eq(ts_jint(r, "pass"), (long)n);
    ck_assert_int_eq(json_array_size(json_object_get(r, "tests")), n);
    json_t *t;
    size_t i;
    json_array_foreach(json_object_get(r, "tests"), i, t) {
        ck_assert_str_eq(ts_jstr(t, "status"), "PASS");
        char *tdir = xasprintf("%s/test-results/%zu-%s", job, i + 1, ts_jstr(t, "shortname"));
        assert_file(tdir, "debug.log");
        char *pat = xasprintf("%s/serial-*.log", tdir);
        ck_assert_msg(glob_count(pat) >= 1, "no console log in %s", tdir);
        free(pat);
        pat = xasprintf("%s/*-%.7s-*.xml", tdir, id);
        ck_assert_msg(glob_count(pat) >= 1, "no domain XML in %s", tdir);
        free(pat);
        free(tdir);
    }
    ts_assert_junit(job);
    /* the closing lines, avocado's */
    ck_assert_msg(strstr(E.out, "RESULTS    : PASS "), "no RESULTS line:\n%s", E.out);
    char *res = xasprintf("RESULTS    : PASS %zu | ERROR 0 | FAIL 0 | SKIP 0 | WARN 0 | "
                          "INTERRUPT 0 | CANCEL 0\n", n);
    ck_assert_msg(strstr(E.out, res), "expected '%s' in:\n%s", res, E.out);
    ck_assert_msg(strstr(E.out, "\nJOB TIME   : "), "no JOB TIME line:\n%s", E.out);
    char *log = xasprintf("JOB LOG    : %s/job.log\n", job);
    const char *last = strstr(E.out, "JOB TIME");
    ck_assert_msg(last && strstr(last, log), "no JOB LOG line after JOB TIME:\n%s", E.out);
    free(log);
    free(res);
    free(idtext);
    free(idf);
    ts_assert_no_password(job);
    ts_assert_nothing_left(id);
    *out = r;
    return job;
}

START_TEST(test_boot_example_runs_real_vms_and_writes_full_results)
{
    ts_e2e_vtrun(&E, 170, "--config", "examples/boot.cfg");
    ck_assert_msg(E.status == 0, "exit %d\n%s\n%s", E.status, E.out, E.err);
    json_t *r;
    char *job = assert_full_results(2, &r);
    /* two_vms: one console log and one domain XML per VM */
    char *pat = xasprintf("%s/test-results/2-two_vms/serial-vm*.log", job);
    ck_assert_int_eq(glob_count(pat), 2);
    free(pat);
    json_decref(r);
    free(job);
}
END_TEST

/* chromium --headless on results.html (flags as tests/unit/test_res_chromium.c): a
 * screenshot is written and the DOM holds one hop bar per hop of results.json. */
static void assert_html_shows_hops(const char *job, size_t hops)
{
    char *url = xasprintf("file://%s/results.html", job);
    char *udd = xasprintf("--user-data-dir=%s/chromium", E.dir);
    char *shot = xasprintf("%s/shot.png", E.dir), *scr = xasprintf("--screenshot=%s", shot);
    char *dom_path = xasprintf("%s/dom.html", E.dir), *err_path = xasprintf("%s/chr.err", E.dir);
    char *argv[] = { "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", udd, "--window-size=1100,900",
                     scr, "--dump-dom", url, NULL };
    int rc = ts_run_files(argv, dom_path, err_path, 120);
    if (rc != 0) {
        char *err = ts_read(err_path);
        ck_abort_msg("chromium exited %d (%s): %.3000s", rc,
                     rc == 127 ? "not installed? apt-get install chromium" : "", err);
    }
    char *dom = ts_read(dom_path);
    ck_assert_msg(strstr(dom, "</html>") != NULL, "no DOM dumped: %.500s", dom);
    /* elements whose class list has the word "hop": exactly one per hop */
    size_t bars = ts_count(dom, "class=\"hop\"") + ts_count(dom, "class=\"hop ");
    ck_assert_msg(bars == hops, "%zu hop bars in the rendered page, %zu hops in results.json",
                  bars, hops);
    struct stat st;
    ck_assert_msg(stat(shot, &st) == 0 && st.st_size > 1000, "no screenshot %s", shot);
    unsigned char sig[8];
    FILE *f = fopen(shot, "rb");
    ck_assert(f && fread(sig, 1, 8, f) == 8);
    fclose(f);
    ck_assert_msg(!memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", shot);
    free(dom);
    free(url);
    free(udd);
    free(shot);
    free(scr);
    free(dom_path);
    free(err_path);
}

START_TEST(test_migrate_example_runs_real_migrations_and_html_shows_each_hop)
{
    ts_e2e_vtrun(&E, 170, "--config", "examples/migrate.cfg");
    ck_assert_msg(E.status == 0, "exit %d\n%s\n%s", E.status, E.out, E.err);
    json_t *r, *t;
    char *job = assert_full_results(4, &r);
    size_t i, hops = 0;
    json_array_foreach(json_object_get(r, "tests"), i, t) {
        size_t want = strstr(ts_jstr(t, "name"), "there_and_back") ? 2 : 1;
        ck_assert_int_eq(json_array_size(json_object_get(t, "hops")), want);
        hops += want;
        char *hj = xasprintf("%s/test-results/%zu-%s/hops.json", job, i + 1,
                             ts_jstr(t, "shortname"));
        json_error_t je;
        json_t *h = json_load_file(hj, 0, &je);
        ck_assert_msg(h != NULL, "%s: %s", hj, je.text);
        ck_assert_int_eq(json_array_size(json_object_get(h, "hops")), want);
        json_decref(h);
        free(hj);
    }
    ck_assert_int_eq(hops, 6);
    assert_html_shows_hops(job, hops);
    json_decref(r);
    free(job);
}
END_TEST

/* On a terminal: the live line "(i/N) name 3.0s ETA ..." redrawn in place (\r and
 * erase-line), then the plain result line. */
START_TEST(test_on_a_tty_a_live_line_shows_the_running_test)
{
    int master;
    char **argv = ts_e2e_argv(&E, TS_ARGS("--config", "examples/boot.cfg", "--only", "one_vm"),
                          true);
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    free(argv);
    struct strbuf out = STRBUF_INIT;
    double end = ts_now() + 120;
    for (;;) {
        struct pollfd pf = { .fd = master, .events = POLLIN };
        if (ts_now() > end) {
            kill(pid, SIGKILL);
            ck_abort_msg("no end on the tty:\n%s", out.buf);
        }
        if (poll(&pf, 1, 200) <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(master, buf, sizeof(buf));
        if (n <= 0)
            break;      /* EIO: the child closed the terminal */
        strbuf_add(&out, buf, (size_t)n);
    }
    int st;
    waitpid(pid, &st, 0);
    close(master);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, out.buf);
    size_t live = 0;
    static const char lead[] = "\r\033[K(1/1) one_vm ";
    for (const char *p = out.buf; (p = strstr(p, lead)); p++) {
        const char *q = p + strlen(lead);
        if (*q >= '0' && *q <= '9' && strstr(q, "s ETA ") == strpbrk(q, "s"))
            live++;
    }
    ck_assert_msg(live >= 2, "%zu live lines (one a second):\n%s", live, out.buf);
    ck_assert_msg(strstr(out.buf, "\r\033[K(1/1) one_vm: PASS ("), "no result line:\n%s",
                  out.buf);
    ck_assert_msg(strstr(out.buf, "RESULTS    : PASS 1 |"), "%s", out.buf);
    strbuf_release(&out);
}
END_TEST

/* Settings are defaults: with one host in the settings a migrate case cancels, and
 * the case's own virsh_migrate_desturi / virsh_migrate_migrateuri name the
 * destination (tp-libvirt's params win over the settings). */
START_TEST(test_case_params_name_the_destination_over_the_settings_hosts)
{
    struct run_settings lab;
    ts_lab(&lab);
    const struct run_host *h1 = &lab.hosts[0], *h2 = &lab.hosts[1];
    char *conf = xasprintf("results_dir = \"%s\";\n"
                           "hosts = ( { name = \"%s\"; uri = \"%s\"; migrate_desturi = \"%s\";"
                           " migrate_uri = \"%s\"; } );\n", E.results, h1->name, h1->uri,
                           h1->migrate_desturi, h1->migrate_uri);
    ts_write(E.settings, conf);
    ts_e2e_vtrun(&E, 60, "--config", "examples/migrate.cfg", "--only", "there.precopy",
             "--allow-empty");
    ck_assert_msg(E.status == 0, "exit %d\n%s%s", E.status, E.out, E.err);
    ck_assert_msg(strstr(E.out, "CANCEL: test type 'migrate' needs a source and a destination"),
                  "%s", E.out);
    char *dest = xasprintf("virsh_migrate_desturi = %s", h2->uri);
    char *data = xasprintf("virsh_migrate_migrateuri = %s", h2->migrate_uri);
    ts_e2e_vtrun(&E, 170, "--config", "examples/migrate.cfg", "--only", "there.precopy", "--set",
             dest, "--set", data);
    ck_assert_msg(E.status == 0, "exit %d\n%s%s", E.status, E.out, E.err);
    char *job = ts_job_dir(&E);
    json_t *r = ts_results_json(job);
    json_t *hop = json_array_get(json_object_get(json_array_get(json_object_get(r, "tests"), 0),
                                                 "hops"), 0);
    ck_assert_msg(hop && json_is_true(json_object_get(hop, "ok")), "no successful hop");
    ck_assert_str_eq(ts_jstr(hop, "from"), h1->name);
    ck_assert_str_eq(ts_jstr(hop, "to"), "dest");
    ts_assert_nothing_left(ts_jstr(r, "job_id"));
    json_decref(r);
    free(job);
    free(dest);
    free(data);
    free(conf);
    run_settings_free(&lab);
}
END_TEST

START_TEST(test_jobs_2_runs_two_boot_cases_at_once_with_distinct_names)
{
    /* vm1's clone is named by the config, as migrate_stress.cfg names its clones: the
     * first slot keeps the name, the second adds -w1 */
    ts_e2e_vtrun(&E, 170, "--config", "examples/boot.cfg", "--jobs", "2", "--set",
                 "image_name_vm1 = boot-named-vm1");
    ck_assert_msg(E.status == 0, "exit %d\n%s\n%s", E.status, E.out, E.err);
    char *job = ts_job_dir(&E);
    json_t *r = ts_results_json(job);
    json_t *a = json_array_get(json_object_get(r, "tests"), 0);
    json_t *b = json_array_get(json_object_get(r, "tests"), 1);
    ck_assert(a && b);
    double sa = json_real_value(json_object_get(a, "actual_time_start"));
    double sb = json_real_value(json_object_get(b, "actual_time_start"));
    double ta = json_number_value(json_object_get(a, "time"));
    double tb = json_number_value(json_object_get(b, "time"));
    ck_assert_msg(sa > 0 && sb > 0, "no actual_time_start");
    ck_assert_msg(sa < sb + tb && sb < sa + ta, "not parallel: [%f +%f] [%f +%f]", sa, ta, sb,
                  tb);
    /* vm1 of each case: distinct domain and clone (the worker slot is in the domain's
     * name, the config's clone name gets -w1 in slot 1); each case ran in one slot */
    char *id = xstrdup(ts_jstr(r, "job_id"));
    char *d0 = xasprintf("domain vm1-%.7s-0 ", id), *d1 = xasprintf("domain vm1-%.7s-1 ", id);
    char *c0 = xstrdup("/boot-named-vm1.qcow2"), *c1 = xstrdup("/boot-named-vm1-w1.qcow2");
    char *p1 = xasprintf("%s/test-results/1-one_vm/debug.log", job);
    char *p2 = xasprintf("%s/test-results/2-two_vms/debug.log", job);
    char *l1 = ts_read(p1), *l2 = ts_read(p2);
    bool one_in_0 = strstr(l1, d0) != NULL;
    const char *log0 = one_in_0 ? l1 : l2, *log1 = one_in_0 ? l2 : l1;
    ck_assert_msg(strstr(log0, d0) && !strstr(log0, d1), "slot 0 log:\n%s", log0);
    ck_assert_msg(strstr(log1, d1) && !strstr(log1, d0), "slot 1 log:\n%s", log1);
    ck_assert_msg(strstr(log0, c0) && strstr(log1, c1) && !strstr(log0, c1) &&
                  !strstr(log1, c0), "clones not distinct per slot:\n%s\n%s", log0, log1);
    ts_assert_nothing_left(id);
    free(p1);
    free(p2);
    free(l1);
    free(l2);
    free(d0);
    free(d1);
    free(c0);
    free(c1);
    free(id);
    json_decref(r);
    free(job);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runner-e2e");
    TCase *tc = tcase_create("jobs-on-the-lab");
    SRunner *sr;
    int failed;
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 200);
    tcase_add_test(tc, test_boot_example_runs_real_vms_and_writes_full_results);
    tcase_add_test(tc, test_migrate_example_runs_real_migrations_and_html_shows_each_hop);
    tcase_add_test(tc, test_case_params_name_the_destination_over_the_settings_hosts);
    tcase_add_test(tc, test_jobs_2_runs_two_boot_cases_at_once_with_distinct_names);
    tcase_add_test(tc, test_on_a_tty_a_live_line_shows_the_running_test);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
