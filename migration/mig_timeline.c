/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mig_timeline: the migration thread and its actions (migration/mig.h). */
#include "migration/mig.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

int mig_tl_search(const char *re, const char *text)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
                                     NULL);
    if (!code) {
        err_set("'%s' is no regular expression (at offset %zu)", re, (size_t)off);
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int m = pcre2_match(code, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return m >= 0;
}

/* The text of fmt with ap (caller frees). */
static char *tl_vfmt(const char *fmt, va_list ap)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_vaddf(&sb, fmt, ap);
    return strbuf_detach(&sb, NULL);
}

struct tl {
    const struct mig_tl_conf *conf;
    const struct mig_tl_ops *ops;
    struct mig_tl_result *res;
};

static void tl_log(const struct tl *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tl_log(const struct tl *t, const char *fmt, ...)
{
    if (!t->ops->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = tl_vfmt(fmt, ap);
    va_end(ap);
    t->ops->log(t->ops->ud, line);
    free(line);
}

static bool tl_stop(const struct tl *t)
{
    return t->ops->should_stop && t->ops->should_stop(t->ops->ud);
}

static double tl_poll(const struct tl *t)
{
    return t->conf->poll_s > 0 ? t->conf->poll_s : 0.2;
}

/* Sleep s seconds in polls, ending early when the test must stop. */
static void tl_sleep(const struct tl *t, double s)
{
    double end = clock_now() + s;
    while (!tl_stop(t) && clock_now() < end) {
        double left = end - clock_now();
        clock_sleep(left < tl_poll(t) ? left : tl_poll(t));
    }
}

static enum mig_tl_verdict tl_verdict(struct tl *t, enum mig_tl_verdict v, const char *fmt,
                                      ...) __attribute__((format(printf, 3, 4)));
static enum mig_tl_verdict tl_verdict(struct tl *t, enum mig_tl_verdict v, const char *fmt,
                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(t->res->why);
    t->res->why = tl_vfmt(fmt, ap);
    va_end(ap);
    t->res->verdict = v;
    return v;
}

/* 1 when re is found in the events seen so far, 0 not, -1 (err) a bad regex. */
static int tl_event_seen(const struct tl *t, const char *re)
{
    struct strbuf ev = STRBUF_INIT;
    if (t->ops->events)
        t->ops->events(t->ops->ud, &ev);
    int rc = mig_tl_search(re, ev.buf);
    strbuf_release(&ev);
    return rc;
}

/* avocado-vt's _run_complex_func: the waits and checks around one action, then it. */
static enum mig_tl_verdict tl_action(struct tl *t, const struct mig_action *a)
{
    if (a->sleep_s > 0) {
        tl_log(t, "action %s: sleep %g s", a->func, a->sleep_s);
        tl_sleep(t, a->sleep_s);
    }
    if (a->after_event) {
        if (!t->ops->events)
            return tl_verdict(t, MIG_TL_ERROR, "action %s: no events are collected for its "
                              "after_event '%s'", a->func, a->after_event);
        double end = clock_now() + a->event_timeout_s;
        int seen;
        while (!(seen = tl_event_seen(t, a->after_event)) && !tl_stop(t)
               && clock_now() < end)
            clock_sleep(tl_poll(t));
        if (seen < 0)
            return tl_verdict(t, MIG_TL_ERROR, "action %s: after_event: %s", a->func,
                              err_msg());
        if (!seen)
            return tl_verdict(t, MIG_TL_ERROR, "Unable to find event %s", a->after_event);
        tl_log(t, "action %s: received the event '%s'", a->func, a->after_event);
    }
    if (a->before_event) {
        int seen = tl_event_seen(t, a->before_event);
        if (seen < 0)
            return tl_verdict(t, MIG_TL_ERROR, "action %s: before_event: %s", a->func,
                              err_msg());
        if (seen)
            return tl_verdict(t, MIG_TL_ERROR, "The function '%s' should be run before the "
                              "event '%s', but the event has been received", a->func,
                              a->before_event);
    }
    if (a->before_pause && t->ops->dest_state(t->ops->ud, "paused") == 1)
        return tl_verdict(t, MIG_TL_ERROR, "The function '%s' should be run before VM is "
                          "paused, but VM is already paused", a->func);
    struct strbuf why = STRBUF_INIT;
    tl_log(t, "action %s: run", a->func);
    enum mig_tl_verdict v = t->ops->step(t->ops->ud, a, &why);
    t->res->ran++;
    if (v != MIG_TL_OK)
        tl_verdict(t, v, "action %s: %s", a->func, why.len ? why.buf : "failed");
    strbuf_release(&why);
    return v;
}

/* The actions of one phase (before_pause or not), in order; stops at the first that
 * is not OK. */
static enum mig_tl_verdict tl_phase(struct tl *t, const struct mig_actions *acts,
                                    bool before_pause)
{
    for (size_t k = 0; k < acts->n; k++) {
        if (acts->a[k].before_pause != before_pause)
            continue;
        if (tl_stop(t))
            return tl_verdict(t, MIG_TL_ERROR, "the test was stopped before action %s",
                              acts->a[k].func);
        enum mig_tl_verdict v = tl_action(t, &acts->a[k]);
        if (v != MIG_TL_OK)
            return v;
    }
    return MIG_TL_OK;
}

/* avocado-vt's wait_for_migration_start: the destination domain in start_state. */
static bool tl_wait_start(struct tl *t)
{
    const char *state = t->conf->start_state ? t->conf->start_state : "paused";
    double limit = t->conf->start_timeout > 0 ? t->conf->start_timeout : 60;
    double end = clock_now() + limit;
    while (!tl_stop(t)) {
        if (t->ops->dest_state(t->ops->ud, state) == 1)
            return true;
        if (clock_now() >= end)
            break;
        clock_sleep(tl_poll(t));
    }
    tl_log(t, "the migration did not show on the destination as '%s' within %g s: no "
           "more actions", state, limit);
    return false;
}

struct tl_thread {
    const struct mig_tl_ops *ops;
    int rc;
    atomic_bool done;
};

static void *tl_migrate_main(void *arg)
{
    struct tl_thread *th = arg;
    th->rc = th->ops->migrate(th->ops->ud);
    atomic_store(&th->done, true);
    return NULL;
}

/* Wait for the migration thread, telling it to stop once the test must (SIGINT, the
 * test's timeout), then join it. */
static void tl_join(struct tl *t, struct tl_thread *th, pthread_t tid, bool cancelled)
{
    while (!atomic_load(&th->done)) {
        if (!cancelled && tl_stop(t) && t->ops->cancel) {
            t->ops->cancel(t->ops->ud);
            cancelled = true;
        }
        clock_sleep(tl_poll(t) < 0.05 ? tl_poll(t) : 0.05);
    }
    pthread_join(tid, NULL);
}

static bool tl_any(const struct mig_actions *acts, bool before_pause)
{
    for (size_t k = 0; k < acts->n; k++)
        if (acts->a[k].before_pause == before_pause)
            return true;
    return false;
}

int mig_timeline_run(const struct mig_tl_conf *conf, const struct mig_actions *acts,
                     const struct mig_tl_ops *ops, struct mig_tl_result *res)
{
    static const struct mig_actions none = { 0 };
    struct tl t = { .conf = conf, .ops = ops, .res = res };
    struct tl_thread th = { .ops = ops, .rc = -1 };
    atomic_init(&th.done, false);
    pthread_t tid;

    memset(res, 0, sizeof(*res));
    res->mig_rc = -1;
    if (!acts)
        acts = &none;
    int e = pthread_create(&tid, NULL, tl_migrate_main, &th);
    if (e) {
        err_set("cannot start the migration thread: %s", strerror(e));
        return -1;
    }
    enum mig_tl_verdict v = tl_phase(&t, acts, true);
    /* with nothing to run after the start, avocado-vt does not wait for it either */
    if (v == MIG_TL_OK && tl_any(acts, false)) {
        res->started = tl_wait_start(&t);
        if (res->started) {
            tl_sleep(&t, conf->settle_s >= 0 ? conf->settle_s : 3);
            v = tl_phase(&t, acts, false);
        }
    }
    bool cancel = v != MIG_TL_OK && ops->cancel;
    if (cancel)
        ops->cancel(ops->ud);
    tl_join(&t, &th, tid, cancel);
    res->mig_rc = th.rc;
    return 0;
}

void mig_tl_result_release(struct mig_tl_result *res)
{
    free(res->why);
    res->why = NULL;
}
