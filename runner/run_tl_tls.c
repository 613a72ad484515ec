/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_tls: TLS certificates, qemu.conf edits with a restart in place, and the
 * daemon's debug log, for tp-libvirt's TLS migration cases (runner/run_tl_tls.h).
 * Certificates are made with GnuTLS certtool (Debian gnutls-bin, already a lab
 * dependency), the tool avocado-vt's TLSConnection itself runs.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "runner/run_tl_tls.h"

#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QEMU_CONF "/etc/libvirt/qemu.conf"
#define LIBVIRTD_CONF "/etc/libvirt/libvirtd.conf"
#define DAEMON "libvirtd"
#define CERTTOOL_TIMEOUT 60.0

/* TLSConnection's credential names and QEMU's file names for them (qemu_tls). */
static const struct {
    const char *name, *file;
    int mode;
} tls_creds[] = {
    { "cacert", "ca-cert.pem", 0644 },
    { "cakey", "ca-key.pem", 0600 },
    { "servercert", "server-cert.pem", 0644 },
    { "serverkey", "server-key.pem", 0600 },
    { "clientcert", "client-cert.pem", 0644 },
    { "clientkey", "client-key.pem", 0600 },
};

static int tls_cred(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(tls_creds); i++)
        if (strlen(tls_creds[i].name) == len && !strncmp(tls_creds[i].name, name, len))
            return (int)i;
    return -1;
}

int run_tls_scp_list_check(const char *list)
{
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (n && tls_cred(p, n) < 0) {
            err_set("'%.*s' in '%s': expected cacert, cakey, servercert, serverkey, "
                    "clientcert or clientkey", (int)n, p, list);
            return -1;
        }
        p += n;
    }
    return 0;
}

void run_tls_pki_of(const struct params *p, const char *scp_client, struct run_tls_pki *k)
{
    *k = (struct run_tls_pki){
        .server_cn = params_get_or(p, "server_cn", "TLSServer"),
        .client_cn = params_get_or(p, "client_cn", "TLSClient"),
        .ca_cn = params_get_or(p, "ca_cn", "AUTOTEST.VIRT"),
        .server_ip = params_get_or(p, "server_ip", params_get(p, "migrate_dest_host")),
        .set_ip_addr = strcmp(params_get_or(p, "set_ip_addr", "yes"), "no") != 0,
        .dir = params_get(p, "custom_pki_path"),
        .scp_server = params_get_or(p, "scp_list_server", "cacert,cakey,servercert,serverkey"),
        .scp_client = scp_client ? scp_client
                      : params_get_or(p, "scp_list_client", "cacert,cakey,clientcert,clientkey"),
    };
}

/* ---- certificates ----------------------------------------------------------------- */

static int certtool(struct run_ctx *ctx, const char *const *argv)
{
    struct spawn *c = spawn_newv(argv);
    struct strbuf err = STRBUF_INIT;
    spawn_set_output(c, NULL, &err);
    spawn_set_timeout(c, CERTTOOL_TIMEOUT);
    spawn_set_cancel(c, ctx->cancel);
    int rc = spawn_run(c, NULL);
    if (rc < 0)
        err_prefix("certtool %s: %s", argv[1], err.buf);
    spawn_free(c);
    strbuf_release(&err);
    return rc;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        err_set("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* A key and a certificate signed by the CA in dir (self-signed for the CA). */
static int make_cert(struct run_ctx *ctx, const char *dir, const char *stem, const char *info)
{
    char *key = xasprintf("%s/%s-key.pem", dir, stem), *cert = xasprintf("%s/%s-cert.pem", dir, stem);
    char *tmpl = xasprintf("%s/%s.info", dir, stem);
    char *cakey = xasprintf("%s/ca-key.pem", dir), *cacert = xasprintf("%s/ca-cert.pem", dir);
    bool ca = !strcmp(stem, "ca");
    const char *genkey[] = { "certtool", "--generate-privkey", "--key-type=rsa",
                             "--sec-param=medium", "--outfile", key, NULL };
    const char *self[] = { "certtool", "--generate-self-signed", "--load-privkey", key,
                           "--template", tmpl, "--outfile", cert, NULL };
    const char *sign[] = { "certtool", "--generate-certificate", "--load-privkey", key,
                           "--load-ca-certificate", cacert, "--load-ca-privkey", cakey,
                           "--template", tmpl, "--outfile", cert, NULL };
    int rc = write_file(tmpl, info) < 0 || certtool(ctx, genkey) < 0 ||
             certtool(ctx, ca ? self : sign) < 0 ? -1 : 0;
    unlink(tmpl);
    free(key);
    free(cert);
    free(tmpl);
    free(cakey);
    free(cacert);
    return rc;
}

static int make_pki(struct run_ctx *ctx, const char *dir, const struct run_tls_pki *k)
{
    struct strbuf ca = STRBUF_INIT, srv = STRBUF_INIT, cli = STRBUF_INIT;
    strbuf_addf(&ca, "cn = \"%s\"\nca\ncert_signing_key\n", k->ca_cn);
    strbuf_addf(&srv, "organization = AUTOTEST.VIRT\ncn = \"%s\"\ndns_name = \"%s\"\n",
                k->server_cn, k->server_cn);
    if (k->set_ip_addr && k->server_ip)
        strbuf_addf(&srv, "ip_address = \"%s\"\n", k->server_ip);
    strbuf_addstr(&srv, "tls_www_server\nencryption_key\nsigning_key\n");
    strbuf_addf(&cli, "organization = AUTOTEST.VIRT\ncn = \"%s\"\ntls_www_client\n"
                "encryption_key\nsigning_key\n", k->client_cn);
    int rc = make_cert(ctx, dir, "ca", ca.buf) < 0 || make_cert(ctx, dir, "server", srv.buf) < 0 ||
             make_cert(ctx, dir, "client", cli.buf) < 0 ? -1 : 0;
    strbuf_release(&ca);
    strbuf_release(&srv);
    strbuf_release(&cli);
    return rc;
}

/* The listed credentials from dir into k->dir on host h (emptied first). */
static int install(struct run_ctx *ctx, struct virt_hostops *ops, int h, const char *dir,
                   const char *list, const struct run_tls_pki *k)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link || (!k->keep_dir && virt_hostop_dir_replace(ops, link, k->dir) < 0))
        return -1;
    for (const char *p = list; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        int c = n ? tls_cred(p, n) : -1;
        p += n;
        if (c < 0)
            continue;
        char *local = xasprintf("%s/%s", dir, tls_creds[c].file);
        char *remote = xasprintf("%s/%s", k->dir, tls_creds[c].file);
        int rc = virt_host_put(link, local, remote, tls_creds[c].mode);
        free(local);
        free(remote);
        if (rc < 0)
            return -1;
    }
    run_log(ctx, "%s on %s: %s", k->dir, ctx->hosts[h].name, list);
    return 0;
}

int run_tls_pki_setup(struct run_ctx *ctx, struct virt_hostops *ops, const struct run_tls_pki *k)
{
    char dir[] = "/tmp/vtrun-pki-XXXXXX";
    int rc = -1;
    if (!k->dir || k->dir[0] != '/')
        return run_error(ctx, "ConfigError", "custom_pki_path = '%s': expected the absolute "
                         "directory QEMU reads its TLS credentials from",
                         k->dir ? k->dir : "");
    if (!mkdtemp(dir))
        return run_error(ctx, "TestSetupError", "a directory for the certificates: %s",
                         strerror(errno));
    run_log(ctx, "TLS: CA '%s', server certificate CN '%s'%s%s, client certificate CN '%s'",
            k->ca_cn, k->server_cn, k->set_ip_addr && k->server_ip ? " IP " : "",
            k->set_ip_addr && k->server_ip ? k->server_ip : "", k->client_cn);
    if (make_pki(ctx, dir, k) < 0 || install(ctx, ops, 1, dir, k->scp_server, k) < 0 ||
        install(ctx, ops, 0, dir, k->scp_client, k) < 0)
        rc = run_error(ctx, "TestSetupError", "TLS certificates: %s", err_msg());
    else
        rc = 0;
    for (size_t i = 0; i < ARRAY_SIZE(tls_creds); i++) {
        char *f = xasprintf("%s/%s", dir, tls_creds[i].file);
        unlink(f);
        free(f);
    }
    rmdir(dir);
    return rc;
}

/* ---- configuration and restarts --------------------------------------------------- */

int run_tls_qemu_conf(struct run_ctx *ctx, struct virt_hostops *ops, int h, const char *key,
                      const char *value)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link || virt_hostop_conf_set(ops, link, DAEMON, QEMU_CONF, key, value) < 0)
        return run_error(ctx, "TestSetupError", "qemu.conf on %s: %s", ctx->hosts[h].name,
                         err_msg());
    run_log(ctx, "qemu.conf on %s: %s%s%s", ctx->hosts[h].name, key, value ? " = " : " removed",
            value ? value : "");
    return 0;
}

/* One pair of a conf dict: key and value (the replacement line split at '='). */
static int conf_pair(const struct pylit *k, const struct pylit *v, bool regex_form,
                     char **key, char **value)
{
    if (k->kind != PYLIT_STR || (v->kind != PYLIT_STR && v->kind != PYLIT_INT)) {
        err_set("expected string keys and string values");
        return -1;
    }
    char *text = v->kind == PYLIT_INT ? xasprintf("%lld", v->i) : xstrdup(v->s);
    if (!regex_form) {
        *key = xstrdup(k->s);
        *value = text;
    } else {
        char *eq = strchr(text, '=');
        if (!eq) {
            err_set("'%s': expected a line 'key=value'", text);
            free(text);
            return -1;
        }
        const char *ks = text + strspn(text, " \t");
        size_t kn = (size_t)(eq - ks);
        while (kn && strchr(" \t", ks[kn - 1]))
            kn--;
        const char *vs = eq + 1 + strspn(eq + 1, " \t");
        *key = xstrndup(ks, kn);
        *value = xstrdup(vs);
        free(text);
    }
    for (const char *p = *key; *p; p++)
        if (!(p[0] == '_' || (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= '0' && p[0] <= '9'))) {
            err_set("'%s' is not a qemu.conf key", *key);
            free(*key);
            free(*value);
            return -1;
        }
    return **key ? 0 : (free(*key), free(*value), err_set("an empty key"), -1);
}

/* Each pair of text: fn(key, value); without fn only checked. */
static int conf_dict_each(const char *text, bool regex_form,
                          int (*fn)(void *ud, const char *key, const char *value), void *ud)
{
    struct pylit d;
    int rc = 0;
    if (pylit_parse(text, &d) < 0)
        return -1;
    if (d.kind != PYLIT_DICT) {
        err_set("expected a dict, not a %s", pylit_kind_name(d.kind));
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < d.n; i++) {
        char *key, *value;
        if (conf_pair(&d.items[2 * i], &d.items[2 * i + 1], regex_form, &key, &value) < 0) {
            rc = -1;
            break;
        }
        if (fn)
            rc = fn(ud, key, value);
        free(key);
        free(value);
    }
    pylit_release(&d);
    return rc;
}

int run_tls_conf_dict_check(const char *text, bool regex_form)
{
    return conf_dict_each(text, regex_form, NULL, NULL);
}

struct conf_ud {
    struct run_ctx *ctx;
    struct virt_hostops *ops;
    int h;
};

static int conf_one(void *ud, const char *key, const char *value)
{
    struct conf_ud *u = ud;
    return run_tls_qemu_conf(u->ctx, u->ops, u->h, key, value);
}

int run_tls_qemu_conf_dict(struct run_ctx *ctx, struct virt_hostops *ops, int h,
                           const char *text, bool regex_form)
{
    struct conf_ud u = { ctx, ops, h };
    if (run_tls_conf_dict_check(text, regex_form) < 0)
        return run_error(ctx, "ConfigError", "'%s': %s", text, err_msg());
    return conf_dict_each(text, regex_form, conf_one, &u);
}

static bool conf_key_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!(*k == '_' || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9')))
            return false;
    return true;
}

int run_tls_key_list_check(const char *text)
{
    struct pylit l;
    int rc = 0;
    if (pylit_parse(text, &l) < 0)
        return -1;
    if (l.kind != PYLIT_LIST)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if (l.items[i].kind != PYLIT_STR || !conf_key_ok(l.items[i].s))
            rc = -1;
    if (rc < 0)
        err_set("'%s': expected a list of qemu.conf keys", text);
    pylit_release(&l);
    return rc;
}

int run_tls_qemu_conf_keys_unset(struct run_ctx *ctx, struct virt_hostops *ops, int h,
                                 const char *text)
{
    struct pylit l;
    int rc = 0;
    if (run_tls_key_list_check(text) < 0 || pylit_parse(text, &l) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        rc = run_tls_qemu_conf(ctx, ops, h, l.items[i].s, NULL);
    pylit_release(&l);
    return rc;
}

int run_tls_restart(struct run_ctx *ctx, struct virt_hostops *ops, struct virt_vms *vms, int h)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!link || virt_hostop_daemon(ops, link, DAEMON, VIRT_DAEMON_RESTART, NULL) < 0)
        return run_error(ctx, "TestSetupError", "restart libvirtd on %s: %s",
                         ctx->hosts[h].name, err_msg());
    virt_vms_reconnect(vms, h);
    run_log(ctx, "libvirtd restarted on %s", ctx->hosts[h].name);
    return 0;
}

/* ---- the daemon's log ------------------------------------------------------------- */

static const char *log_file(const struct params *p)
{
    const char *f = params_get(p, "libvirtd_debug_file");
    /* avocado-vt's default is a file in the test's directory; here the daemon's own */
    return f && *f ? f : "/var/log/libvirt/libvirtd.log";
}

int run_tls_debug_log(struct run_ctx *ctx, struct virt_hostops *ops, struct virt_vms *vms,
                      int h, struct virt_log_mark *m)
{
    const struct params *p = ctx->params;
    const char *level = params_get_or(p, "libvirtd_debug_level", "1");
    const char *filters = params_get_or(p, "libvirtd_debug_filters", "1:*");
    struct virt_host *link = run_host_link(ctx, h);
    if (strspn(level, "1234") != 1 || level[1] || strpbrk(filters, "\"\n\\")) {
        return run_error(ctx, "ConfigError", "libvirtd_debug_level = '%s', "
                         "libvirtd_debug_filters = '%s': expected 1-4 and a filter list",
                         level, filters);
    }
    char *f = xasprintf("\"%s\"", filters);
    char *o = xasprintf("\"%s:file:%s\"", level, log_file(p));
    int rc = !link || virt_hostop_conf_set(ops, link, DAEMON, LIBVIRTD_CONF, "log_filters", f) < 0 ||
             virt_hostop_conf_set(ops, link, DAEMON, LIBVIRTD_CONF, "log_outputs", o) < 0 ? -1 : 0;
    free(f);
    free(o);
    if (rc < 0)
        return run_error(ctx, "TestSetupError", "libvirtd.conf on %s: %s", ctx->hosts[h].name,
                         err_msg());
    if (run_tls_restart(ctx, ops, vms, h) < 0)
        return -1;
    if (virt_hostop_log_mark(link, log_file(p), m) < 0)
        return run_error(ctx, "TestSetupError", "%s on %s: %s", log_file(p),
                         ctx->hosts[h].name, err_msg());
    return 0;
}

int run_tls_regex_list_check(const char *what, const char *text)
{
    struct pylit l;
    int rc = 0;
    if (!text || !*text)
        return 0;
    if (pylit_parse(text, &l) < 0) {
        err_prefix("%s", what);
        return -1;
    }
    if (l.kind != PYLIT_LIST)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        int ec;
        PCRE2_SIZE off;
        pcre2_code *re = l.items[i].kind == PYLIT_STR ?
            pcre2_compile((PCRE2_SPTR)l.items[i].s, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL) : NULL;
        rc = re ? 0 : -1;
        pcre2_code_free(re);
    }
    if (rc < 0)
        err_set("%s = '%s': expected a list of regular expressions", what, text);
    pylit_release(&l);
    return rc;
}

/* Whether regex re matches somewhere in text (lines: grep -E's view). */
static bool found(const char *re, const char *text)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE,
                                     &ec, &off, NULL);
    if (!code)
        return false;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    bool hit = pcre2_match(code, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL) >= 0;
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return hit;
}

int run_tls_log_check(struct run_ctx *ctx, int h, const char *side,
                      const struct virt_log_mark *m)
{
    static const struct {
        const char *fmt;
        bool present;
    } lists[] = { { "check_str_%s_log", true }, { "check_no_str_%s_log", false } };
    struct strbuf log = STRBUF_INIT;
    struct virt_host *link = run_host_link(ctx, h);
    int rc = 0;
    if (!link || virt_hostop_log_read(link, m, &log) < 0) {
        rc = run_error(ctx, "TestSetupError", "the daemon log of %s: %s", ctx->hosts[h].name,
                       err_msg());
        goto out;
    }
    for (size_t k = 0; rc == 0 && k < ARRAY_SIZE(lists); k++) {
        char key[64];
        snprintf(key, sizeof(key), lists[k].fmt, side);
        const char *text = params_get(ctx->params, key);
        struct pylit l;
        if (!text || !*text)
            continue;
        if (pylit_parse(text, &l) < 0) {
            rc = run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
            break;
        }
        for (size_t i = 0; rc == 0 && i < l.n; i++) {
            const char *re = l.items[i].kind == PYLIT_STR ? l.items[i].s : "";
            if (found(re, log.buf) != lists[k].present)
                rc = run_fail(ctx, "LogCheck", "%s '%s' in the daemon log of %s (%s)",
                              lists[k].present ? "Failed to find expected string" :
                              "Found unexpected string", re, ctx->hosts[h].name, m->path);
            else
                run_log(ctx, "daemon log of %s: '%s' %s", ctx->hosts[h].name, re,
                        lists[k].present ? "found" : "absent, as expected");
        }
        pylit_release(&l);
    }
out:
    strbuf_release(&log);
    return rc;
}
