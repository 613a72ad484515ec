/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runner's links to its hosts (runner/run_hostlink.c): a settings host becomes the
 * host transport — this machine when its URI names no remote machine, else SSH with
 * the host's ssh_* settings — checked against the real sshd of tests/support_sshd.h.  The
 * fixture listens on 127.0.0.1, which the URI rule calls local; 0.0.0.0 reaches the
 * same listener and is not, so it plays the remote host.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "tests/support_sshd.h"
#include "virt/virt.h"

#include <check.h>
#include <libssh/libssh.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ts_sshd sshd;

static void suite_setup(void)
{
    ck_assert_msg(ts_sshd_start(&sshd) == 0, "%s", err_msg());
}

static void suite_teardown(void)
{
    ts_sshd_stop(&sshd);
    ssh_finalize();
}

static struct run_host remote_host(void)
{
    return (struct run_host){ .name = "h1", .uri = "qemu+ssh://root@0.0.0.0/system",
                              .ssh_port = sshd.port, .ssh_key = sshd.key };
}

/* The whoami of host 0 of a one-host context. */
static int whoami(struct run_host *h, const char *known_hosts, struct strbuf *out)
{
    atomic_bool cancel = 0;
    struct run_ctx ctx = { .hosts = h, .nhosts = 1, .known_hosts = known_hosts,
                           .cancel = &cancel, .log = stderr };
    const char *argv[] = { "id", "-un", NULL };
    struct virt_host *link = run_host_link(&ctx, 0);
    int rc = link ? virt_host_run(link, argv, 10, out, NULL, NULL) : -1;
    ck_assert_ptr_eq(run_host_link(&ctx, 0), link);     /* one link per host and test */
    run_ctx_close_links(&ctx);
    ck_assert_ptr_null(ctx.links);
    return rc;
}

START_TEST(test_uri_names_a_remote_machine_or_this_one)
{
    static const struct { const char *uri, *remote; } cases[] = {
        { "qemu+ssh://root@hostB/system", "hostB" },
        { "qemu+tls://hostB:16514/system", "hostB" },
        { "qemu+ssh://u@[fe80::1]:2222/system", "fe80::1" },
        { "qemu:///system", NULL },
        { "qemu+unix:///system?socket=/run/x/libvirt-sock", NULL },
        { "qemu+tcp://127.0.0.1:16509/system", NULL },
        { "qemu+ssh://root@localhost/system", NULL },
        { "qemu+ssh://[::1]/system", NULL },
        { "test:///default", NULL },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *r = run_uri_remote_host(cases[i].uri);
        if (cases[i].remote)
            ck_assert_msg(r && !strcmp(r, cases[i].remote), "%s -> %s", cases[i].uri, r);
        else
            ck_assert_msg(!r, "%s -> %s", cases[i].uri, r);
        free(r);
    }
}
END_TEST

START_TEST(test_local_uri_runs_on_this_machine)
{
    struct run_host h = { .name = "h0", .uri = "qemu+unix:///system?socket=/nonexistent" };
    struct strbuf out = STRBUF_INIT;
    ck_assert_msg(whoami(&h, NULL, &out) == 0, "%s", err_msg());
    ck_assert_str_eq(out.buf, "root\n");
    strbuf_release(&out);
}
END_TEST

START_TEST(test_remote_uri_goes_over_ssh_and_learns_into_the_job_file)
{
    struct run_host h = remote_host();
    char *kh = ts_sshd_path(&sshd, "job-known_hosts");
    struct strbuf out = STRBUF_INIT;
    unlink(kh);
    ck_assert_msg(whoami(&h, kh, &out) == 0, "%s", err_msg());
    ck_assert_str_eq(out.buf, "root\n");        /* the URI's user */
    ck_assert_int_eq(access(kh, R_OK), 0);
    free(kh);
    strbuf_release(&out);
}
END_TEST

START_TEST(test_password_file_logs_in_and_a_bad_one_names_host_and_file)
{
    struct run_host h = remote_host();
    char *pwf = ts_sshd_path(&sshd, "pw"), *kh = ts_sshd_path(&sshd, "job-known_hosts");
    struct strbuf out = STRBUF_INIT;
    FILE *f = fopen(pwf, "w");
    fputs(TS_SSHD_PW "\n", f);
    fclose(f);
    h.ssh_key = NULL;
    h.ssh_password_file = pwf;
    h.ssh_user = "root";
    h.uri = "qemu+ssh://0.0.0.0/system";
    ck_assert_msg(whoami(&h, kh, &out) == 0, "%s", err_msg());
    h.ssh_password_file = "/nonexistent/pw";
    ck_assert_int_eq(whoami(&h, kh, &out), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "host h1: ssh_password_file /nonexistent/pw"));
    free(pwf);
    free(kh);
    strbuf_release(&out);
}
END_TEST

START_TEST(test_known_hosts_policy_of_the_settings_is_applied)
{
    struct run_host h = remote_host();
    char *kh = ts_sshd_path(&sshd, "kh-empty");
    struct strbuf out = STRBUF_INIT;
    unlink(kh);
    h.ssh_known_hosts = "strict";
    h.ssh_known_hosts_file = kh;
    ck_assert_int_eq(whoami(&h, NULL, &out), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "host key unknown"));
    h.ssh_known_hosts = "off";
    ck_assert_msg(whoami(&h, NULL, &out) == 0, "%s", err_msg());
    h.ssh_known_hosts = "maybe";
    ck_assert_int_eq(whoami(&h, NULL, &out), -1);
    ck_assert_ptr_nonnull(strstr(err_msg(), "host h1: ssh_known_hosts"));
    free(kh);
    strbuf_release(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostlink");
    TCase *tc = tcase_create("hostlink");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_test(tc, test_uri_names_a_remote_machine_or_this_one);
    tcase_add_test(tc, test_local_uri_runs_on_this_machine);
    tcase_add_test(tc, test_remote_uri_goes_over_ssh_and_learns_into_the_job_file);
    tcase_add_test(tc, test_password_file_logs_in_and_a_bad_one_names_host_and_file);
    tcase_add_test(tc, test_known_hosts_policy_of_the_settings_is_applied);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
