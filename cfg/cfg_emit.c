/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_emit: write every case's record (name, short name or dump block) in walk order,
 * expanding with several threads.
 *
 * Why threads: expanding a large composition is CPU-bound (a dumped case of the libvirt
 * default costs ~6 us: ~140 operations applied, ~200 lines formatted) and no case
 * depends on another.  Each thread runs its own walker over the parse tree, which only
 * gets read (cfg_walk_prepare()).  The walk is cut into units (cfg_split: the subtrees
 * entered at one depth); every thread walks the few levels above the units and expands
 * a unit only if it claims it first, so each unit is expanded once and a thread that
 * finishes early simply takes the next one.
 *
 * Records leave in unit order.  The unit at the head streams straight out; a later
 * unit keeps its records in its slot of a ring until the head reaches it.  What is held
 * is bounded (EM_RING units, EM_HELD bytes): a thread that is too far ahead waits, and
 * the head's owner never does, so the expansion always moves on.
 *
 * An expansion error in unit U ends the output after U's records before the error,
 * exactly as the single-threaded walk would: units before U are still completed and
 * written, units after U are abandoned.
 */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_walk.h"
#include "lib/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define EM_CHUNK_CASES 32           /* cases per chunk of units, about (the probe says) */
#define EM_RING 4096                /* chunks claimed and not yet written, at most */
#define EM_HELD (1u << 20)          /* bytes waiting behind the head, at most (soft) */
#define EM_FLUSH (128u << 10)       /* output goes out in pieces this big */
#define EM_IOV 256                  /* ... or this many units */
#define EM_MAX_THREADS 8

struct em_unit {
    struct strbuf out;
    bool done;
    char *err;          /* the expansion error that ended this unit, or NULL */
};

struct emitter {
    struct cfg_split split;         /* first member: the claim callback gets it */
    const struct cfg *c;
    enum cfg_emit_what what;
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* units: [head, ready) done and not written, ready not done, claimed below next */
    uint64_t next;      /* lowest unit not yet claimed (__atomic reads outside mu) */
    uint64_t head;      /* lowest unit not yet written (under mu, as all below) */
    uint64_t ready;     /* lowest unit not yet done */
    uint64_t err_unit;  /* the first unit that ended with an error */
    size_t held;        /* bytes of done units not yet written */
    size_t chunk;       /* walker units per chunk (claims and slots are per chunk) */
    int failed;         /* the output ended: 0, -1 expansion error/cancel, -2 write */
    char *err;
    struct em_unit ring[EM_RING];
};

struct em_thread {
    struct emitter *e;
    struct cfg_iter *it;
    pthread_t tid;
    bool open;          /* cur is claimed and not finished */
    uint64_t cur;
};

static struct em_unit *slot(struct emitter *e, uint64_t u)
{
    return &e->ring[u % EM_RING];
}

/* Under mu: end the output (the first failure wins) and release everyone. */
static void fail_locked(struct emitter *e, int how, const char *msg)
{
    if (!e->failed) {
        e->failed = how;
        e->err = xstrdup(msg);
    }
    __atomic_store_n(&e->split.stop, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&e->cv);
}

/* Write IOV[0..N) whole; 0, or -1 with err_msg(). */
static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            err_set("writing the output: %s", strerror(errno));
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* Under mu: write units [head, end) and then EXTRA (the head's open records, or NULL),
 * in one system call per EM_IOV buffers; the written slots give their buffers back
 * (kept, 4096 slots could pin a lot of memory). */
static void write_locked(struct emitter *e, uint64_t end, struct strbuf *extra)
{
    struct iovec iov[EM_IOV + 1];
    while (!e->failed && (e->head < end || (extra && extra->len))) {
        int n = 0;
        uint64_t u = e->head;
        for (; u < end && n < EM_IOV; u++)
            if (slot(e, u)->out.len)
                iov[n++] = (struct iovec){ slot(e, u)->out.buf, slot(e, u)->out.len };
        bool with_extra = u == end && extra && extra->len;
        if (with_extra)
            iov[n++] = (struct iovec){ extra->buf, extra->len };
        if (write_all(e->fd, iov, n) < 0) {
            fail_locked(e, -2, err_msg());
            return;
        }
        for (; e->head < u; e->head++) {
            struct em_unit *s = slot(e, e->head);
            e->held -= s->out.len;
            strbuf_release(&s->out);
            s->done = false;
        }
        if (with_extra)
            strbuf_reset(extra);
    }
    pthread_cond_broadcast(&e->cv);
}

/* Under mu: move `ready` over the units done since, and write the done run at the head
 * once it is worth a system call (FORCE: at the end).  An errored unit ends it all:
 * its records before the error go out, then the error. */
static void drain_locked(struct emitter *e, bool force)
{
    while (e->ready < e->next && slot(e, e->ready)->done && !slot(e, e->ready)->err)
        e->ready++;
    struct em_unit *s = e->ready < e->next ? slot(e, e->ready) : NULL;
    if (s && s->done && s->err) {
        char *msg = s->err;
        s->err = NULL;
        write_locked(e, e->ready + 1, NULL);
        fail_locked(e, -1, msg);
        free(msg);
        return;
    }
    if (force || e->ready - e->head >= EM_IOV || e->held >= EM_FLUSH)
        write_locked(e, e->ready, NULL);
}

/* Under mu: the thread's unit is complete (ERR: it ended with that error). */
static void finish_locked(struct em_thread *t, const char *err)
{
    struct emitter *e = t->e;
    if (!t->open)
        return;
    t->open = false;
    struct em_unit *s = slot(e, t->cur);
    s->done = true;
    if (err) {
        s->err = xstrdup(err);
        if (t->cur < e->err_unit)
            e->err_unit = t->cur;
    }
    e->held += s->out.len;
    drain_locked(e, false);
    pthread_cond_broadcast(&e->cv);
}

/* Walker unit U is reached.  Units go in chunks (about EM_CHUNK_CASES cases), claimed
 * and written as one: the lock is taken once per chunk, not per unit of one case. */
static bool em_claim(struct cfg_split *sp, uint64_t u, void *ctx)
{
    struct emitter *e = (struct emitter *)sp;
    struct em_thread *t = ctx;
    uint64_t ch = u / e->chunk;
    if (t->open && ch == t->cur)
        return true;
    if (!t->open && ch < __atomic_load_n(&e->next, __ATOMIC_ACQUIRE))
        return false;       /* the common skip: another thread has it */
    pthread_mutex_lock(&e->mu);
    finish_locked(t, NULL);
    /* too far ahead: wait for the chunk at `ready`, whose owner never waits */
    while (!e->failed && ch >= e->next &&
           (e->next - e->head >= EM_RING || e->held > EM_HELD))
        pthread_cond_wait(&e->cv, &e->mu);
    bool mine = !e->failed && ch == e->next && ch < e->err_unit;
    if (mine) {
        __atomic_store_n(&e->next, ch + 1, __ATOMIC_RELEASE);
        t->open = true;
        t->cur = ch;
    }
    pthread_mutex_unlock(&e->mu);
    return mine;
}

/* The thread's unit grew: if every unit before it is done, write them and it (it is
 * then the head, and stays so until it finishes); else keep it, waiting once it holds
 * too much.  -1 when the output has ended. */
static int em_flush(struct em_thread *t)
{
    struct emitter *e = t->e;
    struct em_unit *s = slot(e, t->cur);
    pthread_mutex_lock(&e->mu);
    drain_locked(e, false);
    while (!e->failed && t->cur != e->ready && s->out.len > EM_HELD) {
        pthread_cond_wait(&e->cv, &e->mu);
        drain_locked(e, false);
    }
    if (!e->failed && t->cur == e->ready)
        write_locked(e, t->cur, &s->out);
    int rc = e->failed ? -1 : 0;
    pthread_mutex_unlock(&e->mu);
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

static void *em_run(void *arg)
{
    struct em_thread *t = arg;
    struct emitter *e = t->e;
    const struct cfg_case *k;
    int r;
    while ((r = cfg_iter_next(t->it, &k)) == 1) {
        struct em_unit *s = slot(e, t->cur);
        record(e->what, k, &s->out);
        if (s->out.len >= EM_FLUSH && em_flush(t) < 0)
            break;
    }
    pthread_mutex_lock(&e->mu);
    if (r < 0 && !e->failed) {
        if (cfg_cancel)
            fail_locked(e, -1, "interrupted");
        else if (t->open)
            finish_locked(t, err_msg());    /* reported when the output gets there */
        else
            fail_locked(e, -1, err_msg());
    }
    finish_locked(t, NULL);
    pthread_mutex_unlock(&e->mu);
    cfg_regex_thread_done();
    return NULL;
}

struct cfg_emit_stats cfg_emit_last;

static int emit_parallel(struct cfg *c, size_t depth, size_t chunk, enum cfg_emit_what what,
                         int nthreads, int fd)
{
    struct emitter *e = xcalloc(1, sizeof(*e));
    struct em_thread th[EM_MAX_THREADS];
    int started = 0, rc;
    e->c = c;
    e->what = what;
    e->fd = fd;
    e->split.depth = depth;
    e->chunk = chunk;
    e->split.claim = em_claim;
    e->err_unit = UINT64_MAX;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    cfg_walk_prepare(c);
    memset(th, 0, sizeof(th));
    for (int i = 0; i < nthreads; i++) {
        th[i].e = e;
        th[i].it = what == CFG_EMIT_DUMP ? cfg_iter_new(c) : cfg_iter_new_names(c);
        cfg_walker_set_split(cfg_iter_walker(th[i].it), &e->split, &th[i]);
    }
    /* the calling thread is worker 0; one that cannot start claims nothing, the others
     * take every unit */
    for (int i = 1; i < nthreads; i++) {
        if (pthread_create(&th[i].tid, NULL, em_run, &th[i]) != 0)
            break;
        started++;
    }
    em_run(&th[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i].tid, NULL);
    pthread_mutex_lock(&e->mu);
    drain_locked(e, true);
    pthread_mutex_unlock(&e->mu);
    cfg_emit_last = (struct cfg_emit_stats){ nthreads, depth, e->next };
    rc = e->failed;
    if (rc)
        err_set("%s", e->err);
    for (int i = 0; i < nthreads; i++)
        cfg_iter_free(th[i].it);
    for (size_t i = 0; i < EM_RING; i++) {
        strbuf_release(&e->ring[i].out);
        free(e->ring[i].err);
    }
    free(e->err);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
    return rc;
}

static int flush_serial(int fd, struct strbuf *out)
{
    struct iovec iov = { out->buf, out->len };
    int rc = out->len ? write_all(fd, &iov, 1) : 0;
    strbuf_reset(out);
    return rc;
}

static int emit_serial(const struct cfg *c, enum cfg_emit_what what, int fd)
{
    struct cfg_iter *it = what == CFG_EMIT_DUMP ? cfg_iter_new(c) : cfg_iter_new_names(c);
    struct strbuf out = STRBUF_INIT;
    const struct cfg_case *k;
    int r, rc = 0;
    strbuf_grow(&out, EM_FLUSH + 4096);
    while ((r = cfg_iter_next(it, &k)) == 1) {
        record(what, k, &out);
        if (out.len >= EM_FLUSH && flush_serial(fd, &out) < 0) {
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
    if (flush_serial(fd, &out) < 0)
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

int cfg_emit(const struct cfg *c, enum cfg_emit_what what, int nthreads, int fd)
{
    if (nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (int)n : 1;
    }
    if (nthreads > EM_MAX_THREADS)
        nthreads = EM_MAX_THREADS;
    /* names alone: the walk above the units (every thread's) is nearly all the work */
    if (nthreads > 1 && what == CFG_EMIT_DUMP && cfg_walk_parallel_ok(c)) {
        /* the cfg is logically const: walkers only fill caches (cfg_walk_prepare) */
        struct cfg *mc = (struct cfg *)c;
        size_t per_unit;
        size_t depth = cfg_walk_split_depth(mc, &per_unit);
        size_t chunk = per_unit >= EM_CHUNK_CASES ? 1 : EM_CHUNK_CASES / per_unit;
        if (depth)
            return emit_parallel(mc, depth, chunk, what, nthreads, fd);
    }
    cfg_emit_last = (struct cfg_emit_stats){ 1, 0, 0 };
    return emit_serial(c, what, fd);
}
