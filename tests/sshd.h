/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A throwaway OpenSSH sshd on 127.0.0.1 for tests and benchmarks (no check.h: the
 * benchmarks use it too).  It gets its own host key, a client key in its
 * authorized_keys, a free port, and runs in the foreground (-D) under lib/spawn, so it
 * dies with the process that started it.  Password login for root works because sshd
 * runs in a private mount namespace (unshare) where /etc/shadow is a bind-mounted file
 * holding TSSHD_PW's hash; the machine's own shadow file is not touched.  Needs root.
 *
 *   struct tsshd s;
 *   if (tsshd_start(&s) < 0) ...err_msg()...;
 *   ... connect to 127.0.0.1:s.port as root with s.key (or TSSHD_PW) ...
 *   tsshd_stop(&s);
 */
#ifndef VTRUN_TESTS_SSHD_H
#define VTRUN_TESTS_SSHD_H

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TSSHD_PW "vtrun-test-pw"
/* openssl passwd -6 -salt vtruntest vtrun-test-pw */
#define TSSHD_PW_HASH "$6$vtruntest$2OGFTyFDcT9XOU8ptBToGqjLHZPhGBg6WY24X3raeWDUPoDwvyExd" \
                      "fv2ByAjL0xaRRPWpqziCvN02PUi0X/Hy."

struct tsshd {
    char *dir;              /* keys, config, shadow, sshd.log */
    char *key;              /* the client's private key (authorized for root) */
    char *known_hosts;      /* for clients; does not exist at start */
    int port;
    struct spawn *proc;
};

static inline char *tsshd_path(const struct tsshd *s, const char *name)
{
    return xasprintf("%s/%s", s->dir, name);
}

/* A port nobody listens on right now (bind to 0, read it back, close). */
static inline int tsshd_free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static inline bool tsshd_port_open(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* An ed25519 key pair without passphrase at path (and path.pub). */
static inline int tsshd_keygen(const char *path)
{
    struct spawn *c = spawn_new("ssh-keygen");
    struct strbuf err = STRBUF_INIT;
    int rc;
    spawn_args(c, "-q", "-t", "ed25519", "-N", "", "-f", path, NULL);
    spawn_set_output(c, NULL, &err);
    rc = spawn_run(c, NULL);
    spawn_free(c);
    strbuf_release(&err);
    return rc;
}

static inline int tsshd_write(const struct tsshd *s, const char *name, const char *text)
{
    char *p = tsshd_path(s, name);
    FILE *f = fopen(p, "w");
    int rc = f && fputs(text, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        err_set("%s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static inline int tsshd_config(const struct tsshd *s)
{
    char *hostkey = tsshd_path(s, "hostkey"), *ak = tsshd_path(s, "authorized_keys");
    struct strbuf pub = STRBUF_INIT, conf = STRBUF_INIT;
    char *pubpath = xasprintf("%s.pub", s->key);
    int rc = -1;

    if (tsshd_keygen(hostkey) < 0 || tsshd_keygen(s->key) < 0)
        goto out;
    if (strbuf_read_file(&pub, pubpath, 0) < 0) {
        err_set("%s: %s", pubpath, strerror(errno));
        goto out;
    }
    strbuf_addf(&conf,
                "ListenAddress 127.0.0.1\n"
                "HostKey %s\n"
                "PidFile none\n"
                "AuthorizedKeysFile %s\n"
                "StrictModes no\n"
                "UsePAM no\n"
                "PermitRootLogin yes\n"
                "PasswordAuthentication yes\n"
                "KbdInteractiveAuthentication no\n"
                "Subsystem sftp internal-sftp\n"
                "LogLevel ERROR\n", hostkey, ak);
    rc = tsshd_write(s, "authorized_keys", pub.buf) < 0 ||
         tsshd_write(s, "shadow", "root:" TSSHD_PW_HASH ":19000:0:99999:7:::\n") < 0 ||
         tsshd_write(s, "sshd_config", conf.buf) < 0 ? -1 : 0;
out:
    free(hostkey);
    free(ak);
    free(pubpath);
    strbuf_release(&pub);
    strbuf_release(&conf);
    return rc;
}

/* Another sshd of this fixture on port, listening after delay_s (a host that is still
 * booting); stop it with spawn_free().  NULL with err_msg() when it cannot start. */
static inline struct spawn *tsshd_spawn(const struct tsshd *s, int port, double delay_s)
{
    char *shadow = tsshd_path(s, "shadow"), *conf = tsshd_path(s, "sshd_config");
    char *log = tsshd_path(s, "sshd.log");
    struct spawn *c = spawn_new("unshare");
    spawn_args(c, "--mount", "--propagation", "private", "sh", "-c",
               "sleep \"$1\" && mkdir -p /run/sshd && mount --bind \"$2\" /etc/shadow && "
               "exec /usr/sbin/sshd -D -e -f \"$3\" -o \"Port=$4\"", NULL);
    spawn_arg(c, "sh");
    spawn_argf(c, "%.3f", delay_s);
    spawn_args(c, shadow, conf, NULL);
    spawn_argf(c, "%d", port);
    spawn_set_output_file(c, log);
    spawn_set_pdeathsig(c, SIGKILL);
    if (spawn_start(c) < 0) {
        spawn_free(c);
        c = NULL;
    }
    free(shadow);
    free(conf);
    free(log);
    return c;
}

static inline void tsshd_stop(struct tsshd *s)
{
    spawn_free(s->proc);
    s->proc = NULL;
    if (s->dir) {
        struct spawn *c = spawn_new("rm");
        spawn_args(c, "-rf", s->dir, NULL);
        spawn_run(c, NULL);
        spawn_free(c);
    }
    free(s->dir);
    free(s->key);
    free(s->known_hosts);
    memset(s, 0, sizeof(*s));
}

static inline int tsshd_start(struct tsshd *s)
{
    memset(s, 0, sizeof(*s));
    s->dir = xstrdup("/tmp/vtrun-sshd-XXXXXX");
    if (!mkdtemp(s->dir)) {
        err_set("mkdtemp %s: %s", s->dir, strerror(errno));
        free(s->dir);
        s->dir = NULL;
        return -1;
    }
    s->key = tsshd_path(s, "id_ed25519");
    s->known_hosts = tsshd_path(s, "known_hosts");
    s->port = tsshd_free_port();
    if (tsshd_config(s) < 0 || !(s->proc = tsshd_spawn(s, s->port, 0)))
        goto fail;
    for (double end = clock_now() + 5; !tsshd_port_open(s->port) && clock_now() < end;)
        clock_sleep(0.02);
    if (!tsshd_port_open(s->port)) {
        struct strbuf log = STRBUF_INIT;
        char *p = tsshd_path(s, "sshd.log");
        strbuf_read_file(&log, p, 4096);
        err_set("sshd did not start on port %d: %s", s->port, log.buf);
        strbuf_release(&log);
        free(p);
        goto fail;
    }
    return 0;
fail:
    tsshd_stop(s);
    return -1;
}

#endif
