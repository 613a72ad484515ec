/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt_ledger: write, read back, parse errors, mutated files, process identity, slots,
 * a dead job's process found by its pidfile argument. */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/vtrun-ledger-XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("VTRUN_RUNTIME_DIR", dir, 1);
}

static void teardown(void)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    strcpy(dir, "/tmp/vtrun-ledger-XXXXXX");
}

static const struct virt_ledger_entry *find(const struct virt_ledger *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].res.name, name))
            return &l->v[i];
    return NULL;
}

START_TEST(test_written_entries_read_back_and_struck_ones_are_gone)
{
    ck_assert_int_eq(virt_ledger_begin("a1b2c3d4e5"), 0);
    struct virt_res dom = { VIRT_RES_DOMAIN, "libvirt", "qemu+ssh://root@h1/system", "vm1-a1b2c3d-0" };
    struct virt_res cl = { VIRT_RES_CLONE, "", "host 1", "/images/my clone%.qcow2" };
    struct virt_res gone = { VIRT_RES_FILE, "", "", "/tmp/x" };
    unsigned long a = virt_ledger_note(&dom), b = virt_ledger_note(&cl), c = virt_ledger_note(&gone);
    ck_assert(a && b && c && a != b);
    virt_ledger_strike(c);

    struct virt_ledger *all;
    size_t n;
    struct strbuf bad = STRBUF_INIT;
    ck_assert_int_eq(virt_ledger_scan(&all, &n, &bad), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(bad.buf, "");
    ck_assert_str_eq(all[0].job_id, "a1b2c3d4e5");
    ck_assert_int_eq(all[0].pid, getpid());
    ck_assert(all[0].alive);
    ck_assert_uint_eq(all[0].n, 2);
    const struct virt_ledger_entry *e = find(&all[0], "/images/my clone%.qcow2");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->res.kind, VIRT_RES_CLONE);
    ck_assert_str_eq(e->res.host, "host 1");
    ck_assert_str_eq(e->res.backend, "");
    e = find(&all[0], "vm1-a1b2c3d-0");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->res.host, "qemu+ssh://root@h1/system");
    ck_assert_ptr_null(find(&all[0], "/tmp/x"));

    /* another job strikes an entry of this ledger (as after removing it) */
    ck_assert_int_eq(virt_ledger_strike_in(all[0].path, e->id), 0);
    virt_ledger_free(&all[0]);
    free(all);
    ck_assert_int_eq(virt_ledger_scan(&all, &n, &bad), 0);
    ck_assert_uint_eq(all[0].n, 1);
    virt_ledger_free(&all[0]);
    free(all);

    /* entries left: the file stays for the next job */
    virt_ledger_end();
    ck_assert_int_eq(virt_ledger_scan(&all, &n, &bad), 0);
    ck_assert_uint_eq(n, 1);
    virt_ledger_free(&all[0]);
    free(all);
    strbuf_release(&bad);
}
END_TEST

START_TEST(test_a_clean_job_leaves_no_ledger)
{
    ck_assert_int_eq(virt_ledger_begin("job2"), 0);
    /* the same job id twice on one machine: refused, never shared */
    ck_assert_int_eq(virt_ledger_begin("job2"), -1);
    struct virt_res r = { VIRT_RES_DOMAIN, "libvirt", "qemu:///system", "d" };
    virt_ledger_strike(virt_ledger_note(&r));
    virt_ledger_end();
    struct virt_ledger *all;
    size_t n;
    struct strbuf bad = STRBUF_INIT;
    ck_assert_int_eq(virt_ledger_scan(&all, &n, &bad), 0);
    ck_assert_uint_eq(n, 0);
    free(all);
    strbuf_release(&bad);
}
END_TEST

static int parse(const char *text, struct virt_ledger *l)
{
    return virt_ledger_parse(text, strlen(text), "L", l);
}

START_TEST(test_bad_ledgers_are_clear_errors)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "", "L: not a vtrun ledger (empty)" },
        { "vtrun-ledger 1\n", "L: not a vtrun ledger (no job line)" },
        { "hello\njob x 1 2\n", "L:1: not a vtrun ledger" },
        { "vtrun-ledger 2\njob x 1 2\n", "L:1: not a vtrun ledger" },
        { "vtrun-ledger 1\njob x 0 2\n", "L:2: expected 'job ID PID START'" },
        { "vtrun-ledger 1\njob x -5 2\n", "L:2: expected 'job ID PID START'" },
        { "vtrun-ledger 1\njob x 1 2\n+ 1 vm libvirt h d\n", "L:3: unknown kind 'vm'" },
        { "vtrun-ledger 1\njob x 1 2\n+ 0 domain libvirt h d\n", "L:3: bad entry number '0'" },
        { "vtrun-ledger 1\njob x 1 2\n+ 1 domain libvirt h\n", "L:3: expected '+ N KIND" },
        { "vtrun-ledger 1\njob x 1 2\n+ 1 domain libvirt h d%0\n", "L:3: bad %-escape" },
        { "vtrun-ledger 1\njob x 1 2\n+ 1 domain libvirt h d%00\n", "L:3: bad %-escape" },
        { "vtrun-ledger 1\njob x 1 2\n+ 1 domain libvirt h -\n", "L:3: domain with no name" },
        { "vtrun-ledger 1\njob x 1 2\n- x\n", "L:3: bad entry number 'x'" },
        { "vtrun-ledger 1\njob x 1 2\n* 1\n", "L:3: expected" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct virt_ledger l;
        ck_assert_msg(parse(bad[i].text, &l) == -1, "accepted: %s", bad[i].text);
        ck_assert_msg(!strncmp(err_msg(), bad[i].msg, strlen(bad[i].msg)),
                      "%s: got '%s'", bad[i].text, err_msg());
    }
    struct virt_ledger l;
    ck_assert_int_eq(virt_ledger_parse("vtrun-ledger 1\njob x 1 2\0", 26, "L", &l), -1);
    ck_assert_str_eq(err_msg(), "L: not a vtrun ledger (binary data)");
}
END_TEST

START_TEST(test_entries_keep_their_order_after_strikes)
{
    struct virt_ledger l;
    ck_assert_int_eq(parse("vtrun-ledger 1\njob j 7 9\n+ 1 clone - - c1\n+ 2 domain x h d1\n"
                           "+ 3 clone - - c2\n+ 4 domain x h d2\n- 2\n", &l), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.v[0].res.name, "c1");
    ck_assert_str_eq(l.v[1].res.name, "c2");
    ck_assert_str_eq(l.v[2].res.name, "d2");
    virt_ledger_free(&l);
}
END_TEST

START_TEST(test_a_line_cut_by_a_kill_is_ignored)
{
    struct virt_ledger l;
    ck_assert_int_eq(parse("vtrun-ledger 1\njob j 7 9\n+ 1 domain libvirt h d1\n+ 2 dom", &l), 0);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.v[0].res.name, "d1");
    ck_assert_int_eq(l.pid, 7);
    ck_assert_uint_eq(l.start, 9);
    virt_ledger_free(&l);
}
END_TEST

/* Mutated ledgers (bytes flipped, cut, duplicated): parsed or refused, never a crash
 * (ASan/UBSan in `make check SANITIZE=1`), and an error always says where. */
START_TEST(test_mutated_ledgers_never_crash)
{
    const char *good = "vtrun-ledger 1\njob a%20b 123 456\n+ 1 domain libvirt qemu:///system vm1\n"
                       "+ 2 clone - host1 /p%25q\n- 1\n+ 3 slot - - 4\n";
    size_t len = strlen(good);
    unsigned seed = 12345;
    char buf[512];
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, good, len);
        size_t n = len;
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            switch ((seed >> 4) % 4) {
            case 0: buf[at] = (char)(seed >> 16); break;
            case 1: n = at + 1; break;
            case 2: buf[at] = "% \n-+0"[(seed >> 16) % 6]; break;
            default:
                if (n + 8 < sizeof(buf)) {
                    memmove(buf + at + 8, buf + at, n - at);
                    n += 8;
                }
            }
        }
        struct virt_ledger l;
        if (virt_ledger_parse(buf, n, "M", &l) == 0) {
            ck_assert_ptr_nonnull(l.job_id);
            for (size_t i = 0; i < l.n; i++)
                ck_assert(l.v[i].res.name && *l.v[i].res.name);
            virt_ledger_free(&l);
        } else {
            ck_assert(!strncmp(err_msg(), "M", 1));
        }
    }
}
END_TEST

START_TEST(test_a_file_that_is_not_a_ledger_is_named_and_skipped)
{
    char *ldir = xasprintf("%s/ledger", dir);
    ck_assert_int_eq(virt_ledger_begin("real"), 0);
    char *junk = xasprintf("%s/junk", ldir);
    FILE *f = fopen(junk, "w");
    fputs("\x7f" "ELF garbage", f);
    fclose(f);
    struct virt_ledger *all;
    size_t n;
    struct strbuf bad = STRBUF_INIT;
    ck_assert_int_eq(virt_ledger_scan(&all, &n, &bad), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_nonnull(strstr(bad.buf, junk));
    virt_ledger_free(&all[0]);
    free(all);
    virt_ledger_end();
    strbuf_release(&bad);
    free(junk);
    free(ldir);
}
END_TEST

START_TEST(test_a_dead_or_reused_pid_is_not_alive)
{
    unsigned long long start;
    ck_assert_int_eq(virt_proc_start(getpid(), &start), 0);
    ck_assert(virt_proc_alive(getpid(), start));
    /* the same pid with another start time: a reused pid */
    ck_assert(!virt_proc_alive(getpid(), start + 1));
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    ck_assert(!virt_proc_alive(child, start));
    ck_assert_int_eq(virt_proc_start(-1, &start), -1);
}
END_TEST

START_TEST(test_slots_are_not_shared_between_processes)
{
    int fd0, fd1;
    ck_assert_int_eq(virt_slot_take(NULL, 4, &fd0), 0);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t child = fork();
    if (child == 0) {
        int fd;
        char s = (char)('0' + virt_slot_take(NULL, 4, &fd));
        (void)!write(p[1], &s, 1);
        _exit(0);
    }
    char got;
    ck_assert_int_eq(read(p[0], &got, 1), 1);
    waitpid(child, NULL, 0);
    ck_assert_int_eq(got, '1');
    /* the child died: its slot is free again; avoid[] skips slot 1 all the same */
    bool avoid[4] = { false, true, false, false };
    ck_assert_int_eq(virt_slot_take(avoid, 4, &fd1), 2);
    close(fd0);
    close(fd1);
    int fds[2];
    ck_assert_int_eq(virt_slot_take(NULL, 1, &fds[0]), 0);
    close(fds[0]);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* A shell whose command line holds `-pidfile path` (as a QEMU's does), in a process
 * group of its own. */
static pid_t started_with_pidfile(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        execl("/bin/sh", "sh", "-c", "sleep 30; :", "sh", "-pidfile", path, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_gt(pid, 0);
    for (int i = 0; i < 200; i++) {     /* exec'd: its command line is the shell's */
        char f[64], buf[256] = "";
        snprintf(f, sizeof(f), "/proc/%d/cmdline", (int)pid);
        FILE *fp = fopen(f, "r");
        size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
        if (fp)
            fclose(fp);
        if (n && !strcmp(buf, "sh"))
            break;
        usleep(10 * 1000);
    }
    return pid;
}

static bool reaped_dead(pid_t pid)
{
    int st;
    return waitpid(pid, &st, WNOHANG) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

/* A dead job's QEMU is killed by the pidfile its command line names, never by a pid
 * alone: a pidfile holding another process's pid (reused) kills that one not; the
 * files beside the pidfile and the emptied run directory go. */
START_TEST(test_a_leftover_process_is_known_by_its_pidfile_argument)
{
    char *top = xasprintf("%s/qemu", dir), *run = xasprintf("%s/qemu/abcdef0-0-local-a", dir);
    ck_assert_int_eq(mkdir(top, 0700), 0);
    ck_assert_int_eq(mkdir(run, 0700), 0);
    char *pidfile = xasprintf("%s/vm1-abcdef0-0.1.pid", run);
    char *qmp = xasprintf("%s/vm1-abcdef0-0.1.qmp", run);
    char *other = xasprintf("%s/other.pid", dir);
    pid_t mine = started_with_pidfile(pidfile), decoy = started_with_pidfile(other);
    /* the pidfile names the decoy: a pid reused since */
    FILE *f = fopen(pidfile, "w");
    fprintf(f, "%d\n", (int)decoy);
    fclose(f);
    f = fopen(qmp, "w");
    fclose(f);
    ck_assert_int_eq(virt_reap_process(pidfile), 0);
    usleep(50 * 1000);
    ck_assert(reaped_dead(mine));
    ck_assert_int_eq(kill(decoy, 0), 0);
    ck_assert_int_eq(access(pidfile, F_OK), -1);
    ck_assert_int_eq(access(qmp, F_OK), -1);
    ck_assert_int_eq(access(run, F_OK), -1);
    /* nothing runs with it any more: still fine */
    ck_assert_int_eq(virt_reap_process(pidfile), 0);
    /* a process is known by its argument wherever the file is; a file outside the
     * qemu backend's run directories is never removed */
    ck_assert_int_eq(virt_reap_process(other), 0);
    usleep(50 * 1000);
    ck_assert(reaped_dead(decoy));
    f = fopen(other, "w");
    fclose(f);
    ck_assert_int_eq(virt_reap_process(other), 0);
    ck_assert_int_eq(access(other, F_OK), 0);
    free(top);
    free(run);
    free(pidfile);
    free(qmp);
    free(other);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virt_ledger");
    TCase *tc = tcase_create("ledger");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_written_entries_read_back_and_struck_ones_are_gone);
    tcase_add_test(tc, test_a_clean_job_leaves_no_ledger);
    tcase_add_test(tc, test_bad_ledgers_are_clear_errors);
    tcase_add_test(tc, test_a_line_cut_by_a_kill_is_ignored);
    tcase_add_test(tc, test_entries_keep_their_order_after_strikes);
    tcase_add_test(tc, test_mutated_ledgers_never_crash);
    tcase_add_test(tc, test_a_file_that_is_not_a_ledger_is_named_and_skipped);
    tcase_add_test(tc, test_a_dead_or_reused_pid_is_not_alive);
    tcase_add_test(tc, test_slots_are_not_shared_between_processes);
    tcase_add_test(tc, test_a_leftover_process_is_known_by_its_pidfile_argument);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
