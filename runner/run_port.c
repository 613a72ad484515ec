/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_port: the params a case runs with, from the settings and the case -- defaults,
 * the case, the override, --set -- and its placeholders filled from the settings'
 * hosts (runner/run_port.h says the rules).  Tables: the placeholders tp-libvirt and
 * avocado-vt write for "your" hosts, and the login params of those hosts.
 */
#include "runner/run_port.h"
#include "runner/run_settings.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The source is the settings' first host, the destination the second. */
enum port_role { SRC, DST, NROLES };

/* What a placeholder stands for, of its host. */
enum port_fact { F_ADDRESS, F_ADDRESS6, F_HOSTNAME, F_PASSWORD, F_USER, NFACTS };

static const char *const role_names[NROLES] = { "source", "destination" };
static const char *const fact_names[NFACTS] = {
    [F_ADDRESS] = "address", [F_ADDRESS6] = "IPv6 address",
    [F_HOSTNAME] = "hostname (TLS CN)", [F_PASSWORD] = "password", [F_USER] = "user",
};
/* Where the settings say it (the CANCEL of an unfilled one names it). */
static const char *const fact_keys[NFACTS] = {
    [F_ADDRESS] = "address (or a host in its URIs)", [F_ADDRESS6] = "address6",
    [F_HOSTNAME] = "hostname", [F_PASSWORD] = "ssh_password or ssh_password_file",
    [F_USER] = "ssh_user",
};

/*
 * The placeholders of avocado-vt's base.cfg and tp-libvirt's migration configs (a
 * survey of the libvirt migration composition, every value holding EXAMPLE or
 * ENTER.YOUR), with the host and fact each stands for.  The CNs are the hosts'
 * certificate names, which are their hostnames; "TRAGET" is upstream's spelling.
 * Others (EXAMPLE_MON_HOST, /dev/EXAMPLE, interface names) name nothing a settings
 * host says: they stay, and a type that reads one CANCELs.
 */
static const struct token {
    const char *text;
    enum port_role role;
    enum port_fact fact;
} tokens[] = {
    { "ENTER.YOUR.DEST.EXAMPLE.COM",             DST, F_ADDRESS },
    { "ENTER.YOUR.REMOTE.EXAMPLE.COM",           DST, F_ADDRESS },
    { "ENTER.YOUR.REMOTE.IP",                    DST, F_ADDRESS },
    { "ENTER.YOUR.SOURCE.EXAMPLE.COM",           SRC, F_ADDRESS },
    { "ENTER.YOUR.LOCAL.EXAMPLE.COM",            SRC, F_ADDRESS },
    { "ENTER.YOUR.IPv6.DESTINATION",             DST, F_ADDRESS6 },
    { "ENTER.YOUR.IPv6.TARGET",                  DST, F_ADDRESS6 },
    { "ENTER.YOUR.IPv6.TRAGET",                  DST, F_ADDRESS6 },
    { "ENTER.YOUR.IPv6.SOURCE",                  SRC, F_ADDRESS6 },
    { "ENTER.YOUR.MIGRATE_DEST_CN.EXAMPLE.COM",  DST, F_HOSTNAME },
    { "ENTER.YOUR.EXAMPLE.SERVER_CN",            DST, F_HOSTNAME },
    { "ENTER.YOUR.SERVER_CN",                    DST, F_HOSTNAME },
    { "ENTER.YOUR.MIGRATE_SOURCE_CN.EXAMPLE.COM", SRC, F_HOSTNAME },
    { "ENTER.YOUR.EXAMPLE.CLIENT_CN",            SRC, F_HOSTNAME },
    { "ENTER.YOUR.CLIENT_CN",                    SRC, F_HOSTNAME },
    { "ENTER.DEST.HOSTNAME",                     DST, F_HOSTNAME },
    { "PASSWORD.DEST.EXAMPLE",                   DST, F_PASSWORD },
    { "PASSWORD.SOURCE.EXAMPLE",                 SRC, F_PASSWORD },
};

/*
 * The params naming how to log in to the hosts (avocado-vt's remote_*, server_*,
 * client_*, migrate_*_pwd).  A user takes the host's ssh_user when the settings give
 * one; a password the host's when the case leaves it empty (a placeholder is a token
 * above).  Only keys the case has are touched.
 */
static const struct login {
    const char *param;
    enum port_role role;
    enum port_fact fact;
} logins[] = {
    { "server_user", DST, F_USER },        { "remote_user", DST, F_USER },
    { "host_user", DST, F_USER },          { "migrate_dest_user", DST, F_USER },
    { "client_user", SRC, F_USER },        { "local_user", SRC, F_USER },
    { "migrate_source_user", SRC, F_USER },
    { "server_pwd", DST, F_PASSWORD },     { "remote_pwd", DST, F_PASSWORD },
    { "host_password", DST, F_PASSWORD },  { "migrate_dest_pwd", DST, F_PASSWORD },
    { "client_pwd", SRC, F_PASSWORD },     { "local_pwd", SRC, F_PASSWORD },
    { "migrate_source_pwd", SRC, F_PASSWORD },
};

struct port_host {
    const struct run_host *h;       /* NULL: the settings have no such host */
    char *fact[NFACTS];             /* NULL: unknown */
};

struct run_port {
    const struct run_settings *set;
    struct port_host host[NROLES];
    char **set_keys;                /* keys --set statements assign */
};

/* ---- facts of a host ------------------------------------------------------------------ */

/* The parts of a URI "scheme://[user@]host[:port]/path[?query]"; false when uri has
 * no "://".  IPv6 hosts keep their brackets.  Fields point into a copy the caller
 * frees (*buf). */
struct uri_parts {
    const char *scheme, *user, *host, *port, *path, *query;
};

static bool uri_split(const char *uri, char **buf, struct uri_parts *u)
{
    const char *sep = uri ? strstr(uri, "://") : NULL;
    memset(u, 0, sizeof(*u));
    *buf = NULL;
    if (!sep)
        return false;
    char *b = *buf = xstrdup(uri);
    char *auth = b + (sep - uri) + 3;
    b[sep - uri] = '\0';
    u->scheme = b;
    char *q = strchr(auth, '?');
    if (q) {
        *q = '\0';
        u->query = q + 1;
    }
    char *slash = strchr(auth, '/');
    if (slash) {
        u->path = xstrdup(slash);           /* kept apart: the '/' ends the host */
        *slash = '\0';
    }
    char *at = strrchr(auth, '@');
    if (at) {
        *at = '\0';
        u->user = auth;
        auth = at + 1;
    }
    char *colon = *auth == '[' ? strchr(auth, ']') : auth;
    colon = colon ? strrchr(colon, ':') : NULL;
    if (colon) {
        *colon = '\0';
        u->port = colon + 1;
    }
    u->host = auth;
    return true;
}

static void uri_parts_free(char *buf, struct uri_parts *u)
{
    free((char *)u->path);
    free(buf);
}

/* The host part of uri ("" and NULL: none), as a new string or NULL. */
static char *uri_host(const char *uri, char **user)
{
    char *buf;
    struct uri_parts u;
    char *h = NULL;
    if (uri_split(uri, &buf, &u) && u.host && *u.host) {
        h = xstrdup(u.host);
        if (user && u.user && *u.user && !*user)
            *user = xstrdup(u.user);
    }
    uri_parts_free(buf, &u);
    return h;
}

static bool is_ip_literal(const char *h)
{
    return h[0] == '[' || strspn(h, "0123456789.") == strlen(h);
}

/* The first line of a file, or NULL. */
static char *first_line(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t n = 0;
    if (!f)
        return NULL;
    if (getline(&line, &n, f) < 0) {
        free(line);
        line = NULL;
    } else {
        line[strcspn(line, "\r\n")] = '\0';
    }
    fclose(f);
    return line;
}

/* What the settings say of host h, or derive from its URIs: the address other
 * machines reach it at (the migration channel's host, else its URIs'), its hostname
 * (the URIs' when a name, else its settings name), its login. */
static void host_facts(struct port_host *ph, const struct run_host *h)
{
    const char *uris[] = { h->migrate_uri, h->migrate_desturi, h->uri };
    char *user = h->ssh_user ? xstrdup(h->ssh_user) : NULL;
    ph->h = h;
    ph->fact[F_ADDRESS] = h->address ? xstrdup(h->address) : NULL;
    ph->fact[F_ADDRESS6] = h->address6 ? xstrdup(h->address6) : NULL;
    ph->fact[F_HOSTNAME] = h->hostname ? xstrdup(h->hostname) : NULL;
    for (size_t i = 0; i < ARRAY_SIZE(uris); i++) {
        char *host = uri_host(uris[i], &user);
        if (!host)
            continue;
        if (!ph->fact[F_ADDRESS])
            ph->fact[F_ADDRESS] = xstrdup(host);
        if (!ph->fact[F_HOSTNAME] && !is_ip_literal(host))
            ph->fact[F_HOSTNAME] = xstrdup(host);
        free(host);
    }
    if (!ph->fact[F_HOSTNAME])
        ph->fact[F_HOSTNAME] = xstrdup(h->name);
    ph->fact[F_USER] = user;
    if (h->ssh_password)
        ph->fact[F_PASSWORD] = xstrdup(h->ssh_password);
    else if (h->ssh_password_file)
        ph->fact[F_PASSWORD] = first_line(h->ssh_password_file);
}

/* ---- --set statements --------------------------------------------------------------- */

static char *trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

char *run_port_stmt_key(const char *stmt)
{
    const char *s = stmt + strspn(stmt, " \t");
    if (!strncmp(s, "del ", 4) || !strncmp(s, "del\t", 4))
        return trimmed(s + 4, strcspn(s + 4, "\n"));
    if (!strncmp(s, "only ", 5) || !strncmp(s, "no ", 3) || !strncmp(s, "include ", 8)
        || !strncmp(s, "variants", 8))
        return NULL;
    /* NAME OP VALUE, OP one of = += <= ?= ?+= ?<= ~=; a filter "a.b: " may lead */
    const char *eq = strchr(s, '=');
    if (!eq || memchr(s, '\n', (size_t)(eq - s)))
        return NULL;
    const char *end = eq;
    while (end > s && strchr("+<?~", end[-1]))
        end--;
    const char *colon = memchr(s, ':', (size_t)(end - s));
    for (const char *c = colon; c && c < end; c = memchr(c + 1, ':', (size_t)(end - c - 1)))
        colon = c;
    const char *k = colon ? colon + 1 : s;
    char *key = trimmed(k, (size_t)(end - k));
    if (!*key || strpbrk(key, " \t()")) {
        free(key);
        return NULL;
    }
    return key;
}

/* ---- the port --------------------------------------------------------------------- */

struct run_port *run_port_new(const struct run_settings *s, char *const *stmts, size_t n)
{
    struct run_port *port = xcalloc(1, sizeof(*port));
    port->set = s;
    for (int r = 0; r < NROLES; r++)
        if ((size_t)r < s->nhosts)
            host_facts(&port->host[r], &s->hosts[r]);
    port->set_keys = xcalloc(n + 1, sizeof(*port->set_keys));
    for (size_t i = 0, k = 0; i < n; i++) {
        char *key = run_port_stmt_key(stmts[i]);
        if (key)
            port->set_keys[k++] = key;
    }
    return port;
}

void run_port_free(struct run_port *port)
{
    if (!port)
        return;
    for (int r = 0; r < NROLES; r++)
        for (int f = 0; f < NFACTS; f++)
            free(port->host[r].fact[f]);
    params_strv_free(port->set_keys);
    free(port);
}

static bool in_list(char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (!strcmp(*v, s))
            return true;
    return false;
}

char *run_port_placeholder(const char *value)
{
    static const char *const marks[] = { "ENTER.YOUR", "EXAMPLE" };
    const char *hit = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
        const char *h = value ? strstr(value, marks[i]) : NULL;
        if (h && (!hit || h < hit))
            hit = h;
    }
    if (!hit)
        return NULL;
    const char *a = hit, *b = hit;
#define TOKEN_CHAR(c) (isalnum((unsigned char)(c)) || (c) == '.' || (c) == '_' || (c) == '-')
    while (a > value && TOKEN_CHAR(a[-1]))
        a--;
    while (TOKEN_CHAR(*b))
        b++;
#undef TOKEN_CHAR
    return xstrndup(a, (size_t)(b - a));
}

char *run_port_placeholder_source(const char *placeholder)
{
    for (size_t i = 0; i < ARRAY_SIZE(tokens); i++) {
        const struct token *t = &tokens[i];
        if (!strcmp(t->text, placeholder))
            return xasprintf("the %s host's %s (hosts[%d]: %s)", role_names[t->role],
                             fact_names[t->fact], (int)t->role, fact_keys[t->fact]);
    }
    return NULL;
}

/* The settings' URI of host r for uri's transport, when uri is that transport to
 * host r's placeholder with nothing the case chose itself (a port, a user, options)
 * and the same path: the settings know how to reach the host that way.  NULL else. */
static const char *host_uri_for(const struct run_port *port, const char *uri, const char *token,
                                enum port_role r)
{
    const struct run_host *h = port->host[r].h;
    char *buf;
    struct uri_parts u;
    const char *found = NULL;
    bool is_uri = uri_split(uri, &buf, &u);
    if (!h || !is_uri || !u.host || strcmp(u.host, token) || u.port || u.user || u.query) {
        uri_parts_free(buf, &u);
        return NULL;
    }
    const char *mine[] = { h->uri, h->migrate_desturi };
    for (size_t i = 0; i < ARRAY_SIZE(mine) && !found; i++) {
        char *hb;
        struct uri_parts hu;
        if (uri_split(mine[i], &hb, &hu) && hu.host && *hu.host
            && !strcmp(hu.scheme, u.scheme) && !strcmp(hu.path ? hu.path : "/",
                                                       u.path ? u.path : "/"))
            found = mine[i];
        uri_parts_free(hb, &hu);
    }
    uri_parts_free(buf, &u);
    return found;
}

/* value with every placeholder the hosts can fill replaced; NULL when none is. */
static char *fill_value(const struct run_port *port, const char *value)
{
    struct strbuf sb = STRBUF_INIT;
    bool changed = false;
    const char *p = value;
    while (*p) {
        size_t i;
        for (i = 0; i < ARRAY_SIZE(tokens); i++)
            if (!strncmp(p, tokens[i].text, strlen(tokens[i].text)))
                break;
        const char *with = NULL;
        if (i < ARRAY_SIZE(tokens)) {
            const struct token *t = &tokens[i];
            if (t->fact == F_ADDRESS || t->fact == F_HOSTNAME)
                with = host_uri_for(port, value, t->text, t->role);
            if (with) {
                strbuf_reset(&sb);
                strbuf_addstr(&sb, with);
                changed = true;
                break;
            }
            with = port->host[t->role].fact[t->fact];
        }
        if (with) {
            strbuf_addstr(&sb, with);
            p += strlen(tokens[i].text);
            changed = true;
        } else {
            strbuf_addch(&sb, *p++);
        }
    }
    if (!changed) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\n")] == '\0';
}

/* The override's keys over p, but for those a --set assigns.  Only the keys it names:
 * a case's per-object forms (image_name_vm2 -- a clone's name under
 * master_images_clone --, netdst_nic1, image_name_stg1) are the case's to keep. */
static void apply_override(const struct run_port *port, struct params *p)
{
    const struct params *o = port->set->override;
    for (size_t i = 0; i < params_count(o); i++) {
        const char *k = params_key_at(o, i);
        if (!in_list(port->set_keys, k))
            params_set(p, k, params_value_at(o, i));
    }
}

static void fill_logins(const struct run_port *port, struct params *p)
{
    for (size_t i = 0; i < ARRAY_SIZE(logins); i++) {
        const struct login *l = &logins[i];
        const char *v = params_get(p, l->param);
        const char *with = port->host[l->role].fact[l->fact];
        if (!v || !with || in_list(port->set_keys, l->param))
            continue;
        if (l->fact == F_USER || blank(v))
            params_set(p, l->param, with);
    }
}

struct params *run_port_params(const struct run_port *port, const struct params *cp)
{
    const struct run_settings *s = port->set;
    struct params *p = params_dup(s->params);
    /* the settings' images_base_dir is where relative image names live (avocado-vt's
     * data dir), unless the params name one */
    if (run_settings_is_set(s, "images_base_dir") && !params_has(p, "images_base_dir"))
        params_set(p, "images_base_dir", s->images_base_dir);
    for (size_t i = 0; i < params_count(cp); i++) {
        const char *k = params_key_at(cp, i), *v = params_value_at(cp, i);
        /* a placeholder is no value: the settings' default fills it */
        if (params_has(s->params, k) && (strstr(v, "EXAMPLE") || strstr(v, "ENTER.YOUR")))
            continue;
        params_set(p, k, v);
    }
    apply_override(port, p);
    for (size_t i = 0; i < params_count(p); i++) {
        const char *v = params_value_at(p, i);
        if (!strstr(v, "EXAMPLE") && !strstr(v, "ENTER.YOUR"))
            continue;
        char *filled = fill_value(port, v);
        if (filled)
            params_set(p, params_key_at(p, i), filled);
        free(filled);
    }
    fill_logins(port, p);
    return p;
}
