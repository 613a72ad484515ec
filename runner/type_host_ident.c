/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types `migration_with_host_uuid`, `migration_with_host_hostname` and
 * `migrate_with_various_hostname`: tp-libvirt's
 * libvirt/tests/src/migration/migration_misc/migration_with_host_uuid.py,
 * .../migration_misc/migration_with_host_hostname.py and
 * libvirt/tests/src/migration/migrate_with_various_hostname.py, on the timeline engine
 * (runner/run_tl.h) with base_steps' shared steps (runner/run_base.h).
 *
 *  - host_uuid: libvirtd_conf's {key: value} pairs (customize_libvirt_config,
 *    remote_host=True) set in both hosts' libvirtd.conf, both daemons restarted; the
 *    migration must be refused ("Attempt to migrate guest to the same host");
 *  - hostname: both hosts' hostname set (src_hostname, dest_hostname or dst_hostname)
 *    and both daemons restarted, then a migration that must fail with err_msg, then
 *    again with virsh_migrate_extra_mig_again (--migrateuri to the destination's
 *    address), which must succeed; verify_default after it.
 *
 * Every change is undone on every path: the old hostnames put back (and registered as
 * leftovers until they are), libvirtd.conf restored by virt_hostops, both daemons
 * restarted.  The lab's hosts each have their own UTS namespace: vtrun never changes
 * the hostname of the machine it runs on (a host whose link is local is refused).
 *
 * What differs from the reference: the hostname is the kernel's (`hostname NAME`, what
 * libvirtd's gethostname() reads), not hostnamectl's static name as well (the lab's
 * hosts run no systemd-hostnamed); NetworkManager, which the reference stops, does not
 * run on the lab's hosts.  A case whose expected error is 'Name or service not known'
 * needs a DNS resolver that says so (dns): without one the source's QEMU reports
 * 'Temporary failure in name resolution' for the unresolvable name.
 */
#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define LIBVIRTD_CONF "/etc/libvirt/libvirtd.conf"

struct hi_opts {
    struct run_base_mig mig;
    bool status_error, again, again_status_error;
    const char *err_msg, *libvirtd_conf;
    const char *src_name, *dest_name, *dst_name;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct hi_opts, __VA_ARGS__)
static const struct run_param hi_params[] = {
    RUN_BASE_MIG_ROWS(struct hi_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_again", AT(BOOL, again), .def = "no",
      .doc = "migrate a second time (virsh_migrate_extra_mig_again)" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "libvirtd_conf", AT(STR, libvirtd_conf),
      .doc = "{key: value} set in both hosts' libvirtd.conf (value as the file writes it)" },
    { "src_hostname", AT(STR, src_name), .doc = "the source's hostname during the test" },
    { "dest_hostname", AT(STR, dest_name),
      .doc = "the destination's hostname during the test" },
    { "dst_hostname", AT(STR, dst_name),
      .doc = "migrate_with_various_hostname's name of dest_hostname" },
    RUN_BASE_POST_ROWS(struct hi_opts),
    { NULL },
};
#undef AT

/* --- needs ------------------------------------------------------------------------ */

static bool hi_nxdomain(const struct params *p)
{
    const char *e = params_get(p, "err_msg");
    return e && strstr(e, "Name or service not known");
}

static const struct run_need hi_needs[] = {
    { "dns", .applies = hi_nxdomain, .capability = "dns",
      .text = "a DNS resolver answering that a name does not exist ('Name or service not "
              "known', the error the case expects for the host's new name; without one "
              "getaddrinfo says 'Temporary failure in name resolution')" },
    { NULL },
};

static bool hi_actions_unbuilt(const struct params *p)
{
    return run_base_actions_unbuilt(p);
}

static int hi_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict(params_get_or(p, "type", "?"), NULL, NULL, p);
}

static const struct run_need hi_needs_last[] = {
    { "not built", .applies = hi_actions_unbuilt, .met = hi_unbuilt_met,
      .met_doc = "an action vtrun does not build yet (ERROR)",
      .text = "an action of the reference vtrun does not build yet" },
    { NULL },
};

/* --- checks ----------------------------------------------------------------------- */

/* A hostname `hostname NAME` takes: letters, digits, '.', '-', not leading '-'. */
static bool hi_name_ok(const char *s)
{
    if (!s || !*s || *s == '-' || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
            return false;
    return true;
}

/* libvirtd.conf's keys: a word; values as the file writes them, one line. */
static bool hi_conf_pair_ok(const char *k, const char *v)
{
    if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(k))
        return false;
    return !strpbrk(v, "\n\r");
}

/* Each pair of libvirtd_conf to fn (NULL: only checked).  0, or -1 with err. */
typedef int (*hi_pair_fn)(void *arg, const char *key, const char *value);
static int hi_conf_each(const char *text, hi_pair_fn fn, void *arg)
{
    struct pylit d;
    int rc = 0;
    if (pylit_parse(text, &d) < 0) {
        err_prefix("libvirtd_conf");
        return -1;
    }
    if (d.kind != PYLIT_DICT) {
        pylit_release(&d);
        err_set("libvirtd_conf = '%s': expected a dict", text);
        return -1;
    }
    for (size_t k = 0; k < d.n && rc == 0; k++) {
        const struct pylit *key = &d.items[2 * k], *val = &d.items[2 * k + 1];
        if (key->kind != PYLIT_STR || val->kind != PYLIT_STR ||
            !hi_conf_pair_ok(key->s, val->s)) {
            err_set("libvirtd_conf = '%s': expected {'key': 'value'} with word keys", text);
            rc = -1;
        } else if (fn) {
            rc = fn(arg, key->s, val->s);
        }
    }
    pylit_release(&d);
    return rc;
}

static const char *hi_dest_name(const struct hi_opts *o)
{
    return o->dest_name ? o->dest_name : o->dst_name;
}

static int hi_check(const struct run_common *c, void *opts)
{
    struct hi_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (o->libvirtd_conf && *o->libvirtd_conf && hi_conf_each(o->libvirtd_conf, NULL, NULL) < 0)
        return -1;
    const char *names[] = { o->src_name, hi_dest_name(o) };
    for (int h = 0; h < 2; h++)
        if (names[h] && !hi_name_ok(names[h])) {
            err_set("%s = '%s': not a hostname", h ? "dest_hostname" : "src_hostname",
                    names[h]);
            return -1;
        }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

/* --- state, setup, cleanup -------------------------------------------------------- */

struct hi_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct virt_hostops *ops;       /* libvirtd.conf, the daemons' restarts */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
    char *old_name[2];              /* each host's hostname before the test (NULL: kept) */
    unsigned long leftover[2];
};

static int hi_setup(struct run_ctx *ctx)
{
    struct hi_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *tag = xasprintf("hi%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

/* `hostname` of host h into out (trimmed).  0, or -1 with err. */
static int hi_hostname_get(struct virt_host *link, struct strbuf *out)
{
    if (virt_host_run(link, (const char *[]){ "hostname", NULL }, 30, out, NULL, NULL) < 0)
        return -1;
    while (out->len && isspace((unsigned char)out->buf[out->len - 1]))
        strbuf_setlen(out, out->len - 1);
    return 0;
}

static int hi_hostname_set(struct virt_host *link, const char *name)
{
    return virt_host_run(link, (const char *[]){ "hostname", "--", name, NULL }, 30, NULL,
                         NULL, NULL);
}

/* Host h's hostname back, its daemon restarted to read it.  -1 with err. */
static int hi_hostname_restore(struct run_ctx *ctx, struct hi_state *st, int h)
{
    struct virt_host *link = run_host_link(ctx, h);
    if (!st->old_name[h])
        return 0;
    if (!link || hi_hostname_set(link, st->old_name[h]) < 0)
        return -1;
    run_log(ctx, "hostname of %s back to %s", ctx->hosts[h].name, st->old_name[h]);
    virt_leftover_drop(st->leftover[h]);
    free(st->old_name[h]);
    st->old_name[h] = NULL;
    return virt_hostop_daemon(st->ops, link, "libvirtd", VIRT_DAEMON_RESTART, NULL);
}

static void hi_cleanup(struct run_ctx *ctx)
{
    struct hi_state *st = ctx->data;
    if (!st)
        return;
    /* the guests first: a daemon restarted by the restore finds none of them */
    run_vmset_cleanup(ctx, &st->vms);
    for (int h = 0; h < 2; h++)
        if (hi_hostname_restore(ctx, st, h) < 0)
            run_error(ctx, "CleanupError", "restoring the hostname of %s: %s",
                      ctx->hosts[h].name, err_msg());
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    for (int h = 0; h < 2; h++)
        free(st->old_name[h]);
    free(st);
    ctx->data = NULL;
}

/* set_hostname on host h, the old name kept (and registered) for the cleanup first. */
static int hi_hostname(struct run_ctx *ctx, struct hi_state *st, int h, const char *name)
{
    struct virt_host *link = run_host_link(ctx, h);
    struct strbuf old = STRBUF_INIT;
    if (!link)
        return run_error(ctx, "TestSetupError", "%s: %s", ctx->hosts[h].name, err_msg());
    /* the machine vtrun runs on is never renamed: only a host of its own */
    if (virt_host_is_local(link))
        return run_error(ctx, "TestSetupError", "%s is this machine: vtrun does not change "
                         "its hostname", ctx->hosts[h].name);
    if (hi_hostname_get(link, &old) < 0 || !hi_name_ok(old.buf)) {
        int rc = run_error(ctx, "TestSetupError", "hostname of %s: %s", ctx->hosts[h].name,
                           old.len ? old.buf : err_msg());
        strbuf_release(&old);
        return rc;
    }
    char *cmd = xasprintf("hostname %s", old.buf);
    char *how = virt_host_hint(link, cmd);
    char *what = xasprintf("hostname %s on %s (was %s)", name, ctx->hosts[h].name, old.buf);
    st->leftover[h] = virt_leftover_add(what, how);
    st->old_name[h] = strbuf_detach(&old, NULL);
    free(cmd);
    free(how);
    free(what);
    if (hi_hostname_set(link, name) < 0)
        return run_error(ctx, "TestSetupError", "set_hostname on %s: %s", ctx->hosts[h].name,
                         err_msg());
    run_log(ctx, "hostname of %s set to %s (was %s)", ctx->hosts[h].name, name,
            st->old_name[h]);
    return 0;
}

struct hi_conf_arg {
    struct run_ctx *ctx;
    struct hi_state *st;
    int h;
};

static int hi_conf_pair(void *arg, const char *key, const char *value)
{
    struct hi_conf_arg *a = arg;
    struct virt_host *link = run_host_link(a->ctx, a->h);
    if (!link || virt_hostop_conf_set(a->st->ops, link, "libvirtd", LIBVIRTD_CONF, key,
                                      value) < 0)
        return -1;
    run_log(a->ctx, "%s: %s = %s in %s", a->ctx->hosts[a->h].name, key, value, LIBVIRTD_CONF);
    return 0;
}

/* The hosts as the case wants them: libvirtd.conf, hostnames; each changed host's
 * daemon restarted (the reference restarts the source's, then the destination's). */
static int hi_host_setup(struct run_ctx *ctx, const struct hi_opts *o, struct hi_state *st)
{
    const char *names[2] = { o->src_name, hi_dest_name(o) };
    bool conf = o->libvirtd_conf && *o->libvirtd_conf;
    for (int h = 0; h < 2; h++) {
        if (conf) {
            struct hi_conf_arg a = { ctx, st, h };
            if (hi_conf_each(o->libvirtd_conf, hi_conf_pair, &a) < 0)
                return run_error(ctx, "TestSetupError", "libvirtd.conf of %s: %s",
                                 ctx->hosts[h].name, err_msg());
        }
        if (names[h] && hi_hostname(ctx, st, h, names[h]) < 0)
            return -1;
        if ((conf || names[h]) && run_tls_restart(ctx, st->ops, &st->vms, h) < 0)
            return -1;
    }
    return 0;
}

/* run_migration / run_migration_again (run_base_hop) with no data URI but the words':
 * the destination's daemon then names its own hostname, which is what these cases
 * test (the settings' migrate_uri would hide it).  run_tl_hop's returns. */
static int hi_hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, const struct hi_opts *o,
                  bool again)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    const char *key = again ? "action_during_mig_again" : "action_during_mig";
    struct mig_expect e = { .status_error = again ? o->again_status_error : o->status_error,
                            .err_msg = o->err_msg, .cancel_unsupported = true };
    char *words = run_base_words(&o->mig, again);
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (mig_act_parse(params_get(ctx->params, key), &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
        goto out;
    }
    mo.migrate_uri = "";
    struct run_tl_hop h = { .vms = vms, .vm = i, .from = 0, .to = 1, .n = again ? 2 : 1,
                            .expect = &e, .opts = &mo, .acts = &acts };
    rc = run_tl_hop(ctx, &h);
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

static int hi_run(struct run_ctx *ctx)
{
    const struct hi_opts *o = ctx->opts;
    struct hi_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;

    if (hi_host_setup(ctx, o, st) < 0)
        return -1;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    int hop = hi_hop(ctx, vms, i, o, false);
    if (hop < 0)
        return -1;
    if (o->again) {
        /* the reference: the VM started again on the source when it does not run */
        if (hop == 1)
            return run_error(ctx, "TestSetupError", "migrate_again after a migration that "
                             "succeeded is not what these cases do");
        if (run_tl_start_on_source(ctx, vms, i) < 0)
            return -1;
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
            return run_error(ctx, "LoginError", "before the second migration: %s",
                             err_msg());
        hop = hi_hop(ctx, vms, i, o, true);
        if (hop < 0)
            return -1;
    }
    /* verify_default: post_migration_check after a migration that succeeded */
    if (hop == 1)
        return run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                   o->network_check, o->disk_check);
    return 0;
}

#define HI_TYPE(NAME, SUMMARY)                                                            \
    const struct run_type run_type_##NAME = {                                            \
        .name = #NAME,                                                                    \
        .summary = SUMMARY,                                                               \
        .needs = { .vms = 1, .hosts = 2, .rows = hi_needs, .rows_last = hi_needs_last },  \
        .params = hi_params,                                                              \
        .opts_size = sizeof(struct hi_opts),                                              \
        .check = hi_check,                                                                \
        .setup = hi_setup,                                                                \
        .run = hi_run,                                                                    \
        .cleanup = hi_cleanup,                                                            \
    }

HI_TYPE(migration_with_host_uuid,
        "tp-libvirt's migration between hosts given the same host_uuid (libvirtd.conf): "
        "refused as a migration to the same host");
HI_TYPE(migration_with_host_hostname,
        "tp-libvirt's migration with the hosts renamed (localhost, short, FQDN): refused "
        "without --migrateuri, then done with it");
HI_TYPE(migrate_with_various_hostname,
        "tp-libvirt's older migration with the hosts renamed (localhost, short, FQDN): "
        "refused without --migrateuri, then done with it");
