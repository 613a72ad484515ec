/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virt_ssh: guest sessions over SSH with libssh (avocado-vt's remote login, without
 * a pty or prompt matching): key or password authentication, commands with a timeout
 * returning exit status / stdout / stderr, SFTP both ways.
 *
 * Sessions serve guests (run_vms) and hosts (virt_host.c): one login, many commands.
 *
 * Host keys: an explicit policy (virt.h enum virt_hostkey), accept-new by default: the
 * per-job known_hosts file learns a host's key the first time and refuses a changed
 * one (a changed key within a job means the address now belongs to another machine —
 * never silently accepted).  The user's ~/.ssh/config and the system known_hosts are
 * not read: a run must not depend on the account it runs under; with `strict`, the
 * file to trust is named.  Known-hosts files are read and written under one lock:
 * parallel workers learn into the same per-job file.
 */
#include "virt/virt.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How often a running command checks its deadline and the cancel flag. */
#define SSH_TICK_MS 50
/* Pause between login attempts in wait_for_login. */
#define SSH_RETRY_S 0.5
/* Longest single login attempt in wait_for_login (a login takes ~0.3 s here). */
#define SSH_ATTEMPT_S 5.0

struct virt_ssh {
    ssh_session s;
    char *where;                /* user@host:port, for messages */
    const struct virt_ctx *ctx;
    bool lost;                  /* the last exec found the connection gone */
};

static const struct {
    const char *word;
    enum virt_hostkey k;
} hostkey_words[] = {
    { "accept-new", VIRT_HOSTKEY_ACCEPT_NEW },
    { "strict", VIRT_HOSTKEY_STRICT },
    { "yes", VIRT_HOSTKEY_STRICT },
    { "off", VIRT_HOSTKEY_OFF },
    { "no", VIRT_HOSTKEY_OFF },
};

int virt_hostkey_parse(const char *s, enum virt_hostkey *out)
{
    for (size_t i = 0; s && i < ARRAY_SIZE(hostkey_words); i++)
        if (!strcmp(s, hostkey_words[i].word)) {
            *out = hostkey_words[i].k;
            return 0;
        }
    err_set("known-hosts policy '%s' is not one of accept-new, strict, off", s ? s : "");
    return -1;
}

const char *virt_hostkey_name(enum virt_hostkey k)
{
    for (size_t i = 0; i < ARRAY_SIZE(hostkey_words); i++)
        if (hostkey_words[i].k == k)
            return hostkey_words[i].word;
    return "?";
}


static int login_fail(const struct virt_login *l, const char *what, const char *detail)
{
    struct strbuf d = STRBUF_INIT;
    struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_LOGIN);
    strbuf_addf(&d, "%s@%s:%d: %s", l->user ? l->user : "root", l->host ? l->host : "?",
                l->port ? l->port : 22, what);
    if (detail && *detail)
        strbuf_addf(&d, ": %s", detail);
    e.host = l->host;
    e.detail = d.buf;
    virt_fail(&e);
    strbuf_release(&d);
    return -1;
}

static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

/* By l->hostkey: 0 when the key is acceptable (known, or just learned), -1 otherwise. */
static int check_host_key(ssh_session s, const struct virt_login *l,
                          const char *known_hosts, const struct virt_ctx *ctx)
{
    enum ssh_known_hosts_e k;
    int ret = -1;

    if (l->hostkey == VIRT_HOSTKEY_OFF) {
        virt_logf(ctx, VIRT_LOG_DEBUG, "ssh: host key of %s:%d not checked (policy off)",
                  l->host, l->port);
        return 0;
    }
    if (!known_hosts)
        return login_fail(l, "no known_hosts file given: host key cannot be verified", NULL);
    pthread_mutex_lock(&known_hosts_lock);
    k = ssh_session_is_known_server(s);
    switch (k) {
    case SSH_KNOWN_HOSTS_OK:
        ret = 0;
        break;
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
        if (l->hostkey == VIRT_HOSTKEY_STRICT) {
            login_fail(l, "host key unknown (strict: not in", known_hosts);
        } else if (ssh_session_update_known_hosts(s) != SSH_OK) {
            login_fail(l, "cannot add the host key to", known_hosts);
        } else {
            virt_logf(ctx, VIRT_LOG_DEBUG, "ssh: added host key of %s:%d to %s", l->host,
                      l->port, known_hosts);
            ret = 0;
        }
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        login_fail(l, "HOST KEY CHANGED (refused; see", known_hosts);
        break;
    case SSH_KNOWN_HOSTS_ERROR:
    default:
        login_fail(l, "host key check failed", ssh_get_error(s));
        break;
    }
    pthread_mutex_unlock(&known_hosts_lock);
    return ret;
}

static int authenticate(ssh_session s, const struct virt_login *l)
{
    struct strbuf why = STRBUF_INIT;
    int rc = SSH_AUTH_DENIED, ret = -1;

    if (!l->key_file && !l->password && !l->default_keys) {
        login_fail(l, "neither ssh_private_key nor password given", NULL);
        goto cleanup;
    }
    if (l->key_file) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(l->key_file, NULL, NULL, NULL, &key) != SSH_OK) {
            login_fail(l, "cannot read private key", l->key_file);
            goto cleanup;
        }
        rc = ssh_userauth_publickey(s, NULL, key);
        ssh_key_free(key);
        if (rc == SSH_AUTH_SUCCESS) {
            ret = 0;
            goto cleanup;
        }
        strbuf_addf(&why, "key %s: %s", l->key_file,
                    rc == SSH_AUTH_ERROR ? ssh_get_error(s) : "refused");
    } else if (l->default_keys) {
        rc = ssh_userauth_publickey_auto(s, NULL, NULL);
        if (rc == SSH_AUTH_SUCCESS) {
            ret = 0;
            goto cleanup;
        }
        strbuf_addf(&why, "ssh-agent and ~/.ssh keys: %s",
                    rc == SSH_AUTH_ERROR ? ssh_get_error(s) : "refused");
    }
    if (l->password) {
        rc = ssh_userauth_password(s, NULL, l->password);
        if (rc == SSH_AUTH_SUCCESS) {
            ret = 0;
            goto cleanup;
        }
        /* Never the password itself in a message. */
        strbuf_addf(&why, "%spassword: %s", why.len ? "; " : "",
                    rc == SSH_AUTH_ERROR ? ssh_get_error(s) : "refused");
    }
    login_fail(l, "authentication failed", why.buf);
cleanup:
    strbuf_release(&why);
    return ret;
}

struct virt_ssh *virt_ssh_connect(const struct virt_login *l, const char *known_hosts,
                                  double timeout_s, const struct virt_ctx *ctx)
{
    struct virt_ssh *vs = NULL;
    ssh_session s;
    long sec = timeout_s > 0 ? (long)timeout_s : 10;
    long usec = timeout_s > 0 ? (long)((timeout_s - (double)sec) * 1e6) : 0;
    unsigned port = l->port > 0 ? (unsigned)l->port : 22;
    int no = 0;
    const char *user = l->user ? l->user : "root";

    if (!l->host || !*l->host) {
        virt_failf(VIRT_ERR_ADDRESS, NULL, "no address to log in to");
        return NULL;
    }
    s = ssh_new();
    if (!s) {
        login_fail(l, "ssh_new failed", NULL);
        return NULL;
    }
    if (ssh_options_set(s, SSH_OPTIONS_HOST, l->host) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_USER, user) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &sec) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts && l->hostkey != VIRT_HOSTKEY_OFF
                                                   ? known_hosts : "/dev/null") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0) {
        login_fail(l, "ssh options", ssh_get_error(s));
        goto fail;
    }
    if (ssh_connect(s) != SSH_OK) {
        login_fail(l, "connect", ssh_get_error(s));
        goto fail;
    }
    if (check_host_key(s, l, known_hosts, ctx) < 0 || authenticate(s, l) < 0)
        goto fail;
    vs = xcalloc(1, sizeof(*vs));
    vs->s = s;
    vs->where = xasprintf("%s@%s:%u", user, l->host, port);
    vs->ctx = ctx;
    virt_logf(ctx, VIRT_LOG_DEBUG, "ssh: logged in to %s", vs->where);
    return vs;

fail:
    ssh_disconnect(s);
    ssh_free(s);
    return NULL;
}

struct virt_ssh *virt_ssh_wait_for_login(const struct virt_login *l,
                                         const char *known_hosts, double deadline_s,
                                         const struct virt_ctx *ctx)
{
    double end = clock_now() + deadline_s;
    unsigned attempts = 0;

    virt_logf(ctx, VIRT_LOG_INFO, "Waiting for login to %s:%d (%.0f s)", l->host, l->port,
              deadline_s);
    for (;;) {
        double left = end - clock_now();
        struct virt_ssh *vs;

        if (virt_cancelled(ctx)) {
            login_fail(l, "cancelled while waiting for login", NULL);
            return NULL;
        }
        attempts++;
        /* Each attempt gets at most SSH_ATTEMPT_S: a guest that is still booting
         * must not hold one attempt until the deadline, and the cancel flag is only
         * looked at between attempts. */
        vs = virt_ssh_connect(l, known_hosts,
                              left > SSH_ATTEMPT_S ? SSH_ATTEMPT_S : left > 0.5 ? left : 0.5, ctx);
        if (vs) {
            virt_logf(ctx, VIRT_LOG_INFO, "Logged in to %s after %u attempt%s", vs->where,
                      attempts, attempts == 1 ? "" : "s");
            return vs;
        }
        /* An authentication or host key failure will not heal by waiting. */
        if (strstr(err_msg(), "authentication failed") || strstr(err_msg(), "HOST KEY") ||
            strstr(err_msg(), "host key unknown") ||
            strstr(err_msg(), "cannot read private key"))
            return NULL;
        left = end - clock_now();
        if (left <= 0) {
            err_prefix("no login within %.0f s (%u attempts)", deadline_s, attempts);
            return NULL;
        }
        for (double until = clock_now() + (left < SSH_RETRY_S ? left : SSH_RETRY_S);
             clock_now() < until && !virt_cancelled(ctx);) {
            clock_sleep(SSH_TICK_MS / 1000.0);
        }
    }
}

void virt_ssh_close(struct virt_ssh *vs)
{
    if (!vs)
        return;
    ssh_disconnect(vs->s);
    ssh_free(vs->s);
    free(vs->where);
    free(vs);
}

static int session_fail(struct virt_ssh *vs, const char *cmd, const char *what)
{
    struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
    char *d = xasprintf("%s: %s: %s", vs->where, what, ssh_get_error(vs->s));
    e.command = cmd;
    e.detail = d;
    virt_fail(&e);
    free(d);
    return -1;
}

/* A command that ran but did not end well: timed out, cancelled, killed. */
static int command_fail(struct virt_ssh *vs, const char *cmd, const char *detail,
                        const char *output)
{
    struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
    e.command = cmd;
    e.host = vs->where;
    e.detail = detail;
    e.output = output;
    return virt_fail(&e);
}

/* A channel running cmd, or NULL (vs->lost when the connection was found gone before
 * anything was sent: a new session may run it again). */
static ssh_channel start_exec(struct virt_ssh *vs, const char *cmd)
{
    ssh_channel ch = ssh_channel_new(vs->s);

    if (ch && ssh_channel_open_session(ch) == SSH_OK) {
        if (ssh_channel_request_exec(ch, cmd) == SSH_OK)
            return ch;
        session_fail(vs, cmd, "exec request failed");
    } else {
        /* nothing was sent: when the connection is gone, a new one may run it */
        vs->lost = !ssh_is_connected(vs->s);
        session_fail(vs, cmd, ch ? "cannot open a session" : "cannot open a channel");
    }
    if (ch)
        ssh_channel_free(ch);
    return NULL;
}

/* Append what stdout (or stderr) has, waiting up to wait_ms, to dst (may be NULL) and
 * to tail.  Bytes read, or -1 with err. */
static int read_stream(struct virt_ssh *vs, ssh_channel ch, const char *cmd, int is_stderr,
                       int wait_ms, struct strbuf *dst, struct strbuf *tail)
{
    char buf[16384];
    int n = wait_ms ? ssh_channel_read_timeout(ch, buf, sizeof(buf), is_stderr, wait_ms)
                    : ssh_channel_read_nonblocking(ch, buf, sizeof(buf), is_stderr);
    if (n == SSH_ERROR)
        return session_fail(vs, cmd, is_stderr ? "read stderr" : "read");
    if (n > 0) {
        if (dst)
            strbuf_add(dst, buf, (size_t)n);
        strbuf_add(tail, buf, (size_t)n);
    }
    /* Only the end of the output goes into error messages. */
    if (tail->len > 8192) {
        memmove(tail->buf, tail->buf + tail->len - 4096, 4096);
        strbuf_setlen(tail, 4096);
    }
    return n > 0 ? n : 0;
}

/* Read stdout and stderr until the command's end of output, its deadline or cancel. */
static int drain_channel(struct virt_ssh *vs, ssh_channel ch, const char *cmd,
                         double timeout_s, struct strbuf *out, struct strbuf *err,
                         struct strbuf *tail)
{
    double end = timeout_s > 0 ? clock_now() + timeout_s : 0;
    for (;;) {
        int n, m;
        if (virt_cancelled(vs->ctx))
            return command_fail(vs, cmd, "cancelled", NULL);
        if (end && clock_now() >= end) {
            char *d = xasprintf("timed out after %.1f s", timeout_s);
            command_fail(vs, cmd, d, tail->buf);
            free(d);
            return -1;
        }
        if ((n = read_stream(vs, ch, cmd, 0, SSH_TICK_MS, out, tail)) < 0 ||
            (m = read_stream(vs, ch, cmd, 1, 0, err, tail)) < 0)
            return -1;
        if (!n && !m && (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)))
            return 0;
    }
}

/* No pty (stdout and stderr stay apart), so a command that times out is abandoned,
 * not killed: it may keep running on the guest until the session ends. */
int virt_ssh_exec(struct virt_ssh *vs, const char *cmd, double timeout_s, int *status,
                  struct strbuf *out, struct strbuf *err)
{
    struct strbuf tail = STRBUF_INIT;
    ssh_channel ch;
    int ret = -1, st;

    virt_logf(vs->ctx, VIRT_LOG_DEBUG, "ssh %s: %s", vs->where, cmd);
    vs->lost = false;
    ch = start_exec(vs, cmd);
    if (!ch)
        return -1;
    if (drain_channel(vs, ch, cmd, timeout_s, out, err, &tail) < 0)
        goto cleanup;
    st = ssh_channel_get_exit_status(ch);
    if (st < 0) {
        /* No exit-status message: the command died by a signal (exit-signal). */
        command_fail(vs, cmd, "no exit status (killed by a signal?)", tail.buf);
        goto cleanup;
    }
    if (status)
        *status = st;
    ret = 0;
cleanup:
    if (ssh_channel_is_open(ch)) {
        ssh_channel_send_eof(ch);
        ssh_channel_close(ch);
    }
    ssh_channel_free(ch);
    strbuf_release(&tail);
    return ret;
}

bool virt_ssh_lost(const struct virt_ssh *vs)
{
    return vs->lost;
}

static int sftp_fail(struct virt_ssh *vs, sftp_session sf, const char *what, const char *path)
{
    struct virt_error e = VIRT_ERROR_INIT(VIRT_ERR_COMMAND);
    char *d = xasprintf("%s: sftp %s %s: %s (sftp error %d)", vs->where, what, path,
                        ssh_get_error(vs->s), sf ? sftp_get_error(sf) : -1);
    e.detail = d;
    virt_fail(&e);
    free(d);
    return -1;
}

static sftp_session sftp_start(struct virt_ssh *vs)
{
    sftp_session sf = sftp_new(vs->s);
    if (!sf) {
        sftp_fail(vs, NULL, "start", "");
        return NULL;
    }
    if (sftp_init(sf) != SSH_OK) {
        sftp_fail(vs, sf, "init", "");
        sftp_free(sf);
        return NULL;
    }
    return sf;
}

int virt_ssh_put(struct virt_ssh *vs, const char *local, const char *remote, int mode)
{
    sftp_session sf = NULL;
    sftp_file rf = NULL;
    char buf[32768];
    int fd, ret = -1;
    ssize_t n;

    fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        virt_failf(VIRT_ERR_COMMAND, NULL, "sftp put: %s: %s", local, strerror(errno));
        return -1;
    }
    virt_logf(vs->ctx, VIRT_LOG_DEBUG, "sftp put %s -> %s:%s", local, vs->where, remote);
    sf = sftp_start(vs);
    if (!sf)
        goto cleanup;
    rf = sftp_open(sf, remote, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)(mode > 0 ? mode : 0644));
    if (!rf) {
        sftp_fail(vs, sf, "open", remote);
        goto cleanup;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (virt_cancelled(vs->ctx)) {
            virt_failf(VIRT_ERR_COMMAND, NULL, "sftp put %s: cancelled", local);
            goto cleanup;
        }
        if (sftp_write(rf, buf, (size_t)n) != n) {
            sftp_fail(vs, sf, "write", remote);
            goto cleanup;
        }
    }
    if (n < 0) {
        virt_failf(VIRT_ERR_COMMAND, NULL, "sftp put: read %s: %s", local, strerror(errno));
        goto cleanup;
    }
    if (sftp_close(rf) != SSH_OK) {
        rf = NULL;
        sftp_fail(vs, sf, "close", remote);
        goto cleanup;
    }
    rf = NULL;
    ret = 0;
cleanup:
    if (rf)
        sftp_close(rf);
    if (sf)
        sftp_free(sf);
    close(fd);
    return ret;
}

int virt_ssh_get(struct virt_ssh *vs, const char *remote, const char *local)
{
    sftp_session sf = NULL;
    sftp_file rf = NULL;
    char buf[32768];
    char *part = xasprintf("%s.part", local);
    int fd = -1, ret = -1;
    ssize_t n;

    virt_logf(vs->ctx, VIRT_LOG_DEBUG, "sftp get %s:%s -> %s", vs->where, remote, local);
    sf = sftp_start(vs);
    if (!sf)
        goto cleanup;
    rf = sftp_open(sf, remote, O_RDONLY, 0);
    if (!rf) {
        sftp_fail(vs, sf, "open", remote);
        goto cleanup;
    }
    /* Written aside and renamed: a failed copy leaves no truncated file behind. */
    fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        virt_failf(VIRT_ERR_COMMAND, NULL, "sftp get: %s: %s", part, strerror(errno));
        goto cleanup;
    }
    while ((n = sftp_read(rf, buf, sizeof(buf))) > 0) {
        if (virt_cancelled(vs->ctx)) {
            virt_failf(VIRT_ERR_COMMAND, NULL, "sftp get %s: cancelled", remote);
            goto cleanup;
        }
        if (write(fd, buf, (size_t)n) != n) {
            virt_failf(VIRT_ERR_COMMAND, NULL, "sftp get: write %s: %s", part, strerror(errno));
            goto cleanup;
        }
    }
    if (n < 0) {
        sftp_fail(vs, sf, "read", remote);
        goto cleanup;
    }
    if (close(fd) < 0) {
        fd = -1;
        virt_failf(VIRT_ERR_COMMAND, NULL, "sftp get: close %s: %s", part, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(part, local) < 0) {
        virt_failf(VIRT_ERR_COMMAND, NULL, "sftp get: rename to %s: %s", local, strerror(errno));
        goto cleanup;
    }
    ret = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (ret < 0)
        unlink(part);
    if (rf)
        sftp_close(rf);
    if (sf)
        sftp_free(sf);
    free(part);
    return ret;
}
