/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test types whose tp-libvirt module is MigrationBase's plain walk (setup_connection,
 * run_migration, verify_default) on the timeline engine (runner/run_tl.h) with
 * base_steps' shared steps (runner/run_base.h):
 *
 *  - abort_by_domjobabort_on_target (libvirt/tests/src/migration/
 *    abort_precopy_migration/abort_by_domjobabort_on_target.py): do_domjobabort on the
 *    destination at the first iteration must fail (domjobabort_err_msg), the
 *    migration succeed;
 *  - migrate_vm_again_during_migration (async_ops/migrate_vm_again_during_migration.py):
 *    do_migration at the first iteration must fail (err_msg_during_mig,
 *    runner/run_tl_nested.c), the first migration succeed;
 *  - qemu_err_incoming_migration (migration_misc/qemu_err_incoming_migration.py): a
 *    hugepage-backed guest and too few hugepages on the destination; the hosts'
 *    hugepages are a need, and its hugepage setup is not built (an ERROR naming it);
 *  - abort_before_qemu_layer_mig_start (async_job/abort_before_qemu_layer_mig_start.py):
 *    the destination's daemon paused (SIGSTOP) before a migration a domjobabort ends
 *    3 s in; not built (abort_mig names it: an ERROR).
 *
 * The walk: the VM started and logged into, migrate_speed set (postcopy too with
 * postcopy_options), the migration with action_during_mig judged by status_error /
 * err_msg, verify_default after one that succeeded.  What the reference does and
 * vtrun does not build (bf_unbuilt_rows, an action without a step) is an ERROR.
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_base.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

struct bf_opts {
    struct run_base_mig mig;
    bool status_error;
    const char *err_msg, *speed;
    const char *dest_state, *src_state;     /* RUN_BASE_POST_ROWS */
    bool network_check, disk_check;
    long main_vm;
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct bf_opts, __VA_ARGS__)
static const struct run_param bf_params[] = {
    RUN_BASE_MIG_ROWS(struct bf_opts, mig),
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "the migration must fail" },
    { "err_msg", AT(REGEX, err_msg),
      .doc = "with status_error: a regex the error text must match" },
    { "migrate_speed", AT(STR, speed), .doc = "MiB/s set before the migration" },
    RUN_BASE_POST_ROWS(struct bf_opts),
    { NULL },
};
#undef AT

/* The reference's setups vtrun does not build for these types. */
static const struct run_base_unbuilt bf_unbuilt_rows[] = {
    { "set_remote_libvirtd_log", "yes" },
    { "check_cont_ping", "yes" },
    { "check_vm_conn_before_migration", "yes" },
    { "transport_type", "tls" },
    { "transport_type", "unix_proxy" },
    { "migrate_desturi_type", "tls" },
    { "migrate_desturi_type", "unix_proxy" },
    /* qemu_err_incoming_migration: hugepages reserved on both hosts, hugetlbfs
     * mounted on the destination, the guest backed by them */
    { "setup_hugepages", "yes" },
    /* abort_before_qemu_layer_mig_start: the destination's daemon paused (SIGSTOP)
     * before the migration, a domjobabort 3 s in, the daemon continued */
    { "abort_mig", "domjobabort" },
};

/* ... and any value of these: do_migration's own actions and postcopy words (built
 * by runner/run_tl_nested.c, not yet checked with these types) */
static const char *const bf_unbuilt_any[] = { "action_during_do_mig",
                                              "postcopy_options_during_mig" };

static const char *bf_unbuilt_param(const struct params *p, const char **val)
{
    for (size_t k = 0; k < ARRAY_SIZE(bf_unbuilt_any); k++) {
        const char *v = params_get(p, bf_unbuilt_any[k]);
        if (v && *v) {
            *val = v;
            return bf_unbuilt_any[k];
        }
    }
    return run_base_unbuilt_param(bf_unbuilt_rows, ARRAY_SIZE(bf_unbuilt_rows), p, val);
}

static bool bf_unbuilt_applies(const struct params *p)
{
    const char *v;
    return bf_unbuilt_param(p, &v) || run_base_actions_unbuilt(p);
}

static int bf_unbuilt_met(const struct run_need *n, const struct params *p,
                          struct run_facts *f, struct strbuf *why)
{
    const char *v = NULL, *param = bf_unbuilt_param(p, &v);
    (void)f;
    (void)why;
    return run_base_unbuilt_verdict(n->types, param, v, p);
}

static bool bf_built(const struct params *p)
{
    return !bf_unbuilt_applies(p);
}

/* A type's row (NEEDS_NONE: none), then "not built". */
#define NEEDS_NONE { NULL }
#define BF_NEEDS(id, type, row)                                                           \
    static const struct run_need id##_needs[] = { row, { NULL } };                        \
    static const struct run_need id##_needs_last[] = {                                    \
        { "not built", .types = type, .applies = bf_unbuilt_applies,                      \
          .met = bf_unbuilt_met,                                                          \
          .met_doc = "a setup or an action vtrun does not build yet (ERROR)",             \
          .text = "a setup of the reference vtrun does not build yet" },                  \
        { NULL },                                                                         \
    }
/* abort_by_domjobabort_on_target's err_msg is libvirt's 30 s wait for the destination's
 * job lock running out while the migration holds it: the reference's guest is still
 * migrating 30 s after the abort; the lab's 128 MiB TCG guest at 10-15 MiB/s was
 * migrated before (seen: the domjobabort waited 5.5 s, then "no job is active on the
 * domain"). */
#define BF_LONG_MIGRATION                                                                 \
    { "kvm", .applies = bf_built, .capability = "kvm",                                    \
      .text = "KVM guests with the reference's memory: a migration at 10-15 MiB/s that "  \
              "outlasts libvirt's 30 s wait for the destination's job lock (the error "   \
              "the case expects), which a 128 MiB TCG guest's migration ends before" }
BF_NEEDS(ja, "abort_by_domjobabort_on_target", BF_LONG_MIGRATION);
BF_NEEDS(ma, "migrate_vm_again_during_migration", NEEDS_NONE);
BF_NEEDS(qe, "qemu_err_incoming_migration", NEEDS_NONE);
BF_NEEDS(ab, "abort_before_qemu_layer_mig_start", NEEDS_NONE);

static int bf_check(const struct run_common *c, void *opts)
{
    struct bf_opts *o = opts;
    return run_base_check(c, &o->mig, &o->main_vm);
}

static int bf_run(struct run_ctx *ctx)
{
    const struct bf_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    size_t i = (size_t)o->main_vm;
    if (run_vmtype_prepare(ctx, vms, i, true, true) < 0)
        return -1;
    bool both = o->mig.postcopy && *o->mig.postcopy;
    if (o->speed && *o->speed &&
        run_base_setspeed(ctx, 0, vms->vm[i].domain, o->speed, both) < 0)
        return -1;
    int rc = run_base_hop(ctx, vms, i, &o->mig, false, o->status_error, o->err_msg);
    if (rc < 0)
        return -1;
    if (rc == 1 && run_base_post_check(ctx, vms, i, 0, 1, o->dest_state, o->src_state,
                                       o->network_check, o->disk_check) < 0)
        return -1;
    return 0;
}

#define BF_TYPE(id, tname, text)                                                          \
    const struct run_type run_type_##tname = {                                            \
        .name = #tname,                                                                   \
        .summary = text,                                                                  \
        .needs = { .vms = 1, .hosts = 2, .rows = id##_needs, .rows_last = id##_needs_last }, \
        .params = bf_params,                                                              \
        .opts_size = sizeof(struct bf_opts),                                              \
        .check = bf_check,                                                                \
        .setup = run_vmtype_setup,                                                        \
        .run = bf_run,                                                                    \
        .cleanup = run_vmtype_cleanup,                                                    \
    }

BF_TYPE(ja, abort_by_domjobabort_on_target,
        "tp-libvirt's abort_by_domjobabort_on_target: a domjobabort on the destination "
        "during the migration fails as expected, the migration succeeds");
BF_TYPE(ma, migrate_vm_again_during_migration,
        "tp-libvirt's migrate_vm_again_during_migration: a second virsh migrate during "
        "the migration fails (another migration job), the first succeeds");
BF_TYPE(qe, qemu_err_incoming_migration,
        "tp-libvirt's qemu_err_incoming_migration: the destination's QEMU cannot back a "
        "hugepage guest; the migration fails with QEMU's error");
BF_TYPE(ab, abort_before_qemu_layer_mig_start,
        "tp-libvirt's abort_before_qemu_layer_mig_start: a domjobabort before QEMU's "
        "migration starts (the destination's daemon paused), then a migration again");
