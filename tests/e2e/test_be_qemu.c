/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qemu backend end to end, on this machine: the lab's tiny guest (tests/lab/lab
 * build) under TCG, user-mode networking with an SSH port forward, live migration
 * between two local QEMUs and back, and nothing left behind.
 */
#include "backends/be.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "tests/be_guest.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct be_ops *ops;
static struct be_host *ha, *hb;
static char *dir, *clone_path, *console_log, *kernel, *initrd, *base, *key;
static struct be_disk disk;
static struct be_nic nic;
static struct be_vm_spec spec;
static const char *vm = "vtrun-beq";

/* also at exit: a test that dies outside check's unwinding still closes the
 * handles (which kills their QEMUs) */
static void close_hosts(void)
{
    if (ha)
        ops->close(ha);
    if (hb)
        ops->close(hb);
    ha = hb = NULL;
    if (clone_path)
        unlink(clone_path);
    if (console_log)
        unlink(console_log);
    if (dir)
        rmdir(dir);
}

static void setup(void)
{
    struct be_host_conf conf = { .uri = "qemu:///local" };

    static bool at_exit;
    if (!at_exit)
        at_exit = atexit(close_hosts) == 0;
    ops = be_lookup("qemu");
    ck_assert_msg(ops != NULL, "%s", err_msg());
    kernel = tg_guest_file("vmlinuz");
    initrd = tg_guest_file("initrd");
    base = tg_guest_file("base.qcow2");
    key = tg_guest_file("id_ed25519");
    dir = tg_mkdtemp("beq");
    clone_path = tg_clone(dir, vm, base);
    console_log = xasprintf("%s/serial.log", dir);
    disk = (struct be_disk){ .path = clone_path };
    nic = (struct be_nic){ .mode = "user", .hostfwd_port = (unsigned short)tg_free_port() };
    spec = (struct be_vm_spec){
        .name = (char *)vm, .mem_mib = 128, .smp = 1, .accel = "tcg",
        .kernel = kernel, .initrd = initrd, .cmdline = "console=ttyS0 quiet",
        .console_log = console_log, .disks = &disk, .ndisks = 1, .nics = &nic, .nnics = 1,
    };
    setenv("TMPDIR", dir, 1);   /* the run directories too: checked at the end */
    ha = ops->open(&conf);
    ck_assert_msg(ha != NULL, "%s", err_msg());
    hb = ops->open(&conf);
    ck_assert_msg(hb != NULL, "%s", err_msg());
}

static void teardown(void)
{
    if (ha) {
        ops->destroy(ha, vm);
        ops->undefine(ha, vm);
        ops->close(ha);
    }
    if (hb) {
        ops->destroy(hb, vm);
        ops->undefine(hb, vm);
        ops->close(hb);
    }
    ha = hb = NULL;
    if (clone_path)
        unlink(clone_path);
    if (console_log)
        unlink(console_log);
    if (dir)
        rmdir(dir);
    free(clone_path);
    free(console_log);
    free(dir);
    free(kernel);
    free(initrd);
    free(base);
    free(key);
    clone_path = console_log = dir = kernel = initrd = base = key = NULL;
}

static void boot(void)
{
    enum be_state st;
    double t0 = tg_now();

    ck_assert_msg(ops->define(ha, &spec) == 0, "%s", err_msg());
    ck_assert_msg(ops->state(ha, vm, &st) == 0 && st == BE_STATE_SHUTOFF, "%s", err_msg());
    ck_assert_msg(ops->start(ha, vm) == 0, "%s", err_msg());
    ck_assert_msg(ops->state(ha, vm, &st) == 0 && st == BE_STATE_RUNNING,
                  "state %s: %s", be_state_name(st), err_msg());
    tg_wait_ready(console_log, 90);
    printf("qemu: booted to VTRUN-GUEST-READY in %.1f s\n", tg_now() - t0);
}

static void print_hop(const char *what, const struct be_hop_metrics *m)
{
    printf("qemu: %s: wall %.3f s, qemu total %.0f ms, downtime %.0f ms, %llu bytes, "
           "%llu iterations%s\n", what, m->wall_s, m->time_ms, m->downtime_ms,
           m->data_bytes, m->mem_iterations, m->postcopy ? ", postcopy" : "");
}

START_TEST(test_qemu_vm_boots_migrates_there_and_back_and_leaves_nothing)
{
    const unsigned move = BE_MIG_LIVE | BE_MIG_PERSISTENT | BE_MIG_UNDEFINE_SOURCE;
    struct be_migrate_opts live = { .flags = move };
    struct be_migrate_opts post = { .flags = move | BE_MIG_POSTCOPY,
        /* precopy at 16 MiB/s would take 8 s: the 0.3 s timeout switches to
         * postcopy (unlimited bandwidth), which must then finish the hop */
        .bandwidth_mib = 16, .timeout_s = 0.3 };
    struct be_hop_metrics m;
    enum be_state st;
    double up0, up1, up2;
    char *path;

    boot();
    path = ops->console_path(ha, vm);
    ck_assert_str_eq(path, console_log);
    free(path);
    up0 = tg_uptime("127.0.0.1", nic.hostfwd_port, key);

    ck_assert_msg(be_migrate(ops, ha, hb, vm, &live, &m) == 0, "%s", err_msg());
    print_hop("hop there (precopy)", &m);
    ck_assert(m.wall_s > 0 && m.mem_bytes > 0 && m.downtime_ms >= 0);
    ck_assert(!m.postcopy && !m.aborted);
    ck_assert_msg(ops->state(hb, vm, &st) == 0 && st == BE_STATE_RUNNING,
                  "dest state %s: %s", be_state_name(st), err_msg());
    ck_assert(ops->state(ha, vm, &st) == 0 && st == BE_STATE_NONE);
    up1 = tg_uptime("127.0.0.1", nic.hostfwd_port, key);
    ck_assert_msg(up1 >= up0, "uptime went back: %.2f -> %.2f", up0, up1);

    ck_assert_msg(be_migrate(ops, hb, ha, vm, &post, &m) == 0, "%s", err_msg());
    print_hop("hop back (postcopy on timeout)", &m);
    ck_assert(m.postcopy);
    ck_assert(ops->state(ha, vm, &st) == 0 && st == BE_STATE_RUNNING);
    up2 = tg_uptime("127.0.0.1", nic.hostfwd_port, key);
    ck_assert_msg(up2 >= up1, "uptime went back: %.2f -> %.2f", up1, up2);

    ck_assert_msg(ops->destroy(ha, vm) == 0, "%s", err_msg());
    ck_assert(ops->state(ha, vm, &st) == 0 && st == BE_STATE_SHUTOFF);
    ck_assert_msg(ops->undefine(ha, vm) == 0, "%s", err_msg());
    ck_assert(ops->state(ha, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert(ops->state(hb, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(tg_count_procs("guest=vtrun-beq"), 0);
    ck_assert_int_eq(unlink(clone_path), 0);
    ck_assert_int_eq(access(clone_path, F_OK), -1);
    /* the backends' private run directories (QMP sockets, QEMU logs, migration
     * sockets) live under TMPDIR=dir and must be gone after close */
    ops->close(ha);
    ops->close(hb);
    ha = hb = NULL;
    ck_assert_int_eq(unlink(console_log), 0);
    ck_assert_msg(rmdir(dir) == 0, "%s not empty after close: %s", dir, strerror(errno));
}
END_TEST

START_TEST(test_qemu_migration_timeout_aborts_and_vm_keeps_running_on_source)
{
    /* 1 MiB/s cannot move 128 MiB in 1 s: the hop must be aborted, not hang */
    struct be_migrate_opts slow = { .flags = BE_MIG_LIVE, .bandwidth_mib = 1,
                                    .timeout_s = 1.0 };
    struct be_hop_metrics m;
    enum be_state st;

    boot();
    ck_assert_int_eq(be_migrate(ops, ha, hb, vm, &slow, &m), -1);
    ck_assert_msg(strstr(err_msg(), "migration timeout") != NULL, "%s", err_msg());
    ck_assert(m.aborted && m.timed_out);
    ck_assert(m.wall_s >= 1.0 && m.wall_s < 15.0);
    ck_assert_msg(ops->state(ha, vm, &st) == 0 && st == BE_STATE_RUNNING,
                  "source state %s", be_state_name(st));
    ck_assert(ops->state(hb, vm, &st) == 0 && st == BE_STATE_NONE);
    (void)tg_uptime("127.0.0.1", nic.hostfwd_port, key);
    ck_assert_int_eq(ops->destroy(ha, vm), 0);
    ck_assert_int_eq(tg_count_procs("guest=vtrun-beq"), 0);
}
END_TEST

START_TEST(test_qemu_guest_poweroff_is_seen_as_shut_off)
{
    enum be_state st;
    int rc;
    double deadline;

    boot();
    /* the lab's busybox guest has no ACPI handler: shutdown() must come back at its
     * timeout with a clear error (or succeed, should the guest learn ACPI) */
    rc = ops->shutdown(ha, vm, 1.5);
    ck_assert_msg(rc == 0 || strstr(err_msg(), "did not power off") != NULL, "%s", err_msg());
    if (rc != 0) {
        char *out = tg_ssh("127.0.0.1", nic.hostfwd_port, key,
                           "(sleep 0.3; poweroff -f) >/dev/null 2>&1 &", 60);
        free(out);
    }
    for (deadline = tg_now() + 20;; usleep(100000)) {
        ck_assert_msg(ops->state(ha, vm, &st) == 0, "%s", err_msg());
        if (st == BE_STATE_SHUTOFF)
            break;
        ck_assert_msg(tg_now() < deadline, "still %s 20 s after poweroff", be_state_name(st));
    }
    ck_assert_int_eq(tg_count_procs("guest=vtrun-beq"), 0);
    ck_assert_msg(ops->start(ha, vm) == 0, "restart after poweroff: %s", err_msg());
    ck_assert_int_eq(ops->destroy(ha, vm), 0);
}
END_TEST

START_TEST(test_qemu_unknown_vm_and_backend_report_errors)
{
    enum be_state st;

    ck_assert_ptr_null(be_lookup("xen"));
    ck_assert_msg(strstr(err_msg(), "libvirt, qemu") != NULL, "%s", err_msg());
    ck_assert_int_eq(ops->start(ha, "nosuchvm"), -1);
    ck_assert_msg(strstr(err_msg(), "nosuchvm") != NULL, "%s", err_msg());
    ck_assert(ops->state(ha, "nosuchvm", &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(ops->destroy(ha, "nosuchvm"), 0);
    ck_assert_int_eq(ops->undefine(ha, "nosuchvm"), 0);
}
END_TEST

START_TEST(test_qemu_host_info_is_this_machine)
{
    struct be_host_info i;

    ck_assert_msg(ops->host_info(ha, &i) == 0, "%s", err_msg());
    ck_assert_str_eq(i.hypervisor, "QEMU");
    ck_assert(i.hv_version >= 7000000 && i.libvirt_version == 0);
    ck_assert_str_eq(i.arch, "x86_64");
    ck_assert(i.hostname && i.os_id && i.kernel_release && i.ncpus > 0);
    ck_assert(i.free_mem_bytes > 0 && i.total_mem_bytes >= i.free_mem_bytes);
    be_host_info_free(&i);
}
END_TEST

START_TEST(test_qemu_start_failure_reports_qemus_complaint)
{
    enum be_state st;

    spec.kernel = "/nonexistent/vmlinuz";
    ck_assert_msg(ops->define(ha, &spec) == 0, "%s", err_msg());
    ck_assert_int_eq(ops->start(ha, vm), -1);
    ck_assert_msg(strstr(err_msg(), "exited during start-up") &&
                  strstr(err_msg(), "/nonexistent/vmlinuz"), "%s", err_msg());
    ck_assert(ops->state(ha, vm, &st) == 0 && st == BE_STATE_SHUTOFF);
    ck_assert_int_eq(tg_count_procs("guest=vtrun-beq"), 0);
}
END_TEST

START_TEST(test_qemu_offline_migration_moves_the_definition)
{
    struct be_migrate_opts off = { .flags = BE_MIG_OFFLINE | BE_MIG_PERSISTENT |
                                            BE_MIG_UNDEFINE_SOURCE };
    enum be_state st;

    ck_assert_msg(ops->define(ha, &spec) == 0, "%s", err_msg());
    ck_assert_msg(be_migrate(ops, ha, hb, vm, &off, NULL) == 0, "%s", err_msg());
    ck_assert(ops->state(hb, vm, &st) == 0 && st == BE_STATE_SHUTOFF);
    ck_assert(ops->state(ha, vm, &st) == 0 && st == BE_STATE_NONE);
    ck_assert_int_eq(ops->undefine(hb, vm), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("be_qemu");

    setvbuf(stdout, NULL, _IOLBF, 0);
    TCase *tc = tcase_create("qemu");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_qemu_unknown_vm_and_backend_report_errors);
    tcase_add_test(tc, test_qemu_vm_boots_migrates_there_and_back_and_leaves_nothing);
    tcase_add_test(tc, test_qemu_migration_timeout_aborts_and_vm_keeps_running_on_source);
    tcase_add_test(tc, test_qemu_guest_poweroff_is_seen_as_shut_off);
    tcase_add_test(tc, test_qemu_offline_migration_moves_the_definition);
    tcase_add_test(tc, test_qemu_start_failure_reports_qemus_complaint);
    tcase_add_test(tc, test_qemu_host_info_is_this_machine);
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
