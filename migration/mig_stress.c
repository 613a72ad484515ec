/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stress in guests and on hosts: sizes, commands, start and stop (migration/mig.h). */
#include "migration/mig.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/spawn.h"
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
    struct strbuf sb = STRBUF_INIT;
    int ret = -1;
    if (strbuf_read_file(&sb, "/proc/meminfo", 65536) < 0)
        err_set("/proc/meminfo: %s", strerror(errno));
    else
        ret = mig_meminfo_parse(sb.buf, mi);
    strbuf_release(&sb);
    return ret;
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
    strbuf_addf(&sb, "pidf=/tmp/vtrun-stress-%s.pid; logf=/tmp/vtrun-stress-%s.log\n", tag,
                tag);
    strbuf_addstr(&sb, alive_fn);
    strbuf_addstr(&sb, "if [ -s \"$pidf\" ]; then P=$(cat \"$pidf\"); "
                       "if alive; then echo \"started $P\"; exit 0; fi; fi\n");
    strbuf_addstr(&sb, "if command -v ");
    strbuf_add_sq(&sb, argv[0]);
    strbuf_addstr(&sb, " >/dev/null 2>&1; then\n  setsid");
    for (size_t i = 0; argv[i]; i++) {
        strbuf_addch(&sb, ' ');
        strbuf_add_sq(&sb, argv[i]);
    }
    strbuf_addstr(&sb, " </dev/null >\"$logf\" 2>&1 &\nelse\n  setsid sh -c '");
    fallback_loop(&loop, argv);
    strbuf_addstr(&sb, loop.buf);
    /* A tool that refuses its arguments exits within milliseconds: look for 0.3 s and
     * say its own words ("died: stress: FAIL: ... unrecognized option"), exit 3.  One
     * that ended with status 0 ran its whole --timeout: a guest whose hogs starve this
     * shell wakes from its 0.1 s sleeps only after it (seen under TCG); it started. */
    strbuf_addstr(&sb, "' </dev/null >\"$logf\" 2>&1 &\nfi\n"
                       "P=$!; echo \"$P\" >\"$pidf\"\n"
                       "for i in 1 2 3; do sleep 0.1; alive || break; done\n"
                       "if ! alive; then rm -f \"$pidf\"; wait \"$P\" && "
                       "{ echo \"started $P (ended by itself, exit 0)\"; exit 0; }; "
                       "echo \"died: $(tail -c 300 \"$logf\" | tr '\\n' ' ')\"; exit 3; fi\n"
                       "echo \"started $P\"\n");
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
    strbuf_addf(&sb, "pidf=/tmp/vtrun-stress-%s.pid; logf=/tmp/vtrun-stress-%s.log\n", tag,
                tag);
    strbuf_addstr(&sb, alive_fn);
    strbuf_addstr(&sb,
        "[ -s \"$pidf\" ] || { rm -f \"$logf\"; echo stopped; exit 0; }\n"
        "P=$(cat \"$pidf\")\n"
        "kill -TERM -\"$P\" 2>/dev/null\n"
        "i=0; while alive && [ $i -lt 10 ]; do sleep 0.2; i=$((i+1)); done\n"
        "kill -KILL -\"$P\" 2>/dev/null\n"
        "i=0; while alive && [ $i -lt 10 ]; do sleep 0.2; i=$((i+1)); done\n"
        "if alive; then echo \"still running $P\"; exit 1; fi\n"
        "rm -f \"$pidf\" \"$logf\"; echo stopped\n");
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

/* ---- local host ------------------------------------------------------------------ */

int mig_stress_local_start(char *const *argv, const char *log_path,
                            struct mig_stress_proc *p)
{
    p->sp = spawn_newv((const char *const *)argv);
    if (log_path)
        spawn_set_output_file(p->sp, log_path);
    /* a stress left behind by a killed vtrun would load the host for good */
    spawn_set_pdeathsig(p->sp, SIGKILL);
    if (spawn_start(p->sp) < 0) {
        err_set("stress: %s (if it is missing: install it; vtrun never builds it)",
                err_msg());
        spawn_free(p->sp);
        p->sp = NULL;
        return -1;
    }
    return 0;
}

bool mig_stress_local_alive(const struct mig_stress_proc *p)
{
    return p->sp && spawn_alive(p->sp);
}

int mig_stress_local_stop(struct mig_stress_proc *p, double grace_s)
{
    int ret;
    if (!p->sp)
        return 0;
    ret = spawn_stop(p->sp, grace_s);
    if (ret < 0)
        err_prefix("stress");
    spawn_free(p->sp);
    p->sp = NULL;
    return ret;
}
