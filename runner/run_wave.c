/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_wave: one wave of a migration plan (migration/mig.h) on the test's VM set, every
 * move at once with one worker thread each, supervised from the test's thread: the
 * test's cancel flag, thread_timeout, an optional abort after a delay (virsh
 * domjobabort) all reach the jobs through one per-wave flag the supervisor
 * (backends/be_migrate.c) polls.  The engine of virsh_migrate_stress and
 * virsh_migrate_multi_vms (runner/run_mig.h).
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "virt/virt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct worker {
    struct virt_vms *vms;
    const struct mig_move *mv;
    struct be_migrate_opts opts;
    struct run_wave_move *res;
    atomic_bool done;
    pthread_t tid;
    bool started;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->res->rc = virt_vms_migrate(w->vms, w->mv->vm, w->mv->to, &w->opts, &w->res->m);
    if (w->res->rc < 0)
        w->res->err = xstrdup(err_msg());
    atomic_store(&w->done, true);
    return NULL;
}

size_t run_wave_migrate(struct run_ctx *ctx, struct virt_vms *vms, const struct mig_wave *wave,
                        const struct run_wave_conf *conf, struct run_wave_move *res)
{
    atomic_bool wave_cancel = 0;
    struct worker *w = xcalloc(wave->n, sizeof(*w));
    double t0 = run_now();
    size_t failed = 0;

    memset(res, 0, wave->n * sizeof(*res));
    for (size_t k = 0; k < wave->n; k++) {
        w[k].vms = vms;
        w[k].mv = &wave->moves[k];
        w[k].res = &res[k];
        w[k].opts = *conf->opts;
        w[k].opts.cancel = &wave_cancel;
        /* the URI as the case wrote it is what the source daemon dials on forward hops
         * (the runner made host 1 of it too) */
        if (wave->moves[k].to == 1 && ctx->common->virsh_migrate_desturi)
            w[k].opts.dest_uri = ctx->common->virsh_migrate_desturi;
        atomic_init(&w[k].done, false);
        int e = pthread_create(&w[k].tid, NULL, worker_main, &w[k]);
        if (e) {
            res[k].rc = -1;
            res[k].err = xasprintf("pthread_create: %s", strerror(e));
            atomic_store(&w[k].done, true);
        } else {
            w[k].started = true;
        }
    }
    bool timed_out = false, aborted = false;
    for (;;) {
        size_t done = 0;
        for (size_t k = 0; k < wave->n; k++)
            done += atomic_load(&w[k].done);
        if (done == wave->n)
            break;
        double t = run_now() - t0;
        if (!wave_cancel && run_should_stop(ctx))
            wave_cancel = 1;
        if (!wave_cancel && conf->thread_timeout > 0 && t > conf->thread_timeout) {
            timed_out = true;
            wave_cancel = 1;
            run_log(ctx, "hop %u: thread_timeout %.0f s passed, aborting its migrations",
                    conf->hopno, conf->thread_timeout);
        }
        if (!wave_cancel && conf->abort_after > 0 && t >= conf->abort_after) {
            aborted = true;
            wave_cancel = 1;
            run_log(ctx, "hop %u: aborting its migration jobs after %.1f s (domjobabort)",
                    conf->hopno, t);
        }
        clock_sleep(0.05);
    }
    for (size_t k = 0; k < wave->n; k++) {
        if (w[k].started)
            pthread_join(w[k].tid, NULL);
        if (timed_out && res[k].rc < 0)
            res[k].m.aborted = true;
        res[k].late = timed_out;
        res[k].aborted = aborted && res[k].rc < 0;
        failed += res[k].rc < 0;
    }
    free(w);
    return failed;
}

void run_wave_release(struct run_wave_move *res, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(res[k].err);
        res[k].err = NULL;
    }
}
