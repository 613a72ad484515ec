/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test's links to its hosts: the host transport (virt/virt.h) configured from the
 * settings' hosts, opened on first use, closed by the runner (runner/run_type.h). */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

char *run_uri_remote_host(const char *uri)
{
    const char *p = uri ? strstr(uri, "://") : NULL;
    const char *at, *end;
    char *host;

    if (!p)
        return NULL;
    p += 3;
    end = p + strcspn(p, "/?");
    at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    if (*p == '[') {            /* [IPv6]:port */
        const char *close = memchr(p, ']', (size_t)(end - p));
        host = close ? xstrndup(p + 1, (size_t)(close - p - 1)) : xstrndup(p, 0);
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        host = xstrndup(p, (size_t)((colon ? colon : end) - p));
    }
    if (!*host || !strcmp(host, "localhost") || !strncmp(host, "127.", 4) ||
        !strcmp(host, "::1")) {
        free(host);
        return NULL;
    }
    return host;
}

char *run_host_remote(const struct run_host *rh)
{
    if (rh->address && *rh->address) {
        /* "localhost" said explicitly is still this machine */
        bool v6 = strchr(rh->address, ':') != NULL;
        char *uri = xasprintf("ssh://%s%s%s/", v6 ? "[" : "", rh->address, v6 ? "]" : "");
        char *r = run_uri_remote_host(uri);
        free(uri);
        return r;
    }
    return run_uri_remote_host(rh->uri);
}

/* The user part of a URI ("qemu+ssh://root@h/system" -> "root"), or NULL. */
static char *uri_user(const char *uri)
{
    const char *p = strstr(uri, "://");
    if (!p)
        return NULL;
    p += 3;
    size_t len = strcspn(p, "/?");
    const char *at = memchr(p, '@', len);
    return at && at > p ? xstrndup(p, (size_t)(at - p)) : NULL;
}

/* The value of query parameter `name` of a URI ("...?keyfile=/k&no_tty=1"), or NULL.
 * libvirt's ssh transport logs in with keyfile=: so does vtrun when the settings name
 * no ssh_key, since both reach the same host as the same user. */
static char *uri_query(const char *uri, const char *name)
{
    const char *q = strchr(uri, '?');
    size_t n = strlen(name);
    for (const char *p = q ? q + 1 : NULL; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == '=')
            return xstrndup(p + n + 1, strcspn(p + n + 1, "&#"));
    return NULL;
}

/* ssh_password, else the first line of ssh_password_file; NULL when neither. */
static int password_of(const struct run_host *rh, char **out)
{
    struct strbuf sb = STRBUF_INIT;
    *out = NULL;
    if (rh->ssh_password) {
        *out = xstrdup(rh->ssh_password);
        return 0;
    }
    if (!rh->ssh_password_file)
        return 0;
    if (strbuf_read_file(&sb, rh->ssh_password_file, 4096) < 0) {
        err_set("host %s: ssh_password_file %s: %s", rh->name, rh->ssh_password_file,
                strerror(errno));
        strbuf_release(&sb);
        return -1;
    }
    strbuf_setlen(&sb, strcspn(sb.buf, "\r\n"));
    *out = strbuf_detach(&sb, NULL);
    return 0;
}

static void vlog(void *ud, enum virt_log_level level, const char *msg)
{
    run_log(ud, "%s%s%s", level == VIRT_LOG_DEBUG ? "" : virt_log_level_name(level),
            level == VIRT_LOG_DEBUG ? "" : ": ", msg);
}

static struct virt_host *open_link(struct run_ctx *ctx, const struct run_host *rh,
                                   const struct virt_ctx *vctx)
{
    char *remote = run_host_remote(rh), *user = NULL, *password = NULL, *key = NULL;
    struct virt_host *link = NULL;
    struct virt_host_conf conf = { .name = rh->name ? rh->name : rh->uri };

    if (remote) {
        if (rh->ssh_known_hosts && virt_hostkey_parse(rh->ssh_known_hosts, &conf.hostkey) < 0) {
            err_prefix("host %s: ssh_known_hosts", conf.name);
            goto out;
        }
        if (password_of(rh, &password) < 0)
            goto out;
        user = rh->ssh_user ? xstrdup(rh->ssh_user) : uri_user(rh->uri);
        conf.address = remote;
        conf.port = rh->ssh_port;
        conf.user = user;
        key = rh->ssh_key || !rh->uri ? NULL : uri_query(rh->uri, "keyfile");
        conf.key_file = rh->ssh_key ? rh->ssh_key : key;
        conf.password = password;
        conf.known_hosts = rh->ssh_known_hosts_file ? rh->ssh_known_hosts_file
                           : conf.hostkey == VIRT_HOSTKEY_ACCEPT_NEW ? ctx->known_hosts : NULL;
        conf.connect_timeout_s = rh->ssh_connect_timeout;
    }
    link = virt_host_open(&conf, vctx);
out:
    free(remote);
    free(user);
    free(password);
    free(key);
    return link;
}

/* The links of one test: the transport handles and the context they log through. */
struct run_links {
    struct virt_ctx vctx;
    struct virt_host **host;        /* per host; NULL until first used */
};

struct virt_host *run_host_link(struct run_ctx *ctx, int h)
{
    struct run_links *l;

    if (h < 0 || (size_t)h >= ctx->nhosts) {
        err_set("host %d: no such host (the test has %zu)", h, ctx->nhosts);
        return NULL;
    }
    /* the VM set connects its hosts at once (virt_vms_connect): one thread makes the
     * table, each opens its own host's link */
    static pthread_mutex_t make = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&make);
    if (!(l = ctx->links)) {
        l = xcalloc(1, sizeof(*l));
        l->host = xcalloc(ctx->nhosts, sizeof(*l->host));
        /* no deadline: the runner's watchdog turns the test's deadline into the cancel
         * flag, and cleanup (with its own bound) still needs the links */
        l->vctx = (struct virt_ctx){ .log = vlog, .log_ud = ctx, .cancel = ctx->cancel };
        ctx->links = l;
    }
    pthread_mutex_unlock(&make);
    if (!l->host[h])
        l->host[h] = open_link(ctx, &ctx->hosts[h], &l->vctx);
    return l->host[h];
}

void run_ctx_close_links(struct run_ctx *ctx)
{
    struct run_links *l = ctx->links;
    if (!l)
        return;
    for (size_t h = 0; h < ctx->nhosts; h++)
        virt_host_close(l->host[h]);
    free(l->host);
    free(l);
    ctx->links = NULL;
}
