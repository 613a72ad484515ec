/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_performance_tuning`: tp-libvirt's
 * libvirt/tests/src/migration/migration_performance_tuning/migration_performance_tuning.py
 * (a MigrationBase case) on the timeline engine (runner/run_tl.h) with base_steps'
 * shared steps (runner/run_base.h).  Its test_case picks a setup and a verify:
 *
 *  - parallel_connections: parallel_conn_options appended to the migration's words
 *    (--parallel [--parallel-connections N]); check_established counts the channels;
 *    out-of-range counts must fail with err_msg;
 *  - memory_compression: --compressed [--comp-methods xbzrle --comp-xbzrle-cache N];
 *    with setting_method set_by_migrate_compcache_and_then_do_migration the cache is
 *    set by `virsh migrate-compcache DOM --size N` first; the verify (in place of
 *    verify_default) reads `virsh domjobinfo DOM --completed` on the source: every name
 *    of check_compression_list there, and "Compression cache: X MiB" for cache_size;
 *  - auto_converge: migrate-setmaxdowntime 100 before the migration;
 *  - timeout_action, parallel_migration (test_case unset): the default setup.
 * base_steps' run_migration: migrate_speed set first, stress_package run in the guest;
 * migrate_again runs run_migration_again; verify_default checks both sides and the
 * guest where it runs.
 *
 * setup_connection's unix_proxy: runner/run_uproxy.h; its tls transport (QEMU's
 * certificates, qemu_tls): runner/run_tlsconn.h.  Not built yet, an ERROR naming it: a
 * tls transport without qemu_tls, and the actions the engine has no step for
 * (runner/run_tl.c).
 */
#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_tlsconn.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt_opts {
    struct run_base_mig mig;
    const char *test_case, *parallel_opts, *setting_method, *cache_size, *comp_list;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again, *speed, *speed_again;
    const char *stress_tool, *stress_args;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pt_opts, __VA_ARGS__)
static const struct run_param pt_params[] = {
    RUN_BASE_MIG_ROWS(struct pt_opts, mig),
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "parallel_connections, memory_compression, auto_converge: its setup/verify" },
    { "parallel_conn_options", AT(STR, parallel_opts),
      .doc = "parallel_connections: words appended to virsh_migrate_extra" },
    { "setting_method", AT(STR, setting_method),
      .doc = "memory_compression: set_by_migrate_compcache_and_then_do_migration sets the "
             "cache by migrate-compcache first" },
    { "cache_size", AT(STR, cache_size),
      .doc = "memory_compression: the xbzrle cache in bytes domjobinfo --completed shows" },
    { "check_compression_list", AT(STR, comp_list), .def = "[]",
      .doc = "memory_compression: names domjobinfo --completed must show (a list)" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again), .doc = "the second migration's error regex" },
    { "migrate_speed_again", AT(STR, speed_again),
      .doc = "MiB/s set before the second migration" },
    RUN_BASE_POST_ROWS(struct pt_opts),
    { NULL },
};
#undef AT

/* The reference's setups vtrun does not build: a tls transport without qemu_tls. */
static const char *pt_unbuilt_param(const struct params *p, const char **val)
{
    return run_tlsconn_unbuilt(p, val);
}

static bool pt_unbuilt_applies(const struct params *p)
{
    const char *v;
    return pt_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int pt_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = pt_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict("migration_performance_tuning", param, v, p);
}

/* parallel_connections' check_established runs after the first iteration of a
 * migration the case does not slow down (no migrate_speed): a TCG guest's migration is
 * over before it runs (the lab's: 1-2 s), so only hosts running KVM guests, which say
 * so with the capability, run it.  What is not built stays an ERROR (checked first). */
static bool pt_unthrottled(const struct params *p)
{
    const char *speed = params_get(p, "migrate_speed");
    const char *acts = params_get(p, "action_during_mig");
    const char *v;
    return !pt_unbuilt_applies(p) && !pt_unbuilt_param(p, &v) && acts && *acts &&
           (!speed || !*speed);
}

static const struct run_need pt_needs[] = {
    { "kvm", .applies = pt_unthrottled, .capability = "kvm",
      .text = "KVM guests: its actions run during a migration the case does not slow down "
              "(no migrate_speed), which a TCG guest's migration ends before they run" },
    { NULL },
};

static const struct run_need pt_needs_last[] = {
    { "not built", .applies = pt_unbuilt_applies, .met = pt_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* setup_parallel_connections: the extra words with parallel_conn_options after them.
 * Caller frees. */
static char *pt_extra(const struct pt_opts *o)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, o->mig.extra ? o->mig.extra : "");
    if (!strcmp(o->test_case, "parallel_connections") && o->parallel_opts &&
        *o->parallel_opts)
        strbuf_addf(&sb, " %s", o->parallel_opts);
    return strbuf_detach(&sb, NULL);
}

static int pt_check(const struct run_common *c, void *opts)
{
    struct pt_opts *o = opts;
    struct run_base_mig m = o->mig;
    char *extra = pt_extra(o);
    m.extra = extra;
    int rc = run_base_words_check(&m);
    free(extra);
    if (rc < 0)
        return -1;
    if (o->cache_size && *o->cache_size && strspn(o->cache_size, "0123456789") !=
        strlen(o->cache_size)) {
        err_set("cache_size = '%s': expected a number of bytes", o->cache_size);
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct pt_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct run_uproxy *proxy;       /* setup_connection's unix_proxy */
    struct run_tlsconn *tls;        /* setup_connection's tls (qemu_tls) */
};

static int pt_setup(struct run_ctx *ctx)
{
    struct pt_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    if (run_uproxy_setup(ctx, ctx->params, &st->proxy) < 0)
        return -1;
    return run_tlsconn_setup(ctx, &st->vms, &st->tls);
}

static void pt_cleanup(struct run_ctx *ctx)
{
    struct pt_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    run_uproxy_cleanup(ctx, st->proxy);
    run_tlsconn_cleanup(ctx, st->tls);
    free(st);
    ctx->data = NULL;
}

/* `virsh WORDS` on the source, exit 0 required (ignore_status False); the output in r. */
static int pt_virsh_ok(struct run_ctx *ctx, const char *const *words, struct run_virsh *r)
{
    if (run_virsh_words(ctx, 0, words, r) < 0)
        return run_error(ctx, "CmdError", "virsh %s: %s", words[0], err_msg());
    if (r->status)
        return run_error(ctx, "CmdError", "virsh %s: exit %d: %s", words[0], r->status,
                         r->err.buf);
    return 0;
}

/* The test_case's setup before the migration (setup_auto_converge,
 * setup_memory_compression; setup_parallel_connections is pt_extra). */
static int pt_setup_case(struct run_ctx *ctx, const struct pt_opts *o, const char *dom)
{
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (!strcmp(o->test_case, "auto_converge")) {
        /* a small downtime allowed: the migration does not converge too fast */
        const char *words[] = { "migrate-setmaxdowntime", dom, "100", NULL };
        rc = pt_virsh_ok(ctx, words, &r);
    } else if (!strcmp(o->test_case, "memory_compression") && o->setting_method &&
               !strcmp(o->setting_method, "set_by_migrate_compcache_and_then_do_migration")) {
        const char *words[] = { "migrate-compcache", dom, "--size", o->cache_size, NULL };
        if (!o->cache_size || !*o->cache_size)
            return run_error(ctx, "TestError", "setting_method = '%s' needs cache_size",
                             o->setting_method);
        rc = pt_virsh_ok(ctx, words, &r);
    }
    run_virsh_release(&r);
    return rc;
}

/* verify_memory_compression: `virsh domjobinfo DOM --completed` on the source shows
 * every name of check_compression_list and, with cache_size, "Compression cache: X MiB"
 * (X the size in MiB, three decimals). */
static int pt_verify_compression(struct run_ctx *ctx, const struct pt_opts *o, const char *dom)
{
    const char *words[] = { "domjobinfo", dom, "--completed", NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    struct pylit names = { 0 };
    int rc = 0;
    if (pylit_parse(o->comp_list, &names) < 0 || names.kind != PYLIT_LIST) {
        pylit_release(&names);
        return run_error(ctx, "ConfigError", "check_compression_list = '%s': expected a "
                         "list of strings", o->comp_list);
    }
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh domjobinfo: %s", err_msg());
    else if (r.status)
        rc = run_fail(ctx, "JobInfo", "Failed to get domjobinfo --completed: %s", r.err.buf);
    else
        run_log(ctx, "domjobinfo --completed on the source:\n%s", r.out.buf);
    for (size_t k = 0; rc == 0 && k < names.n; k++) {
        const struct pylit *name = &names.items[k];
        if (name->kind != PYLIT_STR)
            rc = run_error(ctx, "ConfigError", "check_compression_list: item %zu is no "
                           "string", k);
        else if (!strstr(r.out.buf, name->s))
            rc = run_fail(ctx, "JobInfo", "Not found '%s' in domjobinfo.", name->s);
    }
    if (rc == 0 && o->cache_size && *o->cache_size) {
        char want[64];
        snprintf(want, sizeof(want), "Compression cache: %.3f MiB",
                 strtod(o->cache_size, NULL) / (1024.0 * 1024.0));
        if (!strstr(r.out.buf, want))
            rc = run_fail(ctx, "JobInfo", "Not found '%s' in domjobinfo.", want);
    }
    if (rc == 0)
        run_log(ctx, "domjobinfo --completed on the source shows the compression items%s",
                o->cache_size && *o->cache_size ? " and the cache size" : "");
    pylit_release(&names);
    run_virsh_release(&r);
    return rc;
}

static int pt_hop(struct run_ctx *ctx, const struct pt_opts *o, struct pt_state *st, size_t i,
                  bool again)
{
    struct run_base_mig m = o->mig;
    char *extra = pt_extra(o);
    m.extra = extra;
    int rc = run_base_hop(ctx, &st->vms, i, &m, again,
                          again ? o->again_status_error : o->status_error,
                          again && o->err_msg_again ? o->err_msg_again : o->err_msg);
    free(extra);
    return rc;
}

static int pt_run(struct run_ctx *ctx)
{
    const struct pt_opts *o = ctx->opts;
    struct pt_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool both = o->mig.postcopy && *o->mig.postcopy;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (pt_setup_case(ctx, o, dom) < 0)
        return -1;
    if (o->speed && *o->speed && run_base_setspeed(ctx, 0, dom, o->speed, both) < 0)
        return -1;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = pt_hop(ctx, o, st, i, false);
    if (rc < 0)
        return -1;
    bool migrated = rc == 1;
    if (o->migrate_again) {
        if (run_tl_start_on_source(ctx, vms, i) < 0)
            return -1;
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
            return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
        if (o->speed_again && *o->speed_again &&
            run_base_setspeed(ctx, 0, dom, o->speed_again, both) < 0)
            return -1;
        if ((rc = pt_hop(ctx, o, st, i, true)) < 0)
            return -1;
        migrated = rc == 1;
    }
    if (!strcmp(o->test_case, "memory_compression"))
        return pt_verify_compression(ctx, o, dom);
    if (migrated && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migration_performance_tuning = {
    .name = "migration_performance_tuning",
    .summary = "tp-libvirt's migration_performance_tuning: parallel connections, memory "
               "compression (domjobinfo --completed), auto-converge, --timeout actions",
    .needs = { .vms = 1, .hosts = 2, .rows = pt_needs, .rows_last = pt_needs_last },
    .params = pt_params,
    .opts_size = sizeof(struct pt_opts),
    .check = pt_check,
    .setup = pt_setup,
    .run = pt_run,
    .cleanup = pt_cleanup,
};
