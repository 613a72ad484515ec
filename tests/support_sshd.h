/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sshd part of the test support library (tests/support.h includes it): a
 * throwaway OpenSSH sshd on 127.0.0.1 for tests and benchmarks (no check.h here: the
 * benchmarks include this file alone).  It gets its own host key, a client key in its
 * authorized_keys, a free port, and runs in the foreground (-D) under lib/spawn, so it
 * dies with the process that started it.  Password login for root works because sshd
 * runs in a private mount namespace (unshare) where /etc/shadow is a bind-mounted file
 * holding TS_SSHD_PW's hash; the machine's own shadow file is not touched.  Needs root.
 *
 *   struct ts_sshd s;
 *   if (ts_sshd_start(&s) < 0) ...err_msg()...;
 *   ... connect to 127.0.0.1:s.port as root with s.key (or TS_SSHD_PW) ...
 *   ts_sshd_stop(&s);
 */
#ifndef VTRUN_TESTS_SUPPORT_SSHD_H
#define VTRUN_TESTS_SUPPORT_SSHD_H

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

#define TS_SSHD_PW "vtrun-test-pw"
/* openssl passwd -6 -salt vtruntest vtrun-test-pw */
#define TS_SSHD_PW_HASH "$6$vtruntest$2OGFTyFDcT9XOU8ptBToGqjLHZPhGBg6WY24X3raeWDUPoDwvyExd" \
                      "fv2ByAjL0xaRRPWpqziCvN02PUi0X/Hy."

struct ts_sshd {
    char *dir;              /* keys, config, shadow, sshd.log */
    char *key;              /* the client's private key (authorized for root) */
    char *known_hosts;      /* for clients; does not exist at start */
    int port;
    struct spawn *proc;
};

static inline char *ts_sshd_path(const struct ts_sshd *s, const char *name)
{
    return xasprintf("%s/%s", s->dir, name);
}

/* A port on 127.0.0.1 nobody listens on right now (bind to 0, read it back, close);
 * -1 when there is none. */
static inline int ts_sshd_free_port(void)
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

static inline bool ts_sshd_port_open(int port)
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
static inline int ts_sshd_keygen(const char *path)
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

static inline int ts_sshd_write(const struct ts_sshd *s, const char *name, const char *text)
{
    char *p = ts_sshd_path(s, name);
    FILE *f = fopen(p, "w");
    int rc = f && fputs(text, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        err_set("%s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static inline int ts_sshd_config(const struct ts_sshd *s)
{
    char *hostkey = ts_sshd_path(s, "hostkey"), *ak = ts_sshd_path(s, "authorized_keys");
    struct strbuf pub = STRBUF_INIT, conf = STRBUF_INIT;
    char *pubpath = xasprintf("%s.pub", s->key);
    int rc = -1;

    if (ts_sshd_keygen(hostkey) < 0 || ts_sshd_keygen(s->key) < 0)
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
    rc = ts_sshd_write(s, "authorized_keys", pub.buf) < 0 ||
         ts_sshd_write(s, "shadow", "root:" TS_SSHD_PW_HASH ":19000:0:99999:7:::\n") < 0 ||
         ts_sshd_write(s, "sshd_config", conf.buf) < 0 ? -1 : 0;
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
static inline struct spawn *ts_sshd_spawn(const struct ts_sshd *s, int port, double delay_s)
{
    char *shadow = ts_sshd_path(s, "shadow"), *conf = ts_sshd_path(s, "sshd_config");
    char *log = ts_sshd_path(s, "sshd.log");
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

static inline void ts_sshd_stop(struct ts_sshd *s)
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

static inline int ts_sshd_start(struct ts_sshd *s)
{
    memset(s, 0, sizeof(*s));
    s->dir = xstrdup("/tmp/vtrun-sshd-XXXXXX");
    if (!mkdtemp(s->dir)) {
        err_set("mkdtemp %s: %s", s->dir, strerror(errno));
        free(s->dir);
        s->dir = NULL;
        return -1;
    }
    s->key = ts_sshd_path(s, "id_ed25519");
    s->known_hosts = ts_sshd_path(s, "known_hosts");
    s->port = ts_sshd_free_port();
    if (ts_sshd_config(s) < 0 || !(s->proc = ts_sshd_spawn(s, s->port, 0)))
        goto fail;
    for (double end = clock_now() + 5; !ts_sshd_port_open(s->port) && clock_now() < end;)
        clock_sleep(0.02);
    if (!ts_sshd_port_open(s->port)) {
        struct strbuf log = STRBUF_INIT;
        char *p = ts_sshd_path(s, "sshd.log");
        strbuf_read_file(&log, p, 4096);
        err_set("sshd did not start on port %d: %s", s->port, log.buf);
        strbuf_release(&log);
        free(p);
        goto fail;
    }
    return 0;
fail:
    ts_sshd_stop(s);
    return -1;
}

#endif
