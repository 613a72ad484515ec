/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tp-libvirt migration types that are MigrationBase's steps and little else, one
 * driver for all, a row of bc_kinds each (what differs: a suspend before, the events
 * watched, the verify step):
 *
 *  - `async_job` (migration/async_job/async_job.py), `migration_domjobinfo`
 *    (async_job/migration_domjobinfo.py), `non_live_migration`
 *    (non_live_migration/non_live_migration.py), `pause_resume_vm_during_migration`
 *    (async_ops/), `suspend_virsh_during_migration`
 *    (destructive_operations_around_live_migration/): setup_connection, (events:
 *    migration_base.monitor_event), run_migration, verify_default, (events:
 *    check_event_output);
 *  - `migration_vm_configuration_and_status` (vm_configuration_and_status/): test_case
 *    suspend_target_vm's verify: the destination's domain is check_dest_state, resumed
 *    there (`virsh resume`), then verify_default;
 *  - `migrate_paused_vm` (migrate_vm_in_various_status/): the guest suspended (`virsh
 *    suspend`) before run_migration; after verify_default, migrate_vm_back: the
 *    destination migrates it back (options + extra, no actions) and the source's
 *    domain must be src_state;
 *  - `query_domain_job_info` (migration_with_copy_storage/async_job/): its guest's disk
 *    is the source's own (storage_type file), copied by the migration;
 *  - `migrate_event` (migration/migrate_event.py, not a MigrationBase case but the
 *    same steps): monitor_event, the migration to the destination host's URI, then
 *    check_event_output and post_migration_check (its default options, '--live --p2p
 *    --persistent --verbose', are not kept: its cases all set theirs).
 *
 * run_migration (runner/run_base.h): migrate_speed (and for postcopy too), stress in
 * the guest (stress_package), the migration with action_during_mig on the timeline
 * engine judged by status_error / err_msg.  verify_default: post_migration_check after
 * a migration that succeeded (its 25 s sleep is not kept: nothing is judged in it).
 * storage_type nfs: the guest's disk on the settings' shared_dir (else CANCEL).
 *
 * migration_domjobinfo's verify_test: verify_default, then domjobinfo --completed on
 * both sides against expected_domjobinfo_complete (query_domain_job_info's: the check
 * first), as libvirt_monitor.check_domjobinfo_output (runner/run_tl_jobinfo.c).
 *
 * Not built: the actions without a step (MigrationTest().do_cancel): such a case is an
 * ERROR naming them.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_cs.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_vmconf.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* What a type's run_test does beyond setup_connection / run_migration / verify_default. */
enum bc_verify {
    BC_VERIFY_DEFAULT,
    BC_VERIFY_SUSPEND_TARGET,       /* test_case suspend_target_vm */
    BC_VERIFY_MIGRATE_BACK,         /* migrate_vm_back, then src_state on the source */
    BC_VERIFY_JOBINFO_AFTER,        /* verify_default, then domjobinfo --completed */
    BC_VERIFY_JOBINFO_BEFORE,       /* domjobinfo --completed, then verify_default */
};

struct bc_kind {
    const char *type;
    bool suspend_first;             /* virsh suspend before run_migration */
    bool events;                    /* monitor_event / check_event_output */
    enum bc_verify verify;
};

static const struct bc_kind bc_kinds[] = {
    { "async_job", false, false, BC_VERIFY_DEFAULT },
    { "migration_domjobinfo", false, false, BC_VERIFY_JOBINFO_AFTER },
    { "non_live_migration", false, true, BC_VERIFY_DEFAULT },
    { "pause_resume_vm_during_migration", false, true, BC_VERIFY_DEFAULT },
    { "suspend_virsh_during_migration", false, true, BC_VERIFY_DEFAULT },
    { "migration_vm_configuration_and_status", false, false, BC_VERIFY_SUSPEND_TARGET },
    { "migrate_paused_vm", true, false, BC_VERIFY_MIGRATE_BACK },
    { "query_domain_job_info", false, false, BC_VERIFY_JOBINFO_BEFORE },
    { "migrate_event", false, true, BC_VERIFY_DEFAULT },
};

static const struct bc_kind *bc_kind_of(const struct run_ctx *ctx)
{
    for (size_t k = 0; k < ARRAY_SIZE(bc_kinds); k++)
        if (ctx->type && !strcmp(bc_kinds[k].type, ctx->type->name))
            return &bc_kinds[k];
    return &bc_kinds[0];
}

struct bc_opts {
    struct run_base_mig mig;
    bool status_error, network_check, disk_check, migrate_back;
    const char *err_msg, *dest_state, *src_state, *speed, *stress_tool, *stress_args;
    const char *events_src, *events_dst, *storage_type, *test_case, *check_dest_state;
    const char *back_state, *jobinfo_complete;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct bc_opts, __VA_ARGS__)
static const struct run_param bc_params[] = {
    RUN_BASE_MIG_ROWS(struct bc_opts, mig),
    RUN_BASE_POST_ROWS(struct bc_opts),
    { "status_error", AT(BOOL, status_error), .def = "no", .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text ('error: ...') must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    { "stress_package", AT(STR, stress_tool),
      .doc = "a stress tool run in the guest before the migration" },
    { "stress_args", AT(STR, stress_args), .def = "--cpu 4 --io 4 --vm 2 --vm-bytes 256M",
      .doc = "its arguments" },
    { "expected_event_src", AT(STR, events_src),
      .doc = "a list of regexes the source's events must show (types with events)" },
    { "expected_event_target", AT(STR, events_dst),
      .doc = "a list of regexes the destination's events must show (types with events)" },
    { "storage_type", AT(STR, storage_type),
      .doc = "nfs: the guest's disk on the shared storage; else the source's own" },
    { "test_case", AT(STR, test_case), .def = "",
      .doc = "migration_vm_configuration_and_status: suspend_target_vm's verify" },
    { "check_dest_state", AT(STR, check_dest_state), .def = "paused",
      .doc = "suspend_target_vm: the destination's state before it is resumed" },
    { "migrate_vm_back", AT(BOOL, migrate_back), .def = "no",
      .doc = "migrate_paused_vm: migrate back from the destination after the checks" },
    { "expected_domjobinfo_complete", AT(STR, jobinfo_complete),
      .doc = "migration_domjobinfo, query_domain_job_info: the items domjobinfo "
             "--completed must show on each side after the migration" },
    { "src_state", AT(STR, back_state), .def = "paused",
      .doc = "migrate_paused_vm: the source's state after the migration back" },
    { NULL },
};
#undef AT

static int bc_check(const struct run_common *c, void *opts)
{
    struct bc_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static bool bc_resume_during(const struct params *p)
{
    const char *acts = params_get(p, "action_during_mig");
    return acts && strstr(acts, "check_resume");
}

/* check_resume's `virsh resume` waits libvirt's 30 s for the migration job's state
 * change lock and must fail with "cannot acquire state change lock (held by
 * ...Migrate...)": the migration has to outlast that wait.  The case's guest at
 * migrate_speed 5 MiB/s does; the TCG lab's (about 126 MB sent) is done within about
 * 25 s, and the resume then fails with "domain is not running" (seen on the lab). */
static const struct run_need bc_needs[] = {
    { "kvm", .types = "pause_resume_vm_during_migration", .applies = bc_resume_during,
      .capability = "kvm",
      .text = "KVM guests of the case's memory: check_resume's resume must time out on "
              "the migration job's lock (30 s), which the small TCG guest's migration "
              "does not outlast" },
    /* its first check_domjobinfo_output runs 5 s after the migration starts (no event
     * to wait for, no migrate_speed): a copy of the guest's disk and memory that is
     * still running then; the lab's small TCG guest is migrated, disk and all, in
     * about 4.5 s, its domjobinfo then "domain is not running" (seen on the lab) */
    { "kvm", .types = "query_domain_job_info", .when = { { "copy_storage_option" } },
      .capability = "kvm",
      .text = "KVM guests with a disk whose --copy-storage migration outlasts the "
              "first domjobinfo check's 5 s (the small TCG guest's is over before)" },
    { NULL },
};

static const struct run_need bc_needs_last[] = {
    RUN_CS_NEED_UNBUILT,
    { NULL },
};

static bool bc_shared(const struct bc_opts *o)
{
    return o->storage_type && !strcmp(o->storage_type, "nfs");
}

struct bc_state {
    struct virt_vms vms;            /* first: run_vmtype_cleanup's view */
    struct params *params;          /* storage_type file: the case's, the clone's dir */
    struct run_base_events *ev_src, *ev_dst;
};

static int bc_setup(struct run_ctx *ctx)
{
    const struct bc_opts *o = ctx->opts;
    struct bc_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (!bc_shared(o))
        return run_cs_vmset_setup(ctx, &st->vms, &st->params);
    if (!ctx->hosts[0].shared_dir)
        return run_cancel(ctx, "shared storage (storage_type = nfs): the settings give host "
                          "%s no shared_dir", ctx->hosts[0].name);
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    return 0;
}

static void bc_cleanup(struct run_ctx *ctx)
{
    struct bc_state *st = ctx->data;
    if (!st)
        return;
    run_base_events_free(st->ev_src);
    run_base_events_free(st->ev_dst);
    run_vmset_cleanup(ctx, &st->vms);
    params_free(st->params);
    free(st);
    ctx->data = NULL;
}

/* `virsh WORD DOM` on host h, its failure the test's ERROR (ignore_status=False). */
static int bc_virsh_dom(struct run_ctx *ctx, int h, const char *word, const char *dom)
{
    const char *argv[] = { word, dom, NULL };
    if (run_vmconf_virsh(ctx, h, argv, NULL) < 0)
        return run_error(ctx, "CmdError", "%s", err_msg());
    return 0;
}

/* verify_test's libvirt_monitor.check_domjobinfo_output(options="--completed") with
 * expected_domjobinfo_complete (runner/run_tl_jobinfo.c). */
static int bc_jobinfo_complete(struct run_ctx *ctx, struct virt_vms *vms, size_t i)
{
    const struct bc_opts *o = ctx->opts;
    struct pylit exp;
    if (!o->jobinfo_complete || pylit_parse(o->jobinfo_complete, &exp) < 0)
        return run_error(ctx, "TypeError", "expected_domjobinfo_complete: %s",
                         o->jobinfo_complete ? err_msg() : "unset (eval(None))");
    struct strbuf why = STRBUF_INIT;
    enum mig_tl_verdict v = run_jobinfo_check(ctx, vms, i, 0, 1, &exp, "--completed",
                                              o->mig.postcopy, &why);
    pylit_release(&exp);
    int rc = v == MIG_TL_OK ? 0
             : v == MIG_TL_FAIL ? run_fail(ctx, "TestFail", "%s", why.buf)
             : run_error(ctx, "TestError", "%s", why.buf);
    strbuf_release(&why);
    return rc;
}

static int bc_verify(struct run_ctx *ctx, const struct bc_kind *k, struct virt_vms *vms,
                     size_t i, bool migrated)
{
    const struct bc_opts *o = ctx->opts;
    const char *dom = vms->vm[i].domain;
    if (k->verify == BC_VERIFY_JOBINFO_BEFORE && bc_jobinfo_complete(ctx, vms, i) < 0)
        return -1;
    if (k->verify == BC_VERIFY_SUSPEND_TARGET && !strcmp(o->test_case, "suspend_target_vm")) {
        char *what = xasprintf("Migrated VMs failed to be in %s state at destination",
                               o->check_dest_state);
        int rc = run_vmconf_state_is(ctx, 1, dom, o->check_dest_state, what);
        free(what);
        if (rc < 0 || bc_virsh_dom(ctx, 1, "resume", dom) < 0)
            return -1;
    }
    if (migrated && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                        o->network_check, o->disk_check) < 0)
        return -1;
    if (k->verify == BC_VERIFY_JOBINFO_AFTER && bc_jobinfo_complete(ctx, vms, i) < 0)
        return -1;
    if (k->verify == BC_VERIFY_MIGRATE_BACK && o->migrate_back) {
        int rc = run_base_migrate_back(ctx, vms, i, &o->mig);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return run_fail(ctx, "MigrationError", "Failed to migrate %s back", dom);
        if (run_vmconf_state_is(ctx, 0, dom, o->back_state, "Check vm state failed") < 0)
            return -1;
    }
    return 0;
}

static int bc_run(struct run_ctx *ctx)
{
    const struct bc_opts *o = ctx->opts;
    const struct bc_kind *k = bc_kind_of(ctx);
    struct bc_state *st = ctx->data;
    struct virt_vms *vms = &st->vms;
    size_t i = (size_t)o->main_vm;
    const char *dom = vms->vm[i].domain;

    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    if (k->suspend_first && bc_virsh_dom(ctx, 0, "suspend", dom) < 0)
        return -1;
    if (k->events && ((o->events_src && !(st->ev_src = run_base_events_start(ctx, 0))) ||
                      (o->events_dst && !(st->ev_dst = run_base_events_start(ctx, 1)))))
        return -1;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, dom, o->speed, o->mig.postcopy && *o->mig.postcopy) < 0)
        return -1;
    if (o->stress_tool && *o->stress_tool &&
        run_tl_guest_stress(ctx, vms, i, o->stress_tool, o->stress_args) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0 || bc_verify(ctx, k, vms, i, rc == 1) < 0)
        return -1;
    if ((st->ev_src && run_base_events_check(ctx, st->ev_src, "expected_event_src",
                                             o->events_src) < 0) ||
        (st->ev_dst && run_base_events_check(ctx, st->ev_dst, "expected_event_target",
                                             o->events_dst) < 0))
        return -1;
    return 0;
}

#define BC_TYPE(id, summ)                                                                 \
    const struct run_type run_type_##id = {                                               \
        .name = #id,                                                                      \
        .summary = summ,                                                                  \
        .needs = { .vms = 1, .hosts = 2, .rows = bc_needs, .rows_last = bc_needs_last },                    \
        .params = bc_params,                                                              \
        .opts_size = sizeof(struct bc_opts),                                              \
        .check = bc_check,                                                                \
        .setup = bc_setup,                                                                \
        .run = bc_run,                                                                    \
        .cleanup = bc_cleanup,                                                            \
    }

BC_TYPE(async_job, "tp-libvirt's async_job: domjobabort with the wrong --postcopy flag "
                   "during a migration fails, the migration then succeeds");
BC_TYPE(migration_domjobinfo, "tp-libvirt's migration_domjobinfo: domjobinfo on both "
                              "sides during and after a migration");
BC_TYPE(non_live_migration, "tp-libvirt's non_live_migration: a migration without --live "
                            "(the guest paused first), its events");
BC_TYPE(pause_resume_vm_during_migration, "tp-libvirt's pause_resume_vm_during_migration: "
                                          "the guest suspended during the migration, a "
                                          "resume refused on either side");
BC_TYPE(suspend_virsh_during_migration, "tp-libvirt's suspend_virsh_during_migration: the "
                                        "migrating virsh client stopped (SIGTSTP)");
BC_TYPE(migration_vm_configuration_and_status,
        "tp-libvirt's migration_vm_configuration_and_status: --suspend leaves the guest "
        "paused on the destination, resumed there");
BC_TYPE(migrate_paused_vm, "tp-libvirt's migrate_paused_vm: a paused guest migrates (and "
                           "back) paused, or its migration is aborted");
BC_TYPE(migrate_event, "tp-libvirt's migrate_event: the events of both sides around a "
                       "migration aborted in its perform phase");
BC_TYPE(query_domain_job_info, "tp-libvirt's query_domain_job_info: domjobinfo during a "
                               "copy-storage migration");
