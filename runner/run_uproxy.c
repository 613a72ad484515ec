/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_uproxy: avocado-vt's UNIXSocketConnection (tp-libvirt's unix_proxy transport)
 * with socat on the hosts; what it builds and what not: runner/run_uproxy.h.
 */
#include "runner/run_uproxy.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* UNIXSocketConnection's params and defaults: per stream, the source's listening
 * socket, the TCP port between the hosts, and the destination's socket. */
struct uproxy_stream {
    const char *listen_param, *listen_def;
    const char *port_param, *port_def;
    const char *conn_param, *conn_def;  /* NULL: the listen path, on the destination */
};
static const struct uproxy_stream uproxy_streams[] = {
    { "desturi_sock_listen", "/tmp/desturi-socket", "desturi_port", "22222",
      "desturi_sock_conn", "/var/run/libvirt/libvirt-sock" },
    { "migrateuri_sock", "/var/lib/libvirt/qemu/migrateuri-socket", "migrateuri_port",
      "33333", NULL, NULL },
    { "disks_uri_sock", "/var/lib/libvirt/qemu/disks-uri-socket", "disks_uri_port",
      "44444", NULL, NULL },
};
#define UPROXY_N ARRAY_SIZE(uproxy_streams)

static const char *const uproxy_transport_params[] = {
    "migrate_desturi_type", "transport_type", "transport_type_again",
};

/* One detached socat on a host. */
struct uproxy_proc {
    int host;
    char *pidfile;
    unsigned long leftover;
};

struct run_uproxy {
    char *listen[UPROXY_N];         /* the source's sockets, removed at cleanup */
    struct uproxy_proc proc[2 * UPROXY_N];
    size_t nproc;
};

static const char *param_or(const struct params *p, const char *name, const char *def)
{
    const char *v = params_get(p, name);
    return v && *v ? v : def;
}

bool run_uproxy_wanted(const struct params *p)
{
    for (size_t k = 0; k < ARRAY_SIZE(uproxy_transport_params); k++) {
        const char *v = params_get(p, uproxy_transport_params[k]);
        if (v && !strcmp(v, "unix_proxy"))
            return true;
    }
    return false;
}

/* A path socat's address syntax takes as one word. */
static bool path_ok(const char *s)
{
    return s[0] == '/' && !strpbrk(s, ",:!\\ \t\n'\"");
}

static bool port_ok(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v > 0 && v < 65536;
}

int run_uproxy_check(const struct params *p)
{
    for (size_t k = 0; k < UPROXY_N; k++) {
        const struct uproxy_stream *s = &uproxy_streams[k];
        const char *paths[][2] = { { s->listen_param, s->listen_def },
                                   { s->conn_param, s->conn_def } };
        for (size_t j = 0; j < 2; j++) {
            if (!paths[j][0])
                continue;
            const char *v = param_or(p, paths[j][0], paths[j][1]);
            if (!path_ok(v)) {
                err_set("%s = '%s': not an absolute path socat takes as one word",
                        paths[j][0], v);
                return -1;
            }
        }
        const char *port = param_or(p, s->port_param, s->port_def);
        if (!port_ok(port)) {
            err_set("%s = '%s': not a TCP port", s->port_param, port);
            return -1;
        }
    }
    return 0;
}

static int host_cmd(struct run_ctx *ctx, int h, const char *const *argv, struct strbuf *out,
                    int *status)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link) {
        err_set("no connection to %s", ctx->hosts[h].name);
        return -1;
    }
    return virt_host_run(link, argv, 30, out, NULL, status);
}

/* A socket left at path on the source: another test's live listener is an error
 * (/tmp is shared by the lab's hosts and this machine), a dead one is removed. */
static int clear_stale(struct run_ctx *ctx, const char *path)
{
    int st = 0;
    if (host_cmd(ctx, 0, (const char *[]){ "test", "-e", path, NULL }, NULL, &st) < 0)
        return -1;
    if (st)
        return 0;
    char *addr = xasprintf("UNIX-CONNECT:%s", path);
    int rc = host_cmd(ctx, 0, (const char *[]){ "socat", "-u", "OPEN:/dev/null", addr, NULL },
                      NULL, &st);
    free(addr);
    if (rc < 0)
        return -1;
    if (st == 0) {
        err_set("%s on %s is in use (another test's proxy?)", path, ctx->hosts[0].name);
        return -1;
    }
    run_log(ctx, "unix_proxy: removing the stale socket %s on %s", path, ctx->hosts[0].name);
    return host_cmd(ctx, 0, (const char *[]){ "rm", "-f", "--", path, NULL }, NULL, NULL);
}

/* socat a b detached on host h (start-stop-daemon: detached, pidfile in the
 * host's /run), registered as a leftover until stopped. */
static int start_socat(struct run_ctx *ctx, struct run_uproxy *px, int h, const char *a,
                       const char *b)
{
    struct uproxy_proc *pr = &px->proc[px->nproc];
    struct virt_host *link = run_host_link(ctx, h);
    pr->host = h;
    pr->pidfile = xasprintf("/run/vtrun-uproxy-%.7s-%u-%zu.pid",
                            ctx->job_id ? ctx->job_id : "job", ctx->slot, px->nproc);
    px->nproc++;
    char *stop = xasprintf("pkill -P $(cat %s); kill $(cat %s); rm -f %s", pr->pidfile,
                           pr->pidfile, pr->pidfile);
    char *how = link ? virt_host_hint(link, stop) : xstrdup(stop);
    char *what = xasprintf("socat %s %s on %s", a, b, ctx->hosts[h].name);
    pr->leftover = virt_leftover_add(what, how);
    free(stop);
    free(how);
    free(what);
    run_log(ctx, "unix_proxy: on %s: socat %s %s", ctx->hosts[h].name, a, b);
    const char *argv[] = { "start-stop-daemon", "--start", "--quiet", "--background",
                           "--make-pidfile", "--pidfile", pr->pidfile,
                           "--exec", "/usr/bin/socat", "--", a, b, NULL };
    if (host_cmd(ctx, h, argv, NULL, NULL) < 0) {
        err_prefix("socat on %s", ctx->hosts[h].name);
        return -1;
    }
    return 0;
}

/* The listener of stream k ready: the source's socket exists, the destination's
 * port listens. */
static bool stream_ready(struct run_ctx *ctx, struct run_uproxy *px, size_t k,
                         const char *port)
{
    struct strbuf out = STRBUF_INIT;
    char *filter = xasprintf("sport = :%s", port);
    int st = 1;
    bool ok = host_cmd(ctx, 0, (const char *[]){ "test", "-S", px->listen[k], NULL }, NULL,
                       &st) == 0 && st == 0 &&
              host_cmd(ctx, 1, (const char *[]){ "ss", "-Hltn", filter, NULL }, &out,
                       &st) == 0 && st == 0 && out.len > 0;
    free(filter);
    strbuf_release(&out);
    return ok;
}

static int wait_ready(struct run_ctx *ctx, struct run_uproxy *px, const struct params *p)
{
    for (size_t k = 0; k < UPROXY_N; k++) {
        const char *port = param_or(p, uproxy_streams[k].port_param, uproxy_streams[k].port_def);
        int tries = 50;     /* 5 s: socat listens within milliseconds */
        while (!stream_ready(ctx, px, k, port)) {
            if (--tries == 0) {
                err_set("the proxy of %s / port %s did not start listening in 5 s",
                        px->listen[k], port);
                return -1;
            }
            nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
        }
    }
    return 0;
}

static int start_all(struct run_ctx *ctx, struct run_uproxy *px, const struct params *p)
{
    const struct run_host *dst = &ctx->hosts[1];
    const char *addr = dst->address ? dst->address : dst->hostname;
    if (!addr) {
        err_set("the destination %s has no address for the proxies' TCP ports", dst->name);
        return -1;
    }
    for (size_t k = 0; k < UPROXY_N; k++)
        if (clear_stale(ctx, px->listen[k]) < 0)
            return -1;
    /* the reference's order: unix2tcp on the source, then tcp2unix on the destination */
    for (size_t k = 0; k < UPROXY_N; k++) {
        const struct uproxy_stream *s = &uproxy_streams[k];
        const char *port = param_or(p, s->port_param, s->port_def);
        char *a = xasprintf("UNIX-LISTEN:%s,fork", px->listen[k]);
        char *b = xasprintf("TCP:%s:%s", addr, port);
        int rc = start_socat(ctx, px, 0, a, b);
        free(a);
        free(b);
        if (rc < 0)
            return -1;
    }
    for (size_t k = 0; k < UPROXY_N; k++) {
        const struct uproxy_stream *s = &uproxy_streams[k];
        const char *conn = s->conn_param ? param_or(p, s->conn_param, s->conn_def)
                                         : px->listen[k];
        char *a = xasprintf("TCP-LISTEN:%s,fork,reuseaddr",
                            param_or(p, s->port_param, s->port_def));
        char *b = xasprintf("UNIX-CONNECT:%s", conn);
        int rc = start_socat(ctx, px, 1, a, b);
        free(a);
        free(b);
        if (rc < 0)
            return -1;
    }
    return wait_ready(ctx, px, p);
}

int run_uproxy_setup(struct run_ctx *ctx, const struct params *p, struct run_uproxy **out)
{
    *out = NULL;
    return run_uproxy_wanted(p) ? run_uproxy_start(ctx, p, out) : 0;
}

int run_uproxy_start(struct run_ctx *ctx, const struct params *p, struct run_uproxy **out)
{
    *out = NULL;
    if (ctx->nhosts < 2)
        return run_error(ctx, "ConfigError", "unix_proxy: needs a destination host");
    if (run_uproxy_check(p) < 0)
        return run_error(ctx, "ConfigError", "unix_proxy: %s", err_msg());
    int st = 1;
    for (int h = 0; h < 2; h++)
        if (host_cmd(ctx, h, (const char *[]){ "socat", "-V", NULL }, NULL, &st) < 0 || st)
            return run_error(ctx, "ConnectionError", "unix_proxy: socat does not run on %s "
                             "(install Debian's socat there)", ctx->hosts[h].name);
    struct run_uproxy *px = xcalloc(1, sizeof(*px));
    for (size_t k = 0; k < UPROXY_N; k++)
        px->listen[k] = xstrdup(param_or(p, uproxy_streams[k].listen_param,
                                         uproxy_streams[k].listen_def));
    if (start_all(ctx, px, p) < 0) {
        char *why = xstrdup(err_msg());
        run_uproxy_cleanup(ctx, px);
        run_error(ctx, "ConnectionError", "unix_proxy: %s", why);
        free(why);
        return -1;
    }
    *out = px;
    return 0;
}

/* The socat and its per-connection children ended (start-stop-daemon forks twice:
 * the pid is not its session's nor its group's), the pidfile removed. */
static void stop_proc(struct run_ctx *ctx, struct uproxy_proc *pr)
{
    struct strbuf pid = STRBUF_INIT;
    int st = 1;
    if (host_cmd(ctx, pr->host, (const char *[]){ "cat", "--", pr->pidfile, NULL }, &pid,
                 &st) == 0 && st == 0) {
        while (pid.len && strchr(" \t\r\n", pid.buf[pid.len - 1]))
            strbuf_setlen(&pid, pid.len - 1);
        if (pid.len && strspn(pid.buf, "0123456789") == pid.len) {
            /* its per-connection children first: they outlive the listener */
            host_cmd(ctx, pr->host, (const char *[]){ "pkill", "-TERM", "-P", pid.buf, NULL },
                     NULL, &st);
            host_cmd(ctx, pr->host, (const char *[]){ "kill", "-TERM", pid.buf, NULL }, NULL,
                     &st);
            for (int tries = 20; tries > 0; tries--) {
                if (host_cmd(ctx, pr->host, (const char *[]){ "kill", "-0", pid.buf, NULL },
                             NULL, &st) < 0 || st)
                    break;
                if (tries == 1)
                    host_cmd(ctx, pr->host, (const char *[]){ "kill", "-KILL", pid.buf, NULL },
                             NULL, &st);
                nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
            }
        }
    }
    if (host_cmd(ctx, pr->host, (const char *[]){ "rm", "-f", "--", pr->pidfile, NULL },
                 NULL, NULL) == 0)
        virt_leftover_drop(pr->leftover);
    else
        run_log(ctx, "unix_proxy: %s left on %s: %s", pr->pidfile, ctx->hosts[pr->host].name,
                err_msg());
    strbuf_release(&pid);
}

void run_uproxy_cleanup(struct run_ctx *ctx, struct run_uproxy *px)
{
    if (!px)
        return;
    for (size_t k = 0; k < px->nproc; k++) {
        stop_proc(ctx, &px->proc[k]);
        free(px->proc[k].pidfile);
    }
    /* socat unlinks its listening socket when it ends; a socket it could not (killed
     * hard) goes here */
    for (size_t k = 0; k < UPROXY_N; k++) {
        if (px->nproc && px->listen[k])
            host_cmd(ctx, 0, (const char *[]){ "rm", "-f", "--", px->listen[k], NULL },
                     NULL, NULL);
        free(px->listen[k]);
    }
    free(px);
}
