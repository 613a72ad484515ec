/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Opening a libvirt connection is bounded (backends/lv_conn.c): a "daemon" that
 * accepts the socket and never answers (as a stopped or hung libvirtd does) costs the
 * libvirt backend's open LV_CONNECT_TIMEOUT_S, not forever; one that is not there
 * fails at once.  The real libvirt client over a real UNIX socket; the silent daemon
 * is a listening socket nobody reads.
 */
#include "backends/be.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "tests/support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The bound of one open (lv_conn.h: LV_CONNECT_TIMEOUT_S), and what a loaded machine
 * may add to it. */
#define OPEN_BOUND_S 15.0
#define SLACK_S 5.0

static char *dir;

static void setup(void)
{
    dir = ts_tmpdir("beconn");
}

static void teardown(void)
{
    ts_rmtree(dir);
    free(dir);
}

/* A socket at path that accepts connections (the kernel's backlog does) and never
 * says a word. */
static int silent_daemon(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
    strcpy(a.sun_path, path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    return fd;
}

START_TEST(test_open_of_a_daemon_that_never_answers_is_bounded)
{
    char *sock = xasprintf("%s/libvirt-sock", dir);
    int fd = silent_daemon(sock);
    char *uri = xasprintf("qemu+unix:///system?socket=%s", sock);
    double t0 = clock_now();
    struct be_host *h = be_libvirt_ops.open(&(struct be_host_conf){ .uri = uri });
    double dt = clock_now() - t0;
    ck_assert_msg(h == NULL, "opened a daemon that never answered");
    ck_assert_msg(dt >= OPEN_BOUND_S - 0.5 && dt < OPEN_BOUND_S + SLACK_S,
                  "open gave up after %.1f s", dt);
    ck_assert_msg(strstr(err_msg(), uri) && strstr(err_msg(), "no answer within"),
                  "error: %s", err_msg());
    close(fd);
    free(uri);
    free(sock);
}
END_TEST

START_TEST(test_open_of_a_daemon_that_is_not_there_fails_at_once)
{
    char *uri = xasprintf("qemu+unix:///system?socket=%s/none", dir);
    double t0 = clock_now();
    struct be_host *h = be_libvirt_ops.open(&(struct be_host_conf){ .uri = uri });
    ck_assert_msg(h == NULL, "opened a socket that does not exist");
    ck_assert_msg(clock_now() - t0 < SLACK_S, "took %.1f s", clock_now() - t0);
    ck_assert_msg(strstr(err_msg(), uri), "error: %s", err_msg());
    free(uri);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("be-connect");
    TCase *tc = tcase_create("open");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, OPEN_BOUND_S + 3 * SLACK_S);
    tcase_add_test(tc, test_open_of_a_daemon_that_is_not_there_fails_at_once);
    tcase_add_test(tc, test_open_of_a_daemon_that_never_answers_is_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
