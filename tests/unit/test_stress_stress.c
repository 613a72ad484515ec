/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stress sizes, commands, and a real small stress on this host (migration/mig.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "migration/mig.h"

#define MiB MIG_MIB
#define GiB (1024ULL * MiB)

static const char meminfo_4g[] =
    "MemTotal:        4194304 kB\n"
    "MemFree:         3145728 kB\n"
    "MemAvailable:    3500000 kB\n";

START_TEST(test_meminfo_kib_are_turned_into_bytes)
{
    struct mig_meminfo mi;
    ck_assert_int_eq(mig_meminfo_parse(meminfo_4g, &mi), 0);
    ck_assert_uint_eq(mi.total, 4 * GiB);
    ck_assert_uint_eq(mi.free, 3 * GiB);
    ck_assert_int_eq(mig_meminfo_parse("MemTotal: 1 kB\n", &mi), -1);
}
END_TEST

START_TEST(test_local_meminfo_is_plausible)
{
    struct mig_meminfo mi;
    ck_assert_int_eq(mig_meminfo_read_local(&mi), 0);
    ck_assert_uint_gt(mi.total, 64 * MiB);          /* bytes, not KiB */
    ck_assert_uint_le(mi.free, mi.total);
}
END_TEST

START_TEST(test_half_is_half_of_memory_beyond_the_vms_in_bytes)
{
    struct mig_meminfo mi = { .total = 4 * GiB, .free = 3 * GiB };
    unsigned long long b;
    ck_assert_int_eq(mig_stress_total_bytes("half", &mi, 2 * 512 * MiB, false, &b), 0);
    ck_assert_uint_eq(b, 1536 * MiB);
    /* the reference's arithmetic on KiB values would give 1536 Ki "bytes" */
    ck_assert_uint_ne(b, 1536 * 1024);
}
END_TEST

START_TEST(test_shortage_leaves_512mib_less_free_than_the_vms_need)
{
    struct mig_meminfo mi = { .total = 4 * GiB, .free = 3 * GiB };
    unsigned long long b;
    ck_assert_int_eq(mig_stress_total_bytes("shortage", &mi, 1 * GiB, false, &b), 0);
    ck_assert_uint_eq(b, 2 * GiB + 512 * MiB);
    ck_assert_uint_eq(mi.free - b, 1 * GiB - 512 * MiB);     /* free after < VMs' 1 GiB */
}
END_TEST

START_TEST(test_shortage_in_a_guest_is_half)
{
    struct mig_meminfo mi = { .total = 128 * MiB, .free = 100 * MiB };
    unsigned long long b;
    ck_assert_int_eq(mig_stress_total_bytes("shortage", &mi, 0, true, &b), 0);
    ck_assert_uint_eq(b, 64 * MiB);
}
END_TEST

START_TEST(test_sizes_that_leave_nothing_are_errors)
{
    struct mig_meminfo mi = { .total = 1 * GiB, .free = 100 * MiB };
    unsigned long long b;
    ck_assert_int_eq(mig_stress_total_bytes("half", &mi, 2 * GiB, false, &b), -1);
    ck_assert_int_eq(mig_stress_total_bytes("shortage", &mi, 1 * GiB, false, &b), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "nothing left"));
    ck_assert_int_eq(mig_stress_total_bytes("huge", &mi, 0, false, &b), -1);
    ck_assert_int_eq(mig_stress_total_bytes(NULL, &mi, 0, false, &b), 0);
    ck_assert_uint_eq(b, 128 * MiB);
}
END_TEST

START_TEST(test_workers_are_read_from_args)
{
    ck_assert_uint_eq(mig_stress_workers("--vm 4 --vm-bytes %s --vm-keep", "--vm"), 4);
    ck_assert_uint_eq(mig_stress_workers("--cpu 2 --vm=3", "--vm"), 3);
    ck_assert_uint_eq(mig_stress_workers("--cpu 2 --vm-bytes 1M", "--vm"), 1);
    ck_assert_uint_eq(mig_stress_workers("", "--vm"), 1);
}
END_TEST

START_TEST(test_argv_divides_the_total_per_worker_in_plain_bytes)
{
    struct mig_meminfo mi = { .total = 4 * GiB, .free = 3 * GiB };
    char **argv = mig_stress_argv("stress", "--vm 4 --vm-bytes %s --vm-keep --timeout 3600",
                                   "half", &mi, 2 * 512 * MiB, false);
    ck_assert_ptr_nonnull(argv);
    ck_assert_str_eq(argv[0], "stress");
    ck_assert_str_eq(argv[3], "--vm-bytes");
    char want[32];
    snprintf(want, sizeof(want), "%llu", 1536 * MiB / 4);
    ck_assert_str_eq(argv[4], want);                 /* 402653184: no float, no suffix */
    ck_assert_str_eq(argv[7], "3600");
    ck_assert_ptr_null(argv[8]);
    mig_stress_argv_free(argv);
}
END_TEST

START_TEST(test_argv_without_percent_s_needs_no_memory_facts)
{
    char **argv = mig_stress_argv("stress-ng", "--cpu 4 --quiet --timeout 3600", NULL, NULL, 0, false);
    ck_assert_ptr_nonnull(argv);
    ck_assert_str_eq(argv[0], "stress-ng");
    ck_assert_str_eq(argv[2], "4");
    mig_stress_argv_free(argv);
    ck_assert_ptr_null(mig_stress_argv("stress", "--vm 1 --vm-bytes %s", "half", NULL, 0, false));
    ck_assert_ptr_null(mig_stress_argv("rm -rf /", "", NULL, NULL, 0, false));
    ck_assert_ptr_null(mig_stress_argv("", "", NULL, NULL, 0, false));
}
END_TEST

START_TEST(test_scripts_quote_arguments_and_reject_bad_tags)
{
    char *argv[] = { "stress", "--cpu", "1';reboot;'", NULL };
    char *s = mig_stress_start_script(argv, "vm1");
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(strstr(s, "'1'\\'';reboot;'\\'''"));
    ck_assert_ptr_null(strstr(s, "sh -c '1"));
    free(s);
    ck_assert_ptr_null(mig_stress_start_script(argv, "a b"));
    ck_assert_ptr_null(mig_stress_stop_script("../x"));
}
END_TEST

/* Run a script with sh; stdout into out; its exit status. */
static int run_sh(const char *script, struct strbuf *out)
{
    struct spawn *c = spawn_new("sh");
    int st = -1;
    spawn_args(c, "-c", script, NULL);
    spawn_set_output(c, out, NULL);
    ck_assert_msg(spawn_run(c, &st) == 0, "%s", err_msg());
    spawn_free(c);
    return st;
}

/* The guest path when the guest has no stress binary: the busybox-compatible loop
 * starts, is seen running, and the stop script leaves nothing behind. */
START_TEST(test_fallback_loop_starts_and_stops_completely)
{
    char *argv[] = { "vtrun-no-such-stress-tool", "--cpu", "1", "--vm", "1",
                     "--vm-bytes", "8M", "--timeout", "30", NULL };
    char tag[64];
    snprintf(tag, sizeof(tag), "unit-%d", (int)getpid());
    char *start = mig_stress_start_script(argv, tag);
    char *probe = mig_stress_probe_script(tag);
    char *stop = mig_stress_stop_script(tag);
    struct strbuf out = STRBUF_INIT;

    ck_assert_int_eq(run_sh(start, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.buf, "started "));
    strbuf_reset(&out);
    usleep(200 * 1000);
    run_sh(probe, &out);
    ck_assert_str_eq(out.buf, "running\n");
    strbuf_reset(&out);
    ck_assert_int_eq(run_sh(stop, &out), 0);
    ck_assert_str_eq(out.buf, "stopped\n");
    strbuf_reset(&out);
    run_sh(probe, &out);
    ck_assert_str_eq(out.buf, "gone\n");
    strbuf_release(&out);
    free(start);
    free(probe);
    free(stop);
}
END_TEST

/* A tool that refuses its arguments: the start script says its own words and exits 3,
 * and leaves no pid file behind (issue 15: bad stress_args FAIL with the tool's
 * message). */
START_TEST(test_a_tool_that_exits_at_once_is_reported_with_its_words)
{
    char *argv[] = { "sh", "-c", "echo 'stress: FAIL: unrecognized option: --vm-bogus' >&2; "
                     "exit 1", NULL };
    char tag[64];
    snprintf(tag, sizeof(tag), "unit-died-%d", (int)getpid());
    char *start = mig_stress_start_script(argv, tag);
    char *stop = mig_stress_stop_script(tag);
    struct strbuf out = STRBUF_INIT;
    ck_assert_int_eq(run_sh(start, &out), 3);
    ck_assert_msg(strstr(out.buf, "died: stress: FAIL: unrecognized option: --vm-bogus"),
                  "%s", out.buf);
    char *pidf = xasprintf("/tmp/vtrun-stress-%s.pid", tag);
    ck_assert_int_ne(access(pidf, F_OK), 0);
    strbuf_reset(&out);
    ck_assert_int_eq(run_sh(stop, &out), 0);
    char *logf = xasprintf("/tmp/vtrun-stress-%s.log", tag);
    ck_assert_int_ne(access(logf, F_OK), 0);
    free(pidf);
    free(logf);
    free(start);
    free(stop);
    strbuf_release(&out);
}
END_TEST

/* A tool that ran its course (exit 0) before the start script looked: started, not
 * died -- a guest's hogs can starve the script's short sleeps past a --timeout. */
START_TEST(test_a_tool_that_ended_with_status_zero_has_started)
{
    char *argv[] = { "sh", "-c", "echo 'stress: info: successful run completed in 0s'", NULL };
    char tag[64];
    snprintf(tag, sizeof(tag), "unit-done-%d", (int)getpid());
    char *start = mig_stress_start_script(argv, tag);
    char *stop = mig_stress_stop_script(tag);
    struct strbuf out = STRBUF_INIT;
    ck_assert_int_eq(run_sh(start, &out), 0);
    ck_assert_msg(strstr(out.buf, "started ") && strstr(out.buf, "ended by itself"), "%s",
                  out.buf);
    strbuf_reset(&out);
    ck_assert_int_eq(run_sh(stop, &out), 0);
    free(start);
    free(stop);
    strbuf_release(&out);
}
END_TEST

/* CI's host stress: one CPU worker, 32 MiB, 2 s timeout; stop leaves nothing. */
START_TEST(test_small_host_stress_runs_and_is_gone_after_stop)
{
    char **argv = mig_stress_argv("stress", "--cpu 1 --vm 1 --vm-bytes 32M --timeout 2",
                                   NULL, NULL, 0, false);
    struct mig_stress_proc p;
    ck_assert_msg(mig_stress_local_start(argv, NULL, &p) == 0, "%s", err_msg());
    usleep(300 * 1000);
    ck_assert(mig_stress_local_alive(&p));
    pid_t pgid = spawn_pid(p.sp);
    ck_assert_int_gt(pgid, 0);
    ck_assert_int_eq(mig_stress_local_stop(&p, 1.0), 0);
    ck_assert(!mig_stress_local_alive(&p));
    ck_assert(!spawn_group_alive(pgid));
    ck_assert_int_eq(mig_stress_local_stop(&p, 1.0), 0);    /* idempotent */
    mig_stress_argv_free(argv);
}
END_TEST

START_TEST(test_host_stress_that_ends_by_itself_is_reaped)
{
    char **argv = mig_stress_argv("stress", "--cpu 1 --timeout 1", NULL, NULL, 0, false);
    struct mig_stress_proc p;
    ck_assert_int_eq(mig_stress_local_start(argv, NULL, &p), 0);
    sleep(2);
    ck_assert(!mig_stress_local_alive(&p));
    ck_assert_int_eq(mig_stress_local_stop(&p, 0.5), 0);
    mig_stress_argv_free(argv);
}
END_TEST

START_TEST(test_missing_host_tool_is_an_error_not_a_download)
{
    char *argv[] = { "vtrun-no-such-stress-tool", "--cpu", "1", NULL };
    struct mig_stress_proc p;
    ck_assert_int_eq(mig_stress_local_start(argv, NULL, &p), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "never builds"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress_stress");
    TCase *tc = tcase_create("sizes");
    tcase_add_test(tc, test_meminfo_kib_are_turned_into_bytes);
    tcase_add_test(tc, test_local_meminfo_is_plausible);
    tcase_add_test(tc, test_half_is_half_of_memory_beyond_the_vms_in_bytes);
    tcase_add_test(tc, test_shortage_leaves_512mib_less_free_than_the_vms_need);
    tcase_add_test(tc, test_shortage_in_a_guest_is_half);
    tcase_add_test(tc, test_sizes_that_leave_nothing_are_errors);
    tcase_add_test(tc, test_workers_are_read_from_args);
    tcase_add_test(tc, test_argv_divides_the_total_per_worker_in_plain_bytes);
    tcase_add_test(tc, test_argv_without_percent_s_needs_no_memory_facts);
    tcase_add_test(tc, test_scripts_quote_arguments_and_reject_bad_tags);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real");
    tcase_set_timeout(real, 30);
    tcase_add_test(real, test_fallback_loop_starts_and_stops_completely);
    tcase_add_test(real, test_a_tool_that_exits_at_once_is_reported_with_its_words);
    tcase_add_test(real, test_a_tool_that_ended_with_status_zero_has_started);
    tcase_add_test(real, test_small_host_stress_runs_and_is_gone_after_stop);
    tcase_add_test(real, test_host_stress_that_ends_by_itself_is_reaped);
    tcase_add_test(real, test_missing_host_tool_is_an_error_not_a_download);
    suite_add_tcase(s, real);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
