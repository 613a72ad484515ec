/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt backend with QEMU user-mode networking (the fallback when there is no
 * bridge) on the two-host lab: the guest's SSH is forwarded from 127.0.0.1:<port>
 * (hostfwd_port), added through the QEMU monitor after start and again on the
 * destination after a hop.
 *
 * The lab's daemons, and so their QEMUs and the forwards, live in the lab's network
 * namespace: 127.0.0.1:<port> exists there, not in the root namespace this test runs
 * in.  The test's thread enters that namespace for each login (setns() changes only
 * the calling thread; the libvirt connections are UNIX sockets and do not care).
 */
#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "tests/be_guest.h"

#include <check.h>
#include <fcntl.h>
#include <libconfig.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct be_ops *ops;
static struct be_host *h1, *h2;
static char *dir, *clone_path, *console_log, *image, *netns;
/* not a prefix of another test's VM name: the leftover probes match substrings */
static const char *vm = "vtrun-lvu";

static config_t cfg;
static struct be_host_conf hc[2];
static const char *kernel, *initrd, *kparams, *key;

static const char *param(const char *name)
{
    return tg_lab_param(&cfg, name);
}

static void read_settings(void)
{
    const char *file = tg_lab_settings(&cfg, hc);

    kernel = param("kernel");
    initrd = param("initrd");
    kparams = param("kernel_params");
    key = param("ssh_private_key");
    image = xasprintf("%s.%s", param("image_name"), param("image_format"));
    ck_assert_msg(access(image, R_OK) == 0, "image %s: missing", image);

    /* the lab's namespace, where the daemons create their taps */
    netns = tg_lab_netns(file);
}

static void close_hosts(void)
{
    struct be_host *hs[] = { h1, h2 };
    for (size_t i = 0; i < 2; i++) {
        if (!hs[i])
            continue;
        ops->destroy(hs[i], vm);
        ops->undefine(hs[i], vm);
        ops->close(hs[i]);
    }
    h1 = h2 = NULL;
    if (clone_path)
        unlink(clone_path);
    if (console_log)
        unlink(console_log);
    if (dir)
        rmdir(dir);
}

static void setup(void)
{
    static bool at_exit;
    if (!at_exit)
        at_exit = atexit(close_hosts) == 0;
    ops = be_lookup("libvirt");
    ck_assert_msg(ops != NULL, "%s", err_msg());
    read_settings();
    dir = tg_mkdtemp("lvu");
    clone_path = tg_clone(dir, vm, image);
    console_log = xasprintf("%s/serial.log", dir);
    h1 = ops->open(&hc[0]);
    ck_assert_msg(h1 != NULL, "%s", err_msg());
    h2 = ops->open(&hc[1]);
    ck_assert_msg(h2 != NULL, "%s", err_msg());
    for (int i = 0; i < 2; i++) {
        ops->destroy(i ? h2 : h1, vm);
        ops->undefine(i ? h2 : h1, vm);
    }
}

static void teardown(void)
{
    close_hosts();
    free(clone_path);
    free(console_log);
    free(dir);
    free(image);
    free(netns);
    clone_path = console_log = dir = image = netns = NULL;
    config_destroy(&cfg);
}

/* Guest uptime over SSH at 127.0.0.1:port of the lab's network namespace; NULL and
 * *why on failure.  Never asserts while in the lab's namespace, so the thread is
 * always back in its own before a failure unwinds. */
static char *uptime_in_lab(unsigned port, char **why)
{
    char *nspath = xasprintf("/run/netns/%s", netns);
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int lab = open(nspath, O_RDONLY | O_CLOEXEC);
    struct virt_login l = { .host = "127.0.0.1", .port = (int)port, .user = "root",
                            .key_file = (char *)key };
    struct virt_ctx ctx = { 0 };
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct virt_ssh *s = NULL;
    int status = -1;
    char *res = NULL;

    *why = NULL;
    if (!tg_known_hosts[0]) {
        snprintf(tg_known_hosts, sizeof(tg_known_hosts), "/tmp/vtrun-be-known-%d",
                 (int)getpid());
        atexit(tg_known_hosts_rm);
    }
    if (self < 0 || lab < 0 || setns(lab, CLONE_NEWNET) < 0) {
        *why = xasprintf("enter %s: %s", nspath, strerror(errno));
        goto cleanup;
    }
    s = virt_ssh_wait_for_login(&l, tg_known_hosts, 60, &ctx);
    if (!s)
        *why = xasprintf("login to 127.0.0.1:%u in %s: %s", port, netns, err_msg());
    else if (virt_ssh_exec(s, "cat /proc/uptime", 30, &status, &out, &err) < 0 || status)
        *why = xasprintf("ssh 127.0.0.1:%u: status %d: %s %s", port, status, err_msg(),
                         err.buf);
    else
        res = strbuf_detach(&out, NULL);
    if (s)
        virt_ssh_close(s);
    if (setns(self, CLONE_NEWNET) < 0) {
        /* cannot go on in the wrong namespace */
        fprintf(stderr, "back to own netns: %s\n", strerror(errno));
        abort();
    }
cleanup:
    if (self >= 0)
        close(self);
    if (lab >= 0)
        close(lab);
    free(nspath);
    strbuf_release(&out);
    strbuf_release(&err);
    return res;
}

/* Whether a TCP connect to 127.0.0.1:port of this thread's namespace is refused. */
static bool refused_here(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool refused;

    ck_assert(fd >= 0);
    refused = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED;
    close(fd);
    return refused;
}

static double uptime(unsigned port)
{
    char *why, *s = uptime_in_lab(port, &why), *end;
    double up;

    ck_assert_msg(s != NULL, "%s", why);
    up = strtod(s, &end);
    ck_assert_msg(end != s && up > 0, "bad /proc/uptime: '%s'", s);
    free(s);
    return up;
}

START_TEST(test_libvirt_user_nic_ssh_forward_survives_a_hop_and_leaves_nothing)
{
    const unsigned move = BE_MIG_LIVE | BE_MIG_P2P | BE_MIG_UNSAFE | BE_MIG_PERSISTENT |
                          BE_MIG_UNDEFINE_SOURCE;
    struct be_migrate_opts there = { .flags = move };
    unsigned port = tg_free_port();
    struct be_disk disk = { .path = clone_path };
    /* no vtrun.ip: the guest takes user-mode networking's 10.0.2.15 */
    struct be_nic nic = { .mode = "user", .hostfwd_port = (unsigned short)port };
    struct be_vm_spec spec = {
        .name = (char *)vm, .mem_mib = 128, .smp = 1, .accel = "tcg",
        .kernel = (char *)kernel, .initrd = (char *)initrd, .cmdline = (char *)kparams,
        .console_log = console_log, .disks = &disk, .ndisks = 1, .nics = &nic, .nnics = 1,
    };
    struct be_hop_metrics m;
    enum be_state st;
    double t0 = tg_now(), up0, up1;
    char *needle = xasprintf("guest=%s,", vm);

    ck_assert_msg(ops->define(h1, &spec) == 0, "%s", err_msg());
    ck_assert_msg(ops->start(h1, vm) == 0, "%s", err_msg());
    tg_wait_ready(console_log, 90);
    up0 = uptime(port);
    /* the forward is the lab namespace's own loopback, not this one's */
    ck_assert_msg(refused_here(port), "127.0.0.1:%u answers in the root namespace", port);
    printf("libvirt user: boot + first SSH via 127.0.0.1:%u in %.1f s\n", port,
           tg_now() - t0);

    ck_assert_msg(be_migrate(ops, h1, h2, vm, &there, &m) == 0, "%s", err_msg());
    printf("libvirt user: hop (forward re-added) wall %.3f s\n", m.wall_s);
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_RUNNING);
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_NONE);
    t0 = tg_now();
    up1 = uptime(port);
    printf("libvirt user: SSH after the hop in %.2f s\n", tg_now() - t0);
    ck_assert_msg(up1 > up0, "uptime %.2f after the hop, %.2f before: not the same guest",
                  up1, up0);

    ck_assert_msg(ops->destroy(h2, vm) == 0, "%s", err_msg());
    ck_assert_msg(ops->undefine(h2, vm) == 0, "%s", err_msg());
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_NONE);
    for (int i = 0; tg_count_procs(needle) && i < 50; i++)
        usleep(100000);
    ck_assert_int_eq(tg_count_procs(needle), 0);
    free(needle);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("be_libvirt_user");
    TCase *tc = tcase_create("libvirt_user");
    SRunner *sr;
    int failed;

    setvbuf(stdout, NULL, _IOLBF, 0);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_libvirt_user_nic_ssh_forward_survives_a_hop_and_leaves_nothing);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* no fork: a failure unwinds to the runner and the teardown cleans up */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
