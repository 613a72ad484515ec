/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What dead vtrun jobs left (virt/virt_ledger.c), at the start of a job: each ledger
 * whose vtrun is gone (its pid dead, or reused by another process) is read; its
 * domains are destroyed and undefined, its clones removed, its QEMU processes (the qemu
 * backend's, on this machine) killed, its stress on hosts stopped, and each is said on
 * stdout
 * and in job.log.  --keep-leftovers says the same and removes nothing; the job then
 * avoids their addresses.  A ledger of a running job is left alone.
 *
 * Only the hosts of this job's settings are touched: a ledger naming a host the job
 * does not know (another lab, another settings file) is reported and kept for a job
 * that knows it, never dialled from a URI found in a file.
 */
#include "runner/run_reap.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "results/res.h"
#include "runner/run_type.h"

#include <stdarg.h>
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reap {
    const struct run_reap_conf *conf;
    struct run_ctx ctx;             /* for the host transports (run_host_link) */
    unsigned said;                  /* lines said */
};

static void say(struct reap *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct reap *r, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    printf("LEFTOVER   : %s\n", sb.buf);
    if (r->conf->res)
        res_job_log(r->conf->res, "leftover: %s", sb.buf);
    r->said++;
    strbuf_release(&sb);
}

/* The settings host whose daemon is at uri (how the ledger names hosts: their names
 * repeat between labs and settings files), -1 when none is. */
static int host_of_uri(const struct run_reap_conf *c, const char *uri)
{
    for (size_t h = 0; h < c->nhosts; h++)
        if (c->hosts[h].uri && !strcmp(c->hosts[h].uri, uri))
            return (int)h;
    return -1;
}

static bool host_uri_known(const struct run_reap_conf *c, const char *uri)
{
    return host_of_uri(c, uri) >= 0;
}

/* Whether res is on a host this job can reach: this machine, or a settings host. */
static bool reachable(const struct run_reap_conf *c, const struct virt_res *res)
{
    switch (res->kind) {
    case VIRT_RES_DOMAIN:
        return host_uri_known(c, res->host);
    case VIRT_RES_CLONE:
    case VIRT_RES_FILE:
        return !*res->host || host_uri_known(c, res->host);
    case VIRT_RES_PROCESS:
        return !*res->host || host_uri_known(c, res->host);
    default:
        return true;
    }
}

/* Domain: destroyed and undefined on every host of the settings (it may have
 * migrated; its name is unique to its job, so no other domain has it). */
static int reap_domain(struct reap *r, const struct virt_res *res)
{
    const struct run_reap_conf *c = r->conf;
    if (!host_uri_known(c, res->host)) {
        err_set("host %s is not in this job's settings", res->host);
        return -1;
    }
    int rc = 0;
    for (size_t h = 0; h < c->nhosts; h++) {
        if (!c->hosts[h].uri)
            continue;
        if (virt_reap_domain(res->backend, c->hosts[h].uri, res->name) < 0) {
            err_prefix("host %s", c->hosts[h].name ? c->hosts[h].name : c->hosts[h].uri);
            rc = -1;
        }
    }
    return rc;
}

static int reap_file(struct reap *r, const struct virt_res *res)
{
    struct virt_host *link = NULL;
    if (*res->host) {
        int h = host_of_uri(r->conf, res->host);
        if (h < 0) {
            err_set("host %s is not in this job's settings", res->host);
            return -1;
        }
        if (!(link = run_host_link(&r->ctx, h)))
            return -1;
    }
    struct virt_ctx vctx = { 0 };
    return virt_image_remove(link, res->name, &vctx);
}

/* A process: on this machine a qemu-backend QEMU, known by its pidfile argument; on a
 * host, stress started over SSH, stopped by its tag's script (migration/mig_stress.c). */
static int reap_process(struct reap *r, const struct virt_res *res)
{
    if (!*res->host)
        return virt_reap_process(res->name);
    int h = host_of_uri(r->conf, res->host);
    if (h < 0) {
        err_set("host %s is not in this job's settings", res->host);
        return -1;
    }
    if (strcmp(res->backend, "stress")) {
        err_set("cannot stop a %s process on a host", res->backend);
        return -1;
    }
    struct virt_host *link = run_host_link(&r->ctx, h);
    char *script = mig_stress_stop_script(res->name);
    struct strbuf out = STRBUF_INIT;
    int status = -1, rc = -1;
    if (link && script) {
        const char *argv[] = { "sh", "-c", script, NULL };
        rc = virt_host_run(link, argv, 60, &out, NULL, &status);
        if (rc == 0 && status) {
            err_set("its stop script: exit %d: %s", status, out.buf);
            rc = -1;
        }
    }
    strbuf_release(&out);
    free(script);
    return rc;
}

/* Where res is, for the user: the settings' name of its host, else its URI. */
static const char *where(const struct reap *r, const struct virt_res *res)
{
    int h = *res->host ? host_of_uri(r->conf, res->host) : -1;
    return !*res->host ? "this machine" : h >= 0 && r->conf->hosts[h].name
           ? r->conf->hosts[h].name : res->host;
}

/* One dead job's ledger: clean (or report) each entry, strike what is gone. */
static void reap_ledger(struct reap *r, struct virt_ledger *l, bool *avoid, unsigned nslots)
{
    unsigned left = 0, strange = 0;
    /* from the last: a domain goes before the clone its QEMU still writes */
    for (size_t e = l->n; e-- > 0;) {
        const struct virt_res *res = &l->v[e].res;
        if (res->kind == VIRT_RES_SLOT) {
            char *end;
            unsigned long s = strtoul(res->name, &end, 10);
            if (r->conf->keep && !*end && s < nslots)
                avoid[s] = true;
            else if (!r->conf->keep)
                virt_ledger_strike_in(l->path, l->v[e].id);
            left += r->conf->keep;
            continue;
        }
        const char *kind = virt_res_kind_name(res->kind);
        if (!reachable(r->conf, res)) {
            strange++;      /* said once below: another lab's, another settings' */
            left++;
            continue;
        }
        if (r->conf->keep) {
            say(r, "job %s (vtrun pid %ld, gone) left %s %s on %s: kept (--keep-leftovers)",
                l->job_id, l->pid, kind, res->name, where(r, res));
            left++;
            continue;
        }
        int rc = res->kind == VIRT_RES_DOMAIN ? reap_domain(r, res)
               : res->kind == VIRT_RES_CLONE || res->kind == VIRT_RES_FILE ? reap_file(r, res)
               : res->kind == VIRT_RES_PROCESS ? reap_process(r, res)
               : (err_set("cannot remove a %s", kind), -1);
        if (rc == 0) {
            say(r, "job %s (vtrun pid %ld, gone) left %s %s on %s: removed", l->job_id,
                l->pid, kind, res->name, where(r, res));
            virt_ledger_strike_in(l->path, l->v[e].id);
        } else {
            say(r, "job %s (vtrun pid %ld, gone) left %s %s on %s: NOT removed: %s",
                l->job_id, l->pid, kind, res->name, where(r, res), err_msg());
            left++;
        }
    }
    if (strange)
        say(r, "job %s (vtrun pid %ld, gone) left %u resource(s) on hosts not in this "
            "job's settings: not touched (ledger %s)", l->job_id, l->pid, strange, l->path);
    if (!left && unlink(l->path) < 0)
        say(r, "cannot remove the ledger %s", l->path);
}

int run_reap(const struct run_reap_conf *conf, bool *avoid, unsigned nslots)
{
    /* the transports' command lines are for a test's debug.log: none here */
    char *devnull_buf = NULL;
    size_t devnull_len = 0;
    FILE *quiet = open_memstream(&devnull_buf, &devnull_len);
    struct reap r = {
        .conf = conf,
        .ctx = { .hosts = conf->hosts, .nhosts = conf->nhosts,
                 .known_hosts = conf->known_hosts, .log = quiet },
    };
    struct virt_ledger *all;
    size_t n;
    struct strbuf bad = STRBUF_INIT;
    if (virt_ledger_scan(&all, &n, &bad) < 0) {
        strbuf_release(&bad);
        if (quiet)
            fclose(quiet);
        free(devnull_buf);
        return -1;
    }
    if (bad.len)
        say(&r, "not a ledger, skipped: %s", bad.buf);
    for (size_t l = 0; l < n; l++) {
        if (!all[l].alive)
            reap_ledger(&r, &all[l], avoid, nslots);
        virt_ledger_free(&all[l]);
    }
    free(all);
    run_ctx_close_links(&r.ctx);
    strbuf_release(&bad);
    if (quiet)
        fclose(quiet);
    free(devnull_buf);
    return (int)r.said;
}
