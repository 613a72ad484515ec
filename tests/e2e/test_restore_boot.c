/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm_boot_mode = restore on the lab (tests/e2e/run brings it up): the orderly case of
 * tests/e2e/migrate_stress.cfg (two guests, there and back, every post-check) with the
 * guest kernel a copy of the lab's, private to this test, so the saved guests are its
 * own.  The first run boots and saves each guest; the second restores them and must
 * migrate and pass every post-check as a booted guest does; a new mtime of the kernel
 * file is another guest: the third run boots again.  The saved entries the runs made
 * are removed at the end (they are keyed by the private kernel: nobody else's).
 */
#include "tests/support.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char *cfg_path, *kernel;
static char subnet[32];    /* the lab's guest subnet's first three numbers */
static struct strbuf entries = STRBUF_INIT;     /* saved entries made, one per line */

struct run {
    struct ts_e2e e;
    json_t *root, *test;
    char *log;
};

/* The orderly case with restore boots and the private kernel. */
static void run_orderly(struct run *r)
{
    char *kset = xasprintf("kernel = %s", kernel);
    /* fixed addresses: a guest's address is part of it (the saved key), and the one
     * vtrun picks follows the machine-wide slot, which other jobs may hold */
    char *ip1 = xasprintf("guest_ip_vm1 = %s.201", subnet);
    char *ip2 = xasprintf("guest_ip_vm2 = %s.202", subnet);
    memset(r, 0, sizeof(*r));
    ts_e2e_init(&r->e);
    ts_e2e_vtrun(&r->e, 400, "--config", cfg_path, "--only", "orderly",
                 "--set", "vm_boot_mode = restore", "--set", kset, "--set", ip1,
                 "--set", ip2);
    free(kset);
    free(ip1);
    free(ip2);
    r->test = ts_only_test(&r->e, &r->root);
    const char *log = ts_jstr(r->test, "logfile");
    r->log = ts_read(log);
    ck_assert_msg(r->log, "%s: %s", log, strerror(errno));
    /* remember what was saved, for the cleanup */
    for (const char *p = r->log; (p = strstr(p, "save the booted guest as ")); ) {
        p += strlen("save the booted guest as ");
        strbuf_add(&entries, p, strcspn(p, "\n"));
        strbuf_addch(&entries, '\n');
    }
    printf("restore_boot: %s: %s in %.1f s\n", ts_jstr(r->test, "name"),
           ts_jstr(r->test, "status"), json_real_value(json_object_get(r->test, "time")));
}

static void run_free(struct run *r)
{
    json_decref(r->root);
    free(r->log);
    ts_e2e_free(&r->e);
}

/* The case's log on stderr when a check is about to fail (check's messages are short). */
static void log_on(bool failing, const char *log)
{
    if (failing)
        fprintf(stderr, "---- the case's log ----\n%s\n----\n", log);
}

/* What the two runs' keys of vm1 hashed, side by side (why a guest was not found). */
static void diff_keys(const struct run *a, const struct run *b)
{
    char *fa = xstrdup(ts_jstr(a->test, "logfile")), *fb = xstrdup(ts_jstr(b->test, "logfile"));
    char *ka = xasprintf("%s/vm1.saved-key.txt", dirname(fa));
    char *kb = xasprintf("%s/vm1.saved-key.txt", dirname(fb));
    struct strbuf out = STRBUF_INIT;
    ts_run(TS_ARGS("diff", ka, kb), &out, 10);
    fprintf(stderr, "---- diff of the keys' texts ----\n%s\n", out.buf);
    strbuf_release(&out);
    free(ka);
    free(kb);
    free(fa);
    free(fb);
}

static void assert_pass(const struct run *r)
{
    log_on(strcmp(ts_jstr(r->test, "status"), "PASS") != 0, r->log);
    ck_assert_msg(!strcmp(ts_jstr(r->test, "status"), "PASS"), "status %s: %.300s",
                  ts_jstr(r->test, "status"), ts_jstr(r->test, "fail_reason"));
}

/* Seconds of the phases named start and login: the guests' boot. */
static double boot_s(const struct run *r)
{
    json_t *ph = json_object_get(r->test, "phases"), *p;
    size_t i;
    double s = 0;
    json_array_foreach(ph, i, p) {
        const char *n = ts_jstr(p, "name");
        if (!strcmp(n, "start") || !strcmp(n, "login"))
            s += json_real_value(json_object_get(p, "time"));
    }
    return s;
}

/* Every post-check of both guests after both hops passed, none failed or is missing. */
static void assert_post_checks(const struct run *r)
{
    /* (the gateway check is off in this cfg: the lab's guests have no gateway) */
    static const char *const checks[] = { "ssh", "state", "uptime", "ping", "disk",
                                          "dmesg", "console" };
    static const char *const vms[] = { "vm1", "vm2" };
    for (size_t v = 0; v < 2; v++)
        for (size_t c = 0; c < sizeof(checks) / sizeof(*checks); c++) {
            char *line = xasprintf("post-check %s %s: PASS", vms[v], checks[c]);
            size_t n = ts_count(r->log, line);
            log_on(n != 2, r->log);
            ck_assert_msg(n == 2, "'%s' %zu times (want 2, one per hop)", line, n);
            free(line);
        }
    log_on(strstr(r->log, ": FAIL") != NULL, r->log);
    ck_assert_msg(!strstr(r->log, ": FAIL"), "a check failed (log above)");
    json_t *hops = json_object_get(r->test, "hops");
    ck_assert_uint_eq(json_array_size(hops), 4);
}

START_TEST(test_a_restored_guest_migrates_and_passes_every_post_check)
{
    struct run seed, rest;
    run_orderly(&seed);
    assert_pass(&seed);
    /* nothing saved for this kernel yet: each guest boots, then is saved */
    log_on(ts_count(seed.log, "no saved guest yet: save the booted guest as") != 2, seed.log);
    ck_assert_msg(ts_count(seed.log, "no saved guest yet: save the booted guest as") == 2,
                  "seed run did not save both guests (log above)");
    run_orderly(&rest);
    assert_pass(&rest);
    bool booted = strstr(rest.log, "no saved guest yet") || strstr(rest.log, "cold boot");
    log_on(booted || ts_count(rest.log, "from the saved guest") != 2, rest.log);
    if (booted)
        diff_keys(&seed, &rest);
    ck_assert_msg(!booted, "the second run booted (log above)");
    ck_assert_msg(ts_count(rest.log, "from the saved guest") == 2, "not restored (log above)");
    assert_post_checks(&rest);
    printf("restore_boot: boot phases: cold + save %.2f s, restore %.2f s\n", boot_s(&seed),
           boot_s(&rest));
    run_free(&seed);
    run_free(&rest);
}
END_TEST

START_TEST(test_a_changed_kernel_file_boots_cold_again)
{
    struct run r;
    /* the same bytes, another mtime: another guest file as far as anyone can tell */
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec += 60;
    tv[1] = tv[0];
    ck_assert_msg(utimes(kernel, tv) == 0, "%s: %s", kernel, strerror(errno));
    size_t before = ts_count(entries.buf, "\n");
    run_orderly(&r);
    assert_pass(&r);
    log_on(ts_count(r.log, "no saved guest yet: save the booted guest as") != 2, r.log);
    ck_assert_msg(ts_count(r.log, "no saved guest yet: save the booted guest as") == 2,
                  "the changed kernel did not invalidate the saved guests (log above)");
    /* new entries, not the ones the first test saved */
    ck_assert_uint_eq(ts_count(entries.buf, "\n"), before + 2);
    for (char *l = entries.buf; before && *l; l = strchr(l, '\n') + 1, before--) {
        size_t n = strcspn(l, "\n");
        char *old = xasprintf("save the booted guest as %.*s\n", (int)n, l);
        ck_assert_msg(!strstr(r.log, old), "entry re-used: %s", old);
        free(old);
    }
    run_free(&r);
}
END_TEST

/* The saved entries of this test's kernel: removed (they are the cache's, and
 * keyed by a file that goes with the test). */
static void remove_entries(void)
{
    for (char *l = entries.buf; l && *l; ) {
        char *nl = strchr(l, '\n');
        *nl = '\0';
        ts_rmtree(l);
        l = nl + 1;
    }
}

int main(void)
{
    double t0 = ts_now();
    const char *settings = getenv("VTRUN_SETTINGS");
    if (!getenv("VTRUN") || !settings || !*settings) {
        fprintf(stderr, "test_restore_boot: VTRUN and VTRUN_SETTINGS must be set: run it "
                "with tests/e2e/run (which brings the lab up)\n");
        return 1;
    }
    /* guest_subnet = "A.B.C.0/24" of the lab's settings */
    FILE *sf = fopen(settings, "r");
    char line[512];
    while (sf && fgets(line, sizeof(line), sf)) {
        char *g = strstr(line, "guest_subnet = \"");
        if (g && sscanf(g + strlen("guest_subnet = \""), "%31[0-9.]", subnet) == 1) {
            char *dot = strrchr(subnet, '.');
            if (dot)
                *dot = '\0';
            break;
        }
    }
    if (sf)
        fclose(sf);
    if (!*subnet) {
        fprintf(stderr, "test_restore_boot: no guest_subnet in %s\n", settings);
        return 1;
    }
    char *src = xstrdup(__FILE__);
    cfg_path = xasprintf("%s/migrate_stress.cfg", dirname(src));
    free(src);
    /* the private kernel copy where the lab's daemons read it: its shared volume */
    const char *state = getenv("VTRUN_LAB_STATE");
    char *tmpl = xasprintf("%s/shared/restore-e2e-XXXXXX", state && *state ? state
                           : "/run/vtrun-lab0");
    if (!mkdtemp(tmpl) || chmod(tmpl, 0755) < 0) {
        perror("mkdtemp");
        return 1;
    }
    kernel = xasprintf("%s/vmlinuz", tmpl);
    /* ts_guest_file()'s path, without its check assertion (no test runs yet) */
    const char *cache = getenv("VTRUN_CACHE");
    char *lab_kernel = xasprintf("%s/guest/vmlinuz", cache && *cache ? cache : "/var/cache/vtrun");
    /* a copy, by cp (no check assertion may run before the tests) */
    const char *cp[] = { "cp", "--", lab_kernel, kernel, NULL };
    struct spawn *c = spawn_newv(cp);
    int st = -1;
    if (spawn_run(c, &st) < 0 || st != 0) {
        fprintf(stderr, "test_restore_boot: cannot copy %s to %s\n", lab_kernel, kernel);
        return 1;
    }
    spawn_free(c);
    free(lab_kernel);
    /* an mtime set after the copy: the shared volume's write-behind may otherwise give
     * the file a later one once its last write lands, another key between two runs */
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 10;
    tv[1] = tv[0];
    if (utimes(kernel, tv) < 0) {
        perror(kernel);
        return 1;
    }

    Suite *s = suite_create("restore_boot_e2e");
    TCase *tc = tcase_create("lab");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_a_restored_guest_migrates_and_passes_every_post_check);
    tcase_add_test(tc, test_a_changed_kernel_file_boots_cold_again);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);     /* the entries list outlives a test */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_entries();
    ts_rmtree(tmpl);
    free(tmpl);
    printf("test_restore_boot: %.1f s\n", ts_now() - t0);
    strbuf_release(&entries);
    free(kernel);
    free(cfg_path);
    return failed ? 1 : 0;
}
