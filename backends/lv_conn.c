/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lv_conn: a libvirt connection that comes back (backends/lv_conn.h). */
#include "backends/be.h"
#include "backends/lv_conn.h"
#include "lib/clock.h"
#include "lib/forkstuck.h"
#include "lib/err.h"
#include "lib/strbuf.h"

#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Keepalive of every connection: with the event loop running, a daemon that dies or
 * stops mid-call fails the call within ~20 s (5 s interval, 3 missed answers). */
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT 3
/* Pause between two attempts to reopen: a restarting daemon needs about a second. */
#define REOPEN_PAUSE_S 0.5
/* One attempt after the budget is spent: a daemon that refuses answers at once, one
 * that hangs costs this much per call. */
#define LV_LAST_TRY_S 2.0

struct lv_conn {
    _Atomic(virConnectPtr) conn;
    char *uri;
    pthread_mutex_t lock;       /* reopening; retired */
    virConnectPtr *retired;     /* replaced, closed with the struct */
    size_t nretired;
    double spent;               /* seconds spent reopening since the last success */
    char *last_err;             /* why the last attempt failed */
};

/* One virConnectOpen() in its thread.  The caller and the thread hold a reference
 * each; whoever lets go last frees it, and closes a connection nobody took. */
struct opener {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int refs;
    bool done;
    char *uri;
    virConnectPtr conn;
    char *err;
};

static void opener_unref(struct opener *o)
{
    pthread_mutex_lock(&o->lock);
    bool last = --o->refs == 0;
    pthread_mutex_unlock(&o->lock);
    if (!last)
        return;
    if (o->conn)
        virConnectClose(o->conn);
    free(o->uri);
    free(o->err);
    pthread_cond_destroy(&o->cond);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

/*
 * In an AddressSanitizer build, one connection opens at a time.  libvirt forks the
 * ssh of a qemu+ssh URI from virConnectOpen and, in the child before exec, allocates
 * (opendir, to close the inherited descriptors).  GCC 12's ASan allocator is not
 * locked around fork: a child forked while another thread held one of its size-class
 * locks (another open doing the same) waits on it forever, holding copies of every
 * descriptor -- the job's locks among them, so the next job waits too (seen in CI's
 * sanitizer run).  glibc's malloc is fork-safe, so other builds open in parallel.  The
 * wait is bounded: an open that hangs (a stopped daemon) delays the others by that
 * much, never for good.
 */
#ifdef __SANITIZE_ADDRESS__
#define LV_OPEN_SERIAL_WAIT_S 3
static pthread_mutex_t open_serial = PTHREAD_MUTEX_INITIALIZER;

static virConnectPtr open_one(const char *uri)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += LV_OPEN_SERIAL_WAIT_S;
    bool held = pthread_mutex_timedlock(&open_serial, &until) == 0;
    virConnectPtr c = virConnectOpen(uri);
    if (held)
        pthread_mutex_unlock(&open_serial);
    return c;
}
#else
static virConnectPtr open_one(const char *uri)
{
    return virConnectOpen(uri);
}
#endif

static void *open_thread(void *arg)
{
    struct opener *o = arg;
    virConnectPtr c = open_one(o->uri);

    if (c)
        virConnectSetKeepAlive(c, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);
    pthread_mutex_lock(&o->lock);
    o->conn = c;
    if (!c) {
        const char *m = virGetLastErrorMessage();     /* per thread */
        o->err = xstrdup(m ? m : "unknown libvirt error");
    }
    o->done = true;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
    opener_unref(o);
    return NULL;
}

virConnectPtr lv_conn_open_bounded(const char *uri, double timeout_s)
{
    struct opener *o = xcalloc(1, sizeof(*o));
    pthread_condattr_t ca;
    pthread_attr_t ta;
    pthread_t tid;
    virConnectPtr c = NULL;

    pthread_mutex_init(&o->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&o->cond, &ca);
    pthread_condattr_destroy(&ca);
    o->uri = xstrdup(uri);
    o->refs = 2;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &ta, open_thread, o) != 0) {
        pthread_attr_destroy(&ta);
        o->refs = 1;
        opener_unref(o);
        err_set("cannot connect to %s: no thread for it", uri);
        return NULL;
    }
    pthread_attr_destroy(&ta);
    double until = clock_now() + timeout_s;
    struct timespec ts = { .tv_sec = (time_t)until,
                           .tv_nsec = (long)((until - (double)(time_t)until) * 1e9) };
    pthread_mutex_lock(&o->lock);
    while (!o->done && pthread_cond_timedwait(&o->cond, &o->lock, &ts) == 0)
        ;
    if (o->done && o->conn) {
        c = o->conn;
        o->conn = NULL;
    } else if (o->done) {
        err_set("cannot connect to %s: %s", uri, o->err);
    } else {
        /* An open hangs for good when the ssh libvirt forked for it is stuck before
         * its exec; killing that child ends the open (EOF) and frees its thread. */
        int stuck = forkstuck_kill(2.0);
        err_set("cannot connect to %s: no answer within %.0f s%s", uri, timeout_s,
                stuck ? " (a child stuck before its exec was killed)" : "");
    }
    pthread_mutex_unlock(&o->lock);
    opener_unref(o);
    return c;
}

struct lv_conn *lv_conn_open(const char *uri)
{
    virConnectPtr c = lv_conn_open_bounded(uri, LV_CONNECT_TIMEOUT_S);
    if (!c)
        return NULL;
    struct lv_conn *lc = xcalloc(1, sizeof(*lc));
    atomic_init(&lc->conn, c);
    lc->uri = xstrdup(uri);
    pthread_mutex_init(&lc->lock, NULL);
    return lc;
}

virConnectPtr lv_conn_get(struct lv_conn *c)
{
    return atomic_load(&c->conn);
}

int lv_conn_lost(struct lv_conn *c)
{
    return virConnectIsAlive(lv_conn_get(c)) != 1;
}

/* Reopen within what is left of the budget, or with one short attempt once it is
 * spent (a host that was away may be back); 1 reopened, 0 not (last_err says why). */
static int reopen_locked(struct lv_conn *c)
{
    bool spent = c->spent >= LV_RECONNECT_BUDGET_S;
    do {
        double t0 = clock_now(), left = LV_RECONNECT_BUDGET_S - c->spent;
        double bound = spent ? LV_LAST_TRY_S
                       : left < LV_CONNECT_TIMEOUT_S ? (left > 1 ? left : 1)
                       : LV_CONNECT_TIMEOUT_S;
        virConnectPtr n = lv_conn_open_bounded(c->uri, bound);
        if (n) {
            c->retired = xrealloc(c->retired, (c->nretired + 1) * sizeof(*c->retired));
            c->retired[c->nretired++] = atomic_exchange(&c->conn, n);
            c->spent = 0;
            be_daemon_epoch_bump();     /* the daemon went away and is back */
            return 1;
        }
        free(c->last_err);
        c->last_err = xstrdup(err_msg());
        if (!spent)
            clock_sleep(REOPEN_PAUSE_S);
        c->spent += clock_now() - t0;
    } while (c->spent < LV_RECONNECT_BUDGET_S);
    return 0;
}

int lv_conn_recover(struct lv_conn *c)
{
    if (!lv_conn_lost(c))
        return 0;
    char *why = xstrdup(err_msg());
    pthread_mutex_lock(&c->lock);
    /* another thread may have reopened it meanwhile */
    int rc = !lv_conn_lost(c) ? 1 : reopen_locked(c);
    if (!rc)
        err_set("%s (the connection to %s was lost and did not come back within %.0f s: "
                "%s)", why, c->uri, LV_RECONNECT_BUDGET_S, c->last_err);
    pthread_mutex_unlock(&c->lock);
    free(why);
    return rc;
}

void lv_conn_close(struct lv_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nretired; i++)
        virConnectClose(c->retired[i]);
    virConnectClose(atomic_load(&c->conn));
    free(c->retired);
    free(c->last_err);
    free(c->uri);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
