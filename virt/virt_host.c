/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_host: the host transport (virt/virt.h) — an argv run on this machine through
 * lib/spawn, or on a remote host over one reused libssh session (virt_ssh.c) with the
 * argv quoted word by word; files copied locally or over SFTP.
 */
#include "virt/virt.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* stderr kept in an exit-status error */
#define HOST_ERR_TAIL 400

struct virt_host {
    char *name;
    struct virt_login login;    /* login.host NULL: this machine */
    char *known_hosts;
    double connect_timeout;
    const struct virt_ctx *ctx;
    struct virt_ssh *ssh;       /* the session; NULL until connected (or local) */
    pthread_mutex_t lock;       /* one command at a time on the session */
};

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

/* The user vtrun runs as: what ssh logs in as when no user is given. */
static char *current_user(void)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        return xstrdup(pw.pw_name);
    return xstrdup("root");
}

/* strict without a file: the user's own known_hosts, as ssh reads it. */
static char *known_hosts_of(const struct virt_host_conf *conf)
{
    const char *home = getenv("HOME");
    if (conf->known_hosts && *conf->known_hosts)
        return xstrdup(conf->known_hosts);
    if (conf->hostkey == VIRT_HOSTKEY_STRICT && home && *home)
        return xasprintf("%s/.ssh/known_hosts", home);
    return NULL;
}

static int host_connect(struct virt_host *h)
{
    h->ssh = virt_ssh_connect(&h->login, h->known_hosts, h->connect_timeout, h->ctx);
    if (!h->ssh) {
        err_prefix("host %s", h->name);
        return -1;
    }
    return 0;
}

struct virt_host *virt_host_open(const struct virt_host_conf *conf, const struct virt_ctx *ctx)
{
    struct virt_host *h = xcalloc(1, sizeof(*h));
    bool remote = conf->address && *conf->address;

    h->name = xstrdup(conf->name && *conf->name ? conf->name
                      : remote ? conf->address : "localhost");
    h->ctx = ctx;
    pthread_mutex_init(&h->lock, NULL);
    if (!remote)
        return h;
    if (conf->port < 0 || conf->port > 65535) {
        err_set("host %s: ssh port %d is not a port", h->name, conf->port);
        virt_host_close(h);
        return NULL;
    }
    h->login = (struct virt_login){
        .host = xstrdup(conf->address), .port = conf->port ? conf->port : 22,
        .user = conf->user && *conf->user ? xstrdup(conf->user) : current_user(),
        .password = dup_or_null(conf->password), .key_file = dup_or_null(conf->key_file),
        .hostkey = conf->hostkey, .default_keys = true,
    };
    h->known_hosts = known_hosts_of(conf);
    h->connect_timeout = conf->connect_timeout_s > 0 ? conf->connect_timeout_s : 10;
    if (host_connect(h) < 0) {
        virt_host_close(h);
        return NULL;
    }
    return h;
}

void virt_host_close(struct virt_host *h)
{
    if (!h)
        return;
    virt_ssh_close(h->ssh);
    virt_login_free(&h->login);
    free(h->known_hosts);
    free(h->name);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

bool virt_host_is_local(const struct virt_host *h)
{
    return !h->login.host;
}

char *virt_host_hint(const struct virt_host *h, const char *cmd)
{
    if (!h || virt_host_is_local(h))
        return xstrdup(cmd);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "ssh");
    if (h->login.port && h->login.port != 22)
        strbuf_addf(&sb, " -p %d", h->login.port);
    if (h->login.key_file) {
        strbuf_addstr(&sb, " -i ");
        strbuf_add_sq(&sb, h->login.key_file);
    }
    strbuf_addch(&sb, ' ');
    if (h->login.user)
        strbuf_addf(&sb, "%s@", h->login.user);
    strbuf_addstr(&sb, h->login.host);
    strbuf_addch(&sb, ' ');
    strbuf_add_sq(&sb, cmd);
    return strbuf_detach(&sb, NULL);
}

const char *virt_host_name(const struct virt_host *h)
{
    return h->name;
}

/* ---- commands ---------------------------------------------------------------------- */

static void log_cmdline(void *ud, const char *cmdline)
{
    const struct virt_host *h = ud;
    virt_logf(h->ctx, VIRT_LOG_DEBUG, "host %s: %s", h->name, cmdline);
}

static int run_local(struct virt_host *h, const char *const *argv, double timeout_s,
                     struct strbuf *out, struct strbuf *err, int *status)
{
    struct spawn *c = spawn_newv(argv);
    int rc;

    spawn_set_output(c, out, err);
    spawn_set_timeout(c, timeout_s);
    if (h->ctx && h->ctx->cancel)
        spawn_set_cancel(c, h->ctx->cancel);
    spawn_set_log(c, log_cmdline, h);
    rc = spawn_run(c, status);
    spawn_free(c);
    return rc;
}

/* The argv as one line for the remote login shell: every word single-quoted. */
static char *remote_cmdline(const char *const *argv)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            strbuf_addch(&sb, ' ');
        strbuf_add_sq(&sb, argv[i]);
    }
    return strbuf_detach(&sb, NULL);
}

/* Over the session, connecting first when there is none; a session found dropped
 * before the command was sent is reopened once and the command sent again. */
static int run_ssh(struct virt_host *h, const char *cmd, double timeout_s,
                   struct strbuf *out, struct strbuf *err, int *status)
{
    int rc = -1;

    pthread_mutex_lock(&h->lock);
    if (!h->ssh && host_connect(h) < 0)
        goto out;
    rc = virt_ssh_exec(h->ssh, cmd, timeout_s, status, out, err);
    if (rc < 0 && virt_ssh_lost(h->ssh)) {
        virt_logf(h->ctx, VIRT_LOG_INFO, "host %s: connection lost, reconnecting", h->name);
        virt_ssh_close(h->ssh);
        h->ssh = NULL;
        if (host_connect(h) == 0)
            rc = virt_ssh_exec(h->ssh, cmd, timeout_s, status, out, err);
    }
    if (rc < 0 && h->ssh)
        err_prefix("host %s", h->name);
out:
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int virt_host_run(struct virt_host *h, const char *const *argv, double timeout_s,
                  struct strbuf *out, struct strbuf *err, int *status)
{
    struct strbuf errbuf = STRBUF_INIT, msg = STRBUF_INIT;
    struct strbuf *e = err ? err : &errbuf;
    size_t err0 = e->len;
    char *cmd;
    int st = -1, rc;

    if (!argv || !argv[0] || !*argv[0]) {
        err_set("host %s: empty command", h->name);
        return -1;
    }
    cmd = remote_cmdline(argv);
    if (virt_host_is_local(h)) {
        rc = run_local(h, argv, timeout_s, out, e, &st);
        if (rc < 0)
            err_prefix("host %s", h->name);
    } else {
        rc = run_ssh(h, cmd, timeout_s, out, e, &st);
    }
    if (rc == 0 && status) {
        *status = st;
    } else if (rc == 0 && st != 0) {
        strbuf_addf(&msg, "host %s: %s: exit status %d", h->name, cmd, st);
        strbuf_add_tail(&msg, e->buf + err0, e->len - err0, HOST_ERR_TAIL);
        err_set("%s", msg.buf);
        rc = -1;
    }
    free(cmd);
    strbuf_release(&errbuf);
    strbuf_release(&msg);
    return rc;
}

/* ---- files ------------------------------------------------------------------------- */

/* On this machine: the full-clone copy of virt_image (reflink, sparse, via .part). */
static int copy_local(const struct virt_host *h, const char *from, const char *to, int mode)
{
    if (virt_image_clone_full(NULL, from, to, h->ctx) < 0)
        return -1;
    if (mode > 0 && chmod(to, (mode_t)mode) < 0) {
        err_set("%s: chmod: %s", to, strerror(errno));
        return -1;
    }
    return 0;
}

static int transfer_ssh(struct virt_host *h, bool put, const char *local,
                        const char *remote, int mode)
{
    int rc = -1;
    pthread_mutex_lock(&h->lock);
    if (!h->ssh && host_connect(h) < 0)
        goto out;           /* host_connect named the host */
    rc = put ? virt_ssh_put(h->ssh, local, remote, mode) : virt_ssh_get(h->ssh, remote, local);
    if (rc < 0)
        err_prefix("host %s", h->name);
out:
    pthread_mutex_unlock(&h->lock);
    return rc;
}

static int transfer(struct virt_host *h, bool put, const char *local, const char *remote,
                    int mode)
{
    int rc;
    virt_logf(h->ctx, VIRT_LOG_DEBUG, "host %s: %s %s %s %s", h->name, put ? "put" : "get",
              put ? local : remote, put ? "->" : "<-", put ? remote : local);
    if (!virt_host_is_local(h))
        return transfer_ssh(h, put, local, remote, mode);
    rc = put ? copy_local(h, local, remote, mode) : copy_local(h, remote, local, 0);
    if (rc < 0)
        err_prefix("host %s", h->name);
    return rc;
}

int virt_host_put(struct virt_host *h, const char *local, const char *remote, int mode)
{
    return transfer(h, true, local, remote, mode);
}

int virt_host_get(struct virt_host *h, const char *remote, const char *local)
{
    return transfer(h, false, local, remote, 0);
}
