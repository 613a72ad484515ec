/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The job lifecycle: settings, expansion, selection (--shard, --rerun-failed),
 * scheduling (--jobs worker threads pulling cases from one iterator), and for each
 * case: results directory, type lookup, setup / run / cleanup, status, progress.
 *
 * Signals: the first SIGINT/SIGTERM sets the cancel flag every test polls; the test
 * becomes INTERRUPTED, its cleanup runs, results are written, the job exits with bit 8.
 * A second SIGINT is the user's explicit choice to skip the remaining cleanup: results
 * are still written and vtrun prints what was left behind (virt_leftover).
 */
#include "runner/run.h"
#include "cfg/cfg.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/strbuf.h"
#include "results/res.h"
#include "runner/run_name.h"
#include "runner/run_shard.h"
#include "virt/virt.h"
#include "runner/run_cache.h"
#include "runner/run_dispo.h"
#include "runner/run_needs.h"
#include "runner/run_port.h"
#include "runner/run_reap.h"
#include "runner/run_settings.h"
#include "runner/run_type.h"

#include <limits.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Address slots of the machine (virt_slot_take): a VM's host number is
 * 10 + 20 * slot + i, so 12 slots of up to 20 VMs fill .10-.249 of a /24. */
#define RUN_ADDR_SLOTS 12

/* Cleanup gets its own time, whatever happened to the test's deadline. */
#define CLEANUP_TIME_S 300.0

static atomic_bool g_cancel;       /* stop: tests poll it */
static atomic_int g_sigints;
static atomic_bool g_skip_cleanup; /* second SIGINT */
static atomic_bool g_cleanup_cancel; /* what cleanup code polls */

static void on_signal(int sig)
{
    g_cancel = 1;
    cfg_cancel = 1;
    if (sig == SIGINT && ++g_sigints >= 2) {
        g_skip_cleanup = 1;
        g_cleanup_cancel = 1;
    }
}

/* In every child vtrun forks: a process group of its own.  Ctrl-C at a terminal signals
 * the whole foreground group, and that group holds the ssh processes libvirt forks for
 * qemu+ssh:// connections: they died with the first SIGINT, and cleanup then found its
 * connections closed and left the VMs running on the hosts.  vtrun's own children
 * (lib/spawn) already get their own group; this reaches the ones libvirt forks. */
static void child_own_group(void)
{
    setpgid(0, 0);
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, child_own_group);
}

static void install_signals(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_atfork);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* run_status (the order of the RESULTS line) → res_status (results' enum). */
static const enum res_status to_res[] = {
    [RUN_PASS] = RES_PASS,       [RUN_ERROR] = RES_ERROR, [RUN_FAIL] = RES_FAIL,
    [RUN_SKIP] = RES_SKIP,       [RUN_WARN] = RES_WARN,
    [RUN_INTERRUPTED] = RES_INTERRUPTED, [RUN_CANCEL] = RES_CANCEL,
};

struct worker;

struct job {
    const struct run_opts *o;
    struct run_settings set;
    struct run_port *port;      /* settings' hosts, override, --set: a case's params */
    struct run_facts facts;     /* what the hosts are, for the needs */
    struct run_cache *cache;    /* what cases keep for later ones (host facts) */
    struct run_facts_hosts probe;
    struct cfg *cfg;
    struct res_job *res;
    char **rerun;               /* --rerun-failed: names to keep, NULL = all */
    struct run_shard *shard;    /* --shard: its selection, NULL = all; rewound before
                                   each pass over the cases */
    char *shard_said;           /* what a plan by time planned */
    char *stem;                 /* the config's file stem: the job's name, and the name
                                   of the one case of a config without variants */
    bool all_props;             /* --junit-params all */
    char *known_hosts;          /* the job's known_hosts: host keys learned (accept-new) */
    unsigned total;             /* selected cases (in this shard) */
    unsigned total_all;         /* selected cases in all shards */
    bool tty;
    /* shared by the workers, under lock */
    pthread_mutex_t lock;
    struct cfg_iter *it;
    long gen;                   /* generation index of the next case from it */
    unsigned index;             /* 1-based index of the last handed-out case */
    unsigned done;
    double done_time;
    bool stop;                  /* failfast hit, interrupted, or an iterator error */
    int job_flags;
    const char *cur_name;       /* for the live line */
    double cur_start;
    struct worker *workers;     /* for the watchdog */
    long nworkers;
    bool watch_stop;            /* the workers are done: watchdog and ticker end */
    unsigned ran;               /* cases that got past their needs (setup or run ran) */
    struct run_name_set *names; /* reported names so far, */
    unsigned shared_names;      /* and how many cases got a name already given */
    char *first_reason;         /* why the first case that did not run did not */
    bool avoid[RUN_ADDR_SLOTS]; /* address slots of leftovers kept (--keep-leftovers) */
};

/* What a worker is doing, for the watchdog. */
enum slot_phase { SLOT_IDLE, SLOT_TEST, SLOT_CLEANUP };

/*
 * One worker thread.  `cancel` is the flag its running test polls (ctx.cancel): every
 * long operation got that pointer (migrations, spawns, logins, even copies kept by the
 * VM set), so the watchdog thread sets it for whatever stops the test — a signal or
 * the test's deadline — and, once cleanup starts, clears it and sets it again only for
 * a second SIGINT or the cleanup's own deadline.  Phase and deadline change under the
 * job's lock.
 */
struct worker {
    struct job *job;
    unsigned slot;
    unsigned addr_slot;         /* machine-wide (virt_slot_take) */
    int slot_fd;                /* holds addr_slot; -1: none */
    unsigned long slot_note;    /* its ledger entry */
    pthread_t tid;
    atomic_bool cancel;
    enum slot_phase phase;
    double deadline;            /* of the current phase; 0 = none */
    bool timed_out;             /* the watchdog stopped the test for its deadline */
};

/* A config without variants has one case with an empty name; results need a name
 * (test-results/<n>-<name>, JUnit), so it takes the config's file name without
 * directory and ".cfg", as a user would call it. */
static const char *case_name(const struct job *j, const struct cfg_case *k)
{
    const char *n = cfg_case_name(k);
    return *n ? n : j->stem;
}

static const char *case_shortname(const struct job *j, const struct cfg_case *k)
{
    const char *n = cfg_case_shortname(k);
    return *n ? n : j->stem;
}

/* The name the case is reported under (avocado-vt's, or --full-names). */
static char *test_name(const struct job *j, const struct params *p, const struct cfg_case *k)
{
    return run_name_case(p, cfg_case_name(k), cfg_case_shortname(k), j->o->full_names,
                         j->stem);
}

static bool in_rerun(const struct job *j, const char *name)
{
    for (size_t i = 0; j->rerun[i]; i++)
        if (!strcmp(j->rerun[i], name))
            return true;
    return false;
}

/* --shard: the shard of a case is decided by its Cartesian name (runner/run_shard.h),
 * so every machine computes the same split without talking; called once per case of a
 * pass, in order.  --rerun-failed: a results.json names a case by its Cartesian name
 * (vtrun's) or by avocado-vt's name (avocado's, or vtrun's own), so either matches;
 * the latter needs the case's params, hence the full expansion then. */
static bool rerun_keeps(const struct job *j, const struct cfg_case *c)
{
    bool keep;
    if (!j->rerun)
        return true;
    if (in_rerun(j, case_name(j, c)))
        return true;
    struct params *p = cfg_case_params(c);
    char *name = test_name(j, p, c);
    keep = in_rerun(j, name);
    free(name);
    params_free(p);
    return keep;
}

/* The shard's rule sees every case of a pass (it counts occurrences of names). */
static bool in_shard(const struct job *j, const struct cfg_case *c)
{
    const char *cname = cfg_case_name(c);
    return !j->shard || run_shard_keep(j->shard, cname, strlen(cname));
}

static bool selected(const struct job *j, const struct cfg_case *c)
{
    return in_shard(j, c) && rerun_keeps(j, c);
}

/* The cases this job runs (j->total) and all the filters select (j->total_all):
 * a shard may have none of them. */
static int count_selected(struct job *j)
{
    struct cfg_iter *it = j->rerun ? cfg_iter_new(j->cfg) : cfg_iter_new_names(j->cfg);
    const struct cfg_case *k;
    int r;
    j->total = j->total_all = 0;
    if (j->shard)
        run_shard_rewind(j->shard);
    while ((r = cfg_iter_next(it, &k)) == 1) {
        bool mine = in_shard(j, k);
        if (rerun_keeps(j, k)) {
            j->total_all++;
            j->total += mine;
        }
    }
    cfg_iter_free(it);
    return r;
}

/* The case's params as it runs with them: the settings' defaults, the case, the
 * override, --set, placeholders filled (runner/run_port.h). */
static struct params *merged_params(const struct job *j, const struct cfg_case *k)
{
    struct params *cp = cfg_case_params(k);
    struct params *p = run_port_params(j->port, cp);
    params_free(cp);
    return p;
}

static const char *backend_of(const struct job *j, const struct run_common *c)
{
    if (j->o->backend)
        return j->o->backend;
    return c->vm_type ? c->vm_type : j->set.backend;
}

/* Whether settings host h is the one `what` names: one of its URIs (uri_names); its
 * name, hostname or address, or the host of one of its URIs (host_names). */
static bool uri_names(const struct run_host *h, const char *what)
{
    return (h->uri && !strcmp(h->uri, what))
        || (h->migrate_desturi && !strcmp(h->migrate_desturi, what));
}

/* Whether the host part of uri ("qemu+tcp://root@H:16509/system") is `what`. */
static bool uri_host_is(const char *uri, const char *what)
{
    const char *sep = uri ? strstr(uri, "://") : NULL;
    if (!sep)
        return false;
    const char *b = sep + 3, *at = strpbrk(b, "@/");
    if (at && *at == '@')
        b = at + 1;
    size_t n = *b == '[' ? strcspn(b, "]") + 1 : strcspn(b, ":/?");
    return n && n == strlen(what) && !strncmp(b, what, n);
}

static bool host_names(const struct run_host *h, const char *what)
{
    const char *ids[] = { h->name, h->hostname, h->address, h->address6 };
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
        if (ids[i] && !strcmp(ids[i], what))
            return true;
    /* addresses are often only in the URIs (the lab's, a real host's name) */
    return uri_host_is(h->migrate_uri, what) || uri_host_is(h->migrate_desturi, what)
        || uri_host_is(h->uri, what);
}

/* The settings host `what` names, the one at `prefer` first; NULL for none. */
static const struct run_host *settings_host(const struct job *j, const char *what,
                                            size_t prefer,
                                            bool (*names)(const struct run_host *, const char *))
{
    if (prefer < j->set.nhosts && names(&j->set.hosts[prefer], what))
        return &j->set.hosts[prefer];
    for (size_t i = 0; i < j->set.nhosts; i++)
        if (names(&j->set.hosts[i], what))
            return &j->set.hosts[i];
    return NULL;
}

/* The copy of settings host s among h[0..n) into position `at`. */
static void select_host(struct run_host *h, size_t n, size_t at, const struct run_host *s)
{
    for (size_t k = 0; k < n; k++) {
        if (h[k].name && !strcmp(h[k].name, s->name) && h[k].uri && !strcmp(h[k].uri, s->uri)) {
            struct run_host tmp = h[at];
            h[at] = h[k];
            h[k] = tmp;
            return;
        }
    }
}

/* ---- avocado-vt's remote params (remote_ip, server_user, local_ip ...) -------------- */

static void set_str(char **field, const char *v)
{
    free(*field);
    *field = xstrdup(v);
}

/* Whether v is a value a config means (not a tp-libvirt placeholder left unfilled). */
static bool meant(const char *v)
{
    char *ph = v ? run_port_placeholder(v) : NULL;
    free(ph);
    return v && !ph;
}

/* The source named by migrate_source_host (local_ip, client_ip) moves to the front;
 * the destination's login (remote_user, remote_pwd and their server_* twins) is the
 * case's: avocado-vt's remote params mean exactly these. */
static void remote_aliases(const struct job *j, const struct run_common *c,
                           struct run_host *h, size_t nh)
{
    if (meant(c->migrate_source_host)) {
        const struct run_host *s = settings_host(j, c->migrate_source_host, 0, host_names);
        if (s)
            select_host(h, nh, 0, s);
    }
    if (nh < 2 || !h[1].uri)
        return;
    if (meant(c->remote_user))
        set_str(&h[1].ssh_user, c->remote_user);
    if (meant(c->remote_pwd))
        set_str(&h[1].ssh_password, c->remote_pwd);
}

/* Hosts of one case: the settings' hosts, overridden by the case's own params
 * (tp-libvirt's names), because a config that names its hosts must win. */
static struct run_host *case_hosts(const struct job *j, const struct run_common *c, size_t *n)
{
    size_t nh = j->set.nhosts < 2 ? 2 : j->set.nhosts;
    struct run_host *h = xcalloc(nh, sizeof(*h));
    for (size_t i = 0; i < j->set.nhosts; i++)
        run_host_copy(&h[i], &j->set.hosts[i]);
    const struct { const char *uri; size_t host; bool dest; } over[] = {
        { c->virsh_migrate_connect_uri, 0, false },
        { c->virsh_migrate_desturi, 1, true },
    };
    for (size_t i = 0; i < ARRAY_SIZE(over); i++) {
        const char *v = over[i].uri;
        if (!v)
            continue;
        /* no URI at all (tp-libvirt's negative desturi 'xyz'): it names no host; the
         * settings' stays, and the test type meets the word as virsh would */
        if (!strchr(v, ':'))
            continue;
        /* the source's own daemon as tp-libvirt names it (qemu:///system: no host, the
         * machine the test runs on): the settings' source host */
        if (!over[i].dest && strstr(v, ":///") && !strchr(v, '+'))
            continue;
        /* a destination URI naming no host (qemu+unix:///system?socket=PATH, the
         * unix_proxy transport's listener, runner/run_uproxy.h) is a socket the
         * source dials, which only exists once the test made it: the settings'
         * destination stays, the source's daemon dials v (virsh_migrate_desturi) */
        if (over[i].dest && strstr(v, ":///") && strstr(v, "+unix")) {
            set_str(&h[over[i].host].migrate_desturi, v);
            continue;
        }
        /* a URI the settings give a host: that host, as the settings describe it */
        const struct run_host *s = settings_host(j, v, over[i].host, uri_names);
        if (s) {
            select_host(h, nh, over[i].host, s);
            continue;
        }
        struct run_host *t = &h[over[i].host];
        free(t->uri);
        t->uri = xstrdup(v);
        if (!t->name)
            t->name = xstrdup(over[i].dest ? "dest" : "source");
        if (over[i].dest) {
            free(t->migrate_desturi);
            t->migrate_desturi = xstrdup(v);
        }
    }
    /* the migration data channel to the destination (tp-libvirt's --migrateuri) */
    const char *mu = c->virsh_migrate_migrateuri;
    if (mu && h[1].uri) {
        free(h[1].migrate_uri);
        h[1].migrate_uri = xstrdup(mu);
    }
    /* migrate_dest_host: a settings host by name, hostname or address (the
     * destination's own first: the placeholder filled in is its address), else a
     * host reached over SSH; a placeholder left in it names none */
    const char *dh = c->migrate_dest_host;
    char *ph = dh ? run_port_placeholder(dh) : NULL;
    if (dh && !ph) {
        const struct run_host *s = settings_host(j, dh, 1, host_names);
        if (s) {
            select_host(h, nh, 1, s);
        } else {
            run_host_free(&h[1]);
            h[1] = (struct run_host){ .name = xstrdup(dh),
                                      .uri = xasprintf("qemu+ssh://%s/system", dh),
                                      .ssh_port = 22 };
        }
    }
    free(ph);
    remote_aliases(j, c, h, nh);
    *n = 0;
    for (size_t i = 0; i < nh && h[i].uri; i++)
        *n = i + 1;
    return h;
}

static void free_hosts(struct run_host *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_host_free(&h[i]);
    free(h);
}

/* What the test runs with, defaults included, in its debug.log. */
static void log_params(struct run_ctx *ctx, const struct run_type *t)
{
    struct strbuf sb = STRBUF_INIT;
    run_param_format(run_common_params, ctx->common, &sb);
    run_param_format(t->params, ctx->opts, &sb);
    for (char *line = sb.buf, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        run_log(ctx, "param %s", line);
    }
    strbuf_release(&sb);
}

/* What is decided from the params alone, before anything of the test runs
 * (runner/run_dispo.h): its type, the common params (parsed by the caller: `bad` is
 * their error), the type's options into ctx->opts, its needs.  false with the outcome
 * set (ERROR, CANCEL) when the test must not start. */
static bool prepare(struct job *j, struct run_ctx *ctx, const struct run_type *t,
                    const char *tname, const char *bad)
{
    struct run_dispo d;
    run_dispo_decide(t, tname, ctx->params, ctx->common, bad, ctx->nhosts, &j->facts,
                     &ctx->opts, &d);
    if (d.status == RUN_ERROR)
        run_error(ctx, d.fail_type, "%s", d.reason);
    else if (d.status == RUN_CANCEL)
        run_cancel(ctx, "%s", d.reason);
    else
        log_params(ctx, t);
    run_dispo_release(&d);
    return ctx->status == RUN_PASS;
}

static void print_progress(struct job *j, unsigned index, const char *name,
                           enum res_status st, const char *reason, double t)
{
    char *line = res_progress_line(index, j->total, name, st, reason, t);
    char *masked = res_job_mask(j->res, line);
    pthread_mutex_lock(&j->lock);
    printf("%s%s\n", j->tty ? "\r\033[K" : "", masked);
    fflush(stdout);
    j->done++;
    j->done_time += t;
    pthread_mutex_unlock(&j->lock);
    free(masked);
    free(line);
}

/* One selected case, copied out of the iterator (whose case is only valid until
 * the next cfg_iter_next()) so a worker can run it without the lock. */
struct job_case {
    char *name;                 /* reported name */
    char *cartesian;            /* the Cartesian name */
    char *shortname;
    struct params *params;
    unsigned index;
    long gen;
};

static void set_phase(struct worker *w, enum slot_phase phase, double deadline)
{
    pthread_mutex_lock(&w->job->lock);
    w->phase = phase;
    w->deadline = deadline;
    w->cancel = 0;
    w->timed_out = false;
    pthread_mutex_unlock(&w->job->lock);
}

/* setup, run and cleanup of a prepared test, with its deadline and the signals. */
static void run_test(struct job *j, struct worker *w, struct run_ctx *ctx,
                     const struct run_type *t, double timeout)
{
    double t0 = run_now();
    if (t->setup && t->setup(ctx) < 0 && ctx->status == RUN_PASS)
        run_error(ctx, "SetupError", "setup failed: %s", err_msg());
    if (t->setup)
        run_phase(ctx, "setup", t0);       /* params, clones, definitions */
    if (ctx->status == RUN_PASS || ctx->status == RUN_WARN) {
        if (t->run(ctx) < 0 && (ctx->status == RUN_PASS || ctx->status == RUN_WARN))
            run_fail(ctx, "TestFail", "%s", err_msg());
    }
    pthread_mutex_lock(&j->lock);
    bool timed_out = w->timed_out || (ctx->deadline && run_now() >= ctx->deadline);
    pthread_mutex_unlock(&j->lock);
    if (g_cancel)
        run_interrupt(ctx, "interrupted by a signal");
    else if (timed_out)
        run_interrupt(ctx, "test_timeout of %g s exceeded", timeout);
    if (!t->cleanup)
        return;
    if (g_skip_cleanup) {
        run_log(ctx, "cleanup skipped at the user's request (second SIGINT)");
        return;
    }
    /* cleanup runs even after a cancel, with its own bounded time: the same flag (the
     * test's code kept the pointer), cleared */
    ctx->deadline = run_now() + CLEANUP_TIME_S;
    set_phase(w, SLOT_CLEANUP, ctx->deadline);
    run_log(ctx, "cleanup");
    t0 = run_now();
    t->cleanup(ctx);
    run_phase(ctx, "cleanup", t0);
}

/* Every param of a case as results/ takes them (pointers into p). */
static struct res_param *res_params(const struct params *p, size_t *n)
{
    struct res_param *rp;
    *n = params_count(p);
    rp = xcalloc(*n ? *n : 1, sizeof(*rp));
    for (size_t i = 0; i < *n; i++)
        rp[i] = (struct res_param){ params_key_at(p, i), params_value_at(p, i) };
    return rp;
}

/* A row's value as the case wrote it: under its name, else one of its aliases. */
static const char *param_or_alias(const struct params *p, const struct run_param *d)
{
    const char *v = params_get(p, d->name), *a = d->aliases;
    while (!v && a && *a) {
        size_t len = strcspn(a, " ");
        char *name = xstrndup(a, len);
        v = params_get(p, name);
        free(name);
        a += len;
        a += strspn(a, " ");
    }
    return v;
}

/*
 * The params that matter, for JUnit properties and results.json (--junit-params
 * relevant): the type, the backend, the hosts, and the params its test type declares
 * (--list-types) that the case sets to something else than their default.  Every
 * param is still in the test's params.json; a few hundred per case as properties
 * made results.xml ~5 KB per CANCEL and GitLab refuse merged files.  HOSTS holds the
 * "hosts" text the array points to.
 */
static struct res_param *relevant_params(const struct params *p, const char *backend,
                                         const struct run_host *h, size_t nh,
                                         char **hosts, size_t *n)
{
    const struct run_type *t = run_type_lookup(params_get_or(p, "type", ""));
    size_t a = 3;
    struct res_param *rp;
    struct strbuf sb = STRBUF_INIT;
    for (const struct run_param *d = t ? t->params : NULL; d && d->name; d++)
        a++;
    rp = xcalloc(a, sizeof(*rp));
    *n = 0;
    rp[(*n)++] = (struct res_param){ "type", params_get_or(p, "type", "") };
    rp[(*n)++] = (struct res_param){ "backend", backend };
    for (size_t i = 0; i < nh; i++)
        strbuf_addf(&sb, "%s%s", i ? " -> " : "", h[i].name ? h[i].name : h[i].uri);
    *hosts = strbuf_detach(&sb, NULL);
    if (nh)
        rp[(*n)++] = (struct res_param){ "hosts", *hosts };
    for (const struct run_param *d = t ? t->params : NULL; d && d->name; d++) {
        const char *v = d->scope == RUN_PARAM_CASE ? param_or_alias(p, d) : NULL;
        if (v && (!d->def || strcmp(v, d->def)))
            rp[(*n)++] = (struct res_param){ d->name, v };
    }
    return rp;
}

static struct res_test *start_test(struct job *j, struct job_case *c, const char *backend,
                                   const struct run_host *hosts, size_t nhosts)
{
    size_t np, nr = 0;
    char *hoststr = NULL;
    struct res_param *all = res_params(c->params, &np);
    struct res_param *rel = j->all_props ? NULL
                            : relevant_params(c->params, backend, hosts, nhosts, &hoststr,
                                              &nr);
    struct res_test_info ti = {
        .index = c->index, .gen_index = c->gen, .name = c->name,
        .cartesian_name = c->cartesian, .shortname = c->shortname,
        .classname = params_get(c->params, "type"),
        .params = all, .nparams = np, .props = rel, .nprops = nr,
    };
    struct res_test *rt = res_test_start(j->res, &ti);
    free(all);
    free(rel);
    free(hoststr);
    return rt;
}

/* Whether the case got past its params and needs: counted, or the first reason of a
 * case that did not is kept (what an empty night says). */
static void note_ran(struct job *j, bool ran, const char *reason)
{
    pthread_mutex_lock(&j->lock);
    if (ran)
        j->ran++;
    else if (!j->first_reason)
        j->first_reason = xstrdup(reason ? reason : "");
    pthread_mutex_unlock(&j->lock);
}

static void run_case(struct job *j, struct job_case *c, struct worker *w)
{
    struct params *p = c->params;
    const char *name = c->name;
    /* `type` picks the tables everything else is parsed with */
    const char *tname = params_get_or(p, "type", "");
    const struct run_type *t = run_type_lookup(tname);
    struct run_common common = { .test_timeout = j->set.test_timeout };
    char *bad = run_common_parse(p, &common) < 0 ? xstrdup(err_msg()) : NULL;
    size_t nhosts;
    struct run_host *hosts = case_hosts(j, &common, &nhosts);
    double timeout = common.test_timeout;
    struct res_test *rt = start_test(j, c, backend_of(j, &common), hosts, nhosts);
    if (!rt) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        pthread_mutex_lock(&j->lock);
        j->job_flags |= RES_EXIT_JOB_ERROR;
        j->stop = true;
        pthread_mutex_unlock(&j->lock);
        run_common_release(&common);
        free(bad);
        free_hosts(hosts, nhosts);
        return;
    }
    double t0 = run_now();
    struct run_ctx ctx = {
        .params = p, .common = &common, .type = t, .name = name, .shortname = c->shortname,
        .outdir = res_test_dir(rt), .res = rt, .hosts = hosts, .nhosts = nhosts,
        .need_hosts = t && t->needs.hosts > 1 ? t->needs.hosts : 1,
        .backend = backend_of(j, &common), .slot = w->slot, .addr_slot = w->addr_slot,
        .job_id = res_job_id(j->res),
        .deadline = timeout > 0 ? t0 + timeout : 0, .cancel = &w->cancel,
        .known_hosts = j->known_hosts, .status = RUN_PASS, .started_wall = clock_wall(),
        .cache = j->cache,
    };
    pthread_mutex_lock(&j->lock);
    j->cur_name = name;
    j->cur_start = t0;
    pthread_mutex_unlock(&j->lock);
    set_phase(w, SLOT_TEST, ctx.deadline);

    run_log(&ctx, "START %s (type %s, backend %s, timeout %g s)", c->cartesian, tname,
            ctx.backend, timeout);
    for (size_t h = 0; h < nhosts; h++)
        if (hosts[h].uri)
            run_log(&ctx, "host %s: %s", hosts[h].name ? hosts[h].name : "?", hosts[h].uri);
    bool ready = prepare(j, &ctx, t, tname, bad);
    note_ran(j, ready, ctx.status == RUN_CANCEL || ctx.status == RUN_SKIP ? ctx.reason : NULL);
    if (ready)
        run_test(j, w, &ctx, t, timeout);
    set_phase(w, SLOT_IDLE, 0);
    double dt = run_now() - t0;
    enum res_status st = to_res[ctx.status];
    run_log(&ctx, "END %s: %s%s%s (%.2f s)", name, res_status_name(st),
            ctx.reason ? ": " : "", ctx.reason ? ctx.reason : "", dt);
    print_progress(j, c->index, name, st, ctx.reason, dt);
    res_test_end(rt, st, ctx.fail_type, ctx.reason, dt);
    pthread_mutex_lock(&j->lock);
    if (j->o->failfast && !res_status_ok(st))
        j->stop = true;
    if (j->cur_name == name)    /* the worker frees it after we return */
        j->cur_name = NULL;
    pthread_mutex_unlock(&j->lock);
    run_ctx_close_links(&ctx);      /* after cleanup: it may still talk to the hosts */
    if (t)
        run_type_opts_free(t, ctx.opts);
    run_common_release(&common);
    free(bad);
    free(ctx.reason);
    free(ctx.fail_type);
    free_hosts(hosts, nhosts);
}

/* Hand out the next selected case (under the lock); false when there is none. */
static bool next_case(struct job *j, const struct cfg_case **k, unsigned *index, long *gen)
{
    int r = 0;
    while (!j->stop && !g_cancel && (r = cfg_iter_next(j->it, k)) == 1) {
        long g = j->gen++;
        if (!selected(j, *k))
            continue;
        *index = ++j->index;
        *gen = g;
        return true;
    }
    if (!j->stop && !g_cancel && r < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        j->job_flags |= RES_EXIT_JOB_ERROR;
        j->stop = true;
    }
    return false;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct job *j = w->job;
    for (;;) {
        const struct cfg_case *k;
        struct job_case c = { 0 };
        pthread_mutex_lock(&j->lock);
        bool got = next_case(j, &k, &c.index, &c.gen);
        if (got) {
            c.cartesian = xstrdup(case_name(j, k));
            c.shortname = xstrdup(case_shortname(j, k));
            c.params = merged_params(j, k);
            c.name = test_name(j, c.params, k);
            if (!run_name_set_add(j->names, c.name))
                j->shared_names++;
        }
        pthread_mutex_unlock(&j->lock);
        if (!got)
            break;
        run_case(j, &c, w);
        free(c.name);
        free(c.cartesian);
        free(c.shortname);
        params_free(c.params);
    }
    return NULL;
}

/* The TTY live line: "(i/N) name 1m04s ETA 12m30s", refreshed every second. */
static void *ticker_main(void *arg)
{
    struct job *j = arg;
    for (unsigned tick = 0;; tick++) {
        pthread_mutex_lock(&j->lock);
        if (j->watch_stop) {
            pthread_mutex_unlock(&j->lock);
            break;
        }
        if (tick % 10 == 0 && j->cur_name && j->done < j->total) {
            double el = run_now() - j->cur_start;
            double eta = res_eta(j->done_time, j->done, j->total, el);
            char *line = res_progress_live(j->done + 1, j->total, j->cur_name, el, eta, 0);
            printf("\r\033[K%s", line);
            fflush(stdout);
            free(line);
        }
        pthread_mutex_unlock(&j->lock);
        clock_sleep(0.1);       /* a 1 s refresh, but a quick exit */
    }
    return NULL;
}

/* Sets each worker's cancel flag when its test must stop (signal, test_timeout) or
 * its cleanup must (second SIGINT, cleanup time).  50 ms granularity. */
static void *watchdog_main(void *arg)
{
    struct job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        if (j->watch_stop) {
            pthread_mutex_unlock(&j->lock);
            break;
        }
        double now = run_now();
        for (long i = 0; i < j->nworkers; i++) {
            struct worker *w = &j->workers[i];
            bool late = w->deadline > 0 && now >= w->deadline;
            if (w->phase == SLOT_TEST && (g_cancel || late) && !w->cancel) {
                w->cancel = 1;
                w->timed_out = !g_cancel;
            } else if (w->phase == SLOT_CLEANUP && (g_cleanup_cancel || late)) {
                w->cancel = 1;
            }
        }
        pthread_mutex_unlock(&j->lock);
        clock_sleep(0.05);
    }
    return NULL;
}

static void skipped_rest(struct job *j)
{
    /* --failfast: the cases not run are listed as SKIP, as avocado does */
    const struct cfg_case *k;
    unsigned index;
    long gen;
    if (!j->o->failfast || g_cancel)
        return;
    j->stop = false;
    while (next_case(j, &k, &index, &gen)) {
        struct params *p = cfg_case_params(k);
        char *name = test_name(j, p, k);
        struct res_test_info ti = { .index = index, .gen_index = gen, .name = name,
                                    .cartesian_name = case_name(j, k),
                                    .shortname = case_shortname(j, k),
                                    .classname = params_get(p, "type") };
        struct res_test *rt = res_test_start(j->res, &ti);
        if (rt)
            res_test_end(rt, RES_SKIP, NULL, "not run: an earlier test failed (--failfast)", 0);
        free(name);
        params_free(p);
    }
}

/* --dry-run: each selected case's disposition (what a job would decide before
 * starting it, runner/run_dispo.h) and the params it would run with, then the counts.
 * Nothing starts; the hosts are asked for their versions when a case needs them. */
static int dry_run(struct job *j)
{
    struct cfg_iter *it = cfg_iter_new(j->cfg);
    struct run_dispo_counts *counts = run_dispo_counts_new();
    const struct cfg_case *k;
    unsigned index = 0;
    int r;
    if (j->shard)
        run_shard_rewind(j->shard);
    while ((r = cfg_iter_next(it, &k)) == 1) {
        if (!selected(j, k))
            continue;
        struct params *p = merged_params(j, k);
        const char *tname = params_get_or(p, "type", "");
        const struct run_type *t = run_type_lookup(tname);
        struct run_common common = { .test_timeout = j->set.test_timeout };
        char *bad = run_common_parse(p, &common) < 0 ? xstrdup(err_msg()) : NULL;
        size_t nhosts;
        struct run_host *hosts = case_hosts(j, &common, &nhosts);
        struct run_dispo d;
        void *opts;
        run_dispo_decide(t, tname, p, &common, bad, nhosts, &j->facts, &opts, &d);
        char *why = d.reason ? res_mask(d.reason) : NULL;
        char *name = test_name(j, p, k);
        printf("(%u/%u) %s: %s%s%s\n", ++index, j->total, name,
               d.status == RUN_PASS ? "RUN" : d.status == RUN_CANCEL ? "CANCEL" : "ERROR",
               why ? ": " : "", why ? why : "");
        free(name);
        for (size_t i = 0; i < params_count(p); i++) {
            const char *key = params_key_at(p, i);
            /* a value may hold a secret of its own ("server_pwd": "..." in a dict) */
            char *v = res_key_is_secret(key) ? NULL : res_mask(params_value_at(p, i));
            printf("    %s = %s\n", key, v ? v : "****");
            free(v);
        }
        run_dispo_count(counts, &d, tname);
        free(why);
        run_dispo_release(&d);
        if (t)
            run_type_opts_free(t, opts);
        free_hosts(hosts, nhosts);
        run_common_release(&common);
        free(bad);
        params_free(p);
    }
    cfg_iter_free(it);
    if (r < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        run_dispo_counts_free(counts);
        return g_cancel ? RES_EXIT_INTERRUPTED : RES_EXIT_JOB_ERROR;
    }
    struct strbuf facts = STRBUF_INIT;
    run_facts_describe(&j->facts, &facts);
    run_dispo_counts_print(counts, stdout);
    printf("HOSTS      : %s\n", facts.buf);
    strbuf_release(&facts);
    run_dispo_counts_free(counts);
    return 0;
}

/* Each worker's address slot, machine-wide: another vtrun job's guests (this lab or
 * another) never get the same address.  Without a runtime directory (not root) the
 * worker's index, as before. */
static int take_slots(struct job *j, struct worker *w, long jobs)
{
    for (long i = 0; i < jobs; i++) {
        int s = virt_slot_take(j->avoid, RUN_ADDR_SLOTS, &w[i].slot_fd);
        if (s < 0 && !virt_ledger_active()) {
            err_clear();
            w[i].addr_slot = (unsigned)i;
            continue;
        }
        if (s < 0)
            return -1;
        w[i].addr_slot = (unsigned)s;
        char num[16];
        snprintf(num, sizeof(num), "%d", s);
        struct virt_res r = { VIRT_RES_SLOT, "", "", num };
        w[i].slot_note = virt_ledger_note(&r);
    }
    return 0;
}

static void release_slots(struct worker *w, long jobs)
{
    for (long i = 0; i < jobs; i++) {
        virt_ledger_strike(w[i].slot_note);
        if (w[i].slot_fd >= 0)
            close(w[i].slot_fd);
    }
}

static int run_all(struct job *j)
{
    long jobs = j->o->jobs ? j->o->jobs : j->set.jobs;
    if (jobs < 1)
        jobs = 1;
    struct worker *w = xcalloc((size_t)jobs, sizeof(*w));
    pthread_t ticker, watchdog;
    bool ticking = j->tty && pthread_create(&ticker, NULL, ticker_main, j) == 0;
    j->it = cfg_iter_new(j->cfg);
    if (j->shard)
        run_shard_rewind(j->shard);
    for (long i = 0; i < jobs; i++)
        w[i] = (struct worker){ .job = j, .slot = (unsigned)i, .slot_fd = -1 };
    long nslots = jobs;
    if (take_slots(j, w, jobs) < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        j->job_flags |= RES_EXIT_JOB_ERROR;
        jobs = 0;
    }
    j->workers = w;
    j->nworkers = jobs;
    /* no watchdog, no timeouts or signals: run nothing rather than run unstoppable */
    bool watching = pthread_create(&watchdog, NULL, watchdog_main, j) == 0;
    if (!watching) {
        fprintf(stderr, "vtrun: cannot start the watchdog thread\n");
        j->job_flags |= RES_EXIT_JOB_ERROR;
        jobs = 0;
    }
    for (long i = 0; i < jobs; i++) {
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
            fprintf(stderr, "vtrun: cannot start worker %ld\n", i);
            jobs = i;
            break;
        }
    }
    for (long i = 0; i < jobs; i++)
        pthread_join(w[i].tid, NULL);
    pthread_mutex_lock(&j->lock);
    j->watch_stop = true;       /* stops the watchdog and the ticker */
    pthread_mutex_unlock(&j->lock);
    if (watching)
        pthread_join(watchdog, NULL);
    if (ticking)
        pthread_join(ticker, NULL);
    skipped_rest(j);
    j->stop = true;
    cfg_iter_free(j->it);
    release_slots(w, nslots);
    free(w);
    return 0;
}

/* Before the first case: what dead jobs left is reaped (or kept and avoided), then
 * this job's own ledger is opened, under the machine lock so two jobs starting at
 * once do not reap the same ledger.  A machine where vtrun cannot keep a ledger (no
 * /run/vtrun for this user) runs the job without one, saying so. */
static void open_ledger(struct job *j)
{
    int lock = virt_machine_lock();
    if (lock < 0) {
        fprintf(stderr, "vtrun: warning: no ledger (what this job creates is not recorded "
                "for the next job): %s\n", err_msg());
        res_job_log(j->res, "no ledger: %s", err_msg());
        return;
    }
    struct run_reap_conf rc = { .hosts = j->set.hosts, .nhosts = j->set.nhosts,
                                .known_hosts = j->known_hosts, .res = j->res,
                                .keep = j->o->keep_leftovers };
    if (run_reap(&rc, j->avoid, RUN_ADDR_SLOTS) < 0)
        fprintf(stderr, "vtrun: warning: leftovers of earlier jobs not read: %s\n", err_msg());
    if (virt_ledger_begin(res_job_id(j->res)) < 0) {
        fprintf(stderr, "vtrun: warning: no ledger: %s\n", err_msg());
        res_job_log(j->res, "no ledger: %s", err_msg());
    }
    virt_machine_unlock(lock);
}

/* The hosts' facts for the needs: the settings', the rest asked from the hosts once. */
static void init_facts(struct job *j)
{
    const struct run_settings *s = &j->set;
    j->facts.capabilities = s->capabilities;
    /* the settings checked them */
    if (s->libvirt_version)
        run_version_parse(s->libvirt_version, &j->facts.libvirt_version);
    if (s->qemu_version)
        run_version_parse(s->qemu_version, &j->facts.qemu_version);
    j->facts.arch = s->arch;
    j->probe = (struct run_facts_hosts){ .backend = j->o->backend ? j->o->backend : s->backend,
                                         .hosts = s->hosts, .nhosts = s->nhosts };
    j->facts.probe = run_facts_probe_hosts;
    j->facts.probe_ud = &j->probe;
}

/* avocado-vt's names leave out the variants outside subtests.cfg (guest, machine...),
 * so a job over several of them reports several cases under one name; say so, since
 * GitLab keeps one test per suite, class and name. */
static void shared_names(struct job *j)
{
    char *line;
    if (!j->shared_names)
        return;
    line = xasprintf("%u of %u cases have a test name another case has (avocado-vt's "
                     "names leave out the variants outside subtests.cfg): GitLab keeps "
                     "one test per name; --full-names gives every case its own",
                     j->shared_names, j->index);
    printf("NAMES      : %s\n", line);
    res_job_log(j->res, "%s", line);
    free(line);
}

/* A night that tested nothing (no host, no VM: every case CANCEL or SKIP before it
 * started anything) must not go green: say so beside the RESULTS line and make it a
 * job error, unless the user allows it. */
static void empty_night(struct job *j)
{
    struct res_counts c;
    char *note;
    res_job_counts(j->res, &c);
    /* a night with an ERROR (an unknown type) is already red */
    if (j->ran || !c.total || c.n[RES_CANCEL] + c.n[RES_SKIP] != c.total)
        return;
    note = xasprintf("no case ran: all %u cases stopped before starting anything (the "
                     "first: %s); %s",
                     c.total, j->first_reason && *j->first_reason ? j->first_reason
                                                                   : "no reason given",
                     j->o->allow_empty ? "allowed by --allow-empty"
                                       : "exit status 2 (--allow-empty to accept it)");
    res_job_note(j->res, note);
    free(note);
    if (!j->o->allow_empty)
        j->job_flags |= RES_EXIT_JOB_ERROR;
}

/* The shard beside JOB ID and JOB LOG: which, by what, from which CI variables, and
 * for a plan by time what it planned. */
static void say_shard(struct job *j)
{
    char *text;
    if (!j->o->shard_count)
        return;
    text = run_opts_shard_text(j->o);
    printf("SHARD      : %s%s%s\n", text, j->shard_said ? ": " : "",
           j->shard_said ? j->shard_said : "");
    if (!j->total)
        printf("SHARD      : none of the %u selected cases falls in this shard\n",
               j->total_all);
    res_job_log(j->res, "Shard %s%s%s", text, j->shard_said ? ": " : "",
                j->shard_said ? j->shard_said : "");
    free(text);
}

/* What the job was run with, for the history and `vtrun replay` (results/res.h, struct
 * res_job_meta): the command line, and the options resolved so that running them again
 * anywhere runs the same job -- absolute paths, the shard --shard auto found, the
 * results directory. */
struct job_meta {
    struct res_job_meta m;
    char **replay, **filters, **argv;
    char *cwd, *hosts, *run_id, *settings, *config, *rerun;
};

static void strv_add(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 2) * sizeof(**v));
    (*v)[(*n)++] = xstrdup(s);
    (*v)[*n] = NULL;
}

static char *absolute(const char *path)
{
    char *r = path ? realpath(path, NULL) : NULL;
    return r ? r : path ? xstrdup(path) : NULL;
}

static const char *env_get(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

static void meta_init(struct job_meta *jm, const struct job *j)
{
    const struct run_opts *o = j->o;
    size_t nr = 0, nf = 0, na = 0;
    char num[32], cwd[PATH_MAX];
    struct strbuf hosts = STRBUF_INIT;
    memset(jm, 0, sizeof(*jm));
    jm->config = absolute(o->config);
    jm->settings = absolute(o->settings);
    jm->cwd = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : "");
    jm->run_id = run_shard_run_id(env_get, NULL);
    for (int i = 0; i < o->argc; i++)
        strv_add(&jm->argv, &na, o->argv[i]);
    strv_add(&jm->replay, &nr, "--config");
    strv_add(&jm->replay, &nr, jm->config);
    for (size_t i = 0; i < o->nstmts; i++) {
        strv_add(&jm->filters, &nf, o->stmts[i]);
        strv_add(&jm->replay, &nr, "--set");
        strv_add(&jm->replay, &nr, o->stmts[i]);
    }
    if (jm->settings) {
        strv_add(&jm->replay, &nr, "--settings");
        strv_add(&jm->replay, &nr, jm->settings);
    }
    strv_add(&jm->replay, &nr, "--job-results-dir");
    {
        char *rd = absolute(j->set.results_dir);
        strv_add(&jm->replay, &nr, rd);
        free(rd);
    }
    const struct { const char *opt, *val; } pairs[] = {
        { "--backend", o->backend },
        { "--junit-params", o->junit_params },
        { "--junit-flavour", o->junit_flavour },
    };
    for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
        if (pairs[i].val) {
            strv_add(&jm->replay, &nr, pairs[i].opt);
            strv_add(&jm->replay, &nr, pairs[i].val);
        }
    if (o->shard_count) {
        snprintf(num, sizeof(num), "%u/%u", o->shard_index, o->shard_count);
        strv_add(&jm->replay, &nr, "--shard");
        strv_add(&jm->replay, &nr, num);
        if (o->shard_by == RUN_SHARD_BY_TIME) {
            strv_add(&jm->replay, &nr, "--shard-by");
            strv_add(&jm->replay, &nr, "time");
        }
    }
    if (o->jobs) {
        snprintf(num, sizeof(num), "%ld", o->jobs);
        strv_add(&jm->replay, &nr, "--jobs");
        strv_add(&jm->replay, &nr, num);
    }
    if (o->rerun_failed) {
        /* the job it reran, fixed: `latest` moves */
        char *dir = NULL, *id = NULL;
        if (run_hist_resolve(&j->set, o->rerun_failed, &dir, &id) == 0 && (dir || id))
            jm->rerun = xstrdup(dir ? dir : id);
        free(dir);
        free(id);
        strv_add(&jm->replay, &nr, "--rerun-failed");
        strv_add(&jm->replay, &nr, jm->rerun ? jm->rerun : o->rerun_failed);
    }
    const struct { bool on; const char *opt; } flags[] = {
        { o->failfast, "--failfast" }, { o->full_names, "--full-names" },
        { o->allow_empty, "--allow-empty" }, { o->keep_leftovers, "--keep-leftovers" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
        if (flags[i].on)
            strv_add(&jm->replay, &nr, flags[i].opt);
    for (size_t i = 0; i < j->set.nhosts; i++)
        strbuf_addf(&hosts, "%s%s", i ? " -> " : "", j->set.hosts[i].name);
    jm->hosts = strbuf_detach(&hosts, NULL);
    jm->m = (struct res_job_meta){
        .argv = (const char *const *)jm->argv, .replay = (const char *const *)jm->replay,
        .cwd = jm->cwd, .filters = (const char *const *)jm->filters,
        .settings = jm->settings, .settings_env = getenv("VTRUN_SETTINGS"),
        .shard_by = o->shard_count ? o->shard_by == RUN_SHARD_BY_TIME ? "time" : "name"
                                   : NULL,
        .run_id = jm->run_id, .hosts = jm->hosts, .version = run_opts_version(),
    };
}

static void meta_release(struct job_meta *jm)
{
    params_strv_free(jm->replay);
    params_strv_free(jm->filters);
    params_strv_free(jm->argv);
    free(jm->cwd);
    free(jm->hosts);
    free(jm->run_id);
    free(jm->settings);
    free(jm->config);
    free(jm->rerun);
}

int run_job(const struct run_opts *o)
{
    struct job j = { .o = o, .lock = PTHREAD_MUTEX_INITIALIZER };
    int rc = RES_EXIT_JOB_ERROR;
    double t0 = run_now();
    struct cfg_opts co = { .defaults = o->defaults,
                           .expand_defaults = (const char *const *)o->expand };

    run_settings_init(&j.set);
    run_facts_init(&j.facts);
    j.cache = run_cache_new();
    install_signals();
    /* a usage error, not a per-test ERROR: no case could run with it */
    if (o->backend && virt_backend_check(o->backend) < 0) {
        fprintf(stderr, "vtrun: --backend: %s\n", err_msg());
        rc = RUN_EXIT_USAGE;
        goto cleanup;
    }
    if (run_settings_load_all(&j.set, o->settings) < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        goto cleanup;
    }
    j.port = run_port_new(&j.set, o->stmts, o->nstmts);
    init_facts(&j);
    if (!o->config) {
        fprintf(stderr, "vtrun: no --config FILE given (try 'vtrun --help')\n");
        goto cleanup;
    }
    if (o->results_dir) {
        free(j.set.results_dir);
        j.set.results_dir = xstrdup(o->results_dir);
    }
    j.all_props = !strcmp(o->junit_params ? o->junit_params : j.set.junit_params, "all");
    j.stem = run_name_stem(o->config);
    j.names = run_name_set_new();
    j.cfg = cfg_parse(o->config, (const char *const *)o->stmts, o->nstmts, &co);
    if (!j.cfg) {
        fprintf(stderr, "%s\n", err_msg());
        goto cleanup;
    }
    if (o->rerun_failed) {
        /* SKIP too: what --failfast did not run has not passed either */
        j.rerun = run_hist_job_names(&j.set, o->rerun_failed,
                                     (1u << RES_FAIL) | (1u << RES_ERROR)
                                     | (1u << RES_INTERRUPTED) | (1u << RES_SKIP));
        if (!j.rerun) {
            fprintf(stderr, "vtrun: --rerun-failed %s\n", err_msg());
            goto cleanup;
        }
    } else if (o->only_names) {
        size_t n = 0;
        while (o->only_names[n])
            n++;
        j.rerun = xcalloc(n + 1, sizeof(*j.rerun));
        for (size_t i = 0; i < n; i++)
            j.rerun[i] = xstrdup(o->only_names[i]);
    }
    j.shard = run_opts_shard(o);
    if (j.shard && o->shard_by == RUN_SHARD_BY_TIME &&
        run_hist_plan_with(&j.set, o, j.cfg, j.shard, &j.shard_said) < 0) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        rc = g_cancel ? RES_EXIT_INTERRUPTED : RES_EXIT_JOB_ERROR;
        goto cleanup;
    }
    if (count_selected(&j) < 0) {
        fprintf(stderr, "%s\n", err_msg());
        rc = g_cancel ? RES_EXIT_INTERRUPTED : RES_EXIT_JOB_ERROR;
        goto cleanup;
    }
    if (!j.total_all) {
        /* avocado: no tests found is a job error; an empty job directory helps nobody */
        fprintf(stderr, "vtrun: no case of %s matches the filters\n", o->config);
        goto cleanup;
    }
    /* A shard the split by name left empty (few cases, many shards) is no error: its
     * job is empty, so every shard of a pipeline has its results directory. */
    if (o->dry_run) {
        rc = dry_run(&j);
        goto cleanup;
    }
    char shard[32];
    if (o->shard_count)
        snprintf(shard, sizeof(shard), "%u/%u", o->shard_index, o->shard_count);
    struct job_meta meta;
    meta_init(&meta, &j);
    char *history = run_settings_history(&j.set);
    struct res_job_info ji = {
        .results_dir = j.set.results_dir, .name = j.stem, .config = o->config,
        .shard = o->shard_count ? shard : NULL, .total = j.total,
        .junit_flavour = res_junit_flavour_parse(o->junit_flavour ? o->junit_flavour
                                                                  : j.set.junit_flavour),
        .history = history, .meta = &meta.m,
    };
    j.res = res_job_open(&ji);
    meta_release(&meta);
    free(history);
    if (!j.res) {
        fprintf(stderr, "vtrun: %s\n", err_msg());
        goto cleanup;
    }
    j.known_hosts = xasprintf("%s/known_hosts", res_job_dir(j.res));
    j.tty = isatty(STDOUT_FILENO);
    char *head = res_job_header_lines(j.res);
    fputs(head, stdout);
    free(head);
    say_shard(&j);
    open_ledger(&j);
    run_all(&j);
    if (g_cancel)
        j.job_flags |= RES_EXIT_INTERRUPTED;
    else
        empty_night(&j);
    res_job_set_flags(j.res, j.job_flags);
    double dt = run_now() - t0;
    res_job_end(j.res, dt);
    char *tail = res_job_closing_lines(j.res, dt);
    fputs(tail, stdout);
    free(tail);
    shared_names(&j);
    if (g_skip_cleanup) {
        printf("Cleanup was skipped (second SIGINT).\n");
        if (!virt_leftover_print(stdout))
            printf("  nothing was left behind.\n");
    }
    virt_ledger_end();      /* kept when something is left: the next job reaps it */
    rc = res_job_exit_bits(j.res);
cleanup:
    if (j.res)
        res_job_free(j.res);
    params_strv_free(j.rerun);
    run_shard_free(j.shard);
    free(j.shard_said);
    free(j.stem);
    free(j.first_reason);
    run_name_set_free(j.names);
    free(j.known_hosts);
    run_port_free(j.port);
    run_facts_release(&j.facts);
    run_cache_free(j.cache);
    cfg_free(j.cfg);
    run_settings_free(&j.set);
    return rc;
}
