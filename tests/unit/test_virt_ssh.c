/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_ssh against a real throwaway sshd on 127.0.0.1 (tests/support_sshd.h: own host key,
 * own authorized_keys, a free port, password login for root in a private mount
 * namespace).
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "tests/support_sshd.h"
#include "virt/virt.h"

#include <stdatomic.h>
#include <check.h>
#include <libssh/libssh.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ts_sshd sshd;
static int port;
static char *key, *known_hosts;

static char *in_dir(const char *name)
{
    return ts_sshd_path(&sshd, name);
}

static void run(const char *const *argv)
{
    struct strbuf err = STRBUF_INIT;
    struct spawn *c = spawn_newv(argv);
    spawn_set_output(c, NULL, &err);
    ck_assert_msg(spawn_run(c, NULL) == 0, "%s", err_msg());
    spawn_free(c);
    strbuf_release(&err);
}

static void suite_setup(void)
{
    ck_assert_msg(ts_sshd_start(&sshd) == 0, "%s", err_msg());
    port = sshd.port;
    key = sshd.key;
    known_hosts = sshd.known_hosts;
}

static void suite_teardown(void)
{
    ts_sshd_stop(&sshd);
    ssh_finalize();
}

static struct virt_login login_key(void)
{
    return (struct virt_login){ .host = "127.0.0.1", .port = port, .user = "root",
                                .key_file = key };
}

START_TEST(test_key_login_exec_returns_status_stdout_stderr)
{
    struct virt_login l = login_key();
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    int st = -1;
    struct virt_ssh *s = virt_ssh_connect(&l, known_hosts, 5, NULL);
    ck_assert_msg(s, "%s", err_msg());
    ck_assert_int_eq(virt_ssh_exec(s, "echo out; echo err >&2; exit 7", 10, &st, &out, &err), 0);
    ck_assert_int_eq(st, 7);
    ck_assert_str_eq(out.buf, "out\n");
    ck_assert_str_eq(err.buf, "err\n");
    /* The session is reusable. */
    strbuf_reset(&out);
    ck_assert_int_eq(virt_ssh_exec(s, "cat /proc/uptime", 10, &st, &out, NULL), 0);
    ck_assert_int_eq(st, 0);
    ck_assert_double_gt(atof(out.buf), 0);
    virt_ssh_close(s);
    strbuf_release(&out);
    strbuf_release(&err);
}
END_TEST

START_TEST(test_password_login)
{
    struct virt_login l = { .host = "127.0.0.1", .port = port, .user = "root",
                            .password = TS_SSHD_PW };
    int st = -1;
    struct virt_ssh *s = virt_ssh_connect(&l, known_hosts, 5, NULL);
    ck_assert_msg(s, "%s", err_msg());
    ck_assert_int_eq(virt_ssh_exec(s, "true", 10, &st, NULL, NULL), 0);
    ck_assert_int_eq(st, 0);
    virt_ssh_close(s);
}
END_TEST

START_TEST(test_wrong_password_is_login_error_without_the_password)
{
    struct virt_login l = { .host = "127.0.0.1", .port = port, .user = "root",
                            .password = "not-the-password" };
    ck_assert_ptr_null(virt_ssh_connect(&l, known_hosts, 5, NULL));
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_LOGIN);
    ck_assert_ptr_nonnull(strstr(err_msg(), "authentication failed"));
    ck_assert_ptr_null(strstr(err_msg(), "not-the-password"));
}
END_TEST

START_TEST(test_host_key_accept_new_then_changed_key_refused)
{
    struct virt_login l = login_key();
    char *kh = in_dir("kh_test");
    struct virt_ssh *s;
    struct stat st;

    unlink(kh);
    s = virt_ssh_connect(&l, kh, 5, NULL);           /* learns the key */
    ck_assert_msg(s, "%s", err_msg());
    virt_ssh_close(s);
    ck_assert_int_eq(stat(kh, &st), 0);
    ck_assert_int_gt(st.st_size, 0);
    s = virt_ssh_connect(&l, kh, 5, NULL);           /* knows it */
    ck_assert_msg(s, "%s", err_msg());
    virt_ssh_close(s);

    /* Another key for the same [127.0.0.1]:port: refused. */
    char *other = in_dir("otherkey"), *otherpub = in_dir("otherkey.pub");
    ck_assert_int_eq(ts_sshd_keygen(other), 0);
    FILE *f = fopen(otherpub, "r");
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    fclose(f);
    f = fopen(kh, "w");
    fprintf(f, "[127.0.0.1]:%d %s", port, line);
    fclose(f);
    ck_assert_ptr_null(virt_ssh_connect(&l, kh, 5, NULL));
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_LOGIN);
    ck_assert_ptr_nonnull(strstr(err_msg(), "HOST KEY CHANGED"));
    /* No known_hosts file at all: nothing can be verified, refused. */
    ck_assert_ptr_null(virt_ssh_connect(&l, NULL, 5, NULL));
    free(kh);
    free(other);
    free(otherpub);
}
END_TEST

START_TEST(test_exec_timeout_returns_promptly)
{
    struct virt_login l = login_key();
    struct virt_ssh *s = virt_ssh_connect(&l, known_hosts, 5, NULL);
    int st = -1;
    ck_assert_msg(s, "%s", err_msg());
    double t0 = clock_now();
    ck_assert_int_eq(virt_ssh_exec(s, "echo started; sleep 3", 0.4, &st, NULL, NULL), -1);
    ck_assert_double_lt(clock_now() - t0, 2.0);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_COMMAND);
    ck_assert_ptr_nonnull(strstr(err_msg(), "timed out after 0.4 s"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "started"));
    /* The session stays usable after an abandoned command. */
    ck_assert_int_eq(virt_ssh_exec(s, "exit 3", 10, &st, NULL, NULL), 0);
    ck_assert_int_eq(st, 3);
    virt_ssh_close(s);
}
END_TEST

static atomic_bool cancel;

static void on_alarm(int sig)
{
    (void)sig;
    cancel = 1;
}

START_TEST(test_exec_and_wait_for_login_poll_cancel_flag)
{
    struct virt_ctx ctx = { .cancel = &cancel };
    struct virt_login l = login_key();
    struct virt_ssh *s = virt_ssh_connect(&l, known_hosts, 5, &ctx);
    ck_assert_msg(s, "%s", err_msg());
    cancel = 0;
    signal(SIGALRM, on_alarm);
    ualarm(200000, 0);
    double t0 = clock_now();
    ck_assert_int_eq(virt_ssh_exec(s, "sleep 5", 0, NULL, NULL, NULL), -1);
    ck_assert_double_lt(clock_now() - t0, 2.0);
    ck_assert_ptr_nonnull(strstr(err_msg(), "cancelled"));
    virt_ssh_close(s);

    /* Nobody listens on this port: wait_for_login retries until cancelled. */
    struct virt_login dead = login_key();
    dead.port = ts_sshd_free_port();
    cancel = 0;
    ualarm(300000, 0);
    t0 = clock_now();
    ck_assert_ptr_null(virt_ssh_wait_for_login(&dead, known_hosts, 30, &ctx));
    ck_assert_double_lt(clock_now() - t0, 2.0);
    ck_assert_ptr_nonnull(strstr(err_msg(), "cancelled"));
}
END_TEST

START_TEST(test_wait_for_login_retries_until_sshd_comes_up)
{
    struct virt_login l = login_key();
    struct virt_ssh *s;
    l.port = ts_sshd_free_port();
    struct spawn *late = ts_sshd_spawn(&sshd, l.port, 0.8);   /* the "guest" boots 0.8 s */
    ck_assert_msg(late, "%s", err_msg());
    double t0 = clock_now();
    s = virt_ssh_wait_for_login(&l, known_hosts, 10, NULL);
    ck_assert_msg(s, "%s", err_msg());
    ck_assert_double_gt(clock_now() - t0, 0.7);
    virt_ssh_close(s);
    spawn_free(late);
}
END_TEST

START_TEST(test_wait_for_login_gives_up_at_deadline)
{
    struct virt_login l = login_key();
    l.port = ts_sshd_free_port();
    double t0 = clock_now();
    ck_assert_ptr_null(virt_ssh_wait_for_login(&l, known_hosts, 1.0, NULL));
    double dt = clock_now() - t0;
    ck_assert_double_ge(dt, 0.9);
    ck_assert_double_lt(dt, 3.0);
    ck_assert_int_eq(virt_err_last(), VIRT_ERR_LOGIN);
    ck_assert_ptr_nonnull(strstr(err_msg(), "no login within 1 s"));
}
END_TEST

START_TEST(test_sftp_put_and_get_round_trip)
{
    struct virt_login l = login_key();
    struct virt_ssh *s = virt_ssh_connect(&l, known_hosts, 5, NULL);
    char *src = in_dir("payload"), *remote = in_dir("remote-copy"), *back = in_dir("back");
    ck_assert_msg(s, "%s", err_msg());
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 200000; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    ck_assert_msg(virt_ssh_put(s, src, remote, 0750) == 0, "%s", err_msg());
    struct stat st;
    ck_assert_int_eq(stat(remote, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0750);
    ck_assert_msg(virt_ssh_get(s, remote, back) == 0, "%s", err_msg());
    run((const char *[]){ "cmp", src, back, NULL });
    ck_assert_int_eq(virt_ssh_get(s, "/nonexistent/file", back), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/file"));
    virt_ssh_close(s);
    free(src);
    free(remote);
    free(back);
}
END_TEST

START_TEST(test_large_output_captured)
{
    struct virt_login l = login_key();
    struct virt_ssh *s = virt_ssh_connect(&l, known_hosts, 5, NULL);
    struct strbuf out = STRBUF_INIT;
    int st = -1;
    ck_assert_msg(s, "%s", err_msg());
    ck_assert_int_eq(virt_ssh_exec(s, "head -c 5000000 /dev/zero", 20, &st, &out, NULL), 0);
    ck_assert_int_eq(st, 0);
    ck_assert_uint_eq(out.len, 5000000);
    virt_ssh_close(s);
    strbuf_release(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_ssh");
    TCase *tc = tcase_create("ssh");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_test(tc, test_key_login_exec_returns_status_stdout_stderr);
    tcase_add_test(tc, test_password_login);
    tcase_add_test(tc, test_wrong_password_is_login_error_without_the_password);
    tcase_add_test(tc, test_host_key_accept_new_then_changed_key_refused);
    tcase_add_test(tc, test_exec_timeout_returns_promptly);
    tcase_add_test(tc, test_exec_and_wait_for_login_poll_cancel_flag);
    tcase_add_test(tc, test_wait_for_login_retries_until_sshd_comes_up);
    tcase_add_test(tc, test_wait_for_login_gives_up_at_deadline);
    tcase_add_test(tc, test_sftp_put_and_get_round_trip);
    tcase_add_test(tc, test_large_output_captured);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
