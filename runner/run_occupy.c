/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_occupy: a port of a host taken by a listener (runner/run_occupy.h).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_occupy.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

int run_occupy_port(struct run_ctx *ctx, struct run_occupy *st, int h, unsigned port)
{
    struct virt_host *link = run_host_link(ctx, h);
    st->host = h;
    if (!link)
        return run_error(ctx, "TestSetupError", "%s: %s", ctx->hosts[h].name, err_msg());
    st->pidfile = xasprintf("/run/vtrun-occupy-%.7s-%u.pid", ctx->job_id ? ctx->job_id : "job",
                            ctx->slot);
    char *stop = xasprintf("start-stop-daemon --stop --pidfile %s --remove-pidfile",
                           st->pidfile);
    char *how = virt_host_hint(link, stop);
    char *what = xasprintf("a listener on port %u of %s", port, ctx->hosts[h].name);
    st->leftover = virt_leftover_add(what, how);
    free(stop);
    free(how);
    free(what);
    /* reuseaddr as nc sets it: the port may still hold an earlier migration's
     * connection in TIME_WAIT, which a listener without it cannot bind past */
    char *listen = xasprintf("TCP-LISTEN:%u,fork,reuseaddr", port);
    int rc = virt_host_run(link, (const char *[]){ "start-stop-daemon", "--start", "--quiet",
                           "--background", "--make-pidfile", "--pidfile", st->pidfile,
                           "--exec", "/usr/bin/socat", "--", "-u", listen, "OPEN:/dev/null",
                           NULL }, 30, NULL, NULL, NULL);
    free(listen);
    if (rc < 0)
        return run_error(ctx, "TestSetupError", "a listener on %s: %s",
                         ctx->hosts[h].name, err_msg());
    char *filter = xasprintf("sport = :%u", port);
    for (int tries = 50; tries > 0; tries--) {
        struct strbuf out = STRBUF_INIT;
        int status = 1;
        bool up = virt_host_run(link, (const char *[]){ "ss", "-Hltn", filter, NULL }, 30,
                                &out, NULL, &status) == 0 && status == 0 && out.len > 0;
        strbuf_release(&out);
        if (up) {
            free(filter);
            run_log(ctx, "port %u of %s taken by a listener", port, ctx->hosts[h].name);
            return 0;
        }
        nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
    }
    free(filter);
    return run_error(ctx, "TestSetupError", "the listener on port %u of %s did not start in "
                     "5 s", port, ctx->hosts[h].name);
}

int run_occupy_release(struct run_ctx *ctx, struct run_occupy *st)
{
    struct virt_host *link = run_host_link(ctx, st->host);
    int status = -1;
    if (!st->pidfile)
        return 0;
    /* exit 1: none ran (it never started, or ended) */
    if (!link || virt_host_run(link, (const char *[]){ "start-stop-daemon", "--stop",
                               "--quiet", "--retry", "TERM/5/KILL/5", "--pidfile",
                               st->pidfile, "--remove-pidfile", NULL }, 30, NULL, NULL,
                               &status) < 0 || status > 1)
        return -1;
    virt_host_run(link, (const char *[]){ "rm", "-f", "--", st->pidfile, NULL }, 30, NULL,
                  NULL, NULL);
    run_log(ctx, "the listener on %s stopped", ctx->hosts[st->host].name);
    virt_leftover_drop(st->leftover);
    free(st->pidfile);
    st->pidfile = NULL;
    return 0;
}

