/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test type `migrate`: one VM, one hop to the destination host and optionally back,
 * with the post-hop checks after each hop. */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct migrate_opts {
    struct be_migrate_opts mo;      /* migrate_options, with the timeout below */
    double timeout;
    bool back;
    bool admin;                     /* post_migration_admin */
    long main_vm;                   /* index of main_vm in vms */
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct migrate_opts, __VA_ARGS__)
static const struct run_param migrate_params[] = {
    RUN_MIG_OPTIONS_ROW(struct migrate_opts, mo),
    RUN_MIG_BACK_ROW(struct migrate_opts, back),
    RUN_MIG_ADMIN_ROW(struct migrate_opts, admin),
    /* tp-libvirt's one-shot virsh migrate tests pass no --timeout unless the case's
     * words do: none by default (virsh_migrate_stress has its own, 60) */
    { "virsh_migrate_timeout", AT(FLOAT, timeout), .def = "0", RUN_PARAM_MIN(0),
      .unit = "seconds", .doc = "seconds before a hop is aborted; 0 = none" },
    { NULL },
};
#undef AT

static int migrate_check(const struct run_common *c, void *opts)
{
    struct migrate_opts *o = opts;
    if (o->timeout > 0)
        o->mo.timeout_s = o->timeout;
    o->main_vm = run_common_main_vm(c);
    return o->main_vm < 0 ? -1 : 0;
}

static int hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, unsigned n, int from,
               int to, const struct be_migrate_opts *mo, double login)
{
    struct be_hop_metrics m;
    char phase[32];
    memset(&m, 0, sizeof(m));
    run_log(ctx, "hop %u: %s from %s to %s", n, vms->vm[i].name, ctx->hosts[from].name,
            ctx->hosts[to].name);
    double t0 = run_now();
    int rc = virt_vms_migrate(vms, i, to, mo, &m);
    snprintf(phase, sizeof(phase), "hop %u", n);
    run_phase(ctx, phase, t0);
    if (rc < 0) {
        char *why = xstrdup(err_msg());
        virt_vms_record_hop(vms, i, n, from, to, &m, false, why);
        if (m.conn_lost)    /* a daemon went away: the lab's failure, not the hop's */
            run_error(ctx, "ConnectionLost", "%s", why);
        else
            run_fail(ctx, m.timed_out ? "MigrationTimeout" : "MigrationError", "%s", why);
        free(why);
        return -1;
    }
    virt_vms_record_hop(vms, i, n, from, to, &m, true, NULL);
    t0 = run_now();
    rc = mig_vms_check_after_hop(vms, i, from, to, login);
    run_phase(ctx, "post-checks", t0);
    if (rc < 0 && virt_vms_host_lost(vms, to))     /* the lab's failure */
        return run_error(ctx, "ConnectionLost", "after hop %u: %s", n, err_msg());
    if (rc < 0)
        return run_fail(ctx, "PostMigrationCheck", "after hop %u: %s", n, err_msg());
    return 0;
}

static int migrate_run(struct run_ctx *ctx)
{
    const struct migrate_opts *o = ctx->opts;
    struct virt_vms *vms = ctx->data;
    struct be_migrate_opts mo = o->mo;
    double login = ctx->common->login_timeout;
    size_t i = (size_t)o->main_vm;
    double up;

    mo.cancel = ctx->cancel;
    double t0 = run_now();
    if (virt_vms_start(vms, i, 0) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    run_phase(ctx, "start", t0);
    t0 = run_now();
    if (virt_vms_wait_login(vms, i, login) < 0 || virt_vms_uptime(vms, i, &up) < 0)
        return run_error(ctx, "LoginError", "before migration: %s", err_msg());
    run_phase(ctx, "login", t0);
    if (hop(ctx, vms, i, 1, 0, 1, &mo, login) < 0)
        return -1;
    if (o->back && hop(ctx, vms, i, 2, 1, 0, &mo, login) < 0)
        return -1;
    return o->admin ? run_mig_admin(ctx, vms) : 0;
}

const struct run_type run_type_migrate = {
    .name = "migrate",
    .summary = "one VM, one live migration hop to the destination and optionally back",
    .needs = { .vms = 1, .hosts = 2 },
    .params = migrate_params,
    .opts_size = sizeof(struct migrate_opts),
    .check = migrate_check,
    .setup = run_vmtype_setup,
    .run = migrate_run,
    .cleanup = run_vmtype_cleanup,
};
