/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner/run_settings.h"
#include "runner/run_needs.h"
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "virt/virt.h"

#include <errno.h>
#include <stdarg.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_STR, K_NUM, K_INT };

/* Values a setting refuses (-1 with err_set(what is expected)): a wrong one is an
 * error FILE:LINE, never a silent default. */
static int check_backend(const void *field)
{
    return virt_backend_check(*(char *const *)field);
}

static int check_timeout(const void *field)
{
    if (*(const double *)field >= 0)
        return 0;
    err_set("expected a number of seconds >= 0 (0: no limit)");
    return -1;
}

static int check_jobs(const void *field)
{
    long n = *(const long *)field;
    if (n >= 1 && n <= 256)
        return 0;
    err_set("expected a number of parallel tests from 1 to 256");
    return -1;
}

static int check_word(const char *v, const char *a, const char *b)
{
    if (!strcmp(v, a) || !strcmp(v, b))
        return 0;
    err_set("expected \"%s\" or \"%s\", not \"%s\"", a, b, v);
    return -1;
}

static int check_junit_flavour(const void *field)
{
    return check_word(*(char *const *)field, "full", "strict");
}

static int check_junit_params(const void *field)
{
    return check_word(*(char *const *)field, "relevant", "all");
}

static int check_version(const void *field)
{
    unsigned long long v;
    return run_version_parse(*(char *const *)field, &v);
}

/* The scalar settings: one row each; src[] follows this order.  A string that may
 * stay unset (NULL) prints as a comment. */
static const struct scalar {
    const char *key;
    enum kind kind;
    size_t off;
    int (*check)(const void *field);    /* may be NULL */
} scalars[] = {
    { "results_dir",     K_STR, offsetof(struct run_settings, results_dir), NULL },
    { "backend",         K_STR, offsetof(struct run_settings, backend), check_backend },
    { "images_base_dir", K_STR, offsetof(struct run_settings, images_base_dir), NULL },
    { "test_timeout",    K_NUM, offsetof(struct run_settings, test_timeout), check_timeout },
    { "jobs",            K_INT, offsetof(struct run_settings, jobs), check_jobs },
    { "junit_flavour",   K_STR, offsetof(struct run_settings, junit_flavour),
      check_junit_flavour },
    { "junit_params",    K_STR, offsetof(struct run_settings, junit_params),
      check_junit_params },
    { "libvirt_version", K_STR, offsetof(struct run_settings, libvirt_version), check_version },
    { "qemu_version",    K_STR, offsetof(struct run_settings, qemu_version), check_version },
    { "arch",            K_STR, offsetof(struct run_settings, arch), NULL },
    { "history",         K_STR, offsetof(struct run_settings, history), NULL },
};
_Static_assert(ARRAY_SIZE(scalars) == ARRAY_SIZE(((struct run_settings *)0)->src),
               "one source slot per scalar setting");

/* The members of a host entry, one row each: load, copy, free and print follow it. */
enum host_kind {
    H_STR,
    H_SECRET,       /* a string `vtrun config` prints as **** */
    H_PORT,         /* int, 1..65535 */
    H_SECONDS,      /* double, > 0 */
};

static int check_known_hosts(const char *v)
{
    enum virt_hostkey k;
    return virt_hostkey_parse(v, &k);
}

static const struct host_key {
    const char *key;
    enum host_kind kind;
    size_t off;
    int (*check)(const char *v);    /* strings: 0 ok, -1 + err */
} host_keys[] = {
    { "name",                 H_STR,     offsetof(struct run_host, name), NULL },
    { "uri",                  H_STR,     offsetof(struct run_host, uri), NULL },
    { "migrate_desturi",      H_STR,     offsetof(struct run_host, migrate_desturi), NULL },
    { "migrate_uri",          H_STR,     offsetof(struct run_host, migrate_uri), NULL },
    { "ssh_user",             H_STR,     offsetof(struct run_host, ssh_user), NULL },
    { "ssh_key",              H_STR,     offsetof(struct run_host, ssh_key), NULL },
    { "ssh_port",             H_PORT,    offsetof(struct run_host, ssh_port), NULL },
    { "ssh_password",         H_SECRET,  offsetof(struct run_host, ssh_password), NULL },
    { "ssh_password_file",    H_STR,     offsetof(struct run_host, ssh_password_file), NULL },
    { "ssh_known_hosts",      H_STR,     offsetof(struct run_host, ssh_known_hosts),
      check_known_hosts },
    { "ssh_known_hosts_file", H_STR,     offsetof(struct run_host, ssh_known_hosts_file), NULL },
    { "ssh_connect_timeout",  H_SECONDS, offsetof(struct run_host, ssh_connect_timeout), NULL },
    { "address",              H_STR,     offsetof(struct run_host, address), NULL },
    { "address6",             H_STR,     offsetof(struct run_host, address6), NULL },
    { "hostname",             H_STR,     offsetof(struct run_host, hostname), NULL },
};

static char **str_at(void *base, size_t off)
{
    return (char **)((char *)base + off);
}

static bool is_str(enum host_kind k)
{
    return k == H_STR || k == H_SECRET;
}

void run_settings_init(struct run_settings *s)
{
    memset(s, 0, sizeof(*s));
    /* avocado's ~/avocado/job-results, not a relative "results": run from the source
     * tree, that would write jobs into its results/ module */
    const char *home = getenv("HOME");
    s->results_dir = home && *home ? xasprintf("%s/vtrun/job-results", home)
                                   : xstrdup("/var/tmp/vtrun/job-results");
    s->backend = xstrdup("libvirt");
    s->images_base_dir = xstrdup("images");
    s->test_timeout = 1800;
    s->jobs = 1;
    s->junit_flavour = xstrdup("full");
    s->junit_params = xstrdup("relevant");
    s->history = xstrdup("");
    s->params = params_new();
    s->override = params_new();
    s->capabilities = params_split(NULL);
    for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
        s->src[i] = xstrdup("default");
    s->hosts_src = xstrdup("default");
    s->params_src = xstrdup("default");
    s->override_src = xstrdup("default");
    s->capabilities_src = xstrdup("default");
}

void run_host_free(struct run_host *h)
{
    for (size_t k = 0; k < ARRAY_SIZE(host_keys); k++)
        if (is_str(host_keys[k].kind))
            free(*str_at(h, host_keys[k].off));
}

void run_host_copy(struct run_host *dst, const struct run_host *src)
{
    *dst = *src;
    for (size_t k = 0; k < ARRAY_SIZE(host_keys); k++) {
        char **f = str_at(dst, host_keys[k].off);
        if (is_str(host_keys[k].kind) && *f)
            *f = xstrdup(*f);
    }
}

static void free_hosts(struct run_settings *s)
{
    for (size_t i = 0; i < s->nhosts; i++)
        run_host_free(&s->hosts[i]);
    free(s->hosts);
    s->hosts = NULL;
    s->nhosts = 0;
}

void run_settings_free(struct run_settings *s)
{
    free(s->results_dir);
    free(s->backend);
    free(s->images_base_dir);
    free(s->junit_flavour);
    free(s->junit_params);
    free(s->libvirt_version);
    free(s->qemu_version);
    free(s->arch);
    free(s->history);
    free_hosts(s);
    params_free(s->params);
    params_free(s->override);
    params_strv_free(s->capabilities);
    for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
        free(s->src[i]);
    free(s->hosts_src);
    free(s->params_src);
    free(s->override_src);
    free(s->capabilities_src);
    memset(s, 0, sizeof(*s));
}

static int bad(const char *path, const config_setting_t *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(const char *path, const config_setting_t *st, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    err_set("%s:%d: %s", path, st ? config_setting_source_line(st) : 0, sb.buf);
    strbuf_release(&sb);
    return -1;
}

static char *where(const char *path, const config_setting_t *st)
{
    return xasprintf("%s:%d", path, config_setting_source_line(st));
}

static int load_scalar(struct run_settings *s, size_t i, const char *path,
                       const config_setting_t *st)
{
    const struct scalar *sc = &scalars[i];
    int type = config_setting_type(st);
    void *field = (char *)s + sc->off;
    switch (sc->kind) {
    case K_STR:
        if (type != CONFIG_TYPE_STRING)
            return bad(path, st, "'%s' must be a string", sc->key);
        free(*(char **)field);
        *(char **)field = xstrdup(config_setting_get_string(st));
        break;
    case K_NUM:
        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
            *(double *)field = (double)config_setting_get_int64(st);
        else if (type == CONFIG_TYPE_FLOAT)
            *(double *)field = config_setting_get_float(st);
        else
            return bad(path, st, "'%s' must be a number", sc->key);
        break;
    case K_INT:
        if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
            return bad(path, st, "'%s' must be an integer", sc->key);
        *(long *)field = (long)config_setting_get_int64(st);
        break;
    }
    if (sc->check && sc->check(field) < 0)
        return bad(path, st, "'%s': %s", sc->key, err_msg());
    free(s->src[i]);
    s->src[i] = where(path, st);
    return 0;
}

static int load_host_key(struct run_host *h, const struct host_key *hk, const char *path,
                         const config_setting_t *st)
{
    int type = config_setting_type(st);
    void *field = (char *)h + hk->off;
    bool is_int = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;

    switch (hk->kind) {
    case H_STR:
    case H_SECRET:
        if (type != CONFIG_TYPE_STRING)
            return bad(path, st, "host key '%s' must be a string", hk->key);
        if (hk->check && hk->check(config_setting_get_string(st)) < 0)
            return bad(path, st, "host key '%s': %s", hk->key, err_msg());
        free(*(char **)field);
        *(char **)field = xstrdup(config_setting_get_string(st));
        break;
    case H_PORT:
        if (!is_int || config_setting_get_int64(st) < 1 || config_setting_get_int64(st) > 65535)
            return bad(path, st, "'%s' must be a port number (1-65535)", hk->key);
        *(int *)field = (int)config_setting_get_int64(st);
        break;
    case H_SECONDS:
        if (is_int)
            *(double *)field = (double)config_setting_get_int64(st);
        else if (type == CONFIG_TYPE_FLOAT)
            *(double *)field = config_setting_get_float(st);
        if ((!is_int && type != CONFIG_TYPE_FLOAT) || *(double *)field <= 0)
            return bad(path, st, "'%s' must be a number of seconds > 0", hk->key);
        break;
    }
    return 0;
}

static int load_host(struct run_host *h, const char *path, const config_setting_t *g)
{
    if (!config_setting_is_group(g))
        return bad(path, g, "each entry of 'hosts' must be a group { name = ...; uri = ...; }");
    h->ssh_port = 22;
    for (int m = 0; m < config_setting_length(g); m++) {
        config_setting_t *st = config_setting_get_elem(g, (unsigned)m);
        const char *key = config_setting_name(st);
        size_t k;
        for (k = 0; k < ARRAY_SIZE(host_keys) && strcmp(host_keys[k].key, key); k++)
            ;
        if (k == ARRAY_SIZE(host_keys)) {
            struct strbuf known = STRBUF_INIT;
            for (size_t i = 0; i < ARRAY_SIZE(host_keys); i++)
                strbuf_addf(&known, "%s%s", i ? ", " : "", host_keys[i].key);
            bad(path, st, "unknown host key '%s' (known: %s)", key, known.buf);
            strbuf_release(&known);
            return -1;
        }
        if (load_host_key(h, &host_keys[k], path, st) < 0)
            return -1;
    }
    if (!h->name || !h->uri)
        return bad(path, g, "a host needs at least 'name' and 'uri'");
    return 0;
}

static int load_hosts(struct run_settings *s, const char *path, const config_setting_t *st)
{
    if (!config_setting_is_list(st) && !config_setting_is_array(st))
        return bad(path, st, "'hosts' must be a list: hosts = ( { ... }, { ... } );");
    size_t n = (size_t)config_setting_length(st);
    struct run_host *hosts = xcalloc(n ? n : 1, sizeof(*hosts));
    for (size_t i = 0; i < n; i++) {
        if (load_host(&hosts[i], path, config_setting_get_elem(st, (unsigned)i)) < 0) {
            for (size_t j = 0; j <= i; j++)
                run_host_free(&hosts[j]);
            free(hosts);
            return -1;
        }
    }
    free_hosts(s);
    s->hosts = hosts;
    s->nhosts = n;
    free(s->hosts_src);
    s->hosts_src = where(path, st);
    return 0;
}

/* `params` or `override`: a group of key = "value" (or an integer) into *into. */
static int load_params(struct params *into, char **src, const char *path,
                       const config_setting_t *st)
{
    const char *what = config_setting_name(st);
    if (!config_setting_is_group(st))
        return bad(path, st, "'%s' must be a group: %s = { key = \"value\"; };", what, what);
    for (int m = 0; m < config_setting_length(st); m++) {
        config_setting_t *p = config_setting_get_elem(st, (unsigned)m);
        char num[64];
        const char *v;
        switch (config_setting_type(p)) {
        case CONFIG_TYPE_STRING:
            v = config_setting_get_string(p);
            break;
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
            snprintf(num, sizeof(num), "%lld", config_setting_get_int64(p));
            v = num;
            break;
        default:
            return bad(path, p, "%s value '%s' must be a string or an integer", what,
                       config_setting_name(p));
        }
        params_set(into, config_setting_name(p), v);
    }
    free(*src);
    *src = where(path, st);
    return 0;
}

/* capabilities = [ "hugepages", ... ]: words a need row is satisfied by. */
static int load_capabilities(struct run_settings *s, const char *path,
                             const config_setting_t *st)
{
    if (!config_setting_is_array(st) && !config_setting_is_list(st))
        return bad(path, st, "'capabilities' must be a list of words: "
                   "capabilities = [ \"hugepages\", \"gluster\" ];");
    size_t n = (size_t)config_setting_length(st);
    char **caps = xcalloc(n + 1, sizeof(*caps));
    for (size_t i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
        const char *w = config_setting_type(e) == CONFIG_TYPE_STRING
                        ? config_setting_get_string(e) : NULL;
        if (!w || !run_needs_capability_known(w)) {
            char *known = run_needs_capability_words();
            bad(path, e, "capabilities: '%s' is not a capability (known: %s)",
                w ? w : "(not a string)", known);
            free(known);
            params_strv_free(caps);
            return -1;
        }
        caps[i] = xstrdup(w);
    }
    params_strv_free(s->capabilities);
    s->capabilities = caps;
    free(s->capabilities_src);
    s->capabilities_src = where(path, st);
    return 0;
}

int run_settings_load(struct run_settings *s, const char *path, int optional)
{
    config_t cf;
    int rc = -1;
    if (access(path, F_OK) != 0) {
        if (optional)
            return 0;
        err_set("%s: cannot read settings: %s", path, strerror(errno));
        return -1;
    }
    config_init(&cf);
    if (!config_read_file(&cf, path)) {
        if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
            err_set("%s: cannot read settings: %s", path, strerror(errno));
        else
            err_set("%s:%d: %s", path, config_error_line(&cf), config_error_text(&cf));
        goto cleanup;
    }
    config_setting_t *root = config_root_setting(&cf);
    for (int m = 0; m < config_setting_length(root); m++) {
        config_setting_t *st = config_setting_get_elem(root, (unsigned)m);
        const char *key = config_setting_name(st);
        size_t i;
        for (i = 0; i < ARRAY_SIZE(scalars) && strcmp(scalars[i].key, key); i++)
            ;
        if (i < ARRAY_SIZE(scalars)) {
            if (load_scalar(s, i, path, st) < 0)
                goto cleanup;
        } else if (!strcmp(key, "hosts")) {
            if (load_hosts(s, path, st) < 0)
                goto cleanup;
        } else if (!strcmp(key, "params")) {
            if (load_params(s->params, &s->params_src, path, st) < 0)
                goto cleanup;
        } else if (!strcmp(key, "override")) {
            if (load_params(s->override, &s->override_src, path, st) < 0)
                goto cleanup;
        } else if (!strcmp(key, "capabilities")) {
            if (load_capabilities(s, path, st) < 0)
                goto cleanup;
        } else {
            struct strbuf known = STRBUF_INIT;
            for (size_t k = 0; k < ARRAY_SIZE(scalars); k++)
                strbuf_addf(&known, "%s, ", scalars[k].key);
            bad(path, st, "unknown setting '%s' (known: %shosts, params, override, "
                "capabilities)", key, known.buf);
            strbuf_release(&known);
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    config_destroy(&cf);
    return rc;
}

int run_settings_load_all(struct run_settings *s, const char *explicit_file)
{
    const char *home = getenv("HOME");
    const char *env = getenv("VTRUN_SETTINGS");
    if (run_settings_load(s, "/etc/vtrun/vtrun.conf", 1) < 0)
        return -1;
    if (home && *home) {
        char *user = xasprintf("%s/.config/vtrun/vtrun.conf", home);
        int rc = run_settings_load(s, user, 1);
        free(user);
        if (rc < 0)
            return -1;
    }
    if (env && *env && run_settings_load(s, env, 0) < 0)
        return -1;
    if (explicit_file && run_settings_load(s, explicit_file, 0) < 0)
        return -1;
    return 0;
}

/* A params group; secret keys (the results' rule) print as ****. */
static void print_group(FILE *out, const char *name, const struct params *p, const char *src)
{
    fprintf(out, "%s = {    # %s\n", name, src);
    for (size_t i = 0; i < params_count(p); i++)
        fprintf(out, "  %s = \"%s\";\n", params_key_at(p, i),
                res_key_is_secret(params_key_at(p, i)) ? "****" : params_value_at(p, i));
    fprintf(out, "};\n");
}

static void print_host_key(const struct run_host *h, const struct host_key *hk, FILE *out)
{
    const void *field = (const char *)h + hk->off;
    switch (hk->kind) {
    case H_STR:
    case H_SECRET:
        if (*(char *const *)field)
            fprintf(out, " %s = \"%s\";", hk->key,
                    hk->kind == H_SECRET ? "****" : *(char *const *)field);
        break;
    case H_PORT:
        fprintf(out, " %s = %d;", hk->key, *(const int *)field);
        break;
    case H_SECONDS:
        if (*(const double *)field > 0)
            fprintf(out, " %s = %g;", hk->key, *(const double *)field);
        break;
    }
}

void run_settings_print(const struct run_settings *s, FILE *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(scalars); i++) {
        const void *field = (const char *)s + scalars[i].off;
        switch (scalars[i].kind) {
        case K_STR:
            if (!*(char *const *)field) {
                fprintf(out, "# %-14s   unset;", scalars[i].key);
                break;
            }
            if (field == &s->history && !run_settings_is_set(s, "history"))
                fprintf(out, "%-16s = \"%s/history.sqlite\";", scalars[i].key,
                        s->results_dir);
            else
                fprintf(out, "%-16s = \"%s\";", scalars[i].key, *(char *const *)field);
            break;
        case K_NUM:
            fprintf(out, "%-16s = %g;", scalars[i].key, *(const double *)field);
            break;
        case K_INT:
            fprintf(out, "%-16s = %ld;", scalars[i].key, *(const long *)field);
            break;
        }
        fprintf(out, "    # %s\n", s->src[i]);
    }
    fprintf(out, "hosts = (    # %s\n", s->hosts_src);
    for (size_t i = 0; i < s->nhosts; i++) {
        const struct run_host *h = &s->hosts[i];
        fprintf(out, "  {");
        for (size_t k = 0; k < ARRAY_SIZE(host_keys); k++)
            print_host_key(h, &host_keys[k], out);
        fprintf(out, " }%s\n", i + 1 < s->nhosts ? "," : "");
    }
    fprintf(out, ");\n");
    print_group(out, "params", s->params, s->params_src);
    print_group(out, "override", s->override, s->override_src);
    fprintf(out, "capabilities = [");
    for (size_t i = 0; s->capabilities[i]; i++)
        fprintf(out, "%s \"%s\"", i ? "," : "", s->capabilities[i]);
    fprintf(out, " ];    # %s\n", s->capabilities_src);
}

bool run_settings_is_set(const struct run_settings *s, const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
        if (!strcmp(scalars[i].key, key))
            return strcmp(s->src[i], "default") != 0;
    return false;
}

char *run_settings_history(const struct run_settings *s)
{
    if (!run_settings_is_set(s, "history"))
        return xasprintf("%s/history.sqlite", s->results_dir);
    return *s->history ? xstrdup(s->history) : NULL;
}
