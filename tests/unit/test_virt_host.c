/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host transport (virt/virt_host.c) against a real OpenSSH sshd on 127.0.0.1
 * (tests/support_sshd.h) and on this machine.  The tests that hold for both run twice
 * (check's loop: _i = 0 local, 1 ssh).
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "tests/support_sshd.h"
#include "virt/virt.h"

#include <arpa/inet.h>
#include <check.h>
#include <libssh/libssh.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ts_sshd sshd;
static atomic_bool cancel;
static const struct virt_ctx cancel_ctx = { .cancel = &cancel };

static void suite_setup(void)
{
    ck_assert_msg(ts_sshd_start(&sshd) == 0, "%s", err_msg());
}

static void suite_teardown(void)
{
    ts_sshd_stop(&sshd);
    ssh_finalize();
}

/* The fixture's sshd as host "h1", key login, accept-new into the fixture's file. */
static struct virt_host_conf ssh_conf(void)
{
    return (struct virt_host_conf){ .name = "h1", .address = "127.0.0.1",
                                    .port = sshd.port, .user = "root", .key_file = sshd.key,
                                    .known_hosts = sshd.known_hosts,
                                    .connect_timeout_s = 5 };
}

/* kind 0: this machine, 1: over SSH. */
static struct virt_host *open_kind(int kind)
{
    struct virt_host_conf local = { .name = "h1" }, remote = ssh_conf();
    struct virt_host *h = virt_host_open(kind ? &remote : &local, &cancel_ctx);
    ck_assert_msg(h, "%s", err_msg());
    ck_assert(virt_host_is_local(h) == !kind);
    ck_assert_str_eq(virt_host_name(h), "h1");
    cancel = 0;
    return h;
}

/* ---- both ------------------------------------------------------------------------- */

START_TEST(test_run_returns_exit_status_stdout_and_stderr)
{
    struct virt_host *h = open_kind(_i);
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    int st = -1;
    const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 7", NULL };
    ck_assert_msg(virt_host_run(h, argv, 10, &out, &err, &st) == 0, "%s", err_msg());
    ck_assert_int_eq(st, 7);
    ck_assert_str_eq(out.buf, "out\n");
    ck_assert_str_eq(err.buf, "err\n");
    virt_host_close(h);
    strbuf_release(&out);
    strbuf_release(&err);
}
END_TEST

static const char *const hostile[] = {
    "plain", "", "it's", "'", "a b", "x;id;", ";id", "$(id)", "`id`", "${HOME}", "$HOME",
    "line1\nline2", "\n", "!", "!!", "a!b", "\\", "\\'", "'\\''", "\"", "-n", "*", "~",
    "&& touch /tmp/vtrun-hostile", "$(touch /tmp/vtrun-hostile)", "|cat", "> x", "\t",
    "#comment", "%s",
};

START_TEST(test_hostile_words_arrive_verbatim)
{
    struct virt_host *h = open_kind(_i);
    struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
    const char *argv[ARRAY_SIZE(hostile) + 3] = { "printf", "%s\\0" };
    unlink("/tmp/vtrun-hostile");
    for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
        argv[i + 2] = hostile[i];
        strbuf_add(&want, hostile[i], strlen(hostile[i]) + 1);
    }
    argv[1] = "%s\\000";
    ck_assert_msg(virt_host_run(h, argv, 10, &out, NULL, NULL) == 0, "%s", err_msg());
    ck_assert_uint_eq(out.len, want.len);
    ck_assert(memcmp(out.buf, want.buf, want.len) == 0);
    ck_assert_int_eq(access("/tmp/vtrun-hostile", F_OK), -1);
    virt_host_close(h);
    strbuf_release(&out);
    strbuf_release(&want);
}
END_TEST

START_TEST(test_nonzero_exit_without_status_is_an_error_naming_host_and_stderr)
{
    struct virt_host *h = open_kind(_i);
    const char *argv[] = { "sh", "-c", "echo disk on fire >&2; exit 3", NULL };
    ck_assert_int_eq(virt_host_run(h, argv, 10, NULL, NULL, NULL), -1);
    ck_assert_msg(strstr(err_msg(), "host h1: ") == err_msg(), "%s", err_msg());
    ck_assert_ptr_nonnull(strstr(err_msg(), "exit status 3: disk on fire"));
    virt_host_close(h);
}
END_TEST

START_TEST(test_command_timeout_returns_promptly)
{
    struct virt_host *h = open_kind(_i);
    const char *argv[] = { "sleep", "5", NULL };
    int st = -1;
    double t0 = clock_now();
    ck_assert_int_eq(virt_host_run(h, argv, 0.5, NULL, NULL, &st), -1);
    ck_assert_double_lt(clock_now() - t0, 2.5);
    ck_assert_ptr_nonnull(strstr(err_msg(), "host h1"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "timed out"));
    /* the handle still works */
    const char *t[] = { "true", NULL };
    ck_assert_msg(virt_host_run(h, t, 10, NULL, NULL, NULL) == 0, "%s", err_msg());
    virt_host_close(h);
}
END_TEST

static void on_alarm(int sig)
{
    (void)sig;
    cancel = 1;
}

START_TEST(test_cancel_flag_stops_a_command)
{
    struct virt_host *h = open_kind(_i);
    const char *argv[] = { "sleep", "5", NULL };
    signal(SIGALRM, on_alarm);
    ualarm(300000, 0);
    double t0 = clock_now();
    ck_assert_int_eq(virt_host_run(h, argv, 0, NULL, NULL, NULL), -1);
    ck_assert_double_lt(clock_now() - t0, 2.5);
    ck_assert_ptr_nonnull(strstr(err_msg(), "cancelled"));
    virt_host_close(h);
}
END_TEST

START_TEST(test_put_and_get_round_trip_a_file)
{
    struct virt_host *h = open_kind(_i);
    char *src = ts_sshd_path(&sshd, "payload"), *remote = ts_sshd_path(&sshd, "remote-copy");
    char *back = ts_sshd_path(&sshd, "back");
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    unlink(remote);
    unlink(back);
    ck_assert_msg(virt_host_put(h, src, remote, 0640) == 0, "%s", err_msg());
    struct stat st;
    ck_assert_int_eq(stat(remote, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    ck_assert_msg(virt_host_get(h, remote, back) == 0, "%s", err_msg());
    const char *cmp[] = { "cmp", src, back, NULL };
    ck_assert_msg(virt_host_run(h, cmp, 10, NULL, NULL, NULL) == 0, "%s", err_msg());
    ck_assert_int_eq(virt_host_get(h, "/nonexistent/file", back), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "host h1"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "/nonexistent/file"));
    virt_host_close(h);
    free(src);
    free(remote);
    free(back);
}
END_TEST

/* ---- SSH ---------------------------------------------------------------------------- */

START_TEST(test_password_login_and_the_password_never_in_an_error)
{
    struct virt_host_conf c = ssh_conf();
    c.key_file = NULL;
    c.password = TS_SSHD_PW;
    struct virt_host *h = virt_host_open(&c, NULL);
    ck_assert_msg(h, "%s", err_msg());
    const char *argv[] = { "true", NULL };
    ck_assert_msg(virt_host_run(h, argv, 10, NULL, NULL, NULL) == 0, "%s", err_msg());
    virt_host_close(h);

    c.password = "not-the-password-42";
    ck_assert_ptr_null(virt_host_open(&c, NULL));
    ck_assert_ptr_nonnull(strstr(err_msg(), "host h1: "));
    ck_assert_ptr_nonnull(strstr(err_msg(), "authentication failed"));
    ck_assert_ptr_null(strstr(err_msg(), "not-the-password-42"));
}
END_TEST

START_TEST(test_wrong_key_is_an_error_naming_the_host)
{
    char *other = ts_sshd_path(&sshd, "unauthorized_key");
    struct virt_host_conf c = ssh_conf();
    unlink(other);
    ck_assert_int_eq(ts_sshd_keygen(other), 0);
    c.key_file = other;
    ck_assert_ptr_null(virt_host_open(&c, NULL));
    ck_assert_msg(strstr(err_msg(), "host h1: ") == err_msg(), "%s", err_msg());
    ck_assert_ptr_nonnull(strstr(err_msg(), "127.0.0.1"));
    ck_assert_ptr_nonnull(strstr(err_msg(), "authentication failed"));
    free(other);
}
END_TEST

START_TEST(test_refused_port_is_an_error_naming_the_host)
{
    struct virt_host_conf c = ssh_conf();
    c.port = ts_sshd_free_port();
    double t0 = clock_now();
    ck_assert_ptr_null(virt_host_open(&c, NULL));
    ck_assert_double_lt(clock_now() - t0, 2.0);
    ck_assert_msg(strstr(err_msg(), "host h1: ") == err_msg(), "%s", err_msg());
    ck_assert_ptr_nonnull(strstr(err_msg(), "connect"));
}
END_TEST

/* A listener on 127.0.0.1 that never accepts; returns its fd, *port its port. */
static int listener(int backlog, int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void expect_connect_timeout(struct virt_host_conf *c)
{
    c->name = "blackhole";
    c->connect_timeout_s = 1;
    double t0 = clock_now();
    ck_assert_ptr_null(virt_host_open(c, NULL));
    double dt = clock_now() - t0;
    ck_assert_double_ge(dt, 0.9);
    ck_assert_double_lt(dt, 3.0);
    ck_assert_msg(strstr(err_msg(), "host blackhole: ") == err_msg(), "%s", err_msg());
    ck_assert_ptr_nonnull(strstr(err_msg(), "Timeout"));
}

/* An address that drops SYNs (here: a loopback listener whose accept queue is full,
 * so no traffic leaves the machine) fails at the connect timeout, not later. */
START_TEST(test_unreachable_address_fails_within_the_connect_timeout)
{
    struct virt_host_conf c = ssh_conf();
    int port, fd = listener(0, &port);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    for (int i = 0; i < 3; i++) {      /* fill the queue; later SYNs are dropped */
        int q = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        connect(q, (struct sockaddr *)&a, sizeof(a));
    }
    usleep(100000);
    c.port = port;
    expect_connect_timeout(&c);
    close(fd);
}
END_TEST

/* A host that takes the connection and then says nothing (a stopped sshd). */
START_TEST(test_silent_host_fails_within_the_connect_timeout)
{
    struct virt_host_conf c = ssh_conf();
    int port, fd = listener(8, &port);
    c.port = port;
    expect_connect_timeout(&c);
    close(fd);
}
END_TEST

START_TEST(test_known_hosts_policies)
{
    char *kh = ts_sshd_path(&sshd, "kh_policy"), *none = ts_sshd_path(&sshd, "kh_none");
    struct virt_host_conf c = ssh_conf();
    struct virt_host *h;
    struct stat st;

    unlink(kh);
    unlink(none);
    c.known_hosts = kh;                         /* accept-new learns the key */
    ck_assert_msg((h = virt_host_open(&c, NULL)), "%s", err_msg());
    virt_host_close(h);
    ck_assert_int_eq(stat(kh, &st), 0);
    ck_assert_int_gt(st.st_size, 0);
    c.hostkey = VIRT_HOSTKEY_STRICT;            /* strict trusts what is in the file */
    ck_assert_msg((h = virt_host_open(&c, NULL)), "%s", err_msg());
    virt_host_close(h);
    c.known_hosts = none;                       /* ... and nothing else */
    ck_assert_ptr_null(virt_host_open(&c, NULL));
    ck_assert_ptr_nonnull(strstr(err_msg(), "host key unknown"));
    ck_assert_int_eq(access(none, F_OK), -1);   /* strict learns nothing */

    /* another key for [127.0.0.1]:port: refused by accept-new, ignored by off */
    char *other = ts_sshd_path(&sshd, "otherhostkey");
    struct strbuf pub = STRBUF_INIT, line = STRBUF_INIT;
    unlink(other);
    ck_assert_int_eq(ts_sshd_keygen(other), 0);
    char *otherpub = xasprintf("%s.pub", other);
    ck_assert_int_gt(strbuf_read_file(&pub, otherpub, 0), 0);
    strbuf_addf(&line, "[127.0.0.1]:%d %s", sshd.port, pub.buf);
    FILE *f = fopen(kh, "w");
    fputs(line.buf, f);
    fclose(f);
    c.known_hosts = kh;
    c.hostkey = VIRT_HOSTKEY_ACCEPT_NEW;
    ck_assert_ptr_null(virt_host_open(&c, NULL));
    ck_assert_ptr_nonnull(strstr(err_msg(), "HOST KEY CHANGED"));
    c.hostkey = VIRT_HOSTKEY_OFF;
    ck_assert_msg((h = virt_host_open(&c, NULL)), "%s", err_msg());
    virt_host_close(h);

    enum virt_hostkey k;
    ck_assert_int_eq(virt_hostkey_parse("strict", &k), 0);
    ck_assert_int_eq(k, VIRT_HOSTKEY_STRICT);
    ck_assert_int_eq(virt_hostkey_parse("sometimes", &k), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "accept-new, strict, off"));
    free(kh);
    free(none);
    free(other);
    free(otherpub);
    strbuf_release(&pub);
    strbuf_release(&line);
}
END_TEST

/* One session for every command: each one's shell is a child of the same sshd session
 * process; and a dropped session is opened again for the next command. */
START_TEST(test_session_is_reused_and_reopened_when_dropped)
{
    struct virt_host *h = open_kind(1);
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
    const char *ppid[] = { "sh", "-c", "echo $PPID", NULL };
    ck_assert_int_eq(virt_host_run(h, ppid, 10, &a, NULL, NULL), 0);
    ck_assert_int_eq(virt_host_run(h, ppid, 10, &b, NULL, NULL), 0);
    ck_assert_str_eq(a.buf, b.buf);
    const char *drop[] = { "sh", "-c", "kill -9 $PPID", NULL };
    virt_host_run(h, drop, 10, NULL, NULL, NULL);   /* fails: the session died under it */
    ck_assert_msg(virt_host_run(h, ppid, 10, &c, NULL, NULL) == 0, "%s", err_msg());
    ck_assert_str_ne(a.buf, c.buf);
    virt_host_close(h);
    strbuf_release(&a);
    strbuf_release(&b);
    strbuf_release(&c);
}
END_TEST

/* ---- local --------------------------------------------------------------------------- */

START_TEST(test_local_host_needs_no_login_and_reports_exec_errors)
{
    struct virt_host_conf c = { .name = NULL };
    struct virt_host *h = virt_host_open(&c, NULL);
    ck_assert_str_eq(virt_host_name(h), "localhost");
    const char *argv[] = { "vtrun-no-such-program", NULL };
    int st;
    ck_assert_int_eq(virt_host_run(h, argv, 10, NULL, NULL, &st), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "host localhost: "));
    ck_assert_ptr_nonnull(strstr(err_msg(), "No such file"));
    const char *empty[] = { NULL };
    ck_assert_int_eq(virt_host_run(h, empty, 10, NULL, NULL, &st), -1);
    virt_host_close(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_host");
    TCase *both = tcase_create("both");
    tcase_set_timeout(both, 30);
    tcase_add_unchecked_fixture(both, suite_setup, suite_teardown);
    tcase_add_loop_test(both, test_run_returns_exit_status_stdout_and_stderr, 0, 2);
    tcase_add_loop_test(both, test_hostile_words_arrive_verbatim, 0, 2);
    tcase_add_loop_test(both, test_nonzero_exit_without_status_is_an_error_naming_host_and_stderr, 0, 2);
    tcase_add_loop_test(both, test_command_timeout_returns_promptly, 0, 2);
    tcase_add_loop_test(both, test_cancel_flag_stops_a_command, 0, 2);
    tcase_add_loop_test(both, test_put_and_get_round_trip_a_file, 0, 2);
    tcase_add_test(both, test_password_login_and_the_password_never_in_an_error);
    tcase_add_test(both, test_wrong_key_is_an_error_naming_the_host);
    tcase_add_test(both, test_refused_port_is_an_error_naming_the_host);
    tcase_add_test(both, test_unreachable_address_fails_within_the_connect_timeout);
    tcase_add_test(both, test_silent_host_fails_within_the_connect_timeout);
    tcase_add_test(both, test_known_hosts_policies);
    tcase_add_test(both, test_session_is_reused_and_reopened_when_dropped);
    tcase_add_test(both, test_local_host_needs_no_login_and_reports_exec_errors);
    suite_add_tcase(s, both);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
