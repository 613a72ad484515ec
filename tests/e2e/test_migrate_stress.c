/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virsh_migrate_stress end to end, as users run it: the real vtrun ($VTRUN) on the lab
 * that tests/e2e/run brought up ($VTRUN_SETTINGS), one case of
 * tests/e2e/migrate_stress.cfg per test (--only NAME), judged from what the job wrote
 * (results.json: status, reason, per-hop metrics; the test's debug.log) and from the
 * machine afterwards: no domain on either lab host, no QEMU of the job's domains, no
 * stress process of the case.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_settings.h"
#include "tests/support.h"
#include "virt/virt.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* In stress_args of the cfg: tells this test's stress processes from anyone else's. */
#define STRESS_MARK "--timeout 417"

static char *cfg_path, *tmp;

/* One finished vtrun job of one case. */
struct run {
    const char *name;
    int exit;
    double secs;
    char job7[8];
    json_t *root;
    json_t *test;           /* tests[0] */
    json_t *hops;           /* tests[0].hops */
    struct strbuf out;      /* vtrun's stdout + stderr */
    struct strbuf debug;    /* the test's debug.log */
    struct strbuf html;     /* the job's results.html */
    struct strbuf xml;      /* the job's results.xml (JUnit) */
};

/* ---- the machine after a case ---------------------------------------------------- */

static void trim(struct strbuf *sb)
{
    size_t a = 0, n = sb->len;
    while (n && strchr(" \t\r\n", sb->buf[n - 1]))
        n--;
    while (a < n && strchr(" \t\r\n", sb->buf[a]))
        a++;
    memmove(sb->buf, sb->buf + a, n - a);
    strbuf_setlen(sb, n - a);
}

/* Processes the case left: QEMU of the job's domains (their names carry the job id)
 * or a stress of this cfg. */
static void leftover_processes(const char *job7, struct strbuf *found)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    ck_assert(d != NULL);
    while ((e = readdir(d))) {
        if (strspn(e->d_name, "0123456789") != strlen(e->d_name))
            continue;
        struct strbuf comm = STRBUF_INIT, cmd = STRBUF_INIT;
        char path[sizeof(e->d_name) + 16];
        FILE *f;
        snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
        if ((f = fopen(path, "r"))) {
            char buf[256];
            if (fgets(buf, sizeof(buf), f))
                strbuf_addstr(&comm, buf);
            fclose(f);
        }
        trim(&comm);
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        if ((f = fopen(path, "r"))) {
            char buf[4096];
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);
            for (size_t i = 0; i < n; i++)
                strbuf_addch(&cmd, buf[i] ? buf[i] : ' ');
            fclose(f);
        }
        bool qemu = !strncmp(comm.buf, "qemu", 4) && strstr(cmd.buf, job7);
        bool stress = !strcmp(comm.buf, "stress") && strstr(cmd.buf, STRESS_MARK);
        if (qemu || stress)
            strbuf_addf(found, "  pid %s (%s): %.200s\n", e->d_name, comm.buf, cmd.buf);
        strbuf_release(&comm);
        strbuf_release(&cmd);
    }
    closedir(d);
}

static void assert_machine_clean(const struct run *r)
{
    char *doms = ts_lab_domains();
    ck_assert_msg(!*doms, "%s: domains left on the lab hosts:\n%s", r->name, doms);
    free(doms);
    /* a process killed a moment ago may still be reaped */
    struct strbuf found = STRBUF_INIT;
    for (double end = ts_now() + 5;;) {
        strbuf_reset(&found);
        leftover_processes(r->job7, &found);
        if (!found.len || ts_now() > end)
            break;
        usleep(200 * 1000);
    }
    ck_assert_msg(found.len == 0, "%s: processes left:\n%s", r->name, found.buf);
    strbuf_release(&found);
}

/* ---- running a case ----------------------------------------------------------------- */

static json_t *hop_at(const struct run *r, size_t i)
{
    return json_array_get(r->hops, i);
}

static const char *hs(json_t *h, const char *key)
{
    const char *v = json_string_value(json_object_get(h, key));
    return v ? v : "";
}

static double hn(json_t *h, const char *key)
{
    return json_number_value(json_object_get(h, key));
}

static bool hb(json_t *h, const char *key)
{
    return json_is_true(json_object_get(h, key));
}

static const char *status(const struct run *r)
{
    return json_string_value(json_object_get(r->test, "status"));
}

static const char *reason(const struct run *r)
{
    return json_string_value(json_object_get(r->test, "fail_reason"));
}

static const char *fail_class(const struct run *r)
{
    return json_string_value(json_object_get(r->test, "fail_class"));
}

static void print_hops(const struct run *r)
{
    printf("[%s] %s in %.1f s (vtrun exit %d)%s%s\n", r->name, status(r), r->secs, r->exit,
           *reason(r) ? ": " : "", reason(r));
    for (size_t i = 0; i < json_array_size(r->hops); i++) {
        json_t *h = hop_at(r, i);
        printf("[%s]   hop %.0f %s %s->%s %s: wall %.2f s, downtime %.0f ms, data %.1f MiB, "
               "%.0f iteration(s)%s%s\n", r->name, hn(h, "hop"), hs(h, "vm"), hs(h, "from"),
               hs(h, "to"), hs(h, "mode"), hn(h, "wall_s"), hn(h, "downtime_ms"),
               hn(h, "data_bytes") / 1048576.0, hn(h, "mem_iterations"),
               hb(h, "ok") ? "" : ", FAILED: ", hb(h, "ok") ? "" : hs(h, "error"));
    }
    fflush(stdout);
}

/* vtrun --settings <results dir> --config migrate_stress.cfg --only NAME, then the
 * job's results and the machine's state. */
static void run_case(const char *name, struct run *r)
{
    char *dir = xasprintf("%s/%s", tmp, name);
    char *over = xasprintf("%s/settings.conf", dir);
    char *conf = xasprintf("results_dir = \"%s/results\";\n", dir);
    char *results = xasprintf("%s/results", dir);
    memset(r, 0, sizeof(*r));
    r->name = name;
    strbuf_init(&r->out, 0);
    strbuf_init(&r->debug, 0);
    strbuf_init(&r->html, 0);
    strbuf_init(&r->xml, 0);
    ck_assert_msg(mkdir(dir, 0755) == 0, "%s: %s", dir, strerror(errno));
    ts_write(over, conf);

    /* the lab's settings come from $VTRUN_SETTINGS (inherited); ours only moves the
     * results into the test's directory */
    struct ts_vtrun v;
    ts_vtrun_run(&v, TS_ARGS("--config", cfg_path, "--only", name),
                 &(struct ts_vtrun_opts){ .settings = over, .merge = true, .timeout_s = 240 });
    ck_assert_msg(v.signal == 0, "%s: vtrun did not finish: %s", name, v.out.buf);
    strbuf_release(&r->out);
    r->out = v.out;
    r->exit = v.status;
    r->secs = v.secs;
    strbuf_release(&v.err);

    DIR *d = opendir(results);
    struct dirent *e;
    char *job = NULL;
    ck_assert_msg(d != NULL, "%s: no results directory %s; vtrun said:\n%s", name, results,
                  r->out.buf);
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "job-", 4))
            job = xasprintf("%s/%s", results, e->d_name);
    closedir(d);
    ck_assert_msg(job != NULL, "%s: no job directory in %s; vtrun said:\n%s", name, results,
                  r->out.buf);
    snprintf(r->job7, sizeof(r->job7), "%s", strrchr(job, '-') + 1);

    char *jpath = xasprintf("%s/results.json", job);
    json_error_t jerr;
    r->root = json_load_file(jpath, 0, &jerr);
    ck_assert_msg(r->root != NULL, "%s: %s:%d: %s", name, jpath, jerr.line, jerr.text);
    json_t *tests = json_object_get(r->root, "tests");
    ck_assert_msg(json_array_size(tests) == 1, "%s: %zu tests in %s (want 1); vtrun said:\n%s",
                  name, json_array_size(tests), jpath, r->out.buf);
    r->test = json_array_get(tests, 0);
    r->hops = json_object_get(r->test, "hops");
    const char *log = json_string_value(json_object_get(r->test, "logfile"));
    ck_assert(log != NULL);
    ck_assert_msg(strbuf_read_file(&r->debug, log, 0) >= 0, "%s: %s", log, strerror(errno));
    char *html = xasprintf("%s/results.html", job);
    ck_assert_msg(strbuf_read_file(&r->html, html, 0) >= 0, "%s: %s", html, strerror(errno));
    free(html);
    char *xml = xasprintf("%s/results.xml", job);
    ck_assert_msg(strbuf_read_file(&r->xml, xml, 0) >= 0, "%s: %s", xml, strerror(errno));
    free(xml);
    print_hops(r);
    assert_machine_clean(r);

    free(jpath);
    free(job);
    free(results);
    free(conf);
    free(over);
    free(dir);
}

static void run_free(struct run *r)
{
    json_decref(r->root);
    strbuf_release(&r->out);
    strbuf_release(&r->debug);
    strbuf_release(&r->html);
    strbuf_release(&r->xml);
}

static void assert_status(const struct run *r, const char *want)
{
    ck_assert_msg(!strcmp(status(r), want), "%s: %s (want %s): %s %s\n--- debug.log tail:\n%s",
                  r->name, status(r), want, fail_class(r), reason(r),
                  r->debug.len > 3000 ? r->debug.buf + r->debug.len - 3000 : r->debug.buf);
}

static void assert_log_has(const struct run *r, const char *text)
{
    ck_assert_msg(strstr(r->debug.buf, text) != NULL, "%s: debug.log has no '%s'", r->name,
                  text);
}

/* Every hop record is a successful move with figures. */
static void assert_hops_ok(const struct run *r, size_t n, const char *mode)
{
    ck_assert_msg(json_array_size(r->hops) == n, "%s: %zu hop records, want %zu", r->name,
                  json_array_size(r->hops), n);
    for (size_t i = 0; i < n; i++) {
        json_t *h = hop_at(r, i);
        ck_assert_msg(hb(h, "ok"), "%s: hop record %zu failed: %s", r->name, i, hs(h, "error"));
        ck_assert_msg(hn(h, "wall_s") > 0 && hn(h, "data_bytes") > 0,
                      "%s: hop record %zu has no wall time or data", r->name, i);
        if (mode)
            ck_assert_msg(!strcmp(hs(h, "mode"), mode), "%s: hop record %zu is %s, want %s",
                          r->name, i, hs(h, "mode"), mode);
    }
}

/* The record of VM vm in hop number hop. */
static json_t *find_hop(const struct run *r, unsigned hop, const char *vm)
{
    for (size_t i = 0; i < json_array_size(r->hops); i++) {
        json_t *h = hop_at(r, i);
        if ((unsigned)hn(h, "hop") == hop && !strcmp(hs(h, "vm"), vm))
            return h;
    }
    ck_abort_msg("%s: no record of %s in hop %u", r->name, vm, hop);
    return NULL;
}

static void assert_move(const struct run *r, json_t *h, const char *from, const char *to)
{
    ck_assert_msg(!strcmp(hs(h, "from"), from) && !strcmp(hs(h, "to"), to),
                  "%s: hop %.0f %s went %s -> %s, want %s -> %s", r->name, hn(h, "hop"),
                  hs(h, "vm"), hs(h, "from"), hs(h, "to"), from, to);
}

/* ---- the cases ------------------------------------------------------------------------ */

START_TEST(test_orderly_migrates_one_vm_after_the_other_there_and_back)
{
    struct run r;
    run_case("orderly", &r);
    assert_status(&r, "PASS");
    ck_assert_int_eq(r.exit, 0);
    assert_hops_ok(&r, 4, "precopy");
    for (unsigned hop = 1; hop <= 2; hop++) {
        json_t *a = find_hop(&r, hop, "vm1"), *b = find_hop(&r, hop, "vm2");
        const char *from = hop == 1 ? "host1" : "host2", *to = hop == 1 ? "host2" : "host1";
        assert_move(&r, a, from, to);
        assert_move(&r, b, from, to);
        ck_assert_msg(hn(b, "start") >= hn(a, "start") + hn(a, "wall_s") - 0.05,
                      "orderly: vm2 started its hop %u before vm1's ended", hop);
    }
    /* every post-check ran after every move */
    assert_log_has(&r, "post-check vm2 disk: PASS");
    assert_log_has(&r, "post-check vm1 ping: PASS");
    assert_log_has(&r, "post-check vm1 dmesg: PASS");
    /* the pre-migration checks read both hosts through the backend */
    assert_log_has(&r, "hypervisor type equal: SUCCESS");
    assert_log_has(&r, "libvirt version equal: SUCCESS");
    /* ... and every result is a JUnit property of the test */
    ck_assert_msg(strstr(r.xml.buf, "name=\"check.pmc.hypervisor type equal.") != NULL,
                  "orderly: results.xml has no pre-migration check property");
    /* the HTML timeline shows every hop */
    ck_assert_msg(strstr(r.html.buf, "data-vm=\"vm2\" data-hop=\"2\"") != NULL,
                  "orderly: results.html has no bar for vm2's hop 2");
    run_free(&r);
}
END_TEST

START_TEST(test_simultaneous_migrates_both_vms_at_once)
{
    struct run r;
    run_case("simultaneous", &r);
    assert_status(&r, "PASS");
    assert_hops_ok(&r, 2, "precopy");
    json_t *a = find_hop(&r, 1, "vm1"), *b = find_hop(&r, 1, "vm2");
    assert_move(&r, a, "host1", "host2");
    assert_move(&r, b, "host1", "host2");
    double s1 = hn(a, "start"), e1 = s1 + hn(a, "wall_s");
    double s2 = hn(b, "start"), e2 = s2 + hn(b, "wall_s");
    ck_assert_msg(s1 < e2 && s2 < e1, "simultaneous: the migrations did not overlap "
                  "(vm1 %.2f-%.2f, vm2 %.2f-%.2f)", s1, e1, s2, e2);
    run_free(&r);
}
END_TEST

START_TEST(test_cross_moves_every_vm_every_hop_in_opposite_directions)
{
    struct run r;
    run_case("cross", &r);
    assert_status(&r, "PASS");
    assert_hops_ok(&r, 8, "precopy");
    const char *at[2] = { NULL, NULL };
    const char *vm[2] = { "vm1", "vm2" };
    for (unsigned hop = 1; hop <= 4; hop++) {
        json_t *h[2] = { find_hop(&r, hop, "vm1"), find_hop(&r, hop, "vm2") };
        ck_assert_msg(strcmp(hs(h[0], "from"), hs(h[1], "from")),
                      "cross: hop %u moved both VMs from %s", hop, hs(h[0], "from"));
        for (int k = 0; k < 2; k++) {
            if (at[k])
                ck_assert_msg(!strcmp(hs(h[k], "from"), at[k]), "cross: %s left %s in hop "
                              "%u but was on %s", vm[k], hs(h[k], "from"), hop, at[k]);
            at[k] = hs(h[k], "to");
        }
    }
    /* two round trips: each VM ends where it started */
    ck_assert_str_eq(hs(find_hop(&r, 4, "vm1"), "to"), hs(find_hop(&r, 1, "vm1"), "from"));
    ck_assert_str_eq(hs(find_hop(&r, 4, "vm2"), "to"), hs(find_hop(&r, 1, "vm2"), "from"));
    run_free(&r);
}
END_TEST

START_TEST(test_precopy_with_auto_converge_passes)
{
    struct run r;
    run_case("precopy", &r);
    assert_status(&r, "PASS");
    assert_hops_ok(&r, 2, "precopy");
    assert_log_has(&r, "--auto-converge");
    run_free(&r);
}
END_TEST

START_TEST(test_postcopy_after_precopy_is_recorded_in_the_hop_metrics)
{
    struct run r;
    run_case("postcopy", &r);
    assert_status(&r, "PASS");
    assert_hops_ok(&r, 2, NULL);
    assert_log_has(&r, "--postcopy-after-precopy");
    size_t post = 0;
    for (size_t i = 0; i < json_array_size(r.hops); i++)
        post += !strcmp(hs(hop_at(&r, i), "mode"), "postcopy");
    ck_assert_msg(post > 0, "postcopy: no hop switched to postcopy");
    run_free(&r);
}
END_TEST

START_TEST(test_stress_in_guests_runs_through_the_hop_and_is_stopped)
{
    struct run r;
    run_case("stress_in_guests", &r);
    assert_status(&r, "PASS");
    assert_hops_ok(&r, 2, "precopy");
    assert_log_has(&r, "stress in vm1: started");
    assert_log_has(&r, "stress in vm2: started");
    assert_log_has(&r, "stress in vm1: stopped");
    assert_log_has(&r, "stress in vm2: stopped");
    run_free(&r);
}
END_TEST

START_TEST(test_stress_on_both_hosts_over_ssh_runs_and_nothing_is_left)
{
    struct run r;
    run_case("stress_on_hosts", &r);
    assert_status(&r, "PASS");
    assert_hops_ok(&r, 2, "precopy");
    assert_log_has(&r, "stress on host host1: started");
    assert_log_has(&r, "stress on host host2: started over ssh");
    assert_log_has(&r, "stress on host host1: stopped");
    assert_log_has(&r, "stress on host host2: stopped");
    /* no stress process: assert_machine_clean() in run_case */
    run_free(&r);
}
END_TEST

/* A file of the test's results directory, read whole; asserted non-empty. */
static void read_evidence(const struct run *r, const char *file, struct strbuf *out)
{
    const char *dir = json_string_value(json_object_get(r->test, "logdir"));
    char *path = xasprintf("%s/%s", dir, file);
    ck_assert_msg(strbuf_read_file(out, path, 0) > 0, "%s: no evidence %s: %s", r->name, path,
                  strerror(errno));
    free(path);
}

/* Evidence kept, listed in debug.log and results.json, linked from the HTML. */
static void assert_evidence(const struct run *r, const char *file, const char *needle)
{
    struct strbuf sb = STRBUF_INIT;
    read_evidence(r, file, &sb);
    if (needle)
        ck_assert_msg(strstr(sb.buf, needle), "%s: %s lacks '%s'", r->name, file, needle);
    strbuf_release(&sb);
    char *line = xasprintf("FILE %s: ", file);
    assert_log_has(r, line);
    free(line);
    char *href = xasprintf("/%s\"", file);
    ck_assert_msg(strstr(r->html.buf, href), "%s: the HTML does not link %s", r->name, file);
    free(href);
    json_t *files = json_object_get(r->test, "files"), *f;
    size_t i;
    bool listed = false;
    json_array_foreach(files, i, f)
        listed |= !strcmp(json_string_value(json_object_get(f, "path")), file);
    ck_assert_msg(listed, "%s: results.json files lacks %s", r->name, file);
}

/* A failed case's evidence (issue 17): the QEMU log of each VM from the source and
 * from the destination, the completed job where the VMs landed, the destination's
 * domain XML. */
static void assert_failure_evidence(const struct run *r)
{
    /* the QEMU log of each VM from the source and from the destination, the completed
     * job where the VMs landed, the destination's domain XML */
    static const char *const vms[] = { "vm1", "vm2" };
    for (size_t i = 0; i < 2; i++) {
        char *f1 = xasprintf("qemu-%s.host1.log", vms[i]);
        char *f2 = xasprintf("qemu-%s.host2.log", vms[i]);
        char *job = xasprintf("jobinfo-%s.host2.txt", vms[i]);
        char *xml = xasprintf("domain-%s.host2.xml", vms[i]);
        assert_evidence(r, f1, "qemu");
        assert_evidence(r, f2, "-incoming");
        assert_evidence(r, job, "type: Completed");
        assert_evidence(r, xml, "<domain");
        free(f1);
        free(f2);
        free(job);
        free(xml);
    }
    assert_log_has(r, "evidence of the failure: from every host the test reached");
}

START_TEST(test_guest_panic_after_the_hop_fails_naming_the_console_check)
{
    struct run r;
    run_case("guest_panic", &r);
    assert_status(&r, "FAIL");
    ck_assert_int_ne(r.exit & 1, 0);
    ck_assert_str_eq(fail_class(&r), "PostMigrationCheck");
    ck_assert_msg(strstr(reason(&r), "console: ") != NULL, "guest_panic: the reason does "
                  "not name the console check: %s", reason(&r));
    ck_assert_msg(strstr(reason(&r), "Kernel panic") != NULL, "guest_panic: the reason does "
                  "not show the panic line: %s", reason(&r));
    assert_failure_evidence(&r);
    run_free(&r);
}
END_TEST

START_TEST(test_admin_steps_pass_on_the_destination_each_with_its_time)
{
    struct run r;
    run_case("admin", &r);
    assert_status(&r, "PASS");
    static const char *const vms[] = { "vm1", "vm2" };
    /* the VMs are administered at once, but their checks are recorded in VM order,
     * then step order: debug.log (like results.json) reads the same every run */
    const char *after = r.debug.buf;
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; mig_admin_step_name(k); k++) {
            char *name = xasprintf("admin.%s.%s", mig_admin_step_name(k), vms[i]);
            char *line = xasprintf("CHECK %s [error]: PASS: ", name);
            assert_log_has(&r, line);
            ck_assert_msg(strstr(after, line) != NULL, "admin: %s is out of order", name);
            after = strstr(after, line);
            ck_assert_msg(strstr(r.html.buf, name), "admin: the HTML lacks %s", name);
            /* its time follows: "PASS: 0.24 s" */
            const char *t = strstr(r.debug.buf, line) + strlen(line);
            ck_assert_msg(strtod(t, NULL) >= 0 && strstr(t, " s") - t < 12,
                          "admin: %s has no time: %.40s", name, t);
            free(line);
            free(name);
        }
    assert_log_has(&r, "PHASE admin");
    assert_log_has(&r, "guest administration of vm1 on host2");
    /* at once: vm2 is started again while vm1 still boots, before vm1 is saved */
    const char *admin = strstr(r.debug.buf, "guest administration of vm1 on host2");
    const char *start2 = strstr(admin, "vm2: start domain");
    const char *save1 = strstr(admin, "vm1: save domain");
    ck_assert_msg(start2 && save1 && start2 < save1,
                  "admin: vm2 was not started again before vm1 was saved (one VM after the "
                  "other)");
    run_free(&r);
}
END_TEST

/* ---- the lab's host2 with a firewall rule --------------------------------------------- */

static void print_log(void *ud, enum virt_log_level level, const char *msg)
{
    (void)ud;
    printf("migrate_stress: [%s] %s\n", virt_log_level_name(level), msg);
}

static const struct virt_ctx vctx = { .log = print_log };

START_TEST(test_firewalled_migration_ports_cancel_before_any_hop_naming_the_rule)
{
    struct run_settings s;
    ts_lab(&s);
    const struct run_host *rh = &s.hosts[1];
    struct virt_host_conf conf = {
        .name = rh->name, .address = rh->address, .port = rh->ssh_port, .user = rh->ssh_user,
        .key_file = rh->ssh_key, .hostkey = VIRT_HOSTKEY_STRICT,
        .known_hosts = rh->ssh_known_hosts_file,
    };
    struct virt_host *h2 = virt_host_open(&conf, &vctx);
    ck_assert_msg(h2 != NULL, "%s", err_msg());
    struct virt_hostops *ops = virt_hostops_new("e2efw", &vctx);
    /* QEMU's migration ports (qemu.conf migration_port_min/max), dropped */
    ck_assert_msg(virt_hostop_fw_add(ops, h2, &(struct virt_fw_rule){
                      .port_min = 49152, .port_max = 49215 }) == 0, "%s", err_msg());
    struct run r;
    run_case("fw_blocked", &r);
    int undo = virt_hostops_undo(ops);
    char *undo_err = undo < 0 ? xstrdup(err_msg()) : NULL;
    virt_hostops_free(ops);
    virt_host_close(h2);
    assert_status(&r, "CANCEL");
    ck_assert_msg(strstr(reason(&r), "migration ports not firewalled") &&
                  strstr(reason(&r), "host2 drops migration ports 49152-49215") &&
                  strstr(reason(&r), "chain input: tcp dport 49152-49215 ") &&
                  strstr(reason(&r), " drop"),
                  "fw_blocked: the reason does not name the rule: %s", reason(&r));
    ck_assert_uint_eq(json_array_size(r.hops), 0);
    ck_assert_msg(undo == 0, "undo: %s", undo_err);
    run_free(&r);
    run_settings_free(&s);
}
END_TEST

START_TEST(test_throttled_migration_past_its_timeout_is_aborted_and_fails)
{
    struct run r;
    run_case("throttled", &r);
    assert_status(&r, "FAIL");
    ck_assert_str_eq(fail_class(&r), "MigrationTimeout");
    ck_assert_msg(json_array_size(r.hops) == 1, "throttled: %zu hop records, want 1 (the "
                  "test stops at the first failed move)", json_array_size(r.hops));
    json_t *h = hop_at(&r, 0);
    ck_assert_msg(!hb(h, "ok"), "throttled: the hop is recorded as ok");
    /* aborted after ~3 s, not after the minutes the copy would take */
    ck_assert_msg(hn(h, "wall_s") < 30, "throttled: the hop took %.1f s", hn(h, "wall_s"));
    assert_log_has(&r, "aborted");
    /* both hosts clean: assert_machine_clean() in run_case */
    run_free(&r);
}
END_TEST

START_TEST(test_one_vm_cancels_with_the_reason)
{
    struct run r;
    run_case("one_vm", &r);
    assert_status(&r, "CANCEL");
    ck_assert_msg(strstr(reason(&r), "at least 2 VMs") != NULL, "one_vm: reason '%s'",
                  reason(&r));
    ck_assert_uint_eq(json_array_size(r.hops), 0);
    run_free(&r);
}
END_TEST

static char *lab_setup(void)
{
    const char *vtrun = getenv("VTRUN"), *settings = getenv("VTRUN_SETTINGS");
    if (!vtrun || !*vtrun || !settings || !*settings) {
        fprintf(stderr, "test_migrate_stress: VTRUN and VTRUN_SETTINGS must be set: run it "
                "with tests/e2e/run (which brings the lab up)\n");
        return NULL;
    }
    /* the cfg sits beside this file (the build compiles it by its path from the top) */
    char *src = xstrdup(__FILE__);
    cfg_path = xasprintf("%s/migrate_stress.cfg", dirname(src));
    free(src);
    if (access(cfg_path, R_OK) != 0) {
        fprintf(stderr, "%s: %s (run from the top of the tree)\n", cfg_path, strerror(errno));
        return NULL;
    }
    char tmpl[] = "/tmp/vtrun-e2e-ms-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return NULL;
    }
    return xstrdup(tmpl);
}

int main(void)
{
    double t0 = ts_now();
    tmp = lab_setup();
    if (!tmp)
        return 1;
    Suite *s = suite_create("migrate_stress_e2e");
    TCase *tc = tcase_create("lab");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_one_vm_cancels_with_the_reason);
    tcase_add_test(tc, test_orderly_migrates_one_vm_after_the_other_there_and_back);
    tcase_add_test(tc, test_simultaneous_migrates_both_vms_at_once);
    tcase_add_test(tc, test_cross_moves_every_vm_every_hop_in_opposite_directions);
    tcase_add_test(tc, test_precopy_with_auto_converge_passes);
    tcase_add_test(tc, test_postcopy_after_precopy_is_recorded_in_the_hop_metrics);
    tcase_add_test(tc, test_stress_in_guests_runs_through_the_hop_and_is_stopped);
    tcase_add_test(tc, test_stress_on_both_hosts_over_ssh_runs_and_nothing_is_left);
    tcase_add_test(tc, test_guest_panic_after_the_hop_fails_naming_the_console_check);
    tcase_add_test(tc, test_throttled_migration_past_its_timeout_is_aborted_and_fails);
    tcase_add_test(tc, test_admin_steps_pass_on_the_destination_each_with_its_time);
    tcase_add_test(tc, test_firewalled_migration_ports_cancel_before_any_hop_naming_the_rule);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    /* results stay for a look when something failed */
    if (failed) {
        printf("test_migrate_stress: results kept in %s\n", tmp);
    } else {
        ts_rmtree(tmp);
    }
    printf("test_migrate_stress: %.1f s\n", ts_now() - t0);
    free(tmp);
    free(cfg_path);
    return failed ? 1 : 0;
}
