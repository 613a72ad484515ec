/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test type virsh_migrate_multi_vms: tp-libvirt's virsh.migrate_multi_vms
 * (virsh_migrate_multi_vms.py) on the stress type's engine: the VMs of migrate_vms
 * move to the destination all at once (simultaneous: one wave, runner/run_wave.c) or
 * one after another (orderly: a wave each), with the words the reference makes of
 * virsh_migrate_method (p2p, p2p_tunnelled, direct) and of virsh_migrate_options (live
 * persistent suspend change-protection timeout unsafe auto-converge), parsed by the
 * migrate vocabulary (migration/mig.h) before anything starts.
 *
 * PASS/FAIL as the reference means it:
 *  - status_error = no: every migration succeeds and the VM runs on the destination
 *    (paused with --suspend);
 *  - status_error = yes: a migration may fail (direct migration, an aborted job); a
 *    VM whose migration failed must still run on the source;
 *  - virsh_migrate_jobabort = yes (simultaneous): the jobs are aborted while they run
 *    (virsh domjobabort);
 *  - orderly: the guest is pinged from the destination host while it moves; a
 *    silence longer than 5 s is "Downtime during migration is intolerable".
 * The reference pings only after the moves and from the same host twice, and aborts
 * jobs that already ended; vtrun does what its comments say it means.
 */
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/params.h"
#include "lib/strbuf.h"
#include "runner/run_mig.h"
#include "runner/run_needs.h"
#include "runner/run_type.h"
#include "virt/virt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* thread_func_ping's tolerable downtime, seconds */
#define MV_PING_TOLERABLE_S 5.0
/* when an abort_job case aborts the jobs: once they run (the supervisor retries an
 * abort the hypervisor refuses while a job is in setup) */
#define MV_ABORT_AFTER_S 0.5

enum mv_order { MV_SIMULTANEOUS, MV_ORDERLY };
static const struct params_word mv_order_words[] = {
    { "simultaneous", MV_SIMULTANEOUS },
    { "orderly", MV_ORDERLY },
    { NULL, 0 },
};

/* make_migration_options(): the reference's option words and what virsh gets */
static const struct { const char *word, *virsh; } mv_option_words[] = {
    { "live", "--live" },
    { "persistent", "--persistent" },
    { "suspend", "--suspend" },
    { "change-protection", "--change-protection" },
    { "unsafe", "--unsafe" },
    { "auto-converge", "--auto-converge" },
};
static const struct { const char *method, *virsh; } mv_methods[] = {
    { "p2p", "--p2p" },
    { "p2p_tunnelled", "--p2p --tunnelled" },
    { "direct", "--direct" },
};

struct mv_opts {
    char **migrate_vms;
    const char *method;
    const char *options;
    long timeout;
    double thread_timeout;
    int order;
    bool jobabort;
    bool status_error;
    /* derived by mv_check */
    struct be_migrate_opts mo;
    bool suspend;               /* the guest is paused on the destination */
};

#define AT(kind, ...) RUN_PARAM_##kind##_AT(struct mv_opts, __VA_ARGS__)
static const struct run_param mv_params[] = {
    { "migrate_vms", AT(LIST, migrate_vms),
      .doc = "the VMs to migrate (at least 2, each one of vms)" },
    { "virsh_migrate_method", AT(STR, method),
      .doc = "p2p, p2p_tunnelled or direct; else a plain migration" },
    { "virsh_migrate_options", AT(STR, options),
      .doc = "words: live persistent suspend change-protection timeout unsafe "
             "auto-converge (others are ignored, as the reference does)" },
    { "virsh_migrate_timeout", AT(INT, timeout), .def = "60", RUN_PARAM_MIN(1),
      .unit = "seconds", .doc = "N of --timeout N (the guest is suspended then, as virsh "
      "does)" },
    { "virsh_migrate_thread_timeout", AT(FLOAT, thread_timeout), .def = "900",
      RUN_PARAM_MIN(0), .unit = "seconds",
      .doc = "seconds a wave of migrations may take, then they are aborted; 0 = none" },
    { "virsh_migration_type", AT(ENUM, order, mv_order_words), .def = "simultaneous",
      .doc = "simultaneous: all VMs at once; orderly: one after another" },
    { "virsh_migrate_jobabort", AT(BOOL, jobabort), .def = "no",
      .doc = "abort the migration jobs while they run (simultaneous)" },
    { "status_error", AT(BOOL, status_error), .def = "no",
      .doc = "migrations may fail (the VM then still runs on the source)" },
    { NULL },
};
#undef AT

static bool mv_too_few(const struct params *p)
{
    char **v = params_split(params_get(p, "migrate_vms"));
    bool few = params_strv_len(v) < 2;
    params_strv_free(v);
    return few;
}

/* tp-libvirt raises TestSkipError("No multi vms provided."): its cfg leaves
 * migrate_vms empty for the user to fill */
static const struct run_need mv_needs[] = {
    { "migrate_vms", .applies = mv_too_few,
      .text = "at least 2 VMs in migrate_vms (tp-libvirt: \"No multi vms provided.\")" },
    { NULL },
};

/* The virsh words the reference builds; into sb. */
static void mv_words(const struct mv_opts *o, struct strbuf *sb)
{
    char **w = params_split(o->options);
    for (char **p = w; *p; p++) {
        if (!strcmp(*p, "timeout")) {
            /* virsh suspends the guest at the timeout; vtrun's bare --timeout aborts */
            strbuf_addf(sb, " --timeout %ld --timeout-suspend", o->timeout);
            continue;
        }
        for (size_t i = 0; i < sizeof(mv_option_words) / sizeof(mv_option_words[0]); i++)
            if (!strcmp(*p, mv_option_words[i].word))
                strbuf_addf(sb, " %s", mv_option_words[i].virsh);
    }
    params_strv_free(w);
    for (size_t i = 0; o->method && i < sizeof(mv_methods) / sizeof(mv_methods[0]); i++)
        if (!strcmp(o->method, mv_methods[i].method))
            strbuf_addf(sb, " %s", mv_methods[i].virsh);
}

static int mv_check(const struct run_common *c, void *opts)
{
    struct mv_opts *o = opts;
    for (char **v = o->migrate_vms; *v; v++) {
        bool found = false;
        for (char **w = c->vms; *w && !found; w++)
            found = !strcmp(*v, *w);
        if (!found) {
            err_set("param migrate_vms: VM '%s' is not one of vms", *v);
            return -1;
        }
    }
    /* the reference skips a case without VMs before it reads the options: the need
     * (mv_needs) cancels it, whatever the words */
    if (params_strv_len(o->migrate_vms) < 2)
        return 0;
    struct strbuf sb = STRBUF_INIT;
    mv_words(o, &sb);
    int rc = mig_opts_parse(sb.buf, &o->mo);
    if (rc < 0) {
        /* the word first: a result's reason is cut */
        char *why = xstrdup(err_msg());
        err_set("param virsh_migrate_options/virsh_migrate_method: %s (virsh words '%s')",
                why, sb.buf + (sb.len > 0));
        free(why);
    }
    o->suspend = strstr(sb.buf, "--suspend") != NULL;
    strbuf_release(&sb);
    return rc;
}

/* ---- the ping watch of an orderly move --------------------------------------------- */

struct mv_ping {
    struct run_ctx *ctx;
    const char *addr;
    atomic_bool stop;
    double longest;             /* the longest silence that ended, seconds */
    pthread_t tid;
    bool started;
};

static bool ping_once(struct run_ctx *ctx, const char *addr)
{
    struct virt_host *link = run_host_link(ctx, 1);
    const char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1", addr, NULL };
    int status = -1;
    return link && virt_host_run(link, argv, 5, NULL, NULL, &status) == 0 && status == 0;
}

static void *ping_main(void *arg)
{
    struct mv_ping *p = arg;
    double down = -1;
    while (!atomic_load(&p->stop)) {
        double t = run_now();
        bool up = ping_once(p->ctx, p->addr);
        if (!up && down < 0)
            down = t;
        if (up && down >= 0) {
            if (t - down > p->longest)
                p->longest = t - down;
            down = -1;
        }
        clock_sleep(0.5);
    }
    return NULL;
}

/* ---- run --------------------------------------------------------------------------- */

struct mv_state {
    struct virt_vms vms;
    size_t *vm;                 /* migrate_vms -> index in the VM set */
    size_t n;
    struct mig_plan plan;
};

static int mv_setup(struct run_ctx *ctx)
{
    const struct mv_opts *o = ctx->opts;
    struct mv_state *st = xcalloc(1, sizeof(*st));
    ctx->data = st;
    if (run_vmset_setup(ctx, &st->vms) < 0)
        return run_error(ctx, "VMSetupError", "%s", err_msg());
    st->n = params_strv_len(o->migrate_vms);
    st->vm = xcalloc(st->n, sizeof(*st->vm));
    for (size_t k = 0; k < st->n; k++)
        for (size_t i = 0; i < st->vms.n; i++)
            if (!strcmp(st->vms.vm[i].name, o->migrate_vms[k]))
                st->vm[k] = i;
    enum mig_plan_type t = o->order == MV_ORDERLY ? MIG_ORDERLY : MIG_SIMULTANEOUS;
    if (mig_plan_build(st->n, t, 1, false, &st->plan) < 0)
        return run_error(ctx, "ConfigError", "%s", err_msg());
    /* the plan counts migrate_vms; its moves name VMs of the set */
    for (size_t h = 0; h < st->plan.nhops; h++)
        for (size_t w = 0; w < st->plan.hops[h].nwaves; w++)
            for (size_t m = 0; m < st->plan.hops[h].waves[w].n; m++) {
                struct mig_move *mv = &st->plan.hops[h].waves[w].moves[m];
                mv->vm = st->vm[mv->vm];
            }
    char *fmt = mig_opts_format(&o->mo);
    run_log(ctx, "virsh_migrate_multi_vms: %zu VMs %s, options '%s'%s", st->n,
            o->order == MV_ORDERLY ? "one after another" : "at once", fmt,
            o->jobabort ? ", jobs aborted while they run" : "");
    free(fmt);
    return 0;
}

/* Where a VM must be after its move, as the case expects it. */
static int mv_judge(struct run_ctx *ctx, struct mv_state *st, const struct mig_move *mv,
                    const struct run_wave_move *res)
{
    const struct mv_opts *o = ctx->opts;
    const char *name = st->vms.vm[mv->vm].name;
    enum be_state s;
    if (res->rc < 0 && !o->status_error)
        return run_fail(ctx, res->late ? "MigrationTimeout" : "MigrationFailed",
                        "%s: migration failed: %s", name, res->err ? res->err : "");
    int where = res->rc == 0 ? mv->to : mv->from;
    enum be_state want = res->rc == 0 && o->suspend ? BE_STATE_PAUSED : BE_STATE_RUNNING;
    if (res->rc < 0)
        run_log(ctx, "%s: migration failed as the case allows: %s", name,
                res->err ? res->err : "");
    if (virt_vms_state(&st->vms, mv->vm, where, &s) < 0)
        return run_fail(ctx, "VMStateError", "%s: %s", name, err_msg());
    if (s != want)
        return run_fail(ctx, "VMStateError", "%s: %s on %s after its migration %s, "
                        "expected %s", name, be_state_name(s),
                        virt_vms_host_name(&st->vms, where), res->rc ? "failed" : "succeeded",
                        be_state_name(want));
    return 0;
}

static int mv_wave(struct run_ctx *ctx, struct mv_state *st, unsigned hopno,
                   const struct mig_wave *wave)
{
    const struct mv_opts *o = ctx->opts;
    struct run_wave_move *res = xcalloc(wave->n, sizeof(*res));
    struct run_wave_conf conf = { .opts = &o->mo, .thread_timeout = o->thread_timeout,
                                  .abort_after = o->jobabort ? MV_ABORT_AFTER_S : 0,
                                  .hopno = hopno };
    struct mv_ping ping = { .ctx = ctx };
    int rc = 0;

    /* orderly: one VM a wave, watched by ping from where it goes */
    if (o->order == MV_ORDERLY && wave->n == 1 && st->vms.vm[wave->moves[0].vm].address) {
        ping.addr = st->vms.vm[wave->moves[0].vm].address;
        atomic_init(&ping.stop, false);
        ping.started = pthread_create(&ping.tid, NULL, ping_main, &ping) == 0;
    }
    run_wave_migrate(ctx, &st->vms, wave, &conf, res);
    if (ping.started) {
        atomic_store(&ping.stop, true);
        pthread_join(ping.tid, NULL);
        run_log(ctx, "%s: longest ping silence while it moved: %.1f s",
                st->vms.vm[wave->moves[0].vm].name, ping.longest);
    }
    for (size_t k = 0; k < wave->n; k++) {
        const struct mig_move *mv = &wave->moves[k];
        virt_vms_record_hop(&st->vms, mv->vm, hopno, mv->from, mv->to, &res[k].m,
                            res[k].rc == 0, res[k].err);
        if (rc == 0 && mv_judge(ctx, st, mv, &res[k]) < 0)
            rc = -1;
    }
    if (rc == 0 && ping.longest > MV_PING_TOLERABLE_S)
        rc = run_fail(ctx, "Downtime", "%s: Downtime during migration is intolerable: no "
                      "answer to ping for %.1f s (at most %.0f s)",
                      st->vms.vm[wave->moves[0].vm].name, ping.longest, MV_PING_TOLERABLE_S);
    run_wave_release(res, wave->n);
    free(res);
    return rc;
}

static int mv_run(struct run_ctx *ctx)
{
    struct mv_state *st = ctx->data;
    for (size_t k = 0; k < st->n; k++)
        if (run_vmtype_prepare(ctx, &st->vms, st->vm[k], true, true) < 0)
            return -1;
    unsigned hopno = 0;
    for (size_t h = 0; h < st->plan.nhops; h++)
        for (size_t w = 0; w < st->plan.hops[h].nwaves; w++) {
            if (run_should_stop(ctx))
                return -1;
            if (mv_wave(ctx, st, ++hopno, &st->plan.hops[h].waves[w]) < 0)
                return -1;
        }
    return 0;
}

static void mv_cleanup(struct run_ctx *ctx)
{
    struct mv_state *st = ctx->data;
    if (!st)
        return;
    run_vmset_cleanup(ctx, &st->vms);
    mig_plan_free(&st->plan);
    free(st->vm);
    free(st);
    ctx->data = NULL;
}

const struct run_type run_type_migrate_multi_vms = {
    .name = "virsh_migrate_multi_vms",
    .summary = "migrate several VMs at once or one after another, virsh's option matrix, "
               "job abort, ping downtime limit",
    .needs = { .vms = 1, .hosts = 2, .rows = mv_needs },
    .params = mv_params,
    .opts_size = sizeof(struct mv_opts),
    .check = mv_check,
    .setup = mv_setup,
    .run = mv_run,
    .cleanup = mv_cleanup,
};
