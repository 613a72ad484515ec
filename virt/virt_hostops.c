/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_hostops: what a test does to a host (virt/virt.h) — read its facts, edit a
 * daemon's configuration, stop, kill, start and restart a daemon, add a firewall rule,
 * read a log since a mark — all through the host transport (virt_host), argv only.
 *
 * Every change is recorded in the test's struct virt_hostops and registered as a
 * leftover (virt_leftover) until it is undone, so that a job killed halfway says what
 * to restore on which host.  virt_hostops_undo() undoes the changes in reverse order.
 */
#include "virt/virt.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Seconds a daemon command may take (systemctl waits for the daemon to be ready). */
#define DAEMON_TIMEOUT 90.0
#define CMD_TIMEOUT 30.0

enum undo_kind {
    UNDO_CONF,          /* a: the file, b: its backup, c: the daemon reading it */
    UNDO_DAEMON,        /* a: the unit, stopped or killed */
    UNDO_FW,            /* a: the nftables table */
    UNDO_FILE,          /* a: a file the test made (a file system filled) */
    UNDO_DIR,           /* a: a directory replaced by an empty one, b: the original */
};

struct undo {
    enum undo_kind kind;
    struct virt_host *h;
    char *a, *b, *c;
    bool applied;       /* UNDO_CONF: the daemon was (re)started since the edit */
    bool done;
    unsigned long leftover;
};

struct virt_hostops {
    char *tag;
    const struct virt_ctx *ctx;
    struct undo *u;
    size_t n;
};

struct virt_hostops *virt_hostops_new(const char *tag, const struct virt_ctx *ctx)
{
    struct virt_hostops *ops = xcalloc(1, sizeof(*ops));
    struct strbuf sb = STRBUF_INIT;
    /* the tag names files and an nftables table: letters, digits and _ only */
    for (const char *p = tag && *tag ? tag : "vtrun"; *p; p++)
        strbuf_addch(&sb, isalnum((unsigned char)*p) ? *p : '_');
    ops->tag = strbuf_detach(&sb, NULL);
    ops->ctx = ctx;
    return ops;
}

/* Recorded as a leftover until undone; with res also in the job's ledger, so that the
 * next job removes it when this one dies (NULL with err when the ledger cannot
 * record it: make nothing then). */
static struct undo *undo_add_res(struct virt_hostops *ops, enum undo_kind kind,
                                 struct virt_host *h, const char *a, const char *b,
                                 const char *c, const char *what, const char *how,
                                 const struct virt_res *res)
{
    char *w = xasprintf("%s on host %s", what, virt_host_name(h));
    char *hw = virt_host_hint(h, how);
    unsigned long leftover = res ? virt_leftover_add_res(res, w, hw) : virt_leftover_add(w, hw);
    free(w);
    free(hw);
    if (!leftover)
        return NULL;
    ops->u = xrealloc(ops->u, (ops->n + 1) * sizeof(*ops->u));
    struct undo *u = &ops->u[ops->n++];
    *u = (struct undo){ .kind = kind, .h = h, .a = xstrdup(a), .b = b ? xstrdup(b) : NULL,
                        .c = c ? xstrdup(c) : NULL, .leftover = leftover };
    return u;
}

static struct undo *undo_add(struct virt_hostops *ops, enum undo_kind kind,
                             struct virt_host *h, const char *a, const char *b,
                             const char *c, const char *what, const char *how)
{
    return undo_add_res(ops, kind, h, a, b, c, what, how, NULL);
}

static struct undo *undo_find(struct virt_hostops *ops, enum undo_kind kind,
                              struct virt_host *h, const char *a)
{
    for (size_t i = 0; i < ops->n; i++)
        if (ops->u[i].kind == kind && ops->u[i].h == h && !ops->u[i].done &&
            !strcmp(ops->u[i].a, a))
            return &ops->u[i];
    return NULL;
}

static void undo_done(struct undo *u)
{
    u->done = true;
    if (u->leftover)
        virt_leftover_drop(u->leftover);
    u->leftover = 0;
}

/* argv on h; it must exit 0 (the error names the host, the command, its stderr). */
static int run(struct virt_host *h, const char *const *argv, double timeout, struct strbuf *out)
{
    return virt_host_run(h, argv, timeout, out, NULL, NULL);
}

/* ---- facts ------------------------------------------------------------------------ */

/* "value" or value of KEY= in os-release text; NULL when absent. */
static char *os_release_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, klen) || l[klen] != '=')
            continue;
        const char *v = l + klen + 1;
        size_t n = strcspn(v, "\n");
        if (n >= 2 && (*v == '"' || *v == '\'') && v[n - 1] == *v) {
            v++;
            n -= 2;
        }
        return xstrndup(v, n);
    }
    return NULL;
}

static unsigned long long meminfo_bytes(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    unsigned long long kib;
    if (!p || sscanf(p + strlen(key), ": %llu kB", &kib) != 1)
        return 0;
    return kib * 1024ULL;
}

int virt_hostop_facts(struct virt_host *h, struct be_host_info *out)
{
    /* one round trip: the kernel's release first (one line), then os-release and
     * meminfo, whose keys cannot be mistaken for each other */
    const char *argv[] = { "cat", "/proc/sys/kernel/osrelease", "/etc/os-release",
                           "/proc/meminfo", NULL };
    struct strbuf sb = STRBUF_INIT;
    if (run(h, argv, CMD_TIMEOUT, &sb) < 0) {
        strbuf_release(&sb);
        return -1;
    }
    if (!out->kernel_release)
        out->kernel_release = xstrndup(sb.buf, strcspn(sb.buf, "\n"));
    if (!out->os_id)
        out->os_id = os_release_value(sb.buf, "ID");
    if (!out->os_version)
        out->os_version = os_release_value(sb.buf, "VERSION_ID");
    if (!out->free_mem_bytes)
        out->free_mem_bytes = meminfo_bytes(sb.buf, "MemFree");
    if (!out->total_mem_bytes)
        out->total_mem_bytes = meminfo_bytes(sb.buf, "MemTotal");
    strbuf_release(&sb);
    return 0;
}

/* ---- daemons ---------------------------------------------------------------------- */

static bool word_ok(const char *s, const char *extra)
{
    if (!s || !*s || *s == '-')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
            return false;
    return true;
}

/* After the daemon (re)started, the edits of its configuration are in effect: their
 * restore must restart it again. */
static void mark_applied(struct virt_hostops *ops, struct virt_host *h, const char *unit)
{
    for (size_t i = 0; i < ops->n; i++)
        if (ops->u[i].kind == UNDO_CONF && ops->u[i].h == h && !ops->u[i].done &&
            !strcmp(ops->u[i].c, unit))
            ops->u[i].applied = true;
}

int virt_hostop_daemon(struct virt_hostops *ops, struct virt_host *h, const char *unit,
                       enum virt_daemon_action action, const char *signal)
{
    static const char *const verbs[] = {
        [VIRT_DAEMON_START] = "start", [VIRT_DAEMON_STOP] = "stop",
        [VIRT_DAEMON_RESTART] = "restart", [VIRT_DAEMON_KILL] = "kill",
    };
    const char *sig = signal && *signal ? signal : "TERM";
    if (!word_ok(unit, "-_.@")) {
        err_set("host %s: '%s' is not a unit name", virt_host_name(h), unit ? unit : "");
        return -1;
    }
    if (action == VIRT_DAEMON_KILL && !word_ok(sig, "")) {
        err_set("host %s: '%s' is not a signal name", virt_host_name(h), sig);
        return -1;
    }
    const char *argv[] = { "systemctl", verbs[action], unit, NULL, NULL, NULL };
    if (action == VIRT_DAEMON_KILL) {
        argv[2] = "-s";
        argv[3] = sig;
        argv[4] = unit;
    }
    virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: systemctl %s %s%s%s", virt_host_name(h),
              verbs[action], action == VIRT_DAEMON_KILL ? "-s " : "",
              action == VIRT_DAEMON_KILL ? sig : "", action == VIRT_DAEMON_KILL ? " " : "");
    struct undo *stopped = undo_find(ops, UNDO_DAEMON, h, unit);
    /* whatever came of it, the daemon may be another process now */
    be_daemon_epoch_bump();
    if (run(h, argv, DAEMON_TIMEOUT, NULL) < 0) {
        /* a daemon that would not (re)start with an edit may be down now: restoring
         * the edit starts it again */
        if (action == VIRT_DAEMON_START || action == VIRT_DAEMON_RESTART)
            mark_applied(ops, h, unit);
        return -1;
    }
    if (action == VIRT_DAEMON_START || action == VIRT_DAEMON_RESTART) {
        if (stopped)
            undo_done(stopped);
        mark_applied(ops, h, unit);
    } else if (!stopped) {
        char *what = xasprintf("%s %s", unit, action == VIRT_DAEMON_KILL ? "killed" : "stopped");
        char *how = xasprintf("systemctl start %s", unit);
        undo_add(ops, UNDO_DAEMON, h, unit, NULL, NULL, what, how);
        free(what);
        free(how);
    }
    return 0;
}

/* ---- configuration files ---------------------------------------------------------- */

/* libvirt's format: `key = value` lines, # comments.  The line setting key, or NULL. */
static const char *find_key(const char *text, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    for (const char *l = text; *l; ) {
        const char *p = l + strspn(l, " \t");
        size_t n = strcspn(l, "\n");
        if (!strncmp(p, key, klen)) {
            const char *q = p + klen + strspn(p + klen, " \t");
            if (*q == '=') {
                *len = n + (l[n] == '\n');
                return l;
            }
        }
        l += n + (l[n] == '\n');
    }
    return NULL;
}

/* text with every line setting key replaced by `key = value` (the first) or removed
 * (value NULL, and the others); appended when there was none. */
static char *edit_text(const char *text, const char *key, const char *value)
{
    struct strbuf sb = STRBUF_INIT;
    const char *rest = text, *line;
    size_t len;
    bool set = false;
    while ((line = find_key(rest, key, &len))) {
        strbuf_add(&sb, rest, (size_t)(line - rest));
        if (value && !set)
            strbuf_addf(&sb, "%s = %s\n", key, value);
        set = true;
        rest = line + len;
    }
    strbuf_addstr(&sb, rest);
    if (value && !set) {
        if (sb.len && sb.buf[sb.len - 1] != '\n')
            strbuf_addch(&sb, '\n');
        strbuf_addf(&sb, "%s = %s\n", key, value);
    }
    return strbuf_detach(&sb, NULL);
}

/* Write text to path on h, mode kept from the file it replaces: a local temporary
 * file put next to it, then renamed over it there. */
static int write_remote(struct virt_hostops *ops, struct virt_host *h, const char *path,
                        const char *text, const char *mode)
{
    char local[] = "/tmp/vtrun-hostop-XXXXXX";
    int fd = mkstemp(local), rc = -1;
    char *tmp = xasprintf("%s.vtrun-%s.new", path, ops->tag);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n) {
        err_set("host %s: %s: cannot write a temporary copy: %s", virt_host_name(h), path,
                strerror(errno));
        goto out;
    }
    const char *chmod[] = { "chmod", mode, "--", tmp, NULL };
    const char *mv[] = { "mv", "-f", "--", tmp, path, NULL };
    if (virt_host_put(h, local, tmp, 0600) < 0 || run(h, chmod, CMD_TIMEOUT, NULL) < 0 ||
        run(h, mv, CMD_TIMEOUT, NULL) < 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
        unlink(local);
    }
    free(tmp);
    return rc;
}

int virt_hostop_conf_set(struct virt_hostops *ops, struct virt_host *h, const char *daemon,
                         const char *path, const char *key, const char *value)
{
    struct strbuf text = STRBUF_INIT, mode = STRBUF_INIT;
    char *edited = NULL, *backup = NULL;
    int rc = -1;

    if (!word_ok(key, "_") || (value && strpbrk(value, "\n\r")) || !path || path[0] != '/' ||
        !word_ok(daemon, "-_.@")) {
        err_set("host %s: cannot set '%s' in %s: a key is letters, digits and _, a value "
                "one line, the file an absolute path, the daemon a unit name",
                virt_host_name(h), key ? key : "", path ? path : "");
        return -1;
    }
    const char *cat[] = { "cat", "--", path, NULL };
    const char *stat[] = { "stat", "-c", "%a", "--", path, NULL };
    if (run(h, cat, CMD_TIMEOUT, &text) < 0 || run(h, stat, CMD_TIMEOUT, &mode) < 0)
        goto out;
    strbuf_setlen(&mode, strcspn(mode.buf, "\n"));
    /* the first edit of a file keeps the original for the restore */
    if (!undo_find(ops, UNDO_CONF, h, path)) {
        backup = xasprintf("%s.vtrun-%s.orig", path, ops->tag);
        const char *cp[] = { "cp", "-p", "--", path, backup, NULL };
        if (run(h, cp, CMD_TIMEOUT, NULL) < 0)
            goto out;
        char *what = xasprintf("%s edited (original in %s)", path, backup);
        char *how = xasprintf("mv -f %s %s; systemctl restart %s", backup, path, daemon);
        undo_add(ops, UNDO_CONF, h, path, backup, daemon, what, how);
        free(what);
        free(how);
    }
    edited = edit_text(text.buf, key, value);
    virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: %s: %s%s%s", virt_host_name(h), path, key,
              value ? " = " : " unset", value ? value : "");
    rc = write_remote(ops, h, path, edited, mode.len ? mode.buf : "0644");
out:
    free(edited);
    free(backup);
    strbuf_release(&text);
    strbuf_release(&mode);
    return rc;
}

/* ---- firewall (nftables) ---------------------------------------------------------- */

static char *fw_table(const struct virt_hostops *ops)
{
    return xasprintf("vtrun_%s", ops->tag);
}

/* The nft words of one rule, from checked fields only. */
static int fw_words(const struct virt_fw_rule *r, struct strbuf *sb)
{
    const char *chain = r->chain ? r->chain : "input";
    const char *proto = r->proto ? r->proto : "tcp";
    unsigned char addr[16];
    if (strcmp(chain, "input") && strcmp(chain, "output")) {
        err_set("firewall rule: chain '%s': input or output", chain);
        return -1;
    }
    if (strcmp(proto, "tcp") && strcmp(proto, "udp")) {
        err_set("firewall rule: protocol '%s': tcp or udp", proto);
        return -1;
    }
    if (r->port_max && r->port_max < r->port_min) {
        err_set("firewall rule: ports %u-%u", r->port_min, r->port_max);
        return -1;
    }
    strbuf_addf(sb, "%s", chain);
    if (r->saddr) {
        bool v6 = inet_pton(AF_INET6, r->saddr, addr) == 1;
        if (!v6 && inet_pton(AF_INET, r->saddr, addr) != 1) {
            err_set("firewall rule: '%s' is not an IP address", r->saddr);
            return -1;
        }
        strbuf_addf(sb, " %s saddr %s", v6 ? "ip6" : "ip", r->saddr);
    }
    strbuf_addf(sb, " meta l4proto %s", proto);
    if (r->port_min && r->port_max && r->port_max != r->port_min)
        strbuf_addf(sb, " %s dport %u-%u", proto, r->port_min, r->port_max);
    else if (r->port_min)
        strbuf_addf(sb, " %s dport %u", proto, r->port_min);
    if (r->sport)
        strbuf_addf(sb, " %s sport %u", proto, r->sport);
    strbuf_addf(sb, " counter %s", !r->reject ? "drop"
                : !strcmp(proto, "tcp") ? "reject with tcp reset" : "reject");
    return 0;
}

int virt_hostop_fw_add(struct virt_hostops *ops, struct virt_host *h,
                       const struct virt_fw_rule *r)
{
    struct strbuf rule = STRBUF_INIT, cmd = STRBUF_INIT;
    char *table = fw_table(ops);
    int rc = -1;
    if (fw_words(r, &rule) < 0) {
        err_prefix("host %s", virt_host_name(h));
        goto out;
    }
    /* one nft transaction: the table and its chains the first time, then the rule */
    if (!undo_find(ops, UNDO_FW, h, table))
        strbuf_addf(&cmd, "add table inet %s ; "
                    "add chain inet %s input { type filter hook input priority -10 ; } ; "
                    "add chain inet %s output { type filter hook output priority -10 ; } ; ",
                    table, table, table);
    strbuf_addf(&cmd, "add rule inet %s %s", table, rule.buf);
    virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: nft add rule inet %s %s", virt_host_name(h),
              table, rule.buf);
    const char *argv[] = { "nft", cmd.buf, NULL };
    if (!undo_find(ops, UNDO_FW, h, table)) {
        char *what = xasprintf("nftables table inet %s", table);
        char *how = xasprintf("nft delete table inet %s", table);
        /* registered first: a rule half added is still removed */
        undo_add(ops, UNDO_FW, h, table, NULL, NULL, what, how);
        free(what);
        free(how);
    }
    rc = run(h, argv, CMD_TIMEOUT, NULL);
out:
    free(table);
    strbuf_release(&rule);
    strbuf_release(&cmd);
    return rc;
}

/* ---- filling a file system -------------------------------------------------------- */

/* Bytes free to an unprivileged writer in the file system holding dir (df's Avail). */
static int fs_avail(struct virt_host *h, const char *dir, unsigned long long *out)
{
    const char *argv[] = { "df", "-B1", "--output=avail", "--", dir, NULL };
    struct strbuf sb = STRBUF_INIT;
    int rc = run(h, argv, CMD_TIMEOUT, &sb);
    const char *num = rc == 0 ? strchr(sb.buf, '\n') : NULL;   /* after the "Avail" title */
    char *end = NULL;
    if (rc == 0 && num)
        *out = strtoull(num + 1, &end, 10);
    if (rc == 0 && (!num || end == num + 1)) {
        err_set("host %s: df of %s printed no size: '%s'", virt_host_name(h), dir, sb.buf);
        rc = -1;
    }
    strbuf_release(&sb);
    return rc;
}

int virt_hostop_fill(struct virt_hostops *ops, struct virt_host *h, const char *dir,
                     unsigned long long leave, const struct virt_res *res, char **path_out)
{
    unsigned long long avail = 0;
    *path_out = NULL;
    if (fs_avail(h, dir, &avail) < 0)
        return -1;
    if (avail <= leave) {
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: %s has %llu bytes free, no more than "
                  "the %llu to leave: nothing to fill", virt_host_name(h), dir, avail, leave);
        return 0;
    }
    char *path = xasprintf("%s%svtrun-occupied-%s", dir,
                           dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", ops->tag);
    char *size = xasprintf("%llu", avail - leave);
    char *how = xasprintf("rm -f %s", path);
    struct virt_res r = { VIRT_RES_FILE, res ? res->backend : NULL, res ? res->host : NULL,
                          path };
    int rc = -1;
    /* noted first: a job killed during fallocate still has its file removed */
    if (!undo_add_res(ops, UNDO_FILE, h, path, NULL, NULL, "file filling its file system",
                      how, res ? &r : NULL))
        goto out;
    virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: fallocate -l %s %s (leaves %llu bytes free "
              "of %llu)", virt_host_name(h), size, path, leave, avail);
    const char *argv[] = { "fallocate", "-l", size, "--", path, NULL };
    rc = run(h, argv, CMD_TIMEOUT, NULL);
    if (rc == 0)
        *path_out = xstrdup(path);
out:
    free(how);
    free(size);
    free(path);
    return rc;
}

/* ---- directories ------------------------------------------------------------------ */

int virt_hostop_dir_replace(struct virt_hostops *ops, struct virt_host *h, const char *dir)
{
    /* an absolute path of plain names: what rm -rf may remove must be that directory */
    if (!dir || dir[0] != '/' || strstr(dir, "/.") || strpbrk(dir, " \t\n*?") ||
        !dir[1] || dir[strlen(dir) - 1] == '/') {
        err_set("host %s: '%s' is not a directory path vtrun replaces", virt_host_name(h),
                dir ? dir : "");
        return -1;
    }
    const char *mkdir[] = { "mkdir", "-m", "0755", "-p", "--", dir, NULL };
    if (undo_find(ops, UNDO_DIR, h, dir)) {
        /* replaced before in this test: emptied again, the original stays aside */
        const char *rm[] = { "rm", "-rf", "--", dir, NULL };
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: %s emptied", virt_host_name(h), dir);
        return run(h, rm, CMD_TIMEOUT, NULL) < 0 ? -1 : run(h, mkdir, CMD_TIMEOUT, NULL);
    }
    const char *test[] = { "test", "-e", dir, NULL };
    int absent = 0;
    if (virt_host_run(h, test, CMD_TIMEOUT, NULL, NULL, &absent) < 0)
        return -1;
    /* a directory that was not there is only removed again */
    char *aside = absent ? NULL : xasprintf("%s.vtrun-%s.orig", dir, ops->tag);
    char *what = aside ? xasprintf("%s replaced (original in %s)", dir, aside)
                       : xasprintf("%s made", dir);
    char *how = aside ? xasprintf("rm -rf %s; mv -f %s %s", dir, aside, dir)
                      : xasprintf("rm -rf %s", dir);
    const char *mv[] = { "mv", "-f", "--", dir, aside, NULL };
    int rc = -1;
    virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: %s%s%s, an empty one made",
              virt_host_name(h), dir, aside ? " moved aside to " : " absent",
              aside ? aside : "");
    /* recorded first when made: a job killed meanwhile still has it removed */
    if (!aside && undo_add(ops, UNDO_DIR, h, dir, NULL, NULL, what, how))
        rc = run(h, mkdir, CMD_TIMEOUT, NULL);
    else if (aside && run(h, mv, CMD_TIMEOUT, NULL) == 0) {
        undo_add(ops, UNDO_DIR, h, dir, aside, NULL, what, how);
        rc = run(h, mkdir, CMD_TIMEOUT, NULL);
    }
    free(aside);
    free(what);
    free(how);
    return rc;
}

/* ---- logs ------------------------------------------------------------------------- */

int virt_hostop_log_mark(struct virt_host *h, const char *path, struct virt_log_mark *m)
{
    const char *argv[] = { "stat", "-c", "%s", "--", path, NULL };
    struct strbuf out = STRBUF_INIT;
    int st;
    memset(m, 0, sizeof(*m));
    if (virt_host_run(h, argv, CMD_TIMEOUT, &out, NULL, &st) < 0) {
        strbuf_release(&out);
        return -1;
    }
    m->path = xstrdup(path);
    m->size = st == 0 ? strtoll(out.buf, NULL, 10) : 0;   /* not there yet: from its start */
    strbuf_release(&out);
    return 0;
}

int virt_hostop_log_read(struct virt_host *h, const struct virt_log_mark *m, struct strbuf *out)
{
    char from[32];
    struct virt_log_mark now;
    if (virt_hostop_log_mark(h, m->path, &now) < 0)
        return -1;
    /* a log that shrank was rotated or truncated: all of it is new */
    snprintf(from, sizeof(from), "+%lld", now.size < m->size ? 1LL : m->size + 1);
    virt_log_mark_free(&now);
    const char *argv[] = { "tail", "-c", from, "--", m->path, NULL };
    int st;
    return virt_host_run(h, argv, CMD_TIMEOUT, out, NULL, &st);
}

void virt_log_mark_free(struct virt_log_mark *m)
{
    free(m->path);
    memset(m, 0, sizeof(*m));
}

/* ---- undo ------------------------------------------------------------------------- */

static int undo_one(struct virt_hostops *ops, struct undo *u)
{
    int rc = 0;
    switch (u->kind) {
    case UNDO_CONF: {
        const char *mv[] = { "mv", "-f", "--", u->b, u->a, NULL };
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: %s restored%s", virt_host_name(u->h),
                  u->a, u->applied ? ", restarting the daemon" : "");
        rc = run(u->h, mv, CMD_TIMEOUT, NULL);
        if (rc == 0 && u->applied) {
            const char *restart[] = { "systemctl", "restart", u->c, NULL };
            be_daemon_epoch_bump();
            rc = run(u->h, restart, DAEMON_TIMEOUT, NULL);
        }
        break;
    }
    case UNDO_DAEMON: {
        const char *start[] = { "systemctl", "start", u->a, NULL };
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: systemctl start %s",
                  virt_host_name(u->h), u->a);
        be_daemon_epoch_bump();
        rc = run(u->h, start, DAEMON_TIMEOUT, NULL);
        break;
    }
    case UNDO_FW: {
        const char *del[] = { "nft", "delete", "table", "inet", u->a, NULL };
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: nft delete table inet %s",
                  virt_host_name(u->h), u->a);
        rc = run(u->h, del, CMD_TIMEOUT, NULL);
        break;
    }
    case UNDO_FILE: {
        const char *rm[] = { "rm", "-f", "--", u->a, NULL };
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: rm -f %s", virt_host_name(u->h), u->a);
        rc = run(u->h, rm, CMD_TIMEOUT, NULL);
        break;
    }
    case UNDO_DIR: {
        const char *rm[] = { "rm", "-rf", "--", u->a, NULL };
        const char *mv[] = { "mv", "-f", "--", u->b, u->a, NULL };
        virt_logf(ops->ctx, VIRT_LOG_INFO, "host %s: %s restored", virt_host_name(u->h), u->a);
        rc = run(u->h, rm, CMD_TIMEOUT, NULL);
        if (rc == 0 && u->b)
            rc = run(u->h, mv, CMD_TIMEOUT, NULL);
        break;
    }
    }
    if (rc == 0)
        undo_done(u);
    return rc;
}

int virt_hostops_undo(struct virt_hostops *ops)
{
    struct strbuf errs = STRBUF_INIT;
    if (!ops)
        return 0;
    for (size_t i = ops->n; i-- > 0;) {
        if (ops->u[i].done)
            continue;
        if (undo_one(ops, &ops->u[i]) < 0)
            strbuf_addf(&errs, "%s%s", errs.len ? "; " : "", err_msg());
    }
    int rc = errs.len ? -1 : 0;
    if (rc < 0)
        err_set("%s", errs.buf);
    strbuf_release(&errs);
    return rc;
}

void virt_hostops_free(struct virt_hostops *ops)
{
    if (!ops)
        return;
    for (size_t i = 0; i < ops->n; i++) {
        free(ops->u[i].a);
        free(ops->u[i].b);
        free(ops->u[i].c);
    }
    free(ops->u);
    free(ops->tag);
    free(ops);
}
