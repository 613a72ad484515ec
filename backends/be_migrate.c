/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_migrate: the one migration supervisor.  The drivers start, wait for and finish a
 * migration job and offer the controls (job_stats, abort_job, start_postcopy,
 * suspend); this file decides when to use them: the deadline and its action, the
 * cancel flag, postcopy after the first pass, the hard deadline, the hop's figures
 * and the error texts (backends/be.h, be_migrate()).
 *
 * The loop: wait a slice for the job to end; if it has not, look at it (job_stats,
 * which is also the figure of a hop that ends aborted) and apply the policy in a
 * fixed order: hard deadline, cancel, deadline, postcopy after precopy.  Each control
 * is retried every slice until the driver accepts it: abort and the postcopy switch
 * fail while the job is still in setup.  A job in postcopy is never aborted: the
 * guest's memory is split between the hosts and an abort would lose it.
 */
#include "backends/be.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The wait slice: how soon a flag, a deadline or the driver's event of the second
 * pass (postcopy after the first one) is acted on.  A driver without that event has
 * the job looked at every slice while the switch is pending, so it comes within this
 * of the second pass starting. */
#define POLL_S 0.02
/* How often the job is looked at otherwise (its figures: how far a hop that fails on
 * its own got), and always right before a control: looks are hypervisor round trips
 * (libvirt: three, one of them to QEMU's monitor) that compete with the migration for
 * the daemon and the monitor, so a plain hop looks seldom, as a bare `virsh migrate`
 * does not look at all. */
#define LOOK_S 0.5

/* One hop under supervision. */
struct sup {
    const struct be_ops *be;
    struct be_host *src, *dst;
    const char *vm;
    const struct be_migrate_opts *o;
    struct be_job *job;
    enum be_timeout_action action;  /* resolved: never _DEFAULT */
    double deadline;                /* clock_now() of timeout_s; 0 = none */
    struct be_job_stats last;       /* the last look at the running job */
    bool seen;                      /* last holds a look */
    double next_look;               /* clock_now() of the next routine look */
    bool in_postcopy;               /* a look saw the postcopy phase */
    bool postcopy_asked;            /* a start_postcopy() was accepted */
    bool deadline_done;             /* the deadline's action was accepted */
    bool suspended;                 /* the guest was paused at the deadline */
    bool timed_out;                 /* the deadline asked for an abort */
    bool cancelled;                 /* the cancel flag asked for an abort */
    bool aborted;                   /* an abort_job() was accepted */
    bool hard;                      /* the hard deadline passed */
    double abandon_at;              /* then: when to stop waiting */
    bool abandoned;
};

static enum be_timeout_action resolve_action(const struct be_migrate_opts *o)
{
    if (o->timeout_action != BE_TIMEOUT_DEFAULT)
        return o->timeout_action;
    return (o->flags & BE_MIG_POSTCOPY) ? BE_TIMEOUT_POSTCOPY : BE_TIMEOUT_ABORT;
}

/* A control the driver refused is retried next slice; its error is not the hop's. */
static bool accepted(int rc)
{
    if (rc < 0)
        err_clear();
    return rc == 0;
}

static void look(struct sup *s)
{
    struct be_job_stats js;

    if (!accepted(s->be->job_stats(s->src, s->vm, &js)) || !js.active)
        return;
    s->in_postcopy = s->in_postcopy || js.postcopy;
    /* the figures of an aborted hop are those read just before the abort: a job
     * being cancelled (by vtrun or anyone) may report its counters reset (libvirt:
     * elapsed 0) */
    if (!s->aborted && js.elapsed_ms >= s->last.elapsed_ms) {
        s->last = js;
        s->seen = true;
    }
}

static void try_abort(struct sup *s)
{
    if (!s->aborted && !s->in_postcopy)
        s->aborted = accepted(s->be->abort_job(s->src, s->vm));
}

static void on_deadline(struct sup *s)
{
    switch (s->action) {
    case BE_TIMEOUT_POSTCOPY:
        s->postcopy_asked = s->postcopy_asked ||
                            accepted(s->be->start_postcopy(s->src, s->vm));
        s->deadline_done = s->postcopy_asked;
        break;
    case BE_TIMEOUT_SUSPEND:
        /* once memory moves: libvirt keeps a guest paused on the destination when it
         * was paused as its peer-to-peer migration began (the connection to the
         * destination takes a while over qemu+ssh), as virsh's guest would stay */
        if (!s->seen || !s->last.data_processed)
            break;
        s->suspended = accepted(s->be->suspend(s->src, s->vm));
        s->deadline_done = s->suspended;
        break;
    default:
        s->timed_out = true;
        try_abort(s);
        s->deadline_done = s->aborted;
        break;
    }
}

/* The pass the job is in from the driver's events; -1 when they do not say (yet). */
static long iteration(const struct sup *s)
{
    return s->be->migrate_iteration && s->job ? s->be->migrate_iteration(s->job) : -1;
}

/* The first pass over memory is done once the second has begun: the driver's events
 * say so (as virsh migrate --postcopy-after-precopy waits for libvirt's
 * migration-iteration event), else a look at the job. */
static void after_precopy(struct sup *s)
{
    long it = iteration(s);
    bool second = it >= 0 ? it >= 2 : s->seen && s->last.mem_iterations >= 2;
    if (!s->postcopy_asked && !s->in_postcopy && second)
        s->postcopy_asked = accepted(s->be->start_postcopy(s->src, s->vm));
}

/* Whether this round needs a fresh look at the job: a control is due. */
static bool due(const struct sup *s, double now)
{
    const struct be_migrate_opts *o = s->o;

    if (o->hard_deadline && now >= o->hard_deadline)
        return !s->aborted;
    if (o->cancel && atomic_load(o->cancel))
        return !s->aborted;
    if (s->deadline && now >= s->deadline)
        return !s->deadline_done;
    /* postcopy after the first pass: looked at every slice unless events tell the
     * pass (the switch itself needs no look: a postcopy job is not aborted) */
    return o->postcopy_after_precopy && (o->flags & BE_MIG_POSTCOPY) &&
           !s->postcopy_asked && !s->in_postcopy && iteration(s) < 0;
}

/* One round of policy over a job that is still running; false: stop waiting. */
static bool step(struct sup *s)
{
    double now = clock_now();
    const struct be_migrate_opts *o = s->o;

    if (due(s, now) || now >= s->next_look) {
        look(s);
        s->next_look = now + LOOK_S;
    }
    if (o->hard_deadline && now >= o->hard_deadline) {
        if (!s->hard) {
            s->hard = true;
            s->abandon_at = now + BE_ABANDON_GRACE_S;
        }
        if (now >= s->abandon_at)
            return false;
        try_abort(s);
        return true;
    }
    if (o->cancel && atomic_load(o->cancel)) {
        s->cancelled = true;
        try_abort(s);
        return true;
    }
    if (s->deadline && !s->deadline_done && now >= s->deadline) {
        on_deadline(s);
        return true;
    }
    if (o->postcopy_after_precopy && (o->flags & BE_MIG_POSTCOPY))
        after_precopy(s);
    return true;
}

/* The hop's figures: the hypervisor's of the finished job, else the last look at the
 * running one (lower bounds: how far an aborted hop got). */
static void figures(const struct sup *s, const struct be_hop_metrics *fin,
                    struct be_hop_metrics *m)
{
    if (fin->time_ms >= 0 || !s->seen) {
        m->time_ms = fin->time_ms;
        m->downtime_ms = fin->downtime_ms;
        m->setup_ms = fin->setup_ms;
        m->data_bytes = fin->data_bytes;
        m->mem_bytes = fin->mem_bytes;
        m->mem_iterations = fin->mem_iterations;
        return;
    }
    m->time_ms = s->last.elapsed_ms;
    m->data_bytes = s->last.data_processed;
    m->mem_bytes = s->last.mem_processed;
    m->mem_iterations = s->last.mem_iterations;
}

/* The error of a failed hop: what vtrun did, then the hypervisor's words (why). */
static void report(const struct sup *s, const char *why)
{
    const char *a = s->be->uri(s->src), *b = s->be->uri(s->dst);

    if (s->abandoned)
        err_set("VM %s: migration abandoned: %s -> %s still running %g s after the "
                "hard deadline (%s)", s->vm, a, b, BE_ABANDON_GRACE_S, why);
    else if (s->hard)
        err_set("VM %s: migration interrupted: %s -> %s aborted at the hard deadline (%s)",
                s->vm, a, b, why);
    else if (s->cancelled)
        err_set("VM %s: migration cancelled: %s -> %s (%s)", s->vm, a, b, why);
    else if (s->timed_out)
        err_set("VM %s: migration timeout: %s -> %s not done within %g s, aborted (%s)",
                s->vm, a, b, s->o->timeout_s, why);
    else
        err_set("VM %s: migration failed: %s -> %s: %s", s->vm, a, b, why);
}

/* Wait for the job, applying the policy; then finish it. */
static int supervise(struct sup *s, struct be_job *job, struct be_hop_metrics *fin)
{
    while (!s->be->migrate_wait(job, POLL_S))
        if (!step(s)) {
            s->abandoned = true;
            break;
        }
    return s->be->migrate_finish(job, fin);
}

int be_migrate(const struct be_ops *be, struct be_host *src, struct be_host *dst,
               const char *vm, const struct be_migrate_opts *opts,
               struct be_hop_metrics *out)
{
    struct sup s = { .be = be, .src = src, .dst = dst, .vm = vm, .o = opts,
                     .action = resolve_action(opts) };
    struct be_hop_metrics m = { .time_ms = -1, .downtime_ms = -1, .setup_ms = -1 };
    struct be_hop_metrics fin = m;
    double t0 = clock_now();
    struct be_job *job;
    int rc = -1;

    m.start = clock_wall();
    s.deadline = opts->timeout_s > 0 ? t0 + opts->timeout_s : 0;
    job = be->migrate_start(src, dst, vm, opts);
    if (!job) {
        char *why = xstrdup(err_msg());
        snprintf(m.hv_error, sizeof(m.hv_error), "%s", why);
        report(&s, why);
        free(why);
        goto out;
    }
    s.job = job;
    rc = supervise(&s, job, &fin);
    figures(&s, &fin, &m);
    m.postcopy = fin.postcopy || s.in_postcopy || s.postcopy_asked;
    m.suspended = s.suspended;
    if (rc < 0) {
        char *why = xstrdup(err_msg());
        /* a hop that failed after the deadline paused the guest must not leave it
         * paused where it still runs */
        bool paused = s.suspended && be->resume(src, vm) < 0;
        m.aborted = fin.aborted || s.aborted || s.abandoned;
        m.timed_out = s.timed_out && !s.cancelled && !s.hard;
        m.conn_lost = fin.conn_lost;
        snprintf(m.hv_error, sizeof(m.hv_error), "%s", why);
        report(&s, why);
        free(why);
        if (paused) {
            why = xstrdup(err_msg());
            err_set("%s; the guest stays paused on %s", why, be->uri(src));
            free(why);
        }
    }
out:
    m.wall_s = clock_now() - t0;
    if (out)
        *out = m;
    return rc;
}
