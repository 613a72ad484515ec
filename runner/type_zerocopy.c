/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_zerocopy`: tp-libvirt's
 * libvirt/tests/src/migration/migration_performance_tuning/migration_zerocopy.py (a
 * MigrationBase case) on the timeline engine (runner/run_tl.h) with base_steps' shared
 * steps (runner/run_base.h).
 *
 * setup_params: before QEMU 10 postcopy and multifd do not mix, so a case with
 * postcopy_options expects the migration to fail ("Postcopy is not yet compatible with
 * multifd"), without its actions and its log check, and the second one too.  The
 * source daemon logs at debug level when check_str_local_log is set (libvirtd.conf,
 * restarted in place, restored after).  test_case with_memtune: `virsh memtune DOM
 * --hard-limit N` on the source; with check_hard_limit the source QEMU's memlock hard
 * limit is read first.  The VM migrates (migrate_speed first) with --zerocopy
 * --parallel ...; action_during_mig's check_qemu_mem_lock_hard_limit reads the source
 * QEMU's limit (hard_limit, else the domain's current memory, in KiB), a domjobabort
 * may abort it.  With migrate_again: the VM running on the source, its memlock hard
 * limit back to what it was (check_hard_limit), a second migration.  verify_default
 * after a migration that succeeded; the log's strings last.
 *
 * setup_connection's transport: transport_type tls makes QEMU's certificates as
 * TLSConnection does into custom_pki_path on both hosts (runner/run_tl_tls.h, undone
 * on every path), unix_proxy the UNIX-socket proxies of --migrateuri unix://...
 * (runner/run_uproxy.h); the combinations QEMU refuses then fail with err_msg and the
 * second migration (--zerocopy --parallel) must succeed.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tl_tls.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* QEMU's first version that runs postcopy over multifd channels */
#define ZC_QEMU_POSTCOPY_MULTIFD 10000000ULL
#define ZC_POSTCOPY_ERR "Postcopy is not yet compatible with multifd"

struct zc_opts {
    struct run_base_mig mig;
    const char *test_case, *memtune;
    bool check_hard_limit;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again, *speed, *speed_again, *str_log;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct zc_opts, __VA_ARGS__)
static const struct run_param zc_params[] = {
    RUN_BASE_MIG_ROWS(struct zc_opts, mig),
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "with_memtune: memtune_options set first; without_memtune" },
    { "memtune_options", AT(STR, memtune),
      .doc = "with_memtune: `virsh memtune DOM` options (--hard-limit N)" },
    { "check_hard_limit", AT(BOOL, check_hard_limit), .def = "no",
      .doc = "the source QEMU's memlock hard limit back to its first value before the "
             "second migration" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { "migrate_speed_again", AT(STR, speed_again),
      .doc = "MiB/s set before the second migration" },
    { "check_str_local_log", AT(STR, str_log),
      .doc = "a list of regexes the source daemon's debug log must show" },
    RUN_BASE_POST_ROWS(struct zc_opts),
    { NULL },
};
#undef AT

static bool zc_unbuilt_applies(const struct params *p)
{
    return run_base_actions_unbuilt(p);
}

static int zc_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("migration_zerocopy", NULL, NULL, p);
}

/* --zerocopy: libvirt raises the QEMU's locked-memory limit to the guest's memory (or
 * hard_limit) first, on the source, whatever else the case expects; hosts where the
 * daemon may not (the lab's: "cannot limit locked memory of process N: Operation not
 * permitted") say so by leaving the capability out. */
static bool zc_zerocopy(const struct params *p)
{
    const char *extra = params_get_or(p, "virsh_migrate_extra", "");
    return !zc_unbuilt_applies(p) && strstr(extra, "--zerocopy");
}

static bool zc_memtune_case(const struct params *p)
{
    const char *tc = params_get_or(p, "test_case", "");
    const char *opts = params_get(p, "memtune_options");
    return !zc_unbuilt_applies(p) && !strcmp(tc, "with_memtune") && opts && *opts;
}

static const struct run_need zc_needs[] = {
    { "memory_cgroup", .applies = zc_memtune_case, .capability = "memory_cgroup",
      .text = "the cgroup memory controller for the source's domains (virsh memtune "
              "--hard-limit)" },
    { "memlock", .applies = zc_zerocopy, .capability = "memlock",
      .text = "hosts whose libvirt daemon may raise a QEMU's locked-memory limit (a "
              "zero-copy migration pins the guest's memory)" },
    { NULL },
};

static const struct run_need zc_needs_last[] = {
    { "not built", .applies = zc_unbuilt_applies, .met = zc_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int zc_check(const struct run_common *c, void *opts)
{
    struct zc_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0 ||
        run_tls_regex_list_check("check_str_local_log", o->str_log) < 0)
        return -1;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct zc_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct virt_hostops *ops;       /* the daemon's log configuration */
    struct virt_ctx vctx;           /* ops' log: the VM set's, kept past its cleanup */
    struct run_uproxy *proxy;       /* setup_connection's unix_proxy */
    /* setup_params' verdicts for the QEMU of the source */
    bool status_error, again_status_error;
    const char *err_msg;
    bool no_actions, no_log;
};

static int zc_setup(struct run_ctx *ctx)
{
    struct zc_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    char *tag = xasprintf("zc%.7s_%u", ctx->job_id ? ctx->job_id : "", ctx->slot);
    st->vctx = st->vms.conf.vctx;
    st->ops = virt_hostops_new(tag, &st->vctx);
    free(tag);
    return 0;
}

static void zc_cleanup(struct run_ctx *ctx)
{
    struct zc_state *st = ctx->data;
    if (!st)
        return;
    /* the guests first: a daemon restarted by the restore reconnects to them */
    run_vmset_cleanup(ctx, &st->vms);
    run_uproxy_cleanup(ctx, st->proxy);
    if (st->ops) {
        if (virt_hostops_undo(st->ops) < 0)
            run_error(ctx, "CleanupError", "restoring the hosts: %s", err_msg());
        virt_hostops_free(st->ops);
    }
    free(st);
    ctx->data = NULL;
}

/* The source's QEMU version (`virsh version`'s "Running hypervisor: QEMU X.Y.Z"). */
static int zc_qemu_version(struct run_ctx *ctx, unsigned long long *v)
{
    const char *words[] = { "version", NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = -1;
    if (run_virsh_words(ctx, 0, words, &r) < 0 || r.status)
        run_error(ctx, "CmdError", "virsh version: %s", r.status ? r.err.buf : err_msg());
    else {
        const char *s = strstr(r.out.buf, "Running hypervisor: QEMU ");
        char *ver = s ? xstrndup(s + 25, strcspn(s + 25, " \r\n")) : NULL;
        if (!ver || run_version_parse(ver, v) < 0)
            run_error(ctx, "CmdError", "virsh version: no QEMU version in '%s'", r.out.buf);
        else
            rc = 0;
        free(ver);
    }
    run_virsh_release(&r);
    return rc;
}

/* setup_params: what the source's QEMU makes of a postcopy case. */
static int zc_setup_params(struct run_ctx *ctx, const struct zc_opts *o, struct zc_state *st)
{
    unsigned long long qemu = 0;
    st->status_error = o->status_error;
    st->again_status_error = o->again_status_error;
    st->err_msg = o->err_msg;
    if (!o->mig.postcopy || !*o->mig.postcopy)
        return 0;
    if (zc_qemu_version(ctx, &qemu) < 0)
        return -1;
    if (qemu >= ZC_QEMU_POSTCOPY_MULTIFD)
        return 0;
    run_log(ctx, "QEMU %llu.%llu.%llu: postcopy with multifd fails (no actions, no log "
            "check)", qemu / 1000000, qemu / 1000 % 1000, qemu % 1000);
    st->status_error = st->again_status_error = true;
    st->err_msg = ZC_POSTCOPY_ERR;
    st->no_actions = st->no_log = true;
    return 0;
}

static int zc_hop(struct run_ctx *ctx, const struct zc_opts *o, struct zc_state *st, size_t i,
                  bool again)
{
    const char *err = again && o->err_msg_again ? o->err_msg_again : st->err_msg;
    bool se = again ? st->again_status_error : st->status_error;
    if (!st->no_actions)
        return run_base_hop(ctx, &st->vms, i, &o->mig, again, se, err);
    /* params.update({'action_during_mig': ''}): the hop reads the case without them */
    const struct params *orig = ctx->params;
    struct params *p = params_dup(orig);
    params_set(p, "action_during_mig", "");
    params_set(p, "action_during_mig_again", "");
    ctx->params = p;
    int rc = run_base_hop(ctx, &st->vms, i, &o->mig, again, se, err);
    ctx->params = orig;
    params_free(p);
    return rc;
}

/* setup_with_memtune / setup_without_memtune: the memlock hard limit first (old), then
 * `virsh memtune DOM OPTIONS` (ignore_status False). */
static int zc_memtune(struct run_ctx *ctx, const struct zc_opts *o, const char *dom,
                      struct strbuf *old)
{
    if (o->check_hard_limit && run_perf_memlock(ctx, 0, dom, old) < 0)
        return run_error(ctx, "TestError", "%s", err_msg());
    if (strcmp(o->test_case, "with_memtune") || !o->memtune || !*o->memtune)
        return 0;
    char **w = params_split(o->memtune);
    size_t n = 0;
    while (w && w[n])
        n++;
    const char **words = xcalloc(n + 3, sizeof(*words));
    words[0] = "memtune";
    words[1] = dom;
    for (size_t k = 0; k < n; k++)
        words[k + 2] = w[k];
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh memtune: %s", err_msg());
    else if (r.status)
        rc = run_error(ctx, "CmdError", "virsh memtune %s: exit %d: %s", o->memtune, r.status,
                       r.err.buf);
    run_virsh_release(&r);
    free(words);
    params_strv_free(w);
    return rc;
}

/* migration_test_again: the VM running on the source, its QEMU's memlock hard limit
 * what it was before the first migration (check_hard_limit), the second migration. */
static int zc_again(struct run_ctx *ctx, const struct zc_opts *o, struct zc_state *st,
                    size_t i, const char *old)
{
    struct virt_vms *vms = &st->vms;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;
    if (run_tl_start_on_source(ctx, vms, i) < 0)
        return -1;
    if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
    if (o->check_hard_limit) {
        struct strbuf now = STRBUF_INIT;
        int rc = run_perf_memlock(ctx, 0, dom, &now);
        if (rc < 0)
            rc = run_error(ctx, "TestError", "%s", err_msg());
        else if (strcmp(now.buf, old))
            rc = run_fail(ctx, "MemlockCheck", "Check qemu process memlock hard limit failed "
                          "(old %s, new %s).", old, now.buf);
        strbuf_release(&now);
        if (rc < 0)
            return -1;
    }
    if (o->speed_again && *o->speed_again &&
        run_base_setspeed(ctx, 0, dom, o->speed_again, both) < 0)
        return -1;
    return zc_hop(ctx, o, st, i, true);
}

/* setup_connection's transport: TLSConnection (qemu_tls) for transport_type tls, the
 * UNIX-socket proxies for unix_proxy. */
static int zc_connection(struct run_ctx *ctx, struct zc_state *st)
{
    const char *t = params_get_or(ctx->params, "transport_type", "");
    if (!strcmp(t, "tls")) {
        struct run_tls_pki k;
        run_tls_pki_of(ctx->params, NULL, &k);
        return run_tls_pki_setup(ctx, st->ops, &k);
    }
    return run_uproxy_setup(ctx, ctx->params, &st->proxy);
}

static int zc_run(struct run_ctx *ctx)
{
    const struct zc_opts *o = ctx->opts;
    struct zc_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;
    struct virt_log_mark mark = { 0 };
    struct strbuf old = STRBUF_INIT;
    int rc = -1;

    if (zc_setup_params(ctx, o, st) < 0)
        goto out;
    bool logs = o->str_log && *o->str_log && !st->no_log;
    if (logs && run_tls_debug_log(ctx, st->ops, vms, 0, &mark) < 0)
        goto out;
    if (zc_connection(ctx, st) < 0)
        goto out;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0 || zc_memtune(ctx, o, dom, &old) < 0)
        goto out;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        goto out;
    int hop = zc_hop(ctx, o, st, i, false);
    if (hop < 0 || (o->migrate_again && (hop = zc_again(ctx, o, st, i, old.buf)) < 0))
        goto out;
    if (hop == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        goto out;
    if (logs && run_tls_log_check(ctx, 0, "local", &mark) < 0)
        goto out;
    rc = 0;
out:
    virt_log_mark_free(&mark);
    strbuf_release(&old);
    return rc;
}

const struct run_type run_type_migration_zerocopy = {
    .name = "migration_zerocopy",
    .summary = "tp-libvirt's migration_zerocopy: --zerocopy --parallel migrations, the "
               "source QEMU's memlock hard limit during and after them, the capability in "
               "the daemon's log, the combinations QEMU refuses",
    .needs = { .vms = 1, .hosts = 2, .rows = zc_needs, .rows_last = zc_needs_last },
    .params = zc_params,
    .opts_size = sizeof(struct zc_opts),
    .check = zc_check,
    .setup = zc_setup,
    .run = zc_run,
    .cleanup = zc_cleanup,
};
