/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the backend end-to-end tests (tests/e2e/test_be_conformance.c): the
 * lab's guest files and settings, a qcow2 clone, SSH into the guest (also inside the
 * lab's network namespace), and "nothing left behind" probes.
 *
 * SSH goes through virt/'s libssh session module; the guest contract is
 * tests/lab/README.md.
 * Every helper fails the calling check test loudly when a facility is missing.
 */
#ifndef VTRUN_TESTS_BE_GUEST_H
#define VTRUN_TESTS_BE_GUEST_H

#include "lib/err.h"
#include "lib/strbuf.h"
#include "virt/virt.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double tg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ${VTRUN_CACHE:-/var/cache/vtrun}/guest/<file>, which must exist. */
static inline char *tg_guest_file(const char *file)
{
    const char *cache = getenv("VTRUN_CACHE");
    char *p = xasprintf("%s/guest/%s", cache && *cache ? cache : "/var/cache/vtrun", file);
    ck_assert_msg(access(p, R_OK) == 0,
                  "guest file %s missing: run `tests/lab/lab build` (%s)", p, strerror(errno));
    return p;
}

/* Run argv with a timeout; stdout (and stderr) into out when given.
 * Returns the exit status, or -1 when it could not run / timed out. */
static inline int tg_run(const char *const *argv, struct strbuf *out, double timeout_s)
{
    int pipefd[2];
    pid_t pid;
    int st = 0;
    double deadline = tg_now() + timeout_s;

    ck_assert(pipe(pipefd) == 0);
    pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        setpgid(0, 0);
        dup2(nul, 0);
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    for (;;) {
        char buf[4096];
        struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
        double left = deadline - tg_now();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            waitpid(pid, NULL, 0);
            close(pipefd[0]);
            return -1;
        }
        if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
            continue;
        ssize_t n = read(pipefd[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        if (out)
            strbuf_add(out, buf, (size_t)n);
    }
    close(pipefd[0]);
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A linked qcow2 clone of base in dir (absolute backing path, as libvirt needs). */
static inline char *tg_clone(const char *dir, const char *name, const char *base)
{
    char *path = xasprintf("%s/%s.qcow2", dir, name);
    const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                           "-b", base, path, NULL };
    struct strbuf out = STRBUF_INIT;
    int rc = tg_run(argv, &out, 30);
    ck_assert_msg(rc == 0, "qemu-img create failed (%d): %s", rc, out.buf);
    strbuf_release(&out);
    return path;
}

/* Wait until the console log holds the guest's readiness line. */
static inline void tg_wait_ready(const char *console_log, double timeout_s)
{
    double deadline = tg_now() + timeout_s;
    for (;;) {
        FILE *f = fopen(console_log, "r");
        char line[512];
        if (f) {
            while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "VTRUN-GUEST-READY", 17)) {
                    fclose(f);
                    return;
                }
            fclose(f);
        }
        ck_assert_msg(tg_now() < deadline, "no VTRUN-GUEST-READY in %s within %.0f s",
                      console_log, timeout_s);
        usleep(50000);
    }
}

static char tg_known_hosts[64];

static inline void tg_known_hosts_rm(void)
{
    if (tg_known_hosts[0])
        unlink(tg_known_hosts);
}

/* Run cmd in the guest as root over SSH (virt/'s libssh sessions, key auth, host
 * key accepted into a per-process known_hosts on first use and checked after every
 * hop); retries the login until timeout_s.  With netns, the calling thread enters
 * that network namespace (/run/netns/NAME) for the session and comes back: a
 * user-mode NIC's forward of a lab daemon's QEMU exists only there.  Returns the
 * command's stdout, or NULL with *why. */
static inline char *tg_ssh_try(const char *netns, const char *addr, unsigned port,
                               const char *key, const char *cmd, double timeout_s,
                               char **why)
{
    struct virt_login l = { .host = (char *)addr, .port = (int)port, .user = "root",
                            .key_file = (char *)key };
    struct virt_ctx ctx = { 0 };
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct virt_ssh *s = NULL;
    int status = -1, self = -1, ns = -1;
    char *res = NULL;

    *why = NULL;
    if (!tg_known_hosts[0]) {
        snprintf(tg_known_hosts, sizeof(tg_known_hosts), "/tmp/vtrun-be-known-%d",
                 (int)getpid());
        atexit(tg_known_hosts_rm);
    }
    if (netns) {
        char *path = xasprintf("/run/netns/%s", netns);
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        ns = open(path, O_RDONLY | O_CLOEXEC);
        if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
            *why = xasprintf("enter %s: %s", path, strerror(errno));
        free(path);
        if (*why)
            goto cleanup;
    }
    s = virt_ssh_wait_for_login(&l, tg_known_hosts, timeout_s, &ctx);
    if (!s)
        *why = xasprintf("login to %s:%u: %s", addr, port, err_msg());
    else if (virt_ssh_exec(s, cmd, 30, &status, &out, &err) < 0 || status)
        *why = xasprintf("ssh %s:%u '%s': exit %d: %s %s", addr, port, cmd, status,
                         err_msg(), err.buf);
    else
        res = strbuf_detach(&out, NULL);
    if (s)
        virt_ssh_close(s);
    if (netns && setns(self, CLONE_NEWNET) < 0) {
        /* cannot go on in the wrong namespace */
        fprintf(stderr, "back to own netns: %s\n", strerror(errno));
        abort();
    }
cleanup:
    if (self >= 0)
        close(self);
    if (ns >= 0)
        close(ns);
    strbuf_release(&out);
    strbuf_release(&err);
    return res;
}

/* tg_ssh_try() that fails the test (never while in another namespace). */
static inline char *tg_ssh_in(const char *netns, const char *addr, unsigned port,
                              const char *key, const char *cmd, double timeout_s)
{
    char *why, *out = tg_ssh_try(netns, addr, port, key, cmd, timeout_s, &why);

    ck_assert_msg(out != NULL, "%s", why);
    return out;
}

static inline char *tg_ssh(const char *addr, unsigned port, const char *key, const char *cmd,
                           double timeout_s)
{
    return tg_ssh_in(NULL, addr, port, key, cmd, timeout_s);
}

/* Seconds of guest uptime (first field of /proc/uptime). */
static inline double tg_uptime_in(const char *netns, const char *addr, unsigned port,
                                  const char *key)
{
    char *s = tg_ssh_in(netns, addr, port, key, "cat /proc/uptime", 60), *end;
    double up = strtod(s, &end);
    ck_assert_msg(end != s && up > 0, "bad /proc/uptime: '%s'", s);
    free(s);
    return up;
}

static inline double tg_uptime(const char *addr, unsigned port, const char *key)
{
    return tg_uptime_in(NULL, addr, port, key);
}

/* Number of processes whose command line contains needle (e.g. "guest=vm1"). */
static inline int tg_count_procs(const char *needle)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    ck_assert(d != NULL);
    while ((e = readdir(d))) {
        char path[300], buf[8192];
        ssize_t len;
        int fd;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len <= 0)
            continue;
        for (ssize_t i = 0; i < len; i++)
            if (!buf[i])
                buf[i] = ' ';
        buf[len] = '\0';
        if (strstr(buf, needle) && !strstr(buf, "tests/e2e/"))
            n++;
    }
    closedir(d);
    return n;
}

/* A TCP port on 127.0.0.1 nobody listens on right now. */
static inline unsigned tg_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    ck_assert(fd >= 0);
    ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* A scratch directory for a test's disks and console logs, which the backends hand to
 * the lab's daemons as they are: under the lab's state directory, which every lab host
 * sees at the same path ($VTRUN_LAB_STATE; each host's /tmp is its own), else /tmp. */
static inline char *tg_mkdtemp(const char *what)
{
    const char *state = getenv("VTRUN_LAB_STATE");
    char *dir = state && *state ? xasprintf("%s/tmp-vtrun-%s-XXXXXX", state, what)
                                : xasprintf("/tmp/vtrun-%s-XXXXXX", what);
    ck_assert_msg(mkdtemp(dir) != NULL, "%s: %s", dir, strerror(errno));
    return dir;
}


/* ---- the lab's settings file ($VTRUN_SETTINGS, written by tests/lab/lab up) ---- */

/* Read the settings into *cfg (config_destroy() it) and the first two hosts into hc;
 * returns the settings path. */
static inline const char *tg_lab_settings(config_t *cfg, struct be_host_conf hc[2])
{
    const char *file = getenv("VTRUN_SETTINGS");
    config_setting_t *hosts;

    ck_assert_msg(file && *file, "VTRUN_SETTINGS is not set: run under tests/e2e/run or "
                  "`tests/lab/lab up` and export it");
    config_init(cfg);
    ck_assert_msg(config_read_file(cfg, file) == CONFIG_TRUE, "%s:%d: %s", file,
                  config_error_line(cfg), config_error_text(cfg));
    hosts = config_lookup(cfg, "hosts");
    ck_assert_msg(hosts && config_setting_length(hosts) >= 2, "%s: need two hosts", file);
    for (int i = 0; i < 2; i++) {
        config_setting_t *h = config_setting_get_elem(hosts, (unsigned)i);
        hc[i] = (struct be_host_conf){ 0 };
        ck_assert(config_setting_lookup_string(h, "uri", &hc[i].uri) == CONFIG_TRUE);
        config_setting_lookup_string(h, "migrate_desturi", &hc[i].migrate_desturi);
        config_setting_lookup_string(h, "migrate_uri", &hc[i].migrate_uri);
    }
    return file;
}

/* params.<name> of the settings, which must be there. */
static inline const char *tg_lab_param(const config_t *cfg, const char *name)
{
    const char *v = NULL;
    char *path = xasprintf("params.%s", name);
    ck_assert_msg(config_lookup_string(cfg, path, &v) == CONFIG_TRUE,
                  "settings %s: no %s", getenv("VTRUN_SETTINGS"), path);
    free(path);
    return v;
}

/* KEY=value of lab.env beside the settings (the last one), NULL when absent; caller
 * frees. */
static inline char *tg_lab_env(const char *settings_file, const char *key)
{
    char *copy = xstrdup(settings_file), *env, line[256], *val = NULL;
    size_t klen = strlen(key);
    FILE *f;

    env = xasprintf("%s/lab.env", dirname(copy));
    free(copy);
    f = fopen(env, "r");
    ck_assert_msg(f != NULL, "%s: missing (not a tests/lab lab?)", env);
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == '=') {
            line[strcspn(line, "\n")] = '\0';
            free(val);
            val = xstrdup(line + klen + 1);
        }
    fclose(f);
    free(env);
    return val;
}

/* The network namespace of lab host i (1-based): where its daemon creates a guest's
 * tap and where QEMU's user-mode forwards listen.  Each host of a lab v2 has its own
 * (hostI_netns=); a lab v1 put every host in its one netns=.  Caller frees. */
static inline char *tg_lab_host_netns(const char *settings_file, int i)
{
    char key[32];
    char *netns;

    snprintf(key, sizeof(key), "host%d_netns", i);
    netns = tg_lab_env(settings_file, key);
    if (!netns)
        netns = tg_lab_env(settings_file, "netns");
    ck_assert_msg(netns != NULL, "lab.env beside %s: no %s= nor netns=", settings_file, key);
    return netns;
}

#endif
