/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type `migration_poweroff_vm`: tp-libvirt's libvirt/tests/src/migration/
 * guest_lifecycle_operations_during_migration/migration_poweroff_vm.py (a
 * MigrationBase case) on the timeline engine with base_steps' shared steps
 * (runner/run_base.h) and migration_base.poweroff_vm (runner/run_tl_guest.c).
 *
 * setup_poweroff_vm (test_case = poweroff_vm): the guest's disk on the shared storage
 * (storage_type nfs), or its own on the source copied by the migration
 * (--copy-storage-all: the destination's disk made like it); the guest started and
 * logged into.  run_migration: stress_package with stress_args in the guest, then the
 * migration (virsh_migrate_options + virsh_migrate_extra + postcopy_options) with
 * action_during_mig (poweroff_vm need_sleep_time after the migration started: in the
 * guest, or on the destination with poweroff_vm_dest), judged by status_error and
 * err_msg.  verify_poweroff_vm: the destination's domain, when there is one, is
 * virsh_migrate_dest_state; the source's is virsh_migrate_src_state; then
 * verify_default (post_migration_check after a migration that succeeded).  Another
 * test_case runs setup_connection and verify_default only, as the reference does.
 *
 * The reference's setup_connection (tcp, its firewall port) is the lab hosts'.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_cs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct pov_opts {
    struct run_base_mig mig;
    bool status_error, network_check, disk_check, poweroff_dest;
    const char *err_msg, *dest_state, *src_state, *test_case, *storage_type, *speed,
        *stress_tool, *stress_args;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct pov_opts, __VA_ARGS__)
static const struct run_param pov_params[] = {
    RUN_BASE_MIG_ROWS(struct pov_opts, mig),
    RUN_BASE_POST_ROWS(struct pov_opts),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "poweroff_vm: setup_poweroff_vm / verify_poweroff_vm; else setup_connection "
             "and verify_default" },
    { "storage_type", AT(STR, storage_type),
      .doc = "nfs: the guest's disk on the shared storage; else the source's own" },
    { "poweroff_vm_dest", AT(BOOL, poweroff_dest), .def = "no",
      .doc = "poweroff_vm powers the guest off on the destination (postcopy)" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { NULL },
};
#undef AT

static int pov_check(const struct run_common *c, void *opts)
{
    struct pov_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool pov_poweroff_late(const struct params *p)
{
    const char *acts = params_get(p, "action_during_mig");
    return acts && strstr(acts, "poweroff_vm") && strstr(acts, "need_sleep_time");
}

/* poweroff_vm waits need_sleep_time (70 s) into a migration at --bandwidth 5 of the
 * case's guest (mem 1024: over three minutes).  The TCG lab's guest (128 MiB) has
 * migrated by then: the poweroff lands on the destination after a migration that
 * succeeded, not what the case tests. */
static const struct run_need pov_needs[] = {
    { "kvm", .applies = pov_poweroff_late, .capability = "kvm",
      .text = "KVM guests of the case's memory: poweroff_vm runs need_sleep_time into the "
              "migration, which the small TCG guest's has finished by then" },
    { NULL },
};

static const struct run_need pov_needs_last[] = {
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

static bool pov_shared(const struct pov_opts *o)
{
    return o->storage_type && !strcmp(o->storage_type, "nfs");
}

struct pov_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* the case's, the clone where the disk goes */
};

static int pov_setup(struct run_ctx *ctx)
{
    const struct pov_opts *o = ctx->opts;
    struct pov_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (!pov_shared(o))
        return run_cs_vmset_setup(ctx, &st->vms, &st->params);
    if (!ctx->hosts[0].shared_dir)
        return run_cancel(ctx, "shared storage (storage_type = nfs): the settings give host "
                          "%s no shared_dir", ctx->hosts[0].name);
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void pov_cleanup(struct run_ctx *ctx)
{
    struct pov_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* verify_poweroff_vm: the states on both sides, the destination's when it has one. */
static int pov_verify_states(struct run_ctx *ctx, const char *dom)
{
    const struct pov_opts *o = ctx->opts;
    int there = run_vmconf_exists(ctx, 1, dom);
    if (there < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    if (there && run_vmconf_state_is(ctx, 1, dom, o->dest_state,
                                     "Migrated VM failed to be in the state at destination") < 0)
        return -1;
    if (!there)
        run_log(ctx, "Guest don't exist on destination.");
    return run_vmconf_state_is(ctx, 0, dom, o->src_state,
                               "Migrated VM failed to be in the state at source");
}

static int pov_run(struct run_ctx *ctx)
{
    const struct pov_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;
    bool poweroff = o->test_case && !strcmp(o->test_case, "poweroff_vm");

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, dom, o->speed, o->mig.postcopy && *o->mig.postcopy) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0)
        return -1;
    if (poweroff && pov_verify_states(ctx, dom) < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migration_poweroff_vm = {
    .name = "migration_poweroff_vm",
    .summary = "tp-libvirt's migration_poweroff_vm: the guest powered off (in it, or on the "
               "destination in postcopy) while it migrates; the migration fails, the states "
               "on both sides",
    .needs = { .vms = 1, .hosts = 2, .rows = pov_needs, .rows_last = pov_needs_last },
    .params = pov_params,
    .opts_size = sizeof(struct pov_opts),
    .check = pov_check,
    .setup = pov_setup,
    .run = pov_run,
    .cleanup = pov_cleanup,
};
