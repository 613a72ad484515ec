/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migrate_over_unix`: tp-libvirt's libvirt/tests/src/migration/
 * migrate_over_unix.py on the timeline engine (runner/run_tl.h).
 *
 * Its UNIXSocketConnection (socat proxies on both hosts, runner/run_uproxy.h) is made
 * whatever the transport params say; the VM's disk is on the shared storage
 * (storage_type nfs: the settings' shared volume) or the source's own (the copy-storage
 * hop makes the destination's, as update_disk does for disk_num 1); the VM migrates
 * over qemu+unix:///system?socket=/tmp/desturi-socket with virsh_migrate_options +
 * extra (--migrateuri unix://..., --disks-uri unix://..., --parallel, --tunnelled) and
 * action_during_mig: check_socket (runner/run_tl_unix.c: the proxies' connected sockets
 * on the source, expected_socket_num) or virsh.domjobabort; judged by status_error.
 * migrate_again: 10 s later the same migration without the action
 * (migrate_again_clear_func), judged by migrate_again_status_error.  A migration that
 * succeeded: the domain alive on the destination within 60 s.
 *
 * Not built yet, an ERROR naming it: disk_num > 1 (update_disk's extra disks, checked
 * in the guest by linux_disk_check and written over the serial console after the
 * migration); postcopy_options (check_socket's migrate-postcopy, and stress_guest's
 * `stress --vm 2 --vm-bytes 512M` in the guest); check_socket in a migration without
 * --p2p (virsh's own desturi connection goes through the proxy there and is counted,
 * vtrun's connection to the destination does not: it would count one less).  CANCEL:
 * kvm, an action during a migration at more than 20 MiB/s (mou_action_outrun).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_base.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_uproxy.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mou_opts {
    struct run_base_mig mig;
    bool status_error, migrate_again, again_status_error, clear_func;
    const char *storage_type, *action, *action_params;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mou_opts, __VA_ARGS__)
static const struct run_param mou_params[] = {
    RUN_BASE_MIG_ROWS(struct mou_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "storage_type", AT(STR, storage_type),
      .doc = "nfs: the VM's disk on the shared storage; else its own, copied" },
    { "action_during_mig", AT(STR, action),
      .doc = "check_socket or virsh.domjobabort, run during the migration" },
    { "action_during_mig_params", AT(STR, action_params),
      .doc = "the action's argument (a Python expression over params)" },
    { "migrate_again", AT(BOOL, migrate_again), .def = "no", .doc = "migrate again" },
    { "migrate_again_status_error", AT(BOOL, again_status_error), .def = "no",
      .doc = "the second migration must fail" },
    { "migrate_again_clear_func", AT(BOOL, clear_func), .def = "yes",
      .doc = "the second migration without the action" },
    { NULL },
};
#undef AT

/* The actions of migrate_over_unix's action_during_mig (a function the test evals) in
 * the engine's list form. */
static const struct {
    const char *func;
    const char *arg_param;      /* the func_param from this param, else params */
} mou_actions[] = {
    { "check_socket", NULL },
    { "virsh.domjobabort", "action_during_mig_params" },
};

/* The engine's action list text of action (NULL: none); NULL with *bad set when vtrun
 * has no step for it.  Caller frees. */
static char *mou_action_text(const struct params *p, bool *bad)
{
    const char *f = params_get(p, "action_during_mig");
    *bad = false;
    if (!f || !*f)
        return NULL;
    for (size_t k = 0; k < ARRAY_SIZE(mou_actions); k++) {
        if (strcmp(f, mou_actions[k].func))
            continue;
        const char *arg = mou_actions[k].arg_param ? params_get(p, mou_actions[k].arg_param)
                                                   : NULL;
        return xasprintf("[{\"func\": \"%s\", \"func_param\": \"%s\"}]", f,
                         arg && *arg ? arg : "params");
    }
    *bad = true;
    return NULL;
}

/* The first setup of the reference vtrun does not build (param, its value). */
static const char *mou_unbuilt_param(const struct params *p, const char **val)
{
    const char *disks = params_get(p, "disk_num");
    const char *post = params_get(p, "postcopy_options");
    const char *act = params_get(p, "action_during_mig");
    const char *opts = params_get(p, "virsh_migrate_options");
    bool bad;
    char *text = mou_action_text(p, &bad);
    free(text);
    if (disks && *disks && strcmp(disks, "1")) {
        *val = disks;
        return "disk_num";
    }
    if (post && *post) {
        *val = post;
        return "postcopy_options";
    }
    if (bad) {
        *val = act;
        return "action_during_mig";
    }
    if (act && !strcmp(act, "check_socket") && !(opts && strstr(opts, "--p2p"))) {
        *val = opts ? opts : "";
        return "virsh_migrate_options";
    }
    return NULL;
}

static bool mou_unbuilt_applies(const struct params *p)
{
    const char *v;
    return mou_unbuilt_param(p, &v) || run_uproxy_check(p) < 0;
}

static int mou_unbuilt_met(const struct run_need *n, const struct params *p,
                           struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = mou_unbuilt_param(p, &v);
    (void)n;
    (void)f;
    (void)why;
    if (run_uproxy_check(p) < 0)
        return -1;
    if (param) {
        err_set("%s = '%s': vtrun does not build this setup of tp-libvirt's "
                "migrate_over_unix yet", param, v);
        return -1;
    }
    return 1;
}

/* The MiB/s of --bandwidth in virsh_migrate_extra (0: none). */
static long mou_bandwidth(const struct params *p)
{
    const char *x = params_get(p, "virsh_migrate_extra");
    const char *b = x ? strstr(x, "--bandwidth ") : NULL;
    return b ? strtol(b + strlen("--bandwidth "), NULL, 10) : 0;
}

/* Its action runs during a migration limited by --bandwidth: a TCG guest's mostly-zero
 * memory goes at 20 MiB/s in about 8 s (check_socket sees the proxies' connections), at
 * 50 in 3-4 s (the lab's: the multifd check saw them gone, the domjobabort came in the
 * switchover and the migration succeeded).  Only hosts running KVM guests, which say
 * so with the capability, run those.  What is not built stays an ERROR (checked
 * first). */
static bool mou_action_outrun(const struct params *p)
{
    const char *act = params_get(p, "action_during_mig"), *v;
    return act && *act && mou_bandwidth(p) != 20 && !mou_unbuilt_param(p, &v);
}

static const struct run_need mou_needs[] = {
    { "kvm", .applies = mou_action_outrun, .capability = "kvm",
      .text = "KVM guests: its action runs during a migration a TCG guest's memory ends "
              "before it (--bandwidth 50 does not slow zero pages down enough)" },
    { NULL },
};

static const struct run_need mou_needs_last[] = {
    { "not built", .applies = mou_unbuilt_applies, .met = mou_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int mou_check(const struct run_common *c, void *opts)
{
    struct mou_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

struct mou_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone where it goes */
    struct run_uproxy *proxy;
};

static int mou_setup(struct run_ctx *ctx)
{
    const struct mou_opts *o = ctx->opts;
    struct mou_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    st->params = params_dup(ctx->params);
    /* without shared storage the disk is the source's own: the migration copies it */
    bool shared = o->storage_type && !strcmp(o->storage_type, "nfs");
    if (!shared && !params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return run_uproxy_start(ctx, ctx->params, &st->proxy);
}

static void mou_cleanup(struct run_ctx *ctx)
{
    struct mou_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    run_uproxy_cleanup(ctx, st->proxy);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* One do_migration: the words of the case, the action (NULL: none). */
static int mou_hop(struct run_ctx *ctx, const struct mou_opts *o, struct mou_state *st,
                   unsigned n, const char *action, bool status_error)
{
    struct be_migrate_opts mo = { 0 };
    struct mig_actions acts = { 0 };
    struct mig_expect e = { .status_error = status_error, .cancel_unsupported = true };
    char *words = run_base_words(&o->mig, false);
    int rc = mig_opts_parse(words, &mo);
    free(words);
    if (rc < 0) {
        rc = run_error(ctx, "ConfigError", "%s", err_msg());
        goto out;
    }
    if (action && mig_act_parse(action, &acts) < 0) {
        rc = run_error(ctx, "ConfigError", "action_during_mig: %s", err_msg());
        goto out;
    }
    struct run_tl_hop h = { .vms = &st->vms, .vm = (size_t)o->main_vm, .from = 0, .to = 1,
                            .n = n, .expect = &e, .opts = &mo, .acts = &acts };
    rc = run_tl_hop(ctx, &h);
out:
    mig_act_release(&acts);
    mig_opts_release(&mo);
    return rc;
}

/* virsh.is_alive on the destination within 60 s, else the test's FAIL. */
static int mou_alive_on_dest(struct run_ctx *ctx, const char *dom)
{
    struct strbuf state = STRBUF_INIT;
    bool gone = true;
    for (int tries = 60; tries > 0; tries--) {
        strbuf_reset(&state);
        if (run_base_domstate(ctx, 1, dom, &state, &gone) < 0) {
            strbuf_release(&state);
            return run_error(ctx, "VirshError", "%s", err_msg());
        }
        if (!gone && strcmp(state.buf, "shut off"))
            break;
        nanosleep(&(struct timespec){ 1, 0 }, NULL);
    }
    bool alive = !gone && strcmp(state.buf, "shut off");
    strbuf_release(&state);
    return alive ? 0 : run_fail(ctx, "TestFail", "The migrated VM should be alive!");
}

static int mou_run(struct run_ctx *ctx)
{
    const struct mou_opts *o = ctx->opts;
    struct mou_state *st = ctx->data;
    size_t i = (size_t)o->main_vm;
    bool bad;
    char *action = mou_action_text(ctx->params, &bad);
    int rc = -1;

    if (run_vmtype_prepare(ctx, &st->vms, i, true, true) < 0)
        goto out;
    if ((rc = mou_hop(ctx, o, st, 1, action, o->status_error)) < 0)
        goto out;
    if (o->migrate_again) {
        run_log(ctx, "Sleeping 10 seconds before rerunning the migration.");
        nanosleep(&(struct timespec){ 10, 0 }, NULL);
        if ((rc = mou_hop(ctx, o, st, 2, o->clear_func ? NULL : action,
                          o->again_status_error)) < 0)
            goto out;
    }
    rc = rc == 1 ? mou_alive_on_dest(ctx, st->vms.vm[i].domain) : 0;
out:
    free(action);
    return rc < 0 ? -1 : 0;
}

const struct run_type run_type_migrate_over_unix = {
    .name = "migrate_over_unix",
    .summary = "tp-libvirt's virsh.migrate_over_unix: migrations over UNIX sockets bridged "
               "by socat proxies (desturi, --migrateuri, --disks-uri): multifd, tunnelled, "
               "copy storage, aborted and again",
    .needs = { .vms = 1, .hosts = 2, .rows = mou_needs, .rows_last = mou_needs_last },
    .params = mou_params,
    .opts_size = sizeof(struct mou_opts),
    .check = mou_check,
    .setup = mou_setup,
    .run = mou_run,
    .cleanup = mou_cleanup,
};
