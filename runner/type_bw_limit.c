/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_bandwidth_limit`: tp-libvirt's
 * libvirt/tests/src/migration_with_copy_storage/migration_bandwidth_limit.py (a
 * MigrationBase case) on the timeline engine (runner/run_tl.h) with base_steps' shared
 * steps (runner/run_base.h).
 *
 * setup_connection (migrate_desturi_type tcp: the daemons' TCP listener the lab's hosts
 * already have); set_bandwidth setspeed_before_migration: `virsh migrate-setspeed DOM
 * bandwidth` first (the other variants: --bandwidth in the extra words, set_bandwidth or
 * virsh.blockjob during the migration).  The guest's disk is the source's own (its
 * private images_dir) and the destination's is made as prepare_disks_remote makes it
 * (the copy-storage hop creates it: virt/virt.h).  run_migration with
 * copy_storage_option and action_during_mig: check_item_by_blockjob (the mirror's
 * bandwidth, runner/run_tl_bw.c) after the block-job event, check_domjobinfo_during_mig
 * (runner/run_tl_perf.c); verify_default.
 *
 * Not built yet, an ERROR naming it: another transport than tcp.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_bw.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct bl_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *set_bandwidth, *bandwidth;
    const char *dest_state, *src_state;
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct bl_opts, __VA_ARGS__)
static const struct run_param bl_params[] = {
    RUN_BASE_MIG_ROWS(struct bl_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "set_bandwidth", AT(STR, set_bandwidth), .def = "",
      .doc = "setspeed_before_migration: migrate-setspeed DOM bandwidth before the "
             "migration (bandwidth, setspeed_during_migration, set_bandwidth_by_blockjob: "
             "by the words or the actions)" },
    { "bandwidth", AT(STR, bandwidth), .doc = "MiB/s" },
    RUN_BASE_POST_ROWS(struct bl_opts),
    { NULL },
};
#undef AT

static int bl_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    (void)n;
    (void)f;
    (void)why;
    return run_bw_unbuilt_verdict("migration_bandwidth_limit", p);
}

/* The migration is slowed down from its start by --bandwidth or by the speed set
 * before it: the disk mirror and the memory copy of a TCG guest then last past the
 * block-job event.  setspeed_during_migration and set_bandwidth_by_blockjob limit it
 * only at that event, after which a TCG guest's memory copy ends within 0.2-2 s (seen
 * on the lab by the tcp types): their check 5 s later finds no block job; only hosts
 * running KVM guests, which say so with the capability, run them. */
static bool bl_unthrottled(const struct params *p)
{
    const char *extra = params_get_or(p, "virsh_migrate_extra", "");
    const char *opts = params_get_or(p, "virsh_migrate_options", "");
    const char *sb = params_get_or(p, "set_bandwidth", "");
    return !run_bw_unbuilt_applies(p) && !strstr(extra, "--bandwidth") &&
           !strstr(opts, "--bandwidth") && strcmp(sb, "setspeed_before_migration");
}

static const struct run_need bl_needs[] = {
    { "kvm", .applies = bl_unthrottled, .capability = "kvm",
      .text = "KVM guests: its checks run during a migration limited only after the disks "
              "are mirrored, which a TCG guest's migration ends before they run" },
    { NULL },
};

static const struct run_need bl_needs_last[] = {
    { "not built", .applies = run_bw_unbuilt_applies, .met = bl_unbuilt_met,
      .met_doc = "a setup or an action vtrun does not build yet (ERROR)",
      .text = "a setup of the reference vtrun does not build yet" },
    { NULL },
};

static int bl_check(const struct run_common *c, void *opts)
{
    struct bl_opts *o = opts;
    if (run_base_words_check(&o->mig) < 0)
        return -1;
    if (!strcmp(o->set_bandwidth, "setspeed_before_migration") &&
        (!o->bandwidth || !*o->bandwidth)) {
        err_set("set_bandwidth = 'setspeed_before_migration' needs bandwidth");
        return -1;
    }
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

struct bl_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, with the clone in images_dir */
};

static int bl_setup(struct run_ctx *ctx)
{
    struct bl_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    /* storage_type file: the disk is the source's own, a copy-storage migration copies
     * it into the destination's images_dir */
    st->params = params_dup(ctx->params);
    if (!params_get(st->params, "image_clone_dir"))
        params_set(st->params, "image_clone_dir", "images_dir");
    /* base_steps' run_migration hands do_migration update_virsh_migrate_extra_args'
     * dict, which has no migrate_start_state: the config's "running" never reaches
     * wait_for_migration_start, whose default (the incoming domain paused) applies */
    params_del(st->params, "migrate_start_state");
    if (run_vmset_setup_params(ctx, &st->vms, st->params) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void bl_cleanup(struct run_ctx *ctx)
{
    struct bl_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* setup_setspeed_before_migration: virsh.migrate_setspeed with ignore_status left True,
 * so its exit is logged, not judged (the migration's checks say what it did). */
static int bl_setspeed(struct run_ctx *ctx, const char *dom, const char *speed)
{
    const char *words[] = { "migrate-setspeed", dom, speed, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    int rc = 0;
    if (run_virsh_words(ctx, 0, words, &r) < 0)
        rc = run_error(ctx, "CmdError", "virsh migrate-setspeed: %s", err_msg());
    else
        run_log(ctx, "migrate-setspeed %s %s: exit %d %s", dom, speed, r.status, r.err.buf);
    run_virsh_release(&r);
    return rc;
}

static int bl_run(struct run_ctx *ctx)
{
    const struct bl_opts *o = ctx->opts;
    struct bl_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (!strcmp(o->set_bandwidth, "setspeed_before_migration") &&
        bl_setspeed(ctx, vms->vm[i].domain, o->bandwidth) < 0)
        return -1;
    const struct params *own = ctx->params;
    ctx->params = st->params;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    ctx->params = own;
    if (rc < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migration_bandwidth_limit = {
    .name = "migration_bandwidth_limit",
    .summary = "tp-libvirt's migration_bandwidth_limit: a copy-storage migration's bandwidth "
               "set by --bandwidth, migrate-setspeed before or during it or blockjob; the "
               "block job's bandwidth and domjobinfo's memory bandwidth checked",
    .needs = { .vms = 1, .hosts = 2, .rows = bl_needs, .rows_last = bl_needs_last },
    .params = bl_params,
    .opts_size = sizeof(struct bl_opts),
    .check = bl_check,
    .setup = bl_setup,
    .run = bl_run,
    .cleanup = bl_cleanup,
};
