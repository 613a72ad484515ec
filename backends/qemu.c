/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qemu backend: vtrun starts QEMU itself on the local machine (avocado-vt's
 * vm_type = qemu) and drives it over QMP on a UNIX socket (jansson for the JSON).
 *
 * The only "host" is the local machine.  A struct be_host is a registry of defined
 * VMs plus a run directory for QMP sockets and QEMU's own logs; two handles may be
 * opened to play source and destination, and migrate() moves the VM's entry from
 * one to the other.  A migration is local: the destination QEMU is started with
 * `-incoming defer`, gets the same capabilities, `migrate-incoming` on a UNIX socket
 * (or tcp:HOST:PORT when a tcp:// migrate URI is given), the source `migrate`s and
 * is polled with `query-migrate`; postcopy via `migrate-set-capabilities` +
 * `migrate-start-postcopy`.  Metrics come from the source's final `query-migrate`.
 *
 * A defined VM is "shut off" until start(); it runs as long as its QEMU process
 * does.  QEMU processes are children of vtrun (which registers as a child
 * subreaper, so helpers QEMU forks are re-parented to vtrun too); close() kills the
 * QEMUs of its handle, so nothing outlives the handle, and they die with vtrun.
 *
 * User-mode NICs get the SSH port forward (hostfwd) on the command line at start;
 * during a hop the source still holds the host port, so the destination starts
 * without it and gets it through HMP `hostfwd_add` once the source has quit.  A bridge
 * NIC is a tap vtrun opens and puts on the bridge (qemu_tap.c), QEMU's fd=N.
 *
 * Each QEMU writes a pidfile in the run directory, and the caller hears of it before
 * it starts and after it is reaped (be_host_conf.proc_note/proc_gone: vtrun's ledger,
 * so a QEMU that outlives a killed vtrun is found by the next job).
 *
 * QEMU is a long-running child watched by QMP: lib/spawn starts it in the
 * background (argv, no shell, own process group, dies with vtrun) and stops it.
 */
#include "backends/be.h"
#include "backends/qemu_tap.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/spawn.h"
#include "lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QMP_TIMEOUT_S 30.0
#define START_TIMEOUT_S 20.0
/* a save or restore streams the guest's memory through a file: seconds for 128 MiB guests,
 * a minute for a few GiB */
#define SAVE_TIMEOUT_S 120.0
/* QEMU's default max-bandwidth is 32 MiB/s; "unlimited" means this */
#define UNLIMITED_BW (10ULL << 30)
/* QEMU's (and libvirt's) default downtime-limit */
#define DEFAULT_DOWNTIME_MS 300

/* One QEMU process and its QMP connection. */
struct qproc {
    struct spawn *sp;   /* the QEMU process (lib/spawn, in the background) */
    int fd;
    char *qmp_path;
    char *log_path;
    char *pid_path;     /* -pidfile: its identity for the ledger (be_host_conf.proc_note) */
    unsigned long note; /* the proc_note handle, 0: none */
    void (*gone)(void *ud, unsigned long handle);
    void *gone_ud;
    char *buf;          /* unparsed bytes read from QMP */
    size_t blen, balloc;
    pthread_mutex_t lock; /* one command/response exchange at a time */
};

struct qvm {
    struct be_vm_spec spec;   /* deep copy */
    struct qproc *proc;       /* NULL = shut off */
    bool transient;           /* undefined while running: forget it when it stops */
    /* the destination QEMU of a postcopy hop that paused (abort_postcopy): it holds
     * half of the guest until a BE_MIG_POSTCOPY_RESUME hop to paused_to */
    struct qproc *paused_dst;
    struct be_host *paused_to;
    struct qvm *next;
};

struct be_host {
    char *uri;
    char *run_dir;
    unsigned long (*proc_note)(void *ud, const char *pidfile);
    void (*proc_gone)(void *ud, unsigned long handle);
    void *proc_ud;
    char *migrate_uri;
    unsigned seq;
    pthread_mutex_t lock;     /* the registry */
    struct qvm *vms;
};




/* ---- command line --------------------------------------------------------- */

struct argv {
    char **v;
    size_t n, alloc;
};

static void arg(struct argv *a, char *owned)
{
    if (a->n + 2 > a->alloc) {
        a->alloc = a->alloc ? 2 * a->alloc : 32;
        a->v = xrealloc(a->v, a->alloc * sizeof(*a->v));
    }
    a->v[a->n++] = owned;
    a->v[a->n] = NULL;
}

static void argv_free(struct argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

static bool nic_is_user(const struct be_nic *n)
{
    return !n->mode || !strcmp(n->mode, "user");
}

/* QEMU's option values are comma-separated: a comma in a value is doubled. */
static char *qesc(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    for (; *s; s++) {
        if (*s == ',')
            strbuf_addch(&sb, ',');
        strbuf_addch(&sb, *s);
    }
    return strbuf_detach(&sb, NULL);
}

/* taps: the descriptor of each NIC's tap (qtap_open, bridge NICs), NULL when none
 * is open (q_render): a bridge NIC is then written as QEMU's bridge helper would make
 * it, which does by hand what vtrun does. */
static void build_argv(struct argv *a, const struct be_vm_spec *s, const char *qmp,
                       bool incoming, const int *taps, const char *pidfile)
{
    bool kvm = s->accel && !strcmp(s->accel, "kvm");

    arg(a, xstrdup(s->emulator ? s->emulator : "qemu-system-x86_64"));
    arg(a, xstrdup("-name"));
    arg(a, xasprintf("guest=%s", s->name));
    arg(a, xstrdup("-machine"));
    arg(a, xasprintf("%s,accel=%s", s->machine ? s->machine : "pc", kvm ? "kvm" : "tcg"));
    /* kvm-clock: the clocksource that survives migration (accepted by TCG too) */
    arg(a, xstrdup("-cpu"));
    arg(a, xasprintf("%s,kvmclock=on", s->cpu_model ? s->cpu_model : kvm ? "host" : "qemu64"));
    arg(a, xstrdup("-m"));
    arg(a, xasprintf("%lu", s->mem_mib));
    arg(a, xstrdup("-smp"));
    arg(a, xasprintf("%u", s->smp ? s->smp : 1));
    arg(a, xstrdup("-nodefaults"));
    arg(a, xstrdup("-no-user-config"));
    arg(a, xstrdup("-display"));
    arg(a, xstrdup("none"));
    arg(a, xstrdup("-rtc"));
    arg(a, xstrdup("base=utc"));
    if (s->kernel) {
        arg(a, xstrdup("-kernel"));
        arg(a, xstrdup(s->kernel));
        if (s->initrd) {
            arg(a, xstrdup("-initrd"));
            arg(a, xstrdup(s->initrd));
        }
        if (s->cmdline) {
            arg(a, xstrdup("-append"));
            arg(a, xstrdup(s->cmdline));
        }
    }
    for (size_t i = 0; i < s->ndisks; i++) {
        const struct be_disk *d = &s->disks[i];
        const char *bus = d->bus ? d->bus : "virtio";
        char *path = qesc(d->path);
        arg(a, xstrdup("-drive"));
        arg(a, xasprintf("file=%s,format=%s,if=none,id=drive%zu,cache=%s%s", path,
                         d->format ? d->format : "qcow2", i, d->cache ? d->cache : "none",
                         d->readonly ? ",readonly=on" : ""));
        free(path);
        arg(a, xstrdup("-device"));
        if (!strcmp(bus, "virtio"))
            arg(a, xasprintf("virtio-blk-pci,drive=drive%zu", i));
        else
            arg(a, xasprintf("ide-hd,drive=drive%zu", i));
    }
    for (size_t i = 0; i < s->nnics; i++) {
        const struct be_nic *n = &s->nics[i];
        const char *model = n->model ? n->model : "virtio";
        arg(a, xstrdup("-netdev"));
        if (nic_is_user(n)) {
            if (n->hostfwd_port && !incoming)
                arg(a, xasprintf("user,id=net%zu,hostfwd=tcp:127.0.0.1:%u-:22", i,
                                 n->hostfwd_port));
            else
                arg(a, xasprintf("user,id=net%zu", i));
        } else if (taps) {
            arg(a, xasprintf("tap,id=net%zu,fd=%d", i, taps[i]));
        } else {
            char *br = qesc(n->bridge ? n->bridge : "");
            arg(a, xasprintf("bridge,id=net%zu,br=%s", i, br));
            free(br);
        }
        arg(a, xstrdup("-device"));
        arg(a, xasprintf("%s,netdev=net%zu%s%s",
                         !strcmp(model, "virtio") ? "virtio-net-pci" : model, i,
                         n->mac ? ",mac=" : "", n->mac ? n->mac : ""));
    }
    /* entropy for the guest, as the libvirt XML has: the first SSH login of a fresh
     * guest otherwise waits about a second for its RNG */
    arg(a, xstrdup("-object"));
    arg(a, xstrdup("rng-random,id=rng0,filename=/dev/urandom"));
    arg(a, xstrdup("-device"));
    arg(a, xstrdup("virtio-rng-pci,rng=rng0"));
    if (s->console_log) {
        char *p = qesc(s->console_log);
        /* append: the destination of a hop writes to the same file */
        arg(a, xstrdup("-chardev"));
        arg(a, xasprintf("file,id=serial0,path=%s,append=on", p));
        arg(a, xstrdup("-serial"));
        arg(a, xstrdup("chardev:serial0"));
        free(p);
    }
    if (qmp) {
        arg(a, xstrdup("-qmp"));
        arg(a, xasprintf("unix:%s,server=on,wait=off", qmp));
    }
    if (pidfile) {
        arg(a, xstrdup("-pidfile"));
        arg(a, xstrdup(pidfile));
    }
    if (incoming) {
        arg(a, xstrdup("-incoming"));
        arg(a, xstrdup("defer"));
    }
}

/* ---- processes and QMP ---------------------------------------------------- */

static bool proc_alive(struct qproc *p)
{
    if (!p->sp || !spawn_pid(p->sp))
        return false;
    if (spawn_alive(p->sp))
        return true;
    spawn_stop(p->sp, 0);       /* it ended by itself: reap it */
    return false;
}

static char *log_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[600];
    size_t n = 0;
    long size;

    if (!f)
        return xstrdup("");
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return xstrdup(buf);
}

static void proc_free(struct qproc *p)
{
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    /* ended and reaped before its ledger entry goes (a no-op when it already is) */
    if (p->sp && spawn_pid(p->sp) && spawn_stop(p->sp, 0) < 0)
        p->note = 0;    /* it survived: the ledger keeps it for the next job */
    if (p->qmp_path)
        unlink(p->qmp_path);
    if (p->log_path)
        unlink(p->log_path);
    if (p->pid_path)
        unlink(p->pid_path);
    if (p->note && p->gone)
        p->gone(p->gone_ud, p->note);
    free(p->qmp_path);
    free(p->log_path);
    free(p->pid_path);
    free(p->buf);
    spawn_free(p->sp);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Stop the process for good (SIGKILL to its group: destroy pulls the plug) and reap
 * it. */
static void proc_kill(struct qproc *p)
{
    if (p->sp)
        spawn_stop(p->sp, 0);
}

/* Wait up to timeout_s for the process to exit by itself. */
static bool proc_wait_exit(struct qproc *p, double timeout_s)
{
    double deadline = clock_now() + timeout_s;

    while (proc_alive(p)) {
        if (clock_now() >= deadline)
            return false;
        clock_sleep(0.02);
    }
    return true;
}

/* Read one complete QMP message (a line) into a JSON object. */
static json_t *qmp_read(struct qproc *p, double deadline)
{
    for (;;) {
        char *nl = p->buf ? memchr(p->buf, '\n', p->blen) : NULL;
        if (nl) {
            size_t len = (size_t)(nl - p->buf) + 1;
            json_error_t je;
            json_t *msg = json_loadb(p->buf, len, 0, &je);
            memmove(p->buf, p->buf + len, p->blen - len);
            p->blen -= len;
            if (!msg) {
                err_set("QMP: bad JSON: %s", je.text);
                return NULL;
            }
            return msg;
        }
        double left = deadline - clock_now();
        if (left <= 0) {
            err_set("QMP: no answer within %.0f s", QMP_TIMEOUT_S);
            return NULL;
        }
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        if (p->blen + 4096 > p->balloc) {
            p->balloc = p->balloc ? 2 * p->balloc : 8192;
            p->buf = xrealloc(p->buf, p->balloc);
        }
        ssize_t n = read(p->fd, p->buf + p->blen, p->balloc - p->blen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err_set("QMP: connection closed (QEMU exited?)");
            return NULL;
        }
        p->blen += (size_t)n;
    }
}

/* Execute one command; returns its "return" value (new reference) or NULL with
 * err_set() (QMP's error description). Events in between are skipped. */
static json_t *qmp_cmd(struct qproc *p, const char *cmd, json_t *args_stolen)
{
    json_t *req = json_pack("{s:s}", "execute", cmd), *msg = NULL, *ret = NULL;
    char *text;
    double deadline = clock_now() + QMP_TIMEOUT_S;

    if (args_stolen)
        json_object_set_new(req, "arguments", args_stolen);
    text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    pthread_mutex_lock(&p->lock);
    if (p->fd < 0) {
        err_set("QMP %s: not connected", cmd);
        goto out;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        /* QEMU closes QMP a moment before it exits: EPIPE, not SIGPIPE (issue 15) */
        ssize_t n = send(p->fd, text + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err_set("QMP %s: write: %s", cmd, strerror(errno));
            goto out;
        }
        off += (size_t)n;
    }
    for (;;) {
        msg = qmp_read(p, deadline);
        if (!msg) {
            err_prefix("QMP %s", cmd);
            goto out;
        }
        if (json_object_get(msg, "return")) {
            ret = json_incref(json_object_get(msg, "return"));
            goto out;
        }
        if (json_object_get(msg, "error")) {
            const char *desc = json_string_value(
                json_object_get(json_object_get(msg, "error"), "desc"));
            err_set("QMP %s: %s", cmd, desc ? desc : "error");
            goto out;
        }
        json_decref(msg);   /* an event */
        msg = NULL;
    }
out:
    pthread_mutex_unlock(&p->lock);
    json_decref(msg);
    free(text);
    return ret;
}

static int qmp_do(struct qproc *p, const char *cmd, json_t *args_stolen)
{
    json_t *r = qmp_cmd(p, cmd, args_stolen);
    json_decref(r);
    return r ? 0 : -1;
}

static int qmp_connect(struct qproc *p, double deadline)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    json_t *greeting;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->qmp_path);
    for (;;) {
        p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (p->fd < 0) {
            err_set("QMP socket: %s", strerror(errno));
            return -1;
        }
        if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        close(p->fd);
        p->fd = -1;
        if (!proc_alive(p)) {
            char *tail = log_tail(p->log_path);
            err_set("QEMU exited during start-up: %s", tail);
            free(tail);
            return -1;
        }
        if (clock_now() >= deadline) {
            err_set("QEMU's QMP socket %s did not appear within %.0f s", p->qmp_path,
                    START_TIMEOUT_S);
            return -1;
        }
        clock_sleep(0.01);
    }
    pthread_mutex_lock(&p->lock);
    greeting = qmp_read(p, clock_now() + QMP_TIMEOUT_S);
    pthread_mutex_unlock(&p->lock);
    if (!greeting || !json_object_get(greeting, "QMP")) {
        json_decref(greeting);
        err_prefix("QMP greeting");
        return -1;
    }
    json_decref(greeting);
    return qmp_do(p, "qmp_capabilities", NULL);
}

/* The exact command line heads QEMU's own log (shell-quoted by lib/spawn, secrets
 * masked), so a start-up failure can be reproduced by hand; QEMU appends to it. */
static int log_start(struct qproc *p, const char *vm)
{
    struct strbuf line = STRBUF_INIT;
    int fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set("VM %s: %s: %s", vm, p->log_path, strerror(errno));
        return -1;
    }
    spawn_to_string(p->sp, &line);
    strbuf_addch(&line, '\n');
    if (write(fd, line.buf, line.len) < 0) {
        /* a log we cannot write is no reason not to start */
    }
    close(fd);
    strbuf_release(&line);
    return 0;
}

/* A tap on its bridge for each bridge NIC of spec (-1 for the others); NULL + err. */
static int *taps_open(const struct be_vm_spec *spec)
{
    int *taps = xcalloc(spec->nnics + 1, sizeof(*taps));

    for (size_t i = 0; i < spec->nnics; i++)
        taps[i] = -1;
    for (size_t i = 0; i < spec->nnics; i++) {
        if (nic_is_user(&spec->nics[i]))
            continue;
        if ((taps[i] = qtap_open(spec->nics[i].bridge)) < 0) {
            err_prefix("VM %s: NIC %zu", spec->name, i + 1);
            for (size_t k = 0; k < i; k++)
                if (taps[k] >= 0)
                    close(taps[k]);
            free(taps);
            return NULL;
        }
    }
    return taps;
}

/* vtrun's copies, once QEMU holds its own (or never will): the taps go with QEMU. */
static void taps_close(int *taps, size_t n)
{
    for (size_t i = 0; taps && i < n; i++)
        if (taps[i] >= 0)
            close(taps[i]);
    free(taps);
}

/* Start QEMU for spec in the background and connect to its QMP socket.  QEMU runs in
 * its own process group (a ^C at the terminal reaches vtrun, which cleans up) and dies
 * with vtrun (pdeathsig), also when a migration worker thread started it. */
static struct qproc *proc_spawn(struct be_host *h, const struct be_vm_spec *spec,
                                bool incoming)
{
    struct qproc *p = xcalloc(1, sizeof(*p));
    struct argv a = { 0 };
    int *taps = NULL;
    unsigned seq;

    pthread_mutex_init(&p->lock, NULL);
    p->fd = -1;
    pthread_mutex_lock(&h->lock);
    seq = ++h->seq;
    pthread_mutex_unlock(&h->lock);
    p->qmp_path = xasprintf("%s/%s.%u.qmp", h->run_dir, spec->name, seq);
    p->log_path = xasprintf("%s/%s.%u.log", h->run_dir, spec->name, seq);
    p->pid_path = xasprintf("%s/%s.%u.pid", h->run_dir, spec->name, seq);
    if (strlen(p->qmp_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        err_set("VM %s: QMP socket path too long: %s", spec->name, p->qmp_path);
        goto fail;
    }
    unlink(p->qmp_path);
    unlink(p->pid_path);
    /* in the caller's ledger before it exists (its pidfile names it) */
    if (h->proc_note) {
        if (!(p->note = h->proc_note(h->proc_ud, p->pid_path))) {
            err_prefix("VM %s", spec->name);
            goto fail;
        }
        p->gone = h->proc_gone;
        p->gone_ud = h->proc_ud;
    }
    if (!(taps = taps_open(spec)))
        goto fail;
    build_argv(&a, spec, p->qmp_path, incoming, taps, p->pid_path);
    p->sp = spawn_newv((const char *const *)a.v);
    for (size_t i = 0; i < spec->nnics; i++)
        if (taps[i] >= 0)
            spawn_keep_fd(p->sp, taps[i]);
    spawn_set_output_file(p->sp, p->log_path);
    spawn_set_pdeathsig(p->sp, SIGKILL);
    if (log_start(p, spec->name) < 0)
        goto fail;
    if (spawn_start(p->sp) < 0) {
        err_prefix("VM %s", spec->name);
        goto fail;
    }
    taps_close(taps, spec->nnics);
    taps = NULL;
    argv_free(&a);
    if (qmp_connect(p, clock_now() + START_TIMEOUT_S) < 0) {
        /* QEMU listens on QMP before it loads kernel and disks: a start-up failure
         * often shows as a closed connection; QEMU's own words are in its log */
        if (proc_wait_exit(p, 2.0)) {
            char *tail = log_tail(p->log_path);
            err_set("QEMU exited during start-up: %s", tail);
            free(tail);
        }
        err_prefix("VM %s", spec->name);
        proc_kill(p);
        proc_free(p);
        return NULL;
    }
    return p;
fail:
    taps_close(taps, spec->nnics);
    argv_free(&a);
    proc_free(p);
    return NULL;
}

/* ---- registry ------------------------------------------------------------- */

static struct be_host *q_open(const struct be_host_conf *conf)
{
    struct be_host *h;

    /* QEMU may fork helpers (bridge helper); orphans come back to vtrun */
    spawn_subreaper();
    h = xcalloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->uri = xstrdup(conf && conf->uri ? conf->uri : "qemu:///local");
    if (conf) {
        h->proc_note = conf->proc_note;
        h->proc_gone = conf->proc_gone;
        h->proc_ud = conf->proc_ud;
    }
    h->migrate_uri = conf && conf->migrate_uri ? xstrdup(conf->migrate_uri) : NULL;
    if (conf && conf->run_dir) {
        h->run_dir = xstrdup(conf->run_dir);
        if (mkdir(h->run_dir, 0700) < 0 && errno != EEXIST) {
            err_set("qemu backend: run directory %s: %s", h->run_dir, strerror(errno));
            goto fail;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        h->run_dir = xasprintf("%s/vtrun-qemu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(h->run_dir)) {
            err_set("qemu backend: mkdtemp %s: %s", h->run_dir, strerror(errno));
            goto fail;
        }
    }
    return h;
fail:
    free(h->uri);
    free(h->migrate_uri);
    free(h->run_dir);
    pthread_mutex_destroy(&h->lock);
    free(h);
    return NULL;
}

static void drop_paused_dst(struct qvm *v)
{
    if (v->paused_dst) {
        proc_kill(v->paused_dst);
        proc_free(v->paused_dst);
    }
    v->paused_dst = NULL;
    v->paused_to = NULL;
}

static void vm_free(struct qvm *v)
{
    if (v->proc) {
        proc_kill(v->proc);
        proc_free(v->proc);
    }
    drop_paused_dst(v);
    be_vm_spec_free(&v->spec);
    free(v);
}

static void q_close(struct be_host *h)
{
    if (!h)
        return;
    while (h->vms) {
        struct qvm *v = h->vms;
        h->vms = v->next;
        vm_free(v);
    }
    rmdir(h->run_dir);      /* once empty: a run directory of the caller's, too */
    free(h->uri);
    free(h->migrate_uri);
    free(h->run_dir);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static const char *q_uri(struct be_host *h)
{
    return h->uri;
}

/* Caller holds h->lock. */
static struct qvm **find_locked(struct be_host *h, const char *vm)
{
    struct qvm **pp;
    for (pp = &h->vms; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->spec.name, vm))
            return pp;
    return NULL;
}

/* The VM, after noticing whether its QEMU has exited; NULL + err when undefined. */
static struct qvm *find(struct be_host *h, const char *vm)
{
    struct qvm **pp, *v = NULL;

    pthread_mutex_lock(&h->lock);
    pp = find_locked(h, vm);
    if (pp) {
        v = *pp;
        if (v->proc && !proc_alive(v->proc)) {
            proc_free(v->proc);
            v->proc = NULL;
            if (v->transient) {
                *pp = v->next;
                vm_free(v);
                v = NULL;
            }
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (!v)
        err_set("VM %s: not defined on %s", vm, h->uri);
    return v;
}

static int q_define(struct be_host *h, const struct be_vm_spec *spec)
{
    struct qvm **pp, *v;
    int rc = 0;

    if (!spec->name || !*spec->name || !spec->mem_mib) {
        err_set("qemu backend: VM spec %s without %s", spec->name ? spec->name : "?",
                spec->name && *spec->name ? "memory size" : "a name");
        return -1;
    }
    /* not built in this driver: refused rather than started without them */
    if (spec->nnuma || spec->numatune.mode || spec->max_vcpus || spec->max_mem_kib) {
        err_set("qemu backend: VM %s: %s not supported (the libvirt backend has it)",
                spec->name, spec->max_vcpus ? "vCPU hotplug (a maximum of vCPUs)" :
                spec->max_mem_kib ? "memory hotplug (a maximum of memory)" :
                "guest NUMA cells and numatune");
        return -1;
    }
    pthread_mutex_lock(&h->lock);
    pp = find_locked(h, spec->name);
    if (pp && (*pp)->proc) {
        /* like libvirt: the new definition takes effect at the next start */
        be_vm_spec_free(&(*pp)->spec);
        be_vm_spec_copy(&(*pp)->spec, spec);
        (*pp)->transient = false;
    } else if (pp) {
        be_vm_spec_free(&(*pp)->spec);
        be_vm_spec_copy(&(*pp)->spec, spec);
    } else {
        v = xcalloc(1, sizeof(*v));
        be_vm_spec_copy(&v->spec, spec);
        v->next = h->vms;
        h->vms = v;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

static int q_start(struct be_host *h, const char *vm)
{
    struct qvm *v = find(h, vm);
    struct qproc *p;

    if (!v)
        return -1;
    if (v->proc) {
        err_set("VM %s on %s: start: already running", vm, h->uri);
        return -1;
    }
    p = proc_spawn(h, &v->spec, false);
    if (!p) {
        err_prefix("start on %s", h->uri);
        return -1;
    }
    v->proc = p;
    return 0;
}

static int q_persistent(struct be_host *h, const char *vm, bool *out)
{
    struct qvm *v = find(h, vm);

    if (!v)
        return -1;
    *out = !v->transient;
    return 0;
}

static int q_state(struct be_host *h, const char *vm, enum be_state *out)
{
    struct qvm *v = find(h, vm);
    json_t *r;
    const char *st;

    if (!v) {
        err_clear();
        *out = BE_STATE_NONE;
        return 0;
    }
    if (!v->proc) {
        *out = BE_STATE_SHUTOFF;
        return 0;
    }
    r = qmp_cmd(v->proc, "query-status", NULL);
    if (!r) {
        /* it may have exited between the two looks, or be exiting: QEMU closes its
         * QMP socket a moment before the process ends */
        if (proc_wait_exit(v->proc, 2.0)) {
            *out = BE_STATE_SHUTOFF;
            err_clear();
            return 0;
        }
        err_prefix("VM %s on %s: state", vm, h->uri);
        return -1;
    }
    st = json_string_value(json_object_get(r, "status"));
    if (!st)
        *out = BE_STATE_OTHER;
    else if (!strcmp(st, "running"))
        *out = BE_STATE_RUNNING;
    else if (!strcmp(st, "guest-panicked") || !strcmp(st, "internal-error"))
        *out = BE_STATE_CRASHED;
    else if (!strcmp(st, "shutdown")) {
        /* powered off, QEMU about to exit: "shut off" promises no process left */
        proc_wait_exit(v->proc, 5.0);
        *out = BE_STATE_SHUTOFF;
    } else
        *out = BE_STATE_PAUSED;  /* paused, postmigrate, inmigrate, prelaunch ... */
    json_decref(r);
    return 0;
}

static int q_shutdown(struct be_host *h, const char *vm, double timeout_s)
{
    struct qvm *v = find(h, vm);
    double deadline = clock_now() + timeout_s;

    if (!v)
        return -1;
    while (v->proc && proc_alive(v->proc)) {
        if (clock_now() >= deadline) {
            err_set("VM %s on %s: did not power off within %.0f s of shutdown", vm, h->uri,
                    timeout_s);
            return -1;
        }
        /* repeat the ACPI request: a guest still booting ignores the first one */
        qmp_do(v->proc, "system_powerdown", NULL);
        proc_wait_exit(v->proc, 1.0);
    }
    find(h, vm);    /* frees the exited process, forgets a transient VM */
    err_clear();
    return 0;
}

static int q_destroy(struct be_host *h, const char *vm)
{
    struct qvm *v = find(h, vm);

    if (!v) {
        err_clear();
        return 0;
    }
    drop_paused_dst(v);     /* both halves of a paused postcopy */
    if (v->proc) {
        proc_kill(v->proc);
        find(h, vm);    /* frees the process, forgets a transient VM */
        err_clear();
    }
    return 0;
}

static int q_undefine(struct be_host *h, const char *vm)
{
    struct qvm **pp, *v = NULL;

    find(h, vm);   /* reap an exited QEMU first */
    pthread_mutex_lock(&h->lock);
    pp = find_locked(h, vm);
    if (pp) {
        if ((*pp)->proc) {
            (*pp)->transient = true;    /* like libvirt: running, now transient */
        } else {
            v = *pp;
            *pp = v->next;
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (v)
        vm_free(v);
    err_clear();
    return 0;
}

static char *q_console_path(struct be_host *h, const char *vm)
{
    struct qvm *v = find(h, vm);

    if (!v)
        return NULL;
    if (!v->spec.console_log) {
        err_set("VM %s on %s: no serial console log file", vm, h->uri);
        return NULL;
    }
    return xstrdup(v->spec.console_log);
}

static struct qproc *running_proc(struct be_host *h, const char *vm, const char *what)
{
    struct qvm *v = find(h, vm);

    if (!v)
        return NULL;
    if (!v->proc) {
        err_set("VM %s on %s: %s: not running", vm, h->uri, what);
        return NULL;
    }
    return v->proc;
}


/* A QMP command without arguments on the running VM, for the controls below. */
static int control(struct be_host *h, const char *vm, const char *what, const char *cmd)
{
    struct qproc *p = running_proc(h, vm, what);

    if (!p || qmp_do(p, cmd, NULL) < 0) {
        if (p)
            err_prefix("VM %s on %s", vm, h->uri);
        return -1;
    }
    return 0;
}

static int q_start_postcopy(struct be_host *h, const char *vm)
{
    return control(h, vm, "start postcopy", "migrate-start-postcopy");
}

static int q_abort_job(struct be_host *h, const char *vm)
{
    return control(h, vm, "abort job", "migrate_cancel");
}

static int q_abort_postcopy(struct be_host *h, const char *vm)
{
    return control(h, vm, "abort postcopy", "migrate-pause");
}

static int q_suspend(struct be_host *h, const char *vm)
{
    return control(h, vm, "suspend", "stop");
}

static int q_resume(struct be_host *h, const char *vm)
{
    return control(h, vm, "resume", "cont");
}

static unsigned long long jull(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

static int q_job_stats(struct be_host *h, const char *vm, struct be_job_stats *out)
{
    struct qproc *p = running_proc(h, vm, "job stats");
    json_t *r, *ram;
    const char *st;

    memset(out, 0, sizeof(*out));
    if (!p)
        return -1;
    r = qmp_cmd(p, "query-migrate", NULL);
    if (!r) {
        err_prefix("VM %s on %s", vm, h->uri);
        return -1;
    }
    st = json_string_value(json_object_get(r, "status"));
    ram = json_object_get(r, "ram");
    out->active = st && (!strcmp(st, "setup") || !strcmp(st, "active") ||
                         !strcmp(st, "postcopy-active") || !strcmp(st, "device") ||
                         !strcmp(st, "pre-switchover") || !strcmp(st, "cancelling"));
    out->postcopy = st && !strcmp(st, "postcopy-active");
    out->elapsed_ms = (double)jull(r, "total-time");
    out->data_total = jull(ram, "total");
    out->data_processed = jull(ram, "transferred");
    out->data_remaining = jull(ram, "remaining");
    out->mem_processed = jull(ram, "transferred");
    out->mem_iterations = jull(ram, "dirty-sync-count");
    out->mem_dirty_rate = jull(ram, "dirty-pages-rate");
    out->expected_downtime_ms = (double)jull(r, "expected-downtime");
    json_decref(r);
    return 0;
}

/* "QEMU emulator version 7.2.22 (Debian ...)" -> 7002022 */
static unsigned long long qemu_version(const char *binary)
{
    struct spawn *c = spawn_new(binary);
    struct strbuf out = STRBUF_INIT;
    unsigned a = 0, b = 0, m = 0;
    unsigned long long v = 0;
    const char *p;

    spawn_arg(c, "--version");
    spawn_set_output(c, &out, NULL);
    spawn_set_timeout(c, 10);
    if (spawn_run(c, NULL) == 0 && (p = strstr(out.buf, "version ")) &&
        sscanf(p + 8, "%u.%u.%u", &a, &b, &m) >= 2)
        v = a * 1000000ULL + b * 1000ULL + m;
    strbuf_release(&out);
    spawn_free(c);
    return v;
}

static int q_host_info(struct be_host *h, struct be_host_info *out)
{
    memset(out, 0, sizeof(*out));
    be_host_info_local(out);
    out->hypervisor = xstrdup("QEMU");
    out->hv_version = qemu_version("qemu-system-x86_64");
    if (!out->hv_version) {
        err_set("host %s: cannot tell the version of qemu-system-x86_64: %s", h->uri,
                err_msg());
        be_host_info_free(out);
        return -1;
    }
    return 0;
}

/* ---- migration ------------------------------------------------------------ */

/* The hop's capabilities, each set on or off: a QEMU keeps what an earlier hop set
 * (the destination of a postcopy hop would still have postcopy-ram on as the source
 * of a precopy one, and the two ends would disagree about the stream). */
static int set_caps(struct qproc *p, unsigned flags)
{
    static const struct { unsigned flag; const char *cap; } caps[] = {
        { BE_MIG_POSTCOPY, "postcopy-ram" },
        { BE_MIG_AUTO_CONVERGE, "auto-converge" },
        { BE_MIG_COMPRESSED, "compress" },
    };
    json_t *list = json_array();

    for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
        json_array_append_new(list, json_pack("{s:s,s:b}", "capability", caps[i].cap,
                                              "state", (flags & caps[i].flag) != 0));
    return qmp_do(p, "migrate-set-capabilities", json_pack("{s:o}", "capabilities", list));
}

/* The address both ends use: a UNIX socket in the run dir, or tcp:HOST:PORT with a
 * free port when the caller asks for tcp://HOST[:PORT]. */
static char *mig_address(struct be_host *dst, const char *vm, const char *muri)
{
    if (muri && !strncmp(muri, "tcp://", 6)) {
        const char *host = muri + 6;
        const char *colon = strrchr(host, ':');
        if (colon && !strchr(colon, ']'))
            return xasprintf("tcp:%s", host);
        /* find a free port: bind port 0, read it back, release it */
        int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t sl = sizeof(sa);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
            port = ntohs(sa.sin_port);
        if (fd >= 0)
            close(fd);
        return xasprintf("tcp:%.*s:%d", (int)strcspn(host, "/"), host, port ? port : 49152);
    }
    if (muri && (!strncmp(muri, "unix:", 5) || !strncmp(muri, "tcp:", 4)))
        return xstrdup(muri);
    unsigned seq;
    pthread_mutex_lock(&dst->lock);
    seq = ++dst->seq;
    pthread_mutex_unlock(&dst->lock);
    return xasprintf("unix:%s/%s.%u.mig", dst->run_dir, vm, seq);
}

/*
 * A migration job: both QEMUs, the address, and the source's last query-migrate.
 * Nothing runs in the background: migrate_wait() polls query-migrate.
 */
struct be_job {
    struct be_host *src, *dst;
    char *vm;
    unsigned flags;
    struct qvm *v;
    struct qproc *sp, *dp;
    char *addr;
    json_t *r;                  /* the source's last query-migrate */
    const char *status;         /* its "status" (borrowed from r) */
    bool ended;                 /* completed, failed, cancelled, postcopy-paused */
    bool postcopy;              /* a look saw postcopy-active */
    char *qmp_err;              /* the source's QMP failed (QEMU died?) */
    double t_start;             /* clock_now() at migrate_start */
};

static void job_free(struct be_job *j)
{
    if (j->dp) {
        proc_kill(j->dp);
        proc_free(j->dp);
    }
    json_decref(j->r);
    if (j->addr && !strncmp(j->addr, "unix:", 5))
        unlink(j->addr + 5);   /* QEMU leaves the listening socket's file behind */
    free(j->addr);
    free(j->qmp_err);
    free(j->vm);
    free(j);
}

/* Offline: only the definition moves (libvirt needs --persistent too). */
static int offline_move(struct be_host *src, struct be_host *dst, struct qvm *v,
                        unsigned flags)
{
    if (src == dst)
        return 0;
    if (q_define(dst, &v->spec) < 0)
        return -1;
    if (flags & BE_MIG_UNDEFINE_SOURCE)
        q_undefine(src, v->spec.name);
    return 0;
}

/* Start the destination paused for the stream, both with the hop's capabilities,
 * then point them at each other. */
static int begin(struct be_job *j, const struct be_migrate_opts *opts)
{
    const char *muri = opts->migrate_uri ? opts->migrate_uri : j->dst->migrate_uri;
    unsigned long long bw = opts->bandwidth_mib ? (unsigned long long)opts->bandwidth_mib << 20
                                                : UNLIMITED_BW;

    j->dp = proc_spawn(j->dst, &j->v->spec, true);
    if (!j->dp) {
        err_prefix("destination QEMU on %s", j->dst->uri);
        return -1;
    }
    if (set_caps(j->sp, opts->flags) < 0 || set_caps(j->dp, opts->flags) < 0) {
        err_prefix("capabilities");
        return -1;
    }
    /* both every hop: the source may keep what an earlier hop set */
    if (qmp_do(j->sp, "migrate-set-parameters",
               json_pack("{s:I,s:I}", "max-bandwidth", (json_int_t)bw, "downtime-limit",
                         (json_int_t)(opts->max_downtime_ms ? opts->max_downtime_ms
                                                            : DEFAULT_DOWNTIME_MS))) < 0) {
        err_prefix("bandwidth, downtime");
        return -1;
    }
    j->addr = mig_address(j->dst, j->vm, muri);
    if (qmp_do(j->dp, "migrate-incoming", json_pack("{s:s}", "uri", j->addr)) < 0 ||
        qmp_do(j->sp, "migrate", json_pack("{s:s}", "uri", j->addr)) < 0) {
        err_prefix("%s", j->addr);
        return -1;
    }
    return 0;
}

/* A paused postcopy goes on over a new channel: the destination listens
 * (migrate-recover), the source resumes into it. */
static int resume(struct be_job *j, const struct be_migrate_opts *opts)
{
    struct qvm *v = j->v;

    if (!v->paused_dst || v->paused_to != j->dst) {
        err_set("postcopy resume: no paused postcopy of %s from %s to %s", j->vm,
                j->src->uri, j->dst->uri);
        return -1;
    }
    j->dp = v->paused_dst;
    v->paused_dst = NULL;
    v->paused_to = NULL;
    j->addr = mig_address(j->dst, j->vm,
                          opts->migrate_uri ? opts->migrate_uri : j->dst->migrate_uri);
    if (qmp_do(j->dp, "migrate-recover", json_pack("{s:s}", "uri", j->addr)) < 0 ||
        qmp_do(j->sp, "migrate", json_pack("{s:s,s:b}", "uri", j->addr, "resume", 1)) < 0) {
        err_prefix("postcopy resume (%s)", j->addr);
        return -1;
    }
    return 0;
}

/* What this driver does not implement is refused by name, never ignored. */
static int q_mig_supported(const struct be_migrate_opts *opts)
{
    static const unsigned unsupported = BE_MIG_PAUSED | BE_MIG_COPY_STORAGE_ALL |
        BE_MIG_COPY_STORAGE_INC | BE_MIG_COPY_STORAGE_SYNC | BE_MIG_CHANGE_PROTECTION |
        BE_MIG_TLS | BE_MIG_PARALLEL | BE_MIG_ZEROCOPY | BE_MIG_RDMA_PIN_ALL |
        BE_MIG_DIRECT;

    if (opts->flags & unsupported) {
        err_set("the qemu driver does not support the migration flags 0x%x",
                opts->flags & unsupported);
        return -1;
    }
    if (opts->nparams) {
        err_set("the qemu driver does not support the migration parameter %s",
                be_mig_param_name(opts->params[0].id));
        return -1;
    }
    return 0;
}

static struct be_job *q_migrate_start(struct be_host *src, struct be_host *dst,
                                      const char *vm, const struct be_migrate_opts *opts)
{
    struct qvm *v = find(src, vm);
    struct be_job *j;

    if (!v || q_mig_supported(opts) < 0)
        return NULL;
    j = xcalloc(1, sizeof(*j));
    j->t_start = clock_now();
    j->src = src;
    j->dst = dst;
    j->vm = xstrdup(vm);
    j->flags = opts->flags;
    j->v = v;
    if (!v->proc && (opts->flags & BE_MIG_OFFLINE)) {
        if (offline_move(src, dst, v, opts->flags) < 0)
            goto fail;
        j->ended = true;
        return j;
    }
    if (!v->proc) {
        err_set("not running on %s", src->uri);
        goto fail;
    }
    j->sp = v->proc;
    if (((opts->flags & BE_MIG_POSTCOPY_RESUME) ? resume(j, opts) : begin(j, opts)) < 0)
        goto fail;
    return j;
fail:
    job_free(j);
    return NULL;
}

static bool ended_status(const char *st)
{
    static const char *const words[] = { "completed", "failed", "cancelled",
                                         "postcopy-paused" };
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (!strcmp(st, words[i]))
            return true;
    return false;
}

/* How an ended QEMU ended, for a reason. */
static char *proc_how(struct qproc *p)
{
    switch (spawn_end(p->sp)) {
    case SPAWN_EXITED:
        return xasprintf("exit status %d", spawn_exit_status(p->sp));
    case SPAWN_SIGNALED:
        return xstrdup("killed by a signal");
    default:
        return xstrdup("stopped");
    }
}

/* One look at the source's job. */
static void job_poll(struct be_job *j)
{
    json_t *r = qmp_cmd(j->sp, "query-migrate", NULL);

    if (!r) {
        /* QMP closes as QEMU ends: then that is the reason, not the closed socket */
        if (proc_wait_exit(j->sp, 2.0)) {
            char *how = proc_how(j->sp);
            j->qmp_err = xasprintf("the source QEMU ended during the migration (%s)", how);
            free(how);
        } else {
            j->qmp_err = xstrdup(err_msg());
        }
        j->ended = true;
        return;
    }
    json_decref(j->r);
    j->r = r;
    j->status = json_string_value(json_object_get(r, "status"));
    if (!j->status)
        j->status = "none";
    j->postcopy = j->postcopy || !strcmp(j->status, "postcopy-active");
    j->ended = ended_status(j->status);
}

static int q_migrate_wait(struct be_job *j, double timeout_s)
{
    double until = clock_now() + timeout_s;

    for (;;) {
        if (!j->ended)
            job_poll(j);
        if (j->ended)
            return 1;
        double left = until - clock_now();
        if (left <= 0)
            return 0;
        clock_sleep(left < 0.02 ? left : 0.02);
    }
}

/* QEMU's figures of the job, where its last query-migrate has them. */
static void job_metrics(const struct be_job *j, struct be_hop_metrics *m)
{
    json_t *ram = json_object_get(j->r, "ram");

    m->postcopy = j->postcopy;
    if (!json_object_get(j->r, "total-time"))
        return;
    m->time_ms = (double)jull(j->r, "total-time");
    /* QEMU 7.2 reports a total-time of 0 for a stream it completed after the guest was
     * paused under it (--timeout-suspend): then the hop took what this job measured */
    if (m->time_ms <= 0 && j->status && !strcmp(j->status, "completed"))
        m->time_ms = (clock_now() - j->t_start) * 1000;
    if (json_object_get(j->r, "downtime"))
        m->downtime_ms = (double)jull(j->r, "downtime");
    if (json_object_get(j->r, "setup-time"))
        m->setup_ms = (double)jull(j->r, "setup-time");
    m->mem_bytes = jull(ram, "transferred");
    m->data_bytes = m->mem_bytes;
    m->mem_iterations = jull(ram, "dirty-sync-count");
}

/* The destination has read the whole stream.  After a postcopy hop it runs the
 * guest before that, and until it is done it may still ask the source for pages:
 * the source quits only after this (libvirt too ends the source only once the
 * destination reports completion). */
static int dest_loaded(struct be_job *j)
{
    for (double until = clock_now() + QMP_TIMEOUT_S;;) {
        json_t *r = qmp_cmd(j->dp, "query-migrate", NULL);
        const char *st = json_string_value(json_object_get(r, "status"));
        bool done = st && !strcmp(st, "completed");
        char *why = st && ended_status(st) && !done ? xstrdup(st) : NULL;

        json_decref(r);
        if (done)
            return 0;
        if (!r || why || clock_now() >= until) {
            if (r)
                err_set("the destination's incoming migration: %s",
                        why ? why : "not completed in time");
            free(why);
            return -1;
        }
        clock_sleep(0.005);
    }
}

/* An incoming QEMU runs the guest once the stream is in and finalized.  Like libvirt,
 * it is resumed when the source was paused (the stream then says "paused"). */
static int proc_resumed(struct qproc *p)
{
    bool cont = false;

    for (double until = clock_now() + QMP_TIMEOUT_S;;) {
        json_t *s = qmp_cmd(p, "query-status", NULL);
        const char *st = json_string_value(json_object_get(s, "status"));
        bool running = s && json_is_true(json_object_get(s, "running"));
        bool paused = st && !strcmp(st, "paused");
        json_decref(s);
        if (running)
            return 0;
        if (paused && !cont) {
            cont = true;
            if (qmp_do(p, "cont", NULL) < 0)
                return -1;
            continue;
        }
        if (!s || clock_now() >= until) {
            err_set("the destination did not resume");
            return -1;
        }
        clock_sleep(0.005);
    }
}

static int dest_running(struct be_job *j)
{
    return proc_resumed(j->dp);
}

/* The SSH forward of each user-mode NIC on p, which was started -incoming (the ports
 * were another QEMU's until now). */
static int add_hostfwds(struct qproc *p, const struct be_vm_spec *spec)
{
    for (size_t i = 0; i < spec->nnics; i++) {
        const struct be_nic *n = &spec->nics[i];
        char *hmp;
        json_t *hr;
        if (!nic_is_user(n) || !n->hostfwd_port)
            continue;
        hmp = xasprintf("hostfwd_add net%zu tcp:127.0.0.1:%u-:22", i, n->hostfwd_port);
        hr = qmp_cmd(p, "human-monitor-command", json_pack("{s:s}", "command-line", hmp));
        free(hmp);
        /* HMP reports failure as text in the return value */
        if (!hr || (json_string_value(hr) && *json_string_value(hr))) {
            if (hr)
                err_set("hostfwd_add on the destination: %s", json_string_value(hr));
            json_decref(hr);
            return -1;
        }
        json_decref(hr);
    }
    return 0;
}

/* The source is paused for good: quit it, then the destination may take the host
 * port of each SSH forward. */
static int take_over(struct be_job *j)
{
    qmp_do(j->sp, "quit", NULL);
    if (!proc_wait_exit(j->sp, 5.0))
        proc_kill(j->sp);
    return add_hostfwds(j->dp, &j->v->spec);
}

/* The migration job of p (out to a file, or in from one) until it ends: 0 completed,
 * -1 + err otherwise or after timeout_s. */
static int file_job_done(struct qproc *p, double timeout_s)
{
    for (double until = clock_now() + timeout_s;;) {
        json_t *r = qmp_cmd(p, "query-migrate", NULL);
        const char *st = json_string_value(json_object_get(r, "status"));
        bool done = st && !strcmp(st, "completed");
        char *why = st && ended_status(st) && !done ? xstrdup(st) : NULL;
        const char *desc = json_string_value(json_object_get(r, "error-desc"));
        if (why && desc) {
            free(why);
            why = xstrdup(desc);
        }
        json_decref(r);
        if (done)
            return 0;
        if (!r || why || clock_now() >= until) {
            if (r)
                err_set("%s", why ? why : "not done in time");
            free(why);
            return -1;
        }
        clock_sleep(0.01);
    }
}

/* exec:cat > 'PATH' (or < for a restore): QEMU's own way to stream state into a file;
 * PATH single-quoted for the shell QEMU runs it with. */
static char *file_uri(const char *path, bool out)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, out ? "exec:cat > " : "exec:cat < ");
    strbuf_add_sq(&sb, path);
    return strbuf_detach(&sb, NULL);
}

/* virsh save: the guest paused, its state streamed into path, its QEMU ended. */
static int q_save(struct be_host *h, const char *vm, const char *path)
{
    struct qproc *p = running_proc(h, vm, "save");
    char *uri;
    int rc;

    if (!p)
        return -1;
    uri = file_uri(path, true);
    /* a plain stream at full speed, whatever the last hop into this QEMU set (postcopy
     * needs a return path a file has not) */
    rc = set_caps(p, 0) < 0 ||
         qmp_do(p, "migrate-set-parameters",
                json_pack("{s:I}", "max-bandwidth", (json_int_t)UNLIMITED_BW)) < 0 ||
         qmp_do(p, "stop", NULL) < 0 ||
         qmp_do(p, "migrate", json_pack("{s:s}", "uri", uri)) < 0 ||
         file_job_done(p, SAVE_TIMEOUT_S) < 0 ? -1 : 0;
    free(uri);
    if (rc < 0) {
        char *why = xasprintf("VM %s on %s: save to %s: %s", vm, h->uri, path, err_msg());
        qmp_do(p, "cont", NULL);    /* the guest goes on as it was */
        err_set("%s", why);
        free(why);
        return -1;
    }
    qmp_do(p, "quit", NULL);
    if (!proc_wait_exit(p, 5.0))
        proc_kill(p);
    find(h, vm);    /* reaps it: shut off */
    err_clear();
    return 0;
}

/* virsh restore: a new QEMU of the definition loads the state saved in path and runs. */
static int q_restore(struct be_host *h, const char *vm, const char *path)
{
    struct qvm *v = find(h, vm);
    struct qproc *p;
    char *uri;
    int rc;

    if (!v)
        return -1;
    if (v->proc) {
        err_set("VM %s on %s: restore: already running", vm, h->uri);
        return -1;
    }
    if (!(p = proc_spawn(h, &v->spec, true))) {
        err_prefix("restore on %s", h->uri);
        return -1;
    }
    uri = file_uri(path, false);
    rc = qmp_do(p, "migrate-incoming", json_pack("{s:s}", "uri", uri)) < 0 ||
         file_job_done(p, SAVE_TIMEOUT_S) < 0 || proc_resumed(p) < 0 ||
         add_hostfwds(p, &v->spec) < 0 ? -1 : 0;
    free(uri);
    if (rc < 0) {
        err_prefix("VM %s on %s: restore from %s", vm, h->uri, path);
        proc_kill(p);
        proc_free(p);
        return -1;
    }
    v->proc = p;
    return 0;
}

/* virsh restore --xml: QEMU's device state names no file, so the state saved in path
 * loads into a QEMU of spec's own definition (its name, disk overlays, console). */
static int q_restore_as(struct be_host *h, const struct be_vm_spec *spec, const char *path)
{
    return q_define(h, spec) < 0 ? -1 : q_restore(h, spec->name, path);
}

/* The VM lives in the destination QEMU now, and in dst's registry. */
static void move_vm(struct be_job *j)
{
    struct be_host *src = j->src, *dst = j->dst;
    struct qvm **pp, *v = j->v;

    pthread_mutex_lock(&src->lock);
    pp = find_locked(src, j->vm);
    if (pp && *pp == v)
        *pp = v->next;
    pthread_mutex_unlock(&src->lock);
    /* like libvirt: a persistent source keeps a shut-off definition unless the
     * caller asked for --undefinesource */
    if (src != dst && !v->transient && !(j->flags & BE_MIG_UNDEFINE_SOURCE))
        q_define(src, &v->spec);
    proc_free(j->sp);
    v->proc = j->dp;
    j->dp = NULL;
    pthread_mutex_lock(&dst->lock);
    pp = find_locked(dst, j->vm);
    if (pp) {   /* an old definition on the destination is replaced */
        struct qvm *old = *pp;
        *pp = old->next;
        vm_free(old);
    }
    v->next = dst->vms;
    dst->vms = v;
    /* like libvirt: the destination's domain is transient unless --persistent */
    if (src != dst)
        v->transient = !(j->flags & BE_MIG_PERSISTENT);
    pthread_mutex_unlock(&dst->lock);
}

/* A job that did not complete: QEMU's words; a paused postcopy keeps its
 * destination for the resume hop. */
static void failed(struct be_job *j, struct be_hop_metrics *m)
{
    const char *desc = json_string_value(json_object_get(j->r, "error-desc"));

    if (j->qmp_err) {
        err_set("%s", j->qmp_err);
        return;
    }
    m->aborted = !strcmp(j->status, "cancelled");
    if (!strcmp(j->status, "postcopy-paused")) {
        m->postcopy = true;
        j->v->paused_dst = j->dp;
        j->v->paused_to = j->dst;
        j->dp = NULL;
        err_set("postcopy paused: the guest waits on both sides for a postcopy resume");
        return;
    }
    err_set("%s", desc ? desc : j->status);
}

static int q_migrate_finish(struct be_job *j, struct be_hop_metrics *out)
{
    struct be_hop_metrics m = { .time_ms = -1, .downtime_ms = -1, .setup_ms = -1 };
    int rc = -1;

    if (!j->ended) {
        qmp_do(j->sp, "migrate_cancel", NULL);
        err_set("abandoned while running: cancelled, destination QEMU killed");
    } else if (!j->sp) {
        rc = 0;         /* offline: the definition moved in migrate_start */
    } else if (j->qmp_err || strcmp(j->status, "completed")) {
        job_metrics(j, &m);
        failed(j, &m);
    } else {
        job_metrics(j, &m);
        if (dest_loaded(j) < 0 || dest_running(j) < 0) {
            err_prefix("after the stream on %s", j->dst->uri);
        } else {
            /* the source quits: the VM belongs to dst from here, forwards or not */
            rc = take_over(j) < 0 ? -1 : 0;
            if (rc < 0)
                err_prefix("after the stream on %s", j->dst->uri);
            move_vm(j);
        }
    }
    job_free(j);
    if (out)
        *out = m;
    return rc;
}

/* The command line a start would run (QMP socket and incoming flag left out). */
static char *q_render(const struct be_vm_spec *spec, const char **ext)
{
    struct argv a = { 0 };
    struct strbuf line = STRBUF_INIT;
    build_argv(&a, spec, NULL, false, NULL, NULL);
    struct spawn *c = spawn_newv((const char *const *)a.v);
    spawn_to_string(c, &line);
    strbuf_addch(&line, '\n');
    spawn_free(c);
    argv_free(&a);
    *ext = "args";
    return strbuf_detach(&line, NULL);
}

const struct be_ops be_qemu_ops = {
    .name = "qemu",
    .local_hosts = true,
    .emulator_param = "qemu_binary",
    .open = q_open,
    .define = q_define,
    .start = q_start,
    .shutdown = q_shutdown,
    .destroy = q_destroy,
    .undefine = q_undefine,
    .state = q_state,
    .persistent = q_persistent,
    .migrate_start = q_migrate_start,
    .migrate_wait = q_migrate_wait,
    .migrate_finish = q_migrate_finish,
    .job_stats = q_job_stats,
    .abort_job = q_abort_job,
    .start_postcopy = q_start_postcopy,
    .abort_postcopy = q_abort_postcopy,
    .suspend = q_suspend,
    .resume = q_resume,
    .save = q_save,
    .restore = q_restore,
    .restore_as = q_restore_as,
    .console_path = q_console_path,
    .render = q_render,
    .host_info = q_host_info,
    .uri = q_uri,
    .close = q_close,
};
