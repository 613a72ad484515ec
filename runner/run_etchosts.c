/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_etchosts: set_migration_host's /etc/hosts edit and its restore
 * (runner/run_etchosts.h).  Every command is an argv; the one sh -c script is fixed
 * text and gets the name and address as its arguments.
 */
#include "runner/run_etchosts.h"

#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_port.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

#define HOSTS "/etc/hosts"

struct run_etchosts {
    int host;
    char *backup;
    unsigned long leftover;
};

static bool name_ok(const char *s)
{
    return *s && *s != '-' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789.-") == strlen(s);
}

static bool addr_ok(const char *s)
{
    return *s && strspn(s, "0123456789abcdefABCDEF.:") == strlen(s);
}

/* Each pair of text to fn (NULL: only checked). */
typedef int (*pair_fn)(void *arg, const char *name, const char *addr);
static int each_pair(const char *text, pair_fn fn, void *arg)
{
    struct pylit d;
    int rc = 0;
    if (pylit_parse(text, &d) < 0) {
        err_prefix("src_hosts_conf");
        return -1;
    }
    if (d.kind != PYLIT_DICT)
        rc = -1;
    for (size_t k = 0; rc == 0 && k < d.n; k++) {
        const struct pylit *n = &d.items[2 * k], *a = &d.items[2 * k + 1];
        if (n->kind != PYLIT_STR || a->kind != PYLIT_STR || !name_ok(n->s) || !addr_ok(a->s))
            rc = -1;
        else if (fn)
            rc = fn(arg, n->s, a->s);
        if (rc < 0 && !fn)
            break;
    }
    if (rc < 0 && (!fn || d.kind != PYLIT_DICT))
        err_set("src_hosts_conf = '%s': expected {'hostname': 'address'}", text);
    pylit_release(&d);
    return rc;
}

int run_etchosts_check(const char *text)
{
    /* a placeholder the settings did not fill: the type's placeholder need CANCELs */
    char *ph = run_port_placeholder(text);
    free(ph);
    return ph ? 0 : each_pair(text, NULL, NULL);
}

struct map_arg {
    struct run_ctx *ctx;
    struct virt_host *link;
    int h;
};

/* map_hostname_ipaddress for one pair: the name's lines dropped, "ADDR NAME" added,
 * written into the same file (cat >, not a rename: the file may be a mount point). */
static int map_one(void *arg, const char *name, const char *addr)
{
    struct map_arg *a = arg;
    static const char script[] =
        "set -e; t=$(mktemp /etc/hosts.vtrun-XXXXXX); "
        "grep -v -F -w -e \"$1\" /etc/hosts > \"$t\" || true; "
        "printf '%s %s\\n' \"$2\" \"$1\" >> \"$t\"; cat \"$t\" > /etc/hosts; rm -f \"$t\"";
    if (virt_host_run(a->link, (const char *[]){ "sh", "-c", script, "sh", name, addr, NULL },
                      30, NULL, NULL, NULL) < 0)
        return -1;
    run_log(a->ctx, "%s: '%s %s' in " HOSTS, a->ctx->hosts[a->h].name, addr, name);
    return 0;
}

int run_etchosts_map(struct run_ctx *ctx, int h, const char *text, struct run_etchosts **out)
{
    *out = NULL;
    if (!text || !*text || !strcmp(text, "{}"))
        return 0;
    struct virt_host *link = run_host_link(ctx, h);
    if (!link)
        return run_error(ctx, "TestSetupError", "%s: %s", ctx->hosts[h].name, err_msg());
    if (virt_host_is_local(link))
        return run_error(ctx, "TestSetupError", "%s is this machine: vtrun does not edit "
                         "its " HOSTS, ctx->hosts[h].name);
    struct run_etchosts *e = xcalloc(1, sizeof(*e));
    e->host = h;
    e->backup = xasprintf(HOSTS ".vtrun-%.7s-%u.orig", ctx->job_id ? ctx->job_id : "job",
                          ctx->slot);
    if (virt_host_run(link, (const char *[]){ "cp", "-p", "--", HOSTS, e->backup, NULL }, 30,
                      NULL, NULL, NULL) < 0) {
        int rc = run_error(ctx, "TestSetupError", "backing up " HOSTS " on %s: %s",
                           ctx->hosts[h].name, err_msg());
        free(e->backup);
        free(e);
        return rc;
    }
    char *cmd = xasprintf("cat %s > " HOSTS " && rm -f %s", e->backup, e->backup);
    char *how = virt_host_hint(link, cmd);
    char *what = xasprintf(HOSTS " of %s edited (kept in %s)", ctx->hosts[h].name, e->backup);
    e->leftover = virt_leftover_add(what, how);
    free(cmd);
    free(how);
    free(what);
    *out = e;
    struct map_arg a = { ctx, link, h };
    if (each_pair(text, map_one, &a) < 0)
        return run_error(ctx, "TestSetupError", "set_migration_host on %s: %s",
                         ctx->hosts[h].name, err_msg());
    return 0;
}

void run_etchosts_restore(struct run_ctx *ctx, struct run_etchosts *e)
{
    if (!e)
        return;
    struct virt_host *link = run_host_link(ctx, e->host);
    static const char script[] = "cat \"$1\" > /etc/hosts && rm -f -- \"$1\"";
    if (!link || virt_host_run(link, (const char *[]){ "sh", "-c", script, "sh", e->backup,
                               NULL }, 30, NULL, NULL, NULL) < 0) {
        run_error(ctx, "CleanupError", "restoring " HOSTS " of %s from %s: %s",
                  ctx->hosts[e->host].name, e->backup, err_msg());
    } else {
        run_log(ctx, HOSTS " of %s restored", ctx->hosts[e->host].name);
        virt_leftover_drop(e->leftover);
    }
    free(e->backup);
    free(e);
}
