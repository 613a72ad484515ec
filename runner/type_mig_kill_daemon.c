/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_kill_libvirt_daemon`: tp-libvirt's
 * libvirt/tests/src/migration/destructive_operations_around_live_migration/
 * migration_kill_libvirt_daemon.py (a MigrationBase case, provider/migration/
 * base_steps.py) on the timeline engine (runner/run_tl.h).
 *
 * The VM starts on the source and is logged into; stress runs in it (stress_package,
 * stress_args) and the migration goes at migrate_speed with virsh_migrate_options +
 * virsh_migrate_extra (+ postcopy_options, copy_storage_option).  During it,
 * libvirt_service.kill_service kills the source's or (service_on_dst) the
 * destination's daemon with SIGKILL after "iteration: '1'"; the migration must fail
 * (status_error).  The daemon is started again at once, as systemd's Restart= does,
 * and then, as the reference's verify_test:
 *  - the guest is expected_src_state on the source, gone from the destination
 *    (expected_dest_state = nonexist), reached over its network, a line written to its
 *    disk;
 *  - query-migrate-parameters (virsh qemu-monitor-command on the source) shows
 *    check_migration_params: the failed job's parameters were reset;
 *  - the speed set high; with migrate_again the VM migrates again (its own extra words,
 *    migrate_again_status_error), and after a migration that succeeded the guest runs
 *    on the destination (virsh_migrate_dest_state), the source's domain is
 *    virsh_migrate_src_state, the guest is reached there and writes to its disk.
 *
 * What the reference does and vtrun does not build yet -- actions it has no step for
 * (check_qemu_mem_lock_hard_limit of the zerocopy case), daemon log checks, a
 * continuous ping, transports other than the lab's -- makes the case an ERROR naming
 * it, decided before any VM starts.  virtproxyd CANCELs as the reference's does on a
 * monolithic daemon (runner/run_needs.c).
 */
#include "lib/err.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct kd_opts {
    const char *options, *extra, *postcopy, *copy_storage, *extra_again;
    bool status_error, again_status_error, migrate_again;
    const char *err_msg, *err_msg_again;
    long speed, speed_again;
    const char *stress_tool, *stress_args;
    int src_expect, dest_expect;        /* expected_*_state: enum mig_dom_state, -1 none */
    const char *src_expect_text, *dest_expect_text;
    const char *check_params;           /* check_migration_params: a dict literal */
    int dest_state, src_state;          /* virsh_migrate_{dest,src}_state */
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct kd_opts, __VA_ARGS__)
static const struct run_param kd_params[] = {
    { "virsh_migrate_options", AT(STR, options), .def = "--live --verbose",
      .doc = "virsh migrate option words (migration/mig.h)" },
    { "virsh_migrate_extra", AT(STR, extra), .doc = "more words after the options" },
    { "postcopy_options", AT(STR, postcopy), .doc = "more words, after the extra ones" },
    { "copy_storage_option", AT(STR, copy_storage), .doc = "more words, last" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the first migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(INT, speed), RUN_PARAM_MIN(1), .unit = "MiB/s",
      .doc = "the migration's bandwidth" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "expected_src_state", AT(STR, src_expect_text),
      .doc = "the source domain's state after the first migration" },
    { "expected_dest_state", AT(STR, dest_expect_text),
      .doc = "the destination domain's state after it (nonexist: none)" },
    { "check_migration_params", AT(STR, check_params),
      .doc = "{name: value} query-migrate-parameters must show on the source after it" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "err_msg_again", AT(REGEX, err_msg_again),
      .doc = "the second migration's error regex (else err_msg)" },
    { "virsh_migrate_extra_mig_again", AT(STR, extra_again),
      .doc = "the second migration's extra words" },
    { "migrate_speed_again", AT(INT, speed_again), RUN_PARAM_MIN(1), .unit = "MiB/s",
      .doc = "the second migration's bandwidth (else the high speed)" },
    { "virsh_migrate_dest_state", AT(ENUM, dest_state, mig_dom_state_words),
      .def = "running", .doc = "the destination's state after a migration that succeeded" },
    { "virsh_migrate_src_state", AT(ENUM, src_state, mig_dom_state_words),
      .def = "shut off", .doc = "the source's state after a migration that succeeded" },
    { "check_network_accessibility_after_mig", AT(BOOL, network_check), .def = "no",
      .doc = "the guest reached over its network after each migration" },
    { "simple_disk_check_after_mig", AT(BOOL, disk_check), .def = "yes",
      .doc = "a line written to the guest's disk after each migration" },
    { NULL },
};
#undef AT

/* The reference's setups vtrun does not build: a case with one set is an ERROR. */
static const struct {
    const char *param, *unless;
} kd_unbuilt_rows[] = {
    { "set_remote_libvirtd_log", NULL },
    { "check_cont_ping", NULL },
    { "check_vm_conn_before_migration", NULL },
    { "do_migration_during_mig", NULL },
    { "check_str_local_log", "" },
    { "check_no_str_local_log", "" },
    { "check_str_remote_log", "" },
    { "check_no_str_remote_log", "" },
    { "transport_type", "tcp" },
    { "test_case", "zerocopy_option" },     /* its setup reads QEMU's memlock (not built) */
};

static const char *kd_unbuilt_param(const struct params *p, const char **val)
{
    const char *t = params_get(p, "migrate_desturi_type");
    if (t && *t && strcmp(t, "tcp") && strcmp(t, "ssh")) {
        *val = t;
        return "migrate_desturi_type";
    }
    for (size_t k = 0; k < ARRAY_SIZE(kd_unbuilt_rows); k++) {
        const char *v = params_get(p, kd_unbuilt_rows[k].param);
        const char *unless = kd_unbuilt_rows[k].unless;
        if (!v || !*v)
            continue;
        /* a row with `unless` set: only that value is unbuilt for test_case */
        if (!strcmp(kd_unbuilt_rows[k].param, "test_case") ? strcmp(v, unless)
            : unless ? !strcmp(v, unless) : !strcmp(v, "no"))
            continue;
        *val = v;
        return kd_unbuilt_rows[k].param;
    }
    return NULL;
}

static bool kd_unbuilt_applies(const struct params *p)
{
    const char *v;
    return kd_unbuilt_param(p, &v) || run_tl_any_action_unbuilt(p);
}

static int kd_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = kd_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    return run_tl_unbuilt_verdict("migration_kill_libvirt_daemon", param, v, p);
}

/* zerocopy_option's --zerocopy pins the guest's memory: a host whose libvirt daemon
 * cannot raise QEMU's locked-memory limit refuses it (as migration_zerocopy's cases) */
static bool kd_zerocopy(const struct params *p)
{
    const char *extra = params_get(p, "virsh_migrate_extra");
    return extra && strstr(extra, "--zerocopy");
}

static const struct run_need kd_needs[] = {
    { "memlock", .applies = kd_zerocopy, .capability = "memlock",
      .text = "hosts whose libvirt daemon may raise a QEMU's locked-memory limit (a "
              "zero-copy migration pins the guest's memory)" },
    { NULL },
};

static const struct run_need kd_needs_last[] = {
    { "not built", .applies = kd_unbuilt_applies, .met = kd_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

/* The words of a migration (base_steps: extra + postcopy + copy storage; again: its
 * own extra + copy storage). */
static char *kd_words(const struct kd_opts *o, bool again)
{
    const char *cs = o->copy_storage ? o->copy_storage : "";
    if (again && o->extra_again)
        return xasprintf("%s %s %s", o->options ? o->options : "", o->extra_again, cs);
    return xasprintf("%s %s %s %s", o->options ? o->options : "", o->extra ? o->extra : "",
                     o->postcopy ? o->postcopy : "", cs);
}

static int kd_state(const char *text, int *out)
{
    *out = -1;
    if (!text)
        return 0;
    const struct params_word *w = params_word_find(mig_dom_state_words, text);
    if (!w) {
        err_set("'%s': expected running, paused, shut off or nonexist", text);
        return -1;
    }
    *out = w->value;
    return 0;
}

static int kd_check(const struct run_common *c, void *opts)
{
    struct kd_opts *o = opts;
    for (int again = 0; again < 2; again++) {
        struct be_migrate_opts mo = { 0 };
        char *words = kd_words(o, again);
        int rc = mig_opts_parse(words, &mo);
        if (rc < 0)
            err_prefix("virsh migrate words '%s'", words);
        mig_opts_release(&mo);
        free(words);
        if (rc < 0)
            return -1;
    }
    if (kd_state(o->src_expect_text, &o->src_expect) < 0) {
        err_prefix("expected_src_state");
        return -1;
    }
    if (kd_state(o->dest_expect_text, &o->dest_expect) < 0) {
        err_prefix("expected_dest_state");
        return -1;
    }
    if (o->check_params) {
        struct pylit d;
        if (pylit_parse(o->check_params, &d) < 0) {
            err_prefix("check_migration_params");
            return -1;
        }
        bool dict = d.kind == PYLIT_DICT;
        pylit_release(&d);
        if (!dict) {
            err_set("check_migration_params = '%s': expected a dict", o->check_params);
            return -1;
        }
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct kd_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct virt_hostops *ops;       /* daemons killed: started again */
};

static int kd_setup(struct run_ctx *ctx)
{
    struct kd_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    st->ops = virt_hostops_new("killd", &st->vms.conf.vctx);
    return 0;
}

/* Start what a step killed (systemd's Restart=) and reconnect to it. */
static int kd_daemons_back(struct run_ctx *ctx, struct kd_state *st)
{
    if (virt_hostops_undo(st->ops) < 0)
        return run_error(ctx, "TestSetupError", "start the killed daemon again: %s",
                         err_msg());
    for (int h = 0; h < 2; h++)
        virt_vms_reconnect(&st->vms, h);
    return 0;
}

static void kd_cleanup(struct run_ctx *ctx)
{
    struct kd_state *st = ctx->data;
    if (!st)
        return;
    if (st->ops) {
        kd_daemons_back(ctx, st);
        virt_hostops_free(st->ops);
    }
    run_vmset_cleanup(ctx, &st->vms);
    free(st);
    ctx->data = NULL;
}

/* One migration with its actions: run_tl_hop's returns. */
static int kd_hop(struct run_ctx *ctx, const struct kd_opts *o, struct kd_state *st, size_t i,
                  bool again, bool high)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    const char *key = again ? "action_during_mig_again" : "action_during_mig";
    struct mig_expect e = {
        .status_error = again ? o->again_status_error : o->status_error,
        .err_msg = again && o->err_msg_again ? o->err_msg_again : o->err_msg,
        .cancel_unsupported = true,
    };
    char *words = kd_words(o, again);
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    /* migrate-setspeed persists on the domain: the first speed, or the high one set
     * after the first migration (unlimited here), or migrate_speed_again */
    long speed = again ? (o->speed_again ? o->speed_again : high ? 0 : o->speed) : o->speed;
    mo.bandwidth_mib = speed > 0 ? (unsigned long)speed : 0;
    if (mig_act_parse(params_get(ctx->params, key), &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "%s: %s", key, err_msg());
        goto out;
    }
    struct run_tl_hop h = { .vms = &st->vms, .vm = i, .from = 0, .to = 1, .n = again ? 2 : 1,
                            .expect = &e, .opts = &mo, .acts = &acts, .ops = st->ops };
    rc = run_tl_hop(ctx, &h);
    /* systemd starts a killed libvirtd again at once */
    if (h.killed >= 0 && kd_daemons_back(ctx, st) < 0)
        rc = -1;
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

/* The state of VM i's domain on host h against want (enum mig_dom_state). */
static int kd_expect_state(struct run_ctx *ctx, struct virt_vms *vms, size_t i, int h,
                           int want, const char *side)
{
    enum be_state st;
    bool persistent;
    if (want < 0)
        return 0;
    if (virt_vms_domain(vms, h, vms->vm[i].domain, &st, &persistent) < 0)
        return run_error(ctx, "PostMigrationCheck", "%s: %s", side, err_msg());
    static const enum be_state of[] = {
        [MIG_DOM_RUNNING] = BE_STATE_RUNNING, [MIG_DOM_PAUSED] = BE_STATE_PAUSED,
        [MIG_DOM_SHUTOFF] = BE_STATE_SHUTOFF, [MIG_DOM_NONEXIST] = BE_STATE_NONE,
    };
    if (want > MIG_DOM_NONEXIST || st != of[want])
        return run_fail(ctx, "PostMigrationCheck", "the guest is %s on the %s, expected %s",
                        be_state_name(st), side, mig_dom_state_name(want));
    run_log(ctx, "the guest is %s on the %s, as expected", be_state_name(st), side);
    return 0;
}

/* The guest where it runs: reached over its network, a line written to its disk. */
static int kd_guest_checks(struct run_ctx *ctx, const struct kd_opts *o, struct virt_vms *vms,
                           size_t i)
{
    if (o->network_check && virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
        return run_fail(ctx, "PostMigrationCheck", "the guest is not reached over its "
                        "network: %s", err_msg());
    if (o->disk_check) {
        int status = -1;
        if (virt_vms_exec(vms, i, "echo libvirt_simple_disk_check >> "
                          "/tmp/libvirt_simple_disk_check", 60, NULL, &status) < 0 || status)
            return run_fail(ctx, "PostMigrationCheck", "simple disk check: %s",
                            status > 0 ? "the write failed" : err_msg());
        run_log(ctx, "simple disk check: a line written to the guest's disk");
    }
    return 0;
}

/* check_migration_params: query-migrate-parameters on the source shows each value. */
static int kd_migration_params(struct run_ctx *ctx, const struct kd_opts *o,
                               struct virt_vms *vms, size_t i)
{
    const char *words[] = { "qemu-monitor-command", vms->vm[i].domain,
                            "{\"execute\":\"query-migrate-parameters\"}", "--pretty", NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    struct pylit d;
    json_t *js = NULL;
    int rc = -1;

    if (pylit_parse(o->check_params, &d) < 0)
        return run_error(ctx, "ConfigError", "check_migration_params: %s", err_msg());
    if (run_virsh_words(ctx, 0, words, &r) < 0 || r.status) {
        rc = run_error(ctx, "CmdError", "query-migrate-parameters: %s",
                       r.status > 0 ? r.err.buf : err_msg());
        goto out;
    }
    json_t *ret = (js = json_loads(r.out.buf, 0, NULL)) ? json_object_get(js, "return") : NULL;
    if (!json_is_object(ret)) {
        rc = run_error(ctx, "CmdError", "query-migrate-parameters: no 'return' in '%s'",
                       r.out.buf);
        goto out;
    }
    for (size_t k = 0; k < d.n; k++) {
        const struct pylit *key = &d.items[2 * k], *val = &d.items[2 * k + 1];
        long long want = val->kind == PYLIT_STR ? strtoll(val->s, NULL, 10) : val->i;
        json_t *got = key->kind == PYLIT_STR ? json_object_get(ret, key->s) : NULL;
        if (!json_is_integer(got) || json_integer_value(got) != want) {
            char *now = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
            rc = run_fail(ctx, "MigrationParamsChanged", "Migration params %s change to %s.",
                          key->kind == PYLIT_STR ? key->s : "?", now ? now : "nothing");
            free(now);
            goto out;
        }
    }
    run_log(ctx, "query-migrate-parameters shows %s", o->check_params);
    rc = 0;
out:
    json_decref(js);
    pylit_release(&d);
    run_virsh_release(&r);
    return rc;
}

static int kd_run(struct run_ctx *ctx)
{
    const struct kd_opts *o = ctx->opts;
    struct kd_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->stress_tool && run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = kd_hop(ctx, o, st, i, false, false);
    if (rc < 0)
        return -1;
    bool migrated = rc == 1;
    /* verify_test: the states, the guest where it is, the job's parameters reset */
    if (kd_expect_state(ctx, vms, i, 0, o->src_expect, "source") < 0 ||
        kd_expect_state(ctx, vms, i, 1, o->dest_expect, "destination") < 0 ||
        kd_guest_checks(ctx, o, vms, i) < 0 ||
        (o->check_params && kd_migration_params(ctx, o, vms, i) < 0))
        return -1;
    if (o->migrate_again) {
        if (!migrated && run_tl_start_on_source(ctx, vms, i) < 0)
            return -1;
        if (virt_vms_wait_login(vms, i, ctx->common->login_timeout) < 0)
            return run_error(ctx, "LoginError", "before the second migration: %s", err_msg());
        if ((rc = kd_hop(ctx, o, st, i, true, true)) < 0)
            return -1;
        migrated = rc == 1;
    }
    /* verify_default: after a migration that succeeded, both sides and the guest */
    if (!migrated)
        return 0;
    if (kd_expect_state(ctx, vms, i, 1, o->dest_state, "destination") < 0 ||
        kd_expect_state(ctx, vms, i, 0, o->src_state, "source") < 0)
        return -1;
    if (o->dest_state == MIG_DOM_RUNNING && run_mig_landed(ctx, vms, i, 1) < 0)
        return -1;
    return o->dest_state == MIG_DOM_RUNNING ? kd_guest_checks(ctx, o, vms, i) : 0;
}

const struct run_type run_type_migration_kill_libvirt_daemon = {
    .name = "migration_kill_libvirt_daemon",
    .summary = "tp-libvirt's migration_kill_libvirt_daemon: the source's or destination's "
               "libvirtd killed during the migration; the guest stays on the source, the "
               "destination has nothing, the job's parameters reset, a second migration "
               "succeeds",
    .needs = { .vms = 1, .hosts = 2, .rows = kd_needs, .rows_last = kd_needs_last },
    .params = kd_params,
    .opts_size = sizeof(struct kd_opts),
    .check = kd_check,
    .setup = kd_setup,
    .run = kd_run,
    .cleanup = kd_cleanup,
};
