/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/spawn: real programs (true, false, sh, cat, head), no mocks. */
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "tests/support.h"

#include <stdatomic.h>
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
    char path[64];
    struct strbuf sb = STRBUF_INIT;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    char *p = strbuf_read_file(&sb, path, 512) > 0 ? strrchr(sb.buf, ')') : NULL;
    int yes = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    strbuf_release(&sb);
    return yes;
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
    double t0 = ts_now();
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    double dt = ts_now() - t0;
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
    double t0 = ts_now();
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_int_eq(spawn_end(c), SPAWN_TIMEOUT);
    ck_assert_msg(ts_now() - t0 < 2.0, "SIGKILL not sent in time");
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
    double t0 = ts_now();
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_int_eq(spawn_end(c), SPAWN_CANCELLED);
    ck_assert_msg(ts_now() - t0 < 2.0, "cancel not noticed");
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
    double t0 = ts_now();
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    ck_assert_msg(ts_now() - t0 < 1.5, "waited for the daemon");
    ck_assert_ptr_nonnull(strstr(out.buf, "started\n"));
    char *nl = strchr(out.buf, '\n');
    pid_t d = (pid_t)atoi(nl + 1);
    if (d > 0)
        kill(-d, SIGKILL), kill(d, SIGKILL);
    spawn_free(c);
    strbuf_release(&out);
}
END_TEST


/* ---- steps: start / pump / wait ----------------------------------------------------- */

/* Live (not zombie) processes whose process group is pgid. */
static int group_members(pid_t pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char path[300];
        struct strbuf sb = STRBUF_INIT;
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        if (strbuf_read_file(&sb, path, 512) > 0) {
            char *rp = strrchr(sb.buf, ')'), state;
            int ppid, pgrp;
            if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
                pgrp == pgid && state != 'Z' && state != 'X')
                n++;
        }
        strbuf_release(&sb);
    }
    closedir(d);
    return n;
}

START_TEST(test_start_returns_while_the_program_runs_and_wait_collects_it)
{
    struct strbuf out = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "sleep 0.3; echo done; exit 4", NULL);
    spawn_set_output(c, &out, NULL);
    double t0 = ts_now();
    ck_assert_msg(spawn_start(c) == 0, "%s", err_msg());
    ck_assert_double_lt(ts_now() - t0, 0.25);
    ck_assert_int_gt(spawn_pid(c), 0);
    ck_assert_int_eq(spawn_end(c), SPAWN_NOT_RUN);
    int st = -1;
    ck_assert_int_eq(spawn_wait(c, &st), 0);
    ck_assert_int_eq(st, 4);
    ck_assert_str_eq(out.buf, "done\n");
    ck_assert_int_eq(spawn_pid(c), 0);
    ck_assert_double_ge(spawn_elapsed(c), 0.25);
    spawn_free(c);
    strbuf_release(&out);
}
END_TEST

START_TEST(test_pump_delivers_output_before_the_program_ends)
{
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "echo first; echo oops >&2; sleep 5; echo never", NULL);
    spawn_set_output(c, &out, &err);
    ck_assert_int_eq(spawn_start(c), 0);
    double end = ts_now() + 3;
    while ((!strstr(out.buf, "first\n") || !strstr(err.buf, "oops\n")) && ts_now() < end)
        ck_assert_int_ge(spawn_pump(c, 50), 0);
    ck_assert_str_eq(out.buf, "first\n");
    ck_assert_str_eq(err.buf, "oops\n");
    ck_assert(spawn_alive(c));
    ck_assert_int_eq(spawn_stop(c, 1.0), 0);
    ck_assert_int_eq(spawn_end(c), SPAWN_STOPPED);
    ck_assert_ptr_null(strstr(out.buf, "never"));
    spawn_free(c);
    strbuf_release(&out);
    strbuf_release(&err);
}
END_TEST

START_TEST(test_exec_failure_is_an_error_of_start)
{
    struct spawn *c = spawn_new("vtrun-no-such-program");
    ck_assert_int_eq(spawn_start(c), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "cannot run vtrun-no-such-program: No such file"));
    ck_assert_int_eq(spawn_pid(c), 0);
    ck_assert_int_eq(spawn_wait(c, NULL), -1);      /* nothing to wait for */
    spawn_free(c);
}
END_TEST

START_TEST(test_second_start_while_running_is_refused)
{
    struct spawn *c = spawn_new("sleep");
    spawn_arg(c, "5");
    ck_assert_int_eq(spawn_start(c), 0);
    pid_t pid = spawn_pid(c);
    ck_assert_int_eq(spawn_start(c), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "still running"));
    ck_assert_int_eq(spawn_pid(c), pid);
    spawn_free(c);          /* kills and reaps it */
    ck_assert_int_eq(kill(pid, 0), -1);
}
END_TEST

/* ---- background: alive / stop / reap ------------------------------------------------ */

START_TEST(test_background_group_is_alive_then_stopped_and_gone)
{
    struct spawn *c = spawn_new("sh");
    /* the leader and two children: all of the group must go */
    spawn_args(c, "-c", "sleep 30 & sleep 30 & wait", NULL);
    ck_assert_int_eq(spawn_start(c), 0);
    pid_t pgid = spawn_pid(c);
    usleep(100000);
    ck_assert(spawn_alive(c));
    ck_assert_int_eq(group_members(pgid), 3);
    double t0 = ts_now();
    ck_assert_msg(spawn_stop(c, 2.0) == 0, "%s", err_msg());
    ck_assert_double_lt(ts_now() - t0, 1.5);          /* SIGTERM was enough */
    ck_assert_int_eq(spawn_end(c), SPAWN_STOPPED);
    ck_assert_int_eq(group_members(pgid), 0);
    ck_assert(!spawn_alive(c));
    ck_assert_int_eq(spawn_stop(c, 2.0), 0);        /* idempotent */
    ck_assert_int_eq(waitpid(pgid, NULL, WNOHANG), -1);     /* reaped */
    spawn_free(c);
}
END_TEST

START_TEST(test_stop_escalates_to_sigkill_after_the_grace_period)
{
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "trap '' TERM; while :; do sleep 0.05; done", NULL);
    ck_assert_int_eq(spawn_start(c), 0);
    pid_t pgid = spawn_pid(c);
    usleep(100000);
    double t0 = ts_now();
    ck_assert_int_eq(spawn_stop(c, 0.4), 0);
    double dt = ts_now() - t0;
    ck_assert_double_ge(dt, 0.35);
    ck_assert_double_lt(dt, 2.0);
    ck_assert_int_eq(group_members(pgid), 0);
    spawn_free(c);
}
END_TEST

START_TEST(test_member_left_by_an_exited_leader_keeps_the_group_alive)
{
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "sleep 30 & exit 0", NULL);
    ck_assert_int_eq(spawn_start(c), 0);
    pid_t pgid = spawn_pid(c);
    usleep(200000);
    ck_assert(spawn_alive(c));                      /* the sleep still runs */
    ck_assert_int_eq(spawn_stop(c, 1.0), 0);
    ck_assert_int_eq(group_members(pgid), 0);
    spawn_free(c);
}
END_TEST

START_TEST(test_background_that_ended_by_itself_is_reaped_with_its_status)
{
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "exit 3", NULL);
    ck_assert_int_eq(spawn_start(c), 0);
    double end = ts_now() + 3;
    while (spawn_alive(c) && ts_now() < end)
        usleep(20000);
    ck_assert(!spawn_alive(c));
    ck_assert_int_gt(spawn_pid(c), 0);              /* a zombie until reaped */
    ck_assert_int_eq(spawn_stop(c, 1.0), 0);
    ck_assert_int_eq(spawn_end(c), SPAWN_EXITED);
    ck_assert_int_eq(spawn_exit_status(c), 3);
    ck_assert_int_eq(spawn_pid(c), 0);
    spawn_free(c);
}
END_TEST

START_TEST(test_background_output_goes_to_a_file_appended)
{
    char path[] = "/tmp/vtrun-test-spawn-out-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "head\n", 5), 5);
    close(fd);
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "echo out; echo err >&2", NULL);
    spawn_set_output_file(c, path);
    ck_assert_int_eq(spawn_run(c, NULL), 0);
    struct strbuf sb = STRBUF_INIT;
    ck_assert_int_gt(strbuf_read_file(&sb, path, 0), 0);
    ck_assert_str_eq(sb.buf, "head\nout\nerr\n");
    unlink(path);
    spawn_free(c);
    strbuf_release(&sb);
}
END_TEST

/* ---- descriptors and death ---------------------------------------------------------- */

START_TEST(test_kept_descriptor_reaches_the_child_others_do_not)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    char *script = xasprintf("echo via-kept-fd >&%d", p[1]);
    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", script, NULL);
    int st = -1;
    ck_assert_int_eq(spawn_run(c, &st), 0);
    ck_assert_int_ne(st, 0);                        /* not passed: bad descriptor */
    spawn_keep_fd(c, p[1]);
    ck_assert_int_eq(spawn_run(c, &st), 0);
    ck_assert_int_eq(st, 0);
    char buf[64] = "";
    ck_assert_int_eq(read(p[0], buf, sizeof(buf) - 1), 12);
    ck_assert_str_eq(buf, "via-kept-fd\n");
    ck_assert_int_eq(fcntl(p[1], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);    /* ours as it was */
    spawn_free(c);
    spawn_keep_fd(c = spawn_new("true"), 1);
    ck_assert_int_eq(spawn_run(c, NULL), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "descriptor 1"));
    spawn_free(c);
    free(script);
    close(p[0]);
    close(p[1]);
}
END_TEST

struct starter {
    int pdeathsig;
    struct spawn *c;
};

static void *start_in_thread(void *arg)
{
    struct starter *s = arg;
    s->c = spawn_new("sleep");
    spawn_arg(s->c, "30");
    if (s->pdeathsig)
        spawn_set_pdeathsig(s->c, s->pdeathsig);
    ck_assert_int_eq(spawn_start(s->c), 0);
    return NULL;
}

/* A process (not this test) that starts `sleep 30` from a thread that then exits,
 * reports the sleep's pid and waits to be killed. */
static pid_t start_parent(int pdeathsig, pid_t *grandchild)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct starter s = { pdeathsig, NULL };
        pthread_t t;
        pthread_create(&t, NULL, start_in_thread, &s);
        pthread_join(t, NULL);
        pid_t g = spawn_pid(s.c);
        if (write(p[1], &g, sizeof(g)) != sizeof(g))
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], grandchild, sizeof(*grandchild)), sizeof(*grandchild));
    close(p[0]);
    return pid;
}

static bool gone_within(pid_t pid, double s)
{
    for (double end = ts_now() + s; ts_now() < end; usleep(20000))
        if (group_members(pid) == 0)
            return true;
    return false;
}

START_TEST(test_pdeathsig_child_outlives_its_thread_and_dies_with_the_process)
{
    pid_t g, parent = start_parent(SIGKILL, &g);
    usleep(300000);
    ck_assert_msg(group_members(g) == 1, "the child died with the thread that started it");
    kill(parent, SIGKILL);
    waitpid(parent, NULL, 0);
    ck_assert_msg(gone_within(g, 2.0), "child %d survived its parent", (int)g);
}
END_TEST

START_TEST(test_without_pdeathsig_the_child_survives_its_parent)
{
    pid_t g, parent = start_parent(0, &g);
    kill(parent, SIGKILL);
    waitpid(parent, NULL, 0);
    usleep(300000);
    ck_assert_int_eq(group_members(g), 1);
    kill(-g, SIGKILL);
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
    TCase *steps = tcase_create("steps");
    tcase_set_timeout(steps, 30);
    tcase_add_test(steps, test_start_returns_while_the_program_runs_and_wait_collects_it);
    tcase_add_test(steps, test_pump_delivers_output_before_the_program_ends);
    tcase_add_test(steps, test_exec_failure_is_an_error_of_start);
    tcase_add_test(steps, test_second_start_while_running_is_refused);
    tcase_add_test(steps, test_background_group_is_alive_then_stopped_and_gone);
    tcase_add_test(steps, test_stop_escalates_to_sigkill_after_the_grace_period);
    tcase_add_test(steps, test_member_left_by_an_exited_leader_keeps_the_group_alive);
    tcase_add_test(steps, test_background_that_ended_by_itself_is_reaped_with_its_status);
    tcase_add_test(steps, test_background_output_goes_to_a_file_appended);
    tcase_add_test(steps, test_kept_descriptor_reaches_the_child_others_do_not);
    tcase_add_test(steps, test_pdeathsig_child_outlives_its_thread_and_dies_with_the_process);
    tcase_add_test(steps, test_without_pdeathsig_the_child_survives_its_parent);
    suite_add_tcase(s, steps);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
