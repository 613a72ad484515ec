/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_tl_perform: the destructive steps tp-libvirt's PerformPhase cases run during a
 * migration (kill_qemu_during_performphase, destroy_vm_during_performphase), as
 * engine steps (runner/run_tl.h):
 *
 *  - libvirt_service.kill_service with service_name = qemu-kvm: avocado-vt runs
 *    `kill -9 $(pidof qemu-kvm)` on the source, or (service_on_dst) over SSH on the
 *    destination, where the test's guest is the only QEMU.  vtrun's hosts may run other
 *    guests (other jobs, other labs on one machine): only the QEMU of the test's
 *    domain on that host is killed, the PID libvirt wrote for it.  No QEMU there is
 *    the test's ERROR, as kill's failure is there (ignore_status=False).
 *  - virsh.destroy with a dict func_param ({"name": main_vm, "uri": desturi}): virsh
 *    destroy of the domain on the host the URI names (the destination), or the source
 *    without a uri; its exit status is not judged (virsh.* ignore it by default).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/params.h"
#include "lib/pylit.h"
#include "lib/strbuf.h"
#include "migration/mig.h"
#include "runner/run_tl.h"
#include "runner/run_virsh.h"
#include "virt/virt.h"

/* a host command of a step: a hang is the step's failure */
#define PERFORM_CMD_TIMEOUT_S 30

/* The PID libvirt keeps for domain dom's QEMU on host h (/run/libvirt/qemu/DOM.pid),
 * or 0 with why set. */
static long perform_qemu_pid(struct run_ctx *ctx, struct virt_host *link, int h,
                             const char *dom, struct strbuf *why)
{
    struct strbuf out = STRBUF_INIT;
    char *pidfile = xasprintf("/run/libvirt/qemu/%s.pid", dom);
    int status = -1;
    long pid = 0;
    if (virt_host_run(link, (const char *[]){ "cat", "--", pidfile, NULL },
                      PERFORM_CMD_TIMEOUT_S, &out, NULL, &status) < 0 || status)
        strbuf_addf(why, "no QEMU of %s on %s (%s)", dom, ctx->hosts[h].name, pidfile);
    else {
        char *end = NULL;
        pid = strtol(out.buf, &end, 10);
        if (pid <= 0 || end == out.buf || end[strspn(end, " \t\r\n")]) {
            strbuf_addf(why, "%s on %s: '%s' is no PID", pidfile, ctx->hosts[h].name,
                        out.buf);
            pid = 0;
        }
    }
    free(pidfile);
    strbuf_release(&out);
    return pid;
}

enum mig_tl_verdict run_tl_kill_qemu_service(struct tl_run *t, const struct mig_action *a,
                                             struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct params *p = run_tl_run_params(t);
    bool dst = !strcmp(params_get_or(p, "service_on_dst", "no"), "yes");
    int host = dst ? h->to : h->from;
    const char *dom = h->vms->vm[h->vm].domain;
    (void)a;
    struct virt_host *link = run_host_link(ctx, host);
    if (!link) {
        strbuf_addf(why, "%s", err_msg());
        return MIG_TL_ERROR;
    }
    long pid = perform_qemu_pid(ctx, link, host, dom, why);
    if (!pid)
        return MIG_TL_ERROR;
    char spid[32];
    snprintf(spid, sizeof(spid), "%ld", pid);
    int status = -1;
    if (virt_host_run(link, (const char *[]){ "kill", "-9", spid, NULL },
                      PERFORM_CMD_TIMEOUT_S, NULL, NULL, &status) < 0 || status) {
        strbuf_addf(why, "kill -9 %s on %s: %s", spid, ctx->hosts[host].name,
                    status > 0 ? "failed" : err_msg());
        return MIG_TL_ERROR;
    }
    run_log(ctx, "QEMU %ld of %s killed (SIGKILL) on %s", pid, dom, ctx->hosts[host].name);
    return MIG_TL_OK;
}

/* The host a destroy's dict names: its uri the case's desturi (or the destination's own
 * URI): the destination; no uri: the source; -1 otherwise. */
static int perform_dict_host(struct tl_run *t, const struct pylit *uri)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    if (!uri || uri->kind == PYLIT_NONE || (uri->kind == PYLIT_STR && !*uri->s))
        return h->from;
    if (uri->kind != PYLIT_STR)
        return -1;
    const char *desturi = params_get(ctx->params, "virsh_migrate_desturi");
    if ((desturi && !strcmp(uri->s, desturi)) || !strcmp(uri->s, ctx->hosts[h->to].uri))
        return h->to;
    return -1;
}

enum mig_tl_verdict run_tl_destroy_dict(struct tl_run *t, const struct mig_action *a,
                                        struct strbuf *why)
{
    struct run_ctx *ctx = run_tl_run_ctx(t);
    struct run_tl_hop *h = run_tl_run_hop(t);
    const struct pylit *name = pylit_get(&a->dict, "name");
    const char *main_vm = params_get(ctx->params, "main_vm");
    const char *dom = h->vms->vm[h->vm].domain;
    int host = perform_dict_host(t, pylit_get(&a->dict, "uri"));
    /* the config names the guest by its main_vm; vtrun's domain has its own name */
    if (!name || name->kind != PYLIT_STR ||
        (strcmp(name->s, dom) && (!main_vm || strcmp(name->s, main_vm)))) {
        strbuf_addf(why, "virsh.destroy: its func_param's name is not the main VM");
        return MIG_TL_ERROR;
    }
    if (host < 0) {
        strbuf_addf(why, "virsh.destroy: its func_param's uri is not the destination's");
        return MIG_TL_ERROR;
    }
    struct run_virsh r = RUN_VIRSH_INIT;
    const char *words[] = { "destroy", dom, NULL };
    if (run_virsh_words(ctx, host, words, &r) < 0) {
        strbuf_addf(why, "virsh destroy: %s", err_msg());
        run_virsh_release(&r);
        return MIG_TL_ERROR;
    }
    run_log(ctx, "virsh destroy %s on %s: exit %d %s", dom, ctx->hosts[host].name, r.status,
            r.status ? r.err.buf : "");
    run_virsh_release(&r);
    return MIG_TL_OK;
}
