/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tp-libvirt's migration_base.destroy_dest_vm(params) as a step of the timeline engine
 * (runner/run_tl.h): `virsh destroy main_vm` on the destination (its
 * virsh_migrate_desturi), with ignore_status=False: a destroy that fails raises
 * (CmdError), the test's ERROR.  The domain is the hop's (the config's main_vm names
 * the same VM).
 */
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

RUN_TL_MOS_STEP(run_tl_destroy_dest)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const char *words[] = { "destroy", h->vms->vm[h->vm].domain, NULL };
    struct run_virsh r = RUN_VIRSH_INIT;
    enum mig_tl_verdict v = MIG_TL_OK;
    (void)a;
    if (run_virsh_words(ctx, h->to, words, &r) < 0) {
        strbuf_addf(why, "virsh destroy on the destination: %s", err_msg());
        v = MIG_TL_ERROR;
    } else if (r.status) {
        strbuf_addf(why, "CmdError: virsh destroy %s on %s: exit %d: %s", words[1],
                    ctx->hosts[h->to].name, r.status, r.err.buf);
        v = MIG_TL_ERROR;
    }
    run_virsh_release(&r);
    return v;
}
