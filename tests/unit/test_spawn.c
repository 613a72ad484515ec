/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/spawn: real programs (true, false, sh, cat, head), no mocks. */
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <stdatomic.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

START_TEST(test_true_exits_zero)
{
    struct spawn *c = spawn_new("true");
    int st = -1;
    ck_assert_int_eq(spawn_run(c, &st), 0);
    ck_assert_int_eq(st, 0);
    ck_assert_int_eq(spawn_end(c), SPAWN_EXITED);
    spawn_free(c);
}
END_TEST

START_TEST(test_false_status_returned_or_error_without_status)
{
    struct spawn *c = spawn_new("false");
    int st = -1;
    ck_assert_int_eq(spawn_run(c, &st), 0);
    ck_assert_int_eq(st, 1);
    /* Without a place for the status, non-zero exit is an error with the command. */
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "false: exit status 1"));
    spawn_free(c);
}
END_TEST

START_TEST(test_missing_program_reports_exec_error)
{
    struct spawn *c = spawn_new("/nonexistent/vtrun-no-such-prog");
    int st = -1;
    ck_assert_int_eq(spawn_run(c, &st), -1);
    ck_assert_int_eq(spawn_end(c), SPAWN_NOT_RUN);
    ck_assert_ptr_nonnull(strstr(err_msg(), "No such file"));
    spawn_free(c);
}
END_TEST

START_TEST(test_stdout_and_stderr_captured_separately)
{
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "echo out; echo err >&2; exit 3", NULL);
    spawn_set_output(c, &out, &err);
    int st = -1;
    ck_assert_int_eq(spawn_run(c, &st), 0);
    ck_assert_int_eq(st, 3);
    ck_assert_str_eq(out.buf, "out\n");
    ck_assert_str_eq(err.buf, "err\n");
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&err);
}
END_TEST

START_TEST(test_stdin_data_reaches_child)
{
    struct strbuf out = STRBUF_INIT;
    struct spawn *c = spawn_new("cat");
    spawn_set_stdin(c, "hello\nworld\n", 12);
    spawn_set_output(c, &out, NULL);
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    ck_assert_str_eq(out.buf, "hello\nworld\n");
    spawn_free(c);
    strbuf_release(&out);
}
END_TEST

START_TEST(test_large_stdin_and_stdout_do_not_deadlock)
{
    /* 8 MiB through cat both ways: far above any pipe buffer. */
    size_t n = 8u << 20;
    char *data = malloc(n);
    struct strbuf out = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        data[i] = 'a' + (char)(i % 26);
    struct spawn *c = spawn_new("cat");
    spawn_set_stdin(c, data, n);
    spawn_set_output(c, &out, NULL);
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    ck_assert_uint_eq(out.len, n);
    ck_assert(memcmp(out.buf, data, n) == 0);
    spawn_free(c);
    strbuf_release(&out);
    free(data);
}
END_TEST

START_TEST(test_large_output_captured_whole)
{
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    /* 20 MiB on stdout and some stderr at the same time. */
    spawn_args(c, "-c", "head -c 20971520 /dev/zero; head -c 100000 /dev/zero >&2", NULL);
    spawn_set_output(c, &out, &err);
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    ck_assert_uint_eq(out.len, 20971520);
    ck_assert_uint_eq(err.len, 100000);
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&err);
}
END_TEST

START_TEST(test_child_closing_stdin_early_does_not_kill_us)
{
    size_t n = 4u << 20;
    char *data = calloc(1, n);
    struct spawn *c = spawn_new("true");
    int st = -1;
    spawn_set_stdin(c, data, n);
    ck_assert_int_eq(spawn_run(c, &st), 0);
    ck_assert_int_eq(st, 0);
    spawn_free(c);
    free(data);
}
END_TEST

/* Gone or a zombie (reparented to an init that reaps lazily): not running. */
static int running(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_timeout_kills_whole_process_group)
{
    struct strbuf out = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    /* The shell forks sleep; both must die, and the pipe the sleep holds must not keep
     * us waiting. The grandchild prints its pid so we can check it is gone. */
    spawn_args(c, "-c", "sleep 5 & echo $!; wait", NULL);
    spawn_set_output(c, &out, NULL);
    spawn_set_timeout(c, 0.3);
    double t0 = mono();
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    double dt = mono() - t0;
    ck_assert_int_eq(spawn_end(c), SPAWN_TIMEOUT);
    ck_assert_msg(dt < 2.0, "took %.2f s", dt);
    ck_assert_ptr_nonnull(strstr(err_msg(), "timed out"));
    pid_t gc = (pid_t)atoi(out.buf);
    ck_assert_int_gt(gc, 0);
    usleep(50000);
    ck_assert_msg(!running(gc), "grandchild %d survived", (int)gc);
    spawn_free(c);
    strbuf_release(&out);
}
END_TEST

START_TEST(test_timeout_escalates_to_sigkill)
{
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "trap '' TERM; sleep 5", NULL);
    spawn_set_timeout(c, 0.2);
    spawn_set_kill_grace(c, 0.2);
    double t0 = mono();
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_int_eq(spawn_end(c), SPAWN_TIMEOUT);
    ck_assert_msg(mono() - t0 < 2.0, "SIGKILL not sent in time");
    spawn_free(c);
}
END_TEST

static atomic_bool cancel_flag;

static void on_alarm(int sig)
{
    (void)sig;
    cancel_flag = 1;
}

START_TEST(test_cancel_flag_stops_child)
{
    struct spawn *c = spawn_new("sleep");
    spawn_arg(c, "5");
    cancel_flag = 0;
    spawn_set_cancel(c, &cancel_flag);
    signal(SIGALRM, on_alarm);
    ualarm(200000, 0);
    double t0 = mono();
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_int_eq(spawn_end(c), SPAWN_CANCELLED);
    ck_assert_msg(mono() - t0 < 2.0, "cancel not noticed");
    spawn_free(c);
}
END_TEST

START_TEST(test_signal_death_reported)
{
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "kill -9 $$", NULL);
    int st = 0;
    ck_assert_int_eq(spawn_run(c, &st), -1);
    ck_assert_int_eq(spawn_end(c), SPAWN_SIGNALED);
    ck_assert_ptr_nonnull(strstr(err_msg(), "signal 9"));
    spawn_free(c);
}
END_TEST

START_TEST(test_command_line_quoted_and_secrets_masked)
{
    struct strbuf s = STRBUF_INIT;
    struct spawn *c = spawn_new("sshpass");
    spawn_arg(c, "-p");
    spawn_arg_secret(c, "hunter2");
    spawn_arg_pair_secret(c, "--password=", "s3cret");
    spawn_args(c, "two words", "it's", "plain-arg_1.qcow2", "", NULL);
    spawn_setenv(c, "LC_ALL", "C");
    spawn_to_string(c, &s);
    ck_assert_str_eq(s.buf, "LC_ALL=C sshpass -p *** --password=*** 'two words' "
                            "'it'\\''s' plain-arg_1.qcow2 ''");
    ck_assert_ptr_null(strstr(s.buf, "hunter2"));
    spawn_free(c);
    strbuf_release(&s);
}
END_TEST

START_TEST(test_error_message_never_contains_secret)
{
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "exit 2", NULL);
    spawn_arg_secret(c, "hunter2");
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_ptr_null(strstr(err_msg(), "hunter2"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "***"));
    spawn_free(c);
}
END_TEST

static void log_line(void *ud, const char *line)
{
    strbuf_addstr(ud, line);
}

START_TEST(test_env_cwd_and_log_hook)
{
    struct strbuf out = STRBUF_INIT, log = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "echo $VTRUN_X; pwd", NULL);
    spawn_setenv(c, "VTRUN_X", "42");
    spawn_set_cwd(c, "/");
    spawn_set_output(c, &out, NULL);
    spawn_set_log(c, log_line, &log);
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    ck_assert_str_eq(out.buf, "42\n/\n");
    ck_assert_str_eq(log.buf, "VTRUN_X=42 sh -c 'echo $VTRUN_X; pwd'");
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&log);
}
END_TEST

START_TEST(test_exited_child_with_daemon_holding_pipe_returns)
{
    struct strbuf out = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    /* A "daemon" keeps stdout open after the program exits: we must not wait for it. */
    spawn_args(c, "-c", "echo started; (sleep 3; echo late) & echo $!", NULL);
    spawn_set_output(c, &out, NULL);
    double t0 = mono();
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    ck_assert_msg(mono() - t0 < 1.5, "waited for the daemon");
    ck_assert_ptr_nonnull(strstr(out.buf, "started\n"));
    char *nl = strchr(out.buf, '\n');
    pid_t d = (pid_t)atoi(nl + 1);
    if (d > 0)
        kill(-d, SIGKILL), kill(d, SIGKILL);
    spawn_free(c);
    strbuf_release(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("spawn");
    TCase *tc = tcase_create("spawn");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_true_exits_zero);
    tcase_add_test(tc, test_false_status_returned_or_error_without_status);
    tcase_add_test(tc, test_missing_program_reports_exec_error);
    tcase_add_test(tc, test_stdout_and_stderr_captured_separately);
    tcase_add_test(tc, test_stdin_data_reaches_child);
    tcase_add_test(tc, test_large_stdin_and_stdout_do_not_deadlock);
    tcase_add_test(tc, test_large_output_captured_whole);
    tcase_add_test(tc, test_child_closing_stdin_early_does_not_kill_us);
    tcase_add_test(tc, test_timeout_kills_whole_process_group);
    tcase_add_test(tc, test_timeout_escalates_to_sigkill);
    tcase_add_test(tc, test_cancel_flag_stops_child);
    tcase_add_test(tc, test_signal_death_reported);
    tcase_add_test(tc, test_command_line_quoted_and_secrets_masked);
    tcase_add_test(tc, test_error_message_never_contains_secret);
    tcase_add_test(tc, test_env_cwd_and_log_hook);
    tcase_add_test(tc, test_exited_child_with_daemon_holding_pipe_returns);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
