/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Post-migration checks: dmesg scan and the table's order and naming
 * (migration/mig.h).  The environment here is a fault injector: it answers
 * like a VM set would and breaks exactly one thing per test. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "lib/err.h"
#include "lib/clock.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

START_TEST(test_dmesg_crash_lines_at_every_level_are_found)
{
    struct strbuf bad = STRBUF_INIT;
    const char *log =
        "<6>[    1.0] virtio_net virtio0 eth0: renamed\n"
        "<4>[   12.5] WARNING: CPU: 0 PID: 1 at mm/x.c:1\n"
        "<4>[   12.5] Call Trace:\n"
        "<0>[   13.0] Kernel panic - not syncing: sysrq triggered crash\n"
        "<4>[   13.1] ---[ end trace 0000000000000000 ]---\n"
        "<1>[   14.0] BUG: unable to handle page fault\n"
        "<6>[   15.0] Oops: 0002 [#1] SMP\n";
    ck_assert_int_eq(mig_dmesg_scan(log, 0, NULL, &bad), 5);
    ck_assert_ptr_nonnull(strstr(bad.buf, "Call Trace"));   /* a warning-level trace too */
    strbuf_release(&bad);
}
END_TEST

START_TEST(test_dmesg_level_limits_like_avocado_when_asked)
{
    struct strbuf bad = STRBUF_INIT;
    const char *log = "<4>[ 1.0] Call Trace:\n<2>[ 2.0] BUG: soft lockup\n";
    ck_assert_int_eq(mig_dmesg_scan(log, 3, NULL, &bad), 1);
    ck_assert_str_eq(bad.buf, "[ 2.0] BUG: soft lockup\n");
    strbuf_release(&bad);
}
END_TEST

START_TEST(test_dmesg_expected_lines_are_ignored)
{
    struct strbuf bad = STRBUF_INIT;
    const char *log = "[ 1.0] BUG: known harmless thing\n[ 2.0] Oops: real\nplain line\n";
    ck_assert_int_eq(mig_dmesg_scan(log, 0, "known harmless|other", &bad), 1);
    ck_assert_str_eq(bad.buf, "[ 2.0] Oops: real\n");
    ck_assert_int_eq(mig_dmesg_scan(log, 0, "(unclosed", &bad), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "expected_guest_dmesg"));
    strbuf_release(&bad);
}
END_TEST

START_TEST(test_dest_state_words)
{
    const struct params_word *w = mig_pc_state_words;
    ck_assert_int_eq(params_word_find(w, "running")->value, BE_STATE_RUNNING);
    ck_assert_int_eq(params_word_find(w, "paused")->value, BE_STATE_PAUSED);
    ck_assert_int_eq(params_word_find(w, "shut off")->value, BE_STATE_SHUTOFF);
    ck_assert_int_eq(params_word_find(w, "shutoff")->value, BE_STATE_SHUTOFF);
    ck_assert_ptr_null(params_word_find(w, "dancing"));
}
END_TEST

/* ---- the fault injector ----------------------------------------------------------- */

struct fake {
    enum be_state on[2];
    int state_settles_after;    /* state calls that still see the old place */
    int state_calls;
    bool crash;
    bool login_fails;
    double uptime;
    const char *dmesg;
    bool ping_fails;
    bool gateway_fails;
    int gateway_pings;          /* gateway commands run */
    bool disk_lies;
    struct strbuf last_cmd;     /* the last disk check command */
    struct strbuf log;
    /* the host's ping started (set by f_ping); the dmesg check waits for it up to
     * 2 s when wait_ping, and says whether it came */
    atomic_bool ping_started;
    bool wait_ping, dmesg_saw_ping;
};

static int f_state(void *ud, size_t vm, int host, enum be_state *out)
{
    struct fake *f = ud;
    (void)vm;
    if (f->state_calls++ < f->state_settles_after) {
        *out = host == 1 ? BE_STATE_PAUSED : BE_STATE_RUNNING;
        return 0;
    }
    *out = f->on[host];
    return 0;
}

static int f_console(void *ud, size_t vm)
{
    struct fake *f = ud;
    (void)vm;
    if (f->crash) {
        err_set("console of vm1: Kernel panic - not syncing: sysrq triggered crash");
        return 1;
    }
    return 0;
}

static int f_login(void *ud, size_t vm, double t)
{
    struct fake *f = ud;
    (void)vm;
    (void)t;
    if (f->login_fails) {
        err_set("ssh 192.168.123.10: connection timed out");
        return -1;
    }
    return 0;
}

static int f_exec(void *ud, size_t vm, const char *cmd, double t, struct strbuf *out, int *status)
{
    struct fake *f = ud;
    (void)vm;
    (void)t;
    *status = 0;
    if (!strncmp(cmd, "dmesg", 5)) {
        for (int i = 0; f->wait_ping && !atomic_load(&f->ping_started) && i < 200; i++)
            clock_sleep(0.01);
        f->dmesg_saw_ping = atomic_load(&f->ping_started);
        strbuf_addstr(out, f->dmesg ? f->dmesg : "");
    } else if (!strncmp(cmd, "gw=", 3)) {
        /* the gateway check: ping from inside, bounded by -c and -W */
        f->gateway_pings++;
        ck_assert_ptr_nonnull(strstr(cmd, "ping -c 3 -i 0.2 -W 2 \"$gw\""));
        if (f->gateway_fails) {
            strbuf_addstr(out, "192.168.126.1: 3 packets transmitted, 0 packets received, "
                               "100% packet loss\n");
            *status = 1;
        }
    } else {
        /* the disk check: echo back the token it wrote, single-quoted (or a stale
         * line) */
        const char *e = strstr(cmd, "echo 'vtrun-disk-check");
        ck_assert_ptr_nonnull(e);
        const char *tok = e + 6;
        size_t len = strcspn(tok, "'");
        strbuf_reset(&f->last_cmd);
        strbuf_addstr(&f->last_cmd, cmd);
        if (f->disk_lies)
            strbuf_addstr(out, "stale\n");
        else {
            strbuf_add(out, tok, len);
            strbuf_addch(out, '\n');
        }
    }
    return 0;
}

static int f_uptime(void *ud, size_t vm, double *up)
{
    struct fake *f = ud;
    (void)vm;
    *up = f->uptime;
    return 0;
}

static int f_ping(void *ud, size_t vm, int host, unsigned n)
{
    struct fake *f = ud;
    (void)vm;
    (void)n;
    ck_assert_int_eq(host, 1);      /* from the target host */
    atomic_store(&f->ping_started, true);
    if (f->ping_fails) {
        err_set("100%% packet loss");
        return -1;
    }
    return 0;
}

static void f_log(void *ud, const char *line)
{
    struct fake *f = ud;
    strbuf_addf(&f->log, "%s\n", line);
}

static struct fake F;
static struct mig_pc_env env = { &F, f_state, f_console, f_login, f_exec, f_uptime, f_ping, NULL };
static struct mig_pc_opts opts;
static struct mig_pc_vm vm;

static void setup(void)
{
    memset(&F, 0, sizeof(F));
    strbuf_init(&F.log, 0);
    strbuf_init(&F.last_cmd, 0);
    F.on[0] = BE_STATE_NONE;
    F.on[1] = BE_STATE_RUNNING;
    F.uptime = 100;
    mig_pc_opts_default(&opts);
    opts.retry_delay_s = 0.01;
    opts.mig_flags = BE_MIG_LIVE | BE_MIG_PERSISTENT | BE_MIG_UNDEFINE_SOURCE;
    vm = (struct mig_pc_vm){ .vm = 0, .name = "vm1", .src = 0, .dst = 1,
                              .uptime_before = 50, .serial = 1 };
}

static void teardown(void)
{
    strbuf_release(&F.log);
    strbuf_release(&F.last_cmd);
}

/* Runs the table; returns the failure text ("" when all passed). */
static char *run(void)
{
    struct strbuf why = STRBUF_INIT;
    int r = mig_postcheck_run(&env, &opts, &vm, &why, f_log, &F);
    ck_assert_int_eq(r, why.len ? -1 : 0);
    return strbuf_detach(&why, NULL);
}

START_TEST(test_healthy_vm_passes_all_checks_in_order)
{
    char *why = run();
    ck_assert_str_eq(why, "");
    const char *order[] = { "state", "console", "ssh", "uptime", "dmesg", "ping", "disk" };
    const char *p = F.log.buf;
    for (size_t i = 0; i < 7; i++) {
        char want[64];
        snprintf(want, sizeof(want), "post-check vm1 %s: PASS", order[i]);
        const char *hit = strstr(p, want);
        ck_assert_msg(hit, "missing or out of order: %s in\n%s", want, F.log.buf);
        p = hit;
    }
    ck_assert(vm.uptime_before == 100);     /* recorded for the next hop */
    free(why);
}
END_TEST

/* The host's ping of the guest needs no guest session: it starts once the login
 * passed and runs while the guest's own checks do, its line still in its turn. */
START_TEST(test_host_ping_runs_beside_the_guest_checks)
{
    F.wait_ping = true;
    char *why = run();
    ck_assert_str_eq(why, "");
    ck_assert_msg(F.dmesg_saw_ping, "the ping waited for the guest checks before it");
    free(why);
    teardown();
    setup();
    F.wait_ping = true;
    F.login_fails = true;       /* no login: no ping, early or not */
    why = run();
    ck_assert(!atomic_load(&F.ping_started));
    free(why);
}
END_TEST

START_TEST(test_gateway_reach_is_pinged_from_inside_and_named_on_failure)
{
    opts.check_gateway = true;
    char *why = run();
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(F.gateway_pings, 1);
    ck_assert_ptr_nonnull(strstr(F.log.buf, "post-check vm1 gateway: PASS"));
    free(why);
    F.gateway_fails = true;
    why = run();
    ck_assert_msg(strstr(why, "gateway: the guest does not reach its gateway (default route): "
                         "192.168.126.1: 3 packets transmitted, 0 packets received"),
                  "%s", why);
    free(why);
}
END_TEST

START_TEST(test_state_is_retried_until_the_hop_settles)
{
    F.state_settles_after = 2;
    char *why = run();
    ck_assert_str_eq(why, "");
    free(why);
}
END_TEST

START_TEST(test_vm_left_running_on_source_fails_state)
{
    F.on[0] = BE_STATE_RUNNING;
    char *why = run();
    ck_assert_str_eq(why, "state: running on the source, expected gone");
    free(why);
}
END_TEST

START_TEST(test_shut_off_copy_on_source_is_fine_without_undefinesource)
{
    F.on[0] = BE_STATE_SHUTOFF;
    opts.mig_flags = BE_MIG_LIVE | BE_MIG_P2P;
    char *why = run();
    ck_assert_str_eq(why, "");
    free(why);
}
END_TEST

START_TEST(test_guest_panic_fails_the_console_check_by_name)
{
    F.crash = true;
    F.login_fails = true;
    char *why = run();
    ck_assert_msg(!strncmp(why, "console: ", 9), "%s", why);
    ck_assert_ptr_nonnull(strstr(why, "Kernel panic"));
    free(why);
}
END_TEST

START_TEST(test_no_login_without_crash_blames_the_network)
{
    F.login_fails = true;
    char *why = run();
    ck_assert_msg(!strncmp(why, "ssh: no login, the network failed", 33), "%s", why);
    free(why);
}
END_TEST

START_TEST(test_smaller_uptime_is_a_reboot)
{
    F.uptime = 3;
    char *why = run();
    ck_assert_msg(!strncmp(why, "uptime: ", 8) && strstr(why, "rebooted"), "%s", why);
    free(why);
}
END_TEST

START_TEST(test_unknown_uptime_before_only_records)
{
    vm.uptime_before = -1;
    F.uptime = 3;
    char *why = run();
    ck_assert_str_eq(why, "");
    ck_assert(vm.uptime_before == 3);
    free(why);
}
END_TEST

START_TEST(test_call_trace_in_dmesg_fails_unless_expected)
{
    F.dmesg = "<4>[ 5.0] Call Trace:\n";
    char *why = run();
    ck_assert_str_eq(why, "dmesg: 1 kernel crash line(s): [ 5.0] Call Trace:");
    free(why);
    opts.expected_dmesg = "Call Trace";
    why = run();
    ck_assert_str_eq(why, "");
    free(why);
}
END_TEST

START_TEST(test_ping_failure_is_named_and_can_be_turned_off)
{
    F.ping_fails = true;
    char *why = run();
    ck_assert_msg(!strncmp(why, "ping: ", 6), "%s", why);
    free(why);
    opts.check_ping = false;
    why = run();
    ck_assert_str_eq(why, "");
    free(why);
}
END_TEST

START_TEST(test_dmesg_check_can_be_turned_off)
{
    F.dmesg = "<4>[ 5.0] Call Trace:\n";
    opts.check_dmesg = false;
    char *why = run();
    ck_assert_str_eq(why, "");
    free(why);
}
END_TEST

START_TEST(test_no_ping_function_means_no_ping_check)
{
    F.ping_fails = true;
    env.ping = NULL;
    char *why = run();
    env.ping = f_ping;
    ck_assert_str_eq(why, "");
    free(why);
}
END_TEST

/* The VM name comes from params: in the guest command it is inside single quotes. */
START_TEST(test_disk_check_quotes_a_hostile_vm_name)
{
    vm.name = "vms1 x;id;$(reboot)";
    char *why = run();
    ck_assert_str_eq(why, "");
    ck_assert_msg(strstr(F.last_cmd.buf, "echo 'vtrun-disk-check-vms1 x;id;$(reboot)-1-"),
                  "%s", F.last_cmd.buf);
    free(why);
}
END_TEST

START_TEST(test_disk_read_back_mismatch_fails)
{
    F.disk_lies = true;
    char *why = run();
    ck_assert_msg(!strncmp(why, "disk: wrote 'vtrun-disk-check-vm1-1-", 36), "%s", why);
    free(why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_postcheck");
    TCase *tc = tcase_create("dmesg");
    tcase_add_test(tc, test_dmesg_crash_lines_at_every_level_are_found);
    tcase_add_test(tc, test_dmesg_level_limits_like_avocado_when_asked);
    tcase_add_test(tc, test_dmesg_expected_lines_are_ignored);
    tcase_add_test(tc, test_dest_state_words);
    suite_add_tcase(s, tc);
    TCase *t = tcase_create("table");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_healthy_vm_passes_all_checks_in_order);
    tcase_add_test(t, test_host_ping_runs_beside_the_guest_checks);
    tcase_add_test(t, test_state_is_retried_until_the_hop_settles);
    tcase_add_test(t, test_gateway_reach_is_pinged_from_inside_and_named_on_failure);
    tcase_add_test(t, test_vm_left_running_on_source_fails_state);
    tcase_add_test(t, test_shut_off_copy_on_source_is_fine_without_undefinesource);
    tcase_add_test(t, test_guest_panic_fails_the_console_check_by_name);
    tcase_add_test(t, test_no_login_without_crash_blames_the_network);
    tcase_add_test(t, test_smaller_uptime_is_a_reboot);
    tcase_add_test(t, test_unknown_uptime_before_only_records);
    tcase_add_test(t, test_call_trace_in_dmesg_fails_unless_expected);
    tcase_add_test(t, test_ping_failure_is_named_and_can_be_turned_off);
    tcase_add_test(t, test_disk_read_back_mismatch_fails);
    tcase_add_test(t, test_disk_check_quotes_a_hostile_vm_name);
    tcase_add_test(t, test_dmesg_check_can_be_turned_off);
    tcase_add_test(t, test_no_ping_function_means_no_ping_check);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
