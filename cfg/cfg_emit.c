/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_emit: write every case's record (name, short name or dump block) in walk order.
 *
 * A dump runs as a two-stage pipeline.  Why: dumping a large composition is CPU-bound,
 * and a case's work splits in two parts: walking the tree to decide the case (pruning,
 * filters, conditions: its names, dependencies and the list of operation runs to
 * apply) and evaluating it (applying the operations to its dict, formatting the lines).
 * A walker thread in deferred mode (cfg_walker_defer) hands each case's record
 * (pointers into the parse tree, a few hundred bytes) through a ring to the calling
 * thread, which evaluates and writes in order.  Nothing is done twice and the ring is
 * small, so memory stays that of one walk.  Evaluating is the heavier part (the libvirt
 * default: ~1.3 us to walk a dumped case, ~4 us to evaluate and format it), so when the
 * evaluation lags, the walk evaluates its newest records itself (help()); the cfg's
 * lazy caches are filled first so that two evaluations can run at once
 * (cfg_eval_shareable).
 *
 * Names alone, and configs with `join` (its sub-walkers merge evaluated cases), are
 * expanded by one walker in the calling thread.
 */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_walk.h"
#include "lib/err.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EM_RING 256                 /* case records between the two stages */
#define EM_BATCH 32                 /* records handed over at a time */
#define EM_FLUSH (128u << 10)       /* output goes out in pieces this big */
#define EM_HELP 64                  /* the walk helps once the evaluation lags this much */

struct cfg_emit_stats cfg_emit_last;
int cfg_debug_help_lag;

/* One case as the walk decided it, copied out of the walker. */
struct em_rec {
    struct strbuf text;             /* name, shortname, dependencies, back to back */
    size_t *depoff;
    size_t adep;
    struct cfg_oprun *ops;
    size_t aops;
    struct cfg_leaf leaf;           /* points into the above once taken */
    int state;                      /* R_* (__atomic) */
    struct strbuf out;              /* R_HELPED: the case's dump block ... */
    char *err;                      /* ... or the error that evaluating it met */
};

/* Who evaluates a record: whoever moves it out of R_WALKED first. */
enum { R_WALKED, R_HELPING, R_HELPED, R_EVALUATING };

struct emitter {
    struct cfg_walker *w;
    bool (*keep)(void *ctx, unsigned long long k, const char *name, size_t len);
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t tail;          /* records handed over by the walk (under mu) */
    uint64_t head;          /* records the evaluation is done with (under mu) */
    int end;                /* the walk ended: 1 at the end, -1 with err (under mu) */
    char *err;
    bool stop;              /* the evaluation ended early (under mu) */
    int stopflag;           /* the same, for the walker's periodic check (__atomic) */
    bool waiting;           /* a stage sleeps on cv (under mu) */
    int starved;            /* the evaluation waits for records (__atomic, for the walk) */
    uint64_t done;          /* records the evaluation has passed (__atomic) */
    struct cfg_eval *hev;   /* the walk's own evaluation, when it may help */
    int64_t lag;            /* ... once the evaluation is this far behind (-1: always) */
    unsigned long helped;   /* records the walk evaluated (written by the walk) */
    struct cfg_iter *hit;
    struct em_rec ring[EM_RING];
};

/* Write OUT whole (whole records: finishing after a SIGINT is right) and empty it;
 * 0, or -1 with err_msg(). */
static int flush_out(int fd, struct strbuf *out)
{
    size_t off = 0;
    int rc = 0;
    while (off < out->len) {
        ssize_t n = write(fd, out->buf + off, out->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set("writing the output: %s", strerror(errno));
            rc = -1;
            break;
        }
        off += (size_t)n;
    }
    strbuf_reset(out);
    return rc;
}

static void record(enum cfg_emit_what what, const struct cfg_case *k, struct strbuf *out)
{
    switch (what) {
    case CFG_EMIT_DUMP:
        cfg_case_dump(k, out);
        return;
    case CFG_EMIT_SHORTNAME:
        strbuf_addstr(out, cfg_case_shortname(k));
        break;
    case CFG_EMIT_NAME:
        strbuf_addstr(out, cfg_case_name(k));
        break;
    }
    strbuf_addch(out, '\n');
}

/* ---- the walk stage ---- */

static void rec_take(struct em_rec *r, const struct cfg_leaf *l)
{
    strbuf_reset(&r->text);
    strbuf_add(&r->text, l->name, l->namelen);
    strbuf_add(&r->text, l->shortname, l->snlen);
    size_t deps = l->ndep ? l->depoff[l->ndep - 1] : 0;
    strbuf_add(&r->text, l->deps, deps);
    if (l->ndep > r->adep) {
        r->adep = l->ndep;
        r->depoff = xrealloc(r->depoff, r->adep * sizeof(*r->depoff));
    }
    if (l->ndep)
        memcpy(r->depoff, l->depoff, l->ndep * sizeof(*r->depoff));
    if (l->nops > r->aops) {
        r->aops = l->nops;
        r->ops = xrealloc(r->ops, r->aops * sizeof(*r->ops));
    }
    if (l->nops)
        memcpy(r->ops, l->ops, l->nops * sizeof(*r->ops));
    r->leaf = *l;
    r->leaf.ops = r->ops;
    r->leaf.depoff = r->depoff;
    /* text pointers are set by the evaluation: the buffer may still move here */
}

/* Under mu: wake the other stage if it sleeps. */
static void wake_locked(struct emitter *e)
{
    if (e->waiting) {
        e->waiting = false;
        pthread_cond_broadcast(&e->cv);
    }
}

/* Record R's case, evaluated into EV: its dict, or NULL with err_msg(). */
static struct cfg_dict *eval_rec(struct em_rec *r, struct cfg_eval *ev)
{
    struct cfg_leaf *l = &r->leaf;
    struct cfg_dict *d;
    l->name = r->text.buf;
    l->shortname = r->text.buf + l->namelen;
    l->deps = r->text.buf + l->namelen + l->snlen;
    return cfg_eval_apply(ev, l, &d) < 0 ? NULL : d;
}

/*
 * The walk is the lighter stage (a dumped case of the libvirt default: ~1.3 us to walk,
 * ~4 us to evaluate and format).  When the evaluation lags EM_HELP records behind, the
 * walk evaluates and formats its newest record itself, the one the other stage will
 * reach last; that one then only copies the block.
 */
static void help(struct emitter *e, struct em_rec *r)
{
    int st = R_WALKED;
    if (!__atomic_compare_exchange_n(&r->state, &st, R_HELPING, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return;
    e->helped++;
    struct cfg_dict *d = eval_rec(r, e->hev);
    if (d)
        cfg_case_dump(cfg_iter_case(e->hit, d), &r->out);
    else
        r->err = xstrdup(err_msg());
    __atomic_store_n(&r->state, R_HELPED, __ATOMIC_RELEASE);
}

static void *walk_stage(void *arg)
{
    struct emitter *e = arg;
    uint64_t tail = 0, head = 0;    /* ours, and the last head seen */
    unsigned long long k = 0;       /* cases walked */
    struct cfg_dict *d;
    int r;
    while ((r = cfg_walker_next(e->w, &d)) == 1) {
        if (e->keep) {
            const struct cfg_leaf *l = cfg_walker_leaf(e->w);
            if (!e->keep(e->ctx, k++, l->name, l->namelen))
                continue;
        }
        if (tail - head == EM_RING || tail % EM_BATCH == 0 ||
            __atomic_load_n(&e->starved, __ATOMIC_RELAXED)) {
            pthread_mutex_lock(&e->mu);
            e->tail = tail;
            wake_locked(e);
            while (!e->stop && tail - e->head == EM_RING) {
                e->waiting = true;
                pthread_cond_wait(&e->cv, &e->mu);
            }
            head = e->head;
            bool stop = e->stop;
            pthread_mutex_unlock(&e->mu);
            if (stop)
                break;
        }
        struct em_rec *rec = &e->ring[tail % EM_RING];
        rec_take(rec, cfg_walker_leaf(e->w));
        __atomic_store_n(&rec->state, R_WALKED, __ATOMIC_RELAXED);
        tail++;
        if (e->hev && (e->lag < 0 ||
                       tail - __atomic_load_n(&e->done, __ATOMIC_RELAXED) > (uint64_t)e->lag))
            help(e, rec);
    }
    pthread_mutex_lock(&e->mu);
    e->tail = tail;
    if (r < 0 && !e->stop)
        e->err = xstrdup(cfg_cancel ? "interrupted" : err_msg());
    e->end = r < 0 ? -1 : 1;
    wake_locked(e);
    pthread_mutex_unlock(&e->mu);
    cfg_regex_thread_done();
    return NULL;
}

/* ---- the evaluation stage (the calling thread) ---- */

/* Evaluate and write records [from, to); 0, -1 expansion error, -2 write error. */
static int eval_batch(struct emitter *e, struct cfg_eval *ev, struct cfg_iter *it,
                      uint64_t from, uint64_t to, struct strbuf *out, int fd)
{
    for (uint64_t i = from; i < to; i++) {
        struct em_rec *r = &e->ring[i % EM_RING];
        int st = R_WALKED;
        if (__atomic_compare_exchange_n(&r->state, &st, R_EVALUATING, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            struct cfg_dict *d = eval_rec(r, ev);
            if (!d)
                return -1;
            record(CFG_EMIT_DUMP, cfg_iter_case(it, d), out);
        } else {
            /* the walk took it: it is a few microseconds from done */
            while (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != R_HELPED)
                sched_yield();
            if (r->err) {
                err_set("%s", r->err);
                free(r->err);
                r->err = NULL;
                return -1;
            }
            strbuf_add(out, r->out.buf, r->out.len);
            /* kept, the buffers of 256 slots would pin megabytes */
            strbuf_release(&r->out);
        }
        __atomic_store_n(&e->done, i + 1, __ATOMIC_RELAXED);
        if (out->len >= EM_FLUSH && flush_out(fd, out) < 0)
            return -2;
    }
    return 0;
}

static int emit_pipeline(const struct cfg *c, const struct cfg_emit_opts *o, int fd)
{
    struct emitter *e = xcalloc(1, sizeof(*e));
    struct cfg_iter *wit = cfg_iter_new(c), *it = cfg_iter_new(c);
    struct cfg_eval *ev = cfg_eval_new((struct cfg *)c);
    struct strbuf out = STRBUF_INIT;
    pthread_t tid;
    int rc = 0;
    e->keep = o->keep;
    e->ctx = o->ctx;
    e->w = cfg_iter_walker(wit);
    cfg_walker_defer(e->w, &e->stopflag);
    if (cfg_eval_shareable((struct cfg *)c)) {
        e->hev = cfg_eval_new((struct cfg *)c);
        e->hit = cfg_iter_new(c);
        e->lag = cfg_debug_help_lag ? cfg_debug_help_lag : EM_HELP;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    strbuf_grow(&out, EM_FLUSH + 4096);
    if (pthread_create(&tid, NULL, walk_stage, e) != 0) {
        err_set("cannot start the walk thread: %s", strerror(errno));
        rc = -1;
        goto out;
    }
    uint64_t head = 0;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        e->head = head;
        wake_locked(e);
        while (e->tail == head && !e->end) {
            e->waiting = true;
            __atomic_store_n(&e->starved, 1, __ATOMIC_RELAXED);
            pthread_cond_wait(&e->cv, &e->mu);
        }
        __atomic_store_n(&e->starved, 0, __ATOMIC_RELAXED);
        /* a batch at a time, so that the walk gets its slots back as they free up */
        uint64_t tail = e->tail - head > EM_BATCH ? head + EM_BATCH : e->tail;
        int end = tail == e->tail ? e->end : 0;
        pthread_mutex_unlock(&e->mu);
        if (cfg_cancel) {
            err_set("interrupted");
            rc = -1;
            break;
        }
        rc = eval_batch(e, ev, it, head, tail, &out, fd);
        if (rc < 0)
            break;
        head = tail;
        if (end && head == tail) {
            /* the cases before a walk error stay in the output, as with one walk */
            if (flush_out(fd, &out) < 0)
                rc = -2;
            else if (end < 0) {
                err_set("%s", e->err);
                rc = -1;
            }
            break;
        }
    }
    if (rc == -1 && !cfg_cancel) {
        /* an evaluation error: the cases before it stay in the output */
        char *msg = xstrdup(err_msg());
        if (flush_out(fd, &out) < 0)
            rc = -2;
        else
            err_set("%s", msg);
        free(msg);
    }
    pthread_mutex_lock(&e->mu);
    e->stop = true;
    __atomic_store_n(&e->stopflag, 1, __ATOMIC_RELAXED);
    wake_locked(e);
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    pthread_join(tid, NULL);
out:
    for (size_t i = 0; i < EM_RING; i++) {
        strbuf_release(&e->ring[i].text);
        free(e->ring[i].depoff);
        free(e->ring[i].ops);
        strbuf_release(&e->ring[i].out);
        free(e->ring[i].err);
    }
    cfg_emit_last.helped = e->helped;
    cfg_eval_free(e->hev);
    cfg_iter_free(e->hit);
    free(e->err);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
    strbuf_release(&out);
    cfg_eval_free(ev);
    cfg_iter_free(it);
    cfg_iter_free(wit);
    return rc;
}

/* ---- one walker ---- */

static int emit_serial(const struct cfg *c, enum cfg_emit_what what,
                       const struct cfg_emit_opts *o, int fd)
{
    struct cfg_iter *it = what == CFG_EMIT_DUMP ? cfg_iter_new(c) : cfg_iter_new_names(c);
    struct strbuf out = STRBUF_INIT;
    const struct cfg_case *k;
    unsigned long long n = 0;
    int r, rc = 0;
    strbuf_grow(&out, EM_FLUSH + 4096);
    while ((r = cfg_iter_next(it, &k)) == 1) {
        if (o->keep) {
            const char *name = cfg_case_name(k);
            if (!o->keep(o->ctx, n++, name, strlen(name)))
                continue;
        }
        record(what, k, &out);
        if (out.len >= EM_FLUSH && flush_out(fd, &out) < 0) {
            rc = -2;
            goto out;
        }
    }
    if (r < 0 && cfg_cancel) {
        err_set("interrupted");
        rc = -1;
        goto out;
    }
    /* the cases before an expansion error stay in the output, as with the reference */
    struct strbuf msg = STRBUF_INIT;
    if (r < 0)
        strbuf_addstr(&msg, err_msg());
    if (flush_out(fd, &out) < 0)
        rc = -2;
    else if (r < 0) {
        err_set("%s", msg.buf);
        rc = -1;
    }
    strbuf_release(&msg);
out:
    strbuf_release(&out);
    cfg_iter_free(it);
    return rc;
}

int cfg_emit(const struct cfg *c, enum cfg_emit_what what, const struct cfg_emit_opts *o,
             int fd)
{
    static const struct cfg_emit_opts defaults;
    if (!o)
        o = &defaults;
    int threads = o->threads;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    bool pipe = threads > 1 && what == CFG_EMIT_DUMP && !c->has_join;
    cfg_emit_last = (struct cfg_emit_stats){ .threads = pipe ? 2 : 1 };
    return pipe ? emit_pipeline(c, o, fd) : emit_serial(c, what, o, fd);
}
