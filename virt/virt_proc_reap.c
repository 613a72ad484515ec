/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A process a dead job left on this machine (a qemu-backend QEMU), from its ledger
 * entry: the pidfile the process was started with.  The pid alone proves nothing (it
 * may be another process's by now), so a process is only killed when its command line
 * holds `-pidfile PATH` with exactly that path, which is unique to the job, its slot
 * and the QEMU (<runtime>/qemu/<job7>-<slot>-<host>/<domain>.<n>.pid).  The pidfile is
 * the quick way to its pid; a QEMU killed with its vtrun before it wrote one is still
 * found, by its command line, among the machine's processes.
 */
#include "virt/virt.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether process pid's argv has "-pidfile" followed by pidfile. */
static bool started_with(long pid, const char *pidfile)
{
    char path[64];
    struct strbuf sb = STRBUF_INIT;
    bool yes = false;
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    if (strbuf_read_file(&sb, path, 1 << 20) > 0) {
        for (size_t off = 0; off < sb.len && !yes;) {
            const char *a = sb.buf + off;
            size_t n = strlen(a) + 1;
            yes = !strcmp(a, "-pidfile") && off + n < sb.len && !strcmp(a + n, pidfile);
            off += n;
        }
    }
    strbuf_release(&sb);
    return yes;
}

static long pid_from_file(const char *pidfile)
{
    struct strbuf sb = STRBUF_INIT;
    long pid = 0;
    if (strbuf_read_file(&sb, pidfile, 64) > 0)
        pid = strtol(sb.buf, NULL, 10);
    strbuf_release(&sb);
    return pid > 0 ? pid : 0;
}

/* The process started with -pidfile pidfile, 0 when none runs. */
static long find(const char *pidfile)
{
    long pid = pid_from_file(pidfile);
    if (pid && started_with(pid, pidfile))
        return pid;
    pid = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *de; d && !pid && (de = readdir(d));) {
        long p = strtol(de->d_name, NULL, 10);
        if (p > 0 && started_with(p, pidfile))
            pid = p;
    }
    if (d)
        closedir(d);
    return pid;
}

/* The files the qemu backend keeps beside the pidfile (QMP socket, QEMU's log): same
 * name, other extension; then the run directory, once empty. */
static void remove_files(const char *pidfile)
{
    static const char *const ext[] = { ".pid", ".qmp", ".log" };
    size_t len = strlen(pidfile);
    char *top = xasprintf("%s/qemu/", virt_runtime_dir());
    /* only where the qemu backend puts them: a ledger names no other file to remove */
    bool ours = !strncmp(pidfile, top, strlen(top)) && !strstr(pidfile, "/../");
    free(top);
    if (!ours || len < 4 || strcmp(pidfile + len - 4, ".pid"))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
        char *f = xasprintf("%.*s%s", (int)(len - 4), pidfile, ext[i]);
        unlink(f);
        free(f);
    }
    char *dir = xstrdup(pidfile);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        rmdir(dir);
    }
    free(dir);
}

/* Alive and not a zombie waiting for whoever inherited it to reap it. */
static bool running(long pid, unsigned long long start)
{
    char path[64];
    struct strbuf sb = STRBUF_INIT;
    bool zombie = false;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (strbuf_read_file(&sb, path, 4096) > 0) {
        const char *s = strrchr(sb.buf, ')');
        zombie = s && (s[2] == 'Z' || s[2] == 'X');
    }
    strbuf_release(&sb);
    return !zombie && virt_proc_alive(pid, start);
}

int virt_reap_process(const char *pidfile)
{
    long pid = find(pidfile);
    if (pid) {
        unsigned long long start;
        if (virt_proc_start(pid, &start) < 0)
            pid = 0;    /* ended meanwhile */
        else {
            /* QEMU leads its own process group (lib/spawn): helpers it forked go too */
            if (getpgid((pid_t)pid) == (pid_t)pid)
                kill(-(pid_t)pid, SIGKILL);
            kill((pid_t)pid, SIGKILL);
            for (double end = clock_now() + 5; running(pid, start);) {
                if (clock_now() >= end) {
                    err_set("process %ld (started with -pidfile %s) survived SIGKILL", pid,
                            pidfile);
                    return -1;
                }
                clock_sleep(0.02);
            }
        }
    }
    remove_files(pidfile);
    return 0;
}
