/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run_admin: guest administration after the last hop (migration/mig_admin.c), each
 * step a check of the test with its time.  The VMs are administered at once, one
 * thread each: each has its own SSH session, the backends' connections are
 * thread-safe and the host links serialize their commands, so a second VM's fresh
 * boot no longer waits for the first's (two VMs took twice one VM's time). */
#include <pthread.h>
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

/* One step's verdict, kept until every VM is done: the checks are recorded in VM
 * order, then step order, whatever order the threads finish in, so results.json,
 * JUnit and the HTML read the same from run to run. */
struct admin_step_rec {
    char *step;
    enum mig_pc_verdict v;
    double secs;
    char *msg;                  /* NULL: none */
};

/* One VM's administration, in a thread of its own when there are several. */
struct admin_job {
    struct virt_vms *vms;
    size_t i;
    int host;                   /* where it landed, for the failure's reason */
    struct mig_admin_opts o;
    struct admin_step_rec *steps;
    size_t nsteps;
    int rc;
    char *err;                  /* owned, when rc < 0 */
    pthread_t tid;
    bool threaded;
};

static void collect(void *ud, const char *step, enum mig_pc_verdict v, double secs,
                    const char *msg)
{
    struct admin_job *j = ud;
    j->steps = xrealloc(j->steps, (j->nsteps + 1) * sizeof(*j->steps));
    j->steps[j->nsteps++] = (struct admin_step_rec){ xstrdup(step), v, secs,
                                                     msg ? xstrdup(msg) : NULL };
}

static void *admin_worker(void *arg)
{
    struct admin_job *j = arg;
    j->rc = mig_admin_run(j->vms, j->i, &j->o, collect, j);
    if (j->rc < 0)
        j->err = xstrdup(err_msg());
    return NULL;
}

static void report(struct run_ctx *ctx, const char *vm, const struct admin_step_rec *s)
{
    static const enum res_status status[] = {
        [MIG_PC_PASS] = RES_PASS, [MIG_PC_FAIL] = RES_FAIL, [MIG_PC_RETRY] = RES_FAIL,
        [MIG_PC_SKIP] = RES_SKIP,
    };
    char *name = xasprintf("admin.%s.%s", s->step, vm);
    char *text = s->v == MIG_PC_SKIP ? xstrdup(s->msg ? s->msg : "skipped")
                 : xasprintf("%.2f s%s%s", s->secs, s->msg ? ": " : "", s->msg ? s->msg : "");
    if (ctx->res)
        res_test_check(ctx->res, name, "error", status[s->v], text);
    else
        run_log(ctx, "guest administration %s: %s", name, text);
    free(text);
    free(name);
}

static void job_release(struct admin_job *j)
{
    for (size_t k = 0; k < j->nsteps; k++) {
        free(j->steps[k].step);
        free(j->steps[k].msg);
    }
    free(j->steps);
    free(j->err);
}

static const char *save_dir(struct run_ctx *ctx, const struct virt_vms *vms, int h)
{
    if (vms->be->local_hosts)
        return ctx->outdir ? ctx->outdir : "/tmp";
    if ((size_t)h < ctx->nhosts && ctx->hosts[h].images_dir)
        return ctx->hosts[h].images_dir;
    return ADMIN_SAVE_DIR;
}

int run_mig_admin(struct run_ctx *ctx, struct virt_vms *vms)
{
    double t0 = run_now();
    struct admin_job *jobs = xcalloc(vms->n ? vms->n : 1, sizeof(*jobs));
    size_t n = 0, nhosts = 0;
    for (size_t i = 0; i < vms->n; i++) {
        int h = vms->vm[i].host;
        if (h < 0)
            continue;       /* never started (migrate moves main_vm only) */
        jobs[n++] = (struct admin_job){
            .vms = vms, .i = i, .host = h,
            .o = { save_dir(ctx, vms, h), ctx->common->login_timeout, 30 },
        };
        if ((size_t)h + 1 > nhosts)
            nhosts = (size_t)h + 1;
        run_log(ctx, "guest administration of %s on %s", vms->vm[i].name,
                virt_vms_host_name(vms, h));
    }
    /* the hosts' connections and links are opened here, once, not by two threads at
     * once (they are open already after the hops: this only makes sure) */
    int ret = virt_vms_connect(vms, nhosts) < 0
                  ? run_error(ctx, virt_err_name(virt_err_last()), "%s", err_msg()) : 0;
    for (size_t k = 0; k < n && ret == 0; k++)
        jobs[k].threaded = n > 1 && pthread_create(&jobs[k].tid, NULL, admin_worker,
                                                   &jobs[k]) == 0;
    for (size_t k = 0; k < n && ret == 0; k++) {
        if (jobs[k].threaded)
            pthread_join(jobs[k].tid, NULL);
        else
            admin_worker(&jobs[k]);
    }
    for (size_t k = 0; k < n; k++) {
        struct admin_job *j = &jobs[k];
        const char *vm = vms->vm[j->i].name, *where = virt_vms_host_name(vms, j->host);
        for (size_t s = 0; s < j->nsteps; s++)
            report(ctx, vm, &j->steps[s]);
        if (j->rc < 0 && ret == 0)      /* the first VM in the set's order names it */
            ret = run_fail(ctx, "AdminStepFailed", "%s on %s: %s", vm, where, j->err);
        else if (j->rc < 0)
            run_log(ctx, "guest administration of %s on %s: also failed: %s", vm, where,
                    j->err);
        job_release(j);
    }
    free(jobs);
    run_phase(ctx, "admin", t0);
    return ret;
}
