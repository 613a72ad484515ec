/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test type `migrate`: one VM, one hop to the destination host and optionally back,
 * with the post-hop checks after each hop. */
#include "lib/params.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_type.h"
#include "virt/virt.h"
#include "migration/mig.h"

#include <stdlib.h>
#include <string.h>

static const struct run_param_doc migrate_params[] = {
    { "main_vm", "first of vms", "the VM to migrate" },
    { "migrate_options", "--live --p2p --persistent --undefinesource",
      "virsh migrate flag words (also virsh_migrate_options)" },
    { "virsh_migrate_back", "no", "yes: migrate back to the source after the hop" },
    { "virsh_migrate_timeout", "0", "seconds before a hop is aborted (0: none)" },
    { "login_timeout", "240", "seconds to wait for an SSH login" },
    { "virsh_migrate_desturi", NULL, "destination libvirt URI, over the settings' second host" },
    { "virsh_migrate_migrateuri", NULL, "migration data URI to the destination (tcp://...)" },
    { "migrate_dest_host", NULL, "destination: a settings host name, else qemu+ssh://NAME" },
    { NULL, NULL, NULL },
};

/* Index of main_vm (avocado-vt: main_vm, else the first of vms) in the VM set. */
static size_t main_vm(const struct run_ctx *ctx, const struct virt_vms *vms)
{
    char *m = virt_main_vm(ctx->params);
    size_t i = 0;
    while (m && i < vms->n && strcmp(vms->vm[i].name, m))
        i++;
    free(m);
    return i < vms->n ? i : 0;
}

static int run_migrate_opts(const struct run_ctx *ctx, struct be_migrate_opts *mo)
{
    const char *words = params_get(ctx->params, "virsh_migrate_options");
    if (!words)
        words = params_get_or(ctx->params, "migrate_options",
                              "--live --p2p --persistent --undefinesource");
    memset(mo, 0, sizeof(*mo));
    if (mig_opts_parse(words, mo) < 0)
        return -1;
    double t = params_get_float(ctx->params, "virsh_migrate_timeout", 0, NULL);
    if (t > 0)
        mo->timeout_s = t;
    mo->cancel = ctx->cancel;
    return 0;
}

static int hop(struct run_ctx *ctx, struct virt_vms *vms, size_t i, unsigned n, int from,
               int to, const struct be_migrate_opts *mo, double login)
{
    struct be_hop_metrics m;
    memset(&m, 0, sizeof(m));
    run_log(ctx, "hop %u: %s from %s to %s", n, vms->vm[i].name, ctx->hosts[from].name,
            ctx->hosts[to].name);
    if (virt_vms_migrate(vms, i, to, mo, &m) < 0) {
        char *why = xstrdup(err_msg());
        virt_vms_record_hop(vms, i, n, from, to, &m, false, why);
        run_fail(ctx, m.timed_out ? "MigrationTimeout" : "MigrationError", "%s", why);
        free(why);
        return -1;
    }
    virt_vms_record_hop(vms, i, n, from, to, &m, true, NULL);
    if (mig_vms_check_after_hop(vms, i, from, to, login) < 0)
        return run_fail(ctx, "PostMigrationCheck", "after hop %u: %s", n, err_msg());
    return 0;
}

static int migrate_run(struct run_ctx *ctx)
{
    struct virt_vms *vms = ctx->data;
    struct be_migrate_opts mo;
    double login = params_get_float(ctx->params, "login_timeout", 240, NULL);
    size_t i = main_vm(ctx, vms);
    double up;

    if (run_migrate_opts(ctx, &mo) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    if (virt_vms_start(vms, i, 0) < 0)
        return run_error(ctx, "VMCreateError", "%s", err_msg());
    if (virt_vms_wait_login(vms, i, login) < 0 || virt_vms_uptime(vms, i, &up) < 0)
        return run_error(ctx, "LoginError", "before migration: %s", err_msg());
    if (hop(ctx, vms, i, 1, 0, 1, &mo, login) < 0)
        return -1;
    if (params_get_bool(ctx->params, "virsh_migrate_back", false, NULL)
        && hop(ctx, vms, i, 2, 1, 0, &mo, login) < 0)
        return -1;
    return 0;
}

const struct run_type run_type_migrate = {
    .name = "migrate",
    .summary = "one VM, one live migration hop to the destination and optionally back",
    .needs = RUN_NEEDS_VMS | RUN_NEEDS_TWO_HOSTS,
    .params = migrate_params,
    .setup = run_vmtype_setup,
    .run = migrate_run,
    .cleanup = run_vmtype_cleanup,
};
