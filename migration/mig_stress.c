/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stress in guests and on hosts: sizes, commands, start and stop (migration/mig.h). */
#include "migration/mig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"

/* ---- sizes ---------------------------------------------------------------------- */

static int meminfo_field(const char *text, const char *key, unsigned long long *out)
{
    size_t klen = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, klen) || l[klen] != ':')
            continue;
        char *end;
        unsigned long long v = strtoull(l + klen + 1, &end, 10);
        while (*end == ' ')
            end++;
        /* /proc/meminfo says "kB" and means KiB: this is the unit the reference lost */
        if (!strncmp(end, "kB", 2))
            v *= 1024ULL;
        *out = v;
        return 0;
    }
    return -1;
}

int mig_meminfo_parse(const char *text, struct mig_meminfo *mi)
{
    if (meminfo_field(text, "MemTotal", &mi->total) < 0
        || meminfo_field(text, "MemFree", &mi->free) < 0) {
        err_set("meminfo: MemTotal or MemFree missing");
        return -1;
    }
    return 0;
}

int mig_meminfo_read_local(struct mig_meminfo *mi)
{
    char buf[8192];
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) {
        err_set("/proc/meminfo: %s", strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return mig_meminfo_parse(buf, mi);
}

int mig_stress_total_bytes(const char *spec, const struct mig_meminfo *mi,
                            unsigned long long vms_bytes, bool in_guest,
                            unsigned long long *out)
{
    long long v;
    if (!spec || !*spec)
        spec = "128M";      /* avocado-vt's default for stress_vm_bytes */
    if (!strcmp(spec, "half") || (in_guest && !strcmp(spec, "shortage"))) {
        v = ((long long)mi->total - (long long)vms_bytes) / 2;
    } else if (!strcmp(spec, "shortage")) {
        v = (long long)mi->free - (long long)vms_bytes + (long long)(512 * MIG_MIB);
    } else {
        unsigned long long b;
        if (params_size_parse(spec, &b) < 0) {
            err_prefix("stress_vm_bytes");
            return -1;
        }
        v = (long long)b;
    }
    if (v <= 0) {
        err_set("stress_vm_bytes=%s: nothing left to take (MemTotal %llu MiB, MemFree "
                "%llu MiB, VMs %llu MiB)", spec, mi->total / MIG_MIB, mi->free / MIG_MIB,
                vms_bytes / MIG_MIB);
        return -1;
    }
    *out = (unsigned long long)v;
    return 0;
}

unsigned mig_stress_workers(const char *args, const char *opt)
{
    size_t olen = strlen(opt);
    const char *p = args;
    while (p && (p = strstr(p, opt))) {
        const char *after = p + olen;
        bool word_start = p == args || isspace((unsigned char)p[-1]);
        if (word_start && (*after == ' ' || *after == '=')) {
            while (*after == ' ' || *after == '=')
                after++;
            long n = strtol(after, NULL, 10);
            return n > 0 ? (unsigned)n : 1;
        }
        p = after;
    }
    return 1;
}

/* ---- argv ----------------------------------------------------------------------- */

void mig_stress_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

static void argv_push(char ***argv, size_t *n, char *s)
{
    *argv = xrealloc(*argv, (*n + 2) * sizeof(**argv));
    (*argv)[(*n)++] = s;
    (*argv)[*n] = NULL;
}

char **mig_stress_argv(const char *tool, const char *args, const char *vm_bytes_spec,
                        const struct mig_meminfo *mi, unsigned long long vms_bytes,
                        bool in_guest)
{
    char **argv = NULL;
    size_t n = 0;
    char *copy = NULL, *per_worker = NULL;

    if (!tool || !*tool || strpbrk(tool, " \t/'")) {
        err_set("stress_tool '%s' is not a program name", tool ? tool : "");
        return NULL;
    }
    args = args ? args : "";
    if (strstr(args, "%s")) {
        unsigned long long total;
        if (!mi) {
            err_set("%s_args has %%s but no memory facts were given", tool);
            return NULL;
        }
        if (mig_stress_total_bytes(vm_bytes_spec, mi, vms_bytes, in_guest, &total) < 0)
            return NULL;
        unsigned workers = mig_stress_workers(args, "--vm");
        unsigned long long each = total / workers;
        if (!each) {
            err_set("stress_vm_bytes: %llu bytes over %u workers is nothing", total, workers);
            return NULL;
        }
        per_worker = xasprintf("%llu", each);
    }
    argv_push(&argv, &n, xstrdup(tool));
    copy = xstrdup(args);
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        char *pct = strstr(w, "%s");
        if (pct) {
            struct strbuf sb = STRBUF_INIT;
            strbuf_add(&sb, w, (size_t)(pct - w));
            strbuf_addstr(&sb, per_worker);
            strbuf_addstr(&sb, pct + 2);
            argv_push(&argv, &n, strbuf_detach(&sb, NULL));
        } else {
            argv_push(&argv, &n, xstrdup(w));
        }
    }
    free(copy);
    free(per_worker);
    return argv;
}

/* ---- scripts for guests and remote hosts ------------------------------------------- */

static void sh_quote(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            strbuf_addstr(sb, "'\\''");
        else
            strbuf_addch(sb, *s);
    }
    strbuf_addch(sb, '\'');
}

static bool tag_ok(const char *tag)
{
    if (!tag || !*tag)
        return false;
    for (; *tag; tag++)
        if (!isalnum((unsigned char)*tag) && *tag != '-' && *tag != '_')
            return false;
    return true;
}

/* Seconds of a stress --timeout value: 60, 60s, 5m, 1h. */
static long parse_duration(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 0)
        return 0;
    switch (*end) {
    case 'm': return v * 60;
    case 'h': return v * 3600;
    case 'd': return v * 86400;
    default: return v;
    }
}

/* The busybox loop doing what stress's argv asks: only numbers from argv get into
 * the text (parsed, not copied), so no param text reaches the shell. */
static void fallback_loop(struct strbuf *sb, char *const *argv)
{
    long cpu = 0, vm = 0, io = 0, timeout = 0;
    unsigned long long bytes = 256ULL * 1024 * 1024;    /* stress's default */
    for (size_t i = 1; argv[i]; i++) {
        const char *a = argv[i], *v = argv[i + 1];
        const char *eq = strchr(a, '=');
        char name[32];
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof(name))
            continue;
        memcpy(name, a, nl);
        name[nl] = '\0';
        if (eq)
            v = eq + 1;
        if (!v)
            continue;
        if (!strcmp(name, "--cpu") || !strcmp(name, "-c"))
            cpu = strtol(v, NULL, 10);
        else if (!strcmp(name, "--vm") || !strcmp(name, "-m"))
            vm = strtol(v, NULL, 10);
        else if (!strcmp(name, "--io") || !strcmp(name, "-i") || !strcmp(name, "--hdd")
                 || !strcmp(name, "-d"))
            io += strtol(v, NULL, 10);
        else if (!strcmp(name, "--vm-bytes"))
            params_size_parse(v, &bytes);
        else if (!strcmp(name, "--timeout") || !strcmp(name, "-t"))
            timeout = parse_duration(v);
    }
    if (cpu + vm + io <= 0)
        cpu = 1;            /* a stress that does nothing would test nothing */
    if (timeout > 0)
        strbuf_addf(sb, "(sleep %ld; kill -9 0) & ", timeout);
    for (long i = 0; i < cpu && i < 256; i++)
        strbuf_addstr(sb, "while :; do :; done & ");
    for (long i = 0; i < vm && i < 256; i++)
        strbuf_addf(sb, "while :; do dd if=/dev/zero of=/dev/null bs=%llu count=1 "
                    "2>/dev/null; done & ", bytes);
    for (long i = 0; i < io && i < 256; i++)
        strbuf_addstr(sb, "while :; do sync; done & ");
    strbuf_addstr(sb, "wait");
}

/* Shell function alive P: some non-zombie process is in process group P. */
/* Shell builtins only: a fork per process (sed) made one scan take seconds in a TCG
 * guest.  ${l##*) } drops "pid (comm) " like the greedy sed did (comm may hold ") "). */
static const char alive_fn[] =
    "alive() { for f in /proc/[0-9]*/stat; do { read -r l <\"$f\"; } 2>/dev/null"
    " || continue; s=${l##*) }; set -- $s; [ \"$3\" = \"$P\" ] && [ \"$1\" != Z ] && return 0;"
    " done; return 1; }\n";

char *mig_stress_start_script(char *const *argv, const char *tag)
{
    if (!tag_ok(tag) || !argv || !argv[0]) {
        err_set("stress: bad tag or empty command");
        return NULL;
    }
    struct strbuf sb = STRBUF_INIT, loop = STRBUF_INIT;
    strbuf_addf(&sb, "pidf=/tmp/vtrun-stress-%s.pid\n", tag);
    strbuf_addstr(&sb, alive_fn);
    strbuf_addstr(&sb, "if [ -s \"$pidf\" ]; then P=$(cat \"$pidf\"); "
                       "if alive; then echo \"started $P\"; exit 0; fi; fi\n");
    strbuf_addstr(&sb, "if command -v ");
    sh_quote(&sb, argv[0]);
    strbuf_addstr(&sb, " >/dev/null 2>&1; then\n  setsid");
    for (size_t i = 0; argv[i]; i++) {
        strbuf_addch(&sb, ' ');
        sh_quote(&sb, argv[i]);
    }
    strbuf_addstr(&sb, " </dev/null >/dev/null 2>&1 &\nelse\n  setsid sh -c '");
    fallback_loop(&loop, argv);
    strbuf_addstr(&sb, loop.buf);
    strbuf_addstr(&sb, "' </dev/null >/dev/null 2>&1 &\nfi\n"
                       "P=$!; echo \"$P\" >\"$pidf\"; echo \"started $P\"\n");
    strbuf_release(&loop);
    return strbuf_detach(&sb, NULL);
}

char *mig_stress_stop_script(const char *tag)
{
    if (!tag_ok(tag)) {
        err_set("stress: bad tag");
        return NULL;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "pidf=/tmp/vtrun-stress-%s.pid\n", tag);
    strbuf_addstr(&sb, alive_fn);
    strbuf_addstr(&sb,
        "[ -s \"$pidf\" ] || { echo stopped; exit 0; }\n"
        "P=$(cat \"$pidf\")\n"
        "kill -TERM -\"$P\" 2>/dev/null\n"
        "i=0; while alive && [ $i -lt 10 ]; do sleep 0.2; i=$((i+1)); done\n"
        "kill -KILL -\"$P\" 2>/dev/null\n"
        "i=0; while alive && [ $i -lt 10 ]; do sleep 0.2; i=$((i+1)); done\n"
        "if alive; then echo \"still running $P\"; exit 1; fi\n"
        "rm -f \"$pidf\"; echo stopped\n");
    return strbuf_detach(&sb, NULL);
}

char *mig_stress_probe_script(const char *tag)
{
    if (!tag_ok(tag)) {
        err_set("stress: bad tag");
        return NULL;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "pidf=/tmp/vtrun-stress-%s.pid\n", tag);
    strbuf_addstr(&sb, alive_fn);
    strbuf_addstr(&sb, "[ -s \"$pidf\" ] && P=$(cat \"$pidf\") && alive && "
                       "{ echo running; exit 0; }; echo gone\n");
    return strbuf_detach(&sb, NULL);
}

char **mig_stress_ssh_argv(const char *host, const char *user, const char *key, int port,
                            const char *script)
{
    char **argv = NULL;
    size_t n = 0;
    argv_push(&argv, &n, xstrdup("ssh"));
    argv_push(&argv, &n, xstrdup("-o"));
    argv_push(&argv, &n, xstrdup("BatchMode=yes"));
    argv_push(&argv, &n, xstrdup("-o"));
    argv_push(&argv, &n, xstrdup("StrictHostKeyChecking=accept-new"));
    if (key && *key) {
        argv_push(&argv, &n, xstrdup("-i"));
        argv_push(&argv, &n, xstrdup(key));
    }
    if (port > 0) {
        argv_push(&argv, &n, xstrdup("-p"));
        argv_push(&argv, &n, xasprintf("%d", port));
    }
    argv_push(&argv, &n, user && *user ? xasprintf("%s@%s", user, host) : xstrdup(host));
    argv_push(&argv, &n, xstrdup("--"));
    /* ssh hands its command to the remote login shell as one string: one quoted
     * `sh -c` word keeps the script intact whatever that shell is */
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "sh -c ");
    sh_quote(&sb, script);
    argv_push(&argv, &n, strbuf_detach(&sb, NULL));
    return argv;
}

/* ---- local host ------------------------------------------------------------------ */

int mig_stress_local_start(char *const *argv, const char *log_path,
                            struct mig_stress_proc *p)
{
    int pipefd[2];
    struct strbuf cmd = STRBUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            strbuf_addch(&cmd, ' ');
        sh_quote(&cmd, argv[i]);
    }
    p->pid = 0;
    p->cmdline = NULL;
    /* exec errors come back through a close-on-exec pipe: EOF means exec worked */
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        err_set("stress: pipe: %s", strerror(errno));
        strbuf_release(&cmd);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        err_set("stress: fork: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        strbuf_release(&cmd);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        execvp(argv[0], argv);
        int e = errno;
        if (write(pipefd[1], &e, sizeof(e)) < 0)
            _exit(127);
        _exit(127);
    }
    setpgid(pid, pid);      /* both sides, so a kill right after fork hits the group */
    close(pipefd[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(pipefd[0], &e, sizeof(e));
    while (r < 0 && errno == EINTR);
    close(pipefd[0]);
    if (r > 0) {
        waitpid(pid, NULL, 0);
        err_set("stress: cannot run %s: %s (install it; vtrun never builds it)",
                cmd.buf, strerror(e));
        strbuf_release(&cmd);
        return -1;
    }
    p->pid = pid;
    p->cmdline = strbuf_detach(&cmd, NULL);
    return 0;
}

bool mig_stress_local_alive(const struct mig_stress_proc *p)
{
    if (!p->pid)
        return false;
    DIR *d = opendir("/proc");
    if (!d)
        return kill(-p->pid, 0) == 0;
    bool alive = false;
    struct dirent *de;
    while (!alive && (de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "pid (comm) S ppid pgrp ...": comm may hold spaces, so start after ')' */
        char *rp = strrchr(buf, ')');
        char state;
        int ppid, pgrp;
        if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3
            && pgrp == p->pid && state != 'Z' && state != 'X')
            alive = true;
    }
    closedir(d);
    return alive;
}


int mig_stress_local_stop(struct mig_stress_proc *p, double grace_s)
{
    if (!p->pid)
        return 0;
    int ret = 0;
    kill(-p->pid, SIGTERM);
    for (double t = 0; t < grace_s && mig_stress_local_alive(p); t += 0.05) {
        waitpid(p->pid, NULL, WNOHANG);     /* reap the leader so it does not linger */
        clock_sleep(0.05);
    }
    kill(-p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    for (int i = 0; i < 40 && mig_stress_local_alive(p); i++)
        clock_sleep(0.05);
    if (mig_stress_local_alive(p)) {
        err_set("stress: process group %d (%s) survived SIGKILL", (int)p->pid,
                p->cmdline ? p->cmdline : "");
        ret = -1;
    }
    p->pid = 0;
    free(p->cmdline);
    p->cmdline = NULL;
    return ret;
}
