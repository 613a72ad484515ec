/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_admin: guest administration after the last hop (migration/mig_admin.c), each
 * step a check of the test with its time. */
#include <stdio.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_mig.h"
#include "virt/virt.h"

/* Where a save file goes on a host: libvirt's own directory for them, unless the
 * settings name the host's image directory (a real host's disk, not tmpfs). */
#define ADMIN_SAVE_DIR "/var/lib/libvirt/qemu/save"

struct admin_report {
    struct run_ctx *ctx;
    const char *vm;
};

static void report(void *ud, const char *step, enum mig_pc_verdict v, double secs,
                   const char *msg)
{
    static const enum res_status status[] = {
        [MIG_PC_PASS] = RES_PASS, [MIG_PC_FAIL] = RES_FAIL, [MIG_PC_RETRY] = RES_FAIL,
        [MIG_PC_SKIP] = RES_SKIP,
    };
    struct admin_report *r = ud;
    char *name = xasprintf("admin.%s.%s", step, r->vm);
    char *text = v == MIG_PC_SKIP ? xstrdup(msg ? msg : "skipped")
                 : xasprintf("%.2f s%s%s", secs, msg ? ": " : "", msg ? msg : "");
    if (r->ctx->res)
        res_test_check(r->ctx->res, name, "error", status[v], text);
    else
        run_log(r->ctx, "guest administration %s: %s", name, text);
    free(text);
    free(name);
}

int run_mig_admin(struct run_ctx *ctx, struct virt_vms *vms)
{
    double t0 = run_now();
    int ret = 0;
    for (size_t i = 0; i < vms->n && ret == 0; i++) {
        int h = vms->vm[i].host;
        if (h < 0)
            continue;       /* never started (migrate moves main_vm only) */
        const char *dir = ADMIN_SAVE_DIR;
        if (vms->be->local_hosts)
            dir = ctx->outdir ? ctx->outdir : "/tmp";
        else if (h >= 0 && (size_t)h < ctx->nhosts && ctx->hosts[h].images_dir)
            dir = ctx->hosts[h].images_dir;
        struct mig_admin_opts o = { dir, ctx->common->login_timeout, 30 };
        struct admin_report r = { ctx, vms->vm[i].name };
        run_log(ctx, "guest administration of %s on %s", vms->vm[i].name,
                virt_vms_host_name(vms, h));
        if (mig_admin_run(vms, i, &o, report, &r) < 0)
            ret = run_fail(ctx, "AdminStepFailed", "%s on %s: %s", vms->vm[i].name,
                           virt_vms_host_name(vms, h), err_msg());
    }
    run_phase(ctx, "admin", t0);
    return ret;
}
