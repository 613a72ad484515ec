/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ts_dump_stuck (tests/support.c): what a test prints of a vtrun that did not end in
 * time -- its process tree with states and wait channels, its threads' stacks, the
 * tail of its newest debug.log.  A real hung tree here: sh waiting on sleep.
 */
#include "tests/support.h"

START_TEST(test_a_hung_tree_is_printed_with_stacks_and_the_debug_log)
{
    char *dir = ts_tmpdir("stuck");
    char *logdir = xasprintf("%s/job-1/test-results/1-case", dir);
    char *mk = xasprintf("mkdir -p %s && echo 'the step it hung in' > %s/debug.log", logdir,
                         logdir);
    const char *sh[] = { "sh", "-c", mk, NULL };
    ck_assert_int_eq(ts_run(sh, NULL, 10), 0);

    struct spawn *c = spawn_new("sh");
    spawn_args(c, "-c", "sleep 30 & wait", NULL);
    ck_assert_msg(spawn_start(c) == 0, "%s", err_msg());
    usleep(300 * 1000);                     /* the child sleep exists */

    char *out = xasprintf("%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    ts_dump_stuck(spawn_pid(c), dir);
    dup2(saved, 2);
    close(saved);
    close(fd);
    spawn_stop(c, 0);
    spawn_free(c);

    char *text = ts_read(out);
    ck_assert_msg(strstr(text, "did not end in time"), "%s", text);
    ck_assert_msg(strstr(text, "sleep 30"), "the child is not listed:\n%s", text);
    ck_assert_msg(strstr(text, "wchan"), "%s", text);
    ck_assert_msg(strstr(text, "Thread 1") || strstr(text, "#0"), "no stack:\n%s", text);
    ck_assert_msg(strstr(text, "the step it hung in"), "no debug.log tail:\n%s", text);
    free(text);
    free(out);
    free(mk);
    free(logdir);
    ts_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ts_stuck");
    TCase *tc = tcase_create("dump");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_a_hung_tree_is_printed_with_stacks_and_the_debug_log);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
