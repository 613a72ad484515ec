/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two actions of tp-libvirt's provider/migration/migration_base.py as steps of the
 * timeline engine (runner/run_tl.h):
 *
 *  - poweroff_vm(params): `poweroff` in the guest, its errors ignored
 *    (ignore_all_errors).  The reference types it in the session it opened before the
 *    migration, or (poweroff_vm_dest = yes) in a serial console login on the
 *    destination; vtrun types it over the guest's SSH login, which reaches the guest
 *    wherever it runs: the same guest powers off on the same host.
 *  - execute_statistics_command(params): loop_time times, for every disk of the
 *    domain of type loop_disk_type (default: file disks) on the source, `virsh
 *    domblkstat DOM TARGET` and `virsh domblkinfo DOM SOURCE`, then `virsh domstats
 *    DOM` and `virsh dommemstat DOM`; the reference calls them with
 *    ignore_status=False, so one that fails is the test's ERROR.
 */
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_tl.h"
#include "runner/run_type.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

#include <stdlib.h>
#include <string.h>

/* how long the guest's `poweroff` may keep its login open (the reference's session
 * waits for a prompt that never comes, its error ignored) */
#define GUEST_POWEROFF_WAIT_S 20

RUN_TL_MOS_STEP(run_tl_guest_poweroff)
{
    (void)a;
    (void)why;
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    bool dest = !strcmp(params_get_or(run_tl_run_params(t), "poweroff_vm_dest", "no"), "yes");
    int status = -1;
    /* backgrounded so the login returns before the guest's network goes down */
    int rc = virt_vms_exec(h->vms, h->vm, "(sleep 1; poweroff) >/dev/null 2>&1 &",
                           GUEST_POWEROFF_WAIT_S, NULL, &status);
    run_log(ctx, "poweroff in the guest (%s): %s", dest ? "on the destination" : "its session",
            rc < 0 ? err_msg() : "sent");
    return MIG_TL_OK;
}

/* One disk row of `virsh domblklist --details` ("Type Device Target Source"). */
struct guest_disk {
    char *type, *device, *target, *source;
};

/* The rows of domblklist --details output in text, device "disk" of type want. */
static size_t guest_disks(char *text, const char *want, struct guest_disk *d, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        char *w[4] = { NULL }, *s2 = NULL;
        size_t k = 0;
        for (char *tok = strtok_r(line, " \t", &s2); tok && k < 4; tok = strtok_r(NULL, " \t", &s2))
            w[k++] = tok;
        if (k == 4 && !strcmp(w[0], want) && !strcmp(w[1], "disk"))
            d[n++] = (struct guest_disk){ w[0], w[1], w[2], w[3] };
    }
    return n;
}

/* `virsh words` on the source; an ERROR (why) when it cannot run or fails. */
static enum mig_tl_verdict guest_virsh(struct run_ctx *ctx, int host, const char *const *words,
                                       struct run_virsh *r, struct strbuf *why)
{
    run_virsh_release(r);
    *r = (struct run_virsh)RUN_VIRSH_INIT;
    if (run_virsh_words(ctx, host, words, r) < 0 || r->status) {
        strbuf_addf(why, "virsh %s %s: %s", words[0], words[1],
                    r->status > 0 ? r->err.buf : err_msg());
        return MIG_TL_ERROR;
    }
    return MIG_TL_OK;
}

RUN_TL_MOS_STEP(run_tl_guest_statistics)
{
    (void)a;
    struct run_tl_hop *h = run_tl_run_hop(t);
    struct run_ctx *ctx = run_tl_run_ctx(t);
    const struct params *p = run_tl_run_params(t);
    const char *dom = h->vms->vm[h->vm].domain;
    const char *type = params_get_or(p, "loop_disk_type", "file");
    long loops = strtol(params_get_or(p, "loop_time", "1"), NULL, 10);
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *list[] = { "domblklist", dom, "--details", NULL };
    enum mig_tl_verdict v = guest_virsh(ctx, h->from, list, &r, why);
    char *text = v == MIG_TL_OK ? xstrdup(r.out.buf) : NULL;
    struct guest_disk d[16];
    size_t nd = text ? guest_disks(text, *type ? type : "file", d, 16) : 0;
    run_log(ctx, "execute_statistics_command: %zu %s disk(s), %ld time(s)", nd, type, loops);
    for (long n = 0; n < loops && v == MIG_TL_OK; n++) {
        for (size_t k = 0; k < nd && v == MIG_TL_OK; k++) {
            const char *stat[] = { "domblkstat", dom, d[k].target, NULL };
            const char *info[] = { "domblkinfo", dom, d[k].source, NULL };
            v = guest_virsh(ctx, h->from, stat, &r, why);
            if (v == MIG_TL_OK)
                v = guest_virsh(ctx, h->from, info, &r, why);
        }
        const char *stats[] = { "domstats", dom, NULL };
        const char *mem[] = { "dommemstat", dom, NULL };
        if (v == MIG_TL_OK)
            v = guest_virsh(ctx, h->from, stats, &r, why);
        if (v == MIG_TL_OK)
            v = guest_virsh(ctx, h->from, mem, &r, why);
    }
    free(text);
    run_virsh_release(&r);
    return v;
}
