/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/forkstuck: real children -- one that never execs, one that did, one too young. */
#include "lib/forkstuck.h"
#include "lib/spawn.h"
#include "tests/support.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that stays this executable, as one stuck before its exec does. */
static pid_t fork_never_exec(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static bool ended_by_sigkill(pid_t pid)
{
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

START_TEST(test_a_child_that_never_execs_is_killed_once_old_enough)
{
    pid_t stuck = fork_never_exec();
    usleep(600 * 1000);
    ck_assert_int_eq(forkstuck_kill(0.3), 1);
    ck_assert_msg(ended_by_sigkill(stuck), "the stuck child was not SIGKILLed");
}
END_TEST

START_TEST(test_a_child_younger_than_the_bound_is_left_alone)
{
    pid_t young = fork_never_exec();
    ck_assert_int_eq(forkstuck_kill(30), 0);
    ck_assert_int_eq(kill(young, 0), 0);
    kill(young, SIGKILL);   /* not TERM: the support library's handler would pass it on */
    waitpid(young, NULL, 0);
}
END_TEST

START_TEST(test_a_child_running_another_program_is_left_alone)
{
    struct spawn *c = spawn_new("sleep");
    spawn_arg(c, "30");
    ck_assert_int_eq(spawn_start(c), 0);
    usleep(600 * 1000);
    ck_assert_int_eq(forkstuck_kill(0.3), 0);
    ck_assert(spawn_alive(c));
    spawn_stop(c, 0);
    spawn_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("forkstuck");
    TCase *tc = tcase_create("children");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_a_child_that_never_execs_is_killed_once_old_enough);
    tcase_add_test(tc, test_a_child_younger_than_the_bound_is_left_alone);
    tcase_add_test(tc, test_a_child_running_another_program_is_left_alone);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
