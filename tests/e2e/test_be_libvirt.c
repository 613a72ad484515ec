/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt backend end to end on the two-host lab (tests/lab/lab up; the
 * settings file it writes is $VTRUN_SETTINGS): the lab's guest on the lab bridge at
 * its own address, SSH before and after each peer-to-peer hop, precopy there and
 * postcopy back, a timeout abort, and nothing left behind (no domain, no QEMU, no
 * tap, no clone).
 */
#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "tests/be_guest.h"

#include <stdatomic.h>
#include <check.h>
#include <libconfig.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct be_ops *ops;
static struct be_host *h1, *h2;
static char *dir, *clone_path, *console_log, *cmdline, *addr;
static struct be_disk disk;
static struct be_nic nic;
static struct be_vm_spec spec;
static const char *vm = "vtrun-bel";
static const char *vm2 = "vtrun-bel2";
static char *clone2, *console2;

/* from the settings file */
static config_t cfg;
static struct be_host_conf hc[2];
static const char *kernel, *initrd, *kparams, *key, *bridge, *subnet, *gateway;
static char *image, *netns;

static const char *param(const char *name)
{
    return tg_lab_param(&cfg, name);
}

static void read_settings(void)
{
    const char *file = tg_lab_settings(&cfg, hc), *name, *fmt;

    kernel = param("kernel");
    initrd = param("initrd");
    kparams = param("kernel_params");
    key = param("ssh_private_key");
    bridge = param("netdst");
    subnet = param("guest_subnet");
    gateway = param("guest_gateway");
    name = param("image_name");
    fmt = param("image_format");
    image = xasprintf("%s.%s", name, fmt);
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
        ops->destroy(hs[i], vm2);
        ops->undefine(hs[i], vm2);
        ops->close(hs[i]);
    }
    h1 = h2 = NULL;
    if (clone_path)
        unlink(clone_path);
    if (clone2)
        unlink(clone2);
    if (console_log)
        unlink(console_log);
    if (console2)
        unlink(console2);
    if (dir)
        rmdir(dir);
}

static void setup(void)
{
    char prefix[64];
    const char *slash;

    /* also at exit: a test that dies outside check's unwinding cleans up */
    static bool at_exit;
    if (!at_exit)
        at_exit = atexit(close_hosts) == 0;
    ops = be_lookup("libvirt");
    ck_assert_msg(ops != NULL, "%s", err_msg());
    read_settings();
    /* a fixed host number in the lab's /24 (bench/hop.sh uses another) */
    slash = strchr(subnet, '/');
    ck_assert(slash && slash - subnet < (long)sizeof(prefix));
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(strrchr(subnet, '.') - subnet), subnet);
    addr = xasprintf("%s.61", prefix);
    cmdline = xasprintf("%s vtrun.ip=%s/%s vtrun.gw=%s", kparams, addr, slash + 1, gateway);

    dir = tg_mkdtemp("bel");
    clone_path = tg_clone(dir, vm, image);
    console_log = xasprintf("%s/serial.log", dir);
    disk = (struct be_disk){ .path = clone_path };
    nic = (struct be_nic){ .mode = "bridge", .bridge = (char *)bridge,
                           .mac = "52:54:00:7e:be:61" };
    spec = (struct be_vm_spec){
        .name = (char *)vm, .mem_mib = 128, .smp = 1, .accel = "tcg",
        .kernel = (char *)kernel, .initrd = (char *)initrd, .cmdline = cmdline,
        .console_log = console_log, .disks = &disk, .ndisks = 1, .nics = &nic, .nnics = 1,
    };
    h1 = ops->open(&hc[0]);
    ck_assert_msg(h1 != NULL, "%s", err_msg());
    h2 = ops->open(&hc[1]);
    ck_assert_msg(h2 != NULL, "%s", err_msg());
    /* a previous run that died may have left its domains behind */
    for (int i = 0; i < 2; i++) {
        struct be_host *h = i ? h2 : h1;
        ops->destroy(h, vm);
        ops->undefine(h, vm);
        ops->destroy(h, vm2);
        ops->undefine(h, vm2);
    }
}

static void teardown(void)
{
    close_hosts();
    if (console_log)
        unlink(console_log);
    if (console2)
        unlink(console2);
    free(clone2);
    free(console2);
    clone2 = console2 = NULL;
    if (dir)
        rmdir(dir);
    free(clone_path);
    free(console_log);
    free(dir);
    free(cmdline);
    free(addr);
    free(image);
    free(netns);
    clone_path = console_log = dir = cmdline = addr = image = netns = NULL;
    config_destroy(&cfg);
}

static void boot(void)
{
    enum be_state st;
    double t0 = tg_now();

    ck_assert_msg(ops->define(h1, &spec) == 0, "%s", err_msg());
    ck_assert_msg(ops->state(h1, vm, &st) == 0 && st == BE_STATE_SHUTOFF, "%s", err_msg());
    ck_assert_msg(ops->start(h1, vm) == 0, "%s", err_msg());
    ck_assert_msg(ops->state(h1, vm, &st) == 0 && st == BE_STATE_RUNNING,
                  "state %s: %s", be_state_name(st), err_msg());
    tg_wait_ready(console_log, 90);
    printf("libvirt: booted to VTRUN-GUEST-READY in %.1f s\n", tg_now() - t0);
}

static void print_hop(const char *what, const struct be_hop_metrics *m)
{
    printf("libvirt: %s: wall %.3f s, libvirt total %.0f ms, downtime %.0f ms, "
           "%llu bytes, %llu iterations%s\n", what, m->wall_s, m->time_ms, m->downtime_ms,
           m->data_bytes, m->mem_iterations, m->postcopy ? ", postcopy" : "");
}

/* Interfaces enslaved to the lab bridge other than the lab's own veth end. */
static int taps_on_bridge(void)
{
    const char *argv[] = { "ip", "-n", netns, "-o", "link", "show", "master", bridge, NULL };
    struct strbuf out = STRBUF_INIT;
    int n = 0;
    char *line, *save = NULL;

    ck_assert_msg(tg_run(argv, &out, 10) == 0, "ip -n %s link: %s", netns, out.buf);
    for (line = strtok_r(out.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strstr(line, "vtlab"))
            n++;
    strbuf_release(&out);
    return n;
}

static const unsigned move = BE_MIG_LIVE | BE_MIG_P2P | BE_MIG_UNSAFE | BE_MIG_PERSISTENT |
                             BE_MIG_UNDEFINE_SOURCE;

START_TEST(test_libvirt_vm_boots_migrates_there_and_back_and_leaves_nothing)
{
    struct be_migrate_opts there = { .flags = move };
    struct be_migrate_opts back = { .flags = move | BE_MIG_POSTCOPY,
        /* precopy at 16 MiB/s would take 8 s: the 0.3 s timeout switches to
         * postcopy (unlimited bandwidth), which must then finish the hop */
        .bandwidth_mib = 16, .timeout_s = 0.3 };
    struct be_hop_metrics m;
    struct be_job_stats js;
    enum be_state st;
    double up0, up1, up2;
    char *path;

    boot();
    ck_assert_int_eq(taps_on_bridge(), 1);
    path = ops->console_path(h1, vm);
    ck_assert_msg(path && !strcmp(path, console_log), "%s", path ? path : err_msg());
    free(path);
    up0 = tg_uptime(addr, 22, key);

    ck_assert_msg(be_migrate(ops, h1, h2, vm, &there, &m) == 0, "%s", err_msg());
    print_hop("hop there (precopy, p2p)", &m);
    ck_assert(m.wall_s > 0 && m.time_ms > 0 && m.downtime_ms >= 0 && m.data_bytes > 0);
    ck_assert(!m.postcopy && !m.aborted);
    ck_assert_msg(ops->state(h2, vm, &st) == 0 && st == BE_STATE_RUNNING,
                  "dest state %s: %s", be_state_name(st), err_msg());
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert_msg(ops->job_stats(h2, vm, &js) == 0 && !js.active, "%s", err_msg());
    up1 = tg_uptime(addr, 22, key);
    ck_assert_msg(up1 >= up0, "uptime went back: %.2f -> %.2f", up0, up1);

    ck_assert_msg(be_migrate(ops, h2, h1, vm, &back, &m) == 0, "%s", err_msg());
    print_hop("hop back (postcopy on timeout, p2p)", &m);
    ck_assert(m.postcopy);
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_RUNNING);
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_NONE);
    up2 = tg_uptime(addr, 22, key);
    ck_assert_msg(up2 >= up1, "uptime went back: %.2f -> %.2f", up1, up2);

    ck_assert_msg(ops->destroy(h1, vm) == 0, "%s", err_msg());
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_SHUTOFF);
    ck_assert_msg(ops->undefine(h1, vm) == 0, "%s", err_msg());
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(tg_count_procs("guest=vtrun-bel"), 0);
    ck_assert_int_eq(taps_on_bridge(), 0);
    ck_assert_int_eq(unlink(clone_path), 0);
}
END_TEST

START_TEST(test_libvirt_migration_timeout_aborts_and_vm_keeps_running_on_source)
{
    /* 1 MiB/s cannot move 128 MiB in 1 s: the job must be aborted, not hang */
    struct be_migrate_opts slow = { .flags = move, .bandwidth_mib = 1, .timeout_s = 1.0 };
    struct be_hop_metrics m;
    enum be_state st;

    boot();
    ck_assert_int_eq(be_migrate(ops, h1, h2, vm, &slow, &m), -1);
    ck_assert_msg(strstr(err_msg(), "migration timeout") != NULL, "%s", err_msg());
    ck_assert(m.aborted && m.timed_out);
    ck_assert(m.wall_s >= 1.0 && m.wall_s < 15.0);
    ck_assert_msg(ops->state(h1, vm, &st) == 0 && st == BE_STATE_RUNNING,
                  "source state %s", be_state_name(st));
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_NONE);
    (void)tg_uptime(addr, 22, key);
    ck_assert_int_eq(ops->destroy(h1, vm), 0);
    ck_assert_int_eq(ops->undefine(h1, vm), 0);
    ck_assert_int_eq(tg_count_procs("guest=vtrun-bel"), 0);
}
END_TEST

START_TEST(test_libvirt_errors_name_the_vm_and_host)
{
    struct be_host_conf bad = { .uri = "qemu+unix:///system?socket=/nonexistent/sock" };
    enum be_state st;

    ck_assert_ptr_null(ops->open(&bad));
    ck_assert_msg(strstr(err_msg(), "/nonexistent/sock") != NULL, "%s", err_msg());
    ck_assert_int_eq(ops->start(h1, "nosuchvm"), -1);
    ck_assert_msg(strstr(err_msg(), "nosuchvm") && strstr(err_msg(), hc[0].uri), "%s",
                  err_msg());
    ck_assert(ops->state(h1, "nosuchvm", &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(ops->destroy(h1, "nosuchvm"), 0);
    ck_assert_int_eq(ops->undefine(h1, "nosuchvm"), 0);
    ck_assert_str_eq(ops->uri(h2), hc[1].uri);
}
END_TEST

START_TEST(test_libvirt_host_info_tells_the_two_lab_hosts_apart)
{
    struct be_host_info a, b;

    ck_assert_msg(ops->host_info(h1, &a) == 0, "%s", err_msg());
    ck_assert_msg(ops->host_info(h2, &b) == 0, "%s", err_msg());
    printf("libvirt: host1 %s: libvirt %llu, %s %llu, %s, %s %s, kernel %s, %u cpus, "
           "%llu MiB free, cpu %s, %zu usable cpu models\n", a.hostname, a.libvirt_version,
           a.hypervisor, a.hv_version, a.arch, a.os_id, a.os_version, a.kernel_release,
           a.ncpus, a.free_mem_bytes >> 20, a.host_cpu_model,
           ({ size_t n = 0; while (a.cpu_models && a.cpu_models[n]) n++; n; }));
    ck_assert_str_eq(a.hypervisor, "QEMU");
    ck_assert(a.libvirt_version >= 9000000 && a.hv_version >= 7000000);
    ck_assert_str_eq(a.arch, "x86_64");
    ck_assert(a.free_mem_bytes > 0 && a.total_mem_bytes >= a.free_mem_bytes && a.ncpus > 0);
    ck_assert(a.cpu_models && a.cpu_models[0]);
    ck_assert(a.os_id && a.kernel_release);     /* lab URIs are local */
    /* what tells a migration source from its destination */
    ck_assert_str_ne(a.hostname, b.hostname);
    ck_assert(a.host_uuid && b.host_uuid);
    ck_assert_str_ne(a.host_uuid, b.host_uuid);
    be_host_info_free(&a);
    be_host_info_free(&b);
}
END_TEST

START_TEST(test_libvirt_offline_migration_moves_the_definition)
{
    struct be_migrate_opts off = { .flags = BE_MIG_OFFLINE | BE_MIG_P2P | BE_MIG_PERSISTENT |
                                            BE_MIG_UNDEFINE_SOURCE | BE_MIG_UNSAFE };
    enum be_state st;

    ck_assert_msg(ops->define(h1, &spec) == 0, "%s", err_msg());
    ck_assert_msg(be_migrate(ops, h1, h2, vm, &off, NULL) == 0, "%s", err_msg());
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_SHUTOFF);
    ck_assert(ops->state(h1, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(ops->undefine(h2, vm), 0);
}
END_TEST

struct worker {
    const struct be_migrate_opts *opts;
    const char *vm;
    int rc;
    char *err;
    struct be_hop_metrics m;
};

/* A migration worker: its own connections, as vtrun's parallel workers do. */
static void *migrate_worker(void *arg)
{
    struct worker *w = arg;
    struct be_host *a = ops->open(&hc[0]), *b = ops->open(&hc[1]);

    w->rc = a && b ? be_migrate(ops, a, b, w->vm, w->opts, &w->m) : -1;
    w->err = xstrdup(err_msg());
    err_clear();    /* the thread's last error would outlive it */
    if (a)
        ops->close(a);
    if (b)
        ops->close(b);
    return NULL;
}

START_TEST(test_libvirt_parallel_hops_and_cancel_on_own_connections)
{
    static atomic_bool cancel;
    struct be_migrate_opts fast = { .flags = move };
    struct be_migrate_opts slow = { .flags = move, .bandwidth_mib = 1, .cancel = &cancel };
    struct worker w1 = { .opts = &fast, .vm = vm }, w2 = { .opts = &slow, .vm = vm2 };
    struct be_disk d2;
    struct be_nic n2 = nic;
    struct be_vm_spec s2 = spec;
    char *cmd2, *addr2, prefix[64];
    pthread_t t1, t2;
    enum be_state st;

    snprintf(prefix, sizeof(prefix), "%.*s", (int)(strrchr(addr, '.') - addr), addr);
    addr2 = xasprintf("%s.63", prefix);
    cmd2 = xasprintf("%s vtrun.ip=%s/%s vtrun.gw=%s", kparams, addr2,
                     strchr(subnet, '/') + 1, gateway);
    clone2 = tg_clone(dir, vm2, image);
    console2 = xasprintf("%s/serial2.log", dir);
    d2 = (struct be_disk){ .path = clone2 };
    n2.mac = "52:54:00:7e:be:63";
    s2.name = (char *)vm2;
    s2.cmdline = cmd2;
    s2.console_log = console2;
    s2.disks = &d2;
    s2.nics = &n2;
    ck_assert_msg(ops->define(h1, &s2) == 0 && ops->start(h1, vm2) == 0, "%s", err_msg());
    boot();
    tg_wait_ready(console2, 90);

    cancel = 0;
    ck_assert(pthread_create(&t1, NULL, migrate_worker, &w1) == 0);
    ck_assert(pthread_create(&t2, NULL, migrate_worker, &w2) == 0);
    usleep(500000);
    {
        /* the running job seen from the test's own connection */
        struct be_job_stats js;
        double until = tg_now() + 10;
        /* the totals appear once the job is past its setup phase */
        do {
            ck_assert_msg(ops->job_stats(h1, vm2, &js) == 0, "%s", err_msg());
        } while (js.active && !js.data_total && tg_now() < until && !usleep(100000));
        ck_assert_msg(js.active && js.data_total > 0 && !js.postcopy,
                      "job of %s: active %d total %llu", vm2, js.active, js.data_total);
    }
    cancel = 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("libvirt: parallel: %s %.3f s; %s %s after %.3f s\n", vm, w1.m.wall_s, vm2,
           w2.rc ? "cancelled" : "not cancelled", w2.m.wall_s);
    ck_assert_msg(w1.rc == 0, "%s", w1.err);
    ck_assert_msg(w2.rc == -1 && strstr(w2.err, "migration cancelled"), "%s", w2.err);
    ck_assert(w2.m.aborted && !w2.m.timed_out);
    ck_assert(ops->state(h2, vm, &st) == 0 && st == BE_STATE_RUNNING);
    ck_assert(ops->state(h1, vm2, &st) == 0 && st == BE_STATE_RUNNING);
    ck_assert(ops->state(h2, vm2, &st) == 0 && st == BE_STATE_NONE);
    free(tg_ssh(addr2, 22, key, "true", 30));
    free(w1.err);
    free(w2.err);
    free(cmd2);
    free(addr2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("be_libvirt");
    TCase *tc = tcase_create("libvirt");
    SRunner *sr;
    int failed;

    setvbuf(stdout, NULL, _IOLBF, 0);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_libvirt_errors_name_the_vm_and_host);
    tcase_add_test(tc, test_libvirt_host_info_tells_the_two_lab_hosts_apart);
    tcase_add_test(tc, test_libvirt_vm_boots_migrates_there_and_back_and_leaves_nothing);
    tcase_add_test(tc, test_libvirt_migration_timeout_aborts_and_vm_keeps_running_on_source);
    tcase_add_test(tc, test_libvirt_parallel_hops_and_cancel_on_own_connections);
    tcase_add_test(tc, test_libvirt_offline_migration_moves_the_definition);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* no fork: check ends a failing forked test with _exit(), which skips the
     * teardown and leaves VMs, QEMUs and clones behind; without fork a failure
     * unwinds to the runner and the teardown cleans up */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
